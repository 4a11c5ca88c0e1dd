import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// Streaming shard reads: tier-3 scans handed to producer threads, tier-2 merges that consume
/// rows as the shards produce them. LIMITLESS_STREAM_AFTER sets how many rows a virtual-table
/// scan returns on the router's thread before its shards get producers (0: never).
@Suite struct StreamingTests {
    static let rows = 6000

    /// A 4-shard cluster with `t` (sharded on id, an index on x) and `u` (sharded on k).
    static func cluster() throws -> SQLCluster {
        let c = try SQLCluster()
        var script = """
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER, x INTEGER, s TEXT, y REAL, b BLOB);
            CREATE INDEX t_x ON t(x);
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE u (k INTEGER PRIMARY KEY, grp INTEGER, label TEXT);

            """
        var lcg: UInt64 = 12345
        func next() -> Int { lcg = lcg &* 6364136223846793005 &+ 1442695040888963407; return Int(lcg >> 33) }
        for start in stride(from: 0, to: rows, by: 1000) {
            let values = (start..<start + 1000).map { i -> String in
                let s = i % 17 == 0 ? "NULL" : "'s\(next() % 500)'"
                let b = i % 5 == 0 ? "x'00\(String(format: "%02x", i % 256))'" : "NULL"
                return "(\(i), \(next() % 40), \(next() % 100_000), \(s), \(Double(next() % 1000) / 8), \(b))"
            }
            script += "INSERT INTO t VALUES " + values.joined(separator: ", ") + ";\n"
        }
        script += "INSERT INTO u VALUES " + (0..<40).map { "(\($0), \($0 % 7), 'g\($0)')" }.joined(separator: ", ") + ";\n"
        let r = try c.sql(script)
        #expect(r.status == 0, "\(r.stderr)")
        return c
    }

    static let queries = [
        // Tier 3: window functions, a non-collocated join, a correlated subquery whose inner
        // scan is closed early by its LIMIT, a self-join, an outer LIMIT.
        "SELECT id, s, sum(x) OVER (PARTITION BY grp ORDER BY id) FROM t",
        "SELECT id, row_number() OVER (ORDER BY x, id) FROM t LIMIT 700 OFFSET 5",
        "SELECT u.label, count(*), sum(t.x) FROM t JOIN u ON u.grp = t.grp GROUP BY u.label",
        "SELECT id, (SELECT count(*) FROM (SELECT 1 FROM t AS t2 WHERE t2.grp = t.grp LIMIT 600)) FROM t WHERE id < 30",
        "SELECT a.id, b.id FROM t AS a JOIN t AS b ON b.x = a.x AND b.id <> a.id ORDER BY 1, 2",
        "SELECT * FROM (SELECT id, x, lag(x) OVER (ORDER BY id) FROM t) LIMIT 3",
        // Tier 2: append, rowid order, k-way ORDER BY merges, LIMIT/OFFSET, partial aggregates.
        "SELECT * FROM t",
        "SELECT id, b FROM t WHERE b IS NOT NULL",
        "SELECT * FROM t ORDER BY x, id",
        "SELECT id, s FROM t ORDER BY s DESC NULLS FIRST, id LIMIT 50 OFFSET 1000",
        "SELECT x FROM t ORDER BY x LIMIT 5",
        "SELECT grp, count(*), sum(x), avg(y), min(s), max(s) FROM t GROUP BY grp",
    ]

    @Test func streamedAnswersEqualTheRouterThreadsAnswers() throws {
        let c = try StreamingTests.cluster()
        let script = StreamingTests.queries.map { $0 + ";" }.joined(separator: "\n")
        let plain = try c.sql(script, env: ["LIMITLESS_STREAM_AFTER": "0"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.split(separator: "\n").count == StreamingTests.queries.count)
        #expect(!plain.stdout.contains("\"error\""))
        #expect(plain.stdout.utf8.count > 500_000)
        for after in ["1", "512", "3000"] {
            let streamed = try c.sql(script, env: ["LIMITLESS_STREAM_AFTER": after])
            #expect(streamed.status == 0, "\(streamed.stderr)")
            #expect(streamed.stdout == plain.stdout, "LIMITLESS_STREAM_AFTER=\(after)")
        }
    }

    @Test func anErrorOnOneShardMidScanFailsTheStatementAndLeavesTheSessionUsable() throws {
        let c = try StreamingTests.cluster()
        // One row deep into one shard makes abs() overflow: on that shard (tier 2), then at the
        // router while producers feed a tier-3 scan.
        let out = try c.lines("""
            UPDATE t SET x = -9223372036854775807 - 1 WHERE id = 5000;
            SELECT id, abs(x) FROM t;
            SELECT id, abs(x), row_number() OVER () FROM t;
            SELECT count(*), sum(x = -9223372036854775807 - 1) FROM t;
            """, ["--on-error", "continue"], env: ["LIMITLESS_STREAM_AFTER": "1"])
        #expect(out.count == 4)
        guard out.count == 4 else { return }
        #expect(out[1]["error"] == .string("integer overflow"))
        #expect(out[2]["error"] == .string("integer overflow"))
        #expect(out[3].serialized(.compact).contains("\"rows\":[[\(StreamingTests.rows),1]]"))
    }

    @Test func ctrlCStopsAParallelTierThreeScan() throws {
        let c = try StreamingTests.cluster()
        // Every outer row rescans t through producers: long enough to be interrupted.
        let r = try c.interrupted(["--output", "json", "-c",
                                   "SELECT count(*) FROM (SELECT a.x + b.x AS v, row_number() OVER () FROM t AS a, t AS b)",
                                   "-c", "SELECT 'not reached'"], after: 1.5, env: ["LIMITLESS_STREAM_AFTER": "1"])
        let (stdout, stderr) = (r.stdout, r.stderr)
        #expect(r.secondsAfterSignal < 10)
        #expect(r.status == 130)
        #expect(stderr.contains("canceling statement due to user request"))
        #expect(stdout.contains("57014"))
        #expect(!stdout.contains("not reached"))
    }
}
