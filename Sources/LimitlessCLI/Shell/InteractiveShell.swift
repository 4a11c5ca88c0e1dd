import CReadline
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import LimitlessEngine
import SQLSyntax

/// `limitless sql` on a terminal: a psql-like shell with readline editing, history, tab
/// completion, meta-commands and Ctrl-C that cancels the running statement.
public enum InteractiveShell {
    /// Runs the shell until `\q` or Ctrl-D; returns the exit status (0).
    public static func run(engine: ClusterEngine, options: SQLOptions, clusterIdentifier: String, dataDirectory: String) -> Int32 {
        let session = ShellSession(engine: engine, cluster: clusterIdentifier, dataDirectory: dataDirectory)
        return session.run()
    }
}

// readline's line handler is a plain C function: it leaves the line here.
nonisolated(unsafe) private var readlineLine: UnsafeMutablePointer<CChar>? = nil
nonisolated(unsafe) private var readlineDone = false

private func readlineLineHandler(_ line: UnsafeMutablePointer<CChar>?) {
    readlineLine = line
    readlineDone = true
    rl_callback_handler_remove()
}

/// The progress callback's way back to the session.
nonisolated(unsafe) private var progressShown = false

final class ShellSession {
    enum Expanded { case off, on, auto }

    let engine: ClusterEngine
    let cluster: String
    let dataDirectory: String
    /// The statement being typed (lines not yet ended by `;`).
    var buffer = ""
    var lastStatement = ""
    var variables: [String: String] = [:]
    var timing = false
    var expanded = Expanded.off
    var format = SQLResultFormat.aligned
    var pager = true
    var outputFile: Int32? = nil
    let interactive: Bool
    let color: Bool
    let historyPath: String
    var lastHistoryLine = ""
    /// The lines of the statement being typed, for its history entry.
    var statementLines: [String] = []
    var quitting = false
    /// Lines of standard input when it is not a terminal.
    var pendingInput: [String]? = nil

    init(engine: ClusterEngine, cluster: String, dataDirectory: String) {
        self.engine = engine
        self.cluster = cluster
        self.dataDirectory = dataDirectory
        interactive = isatty(0) != 0
        let noColor = (Environment.get("NO_COLOR") ?? "").isEmpty == false
        color = isatty(1) != 0 && !noColor && Environment.get("TERM") != "dumb"
        historyPath = Files.join(Environment.limitlessHome, "history")
        variables["CLUSTER"] = cluster
    }

    func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // A parent may hand down a mask that blocks Ctrl-C; the shell needs it delivered.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH] { sigaddset(&unblock, sig) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        do {
            try engine.enableInteractiveMonitoring { elapsed, rows in
                ShellSession.showProgress(elapsed: elapsed, rows: rows)
            }
        } catch {
            Console.err(SQLResultWriter.psqlError(error, statement: ""))
        }
        completionEngine = engine
        if interactive { setUpReadline() }
        if interactive {
            Console.out("limitless sql (\(cluster)): \(engine.shardCount) shards. Type \"\\?\" for help, \"\\q\" to quit.\n\n")
        }
        while !quitting {
            let prompt = ShellText.prompt(cluster: cluster, buffer: buffer, inTransaction: engine.inTransaction,
                                          failed: engine.transactionFailed, bold: color)
            Console.flush()
            switch readLine(prompt: prompt) {
            case .eof:
                if interactive { Console.out("\\q\n") }
                quitting = true
            case .cancelled:
                buffer = ""
                statementLines = []
            case let .line(text):
                handle(line: text)
                // psql's way: a statement typed over several lines is one history entry, kept
                // once it is complete; a meta-command line is an entry of its own.
                if interactive && !text.isEmpty {
                    if buffer.isEmpty && statementLines.isEmpty {
                        remember(text)
                    } else {
                        statementLines.append(text)
                        if buffer.isEmpty {
                            remember(statementLines.joined(separator: "\n"))
                            statementLines = []
                        }
                    }
                }
            }
        }
        if interactive && !statementLines.isEmpty { remember(statementLines.joined(separator: "\n")) }
        if !interactive, !buffer.shellTrimmed.isEmpty {
            runStatement(buffer)
            buffer = ""
        }
        closeOutputFile()
        Console.flush()
        if interactive { _ = history_truncate_file(historyPath, 1000) }
        completionEngine = nil
        return 0
    }

    // MARK: reading lines

    enum Input { case line(String), eof, cancelled }

    func setUpReadline() {
        limitless_rl_set_name("limitless")
        limitless_rl_set_catch_signals(0)
        limitless_rl_set_completion(shellCompletionCallback)
        limitless_rl_set_word_breaks(completionWordBreaks)
        using_history()
        try? Files.makeDirectories(Environment.limitlessHome)
        let fd = open(historyPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        if fd >= 0 { close(fd) }
        _ = read_history(historyPath)
        // The file keeps one entry a line, with the newlines inside an entry as \u{1} (as psql
        // does); in memory, and when recalled, an entry has its newlines back.
        guard let list = history_list() else { return }
        var i = 0
        while let entry = list[i] {
            if let line = entry.pointee.line {
                let text = String(cString: line).replacingEvery("\u{1}", with: "\n")
                if strchr(line, 1) != nil, let old = replace_history_entry(Int32(i), text, nil) { _ = free_history_entry(old) }
                lastHistoryLine = text
            }
            i += 1
        }
    }

    /// Adds an entry to the history and appends it to the history file at once (so a crash
    /// loses nothing); entries that carry a password are left out.
    func remember(_ entry: String) {
        guard ShellText.recordInHistory(entry), entry != lastHistoryLine else { return }
        lastHistoryLine = entry
        add_history(entry)
        let fd = open(historyPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        try? Files.writeAll(fd, Array((entry.replacingEvery("\n", with: "\u{1}") + "\n").utf8), path: historyPath)
        close(fd)
    }

    func readLine(prompt: String) -> Input {
        if !interactive {
            if pendingInput == nil {
                let text = SQLCommand.readStandardInput()
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.last == "" { lines.removeLast() }
                pendingInput = lines.reversed()
            }
            guard let l = pendingInput?.popLast() else { return .eof }
            return .line(l)
        }
        readlineDone = false
        readlineLine = nil
        let sigints = ClusterEngine.sigintCount
        // Ctrl-C must wake the wait for input even when it arrives while readline handles a
        // key: SIGINT stays blocked here except inside pselect, which unblocks it atomically,
        // so a Ctrl-C is either seen by the check below or ends the wait with EINTR.
        var intMask = sigset_t()
        sigemptyset(&intMask)
        sigaddset(&intMask, SIGINT)
        var previousMask = sigset_t()
        sigprocmask(SIG_BLOCK, &intMask, &previousMask)
        defer { sigprocmask(SIG_SETMASK, &previousMask, nil) }
        var waitMask = previousMask
        sigdelset(&waitMask, SIGINT)
        limitless_rl_install(prompt, readlineLineHandler)
        while !readlineDone {
            if ClusterEngine.sigintCount != sigints {
                limitless_rl_cancel_line()
                rl_callback_handler_remove()
                Console.out("\n")
                return .cancelled
            }
            var readable = fd_set()
            readable.__fds_bits.0 = 1   // standard input, descriptor 0
            let r = pselect(1, &readable, nil, nil, nil, &waitMask)
            if r < 0 {
                if errno == EINTR { continue }
                rl_callback_handler_remove()
                return .eof
            }
            if r > 0 { rl_callback_read_char() }
        }
        guard let p = readlineLine else { return .eof }
        let s = String(cString: p)
        free(p)
        return .line(s)
    }

    // MARK: lines and statements

    func handle(line: String) {
        let state = SQLLexState().after(buffer)
        let openQuote = state.mode == .singleQuote || state.mode == .doubleQuote || state.mode == .blockComment
        if !openQuote, line.shellTrimmed.hasPrefix("\\") {
            var s = SQLLexState()
            let text = ShellText.substitute(line, variables: variables, state: &s)
            if let meta = ShellText.parseMetaCommand(text) { runMetaCommand(meta) }
            return
        }
        var s = state
        if s.mode == .lineComment { s.mode = .normal }
        let text = ShellText.substitute(line, variables: variables, state: &s)
        buffer = buffer.isEmpty ? text : buffer + "\n" + text
        let (statements, rest) = ShellText.takeStatements(buffer)
        buffer = rest
        for sql in statements {
            runStatement(sql, endedBySemicolon: true)
            if quitting { break }
        }
    }

    /// Runs one statement and shows its result or error. An error quotes the statement as it
    /// was typed, with its `;` as psql shows it (the engine gets it without).
    func runStatement(_ sql: String, endedBySemicolon: Bool = false) {
        lastStatement = sql
        let start = Clock.monotonic()
        var result: StatementResult?
        var failure: EngineError?
        do {
            result = try engine.executeMonitored(sql)
        } catch {
            failure = error
        }
        ShellSession.clearProgress()
        ClusterEngine.interrupted = false
        completionNamesCache = nil
        if let failure {
            Console.flush()
            Console.err(SQLResultWriter.psqlError(failure, statement: endedBySemicolon ? sql + ";" : sql))
        } else if let result {
            emit(render(result))
        }
        if timing {
            emit("Time: " + ShellSession.milliseconds(Clock.monotonic() - start) + " ms\n")
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        let thousandths = Int((seconds * 1_000_000).rounded())
        let frac = thousandths % 1000
        let f = String(frac)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - f.count) + f
    }

    func render(_ result: StatementResult) -> String {
        switch result {
        case let .rows(command, columns, rows):
            switch format {
            case .csv: return SQLRender.csv(columns: columns, rows: rows)
            case .tsv: return SQLRender.tsv(columns: columns, rows: rows)
            case .json: return SQLRender.jsonLine(command: command, columns: columns, rows: rows)
            case .aligned:
                switch expanded {
                case .on: return ShellText.expanded(columns: columns, rows: rows)
                case .off: return SQLRender.aligned(columns: columns, rows: rows)
                case .auto:
                    let text = SQLRender.aligned(columns: columns, rows: rows)
                    let width = terminalSize().columns
                    let widest = text.split(separator: "\n").map { String($0).displayWidth }.max() ?? 0
                    return width > 0 && widest > width ? ShellText.expanded(columns: columns, rows: rows) : text
                }
            }
        case let .command(tag, affected):
            if format == .json {
                var members: [(String, JSON)] = [("command", .string(tag))]
                if let n = affected { members.append(("rows_affected", .int(Int64(n)))) }
                return JSON.object(members).serialized() + "\n"
            }
            return tag + "\n"
        }
    }

    // MARK: output

    func terminalSize() -> (rows: Int, columns: Int) {
        var r: Int32 = 0, c: Int32 = 0
        limitless_terminal_size(1, &r, &c)
        return (Int(r), Int(c))
    }

    /// Writes output to the `\o` file, or to standard output through the pager when it is
    /// taller than the terminal.
    func emit(_ text: String) {
        if let fd = outputFile {
            Console.flush()
            try? Files.writeAll(fd, Array(text.utf8), path: "\\o")
            return
        }
        if interactive, pager, isatty(1) != 0, let command = ShellSession.pagerCommand() {
            let size = terminalSize()
            var lines = 0
            for b in text.utf8 where b == 10 { lines += 1 }
            if size.rows > 0, lines >= size.rows {
                Console.flush()
                if let f = popen(command, "w") {
                    _ = text.withCString { fputs($0, f) }
                    pclose(f)
                    return
                }
            }
        }
        Console.out(text)
        Console.flush()
    }

    /// `$PAGER` (none when set empty), else `less -S` when less is on the PATH.
    static func pagerCommand() -> String? {
        if let p = Environment.get("PAGER") { return p.shellTrimmed.isEmpty ? nil : p }
        for dir in (Environment.get("PATH") ?? "/usr/bin:/bin").split(separator: ":") {
            if access(String(dir) + "/less", X_OK) == 0 { return "less -S" }
        }
        return nil
    }

    func closeOutputFile() {
        if let fd = outputFile { close(fd) }
        outputFile = nil
    }

    static func showProgress(elapsed: Double, rows: Int64) {
        guard isatty(2) != 0 else { return }
        let tenths = Int(elapsed * 10)
        var line = "\r\u{1B}[K… running \(tenths / 10).\(tenths % 10) s"
        if rows > 0 { line += ", \(rows) rows written" }
        line += " (Ctrl-C cancels)"
        Console.err(line)
        progressShown = true
    }

    static func clearProgress() {
        if progressShown {
            Console.err("\r\u{1B}[K")
            progressShown = false
        }
    }
}
