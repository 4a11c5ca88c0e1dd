/// Everything that can stop a command, and how each is printed and which status it exits with.
///
/// The text follows what the aws CLI prints (Tests/Fixtures/aws-cli/err-*.txt), with these
/// deliberate differences:
/// - aws v1's parser errors start with `usage: \r` and an "AWS CLI version 2" advertisement line,
///   then a blank line; we print neither (no carriage return, no advertisement).
/// - The usage block says `limitless` instead of `aws`, and since limitless has one level of
///   commands (`limitless create-db-cluster`, not `aws rds create-db-cluster`) it shows
///   `limitless [options] <command> [parameters]` and drops the `<command> <subcommand> help` line.
/// - Exit statuses follow aws CLI v2 (252 parse/validation, 254 service, 255 other, 130 Ctrl-C)
///   rather than v1's 2/255.
public struct CLIError: Error, Sendable {
    public enum Kind: Sendable {
        /// argparse-style: usage block, then `limitless: error: MESSAGE`.
        case usage(String)
        /// Usage block, blank line, `Unknown options: a, b`.
        case unknownOptions([String])
        /// A parameter that could not be read or validated: `\nMESSAGE\n`.
        case parameter(String)
        /// A service error: `\nAn error occurred (CODE) when calling the OP operation: MESSAGE\n`.
        case service(code: String, operation: String, message: String)
        /// Anything else (damaged metadata, I/O): `\nMESSAGE\n`.
        case other(String)
        /// A `limitless sql` precondition: `limitless: MESSAGE`.
        case local(String, status: Int32)
    }

    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public static func usage(_ m: String) -> CLIError { CLIError(.usage(m)) }
    public static func parameter(_ m: String) -> CLIError { CLIError(.parameter(m)) }
    public static func other(_ m: String) -> CLIError { CLIError(.other(m)) }
    public static func service(_ code: String, _ operation: String, _ message: String) -> CLIError {
        CLIError(.service(code: code, operation: operation, message: message))
    }

    public static let usageBlock = """
        usage: limitless [options] <command> [parameters]
        To see help text, you can run:

          limitless help
          limitless <command> help

        """

    public var status: Int32 {
        switch kind {
        case .usage, .unknownOptions, .parameter: return 252
        case .service: return 254
        case .other: return 255
        case let .local(_, status): return status
        }
    }

    /// The exact bytes written to standard error.
    public var text: String {
        switch kind {
        case let .usage(m): return CLIError.usageBlock + "limitless: error: " + m + "\n"
        case let .unknownOptions(words): return CLIError.usageBlock + "\nUnknown options: " + words.joined(separator: ", ") + "\n"
        case let .parameter(m), let .other(m): return "\n" + m + "\n"
        case let .service(code, op, m): return "\nAn error occurred (\(code)) when calling the \(op) operation: \(m)\n"
        case let .local(m, _): return "limitless: " + m + "\n"
        }
    }
}

/// Python's `repr` of a string or of a parsed JSON value, as the aws CLI's messages quote them
/// (one implementation: `Python` in Output/AWSOutput.swift).
func pyRepr(_ s: String) -> String { Python.stringRepr(s) }
func pyRepr(_ v: JSON) -> String { Python.repr(v) }

/// Python's type name of a parsed JSON value, as botocore's validation messages show it.
func pyTypeName(_ v: JSON) -> String {
    switch v {
    case .null: return "<class 'NoneType'>"
    case .bool: return "<class 'bool'>"
    case .int: return "<class 'int'>"
    case .double: return "<class 'float'>"
    case .string: return "<class 'str'>"
    case .array: return "<class 'list'>"
    case .object: return "<class 'dict'>"
    }
}

import LimitlessSupport
