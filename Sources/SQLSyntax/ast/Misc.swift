/// Where a statement sits in the source: UTF-8 byte offsets `start..<end`, and the 1-based
/// line and column (in characters) of its first token. Ranges never affect equality: two
/// statements with the same syntax are equal wherever they were written.
public struct SourceRange: Equatable, Hashable, Sendable {
    public var start: Int
    public var end: Int
    public var line: Int
    public var column: Int
    public init(start: Int, end: Int, line: Int = 1, column: Int = 1) {
        self.start = start; self.end = end; self.line = line; self.column = column
    }
    public static func == (_: SourceRange, _: SourceRange) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

/// A parsed statement and its source range. `sql` prints it back as SQLite SQL.
public struct Statement: Equatable, Sendable {
    public var kind: StatementKind
    public var range: SourceRange
    public init(_ kind: StatementKind, range: SourceRange = SourceRange(start: 0, end: 0)) {
        self.kind = kind; self.range = range
    }
}

public indirect enum StatementKind: Equatable, Sendable {
    case select(Select)
    case insert(InsertStatement)
    case update(UpdateStatement)
    case delete(DeleteStatement)
    case createTable(CreateTableStatement)
    case createIndex(CreateIndexStatement)
    case createView(CreateViewStatement)
    case createTrigger(CreateTriggerStatement)
    case drop(DropStatement)
    case alterTable(AlterTableStatement)
    /// `REINDEX [name]`
    case reindex(QualifiedName?)
    /// `ANALYZE [name]`
    case analyze(QualifiedName?)
    /// `VACUUM [schema] [INTO expr]`
    case vacuum(schema: String?, into: Expr?)
    case pragma(PragmaStatement)
    /// `ATTACH [DATABASE] expr AS expr`
    case attach(Expr, as: Expr)
    /// `DETACH [DATABASE] name`
    case detach(String)
    case begin(BeginStatement)
    /// COMMIT / END
    case commit
    /// ROLLBACK / ABORT; with a savepoint: `ROLLBACK TO SAVEPOINT x`.
    case rollback(toSavepoint: String?)
    case savepoint(String)
    /// `RELEASE [SAVEPOINT] x`
    case release(String)
    case set(SetStatement)
    /// `RESET name`; nil means `RESET ALL`.
    case reset(String?)
    /// `SHOW name`; nil means `SHOW ALL`.
    case show(String?)
    case call(CallStatement)
    case explain(ExplainStatement)
}

public struct BeginStatement: Equatable, Sendable {
    public enum Mode: String, Sendable { case deferred = "DEFERRED", immediate = "IMMEDIATE", exclusive = "EXCLUSIVE" }
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED", repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE", readUncommitted = "READ UNCOMMITTED"
    }
    public var mode: Mode?
    public var isolation: IsolationLevel?
    /// true: READ ONLY, false: READ WRITE, nil: not given.
    public var readOnly: Bool?
    public init(mode: Mode? = nil, isolation: IsolationLevel? = nil, readOnly: Bool? = nil) {
        self.mode = mode; self.isolation = isolation; self.readOnly = readOnly
    }
}

/// `SET [SESSION|LOCAL] name = value[, ...]`, `SET name TO value`, `SET name = DEFAULT`.
public struct SetStatement: Equatable, Sendable {
    public enum Scope: String, Sendable { case session = "SESSION", local = "LOCAL" }
    public enum Value: Equatable, Sendable {
        case string(String)
        /// Signed number as written (`-1`, `2.5`).
        case number(String)
        /// A bare word (`on`, `sharded`, `true`), kept as written.
        case identifier(String)
        /// The word's text for any of the three forms.
        public var text: String {
            switch self { case .string(let s), .number(let s), .identifier(let s): return s }
        }
    }
    public var scope: Scope?
    /// Dotted name as written, e.g. `rds_aurora.limitless_create_table_mode`.
    public var name: String
    /// Empty means DEFAULT.
    public var values: [Value]
    public init(scope: Scope? = nil, name: String, values: [Value]) { self.scope = scope; self.name = name; self.values = values }
    public var isDefault: Bool { values.isEmpty }
}

/// `CALL schema.proc(args)`
public struct CallStatement: Equatable, Sendable {
    public var name: QualifiedName
    public var arguments: [Expr]
    public init(name: QualifiedName, arguments: [Expr]) { self.name = name; self.arguments = arguments }
}

public struct ExplainStatement: Equatable, Sendable {
    public struct Option: Equatable, Sendable {
        public var name: String
        public var value: String?
        public init(name: String, value: String? = nil) { self.name = name; self.value = value }
    }
    /// SQLite's `EXPLAIN QUERY PLAN`.
    public var queryPlan: Bool
    public var analyze: Bool
    public var verbose: Bool
    /// PostgreSQL `EXPLAIN (option [value], ...)`.
    public var options: [Option]
    public var statement: Statement
    public init(queryPlan: Bool = false, analyze: Bool = false, verbose: Bool = false, options: [Option] = [], statement: Statement) {
        self.queryPlan = queryPlan; self.analyze = analyze; self.verbose = verbose; self.options = options; self.statement = statement
    }
}

/// `PRAGMA [schema.]name [= value | (value)]`; the value is kept as written.
public struct PragmaStatement: Equatable, Sendable {
    public var name: QualifiedName
    public var value: String?
    /// Written `PRAGMA x(value)` rather than `PRAGMA x = value`.
    public var callForm: Bool
    public init(name: QualifiedName, value: String? = nil, callForm: Bool = false) {
        self.name = name; self.value = value; self.callForm = callForm
    }
}
