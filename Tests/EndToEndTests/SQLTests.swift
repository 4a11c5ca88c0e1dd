import Foundation
import Testing
import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

/// A cluster with a shard group, ready for `limitless sql`.
struct SQLCluster {
    let h: Harness
    let id = "sqlc"

    init(maxACU: String = "600") throws {
        h = try Harness()
        let a = try h.run(["create-db-cluster", "--db-cluster-identifier", id, "--engine", "aurora-postgresql",
                           "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless",
                           "--master-username", "u", "--master-user-password", "password1"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try h.run(["create-db-shard-group", "--db-shard-group-identifier", "sg", "--db-cluster-identifier", id,
                           "--max-acu", maxACU])
        #expect(b.status == 0, "\(b.stderr)")
    }

    var dataDirectory: String { h.home + "/clusters/\(id)/data" }

    var shardFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dataDirectory)) ?? [])
            .filter { $0.hasPrefix("shard-") && $0.hasSuffix(".db") }.sorted().map { dataDirectory + "/" + $0 }
    }

    @discardableResult
    func sql(_ script: String, _ extra: [String] = [], env: [String: String] = [:]) throws -> Harness.Result {
        try h.run(["sql", "--db-cluster-identifier", id, "--output", "json"] + extra, stdin: script, env: env)
    }

    /// The JSON lines of a run.
    func lines(_ script: String, _ extra: [String] = [], env: [String: String] = [:]) throws -> [JSON] {
        try sql(script, extra, env: env).stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
    }

    /// Runs one query on one SQLite file directly (python3's sqlite3 module, so the test needs no
    /// SQLite binding of its own); returns the first column of the first row as text.
    func direct(_ file: String, _ query: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3,sys\ndb=sqlite3.connect(sys.argv[1])\ntry:\n r=db.execute(sys.argv[2]).fetchone()\n db.commit()\n print('' if r is None else r[0])\nexcept Exception as e:\n print('ERR', e)", file, query]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `limitless sql` with `arguments`, sends it Ctrl-C (SIGINT) after `after` seconds and
    /// waits for it: its output, exit status, and how long it took to end after the signal.
    func interrupted(_ arguments: [String], after: Double, env extra: [String: String] = [:]) throws
        -> (stdout: String, stderr: String, status: Int32, secondsAfterSignal: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["sql", "--db-cluster-identifier", id] + arguments
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = h.home
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: after)
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (stdout, stderr, p.terminationStatus, Date().timeIntervalSince(sent))
    }

    /// A `limitless sql --output json --on-error continue` process (not started) that reads
    /// `script` from `base.in` and writes its lines to `base.out` (and, if `stderr`, its errors
    /// to `base.err`), without any LIMITLESS_FAULT of the test's environment.
    func scriptProcess(_ script: String, base: String, stderr: Bool, env extra: [String: String] = [:]) throws -> Process {
        _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(script.utf8))
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        if stderr { _ = FileManager.default.createFile(atPath: base + ".err", contents: nil) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["sql", "--db-cluster-identifier", id, "--output", "json", "--on-error", "continue"]
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = h.home
        env.removeValue(forKey: "LIMITLESS_FAULT")
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: base + ".in"))
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        p.standardError = stderr ? try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err")) : FileHandle.nullDevice
        return p
    }

    /// The records of `decisions.log` (transaction id, body length), read from the file's
    /// layout: magic "LDEC", body length (4 bytes), transaction id (8), time (8), body, checksum
    /// (8); the log ends where the magic or increasing ids stop.
    func logRecords() -> [(txid: UInt64, length: Int)] {
        guard let data = FileManager.default.contents(atPath: dataDirectory + "/decisions.log") else { return [] }
        let bytes = [UInt8](data)
        func word(_ at: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        var at = 0
        var records: [(txid: UInt64, length: Int)] = []
        while at + 32 <= bytes.count, Array(bytes[at..<(at + 4)]) == Array("LDEC".utf8) {
            let n = Int(word(at + 4, 4)), txid = word(at + 8, 8)
            if let last = records.last, txid <= last.txid { break }
            records.append((txid, n))
            at += 32 + n
        }
        return records
    }

    /// How many commit decisions `decisions.log` keeps (records with participants).
    func keptDecisions() -> Int { logRecords().filter { $0.length > 0 }.count }

    func counts(_ table: String) throws -> [Int] {
        try shardFiles.map { Int(try direct($0, "SELECT count(*) FROM \(table)")) ?? -1 }
    }
}

let shardedT = """
    SET rds_aurora.limitless_create_table_mode = 'sharded';
    SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
    CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);
    """

@Suite(.serialized) struct SQLPlacementTests {
    @Test func uniformKeysSpreadOverEveryShardAndReadBackWhole() throws {
        let c = try SQLCluster()
        let values = (1...400).map { "(\($0), 'v\($0)')" }.joined(separator: ",")
        let r = try c.sql(shardedT + "INSERT INTO t VALUES \(values);")
        #expect(r.status == 0, "\(r.stderr)")
        let counts = try c.counts("t")
        #expect(counts.count >= 4)
        #expect(counts.allSatisfy { $0 > 400 / counts.count / 3 }, "\(counts)")
        #expect(counts.reduce(0, +) == 400)
        let back = try c.lines("SELECT count(*), sum(k), min(v) FROM t;")
        #expect(back[0]["rows"] == .array([.array([.int(400), .int(80200), .string("v1")])]))
    }

    @Test func oneKeyAlwaysLandsOnOneShardAndAffinityIsAppliedFirst() throws {
        let c = try SQLCluster()
        var script = """
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE e(k INTEGER, n INTEGER);
            """
        for i in 0..<20 { script += "INSERT INTO e VALUES (42, \(i));" }
        script += "INSERT INTO e VALUES ('7', 1), (7, 2), (7.0, 3), (' 7', 4);"
        let r = try c.sql(script)
        #expect(r.status == 0, "\(r.stderr)")
        let with42 = try c.shardFiles.map { Int(try c.direct($0, "SELECT count(*) FROM e WHERE k = 42")) ?? -1 }
        #expect(with42.filter { $0 > 0 } == [20], "\(with42)")
        let with7 = try c.shardFiles.map { Int(try c.direct($0, "SELECT count(*) FROM e WHERE k = 7")) ?? -1 }
        #expect(with7.filter { $0 > 0 } == [4], "\(with7)")
        let q = try c.lines("SELECT count(*) FROM e WHERE k = '7';")
        #expect(q[0]["rows"] == .array([.array([.int(4)])]))
    }

    /// The hash ranges are read from router.db on first use; when they are missing or cannot be
    /// read, rows are never placed by guess (every key on shard 1): the process stops, naming
    /// the cause, and no shard gets the row.
    @Test func unreadableHashRangesStopRatherThanMisplaceRows() throws {
        let c = try SQLCluster()
        #expect(try c.sql(shardedT).status == 0)
        _ = try c.direct(c.dataDirectory + "/router.db", "ALTER TABLE limitless_ranges RENAME TO limitless_ranges_gone")
        let r = try c.sql("INSERT INTO t VALUES (5, 'five');")
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("catalog is damaged"), "\(r.stderr)")
        #expect(try c.counts("t").allSatisfy { $0 == 0 }, "no shard got the row")
    }

    @Test func referenceRowsAreOnEveryShard() throws {
        let c = try SQLCluster()
        let r = try c.sql("""
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE r(id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO r VALUES (1, 'a'), (2, 'b'), (3, 'c');
            UPDATE r SET name = 'B' WHERE id = 2;
            DELETE FROM r WHERE id = 3;
            """)
        #expect(r.status == 0, "\(r.stderr)")
        for f in c.shardFiles {
            #expect(try c.direct(f, "SELECT group_concat(id || name) FROM (SELECT * FROM r ORDER BY id)") == "1a,2B")
        }
    }

    @Test func joinsAcrossPlacementsEqualOneDatabase() throws {
        let c = try SQLCluster()
        let setup = shardedT + """
            INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e');
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE r(id INTEGER PRIMARY KEY, w INTEGER);
            INSERT INTO r VALUES (1,10),(3,30),(5,50);
            SET rds_aurora.limitless_create_table_mode = 'standard';
            CREATE TABLE s(id INTEGER, z TEXT);
            INSERT INTO s VALUES (2,'x'),(3,'y');
            """
        #expect(try c.sql(setup).status == 0)
        let q = try c.lines("""
            SELECT t.k, t.v, r.w, s.z FROM t LEFT JOIN r ON r.id = t.k LEFT JOIN s ON s.id = t.k ORDER BY t.k;
            SELECT k FROM t WHERE k IN (SELECT id FROM r) AND k NOT IN (SELECT id FROM s) ORDER BY 1;
            UPDATE t SET v = v || '!' WHERE k IN (SELECT id FROM r WHERE w > 20);
            DELETE FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.id = t.k);
            SELECT group_concat(k || v) FROM t;
            """)
        #expect(q[0]["rows"]?.arrayValue?.count == 5)
        #expect(q[0]["rows"]?.arrayValue?[2] == .array([.int(3), .string("c"), .int(30), .string("y")]))
        #expect(q[1]["rows"] == .array([.array([.int(1)]), .array([.int(5)])]))
        #expect(q[2]["command"] == .string("UPDATE 2"))
        #expect(q[3]["command"] == .string("DELETE 2"))
        #expect(q[4]["rows"] == .array([.array([.string("1a,4d,5e!")])]))
    }
}

@Suite(.serialized) struct SQLRoutingTests {
    @Test func pinnedKeysRunOnTheOwningShardAlone() throws {
        let c = try SQLCluster()
        let setup = shardedT + """
            INSERT INTO t SELECT value, 'v' || value FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 40) SELECT value FROM n);
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE r(id INTEGER PRIMARY KEY, w TEXT);
            INSERT INTO r SELECT k, 'w' || k FROM t;
            """
        #expect(try c.sql(setup).status == 0)
        // A key whose row is not on shard 1.
        let files = c.shardFiles
        var key = 0, holder = ""
        for k in 1...40 {
            if let f = try files.dropFirst().first(where: { try c.direct($0, "SELECT count(*) FROM t WHERE k = \(k)") == "1" }) {
                key = k; holder = f; break
            }
        }
        #expect(key > 0)
        // Hide every other shard: only a statement sent whole to the owning shard can still run
        // (the router would read the reference table from shard 1).
        for f in files where f != holder { try FileManager.default.moveItem(atPath: f, toPath: f + ".away") }
        let out = try c.lines("SELECT t.k, t.v, r.w FROM t JOIN r ON r.id = t.k WHERE t.k = \(key);")
        #expect(out.first?["rows"] == .array([.array([.int(Int64(key)), .string("v\(key)"), .string("w\(key)")])]), "\(out)")
        let spread = try c.sql("SELECT count(*) FROM t;")
        #expect(spread.status == 1)
        for f in files where f != holder { try FileManager.default.moveItem(atPath: f + ".away", toPath: f) }
        let all = try c.lines("SELECT count(*) FROM t JOIN r ON r.id = t.k;")
        #expect(all.first?["rows"] == .array([.array([.int(40)])]))
    }
}

@Suite(.serialized) struct SQLRulesTests {
    @Test func auroraRulesAreEnforced() throws {
        let c = try SQLCluster()
        let out = try c.lines("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            CREATE TABLE nokey(a INTEGER PRIMARY KEY);
            SET rds_aurora.limitless_create_table_shard_key = '{"b"}';
            CREATE TABLE pk(a INTEGER PRIMARY KEY, b INTEGER);
            CREATE TABLE uq(a INTEGER, b INTEGER, UNIQUE(a));
            CREATE TABLE ok(a INTEGER, b INTEGER, PRIMARY KEY(a, b));
            CREATE UNIQUE INDEX ok_a ON ok(a);
            CREATE UNIQUE INDEX ok_ab ON ok(a, b);
            INSERT INTO ok VALUES (1, 2);
            UPDATE ok SET b = 3;
            UPDATE ok SET a = 5;
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE nopk(a INTEGER);
            SET rds_aurora.limitless_create_table_mode = 'nonsense';
            SET rds_aurora.limitless_no_such_thing = 'x';
            SHOW rds_aurora.limitless_create_table_mode;
            INSERT INTO ok(a) VALUES (9);
            """, ["--on-error", "continue"])
        let codes = out.map { $0["code"]?.stringValue ?? $0["command"]?.stringValue ?? "?" }
        #expect(codes == ["SET", "22023", "SET", "0A000", "0A000", "CREATE TABLE", "0A000", "CREATE INDEX",
                          "INSERT 0 1", "0A000", "UPDATE 1", "SET", "0A000", "22023", "42704", "SHOW", "23502"], "\(codes)")
        #expect(out[9]["error"] == .string("Shard key column update is not supported"))
        #expect(out[15]["rows"] == .array([.array([.string("reference")])]))
    }

    @Test func settingsAreSessionScopedLocalAndResettable() throws {
        let c = try SQLCluster()
        let out = try c.lines("""
            SHOW rds_aurora.limitless_create_table_mode;
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            BEGIN;
            SET LOCAL rds_aurora.limitless_create_table_mode = 'reference';
            SHOW rds_aurora.limitless_create_table_mode;
            COMMIT;
            SHOW rds_aurora.limitless_create_table_mode;
            RESET rds_aurora.limitless_create_table_mode;
            SHOW rds_aurora.limitless_create_table_mode;
            SET rds_aurora.limitless_create_table_shard_key = '{"a","b"}';
            SHOW rds_aurora.limitless_create_table_shard_key;
            SET search_path TO public;
            SHOW search_path;
            """)
        let shown = out.compactMap { $0["rows"]?.arrayValue?.first?.arrayValue?.first?.stringValue }
        #expect(shown == ["standard", "reference", "sharded", "standard", "{\"a\",\"b\"}", "public"])
        #expect(out[0]["columns"] == .array([.string("rds_aurora.limitless_create_table_mode")]))
    }

    @Test func collocationSharesPlacementAndCatalogViewsShowIt() throws {
        let c = try SQLCluster()
        let r = try c.sql(shardedT + """
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            SET rds_aurora.limitless_create_table_collocate_with = 't';
            CREATE TABLE u(k INTEGER, x TEXT);
            SET rds_aurora.limitless_create_table_collocate_with = '';
            SET rds_aurora.limitless_create_table_shard_key = '{"x"}';
            SET rds_aurora.limitless_create_table_collocate_with = 't';
            CREATE TABLE bad(x TEXT);
            """, ["--on-error", "continue"])
        #expect(r.status == 1)
        #expect(r.stdout.split(separator: "\n").last?.contains("0A000") == true)
        _ = try c.sql((1...50).map { "INSERT INTO t VALUES (\($0), 'a'); INSERT INTO u VALUES (\($0), 'b');" }.joined())
        for f in c.shardFiles {
            #expect(try c.direct(f, "SELECT count(*) FROM t") == c.direct(f, "SELECT count(*) FROM u"))
            #expect(try c.direct(f, "SELECT count(*) FROM t JOIN u USING (k)") == c.direct(f, "SELECT count(*) FROM t"))
        }
        let v = try c.lines("""
            SELECT table_name, table_type, distribution_key FROM rds_aurora.limitless_tables ORDER BY table_name;
            SELECT count(DISTINCT collocation_id) FROM rds_aurora.limitless_table_collocations;
            SELECT count(*), min(lower_bound) FROM rds_aurora.limitless_table_collocation_distributions;
            SELECT subcluster_type, count(*) FROM rds_aurora.limitless_subclusters GROUP BY 1 ORDER BY 1;
            """)
        #expect(v[0]["rows"] == .array([.array([.string("t"), .string("sharded"), .string("HASH (k)")]),
                                        .array([.string("u"), .string("sharded"), .string("HASH (k)")])]))
        #expect(v[1]["rows"] == .array([.array([.int(1)])]))
        #expect(v[2]["rows"] == .array([.array([.int(512), .int(Int64.min)])]))
        #expect(v[3]["rows"]?.arrayValue?.last == .array([.string("shard"), .int(Int64(c.shardFiles.count))]))
    }

    @Test func callConvertsAStandardTableWithItsRows() throws {
        let c = try SQLCluster()
        let out = try c.lines("""
            CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT);
            INSERT INTO s WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT i, 'v' || i FROM n;
            CALL rds_aurora.limitless_alter_table_type_sharded('s', ARRAY['id']);
            SELECT count(*), sum(id) FROM s;
            CREATE TABLE ref(id INTEGER PRIMARY KEY);
            INSERT INTO ref VALUES (1), (2);
            CALL rds_aurora.limitless_alter_table_type_reference('ref');
            SELECT table_name, table_type FROM rds_aurora.limitless_tables ORDER BY 1;
            """, ["--on-error", "continue"])
        #expect(out[2]["command"] == .string("CALL"))
        #expect(out[3]["rows"] == .array([.array([.int(100), .int(5050)])]))
        #expect(out[6]["command"] == .string("CALL"))
        #expect(out[7]["rows"] == .array([.array([.string("ref"), .string("reference")]), .array([.string("s"), .string("sharded")])]))
        #expect(try c.counts("s").reduce(0, +) == 100)
        #expect(try c.counts("ref").allSatisfy { $0 == 2 })
    }
}

@Suite(.serialized) struct SQLAtomicityTests {
    @Test func ddlFailingOnOneShardChangesNoShard() throws {
        let c = try SQLCluster()
        let r = try c.sql(shardedT, env: ["LIMITLESS_FAULT": "shard-2-ddl"])
        #expect(r.status == 1)
        for f in c.shardFiles {
            #expect(try c.direct(f, "SELECT count(*) FROM sqlite_schema WHERE name = 't'") == "0")
        }
        #expect(try c.direct(c.dataDirectory + "/router.db", "SELECT count(*) FROM sqlite_schema WHERE name = 't'") == "0")
        #expect(try c.sql(shardedT).status == 0)
    }

    @Test func multiRowInsertFailingOnOneShardInsertsNothing() throws {
        let c = try SQLCluster()
        #expect(try c.sql(shardedT).status == 0)
        let values = (1...50).map { "(\($0), 'x')" }.joined(separator: ",")
        let r = try c.sql("INSERT INTO t VALUES \(values);", env: ["LIMITLESS_FAULT": "shard-2-insert"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("\"code\":\"XX000\""))
        #expect(try c.counts("t").allSatisfy { $0 == 0 })
        // A conflicting row placed straight into one shard's file fails the whole statement.
        _ = try c.sql("INSERT INTO t VALUES (1, 'first');")
        let holder = try c.shardFiles.first { try c.direct($0, "SELECT count(*) FROM t") == "1" }!
        #expect(try c.direct(holder, "INSERT INTO t VALUES (1000001, 'planted')") == "")
        let ids = (2...40).map { "(\($0), 'y')" }.joined(separator: ",") + ",(1000001, 'clash')"
        let again = try c.lines("INSERT INTO t VALUES \(ids); SELECT count(*) FROM t;", ["--on-error", "continue"])
        #expect(again[0]["code"] == .string("23505"))
        #expect(again[1]["rows"] == .array([.array([.int(2)])]))
    }

    @Test func failedTransactionBlockRollsBackAtCommit() throws {
        let c = try SQLCluster()
        let out = try c.lines(shardedT + """
            BEGIN;
            INSERT INTO t VALUES (1, 'a'), (2, 'b');
            SELECT * FROM no_such_table;
            INSERT INTO t VALUES (3, 'c');
            COMMIT;
            SELECT count(*) FROM t;
            BEGIN;
            INSERT INTO t VALUES (4, 'd');
            COMMIT;
            SELECT count(*) FROM t;
            """, ["--on-error", "continue"])
        let tags = out.map { $0["command"]?.stringValue ?? $0["code"]?.stringValue ?? "?" }
        #expect(tags == ["SET", "SET", "CREATE TABLE", "BEGIN", "INSERT 0 2", "42P01", "25P02", "ROLLBACK", "SELECT 1",
                         "BEGIN", "INSERT 0 1", "COMMIT", "SELECT 1"], "\(tags)")
        #expect(out[8]["rows"] == .array([.array([.int(0)])]))
        #expect(out[12]["rows"] == .array([.array([.int(1)])]))
    }
}

@Suite(.serialized) struct SQLWriteTests {
    @Test func defaultsUpsertAndReturningOnDistributedTables() throws {
        let c = try SQLCluster()
        let out = try c.lines("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE d(k INTEGER PRIMARY KEY, n INTEGER DEFAULT 5, t TEXT NOT NULL DEFAULT 'x');
            INSERT INTO d(k) VALUES (1), (2) RETURNING k, n, t;
            INSERT INTO d(n) VALUES (7);
            INSERT INTO d VALUES (1, 10, 'y') ON CONFLICT (k) DO UPDATE SET n = d.n + excluded.n RETURNING k, n;
            INSERT INTO d VALUES (2, 0, 'z'), (9, 0, 'z') ON CONFLICT DO NOTHING;
            UPDATE d SET n = n * 2 WHERE k <= 2 RETURNING k, n;
            DELETE FROM d WHERE k = 9 RETURNING k, t;
            SELECT k, n, t FROM d ORDER BY k;
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE rf(id INTEGER PRIMARY KEY, c INTEGER DEFAULT 0);
            INSERT INTO rf(id) VALUES (1), (2);
            INSERT INTO rf(id) VALUES (2), (3) ON CONFLICT (id) DO UPDATE SET c = c + 1;
            """)
        #expect(out[3]["rows"] == .array([.array([.int(1), .int(5), .string("x")]), .array([.int(2), .int(5), .string("x")])]))
        #expect(out[4]["command"] == .string("INSERT 0 1"))
        #expect(out[5]["rows"] == .array([.array([.int(1), .int(15)])]))
        #expect(out[6]["command"] == .string("INSERT 0 1"))
        #expect(out[7]["command"] == .string("UPDATE 2"))
        #expect(out[8]["rows"] == .array([.array([.int(9), .string("z")])]))
        #expect(out[9]["rows"] == .array([.array([.int(1), .int(30), .string("x")]), .array([.int(2), .int(10), .string("x")]),
                                          .array([.int(3), .int(7), .string("x")])]))
        for f in c.shardFiles {
            #expect(try c.direct(f, "SELECT group_concat(id || ':' || c) FROM (SELECT * FROM rf ORDER BY id)") == "1:0,2:1,3:0")
        }
    }

    @Test func ddlReachesEveryShard() throws {
        let c = try SQLCluster()
        let out = try c.lines(shardedT + """
            INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
            CREATE INDEX t_v ON t(v);
            ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 7;
            SELECT k, v, w FROM t ORDER BY k;
            ALTER TABLE t RENAME TO t2;
            SELECT count(*) FROM t2 WHERE v = 'b';
            ALTER TABLE t2 DROP COLUMN k;
            CREATE TRIGGER t2_ins AFTER INSERT ON t2 BEGIN UPDATE t2 SET w = w + 1 WHERE rowid = new.rowid; END;
            INSERT INTO t2(k, v) VALUES (4, 'd');
            SELECT w FROM t2 WHERE k = 4;
            DROP INDEX t_v;
            DROP TRIGGER t2_ins;
            CREATE VIEW big AS SELECT k FROM t2 WHERE k > 1;
            SELECT count(*) FROM big;
            DROP TABLE t2;
            SELECT table_name FROM rds_aurora.limitless_tables;
            """, ["--on-error", "continue"])
        let tags = out.map { $0["command"]?.stringValue ?? $0["code"]?.stringValue ?? "?" }
        #expect(tags == ["SET", "SET", "CREATE TABLE", "INSERT 0 3", "CREATE INDEX", "ALTER TABLE", "SELECT 3", "ALTER TABLE",
                         "SELECT 1", "0A000", "CREATE TRIGGER", "INSERT 0 1", "SELECT 1", "DROP INDEX", "DROP TRIGGER",
                         "CREATE VIEW", "SELECT 1", "DROP TABLE", "SELECT 0"], "\(tags)")
        #expect(out[6]["rows"]?.arrayValue?.first == .array([.int(1), .string("a"), .int(7)]))
        #expect(out[12]["rows"] == .array([.array([.int(8)])]))
        #expect(out[16]["rows"] == .array([.array([.int(3)])]))
        for f in c.shardFiles {
            #expect(try c.direct(f, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 't2', 't_v', 't2_ins')") == "0")
        }
    }

    @Test func savepointsSpanTheShards() throws {
        let c = try SQLCluster()
        let out = try c.lines(shardedT + """
            BEGIN;
            INSERT INTO t VALUES (1, 'a');
            SAVEPOINT s;
            INSERT INTO t VALUES (2, 'b'), (3, 'c'), (4, 'd');
            ROLLBACK TO SAVEPOINT s;
            INSERT INTO t VALUES (5, 'e');
            COMMIT;
            SELECT group_concat(k) FROM t;
            """)
        #expect(out.last?["rows"] == .array([.array([.string("1,5")])]))
        #expect(try c.counts("t").reduce(0, +) == 2)
    }
}

@Suite(.serialized) struct SQLContractTests {
    @Test func jsonLinesGolden() throws {
        let c = try SQLCluster()
        let r = try c.sql("""
            CREATE TABLE g(a INTEGER, b TEXT, c REAL, d BLOB);
            INSERT INTO g VALUES (1, 'x', 2.5, x'0a1b'), (NULL, NULL, 1000, NULL);
            SELECT * FROM g;
            UPDATE g SET c = 1e20 WHERE a IS NULL;
            SELECT c FROM g WHERE a IS NULL;
            DELETE FROM g WHERE a = 1;
            INSERT INTO g(a) VALUES (7) RETURNING a, b;
            VALUES (1, 'two');
            BEGIN;
            COMMIT;
            CREATE INDEX gi ON g(a);
            DROP TABLE g;
            SELEC 1;
            """, ["--on-error", "continue"])
        let expected = """
            {"command":"CREATE TABLE"}
            {"command":"INSERT 0 2","rows_affected":2}
            {"command":"SELECT 2","columns":["a","b","c","d"],"rows":[[1,"x",2.5,"\\\\x0a1b"],[null,null,1000.0,null]]}
            {"command":"UPDATE 1","rows_affected":1}
            {"command":"SELECT 1","columns":["c"],"rows":[[1e+20]]}
            {"command":"DELETE 1","rows_affected":1}
            {"command":"INSERT 0 1","columns":["a","b"],"rows":[[7,null]]}
            {"command":"SELECT 1","columns":["column1","column2"],"rows":[[1,"two"]]}
            {"command":"BEGIN"}
            {"command":"COMMIT"}
            {"command":"CREATE INDEX"}
            {"command":"DROP TABLE"}
            {"error":"syntax error at or near \\"SELEC\\"","code":"42601"}

            """
        #expect(r.stdout == expected)
        #expect(r.stderr.contains("ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1\n        ^\n"))
        #expect(r.status == 1)
    }

    @Test func postgresSpellingsRunThroughTheFrontEnd() throws {
        let c = try SQLCluster()
        let out = try c.lines(shardedT + """
            INSERT INTO t VALUES (1, 'Apple'), (2, 'banana');
            SELECT k::text FROM t WHERE v ILIKE 'a%';
            SELECT count(*) FROM t WHERE v IS DISTINCT FROM NULL;
            """)
        #expect(out[4]["rows"] == .array([.array([.string("1")])]))
        #expect(out[5]["rows"] == .array([.array([.int(2)])]))
    }

    @Test func exitStatusesAndOnError() throws {
        let c = try SQLCluster()
        let ok = try c.sql("SELECT 1;")
        #expect(ok.status == 0)
        let stop = try c.sql("SELECT 1; SELECT nope; SELECT 2;")
        #expect(stop.status == 1)
        #expect(stop.stdout.split(separator: "\n").count == 2)
        let cont = try c.sql("SELECT 1; SELECT nope; SELECT 2;", ["--on-error", "continue"])
        #expect(cont.status == 1)
        #expect(cont.stdout.split(separator: "\n").count == 3)
        let missing = try c.h.run(["sql", "--db-cluster-identifier", "no-such-cluster", "-c", "SELECT 1"])
        #expect(missing.status == 2)
        let cmds = try c.h.run(["sql", "--db-cluster-identifier", c.id, "--output", "json", "-c", "SELECT 1", "-c", "SELECT 2"])
        #expect(cmds.stdout.split(separator: "\n").count == 2)
        let single = try c.sql("CREATE TABLE x(a); INSERT INTO x VALUES (1); SELECT nope;", ["--single-transaction"])
        #expect(single.status == 1)
        #expect(try c.sql("SELECT count(*) FROM x;").stdout.contains("42P01"))
    }
}
