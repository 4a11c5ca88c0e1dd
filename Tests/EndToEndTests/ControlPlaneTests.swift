import Foundation
import Testing
import LimitlessSupport

/// End-to-end tests of the `aws rds`-compatible commands: they run the built binary in a
/// temporary LIMITLESS_HOME and compare with what the real aws CLI printed
/// (Tests/Fixtures/aws-cli; see README.txt there for which server answers are synthetic).
enum Fixture {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/aws-cli").path

    static func text(_ name: String) -> String {
        (try? String(contentsOfFile: root + "/" + name, encoding: .utf8)) ?? "<missing \(name)>"
    }

    static func json(_ name: String) -> JSON {
        (try? JSON.parse(text(name))) ?? .null
    }

    /// An err-*.txt file: (stderr, exit code).
    static func error(_ name: String) -> (String, Int32) {
        var t = text(name)
        guard let r = t.range(of: "exit=", options: .backwards) else { return (t, -1) }
        let code = Int32(t[r.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        t.removeSubrange(r.lowerBound...)
        return (t, code)
    }

    /// A parser error as limitless prints it: no "\r"+advertisement line, `limitless` for `aws`,
    /// one level of commands in the usage block.
    static func limitlessParserError(_ name: String) -> String {
        let (aws, _) = error(name)
        var lines = aws.components(separatedBy: "\n")
        lines.removeFirst(2)  // "usage: \rNote: AWS CLI version 2 ..." and the blank line after it
        let body = lines.joined(separator: "\n")
        let awsUsage = "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\nTo see help text, you can run:\n\n  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
        return body.replacingOccurrences(of: awsUsage, with: ControlPlaneTests.usage)
            .replacingOccurrences(of: "aws: error:", with: "limitless: error:")
    }
}

let seedCluster = ["create-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--engine", "aurora-postgresql",
                   "--engine-version", "16.6-limitless", "--storage-type", "aurora-iopt1", "--cluster-scalability-type", "limitless",
                   "--master-username", "myuser", "--master-user-password", "mypassword", "--enable-performance-insights",
                   "--performance-insights-retention-period", "31", "--monitoring-interval", "5",
                   "--monitoring-role-arn", "arn:aws:iam::123456789012:role/EMrole", "--enable-cloudwatch-logs-exports", "postgresql"]
let seedShardGroup = ["create-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group", "--db-cluster-identifier",
                      "my-limitless-cluster", "--max-acu", "1000", "--min-acu", "16", "--compute-redundancy", "1", "--publicly-accessible"]

func matches(_ s: String?, _ pattern: String) -> Bool {
    guard let s else { return false }
    return s.range(of: "^" + pattern + "$", options: .regularExpression) != nil
}

/// Every file under `home` with its content and mode, to prove a failed command wrote nothing.
func snapshot(_ home: String) -> [String: String] {
    var out: [String: String] = [:]
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: home) else { return out }
    while let rel = e.nextObject() as? String {
        let path = home + "/" + rel
        let attrs = try? fm.attributesOfItem(atPath: path)
        let mode = (attrs?[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
        let data = fm.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "<dir>"
        out[rel] = mode + ":" + data
    }
    return out
}

@Suite(.serialized) struct ControlPlaneTests {
    static let usage = "usage: limitless [options] <command> [parameters]\nTo see help text, you can run:\n\n  limitless help\n  limitless <command> help\n"

    func seeded() throws -> Harness {
        let h = try Harness()
        let a = try h.run(seedCluster)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try h.run(seedShardGroup)
        #expect(b.status == 0, "\(b.stderr)")
        return h
    }

    @Test func seedCreateDBClusterMatchesTheReference() throws {
        let h = try Harness()
        let r = try h.run(seedCluster)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let ours = try JSON.parse(r.stdout)
        let reference = Fixture.json("create-db-cluster.json")
        guard let c = ours["DBCluster"], let ref = reference["DBCluster"], case let .object(refMembers) = ref,
              case let .object(ourMembers) = c else {
            Issue.record("no DBCluster in \(r.stdout)"); return
        }
        #expect(ours.objectValue?.map(\.0) == ["DBCluster"])
        // Same values where the reference is neither random, clock-dependent nor a moto artefact.
        let random: Set<String> = ["Endpoint", "ReaderEndpoint", "HostedZoneId", "DbClusterResourceId", "ClusterCreateTime",
                                   "EarliestRestorableTime", "LatestRestorableTime", "PreferredBackupWindow", "PreferredMaintenanceWindow"]
        // moto artefacts: Status "creating" (we are available at once), DBClusterParameterGroup
        // "default.aurora8.0" (wrong family for aurora-postgresql 16), KmsKeyId on an unencrypted cluster.
        let moto: Set<String> = ["Status", "DBClusterParameterGroup", "KmsKeyId"]
        for (key, value) in refMembers where !random.contains(key) && !moto.contains(key) {
            #expect(c[key] == value, "\(key): \(c[key]?.serialized() ?? "missing") vs \(value.serialized())")
        }
        for key in random { #expect(c[key] != nil, "\(key) missing") }
        // Keys come in the model's order: the reference's keys appear in ours in the same order.
        let ourKeys = ourMembers.map(\.0)
        let shared = refMembers.map(\.0).filter { ourKeys.contains($0) }
        #expect(shared == ourKeys.filter { shared.contains($0) })
        // Random and time values look like real ones.
        #expect(matches(c["Endpoint"]?.stringValue, "my-limitless-cluster\\.cluster-[a-z0-9]{12}\\.us-east-1\\.rds\\.amazonaws\\.com"))
        #expect(matches(c["ReaderEndpoint"]?.stringValue, "my-limitless-cluster\\.cluster-ro-[a-z0-9]{12}\\.us-east-1\\.rds\\.amazonaws\\.com"))
        #expect(matches(c["DbClusterResourceId"]?.stringValue, "cluster-[A-Z0-9]{26}"))
        #expect(matches(c["HostedZoneId"]?.stringValue, "[A-Z0-9]{14}"))
        #expect(matches(c["ClusterCreateTime"]?.stringValue, "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"))
        #expect(matches(c["PreferredBackupWindow"]?.stringValue, "\\d\\d:\\d\\d-\\d\\d:\\d\\d"))
        #expect(matches(c["PreferredMaintenanceWindow"]?.stringValue, "[a-z]{3}:\\d\\d:\\d\\d-[a-z]{3}:\\d\\d:\\d\\d"))
        #expect(c["Status"] == .string("available"))
        // What moto dropped and we must not.
        #expect(c["ClusterScalabilityType"] == .string("limitless"))
        #expect(c["PerformanceInsightsEnabled"] == .bool(true))
        #expect(c["PerformanceInsightsRetentionPeriod"] == .int(31))
        #expect(c["MonitoringInterval"] == .int(5))
        #expect(c["MonitoringRoleArn"] == .string("arn:aws:iam::123456789012:role/EMrole"))
        #expect(c["LimitlessDatabase"]?["Status"] == .string("not-in-use"))
        #expect(!r.stdout.contains("mypassword"))
    }

    @Test func seedCreateDBShardGroupMatchesTheReference() throws {
        let h = try Harness()
        _ = try h.run(seedCluster)
        let r = try h.run(seedShardGroup)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let ours = try JSON.parse(r.stdout)
        let ref = Fixture.json("create-db-shard-group.json")
        #expect(ours.objectValue?.map(\.0) == ref.objectValue?.map(\.0))
        for key in ["DBShardGroupIdentifier", "DBClusterIdentifier", "MaxACU", "MinACU", "ComputeRedundancy", "Status",
                    "PubliclyAccessible", "TagList"] {
            #expect(ours[key] == ref[key], "\(key)")
        }
        #expect(r.stdout.contains("\"MaxACU\": 1000.0,\n"))
        let id = ours["DBShardGroupResourceId"]?.stringValue ?? ""
        #expect(matches(id, "shardgroup-[0-9a-f]{32}"))
        #expect(ours["DBShardGroupArn"]?.stringValue == "arn:aws:rds:us-east-1:123456789012:shard-group:" + id)
        #expect(matches(ours["Endpoint"]?.stringValue, "my-limitless-cluster\\.limitless-[a-z0-9]{12}\\.us-east-1\\.rds\\.amazonaws\\.com"))
        // MaxACU 1000 -> 4 routers, 6 shards, in the data folder.
        let data = h.home + "/clusters/my-limitless-cluster/data"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []
        #expect(files.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".db") }.count == 6)
        #expect(files.contains("router.db"))
        let d = try h.run(["describe-db-shard-groups", "--debug"])
        #expect(d.stderr.contains("4 routers, 6 shards"))
        // The cluster now shows its limitless database in use.
        let c = try JSON.parse(try h.run(["describe-db-clusters"]).stdout)
        #expect(c["DBClusters"]?.arrayValue?.first?["LimitlessDatabase"]?["Status"] == .string("active"))
    }

    @Test func shardCountFollowsMaxACU() throws {
        for (acu, shards) in [("16", 2), ("401", 3), ("2301", 16)] {
            let h = try Harness()
            _ = try h.run(seedCluster)
            let r = try h.run(["create-db-shard-group", "--db-shard-group-identifier", "g", "--db-cluster-identifier",
                               "my-limitless-cluster", "--max-acu", acu])
            #expect(r.status == 0, "\(r.stderr)")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: h.home + "/clusters/my-limitless-cluster/data")) ?? []
            #expect(files.filter { $0.hasPrefix("shard-") }.count == shards, "\(acu)")
            // Modifying MaxACU keeps the shard count.
            _ = try h.run(["modify-db-shard-group", "--db-shard-group-identifier", "g", "--max-acu", "6144"])
            let after = (try? FileManager.default.contentsOfDirectory(atPath: h.home + "/clusters/my-limitless-cluster/data")) ?? []
            #expect(after.filter { $0.hasPrefix("shard-") }.count == shards, "\(acu)")
        }
    }

    @Test func describeModifyRebootDeleteNormalPaths() throws {
        let h = try seeded()
        let clusters = try JSON.parse(try h.run(["describe-db-clusters"]).stdout)
        #expect(clusters.objectValue?.map(\.0) == ["DBClusters"])
        #expect(clusters["DBClusters"]?.arrayValue?.count == 1)
        let one = try h.run(["describe-db-clusters", "--db-cluster-identifier", "my-limitless-cluster"])
        #expect(one.status == 0)
        let byARN = try h.run(["describe-db-clusters", "--db-cluster-identifier", "arn:aws:rds:us-east-1:123456789012:cluster:my-limitless-cluster"])
        #expect(try JSON.parse(byARN.stdout)["DBClusters"]?.arrayValue?.count == 1)
        let upper = try h.run(["describe-db-clusters", "--db-cluster-identifier", "My-Limitless-Cluster"])
        #expect(try JSON.parse(upper.stdout)["DBClusters"]?.arrayValue?.count == 1)
        let groups = try JSON.parse(try h.run(["describe-db-shard-groups"]).stdout)
        let byID = try JSON.parse(try h.run(["describe-db-shard-groups", "--db-shard-group-identifier", "my-db-shard-group"]).stdout)
        #expect(groups == byID)
        #expect(groups["DBShardGroups"]?.arrayValue?.first?.objectValue?.map(\.0)
                == Fixture.json("describe-db-shard-groups.json")["DBShardGroups"]?.arrayValue?.first?.objectValue?.map(\.0))

        let m = try h.run(["modify-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group", "--max-acu", "2000"])
        #expect(m.status == 0)
        let mj = try JSON.parse(m.stdout)
        let refModify = Fixture.json("modify-db-shard-group.json")
        #expect(mj.objectValue?.map(\.0) == refModify.objectValue?.map(\.0))
        for key in ["MaxACU", "MinACU", "ComputeRedundancy", "Status", "PubliclyAccessible", "TagList"] {
            #expect(mj[key] == refModify[key], "\(key)")
        }
        let after = try JSON.parse(try h.run(["describe-db-shard-groups"]).stdout)
        #expect(after["DBShardGroups"]?.arrayValue?.first?["MaxACU"] == .double(2000))
        #expect(after["DBShardGroups"]?.arrayValue?.first?["Status"] == .string("available"))

        let rb = try JSON.parse(try h.run(["reboot-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group"]).stdout)
        #expect(rb["Status"] == .string("rebooting"))
        #expect(rb.objectValue?.map(\.0) == Fixture.json("reboot-db-shard-group.json").objectValue?.map(\.0))

        let del = try h.run(["delete-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group"])
        #expect(del.status == 0)
        #expect(try JSON.parse(del.stdout)["Status"] == .string("deleting"))
        #expect(!FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster/data"))
        #expect(try h.run(["describe-db-shard-groups"]).stdout == Fixture.text("describe-db-shard-groups.after-delete.json"))

        let dc = try h.run(["delete-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--skip-final-snapshot"])
        #expect(dc.status == 0)
        let dcj = try JSON.parse(dc.stdout)
        #expect(dcj["DBCluster"]?["DBClusterIdentifier"] == .string("my-limitless-cluster"))
        #expect(!FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster"))
        #expect(try h.run(["describe-db-clusters"]).stdout == Fixture.text("describe-db-clusters.after-delete.json"))
    }

    @Test func modifyDBCluster() throws {
        let h = try Harness()
        _ = try h.run(seedCluster)
        let r = try h.run(["modify-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--backup-retention-period", "7",
                           "--deletion-protection", "--cloudwatch-logs-export-configuration", "EnableLogTypes=iam-db-auth-error",
                           "--master-user-password", "another-secret", "--apply-immediately"])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try JSON.parse(r.stdout)["DBCluster"]
        #expect(c?["BackupRetentionPeriod"] == .int(7))
        #expect(c?["DeletionProtection"] == .bool(true))
        #expect(c?["EnabledCloudwatchLogsExports"] == .array([.string("postgresql"), .string("iam-db-auth-error")]))
        // Deletion protection is honoured.
        let d = try h.run(["delete-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--skip-final-snapshot"])
        #expect(d.status == 254)
        #expect(d.stderr.contains("(InvalidParameterCombination) when calling the DeleteDBCluster operation"))
        // Rename.
        _ = try h.run(["modify-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--no-deletion-protection"])
        let n = try h.run(["modify-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--new-db-cluster-identifier", "renamed"])
        #expect(n.status == 0, "\(n.stderr)")
        let nc = try JSON.parse(n.stdout)["DBCluster"]
        #expect(nc?["DBClusterArn"] == .string("arn:aws:rds:us-east-1:123456789012:cluster:renamed"))
        #expect(matches(nc?["Endpoint"]?.stringValue, "renamed\\.cluster-[a-z0-9]{12}\\.us-east-1\\.rds\\.amazonaws\\.com"))
        #expect(try h.run(["describe-db-clusters", "--db-cluster-identifier", "my-limitless-cluster"]).status == 254)
        #expect(try h.run(["describe-db-clusters", "--db-cluster-identifier", "renamed"]).status == 0)
        let all = try String(contentsOfFile: h.home + "/clusters/renamed/cluster.json", encoding: .utf8)
        #expect(!all.contains("another-secret"))
    }

    @Test func finalSnapshotKeepsACopy() throws {
        let h = try Harness()
        _ = try h.run(seedCluster)
        let r = try h.run(["delete-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--final-db-snapshot-identifier", "final-1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: h.home + "/snapshots/final-1/cluster.json"))
        #expect(!FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster"))
    }

    @Test func regionGoesIntoARNsAndEndpoints() throws {
        let h = try Harness()
        let r = try h.run(seedCluster + ["--region", "eu-west-1"])
        let c = try JSON.parse(r.stdout)["DBCluster"]
        #expect(c?["DBClusterArn"] == .string("arn:aws:rds:eu-west-1:123456789012:cluster:my-limitless-cluster"))
        #expect(c?["AvailabilityZones"]?.arrayValue?.first == .string("eu-west-1a"))
        #expect(c?["Endpoint"]?.stringValue?.hasSuffix(".eu-west-1.rds.amazonaws.com") == true)
        let g = try JSON.parse(try h.run(seedShardGroup).stdout)
        #expect(g["DBShardGroupArn"]?.stringValue?.hasPrefix("arn:aws:rds:eu-west-1:123456789012:shard-group:shardgroup-") == true)
        let h2 = try Harness()
        let e = try h2.run(seedCluster, env: ["AWS_REGION": "ap-south-1"])
        #expect(e.stdout.contains("arn:aws:rds:ap-south-1:123456789012:cluster:my-limitless-cluster"))
    }

    // MARK: - Output formats

    @Test func textOutputMatchesTheReference() throws {
        let h = try Harness()
        _ = try h.run(seedCluster)
        let r = try h.run(seedShardGroup + ["--output", "text"])
        let g = try JSON.parse(try h.run(["describe-db-shard-groups"]).stdout)["DBShardGroups"]?.arrayValue?.first
        // Put the reference's deterministic moto values in place of our random ones, then compare bytes.
        func normalise(_ s: String) -> String {
            s.replacingOccurrences(of: g?["DBShardGroupArn"]?.stringValue ?? "?", with: "arn:aws:rds:us-east-1:123456789012:shard-group:my-db-shard-group")
                .replacingOccurrences(of: g?["DBShardGroupResourceId"]?.stringValue ?? "?", with: "shard-group-my-db-shard-group")
                .replacingOccurrences(of: g?["Endpoint"]?.stringValue ?? "?", with: "my-limitless-cluster.us-east-1.rds.amazonaws.com")
        }
        #expect(normalise(r.stdout) == Fixture.text("create-db-shard-group.text"))
        let d = try h.run(["describe-db-shard-groups", "--output", "text"])
        #expect(normalise(d.stdout) == Fixture.text("describe-db-shard-groups.text"))
        // Empty results: 0 bytes of text, the 3-line title box for table (stock moto recordings).
        let e = try Harness()
        #expect(try e.run(["describe-db-shard-groups", "--output", "text"]).stdout == Fixture.text("stock-moto/describe-db-shard-groups.text"))
        #expect(try e.run(["describe-db-clusters", "--output", "table"]).stdout == Fixture.text("stock-moto/describe-db-clusters.table"))
        #expect(try e.run(["describe-db-shard-groups", "--output", "table"]).stdout == Fixture.text("stock-moto/describe-db-shard-groups.table"))
    }

    @Test func tableOutputHasTheOperationTitle() throws {
        let h = try Harness()
        _ = try h.run(seedCluster)
        let r = try h.run(seedShardGroup + ["--output", "table"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 14)
        #expect(lines[1].contains("CreateDBShardGroup"))
        #expect(lines.contains { $0.contains("MaxACU") && $0.contains("1000.0") })
    }

    @Test func query() throws {
        let h = try seeded()
        let r = try h.run(["describe-db-shard-groups", "--query", "DBShardGroups[0].MaxACU"])
        #expect(r.stdout == "1000.0\n")
        let t = try h.run(["describe-db-clusters", "--query", "DBClusters[].DBClusterIdentifier", "--output", "text"])
        #expect(t.stdout == "my-limitless-cluster\n")
        let f = try h.run(["describe-db-clusters", "--query", "DBClusters[?Engine=='aurora-postgresql'].{id: DBClusterIdentifier, port: Port}"])
        #expect(try JSON.parse(f.stdout) == .array([.object([("id", .string("my-limitless-cluster")), ("port", .int(5432))])]))
        let n = try h.run(["describe-db-shard-groups", "--query", "length(DBShardGroups)"])
        #expect(n.stdout == "1\n")
        let c = try h.run(seedShardGroup.map { $0 == "my-db-shard-group" ? "second" : $0 } + ["--query", "Status"])
        #expect(c.status == 254)  // the cluster already has its group: the query does not hide errors
        // A bad expression is refused before anything runs.
        let before = snapshot(h.home)
        let bad = try h.run(["delete-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group", "--query", "DBClusters["])
        #expect(bad.status == 252)
        #expect(bad.stderr.contains("Bad value for --query DBClusters["))
        #expect(snapshot(h.home) == before)
        // One that compiles but fails on the data prints JMESPath's message and exits 255.
        let unknown = try h.run(["describe-db-clusters", "--query", "nope(@)"])
        #expect(unknown.status == 255)
        #expect(unknown.stdout == "")
        #expect(unknown.stderr == "\nUnknown function: nope()\n")
    }

    @Test func generateSkeletonAndInputJSON() throws {
        let h = try Harness()
        let s = try h.run(["create-db-shard-group", "--generate-cli-skeleton"])
        #expect(s.status == 0)
        #expect(s.stdout == """
            {
                "DBShardGroupIdentifier": "",
                "DBClusterIdentifier": "",
                "ComputeRedundancy": 0,
                "MaxACU": 0.0,
                "MinACU": 0.0,
                "PubliclyAccessible": true,
                "Tags": [
                    {
                        "Key": "",
                        "Value": ""
                    }
                ]
            }

            """)
        #expect(try h.run(["describe-db-clusters"]).stdout == "{\n    \"DBClusters\": []\n}\n")
        _ = try h.run(seedCluster)
        let input = h.home + ".input.json"
        try "{\"DBShardGroupIdentifier\": \"from-json\", \"DBClusterIdentifier\": \"my-limitless-cluster\", \"MaxACU\": 100}"
            .write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let r = try h.run(["create-db-shard-group", "--cli-input-json", "file://" + input, "--max-acu", "500"])
        #expect(r.status == 0, "\(r.stderr)")
        let g = try JSON.parse(r.stdout)
        #expect(g["DBShardGroupIdentifier"] == .string("from-json"))
        #expect(g["MaxACU"] == .double(500))
    }

    @Test func helpAndVersion() throws {
        let h = try Harness()
        let top = try h.run(["help"])
        #expect(top.status == 0)
        for name in ["create-db-cluster", "describe-db-clusters", "delete-db-cluster", "create-db-shard-group", "describe-db-shard-groups",
                     "modify-db-shard-group", "delete-db-shard-group", "reboot-db-shard-group", "modify-db-cluster", "sql"] {
            #expect(top.stdout.contains(name), "\(name)")
        }
        #expect(!top.stdout.contains("__complete"))
        #expect(try h.run(["--help"]).stdout == top.stdout)
        let one = try h.run(["create-db-shard-group", "help"])
        #expect(one.status == 0)
        for opt in ["--db-shard-group-identifier", "--db-cluster-identifier", "--compute-redundancy", "--max-acu", "--min-acu",
                    "--publicly-accessible | --no-publicly-accessible", "--tags"] {
            #expect(one.stdout.contains(opt), "\(opt)")
        }
        #expect(try h.run(["help", "create-db-shard-group"]).stdout == one.stdout)
        #expect(try h.run(["create-db-shard-group", "--help"]).stdout == one.stdout)
        let sql = try h.run(["sql", "help"])
        #expect(sql.stdout.contains("-c|--command"))
        let v = try h.run(["--version"])
        #expect(v.status == 0 && v.stdout.hasPrefix("limitless "))
    }

    // MARK: - Errors

    @Test(arguments: ["err-missing-max-acu", "err-missing-engine", "err-missing-all-required", "err-unknown-option",
                      "err-non-numeric-max-acu", "err-missing-value-max-acu", "err-ambiguous-abbreviation", "err-invalid-output",
                      "err-unknown-option-extra"])
    func parserErrorsMatchTheReference(_ name: String) throws {
        // The command of each case, from cases.json, with "aws rds" and the endpoint dropped.
        let cases = Fixture.json("cases.json")
        var command: [String] = []
        for set in cases["sets"]?.objectValue?.map(\.1) ?? cases.objectValue?.map(\.1) ?? [] {
            for c in set.arrayValue ?? [] where c["case"]?.stringValue == name {
                command = (c["command"]?.stringValue ?? "").components(separatedBy: " ")
            }
        }
        if command.isEmpty { command = Self.commands[name] ?? [] }
        #expect(!command.isEmpty, "no command for \(name)")
        let h = try Harness()
        let r = try h.run(Self.limitlessArgs(command))
        #expect(r.stderr == Fixture.limitlessParserError(name + ".txt"))
        #expect(r.status == 252)
        #expect(r.stdout == "")
    }

    static let commands: [String: [String]] = [
        "err-missing-max-acu": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --min-acu 16 --compute-redundancy 1 --publicly-accessible --output json",
        "err-missing-engine": "create-db-cluster --db-cluster-identifier my-limitless-cluster --engine-version 16.6-limitless --storage-type aurora-iopt1 --cluster-scalability-type limitless --master-username myuser --master-user-password mypassword --enable-performance-insights --performance-insights-retention-period 31 --monitoring-interval 5 --monitoring-role-arn arn:aws:iam::123456789012:role/EMrole --enable-cloudwatch-logs-exports postgresql --output json",
        "err-missing-all-required": "create-db-shard-group --output json",
        "err-unknown-option": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --max-acus 1000 --min-acu 16 --output json",
        "err-unknown-option-extra": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --max-acu 1000 --max-acus 1000 --output json",
        "err-non-numeric-max-acu": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --max-acu abc --output json",
        "err-missing-value-max-acu": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --max-acu --output json",
        "err-ambiguous-abbreviation": "create-db-shard-group --db-shard-group-identifier my-db-shard-group --db-cluster-identifier my-limitless-cluster --m 1000 --output json",
        "err-invalid-output": "describe-db-shard-groups --output yaml",
    ].mapValues { $0.components(separatedBy: " ") }

    /// `aws rds X ... --endpoint-url URL` -> `X ...`.
    static func limitlessArgs(_ words: [String]) -> [String] {
        var w = words
        if w.first == "aws" { w.removeFirst() }
        if w.first == "rds" { w.removeFirst() }
        if let i = w.firstIndex(of: "--endpoint-url"), i + 1 < w.count { w.removeSubrange(i...(i + 1)) }
        return w
    }

    @Test func unknownCommandAndNoCommand() throws {
        let h = try Harness()
        let r = try h.run(["create-db-shard-groups", "--db-shard-group-identifier", "my-db-shard-group"])
        #expect(r.status == 252)
        #expect(r.stderr.hasPrefix(Self.usage + "limitless: error: argument command: Invalid choice, valid choices are:\n\n"))
        #expect(r.stderr.hasSuffix("\n\n\nInvalid choice: 'create-db-shard-groups', maybe you meant:\n\n  * create-db-shard-group\n  * reboot-db-shard-group\n  * delete-db-shard-group\n"))
        let n = try h.run([])
        #expect(n.status == 252)
        #expect(n.stderr == Self.usage + "limitless: error: the following arguments are required: command\n")
        let u = try h.run(["describe-db-clusters", "--endpoint-url", "example.com"])
        #expect(u.stderr == "\nBad value for --endpoint-url \"example.com\": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/\n")
        #expect(u.status == 252)
        #expect(try h.run(["describe-db-clusters", "--endpoint-url", "http://127.0.0.1:5055"]).status == 0)
        let i = try h.run(["create-db-shard-group", "--db-shard-group-identifier", "x", "--db-cluster-identifier", "y",
                           "--max-acu", "1000", "--compute-redundancy", "abc"])
        #expect(i.stderr == Fixture.error("err-non-integer-compute-redundancy.txt").0)
        #expect(i.status == 252)
    }

    @Test func serviceErrorsMatchTheReference() throws {
        let h = try seeded()
        let cases: [(String, [String])] = [
            ("err-duplicate-cluster.txt", seedCluster),
            ("err-duplicate-shard-group.txt", seedShardGroup),
            ("err-shard-group-no-cluster.txt", ["create-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group",
                                                "--db-cluster-identifier", "does-not-exist", "--max-acu", "1000"]),
            ("err-describe-unknown-shard-group.txt", ["describe-db-shard-groups", "--db-shard-group-identifier", "no-such-shard-group"]),
            ("err-modify-unknown-shard-group.txt", ["modify-db-shard-group", "--db-shard-group-identifier", "no-such-shard-group", "--max-acu", "2000"]),
            ("err-reboot-unknown-shard-group.txt", ["reboot-db-shard-group", "--db-shard-group-identifier", "no-such-shard-group"]),
            ("err-delete-unknown-shard-group.txt", ["delete-db-shard-group", "--db-shard-group-identifier", "no-such-shard-group"]),
            ("err-delete-unknown-cluster.txt", ["delete-db-cluster", "--db-cluster-identifier", "no-such-cluster", "--skip-final-snapshot"]),
        ]
        for (file, args) in cases {
            let before = snapshot(h.home)
            let r = try h.run(args)
            #expect(r.stderr == Fixture.error(file).0, "\(file)")
            #expect(r.status == 254, "\(file)")
            #expect(r.stdout == "")
            #expect(snapshot(h.home) == before, "\(file) changed files")
        }
    }

    /// Each bad request: the error code it must give; none may change a file.
    static let serviceRules: [([String], String)] = [
        (["create-db-cluster", "--db-cluster-identifier", "1bad", "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "bad-", "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "a--b", "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", String(repeating: "a", count: 64), "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "short"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--master-username", "u", "--master-user-password", "has@sign1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--master-username", "u"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-mysql", "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterCombination"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--engine-version", "16.6", "--cluster-scalability-type", "limitless", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterCombination"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--cluster-scalability-type", "huge", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterValue"),
        (["create-db-cluster", "--db-cluster-identifier", "ok", "--engine", "aurora-postgresql", "--monitoring-interval", "5", "--master-username", "u", "--master-user-password", "password1"], "InvalidParameterCombination"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "15"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "6145"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "100", "--min-acu", "8"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "100", "--min-acu", "200"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "100", "--compute-redundancy", "3"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "bad_id", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "100"], "InvalidParameterValue"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "my-limitless-cluster", "--max-acu", "100"], "MaxDBShardGroupLimitReached"),
        (["create-db-shard-group", "--db-shard-group-identifier", "g2", "--db-cluster-identifier", "plain", "--max-acu", "100"], "InvalidDBClusterStateFault"),
        (["modify-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group", "--min-acu", "5000"], "InvalidParameterValue"),
        (["modify-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group", "--compute-redundancy", "-1"], "InvalidParameterValue"),
        (["delete-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--skip-final-snapshot"], "InvalidDBClusterStateFault"),
        (["delete-db-cluster", "--db-cluster-identifier", "plain"], "InvalidParameterCombination"),
        (["describe-db-clusters", "--db-cluster-identifier", "nope"], "DBClusterNotFoundFault"),
    ]

    @Test func serviceRulesAndFailedCommandsWriteNothing() throws {
        let h = try seeded()
        let plain = try h.run(["create-db-cluster", "--db-cluster-identifier", "plain", "--engine", "aurora-postgresql",
                               "--master-username", "u", "--master-user-password", "password1"])
        #expect(plain.status == 0, "\(plain.stderr)")
        for (args, code) in Self.serviceRules {
            let before = snapshot(h.home)
            let r = try h.run(args)
            #expect(r.status == 254, "\(args)")
            #expect(r.stderr.hasPrefix("\nAn error occurred (\(code)) when calling the "), "\(args): \(r.stderr)")
            #expect(r.stdout == "")
            #expect(snapshot(h.home) == before, "\(args) changed files")
        }
        // Parser errors write nothing either.
        let before = snapshot(h.home)
        #expect(try h.run(["create-db-shard-group", "--m", "1"]).status == 252)
        #expect(try h.run(seedCluster + ["--port", "abc"]).status == 252)
        #expect(snapshot(h.home) == before)
    }

    @Test func deleteShardGroupRefusesWhileUserTablesExist() throws {
        let h = try seeded()
        let made = try h.run(["sql", "--db-cluster-identifier", "my-limitless-cluster", "-c", "CREATE TABLE customers(id int primary key)"])
        #expect(made.status == 0, "\(made.stderr)")
        let r = try h.run(["delete-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group"])
        #expect(r.status == 254)
        #expect(r.stderr.hasPrefix("\nAn error occurred (InvalidDBShardGroupState) when calling the DeleteDBShardGroup operation: "))
        #expect(FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster/data/router.db"))
        let dropped = try h.run(["sql", "--db-cluster-identifier", "my-limitless-cluster", "-c", "DROP TABLE customers"])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        let d = try h.run(["delete-db-shard-group", "--db-shard-group-identifier", "my-db-shard-group"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster/data"))
    }

    @Test func permissionsAndNoPasswordOnDisk() throws {
        let h = try seeded()
        _ = try h.run(["modify-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--master-user-password", "second-pass"])
        let fm = FileManager.default
        var checked = 0
        for (rel, entry) in snapshot(h.home) {
            let mode = entry.prefix(while: { $0 != ":" })
            var isDir: ObjCBool = false
            fm.fileExists(atPath: h.home + "/" + rel, isDirectory: &isDir)
            #expect(mode == (isDir.boolValue ? "700" : "600"), "\(rel) \(mode)")
            if let data = fm.contents(atPath: h.home + "/" + rel) {
                #expect(data.range(of: Data("mypassword".utf8)) == nil, "\(rel)")
                #expect(data.range(of: Data("second-pass".utf8)) == nil, "\(rel)")
            }
            checked += 1
        }
        #expect(checked >= 10)
        let debug = try h.run(["modify-db-cluster", "--db-cluster-identifier", "my-limitless-cluster", "--master-user-password", "third-pass", "--debug"])
        #expect(!debug.stderr.contains("third-pass") && !debug.stdout.contains("third-pass"))
    }

    @Test func damagedMetadataGivesAClearError() throws {
        let h = try seeded()
        let file = h.home + "/clusters/my-limitless-cluster/cluster.json"
        let original = try String(contentsOfFile: file, encoding: .utf8)
        for garbage in ["{not json", "[]", "{\"FormatVersion\": 1, \"DBCluster\": {\"DBClusterIdentifier\": 5}}", ""] {
            try garbage.write(toFile: file, atomically: true, encoding: .utf8)
            for args in [["describe-db-clusters"], ["describe-db-shard-groups"], seedShardGroup,
                         ["sql", "--db-cluster-identifier", "my-limitless-cluster", "-c", "SELECT 1"]] {
                let r = try h.run(args)
                #expect(r.status == 255, "\(args) \(garbage)")
                #expect(r.stderr.contains(file), "\(args): \(r.stderr)")
            }
        }
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try h.run(["describe-db-shard-groups"]).status == 0)
        // A stray folder where a cluster would go is reported, not overwritten or listed.
        try FileManager.default.createDirectory(atPath: h.home + "/clusters/stray", withIntermediateDirectories: true)
        let stray = try h.run(["create-db-cluster", "--db-cluster-identifier", "stray", "--engine", "aurora-postgresql",
                               "--master-username", "u", "--master-user-password", "password1"])
        #expect(stray.status == 255 && stray.stderr.contains(h.home + "/clusters/stray"))
        #expect(try JSON.parse(try h.run(["describe-db-clusters"]).stdout)["DBClusters"]?.arrayValue?.count == 1)
        let sg = h.home + "/clusters/my-limitless-cluster/shard-group.json"
        try "{\"FormatVersion\": 1}".write(toFile: sg, atomically: true, encoding: .utf8)
        let r = try h.run(["describe-db-shard-groups"])
        #expect(r.status == 255 && r.stderr.contains(sg))
    }

    @Test func concurrentCommandsAreSerialised() throws {
        let h = try Harness()
        func spawn(_ args: [String]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Harness.binary)
            p.arguments = args
            var env = ProcessInfo.processInfo.environment
            env["LIMITLESS_HOME"] = h.home
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // Six processes create the same cluster: exactly one wins, the others get AlreadyExists.
        let same = try (0..<6).map { _ in try spawn(seedCluster) }
        same.forEach { $0.waitUntilExit() }
        #expect(same.filter { $0.terminationStatus == 0 }.count == 1)
        #expect(same.filter { $0.terminationStatus == 254 }.count == 5)
        // Six different clusters at once: all are there afterwards, each file intact.
        let many = try (0..<6).map { k in
            try spawn(["create-db-cluster", "--db-cluster-identifier", "c\(k)", "--engine", "aurora-postgresql",
                       "--master-username", "u", "--master-user-password", "password1"])
        }
        many.forEach { $0.waitUntilExit() }
        #expect(many.allSatisfy { $0.terminationStatus == 0 })
        let all = try JSON.parse(try h.run(["describe-db-clusters"]).stdout)
        #expect(all["DBClusters"]?.arrayValue?.count == 7)
        let leftovers = snapshot(h.home).keys.filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func failuresInAFreshHomeCreateNothing() throws {
        let h = try Harness()
        let home = h.home + "/fresh"
        for args in [["describe-db-clusters", "--db-cluster-identifier", "x"], ["describe-db-shard-groups"],
                     ["create-db-shard-group", "--db-shard-group-identifier", "g", "--db-cluster-identifier", "x", "--max-acu", "100"],
                     ["delete-db-cluster", "--db-cluster-identifier", "x", "--skip-final-snapshot"],
                     ["create-db-cluster", "--db-cluster-identifier", "x", "--engine", "aurora-postgresql", "--master-username", "u",
                      "--master-user-password", "short"]] {
            _ = try h.run(args, env: ["LIMITLESS_HOME": home])
            #expect(!FileManager.default.fileExists(atPath: home), "\(args)")
        }
    }

    @Test func ctrlCExits130AndWritesNothing() throws {
        let h = try Harness()
        // Hold the metadata lock so the command waits; then interrupt it.
        let fd = open(h.home + "/.lock", O_RDWR | O_CREAT, 0o600)
        #expect(fd >= 0)
        flock(fd, LOCK_EX)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = seedCluster
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = h.home
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(500_000)
        p.interrupt()
        // Never hang the suite: give it 5 s, then kill it (the expectation below then fails).
        for _ in 0..<50 where p.isRunning { usleep(100_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        flock(fd, LOCK_UN)
        close(fd)
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 130)
        #expect(!FileManager.default.fileExists(atPath: h.home + "/clusters/my-limitless-cluster"))
    }

    @Test func sqlChecksTheClusterFirst() throws {
        let h = try Harness()
        let none = try h.run(["sql", "--db-cluster-identifier", "nope", "-c", "SELECT 1"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("nope"))
        _ = try h.run(seedCluster)
        let noGroup = try h.run(["sql", "--db-cluster-identifier", "my-limitless-cluster", "-c", "SELECT 1"])
        #expect(noGroup.status == 2)
        #expect(noGroup.stderr.contains("shard group"))
    }
}
