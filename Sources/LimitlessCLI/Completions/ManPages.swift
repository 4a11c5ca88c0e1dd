/// The man pages: `limitless(1)` and one page per command, `limitless-COMMAND(1)`.
///
/// Synopses and option lists come from `CommandTable` (so every option the parser accepts is
/// on its page); the prose around them is written here, per command. The committed files under
/// man/ are checked against this generator by a test (`LIMITLESS_RECORD=1` rewrites them).
public enum ManPages {
    /// The date in every page's title line: fixed, so regenerating changes nothing by itself.
    static let date = "2026-11-26"

    /// File name (under man/) to contents.
    public static func all() -> [(name: String, text: String)] {
        var out = [("limitless.1", overview())]
        for c in documentedCommands { out.append(("limitless-\(c.name).1", page(c))) }
        return out
    }

    /// Every visible command except `help`.
    static var documentedCommands: [CommandSpec] {
        CommandTable.commands.filter { !$0.hidden && $0.name != "help" }
    }

    // MARK: - Pieces

    static func header(_ title: String, _ name: String, _ purpose: String) -> [String] {
        [
            ".\\\" GENERATED from the command table (Sources/LimitlessCLI/Completions); do not edit.",
            ".TH \(title) 1 \(date) \"limitless \(CLI.version)\" \"User Commands\"",
            // Ragged right (long shorthand hints have no blanks to stretch) and no hyphenation,
            // which would split option names: groff's man macros reset hyphenation from HY.
            ".ad l",
            ".nr HY 0",
            ".SH NAME",
        ] + Roff.wrap("\(Roff.literal(name)) \\- \(Roff.escape(purpose))", width: 78)
    }

    static func section(_ title: String) -> String { ".SH " + title }

    static func paragraphs(_ texts: [String]) -> [String] {
        var out: [String] = []
        for t in texts { out.append(".PP"); out += Roff.lines(t) }
        return out
    }

    /// `.TP` items: a tag line, then prose.
    static func items(_ list: [(tag: String, text: String)]) -> [String] {
        var out: [String] = []
        for (tag, text) in list {
            out.append(".TP")
            out.append(Roff.guardLine(tag))
            out += Roff.lines(text)
        }
        return out
    }

    /// `--max-acu double` as a tag: names in bold, the value in italics.
    static func optionTag(_ o: OptionSpec) -> String {
        let value = o.metavar ?? Help.valueWord(o.shape)
        var names = (o.aliases + [o.name]).map(Roff.bold)
        if let n = o.negatedName { names.append(Roff.bold(n)) }
        let joined = names.joined(separator: ", ")
        switch o.arity {
        case .flag: return joined
        case .one: return joined + " " + Roff.italic(value)
        case .oneOrMore: return joined + " " + Roff.italic(value) + " " + Roff.literal("...")
        case .optional: return joined + " [" + Roff.italic(value) + "]"
        }
    }

    static func optionText(_ o: OptionSpec, keeps: Bool = true) -> String {
        var parts: [String] = []
        if o.required { parts.append("Required.") }
        var text = o.help.isEmpty ? (Help.notes[o.member] ?? notes[o.member] ?? "") : o.help
        if text.isEmpty { text = genericText(o, keeps: keeps) }
        if let last = text.last, last != "." && last != ")" { text += "." }
        parts.append(capitalized(text))
        var values = o.choices ?? []
        if values.isEmpty, case let .enumeration(v) = o.shape { values = v }
        if !values.isEmpty && !values.allSatisfy({ text.contains($0) }) {
            parts.append("One of " + values.map { "`\($0)`" }.joined(separator: ", ") + ".")
        }
        if let hint = Help.shorthandHint(o.shape) {
            parts.append("Shorthand: `\(hint)`, or the same as JSON.")
        }
        if o.repeatable && !text.contains("several") && !text.contains("repeat") { parts.append("May be given more than once; the inputs run in the order given.") }
        if let n = o.negatedName { parts.append("`\(n)` sets it to false; the last of the two on the line wins.") }
        return parts.joined(separator: " ")
    }

    static func capitalized(_ s: String) -> String {
        guard let f = s.first, f.isLowercase, !s.hasPrefix("json"), !s.hasPrefix("table") else { return s }
        return f.uppercased() + s.dropFirst()
    }

    /// What limitless does with a few more options (beyond `Help.notes`).
    static let notes: [String: String] = [
        "Filters": "Keep only the items whose field matches one of the given values (`Name=NAME,Values=V1,V2`); the filter names are under DESCRIPTION.",
        "MaxRecords": "Accepted; every answer fits in one page.",
        "Marker": "Accepted; there is never a second page.",
        "ApplyImmediately": "Accepted; changes always apply at once.",
        "Tags": "Tags kept with the record and shown in `TagList`.",
    ]

    /// For aws options limitless only checks (and, for create and modify, records): what kind
    /// of value they take.
    static func genericText(_ o: OptionSpec, keeps: Bool) -> String {
        let fate = keeps ? "checked and kept with the record" : "checked, with no effect on one machine"
        let text: String
        switch o.shape {
        case .boolean: text = "A flag (`\(o.member)`)"
        case let .list(item):
            if case .structure = item { text = "A list of structures (`\(o.member)`)" } else {
                text = "One or more \(Help.valueWord(item)) values (`\(o.member)`)"
            }
        case .structure: text = "A structure (`\(o.member)`)"
        case .integer, .long: text = "An integer (`\(o.member)`)"
        case .double: text = "A number (`\(o.member)`)"
        default: text = "A string (`\(o.member)`)"
        }
        return text + ", " + fate
    }

    static func optionItems(_ options: [OptionSpec], keeps: Bool = true) -> [String] {
        items(options.map { (optionTag($0), optionText($0, keeps: keeps)) })
    }

    static func synopsis(_ c: CommandSpec) -> [String] {
        var out = [".SY \"\(Roff.literal("limitless " + c.name))\""]
        for o in c.options {
            let names = (o.aliases + [o.name]).map(Roff.bold).joined(separator: "|")
            var word: String
            switch o.arity {
            case .flag:
                // `\:` lets a long pair break after the bar.
                word = o.negatedName.map { names + "|\\:" + Roff.bold($0) } ?? names
            case .one: word = names + " " + Roff.italic(o.metavar ?? Help.valueWord(o.shape))
            case .oneOrMore:
                word = names + " " + Roff.italic(o.metavar ?? Help.valueWord(o.shape)) + " " + Roff.literal("...")
            case .optional: word = names + " [" + Roff.italic(o.metavar ?? Help.valueWord(o.shape)) + "]"
            }
            if o.repeatable { word += " " + Roff.literal("...") }
            out.append(o.required ? word : "[" + word + "]")
        }
        if c.isAWS { out.append("[" + Roff.italic("global options") + "]") }
        out.append(".YS")
        return out
    }

    static let exitStatuses: [(String, String)] = [
        ("0", "Success, including `help`, `--version` and `--generate-cli-skeleton`."),
        ("1", "`limitless sql`: a statement failed (with `--on-error stop` the rest did not run), or an input file could not be read."),
        ("2", "`limitless sql`: the cluster identifier is not valid, the cluster or its shard group does not exist, or its files could not be opened."),
        ("130", "Interrupted by Ctrl-C (SIGINT); a metadata change is either complete or not made at all, and a running statement is cancelled on every shard."),
        ("252", "The command line or a parameter is wrong: unknown command or option, missing required option, bad value. The usage block and the message go to standard error, as the aws CLI prints them."),
        ("254", "The (local) service refused the request: `An error occurred (CODE) when calling the OPERATION operation: MESSAGE`, with the aws error code, for example `DBClusterNotFoundFault` or `InvalidParameterValue`."),
        ("255", "Anything else, for example a damaged or hand-edited metadata file (named in the message) or an I/O error."),
    ]

    static let seedCluster = [
        "limitless create-db-cluster --db-cluster-identifier my-limitless-cluster \\",
        "    --engine aurora-postgresql --engine-version 16.6-limitless \\",
        "    --storage-type aurora-iopt1 --cluster-scalability-type limitless \\",
        "    --master-username myuser --master-user-password mypassword \\",
        "    --enable-performance-insights --performance-insights-retention-period 31 \\",
        "    --monitoring-interval 5 \\",
        "    --monitoring-role-arn arn:aws:iam::123456789012:role/EMrole \\",
        "    --enable-cloudwatch-logs-exports postgresql",
    ]

    static let seedShardGroup = [
        "limitless create-db-shard-group --db-shard-group-identifier my-db-shard-group \\",
        "    --db-cluster-identifier my-limitless-cluster --max-acu 1000 --min-acu 16 \\",
        "    --compute-redundancy 1 --publicly-accessible",
    ]

    static func seeAlso(_ names: [String]) -> [String] {
        var out = [section("SEE ALSO")]
        for (k, n) in names.enumerated() {
            out.append(".BR \(Roff.literal(n)) (1)" + (k + 1 < names.count ? "," : ""))
        }
        return out
    }

    // MARK: - limitless(1)

    static func overview() -> String {
        var s = header("LIMITLESS", "limitless", "Aurora PostgreSQL Limitless Database on one machine")
        s += [section("SYNOPSIS"), ".SY limitless", "[" + Roff.italic("global options") + "]",
              Roff.italic("command") + " [" + Roff.italic("options") + "]", ".YS"]
        s += [section("DESCRIPTION")]
        s += paragraphs([
            "`limitless` gives you an Amazon Aurora PostgreSQL Limitless Database on your own machine. The cluster and shard-group commands take the same options as `aws rds` and print the same JSON, so scripts written for the real service run unchanged; `limitless sql` then runs Limitless SQL (sharded, reference and standard tables) on the cluster's shard group.",
            "Each shard of a shard group is one SQLite database file, and the router keeps the catalog; statements run in-process, with no server to start. Query results are the ones a single plain SQLite database gives for the same data.",
            "Nothing leaves the machine: options that only matter to the cloud (networking, encryption keys, monitoring, backups) are checked for type, stored, and shown back where the aws output has a place for them.",
        ])
        s += [section("COMMANDS")]
        s += items(documentedCommands.map { c in
            (Roff.bold(c.name), c.summary + " See `limitless-\(c.name)`(1).")
        })
        s += items([(Roff.bold("help") + " [" + Roff.italic("command") + "]",
                     "Show the commands, or the options of one command. `limitless COMMAND help` and `--help` do the same.")])
        s += [section("OPTION SYNTAX")]
        s += paragraphs([
            "Options follow the aws CLI: `--name value` or `--name=value`; any unique prefix of a long option (`--max-ac` for `--max-acu`); boolean options come in pairs (`--publicly-accessible` and `--no-publicly-accessible`), and the last one on the line wins. An option that takes a list takes every following word that is not an option.",
            "Structures take shorthand (`Key=team,Value=db`) or JSON, and `file://PATH` reads any value from a file. With `--cli-input-json` the whole request comes from JSON, and options given on the line take precedence.",
        ])
        s += [section("GLOBAL OPTIONS")]
        s += paragraphs(["These apply to the cluster and shard-group commands and may stand before or after the command name."])
        s += optionItems(CommandTable.globalOptions + CommandTable.inputOptions)
        s += items([(Roff.bold("--help") + ", " + Roff.bold("-h"), "Show the commands and the global options.")])
        s += [section("ENVIRONMENT")]
        s += items([
            (Roff.bold("LIMITLESS_HOME"), "Where clusters, shard groups and their data live. The default is `~/.limitless`."),
            (Roff.bold("AWS_REGION"), "The region written into ARNs, endpoints and availability zones when `--region` is not given."),
            (Roff.bold("AWS_DEFAULT_REGION"), "Used when neither `--region` nor `AWS_REGION` is set; without any of them the region is `us-east-1`."),
            (Roff.bold("AWS_DEFAULT_OUTPUT"), "The output format (`json`, `text` or `table`) when `--output` is not given."),
            (Roff.bold("NO_COLOR"), "When set to anything but the empty string, the interactive `sql` shell and `--color auto` print no colours."),
            (Roff.bold("PAGER"), "The interactive `sql` shell pages results taller than the terminal through this command (`less -S` when unset and available; no paging when set but empty)."),
            (Roff.bold("EDITOR"), "The editor `\\e` opens in the interactive `sql` shell (`VISUAL` is preferred when set; `vi` otherwise)."),
            (Roff.bold("TMPDIR"), "Where `sql` keeps a big result it must hold whole before printing it (the aligned table and JSON line formats) in an unlinked temporary file, past 4 MiB; `/tmp` when unset."),
        ])
        s += [section("FILES")]
        s += paragraphs(["Everything lives under `$LIMITLESS_HOME`. Folders are created with mode 0700 and files with mode 0600; each file is replaced atomically (written, synced, renamed) while an exclusive lock is held on `.lock`. Identifiers are stored in lower case, as RDS does."])
        s += items([
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/.lock"), "The lock file taken around every read-modify-write of the metadata."),
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/clusters/ID/cluster.json"), "A cluster: its DBCluster structure as aws shows it, the request parameters that have no place in it, and the master password as a salted PBKDF2-SHA256 hash (never the password)."),
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/clusters/ID/shard-group.json"), "The cluster's shard group: its DBShardGroup structure and the number of shards and routers."),
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/clusters/ID/data/"), "The shard group's storage: `router.db` (catalog, reference and standard tables), `shard-01.db` up to `shard-NN.db`, and `decisions.log` with `commit.state` (the commit decisions of transactions that changed several places)."),
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/snapshots/SNAPSHOT-ID/"), "A copy of a cluster's folder kept by `delete-db-cluster --final-db-snapshot-identifier`."),
            (Roff.italic("$LIMITLESS_HOME") + Roff.literal("/history"), "The interactive `sql` shell's line history."),
        ])
        s += paragraphs(["A damaged or hand-edited metadata file is reported with its path (exit status 255); nothing is guessed or rewritten."])
        s += [section("EXIT STATUS")]
        s += items(exitStatuses.map { (Roff.bold($0.0), $0.1) })
        s += [section("EXAMPLES")]
        s += paragraphs(["Create a Limitless cluster with the very command you would give `aws rds`:"])
        s += Roff.example(seedCluster)
        s += paragraphs(["Give it a shard group; MaxACU 1000 makes 4 routers and 6 shards:"])
        s += Roff.example(seedShardGroup)
        s += paragraphs(["Run SQL on it, and look at the shard groups as a table:"])
        s += Roff.example([
            "limitless sql --db-cluster-identifier my-limitless-cluster -c 'SELECT 1'",
            "limitless describe-db-shard-groups --output table",
        ])
        s += seeAlso(documentedCommands.map { "limitless-" + $0.name } + ["aws", "psql", "sqlite3"])
        return Roff.document(s)
    }

    // MARK: - limitless-COMMAND(1)

    static func page(_ c: CommandSpec) -> String {
        let prose = Prose.pages[c.name] ?? Prose.Page(purpose: c.summary, description: [c.summary])
        var s = header("LIMITLESS-" + c.name.uppercased(), "limitless-" + c.name, prose.purpose)
        s += [section("SYNOPSIS")] + synopsis(c)
        s += [section("DESCRIPTION")]
        if let op = c.operation {
            s += paragraphs(["`limitless \(c.name)` mirrors `aws rds \(c.name)` (the \(op) operation): same options, same output."])
        }
        s += paragraphs(prose.description)
        if !c.options.isEmpty {
            s += [section("OPTIONS")]
            s += optionItems(c.options, keeps: c.name.hasPrefix("create-") || c.name.hasPrefix("modify-"))
        }
        if c.isAWS {
            s += [section("GLOBAL OPTIONS")]
            s += paragraphs(["Every cluster and shard-group command also takes these (see `limitless`(1)):"])
            s += optionItems(CommandTable.inputOptions + CommandTable.globalOptions)
        }
        for (title, content) in prose.sections {
            s += [section(title)] + content
        }
        if case let .structure(members)? = c.output {
            s += [section("OUTPUT")]
            s += paragraphs(["A JSON object with these members, in this order (`--query` selects from it, `--output text` and `--output table` print it as aws does): " + members.map { "`\($0.name)`" }.joined(separator: ", ") + "."])
        }
        s += [section("EXIT STATUS")]
        let codes = c.isAWS ? ["0", "130", "252", "254", "255"] : ["0", "1", "2", "130", "252", "255"]
        s += items(exitStatuses.filter { codes.contains($0.0) }.map { (Roff.bold($0.0), $0.1) })
        if !prose.examples.isEmpty {
            s += [section("EXAMPLES")]
            for e in prose.examples {
                s += paragraphs([e.caption])
                s += Roff.example(e.lines)
            }
        }
        s += seeAlso(["limitless"] + prose.seeAlso.map { "limitless-" + $0 } + (c.isAWS ? ["aws"] : ["psql", "sqlite3"]))
        return Roff.document(s)
    }
}
