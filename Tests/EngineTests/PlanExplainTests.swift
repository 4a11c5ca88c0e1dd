import Testing
@testable import LimitlessEngine
import LimitlessSupport

@Suite struct PlanExplainTests {
    func lines(_ r: StatementResult?) -> [String] {
        guard case let .rows(_, columns, rows)? = r else { return [] }
        #expect(columns == ["QUERY PLAN"])
        return rows.map { if case let .text(t) = $0.first { return t }; return "" }
    }

    @Test func analyzeCountsRowsAndShardsPerScan() throws {
        let f = try PlanFixture(name: "analyze")
        try f.run(PlanFixture.planSchema)
        // Pushed down: every shard reads its own rows (5 customers in all), the router appends.
        let full = lines(try f.engine.execute("EXPLAIN ANALYZE SELECT * FROM customers"))
        let actual = full.first { $0.hasPrefix("  Actual: rows per shard=[") } ?? ""
        let counts = actual.dropFirst("  Actual: rows per shard=[".count).prefix { $0 != "]" }
            .split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? -1 }
        #expect(counts.count == 4 && counts.reduce(0, +) == 5, "\(full)")
        #expect(full.contains("Actual Rows: 5"))
        #expect(full.last?.hasPrefix("Execution Time: ") == true)
        // Router execution (a correlated subquery): the inner scan runs once per customer, each
        // time on the one shard its key picks.
        let join = lines(try f.engine.execute("EXPLAIN (ANALYZE) SELECT c.name, (SELECT count(*) FROM orders o WHERE o.cust_id = c.cust_id) FROM customers c"))
        #expect(join.contains { $0.contains("Actual: loops=5 rows=") && $0.contains("shards visited=[1, 2, 3, 4]") }, "\(join)")
        #expect(join.contains("Actual Rows: 5"))
        let pinned = lines(try f.engine.execute("EXPLAIN ANALYZE SELECT name FROM customers WHERE cust_id = 3"))
        #expect(pinned.first == "Single Shard Optimized")
        #expect(pinned.contains("  Actual: shard 1"))
        #expect(pinned.contains("Actual Rows: 1"))
    }

    @Test func explainDoesNotRunButAnalyzeDoes() throws {
        let f = try PlanFixture(name: "norun")
        try f.run(PlanFixture.planSchema)
        _ = try f.engine.execute("EXPLAIN DELETE FROM orders WHERE amount < 2")
        #expect(try f.engine.execute("SELECT count(*) FROM orders") == .rows(command: "SELECT 1", columns: ["count(*)"], rows: [[.integer(5)]]))
        let l = lines(try f.engine.execute("EXPLAIN ANALYZE DELETE FROM orders WHERE amount < 2"))
        #expect(l.contains("Actual Rows: 1"))
        #expect(try f.engine.execute("SELECT count(*) FROM orders") == .rows(command: "SELECT 1", columns: ["count(*)"], rows: [[.integer(4)]]))
    }

    @Test func shardPlansOptionAddsEachShardsOwnPlan() throws {
        let f = try PlanFixture(name: "options")
        try f.run(PlanFixture.planSchema)
        let before = lines(try f.engine.execute("EXPLAIN SELECT order_id FROM orders WHERE placed = '2026-02-03'"))
        #expect(!before.contains { $0.contains("Remote Plan from Shard") })
        try f.run("SET rds_aurora.limitless_explain_options = 'single_shard_optimization,shard_plans'")
        let after = lines(try f.engine.execute("EXPLAIN SELECT order_id FROM orders WHERE placed = '2026-02-03'"))
        #expect(after.contains { $0.contains("Remote Plan from Shard 1:") })
        #expect(after.contains { $0.contains("USING INDEX orders_placed") }, "\(after)")
        let tier1 = lines(try f.engine.execute("EXPLAIN SELECT name FROM customers WHERE cust_id = 3"))
        #expect(tier1.contains { $0.contains("Remote Plan from Shard 1:") })
        #expect(tier1.contains { $0.contains("SEARCH customers USING INTEGER PRIMARY KEY (rowid=?)") })
        try f.run("SET rds_aurora.limitless_explain_options = 'shard_plans'")
        #expect(lines(try f.engine.execute("EXPLAIN SELECT name FROM customers WHERE cust_id = 3")).first == "Data Node Scan")
        #expect(throws: EngineError.self) { try f.engine.execute("SET rds_aurora.limitless_explain_options = 'bogus'") }
        #expect(try f.engine.execute("SHOW rds_aurora.limitless_explain_options") == .rows(command: "SHOW", columns: ["rds_aurora.limitless_explain_options"], rows: [[.text("shard_plans")]]))
    }

    @Test func explainQueryPlanStillShowsSQLitesRouterPlan() throws {
        let f = try PlanFixture(name: "eqp")
        try f.run(PlanFixture.planSchema)
        guard case let .rows(_, columns, rows)? = try f.engine.execute("EXPLAIN QUERY PLAN SELECT * FROM customers WHERE name = 'Ada'") else {
            Issue.record("no rows"); return
        }
        #expect(columns.contains("detail"))
        #expect(rows.contains { $0.contains(.text("SCAN customers VIRTUAL TABLE INDEX 1:1:2")) })
    }
}

/// Pushed-down statements over awkward values, against what one database answers.
@Suite struct PushdownRunTests {
    func rows(_ r: [StatementResult]) -> [[SQLValue]] {
        guard case let .rows(_, _, rows)? = r.last else { return [] }
        return rows
    }

    @Test func textWithNULAndBroadcastRowidsSurviveTheRouter() throws {
        let f = try PlanFixture(name: "nul")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE t (k INTEGER, v TEXT);
            INSERT INTO t VALUES (1, 'a' || char(0) || 'b'), (2, 'a' || char(0) || 'c'), (3, 'a' || char(0) || 'b');
            CREATE TABLE b (k INTEGER, w TEXT);
            INSERT INTO b VALUES (3, 'x' || char(0) || 'y'), (1, 'p'), (2, 'q');
            """)
        let nulB = SQLValue.text("a\u{0}b"), nulC = SQLValue.text("a\u{0}c")
        #expect(rows(try f.run("SELECT v, count(*) FROM t GROUP BY v ORDER BY v")) == [[nulB, .integer(2)], [nulC, .integer(1)]])
        #expect(rows(try f.run("SELECT DISTINCT v FROM t ORDER BY 1")) == [[nulB], [nulC]])
        // b joins t on a column that is not its shard key: it is broadcast, rowids and all.
        #expect(try f.engine.explainLines("SELECT t.k, b.rowid, b.w FROM t JOIN b ON b.k = t.k").contains { $0.hasPrefix("  Broadcast: b") })
        #expect(rows(try f.run("SELECT t.k, b.rowid, b.w FROM t JOIN b ON b.k = t.k ORDER BY 1")) ==
                [[.integer(1), .integer(2), .text("p")], [.integer(2), .integer(3), .text("q")], [.integer(3), .integer(1), .text("x\u{0}y")]])
        // A partial sum that overflows where one database (adding a real first) does not: the
        // statement is read again in one database's order.
        try f.run("""
            CREATE TABLE ov (k INTEGER, v);
            INSERT INTO ov VALUES (1, 0.5), (3, 4611686018427387904), (4, 4611686018427387904);
            """)
        #expect(rows(try f.run("SELECT sum(v) FROM ov")) == [[.real(9223372036854775808.0)]])
        // Groups on the shard key come out in key order, as one database emits them.
        #expect(rows(try f.run("SELECT k, count(*) FROM t GROUP BY k LIMIT 2")) == [[.integer(1), .integer(1)], [.integer(2), .integer(1)]])
    }
}
