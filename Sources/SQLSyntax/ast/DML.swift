/// `OR ROLLBACK|ABORT|FAIL|IGNORE|REPLACE` and `ON CONFLICT ...` in constraints.
public enum ConflictResolution: String, Equatable, Sendable {
    case rollback = "ROLLBACK", abort = "ABORT", fail = "FAIL", ignore = "IGNORE", replace = "REPLACE"
}

/// `INSERT [OR x] INTO` or `REPLACE INTO` (parsed as `INSERT OR REPLACE`).
public struct InsertStatement: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// Plain `VALUES (...), (...)` rows.
        case values([[Expr]])
        case select(Select)
        case defaultValues
    }
    public var with: WithClause?
    public var orAction: ConflictResolution?
    public var table: QualifiedName
    public var alias: String?
    public var columns: [String]
    public var source: Source
    public var upsert: [UpsertClause]
    public var returning: [ResultColumn]
    public init(with: WithClause? = nil, orAction: ConflictResolution? = nil, table: QualifiedName, alias: String? = nil,
                columns: [String] = [], source: Source, upsert: [UpsertClause] = [], returning: [ResultColumn] = []) {
        self.with = with; self.orAction = orAction; self.table = table; self.alias = alias; self.columns = columns
        self.source = source; self.upsert = upsert; self.returning = returning
    }
}

/// `ON CONFLICT [(target) [WHERE ..]] DO NOTHING | DO UPDATE SET ... [WHERE ...]`.
public struct UpsertClause: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case nothing
        case update([SetClause], where: Expr?)
    }
    public var target: [IndexedColumn]
    public var targetWhere: Expr?
    public var action: Action
    public init(target: [IndexedColumn] = [], targetWhere: Expr? = nil, action: Action) {
        self.target = target; self.targetWhere = targetWhere; self.action = action
    }
}

/// `col = expr` or `(a, b) = expr`.
public struct SetClause: Equatable, Sendable {
    public var columns: [String]
    public var value: Expr
    public init(columns: [String], value: Expr) { self.columns = columns; self.value = value }
}

public struct UpdateStatement: Equatable, Sendable {
    public var with: WithClause?
    public var orAction: ConflictResolution?
    public var table: QualifiedName
    public var alias: String?
    public var indexed: IndexedBy?
    public var sets: [SetClause]
    public var from: JoinClause?
    public var `where`: Expr?
    public var returning: [ResultColumn]
    public init(with: WithClause? = nil, orAction: ConflictResolution? = nil, table: QualifiedName, alias: String? = nil,
                indexed: IndexedBy? = nil, sets: [SetClause], from: JoinClause? = nil, where: Expr? = nil,
                returning: [ResultColumn] = []) {
        self.with = with; self.orAction = orAction; self.table = table; self.alias = alias; self.indexed = indexed
        self.sets = sets; self.from = from; self.where = `where`; self.returning = returning
    }
}

public struct DeleteStatement: Equatable, Sendable {
    public var with: WithClause?
    public var table: QualifiedName
    public var alias: String?
    public var indexed: IndexedBy?
    public var `where`: Expr?
    public var returning: [ResultColumn]
    public init(with: WithClause? = nil, table: QualifiedName, alias: String? = nil, indexed: IndexedBy? = nil,
                where: Expr? = nil, returning: [ResultColumn] = []) {
        self.with = with; self.table = table; self.alias = alias; self.indexed = indexed
        self.where = `where`; self.returning = returning
    }
}
