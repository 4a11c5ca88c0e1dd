import Testing
import CSQLite
@testable import LimitlessEngine
import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

/// The commit protocol in-process: what a participant did is captured as redo, and recovery
/// reproduces exactly the state a normal commit gives, for every kind of table and change.
@Suite struct CommitCoordinatorTests {
    static func tempDir() -> String {
        var template = Array("/tmp/limitless-2pc-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }

    static let schema = """
        CREATE TABLE plain (a INTEGER, b TEXT, c REAL, d BLOB);
        CREATE TABLE keyed (id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INTEGER CHECK (n >= 0));
        CREATE TABLE wr (k TEXT, j INTEGER, v, PRIMARY KEY (k, j)) WITHOUT ROWID;
        CREATE TABLE gen (x INTEGER, y INTEGER GENERATED ALWAYS AS (x * 2) VIRTUAL, z INTEGER AS (x + 1) STORED);
        CREATE TABLE audit (what TEXT);
        CREATE TRIGGER keyed_audit AFTER UPDATE ON keyed BEGIN INSERT INTO audit VALUES ('u' || new.id); END;
        INSERT INTO plain VALUES (1, 'one', 1.5, x'00ff'), (2, 'two', NULL, NULL);
        INSERT INTO keyed VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);
        INSERT INTO wr VALUES ('x', 1, 'p'), ('y', 2, 'q');
        INSERT INTO gen (x) VALUES (5);
        """

    static let work = """
        INSERT INTO plain VALUES (3, 'three', 3.25, x'01'), (NULL, NULL, NULL, NULL);
        UPDATE plain SET b = upper(b) WHERE a <= 2;
        DELETE FROM plain WHERE a = 1;
        UPDATE keyed SET id = id + 10, n = n + 1 WHERE id = 2;
        UPDATE keyed SET v = 'z' WHERE id = 3;
        DELETE FROM keyed WHERE id = 1;
        INSERT INTO keyed (v, n) VALUES ('new', 7);
        REPLACE INTO keyed VALUES (3, 'c2', 9);
        UPDATE wr SET j = j + 100 WHERE k = 'x';
        DELETE FROM wr WHERE k = 'y';
        INSERT INTO wr VALUES ('w', 3, 'r');
        UPDATE gen SET x = 7;
        INSERT INTO gen (x) VALUES (-1);
        """

    static func dump(_ db: Database) throws -> [String] {
        var out: [String] = []
        for t in ["plain", "keyed", "wr", "gen", "audit"] {
            // Rowids must survive replay too (other rows and indexes may refer to them).
            let rowid = t == "wr" ? "NULL" : "rowid"
            for row in try db.query("SELECT \(rowid), * FROM \(t) ORDER BY 1, 2") {
                out.append(t + ": " + row.map { "\($0)" }.joined(separator: ", "))
            }
        }
        return out
    }

    @Test func recoveryReproducesANormalCommit() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 2, routerCount: 1)
        // Shard 1 does the work and commits normally: the expected state.
        let expected = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(1)))
        try expected.exec(Self.schema)
        try expected.exec(Self.work)
        // Shard 2 does the same work under capture, decides, then "dies" before committing.
        let shard = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(2)))
        try shard.exec(Self.schema)
        let coordinator = try CommitCoordinator(directory: dir)
        try shard.exec("BEGIN IMMEDIATE")
        let capture = RedoCapture(db: shard)
        capture.attach()
        try shard.exec(Self.work)
        capture.detach()
        let txid = try coordinator.decide([(id: 2, redo: capture.payload)])
        try shard.exec("ROLLBACK")
        #expect(try coordinator.hasPendingDecisions())
        #expect(try coordinator.pendingDecisions().map(\.0) == [txid])

        try CommitCoordinator(directory: dir).recover()
        #expect(try Self.dump(shard) == Self.dump(expected))
        #expect(!(try coordinator.hasPendingDecisions()))
        #expect(try shard.query("SELECT txid FROM limitless_applied") == [[.integer(txid)]])

        // A second recovery (another process starting) changes nothing.
        coordinator.writeState(busy: true)
        #expect(try coordinator.hasPendingDecisions())
        try CommitCoordinator(directory: dir).recover()
        #expect(try Self.dump(shard) == Self.dump(expected))
    }

    /// A power cut can take back a participant's commit made with synchronous=NORMAL together
    /// with `commit.state`'s idle mark. A state written in another boot makes recovery check
    /// every decision kept.
    @Test func aDoneMarkFromAnotherBootIsCheckedAgain() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 1, routerCount: 1)
        let shard = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(1)))
        try shard.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        let coordinator = try CommitCoordinator(directory: dir)
        try shard.exec("BEGIN IMMEDIATE")
        let capture = RedoCapture(db: shard)
        capture.attach()
        try shard.exec("INSERT INTO t VALUES (1, 'kept')")
        capture.detach()
        let txid = try coordinator.decide([(id: 1, redo: capture.payload)])
        try shard.exec("ROLLBACK")  // the participant's commit, lost to the power cut
        coordinator.writeState(boot: "an-earlier-boot", busy: false)
        #expect(try coordinator.pendingDecisions().map(\.0) == [txid])
        #expect(try coordinator.hasPendingDecisions())
        try CommitCoordinator(directory: dir).recover()
        #expect(try shard.query("SELECT v FROM t") == [[.text("kept")]])
        #expect(!(try coordinator.hasPendingDecisions()))
    }

    @Test func commitIsAllOrNothingAcrossParticipants() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 2, routerCount: 1)
        var parts: [(id: Int, db: Database, redo: RedoPayload)] = []
        var dbs: [Database] = []
        for n in 1...2 {
            let db = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(n)))
            try db.exec("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)")
            try db.exec("INSERT INTO acct VALUES (\(n), 100)")
            dbs.append(db)
        }
        for (i, db) in dbs.enumerated() {
            try db.exec("BEGIN IMMEDIATE")
            let c = RedoCapture(db: db)
            c.attach()
            try db.exec("UPDATE acct SET balance = balance \(i == 0 ? "-" : "+") 30")
            c.detach()
            parts.append((id: i + 1, db: db, redo: c.payload))
        }
        let coordinator = try CommitCoordinator(directory: dir)
        try coordinator.recover()  // a first open checks the boot's state
        try coordinator.commit(parts)
        #expect(try dbs[0].query("SELECT balance FROM acct") == [[.integer(70)]])
        #expect(try dbs[1].query("SELECT balance FROM acct") == [[.integer(130)]])
        #expect(!(try coordinator.hasPendingDecisions()))
    }

    /// The pre-update hook encodes each change as it happens: rows of a rowid table are named by
    /// rowid when deleted or replaced, a WITHOUT ROWID table's old values carry its key, and
    /// ROLLBACK TO's truncation drops exactly the records after the mark.
    @Test func captureRecordsEachChangeAndTruncatesToAMark() throws {
        let db = try Database(path: ":memory:", create: true)
        try db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v); CREATE TABLE w (a TEXT PRIMARY KEY, b) WITHOUT ROWID")
        let c = RedoCapture(db: db)
        c.attach()
        try db.exec("BEGIN")
        try db.exec("INSERT INTO t VALUES (1, 'x'), (2, x'00ff'); INSERT INTO w VALUES ('k', 2.5)")
        try db.exec("UPDATE t SET v = NULL WHERE k = 1; UPDATE w SET b = -3; DELETE FROM t WHERE k = 2; DELETE FROM w")
        #expect(c.records == [
            .insert(table: "t", rowid: 1, values: [.integer(1), .text("x")]),
            .insert(table: "t", rowid: 2, values: [.integer(2), .blob([0, 255])]),
            .insert(table: "w", rowid: nil, values: [.text("k"), .real(2.5)]),
            .update(table: "t", oldRowid: 1, oldValues: [], rowid: 1, values: [.integer(1), .null]),
            .update(table: "w", oldRowid: nil, oldValues: [.text("k"), .real(2.5)], rowid: nil, values: [.text("k"), .integer(-3)]),
            .delete(table: "t", rowid: 2, oldValues: []),
            .delete(table: "w", rowid: nil, oldValues: [.text("k"), .integer(-3)]),
        ])
        c.truncate(to: 3)
        #expect(c.count == 3)
        try db.exec("INSERT INTO t VALUES (9, 'y')")
        #expect(c.records.map { if case let .insert(t, r, _) = $0 { return "\(t)\(r ?? 0)" } else { return "?" } } == ["t1", "t2", "w0", "t9"])
        c.reset()
        #expect(c.isEmpty && c.records.isEmpty)
        try db.exec("ROLLBACK")
    }

    /// Markers only matter for decisions still kept: once decisions are forgotten, later
    /// commits drop their markers, so a participant keeps about two batches of them, not one
    /// row per transaction forever.
    @Test func markersOfForgottenDecisionsArePruned() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 2, routerCount: 1)
        let dbs = try (1...2).map { n in try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(n))) }
        for db in dbs { try db.exec("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO c VALUES (1, 0)") }
        let coordinator = try CommitCoordinator(directory: dir)
        try coordinator.recover()
        let rounds = CommitCoordinator.forgetBatch * 5
        for _ in 0..<rounds {
            var parts: [(id: Int, db: Database, redo: RedoPayload)] = []
            for (i, db) in dbs.enumerated() {
                try db.exec("BEGIN IMMEDIATE")
                let c = RedoCapture(db: db)
                c.attach()
                try db.exec("UPDATE c SET n = n + 1")
                c.detach()
                parts.append((id: i + 1, db: db, redo: c.payload))
            }
            try coordinator.commit(parts)
        }
        for db in dbs {
            #expect(try db.query("SELECT n FROM c") == [[.integer(Int64(rounds))]])
            guard case let .integer(markers)? = try db.query("SELECT count(*) FROM limitless_applied").first?.first else {
                Issue.record("no marker count"); continue
            }
            #expect(markers <= Int64(2 * CommitCoordinator.forgetBatch + 1), "\(markers) markers after \(rounds) commits")
            // Every decision still kept has its marker (recovery must find them).
            for kept in try coordinator.keptDecisions() {
                #expect(!(try db.query("SELECT 1 FROM limitless_applied WHERE txid = ?", [.integer(kept.txid)])).isEmpty)
            }
        }
        #expect(!(try coordinator.hasPendingDecisions()))
    }

    @Test func redoRecordsSurviveEncoding() throws {
        let records: [RedoRecord] = [
            .insert(table: "t", rowid: 5, values: [.null, .integer(-7), .real(2.5), .text("é\u{0}x"), .blob([0, 255])]),
            .update(table: "w", oldRowid: nil, oldValues: [.text("k")], rowid: nil, values: [.integer(Int64.min)]),
            .delete(table: "t", rowid: Int64.max, oldValues: []),
            .statement("CREATE INDEX i ON t(a)"),
        ]
        #expect(try RedoCodec.decode(RedoCodec.encode(records)) == records)
        #expect(throws: EngineError.self) { try RedoCodec.decode(Array(RedoCodec.encode(records).dropLast(3))) }
    }

    @Test func decisionsKeepEveryPartAndTransactionIdsNeverRepeat() throws {
        let parts: [(id: Int, redo: RedoPayload)] = [
            (id: 0, redo: RedoPayload([.statement("CREATE TABLE t (a)")])),
            (id: 3, redo: RedoPayload([.insert(table: "t", rowid: 1, values: [.integer(5)])])),
            (id: 12, redo: RedoPayload([])),
        ]
        let decoded = try CommitCoordinator.decodeParts(CommitCoordinator.encodeParts(parts))
        #expect(decoded.map(\.id) == [0, 3, 12])
        #expect(try decoded.map { try RedoCodec.decode($0.redo) } == parts.map { $0.redo.records })
        #expect(throws: EngineError.self) { try CommitCoordinator.decodeParts(Array(CommitCoordinator.encodeParts(parts).dropLast(1))) }

        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 1, routerCount: 1)
        let coordinator = try CommitCoordinator(directory: dir)
        let first = try coordinator.decide([(id: 1, redo: RedoPayload([]))])
        coordinator.writeState(busy: false)
        try coordinator.forgetDone()
        // Forgetting every decision must not let the next one reuse an id (markers name them).
        let second = try coordinator.decide([(id: 1, redo: RedoPayload([]))])
        #expect(second > first)
        #expect(try CommitCoordinator(directory: dir).decide([(id: 1, redo: RedoPayload([]))]) > second)
    }

    /// The log ends at the first record that is torn, damaged or not newer than the one before
    /// it: a crash mid-write, or the older records left behind after the log started again.
    @Test func theDecisionLogEndsAtATornDamagedOrOlderRecord() {
        let records = [DecisionLog.Record(txid: 7, decidedAt: 1, body: []),
                       DecisionLog.Record(txid: 8, decidedAt: 2, body: [1, 2, 3]),
                       DecisionLog.Record(txid: 9, decidedAt: 3, body: Array(repeating: 9, count: 100))]
        let bytes = records.flatMap(DecisionLog.encode) + [UInt8](repeating: 0, count: 64)
        let whole = DecisionLog.parse(bytes[...])
        #expect(whole.records == records)
        #expect(whole.position == DecisionLog.Position(end: bytes.count - 64, lastTxid: 9))
        // Torn: the last record's end never reached the file.
        #expect(DecisionLog.parse(bytes[..<(bytes.count - 64 - 5)]).records == Array(records.prefix(2)))
        // Damaged: one byte of the middle record's body changed; it and everything after it are gone.
        var damaged = bytes
        damaged[DecisionLog.encode(records[0]).count + DecisionLog.headerSize + 1] ^= 0x40
        #expect(DecisionLog.parse(damaged[...]).records == [records[0]])
        // Started again: a record holding id 12 written at offset 0 over the first one; what
        // follows it has smaller ids and is not part of the log.
        var restarted = DecisionLog.encode(DecisionLog.Record(txid: 12, decidedAt: 4, body: []))
        let head = restarted.count
        restarted += bytes[head...]
        let again = DecisionLog.parse(restarted[...])
        #expect(again.records.map(\.txid) == [12])
        #expect(again.position == DecisionLog.Position(end: head, lastTxid: 12))
    }

    /// A committer that died after writing its decision (the state still busy) left no position
    /// behind: the next one reads the log, so it neither reuses the id nor writes over the record.
    @Test func aDecisionOfADeadCommitterIsNeitherOverwrittenNorItsIdReused() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 1, routerCount: 1)
        let shard = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(1)))
        try shard.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        let first = try CommitCoordinator(directory: dir)
        try first.recover()
        let txid = try first.decide([(id: 1, redo: RedoPayload([.insert(table: "t", rowid: 1, values: [.integer(1), .text("a")])]))])
        // "Dies" here: busy, nobody holds the lock.
        let next = try CommitCoordinator(directory: dir)
        #expect(try next.pendingDecisions().map(\.txid) == [txid])
        try next.recover()
        #expect(try shard.query("SELECT v FROM t") == [[.text("a")]])
        let later = try next.decide([(id: 1, redo: RedoPayload([]))])
        #expect(later == txid + 1)
        #expect(try next.keptDecisions().map(\.txid) == [txid, later])
    }

    /// A decision an earlier version wrote (a `limitless_decision` row and one part row per
    /// participant) is still recovered, and new ids start after the old ones.
    @Test func decisionsOfTheEarlierFormatAreRecovered() throws {
        let dir = Self.tempDir()
        defer { try? Files.removeTree(dir) }
        try ShardGroupStorage.create(directory: dir, shardCount: 1, routerCount: 1)
        let shard = try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(1)))
        try shard.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        let old = try Database(path: Files.join(dir, "coordinator.db"), create: true)
        try old.exec("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE limitless_decision (txid INTEGER PRIMARY KEY AUTOINCREMENT, done INTEGER NOT NULL DEFAULT 0,
                decided_at TEXT NOT NULL, boot TEXT);
            CREATE TABLE limitless_decision_part (txid INTEGER NOT NULL, participant INTEGER NOT NULL, redo BLOB NOT NULL,
                PRIMARY KEY (txid, participant)) WITHOUT ROWID;
            INSERT INTO limitless_decision (txid, decided_at) VALUES (41, 'then');
            """)
        try old.run("INSERT INTO limitless_decision_part VALUES (41, 1, ?)",
                    [.blob(RedoCodec.encode([.insert(table: "t", rowid: 7, values: [.integer(7), .text("old")])]))])
        let coordinator = try CommitCoordinator(directory: dir)
        #expect(try coordinator.hasPendingDecisions())  // no commit.state yet: check everything
        try coordinator.recover()
        #expect(try shard.query("SELECT k, v FROM t") == [[.integer(7), .text("old")]])
        #expect(try shard.query("SELECT txid FROM limitless_applied") == [[.integer(41)]])
        #expect(try coordinator.decide([(id: 1, redo: RedoPayload([]))]) == 42)
    }
}

/// Schema statements on TEMP objects are not the participant's state: they are not redo.
@Suite struct SchemaStatementRedoTests {
    @Test func tempObjectsAreNotRecorded() {
        for sql in ["CREATE TABLE t (a)", "DROP TABLE IF EXISTS t", "ALTER TABLE t ADD b", "CREATE UNIQUE INDEX i ON t(a)",
                    "DROP TABLE main.t", "CREATE TABLE t AS SELECT * FROM temp.x", "CREATE VIEW temporary_v AS SELECT 1"] {
            #expect(Database.isSchemaStatement(sql), "\(sql)")
        }
        for sql in ["CREATE TEMP TABLE x (a)", "CREATE TEMPORARY VIEW v AS SELECT 1", "DROP TABLE IF EXISTS temp.x",
                    "DROP TABLE \"temp\".x", "CREATE TABLE temp.x (a)", "ALTER TABLE TEMP.x ADD b", "CREATE INDEX IF NOT EXISTS temp.i ON x(a)",
                    "SELECT 1", "INSERT INTO t VALUES (1)"] {
            #expect(!Database.isSchemaStatement(sql), "\(sql)")
        }
    }
}

extension SchemaStatementRedoTests {
    /// UPDATE … RETURNING keeps its rows in a TEMP table on the router: that must not make the
    /// router a participant of a two-phase commit (a marker row in router.db per statement).
    @Test func returningDoesNotMakeTheRouterAParticipant() throws {
        let f = try PlanFixture(name: "returning")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER);
            INSERT INTO t VALUES (1, 10);
            """)
        func markers() -> [[SQLValue]] { (try? f.engine.router.query("SELECT count(*) FROM limitless_applied")) ?? [[.integer(0)]] }
        let before = markers()   // the CREATE TABLE's own commit (router and shards) may have left one
        for _ in 0..<3 { try f.run("UPDATE t SET v = v + 1 WHERE k = 1 RETURNING v") }
        try f.run("BEGIN; UPDATE t SET v = v + 1 WHERE k = 1 RETURNING v; DELETE FROM t WHERE k = 2 RETURNING k; COMMIT")
        #expect(markers() == before)
        guard case let .rows(_, _, rows)? = try f.engine.execute("SELECT v FROM t") else { Issue.record("no rows"); return }
        #expect(rows == [[.integer(14)]])
        f.engine.close()
    }
}
