// The order in which one database reads a table's rows for a statement. Where SQL leaves the
// order open (no ORDER BY, or rows whose ORDER BY keys tie), one SQLite database returns rows in
// that order: rowid order for a full scan, index order — index columns, then the rowid — when
// its plan reads an index, backwards when it steps the index from the end. Tier 2 merges the
// shards' rows by the same keys, so a LIMIT keeps the rows one database keeps.
//
// Pure: it reads what SQLite says about the plan (EXPLAIN QUERY PLAN's detail text, whether the
// bytecode steps backwards, `PRAGMA index_xinfo` rows); `ClusterEngine.accessOrder` asks a shard.

/// One key of a table's read order.
struct AccessKey: Equatable, Sendable {
    /// The column's name, or nil for the rowid.
    var column: String?
    var descending: Bool
    /// The collation the index compares the column with (BINARY for the rowid).
    var collation: String
    /// A MULTI-INDEX OR plan reads the rows of each of an OR's terms in turn, each through its
    /// own loop (itself perhaps a MULTI-INDEX OR of the term's own OR), skipping rows an earlier
    /// loop already gave. `orPath` names a loop: [] the WHERE clause's OR, [b] its term b's
    /// loop, [b, c] term c of the OR inside term b, and so on. With `orTerms` n > 0 the key is
    /// the number (1...n) of the first term of the OR at `orPath` a row satisfies (for rows
    /// that OR reads); with `orTerms` 0 it is the column `column` for the rows the loop at
    /// `orPath` reads (the other rows tie on it). Nil: an ordinary key of every row.
    var orPath: [Int]? = nil
    var orTerms: Int = 0
    /// With `orTerms` n > 0: which of the ORs the plan may read at `orPath` it reads (see
    /// `resolve`).
    var orCandidate: Int = 0
}

enum AccessOrder {
    /// What EXPLAIN QUERY PLAN's `detail` of a table's loop says it reads: `.rowid` (a full scan,
    /// or a rowid range or lookup), `.index(name)`, or nil for a shape whose order is not one
    /// index's (MULTI-INDEX OR, an automatic index, a virtual table, WITHOUT ROWID keys).
    enum Path: Equatable { case rowid, index(String) }

    static func path(_ detail: String) -> Path? {
        guard detail.hasPrefix("SCAN ") || detail.hasPrefix("SEARCH ") else { return nil }
        guard let rest = after(" USING ", in: detail) else { return .rowid }
        if rest.hasPrefix("INTEGER PRIMARY KEY") || rest.hasPrefix("ROWID") { return .rowid }
        for prefix in ["COVERING INDEX ", "INDEX "] where rest.hasPrefix(prefix) {
            let name = rest.dropFirst(prefix.count).prefix { $0 != " " }
            return name.isEmpty ? nil : .index(String(name))
        }
        return nil
    }

    /// The text of `s` after the first `needle`, or nil.
    static func after(_ needle: String, in s: String) -> Substring? {
        let n = Array(needle.utf8)
        var matched = 0, offset = 0
        for byte in s.utf8 {
            offset += 1
            // No needle here has a prefix longer than one byte that recurs inside it, so a
            // mismatch restarts at most at the mismatching byte.
            matched = byte == n[matched] ? matched + 1 : (byte == n[0] ? 1 : 0)
            if matched == n.count { return s[s.utf8.index(s.utf8.startIndex, offsetBy: offset)...] }
        }
        return nil
    }

    /// The read order from the plan's one table loop: `details` are EXPLAIN QUERY PLAN's rows,
    /// `backward` whether the bytecode steps its cursor backwards (`Prev`), `indexColumns` the
    /// key rows of `PRAGMA index_xinfo` for the index read, as (cid, name, desc, collation).
    /// Nil when the plan is not one plain loop over the table, or an index key is an expression.
    static func keys(details: [String], backward: Bool,
                     indexColumns: (String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]?) -> [AccessKey]? {
        let loops = details.filter { $0.hasPrefix("SCAN ") || $0.hasPrefix("SEARCH ") }
        if details.contains(where: { after("MULTI-INDEX OR", in: $0) != nil }) {
            return multiIndexOr(details: details, backward: backward, indexColumns: indexColumns)
        }
        guard loops.count == 1, let path = path(loops[0]) else { return nil }
        guard var keys = indexKeys(path, backward: backward, indexColumns: indexColumns) else { return nil }
        keys.append(AccessKey(column: nil, descending: backward, collation: "BINARY"))
        return keys
    }

    /// The index columns (before the rowid) a loop reading `path` returns rows in.
    static func indexKeys(_ path: Path, backward: Bool,
                          indexColumns: (String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]?) -> [AccessKey]? {
        guard case let .index(name) = path else { return [] }
        guard let cols = indexColumns(name) else { return nil }
        var keys: [AccessKey] = []
        for c in cols {
            if c.cid == -1 { break }               // the rowid ends the key
            guard c.cid >= 0, let n = c.name else { return nil }
            keys.append(AccessKey(column: n, descending: c.desc != backward, collation: c.collation))
        }
        return keys
    }

    /// A MULTI-INDEX OR plan (`MULTI-INDEX OR`, then `INDEX i` and its loop per OR term, a loop
    /// perhaps itself a MULTI-INDEX OR of the term's own OR): one database reads term 1's rows
    /// in its loop's order, then term 2's rows not read yet, and so on. Which `INDEX i` lines
    /// belong to which of nested ORs depends on how many terms each OR has, so this gives the
    /// plan's lines as raw keys (`orTerms` -1: `MULTI-INDEX OR`; -2: `INDEX i`, i in `orPath`;
    /// a loop's index columns, then -3) for `resolve` to read with the statement's ORs in hand.
    /// Nil for any other shape (another loop, a loop stepped backwards).
    static func multiIndexOr(details: [String], backward: Bool,
                             indexColumns: (String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]?) -> [AccessKey]? {
        guard !backward else { return nil }
        func token(_ kind: Int, _ path: [Int] = []) -> AccessKey {
            AccessKey(column: nil, descending: false, collation: "BINARY", orPath: path, orTerms: kind)
        }
        var raw: [AccessKey] = []
        for line in details where line != "USE TEMP B-TREE FOR ORDER BY" {
            if after("MULTI-INDEX OR", in: line) != nil { raw.append(token(-1)); continue }
            if line.hasPrefix("INDEX "), let k = Int(line.dropFirst(6)) { raw.append(token(-2, [k])); continue }
            guard let p = path(line), let cols = indexKeys(p, backward: false, indexColumns: indexColumns) else { return nil }
            raw += cols.map { var k = $0; k.orPath = []; return k }
            // The loop's end, naming the columns its index search constrains (`(col3=? AND
            // col1<?)` gives "col3,col1").
            var end = token(-3)
            if let open = line.lastIndex(of: "("), line.hasSuffix(")") {
                let names = line[line.index(after: open)..<line.index(before: line.endIndex)]
                    .split(separator: " ").filter { $0 != "AND" }
                    .map { $0.prefix { !"=<>!)".contains($0) } }
                    .filter { !$0.isEmpty }
                if !names.isEmpty { end.column = names.joined(separator: ",") }
            }
            raw.append(end)
        }
        return raw.first?.orTerms == -1 ? raw : nil
    }

    /// True when `keys` are a MULTI-INDEX OR plan's raw keys (see `multiIndexOr`).
    static func isRawMultiIndexOr(_ keys: [AccessKey]) -> Bool { keys.first?.orTerms == -1 }

    /// The read order of a MULTI-INDEX OR plan from its raw keys: for each OR, the number of
    /// the first of its terms a row satisfies (`orTerms` n, `orPath` the OR), each loop's index
    /// columns for its own rows (`orPath` the loop), then the rowid. `candidates(path, chosen)`
    /// gives the term counts of the ORs the plan may read at `path` ([]: those among the WHERE
    /// clause's AND terms; [b]: among the AND terms of term b of the OR chosen at [], ...),
    /// given the ORs already chosen for the enclosing paths (`chosen`: path → candidate index);
    /// `uses(path, chosen, b, columns)` says whether term b of the OR chosen at `path` names one
    /// of `columns` (comma-separated), the columns that term's loop searches its index on. The first choice that fits the
    /// plan's lines is taken (`orCandidate`). Nil when none fits.
    static func resolve(_ raw: [AccessKey], candidates: ([Int], [[Int]: Int]) -> [Int],
                        uses: ([Int], [[Int]: Int], Int, String) -> Bool) -> [AccessKey]? {
        var i = 0
        var out: [AccessKey] = []
        var chosen: [[Int]: Int] = [:]
        // Each reads from raw[i] and, on success, calls `rest` for what follows; a choice that
        // makes `rest` fail is undone and the next one tried.
        func parseOr(_ path: [Int], _ rest: () -> Bool) -> Bool {
            guard i < raw.count, raw[i].orTerms == -1 else { return false }
            let (start, at, before) = (i, out.count, chosen)
            for (id, n) in candidates(path, chosen).enumerated() where n >= 2 {
                (i, chosen) = (start + 1, before)
                chosen[path] = id
                out.append(AccessKey(column: nil, descending: false, collation: "BINARY", orPath: path, orTerms: n, orCandidate: id))
                if parseTerm(path, 1, n, rest) { return true }
                out.removeSubrange(at...)
            }
            (i, chosen) = (start, before)
            return false
        }
        func parseTerm(_ path: [Int], _ b: Int, _ n: Int, _ rest: () -> Bool) -> Bool {
            if b > n { return rest() }
            guard i < raw.count, raw[i].orTerms == -2, raw[i].orPath == [b] else { return false }
            let (start, at, before) = (i, out.count, chosen)
            i += 1
            if i < raw.count, raw[i].orTerms == -1 {
                if parseOr(path + [b], { parseTerm(path, b + 1, n, rest) }) { return true }
            } else {
                while i < raw.count, raw[i].orTerms == 0 {
                    var k = raw[i]; k.orPath = path + [b]; out.append(k); i += 1
                }
                if i < raw.count, raw[i].orTerms == -3, raw[i].column.map({ uses(path, chosen, b, $0) }) ?? true {
                    i += 1
                    if parseTerm(path, b + 1, n, rest) { return true }
                }
            }
            (i, chosen) = (start, before)
            out.removeSubrange(at...)
            return false
        }
        guard parseOr([], { i == raw.count }) else { return nil }
        out.append(AccessKey(column: nil, descending: false, collation: "BINARY"))
        return out
    }
}
