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
        coordinator.guardCommits(participant: id, db: db, capture: c, inFlight: { [unowned self] in self.twoPhaseInFlight })
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
        coordinator.shardsJustCommitted = false
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

    /// The participants with changes: the shards, then the router (when asked and it wrote).
    /// The router finishes last: its COMMIT lets go of router.db's write lock, which every other
    /// writer waits for at its first write; were it let go before a shard's COMMIT, the next
    /// writer could read that shard's rows as they were, then write over the commit (a lost update).
    private func participants(includeRouter: Bool) -> [(id: Int, db: Database, redo: RedoPayload)] {
        var parts: [(id: Int, db: Database, redo: RedoPayload)] = []
        for n in shardsInTransaction {
            guard let db = shardConnections[n], db.inTransaction else { continue }
            if let c = captures[n], !c.isEmpty { parts.append((id: n, db: db, redo: c.payload)) }
        }
        if includeRouter, router.inTransaction, let c = captures[0], !c.isEmpty {
            parts.append((id: 0, db: router, redo: c.payload))
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
        coordinator.shardsJustCommitted = false
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
            do { try commitGuarded(db) } catch {
                rollbackShardTransactions()
                throw error
            }
            if parts.count == 1 && parts[0].id == n { db.syncWAL() }
        }
        // When the router's own commit drives this (xSync), its commit hook runs next: the
        // shards are committed, so it must not refuse.
        coordinator.shardsJustCommitted = !parts.isEmpty
    }

    /// Commits the router's and the shards' open transactions as one transaction.
    func commitAll() throws(EngineError) {
        let parts = participants(includeRouter: true)
        if parts.count >= 2 && parts.contains(where: { $0.id == 0 }) {
            twoPhaseInFlight = true
            defer { twoPhaseInFlight = false; endShardTransactions() }
            do throws(EngineError) {
                for p in parts where p.id != 0 { try checkFault(shard: p.id, operation: "commit") }
                try coordinator.commit(parts)
            } catch {
                rollbackShardTransactions()
                throw error
            }
            for n in shardsInTransaction { if let db = shardConnections[n], db.inTransaction { try? db.control("COMMIT") } }
            if router.inTransaction { try commitGuarded(router) }
            return
        }
        // The router has no changes of its own (or is the only one with changes): the shards
        // commit first (atomically among themselves), then the router.
        try commitShardTransactions()
        if router.inTransaction { try commitGuarded(router) }
    }

    /// COMMIT on one connection outside the coordinator. Its commit hook refuses while a dead
    /// committer's decision still owes the participant its part (`guardCommits`): that is a
    /// serialization failure, which the client retries (the next statement recovers first).
    private func commitGuarded(_ db: Database) throws(EngineError) {
        _ = coordinator.takeRefusal()  // one an autocommit statement's hook left behind
        do { try db.control("COMMIT") } catch {
            if coordinator.takeRefusal() {
                if db.inTransaction { try? db.exec("ROLLBACK") }
                throw EngineError(CommitCoordinator.refusalMessage, code: "40001")
            }
            throw error
        }
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
                // The router's standard tables belong to the same instant: a router transaction
                // that has not read yet fixes its snapshot now, under the lock.
                // (A router transaction that has only read, for instance the catalog's hash
                // ranges while the statement was planned, starts again first.)
                if router.inTransaction {
                    try restartIdleRouterTransaction()
                    if sqlite3_txn_state(router.handle, "main") == SQLITE_TXN_NONE {
                        _ = try router.query("SELECT 1 FROM sqlite_schema LIMIT 1")
                    }
                }
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

    /// READ COMMITTED inside a block: a router transaction that has only read keeps the
    /// snapshot of its first read, which would make standard tables repeatable-read while the
    /// shards move on. Before each statement such a transaction starts again (it holds nothing
    /// to keep: no write on any schema, no savepoint, no shard); the statement's read snapshot
    /// then fixes the router's together with the shards'.
    func refreshRouterSnapshot() throws(EngineError) {
        guard explicitTransaction, !repeatableRead else { return }
        try restartIdleRouterTransaction()
    }

    /// Ends and begins again a router transaction that has only read (no write on any schema,
    /// no savepoint, no shard joined): its snapshot is then taken afresh at its next read.
    func restartIdleRouterTransaction() throws(EngineError) {
        guard router.inTransaction, sqlite3_txn_state(router.handle, nil) == SQLITE_TXN_READ,
              routerSavepoints.isEmpty, openSavepoints.isEmpty, shardsInTransaction.isEmpty else { return }
        try router.control("COMMIT")
        try router.control("BEGIN")
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
        return try normalizedIsolation(level)
    }

    /// An isolation level's name, checked: SERIALIZABLE is refused (Aurora Limitless offers
    /// READ COMMITTED and REPEATABLE READ); READ UNCOMMITTED is READ COMMITTED, as in PostgreSQL.
    func normalizedIsolation(_ name: String) throws(EngineError) -> String {
        // Every BEGIN asks: the usual spellings answer without re-splitting the words.
        if name == "read committed" || name == "repeatable read" { return name }
        let level = name.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
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

    /// `rds_aurora.limitless_stat_prepared_xacts`, with Aurora's columns: one row per node
    /// (router or shard subcluster) that a decided transaction has not finished on yet, i.e.
    /// whose marker is missing (filled afresh for each statement that names rds_aurora). The
    /// engine knows no role name, so `owner_id` is NULL.
    func refreshPreparedTransactions() throws(EngineError) {
        try router.exec("""
            DROP TABLE IF EXISTS rds_aurora.limitless_stat_prepared_xacts;
            CREATE TABLE rds_aurora.limitless_stat_prepared_xacts(subcluster_id INTEGER, subcluster_type TEXT,
                transaction_id INTEGER, gid TEXT, prepared TEXT, owner_id TEXT, database_id TEXT);
            """)
        let routers = Int64(max(catalog.routerCount, 1))
        for (txid, at, unfinished) in try coordinator.pendingDecisions() {
            for p in unfinished {
                try router.run("INSERT INTO rds_aurora.limitless_stat_prepared_xacts VALUES (?, ?, ?, ?, ?, NULL, 'postgres_limitless')",
                               [.integer(p == 0 ? 1 : routers + Int64(p)), .text(p == 0 ? "router" : "shard"),
                                .integer(txid), .text("limitless_\(txid)"), .text(ClusterEngine.postgresTimestamp(at))])
            }
        }
    }

    /// `2024-09-03T15:51:17.659603Z` as PostgreSQL prints a timestamptz in UTC:
    /// `2024-09-03 15:51:17.659603+00`.
    static func postgresTimestamp(_ iso: String) -> String {
        guard iso.hasSuffix("Z") else { return iso }
        return String(iso.dropLast().map { $0 == "T" ? " " : $0 }) + "+00"
    }
}

extension Database {
    /// BEGIN / COMMIT and friends, prepared once per connection: `exec` would parse the text
    /// (and scan it for schema statements) on every transaction.
    func control(_ sql: String) throws(EngineError) {
        try runPrepared(sql, [])
    }
}
