import Foundation
import Testing

@testable import LimitlessCLI

/// The man pages as generated (the committed copies are compared in GeneratedFilesTests).
@Suite struct ManPageTests {
    static let pages = Dictionary(uniqueKeysWithValues: ManPages.all().map { ($0.name, $0.text) })

    /// How a spelling appears in roff source: in bold, with minus signs.
    static func roff(_ s: String) -> String { Roff.bold(s) }

    @Test func onePagePerCommand() {
        let expected = ["limitless.1"] + CommandTable.commands.filter { !$0.hidden && $0.name != "help" }
            .map { "limitless-\($0.name).1" }
        #expect(ManPages.all().map(\.name) == expected)
        #expect(Self.pages["limitless-create-db-shard-group.1"] != nil)
        #expect(Self.pages["limitless-sql.1"] != nil)
    }

    /// Every option the parser accepts for a command, every alias and `--no-` form, is in its page.
    @Test func everyAcceptedOptionIsDocumented() {
        for command in CommandTable.commands where !command.hidden && command.name != "help" {
            let page = Self.pages["limitless-\(command.name).1"] ?? ""
            for o in ArgumentParser.options(for: command) {
                var spellings = o.aliases + [o.name]
                if let n = o.negatedName { spellings.append(n) }
                for s in spellings {
                    #expect(page.contains(Self.roff(s)), "\(command.name): \(s) is not in its man page")
                }
            }
        }
        let top = Self.pages["limitless.1"] ?? ""
        for o in CommandTable.globalOptions + CommandTable.inputOptions {
            #expect(top.contains(Self.roff(o.name)), "limitless(1) lacks \(o.name)")
        }
    }

    @Test func overviewSections() {
        let top = Self.pages["limitless.1"] ?? ""
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS", "ENVIRONMENT",
                        "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"] {
            #expect(top.contains("\n.SH \(heading)\n"), "no \(heading)")
        }
        for name in ["LIMITLESS_HOME", "AWS_REGION", "AWS_DEFAULT_REGION", "NO_COLOR", "PAGER", "EDITOR"] {
            #expect(top.contains(Self.roff(name)), "ENVIRONMENT lacks \(name)")
        }
        for status in ["0", "1", "2", "130", "252", "254", "255"] {
            #expect(top.contains(".TP\n\\fB\(status)\\fR\n"), "EXIT STATUS lacks \(status)")
        }
        for file in ["/clusters/ID/cluster.json", "/clusters/ID/shard-group.json", "/clusters/ID/data/", "/snapshots/SNAPSHOT-ID/", "/.lock"] {
            #expect(top.contains(Roff.literal(file)), "FILES lacks \(file)")
        }
        for command in CommandTable.commands where !command.hidden {
            #expect(top.contains(Self.roff(command.name)))
        }
        // The two seed commands, word for word.
        let seeds = (ManPages.seedCluster + ManPages.seedShardGroup).map(Roff.literal)
        for line in seeds { #expect(top.contains(line + "\n")) }
        #expect(top.contains(Roff.literal("--db-shard-group-identifier my-db-shard-group")))
    }

    @Test func sqlPage() {
        let page = Self.pages["limitless-sql.1"] ?? ""
        for meta in ["\\?", "\\h", "\\q", "\\d", "\\dt", "\\di", "\\dv", "\\timing", "\\x", "\\pset",
                     "\\o", "\\i", "\\e", "\\conninfo", "\\set", "\\dist"] {
            let tag = "\\fB" + Roff.literal(meta)
            #expect(page.contains(tag + "\\fR") || page.contains(tag + " "), "no \(meta)")
        }
        for setting in ["rds_aurora.limitless_create_table_mode", "rds_aurora.limitless_create_table_shard_key",
                        "rds_aurora.limitless_create_table_collocate_with"] {
            #expect(page.contains(Self.roff(setting)), "no \(setting)")
        }
        for type in ["sharded", "reference", "standard", "collocation"] {
            #expect(page.contains(".TP\n" + Self.roff(type) + "\n"), "no table type \(type)")
        }
        for heading in ["INTERACTIVE SHELL", "TABLE TYPES", "SETTINGS", "ROUTING AND EXPLAIN", "EXIT STATUS", "EXAMPLES"] {
            #expect(page.contains("\n.SH \(heading)\n"), "no \(heading)")
        }
        #expect(page.contains(Self.roff("EXPLAIN")))
    }

    @Test func roffHelpers() {
        #expect(Roff.literal("--max-acu") == "\\-\\-max\\-acu")
        #expect(Roff.escape("a\\b") == "a\\eb")
        #expect(Roff.inline("use `-c` now") == "use \\fB\\-c\\fR now")
        #expect(Roff.bold("A=1,B=2") == "\\fBA=1,\\:B=2\\fR")
        #expect(Roff.sentences("One. Two `x`. three. (Four.) Five") == ["One.", "Two `x`. three.", "(Four.)", "Five"])
        #expect(Roff.wrap(".starts with a dot", width: 78) == ["\\&.starts with a dot"])
        let long = String(repeating: "word ", count: 40)
        #expect(Roff.wrap(long, width: 78).allSatisfy { $0.utf8.count <= 78 })
        #expect(Roff.document([".SH X", ".PP", "text", ".PP", "more"]) == ".SH X\ntext\n.PP\nmore\n")
    }

    // MARK: - Linters

    /// Runs a tool with `text` on standard input; returns what it printed on both streams.
    static func lint(_ tool: String, _ args: [String], _ text: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        // Pages are far smaller than a pipe buffer's worth of lint output would be to block on.
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self) + (p.terminationStatus == 0 ? "" : "exit \(p.terminationStatus)")
    }

    /// `groff -man -ww -z` and `mandoc -T lint` report nothing (`make deps` installs both).
    @Test func groffAndMandocAreSilent() throws {
        for (name, text) in ManPages.all() {
            #expect(try Self.lint("groff", ["-man", "-ww", "-z"], text) == "", "groff on \(name)")
            #expect(try Self.lint("mandoc", ["-T", "lint"], text) == "", "mandoc on \(name)")
        }
    }
}
