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
/// 4. `commit.state` is set back to idle (a plain write, no fsync) and the commit lock released.
/// `commit.state` says whether a committer is between deciding and finishing: it is set to busy
/// before the decision is written and to idle once every participant has committed. Checking
/// for unfinished work is one `pread` of it, not a query; a busy state whose writer no longer
/// holds the commit lock (it died), or a state written in another boot (a power cut may have
/// taken back participants' NORMAL commits), sends the next process into recovery.
/// Recovery (`recover`) checks every decision still kept and, on each participant without the
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
                done INTEGER NOT NULL DEFAULT 0,  -- no longer written (commit.state says it)
                decided_at TEXT NOT NULL,
                boot TEXT);
            CREATE TABLE IF NOT EXISTS limitless_decision_part (
                txid INTEGER NOT NULL,
                participant INTEGER NOT NULL,
                redo BLOB NOT NULL,
                PRIMARY KEY (txid, participant)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS limitless_commit_decision (
                txid INTEGER PRIMARY KEY,
                decided_at TEXT NOT NULL,
                participants TEXT NOT NULL,
                redo BLOB NOT NULL);
            """)
        // One row per decision (the two tables above are what earlier versions wrote; recovery
        // still reads them). Transaction ids must never repeat — markers in the participants
        // name them — so the newest row is never forgotten, and a new table starts after the
        // last id the old tables handed out (a row with no participants holds that place).
        if try log.query("SELECT 1 FROM limitless_commit_decision LIMIT 1").isEmpty {
            try log.run("""
                INSERT OR IGNORE INTO limitless_commit_decision (txid, decided_at, participants, redo)
                SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'limitless_decision'), 0), '', '', x''
                """, [])
        }
        chmod(path, 0o600)
        bootID = CommitCoordinator.currentBootID()
        let statePath = Files.join(directory, "commit.state")
        stateFD = open(statePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if stateFD < 0 { throw EngineError("could not open \(statePath)", code: "58030") }
        probeFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if probeFD < 0 { throw EngineError("could not open \(lockPath)", code: "58030") }
        idleState = CommitCoordinator.stateBytes(boot: bootID, busy: false)
        busyState = CommitCoordinator.stateBytes(boot: bootID, busy: true)
    }

    deinit {
        close(stateFD)
        close(probeFD)
    }

    // MARK: commit.state

    /// `commit.state`, kept open: `<boot id> idle` or `<boot id> busy`, padded to 64 bytes.
    private let stateFD: Int32
    /// Another descriptor of `commit.lock`, to test without waiting whether a committer holds it.
    private let probeFD: Int32
    private let idleState: [UInt8]
    private let busyState: [UInt8]
    static let stateSize = 64

    static func stateBytes(boot: String, busy: Bool) -> [UInt8] {
        var bytes = Array("\(boot) \(busy ? "busy" : "idle")\n".utf8.prefix(stateSize))
        while bytes.count < stateSize { bytes.append(0x20) }
        return bytes
    }

    private func readState() -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: CommitCoordinator.stateSize)
        let n = buf.withUnsafeMutableBytes { pread(stateFD, $0.baseAddress, CommitCoordinator.stateSize, 0) }
        return n == CommitCoordinator.stateSize ? buf : []
    }

    /// Writes the state (tests pass another boot to play a power cut). No fsync: after a power
    /// cut the boot differs anyway, and a kill -9 leaves the page cache as written.
    func writeState(boot: String? = nil, busy: Bool) {
        let bytes = boot.map { CommitCoordinator.stateBytes(boot: $0, busy: busy) } ?? (busy ? busyState : idleState)
        _ = bytes.withUnsafeBytes { pwrite(stateFD, $0.baseAddress, CommitCoordinator.stateSize, 0) }
    }

    /// True while a process holds the commit lock exclusively (a committer at work).
    private func commitLockHeld() -> Bool {
        if flock(probeFD, LOCK_SH | LOCK_NB) == 0 {
            flock(probeFD, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// This boot of the machine (`/proc/sys/kernel/random/boot_id`). `commit.state` records the
    /// boot it was written in: it (like the participants' commits it vouches for, made with
    /// synchronous=NORMAL) lives in the page cache until the next fsync, so it proves nothing
    /// after a power cut — a state from another boot makes recovery check every kept decision.
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

    /// True when some decision may be unfinished: a committer died between deciding and
    /// finishing (the state is busy and nobody holds the commit lock), or the state was written
    /// in another boot or never. One `pread` in the common case.
    func hasPendingDecisions() throws(EngineError) -> Bool {
        let state = readState()
        if state == idleState { return false }
        if state == busyState { return !commitLockHeld() }
        return true
    }

    /// In-doubt transactions, for `rds_aurora.limitless_stat_prepared_xacts`: decisions that a
    /// dead committer (or a power cut) left without some participant's marker.
    /// (transaction id, decided at, participants).
    func pendingDecisions() throws(EngineError) -> [(Int64, String, [Int])] {
        guard try hasPendingDecisions() else { return [] }
        let rows = try log.query("""
            SELECT d.txid, d.decided_at, group_concat(p.participant)
            FROM limitless_decision d JOIN limitless_decision_part p USING (txid)
            GROUP BY d.txid
            UNION ALL
            SELECT txid, decided_at, participants FROM limitless_commit_decision WHERE participants <> ''
            ORDER BY 1
            """)
        return rows.compactMap { row in
            guard case let .integer(txid) = row[0], case let .text(at) = row[1] else { return nil }
            var parts: [Int] = []
            if case let .text(list) = row[2] { parts = list.split(separator: ",").compactMap { Int($0) } }
            guard parts.contains(where: { !hasMarker(txid: txid, participant: $0) }) else { return nil }
            return (txid, at, parts)
        }
    }

    /// Whether participant `participant` carries the marker of transaction `txid`.
    private func hasMarker(txid: Int64, participant: Int) -> Bool {
        guard let db = try? Database(path: participantPath(participant)),
              let rows = try? db.query("SELECT 1 FROM limitless_applied WHERE txid = ?", [.integer(txid)]) else { return false }
        return !rows.isEmpty
    }

    /// Commits `participants` (id, connection in a write transaction, its captured redo) all or
    /// none. On an error before the decision, every participant is rolled back and the error
    /// thrown; after the decision the transaction is committed whatever happens (recovery
    /// finishes it if this process cannot).
    func commit(_ participants: [(id: Int, db: Database, redo: RedoPayload)]) throws(EngineError) {
        let lock: FileLock
        do { lock = try FileLock(path: lockPath, exclusive: true) } catch {
            for p in participants { try? p.db.exec("ROLLBACK") }
            throw EngineError("could not take the commit lock: \(error)", code: "58030")
        }
        defer { lock.unlock() }
        if readState() != idleState {
            // A committer died after deciding (or this boot has not been checked yet): its
            // participants may be ours, whose locks we hold. Give them back, recover, retry.
            for p in participants { try? p.db.exec("ROLLBACK") }
            try? recoverLocked()  // may need a lock this session still holds: then the next statement recovers
            throw EngineError("could not serialize access: a distributed transaction left unfinished by another process was completed first; retry the transaction",
                              code: "40001")
        }
        let txid: Int64
        do throws(EngineError) {
            crashPoint("before-decision")
            txid = try decide(participants.map { ($0.id, $0.redo) })
        } catch {
            for p in participants { try? p.db.exec("ROLLBACK") }
            writeState(busy: false)
            throw error
        }
        // The transaction is committed from here on.
        crashPoint("after-decision")
        // Now and then each participant also drops the markers of decisions no longer kept:
        // recovery only looks for markers of kept decisions.
        let floor = txid % Int64(CommitCoordinator.forgetBatch) == 1 ? keptFloor() : nil
        var unfinished = false
        for (i, p) in participants.enumerated() {
            do throws(EngineError) {
                if !p.db.markerTableReady { try p.db.exec(CommitCoordinator.markerDDL) }
                try p.db.runPrepared("INSERT INTO limitless_applied (txid) VALUES (?)", [.integer(txid)])
                if let floor { try? p.db.runPrepared("DELETE FROM limitless_applied WHERE txid < ?", [.integer(floor)]) }
                try p.db.control("COMMIT")
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
        writeState(busy: false)
        crashPoint("after-done")
        if txid % Int64(CommitCoordinator.forgetBatch) == 0 { try forgetDone() }
    }

    /// The oldest transaction id a kept decision (of either format) still names.
    func keptFloor() -> Int64? {
        let rows = try? log.query("""
            SELECT min(t) FROM (SELECT min(txid) AS t FROM limitless_commit_decision
                                UNION ALL SELECT min(txid) FROM limitless_decision)
            """)
        if case let .integer(v)? = rows?.first?.first { return v }
        return nil
    }

    /// Writes the durable commit decision: the commit point. Returns the transaction id.
    /// `commit.state` says busy first, so a death anywhere after this point sends the next
    /// process into recovery.
    func decide(_ parts: [(id: Int, redo: RedoPayload)]) throws(EngineError) -> Int64 {
        writeState(busy: true)
        crashPoint("after-busy")
        do throws(EngineError) {
            try log.control("BEGIN IMMEDIATE")
            try log.runPrepared("INSERT INTO limitless_commit_decision (decided_at, participants, redo) VALUES (?, ?, ?)",
                                [.text(Clock.nowISO8601()), .text(parts.map { String($0.id) }.joined(separator: ",")),
                                 .blob(CommitCoordinator.encodeParts(parts))])
            let txid = log.lastInsertRowid
            try log.control("COMMIT")
            return txid
        } catch {
            if log.inTransaction { try? log.exec("ROLLBACK") }
            throw error
        }
    }

    /// Every participant's redo in one blob: per participant its id and the length of its
    /// encoded redo (8 bytes little-endian each), then the redo.
    static func encodeParts(_ parts: [(id: Int, redo: RedoPayload)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + 32 + $1.redo.body.count })
        for p in parts {
            let header = p.redo.header
            for v in [UInt64(p.id), UInt64(header.count + p.redo.body.count)] {
                for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
            out += header
            out += p.redo.body
        }
        return out
    }

    static func decodeParts(_ bytes: [UInt8]) throws(EngineError) -> [(id: Int, redo: [UInt8])] {
        var parts: [(id: Int, redo: [UInt8])] = []
        var at = 0
        func word() throws(EngineError) -> Int {
            guard at + 8 <= bytes.count else { throw EngineError("damaged commit decision", code: "XX001") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += 8
            guard v <= UInt64(Int.max) else { throw EngineError("damaged commit decision", code: "XX001") }
            return Int(v)
        }
        while at < bytes.count {
            let id = try word(), n = try word()
            guard n <= bytes.count - at else { throw EngineError("damaged commit decision", code: "XX001") }
            parts.append((id, Array(bytes[at..<(at + n)])))
            at += n
        }
        return parts
    }

    /// Completes every unfinished decision. Safe to call from several processes at once: the
    /// commit lock serialises them, and markers make each replay happen once.
    ///
    /// A replay needs the participant's write lock, which a live writer may hold while it waits
    /// for the commit lock to commit: recovery waits only briefly for a participant, then lets
    /// the commit lock go for a moment (that writer takes it, finds the state busy, rolls back
    /// and fails with 40001) and tries again, for at most `Database.busyTimeoutMilliseconds`.
    func recover() throws(EngineError) {
        let deadline = CommitCoordinator.monotonicMilliseconds() + Int64(Database.busyTimeoutMilliseconds)
        while true {
            guard try hasPendingDecisions() else { return }
            let lock: FileLock
            do { lock = try FileLock(path: lockPath, exclusive: true) } catch {
                throw EngineError("could not take the commit lock: \(error)", code: "58030")
            }
            do throws(EngineError) {
                try recoverLocked()
                lock.unlock()
                return
            } catch where error.code == "55P03" {
                lock.unlock()
                if CommitCoordinator.monotonicMilliseconds() > deadline { throw error }
                usleep(20_000)
            }
        }
    }

    /// How long recovery waits for one participant's write lock before letting go of the commit
    /// lock and trying again.
    static let replayLockWaitMilliseconds: Int32 = 200

    static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The file of participant `id`: 0 is the router database, n the n-th shard.
    func participantPath(_ id: Int) -> String {
        Files.join(directory, id == 0 ? "router.db" : ShardGroupStorage.shardFileName(id))
    }

    /// Checks every decision still kept (those not yet forgotten) and finishes each participant
    /// that lacks its marker, then marks the state idle. Called with the commit lock held.
    private func recoverLocked() throws(EngineError) {
        if readState() == idleState { return }  // someone else recovered meanwhile
        // Every decision kept, oldest first: those of earlier versions, then this one's.
        var decided: [(txid: Int64, parts: [(id: Int, redo: [UInt8])])] = []
        for row in try log.query("SELECT txid FROM limitless_decision ORDER BY txid") {
            guard case let .integer(txid) = row[0] else { continue }
            var parts: [(id: Int, redo: [UInt8])] = []
            for part in try log.query("SELECT participant, redo FROM limitless_decision_part WHERE txid = ? ORDER BY participant",
                                      [.integer(txid)]) {
                if case let .integer(id) = part[0], case let .blob(bytes) = part[1] { parts.append((Int(id), bytes)) }
            }
            decided.append((txid, parts))
        }
        for row in try log.query("SELECT txid, redo FROM limitless_commit_decision WHERE participants <> '' ORDER BY txid") {
            guard case let .integer(txid) = row[0], case let .blob(bytes) = row[1] else { continue }
            decided.append((txid, try CommitCoordinator.decodeParts(bytes)))
        }
        var connections: [Int: Database] = [:]
        for (txid, parts) in decided {
            for (id, bytes) in parts {
                let db: Database
                if let open = connections[id] { db = open } else {
                    db = try recoveryConnection(id)
                    connections[id] = db
                }
                try replay(txid: txid, participant: id, db: db, redo: bytes)
            }
        }
        writeState(busy: false)
    }

    /// A connection of recovery's own to participant `id`, with triggers off: their effects
    /// are in the redo already.
    private func recoveryConnection(_ id: Int) throws(EngineError) -> Database {
        let db = try Database(path: participantPath(id))
        if id == 0 {
            sqlite3_create_module_v2(db.handle, "limitless_table", &recoveryStubModule, nil, nil)
        }
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA trusted_schema=ON")
        limitless_sqlite3_enable_triggers(db.handle, 0)
        limitless_sqlite3_busy_timeout(db.handle, CommitCoordinator.replayLockWaitMilliseconds)
        return db
    }

    /// Replays one participant's part of a decision unless its marker says it is there already.
    /// The marker is read first without a write lock (a marker only ever appears in a committed
    /// transaction), so finished participants cost no lock: a live writer may hold theirs.
    private func replay(txid: Int64, participant: Int, db: Database, redo bytes: [UInt8]) throws(EngineError) {
        if let seen = try? db.query("SELECT 1 FROM limitless_applied WHERE txid = ?", [.integer(txid)]), !seen.isEmpty {
            return
        }
        try db.exec("BEGIN IMMEDIATE")
        do throws(EngineError) {
            try db.exec(CommitCoordinator.markerDDL)
            let done = try db.query("SELECT 1 FROM limitless_applied WHERE txid = ?", [.integer(txid)])
            if done.isEmpty {
                try RedoReplay.apply(try RedoCodec.decode(bytes), to: db)
                try db.run("INSERT INTO limitless_applied (txid) VALUES (?)", [.integer(txid)])
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw EngineError("recovery of transaction \(txid) on \(participantPath(participant)) failed: \(error.message)",
                              code: "XX000")
        }
    }

    /// Forgets finished decisions once every participant's WAL is on disk (so a participant
    /// commit made with synchronous=NORMAL can no longer be lost). Called with the commit lock
    /// held and the state idle: every decision kept is then finished on every participant.
    func forgetDone() throws(EngineError) {
        let maxRow = try log.query("SELECT max(txid) FROM limitless_commit_decision")
        guard case let .integer(upTo) = maxRow.first?.first ?? .null else { return }
        for name in (try? Files.list(directory)) ?? [] where name.hasSuffix(".db-wal") && name != "coordinator.db-wal" {
            let fd = open(Files.join(directory, name), O_RDWR | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }
        }
        try log.control("BEGIN IMMEDIATE")
        do throws(EngineError) {
            try log.runPrepared("DELETE FROM limitless_decision_part", [])
            try log.runPrepared("DELETE FROM limitless_decision", [])
            // The newest row stays (emptied of its redo): it keeps transaction ids from repeating.
            try log.runPrepared("DELETE FROM limitless_commit_decision WHERE txid < ?", [.integer(upTo)])
            try log.runPrepared("UPDATE limitless_commit_decision SET participants = '', redo = x'' WHERE txid = ?", [.integer(upTo)])
            try log.control("COMMIT")
        } catch {
            try? log.exec("ROLLBACK")
            throw error
        }
    }
}
