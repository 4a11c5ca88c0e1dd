import Testing
import Foundation
@testable import SQLSyntax

/// Random SELECT statements (joins of every kind, subqueries, compounds, CTEs, grouping,
/// windows, ordering, limits): SQLite must give the same rows for the original text and for
/// our printed text.
@Suite struct QueryFuzzTests {
    struct Gen {
        var rng: SplitMix64
        var aliasCounter = 0
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

        mutating func column(_ cols: [String]) -> String {
            chance(85) && !cols.isEmpty ? pick(cols) : pick(["1", "'x'", "NULL", "2.5"])
        }

        mutating func expr(_ depth: Int, _ cols: [String]) -> String {
            if depth == 0 || chance(30) { return column(cols) }
            switch rng.next() % 12 {
            case 0, 1: return "\(expr(depth - 1, cols)) \(pick(["+", "-", "*", "||", "=", "<>", "<", ">=", "AND", "OR", "IS", "IS NOT"])) \(expr(depth - 1, cols))"
            case 2: return "(\(expr(depth - 1, cols)))"
            case 3: return "\(expr(depth - 1, cols)) \(pick(["", "NOT "]))IN (SELECT \(pick(["a", "e"])) FROM \(pick(["t1", "t3"])))"
            case 4: return "\(pick(["", "NOT "]))EXISTS (SELECT 1 FROM t3 WHERE e = \(column(cols)))"
            case 5: return "(SELECT max(e) FROM t3 WHERE e < \(column(cols)))"
            case 6: return "\(expr(depth - 1, cols)) BETWEEN \(expr(depth - 1, cols)) AND \(expr(depth - 1, cols))"
            case 7: return "CASE WHEN \(expr(depth - 1, cols)) THEN \(expr(depth - 1, cols)) ELSE \(expr(depth - 1, cols)) END"
            case 8: return "coalesce(\(expr(depth - 1, cols)), \(expr(depth - 1, cols)))"
            case 9: return "\(expr(depth - 1, cols)) \(pick(["", "NOT "]))IN (\(column(cols)), \(column(cols)))"
            case 10: return "\(expr(depth - 1, cols)) \(pick(["ISNULL", "NOTNULL"]))"
            default: return "-\(expr(depth - 1, cols))"
            }
        }

        mutating func alias() -> String { aliasCounter += 1; return "q\(aliasCounter)" }

        /// A table reference and the qualified columns it brings.
        mutating func table() -> (String, [String]) {
            let a = alias()
            switch rng.next() % 5 {
            case 0: return ("t1 AS \(a)", ["\(a).a", "\(a).b", "\(a).c"])
            case 1: return ("t2 \(a)", ["\(a).a", "\(a).d"])
            case 2: return ("t3 AS \(a)", ["\(a).e"])
            case 3:
                let inner = alias()
                return ("(SELECT a, b AS v FROM t1 AS \(inner) WHERE \(expr(1, ["\(inner).a", "\(inner).b"]))) AS \(a)", ["\(a).a", "\(a).v"])
            default: return ("t1 \(a)", ["\(a).a", "\(a).b"])
            }
        }

        mutating func from() -> (String, [String]) {
            var (s, cols) = table()
            for _ in 0..<Int(rng.next() % 3) {
                let (t, tcols) = table()
                let all = cols + tcols
                switch rng.next() % 7 {
                case 0: s += ", " + t
                case 1: s += " JOIN \(t) ON \(expr(1, all))"
                case 2: s += " LEFT JOIN \(t) ON \(expr(1, all))"
                case 3: s += " \(pick(["LEFT OUTER", "INNER", "CROSS", "RIGHT", "FULL OUTER"])) JOIN \(t)\(chance(70) ? " ON " + expr(1, all) : "")"
                case 4: s += " JOIN \(t) USING (a)"
                case 5: s += " NATURAL JOIN \(t)"
                default: s = "(\(s) JOIN \(t) ON \(expr(1, all)))"
                }
                cols = all
            }
            return (s, cols)
        }

        mutating func core(_ width: Int) -> String {
            if chance(8) { return "VALUES (" + (0..<width).map { _ in pick(["1", "'v'", "NULL"]) }.joined(separator: ", ") + ")" }
            let (fromText, cols) = from()
            var s = "SELECT \(pick(["", "DISTINCT ", "ALL "]))"
            let grouped = width == 2 && chance(30)
            let key = column(cols)
            if grouped {
                s += "\(key), \(pick(["count(*)", "sum(\(column(cols))) FILTER (WHERE \(expr(1, cols)))", "group_concat(DISTINCT \(column(cols)))", "max(\(column(cols)))"]))"
            } else {
                var items: [String] = []
                for i in 0..<width {
                    if i == width - 1 && chance(15) {
                        items.append("row_number() OVER (\(chance(50) ? "PARTITION BY \(column(cols)) " : "")ORDER BY \(column(cols))\(chance(40) ? " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW" : ""))")
                    } else {
                        items.append(expr(2, cols) + (chance(30) ? " AS \(pick(["k", "\"q w\"", "w"]))\(i)" : ""))
                    }
                }
                s += items.joined(separator: ", ")
            }
            s += " FROM " + fromText
            if chance(60) { s += " WHERE " + expr(3, cols) }
            if grouped {
                s += " GROUP BY \(key)"
                if chance(50) { s += " HAVING count(*) \(pick([">", "<", "="])) \(pick(["0", "1", "2"]))" }
            }
            return s
        }

        mutating func select() -> String {
            aliasCounter = 0
            let width = Int(rng.next() % 2) + 1
            var s = ""
            if chance(15) { s += "WITH \(pick(["", "RECURSIVE "]))cte(a, b) AS (SELECT 1, 2 UNION ALL SELECT a + 1, b FROM cte WHERE a < 3) " }
            s += core(width)
            if chance(25) { s += " \(pick(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"])) " + core(width) }
            if chance(40) { s += " ORDER BY \(pick(width == 2 ? ["1", "2"] : ["1"]))\(pick(["", " ASC", " DESC"]))\(pick(["", " NULLS FIRST", " NULLS LAST"]))" }
            if chance(30) { s += pick([" LIMIT 3", " LIMIT 2 OFFSET 1", " LIMIT 1, 2", " LIMIT -1"]) }
            if s.hasPrefix("WITH") && chance(60) { s = s.replacingOccurrences(of: "FROM t3", with: "FROM cte") }
            return s
        }
    }

    @Test func printedQueriesGiveTheSameRows() throws {
        let db = SQLiteDB()
        _ = db.run("""
            CREATE TABLE t1(a INTEGER, b TEXT, c REAL); CREATE TABLE t2(a INTEGER, d TEXT); CREATE TABLE t3(e INTEGER);
            INSERT INTO t1 VALUES (1, 'x', 1.5), (2, 'y', NULL), (3, NULL, -2), (NULL, 'x', 0);
            INSERT INTO t2 VALUES (1, 'p'), (3, 'q'), (5, NULL); INSERT INTO t3 VALUES (1), (2), (NULL);
            """)
        var gen = Gen(rng: SplitMix64(seed: 99))
        var compared = 0, bothFail = 0, onlyOurs = 0
        for _ in 0..<3_000 {
            let text = gen.select()
            let original = db.run(text)
            let stmts: [Statement]
            do { stmts = try SQLSyntax.parse(text) } catch {
                if case .success = original { Issue.record("SQLite accepts but we reject: \(text): \(error.message)") }
                continue
            }
            let printed = stmts[0].sql
            #expect(try SQLSyntax.parse(printed) == stmts, "\(text) -> \(printed)")
            switch (original, db.run(printed)) {
            case (.success(let x), .success(let y)):
                compared += 1
                #expect(x.map { $0.joined(separator: "|") }.sorted() == y.map { $0.joined(separator: "|") }.sorted(), "\(text) -> \(printed)")
            case (.failure, .failure): bothFail += 1
            case (.failure, .success): onlyOurs += 1
            case (.success, .failure(let e)): Issue.record("printed SQL fails: \(text) -> \(printed): \(e.message)")
            }
        }
        print("query fuzz: \(compared) compared, \(bothFail) fail on both, \(onlyOurs) accepted only by us")
        #expect(compared > 1_000)
    }
}
