import Foundation
import Testing
import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

/// `limitless sql` streams a SELECT's rows to its output: a result far bigger than the
/// process's memory bound passes through in every format and plan tier, the table format
/// spills to a temporary file without changing a byte, and a statement that fails part-way
/// leaves the rows printed before the failure.
@Suite(.serialized) struct ResultStreamingTests {
    static let rows = 300_000

    /// A 4-shard cluster with `big` (sharded on id): 300,000 rows of ~100 bytes, ~30 MB of
    /// text, which the engine used to hold whole (as values) before printing: 180 MB and more.
    static func cluster() throws -> SQLCluster {
        let c = try SQLCluster()
        let r = try c.sql("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE big (id INTEGER PRIMARY KEY, x INTEGER, s TEXT);
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows - 1))
            INSERT INTO big SELECT i, i * 7 % 1000, printf('%08d-', i) || substr(hex(zeroblob(40)), 1, 80) FROM n;
            """)
        #expect(r.status == 0, "\(r.stderr)")
        return c
    }

    /// Row i as CSV, as the table was filled.
    static func csvLine(_ i: Int) -> String {
        let pad = String(i).count < 8 ? String(repeating: "0", count: 8 - String(i).count) : ""
        return "\(i),\(i * 7 % 1000),\(pad)\(i)-" + String(repeating: "0", count: 80)
    }

    /// Runs the binary through python3, which reports the child's peak resident set (KiB).
    static func measured(_ c: SQLCluster, _ args: [String], env: [String: String] = [:]) throws -> (stdout: String, stderr: String, status: Int32, peakKiB: Int) {
        let out = c.h.home + ".measured.out", err = c.h.home + ".measured.err"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import resource, subprocess, sys
            with open(sys.argv[1], "wb") as o, open(sys.argv[2], "wb") as e:
                rc = subprocess.run(sys.argv[3:], stdout=o, stderr=e, stdin=subprocess.DEVNULL).returncode
            print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """, out, err, Harness.binary, "sql", "--db-cluster-identifier", c.id] + args
        var environment = ProcessInfo.processInfo.environment
        environment["LIMITLESS_HOME"] = c.h.home
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let fields = report.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        let stdout = String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self)
        return (stdout, stderr, Int32(fields.first ?? -1), fields.count > 1 ? fields[1] : -1)
    }

    /// 100 MiB: the whole result held as values took 180 MB (CSV) to 290 MB (table) for this
    /// table; streamed, the process stays near its size without the result (~45 MB, debug).
    static let boundKiB = 100 * 1024

    @Test func everyTierAndFormatPrintsTheWholeTableInBoundedMemory() throws {
        let c = try ResultStreamingTests.cluster()
        let expected = "id,x,s\n" + (0..<ResultStreamingTests.rows).map(ResultStreamingTests.csvLine).joined(separator: "\n") + "\n"
        // Tier 2 (rowid-ordered merge; k-way ORDER BY merge), tier 3 (a scalar subquery keeps
        // it at the router, where the virtual table streams the shards).
        let queries = ["SELECT * FROM big", "SELECT * FROM big ORDER BY id", "SELECT * FROM big WHERE id >= (SELECT 0)"]
        for q in queries {
            let r = try ResultStreamingTests.measured(c, ["--output", "csv", "-c", q])
            #expect(r.status == 0, "\(q): \(r.stderr)")
            #expect(r.stdout == expected, "\(q)")
            #expect(r.peakKiB > 0 && r.peakKiB < ResultStreamingTests.boundKiB, "\(q): peak \(r.peakKiB) KiB")
        }
        // DISTINCT combines at the router (its temp table holds the rows); its answer streams.
        let distinct = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv", "-c",
                                    "SELECT DISTINCT * FROM big ORDER BY id"])
        #expect(distinct.status == 0, "\(distinct.stderr)")
        #expect(distinct.stdout == expected)
        // The table keeps its rendered rows in a temporary file past 4 MiB; JSON keeps its
        // rendered rows the same way until the command tag (the row count) is known.
        let table = try ResultStreamingTests.measured(c, ["--output", "table", "-c", "SELECT * FROM big"])
        #expect(table.status == 0)
        #expect(table.peakKiB > 0 && table.peakKiB < ResultStreamingTests.boundKiB, "table: peak \(table.peakKiB) KiB")
        let lines = table.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == ResultStreamingTests.rows + 5)
        #expect(lines.first == "   id   |  x  |" + String(repeating: " ", count: 45) + "s" + String(repeating: " ", count: 45))
        #expect(lines.dropFirst(2).first == "      0 |   0 | 00000000-" + String(repeating: "0", count: 80))
        #expect(lines.contains("  12345 | 415 | 00012345-" + String(repeating: "0", count: 80)))
        #expect(table.stdout.hasSuffix("\n(300000 rows)\n\n"))
        let json = try ResultStreamingTests.measured(c, ["--output", "json", "-c", "SELECT * FROM big WHERE id >= (SELECT 0)"])
        #expect(json.status == 0)
        #expect(json.peakKiB > 0 && json.peakKiB < ResultStreamingTests.boundKiB, "json: peak \(json.peakKiB) KiB")
        #expect(json.stdout.hasPrefix(#"{"command":"SELECT 300000","columns":["id","x","s"],"rows":[[0,0,"00000000-"#))
        #expect(json.stdout.hasSuffix(#"[299999,993,"00299999-"# + String(repeating: "0", count: 80) + "\"]]}\n"))
        // Spilling after every few KiB, or never, prints the same table.
        let small = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "table", "-c", "SELECT * FROM big"],
                                env: ["LIMITLESS_RESULT_SPILL": "4096"])
        #expect(small.stdout == table.stdout)
        let memoryOnly = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "table", "-c", "SELECT * FROM big"],
                                     env: ["LIMITLESS_RESULT_SPILL": "1000000000"])
        #expect(memoryOnly.stdout == table.stdout)
        // No temporary file can be made: the rows stay in memory, the table is the same.
        let noTemp = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "table", "-c", "SELECT * FROM big"],
                                 env: ["LIMITLESS_RESULT_SPILL": "4096", "TMPDIR": c.h.home + "/no-such-directory"])
        #expect(noTemp.status == 0)
        #expect(noTemp.stdout == table.stdout)
        let jsonSpilled = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "json", "-c", "SELECT * FROM big WHERE id >= (SELECT 0)"],
                                      env: ["LIMITLESS_RESULT_SPILL": "4096"])
        #expect(jsonSpilled.stdout == json.stdout)
    }

    /// A statement that fails part-way: CSV keeps the rows printed before the failure, the
    /// error follows, and the next statement runs as usual (--on-error continue).
    @Test func aFailurePartWayLeavesTheRowsBeforeIt() throws {
        let c = try SQLCluster()
        var script = """
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);

            """
        script += "INSERT INTO t VALUES " + (0..<6000).map { "(\($0), \($0 == 5000 ? "-9223372036854775807 - 1" : String($0)))" }.joined(separator: ", ") + ";\n"
        #expect(try c.sql(script).status == 0)
        let expected = (0..<5000).map { "\($0),\($0)" }
        // Tier 3: the router steps its statement row by row, so rows 0…4999 are out when
        // row 5000's abs() overflows.
        let tier3 = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv", "--on-error", "continue",
                                 "-c", "SELECT id, abs(x) FROM t WHERE id >= (SELECT 0)", "-c", "SELECT 'next'"])
        #expect(tier3.status == 1)
        #expect(tier3.stderr.contains("ERROR:  integer overflow"))
        #expect(tier3.stdout == "id,abs(x)\n" + expected.joined(separator: "\n") + "\n'next'\nnext\n")
        // Tier 2: the shard that holds row 5000 fails; what came out before is a prefix of the
        // answer in rowid order, short of row 5000.
        let tier2 = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv", "--on-error", "continue",
                                 "-c", "SELECT id, abs(x) FROM t", "-c", "SELECT 'next'"])
        #expect(tier2.status == 1)
        #expect(tier2.stderr.contains("ERROR:  integer overflow"))
        var lines = tier2.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "id,abs(x)")
        #expect(Array(lines.suffix(2)) == ["'next'", "next"])
        lines = Array(lines.dropFirst().dropLast(2))
        #expect(lines == Array(expected.prefix(lines.count)))
        // The table format shows nothing of a failed statement, as psql.
        let table = try c.h.run(["sql", "--db-cluster-identifier", c.id, "-c", "SELECT id, abs(x) FROM t WHERE id >= (SELECT 0)"])
        #expect(table.status == 1)
        #expect(table.stdout == "")
    }

    /// Ctrl-C while a long result streams out: the rows already printed stay (whole lines),
    /// the statement fails with 57014 and the process exits 130 — in tier 1 (a cross join of
    /// a reference table runs whole on one copy; Ctrl-C interrupts only the router connection,
    /// so the streamed read checks between rows), tier 2 (a broadcast join) and tier 3.
    @Test(arguments: [
        "SELECT a.k, b.k FROM r AS a, r AS b",
        "SELECT a.k, b.k FROM t AS a, t AS b",
        "SELECT a.k, b.k FROM t AS a, t AS b WHERE a.k >= (SELECT 0)",
    ])
    func ctrlCStopsAStreamingResultAndKeepsWhatWasPrinted(_ query: String) throws {
        let c = try SQLCluster()
        let values = (0..<3000).map { "(\($0))" }.joined(separator: ", ")
        let setup = try c.sql("""
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE r (k INTEGER PRIMARY KEY);
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE t (k INTEGER PRIMARY KEY);
            INSERT INTO r VALUES \(values);
            INSERT INTO t VALUES \(values);
            """)
        #expect(setup.status == 0, "\(setup.stderr)")
        let r = try c.interrupted(["--output", "csv", "-c", query, "-c", "SELECT 'not reached'"], after: 1.5)
        let (stdout, stderr) = (r.stdout, r.stderr)
        #expect(r.secondsAfterSignal < 10)
        #expect(r.status == 130)
        #expect(stderr.contains("canceling statement due to user request"))
        #expect(!stdout.contains("not reached"))
        #expect(stdout.hasPrefix("k,k\n"))
        #expect(stdout.hasSuffix("\n"))
        let lines = stdout.split(separator: "\n").dropFirst()
        #expect(!lines.isEmpty)
        #expect(lines.count < 9_000_000)
        #expect(lines.allSatisfy { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            return f.count == 2 && f.allSatisfy { Int($0) != nil }
        })
    }
}
