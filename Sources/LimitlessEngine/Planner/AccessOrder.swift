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
    /// A MULTI-INDEX OR plan reads the rows of each of the WHERE clause's OR terms in turn, each
    /// through its own index, skipping rows an earlier term already gave. 0: the key is the
    /// number (1...orTerms) of the first OR term a row satisfies; i > 0: the key orders only the
    /// rows term i gives (the others tie on it); nil: an ordinary key of every row.
    var orLoop: Int? = nil
    /// With `orLoop` 0: how many OR terms the plan reads.
    var orTerms: Int = 0
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

    /// A MULTI-INDEX OR plan (`MULTI-INDEX OR`, then `INDEX i` and its one loop per OR term):
    /// one database reads term 1's rows in its loop's order, then term 2's rows not read yet,
    /// and so on. The keys: the number of the first term a row satisfies, each loop's index
    /// columns for its own rows, then the rowid. Nil for any other shape (a nested join, a loop
    /// stepped backwards, a term read by more than one loop).
    static func multiIndexOr(details: [String], backward: Bool,
                             indexColumns: (String) -> [(cid: Int, name: String?, desc: Bool, collation: String)]?) -> [AccessKey]? {
        guard !backward else { return nil }
        var i = 0
        while i < details.count && after("MULTI-INDEX OR", in: details[i]) == nil {
            if details[i].hasPrefix("SCAN ") || details[i].hasPrefix("SEARCH ") { return nil }
            i += 1
        }
        i += 1
        var branches: [[AccessKey]] = []
        while i < details.count {
            let d = details[i]
            if d == "INDEX \(branches.count + 1)" {
                guard i + 1 < details.count, let path = path(details[i + 1]),
                      let keys = indexKeys(path, backward: false, indexColumns: indexColumns) else { return nil }
                branches.append(keys)
                i += 2
            } else if d.hasPrefix("SCAN ") || d.hasPrefix("SEARCH ") || d.hasPrefix("INDEX ") || after("MULTI-INDEX OR", in: d) != nil {
                return nil
            } else {
                i += 1
            }
        }
        guard branches.count >= 2 else { return nil }
        var keys = [AccessKey(column: nil, descending: false, collation: "BINARY", orLoop: 0, orTerms: branches.count)]
        for (b, branch) in branches.enumerated() {
            keys += branch.map { var k = $0; k.orLoop = b + 1; return k }
        }
        keys.append(AccessKey(column: nil, descending: false, collation: "BINARY"))
        return keys
    }
}
