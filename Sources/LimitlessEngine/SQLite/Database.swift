import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// An error from SQLite or from the engine, carried with a PostgreSQL SQLSTATE.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var code: String
    /// 1-based character offset into the statement for syntax errors (psql's `LINE n:` caret), when known.
    public var position: Int?
    public init(_ message: String, code: String = "XX000", position: Int? = nil) {
        self.message = message; self.code = code; self.position = position
    }
    public var description: String { message }

    static func featureNotSupported(_ m: String) -> EngineError { EngineError(m, code: "0A000") }
    static func invalidParameter(_ m: String) -> EngineError { EngineError(m, code: "22023") }
}

// Extended result codes are macros SQLite's header builds from expressions; Swift imports none.
let SQLITE_CONSTRAINT_CHECK: Int32 = 19 | (1 << 8)
let SQLITE_CONSTRAINT_FOREIGNKEY: Int32 = 19 | (3 << 8)
let SQLITE_CONSTRAINT_NOTNULL: Int32 = 19 | (5 << 8)
let SQLITE_CONSTRAINT_PRIMARYKEY: Int32 = 19 | (6 << 8)
let SQLITE_CONSTRAINT_UNIQUE: Int32 = 19 | (8 << 8)
let SQLITE_CONSTRAINT_ROWID: Int32 = 19 | (10 << 8)

/// SQLITE_TRANSIENT: SQLite copies bound text and blobs.
let SQLITE_TRANSIENT_PTR = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

/// A thin wrapper over one sqlite3 connection.
final class Database {
    let handle: OpaquePointer
    let path: String
    /// Set while this connection is a participant whose redo is captured: schema statements
    /// run through `exec` are recorded (row changes arrive through the pre-update hook).
    weak var capture: RedoCapture?
    /// How long a statement waits for another process's lock before failing.
    static let busyTimeoutMilliseconds: Int32 = 30_000

    /// Library-wide settings, applied once before the first connection (SQLite accepts them only
    /// before it initialises): no memory statistics, whose global mutex every allocation takes.
    static let configured: Bool = limitless_sqlite3_disable_memstatus() == SQLITE_OK

    init(path: String, create: Bool = false) throws(EngineError) {
        _ = Database.configured
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw EngineError("could not open \(path): \(msg)", code: "58030")
        }
        handle = db
        self.path = path
        limitless_sqlite3_busy_timeout(db, Database.busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        if walDescriptor >= 0 { close(walDescriptor) }
        preparedOnce.removeAll()  // they finalize themselves, before the connection closes
        queryCache.removeAll()
        var stmt = sqlite3_next_stmt(handle, nil)
        while let s = stmt { sqlite3_finalize(s); stmt = sqlite3_next_stmt(handle, nil) }
        sqlite3_close_v2(handle)
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ rc: Int32) -> EngineError {
        Database.translate(rc: rc, message: errorMessage, offset: Int(sqlite3_error_offset(handle)))
    }

    /// Runs one or more statements that return no rows.
    func exec(_ sql: String) throws(EngineError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(err)
            throw Database.translate(rc: rc, message: msg, offset: -1)
        }
        if let capture, Database.isSchemaStatement(sql) { capture.recordStatement(sql) }
    }

    func prepare(_ sql: String) throws(EngineError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc == SQLITE_OK ? SQLITE_MISUSE : rc) }
        return Statement(stmt, db: self)
    }

    /// All rows of a query, as values. The statement is prepared once per connection and text
    /// (a few dozen kept) — queries such as the per-statement check for unfinished commit
    /// decisions would otherwise spend most of their time in sqlite3_prepare. A statement
    /// already running (a query issued from inside another with the same text) is not shared.
    func query(_ sql: String, _ bindings: [SQLValue] = []) throws(EngineError) -> [[SQLValue]] {
        let s: Statement
        var kept = false
        if let c = queryCache[sql], !c.inUse {
            s = c
            kept = true
        } else {
            s = try prepare(sql)
            if queryCache[sql] == nil {
                if queryCache.count >= 64 { queryCache.removeAll() }
                queryCache[sql] = s
                kept = true
            }
        }
        if kept { s.inUse = true }
        defer { if kept { s.reset(); s.inUse = false } }
        try s.bind(bindings)
        var rows: [[SQLValue]] = []
        while try s.step() { rows.append(s.row()) }
        return rows
    }

    private var queryCache: [String: Statement] = [:]

    /// Statements the commit path runs on every transaction, prepared once per connection.
    private var preparedOnce: [String: Statement] = [:]
    /// The commit coordinator's marker table is known to exist here (set after a commit made it).
    var markerTableReady = false

    /// This connection's write-ahead log, opened on the first `syncWAL`. While the connection
    /// is open in WAL mode the file stays (SQLite removes it when the last connection closes).
    private var walDescriptor: Int32 = -1

    /// Makes what this connection committed durable: `fdatasync` of its write-ahead log, what
    /// SQLite does at commit with synchronous=FULL. For connections that commit with NORMAL.
    /// A sync that fails leaves a commit that may not survive a power cut, and a later sync
    /// cannot be trusted to cover it: like PostgreSQL's PANIC on a failed fsync, the process
    /// stops before the commit is acknowledged.
    func syncWAL() {
        if walDescriptor < 0 { walDescriptor = open(path + "-wal", O_RDWR | O_CLOEXEC) }
        if walDescriptor >= 0 && fdatasync(walDescriptor) == 0 { return }
        Console.err("limitless: PANIC: could not sync \(path)-wal: \(String(cString: strerror(errno)))\n")
        abort()
    }

    /// Runs a statement prepared once and kept for the connection's life.
    func runPrepared(_ sql: String, _ bindings: [SQLValue]) throws(EngineError) {
        let s: Statement
        if let cached = preparedOnce[sql] { s = cached } else {
            s = try prepare(sql)
            preparedOnce[sql] = s
        }
        defer { s.reset() }
        try s.bind(bindings)
        while try s.step() {}
    }

    func run(_ sql: String, _ bindings: [SQLValue]) throws(EngineError) {
        let s = try prepare(sql)
        try s.bind(bindings)
        while try s.step() {}
    }

    /// CREATE / DROP / ALTER (not of TEMP objects): schema changes that redo must repeat.
    static func isSchemaStatement(_ sql: String) -> Bool {
        let toks = Tokens.scan(sql, limit: 8)
        guard let first = toks.first, first.kind == .word else { return false }
        guard ["CREATE", "DROP", "ALTER"].contains(first.text) else { return false }
        if toks.count > 1 && (toks[1].isWord("TEMP") || toks[1].isWord("TEMPORARY")) { return false }
        // `DROP TABLE IF EXISTS temp.x`, `CREATE TABLE "temp".x`: the object's schema is TEMP.
        var i = 1
        if i < toks.count && (toks[i].isWord("UNIQUE") || toks[i].isWord("VIRTUAL")) { i += 1 }
        i += 1  // TABLE, INDEX, VIEW, TRIGGER
        if i < toks.count && toks[i].isWord("IF") {
            i += 1
            if i < toks.count && toks[i].isWord("NOT") { i += 1 }
            i += 1  // EXISTS
        }
        if i + 1 < toks.count, toks[i].isName, toks[i].text.uppercased() == "TEMP",
           toks[i + 1].kind == .punct, toks[i + 1].text == "." { return false }
        return true
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Maps a SQLite result code and message to a PostgreSQL SQLSTATE and message.
    static func translate(rc: Int32, message: String, offset: Int) -> EngineError {
        let primary = rc & 0xff
        func after(_ prefix: String) -> String? {
            message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : nil
        }
        if let name = after("no such savepoint: ") {
            return EngineError("savepoint \"\(name)\" does not exist", code: "3B001")
        }
        if primary == SQLITE_CONSTRAINT {
            switch rc {
            case SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_ROWID:
                return EngineError("duplicate key value violates unique constraint (\(message))", code: "23505")
            case SQLITE_CONSTRAINT_NOTNULL:
                if let rest = after("NOT NULL constraint failed: ") {
                    let parts = rest.split(separator: ".", maxSplits: 1)
                    if parts.count == 2 {
                        return EngineError("null value in column \"\(parts[1])\" of relation \"\(parts[0])\" violates not-null constraint", code: "23502")
                    }
                }
                return EngineError(message, code: "23502")
            case SQLITE_CONSTRAINT_CHECK:
                return EngineError("new row violates check constraint (\(message))", code: "23514")
            case SQLITE_CONSTRAINT_FOREIGNKEY:
                return EngineError(message, code: "23503")
            case SQLITE_CONSTRAINT | (3 << 8):   // SQLITE_CONSTRAINT_COMMITHOOK
                // The commit hook refused: a dead committer's decision still owes this participant
                // its part (CommitCoordinator); the client retries once recovery has run.
                return EngineError(CommitCoordinator.refusalMessage, code: "40001")
            default:
                // SQLite's bare "constraint failed" for a commit the hook refused: the same.
                if message == "constraint failed" {
                    return EngineError(CommitCoordinator.refusalMessage, code: "40001")
                }
                if message.contains("UNIQUE constraint failed") {
                    return EngineError("duplicate key value violates unique constraint (\(message))", code: "23505")
                }
                return EngineError(message, code: "23000")
            }
        }
        if let t = after("no such table: ") { return EngineError("relation \"\(t)\" does not exist", code: "42P01") }
        if let t = after("no such view: ") { return EngineError("view \"\(t)\" does not exist", code: "42P01") }
        if let t = after("no such index: ") { return EngineError("index \"\(t)\" does not exist", code: "42704") }
        if let t = after("no such trigger: ") { return EngineError("trigger \"\(t)\" does not exist", code: "42704") }
        // Where SQLite knows the spot (sqlite3_error_offset), psql shows it under the statement.
        let spot = offset >= 0 ? offset + 1 : nil
        if let c = after("no such column: ") { return EngineError("column \"\(c)\" does not exist", code: "42703", position: spot) }
        if let c = after("ambiguous column name: ") { return EngineError("column reference \"\(c)\" is ambiguous", code: "42702", position: spot) }
        if let f = after("no such function: ") { return EngineError("function \(f) does not exist", code: "42883", position: spot) }
        if message.hasPrefix("table ") && message.hasSuffix(" already exists") {
            let name = message.dropFirst(6).dropLast(15)
            return EngineError("relation \"\(name)\" already exists", code: "42P07")
        }
        if message.hasPrefix("index ") && message.hasSuffix(" already exists") {
            let name = message.dropFirst(6).dropLast(15)
            return EngineError("relation \"\(name)\" already exists", code: "42P07")
        }
        if message.hasPrefix("near \""), message.hasSuffix("\": syntax error") {
            let token = message.dropFirst(6).dropLast(15)
            return EngineError("syntax error at or near \"\(token)\"", code: "42601", position: offset >= 0 ? offset + 1 : nil)
        }
        if message == "incomplete input" {
            return EngineError("syntax error at end of input", code: "42601", position: offset >= 0 ? offset + 1 : nil)
        }
        if message.contains("syntax error") || message.hasPrefix("unrecognized token") || message == "incomplete input" {
            return EngineError(message, code: "42601", position: offset >= 0 ? offset + 1 : nil)
        }
        if message.hasPrefix("misuse of aggregate") || message.hasPrefix("wrong number of arguments") {
            return EngineError(message, code: "42803")
        }
        if message.contains("has no column named") { return EngineError(message, code: "42703") }
        if message.contains("may not be modified") || message.contains("cannot modify") {
            return EngineError(message, code: "0A000")
        }
        if primary == SQLITE_TOOBIG { return EngineError(message, code: "54000") }
        if rc == SQLITE_BUSY | (2 << 8) {  // SQLITE_BUSY_SNAPSHOT (a macro Swift does not import)
            return EngineError("could not serialize access due to concurrent update", code: "40001")
        }
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED {
            // Another process held the lock for longer than the busy timeout: PostgreSQL's
            // lock_timeout error, not SQLite's "database is locked".
            return EngineError("canceling statement due to lock timeout", code: "55P03")
        }
        if primary == SQLITE_INTERRUPT { return EngineError("canceling statement due to user request", code: "57014") }
        if primary == SQLITE_ERROR { return EngineError(message, code: "42000") }
        return EngineError(message, code: "XX000")
    }
}

/// A prepared statement. Not thread-safe; owned by one connection.
final class Statement {
    let handle: OpaquePointer
    unowned let db: Database
    /// Set while `Database.query` runs this (kept) statement.
    var inUse = false

    init(_ handle: OpaquePointer, db: Database) {
        self.handle = handle; self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    var columnCount: Int { Int(sqlite3_column_count(handle)) }
    func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(i))) }
    var columnNames: [String] { (0..<columnCount).map(columnName) }
    var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    func reset() { sqlite3_reset(handle); sqlite3_clear_bindings(handle) }

    func bind(_ values: [SQLValue]) throws(EngineError) {
        for (i, v) in values.enumerated() { try bind(v, at: i + 1) }
    }

    func bind(_ value: SQLValue, at index: Int) throws(EngineError) {
        let i = Int32(index)
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, i)
        case let .integer(v): rc = sqlite3_bind_int64(handle, i, v)
        case let .real(v): rc = sqlite3_bind_double(handle, i, v)
        case let .text(s):
            // With its byte length: text may hold NUL characters, which a C string would end at.
            var t = s
            rc = t.withUTF8 { u -> Int32 in
                guard let base = u.baseAddress, u.count > 0 else { return sqlite3_bind_text(handle, i, "", 0, SQLITE_TRANSIENT_PTR) }
                return base.withMemoryRebound(to: CChar.self, capacity: u.count) {
                    sqlite3_bind_text(handle, i, $0, Int32(u.count), SQLITE_TRANSIENT_PTR)
                }
            }
        case let .blob(b):
            rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, i, $0.baseAddress, Int32(b.count), SQLITE_TRANSIENT_PTR) }
        }
        if rc != SQLITE_OK { throw db.error(rc) }
    }

    func bindValue(_ value: OpaquePointer?, at index: Int) {
        sqlite3_bind_value(handle, Int32(index), value)
    }

    /// Advances; true while a row is available.
    func step() throws(EngineError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = db.error(rc)
        sqlite3_reset(handle)
        throw e
    }

    func value(_ i: Int) -> SQLValue {
        let c = Int32(i)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, c))
        case SQLITE_TEXT:
            let n = Int(sqlite3_column_bytes(handle, c))
            guard let p = sqlite3_column_text(handle, c) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(handle, c))
            guard n > 0, let p = sqlite3_column_blob(handle, c) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }

    func row() -> [SQLValue] {
        let n = Int(sqlite3_column_count(handle))
        var out: [SQLValue] = []
        out.reserveCapacity(n)
        for i in 0..<n { out.append(value(i)) }
        return out
    }

    func isInteger(_ i: Int) -> Bool { sqlite3_column_type(handle, Int32(i)) == SQLITE_INTEGER }
    func int64(_ i: Int) -> Int64 { sqlite3_column_int64(handle, Int32(i)) }
}

extension SQLValue {
    /// A value from an sqlite3_value (as handed to virtual-table callbacks).
    init(sqliteValue v: OpaquePointer?) {
        switch sqlite3_value_type(v) {
        case SQLITE_INTEGER: self = .integer(sqlite3_value_int64(v))
        case SQLITE_FLOAT: self = .real(sqlite3_value_double(v))
        case SQLITE_TEXT:
            let n = Int(sqlite3_value_bytes(v))
            if let p = sqlite3_value_text(v) {
                self = .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
            } else { self = .text("") }
        case SQLITE_BLOB:
            let n = Int(sqlite3_value_bytes(v))
            if n > 0, let p = sqlite3_value_blob(v) {
                self = .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
            } else { self = .blob([]) }
        default: self = .null
        }
    }
}

/// Quotes an identifier for SQLite: "name" with embedded quotes doubled.
func quoteIdentifier(_ s: String) -> String {
    "\"" + s.replacingAll("\"", "\"\"") + "\""
}

func quoteLiteral(_ s: String) -> String {
    "'" + s.replacingAll("'", "''") + "'"
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
