import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

// The `limitless_table` virtual-table module. In router.db every sharded or reference table is
// declared as `CREATE VIRTUAL TABLE t USING limitless_table` (persisted, so views and triggers in
// router.db may name it); the module is registered on every open. A cursor streams the table's
// rows from every shard that may hold matching rows (one copy for a reference table), with the
// comparisons SQLite hands to xBestIndex pushed into each shard's SQL. Writes (xUpdate) go to the
// shard that owns the row's shard key (every copy for a reference table) inside shard
// transactions that commit or roll back with the router's statement or transaction.

/// Memory layout of our sqlite3_vtab and sqlite3_vtab_cursor: SQLite's struct, then a pointer to
/// the Swift object that does the work.
private let vtabSize = MemoryLayout<sqlite3_vtab>.stride
private let cursorSize = MemoryLayout<sqlite3_vtab_cursor>.stride

private func vtabObject(_ p: UnsafeMutablePointer<sqlite3_vtab>?) -> VirtualTable {
    let raw = UnsafeMutableRawPointer(p!).advanced(by: vtabSize).load(as: UnsafeMutableRawPointer.self)
    return Unmanaged<VirtualTable>.fromOpaque(raw).takeUnretainedValue()
}

private func cursorObject(_ p: UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> VirtualCursor {
    let raw = UnsafeMutableRawPointer(p!).advanced(by: cursorSize).load(as: UnsafeMutableRawPointer.self)
    return Unmanaged<VirtualCursor>.fromOpaque(raw).takeUnretainedValue()
}

/// Copies a Swift string into memory SQLite may free with sqlite3_free.
func sqliteString(_ s: String) -> UnsafeMutablePointer<CChar>? {
    let bytes = Array(s.utf8)
    guard let p = sqlite3_malloc(Int32(bytes.count + 1))?.assumingMemoryBound(to: CChar.self) else { return nil }
    for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
    p[bytes.count] = 0
    return p
}

private func setError(_ vtab: UnsafeMutablePointer<sqlite3_vtab>?, _ message: String) {
    guard let vtab else { return }
    sqlite3_free(vtab.pointee.zErrMsg)
    vtab.pointee.zErrMsg = sqliteString(message)
}

/// sqlite3_vtab_config is variadic, which Swift cannot call; the two integer-argument forms we
/// use are called through a fixed-argument pointer (the x86-64 and arm64 ABIs pass them alike).
private typealias VtabConfig2 = @convention(c) (OpaquePointer?, Int32) -> Int32
private typealias VtabConfig3 = @convention(c) (OpaquePointer?, Int32, Int32) -> Int32
nonisolated(unsafe) private let vtabConfigSymbol: UnsafeMutableRawPointer? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sqlite3_vtab_config")

private func configureVirtualTable(_ db: OpaquePointer?) {
    guard let sym = vtabConfigSymbol else { return }
    _ = unsafeBitCast(sym, to: VtabConfig3.self)(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1)
    _ = unsafeBitCast(sym, to: VtabConfig2.self)(db, SQLITE_VTAB_INNOCUOUS)
}

private let connect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafeMutablePointer<UnsafeMutablePointer<sqlite3_vtab>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 = { db, aux, argc, argv, ppVtab, pzErr in
    let engine = Unmanaged<ClusterEngine>.fromOpaque(aux!).takeUnretainedValue()
    let name = String(cString: argv![2]!)
    guard let info = engine.catalog.table(name) else {
        pzErr?.pointee = sqliteString("limitless: no catalog entry for distributed table \(name)")
        return SQLITE_ERROR
    }
    let rc = sqlite3_declare_vtab(db, info.virtualTableDeclaration)
    if rc != SQLITE_OK {
        pzErr?.pointee = sqliteString("limitless: cannot declare \(name): \(String(cString: sqlite3_errmsg(db)))")
        return rc
    }
    configureVirtualTable(db)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: vtabSize + 8, alignment: 8)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: vtabSize + 8)
    let object = VirtualTable(engine: engine, info: info)
    raw.advanced(by: vtabSize).storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer.self)
    ppVtab?.pointee = raw.assumingMemoryBound(to: sqlite3_vtab.self)
    return SQLITE_OK
}

private let disconnect: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?) -> Int32 = { p in
    guard let p else { return SQLITE_OK }
    let raw = UnsafeMutableRawPointer(p)
    Unmanaged<VirtualTable>.fromOpaque(raw.advanced(by: vtabSize).load(as: UnsafeMutableRawPointer.self)).release()
    sqlite3_free(p.pointee.zErrMsg)
    raw.deallocate()
    return SQLITE_OK
}

nonisolated(unsafe) var limitlessTableModule: sqlite3_module = {
    var m = sqlite3_module()
    m.iVersion = 2
    m.xCreate = connect
    m.xConnect = connect
    m.xDisconnect = disconnect
    m.xDestroy = disconnect
    m.xBestIndex = { p, info in vtabObject(p).bestIndex(info!) }
    m.xOpen = { p, ppCursor in
        let table = vtabObject(p)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: cursorSize + 8, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: cursorSize + 8)
        let c = VirtualCursor(table: table)
        raw.advanced(by: cursorSize).storeBytes(of: Unmanaged.passRetained(c).toOpaque(), as: UnsafeMutableRawPointer.self)
        ppCursor?.pointee = raw.assumingMemoryBound(to: sqlite3_vtab_cursor.self)
        return SQLITE_OK
    }
    m.xClose = { p in
        guard let p else { return SQLITE_OK }
        let raw = UnsafeMutableRawPointer(p)
        let u = Unmanaged<VirtualCursor>.fromOpaque(raw.advanced(by: cursorSize).load(as: UnsafeMutableRawPointer.self))
        u.takeUnretainedValue().finish()
        u.release()
        raw.deallocate()
        return SQLITE_OK
    }
    m.xFilter = { p, idxNum, idxStr, argc, argv in
        let c = cursorObject(p)
        do {
            try c.filter(plan: idxStr.map { String(cString: $0) } ?? "", argc: Int(argc), argv: argv)
            return SQLITE_OK
        } catch {
            c.table.engine.pendingError = error as? EngineError
            setError(p?.pointee.pVtab, error.message)
            return SQLITE_ERROR
        }
    }
    m.xNext = { p in
        let c = cursorObject(p)
        do { try c.next(); return SQLITE_OK } catch {
            setError(p?.pointee.pVtab, error.message); return SQLITE_ERROR
        }
    }
    m.xEof = { p in cursorObject(p).eof ? 1 : 0 }
    m.xColumn = { p, ctx, i in
        cursorObject(p).column(ctx, Int(i)); return SQLITE_OK
    }
    m.xRowid = { p, pRowid in
        pRowid?.pointee = cursorObject(p).rowid; return SQLITE_OK
    }
    m.xUpdate = { p, argc, argv, pRowid in
        let t = vtabObject(p)
        do {
            try t.update(argc: Int(argc), argv: argv!, rowid: pRowid)
            return SQLITE_OK
        } catch let e as VirtualTable.WriteError {
            if e.code != SQLITE_CONSTRAINT || !e.message.isEmpty { setError(p, e.message) }
            return e.code
        } catch let e as EngineError {
            t.engine.pendingError = e
            setError(p, e.message)
            return e.code.hasPrefix("23") ? SQLITE_CONSTRAINT : SQLITE_ERROR
        } catch {
            setError(p, error.message); return SQLITE_ERROR
        }
    }
    m.xBegin = { p in SQLITE_OK }
    // The shards commit (two-phase when several changed) before the router does: a failure
    // here aborts the router's commit too, so the statement fails as a whole.
    m.xSync = { p in
        do { try vtabObject(p).engine.commitShardTransactions() } catch {
            vtabObject(p).engine.pendingError = error as? EngineError
            setError(p, error.message)
            return SQLITE_ERROR
        }
        return SQLITE_OK
    }
    m.xCommit = { p in SQLITE_OK }
    m.xRollback = { p in
        vtabObject(p).engine.rollbackShardTransactions(); return SQLITE_OK
    }
    m.xRename = { p, newName in SQLITE_OK }
    m.xSavepoint = { p, n in
        vtabObject(p).engine.shardSavepoint(Int(n)); return SQLITE_OK
    }
    m.xRelease = { p, n in
        vtabObject(p).engine.shardRelease(Int(n)); return SQLITE_OK
    }
    m.xRollbackTo = { p, n in
        vtabObject(p).engine.shardRollbackTo(Int(n)); return SQLITE_OK
    }
    return m
}()

extension Error {
    var message: String {
        if let e = self as? EngineError { return e.message }
        if let e = self as? VirtualTable.WriteError { return e.message }
        return "\(self)"
    }
}

/// One comparison pushed into the shards' SQL.
struct PushedConstraint {
    var column: Int
    var op: Int32
    /// Not one of SQLite's operators: `col IN (…)` with the whole list handed to one xFilter
    /// (sqlite3_vtab_in), sent to the shards as `col IN (?, …)`.
    static let inList: Int32 = 1002
    var hasArgument: Bool { op != SQLITE_INDEX_CONSTRAINT_ISNULL && op != SQLITE_INDEX_CONSTRAINT_ISNOTNULL }
    /// The comparison as shard SQL (an IN list with `count` placeholders).
    func sql(_ name: String, count: Int = 2) -> String {
        if op == PushedConstraint.inList { return name + " IN (" + Array(repeating: "?", count: count).joined(separator: ", ") + ")" }
        return name + " " + sqlOperator + (hasArgument ? " ?" : "")
    }
    var sqlOperator: String {
        switch op {
        case PushedConstraint.inList: return "IN"
        case SQLITE_INDEX_CONSTRAINT_EQ: return "="
        case SQLITE_INDEX_CONSTRAINT_GT: return ">"
        case SQLITE_INDEX_CONSTRAINT_GE: return ">="
        case SQLITE_INDEX_CONSTRAINT_LT: return "<"
        case SQLITE_INDEX_CONSTRAINT_LE: return "<="
        case SQLITE_INDEX_CONSTRAINT_IS: return "IS"
        case SQLITE_INDEX_CONSTRAINT_ISNULL: return "IS NULL"
        default: return "IS NOT NULL"
        }
    }
}

final class VirtualTable {
    unowned let engine: ClusterEngine
    let info: TableInfo

    init(engine: ClusterEngine, info: TableInfo) {
        self.engine = engine; self.info = info
    }

    struct WriteError: Error { var code: Int32; var message: String }

    // MARK: planning

    func bestIndex(_ info: UnsafeMutablePointer<sqlite3_index_info>) -> Int32 {
        let n = Int(info.pointee.nConstraint)
        var plan: [String] = []
        var clauses: [String] = []
        var argIndex: Int32 = 0
        // Estimates from the table's real size, so SQLite orders joins as it would for tables.
        let total = Double(max(engine.rowCount(self.info), 1))
        var rows = total
        var equalities = Set<Int>()
        var keyPinned = Set<Int>()
        for i in 0..<n {
            let c = info.pointee.aConstraint[i]
            guard c.usable != 0, c.iColumn >= 0, Int(c.iColumn) < self.info.columns.count else { continue }
            let op = Int32(c.op)
            let supported = [SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_GT, SQLITE_INDEX_CONSTRAINT_GE,
                             SQLITE_INDEX_CONSTRAINT_LT, SQLITE_INDEX_CONSTRAINT_LE, SQLITE_INDEX_CONSTRAINT_IS,
                             SQLITE_INDEX_CONSTRAINT_ISNULL, SQLITE_INDEX_CONSTRAINT_ISNOTNULL]
            guard supported.contains(op) else { continue }
            let column = self.info.columns[Int(c.iColumn)]
            // Only comparisons under the column's own collation mean the same thing on the shard.
            if let coll = sqlite3_vtab_collation(info, Int32(i)) {
                if String(cString: coll).uppercased() != column.collation.uppercased() { continue }
            }
            // `textColumn IN (SELECT numericColumn …)`: SQLite compares each row with the list's
            // values under numeric affinity only when it reads the list itself; fed through
            // xFilter, the values are matched under the column's text affinity instead.
            if op == SQLITE_INDEX_CONSTRAINT_EQ && !column.affinity.isNumeric && sqlite3_vtab_in(info, Int32(i), -1) != 0 { continue }
            var pushed = PushedConstraint(column: Int(c.iColumn), op: op)
            // An IN list on a column that is not the shard key comes whole to one xFilter and
            // goes to the shards as `col IN (…)`: the rows then come in the table's read order,
            // as where one database scans the table and tests each row against the list (looked
            // up value by value, they would come grouped by value, and ORDER BY ties with them).
            // A shard key's values are still looked up one by one, each on its own shard.
            if op == SQLITE_INDEX_CONSTRAINT_EQ, !self.info.keyIndexes.contains(Int(c.iColumn)),
               sqlite3_vtab_in(info, Int32(i), -1) != 0, sqlite3_vtab_in(info, Int32(i), 1) != 0 {
                pushed.op = PushedConstraint.inList
            }
            plan.append("\(pushed.column):\(pushed.op)")
            clauses.append(pushed.sql(quoteIdentifier(column.name)))
            if pushed.hasArgument {
                argIndex += 1
                info.pointee.aConstraintUsage[i].argvIndex = argIndex
            }
            info.pointee.aConstraintUsage[i].omit = 0
            switch op {
            case SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_IS, SQLITE_INDEX_CONSTRAINT_ISNULL:
                if !equalities.contains(Int(c.iColumn)) { rows /= 10 }
                equalities.insert(Int(c.iColumn))
                if self.info.keyIndexes.contains(Int(c.iColumn)) { keyPinned.insert(Int(c.iColumn)) }
            case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
                break
            default:
                rows /= 3
            }
        }
        let pk = Set(self.info.columns.indices.filter { self.info.columns[$0].primaryKeyPosition > 0 })
        var unique = false
        if !pk.isEmpty && pk.isSubset(of: equalities) { rows = 1; unique = true }
        var shardsScanned = Double(self.info.placement == .sharded ? max(engine.catalog.shardCount, 1) : 1)
        if self.info.placement == .sharded, !self.info.keyIndexes.isEmpty, keyPinned.count == self.info.keyIndexes.count {
            shardsScanned = 1
        }
        rows = max(rows, 1)
        // Like SQLite's own costs: a full scan reads every row; a constrained scan is assumed to
        // find its rows through the shard's index (a log-time probe per shard visited). Both pay
        // a small fixed cost per shard.
        var logTotal = 1.0
        var t = total
        while t > 1 { t /= 2; logTotal += 1 }
        let constrained = !plan.isEmpty
        let cost = constrained ? rows * 4 + logTotal * shardsScanned + shardsScanned : total * 4 + shardsScanned
        info.pointee.estimatedCost = cost
        info.pointee.estimatedRows = Int64(rows)
        if unique { info.pointee.idxFlags |= SQLITE_INDEX_SCAN_UNIQUE }
        // The table's gid as idxNum: EXPLAIN QUERY PLAN shows it, so EXPLAIN can name the table.
        info.pointee.idxNum = Int32(truncatingIfNeeded: self.info.gid)
        // The columns the statement reads (colUsed; bit 63 stands for every column from the 64th
        // on): the shards send only those.
        var idx = plan.joined(separator: ",")
        let count = self.info.columns.count
        let all: UInt64 = count >= 64 ? UInt64.max : (UInt64(1) << UInt64(count)) - 1
        let used = UInt64(info.pointee.colUsed) & all
        if count < 64 && used != all { idx += ";" + String(used, radix: 16) }
        if let order = consumableOrder(info, clauses: clauses, used: count < 64 && used != all ? used : nil) {
            info.pointee.orderByConsumed = 1
            idx += "|" + order.encoded
        }
        if !idx.isEmpty {
            info.pointee.idxStr = sqliteString(idx)
            info.pointee.needToFreeIdxStr = 1
        }
        return SQLITE_OK
    }

    /// The GROUP BY or ORDER BY SQLite asks this scan for (aOrderBy), when one database would
    /// give it by reading an index (or the rowid) for the same comparisons and columns: the scan
    /// then gives that order too, and the router does not sort (see ScanOrder.swift).
    func consumableOrder(_ info: UnsafeMutablePointer<sqlite3_index_info>, clauses: [String], used: UInt64?) -> ScanOrder? {
        let n = Int(info.pointee.nOrderBy)
        guard n > 0 else { return nil }
        // 0: ORDER BY; 1: GROUP BY (equal values adjacent). DISTINCT forms are left to SQLite.
        let distinct = sqlite3_vtab_distinct(info)
        guard distinct == 0 || distinct == 1 else { return nil }
        var terms: [ScanOrder.Term] = []
        for j in 0..<n {
            let o = info.pointee.aOrderBy[j]
            guard o.iColumn >= 0, Int(o.iColumn) < self.info.columns.count else { return nil }
            terms.append(ScanOrder.Term(column: Int(o.iColumn), descending: o.desc != 0))
        }
        let order = ScanOrder(grouping: distinct == 1, terms: terms)
        let probe = VirtualTable.shardSelect(self.info, clauses: clauses, multiShard: false, used: used) + order.clause(self.info)
        guard let gate = try? gate(1) else { return nil }
        let locked = gate.lockIfShared()
        defer { if locked { gate.unlock() } }
        return engine.scanReadOrder(probe, table: self.info, sorted: true) == nil ? nil : order
    }

    // MARK: writes

    func update(argc: Int, argv: UnsafeMutablePointer<OpaquePointer?>, rowid: UnsafeMutablePointer<sqlite3_int64>?) throws {
        let db = engine.router.handle
        let conflict = sqlite3_vtab_on_conflict(db)
        if argc == 1 {
            try delete(rowid: sqlite3_value_int64(argv[0]))
            return
        }
        if sqlite3_value_type(argv[0]) == SQLITE_NULL {
            let r = try insert(argv: argv, argc: argc, conflict: conflict)
            rowid?.pointee = r
        } else {
            try updateRow(old: sqlite3_value_int64(argv[0]), argv: argv, argc: argc, conflict: conflict)
        }
    }

    func conflictClause(_ c: Int32) -> String {
        switch c {
        case SQLITE_IGNORE: return "OR IGNORE "
        case SQLITE_REPLACE: return "OR REPLACE "
        default: return ""
        }
    }

    /// Each shard connection's gate, by shard number (looked up once).
    private var gates: [ConnectionGate?] = []

    func gate(_ shard: Int) throws(EngineError) -> ConnectionGate {
        if shard < gates.count, let g = gates[shard] { return g }
        let g = ConnectionGate.of(try engine.shard(shard))
        if gates.count <= shard { gates += Array(repeating: nil, count: shard + 1 - gates.count) }
        gates[shard] = g
        return g
    }

    /// Which shard holds each sharded row the router has seen by rowid (filled by xRowid, read by
    /// UPDATE and DELETE, which always scan before they write).
    var rowidShards: [Int64: Int] = [:]

    func remember(rowid: Int64, shard: Int) {
        if rowidShards.count > 1 << 20 { rowidShards.removeAll() }
        rowidShards[rowid] = shard
    }

    private func targetShards(forRowid rowid: Int64) throws -> [(Int, Int64)] {
        if info.placement == .reference {
            return (1...engine.catalog.shardCount).map { ($0, rowid) }
        }
        if let s = rowidShards[rowid] { return [(s, rowid)] }
        for n in 1...engine.catalog.shardCount {
            if !(try engine.shard(n).query("SELECT 1 FROM \(quoteIdentifier(info.name)) WHERE \(info.rowidName) = ?", [.integer(rowid)])).isEmpty {
                return [(n, rowid)]
            }
        }
        return []
    }

    /// The row as a shard holds it (for RETURNING).
    func capture(shard: Int, rowid: Int64) throws {
        guard engine.capturing == info.gid else { return }
        let cols = info.columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        if let row = try engine.shard(shard).query("SELECT \(cols) FROM \(quoteIdentifier(info.name)) WHERE \(info.rowidName) = ?", [.integer(rowid)]).first {
            engine.captured.append(row)
        }
    }

    func delete(rowid: Int64) throws {
        engine.adjustRowCount(info, by: -1)
        if let (shard, local) = try targetShards(forRowid: rowid).first { try capture(shard: shard, rowid: local) }
        for (shard, local) in try targetShards(forRowid: rowid) {
            let conn = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: "DELETE FROM \(quoteIdentifier(info.name)) WHERE \(info.rowidName) = ?")
            defer { s.reset() }
            try s.bind(.integer(local), at: 1)
            try engine.checkFault(shard: shard, operation: "delete")
            while try s.step() {}
            _ = conn
        }
    }

    func insert(argv: UnsafeMutablePointer<OpaquePointer?>, argc: Int, conflict: Int32) throws -> Int64 {
        let cols = info.columns.indices.filter { !info.columns[$0].isGenerated }
        var shards: [Int]
        var overrides: [Int: SQLValue] = [:]
        var explicitRowid: Int64? = nil
        if sqlite3_value_type(argv[1]) != SQLITE_NULL { explicitRowid = sqlite3_value_int64(argv[1]) }
        if info.placement == .sharded {
            let alias = info.rowidAliasIndex
            var key: [SQLValue] = []
            for k in info.keyIndexes {
                let col = info.columns[k]
                var v = SQLValue(sqliteValue: argv[2 + k])
                if v == .null, k == alias {
                    // An INTEGER PRIMARY KEY left NULL: one database would assign max(rowid)+1;
                    // assign the same over every shard.
                    let next = try engine.nextRowid(info)
                    overrides[k] = .integer(next)
                    v = .integer(next)
                }
                key.append(col.affinity.apply(v))
            }
            if alias == nil && explicitRowid == nil {
                // Rowids are allocated cluster-wide (max + 1 over every shard, as one database
                // does), so a scan merged by rowid meets rows in one database's order.
                explicitRowid = try engine.nextRowid(info)
            }
            shards = [engine.shard(forKey: key, of: info)]
        } else {
            shards = Array(1...engine.catalog.shardCount)
        }
        let withRowid = explicitRowid != nil && info.rowidAliasIndex == nil
        let sql = "INSERT \(conflictClause(conflict))INTO \(quoteIdentifier(info.name))(" + (withRowid ? info.rowidName + ", " : "") +
            cols.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ") + ") VALUES(" + (withRowid ? "?, " : "") +
            cols.map { _ in "?" }.joined(separator: ", ") + ")"
        var result: Int64 = 0
        for (n, shard) in shards.enumerated() {
            let conn = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: sql)
            defer { s.reset() }
            var slot = 1
            if withRowid { try s.bind(.integer(explicitRowid!), at: 1); slot = 2 }
            for (i, c) in cols.enumerated() {
                if let o = overrides[c] { try s.bind(o, at: i + slot) } else { s.bindValue(argv[2 + c], at: i + slot) }
            }
            try engine.checkFault(shard: shard, operation: "insert")
            while try s.step() {}
            if conflict == SQLITE_IGNORE && conn.changes == 0 {
                if n == 0 { throw WriteError(code: SQLITE_CONSTRAINT, message: "") }
            }
            if n == 0 { result = conn.lastInsertRowid }
        }
        if info.placement == .sharded {
            remember(rowid: result, shard: shards[0])
            engine.noteRowid(info, result)
        }
        engine.adjustRowCount(info, by: 1)
        return result
    }

    func updateRow(old: Int64, argv: UnsafeMutablePointer<OpaquePointer?>, argc: Int, conflict: Int32) throws {
        var setColumns: [Int] = []
        for i in info.columns.indices where !info.columns[i].isGenerated {
            if sqlite3_value_nochange(argv[2 + i]) == 0 { setColumns.append(i) }
        }
        // Key columns are always read (their values place the row), so they never look
        // unchanged: the UPDATE's own SET list says whether one is assigned.
        if info.placement == .sharded, let (gid, assigned) = engine.updateAssignments, gid == info.gid {
            setColumns.removeAll { info.keyIndexes.contains($0) && !assigned.contains(info.columns[$0].name.lowercased()) }
        }
        if setColumns.isEmpty { return }
        var targets = try targetShards(forRowid: old)
        if info.placement == .sharded {
            // The key's values (always read, even when unchanged) name the shard outright.
            var key: [SQLValue] = []
            for k in info.keyIndexes {
                let v = argv[2 + k]
                if sqlite3_value_nochange(v) != 0 { key = []; break }
                key.append(info.columns[k].affinity.apply(SQLValue(sqliteValue: v)))
            }
            if !key.isEmpty, let (gid, _) = engine.updateAssignments, gid == info.gid,
               !setColumns.contains(where: { info.keyIndexes.contains($0) }) {
                targets = [(engine.shard(forKey: key, of: info), old)]
            }
        }
        if targets.isEmpty { return }
        if info.placement == .sharded {
            let changedKeys = setColumns.filter { info.keyIndexes.contains($0) }
            if !changedKeys.isEmpty {
                // The key is in the SET list: allowed only when it keeps its value.
                let (shard, local) = targets[0]
                let conn = try engine.shard(shard)
                let names = changedKeys.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ")
                let current = try conn.query("SELECT \(names) FROM \(quoteIdentifier(info.name)) WHERE \(info.rowidName) = ?", [.integer(local)])
                if let row = current.first {
                    for (j, k) in changedKeys.enumerated() {
                        let aff = info.columns[k].affinity
                        if aff.apply(SQLValue(sqliteValue: argv[2 + k])) != row[j] {
                            throw EngineError(ClusterEngine.shardKeyUpdateMessage, code: "0A000")
                        }
                    }
                }
            }
        }
        let sql = "UPDATE \(conflictClause(conflict))\(quoteIdentifier(info.name)) SET " +
            setColumns.map { quoteIdentifier(info.columns[$0].name) + " = ?" }.joined(separator: ", ") + " WHERE \(info.rowidName) = ?"
        for (shard, local) in targets {
            _ = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: sql)
            defer { s.reset() }
            for (j, i) in setColumns.enumerated() { s.bindValue(argv[2 + i], at: j + 1) }
            try s.bind(.integer(local), at: setColumns.count + 1)
            try engine.checkFault(shard: shard, operation: "update")
            while try s.step() {}
        }
        if let (shard, local) = targets.first { try capture(shard: shard, rowid: local) }
    }
}

extension VirtualTable {
    /// The SELECT a scan sends to each shard it visits, with the pushed-down comparisons
    /// (`clauses`, each `"col" op ?`); a scan of several shards asks for rowid order so the
    /// streams merge as one table's rows. EXPLAIN prints the same text.
    static func shardSelect(_ info: TableInfo, clauses: [String], multiShard: Bool, used: UInt64? = nil) -> String {
        var sql = "SELECT " + info.rowidName
        for (i, c) in info.columns.enumerated() {
            // A column the statement does not read keeps its place as NULL.
            if let used, i < 64, used & (UInt64(1) << UInt64(i)) == 0 { sql += ", NULL"; continue }
            sql += ", " + quoteIdentifier(c.name)
        }
        sql += " FROM " + quoteIdentifier(info.name)
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        if multiShard { sql += " ORDER BY " + info.rowidName }
        return sql
    }

    /// The pushed-down comparisons an xBestIndex plan (`idxStr`) names, as shard SQL.
    static func pushedClauses(_ info: TableInfo, plan: String) -> [(column: Int, op: Int32, sql: String)] {
        splitPlan(plan).constraints.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let col = Int(parts[0]), let op = Int32(parts[1]), col < info.columns.count else { return nil }
            let c = PushedConstraint(column: col, op: op)
            return (col, op, c.sql(quoteIdentifier(info.columns[col].name)))
        }
    }
}

final class VirtualCursor {
    let table: VirtualTable
    /// One open scan per shard that may hold matching rows; rows are merged in rowid order so
    /// a scan of a sharded table meets rows in the order one database would (rowids are
    /// allocated cluster-wide, see `VirtualTable.insert`).
    var scans: [(shard: Int, statement: Statement, gate: ConnectionGate)] = []
    /// The scans' statement handles, and their connections' gates (hot paths read these).
    var handles: [OpaquePointer] = []
    var gates: [ConnectionGate] = []
    /// How many producers run in the process (`ConnectionGate.running`).
    private let running = ConnectionGate.running
    var alive: [Bool] = []
    var currentIndex = -1
    var statementSQL = ""
    var eof = true

    /// A scan starts on the router's thread (a lookup or a small table costs no thread); once
    /// it has returned `parallelAfter` rows of a read-only statement, each shard's statement
    /// moves to a `RowProducer` that steps it on a worker thread, and the cursor merges their
    /// batches instead. In that mode `batches[i]` holds shard i's current batch and `heads[i]`
    /// (plain memory: read on every row and column without copies, reference counting or
    /// exclusivity checks) where the shard's next row is in it.
    var producers: [RowProducer<PackedRows>?] = []
    var batches: [PackedRows?] = []
    struct Head {
        var batch: Unmanaged<PackedRows>?
        var rowids: UnsafeMutablePointer<Int64>?
        var count = 0
        var row = 0
    }
    var heads: UnsafeMutablePointer<Head>?
    var streaming = false
    var rowsReturned = 0
    /// Rows a scan returns on the router's thread before its shards get producers
    /// (LIMITLESS_STREAM_AFTER overrides it; 0 turns the producers off).
    static let parallelAfter: Int = {
        if let v = getenv("LIMITLESS_STREAM_AFTER"), let n = Int(String(cString: v)) { return n }
        return 512
    }()

    init(table: VirtualTable) { self.table = table }

    func close() {
        if streaming {
            for p in producers { p?.stop() }
            producers = []
            batches = []
            heads?.deinitialize(count: scans.count)
            heads?.deallocate()
            heads = nil
            streaming = false
        }
        if !scans.isEmpty {
            // The statements stay with the cursor for its next filter with the same SQL (the
            // inner side of a join filters once per outer row).
            if keptSQL != statementSQL {
                returnKept()
                keptSQL = statementSQL
            }
            for (shard, s, gate) in scans {
                let locked = gate.lockIfShared()
                s.reset()
                if locked { gate.unlock() }
                if kept.count <= shard { kept += Array(repeating: nil, count: shard + 1 - kept.count) }
                kept[shard] = s
            }
            scans.removeAll(keepingCapacity: true)
            handles.removeAll(keepingCapacity: true)
            gates.removeAll(keepingCapacity: true)
            alive.removeAll(keepingCapacity: true)
        }
        currentIndex = -1
        rowsReturned = 0
    }

    /// Statements of `keptSQL` by shard, reset, for the next filter; returned to the engine's
    /// pool when the SQL changes and when the cursor closes.
    private var kept: [Statement?] = []
    private var keptSQL = ""
    /// The last shard SQL built, for the plan, the comparisons left to the router (bit i: the
    /// i-th pushed comparison) and whether it merged several shards.
    private var lastSQL: (plan: String, skipped: UInt64, multi: Bool, sql: String, keys: [VirtualTable.MergeKey]?)?
    /// The keys the shards' rows merge by when they come in an index's order (see
    /// ScanOrder.swift); nil: by rowid.
    private var mergeKeys: [VirtualTable.MergeKey]?

    private func returnKept() {
        for (shard, s) in kept.enumerated() {
            guard let s else { continue }
            let gate = try? table.gate(shard)
            let locked = gate?.lockIfShared() ?? false
            table.engine.returnScan(s, shard: shard, sql: keptSQL)
            if locked { gate?.unlock() }
        }
        kept.removeAll(keepingCapacity: true)
    }

    /// xClose: the scan ends and its statements go back to the engine's pool.
    func finish() {
        close()
        returnKept()
    }

    func filter(plan: String, argc: Int, argv: UnsafeMutablePointer<OpaquePointer?>?) throws {
        close()
        let info = table.info
        var binds: [OpaquePointer?] = []
        var keyValues: [Int: SQLValue] = [:]
        var arg = 0
        var skipped: UInt64 = 0
        var skippedBeyond = Set<Int>()  // past the mask's 64 bits (never cached)
        var inCounts: [Int: Int] = [:]  // the values of each IN list sent (never cached)
        var copies: [OpaquePointer?] = []
        defer { for c in copies { sqlite3_value_free(c) } }
        let constraints = VirtualTable.splitPlan(plan).constraints
        let items = constraints.isEmpty ? [] : constraints.split(separator: ",")
        if !items.isEmpty {
            for (n, item) in items.enumerated() {
                let parts = item.split(separator: ":")
                let c = PushedConstraint(column: Int(parts[0])!, op: Int32(parts[1])!)
                let column = info.columns[c.column]
                var value: OpaquePointer? = nil
                if c.op == PushedConstraint.inList {
                    // The list's values (NULL matches nothing); too many for one statement's
                    // variables: the router tests every row itself.
                    let list = argv?[arg]; arg += 1
                    var values: [OpaquePointer?] = []
                    var v: OpaquePointer? = nil
                    var rc = sqlite3_vtab_in_first(list, &v)
                    while rc == SQLITE_OK, let value = v {
                        // Each value lives until the next call: kept as a copy until xFilter ends.
                        if sqlite3_value_type(value) != SQLITE_NULL { values.append(sqlite3_value_dup(value)) }
                        rc = sqlite3_vtab_in_next(list, &v)
                    }
                    copies += values
                    if values.isEmpty && (rc == SQLITE_OK || rc == SQLITE_DONE) { eof = true; return }
                    if rc != SQLITE_DONE || values.count > 10_000 {
                        if n < 64 { skipped |= UInt64(1) << UInt64(n) } else { skippedBeyond.insert(n) }
                        continue
                    }
                    inCounts[n] = values.count
                    binds += values
                    continue
                }
                if c.hasArgument {
                    value = argv?[arg]; arg += 1
                    // A text column compared with a number: the router compares after numeric
                    // affinity, the shard would not. An equality is sent as
                    // `CAST(col AS NUMERIC) = ?`, which keeps every row the router's comparison
                    // keeps (and a few more, such as '3abc' for 3, which the router drops), so
                    // a join on such columns does not read the whole table per outer row; other
                    // comparisons are left to the router.
                    let t = sqlite3_value_type(value)
                    if !column.affinity.isNumeric && (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
                        if n < 64 { skipped |= UInt64(1) << UInt64(n) } else { skippedBeyond.insert(n) }
                        if c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_IS { binds.append(value) }
                        continue
                    }
                    // `col = NULL` (and <, > …) match nothing.
                    if c.op != SQLITE_INDEX_CONSTRAINT_IS && t == SQLITE_NULL { eof = true; return }
                    if c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_IS {
                        keyValues[c.column] = column.affinity.apply(SQLValue(sqliteValue: value))
                    }
                } else if c.op == SQLITE_INDEX_CONSTRAINT_ISNULL {
                    keyValues[c.column] = .null
                }
                if c.hasArgument { binds.append(value) }
            }
        }
        var shards: [Int]
        switch info.placement {
        case .reference: shards = [table.engine.referenceReadShard]
        default:
            let keys = info.keyIndexes.compactMap { keyValues[$0] }
            let binaryKey = info.keyIndexes.allSatisfy { info.columns[$0].collation.uppercased() == "BINARY" }
            if keys.count == info.keyIndexes.count, !keys.isEmpty, binaryKey {
                shards = [table.engine.shard(forKey: keys, of: info)]
            } else {
                shards = Array(1...table.engine.catalog.shardCount)
            }
        }
        let sql: String
        if skippedBeyond.isEmpty, inCounts.isEmpty, let last = lastSQL, last.skipped == skipped, last.multi == (shards.count > 1), last.plan == plan {
            sql = last.sql
            mergeKeys = last.keys
        } else {
            var clauses: [String] = []
            for (n, item) in items.enumerated() {
                let parts = item.split(separator: ":")
                let c = PushedConstraint(column: Int(parts[0])!, op: Int32(parts[1])!)
                let name = quoteIdentifier(info.columns[c.column].name)
                if n < 64 ? skipped & (UInt64(1) << UInt64(n)) != 0 : skippedBeyond.contains(n) {
                    if c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_IS {
                        clauses.append("CAST(" + name + " AS NUMERIC) = ?")
                    }
                    continue
                }
                clauses.append(c.sql(name, count: inCounts[n] ?? 2))
            }
            let table = self.table
            (sql, mergeKeys) = VirtualTable.scanSelect(info, plan: plan, clauses: clauses, multiShard: shards.count > 1) { probe, sorted in
                guard let gate = try? table.gate(1) else { return nil }
                let locked = gate.lockIfShared()
                defer { if locked { gate.unlock() } }
                return table.engine.scanReadOrder(probe, table: info, sorted: sorted)
            }
            lastSQL = skippedBeyond.isEmpty && inCounts.isEmpty ? (plan, skipped, shards.count > 1, sql, mergeKeys) : nil
        }
        statementSQL = sql
        let reuse = sql == keptSQL
        let started = table.engine.explainRecorder != nil ? monotonicNanos() : 0
        for shard in shards {
            let gate = try table.gate(shard)
            let locked = gate.lockIfShared()
            defer { if locked { gate.unlock() } }
            let s: Statement
            if reuse, shard < kept.count, let k = kept[shard] {
                kept[shard] = nil
                s = k
            } else {
                s = try table.engine.borrowScan(shard: shard, sql: sql)
            }
            scans.append((shard, s, gate))
            handles.append(s.handle)
            gates.append(gate)
            for (i, v) in binds.enumerated() { s.bindValue(v, at: i + 1) }
            alive.append(try s.step())
        }
        if let recorder = table.engine.explainRecorder {
            stat = recorder.scan(gid: info.gid, plan: plan)
            stat?.record(shards: shards, sql: sql, nanos: monotonicNanos() - started)
        }
        pick()
    }

    /// The value of column `column` of the shard SELECT (0: the rowid) at shard i's current row.
    private func headValue(_ i: Int, _ column: Int32) -> SQLValue {
        if streaming, let h = heads?[i] {
            if column == 0 { return .integer(h.rowids![h.row]) }
            return h.batch!._withUnsafeGuaranteedRef { $0.value(row: h.row, column: Int(column) - 1) }
        }
        let locked = running.pointee != 0
        if locked { gates[i].lock() }
        defer { if locked { gates[i].unlock() } }
        return SQLValue(sqliteValue: sqlite3_column_value(handles[i], column))
    }

    /// Whether shard i's current row comes before shard j's by `keys`.
    private func before(_ i: Int, _ j: Int, _ keys: [VirtualTable.MergeKey]) -> Bool {
        for k in keys {
            let c = SQLiteOrder.compare(headValue(i, k.column), headValue(j, k.column), k.collation)
            if c != 0 { return k.descending ? c > 0 : c < 0 }
        }
        return false
    }

    /// EXPLAIN ANALYZE's counters for this scan (nil unless EXPLAIN ANALYZE is running).
    var stat: ScanStatistics?

    private func headRowid(_ i: Int) -> Int64 {
        if streaming, let h = heads?[i] { return h.rowids![h.row] }
        if running.pointee == 0 { return sqlite3_column_int64(handles[i], 0) }
        let gate = gates[i]
        gate.lock()
        defer { gate.unlock() }
        return sqlite3_column_int64(handles[i], 0)
    }

    private func pick() {
        var best = -1
        var bestRowid = Int64.max
        let alive = self.alive
        if alive.count == 1 {
            if alive[0] { best = 0 }
        } else if let keys = mergeKeys {
            for i in alive.indices where alive[i] {
                if best < 0 || before(i, best, keys) { best = i }
            }
        } else if streaming {
            let heads = self.heads!
            for i in alive.indices where alive[i] {
                let r = heads[i].rowids![heads[i].row]
                if best < 0 || r < bestRowid { best = i; bestRowid = r }
            }
        } else if running.pointee == 0 {
            let handles = self.handles
            for i in alive.indices where alive[i] {
                let r = sqlite3_column_int64(handles[i], 0)
                if best < 0 || r < bestRowid { best = i; bestRowid = r }
            }
        } else {
            for i in alive.indices where alive[i] {
                let r = headRowid(i)
                if best < 0 || r < bestRowid { best = i; bestRowid = r }
            }
        }
        currentIndex = best
        eof = best < 0
        if best >= 0 { stat?.rows += 1 }
    }

    func next() throws {
        guard currentIndex >= 0 else { eof = true; return }
        let started = stat != nil ? monotonicNanos() : 0
        let i = currentIndex
        if streaming {
            try advance(i)
        } else {
            let gate = gates[i]
            let locked = gate.lockIfShared()
            defer { if locked { gate.unlock() } }
            alive[i] = try scans[i].statement.step()
        }
        rowsReturned += 1
        if !streaming && rowsReturned == VirtualCursor.parallelAfter && readOnlyStatement() {
            try startProducers()
        }
        if let stat { stat.nanos += monotonicNanos() - started }
        pick()
    }

    /// Moves shard i's head to its next row, taking the next batch when one is used up.
    private func advance(_ i: Int) throws {
        let h = heads! + i
        h.pointee.row += 1
        if h.pointee.row < h.pointee.count { return }
        h.pointee = Head()
        batches[i] = nil
        if let b = try producers[i]!.take() {
            batches[i] = b
            h.pointee = Head(batch: Unmanaged.passUnretained(b), rowids: b.rowids, count: b.count, row: 0)
        } else {
            alive[i] = false
        }
    }

    /// True when every statement running on the router connection only reads: the shard
    /// connections then see no writes (xUpdate, commit) until this scan's statement ends.
    private func readOnlyStatement() -> Bool {
        let db = table.engine.router.handle
        var s = sqlite3_next_stmt(db, nil)
        while let stmt = s {
            if sqlite3_stmt_busy(stmt) != 0 && sqlite3_stmt_readonly(stmt) == 0 { return false }
            s = sqlite3_next_stmt(db, stmt)
        }
        return true
    }

    /// Hands every shard statement that still has rows (each sits on its next unread row) to
    /// a producer thread, then waits for their first batches.
    private func startProducers() throws {
        producers = Array(repeating: nil, count: scans.count)
        batches = Array(repeating: nil, count: scans.count)
        heads = .allocate(capacity: scans.count)
        heads!.initialize(repeating: Head(), count: scans.count)
        for i in scans.indices where alive[i] {
            producers[i] = RowProducer<PackedRows>(statement: scans[i].statement, db: scans[i].statement.db, onRow: true)
        }
        streaming = true
        for i in scans.indices where alive[i] { try advance(i) }
    }

    func column(_ ctx: OpaquePointer?, _ i: Int) {
        // Columns an UPDATE leaves alone are not read (sqlite3_vtab_nochange), except the shard
        // key, whose value tells xUpdate where the row lives.
        if sqlite3_vtab_nochange(ctx) != 0 && !table.info.keyIndexes.contains(i) { return }
        guard currentIndex >= 0 else { sqlite3_result_null(ctx); return }
        if streaming {
            let h = heads![currentIndex]
            h.batch?._withUnsafeGuaranteedRef { $0.result(ctx, row: h.row, column: i) }
            return
        }
        if running.pointee == 0 {
            sqlite3_result_value(ctx, sqlite3_column_value(handles[currentIndex], Int32(i + 1)))
            return
        }
        let gate = gates[currentIndex]
        gate.lock()
        sqlite3_result_value(ctx, sqlite3_column_value(handles[currentIndex], Int32(i + 1)))
        gate.unlock()
    }

    var rowid: Int64 {
        guard currentIndex >= 0 else { return 0 }
        let r = headRowid(currentIndex)
        if table.info.placement == .sharded { table.remember(rowid: r, shard: scans[currentIndex].shard) }
        return r
    }
}
