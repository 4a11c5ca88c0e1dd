import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) during a long statement interrupts it and `limitless sql` exits 130.
@Suite struct InterruptTests {
    @Test func sigintCancelsTheRunningStatementAndExits130() throws {
        let c = try SQLCluster()
        let r = try c.interrupted(["--output", "json", "-c",
                                   "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT count(*) FROM n",
                                   "-c", "SELECT 'not reached'"], after: 1.0)
        let (stdout, stderr) = (r.stdout, r.stderr)
        #expect(r.status == 130)
        #expect(stderr.contains("canceling statement due to user request"))
        #expect(stdout.contains("57014"))
        #expect(!stdout.contains("not reached"))
    }
}
