import LimitlessSupport

/// Receives a statement's result while it runs: `begin` once with the column names, then each
/// row in order. A statement that fails part-way has handed over the rows before the failure.
public protocol RowSink: AnyObject {
    func begin(columns: [String])
    func row(_ values: [SQLValue])
}

extension ClusterEngine {
    /// Runs one statement and hands its rows to `sink` as they are produced, so a result of
    /// any size passes through in bounded memory where the plan streams: tier 1 (the shard's
    /// statement stepped row by row), tier 2 append and ORDER BY merges (the shard producers'
    /// batches), tier 3 (the router's statement stepped row by row). Results that are made
    /// whole first (aggregates combined at the router, SHOW, EXPLAIN, RETURNING) are handed
    /// over at the end. A statement that returns rows gives `.rows` with its command tag and
    /// columns and no rows (they went to the sink); `sink.begin` has then been called exactly
    /// once, even for no rows.
    public func execute(_ sql: String, into sink: RowSink) throws(EngineError) -> StatementResult? {
        rowSink = sink
        sinkBegun = false
        defer { rowSink = nil; sinkBegun = false }
        guard let result = try execute(sql) else { return nil }
        guard case let .rows(command, columns, rows) = result else { return result }
        if !sinkBegun {
            sink.begin(columns: columns)
            for row in rows { sink.row(row) }
        }
        return .rows(command: command, columns: columns, rows: [])
    }
}

/// Where a statement's rows go as it steps: to the sink of `execute(_:into:)` when the
/// statement claimed it, else into an array (the caller wants the whole result).
final class RowOutput {
    private let sink: RowSink?
    private unowned let engine: ClusterEngine
    private let columns: [String]
    private(set) var rows: [[SQLValue]] = []
    private(set) var count = 0

    /// `stream`: hand rows to the session's sink if there is one (it is then taken, so a
    /// statement run inside this one cannot reach it).
    init(_ engine: ClusterEngine, columns: [String], stream: Bool = true) {
        self.engine = engine
        self.columns = columns
        if stream, let s = engine.rowSink {
            sink = s
            engine.rowSink = nil
        } else {
            sink = nil
        }
    }

    var streaming: Bool { sink != nil }

    @inline(__always) func add(_ row: [SQLValue]) {
        count += 1
        if let sink {
            if count == 1 { engine.sinkBegun = true; sink.begin(columns: columns) }
            sink.row(row)
        } else {
            rows.append(row)
        }
    }

    /// The statement's result, once every row was added.
    func result(command: String) -> StatementResult {
        if let sink, count == 0 {
            engine.sinkBegun = true
            sink.begin(columns: columns)
        }
        return .rows(command: command, columns: columns, rows: rows)
    }
}
