import SQLSyntax
import LimitlessSupport

/// Tier 1 of the plan: a SELECT whose every table is distributed, whose sharded tables each have
/// every shard-key column pinned to a constant by the WHERE clause, all landing on one shard
/// (collocated or not), runs on that shard unchanged — the shard holds every row the query can
/// see (reference tables are complete there). A SELECT over reference tables only runs on one
/// copy. Anything else (standard tables, views, subqueries, unpinned keys) goes to the router.
extension ClusterEngine {
    func singleShardTarget(_ sql: String) -> Int? {
        guard catalog.tables.values.contains(where: { $0.placement == .sharded || $0.placement == .reference }),
              let stmt = try? SQLSyntax.parseOne(sql), case let .select(select) = stmt.kind,
              select.with == nil, select.compound.isEmpty, case let .select(core) = select.first,
              let from = core.from else { return nil }
        // Every table in FROM: a plain distributed table.
        var refs: [(info: TableInfo, names: Set<String>)] = []
        func collect(_ j: JoinClause) -> Bool {
            for t in [j.first] + j.joins.map(\.table) {
                switch t {
                case let .table(q, alias, _):
                    if let s = q.schema, s.lowercased() != "main" { return false }
                    guard let info = catalog.table(q.name) else { return false }
                    var names: Set<String> = [q.name.lowercased()]
                    if let a = alias { names = [a.lowercased()] }
                    refs.append((info, names))
                case let .join(inner):
                    if !collect(inner) { return false }
                default: return false
                }
            }
            return true
        }
        guard collect(from) else { return nil }
        // No subqueries anywhere (a subquery could read rows of other shards).
        var exprs: [Expr] = core.columns.compactMap { if case let .expr(e, _) = $0 { return e }; return nil }
        if let w = core.where { exprs.append(w) }
        exprs += core.groupBy
        if let h = core.having { exprs.append(h) }
        exprs += select.orderBy.map(\.expr)
        if let l = select.limit { exprs.append(l.limit); if let o = l.offset { exprs.append(o) } }
        func joinExprs(_ j: JoinClause) {
            for join in j.joins {
                if case let .on(e) = join.constraint { exprs.append(e) }
                if case let .join(inner) = join.table { joinExprs(inner) }
            }
            if case let .join(inner) = j.first { joinExprs(inner) }
        }
        joinExprs(from)
        var hasSubquery = false
        for e in exprs {
            e.forEach { node in
                switch node {
                case .subquery, .exists, .inSelect, .inTable: hasSubquery = true
                default: break
                }
            }
        }
        if hasSubquery { return nil }
        let sharded = refs.filter { $0.info.placement == .sharded }
        if sharded.isEmpty { return referenceReadShard }
        // Pinned key values from the WHERE's top-level `column = literal` conjuncts.
        var pinned: [Int: [Int: SQLValue]] = [:]   // ref index → column index → value
        for c in core.where?.conjuncts ?? [] {
            guard case let .binary(.eq, l, r) = c else { continue }
            var col: ColumnRef? = nil, lit: SQLValue? = nil
            if case let .column(cr) = l, let v = literalValue(r) { col = cr; lit = v }
            else if case let .column(cr) = r, let v = literalValue(l) { col = cr; lit = v }
            guard let cr = col, let value = lit, value != .null else { continue }
            var owners: [(Int, Int)] = []
            for (i, ref) in refs.enumerated() {
                if let t = cr.table, !ref.names.contains(t.lowercased()) { continue }
                if let ci = ref.info.columnIndex(cr.column) { owners.append((i, ci)) }
            }
            guard owners.count == 1 else { continue }
            let (ri, ci) = owners[0]
            pinned[ri, default: [:]][ci] = refs[ri].info.columns[ci].affinity.apply(value)
        }
        var target: Int? = nil
        for (i, ref) in refs.enumerated() where ref.info.placement == .sharded {
            let info = ref.info
            guard info.keyIndexes.allSatisfy({ info.columns[$0].collation.uppercased() == "BINARY" }) else { return nil }
            let values = info.keyIndexes.compactMap { pinned[i]?[$0] }
            guard values.count == info.keyIndexes.count, !values.isEmpty else { return nil }
            let s = shard(forKey: values, collocation: info.collocationID)
            if let t = target, t != s { return nil }
            target = s
        }
        return target
    }

    private func literalValue(_ e: Expr) -> SQLValue? {
        switch e {
        case let .literal(l):
            switch l {
            case .null: return .null
            case let .number(s):
                if let i = l.integerValue, !s.hasPrefix("0x"), !s.hasPrefix("0X") { return .integer(i) }
                if s.hasPrefix("0x") || s.hasPrefix("0X") { return l.integerValue.map { .integer($0) } }
                return l.doubleValue.map { .real($0) }
            case let .string(s): return .text(s)
            case let .blob(b): return .blob(b)
            case let .bool(b): return .integer(b ? 1 : 0)
            default: return nil
            }
        case let .unary(.minus, inner):
            switch literalValue(inner) {
            case let .integer(i)?: return i == Int64.min ? nil : .integer(-i)
            case let .real(d)?: return .real(-d)
            default: return nil
            }
        default: return nil
        }
    }

    /// Runs a SELECT on one shard's connection.
    func runOnShard(_ shardIndex: Int, _ sql: String) throws(EngineError) -> StatementResult {
        let stmt = try shard(shardIndex).prepare(sql)
        let columns = stmt.columnNames
        var rows: [[SQLValue]] = []
        while try stmt.step() { rows.append(stmt.row()) }
        lastPlanTier = shardIndex
        return .rows(command: "SELECT \(rows.count)", columns: columns, rows: rows)
    }
}
