import Testing
import Foundation
@testable import SQLSyntax

/// Statements covering the accepted language. Each must parse, print, and parse back to the
/// same AST; SQLite must treat the printed text as it treats the original (same prepare
/// outcome) on a database with a small schema.
let sqliteStatements: [String] = [
    // SELECT forms
    "SELECT 1",
    "SELECT * FROM t1",
    "SELECT t1.*, t2.x FROM t1, t2",
    "SELECT a AS x, b y, c 'z' FROM t1 AS q",
    "SELECT DISTINCT a FROM t1",
    "SELECT ALL a FROM t1",
    "SELECT a FROM t1 INNER JOIN t2 ON t1.a = t2.x",
    "SELECT a FROM t1 JOIN t2 USING (a)",
    "SELECT a FROM t1 LEFT OUTER JOIN t2 ON a = x",
    "SELECT a FROM t1 LEFT JOIN t2 ON a = x RIGHT JOIN t3 ON t3.a = t1.a",
    "SELECT a FROM t1 FULL OUTER JOIN t2 ON a = x",
    "SELECT a FROM t1 CROSS JOIN t2",
    "SELECT * FROM t1 NATURAL JOIN t3",
    "SELECT * FROM t1 NATURAL LEFT JOIN t3",
    "SELECT * FROM (t1 JOIN t2 ON a = x), t3",
    "SELECT * FROM (SELECT a FROM t1) AS s WHERE s.a > 1",
    "SELECT * FROM (SELECT a FROM t1) s",
    "SELECT (SELECT max(a) FROM t1) + 1",
    "SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a)",
    "SELECT a FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE x = a)",
    "SELECT a FROM t1 WHERE a IN (1, 2, 3)",
    "SELECT a FROM t1 WHERE a NOT IN (SELECT x FROM t2)",
    "SELECT a FROM t1 WHERE a IN t2",
    "SELECT a FROM t1 WHERE a IN ()",
    "SELECT a FROM t1 WHERE a BETWEEN 1 AND 2 AND b NOT BETWEEN 3 AND 4",
    "SELECT a FROM t1 WHERE c LIKE 'a%' ESCAPE '\\\\' OR c NOT LIKE 'b' OR c GLOB '*x' OR c NOT GLOB 'y'",
    "SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END FROM t1",
    "SELECT CASE WHEN a > 1 THEN b END FROM t1",
    "SELECT CAST(a AS TEXT), CAST(b AS VARCHAR(10)), CAST(c AS DECIMAL(10, 2)) FROM t1",
    "SELECT CAST(a AS), CAST('1.5' AS UNSIGNED BIG INT), CAST(1 AS \"x y\") FROM t1",
    "SELECT a COLLATE NOCASE FROM t1 ORDER BY c COLLATE BINARY DESC",
    "SELECT a IS b, a IS NOT b, a IS NOT DISTINCT FROM b, a IS DISTINCT FROM b FROM t1",
    "SELECT a ISNULL, b NOTNULL, c NOT NULL, a IS NULL, b IS NOT NULL FROM t1",
    "SELECT 'a' || 'b' || c FROM t1",
    "SELECT ~a, -a, +a, - -a, NOT a, a & b | c << 2 >> 1 FROM t1",
    "SELECT a % 3, a / 2, a * -1 FROM t1",
    "SELECT X'00FF', x'', 0x1F, 1e10, 1.5E-3, .5, 5., 12 FROM t1",
    "SELECT ?, ?1, :name, @name, $name",
    "SELECT NULL, CURRENT_TIME, CURRENT_DATE, CURRENT_TIMESTAMP, TRUE, FALSE",
    "WITH c(n) AS (SELECT 1) SELECT n FROM c",
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c",
    "WITH c AS MATERIALIZED (SELECT 1), d AS NOT MATERIALIZED (SELECT 2) SELECT * FROM c, d",
    "SELECT a FROM t1 UNION SELECT x FROM t2 UNION ALL SELECT 3 INTERSECT SELECT 4 EXCEPT SELECT 5",
    "SELECT a, count(*) FROM t1 GROUP BY a HAVING count(*) > 1",
    "SELECT a FROM t1 ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST",
    "SELECT a FROM t1 LIMIT 10",
    "SELECT a FROM t1 LIMIT 10 OFFSET 5",
    "SELECT a FROM t1 LIMIT 5, 10",
    "SELECT count(DISTINCT a), sum(b) FILTER (WHERE b > 0), group_concat(c, ',') FROM t1",
    "SELECT row_number() OVER (PARTITION BY a ORDER BY b) FROM t1",
    "SELECT sum(a) OVER w, avg(b) OVER (w ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t1 WINDOW w AS (ORDER BY c)",
    "SELECT sum(a) OVER (ORDER BY b RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE TIES) FROM t1",
    "SELECT sum(a) OVER (ORDER BY b GROUPS 2 PRECEDING EXCLUDE NO OTHERS) FROM t1",
    "SELECT sum(a) OVER (ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE CURRENT ROW) FROM t1",
    "SELECT sum(a) OVER (ORDER BY b ROWS UNBOUNDED PRECEDING EXCLUDE GROUP) FROM t1",
    "VALUES (1, 2), (3, 4)",
    "SELECT * FROM (VALUES (1), (2))",
    "SELECT a FROM t1 INDEXED BY i1 WHERE a = 1",
    "SELECT a FROM t1 NOT INDEXED",
    "SELECT * FROM main.t1",
    "SELECT (a, b) = (1, 2) FROM t1",
    "SELECT a FROM t1 WHERE (a, b) IN (SELECT x, y FROM t2)",
    "SELECT json_extract('{\"a\":1}', '$.a'), '{\"a\":1}' -> '$.a', '{\"a\":1}' ->> 'a'",
    "SELECT * FROM json_each('[1,2]') AS j",
    "SELECT 1 WHERE 1 IN json_each('[1]')",
    "SELECT key, value FROM json_each('[1,2]')",
    "SELECT replace('abc', 'b', 'x'), like('a', 'a'), glob('a', 'a')",
    "SELECT \"a\" FROM t1",
    "SELECT \"no such column\"",
    "SELECT [a], `b` FROM t1",
    "SELECT a FROM t1 WHERE a = 1 AND (b = 2 OR c = 3)",
    "SELECT 1 - (2 - 3), (1 - 2) - 3, 2 * (3 + 4), -(1 + 2), NOT (1 AND 0)",
    "SELECT 1 = 1 = 1, (1 < 2) = 1, 1 < (2 = 1)",
    "SELECT a FROM t1 WHERE a NOT NULL AND b IS NOT NULL",
    "SELECT 'it''s', 'Ünïcödé ✓', \"x\"\"y\" FROM t1",
    "SELECT a FROM t1 WHERE c REGEXP 'x' OR c MATCH 'y'",
    "SELECT max(a) FROM t1 t, t2 AS u WHERE t.a = u.x",
    "SELECT * FROM t1 WHERE a = +1 AND b = -1",
    "SELECT a FROM t1 ORDER BY 1",
    "SELECT * FROM t1 JOIN t2 ON a = x JOIN t3 ON t3.b = t2.y WHERE t1.c > 0",
    "SELECT typeof(1), abs(-1), coalesce(NULL, 1), ifnull(NULL, 2), nullif(1, 1), iif(1, 2, 3)",
    "SELECT a FROM t1 WHERE rowid = 1",
    "SELECT 1 FROM t1 WHERE a IN (SELECT x FROM t2 UNION SELECT y FROM t2)",
    // DML
    "INSERT INTO t1 VALUES (1, 2, 'x')",
    "INSERT INTO t1(a, b) VALUES (1, 2), (3, 4)",
    "INSERT INTO t1 SELECT x, y, 'z' FROM t2",
    "INSERT INTO t1 DEFAULT VALUES",
    "INSERT OR REPLACE INTO t1 VALUES (1, 2, 3)",
    "INSERT OR IGNORE INTO t1 VALUES (1, 2, 3)",
    "INSERT OR ABORT INTO t1 VALUES (1, 2, 3)",
    "INSERT OR FAIL INTO t1 VALUES (1, 2, 3)",
    "INSERT OR ROLLBACK INTO t1 VALUES (1, 2, 3)",
    "REPLACE INTO t1 VALUES (1, 2, 3)",
    "INSERT INTO t4(k, v) VALUES (1, 'a') ON CONFLICT (k) DO NOTHING",
    "INSERT INTO t4(k, v) VALUES (1, 'a') ON CONFLICT DO NOTHING",
    "INSERT INTO t4(k, v) VALUES (1, 'a') ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE v <> 'b'",
    "INSERT INTO t4(k, v) VALUES (1, 'a') ON CONFLICT (k) WHERE k > 0 DO UPDATE SET (v) = ('c')",
    "INSERT INTO t4 VALUES (1, 'a') RETURNING *",
    "INSERT INTO t4 VALUES (1, 'a') RETURNING k AS key, v",
    "INSERT INTO t1 AS x VALUES (1, 2, 3)",
    "WITH s AS (SELECT 1) INSERT INTO t1(a) SELECT * FROM s",
    "UPDATE t1 SET a = 1",
    "UPDATE t1 SET a = a + 1, b = 2 WHERE c = 'x'",
    "UPDATE OR IGNORE t1 SET a = 1 WHERE b = 2",
    "UPDATE t1 SET (a, b) = (1, 2)",
    "UPDATE t1 SET a = t2.x FROM t2 WHERE t2.y = t1.b",
    "UPDATE t1 AS q SET a = 1 WHERE q.b = 2 RETURNING a",
    "UPDATE t1 INDEXED BY i1 SET a = 1 WHERE a = 2",
    "DELETE FROM t1",
    "DELETE FROM t1 WHERE a = 1 RETURNING *",
    "DELETE FROM main.t1 AS d WHERE d.a = 1",
    "WITH s AS (SELECT 1 AS v) DELETE FROM t1 WHERE a IN (SELECT v FROM s)",
    // DDL
    "CREATE TABLE n1(a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT NOT NULL, c REAL DEFAULT 0.5)",
    "CREATE TABLE n2(a INTEGER PRIMARY KEY DESC ON CONFLICT REPLACE, b VARCHAR(10) UNIQUE ON CONFLICT IGNORE, c DECIMAL(10, 2) CHECK (c > 0))",
    "CREATE TABLE n3(a, b, c)",
    "CREATE TABLE IF NOT EXISTS n4(a INT DEFAULT -1, b TEXT DEFAULT 'x', c BLOB DEFAULT X'00', d DEFAULT (1 + 2), e DEFAULT CURRENT_TIMESTAMP, f DEFAULT NULL, g DEFAULT +5, h DEFAULT abc, i DEFAULT TRUE)",
    "CREATE TABLE n5(a TEXT COLLATE NOCASE, b INTEGER REFERENCES t1(a) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, c NULL)",
    "CREATE TABLE n6(a INT, b INT, c AS (a + b), d INT GENERATED ALWAYS AS (a * 2) STORED, e GENERATED ALWAYS AS (a) VIRTUAL)",
    "CREATE TABLE n7(a, b, c, PRIMARY KEY (a, b), UNIQUE (c), CHECK (a > 0), FOREIGN KEY (c) REFERENCES t1(a) ON DELETE SET DEFAULT)",
    "CREATE TABLE n8(a, b, CONSTRAINT pk PRIMARY KEY (a DESC) ON CONFLICT ABORT CONSTRAINT u UNIQUE (b COLLATE NOCASE))",
    "CREATE TABLE n9(a INTEGER PRIMARY KEY, b) WITHOUT ROWID",
    "CREATE TABLE n10(a INTEGER PRIMARY KEY, b TEXT) STRICT",
    "CREATE TABLE n11(a INTEGER PRIMARY KEY, b TEXT) STRICT, WITHOUT ROWID",
    "CREATE TEMP TABLE n12(a)",
    "CREATE TEMPORARY TABLE n13 AS SELECT * FROM t1",
    "CREATE TABLE main.n14(a UNSIGNED BIG INT, b DOUBLE PRECISION, c NATIVE CHARACTER(70))",
    "CREATE TABLE n15(a INT CONSTRAINT nn NOT NULL CONSTRAINT d DEFAULT 1, b INT NOT NULL ON CONFLICT FAIL)",
    "CREATE TABLE n16(\"key\", action, replace, temp, first, last, rowid2, year, \"select\" TEXT)",
    "CREATE TABLE n17(a REFERENCES t1, b REFERENCES t1 MATCH FULL NOT DEFERRABLE, c REFERENCES t1 ON DELETE NO ACTION ON UPDATE RESTRICT)",
    "CREATE TABLE n18(a INTEGER, PRIMARY KEY (a AUTOINCREMENT))",
    "CREATE INDEX i2 ON t1(a)",
    "CREATE UNIQUE INDEX IF NOT EXISTS i3 ON t1(a DESC, b COLLATE NOCASE ASC)",
    "CREATE INDEX i4 ON t1(a + b, lower(c)) WHERE a > 0",
    "CREATE VIEW v1 AS SELECT a FROM t1",
    "CREATE TEMP VIEW IF NOT EXISTS v2(x, y) AS SELECT a, b FROM t1",
    "CREATE TRIGGER tr1 AFTER INSERT ON t1 BEGIN INSERT INTO t2 VALUES (new.a, new.b); END",
    "CREATE TRIGGER IF NOT EXISTS tr2 BEFORE UPDATE OF a, b ON t1 FOR EACH ROW WHEN new.a > 0 BEGIN UPDATE t2 SET x = new.a; DELETE FROM t2 WHERE x = old.a; SELECT RAISE(IGNORE); END",
    "CREATE TEMP TRIGGER tr3 INSTEAD OF DELETE ON v1 BEGIN SELECT RAISE(ABORT, 'no'); END",
    "CREATE TRIGGER tr4 DELETE ON t1 BEGIN SELECT 1; SELECT 2; END",
    "DROP TABLE t3",
    "DROP TABLE IF EXISTS main.nope",
    "DROP INDEX IF EXISTS i1",
    "DROP VIEW IF EXISTS v9",
    "DROP TRIGGER IF EXISTS tr9",
    "ALTER TABLE t1 RENAME TO t1x",
    "ALTER TABLE t1 RENAME COLUMN a TO a2",
    "ALTER TABLE t1 RENAME a TO a3",
    "ALTER TABLE t1 ADD COLUMN d INT DEFAULT 0",
    "ALTER TABLE t1 ADD e TEXT",
    "ALTER TABLE t1 DROP COLUMN c",
    "ALTER TABLE t1 DROP c",
    "REINDEX",
    "REINDEX t1",
    "REINDEX main.i1",
    "ANALYZE",
    "ANALYZE t1",
    "VACUUM",
    "PRAGMA foreign_keys",
    "PRAGMA foreign_keys = ON",
    "PRAGMA main.cache_size = -2000",
    "PRAGMA table_info(t1)",
    "BEGIN",
    "BEGIN DEFERRED TRANSACTION",
    "BEGIN IMMEDIATE",
    "BEGIN EXCLUSIVE",
    "COMMIT",
    "END TRANSACTION",
    "ROLLBACK",
    "SAVEPOINT sp1",
    "RELEASE SAVEPOINT sp1",
    "RELEASE sp1",
    "ROLLBACK TO SAVEPOINT sp1",
    "ROLLBACK TRANSACTION TO sp1",
    "EXPLAIN SELECT 1",
    "EXPLAIN QUERY PLAN SELECT * FROM t1 WHERE a = 1",
    // keywords as identifiers
    "SELECT key, action, replace, temp, first, last, year, rowid FROM k1",
    "SELECT k1.key FROM k1 WHERE key = 1 ORDER BY first",
    "SELECT a AS left FROM t1",
    "SELECT \"cast\" FROM k2",
    "SELECT count(*) AS window FROM t1",
    "SELECT * FROM t1 WINDOW w AS (ORDER BY a)",
]

/// PostgreSQL/Aurora statements: parsed and round-tripped, not run on SQLite.
let postgresStatements: [String] = [
    "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "BEGIN WORK",
    "START TRANSACTION",
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    "START TRANSACTION ISOLATION LEVEL SERIALIZABLE READ WRITE",
    "BEGIN ISOLATION LEVEL READ UNCOMMITTED",
    "COMMIT WORK",
    "END",
    "ROLLBACK WORK",
    "ABORT",
    "SET rds_aurora.limitless_create_table_mode = 'sharded'",
    "SET rds_aurora.limitless_create_table_shard_key = '{\"cust_id\"}'",
    "SET SESSION search_path TO public, \"$user\"",
    "SET LOCAL statement_timeout = 1000",
    "SET x = DEFAULT",
    "SET x TO -1.5",
    "SET enable_seqscan = off",
    "SET session = 1",
    "RESET rds_aurora.limitless_create_table_mode",
    "RESET ALL",
    "SHOW rds_aurora.limitless_create_table_mode",
    "SHOW ALL",
    "SHOW server_version",
    "CALL rds_aurora.limitless_alter_table_type_sharded('customer', ARRAY['cust_id'])",
    "CALL rds_aurora.limitless_alter_table_type_reference('zipcodes')",
    "CALL p()",
    "EXPLAIN ANALYZE SELECT 1",
    "EXPLAIN VERBOSE SELECT 1",
    "EXPLAIN ANALYZE VERBOSE SELECT * FROM t1",
    "EXPLAIN (ANALYZE, VERBOSE false, FORMAT JSON) SELECT 1",
    "SELECT ARRAY[1, 2, 3]",
    "SET TIME ZONE 'UTC'",
    "SHOW TRANSACTION ISOLATION LEVEL",
    "SHOW TIME ZONE",
    "SELECT ARRAY[]",
    "SELECT * FROM rds_aurora.limitless_tables",
]

/// Pairs that must parse to the same AST (PostgreSQL spellings normalised).
let equivalentPairs: [(String, String)] = [
    ("SELECT a::int FROM t", "SELECT CAST(a AS int) FROM t"),
    ("SELECT '1'::text::integer", "SELECT CAST(CAST('1' AS text) AS integer)"),
    ("SELECT x::varchar(10)", "SELECT CAST(x AS varchar(10))"),
    ("SELECT x::double precision", "SELECT CAST(x AS double precision)"),
    ("SELECT -a::int", "SELECT -CAST(a AS int)"),
    ("SELECT a ILIKE 'x'", "SELECT a LIKE 'x'"),
    ("SELECT a NOT ILIKE 'x'", "SELECT a NOT LIKE 'x'"),
    ("SELECT a IS DISTINCT FROM b", "SELECT a IS NOT b"),
    ("SELECT a IS NOT DISTINCT FROM b", "SELECT a IS b"),
    ("SELECT a == b", "SELECT a = b"),
    ("SELECT a != b", "SELECT a <> b"),
    ("REPLACE INTO t VALUES (1)", "INSERT OR REPLACE INTO t VALUES (1)"),
    ("SELECT * FROM t LIMIT 2, 3", "SELECT * FROM t LIMIT 3 OFFSET 2"),
    ("SELECT * FROM a LEFT OUTER JOIN b", "SELECT * FROM a LEFT JOIN b"),
    ("SELECT * FROM a INNER JOIN b", "SELECT * FROM a JOIN b"),
    ("START TRANSACTION", "BEGIN"),
    ("END", "COMMIT"),
    ("ABORT", "ROLLBACK"),
    ("SET x TO 1", "SET x = 1"),
    ("SELECT ((1))", "SELECT 1"),
    ("CREATE TABLE t(a AS (1))", "CREATE TABLE t(a GENERATED ALWAYS AS (1))"),
    ("SELECT ALL a FROM t", "SELECT a FROM t"),
    ("SET TIME ZONE 'UTC'", "SET timezone = 'UTC'"),
    ("SHOW TRANSACTION ISOLATION LEVEL", "SHOW transaction_isolation"),
    ("SELECT * FROM ((t))", "SELECT * FROM t"),
]

let schema = """
CREATE TABLE t1(a INTEGER, b INTEGER, c TEXT);
CREATE TABLE t2(x INTEGER, y INTEGER);
CREATE TABLE t3(a INTEGER, z TEXT);
CREATE TABLE t4(k INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE k1(key, action, replace, temp, first, last, year);
CREATE TABLE k2("cast");
CREATE INDEX i1 ON t1(a);
CREATE VIEW v1 AS SELECT a FROM t1;
"""

@Suite struct RoundTripTests {
    func roundTrip(_ sql: String) throws -> Statement {
        let stmts = try SQLSyntax.parse(sql)
        #expect(stmts.count == 1, "\(sql)")
        let s = stmts[0]
        let printed = s.sql
        let again = try SQLSyntax.parse(printed)
        #expect(again == [s], "round trip of \(sql) via \(printed)")
        return s
    }

    @Test(arguments: sqliteStatements)
    func sqliteStatementRoundTrips(_ sql: String) throws {
        let s: Statement
        do { s = try roundTrip(sql) } catch {
            Issue.record("\(sql): \((error as! SQLSyntaxError).rendered(source: sql))")
            return
        }
        // SQLite must accept the original iff it accepts the printed text, with the same result.
        let a = SQLiteDB(), b = SQLiteDB()
        _ = a.run(schema); _ = b.run(schema)
        let ra = a.run(sql), rb = b.run(s.sql)
        switch (ra, rb) {
        case (.success(let x), .success(let y)): #expect(x == y, "\(sql) vs \(s.sql)")
        case (.failure(let x), .failure(let y)): #expect(x == y, "\(sql) vs \(s.sql)")
        default: Issue.record("SQLite differs: \(sql) -> \(ra); \(s.sql) -> \(rb)")
        }
    }

    @Test(arguments: postgresStatements)
    func postgresStatementRoundTrips(_ sql: String) throws {
        do { _ = try roundTrip(sql) } catch {
            Issue.record("\(sql): \((error as! SQLSyntaxError).rendered(source: sql))")
        }
    }

    @Test func equivalentSpellingsGiveOneAST() throws {
        for (a, b) in equivalentPairs {
            let x = try SQLSyntax.parse(a), y = try SQLSyntax.parse(b)
            #expect(x == y, "\(a) vs \(b)")
        }
    }
}
