import Testing
import Foundation
@testable import SQLSyntax

/// Walks every record of Tests/Corpus/sqllogictest: `statement ok` and `query` records must
/// parse; every parsed statement must round-trip (parse → print → parse gives an equal AST);
/// and the printed SQL must behave on SQLite exactly like the original text (same rows for
/// queries, same success or failure for statements), each file in its own pair of databases.
@Suite struct CorpusTests {
    @Test func corpusParsesRoundTripsAndRunsTheSame() throws {
        var total = 0, parsed = 0, okFailed = 0, errorRejected = 0, errorAccepted = 0
        var roundTripFailures = 0, executed = 0, executionDiffers = 0
        var messages: [String] = []
        func note(_ m: String) { if messages.count < 40 { messages.append(m) } }
        let files = Corpus.files()
        #expect(files.count >= 10)
        for file in files {
            let original = SQLiteDB(), printed = SQLiteDB()
            for r in Corpus.records(file) where !r.skipped {
                total += 1
                var printedText = r.sql
                do {
                    let stmts = try SQLSyntax.parse(r.sql)
                    parsed += 1
                    if r.kind == .statementError { errorAccepted += 1 }
                    var texts: [String] = []
                    for s in stmts {
                        let text = s.sql
                        texts.append(text)
                        do {
                            let again = try SQLSyntax.parse(text)
                            if again != [s] {
                                roundTripFailures += 1
                                note("\(r.file):\(r.line) round trip differs: \(text)")
                            }
                        } catch {
                            roundTripFailures += 1
                            note("\(r.file):\(r.line) printed SQL does not parse: \(text): \(error)")
                        }
                    }
                    printedText = texts.joined(separator: ";\n")
                } catch {
                    if r.kind == .statementError { errorRejected += 1 } else {
                        okFailed += 1
                        note("\(r.file):\(r.line) \(error.rendered(source: r.sql))")
                    }
                }
                executed += 1
                let a = original.run(r.sql), b = printed.run(printedText)
                switch (a, b) {
                case (.success(let x), .success(let y)):
                    if x != y { executionDiffers += 1; note("\(r.file):\(r.line) rows differ: \(r.sql) | \(printedText)") }
                case (.failure, .failure): break
                default:
                    executionDiffers += 1
                    note("\(r.file):\(r.line) outcome differs: \(a) vs \(b): \(printedText)")
                }
            }
        }
        print("corpus: \(files.count) files, \(total) records; \(parsed) parsed (\(okFailed) ok/query records failed to parse); statement-error records: \(errorRejected) rejected by the parser, \(errorAccepted) accepted; \(roundTripFailures) round-trip failures; \(executed) executed on SQLite, \(executionDiffers) differ")
        for m in messages { print(m) }
        #expect(okFailed == 0)
        #expect(roundTripFailures == 0)
        #expect(executionDiffers == 0)
        #expect(parsed > 10_000)
    }
}
