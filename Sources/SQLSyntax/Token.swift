/// Kinds of lexical tokens.
public enum TokenKind: UInt8, Sendable {
    case eof
    case semicolon
    case identifier        // bare word that is not a keyword
    case keyword           // bare word that is a keyword (see Token.keyword)
    case quotedIdentifier  // "x"
    case bracketIdentifier // [x] or `x`
    case string            // 'x'
    case blob              // X'00ff'
    case number
    case parameter         // ?, ?NNN, :name, @name, $name
    case lparen, rparen, comma, dot
    case lbracket, rbracket  // only after ARRAY
    case star, plus, minus, slash, percent
    case concat, ptr, ptr2   // || -> ->>
    case eq, ne, lt, le, gt, ge
    case shl, shr, bitAnd, bitOr, tilde
    case doubleColon
    // error tokens: the parser reports them when it reaches them
    case unterminatedString
    case unterminatedIdentifier
    case malformed         // bad blob, bad number, illegal character
}

/// A token: kind, keyword (for `.keyword`) and its UTF-8 byte range in the source.
public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var keyword: Keyword
    public var start: UInt32
    public var end: UInt32

    @inline(__always)
    init(_ kind: TokenKind, _ start: Int, _ end: Int, _ keyword: Keyword = .none) {
        self.kind = kind
        self.keyword = keyword
        self.start = UInt32(truncatingIfNeeded: start)
        self.end = UInt32(truncatingIfNeeded: end)
    }
}
