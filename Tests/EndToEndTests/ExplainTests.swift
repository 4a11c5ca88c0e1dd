import Foundation
import Testing
import LimitlessSupport

/// EXPLAIN through the binary: psql's one `QUERY PLAN` column, the distributed plan.
@Suite(.serialized) struct ExplainEndToEndTests {
    /// psql's aligned table output.
    func table(_ c: SQLCluster, _ script: String) throws -> Harness.Result {
        try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "table"], stdin: script)
    }

    @Test func explainPrintsTheDistributedPlanAsQueryPlanRows() throws {
        let c = try SQLCluster()
        #expect(try c.sql(shardedT + "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');").status == 0)
        let scan = try table(c, "EXPLAIN SELECT v FROM t WHERE v > 'a';")
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stdout.contains("QUERY PLAN"), "\(scan.stdout)")
        #expect(scan.stdout.contains("Distributed Pushdown"))
        #expect(scan.stdout.contains("Task Count: 4"))
        #expect(scan.stdout.contains("Remote SQL: SELECT v, t.\"rowid\" AS limitless_sort_0 FROM t WHERE v > 'a' ORDER BY limitless_sort_0 ASC NULLS FIRST"))
        // A correlated subquery runs at the router, over virtual-table scans of the shards.
        let routed = try table(c, "EXPLAIN SELECT v FROM t a WHERE k = (SELECT max(k) FROM t b WHERE b.v = a.v);")
        #expect(routed.stdout.contains("Router Execution"), "\(routed.stdout)")
        #expect(routed.stdout.contains("Remote SQL: SELECT rowid, \"k\", \"v\" FROM \"t\" ORDER BY rowid"), "\(routed.stdout)")
        let pinned = try c.lines("EXPLAIN SELECT v FROM t WHERE k = 2;")
        guard case let .array(rows)? = pinned.first?["rows"] else { Issue.record("no rows: \(pinned)"); return }
        #expect(rows.first == .array([.string("Single Shard Optimized")]))
        #expect(rows.contains(.array([.string("  Pinned Key: t.k = 2")])))
        let analyze = try table(c, "EXPLAIN ANALYZE SELECT count(*) FROM t;")
        #expect(analyze.stdout.contains("Router Merge: combine partial aggregates"), "\(analyze.stdout)")
        #expect(analyze.stdout.contains("Actual: rows per shard=[1, 1, 1, 1]"), "\(analyze.stdout)")
        #expect(analyze.stdout.contains("Actual Rows: 1"), "\(analyze.stdout)")
        #expect(analyze.stdout.contains("Execution Time: "))
        let bad = try c.sql("SET rds_aurora.limitless_explain_options = 'nope';")
        #expect(bad.status != 0)
    }
}
