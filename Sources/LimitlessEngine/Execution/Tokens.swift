/// A small scanner that cuts a statement into words, quoted names, strings and punctuation,
/// only so the engine can tell what kind of statement it holds and find the names it routes by
/// (the table after CREATE TABLE / ON / DROP TABLE …) and the arguments of SET and CALL. The SQL
/// itself is executed by SQLite, which parses it in full.
struct Token: Equatable {
    enum Kind { case word, quoted, string, number, punct }
    var kind: Kind
    /// Words upper-cased; quoted names and strings unquoted.
    var text: String
    /// Byte offset in the statement.
    var offset: Int
    var end: Int

    func isWord(_ w: String) -> Bool { kind == .word && text == w }
    /// A name: a word or a quoted identifier, as written (words keep their case here).
    var isName: Bool { kind == .word || kind == .quoted }
}

enum Tokens {
    /// A byte that may continue an unquoted name: ASCII letters, digits, `_`, `$`, and any byte
    /// of a non-ASCII character (shared by the scanners of the fast paths).
    static func isIdent(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 || c == 36 || c >= 128
    }

    /// True when bytes `s..<e` of `b` spell the upper-case ASCII word `w`, in any case.
    static func wordIs(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ w: StaticString) -> Bool {
        guard e - s == w.utf8CodeUnitCount else { return false }
        let p = w.utf8Start
        for i in 0..<(e - s) {
            var c = b[s + i]
            if c >= 97 && c <= 122 { c -= 32 }
            if c != p[i] { return false }
        }
        return true
    }

    static func scan(_ sql: String, limit: Int = .max) -> [Token] {
        let b = Array(sql.utf8)
        var out: [Token] = []
        var i = 0
        while i < b.count && out.count < limit {
            let c = b[i]
            if c == 32 || (c >= 9 && c <= 13) { i += 1; continue }
            if c == 45, i + 1 < b.count, b[i + 1] == 45 {
                while i < b.count && b[i] != 10 { i += 1 }
                continue
            }
            if c == 47, i + 1 < b.count, b[i + 1] == 42 {
                i += 2
                while i + 1 < b.count && !(b[i] == 42 && b[i + 1] == 47) { i += 1 }
                i += 2
                continue
            }
            let start = i
            // `[` quotes a name in SQLite, but not after ARRAY (PostgreSQL's ARRAY['a', 'b']).
            let arrayBracket = c == 91 && out.last?.isWord("ARRAY") == true
            if c == 39 || c == 34 || c == 96 || (c == 91 && !arrayBracket) {
                let close: UInt8 = c == 91 ? 93 : c
                var text: [UInt8] = []
                i += 1
                while i < b.count {
                    if b[i] == close {
                        if close != 93, i + 1 < b.count, b[i + 1] == close { text.append(close); i += 2; continue }
                        i += 1; break
                    }
                    text.append(b[i]); i += 1
                }
                out.append(Token(kind: c == 39 ? .string : .quoted, text: String(decoding: text, as: UTF8.self), offset: start, end: i))
                continue
            }
            if c >= 48 && c <= 57 {
                while i < b.count && (isIdent(b[i]) || b[i] == 46) { i += 1 }
                out.append(Token(kind: .number, text: String(decoding: b[start..<i], as: UTF8.self), offset: start, end: i))
                continue
            }
            if isIdent(c) {
                while i < b.count && isIdent(b[i]) { i += 1 }
                let w = String(decoding: b[start..<i], as: UTF8.self)
                out.append(Token(kind: .word, text: w.uppercased(), offset: start, end: i))
                continue
            }
            i += 1
            out.append(Token(kind: .punct, text: String(UnicodeScalar(c)), offset: start, end: i))
        }
        return out
    }

    /// The name as written at token `t` (original case for words).
    static func name(_ sql: String, _ t: Token) -> String {
        if t.kind == .quoted { return t.text }
        let b = Array(sql.utf8)
        return String(decoding: b[t.offset..<t.end], as: UTF8.self)
    }

    /// A possibly schema-qualified name starting at index `i`: returns (schema, name, next index).
    static func qualifiedName(_ sql: String, _ toks: [Token], _ i: Int) -> (String?, String, Int)? {
        guard i < toks.count, toks[i].isName else { return nil }
        if i + 2 < toks.count, toks[i + 1].kind == .punct, toks[i + 1].text == ".", toks[i + 2].isName {
            return (name(sql, toks[i]), name(sql, toks[i + 2]), i + 3)
        }
        return (nil, name(sql, toks[i]), i + 1)
    }
}
