import Foundation
import LimitlessSupport
import Testing

@testable import LimitlessCLI

/// JMESPath cases with the answers of the aws CLI's own engine (jmespath 1.1.0), recorded in
/// Golden/jmespath-cases.json by Golden/jmespath/gen.py: results as `--output json` prints them,
/// compile errors as the aws CLI reports a bad `--query`, evaluation errors as raised.
/// The groups follow the JMESPath compliance suite's sections.
enum JMESPathCases {
    /// (input, case) pairs from Golden/jmespath-cases.json.
    static let all: [(JSON, JSON)] = {
        let groups = Golden.load("jmespath-cases.json")?["groups"]?.arrayValue ?? []
        return groups.flatMap { g in (g["cases"]?.arrayValue ?? []).map { (g["input"] ?? .null, $0) } }
    }()

    /// Chunks of cases, so that a failure names a small group.
    static var chunks: [Int] { Array(stride(from: 0, to: all.count, by: 50)) }
}

@Suite struct JMESPathComplianceTests {
    @Test func casesArePresent() {
        #expect(JMESPathCases.all.count > 700)
    }

    @Test(arguments: JMESPathCases.chunks)
    func recordedCases(_ start: Int) throws {
        let cases = JMESPathCases.all[start..<min(start + 50, JMESPathCases.all.count)]
        for (input, c) in cases {
            let expression = try #require(c["expression"]?.stringValue)
            let compiled: JMESPathExpression
            do {
                compiled = try JMESPathExpression(expression)
            } catch {
                #expect(error.message == c["compileError"]?.stringValue, "compile \(expression)")
                continue
            }
            if let expected = c["compileError"]?.stringValue {
                Issue.record("\(expression) compiled; expected: \(expected)")
                continue
            }
            do {
                let result = try compiled.search(input)
                #expect(Golden.text(result) == c["result"]?.stringValue, "search \(expression)")
            } catch {
                #expect(error.message == c["searchError"]?.stringValue, "search error \(expression)")
            }
        }
    }
}

/// A few cases spelt out, for reading.
@Suite struct JMESPathExamples {
    let data = try! JSON.parse(#"""
        {"DBShardGroups": [
            {"DBShardGroupIdentifier": "a", "MaxACU": 1000.0, "MinACU": 16.0, "PubliclyAccessible": true, "TagList": [{"Key": "env", "Value": "prod"}]},
            {"DBShardGroupIdentifier": "b", "MaxACU": 64.0, "MinACU": 2.0, "PubliclyAccessible": false, "TagList": []}]}
        """#)

    func q(_ e: String) throws -> JSON { try JMESPathExpression(e).search(data) }

    @Test func paths() throws {
        #expect(try q("DBShardGroups[0].DBShardGroupIdentifier") == .string("a"))
        #expect(try q("DBShardGroups[-1].MaxACU") == .double(64))
        #expect(try q("DBShardGroups[].DBShardGroupIdentifier") == .array([.string("a"), .string("b")]))
        #expect(try q("DBShardGroups[*].TagList[].Key") == .array([.string("env")]))
        #expect(try q("DBShardGroups[*].TagList[*].Key") == .array([.array([.string("env")]), .array([])]))
        #expect(try q("Missing.Deeper") == .null)
    }

    @Test func filtersAndFunctions() throws {
        #expect(try q("DBShardGroups[?MaxACU > `100`].DBShardGroupIdentifier") == .array([.string("a")]))
        #expect(try q("DBShardGroups[?!PubliclyAccessible] | length(@)") == .int(1))
        #expect(try q("max_by(DBShardGroups, &MaxACU).DBShardGroupIdentifier") == .string("a"))
        #expect(try q("sort_by(DBShardGroups, &MinACU)[0].DBShardGroupIdentifier") == .string("b"))
        #expect(try q("DBShardGroups[].{id: DBShardGroupIdentifier, max: MaxACU}") == (try JSON.parse(#"[{"id":"a","max":1000.0},{"id":"b","max":64.0}]"#)))
        #expect(try q("sum(DBShardGroups[].MinACU)") == .double(18))
        #expect(try q("join(', ', DBShardGroups[].DBShardGroupIdentifier)") == .string("a, b"))
    }

    @Test func pipesStopProjections() throws {
        #expect(try q("DBShardGroups[*].DBShardGroupIdentifier | [0]") == .string("a"))
        #expect(try q("DBShardGroups[*].DBShardGroupIdentifier[0]") == .array([]))
    }

    @Test func errorsReadLikeTheAwsCLI() {
        #expect(throws: JMESPathError.self) { try JMESPathExpression("DBShardGroups[") }
        do {
            _ = try JMESPathExpression("foo[")
        } catch {
            #expect(error.message == "Bad value for --query foo[: Invalid jmespath expression: Incomplete expression:\n\"foo[\"\n     ^")
        }
        do {
            _ = try JMESPathExpression("nope(@)").search(data)
            Issue.record("unknown function accepted")
        } catch {
            #expect(error.message == "Unknown function: nope()")
        }
        #expect((try? JMESPathExpression("nope(@)"))?.evaluate(data) == .null)
    }

    @Test func queriedResultsRender() throws {
        let status = try q("DBShardGroups[0].DBShardGroupIdentifier")
        #expect(AWSRender.render(status, format: .json, operation: "X") == "\"a\"\n")
        #expect(AWSRender.render(status, format: .text, operation: "X") == "a\n")
        #expect(AWSRender.render(.null, format: .json, operation: "X") == "null\n")
        #expect(AWSRender.render(.null, format: .text, operation: "X") == "None\n")
        #expect(AWSRender.render(.null, format: .table, operation: "X") == "")
        #expect(AWSRender.render(try q("DBShardGroups[].MaxACU"), format: .text, operation: "X") == "1000.0\t64.0\n")
    }
}
