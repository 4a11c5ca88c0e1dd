import Foundation
import LimitlessSupport
import Testing

@testable import LimitlessCLI

/// Golden tests: the renderers must print exactly what the aws CLI printed.
///
/// * Tests/Fixtures/aws-cli: real `aws rds` runs (.json next to .text / .table of the same case).
///   The .text/.table runs were separate calls, so their timestamps differ from the .json's;
///   both sides are compared with timestamps masked (same length, so column widths hold).
/// * Tests/CLITests/Golden/awscli-formatters.json: outputs of awscli 1.45.11's own formatters for
///   28 inputs, at several terminal widths and with colour (recorded by Golden/awscli/gen.py).
enum OutputFixtures {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let awsCLI = testsDir.appendingPathComponent("Fixtures/aws-cli")
    static let oracle = testsDir.appendingPathComponent("CLITests/Golden/awscli-formatters.json")

    static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// "describe-db-shard-groups" -> "DescribeDBShardGroups"
    static func operationName(_ command: String) -> String {
        command.split(separator: "-").map { $0 == "db" ? "DB" : $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Replaces every `2026-11-26T17:35:07.752190Z`-shaped timestamp by a same-length mask.
    static func maskTimestamps(_ s: String) -> String {
        let pattern = Array("dddd-dd-ddTdd:dd:dd.ddddddZ")
        var chars = Array(s)
        var i = 0
        while i + pattern.count <= chars.count {
            var ok = true
            for (j, p) in pattern.enumerated() {
                let c = chars[i + j]
                if p == "d" ? !(c.isASCII && c.isNumber) : c != p { ok = false; break }
            }
            if ok {
                for j in 0..<pattern.count { chars[i + j] = "#" }
                i += pattern.count
            } else {
                i += 1
            }
        }
        return String(chars)
    }

    struct Case: CustomStringConvertible, Sendable {
        var dir: String
        var name: String
        var description: String { dir.isEmpty ? name : dir + "/" + name }
    }

    /// Every case with a .json and at least a .text or .table beside it.
    static func awsCases() -> [Case] {
        var out: [Case] = []
        for dir in ["", "stock-moto", "stock-moto-allocated-storage"] {
            let url = dir.isEmpty ? awsCLI : awsCLI.appendingPathComponent(dir)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for f in files where f.hasSuffix(".json") && f != "cases.json" {
                let name = String(f.dropLast(5))
                if files.contains(name + ".text") || files.contains(name + ".table") {
                    out.append(Case(dir: dir, name: name))
                }
            }
        }
        return out.sorted { $0.description < $1.description }
    }

    static func url(_ c: Case, _ ext: String) -> URL {
        (c.dir.isEmpty ? awsCLI : awsCLI.appendingPathComponent(c.dir)).appendingPathComponent(c.name + "." + ext)
    }

    /// name -> {"input": value, "json"|"text"|"table40"|"table80"|"table250"|"table250color": output}
    static func oracleCases() -> [(String, JSON)] {
        guard let text = read(oracle), let json = try? JSON.parse(text),
              let members = json["cases"]?.objectValue else { return [] }
        return members
    }
}

@Suite struct AWSOutputGoldenTests {
    @Test func fixturesArePresent() {
        // 4 top-level cases + 2 stock-moto empty-list cases + 4 stock-moto-allocated-storage cases.
        #expect(OutputFixtures.awsCases().count == 10)
        #expect(OutputFixtures.oracleCases().count == 28)
    }

    @Test(arguments: OutputFixtures.awsCases())
    func awsReference(_ c: OutputFixtures.Case) throws {
        let source = try #require(OutputFixtures.read(OutputFixtures.url(c, "json")))
        let value = try JSON.parse(source)
        // --output json reproduces the file itself.
        #expect(AWSRender.json(value) == source)
        let base = c.name.split(separator: ".").first.map(String.init) ?? c.name
        let operation = OutputFixtures.operationName(base)
        if let expected = OutputFixtures.read(OutputFixtures.url(c, "text")) {
            let got = AWSRender.render(value, format: .text, operation: operation)
            #expect(OutputFixtures.maskTimestamps(got) == OutputFixtures.maskTimestamps(expected))
        }
        if let expected = OutputFixtures.read(OutputFixtures.url(c, "table")) {
            let got = AWSRender.table(value, title: operation, terminalWidth: 80)
            #expect(OutputFixtures.maskTimestamps(got) == OutputFixtures.maskTimestamps(expected))
        }
    }

    @Test func emptyDescribeRendersTitleBoxAndNoText() throws {
        let value = try JSON.parse(#"{"DBShardGroups": []}"#)
        #expect(AWSRender.text(value) == "")
        #expect(AWSRender.table(value, title: "DescribeDBShardGroups", terminalWidth: 80) ==
            "-----------------------\n|DescribeDBShardGroups|\n+---------------------+\n")
    }

    @Test(arguments: OutputFixtures.oracleCases().map { $0.0 })
    func awscliOracle(_ name: String) throws {
        let c = try #require(OutputFixtures.oracleCases().first { $0.0 == name }?.1)
        let value = try #require(c["input"])
        var compared = 0
        if let expected = c["json"]?.stringValue {
            #expect(AWSRender.json(value) == expected, "json")
            compared += 1
        }
        if let expected = c["text"]?.stringValue {
            #expect(AWSRender.text(value) == expected, "text")
            compared += 1
        }
        for width in [40, 80, 250] {
            if let expected = c["table\(width)"]?.stringValue {
                #expect(AWSRender.table(value, title: "Title", terminalWidth: width) == expected, "table width \(width)")
                compared += 1
            }
        }
        if let expected = c["table250color"]?.stringValue {
            #expect(AWSRender.table(value, title: "Title", terminalWidth: 250, colored: true) == expected, "colour table")
            compared += 1
        }
        #expect(compared >= 1)
    }
}

@Suite struct PythonSpellingTests {
    @Test func floatRepr() {
        let cases: [(Double, String)] = [
            (1000, "1000.0"), (16, "16.0"), (2.5, "2.5"), (0.1, "0.1"), (1e16, "1e+16"), (9.5e15, "9500000000000000.0"),
            (1234567890123456, "1234567890123456.0"), (1.5e16, "1.5e+16"), (0.0001, "0.0001"), (0.00001, "1e-05"),
            (0.000123, "0.000123"), (1e-7, "1e-07"), (-0.0, "-0.0"), (0, "0.0"), (-2.5, "-2.5"), (1e100, "1e+100"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"), (123.456, "123.456"),
            (1.2345678901234567e19, "1.2345678901234567e+19"), (.infinity, "inf"), (-.infinity, "-inf"),
        ]
        for (d, s) in cases { #expect(Python.floatRepr(d) == s, "\(d)") }
    }

    @Test func reprOfContainers() throws {
        let v = try JSON.parse(#"[1, "it's", "a\"b", {"k": [true, null, 2.0]}, "x'y\"z"]"#)
        #expect(Python.repr(v) == #"[1, "it's", 'a"b', {'k': [True, None, 2.0]}, 'x\'y"z']"#)
    }

    @Test func displayWidth() {
        #expect(TextWidth.of("abc") == 3)
        #expect(TextWidth.of("データ") == 6)
        #expect(TextWidth.of("ŝ") == 1)
        #expect(TextWidth.of("é") == 2)  // ambiguous (A)
        #expect(TextWidth.of("±°×") == 6)  // ambiguous width counts two
    }
}

@Suite struct AWSColorTests {
    @Test func colorChoice() throws {
        let v = try JSON.parse(#"{"A": "x", "B": "y"}"#)
        let on = AWSRender.render(v, format: .table, operation: "Op", color: .on)
        let off = AWSRender.render(v, format: .table, operation: "Op", color: .off)
        #expect(on.contains("\u{1B}[1m\u{1B}[34mx\u{1B}[0m"))
        #expect(!off.contains("\u{1B}"))
        #expect(off == AWSRender.table(v, title: "Op", terminalWidth: Terminal.stdoutWidth()))
        #expect(AWSRender.render(v, format: .text, operation: "Op", color: .on) == "x\ty\n")
    }
}

@Suite struct PythonReprTests {
    @Test func nonPrintableCharactersAreEscaped() {
        let v = JSON.array(["a\u{A0}b", "\u{200B}", "\u{2028}", "\u{E0001}", "é", "\u{7F}", "\u{85}", "😀", "\u{E000}"].map(JSON.string))
        #expect(Python.repr(v) == #"['a\xa0b', '\u200b', '\u2028', '\U000e0001', 'é', '\x7f', '\x85', '😀', '\ue000']"#)
    }
}
