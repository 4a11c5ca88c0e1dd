import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// How a session commits: one place alone, or several through the commit coordinator
/// (two-phase commit with durable redo; see CommitCoordinator and docs/ARCHITECTURE.md).
extension ClusterEngine {
    /// The redo capture of participant `id` (0 = router, n = shard n), created on first use.
    func capture(_ id: Int, _ db: Database) -> RedoCapture {
        if let c = captures[id] { return c }
        let c = RedoCapture(db: db)
        c.attach()
        db.capture = c
        captures[id] = c
        return c
    }

    /// Called right after `BEGIN IMMEDIATE` on a shard: makes sure no decided transaction is
    /// still unfinished there (its committer died), and starts capturing redo.
    func shardTransactionStarted(_ n: Int, _ db: Database) throws(EngineError) {
        if try coordinator.hasPendingDecisions() {
            // A committer died after deciding. Recovery must write this shard: give the lock
            // back and recover. The running statement may already have read this shard's rows
            // as they were before recovery, so it cannot go on: it fails with a serialization
            // error and the client retries (recovery is done by then).
            try db.exec("ROLLBACK")
            try recoverHoldingNothing()
            throw EngineError("could not serialize access: a distributed transaction left unfinished by another process was completed first; retry the transaction",
                              code: "40001")
        }
        capture(n, db).reset()
    }

    /// Before a statement reads anything: finish what a dead committer left decided, so the
    /// statement sees it (and `shardTransactionStarted` rarely has to refuse).
    func recoverBeforeStatement() throws(EngineError) {
        guard shardsInTransaction.isEmpty, try coordinator.hasPendingDecisions() else { return }
        try coordinator.recover()
    }

    /// Runs recovery, which needs the write locks of the dead transaction's participants. A
    /// session that holds shard locks itself could wait on them forever: it fails with a
    /// serialization error instead, and the client retries (as PostgreSQL clients do on 40001).
    func recoverHoldingNothing() throws(EngineError) {
        if !shardsInTransaction.isEmpty {
            throw EngineError("could not serialize access: a distributed transaction that another process left unfinished must be completed first; retry the transaction",
                              code: "40001")
        }
        try coordinator.recover()
    }

    /// Takes shard `n`'s write lock for a session that may already hold others. Waiting while
    /// holding locks is how distributed deadlocks form: such a wait is bounded, and running out
    /// of it aborts the transaction with PostgreSQL's deadlock error.
    func beginImmediate(_ n: Int, _ db: Database) throws(EngineError) {
        if shardsInTransaction.isEmpty && !router.inTransaction {
            try db.control("BEGIN IMMEDIATE")
            return
        }
        limitless_sqlite3_busy_timeout(db.handle, ClusterEngine.deadlockTimeoutMilliseconds)
        defer { limitless_sqlite3_busy_timeout(db.handle, Database.busyTimeoutMilliseconds) }
        do { try db.control("BEGIN IMMEDIATE") } catch {
            if error.code == "55P03" {
                throw EngineError("aborting transaction participating in a distributed deadlock", code: "40P01")
            }
            throw error
        }
    }

    static let deadlockTimeoutMilliseconds: Int32 = 2_000

    /// The participants with changes: the router (when asked and it wrote) and the shards.
    private func participants(includeRouter: Bool) -> [(id: Int, db: Database, redo: RedoPayload)] {
        var parts: [(id: Int, db: Database, redo: RedoPayload)] = []
        if includeRouter, router.inTransaction, let c = captures[0], !c.isEmpty {
            parts.append((id: 0, db: router, redo: c.payload))
        }
        for n in shardsInTransaction {
            guard let db = shardConnections[n], db.inTransaction else { continue }
            if let c = captures[n], !c.isEmpty { parts.append((id: n, db: db, redo: c.payload)) }
        }
        return parts
    }

    /// Commits the shards' open transactions (not the router's) all or none. Used when the
    /// router's own commit drives the shards (virtual-table xSync) and by writes that went to
    /// shards directly.
    func commitShardTransactions() throws(EngineError) {
        if twoPhaseInFlight { return }
        defer { endShardTransactions() }
        let parts = participants(includeRouter: false)
        do throws(EngineError) {
            for p in parts { try checkFault(shard: p.id, operation: "commit") }
        } catch {
            rollbackShardTransactions()
            throw error
        }
        if parts.count >= 2 {
            twoPhaseInFlight = true
            defer { twoPhaseInFlight = false }
            do { try coordinator.commit(parts) } catch {
                // Shards without changes still hold their write locks: let them go too.
                rollbackShardTransactions()
                throw error
            }
        }
        // One shard with changes commits alone, then makes its WAL durable; unchanged ones
        // just release their locks.
        for n in shardsInTransaction {
            guard let db = shardConnections[n], db.inTransaction else { continue }
            do { try db.control("COMMIT") } catch {
                rollbackShardTransactions()
                throw error
            }
            if parts.count == 1 && parts[0].id == n { syncShard(n) }
        }
    }

    /// fsyncs shard `n`'s write-ahead log: what `synchronous=FULL` would have done at commit.
    func syncShard(_ n: Int) {
        let path = Files.join(directory, ShardGroupStorage.shardFileName(n)) + "-wal"
        let fd = open(path, O_RDWR | O_CLOEXEC)
        if fd >= 0 { fsync(fd); Glibc.close(fd) }
    }

    /// Commits the router's and the shards' open transactions as one transaction.
    func commitAll() throws(EngineError) {
        let parts = participants(includeRouter: true)
        if parts.count >= 2 && parts.contains(where: { $0.id == 0 }) {
            twoPhaseInFlight = true
            defer { twoPhaseInFlight = false; endShardTransactions() }
            do { try coordinator.commit(parts) } catch {
                rollbackShardTransactions()
                throw error
            }
            for n in shardsInTransaction { if let db = shardConnections[n], db.inTransaction { try? db.control("COMMIT") } }
            if router.inTransaction { try router.control("COMMIT") }
            return
        }
        // The router has no changes of its own (or is the only one with changes): the shards
        // commit first (atomically among themselves), then the router.
        try commitShardTransactions()
        if router.inTransaction { try router.control("COMMIT") }
    }

    private func endShardTransactions() {
        releaseRowidLock()
        shardsInTransaction.removeAll()
        openSavepoints.removeAll()
        captureMarks.removeAll()
        routerSavepoints.removeAll()
    }

    // MARK: savepoints

    /// Remembers how much redo each participant had at savepoint `level`.
    func markCaptures(_ level: Int) {
        captureMarks[level] = captures.mapValues { $0.count }
    }

    /// Forgets the redo made after savepoint `level` (ROLLBACK TO).
    func rewindCaptures(_ level: Int) {
        let marks = captureMarks[level] ?? [:]
        for (id, c) in captures where id != 0 { c.truncate(to: marks[id] ?? 0) }
    }

    /// Router savepoints by name (SAVEPOINT / RELEASE / ROLLBACK TO run on the router), so its
    /// redo forgets what ROLLBACK TO undid.
    func routerSavepointStatement(_ toks: [Token]) {
        let words = toks.filter { $0.isName }.map { $0.text.uppercased() }
        guard let first = words.first, let name = words.last else { return }
        let count = captures[0]?.count ?? 0
        switch first {
        case "SAVEPOINT":
            routerSavepoints.append((name, count))
        case "RELEASE":
            if let i = routerSavepoints.lastIndex(where: { $0.0 == name }) { routerSavepoints.removeSubrange(i...) }
        case "ROLLBACK":
            if let i = routerSavepoints.lastIndex(where: { $0.0 == name }) {
                captures[0]?.truncate(to: routerSavepoints[i].1)
                routerSavepoints.removeSubrange((i + 1)...)
            }
        default: break
        }
    }

    // MARK: reads

    /// Fixes a read snapshot on every shard not already in this session's write transaction,
    /// at one instant with respect to distributed commits: the commit lock is held shared while
    /// the snapshots are taken, so no commit is half-applied across them. Returns the shards
    /// whose read transactions `endReadSnapshot` must close.
    func beginReadSnapshot() throws(EngineError) -> [Int] {
        while true {
            let lock: FileLock
            do { lock = try FileLock(path: coordinator.lockPath, exclusive: false) } catch {
                throw EngineError("could not take the commit lock: \(error)", code: "58030")
            }
            if try coordinator.hasPendingDecisions() {
                lock.unlock()
                try recoverHoldingNothing()
                continue
            }
            defer { lock.unlock() }
            var opened: [Int] = []
            do throws(EngineError) {
                for n in 1...catalog.shardCount where !shardsInTransaction.contains(n) {
                    let db = try shard(n)
                    if db.inTransaction { continue }
                    try db.control("BEGIN")
                    opened.append(n)
                    _ = try db.query("SELECT 1 FROM sqlite_schema LIMIT 1")
                }
            } catch {
                endReadSnapshot(opened)
                throw error
            }
            return opened
        }
    }

    func endReadSnapshot(_ shards: [Int]) {
        for n in shards {
            if let db = shardConnections[n], db.inTransaction, !shardsInTransaction.contains(n) { try? db.control("COMMIT") }
        }
    }

    /// The isolation level a BEGIN / START TRANSACTION asks for (or the session default):
    /// READ COMMITTED (also for READ UNCOMMITTED, as PostgreSQL) or REPEATABLE READ. Aurora
    /// Limitless does not offer SERIALIZABLE.
    func isolationLevel(_ toks: [Token]) throws(EngineError) -> String {
        var level = (settings.value("default_transaction_isolation") ?? "read committed").lowercased()
        if let i = toks.firstIndex(where: { $0.isWord("ISOLATION") }), i + 2 < toks.count, toks[i + 1].isWord("LEVEL") {
            let words = toks[(i + 2)...].prefix(2).filter { $0.kind == .word }.map { $0.text.lowercased() }
            level = words.first == "serializable" ? "serializable" : words.prefix(2).joined(separator: " ")
        }
        switch level {
        case "serializable":
            throw EngineError("SERIALIZABLE isolation level is not supported in Aurora PostgreSQL Limitless Database; use REPEATABLE READ or READ COMMITTED",
                              code: "0A000")
        case "repeatable read": return level
        case "read committed", "read uncommitted": return "read committed"
        default:
            throw EngineError("invalid value for parameter \"transaction_isolation\": \"\(level)\"", code: "22023")
        }
    }

    /// REPEATABLE READ: fixes the transaction's snapshot on every shard, once.
    func takeTransactionSnapshot() throws(EngineError) {
        if transactionSnapshot != nil || catalog.tables.isEmpty { return }
        transactionSnapshot = try beginReadSnapshot()
    }

    func endTransactionSnapshot() {
        if let shards = transactionSnapshot { endReadSnapshot(shards) }
        transactionSnapshot = nil
        repeatableRead = false
    }

    /// `rds_aurora.limitless_stat_prepared_xacts`: transactions decided but not yet finished
    /// on every participant (filled afresh for each statement that names rds_aurora).
    func refreshPreparedTransactions() throws(EngineError) {
        try router.exec("""
            DROP TABLE IF EXISTS rds_aurora.limitless_stat_prepared_xacts;
            CREATE TABLE rds_aurora.limitless_stat_prepared_xacts(transaction_id INTEGER, gid TEXT,
                prepared TEXT, participants TEXT);
            """)
        for (txid, at, parts) in try coordinator.pendingDecisions() {
            try router.run("INSERT INTO rds_aurora.limitless_stat_prepared_xacts VALUES (?, ?, ?, ?)",
                           [.integer(txid), .text("limitless_\(txid)"), .text(at),
                            .text(parts.map { $0 == 0 ? "router" : "shard-\($0)" }.joined(separator: ","))])
        }
    }
}

extension Database {
    /// BEGIN / COMMIT and friends, prepared once per connection: `exec` would parse the text
    /// (and scan it for schema statements) on every transaction.
    func control(_ sql: String) throws(EngineError) {
        try runPrepared(sql, [])
    }
}
