import LimitlessSupport

/// Turns the words an aws operation received into typed request parameters, as the aws CLI
/// does after argparse: `file://` values, integers, JSON, shorthand (`Key=a,Value=b`),
/// `--cli-input-json`, then botocore-style validation against the input shapes.
public struct Parameters {
    /// Reads `file://` paths. Injected so unit tests touch no disk.
    public var readFile: (String) -> Result<String, SystemError>

    public init(readFile: @escaping (String) -> Result<String, SystemError> = Parameters.readFromDisk) {
        self.readFile = readFile
    }

    public static func readFromDisk(_ path: String) -> Result<String, SystemError> {
        do { return .success(try Files.readText(path)) } catch { return .failure(error) }
    }

    /// The request: member name -> value, in the command's option order.
    public func build(_ inv: ArgumentParser.Invocation) throws(CLIError) -> JSON {
        let command = inv.command
        var request: [(String, JSON)] = []
        // --cli-input-json first; options given on the line replace its members.
        if let text = inv.string("--cli-input-json") {
            let loaded = try loadParamFile(text, option: "--cli-input-json")
            let parsed: JSON
            do { parsed = try JSON.parse(loaded) } catch {
                throw .parameter("Error parsing parameter '--cli-input-json': Invalid JSON received.")
            }
            guard case let .object(members) = parsed else {
                throw .parameter("Error parsing parameter '--cli-input-json': Invalid JSON received.")
            }
            request = members
        }
        for opt in command.options {
            guard let raw = inv.values[opt.name] else { continue }
            let value = try unpack(raw, option: opt)
            if let k = request.firstIndex(where: { $0.0 == opt.member }) { request[k].1 = value }
            else { request.append((opt.member, value)) }
        }
        // Order by the option table so output and storage are stable.
        var ordered: [(String, JSON)] = []
        for opt in command.options { if let v = request.first(where: { $0.0 == opt.member }) { ordered.append(v) } }
        for extra in request where !command.options.contains(where: { $0.member == extra.0 }) { ordered.append(extra) }
        let value = JSON.object(ordered)
        try Self.validate(value, against: Self.inputShape(command))
        if inv.values["--cli-input-json"] != nil { try Self.checkRequired(value, command: command) }
        return value
    }

    /// The input shape of an operation, built from its options.
    public static func inputShape(_ command: CommandSpec) -> Shape {
        .structure(command.options.map { Member($0.member, $0.shape) })
    }

    /// Loads `file://PATH` (and `fileb://PATH`) values; other values are returned as given.
    func loadParamFile(_ value: String, option: String) throws(CLIError) -> String {
        for prefix in ["file://", "fileb://"] where value.hasPrefix(prefix) {
            let path = String(value.dropFirst(prefix.count))
            switch readFile(path) {
            case let .success(text): return text
            case let .failure(e):
                let reason = String(cString: strerror(e.code))
                throw .parameter("Error parsing parameter '\(option)': Unable to load paramfile \(value): [Errno \(e.code)] \(reason): \(pyRepr(path))")
            }
        }
        return value
    }

    func unpack(_ raw: ArgumentParser.Raw, option opt: OptionSpec) throws(CLIError) -> JSON {
        switch (opt.shape, raw) {
        case let (.boolean, .flag(b)): return .bool(b)
        case let (.list(item), .many(words)):
            let texts = try words.map { (w: String) throws(CLIError) -> String in try loadParamFile(w, option: opt.name) }
            if texts.count == 1, Self.trimmed(texts[0]).hasPrefix("[") {
                return try parseJSON(texts[0], option: opt)
            }
            var items: [JSON] = []
            for t in texts {
                switch item {
                case .structure:
                    if Self.trimmed(t).hasPrefix("{") { items.append(try parseJSON(t, option: opt)) }
                    else { items.append(try Shorthand.parse(t, option: opt.name, shape: item)) }
                default:
                    items.append(try scalar(t, shape: item, option: opt))
                }
            }
            return .array(items)
        case let (shape, .one(word)):
            let text = try loadParamFile(word, option: opt.name)
            switch shape {
            case .structure:
                if Self.trimmed(text).hasPrefix("{") { return try parseJSON(text, option: opt) }
                return try Shorthand.parse(text, option: opt.name, shape: shape)
            default:
                return try scalar(text, shape: shape, option: opt)
            }
        case let (_, .many(words)):
            return .array(words.map { .string($0) })
        case let (_, .flag(b)):
            return .bool(b)
        }
    }

    func scalar(_ text: String, shape: Shape, option opt: OptionSpec) throws(CLIError) -> JSON {
        switch shape {
        case .integer, .long:
            guard let v = ArgumentParser.pythonInt(text) else {
                throw .parameter("invalid literal for int() with base 10: \(pyRepr(text))")
            }
            return .int(v)
        case .double:
            guard let d = ArgumentParser.pythonFloat(text) else {
                throw .parameter("could not convert string to float: \(pyRepr(text))")
            }
            return .double(d)
        case .boolean:
            return .bool(text.lowercased() != "false")
        default:
            return .string(text)
        }
    }

    func parseJSON(_ text: String, option opt: OptionSpec) throws(CLIError) -> JSON {
        do { return try JSON.parse(text) } catch {
            throw .parameter("Error parsing parameter '\(opt.name)': Invalid JSON: \(error.message) at character \(error.offset)\nJSON received: \(text)")
        }
    }

    static func trimmed(_ s: String) -> String { ArgumentParser.trimPythonSpace(s) }

    // MARK: - Validation (botocore's ParamValidator, the checks that matter here)

    public static func validate(_ value: JSON, against shape: Shape) throws(CLIError) {
        var errors: [String] = []
        check(value, shape, path: "", errors: &errors, top: true)
        if !errors.isEmpty {
            throw .parameter("Parameter validation failed:\n" + errors.joined(separator: "\n"))
        }
    }

    static func check(_ v: JSON, _ shape: Shape, path: String, errors: inout [String], top: Bool = false) {
        func bad(_ valid: String) {
            errors.append("Invalid type for parameter \(path), value: \(pyRepr(v)), type: \(pyTypeName(v)), valid types: \(valid)")
        }
        switch shape {
        case .string, .enumeration, .timestamp:
            if case .string = v { return }
            bad("<class 'str'>")
        case .integer, .long:
            if case .int = v { return }
            bad("<class 'int'>")
        case .double:
            switch v { case .int, .double: return; default: bad("<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>") }
        case .boolean:
            if case .bool = v { return }
            bad("<class 'bool'>")
        case let .list(item):
            guard case let .array(items) = v else { bad("<class 'list'>, <class 'tuple'>"); return }
            for (k, x) in items.enumerated() { check(x, item, path: "\(path)[\(k)]", errors: &errors) }
        case let .structure(members):
            guard case let .object(fields) = v else { bad("<class 'dict'>"); return }
            for (name, x) in fields {
                guard let m = members.first(where: { $0.name == name }) else {
                    let where_ = top ? "input" : path
                    errors.append("Unknown parameter in \(where_): \"\(name)\", must be one of: " + members.map(\.name).joined(separator: ", "))
                    continue
                }
                check(x, m.shape, path: top ? name : "\(path).\(name)", errors: &errors)
            }
        }
    }

    /// botocore's required-member check, for input that came from --cli-input-json.
    public static func checkRequired(_ request: JSON, command: CommandSpec) throws(CLIError) {
        let missing = command.options.filter { $0.required && request[$0.member] == nil }
        if !missing.isEmpty {
            throw .parameter("Parameter validation failed:\n" + missing.map { "Missing required parameter in input: \"\($0.member)\"" }.joined(separator: "\n"))
        }
    }

    // MARK: - --generate-cli-skeleton

    /// A template with every member: strings "", numbers 0, booleans true, lists with one item.
    public static func skeleton(_ shape: Shape) -> JSON {
        switch shape {
        case .string, .enumeration: return .string("")
        case .timestamp: return .string("1970-01-01T00:00:00")
        case .integer, .long: return .int(0)
        case .double: return .double(0)
        case .boolean: return .bool(true)
        case let .list(item): return .array([skeleton(item)])
        case let .structure(members): return .object(members.map { ($0.name, skeleton($0.shape)) })
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The aws CLI shorthand syntax: `Key=a,Value=b`, `Name=x,Values=a,b`, `Values=[a,b]`,
/// `Inner={A=1,B=2}`, quoted values; converted to JSON following the target shape.
enum Shorthand {
    indirect enum Node { case text(String), list([Node]), map([(String, Node)]) }

    struct Failure: Error { var expected: String; var actual: String; var index: Int }

    static func parse(_ input: String, option: String, shape: Shape) throws(CLIError) -> JSON {
        var p = ShorthandParser(chars: Array(input))
        let node: Node
        do { node = try p.parameter() } catch {
            let caret = String(repeating: " ", count: error.index) + "^"
            throw .parameter("Error parsing parameter '\(option)': Expected: '\(error.expected)', received: '\(error.actual)' for input:\n\(input)\n\(caret)")
        }
        return try convert(node, shape, option: option)
    }

    static func convert(_ node: Node, _ shape: Shape, option: String) throws(CLIError) -> JSON {
        switch (shape, node) {
        case let (.structure(members), .map(fields)):
            var out: [(String, JSON)] = []
            for (k, v) in fields {
                guard let m = members.first(where: { $0.name == k }) else {
                    throw .parameter("Parameter validation failed:\nUnknown parameter in \(option): \"\(k)\", must be one of: " + members.map(\.name).joined(separator: ", "))
                }
                out.append((k, try convert(v, m.shape, option: option)))
            }
            return .object(out)
        case let (.list(item), .list(items)):
            var out: [JSON] = []
            for x in items { out.append(try convert(x, item, option: option)) }
            return .array(out)
        case let (.list(item), .text):
            return .array([try convert(node, item, option: option)])
        case let (.integer, .text(s)), let (.long, .text(s)):
            guard let v = ArgumentParser.pythonInt(s) else { throw .parameter("invalid literal for int() with base 10: \(pyRepr(s))") }
            return .int(v)
        case let (.double, .text(s)):
            guard let v = ArgumentParser.pythonFloat(s) else { throw .parameter("could not convert string to float: \(pyRepr(s))") }
            return .double(v)
        case let (.boolean, .text(s)):
            return .bool(s.lowercased() != "false")
        case let (_, .text(s)):
            return .string(s)
        case (.structure, _):
            throw .parameter("Error parsing parameter '\(option)': a structure (Key=value,...) was expected")
        default:
            throw .parameter("Error parsing parameter '\(option)': a single value was expected, not a list or structure")
        }
    }
}

struct ShorthandParser {
    let chars: [Character]
    var i = 0

    func fail(_ expected: String) -> Shorthand.Failure {
        Shorthand.Failure(expected: expected, actual: i < chars.count ? String(chars[i]) : "EOF", index: i)
    }

    mutating func parameter() throws(Shorthand.Failure) -> Shorthand.Node {
        var fields: [(String, Shorthand.Node)] = []
        while true {
            let (k, v) = try keyval()
            fields.append((k, v))
            if i >= chars.count { break }
            guard chars[i] == "," else { throw fail(",") }
            i += 1
        }
        return .map(fields)
    }

    mutating func keyval() throws(Shorthand.Failure) -> (String, Shorthand.Node) {
        skipSpace()
        let start = i
        while i < chars.count, chars[i] != "=", chars[i] != ",", chars[i] != "}" { i += 1 }
        let key = String(chars[start..<i]).trimmingSpaces()
        guard i < chars.count, chars[i] == "=", !key.isEmpty else { throw fail("=") }
        i += 1
        skipSpace()
        return (key, try values())
    }

    mutating func values() throws(Shorthand.Failure) -> Shorthand.Node {
        if i < chars.count, chars[i] == "[" { return try explicitList() }
        if i < chars.count, chars[i] == "{" { return try hash() }
        var items = [try value(stopAtBrace: false)]
        // More comma-separated values belong to this key until the next `key=`.
        while i < chars.count, chars[i] == ",", !nextIsKey(from: i + 1) {
            i += 1
            items.append(try value(stopAtBrace: false))
        }
        return items.count == 1 ? .text(items[0]) : .list(items.map { .text($0) })
    }

    mutating func explicitList() throws(Shorthand.Failure) -> Shorthand.Node {
        i += 1
        var items: [Shorthand.Node] = []
        skipSpace()
        if i < chars.count, chars[i] == "]" { i += 1; return .list([]) }
        while true {
            skipSpace()
            if i < chars.count, chars[i] == "{" { items.append(try hash()) }
            else if i < chars.count, chars[i] == "[" { items.append(try explicitList()) }
            else { items.append(.text(try value(stopAtBrace: true))) }
            skipSpace()
            guard i < chars.count else { throw fail("]") }
            if chars[i] == "]" { i += 1; return .list(items) }
            guard chars[i] == "," else { throw fail("]") }
            i += 1
        }
    }

    mutating func hash() throws(Shorthand.Failure) -> Shorthand.Node {
        i += 1
        var fields: [(String, Shorthand.Node)] = []
        while true {
            skipSpace()
            if i < chars.count, chars[i] == "}" { i += 1; return .map(fields) }
            let (k, v) = try keyval()
            fields.append((k, v))
            skipSpace()
            guard i < chars.count else { throw fail("}") }
            if chars[i] == "}" { i += 1; return .map(fields) }
            guard chars[i] == "," else { throw fail("}") }
            i += 1
        }
    }

    mutating func value(stopAtBrace: Bool) throws(Shorthand.Failure) -> String {
        skipSpace()
        if i < chars.count, chars[i] == "'" || chars[i] == "\"" {
            let q = chars[i]
            i += 1
            var out = ""
            while i < chars.count, chars[i] != q {
                if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] == q { out.append(q); i += 2; continue }
                out.append(chars[i]); i += 1
            }
            guard i < chars.count else { throw fail(String(q)) }
            i += 1
            skipSpace()
            return out
        }
        let start = i
        while i < chars.count {
            let c = chars[i]
            if c == "," || c == "}" || (stopAtBrace && c == "]") { break }
            i += 1
        }
        return String(chars[start..<i]).trimmingSpaces()
    }

    func nextIsKey(from k: Int) -> Bool {
        var j = k
        while j < chars.count, chars[j] == " " { j += 1 }
        let start = j
        while j < chars.count {
            let c = chars[j]
            if c == "=" { return j > start }
            if c == "," || c == "[" || c == "]" || c == "{" || c == "}" || c == "'" || c == "\"" { return false }
            j += 1
        }
        return false
    }

    mutating func skipSpace() { while i < chars.count, chars[i] == " " { i += 1 } }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
