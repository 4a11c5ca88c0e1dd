/// `limitless help` and `limitless COMMAND help`, generated from the command table.
enum Help {
    static func text(for name: String?) throws(CLIError) -> String {
        guard let name else { return overview() }
        guard let command = CommandTable.command(name) else {
            throw .usage("argument command: " + ArgumentParser.invalidChoice(name, CommandTable.visibleCommandNames))
        }
        return commandHelp(command)
    }

    static func overview() -> String {
        var s = """
            limitless: Aurora PostgreSQL Limitless Database on one machine.

            Usage: limitless [options] <command> [parameters]

            The cluster and shard-group commands take the same options as `aws rds <command>` and
            print the same JSON; `limitless sql` runs SQL on a cluster's shard group.

            Commands:

            """
        let visible = CommandTable.commands.filter { !$0.hidden }
        let width = (visible.map(\.name.count).max() ?? 0) + 2
        for c in visible { s += "  " + ArgumentParser.pad(c.name, width) + c.summary + "\n" }
        s += "\nGlobal options (cluster and shard-group commands):\n\n"
        s += optionLines(CommandTable.globalOptions + CommandTable.inputOptions)
        s += "\nRun `limitless <command> help` for the options of one command.\n"
        s += "Data lives under $LIMITLESS_HOME (default ~/.limitless).\n"
        return s
    }

    static func synopsis(_ o: OptionSpec) -> String {
        let value = "<" + (o.metavar ?? valueWord(o.shape)) + ">"
        let names = (o.aliases + [o.name]).joined(separator: "|")
        switch o.arity {
        case .flag:
            if let n = o.negatedName { return "\(o.name) | \(n)" }
            return names
        case .one: return "\(names) \(value)"
        case .oneOrMore: return "\(names) \(value) [\(value) ...]"
        case .optional: return "\(names) [\(value)]"
        }
    }

    static func valueWord(_ shape: Shape) -> String {
        switch shape {
        case .string, .enumeration, .timestamp: return "string"
        case .integer, .long: return "integer"
        case .double: return "double"
        case .boolean: return "boolean"
        case let .list(item): return valueWord(item)
        case .structure: return "structure"
        }
    }

    static func commandHelp(_ c: CommandSpec) -> String {
        var s = "limitless \(c.name)\n\n  \(c.summary)\n"
        if let op = c.operation { s += "  Mirrors `aws rds \(c.name)` (operation \(op)).\n" }
        s += "\nSynopsis:\n\n  limitless \(c.name)\n"
        for o in c.options {
            let syn = synopsis(o)
            s += o.required ? "    \(syn)\n" : "    [\(syn)]\n"
        }
        if c.isAWS {
            for o in CommandTable.inputOptions { s += "    [\(synopsis(o))]\n" }
        }
        if !c.options.isEmpty {
            s += "\nOptions:\n\n"
            s += optionLines(c.options)
        }
        if c.isAWS {
            s += "\nAlso: the global options (see `limitless help`) and --cli-input-json / --generate-cli-skeleton.\n"
            s += "Values: lists take several words (`--x a b`); structures take shorthand (`Key=a,Value=b`)\n"
            s += "or JSON; `file://PATH` reads a value from a file; booleans have a `--no-` form.\n"
            if case let .structure(members)? = c.output {
                let names = members.map(\.name)
                s += "\nOutput members: " + names.joined(separator: ", ") + "\n"
            }
        }
        if c.name == "sql" {
            s += "\nWithout -c or -f, SQL is read from standard input.\n"
        }
        return s
    }

    /// `Key=string,Value=string` for structures (and lists of them).
    static func shorthandHint(_ shape: Shape) -> String? {
        switch shape {
        case let .structure(members):
            return members.map { m -> String in
                switch m.shape {
                case let .list(item): return "\(m.name)=\(valueWord(item)),\(valueWord(item))"
                case let .structure(inner): return "\(m.name)={" + inner.map { "\($0.name)=\(valueWord($0.shape))" }.joined(separator: ",") + "}"
                default: return "\(m.name)=\(valueWord(m.shape))"
                }
            }.joined(separator: ",")
        case let .list(item):
            guard let inner = shorthandHint(item) else { return nil }
            return inner + " ..."
        default:
            return nil
        }
    }

    /// What limitless does with the options that matter on one machine (our words).
    static let notes: [String: String] = [
        "DBClusterIdentifier": "1-63 letters, digits and single hyphens, starting with a letter; kept in lower case.",
        "DBShardGroupIdentifier": "1-63 letters, digits and single hyphens, starting with a letter; kept in lower case.",
        "Engine": "aurora-postgresql for a limitless cluster.",
        "EngineVersion": "16.x-limitless for a limitless cluster.",
        "ClusterScalabilityType": "limitless: the cluster can have a shard group.",
        "MasterUserPassword": "8-128 printable ASCII characters except / \" @ and space; stored only as a salted hash.",
        "MaxACU": "16-6144; fixes the number of routers and shards when the group is created.",
        "MinACU": "16 up to MaxACU.",
        "ComputeRedundancy": "0, 1 or 2.",
        "SkipFinalSnapshot": "Delete without keeping a copy.",
        "FinalDBSnapshotIdentifier": "Keep a copy of the cluster's files under $LIMITLESS_HOME/snapshots/ID.",
        "DeletionProtection": "A protected cluster cannot be deleted.",
        "NewDBClusterIdentifier": "Rename the cluster (only while it has no shard group).",
    ]

    static func optionLines(_ options: [OptionSpec]) -> String {
        var s = ""
        for o in options {
            var facts: [String] = [o.shape.typeName == "list" ? "list of \(valueWord(o.shape))" : valueWord(o.shape)]
            if o.required { facts.append("required") }
            if case let .enumeration(values) = o.shape { facts.append("one of: " + values.joined(separator: ", ")) }
            if o.repeatable { facts.append("repeatable") }
            s += "  \(synopsis(o))\n      (\(facts.joined(separator: "; ")))"
            let note = o.help.isEmpty ? (notes[o.member] ?? "") : o.help
            if !note.isEmpty { s += " " + note }
            s += "\n"
            if let hint = shorthandHint(o.shape) { s += "      shorthand: \(hint)\n" }
        }
        return s
    }
}
