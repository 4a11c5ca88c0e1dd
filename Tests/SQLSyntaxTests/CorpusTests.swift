import Testing
import Foundation
@testable import SQLSyntax

@Suite struct CorpusTests {
    @Test func everyStatementParsesAndRoundTrips() throws {
        var parsed = 0, failedOK = 0, roundTripFailures = 0, errorRecordsRejected = 0, total = 0
        var messages: [String] = []
        for file in Corpus.files() {
            for r in Corpus.records(file) where !r.skipped {
                total += 1
                do {
                    let stmts = try SQLSyntax.parse(r.sql)
                    parsed += 1
                    for s in stmts {
                        let printed = s.sql
                        do {
                            let again = try SQLSyntax.parse(printed)
                            if again.count != 1 || again[0] != s {
                                roundTripFailures += 1
                                if messages.count < 30 { messages.append("\(r.file):\(r.line) round trip differs: \(printed)") }
                            }
                        } catch {
                            roundTripFailures += 1
                            if messages.count < 30 { messages.append("\(r.file):\(r.line) printed SQL fails: \(printed): \(error)") }
                        }
                    }
                } catch {
                    if r.kind == .statementError { errorRecordsRejected += 1; continue }
                    failedOK += 1
                    if messages.count < 30 { messages.append("\(r.file):\(r.line) \(error.rendered(source: r.sql))") }
                }
            }
        }
        print("corpus: \(total) records, \(parsed) parsed, \(errorRecordsRejected) error records rejected, \(failedOK) ok records failed, \(roundTripFailures) round-trip failures")
        for m in messages { print(m) }
        #expect(failedOK == 0)
        #expect(roundTripFailures == 0)
    }
}
