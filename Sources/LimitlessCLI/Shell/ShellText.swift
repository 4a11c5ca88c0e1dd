import LimitlessSupport
import SQLSyntax

/// Where a lexer stands at the end of some SQL text: inside a quoted string or name, a
/// comment, or how many parentheses are open. Drives the continuation prompt and `:name`
/// substitution across lines.
struct SQLLexState: Equatable, Sendable {
    enum Mode: Equatable, Sendable { case normal, singleQuote, doubleQuote, blockComment, lineComment }
    var mode: Mode = .normal
    var commentDepth = 0
    var parenDepth = 0

    /// The state after reading `text` from `self`.
    func after(_ text: String) -> SQLLexState {
        var s = self
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            s.step(chars, &i, emit: nil)
        }
        return s
    }

    /// Consumes one character (or a two-character token) at `i`, appending what it read to `emit`.
    mutating func step(_ c: [Unicode.Scalar], _ i: inout Int, emit: ((String) -> Void)?) {
        let ch = c[i]
        let next: Unicode.Scalar? = i + 1 < c.count ? c[i + 1] : nil
        var taken = String(ch)
        switch mode {
        case .normal:
            if ch == "'" { mode = .singleQuote }
            else if ch == "\"" { mode = .doubleQuote }
            else if ch == "-" && next == "-" { mode = .lineComment; taken = "--"; i += 1 }
            else if ch == "/" && next == "*" { mode = .blockComment; commentDepth = 1; taken = "/*"; i += 1 }
            else if ch == "(" { parenDepth += 1 }
            else if ch == ")" { parenDepth = max(0, parenDepth - 1) }
            else if ch == ";" { parenDepth = 0 }
        case .singleQuote:
            if ch == "'" { mode = .normal }
        case .doubleQuote:
            if ch == "\"" { mode = .normal }
        case .lineComment:
            if ch == "\n" { mode = .normal }
        case .blockComment:
            if ch == "*" && next == "/" {
                commentDepth -= 1; taken = "*/"; i += 1
                if commentDepth == 0 { mode = .normal }
            } else if ch == "/" && next == "*" { commentDepth += 1; taken = "/*"; i += 1 }
        }
        i += 1
        emit?(taken)
    }
}

/// The pure text logic of the interactive shell: prompts, `:name` substitution, meta-command
/// parsing. No terminal, no disk.
enum ShellText {
    /// psql's prompts: `ID=> ` (PROMPT1) and `ID-> ` (PROMPT2, with `'`, `"`, `*` or `(` in
    /// place of `-` inside a string, quoted name, comment or parentheses), with `*` inside a
    /// transaction and `!` inside a failed one.
    static func prompt(cluster: String, buffer: String, inTransaction: Bool, failed: Bool, bold: Bool = false) -> String {
        let status = failed ? "!" : (inTransaction ? "*" : "")
        var r = "="
        if !buffer.isEmpty {
            let st = SQLLexState().after(buffer)
            switch st.mode {
            case .singleQuote: r = "'"
            case .doubleQuote: r = "\""
            case .blockComment: r = "*"
            default: r = st.parenDepth > 0 ? "(" : "-"
            }
        }
        let text = cluster + r + status + ">"
        if bold { return "\u{1}\u{1B}[1m\u{2}" + text + "\u{1}\u{1B}[0m\u{2} " }
        return text + " "
    }

    /// psql's variable interpolation: `:name` becomes the value, `:'name'` the value as a
    /// string literal, `:"name"` as a quoted identifier; not inside strings, quoted names or
    /// comments, not `::`, and unknown names are left as written. `state` carries the lexer
    /// across lines.
    static func substitute(_ line: String, variables: [String: String], state: inout SQLLexState) -> String {
        let c = Array(line.unicodeScalars)
        var out = ""
        var i = 0
        func isNameChar(_ u: Unicode.Scalar) -> Bool {
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_" || u.value >= 0x80
        }
        while i < c.count {
            if state.mode == .normal && c[i] == ":" {
                if i + 1 < c.count && c[i + 1] == ":" {
                    out += "::"; i += 2
                    while i < c.count && c[i] == ":" { out += ":"; i += 1 }
                    continue
                }
                if i + 1 < c.count, c[i + 1] == "'" || c[i + 1] == "\"" {
                    let q = c[i + 1]
                    var j = i + 2
                    var name = ""
                    while j < c.count && isNameChar(c[j]) { name.unicodeScalars.append(c[j]); j += 1 }
                    if j < c.count, c[j] == q, !name.isEmpty, let v = variables[name] {
                        out += q == "'" ? quoteLiteral(v) : quoteIdentifier(v)
                        i = j + 1
                        continue
                    }
                } else if i + 1 < c.count, isNameChar(c[i + 1]) {
                    var j = i + 1
                    var name = ""
                    while j < c.count && isNameChar(c[j]) { name.unicodeScalars.append(c[j]); j += 1 }
                    if let v = variables[name] {
                        out += v
                        i = j
                        continue
                    }
                }
            }
            state.step(c, &i) { out += $0 }
        }
        if state.mode == .lineComment { state.mode = .normal }
        return out
    }

    static func quoteLiteral(_ s: String) -> String {
        "'" + s.replacingEvery("'", with: "''") + "'"
    }

    static func quoteIdentifier(_ s: String) -> String {
        "\"" + s.replacingEvery("\"", with: "\"\"") + "\""
    }

    /// A meta-command line: `\name arg …`.
    struct MetaCommand: Equatable {
        var name: String
        var arguments: [String]
        /// The text after the command name, trimmed (for `\set` values and `\h` topics).
        var rest: String
    }

    /// Parses `\name args`: arguments are separated by spaces; `'…'` quotes one (with `''` for
    /// a quote and `\n`, `\t`, `\\` escapes), `"…"` keeps its quotes as psql does. Nil when the
    /// line is not a meta-command.
    static func parseMetaCommand(_ line: String) -> MetaCommand? {
        let trimmed = line.shellTrimmed
        guard trimmed.hasPrefix("\\") else { return nil }
        let c = Array(trimmed.unicodeScalars)
        var i = 1
        var name = ""
        if i < c.count, c[i] == "?" || c[i] == "!" { name = String(c[i]); i += 1 } else {
            while i < c.count, c[i] != " ", c[i] != "\t", c[i] != "\\" { name.unicodeScalars.append(c[i]); i += 1 }
        }
        var restText = ""
        for u in c[i...] { restText.unicodeScalars.append(u) }
        var args: [String] = []
        while i < c.count {
            while i < c.count, c[i] == " " || c[i] == "\t" { i += 1 }
            if i >= c.count { break }
            var arg = ""
            if c[i] == "'" {
                i += 1
                while i < c.count {
                    if c[i] == "'" {
                        if i + 1 < c.count, c[i + 1] == "'" { arg += "'"; i += 2; continue }
                        i += 1; break
                    }
                    if c[i] == "\\", i + 1 < c.count {
                        switch c[i + 1] {
                        case "n": arg += "\n"
                        case "t": arg += "\t"
                        default: arg.unicodeScalars.append(c[i + 1])
                        }
                        i += 2; continue
                    }
                    arg.unicodeScalars.append(c[i]); i += 1
                }
            } else {
                while i < c.count, c[i] != " ", c[i] != "\t" {
                    arg.unicodeScalars.append(c[i]); i += 1
                }
            }
            args.append(arg)
        }
        return MetaCommand(name: name, arguments: args, rest: restText.shellTrimmed)
    }

    /// Splits the statement buffer into complete statements and what is left to be continued
    /// (empty when only spaces and comments remain, unless a string or comment is still open).
    static func takeStatements(_ buffer: String) -> (statements: [String], rest: String) {
        let parts = SQLSyntax.splitStatements(buffer)
        var statements: [String] = []
        var restStart = 0
        var incomplete: StatementText?
        for p in parts {
            if p.isComplete {
                statements.append(p.text)
                let bytes = Array(buffer.utf8)
                var j = p.end
                while j < bytes.count, bytes[j] != 59 { j += 1 }
                restStart = min(j + 1, bytes.count)
            } else {
                incomplete = p
            }
        }
        let restBytes = Array(buffer.utf8)[restStart...]
        var rest = String(decoding: restBytes, as: UTF8.self)
        let st = SQLLexState().after(rest)
        if incomplete == nil && st.mode != .blockComment && st.mode != .singleQuote && st.mode != .doubleQuote {
            rest = ""
        }
        if rest.shellTrimmed.isEmpty { rest = "" }
        if !rest.isEmpty {
            // Keep what follows the last `;` without its leading newline.
            while let f = rest.first, f == "\n" || f == " " { rest.removeFirst() }
        }
        return (statements, rest)
    }

    /// Whether a line typed at the prompt is kept in the history: never one that carries a password.
    static func recordInHistory(_ line: String) -> Bool {
        !line.shellTrimmed.isEmpty && !line.lowercased().contains("password")
    }

    // MARK: rendering

    /// psql's expanded display (`\x`, border 1): `-[ RECORD n ]` lines ruled to the widths of
    /// the names and values, then `name | value` per column.
    static func expanded(columns: [String], rows: [[SQLValue]]) -> String {
        if rows.isEmpty { return "(0 rows)\n\n" }
        let nameWidth = columns.map(\.displayWidth).max() ?? 0
        var valueWidth = 0
        let texts: [[[String]]] = rows.map { row in
            (0..<columns.count).map { c in
                (c < row.count ? (SQLRender.text(row[c]) ?? "") : "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
        }
        for r in texts { for cell in r { for l in cell { valueWidth = max(valueWidth, l.displayWidth) } } }
        var out = ""
        for (n, row) in texts.enumerated() {
            let label = "-[ RECORD \(n + 1) ]"
            var line = label
            var reclen = label.count
            if reclen < nameWidth { line += String(repeating: "-", count: nameWidth - reclen); reclen = nameWidth }
            reclen -= nameWidth
            for piece in ["-", "+", "-"] {
                if reclen <= 0 { line += piece }
                reclen -= 1
            }
            if reclen < 0 { reclen = 0 }
            if reclen < valueWidth { line += String(repeating: "-", count: valueWidth - reclen) }
            out += line + "\n"
            for (c, name) in columns.enumerated() {
                for (k, l) in row[c].enumerated() {
                    let key = k == 0 ? name : ""
                    let more = k < row[c].count - 1
                    out += key + String(repeating: " ", count: nameWidth - key.displayWidth) + " | " + l
                    if more { out += String(repeating: " ", count: max(0, valueWidth - l.displayWidth)) + "+" }
                    out += "\n"
                }
            }
        }
        return out + "\n"
    }

    /// A horizontal bar chart of rows per shard, scaled to `width` columns, with the skew
    /// (largest shard over the mean).
    static func distributionChart(table: String, placement: String, shardKey: [String], counts: [Int], width: Int) -> String {
        // A reference table has one copy on every shard: its rows are one shard's worth.
        let total = placement == "reference" ? (counts.max() ?? 0) : counts.reduce(0, +)
        var out = "Rows per shard of \"\(table)\" (\(placement)"
        if !shardKey.isEmpty { out += ", shard key " + shardKey.joined(separator: ", ") }
        out += "): \(total) rows"
        if placement == "reference" { out += " (every shard holds a full copy)" }
        out += "\n"
        let labels = counts.indices.map { "shard \($0 + 1)" }
        let labelWidth = labels.map(\.count).max() ?? 0
        let numbers = counts.map { String($0) }
        let numberWidth = numbers.map(\.count).max() ?? 1
        let barWidth = max(10, width - labelWidth - numberWidth - 4)
        let largest = counts.max() ?? 0
        let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for (i, n) in counts.enumerated() {
            let units = largest == 0 ? 0 : Int((Double(n) / Double(largest) * Double(barWidth * 8)).rounded())
            var bar = String(repeating: "█", count: units / 8) + eighths[units % 8]
            if n > 0 && bar.isEmpty { bar = "▏" }
            let pad = barWidth - bar.count
            out += labels[i] + String(repeating: " ", count: labelWidth - labels[i].count) + " │" + bar
                + String(repeating: " ", count: max(0, pad)) + " " + String(repeating: " ", count: numberWidth - numbers[i].count) + numbers[i] + "\n"
        }
        out += "skew: " + skewText(counts) + " (largest shard / mean)\n"
        return out
    }

    /// Largest shard over the mean, two decimals (`1.00` is perfectly even; `-` when empty).
    static func skewText(_ counts: [Int]) -> String {
        let total = counts.reduce(0, +)
        guard total > 0, !counts.isEmpty else { return "-" }
        let mean = Double(total) / Double(counts.count)
        let skew = Double(counts.max() ?? 0) / mean
        let hundredths = Int((skew * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100)." + (frac < 10 ? "0" : "") + String(frac)
    }

    /// A table rendered as psql renders its describe output: a centred title over an aligned table.
    static func titled(_ title: String, columns: [String], rows: [[SQLValue]], footer: Bool = true) -> String {
        var body = SQLRender.aligned(columns: columns, rows: rows)
        if !footer {
            var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            while let l = lines.last, l.isEmpty || l.hasPrefix("(") { lines.removeLast() }
            body = lines.joined(separator: "\n") + "\n"
        }
        let width = body.split(separator: "\n").first.map { String($0).displayWidth } ?? 0
        let left = max(0, (width - title.displayWidth) / 2)
        return String(repeating: " ", count: left) + title + "\n" + body
    }
}

extension String {
    var shellTrimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }

    func replacingEvery(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }

    /// Terminal columns (East Asian wide characters count twice).
    var displayWidth: Int { PsqlText.lines(self).map(\.width).max() ?? 0 }
}
