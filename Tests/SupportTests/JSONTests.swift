import Testing
import LimitlessSupport

@Suite struct JSONTests {
    @Test func roundTripKeepsKeyOrder() throws {
        let text = #"{"z":1,"a":[true,null,"x\n\u00e9"],"m":{"k":-2.5e3}}"#
        let v = try JSON.parse(text)
        #expect(v.serialized() == #"{"z":1,"a":[true,null,"x\né"],"m":{"k":-2500.0}}"#)
    }

    @Test func doublesAlwaysCarryAPoint() {
        #expect(JSON.double(1000).serialized() == "1000.0")
        #expect(JSON.double(2.5).serialized() == "2.5")
        #expect(JSON.double(1e20).serialized() == "1e+20")
    }

    @Test func prettyMatchesTheAwsLayout() {
        let v = JSON.object([("A", .int(1)), ("B", .array([])), ("C", .array([.object([("K", .string("v"))])]))])
        #expect(v.serialized(.pretty) == """
        {
            "A": 1,
            "B": [],
            "C": [
                {
                    "K": "v"
                }
            ]
        }
        """)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01x", "[1] 2"])
    func malformedInputIsRejected(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }
}
