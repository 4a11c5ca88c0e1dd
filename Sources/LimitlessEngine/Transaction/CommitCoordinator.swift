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
/// 2. Under the cluster's commit lock (exclusive), one record written to `decisions.log`
///    (`DecisionLog`) and synced holds the decision: a transaction id and every participant's
///    redo records. Its sync is the commit point.
/// 3. Each participant writes a marker row (`limitless_applied`, the transaction id) and
///    commits. Shards run with synchronous=NORMAL (no fsync at commit): their redo is already
///    durable in the decision, which is kept until their write-ahead logs have been fsynced.
///    (A shard that commits alone syncs its WAL itself: `Database.syncWAL`.)
/// 4. `commit.state` is set back to idle (a plain write, no fsync), with where the log's next
///    record goes, and the commit lock released.
/// `commit.state` says whether a committer is between deciding and finishing: it is set to busy
/// before the decision is written and to idle once every participant has committed. Checking
/// for unfinished work is one `pread` of it, not a query; a busy state whose writer no longer
/// holds the commit lock (it died), or a state written in another boot (a power cut may have
/// taken back participants' NORMAL commits), sends the next process into recovery.
/// Recovery (`recover`) checks every decision still kept and, on each participant without the
/// marker, replays the redo records and writes the marker in one local transaction.
final class CommitCoordinator {
    let directory: String
    let log: DecisionLog
    let lockPath: String
    /// `LIMITLESS_FAULT`: a crash point's name, or `fail-decision-sync` / `fail-forget-sync` /
    /// `fail-wal-sync` to play a failed sync of the decision log or a participant's WAL (tests).
    var fault: String?
    /// Done decisions are forgotten in batches, after fsyncing every participant's WAL.
    /// (256: a forget fsyncs every participant's WAL, five files on a 4-shard group, each holding
    /// the batch's unsynced frames; every 64th transaction that added 8% to a two-shard
    /// transfer's syncs and made its time jumpy — W6 0.28–0.42 s, now 0.28–0.37 s.)
    static let forgetBatch = 256
    /// The batch in use: `LIMITLESS_FORGET_EVERY=n` makes it smaller (tests reach a forget sooner).
    let forgetEvery: Int64

    /// Opens (creating on first use) `decisions.log` in the shard group's folder.
    init(directory: String) throws(EngineError) {
        self.directory = directory
        let path = Files.join(directory, "decisions.log")
        lockPath = Files.join(directory, "commit.lock")
        fault = Environment.get("LIMITLESS_FAULT")
        forgetEvery = Int64(Environment.get("LIMITLESS_FORGET_EVERY").flatMap { Int($0) }.map { min(max($0, 2), CommitCoordinator.forgetBatch) }
                            ?? CommitCoordinator.forgetBatch)
        if access(path, F_OK) != 0 { try CommitCoordinator.makeLog(directory: directory, path: path, lockPath: lockPath) }
        log = try DecisionLog(path: path)
        bootID = CommitCoordinator.currentBootID()
        let statePath = Files.join(directory, "commit.state")
        stateFD = open(statePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if stateFD < 0 { throw EngineError("could not open \(statePath)", code: "58030") }
        probeFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if probeFD < 0 { throw EngineError("could not open \(lockPath)", code: "58030") }
        idleState = CommitCoordinator.stateBytes(boot: bootID, busy: false)
        busyState = CommitCoordinator.stateBytes(boot: bootID, busy: true)
    }

    /// Makes the shard group's first `decisions.log`, under the commit lock (several processes
    /// may open the group at once). Transaction ids must never repeat — markers in the
    /// participants name them — so a group whose decisions an earlier version kept in
    /// `coordinator.db` carries them over: its kept decisions become the log's first records
    /// (recovery finishes them as usual) and the last id it handed out holds its place; then
    /// `coordinator.db` goes.
    static func makeLog(directory: String, path: String, lockPath: String) throws(EngineError) {
        let lock: FileLock
        do { lock = try FileLock(path: lockPath, exclusive: true) } catch {
            throw EngineError("could not take the commit lock: \(error)", code: "58030")
        }
        defer { lock.unlock() }
        if access(path, F_OK) == 0 { return }
        // A commit.state that outlived its log (the log deleted, or restored from another time)
        // must not lend its position to the new one: a record written there, past the new
        // log's end, would be invisible to recovery. Emptied, it sends the next process to
        // read the log. The last id it names still holds its place (markers may name it).
        let statePath = Files.join(directory, "commit.state")
        var lastInState: Int64 = 0
        let state = open(statePath, O_RDWR | O_CLOEXEC)
        if state >= 0 {
            var buf = [UInt8](repeating: 0, count: positionSize)
            if buf.withUnsafeMutableBytes({ pread(state, $0.baseAddress, positionSize, off_t(stateSize)) }) == positionSize {
                func word(_ k: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(buf[8 * k + $1]) << (8 * UInt64($1)) } }
                if word(0) == positionMagic { lastInState = Int64(bitPattern: word(2)) }
            }
            _ = ftruncate(state, 0)
            close(state)
        }
        let old = Files.join(directory, "coordinator.db")
        let earlier = access(old, F_OK) == 0
        var records = earlier ? try earlierDecisions(Database(path: old)) : []
        if lastInState > (records.last?.txid ?? 0) {
            records.append(DecisionLog.Record(txid: lastInState, decidedAt: 0, body: []))
        }
        try DecisionLog.create(path: path, records: records)
        if earlier { for suffix in ["", "-wal", "-shm"] { unlink(old + suffix) } }
    }

    /// The decisions `coordinator.db` kept (in either of its two formats), in id order, then an
    /// empty record with the last id it handed out.
    static func earlierDecisions(_ db: Database) throws(EngineError) -> [DecisionLog.Record] {
        func exists(_ table: String) throws(EngineError) -> Bool {
            !(try db.query("SELECT 1 FROM sqlite_master WHERE name = ?", [.text(table)])).isEmpty
        }
        var kept: [Int64: [(id: Int, redo: [UInt8])]] = [:]
        var last: Int64 = 0
        if try exists("limitless_decision") {
            for row in try db.query("SELECT txid FROM limitless_decision") {
                guard case let .integer(txid) = row[0] else { continue }
                kept[txid] = []
            }
            for row in try db.query("SELECT txid, participant, redo FROM limitless_decision_part ORDER BY txid, participant") {
                if case let .integer(txid) = row[0], case let .integer(id) = row[1], case let .blob(bytes) = row[2] {
                    kept[txid, default: []].append((Int(id), bytes))
                }
            }
            if case let .integer(seq)? = try db.query("SELECT seq FROM sqlite_sequence WHERE name = 'limitless_decision'").first?.first {
                last = max(last, seq)
            }
        }
        if try exists("limitless_commit_decision") {
            for row in try db.query("SELECT txid, participants, redo FROM limitless_commit_decision") {
                guard case let .integer(txid) = row[0] else { continue }
                last = max(last, txid)
                if case let .text(list) = row[1], !list.isEmpty, case let .blob(bytes) = row[2] {
                    kept[txid] = try decodeParts(bytes)
                }
            }
        }
        var records: [DecisionLog.Record] = []
        for txid in kept.keys.sorted() {
            var body: [UInt8] = []
            for p in kept[txid]! { body += encodePart(id: p.id, redo: p.redo) }
            if !body.isEmpty { records.append(DecisionLog.Record(txid: txid, decidedAt: 0, body: body)) }
            last = max(last, txid)
        }
        if records.last.map({ $0.txid < last }) ?? true {
            records.append(DecisionLog.Record(txid: last, decidedAt: 0, body: []))
        }
        return records
    }

    deinit {
        close(stateFD)
        close(probeFD)
    }

    // MARK: commit.state

    /// `commit.state`, kept open: `<boot id> idle` or `<boot id> busy`, padded to 64 bytes, then
    /// where the decision log's next record goes (`positionSize` bytes, written with idle).
    private let stateFD: Int32
    /// Another descriptor of `commit.lock`, to test without waiting whether a committer holds it.
    private let probeFD: Int32
    private let idleState: [UInt8]
    private let busyState: [UInt8]
    static let stateSize = 64
    /// "LPOS", the log's end offset and its last transaction id, 8 bytes each.
    static let positionSize = 24
    static let positionMagic: UInt64 = 0x534F_504C
    /// The log's position as this process last wrote or read it under the commit lock; nil
    /// when unknown (an idle state then records none, and the next committer reads the log).
    private var position: DecisionLog.Position?

    static func stateBytes(boot: String, busy: Bool) -> [UInt8] {
        var bytes = Array("\(boot) \(busy ? "busy" : "idle")\n".utf8.prefix(stateSize))
        while bytes.count < stateSize { bytes.append(0x20) }
        return bytes
    }

    /// What `commit.state` says: idle or busy in this boot, or neither (another boot, never
    /// written, torn). One `pread` into a buffer on the stack: it runs before every statement.
    private enum StateReading { case idle, busy, other }

    private func readState() -> StateReading {
        let size = CommitCoordinator.stateSize
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buf -> StateReading in
            guard pread(stateFD, buf.baseAddress, size, 0) == size else { return .other }
            if idleState.withUnsafeBytes({ memcmp($0.baseAddress!, buf.baseAddress!, size) }) == 0 { return .idle }
            if busyState.withUnsafeBytes({ memcmp($0.baseAddress!, buf.baseAddress!, size) }) == 0 { return .busy }
            return .other
        }
    }

    /// Writes the state (tests pass another boot to play a power cut); idle also records the
    /// log's position. No fsync: after a power cut the boot differs anyway (and recovery reads
    /// the log itself), and a kill -9 leaves the page cache as written.
    func writeState(boot: String? = nil, busy: Bool) {
        var bytes = boot.map { CommitCoordinator.stateBytes(boot: $0, busy: busy) } ?? (busy ? busyState : idleState)
        if !busy {
            var words: [UInt64] = [0, 0, 0]
            if let p = position { words = [CommitCoordinator.positionMagic, UInt64(p.end), UInt64(bitPattern: p.lastTxid)] }
            for v in words {
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
        }
        _ = bytes.withUnsafeBytes { pwrite(stateFD, $0.baseAddress, $0.count, 0) }
    }

    /// The log's position recorded with the idle state, or (none recorded yet) read from the
    /// log itself. Only when the state was idle in this boot (and the commit lock is held):
    /// whoever last wrote the log then also wrote this position after it.
    private func currentPosition() throws(EngineError) -> DecisionLog.Position {
        var buf = [UInt8](repeating: 0, count: CommitCoordinator.positionSize)
        let n = buf.withUnsafeMutableBytes { pread(stateFD, $0.baseAddress, CommitCoordinator.positionSize, off_t(CommitCoordinator.stateSize)) }
        func word(_ k: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(buf[8 * k + i]) << (8 * UInt64(i)) }
            return v
        }
        if n == CommitCoordinator.positionSize && word(0) == CommitCoordinator.positionMagic {
            return DecisionLog.Position(end: Int(word(1)), lastTxid: Int64(bitPattern: word(2)))
        }
        return try log.scan().position
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
    /// `stall-<point>` waits a second there first (holding every lock), so that a test can
    /// start another process against the stalled one.
    func crashPoint(_ name: @autoclosure () -> String) {
        guard let fault else { return }
        if fault == name() { kill(getpid(), SIGKILL) }
        if fault.hasPrefix("stall-") && fault.dropFirst(6) == name() {
            sleep(1)
            kill(getpid(), SIGKILL)
        }
    }

    /// True when some decision may be unfinished: a committer died between deciding and
    /// finishing (the state is busy and nobody holds the commit lock), or the state was written
    /// in another boot or never. One `pread` in the common case.
    func hasPendingDecisions() throws(EngineError) -> Bool {
        switch readState() {
        case .idle: return false
        case .busy: return !commitLockHeld()
        case .other: return true
        }
    }

    /// In-doubt transactions, for `rds_aurora.limitless_stat_prepared_xacts`: decisions that a
    /// dead committer (or a power cut) left without some participant's marker: (transaction id,
    /// decided at as ISO 8601, the participants without the marker).
    func pendingDecisions() throws(EngineError) -> [(txid: Int64, decidedAt: String, unfinished: [Int])] {
        guard try hasPendingDecisions() else { return [] }
        return try keptDecisions().compactMap { d in
            let unfinished = d.parts.map(\.id).filter { !hasMarker(txid: d.txid, participant: $0) }
            if unfinished.isEmpty { return nil }
            let at = d.decidedAt
            return (d.txid, Clock.iso8601(seconds: Int(at / 1_000_000), micros: Int(at % 1_000_000)), unfinished)
        }
    }

    /// Every decision the log still keeps (not yet forgotten), oldest first.
    func keptDecisions() throws(EngineError) -> [(txid: Int64, decidedAt: Int64, parts: [(id: Int, redo: [UInt8])])] {
        var kept: [(txid: Int64, decidedAt: Int64, parts: [(id: Int, redo: [UInt8])])] = []
        for r in try log.scan().records where !r.body.isEmpty {
            kept.append((r.txid, r.decidedAt, try CommitCoordinator.decodeParts(r.body)))
        }
        return kept
    }

    // MARK: commits outside the coordinator

    /// What a participant connection's commit hook needs (kept alive by the coordinator).
    final class CommitGuard {
        unowned let coordinator: CommitCoordinator
        let participant: Int
        let handle: OpaquePointer
        weak var capture: RedoCapture?
        let inFlight: () -> Bool
        init(coordinator: CommitCoordinator, participant: Int, handle: OpaquePointer, capture: RedoCapture,
             inFlight: @escaping () -> Bool) {
            self.coordinator = coordinator
            self.handle = handle
            self.participant = participant
            self.capture = capture
            self.inFlight = inFlight
        }
    }
    private var guards: [CommitGuard] = []

    /// A committer that dies after deciding lets go of its participants' write locks before
    /// anyone has recovered; a writer waiting for one of them (a plain write to a standard
    /// table on router.db, a shard write whose check ran while a recoverer held the commit lock)
    /// then gets it and writes over the state recovery has yet to change — and recovery, replaying
    /// later, would write over that (an acknowledged update lost). So every commit of
    /// `participant`'s connection made outside the coordinator first checks, holding the write
    /// lock, that no kept decision still owes this participant its part; one that does turns
    /// the commit into a rollback (the next statement recovers, the client retries).
    func guardCommits(participant: Int, db: Database, capture: RedoCapture, inFlight: @escaping () -> Bool) {
        let g = CommitGuard(coordinator: self, participant: participant, handle: db.handle, capture: capture, inFlight: inFlight)
        guards.append(g)
        sqlite3_commit_hook(db.handle, { ctx in
            guard let ctx else { return 0 }
            let g = Unmanaged<CommitGuard>.fromOpaque(ctx).takeUnretainedValue()
            if g.inFlight() { return 0 }               // the coordinator's own participant commit
            if g.participant == 0 && g.coordinator.shardsJustCommitted {
                // The router's commit drove the shards' (virtual-table xSync), which are
                // committed already: refusing now would report a failure for them.
                g.coordinator.shardsJustCommitted = false
                return 0
            }
            if g.capture?.isEmpty ?? false { return 0 }  // nothing written
            // Only a write to the participant's own database (not TEMP, not rds_aurora's views).
            if sqlite3_txn_state(g.handle, "main") != SQLITE_TXN_WRITE { return 0 }
            if !g.coordinator.owesPart(to: g.participant) { return 0 }
            g.coordinator.refusedCommit = true
            return 1
        }, Unmanaged.passUnretained(g).toOpaque())
    }

    /// Set by the engine when shards committed outside a router commit that may follow at
    /// once (virtual-table xSync); cleared before each statement.
    var shardsJustCommitted = false

    /// Set when a commit hook refused a commit (SQLite reports it as a bare "constraint
    /// failed"); `takeRefusal` tells the commit path, which reports a serialization failure.
    private var refusedCommit = false

    func takeRefusal() -> Bool {
        defer { refusedCommit = false }
        return refusedCommit
    }

    static let refusalMessage = "could not serialize access: a distributed transaction left unfinished by another process must be completed first; retry the transaction"

    /// Whether a kept decision includes `participant` without its marker there. One `pread`
    /// while the state is idle. Called holding the participant's write lock, so no live
    /// committer can be between deciding and committing it: what is owed was left by a dead
    /// one (or by a participant commit that failed and awaits recovery).
    func owesPart(to participant: Int) -> Bool {
        if readState() == .idle { return false }
        // A log or decision that cannot be read counts as owing: the commit is refused.
        guard let kept = try? keptDecisions() else { return true }
        return kept.contains { d in
            d.parts.contains { $0.id == participant } && !hasMarker(txid: d.txid, participant: participant)
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
        if readState() != .idle {
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
        let floor = txid % forgetEvery == 1 ? keptFloor() : nil
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
            // Committed all the same: a participant that could not commit (its disk full, say)
            // is replayed now or, should that fail too, by the next statement of any process
            // (the state stays busy). An error here would tell the client "not committed".
            try? recoverLocked()
            return
        }
        writeState(busy: false)
        crashPoint("after-done")
        // The transaction is committed whatever forgetting does: a failure there leaves the
        // state busy, and the next statement's recovery reads the log again.
        if txid % forgetEvery == 0 { try? forgetDone() }
    }

    /// The oldest transaction id the log still names: markers below it can go.
    func keptFloor() -> Int64? {
        (try? log.scan())?.records.first?.txid
    }

    /// Writes the durable commit decision: the commit point. Returns the transaction id.
    /// `commit.state` says busy first, so a death anywhere after this point sends the next
    /// process into recovery. Called with the commit lock held.
    func decide(_ parts: [(id: Int, redo: RedoPayload)]) throws(EngineError) -> Int64 {
        let idle = readState() == .idle
        writeState(busy: true)
        crashPoint("after-busy")
        position = nil
        let at = idle ? try currentPosition() : try log.scan().position
        let txid = at.lastTxid + 1
        let end = try log.write(DecisionLog.Record(txid: txid, decidedAt: DecisionLog.now(), body: CommitCoordinator.encodeParts(parts)),
                                at: at.end, beforeSync: { crashPoint("decision-before-sync"); return fault == "fail-decision-sync" })
        position = DecisionLog.Position(end: end, lastTxid: txid)
        return txid
    }

    /// Every participant's redo in one body: per participant its id and the length of its
    /// encoded redo (8 bytes little-endian each), then the redo.
    static func encodeParts(_ parts: [(id: Int, redo: RedoPayload)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + 32 + $1.redo.body.count })
        for p in parts {
            let header = p.redo.header
            putWord(&out, p.id)
            putWord(&out, header.count + p.redo.body.count)
            out += header
            out += p.redo.body
        }
        return out
    }

    /// One participant's part as `encodeParts` writes it, from redo already encoded.
    static func encodePart(id: Int, redo: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        putWord(&out, id)
        putWord(&out, redo.count)
        return out + redo
    }

    private static func putWord(_ out: inout [UInt8], _ v: Int) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(v) >> (8 * UInt64(i)))) }
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
        if readState() == .idle { return }  // someone else recovered meanwhile
        let (records, at) = try log.scan()
        // A dead committer may have written its record without syncing it: replayed (with
        // synchronous=FULL) but then lost to a power cut, it would leave markers naming an id
        // that the next decision takes again. The record goes to disk before it is acted on.
        if records.contains(where: { !$0.body.isEmpty }) { try log.sync() }
        var connections: [Int: Database] = [:]
        for r in records where !r.body.isEmpty {
            for (id, bytes) in try CommitCoordinator.decodeParts(r.body) {
                let db: Database
                if let open = connections[id] { db = open } else {
                    db = try recoveryConnection(id)
                    connections[id] = db
                }
                try replay(txid: r.txid, participant: id, db: db, redo: bytes)
            }
        }
        position = at
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
    /// The log starts again at offset 0 with one empty record holding the last id, so ids never
    /// repeat; the state says busy meanwhile, so that a death half-way sends the next process
    /// to read the log rather than trust a position that no longer holds.
    func forgetDone() throws(EngineError) {
        guard let last = position?.lastTxid else { return }
        // Every write-ahead log must be on disk first: one that cannot be listed, opened or
        // synced (out of descriptors, EIO) may hold commits that only the decisions vouch for.
        let names: [String]
        do { names = try Files.list(directory) } catch {
            throw EngineError("could not list \(directory): \(error)", code: "58030")
        }
        for name in names where name.hasSuffix(".db-wal") {
            let path = Files.join(directory, name)
            let fd = open(path, O_RDWR | O_CLOEXEC)
            if fd < 0 && errno == ENOENT { continue }  // checkpointed and removed meanwhile
            let synced = fd >= 0 && fault != "fail-wal-sync" && fsync(fd) == 0
            let error = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            if !synced { throw EngineError("could not sync \(path): \(error)", code: "58030") }
        }
        writeState(busy: true)
        crashPoint("forget-before-record")
        position = nil
        let end = try log.write(DecisionLog.Record(txid: last, decidedAt: DecisionLog.now(), body: []), at: 0, wipeOnFailure: false,
                                beforeSync: { crashPoint("forget-before-sync"); return fault == "fail-forget-sync" })
        crashPoint("forget-after-record")
        position = DecisionLog.Position(end: end, lastTxid: last)
        writeState(busy: false)
    }
}
