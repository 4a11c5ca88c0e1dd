extension Parser {
    mutating func parseVacuum() throws(E) -> StatementKind {
        try expect(.vacuum)
        var schema: String? = nil
        if isName(tok) && !isKw(.into) { schema = try parseName() }
        var into: Expr? = nil
        if accept(.into) { into = try parseExpr() }
        return .vacuum(schema: schema, into: into)
    }

    mutating func parsePragma() throws(E) -> PragmaStatement {
        try expect(.pragma)
        var stmt = PragmaStatement(name: try parseQualifiedName())
        if accept(.eq) {
            stmt.value = try parsePragmaValue()
        } else if accept(.lparen) {
            stmt.value = try parsePragmaValue()
            stmt.callForm = true
            try expect(.rparen)
        }
        return stmt
    }

    /// A signed number, a name, a string or a keyword such as ON, kept as written.
    mutating func parsePragmaValue() throws(E) -> String {
        if isKind(.minus) || isKind(.plus) { return try parseSignedNumber() }
        let t = tok
        switch t.kind {
        case .number, .identifier, .quotedIdentifier, .bracketIdentifier, .string, .keyword:
            advance()
            return text(t)
        default:
            throw syntaxError()
        }
    }

    mutating func parseAttach() throws(E) -> StatementKind {
        try expect(.attach)
        _ = accept(.database)
        let file = try parseExpr()
        try expect(.as)
        return .attach(file, as: try parseExpr())
    }

    /// BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] [TRANSACTION|WORK] [modes] or START TRANSACTION [modes].
    mutating func parseBegin() throws(E) -> BeginStatement {
        var stmt = BeginStatement()
        if accept(.start) {
            try expect(.transaction)
        } else {
            try expect(.begin)
            if accept(.deferred) { stmt.mode = .deferred }
            else if accept(.immediate) { stmt.mode = .immediate }
            else if accept(.exclusive) { stmt.mode = .exclusive }
            if !accept(.transaction) { _ = accept(.work) }
        }
        // PostgreSQL transaction modes, optionally comma separated.
        var first = true
        while true {
            if !first && isKind(.comma) && (isKw(.isolation, at: 1) || isKw(.read, at: 1)) { advance() }
            if accept(.isolation) {
                try expect(.level)
                if accept(.serializable) { stmt.isolation = .serializable }
                else if accept(.repeatable) { try expect(.read); stmt.isolation = .repeatableRead }
                else {
                    try expect(.read)
                    if accept(.committed) { stmt.isolation = .readCommitted }
                    else { try expect(.uncommitted); stmt.isolation = .readUncommitted }
                }
            } else if isKw(.read) && (isKw(.only, at: 1) || isKw(.write, at: 1)) {
                advance()
                stmt.readOnly = accept(.only)
                if stmt.readOnly == false { try expect(.write) }
            } else {
                break
            }
            first = false
        }
        return stmt
    }

    mutating func parseRollback() throws(E) -> StatementKind {
        advance()  // ROLLBACK or ABORT
        if !accept(.transaction) { _ = accept(.work) }
        if accept(.to) {
            _ = accept(.savepoint)
            return .rollback(toSavepoint: try parseName())
        }
        return .rollback(toSavepoint: nil)
    }

    /// `name[.name...]` as written (quoted parts unquoted).
    mutating func parseDottedName() throws(E) -> String {
        // PostgreSQL spellings of two settings
        if isKw(.transaction) && isKw(.isolation, at: 1) && isKw(.level, at: 2) {
            pos += 3
            return "transaction_isolation"
        }
        if tok.kind == .identifier && text(tok).lowercased() == "time" && peek(1).kind == .identifier && text(peek(1)).lowercased() == "zone" {
            pos += 2
            return "timezone"
        }
        var name = try parseName()
        while accept(.dot) { name += "." + (try parseName()) }
        return name
    }

    mutating func parseSet() throws(E) -> SetStatement {
        try expect(.set)
        var scope: SetStatement.Scope? = nil
        if (isKw(.session) || isKw(.local)) && isName(peek(1)) {
            scope = isKw(.session) ? .session : .local
            advance()
        }
        // PostgreSQL's SET TIME ZONE value is SET timezone = value
        let timeZone = tok.kind == .identifier && text(tok).lowercased() == "time"
            && peek(1).kind == .identifier && text(peek(1)).lowercased() == "zone"
        let name: String
        if timeZone {
            pos += 2
            name = "timezone"
            if !accept(.eq) { _ = accept(.to) }
        } else {
            name = try parseDottedName()
            if !accept(.eq) { try expect(.to) }
        }
        if accept(.default) { return SetStatement(scope: scope, name: name, values: []) }
        var values: [SetStatement.Value] = []
        repeat {
            let t = tok
            switch t.kind {
            case .string: advance(); values.append(.string(unquoted(t)))
            case .number, .minus, .plus: values.append(.number(try parseSignedNumber()))
            case .identifier, .keyword, .quotedIdentifier, .bracketIdentifier:
                advance()
                values.append(.identifier(nameValue(t)))
            default: throw syntaxError()
            }
        } while accept(.comma)
        return SetStatement(scope: scope, name: name, values: values)
    }

    mutating func parseCall() throws(E) -> CallStatement {
        try expect(.call)
        let name = try parseQualifiedName()
        try expect(.lparen)
        var args: [Expr] = []
        if !isKind(.rparen) { args = try parseExprList() }
        try expect(.rparen)
        return CallStatement(name: name, arguments: args)
    }

    mutating func parseExplain() throws(E) -> ExplainStatement {
        try expect(.explain)
        var stmt = ExplainStatement(statement: Statement(.commit))
        if isKw(.query) && isKw(.plan, at: 1) {
            pos += 2
            stmt.queryPlan = true
        } else if isKind(.lparen) {
            advance()
            repeat {
                let t = tok
                guard t.kind == .identifier || t.kind == .keyword else { throw syntaxError() }
                advance()
                var option = ExplainStatement.Option(name: text(t).uppercased())
                let v = tok
                switch v.kind {
                case .identifier, .keyword, .number:
                    advance()
                    option.value = text(v).uppercased()
                case .string:
                    advance()
                    option.value = unquoted(v)
                default: break
                }
                stmt.options.append(option)
            } while accept(.comma)
            try expect(.rparen)
        } else {
            // ANALYZE/VERBOSE unless they are the statement itself (`EXPLAIN ANALYZE t` is SQLite's ANALYZE)
            if isKw(.analyze) && peek(1).kind == .keyword && [.select, .with, .values, .insert, .update, .delete, .replace, .verbose, .create].contains(peek(1).keyword) {
                advance(); stmt.analyze = true
            }
            if isKw(.verbose) { advance(); stmt.verbose = true }
        }
        let saved = depth
        defer { depth = saved }
        try nest()
        stmt.statement = try parseStatement()
        return stmt
    }
}
