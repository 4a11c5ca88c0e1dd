import Testing
import LimitlessSupport
@testable import LimitlessCLI

/// Checks the command table against Tests/Fixtures/aws-rds-model.json: same operations, same
/// options in the same order with the same types, required flags and enums, same output member
/// order, same error codes -- and that the parser accepts every option with its type.
@Suite struct ModelTests {
    static let model: JSON = {
        let path = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let text = (try? Files.readText("/" + path + "/Tests/Fixtures/aws-rds-model.json")) ?? "{}"
        return (try? JSON.parse(text)) ?? .object([])
    }()

    static var operations: [(String, JSON)] { model["operations"]?.objectValue ?? [] }

    @Test func sameOperations() {
        #expect(Self.operations.count == 9)
        let names = Set(Self.operations.map(\.0))
        #expect(Set(CommandTable.awsCommands.map(\.name)) == names)
        for (name, op) in Self.operations {
            #expect(CommandTable.command(name)?.operation == op["operation"]?.stringValue)
        }
    }

    @Test func sameOptions() {
        for (name, op) in Self.operations {
            guard let cmd = CommandTable.command(name) else { Issue.record("missing \(name)"); continue }
            let modelOptions = op["options"]?.arrayValue ?? []
            #expect(cmd.options.count == modelOptions.count, "\(name)")
            for (o, m) in zip(cmd.options, modelOptions) {
                #expect(o.name == m["option"]?.stringValue, "\(name)")
                #expect(o.member == m["member"]?.stringValue, "\(name) \(o.name)")
                #expect(o.shape.typeName == m["type"]?.stringValue, "\(name) \(o.name)")
                #expect(o.required == m["required"]?.boolValue, "\(name) \(o.name)")
                let modelEnum = m["enum"]?.arrayValue?.compactMap(\.stringValue)
                if case let .enumeration(values) = o.shape { #expect(values == modelEnum, "\(name) \(o.name)") }
                else { #expect(modelEnum == nil, "\(name) \(o.name)") }
            }
        }
    }

    @Test func sameErrorCodes() {
        for (name, op) in Self.operations {
            let codes = (op["errors"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
            #expect(CommandTable.command(name)?.errors == codes, "\(name)")
        }
    }

    /// Compares our shape with the model's where the model spells members out (it cuts deep
    /// describe shapes short; those parts are compared through the create shapes).
    func compare(_ ours: Shape, _ model: JSON, path: String) {
        let type = model["type"]?.stringValue ?? ""
        #expect(ours.typeName == type, "\(path)")
        switch ours {
        case let .list(item):
            if let items = model["items"] { compare(item, items, path: path + "[]") }
        case let .structure(members):
            guard let modelMembers = model["members"]?.objectValue else { return }
            #expect(members.map(\.name) == modelMembers.map(\.0), "\(path)")
            for (m, (_, mm)) in zip(members, modelMembers) { compare(m.shape, mm, path: path + "." + m.name) }
        case let .enumeration(values):
            #expect(values == model["enum"]?.arrayValue?.compactMap(\.stringValue), "\(path)")
        default:
            break
        }
    }

    @Test func sameOutputShapes() {
        for (name, op) in Self.operations {
            guard let cmd = CommandTable.command(name), let output = cmd.output, let shape = op["output"]?["shape"] else {
                Issue.record("no output for \(name)"); continue
            }
            compare(output, shape, path: name)
        }
    }

    /// A command line value for a shape, and the JSON the parser should make of it.
    func sample(_ shape: Shape) -> ([String], JSON)? {
        switch shape {
        case .string: return (["some-value"], .string("some-value"))
        case let .enumeration(values): return ([values[0]], .string(values[0]))
        case .integer, .long: return (["42"], .int(42))
        case .double: return (["12.5"], .double(12.5))
        case .boolean: return ([], .bool(true))
        case .timestamp: return nil
        case let .list(item):
            if case .structure = item, let (words, value) = sample(item) { return (words + words, .array([value, value])) }
            guard let (w, v) = sample(item) else { return nil }
            return (w + ["second"], .array([v, item == .string ? .string("second") : v]))
        case let .structure(members):
            var words: [String] = [], fields: [(String, JSON)] = []
            for m in members {
                switch m.shape {
                case .string: words.append("\(m.name)=v"); fields.append((m.name, .string("v")))
                case .integer, .long: words.append("\(m.name)=7"); fields.append((m.name, .int(7)))
                case .double: words.append("\(m.name)=1.5"); fields.append((m.name, .double(1.5)))
                case .boolean: words.append("\(m.name)=false"); fields.append((m.name, .bool(false)))
                case let .enumeration(v): words.append("\(m.name)=\(v[0])"); fields.append((m.name, .string(v[0])))
                case let .list(item):
                    if case .structure = item, let (w, v) = sample(item) {
                        words.append("\(m.name)=[{\(w[0])}]"); fields.append((m.name, .array([v])))
                    } else {
                        words.append("\(m.name)=[a,b]"); fields.append((m.name, .array([.string("a"), .string("b")])))
                    }
                default: continue
                }
            }
            return ([words.joined(separator: ",")], .object(fields))
        }
    }

    @Test func everyOptionIsAcceptedWithItsType() throws {
        var checked = 0
        for cmd in CommandTable.awsCommands {
            var base = [cmd.name]
            for o in cmd.options where o.required {
                base += [o.name, o.shape == .double ? "100" : "req-value"]
            }
            for o in cmd.options {
                guard let (words, expected) = sample(o.shape) else { Issue.record("no sample for \(o.name)"); continue }
                let args = base + [o.name] + words
                guard case let .run(inv) = try ArgumentParser().parse(args) else { Issue.record("\(args)"); continue }
                let request = try Parameters(readFile: { _ in .failure(SystemError("open", "x", code: 2)) }).build(inv)
                #expect(request[o.member] == expected, "\(cmd.name) \(o.name): \(request[o.member]?.serialized() ?? "nil")")
                checked += 1
                if let neg = o.negatedName {
                    guard case let .run(inv2) = try ArgumentParser().parse(base + [neg]) else { continue }
                    let r2 = try Parameters().build(inv2)
                    #expect(r2[o.member] == .bool(false), "\(neg)")
                }
            }
        }
        #expect(checked == Self.operations.reduce(0) { $0 + ($1.1["options"]?.arrayValue?.count ?? 0) })
    }
}
