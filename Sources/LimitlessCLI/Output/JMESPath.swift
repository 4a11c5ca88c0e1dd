import LimitlessSupport

/// A compiled `--query` expression.
public struct JMESPathExpression: Sendable {
    public let source: String
    public init(_ source: String) throws(JMESPathError) {
        self.source = source
        throw JMESPathError("Bad value for --query \(source): JMESPath is not implemented yet")
    }
    public func evaluate(_ value: JSON) -> JSON { value }
}
