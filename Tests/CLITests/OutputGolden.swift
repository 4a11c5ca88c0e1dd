import Foundation
import LimitlessSupport
import Testing

@testable import LimitlessCLI

/// The golden files under Golden/: what the real tools print (the aws CLI's formatters, its
/// JMESPath engine, psql), recorded by the gen.py scripts beside them.
///
/// `goldenFilesMatchRenderers` regenerates every expected output from our own renderers and
/// compares whole files byte for byte; with `LIMITLESS_RECORD=1` it writes them instead, so that a
/// deliberate change can be re-recorded and reviewed as a diff (and re-checked against the
/// real tools with gen.py).
enum Golden {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static var recording: Bool { ProcessInfo.processInfo.environment["LIMITLESS_RECORD"] == "1" }

    static func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: dir.appendingPathComponent(name).path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func load(_ name: String) -> JSON? {
        read(name).flatMap { try? JSON.parse($0) }
    }

    /// Python's `json.dump(indent=4, ensure_ascii=False)` layout plus a newline, as gen.py writes.
    static func text(_ json: JSON) -> String {
        var out = ""
        AWSRender.writePrettyJSON(json, depth: 0, to: &out)
        return out + "\n"
    }

    // MARK: regeneration from our renderers

    static func regenerateAWSFormatters(_ file: JSON) -> JSON {
        var file = file
        guard let cases = file["cases"]?.objectValue else { return file }
        var out: [(String, JSON)] = []
        for (name, c) in cases {
            guard let members = c.objectValue, let input = c["input"] else { out.append((name, c)); continue }
            var regenerated: [(String, JSON)] = []
            for (key, value) in members {
                switch key {
                case "json": regenerated.append((key, .string(AWSRender.json(input))))
                case "text": regenerated.append((key, .string(AWSRender.text(input))))
                case "table40", "table80", "table250":
                    let width = Int(key.dropFirst(5))!
                    regenerated.append((key, .string(AWSRender.table(input, title: "Title", terminalWidth: width))))
                case "table250color":
                    regenerated.append((key, .string(AWSRender.table(input, title: "Title", terminalWidth: 250, colored: true))))
                default: regenerated.append((key, value))
                }
            }
            out.append((name, .object(regenerated)))
        }
        file.set("cases", .object(out))
        return file
    }

    /// The outcome of one query, keyed as gen.py keys it.
    static func jmespathOutcome(_ expression: String, _ input: JSON) -> (String, JSON) {
        let compiled: JMESPathExpression
        do { compiled = try JMESPathExpression(expression) } catch { return ("compileError", .string(error.message)) }
        do {
            let result = try compiled.search(input)
            return ("result", .string(text(result)))
        } catch {
            return ("searchError", .string(error.message))
        }
    }

    static func regenerateJMESPath(_ file: JSON) -> JSON {
        var file = file
        guard let groups = file["groups"]?.arrayValue else { return file }
        let out: [JSON] = groups.map { group in
            guard let input = group["input"], let cases = group["cases"]?.arrayValue else { return group }
            var g = group
            g.set("cases", .array(cases.map { c in
                guard let e = c["expression"]?.stringValue else { return c }
                let (key, value) = jmespathOutcome(e, input)
                return .object([("expression", .string(e)), (key, value)])
            }))
            return g
        }
        file.set("groups", .array(out))
        return file
    }

    static func sqlValue(_ cell: JSON) -> SQLValue {
        if let i = cell["i"]?.intValue { return .integer(i) }
        if let r = cell["r"]?.stringValue { return .real(Double(r) ?? .nan) }
        if let t = cell["t"]?.stringValue { return .text(t) }
        if let b = cell["b"]?.stringValue {
            var bytes: [UInt8] = []
            var chars = Array(b.utf8)[...]
            while chars.count >= 2 {
                bytes.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
                chars = chars.dropFirst(2)
            }
            return .blob(bytes)
        }
        return .null
    }

    static func sqlTable(_ c: JSON) -> (columns: [String], rows: [[SQLValue]]) {
        let columns = (c["columns"]?.arrayValue ?? []).compactMap(\.stringValue)
        let rows = (c["rows"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).map(sqlValue) }
        return (columns, rows)
    }

    static func regeneratePsql(_ file: JSON) -> JSON {
        var file = file
        guard let cases = file["cases"]?.arrayValue else { return file }
        file.set("cases", .array(cases.map { c in
            let (columns, rows) = sqlTable(c)
            var c = c
            if c["aligned"] != nil { c.set("aligned", .string(SQLRender.aligned(columns: columns, rows: rows))) }
            if c["csv"] != nil { c.set("csv", .string(SQLRender.csv(columns: columns, rows: rows))) }
            if c["tsv"] != nil { c.set("tsv", .string(SQLRender.tsv(columns: columns, rows: rows))) }
            return c
        }))
        return file
    }
}

@Suite(.serialized) struct OutputGoldenFileTests {
    @Test(arguments: ["awscli-formatters.json", "jmespath-cases.json", "psql-formats.json"])
    func goldenFilesMatchRenderers(_ name: String) throws {
        let onDisk = try #require(Golden.read(name), "missing Golden/\(name)")
        let file = try JSON.parse(onDisk)
        let regenerated: JSON
        switch name {
        case "awscli-formatters.json": regenerated = Golden.regenerateAWSFormatters(file)
        case "jmespath-cases.json": regenerated = Golden.regenerateJMESPath(file)
        default: regenerated = Golden.regeneratePsql(file)
        }
        let text = Golden.text(regenerated)
        if Golden.recording {
            try text.write(to: Golden.dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        } else {
            #expect(text == onDisk, "Golden/\(name) differs from what the renderers print (LIMITLESS_RECORD=1 rewrites it)")
        }
    }
}
