/// A possibly schema-qualified name (`main.t`, `rds_aurora.limitless_tables`).
public struct QualifiedName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var schema: String?
    public var name: String
    public init(schema: String? = nil, _ name: String) { self.schema = schema; self.name = name }
    public var description: String { schema.map { "\($0).\(name)" } ?? name }
}

/// Literal values. Numbers keep their source spelling (`1`, `1.5e3`, `0x1F`) so nothing is
/// lost; `integerValue`/`doubleValue` convert.
public enum Literal: Equatable, Hashable, Sendable {
    case null
    case number(String)
    case string(String)
    /// Raw bytes of an `X'..'` literal.
    case blob([UInt8])
    case bool(Bool)
    case currentTime, currentDate, currentTimestamp

    /// The value of an integer literal (decimal or hex) that fits in Int64.
    public var integerValue: Int64? {
        guard case .number(let s) = self else { return nil }
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            return UInt64(s.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) }
        }
        return Int64(s)
    }
    public var doubleValue: Double? {
        guard case .number(let s) = self else { return nil }
        if let i = integerValue { return Double(i) }
        return Double(s)
    }
}

/// `?`, `?NNN`, `:name`, `@name`, `$name`: the text as written.
public struct Parameter: Equatable, Hashable, Sendable {
    public var text: String
    public init(_ text: String) { self.text = text }
}

/// A column reference `[schema.][table.]column`.
///
/// The schema and table names live behind one reference, allocated only for qualified names,
/// so that a `ColumnRef` (and with it every `Expr`) stays small: expressions are copied and
/// boxed throughout parsing and rewriting.
public struct ColumnRef: Hashable, Sendable {
    /// Schema and table of a qualified reference (immutable; a setter replaces it).
    final class Qualifier: Sendable {
        let schema: String?
        let table: String?
        init(_ schema: String?, _ table: String?) { self.schema = schema; self.table = table }
    }
    var qualifier: Qualifier?
    public var column: String
    /// The bare name was written in double quotes. SQLite treats such a name that matches no
    /// column as a string literal, so the printer keeps the double quotes.
    public var doubleQuoted: Bool

    public var schema: String? {
        get { qualifier?.schema }
        set { qualifier = ColumnRef.qualifier(newValue, table) }
    }
    public var table: String? {
        get { qualifier?.table }
        set { qualifier = ColumnRef.qualifier(schema, newValue) }
    }
    static func qualifier(_ schema: String?, _ table: String?) -> Qualifier? {
        schema == nil && table == nil ? nil : Qualifier(schema, table)
    }
    public init(schema: String? = nil, table: String? = nil, _ column: String, doubleQuoted: Bool = false) {
        self.qualifier = ColumnRef.qualifier(schema, table)
        self.column = column; self.doubleQuoted = doubleQuoted
    }

    public static func == (a: ColumnRef, b: ColumnRef) -> Bool {
        a.column == b.column && a.doubleQuoted == b.doubleQuoted && a.schema == b.schema && a.table == b.table
    }
    public func hash(into h: inout Hasher) {
        h.combine(schema); h.combine(table); h.combine(column); h.combine(doubleQuoted)
    }
}

public enum UnaryOperator: String, Equatable, Sendable {
    case minus = "-", plus = "+", bitNot = "~", not = "NOT"
}

public enum BinaryOperator: String, Equatable, Sendable {
    case or = "OR", and = "AND"
    case eq = "=", ne = "<>", lt = "<", le = "<=", gt = ">", ge = ">="
    case bitAnd = "&", bitOr = "|", shl = "<<", shr = ">>"
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case concat = "||", jsonExtract = "->", jsonExtractText = "->>"

    /// SQLite precedence level (higher binds tighter).
    public var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .eq, .ne: return 4
        case .lt, .le, .gt, .ge: return 5
        case .bitAnd, .bitOr, .shl, .shr: return 7
        case .add, .sub: return 8
        case .mul, .div, .mod: return 9
        case .concat, .jsonExtract, .jsonExtractText: return 10
        }
    }
}

/// LIKE, GLOB, REGEXP, MATCH (PostgreSQL's ILIKE is parsed as LIKE).
public enum PatternOperator: String, Equatable, Sendable {
    case like = "LIKE", glob = "GLOB", regexp = "REGEXP", match = "MATCH"
}

/// A type name as written: words joined by one space, plus numeric arguments
/// (`VARCHAR(10)` → name "VARCHAR", arguments ["10"]).
public struct TypeName: Equatable, Hashable, Sendable {
    public var name: String
    public var arguments: [String]
    public init(_ name: String, arguments: [String] = []) { self.name = name; self.arguments = arguments }
}

public enum RaiseAction: String, Equatable, Sendable {
    case ignore = "IGNORE", rollback = "ROLLBACK", abort = "ABORT", fail = "FAIL"
}

/// A function call, aggregate or window function.
public struct FunctionCall: Equatable, Sendable {
    public var name: String
    public var arguments: [Expr]
    /// `count(*)`
    public var star: Bool
    public var distinct: Bool
    public var filter: Expr?
    public var over: Over?
    public init(name: String, arguments: [Expr] = [], star: Bool = false, distinct: Bool = false,
                filter: Expr? = nil, over: Over? = nil) {
        self.name = name; self.arguments = arguments; self.star = star; self.distinct = distinct
        self.filter = filter; self.over = over
    }
}

public enum Over: Equatable, Sendable {
    case named(String)
    case spec(WindowSpec)
}

public struct WindowSpec: Equatable, Sendable {
    public var base: String?
    public var partitionBy: [Expr]
    public var orderBy: [OrderingTerm]
    public var frame: FrameSpec?
    public init(base: String? = nil, partitionBy: [Expr] = [], orderBy: [OrderingTerm] = [], frame: FrameSpec? = nil) {
        self.base = base; self.partitionBy = partitionBy; self.orderBy = orderBy; self.frame = frame
    }
}

public struct FrameSpec: Equatable, Sendable {
    public enum Unit: String, Sendable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }
    public enum Bound: Equatable, Sendable {
        case unboundedPreceding, preceding(Expr), currentRow, following(Expr), unboundedFollowing
    }
    public enum Exclude: String, Sendable {
        case noOthers = "NO OTHERS", currentRow = "CURRENT ROW", group = "GROUP", ties = "TIES"
    }
    public var unit: Unit
    public var start: Bound
    /// nil when written without BETWEEN.
    public var end: Bound?
    public var exclude: Exclude?
    public init(unit: Unit, start: Bound, end: Bound? = nil, exclude: Exclude? = nil) {
        self.unit = unit; self.start = start; self.end = end; self.exclude = exclude
    }
}

public struct CaseExpr: Equatable, Sendable {
    public var operand: Expr?
    public var whens: [WhenThen]
    public var elseValue: Expr?
    public init(operand: Expr? = nil, whens: [WhenThen], elseValue: Expr? = nil) {
        self.operand = operand; self.whens = whens; self.elseValue = elseValue
    }
}

public struct WhenThen: Equatable, Sendable {
    public var when: Expr
    public var then: Expr
    public init(when: Expr, then: Expr) { self.when = when; self.then = then }
}

/// An expression. Leaves (literals, parameters, columns) are stored inline, the other cases
/// are boxed. Parentheses leave no node; PostgreSQL spellings are normalised at parse time
/// (`x::t` is `.cast`, `ILIKE` is `.pattern(.like)`, `IS DISTINCT FROM` is `.is(negated: true)`).
public enum Expr: Equatable, Sendable {
    case literal(Literal)
    case parameter(Parameter)
    case column(ColumnRef)
    indirect case unary(UnaryOperator, Expr)
    indirect case binary(BinaryOperator, Expr, Expr)
    /// `a IS b`, `a IS NOT b` (negated).
    indirect case `is`(Expr, Expr, negated: Bool)
    /// `a ISNULL` / `a NOTNULL` / `a NOT NULL` (negated = NOTNULL).
    indirect case isNull(Expr, negated: Bool)
    indirect case pattern(PatternOperator, Expr, Expr, escape: Expr?, negated: Bool)
    indirect case between(Expr, Expr, Expr, negated: Bool)
    indirect case inList(Expr, [Expr], negated: Bool)
    indirect case inSelect(Expr, Select, negated: Bool)
    /// `a IN t` or `a IN schema.f(args)` (a table-valued function when `arguments` is non-nil).
    indirect case inTable(Expr, QualifiedName, arguments: [Expr]?, negated: Bool)
    indirect case exists(Select)
    indirect case subquery(Select)
    indirect case function(FunctionCall)
    indirect case cast(Expr, TypeName)
    indirect case collate(Expr, String)
    indirect case `case`(CaseExpr)
    case raise(RaiseAction, String?)
    /// A row value `(a, b, ...)` with at least two elements.
    indirect case row([Expr])
    /// PostgreSQL `ARRAY[...]`.
    indirect case array([Expr])
}
