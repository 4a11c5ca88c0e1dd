// DRAFT: helper "cli" owns Sources/LimitlessCLI/SQLOptions.swift with the same declarations;
// this file stands in until that branch lands and is then deleted by the merge.

public enum SQLInput: Equatable, Sendable {
    /// `-c SQL`
    case command(String)
    /// `-f FILE`; "-" is standard input.
    case file(String)
}

public enum SQLOutputFormat: String, Sendable {
    case table, json, csv, tsv
}

public enum SQLOnError: String, Sendable {
    case stop, `continue`
}

public struct SQLOptions: Sendable {
    public var clusterIdentifier: String
    public var inputs: [SQLInput]
    public var output: SQLOutputFormat
    public var onError: SQLOnError
    public var singleTransaction: Bool
    public var quiet: Bool

    public init(clusterIdentifier: String, inputs: [SQLInput] = [], output: SQLOutputFormat = .table,
                onError: SQLOnError = .stop, singleTransaction: Bool = false, quiet: Bool = false) {
        self.clusterIdentifier = clusterIdentifier; self.inputs = inputs; self.output = output
        self.onError = onError; self.singleTransaction = singleTransaction; self.quiet = quiet
    }
}
