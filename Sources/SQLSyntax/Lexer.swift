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

    /// Character classes for the first byte of a token (one table load instead of a chain of
    /// comparisons), and flag bits for the bytes inside identifiers and numbers.
    enum Class: UInt8 {
        case other = 0, space, word, x, digit, minus, slash, lparen, rparen, semicolon, comma, plus
        case star, percent, tilde, amp, eq, lt, gt, bang, pipe, quote, lbracket, rbracket, dot
        case question, colon, atDollar
    }
    static let idFlag: UInt8 = 0x80, digitFlag: UInt8 = 0x40, spaceFlag: UInt8 = 0x20

    /// 256 entries: low 5 bits are the `Class` of a byte that starts a token, high bits the flags.
    nonisolated(unsafe) static let classTable: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            var cls: Class = .other
            switch c {
            case 32, 9, 10, 11, 12, 13: cls = .space
            case UInt8(ascii: "x"), UInt8(ascii: "X"): cls = .x
            case 48...57: cls = .digit
            case UInt8(ascii: "-"): cls = .minus
            case UInt8(ascii: "/"): cls = .slash
            case UInt8(ascii: "("): cls = .lparen
            case UInt8(ascii: ")"): cls = .rparen
            case UInt8(ascii: ";"): cls = .semicolon
            case UInt8(ascii: ","): cls = .comma
            case UInt8(ascii: "+"): cls = .plus
            case UInt8(ascii: "*"): cls = .star
            case UInt8(ascii: "%"): cls = .percent
            case UInt8(ascii: "~"): cls = .tilde
            case UInt8(ascii: "&"): cls = .amp
            case UInt8(ascii: "="): cls = .eq
            case UInt8(ascii: "<"): cls = .lt
            case UInt8(ascii: ">"): cls = .gt
            case UInt8(ascii: "!"): cls = .bang
            case UInt8(ascii: "|"): cls = .pipe
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"): cls = .quote
            case UInt8(ascii: "["): cls = .lbracket
            case UInt8(ascii: "]"): cls = .rbracket
            case UInt8(ascii: "."): cls = .dot
            case UInt8(ascii: "?"): cls = .question
            case UInt8(ascii: ":"): cls = .colon
            case UInt8(ascii: "@"), UInt8(ascii: "$"): cls = .atDollar
            default: if isIdStart(c) { cls = .word }
            }
            var v = cls.rawValue
            if isIdChar(c) { v |= idFlag }
            if isDigit(c) { v |= digitFlag }
            if isSpace(c) { v |= spaceFlag }
            t[b] = v
        }
        return UnsafePointer(t)
    }()

    /// Tokens in a growable raw buffer (no per-append uniqueness or capacity checks of an Array).
    struct TokenBuffer {
        var base: UnsafeMutablePointer<Token>
        var count = 0
        var capacity: Int
        init(capacity: Int) {
            self.capacity = max(capacity, 16)
            base = .allocate(capacity: self.capacity)
        }
        @inline(__always) mutating func append(_ t: Token) {
            if count == capacity { grow() }
            (base + count).initialize(to: t)
            count += 1
        }
        @inline(never) mutating func grow() {
            let bigger = UnsafeMutablePointer<Token>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        @inline(__always) var last: Token? { count > 0 ? base[count - 1] : nil }
    }

    /// Tokenizes the whole buffer; the last token is always `.eof`.
    static func tokenize(_ p: UnsafeBufferPointer<UInt8>) -> [Token] {
        let b = tokenizeToBuffer(p)
        defer { b.base.deallocate() }
        return Array(UnsafeBufferPointer(start: b.base, count: b.count))
    }

    /// Tokenizes into a raw buffer that the caller deallocates; the last token is `.eof`.
    static func tokenizeToBuffer(_ p: UnsafeBufferPointer<UInt8>) -> TokenBuffer {
        let n = p.count
        var tokens = TokenBuffer(capacity: n / 3 + 16)
        guard let q = p.baseAddress, n > 0 else {
            tokens.append(Token(.eof, n, n))
            return tokens
        }
        let cls = classTable
        let kw = Keyword.fastTables
        let idFlag = Lexer.idFlag, digitFlag = Lexer.digitFlag, spaceFlag = Lexer.spaceFlag
        var i = 0
        var arrayDepth = 0
        while i < n {
            var c = q[i]
            if c == 32 {
                // one space between tokens is the common case: skip it without a dispatch
                i += 1
                if i == n { break }
                c = q[i]
            }
            let start = i
            // every case sets `kind` (and `word` for keywords) and leaves `i` at the token's
            // end; one append below (a single append site keeps the loop's state in registers)
            var kind: TokenKind
            var word = Keyword.none
            // (Class's raw values are 0..<28 in declaration order, so the low five bits of a table
            // entry are the enum's own bit pattern)
            switch unsafeBitCast(cls[Int(c)] & 0x1F, to: Class.self) {
            case .space:
                i += 1
                while i < n && cls[Int(q[i])] & spaceFlag != 0 { i += 1 }
                continue
            case .word, .x:
                if c | 0x20 == UInt8(ascii: "x") && i + 1 < n && q[i + 1] == UInt8(ascii: "'") {
                    i += 2
                    var ok = true
                    var digits = 0
                    while i < n && q[i] != UInt8(ascii: "'") {
                        if !isHex(q[i]) { ok = false }
                        digits += 1
                        i += 1
                    }
                    if i < n { i += 1 } else { ok = false }
                    if digits % 2 != 0 { ok = false }
                    kind = ok ? .blob : .malformed
                } else {
                    i += 1
                    while i < n && cls[Int(q[i])] & idFlag != 0 { i += 1 }
                    word = Keyword.lookupFast(q, start, i, n, kw)
                    kind = word == .none ? .identifier : .keyword
                }
            case .digit:
                if c == UInt8(ascii: "0") && i + 1 < n && (q[i + 1] | 0x20) == UInt8(ascii: "x") {
                    i += 2
                    let h = i
                    while i < n && isHex(q[i]) { i += 1 }
                    let ok = i > h && endsCleanly(p, i)
                    if !ok { _ = extendMalformed(p, &i) }
                    kind = ok ? .number : .malformed
                } else {
                    i += 1
                    while i < n && cls[Int(q[i])] & digitFlag != 0 { i += 1 }
                    if i < n && (q[i] == UInt8(ascii: ".") || q[i] | 0x20 == UInt8(ascii: "e")) { i = scanNumber(p, start) }
                    if i < n && cls[Int(q[i])] & idFlag != 0 {
                        _ = extendMalformed(p, &i)
                        kind = .malformed
                    } else {
                        kind = .number
                    }
                }
            case .minus:
                if i + 1 < n && q[i + 1] == UInt8(ascii: "-") {
                    i += 2
                    while i < n && q[i] != 10 { i += 1 }
                    continue
                }
                if i + 1 < n && q[i + 1] == UInt8(ascii: ">") {
                    if i + 2 < n && q[i + 2] == UInt8(ascii: ">") {
                        i += 3; kind = .ptr2
                    } else {
                        i += 2; kind = .ptr
                    }
                } else {
                    i += 1; kind = .minus
                }
            case .slash:
                if i + 1 < n && q[i + 1] == UInt8(ascii: "*") {
                    i += 2
                    while i < n && !(q[i] == UInt8(ascii: "*") && i + 1 < n && q[i + 1] == UInt8(ascii: "/")) { i += 1 }
                    i = min(n, i + 2)
                    continue
                }
                i += 1; kind = .slash
            case .lparen: i += 1; kind = .lparen
            case .rparen: i += 1; kind = .rparen
            case .semicolon: i += 1; kind = .semicolon
            case .comma: i += 1; kind = .comma
            case .plus: i += 1; kind = .plus
            case .star: i += 1; kind = .star
            case .percent: i += 1; kind = .percent
            case .tilde: i += 1; kind = .tilde
            case .amp: i += 1; kind = .bitAnd
            case .eq:
                i += (i + 1 < n && q[i + 1] == UInt8(ascii: "=")) ? 2 : 1
                kind = .eq
            case .lt:
                let d = i + 1 < n ? q[i + 1] : 0
                if d == UInt8(ascii: "=") { i += 2; kind = .le }
                else if d == UInt8(ascii: ">") { i += 2; kind = .ne }
                else if d == UInt8(ascii: "<") { i += 2; kind = .shl }
                else { i += 1; kind = .lt }
            case .gt:
                let d = i + 1 < n ? q[i + 1] : 0
                if d == UInt8(ascii: "=") { i += 2; kind = .ge }
                else if d == UInt8(ascii: ">") { i += 2; kind = .shr }
                else { i += 1; kind = .gt }
            case .bang:
                if i + 1 < n && q[i + 1] == UInt8(ascii: "=") {
                    i += 2; kind = .ne
                } else {
                    i += 1; kind = .malformed
                }
            case .pipe:
                if i + 1 < n && q[i + 1] == UInt8(ascii: "|") {
                    i += 2; kind = .concat
                } else {
                    i += 1; kind = .bitOr
                }
            case .quote:
                i += 1
                var closed = false
                while i < n {
                    if q[i] == c {
                        if i + 1 < n && q[i + 1] == c { i += 2; continue }
                        i += 1; closed = true; break
                    }
                    i += 1
                }
                if !closed {
                    kind = c == UInt8(ascii: "'") ? .unterminatedString : .unterminatedIdentifier
                } else {
                    kind = c == UInt8(ascii: "'") ? .string : (c == UInt8(ascii: "\"") ? .quotedIdentifier : .bracketIdentifier)
                }
            case .lbracket:
                if arrayDepth > 0 || (tokens.last.map { $0.kind == .keyword && $0.keyword == .array } ?? false) {
                    arrayDepth += 1
                    i += 1; kind = .lbracket
                } else {
                    i += 1
                    while i < n && q[i] != UInt8(ascii: "]") { i += 1 }
                    if i < n {
                        i += 1; kind = .bracketIdentifier
                    } else {
                        kind = .unterminatedIdentifier
                    }
                }
            case .rbracket:
                i += 1
                if arrayDepth > 0 {
                    arrayDepth -= 1; kind = .rbracket
                } else {
                    kind = .malformed
                }
            case .dot:
                if i + 1 < n && isDigit(q[i + 1]) {
                    i = scanNumber(p, i)
                    kind = endsCleanly(p, i) ? .number : .malformed
                    _ = extendMalformed(p, &i)
                } else {
                    i += 1; kind = .dot
                }
            case .question:
                i += 1
                while i < n && isDigit(q[i]) { i += 1 }
                kind = .parameter
            case .colon, .atDollar:
                if c == UInt8(ascii: ":") && i + 1 < n && q[i + 1] == UInt8(ascii: ":") {
                    i += 2; kind = .doubleColon
                } else {
                    i += 1
                    let s = i
                    while i < n && cls[Int(q[i])] & idFlag != 0 { i += 1 }
                    kind = i > s ? .parameter : .malformed
                }
            case .other:
                i += 1; kind = .malformed
            }
            tokens.append(Token(kind, start, i, word))
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
