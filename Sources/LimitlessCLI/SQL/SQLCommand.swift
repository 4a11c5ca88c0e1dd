#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import LimitlessEngine

/// `limitless sql`: runs statements from -c / -f / stdin against a cluster's shard group and
/// prints each result in the chosen format. See `SQLOptions`.
public enum SQLCommand {
    /// Exit statuses: 0 all statements succeeded; 1 one failed; 2 the cluster could not be
    /// opened; 130 interrupted.
    public static func run(_ options: SQLOptions, dataDirectory: String) -> Int32 {
        let engine: ClusterEngine
        do {
            engine = try ClusterEngine(directory: dataDirectory)
        } catch {
            Console.err("limitless: error: cannot open the shard group of cluster \(options.clusterIdentifier): \(error.message)\n")
            return 2
        }
        engine.installInterruptHandler()
        if options.inputs.isEmpty && Console.stdinIsTerminal { return InteractiveShell.run(engine: engine, options: options, clusterIdentifier: options.clusterIdentifier, dataDirectory: dataDirectory) }
        let writer = SQLResultWriter(format: options.output, quiet: options.quiet)
        var sources: [(name: String, text: String)] = []
        let inputs = options.inputs.isEmpty ? [SQLInput.file("-")] : options.inputs
        var status: Int32 = 0
        var stopped = false

        func runOne(_ sql: String, source: String, text: String, offset: Int) -> Bool {
            if ClusterEngine.interrupted { return false }
            do {
                if let result = try engine.execute(sql) { writer.write(result) }
                Console.flush()
                return true
            } catch {
                if ClusterEngine.interrupted || error.code == "57014" {
                    ClusterEngine.interrupted = true
                    writer.writeError(error, statement: sql)
                    return false
                }
                writer.writeError(error, statement: sql)
                status = 1
                return options.onError == .continue
            }
        }

        for input in inputs {
            switch input {
            case let .command(s): sources.append(("-c", s))
            case let .file(path):
                if path == "-" {
                    sources.append(("<stdin>", readStandardInput()))
                } else {
                    do { sources.append((path, try Files.readText(path))) } catch {
                        Console.err("limitless: error: \(error.description)\n")
                        return 1
                    }
                }
            }
        }
        if options.singleTransaction {
            _ = try? engine.execute("BEGIN")
        }
        outer: for (name, text) in sources {
            for stmt in ClusterEngine.splitStatements(text) {
                if !runOne(stmt, source: name, text: text, offset: 0) { stopped = true; break outer }
            }
        }
        if options.singleTransaction {
            if status != 0 { _ = try? engine.execute("ROLLBACK") } else {
                do { _ = try engine.execute("COMMIT") } catch { writer.writeError(error, statement: "COMMIT"); status = 1 }
            }
        }
        _ = stopped
        Console.flush()
        if ClusterEngine.interrupted { return 130 }
        return status
    }

    static func readStandardInput() -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, 65536) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
