import Testing
@testable import SQLSyntax

let completeInputs: [String] = [
    "", ";", " ; ", "SELECT 1", "SELECT 1;", "SELECT 1; ", "SELECT 1;\n", "SELECT 1; -- c", "SELECT 1; -- c\n",
    "SELECT 1 -- ;", "SELECT 1 -- ;\n;", "SELECT ';'", "SELECT ';", "SELECT ';';", "SELECT \"a;\";", "SELECT [a;];",
    "SELECT `a;`;", "SELECT 'it''s';", "SELECT 'it''s", "/* ; */", "/* ; */;", "SELECT 1 /* ; */;", "SELECT 1 /* ;",
    "SELECT 1; /*", "SELECT 1; /* x */", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;",
    "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
    "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;", "create temporary trigger t delete on x begin delete from y; end ;",
    "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'END;'; END;", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END; SELECT 2",
    "EXPLAIN CREATE TRIGGER t INSERT ON x BEGIN SELECT 1; END;", "EXPLAIN SELECT 1;", "CREATE TABLE t(a);",
    "CREATE TABLE trigger(a);", "SELECT end;", "SELECT 1; SELECT 2;", "SELECT 1; SELECT 2", "\n\n", "-- only a comment",
    "-- only a comment\n", "SELECT 'a\nb';", "SELECT 1 ;;", "CREATE VIEW v AS SELECT 1;", "BEGIN; SELECT 1; END;",
    "CREATE TRIGGER t BEFORE UPDATE ON x BEGIN UPDATE y SET a = CASE WHEN 1 THEN 2 END; END;",
    "CREATE TRIGGER t BEFORE UPDATE ON x BEGIN UPDATE y SET a = CASE WHEN 1 THEN 2 END; END",
    "SELECT 1 -", "SELECT 1 /", "SELECT ü;", "SELECT [a", "SELECT 1; CREATE", "createx trigger;", "CREATE trigger", "select $end;",
]

@Suite struct SplitterTests {
    @Test func isCompleteMatchesSQLite() {
        for s in completeInputs {
            #expect(SQLSyntax.isComplete(s) == SQLiteDB.complete(s), "\(s.debugDescription)")
        }
    }

    @Test func isCompleteMatchesSQLiteOnCorpusPrefixes() {
        var checked = 0
        for file in Corpus.files().prefix(6) {
            for r in Corpus.records(file).prefix(300) {
                let text = r.sql + ";"
                let bytes = Array(text.utf8)
                // every prefix of the statement, cut at character boundaries
                for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 12)) {
                    let prefix = String(decoding: bytes[0..<cut], as: UTF8.self)
                    #expect(SQLSyntax.isComplete(prefix) == SQLiteDB.complete(prefix), "\(prefix)")
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test func isCompleteMatchesSQLiteOnRandomText() {
        var rng = SplitMix64(seed: 7)
        let pieces = ["SELECT", " ", ";", "'", "\"", "[", "]", "`", "--", "\n", "/*", "*/", "CREATE", "TRIGGER", "TEMP",
                      "END", "EXPLAIN", "BEGIN", "x", "-", "/", "é", "\t", "temporary"]
        for _ in 0..<5_000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 12) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            #expect(SQLSyntax.isComplete(s) == SQLiteDB.complete(s), "\(s.debugDescription)")
        }
    }

    @Test func splitsStatements() {
        let script = """
        -- header
        SELECT 1;
        SELECT ';' ; ;
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN
          INSERT INTO u VALUES (1);
          SELECT 2;
        END;
        /* comment */ SELECT 'é'
        """
        let parts = SQLSyntax.splitStatements(script)
        #expect(parts.map(\.text) == [
            "SELECT 1",
            "SELECT ';'",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO u VALUES (1);\n  SELECT 2;\nEND",
            "SELECT 'é'",
        ])
        #expect(parts.map(\.isComplete) == [true, true, true, false])
        #expect(parts.map(\.line) == [2, 3, 4, 8])
        #expect(parts[3].column == 15)
        let bytes = Array(script.utf8)
        for p in parts {
            #expect(String(decoding: bytes[p.start..<p.end], as: UTF8.self) == p.text)
        }
        #expect(SQLSyntax.splitStatements("").isEmpty)
        #expect(SQLSyntax.splitStatements(" ; -- x\n ;").isEmpty)
        #expect(SQLSyntax.splitStatements("SELECT 'abc").map(\.text) == ["SELECT 'abc"])
        #expect(SQLSyntax.splitStatements("SELECT 1 /* open").map(\.text) == ["SELECT 1 /* open"])
    }

    @Test func splitAgreesWithParser() throws {
        for file in Corpus.files().prefix(4) {
            let script = Corpus.records(file).filter { !$0.skipped && $0.kind != .statementError }.map { $0.sql + ";\n" }.joined()
            let parts = SQLSyntax.splitStatements(script)
            let stmts = try SQLSyntax.parse(script)
            #expect(parts.count == stmts.count)
            for (p, s) in zip(parts, stmts) {
                #expect(p.start == s.range.start)
                #expect(p.end == s.range.end)
                #expect(p.line == s.range.line)
            }
        }
    }
}

/// Deterministic PRNG for tests.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
