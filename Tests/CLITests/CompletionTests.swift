import Foundation
import Testing

@testable import LimitlessCLI

/// `Completer` in-process, with made-up clusters and folders (no disk).
@Suite struct CompletionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/aws-cli")

    static let folders: [String: [Completer.Entry]] = [
        "": [.init("load.sql", isDirectory: false), .init("schema", isDirectory: true),
             .init(".hidden.sql", isDirectory: false), .init("notes.txt", isDirectory: false)],
        "schema/": [.init("orders.sql", isDirectory: false), .init("old", isDirectory: true)],
        "/home/me/": [.init("q.sql", isDirectory: false)],
    ]

    static let completer = Completer(
        clusterIdentifiers: { ["alpha", "my-limitless-cluster", "other"] },
        shardGroups: { [("my-db-shard-group", "my-limitless-cluster"), ("other-group", "other")] },
        listDirectory: { folders[$0] },
        homeDirectory: "/home/me")

    /// Candidates for a line, the cursor at its end.
    static func complete(_ line: String) -> [String] {
        let words = Completer.split(line: line)
        return completer.complete(words: words, current: words.count - 1)
    }

    /// What aws_completer printed (candidates joined by " \n"), as a list.
    static func awsCandidates(_ name: String) throws -> [String] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("complete-\(name).txt"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// aws's global options end in --v2-debug (an aws CLI v2 switch); ours has --no-cli-pager
    /// in that place (Help and the parser list it), everything else is aws's list in aws's order.
    static func ours(_ aws: [String]) -> [String] {
        aws.map { $0 == "--v2-debug" ? "--no-cli-pager" : $0 }
    }

    // MARK: - Against aws_completer

    @Test func commandNamesAsAwsCompletes() throws {
        #expect(Self.complete("limitless create-db-sh") == (try Self.awsCandidates("create-db-sh")))
        #expect(Self.complete("limitless describe-db-sh") == (try Self.awsCandidates("describe-db-sh")))
        #expect(Self.complete("limitless zzz") == (try Self.awsCandidates("no-match")))
        #expect(Self.complete("limitless zzz").isEmpty)
    }

    @Test func optionsInAwsOrder() throws {
        #expect(Self.complete("limitless create-db-shard-group --")
                == Self.ours(try Self.awsCandidates("create-db-shard-group-opts")))
        #expect(Self.complete("limitless create-db-shard-group --m")
                == (try Self.awsCandidates("create-db-shard-group-max")))
    }

    @Test func optionsOnTheLineAreLeftOut() throws {
        let line = "limitless create-db-shard-group --max-acu 10 --min-acu 1 --"
        #expect(Self.complete(line) == Self.ours(try Self.awsCandidates("opts-after-used")))
        #expect(Self.complete("limitless create-db-shard-group --max-acu 100 --m") == ["--min-acu"])
        // An abbreviation or `--opt=value` counts as the option it stands for.
        #expect(Self.complete("limitless create-db-shard-group --max-a 100 --m") == ["--min-acu"])
        #expect(Self.complete("limitless create-db-shard-group --max-acu=100 --m") == ["--min-acu"])
        // Each half of a boolean pair is its own word, as aws treats them.
        #expect(Self.complete("limitless create-db-shard-group --publicly-accessible --p") == ["--profile"])
        #expect(Self.complete("limitless create-db-shard-group --publicly-accessible --no-pu") == ["--no-publicly-accessible"])
        // Repeatable options stay.
        #expect(Self.complete("limitless sql -c 'SELECT 1' --com") == ["--command"])
        #expect(Self.complete("limitless sql --quiet --q") == [])
        // Global options given before the command count too.
        #expect(!Self.complete("limitless --debug describe-db-clusters --").contains("--debug"))
    }

    /// Every spelling the parser accepts is offered, and nothing else.
    @Test func everyAcceptedOptionIsOffered() {
        for command in CommandTable.commands where !command.hidden && command.name != "help" {
            var accepted = Set<String>()
            for o in ArgumentParser.options(for: command) {
                accepted.insert(o.name)
                if let n = o.negatedName { accepted.insert(n) }
            }
            let offered = Self.complete("limitless \(command.name) --")
            #expect(Set(offered) == accepted, "\(command.name)")
            #expect(offered.count == accepted.count, "\(command.name): duplicates")
        }
        #expect(Self.complete("limitless sql -") ==
                ["--db-cluster-identifier", "-c", "--command", "-f", "--file", "--output", "--on-error",
                 "--single-transaction", "--quiet"])
    }

    // MARK: - Commands and globals

    @Test func commandNames() {
        let visible = CommandTable.commands.filter { !$0.hidden }.map(\.name)
        #expect(Self.complete("limitless ") == visible)
        #expect(!Self.complete("limitless ").contains("__complete"))
        #expect(Self.complete("limitless --debug --region eu-west-1 reb") == ["reboot-db-shard-group"])
        #expect(Self.complete("limitless help delete") == ["delete-db-cluster", "delete-db-shard-group"])
        #expect(Self.complete("limitless help sql ") == [])
        #expect(Self.complete("limitless --ver") == ["--version"])
        #expect(Self.complete("limitless --he") == ["--help"])
        #expect(Self.complete("limitless --output t") == ["text", "table"])
        #expect(Self.complete("limitless no-such-command --") == [])
    }

    // MARK: - Values

    @Test func enumValues() {
        #expect(Self.complete("limitless describe-db-clusters --output ") == ["json", "text", "table"])
        #expect(Self.complete("limitless sql --db-cluster-identifier x --output ") == ["table", "json", "csv", "tsv"])
        #expect(Self.complete("limitless sql --output=c") == ["--output=csv"])
        #expect(Self.complete("limitless sql --on-error ") == ["stop", "continue"])
        #expect(Self.complete("limitless create-db-cluster --engine aurora-p") == ["aurora-postgresql"])
        #expect(Self.complete("limitless create-db-cluster --cluster-scalability-type ") == ["standard", "limitless"])
        #expect(Self.complete("limitless create-db-cluster --storage-type ") == ["aurora", "aurora-iopt1"])
        #expect(Self.complete("limitless create-db-shard-group --compute-redundancy ") == ["0", "1", "2"])
        #expect(Self.complete("limitless modify-db-shard-group --compute-redundancy 1") == ["1"])
        #expect(Self.complete("limitless create-db-cluster --database-insights-mode a") == ["advanced"])
        #expect(Self.complete("limitless describe-db-clusters --generate-cli-skeleton ").prefix(2) == ["input", "output"])
        // A value is due: no options, and nothing for free text.
        #expect(Self.complete("limitless create-db-shard-group --max-acu ") == [])
        // After a value, options again.
        #expect(Self.complete("limitless create-db-shard-group --max-acu 100 ").contains("--min-acu"))
        // A list takes more values; a `-` word is an option.
        #expect(Self.complete("limitless create-db-cluster --enable-cloudwatch-logs-exports postgresql --eng")
                == ["--engine", "--engine-version", "--engine-mode", "--engine-lifecycle-support"])
    }

    @Test func identifiersFromTheStore() {
        #expect(Self.complete("limitless describe-db-clusters --db-cluster-identifier ") ==
                ["alpha", "my-limitless-cluster", "other"])
        #expect(Self.complete("limitless sql --db-cluster-identifier my") == ["my-limitless-cluster"])
        #expect(Self.complete("limitless create-db-shard-group --db-cluster-identifier o") == ["other"])
        #expect(Self.complete("limitless delete-db-cluster --db-cluster-identifier=a") == ["--db-cluster-identifier=alpha"])
        #expect(Self.complete("limitless reboot-db-shard-group --db-shard-group-identifier ") ==
                ["my-db-shard-group", "other-group"])
        #expect(Self.complete("limitless describe-db-shard-groups --db-shard-group-identifier ot") == ["other-group"])
        // A new identifier is being named: nothing to offer.
        #expect(Self.complete("limitless create-db-cluster --db-cluster-identifier ") == [])
        #expect(Self.complete("limitless create-db-shard-group --db-shard-group-identifier ") == [])
        // Descriptions for zsh and fish.
        let words = Completer.split(line: "limitless delete-db-shard-group --db-shard-group-identifier m")
        #expect(Self.completer.candidates(words: words, current: words.count - 1) ==
                [Completer.Candidate("my-db-shard-group", "shard group of my-limitless-cluster")])
    }

    @Test func fileNames() {
        #expect(Self.complete("limitless sql -f ") == ["load.sql", "notes.txt", "schema/"])
        #expect(Self.complete("limitless sql --file s") == ["schema/"])
        #expect(Self.complete("limitless sql -f schema/") == ["schema/old/", "schema/orders.sql"])
        #expect(Self.complete("limitless sql -f .h") == [".hidden.sql"])
        #expect(Self.complete("limitless sql -f ~/") == ["~/q.sql"])
        #expect(Self.complete("limitless sql -f missing/") == [])
        #expect(Self.complete("limitless create-db-cluster --cli-input-json file://") ==
                ["file://load.sql", "file://notes.txt", "file://schema/"])
        #expect(Self.complete("limitless create-db-shard-group --tags file://schema/o") ==
                ["file://schema/old/", "file://schema/orders.sql"])
        #expect(Self.complete("limitless create-db-cluster --cli-input-json fi") == ["file://"])
        #expect(Self.complete("limitless create-db-cluster --master-user-password file://l") == ["file://load.sql"])
        // Booleans take no value at all.
        #expect(Self.complete("limitless create-db-cluster --deletion-protection file://") == [])
    }

    // MARK: - Splitting

    @Test func splitsLikeTheShell() {
        #expect(Completer.split(line: "limitless sql") == ["limitless", "sql"])
        #expect(Completer.split(line: "limitless sql ") == ["limitless", "sql", ""])
        #expect(Completer.split(line: "limitless  sql   -c 'SELECT 1'  --o") == ["limitless", "sql", "-c", "SELECT 1", "--o"])
        #expect(Completer.split(line: "limitless sql -c \"a \\\"b\\\"\" -f my\\ fi") == ["limitless", "sql", "-c", "a \"b\"", "-f", "my fi"])
        #expect(Completer.split(line: "limitless sql -f 'my fi") == ["limitless", "sql", "-f", "my fi"])
        #expect(Completer.split(line: "cd /tmp && limitless cre") == ["limitless", "cre"])
        #expect(Completer.split(line: "") == [""])
        #expect(Self.complete("echo x | limitless create-db-sh") == ["create-db-shard-group"])
    }
}
