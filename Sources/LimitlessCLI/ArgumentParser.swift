import LimitlessSupport

/// A hand-written parser that behaves like the argparse set-up of the aws CLI (Python 3.11):
/// unique prefixes, `--opt=value`, boolean pairs where the last one wins, lists that take every
/// following value, values that begin with `-` treated as argparse treats them, and argparse's
/// error messages. It only reads the words; turning them into typed parameters is `Parameters`.
public struct ArgumentParser {
    /// What one option received.
    public enum Raw: Equatable, Sendable {
        case flag(Bool)
        case one(String)
        case many([String])
    }

    /// The parse of `limitless [globals] COMMAND [options]`.
    public struct Invocation: Sendable {
        public var command: CommandSpec
        /// By option name (`--max-acu`; a `--no-x` flag is stored under `--x` as `.flag(false)`).
        public var values: [String: Raw] = [:]
        /// Repeatable options in the order given: (member, option name, value).
        public var appended: [(member: String, option: String, value: String)] = []
        /// `help` was asked for this command.
        public var wantsHelp = false

        public func string(_ name: String) -> String? {
            if case let .one(s)? = values[name] { return s }
            return nil
        }
        public func flag(_ name: String) -> Bool {
            if case let .flag(b)? = values[name] { return b }
            return false
        }
    }

    /// What the words asked for before any command runs.
    public enum Request: Sendable {
        case version
        case help(command: String?)
        case run(Invocation)
    }

    public init() {}

    public func parse(_ args: [String]) throws(CLIError) -> Request {
        // Global options may come before the command.
        let globals = Matcher(CommandTable.globalOptions)
        var pre = Invocation(command: CommandTable.command("help")!)
        var i = 0
        var commandName: String?
        var earlyUnknown: [String] = []
        while i < args.count {
            let word = args[i]
            if word == "--help" || word == "-h" { return .help(command: nil) }
            let kind = try globals.classify(word)
            if case .positional = kind { commandName = word; i += 1; break }
            if case .unknown = kind {
                // Left for the command's parser, as argparse's parse_known_args does.
                earlyUnknown.append(word)
                i += 1
                continue
            }
            i = try consume(kind, at: i, in: args, matcher: globals, into: &pre)
            if pre.flag("--version") { return .version }
        }
        guard let name = commandName else {
            throw .usage("the following arguments are required: command")
        }
        if name == "help" {
            let rest = Array(args[i...]).filter { !$0.hasPrefix("-") }
            return .help(command: rest.first)
        }
        guard let command = CommandTable.command(name) else {
            throw .usage("argument command: " + Self.invalidChoice(name, CommandTable.visibleCommandNames))
        }
        let rest = Array(args[i...])
        // aws shows a command's help when its line ends in `help`; `sql` takes free text
        // (`-c help`), so there only a lone `help` counts.
        if rest.contains("--help") || (command.isAWS ? rest.last == "help" : rest == ["help"]) {
            return .help(command: command.name)
        }
        var inv = Invocation(command: command)
        inv.values = pre.values
        let matcher = Matcher(Self.options(for: command))
        // argparse classifies every word first, so an ambiguous word fails before anything else.
        var kinds: [Matcher.Kind] = []
        var afterDashDash = false
        for w in rest {
            if afterDashDash { kinds.append(.positional); continue }
            if w == "--" { afterDashDash = true; kinds.append(.dashDash); continue }
            kinds.append(try matcher.classify(w))
        }
        var extras: [String] = earlyUnknown
        var j = 0
        while j < rest.count {
            switch kinds[j] {
            case .positional, .unknown:
                extras.append(rest[j]); j += 1
            case .dashDash:
                j += 1
            case .option:
                j = try consume(kinds[j], at: j, in: rest, kinds: kinds, matcher: matcher, into: &inv)
            }
        }
        if inv.flag("--version") { return .version }
        // Required options (aws relaxes them when the input comes from --cli-input-json).
        let fromJSON = inv.values["--cli-input-json"] != nil || inv.values["--generate-cli-skeleton"] != nil
        if !fromJSON {
            let missing = command.options.filter { opt in
                opt.required && inv.values[opt.name] == nil && !inv.appended.contains(where: { $0.option == opt.name })
            }
            if !missing.isEmpty {
                throw .usage("the following arguments are required: " + missing.map(Self.displayName).joined(separator: ", "))
            }
        }
        if inv.flag("--version") { return .version }
        if !extras.isEmpty { throw CLIError(.unknownOptions(extras)) }
        return .run(inv)
    }

    /// The options a command accepts: its own, then (for aws operations) the globals and
    /// `--cli-input-json` / `--generate-cli-skeleton`.
    public static func options(for command: CommandSpec) -> [OptionSpec] {
        command.isAWS ? command.options + CommandTable.inputOptions + CommandTable.globalOptions : command.options
    }

    /// `-c/--command`, as argparse names an option in messages.
    static func displayName(_ o: OptionSpec) -> String {
        (o.aliases + [o.name]).joined(separator: "/")
    }

    private func consume(_ kind: Matcher.Kind, at index: Int, in words: [String], kinds: [Matcher.Kind]? = nil,
                         matcher: Matcher, into inv: inout Invocation) throws(CLIError) -> Int {
        guard case let .option(opt, negated, explicit, spelled) = kind else { return index + 1 }
        _ = spelled
        let label = negated ? (opt.negatedName ?? opt.name) : Self.displayName(opt)
        func isValue(_ k: Int) throws(CLIError) -> Bool {
            guard k < words.count else { return false }
            let kk: Matcher.Kind
            if let kinds { kk = kinds[k] } else { kk = try matcher.classify(words[k]) }
            if case .positional = kk { return true }
            return false
        }
        var next = index + 1
        var value: String?
        switch opt.arity {
        case .flag:
            if let e = explicit { throw .usage("argument \(label): ignored explicit argument \(pyRepr(e))") }
            inv.values[opt.name] = .flag(!negated)
            return next
        case .one:
            if let e = explicit { value = e }
            else if try isValue(next) { value = words[next]; next += 1 }
            else { throw .usage("argument \(label): expected one argument") }
        case let .optional(constant):
            if let e = explicit { value = e }
            else if try isValue(next) { value = words[next]; next += 1 }
            else { value = constant }
        case .oneOrMore:
            var items: [String] = []
            if let e = explicit { items = [e] }
            else { while try isValue(next) { items.append(words[next]); next += 1 } }
            if items.isEmpty { throw .usage("argument \(label): expected at least one argument") }
            inv.values[opt.name] = .many(items)
            return next
        }
        let v = value!
        if case .double = opt.shape, Self.pythonFloat(v) == nil {
            throw .usage("argument \(label): invalid float value: \(pyRepr(v))")
        }
        if let choices = opt.choices, !choices.contains(v) {
            throw .usage("argument \(label): " + Self.invalidChoice(v, choices))
        }
        if opt.repeatable { inv.appended.append((opt.member, opt.name, v)) }
        else { inv.values[opt.name] = .one(v) }
        return next
    }

    // MARK: - argparse pieces

    /// Resolves a word to an option the way argparse's `_parse_optional` does.
    struct Matcher {
        enum Kind {
            case positional
            case dashDash
            /// Looks like an option but matches none: ends up in "Unknown options".
            case unknown
            case option(OptionSpec, negated: Bool, explicit: String?, spelled: String)
        }

        /// Every spelling in registration order: (spelling, option, negated).
        let spellings: [(String, OptionSpec, Bool)]

        init(_ options: [OptionSpec]) {
            var s: [(String, OptionSpec, Bool)] = []
            for o in options {
                for a in o.aliases { s.append((a, o, false)) }
                s.append((o.name, o, false))
                if let n = o.negatedName { s.append((n, o, true)) }
            }
            spellings = s
        }

        func exact(_ w: String) -> (OptionSpec, Bool)? {
            spellings.first(where: { $0.0 == w }).map { ($0.1, $0.2) }
        }

        func classify(_ w: String) throws(CLIError) -> Kind {
            guard let first = w.first, first == "-" else { return .positional }
            if let (o, n) = exact(w) { return .option(o, negated: n, explicit: nil, spelled: w) }
            if w.count == 1 { return .positional }
            var name = w
            var explicit: String?
            if let eq = w.firstIndex(of: "=") {
                name = String(w[..<eq]); explicit = String(w[w.index(after: eq)...])
                if let (o, n) = exact(name) { return .option(o, negated: n, explicit: explicit, spelled: name) }
            }
            // Unique prefixes of long options; a short option glued to its value (`-cSELECT 1`).
            var matches: [(String, OptionSpec, Bool, String?)] = []
            if w.hasPrefix("--") {
                for (s, o, n) in spellings where s.hasPrefix(name) { matches.append((s, o, n, explicit)) }
            } else {
                let short = String(w.prefix(2)), glued = String(w.dropFirst(2))
                for (s, o, n) in spellings {
                    if s == short { matches.append((s, o, n, glued)) }
                    else if s.hasPrefix(name) { matches.append((s, o, n, explicit)) }
                }
            }
            if matches.count > 1 {
                throw .usage("ambiguous option: \(w) could match " + matches.map(\.0).joined(separator: ", "))
            }
            if let m = matches.first { return .option(m.1, negated: m.2, explicit: m.3, spelled: m.0) }
            if ArgumentParser.isNegativeNumber(w) || w.contains(" ") { return .positional }
            return .unknown
        }
    }

    /// argparse's `^-\d+$|^-\d*\.\d+$`.
    static func isNegativeNumber(_ w: String) -> Bool {
        let b = Array(w.utf8)
        guard b.count >= 2, b[0] == UInt8(ascii: "-") else { return false }
        let body = b[1...]
        func digits(_ s: ArraySlice<UInt8>) -> Bool { s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        if digits(body) { return true }
        if let dot = body.firstIndex(of: UInt8(ascii: ".")) {
            let frac = body[(dot + 1)...]
            return !frac.isEmpty && digits(body[..<dot]) && digits(frac)
        }
        return false
    }

    /// Python's `float(text)`: surrounding white space, `_` between digits, `inf`, `nan`.
    public static func pythonFloat(_ text: String) -> Double? {
        let t = trimPythonSpace(text)
        if t.isEmpty { return nil }
        let lower = t.lowercased()
        var sign = 1.0
        var body = Substring(lower)
        if body.hasPrefix("+") || body.hasPrefix("-") { if body.first == "-" { sign = -1 }; body = body.dropFirst() }
        if body == "inf" || body == "infinity" { return sign * .infinity }
        if body == "nan" { return .nan }
        guard let cleaned = removeUnderscores(String(body)) else { return nil }
        // Only digits, one '.', an exponent: Swift's parser also takes hex and "infinity" forms.
        var seenDigit = false
        for c in cleaned.utf8 {
            switch c {
            case 0x30...0x39: seenDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "+"), UInt8(ascii: "-"): continue
            default: return nil
            }
        }
        guard seenDigit, let d = Double(cleaned) else { return nil }
        return sign * d
    }

    /// Python's `int(text)` in base 10.
    public static func pythonInt(_ text: String) -> Int64? {
        let t = trimPythonSpace(text)
        var body = Substring(t)
        var negative = false
        if body.hasPrefix("+") || body.hasPrefix("-") { negative = body.first == "-"; body = body.dropFirst() }
        guard !body.isEmpty, let cleaned = removeUnderscores(String(body)),
              cleaned.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int64(cleaned) else { return nil }
        return negative ? -v : v
    }

    static func trimPythonSpace(_ s: String) -> String {
        let space: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        var sub = Substring(s)
        while let f = sub.first, space.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, space.contains(l) { sub = sub.dropLast() }
        return String(sub)
    }

    /// Drops `_` that sit between two digits; nil when an underscore is misplaced.
    static func removeUnderscores(_ s: String) -> String? {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        for (k, c) in b.enumerated() {
            if c == UInt8(ascii: "_") {
                let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
                guard k > 0, k + 1 < b.count, isDigit(b[k - 1]), isDigit(b[k + 1]) else { return nil }
                continue
            }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The aws CLI's "Invalid choice" text: the choices two to a line, then close matches.
    public static func invalidChoice(_ value: String, _ choices: [String]) -> String {
        var lines = ["Invalid choice, valid choices are:\n"]
        var k = 0
        while k < choices.count {
            let row = choices[k..<min(k + 2, choices.count)].map { pad($0, 40) }
            lines.append(row.joined(separator: " | "))
            k += 2
        }
        let close = Difflib.closeMatches(value, choices, n: 3, cutoff: 0.8)
        if !close.isEmpty {
            lines.append("\n\nInvalid choice: \(pyRepr(value)), maybe you meant:\n")
            for c in close { lines.append("  * " + c) }
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

/// Python's `difflib.get_close_matches` (SequenceMatcher ratio, no junk heuristics: the
/// strings compared here are far shorter than the 200 characters where those start).
public enum Difflib {
    public static func ratio(_ a: String, _ b: String) -> Double {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        let total = x.count + y.count
        if total == 0 { return 1 }
        return 2.0 * Double(matches(x, 0, x.count, y, 0, y.count)) / Double(total)
    }

    static func matches(_ a: [Unicode.Scalar], _ alo: Int, _ ahi: Int, _ b: [Unicode.Scalar], _ blo: Int, _ bhi: Int) -> Int {
        // find_longest_match: the longest common block, earliest in a, then earliest in b.
        var besti = alo, bestj = blo, bestsize = 0
        var lengths = [Int: Int]()
        for i in alo..<ahi {
            var newLengths = [Int: Int]()
            for j in blo..<bhi where b[j] == a[i] {
                let k = (lengths[j - 1] ?? 0) + 1
                newLengths[j] = k
                if k > bestsize { besti = i - k + 1; bestj = j - k + 1; bestsize = k }
            }
            lengths = newLengths
        }
        if bestsize == 0 { return 0 }
        return bestsize + matches(a, alo, besti, b, blo, bestj)
            + matches(a, besti + bestsize, ahi, b, bestj + bestsize, bhi)
    }

    public static func closeMatches(_ word: String, _ possibilities: [String], n: Int = 3, cutoff: Double = 0.6) -> [String] {
        var scored: [(Double, String)] = []
        for p in possibilities {
            let r = ratio(p, word)  // SequenceMatcher(seq1=x, seq2=word)
            if r >= cutoff { scored.append((r, p)) }
        }
        // heapq.nlargest on (score, string): higher score first, then the larger string.
        scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }
        return scored.prefix(n).map(\.1)
    }
}
