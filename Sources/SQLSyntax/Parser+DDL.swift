extension Parser {
    mutating func parseIfNotExists() throws(E) -> Bool {
        if isKw(.if) && isKw(.not, at: 1) {
            pos += 2
            try expect(.exists)
            return true
        }
        return false
    }

    mutating func parseCreate() throws(E) -> StatementKind {
        try expect(.create)
        let temporary = accept(.temp) || accept(.temporary)
        if accept(.unique) {
            if temporary { throw syntaxError(tokens[pos - 1]) }
            try expect(.index)
            return .createIndex(try parseCreateIndexRest(unique: true))
        }
        switch tok.kind == .keyword ? tok.keyword : .none {
        case .table:
            advance()
            return .createTable(try parseCreateTableRest(temporary: temporary))
        case .index where !temporary:
            advance()
            return .createIndex(try parseCreateIndexRest(unique: false))
        case .view:
            advance()
            let ifNotExists = try parseIfNotExists()
            var v = CreateViewStatement(temporary: temporary, ifNotExists: ifNotExists, name: try parseQualifiedName(),
                                        select: Select(first: .values([])))
            if isKind(.lparen) { v.columns = try parseNameList() }
            try expect(.as)
            v.select = try parseSelect()
            return .createView(v)
        case .trigger:
            advance()
            return .createTrigger(try parseCreateTriggerRest(temporary: temporary))
        default:
            throw syntaxError()
        }
    }

    mutating func parseCreateTableRest(temporary: Bool) throws(E) -> CreateTableStatement {
        let ifNotExists = try parseIfNotExists()
        let name = try parseQualifiedName()
        if accept(.as) {
            return CreateTableStatement(temporary: temporary, ifNotExists: ifNotExists, name: name, body: .asSelect(try parseSelect()))
        }
        try expect(.lparen)
        var columns: [ColumnDefinition] = []
        var constraints: [TableConstraint] = []
        columns.append(try parseColumnDefinition())
        while accept(.comma) {
            if startsTableConstraint() { break }
            columns.append(try parseColumnDefinition())
        }
        if startsTableConstraint() {
            constraints.append(try parseTableConstraint())
            while true {
                if accept(.comma) { constraints.append(try parseTableConstraint()); continue }
                if startsTableConstraint() { constraints.append(try parseTableConstraint()); continue }
                break
            }
        }
        try expect(.rparen)
        var withoutRowid = false, strict = false
        if isKw(.without) || isKw(.strict) {
            repeat {
                if accept(.without) {
                    guard tok.kind != .eof, isName(tok), nameValue(tok).lowercased() == "rowid" else { throw syntaxError() }
                    advance()
                    withoutRowid = true
                } else if accept(.strict) {
                    strict = true
                } else {
                    throw syntaxError()
                }
            } while accept(.comma)
        }
        return CreateTableStatement(temporary: temporary, ifNotExists: ifNotExists, name: name,
                                    body: .columns(columns, constraints: constraints, withoutRowid: withoutRowid, strict: strict))
    }

    mutating func startsTableConstraint() -> Bool {
        guard tok.kind == .keyword else { return false }
        switch tok.keyword {
        case .constraint, .primary, .unique, .check, .foreign: return true
        default: return false
        }
    }

    mutating func parseColumnDefinition() throws(E) -> ColumnDefinition {
        var def = ColumnDefinition(name: try parseName())
        def.type = try parseTypeName()
        while true {
            var name: String? = nil
            if accept(.constraint) { name = try parseName() }
            guard let kind = try parseColumnConstraintKind() else {
                if name != nil { throw syntaxError() }
                break
            }
            def.constraints.append(ColumnConstraint(name: name, kind))
        }
        return def
    }

    mutating func parseOnConflict() throws(E) -> ConflictResolution? {
        if isKw(.on) && isKw(.conflict, at: 1) {
            pos += 2
            return try parseConflictResolution()
        }
        return nil
    }

    mutating func parseColumnConstraintKind() throws(E) -> ColumnConstraint.Kind? {
        guard tok.kind == .keyword else { return nil }
        switch tok.keyword {
        case .primary:
            advance()
            try expect(.key)
            var asc: Bool? = nil
            if accept(.asc) { asc = true } else if accept(.desc) { asc = false }
            let conflict = try parseOnConflict()
            return .primaryKey(ascending: asc, onConflict: conflict, autoincrement: accept(.autoincrement))
        case .not:
            advance()
            try expect(.null)
            return .notNull(onConflict: try parseOnConflict())
        case .null:
            advance()
            return .null(onConflict: try parseOnConflict())
        case .unique:
            advance()
            return .unique(onConflict: try parseOnConflict())
        case .check:
            advance()
            try expect(.lparen)
            let e = try parseExpr()
            try expect(.rparen)
            return .check(e)
        case .default:
            advance()
            return .default(try parseDefaultValue())
        case .collate:
            advance()
            return .collate(try parseName())
        case .references:
            advance()
            return .references(try parseForeignKeyClause())
        case .generated, .as:
            if accept(.generated) { try expect(.always) }
            try expect(.as)
            try expect(.lparen)
            let e = try parseExpr()
            try expect(.rparen)
            var stored: Bool? = nil
            if accept(.stored) { stored = true } else if accept(.virtual) { stored = false }
            return .generated(e, stored: stored)
        default:
            return nil
        }
    }

    /// DEFAULT literal | signed number | (expr) | identifier (taken as a string) | CURRENT_*.
    mutating func parseDefaultValue() throws(E) -> Expr {
        let t = tok
        switch t.kind {
        case .lparen:
            advance()
            let e = try parseExpr()
            try expect(.rparen)
            return e
        case .plus, .minus:
            advance()
            let operand = try parseDefaultLiteral()
            return .unary(t.kind == .minus ? .minus : .plus, operand)
        default:
            return try parseDefaultLiteral()
        }
    }

    mutating func parseDefaultLiteral() throws(E) -> Expr {
        let t = tok
        switch t.kind {
        case .number, .string, .blob:
            return try parsePrimary()
        case .keyword where t.keyword == .null || t.keyword == .current_time || t.keyword == .current_date || t.keyword == .current_timestamp:
            return try parsePrimary()
        case .keyword where t.keyword == .true || t.keyword == .false:
            advance()
            return .literal(.bool(t.keyword == .true))
        default:
            if isName(t) && t.kind != .string {
                advance()
                return .literal(.string(nameValue(t)))
            }
            throw syntaxError()
        }
    }

    mutating func parseForeignKeyClause() throws(E) -> ForeignKeyClause {
        var fk = ForeignKeyClause(table: try parseName())
        if isKind(.lparen) { fk.columns = try parseNameList() }
        while true {
            if accept(.on) {
                let isDelete: Bool
                if accept(.delete) { isDelete = true } else { try expect(.update); isDelete = false }
                let action: ForeignKeyClause.Action
                if accept(.set) {
                    if accept(.null) { action = .setNull } else { try expect(.default); action = .setDefault }
                } else if accept(.cascade) { action = .cascade }
                else if accept(.restrict) { action = .restrict }
                else { try expect(.no); try expect(.action); action = .noAction }
                fk.events.append(isDelete ? .onDelete(action) : .onUpdate(action))
            } else if accept(.match) {
                fk.events.append(.match(try parseName()))
            } else {
                break
            }
        }
        if isKw(.deferrable) || (isKw(.not) && isKw(.deferrable, at: 1)) {
            let not = accept(.not)
            advance()
            var initially: Bool? = nil
            if accept(.initially) {
                if accept(.deferred) { initially = true } else { try expect(.immediate); initially = false }
            }
            fk.deferrable = .deferrable(not: not, initiallyDeferred: initially)
        }
        return fk
    }

    mutating func parseTableConstraint() throws(E) -> TableConstraint {
        var name: String? = nil
        if accept(.constraint) { name = try parseName() }
        let t = tok
        guard t.kind == .keyword else { throw syntaxError() }
        switch t.keyword {
        case .primary:
            advance()
            try expect(.key)
            try expect(.lparen)
            var cols: [IndexedColumn] = []
            repeat { cols.append(try parseIndexedColumn()) } while accept(.comma)
            let autoinc = accept(.autoincrement)
            try expect(.rparen)
            return TableConstraint(name: name, .primaryKey(cols, onConflict: try parseOnConflict(), autoincrement: autoinc))
        case .unique:
            advance()
            try expect(.lparen)
            var cols: [IndexedColumn] = []
            repeat { cols.append(try parseIndexedColumn()) } while accept(.comma)
            try expect(.rparen)
            return TableConstraint(name: name, .unique(cols, onConflict: try parseOnConflict()))
        case .check:
            advance()
            try expect(.lparen)
            let e = try parseExpr()
            try expect(.rparen)
            return TableConstraint(name: name, .check(e))
        case .foreign:
            advance()
            try expect(.key)
            let cols = try parseNameList()
            try expect(.references)
            return TableConstraint(name: name, .foreignKey(cols, try parseForeignKeyClause()))
        default:
            throw syntaxError()
        }
    }

    mutating func parseCreateIndexRest(unique: Bool) throws(E) -> CreateIndexStatement {
        let ifNotExists = try parseIfNotExists()
        let name = try parseQualifiedName()
        try expect(.on)
        let table = try parseName()
        try expect(.lparen)
        var cols: [IndexedColumn] = []
        repeat { cols.append(try parseIndexedColumn()) } while accept(.comma)
        try expect(.rparen)
        var stmt = CreateIndexStatement(unique: unique, ifNotExists: ifNotExists, name: name, table: table, columns: cols)
        if accept(.where) { stmt.where = try parseExpr() }
        return stmt
    }

    mutating func parseCreateTriggerRest(temporary: Bool) throws(E) -> CreateTriggerStatement {
        let ifNotExists = try parseIfNotExists()
        let name = try parseQualifiedName()
        var timing: CreateTriggerStatement.Timing? = nil
        if accept(.before) { timing = .before }
        else if accept(.after) { timing = .after }
        else if accept(.instead) { try expect(.of); timing = .insteadOf }
        let event: CreateTriggerStatement.Event
        if accept(.delete) { event = .delete }
        else if accept(.insert) { event = .insert }
        else {
            try expect(.update)
            if accept(.of) {
                var cols = [try parseName()]
                while accept(.comma) { cols.append(try parseName()) }
                event = .update(columns: cols)
            } else {
                event = .update(columns: [])
            }
        }
        try expect(.on)
        var stmt = CreateTriggerStatement(temporary: temporary, ifNotExists: ifNotExists, name: name, timing: timing,
                                          event: event, table: try parseQualifiedName(), body: [])
        if accept(.for) {
            try expect(.each)
            try expect(.row)
            stmt.forEachRow = true
        }
        if accept(.when) { stmt.when = try parseExpr() }
        try expect(.begin)
        repeat {
            let first = tok
            let (line, col) = lineColumn(Int(first.start))
            let kind: StatementKind
            switch first.kind == .keyword ? first.keyword : .none {
            case .select, .values: kind = .select(try parseSelect())
            case .with:
                let w = try parseWith()
                switch tok.kind == .keyword ? tok.keyword : .none {
                case .select, .values: kind = .select(try parseSelect(with: w))
                case .insert, .replace: kind = .insert(try parseInsert(with: w))
                case .update: kind = .update(try parseUpdate(with: w))
                case .delete: kind = .delete(try parseDelete(with: w))
                default: throw syntaxError()
                }
            case .insert, .replace: kind = .insert(try parseInsert(with: nil))
            case .update: kind = .update(try parseUpdate(with: nil))
            case .delete: kind = .delete(try parseDelete(with: nil))
            default: throw syntaxError()
            }
            let last = tokens[pos - 1]
            stmt.body.append(Statement(kind, range: SourceRange(start: Int(first.start), end: Int(last.end), line: line, column: col)))
            try expect(.semicolon)
        } while !isKw(.end)
        try expect(.end)
        return stmt
    }

    mutating func parseDrop() throws(E) -> DropStatement {
        try expect(.drop)
        let kind: DropStatement.Kind
        switch tok.kind == .keyword ? tok.keyword : .none {
        case .table: kind = .table
        case .index: kind = .index
        case .view: kind = .view
        case .trigger: kind = .trigger
        default: throw syntaxError()
        }
        advance()
        var ifExists = false
        if isKw(.if) && isKw(.exists, at: 1) { pos += 2; ifExists = true }
        return DropStatement(kind, ifExists: ifExists, name: try parseQualifiedName())
    }

    mutating func parseAlterTable() throws(E) -> AlterTableStatement {
        try expect(.alter)
        try expect(.table)
        let table = try parseQualifiedName()
        if accept(.rename) {
            if accept(.to) { return AlterTableStatement(table: table, action: .renameTable(to: try parseName())) }
            if isKw(.column) && !isKw(.to, at: 1) { advance() }
            let from = try parseName()
            try expect(.to)
            return AlterTableStatement(table: table, action: .renameColumn(from: from, to: try parseName()))
        }
        if accept(.add) {
            _ = accept(.column)
            return AlterTableStatement(table: table, action: .addColumn(try parseColumnDefinition()))
        }
        try expect(.drop)
        if isKw(.column) && isName(peek(1)) { advance() }
        return AlterTableStatement(table: table, action: .dropColumn(try parseName()))
    }
}
