import SQLSyntax
import LimitlessSupport

/// Tier 1 of the plan: a SELECT whose every table is distributed, whose sharded tables each have
/// every shard-key column pinned to a constant by the WHERE clause, all landing on one shard
/// (collocated or not), runs on that shard unchanged — the shard holds every row the query can
/// see (reference tables are complete there). A SELECT over reference tables only runs on one
/// copy. Anything else (standard tables, views, subqueries, unpinned keys) goes to the router.
/// What tier 1 needs to know about a SELECT, worked out once from its syntax tree: the
/// sharded tables it reads and which conjunct pins which key column to a constant or to a
/// parameter of a cached statement template (see `fastSelect`).
final class SingleShardPlan {
    enum Source {
        case value(SQLValue)
        /// Parameter `index` (0-based) of the template, negated when written `-?N`.
        case parameter(Int, negated: Bool)
    }
    /// A SELECT over reference tables only: runs on one copy.
    var referenceOnly = false
    /// Every sharded table of FROM (by position in `refs`).
    var sharded: [(ref: Int, info: TableInfo)] = []
    /// `column = constant` conjuncts of the WHERE clause, in order (a later one wins).
    var pins: [(ref: Int, column: Int, source: Source)] = []

    /// The pins that matter (those on key columns), compiled on first use: each names a slot in
    /// the concatenated key values of the sharded tables, with the column's affinity.
    private var compiled: [(slot: Int, affinity: Affinity, source: Source)]? = nil
    private var slotCount = 0

    private func compile() -> [(slot: Int, affinity: Affinity, source: Source)] {
        var offsets: [Int] = []
        var total = 0
        for (_, info) in sharded { offsets.append(total); total += info.keyIndexes.count }
        var out: [(slot: Int, affinity: Affinity, source: Source)] = []
        for pin in pins {
            guard let si = sharded.firstIndex(where: { $0.ref == pin.ref }),
                  let kp = sharded[si].info.keyIndexes.firstIndex(of: pin.column) else { continue }
            out.append((offsets[si] + kp, sharded[si].info.columns[pin.column].affinity, pin.source))
        }
        slotCount = total
        compiled = out
        return out
    }

    /// The one shard that holds every row the SELECT can see, given the template's parameter
    /// values; nil when the keys are not all pinned or land on different shards.
    func target(_ engine: ClusterEngine, parameters: [SQLValue] = []) -> Int? {
        if referenceOnly { return engine.referenceReadShard }
        let pins = compiled ?? compile()
        var slots = [SQLValue?](repeating: nil, count: slotCount)
        for pin in pins {
            let value: SQLValue
            switch pin.source {
            case let .value(v): value = v
            case let .parameter(i, negated):
                guard i < parameters.count else { return nil }
                if !negated { value = parameters[i] } else {
                    switch parameters[i] {
                    case let .integer(n): if n == Int64.min { continue }; value = .integer(-n)
                    case let .real(d): value = .real(-d)
                    default: continue
                    }
                }
            }
            if value == .null { continue }
            slots[pin.slot] = pin.affinity.apply(value)   // a later conjunct wins
        }
        var target: Int? = nil
        var offset = 0
        var key: [SQLValue] = []
        for (_, info) in sharded {
            let n = info.keyIndexes.count
            if n == 0 { return nil }
            key.removeAll(keepingCapacity: true)
            for j in 0..<n {
                guard let v = slots[offset + j] else { return nil }
                key.append(v)
            }
            offset += n
            let s = engine.shard(forKey: key, of: info)
            if let t = target, t != s { return nil }
            target = s
        }
        return target
    }
}

/// A cached SELECT template: its tier-1 analysis (nil: not tier 1) and its prepared statement
/// on each shard it ran on.
final class PointSelectPlan {
    var analysis: SingleShardPlan?
    var statements: [Int: Statement] = [:]
    init(analysis: SingleShardPlan?) { self.analysis = analysis }
}

/// A SELECT's text with the integer and string literals of its top-level WHERE clause replaced
/// by numbered parameters (`?1`, `?2`, …), and their values. SQLite gives a bound value the
/// same meaning as the literal it replaces (no affinity, no collation), so the template bound
/// with the values answers exactly what the text does; only the WHERE clause is rewritten, so
/// result column names and ORDER BY / GROUP BY column numbers are untouched.
struct SelectTemplate: Equatable {
    var text: String
    var values: [SQLValue]

    /// Nil when the text is not a SELECT, holds parameters of its own, a subquery after WHERE,
    /// or anything the scanner does not follow.
    static func make(_ sql: String) -> SelectTemplate? {
        var copy = sql
        return copy.withUTF8 { make($0) }
    }

    private static func make(_ b: UnsafeBufferPointer<UInt8>) -> SelectTemplate? {
        let n = b.count
        var out: [UInt8] = []
        out.reserveCapacity(n + 8)
        var values: [SQLValue] = []
        var i = 0
        var depth = 0
        var inWhere = false
        var sawFirst = false
        var copied = 0   // bytes of b[..<copied] are in `out` or replaced
        func param(_ from: Int, _ to: Int, _ v: SQLValue) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<from]))
            values.append(v)
            out.append(63)  // ?
            out.append(contentsOf: String(values.count).utf8)
            copied = to
        }
        while i < n {
            let c = b[i]
            if c == 32 || (c >= 9 && c <= 13) { i += 1; continue }
            if c == 45, i + 1 < n, b[i + 1] == 45 {  // -- comment
                while i < n && b[i] != 10 { i += 1 }
                continue
            }
            if c == 47, i + 1 < n, b[i + 1] == 42 {  // /* comment */
                i += 2
                while i + 1 < n && !(b[i] == 42 && b[i + 1] == 47) { i += 1 }
                if i + 1 >= n { return nil }
                i += 2
                continue
            }
            if !sawFirst {
                // The statement must start with SELECT.
                var e = i
                while e < n && Tokens.isIdent(b[e]) { e += 1 }
                guard Tokens.wordIs(b, i, e, "SELECT") else { return nil }
                sawFirst = true
                i = e
                continue
            }
            if c == 39 {  // 'string'
                let start = i
                var text: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if b[i] == 39 {
                        if i + 1 < n && b[i + 1] == 39 { text.append(39); i += 2; continue }
                        i += 1; closed = true; break
                    }
                    text.append(b[i]); i += 1
                }
                if !closed { return nil }
                if inWhere { param(start, i, .text(String(decoding: text, as: UTF8.self))) }
                continue
            }
            if c == 34 || c == 96 {  // "name", `name`
                i += 1
                var closed = false
                while i < n {
                    if b[i] == c {
                        if i + 1 < n && b[i + 1] == c { i += 2; continue }
                        i += 1; closed = true; break
                    }
                    i += 1
                }
                if !closed { return nil }
                continue
            }
            if c == 91 {  // [name]
                while i < n && b[i] != 93 { i += 1 }
                if i >= n { return nil }
                i += 1
                continue
            }
            if (c >= 48 && c <= 57) || (c == 46 && i + 1 < n && b[i + 1] >= 48 && b[i + 1] <= 57) {
                let start = i
                var digitsOnly = true
                while i < n {
                    let d = b[i]
                    if d >= 48 && d <= 57 { i += 1; continue }
                    if Tokens.isIdent(d) || d == 46 {
                        digitsOnly = false
                        if (d == 101 || d == 69), i + 1 < n, b[i + 1] == 43 || b[i + 1] == 45 { i += 2; continue }
                        i += 1; continue
                    }
                    break
                }
                if inWhere && digitsOnly && i - start <= 18 {
                    var v: Int64 = 0
                    for k in start..<i { v = v * 10 + Int64(b[k] - 48) }
                    param(start, i, .integer(v))
                }
                continue
            }
            if Tokens.isIdent(c) {
                if c == 36 { return nil }  // $name parameter
                let start = i
                while i < n && Tokens.isIdent(b[i]) { i += 1 }
                // X'…' is a blob literal: leave it as written.
                if i - start == 1, c == 120 || c == 88, i < n, b[i] == 39 {
                    i += 1
                    while i < n && b[i] != 39 { i += 1 }
                    if i >= n { return nil }
                    i += 1
                    continue
                }
                if depth == 0 {
                    if Tokens.wordIs(b, start, i, "WHERE") { inWhere = true; continue }
                    if inWhere, Tokens.wordIs(b, start, i, "ORDER") || Tokens.wordIs(b, start, i, "GROUP") || Tokens.wordIs(b, start, i, "HAVING")
                        || Tokens.wordIs(b, start, i, "LIMIT") || Tokens.wordIs(b, start, i, "WINDOW") || Tokens.wordIs(b, start, i, "UNION")
                        || Tokens.wordIs(b, start, i, "INTERSECT") || Tokens.wordIs(b, start, i, "EXCEPT") {
                        inWhere = false
                        continue
                    }
                }
                if inWhere && Tokens.wordIs(b, start, i, "SELECT") { return nil }
                continue
            }
            switch c {
            case 40: depth += 1
            case 41: depth -= 1
            case 63, 58, 64, 59, 35: return nil  // ? : @ ; # — parameters, casts, several statements
            default: break
            }
            i += 1
        }
        if values.isEmpty {
            return SelectTemplate(text: String(decoding: b, as: UTF8.self), values: [])
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<n]))
        return SelectTemplate(text: String(decoding: out, as: UTF8.self), values: values)
    }
}

extension ClusterEngine {
    func singleShardTarget(_ sql: String) -> Int? {
        // Every SELECT that reads a table names it after FROM.
        guard sql.containsCaseInsensitive("FROM"),
              catalog.tables.values.contains(where: { $0.placement == .sharded || $0.placement == .reference }),
              let stmt = try? SQLSyntax.parseOne(sql), let plan = singleShardPlan(stmt.kind) else { return nil }
        return plan.target(self)
    }

    /// Tier 1 through a cached template: a SELECT whose text differs from one seen before only
    /// in the literals of its WHERE clause reuses that one's analysis and prepared statement.
    /// Returns nil when the statement is not tier 1 (the general path then runs it).
    func fastSelect(_ sql: String) throws(EngineError) -> StatementResult? {
        guard !transactionFailed, !catalog.tables.isEmpty, let t = SelectTemplate.make(sql) else { return nil }
        let plan: PointSelectPlan
        if let p = pointPlans[t.text] { plan = p } else {
            if pointPlans.count >= 256 { pointPlans.removeAll() }
            var analysis: SingleShardPlan? = nil
            if t.text.containsCaseInsensitive("FROM"), let stmt = try? SQLSyntax.parseOne(t.text) {
                analysis = singleShardPlan(stmt.kind)
            }
            plan = PointSelectPlan(analysis: analysis)
            pointPlans[t.text] = plan
        }
        guard let analysis = plan.analysis, let target = analysis.target(self, parameters: t.values) else { return nil }
        do throws(EngineError) {
            try recoverBeforeStatement()
            if explicitTransaction && repeatableRead { try takeTransactionSnapshot() }
            lastPlanTier = nil
            let stmt: Statement
            if let s = plan.statements[target] { stmt = s } else {
                guard let s = try? shard(target).prepare(t.text) else {
                    // Let the general path report the error as it always has.
                    plan.analysis = nil
                    return nil
                }
                plan.statements[target] = s
                stmt = s
            }
            defer { stmt.reset() }
            try stmt.bind(t.values)
            let out = RowOutput(self, columns: stmt.columnNames)
            try stepRows(stmt, into: out)
            lastPlanTier = target
            return out.result(command: "SELECT \(out.count)")
        } catch {
            if explicitTransaction { markTransactionFailed() }
            throw error
        }
    }

    /// The tier-1 analysis of a parsed SELECT, or nil when it cannot run on one shard whatever
    /// its constants are.
    func singleShardPlan(_ kind: StatementKind) -> SingleShardPlan? {
        guard case let .select(select) = kind,
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
        // A subquery may stay only when every table it reads is a reference table: each shard
        // holds all of its rows.
        func referenceOnly(_ names: [QualifiedName]) -> Bool {
            names.allSatisfy { n in
                if let sc = n.schema, sc.lowercased() != "main" { return false }
                return catalog.table(n.name)?.placement == .reference
            }
        }
        var subqueriesStay = true
        for e in exprs {
            e.forEach { node in
                switch node {
                case .subquery(let sub), .exists(let sub), .inSelect(_, let sub, _):
                    if !referenceOnly(sub.referencedTables) { subqueriesStay = false }
                case .inTable(_, let name, let args, _):
                    if args != nil || !referenceOnly([name]) { subqueriesStay = false }
                default: break
                }
            }
        }
        if !subqueriesStay { return nil }
        let plan = SingleShardPlan()
        for (i, ref) in refs.enumerated() where ref.info.placement == .sharded {
            let info = ref.info
            guard info.keyIndexes.allSatisfy({ info.columns[$0].collation.uppercased() == "BINARY" }),
                  !info.keyIndexes.isEmpty else { return nil }
            plan.sharded.append((i, info))
        }
        if plan.sharded.isEmpty { plan.referenceOnly = true; return plan }
        // Pinned key values from the WHERE's top-level `column = constant` conjuncts.
        for c in core.where?.conjuncts ?? [] {
            guard case let .binary(.eq, l, r) = c else { continue }
            var col: ColumnRef? = nil, source: SingleShardPlan.Source? = nil
            if case let .column(cr) = l, let v = constantSource(r) { col = cr; source = v }
            else if case let .column(cr) = r, let v = constantSource(l) { col = cr; source = v }
            guard let cr = col, let src = source else { continue }
            if case .value(.null) = src { continue }
            var owners: [(Int, Int)] = []
            for (i, ref) in refs.enumerated() {
                if let t = cr.table, !ref.names.contains(t.lowercased()) { continue }
                if let ci = ref.info.columnIndex(cr.column) { owners.append((i, ci)) }
            }
            guard owners.count == 1 else { continue }
            plan.pins.append((owners[0].0, owners[0].1, src))
        }
        return plan
    }

    /// A literal's value, or a template parameter (possibly negated).
    private func constantSource(_ e: Expr) -> SingleShardPlan.Source? {
        if let v = literalValue(e) { return .value(v) }
        if case let .parameter(p) = e, let i = ClusterEngine.parameterIndex(p.text) { return .parameter(i, negated: false) }
        if case let .unary(.minus, .parameter(p)) = e, let i = ClusterEngine.parameterIndex(p.text) { return .parameter(i, negated: true) }
        return nil
    }

    /// `?N` → N - 1.
    static func parameterIndex(_ text: String) -> Int? {
        guard text.hasPrefix("?"), let n = Int(text.dropFirst()), n >= 1 else { return nil }
        return n - 1
    }

    func literalValue(_ e: Expr) -> SQLValue? {
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
        let out = RowOutput(self, columns: stmt.columnNames)
        try stepRows(stmt, into: out)
        lastPlanTier = shardIndex
        return out.result(command: "SELECT \(out.count)")
    }

    /// Steps a shard statement to its end, row by row into `out`. Ctrl-C reaches the router's
    /// connection only, so a streamed read checks for it between rows (57014).
    private func stepRows(_ stmt: Statement, into out: RowOutput) throws(EngineError) {
        if !out.streaming {
            while try stmt.step() { out.add(stmt.row()) }
            return
        }
        while try stmt.step() {
            out.add(stmt.row())
            if ClusterEngine.interrupted { throw EngineError("canceling statement due to user request", code: "57014") }
        }
    }
}
