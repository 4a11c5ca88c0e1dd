import LimitlessSupport

/// `--output json|text|table`, as the aws CLI renders a response.
public enum AWSOutputFormat: String, CaseIterable, Sendable {
    case json, text, table
}

public enum AWSRender {
    /// Renders a response (already filtered by `--query`, if any) in `format`.
    /// `operation` is the model's operation name (`CreateDBShardGroup`), the table title.
    public static func render(_ value: JSON, format: AWSOutputFormat, operation: String) -> String {
        switch format {
        case .json: return value.serialized(.pretty) + "\n"
        case .text: return text(value)
        case .table: return table(value, title: operation)
        }
    }

    /// aws `--output text`. (Placeholder until the renderer lands: prints JSON.)
    public static func text(_ value: JSON) -> String {
        value.serialized(.pretty) + "\n"
    }

    /// aws `--output table`. (Placeholder until the renderer lands: prints JSON.)
    public static func table(_ value: JSON, title: String) -> String {
        value.serialized(.pretty) + "\n"
    }
}

public struct JMESPathError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A compiled `--query` expression.
public struct JMESPathExpression: Sendable {
    public let source: String
    public init(_ source: String) throws(JMESPathError) {
        self.source = source
        throw JMESPathError("Bad value for --query \(source): JMESPath is not implemented yet")
    }
    public func evaluate(_ value: JSON) -> JSON { value }
}
