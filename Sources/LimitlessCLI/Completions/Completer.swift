import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

/// The back end of shell completion: given the words of a command line and which one the
/// cursor is in, the candidates for that word. Everything it knows about commands and options
/// comes from `CommandTable`, so it offers exactly what the parser accepts.
///
/// It follows the aws completer (`aws_completer`): options are listed global ones first, then
/// the command's own, then `--cli-input-json` / `--generate-cli-skeleton`, and an option already
/// on the line is not offered again (repeatable ones, such as `sql -c`, stay). On top of that it
/// offers enum values, file names after `file://` and for FILE options, and the identifiers of
/// the clusters and shard groups that exist under `$LIMITLESS_HOME`.
///
/// The data sources are closures so the logic can be tested without a disk; `onDisk(home:)` reads
/// the cluster folders directly (no lock, no database) so an answer takes a few milliseconds.
public struct Completer: Sendable {
    public struct Candidate: Equatable, Sendable {
        public var word: String
        /// Shown by zsh and fish beside the word; may be empty.
        public var description: String
        public init(_ word: String, _ description: String = "") {
            self.word = word
            self.description = description
        }
    }

    /// One directory entry, for file-name completion.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var isDirectory: Bool
        public init(_ name: String, isDirectory: Bool) {
            self.name = name
            self.isDirectory = isDirectory
        }
    }

    /// Identifiers of the existing clusters, sorted.
    public var clusterIdentifiers: @Sendable () -> [String]
    /// Existing shard groups: (shard group identifier, its cluster identifier), sorted.
    public var shardGroups: @Sendable () -> [(group: String, cluster: String)]
    /// The entries of a folder (nil when it cannot be read).
    public var listDirectory: @Sendable (String) -> [Entry]?
    /// What `~` stands for in file names.
    public var homeDirectory: String?

    public init(clusterIdentifiers: @escaping @Sendable () -> [String] = { [] },
                shardGroups: @escaping @Sendable () -> [(group: String, cluster: String)] = { [] },
                listDirectory: @escaping @Sendable (String) -> [Entry]? = { _ in nil },
                homeDirectory: String? = nil) {
        self.clusterIdentifiers = clusterIdentifiers
        self.shardGroups = shardGroups
        self.listDirectory = listDirectory
        self.homeDirectory = homeDirectory
    }

    // MARK: - Entry points

    /// The words offered for `words[current]` (`words[0]` is the program name).
    public func complete(words: [String], current: Int) -> [String] {
        candidates(words: words, current: current).map(\.word)
    }

    /// `limitless __complete`: reads the line as bash hands it to `complete -C` programs
    /// (`COMP_LINE`, and `COMP_POINT`, the cursor's byte offset, when it is a number) and prints
    /// one candidate per line; with `LIMITLESS_COMPLETE_DESCRIPTIONS=1` a tab and a description
    /// follow the word where there is one (the format fish reads).
    public static func main() -> Int32 {
        guard let line = Environment.get("COMP_LINE") else { return 0 }
        var bytes = Array(line.utf8)
        if let p = Environment.get("COMP_POINT").flatMap({ Int($0) }), p >= 0, p < bytes.count {
            bytes = Array(bytes[..<p])
        }
        let words = split(line: String(decoding: bytes, as: UTF8.self))
        let describe = Environment.get("LIMITLESS_COMPLETE_DESCRIPTIONS") == "1"
        let found = onDisk(home: Environment.limitlessHome).candidates(words: words, current: words.count - 1)
        var out = ""
        for c in found {
            out += c.word
            if describe && !c.description.isEmpty { out += "\t" + c.description }
            out += "\n"
        }
        Console.out(out)
        return 0
    }

    /// A completer over the real `$LIMITLESS_HOME` and file system.
    public static func onDisk(home: String) -> Completer {
        let clusters = Files.join(home, "clusters")
        return Completer(
            clusterIdentifiers: {
                clusterFolders(clusters).filter { Files.exists(Files.join(Files.join(clusters, $0), "cluster.json")) }
            },
            shardGroups: {
                var out: [(group: String, cluster: String)] = []
                for id in clusterFolders(clusters) {
                    let path = Files.join(Files.join(clusters, id), "shard-group.json")
                    guard Files.exists(path), let text = try? Files.readText(path),
                          let doc = try? JSON.parse(text),
                          let group = doc["DBShardGroup"]?["DBShardGroupIdentifier"]?.stringValue else { continue }
                    out.append((group, id))
                }
                return out.sorted { $0.group < $1.group }
            },
            listDirectory: { path in
                guard let names = try? Files.list(path.isEmpty ? "." : path) else { return nil }
                return names.map { Entry($0, isDirectory: Files.isDirectory(Files.join(path.isEmpty ? "." : path, $0))) }
            },
            homeDirectory: Environment.get("HOME"))
    }

    /// Cluster folders whose names are valid identifiers (what the control plane would list).
    static func clusterFolders(_ clusters: String) -> [String] {
        guard let names = try? Files.list(clusters) else { return [] }
        return names.filter { Rules.isValidIdentifier($0) }
    }

    // MARK: - Splitting a line

    /// Splits a (partial) shell command line into words the way the shell would, removing
    /// quotes and backslashes. The last element is the word the cursor is in: empty when the
    /// line ends in a blank. Only the last command of a pipeline or list is kept.
    public static func split(line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in line {
            if escaped {
                word.append(c); escaped = false; inWord = true
                continue
            }
            switch quote {
            case "'":
                if c == "'" { quote = nil } else { word.append(c) }
                continue
            case "\"":
                if c == "\"" { quote = nil } else if c == "\\" { escaped = true } else { word.append(c) }
                continue
            default:
                break
            }
            switch c {
            case " ", "\t", "\n":
                if inWord { words.append(word); word = ""; inWord = false }
            case ";", "|", "&", "(", ")":
                words = []; word = ""; inWord = false
            case "\\":
                escaped = true; inWord = true
            case "'", "\"":
                quote = c; inWord = true
            default:
                word.append(c); inWord = true
            }
        }
        words.append(word)
        return words
    }

    // MARK: - Completion

    /// What the words before the cursor leave open.
    enum State {
        /// Nothing pending: the next word is an option (or a command name before one).
        case free
        /// The previous word is an option that still needs its value.
        case value(OptionSpec)
        /// An option that takes a list (or an optional value) has taken zero or more values;
        /// the next word may be another value or an option.
        case more(OptionSpec)
    }

    /// The option a word stands for, as argparse resolves it: an exact spelling, `--name=value`,
    /// a unique prefix of a long spelling, or a short option glued to its value.
    struct Resolved {
        var option: OptionSpec
        /// The full spelling it matched (`--no-publicly-accessible`, `--max-acu`, `-c`).
        var spelling: String
        /// Text after `=` (or after a glued short option).
        var explicit: String?
    }

    static func spellings(_ options: [OptionSpec]) -> [(String, OptionSpec)] {
        var out: [(String, OptionSpec)] = []
        for o in options {
            for a in o.aliases { out.append((a, o)) }
            out.append((o.name, o))
            if let n = o.negatedName { out.append((n, o)) }
        }
        return out
    }

    static func resolve(_ word: String, _ spellings: [(String, OptionSpec)]) -> Resolved? {
        guard word.hasPrefix("-"), word.count > 1 else { return nil }
        if let hit = spellings.first(where: { $0.0 == word }) { return Resolved(option: hit.1, spelling: hit.0) }
        var name = word
        var explicit: String?
        if let eq = word.firstIndex(of: "=") {
            name = String(word[..<eq])
            explicit = String(word[word.index(after: eq)...])
            if let hit = spellings.first(where: { $0.0 == name }) {
                return Resolved(option: hit.1, spelling: hit.0, explicit: explicit)
            }
        }
        if word.hasPrefix("--") {
            let hits = spellings.filter { $0.0.hasPrefix(name) }
            if hits.count == 1 { return Resolved(option: hits[0].1, spelling: hits[0].0, explicit: explicit) }
            return nil
        }
        let short = String(word.prefix(2))
        if let hit = spellings.first(where: { $0.0 == short }) {
            return Resolved(option: hit.1, spelling: hit.0, explicit: String(word.dropFirst(2)))
        }
        return nil
    }

    /// Walks `words`, noting each option spelling used, and says what the next word can be.
    static func scan(_ words: ArraySlice<String>, _ spellings: [(String, OptionSpec)], used: inout [String]) -> State {
        var state = State.free
        for w in words {
            if w == "--" { state = .free; continue }
            let looksLikeOption = w.hasPrefix("-") && w.count > 1 && !ArgumentParser.isNegativeNumber(w)
            if looksLikeOption {
                guard let r = resolve(w, spellings) else { state = .free; continue }
                used.append(r.spelling)
                switch r.option.arity {
                case .flag: state = .free
                case .one: state = r.explicit == nil ? .value(r.option) : .free
                case .optional: state = r.explicit == nil ? .more(r.option) : .free
                case .oneOrMore: state = r.explicit == nil ? .value(r.option) : .more(r.option)
                }
                continue
            }
            switch state {
            case let .value(o): state = o.arity == .oneOrMore ? .more(o) : .free
            case let .more(o): if case .optional = o.arity { state = .free }
            case .free: break
            }
        }
        return state
    }

    public func candidates(words: [String], current: Int) -> [Candidate] {
        guard current >= 1, current < words.count else { return [] }
        let cur = words[current]
        let before = words[1..<current]
        let globals = Self.spellings(CommandTable.globalOptions)
        var used: [String] = []

        // Global options may come before the command name.
        var k = before.startIndex
        var state = State.free
        while k < before.endIndex {
            let w = before[k]
            if case .value = state { state = .free; k += 1; continue }
            if Self.isOptionLike(w) {
                state = Self.scan(before[k...k], globals, used: &used)
                k += 1
                continue
            }
            break
        }
        guard k < before.endIndex else {
            // The cursor is on the command name, or on a global option (or its value) before it.
            if let r = optionWithValue(cur, globals) { return prefixed(r, command: nil) }
            if case let .value(o) = state, !Self.isOptionLike(cur) { return values(o, cur, command: nil) }
            if cur.hasPrefix("-") {
                return optionCandidates(CommandTable.globalOptions + [Self.helpOption], cur, used: used)
            }
            return commandCandidates(cur)
        }
        let name = before[k]
        if name == "help" {
            return k + 1 == before.endIndex ? commandCandidates(cur).filter { $0.word != "help" } : []
        }
        guard let command = CommandTable.command(name) else { return [] }
        let accepted = ArgumentParser.options(for: command)
        let spellings = Self.spellings(accepted)
        state = Self.scan(before[(k + 1)...], spellings, used: &used)

        if let r = optionWithValue(cur, spellings) { return prefixed(r, command: command) }
        // In aws_completer's order: global options, the command's own, then the input options.
        let listed = command.isAWS
            ? CommandTable.globalOptions + command.options + CommandTable.inputOptions
            : command.options
        if Self.isOptionLike(cur) || cur == "-" { return optionCandidates(listed, cur, used: used) }
        switch state {
        case let .value(o):
            return values(o, cur, command: command)
        case let .more(o):
            let v = values(o, cur, command: command)
            // Another list item or the optional value may follow; with nothing known to
            // offer for it and nothing typed yet, offer the options.
            return !v.isEmpty || !cur.isEmpty ? v : optionCandidates(listed, cur, used: used)
        case .free:
            return cur.isEmpty ? optionCandidates(listed, cur, used: used) : []
        }
    }

    static let helpOption = OptionSpec("--help", member: "help", shape: .boolean, arity: .flag,
                                       help: "Show the commands and global options.")

    static func isOptionLike(_ w: String) -> Bool {
        w.hasPrefix("-") && w.count > 1 && !ArgumentParser.isNegativeNumber(w)
    }

    /// `--opt=partial`: the option and what follows `=`, when the option takes a value.
    func optionWithValue(_ cur: String, _ spellings: [(String, OptionSpec)]) -> Resolved? {
        guard cur.hasPrefix("--"), cur.contains("="), let r = Self.resolve(cur, spellings),
              r.explicit != nil, r.option.arity != .flag else { return nil }
        return r
    }

    func prefixed(_ r: Resolved, command: CommandSpec?) -> [Candidate] {
        let head = r.spelling + "="
        return values(r.option, r.explicit ?? "", command: command).map { Candidate(head + $0.word, $0.description) }
    }

    func commandCandidates(_ cur: String) -> [Candidate] {
        CommandTable.commands.filter { !$0.hidden && $0.name.hasPrefix(cur) }.map { Candidate($0.name, $0.summary) }
    }

    func optionCandidates(_ options: [OptionSpec], _ cur: String, used: [String]) -> [Candidate] {
        let short = cur.hasPrefix("-") && !cur.hasPrefix("--")
        var out: [Candidate] = []
        var seen = Set<String>()
        for o in options {
            var names: [String] = []
            if short { names += o.aliases }
            names.append(o.name)
            if let n = o.negatedName { names.append(n) }
            for n in names where n.hasPrefix(cur) && !seen.contains(n) {
                if used.contains(n) && !o.repeatable { continue }
                seen.insert(n)
                out.append(Candidate(n, Self.describe(o, negated: n == o.negatedName)))
            }
        }
        return out
    }

    /// Values an option does not list in the model but the service knows.
    static let suggestedValues: [String: [String]] = [
        "--engine": ["aurora-postgresql", "aurora-mysql", "postgres", "mysql"],
        "--engine-version": ["16.6-limitless"],
        "--storage-type": ["aurora", "aurora-iopt1"],
        "--compute-redundancy": ["0", "1", "2"],
    ]

    func values(_ o: OptionSpec, _ cur: String, command: CommandSpec?) -> [Candidate] {
        if case .boolean = o.shape { return [] }
        if cur.hasPrefix("file://") {
            return files(String(cur.dropFirst(7))).map { Candidate("file://" + $0.word, $0.description) }
        }
        let name = command?.name
        if o.name == "--db-cluster-identifier" && name != "create-db-cluster" {
            return clusterIdentifiers().filter { $0.hasPrefix(cur) }.map { Candidate($0, "DB cluster") }
        }
        if o.name == "--db-shard-group-identifier" && name != "create-db-shard-group" {
            return shardGroups().filter { $0.group.hasPrefix(cur) }
                .map { Candidate($0.group, "shard group of \($0.cluster)") }
        }
        if o.metavar == "FILE" { return files(cur) }
        var choices = o.choices ?? []
        if choices.isEmpty, case let .enumeration(v) = o.shape { choices = v }
        if choices.isEmpty { choices = Self.suggestedValues[o.name] ?? [] }
        var out = choices.filter { $0.hasPrefix(cur) }.map { Candidate($0) }
        // JSON-valued options also read files: offer the scheme once the word heads that way.
        let takesJSON: Bool
        switch o.shape {
        case .structure, .list(.structure): takesJSON = true
        default: takesJSON = o.name == "--cli-input-json"
        }
        if takesJSON && !cur.isEmpty && "file://".hasPrefix(cur) { out.append(Candidate("file://")) }
        return out
    }

    /// File and folder names starting with `prefix` (folders with a trailing `/`); hidden ones
    /// only when the prefix asks for them.
    func files(_ prefix: String) -> [Candidate] {
        var folder = ""
        var base = prefix
        if let slash = prefix.lastIndex(of: "/") {
            folder = String(prefix[...slash])
            base = String(prefix[prefix.index(after: slash)...])
        }
        var real = folder
        if folder.hasPrefix("~/"), let home = homeDirectory { real = home + folder.dropFirst() }
        guard let entries = listDirectory(real) else { return [] }
        return entries
            .filter { $0.name.hasPrefix(base) && (base.hasPrefix(".") || !$0.name.hasPrefix(".")) }
            .sorted { $0.name < $1.name }
            .map { Candidate(folder + $0.name + ($0.isDirectory ? "/" : "")) }
    }

    /// A one-line description of an option for zsh and fish.
    static func describe(_ o: OptionSpec, negated: Bool) -> String {
        if negated { return "Turn \(o.name) off." }
        var text = o.help.isEmpty ? (Help.notes[o.member] ?? "") : o.help
        if text.isEmpty {
            switch o.shape {
            case .boolean: text = "Turn \(o.member) on."
            case let .list(item): text = "List of \(Help.valueWord(item)) values."
            case .structure: text = "Shorthand or JSON value."
            default: text = "A \(Help.valueWord(o.shape)) value."
            }
        }
        return o.required ? "(required) " + text : text
    }
}
