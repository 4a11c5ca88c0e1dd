import Testing
@testable import LimitlessCLI

@Suite struct CLISmokeTests {
    @Test func versionIsSet() { #expect(!CLI.version.isEmpty) }
}
