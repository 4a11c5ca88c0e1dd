import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

// Router execution over copies.
//
// Some answers depend on the order in which one database reads rows, not only on the rows:
// group_concat concatenates in that order, a LIMIT without an ORDER BY that fixes every row
// keeps the rows met first, window functions number and frame rows in it. One database reads in
// the order its plan chose — which table outermost, which index for each. The router's SQLite
// plans the same statement over virtual tables, whose costs are not a table's, so it may nest
// the loops the other way; ScanOrder.swift makes each scan keep one database's order for its
// own table, but not the join's. For such statements, when the tables are small enough, the
// router reads copies instead: a temporary table per distributed table, made from the shard's
// own CREATE TABLE and CREATE INDEX text and filled with the table's rows under their
// cluster-wide rowids (one database's rowids). The statement text is unchanged — a temporary
// table hides the main schema's table of the same name — so SQLite plans it exactly as over
// one database (without statistics its plan depends on the schema only) and gives its answer.
// The copies live in the router's temporary database, which spills to a file, and are dropped
// when the statement ends.

extension ClusterEngine {
    /// The most rows (over every table copied) a statement is copied for by default; above it
    /// the router reads the shards through scans (LIMITLESS_ROUTER_COPY_ROWS overrides it; 0
    /// turns copies off). An engine's `routerCopyRows` starts at this value.
    static let defaultRouterCopyRows: Int64 = {
        if let v = getenv("LIMITLESS_ROUTER_COPY_ROWS"), let n = Int64(String(cString: v)) { return n }
        return 100_000
    }()

    /// The distributed tables a router SELECT reads through copies, or nil when it reads them
    /// through scans: its answer cannot depend on read order, the tables are too big, or it
    /// names a temporary object (a temporary table of the same name would be replaced). A view
    /// it names is copied too, as a temporary view over the copies; its text counts as the
    /// statement's.
    ///
    /// Values that depend on read order (group_concat, string_agg, what a LIMIT or OFFSET keeps,
    /// window functions) copy up to `routerCopyRows` rows, as does a statement tier 2 stepped
    /// aside for (`copiesPromised`). Where read order shows only in the order of ORDER BY ties,
    /// the row a column beside aggregates comes from, or which spelling of NOCASE-equal values
    /// a group or DISTINCT row shows (ORDER BY, GROUP BY, DISTINCT), a tenth of that: such
    /// statements are often lookups that read a few rows through scans, and a copy costs every
    /// row of the tables.
    func routerCopyTables(forStatement sql: String, _ head: [Token]) -> [TableInfo]? {
        let promised = copiesPromised
        copiesPromised = false
        guard routerCopyRows > 0, !catalog.tables.isEmpty, let first = head.first, first.kind == .word,
              first.text == "SELECT" || first.text == "WITH" else { return nil }
        let toks = Tokens.scan(sql)
        if first.text == "WITH" && ClusterEngine.commandVerb(toks) != "SELECT" { return nil }
        // The views it names (and those they name) count as its text: their tables are copied
        // too, and an ORDER BY or LIMIT in a view's body is one of the statement's.
        let views = routerViews(toks)
        let text = ([sql] + views.map(\.sql)).joined(separator: "\n")
        let all = views.isEmpty ? toks : Tokens.scan(text)
        var values = promised, ties = false
        for (i, t) in all.enumerated() where t.kind == .word {
            switch t.text {
            case "LIMIT", "OFFSET", "OVER":
                values = true
            case "GROUP_CONCAT", "STRING_AGG":
                if i + 1 < all.count, all[i + 1].kind == .punct, all[i + 1].text == "(" { values = true }
            case "DISTINCT":
                ties = true
            case "GROUP", "ORDER":
                if i + 1 < all.count, all[i + 1].isWord("BY") { ties = true }
            default:
                break
            }
        }
        guard values || ties else { return nil }
        let tables = referencedTables(text).filter { $0.placement != .standard }
        return routerCopyable(sql, tables, toks, limit: values ? routerCopyRows : routerCopyRows / 10) ? tables : nil
    }

    /// The router's views (main schema) a statement names, with the views those name in turn,
    /// in the order they were made (each one's own views before it): name and CREATE VIEW text.
    func routerViews(_ toks: [Token]) -> [(name: String, sql: String)] {
        guard let rows = try? router.query("SELECT name, sql FROM sqlite_schema WHERE type = 'view' AND sql IS NOT NULL ORDER BY rowid"),
              !rows.isEmpty else { return [] }
        var all: [(name: String, sql: String)] = []
        for r in rows {
            if r.count == 2, case let .text(n) = r[0], case let .text(t) = r[1] { all.append((n, t)) }
        }
        var wanted = Set<String>()
        var pending = toks.filter(\.isName).map { $0.text.lowercased() }
        while let name = pending.popLast() {
            guard !wanted.contains(name), let v = all.first(where: { $0.name.lowercased() == name }) else { continue }
            wanted.insert(name)
            pending += Tokens.scan(v.sql).filter(\.isName).map { $0.text.lowercased() }
        }
        return all.filter { wanted.contains($0.name.lowercased()) }
    }

    /// Whether a statement over `tables` may run over copies: they hold at most `limit` rows
    /// together (`routerCopyRows` by default), and it names no temporary object (nor, unless
    /// `views`, a view).
    func routerCopyable(_ sql: String, _ tables: [TableInfo], _ scanned: [Token]? = nil, limit: Int64? = nil,
                        views: Bool = true) -> Bool {
        let limit = limit ?? routerCopyRows
        guard limit > 0, !tables.isEmpty else { return false }
        var rows: Int64 = 0
        for t in tables { rows += rowCount(t) }
        guard rows <= limit else { return false }
        let toks = scanned ?? Tokens.scan(sql)
        let viewNames = views ? "" : "SELECT name FROM sqlite_schema WHERE type = 'view' UNION ALL "
        guard let names = try? router.query(viewNames + "SELECT name FROM sqlite_temp_schema")
        else { return false }
        let others = Set(names.compactMap { row -> String? in
            if case let .text(n)? = row.first { return n.lowercased() }
            return nil
        })
        if toks.contains(where: { $0.isName && others.contains($0.text.lowercased()) }) { return false }
        return !tables.contains(where: { others.contains($0.name.lowercased()) })
    }

    /// The shard a table's copy is read from first (its schema is asked there).
    func copySourceShard(_ info: TableInfo) -> Int {
        info.placement == .reference ? referenceReadShard : 1
    }

    /// Makes the empty temporary tables (and their indexes) of `tables`, and temporary views of
    /// `views`, returning the names made (a view's marked with `copiedViewMark`); on failure
    /// drops what it made and throws.
    func makeRouterCopies(_ tables: [TableInfo], views: [(name: String, sql: String)] = []) throws(EngineError) -> [String] {
        var made: [String] = []
        do throws(EngineError) {
            for info in tables {
                let ddl = try shard(copySourceShard(info)).query(
                    "SELECT type, sql FROM sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND type IN ('table', 'index') " +
                    "AND sql IS NOT NULL ORDER BY type = 'index'", [.text(info.name)])
                for row in ddl {
                    guard row.count == 2, case let .text(text) = row[1] else { continue }
                    let copy: String
                    if text.hasPrefix("CREATE TABLE ") {
                        copy = "CREATE TEMP TABLE " + text.dropFirst("CREATE TABLE ".count)
                        try router.run(copy, [])
                        made.append(info.name)
                    } else if text.hasPrefix("CREATE INDEX ") {
                        try router.run("CREATE INDEX temp." + text.dropFirst("CREATE INDEX ".count), [])
                    } else if text.hasPrefix("CREATE UNIQUE INDEX ") {
                        try router.run("CREATE UNIQUE INDEX temp." + text.dropFirst("CREATE UNIQUE INDEX ".count), [])
                    } else {
                        throw EngineError("cannot copy \(info.name): unexpected schema text")
                    }
                }
                guard made.last == info.name else { throw EngineError("cannot copy \(info.name): no table on the shard") }
            }
            // A view in the main schema reads the main schema's tables whatever the temporary
            // ones: a temporary view of the same text reads the copies, and hides the view.
            for v in views {
                guard v.sql.count > 12, v.sql.prefix(12).uppercased() == "CREATE VIEW " else {
                    throw EngineError("cannot copy view \(v.name): unexpected schema text")
                }
                try router.run("CREATE TEMP VIEW " + v.sql.dropFirst(12), [])
                made.append(ClusterEngine.copiedViewMark + v.name)
            }
        } catch {
            dropRouterCopies(made)
            throw error
        }
        return made
    }

    /// Drops the copies; one that cannot be dropped now (a statement still reads it) is
    /// dropped before the next statement, so it never hides the table from another.
    func dropRouterCopies(_ names: [String]) {
        staleRouterCopies = []
        for name in names.reversed() {
            do throws(EngineError) {
                if name.hasPrefix(ClusterEngine.copiedViewMark) {
                    try router.run("DROP VIEW IF EXISTS temp." + quoteIdentifier(String(name.dropFirst())), [])
                } else {
                    try router.run("DROP TABLE IF EXISTS temp." + quoteIdentifier(name), [])
                }
            } catch {
                staleRouterCopies.append(name)
            }
        }
    }

    /// Marks a temporary view among the names `makeRouterCopies` made.
    static let copiedViewMark = "\u{1}"

    /// The statement that fills a table's copy from the shards (its rows under their rowids;
    /// generated columns are computed by the copy's own definition).
    func routerCopyFill(_ info: TableInfo) -> String {
        let cols = info.columns.filter { !$0.isGenerated }.map { quoteIdentifier($0.name) }
        let list = (info.rowidAliasIndex == nil ? [info.rowidName] : []) + cols
        let q = quoteIdentifier(info.name)
        return "INSERT INTO temp.\(q) (\(list.joined(separator: ", "))) SELECT \(list.joined(separator: ", ")) FROM main.\(q)"
    }

    /// The plan (idxStr) of the fill's scan of a table: every column but the generated ones
    /// (EXPLAIN names the fill by it).
    static func routerCopyPlan(_ info: TableInfo) -> String {
        let count = info.columns.count
        guard count < 64 else { return "" }
        var used: UInt64 = 0
        for (i, c) in info.columns.enumerated() where !c.isGenerated { used |= UInt64(1) << UInt64(i) }
        return used == (UInt64(1) << UInt64(count)) - 1 ? "" : ";" + String(used, radix: 16)
    }

    /// Runs a router SELECT over copies of `tables` (see the top of this file); falls back to
    /// the scans when a copy cannot be made.
    func runOnRouterOverCopies(_ sql: String, _ toks: [Token], _ tables: [TableInfo]) throws(EngineError) -> StatementResult {
        var fills: [Statement] = []
        let made: [String]
        do throws(EngineError) {
            made = try makeRouterCopies(tables, views: routerViews(Tokens.scan(sql)))
        } catch {
            return try runOnRouter(sql, toks)
        }
        do throws(EngineError) {
            for info in tables { fills.append(try router.prepare(routerCopyFill(info))) }
        } catch {
            fills = []
            dropRouterCopies(made)
            return try runOnRouter(sql, toks)
        }
        defer {
            fills = []
            dropRouterCopies(made)
        }
        // Filled inside the statement's snapshot, so the copies hold what its scans would read.
        return try runOnRouter(sql, toks) { () throws(EngineError) in
            for f in fills {
                defer { f.reset() }
                while try f.step() {}
            }
        }
    }
}
