import LimitlessSupport
import SQLSyntax

// Tier 2 of the plan: a SELECT that every shard can answer for its own rows, whose answers the
// router merges. The planner here is pure — it reads the statement's AST and the catalog (plus row
// counts handed in by the caller) and touches no disk. `PushdownRun.swift` runs what it returns.
//
// A statement qualifies when:
//   - it is one SELECT core (no WITH, no compound, no VALUES), with no subqueries, no window
//     functions, and only plain distributed tables in FROM (no views, standard tables,
//     table-valued functions or subqueries);
//   - its sharded tables are one collocation group joined on the shard key (`a.k = b.k` in the
//     WHERE for inner joins, in the ON/USING for outer ones): every joined row then lives on one
//     shard. Other sharded tables small enough to copy are broadcast to every shard for the
//     statement (then they behave as reference tables);
//   - reference (and broadcast) tables join so that no row of theirs is padded or kept once per
//     shard: inner joins anywhere; `sharded LEFT JOIN reference`; `reference RIGHT JOIN sharded`.
//
// The router then merges in one of three ways:
//   - concatenation, for plain filters and projections (and aggregates grouped by the shard key,
//     whose groups are whole on one shard); OFFSET/LIMIT applied at the router;
//   - a k-way merge of shard streams sorted by the ORDER BY (sort keys ride along as trailing
//     hidden columns), with LIMIT pushed down as LIMIT offset+limit;
//   - a combine query over the shards' rows loaded into a router temp table: partial aggregates
//     (COUNT → SUM, AVG → TOTAL / COUNT, MIN/MAX, SUM, TOTAL) finished by a final
//     GROUP BY / HAVING / ORDER BY / LIMIT, and DISTINCT.
//
// One table read without ORDER BY comes back in rowid order, as one database scans it.

struct PushdownPlan {
    struct SortKey: Equatable {
        /// Column of the shard rows (the hidden sort columns follow the visible ones).
        var column: Int
        var descending: Bool
        var nullsFirst: Bool
        var collation: BuiltinCollation
    }

    enum Merge: Equatable {
        case concat
        case sorted([SortKey])
        /// Shard rows go into `temp.limitless_partials` (declared by `declarations`), then `sql` runs.
        case combine(sql: String, declarations: [String])
    }

    /// A non-collocated sharded table copied to every shard as a temp table for the statement.
    struct Broadcast {
        var table: TableInfo
        var tempName: String
    }

    var shardSelect: Select
    var merge: Merge
    /// Trailing columns of the shard rows that only carry sort keys.
    var hiddenColumns: Int
    /// Applied by the router after concat / sorted merges (the shards got LIMIT offset+limit).
    var offset: Int64
    var limit: Int64?
    var broadcasts: [Broadcast]
    /// Partial aggregates finished by the combine query.
    var partialAggregates: Bool
    /// The anchor tables' collocation: why every shard can answer for its own rows.
    var reason: String
    /// Set by the executor when the partial aggregates can be hashed from a plain scan.
    var hashAggregate: HashAggregateSpec? = nil

    var shardSQL: String { shardSelect.sql }
}

struct PushdownPlanner {
    /// Distributed tables by name.
    var table: (String) -> TableInfo?
    /// Rows in a sharded table, for the broadcast decision (asked only for candidates).
    var rowCount: (TableInfo) -> Int64
    /// Names (lower-case) of SQLite's aggregate functions (`min`/`max` count only with one argument).
    var aggregateNames: Set<String>
    /// Sharded tables up to this many rows may be copied to every shard.
    var broadcastLimit: Int64 = 200_000
    /// The order one database reads the one table of the statement being planned in
    /// (`AccessOrder`), asked only for one-table statements merged in order (with the table
    /// and whether the statement has an ORDER BY); nil: rowid order.
    var accessOrder: ((TableInfo, Bool) -> [AccessKey]?)? = nil
    /// The order one database reads the table in when an index serves the statement's GROUP
    /// BY (index columns, then the rowid); nil when it sorts for it (see groupReadOrder).
    var groupOrder: ((TableInfo) -> [AccessKey]?)? = nil
    /// Whether tier 3 would run a statement over these tables over copies, where it gets one
    /// database's read order (Execution/RouterCopy.swift); nil: never.
    var copyable: (([TableInfo]) -> Bool)? = nil
    /// Sums of REAL values over tables of at most this many rows step aside for copies (a tenth
    /// of the copy limit: such statements read every row through scans anyway).
    var realSumCopyRows: Int64 = 10_000

    /// Whether a value of the statement depends on the order rows are read in: group_concat
    /// or string_agg, or (grouped or aggregated) a column outside aggregates and GROUP BY terms.
    func orderDependentValues(_ core: SelectClause) -> Bool {
        let names = aggregateNames
        var exprs: [Expr] = []
        for c in core.columns { if case let .expr(e, _) = c { exprs.append(e) } }
        if let h = core.having { exprs.append(h) }
        var found = false
        var aggregated = !core.groupBy.isEmpty
        for e in exprs {
            e.forEach { x in
                guard case let .function(f) = x else { return }
                if ["group_concat", "string_agg"].contains(f.name.lowercased()) { found = true }
                if Context.isAggregateCall(f, names) { aggregated = true }
            }
        }
        if found || !aggregated { return found }
        let groupTerms = Set(core.groupBy.map { $0.sql.lowercased() })
        func bare(_ e: Expr) -> Bool {
            if groupTerms.contains(e.sql.lowercased()) { return false }
            if case let .function(f) = e, Context.isAggregateCall(f, names) { return false }
            if case .column = e { return true }
            var inside = false
            _ = e.mapChildren { c in
                if bare(c) { inside = true }
                return c
            }
            return inside
        }
        return exprs.contains(where: bare)
    }

    /// Whether the ORDER BY names every result column (as written, by alias or by position),
    /// so that no two distinct rows tie.
    static func ordersEveryColumn(_ select: Select, _ core: SelectClause) -> Bool {
        let terms = select.orderBy.map { $0.expr.sql.lowercased() }
        for (i, c) in core.columns.enumerated() {
            guard case let .expr(e, alias) = c else { return false }
            let names = [e.sql.lowercased(), String(i + 1)] + (alias.map { [$0.lowercased()] } ?? [])
            if !terms.contains(where: { names.contains($0) }) { return false }
        }
        return true
    }

    /// One FROM item.
    fileprivate struct Source {
        var info: TableInfo
        /// The name columns are qualified with: the alias, else the table's name (lower-case).
        var binding: String
        var anchor = false
        var broadcast = false
    }

    func plan(_ select: Select) -> PushdownPlan? {
        guard select.with == nil, select.compound.isEmpty, case let .select(core) = select.first,
              core.windows.isEmpty, let from = core.from else { return nil }
        // FROM: a flat list of plain distributed tables.
        var sources: [Source] = []
        var joins: [(op: JoinOperator, constraint: JoinConstraint?)] = []
        for (i, ref) in ([from.first] + from.joins.map(\.table)).enumerated() {
            guard case let .table(q, alias, indexed) = ref, indexed == nil else { return nil }
            if let s = q.schema, s.lowercased() != "main" { return nil }
            guard let info = table(q.name), info.placement != .standard else { return nil }
            let binding = (alias ?? q.name).lowercased()
            if sources.contains(where: { $0.binding == binding }) { return nil }
            sources.append(Source(info: info, binding: binding))
            if i > 0 { joins.append((from.joins[i - 1].op, from.joins[i - 1].constraint)) }
        }
        // Everything the statement evaluates: no subqueries, no windows, no schema-qualified columns.
        var exprs: [Expr] = []
        for c in core.columns { if case let .expr(e, _) = c { exprs.append(e) } }
        if let w = core.where { exprs.append(w) }
        exprs += core.groupBy
        if let h = core.having { exprs.append(h) }
        exprs += select.orderBy.map(\.expr)
        if let l = select.limit { exprs.append(l.limit); if let o = l.offset { exprs.append(o) } }
        for j in joins { if case let .on(e)? = j.constraint { exprs.append(e) } }
        for e in exprs where !Self.plainExpression(e) { return nil }
        // Which rows a LIMIT keeps can follow orders the merged shard streams do not: ties of
        // joined rows (one database's loop order), first occurrences of DISTINCT rows and the
        // order of groups (where one database reads an index). Over copies tier 3 gets them.
        if select.limit != nil, (sources.count > 1 && core.groupBy.isEmpty) || (core.distinct && !Self.ordersEveryColumn(select, core))
            || (!core.groupBy.isEmpty && select.orderBy.isEmpty), copyable?(sources.map(\.info)) == true { return nil }
        // Rows of a join whose ORDER BY keys tie come in one database's loop order (which table
        // outermost, which index each loop reads), which merged shard streams do not follow;
        // unless the ORDER BY names every column (tied rows then look alike), tier 3 over
        // copies gives them in that order.
        if sources.count > 1, !select.orderBy.isEmpty, core.groupBy.isEmpty, !Self.ordersEveryColumn(select, core),
           copyable?(sources.map(\.info)) == true { return nil }
        // Likewise DISTINCT rows whose ORDER BY keys tie come in the order one database first
        // read them, which combining the shards' distinct rows does not keep.
        if core.distinct, !select.orderBy.isEmpty, !Self.ordersEveryColumn(select, core),
           copyable?(sources.map(\.info)) == true { return nil }
        let resolver = Resolver(sources: sources)

        // Collocation: union the sharded tables that a key equality joins.
        var parent = Array(sources.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
        func keyEquality(_ e: Expr) -> (Int, Int)? {
            guard case let .binary(.eq, .column(l), .column(r)) = e,
                  let (li, lc) = resolver.resolve(l), let (ri, rc) = resolver.resolve(r), li != ri else { return nil }
            let a = sources[li].info, b = sources[ri].info
            guard a.placement == .sharded, b.placement == .sharded, a.collocationID == b.collocationID,
                  a.keyIndexes.count == 1, b.keyIndexes.count == 1,
                  a.keyIndexes[0] == lc, b.keyIndexes[0] == rc,
                  a.columns[lc].affinity == b.columns[rc].affinity,
                  a.columns[lc].collation.uppercased() == "BINARY", b.columns[rc].collation.uppercased() == "BINARY"
            else { return nil }
            return (li, ri)
        }
        // Outer joins need the equality in their own ON (or USING); inner joins may have it anywhere.
        var outerLinked = Set<Int>()
        for (j, join) in joins.enumerated() {
            let right = j + 1
            var conds: [Expr] = []
            switch join.constraint {
            case let .on(e)?: conds = e.conjuncts
            case let .using(names)?:
                for n in names {
                    for l in 0..<right where sources[l].info.columnIndex(n) != nil {
                        conds.append(.binary(.eq, .column(ColumnRef(table: sources[l].binding, n)),
                                             .column(ColumnRef(table: sources[right].binding, n))))
                    }
                }
            case nil: break
            }
            if join.op.natural { return nil }
            for c in conds {
                if let (a, b) = keyEquality(c), a == right || b == right {
                    parent[root(a)] = root(b)
                    if [.left, .right, .full].contains(join.op.kind) { outerLinked.insert(right) }
                }
            }
        }
        for c in core.where?.conjuncts ?? [] {
            if let (a, b) = keyEquality(c) { parent[root(a)] = root(b) }
        }
        // The anchor: the joined group of sharded tables with the most rows; every other sharded
        // table must be small enough to broadcast.
        var groups: [Int: [Int]] = [:]
        for i in sources.indices where sources[i].info.placement == .sharded { groups[root(i), default: []].append(i) }
        guard !groups.isEmpty else { return nil }
        var anchorRoot = -1
        if groups.count == 1 {
            anchorRoot = groups.keys.first!
        } else {
            var best: Int64 = -1
            for (r, members) in groups.sorted(by: { $0.key < $1.key }) {
                let rows = members.reduce(Int64(0)) { $0 + rowCount(sources[$1].info) }
                if rows > best { best = rows; anchorRoot = r }
            }
        }
        for i in sources.indices where sources[i].info.placement == .sharded {
            if root(i) == anchorRoot { sources[i].anchor = true; continue }
            guard rowCount(sources[i].info) <= broadcastLimit else { return nil }
            sources[i].broadcast = true
        }
        // A broadcast copy has no indexes of its own, so a shard may read it in another order
        // than one database reads the table; where a value depends on that order (group_concat,
        // a column beside aggregates), tier 3 over copies answers instead.
        if sources.contains(where: \.broadcast), orderDependentValues(core), copyable?(sources.map(\.info)) == true { return nil }
        // Joins must neither pad nor keep a replicated row once per shard.
        var leftHasAnchor = sources[0].anchor
        for (j, join) in joins.enumerated() {
            let t = sources[j + 1]
            let kind = join.op.kind
            if t.anchor {
                if leftHasAnchor {
                    if [.left, .right, .full].contains(kind) && !outerLinked.contains(j + 1) { return nil }
                } else if kind == .left || kind == .full {
                    return nil
                }
                leftHasAnchor = true
            } else if leftHasAnchor && (kind == .right || kind == .full) {
                return nil
            }
        }
        var ctx = Context(sources: sources, aliases: Self.aliases(core.columns), resolver: Resolver(sources: sources))
        ctx.accessOrder = accessOrder
        ctx.groupOrder = groupOrder
        if ctx.usesAliasInsideExpressions(core, select.orderBy) { return nil }
        // Values equal under NOCASE or RTRIM but spelt differently fall in one group or DISTINCT
        // row, which shows the spelling one database reads first: over copies tier 3 reads in
        // its order.
        let keys = core.distinct ? core.columns.compactMap { c -> Expr? in if case let .expr(e, _) = c { return e }; return nil }
            : core.groupBy.compactMap { ctx.resolveTerm($0, core.columns) }
        if keys.contains(where: { (ctx.collation($0) ?? "BINARY") != "BINARY" }), copyable?(sources.map(\.info)) == true { return nil }

        // The shard statement reads broadcast copies in place of the tables.
        var shardCore = core
        var broadcasts: [PushdownPlan.Broadcast] = []
        if sources.contains(where: \.broadcast) {
            var refs = [from.first] + from.joins.map(\.table)
            for (i, s) in sources.enumerated() where s.broadcast {
                let temp = "limitless_bcast_\(s.info.gid)"
                if !broadcasts.contains(where: { $0.table.gid == s.info.gid }) {
                    broadcasts.append(.init(table: s.info, tempName: temp))
                }
                refs[i] = .table(QualifiedName(schema: "temp", temp), alias: s.binding, indexed: nil)
            }
            var f = from
            f.first = refs[0]
            for i in f.joins.indices { f.joins[i].table = refs[i + 1] }
            shardCore.from = f
        }
        let anchorNames = sources.filter(\.anchor).map { s in s.info.name + "." + s.info.shardKey.joined(separator: ", ") }
        let reason = anchorNames.count == 1 ? "sharded on \(anchorNames[0])"
            : "collocated on " + anchorNames.joined(separator: " = ")

        let aggregate = !core.groupBy.isEmpty || exprs.contains { ctx.containsAggregate($0, aggregateNames) }
        if aggregate {
            if ctx.groupedByShardKey(core, select.orderBy) {
                // Every group is whole on one shard: the shards run the statement entire.
                let why = reason + ", grouped by the shard key"
                if core.distinct { return ctx.distinctPlan(select, core, shardCore, broadcasts, reason: why) }
                return ctx.orderedPlan(select, shardCore, broadcasts, reason: why)
            }
            // sum/total/avg of REAL values depend on the order one database adds them in
            // (floating-point addition does not associate: 0.1 + … + 0.8 is 3.5999999999999996
            // there, 3.6 from per-shard partials); tables small enough run at tier 3, which
            // adds in one database's order.
            if exprs.contains(where: { ctx.sumsReals($0) }),
               sources.reduce(Int64(0), { $0 + rowCount($1.info) }) <= realSumCopyRows, copyable?(sources.map(\.info)) == true { return nil }
            return ctx.partialAggregatePlan(select, core, shardCore, broadcasts, aggregateNames, reason: reason)
        }
        if core.distinct {
            return ctx.distinctPlan(select, core, shardCore, broadcasts, reason: reason)
        }
        return ctx.orderedPlan(select, shardCore, broadcasts, reason: reason)
    }

    /// No subqueries, window functions, RAISE or schema-qualified column names inside.
    static func plainExpression(_ e: Expr) -> Bool {
        var ok = true
        e.forEach { node in
            switch node {
            case .subquery, .exists, .inSelect, .inTable, .raise: ok = false
            case let .function(f) where f.over != nil: ok = false
            case let .column(c) where c.schema != nil: ok = false
            default: break
            }
        }
        return ok
    }

    static func aliases(_ columns: [ResultColumn]) -> [String: Expr] {
        var out: [String: Expr] = [:]
        for c in columns {
            if case let .expr(e, alias?) = c, out[alias.lowercased()] == nil { out[alias.lowercased()] = e }
        }
        return out
    }
}

/// Column references resolved to FROM items.
private struct Resolver {
    var sources: [PushdownPlanner.Source]

    /// (source index, column index) of a column reference, when it names exactly one.
    func resolve(_ c: ColumnRef) -> (Int, Int)? {
        if let t = c.table?.lowercased() {
            guard let i = sources.firstIndex(where: { $0.binding == t }),
                  let ci = sources[i].info.columnIndex(c.column) else { return nil }
            return (i, ci)
        }
        var found: (Int, Int)? = nil
        for (i, s) in sources.enumerated() {
            if let ci = s.info.columnIndex(c.column) {
                if found != nil { return nil }
                found = (i, ci)
            }
        }
        return found
    }

    func isTableColumn(_ c: ColumnRef) -> Bool {
        if resolve(c) != nil { return true }
        let n = c.column.lowercased()
        return n == "rowid" || n == "oid" || n == "_rowid_"
    }
}

private struct Context {
    var sources: [PushdownPlanner.Source]
    var aliases: [String: Expr]
    var resolver: Resolver
    var groupOrder: ((TableInfo) -> [AccessKey]?)? = nil
    var accessOrder: ((TableInfo, Bool) -> [AccessKey]?)? = nil

    /// One database's group order when an index serves the GROUP BY of one table: it reads
    /// the index forwards whatever the ORDER BY's directions, so groups come in the index's
    /// order (a sorter would follow the ORDER BY's directions instead). The GROUP BY's columns
    /// (lower-case names) in that order, each with its direction; nil when SQLite sorts, or the
    /// terms are not the index's leading columns under their own collations.
    func indexGroupOrder(_ core: SelectClause) -> [(column: String, descending: Bool)]? {
        guard sources.count == 1, !core.groupBy.isEmpty, let keys = groupOrder?(sources[0].info) else { return nil }
        let info = sources[0].info
        var names: [String] = []
        for g in core.groupBy {
            guard let e = resolveTerm(g, core.columns), case let .column(ref) = e, resolver.resolve(ref) != nil else { return nil }
            let n = ref.column.lowercased()
            if !names.contains(n) { names.append(n) }
        }
        let lead = keys.prefix(names.count)
        guard lead.count == names.count else { return nil }
        var out: [(column: String, descending: Bool)] = []
        for k in lead {
            guard let c = k.column?.lowercased(), names.contains(c), k.orPath == nil,
                  let i = info.columnIndex(c), info.columns[i].collation.uppercased() == k.collation.uppercased() else { return nil }
            out.append((c, k.descending))
        }
        return out
    }

    // MARK: names

    /// A bare name that is a result alias and no table's column (SQLite reads it as the alias).
    func aliasTarget(_ e: Expr) -> Expr? {
        guard case let .column(c) = e, c.table == nil, !resolver.isTableColumn(c) else { return nil }
        return aliases[c.column.lowercased()]
    }

    /// True when an alias is used inside a larger expression of WHERE / GROUP BY / HAVING /
    /// ORDER BY: the shard statement keeps those expressions, but hidden sort columns and
    /// partial aggregates would not see the alias, so such statements are left to the router.
    func usesAliasInsideExpressions(_ core: SelectClause, _ orderBy: [OrderingTerm]) -> Bool {
        var found = false
        func scan(_ e: Expr, top: Bool) {
            if top, aliasTarget(e) != nil { return }
            e.forEach { node in if aliasTarget(node) != nil { found = true } }
        }
        if let w = core.where { scan(w, top: false) }
        for g in core.groupBy { scan(g, top: true) }
        if let h = core.having { scan(h, top: false) }
        for o in orderBy { scan(o.expr, top: true) }
        return found
    }

    /// An ORDER BY / GROUP BY term as the expression it stands for: `2` is the second result
    /// column, a bare alias its expression (in ORDER BY an alias wins over a table column, in
    /// GROUP BY the column wins). Nil when the number is out of range or follows a `*`.
    func resolveTerm(_ e: Expr, _ columns: [ResultColumn], orderBy: Bool = false) -> Expr? {
        // SQLite looks through a COLLATE: `ORDER BY 2 COLLATE NOCASE` sorts column 2 that way.
        if case let .collate(inner, name) = e {
            guard let r = resolveTerm(inner, columns, orderBy: orderBy) else { return nil }
            return .collate(r, name)
        }
        if orderBy, case let .column(c) = e, c.table == nil, let target = aliases[c.column.lowercased()] { return target }
        var lit = e
        if case let .unary(.plus, inner) = e { lit = inner }
        if case let .unary(.minus, .literal(l)) = e, l.integerValue != nil { return nil }  // out of range
        if case let .literal(l) = lit, let k = l.integerValue, case .number = l {
            guard k >= 1, Int(k) <= columns.count else { return nil }
            for c in columns.prefix(Int(k)) { if case .expr = c {} else { return nil } }
            guard case let .expr(item, _) = columns[Int(k) - 1] else { return nil }
            return item
        }
        if let target = aliasTarget(e) { return target }
        return e
    }

    /// An expression SQLite will not read as a column position in GROUP BY / ORDER BY (an
    /// integer literal, even signed, would be one).
    static func positionSafe(_ e: Expr) -> Expr {
        var inner = e
        while case let .unary(op, x) = inner, op == .plus || op == .minus { inner = x }
        if case let .literal(l) = inner, case .number = l, l.integerValue != nil {
            return .cast(e, TypeName("INTEGER"))
        }
        return e
    }

    /// The expression with every column qualified by its FROM item and names lower-cased, so
    /// that `region` and `c.region` compare equal.
    func normalized(_ e: Expr) -> Expr {
        e.rewritten { node in
            if case var .function(f) = node {
                f.name = f.name.lowercased()
                return Expr.function(f).mapChildren(normalized)
            }
            guard case let .column(c) = node else { return nil }
            if let (i, ci) = resolver.resolve(c) {
                return .column(ColumnRef(table: sources[i].binding, sources[i].info.columns[ci].name.lowercased()))
            }
            return .column(ColumnRef(table: c.table?.lowercased(), c.column.lowercased()))
        }
    }

    // MARK: types

    /// The collation SQLite gives the expression's value in comparisons and sorting; nil when
    /// it depends on a COLLATE inside a larger expression (not followed here).
    func collation(_ e: Expr) -> String? {
        switch e {
        case let .collate(_, name): return name.uppercased()
        case let .column(c):
            if let (i, ci) = resolver.resolve(c) { return sources[i].info.columns[ci].collation.uppercased() }
            return resolver.isTableColumn(c) ? "BINARY" : nil
        case let .cast(inner, _), let .unary(.plus, inner): return collation(inner)
        default:
            var nested = false
            e.forEach { if case .collate = $0 { nested = true } }
            return nested ? nil : "BINARY"
        }
    }

    /// The declared type that gives a temp-table column the expression's affinity ("" for none).
    func affinityType(_ e: Expr) -> String {
        switch e {
        case let .column(c):
            if let (i, ci) = resolver.resolve(c) {
                switch sources[i].info.columns[ci].affinity {
                case .integer: return "INTEGER"
                case .text: return "TEXT"
                case .real: return "REAL"
                case .numeric: return "NUMERIC"
                case .blob: return ""
                }
            }
            return resolver.isTableColumn(c) ? "INTEGER" : ""
        case let .cast(_, t):
            switch Affinity(declaredType: t.name) {
            case .integer: return "INTEGER"
            case .text: return "TEXT"
            case .real: return "REAL"
            case .numeric: return "NUMERIC"
            case .blob: return ""
            }
        case let .collate(inner, _): return affinityType(inner)
        default: return ""
        }
    }

    func declaration(_ name: String, type: String, collation: String?) -> String {
        var d = name
        if !type.isEmpty { d += " " + type }
        if let c = collation, c != "BINARY" { d += " COLLATE " + quoteIdentifier(c) }
        return d
    }

    // MARK: aggregates

    static func isAggregateCall(_ f: FunctionCall, _ names: Set<String>) -> Bool {
        guard f.over == nil else { return false }
        let n = f.name.lowercased()
        if n == "min" || n == "max" { return f.arguments.count == 1 && !f.star }
        return names.contains(n)
    }

    /// Whether `e` has a sum, total or avg whose argument may be REAL (its order of addition
    /// then shows in the last bits of the result).
    func sumsReals(_ e: Expr) -> Bool {
        var found = false
        e.forEach {
            if case let .function(f) = $0, ["sum", "total", "avg"].contains(f.name.lowercased()),
               f.arguments.contains(where: { mayBeReal($0) }) { found = true }
        }
        return found
    }

    /// Whether `e` may be a REAL value: false for integer columns and literals and integer
    /// arithmetic over them (and CAST … AS INTEGER); true otherwise.
    func mayBeReal(_ e: Expr) -> Bool {
        switch e {
        case let .literal(l):
            if case let .number(n) = l { return n.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
            return l != .null
        case .column:
            return affinityType(e) != "INTEGER"
        case let .unary(op, x):
            return op == .not || op == .bitNot ? false : mayBeReal(x)
        case let .binary(op, l, r):
            switch op {
            case .add, .sub, .mul, .div, .mod: return mayBeReal(l) || mayBeReal(r)
            case .concat, .jsonExtract, .jsonExtractText: return true
            default: return false
            }
        case let .cast(_, t):
            return Affinity(declaredType: t.name) != .integer
        case .isNull, .is, .between, .inList, .inSelect, .exists, .pattern:
            return false
        default:
            return true
        }
    }

    func containsAggregate(_ e: Expr, _ names: Set<String>) -> Bool {
        var found = false
        e.forEach { if case let .function(f) = $0, Context.isAggregateCall(f, names) { found = true } }
        return found
    }

    /// GROUP BY names an anchor table's shard key on a side of the joins that is never
    /// null-padded: every group is then whole on one shard.
    func groupedByShardKey(_ core: SelectClause, _ orderBy: [OrderingTerm]) -> Bool {
        guard !core.groupBy.isEmpty else { return false }
        var padded = Set<Int>()
        if let from = core.from {
            for (j, join) in from.joins.enumerated() {
                switch join.op.kind {
                case .left: padded.insert(j + 1)
                case .right: for i in 0...j { padded.insert(i) }
                case .full: for i in 0...(j + 1) { padded.insert(i) }
                default: break
                }
            }
        }
        for g in core.groupBy {
            guard let term = resolveTerm(g, core.columns), case let .column(c) = term,
                  let (i, ci) = resolver.resolve(c) else { continue }
            let s = sources[i]
            if s.anchor, !padded.contains(i), s.info.keyIndexes == [ci],
               s.info.columns[ci].collation.uppercased() == "BINARY" { return true }
        }
        return false
    }

    // MARK: plans

    /// Runs the statement on every shard (with its sort keys as hidden trailing columns and
    /// LIMIT offset+limit) and merges the streams in order.
    func orderedPlan(_ select: Select, _ shardCore: SelectClause, _ broadcasts: [PushdownPlan.Broadcast],
                     reason: String) -> PushdownPlan? {
        guard case .select = select.first, !shardCore.distinct else { return nil }
        var core = shardCore
        let (offset, limit) = constantLimit(select.limit) ?? (0, nil)
        if select.limit != nil && constantLimit(select.limit) == nil { return nil }
        // Which rows a LIMIT without ORDER BY keeps over a join follows one database's loop
        // order, which merged shard streams cannot follow: the router runs it (RouterCopy.swift).
        if select.limit != nil && select.orderBy.isEmpty && sources.count > 1 && core.groupBy.isEmpty { return nil }
        var keys: [PushdownPlan.SortKey] = []
        var hidden: [Expr] = []
        // (term, whether it names a GROUP BY term: resolved as GROUP BY resolves names).
        var orderBy = select.orderBy.map { ($0, false) }
        // One database emits groups in the order of their keys (it sorts, or reads an index), and
        // reads one table in rowid order; its sorter keeps that order among rows whose ORDER BY
        // keys tie. The shards' streams are merged the same way: after the ORDER BY keys (or
        // alone), the group keys — or, for one table without GROUP BY, the rowid — break ties,
        // so LIMIT keeps the rows one database keeps.
        if !core.groupBy.isEmpty, let byIndex = indexGroupOrder(core) {
            orderBy += byIndex.map { (OrderingTerm(.column(ColumnRef(table: sources[0].binding, $0.column)), ascending: !$0.descending), false) }
        } else if !core.groupBy.isEmpty {
            // SQLite groups in either direction, and takes the ORDER BY's directions (term by
            // term) when both clauses have as many terms, so that its sort may serve both.
            let follow = select.orderBy.count == core.groupBy.count
            orderBy += core.groupBy.enumerated().map { i, g in
                (OrderingTerm(g, ascending: follow && select.orderBy[i].ascending == false ? false : nil), true)
            }
        } else if sources.count == 1 {
            // The order one database reads the table in: rowid order, or the order of the index
            // its plan reads (index columns, then the rowid, backwards when it steps back).
            let s = sources[0]
            let rowidOnly = [AccessKey(column: nil, descending: false, collation: "BINARY")]
            var keys = accessOrder?(s.info, !select.orderBy.isEmpty) ?? rowidOnly
            // A MULTI-INDEX OR read: the loop that gave a row is the one of the first OR term it
            // satisfies, at each level of nested ORs.
            var loopNumbers: [[Int]: Expr] = [:]
            var gates: [[Int]: Expr] = [:]
            // The ORs among an expression's AND terms, each as its flattened terms.
            func ors(_ e: Expr?) -> [[Expr]] {
                guard let e else { return [] }
                return e.conjuncts.compactMap { c in
                    if case .binary(.or, _, _) = c { return Self.orTerms(c) }
                    return nil
                }
            }
            // The terms of the OR read at `path`: the candidate chosen for it among the ORs of the
            // AND terms of the expression at `path`.
            func terms(_ path: [Int], _ chosen: [[Int]: Int]) -> [Expr]? {
                guard let e = expression(path, chosen), let id = chosen[path] else { return nil }
                let cands = ors(e)
                return id >= 0 && id < cands.count ? cands[id] : nil
            }
            // The expression at `path`: the WHERE clause, or term b of the OR chosen at the
            // enclosing path.
            func expression(_ path: [Int], _ chosen: [[Int]: Int]) -> Expr? {
                guard let b = path.last else { return core.where }
                guard let outer = terms(Array(path.dropLast()), chosen), b >= 1, b <= outer.count else { return nil }
                return outer[b - 1]
            }
            // True for the rows the loop at `path` reads (nil: every row).
            func gate(_ path: [Int]) -> Expr? {
                guard let last = path.last else { return nil }
                let parent = Array(path.dropLast())
                guard let number = loopNumbers[parent] else { return nil }
                let own = Expr.binary(.eq, number, .literal(.number(String(last))))
                return gate(parent).map { .binary(.and, $0, own) } ?? own
            }
            var chosen: [[Int]: Int] = [:]
            if AccessOrder.isRawMultiIndexOr(keys) {
                keys = AccessOrder.resolve(keys, candidates: { path, parents in
                    ors(expression(path, parents)).map(\.count)
                }, uses: { path, parents, b, columns in
                    // A term's loop searches on columns the term names (others may come from the
                    // AND terms around the OR); the rowid may be named as its alias.
                    guard let ts = terms(path, parents), b >= 1, b <= ts.count else { return false }
                    let searched = Set(columns.lowercased().split(separator: ",").map(String.init))
                    if searched.contains("rowid") { return true }
                    return ts[b - 1].columnReferences.contains { searched.contains($0.column.lowercased()) }
                }) ?? rowidOnly
                for k in keys where k.orTerms > 0 { if let p = k.orPath { chosen[p] = k.orCandidate } }
            }
            for k in keys where k.orTerms > 0 {
                guard let path = k.orPath, let ts = terms(path, chosen), ts.count == k.orTerms,
                      path.isEmpty || loopNumbers[Array(path.dropLast())] != nil else { keys = rowidOnly; break }
                var number = Expr.case(CaseExpr(whens: ts.enumerated().map {
                    WhenThen(when: $0.element, then: .literal(.number(String($0.offset + 1))))
                }, elseValue: .literal(.number(String(ts.count + 1)))))
                if let g = gate(path) { number = .case(CaseExpr(whens: [WhenThen(when: g, then: number)])) }
                loopNumbers[path] = number
            }
            if keys.contains(where: { $0.orPath != nil }) {
                for k in keys where k.orTerms == 0 { if let p = k.orPath { gates[p] = gate(p) } }
            }
            for k in keys {
                var e = Expr.column(ColumnRef(table: s.binding, k.column ?? s.info.rowidName))
                if let c = k.column, let i = s.info.columnIndex(c), s.info.columns[i].collation.uppercased() != k.collation.uppercased() {
                    e = .collate(e, k.collation.uppercased())
                }
                if let path = k.orPath {
                    // The loop number itself, or this loop's key for its own rows (NULL, a tie,
                    // for the rows other loops give).
                    if k.orTerms > 0, let number = loopNumbers[path] { e = number }
                    else if let g = gates[path] { e = .case(CaseExpr(whens: [WhenThen(when: g, then: e)])) }
                    else { continue }
                }
                orderBy.append((OrderingTerm(e, ascending: !k.descending), false))
            }
        }
        var seen: [(Expr, BuiltinCollation)] = []
        for (term, isGroupTerm) in orderBy {
            guard let e = resolveTerm(term.expr, core.columns, orderBy: !isGroupTerm), let name = collation(e),
                  let coll = BuiltinCollation(name) else { return nil }
            // A key already sorted on decides nothing more (and a repeated term would keep the
            // shards' SQLite from reading an index in that order).
            let n = normalized(e)
            if seen.contains(where: { $0.0 == n && $0.1 == coll }) { continue }
            seen.append((n, coll))
            let desc = term.ascending == false
            let nullsFirst = term.nulls.map { $0 == .first } ?? !desc
            hidden.append(e)
            keys.append(.init(column: -hidden.count, descending: desc, nullsFirst: nullsFirst, collation: coll))
        }
        for i in keys.indices { keys[i].column = i - keys.count }
        core.columns += hidden.enumerated().map { .expr($0.element, alias: "limitless_sort_\($0.offset)") }
        var shard = Select(first: .select(core))
        if !orderBy.isEmpty {
            shard.orderBy = keys.enumerated().map { i, k in
                OrderingTerm(.column(ColumnRef("limitless_sort_\(i)")), ascending: !k.descending,
                             nulls: k.nullsFirst ? .first : .last)
            }
        }
        if let l = limit { shard.limit = Limit(.literal(.number(String(l &+ offset))), offset: nil) }
        return PushdownPlan(shardSelect: shard, merge: keys.isEmpty ? .concat : .sorted(keys),
                            hiddenColumns: hidden.count, offset: offset, limit: limit,
                            broadcasts: broadcasts, partialAggregates: false, reason: reason)
    }

    /// The OR terms of the one OR among the WHERE clause's AND terms, flattened as SQLite's
    /// MULTI-INDEX OR reads them (`a OR (b OR c)` is three terms); nil when there is not exactly
    /// one such OR.
    static func orTerms(_ w: Expr?) -> [Expr]? {
        func split(_ e: Expr, _ op: BinaryOperator) -> [Expr] {
            if case let .binary(o, l, r) = e, o == op { return split(l, op) + split(r, op) }
            return [e]
        }
        guard let w else { return nil }
        let ors = split(w, .and).filter { if case .binary(.or, _, _) = $0 { return true }; return false }
        guard ors.count == 1 else { return nil }
        return split(ors[0], .or)
    }

    /// SELECT DISTINCT without aggregates: each shard removes its duplicates, the combine query
    /// the rest (ORDER BY and LIMIT there too).
    func distinctPlan(_ select: Select, _ core: SelectClause, _ shardCore: SelectClause,
                      _ broadcasts: [PushdownPlan.Broadcast], reason: String) -> PushdownPlan? {
        // Which distinct rows a LIMIT keeps without ORDER BY follows one database's scan order.
        if select.limit != nil && select.orderBy.isEmpty && !(sources.count == 1 && core.groupBy.isEmpty) { return nil }
        var items: [(Expr, String?)] = []
        for c in core.columns {
            guard case let .expr(e, alias) = c else { return nil }
            items.append((e, alias))
        }
        var decls: [String] = []
        var outs: [ResultColumn] = []
        for (i, (e, alias)) in items.enumerated() {
            guard let coll = collation(e) else { return nil }
            decls.append(declaration("c\(i)", type: affinityType(e), collation: coll))
            outs.append(.expr(.column(ColumnRef("c\(i)")), alias: alias))
        }
        var order: [OrderingTerm] = []
        for term in select.orderBy {
            guard let e = resolveTerm(term.expr, core.columns, orderBy: true) else { return nil }
            let n = normalized(e)
            guard let i = items.firstIndex(where: { normalized($0.0) == n }) else { return nil }
            order.append(OrderingTerm(.column(ColumnRef("c\(i)")), ascending: term.ascending, nulls: term.nulls))
        }
        var shard = Select(first: .select(shardCore))
        var shardOrder = select.orderBy
        var combineCore = SelectClause(distinct: true, columns: outs, from: partialsTable)
        if sources.count == 1 && core.groupBy.isEmpty {
            // One database keeps the first occurrence of each distinct row, in scan (rowid)
            // order, and its sorter keeps that order among rows whose ORDER BY keys tie. So each
            // shard sends its distinct rows with the least rowid of each, and the router orders
            // by that rowid after the ORDER BY keys (alone without ORDER BY).
            let rowid = Expr.column(ColumnRef(table: sources[0].binding, sources[0].info.rowidName))
            var sc = shardCore
            sc.distinct = false
            // Aliases stay: a pushed-down ORDER BY may name them.
            sc.columns = items.map { .expr($0.0, alias: $0.1) } + [.expr(.function(FunctionCall(name: "min", arguments: [rowid])), alias: nil)]
            sc.groupBy = items.map { Context.positionSafe($0.0) }
            shard = Select(first: .select(sc))
            let first = "c\(items.count)"
            decls.append(declaration(first, type: "INTEGER", collation: nil))
            combineCore = SelectClause(distinct: false, columns: outs, from: partialsTable,
                                       groupBy: items.indices.map { .column(ColumnRef("c\($0)")) })
            order.append(OrderingTerm(.function(FunctionCall(name: "min", arguments: [.column(ColumnRef(first))]))))
            shardOrder.append(OrderingTerm(.literal(.number(String(items.count + 1)))))
        }
        if let l = constantLimit(select.limit), let lim = l.1, !order.isEmpty || select.orderBy.isEmpty {
            // The first offset+limit distinct rows of every shard hold the first offset+limit overall.
            shard.orderBy = shardOrder
            shard.limit = Limit(.literal(.number(String(lim &+ l.0))), offset: nil)
        }
        let combine = Select(first: .select(combineCore), orderBy: order, limit: select.limit)
        return PushdownPlan(shardSelect: shard, merge: .combine(sql: combine.sql, declarations: decls),
                            hiddenColumns: 0, offset: 0, limit: nil, broadcasts: broadcasts,
                            partialAggregates: false, reason: reason)
    }

    var partialsTable: JoinClause {
        JoinClause(.table(QualifiedName(schema: "temp", "limitless_partials"), alias: nil, indexed: nil))
    }

    /// Aggregates split in two: each shard groups its rows and computes partial aggregates; the
    /// combine query groups the partial rows again and finishes each aggregate.
    func partialAggregatePlan(_ select: Select, _ core: SelectClause, _ shardCore: SelectClause,
                              _ broadcasts: [PushdownPlan.Broadcast], _ names: Set<String>,
                              reason: String) -> PushdownPlan? {
        var groupTerms: [Expr] = []
        var shardItems: [ResultColumn] = []
        var decls: [String] = []
        for g in core.groupBy {
            guard let e = resolveTerm(g, core.columns), !containsAggregate(e, names), let coll = collation(e) else { return nil }
            let n = normalized(e)
            if groupTerms.contains(n) { continue }
            groupTerms.append(n)
            decls.append(declaration("c\(decls.count)", type: affinityType(e), collation: coll))
            shardItems.append(.expr(e, alias: nil))
        }
        let groupCount = groupTerms.count
        var partials: [Expr] = []
        func partial(_ e: Expr, collation: String?) -> Expr {
            let n = normalized(e)
            if let i = partials.firstIndex(of: n) { return .column(ColumnRef("c\(groupCount + i)")) }
            partials.append(n)
            decls.append(declaration("c\(decls.count)", type: "", collation: collation))
            shardItems.append(.expr(e, alias: nil))
            return .column(ColumnRef("c\(decls.count - 1)"))
        }
        func call(_ name: String, _ args: [Expr]) -> Expr { .function(FunctionCall(name: name, arguments: args)) }
        var failed = false
        var distinctArgument: Expr? = nil
        var distinctColumn = -1
        func rewrite(_ e: Expr) -> Expr {
            if failed { return e }
            let n = normalized(e)
            if let i = groupTerms.firstIndex(of: n) { return .column(ColumnRef("c\(i)")) }
            switch e {
            case let .function(f) where Context.isAggregateCall(f, names):
                // An explicit COLLATE in the arguments gives the aggregate's value that collation
                // (SQLite follows it into comparisons, ORDER BY and DISTINCT): keep it on the result.
                if let coll = argumentCollation(f) {
                    if coll.isEmpty { failed = true; return e }
                    let inner = rewriteAggregate(f, e)
                    return failed ? e : .collate(inner, coll)
                }
                return rewriteAggregate(f, e)
            case .column:
                // A bare column outside GROUP BY: SQLite takes it from some row of the group.
                failed = true; return e
            default:
                return e.mapChildren(rewrite)
            }
        }
        /// The combine expression of one aggregate call `e` (= `.function(f)`).
        func rewriteAggregate(_ f: FunctionCall, _ e: Expr) -> Expr {
                let name = f.name.lowercased()
                if f.distinct && name != "min" && name != "max" {
                    // Through distinct sets: the shards also group by the argument, so each
                    // value reaches the router once per shard; the router takes it DISTINCT.
                    guard ["count", "sum", "total", "avg"].contains(name), f.arguments.count == 1, f.filter == nil,
                          let coll = collation(f.arguments[0]) else { failed = true; return e }
                    let x = f.arguments[0]
                    let n = normalized(x)
                    if distinctArgument == nil {
                        distinctArgument = n
                        decls.append(declaration("c\(decls.count)", type: affinityType(x), collation: coll))
                        shardItems.append(.expr(x, alias: nil))
                        partials.append(.literal(.null))   // keeps partial indexes in step with columns
                        distinctColumn = decls.count - 1
                    } else if distinctArgument != n {
                        failed = true; return e
                    }
                    return .function(FunctionCall(name: name, arguments: [.column(ColumnRef("c\(distinctColumn)"))], distinct: true))
                }
                switch name {
                case "count":
                    // coalesce: with distinct sets and no GROUP BY the shards may send no rows at all.
                    return call("coalesce", [call("sum", [partial(e, collation: nil)]), .literal(.number("0"))])
                case "sum":
                    return call("sum", [partial(e, collation: nil)])
                case "total":
                    return call("total", [partial(e, collation: nil)])
                case "min", "max":
                    guard let coll = collation(f.arguments[0]) else { failed = true; return e }
                    return call(name, [partial(e, collation: coll)])
                case "avg":
                    var total = f; total.name = "total"
                    var count = f; count.name = "count"
                    let t = partial(.function(total), collation: nil)
                    let c = partial(.function(count), collation: nil)
                    return .case(CaseExpr(whens: [WhenThen(when: .binary(.gt, call("sum", [c]), .literal(.number("0"))),
                                                           then: .binary(.div, call("total", [t]), call("sum", [c])))]))
                // group_concat stays at the router: one database concatenates in scan (rowid)
                // order, which per-shard partials cannot reproduce.
                default:
                    failed = true; return e
                }
        }
        var outs: [ResultColumn] = []
        for c in core.columns {
            guard case let .expr(e, alias) = c else { return nil }
            outs.append(.expr(rewrite(e), alias: alias))
        }
        let having = core.having.map { rewrite(substituteAliases($0)) }
        var order: [OrderingTerm] = []
        for term in select.orderBy {
            guard let e = resolveTerm(term.expr, core.columns, orderBy: true) else { return nil }
            order.append(OrderingTerm(Context.positionSafe(rewrite(e)), ascending: term.ascending, nulls: term.nulls))
        }
        // Groups whose ORDER BY keys tie come in one database's group order: where an index
        // serves its GROUP BY that is the index's, which the combine's own sorter would not give.
        if !order.isEmpty, let byIndex = indexGroupOrder(core) {
            for k in byIndex {
                guard let i = groupTerms.firstIndex(where: {
                    if case let .column(ref) = $0 { return ref.column.lowercased() == k.column }
                    return false
                }) else { return nil }
                order.append(OrderingTerm(.column(ColumnRef("c\(i)")), ascending: !k.descending))
            }
        }
        if failed || shardItems.isEmpty { return nil }
        var shard = shardCore
        shard.columns = shardItems
        shard.groupBy = shardItems.prefix(groupCount).compactMap {
            if case let .expr(e, _) = $0 { return Context.positionSafe(e) }; return nil
        }
        if distinctColumn >= 0, case let .expr(x, _) = shardItems[distinctColumn] { shard.groupBy.append(Context.positionSafe(x)) }
        shard.having = nil
        shard.distinct = false
        let groupBy: [Expr] = (0..<groupCount).map { .column(ColumnRef("c\($0)")) }
        let combine = Select(first: .select(SelectClause(distinct: core.distinct, columns: outs, from: partialsTable,
                                                         groupBy: groupBy, having: having)),
                             orderBy: order, limit: select.limit)
        return PushdownPlan(shardSelect: Select(first: .select(shard)),
                            merge: .combine(sql: combine.sql, declarations: decls), hiddenColumns: 0,
                            offset: 0, limit: nil, broadcasts: broadcasts, partialAggregates: true, reason: reason)
    }

    /// The collation an explicit COLLATE in an aggregate's arguments gives its value: nil when
    /// there is none, "" when it sits deeper than SQLite's rule is followed here.
    func argumentCollation(_ f: FunctionCall) -> String? {
        for a in f.arguments {
            var found = false
            a.forEach { if case .collate = $0 { found = true } }
            guard found else { continue }
            if case let .collate(_, name) = a { return name.uppercased() }
            return ""
        }
        return nil
    }

    /// HAVING may name result aliases.
    func substituteAliases(_ e: Expr) -> Expr {
        e.rewritten { node in aliasTarget(node) }
    }

    /// LIMIT and OFFSET as integer literals (negative LIMIT: none; negative OFFSET: 0).
    func constantLimit(_ l: Limit?) -> (Int64, Int64?)? {
        guard let l else { return (0, nil) }
        func value(_ e: Expr) -> Int64? {
            switch e {
            case let .literal(lit): return lit.integerValue
            case let .unary(.minus, .literal(lit)): return lit.integerValue.map { 0 &- $0 }
            default: return nil
            }
        }
        guard let lim = value(l.limit) else { return nil }
        var off: Int64 = 0
        if let o = l.offset { guard let v = value(o) else { return nil }; off = max(0, v) }
        if lim < 0 { return (off, nil) }
        if lim > Int64.max / 2 || off > Int64.max / 2 { return nil }
        return (off, lim)
    }
}
