import CSQLite
import LimitlessSupport
import SQLSyntax

/// Partial aggregates computed from a plain scan instead of the shard's GROUP BY.
///
/// SQLite groups without an index by sorting every row (its sorter), then aggregating the
/// sorted run. For the partial aggregates tier 2 sends to each shard, the router's worker
/// thread can read the shard's rows instead (`SELECT keys, arguments FROM … WHERE …`, no
/// GROUP BY) and add each row into a hash table of groups — no sort. The results are the rows
/// the shard's GROUP BY would return, in some order (the router's combine groups them again).
///
/// Only what can be reproduced exactly is done this way: group keys that are integers or NULL,
/// and COUNT(*), COUNT, SUM, TOTAL, MIN and MAX over integers and reals, with SQLite's own
/// arithmetic (SUM adds integers exactly and fails on overflow unless a real made it
/// approximate; TOTAL and an approximate SUM add doubles in row order). Any other value (text,
/// blobs, a real group key, MIN/MAX ties between an integer and an equal real), a SUM overflow,
/// or too many groups abandons the hash and the shard runs the GROUP BY as SQL.
struct HashAggregateSpec: Equatable {
    enum Item: Equatable {
        case key(Int)           // the value of group key i
        case countStar
        case count(Int)         // scan column
        case sum(Int)
        case total(Int)
        case min(Int)
        case max(Int)
    }

    /// `SELECT keys…, arguments… FROM … WHERE …` (the keys first).
    var scanSQL: String
    var keyCount: Int
    /// Per group key: whether text may group by its bytes (a plain column with BINARY
    /// collation); other keys group integers and NULL only.
    var textKeys: [Bool]
    var items: [Item]
    /// The shard's GROUP BY statement the hash replaces (EXPLAIN shows it).
    var groupSQL: String

    /// Groups a shard may have before the hash gives up (SQLite's sorter spills, a table in
    /// memory would not).
    static let groupLimit = 50_000

    /// The spec for a partial-aggregate shard statement, or nil when it does not have the
    /// simple shape: one SELECT with GROUP BY, no DISTINCT / HAVING / window / ORDER BY /
    /// LIMIT, every column a group key or one of the aggregates above over an expression
    /// without aggregates or subqueries. A SUM/TOTAL/MIN/MAX argument that is a plain column
    /// must be declared numeric (INTEGER, REAL or NUMERIC affinity): a text column would send
    /// every run back to SQLite. A group key that is a plain column must be numeric too, or
    /// have BINARY collation (its text then groups by bytes, as SQLite compares it).
    init?(_ select: Select, aggregateNames: Set<String>, declared: (ColumnRef) -> ColumnInfo?) {
        guard select.with == nil, select.compound.isEmpty, select.orderBy.isEmpty, select.limit == nil else { return nil }
        guard case let .select(core) = select.first else { return nil }
        guard !core.distinct, core.having == nil, core.windows.isEmpty, !core.groupBy.isEmpty, core.from != nil else { return nil }
        func numbersOnly(_ e: Expr) -> Bool {
            guard case let .column(c) = e else { return true }
            guard let info = declared(c) else { return false }
            return [.integer, .real, .numeric].contains(info.affinity)
        }
        func binaryText(_ e: Expr) -> Bool {
            guard case let .column(c) = e, let info = declared(c) else { return false }
            return info.collation.uppercased() == "BINARY"
        }
        guard core.groupBy.allSatisfy({ numbersOnly($0) || binaryText($0) }) else { return nil }
        var scan: [Expr] = core.groupBy
        func column(_ e: Expr) -> Int {
            if let i = scan.firstIndex(of: e) { return i }
            scan.append(e)
            return scan.count - 1
        }
        var items: [Item] = []
        for c in core.columns {
            guard case let .expr(e, _) = c else { return nil }
            if let k = core.groupBy.firstIndex(of: e) { items.append(.key(k)); continue }
            guard case let .function(f) = e, !f.distinct, f.filter == nil, f.over == nil else { return nil }
            let name = f.name.lowercased()
            if f.star {
                guard name == "count", f.arguments.isEmpty else { return nil }
                items.append(.countStar)
                continue
            }
            guard f.arguments.count == 1 else { return nil }
            let arg = f.arguments[0]
            var plain = true
            arg.forEach { node in
                switch node {
                case .subquery, .exists, .inSelect, .raise, .parameter: plain = false
                case let .function(g): if aggregateNames.contains(g.name.lowercased()) || g.over != nil { plain = false }
                default: break
                }
            }
            guard plain, name == "count" || numbersOnly(arg) else { return nil }
            switch name {
            case "count": items.append(.count(column(arg)))
            case "sum": items.append(.sum(column(arg)))
            case "total": items.append(.total(column(arg)))
            case "min": items.append(.min(column(arg)))
            case "max": items.append(.max(column(arg)))
            default: return nil
            }
        }
        var scanCore = core
        scanCore.columns = scan.map { .expr($0, alias: nil) }
        scanCore.groupBy = []
        var scanSelect = select
        scanSelect.first = .select(scanCore)
        scanSQL = scanSelect.sql
        keyCount = core.groupBy.count
        textKeys = core.groupBy.map(binaryText)
        self.items = items
        groupSQL = select.sql
    }
}

/// One part of a group key: SQLite groups integers by value, text (BINARY) by its bytes.
private enum KeyPart: Hashable {
    case null
    case integer(Int64)
    case text([UInt8])

    var value: SQLValue {
        switch self {
        case .null: return .null
        case let .integer(v): return .integer(v)
        case let .text(b): return .text(String(decoding: b, as: UTF8.self))
        }
    }
}

/// One group's running state, one slot per item.
private struct Accumulator {
    var count: Int64 = 0
    var intSum: Int64 = 0
    var realSum: Double = 0
    var approximate = false
    var overflow = false
    var best: SQLValue = .null
}

enum HashAggregate {
    /// Runs `spec` over the rows of its scan on `db` (prepared by the caller as `stmt`); the
    /// partial rows, or nil when a value needs SQLite's own grouping or comparison.
    static func run(_ spec: HashAggregateSpec, _ stmt: Statement) throws(EngineError) -> [[SQLValue]]? {
        let h = stmt.handle
        let width = spec.items.count
        var slots: [Accumulator] = []
        var keys: [[SQLValue]] = []
        var single: [Int64: Int] = [:]
        var singleText: [[UInt8]: Int] = [:]
        var multi: [[KeyPart]: Int] = [:]
        var nullGroup: Int? = nil
        var key: [KeyPart] = Array(repeating: .null, count: spec.keyCount)
        func newGroup() -> Int {
            keys.append(key.map(\.value))
            slots.append(contentsOf: repeatElement(Accumulator(), count: width))
            return keys.count - 1
        }
        defer { stmt.reset() }
        while try stmt.step() {
            for k in 0..<spec.keyCount {
                switch sqlite3_column_type(h, Int32(k)) {
                case SQLITE_INTEGER: key[k] = .integer(sqlite3_column_int64(h, Int32(k)))
                case SQLITE_NULL: key[k] = .null
                case SQLITE_TEXT where spec.textKeys[k]:
                    let n = Int(sqlite3_column_bytes(h, Int32(k)))
                    if let p = sqlite3_column_blob(h, Int32(k)), n > 0 {
                        key[k] = .text(Array(UnsafeRawBufferPointer(start: p, count: n)))
                    } else {
                        key[k] = .text([])
                    }
                default: return nil   // reals equal integers; blobs and other text compare under SQLite's rules
                }
            }
            let g: Int
            if spec.keyCount == 1 {
                switch key[0] {
                case let .integer(v):
                    if let found = single[v] { g = found } else { g = newGroup(); single[v] = g }
                case let .text(bytes):
                    if let found = singleText[bytes] { g = found } else { g = newGroup(); singleText[bytes] = g }
                case .null:
                    if let found = nullGroup { g = found } else { g = newGroup(); nullGroup = g }
                }
            } else if let found = multi[key] {
                g = found
            } else {
                g = newGroup()
                multi[key] = g
            }
            if keys.count > HashAggregateSpec.groupLimit { return nil }
            let base = g * width
            for (j, item) in spec.items.enumerated() {
                switch item {
                case .key: continue
                case .countStar: slots[base + j].count += 1
                case let .count(c):
                    if sqlite3_column_type(h, Int32(c)) != SQLITE_NULL { slots[base + j].count += 1 }
                case let .sum(c), let .total(c):
                    switch sqlite3_column_type(h, Int32(c)) {
                    case SQLITE_NULL: continue
                    case SQLITE_INTEGER:
                        let v = sqlite3_column_int64(h, Int32(c))
                        slots[base + j].count += 1
                        slots[base + j].realSum += Double(v)
                        if !slots[base + j].approximate && !slots[base + j].overflow {
                            let (s, o) = slots[base + j].intSum.addingReportingOverflow(v)
                            if o { slots[base + j].approximate = true; slots[base + j].overflow = true } else { slots[base + j].intSum = s }
                        }
                    case SQLITE_FLOAT:
                        slots[base + j].count += 1
                        slots[base + j].realSum += sqlite3_column_double(h, Int32(c))
                        slots[base + j].approximate = true
                    default: return nil   // text and blobs go through SQLite's numeric conversion
                    }
                case let .min(c), let .max(c):
                    let v: SQLValue
                    switch sqlite3_column_type(h, Int32(c)) {
                    case SQLITE_NULL: continue
                    case SQLITE_INTEGER: v = .integer(sqlite3_column_int64(h, Int32(c)))
                    case SQLITE_FLOAT: v = .real(sqlite3_column_double(h, Int32(c)))
                    default: return nil   // text and blobs compare under a collation
                    }
                    let best = slots[base + j].best
                    if case .null = best { slots[base + j].best = v; continue }
                    guard let order = compareNumbers(v, best) else { return nil }
                    if case .min = item, order < 0 { slots[base + j].best = v }
                    if case .max = item, order > 0 { slots[base + j].best = v }
                }
            }
        }
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(keys.count)
        for g in 0..<keys.count {
            var row: [SQLValue] = []
            row.reserveCapacity(width)
            for (j, item) in spec.items.enumerated() {
                let a = slots[g * width + j]
                switch item {
                case let .key(k): row.append(keys[g][k])
                case .countStar, .count: row.append(.integer(a.count))
                case .sum:
                    if a.count == 0 { row.append(.null) }
                    else if a.overflow { return nil }   // SQLite's error, from SQLite
                    else { row.append(a.approximate ? .real(a.realSum) : .integer(a.intSum)) }
                case .total: row.append(.real(a.realSum))
                case .min, .max: row.append(a.best)
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Orders two numbers as SQLite does (an integer and a real by value); nil for an integer
    /// and a real that are equal, where the one MIN/MAX keeps depends on which came first.
    static func compareNumbers(_ a: SQLValue, _ b: SQLValue) -> Int? {
        let order = SQLiteOrder.compare(a, b, .binary)
        if order == 0, case .integer = a, case .real = b { return nil }
        if order == 0, case .real = a, case .integer = b { return nil }
        return order
    }
}

extension ClusterEngine {
    /// The partial rows of every shard, hashed from its scan (shards in parallel, each on its own
    /// connection); nil when any shard met a value the hash leaves to SQLite.
    func hashAggregateEverywhere(_ spec: HashAggregateSpec, _ shards: [Int]) throws(EngineError) -> [[[SQLValue]]]? {
        var statements: [Statement] = []
        for n in shards { statements.append(try shard(n).prepare(spec.scanSQL)) }
        let box = Unchecked(statements)
        let out = Result { () throws(EngineError) -> [[[SQLValue]]?] in
            try Parallel.map(shards.count) { i throws(EngineError) in try HashAggregate.run(spec, box.value[i]) }
        }
        if ClusterEngine.interrupted { throw EngineError("canceling statement due to user request", code: "57014") }
        let perShard = try out.get()
        return perShard.contains { $0 == nil } ? nil : perShard.map { $0! }
    }
}

extension ClusterEngine {
    /// The declared column a column reference of the plan's shard statement names; nil when it
    /// cannot be told which table's column it is.
    func shardColumns(_ plan: PushdownPlan) -> (ColumnRef) -> ColumnInfo? {
        var bindings: [(name: String, info: TableInfo)] = []
        func collect(_ t: TableRef) {
            switch t {
            case let .table(q, alias, _):
                let name = q.name.lowercased()
                let info = catalog.table(name) ?? plan.broadcasts.first { $0.tempName.lowercased() == name }?.table
                if let info { bindings.append(((alias ?? q.name).lowercased(), info)) }
            case let .join(j):
                collect(j.first)
                for x in j.joins { collect(x.table) }
            default: break
            }
        }
        if case let .select(core) = plan.shardSelect.first, let from = core.from {
            collect(from.first)
            for j in from.joins { collect(j.table) }
        }
        return { c in
            let candidates = bindings.filter { c.table == nil || $0.name == c.table!.lowercased() }
            let found = candidates.compactMap { b in b.info.columnIndex(c.column).map { b.info.columns[$0] } }
            return found.count == 1 ? found[0] : nil
        }
    }
}
