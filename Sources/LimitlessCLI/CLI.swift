import LimitlessSupport
import LimitlessEngine

/// The command-line front door: parses arguments, runs a command, returns the exit status.
public enum CLI {
    public static let version = "0.1.0"

    public static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "--version" {
            Console.out("limitless \(version) (SQLite \(LimitlessEngine.sqliteVersion))\n")
            Console.flush()
            return 0
        }
        if arguments.first == "__sql" { return SQLDevEntry.run(Array(arguments.dropFirst())) }  // temporary (engine)
        Console.err("limitless: error: not implemented yet\n")
        return 255
    }
}
