extension Parser {
    /// `WITH [RECURSIVE] cte, ...`
    mutating func parseWith() throws(E) -> WithClause {
        try expect(.with)
        var w = WithClause(recursive: accept(.recursive), tables: [])
        repeat {
            var cte = CommonTableExpression(name: try parseName(), select: Select(first: .values([])))
            if isKind(.lparen) { cte.columns = try parseNameList() }
            try expect(.as)
            if accept(.materialized) { cte.materialized = true }
            else if isKw(.not) && isKw(.materialized, at: 1) { pos += 2; cte.materialized = false }
            try expect(.lparen)
            cte.select = try parseSelect()
            try expect(.rparen)
            w.tables.append(cte)
        } while accept(.comma)
        return w
    }

    mutating func parseSelect(with: WithClause? = nil) throws(E) -> Select {
        let saved = depth
        defer { depth = saved }
        try nest()
        var withClause = with
        if withClause == nil && isKw(.with) { withClause = try parseWith() }
        let first = try parseSelectCore()
        var compound: [CompoundTerm] = []
        while true {
            let op: CompoundOperator
            if accept(.union) { op = accept(.all) ? .unionAll : .union }
            else if accept(.intersect) { op = .intersect }
            else if accept(.except) { op = .except }
            else { break }
            compound.append(CompoundTerm(op, try parseSelectCore()))
        }
        var orderBy: [OrderingTerm] = []
        if accept(.order) {
            try expect(.by)
            orderBy = try parseOrderingTerms()
        }
        var limit: Limit? = nil
        if accept(.limit) {
            let first = try parseExpr()
            if accept(.offset) {
                limit = Limit(first, offset: try parseExpr())
            } else if accept(.comma) {
                let second = try parseExpr()
                limit = Limit(second, offset: first)
            } else {
                limit = Limit(first)
            }
        }
        return Select(with: withClause, first: first, compound: compound, orderBy: orderBy, limit: limit)
    }

    mutating func parseSelectCore() throws(E) -> SelectCore {
        if accept(.values) {
            var rows: [[Expr]] = []
            repeat {
                try expect(.lparen)
                rows.append(try parseExprList())
                try expect(.rparen)
            } while accept(.comma)
            return .values(rows)
        }
        try expect(.select)
        var distinct = false
        if accept(.distinct) { distinct = true } else { _ = accept(.all) }
        var columns: [ResultColumn] = []
        columns.reserveCapacity(8)
        repeat { columns.append(try parseResultColumn()) } while accept(.comma)
        var from: JoinClause? = nil
        if accept(.from) { from = try parseJoinClause() }
        var whereExpr: Expr? = nil
        if accept(.where) { whereExpr = try parseExpr() }
        var groupBy: [Expr] = []
        var having: Expr? = nil
        if accept(.group) {
            try expect(.by)
            groupBy = try parseExprList()
        }
        if accept(.having) { having = try parseExpr() }
        var windows: [NamedWindow] = []
        if isKw(.window) && isName(peek(1)) && isKw(.as, at: 2) {
            advance()
            repeat {
                let name = try parseName()
                try expect(.as)
                try expect(.lparen)
                windows.append(NamedWindow(name: name, spec: try parseWindowSpecBody()))
            } while accept(.comma)
        }
        return .select(SelectClause(distinct: distinct, columns: columns, from: from, where: whereExpr,
                                    groupBy: groupBy, having: having, windows: windows))
    }

    mutating func parseResultColumn() throws(E) -> ResultColumn {
        if accept(.star) { return .star }
        if isName(tok) && peek(1).kind == .dot && peek(2).kind == .star {
            let name = nameValue(tok)
            pos += 3
            return .tableStar(name)
        }
        let e = try parseExpr()
        return .expr(e, alias: try parseAlias())
    }

    mutating func parseOrderingTerms() throws(E) -> [OrderingTerm] {
        var terms: [OrderingTerm] = []
        terms.reserveCapacity(4)
        repeat {
            var term = OrderingTerm(try parseExpr())
            if accept(.asc) { term.ascending = true } else if accept(.desc) { term.ascending = false }
            if accept(.nulls) {
                if accept(.first) { term.nulls = .first } else { try expect(.last); term.nulls = .last }
            }
            terms.append(term)
        } while accept(.comma)
        return terms
    }

    /// `table-or-subquery (join-operator table-or-subquery join-constraint)*`
    mutating func parseJoinClause() throws(E) -> JoinClause {
        let first = try parseTableRef()
        var joins: [Join] = []
        while true {
            var natural = false
            let kind: JoinOperator.Kind
            if accept(.comma) {
                kind = .comma
            } else {
                if accept(.natural) { natural = true }
                if accept(.join) { kind = .inner }
                else if accept(.inner) { try expect(.join); kind = .inner }
                else if accept(.cross) { try expect(.join); kind = .cross }
                else if accept(.left) { _ = accept(.outer); try expect(.join); kind = .left }
                else if accept(.right) { _ = accept(.outer); try expect(.join); kind = .right }
                else if accept(.full) { _ = accept(.outer); try expect(.join); kind = .full }
                else if natural { throw syntaxError() }
                else { break }
            }
            let table = try parseTableRef()
            var constraint: JoinConstraint? = nil
            if accept(.on) { constraint = .on(try parseExpr()) }
            else if accept(.using) { constraint = .using(try parseNameList()) }
            joins.append(Join(JoinOperator(kind, natural: natural), table, constraint))
        }
        return JoinClause(first, joins: joins)
    }

    mutating func parseTableRef() throws(E) -> TableRef {
        let saved = depth
        defer { depth = saved }
        try nest()
        if accept(.lparen) {
            if startsSelect() {
                let s = try parseSelect()
                try expect(.rparen)
                return .subquery(s, alias: try parseAlias())
            }
            let inner = try parseJoinClause()
            try expect(.rparen)
            let alias = try parseAlias()
            if inner.joins.isEmpty {
                switch inner.first {
                case .table(let n, let a, let i) where alias == nil || a == nil:
                    return .table(n, alias: alias ?? a, indexed: i)
                case .subquery(let s, let a) where alias == nil || a == nil:
                    return .subquery(s, alias: alias ?? a)
                case .function(let n, let args, let a) where alias == nil || a == nil:
                    return .function(n, arguments: args, alias: alias ?? a)
                case .join(let j) where alias == nil:
                    return .join(j)
                default: break
                }
            }
            if alias != nil { throw syntaxError(tokens[pos - 1]) }
            return .join(inner)
        }
        let name = try parseQualifiedName()
        if accept(.lparen) {
            var args: [Expr] = []
            if !isKind(.rparen) { args = try parseExprList() }
            try expect(.rparen)
            return .function(name, arguments: args, alias: try parseAlias())
        }
        let alias = try parseAlias()
        return .table(name, alias: alias, indexed: try parseIndexedBy())
    }

    mutating func parseIndexedBy() throws(E) -> IndexedBy? {
        if isKw(.indexed) && isKw(.by, at: 1) {
            pos += 2
            return .index(try parseName())
        }
        if isKw(.not) && isKw(.indexed, at: 1) {
            pos += 2
            return .notIndexed
        }
        return nil
    }
}
