import Testing
@testable import LimitlessEngine

@Suite struct EngineSmokeTests {
    @Test func linksTheSystemSQLite() {
        #expect(LimitlessEngine.sqliteVersion.hasPrefix("3."))
    }
}
