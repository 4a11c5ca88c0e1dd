import Testing
@testable import SQLSyntax

@Suite struct SmokeTests {
    @Test func moduleLoads() { _ = SQLSyntax.self }
}
