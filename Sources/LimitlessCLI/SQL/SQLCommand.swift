#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import LimitlessEngine
import SQLSyntax

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
        if options.inputs.isEmpty && Console.stdinIsTerminal {
            let status = InteractiveShell.run(engine: engine, options: options, clusterIdentifier: options.clusterIdentifier,
                                              dataDirectory: dataDirectory)
            engine.close()
            return status
        }
        let writer = SQLResultWriter(format: options.output, quiet: options.quiet)
        let inputs = options.inputs.isEmpty ? [SQLInput.file("-")] : options.inputs
        var status: Int32 = 0
        var stopped = false

        // Answers to a conversation on standard input are flushed statement by statement; a
        // script from -c / -f is written in 64 KiB blocks (and at the end), as sqlite3 does.
        // Errors go to stderr, which flushes what stdout holds first, so the order is kept.
        func runOne(_ sql: String, source: String, text: String, offset: Int) -> Bool {
            if ClusterEngine.interrupted { return false }
            // Rows go to the stream as the engine produces them; on an error, those already
            // written (CSV, TSV) stay, as in psql and sqlite3.
            let stream = writer.stream()
            do {
                if let result = try engine.execute(sql, into: stream) { writer.write(result, stream: stream) }
                if writer.flushEach { Console.flush() }
                return true
            } catch {
                stream.discard()
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

        if options.singleTransaction {
            _ = try? engine.execute("BEGIN")
        }
        outer: for input in inputs {
            switch input {
            case let .command(text):
                for stmt in SQLSyntax.splitStatements(text) {
                    if !runOne(stmt.text, source: "-c", text: text, offset: stmt.start) { stopped = true; break outer }
                }
            case let .file(path):
                if path == "-" {
                    writer.flushEach = true
                    defer { writer.flushEach = false }
                    // Standard input is read as it arrives: each statement runs (and its answer
                    // is flushed) as soon as it is complete, so a client can hold a conversation.
                    var keepGoing = true
                    readStatements(fd: 0) { stmt in
                        keepGoing = runOne(stmt, source: "<stdin>", text: stmt, offset: 0)
                        return keepGoing
                    }
                    if !keepGoing { stopped = true; break outer }
                } else {
                    let text: String
                    do { text = try Files.readText(path) } catch {
                        Console.err("limitless: error: \(error.description)\n")
                        status = 1
                        break outer
                    }
                    for stmt in SQLSyntax.splitStatements(text) {
                        if !runOne(stmt.text, source: path, text: text, offset: stmt.start) { stopped = true; break outer }
                    }
                }
            }
        }
        if options.singleTransaction {
            if status != 0 { _ = try? engine.execute("ROLLBACK") } else {
                do { _ = try engine.execute("COMMIT") } catch { writer.writeError(error, statement: "COMMIT"); status = 1 }
            }
        }
        _ = stopped
        engine.close()
        Console.flush()
        if ClusterEngine.interrupted { return 130 }
        return status
    }

    /// Reads `fd` to its end, handing each complete statement to `body` as soon as its bytes
    /// have arrived (a trailing statement without `;` runs at the end); stops when `body`
    /// returns false.
    static func readStatements(fd: Int32, _ body: (String) -> Bool) {
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var atEnd = false
        while !atEnd {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR && !ClusterEngine.interrupted { continue }
            if n <= 0 { atEnd = true } else { pending.append(contentsOf: buf[0..<n]) }
            // Only whole statements run before the end; the bytes after the last `;` that ends
            // one wait for more input (they may hold half a character, even).
            let text = String(decoding: pending, as: UTF8.self)
            var consumed = 0
            for stmt in SQLSyntax.splitStatements(text) {
                if !stmt.isComplete && !atEnd { break }
                if !body(stmt.text) { return }
                consumed = stmt.end
                while consumed < pending.count && pending[consumed] != UInt8(ascii: ";") { consumed += 1 }
                consumed = min(consumed + 1, pending.count)
            }
            if consumed > 0 { pending.removeFirst(consumed) }
        }
    }

    /// All of standard input (the shell's non-interactive mode reads it line by line from this).
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
