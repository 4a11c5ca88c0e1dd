import LimitlessSupport
import LimitlessEngine

/// Prints statement results as JSON Lines, psql's aligned table, CSV or TSV.
/// (Helper "output" writes the shared renderers in Output/SQLResultFormat.swift; the two are
/// folded together when both have landed.)
final class SQLResultWriter {
    let format: SQLOutputFormat
    let quiet: Bool
    var printedTable = false

    init(format: SQLOutputFormat, quiet: Bool) {
        self.format = format; self.quiet = quiet
    }

    func write(_ result: StatementResult) {
        switch format {
        case .json: Console.out(SQLResultWriter.jsonLine(result) + "\n")
        case .table: writeTable(result)
        case .csv, .tsv: writeDelimited(result, separator: format == .csv ? "," : "\t")
        }
    }

    func writeError(_ error: EngineError, statement: String) {
        if format == .json {
            Console.out(JSON.object([("error", .string(error.message)), ("code", .string(error.code))]).serialized() + "\n")
            Console.flush()
        }
        Console.err(SQLResultWriter.psqlError(error, statement: statement))
    }

    /// psql's rendering: `ERROR:  message`, and for errors with a position `LINE n: …` and a caret.
    static func psqlError(_ error: EngineError, statement: String) -> String {
        var out = "ERROR:  \(error.message)\n"
        if let pos = error.position {
            let chars = Array(statement)
            let p = min(max(pos - 1, 0), chars.count)
            var lineStart = 0, lineNo = 1
            for i in 0..<p where chars[i] == "\n" { lineStart = i + 1; lineNo += 1 }
            var lineEnd = p
            while lineEnd < chars.count && chars[lineEnd] != "\n" { lineEnd += 1 }
            let prefix = "LINE \(lineNo): "
            out += prefix + String(chars[lineStart..<lineEnd]) + "\n"
            out += String(repeating: " ", count: prefix.count + (p - lineStart)) + "^\n"
        }
        return out
    }

    static func json(_ v: SQLValue) -> JSON {
        switch v {
        case .null: return .null
        case let .integer(i): return .int(i)
        case let .real(d): return .double(d)
        case let .text(s): return .string(s)
        case let .blob(b): return .string("\\x" + hex(b))
        }
    }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(b.count * 2)
        for x in b { s.append(digits[Int(x >> 4)]); s.append(digits[Int(x & 15)]) }
        return s
    }

    static func jsonLine(_ result: StatementResult) -> String {
        switch result {
        case let .rows(command, columns, rows):
            return JSON.object([("command", .string(command)), ("columns", .array(columns.map { .string($0) })),
                                ("rows", .array(rows.map { .array($0.map(json)) }))]).serialized()
        case let .command(tag, affected):
            var members: [(String, JSON)] = [("command", .string(tag))]
            if let n = affected { members.append(("rows_affected", .int(Int64(n)))) }
            return JSON.object(members).serialized()
        }
    }

    static func text(_ v: SQLValue) -> String {
        switch v {
        case .null: return ""
        case let .integer(i): return String(i)
        case let .real(d): return JSON.formatDouble(d)
        case let .text(s): return s
        case let .blob(b): return "\\x" + hex(b)
        }
    }

    func writeTable(_ result: StatementResult) {
        switch result {
        case let .command(tag, _):
            if !quiet { Console.out(tag + "\n") }
        case let .rows(_, columns, rows):
            let cells = rows.map { $0.map(SQLResultWriter.text) }
            var widths = columns.map { $0.count }
            for r in cells { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
            var out = ""
            for (i, c) in columns.enumerated() {
                let pad = widths[i] - c.count
                let left = pad / 2
                out += (i == 0 ? " " : " | ") + String(repeating: " ", count: left) + c
                if i < columns.count - 1 || true { out += String(repeating: " ", count: pad - left) }
            }
            out += " \n"
            out += widths.enumerated().map { (i, w) in String(repeating: "-", count: w + (i == 0 || i == widths.count - 1 ? 1 : 2) + (widths.count == 1 ? 1 : 0)) }.joined(separator: "+")
            out += "\n"
            for (r, row) in cells.enumerated() {
                for (i, c) in row.enumerated() {
                    let pad = String(repeating: " ", count: widths[i] - c.count)
                    let numeric: Bool
                    switch rows[r][i] { case .integer, .real: numeric = true; default: numeric = false }
                    out += (i == 0 ? " " : " | ") + (numeric ? pad + c : (i == row.count - 1 ? c : c + pad))
                }
                out += "\n"
            }
            out += "(\(rows.count) \(rows.count == 1 ? "row" : "rows"))\n\n"
            Console.out(out)
        }
    }

    func writeDelimited(_ result: StatementResult, separator: String) {
        switch result {
        case let .command(tag, _):
            if !quiet && format == .table { Console.out(tag + "\n") }
        case let .rows(_, columns, rows):
            func field(_ s: String, isNull: Bool) -> String {
                if separator == "\t" { return s }
                if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
                    return "\"" + s.replacingAll("\"", "\"\"") + "\""
                }
                return s
            }
            var out = columns.map { field($0, isNull: false) }.joined(separator: separator) + "\n"
            for row in rows {
                out += row.map { field(SQLResultWriter.text($0), isNull: $0 == .null) }.joined(separator: separator) + "\n"
            }
            Console.out(out)
        }
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
