/// Turns UTF-8 bytes into tokens. Never fails: malformed input becomes error tokens that the
/// parser reports with a position. Whitespace and comments are dropped; an unterminated
/// `/*` comment runs to the end of input, as in SQLite.
struct Lexer {
    @inline(__always) static func isIdStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 || c >= 0x80
    }
    @inline(__always) static func isIdChar(_ c: UInt8) -> Bool {
        isIdStart(c) || (c >= 48 && c <= 57) || c == 36
    }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isHex(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || (c >= 9 && c <= 13)
    }

    /// Tokenizes the whole buffer; the last token is always `.eof`.
    static func tokenize(_ p: UnsafeBufferPointer<UInt8>) -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(p.count / 4 + 4)
        let n = p.count
        var i = 0
        var arrayDepth = 0
        let keywordTables = Keyword.Tables()
        while i < n {
            let c = p[i]
            let start = i
            switch c {
            case 32, 9, 10, 11, 12, 13:
                i += 1
                while i < n && isSpace(p[i]) { i += 1 }
                continue
            case UInt8(ascii: "-"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: "-") {
                    i += 2
                    while i < n && p[i] != 10 { i += 1 }
                    continue
                }
                if i + 1 < n && p[i + 1] == UInt8(ascii: ">") {
                    if i + 2 < n && p[i + 2] == UInt8(ascii: ">") {
                        i += 3; tokens.append(Token(.ptr2, start, i))
                    } else {
                        i += 2; tokens.append(Token(.ptr, start, i))
                    }
                    continue
                }
                i += 1; tokens.append(Token(.minus, start, i))
            case UInt8(ascii: "/"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: "*") {
                    i += 2
                    while i < n && !(p[i] == UInt8(ascii: "*") && i + 1 < n && p[i + 1] == UInt8(ascii: "/")) { i += 1 }
                    i = min(n, i + 2)
                    continue
                }
                i += 1; tokens.append(Token(.slash, start, i))
            case UInt8(ascii: "("): i += 1; tokens.append(Token(.lparen, start, i))
            case UInt8(ascii: ")"): i += 1; tokens.append(Token(.rparen, start, i))
            case UInt8(ascii: ";"): i += 1; tokens.append(Token(.semicolon, start, i))
            case UInt8(ascii: ","): i += 1; tokens.append(Token(.comma, start, i))
            case UInt8(ascii: "+"): i += 1; tokens.append(Token(.plus, start, i))
            case UInt8(ascii: "*"): i += 1; tokens.append(Token(.star, start, i))
            case UInt8(ascii: "%"): i += 1; tokens.append(Token(.percent, start, i))
            case UInt8(ascii: "~"): i += 1; tokens.append(Token(.tilde, start, i))
            case UInt8(ascii: "&"): i += 1; tokens.append(Token(.bitAnd, start, i))
            case UInt8(ascii: "="):
                i += (i + 1 < n && p[i + 1] == UInt8(ascii: "=")) ? 2 : 1
                tokens.append(Token(.eq, start, i))
            case UInt8(ascii: "<"):
                if i + 1 < n {
                    let d = p[i + 1]
                    if d == UInt8(ascii: "=") { i += 2; tokens.append(Token(.le, start, i)); continue }
                    if d == UInt8(ascii: ">") { i += 2; tokens.append(Token(.ne, start, i)); continue }
                    if d == UInt8(ascii: "<") { i += 2; tokens.append(Token(.shl, start, i)); continue }
                }
                i += 1; tokens.append(Token(.lt, start, i))
            case UInt8(ascii: ">"):
                if i + 1 < n {
                    let d = p[i + 1]
                    if d == UInt8(ascii: "=") { i += 2; tokens.append(Token(.ge, start, i)); continue }
                    if d == UInt8(ascii: ">") { i += 2; tokens.append(Token(.shr, start, i)); continue }
                }
                i += 1; tokens.append(Token(.gt, start, i))
            case UInt8(ascii: "!"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: "=") {
                    i += 2; tokens.append(Token(.ne, start, i))
                } else {
                    i += 1; tokens.append(Token(.malformed, start, i))
                }
            case UInt8(ascii: "|"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: "|") {
                    i += 2; tokens.append(Token(.concat, start, i))
                } else {
                    i += 1; tokens.append(Token(.bitOr, start, i))
                }
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
                i += 1
                var closed = false
                while i < n {
                    if p[i] == c {
                        if i + 1 < n && p[i + 1] == c { i += 2; continue }
                        i += 1; closed = true; break
                    }
                    i += 1
                }
                let kind: TokenKind
                if !closed {
                    kind = c == UInt8(ascii: "'") ? .unterminatedString : .unterminatedIdentifier
                } else {
                    kind = c == UInt8(ascii: "'") ? .string : (c == UInt8(ascii: "\"") ? .quotedIdentifier : .bracketIdentifier)
                }
                tokens.append(Token(kind, start, i))
            case UInt8(ascii: "["):
                if arrayDepth > 0 || (tokens.last.map { $0.kind == .keyword && $0.keyword == .array } ?? false) {
                    arrayDepth += 1
                    i += 1; tokens.append(Token(.lbracket, start, i))
                    continue
                }
                i += 1
                while i < n && p[i] != UInt8(ascii: "]") { i += 1 }
                if i < n {
                    i += 1; tokens.append(Token(.bracketIdentifier, start, i))
                } else {
                    tokens.append(Token(.unterminatedIdentifier, start, i))
                }
            case UInt8(ascii: "]"):
                i += 1
                if arrayDepth > 0 {
                    arrayDepth -= 1; tokens.append(Token(.rbracket, start, i))
                } else {
                    tokens.append(Token(.malformed, start, i))
                }
            case UInt8(ascii: "."):
                if i + 1 < n && isDigit(p[i + 1]) {
                    i = scanNumber(p, i)
                    tokens.append(Token(endsCleanly(p, i) ? .number : .malformed, start, extendMalformed(p, &i)))
                } else {
                    i += 1; tokens.append(Token(.dot, start, i))
                }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if c == UInt8(ascii: "0") && i + 1 < n && (p[i + 1] == UInt8(ascii: "x") || p[i + 1] == UInt8(ascii: "X")) {
                    i += 2
                    let h = i
                    while i < n && isHex(p[i]) { i += 1 }
                    let ok = i > h && endsCleanly(p, i)
                    tokens.append(Token(ok ? .number : .malformed, start, ok ? i : extendMalformed(p, &i)))
                } else {
                    i = scanNumber(p, i)
                    let ok = endsCleanly(p, i)
                    tokens.append(Token(ok ? .number : .malformed, start, ok ? i : extendMalformed(p, &i)))
                }
            case UInt8(ascii: "?"):
                i += 1
                while i < n && isDigit(p[i]) { i += 1 }
                tokens.append(Token(.parameter, start, i))
            case UInt8(ascii: ":"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: ":") {
                    i += 2; tokens.append(Token(.doubleColon, start, i)); continue
                }
                fallthrough
            case UInt8(ascii: "@"), UInt8(ascii: "$"):
                i += 1
                let s = i
                while i < n && isIdChar(p[i]) { i += 1 }
                tokens.append(Token(i > s ? .parameter : .malformed, start, i))
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                if i + 1 < n && p[i + 1] == UInt8(ascii: "'") {
                    i += 2
                    var ok = true
                    var digits = 0
                    while i < n && p[i] != UInt8(ascii: "'") {
                        if !isHex(p[i]) { ok = false }
                        digits += 1
                        i += 1
                    }
                    if i < n { i += 1 } else { ok = false }
                    if digits % 2 != 0 { ok = false }
                    tokens.append(Token(ok ? .blob : .malformed, start, i))
                    continue
                }
                fallthrough
            default:
                if isIdStart(c) {
                    i += 1
                    while i < n && isIdChar(p[i]) { i += 1 }
                    let kw = Keyword.lookup(p, start, i, keywordTables)
                    tokens.append(Token(kw == .none ? .identifier : .keyword, start, i, kw))
                } else {
                    i += 1; tokens.append(Token(.malformed, start, i))
                }
            }
        }
        tokens.append(Token(.eof, n, n))
        return tokens
    }

    static func scanNumber(_ p: UnsafeBufferPointer<UInt8>, _ s: Int) -> Int {
        let n = p.count
        var i = s
        while i < n && isDigit(p[i]) { i += 1 }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n && isDigit(p[i]) { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            var j = i + 1
            if j < n && (p[j] == UInt8(ascii: "+") || p[j] == UInt8(ascii: "-")) { j += 1 }
            if j < n && isDigit(p[j]) {
                while j < n && isDigit(p[j]) { j += 1 }
                i = j
            }
        }
        return i
    }

    @inline(__always) static func endsCleanly(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        i >= p.count || !isIdChar(p[i])
    }

    static func extendMalformed(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int {
        while i < p.count && isIdChar(p[i]) { i += 1 }
        return i
    }
}
