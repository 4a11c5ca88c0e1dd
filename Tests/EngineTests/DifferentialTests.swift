import CSQLite
import Foundation
import Testing
import LimitlessSupport
@testable import LimitlessEngine

/// Deterministic PRNG (SplitMix64): the same seed gives the same tables, rows and queries.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
}

/// One plain SQLite database in memory: the reference answers.
final class PlainDatabase {
    var handle: OpaquePointer?
    init() { sqlite3_open(":memory:", &handle) }
    deinit { sqlite3_close(handle) }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let m = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw EngineError(m, code: "XX000")
        }
    }

    func query(_ sql: String) throws -> [[SQLValue]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw EngineError(String(cString: sqlite3_errmsg(handle)), code: "42601")
        }
        defer { sqlite3_finalize(stmt) }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw EngineError(String(cString: sqlite3_errmsg(handle)), code: "XX000") }
            var row: [SQLValue] = []
            for i in 0..<sqlite3_column_count(stmt) {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(stmt, i)))
                case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(stmt, i))))
                case SQLITE_NULL: row.append(.null)
                default:
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    let p = sqlite3_column_blob(stmt, i)
                    row.append(.blob(n == 0 ? [] : Array(UnsafeRawBufferPointer(start: p, count: n))))
                }
            }
            rows.append(row)
        }
        return rows
    }
}

/// Random queries over random data, on the cluster (tables sharded on varying columns,
/// reference, standard) and on one plain SQLite database holding the same rows; the answers
/// must be equal as bags, or in order when ORDER BY fixes the order completely.
@Suite(.serialized) struct DifferentialTests {
    struct Table { var name: String; var placement: String; var key: String? }

    static let columns = ["id", "a", "b", "c"]

    /// Makes 4 tables with a seed-chosen placement and fills them alike on both sides.
    func setUp(_ rng: inout SplitMix64, _ cluster: PlanFixture, _ plain: PlainDatabase) throws -> [Table] {
        var tables: [Table] = []
        var collocateWith: [String: String] = [:]   // key column → first table sharded on it
        for n in 1...4 {
            let name = "t\(n)"
            let placement = rng.pick(["sharded", "sharded", "sharded", "reference", "standard"])
            var key: String? = nil
            var ddl: String
            switch placement {
            case "sharded":
                key = rng.pick(["id", "a", "b"])
                let kt = key == "b" ? "TEXT" : "INTEGER"
                ddl = "CREATE TABLE \(name) (id INTEGER NOT NULL, a INTEGER\(key == "a" ? " NOT NULL" : ""), b TEXT\(key == "b" ? " NOT NULL" : ""), c REAL)"
                var script = "SET rds_aurora.limitless_create_table_mode = 'sharded'; SET rds_aurora.limitless_create_table_shard_key = '{\"\(key!)\"}';"
                if let with = collocateWith[kt + key!], rng.chance(60) {
                    script += "SET rds_aurora.limitless_create_table_collocate_with = '\(with)';"
                } else {
                    script += "SET rds_aurora.limitless_create_table_collocate_with = '';"
                    collocateWith[kt + key!] = collocateWith[kt + key!] ?? name
                }
                try cluster.run(script + ddl)
            case "reference":
                ddl = "CREATE TABLE \(name) (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)"
                try cluster.run("SET rds_aurora.limitless_create_table_mode = 'reference';" + ddl)
            default:
                ddl = "CREATE TABLE \(name) (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)"
                try cluster.run("SET rds_aurora.limitless_create_table_mode = 'standard';" + ddl)
            }
            try plain.exec(ddl)
            let rows = rng.int(25)
            var values: [String] = []
            for id in 1...max(rows, 1) where rows > 0 {
                let a = key == "a" || !rng.chance(15) ? String(rng.int(6)) : "NULL"
                let b = key == "b" || !rng.chance(15) ? "'" + rng.pick(["x", "y", "z", "w"]) + "'" : "NULL"
                let c = rng.chance(20) ? "NULL" : String(Double(rng.int(8)) / 2)
                values.append("(\(id), \(a), \(b), \(c))")
            }
            if !values.isEmpty {
                let insert = "INSERT INTO \(name) (id, a, b, c) VALUES " + values.joined(separator: ", ")
                try cluster.run(insert)
                try plain.exec(insert)
            }
            tables.append(Table(name: name, placement: placement, key: key))
        }
        try cluster.run("SET rds_aurora.limitless_create_table_mode = 'standard'")
        return tables
    }

    /// One random query and whether its ORDER BY fixes the row order completely.
    func randomQuery(_ rng: inout SplitMix64, _ tables: [Table]) -> (String, Bool) {
        let k = 1 + rng.int(rng.chance(30) ? 4 : 3)
        var from = ""
        var aliases: [String] = []
        for i in 0..<k {
            let t = rng.pick(tables).name
            let alias = "x\(i + 1)"
            if i == 0 { from = "\(t) \(alias)" } else {
                let other = rng.pick(aliases)
                let (l, r) = rng.pick([("id", "id"), ("a", "a"), ("b", "b"), ("id", "a"), ("a", "id")])
                let join = rng.pick(["JOIN", "JOIN", "LEFT JOIN", ","])
                if join == "," { from += ", \(t) \(alias)" ; aliases.append(alias)
                    continue }
                from += " \(join) \(t) \(alias) ON \(alias).\(l) = \(other).\(r)"
                if rng.chance(20) { from += " AND \(alias).c > \(other).c" }
            }
            aliases.append(alias)
        }
        func col(_ names: [String] = Self.columns) -> String { rng.pick(aliases) + "." + rng.pick(names) }
        func predicate(_ depth: Int) -> String {
            switch rng.int(depth > 1 ? 9 : 12) {
            case 0: return "\(col(["id", "a"])) = \(rng.int(8))"
            case 1: return "\(col(["id", "a"])) IN (\(rng.int(6)), \(rng.int(6)), \(rng.int(9)))"
            case 2: return "\(col(["a", "c"])) > \(rng.int(5))"
            case 3: return "\(col(["id", "a"])) BETWEEN \(rng.int(4)) AND \(2 + rng.int(6))"
            case 4: return "\(col(["b"])) = '\(rng.pick(["x", "y", "z"]))'"
            case 5: return "\(col()) IS NULL"
            case 6: return "\(col(["b"])) IN ('x', 'w')"
            case 7: return "\(col(["b"])) < 'y'"
            case 8: return "\(col(["a", "c"])) <> \(col(["a", "c"]))"
            case 9:
                let t = rng.pick(tables).name
                return "\(rng.chance(30) ? "NOT " : "")EXISTS (SELECT 1 FROM \(t) s WHERE s.a = \(col(["a", "id"]))\(rng.chance(50) ? " AND s.b = \(col(["b"]))" : ""))"
            case 10:
                let t = rng.pick(tables).name
                return "\(col(["id", "a"])) \(rng.chance(25) ? "NOT " : "")IN (SELECT \(rng.pick(["a", "id"])) FROM \(t) WHERE \(rng.pick(["c", "a"])) IS NOT NULL)"
            default:
                return "(\(predicate(depth + 1)) \(rng.pick(["AND", "OR"])) \(predicate(depth + 1)))"
            }
        }
        var whereClause = ""
        let n = rng.int(3)
        if n > 0 { whereClause = " WHERE " + (0..<n).map { _ in predicate(0) }.joined(separator: " AND ") }
        var select: String
        var tail = ""
        var outputs = 0
        switch rng.int(5) {
        case 0, 1:
            let cols = (0..<(1 + rng.int(3))).map { _ in col() }
            outputs = cols.count
            select = "SELECT \(rng.chance(25) ? "DISTINCT " : "")" + cols.joined(separator: ", ")
        case 2:
            let g = col(["a", "b"])
            func agg() -> String {
                rng.pick(["count(*)", "sum(\(col(["a", "c"])))", "min(\(col()))", "max(\(col(["b", "id"])))", "count(DISTINCT \(col(["a", "b"])))", "total(\(col(["c"])))", "avg(\(col(["a", "c"])))", "count(\(col()))"])
            }
            let aggs = (0..<(1 + rng.int(2))).map { _ in agg() }
            select = "SELECT \(g), " + aggs.joined(separator: ", ")
            tail = " GROUP BY \(g)"
            if rng.chance(40) { tail += " HAVING count(*) > \(rng.int(3))" }
            outputs = 1 + aggs.count
        case 3:
            select = "SELECT count(*), sum(\(col(["a", "id"]))), max(\(col(["c"])))"
            outputs = 3
        default:
            let t = rng.pick(tables).name
            select = "SELECT \(col()), (SELECT count(*) FROM \(t) s WHERE s.\(rng.pick(["a", "b", "id"])) = \(col(["a", "b", "id"])))"
            outputs = 2
        }
        var sql = select + " FROM " + from + whereClause + tail
        var ordered = false
        if rng.chance(35) {
            sql += " ORDER BY " + (1...outputs).map { "\($0)\(rng.chance(30) ? " DESC" : "")" }.joined(separator: ", ")
            if rng.chance(70) { sql += " LIMIT \(1 + rng.int(6))"; if rng.chance(30) { sql += " OFFSET \(rng.int(3))" } }
            ordered = true
        }
        return (sql, ordered)
    }

    static func key(_ row: [SQLValue]) -> String {
        row.map { v -> String in
            switch v {
            case .null: return "N"
            case let .integer(i): return "I\(i)"
            case let .real(d): return "R\(d)"
            case let .text(t): return "T" + t
            case let .blob(b): return "B\(b)"
            }
        }.joined(separator: "|")
    }

    /// `LIMITLESS_DIFF_SEEDS=N` runs seeds 1…N instead (a longer hunt).
    static let seeds: [Int] = {
        if let n = ProcessInfo.processInfo.environment["LIMITLESS_DIFF_SEEDS"].flatMap(Int.init), n > 0 { return Array(1...n) }
        return [11, 22, 33]
    }()

    @Test(arguments: seeds)
    func randomQueriesAgreeWithOneSQLiteDatabase(seed: Int) throws {
        var rng = SplitMix64(state: UInt64(seed) &* 0x1234_5678_9ABC)
        let cluster = try PlanFixture(shards: 3 + seed % 2, name: "diff")
        let plain = PlainDatabase()
        let tables = try setUp(&rng, cluster, plain)
        let placement = tables.map { "\($0.name):\($0.placement)\($0.key.map { "(\($0))" } ?? "")" }.joined(separator: " ")
        var ran = 0, skipped = 0, nonEmpty = 0, tierOne = 0, explained = 0
        var mismatches: [String] = []
        for _ in 0..<100 {
            let (sql, ordered) = randomQuery(&rng, tables)
            guard let expected = try? plain.query(sql) else { skipped += 1; continue }
            ran += 1
            let got: [[SQLValue]]
            do {
                guard case let .rows(_, _, rows)? = try cluster.engine.execute(sql) else {
                    mismatches.append("\(sql)\n  no rows result"); continue
                }
                got = rows
            } catch {
                mismatches.append("\(sql)\n  cluster error: \(error)"); continue
            }
            if !expected.isEmpty { nonEmpty += 1 }
            if cluster.engine.lastPlanTier != nil { tierOne += 1 }
            let g = got.map(Self.key), e = expected.map(Self.key)
            let same = ordered ? g == e : g.sorted() == e.sorted()
            if !same {
                mismatches.append("\(sql)\n  cluster: \(g.prefix(8))\n  sqlite:  \(e.prefix(8))")
            }
            // EXPLAIN ANALYZE of the same query: the rows it counts, and the shards each scan
            // really visited lie within the shards its plan names.
            do {
                let lines = try cluster.engine.explainLines("ANALYZE " + sql)
                explained += 1
                if !lines.contains("Actual Rows: \(expected.count)") {
                    mismatches.append("EXPLAIN ANALYZE \(sql)\n  rows: \(lines.filter { $0.hasPrefix("Actual Rows") })")
                }
                var planned: Set<Int>? = nil
                for line in lines.map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    if line.hasPrefix("->  Distributed Scan") || line.hasPrefix("->  Distributed Copy") { planned = nil }
                    if line.hasPrefix("Shard: ") || line.hasPrefix("Shards: "), !line.hasPrefix("Shard: chosen"), !line.hasPrefix("Shards: all") {
                        let list = line.split(separator: ":", maxSplits: 1)[1].split(separator: "(")[0]
                        planned = Set(list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
                    }
                    if line.hasPrefix("Actual: loops"), let p = planned, let open = line.range(of: "visited=["),
                       let close = line[open.upperBound...].firstIndex(of: "]") {
                        let visited = Set(line[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
                        if !visited.isSubset(of: p) { mismatches.append("EXPLAIN ANALYZE \(sql)\n  planned \(p), visited \(visited)") }
                    }
                }
            } catch {
                mismatches.append("EXPLAIN ANALYZE \(sql)\n  error: \(error)")
            }
        }
        print("differential seed \(seed) [\(placement)]: \(ran) queries compared (\(nonEmpty) with rows, \(tierOne) on one shard), \(skipped) skipped, \(explained) explained, \(mismatches.count) mismatches")
        #expect(ran >= 80)
        #expect(nonEmpty >= ran / 3)
        #expect(mismatches.isEmpty, Comment(rawValue: "seed \(seed) [\(placement)]:\n" + mismatches.prefix(5).joined(separator: "\n")))
    }
}
