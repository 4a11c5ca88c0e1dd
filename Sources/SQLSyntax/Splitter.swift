/// The text of one statement in a script, without its trailing `;`.
public struct StatementText: Equatable, Sendable {
    public var text: String
    /// UTF-8 byte offsets of the statement's first and past-the-end characters in the script.
    public var start: Int
    public var end: Int
    /// 1-based line and column (characters) of the first character.
    public var line: Int
    public var column: Int
    /// False for a trailing statement that has no terminating `;` (or an open trigger body,
    /// string or comment).
    public var isComplete: Bool
}

extension SQLSyntax {
    /// Splits a script into statements the way `sqlite3_complete()` sees them: on `;` outside
    /// strings, quoted names, comments and CREATE TRIGGER bodies. Statements made only of
    /// whitespace and comments are dropped; text after the last `;` is returned with
    /// `isComplete == false`. Leading whitespace and comments are not part of a statement.
    public static func splitStatements(_ text: String) -> [StatementText] {
        var copy = text
        return copy.withUTF8 { Splitter.split($0) }
    }

    /// Same as SQLite's `sqlite3_complete()`: true when the text ends a statement with `;`
    /// outside any string, comment or trigger body.
    public static func isComplete(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { Splitter.complete($0) }
    }
}

/// Free-function forms of `SQLSyntax.splitStatements` and `SQLSyntax.isComplete`.
public func splitStatements(_ text: String) -> [StatementText] { SQLSyntax.splitStatements(text) }
public func isComplete(_ text: String) -> Bool { SQLSyntax.isComplete(text) }

enum Splitter {
    // token classes of sqlite3_complete()
    static var tkSEMI: Int { 0 }
    static var tkWS: Int { 1 }
    static var tkOTHER: Int { 2 }
    static var tkEXPLAIN: Int { 3 }
    static var tkCREATE: Int { 4 }
    static var tkTEMP: Int { 5 }
    static var tkTRIGGER: Int { 6 }
    static var tkEND: Int { 7 }
    /// sqlite3_complete()'s transition table: `trans[state * 8 + token]`.
    static let trans: [UInt8] = [
        /* 0 INVALID */ 1, 0, 2, 3, 4, 2, 2, 2,
        /* 1 START   */ 1, 1, 2, 3, 4, 2, 2, 2,
        /* 2 NORMAL  */ 1, 2, 2, 2, 2, 2, 2, 2,
        /* 3 EXPLAIN */ 1, 3, 3, 2, 4, 2, 2, 2,
        /* 4 CREATE  */ 1, 4, 2, 2, 2, 4, 5, 2,
        /* 5 TRIGGER */ 6, 5, 5, 5, 5, 5, 5, 5,
        /* 6 SEMI    */ 6, 6, 5, 5, 5, 5, 5, 7,
        /* 7 END     */ 1, 7, 5, 5, 5, 5, 5, 5,
    ]

    /// Bytes that can end a run of plain text inside a statement: `;`, quotes, brackets and
    /// the first characters of comments.
    static let special: [Bool] = (0..<256).map { b in
        [59, 39, 34, 96, 91, 45, 47].contains(b)
    }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || c == 13 || c == 9 || c == 10 || c == 12
    }

    @inline(__always) static func idChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 36 || c >= 0x80
    }

    static func wordIs(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ n: Int, _ word: StaticString) -> Bool {
        guard n == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<n where (p[s + i] | 0x20) != w[i] { return false }
        return true
    }

    /// Reads one token at `i`: returns (class, end). A nil class means the text ended inside
    /// a string, quoted name or block comment (incomplete); `endsInLineComment` marks a
    /// `--` comment that runs to the end of the text.
    static func token(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int?, Int, Bool) {
        let n = p.count
        let c = p[i]
        switch c {
        case UInt8(ascii: ";"): return (tkSEMI, i + 1, false)
        case 32, 13, 9, 10, 12: return (tkWS, i + 1, false)
        case UInt8(ascii: "/"):
            if i + 1 >= n || p[i + 1] != UInt8(ascii: "*") { return (tkOTHER, i + 1, false) }
            var j = i + 2
            while j + 1 < n && !(p[j] == UInt8(ascii: "*") && p[j + 1] == UInt8(ascii: "/")) { j += 1 }
            if j + 1 >= n { return (nil, n, false) }
            return (tkWS, j + 2, false)
        case UInt8(ascii: "-"):
            if i + 1 >= n || p[i + 1] != UInt8(ascii: "-") { return (tkOTHER, i + 1, false) }
            var j = i + 2
            while j < n && p[j] != 10 { j += 1 }
            if j >= n { return (tkWS, n, true) }
            return (tkWS, j + 1, false)
        case UInt8(ascii: "["):
            var j = i + 1
            while j < n && p[j] != UInt8(ascii: "]") { j += 1 }
            if j >= n { return (nil, n, false) }
            return (tkOTHER, j + 1, false)
        case UInt8(ascii: "`"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            var j = i + 1
            while j < n && p[j] != c { j += 1 }
            if j >= n { return (nil, n, false) }
            return (tkOTHER, j + 1, false)
        default:
            if !idChar(c) { return (tkOTHER, i + 1, false) }
            var j = i + 1
            while j < n && idChar(p[j]) { j += 1 }
            let len = j - i
            var t = tkOTHER
            switch c | 0x20 {
            case UInt8(ascii: "c"): if wordIs(p, i, len, "create") { t = tkCREATE }
            case UInt8(ascii: "t"):
                if wordIs(p, i, len, "trigger") { t = tkTRIGGER }
                else if wordIs(p, i, len, "temp") || wordIs(p, i, len, "temporary") { t = tkTEMP }
            case UInt8(ascii: "e"):
                if wordIs(p, i, len, "end") { t = tkEND }
                else if wordIs(p, i, len, "explain") { t = tkEXPLAIN }
            default: break
            }
            return (t, j, false)
        }
    }

    static func complete(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let trans = Splitter.trans
        var state = 0
        var i = 0
        while i < p.count {
            let (cls, end, lineCommentAtEnd) = token(p, i)
            guard let cls else { return false }
            if lineCommentAtEnd { return state == 1 }
            state = Int(trans[state * 8 + cls])
            i = end
        }
        return state == 1
    }

    static func split(_ p: UnsafeBufferPointer<UInt8>) -> [StatementText] {
        var out: [StatementText] = []
        let trans = Splitter.trans
        var state = 0
        var i = 0
        var stmtStart = -1, stmtEnd = -1
        var line = 1, col = 1, posScanned = 0
        func position(_ offset: Int) -> (Int, Int) {
            while posScanned < offset {
                let b = p[posScanned]
                if b == 10 { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
                posScanned += 1
            }
            return (line, col)
        }
        func emit(_ complete: Bool) {
            if stmtStart >= 0 {
                let (l, c) = position(stmtStart)
                let text = String(decoding: UnsafeBufferPointer(rebasing: p[stmtStart..<stmtEnd]), as: UTF8.self)
                out.append(StatementText(text: text, start: stmtStart, end: stmtEnd, line: l, column: c, isComplete: complete))
            }
            stmtStart = -1; stmtEnd = -1
        }
        while i < p.count {
            if state == 2 {
                // Inside a plain statement only `;`, quotes and comments change anything: skip
                // the bytes between them without reading tokens.
                var j = i
                while j < p.count && !Splitter.special[Int(p[j])] { j += 1 }
                if j > i {
                    var last = j
                    while last > i && Splitter.isSpace(p[last - 1]) { last -= 1 }
                    if last > i { stmtEnd = last }
                    i = j
                    continue
                }
            }
            let (cls, end, _) = token(p, i)
            guard let cls else {
                // unterminated string/comment: the rest belongs to the current statement
                if stmtStart < 0 { stmtStart = i }
                stmtEnd = p.count
                break
            }
            let next = Int(trans[state * 8 + cls])
            if cls == tkSEMI && next == 1 {
                emit(true)
            } else if cls != tkWS {
                if stmtStart < 0 { stmtStart = i }
                stmtEnd = end
            }
            state = next
            i = end
        }
        emit(false)
        return out
    }
}
