import CSQLite
import Foundation

struct SQLiteError: Error, Equatable { var message: String }

/// A small wrapper over an in-memory SQLite database for comparing behaviour.
final class SQLiteDB {
    var db: OpaquePointer?
    init() { sqlite3_open(":memory:", &db) }
    deinit { sqlite3_close(db) }

    /// Runs every statement of `sql`; returns rows rendered as strings, or an error message.
    func run(_ sql: String) -> Result<[[String]], SQLiteError> {
        var rows: [[String]] = []
        var remaining = sql
        while true {
            var stmt: OpaquePointer?
            var tailOffset = 0
            let rc: Int32 = remaining.withCString { base in
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(db, base, -1, &stmt, &tail)
                if let tail { tailOffset = base.distance(to: tail) }
                return rc
            }
            if rc != SQLITE_OK { return .failure(SQLiteError(message: String(cString: sqlite3_errmsg(db)))) }
            guard let s = stmt else {
                // only whitespace/comments left
                return .success(rows)
            }
            defer { sqlite3_finalize(s) }
            while true {
                let step = sqlite3_step(s)
                if step == SQLITE_ROW {
                    var row: [String] = []
                    for c in 0..<sqlite3_column_count(s) {
                        if let t = sqlite3_column_text(s, c) { row.append(String(cString: t)) } else { row.append("NULL") }
                    }
                    rows.append(row)
                } else if step == SQLITE_DONE {
                    break
                } else {
                    return .failure(SQLiteError(message: String(cString: sqlite3_errmsg(db))))
                }
            }
            let bytes = Array(remaining.utf8)
            if tailOffset >= bytes.count { return .success(rows) }
            remaining = String(decoding: bytes[tailOffset...], as: UTF8.self)
        }
    }

    /// Prepares (without running) the first statement: nil when SQLite accepts it.
    func prepareError(_ sql: String) -> String? {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        sqlite3_finalize(stmt)
        return rc == SQLITE_OK ? nil : String(cString: sqlite3_errmsg(db))
    }

    static func complete(_ s: String) -> Bool { sqlite3_complete(s) != 0 }
}
