import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import SQLSyntax

/// What EXPLAIN ANALYZE measured of a pushed-down statement.
struct PushdownStatistics {
    var rowsPerShard: [Int] = []
    var shardNanos: UInt64 = 0
    var mergeNanos: UInt64 = 0
    var broadcastRows = 0
    var resultRows = 0
    /// For hashable partial aggregates: whether the hash ran (false: the shards ran the SQL).
    var hashedAggregates: Bool? = nil
}

extension ClusterEngine {
    /// SQLite's aggregate functions (lower-case), asked of SQLite once per session.
    var aggregateFunctionNames: Set<String> {
        if let names = aggregateNamesCache { return names }
        var names: Set<String> = ["count", "sum", "total", "avg", "min", "max", "group_concat"]
        if let rows = try? router.query("SELECT DISTINCT name FROM pragma_function_list WHERE type IN ('a', 'w')") {
            for r in rows { if case let .text(n) = r.first ?? .null { names.insert(n.lowercased()) } }
        }
        aggregateNamesCache = names
        return names
    }

    /// Tier 2: the plan that lets every shard run `sql` for its own rows, or nil.
    func pushdownPlan(_ sql: String) -> PushdownPlan? {
        copiesPromised = false
        guard catalog.shardCount > 1, catalog.tables.values.contains(where: { $0.placement == .sharded }),
              let stmt = try? SQLSyntax.parseOne(sql), case let .select(select) = stmt.kind else { return nil }
        let planner = PushdownPlanner(table: { [catalog] in catalog.table($0) },
                                      rowCount: { [unowned self] in self.rowCount($0) },
                                      aggregateNames: aggregateFunctionNames,
                                      accessOrder: { [unowned self] in self.accessOrder(sql, table: $0, ordered: $1) },
                                      groupOrder: { [unowned self] in self.groupReadOrder(sql, table: $0) },
                                      copyable: { [unowned self] tables in
                                          // The planner steps aside exactly when this says yes.
                                          let yes = self.routerCopyable(sql, tables)
                                          if yes { self.copiesPromised = true }
                                          return yes
                                      },
                                      realSumCopyRows: routerCopyRows / 10)
        guard var plan = planner.plan(select) else { return nil }
        if plan.partialAggregates, case .combine = plan.merge {
            plan.hashAggregate = HashAggregateSpec(plan.shardSelect, aggregateNames: aggregateFunctionNames,
                                                   declared: shardColumns(plan))
        }
        return plan
    }

    /// Runs a pushed-down SELECT: every shard in parallel, under one read snapshot, then the
    /// router's merge.
    func runPushdown(_ plan: PushdownPlan, _ sql: String) throws(EngineError) -> StatementResult {
        // Column names as one database names them: from the statement as written.
        let columns = try shard(1).prepare(sql).columnNames
        let snapshot = transactionSnapshot == nil ? try beginReadSnapshot() : []
        defer { endReadSnapshot(snapshot) }
        let shards = Array(1...catalog.shardCount)
        for n in shards { _ = try shard(n) }
        var stats = PushdownStatistics()
        let started = monotonicNanos()
        if !plan.broadcasts.isEmpty {
            stats.broadcastRows = try broadcast(plan.broadcasts, to: shards)
        }
        defer { if !plan.broadcasts.isEmpty { dropBroadcasts(plan.broadcasts, shards) } }
        // Hashable partial aggregates run by the hash path when it applies (its rows are few);
        // everything else streams from the shards.
        var hashed: [[[SQLValue]]]? = nil
        if let spec = plan.hashAggregate, case .combine = plan.merge {
            hashed = try hashAggregateEverywhere(spec, shards)
            stats.hashedAggregates = hashed != nil
        }
        // Appended and merged rows stream to the caller's sink when it has one, and so do the
        // combine query's rows for DISTINCT. Combined aggregates come back whole: an integer
        // overflow in their sums sends the statement to the router (see `dispatch`), which
        // must not happen once rows went out.
        var combines = false
        if case .combine = plan.merge { combines = true }
        let out = RowOutput(self, columns: columns, stream: !plan.partialAggregates)
        let streams = hashed == nil ? try openStreams(plan, shards, bounded: out.streaming && !combines) : []
        defer { for p in streams { p.stop() } }
        stats.rowsPerShard = hashed?.map(\.count) ?? Array(repeating: 0, count: shards.count)
        var mergeNanos: UInt64 = 0
        switch plan.merge {
        case .concat:
            // Shard by shard, in shard order; the others keep producing meanwhile (their
            // queues are not bounded when the answer is kept whole: it holds every row anyway).
            try window(plan, into: out) { (emit: (inout [SQLValue]) -> Bool) throws(EngineError) in
                for (i, p) in streams.enumerated() {
                    while let batch = try p.take() {
                        let t = monotonicNanos()
                        defer { mergeNanos += monotonicNanos() - t }
                        stats.rowsPerShard[i] += batch.count
                        for var row in batch.rows { if !emit(&row) { return } }
                    }
                }
            }
        case let .sorted(keys):
            try window(plan, into: out) { (emit: (inout [SQLValue]) -> Bool) throws(EngineError) in
                try mergeSorted(streams, keys, &stats.rowsPerShard, &mergeNanos, emit)
            }
        case let .combine(sql: combineSQL, declarations: decls):
            if let hashed {
                try combine(combineSQL, decls, into: out) { (insert: Statement) throws(EngineError) in
                    for part in hashed { for row in part { try insert.bind(row); while try insert.step() {}; insert.reset() } }
                }
            } else {
                try combine(combineSQL, decls, into: out) { (insert: Statement) throws(EngineError) in
                    for (i, p) in streams.enumerated() {
                        while let batch = try p.take() {
                            stats.rowsPerShard[i] += batch.count
                            for row in batch.rows { try insert.bind(row); while try insert.step() {}; insert.reset() }
                        }
                    }
                }
            }
        }
        stats.shardNanos = monotonicNanos() - started
        stats.mergeNanos = mergeNanos
        lastPlanTier = nil
        stats.resultRows = out.count
        pushdownStatistics = stats
        return out.result(command: "SELECT \(out.count)")
    }

    /// Starts one producer per shard on the pushed-down statement. Sorted merges read their
    /// streams in step, so each keeps only a few batches; concat and combine read one shard
    /// after another and let the others run ahead — without bound when the answer is kept
    /// whole anyway (or loaded into the router's temp table), up to
    /// `RowStreamLimits.aheadBatches` when appended rows stream out (`bounded`).
    private func openStreams(_ plan: PushdownPlan, _ shards: [Int], bounded: Bool) throws(EngineError) -> [RowProducer<ValueRows>] {
        var capacity = bounded ? RowStreamLimits.aheadBatches : Int.max
        if case .sorted = plan.merge { capacity = RowStreamLimits.queuedBatches }
        var streams: [RowProducer<ValueRows>] = []
        for n in shards {
            let db = try shard(n)
            let stmt: Statement
            do { stmt = try db.prepare(plan.shardSQL) } catch {
                for p in streams { p.stop() }
                throw error
            }
            streams.append(RowProducer<ValueRows>(statement: stmt, db: db, capacity: capacity))
        }
        return streams
    }

    /// OFFSET and LIMIT applied at the router to the rows `produce` emits (without their hidden
    /// sort columns), which go to `out`; `emit` returns false once the window is full.
    private func window(_ plan: PushdownPlan, into out: RowOutput,
                        _ produce: ((inout [SQLValue]) -> Bool) throws(EngineError) -> Void) throws(EngineError) {
        var skip = plan.offset
        let limit = plan.limit
        let hidden = plan.hiddenColumns
        if let limit, limit <= 0 { return }
        try produce { row in
            if skip > 0 { skip -= 1; return true }
            if hidden > 0 { row.removeLast(min(hidden, row.count)) }
            out.add(row)
            if let limit, Int64(out.count) >= limit { return false }
            return true
        }
    }

    /// Runs `sql` on every shard at once; the rows of each, in shard order.
    func runEverywhere(_ sql: String, _ shards: [Int]) throws(EngineError) -> [[[SQLValue]]] {
        let box = Unchecked(shards.map { shardConnections[$0]! })
        let out = Result { () throws(EngineError) -> [[[SQLValue]]] in
            try Parallel.map(shards.count) { i throws(EngineError) in
                let stmt = try box.value[i].prepare(sql)
                var rows: [[SQLValue]] = []
                while try stmt.step() { rows.append(stmt.row()) }
                return rows
            }
        }
        if ClusterEngine.interrupted { throw EngineError("canceling statement due to user request", code: "57014") }
        return try out.get()
    }

    /// Copies each broadcast table's rows (read under the statement's snapshot) into a temp
    /// table on every shard. Returns the rows copied per shard.
    private func broadcast(_ tables: [PushdownPlan.Broadcast], to shards: [Int]) throws(EngineError) -> Int {
        var copied = 0
        for b in tables {
            let cols = b.table.columns.filter { $0.hidden != 1 }
            let names = cols.map { quoteIdentifier($0.name) }.joined(separator: ", ")
            // The rowid travels too: a statement may read it, and one database would show the table's.
            let read = "SELECT \(b.table.rowidName), \(names) FROM \(quoteIdentifier(b.table.name))"
            let parts = try runEverywhere(read, shards)
            // Same names, types and collations as the table; an INTEGER PRIMARY KEY stays the
            // rowid, so the shard's plan looks rows up by it as in the table itself.
            let rowidAlias = b.table.rowidAliasIndex.map { b.table.columns[$0].name }
            let decl = cols.map { c in
                var d = quoteIdentifier(c.name)
                if !c.declaredType.isEmpty { d += " " + c.declaredType }
                if c.name == rowidAlias { d += " PRIMARY KEY" }
                if c.collation.uppercased() != "BINARY" { d += " COLLATE " + c.collation }
                return d
            }.joined(separator: ", ")
            let create = "CREATE TEMP TABLE IF NOT EXISTS \(quoteIdentifier(b.tempName)) (\(decl))"
            let insert = "INSERT INTO temp.\(quoteIdentifier(b.tempName)) (\(b.table.rowidName), \(names)) VALUES (" +
                Array(repeating: "?", count: cols.count + 1).joined(separator: ", ") + ")"
            let dbs = Unchecked(shards.map { shardConnections[$0]! })
            let rows = Unchecked(parts)
            _ = try Parallel.map(shards.count) { i throws(EngineError) in
                let db = dbs.value[i]
                try db.exec(create)
                try db.exec("DELETE FROM temp.\(quoteIdentifier(b.tempName))")
                let s = try db.prepare(insert)
                for part in rows.value {
                    for row in part {
                        try s.bind(row)
                        while try s.step() {}
                        s.reset()
                    }
                }
            }
            copied += parts.reduce(0) { $0 + $1.count }
        }
        return copied
    }

    private func dropBroadcasts(_ tables: [PushdownPlan.Broadcast], _ shards: [Int]) {
        for n in shards {
            guard let db = shardConnections[n] else { continue }
            for b in tables { try? db.run("DROP TABLE IF EXISTS temp.\(quoteIdentifier(b.tempName))", []) }
        }
    }

    /// Loads the shards' rows into `temp.limitless_partials` on the router (`load` inserts them
    /// through the statement it is given) and runs the combine query, its rows into `out`.
    private func combine(_ sql: String, _ decls: [String], into out: RowOutput,
                         _ load: (Statement) throws(EngineError) -> Void) throws(EngineError) {
        try router.run("DROP TABLE IF EXISTS temp.limitless_partials", [])
        try router.run("CREATE TEMP TABLE limitless_partials (\(decls.joined(separator: ", ")))", [])
        defer { try? router.run("DROP TABLE IF EXISTS temp.limitless_partials", []) }
        let insert = try router.prepare("INSERT INTO temp.limitless_partials VALUES (" +
                                        Array(repeating: "?", count: decls.count).joined(separator: ", ") + ")")
        try load(insert)
        insert.reset()
        let query = try router.prepare(sql)
        // Reset before the table is dropped (defers run last first): a running statement
        // would keep it locked.
        defer { query.reset() }
        while try query.step() { out.add(query.row()) }
    }

    /// A k-way merge of shard streams each sorted by `keys` (ties: the lower shard first),
    /// handing rows to `emit` until it returns false.
    private func mergeSorted(_ streams: [RowProducer<ValueRows>], _ keys: [PushdownPlan.SortKey],
                             _ counts: inout [Int], _ mergeNanos: inout UInt64,
                             _ emit: (inout [SQLValue]) -> Bool) throws(EngineError) {
        func before(_ a: [SQLValue], _ b: [SQLValue]) -> Bool {
            for k in keys {
                let x = a[a.count + k.column], y = b[b.count + k.column]
                let nx = SQLiteOrder.isNull(x), ny = SQLiteOrder.isNull(y)
                if nx || ny {
                    if nx && ny { continue }
                    return nx == k.nullsFirst
                }
                let c = SQLiteOrder.compare(x, y, k.collation)
                if c != 0 { return k.descending ? c > 0 : c < 0 }
            }
            return false
        }
        var batches: [[[SQLValue]]] = []
        var heads: [Int] = []
        for (i, p) in streams.enumerated() {
            let b = try p.take()?.rows ?? []
            counts[i] += b.count
            batches.append(b)
            heads.append(0)
        }
        var t = monotonicNanos()
        while true {
            var best = -1
            for p in batches.indices where heads[p] < batches[p].count {
                if best < 0 || before(batches[p][heads[p]], batches[best][heads[best]]) { best = p }
            }
            if best < 0 { break }
            var row = batches[best][heads[best]]
            heads[best] += 1
            if heads[best] == batches[best].count {
                // Refill before comparing again: the shard's next row may still be the least.
                mergeNanos += monotonicNanos() - t
                let b = try streams[best].take()?.rows ?? []
                t = monotonicNanos()
                counts[best] += b.count
                batches[best] = b
                heads[best] = 0
            }
            if !emit(&row) { break }
        }
        mergeNanos += monotonicNanos() - t
    }
}

/// A value handed to worker threads that each touch their own part of it.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// SQLite's ordering of values: NULL, then numbers (integers and reals compared exactly), then
/// text by collation, then blobs by bytes.
enum SQLiteOrder {
    static func isNull(_ v: SQLValue) -> Bool { if case .null = v { return true }; return false }

    private static func rank(_ v: SQLValue) -> Int {
        switch v {
        case .null: return 0
        case .integer, .real: return 1
        case .text: return 2
        case .blob: return 3
        }
    }

    /// < 0, 0 or > 0 as `a` sorts before, with or after `b` in ascending order.
    static func compare(_ a: SQLValue, _ b: SQLValue, _ collation: BuiltinCollation) -> Int {
        let ra = rank(a), rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case let (.integer(x), .integer(y)): return x < y ? -1 : (x > y ? 1 : 0)
        case let (.real(x), .real(y)): return x < y ? -1 : (x > y ? 1 : 0)
        case let (.integer(x), .real(y)): return -compareRealInt(y, x)
        case let (.real(x), .integer(y)): return compareRealInt(x, y)
        case let (.text(x), .text(y)): return compareText(x, y, collation)
        case let (.blob(x), .blob(y)): return compareBytes(x[...], y[...])
        default: return 0
        }
    }

    /// A real against an integer, exactly (as SQLite does, without rounding the integer).
    static func compareRealInt(_ r: Double, _ i: Int64) -> Int {
        if r.isNaN { return -1 }
        if r < -9223372036854775808.0 { return -1 }
        if r >= 9223372036854775808.0 { return 1 }
        let t = Int64(r.rounded(.towardZero))
        if t != i { return t < i ? -1 : 1 }
        let frac = r - Double(t)
        return frac < 0 ? -1 : (frac > 0 ? 1 : 0)
    }

    private static func compareBytes(_ x: ArraySlice<UInt8>, _ y: ArraySlice<UInt8>) -> Int {
        var i = x.startIndex, j = y.startIndex
        while i < x.endIndex && j < y.endIndex {
            if x[i] != y[j] { return x[i] < y[j] ? -1 : 1 }
            i += 1; j += 1
        }
        let lx = x.endIndex - i, ly = y.endIndex - j
        return lx == ly ? 0 : (lx < ly ? -1 : 1)
    }

    static func compareText(_ x: String, _ y: String, _ collation: BuiltinCollation) -> Int {
        var a = Array(x.utf8)[...], b = Array(y.utf8)[...]
        switch collation {
        case .binary:
            return compareBytes(a, b)
        case .rtrim:
            while a.last == 0x20 { a = a.dropLast() }
            while b.last == 0x20 { b = b.dropLast() }
            return compareBytes(a, b)
        case .nocase:
            var i = a.startIndex, j = b.startIndex
            while i < a.endIndex && j < b.endIndex {
                let p = BuiltinCollation.foldCase(a[i]), q = BuiltinCollation.foldCase(b[j])
                if p != q { return p < q ? -1 : 1 }
                i += 1; j += 1
            }
            let la = a.endIndex - i, lb = b.endIndex - j
            return la == lb ? 0 : (la < lb ? -1 : 1)
        }
    }
}
