import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// Atomic commit across participants (the router database and the shards), without PREPARE.
///
/// The protocol — docs/ARCHITECTURE.md, "Commit protocol", tells the whole story and each crash point:
/// 1. Every participant has done its work inside `BEGIN IMMEDIATE` and holds its write lock;
///    a `RedoCapture` recorded its changes.
/// 2. Under the cluster's commit lock (exclusive), one transaction on `coordinator.db` writes
///    the decision: a transaction id and every participant's redo records. Its COMMIT, with
///    synchronous=FULL, is the commit point.
/// 3. Each participant writes a marker row (`limitless_applied`, the transaction id) and
///    commits. Shards run with synchronous=NORMAL (no fsync at commit): their redo is already
///    durable in the decision, which is kept until their write-ahead logs have been fsynced.
///    (A shard that commits alone fsyncs its WAL itself: `ClusterEngine.syncShard`.)
/// 4. The decision is marked done (no fsync needed: a lost mark only makes recovery look at
///    markers again), and the commit lock is released.
/// Recovery (`recover`) finds decisions not marked done and, on each participant without the
/// marker, replays the redo records and writes the marker in one local transaction.
final class CommitCoordinator {
    let directory: String
    let log: Database
    let lockPath: String
    let fault: String?
    /// Done decisions are forgotten in batches, after fsyncing every participant's WAL.
    static let forgetBatch = 64

    /// Opens (creating on first use) `coordinator.db` in the shard group's folder.
    init(directory: String) throws(EngineError) {
        self.directory = directory
        let path = Files.join(directory, "coordinator.db")
        log = try Database(path: path, create: true)
        lockPath = Files.join(directory, "commit.lock")
        fault = Environment.get("LIMITLESS_FAULT")
        try log.exec("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS limitless_decision (
                txid INTEGER PRIMARY KEY AUTOINCREMENT,
                done INTEGER NOT NULL DEFAULT 0,
                decided_at TEXT NOT NULL,
                boot TEXT);
            CREATE TABLE IF NOT EXISTS limitless_decision_part (
                txid INTEGER NOT NULL,
                participant INTEGER NOT NULL,
                redo BLOB NOT NULL,
                PRIMARY KEY (txid, participant)) WITHOUT ROWID;
            """)
        // Files made before decisions carried their boot: add the column (done rows with no
        // boot are checked again once, which is safe).
        if try log.query("SELECT 1 FROM pragma_table_info('limitless_decision') WHERE name = 'boot'").isEmpty {
            try log.exec("ALTER TABLE limitless_decision ADD COLUMN boot TEXT")
        }
        chmod(path, 0o600)
        bootID = CommitCoordinator.currentBootID()
    }

    /// This boot of the machine (`/proc/sys/kernel/random/boot_id`). A decision marked done
    /// records the boot it was marked in: the mark (like the participants' commits it vouches
    /// for, made with synchronous=NORMAL) lives in the page cache until the next fsync, so it
    /// proves nothing after a power cut — a decision done in another boot is checked again.
    let bootID: String

    static func currentBootID() -> String {
        (try? Files.readText("/proc/sys/kernel/random/boot_id"))?.filter { !$0.isWhitespace } ?? "unknown"
    }

    /// The marker table every participant keeps (created on first use, inside the participant's
    /// own transaction so it commits or vanishes with it).
    static let markerDDL = "CREATE TABLE IF NOT EXISTS limitless_applied (txid INTEGER PRIMARY KEY)"

    /// `LIMITLESS_FAULT=<point>` kills the process at that point, as `kill -9` would (tests only).
    func crashPoint(_ name: String) {
        if fault == name { kill(getpid(), SIGKILL) }
    }

    /// True when some decision may be unfinished (a committer died after deciding).
    func hasPendingDecisions() throws(EngineError) -> Bool {
        let rows = try log.query("SELECT EXISTS (SELECT 1 FROM limitless_decision WHERE done = 0 OR boot IS NOT ?)",
                                 [.text(bootID)])
        return rows.first?.first == .integer(1)
    }

    /// In-doubt transactions, for `rds_aurora.limitless_stat_prepared_xacts`:
    /// (transaction id, decided at, participants).
    func pendingDecisions() throws(EngineError) -> [(Int64, String, [Int])] {
        let rows = try log.query("""
            SELECT d.txid, d.decided_at, group_concat(p.participant)
            FROM limitless_decision d JOIN limitless_decision_part p USING (txid)
            WHERE d.done = 0 GROUP BY d.txid ORDER BY d.txid
            """)
        return rows.compactMap { row in
            guard case let .integer(txid) = row[0], case let .text(at) = row[1] else { return nil }
            var parts: [Int] = []
            if case let .text(list) = row[2] { parts = list.split(separator: ",").compactMap { Int($0) } }
            return (txid, at, parts)
        }
    }

    /// Commits `participants` (id, connection in a write transaction, its captured redo) all or
    /// none. On an error before the decision, every participant is rolled back and the error
    /// thrown; after the decision the transaction is committed whatever happens (recovery
    /// finishes it if this process cannot).
    func commit(_ participants: [(id: Int, db: Database, redo: [RedoRecord])]) throws(EngineError) {
        let lock: FileLock
        do { lock = try FileLock(path: lockPath, exclusive: true) } catch {
            for p in participants { try? p.db.exec("ROLLBACK") }
            throw EngineError("could not take the commit lock: \(error)", code: "58030")
        }
        defer { lock.unlock() }
        let txid: Int64
        do throws(EngineError) {
            crashPoint("before-decision")
            txid = try decide(participants.map { ($0.id, $0.redo) })
        } catch {
            for p in participants { try? p.db.exec("ROLLBACK") }
            throw error
        }
        // The transaction is committed from here on.
        crashPoint("after-decision")
        var unfinished = false
        for (i, p) in participants.enumerated() {
            do throws(EngineError) {
                if !p.db.markerTableReady { try p.db.exec(CommitCoordinator.markerDDL) }
                try p.db.runPrepared("INSERT INTO limitless_applied (txid) VALUES (?)", [.integer(txid)])
                try p.db.exec("COMMIT")
                p.db.markerTableReady = true
            } catch {
                // The decision stands; recovery replays this participant.
                unfinished = true
                try? p.db.exec("ROLLBACK")
            }
            crashPoint("after-participant-\(i + 1)")
        }
        if unfinished {
            try recoverLocked()
            return
        }
        try log.exec("PRAGMA synchronous=NORMAL")
        try log.runPrepared("UPDATE limitless_decision SET done = 1, boot = ? WHERE txid = ?", [.text(bootID), .integer(txid)])
        try log.exec("PRAGMA synchronous=FULL")
        crashPoint("after-done")
        if txid % Int64(CommitCoordinator.forgetBatch) == 0 { try forgetDone() }
    }

    /// Writes the durable commit decision: the commit point. Returns the transaction id.
    func decide(_ parts: [(id: Int, redo: [RedoRecord])]) throws(EngineError) -> Int64 {
        do throws(EngineError) {
            try log.exec("BEGIN IMMEDIATE")
            try log.runPrepared("INSERT INTO limitless_decision (decided_at) VALUES (?)", [.text(Clock.nowISO8601())])
            let txid = log.lastInsertRowid
            for p in parts {
                try log.runPrepared("INSERT INTO limitless_decision_part (txid, participant, redo) VALUES (?, ?, ?)",
                            [.integer(txid), .integer(Int64(p.id)), .blob(RedoCodec.encode(p.redo))])
            }
            try log.exec("COMMIT")
            return txid
        } catch {
            if log.inTransaction { try? log.exec("ROLLBACK") }
            throw error
        }
    }

    /// Completes every unfinished decision. Safe to call from several processes at once: the
    /// commit lock serialises them, and markers make each replay happen once.
    func recover() throws(EngineError) {
        guard try hasPendingDecisions() else { return }
        let lock: FileLock
        do { lock = try FileLock(path: lockPath, exclusive: true) } catch {
            throw EngineError("could not take the commit lock: \(error)", code: "58030")
        }
        defer { lock.unlock() }
        try recoverLocked()
    }

    /// The file of participant `id`: 0 is the router database, n the n-th shard.
    func participantPath(_ id: Int) -> String {
        Files.join(directory, id == 0 ? "router.db" : ShardGroupStorage.shardFileName(id))
    }

    private func recoverLocked() throws(EngineError) {
        let pending = try log.query("SELECT txid FROM limitless_decision WHERE done = 0 OR boot IS NOT ? ORDER BY txid",
                                    [.text(bootID)])
        for row in pending {
            guard case let .integer(txid) = row[0] else { continue }
            let parts = try log.query("SELECT participant, redo FROM limitless_decision_part WHERE txid = ? ORDER BY participant",
                                      [.integer(txid)])
            for part in parts {
                guard case let .integer(id) = part[0], case let .blob(bytes) = part[1] else { continue }
                try replay(txid: txid, participant: Int(id), redo: try RedoCodec.decode(bytes))
            }
            try log.run("UPDATE limitless_decision SET done = 1, boot = ? WHERE txid = ?", [.text(bootID), .integer(txid)])
        }
    }

    /// Replays one participant's part of a decision unless its marker says it is there already.
    private func replay(txid: Int64, participant: Int, redo: [RedoRecord]) throws(EngineError) {
        // A connection of its own, with triggers off: their effects are in the redo already.
        let db = try Database(path: participantPath(participant))
        if participant == 0 {
            sqlite3_create_module_v2(db.handle, "limitless_table", &recoveryStubModule, nil, nil)
        }
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA trusted_schema=ON")
        limitless_sqlite3_enable_triggers(db.handle, 0)
        try db.exec("BEGIN IMMEDIATE")
        do throws(EngineError) {
            try db.exec(CommitCoordinator.markerDDL)
            let done = try db.query("SELECT 1 FROM limitless_applied WHERE txid = ?", [.integer(txid)])
            if done.isEmpty {
                try RedoReplay.apply(redo, to: db)
                try db.run("INSERT INTO limitless_applied (txid) VALUES (?)", [.integer(txid)])
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw EngineError("recovery of transaction \(txid) on \(participantPath(participant)) failed: \(error.message)",
                              code: "XX000")
        }
    }

    /// Forgets done decisions once every participant's WAL is on disk (so a participant commit
    /// made with synchronous=NORMAL can no longer be lost). Called with the commit lock held.
    func forgetDone() throws(EngineError) {
        let maxRow = try log.query("SELECT max(txid) FROM limitless_decision WHERE done = 1")
        guard case let .integer(upTo) = maxRow.first?.first ?? .null else { return }
        for name in (try? Files.list(directory)) ?? [] where name.hasSuffix(".db-wal") && name != "coordinator.db-wal" {
            let fd = open(Files.join(directory, name), O_RDWR | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }
        }
        try log.exec("BEGIN IMMEDIATE")
        try log.run("DELETE FROM limitless_decision_part WHERE txid IN (SELECT txid FROM limitless_decision WHERE done = 1 AND txid <= ?)",
                    [.integer(upTo)])
        try log.run("DELETE FROM limitless_decision WHERE done = 1 AND txid <= ?", [.integer(upTo)])
        try log.exec("COMMIT")
    }
}
