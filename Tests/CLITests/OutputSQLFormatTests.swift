import Foundation
import LimitlessSupport
import Testing

@testable import LimitlessCLI

/// `limitless sql` result formats against what psql 15 printed for the same values
/// (Golden/psql-formats.json, recorded by Golden/psql/gen.py), plus the JSON-lines contract.
@Suite struct SQLResultFormatTests {
    static let cases: [JSON] = Golden.load("psql-formats.json")?["cases"]?.arrayValue ?? []
    static var names: [String] { cases.compactMap { $0["name"]?.stringValue } }

    @Test func casesArePresent() { #expect(Self.cases.count == 22) }

    @Test(arguments: names)
    func matchesPsql(_ name: String) throws {
        let c = try #require(Self.cases.first { $0["name"]?.stringValue == name })
        let (columns, rows) = Golden.sqlTable(c)
        #expect(SQLRender.aligned(columns: columns, rows: rows) == c["aligned"]?.stringValue, "aligned")
        #expect(SQLRender.csv(columns: columns, rows: rows) == c["csv"]?.stringValue, "csv")
        if let tsv = c["tsv"]?.stringValue {
            #expect(SQLRender.tsv(columns: columns, rows: rows) == tsv, "tsv")
        }
    }

    @Test func alignedBasics() {
        let out = SQLRender.aligned(columns: ["a", "b"], rows: [[.integer(1), .text("x")], [.null, .real(2.5)]])
        // b mixes text and a number: it is not a numeric column, so 2.5 aligns left.
        #expect(out == " a |  b  \n---+-----\n 1 | x\n   | 2.5\n(2 rows)\n\n")
        #expect(SQLRender.aligned(columns: ["n"], rows: [[.integer(7)]]).hasSuffix("(1 row)\n\n"))
    }

    @Test func float8Spelling() {
        let cases: [(Double, String)] = [
            (2.5, "2.5"), (1e20, "1e+20"), (1e15, "1e+15"), (123456789012345, "123456789012345"), (0.0001, "0.0001"),
            (0.00001, "1e-05"), (1000, "1000"), (-0.0, "-0"), (0, "0"), (.nan, "NaN"), (.infinity, "Infinity"),
            (-.infinity, "-Infinity"), (1.5e-7, "1.5e-07"), (1.0 / 3, "0.3333333333333333"), (-12.75, "-12.75"),
        ]
        for (d, s) in cases { #expect(SQLRender.float8(d) == s, "\(d)") }
    }

    @Test func jsonLineContract() {
        let line = SQLRender.jsonLine(command: "SELECT 2", columns: ["a", "b"], rows: [[.integer(1), .text("x")], [.null, .real(2.5)]])
        #expect(line == #"{"command":"SELECT 2","columns":["a","b"],"rows":[[1,"x"],[null,2.5]]}"# + "\n")
        let special = SQLRender.jsonLine(command: "SELECT 1", columns: ["r", "i", "b", "t"],
                                         rows: [[.real(1), .integer(-3), .blob([0x0a, 0x1b]), .text("q\"\n")]])
        #expect(special == #"{"command":"SELECT 1","columns":["r","i","b","t"],"rows":[[1.0,-3,"\\x0a1b","q\"\n"]]}"# + "\n")
        let big = SQLRender.jsonLine(command: "SELECT 1", columns: ["r"], rows: [[.real(1e20)], [.real(.nan)], [.real(-.infinity)]])
        #expect(big == #"{"command":"SELECT 1","columns":["r"],"rows":[[1e+20],["NaN"],["-Infinity"]]}"# + "\n")
        // Each line is JSON that parses back to the same values.
        let parsed = try? JSON.parse(String(line.dropLast()))
        #expect(parsed?["rows"] == .array([.array([.int(1), .string("x")]), .array([.null, .double(2.5)])]))
        #expect(SQLRender.jsonLine(command: "INSERT 0 1", columns: [], rows: []) == #"{"command":"INSERT 0 1","columns":[],"rows":[]}"# + "\n")
    }

    @Test func csvAndTsvEscaping() {
        #expect(SQLRender.csv(columns: ["v"], rows: [[.text("a,b")], [.null], [.text("")], [.blob([1])]]) == "v\n\"a,b\"\n\n\n\\x01\n")
        #expect(SQLRender.tsv(columns: ["v"], rows: [[.text("a\tb\\")], [.null], [.text("")]]) == "v\na\\tb\\\\\n\\N\n\n")
    }
}
