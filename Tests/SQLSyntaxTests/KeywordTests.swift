import Testing
@testable import SQLSyntax

/// Every keyword as a table name, a column name, a column reference, an alias and a function
/// name: wherever SQLite accepts the statement, the parser must accept it too and the printed
/// SQL must behave the same on SQLite.
@Suite struct KeywordTests {
    @Test func keywordsWhereSQLiteAllowsThem() throws {
        var accepted = 0, bothReject = 0, onlyOurs = 0
        for k in Keyword.allCases where k != .none {
            let w = k.spelling.lowercased()
            let statements = [
                "CREATE TABLE \(w)(\(w) INT, x INT)",
                "CREATE TABLE t_\(w)(\(w))",
                "SELECT \(w) FROM t_\(w)",
                "SELECT \(w).\(w) FROM \(w)",
                "SELECT x AS \(w) FROM \(w)",
                "SELECT x \(w) FROM \(w)",
                "SELECT * FROM \(w) \(w)",
                "SELECT * FROM \(w) AS \(w) WHERE \(w).x = 1",
                "SELECT \(w)(1)",
                "INSERT INTO \(w)(\(w)) VALUES (1)",
                "UPDATE \(w) SET \(w) = 2 WHERE \(w) = 1",
                "CREATE INDEX \(w)_i ON \(w)(\(w))",
                "WITH \(w)(a) AS (SELECT 1) SELECT a FROM \(w)",
            ]
            let db = SQLiteDB(), db2 = SQLiteDB()
            for sql in statements {
                let original = db.run(sql)
                let parsed = try? SQLSyntax.parse(sql)
                switch (original, parsed) {
                case (.success(let rows), let p?):
                    accepted += 1
                    let printed = p.map(\.sql).joined(separator: ";")
                    #expect(try SQLSyntax.parse(printed) == p, "\(sql) -> \(printed)")
                    switch db2.run(printed) {
                    case .success(let rows2): #expect(rows == rows2, "\(sql) -> \(printed)")
                    case .failure(let e): Issue.record("printed fails: \(sql) -> \(printed): \(e.message)")
                    }
                case (.success, nil):
                    Issue.record("SQLite accepts, parser rejects: \(sql)")
                    _ = db2.run(sql)  // keep the second database in step
                case (.failure, _?): onlyOurs += 1
                case (.failure, nil): bothReject += 1
                }
            }
        }
        print("keywords: \(accepted) statements accepted by both, \(bothReject) rejected by both, \(onlyOurs) accepted only by the parser")
        #expect(accepted > 1000)
    }
}
