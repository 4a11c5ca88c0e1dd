// Small helpers for the router: walking and rewriting expressions, constants, conjuncts and
// the tables a statement references.

extension Expr {
    /// Direct child expressions, in source order. Subqueries are not entered (see `subqueries`).
    public var children: [Expr] {
        switch self {
        case .literal, .parameter, .column, .exists, .subquery, .raise: return []
        case .unary(_, let e), .isNull(let e, _), .cast(let e, _), .collate(let e, _), .inSelect(let e, _, _): return [e]
        case .binary(_, let l, let r), .is(let l, let r, _): return [l, r]
        case .pattern(_, let l, let r, let esc, _): return esc.map { [l, r, $0] } ?? [l, r]
        case .between(let a, let b, let c, _): return [a, b, c]
        case .inList(let e, let list, _): return [e] + list
        case .inTable(let e, _, let args, _): return [e] + (args ?? [])
        case .function(let f):
            var out = f.arguments
            if let filter = f.filter { out.append(filter) }
            if case .spec(let w)? = f.over {
                out += w.partitionBy
                out += w.orderBy.map(\.expr)
            }
            return out
        case .case(let c):
            var out: [Expr] = c.operand.map { [$0] } ?? []
            for w in c.whens { out.append(w.when); out.append(w.then) }
            if let e = c.elseValue { out.append(e) }
            return out
        case .row(let list), .array(let list): return list
        }
    }

    /// Subqueries that appear directly in this expression tree (not inside other subqueries).
    public var subqueries: [Select] {
        var out: [Select] = []
        forEach { e in
            switch e {
            case .exists(let s), .subquery(let s), .inSelect(_, let s, _): out.append(s)
            default: break
            }
        }
        return out
    }

    /// Rebuilds this node with `transform` applied to each direct child.
    public func mapChildren(_ transform: (Expr) throws -> Expr) rethrows -> Expr {
        switch self {
        case .literal, .parameter, .column, .exists, .subquery, .raise: return self
        case .unary(let op, let e): return .unary(op, try transform(e))
        case .isNull(let e, let n): return .isNull(try transform(e), negated: n)
        case .cast(let e, let t): return .cast(try transform(e), t)
        case .collate(let e, let c): return .collate(try transform(e), c)
        case .inSelect(let e, let s, let n): return .inSelect(try transform(e), s, negated: n)
        case .binary(let op, let l, let r): return .binary(op, try transform(l), try transform(r))
        case .is(let l, let r, let n): return .is(try transform(l), try transform(r), negated: n)
        case .pattern(let op, let l, let r, let esc, let n):
            return .pattern(op, try transform(l), try transform(r), escape: try esc.map(transform), negated: n)
        case .between(let a, let b, let c, let n): return .between(try transform(a), try transform(b), try transform(c), negated: n)
        case .inList(let e, let list, let n): return .inList(try transform(e), try list.map(transform), negated: n)
        case .inTable(let e, let t, let args, let n): return .inTable(try transform(e), t, arguments: try args?.map(transform), negated: n)
        case .function(var f):
            f.arguments = try f.arguments.map(transform)
            f.filter = try f.filter.map(transform)
            if case .spec(var w)? = f.over {
                w.partitionBy = try w.partitionBy.map(transform)
                for i in w.orderBy.indices { w.orderBy[i].expr = try transform(w.orderBy[i].expr) }
                f.over = .spec(w)
            }
            return .function(f)
        case .case(var c):
            c.operand = try c.operand.map(transform)
            for i in c.whens.indices {
                c.whens[i] = WhenThen(when: try transform(c.whens[i].when), then: try transform(c.whens[i].then))
            }
            c.elseValue = try c.elseValue.map(transform)
            return .case(c)
        case .row(let list): return .row(try list.map(transform))
        case .array(let list): return .array(try list.map(transform))
        }
    }

    /// Top-down rewrite: where `rule` returns a replacement it is used (and not entered);
    /// elsewhere the children are rewritten. Subqueries are not entered.
    public func rewritten(_ rule: (Expr) throws -> Expr?) rethrows -> Expr {
        if let r = try rule(self) { return r }
        return try mapChildren { try $0.rewritten(rule) }
    }

    /// Visits this expression and its descendants in pre-order (subqueries not entered).
    public func forEach(_ visit: (Expr) throws -> Void) rethrows {
        try visit(self)
        for c in children { try c.forEach(visit) }
    }

    /// Column references in this expression tree (subqueries not entered).
    public var columnReferences: [ColumnRef] {
        var out: [ColumnRef] = []
        forEach { if case .column(let c) = $0 { out.append(c) } }
        return out
    }

    /// True when the value does not depend on any row: literals, parameters, and operators,
    /// casts, CASE, IN lists and row values over those. Function calls, columns and
    /// subqueries are not constant (a function may be non-deterministic, like `random()`).
    public var isConstant: Bool {
        switch self {
        case .literal, .parameter: return true
        case .column, .function, .exists, .subquery, .inSelect, .inTable, .raise: return false
        default: return children.allSatisfy(\.isConstant)
        }
    }

    /// The operands of a top-level AND chain (`a AND (b AND c)` gives a, b, c).
    public var conjuncts: [Expr] {
        guard case .binary(.and, let l, let r) = self else { return [self] }
        return l.conjuncts + r.conjuncts
    }

    /// `column = constant` (either way round, or `column IS constant`) among the conjuncts:
    /// the equalities a router can use to pick a shard.
    public var columnEqualities: [(column: ColumnRef, value: Expr)] {
        var out: [(column: ColumnRef, value: Expr)] = []
        for c in conjuncts {
            switch c {
            case .binary(.eq, let l, let r), .is(let l, let r, negated: false):
                if case .column(let col) = l.strippingCollate, r.isConstant { out.append((col, r)) }
                else if case .column(let col) = r.strippingCollate, l.isConstant { out.append((col, l)) }
            default: break
            }
        }
        return out
    }

    var strippingCollate: Expr {
        if case .collate(let e, _) = self { return e.strippingCollate }
        return self
    }

    /// Joins expressions with AND (nil for an empty list).
    public static func and(_ list: [Expr]) -> Expr? {
        guard var acc = list.first else { return nil }
        for e in list.dropFirst() { acc = .binary(.and, acc, e) }
        return acc
    }
}

extension Statement {
    /// Tables (and views) the statement reads or writes, with their schema as written, in
    /// order of first appearance, without duplicates. Names defined by a WITH clause of the
    /// statement are left out; table-valued functions are not tables.
    public var referencedTables: [QualifiedName] { kind.referencedTables }
}

extension StatementKind {
    public var referencedTables: [QualifiedName] {
        var c = TableCollector()
        c.statement(self)
        return c.result()
    }

    /// The table an INSERT, UPDATE, DELETE, CREATE/ALTER/DROP TABLE or CREATE INDEX/TRIGGER acts on.
    public var targetTable: QualifiedName? {
        switch self {
        case .insert(let s): return s.table
        case .update(let s): return s.table
        case .delete(let s): return s.table
        case .createTable(let s): return s.name
        case .alterTable(let s): return s.table
        case .drop(let s) where s.kind == .table: return s.name
        case .createIndex(let s): return QualifiedName(schema: s.name.schema, s.table)
        case .createTrigger(let s): return s.table
        default: return nil
        }
    }
}

extension Select {
    /// Tables referenced anywhere in the query (see `Statement.referencedTables`).
    public var referencedTables: [QualifiedName] {
        var c = TableCollector()
        c.select(self)
        return c.result()
    }
}

struct TableCollector {
    var names: [QualifiedName] = []
    var cteNames: Set<String> = []

    func result() -> [QualifiedName] {
        var seen: Set<QualifiedName> = []
        var out: [QualifiedName] = []
        for n in names where !(n.schema == nil && cteNames.contains(n.name.lowercased())) {
            if seen.insert(n).inserted { out.append(n) }
        }
        return out
    }

    mutating func statement(_ k: StatementKind) {
        switch k {
        case .select(let s): select(s)
        case .insert(let s):
            with(s.with)
            names.append(s.table)
            switch s.source {
            case .values(let rows): rows.forEach { $0.forEach { expr($0) } }
            case .select(let sel): select(sel)
            case .defaultValues: break
            }
            for u in s.upsert {
                u.target.forEach { expr($0.expr) }
                u.targetWhere.map { expr($0) }
                if case .update(let sets, let w) = u.action {
                    sets.forEach { expr($0.value) }
                    w.map { expr($0) }
                }
            }
            resultColumns(s.returning)
        case .update(let s):
            with(s.with)
            names.append(s.table)
            s.sets.forEach { expr($0.value) }
            s.from.map { join($0) }
            s.where.map { expr($0) }
            resultColumns(s.returning)
        case .delete(let s):
            with(s.with)
            names.append(s.table)
            s.where.map { expr($0) }
            resultColumns(s.returning)
        case .createTable(let s):
            names.append(s.name)
            if case .asSelect(let sel) = s.body { select(sel) }
        case .createIndex(let s): names.append(QualifiedName(schema: s.name.schema, s.table))
        case .createView(let s): select(s.select)
        case .createTrigger(let s):
            names.append(s.table)
            s.when.map { expr($0) }
            s.body.forEach { statement($0.kind) }
        case .drop(let s) where s.kind == .table || s.kind == .view: names.append(s.name)
        case .alterTable(let s): names.append(s.table)
        case .explain(let x): statement(x.statement.kind)
        case .call(let c): c.arguments.forEach { expr($0) }
        default: break
        }
    }

    mutating func with(_ w: WithClause?) {
        guard let w else { return }
        for cte in w.tables {
            cteNames.insert(cte.name.lowercased())
            select(cte.select)
        }
    }

    mutating func select(_ s: Select) {
        with(s.with)
        for core in s.cores {
            switch core {
            case .values(let rows): rows.forEach { $0.forEach { expr($0) } }
            case .select(let c):
                resultColumns(c.columns)
                c.from.map { join($0) }
                c.where.map { expr($0) }
                c.groupBy.forEach { expr($0) }
                c.having.map { expr($0) }
            }
        }
        s.orderBy.forEach { expr($0.expr) }
        if let l = s.limit { expr(l.limit); l.offset.map { expr($0) } }
    }

    mutating func resultColumns(_ cols: [ResultColumn]) {
        for c in cols { if case .expr(let e, _) = c { expr(e) } }
    }

    mutating func join(_ j: JoinClause) {
        tableRef(j.first)
        for x in j.joins {
            tableRef(x.table)
            if case .on(let e)? = x.constraint { expr(e) }
        }
    }

    mutating func tableRef(_ t: TableRef) {
        switch t {
        case .table(let n, _, _): names.append(n)
        case .function(_, let args, _): args.forEach { expr($0) }
        case .subquery(let s, _): select(s)
        case .join(let j): join(j)
        }
    }

    mutating func expr(_ e: Expr) {
        var subs: [Select] = []
        var tables: [QualifiedName] = []
        e.forEach { x in
            switch x {
            case .exists(let s), .subquery(let s), .inSelect(_, let s, _): subs.append(s)
            case .inTable(_, let n, let args, _) where args == nil: tables.append(n)
            default: break
            }
        }
        names += tables
        for s in subs { select(s) }
    }
}

extension Expr {
    /// `column IN (constant, ...)` among the conjuncts: shard-key lists a router can spread over shards.
    public var columnInLists: [(column: ColumnRef, values: [Expr])] {
        var out: [(column: ColumnRef, values: [Expr])] = []
        for c in conjuncts {
            if case .inList(let l, let values, negated: false) = c, case .column(let col) = l.strippingCollate,
               values.allSatisfy(\.isConstant) {
                out.append((col, values))
            }
        }
        return out
    }
}

extension StatementKind {
    /// SELECT/VALUES, EXPLAIN, SHOW, PRAGMA, or DML with RETURNING: statements that give rows.
    public var returnsRows: Bool {
        switch self {
        case .select, .explain, .show, .pragma: return true
        case .insert(let s): return !s.returning.isEmpty
        case .update(let s): return !s.returning.isEmpty
        case .delete(let s): return !s.returning.isEmpty
        default: return false
        }
    }

    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE.
    public var isTransactionControl: Bool {
        switch self {
        case .begin, .commit, .rollback, .savepoint, .release: return true
        default: return false
        }
    }

    /// CREATE, DROP and ALTER statements.
    public var isSchemaChange: Bool {
        switch self {
        case .createTable, .createIndex, .createView, .createTrigger, .drop, .alterTable: return true
        default: return false
        }
    }
}
