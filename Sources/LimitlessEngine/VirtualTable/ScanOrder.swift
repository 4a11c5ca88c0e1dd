import CSQLite
import LimitlessSupport

// The order a virtual-table scan hands its rows to the router in.
//
// One SQLite database reads a table in the order its plan chose: rowid order for a full scan,
// an index's order (its columns, then the rowid) when the plan reads an index — to find the
// rows a WHERE names, or to give a GROUP BY or ORDER BY its order without sorting. Where SQL
// leaves the order open, that order shows: in group_concat, in which rows a LIMIT inside a
// subquery keeps, in the rows of a join. So a scan asks shard 1 how one database would read
// the table for this scan (the same comparisons and columns; every shard has the same schema and
// indexes, and without statistics SQLite plans alike whatever the rows), has each shard send
// its rows in that order, and merges the shards' streams by the same keys.
//
// When the router's statement groups or orders by this table's columns, xBestIndex asks the
// same question with the GROUP BY or ORDER BY added; if one database would read an index that
// gives that order, the scan gives it too and tells SQLite so (orderByConsumed), as one database
// skips the sort — so groups come out in the index's order, as they do there.

/// The GROUP BY or ORDER BY a scan gives its rows in (xBestIndex's aOrderBy), written into the
/// scan's plan string after `|`: `g` (group: equal values adjacent) or `o` (order), then the
/// column numbers, each with `d` when descending — `g2,0`, `o1d`.
struct ScanOrder: Equatable {
    struct Term: Equatable {
        var column: Int
        var descending: Bool
    }
    var grouping: Bool
    var terms: [Term]

    var encoded: String {
        (grouping ? "g" : "o") + terms.map { "\($0.column)" + ($0.descending ? "d" : "") }.joined(separator: ",")
    }

    init(grouping: Bool, terms: [Term]) {
        self.grouping = grouping; self.terms = terms
    }

    init?(encoded: Substring) {
        guard let first = encoded.first, first == "g" || first == "o" else { return nil }
        grouping = first == "g"
        terms = []
        for item in encoded.dropFirst().split(separator: ",") {
            let descending = item.hasSuffix("d")
            guard let column = Int(descending ? item.dropLast() : item) else { return nil }
            terms.append(Term(column: column, descending: descending))
        }
        if terms.isEmpty { return nil }
    }

    /// The clause as SQL over the table's own columns (each in its own collation, as SQLite
    /// hands a virtual table only such terms).
    func clause(_ info: TableInfo) -> String {
        let names = terms.map { quoteIdentifier(info.columns[$0.column].name) + (!grouping && $0.descending ? " DESC" : "") }
        return (grouping ? " GROUP BY " : " ORDER BY ") + names.joined(separator: ", ")
    }
}

extension VirtualTable {
    /// One key the shards' rows merge by: a column of the shard SELECT (0 is the rowid).
    struct MergeKey: Equatable {
        var column: Int32
        var descending: Bool
        var collation: BuiltinCollation
    }

    /// A scan's plan string (idxStr) in its parts: the pushed comparisons (`col:op,…`), the
    /// mask of columns read (after `;`, nil: all) and the order it gives (after `|`).
    static func splitPlan(_ plan: String) -> (constraints: Substring, used: UInt64?, order: ScanOrder?) {
        var rest = plan[...]
        var order: ScanOrder? = nil
        if let bar = rest.firstIndex(of: "|") {
            order = ScanOrder(encoded: rest[rest.index(after: bar)...])
            rest = rest[..<bar]
        }
        guard let semi = rest.firstIndex(of: ";") else { return (rest, nil, order) }
        return (rest[..<semi], UInt64(rest[rest.index(after: semi)...], radix: 16), order)
    }

    /// The SELECT a scan sends to its shards, and the keys their rows merge by (nil: by rowid).
    /// `clauses` are the comparisons the shards apply; `readOrder(probe, sorted)` tells how one
    /// database would read the table for `probe` (nil: not one index's or the rowid's order, or,
    /// when `sorted`, not without a sorting step). A scan of one shard that gives no order keeps
    /// the shard's own order, which is one database's.
    static func scanSelect(_ info: TableInfo, plan: String, clauses: [String], multiShard: Bool,
                           readOrder: (String, Bool) -> [AccessKey]?) -> (sql: String, keys: [MergeKey]?) {
        let (_, used, order) = splitPlan(plan)
        guard multiShard || order != nil else { return (shardSelect(info, clauses: clauses, multiShard: false, used: used), nil) }
        // Asked with every comparison the router pushed (those a shard cannot apply included):
        // one database's plan sees them all.
        let probe = shardSelect(info, clauses: pushedClauses(info, plan: plan).map(\.sql), multiShard: false, used: used) +
            (order?.clause(info) ?? "")
        var access = readOrder(probe, order != nil)
        if access == nil, let order {
            // xBestIndex promised this order: give it in the columns' own collations.
            access = order.terms.map { AccessKey(column: info.columns[$0.column].name, descending: !order.grouping && $0.descending,
                                                 collation: info.columns[$0.column].collation) } +
                [AccessKey(column: nil, descending: false, collation: "BINARY")]
        }
        guard let access, access != [AccessKey(column: nil, descending: false, collation: "BINARY")] else {
            return (shardSelect(info, clauses: clauses, multiShard: true, used: used), nil)
        }
        var keys: [MergeKey] = []
        var terms: [String] = []
        var needed = used
        for k in access {
            guard let collation = BuiltinCollation(k.collation) else {
                return (shardSelect(info, clauses: clauses, multiShard: true, used: used), nil)
            }
            var column: Int32 = 0
            var term = info.rowidName
            if let name = k.column {
                guard let i = info.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else {
                    return (shardSelect(info, clauses: clauses, multiShard: true, used: used), nil)
                }
                column = Int32(i + 1)
                term = quoteIdentifier(info.columns[i].name) + " COLLATE " + k.collation
                // The shards send the key columns even where the statement does not read them.
                if i < 64 { needed? |= UInt64(1) << UInt64(i) }
            }
            keys.append(MergeKey(column: column, descending: k.descending, collation: collation))
            terms.append(term + (k.descending ? " DESC" : ""))
        }
        let sql = shardSelect(info, clauses: clauses, multiShard: false, used: needed) + " ORDER BY " + terms.joined(separator: ", ")
        return (sql, keys)
    }
}
