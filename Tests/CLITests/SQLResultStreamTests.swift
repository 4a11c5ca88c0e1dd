import LimitlessSupport
import Testing

@testable import LimitlessCLI

/// `SQLResultStream`: a result rendered row by row as the engine hands rows over gives the
/// bytes psql printed (Golden/psql-formats.json), whatever came through the stream before;
/// CSV and TSV rows go out as they arrive, a table and a JSON line at the end.
@Suite struct SQLResultStreamTests {
    /// Collects what a stream writes, write by write.
    final class Capture {
        var writes: [String] = []
        var text: String { writes.joined() }
    }

    static let formats: [SQLResultFormat] = [.aligned, .csv, .tsv, .json]

    /// Every golden case through one stream per format, reused from case to case as the CLI
    /// reuses it from statement to statement, equals psql's text and the JSON contract.
    @Test(arguments: formats)
    func reusedStreamMatchesEveryGoldenCase(_ format: SQLResultFormat) throws {
        let cases = SQLResultFormatTests.cases
        #expect(cases.count == 22)
        let capture = Capture()
        let stream = SQLResultStream(format) { capture.writes.append($0) }
        for c in cases {
            let (columns, rows) = Golden.sqlTable(c)
            capture.writes.removeAll()
            stream.begin(columns: columns)
            for row in rows { stream.row(row) }
            stream.finish(command: "SELECT \(rows.count)")
            let name = c["name"]?.stringValue ?? "?"
            switch format {
            case .aligned: #expect(capture.text == c["aligned"]?.stringValue, "\(name)")
            case .csv: #expect(capture.text == c["csv"]?.stringValue, "\(name)")
            case .tsv: if let tsv = c["tsv"]?.stringValue { #expect(capture.text == tsv, "\(name)") }
            case .json:
                // The JSON line parses back to the rows it was given, command tag first.
                let parsed = try JSON.parse(String(capture.text.dropLast()))
                #expect(parsed["command"]?.stringValue == "SELECT \(rows.count)", "\(name)")
                #expect(parsed["rows"]?.arrayValue?.count == rows.count, "\(name)")
                #expect(capture.text == SQLRender.jsonLine(command: "SELECT \(rows.count)", columns: columns, rows: rows))
            }
        }
    }

    /// A big result with wide, multi-line, tabbed, non-ASCII and NULL cells: the aligned
    /// table written in pieces (64 KiB and up) joins into exactly what a fresh render of the
    /// same rows gives, and the column widths come from rows seen long before the end.
    @Test func bigTableComesOutInPiecesThatJoinToTheWhole() {
        var rows: [[SQLValue]] = []
        for i in 0..<5000 {
            let s: SQLValue = i % 7 == 0 ? .null : i % 11 == 0 ? .text("ligne\n\(i)\tfin") : .text("名前\(i)")
            rows.append([.integer(Int64(i)), s, i == 17 ? .text(String(repeating: "w", count: 90)) : .real(Double(i) / 4)])
        }
        let capture = Capture()
        let stream = SQLResultStream(.aligned) { capture.writes.append($0) }
        stream.begin(columns: ["id", "label", "v"])
        for row in rows { stream.row(row) }
        #expect(capture.writes.isEmpty, "a table waits for its last row")
        stream.finish(command: "SELECT 5000")
        #expect(capture.writes.count > 1)
        let text = capture.text
        #expect(text.hasSuffix("(5000 rows)\n\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // label is 11 wide (`11<tab>fin`), v is text-aligned (row 17's text) and 90 wide.
        #expect(lines[0] == "  id  |    label    |" + String(repeating: " ", count: 45) + "v" + String(repeating: " ", count: 46))
        #expect(lines.contains("   17 | 名前17      | " + String(repeating: "w", count: 90)))
        #expect(lines.contains("   11 | ligne      +| 2.75"))
        #expect(lines.contains("      | 11      fin | "))
        #expect(lines.contains("   14 |             | 3.5"))
        // The same rows once more through the same stream give the same bytes.
        capture.writes.removeAll()
        stream.begin(columns: ["id", "label", "v"])
        for row in rows { stream.row(row) }
        stream.finish(command: "")
        #expect(capture.text == text)
    }

    /// CSV and TSV rows are written as they arrive (in blocks of 32 KiB); a statement that
    /// fails part-way leaves them written and the stream ready for the next result.
    @Test(arguments: [SQLResultFormat.csv, .tsv])
    func rowsGoOutAsTheyArriveAndStayAfterAFailure(_ format: SQLResultFormat) {
        let capture = Capture()
        let stream = SQLResultStream(format) { capture.writes.append($0) }
        stream.begin(columns: ["a", "b"])
        #expect(capture.text == (format == .csv ? "a,b\n" : "a\tb\n"))
        for i in 0..<3000 { stream.row([.integer(Int64(i)), .text(String(repeating: "r", count: 20))]) }
        #expect(capture.writes.count > 2, "rows are written before the result ends")
        stream.finish(command: "SELECT 3000")
        let sep = format == .csv ? "," : "\t"
        #expect(capture.text == "a\(sep)b\n" + (0..<3000).map { "\($0)\(sep)" + String(repeating: "r", count: 20) + "\n" }.joined())
        capture.writes.removeAll()
        stream.begin(columns: ["a", "b"])
        stream.row([.integer(1), .text("x,y")])
        stream.row([.null, .real(2.5)])
        stream.discard()
        #expect(capture.text == (format == .csv ? "a,b\n1,\"x,y\"\n,2.5\n" : "a\tb\n1\tx,y\n\\N\t2.5\n"))
        capture.writes.removeAll()
        stream.begin(columns: ["n"])
        stream.row([.integer(7)])
        stream.finish(command: "SELECT 1")
        #expect(capture.text == "n\n7\n")
    }

    /// The byte writers spell every value as the String renderers do: reals over many bit
    /// patterns (float8 and Python's repr), integers at the extremes, text needing escapes.
    @Test func byteWritersSpellValuesAsTheStringRenderers() {
        var reals: [Double] = [0.1, 0.395, 1e15, 1e16, 123456789012345, 1234567890123456, 1e-4, 1e-5, 5e-324,
                               .greatestFiniteMagnitude, .leastNormalMagnitude, 1.0 / 3, 2.5, 100, 1e21, 9.999999999999999e22]
        var state: UInt64 = 0x9E3779B97F4A7C15
        for _ in 0..<20000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let d = Double(bitPattern: state)
            if d.isFinite && d != 0 { reals.append(d) }
            reals.append(Double(Int64(truncatingIfNeeded: state >> 20)) / 1000)
        }
        for d in reals + reals.map({ -$0 }) + [0, -0.0, .nan, .infinity, -.infinity] {
            var b: [UInt8] = []
            ValueBytes.appendFloat8(d, to: &b)
            #expect(String(decoding: b, as: UTF8.self) == SQLRender.float8(d), "\(d)")
            if d.isFinite {
                b.removeAll()
                ValueBytes.appendJSONReal(d, to: &b)
                #expect(String(decoding: b, as: UTF8.self) == Python.floatRepr(d), "\(d)")
            }
        }
        for i: Int64 in [0, 7, -7, 10, 99, 100, Int64.max, Int64.min, -1_000_000] {
            var b: [UInt8] = []
            ValueBytes.appendInteger(i, to: &b)
            #expect(String(decoding: b, as: UTF8.self) == String(i))
        }
        let texts = ["", "plain", "a,b", "q\"q", "\\.", "\\", "tab\tnl\ncr\r", "\u{08}\u{0B}\u{0C}\u{01}\u{1F}", "名前 é ✓", "\u{7F}x"]
        for t in texts {
            var csv: [UInt8] = [], field: [UInt8] = []
            ValueBytes.appendCSVRow(1, [.text(t)], field: &field, to: &csv)
            #expect(String(decoding: csv, as: UTF8.self) == SQLRender.csvField(t) + "\n", "\(t)")
            var tsv: [UInt8] = []
            ValueBytes.appendTSVRow(1, [.text(t)], field: &field, to: &tsv)
            #expect(String(decoding: tsv, as: UTF8.self) == SQLRender.copyEscape(t) + "\n", "\(t)")
            var json: [UInt8] = []
            var tt = t
            tt.withUTF8 { ValueBytes.appendJSONString($0, to: &json) }
            var expected = ""
            JSON.writeString(t, to: &expected)
            #expect(String(decoding: json, as: UTF8.self) == expected, "\(t)")
        }
        var blob: [UInt8] = []
        ValueBytes.appendText(.blob([0, 0x0a, 0xff, 0x1b]), to: &blob)
        #expect(String(decoding: blob, as: UTF8.self) == SQLRender.byteaHex([0, 0x0a, 0xff, 0x1b]))
    }

    /// A table or JSON line whose statement failed part-way prints nothing (psql shows only
    /// the error), and what it had kept does not leak into the next result.
    @Test(arguments: [SQLResultFormat.aligned, .json])
    func keptRowsAreDroppedOnFailure(_ format: SQLResultFormat) {
        let capture = Capture()
        let stream = SQLResultStream(format) { capture.writes.append($0) }
        stream.begin(columns: ["a"])
        for i in 0..<100 { stream.row([.integer(Int64(i))]) }
        stream.discard()
        #expect(capture.writes.isEmpty)
        stream.begin(columns: ["a"])
        stream.row([.integer(5)])
        stream.finish(command: "SELECT 1")
        #expect(capture.text == SQLRender.render(format, command: "SELECT 1", columns: ["a"], rows: [[.integer(5)]]))
    }
}
