import LimitlessSupport

/// Temporary stand-in until the engine's Sources/LimitlessCLI/SQL/SQLCommand.swift is merged.
public enum SQLCommand {
    public static func run(_ options: SQLOptions, dataDirectory: String) -> Int32 {
        Console.err("limitless: sql is not available yet\n")
        return 2
    }
}
