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
        u.takeUnretainedValue().close()
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
    m.xSync = { p in SQLITE_OK }
    m.xCommit = { p in
        vtabObject(p).engine.commitShardTransactions(); return SQLITE_OK
    }
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
    var hasArgument: Bool { op != SQLITE_INDEX_CONSTRAINT_ISNULL && op != SQLITE_INDEX_CONSTRAINT_ISNOTNULL }
    var sqlOperator: String {
        switch op {
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
        var argIndex: Int32 = 0
        var cost = 1_000_000.0
        var rows: Int64 = 1_000_000
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
            let pushed = PushedConstraint(column: Int(c.iColumn), op: op)
            plan.append("\(pushed.column):\(op)")
            if pushed.hasArgument {
                argIndex += 1
                info.pointee.aConstraintUsage[i].argvIndex = argIndex
            }
            info.pointee.aConstraintUsage[i].omit = 0
            switch op {
            case SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_IS, SQLITE_INDEX_CONSTRAINT_ISNULL:
                cost /= 20; rows /= 20
                if self.info.keyIndexes.contains(Int(c.iColumn)) { keyPinned.insert(Int(c.iColumn)) }
            default:
                cost /= 3; rows /= 3
            }
        }
        if self.info.placement == .sharded, !self.info.keyIndexes.isEmpty, keyPinned.count == self.info.keyIndexes.count {
            cost /= Double(max(engine.catalog.shardCount, 1))
        }
        info.pointee.estimatedCost = max(cost, 1)
        info.pointee.estimatedRows = max(rows, 1)
        if !plan.isEmpty {
            info.pointee.idxStr = sqliteString(plan.joined(separator: ","))
            info.pointee.needToFreeIdxStr = 1
        }
        return SQLITE_OK
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

    private func targetShards(forRowid global: Int64) -> [(Int, Int64)] {
        if info.placement == .reference {
            return (1...engine.catalog.shardCount).map { ($0, global) }
        }
        let (shard, local) = RowidCodec.decode(global)
        return [(shard, local)]
    }

    func delete(rowid: Int64) throws {
        for (shard, local) in targetShards(forRowid: rowid) {
            let conn = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: "DELETE FROM \(quoteIdentifier(info.name)) WHERE rowid = ?")
            defer { s.reset() }
            try s.bind(.integer(local), at: 1)
            try engine.checkFault(shard: shard, operation: "delete")
            while try s.step() {}
            _ = conn
        }
    }

    func insert(argv: UnsafeMutablePointer<OpaquePointer?>, argc: Int, conflict: Int32) throws -> Int64 {
        let cols = info.columns.indices.filter { !info.columns[$0].isGenerated }
        var values: [OpaquePointer?] = cols.map { argv[2 + $0] }
        var shards: [Int]
        var integerKeyAssigned: Int64? = nil
        if info.placement == .sharded {
            var key: [SQLValue] = []
            for k in info.keyIndexes {
                let col = info.columns[k]
                var v = SQLValue(sqliteValue: argv[2 + k])
                if v == .null, info.keyIndexes.count == 1, col.primaryKeyPosition == 1,
                   col.declaredType.uppercased() == "INTEGER", info.columns.filter({ $0.primaryKeyPosition > 0 }).count == 1 {
                    // An INTEGER PRIMARY KEY shard key left NULL: one database would assign
                    // max(rowid)+1; assign the same over every shard.
                    let next = try engine.maxValue(table: info, column: col.name) + 1
                    integerKeyAssigned = next
                    v = .integer(next)
                }
                key.append(col.affinity.apply(v))
            }
            shards = [engine.shard(forKey: key, collocation: info.collocationID)]
        } else {
            shards = Array(1...engine.catalog.shardCount)
        }
        let sql = "INSERT \(conflictClause(conflict))INTO \(quoteIdentifier(info.name))(" +
            cols.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ") + ") VALUES(" +
            cols.map { _ in "?" }.joined(separator: ", ") + ")"
        var result: Int64 = 0
        for (n, shard) in shards.enumerated() {
            let conn = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: sql)
            defer { s.reset() }
            for (i, _) in cols.enumerated() {
                if let assigned = integerKeyAssigned, cols[i] == info.keyIndexes[0] {
                    try s.bind(.integer(assigned), at: i + 1)
                } else {
                    s.bindValue(values[i], at: i + 1)
                }
            }
            try engine.checkFault(shard: shard, operation: "insert")
            while try s.step() {}
            if conflict == SQLITE_IGNORE && conn.changes == 0 {
                if n == 0 { throw WriteError(code: SQLITE_CONSTRAINT, message: "") }
            }
            if n == 0 {
                result = info.placement == .sharded ? RowidCodec.encode(shard: shard, local: conn.lastInsertRowid) : conn.lastInsertRowid
            }
        }
        values.removeAll()
        return result
    }

    func updateRow(old: Int64, argv: UnsafeMutablePointer<OpaquePointer?>, argc: Int, conflict: Int32) throws {
        var setColumns: [Int] = []
        for i in info.columns.indices where !info.columns[i].isGenerated {
            if sqlite3_value_nochange(argv[2 + i]) == 0 { setColumns.append(i) }
        }
        if setColumns.isEmpty { return }
        let targets = targetShards(forRowid: old)
        if info.placement == .sharded {
            let changedKeys = setColumns.filter { info.keyIndexes.contains($0) }
            if !changedKeys.isEmpty {
                // The key is in the SET list: allowed only when it keeps its value.
                let (shard, local) = targets[0]
                let conn = try engine.shard(shard)
                let names = changedKeys.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ")
                let current = try conn.query("SELECT \(names) FROM \(quoteIdentifier(info.name)) WHERE rowid = ?", [.integer(local)])
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
            setColumns.map { quoteIdentifier(info.columns[$0].name) + " = ?" }.joined(separator: ", ") + " WHERE rowid = ?"
        for (shard, local) in targets {
            _ = try engine.shardForWrite(shard)
            let s = try engine.cachedStatement(shard: shard, sql: sql)
            defer { s.reset() }
            for (j, i) in setColumns.enumerated() { s.bindValue(argv[2 + i], at: j + 1) }
            try s.bind(.integer(local), at: setColumns.count + 1)
            try engine.checkFault(shard: shard, operation: "update")
            while try s.step() {}
        }
    }
}

/// Rowids the router sees for sharded tables: the shard's rowid with the shard's index in the
/// low 10 bits, so UPDATE and DELETE through the virtual table find the row again.
enum RowidCodec {
    static func encode(shard: Int, local: Int64) -> Int64 { (local << 10) | Int64(shard - 1) }
    static func decode(_ v: Int64) -> (Int, Int64) { (Int(v & 1023) + 1, v >> 10) }
}

final class VirtualCursor {
    let table: VirtualTable
    var shards: [Int] = []
    var position = 0
    var statement: Statement?
    var statementSQL = ""
    var current: Statement?
    var eof = true

    init(table: VirtualTable) { self.table = table }

    func close() {
        if let s = statement { table.engine.returnScan(s, shard: shards.isEmpty ? 0 : shards[min(position, shards.count - 1)], sql: statementSQL) }
        statement = nil
    }

    func filter(plan: String, argc: Int, argv: UnsafeMutablePointer<OpaquePointer?>?) throws {
        close()
        let info = table.info
        var clauses: [String] = []
        var binds: [OpaquePointer?] = []
        var keyValues: [Int: SQLValue] = [:]
        var arg = 0
        if !plan.isEmpty {
            for item in plan.split(separator: ",") {
                let parts = item.split(separator: ":")
                let c = PushedConstraint(column: Int(parts[0])!, op: Int32(parts[1])!)
                let column = info.columns[c.column]
                var value: OpaquePointer? = nil
                if c.hasArgument {
                    value = argv?[arg]; arg += 1
                    // A text column compared with a number: the router compares after numeric
                    // affinity, the shard would not; leave that one to the router.
                    let t = sqlite3_value_type(value)
                    if !column.affinity.isNumeric && (t == SQLITE_INTEGER || t == SQLITE_FLOAT) { continue }
                    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_IS), t != SQLITE_NULL || c.op == SQLITE_INDEX_CONSTRAINT_IS {
                        keyValues[c.column] = column.affinity.apply(SQLValue(sqliteValue: value))
                    }
                    // `col = NULL` matches nothing.
                    if c.op != SQLITE_INDEX_CONSTRAINT_IS && t == SQLITE_NULL { shards = []; eof = true; return }
                } else if c.op == SQLITE_INDEX_CONSTRAINT_ISNULL {
                    keyValues[c.column] = .null
                }
                clauses.append(quoteIdentifier(column.name) + " " + c.sqlOperator + (c.hasArgument ? " ?" : ""))
                if c.hasArgument { binds.append(value) }
            }
        }
        var sql = "SELECT rowid"
        for c in info.columns { sql += ", " + quoteIdentifier(c.name) }
        sql += " FROM " + quoteIdentifier(info.name)
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        statementSQL = sql
        switch info.placement {
        case .reference: shards = [table.engine.referenceReadShard]
        default:
            let keys = info.keyIndexes.compactMap { keyValues[$0] }
            let binaryKey = info.keyIndexes.allSatisfy { info.columns[$0].collation.uppercased() == "BINARY" }
            if keys.count == info.keyIndexes.count, !keys.isEmpty, binaryKey {
                shards = [table.engine.shard(forKey: keys, collocation: info.collocationID)]
            } else {
                shards = Array(1...table.engine.catalog.shardCount)
            }
        }
        self.binds = binds
        position = -1
        try advanceShard()
    }

    private var binds: [OpaquePointer?] = []

    private func advanceShard() throws {
        while true {
            if let s = statement { table.engine.returnScan(s, shard: shards[position], sql: statementSQL); statement = nil }
            position += 1
            if position >= shards.count { eof = true; return }
            let s = try table.engine.borrowScan(shard: shards[position], sql: statementSQL)
            statement = s
            for (i, v) in binds.enumerated() { s.bindValue(v, at: i + 1) }
            if try s.step() { eof = false; return }
        }
    }

    func next() throws {
        guard let s = statement else { eof = true; return }
        if try s.step() { return }
        try advanceShard()
    }

    func column(_ ctx: OpaquePointer?, _ i: Int) {
        if sqlite3_vtab_nochange(ctx) != 0 { return }
        guard let s = statement else { sqlite3_result_null(ctx); return }
        sqlite3_result_value(ctx, sqlite3_column_value(s.handle, Int32(i + 1)))
    }

    var rowid: Int64 {
        guard let s = statement else { return 0 }
        let local = sqlite3_column_int64(s.handle, 0)
        return table.info.placement == .sharded ? RowidCodec.encode(shard: shards[position], local: local) : local
    }
}
