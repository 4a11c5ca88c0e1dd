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

    /// A statement whose answer depends on read order runs over copies of small tables, and
    /// its answer is one SQLite database's; LIMITLESS_ROUTER_COPY_ROWS=0 turns copies off.
    @Test func orderDependentStatementsRunOverCopiesUnlessTurnedOff() throws {
        let c = try SQLCluster()
        #expect(try c.sql(shardedT + "CREATE INDEX t_v ON t(v DESC); INSERT INTO t VALUES (1, 'a'), (2, 'c'), (3, 'b'), (4, 'c');").status == 0)
        let sql = "SELECT a.k, (SELECT group_concat(b.k) FROM t b WHERE b.v >= a.v) AS g FROM t a;"
        let plan = try table(c, "EXPLAIN " + sql)
        #expect(plan.stdout.contains("->  Distributed Copy of t (sharded by k)"), "\(plan.stdout)")
        let got = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv", "-c", sql])
        // One SQLite database (sqlite3 3.40.1) reads b through t_v: higher v first, equal v in
        // rowid order.
        #expect(got.stdout == "k,g\n1,\"2,4,3,1\"\n2,\"2,4\"\n3,\"2,4,3\"\n4,\"2,4\"\n", "\(got.stdout)")
        let off = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "table"], stdin: "EXPLAIN " + sql,
                              env: ["LIMITLESS_ROUTER_COPY_ROWS": "0"])
        #expect(!off.stdout.contains("Distributed Copy"), "\(off.stdout)")
        #expect(off.stdout.contains("Distributed Scan on t b"), "\(off.stdout)")
        // A generated column is computed by the copy's own definition, not copied; EXPLAIN
        // ANALYZE counts the fill's rows under the plan it shows.
        #expect(try c.sql("SET rds_aurora.limitless_create_table_mode = 'sharded'; SET rds_aurora.limitless_create_table_shard_key = '{\"k\"}';" +
                          "CREATE TABLE g (k INTEGER PRIMARY KEY, a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL);" +
                          "INSERT INTO g (k, a) VALUES (3, 5), (1, 3), (2, 4);").status == 0)
        let gen = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv", "-c", "SELECT group_concat(b) FROM g WHERE a > 3"])
        #expect(gen.stdout == "group_concat(b)\n\"8,10\"\n", "\(gen.stdout)")
        let analyzed = try table(c, "EXPLAIN ANALYZE SELECT group_concat(b) FROM g;")
        #expect(analyzed.stdout.contains("Remote SQL: SELECT rowid, \"k\", \"a\", NULL FROM \"g\" ORDER BY rowid"), "\(analyzed.stdout)")
        #expect(analyzed.stdout.contains("Actual: loops=1 rows=3 shards visited=[1, 2, 3, 4]"), "\(analyzed.stdout)")
        // Where only ORDER BY ties depend on read order, copies stop at a tenth of the limit
        // (t and g hold 7 rows: copied for group_concat under a limit of 50, not for ORDER BY).
        let small = ["LIMITLESS_ROUTER_COPY_ROWS": "50"]
        let values = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv"],
                                 stdin: "EXPLAIN SELECT t.k, (SELECT group_concat(g.b) FROM g WHERE g.a > t.k) FROM t;", env: small)
        #expect(values.stdout.contains("Distributed Copy of g"), "\(values.stdout)")
        let ties = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "csv"],
                               stdin: "EXPLAIN SELECT t.k, (SELECT max(g.b) FROM g WHERE g.a > t.k) AS m FROM t ORDER BY m;", env: small)
        #expect(ties.stdout.contains("Distributed Scan on g") && !ties.stdout.contains("Copy"), "\(ties.stdout)")
        let tiesAtDefault = try table(c, "EXPLAIN SELECT t.k, (SELECT max(g.b) FROM g WHERE g.a > t.k) AS m FROM t ORDER BY m;")
        #expect(tiesAtDefault.stdout.contains("Distributed Copy of g"), "\(tiesAtDefault.stdout)")
    }
}
