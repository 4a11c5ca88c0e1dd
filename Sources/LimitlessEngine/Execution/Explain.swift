import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import SQLSyntax

/// Monotonic time in nanoseconds (EXPLAIN ANALYZE's timings).
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// What EXPLAIN ANALYZE measured of one virtual-table scan (one table and pushed-down plan).
final class ScanStatistics {
    var loops = 0
    var rows = 0
    var shards: [Int] = []
    var nanos: UInt64 = 0
    var sql = ""

    func record(shards visited: [Int], sql: String, nanos: UInt64) {
        loops += 1
        for s in visited where !shards.contains(s) { shards.append(s) }
        self.sql = sql
        self.nanos += nanos
    }
}

/// The scans' counters while EXPLAIN ANALYZE runs its statement.
final class ExplainRecorder {
    var scans: [String: ScanStatistics] = [:]
    func scan(gid: Int64, plan: String) -> ScanStatistics {
        let key = "\(gid)|\(plan)"
        if let s = scans[key] { return s }
        let s = ScanStatistics()
        scans[key] = s
        return s
    }
}

extension ClusterEngine {
    /// `EXPLAIN [ANALYZE] [VERBOSE] stmt` / `EXPLAIN (option [value], …) stmt`: the distributed
    /// plan as rows of one `QUERY PLAN` column.
    func explain(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        let all = Tokens.scan(sql)
        var i = 1
        var analyze = false
        if i < all.count, all[i].kind == .punct, all[i].text == "(" {
            i += 1
            var current: [String] = []
            func finish() {
                if current.first == "ANALYZE" {
                    analyze = current.count < 2 || !["FALSE", "OFF", "0"].contains(current[1])
                }
                current = []
            }
            while i < all.count, !(all[i].kind == .punct && all[i].text == ")") {
                if all[i].kind == .punct && all[i].text == "," { finish() } else { current.append(all[i].text.uppercased()) }
                i += 1
            }
            finish()
            i += 1
        } else {
            while i < all.count, all[i].isWord("ANALYZE") || all[i].isWord("ANALYSE") || all[i].isWord("VERBOSE") {
                if !all[i].isWord("VERBOSE") { analyze = true }
                i += 1
            }
        }
        guard i < all.count else { throw EngineError("syntax error at end of input", code: "42601") }
        var inner = String(decoding: Array(sql.utf8)[all[i].offset...], as: UTF8.self)
        // PostgreSQL spellings SQLite rejects run in the front end's SQLite form (see execute).
        if (try? router.prepare(inner)) == nil, let parsed = try? SQLSyntax.parse(inner), parsed.count == 1,
           parsed[0].sql != inner {
            inner = parsed[0].sql
        }
        let plan = try distributedPlan(inner)
        let options = settings.explainOptionList
        var lines = render(plan, shardPlans: options.contains("shard_plans"),
                           singleShardLabel: options.contains("single_shard_optimization"))
        var analyzed = false
        if analyze {
            let recorder = ExplainRecorder()
            explainRecorder = recorder
            defer { explainRecorder = nil }
            pushdownStatistics = nil
            let started = monotonicNanos()
            let innerToks = Tokens.scan(inner, limit: 64)
            let result = try dispatch(inner, innerToks, innerToks.first?.kind == .word ? innerToks[0].text : "")
            let elapsed = monotonicNanos() - started
            explainRecorder = nil
            lines = annotate(lines, plan, recorder)
            analyzed = true
            switch result {
            case let .rows(_, _, rows)?: lines.append("Actual Rows: \(rows.count)")
            case let .command(_, n?)?: lines.append("Actual Rows: \(n)")
            default: break
            }
            lines.append("Execution Time: \(milliseconds(elapsed)) ms")
        }
        if !analyzed { lines = annotate(lines, plan, nil) }
        return .rows(command: "EXPLAIN", columns: ["QUERY PLAN"], rows: lines.map { [.text($0)] })
    }

    private func milliseconds(_ nanos: UInt64) -> String {
        let micros = nanos / 1000
        let frac = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// Marks where EXPLAIN ANALYZE's figures go: a line `\u{1}gid|plan` after each scan.
    private func render(_ plan: DistributedPlan, shardPlans: Bool, singleShardLabel: Bool) -> [String] {
        var out: [String] = []
        switch plan.tier {
        case let .singleShard(shard, pinned, referenceOnly):
            if referenceOnly {
                out.append("Reference Tables Only")
                out.append("  Shard: \(shard) (one copy of every reference table)")
            } else {
                out.append(singleShardLabel ? "Single Shard Optimized" : "Data Node Scan")
                out.append("  Shard: \(shard)")
                for p in pinned { out.append("  Pinned Key: \(p)") }
            }
            out.append("  Remote SQL: \(plan.statement)")
            if shardPlans { out += remotePlan(shard: shard, sql: plan.statement, indent: "  ") }
            out.append("\u{1}single")
        case let .pushdown(p):
            out.append("Distributed Pushdown")
            out.append("  Task Count: \(catalog.shardCount)")
            out.append("  Shards: all \(catalog.shardCount) (\(p.reason))")
            for b in p.broadcasts {
                out.append("  Broadcast: \(b.table.name) to every shard as temp.\(b.tempName) (not collocated)")
            }
            if let spec = p.hashAggregate {
                out.append("  Remote SQL: \(spec.scanSQL)")
                if shardPlans { out += remotePlan(shard: 1, sql: spec.scanSQL, indent: "  ") }
                out.append("  Shard Aggregate: hashed per shard by the router, as \(spec.groupSQL)")
                out.append("    (that statement runs on the shards instead when a value is not an integer or a real)")
            } else {
                out.append("  Remote SQL: \(p.shardSQL)")
                if shardPlans { out += remotePlan(shard: 1, sql: p.shardSQL, indent: "  ") }
            }
            switch p.merge {
            case .concat:
                out.append("  Router Merge: append shard results")
            case let .sorted(keys):
                let cols = keys.enumerated().map { i, k in
                    "limitless_sort_\(i)" + (k.descending ? " DESC" : "") + (k.nullsFirst == k.descending ? (k.nullsFirst ? " NULLS FIRST" : " NULLS LAST") : "")
                }
                out.append("  Router Merge: k-way merge of sorted shard results (" + cols.joined(separator: ", ") + ")")
            case let .combine(sql: combineSQL, declarations: _):
                out.append("  Router Merge: " + (p.partialAggregates ? "combine partial aggregates" : "combine shard results"))
                out.append("    Router SQL: " + combineSQL)
            }
            if p.offset > 0 || p.limit != nil {
                out.append("  Router Limit: " + (p.limit.map { "LIMIT \($0)" } ?? "no LIMIT") + (p.offset > 0 ? " OFFSET \(p.offset)" : ""))
            }
            out.append("\u{1}pushdown")
        case .standardOnly, .router:
            out.append(plan.tier.isRouter ? "Router Execution" : "Standard Tables Only (router)")
            if !plan.copies.isEmpty {
                out.append("  Read Order: as one database's plan (the answer depends on it): the router runs the statement over copies")
                for scan in plan.copies { out += scanLines(scan, pad: "  ", what: "Distributed Copy of", shardPlans: shardPlans) }
            }
            var depth: [Int: Int] = [0: 0]
            for step in plan.steps {
                let d = (depth[step.parent] ?? 0) + 1
                depth[step.id] = d
                let pad = String(repeating: "  ", count: d)
                guard let scan = step.scan else { out.append(pad + "->  " + step.detail); continue }
                out += scanLines(scan, pad: pad, what: "Distributed Scan on", shardPlans: shardPlans)
            }
        }
        return out
    }

    /// A virtual-table scan's lines: the table, its shards, the SQL sent, and a marker for
    /// EXPLAIN ANALYZE's figures.
    private func scanLines(_ scan: DistributedPlan.Scan, pad: String, what: String, shardPlans: Bool) -> [String] {
        var out: [String] = []
        let name = scan.alias.lowercased() == scan.table.name.lowercased() ? scan.table.name : "\(scan.table.name) \(scan.alias)"
        let inner = pad + "      "
        switch scan.table.placement {
        case .reference:
            out.append(pad + "->  \(what) \(name) (reference)")
        default:
            out.append(pad + "->  \(what) \(name) (sharded by \(scan.table.shardKey.joined(separator: ", ")))")
        }
        if let shards = scan.shards {
            out.append(inner + "Task Count: \(shards.count)")
            if scan.table.placement == .sharded && !scan.keyPinned {
                out.append(inner + "Shards: all \(shards.count) (shard key not pinned)")
            } else {
                let list = shards.map(String.init).joined(separator: ", ")
                out.append(inner + (shards.count == 1 ? "Shard: " : "Shards: ") + list + (scan.reason.map { " (\($0))" } ?? ""))
            }
        } else {
            out.append(inner + "Task Count: 1 per lookup")
            out.append(inner + "Shard: chosen at each lookup from the key's value (\(scan.table.shardKey.joined(separator: ", ")))")
        }
        out.append(inner + "Remote SQL: " + scan.remoteSQL)
        if shardPlans, let first = (scan.shards?.first ?? (scan.table.placement == .sharded ? 1 : nil)) {
            out += remotePlan(shard: first, sql: scan.remoteSQL, indent: inner)
        }
        out.append("\u{1}\(scan.table.gid)|\(scan.plan)|" + inner)
        return out
    }

    /// SQLite's plan of `sql` on one shard.
    private func remotePlan(shard n: Int, sql: String, indent: String) -> [String] {
        var out = [indent + "Remote Plan from Shard \(n):"]
        guard let rows = try? shard(n).query("EXPLAIN QUERY PLAN " + sql) else {
            return out + [indent + "  (not available)"]
        }
        var depth: [Int: Int] = [0: 0]
        for row in rows {
            guard row.count >= 4, case let .integer(id) = row[0], case let .integer(parent) = row[1],
                  case let .text(detail) = row[3] else { continue }
            let d = (depth[Int(parent)] ?? 0) + 1
            depth[Int(id)] = d
            out.append(indent + String(repeating: "  ", count: d) + "->  " + detail)
        }
        return out
    }

    /// Replaces the markers with EXPLAIN ANALYZE's figures (or drops them for plain EXPLAIN).
    private func annotate(_ lines: [String], _ plan: DistributedPlan, _ recorder: ExplainRecorder?) -> [String] {
        var out: [String] = []
        // Scans of one table with the same pushed-down plan share their counters (the cursor
        // cannot tell which step of the plan it serves): say so on each.
        var sharing: [String: Int] = [:]
        for line in lines where line.hasPrefix("\u{1}") {
            let parts = line.dropFirst().split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 { sharing["\(parts[0])|\(parts[1])", default: 0] += 1 }
        }
        for line in lines {
            guard line.hasPrefix("\u{1}") else { out.append(line); continue }
            guard let recorder else { continue }
            let body = String(line.dropFirst())
            if body == "pushdown" {
                if let s = pushdownStatistics {
                    let per = s.rowsPerShard.map(String.init).joined(separator: ", ")
                    var line = "  Actual: rows per shard=[\(per)]"
                    if s.broadcastRows > 0 { line += " broadcast rows=\(s.broadcastRows)" }
                    if let hashed = s.hashedAggregates { line += hashed ? " shard aggregate=hashed" : " shard aggregate=SQL" }
                    line += " shards time=\(milliseconds(s.shardNanos)) ms merge time=\(milliseconds(s.mergeNanos)) ms"
                    out.append(line)
                } else {
                    out.append("  Actual: never executed")
                }
                continue
            }
            if body == "single" {
                if case let .singleShard(shard, _, _) = plan.tier {
                    out.append("  Actual: shard \(shard)")
                }
                continue
            }
            let parts = body.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            let indent = parts[2]
            if let s = recorder.scans["\(parts[0])|\(parts[1])"] {
                let shards = s.shards.sorted().map(String.init).joined(separator: ", ")
                let n = sharing["\(parts[0])|\(parts[1])"] ?? 1
                let label = n > 1 ? "Actual (\(n) scans with this table and constraints together)" : "Actual"
                out.append(indent + label + ": loops=\(s.loops) rows=\(s.rows) shards visited=[\(shards)] time=\(milliseconds(s.nanos)) ms")
            } else {
                out.append(indent + "Actual: never executed")
            }
        }
        return out
    }

    /// EXPLAIN's rows for `sql` without running it (golden tests read these).
    public func explainLines(_ sql: String) throws(EngineError) -> [String] {
        guard case let .rows(_, _, rows)? = try execute("EXPLAIN " + sql) else { return [] }
        return rows.map { if case let .text(t) = $0.first { return t }; return "" }
    }
}

extension DistributedPlan.Tier {
    var isRouter: Bool { if case .router = self { return true }; return false }
}
