import LimitlessSupport
import LimitlessEngine

/// Prints statement results in the format `--output` chose, through the shared renderers in
/// Output/SQLResultFormat.swift (psql's aligned table, CSV, TSV, JSON Lines).
final class SQLResultWriter {
    let format: SQLOutputFormat
    let quiet: Bool
    /// Flush stdout after every result (a conversation on standard input); otherwise output is
    /// written in large blocks.
    var flushEach = false

    init(format: SQLOutputFormat, quiet: Bool) {
        self.format = format; self.quiet = quiet
    }

    var renderFormat: SQLResultFormat {
        switch format {
        case .table: return .aligned
        case .json: return .json
        case .csv: return .csv
        case .tsv: return .tsv
        }
    }

    /// Bytes an aligned table or a JSON line keeps in memory before the rest of its rows go to
    /// a temporary file (`LIMITLESS_RESULT_SPILL=N` changes it; tests make it small).
    static let spillAfter: Int = {
        if let v = Environment.get("LIMITLESS_RESULT_SPILL"), let n = Int(v), n > 0 { return n }
        return 4 << 20
    }()

    /// A renderer for one statement's rows as they arrive (`ClusterEngine.execute(_:into:)`):
    /// CSV and TSV rows go out at once, a table or a JSON line at `write(_:stream:)`.
    func stream() -> SQLResultStream {
        if let s = reusableStream { return s }
        let s = SQLResultStream(renderFormat, spillAfter: SQLResultWriter.spillAfter) { Console.out($0) }
        reusableStream = s
        return s
    }

    /// One stream serves every statement in turn (`begin` starts it afresh).
    private var reusableStream: SQLResultStream?

    /// Prints a statement's result; the rows of a row-returning one are in `stream` when given
    /// (it was the statement's sink), else in the result.
    func write(_ result: StatementResult, stream: SQLResultStream? = nil) {
        switch result {
        case let .rows(command, columns, rows):
            if let stream { stream.finish(command: command) } else {
                Console.out(SQLRender.render(renderFormat, command: command, columns: columns, rows: rows))
            }
        case let .command(tag, affected):
            if format == .json {
                var members: [(String, JSON)] = [("command", .string(tag))]
                if let n = affected { members.append(("rows_affected", .int(Int64(n)))) }
                Console.out(JSON.object(members).serialized() + "\n")
            } else if format == .table && !quiet {
                // psql prints the command tag for statements that return no rows.
                Console.out(tag + "\n")
            }
        }
        if format == .json && flushEach { Console.flush() }
    }

    func writeError(_ error: EngineError, statement: String) {
        if format == .json {
            Console.out(JSON.object([("error", .string(error.message)), ("code", .string(error.code))]).serialized() + "\n")
            if flushEach { Console.flush() }
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
}

extension SQLResultStream: RowSink {}
