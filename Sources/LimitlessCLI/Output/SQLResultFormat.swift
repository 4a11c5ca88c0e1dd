import LimitlessSupport

/// How `limitless sql` prints a result set.
public enum SQLResultFormat: String, CaseIterable, Sendable {
    /// psql's default aligned table, footer and blank line included.
    case aligned
    /// `psql --csv`: a header row, RFC 4180 quoting, `\n` line ends.
    case csv
    /// PostgreSQL `COPY … TO STDOUT (FORMAT text, HEADER)`: tab-separated, backslash escapes, `\N` for NULL.
    case tsv
    /// One JSON object per statement: `{"command":…,"columns":[…],"rows":[[…]]}`.
    case json
}

/// Pure renderers of one statement's result, shaped as PostgreSQL's client shows it.
///
/// Values print as PostgreSQL prints the matching types: integers as int8, reals as float8
/// (shortest round-trip digits, `1e+20`, `NaN`, `Infinity`), text as is, blobs as bytea hex
/// (`\x0a1b`), NULL as nothing (`\N` in tsv, `null` in json).
public enum SQLRender {
    public static func render(_ format: SQLResultFormat, command: String, columns: [String], rows: [[SQLValue]]) -> String {
        switch format {
        case .aligned: return aligned(columns: columns, rows: rows)
        case .csv: return csv(columns: columns, rows: rows)
        case .tsv: return tsv(columns: columns, rows: rows)
        case .json: return jsonLine(command: command, columns: columns, rows: rows)
        }
    }

    /// A value's text as PostgreSQL outputs it; nil for NULL.
    public static func text(_ v: SQLValue) -> String? {
        switch v {
        case .null: return nil
        case let .integer(i): return String(i)
        case let .real(d): return float8(d)
        case let .text(s): return s
        case let .blob(bytes): return byteaHex(bytes)
        }
    }

    /// float8 output (PostgreSQL 12+, `extra_float_digits` 1): the shortest digits that read
    /// back exactly, in plain notation for decimal exponents -4 to 14, else `1e+20` style.
    public static func float8(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (digits, point) = ShortestDigits.of(d)
        let exponent = point - 1
        let sign = d.sign == .minus ? "-" : ""
        if exponent < -4 || exponent >= 15 {
            return sign + ShortestDigits.scientific(digits, exponent)
        }
        return sign + ShortestDigits.fixed(digits, point, alwaysFraction: false)
    }

    /// bytea hex output: `\x` and two lower-case hex digits per byte.
    public static func byteaHex(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef")
        var s = "\\x"
        for b in bytes {
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0xF)])
        }
        return s
    }

    // MARK: aligned

    /// psql's aligned output (border 1): centred header, `-+-` rule, numbers right-aligned,
    /// everything else left-aligned, a `+` at the end of each line of a multi-line value but
    /// its last, `(N rows)` footer and an empty line. A column is numeric when every non-NULL
    /// value in it is an integer or a real (and there is one).
    public static func aligned(columns: [String], rows: [[SQLValue]]) -> String {
        whole(.aligned, command: "", columns: columns, rows: rows)
    }

    /// A result rendered at once, through the same `SQLResultStream` that renders rows as
    /// they arrive.
    static func whole(_ format: SQLResultFormat, command: String, columns: [String], rows: [[SQLValue]]) -> String {
        var out = ""
        let stream = SQLResultStream(format) { out += $0 }
        stream.begin(columns: columns)
        for row in rows { stream.row(row) }
        stream.finish(command: command)
        return out
    }

    static func spaces(_ n: Int) -> String { n > 0 ? String(repeating: " ", count: n) : "" }

    // MARK: csv

    /// `psql --csv`: header row, then one line per row; a field is quoted (with `""` for a
    /// quote) when it holds a comma, a quote, CR or LF, or is exactly `\.`. NULL and the
    /// empty string both print as an empty field.
    public static func csv(columns: [String], rows: [[SQLValue]]) -> String {
        whole(.csv, command: "", columns: columns, rows: rows)
    }

    public static func csvField(_ s: String) -> String {
        let needsQuotes = s == "\\." || s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return s }
        var out = "\""
        for u in s.unicodeScalars {
            if u == "\"" { out += "\"\"" } else { out.unicodeScalars.append(u) }
        }
        return out + "\""
    }

    // MARK: tsv

    /// PostgreSQL's COPY text format with a header line: fields separated by tabs, backslash,
    /// backspace, form feed, newline, carriage return, tab and vertical tab written as `\\`,
    /// `\b`, `\f`, `\n`, `\r`, `\t`, `\v`; NULL as `\N`.
    public static func tsv(columns: [String], rows: [[SQLValue]]) -> String {
        whole(.tsv, command: "", columns: columns, rows: rows)
    }

    public static func copyEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    // MARK: json

    /// One line: `{"command":"SELECT 2","columns":["a","b"],"rows":[[1,"x"],[null,2.5]]}` and
    /// a newline. Integers are JSON integers, reals always carry a `.` or an exponent (`1.0`,
    /// `1e+20`; NaN and the infinities, which JSON lacks, become the strings `"NaN"`,
    /// `"Infinity"`, `"-Infinity"`), text is a string, NULL is null and a blob is its bytea
    /// text (`"\\x0a1b"`).
    public static func jsonLine(command: String, columns: [String], rows: [[SQLValue]]) -> String {
        whole(.json, command: command, columns: columns, rows: rows)
    }

}

/// psql's display of a text value: lines split at `\n`, tabs expanded to the next multiple of
/// 8, control characters shown as `\r`, `\xNN`, `\uNNNN`; display widths count East Asian
/// wide and fullwidth characters twice and combining marks not at all.
enum PsqlText {
    struct Line {
        var text: String
        var width: Int
    }

    static func lines(_ s: String) -> [Line] {
        var out: [Line] = []
        var current = ""
        var width = 0
        for u in s.unicodeScalars {
            let v = u.value
            if u == "\n" {
                out.append(Line(text: current, width: width))
                current = ""
                width = 0
            } else if u == "\r" {
                current += "\\r"
                width += 2
            } else if u == "\t" {
                repeat { current += " "; width += 1 } while width % 8 != 0
            } else if v < 0x20 || v == 0x7F {
                current += "\\x" + hex(v, 2)
                width += 4
            } else if v >= 0x80 && v < 0xA0 {
                current += "\\u" + hex(v, 4)
                width += 6
            } else {
                current.unicodeScalars.append(u)
                width += columns(v)
            }
        }
        out.append(Line(text: current, width: width))
        return out
    }

    static func hex(_ v: UInt32, _ digits: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - h.count)) + h
    }

    static func columns(_ v: UInt32) -> Int {
        if v < 0x300 { return 1 }
        if inRanges(v, combiningMarkRanges) { return 0 }
        return inRanges(v, eastAsianFullWidthRanges) ? 2 : 1
    }

    static func inRanges(_ v: UInt32, _ r: [UInt32]) -> Bool {
        var lo = 0, hi = r.count / 2 - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if v < r[2 * mid] { hi = mid - 1 } else if v > r[2 * mid + 1] { lo = mid + 1 } else { return true }
        }
        return false
    }
}
