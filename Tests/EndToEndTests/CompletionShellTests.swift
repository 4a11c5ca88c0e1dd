import Foundation
import Testing

/// The committed completion scripts, driven by real bash, fish and zsh with the built binary
/// first on PATH and a temporary LIMITLESS_HOME.
@Suite struct CompletionShellTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = root.appendingPathComponent("completions")
    static var binDir: String { URL(fileURLWithPath: Harness.binary).deletingLastPathComponent().path }

    /// Runs a program with the binary's folder first on PATH and LIMITLESS_HOME set.
    static func run(_ program: String, _ args: [String], home: String, env: [String: String] = [:]) throws -> (out: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + args
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binDir + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["LIMITLESS_HOME"] = home
        environment["HOME"] = home
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: home)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    /// A home with one limitless cluster and its shard group, made by the binary itself.
    static func seeded() throws -> Harness {
        let h = try Harness()
        let c = try h.run(["create-db-cluster", "--db-cluster-identifier", "My-Limitless-Cluster", "--engine", "aurora-postgresql",
                           "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless",
                           "--master-username", "myuser", "--master-user-password", "mypassword"])
        #expect(c.status == 0, "\(c.stderr)")
        let g = try h.run(["create-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group",
                           "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "400"])
        #expect(g.status == 0, "\(g.stderr)")
        try FileManager.default.createDirectory(atPath: h.home + "/sql", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: h.home + "/sql/load.sql", contents: Data("SELECT 1;\n".utf8))
        return h
    }

    // MARK: - bash

    /// Completes `line` (cursor at its end) as bash would: COMP_WORDS split at blanks and at the
    /// characters of COMP_WORDBREAKS (`=` and `:` among them), then `_limitless`.
    static func bash(_ line: String, home: String) throws -> [String] {
        let script = """
            source \(scripts.appendingPathComponent("limitless.bash").path)
            COMP_LINE=$1
            COMP_POINT=${#COMP_LINE}
            COMP_WORDS=()
            word=
            for (( i = 0; i < ${#COMP_LINE}; i++ )); do
                c=${COMP_LINE:i:1}
                if [[ $c == [[:space:]] ]]; then
                    [[ -n $word ]] && COMP_WORDS+=("$word"); word=
                elif [[ $c == [=:] ]]; then
                    [[ -n $word ]] && COMP_WORDS+=("$word"); COMP_WORDS+=("$c"); word=
                else
                    word+=$c
                fi
            done
            if [[ -n $word ]]; then COMP_WORDS+=("$word")
            elif [[ $COMP_LINE == *[[:space:]] ]]; then COMP_WORDS+=("")
            fi
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            complete -p limitless >/dev/null || exit 9
            _limitless
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try run("bash", ["--norc", "--noprofile", "-c", script, "bash", line], home: home)
        #expect(r.status == 0, "\(r.out)")
        return r.out.split(separator: "\n").map(String.init)
    }

    @Test func bashCompletes() throws {
        let h = try Self.seeded()
        #expect(try Self.bash("limitless create-db-sh", home: h.home) == ["create-db-shard-group"])
        #expect(try Self.bash("limitless create-db-shard-group --m", home: h.home) == ["--max-acu", "--min-acu"])
        let rest = try Self.bash("limitless create-db-shard-group --max-acu 10 --min-acu 16 --", home: h.home)
        #expect(!rest.contains("--max-acu") && !rest.contains("--min-acu"))
        #expect(rest.contains("--db-shard-group-identifier") && rest.contains("--generate-cli-skeleton"))
        #expect(try Self.bash("limitless sql --db-cluster-identifier ", home: h.home) == ["my-limitless-cluster"])
        #expect(try Self.bash("limitless --region eu-west-1 describe-db-clusters --db-cluster-identifier m", home: h.home) == ["my-limitless-cluster"])
        #expect(try Self.bash("limitless reboot-db-shard-group --db-shard-group-identifier ", home: h.home) == ["my-db-shard-group"])
        #expect(try Self.bash("limitless sql --output ", home: h.home) == ["table", "json", "csv", "tsv"])
        #expect(try Self.bash("limitless describe-db-clusters --output t", home: h.home) == ["text", "table"])
        #expect(try Self.bash("limitless create-db-cluster --engine ", home: h.home).contains("aurora-postgresql"))
        // bash completes the piece after `=` or `:`: the script hands back only that piece.
        #expect(try Self.bash("limitless sql --output=c", home: h.home) == ["csv"])
        #expect(try Self.bash("limitless sql -f sql/l", home: h.home) == ["sql/load.sql"])
        #expect(try Self.bash("limitless create-db-cluster --cli-input-json file://sql/", home: h.home) == ["//sql/load.sql"])
        #expect(try Self.bash("limitless zzz", home: h.home) == [])
    }

    @Test func bashRegistersForLimitless() throws {
        let h = try Harness()
        let r = try Self.run("bash", ["--norc", "-c", "source \(Self.scripts.path)/limitless.bash; complete -p limitless"], home: h.home)
        #expect(r.out == "complete -F _limitless limitless\n")
    }

    // MARK: - fish

    static func fish(_ line: String, home: String) throws -> [String] {
        let script = "source \(scripts.appendingPathComponent("limitless.fish").path); complete -C \"$argv[1]\""
        let r = try run("fish", ["--no-config", "-c", script, line], home: home)
        #expect(r.status == 0, "\(r.out)")
        return r.out.split(separator: "\n").map { String($0.split(separator: "\t", maxSplits: 1).first ?? "") }
    }

    @Test func fishCompletes() throws {
        let h = try Self.seeded()
        #expect(try Self.fish("limitless create-db-sh", home: h.home) == ["create-db-shard-group"])
        #expect(try Self.fish("limitless create-db-shard-group --m", home: h.home) == ["--max-acu", "--min-acu"])
        #expect(try Self.fish("limitless create-db-shard-group --max-acu 100 --m", home: h.home) == ["--min-acu"])
        #expect(try Self.fish("limitless sql --db-cluster-identifier ", home: h.home) == ["my-limitless-cluster"])
        #expect(try Self.fish("limitless delete-db-shard-group --db-shard-group-identifier ", home: h.home) == ["my-db-shard-group"])
        #expect(Set(try Self.fish("limitless sql --on-error ", home: h.home)) == ["stop", "continue"])
        #expect(try Self.fish("limitless sql -f sql/", home: h.home) == ["sql/load.sql"])
        // Descriptions come along for fish to show.
        let r = try Self.run("fish", ["--no-config", "-c", "source \(Self.scripts.path)/limitless.fish; complete -C 'limitless create-db-shard-group --max'"], home: h.home)
        #expect(r.out.hasPrefix("--max-acu\t(required)"))
    }

    // MARK: - zsh

    /// Presses Tab after `line` in an interactive zsh (through the zpty module) with the
    /// completion system loaded from completions/, and collects what it would add.
    static let zshDriver = #"""
        zmodload zsh/zpty || exit 3
        zpty z zsh -f -i
        zpty -w z "unset zle_bracketed_paste; PS1=''; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
        # Print what completion functions add instead of adding it: only the final compadd calls
        # (those with -O, -A or -D only compute lists). The markers are split in the source so
        # that the echo of these lines cannot be mistaken for output.
        zpty -w z 'compadd() {
          if [[ ${@[1,(i)--]} == *-[OAD]* ]]; then builtin compadd "$@"; return; fi
          local -a __found; builtin compadd -A __found "$@"; local __w
          for __w in $__found; do print -r -- "<ca""nd>$__w"; done
        }'
        zpty -w z '__done() { print -r -- "<do""ne>" }; zle -N __done; bindkey "^X" __done'
        zpty -w -n z "$2"$'\t\x18'
        local line n=0
        while zpty -r z line; do
          line=${line//$'\r'/}
          line=${line%$'\n'}
          [[ $line == *'<done>'* ]] && break
          [[ $line == *'<cand>'* ]] && print -r -- "${line##*<cand>}"
          (( ++n > 5000 )) && break
        done
        zpty -d z
        """#

    static func zsh(_ line: String, home: String) throws -> [String] {
        let driver = home + "/drive.zsh"
        try zshDriver.write(toFile: driver, atomically: true, encoding: .utf8)
        let r = try run("timeout", ["20", "zsh", "-f", driver, scripts.path, line], home: home)
        #expect(r.status == 0, "\(r.out)")
        return r.out.split(separator: "\n").map(String.init)
    }

    @Test func zshParsesTheScript() throws {
        let h = try Harness()
        let r = try Self.run("zsh", ["-n", Self.scripts.appendingPathComponent("_limitless").path], home: h.home)
        #expect(r.status == 0 && r.out == "", "\(r.out)")
    }

    @Test func zshCompletes() throws {
        let h = try Self.seeded()
        #expect(try Self.zsh("limitless create-db-sh", home: h.home) == ["create-db-shard-group"])
        #expect(try Self.zsh("limitless create-db-shard-group --m", home: h.home) == ["--max-acu", "--min-acu"])
        #expect(try Self.zsh("limitless create-db-shard-group --min-acu 16 --m", home: h.home) == ["--max-acu"])
        #expect(try Self.zsh("limitless sql --db-cluster-identifier ", home: h.home) == ["my-limitless-cluster"])
        #expect(try Self.zsh("limitless modify-db-shard-group --db-shard-group-identifier my", home: h.home) == ["my-db-shard-group"])
        #expect(try Self.zsh("limitless describe-db-shard-groups --output ", home: h.home) == ["json", "text", "table"])
        #expect(try Self.zsh("limitless sql --output=j", home: h.home) == ["--output=json"])
        #expect(try Self.zsh("limitless sql -f sql/", home: h.home) == ["sql/load.sql"])
    }

    // MARK: - The back end

    /// `limitless __complete` answers from the cluster folders alone, fast: the median of 25
    /// runs must stay under 50 ms even on a loaded test machine (it is a few ms unloaded).
    @Test func backEndIsFast() throws {
        let h = try Self.seeded()
        var times: [Double] = []
        for _ in 0..<25 {
            let start = Date()
            let r = try h.run(["__complete"], env: ["COMP_LINE": "limitless sql --db-cluster-identifier "])
            times.append(Date().timeIntervalSince(start))
            #expect(r.stdout == "my-limitless-cluster\n" && r.status == 0)
        }
        times.sort()
        #expect(times[times.count / 2] < 0.05, "median \(times[times.count / 2] * 1000) ms")
    }

    @Test func backEndProtocol() throws {
        let h = try Self.seeded()
        // COMP_POINT (a byte offset) cuts the line; no COMP_LINE, no answer.
        let cut = try h.run(["__complete"], env: ["COMP_LINE": "limitless create-db-sh --whatever", "COMP_POINT": "22"])
        #expect(cut.stdout == "create-db-shard-group\n")
        let none = try h.run(["__complete"])
        #expect(none.stdout == "" && none.status == 0)
        let described = try h.run(["__complete"], env: ["COMP_LINE": "limitless reboot-db-shard-group --db-shard-group-identifier ",
                                                       "LIMITLESS_COMPLETE_DESCRIPTIONS": "1"])
        #expect(described.stdout == "my-db-shard-group\tshard group of my-limitless-cluster\n")
        // A damaged shard-group file is skipped, not reported: completion must never print errors.
        try "{not json".write(toFile: h.home + "/clusters/my-limitless-cluster/shard-group.json", atomically: true, encoding: .utf8)
        let damaged = try h.run(["__complete"], env: ["COMP_LINE": "limitless reboot-db-shard-group --db-shard-group-identifier "])
        #expect(damaged.stdout == "" && damaged.stderr == "" && damaged.status == 0)
        // And with no home at all, nothing is created.
        let empty = try Harness()
        try FileManager.default.removeItem(atPath: empty.home)
        let r = try empty.run(["__complete"], env: ["COMP_LINE": "limitless sql --db-cluster-identifier "])
        #expect(r.stdout == "" && !FileManager.default.fileExists(atPath: empty.home))
    }
}
