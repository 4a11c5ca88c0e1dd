import Testing
@testable import LimitlessEngine

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
