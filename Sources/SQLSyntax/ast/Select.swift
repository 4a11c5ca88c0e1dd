/// A complete query: `[WITH ...] core [compound ...] [ORDER BY ...] [LIMIT ...]`.
public struct Select: Equatable, Sendable {
    public var with: WithClause?
    public var first: SelectCore
    public var compound: [CompoundTerm]
    public var orderBy: [OrderingTerm]
    public var limit: Limit?
    public init(with: WithClause? = nil, first: SelectCore, compound: [CompoundTerm] = [],
                orderBy: [OrderingTerm] = [], limit: Limit? = nil) {
        self.with = with; self.first = first; self.compound = compound; self.orderBy = orderBy; self.limit = limit
    }
    /// Every core in order (the first and each compound term's).
    public var cores: [SelectCore] { [first] + compound.map(\.core) }
}

public enum CompoundOperator: String, Equatable, Sendable {
    case union = "UNION", unionAll = "UNION ALL", intersect = "INTERSECT", except = "EXCEPT"
}

public struct CompoundTerm: Equatable, Sendable {
    public var op: CompoundOperator
    public var core: SelectCore
    public init(_ op: CompoundOperator, _ core: SelectCore) { self.op = op; self.core = core }
}

public enum SelectCore: Equatable, Sendable {
    indirect case select(SelectClause)
    case values([[Expr]])
}

public struct SelectClause: Equatable, Sendable {
    public var distinct: Bool
    public var columns: [ResultColumn]
    public var from: JoinClause?
    public var `where`: Expr?
    public var groupBy: [Expr]
    public var having: Expr?
    public var windows: [NamedWindow]
    public init(distinct: Bool = false, columns: [ResultColumn], from: JoinClause? = nil, where: Expr? = nil,
                groupBy: [Expr] = [], having: Expr? = nil, windows: [NamedWindow] = []) {
        self.distinct = distinct; self.columns = columns; self.from = from; self.where = `where`
        self.groupBy = groupBy; self.having = having; self.windows = windows
    }
}

public struct NamedWindow: Equatable, Sendable {
    public var name: String
    public var spec: WindowSpec
    public init(name: String, spec: WindowSpec) { self.name = name; self.spec = spec }
}

public enum ResultColumn: Equatable, Sendable {
    case star
    case tableStar(String)
    case expr(Expr, alias: String?)
}

/// `table [AS alias]`, possibly followed by joins. A comma join is `.comma`.
public struct JoinClause: Equatable, Sendable {
    public var first: TableRef
    public var joins: [Join]
    public init(_ first: TableRef, joins: [Join] = []) { self.first = first; self.joins = joins }
}

public struct Join: Equatable, Sendable {
    public var op: JoinOperator
    public var table: TableRef
    public var constraint: JoinConstraint?
    public init(_ op: JoinOperator, _ table: TableRef, _ constraint: JoinConstraint? = nil) {
        self.op = op; self.table = table; self.constraint = constraint
    }
}

public struct JoinOperator: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case comma = ",", inner = "JOIN", left = "LEFT JOIN", right = "RIGHT JOIN", full = "FULL JOIN", cross = "CROSS JOIN"
    }
    public var kind: Kind
    public var natural: Bool
    public init(_ kind: Kind, natural: Bool = false) { self.kind = kind; self.natural = natural }
}

public enum JoinConstraint: Equatable, Sendable {
    case on(Expr)
    case using([String])
}

public enum IndexedBy: Equatable, Sendable {
    case index(String)
    case notIndexed
}

public enum TableRef: Equatable, Sendable {
    case table(QualifiedName, alias: String?, indexed: IndexedBy?)
    /// A table-valued function `f(args)`.
    case function(QualifiedName, arguments: [Expr], alias: String?)
    indirect case subquery(Select, alias: String?)
    /// A parenthesized join `(a JOIN b)`.
    indirect case join(JoinClause)
}

public struct OrderingTerm: Equatable, Sendable {
    public enum Nulls: String, Sendable { case first = "NULLS FIRST", last = "NULLS LAST" }
    public var expr: Expr
    /// nil when neither ASC nor DESC was written.
    public var ascending: Bool?
    public var nulls: Nulls?
    public init(_ expr: Expr, ascending: Bool? = nil, nulls: Nulls? = nil) {
        self.expr = expr; self.ascending = ascending; self.nulls = nulls
    }
}

/// `LIMIT limit [OFFSET offset]`; `LIMIT a, b` is parsed as `LIMIT b OFFSET a`.
public struct Limit: Equatable, Sendable {
    public var limit: Expr
    public var offset: Expr?
    public init(_ limit: Expr, offset: Expr? = nil) { self.limit = limit; self.offset = offset }
}

public struct WithClause: Equatable, Sendable {
    public var recursive: Bool
    public var tables: [CommonTableExpression]
    public init(recursive: Bool = false, tables: [CommonTableExpression]) { self.recursive = recursive; self.tables = tables }
}

public struct CommonTableExpression: Equatable, Sendable {
    public var name: String
    public var columns: [String]
    /// true: MATERIALIZED, false: NOT MATERIALIZED, nil: neither.
    public var materialized: Bool?
    public var select: Select
    public init(name: String, columns: [String] = [], materialized: Bool? = nil, select: Select) {
        self.name = name; self.columns = columns; self.materialized = materialized; self.select = select
    }
}
