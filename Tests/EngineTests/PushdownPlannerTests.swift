import Testing
import LimitlessSupport
import SQLSyntax
@testable import LimitlessEngine

/// The tier-2 planner in memory: no disk, no shards — a catalog made here and the AST.
@Suite struct PushdownPlannerTests {
    static func column(_ name: String, _ type: String, pk: Int = 0, collation: String = "BINARY") -> ColumnInfo {
        ColumnInfo(name: name, declaredType: type, collation: collation, notNull: false, primaryKeyPosition: pk, hidden: 0)
    }

    static let tables: [String: TableInfo] = {
        var t: [String: TableInfo] = [:]
        t["customers"] = TableInfo(gid: 1, name: "customers", placement: .sharded, shardKey: ["cust_id"], collocationID: 1,
                                   columns: [column("cust_id", "INTEGER", pk: 1), column("name", "TEXT", collation: "NOCASE"), column("region", "INTEGER")])
        t["orders"] = TableInfo(gid: 2, name: "orders", placement: .sharded, shardKey: ["cust_id"], collocationID: 1,
                                columns: [column("order_id", "INTEGER"), column("cust_id", "INTEGER"), column("product_id", "INTEGER"), column("amount", "REAL")])
        t["products"] = TableInfo(gid: 3, name: "products", placement: .sharded, shardKey: ["product_id"], collocationID: 2,
                                  columns: [column("product_id", "INTEGER", pk: 1), column("category", "INTEGER")])
        t["big"] = TableInfo(gid: 4, name: "big", placement: .sharded, shardKey: ["id"], collocationID: 3,
                             columns: [column("id", "INTEGER", pk: 1), column("cust_id", "INTEGER")])
        t["regions"] = TableInfo(gid: 5, name: "regions", placement: .reference, shardKey: [], collocationID: 0,
                                 columns: [column("region", "INTEGER", pk: 1), column("label", "TEXT")])
        return t
    }()

    func plan(_ sql: String) throws -> PushdownPlan? {
        let planner = PushdownPlanner(
            table: { Self.tables[$0.lowercased()] },
            rowCount: { ["products": 100, "big": 1_000_000, "customers": 1000, "orders": 300_000][$0.name] ?? 0 },
            aggregateNames: ["count", "sum", "total", "avg", "min", "max", "group_concat", "json_group_array"])
        guard case let .select(s) = try SQLSyntax.parseOne(sql).kind else { return nil }
        return planner.plan(s)
    }

    @Test func collocatedJoinsPushDownAndOthersDoNot() throws {
        #expect(try plan("SELECT c.name, o.amount FROM customers c JOIN orders o ON o.cust_id = c.cust_id") != nil)
        #expect(try plan("SELECT c.name, o.amount FROM customers c, orders o WHERE o.cust_id = c.cust_id") != nil)
        // Joined on something else than the key, and too big to broadcast: router execution.
        #expect(try plan("SELECT * FROM orders o JOIN big b ON b.cust_id = o.cust_id") == nil)
        // Outer joins need the key equality in their own ON.
        #expect(try plan("SELECT * FROM customers c LEFT JOIN orders o ON o.order_id = c.cust_id WHERE o.cust_id = c.cust_id") == nil)
        #expect(try plan("SELECT * FROM customers c FULL JOIN orders o ON o.cust_id = c.cust_id") != nil)
    }

    @Test func smallNonCollocatedTablesAreBroadcast() throws {
        let p = try #require(try plan("SELECT p.category, count(*) FROM orders o JOIN products p ON p.product_id = o.product_id GROUP BY 1"))
        #expect(p.broadcasts.map(\.table.name) == ["products"])
        #expect(p.shardSQL.contains("JOIN \"temp\".limitless_bcast_3 AS p"))
    }

    @Test func referenceTablesNeverRepeatOrPadPerShard() throws {
        #expect(try plan("SELECT * FROM customers c LEFT JOIN regions r ON r.region = c.region") != nil)
        #expect(try plan("SELECT * FROM regions r RIGHT JOIN customers c ON r.region = c.region") != nil)
        #expect(try plan("SELECT * FROM regions r LEFT JOIN customers c ON r.region = c.region") == nil)
        #expect(try plan("SELECT * FROM customers c RIGHT JOIN regions r ON r.region = c.region") == nil)
        #expect(try plan("SELECT * FROM customers c FULL JOIN regions r ON r.region = c.region") == nil)
    }

    @Test func whatStaysAtTheRouter() throws {
        #expect(try plan("SELECT * FROM customers WHERE cust_id IN (SELECT cust_id FROM orders)") == nil)
        #expect(try plan("SELECT rank() OVER (ORDER BY amount) FROM orders") == nil)
        #expect(try plan("WITH x AS (SELECT 1) SELECT * FROM customers") == nil)
        #expect(try plan("SELECT cust_id FROM customers UNION SELECT cust_id FROM orders") == nil)
        #expect(try plan("SELECT group_concat(name) FROM customers") == nil)
        // A bare column beside an aggregate takes its value from one row of the group.
        #expect(try plan("SELECT name, max(region) FROM customers") == nil)
        #expect(try plan("SELECT count(DISTINCT name), count(DISTINCT region) FROM customers") == nil)
    }

    @Test func aggregatesSplitIntoPartialsAndACombine() throws {
        let p = try #require(try plan("SELECT region, count(*), avg(cust_id), min(name) FROM customers GROUP BY region HAVING count(*) > 2 ORDER BY 2 DESC LIMIT 3"))
        #expect(p.partialAggregates)
        #expect(p.shardSQL == "SELECT region, count(*), total(cust_id), count(cust_id), min(name) FROM customers GROUP BY region")
        guard case let .combine(sql, decls) = p.merge else { Issue.record("\(p.merge)"); return }
        #expect(decls == ["c0 INTEGER", "c1", "c2", "c3", "c4 COLLATE \"NOCASE\""])
        #expect(sql == "SELECT c0, coalesce(sum(c1), 0), CASE WHEN sum(c3) > 0 THEN total(c2) / sum(c3) END, min(c4) FROM \"temp\".limitless_partials GROUP BY c0 HAVING coalesce(sum(c1), 0) > 2 ORDER BY coalesce(sum(c1), 0) DESC LIMIT 3")
    }

    @Test func groupsOnTheShardKeyStayWhole() throws {
        let p = try #require(try plan("SELECT cust_id, group_concat(amount), count(DISTINCT product_id) FROM orders GROUP BY cust_id"))
        #expect(!p.partialAggregates)
        // Merged in group order, as one database emits groups.
        #expect(p.shardSQL == "SELECT cust_id, group_concat(amount), count(DISTINCT product_id), cust_id AS limitless_sort_0 FROM orders GROUP BY cust_id ORDER BY limitless_sort_0 ASC NULLS FIRST")
        #expect(p.merge == .sorted([.init(column: -1, descending: false, nullsFirst: true, collation: .binary)]))
        // Without ORDER BY, which distinct rows a LIMIT keeps follows scan order: each distinct row
        // comes with its first rowid, and the router keeps the rows seen first.
        let d = try #require(try plan("SELECT DISTINCT region FROM customers LIMIT 2"))
        #expect(d.shardSQL == "SELECT region, min(customers.\"rowid\") FROM customers GROUP BY region ORDER BY 2 LIMIT 2")
        guard case let .combine(dsql, _) = d.merge else { Issue.record("\(d.merge)"); return }
        #expect(dsql == "SELECT c0 FROM \"temp\".limitless_partials GROUP BY c0 ORDER BY min(c1) LIMIT 2")
        // Joined rows have no one scan order to follow: router execution.
        #expect(try plan("SELECT DISTINCT o.amount FROM customers c JOIN orders o ON o.cust_id = c.cust_id LIMIT 2") == nil)
        // An explicit COLLATE inside an aggregate stays on its value.
        let c = try #require(try plan("SELECT region FROM customers GROUP BY region HAVING max(name COLLATE RTRIM) = 'a'"))
        guard case let .combine(sql, _) = c.merge else { Issue.record("\(c.merge)"); return }
        #expect(sql.hasSuffix("HAVING max(c1) COLLATE RTRIM = 'a'"))
    }

    @Test func distinctAggregatesGoThroughDistinctSets() throws {
        let p = try #require(try plan("SELECT region, count(DISTINCT name), count(*) FROM customers GROUP BY region"))
        #expect(p.shardSQL == "SELECT region, name, count(*) FROM customers GROUP BY region, name")
        guard case let .combine(sql, _) = p.merge else { Issue.record("\(p.merge)"); return }
        #expect(sql == "SELECT c0, count(DISTINCT c1), coalesce(sum(c2), 0) FROM \"temp\".limitless_partials GROUP BY c0")
    }

    @Test func orderByMergesAndPushesTheLimit() throws {
        let p = try #require(try plan("SELECT name AS n FROM customers ORDER BY n DESC, region LIMIT 5 OFFSET 10"))
        // The rowid breaks ties last, as one database's sorter keeps scan order among equal keys.
        #expect(p.shardSQL == "SELECT name AS n, name AS limitless_sort_0, region AS limitless_sort_1, customers.\"rowid\" AS limitless_sort_2 FROM customers ORDER BY limitless_sort_0 DESC NULLS LAST, limitless_sort_1 ASC NULLS FIRST, limitless_sort_2 ASC NULLS FIRST LIMIT 15")
        #expect(p.merge == .sorted([.init(column: -3, descending: true, nullsFirst: false, collation: .nocase),
                                    .init(column: -2, descending: false, nullsFirst: true, collation: .binary),
                                    .init(column: -1, descending: false, nullsFirst: true, collation: .binary)]))
        #expect(p.offset == 10 && p.limit == 5 && p.hiddenColumns == 3)
        // Grouped on the shard key: the group keys break ties, in the ORDER BY's direction when
        // both clauses have as many terms (SQLite then groups in that direction).
        let g = try #require(try plan("SELECT cust_id, count(*) FROM orders GROUP BY cust_id ORDER BY 2 DESC LIMIT 3"))
        #expect(g.merge == .sorted([.init(column: -2, descending: true, nullsFirst: false, collation: .binary),
                                    .init(column: -1, descending: true, nullsFirst: false, collation: .binary)]))
        let g2 = try #require(try plan("SELECT cust_id, count(*) FROM orders GROUP BY cust_id ORDER BY 2 DESC, 1 + 0"))
        #expect(g2.merge == .sorted([.init(column: -3, descending: true, nullsFirst: false, collation: .binary),
                                     .init(column: -2, descending: false, nullsFirst: true, collation: .binary),
                                     .init(column: -1, descending: false, nullsFirst: true, collation: .binary)]))
    }

    @Test func constantsAreNeverReadAsColumnPositions() throws {
        let p = try #require(try plan("SELECT 5, count(*), sum(DISTINCT 12) FROM customers GROUP BY 1 ORDER BY 1"))
        #expect(p.shardSQL == "SELECT 5, count(*), 12 FROM customers GROUP BY CAST(5 AS INTEGER), CAST(12 AS INTEGER)")
        guard case let .combine(all, _) = p.merge else { Issue.record("\(p.merge)"); return }
        #expect(all.hasPrefix("SELECT c0, coalesce(sum(c1), 0), sum(DISTINCT c2) FROM"))
        guard case let .combine(sql, _) = p.merge else { Issue.record("\(p.merge)"); return }
        #expect(sql.hasSuffix("GROUP BY c0 ORDER BY c0"))
        #expect(try plan("SELECT region FROM customers ORDER BY -1") == nil)
        let q = try #require(try plan("SELECT region, name FROM customers ORDER BY +2 COLLATE RTRIM"))
        #expect(q.merge == .sorted([.init(column: -2, descending: false, nullsFirst: true, collation: .rtrim),
                                    .init(column: -1, descending: false, nullsFirst: true, collation: .binary)]))
    }

    @Test func mergeOrderIsSQLitesOrder() {
        let values: [SQLValue] = [.text("b"), .integer(2), .real(1.5), .null, .blob([1]), .text("B"), .integer(-3), .real(2.0), .text("a ")]
        let sorted = values.sorted { SQLiteOrder.compare($0, $1, .binary) < 0 || (SQLiteOrder.isNull($0) && !SQLiteOrder.isNull($1)) }
        #expect(sorted.prefix(3) == [.null, .integer(-3), .real(1.5)])
        #expect(SQLiteOrder.compare(.integer(2), .real(2.0), .binary) == 0)
        #expect(SQLiteOrder.compare(.integer(9_007_199_254_740_993), .real(9_007_199_254_740_992.0), .binary) > 0)
        #expect(SQLiteOrder.compare(.text("B"), .text("b"), .binary) < 0)
        #expect(SQLiteOrder.compare(.text("B"), .text("b"), .nocase) == 0)
        #expect(SQLiteOrder.compare(.text("a "), .text("a"), .rtrim) == 0)
        #expect(SQLiteOrder.compare(.text("zzz"), .blob([0]), .binary) < 0)
        #expect(SQLiteOrder.compare(.text("é"), .text("z"), .binary) > 0)
    }
}
