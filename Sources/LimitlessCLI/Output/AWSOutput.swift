#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// `--output json|text|table`, as the aws CLI renders a response.
public enum AWSOutputFormat: String, CaseIterable, Sendable {
    case json, text, table
}

/// aws `--color on|off|auto`.
public enum AWSColor: String, CaseIterable, Sendable {
    case on, off, auto
}

/// The aws CLI (v1) output formatters, re-implemented byte for byte.
///
/// Values are printed the way Python's `str()` prints the decoded response: `True`/`False`,
/// `None`, doubles with their shortest round-trip digits and a `.0` (`1000.0`).
public enum AWSRender {
    /// Renders a response (already filtered by `--query`, if any) in `format`.
    /// `operation` is the model's operation name (`CreateDBShardGroup`), the table title.
    public static func render(_ value: JSON, format: AWSOutputFormat, operation: String) -> String {
        switch format {
        case .json: return json(value)
        case .text: return text(value)
        case .table: return table(value, title: operation)
        }
    }

    /// `render` with the aws `--color` choice: table output is coloured with `.on`, never with
    /// `.off`, and with `.auto` (the default) when stdout is a terminal. Text and JSON never are.
    public static func render(_ value: JSON, format: AWSOutputFormat, operation: String, color: AWSColor) -> String {
        guard format == .table else { return render(value, format: format, operation: operation) }
        let colored: Bool
        switch color {
        case .on: colored = true
        case .off: colored = false
        case .auto: colored = Terminal.stdoutIsTerminal()
        }
        return table(value, title: operation, terminalWidth: Terminal.stdoutWidth(), colored: colored)
    }

    // MARK: json

    /// aws `--output json`: four-space indented JSON and a newline. An empty object prints
    /// nothing at all (the CLI's rule for operations without a response body); every other
    /// value, `null` and `[]` included, is printed.
    public static func json(_ value: JSON) -> String {
        if case let .object(members) = value, members.isEmpty { return "" }
        var out = ""
        writePrettyJSON(value, depth: 0, to: &out)
        out += "\n"
        return out
    }

    /// Python's `json.dump(indent=4, ensure_ascii=False)` layout. Differs from
    /// `JSON.serialized(.pretty)` only in how doubles are spelt (Python's `repr`).
    static func writePrettyJSON(_ value: JSON, depth: Int, to out: inout String) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += Python.floatRepr(d) }
        case let .string(s): JSON.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += String(repeating: "    ", count: depth + 1)
                writePrettyJSON(item, depth: depth + 1, to: &out)
            }
            out += "\n" + String(repeating: "    ", count: depth) + "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, item)) in members.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += String(repeating: "    ", count: depth + 1)
                JSON.writeString(key, to: &out)
                out += ": "
                writePrettyJSON(item, depth: depth + 1, to: &out)
            }
            out += "\n" + String(repeating: "    ", count: depth) + "}"
        }
    }

    // MARK: text

    /// aws `--output text`.
    ///
    /// A structure prints its scalar members on one tab-separated line, in key order, prefixed
    /// by the upper-cased name it was reached through (none at the top level); its lists and
    /// structures follow, each under its own upper-cased key. In a list of structures every
    /// row has a column for each scalar key any element has (empty when absent). A list of
    /// scalars prints `NAME\tvalue` per element, or one tab-separated line at the top level.
    /// A bare scalar prints alone. Empty lists print nothing.
    public static func text(_ value: JSON) -> String {
        var out = ""
        TextFormatter.format(value, identifier: nil, scalarKeys: nil, into: &out)
        return out
    }

    // MARK: table

    /// aws `--output table` for the terminal on stdout: its width when stdout is a terminal
    /// (colour on, as `--color auto` does), otherwise 80 columns and no colour.
    public static func table(_ value: JSON, title: String) -> String {
        table(value, title: title, terminalWidth: Terminal.stdoutWidth(), colored: Terminal.stdoutIsTerminal())
    }

    /// aws `--output table` for a terminal `terminalWidth` columns wide. A table wider than
    /// that has its one-row sections turned vertical (a key column and a value column).
    /// `colored` adds the ANSI styling the aws CLI uses on a terminal. Empty or false-like
    /// results (`[]`, `{}`, `""`, `0`, `false`, `null`) print nothing.
    public static func table(_ value: JSON, title: String, terminalWidth: Int, colored: Bool = false) -> String {
        var builder = TableBuilder()
        guard builder.build(title: title, value, indent: 0) else { return "" }
        var table = MultiTable(sections: builder.sections, terminalWidth: terminalWidth, colored: colored)
        return table.render()
    }
}

// MARK: - Python value spelling

/// How Python's `str()` / `repr()` spell the values `json.loads` produces.
enum Python {
    /// `str(value)`: strings bare, everything else as `repr`.
    static func str(_ v: JSON) -> String {
        if case let .string(s) = v { return s }
        return repr(v)
    }

    static func repr(_ v: JSON) -> String {
        switch v {
        case .null: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return floatRepr(d)
        case let .string(s): return stringRepr(s)
        case let .array(items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case let .object(members):
            return "{" + dictItems(members).map { stringRepr($0.0) + ": " + repr($0.1) }.joined(separator: ", ") + "}"
        }
    }

    /// `repr(float)`: the shortest digits that round-trip, fixed notation when the decimal
    /// exponent is in [-4, 16), scientific (`1e+16`, `1e-05`) otherwise.
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (digits, point) = ShortestDigits.of(d)
        let decimalExponent = point - 1
        let sign = d.sign == .minus ? "-" : ""
        if decimalExponent >= -4 && decimalExponent < 16 {
            return sign + ShortestDigits.fixed(digits, point, alwaysFraction: true)
        }
        return sign + ShortestDigits.scientific(digits, decimalExponent)
    }

    /// `repr(str)`: single quotes unless the text holds a `'` and no `"`.
    static func stringRepr(_ s: String) -> String {
        let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
        var out = String(quote)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(u) == quote {
                    out += "\\" + String(quote)
                } else if !isPrintable(u) {
                    let h = String(u.value, radix: 16)
                    let (prefix, width) = u.value < 0x100 ? ("\\x", 2) : u.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out += prefix + String(repeating: "0", count: width - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python's `str.isprintable()` for one character: not a control, format, surrogate,
    /// private-use or unassigned code point, nor a separator other than the space.
    static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        if u == " " { return true }
        if u.value < 0x7F { return u.value >= 0x20 }
        switch u.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// A decoded JSON object as a Python dict: a repeated key keeps its first position and
    /// its last value.
    static func dictItems(_ members: [(String, JSON)]) -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        var index: [String: Int] = [:]
        for (k, v) in members {
            if let i = index[k] { out[i].1 = v } else { index[k] = out.count; out.append((k, v)) }
        }
        return out
    }

    /// Python's string order: by code point.
    static func less(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    static func isScalar(_ v: JSON) -> Bool {
        switch v {
        case .array, .object: return false
        default: return true
        }
    }

    /// Python truthiness.
    static func truthy(_ v: JSON) -> Bool {
        switch v {
        case .null: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .object(o): return !o.isEmpty
        }
    }
}

/// The shortest decimal digits that read back as the same double, and their layouts.
enum ShortestDigits {
    /// `d` (finite, non-zero) as 0.DIGITS × 10^point, digits without leading/trailing zeros.
    static func of(_ d: Double) -> (digits: [Character], point: Int) {
        // Swift's description already holds the shortest round-trip digits; re-read them.
        var s = Substring(d.magnitude.description)
        var exp10 = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp10 = Int(s[s.index(after: e)...]) ?? 0
            s = s[..<e]
        }
        var intPart = s, fracPart: Substring = ""
        if let dot = s.firstIndex(of: ".") {
            intPart = s[..<dot]
            fracPart = s[s.index(after: dot)...]
        }
        var digits = Array(String(intPart) + String(fracPart))
        var point = intPart.count + exp10
        while let first = digits.first, first == "0", digits.count > 1 { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        return (digits, point)
    }

    /// Plain notation: `1000.0` / `2.5` with `alwaysFraction`, `1000` / `2.5` without.
    static func fixed(_ digits: [Character], _ point: Int, alwaysFraction: Bool) -> String {
        if point <= 0 {
            return "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point >= digits.count {
            return String(digits) + String(repeating: "0", count: point - digits.count) + (alwaysFraction ? ".0" : "")
        }
        return String(digits[..<point]) + "." + String(digits[point...])
    }

    /// `1e+16`, `1.5e-07`: one leading digit, at least two exponent digits.
    static func scientific(_ digits: [Character], _ exponent: Int) -> String {
        var out = String(digits[0])
        if digits.count > 1 { out += "." + String(digits[1...]) }
        let e = abs(exponent)
        return out + (exponent < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + String(e)
    }
}

// MARK: - text

enum TextFormatter {
    static func format(_ item: JSON, identifier: String?, scalarKeys: [String]?, into out: inout String) {
        switch item {
        case let .object(members):
            formatDict(Python.dictItems(members), identifier: identifier, scalarKeys: scalarKeys, into: &out)
        case let .array(items):
            formatList(items, identifier: identifier, into: &out)
        default:
            out += Python.str(item)
            out += "\n"
        }
    }

    static func formatList(_ items: [JSON], identifier: String?, into out: inout String) {
        if items.isEmpty { return }
        if items.contains(where: { if case .object = $0 { return true }; return false }) {
            let keys = allScalarKeys(items)
            for element in items {
                format(element, identifier: identifier, scalarKeys: keys, into: &out)
            }
        } else if items.contains(where: { if case .array = $0 { return true }; return false }) {
            let scalars = items.filter(Python.isScalar)
            if !scalars.isEmpty { formatScalarList(scalars, identifier: identifier, into: &out) }
            for nested in items where !Python.isScalar(nested) {
                format(nested, identifier: identifier, scalarKeys: nil, into: &out)
            }
        } else {
            formatScalarList(items, identifier: identifier, into: &out)
        }
    }

    static func formatScalarList(_ items: [JSON], identifier: String?, into out: inout String) {
        if let identifier {
            let name = upper(identifier)
            for item in items { out += name + "\t" + Python.str(item) + "\n" }
        } else {
            out += items.map(Python.str).joined(separator: "\t") + "\n"
        }
    }

    static func formatDict(_ members: [(String, JSON)], identifier: String?, scalarKeys: [String]?, into out: inout String) {
        var scalars: [String] = []
        var nested: [(String, JSON)] = []
        if let scalarKeys {
            for key in scalarKeys {
                scalars.append(members.first(where: { $0.0 == key }).map { Python.str($0.1) } ?? "")
            }
            let keySet = Set(scalarKeys)
            for (k, v) in members.sorted(by: { Python.less($0.0, $1.0) }) where !keySet.contains(k) {
                nested.append((k, v))
            }
        } else {
            for (k, v) in members.sorted(by: { Python.less($0.0, $1.0) }) {
                if Python.isScalar(v) { scalars.append(Python.str(v)) } else { nested.append((k, v)) }
            }
        }
        if !scalars.isEmpty {
            if let identifier { scalars.insert(upper(identifier), at: 0) }
            out += scalars.joined(separator: "\t") + "\n"
        }
        for (k, v) in nested {
            format(v, identifier: k, scalarKeys: nil, into: &out)
        }
    }

    static func allScalarKeys(_ items: [JSON]) -> [String] {
        var seen = Set<String>()
        for case let .object(members) in items {
            for (k, v) in members where Python.isScalar(v) { seen.insert(k) }
        }
        return seen.sorted(by: Python.less)
    }

    /// Python's `str.upper()` for the names the models use (ASCII); other letters through
    /// Swift's full case mapping, which agrees with Python's for practically every letter.
    static func upper(_ s: String) -> String { s.uppercased() }
}

// MARK: - table: building sections from a response

struct TableSection {
    /// nil only for the untitled sections of nested lists (Python's `None`).
    var title: String? = ""
    var headers: [String] = []
    var rows: [[String]] = []
    var indentLevel = 0
    var columnCount: Int?
    var maxWidths: [Int] = []

    mutating func addHeader(_ h: [String]) {
        updateMaxWidths(h)
        if columnCount == nil { columnCount = h.count }
        headers = h
    }

    mutating func addRow(_ row: [String]) {
        if columnCount == nil { columnCount = row.count }
        rows.append(row)
        updateMaxWidths(row)
    }

    mutating func updateMaxWidths(_ row: [String]) {
        if maxWidths.isEmpty {
            maxWidths = row.map(TextWidth.of)
        } else {
            for (i, el) in row.enumerated() {
                if i < maxWidths.count { maxWidths[i] = max(maxWidths[i], TextWidth.of(el)) } else { maxWidths.append(TextWidth.of(el)) }
            }
        }
    }

    /// Column widths (cell content + `padding`), scaled so that they add up to `maxWidth`.
    func columnWidths(padding: Int, maxWidth: Int?) -> [Int] {
        let unscaled = maxWidths.map { $0 + padding }
        guard let maxWidth, !unscaled.isEmpty else { return unscaled }
        let scale = Double(maxWidth) / Double(unscaled.reduce(0, +))
        var scaled = unscaled.map { Int((scale * Double($0)).rounded(.toNearestOrEven)) }
        var offBy = scaled.reduce(0, +) - maxWidth
        while offBy != 0 {
            let order: [Int] = offBy < 0 ? Array(scaled.indices.reversed()) : Array(scaled.indices)
            for i in order {
                if offBy > 0 { scaled[i] -= 1; offBy -= 1 } else { scaled[i] += 1; offBy += 1 }
                if offBy == 0 { break }
            }
        }
        return scaled
    }

    func totalWidth(padding: Int, withBorder: Bool, outerPadding: Int) -> Int {
        var total = 0
        for w in columnWidths(padding: 0, maxWidth: nil) { total += w + padding }
        if withBorder { total += 2 }
        total += 2 * outerPadding
        return max(TextWidth.of(title ?? "None") + 2 + 2 * outerPadding, total)
    }
}

/// Turns a response into titled sections the way the aws table formatter walks it.
struct TableBuilder {
    var sections: [TableSection] = []

    mutating func newSection(_ title: String?, indent: Int) {
        var s = TableSection()
        s.title = title
        s.indentLevel = indent
        sections.append(s)
    }

    mutating func addRow(_ row: [String]) {
        if sections.isEmpty { sections.append(TableSection()) }
        sections[sections.count - 1].addRow(row)
    }

    mutating func addHeader(_ headers: [String]) {
        if sections.isEmpty { sections.append(TableSection()) }
        sections[sections.count - 1].addHeader(headers)
    }

    /// Returns false (and adds nothing) for a false-like value.
    @discardableResult
    mutating func build(title: String?, _ value: JSON, indent: Int) -> Bool {
        guard Python.truthy(value) else { return false }
        if let title { newSection(title, indent: indent) }
        switch value {
        case let .array(items):
            if case .object = items[0] {
                subTableFromList(items, indent: indent, title: title)
            } else {
                for item in items {
                    switch item {
                    case let .array(elements) where elements.allSatisfy(Python.isScalar):
                        addRow(elements.map(Python.str))
                    case let .object(members):
                        // Python iterates a dict's keys: the row is the keys.
                        addRow(Python.dictItems(members).map { $0.0 })
                    case .array:
                        build(title: nil, item, indent: 0)
                    default:
                        addRow([Python.str(item)])
                    }
                }
            }
        case let .object(members):
            subTableFromDict(Python.dictItems(members), indent: indent)
        default:
            break
        }
        return true
    }

    static func groupScalarKeys(_ members: [(String, JSON)]) -> (headers: [String], more: [String]) {
        var headers: [String] = [], more: [String] = []
        for (k, v) in members {
            if Python.isScalar(v) { headers.append(k) } else { more.append(k) }
        }
        return (headers.sorted(by: Python.less), more.sorted(by: Python.less))
    }

    mutating func subTableFromDict(_ members: [(String, JSON)], indent: Int) {
        let (headers, more) = Self.groupScalarKeys(members)
        func value(_ k: String) -> JSON { members.first(where: { $0.0 == k })!.1 }
        if headers.count == 1 {
            addRow([headers[0], Python.str(value(headers[0]))])
        } else if !headers.isEmpty {
            addHeader(headers)
            addRow(headers.map { Python.str(value($0)) })
        }
        for k in more {
            build(title: k, value(k), indent: indent + 1)
        }
    }

    mutating func subTableFromList(_ items: [JSON], indent: Int, title: String?) {
        var headerSet = Set<String>(), moreSet = Set<String>()
        for case let .object(members) in items {
            let (h, m) = Self.groupScalarKeys(Python.dictItems(members))
            headerSet.formUnion(h)
            moreSet.formUnion(m)
        }
        let headers = headerSet.sorted(by: Python.less)
        let more = moreSet.sorted(by: Python.less)
        addHeader(headers)
        var first = true
        for item in items {
            // Elements other than objects only get this far when they are empty lists.
            let members = item.objectValue.map(Python.dictItems) ?? []
            if !first && !more.isEmpty {
                newSection(title, indent: indent)
                addHeader(headers)
            }
            first = false
            addRow(headers.map { h in members.first(where: { $0.0 == h }).map { Python.str($0.1) } ?? "" })
            for k in more {
                if let v = members.first(where: { $0.0 == k })?.1 {
                    build(title: k, v, indent: indent + 1)
                }
            }
        }
    }
}

// MARK: - table: drawing

struct MultiTable {
    var sections: [TableSection]
    var terminalWidth: Int
    var colored: Bool

    // The aws CLI's colour styling (colorama): bright blue cells, dim yellow indentation bars,
    // and a reset after every write to the terminal.
    static let reset = "\u{1B}[0m"
    static let cellStyle = "\u{1B}[1m\u{1B}[34m"
    static let barStyle = "\u{1B}[2m\u{1B}[33m"

    var out = ""

    init(sections: [TableSection], terminalWidth: Int, colored: Bool) {
        self.sections = sections
        self.terminalWidth = terminalWidth
        self.colored = colored
    }

    mutating func write(_ s: String) {
        out += s
        if colored { out += Self.reset }
    }

    func maxWidth() -> Int {
        sections.map { $0.totalWidth(padding: 4, withBorder: true, outerPadding: $0.indentLevel) }.max() ?? 0
    }

    mutating func render() -> String {
        var width = maxWidth()
        if width > terminalWidth {
            convertToVertical()
            width = maxWidth()
        }
        write(dashes(width) + "\n")
        for section in sections { renderSection(section, width) }
        return out
    }

    /// One-row sections with headers become two-column key/value sections.
    mutating func convertToVertical() {
        for i in sections.indices where sections[i].rows.count == 1 && !sections[i].headers.isEmpty {
            let old = sections[i]
            var s = TableSection()
            s.title = old.title
            s.indentLevel = old.indentLevel
            for (h, v) in zip(old.headers, old.rows[0]) { s.addRow([h, v]) }
            sections[i] = s
        }
    }

    /// Writes one line through the indentation bars of `level`.
    mutating func writeIndented(_ line: String, level: Int) {
        let bar = colored ? Self.barStyle + "|" + Self.reset : "|"
        let bars = String(repeating: bar, count: level)
        write(bars)
        write(line)
        write(bars)
        write("\n")
    }

    mutating func renderSection(_ section: TableSection, _ totalWidth: Int) {
        let width = totalWidth - section.indentLevel * 2
        let level = section.indentLevel
        // title
        if let title = section.title, !title.isEmpty {
            writeIndented(Self.center(title, length: width, left: "|", right: "|"), level: level)
            if section.headers.isEmpty && section.rows.isEmpty {
                writeIndented("+" + dashes(width - 2) + "+", level: level)
            }
        }
        // column titles
        if !section.headers.isEmpty {
            let widths = section.columnWidths(padding: 4, maxWidth: width)
            var line = ""
            for (i, (w, header)) in zip(widths, section.headers).enumerated() {
                line += Self.center(header, length: w, left: i == 0 ? "|" : "", right: "|")
            }
            writeIndented(Self.lineBreak(widths), level: level)
            writeIndented(line, level: level)
        }
        // rows
        if !section.rows.isEmpty {
            let widths = section.columnWidths(padding: 4, maxWidth: width)
            if widths.isEmpty { return }
            writeIndented(Self.lineBreak(widths), level: level)
            for row in section.rows {
                var line = ""
                for (i, (w, element)) in zip(widths, row).enumerated() {
                    let styled = colored ? Self.cellStyle + element + Self.reset : element
                    line += Self.alignLeft(styled, textLength: TextWidth.of(element), length: w, left: i == 0 ? "|" : "", right: "|")
                }
                writeIndented(line, level: level)
            }
            writeIndented(Self.lineBreak(widths), level: level)
        }
    }

    func dashes(_ n: Int) -> String { String(repeating: "-", count: max(0, n)) }

    static func spaces(_ n: Int) -> String { String(repeating: " ", count: max(0, n)) }

    /// `+-----+------+` for columns of the given widths (the first holds both edges).
    static func lineBreak(_ widths: [Int]) -> String {
        var s = ""
        for (i, w) in widths.enumerated() {
            s += i == 0 ? "+" + String(repeating: "-", count: max(0, w - 2)) + "+" : String(repeating: "-", count: max(0, w - 1)) + "+"
        }
        return s
    }

    /// Centres `text` in a cell of `length` columns, edges included.
    static func center(_ text: String, length: Int, left: String, right: String) -> String {
        let textLength = TextWidth.of(text)
        let start = length / 2 - textLength / 2 - 1
        let soFar = TextWidth.of(left) + start + textLength
        let rightSpaces = length - TextWidth.of(right) - soFar
        return left + spaces(start) + text + spaces(rightSpaces) + right
    }

    /// Left-aligns `text` after two spaces of padding (none when it would not fit).
    static func alignLeft(_ text: String, textLength: Int, length: Int, left: String, right: String) -> String {
        let computed = textLength + 2 + TextWidth.of(left) + TextWidth.of(right)
        let padding = length - computed >= 0 ? 2 : 0
        let soFar = left.unicodeScalars.count + padding + textLength
        return left + spaces(padding) + text + spaces(length - soFar - right.unicodeScalars.count) + right
    }
}

// MARK: - Display width and the terminal

enum TextWidth {
    /// Columns a text takes on a terminal as the aws CLI counts them: two for each code point
    /// whose East Asian Width is wide, fullwidth or ambiguous, one for any other.
    static func of(_ s: String) -> Int {
        var n = 0
        for u in s.unicodeScalars { n += isWide(u.value) ? 2 : 1 }
        return n
    }

    static func isWide(_ v: UInt32) -> Bool {
        if v < 0xA1 { return false }
        let r = eastAsianWideRanges
        var lo = 0, hi = r.count / 2 - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if v < r[2 * mid] { hi = mid - 1 } else if v > r[2 * mid + 1] { lo = mid + 1 } else { return true }
        }
        return false
    }
}

public enum Terminal {
    /// The width of the terminal on stdout as the aws CLI determines it: the window size the
    /// terminal reports, or 80 when stdout is no terminal.
    public static func stdoutWidth() -> Int {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0 { return Int(ws.ws_col) }
        return 80
    }

    public static func stdoutIsTerminal() -> Bool { isatty(1) == 1 }
}

public struct JMESPathError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
