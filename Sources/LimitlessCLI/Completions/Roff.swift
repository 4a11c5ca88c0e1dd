/// Small helpers to write man(7) source by hand without tripping groff or mandoc.
///
/// Prose is written with one markup: `code` (between backquotes) is set in bold with real minus
/// signs, so option names can be copied from the page. Each sentence starts a new source line,
/// as roff wants (it puts the sentence space there), and lines are wrapped near 78 bytes.
enum Roff {
    /// Plain text: a backslash becomes `\e`.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\\" { out += "\\e" } else { out.append(c) }
        }
        return out
    }

    /// Literal text (code, option names): also `-` as `\-`, so it prints as a minus sign.
    static func literal(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            default: out.append(c)
            }
        }
        return out
    }

    /// Bold literal text; a long one may break after its commas (`\\:`, a zero-width break point).
    static func bold(_ s: String) -> String {
        "\\fB" + literal(s).split(separator: ",", omittingEmptySubsequences: false).joined(separator: ",\\:") + "\\fR"
    }

    /// Drops `.PP` right after a section heading (it would do nothing) and joins the lines.
    static func document(_ lines: [String]) -> String {
        var out: [String] = []
        for line in lines {
            if line == ".PP", let last = out.last, last.hasPrefix(".SH ") || last.hasPrefix(".SS ") { continue }
            out.append(line)
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func italic(_ s: String) -> String { "\\fI" + literal(s) + "\\fR" }

    /// Prose with `code` spans.
    static func inline(_ s: String) -> String {
        var out = ""
        var code: String?
        for c in s {
            if c == "`" {
                if let text = code { out += bold(text); code = nil } else { code = "" }
            } else if code != nil {
                code!.append(c)
            } else {
                out += escape(String(c))
            }
        }
        if let text = code { out += "`" + escape(text) }
        return out
    }

    /// A source line must not start with `.` or `'` (a request) unless meant to.
    static func guardLine(_ line: String) -> String {
        line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : line
    }

    /// Sentences of a paragraph: split after `.`, `?` or `!` followed by a blank and a capital,
    /// a backquote or an opening parenthesis.
    static func sentences(_ text: String) -> [String] {
        let chars = Array(text)
        var out: [String] = []
        var current = ""
        var inCode = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            current.append(c)
            if c == "`" { inCode.toggle() }
            let ends = c == "." || c == "?" || c == "!" || (c == ")" && i > 0 && ".?!".contains(chars[i - 1]))
            if !inCode, ends, i + 2 < chars.count, chars[i + 1] == " " {
                let next = chars[i + 2]
                if next.isUppercase || next == "`" || next == "(" {
                    out.append(current)
                    current = ""
                    i += 2
                    continue
                }
            }
            i += 1
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Source lines for a paragraph of prose.
    static func lines(_ text: String, width: Int = 78) -> [String] {
        var out: [String] = []
        for sentence in sentences(text) {
            out += wrap(inline(sentence), width: width)
        }
        return out
    }

    /// Breaks at blanks so that lines stay within `width` bytes where a blank allows it.
    static func wrap(_ text: String, width: Int) -> [String] {
        var out: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty { line = String(word); continue }
            if line.utf8.count + 1 + word.utf8.count > width {
                out.append(guardLine(line))
                line = String(word)
            } else {
                line += " " + word
            }
        }
        if !line.isEmpty { out.append(guardLine(line)) }
        return out
    }

    /// A literal display (`.EX`/`.EE`), each line as given.
    static func example(_ lines: [String]) -> [String] {
        [".PP", ".EX"] + lines.map { guardLine(literal($0)) } + [".EE"]
    }
}
