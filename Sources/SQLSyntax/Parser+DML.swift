extension Parser {
    mutating func parseConflictResolution() throws(E) -> ConflictResolution {
        let r: ConflictResolution
        switch tok.kind == .keyword ? tok.keyword : .none {
        case .rollback: r = .rollback
        case .abort: r = .abort
        case .fail: r = .fail
        case .ignore: r = .ignore
        case .replace: r = .replace
        default: throw syntaxError()
        }
        advance()
        return r
    }

    /// `OR resolution` after INSERT/UPDATE.
    mutating func parseOrAction() throws(E) -> ConflictResolution? {
        if accept(.or) { return try parseConflictResolution() }
        return nil
    }

    mutating func parseInsert(with: WithClause?) throws(E) -> InsertStatement {
        var orAction: ConflictResolution?
        if accept(.replace) {
            orAction = .replace
        } else {
            try expect(.insert)
            orAction = try parseOrAction()
        }
        try expect(.into)
        var stmt = InsertStatement(with: with, orAction: orAction, table: try parseQualifiedName(), source: .defaultValues)
        if accept(.as) { stmt.alias = try parseName() }
        if isKind(.lparen) { stmt.columns = try parseNameList() }
        if accept(.default) {
            try expect(.values)
        } else {
            let s = try parseSelect()
            if s.with == nil, s.compound.isEmpty, s.orderBy.isEmpty, s.limit == nil, case .values(let rows) = s.first {
                stmt.source = .values(rows)
            } else {
                stmt.source = .select(s)
            }
            while isKw(.on) && isKw(.conflict, at: 1) {
                pos += 2
                stmt.upsert.append(try parseUpsert())
            }
        }
        stmt.returning = try parseReturning()
        return stmt
    }

    mutating func parseUpsert() throws(E) -> UpsertClause {
        var u = UpsertClause(action: .nothing)
        if accept(.lparen) {
            repeat { u.target.append(try parseIndexedColumn()) } while accept(.comma)
            try expect(.rparen)
            if accept(.where) { u.targetWhere = try parseExpr() }
        }
        try expect(.do)
        if accept(.nothing) { return u }
        try expect(.update)
        try expect(.set)
        let sets = try parseSetClauses()
        var whereExpr: Expr? = nil
        if accept(.where) { whereExpr = try parseExpr() }
        u.action = .update(sets, where: whereExpr)
        return u
    }

    mutating func parseSetClauses() throws(E) -> [SetClause] {
        var sets: [SetClause] = []
        repeat {
            let cols = isKind(.lparen) ? try parseNameList() : [try parseName()]
            try expect(.eq)
            sets.append(SetClause(columns: cols, value: try parseExpr()))
        } while accept(.comma)
        return sets
    }

    mutating func parseReturning() throws(E) -> [ResultColumn] {
        guard accept(.returning) else { return [] }
        var cols: [ResultColumn] = []
        repeat { cols.append(try parseResultColumn()) } while accept(.comma)
        return cols
    }

    mutating func parseUpdate(with: WithClause?) throws(E) -> UpdateStatement {
        try expect(.update)
        let orAction = try parseOrAction()
        var stmt = UpdateStatement(with: with, orAction: orAction, table: try parseQualifiedName(), sets: [])
        if accept(.as) { stmt.alias = try parseName() }
        stmt.indexed = try parseIndexedBy()
        try expect(.set)
        stmt.sets = try parseSetClauses()
        if accept(.from) { stmt.from = try parseJoinClause() }
        if accept(.where) { stmt.where = try parseExpr() }
        stmt.returning = try parseReturning()
        return stmt
    }

    mutating func parseDelete(with: WithClause?) throws(E) -> DeleteStatement {
        try expect(.delete)
        try expect(.from)
        var stmt = DeleteStatement(with: with, table: try parseQualifiedName())
        if accept(.as) { stmt.alias = try parseName() }
        stmt.indexed = try parseIndexedBy()
        if accept(.where) { stmt.where = try parseExpr() }
        stmt.returning = try parseReturning()
        return stmt
    }

    /// `expr [ASC|DESC]` (the collation is part of the expression).
    mutating func parseIndexedColumn() throws(E) -> IndexedColumn {
        var c = IndexedColumn(try parseExpr())
        if accept(.asc) { c.ascending = true } else if accept(.desc) { c.ascending = false }
        return c
    }
}
