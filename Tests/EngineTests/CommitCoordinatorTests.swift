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
        let txid = try coordinator.decide([(id: 2, redo: capture.records)])
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
        let txid = try coordinator.decide([(id: 1, redo: capture.records)])
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
        var parts: [(id: Int, db: Database, redo: [RedoRecord])] = []
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
            parts.append((id: i + 1, db: db, redo: c.records))
        }
        let coordinator = try CommitCoordinator(directory: dir)
        try coordinator.recover()  // a first open checks the boot's state
        try coordinator.commit(parts)
        #expect(try dbs[0].query("SELECT balance FROM acct") == [[.integer(70)]])
        #expect(try dbs[1].query("SELECT balance FROM acct") == [[.integer(130)]])
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
}
