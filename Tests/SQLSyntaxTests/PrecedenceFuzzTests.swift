import Testing
@testable import SQLSyntax

/// Random expressions with and without parentheses: SQLite must give the same value for the
/// original text and for our printed text. If the parser grouped operators differently from
/// SQLite, the printer's explicit grouping would change the value.
@Suite struct PrecedenceFuzzTests {
    struct Gen {
        var rng: SplitMix64
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

        mutating func atom() -> String {
            pick(["1", "2", "3", "0", "-1", "2.5", "'a'", "'B'", "'10'", "NULL", "a", "b", "c", "t.a", "X'41'", "0x10", "1e1", "TRUE"])
        }

        mutating func expr(_ depth: Int) -> String {
            if depth == 0 || chance(15) { return atom() }
            let e: String
            switch rng.next() % 16 {
            case 0, 1, 2, 3:
                let op = pick(["+", "-", "*", "/", "%", "||", "&", "|", "<<", ">>", "<", "<=", ">", ">=", "=", "==", "!=", "<>",
                               "AND", "OR", "IS", "IS NOT", "->", "->>"])
                e = "\(sub(depth)) \(op) \(sub(depth))"
            case 4: e = "\(pick(["-", "+", "~", "NOT "]))\(sub(depth))"
            case 5: e = "\(sub(depth)) \(pick(["", "NOT "]))BETWEEN \(sub(depth)) AND \(sub(depth))"
            case 6: e = "\(sub(depth)) \(pick(["", "NOT "]))IN (\(sub(depth)), \(sub(depth)))"
            case 7: e = "\(sub(depth)) \(pick(["", "NOT "]))\(pick(["LIKE", "GLOB"])) \(sub(depth))"
            case 8: e = "\(sub(depth)) \(pick(["ISNULL", "NOTNULL", "NOT NULL", "IS NULL", "IS NOT NULL"]))"
            case 9: e = "\(sub(depth)) COLLATE \(pick(["NOCASE", "BINARY", "RTRIM"]))"
            case 10: e = "CASE \(chance(50) ? sub(depth) + " " : "")WHEN \(sub(depth)) THEN \(sub(depth)) ELSE \(sub(depth)) END"
            case 11: e = "CAST(\(expr(depth - 1)) AS \(pick(["INTEGER", "TEXT", "REAL", "NUMERIC", "BLOB"])))"
            case 12: e = "\(sub(depth)) LIKE \(sub(depth)) ESCAPE \(sub(depth))"
            case 13: e = "\(pick(["abs", "coalesce", "typeof", "length", "upper"]))(\(expr(depth - 1)))"
            case 14: e = "\(sub(depth)) IS \(pick(["", "NOT "]))DISTINCT FROM \(sub(depth))"
            default: e = "(SELECT \(expr(depth - 1)))"
            }
            return e
        }

        mutating func sub(_ depth: Int) -> String {
            let e = expr(depth - 1)
            return chance(30) ? "(\(e))" : e
        }
    }

    @Test func printedGroupingMatchesSQLite() throws {
        let db = SQLiteDB()
        _ = db.run("CREATE TABLE t(a, b, c); INSERT INTO t VALUES (1, 2.5, 'x'), (NULL, -3, 'Y'), ('7', 0, NULL);")
        var gen = Gen(rng: SplitMix64(seed: 42))
        var compared = 0, bothFail = 0, onlyOursAccepts = 0, parseRejects = 0
        for _ in 0..<10_000 {
            let text = "SELECT \(gen.expr(4)) FROM t"
            let original = db.run(text)
            let stmts: [Statement]
            do { stmts = try SQLSyntax.parse(text) } catch {
                parseRejects += 1
                if case .success = original { Issue.record("SQLite accepts but we reject: \(text): \(error.message)") }
                continue
            }
            let printed = stmts[0].sql
            #expect(try SQLSyntax.parse(printed) == stmts, "\(text) -> \(printed)")
            let again = db.run(printed)
            switch (original, again) {
            case (.success(let x), .success(let y)):
                compared += 1
                #expect(x == y, "\(text) -> \(printed)")
            case (.failure, .failure): bothFail += 1
            case (.failure, .success): onlyOursAccepts += 1
            case (.success, .failure(let e)): Issue.record("printed SQL fails: \(text) -> \(printed): \(e.message)")
            }
        }
        print("precedence fuzz: \(compared) compared, \(bothFail) fail on both, \(onlyOursAccepts) accepted only by us, \(parseRejects) rejected by us")
        #expect(compared > 5_000)
    }
}
