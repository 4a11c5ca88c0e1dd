import Testing
@testable import LimitlessSupport

@Suite struct ClockTests {
    @Test func timestampsAreWhatTheAwsCLIPrints() {
        #expect(Clock.iso8601(seconds: 0, micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(Clock.iso8601(seconds: 1_795_715_707, micros: 752_059) == "2026-11-26T17:55:07.752059Z")
        #expect(Clock.iso8601(seconds: 951_782_400, micros: 7) == "2000-02-29T00:00:00.000007Z")
        #expect(Clock.nowISO8601().count == 27)
    }
}
