/// What `limitless sql` was asked to do, handed to `SQLCommand.run(_:dataDirectory:)`.
public struct SQLOptions: Sendable, Equatable {
    public var clusterIdentifier: String
    /// `-c SQL` and `-f FILE` in the order given (`-f -` reads standard input).
    /// Empty means: read standard input.
    public var inputs: [SQLInput]
    public var output: SQLOutputFormat
    public var onError: SQLOnError
    public var singleTransaction: Bool
    public var quiet: Bool

    public init(clusterIdentifier: String, inputs: [SQLInput] = [], output: SQLOutputFormat = .table,
                onError: SQLOnError = .stop, singleTransaction: Bool = false, quiet: Bool = false) {
        self.clusterIdentifier = clusterIdentifier
        self.inputs = inputs
        self.output = output
        self.onError = onError
        self.singleTransaction = singleTransaction
        self.quiet = quiet
    }
}

public enum SQLInput: Sendable, Equatable {
    case command(String)
    case file(String)
}

public enum SQLOutputFormat: String, Sendable, CaseIterable {
    case table, json, csv, tsv
}

public enum SQLOnError: String, Sendable, CaseIterable {
    case stop, `continue`
}
