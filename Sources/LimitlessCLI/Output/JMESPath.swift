import LimitlessSupport

/// A compiled `--query` expression: JMESPath as the aws CLI evaluates it (the Python
/// `jmespath` package: same grammar, same results, same error messages).
public struct JMESPathExpression: Sendable {
    public let source: String
    let root: JMESNode

    /// Compiles `source`. A syntax error is reported the way the aws CLI reports a bad
    /// `--query` option: `Bad value for --query <source>: <jmespath message>` (the aws CLI
    /// prints it after an empty line and exits 255).
    public init(_ source: String) throws(JMESPathError) {
        self.source = source
        do {
            root = try JMESParser.parse(source)
        } catch {
            throw JMESPathError("Bad value for --query \(source): \(error.message)")
        }
    }

    /// The result of the query over `value`; null when evaluation fails (see `search`).
    public func evaluate(_ value: JSON) -> JSON {
        (try? search(value)) ?? .null
    }

    /// The result of the query over `value`, or the error evaluation raises: an unknown
    /// function, a wrong argument count or type (`In function sum(), invalid type for value:
    /// …`), a zero slice step. The aws CLI prints that message after an empty line, exit 255.
    public func search(_ value: JSON) throws(JMESPathError) -> JSON {
        try JMESInterpreter().visit(root, value)
    }
}

// MARK: - Syntax tree

enum JMESComparator: String, Sendable {
    case eq, ne, lt, lte, gt, gte
}

indirect enum JMESNode: Sendable {
    case identity
    case current
    case field(String)
    case subexpression([JMESNode])
    case indexExpression([JMESNode])
    case index(Int)
    case slice(Int?, Int?, Int?)
    case projection(JMESNode, JMESNode)
    case valueProjection(JMESNode, JMESNode)
    case filterProjection(JMESNode, JMESNode, condition: JMESNode)
    case flatten(JMESNode)
    case literal(JSON)
    case multiSelectList([JMESNode])
    case multiSelectHash([(String, JMESNode)])
    case comparator(JMESComparator, JMESNode, JMESNode)
    case or(JMESNode, JMESNode)
    case and(JMESNode, JMESNode)
    case not(JMESNode)
    case pipe(JMESNode, JMESNode)
    case function(String, [JMESNode])
    case expref(JMESNode)
}

// MARK: - Lexer

enum JMESTokenType: String, Sendable {
    case dot, star, rbracket, comma, colon, current, lparen, rparen, lbrace, rbrace
    case unquotedIdentifier = "unquoted_identifier", quotedIdentifier = "quoted_identifier"
    case flatten, filter, lbracket, literal, number
    case or, pipe, and, expref, lte, lt, gte, gt, ne, not, eq, eof

    /// Pratt binding power; everything below 10 stops a projection.
    var bindingPower: Int {
        switch self {
        case .pipe: return 1
        case .or: return 2
        case .and: return 3
        case .eq, .gt, .lt, .gte, .lte, .ne: return 5
        case .flatten: return 9
        case .star: return 20
        case .filter: return 21
        case .dot: return 40
        case .not: return 45
        case .lbrace: return 50
        case .lbracket: return 55
        case .lparen: return 60
        default: return 0
        }
    }
}

struct JMESToken {
    var type: JMESTokenType
    /// The token's value as Python's `str()` shows it in error messages.
    var text: String
    var start: Int
    var identifier = ""
    var number = 0
    var literal = JSON.null
}

/// A compile error, already worded as `jmespath` words it (without the `Bad value` prefix).
struct JMESCompileError: Error {
    var message: String
}

struct JMESLexer {
    let chars: [Unicode.Scalar]
    let expression: String
    var pos = 0

    init(_ expression: String) {
        self.expression = expression
        chars = Array(expression.unicodeScalars)
    }

    var current: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }

    @discardableResult
    mutating func next() -> Unicode.Scalar? {
        if pos < chars.count { pos += 1 }
        return current
    }

    func lexerError(_ position: Int, _ message: String) -> JMESCompileError {
        JMESCompileError(message: "Bad jmespath expression: \(message):\n\(expression)\n"
            + String(repeating: " ", count: position) + "^")
    }

    static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    static func isIdentChar(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    mutating func tokenize() throws(JMESCompileError) -> [JMESToken] {
        if chars.isEmpty { throw JMESCompileError(message: "Invalid JMESPath expression: cannot be empty.") }
        var tokens: [JMESToken] = []
        func simple(_ t: JMESTokenType, _ text: String, _ start: Int) -> JMESToken { JMESToken(type: t, text: text, start: start) }
        while let c = current {
            let start = pos
            switch c {
            case ".": tokens.append(simple(.dot, ".", start)); next()
            case "*": tokens.append(simple(.star, "*", start)); next()
            case "]": tokens.append(simple(.rbracket, "]", start)); next()
            case ",": tokens.append(simple(.comma, ",", start)); next()
            case ":": tokens.append(simple(.colon, ":", start)); next()
            case "@": tokens.append(simple(.current, "@", start)); next()
            case "(": tokens.append(simple(.lparen, "(", start)); next()
            case ")": tokens.append(simple(.rparen, ")", start)); next()
            case "{": tokens.append(simple(.lbrace, "{", start)); next()
            case "}": tokens.append(simple(.rbrace, "}", start)); next()
            case " ", "\t", "\n", "\r": next()
            case "[":
                let n = next()
                if n == "]" {
                    next(); tokens.append(simple(.flatten, "[]", start))
                } else if n == "?" {
                    next(); tokens.append(simple(.filter, "[?", start))
                } else {
                    tokens.append(simple(.lbracket, "[", start))
                }
            case "'":
                let raw = try consumeUntil("'").replacingOccurrences("\\'", "'")
                var t = simple(.literal, raw, start)
                t.literal = .string(raw)
                tokens.append(t)
            case "|": tokens.append(matchOrElse("|", .or, .pipe))
            case "&": tokens.append(matchOrElse("&", .and, .expref))
            case "`":
                tokens.append(try consumeLiteral())
            case "-", "0"..."9":
                var buff = String(c)
                while let d = next(), Self.isDigit(d) { buff.unicodeScalars.append(d) }
                if buff == "-" { throw lexerError(start, "Unknown token '-'") }
                let number = Int(buff) ?? (buff.hasPrefix("-") ? Int.min : Int.max)
                var t = simple(.number, String(number), start)
                t.number = number
                tokens.append(t)
            case "\"":
                tokens.append(try consumeQuotedIdentifier())
            case "<": tokens.append(matchOrElse("=", .lte, .lt))
            case ">": tokens.append(matchOrElse("=", .gte, .gt))
            case "!": tokens.append(matchOrElse("=", .ne, .not))
            case "=":
                if next() == "=" {
                    tokens.append(simple(.eq, "==", start))
                    next()
                } else {
                    throw lexerError(start, "Unknown token '='")
                }
            default:
                if Self.isIdentStart(c) {
                    var buff = String(c)
                    while let d = next(), Self.isIdentChar(d) { buff.unicodeScalars.append(d) }
                    var t = simple(.unquotedIdentifier, buff, start)
                    t.identifier = buff
                    tokens.append(t)
                } else {
                    throw lexerError(pos, "Unknown token \(c)")
                }
            }
        }
        tokens.append(JMESToken(type: .eof, text: "", start: chars.count))
        return tokens
    }

    mutating func matchOrElse(_ expected: Unicode.Scalar, _ match: JMESTokenType, _ otherwise: JMESTokenType) -> JMESToken {
        let start = pos
        let c = current!
        if next() == expected {
            next()
            return JMESToken(type: match, text: String(c) + String(expected), start: start)
        }
        return JMESToken(type: otherwise, text: String(c), start: start)
    }

    /// Consumes a delimited lexeme; a backslash keeps itself and the character after it.
    mutating func consumeUntil(_ delimiter: Unicode.Scalar) throws(JMESCompileError) -> String {
        let start = pos
        var buff = String.UnicodeScalarView()
        next()
        while current != delimiter {
            if current == "\\" {
                buff.append("\\")
                next()
            }
            guard let c = current else {
                throw lexerError(start, "Unclosed \(delimiter) delimiter")
            }
            buff.append(c)
            next()
        }
        next()
        return String(buff)
    }

    mutating func consumeLiteral() throws(JMESCompileError) -> JMESToken {
        let start = pos
        let lexeme = try consumeUntil("`").replacingOccurrences("\\`", "`")
        var value: JSON
        if let v = PythonJSON.loads(lexeme) {
            value = v
        } else if let v = PythonJSON.loads("\"" + String(lexeme.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })) + "\"") {
            // Old (pre JEP-12) unquoted string literal, still accepted.
            value = v
        } else {
            throw lexerError(start, "Bad token \(lexeme)")
        }
        var t = JMESToken(type: .literal, text: Python.str(value), start: start)
        t.literal = value
        return t
    }

    mutating func consumeQuotedIdentifier() throws(JMESCompileError) -> JMESToken {
        let start = pos
        let lexeme = "\"" + (try consumeUntil("\"")) + "\""
        switch PythonJSON.decodeString(lexeme) {
        case let .success(s):
            var t = JMESToken(type: .quotedIdentifier, text: s, start: start)
            t.identifier = s
            return t
        case let .failure(e):
            throw lexerError(start, e.message)
        }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

// MARK: - Parser (top-down operator precedence, as jmespath.py parses)

struct JMESParser {
    let expression: String
    var tokens: [JMESToken]
    var index = 0

    static func parse(_ expression: String) throws(JMESCompileError) -> JMESNode {
        var lexer = JMESLexer(expression)
        var parser = JMESParser(expression: expression, tokens: try lexer.tokenize())
        let node = try parser.expression(0)
        if parser.currentType != .eof {
            let t = parser.token(0)
            throw parser.parseError(t, "Unexpected token: \(t.text)")
        }
        return node
    }

    var currentType: JMESTokenType { tokens[min(index, tokens.count - 1)].type }

    func token(_ offset: Int) -> JMESToken {
        let i = index + offset
        if i < 0 { return tokens[max(0, tokens.count + i)] }
        return tokens[min(i, tokens.count - 1)]
    }

    mutating func advance() { index += 1 }

    func parseError(_ t: JMESToken, _ message: String, position: Int? = nil) -> JMESCompileError {
        let p = position ?? t.start
        return JMESCompileError(message: "\(message): Parse error at column \(p), token \"\(t.text)\" (\(t.type.rawValue.uppercased())), for expression:\n\"\(expression)\"\n" + String(repeating: " ", count: p + 1) + "^")
    }

    func incomplete() -> JMESCompileError {
        let n = expression.unicodeScalars.count
        return JMESCompileError(message: "Invalid jmespath expression: Incomplete expression:\n\"\(expression)\"\n" + String(repeating: " ", count: n + 1) + "^")
    }

    func errorMaybeEOF(expected: String, _ t: JMESToken) -> JMESCompileError {
        if t.type == .eof { return incomplete() }
        return parseError(t, "Expecting: \(expected), got: \(t.type.rawValue)")
    }

    mutating func match(_ type: JMESTokenType) throws(JMESCompileError) {
        if currentType == type { advance() } else { throw errorMaybeEOF(expected: type.rawValue, token(0)) }
    }

    mutating func expression(_ bindingPower: Int) throws(JMESCompileError) -> JMESNode {
        let leftToken = token(0)
        advance()
        var left = try nud(leftToken)
        while bindingPower < currentType.bindingPower {
            let t = token(0)
            guard Self.hasLed(t.type) else { throw parseError(t, "invalid token") }
            advance()
            left = try led(t.type, left)
        }
        return left
    }

    static func hasLed(_ t: JMESTokenType) -> Bool {
        switch t {
        case .dot, .pipe, .or, .and, .lparen, .filter, .eq, .ne, .gt, .gte, .lt, .lte, .flatten, .lbracket: return true
        default: return false
        }
    }

    mutating func nud(_ t: JMESToken) throws(JMESCompileError) -> JMESNode {
        switch t.type {
        case .literal:
            return .literal(t.literal)
        case .unquotedIdentifier:
            return .field(t.identifier)
        case .quotedIdentifier:
            if currentType == .lparen {
                throw parseError(token(0), "Quoted identifier not allowed for function names.", position: 0)
            }
            return .field(t.identifier)
        case .star:
            let right: JMESNode = currentType == .rbracket ? .identity : try projectionRHS(JMESTokenType.star.bindingPower)
            return .valueProjection(.identity, right)
        case .filter:
            return try ledFilter(.identity)
        case .lbrace:
            return try multiSelectHash()
        case .lparen:
            let e = try expression(0)
            try match(.rparen)
            return e
        case .flatten:
            return .projection(.flatten(.identity), try projectionRHS(JMESTokenType.flatten.bindingPower))
        case .not:
            return .not(try expression(JMESTokenType.not.bindingPower))
        case .lbracket:
            if currentType == .number || currentType == .colon {
                let right = try indexExpression()
                return try projectIfSlice(.identity, right)
            } else if currentType == .star && token(1).type == .rbracket {
                advance(); advance()
                return .projection(.identity, try projectionRHS(JMESTokenType.star.bindingPower))
            } else {
                return try multiSelectList()
            }
        case .current:
            return .current
        case .expref:
            return .expref(try expression(JMESTokenType.expref.bindingPower))
        case .eof:
            throw incomplete()
        default:
            throw parseError(t, "invalid token")
        }
    }

    mutating func led(_ type: JMESTokenType, _ left: JMESNode) throws(JMESCompileError) -> JMESNode {
        switch type {
        case .dot:
            if currentType != .star {
                let right = try dotRHS(JMESTokenType.dot.bindingPower)
                if case var .subexpression(children) = left {
                    children.append(right)
                    return .subexpression(children)
                }
                return .subexpression([left, right])
            }
            advance()
            return .valueProjection(left, try projectionRHS(JMESTokenType.dot.bindingPower))
        case .pipe:
            return .pipe(left, try expression(JMESTokenType.pipe.bindingPower))
        case .or:
            return .or(left, try expression(JMESTokenType.or.bindingPower))
        case .and:
            return .and(left, try expression(JMESTokenType.and.bindingPower))
        case .lparen:
            guard case let .field(name) = left else {
                let prev = token(-2)
                throw parseError(prev, "Invalid function name '\(prev.text)'")
            }
            var args: [JMESNode] = []
            while currentType != .rparen {
                let e = try expression(0)
                if currentType == .comma { try match(.comma) }
                args.append(e)
            }
            try match(.rparen)
            return .function(name, args)
        case .filter:
            return try ledFilter(left)
        case .eq, .ne, .gt, .gte, .lt, .lte:
            let right = try expression(type.bindingPower)
            return .comparator(JMESComparator(rawValue: type.rawValue)!, left, right)
        case .flatten:
            return .projection(.flatten(left), try projectionRHS(JMESTokenType.flatten.bindingPower))
        case .lbracket:
            let t = token(0)
            if t.type == .number || t.type == .colon {
                let right = try indexExpression()
                if case var .indexExpression(children) = left {
                    children.append(right)
                    return .indexExpression(children)
                }
                return try projectIfSlice(left, right)
            }
            try match(.star)
            try match(.rbracket)
            return .projection(left, try projectionRHS(JMESTokenType.star.bindingPower))
        default:
            throw parseError(token(-1), "invalid token")
        }
    }

    mutating func ledFilter(_ left: JMESNode) throws(JMESCompileError) -> JMESNode {
        let condition = try expression(0)
        try match(.rbracket)
        let right: JMESNode = currentType == .flatten ? .identity : try projectionRHS(JMESTokenType.filter.bindingPower)
        return .filterProjection(left, right, condition: condition)
    }

    mutating func indexExpression() throws(JMESCompileError) -> JMESNode {
        if token(0).type == .colon || token(1).type == .colon {
            return try sliceExpression()
        }
        let n = token(0).number
        advance()
        try match(.rbracket)
        return .index(n)
    }

    mutating func sliceExpression() throws(JMESCompileError) -> JMESNode {
        var parts: [Int?] = [nil, nil, nil]
        var i = 0
        var t = currentType
        while t != .rbracket && i < 3 {
            if t == .colon {
                i += 1
                if i == 3 { throw parseError(token(0), "syntax error") }
                advance()
            } else if t == .number {
                parts[i] = token(0).number
                advance()
            } else {
                throw parseError(token(0), "syntax error")
            }
            t = currentType
        }
        try match(.rbracket)
        return .slice(parts[0], parts[1], parts[2])
    }

    mutating func projectIfSlice(_ left: JMESNode, _ right: JMESNode) throws(JMESCompileError) -> JMESNode {
        let indexExpr = JMESNode.indexExpression([left, right])
        if case .slice = right {
            return .projection(indexExpr, try projectionRHS(JMESTokenType.star.bindingPower))
        }
        return indexExpr
    }

    mutating func multiSelectList() throws(JMESCompileError) -> JMESNode {
        var items: [JMESNode] = []
        while true {
            items.append(try expression(0))
            if currentType == .rbracket { break }
            try match(.comma)
        }
        try match(.rbracket)
        return .multiSelectList(items)
    }

    mutating func multiSelectHash() throws(JMESCompileError) -> JMESNode {
        var pairs: [(String, JMESNode)] = []
        while true {
            let key = token(0)
            if key.type != .quotedIdentifier && key.type != .unquotedIdentifier {
                throw errorMaybeEOF(expected: "['quoted_identifier', 'unquoted_identifier']", key)
            }
            advance()
            try match(.colon)
            let value = try expression(0)
            pairs.append((key.identifier, value))
            if currentType == .comma {
                try match(.comma)
            } else if currentType == .rbrace {
                try match(.rbrace)
                break
            }
        }
        return .multiSelectHash(pairs)
    }

    mutating func projectionRHS(_ bindingPower: Int) throws(JMESCompileError) -> JMESNode {
        let t = currentType
        if t.bindingPower < 10 { return .identity }
        if t == .lbracket || t == .filter { return try expression(bindingPower) }
        if t == .dot {
            try match(.dot)
            return try dotRHS(bindingPower)
        }
        throw parseError(token(0), "syntax error")
    }

    mutating func dotRHS(_ bindingPower: Int) throws(JMESCompileError) -> JMESNode {
        switch currentType {
        case .quotedIdentifier, .unquotedIdentifier, .star:
            return try expression(bindingPower)
        case .lbracket:
            try match(.lbracket)
            return try multiSelectList()
        case .lbrace:
            try match(.lbrace)
            return try multiSelectHash()
        default:
            let t = token(0)
            throw parseError(t, "Expecting: ['quoted_identifier', 'unquoted_identifier', 'lbracket', 'lbrace'], got: \(t.type.rawValue)")
        }
    }
}

// MARK: - Interpreter

/// A function argument: a value, or an `&expression` reference.
enum JMESArg {
    case value(JSON)
    case expref(JMESNode)

    var json: JSON {
        if case let .value(v) = self { return v }
        return .null
    }
}

struct JMESInterpreter {
    func visit(_ node: JMESNode, _ value: JSON) throws(JMESPathError) -> JSON {
        switch node {
        case .identity, .current:
            return value
        case let .field(name):
            return JMESValues.field(value, name) ?? .null
        case let .subexpression(children), let .indexExpression(children):
            var result = value
            for child in children { result = try visit(child, result) }
            return result
        case let .index(i):
            guard case let .array(items) = value else { return .null }
            let j = i < 0 ? items.count + i : i
            return j >= 0 && j < items.count ? items[j] : .null
        case let .slice(start, stop, step):
            guard case let .array(items) = value else { return .null }
            return .array(try JMESValues.slice(items, start, stop, step))
        case let .projection(left, right):
            guard case let .array(items) = try visit(left, value) else { return .null }
            var out: [JSON] = []
            for item in items {
                let r = try visit(right, item)
                if !JMESValues.isNull(r) { out.append(r) }
            }
            return .array(out)
        case let .valueProjection(left, right):
            guard case let .object(members) = try visit(left, value) else { return .null }
            var out: [JSON] = []
            for (_, item) in Python.dictItems(members) {
                let r = try visit(right, item)
                if !JMESValues.isNull(r) { out.append(r) }
            }
            return .array(out)
        case let .filterProjection(left, right, condition):
            guard case let .array(items) = try visit(left, value) else { return .null }
            var out: [JSON] = []
            for item in items where JMESValues.isTrue(try visit(condition, item)) {
                let r = try visit(right, item)
                if !JMESValues.isNull(r) { out.append(r) }
            }
            return .array(out)
        case let .flatten(inner):
            guard case let .array(items) = try visit(inner, value) else { return .null }
            var out: [JSON] = []
            for item in items {
                if case let .array(sub) = item { out.append(contentsOf: sub) } else { out.append(item) }
            }
            return .array(out)
        case let .literal(v):
            return v
        case let .multiSelectList(children):
            if JMESValues.isNull(value) { return .null }
            var out: [JSON] = []
            for child in children { out.append(try visit(child, value)) }
            return .array(out)
        case let .multiSelectHash(pairs):
            if JMESValues.isNull(value) { return .null }
            var out: [(String, JSON)] = []
            for (key, child) in pairs {
                let v = try visit(child, value)
                if let i = out.firstIndex(where: { $0.0 == key }) { out[i].1 = v } else { out.append((key, v)) }
            }
            return .object(out)
        case let .comparator(op, l, r):
            let a = try visit(l, value), b = try visit(r, value)
            return try JMESValues.compare(op, a, b)
        case let .or(l, r):
            let a = try visit(l, value)
            return JMESValues.isTrue(a) ? a : try visit(r, value)
        case let .and(l, r):
            let a = try visit(l, value)
            return JMESValues.isTrue(a) ? try visit(r, value) : a
        case let .not(inner):
            let a = try visit(inner, value)
            switch a {
            case .int, .double: return .bool(false)  // numbers are never false, 0 included
            default: return .bool(!Python.truthy(a))
            }
        case let .pipe(l, r):
            return try visit(r, try visit(l, value))
        case let .function(name, argNodes):
            var args: [JMESArg] = []
            for a in argNodes {
                if case let .expref(inner) = a { args.append(.expref(inner)) } else { args.append(.value(try visit(a, value))) }
            }
            return try JMESFunctions(interpreter: self).call(name, args)
        case .expref:
            // An expression reference only means something as a function argument.
            return .null
        }
    }
}

enum JMESValues {
    static func isNull(_ v: JSON) -> Bool { if case .null = v { return true }; return false }

    /// A dict member (the last of repeated keys, as Python's dict keeps it); nil off objects.
    static func field(_ v: JSON, _ name: String) -> JSON? {
        guard case let .object(members) = v else { return nil }
        return members.last(where: { $0.0 == name })?.1
    }

    /// JMESPath false: `""`, `[]`, `{}`, null, false. Numbers (0 too) are true.
    static func isTrue(_ v: JSON) -> Bool {
        switch v {
        case .null: return false
        case let .bool(b): return b
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .object(o): return !o.isEmpty
        case .int, .double: return true
        }
    }

    static func isNumber(_ v: JSON) -> Bool {
        switch v { case .int, .double: return true; default: return false }
    }

    /// Python `==` between decoded JSON values (bools equal 1/0 inside containers, as in Python).
    static func pyEqual(_ a: JSON, _ b: JSON) -> Bool {
        func num(_ v: JSON) -> Double? {
            switch v {
            case let .int(i): return Double(i)
            case let .double(d): return d
            case let .bool(b): return b ? 1 : 0
            default: return nil
            }
        }
        switch (a, b) {
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1) }
        case let (.object(x), .object(y)):
            let dx = Python.dictItems(x), dy = Python.dictItems(y)
            guard dx.count == dy.count else { return false }
            for (k, v) in dx {
                guard let w = dy.first(where: { $0.0 == k })?.1, pyEqual(v, w) else { return false }
            }
            return true
        default:
            if let x = num(a), let y = num(b) { return x == y }
            return false
        }
    }

    /// `==` as jmespath.py decides it: Python equality, except that 0 and 1 never equal a boolean.
    static func equals(_ a: JSON, _ b: JSON) -> Bool {
        func zeroOrOne(_ v: JSON) -> Bool {
            switch v {
            case let .int(i): return i == 0 || i == 1
            case let .double(d): return d == 0 || d == 1
            default: return false
            }
        }
        if zeroOrOne(a) { if case .bool = b { return false } }
        if zeroOrOne(b) { if case .bool = a { return false } }
        return pyEqual(a, b)
    }

    static func compare(_ op: JMESComparator, _ a: JSON, _ b: JSON) throws(JMESPathError) -> JSON {
        switch op {
        case .eq: return .bool(equals(a, b))
        case .ne: return .bool(!equals(a, b))
        default: break
        }
        // Ordering applies to numbers and (a jmespath.py extension) strings.
        let comparable: (JSON) -> Bool = { v in
            switch v { case .int, .double, .string: return true; default: return false }
        }
        guard comparable(a), comparable(b) else { return .null }
        let order: Int
        switch (a, b) {
        case let (.string(x), .string(y)):
            order = Python.less(x, y) ? -1 : (x == y ? 0 : 1)
        case (.string, _), (_, .string):
            let symbol = ["lt": "<", "lte": "<=", "gt": ">", "gte": ">="][op.rawValue]!
            throw JMESPathError("'\(symbol)' not supported between instances of '\(JMESFunctions.pythonTypeName(a))' and '\(JMESFunctions.pythonTypeName(b))'")
        default:
            order = numericOrder(a, b)
        }
        switch op {
        case .lt: return .bool(order < 0)
        case .lte: return .bool(order <= 0)
        case .gt: return .bool(order > 0)
        default: return .bool(order >= 0)
        }
    }

    /// -1, 0, 1 for two numbers (exact between integers).
    static func numericOrder(_ a: JSON, _ b: JSON) -> Int {
        if case let .int(x) = a, case let .int(y) = b { return x < y ? -1 : (x == y ? 0 : 1) }
        let x = a.doubleValue ?? 0, y = b.doubleValue ?? 0
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    /// Python list slicing.
    static func slice(_ items: [JSON], _ start: Int?, _ stop: Int?, _ step: Int?) throws(JMESPathError) -> [JSON] {
        let step = step ?? 1
        if step == 0 { throw JMESPathError("slice step cannot be zero") }
        let n = items.count
        let lower = step < 0 ? -1 : 0
        let upper = step < 0 ? n - 1 : n
        func clamp(_ v: Int?, _ dflt: Int) -> Int {
            guard var v else { return dflt }
            if v < 0 {
                v = v <= Int.min + n ? lower : v + n
                if v < lower { v = lower }
            } else if v > upper {
                v = upper
            }
            return v
        }
        let s = clamp(start, step < 0 ? upper : lower)
        let e = clamp(stop, step < 0 ? lower : upper)
        var out: [JSON] = []
        var i = s
        if step > 0 {
            while i < e { out.append(items[i]); i += step }
        } else {
            while i > e { out.append(items[i]); i += step }
        }
        return out
    }
}

// MARK: - Functions

struct JMESFunctions {
    let interpreter: JMESInterpreter

    /// Argument types, spelt as jmespath.py's signatures spell them.
    enum ArgType: String {
        case any = "", number, string, array, object, boolean, null, expref
        case arrayNumber = "array-number", arrayString = "array-string"
    }

    struct Signature {
        var types: [[ArgType]]
        var variadic = false
    }

    static let signatures: [String: Signature] = [
        "abs": Signature(types: [[.number]]),
        "avg": Signature(types: [[.arrayNumber]]),
        "ceil": Signature(types: [[.number]]),
        "contains": Signature(types: [[.array, .string], []]),
        "ends_with": Signature(types: [[.string], [.string]]),
        "floor": Signature(types: [[.number]]),
        "join": Signature(types: [[.string], [.arrayString]]),
        "keys": Signature(types: [[.object]]),
        "length": Signature(types: [[.string, .array, .object]]),
        "map": Signature(types: [[.expref], [.array]]),
        "max": Signature(types: [[.arrayNumber, .arrayString]]),
        "max_by": Signature(types: [[.array], [.expref]]),
        "merge": Signature(types: [[.object]], variadic: true),
        "min": Signature(types: [[.arrayNumber, .arrayString]]),
        "min_by": Signature(types: [[.array], [.expref]]),
        "not_null": Signature(types: [[]], variadic: true),
        "reverse": Signature(types: [[.array, .string]]),
        "sort": Signature(types: [[.arrayString, .arrayNumber]]),
        "sort_by": Signature(types: [[.array], [.expref]]),
        "starts_with": Signature(types: [[.string], [.string]]),
        "sum": Signature(types: [[.arrayNumber]]),
        "to_array": Signature(types: [[]]),
        "to_number": Signature(types: [[]]),
        "to_string": Signature(types: [[]]),
        "type": Signature(types: [[]]),
        "values": Signature(types: [[.object]]),
    ]

    static func pythonTypeName(_ v: JSON) -> String {
        switch v {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }

    static func jmesType(_ v: JSON) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func typeError(_ function: String, _ value: String, expected: [String], received: String) -> JMESPathError {
        JMESPathError("In function \(function)(), invalid type for value: \(value), expected one of: "
            + "[" + expected.map { "'" + $0 + "'" }.joined(separator: ", ") + "], received: \"\(received)\"")
    }

    static func argText(_ a: JMESArg) -> String {
        switch a {
        case let .value(v): return Python.str(v)
        case .expref: return "<jmespath.visitor._Expression object>"
        }
    }

    func check(_ name: String, _ args: [JMESArg]) throws(JMESPathError) {
        let sig = Self.signatures[name]!
        let n = sig.types.count
        if sig.variadic {
            if args.count < n {
                throw JMESPathError("Expected at least \(n) argument\(n == 1 ? "" : "s") for function \(name)(), received \(args.count)")
            }
        } else if args.count != n {
            throw JMESPathError("Expected \(n) argument\(n == 1 ? "" : "s") for function \(name)(), received \(args.count)")
        }
        for (i, allowed) in sig.types.enumerated() where !allowed.isEmpty {
            try checkOne(name, args[i], allowed)
        }
    }

    func checkOne(_ name: String, _ arg: JMESArg, _ allowed: [ArgType]) throws(JMESPathError) {
        let expectedNames = allowed.map(\.rawValue)
        let actualType: String
        switch arg {
        case .expref: actualType = "expref"
        case let .value(v): actualType = Self.jmesType(v)
        }
        let topTypes = allowed.map { t -> String in
            switch t {
            case .arrayNumber, .arrayString: return "array"
            default: return t.rawValue
            }
        }
        guard topTypes.contains(actualType) else {
            throw Self.typeError(name, Self.argText(arg), expected: expectedNames, received: actualType)
        }
        let subtypes = allowed.compactMap { t -> String? in
            switch t {
            case .arrayNumber: return "number"
            case .arrayString: return "string"
            default: return nil
            }
        }
        guard !subtypes.isEmpty, case let .value(.array(items)) = arg else { return }
        if subtypes.count == 1 {
            for item in items where Self.jmesType(item) != subtypes[0] {
                throw Self.typeError(name, Python.str(item), expected: expectedNames, received: Self.pythonTypeName(item))
            }
        } else if let first = items.first {
            let t = Self.jmesType(first)
            guard subtypes.contains(t) else {
                throw Self.typeError(name, Python.str(first), expected: expectedNames, received: Self.pythonTypeName(first))
            }
            for item in items where Self.jmesType(item) != t {
                throw Self.typeError(name, Python.str(item), expected: expectedNames, received: Self.pythonTypeName(item))
            }
        }
    }

    func call(_ name: String, _ args: [JMESArg]) throws(JMESPathError) -> JSON {
        guard Self.signatures[name] != nil else { throw JMESPathError("Unknown function: \(name)()") }
        try check(name, args)
        let a0 = args.first?.json ?? .null
        switch name {
        case "abs":
            if case let .int(i) = a0 { return i == Int64.min ? .double(-Double(i)) : .int(Swift.abs(i)) }
            return .double(Swift.abs(a0.doubleValue ?? 0))
        case "avg":
            let items = a0.arrayValue ?? []
            if items.isEmpty { return .null }
            let total = Self.sum(items)
            return .double((total.doubleValue ?? 0) / Double(items.count))
        case "ceil", "floor":
            if case .int = a0 { return a0 }
            let d = a0.doubleValue ?? 0
            let r = name == "ceil" ? d.rounded(.up) : d.rounded(.down)
            if let i = Int64(exactly: r) { return .int(i) }
            return .double(r)
        case "contains":
            let search = args[1].json
            switch a0 {
            case let .array(items): return .bool(items.contains { JMESValues.pyEqual($0, search) })
            case let .string(s):
                guard case let .string(needle) = search else {
                    throw JMESPathError("'in <string>' requires string as left operand, not \(Self.pythonTypeName(search))")
                }
                return .bool(needle.isEmpty || s.unicodeScalars.count >= needle.unicodeScalars.count && Self.containsScalars(s, needle))
            default: return .bool(false)
            }
        case "ends_with":
            let s = Array((a0.stringValue ?? "").unicodeScalars), x = Array((args[1].json.stringValue ?? "").unicodeScalars)
            return .bool(s.count >= x.count && Array(s[(s.count - x.count)...]) == x)
        case "starts_with":
            let s = Array((a0.stringValue ?? "").unicodeScalars), x = Array((args[1].json.stringValue ?? "").unicodeScalars)
            return .bool(s.count >= x.count && Array(s[..<x.count]) == x)
        case "join":
            let sep = a0.stringValue ?? ""
            return .string((args[1].json.arrayValue ?? []).compactMap(\.stringValue).joined(separator: sep))
        case "keys":
            return .array(Python.dictItems(a0.objectValue ?? []).map { .string($0.0) })
        case "values":
            return .array(Python.dictItems(a0.objectValue ?? []).map { $0.1 })
        case "length":
            switch a0 {
            case let .string(s): return .int(Int64(s.unicodeScalars.count))
            case let .array(a): return .int(Int64(a.count))
            case let .object(o): return .int(Int64(Python.dictItems(o).count))
            default: return .null
            }
        case "map":
            guard case let .expref(e) = args[0] else { return .null }
            var out: [JSON] = []
            for item in args[1].json.arrayValue ?? [] { out.append(try interpreter.visit(e, item)) }
            return .array(out)
        case "max", "min":
            let items = a0.arrayValue ?? []
            guard var best = items.first else { return .null }
            for item in items.dropFirst() {
                let o = Self.order(item, best)
                if name == "max" ? o > 0 : o < 0 { best = item }
            }
            return best
        case "max_by", "min_by":
            guard case let .expref(e) = args[1] else { return .null }
            let items = a0.arrayValue ?? []
            guard !items.isEmpty else { return .null }
            var bestIndex = 0
            var bestKey = try key(e, items[0], name, allowed: ["number", "string"])
            for i in items.indices.dropFirst() {
                let k = try key(e, items[i], name, allowed: ["number", "string"])
                let o = try Self.keyOrder(k, bestKey)
                if name == "max_by" ? o > 0 : o < 0 { bestIndex = i; bestKey = k }
            }
            return items[bestIndex]
        case "merge":
            var out: [(String, JSON)] = []
            for a in args {
                for (k, v) in Python.dictItems(a.json.objectValue ?? []) {
                    if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
                }
            }
            return .object(out)
        case "not_null":
            for a in args { if case let .value(v) = a, !JMESValues.isNull(v) { return v } }
            return .null
        case "reverse":
            switch a0 {
            case let .string(s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case let .array(items): return .array(items.reversed())
            default: return .null
            }
        case "sort":
            let items = a0.arrayValue ?? []
            return .array(Self.stableSorted(items) { Self.order($0, $1) < 0 })
        case "sort_by":
            guard case let .expref(e) = args[1] else { return .null }
            let items = a0.arrayValue ?? []
            if items.isEmpty { return a0 }
            let firstKey = try interpreter.visit(e, items[0])
            let required = Self.jmesType(firstKey)
            guard required == "number" || required == "string" else {
                throw Self.typeError("sort_by", Python.str(items[0]), expected: ["string", "number"], received: required)
            }
            var keys: [JSON] = []
            for item in items { keys.append(try key(e, item, "sort_by", allowed: [required])) }
            let order = Self.stableSorted(Array(items.indices)) { Self.order(keys[$0], keys[$1]) < 0 }
            return .array(order.map { items[$0] })
        case "sum":
            return Self.sum(a0.arrayValue ?? [])
        case "to_array":
            if case .array = a0 { return a0 }
            return .array([a0])
        case "to_number":
            switch a0 {
            case .int, .double: return a0
            case let .string(s):
                let t = s.trimmingPythonWhitespace()
                if let i = Int64(t.hasPrefix("+") ? String(t.dropFirst()) : t) { return .int(i) }
                if let d = Double(t), !t.isEmpty { return .double(d) }
                return .null
            default: return .null
            }
        case "to_string":
            if case .string = a0 { return a0 }
            return .string(PythonJSON.dumpsCompact(a0))
        case "type":
            switch args[0] {
            case .expref: return .null  // jmespath.py names no type for an expression reference
            case let .value(v): return .string(Self.jmesType(v))
            }
        default:
            throw JMESPathError("Unknown function: \(name)()")
        }
    }

    func key(_ e: JMESNode, _ item: JSON, _ function: String, allowed: [String]) throws(JMESPathError) -> JSON {
        let k = try interpreter.visit(e, item)
        let t = Self.jmesType(k)
        guard allowed.contains(t) else {
            throw Self.typeError(function, Python.str(k), expected: allowed, received: t)
        }
        return k
    }

    /// Order of two keys of min_by/max_by, which may mix strings and numbers (Python refuses).
    static func keyOrder(_ a: JSON, _ b: JSON) throws(JMESPathError) -> Int {
        if case .string = a, !isStringJSON(b) {
            throw JMESPathError("'<' not supported between instances of '\(pythonTypeName(a))' and '\(pythonTypeName(b))'")
        }
        if case .string = b, !isStringJSON(a) {
            throw JMESPathError("'<' not supported between instances of '\(pythonTypeName(a))' and '\(pythonTypeName(b))'")
        }
        return order(a, b)
    }

    static func isStringJSON(_ v: JSON) -> Bool { if case .string = v { return true }; return false }

    /// Order of two numbers or two strings (code point order).
    static func order(_ a: JSON, _ b: JSON) -> Int {
        if case let .string(x) = a, case let .string(y) = b {
            return Python.less(x, y) ? -1 : (x == y ? 0 : 1)
        }
        return JMESValues.numericOrder(a, b)
    }

    static func stableSorted<T>(_ items: [T], by less: (T, T) -> Bool) -> [T] {
        let indexed = items.enumerated().sorted { x, y in
            if less(x.element, y.element) { return true }
            if less(y.element, x.element) { return false }
            return x.offset < y.offset
        }
        return indexed.map(\.element)
    }

    /// Python `sum`: an int while every term is an int, a float once one is not.
    static func sum(_ items: [JSON]) -> JSON {
        var i: Int64 = 0
        var d = 0.0
        var isDouble = false
        for item in items {
            switch item {
            case let .int(x):
                if isDouble { d += Double(x) } else {
                    let (r, overflow) = i.addingReportingOverflow(x)
                    if overflow { isDouble = true; d = Double(i) + Double(x) } else { i = r }
                }
            case let .double(x):
                if !isDouble { isDouble = true; d = Double(i) }
                d += x
            default: break
            }
        }
        return isDouble ? .double(d) : .int(i)
    }

    static func containsScalars(_ s: String, _ needle: String) -> Bool {
        let h = Array(s.unicodeScalars), n = Array(needle.unicodeScalars)
        if n.isEmpty { return true }
        if n.count > h.count { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] {
            if Array(h[i..<(i + n.count)]) == n { return true }
        }
        return false
    }
}

extension String {
    func trimmingPythonWhitespace() -> String {
        let ws: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        var scalars = Substring(self).unicodeScalars[...]
        while let f = scalars.first, ws.contains(f) { scalars = scalars.dropFirst() }
        while let l = scalars.last, ws.contains(l) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

// MARK: - Python's json module, as far as JMESPath literals need it

enum PythonJSON {
    struct DecodeError: Error { var message: String }

    /// `json.loads`: nil when the text is no JSON document. Python also accepts
    /// `NaN`, `Infinity` and `-Infinity`.
    static func loads(_ text: String) -> JSON? {
        let t = text.trimmingPythonWhitespace()
        switch t {
        case "NaN": return .double(.nan)
        case "Infinity": return .double(.infinity)
        case "-Infinity": return .double(-.infinity)
        default: break
        }
        return try? JSON.parse(t)
    }

    /// Decodes a `"…"` JSON string, with the error wording of Python's json module (the part
    /// before the first colon, which is all jmespath keeps).
    static func decodeString(_ lexeme: String) -> Result<String, DecodeError> {
        let u = Array(lexeme.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 1
        while i < u.count - 1 {
            let c = u[i]
            if c.value < 0x20 {
                return .failure(DecodeError(message: "Invalid control character at"))
            }
            if c != "\\" { out.append(c); i += 1; continue }
            // The lexer never leaves a backslash last: it always takes the character after it.
            let e = u[i + 1]
            i += 2
            switch e {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "/": out.append("/")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                func hex4(_ at: Int) -> UInt32? {
                    guard at + 4 <= u.count - 1 else { return nil }
                    var v: UInt32 = 0
                    for k in at..<(at + 4) {
                        guard let d = UInt32(String(u[k]), radix: 16) else { return nil }
                        v = v * 16 + d
                    }
                    return v
                }
                guard var v = hex4(i) else { return .failure(DecodeError(message: "Invalid \\uXXXX escape")) }
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 1 < u.count - 1, u[i] == "\\", u[i + 1] == "u", let low = hex4(i + 2), low >= 0xDC00, low < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default:
                return .failure(DecodeError(message: "Invalid \\escape"))
            }
        }
        return .success(String(out))
    }

    /// `json.dumps(value, separators=(',', ':'))`: compact, non-ASCII escaped as `\uXXXX`.
    static func dumpsCompact(_ v: JSON) -> String {
        var out = ""
        write(v, &out)
        return out
    }

    static func write(_ v: JSON, _ out: inout String) {
        switch v {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += Python.floatRepr(d) }
        case let .string(s): writeASCIIString(s, &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, (k, item)) in Python.dictItems(members).enumerated() {
                if i > 0 { out += "," }
                writeASCIIString(k, &out)
                out += ":"
                write(item, &out)
            }
            out += "}"
        }
    }

    static func writeASCIIString(_ s: String, _ out: inout String) {
        out += "\""
        func u4(_ v: UInt32) -> String {
            let h = String(v, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || (u.value >= 0x7F && u.value < 0x10000) {
                    out += u4(u.value)
                } else if u.value >= 0x10000 {
                    let v = u.value - 0x10000
                    out += u4(0xD800 + (v >> 10)) + u4(0xDC00 + (v & 0x3FF))
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
