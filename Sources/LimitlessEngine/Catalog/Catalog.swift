import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// How a table is placed.
public enum TablePlacement: String, Sendable {
    case standard, sharded, reference
}

/// One column of a distributed table, as the shards declare it.
public struct ColumnInfo: Sendable, Equatable {
    public var name: String
    public var declaredType: String
    public var collation: String
    public var notNull: Bool
    public var primaryKeyPosition: Int
    /// table_xinfo's `hidden`: 0 normal, 2/3 generated (never written).
    public var hidden: Int
    /// The DEFAULT expression as SQLite keeps it (`pragma_table_xinfo.dflt_value`), or nil.
    public var defaultSQL: String? = nil
    public var affinity: Affinity { Affinity(declaredType: declaredType) }
    var isGenerated: Bool { hidden == 2 || hidden == 3 }
}

/// SQLite's built-in collations, as the engine reproduces them: merging sorted shard streams,
/// and hashing a shard key so values its collation calls equal share a shard.
enum BuiltinCollation: Sendable, Equatable {
    case binary
    case nocase    // ASCII letters compare without case
    case rtrim     // trailing spaces are ignored

    init?(_ name: String) {
        switch name.uppercased() {
        case "BINARY": self = .binary
        case "NOCASE": self = .nocase
        case "RTRIM": self = .rtrim
        default: return nil
        }
    }

    /// NOCASE's view of a byte: ASCII upper-case letters as lower-case.
    @inline(__always) static func foldCase(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

    /// The text this collation calls equal to every text it calls equal to `s`.
    func fold(_ s: String) -> String {
        switch self {
        case .binary: return s
        case .nocase:
            guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
            return String(decoding: s.utf8.map(BuiltinCollation.foldCase), as: UTF8.self)
        case .rtrim:
            var bytes = Array(s.utf8)
            while bytes.last == 0x20 { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// A sharded or reference table: its columns and, when sharded, its key and collocation group.
public final class TableInfo: @unchecked Sendable {
    public var gid: Int64
    public var name: String
    public var placement: TablePlacement
    public var shardKey: [String]
    public var collocationID: Int64
    public var columns: [ColumnInfo]
    var keyIndexes: [Int] = []
    /// For each key column, how its collation folds text before the key is hashed (see
    /// `ClusterEngine.shard(forKey:of:)`); empty when every key column is BINARY.
    var keyFolds: [BuiltinCollation] = []
    /// The name that reaches the rowid in SQL sent to the shards: `rowid`, unless a column has
    /// that name (then `_rowid_`, then `oid`, as SQLite resolves them).
    var rowidName = "rowid"

    init(gid: Int64, name: String, placement: TablePlacement, shardKey: [String], collocationID: Int64, columns: [ColumnInfo]) {
        self.gid = gid; self.name = name; self.placement = placement
        self.shardKey = shardKey; self.collocationID = collocationID; self.columns = columns
        resolveKey()
    }

    func resolveKey() {
        keyIndexes = shardKey.compactMap { k in columns.firstIndex { $0.name.lowercased() == k.lowercased() } }
        let folds = keyIndexes.map { BuiltinCollation(columns[$0].collation) ?? .binary }
        keyFolds = folds.allSatisfy { $0 == .binary } ? [] : folds
        rowidName = TableInfo.rowidName(columns.map(\.name))
    }

    /// The first of SQLite's names for the rowid that no column of `columns` takes.
    static func rowidName(_ columns: [String]) -> String {
        let taken = Set(columns.map { $0.lowercased() })
        return ["rowid", "_rowid_", "oid"].first { !taken.contains($0) } ?? "rowid"
    }

    /// The column that is an alias of the rowid (a lone `INTEGER PRIMARY KEY`), if any.
    var rowidAliasIndex: Int? {
        let pks = columns.indices.filter { columns[$0].primaryKeyPosition > 0 }
        guard pks.count == 1, columns[pks[0]].declaredType.uppercased() == "INTEGER" else { return nil }
        return pks[0]
    }

    func columnIndex(_ name: String) -> Int? {
        columns.firstIndex { $0.name.lowercased() == name.lowercased() }
    }

    /// `HASH (a, b)` as rds_aurora.limitless_tables shows it.
    var distributionKey: String? {
        placement == .sharded ? "HASH (" + shardKey.joined(separator: ", ") + ")" : nil
    }

    /// The column list as stored in the catalog: one JSON object per column.
    var columnsJSON: String {
        JSON.array(columns.map { c in
            JSON.object([("name", .string(c.name)), ("type", .string(c.declaredType)),
                         ("collation", .string(c.collation)), ("notnull", .bool(c.notNull)),
                         ("pk", .int(Int64(c.primaryKeyPosition))), ("hidden", .int(Int64(c.hidden))),
                         ("default", c.defaultSQL.map { .string($0) } ?? .null)])
        }).serialized()
    }

    static func columns(fromJSON text: String) -> [ColumnInfo] {
        guard let arr = try? JSON.parse(text).arrayValue else { return [] }
        return arr.map { o in
            ColumnInfo(name: o["name"]?.stringValue ?? "", declaredType: o["type"]?.stringValue ?? "",
                       collation: o["collation"]?.stringValue ?? "BINARY", notNull: o["notnull"]?.boolValue ?? false,
                       primaryKeyPosition: Int(o["pk"]?.intValue ?? 0), hidden: Int(o["hidden"]?.intValue ?? 0),
                       defaultSQL: o["default"]?.stringValue)
        }
    }

    /// The CREATE TABLE the virtual table declares to SQLite: same names, declared types and
    /// collations as the shards' table, so affinity and comparisons behave alike.
    var virtualTableDeclaration: String {
        "CREATE TABLE x(" + columns.map { c in
            var d = quoteIdentifier(c.name)
            if !c.declaredType.isEmpty { d += " " + c.declaredType }
            if c.collation.uppercased() != "BINARY" { d += " COLLATE " + c.collation }
            // The router evaluates DEFAULT for the columns an INSERT leaves out.
            if let dflt = c.defaultSQL, !c.isGenerated { d += " DEFAULT (" + dflt + ")" }
            return d
        }.joined(separator: ", ") + ")"
    }
}

/// The distributed catalog, kept in router.db's `limitless_*` tables.
///
///   limitless_meta(key, value)                      shard_count, router_count, format
///   limitless_tables(table_gid, name, placement, shard_key, collocation_id, columns)
///   limitless_ranges(collocation_id, lower_bound, upper_bound, shard)
final class Catalog {
    static let slicesPerGroup = 512
    static let schema = """
        CREATE TABLE IF NOT EXISTS limitless_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS limitless_tables(
            table_gid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            placement TEXT NOT NULL, shard_key TEXT NOT NULL, collocation_id INTEGER NOT NULL,
            columns TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS limitless_ranges(
            collocation_id INTEGER NOT NULL, lower_bound INTEGER NOT NULL, upper_bound INTEGER NOT NULL,
            shard INTEGER NOT NULL, PRIMARY KEY(collocation_id, lower_bound));
        """

    var shardCount = 0
    var routerCount = 1
    var tables: [String: TableInfo] = [:]   // by lower-cased name
    /// The hash ranges of each collocation group, read from router.db on first use after a
    /// `load` (a start-up that places no row — `SELECT 1` — never reads them).
    var rangeMaps: [Int64: RangeMap] {
        get {
            if let db = rangeSource {
                rangeSource = nil
                do { try load(routerRangesOnly: db) } catch {
                    Catalog.stop("could not read the hash ranges from \(db.path): \(error.message)")   // see rangeMap
                }
            }
            return loadedRangeMaps
        }
        set { loadedRangeMaps = newValue }
    }
    private var loadedRangeMaps: [Int64: RangeMap] = [:]

    /// The ranges of collocation group `id`, which every sharded table has. Without them every
    /// key would be placed on shard 1 — rows written to the wrong shard, reads that miss them —
    /// so a catalog that lacks them (damaged) stops the process instead, naming the cause (what
    /// it had not committed rolls back).
    func rangeMap(_ id: Int64) -> RangeMap {
        if let map = rangeMaps[id] { return map }
        Catalog.stop("router.db has no hash ranges for collocation group \(id)")
    }

    static func stop(_ why: String) -> Never {
        Console.err("limitless: the shard group's catalog is damaged: \(why)\n")
        exit(2)
    }
    private var rangeSource: Database?

    func table(_ name: String) -> TableInfo? { tables[name.lowercased()] }

    func load(_ db: Database) throws(EngineError) {
        try db.exec(Catalog.schema)
        var meta: [String: String] = [:]
        for row in try db.query("SELECT key, value FROM limitless_meta") {
            if case let .text(k) = row[0], case let .text(v) = row[1] { meta[k] = v }
        }
        shardCount = Int(meta["shard_count"] ?? "") ?? 0
        routerCount = Int(meta["router_count"] ?? "") ?? 1
        tables = [:]
        for row in try db.query("SELECT table_gid, name, placement, shard_key, collocation_id, columns FROM limitless_tables") {
            guard case let .integer(gid) = row[0], case let .text(name) = row[1], case let .text(p) = row[2],
                  case let .text(key) = row[3], case let .integer(coll) = row[4], case let .text(cols) = row[5] else { continue }
            let keys = (try? JSON.parse(key).arrayValue?.compactMap { $0.stringValue }) ?? []
            tables[name.lowercased()] = TableInfo(gid: gid, name: name, placement: TablePlacement(rawValue: p) ?? .reference,
                                                  shardKey: keys, collocationID: coll, columns: TableInfo.columns(fromJSON: cols))
        }
        loadedRangeMaps = [:]
        rangeSource = db
    }

    /// Writes the initial catalog of a new shard group.
    static func initialize(_ db: Database, shardCount: Int, routerCount: Int) throws(EngineError) {
        try db.exec(schema)
        try db.run("INSERT OR REPLACE INTO limitless_meta VALUES('shard_count', ?), ('router_count', ?), ('format', '1')",
                   [.text(String(shardCount)), .text(String(routerCount))])
    }

    func insert(_ t: TableInfo, db: Database) throws(EngineError) {
        let keyJSON = JSON.array(t.shardKey.map { .string($0) }).serialized()
        try db.run("INSERT INTO limitless_tables(table_gid, name, placement, shard_key, collocation_id, columns) VALUES(?,?,?,?,?,?)",
                   [.integer(t.gid), .text(t.name), .text(t.placement.rawValue), .text(keyJSON), .integer(t.collocationID), .text(t.columnsJSON)])
    }

    func update(_ t: TableInfo, oldName: String, db: Database) throws(EngineError) {
        let keyJSON = JSON.array(t.shardKey.map { .string($0) }).serialized()
        try db.run("UPDATE limitless_tables SET name = ?, columns = ?, shard_key = ? WHERE name = ?",
                   [.text(t.name), .text(t.columnsJSON), .text(keyJSON), .text(oldName)])
    }

    /// Reloads only the range maps (after a new collocation group was written).
    func load(routerRangesOnly db: Database) throws(EngineError) {
        rangeSource = nil
        var grouped: [Int64: [HashRange]] = [:]
        // Read in place (512 rows per collocation group, at every start-up): no boxed values.
        // Table order (no ORDER BY: walking the primary-key index costs a table seek per row),
        // then sorted here, which is cheap on rows already nearly in order.
        let s = try db.prepare("SELECT collocation_id, lower_bound, upper_bound, shard FROM limitless_ranges")
        while try s.step() {
            guard s.isInteger(0), s.isInteger(1), s.isInteger(2), s.isInteger(3) else { continue }
            grouped[s.int64(0), default: []].append(HashRange(lower: s.int64(1), upper: s.int64(2), shard: Int(s.int64(3))))
        }
        rangeMaps = [:]
        for (c, r) in grouped { rangeMaps[c] = RangeMap(ranges: r.sorted { $0.lower < $1.lower }) }
    }

    func delete(_ name: String, db: Database) throws(EngineError) {
        try db.run("DELETE FROM limitless_tables WHERE name = ?", [.text(name)])
    }

    func nextGID(_ db: Database) throws(EngineError) -> Int64 {
        let r = try db.query("SELECT coalesce(max(table_gid), 0) + 1 FROM limitless_tables")
        if case let .integer(v) = r.first?.first ?? .null { return v }
        return 1
    }

    /// A new collocation group with its own ranges; returns its id.
    func newCollocationGroup(_ db: Database) throws(EngineError) -> Int64 {
        let r = try db.query("SELECT coalesce(max(collocation_id), 0) + 1 FROM limitless_ranges")
        guard case let .integer(id) = r.first?.first ?? .null else { return 1 }
        let map = RangeMap.uniform(slices: Catalog.slicesPerGroup, shardCount: max(shardCount, 1))
        let s = try db.prepare("INSERT INTO limitless_ranges VALUES(?,?,?,?)")
        for range in map.ranges {
            s.reset()
            try s.bind([.integer(id), .integer(range.lower), .integer(range.upper), .integer(Int64(range.shard))])
            while try s.step() {}
        }
        return id
    }
}
