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
        // An index is read backwards only to serve an ORDER BY; the bytecode says whether it is.
        if ordered, details.contains(where: { AccessOrder.after(" USING ", in: $0) != nil }),
           !details.contains("USE TEMP B-TREE FOR ORDER BY") {
            guard let ops = texts("EXPLAIN " + sql, column: 1) else { return nil }
            backward = ops.contains("Prev")
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
