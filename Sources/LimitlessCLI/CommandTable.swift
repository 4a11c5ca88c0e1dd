/// The one command table: every command, its options with their aws types, required flags,
/// enums and output shapes. It drives the argument parser, `help`, the input skeleton and
/// (later) the completion scripts and man pages. The aws part is generated from the model by
/// scripts/gen-command-table (CommandTable+Generated.swift); the local commands are below.

/// A value type, as the aws model names it.
public indirect enum Shape: Sendable, Equatable {
    case string
    case enumeration([String])
    case integer
    case long
    case double
    case boolean
    case timestamp
    case list(Shape)
    case structure([Member])

    /// The model's type name (`string`, `integer`, `list`, ...).
    public var typeName: String {
        switch self {
        case .string, .enumeration: return "string"
        case .integer: return "integer"
        case .long: return "long"
        case .double: return "double"
        case .boolean: return "boolean"
        case .timestamp: return "timestamp"
        case .list: return "list"
        case .structure: return "structure"
        }
    }

    public var members: [Member] {
        if case let .structure(m) = self { return m }
        return []
    }

    public func member(_ name: String) -> Shape? {
        members.first(where: { $0.name == name })?.shape
    }
}

public struct Member: Sendable, Equatable {
    public let name: String
    public let shape: Shape
    public init(_ name: String, _ shape: Shape) { self.name = name; self.shape = shape }
}

/// How many command-line words an option takes.
public enum Arity: Sendable, Equatable {
    /// `--x` (booleans also get `--no-x`).
    case flag
    /// `--x VALUE`
    case one
    /// `--x V1 V2 ...` (lists)
    case oneOrMore
    /// `--x [VALUE]`, VALUE defaulting to the associated constant.
    case optional(String)
}

public struct OptionSpec: Sendable {
    public let name: String
    /// Short spellings (`-c`), local commands only.
    public let aliases: [String]
    /// The aws member name (`MaxACU`), or a key for local options.
    public let member: String
    public let shape: Shape
    public let required: Bool
    public let arity: Arity
    /// Allowed values checked while parsing, as argparse `choices` (`--output json|text|table`).
    public let choices: [String]?
    /// Each use appends to one ordered list shared by all options with the same `member`.
    public let repeatable: Bool
    public let metavar: String?
    public let help: String

    public init(_ name: String, aliases: [String] = [], member: String, shape: Shape,
                required: Bool = false, arity: Arity? = nil, choices: [String]? = nil,
                repeatable: Bool = false, metavar: String? = nil, help: String = "") {
        self.name = name
        self.aliases = aliases
        self.member = member
        self.shape = shape
        self.required = required
        switch shape {
        case .boolean: self.arity = arity ?? .flag
        case .list: self.arity = arity ?? .oneOrMore
        default: self.arity = arity ?? .one
        }
        self.choices = choices
        self.repeatable = repeatable
        self.metavar = metavar
        self.help = help
    }

    /// `--no-x` for a boolean `--x` of an aws operation (model members are capitalised;
    /// local and global flags such as `--debug` or `--quiet` have no negative form).
    public var negatedName: String? {
        guard case .boolean = shape, arity == .flag, name.hasPrefix("--"),
              let first = member.unicodeScalars.first, first.properties.isUppercase else { return nil }
        return "--no-" + name.dropFirst(2)
    }
}

public struct CommandSpec: Sendable {
    public let name: String
    /// The aws operation (`CreateDBShardGroup`), nil for local commands.
    public let operation: String?
    public let summary: String
    public let options: [OptionSpec]
    /// The aws output shape.
    public let output: Shape?
    public let errors: [String]
    public let hidden: Bool
    /// Whether the aws global options (`--output`, `--query`, `--cli-input-json`, ...) apply.
    public var isAWS: Bool { operation != nil }

    public init(name: String, operation: String?, summary: String, options: [OptionSpec],
                output: Shape?, errors: [String], hidden: Bool = false) {
        self.name = name
        self.operation = operation
        self.summary = summary
        self.options = options
        self.output = output
        self.errors = errors
        self.hidden = hidden
    }
}

public enum CommandTable {
    /// Every command, in the order `help` lists them.
    public static let commands: [CommandSpec] = awsCommands + localCommands

    public static func command(_ name: String) -> CommandSpec? {
        commands.first(where: { $0.name == name })
    }

    /// Names offered when a command name is mistyped (hidden ones left out).
    public static var visibleCommandNames: [String] {
        commands.filter { !$0.hidden }.map(\.name)
    }

    public static let localCommands: [CommandSpec] = [
        CommandSpec(
            name: "sql", operation: nil,
            summary: "Run SQL on a cluster's shard group (commands, files or standard input).",
            options: [
                OptionSpec("--db-cluster-identifier", member: "DBClusterIdentifier", shape: .string,
                           required: true, metavar: "ID", help: "The cluster whose shard group runs the SQL."),
                OptionSpec("--command", aliases: ["-c"], member: "inputs", shape: .string, repeatable: true,
                           metavar: "SQL", help: "Run SQL text; may be given several times."),
                OptionSpec("--file", aliases: ["-f"], member: "inputs", shape: .string, repeatable: true,
                           metavar: "FILE", help: "Run the SQL in FILE (`-` reads standard input); may be repeated."),
                OptionSpec("--output", member: "output", shape: .enumeration(["table", "json", "csv", "tsv"]),
                           choices: ["table", "json", "csv", "tsv"], metavar: "FORMAT",
                           help: "Result format: table (default), json (one object per line), csv or tsv."),
                OptionSpec("--on-error", member: "onError", shape: .enumeration(["stop", "continue"]),
                           choices: ["stop", "continue"], metavar: "MODE",
                           help: "After a failing statement: stop (default) or continue."),
                OptionSpec("--single-transaction", member: "singleTransaction", shape: .boolean,
                           help: "Run all input as one transaction."),
                OptionSpec("--quiet", member: "quiet", shape: .boolean,
                           help: "Print results only, no status lines."),
            ],
            output: nil, errors: []),
        CommandSpec(
            name: "help", operation: nil,
            summary: "Show the commands, or the options of one command (`limitless help COMMAND`).",
            options: [], output: nil, errors: []),
        CommandSpec(
            name: "__complete", operation: nil,
            summary: "Shell-completion back end (not for direct use).",
            options: [], output: nil, errors: [], hidden: true),
    ]

    /// Options every aws command accepts, wherever they appear on the line.
    public static let globalOptions: [OptionSpec] = [
        OptionSpec("--debug", member: "debug", shape: .boolean, help: "Log what the command does to standard error."),
        OptionSpec("--endpoint-url", member: "endpointURL", shape: .string, metavar: "URL",
                   help: "Accepted for compatibility; everything runs locally."),
        OptionSpec("--no-verify-ssl", member: "noVerifySSL", shape: .boolean, arity: .flag,
                   help: "Accepted for compatibility; no network is used."),
        OptionSpec("--no-paginate", member: "noPaginate", shape: .boolean, arity: .flag,
                   help: "Accepted for compatibility; results are never paginated."),
        OptionSpec("--output", member: "output", shape: .enumeration(["json", "text", "table"]),
                   choices: ["json", "text", "table"], metavar: "FORMAT",
                   help: "json (default), text or table."),
        OptionSpec("--query", member: "query", shape: .string, metavar: "JMESPATH",
                   help: "A JMESPath expression applied to the result before printing."),
        OptionSpec("--profile", member: "profile", shape: .string, metavar: "NAME",
                   help: "Accepted for compatibility; there are no credentials to choose."),
        OptionSpec("--region", member: "region", shape: .string, metavar: "REGION",
                   help: "Region used in ARNs and endpoints (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)."),
        OptionSpec("--version", member: "version", shape: .boolean, arity: .flag, help: "Print the version and exit."),
        OptionSpec("--color", member: "color", shape: .enumeration(["on", "off", "auto"]),
                   choices: ["on", "off", "auto"], metavar: "MODE", help: "Accepted for compatibility."),
        OptionSpec("--no-sign-request", member: "noSignRequest", shape: .boolean, arity: .flag,
                   help: "Accepted for compatibility."),
        OptionSpec("--ca-bundle", member: "caBundle", shape: .string, metavar: "FILE", help: "Accepted for compatibility."),
        OptionSpec("--cli-read-timeout", member: "readTimeout", shape: .integer, metavar: "SECONDS",
                   help: "Accepted for compatibility."),
        OptionSpec("--cli-connect-timeout", member: "connectTimeout", shape: .integer, metavar: "SECONDS",
                   help: "Accepted for compatibility."),
        OptionSpec("--no-cli-pager", member: "noPager", shape: .boolean, arity: .flag,
                   help: "Accepted for compatibility; output is never paged."),
    ]

    /// Options every aws operation accepts after its own.
    public static let inputOptions: [OptionSpec] = [
        OptionSpec("--cli-input-json", member: "cliInputJSON", shape: .string, metavar: "JSON",
                   help: "Read the parameters from JSON (text or file://PATH); options on the line win."),
        OptionSpec("--generate-cli-skeleton", member: "generateSkeleton", shape: .enumeration(["input", "output"]),
                   arity: .optional("input"), choices: ["input", "output"], metavar: "input|output",
                   help: "Print a JSON template of the input (or output) and exit."),
    ]
}
