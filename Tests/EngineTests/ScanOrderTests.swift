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

    /// Runs `script` on the cluster and (without its SET lines) on the plain database.
    func onBoth(_ f: PlanFixture, _ plain: PlainDatabase, _ script: String) throws {
        try f.run(script)
        try plain.exec(script.split(separator: "\n").filter { !$0.hasPrefix("SET") }.joined(separator: "\n"))
    }

    /// Expects the cluster to give the plain database's rows in its order; returns the plan.
    @discardableResult
    func expectOneDatabase(_ f: PlanFixture, _ plain: PlainDatabase, _ sql: String) throws -> [String] {
        let got = try rows(f, sql).map(DifferentialTests.key)
        let expected = try plain.query(sql).map(DifferentialTests.key)
        #expect(got == expected, "\(sql)")
        return try f.engine.explainLines(sql)
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

    /// The router's scans (tier 3) too: where one database would read a table through an index,
    /// the shards' rows reach the router in that index's order, so group_concat, a LIMIT in a
    /// subquery and the row order of a join match it.
    @Test func routerScansReadThroughAnIndexKeepIndexOrder() throws {
        let (f, plain) = try setUp()
        // The scans themselves, not copies (which these statements would run over otherwise).
        f.engine.routerCopyRows = 0
        try onBoth(f, plain, """
        CREATE INDEX t_g ON t(g); CREATE INDEX t_ax ON t(a DESC, x COLLATE NOCASE);
        SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
        CREATE TABLE u (k INTEGER NOT NULL, v TEXT); INSERT INTO u VALUES (1, 'p'), (2, 'q'), (3, 'r'), (9, 's');
        """)
        for sql in ["SELECT group_concat(x) FROM t WHERE g > 1",
                    "SELECT group_concat(id || x, ';') FROM t WHERE a = 1",
                    "SELECT a, group_concat(x) FROM t WHERE g >= 2 GROUP BY a",
                    "SELECT group_concat(x || v) FROM t JOIN u ON u.k = t.g WHERE t.g > 1",
                    "SELECT k, (SELECT x FROM t WHERE g > u.k LIMIT 1) FROM u",
                    "SELECT v, (SELECT group_concat(id) FROM t WHERE a = u.k) FROM u",
                    "SELECT * FROM (SELECT id, x FROM t WHERE g > 1 LIMIT 3) JOIN u ON u.k < 3 ORDER BY v"] {
            let plan = try expectOneDatabase(f, plain, sql)
            #expect(plan.first == "Router Execution" && !plan.contains { $0.contains("Copy") }, "\(sql)")
        }
    }

    /// An IN list on a column that is not the shard key comes whole to one xFilter and goes to
    /// the shards as `col IN (…)`, so the rows come in the table's read order, as where one
    /// database scans the table and tests each row against the list; looked up value by value
    /// they came grouped by value, and ties of an ORDER BY (or group_concat) followed that.
    @Test func inListsAtTheRouterKeepTheTablesReadOrder() throws {
        let (f, plain) = try setUp()
        f.engine.routerCopyRows = 0
        try onBoth(f, plain, """
        SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
        CREATE TABLE u (k INTEGER NOT NULL, b INTEGER); INSERT INTO u VALUES (1, 2), (2, 1), (3, 2), (4, NULL);
        """)
        for sql in ["SELECT id, x FROM t WHERE g IN (SELECT b FROM u) ORDER BY a",
                    "SELECT id, x FROM t WHERE g IN (SELECT b FROM u WHERE k > 1) ORDER BY a DESC LIMIT 5",
                    "SELECT group_concat(id) FROM t WHERE g IN (SELECT b FROM u)",
                    "SELECT id FROM t WHERE a IN (SELECT b FROM u WHERE b IS NULL)",
                    "SELECT id, x FROM t WHERE g IN (2, 1) AND a IN (SELECT b FROM u) ORDER BY x IS NULL"] {
            let plan = try expectOneDatabase(f, plain, sql)
            #expect(plan.first == "Router Execution" && !plan.contains { $0.contains("Copy") }, "\(sql)")
        }
    }

    /// Where the answer depends on the join's order too (group_concat over a join, a window
    /// over rows in read order, a LIMIT on a join), the router runs the statement over copies
    /// of the tables with their indexes, so SQLite plans the loops as one database does; the
    /// copies are gone afterwards.
    @Test func orderDependentJoinsRunOverCopiesAsOneDatabase() throws {
        let (f, plain) = try setUp()
        try onBoth(f, plain, """
        CREATE INDEX t_ga ON t(g DESC, a);
        SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
        CREATE TABLE u (k INTEGER NOT NULL, b INTEGER, v TEXT);
        CREATE INDEX u_bv ON u(b DESC, v);
        INSERT INTO u VALUES (1, 2, 'p'), (2, 1, 'q'), (3, 2, 'r'), (9, 1, 's'), (4, 5, 'p'), (6, 1, 'q');
        """)
        let queries = ["SELECT u.b, group_concat(t.id) FROM t JOIN u ON t.a = u.b GROUP BY u.b",
                       "SELECT u.v, group_concat(t.x, '') FROM u JOIN t ON t.g = u.b GROUP BY u.v",
                       "SELECT t.id, u.k, row_number() OVER () FROM t JOIN u ON t.a = u.b",
                       "SELECT t.id, u.k FROM t JOIN u ON t.a = u.b LIMIT 5",
                       "WITH j AS (SELECT t.id, u.v FROM t, u WHERE t.g = u.b) SELECT group_concat(id || v) FROM j"]
        for sql in queries { try expectOneDatabase(f, plain, sql) }
        let plan = try f.engine.explainLines(queries[0])
        #expect(plan.first == "Router Execution")
        #expect(plan.contains("  ->  Distributed Copy of t (sharded by id)"))
        #expect(plan.contains("  ->  Distributed Copy of u (sharded by k)"))
        // Without an order-dependent part the router reads the shards through scans.
        #expect(!(try f.engine.explainLines("SELECT u.b, count(t.id) FROM t JOIN u ON t.a = u.b GROUP BY u.b")).contains { $0.contains("Copy") })
        #expect(try rows(f, "SELECT count(*) FROM sqlite_temp_schema") == [[.integer(0)]])
        #expect(try rows(f, "SELECT count(*) FROM u") == [[.integer(6)]])
    }

    /// Tier 2 steps aside where a LIMIT's rows follow an order its merge cannot give — ties of
    /// joined rows, DISTINCT rows first met through an index, groups emitted through an index
    /// — and where a value depends on how the shards read a broadcast copy; a column beside
    /// aggregates at the router is taken from the row one database reads last. Over copies the
    /// router answers as one database.
    @Test func limitsOverOrdersTierTwoCannotFollowRunOverCopies() throws {
        let (f, plain) = try setUp()
        try onBoth(f, plain, """
        CREATE INDEX t_gd ON t(g DESC);
        CREATE INDEX t_x ON t(x);
        SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
        CREATE TABLE u (k INTEGER NOT NULL, b INTEGER);
        INSERT INTO u VALUES (1, 2), (2, 1), (3, 2), (9, 1), (4, 5);
        """)
        let queries = ["SELECT t.id, u.k FROM t JOIN u ON t.a = u.b ORDER BY u.b LIMIT 4",
                       "SELECT DISTINCT a FROM t WHERE x > 'c' LIMIT 1",
                       "SELECT g, count(*) FROM t GROUP BY g LIMIT 2",
                       "SELECT t.a, t.x, max(t.g) FROM t JOIN u ON u.b = t.a GROUP BY t.a",
                       // Grouped by the shard key with t broadcast as b: the copy on the shards has
                       // no index, one database reads b through t_x.
                       "SELECT a.id, group_concat(b.id) FROM t a JOIN t b ON b.x >= a.x GROUP BY a.id"]
        for sql in queries {
            #expect(try expectOneDatabase(f, plain, sql).contains { $0.hasPrefix("  ->  Distributed Copy of t ") }, "\(sql)")
        }
    }

    /// A statement over copies that fails part-way leaves no copy behind to hide the table
    /// from the next statement.
    @Test func aFailingStatementOverCopiesLeavesNoCopy() throws {
        let (f, _) = try setUp()
        #expect(throws: EngineError.self) {
            try f.engine.execute("SELECT group_concat(x) FROM t WHERE abs(-9223372036854775807 - 1 + 0 * id) > 0")
        }
        try f.run("INSERT INTO t VALUES (20, 9, 9, 'zz')")
        #expect(try rows(f, "SELECT count(*) FROM sqlite_temp_schema") == [[.integer(0)]])
        #expect(try rows(f, "SELECT group_concat(x) FROM t WHERE id = 20") == [[.text("zz")]])
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
        #expect(AccessOrder.keys(details: ["MULTI-INDEX OR", "SEARCH t USING INDEX a (a=?)", "SEARCH t USING INDEX b (b=?)"], backward: false, indexColumns: cols)
                    .flatMap { AccessOrder.resolve($0, candidates: { p, _ in p.isEmpty ? [2] : [] }, uses: Self.anyColumn) } == nil)
        #expect(AccessOrder.keys(details: ["SCAN t USING INDEX e"], backward: false, indexColumns: { _ in [(-2, nil, false, "BINARY")] }) == nil)
    }

    static func cols(_ index: String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]? {
        [(2, "a", true, "BINARY"), (3, "x", false, "NOCASE")]
    }
    static func anyColumn(_ path: [Int], _ chosen: [[Int]: Int], _ b: Int, _ column: String) -> Bool { true }
    static func resolved(_ details: [String], _ counts: ([Int], [[Int]: Int]) -> [Int],
                         uses: ([Int], [[Int]: Int], Int, String) -> Bool = anyColumn) -> [AccessKey]? {
        AccessOrder.keys(details: details, backward: false, indexColumns: cols).flatMap {
            AccessOrder.resolve($0, candidates: counts, uses: uses)
        }
    }

    @Test func accessOrderReadsMultiIndexOr() {
        let cols = Self.cols(_:)
        // MULTI-INDEX OR: the number of the first OR term a row meets, each term's loop order
        // for its own rows, then the rowid; which nested OR an `INDEX i` belongs to is read with
        // the statement's term counts.
        let multi = ["MULTI-INDEX OR", "INDEX 1", "SEARCH t USING INDEX t_ax (a=?)", "INDEX 2",
                     "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)", "USE TEMP B-TREE FOR ORDER BY"]
        let raw = AccessOrder.keys(details: multi, backward: false, indexColumns: cols)
        #expect(raw.map(AccessOrder.isRawMultiIndexOr) == true)
        let two = Self.resolved(multi) { p, _ in p.isEmpty ? [2] : [] }
        #expect(two == [
            AccessKey(column: nil, descending: false, collation: "BINARY", orPath: [], orTerms: 2),
            AccessKey(column: "a", descending: true, collation: "BINARY", orPath: [1]),
            AccessKey(column: "x", descending: false, collation: "NOCASE", orPath: [1]),
            AccessKey(column: nil, descending: false, collation: "BINARY")])
        #expect(Self.resolved(multi) { p, _ in p.isEmpty ? [3] : [] } == nil)
        #expect(AccessOrder.keys(details: multi, backward: true, indexColumns: cols) == nil)
        #expect(AccessOrder.keys(details: ["SCAN u"] + multi, backward: false, indexColumns: cols) == nil)
        #expect(Self.resolved(["MULTI-INDEX OR", "SEARCH t USING INDEX a (a=?)", "SEARCH t USING INDEX b (b=?)"]) { p, _ in p.isEmpty ? [2] : [] } == nil)
        // An OR inside term 1 with three terms, then the outer OR's term 2: the same lines read
        // as an inner OR of two terms and an outer of three would not fit.
        let nested = ["MULTI-INDEX OR", "INDEX 1", "MULTI-INDEX OR", "INDEX 1", "SEARCH t USING INDEX t_ax (a=?)",
                      "INDEX 2", "SCAN t", "INDEX 3", "SEARCH t USING INDEX t_ax (a>?)", "INDEX 2", "SCAN t"]
        let shape = Self.resolved(nested) { p, _ in p == [] ? [2] : p == [1] ? [3] : [] }?
            .map { [$0.column ?? "-", "\($0.orPath ?? [-1])", "\($0.orTerms)"] }
        #expect(shape == [
            ["-", "[]", "2"], ["-", "[1]", "3"], ["a", "[1, 1]", "0"], ["x", "[1, 1]", "0"],
            ["a", "[1, 3]", "0"], ["x", "[1, 3]", "0"], ["-", "[-1]", "0"]])
        #expect(Self.resolved(nested) { p, _ in p == [] ? [3] : p == [1] ? [2] : [] } == nil)
        // Several ORs to choose from at a level: the one whose term count fits the lines wins.
        let chosen = Self.resolved(nested) { p, chosen in p == [] ? [3, 2] : p == [1] && chosen[[]] == 1 ? [2, 3] : [] }
        #expect(chosen?.filter { $0.orTerms > 0 }.map(\.orTerms) == [2, 3])
        // Two ORs with as many terms: the one whose terms constrain the columns the loops' index
        // searches start with is read.
        let flat = ["MULTI-INDEX OR", "INDEX 1", "SEARCH t USING INDEX t_ax (a>? AND a<?)", "INDEX 2", "SEARCH t USING INDEX t_ax (a=?)"]
        let picked = Self.resolved(flat, { p, _ in p == [] ? [2, 2] : [] },
                                   uses: { _, chosen, b, columns in
                                       columns.split(separator: ",").contains(Substring((chosen[[]] == 1 ? ["a", "a"] : ["x", "x"])[b - 1]))
                                   })
        #expect(picked?.first?.orCandidate == 1)
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
