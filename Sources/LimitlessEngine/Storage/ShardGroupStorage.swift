import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// The files of one shard group: a router database and one SQLite database per shard,
/// in one folder the control plane gives us (`…/clusters/ID/data`).
///
/// This is the contract between the control plane and the engine: the control plane
/// decides *where*, the engine owns *what* is in the folder.
public enum ShardGroupStorage {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates the folder, the router database and `shardCount` shard databases.
    public static func create(directory: String, shardCount: Int, routerCount: Int) throws {
        try Files.makeDirectories(directory)
        for i in 1...shardCount {
            try initialize(Files.join(directory, shardFileName(i)))
        }
        // The router database last: its catalog (shard count, ranges, tables) says the group exists.
        let routerPath = Files.join(directory, "router.db")
        try initialize(routerPath)
        do {
            let db = try Database(path: routerPath)
            try Catalog.initialize(db, shardCount: shardCount, routerCount: routerCount)
        } catch {
            throw Error(description: "cannot create \(routerPath): \(error.message)")
        }
    }

    public static func shardFileName(_ index: Int) -> String {
        index < 10 ? "shard-0\(index).db" : "shard-\(index).db"
    }

    /// Names of the user tables in the shard group (any placement); empty when none.
    public static func userTableNames(directory: String) throws -> [String] {
        let path = Files.join(directory, "router.db")
        _ = Database.configured
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            defer { sqlite3_close_v2(db) }
            throw Error(description: "cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        var stmt: OpaquePointer?
        let sql = "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'limitless_%' ORDER BY name"
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw Error(description: String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(stmt) }
        var names: [String] = []
        while sqlite3_step(stmt) == SQLITE_ROW {
            names.append(String(cString: sqlite3_column_text(stmt, 0)))
        }
        return names
    }

    /// Removes the shard group's files.
    public static func remove(directory: String) throws {
        try Files.removeTree(directory)
    }

    static func initialize(_ path: String) throws {
        _ = Database.configured
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        defer { sqlite3_close_v2(db) }
        guard rc == SQLITE_OK, sqlite3_exec(db, "PRAGMA journal_mode=WAL", nil, nil, nil) == SQLITE_OK else {
            throw Error(description: "cannot create \(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        chmod(path, 0o600)
    }
}
