import LimitlessSupport
import LimitlessEngine

/// TEMPORARY, hidden: `limitless __sql DATA_DIR [--shards N] [-c SQL] [-f FILE] [--output F]
/// [--on-error stop|continue] [--single-transaction] [--quiet]` runs the sql command on a data
/// folder directly (creating it with N shards when missing), for trying the engine before the
/// control plane's `create-db-cluster` / `create-db-shard-group` and `sql` argument parsing land.
enum SQLDevEntry {
    static func run(_ args: [String]) -> Int32 {
        guard let dir = args.first else {
            Console.err("usage: limitless __sql DATA_DIR [--shards N] [sql options]\n"); return 2
        }
        var o = SQLOptions(clusterIdentifier: "dev")
        var shards = 4
        var i = 1
        func value() -> String? { i += 1; return i < args.count ? args[i] : nil }
        while i < args.count {
            switch args[i] {
            case "-c": if let v = value() { o.inputs.append(.command(v)) }
            case "-f": if let v = value() { o.inputs.append(.file(v)) }
            case "--output": o.output = SQLOutputFormat(rawValue: value() ?? "") ?? .table
            case "--on-error": o.onError = SQLOnError(rawValue: value() ?? "") ?? .stop
            case "--single-transaction": o.singleTransaction = true
            case "--quiet": o.quiet = true
            case "--shards": shards = Int(value() ?? "") ?? 4
            default: Console.err("limitless __sql: unknown option \(args[i])\n"); return 2
            }
            i += 1
        }
        if !Files.exists(Files.join(dir, "router.db")) {
            do { try ShardGroupStorage.create(directory: dir, shardCount: shards, routerCount: 1) } catch {
                Console.err("limitless __sql: \(error)\n"); return 2
            }
        }
        return SQLCommand.run(o, dataDirectory: dir)
    }
}
