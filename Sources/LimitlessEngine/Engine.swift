import CSQLite
import SQLSyntax
import LimitlessSupport

/// Storage, catalog, placement, planner and executor. See issues 4-6.
public enum LimitlessEngine {
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }
}
