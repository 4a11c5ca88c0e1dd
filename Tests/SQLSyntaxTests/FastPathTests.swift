import Testing
@testable import SQLSyntax

/// The parser's shortcuts (strings built in place, the string cache, the packed keyword
/// lookup, the compact ColumnRef) must give exactly what the plain constructions give.
@Suite struct FastPathTests {
    /// Every name length around the small-string limit, ASCII and not, at the start, middle and
    /// very end of the input (where fewer than 16 bytes remain).
    @Test func namesOfEveryLengthMatchPlainStrings() throws {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_0123456789")
        for n in 1...40 {
            for variant in 0..<3 {
                var name = String(alphabet[(n * 7) % 26])
                for i in 1..<n { name.append(alphabet[(i * 5 + n) % alphabet.count]) }
                if variant == 1 { name = "é" + name.dropFirst() }       // not ASCII
                if variant == 2 { name = String(name.dropLast()) + "ß" }
                let reference = String(decoding: Array(name.utf8), as: UTF8.self)
                for sql in ["SELECT \(name) FROM t", "SELECT 1 FROM t WHERE x = \(name)", "SELECT \(name)", "SELECT t.\(name)"] {
                    let stmts = try SQLSyntax.parse(sql)
                    guard case .select(let s) = stmts[0].kind, case .select(let core) = s.first else {
                        Issue.record("not a select: \(sql)"); continue
                    }
                    var found: ColumnRef? = nil
                    if case .expr(.column(let c), _) = core.columns[0] { found = c }
                    if case .binary(_, _, .column(let c))? = core.where { found = c }
                    guard let c = found, Keyword.lookup(name) == .none else { continue }
                    #expect(c.column == reference, "\(sql)")
                    #expect(c.column.utf8.count == reference.utf8.count)
                    #expect(Array(c.column.utf8) == Array(reference.utf8))
                    #expect(c.column.hashValue == reference.hashValue)
                    #expect(c.column.uppercased() == reference.uppercased())
                    #expect(c.column + "!" == reference + "!")
                }
            }
        }
    }

    @Test func repeatedNamesAndNumbersStayDistinct() throws {
        // many names that share a hash slot or a prefix must not be confused by the cache
        var parts: [String] = []
        for i in 0..<600 { parts.append("column_name_\(i % 37)_x\(i)") ; parts.append("\(i * 7919)") }
        let sql = "SELECT " + parts.joined(separator: ", ")
        let s = try SQLSyntax.parseOne(sql)
        guard case .select(let sel) = s.kind, case .select(let core) = sel.first else { Issue.record("not a select"); return }
        #expect(core.columns.count == parts.count)
        for (i, c) in core.columns.enumerated() {
            switch c {
            case .expr(.column(let ref), _): #expect(ref.column == parts[i])
            case .expr(.literal(.number(let n)), _): #expect(n == parts[i])
            default: Issue.record("unexpected column \(c)")
            }
        }
    }

    @Test func keywordsAreFoundInAnyCase() {
        for k in Keyword.allCases where k != .none {
            for spelling in [k.spelling, k.spelling.lowercased(), String(k.spelling.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })] {
                var text = spelling
                let padded = text.withUTF8 { Lexer.tokenize($0) }
                #expect(padded.count == 2 && padded[0].kind == .keyword && padded[0].keyword == k, "\(spelling)")
                // with more text after it, so the 8-byte load path is used
                var longer = spelling + " x"
                let t = longer.withUTF8 { Lexer.tokenize($0) }
                #expect(t[0].keyword == k, "\(spelling)")
            }
            // one letter more or less is not the keyword
            var more = k.spelling + "Q"
            #expect(more.withUTF8 { Lexer.tokenize($0) }[0].kind == .identifier)
        }
    }

    @Test func columnRefValueSemantics() {
        var a = ColumnRef(table: "t", "x")
        let b = a
        a.table = "u"
        #expect(b.table == "t" && a.table == "u" && a.schema == nil)
        a.schema = "main"
        #expect(a == ColumnRef(schema: "main", table: "u", "x"))
        #expect(a != ColumnRef(schema: "main", table: "t", "x"))
        a.schema = nil; a.table = nil
        #expect(a == ColumnRef("x"))
        #expect(a.hashValue == ColumnRef("x").hashValue)
        #expect(Set([ColumnRef(table: "t", "x"), ColumnRef(table: "t", "x"), ColumnRef("x")]).count == 2)
        #expect(ColumnRef("x", doubleQuoted: true) != ColumnRef("x"))
    }
}
