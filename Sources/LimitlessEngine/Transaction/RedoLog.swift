import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// One change a participant made inside a transaction, as much as it takes to do it again.
///
/// SQLite has no PREPARE TRANSACTION: a participant's open transaction dies with its process.
/// So before the commit decision is written, each participant's changes are captured as redo
/// records; the decision carries them, and recovery replays them on a participant whose commit
/// did not happen. (SQLite's session extension would record changesets, but only for tables
/// with a PRIMARY KEY and without schema changes; the pre-update hook sees every row change of
/// every table, and schema statements are recorded as their SQL.)
enum RedoRecord: Equatable {
    /// A row written: for rowid tables `oldRowid` is the row it replaced (nil for a fresh
    /// insert), for WITHOUT ROWID tables `oldKey` holds the old row's values instead.
    case insert(table: String, rowid: Int64?, values: [SQLValue])
    case update(table: String, oldRowid: Int64?, oldValues: [SQLValue], rowid: Int64?, values: [SQLValue])
    case delete(table: String, rowid: Int64?, oldValues: [SQLValue])
    /// A schema statement (CREATE / DROP / ALTER …), replayed as SQL.
    case statement(String)
}

/// A participant's redo as the decision stores it: `count` records, encoded one after another
/// in `body` (RedoCodec's record format, without the header).
struct RedoPayload: Equatable {
    var count: Int
    var body: [UInt8]

    init(count: Int, body: [UInt8]) { self.count = count; self.body = body }
    init(_ records: [RedoRecord]) {
        let bytes = RedoCodec.encode(records)
        var r = RedoCodec.Reader(bytes: bytes)
        _ = try? r.byte(); _ = try? r.varint()
        self.init(count: records.count, body: Array(bytes[r.i...]))
    }
    var isEmpty: Bool { count == 0 }
    /// RedoCodec's header (version, record count).
    var header: [UInt8] {
        var out: [UInt8] = [RedoCodec.version]
        RedoCodec.putVarint(&out, UInt64(count))
        return out
    }
    /// Header and records: what `RedoCodec.decode` reads.
    var encoded: [UInt8] { header + body }
    /// The records decoded (tests, diagnostics).
    var records: [RedoRecord] { (try? RedoCodec.decode(encoded)) ?? [] }
}

/// Records the row changes a connection makes while it is attached, through SQLite's
/// pre-update hook (`sqlite3_preupdate_hook`). Each change is encoded into bytes as it happens
/// (no per-row objects): a bulk load captures hundreds of thousands of rows. A row of a rowid
/// table is named by its rowid alone when it is deleted or replaced (replay deletes by rowid),
/// so old values are captured only for WITHOUT ROWID tables, whose key is in them.
final class RedoCapture {
    let db: Database
    /// The encoded records.
    private(set) var body: [UInt8] = []
    /// Where each record starts in `body`.
    private var starts: [Int] = []
    /// Tables whose rows are addressed by rowid (as opposed to WITHOUT ROWID tables).
    private var hasRowid: [String: Bool] = [:]
    /// The table of the previous change (NUL-terminated), its encoded name and kind: rows come
    /// in runs of one table.
    private var lastTable: [CChar] = [0]
    private var lastTableEncoded: [UInt8] = []
    private var lastTableRowid = true
    private var attached = false

    init(db: Database) { self.db = db }

    deinit { detach() }

    var count: Int { starts.count }
    var isEmpty: Bool { starts.isEmpty }
    var payload: RedoPayload { RedoPayload(count: starts.count, body: body) }
    /// The records decoded (tests, diagnostics).
    var records: [RedoRecord] { payload.records }

    func attach() {
        guard !attached else { return }
        attached = true
        let me = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_preupdate_hook(db.handle, { ctx, handle, op, zDb, zTable, key1, key2 in
            guard let ctx, let handle, let zDb, let zTable else { return }
            let capture = Unmanaged<RedoCapture>.fromOpaque(ctx).takeUnretainedValue()
            // Only the participant's own database; TEMP objects and attached files are not its
            // state, nor are the commit markers (recovery writes its own).
            guard strcmp(zDb, "main") == 0, strcmp(zTable, "limitless_applied") != 0 else { return }
            capture.record(handle, op: op, table: zTable, key1: key1, key2: key2)
        }, me)
    }

    func detach() {
        guard attached else { return }
        attached = false
        sqlite3_preupdate_hook(db.handle, nil, nil)
    }

    /// Forgets what was recorded (a new transaction starts).
    func reset() {
        body.removeAll(keepingCapacity: body.count <= 1 << 20)
        starts.removeAll(keepingCapacity: starts.count <= 1 << 16)
    }

    /// Records a schema statement the participant ran.
    func recordStatement(_ sql: String) {
        starts.append(body.count)
        body.append(4)
        RedoCodec.putString(&body, sql)
        // The statement may create, drop or alter a table: look its kind up again.
        hasRowid.removeAll()
        lastTable = [0]
    }

    /// Drops the records after `count` (ROLLBACK TO a savepoint taken when there were `count`).
    func truncate(to count: Int) {
        guard starts.count > count else { return }
        body.removeSubrange(starts[count]...)
        starts.removeSubrange(count...)
    }

    private func rowidTable(_ handle: OpaquePointer, _ table: String) -> Bool {
        if let known = hasRowid[table] { return known }
        // `sqlite3_table_column_metadata` on "rowid" succeeds only for tables that have one.
        var type: UnsafePointer<CChar>?, coll: UnsafePointer<CChar>?
        var notNull: Int32 = 0, pk: Int32 = 0, autoinc: Int32 = 0
        let rc = sqlite3_table_column_metadata(handle, "main", table, "rowid", &type, &coll, &notNull, &pk, &autoinc)
        let has = rc == SQLITE_OK
        hasRowid[table] = has
        return has
    }

    private func record(_ handle: OpaquePointer, op: Int32, table zTable: UnsafePointer<CChar>, key1: Int64, key2: Int64) {
        let same = lastTable.withUnsafeBufferPointer { strcmp($0.baseAddress!, zTable) == 0 }
        if !same {
            let name = String(cString: zTable)
            lastTable = Array(name.utf8CString)
            lastTableEncoded.removeAll()
            RedoCodec.putString(&lastTableEncoded, name)
            lastTableRowid = rowidTable(handle, name)
        }
        // Appends go to a local array (moved out and back, not copied): each append to the
        // stored property would pay an exclusivity check.
        var out: [UInt8] = []
        swap(&out, &body)
        defer { swap(&out, &body) }
        let rowid = lastTableRowid
        switch op {
        case SQLITE_INSERT:
            starts.append(out.count)
            out.append(1); out.append(contentsOf: lastTableEncoded)
            RedoCapture.putKey(&out, rowid ? key2 : nil)
            RedoCapture.putRow(&out, handle, new: true)
        case SQLITE_DELETE:
            starts.append(out.count)
            out.append(3); out.append(contentsOf: lastTableEncoded)
            RedoCapture.putKey(&out, rowid ? key1 : nil)
            if rowid { out.append(0) } else { RedoCapture.putRow(&out, handle, new: false) }
        case SQLITE_UPDATE:
            starts.append(out.count)
            out.append(2); out.append(contentsOf: lastTableEncoded)
            RedoCapture.putKey(&out, rowid ? key1 : nil)
            if rowid { out.append(0) } else { RedoCapture.putRow(&out, handle, new: false) }
            RedoCapture.putKey(&out, rowid ? key2 : nil)
            RedoCapture.putRow(&out, handle, new: true)
        default:
            break
        }
    }

    private static func putKey(_ out: inout [UInt8], _ key: Int64?) {
        if let key { out.append(1); RedoCodec.putVarint(&out, UInt64(bitPattern: key)) } else { out.append(0) }
    }

    /// The row's new (or old) values, as RedoCodec's value list.
    private static func putRow(_ out: inout [UInt8], _ handle: OpaquePointer, new: Bool) {
        let n = sqlite3_preupdate_count(handle)
        RedoCodec.putVarint(&out, UInt64(n))
        for i in 0..<n {
            var v: OpaquePointer?
            let rc = new ? sqlite3_preupdate_new(handle, i, &v) : sqlite3_preupdate_old(handle, i, &v)
            put(&out, rc == SQLITE_OK ? v : nil)
        }
    }

    /// Appends one value in RedoCodec's value format, straight from SQLite's value.
    static func put(_ out: inout [UInt8], _ v: OpaquePointer?) {
        guard let v else { out.append(0); return }
        switch sqlite3_value_type(v) {
        case SQLITE_INTEGER:
            out.append(1); RedoCodec.putVarint(&out, UInt64(bitPattern: sqlite3_value_int64(v)))
        case SQLITE_FLOAT:
            out.append(2); RedoCodec.putVarint(&out, sqlite3_value_double(v).bitPattern)
        case SQLITE_TEXT:
            // The text's bytes through value_blob: value_text would first copy it to add a NUL.
            let p = sqlite3_value_blob(v)
            let n = Int(sqlite3_value_bytes(v))
            out.append(3); RedoCodec.putVarint(&out, UInt64(n))
            if let p, n > 0 { out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n)) }
        case SQLITE_BLOB:
            let p = sqlite3_value_blob(v)
            let n = Int(sqlite3_value_bytes(v))
            out.append(4); RedoCodec.putVarint(&out, UInt64(n))
            if let p, n > 0 { out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n)) }
        default:
            out.append(0)
        }
    }
}

// MARK: - Encoding

/// A compact, versioned byte encoding of redo records (stored in the coordinator's decision).
enum RedoCodec {
    static let version: UInt8 = 1

    static func encode(_ records: [RedoRecord]) -> [UInt8] {
        var out: [UInt8] = [version]
        putVarint(&out, UInt64(records.count))
        for r in records {
            switch r {
            case let .insert(t, rowid, values):
                out.append(1); putString(&out, t); putOptional(&out, rowid); putValues(&out, values)
            case let .update(t, oldRowid, oldValues, rowid, values):
                out.append(2); putString(&out, t); putOptional(&out, oldRowid); putValues(&out, oldValues)
                putOptional(&out, rowid); putValues(&out, values)
            case let .delete(t, rowid, oldValues):
                out.append(3); putString(&out, t); putOptional(&out, rowid); putValues(&out, oldValues)
            case let .statement(sql):
                out.append(4); putString(&out, sql)
            }
        }
        return out
    }

    struct Reader {
        let bytes: [UInt8]
        var i = 0
        mutating func byte() throws(EngineError) -> UInt8 {
            guard i < bytes.count else { throw EngineError("damaged redo record", code: "XX001") }
            defer { i += 1 }
            return bytes[i]
        }
        mutating func varint() throws(EngineError) -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                v |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
                if shift > 63 { throw EngineError("damaged redo record", code: "XX001") }
            }
        }
        mutating func raw(_ n: Int) throws(EngineError) -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw EngineError("damaged redo record", code: "XX001") }
            defer { i += n }
            return bytes[i..<i + n]
        }
        mutating func string() throws(EngineError) -> String {
            String(decoding: try raw(Int(try varint())), as: UTF8.self)
        }
        mutating func int64() throws(EngineError) -> Int64 {
            Int64(bitPattern: try varint())
        }
        mutating func optional() throws(EngineError) -> Int64? {
            try byte() == 0 ? nil : try int64()
        }
        mutating func values() throws(EngineError) -> [SQLValue] {
            let n = Int(try varint())
            var out: [SQLValue] = []
            for _ in 0..<n {
                switch try byte() {
                case 0: out.append(.null)
                case 1: out.append(.integer(try int64()))
                case 2: out.append(.real(Double(bitPattern: try varint())))
                case 3: out.append(.text(try string()))
                case 4: out.append(.blob(Array(try raw(Int(try varint())))))
                default: throw EngineError("damaged redo record", code: "XX001")
                }
            }
            return out
        }
    }

    static func decode(_ bytes: [UInt8]) throws(EngineError) -> [RedoRecord] {
        var r = Reader(bytes: bytes)
        guard try r.byte() == version else { throw EngineError("unknown redo record version", code: "XX001") }
        let count = Int(try r.varint())
        var out: [RedoRecord] = []
        for _ in 0..<count {
            switch try r.byte() {
            case 1: out.append(.insert(table: try r.string(), rowid: try r.optional(), values: try r.values()))
            case 2:
                let t = try r.string(), oldRowid = try r.optional(), oldValues = try r.values()
                out.append(.update(table: t, oldRowid: oldRowid, oldValues: oldValues, rowid: try r.optional(), values: try r.values()))
            case 3: out.append(.delete(table: try r.string(), rowid: try r.optional(), oldValues: try r.values()))
            case 4: out.append(.statement(try r.string()))
            default: throw EngineError("damaged redo record", code: "XX001")
            }
        }
        return out
    }

    static func putVarint(_ out: inout [UInt8], _ value: UInt64) {
        var v = value
        while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }
    static func putString(_ out: inout [UInt8], _ s: String) {
        putVarint(&out, UInt64(s.utf8.count)); out.append(contentsOf: s.utf8)
    }
    static func putOptional(_ out: inout [UInt8], _ v: Int64?) {
        if let v { out.append(1); putVarint(&out, UInt64(bitPattern: v)) } else { out.append(0) }
    }
    static func putValues(_ out: inout [UInt8], _ values: [SQLValue]) {
        putVarint(&out, UInt64(values.count))
        for v in values {
            switch v {
            case .null: out.append(0)
            case let .integer(i): out.append(1); putVarint(&out, UInt64(bitPattern: i))
            case let .real(d): out.append(2); putVarint(&out, d.bitPattern)
            case let .text(s): out.append(3); putString(&out, s)
            case let .blob(b): out.append(4); putVarint(&out, UInt64(b.count)); out.append(contentsOf: b)
            }
        }
    }
}

// MARK: - Replay

enum RedoReplay {
    /// Does `records` again on `db`, which must be inside a write transaction and in exactly the
    /// state the participant was in when the records were captured. Triggers must be off
    /// (their effects are in the records already).
    static func apply(_ records: [RedoRecord], to db: Database) throws(EngineError) {
        var columns: [String: [(name: String, stored: Bool, pk: Int)]] = [:]
        func info(_ table: String) throws(EngineError) -> [(name: String, stored: Bool, pk: Int)] {
            if let c = columns[table] { return c }
            // table_xinfo: hidden 0 = ordinary, 2/3 = generated (not insertable).
            let rows = try db.query("SELECT name, hidden, pk FROM pragma_table_xinfo(?)", [.text(table)])
            let c = rows.map { row -> (name: String, stored: Bool, pk: Int) in
                guard case let .text(name) = row[0], case let .integer(hidden) = row[1], case let .integer(pk) = row[2] else {
                    return ("", false, 0)
                }
                return (name, hidden == 0 || hidden == 1, Int(pk))
            }
            columns[table] = c
            return c
        }
        func insert(_ table: String, rowid: Int64?, values: [SQLValue]) throws(EngineError) {
            let cols = try info(table)
            var names: [String] = [], binds: [SQLValue] = []
            if let rowid { names.append(TableInfo.rowidName(cols.map(\.name))); binds.append(.integer(rowid)) }
            for (i, c) in cols.enumerated() where c.stored && i < values.count {
                names.append(quoteIdentifier(c.name)); binds.append(values[i])
            }
            let marks = Array(repeating: "?", count: binds.count).joined(separator: ",")
            try db.run("INSERT INTO \(quoteIdentifier(table)) (\(names.joined(separator: ","))) VALUES (\(marks))", binds)
        }
        func delete(_ table: String, rowid: Int64?, oldValues: [SQLValue]) throws(EngineError) {
            if let rowid {
                let name = TableInfo.rowidName(try info(table).map(\.name))
                try db.run("DELETE FROM \(quoteIdentifier(table)) WHERE \(name) = ?", [.integer(rowid)])
                return
            }
            let cols = try info(table)
            var terms: [String] = [], binds: [SQLValue] = []
            for (i, c) in cols.enumerated() where c.pk > 0 && i < oldValues.count {
                terms.append("\(quoteIdentifier(c.name)) IS ?"); binds.append(oldValues[i])
            }
            try db.run("DELETE FROM \(quoteIdentifier(table)) WHERE \(terms.joined(separator: " AND "))", binds)
        }
        for r in records {
            switch r {
            case let .insert(t, rowid, values): try insert(t, rowid: rowid, values: values)
            case let .delete(t, rowid, oldValues): try delete(t, rowid: rowid, oldValues: oldValues)
            case let .update(t, oldRowid, oldValues, rowid, values):
                try delete(t, rowid: oldRowid, oldValues: oldValues)
                try insert(t, rowid: rowid, values: values)
            case let .statement(sql):
                try db.exec(sql)
                columns.removeAll()
            }
        }
    }
}

// MARK: - Recovery of the router's schema

/// A stand-in for `limitless_table` on recovery connections. Replaying the router's schema
/// statements (`CREATE VIRTUAL TABLE t USING limitless_table`, `DROP TABLE t`) only has to
/// record or remove the table in the schema; nothing reads through it there.
nonisolated(unsafe) var recoveryStubModule: sqlite3_module = {
    var m = sqlite3_module()
    let connect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                 UnsafeMutablePointer<UnsafeMutablePointer<sqlite3_vtab>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 = {
        db, _, _, _, ppVtab, _ in
        let rc = sqlite3_declare_vtab(db, "CREATE TABLE x(unused)")
        if rc != SQLITE_OK { return rc }
        let vtab = UnsafeMutablePointer<sqlite3_vtab>.allocate(capacity: 1)
        vtab.initialize(to: sqlite3_vtab())
        ppVtab?.pointee = vtab
        return SQLITE_OK
    }
    m.iVersion = 1
    m.xCreate = connect
    m.xConnect = connect
    let release: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?) -> Int32 = { p in
        p?.deallocate(); return SQLITE_OK
    }
    m.xDisconnect = release
    m.xDestroy = release
    m.xBestIndex = { _, info in
        info?.pointee.estimatedCost = 1e12
        return SQLITE_OK
    }
    m.xOpen = { _, pp in
        let c = UnsafeMutablePointer<sqlite3_vtab_cursor>.allocate(capacity: 1)
        c.initialize(to: sqlite3_vtab_cursor())
        pp?.pointee = c
        return SQLITE_OK
    }
    m.xClose = { c in c?.deallocate(); return SQLITE_OK }
    m.xFilter = { _, _, _, _, _ in SQLITE_OK }
    m.xNext = { _ in SQLITE_OK }
    m.xEof = { _ in 1 }
    m.xColumn = { _, ctx, _ in sqlite3_result_null(ctx); return SQLITE_OK }
    m.xRowid = { _, r in r?.pointee = 0; return SQLITE_OK }
    return m
}()
