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
        guard loops.count == 1, !details.contains(where: { after("MULTI-INDEX OR", in: $0) != nil }),
              let path = path(loops[0]) else { return nil }
        var keys: [AccessKey] = []
        if case let .index(name) = path {
            guard let cols = indexColumns(name) else { return nil }
            for c in cols {
                if c.cid == -1 { break }               // the rowid ends the key
                guard c.cid >= 0, let n = c.name else { return nil }
                keys.append(AccessKey(column: n, descending: c.desc != backward, collation: c.collation))
            }
        }
        keys.append(AccessKey(column: nil, descending: backward, collation: "BINARY"))
        return keys
    }
}
