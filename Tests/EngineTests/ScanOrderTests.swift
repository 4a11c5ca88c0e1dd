import Foundation
import LimitlessSupport
import Testing
@testable import LimitlessEngine

/// Row order where SQL leaves it to the engine: rows whose ORDER BY keys tie, the first
/// occurrence a DISTINCT keeps, the order group_concat concatenates in. One database follows
/// its scan (rowid) order there; the cluster must give the same rows in the same order, which
/// with LIMIT decides which rows come back at all.
@Suite(.serialized) struct ScanOrderTests {
    /// A sharded table whose rowids alternate between shards, and the same rows in one database.
    static let schema = """
    CREATE TABLE t (id INTEGER NOT NULL, g INTEGER, a INTEGER, x TEXT);
    INSERT INTO t VALUES (7, 2, 1, 'a'), (3, 1, 2, 'b'), (5, 2, 1, 'c'), (1, 1, 1, 'd'), (9, 2, 2, NULL),
      (2, 1, 1, 'f'), (8, 2, 1, ''), (4, 1, 1, 'h'), (6, 2, 1, 'i'), (10, 1, 2, 'j'), (11, 2, 1, 'k'),
      (12, 1, 1, 'l'), (3, 5, 1, 'm'), (8, 1, 1, 'b'), (13, 3, 2, 'c');
    """

    func setUp() throws -> (PlanFixture, PlainDatabase) {
        let f = try PlanFixture(name: "scan-order")
        try f.run("SET rds_aurora.limitless_create_table_mode = 'sharded'; SET rds_aurora.limitless_create_table_shard_key = '{\"id\"}';")
        try f.run(Self.schema)
        let plain = PlainDatabase()
        try plain.exec(Self.schema)
        return (f, plain)
    }

    func rows(_ f: PlanFixture, _ sql: String) throws -> [[SQLValue]] {
        guard case let .rows(_, _, rows)? = try f.engine.execute(sql) else { return [] }
        return rows
    }

    static let queries = [
        // ORDER BY keys that tie: scan order among them, LIMIT keeps those rows.
        "SELECT id, x FROM t ORDER BY g",
        "SELECT id, x FROM t ORDER BY g DESC",
        "SELECT id, x FROM t ORDER BY g LIMIT 5",
        "SELECT id, x FROM t WHERE a = 1 ORDER BY g DESC LIMIT 3 OFFSET 2",
        "SELECT id, x FROM t ORDER BY a DESC, g LIMIT 6",
        // Grouped on the shard key: ties among groups follow the group keys, in the ORDER BY's
        // direction when both clauses have as many terms.
        "SELECT id, count(*) FROM t GROUP BY id ORDER BY 2 DESC LIMIT 3",
        "SELECT id, count(*) FROM t GROUP BY id ORDER BY 2 LIMIT 4",
        "SELECT id, sum(a) FROM t GROUP BY id ORDER BY 2 DESC, 1 + 0 LIMIT 4",
        // DISTINCT keeps each row where it first occurs.
        "SELECT DISTINCT g FROM t",
        "SELECT DISTINCT a, g FROM t ORDER BY a LIMIT 3",
        "SELECT DISTINCT x FROM t LIMIT 4",
        "SELECT DISTINCT g FROM t WHERE a = 1 ORDER BY g DESC",
        "SELECT DISTINCT a AS z, x AS y FROM t ORDER BY y DESC LIMIT 2",
        // group_concat: in scan order, over groups spread over shards, NULL skipped, '' kept.
        "SELECT group_concat(x) FROM t",
        "SELECT g, group_concat(x, '-') FROM t GROUP BY g",
        "SELECT g, group_concat(DISTINCT x) FROM t GROUP BY g",
        "SELECT a, group_concat(id || x, '') FROM t WHERE x IS NOT NULL GROUP BY a ORDER BY a DESC",
        "SELECT id, group_concat(x) FROM t GROUP BY id",
    ]

    @Test func tiesDistinctAndGroupConcatFollowOneDatabasesScanOrder() throws {
        let (f, plain) = try setUp()
        for sql in Self.queries {
            let got = try rows(f, sql).map(DifferentialTests.key)
            let expected = try plain.query(sql).map(DifferentialTests.key)
            #expect(got == expected, "\(sql)")
        }
    }

    /// With indexes, one database reads the index its plan chose: rows come in index order
    /// (backwards when it steps back), and that order decides ties and what LIMIT keeps.
    @Test func oneTableReadThroughAnIndexKeepsIndexOrder() throws {
        let (f, plain) = try setUp()
        let indexes = "CREATE INDEX t_g ON t(g); CREATE INDEX t_ax ON t(a DESC, x COLLATE NOCASE);"
        try f.run(indexes)
        try plain.exec(indexes)
        for sql in ["SELECT id, x FROM t WHERE g > 1", "SELECT id, x FROM t WHERE g > 1 LIMIT 4",
                    "SELECT id, g FROM t ORDER BY g DESC", "SELECT id, g FROM t ORDER BY g DESC LIMIT 5 OFFSET 1",
                    "SELECT id FROM t WHERE g >= 2 ORDER BY g LIMIT 3", "SELECT a, x FROM t WHERE a = 1 LIMIT 5",
                    "SELECT a, x, id FROM t ORDER BY a LIMIT 6", "SELECT x FROM t WHERE a < 2 ORDER BY a DESC LIMIT 4"] {
            let got = try rows(f, sql).map(DifferentialTests.key)
            let expected = try plain.query(sql).map(DifferentialTests.key)
            #expect(got == expected, "\(sql)")
        }
    }

    @Test func accessOrderReadsSQLitesPlan() {
        #expect(AccessOrder.path("SCAN t") == .rowid)
        #expect(AccessOrder.path("SEARCH t USING INTEGER PRIMARY KEY (rowid>?)") == .rowid)
        #expect(AccessOrder.path("SEARCH t USING INDEX t_g (g>?)") == .index("t_g"))
        #expect(AccessOrder.path("SCAN t USING COVERING INDEX t_ax") == .index("t_ax"))
        #expect(AccessOrder.path("SEARCH t USING AUTOMATIC COVERING INDEX (g=?)") == nil)
        #expect(AccessOrder.path("USE TEMP B-TREE FOR ORDER BY") == nil)
        let cols: (String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]? = { _ in
            [(2, "a", true, "BINARY"), (3, "x", false, "NOCASE")]
        }
        let fwd = AccessOrder.keys(details: ["SCAN t USING INDEX t_ax", "USE TEMP B-TREE FOR ORDER BY"], backward: false, indexColumns: cols)
        #expect(fwd == [AccessKey(column: "a", descending: true, collation: "BINARY"),
                        AccessKey(column: "x", descending: false, collation: "NOCASE"),
                        AccessKey(column: nil, descending: false, collation: "BINARY")])
        let back = AccessOrder.keys(details: ["SCAN t USING INDEX t_ax"], backward: true, indexColumns: cols)
        #expect(back?.map(\.descending) == [false, true, true])
        #expect(AccessOrder.keys(details: ["SCAN t"], backward: false, indexColumns: cols) == [AccessKey(column: nil, descending: false, collation: "BINARY")])
        // Not one plain loop: unknown.
        #expect(AccessOrder.keys(details: ["MULTI-INDEX OR", "SEARCH t USING INDEX a (a=?)", "SEARCH t USING INDEX b (b=?)"], backward: false, indexColumns: cols) == nil)
        #expect(AccessOrder.keys(details: ["SCAN t USING INDEX e"], backward: false, indexColumns: { _ in [(-2, nil, false, "BINARY")] }) == nil)
    }

    /// Why group_concat over groups that span shards stays at the router: per-shard partials
    /// concatenated shard by shard would not give one database's order, since rowids (scan
    /// order) alternate between shards.
    @Test func groupConcatPartialsWouldNotKeepScanOrder() throws {
        let (f, plain) = try setUp()
        var shardMajor: [String] = []
        for n in 1...f.engine.shardCount {
            if case let .text(s)? = try f.engine.shard(n).query("SELECT group_concat(x) FROM t").first?.first { shardMajor.append(s) }
        }
        let one = try plain.query("SELECT group_concat(x) FROM t")
        #expect(one.first?.first != .text(shardMajor.joined(separator: ",")))
        #expect(try rows(f, "SELECT group_concat(x) FROM t") == one)
        // The plan: spanning groups at the router, groups whole on one shard pushed down.
        let spanning = try f.engine.explainLines("SELECT g, group_concat(x) FROM t GROUP BY g")
        #expect(spanning.first == "Router Execution")
        let whole = try f.engine.explainLines("SELECT id, group_concat(x) FROM t GROUP BY id")
        #expect(whole.first == "Distributed Pushdown")
        #expect(whole.contains { $0.contains("Remote SQL: SELECT id, group_concat(x)") })
    }
}
