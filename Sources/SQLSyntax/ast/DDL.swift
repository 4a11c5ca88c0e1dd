/// An indexed column or expression (`a COLLATE nocase DESC`); the collation is part of `expr`.
public struct IndexedColumn: Equatable, Sendable {
    public var expr: Expr
    public var ascending: Bool?
    public init(_ expr: Expr, ascending: Bool? = nil) { self.expr = expr; self.ascending = ascending }
    /// The column name when the expression is a plain column (possibly with a collation).
    public var columnName: String? {
        switch expr {
        case .column(let c): return c.column
        case .collate(.column(let c), _): return c.column
        default: return nil
        }
    }
}

public struct CreateTableStatement: Equatable, Sendable {
    public enum Body: Equatable, Sendable {
        case columns([ColumnDefinition], constraints: [TableConstraint], withoutRowid: Bool, strict: Bool)
        case asSelect(Select)
    }
    public var temporary: Bool
    public var ifNotExists: Bool
    public var name: QualifiedName
    public var body: Body
    public init(temporary: Bool = false, ifNotExists: Bool = false, name: QualifiedName, body: Body) {
        self.temporary = temporary; self.ifNotExists = ifNotExists; self.name = name; self.body = body
    }
}

public struct ColumnDefinition: Equatable, Sendable {
    public var name: String
    public var type: TypeName?
    public var constraints: [ColumnConstraint]
    public init(name: String, type: TypeName? = nil, constraints: [ColumnConstraint] = []) {
        self.name = name; self.type = type; self.constraints = constraints
    }
}

public struct ColumnConstraint: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case primaryKey(ascending: Bool?, onConflict: ConflictResolution?, autoincrement: Bool)
        case notNull(onConflict: ConflictResolution?)
        case null(onConflict: ConflictResolution?)
        case unique(onConflict: ConflictResolution?)
        case check(Expr)
        case `default`(Expr)
        case collate(String)
        case references(ForeignKeyClause)
        /// `[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]`; stored is nil when neither was written.
        case generated(Expr, stored: Bool?)
    }
    public var name: String?
    public var kind: Kind
    public init(name: String? = nil, _ kind: Kind) { self.name = name; self.kind = kind }
}

public struct TableConstraint: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case primaryKey([IndexedColumn], onConflict: ConflictResolution?, autoincrement: Bool)
        case unique([IndexedColumn], onConflict: ConflictResolution?)
        case check(Expr)
        case foreignKey([String], ForeignKeyClause)
    }
    public var name: String?
    public var kind: Kind
    public init(name: String? = nil, _ kind: Kind) { self.name = name; self.kind = kind }
}

public struct ForeignKeyClause: Equatable, Sendable {
    public enum Action: String, Sendable {
        case setNull = "SET NULL", setDefault = "SET DEFAULT", cascade = "CASCADE", restrict = "RESTRICT", noAction = "NO ACTION"
    }
    public enum Event: Equatable, Sendable {
        case onDelete(Action), onUpdate(Action), match(String)
    }
    public enum Deferrable: Equatable, Sendable {
        /// `[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]`
        case deferrable(not: Bool, initiallyDeferred: Bool?)
    }
    public var table: String
    public var columns: [String]
    public var events: [Event]
    public var deferrable: Deferrable?
    public init(table: String, columns: [String] = [], events: [Event] = [], deferrable: Deferrable? = nil) {
        self.table = table; self.columns = columns; self.events = events; self.deferrable = deferrable
    }
}

public struct CreateIndexStatement: Equatable, Sendable {
    public var unique: Bool
    public var ifNotExists: Bool
    public var name: QualifiedName
    public var table: String
    public var columns: [IndexedColumn]
    public var `where`: Expr?
    public init(unique: Bool = false, ifNotExists: Bool = false, name: QualifiedName, table: String,
                columns: [IndexedColumn], where: Expr? = nil) {
        self.unique = unique; self.ifNotExists = ifNotExists; self.name = name; self.table = table
        self.columns = columns; self.where = `where`
    }
}

public struct CreateViewStatement: Equatable, Sendable {
    public var temporary: Bool
    public var ifNotExists: Bool
    public var name: QualifiedName
    public var columns: [String]
    public var select: Select
    public init(temporary: Bool = false, ifNotExists: Bool = false, name: QualifiedName, columns: [String] = [], select: Select) {
        self.temporary = temporary; self.ifNotExists = ifNotExists; self.name = name; self.columns = columns; self.select = select
    }
}

public struct CreateTriggerStatement: Equatable, Sendable {
    public enum Timing: String, Sendable { case before = "BEFORE", after = "AFTER", insteadOf = "INSTEAD OF" }
    public enum Event: Equatable, Sendable { case delete, insert, update(columns: [String]) }
    public var temporary: Bool
    public var ifNotExists: Bool
    public var name: QualifiedName
    public var timing: Timing?
    public var event: Event
    public var table: QualifiedName
    public var forEachRow: Bool
    public var when: Expr?
    /// INSERT, UPDATE, DELETE or SELECT statements.
    public var body: [Statement]
    public init(temporary: Bool = false, ifNotExists: Bool = false, name: QualifiedName, timing: Timing? = nil,
                event: Event, table: QualifiedName, forEachRow: Bool = false, when: Expr? = nil, body: [Statement]) {
        self.temporary = temporary; self.ifNotExists = ifNotExists; self.name = name; self.timing = timing
        self.event = event; self.table = table; self.forEachRow = forEachRow; self.when = when; self.body = body
    }
}

public struct DropStatement: Equatable, Sendable {
    public enum Kind: String, Sendable { case table = "TABLE", index = "INDEX", view = "VIEW", trigger = "TRIGGER" }
    public var kind: Kind
    public var ifExists: Bool
    public var name: QualifiedName
    public init(_ kind: Kind, ifExists: Bool = false, name: QualifiedName) { self.kind = kind; self.ifExists = ifExists; self.name = name }
}

public struct AlterTableStatement: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case renameTable(to: String)
        case renameColumn(from: String, to: String)
        case addColumn(ColumnDefinition)
        case dropColumn(String)
    }
    public var table: QualifiedName
    public var action: Action
    public init(table: QualifiedName, action: Action) { self.table = table; self.action = action }
}
