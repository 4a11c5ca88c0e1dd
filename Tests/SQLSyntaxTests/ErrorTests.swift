import Testing
@testable import SQLSyntax

/// Golden syntax-error renderings (psql's format) and positions.
let errorGoldens: [(input: String, rendered: String)] = [
    ("SELECT * FORM t", """
    ERROR:  syntax error at or near "FORM"
    LINE 1: SELECT * FORM t
                     ^
    """),
    ("SELEC 1", """
    ERROR:  syntax error at or near "SELEC"
    LINE 1: SELEC 1
            ^
    """),
    ("SELECT 1 +", """
    ERROR:  syntax error at end of input
    LINE 1: SELECT 1 +
                      ^
    """),
    ("SELECT a\nFROM t\nWHERE a = = 1", """
    ERROR:  syntax error at or near "="
    LINE 3: WHERE a = = 1
                      ^
    """),
    ("SELECT 'abc", """
    ERROR:  unterminated quoted string at or near "'abc"
    LINE 1: SELECT 'abc
                   ^
    """),
    ("SELECT \"abc", """
    ERROR:  unterminated quoted identifier at or near ""abc"
    LINE 1: SELECT "abc
                   ^
    """),
    ("SELECT 'é' FROM FROM t", """
    ERROR:  syntax error at or near "FROM"
    LINE 1: SELECT 'é' FROM FROM t
                            ^
    """),
    ("SELECT\t* FORM t", """
    ERROR:  syntax error at or near "FORM"
    LINE 1: SELECT * FORM t
                     ^
    """),
    ("SELECT a,\n  b,", """
    ERROR:  syntax error at end of input
    LINE 2:   b,
                ^
    """),
    ("CREATE TABLE t (a INT,)", """
    ERROR:  syntax error at or near ")"
    LINE 1: CREATE TABLE t (a INT,)
                                  ^
    """),
    ("SELECT 1;\nSELECT * FORM t", """
    ERROR:  syntax error at or near "FORM"
    LINE 2: SELECT * FORM t
                     ^
    """),
    ("SELECT x'0' FROM t", """
    ERROR:  syntax error at or near "x'0'"
    LINE 1: SELECT x'0' FROM t
                   ^
    """),
    ("INSERT INTO t VALUES (1,)", """
    ERROR:  syntax error at or near ")"
    LINE 1: INSERT INTO t VALUES (1,)
                                    ^
    """),
    ("UPDATE t SET WHERE a = 1", """
    ERROR:  syntax error at or near "WHERE"
    LINE 1: UPDATE t SET WHERE a = 1
                         ^
    """),
    ("SELECT 12abc", """
    ERROR:  syntax error at or near "12abc"
    LINE 1: SELECT 12abc
                   ^
    """),
    ("SELECT a\r\nFROM t\r\nWHERE", """
    ERROR:  syntax error at end of input
    LINE 3: WHERE
                 ^
    """),
    ("SET x =", """
    ERROR:  syntax error at end of input
    LINE 1: SET x =
                   ^
    """),
    // long lines are cut to 60 characters around the error, as psql does
    ("SELECT " + String(repeating: "x, ", count: 30) + "FROM t",
     "ERROR:  syntax error at or near \"FROM\"\nLINE 1: ..." + String(repeating: "x, ", count: 18) + "FROM t\n"
        + String(repeating: " ", count: 65) + "^"),
    ("SELECT * FORM t WHERE a = 1" + String(repeating: " AND a = 1", count: 10),
     "ERROR:  syntax error at or near \"FORM\"\nLINE 1: SELECT * FORM t WHERE a = 1 AND a = 1 AND a = 1 AND a = 1 AN...\n"
        + String(repeating: " ", count: 17) + "^"),
]

@Suite struct ErrorTests {
    @Test func goldenRenderings() {
        for g in errorGoldens {
            do {
                _ = try SQLSyntax.parse(g.input)
                Issue.record("no error for \(g.input)")
            } catch {
                #expect(error.rendered(source: g.input) == g.rendered, "\(g.input)")
                #expect(error.sqlState == "42601")
            }
        }
    }

    @Test func positionFields() throws {
        let sql = "SELECT 1;\nSELECT * FORM t"
        do { _ = try SQLSyntax.parse(sql); Issue.record("parsed") } catch {
            #expect(error.line == 2)
            #expect(error.column == 10)
            #expect(error.offset == 19)
            #expect(error.token == "FORM")
            #expect(error.message == "syntax error at or near \"FORM\"")
        }
        do { _ = try SQLSyntax.parse("SELECT"); Issue.record("parsed") } catch {
            #expect(error.token == nil)
            #expect(error.offset == 6)
            #expect(error.message == "syntax error at end of input")
        }
    }

    @Test func tooDeepNestingIsACleanError() {
        for depth in [1_001, 10_000, 100_000] {
            let sql = "SELECT " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
            do { _ = try SQLSyntax.parse(sql); Issue.record("parsed depth \(depth)") } catch {
                #expect(error.sqlState == "54001")
                #expect(error.message == "stack depth limit exceeded")
            }
        }
        let subqueries = String(repeating: "SELECT * FROM (", count: 5_000) + "SELECT 1" + String(repeating: ")", count: 5_000)
        do { _ = try SQLSyntax.parse(subqueries); Issue.record("parsed") } catch { #expect(error.sqlState == "54001") }
        let minus = "SELECT " + String(repeating: "- ", count: 50_000) + "1"
        do { _ = try SQLSyntax.parse(minus); Issue.record("parsed") } catch { #expect(error.sqlState == "54001") }
        let chain = "SELECT " + Array(repeating: "1", count: 20_000).joined(separator: " + ")
        do { _ = try SQLSyntax.parse(chain); Issue.record("parsed") } catch { #expect(error.sqlState == "54001") }
        let cases = "SELECT " + String(repeating: "CASE WHEN 1 THEN ", count: 3_000) + "1" + String(repeating: " END", count: 3_000)
        do { _ = try SQLSyntax.parse(cases); Issue.record("parsed") } catch { #expect(error.sqlState == "54001") }
    }

    @Test func moderateNestingParsesAndPrints() throws {
        let depth = 300
        let sql = "SELECT " + String(repeating: "(", count: depth) + "1 + a" + String(repeating: ")", count: depth) + " FROM t"
        let s = try SQLSyntax.parse(sql)
        #expect(try SQLSyntax.parse(s[0].sql) == s)
        let sub = String(repeating: "SELECT * FROM (", count: 100) + "SELECT 1" + String(repeating: ")", count: 100)
        let t = try SQLSyntax.parse(sub)
        #expect(try SQLSyntax.parse(t[0].sql) == t)
    }

    @Test func hugeInputsAreLinear() throws {
        let big = String(repeating: "x", count: 10_000_000)
        let s = try SQLSyntax.parse("SELECT '" + big + "'")
        guard case .select(let sel) = s[0].kind, case .select(let core) = sel.first,
              case .expr(.literal(.string(let v)), _) = core.columns[0] else { Issue.record("shape"); return }
        #expect(v.utf8.count == 10_000_000)
        do { _ = try SQLSyntax.parse("SELECT '" + big); Issue.record("parsed") } catch {
            #expect(error.message.hasPrefix("unterminated quoted string"))
        }
        // 100,000 statements on one line: a quadratic step (like rescanning the line for each
        // statement's column) would take minutes here
        let manyStatements = String(repeating: "SELECT 1;", count: 100_000)
        let clock = ContinuousClock()
        var count = 0
        let elapsed = try clock.measure { count = try SQLSyntax.parse(manyStatements).count }
        #expect(count == 100_000)
        #expect(elapsed < .seconds(30))
        let parts = clock.measure { #expect(SQLSyntax.splitStatements(manyStatements).count == 100_000) }
        #expect(parts < .seconds(30))
    }
}
