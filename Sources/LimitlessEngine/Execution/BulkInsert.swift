import CSQLite
import LimitlessSupport
import SQLSyntax

/// The direct path for the commonest bulk write: `INSERT INTO sharded_table (cols) VALUES
/// (…), (…), …` whose values are all plain constants (integers, strings, NULL). Instead of
/// passing each row through the router's virtual table (SQLite compiles the whole statement,
/// then calls xUpdate row by row), the rows are read straight from the text, each row's shard
/// is found from its key, and the row goes to that shard through the same prepared INSERT the
/// virtual table uses, inside the same shard write transactions (`shardForWrite`), so two-phase
/// commit, redo capture and error reports are what the virtual-table path gives:
///
/// - the key's values are placed after the column's affinity; an INTEGER PRIMARY KEY key left
///   NULL and the rowid of a table without one are allocated cluster-wide (`nextRowid`);
/// - columns the list leaves out get NULL (a column with a DEFAULT sends the statement to the
///   general path, which evaluates DEFAULTs at the router);
/// - the statement is atomic: outside BEGIN … COMMIT it commits (or rolls back) on its own, as
///   the router's implicit transaction would; inside a block, a failing row rolls back every row
///   of the statement (a savepoint on each shard it wrote, and the shards' redo rewound).
///
/// Anything else — expressions, reals, blobs, DEFAULT VALUES, OR IGNORE / REPLACE, ON CONFLICT,
/// RETURNING, a missing or unknown column, rows of the wrong width, reference and standard
/// tables — returns nil and takes the general path, which also reports its errors.
struct BulkInsertStatement: Equatable {
    var tableName: String
    /// Column names as listed (nil: no list).
    var columnNames: [String]?
    /// The rows' values, row after row (`width` each).
    var values: [SQLValue]
    var width: Int
    var rowCount: Int { width == 0 ? 0 : values.count / width }
    var rows: [[SQLValue]] { (0..<rowCount).map { Array(values[($0 * width)..<($0 * width + width)]) } }

    static func parse(_ sql: String) -> BulkInsertStatement? {
        var copy = sql
        return copy.withUTF8 { parse($0) }
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> BulkInsertStatement? {
        let n = b.count
        var i = 0
        func skipSpace() { while i < n, b[i] == 32 || (b[i] >= 9 && b[i] <= 13) { i += 1 } }
        /// A bare word (returns its range) — no quoted names, no comments.
        func word() -> (Int, Int)? {
            skipSpace()
            let s = i
            guard i < n, Tokens.isIdent(b[i]), !(b[i] >= 48 && b[i] <= 57), b[i] != 36 else { return nil }
            while i < n && Tokens.isIdent(b[i]) { i += 1 }
            return (s, i)
        }
        /// A name: a bare word or a "quoted" identifier (doubled quotes inside).
        func name() -> String? {
            skipSpace()
            guard i < n else { return nil }
            if b[i] == 34 {
                var out: [UInt8] = []
                i += 1
                while i < n {
                    if b[i] == 34 {
                        if i + 1 < n && b[i + 1] == 34 { out.append(34); i += 2; continue }
                        i += 1
                        return String(decoding: out, as: UTF8.self)
                    }
                    out.append(b[i]); i += 1
                }
                return nil
            }
            guard let (s, e) = word() else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
        }
        func punct(_ c: UInt8) -> Bool {
            skipSpace()
            if i < n && b[i] == c { i += 1; return true }
            return false
        }
        guard let (s0, e0) = word(), Tokens.wordIs(b, s0, e0, "INSERT"),
              let (s1, e1) = word(), Tokens.wordIs(b, s1, e1, "INTO"),
              let table = name() else { return nil }
        var columns: [String]? = nil
        if punct(40) {
            var list: [String] = []
            repeat {
                guard let c = name() else { return nil }
                list.append(c)
            } while punct(44)
            guard punct(41) else { return nil }
            columns = list
        }
        guard let (s2, e2) = word(), Tokens.wordIs(b, s2, e2, "VALUES") else { return nil }
        var values: [SQLValue] = []
        var width = -1
        repeat {
            guard punct(40) else { return nil }
            let rowStart = values.count
            repeat {
                skipSpace()
                guard i < n else { return nil }
                let c = b[i]
                if c == 39 {
                    i += 1
                    let s = i
                    var doubled = false
                    var closed = false
                    while i < n {
                        if b[i] == 39 {
                            if i + 1 < n && b[i + 1] == 39 { doubled = true; i += 2; continue }
                            closed = true; break
                        }
                        i += 1
                    }
                    guard closed else { return nil }
                    let text: String
                    if doubled {
                        var out: [UInt8] = []
                        var j = s
                        while j < i { out.append(b[j]); j += b[j] == 39 ? 2 : 1 }
                        text = String(decoding: out, as: UTF8.self)
                    } else {
                        text = String(decoding: UnsafeBufferPointer(rebasing: b[s..<i]), as: UTF8.self)
                    }
                    i += 1
                    values.append(.text(text))
                } else if c == 45 || (c >= 48 && c <= 57) {
                    var negative = false
                    if c == 45 { negative = true; i += 1; skipSpace() }
                    let s = i
                    var v: Int64 = 0
                    while i < n && b[i] >= 48 && b[i] <= 57 {
                        v = v &* 10 &+ Int64(b[i] - 48)
                        i += 1
                    }
                    // Plain integers of up to 18 digits only (no reals, hex, exponents).
                    guard i > s, i - s <= 18, i >= n || !(Tokens.isIdent(b[i]) || b[i] == 46) else { return nil }
                    values.append(.integer(negative ? -v : v))
                } else if let (s, e) = word() {
                    guard Tokens.wordIs(b, s, e, "NULL") else { return nil }
                    values.append(.null)
                } else {
                    return nil
                }
            } while punct(44)
            guard punct(41) else { return nil }
            let count = values.count - rowStart
            if width < 0 { width = count } else if count != width { return nil }
        } while punct(44)
        skipSpace()
        while i < n && b[i] == 59 { i += 1; skipSpace() }
        guard i == n, width > 0 else { return nil }
        return BulkInsertStatement(tableName: table, columnNames: columns, values: values, width: width)
    }
}

extension ClusterEngine {
    /// A bulk INSERT of at least this many rows over several shards inserts on the shards in
    /// parallel (fewer rows are not worth starting threads for).
    static let parallelInsertRows = 64

    /// The shard INSERT the virtual table and the bulk path send (`rowid` first when the table
    /// has no INTEGER PRIMARY KEY and the rowid is allocated here).
    static func shardInsertSQL(_ info: TableInfo, conflict: String, withRowid: Bool) -> String {
        let cols = info.columns.filter { !$0.isGenerated }
        return "INSERT \(conflict)INTO \(quoteIdentifier(info.name))(" + (withRowid ? info.rowidName + ", " : "") +
            cols.map { quoteIdentifier($0.name) }.joined(separator: ", ") + ") VALUES(" + (withRowid ? "?, " : "") +
            cols.map { _ in "?" }.joined(separator: ", ") + ")"
    }

    /// Runs `sql` through the direct bulk path when it qualifies (see `BulkInsertStatement`);
    /// nil when it does not (nothing has been done then).
    func bulkInsert(_ sql: String) throws(EngineError) -> StatementResult? {
        guard let stmt = BulkInsertStatement.parse(sql), let info = catalog.table(stmt.tableName),
              info.placement == .sharded else { return nil }
        // Map each listed column to the table's column; every other column must have no DEFAULT.
        let writable = info.columns.indices.filter { !info.columns[$0].isGenerated }
        var source = [Int](repeating: -1, count: info.columns.count)   // table column → value index
        if let names = stmt.columnNames {
            for (j, name) in names.enumerated() {
                guard let c = info.columnIndex(name), !info.columns[c].isGenerated, source[c] < 0 else { return nil }
                source[c] = j
            }
        } else {
            guard writable.count == info.columns.count else { return nil }
            for c in info.columns.indices { source[c] = c }
        }
        let width = stmt.columnNames?.count ?? info.columns.count
        guard stmt.width == width else { return nil }
        for c in writable where source[c] < 0 && info.columns[c].defaultSQL != nil { return nil }
        let alias = info.rowidAliasIndex
        for k in info.keyIndexes where source[k] < 0 && k != alias { return nil }  // the general path reports it

        // With savepoints open, the general path mirrors them on the shards the statement joins.
        guard routerSavepoints.isEmpty, openSavepoints.isEmpty else { return nil }
        try directWriteTransaction(info) { (join: (Int) throws(EngineError) -> Database) throws(EngineError) in
            // Route every row first (its shard, and the rowid or INTEGER PRIMARY KEY value
            // allocated here), then insert each shard's rows — the shards in parallel.
            let rows = stmt.rowCount
            var allocated = [Int64](repeating: 0, count: rows)   // the rowid or key given here, 0 if none
            var rowsOf = [[Int]](repeating: [], count: catalog.shardCount + 1)
            var last: Int64? = nil          // the last rowid handed out
            var maxGiven: Int64? = nil      // the largest INTEGER PRIMARY KEY value the rows give
            func allocate() throws(EngineError) -> Int64 {
                var next: Int64
                if let last { next = last &+ 1 } else { next = try nextRowid(info) }
                if let m = maxGiven, m >= next { next = m &+ 1 }
                last = next
                return next
            }
            var key: [SQLValue] = []
            key.reserveCapacity(info.keyIndexes.count)
            let values = stmt.values
            for r in 0..<rows {
                let base = r * width
                key.removeAll(keepingCapacity: true)
                for k in info.keyIndexes {
                    var v: SQLValue = source[k] >= 0 ? values[base + source[k]] : .null
                    if v == .null, k == alias {
                        let next = try allocate()
                        allocated[r] = next
                        v = .integer(next)
                    }
                    let placed = info.columns[k].affinity.apply(v)
                    if k == alias, case let .integer(given) = placed, given > (maxGiven ?? .min) { maxGiven = given }
                    key.append(placed)
                }
                if alias == nil { allocated[r] = try allocate() }
                let shard = self.shard(forKey: key, of: info)
                guard shard >= 1 && shard <= catalog.shardCount else {
                    throw EngineError("hash range maps to shard \(shard), which does not exist", code: "XX000")
                }
                rowsOf[shard].append(r)
            }
            let shards = (1...catalog.shardCount).filter { !rowsOf[$0].isEmpty }
            let sqlText = ClusterEngine.shardInsertSQL(info, conflict: "", withRowid: alias == nil)
            var statements: [Statement] = []
            for n in shards {
                _ = try join(n)
                statements.append(try cachedStatement(shard: n, sql: sqlText))
            }
            // Each job inserts one shard's rows in their order and stops at its first failing
            // row. Rows on different shards cannot conflict, so the failing row with the lowest
            // number is the one a row-by-row insert would have stopped at.
            let failures = Slots<(row: Int, error: EngineError)>(shards.count)
            let faultyShard = shards.firstIndex { fault == "shard-\($0)-insert" }
            let insertShard = { [rowsOf, allocated, statements] (job: Int) in
                let s = statements[job]
                for r in rowsOf[shards[job]] {
                    if job == faultyShard {
                        failures[job] = (r, EngineError("injected fault: insert on shard \(shards[job])", code: "XX000"))
                        return
                    }
                    let base = r * width
                    do throws(EngineError) {
                        defer { s.reset() }
                        var slot = 1
                        if alias == nil { try s.bind(.integer(allocated[r]), at: 1); slot = 2 }
                        for (i, c) in writable.enumerated() {
                            let v: SQLValue
                            if c == alias, allocated[r] != 0 { v = .integer(allocated[r]) } else { v = source[c] >= 0 ? values[base + source[c]] : .null }
                            try s.bind(v, at: i + slot)
                        }
                        while try s.step() {}
                    } catch {
                        failures[job] = (r, error)
                        return
                    }
                }
            }
            if rows >= ClusterEngine.parallelInsertRows && shards.count > 1 {
                Parallel.run(shards.count, insertShard)
            } else {
                for job in shards.indices {
                    insertShard(job)
                    if failures[job] != nil { break }
                }
            }
            var first: (row: Int, error: EngineError)? = nil
            for job in shards.indices {
                if let f = failures[job], f.row < first?.row ?? .max { first = f }
            }
            if let first { throw first.error }
            if let top = [last, maxGiven].compactMap({ $0 }).max() { noteRowid(info, top) }
        }
        let count = stmt.rowCount
        adjustRowCount(info, by: Int64(count))
        return .command(tag: "INSERT 0 \(count)", rowsAffected: count)
    }
}

extension ClusterEngine {
    /// The direct path for `DELETE FROM sharded_table [WHERE condition]` when the condition reads
    /// only that table's columns through literals and operators (no subquery, no function, no
    /// parameter): the statement runs as written on each shard that may hold matching rows (the
    /// one a pinned key names, else all), inside the same shard write transactions the virtual
    /// table uses — instead of the router scanning every row and deleting it by rowid. Each
    /// shard evaluates the condition over the same declared columns, as one database would.
    /// Atomicity follows `bulkInsert`. Nil when the statement does not qualify. Only for a
    /// statement that is its own transaction: inside BEGIN … COMMIT a second writer waiting on
    /// this path failed with 55P03 once the first committed, where the general path waits.
    func directDelete(_ sql: String) throws(EngineError) -> StatementResult? {
        guard fault == nil, !explicitTransaction, routerSavepoints.isEmpty, openSavepoints.isEmpty,
              let parsed = try? SQLSyntax.parseOne(sql), case let .delete(d) = parsed.kind,
              d.with == nil, d.alias == nil, d.indexed == nil, d.returning.isEmpty,
              d.table.schema == nil || d.table.schema?.lowercased() == "main",
              let info = catalog.table(d.table.name), info.placement == .sharded,
              ownColumnsOnly(d.where, info, tableName: d.table.name) else { return nil }
        let deleted = try directWrite(sql, info, shards: directShards(d.where, info))
        adjustRowCount(info, by: -Int64(deleted))
        return .command(tag: "DELETE \(deleted)", rowsAffected: deleted)
    }

    /// The same direct path for `UPDATE sharded_table SET col = expr, … [WHERE condition]` when
    /// the new values and the condition read only the table's own columns through literals and
    /// operators and no shard-key column is assigned (that error, and everything else, stays
    /// with the general path). `UPDATE accounts SET balance = balance - 1 WHERE acct = 7` runs on
    /// the one shard that holds account 7. Only for a statement that is its own transaction, as
    /// `directDelete`.
    func directUpdate(_ sql: String) throws(EngineError) -> StatementResult? {
        guard fault == nil, !explicitTransaction, routerSavepoints.isEmpty, openSavepoints.isEmpty,
              let parsed = try? SQLSyntax.parseOne(sql), case let .update(u) = parsed.kind,
              u.with == nil, u.orAction == nil, u.alias == nil, u.indexed == nil, u.from == nil, u.returning.isEmpty,
              u.table.schema == nil || u.table.schema?.lowercased() == "main",
              let info = catalog.table(u.table.name), info.placement == .sharded,
              ownColumnsOnly(u.where, info, tableName: u.table.name) else { return nil }
        for set in u.sets {
            for c in set.columns {
                guard let ci = info.columnIndex(c), !info.keyIndexes.contains(ci), !info.columns[ci].isGenerated else { return nil }
            }
            guard ownColumnsOnly(set.value, info, tableName: u.table.name) else { return nil }
        }
        let updated = try directWrite(sql, info, shards: directShards(u.where, info))
        return .command(tag: "UPDATE \(updated)", rowsAffected: updated)
    }

    /// True when `e` reads only the table's own columns through literals and operators.
    private func ownColumnsOnly(_ e: Expr?, _ info: TableInfo, tableName: String) -> Bool {
        let table = tableName.lowercased()
        var simple = true
        e?.forEach { node in
            switch node {
            case .subquery, .exists, .inSelect, .inTable, .function, .parameter, .raise, .array:
                simple = false
            case let .column(c):
                if let s = c.schema, s.lowercased() != "main" { simple = false }
                if let t = c.table, t.lowercased() != table { simple = false }
                let lower = c.column.lowercased()
                if info.columnIndex(c.column) == nil && !["rowid", "oid", "_rowid_"].contains(lower) { simple = false }
            default: break
            }
        }
        return simple
    }

    /// The shards a condition can match: the one a pinned key (every key column `= literal` at
    /// the top level) names, else all.
    private func directShards(_ condition: Expr?, _ info: TableInfo) -> [Int] {
        if info.keyIndexes.allSatisfy({ info.columns[$0].collation.uppercased() == "BINARY" }) {
            var pinned: [Int: SQLValue] = [:]
            for c in condition?.conjuncts ?? [] {
                guard case let .binary(.eq, l, r) = c else { continue }
                var col: ColumnRef? = nil, lit: SQLValue? = nil
                if case let .column(cr) = l, let v = literalValue(r) { col = cr; lit = v }
                else if case let .column(cr) = r, let v = literalValue(l) { col = cr; lit = v }
                guard let cr = col, let value = lit, value != .null, let ci = info.columnIndex(cr.column) else { continue }
                pinned[ci] = info.columns[ci].affinity.apply(value)
            }
            let key = info.keyIndexes.compactMap { pinned[$0] }
            if !key.isEmpty && key.count == info.keyIndexes.count {
                return [shard(forKey: key, of: info)]
            }
        }
        return Array(1...catalog.shardCount)
    }

    /// Runs `body` as one atomic write that bypasses the virtual table. Outside a block it is a
    /// transaction of its own (router `BEGIN IMMEDIATE`, committed through the coordinator).
    /// Inside one, the table joins the router's transaction as a virtual-table write would (a
    /// write that changes nothing), so later SAVEPOINT / ROLLBACK TO reach the shards as they
    /// always do, and each shard the statement writes gets a savepoint and a redo mark, so a
    /// failing statement leaves none of its rows. `body` asks for each shard's connection
    /// through the function it is given.
    func directWriteTransaction<T>(_ info: TableInfo,
                                   _ body: ((Int) throws(EngineError) -> Database) throws(EngineError) -> T) throws(EngineError) -> T {
        let own = !explicitTransaction
        if own {
            try router.exec("BEGIN IMMEDIATE")
            captures[0]?.reset()
        } else {
            let joinSQL = "DELETE FROM \(quoteIdentifier(info.name)) WHERE 0"
            let s: Statement
            if let cached = statementCache["router|" + joinSQL] { s = cached } else {
                s = try router.prepare(joinSQL)
                statementCache["router|" + joinSQL] = s
            }
            defer { s.reset() }
            while try s.step() {}
        }
        var touched: [Int: Int] = [:]   // shard → redo records before the statement
        func join(_ n: Int) throws(EngineError) -> Database {
            let conn = try shardForWrite(n)
            if !own && touched[n] == nil {
                try conn.exec("SAVEPOINT limitless_bulk")
                touched[n] = captures[n]?.count ?? 0
            }
            return conn
        }
        do throws(EngineError) {
            let result = try body(join)
            for (n, _) in touched { try shardConnections[n]?.exec("RELEASE limitless_bulk") }
            touched.removeAll()
            if own { try commitAll() }
            return result
        } catch {
            if own {
                if router.inTransaction { try? router.exec("ROLLBACK") }
                rollbackShardTransactions()
            } else {
                for (n, mark) in touched {
                    try? shardConnections[n]?.exec("ROLLBACK TO limitless_bulk; RELEASE limitless_bulk")
                    captures[n]?.truncate(to: mark)
                }
            }
            throw error
        }
    }

    /// Runs a write statement as written on `shards` in one direct write; the rows it changed.
    private func directWrite(_ sql: String, _ info: TableInfo, shards: [Int]) throws(EngineError) -> Int {
        try directWriteTransaction(info) { (join: (Int) throws(EngineError) -> Database) throws(EngineError) -> Int in
            var changed = 0
            for n in shards {
                let conn = try join(n)
                let s = try conn.prepare(sql)
                while try s.step() {}
                changed += conn.changes
            }
            return changed
        }
    }
}
