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

    /// psql's rendering (libpq's error-position report):
    /// ```
    /// ERROR:  syntax error at or near "FORM"
    /// LINE 1: SELECT * FORM t
    ///                  ^
    /// ```
    /// `source` is the text that was parsed (the offsets refer to it). As in psql, tabs show
    /// as one space and a line longer than 60 characters is cut around the error with `...`.
    public func rendered(source: String) -> String {
        let displaySize = 60, minRightCut = 10
        var chars: [Unicode.Scalar] = []
        var loc = -1
        var byte = 0
        for sc in source.unicodeScalars {
            if byte >= offset && loc < 0 { loc = chars.count }
            chars.append(sc == "\t" ? " " : sc)
            byte += UTF8.width(sc)
        }
        if loc < 0 { loc = chars.count }
        var lineno = 1, ibeg = 0, iend = chars.count
        var cno = 0
        while cno < chars.count {
            let c = chars[cno]
            if c == "\r" || c == "\n" {
                if cno < loc {
                    if c == "\r" || cno == 0 || chars[cno - 1] != "\r" { lineno += 1 }
                    ibeg = cno + 1
                } else {
                    iend = cno
                    break
                }
            }
            cno += 1
        }
        var begTrunc = false, endTrunc = false
        if iend - ibeg > displaySize {
            if ibeg + displaySize >= loc + minRightCut {
                while iend - ibeg > displaySize { iend -= 1 }
                endTrunc = true
            } else {
                while loc + minRightCut < iend { iend -= 1; endTrunc = true }
                while iend - ibeg > displaySize { ibeg += 1; begTrunc = true }
            }
        }
        var prefix = "LINE \(lineno): "
        if begTrunc { prefix += "..." }
        var line = ""
        line.unicodeScalars.append(contentsOf: chars[ibeg..<max(ibeg, iend)])
        if endTrunc { line += "..." }
        let caret = String(repeating: " ", count: prefix.count + max(0, loc - ibeg)) + "^"
        return "ERROR:  \(message)\n" + prefix + line + "\n" + caret
    }
}
