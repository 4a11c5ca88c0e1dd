import Foundation
import Testing

/// The bank test (Tests/Transactions/bank.py): concurrent writers killed with SIGKILL at random
/// moments, concurrent readers; afterwards money is conserved, every acknowledged COMMIT is
/// logged and every read saw the exact total. Bounded in time (about 15 s).
@Suite struct BankTests {
    @Test func moneyIsConservedThroughKillsAndConcurrentReads() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Transactions/bank.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, "--bin", Harness.binary, "--seconds", "12", "--writers", "8", "--readers", "2"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        print(text, terminator: "")
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("bank: 1 passed, 0 failed"))
    }
}
