import Foundation

/// One sqllogictest record.
struct CorpusRecord {
    enum Kind { case statementOK, statementError, query }
    var file: String
    var line: Int
    var kind: Kind
    var sql: String
    /// The record is for another engine (onlyif x / skipif sqlite).
    var skipped: Bool
}

enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus/sqllogictest")

    static func files() -> [URL] {
        let fm = FileManager.default
        guard let e = fm.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [URL] = []
        for case let u as URL in e where u.pathExtension == "test" { out.append(u) }
        return out.sorted { $0.path < $1.path }
    }

    static func records(_ url: URL) -> [CorpusRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [CorpusRecord] = []
        var i = 0
        var skip = false
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { i += 1; skip = skip && !line.isEmpty; continue }
            let words = line.split(separator: " ").map(String.init)
            switch words[0] {
            case "skipif":
                if words.count > 1 && words[1] == "sqlite" { skip = true }
                i += 1
            case "onlyif":
                if words.count > 1 && words[1] != "sqlite" { skip = true }
                i += 1
            case "halt":
                if !skip { return out }
                skip = false
                i += 1
            case "statement", "query":
                let kind: CorpusRecord.Kind = words[0] == "query" ? .query : (words.count > 1 && words[1] == "ok" ? .statementOK : .statementError)
                let start = i + 1
                i += 1
                var sqlLines: [String] = []
                while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).isEmpty && lines[i] != "----" {
                    sqlLines.append(lines[i]); i += 1
                }
                if i < lines.count && lines[i] == "----" {
                    while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
                }
                out.append(CorpusRecord(file: url.lastPathComponent, line: start, kind: kind, sql: sqlLines.joined(separator: "\n"), skipped: skip))
                skip = false
            default:
                i += 1
            }
        }
        return out
    }
}
