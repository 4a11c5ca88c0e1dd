import Foundation
import Testing
@testable import LimitlessEngine
import LimitlessSupport
import SQLSyntax

/// Partial aggregates hashed from a shard scan must be the rows the shard's GROUP BY returns,
/// and anything the hash cannot reproduce exactly must go back to SQLite.
@Suite struct HashAggregateTests {
    static let aggregates: Set<String> = ["count", "sum", "total", "avg", "min", "max", "group_concat"]

    /// Columns named t… are TEXT, n… NOCASE TEXT, u… untyped, everything else INTEGER.
    static func declared(_ c: ColumnRef) -> ColumnInfo? {
        let type = c.column.hasPrefix("t") || c.column.hasPrefix("n") ? "TEXT" : c.column.hasPrefix("u") ? "" : "INTEGER"
        return ColumnInfo(name: c.column, declaredType: type, collation: c.column.hasPrefix("n") ? "NOCASE" : "BINARY",
                          notNull: false, primaryKeyPosition: 0, hidden: 0)
    }

    func spec(_ sql: String) throws -> HashAggregateSpec? {
        guard case let .select(s) = try SQLSyntax.parseOne(sql).kind else { return nil }
        return HashAggregateSpec(s, aggregateNames: Self.aggregates, declared: Self.declared)
    }

    @Test func theScanReadsEachKeyAndArgumentOnce() throws {
        let s = try #require(try spec("SELECT grp, count(*), sum(x), total(y), count(y), min(x), max(y) FROM facts WHERE x > 3 GROUP BY grp"))
        #expect(s.scanSQL == "SELECT grp, x, y FROM facts WHERE x > 3")
        #expect(s.keyCount == 1)
        #expect(s.items == [.key(0), .countStar, .sum(1), .total(2), .count(2), .min(1), .max(2)])
        let two = try #require(try spec("SELECT count(*), b, a, sum(a * 2) FROM t JOIN u ON u.k = t.k GROUP BY a, b"))
        #expect(two.scanSQL == "SELECT a, b, a * 2 FROM t JOIN u ON u.k = t.k")
        #expect(two.items == [.countStar, .key(1), .key(0), .sum(2)])
        let text = try #require(try spec("SELECT tname, g + 1, count(tname) FROM t GROUP BY tname, g + 1"))
        #expect(text.textKeys == [true, false])
    }

    @Test func onlyTheSimpleShapeIsHashed() throws {
        for sql in ["SELECT count(*) FROM t",                               // no GROUP BY
                    "SELECT g, count(DISTINCT x) FROM t GROUP BY g",
                    "SELECT g, group_concat(x) FROM t GROUP BY g",
                    "SELECT g, sum(x) FROM t GROUP BY g HAVING sum(x) > 1",
                    "SELECT DISTINCT g, sum(x) FROM t GROUP BY g",
                    "SELECT g, sum(x) FROM t GROUP BY g ORDER BY g",
                    "SELECT g, sum(x) FILTER (WHERE x > 0) FROM t GROUP BY g",
                    "SELECT g, sum((SELECT max(y) FROM u)) FROM t GROUP BY g",
                    "SELECT g + 1, sum(x) FROM t GROUP BY g",              // a column that is not a key
                    "SELECT g, avg(x) FROM t GROUP BY g",                   // partials never carry avg
                    "SELECT nm, count(*) FROM t GROUP BY nm",               // NOCASE text key
                    "SELECT g, sum(tx) FROM t GROUP BY g",                  // a text column summed
                    "SELECT g, max(ux) FROM t GROUP BY g"] {                // an untyped column compared
            #expect(try spec(sql) == nil, "\(sql)")
        }
    }

    @Test func numbersMatchOneDatabaseAndOtherValuesGoBackToSQLite() throws {
        let f = try PlanFixture(name: "hashagg")
        // Partial aggregates on the shards even for this small table (its REAL values are
        // multiples of 1/64, whose sums do not depend on the order of addition): without
        // copies, tier 2 does not step aside for REAL sums.
        f.engine.routerCopyRows = 0
        let one = try Database(path: ":memory:", create: true)
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE f (id INTEGER PRIMARY KEY, g INTEGER, h INTEGER, x INTEGER, y REAL, z, t TEXT, tn TEXT COLLATE NOCASE);
            """)
        try one.exec("CREATE TABLE f (id INTEGER PRIMARY KEY, g INTEGER, h INTEGER, x INTEGER, y REAL, z, t TEXT, tn TEXT COLLATE NOCASE)")
        var rows: [String] = []
        var seed: UInt64 = 42
        func next(_ n: UInt64) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % n) }
        for id in 1...600 {
            let g = next(9) == 0 ? "NULL" : String(next(12) - 4)
            let x = next(10) == 0 ? "NULL" : String(next(2000) - 1000)
            let y = next(10) == 0 ? "NULL" : String(Double(next(100000)) / 64.0)
            let t = ["'a'", "'A'", "'é'", "'e\u{301}'", "''", "NULL", "'b '"][next(7)]   // composed and decomposed é differ in bytes
            rows.append("(\(id), \(g), \(next(3)), \(x), \(y), \(next(2) == 0 ? x : y), \(t), \(t))")
        }
        let insert = "INSERT INTO f VALUES " + rows.joined(separator: ", ")
        try f.run(insert)
        try one.exec(insert)
        /// hashed: true (the hash ran), false (it gave the statement back to SQLite), nil (not tried).
        func check(_ q: String, hashed: Bool?) throws {
            guard case let .rows(_, _, got)? = try f.engine.execute(q) else { Issue.record("no rows: \(q)"); return }
            #expect(got == (try one.query(q)), "\(q)")
            let analyzed = try f.engine.explainLines("ANALYZE " + q).joined(separator: "\n")
            switch hashed {
            case true?: #expect(analyzed.contains("shard aggregate=hashed"), "\(q)\n\(analyzed)")
            case false?: #expect(analyzed.contains("shard aggregate=SQL"), "\(q)\n\(analyzed)")
            case nil: #expect(!analyzed.contains("shard aggregate="), "\(q)\n\(analyzed)")
            }
        }
        try check("SELECT g, count(*), sum(x), total(y), count(y), min(x), max(y) FROM f GROUP BY g ORDER BY g", hashed: true)
        try check("SELECT h, g, sum(x), min(y), max(x), count(x) FROM f WHERE x > -500 GROUP BY g, h ORDER BY 1, 2", hashed: true)
        try check("SELECT g, sum(z + 0), min(z * 1), max(z * 1) FROM f GROUP BY g ORDER BY g", hashed: true)   // integers and reals mixed
        try check("SELECT g, sum(z) FROM f GROUP BY g ORDER BY g", hashed: nil)   // a column without a numeric type is not tried
        try check("SELECT g, sum(y) + count(*), max(x) - min(x) FROM f GROUP BY g ORDER BY g", hashed: true)
        try check("SELECT t, count(*), sum(x), max(y) FROM f GROUP BY t ORDER BY t", hashed: true)           // BINARY text keys
        try check("SELECT t, g, count(*) FROM f GROUP BY t, g ORDER BY t, g", hashed: true)
        try check("SELECT tn, count(*), min(x) FROM f GROUP BY tn ORDER BY tn", hashed: nil)             // NOCASE: not tried
        // Text group keys and text arguments are SQLite's to compare.
        try f.run("UPDATE f SET z = 'w' || x WHERE id % 7 = 0")
        try one.exec("UPDATE f SET z = 'w' || x WHERE id % 7 = 0")
        try check("SELECT g, max(z || '') FROM f GROUP BY g ORDER BY g", hashed: false)
        try check("SELECT z || '', count(*) FROM f WHERE id % 7 = 0 GROUP BY z || '' ORDER BY 1", hashed: false)
        // A sum that overflows fails as SQLite says (the shards run the SQL).
        try f.run("UPDATE f SET x = 9223372036854775000 WHERE g = 3")
        try one.exec("UPDATE f SET x = 9223372036854775000 WHERE g = 3")
        try check("SELECT g, sum(x) FROM f WHERE g <> 3 GROUP BY g ORDER BY g", hashed: true)
        #expect(throws: EngineError.self) { try f.engine.execute("SELECT g, sum(x) FROM f GROUP BY g") }
        #expect(throws: (any Error).self) { try one.query("SELECT g, sum(x) FROM f GROUP BY g") }
        // MIN over an integer and an equal real: which one is kept depends on order: SQLite decides.
        // (Rows with one shard key share a shard, so the tie is inside one shard's scan.)
        try f.run("SET rds_aurora.limitless_create_table_shard_key = '{\"k\"}'; CREATE TABLE t2 (k INTEGER, g INTEGER, z)")
        try one.exec("CREATE TABLE t2 (k INTEGER, g INTEGER, z)")
        for sql in ["INSERT INTO t2 VALUES (1, 100, 5), (1, 100, 5.0), (2, 100, 7), (3, 7, 1)"] {
            try f.run(sql)
            try one.exec(sql)
        }
        try check("SELECT g, min(z * 1), typeof(min(z * 1)) FROM t2 GROUP BY g ORDER BY g", hashed: false)
        f.engine.close()
    }

    @Test func integersAndRealsCompareByValue() {
        #expect(HashAggregate.compareNumbers(.integer(3), .real(2.5)) == 1)
        #expect(HashAggregate.compareNumbers(.real(-0.5), .integer(0)) == -1)
        #expect(HashAggregate.compareNumbers(.integer(Int64.max), .real(9223372036854775808.0)) == -1)
        #expect(HashAggregate.compareNumbers(.integer(2), .real(2.0)) == nil)
        #expect(HashAggregate.compareNumbers(.real(1e300), .integer(Int64.min)) == 1)
    }
}
