/// A syntax error with its position. `rendered(source:)` prints it the way psql does.
public struct SQLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message without position, e.g. `syntax error at or near "FORM"`.
    public var message: String
    /// 1-based line and column (in characters) of the offending token.
    public var line: Int
    public var column: Int
    /// UTF-8 byte offset of the offending token in the parsed text.
    public var offset: Int
    /// The offending token's text; nil at end of input.
    public var token: String?
    /// PostgreSQL SQLSTATE: 42601 syntax error, 54001 statement too complex.
    public var sqlState: String

    public init(message: String, line: Int, column: Int, offset: Int, token: String?, sqlState: String = "42601") {
        self.message = message; self.line = line; self.column = column; self.offset = offset
        self.token = token; self.sqlState = sqlState
    }

    public var description: String { "ERROR:  \(message) (line \(line), column \(column))" }

    /// psql's rendering:
    /// ```
    /// ERROR:  syntax error at or near "FORM"
    /// LINE 1: SELECT * FORM t
    ///                  ^
    /// ```
    /// `source` is the text that was parsed (the offsets refer to it).
    public func rendered(source: String) -> String {
        var out = "ERROR:  \(message)"
        let bytes = Array(source.utf8)
        let off = max(0, min(offset, bytes.count))
        var lineStart = off
        while lineStart > 0 && bytes[lineStart - 1] != 10 { lineStart -= 1 }
        var lineEnd = off
        while lineEnd < bytes.count && bytes[lineEnd] != 10 { lineEnd += 1 }
        var lineBytes = Array(bytes[lineStart..<lineEnd])
        if lineBytes.last == 13 { lineBytes.removeLast() }
        var text = String(decoding: lineBytes, as: UTF8.self)
        // psql expands tabs to spaces when it prints the line; keep the caret aligned.
        var caretCol = String(decoding: bytes[lineStart..<off], as: UTF8.self).unicodeScalars.count
        if text.contains("\t") {
            var expanded = ""
            var col = 0
            var caretAdjusted = caretCol
            for (i, ch) in text.unicodeScalars.enumerated() {
                if ch == "\t" {
                    let spaces = 8 - col % 8
                    expanded += String(repeating: " ", count: spaces)
                    if i < caretCol { caretAdjusted += spaces - 1 }
                    col += spaces
                } else {
                    expanded.unicodeScalars.append(ch)
                    col += 1
                }
            }
            text = expanded
            caretCol = caretAdjusted
        }
        let prefix = "LINE \(line): "
        out += "\n" + prefix + text + "\n"
        out += String(repeating: " ", count: prefix.count + caretCol) + "^"
        return out
    }
}
