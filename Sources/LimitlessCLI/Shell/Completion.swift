import CReadline
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import LimitlessEngine
import SQLSyntax

/// Tab completion for the interactive shell: what fits the word under the cursor, given the
/// text of the line before it.
enum ShellCompletion {
    static let metaCommands = [
        "\\?", "\\h", "\\q", "\\d", "\\dt", "\\di", "\\dv", "\\dist", "\\timing", "\\x", "\\pset",
        "\\o", "\\i", "\\e", "\\conninfo", "\\set", "\\unset", "\\r", "\\p", "\\echo",
    ]
    static let settings = [
        "rds_aurora.limitless_create_table_mode",
        "rds_aurora.limitless_create_table_shard_key",
        "rds_aurora.limitless_create_table_collocate_with",
    ]
    static let modeValues = ["'sharded'", "'reference'", "'standard'"]
    static let keywords: [String] = Keyword.allCases.map(\.spelling).filter { k in
        k != "NONE" && k.unicodeScalars.allSatisfy { ($0 >= "A" && $0 <= "Z") || $0 == "_" }
    } + ["LIMIT", "OFFSET", "RETURNING", "TRUNCATE", "SHOW", "VACUUM", "PRIMARY", "KEY", "TEXT", "INTEGER", "REAL", "BLOB", "BIGINT", "NUMERIC"]

    /// What completes `word`; `lineBefore` is the line up to the start of the word. Nil asks
    /// readline to complete file names.
    static func candidates(lineBefore: String, word: String, relations: [String], columns: [String]) -> [String]? {
        let before = lineBefore.shellTrimmed
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == "," }).map(String.init)
        // Meta-commands and their arguments.
        if before.isEmpty && word.hasPrefix("\\") {
            return metaCommands.filter { $0.hasPrefix(word) }
        }
        if let first = words.first, first.hasPrefix("\\") {
            switch first {
            case "\\i", "\\o", "\\ir", "\\include": return nil
            case "\\d", "\\dt", "\\dv", "\\di", "\\d+", "\\dist":
                return relations.filter { $0.lowercased().hasPrefix(word.lowercased()) }
            case "\\x": return ["on", "off", "auto"].filter { $0.hasPrefix(word) }
            case "\\timing": return ["on", "off"].filter { $0.hasPrefix(word) }
            case "\\pset":
                if words.count == 1 { return ["format", "pager"].filter { $0.hasPrefix(word) } }
                if words.count == 2 && words[1] == "format" { return ["aligned", "csv", "json"].filter { $0.hasPrefix(word) } }
                if words.count == 2 && words[1] == "pager" { return ["on", "off"].filter { $0.hasPrefix(word) } }
                return []
            case "\\h": return keywords.filter { $0.hasPrefix(word.uppercased()) }
            default: return []
            }
        }
        let lowerWord = word.lowercased()
        // Settings and their values.
        if lowerWord.hasPrefix("rds") {
            return settings.filter { $0.hasPrefix(lowerWord) }
        }
        let upperWords = words.map { $0.uppercased() }
        if let i = upperWords.lastIndex(where: { $0.hasPrefix("RDS_AURORA.LIMITLESS_CREATE_TABLE_MODE") }),
           i >= upperWords.count - 2, word.isEmpty || word.hasPrefix("'") || "sharded reference standard".contains(lowerWord) {
            let w = word.hasPrefix("'") ? lowerWord : "'" + lowerWord
            return modeValues.filter { $0.hasPrefix(w) }
        }
        // Qualified names: `t.col`.
        if let dot = word.lastIndex(of: ".") {
            let prefix = String(word[...dot])
            let rest = String(word[word.index(after: dot)...]).lowercased()
            return columns.filter { $0.lowercased().hasPrefix(rest) }.map { prefix + $0 }
        }
        let last = upperWords.last ?? ""
        let wantsRelation = ["FROM", "JOIN", "INTO", "UPDATE", "TABLE"].contains(last) || (last == "ON" && upperWords.contains("INDEX"))
        let rels = relations.filter { $0.lowercased().hasPrefix(lowerWord) }
        if wantsRelation { return rels }
        let cols = columns.filter { $0.lowercased().hasPrefix(lowerWord) }
        let upperCase = word.isEmpty || word.first.map { $0.isUppercase } == true
        let kws = keywords.filter { $0.hasPrefix(word.uppercased()) }.map { upperCase ? $0 : $0.lowercased() }
        var seen = Set<String>()
        return (rels + cols + kws).filter { seen.insert($0).inserted }
    }

    /// The longest common prefix of the candidates (what readline puts in place of the word).
    static func commonPrefix(_ items: [String]) -> String {
        guard var p = items.first.map({ Array($0) }) else { return "" }
        for s in items.dropFirst() {
            let a = Array(s)
            var n = 0
            while n < p.count && n < a.count && p[n] == a[n] { n += 1 }
            p = Array(p[0..<n])
        }
        return String(p)
    }
}

/// The engine the completion callback asks for names (readline's callback cannot capture).
nonisolated(unsafe) var completionEngine: ClusterEngine? = nil
nonisolated(unsafe) var completionNamesCache: (relations: [String], columns: [String])? = nil
/// Characters that end a word for completion: not `.` (qualified names, setting names) and
/// not `'` (setting values are completed with their quotes) nor `\` (meta-commands).
nonisolated(unsafe) let completionWordBreaks: UnsafeMutablePointer<CChar> = strdup(" \t\n\"`@$><=;|&{(,)")!

func shellCompletionCallback(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    let word = text.map { String(cString: $0) } ?? ""
    let full = limitless_rl_line_buffer().map { String(cString: $0) } ?? ""
    let bytes = Array(full.utf8)
    let before = String(decoding: bytes[0..<min(Int(start), bytes.count)], as: UTF8.self)
    if completionNamesCache == nil { completionNamesCache = completionEngine?.completionNames() }
    let names = completionNamesCache ?? ([], [])
    guard let found = ShellCompletion.candidates(lineBefore: before, word: word, relations: names.relations, columns: names.columns) else {
        limitless_rl_set_completion_over(0)
        return nil
    }
    limitless_rl_set_completion_over(1)
    if found.isEmpty { return nil }
    // readline frees the array and every string with free(): allocate both with malloc.
    let raw = malloc(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (found.count + 2))!
    let out = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: found.count + 2)
    if found.count == 1 {
        out[0] = strdup(found[0])
        out[1] = nil
    } else {
        out[0] = strdup(ShellCompletion.commonPrefix(found))
        for (i, s) in found.enumerated() { out[i + 1] = strdup(s) }
        out[found.count + 1] = nil
    }
    return out
}
