import Testing
import Dispatch
import Synchronization
@testable import LimitlessEngine
import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

/// `decisions.log` and the coordinator around it, attacked in-process: crashes are played by
/// stopping half-way through what a committer does (the state left busy, a record written or
/// not), other processes by other `CommitCoordinator`s on the same folder (each has its own
/// descriptors, so the flock-based commit lock separates them as it separates processes).
@Suite struct DecisionLogTests {
    /// A shard group folder with `shards` shards, each with `t (k INTEGER PRIMARY KEY, v)`.
    static func group(shards: Int) throws -> (dir: String, dbs: [Database]) {
        let dir = CommitCoordinatorTests.tempDir()
        try ShardGroupStorage.create(directory: dir, shardCount: shards, routerCount: 1)
        let dbs = try (1...shards).map { n in try Database(path: Files.join(dir, ShardGroupStorage.shardFileName(n))) }
        for db in dbs { try db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v)") }
        return (dir, dbs)
    }

    /// A coordinator over `dir` that has run its recovery (the state every test starts from).
    static func recovered(_ dir: String) throws -> CommitCoordinator {
        let c = try CommitCoordinator(directory: dir)
        try c.recover()
        return c
    }

    /// One transaction over every shard in `dbs`: inserts row `k` (value `v`) on each, committed
    /// through `coordinator`.
    static func commitRow(_ coordinator: CommitCoordinator, _ dbs: [Database], k: Int64, v: SQLValue = .text("x")) throws {
        var parts: [(id: Int, db: Database, redo: RedoPayload)] = []
        for (i, db) in dbs.enumerated() {
            try db.exec("BEGIN IMMEDIATE")
            let c = RedoCapture(db: db)
            c.attach()
            try db.run("INSERT INTO t VALUES (?, ?)", [.integer(k), v])
            c.detach()
            parts.append((id: i + 1, db: db, redo: c.payload))
        }
        try coordinator.commit(parts)
    }

    static func insert(_ k: Int64, _ v: SQLValue = .text("x")) -> RedoPayload {
        RedoPayload([.insert(table: "t", rowid: k, values: [.integer(k), v])])
    }

    static func keys(_ db: Database) throws -> [Int64] {
        try db.query("SELECT k FROM t ORDER BY k").compactMap { if case let .integer(k) = $0[0] { return k } else { return nil } }
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : -1
    }

    static func logPath(_ dir: String) -> String { Files.join(dir, "decisions.log") }

    /// A record bigger than the preallocated 64 KiB grows the file; after a forget the log
    /// starts again at 0 and small records follow. The big record's bytes still in the file
    /// (past the new end) must never be read back as decisions, and ids keep rising.
    @Test func aBigRecordThenAForgetThenSmallRecords() throws {
        let (dir, dbs) = try Self.group(shards: 1)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        let big = SQLValue.blob([UInt8](repeating: 0xA5, count: 200_000))
        try Self.commitRow(c, dbs, k: 1, v: big)
        #expect(Self.fileSize(Self.logPath(dir)) > DecisionLog.preallocated)
        try c.forgetDone()
        #expect(try c.keptDecisions().isEmpty)
        for k in Int64(2)...4 { try Self.commitRow(c, dbs, k: k) }
        // Another process reads the log from scratch: three small decisions, newest ids.
        let other = try CommitCoordinator(directory: dir)
        let kept = try other.keptDecisions()
        #expect(kept.map(\.txid) == [2, 3, 4])
        let scan = try other.log.scan()
        #expect(scan.records.map(\.txid) == [1, 2, 3, 4])
        #expect(scan.records[0].body.isEmpty)
        // A power cut makes every kept decision be checked again: nothing is replayed twice.
        other.writeState(boot: "an-earlier-boot", busy: false)
        try CommitCoordinator(directory: dir).recover()
        #expect(try Self.keys(dbs[0]) == [1, 2, 3, 4])
        #expect(try other.decide([(id: 1, redo: RedoPayload([]))]) == 5)
    }

    /// A torn record (the process died while writing it) ends the log; the next committer
    /// writes its own record over it, with the same id (nobody ever saw the torn one commit),
    /// and later appends follow it.
    @Test func aTornRecordIsWrittenOverAndLaterAppendsFollow() throws {
        let (dir, dbs) = try Self.group(shards: 1)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        try Self.commitRow(c, dbs, k: 1)
        // A second decision whose last bytes never reached the file: the state stays busy.
        let before = try c.log.scan().position
        let torn = DecisionLog.encode(DecisionLog.Record(txid: before.lastTxid + 1, decidedAt: 0,
                                                         body: CommitCoordinator.encodeParts([(id: 1, redo: Self.insert(99))])))
        c.writeState(busy: true)
        let fd = open(Self.logPath(dir), O_RDWR)
        _ = torn.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count - 5, off_t(before.end)) }
        close(fd)
        let next = try CommitCoordinator(directory: dir)
        #expect(try next.hasPendingDecisions())
        #expect(try next.pendingDecisions().isEmpty)
        try next.recover()
        #expect(try Self.keys(dbs[0]) == [1])
        try Self.commitRow(next, dbs, k: 2)
        try Self.commitRow(next, dbs, k: 3)
        let scan = try CommitCoordinator(directory: dir).log.scan()
        #expect(scan.records.map(\.txid) == [before.lastTxid, before.lastTxid + 1, before.lastTxid + 2])
        #expect(scan.records[1].body != torn[DecisionLog.headerSize..<(torn.count - DecisionLog.checksumSize)].map { $0 })
        #expect(try Self.keys(dbs[0]) == [1, 2, 3])
    }

    /// `commit.state`'s position is trusted only when the state says idle in this boot. A
    /// position written in another boot, or next to a busy state, is read from the log instead.
    @Test func aPositionFromAnotherBootOrABusyStateIsNotTrusted() throws {
        let (dir, dbs) = try Self.group(shards: 1)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        for k in Int64(1)...3 { try Self.commitRow(c, dbs, k: k) }
        let good = try c.log.scan().position
        // A stale position (the log's start, id 0) under an idle state of another boot.
        func writeRawState(boot: String, busy: Bool) {
            var bytes = CommitCoordinator.stateBytes(boot: boot, busy: busy)
            for v in [CommitCoordinator.positionMagic, 0, 0] as [UInt64] {
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
            let fd = open(Files.join(dir, "commit.state"), O_RDWR)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
        }
        writeRawState(boot: "an-earlier-boot", busy: false)
        let d = try Self.recovered(dir)
        try Self.commitRow(d, dbs, k: 4)
        writeRawState(boot: d.bootID, busy: true)
        let e = try Self.recovered(dir)
        try Self.commitRow(e, dbs, k: 5)
        let scan = try CommitCoordinator(directory: dir).log.scan()
        #expect(scan.records.map(\.txid) == Array((good.lastTxid - 2)...(good.lastTxid + 2)))
        #expect(try Self.keys(dbs[0]) == [1, 2, 3, 4, 5])
    }

    /// Two processes committing in turn: each appends after the other's record (never over
    /// it), across a forget, and ids never repeat.
    @Test func twoCommittersInTurnAppendAfterEachOther() throws {
        let (dir, dbs) = try Self.group(shards: 2)
        defer { try? Files.removeTree(dir) }
        let a = try CommitCoordinator(directory: dir)
        let b = try CommitCoordinator(directory: dir)
        try a.recover()
        let rounds = Int64(CommitCoordinator.forgetBatch + 10)
        for k in 1...rounds { try Self.commitRow(k % 2 == 0 ? a : b, dbs, k: k) }
        for db in dbs { #expect(try Self.keys(db) == Array(1...rounds)) }
        let scan = try CommitCoordinator(directory: dir).log.scan()
        // Forgotten at id 64: the log holds its place, then 65…74.
        #expect(scan.records.map(\.txid) == Array(Int64(CommitCoordinator.forgetBatch)...rounds))
        // Every kept decision is found done after a power cut (markers are there): no replay.
        a.writeState(boot: "an-earlier-boot", busy: false)
        #expect(try b.pendingDecisions().isEmpty)
        try b.recover()
        for db in dbs { #expect(try Self.keys(db) == Array(1...rounds)) }
    }

    /// Death inside forgetDone, before or after the record at offset 0 was written: the state
    /// is busy, recovery finds nothing to replay, and the next id follows the newest one.
    @Test(arguments: [false, true])
    func deathInsideForget(recordWritten: Bool) throws {
        let (dir, dbs) = try Self.group(shards: 2)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        for k in Int64(1)...5 { try Self.commitRow(c, dbs, k: k) }
        let last = try c.log.scan().position.lastTxid
        c.writeState(busy: true)
        if recordWritten {
            _ = try c.log.write(DecisionLog.Record(txid: last, decidedAt: 0, body: []), at: 0)
        }
        let next = try CommitCoordinator(directory: dir)
        #expect(try next.hasPendingDecisions())
        #expect(try next.pendingDecisions().isEmpty)
        try next.recover()
        for db in dbs { #expect(try Self.keys(db) == [1, 2, 3, 4, 5]) }
        try Self.commitRow(next, dbs, k: 6)
        #expect(try next.keptDecisions().last?.txid == last + 1)
        #expect(try next.keptDecisions().count == (recordWritten ? 1 : 6))
    }

    /// Several processes opening a group that an earlier version left with `coordinator.db` at
    /// once: one migrates, the others use its log; the old decision is kept exactly once and
    /// recovered once, and new ids follow the old ones.
    @Test func migrationRacingWithOtherOpens() throws {
        let (dir, dbs) = try Self.group(shards: 1)
        defer { try? Files.removeTree(dir) }
        do {
        let old = try Database(path: Files.join(dir, "coordinator.db"), create: true)
        try old.exec("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE limitless_commit_decision (txid INTEGER PRIMARY KEY, decided_at TEXT NOT NULL,
                participants TEXT NOT NULL, redo BLOB NOT NULL);
            INSERT INTO limitless_commit_decision VALUES (30, 'then', '', x'');
            """)
        try old.run("INSERT INTO limitless_commit_decision VALUES (31, 'then', '1', ?)",
                    [.blob(CommitCoordinator.encodeParts([(id: 1, redo: Self.insert(7))]))])
        }
        // Each "process" opens the group, reads the kept decisions and recovers, all at once.
        let seen = Mutex<[[Int64]]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let c = try CommitCoordinator(directory: dir)
                let kept = try c.keptDecisions().map(\.txid)
                seen.withLock { $0.append(kept) }
                try c.recover()
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(seen.withLock { $0 } == Array(repeating: [31], count: 6))
        #expect(access(Files.join(dir, "coordinator.db"), F_OK) != 0)
        let cs = try (0..<3).map { _ in try CommitCoordinator(directory: dir) }
        #expect(try Self.keys(dbs[0]) == [7])
        #expect(try dbs[0].query("SELECT txid FROM limitless_applied") == [[.integer(31)]])
        try Self.commitRow(cs[0], dbs, k: 8)
        try Self.commitRow(cs[1], dbs, k: 9)
        #expect(try cs[2].keptDecisions().map(\.txid) == [31, 32, 33])
    }

    /// A failed write of a decision never counts: `write` throws, and what a short write left
    /// behind (its magic wiped) is not read back as a decision; the next one takes its place.
    @Test func aFailedWriteThrowsAndIsNeverReadBack() throws {
        // /dev/full fails every write with ENOSPC.
        let full = try DecisionLog(path: "/dev/full")
        #expect(throws: EngineError.self) { _ = try full.write(DecisionLog.Record(txid: 1, decidedAt: 0, body: [1]), at: 0) }

        let (dir, _) = try Self.group(shards: 1)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        let first = try c.decide([(id: 1, redo: Self.insert(1))])
        c.writeState(busy: false)
        let at = try c.log.scan().position.end
        var record = DecisionLog.encode(DecisionLog.Record(txid: first + 1, decidedAt: 0,
                                                           body: CommitCoordinator.encodeParts([(id: 1, redo: Self.insert(2))])))
        for i in 0..<4 { record[i] = 0 }
        let fd = open(Self.logPath(dir), O_RDWR)
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(at)) }
        close(fd)
        #expect(try c.log.scan().records.map(\.txid) == [first])
        #expect(try c.decide([(id: 1, redo: Self.insert(3))]) == first + 1)
    }

    /// A forget whose write fails (a sync reporting EIO) must leave the log's newest id in
    /// place: the record at offset 0 — old or new — holds it. Wiping it would empty the log,
    /// and ids would start again at 1 while participants still carry markers naming them.
    @Test func aFailedForgetKeepsTheNewestID() throws {
        let (dir, dbs) = try Self.group(shards: 2)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        for k in Int64(1)...5 { try Self.commitRow(c, dbs, k: k) }
        let last = try c.log.scan().position.lastTxid
        c.fault = "fail-forget-sync"
        #expect(throws: EngineError.self) { try c.forgetDone() }
        let next = try CommitCoordinator(directory: dir)
        #expect(try next.hasPendingDecisions())
        try next.recover()
        try Self.commitRow(next, dbs, k: 6)
        #expect(try next.keptDecisions().last?.txid == last + 1)
        for db in dbs { #expect(try Self.keys(db) == [1, 2, 3, 4, 5, 6]) }
    }

    /// Decisions are forgotten only once every participant's write-ahead log is on disk: a WAL
    /// that cannot be synced (EIO, no descriptor left) keeps them, since they may be all that
    /// holds a commit made with synchronous=NORMAL.
    @Test func aWALThatCannotBeSyncedKeepsTheDecisions() throws {
        let (dir, dbs) = try Self.group(shards: 2)
        defer { try? Files.removeTree(dir) }
        let c = try Self.recovered(dir)
        for k in Int64(1)...3 { try Self.commitRow(c, dbs, k: k) }
        let kept = try c.keptDecisions().map(\.txid)
        #expect(kept.count == 3)
        c.fault = "fail-wal-sync"
        #expect(throws: EngineError.self) { try c.forgetDone() }
        #expect(try CommitCoordinator(directory: dir).keptDecisions().map(\.txid) == kept)
        c.fault = nil
        try c.recover()
        try c.forgetDone()
        #expect(try c.keptDecisions().isEmpty)
    }

    /// A log made afresh beside an old `commit.state` (the log deleted or restored from
    /// another time) must not be written at the old state's position, past its own end, nor
    /// hand out ids the state says were used.
    @Test func aNewLogIgnoresTheOldStatesPosition() throws {
        let (dir, dbs) = try Self.group(shards: 2)
        defer { try? Files.removeTree(dir) }
        do {
            let c = try CommitCoordinator(directory: dir)
            try c.recover()
            for k in Int64(1)...5 { try Self.commitRow(c, dbs, k: k) }
        }
        unlink(Self.logPath(dir))
        let c = try Self.recovered(dir)
        try Self.commitRow(c, dbs, k: 9)
        // Written where a scan finds it, with an id the participants' markers have not seen.
        #expect(try CommitCoordinator(directory: dir).keptDecisions().map(\.txid) == [6])
        for db in dbs { #expect(try Self.keys(db) == [1, 2, 3, 4, 5, 9]) }
    }

    /// A header torn by a power cut (its sectors half old, half new) can pass the magic and id
    /// checks and claim a body of almost 4 GiB: the scan ends there without making room for it.
    @Test func aTornHeaderClaimingAHugeBodyEndsTheLogCheaply() throws {
        let dir = CommitCoordinatorTests.tempDir()
        defer { try? Files.removeTree(dir) }
        let path = Self.logPath(dir)
        let good = DecisionLog.Record(txid: 3, decidedAt: 0, body: [1, 2, 3])
        try DecisionLog.create(path: path, records: [good])
        var header = DecisionLog.encode(DecisionLog.Record(txid: 4, decidedAt: 0, body: []))
        for (i, b) in [0x00, 0xFF, 0xFF, 0xFF].enumerated() { header[4 + i] = UInt8(b) }  // n = 0xFFFFFF00
        let fd = open(path, O_RDWR)
        _ = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, DecisionLog.headerSize, off_t(DecisionLog.encode(good).count)) }
        close(fd)
        var before = rusage(), after = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        let scan = try DecisionLog(path: path).scan()
        getrusage(RUSAGE_SELF.rawValue, &after)
        #expect(scan.records == [good])
        #expect(after.ru_maxrss - before.ru_maxrss < 512 * 1024, "grew by \(after.ru_maxrss - before.ru_maxrss) KiB")
    }
}
