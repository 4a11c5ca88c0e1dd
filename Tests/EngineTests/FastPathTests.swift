import Foundation
import Testing
import CSQLite
import LimitlessSupport
@testable import LimitlessEngine

@Suite struct SelectTemplateTests {
    @Test func whereLiteralsBecomeNumberedParameters() throws {
        let t = try #require(SelectTemplate.make("SELECT v, n FROM kv WHERE k = 42 AND s = 'it''s'"))
        #expect(t.text == "SELECT v, n FROM kv WHERE k = ?1 AND s = ?2")
        #expect(t.values == [.integer(42), .text("it's")])
    }

    @Test func literalsOutsideWhereStayAsWritten() throws {
        // Select-list literals name result columns; ORDER BY 1 is a column number.
        let t = try #require(SelectTemplate.make("select 1, 'a' from t where k = 7 order by 1 limit 3"))
        #expect(t.text == "select 1, 'a' from t where k = ?1 order by 1 limit 3")
        #expect(t.values == [.integer(7)])
        let u = try #require(SelectTemplate.make("SELECT * FROM t GROUP BY 1"))
        #expect(u.text == "SELECT * FROM t GROUP BY 1" && u.values.isEmpty)
    }

    @Test func numbersThatAreNotPlainIntegersStay() throws {
        let t = try #require(SelectTemplate.make("SELECT * FROM t WHERE a = 1.5 AND b = 1e3 AND c = 0x1F AND d = 12345678901234567890 AND e = -3"))
        #expect(t.text == "SELECT * FROM t WHERE a = 1.5 AND b = 1e3 AND c = 0x1F AND d = 12345678901234567890 AND e = -?1")
        #expect(t.values == [.integer(3)])
    }

    @Test func blobsCommentsAndQuotedNamesAreLeftAlone() throws {
        let t = try #require(SelectTemplate.make("SELECT * FROM \"t 1\" /* 'x' */ WHERE [a b] = x'00' AND \"c\" = 'y' -- 5\n"))
        #expect(t.text == "SELECT * FROM \"t 1\" /* 'x' */ WHERE [a b] = x'00' AND \"c\" = ?1 -- 5\n")
        #expect(t.values == [.text("y")])
    }

    @Test func refusesWhatItCannotRewrite() {
        #expect(SelectTemplate.make("UPDATE t SET a = 1 WHERE k = 2") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE k = ?") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE k = :k") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE k = $k") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE k::text = '1'") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE k IN (SELECT 1)") == nil)
        #expect(SelectTemplate.make("SELECT * FROM t WHERE s = 'open") == nil)
    }
}

@Suite struct AffinityRuleTests {
    @Test func declaredTypesFollowSQLitesRules() {
        #expect(Affinity(declaredType: "integer") == .integer)
        #expect(Affinity(declaredType: "BIGINT") == .integer)
        #expect(Affinity(declaredType: "varchar(10)") == .text)
        #expect(Affinity(declaredType: "Clob") == .text)
        #expect(Affinity(declaredType: "") == .blob)
        #expect(Affinity(declaredType: "blob") == .blob)
        #expect(Affinity(declaredType: "double precision") == .real)
        #expect(Affinity(declaredType: "FLOATING POINT") == .integer)  // "INT" comes first
        #expect(Affinity(declaredType: "decimal(10,2)") == .numeric)
        #expect(Affinity(declaredType: "STRING") == .numeric)
    }
}

@Suite struct FastSelectTests {
    func rows(_ r: StatementResult?) -> [[SQLValue]] {
        if case let .rows(_, _, rows)? = r { return rows }
        return []
    }

    @Test func pointSelectsAnswerAsTheGeneralPathAndRunOnOneShard() throws {
        let f = try PlanFixture(name: "fast")
        try f.run(PlanFixture.planSchema)
        try f.run("INSERT INTO customers VALUES (-7, 'Neg', 'eu'), (100, 'Hundred', 'us')")
        let cases: [(String, [[SQLValue]])] = [
            ("SELECT name FROM customers WHERE cust_id = 2", [[.text("Bo")]]),
            ("SELECT name FROM customers WHERE cust_id = 3", [[.text("Cy")]]),
            ("SELECT name FROM customers WHERE cust_id = '4'", [[.text("Di")]]),   // text → integer affinity
            ("SELECT name FROM customers WHERE cust_id = -7", [[.text("Neg")]]),
            ("SELECT name FROM customers WHERE cust_id = 100", [[.text("Hundred")]]),
            ("SELECT name FROM customers WHERE cust_id = 99", []),
            ("SELECT o.amount FROM customers c JOIN orders o ON o.cust_id = c.cust_id WHERE c.cust_id = 1 AND o.cust_id = 1 ORDER BY 1",
             [[.real(5.5)], [.real(7)]]),
            ("SELECT label FROM regions WHERE code = 'us'", [[.text("Americas")]]),
        ]
        // Twice: the second round reuses the cached templates and prepared statements.
        for _ in 0..<2 {
            for (sql, expected) in cases {
                let r = try f.engine.execute(sql)
                #expect(rows(r) == expected, "\(sql)")
                #expect(f.engine.lastPlanTier != nil, "\(sql)")
            }
        }
        // Not tier 1: the general path still answers.
        #expect(rows(try f.engine.execute("SELECT count(*) FROM customers WHERE cust_id = 1 OR cust_id = 2")) == [[.integer(2)]])
        #expect(f.engine.lastPlanTier == nil)
        // A schema change forgets the templates.
        try f.run("ALTER TABLE customers ADD COLUMN vip INTEGER DEFAULT 0")
        #expect(rows(try f.engine.execute("SELECT * FROM customers WHERE cust_id = 2")) == [[.integer(2), .text("Bo"), .text("us"), .integer(0)]])
        f.engine.close()
    }

    @Test func anErrorInsideABlockFailsTheBlock() throws {
        let f = try PlanFixture(name: "fast-err")
        try f.run(PlanFixture.planSchema)
        _ = try f.engine.execute("BEGIN")
        #expect(throws: EngineError.self) { try f.engine.execute("SELECT abs(-9223372036854775807 - 1) FROM customers WHERE cust_id = 1") }
        #expect(throws: EngineError.self) { try f.engine.execute("SELECT name FROM customers WHERE cust_id = 1") }
        _ = try f.engine.execute("ROLLBACK")
        #expect(rows(try f.engine.execute("SELECT name FROM customers WHERE cust_id = 1")) == [[.text("Ada")]])
        f.engine.close()
    }
}

@Suite struct BulkInsertTests {
    @Test func parsesOnlyPlainConstantRows() throws {
        let s = try #require(BulkInsertStatement.parse("INSERT INTO kv (k, \"v\") VALUES (1, 'a'), (-2, 'it''s') , (3,NULL);"))
        #expect(s.tableName == "kv" && s.columnNames == ["k", "v"])
        #expect(s.rows == [[.integer(1), .text("a")], [.integer(-2), .text("it's")], [.integer(3), .null]])
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1, 2.5)") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1, x'00')") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1, abs(2))") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1), (2, 3)") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1) RETURNING *") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (1) ON CONFLICT DO NOTHING") == nil)
        #expect(BulkInsertStatement.parse("INSERT OR IGNORE INTO kv VALUES (1)") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO main.kv VALUES (1)") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv SELECT 1") == nil)
        #expect(BulkInsertStatement.parse("INSERT INTO kv VALUES (12345678901234567890)") == nil)
    }

    func rows(_ r: StatementResult?) -> [[SQLValue]] {
        if case let .rows(_, _, rows)? = r { return rows }
        return []
    }

    @Test func bulkRowsLandWhereTheVirtualTableWouldPutThemAndStatementsStayAtomic() throws {
        let f = try PlanFixture(name: "bulk")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER);
            """)
        #expect(try f.engine.execute("INSERT INTO kv (k, v, n) VALUES (1, 'a', 1), (2, 'b', 2), ('3', 'c', 3), (-4, 'd', NULL)")
                == .command(tag: "INSERT 0 4", rowsAffected: 4))
        // Each row is on the shard its key hashes to (point reads run on that shard alone).
        for k in [1, 2, 3, -4] {
            #expect(rows(try f.engine.execute("SELECT k FROM kv WHERE k = \(k)")) == [[.integer(Int64(k))]])
        }
        // An INTEGER PRIMARY KEY key left out gets max(rowid) + 1 over every shard.
        _ = try f.engine.execute("INSERT INTO kv (v) VALUES ('auto')")
        #expect(rows(try f.engine.execute("SELECT k FROM kv WHERE v = 'auto'")) == [[.integer(4)]])
        // A failing row leaves none of its statement's rows, inside a block and outside.
        #expect(throws: EngineError.self) { try f.engine.execute("INSERT INTO kv (k, v) VALUES (10, 'x'), (11, NULL)") }
        _ = try f.engine.execute("BEGIN")
        _ = try f.engine.execute("INSERT INTO kv (k, v) VALUES (20, 'y')")
        _ = try f.engine.execute("SAVEPOINT a")
        #expect(throws: EngineError.self) { try f.engine.execute("INSERT INTO kv (k, v) VALUES (21, 'z'), (1, 'dup')") }
        _ = try f.engine.execute("ROLLBACK TO a")
        _ = try f.engine.execute("INSERT INTO kv (k, v) VALUES (22, 'w')")
        _ = try f.engine.execute("COMMIT")
        #expect(rows(try f.engine.execute("SELECT k FROM kv ORDER BY k")) ==
                [-4, 1, 2, 3, 4, 20, 22].map { [SQLValue.integer($0)] })
        do {
            _ = try f.engine.execute("INSERT INTO kv (k, v) VALUES (30, 'p'), (30, 'q')")
            Issue.record("a duplicate key must fail")
        } catch {
            #expect(error.code == "23505")
            #expect(error.message == "duplicate key value violates unique constraint (UNIQUE constraint failed: kv.k)")
        }
        #expect(rows(try f.engine.execute("SELECT count(*) FROM kv WHERE k = 30")) == [[.integer(0)]])
        f.engine.close()
    }
}

extension BulkInsertTests {
    /// Statements of at least `ClusterEngine.parallelInsertRows` rows insert on the shards in
    /// parallel: rowids and keys allocated here, and the error of the first failing row, must
    /// still be what one SQLite database gives for the same statements.
    @Test func parallelShardInsertsMatchOneDatabase() throws {
        let f = try PlanFixture(name: "bulkpar")
        let one = try Database(path: ":memory:", create: true)
        let schema = """
            CREATE TABLE t (k INTEGER, v TEXT NOT NULL, c INTEGER CHECK (c >= 0));
            CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
            """
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE t (k INTEGER, v TEXT NOT NULL, c INTEGER CHECK (c >= 0));
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
            """)
        try one.exec(schema)
        func values(_ n: Int, _ row: (Int) -> String) -> String { (0..<n).map(row).joined(separator: ", ") }
        let statements = [
            "INSERT INTO t (k, v, c) VALUES " + values(200) { "(\($0 * 7 % 50), 'r\($0)', \($0))" },
            // Row 150 breaks the CHECK, row 120 the NOT NULL: the first one wins.
            "INSERT INTO t (k, v, c) VALUES " + values(200) { $0 == 120 ? "(\($0), NULL, 1)" : $0 == 150 ? "(\($0), 'x', -1)" : "(\($0), 'y', 2)" },
            "INSERT INTO t (k, v, c) VALUES " + values(100) { $0 == 90 ? "(1, 'x', -1)" : "(\($0), 'z', 3)" },
            // INTEGER PRIMARY KEY values left NULL follow the largest one given before them.
            "INSERT INTO a (id, v) VALUES " + values(100) { $0 == 10 ? "(5000, 'given')" : $0 == 40 ? "(70, 'low')" : "(NULL, 'n\($0)')" },
            "INSERT INTO a (id, v) VALUES " + values(80) { $0 == 79 ? "(5001, 'taken')" : "(NULL, 'm')" },
        ]
        for sql in statements {
            var expected: String? = nil
            do { try one.exec(sql) } catch { expected = error.message }
            do {
                _ = try f.engine.execute(sql)
                #expect(expected == nil, "one database failed with \(expected ?? "")")
            } catch {
                #expect(expected != nil && error.message.contains(expected!), "\(error.message) vs \(expected ?? "success")")
            }
        }
        for q in ["SELECT rowid, k, v, c FROM t ORDER BY rowid", "SELECT id, v FROM a ORDER BY id"] {
            #expect(rows(try f.engine.execute(q)) == (try one.query(q)), "\(q)")
        }
        f.engine.close()
    }
}

@Suite struct DirectDeleteTests {
    func rows(_ r: StatementResult?) -> [[SQLValue]] {
        if case let .rows(_, _, rows)? = r { return rows }
        return []
    }

    @Test func deletesRunOnTheShardsAndCountAsOneDatabase() throws {
        let f = try PlanFixture(name: "delete")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER);
            INSERT INTO kv (k, v, n) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', NULL), (4, 'd', 4), (5, 'e', 5), (6, 'f', 6);
            """)
        #expect(try f.engine.execute("DELETE FROM kv WHERE k = '1'") == .command(tag: "DELETE 1", rowsAffected: 1))
        #expect(try f.engine.execute("DELETE FROM kv WHERE n IS NULL") == .command(tag: "DELETE 1", rowsAffected: 1))
        #expect(try f.engine.execute("DELETE FROM kv WHERE k >= 5 AND v <> 'zz'") == .command(tag: "DELETE 2", rowsAffected: 2))
        // Inside a block the rows come back with ROLLBACK.
        _ = try f.engine.execute("BEGIN")
        #expect(try f.engine.execute("DELETE FROM kv") == .command(tag: "DELETE 2", rowsAffected: 2))
        #expect(rows(try f.engine.execute("SELECT count(*) FROM kv")) == [[.integer(0)]])
        _ = try f.engine.execute("ROLLBACK")
        #expect(rows(try f.engine.execute("SELECT k FROM kv ORDER BY k")) == [[.integer(2)], [.integer(4)]])
        // What the direct path does not take still works through the router.
        #expect(try f.engine.execute("DELETE FROM kv WHERE k IN (SELECT 2)") == .command(tag: "DELETE 1", rowsAffected: 1))
        #expect(throws: EngineError.self) { try f.engine.execute("DELETE FROM kv WHERE nope = 1") }
        f.engine.close()
    }

    @Test func updatesRunOnTheShardsWithTheGeneralPathsErrors() throws {
        let f = try PlanFixture(name: "update")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE acct (k INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
            INSERT INTO acct (k, balance) VALUES (1, 10), (2, 5), (3, 0);
            """)
        #expect(try f.engine.execute("UPDATE acct SET balance = balance - 4 WHERE k = 1") == .command(tag: "UPDATE 1", rowsAffected: 1))
        #expect(try f.engine.execute("UPDATE acct SET balance = balance + 1 WHERE balance < 6") == .command(tag: "UPDATE 2", rowsAffected: 2))
        do {
            _ = try f.engine.execute("UPDATE acct SET balance = balance - 100 WHERE k = 2")
            Issue.record("a CHECK violation went through")
        } catch {
            #expect(error.code == "23514" && error.message == "new row violates check constraint (CHECK constraint failed: balance >= 0)")
        }
        do {
            _ = try f.engine.execute("UPDATE acct SET k = 9 WHERE k = 2")
            Issue.record("a shard-key update went through")
        } catch {
            #expect(error.message == "Shard key column update is not supported")
        }
        #expect(rows(try f.engine.execute("SELECT k, balance FROM acct ORDER BY k")) == [[.integer(1), .integer(6)], [.integer(2), .integer(6)], [.integer(3), .integer(1)]])
        f.engine.close()
    }
}
