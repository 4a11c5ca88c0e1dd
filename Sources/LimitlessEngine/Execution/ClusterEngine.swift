import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import SQLSyntax

/// What one statement gave.
public enum StatementResult: Equatable, Sendable {
    /// A statement that returns rows (SELECT, VALUES, RETURNING, SHOW, EXPLAIN, PRAGMA).
    case rows(command: String, columns: [String], rows: [[SQLValue]])
    /// Any other statement: PostgreSQL's command tag, and the row count for INSERT/UPDATE/DELETE.
    case command(tag: String, rowsAffected: Int?)
}

/// One session on a shard group: the router connection (router.db, with every distributed
/// table as a `limitless_table` virtual table), the shard connections (opened on first use),
/// the session settings and the transaction state.
public final class ClusterEngine {
    public let directory: String
    let router: Database
    let catalog = Catalog()
    var settings = SessionSettings()
    var shardConnections: [Int: Database] = [:]
    /// Shards with an open write transaction, in the order they joined.
    var shardsInTransaction: [Int] = []
    var openSavepoints: [Int] = []
    /// Two-phase commit: the coordinator, each participant's redo capture (0 = router),
    /// redo counts at each savepoint level, router savepoints by name.
    var coordinator: CommitCoordinator!
    var captures: [Int: RedoCapture] = [:]
    var captureMarks: [Int: [Int: Int]] = [:]
    var routerSavepoints: [(String, Int)] = []
    var twoPhaseInFlight = false
    /// REPEATABLE READ: one snapshot for the whole transaction, taken at its first statement.
    var repeatableRead = false
    var transactionSnapshot: [Int]? = nil
    /// Set once a block ran a statement other than SET / SHOW / RESET: from then on its
    /// isolation level can no longer change (PostgreSQL's rule for SET TRANSACTION).
    var blockRanQuery = false
    /// BEGIN READ ONLY / SET TRANSACTION READ ONLY: the block refuses writes (25006).
    var blockReadOnly = false
    var statementCache: [String: Statement] = [:]
    /// Tier-1 SELECT templates (SingleShard.swift), by template text.
    var pointPlans: [String: PointSelectPlan] = [:]
    /// Direct DELETE / UPDATE templates (BulkInsert.swift), by template text.
    var directPlans: [String: DirectWritePlan] = [:]
    var scanPool: [String: [Statement]] = [:]
    let fault: String?
    var catalogViewsStale = true
    var rowCountAfterConvert = 0
    var rowidCounters: [Int64: Int64] = [:]
    var rowCounts: [Int64: Int64] = [:]
    var rowidLock: FileLock?
    /// The columns the running UPDATE assigns, for its target table (gid).
    var updateAssignments: (Int64, Set<String>)?
    /// The shard the last SELECT ran on whole (tier 1), or nil when it ran at the router.
    public internal(set) var lastPlanTier: Int?
    /// Counters of the virtual-table scans while EXPLAIN ANALYZE runs its statement.
    var explainRecorder: ExplainRecorder?
    /// What the last pushed-down SELECT did (EXPLAIN ANALYZE reads it).
    var pushdownStatistics: PushdownStatistics?
    var aggregateNamesCache: Set<String>?
    /// Rows an UPDATE or DELETE … RETURNING changed in table `capturing` (gid).
    var capturing: Int64?
    var captured: [[SQLValue]] = []
    /// The error a virtual-table callback raised, with its SQLSTATE (SQLite keeps only the text).
    var pendingError: EngineError?
    /// Router copies (RouterCopy.swift) a statement could not drop: dropped before the next.
    var staleRouterCopies: [String] = []
    /// The most rows a statement is run over router copies for (RouterCopy.swift).
    var routerCopyRows = ClusterEngine.defaultRouterCopyRows
    /// Tier 2 stepped aside for the statement being planned because copies answer it as one
    /// database (set by `pushdownPlan`, taken by `routerCopyTables`).
    var copiesPromised = false
    /// PostgreSQL semantics: after an error inside BEGIN … COMMIT, everything but the end of the
    /// block fails, and COMMIT rolls back.
    public private(set) var transactionFailed = false
    var explicitTransaction = false
    /// Tables whose virtual table joined the router's write transaction of the current block
    /// through `joinRouterWrite` (by gid); emptied at BEGIN.
    var routerJoined: Set<Int64> = []
    func markTransactionFailed() { transactionFailed = true }
    var settingsAtBegin: SessionSettings?
    /// `execute(_:into:)`: the sink a streaming SELECT takes (RowSink.swift), and whether it
    /// was handed the columns (rows may have gone out: the statement cannot be run again).
    var rowSink: RowSink?
    var sinkBegun = false

    /// The copy reads of a reference table use.
    var referenceReadShard: Int { 1 }

    static let shardKeyUpdateMessage = "Shard key column update is not supported"

    public init(directory: String) throws(EngineError) {
        self.directory = directory
        let path = Files.join(directory, "router.db")
        guard Files.exists(path) else {
            throw EngineError("shard group data not found at \(directory)", code: "08006")
        }
        router = try Database(path: path)
        fault = Environment.get("LIMITLESS_FAULT")
        let me = Unmanaged.passUnretained(self).toOpaque()
        let rc = sqlite3_create_module_v2(router.handle, "limitless_table", &limitlessTableModule, me, nil)
        if rc != SQLITE_OK { throw router.error(rc) }
        try router.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA trusted_schema=ON; ATTACH ':memory:' AS rds_aurora")
        try catalog.load(router)
        if catalog.shardCount < 1 {
            // A folder made before the catalog existed: count the shard files.
            let n = ((try? Files.list(directory)) ?? []).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".db") }.count
            catalog.shardCount = n
            try Catalog.initialize(router, shardCount: n, routerCount: 1)
        }
        if catalog.shardCount < 1 { throw EngineError("shard group at \(directory) has no shards", code: "08006") }
        // Finish what a process that died after deciding left unfinished, before anything else.
        coordinator = try CommitCoordinator(directory: directory)
        try coordinator.recover()
        _ = capture(0, router)
    }

    /// Ends the session: an open transaction rolls back (as when a psql session ends inside
    /// one). Call it before letting go of the engine — the virtual tables' callbacks reach back
    /// into the engine, which they cannot do once it is being deinitialised.
    public func close() {
        statementCache.removeAll()
        pointPlans.removeAll()
        directPlans.removeAll()
        scanPool.removeAll()
        if router.inTransaction { try? router.exec("ROLLBACK") }
        rollbackShardTransactions()
        endTransactionSnapshot()
        explicitTransaction = false
    }

    deinit {
        // By now `close()` has ended any transaction; what is left closes without callbacks.
        statementCache.removeAll()
        pointPlans.removeAll()
        directPlans.removeAll()
        scanPool.removeAll()
        rollbackShardTransactions()
    }

    public var shardCount: Int { catalog.shardCount }
    public var inTransaction: Bool { explicitTransaction }

    // MARK: shards

    func shard(_ n: Int) throws(EngineError) -> Database {
        if let db = shardConnections[n] { return db }
        let db = try Database(path: Files.join(directory, ShardGroupStorage.shardFileName(n)))
        // NORMAL: a shard's commit is made durable by the commit path itself — an fsync of its
        // WAL when it commits alone, the coordinator's decision when it commits with others.
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
        shardConnections[n] = db
        return db
    }

    /// The shard's connection inside a write transaction (begun on first use).
    func shardForWrite(_ n: Int) throws(EngineError) -> Database {
        let db = try shard(n)
        if !shardsInTransaction.contains(n) {
            if db.inTransaction {
                // Repeatable read: the shard's snapshot is open; its first write upgrades it (and
                // fails with 40001 if another transaction changed the shard since).
            } else {
                try beginImmediate(n, db)
            }
            try shardTransactionStarted(n, db)
            shardsInTransaction.append(n)
            for level in openSavepoints { try db.exec("SAVEPOINT s\(level)") }
        }
        return db
    }

    func releaseRowidLock() {
        if let l = rowidLock { l.unlock(); rowidLock = nil }
    }

    func rollbackShardTransactions() {
        rowidCounters.removeAll()
        releaseRowidLock()
        for n in shardsInTransaction {
            if let db = shardConnections[n], db.inTransaction { try? db.exec("ROLLBACK") }
        }
        shardsInTransaction.removeAll()
        openSavepoints.removeAll()
    }

    func shardSavepoint(_ level: Int) {
        markCaptures(level)
        openSavepoints.removeAll { $0 >= level }
        openSavepoints.append(level)
        for n in shardsInTransaction { try? shardConnections[n]?.exec("SAVEPOINT s\(level)") }
    }

    func shardRelease(_ level: Int) {
        guard openSavepoints.contains(level) else { return }
        for n in shardsInTransaction { try? shardConnections[n]?.exec("RELEASE s\(level)") }
        openSavepoints.removeAll { $0 >= level }
    }

    func shardRollbackTo(_ level: Int) {
        guard openSavepoints.contains(level) else { return }
        for n in shardsInTransaction { try? shardConnections[n]?.exec("ROLLBACK TO s\(level)") }
        rewindCaptures(level)
        openSavepoints.removeAll { $0 > level }
    }

    func cachedStatement(shard: Int, sql: String) throws(EngineError) -> Statement {
        let key = "\(shard)|\(sql)"
        if let s = statementCache[key] { return s }
        let s = try self.shard(shard).prepare(sql)
        statementCache[key] = s
        return s
    }

    func borrowScan(shard: Int, sql: String) throws(EngineError) -> Statement {
        let key = "\(shard)|\(sql)"
        if var pool = scanPool[key], let s = pool.popLast() {
            scanPool[key] = pool
            return s
        }
        return try self.shard(shard).prepare(sql)
    }

    func returnScan(_ s: Statement, shard: Int, sql: String) {
        s.reset()
        let key = "\(shard)|\(sql)"
        var pool = scanPool[key] ?? []
        if pool.count < 4 { pool.append(s) }
        scanPool[key] = pool
    }

    /// Forgets prepared statements (after DDL changed a shard's schema).
    func dropStatementCaches() {
        statementCache.removeAll()
        pointPlans.removeAll()
        directPlans.removeAll()
        scanPool.removeAll()
    }

    /// The shard that holds a row of `info` whose shard-key columns have `key` (values after the
    /// columns' affinity). Text is hashed as the column's collation compares it — NOCASE folds
    /// ASCII letters, RTRIM drops trailing spaces — so values the key's collation calls equal
    /// ('a' and 'A' under NOCASE) land on one shard, where its UNIQUE index sees both, as one
    /// database's would.
    func shard(forKey key: [SQLValue], of info: TableInfo) -> Int {
        let map = catalog.rangeMap(info.collocationID)
        if info.keyFolds.isEmpty { return map.shard(for: PlacementHash.hash(key)) }
        var folded = key
        for (i, fold) in info.keyFolds.enumerated() where i < folded.count {
            if case let .text(s) = folded[i] { folded[i] = .text(fold.fold(s)) }
        }
        return map.shard(for: PlacementHash.hash(folded))
    }

    /// The next rowid of a sharded table: max(rowid) + 1 over every shard, as one database
    /// allocates it (kept in memory after the first look; forgotten when a transaction rolls back).
    ///
    /// Allocation is serialised between processes by an advisory lock on `rowids.lock` in the data
    /// folder, taken at the first allocation of a transaction (the counters are then re-read from
    /// the shards) and held until its shards commit or roll back.
    func nextRowid(_ table: TableInfo) throws(EngineError) -> Int64 {
        if rowidLock == nil {
            do {
                rowidLock = try FileLock(path: Files.join(directory, "rowids.lock"))
            } catch {
                throw EngineError("could not lock \(directory)/rowids.lock: \(error)", code: "55P03")
            }
            rowidCounters.removeAll()
        }
        if let last = rowidCounters[table.gid] { return last &+ 1 }
        var best: Int64 = 0
        for n in 1...catalog.shardCount {
            let r = try shard(n).query("SELECT max(\(table.rowidName)) FROM \(quoteIdentifier(table.name))")
            if case let .integer(v) = r.first?.first ?? .null, v > best { best = v }
        }
        rowidCounters[table.gid] = best
        return best &+ 1
    }

    /// Rows in a distributed table (for the planner's estimates): counted once, then kept up to date.
    func rowCount(_ table: TableInfo) -> Int64 {
        if let n = rowCounts[table.gid] { return n }
        var total: Int64 = 0
        let shards = table.placement == .reference ? [referenceReadShard] : Array(1...catalog.shardCount)
        for n in shards {
            if let r = try? shard(n).query("SELECT count(*) FROM \(quoteIdentifier(table.name))"),
               case let .integer(v) = r.first?.first ?? .null { total += v }
        }
        rowCounts[table.gid] = total
        return total
    }

    func adjustRowCount(_ table: TableInfo, by delta: Int64) {
        if let n = rowCounts[table.gid] { rowCounts[table.gid] = max(0, n + delta) }
    }

    func noteRowid(_ table: TableInfo, _ rowid: Int64) {
        if let last = rowidCounters[table.gid], rowid <= last { return }
        rowidCounters[table.gid] = rowid
    }

    /// `LIMITLESS_FAULT=shard-N-OPERATION` makes that operation fail on shard N (tests only).
    func checkFault(shard: Int, operation: String) throws(EngineError) {
        if let f = fault, f == "shard-\(shard)-\(operation)" {
            throw EngineError("injected fault: \(operation) on shard \(shard)", code: "XX000")
        }
    }

    // MARK: statements

    /// Splits a script into statements (each without its trailing `;`), by SQLite's own notion
    /// of a complete statement.
    public static func splitStatements(_ text: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        for b in text.utf8 {
            current.append(b)
            if b == 59 {  // ';'
                let s = String(decoding: current, as: UTF8.self)
                if sqlite3_complete(s) != 0 {
                    out.append(s); current.removeAll()
                }
            }
        }
        let rest = String(decoding: current, as: UTF8.self)
        if !Tokens.scan(rest, limit: 1).isEmpty { out.append(rest) }
        return out.filter { !Tokens.scan($0, limit: 1).isEmpty }.map(trimStatement)
    }

    /// Drops leading spaces and the trailing `;` and spaces, so positions count from the statement's first character.
    static func trimStatement(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\n" || f == "\t" || f == "\r" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\n" || l == "\t" || l == "\r" || l == ";" { sub = sub.dropLast() }
        return String(sub)
    }

    /// True when `text` ends with a complete statement.
    public static func isComplete(_ text: String) -> Bool { sqlite3_complete(text) != 0 }

    /// Runs one statement. Returns nil for an empty statement (only comments or `;`).
    public func execute(_ sql: String) throws(EngineError) -> StatementResult? {
        if !staleRouterCopies.isEmpty { dropRouterCopies(staleRouterCopies) }
        // Tier-1 SELECTs whose shape was seen before skip the general path's scans and parse.
        if let r = try fastSelect(sql) {
            if explicitTransaction { blockRanQuery = true }
            return r
        }
        if let r = try fastDirectWrite(sql) { return r }
        let toks = Tokens.scan(sql, limit: 64)
        guard let first = toks.first else { return nil }
        let word = first.kind == .word ? first.text : ""
        if explicitTransaction && !["SET", "SHOW", "RESET", "BEGIN", "START"].contains(word) { blockRanQuery = true }
        if explicitTransaction ? blockReadOnly && !transactionFailed : settings.session["default_transaction_read_only"] == "on",
           let what = ClusterEngine.writeCommand(toks) {
            if explicitTransaction { transactionFailed = true }
            throw EngineError("cannot execute \(what) in a read-only transaction", code: "25006")
        }
        let endsBlock = ["COMMIT", "END", "ROLLBACK", "ABORT"].contains(word)
        if transactionFailed && !endsBlock {
            throw EngineError("current transaction is aborted, commands ignored until end of transaction block", code: "25P02")
        }
        do throws(EngineError) {
            // REPEATABLE READ: the transaction's snapshot is fixed at its first statement.
            // Looking at the monitoring views does not finish in-doubt transactions, so
            // limitless_stat_prepared_xacts can show what a dead committer left.
            if !endsBlock && !readsOnlyMonitoringViews(sql, word) { try recoverBeforeStatement() }
            if explicitTransaction && repeatableRead && !endsBlock { try takeTransactionSnapshot() }
            if !endsBlock { try refreshRouterSnapshot() }
            do throws(EngineError) {
                return try dispatch(sql, toks, word)
            } catch where error.message.hasPrefix("limitless: no catalog entry for distributed table") && !sinkBegun {
                // The table was made after this session read the catalog — by another process,
                // or by recovery replaying a dead committer's DDL: read the catalog again, retry.
                try reloadCatalog()
                return try dispatch(sql, toks, word)
            } catch where error.code == "42601" && !sinkBegun {
                // PostgreSQL spellings SQLite does not know (`x::int`, ILIKE, …): the front end
                // parses them and prints SQLite's form; run that instead when it differs.
                guard let parsed = try? SQLSyntax.parse(sql), parsed.count == 1 else { throw error }
                let printed = parsed[0].sql
                if printed == sql { throw error }
                let ptoks = Tokens.scan(printed, limit: 64)
                return try dispatch(printed, ptoks, ptoks.first?.kind == .word ? ptoks[0].text : "")
            }
        } catch {
            if explicitTransaction { transactionFailed = true }
            throw error
        }
    }

    func dispatch(_ sql: String, _ toks: [Token], _ word: String) throws(EngineError) -> StatementResult? {
        func w(_ i: Int) -> String { i < toks.count && toks[i].kind == .word ? toks[i].text : "" }
        switch word {
        case "SET": return try set(sql, toks)
        case "RESET": return try reset(sql, toks)
        case "SHOW": return try show(sql, toks)
        case "CALL": return try call(sql, toks)
        case "BEGIN", "START": return try begin(toks)
        case "COMMIT", "END":
            if w(1) == "PREPARED" { throw preparedTransactionError("COMMIT PREPARED", sql) }
            return try commit()
        case "PREPARE" where w(1) == "TRANSACTION":
            // Clients cannot prepare transactions (PostgreSQL's max_prepared_transactions = 0);
            // as there, the block is rolled back.
            if explicitTransaction { _ = try rollback() }
            throw EngineError("prepared transactions are disabled", code: "55000")
        case "SAVEPOINT", "RELEASE":
            // Outside a block SQLite would open a transaction of its own that nothing commits.
            if !explicitTransaction {
                throw EngineError("\(word == "SAVEPOINT" ? "SAVEPOINT" : "RELEASE SAVEPOINT") can only be used in transaction blocks",
                                  code: "25P01")
            }
            let result = try runOnRouter(sql, toks)
            routerSavepointStatement(toks)
            return result
        case "ROLLBACK", "ABORT":
            if w(1) == "PREPARED" { throw preparedTransactionError("ROLLBACK PREPARED", sql) }
            if toks.contains(where: { $0.isWord("TO") }) {
                if !explicitTransaction {
                    throw EngineError("ROLLBACK TO SAVEPOINT can only be used in transaction blocks", code: "25P01")
                }
                // ROLLBACK TO SAVEPOINT ends PostgreSQL's failed state for the block.
                _ = try runOnRouter(sql, toks)
                // The router's redo forgets what was undone (recovery would replay it).
                routerSavepointStatement(toks)
                transactionFailed = false
                return .command(tag: "ROLLBACK", rowsAffected: nil)
            }
            return try rollback()
        case "CREATE":
            var i = 1
            if ["TEMP", "TEMPORARY"].contains(w(i)) { return try runOnRouter(sql, toks) }
            if w(i) == "UNIQUE" { i += 1 }
            switch w(i) {
            case "TABLE": return try createTable(sql, toks)
            case "INDEX": return try createIndex(sql, toks, unique: w(1) == "UNIQUE")
            case "TRIGGER": return try createTrigger(sql, toks)
            default: return try runOnRouter(sql, toks)
            }
        case "DROP":
            switch w(1) {
            case "TABLE": return try dropTable(sql, toks)
            case "INDEX": return try dropShardObject(sql, toks, kind: "index")
            case "TRIGGER": return try dropShardObject(sql, toks, kind: "trigger")
            default: return try runOnRouter(sql, toks)
            }
        case "ALTER":
            if w(1) == "TABLE" { return try alterTable(sql, toks) }
            return try runOnRouter(sql, toks)
        case "REINDEX": return try reindex(sql, toks)
        case "EXPLAIN":
            // EXPLAIN QUERY PLAN keeps showing SQLite's router plan; EXPLAIN shows the distributed one.
            if w(1) == "QUERY" { return try runOnRouter(sql, toks) }
            // EXPLAIN ANALYZE runs its statement for the counts: its rows go nowhere.
            let sink = rowSink
            rowSink = nil
            defer { rowSink = sink }
            return try explain(sql, toks)
        case "SELECT":
            lastPlanTier = nil
            if !catalog.tables.isEmpty, let target = singleShardTarget(sql) {
                return try runOnShard(target, sql)
            }
            if !catalog.tables.isEmpty, sql.containsCaseInsensitive("FROM"), let plan = pushdownPlan(sql) {
                do throws(EngineError) {
                    return try runPushdown(plan, sql)
                } catch where error.message == "integer overflow" && plan.partialAggregates && !sinkBegun {
                    // Whether sum() overflows depends on the order one database adds the rows;
                    // partial sums add them in another. The router reads them in that order.
                }
            }
            if let tables = routerCopyTables(forStatement: sql, toks) { return try runOnRouterOverCopies(sql, toks, tables) }
            return try runOnRouter(sql, toks)
        case "INSERT", "REPLACE":
            if catalog.tables.isEmpty { return try runOnRouter(sql, toks) }
            if word == "INSERT", let r = try bulkInsert(sql) { return r }
            try checkShardKeyGiven(sql)
            let all = Tokens.scan(sql)
            if let into = all.firstIndex(where: { $0.isWord("INTO") }),
               let (_, name, _) = Tokens.qualifiedName(sql, all, into + 1), let info = catalog.table(name) {
                if clauses(all).onConflict != nil { return try upsert(sql, info: info) }
                try joinRouterBeforeWrite(info)
            }
            return try runOnRouter(insertWithDefaults(sql), toks)
        case "UPDATE", "DELETE":
            if catalog.tables.isEmpty { return try runOnRouter(sql, toks) }
            let all = Tokens.scan(sql)
            var i = 1
            if word == "UPDATE", i < all.count, all[i].isWord("OR") { i += 2 }
            if word == "DELETE", i < all.count, all[i].isWord("FROM") { i += 1 }
            guard let (_, name, _) = Tokens.qualifiedName(sql, all, i), let info = catalog.table(name) else {
                return try runOnRouter(sql, toks)
            }
            if word == "DELETE", info.placement == .sharded, let r = try directDelete(sql) { return r }
            if word == "UPDATE", info.placement == .sharded, let r = try directUpdate(sql) { return r }
            try joinRouterBeforeWrite(info)
            if word == "UPDATE", info.placement == .sharded,
               let stmt = try? SQLSyntax.parseOne(sql), case let .update(u) = stmt.kind {
                updateAssignments = (info.gid, Set(u.sets.flatMap(\.columns).map { $0.lowercased() }))
            }
            defer { updateAssignments = nil }
            if let ret = clauses(all).returning {
                return try writeReturning(sql, toks: all, info: info, returning: ret, verb: word)
            }
            return try runOnRouter(sql, toks)
        case "WITH":
            if let tables = routerCopyTables(forStatement: sql, toks) { return try runOnRouterOverCopies(sql, toks, tables) }
            return try runOnRouter(sql, toks)
        default: return try runOnRouter(sql, toks)
        }
    }

    // MARK: the router path

    func refreshCatalogViewsIfNeeded(_ sql: String) throws(EngineError) {
        guard sql.utf8.count >= 10, sql.containsCaseInsensitive("RDS_AURORA") else { return }
        try refreshCatalogViews()
        try refreshPreparedTransactions()
    }

    /// Runs a statement on the router connection, where distributed tables are virtual tables.
    /// `fill` runs once the statement's snapshot is taken, before its first step (it fills the
    /// copies of RouterCopy.swift).
    func runOnRouter(_ sql: String, _ toks: [Token], fill: (() throws(EngineError) -> Void)? = nil) throws(EngineError) -> StatementResult {
        try refreshCatalogViewsIfNeeded(sql)
        pendingError = nil
        let stmt = try router.prepare(sql)
        let columns = stmt.columnNames
        // A read's rows stream to the caller's sink as they are stepped; a write's come back
        // whole (they are its RETURNING rows: none is shown unless the statement succeeds).
        let out = RowOutput(self, columns: columns, stream: !columns.isEmpty && stmt.isReadOnly)
        let before = sqlite3_total_changes64(router.handle)
        // A read sees every shard at one instant (never half a distributed commit). Views and
        // subqueries can reach any distributed table, so every read takes the snapshot once
        // the shard group has one.
        // A statement without FROM reads no table at all (`SELECT 1`, `VALUES (…)`, most PRAGMAs).
        let needsSnapshot = stmt.isReadOnly && !catalog.tables.isEmpty && transactionSnapshot == nil
            && sql.containsCaseInsensitive("FROM") && !readsOnlyMonitoringViews(sql, "SELECT")
        // Outside a block the router's snapshot is fixed with the shards' too: the statement
        // runs in a router read transaction begun for it.
        let ownRouterTransaction = needsSnapshot && !router.inTransaction
        if ownRouterTransaction { try router.control("BEGIN") }
        defer {
            if ownRouterTransaction && router.inTransaction && (try? router.control("COMMIT")) == nil { try? router.exec("ROLLBACK") }
        }
        let snapshot = needsSnapshot ? try beginReadSnapshot() : []
        defer { endReadSnapshot(snapshot) }
        do throws(EngineError) {
            try fill?()
            while try stmt.step() {
                if !columns.isEmpty { out.add(stmt.row()) }
            }
        } catch {
            if let e = pendingError, error.message.contains(e.message) { pendingError = nil; throw e }
            throw error
        }
        let changed = Int(sqlite3_changes(router.handle))
        let wrote = sqlite3_total_changes64(router.handle) != before
        let verb = ClusterEngine.commandVerb(toks)
        if !columns.isEmpty {
            let tag: String
            switch verb {
            case "INSERT", "REPLACE": tag = "INSERT 0 \(out.count)"
            case "UPDATE": tag = "UPDATE \(out.count)"
            case "DELETE": tag = "DELETE \(out.count)"
            case "EXPLAIN": tag = "EXPLAIN"
            default: tag = "SELECT \(out.count)"
            }
            return out.result(command: tag)
        }
        let n = wrote || ["INSERT", "REPLACE", "UPDATE", "DELETE"].contains(verb) ? changed : 0
        switch verb {
        case "INSERT", "REPLACE": return .command(tag: "INSERT 0 \(n)", rowsAffected: n)
        case "UPDATE": return .command(tag: "UPDATE \(n)", rowsAffected: n)
        case "DELETE": return .command(tag: "DELETE \(n)", rowsAffected: n)
        default: return .command(tag: ClusterEngine.commandTag(toks), rowsAffected: nil)
        }
    }

    /// The DML verb of a statement, looking past a WITH clause.
    static func commandVerb(_ toks: [Token]) -> String {
        guard let first = toks.first, first.kind == .word else { return "" }
        if first.text != "WITH" { return first.text }
        var depth = 0
        for t in toks.dropFirst() {
            if t.kind == .punct { if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1 } }
            if depth == 0, t.kind == .word, ["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "VALUES"].contains(t.text) {
                return t.text
            }
        }
        return "SELECT"
    }

    /// PostgreSQL's tag for a statement that returns no rows and counts none.
    static func commandTag(_ toks: [Token]) -> String {
        let words = toks.prefix(6).filter { $0.kind == .word }.map(\.text)
        guard let first = words.first else { return "" }
        switch first {
        case "CREATE", "DROP", "ALTER":
            var rest = words.dropFirst()
            while let w = rest.first, ["TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL", "OR", "REPLACE"].contains(w) {
                rest = rest.dropFirst()
            }
            return first + " " + (rest.first ?? "")
        case "REPLACE": return "INSERT 0 0"
        default: return first
        }
    }

    // MARK: transactions

    func begin(_ toks: [Token] = []) throws(EngineError) -> StatementResult {
        if explicitTransaction {
            Console.err("WARNING:  there is already a transaction in progress\n")
            return .command(tag: "BEGIN", rowsAffected: nil)
        }
        let level = try isolationLevel(toks)
        try router.control("BEGIN")
        repeatableRead = level == "repeatable read"
        captures[0]?.reset()
        routerSavepoints.removeAll()
        routerJoined.removeAll()
        explicitTransaction = true
        transactionFailed = false
        blockRanQuery = false
        blockReadOnly = ClusterEngine.readOnlyMode(toks) ?? ((settings.value("default_transaction_read_only") ?? "off") == "on")
        settingsAtBegin = settings
        return .command(tag: "BEGIN", rowsAffected: nil)
    }

    func commit() throws(EngineError) -> StatementResult {
        if !explicitTransaction {
            Console.err("WARNING:  there is no transaction in progress\n")
            return .command(tag: "COMMIT", rowsAffected: nil)
        }
        if transactionFailed {
            _ = try rollback()
            return .command(tag: "ROLLBACK", rowsAffected: nil)
        }
        pendingError = nil
        do {
            try commitAll()
        } catch {
            let e = pendingError ?? error
            pendingError = nil
            _ = try? rollback()
            throw e
        }
        endTransaction(keepSettings: true)
        return .command(tag: "COMMIT", rowsAffected: nil)
    }

    func rollback() throws(EngineError) -> StatementResult {
        if !explicitTransaction {
            Console.err("WARNING:  there is no transaction in progress\n")
            return .command(tag: "ROLLBACK", rowsAffected: nil)
        }
        if router.inTransaction { try? router.exec("ROLLBACK") }
        rollbackShardTransactions()
        dropStatementCaches()
        try catalog.load(router)
        catalogViewsStale = true
        endTransaction(keepSettings: false)
        return .command(tag: "ROLLBACK", rowsAffected: nil)
    }

    /// The statement a read-only block refuses, named as PostgreSQL names it; nil for reads.
    static func writeCommand(_ toks: [Token]) -> String? {
        guard let first = toks.first, first.kind == .word else { return nil }
        switch first.text {
        case "INSERT", "UPDATE", "DELETE", "REPLACE", "CALL", "REINDEX", "TRUNCATE": return first.text
        case "CREATE", "DROP", "ALTER":
            if toks.count > 1, toks[1].isWord("TEMP") || toks[1].isWord("TEMPORARY") { return nil }
            return commandTag(toks)
        default: return nil
        }
    }

    /// READ ONLY / READ WRITE among a BEGIN's or SET TRANSACTION's modes (nil: neither named).
    static func readOnlyMode(_ toks: [Token]) -> Bool? {
        var mode: Bool? = nil
        for i in toks.indices.dropLast() where toks[i].isWord("READ") {
            if toks[i + 1].isWord("ONLY") { mode = true }
            if toks[i + 1].isWord("WRITE") { mode = false }
        }
        return mode
    }

    /// A SELECT that names `rds_aurora` and no distributed table (no name outside `rds_aurora.`
    /// is in the catalog): it reads the router's in-memory views and standard tables only.
    func readsOnlyMonitoringViews(_ sql: String, _ word: String) -> Bool {
        guard word == "SELECT", sql.containsCaseInsensitive("RDS_AURORA") else { return false }
        let toks = Tokens.scan(sql)
        for (i, t) in toks.enumerated() where t.isName {
            if i > 1, toks[i - 1].kind == .punct, toks[i - 1].text == ".",
               Tokens.name(sql, toks[i - 2]).lowercased() == "rds_aurora" { continue }
            if catalog.table(Tokens.name(sql, t)) != nil { return false }
        }
        return true
    }

    /// COMMIT PREPARED / ROLLBACK PREPARED: no client-prepared transaction ever exists here.
    func preparedTransactionError(_ command: String, _ sql: String) -> EngineError {
        if explicitTransaction {
            return EngineError("\(command) cannot run inside a transaction block", code: "25001")
        }
        var gid = Substring(sql)
        if let open = gid.firstIndex(of: "'"), let close = gid.lastIndex(of: "'"), open < close {
            gid = gid[gid.index(after: open)..<close]
        }
        return EngineError("prepared transaction with identifier \"\(gid)\" does not exist", code: "42704")
    }

    /// Reads the catalog again (another process changed it). Not part of the session's redo.
    func reloadCatalog() throws(EngineError) {
        let capture = router.capture
        router.capture = nil
        defer { router.capture = capture }
        dropStatementCaches()
        try catalog.load(router)
        catalogViewsStale = true
    }

    private func endTransaction(keepSettings: Bool) {
        endTransactionSnapshot()
        if !keepSettings, let s = settingsAtBegin { settings = s }
        settings.endTransaction()
        settingsAtBegin = nil
        explicitTransaction = false
        transactionFailed = false
    }

    /// Runs `body` with the router and every shard inside one write transaction: all commit or
    /// none does. Inside BEGIN … COMMIT it joins the open transaction instead.
    func atomically<T>(allShards: Bool = true, _ body: () throws(EngineError) -> T) throws(EngineError) -> T {
        let own = !explicitTransaction
        if own {
            try router.exec("BEGIN IMMEDIATE")
            captures[0]?.reset()
        }
        do {
            if allShards { for n in 1...catalog.shardCount { _ = try shardForWrite(n) } }
            let result = try body()
            if own { try commitAll() }
            dropStatementCaches()
            return result
        } catch {
            if own {
                if router.inTransaction { try? router.exec("ROLLBACK") }
                rollbackShardTransactions()
                dropStatementCaches()
                try? catalog.load(router)
                catalogViewsStale = true
            }
            throw error
        }
    }
}

/// State a signal handler shares with the code it interrupts, kept in raw memory: Swift checks
/// exclusive access to global variables at run time, and a handler that writes one while the
/// interrupted code is reading it would trap. Pointer memory is not checked.
enum SignalShared {
    /// [0] Ctrl-C arrived, [1] SIGINTs counted, [2] a monitored statement is running.
    nonisolated(unsafe) static let cells: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        p.initialize(repeating: 0, count: 3)
        return p
    }()
    /// The connection plain (non-shell) Ctrl-C interrupts.
    nonisolated(unsafe) static let target: UnsafeMutablePointer<OpaquePointer?> = {
        let p = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
        p.initialize(to: nil)
        return p
    }()
}

extension ClusterEngine {
    /// Set once Ctrl-C (SIGINT) arrived; the running statement is interrupted too.
    public static var interrupted: Bool {
        get { SignalShared.cells[0] != 0 }
        set { SignalShared.cells[0] = newValue ? 1 : 0 }
    }

    /// Ctrl-C interrupts the running statement (sqlite3_interrupt) and sets `interrupted`.
    public func installInterruptHandler() {
        SignalShared.target.pointee = router.handle
        _ = SignalShared.cells
        signal(SIGINT) { _ in
            SignalShared.cells[0] = 1
            if let h = SignalShared.target.pointee { sqlite3_interrupt(h) }
        }
    }
}
