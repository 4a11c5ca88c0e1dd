import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import SQLSyntax

/// The distributed plan of one statement, as EXPLAIN prints it: the tier it runs in and, for
/// statements the router runs, SQLite's router plan with each virtual-table scan expanded into
/// the shards it reads and the SQL it sends them.
struct DistributedPlan {
    enum Tier {
        /// Tier 1: the whole statement runs on one shard (`pinned` says which key values chose it).
        case singleShard(shard: Int, pinned: [String], referenceOnly: Bool)
        /// Tier 2: every shard runs the statement for its own rows; the router merges.
        case pushdown(PushdownPlan)
        /// The router runs the statement over its own tables only.
        case standardOnly
        /// The router runs the statement, reading distributed tables through virtual-table scans.
        case router
    }

    /// One step of SQLite's router plan (a row of EXPLAIN QUERY PLAN).
    struct Step {
        var id: Int
        var parent: Int
        var detail: String
        var scan: Scan?
    }

    /// A virtual-table scan: which table, which shards, what SQL.
    struct Scan {
        var table: TableInfo
        var alias: String
        /// idxStr: the comparisons pushed down.
        var plan: String
        /// The shards it visits when known before running (nil: chosen from the key's value at
        /// each lookup, one shard per lookup).
        var shards: [Int]?
        /// Why those shards: the pinned key values, or nil for every shard.
        var reason: String?
        var keyPinned: Bool
        var remoteSQL: String
    }

    var tier: Tier
    var steps: [Step]
    var statement: String
    /// The tables the router copies before running the statement over the copies (see
    /// Execution/RouterCopy.swift); the steps then read the copies.
    var copies: [Scan] = []
}

/// What the main query's WHERE and JOIN … ON conjuncts say about columns: equal to a constant,
/// in a list of constants, or constrained otherwise (equal to another column, IN a subquery).
struct KeyConstraints {
    var eq: [(ColumnRef, Expr)] = []
    var inList: [(ColumnRef, [Expr])] = []
    var other: [ColumnRef] = []
    /// The statement names one table only (unqualified columns are its own).
    var singleTable = false
}

extension ClusterEngine {
    /// Plans `sql` as the engine would run it, without running it.
    func distributedPlan(_ sql: String) throws(EngineError) -> DistributedPlan {
        let toks = Tokens.scan(sql, limit: 64)
        let word = toks.first?.kind == .word ? toks[0].text : ""
        if word == "SELECT", !catalog.tables.isEmpty, let shard = singleShardTarget(sql) {
            let equalities = topLevelEqualities(sql)
            var pinned: [String] = []
            var referenceOnly = true
            for info in referencedTables(sql) where info.placement == .sharded {
                referenceOnly = false
                for k in info.keyIndexes {
                    let key = info.columns[k].name.lowercased()
                    for (col, value) in equalities.eq where col.column.lowercased() == key {
                        if let t = col.table, t.lowercased() != info.name.lowercased(), catalog.table(t) != nil { continue }
                        let shown = (col.table.map { $0 + "." } ?? info.name + ".") + col.column
                        let p = "\(shown) = \(value.sql)"
                        if !pinned.contains(p) { pinned.append(p) }
                    }
                }
            }
            return DistributedPlan(tier: .singleShard(shard: shard, pinned: pinned, referenceOnly: referenceOnly),
                                   steps: [], statement: sql)
        }
        if word == "SELECT", !catalog.tables.isEmpty, let plan = pushdownPlan(sql) {
            return DistributedPlan(tier: .pushdown(plan), steps: [], statement: sql)
        }
        try refreshCatalogViewsIfNeeded(sql)
        var routerSQL = sql
        if (word == "INSERT" || word == "REPLACE") && !catalog.tables.isEmpty { routerSQL = insertWithDefaults(sql) }
        // Over copies, SQLite's router plan is one database's: asked with the (empty) copies made.
        var copies: [DistributedPlan.Scan] = []
        var made: [String] = []
        if let tables = routerCopyTables(forStatement: sql, toks), let m = try? makeRouterCopies(tables, views: routerViews(Tokens.scan(sql))) {
            made = m
            copies = tables.map(copyScan)
        }
        defer { dropRouterCopies(made) }
        let eqp: [[SQLValue]]
        do throws(EngineError) {
            eqp = try router.query("EXPLAIN QUERY PLAN " + routerSQL)
        } catch {
            // Virtual tables take neither RETURNING nor ON CONFLICT: the engine computes the rows
            // at the router and finishes on the shards, so the router's part is the statement
            // without those clauses.
            guard let plain = withoutReturningOrUpsert(sql), let rows = try? router.query("EXPLAIN QUERY PLAN " + plain) else { throw error }
            eqp = rows
        }
        let equalities = topLevelEqualities(sql)
        var steps: [DistributedPlan.Step] = []
        var sawScan = false
        for row in eqp {
            guard row.count >= 4, case let .integer(id) = row[0], case let .integer(parent) = row[1],
                  case let .text(detail) = row[3] else { continue }
            var step = DistributedPlan.Step(id: Int(id), parent: Int(parent), detail: detail, scan: nil)
            if let scan = virtualScan(detail, equalities: equalities) { step.scan = scan; sawScan = true }
            steps.append(step)
        }
        let touchesDistributed = sawScan || referencedTables(sql).contains { $0.placement != TablePlacement.standard }
        return DistributedPlan(tier: touchesDistributed ? .router : .standardOnly, steps: steps, statement: sql, copies: copies)
    }

    /// The scan that fills a table's router copy: every row and column, from every shard that
    /// holds rows (one copy of a reference table).
    private func copyScan(_ info: TableInfo) -> DistributedPlan.Scan {
        let shards = info.placement == .reference ? [referenceReadShard] : Array(1...catalog.shardCount)
        let plan = ClusterEngine.routerCopyPlan(info)
        let sql = VirtualTable.scanSelect(info, plan: plan, clauses: [], multiShard: shards.count > 1) { [unowned self] in
            self.scanReadOrder($0, table: info, sorted: $1)
        }.sql
        return DistributedPlan.Scan(table: info, alias: info.name, plan: plan, shards: shards,
                                    reason: info.placement == .reference ? "reference table: one copy" : nil,
                                    keyPinned: false, remoteSQL: sql)
    }

    /// The statement without RETURNING and ON CONFLICT clauses (nil when it has none).
    private func withoutReturningOrUpsert(_ sql: String) -> String? {
        guard var stmt = try? SQLSyntax.parseOne(sql) else { return nil }
        switch stmt.kind {
        case var .insert(i):
            if i.returning.isEmpty && i.upsert.isEmpty { return nil }
            i.returning = []; i.upsert = []
            stmt.kind = .insert(i)
        case var .update(u):
            if u.returning.isEmpty { return nil }
            u.returning = []
            stmt.kind = .update(u)
        case var .delete(d):
            if d.returning.isEmpty { return nil }
            d.returning = []
            stmt.kind = .delete(d)
        default: return nil
        }
        let text = stmt.sql
        if case .insert = stmt.kind, !catalog.tables.isEmpty { return insertWithDefaults(text) }
        return text
    }

    /// `SCAN o VIRTUAL TABLE INDEX gid:idxStr` → the scan it stands for.
    private func virtualScan(_ detail: String, equalities: KeyConstraints) -> DistributedPlan.Scan? {
        let words = detail.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let vi = words.firstIndex(of: "VIRTUAL"), vi + 3 < words.count, words[vi + 1] == "TABLE",
              words[vi + 2] == "INDEX", vi >= 2 else { return nil }
        let index = words[vi + 3]
        let alias = words[1]
        guard let colon = index.firstIndex(of: ":"), let gid = Int64(index[..<colon]),
              let info = catalog.tables.values.first(where: { $0.gid == gid }) else { return nil }
        let plan = String(index[index.index(after: colon)...])
        let pushed = VirtualTable.pushedClauses(info, plan: plan)
        var keyPinned = false
        if info.placement == .sharded, !info.keyIndexes.isEmpty,
           info.keyIndexes.allSatisfy({ info.columns[$0].collation.uppercased() == "BINARY" }) {
            let eqColumns = Set(pushed.filter { [SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_IS, SQLITE_INDEX_CONSTRAINT_ISNULL].contains($0.op) }.map(\.column))
            keyPinned = info.keyIndexes.allSatisfy { eqColumns.contains($0) }
        }
        var shards: [Int]? = nil
        var reason: String? = nil
        switch info.placement {
        case .reference:
            shards = [referenceReadShard]; reason = "reference table: one copy"
        case .standard:
            shards = []
        case .sharded:
            if !keyPinned {
                shards = Array(1...catalog.shardCount)
            } else if let (s, why) = pinnedShards(info, alias: alias, equalities) {
                shards = s; reason = why
            }
        }
        // A pinned key reads one shard per lookup (an IN list is one lookup per value).
        let multi = !keyPinned && (shards.map { $0.count > 1 } ?? false)
        let sql = VirtualTable.scanSelect(info, plan: plan, clauses: pushed.map(\.sql), multiShard: multi) { [unowned self] in
            self.scanReadOrder($0, table: info, sorted: $1)
        }.sql
        return DistributedPlan.Scan(table: info, alias: alias, plan: plan, shards: shards, reason: reason,
                                    keyPinned: keyPinned, remoteSQL: sql)
    }

    /// The shards a key pinned by constants reaches: `k = c` gives one, `k IN (c1, c2…)` one per
    /// distinct shard. Nil when the key's value comes from another table (found per lookup).
    private func pinnedShards(_ info: TableInfo, alias: String, _ eqs: KeyConstraints) -> ([Int], String)? {
        func matches(_ c: ColumnRef, _ k: Int) -> Bool {
            guard c.column.lowercased() == info.columns[k].name.lowercased() else { return false }
            if let t = c.table { return t.lowercased() == alias.lowercased() }
            return eqs.singleTable && alias.lowercased() == info.name.lowercased()
        }
        var values: [[SQLValue]] = [[]]
        var shown: [String] = []
        for k in info.keyIndexes {
            let eq = eqs.eq.filter { matches($0.0, k) }
            let ins = eqs.inList.filter { matches($0.0, k) }
            // Only one condition on the key column: otherwise SQLite may probe with another one
            // (a join column, a subquery) than the constant seen here.
            guard eq.count + ins.count + eqs.other.filter({ matches($0, k) }).count == 1 else { return nil }
            if eq.count == 1, let v = constant(eq[0].1, info.columns[k]), v != .null {
                values = values.map { $0 + [v] }
                shown.append("\(info.columns[k].name) = \(eq[0].1.sql)")
            } else if ins.count == 1, info.keyIndexes.count == 1 {
                let vs = ins[0].1.compactMap { constant($0, info.columns[k]) }
                guard vs.count == ins[0].1.count else { return nil }
                values = vs.filter { $0 != .null }.map { [$0] }
                shown.append("\(info.columns[k].name) IN (\(ins[0].1.map(\.sql).joined(separator: ", ")))")
            } else {
                return nil
            }
        }
        var shards: [Int] = []
        for v in values {
            let s = shard(forKey: v, of: info)
            if !shards.contains(s) { shards.append(s) }
        }
        return (shards.sorted(), shown.joined(separator: " AND "))
    }

    /// A constant expression's value, as the column stores it (evaluated by SQLite).
    private func constant(_ e: Expr, _ column: ColumnInfo) -> SQLValue? {
        guard e.isConstant, let rows = try? router.query("SELECT " + e.sql), let v = rows.first?.first else { return nil }
        return column.affinity.apply(v)
    }

    /// `column = constant` and `column IN (constants)` among the WHERE's top-level conjuncts
    /// (and the JOIN … ON conditions) of the statement's main query.
    func topLevelEqualities(_ sql: String) -> KeyConstraints {
        var conditions: [Expr] = []
        func joinConditions(_ j: JoinClause?) {
            guard let j else { return }
            for join in j.joins {
                if case let .on(e) = join.constraint { conditions.append(e) }
                if case let .join(inner) = join.table { joinConditions(inner) }
            }
            if case let .join(inner) = j.first { joinConditions(inner) }
        }
        let stmt = try? SQLSyntax.parseOne(sql)
        switch stmt?.kind {
        case let .select(s)?:
            if case let .select(core) = s.first {
                if let w = core.where { conditions.append(w) }
                joinConditions(core.from)
            }
        case let .update(u)?: if let w = u.where { conditions.append(w) }
        case let .delete(d)?: if let w = d.where { conditions.append(w) }
        default: break
        }
        var out = KeyConstraints()
        out.singleTable = referencedTables(sql).count == 1
        for c in conditions {
            for part in c.conjuncts {
                switch part {
                case let .binary(.eq, l, r), let .is(l, r, negated: false):
                    if case let .column(col) = l { if r.isConstant { out.eq.append((col, r)) } else { out.other.append(col) } }
                    if case let .column(col) = r { if l.isConstant { out.eq.append((col, l)) } else { out.other.append(col) } }
                case let .inList(.column(col), list, negated: false):
                    if list.allSatisfy(\.isConstant) { out.inList.append((col, list)) } else { out.other.append(col) }
                case let .inSelect(.column(col), _, negated: false), let .inTable(.column(col), _, _, negated: false):
                    out.other.append(col)
                default: break
                }
            }
        }
        return out
    }

    /// Distributed (and standard) tables the statement names, as far as the front end sees them.
    func referencedTables(_ sql: String) -> [TableInfo] {
        var out: [TableInfo] = []
        for t in Tokens.scan(sql) where t.isName {
            if let info = catalog.table(t.text), !out.contains(where: { $0 === info }) { out.append(info) }
        }
        return out
    }
}
