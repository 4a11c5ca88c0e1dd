import CSQLite
#if canImport(Glibc)
import Glibc
#endif
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

/// A direct DELETE / UPDATE by its template text (`fastDirectWrite`): the table it writes (nil
/// when the statement does not qualify for the direct path), where the shard key's value comes
/// from when the WHERE clause pins it, and the statement prepared on each shard it ran on.
final class DirectWritePlan {
    enum Source { case value(SQLValue), parameter(Int) }
    var info: TableInfo?
    let isDelete: Bool
    let key: [Source]?
    var statements: [Int: Statement] = [:]
    init(info: TableInfo?, isDelete: Bool, key: [Source]?) { self.info = info; self.isDelete = isDelete; self.key = key }
}

extension ClusterEngine {
    /// The direct path for `DELETE FROM sharded_table [WHERE condition]` when the condition reads
    /// only that table's columns through literals and operators (no subquery, no function, no
    /// parameter): the statement runs as written on each shard that may hold matching rows (the
    /// one a pinned key names, else all), inside the same shard write transactions the virtual
    /// table uses — instead of the router scanning every row and deleting it by rowid. Each
    /// shard evaluates the condition over the same declared columns, as one database would.
    /// Atomicity follows `bulkInsert`, inside BEGIN … COMMIT too (see `directWriteTransaction`
    /// for how a second writer waits there). Nil when the statement does not qualify.
    ///
    /// The same direct path serves `UPDATE sharded_table SET col = expr, … [WHERE condition]`
    /// when the new values and the condition read only the table's own columns through literals
    /// and operators and no shard-key column is assigned (that error, and everything else, stays
    /// with the general path). `UPDATE accounts SET balance = balance - 1 WHERE acct = 7` runs on
    /// the one shard that holds account 7.
    func directDelete(_ sql: String) throws(EngineError) -> StatementResult? {
        guard fault == nil, routerSavepoints.isEmpty, openSavepoints.isEmpty,
              let parsed = try? SQLSyntax.parseOne(sql), let (info, isDelete, condition) = directTarget(parsed.kind, templated: false),
              isDelete else { return nil }
        let deleted = try directWrite(sql, info, condition: condition)
        adjustRowCount(info, by: -Int64(deleted))
        return .command(tag: "DELETE \(deleted)", rowsAffected: deleted)
    }

    /// See `directDelete`.
    func directUpdate(_ sql: String) throws(EngineError) -> StatementResult? {
        guard fault == nil, routerSavepoints.isEmpty, openSavepoints.isEmpty,
              let parsed = try? SQLSyntax.parseOne(sql), let (info, isDelete, condition) = directTarget(parsed.kind, templated: false),
              !isDelete else { return nil }
        let updated = try directWrite(sql, info, condition: condition)
        return .command(tag: "UPDATE \(updated)", rowsAffected: updated)
    }

    /// The table a DELETE / UPDATE writes and its condition when the statement qualifies for
    /// the direct path (see `directDelete`). `templated`: the text is a template whose `?N`
    /// parameters stand for literals (`fastDirectWrite`).
    private func directTarget(_ kind: StatementKind, templated: Bool) -> (TableInfo, Bool, Expr?)? {
        switch kind {
        case let .delete(d):
            guard d.with == nil, d.alias == nil, d.indexed == nil, d.returning.isEmpty,
                  d.table.schema == nil || d.table.schema?.lowercased() == "main",
                  let info = catalog.table(d.table.name), info.placement == .sharded,
                  ownColumnsOnly(d.where, info, tableName: d.table.name, templated: templated) else { return nil }
            return (info, true, d.where)
        case let .update(u):
            guard u.with == nil, u.orAction == nil, u.alias == nil, u.indexed == nil, u.from == nil, u.returning.isEmpty,
                  u.table.schema == nil || u.table.schema?.lowercased() == "main",
                  let info = catalog.table(u.table.name), info.placement == .sharded,
                  ownColumnsOnly(u.where, info, tableName: u.table.name, templated: templated) else { return nil }
            for set in u.sets {
                for c in set.columns {
                    guard let ci = info.columnIndex(c), !info.keyIndexes.contains(ci), !info.columns[ci].isGenerated else { return nil }
                }
                guard ownColumnsOnly(set.value, info, tableName: u.table.name, templated: templated) else { return nil }
            }
            return (info, false, u.where)
        default:
            return nil
        }
    }

    /// Direct DELETE / UPDATE through a cached template, before the statement is scanned or
    /// parsed at all: a statement whose text differs from one seen before only in the integer
    /// and string literals of its WHERE clause (`SelectTemplate`'s rewrite: a bound value means
    /// what the literal meant) reuses that one's analysis, its shard pick and its statement
    /// prepared on each shard. Nil when the statement does not qualify (nothing done then).
    func fastDirectWrite(_ sql: String) throws(EngineError) -> StatementResult? {
        // A READ ONLY transaction's refusal (25006) is the general path's to give.
        guard fault == nil, !transactionFailed, routerSavepoints.isEmpty, openSavepoints.isEmpty,
              let first = sql.utf8.first, first | 0x20 == 0x75 || first | 0x20 == 0x64,   // u, d
              !(explicitTransaction ? blockReadOnly : settings.session["default_transaction_read_only"] == "on"),
              !catalog.tables.isEmpty, let t = SelectTemplate.make("SELECT " + sql) else { return nil }
        let text = String(t.text.dropFirst(7))
        let plan: DirectWritePlan
        if let p = directPlans[text] { plan = p } else {
            if directPlans.count >= 256 { directPlans.removeAll() }
            plan = makeDirectPlan(text)
            directPlans[text] = plan
        }
        guard let info = plan.info else { return nil }
        if explicitTransaction { blockRanQuery = true }
        do throws(EngineError) {
            // As `execute` does before a statement.
            try recoverBeforeStatement()
            if explicitTransaction && repeatableRead { try takeTransactionSnapshot() }
            try refreshRouterSnapshot()
            let changed = try directWriteTransaction(info) { (join: (Int) throws(EngineError) -> Database) throws(EngineError) -> Int in
                try runOnShards(directShards(plan.key, t.values, info), t.values, join) { (n: Int, conn: Database) throws(EngineError) -> Statement in
                    if let cached = plan.statements[n] { return cached }
                    let s = try conn.prepare(text)
                    plan.statements[n] = s
                    return s
                }
            }
            if plan.isDelete {
                adjustRowCount(info, by: -Int64(changed))
                return .command(tag: "DELETE \(changed)", rowsAffected: changed)
            }
            return .command(tag: "UPDATE \(changed)", rowsAffected: changed)
        } catch {
            if explicitTransaction { markTransactionFailed() }
            throw error
        }
    }

    /// Analyses a template once. SQLite must accept the text as it is (a PostgreSQL spelling
    /// the front end rewrites goes the general way): it is prepared on shard 1 to find out.
    private func makeDirectPlan(_ text: String) -> DirectWritePlan {
        guard let parsed = try? SQLSyntax.parseOne(text), let (info, isDelete, condition) = directTarget(parsed.kind, templated: true),
              let shardOne = try? shard(1), let s = try? shardOne.prepare(text) else {
            return DirectWritePlan(info: nil, isDelete: false, key: nil)
        }
        let plan = DirectWritePlan(info: info, isDelete: isDelete, key: keySources(condition, info))
        plan.statements[1] = s
        return plan
    }

    /// True when `e` reads only the table's own columns through literals and operators (and,
    /// in a template, its `?N` parameters).
    private func ownColumnsOnly(_ e: Expr?, _ info: TableInfo, tableName: String, templated: Bool = false) -> Bool {
        let table = tableName.lowercased()
        var simple = true
        e?.forEach { node in
            switch node {
            case let .parameter(p) where templated:
                if ClusterEngine.parameterIndex(p.text) == nil { simple = false }
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

    /// Where each shard-key column's value comes from when the condition pins the whole key
    /// (every key column `= constant` at the top level, the key's collations all BINARY); nil
    /// when it does not (every shard may hold matching rows).
    private func keySources(_ condition: Expr?, _ info: TableInfo) -> [DirectWritePlan.Source]? {
        guard info.keyIndexes.allSatisfy({ info.columns[$0].collation.uppercased() == "BINARY" }) else { return nil }
        func constant(_ e: Expr) -> DirectWritePlan.Source? {
            if let v = literalValue(e) { return v == .null ? nil : .value(v) }
            if case let .parameter(p) = e, let i = ClusterEngine.parameterIndex(p.text) { return .parameter(i) }
            return nil
        }
        var pinned: [Int: DirectWritePlan.Source] = [:]
        for c in condition?.conjuncts ?? [] {
            guard case let .binary(.eq, l, r) = c else { continue }
            var col: ColumnRef? = nil, src: DirectWritePlan.Source? = nil
            if case let .column(cr) = l, let v = constant(r) { col = cr; src = v }
            else if case let .column(cr) = r, let v = constant(l) { col = cr; src = v }
            guard let cr = col, let source = src, let ci = info.columnIndex(cr.column) else { continue }
            pinned[ci] = source
        }
        let key = info.keyIndexes.compactMap { pinned[$0] }
        return !key.isEmpty && key.count == info.keyIndexes.count ? key : nil
    }

    /// The shards a condition can match: the one its pinned key names (values after the key
    /// columns' affinity, `values` filling template parameters), else all.
    private func directShards(_ key: [DirectWritePlan.Source]?, _ values: [SQLValue], _ info: TableInfo) -> [Int] {
        guard let key else { return Array(1...catalog.shardCount) }
        var resolved: [SQLValue] = []
        resolved.reserveCapacity(key.count)
        for (k, source) in zip(info.keyIndexes, key) {
            let v: SQLValue
            switch source {
            case let .value(x): v = x
            case let .parameter(i): v = i < values.count ? values[i] : .null
            }
            resolved.append(info.columns[k].affinity.apply(v))
        }
        return [shard(forKey: resolved, of: info)]
    }

    /// Runs `body` as one atomic write that bypasses the virtual table. Outside a block it is a
    /// transaction of its own (router `BEGIN IMMEDIATE`, committed through the coordinator).
    /// Inside one, the table joins the router's transaction as a virtual-table write would (a
    /// write that changes nothing, `joinRouterWrite`), so later SAVEPOINT / ROLLBACK TO reach the
    /// shards as they always do, and each shard the statement writes gets a savepoint and a redo
    /// mark, so a failing statement leaves none of its rows. `body` asks for each shard's
    /// connection through the function it is given; it must not read router.db before that
    /// (see `joinRouterWrite`).
    func directWriteTransaction<T>(_ info: TableInfo,
                                   _ body: ((Int) throws(EngineError) -> Database) throws(EngineError) -> T) throws(EngineError) -> T {
        let own = !explicitTransaction
        if own {
            try router.exec("BEGIN IMMEDIATE")
            captures[0]?.reset()
        } else {
            try joinRouterWrite(info)
        }
        var touched: [Int: Int] = [:]   // shard → redo records before the statement
        // A statement that fails inside a block aborts it (25P02 until ROLLBACK), so its
        // half-done changes need undoing on their own only when a savepoint lets the block go
        // on (ROLLBACK TO): then each shard it touches gets a statement savepoint.
        let statementSavepoint = !own && !(openSavepoints.isEmpty && routerSavepoints.isEmpty)
        func join(_ n: Int) throws(EngineError) -> Database {
            let conn = try shardForWrite(n)
            if statementSavepoint && touched[n] == nil {
                try conn.control("SAVEPOINT limitless_bulk")
                touched[n] = captures[n]?.count ?? 0
            }
            return conn
        }
        do throws(EngineError) {
            let result = try body(join)
            for (n, _) in touched { try shardConnections[n]?.control("RELEASE limitless_bulk") }
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

    /// Inside a block: makes `info`'s virtual table a writer in the router's transaction
    /// (`DELETE … WHERE 0` changes nothing but takes router.db's write lock and enlists the
    /// table, whose xSync then commits the shards with the router).
    ///
    /// The wait for that lock is where the direct path once failed with 55P03 instead of waiting:
    /// SQLite never calls the busy handler for a connection that already holds a read
    /// transaction and asks for the write lock (so that two such upgraders cannot deadlock); it
    /// answers SQLITE_BUSY at once. The direct path used to pick its shards — whose first use in
    /// a process reads the hash ranges from router.db — before joining, so inside a block the
    /// router held a read transaction by then. Shards are now picked after the join; a router
    /// read transaction can still be open from an earlier statement of the block (REPEATABLE
    /// READ keeps it; READ COMMITTED drops it between statements, `refreshRouterSnapshot`),
    /// and for that case the join is retried here until the busy timeout, as SQLite's handler
    /// would. Nothing holds a shard write lock without holding the router's (every shard write
    /// joins the router first), so the wait cannot close a cycle. If the other writer changed
    /// router.db meanwhile, the snapshot is stale: SQLITE_BUSY_SNAPSHOT, 40001.
    ///
    /// A table joins once per block: it stays enlisted, and the router keeps its write lock,
    /// until the block ends (ROLLBACK TO undoes rows, not the enlistment). Each direct statement
    /// brings its own per-shard savepoint, so it needs no statement savepoint of the router.
    func joinRouterWrite(_ info: TableInfo) throws(EngineError) {
        if routerJoined.contains(info.gid), sqlite3_txn_state(router.handle, "main") == SQLITE_TXN_WRITE { return }
        let joinSQL = "DELETE FROM \(quoteIdentifier(info.name)) WHERE 0"
        let s: Statement
        if let cached = statementCache["router|" + joinSQL] { s = cached } else {
            s = try router.prepare(joinSQL)
            statementCache["router|" + joinSQL] = s
        }
        defer { s.reset() }
        var waited: Int64 = 0   // microseconds
        var pause: Int64 = 1_000
        while true {
            do throws(EngineError) {
                while try s.step() {}
                routerJoined.insert(info.gid)
                return
            } catch where error.code == "55P03" && waited < Int64(Database.busyTimeoutMilliseconds) * 1_000
                            && sqlite3_txn_state(router.handle, "main") == SQLITE_TXN_READ {
                s.reset()
                usleep(UInt32(pause))
                waited += pause
                pause = min(pause * 2, 50_000)
            }
        }
    }

    /// Before a write through the virtual tables inside a block: when the router holds a read
    /// transaction (an earlier statement read router.db), the statement's own request for the
    /// write lock would not wait (see `joinRouterWrite`), so the table joins first, waiting.
    func joinRouterBeforeWrite(_ info: TableInfo) throws(EngineError) {
        guard explicitTransaction, sqlite3_txn_state(router.handle, "main") == SQLITE_TXN_READ else { return }
        try joinRouterWrite(info)
    }

    /// Runs a write statement as written, in one direct write, on the shards its condition can
    /// match; the rows it changed. The shards are picked inside the write, after the router
    /// joined (the first pick in a process reads router.db: see `joinRouterWrite`).
    private func directWrite(_ sql: String, _ info: TableInfo, condition: Expr?) throws(EngineError) -> Int {
        try directWriteTransaction(info) { (join: (Int) throws(EngineError) -> Database) throws(EngineError) -> Int in
            try runOnShards(directShards(keySources(condition, info), [], info), [], join) { (_: Int, conn: Database) throws(EngineError) -> Statement in
                try conn.prepare(sql)
            }
        }
    }

    /// Runs one write statement on each of `shards` (`statement` gives it prepared on that
    /// shard's connection), bound with `values`; the rows changed, summed. The shards join the
    /// write (lock, savepoint) one after another on this thread; then, when there are several,
    /// their statements run in parallel (`Parallel.map`), each job stepping one shard's
    /// statement on that shard's own connection, whose redo capture is its own too. The first
    /// error (in shard order) is thrown once every job is done; the caller rolls back.
    private func runOnShards(_ shards: [Int], _ values: [SQLValue],
                             _ join: (Int) throws(EngineError) -> Database,
                             _ statement: (Int, Database) throws(EngineError) -> Statement) throws(EngineError) -> Int {
        var jobs: [(conn: Database, stmt: Statement)] = []
        jobs.reserveCapacity(shards.count)
        for n in shards {
            let conn = try join(n)
            jobs.append((conn, try statement(n, conn)))
        }
        let work = jobs
        let changed = try Parallel.map(work.count) { i throws(EngineError) -> Int in
            let (conn, s) = work[i]
            defer { s.reset() }
            try s.bind(values)
            while try s.step() {}
            return conn.changes
        }
        return changed.reduce(0, +)
    }
}
