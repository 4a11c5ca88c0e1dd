import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) during a long statement interrupts it and `limitless sql` exits 130.
@Suite struct InterruptTests {
    @Test func sigintCancelsTheRunningStatementAndExits130() throws {
        let c = try SQLCluster()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["sql", "--db-cluster-identifier", c.id, "--output", "json", "-c",
                       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT count(*) FROM n",
                       "-c", "SELECT 'not reached'"]
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = c.h.home
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 1.0)
        kill(p.processIdentifier, SIGINT)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(stderr.contains("canceling statement due to user request"))
        #expect(stdout.contains("57014"))
        #expect(!stdout.contains("not reached"))
    }
}
