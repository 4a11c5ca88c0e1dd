/// Expressions by precedence climbing over SQLite's levels (low to high):
/// 1 OR · 2 AND · 3 NOT (prefix) · 4 = == != <> IS IN LIKE GLOB REGEXP MATCH BETWEEN ISNULL NOTNULL ·
/// 5 < <= > >= · 7 & | << >> · 8 + - · 9 * / % · 10 || -> ->> · 11 COLLATE · 12 unary - + ~ ·
/// PostgreSQL's `::` binds tightest.
extension Parser {
    mutating func parseExpr() throws(E) -> Expr { try parseExpr(0) }

    /// `stopAtAnd` parses the low bound of BETWEEN: in SQLite's grammar it takes every operator,
    /// OR included, up to an AND at its own level (`x BETWEEN a = b AND c` has low bound `a = b`).
    mutating func parseExpr(_ minPrec: Int, stopAtAnd: Bool = false) throws(E) -> Expr {
        let saved = depth
        defer { depth = saved }
        try nest()
        let lhs = try parsePrefix()
        // most operands end at a comma, a keyword or a parenthesis: skip the operator loop
        if !continuesInfix(minPrec, stopAtAnd) { return lhs }
        return try parseInfix(lhs, minPrec, stopAtAnd)
    }

    /// Whether the current token continues an expression as an infix or postfix operator of
    /// precedence `minPrec` or more (exactly when `parseInfix` would not return at once).
    @inline(__always) mutating func continuesInfix(_ minPrec: Int, _ stopAtAnd: Bool) -> Bool {
        let t = tok
        let prec: Int
        switch t.kind {
        case .keyword:
            switch t.keyword {
            case .or: prec = 1
            case .and: if stopAtAnd { return false }; prec = 2
            case .not, .is, .in, .like, .glob, .regexp, .match, .between, .isnull, .notnull: prec = 4
            case .ilike: if !startsExpr(peek(1)) { return false }; prec = 4
            case .collate: prec = 11
            default: return false
            }
        case .eq, .ne: prec = 4
        case .lt, .le, .gt, .ge: prec = 5
        case .bitAnd, .bitOr, .shl, .shr: prec = 7
        case .plus, .minus: prec = 8
        case .star, .slash, .percent: prec = 9
        case .concat, .ptr, .ptr2: prec = 10
        default: return false
        }
        return prec >= minPrec
    }

    /// The operator loop of precedence climbing, from a parsed left operand.
    mutating func parseInfix(_ first: Expr, _ minPrec: Int, _ stopAtAnd: Bool) throws(E) -> Expr {
        var lhs = first
        while true {
            let t = tok
            var prec = 0
            var op: BinaryOperator? = nil
            switch t.kind {
            case .keyword:
                switch t.keyword {
                case .or: prec = 1; op = .or
                case .and:
                    if stopAtAnd { return lhs }
                    prec = 2; op = .and
                case .not, .is, .in, .like, .glob, .regexp, .match, .between, .isnull, .notnull: prec = 4
                case .ilike:
                    // not a keyword in SQLite: `SELECT x ilike FROM t` names a column "ilike"
                    if !startsExpr(peek(1)) { return lhs }
                    prec = 4
                case .collate: prec = 11
                default: return lhs
                }
            case .eq: prec = 4; op = .eq
            case .ne: prec = 4; op = .ne
            case .lt: prec = 5; op = .lt
            case .le: prec = 5; op = .le
            case .gt: prec = 5; op = .gt
            case .ge: prec = 5; op = .ge
            case .bitAnd: prec = 7; op = .bitAnd
            case .bitOr: prec = 7; op = .bitOr
            case .shl: prec = 7; op = .shl
            case .shr: prec = 7; op = .shr
            case .plus: prec = 8; op = .add
            case .minus: prec = 8; op = .sub
            case .star: prec = 9; op = .mul
            case .slash: prec = 9; op = .div
            case .percent: prec = 9; op = .mod
            case .concat: prec = 10; op = .concat
            case .ptr: prec = 10; op = .jsonExtract
            case .ptr2: prec = 10; op = .jsonExtractText
            default: return lhs
            }
            if prec < minPrec { return lhs }
            try nest()
            if let op {
                advance()
                // the right operand: what parseExpr(prec + 1) does, without its frame when no
                // tighter operator follows the operand
                let d = depth
                try nest()
                var rhs = try parsePrefix()
                if continuesInfix(prec + 1, false) { rhs = try parseInfix(rhs, prec + 1, false) }
                depth = d
                lhs = .binary(op, lhs, rhs)
                continue
            }
            if t.keyword == .collate {
                advance()
                lhs = .collate(lhs, try parseName())
                continue
            }
            guard let next = try parsePostfixLevel4(lhs) else { return lhs }
            lhs = next
        }
    }

    /// The level-4 operators other than `=`/`<>`: IS, IN, LIKE & co, BETWEEN, ISNULL, NOTNULL,
    /// each optionally preceded by NOT. Returns nil when the NOT starts something else.
    mutating func parsePostfixLevel4(_ lhs: Expr) throws(E) -> Expr? {
        let t = tok
        switch t.keyword {
        case .isnull: advance(); return .isNull(lhs, negated: false)
        case .notnull: advance(); return .isNull(lhs, negated: true)
        case .is:
            advance()
            var negated = accept(.not)
            if accept(.distinct) {
                try expect(.from)
                negated.toggle()
            }
            let rhs = try parseExpr(5)
            return .is(lhs, rhs, negated: negated)
        default: break
        }
        var negated = false
        if t.keyword == .not {
            let n = peek(1)
            guard n.kind == .keyword else { return nil }
            switch n.keyword {
            case .null:
                pos += 2
                return .isNull(lhs, negated: true)
            case .in, .like, .glob, .regexp, .match, .ilike, .between: break
            default: return nil
            }
            advance()
            negated = true
        }
        let k = tok.keyword
        advance()
        switch k {
        case .in: return try parseInRest(lhs, negated: negated)
        case .between:
            let low = try parseExpr(0, stopAtAnd: true)
            try expect(.and)
            let high = try parseExpr(5)
            return .between(lhs, low, high, negated: negated)
        default:
            let op: PatternOperator
            switch k {
            case .glob: op = .glob
            case .regexp: op = .regexp
            case .match: op = .match
            default: op = .like
            }
            let rhs = try parseExpr(5)
            var escape: Expr? = nil
            if accept(.escape) { escape = try parseExpr(5) }
            return .pattern(op, lhs, rhs, escape: escape, negated: negated)
        }
    }

    mutating func parseInRest(_ lhs: Expr, negated: Bool) throws(E) -> Expr {
        if accept(.lparen) {
            if startsSelect() {
                let s = try parseSelect()
                try expect(.rparen)
                return .inSelect(lhs, s, negated: negated)
            }
            var list: [Expr] = []
            if !isKind(.rparen) { list = try parseExprList() }
            try expect(.rparen)
            return .inList(lhs, list, negated: negated)
        }
        let name = try parseQualifiedName()
        if accept(.lparen) {
            var args: [Expr] = []
            if !isKind(.rparen) { args = try parseExprList() }
            try expect(.rparen)
            return .inTable(lhs, name, arguments: args, negated: negated)
        }
        return .inTable(lhs, name, arguments: nil, negated: negated)
    }

    /// Whether `t` can begin an expression.
    mutating func startsExpr(_ t: Token) -> Bool {
        switch t.kind {
        case .number, .string, .blob, .parameter, .lparen, .minus, .plus, .tilde,
             .identifier, .quotedIdentifier, .bracketIdentifier:
            return true
        case .keyword:
            switch t.keyword {
            case .not, .null, .case, .exists: return true
            default: return !t.keyword.isReserved || t.keyword.isJoinKeyword
            }
        default:
            return false
        }
    }

    mutating func startsSelect() -> Bool {
        let t = tok
        return t.kind == .keyword && (t.keyword == .select || t.keyword == .with || t.keyword == .values)
    }

    mutating func parseExprList() throws(E) -> [Expr] {
        // room for a few items up front: one allocation for most lists instead of one per
        // doubling from a single element
        var list: [Expr] = []
        list.reserveCapacity(4)
        repeat { list.append(try parseExpr()) } while accept(.comma)
        return list
    }

    /// Prefix operators, then a primary with its `::type` suffixes.
    mutating func parsePrefix() throws(E) -> Expr {
        let t = tok
        switch t.kind {
        case .minus, .plus, .tilde:
            advance()
            try nest()
            let operand = try parsePrefix()
            return .unary(t.kind == .minus ? .minus : (t.kind == .plus ? .plus : .bitNot), operand)
        case .keyword where t.keyword == .not:
            advance()
            return .unary(.not, try parseExpr(3))
        default:
            var e = try parsePrimary()
            while accept(.doubleColon) {
                try nest()
                e = .cast(e, try parsePostgresType())
            }
            return e
        }
    }

    /// Primary expressions. Each larger form has its own function so that this frame, which
    /// sits on the stack once per nesting level, stays small.
    mutating func parsePrimary() throws(E) -> Expr {
        let t = tok
        switch t.kind {
        case .number:
            advance()
            return .literal(.number(text(t)))
        case .string:
            advance()
            return .literal(.string(unquoted(t)))
        case .blob:
            advance()
            return .literal(.blob(blobBytes(t)))
        case .parameter:
            advance()
            return .parameter(Parameter(text(t)))
        case .lparen:
            return try parseParenthesized()
        case .keyword:
            switch t.keyword {
            case .null: advance(); return .literal(.null)
            case .current_time: advance(); return .literal(.currentTime)
            case .current_date: advance(); return .literal(.currentDate)
            case .current_timestamp: advance(); return .literal(.currentTimestamp)
            case .true where peek(1).kind != .lparen && peek(1).kind != .dot: advance(); return .literal(.bool(true))
            case .false where peek(1).kind != .lparen && peek(1).kind != .dot: advance(); return .literal(.bool(false))
            case .exists: return try parseExists()
            case .case: return try parseCase()
            case .cast where peek(1).kind == .lparen: return try parseCast()
            case .raise where peek(1).kind == .lparen: return try parseRaise()
            case .array where peek(1).kind == .lbracket: return try parseArray()
            default:
                if t.keyword.isReserved && !t.keyword.isJoinKeyword { throw syntaxError() }
                return try parseIdentifierExpr()
            }
        case .identifier, .quotedIdentifier, .bracketIdentifier:
            return try parseIdentifierExpr()
        default:
            throw syntaxError()
        }
    }

    /// `( select )`, `( expr )` or a row value `( expr, expr ... )`.
    mutating func parseParenthesized() throws(E) -> Expr {
        advance()
        if startsSelect() {
            let s = try parseSelect()
            try expect(.rparen)
            return .subquery(s)
        }
        let first = try parseExpr()
        if accept(.rparen) { return first }
        var list = [first]
        while accept(.comma) { list.append(try parseExpr()) }
        try expect(.rparen)
        return .row(list)
    }

    mutating func parseExists() throws(E) -> Expr {
        advance()
        try expect(.lparen)
        let s = try parseSelect()
        try expect(.rparen)
        return .exists(s)
    }

    mutating func parseCast() throws(E) -> Expr {
        advance(); advance()
        let e = try parseExpr()
        try expect(.as)
        let type = try parseTypeName() ?? TypeName("")
        try expect(.rparen)
        return .cast(e, type)
    }

    mutating func parseRaise() throws(E) -> Expr {
        advance(); advance()
        let action: RaiseAction
        switch tok.kind == .keyword ? tok.keyword : .none {
        case .ignore: action = .ignore
        case .rollback: action = .rollback
        case .abort: action = .abort
        case .fail: action = .fail
        default: throw syntaxError()
        }
        advance()
        var message: String? = nil
        if action != .ignore {
            try expect(.comma)
            guard tok.kind == .string else { throw syntaxError() }
            message = unquoted(tok)
            advance()
        }
        try expect(.rparen)
        return .raise(action, message)
    }

    mutating func parseArray() throws(E) -> Expr {
        advance(); advance()
        var items: [Expr] = []
        if !isKind(.rbracket) { items = try parseExprList() }
        try expect(.rbracket)
        return .array(items)
    }

    mutating func blobBytes(_ t: Token) -> [UInt8] {
        var out: [UInt8] = []
        var i = Int(t.start) + 2
        let e = Int(t.end) - 1
        out.reserveCapacity((e - i) / 2)
        func hex(_ c: UInt8) -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return c - 55
            }
        }
        while i + 1 < e + 1 && i < e {
            out.append(hex(p[i]) << 4 | hex(p[i + 1]))
            i += 2
        }
        return out
    }

    /// A column reference or a function call.
    mutating func parseIdentifierExpr() throws(E) -> Expr {
        let t = tok
        advance()
        if isKind(.lparen) && t.kind != .bracketIdentifier {
            return try parseFunctionCall(name: nameValue(t))
        }
        let first = nameValue(t)
        if isKind(.dot) {
            advance()
            let second = try parseName()
            if accept(.dot) {
                let third = try parseName()
                return .column(ColumnRef(schema: first, table: second, third))
            }
            return .column(ColumnRef(table: first, second))
        }
        return .column(ColumnRef(first, doubleQuoted: t.kind == .quotedIdentifier))
    }

    mutating func parseFunctionCall(name: String) throws(E) -> Expr {
        try expect(.lparen)
        var call = FunctionCall(name: name)
        if accept(.star) {
            call.star = true
        } else if !isKind(.rparen) {
            if accept(.distinct) { call.distinct = true } else { _ = accept(.all) }
            call.arguments = try parseExprList()
        }
        try expect(.rparen)
        if isKw(.filter) && peek(1).kind == .lparen {
            advance(); advance()
            try expect(.where)
            call.filter = try parseExpr()
            try expect(.rparen)
        }
        if isKw(.over) && (peek(1).kind == .lparen || isName(peek(1))) {
            advance()
            if accept(.lparen) {
                call.over = .spec(try parseWindowSpecBody())
            } else {
                call.over = .named(try parseName())
            }
        }
        return .function(call)
    }

    /// The inside of `( ... )` of a window definition; consumes the closing parenthesis.
    mutating func parseWindowSpecBody() throws(E) -> WindowSpec {
        var spec = WindowSpec()
        if isName(tok) && !(tok.kind == .keyword && [.partition, .order, .range, .rows, .groups].contains(tok.keyword)) {
            spec.base = try parseName()
        }
        if accept(.partition) {
            try expect(.by)
            spec.partitionBy = try parseExprList()
        }
        if accept(.order) {
            try expect(.by)
            spec.orderBy = try parseOrderingTerms()
        }
        if tok.kind == .keyword, let unit: FrameSpec.Unit = (tok.keyword == .rows ? .rows : tok.keyword == .range ? .range : tok.keyword == .groups ? .groups : nil) {
            advance()
            var frame: FrameSpec
            if accept(.between) {
                let start = try parseFrameBound()
                try expect(.and)
                let end = try parseFrameBound()
                frame = FrameSpec(unit: unit, start: start, end: end)
            } else {
                frame = FrameSpec(unit: unit, start: try parseFrameBound())
            }
            if accept(.exclude) {
                if accept(.no) { try expect(.others); frame.exclude = .noOthers }
                else if accept(.current) { try expect(.row); frame.exclude = .currentRow }
                else if accept(.group) { frame.exclude = .group }
                else if accept(.ties) { frame.exclude = .ties }
                else { throw syntaxError() }
            }
            spec.frame = frame
        }
        try expect(.rparen)
        return spec
    }

    mutating func parseFrameBound() throws(E) -> FrameSpec.Bound {
        if isKw(.unbounded) && (isKw(.preceding, at: 1) || isKw(.following, at: 1)) {
            advance()
            let preceding = isKw(.preceding)
            advance()
            return preceding ? .unboundedPreceding : .unboundedFollowing
        }
        if isKw(.current) && isKw(.row, at: 1) {
            pos += 2
            return .currentRow
        }
        let e = try parseExpr(5)
        if accept(.preceding) { return .preceding(e) }
        try expect(.following)
        return .following(e)
    }

    mutating func parseCase() throws(E) -> Expr {
        try expect(.case)
        var c = CaseExpr(whens: [])
        c.whens.reserveCapacity(4)
        if !isKw(.when) { c.operand = try parseExpr() }
        while accept(.when) {
            let w = try parseExpr()
            try expect(.then)
            c.whens.append(WhenThen(when: w, then: try parseExpr()))
        }
        if c.whens.isEmpty { throw syntaxError() }
        if accept(.else) { c.elseValue = try parseExpr() }
        try expect(.end)
        return .case(c)
    }

    /// SQLite type name: one or more words, then optional `(n [, m ...])`. nil when absent.
    mutating func parseTypeName() throws(E) -> TypeName? {
        var words: [String] = []
        while isTypeWord(tok) {
            words.append(nameValue(tok))
            advance()
        }
        if words.isEmpty { return nil }
        var type = TypeName(words.joined(separator: " "))
        if accept(.lparen) {
            type.arguments.append(try parseSignedNumber())
            while accept(.comma) { type.arguments.append(try parseSignedNumber()) }
            try expect(.rparen)
        }
        return type
    }

    mutating func isTypeWord(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier, .quotedIdentifier, .bracketIdentifier, .string: return true
        case .keyword: return !t.keyword.isReserved && t.keyword != .generated
        default: return false
        }
    }

    /// The type after PostgreSQL's `::`: one word (or a known two-word type) and arguments.
    mutating func parsePostgresType() throws(E) -> TypeName {
        guard isTypeWord(tok) else { throw syntaxError() }
        var name = nameValue(tok)
        advance()
        let lower = name.lowercased()
        if (lower == "double" && tok.kind == .identifier && text(tok).lowercased() == "precision")
            || (lower == "character" && tok.kind == .identifier && text(tok).lowercased() == "varying") {
            name += " " + text(tok)
            advance()
        }
        var type = TypeName(name)
        if accept(.lparen) {
            type.arguments.append(try parseSignedNumber())
            while accept(.comma) { type.arguments.append(try parseSignedNumber()) }
            try expect(.rparen)
        }
        return type
    }

    /// `[+|-] number`, as written.
    mutating func parseSignedNumber() throws(E) -> String {
        var sign = ""
        if accept(.minus) { sign = "-" } else if accept(.plus) { sign = "+" }
        guard tok.kind == .number else { throw syntaxError() }
        let s = sign + text(tok)
        advance()
        return s
    }
}
