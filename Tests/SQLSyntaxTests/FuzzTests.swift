import Testing
@testable import SQLSyntax

/// 100,000 mutated corpus statements (deterministic): each must end in an AST or in an error
/// with a position inside the text, and every AST must survive print → parse unchanged.
@Suite struct FuzzTests {
    @Test func mutatedStatementsNeverCrash() throws {
        var seeds: [String] = []
        for file in Corpus.files() {
            for r in Corpus.records(file) where !r.skipped { seeds.append(r.sql) }
        }
        seeds += sqliteStatements + postgresStatements
        #expect(seeds.count > 1000)
        // token texts to insert
        var vocabulary = Keyword.allCases.dropFirst().map(\.spelling)
        vocabulary += ["(", ")", ",", ".", ";", "'", "\"", "[", "]", "`", "--", "/*", "*/", "*", "+", "-", "||", "->", "::",
                       "=", "<>", "!", "?", ":a", "@b", "$c", "?7", "x'", "X'0F'", "0x", "1e", "1.5", ".5", "é", "\u{0}", "\t", "\n"]
        var rng = SplitMix64(seed: 20_261_126)
        var parsedCount = 0, errorCount = 0, roundTripFailures = 0
        var failures: [String] = []
        var tokenCache: [Int: [String]] = [:]
        for i in 0..<100_000 {
            let index = Int(rng.next() % UInt64(seeds.count))
            let text: String
            if i % 3 == 0 {
                text = mutateBytes(seeds[index], &rng)
            } else {
                if tokenCache[index] == nil { tokenCache[index] = tokens(seeds[index]) }
                text = mutateTokens(tokenCache[index]!, &rng, vocabulary)
            }
            do {
                let stmts = try SQLSyntax.parse(text)
                parsedCount += 1
                for s in stmts {
                    let printed = s.sql
                    let again = try? SQLSyntax.parse(printed)
                    if again != [s] {
                        roundTripFailures += 1
                        if failures.count < 20 { failures.append("\(text.debugDescription) -> \(printed.debugDescription)") }
                    }
                }
            } catch {
                errorCount += 1
                let n = text.utf8.count
                #expect(error.offset >= 0 && error.offset <= n)
                #expect(error.line >= 1 && error.column >= 1)
                #expect(!error.message.isEmpty)
                if errorCount % 16 == 0 { #expect(error.rendered(source: text).hasPrefix("ERROR:  ")) }
            }
        }
        print("fuzz: 100000 cases, \(parsedCount) parsed, \(errorCount) errors, \(roundTripFailures) round-trip failures")
        for f in failures { print(f) }
        #expect(roundTripFailures == 0)
        #expect(parsedCount > 1000 && errorCount > 1000)
    }

    func mutateBytes(_ s: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(s.utf8)
        for _ in 0...Int(rng.next() % 3) {
            let n = bytes.count
            switch rng.next() % 4 {
            case 0 where n > 0: bytes.remove(at: Int(rng.next() % UInt64(n)))
            case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(n + 1)))
            case 2 where n > 1:
                let a = Int(rng.next() % UInt64(n)), b = Int(rng.next() % UInt64(n))
                bytes.swapAt(a, b)
            default: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(n + 1))))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The texts of a statement's tokens, using the lexer's token boundaries.
    func tokens(_ s: String) -> [String] {
        var copy = s
        return copy.withUTF8 { buf in
            Lexer.tokenize(buf).dropLast().map { t in
                String(decoding: UnsafeBufferPointer(rebasing: buf[Int(t.start)..<Int(t.end)]), as: UTF8.self)
            }
        }
    }

    func mutateTokens(_ original: [String], _ rng: inout SplitMix64, _ vocabulary: [String]) -> String {
        var tokens = original
        for _ in 0...Int(rng.next() % 3) {
            let n = tokens.count
            switch rng.next() % 4 {
            case 0 where n > 0: tokens.remove(at: Int(rng.next() % UInt64(n)))
            case 1: tokens.insert(vocabulary[Int(rng.next() % UInt64(vocabulary.count))], at: Int(rng.next() % UInt64(n + 1)))
            case 2 where n > 1:
                let a = Int(rng.next() % UInt64(n)), b = Int(rng.next() % UInt64(n))
                tokens.swapAt(a, b)
            default: tokens = Array(tokens.prefix(Int(rng.next() % UInt64(n + 1))))
            }
        }
        return tokens.joined(separator: " ")
    }
}
