/// The parser's internal error: empty, so that debug-build frames stay small (a typed
/// `throws(SQLSyntaxError)` reserves room for the whole error at every call site). The
/// details wait in `ParserState.failure`.
struct ParseFailure: Error {}
typealias E = ParseFailure

/// Entry points of the front end.
///
/// - `SQLSyntax.parse(_:)` (also the free function `parse(_:)`) parses a script into statements.
/// - `SQLSyntax.splitStatements(_:)` / `SQLSyntax.isComplete(_:)` split text without parsing.
/// - `statement.sql`, `expr.sql` or `SQLPrinter.print(_:)` print an AST as SQLite SQL.
public enum SQLSyntax {
    /// Nesting limit for parentheses, subqueries and expression trees.
    public static let maxDepth = 1000
    /// Stack the parser may use before it reports "stack depth limit exceeded" (a guard for
    /// unoptimised builds, whose frames are large; an optimised build reaches `maxDepth` first).
    public static let stackBudget: UInt = 3 << 20

    /// Parses `text` into statements; empty statements (`;;`) are skipped.
    public static func parse(_ text: String) throws(SQLSyntaxError) -> [Statement] {
        var copy = text
        let result: Result<[Statement], SQLSyntaxError> = copy.withUTF8 { buf in
            var parser = Parser(buf)
            do throws(ParseFailure) { return .success(try parser.parseAll()) } catch {
                return .failure(parser.state.failure ?? parser.makeSyntaxError(parser.tok))
            }
        }
        return try result.get()
    }

    /// Parses exactly one statement (an empty text or more than one statement is an error).
    public static func parseOne(_ text: String) throws(SQLSyntaxError) -> Statement {
        let all = try parse(text)
        if all.count == 1 { return all[0] }
        if all.isEmpty {
            throw SQLSyntaxError(message: "syntax error at end of input", line: 1, column: 1, offset: text.utf8.count, token: nil)
        }
        let r = all[1].range
        throw SQLSyntaxError(message: "cannot insert multiple commands into a prepared statement", line: r.line,
                             column: r.column, offset: r.start, token: nil)
    }
}


/// Parses `text` into statements (same as `SQLSyntax.parse`).
public func parse(_ text: String) throws(SQLSyntaxError) -> [Statement] { try SQLSyntax.parse(text) }

/// One entry of the parser's string cache: the source bytes a String was made from.
struct CachedString {
    var start: Int32 = 0
    var length: Int32 = -1
    var head: UInt64 = 0
    var value: String = ""
}

final class ParserState {
    let tokenStorage: UnsafeMutableBufferPointer<Token>
    /// Direct-mapped cache of the Strings made from short source slices (names and numbers
    /// repeat: `a`, `t1`, `1`), so that a repeated name skips UTF-8 validation and String
    /// construction. Sized by the token count.
    let cache: UnsafeMutablePointer<CachedString>
    let cacheMask: Int
    /// `Parser.smallASCII` may build strings directly (checked once per process).
    let smallStrings = Parser.smallStringLayoutHolds
    init(tokens: UnsafeMutableBufferPointer<Token>) {
        tokenStorage = tokens
        var size = 16
        while size < tokens.count / 2 && size < 4096 { size *= 2 }
        cache = .allocate(capacity: size)
        cache.initialize(repeating: CachedString(), count: size)
        cacheMask = size - 1
    }
    deinit {
        tokenStorage.deallocate()
        cache.deinitialize(count: cacheMask + 1)
        cache.deallocate()
    }
    var failure: SQLSyntaxError?
    // incremental line/column tracking for statement ranges
    var lcOffset = 0, lcLine = 1, lcColumn = 1
}

/// Recursive-descent parser: one `parse<Construct>` method per grammar rule, precedence
/// climbing for operators (Parser+Expr.swift).
struct Parser {
    let p: UnsafeBufferPointer<UInt8>
    /// The tokens, owned by `state` (a plain buffer: subscripts cost no checks or calls in an
    /// optimised build, and every index the parser uses is within bounds by construction).
    let tokens: UnsafeBufferPointer<Token>
    var pos = 0
    var depth = 0
    /// Rarely changed state lives behind a reference so that the struct (copied into many
    /// debug-build frames) stays small.
    let state: ParserState
    /// Address near the bottom of the parser's stack, for the stack budget check.
    let stackBase: UInt

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        let lexed = Lexer.tokenizeToBuffer(p)
        let buffer = UnsafeMutableBufferPointer<Token>(start: lexed.base, count: lexed.count)
        self.tokens = UnsafeBufferPointer(buffer)
        self.state = ParserState(tokens: buffer)
        var probe = 0
        stackBase = withUnsafeMutablePointer(to: &probe) { UInt(bitPattern: $0) }
    }

    // MARK: token access

    var tok: Token { @inline(__always) mutating get { tokens[pos] } }
    @inline(__always) mutating func peek(_ k: Int) -> Token { tokens[min(pos + k, tokens.count - 1)] }
    @inline(__always) mutating func isKw(_ k: Keyword) -> Bool { let t = tokens[pos]; return t.kind == .keyword && t.keyword == k }
    @inline(__always) mutating func isKw(_ k: Keyword, at off: Int) -> Bool { let t = peek(off); return t.kind == .keyword && t.keyword == k }
    @inline(__always) mutating func isKind(_ k: TokenKind) -> Bool { tokens[pos].kind == k }
    @inline(__always) mutating func advance() { if pos < tokens.count - 1 { pos += 1 } }

    @inline(__always) mutating func accept(_ k: Keyword) -> Bool {
        if isKw(k) { pos += 1; return true }
        return false
    }
    @inline(__always) mutating func accept(_ k: TokenKind) -> Bool {
        if tokens[pos].kind == k { advance(); return true }
        return false
    }
    mutating func expect(_ k: Keyword) throws(E) {
        if isKw(k) { pos += 1; return }
        throw syntaxError()
    }
    mutating func expect(_ k: TokenKind) throws(E) {
        if tokens[pos].kind == k { advance(); return }
        throw syntaxError()
    }

    mutating func text(_ t: Token) -> String {
        string(Int(t.start), Int(t.end))
    }

    /// The String of source bytes `s..<e`: built directly when short and ASCII, through the
    /// cache for other short slices.
    @inline(__always) mutating func string(_ s: Int, _ e: Int) -> String {
        let n = e - s
        if n <= 0 || n > 24 { return String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self) }
        if n <= 15 && s + 16 <= p.count && state.smallStrings, let str = smallASCII(s, n) { return str }
        return cachedString(s, e)
    }

    /// A String of `n` (1...15) ASCII bytes at `s` built in Swift's small-string form (the bytes
    /// in place, the count and the "small ASCII" flags in the top byte), skipping validation
    /// and the generic construction path; nil when a byte is not ASCII. Needs 16 readable
    /// bytes at `s`. Used only when `smallStringLayoutHolds`.
    @inline(__always) func smallASCII(_ s: Int, _ n: Int) -> String? {
        let raw = UnsafeRawPointer(p.baseAddress.unsafelyUnwrapped + s)
        var lo = raw.loadUnaligned(as: UInt64.self).littleEndian
        var hi = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        if n < 8 {
            lo &= (1 &<< UInt64(8 * n)) &- 1
            hi = 0
        } else {
            hi &= (1 &<< UInt64(8 * (n - 8))) &- 1
        }
        if (lo | hi) & 0x8080_8080_8080_8080 != 0 { return nil }
        hi |= UInt64(0xE0 | n) &<< 56
        return Parser.makeSmallString(lo, hi)
    }

    @inline(__always) static func makeSmallString(_ lo: UInt64, _ hi: UInt64) -> String {
        unsafeBitCast((lo.littleEndian, hi.littleEndian), to: String.self)
    }

    /// Whether this platform lays small ASCII strings out as `smallASCII` assumes (64-bit
    /// little-endian, as on x86_64 and arm64 Linux): checked against the standard library's
    /// own strings of every length from 1 to 15.
    static let smallStringLayoutHolds: Bool = {
        guard MemoryLayout<String>.size == 16, 1.littleEndian == 1 else { return false }
        let sample = Array("SELECT x_1 FROM".utf8)
        for n in 1...15 {
            var lo: UInt64 = 0, hi: UInt64 = 0
            for i in 0..<n {
                if i < 8 { lo |= UInt64(sample[i]) << UInt64(8 * i) } else { hi |= UInt64(sample[i]) << UInt64(8 * (i - 8)) }
            }
            hi |= UInt64(0xE0 | n) << 56
            let expected = String(decoding: sample[0..<n], as: UTF8.self)
            let bits = unsafeBitCast(expected, to: (UInt64, UInt64).self)
            if bits.0 != lo || bits.1 != hi { return false }
            let built = makeSmallString(lo, hi)
            if built != expected || built.utf8.count != n || !built.utf8.elementsEqual(sample[0..<n]) { return false }
        }
        return true
    }()

    mutating func cachedString(_ s: Int, _ e: Int) -> String {
        let n = e - s
        let q = p.baseAddress.unsafelyUnwrapped
        var head: UInt64 = 0
        if s + 8 <= p.count {
            head = UnsafeRawPointer(q + s).loadUnaligned(as: UInt64.self).littleEndian
            if n < 8 { head &= (1 &<< UInt64(8 * n)) &- 1 }
        } else {
            var j = 0
            while j < min(n, 8) { head |= UInt64(q[s + j]) &<< UInt64(8 * j); j += 1 }
        }
        var h = (head ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15
        if n > 8 { h ^= UInt64(q[e - 1]) &* 0xC2B2_AE3D_27D4_EB4F }
        let st = state
        let slot = st.cache + Int(truncatingIfNeeded: h >> 40) & st.cacheMask
        if slot.pointee.length == Int32(n) && slot.pointee.head == head {
            var same = true
            if n > 8 {
                let o = Int(slot.pointee.start)
                var j = 8
                while j < n { if q[o + j] != q[s + j] { same = false; break }; j += 1 }
            }
            if same { return slot.pointee.value }
        }
        let value = String(decoding: UnsafeBufferPointer(start: q + s, count: n), as: UTF8.self)
        slot.pointee = CachedString(start: Int32(s), length: Int32(n), head: head, value: value)
        return value
    }

    /// Text of a quoted token without its quotes, doubled quotes undone.
    mutating func unquoted(_ t: Token) -> String {
        let s = Int(t.start) + 1, e = Int(t.end) - 1
        if e <= s { return "" }
        let q = p[Int(t.start)]
        if q == UInt8(ascii: "[") { return string(s, e) }
        var hasDouble = false
        var i = s
        while i < e { if p[i] == q { hasDouble = true; break }; i += 1 }
        if !hasDouble { return string(s, e) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(e - s)
        i = s
        while i < e {
            bytes.append(p[i])
            if p[i] == q { i += 2 } else { i += 1 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: errors and positions

    /// Line and column of `offset`, continuing from the previous call (statements come in
    /// order, so the whole text is scanned once).
    mutating func lineColumn(_ offset: Int) -> (Int, Int) {
        let st = state
        var from = st.lcOffset, line = st.lcLine, col = st.lcColumn
        if offset < from { from = 0; line = 1; col = 1 }
        let end = min(offset, p.count)
        // count newlines (a loop the optimiser can vectorise), then the characters after the last one
        var newlines = 0
        var i = from
        if let q = p.baseAddress {
            // eight bytes at a time: the high bit of each byte of `z` is set exactly where the
            // byte of `w` is a newline
            let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            while i + 8 <= end {
                let w = UnsafeRawPointer(q + i).loadUnaligned(as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
                let z = ~(((w & low7) &+ low7) | w | low7)
                // one bit per newline at bit 7 of its byte: sum the bytes with a multiply
                newlines &+= Int(truncatingIfNeeded: ((z &>> 7) &* 0x0101_0101_0101_0101) &>> 56)
                i += 8
            }
        }
        while i < end { newlines &+= p[i] == 10 ? 1 : 0; i += 1 }
        var lineStart = from
        if newlines > 0 {
            line += newlines
            col = 1
            lineStart = end
            while p[lineStart - 1] != 10 { lineStart -= 1 }
        }
        i = lineStart
        var chars = 0
        while i < end { chars &+= (p[i] & 0xC0) != 0x80 ? 1 : 0; i += 1 }
        col += chars
        st.lcOffset = end; st.lcLine = line; st.lcColumn = col
        return (line, col)
    }

    mutating func positionOf(_ offset: Int) -> (Int, Int) {
        var line = 1, col = 1, i = 0
        while i < offset && i < p.count {
            let b = p[i]
            if b == 10 { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
            i += 1
        }
        return (line, col)
    }

    /// Records a syntax error at `t` (default: the current token) and returns the marker to throw.
    mutating func syntaxError(_ t: Token? = nil) -> ParseFailure {
        state.failure = makeSyntaxError(t ?? tok)
        return ParseFailure()
    }

    mutating func makeSyntaxError(_ t: Token) -> SQLSyntaxError {
        let (line, col) = positionOf(Int(t.start))
        let s = text(t)
        switch t.kind {
        case .eof:
            return SQLSyntaxError(message: "syntax error at end of input", line: line, column: col, offset: Int(t.start), token: nil)
        case .unterminatedString:
            return SQLSyntaxError(message: "unterminated quoted string at or near \"\(s)\"", line: line, column: col, offset: Int(t.start), token: s)
        case .unterminatedIdentifier:
            return SQLSyntaxError(message: "unterminated quoted identifier at or near \"\(s)\"", line: line, column: col, offset: Int(t.start), token: s)
        default:
            return SQLSyntaxError(message: "syntax error at or near \"\(s)\"", line: line, column: col, offset: Int(t.start), token: s)
        }
    }

    mutating func error(_ message: String, _ t: Token? = nil) -> SQLSyntaxError {
        let t = t ?? tok
        let (line, col) = positionOf(Int(t.start))
        return SQLSyntaxError(message: message, line: line, column: col, offset: Int(t.start), token: t.kind == .eof ? nil : text(t))
    }

    /// Call at every nesting step; restore `depth` on exit (`let d = depth; defer { depth = d }`).
    @inline(__always) mutating func nest() throws(E) {
        depth += 1
        var probe = 0
        let addr = withUnsafeMutablePointer(to: &probe) { UInt(bitPattern: $0) }
        if depth > SQLSyntax.maxDepth || stackBase &- addr > SQLSyntax.stackBudget {
            var e = error("stack depth limit exceeded")
            e.sqlState = "54001"
            state.failure = e
            throw ParseFailure()
        }
    }

    // MARK: names

    /// A token usable as a name (`nm` in SQLite's grammar): identifiers, quoted identifiers,
    /// strings, non-reserved keywords and join keywords.
    mutating func isName(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier, .quotedIdentifier, .bracketIdentifier, .string: return true
        case .keyword: return !t.keyword.isReserved || t.keyword.isJoinKeyword
        default: return false
        }
    }

    /// A token usable as an implicit alias (`ids`): no join keywords.
    mutating func isImplicitAlias(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier, .quotedIdentifier, .bracketIdentifier, .string: return true
        case .keyword: return !t.keyword.isReserved
        default: return false
        }
    }

    mutating func nameValue(_ t: Token) -> String {
        switch t.kind {
        case .quotedIdentifier, .bracketIdentifier, .string: return unquoted(t)
        default: return text(t)
        }
    }

    mutating func parseName() throws(E) -> String {
        let t = tok
        guard isName(t) else { throw syntaxError() }
        advance()
        return nameValue(t)
    }

    /// `nm [. nm]`
    mutating func parseQualifiedName() throws(E) -> QualifiedName {
        let first = try parseName()
        if accept(.dot) {
            let second = try parseName()
            return QualifiedName(schema: first, second)
        }
        return QualifiedName(first)
    }

    /// `( nm, ... )`
    mutating func parseNameList() throws(E) -> [String] {
        try expect(.lparen)
        var names = [try parseName()]
        while accept(.comma) { names.append(try parseName()) }
        try expect(.rparen)
        return names
    }

    /// `[AS] alias` where an implicit alias is allowed.
    mutating func parseAlias() throws(E) -> String? {
        if accept(.as) { return try parseName() }
        if isImplicitAlias(tok) {
            // `WINDOW name AS` starts a window clause, not an alias
            if isKw(.window) && isName(peek(1)) && isKw(.as, at: 2) { return nil }
            if isKw(.indexed) && isKw(.by, at: 1) { return nil }
            let t = tok
            advance()
            return nameValue(t)
        }
        return nil
    }

    // MARK: statements

    mutating func parseAll() throws(E) -> [Statement] {
        var out: [Statement] = []
        while true {
            while tok.kind == .semicolon { pos += 1 }
            if tok.kind == .eof { break }
            out.append(try parseStatement())
            if tok.kind == .semicolon { pos += 1 } else if tok.kind != .eof { throw syntaxError() }
        }
        return out
    }

    mutating func parseStatement() throws(E) -> Statement {
        let first = tok
        let (line, col) = lineColumn(Int(first.start))
        let kind = try parseStatementKind()
        let last = tokens[max(0, pos - 1)]
        return Statement(kind, range: SourceRange(start: Int(first.start), end: Int(max(last.end, first.start)), line: line, column: col))
    }

    mutating func parseStatementKind() throws(E) -> StatementKind {
        let t = tok
        guard t.kind == .keyword else { throw syntaxError() }
        switch t.keyword {
        case .select, .values: return .select(try parseSelect())
        case .with:
            let with = try parseWith()
            switch tok.kind == .keyword ? tok.keyword : .none {
            case .select, .values: return .select(try parseSelect(with: with))
            case .insert, .replace: return .insert(try parseInsert(with: with))
            case .update: return .update(try parseUpdate(with: with))
            case .delete: return .delete(try parseDelete(with: with))
            default: throw syntaxError()
            }
        case .insert, .replace: return .insert(try parseInsert(with: nil))
        case .update: return .update(try parseUpdate(with: nil))
        case .delete: return .delete(try parseDelete(with: nil))
        case .create: return try parseCreate()
        case .drop: return .drop(try parseDrop())
        case .alter: return .alterTable(try parseAlterTable())
        case .reindex, .analyze:
            advance()
            var name: QualifiedName? = nil
            if isName(tok) { name = try parseQualifiedName() }
            return t.keyword == .reindex ? .reindex(name) : .analyze(name)
        case .vacuum: return try parseVacuum()
        case .pragma: return .pragma(try parsePragma())
        case .attach: return try parseAttach()
        case .detach:
            advance()
            _ = accept(.database)
            return .detach(try parseName())
        case .begin, .start: return .begin(try parseBegin())
        case .commit, .end:
            advance()
            if !accept(.transaction) { _ = accept(.work) }
            return .commit
        case .rollback, .abort: return try parseRollback()
        case .savepoint:
            advance()
            return .savepoint(try parseName())
        case .release:
            advance()
            _ = accept(.savepoint)
            return .release(try parseName())
        case .set: return .set(try parseSet())
        case .reset:
            advance()
            if accept(.all) { return .reset(nil) }
            return .reset(try parseDottedName())
        case .show:
            advance()
            if accept(.all) { return .show(nil) }
            return .show(try parseDottedName())
        case .call: return .call(try parseCall())
        case .explain: return .explain(try parseExplain())
        default: throw syntaxError()
        }
    }
}
