import Testing
import LimitlessSupport
@testable import LimitlessCLI

/// In-process, table-driven tests of the argument parser and parameter unpacking (no disk).
@Suite struct ParserTests {
    static let shardGroupBase = ["create-db-shard-group", "--db-shard-group-identifier", "sg", "--db-cluster-identifier", "c"]

    func invocation(_ args: [String]) throws -> ArgumentParser.Invocation {
        guard case let .run(inv) = try ArgumentParser().parse(args) else {
            Issue.record("not a run: \(args)")
            throw CLIError.other("not a run")
        }
        return inv
    }

    func request(_ args: [String], files: [String: String] = [:]) throws -> JSON {
        let inv = try invocation(args)
        let p = Parameters(readFile: { path in
            if let text = files[path] { return .success(text) }
            return .failure(SystemError("open", path, code: 2))
        })
        return try p.build(inv)
    }

    func failure(_ args: [String], files: [String: String] = [:]) -> CLIError? {
        do {
            _ = try request(args, files: files)
            return nil
        } catch let e as CLIError {
            return e
        } catch {
            return nil
        }
    }

    // MARK: - Types

    struct TypeCase: CustomTestStringConvertible, Sendable {
        var args: [String]
        var member: String
        var expected: JSON
        var testDescription: String { args.joined(separator: " ") }
    }

    static let typeCases: [TypeCase] = [
        // double
        TypeCase(args: shardGroupBase + ["--max-acu", "1000"], member: "MaxACU", expected: .double(1000)),
        TypeCase(args: shardGroupBase + ["--max-acu", "1e3"], member: "MaxACU", expected: .double(1000)),
        TypeCase(args: shardGroupBase + ["--max-acu", " 12.5 "], member: "MaxACU", expected: .double(12.5)),
        TypeCase(args: shardGroupBase + ["--max-acu", "1_000"], member: "MaxACU", expected: .double(1000)),
        TypeCase(args: shardGroupBase + ["--max-acu=2000"], member: "MaxACU", expected: .double(2000)),
        TypeCase(args: shardGroupBase + ["--max-acu", "-5"], member: "MaxACU", expected: .double(-5)),
        TypeCase(args: shardGroupBase + ["--max-acu", "-.5"], member: "MaxACU", expected: .double(-0.5)),
        // integer
        TypeCase(args: shardGroupBase + ["--max-acu", "16", "--compute-redundancy", "2"], member: "ComputeRedundancy", expected: .int(2)),
        TypeCase(args: shardGroupBase + ["--max-acu", "16", "--compute-redundancy", "+1"], member: "ComputeRedundancy", expected: .int(1)),
        // repeated option: last wins
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--max-acu", "20"], member: "MaxACU", expected: .double(20)),
        // unique prefix
        TypeCase(args: shardGroupBase + ["--max-ac", "10"], member: "MaxACU", expected: .double(10)),
        TypeCase(args: shardGroupBase + ["--max-ac=11"], member: "MaxACU", expected: .double(11)),
        // boolean pairs: last wins
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--publicly-accessible"], member: "PubliclyAccessible", expected: .bool(true)),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--no-publicly-accessible"], member: "PubliclyAccessible", expected: .bool(false)),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--publicly-accessible", "--no-publicly-accessible"], member: "PubliclyAccessible", expected: .bool(false)),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--no-publicly-accessible", "--publicly-accessible"], member: "PubliclyAccessible", expected: .bool(true)),
        // strings; a value starting with '-' through '=' ; a value with a space
        TypeCase(args: ["describe-db-clusters", "--db-cluster-identifier", "abc"], member: "DBClusterIdentifier", expected: .string("abc")),
        TypeCase(args: ["describe-db-clusters", "--db-cluster-identifier=-abc"], member: "DBClusterIdentifier", expected: .string("-abc")),
        TypeCase(args: ["describe-db-clusters", "--db-cluster-identifier", "-a b"], member: "DBClusterIdentifier", expected: .string("-a b")),
        TypeCase(args: ["describe-db-clusters", "--db-cluster-identifier="], member: "DBClusterIdentifier", expected: .string("")),
        // lists of strings
        TypeCase(args: ["describe-db-clusters", "--filters", "Name=engine,Values=a,b"], member: "Filters",
                 expected: .array([.object([("Name", .string("engine")), ("Values", .array([.string("a"), .string("b")]))])])),
        TypeCase(args: ["describe-db-clusters", "--filters", "Name=engine,Values=[a,b]", "Name=db-cluster-id,Values=x"], member: "Filters",
                 expected: .array([
                    .object([("Name", .string("engine")), ("Values", .array([.string("a"), .string("b")]))]),
                    .object([("Name", .string("db-cluster-id")), ("Values", .array([.string("x")]))]),
                 ])),
        // lists of structures: shorthand and JSON
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "Key=team,Value=db", "Key=env,Value=dev"], member: "Tags",
                 expected: .array([.object([("Key", .string("team")), ("Value", .string("db"))]),
                                   .object([("Key", .string("env")), ("Value", .string("dev"))])])),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "[{\"Key\":\"a\",\"Value\":\"b\"}]"], member: "Tags",
                 expected: .array([.object([("Key", .string("a")), ("Value", .string("b"))])])),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "{\"Key\":\"a\",\"Value\":\"b\"}", "Key=c,Value='x,y'"], member: "Tags",
                 expected: .array([.object([("Key", .string("a")), ("Value", .string("b"))]),
                                   .object([("Key", .string("c")), ("Value", .string("x,y"))])])),
        // file:// loads the file
        TypeCase(args: ["describe-db-clusters", "--db-cluster-identifier", "file://id.txt"], member: "DBClusterIdentifier", expected: .string("from-file")),
        TypeCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "file://tags.json"], member: "Tags",
                 expected: .array([.object([("Key", .string("f")), ("Value", .string("g"))])])),
    ]

    @Test(arguments: typeCases)
    func acceptsTypes(_ c: TypeCase) throws {
        let files = ["id.txt": "from-file", "tags.json": "[{\"Key\": \"f\", \"Value\": \"g\"}]"]
        let r = try request(c.args, files: files)
        #expect(r[c.member] == c.expected, "\(r.serialized())")
    }

    @Test func createDBClusterSeedCommand() throws {
        let r = try request(["create-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--engine", "aurora-postgresql",
                             "--engine-version", "16.6-limitless", "--storage-type", "aurora-iopt1", "--cluster-scalability-type", "limitless",
                             "--master-username", "myuser", "--master-user-password", "mypassword", "--enable-performance-insights",
                             "--performance-insights-retention-period", "31", "--monitoring-interval", "5",
                             "--monitoring-role-arn", "arn:aws:iam::123456789012:role/EMrole", "--enable-cloudwatch-logs-exports", "postgresql"])
        // The body botocore built for the same command (Tests/Fixtures/aws-cli/req-create-db-cluster-seed.txt).
        #expect(r["DBClusterIdentifier"] == .string("my-limitless-cluster"))
        #expect(r["Engine"] == .string("aurora-postgresql"))
        #expect(r["EngineVersion"] == .string("16.6-limitless"))
        #expect(r["MasterUsername"] == .string("myuser"))
        #expect(r["MasterUserPassword"] == .string("mypassword"))
        #expect(r["EnableCloudwatchLogsExports"] == .array([.string("postgresql")]))
        #expect(r["StorageType"] == .string("aurora-iopt1"))
        #expect(r["MonitoringInterval"] == .int(5))
        #expect(r["MonitoringRoleArn"] == .string("arn:aws:iam::123456789012:role/EMrole"))
        #expect(r["EnablePerformanceInsights"] == .bool(true))
        #expect(r["PerformanceInsightsRetentionPeriod"] == .int(31))
        #expect(r["ClusterScalabilityType"] == .string("limitless"))
        #expect(r.objectValue?.count == 12)
    }

    @Test func listTakesEveryFollowingValue() throws {
        let r = try request(["create-db-cluster", "--db-cluster-identifier", "c", "--engine", "aurora-postgresql",
                             "--enable-cloudwatch-logs-exports", "postgresql", "upgrade", "--port", "5433"])
        #expect(r["EnableCloudwatchLogsExports"] == .array([.string("postgresql"), .string("upgrade")]))
        #expect(r["Port"] == .int(5433))
    }

    @Test func structureShorthandAndJSON() throws {
        let base = ["modify-db-cluster", "--db-cluster-identifier", "c"]
        let a = try request(base + ["--serverless-v2-scaling-configuration", "MinCapacity=0.5,MaxCapacity=8"])
        #expect(a["ServerlessV2ScalingConfiguration"] == .object([("MinCapacity", .double(0.5)), ("MaxCapacity", .double(8))]))
        let b = try request(base + ["--cloudwatch-logs-export-configuration", "{\"EnableLogTypes\":[\"postgresql\"]}"])
        #expect(b["CloudwatchLogsExportConfiguration"] == .object([("EnableLogTypes", .array([.string("postgresql")]))]))
        let c = try request(base + ["--cloudwatch-logs-export-configuration", "EnableLogTypes=postgresql,upgrade,DisableLogTypes=x"])
        #expect(c["CloudwatchLogsExportConfiguration"] == .object([
            ("EnableLogTypes", .array([.string("postgresql"), .string("upgrade")])), ("DisableLogTypes", .array([.string("x")]))]))
        let d = try request(base + ["--scaling-configuration", "MinCapacity=2,AutoPause=false"])
        #expect(d["ScalingConfiguration"] == .object([("MinCapacity", .int(2)), ("AutoPause", .bool(false))]))
    }

    @Test func cliInputJSONIsOverriddenByOptions() throws {
        let json = "{\"DBShardGroupIdentifier\": \"sg\", \"DBClusterIdentifier\": \"c\", \"MaxACU\": 100, \"MinACU\": 20}"
        let r = try request(["create-db-shard-group", "--cli-input-json", json, "--max-acu", "300"])
        #expect(r["MaxACU"] == .double(300))
        #expect(r["MinACU"] == .int(20))
        #expect(r["DBClusterIdentifier"] == .string("c"))
        let f = try request(["create-db-shard-group", "--cli-input-json", "file://in.json"], files: ["in.json": json])
        #expect(f["MaxACU"] == .int(100))
    }

    @Test func globalOptionsAnywhere() throws {
        let inv = try invocation(["--output", "text", "describe-db-clusters", "--region", "eu-west-1", "--debug", "--query", "DBClusters[0]"])
        #expect(inv.string("--output") == "text")
        #expect(inv.string("--region") == "eu-west-1")
        #expect(inv.flag("--debug"))
        #expect(inv.string("--query") == "DBClusters[0]")
        let skel = try invocation(["create-db-shard-group", "--generate-cli-skeleton"])
        #expect(skel.string("--generate-cli-skeleton") == "input")
        let out = try invocation(["create-db-shard-group", "--generate-cli-skeleton", "output"])
        #expect(out.string("--generate-cli-skeleton") == "output")
    }

    @Test func versionAndHelp() throws {
        guard case .version = try ArgumentParser().parse(["--version"]) else { Issue.record("no version"); return }
        guard case .version = try ArgumentParser().parse(["describe-db-clusters", "--version"]) else { Issue.record("no version"); return }
        guard case .help(nil) = try ArgumentParser().parse(["help"]) else { Issue.record("no help"); return }
        guard case .help(nil) = try ArgumentParser().parse(["--help"]) else { Issue.record("no --help"); return }
        guard case .help("create-db-shard-group") = try ArgumentParser().parse(["create-db-shard-group", "help"]) else {
            Issue.record("no command help"); return
        }
        guard case .help("sql") = try ArgumentParser().parse(["help", "sql"]) else { Issue.record("no help sql"); return }
    }

    @Test func sqlOptions() throws {
        let inv = try invocation(["sql", "--db-cluster-identifier", "c", "-c", "SELECT 1", "-f", "a.sql", "--command=SELECT 2",
                                  "-f", "-", "-cSELECT 3", "--output", "csv", "--on-error", "continue", "--single-transaction", "--quiet"])
        #expect(inv.appended.map(\.value) == ["SELECT 1", "a.sql", "SELECT 2", "-", "SELECT 3"])
        #expect(inv.appended.map(\.option) == ["--command", "--file", "--command", "--file", "--command"])
        #expect(inv.string("--output") == "csv")
        #expect(inv.string("--on-error") == "continue")
        #expect(inv.flag("--single-transaction"))
        #expect(inv.flag("--quiet"))
        // Free SQL text that says `help` is SQL, not a request for help.
        let h = try invocation(["sql", "--db-cluster-identifier", "c", "-c", "help"])
        #expect(h.appended.map(\.value) == ["help"])
        guard case .help("sql") = try ArgumentParser().parse(["sql", "help"]) else { Issue.record("sql help"); return }
    }

    // MARK: - Errors

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var args: [String]
        var text: String
        var status: Int32
        var testDescription: String { args.joined(separator: " ") }
    }

    static let usage = "usage: limitless [options] <command> [parameters]\nTo see help text, you can run:\n\n  limitless help\n  limitless <command> help\n"

    static let errorCases: [ErrorCase] = [
        ErrorCase(args: shardGroupBase + ["--min-acu", "16"], text: usage + "limitless: error: the following arguments are required: --max-acu\n", status: 252),
        ErrorCase(args: ["create-db-shard-group"], text: usage + "limitless: error: the following arguments are required: --db-shard-group-identifier, --db-cluster-identifier, --max-acu\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acus", "1000"], text: usage + "limitless: error: the following arguments are required: --max-acu\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "1000", "--max-acus", "1000"], text: usage + "\nUnknown options: --max-acus, 1000\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "1000", "extra"], text: usage + "\nUnknown options: extra\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "abc"], text: usage + "limitless: error: argument --max-acu: invalid float value: 'abc'\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu"], text: usage + "limitless: error: argument --max-acu: expected one argument\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "--min-acu", "16"], text: usage + "limitless: error: argument --max-acu: expected one argument\n", status: 252),
        ErrorCase(args: ["describe-db-clusters", "--db-cluster-identifier", "-abc"], text: usage + "limitless: error: argument --db-cluster-identifier: expected one argument\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--m", "1000"], text: usage + "limitless: error: ambiguous option: --m could match --max-acu, --min-acu\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--m=5"], text: usage + "limitless: error: ambiguous option: --m=5 could match --max-acu, --min-acu\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--publicly-accessible=yes"], text: usage + "limitless: error: argument --publicly-accessible: ignored explicit argument 'yes'\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--tags"], text: usage + "limitless: error: argument --tags: expected at least one argument\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "1000", "--compute-redundancy", "abc"], text: "\ninvalid literal for int() with base 10: 'abc'\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "1000", "--compute-redundancy", "1.5"], text: "\ninvalid literal for int() with base 10: '1.5'\n", status: 252),
        ErrorCase(args: [], text: usage + "limitless: error: the following arguments are required: command\n", status: 252),
        ErrorCase(args: ["--bogus", "describe-db-clusters"], text: usage + "\nUnknown options: --bogus\n", status: 252),
        ErrorCase(args: ["--output", "yaml", "describe-db-clusters"],
                  text: usage + "limitless: error: argument --output: Invalid choice, valid choices are:\n\njson                                     | text                                    \ntable                                   \n",
                  status: 252),
        ErrorCase(args: ["describe-db-shard-groups", "--output", "yaml"],
                  text: usage + "limitless: error: argument --output: Invalid choice, valid choices are:\n\njson                                     | text                                    \ntable                                   \n",
                  status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "Key"],
                  text: "\nError parsing parameter '--tags': Expected: '=', received: 'EOF' for input:\nKey\n   ^\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "Key=a,Colour=b"],
                  text: "\nParameter validation failed:\nUnknown parameter in --tags: \"Colour\", must be one of: Key, Value\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "[{\"Key\": 1}]"],
                  text: "\nParameter validation failed:\nInvalid type for parameter Tags[0].Key, value: 1, type: <class 'int'>, valid types: <class 'str'>\n", status: 252),
        ErrorCase(args: shardGroupBase + ["--max-acu", "10", "--tags", "[{\"Key\": "],
                  text: "\nError parsing parameter '--tags': Invalid JSON: unexpected end of input at character 9\nJSON received: [{\"Key\": \n", status: 252),
        ErrorCase(args: ["describe-db-clusters", "--db-cluster-identifier", "file://missing.txt"],
                  text: "\nError parsing parameter '--db-cluster-identifier': Unable to load paramfile file://missing.txt: [Errno 2] No such file or directory: 'missing.txt'\n", status: 252),
        ErrorCase(args: ["create-db-shard-group", "--cli-input-json", "{\"MaxACU\": 10}"],
                  text: "\nParameter validation failed:\nMissing required parameter in input: \"DBShardGroupIdentifier\"\nMissing required parameter in input: \"DBClusterIdentifier\"\n", status: 252),
        ErrorCase(args: ["create-db-shard-group", "--cli-input-json", "{\"MaxACU\": \"x\", \"Bogus\": 1}"],
                  text: "\nParameter validation failed:\nInvalid type for parameter MaxACU, value: 'x', type: <class 'str'>, valid types: <class 'float'>, <class 'decimal.Decimal'>, <class 'int'>\nUnknown parameter in input: \"Bogus\", must be one of: DBShardGroupIdentifier, DBClusterIdentifier, ComputeRedundancy, MaxACU, MinACU, PubliclyAccessible, Tags\n", status: 252),
        ErrorCase(args: ["sql", "-c", "SELECT 1"], text: usage + "limitless: error: the following arguments are required: --db-cluster-identifier\n", status: 252),
        ErrorCase(args: ["sql", "--db-cluster-identifier", "c", "-c"], text: usage + "limitless: error: argument -c/--command: expected one argument\n", status: 252),
        ErrorCase(args: ["sql", "--db-cluster-identifier", "c", "--output", "xml"],
                  text: usage + "limitless: error: argument --output: Invalid choice, valid choices are:\n\ntable                                    | json                                    \ncsv                                      | tsv                                     \n", status: 252),
    ]

    @Test(arguments: errorCases)
    func errors(_ c: ErrorCase) {
        let e = failure(c.args)
        #expect(e?.text == c.text)
        #expect(e?.status == c.status)
    }

    @Test func unknownCommandSuggestsCloseMatches() {
        let e = failure(["create-db-shard-groups", "--db-shard-group-identifier", "x"])
        let text = e?.text ?? ""
        #expect(text.hasPrefix(Self.usage + "limitless: error: argument command: Invalid choice, valid choices are:\n\ncreate-db-cluster                        | describe-db-clusters                    \n"))
        #expect(text.hasSuffix("\n\n\nInvalid choice: 'create-db-shard-groups', maybe you meant:\n\n  * create-db-shard-group\n  * reboot-db-shard-group\n  * delete-db-shard-group\n"))
        #expect(e?.status == 252)
        #expect(!text.contains("__complete"))
    }

    @Test func difflibRatio() {
        // Values from Python's difflib.SequenceMatcher(None, a, b).ratio().
        #expect(Difflib.ratio("abcd", "bcde") == 0.75)
        #expect(Difflib.ratio("rds", "rdss") == 6.0 / 7.0)
        #expect(Difflib.closeMatches("describe-db-clusterz", CommandTable.visibleCommandNames, cutoff: 0.8) == ["describe-db-clusters"])
        #expect(Difflib.closeMatches("zzz", CommandTable.visibleCommandNames, cutoff: 0.8).isEmpty)
    }

    @Test func pythonNumberParsing() {
        #expect(ArgumentParser.pythonFloat("inf") == .infinity)
        #expect(ArgumentParser.pythonFloat("0x10") == nil)
        #expect(ArgumentParser.pythonFloat("1__0") == nil)
        #expect(ArgumentParser.pythonFloat("") == nil)
        #expect(ArgumentParser.pythonInt(" 42\n") == 42)
        #expect(ArgumentParser.pythonInt("4_2") == 42)
        #expect(ArgumentParser.pythonInt("4.0") == nil)
        #expect(ArgumentParser.isNegativeNumber("-1"))
        #expect(ArgumentParser.isNegativeNumber("-.5"))
        #expect(!ArgumentParser.isNegativeNumber("-a"))
    }

    @Test func skeletonHasEveryMember() {
        let cmd = CommandTable.command("create-db-shard-group")!
        let s = Parameters.skeleton(Parameters.inputShape(cmd))
        #expect(s.serialized(.compact) == "{\"DBShardGroupIdentifier\":\"\",\"DBClusterIdentifier\":\"\",\"ComputeRedundancy\":0,\"MaxACU\":0.0,\"MinACU\":0.0,\"PubliclyAccessible\":true,\"Tags\":[{\"Key\":\"\",\"Value\":\"\"}]}")
    }

    @Test func passwordRules() {
        for good in ["mypassword", "12345678", String(repeating: "a", count: 128), "a!#$%^&*()b"] {
            #expect((try? Rules.checkPassword(good)) != nil, "\(good)")
        }
        for bad in ["short", String(repeating: "a", count: 129), "has space", "with/slash", "with@at", "with\"quote", "tab\there", "é-accent-x"] {
            #expect((try? Rules.checkPassword(bad)) == nil, "\(bad)")
        }
    }

    @Test func identifierRules() {
        for good in ["a", "my-limitless-cluster", "A1-b2", String(repeating: "a", count: 63)] { #expect(Rules.isValidIdentifier(good), "\(good)") }
        for bad in ["", "1abc", "-a", "a-", "a--b", "a_b", "a.b", String(repeating: "a", count: 64), "../x"] {
            #expect(!Rules.isValidIdentifier(bad), "\(bad)")
        }
    }

    @Test func topologyTable() {
        let expected: [(Double, Int, Int)] = [(16, 2, 2), (400, 2, 2), (401, 2, 3), (1000, 4, 6), (1001, 4, 7), (2300, 8, 15), (2301, 8, 16), (6144, 8, 16)]
        for (acu, routers, shards) in expected {
            let t = Rules.topology(maxACU: acu)
            #expect(t.routers == routers && t.shards == shards, "\(acu)")
        }
    }

    @Test func passwordHashIsSaltedPBKDF2() {
        // RFC 7914 test vector for PBKDF2-HMAC-SHA256 ("passwd", "salt", 1 iteration), first 32 bytes.
        let h = SHA256.pbkdf2(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(SHA256.hex(h) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
