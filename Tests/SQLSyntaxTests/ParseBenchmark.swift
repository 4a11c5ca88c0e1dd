import Testing
import Foundation
@testable import SQLSyntax

/// CPU time of this thread: other processes on a busy machine do not count against the parser.
func cpuNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// `make bench-parse`: parses every SQL record of the corpus in a release build and prints
/// the throughput, measured in thread CPU time. Skipped unless BENCH_PARSE is set.
@Suite struct ParseBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BENCH_PARSE"] != nil))
    func parseThroughput() throws {
        var script = ""
        for file in Corpus.files() {
            for r in Corpus.records(file) where !r.skipped && r.kind != .statementError {
                script += r.sql
                script += ";\n"
            }
        }
        let bytes = script.utf8.count
        if let n = ProcessInfo.processInfo.environment["BENCH_PARSE_ONLY"].flatMap(Int.init) {
            // parse only, n times (for instruction counts under `perf stat`)
            for _ in 0..<n { #expect(try SQLSyntax.parse(script).count > 10_000) }
            return
        }
        var best = Double.infinity
        var statements = 0
        for _ in 0..<7 {
            let start = cpuNanoseconds()
            let result = try SQLSyntax.parse(script)
            let seconds = Double(cpuNanoseconds() - start) / 1e9
            statements = result.count
            best = min(best, seconds)
            // freeing the AST happens after the clock stops
        }
        // statement by statement, as the shell and the script reader use it
        let pieces = SQLSyntax.splitStatements(script).map(\.text)
        var eachBest = Double.infinity
        for _ in 0..<7 {
            let start = cpuNanoseconds()
            var n = 0
            for piece in pieces { n += try SQLSyntax.parse(piece).count }
            let seconds = Double(cpuNanoseconds() - start) / 1e9
            eachBest = min(eachBest, seconds)
            #expect(n == statements)
        }
        var lexBest = Double.infinity
        for _ in 0..<7 {
            var copy = script
            let start = cpuNanoseconds()
            let n = copy.withUTF8 { Lexer.tokenize($0).count }
            let seconds = Double(cpuNanoseconds() - start) / 1e9
            lexBest = min(lexBest, seconds)
            #expect(n > 0)
        }
        var splitBest = Double.infinity
        for _ in 0..<7 {
            let start = cpuNanoseconds()
            let n = SQLSyntax.splitStatements(script).count
            let seconds = Double(cpuNanoseconds() - start) / 1e9
            splitBest = min(splitBest, seconds)
            #expect(n == statements)
        }
        var printBest = Double.infinity
        let parsed = try SQLSyntax.parse(script)
        for _ in 0..<3 {
            let start = cpuNanoseconds()
            var total = 0
            for s in parsed { total += s.sql.utf8.count }
            let seconds = Double(cpuNanoseconds() - start) / 1e9
            printBest = min(printBest, seconds)
            #expect(total > 0)
        }
        let mb = Double(bytes) / 1_000_000
        print(String(format: "bench-parse: %d statements, %.2f MB; whole script: parse %.1f ms = %.1f MB/s; statement by statement: %.1f MB/s; lexer alone %.1f MB/s; split %.1f MB/s; print %.1f ms",
                     statements, mb, best * 1000, mb / best, mb / eachBest, mb / lexBest, mb / splitBest, printBest * 1000))
        #expect(statements > 10_000)
    }
}
