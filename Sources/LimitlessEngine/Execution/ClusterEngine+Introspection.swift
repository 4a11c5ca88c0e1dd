import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// One relation as the interactive shell's `\d` lists it.
public struct RelationSummary: Sendable, Equatable {
    public var name: String
    /// `table`, `view` or `index`.
    public var type: String
    /// Where it lives: `sharded`, `reference` or `standard` (for an index, its table's).
    public var placement: String
    /// The table an index belongs to.
    public var table: String?
}

/// One column as `\d NAME` shows it.
public struct ColumnSummary: Sendable, Equatable {
    public var name: String
    public var type: String
    public var collation: String?
    public var notNull: Bool
    public var defaultValue: String?
    public var primaryKey: Bool
}

/// One index as `\d NAME` shows it.
public struct IndexSummary: Sendable, Equatable {
    public var name: String
    public var primaryKey: Bool
    public var unique: Bool
    /// The indexed columns or expressions, as written.
    public var definition: String
}

/// What `\d NAME` shows about a table or view.
public struct RelationDescription: Sendable, Equatable {
    public var name: String
    /// `table` or `view`.
    public var kind: String
    /// `sharded`, `reference` or `standard`.
    public var placement: String
    public var columns: [ColumnSummary]
    public var indexes: [IndexSummary]
    public var shardKey: [String]
    public var collocationID: Int64?
    /// Tables collocated with this one (same collocation group), itself excluded.
    public var collocatedWith: [String]
    public var viewDefinition: String?
}

/// Read-only views of the engine for the interactive shell, plus the session's Ctrl-C and
/// progress support.
extension ClusterEngine {
    public var routerCount: Int { catalog.routerCount }

    /// The shard files, in shard order.
    public var shardFiles: [String] {
        (0..<shardCount).map { Files.join(directory, ShardGroupStorage.shardFileName($0 + 1)) }
    }

    private func text(_ v: SQLValue) -> String? {
        if case let .text(s) = v { return s }
        return nil
    }

    /// Every user relation: distributed tables, standard tables, views and indexes, by name.
    public func relations() throws(EngineError) -> [RelationSummary] {
        var out: [RelationSummary] = []
        for t in catalog.tables.values {
            out.append(RelationSummary(name: t.name, type: "table", placement: t.placement.rawValue, table: nil))
        }
        let routerRows = try router.query("""
            SELECT type, name, tbl_name, sql FROM main.sqlite_schema
            WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'limitless\\_%' ESCAPE '\\'
            """)
        for r in routerRows {
            guard let type = text(r[0]), let name = text(r[1]) else { continue }
            let sql = text(r[3]) ?? ""
            switch type {
            case "table":
                if sql.uppercased().hasPrefix("CREATE VIRTUAL TABLE"), catalog.table(name) != nil { continue }
                out.append(RelationSummary(name: name, type: "table", placement: "standard", table: nil))
            case "view":
                out.append(RelationSummary(name: name, type: "view", placement: "standard", table: nil))
            case "index":
                out.append(RelationSummary(name: name, type: "index", placement: "standard", table: text(r[2])))
            default: continue
            }
        }
        if !catalog.tables.isEmpty {
            for r in try shard(1).query("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL") {
                guard let name = text(r[0]), let table = text(r[1]), let t = catalog.table(table) else { continue }
                out.append(RelationSummary(name: name, type: "index", placement: t.placement.rawValue, table: t.name))
            }
        }
        return out.sorted { ($0.name.lowercased(), $0.type) < ($1.name.lowercased(), $1.type) }
    }

    /// Columns, indexes and placement of a table or view; nil when there is none by that name.
    public func describeRelation(_ name: String) throws(EngineError) -> RelationDescription? {
        let info = catalog.table(name)
        let db: Database
        var realName = name
        var kind = "table"
        var viewSQL: String?
        if let info {
            db = try shard(1)
            realName = info.name
        } else {
            let r = try router.query("SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE", [.text(name)])
            guard let row = r.first, let type = text(row[0]), let n = text(row[1]) else { return nil }
            if n.lowercased().hasPrefix("limitless_") || n.lowercased().hasPrefix("sqlite_") { return nil }
            db = router
            realName = n
            kind = type
            if type == "view" { viewSQL = text(row[2]) }
        }
        var columns: [ColumnSummary] = []
        for r in try db.query("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)", [.text(realName)]) {
            guard let cname = text(r[0]) else { continue }
            if case let .integer(h) = r[5], h == 1 { continue }
            var notNull = false, pk = false
            if case let .integer(v) = r[2] { notNull = v != 0 }
            if case let .integer(v) = r[4] { pk = v != 0 }
            let coll = info?.columns.first { $0.name.lowercased() == cname.lowercased() }?.collation
            columns.append(ColumnSummary(name: cname, type: text(r[1]) ?? "", collation: coll.flatMap { $0.uppercased() == "BINARY" ? nil : $0 },
                                         notNull: notNull, defaultValue: text(r[3]), primaryKey: pk))
        }
        var indexes: [IndexSummary] = []
        if kind == "table" {
            for r in try db.query("SELECT name, \"unique\", origin FROM pragma_index_list(?)", [.text(realName)]) {
                guard let iname = text(r[0]) else { continue }
                var unique = false
                if case let .integer(u) = r[1] { unique = u != 0 }
                let origin = text(r[2]) ?? "c"
                var definition = ""
                let sqlRows = try db.query("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", [.text(iname)])
                if let sql = sqlRows.first.flatMap({ text($0[0]) }), let open = sql.firstIndex(of: "(") {
                    definition = String(sql[open...])
                } else {
                    let cols = try db.query("SELECT name FROM pragma_index_info(?)", [.text(iname)]).map { text($0[0]) ?? "<expression>" }
                    definition = "(" + cols.joined(separator: ", ") + ")"
                }
                indexes.append(IndexSummary(name: iname, primaryKey: origin == "pk", unique: unique, definition: definition))
            }
            indexes.sort { ($0.primaryKey ? 0 : 1, $0.name) < ($1.primaryKey ? 0 : 1, $1.name) }
        }
        var collocated: [String] = []
        if let info, info.placement == .sharded {
            collocated = catalog.tables.values.filter { $0.placement == .sharded && $0.collocationID == info.collocationID && $0.gid != info.gid }
                .map(\.name).sorted()
        }
        return RelationDescription(name: realName, kind: kind, placement: info?.placement.rawValue ?? "standard",
                                   columns: columns, indexes: indexes, shardKey: info?.shardKey ?? [],
                                   collocationID: info?.placement == .sharded ? info?.collocationID : nil,
                                   collocatedWith: collocated, viewDefinition: viewSQL)
    }

    /// Rows of a sharded or reference table on each shard (shard 1 first); nil for any other name.
    public func rowsPerShard(_ table: String) throws(EngineError) -> [Int]? {
        guard let info = catalog.table(table) else { return nil }
        var counts: [Int] = []
        for n in 1...catalog.shardCount {
            let r = try shard(n).query("SELECT count(*) FROM \(quoteIdentifier(info.name))")
            if case let .integer(c) = r.first?.first ?? .null { counts.append(Int(c)) } else { counts.append(0) }
        }
        return counts
    }

    /// Table and view names, and every column name, for tab completion (never throws: on any
    /// error it gives what it found).
    public func completionNames() -> (relations: [String], columns: [String]) {
        var rels = Set<String>(), cols = Set<String>()
        for t in catalog.tables.values {
            rels.insert(t.name)
            for c in t.columns where c.hidden == 0 { cols.insert(c.name) }
        }
        if let rows = try? router.query("""
            SELECT s.name, p.name FROM main.sqlite_schema AS s LEFT JOIN pragma_table_info(s.name) AS p
            WHERE s.type IN ('table', 'view') AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND s.name NOT LIKE 'limitless\\_%' ESCAPE '\\'
              AND s.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
            """) {
            for r in rows {
                if let n = text(r[0]) { rels.insert(n) }
                if let c = text(r[1]) { cols.insert(c) }
            }
        }
        return (rels.sorted(), cols.sorted())
    }

    // MARK: Ctrl-C and progress for the interactive shell

    /// Opens every shard, makes Ctrl-C interrupt the running statement on the router and on
    /// every shard (sqlite3_interrupt on each connection), and installs SQLite progress
    /// handlers that call `progress(elapsedSeconds, rowsWritten)` about five times a second
    /// once a statement has run for a second. Ctrl-C while no statement runs only counts
    /// (see `sigintCount`).
    public func enableInteractiveMonitoring(progress: @escaping (Double, Int64) -> Void) throws(EngineError) {
        for n in 1...catalog.shardCount { _ = try shard(n) }
        var handles: [OpaquePointer] = [router.handle]
        for n in 1...catalog.shardCount { if let db = shardConnections[n] { handles.append(db.handle) } }
        let buffer = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: handles.count)
        for (i, h) in handles.enumerated() { buffer[i] = h }
        monitorHandles = buffer
        monitorHandleCount = handles.count
        monitorProgress = progress
        for h in handles { sqlite3_progress_handler(h, 20_000, monitorCallback, nil) }
        _ = SignalShared.cells
        signal(SIGINT) { _ in
            // Only raw memory here (see SignalShared); monitorHandles is set before and never after.
            SignalShared.cells[1] &+= 1
            if SignalShared.cells[2] != 0 {
                SignalShared.cells[0] = 1
                if let handles = monitorHandles {
                    for i in 0..<monitorHandleCount { sqlite3_interrupt(handles[i]) }
                }
            }
        }
    }

    /// How many times SIGINT arrived since `enableInteractiveMonitoring`.
    public static var sigintCount: Int { SignalShared.cells[1] }

    /// Runs one statement under the monitor: Ctrl-C interrupts it, progress is reported.
    public func executeMonitored(_ sql: String) throws(EngineError) -> StatementResult? {
        ClusterEngine.interrupted = false
        monitorStart = Clock.monotonic()
        monitorLastReport = monitorStart
        monitorBaseline = totalChanges()
        SignalShared.cells[2] = 1
        defer {
            SignalShared.cells[2] = 0
            monitorStart = 0
        }
        return try execute(sql)
    }

    private func totalChanges() -> Int64 {
        var sum: Int64 = 0
        for i in 0..<monitorHandleCount { sum += sqlite3_total_changes64(monitorHandles?[i]) }
        return sum
    }

    fileprivate static func rowsWrittenSinceStart() -> Int64 {
        var sum: Int64 = 0
        for i in 0..<monitorHandleCount { sum += sqlite3_total_changes64(monitorHandles?[i]) }
        return sum - monitorBaseline
    }
}

nonisolated(unsafe) private var monitorHandles: UnsafeMutablePointer<OpaquePointer?>? = nil
nonisolated(unsafe) private var monitorHandleCount = 0
nonisolated(unsafe) private var monitorProgress: ((Double, Int64) -> Void)? = nil
nonisolated(unsafe) private var monitorStart = 0.0
nonisolated(unsafe) private var monitorLastReport = 0.0
nonisolated(unsafe) private var monitorBaseline: Int64 = 0

private func monitorCallback(_: UnsafeMutableRawPointer?) -> Int32 {
    if ClusterEngine.interrupted { return 1 }
    guard SignalShared.cells[2] != 0, monitorStart > 0 else { return 0 }
    let now = Clock.monotonic()
    if now - monitorStart >= 1, now - monitorLastReport >= 0.2 {
        monitorLastReport = now
        monitorProgress?(now - monitorStart, ClusterEngine.rowsWrittenSinceStart())
    }
    return 0
}
