import CSQLite
import LimitlessSupport

extension ClusterEngine {
    /// The order in which one database would read the one table of `sql` (see
    /// `Planner/AccessOrder.swift`), asked of shard 1: every shard has the table's schema and
    /// indexes, and without statistics SQLite plans alike whatever the rows. Nil when unknown.
    /// `ordered`: the statement has an ORDER BY (only then may SQLite read an index backwards).
    func accessOrder(_ sql: String, table: TableInfo, ordered: Bool) -> [AccessKey]? {
        readOrder(sql, table: table, ordered: ordered, unsorted: false)
    }

    /// The order one database reads `table` in for `sql` when an index serves its GROUP BY
    /// (nil when its plan sorts for the GROUP BY): its groups come in that order.
    func groupReadOrder(_ sql: String, table: TableInfo) -> [AccessKey]? {
        guard let db = try? shard(1), let s = try? db.prepare("EXPLAIN QUERY PLAN " + sql) else { return nil }
        var sorts = false
        while sqlite3_step(s.handle) == SQLITE_ROW {
            if let p = sqlite3_column_text(s.handle, 3), String(cString: p).hasPrefix("USE TEMP B-TREE FOR GROUP BY") { sorts = true }
        }
        return sorts ? nil : readOrder(sql, table: table, ordered: true, unsorted: false)
    }

    /// The order a virtual-table scan's `probe` reads the table in (see
    /// VirtualTable/ScanOrder.swift). `sorted`: the probe has a GROUP BY or ORDER BY, and the
    /// answer is nil unless one database would give it without a sorting step.
    func scanReadOrder(_ probe: String, table: TableInfo, sorted: Bool) -> [AccessKey]? {
        readOrder(probe, table: table, ordered: sorted, unsorted: sorted)
    }

    private func readOrder(_ sql: String, table: TableInfo, ordered: Bool, unsorted: Bool) -> [AccessKey]? {
        guard let db = try? shard(1) else { return nil }
        // A table without any index (its own, or one a PRIMARY KEY or UNIQUE makes) is read in
        // rowid order: no need to ask SQLite for a plan (unless it must say whether it sorts).
        let rowid = [AccessKey(column: nil, descending: false, collation: "BINARY")]
        if !unsorted {
            guard let any = try? db.query("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE LIMIT 1",
                                          [.text(table.name)]) else { return nil }
            if any.isEmpty { return rowid }
        }
        // Prepared apart from the connection's statement cache: each text is asked once.
        func texts(_ q: String, column: Int32) -> [String]? {
            guard let s = try? db.prepare(q) else { return nil }
            var out: [String] = []
            while sqlite3_step(s.handle) == SQLITE_ROW {
                if let p = sqlite3_column_text(s.handle, column) { out.append(String(cString: p)) }
            }
            return out
        }
        guard let details = texts("EXPLAIN QUERY PLAN " + sql, column: 3) else { return nil }
        if unsorted && details.contains(where: { $0.hasPrefix("USE TEMP B-TREE") }) { return nil }
        var backward = false
        // An index (or the table, in rowid order: `SCAN t` for ORDER BY pk DESC where pk is the
        // rowid) is read backwards only to serve an ORDER BY (in part: with a sort for the
        // rest, an IN list's ranges may still be read backwards); the bytecode says whether it
        // is: a Prev on a cursor opened on the table or one of its indexes (an IN list's own
        // cursor steps back too when it is walked in descending order).
        if ordered, details.contains(where: { AccessOrder.after(" USING ", in: $0) != nil || $0.hasPrefix("SCAN ") }) {
            guard let roots = try? db.query("SELECT rootpage FROM sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND type IN ('table', 'index')",
                                             [.text(table.name)]),
                  let ops = try? db.prepare("EXPLAIN " + sql) else { return nil }
            let pages = Set(roots.compactMap { r -> Int64? in if case let .integer(p)? = r.first { return p }; return nil })
            var cursors = Set<Int64>()
            var prevs: [Int64] = []
            while sqlite3_step(ops.handle) == SQLITE_ROW {
                guard let p = sqlite3_column_text(ops.handle, 1) else { continue }
                let op = String(cString: p)
                if op == "OpenRead" && sqlite3_column_int64(ops.handle, 4) == 0 && pages.contains(sqlite3_column_int64(ops.handle, 3)) {
                    cursors.insert(sqlite3_column_int64(ops.handle, 2))
                } else if op == "Prev" {
                    prevs.append(sqlite3_column_int64(ops.handle, 2))
                }
            }
            backward = prevs.contains(where: cursors.contains)
        }
        return AccessOrder.keys(details: details, backward: backward) { name in
            guard let rows = try? db.query("SELECT cid, name, \"desc\", coll, \"key\" FROM pragma_index_xinfo(?)", [.text(name)]) else { return nil }
            var out: [(cid: Int, name: String?, desc: Bool, collation: String)] = []
            for r in rows where r.count == 5 && r[4] == .integer(1) {
                guard case let .integer(cid) = r[0] else { return nil }
                var n: String? = nil
                if case let .text(t) = r[1] { n = t }
                var coll = "BINARY"
                if case let .text(c) = r[3] { coll = c }
                out.append((Int(cid), n, r[2] == .integer(1), coll))
            }
            return out
        }
    }
}
