import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program running on a pseudo-terminal of its own, as a user's terminal runs it: the test
/// types bytes into the master side and reads what the program draws, through `Screen`, a small
/// terminal emulator, so assertions are on what a user would see (readline's redraws, erased
/// progress lines and trailing spaces included).
///
/// The child is started with posix_spawn in a new session (POSIX_SPAWN_SETSID) and opens the
/// slave side as its standard input, output and error, which makes the slave its controlling
/// terminal: Ctrl-C typed into the master reaches it as SIGINT. Every read has a deadline
/// (poll with a timeout), so a test that waits for something that never comes fails with the
/// screen in the message instead of hanging; the child is killed when the terminal goes away.
final class PseudoTerminal {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let master: Int32
    let pid: pid_t
    let screen: Screen
    private(set) var exitStatus: Int32? = nil
    /// No more output will come (the child closed the slave side).
    private(set) var closed = false
    /// Every byte the program wrote, for failure messages.
    private(set) var raw: [UInt8] = []

    init(_ program: String, _ arguments: [String], environment: [String: String], columns: Int = 100, rows: Int = 40) throws {
        let m = PTY.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard m >= 0 else { throw Failure(description: "posix_openpt: \(String(cString: strerror(errno)))") }
        guard PTY.grantpt(m) == 0, PTY.unlockpt(m) == 0 else {
            close(m)
            throw Failure(description: "grantpt/unlockpt: \(String(cString: strerror(errno)))")
        }
        var nameBuffer = [CChar](repeating: 0, count: 256)
        guard PTY.ptsname_r(m, &nameBuffer, nameBuffer.count) == 0 else {
            close(m)
            throw Failure(description: "ptsname_r: \(String(cString: strerror(errno)))")
        }
        let slavePath = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // The window size lives with the pair; set it before the program asks.
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(m, UInt(TIOCSWINSZ), &size) == 0 else {
            close(m)
            throw Failure(description: "TIOCSWINSZ: \(String(cString: strerror(errno)))")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session (so the terminal becomes the child's controlling terminal), nothing
        // blocked, and the job-control signals at their defaults whatever the test runner set.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(PTY.spawnSetsid | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened after setsid and without O_NOCTTY: the slave becomes the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        _ = PTY.addclosefrom(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.keys.sorted().map { strdup("\($0)=\(environment[$0]!)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            close(m)
            throw Failure(description: "posix_spawn \(program): \(String(cString: strerror(rc)))")
        }
        master = m
        pid = child
        screen = Screen(columns: columns)
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        close(master)
    }

    // MARK: typing

    /// Types `text` as keystrokes (`\r` is Enter, `\t` Tab, `\u{3}` Ctrl-C, `\u{4}` Ctrl-D).
    func type(_ text: String) throws {
        var bytes = Array(text.utf8)
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(description: "writing to the terminal: \(String(cString: strerror(errno)))\n\(transcript)")
            }
            bytes.removeFirst(n)
        }
    }

    /// How long a wait lasts before it fails: generous, since the whole test suite may be
    /// running at once on a small shared machine; a passing test never waits this long.
    static let patience = 60.0

    /// Resizes the terminal, as a user dragging the window does (the program gets SIGWINCH).
    func resize(columns: Int, rows: Int) throws {
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(master, UInt(TIOCSWINSZ), &size) == 0 else {
            throw Failure(description: "TIOCSWINSZ: \(String(cString: strerror(errno)))")
        }
        screen.columns = columns
    }

    static let up = "\u{1B}[A"
    static let down = "\u{1B}[B"
    static let ctrlC = "\u{3}"
    static let ctrlD = "\u{4}"

    // MARK: reading

    /// Reads what is there, waiting at most `timeout` seconds for the first byte.
    private func pump(_ timeout: Double) {
        guard !closed else {
            reap()
            if exitStatus == nil { usleep(UInt32(max(0, min(timeout, 0.05)) * 1_000_000)) }
            return
        }
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
        if r <= 0 { reap(); return }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        if n > 0 {
            raw.append(contentsOf: buffer[0..<n])
            screen.feed(buffer[0..<n])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            // EIO: every slave descriptor is closed.
            closed = true
        }
        reap()
    }

    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
    }

    /// Reads until `done` holds, failing after `timeout` seconds with the screen in the message.
    func wait(for what: String, timeout: Double = PseudoTerminal.patience, _ done: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !done() {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 {
                throw Failure(description: "timed out after \(timeout) s waiting for \(what); the screen:\n\(transcript)")
            }
            if closed && exitStatus != nil {
                throw Failure(description: "the program ended (status \(exitStatus!)) while waiting for \(what); the screen:\n\(transcript)")
            }
            pump(min(left, 0.2))
        }
    }

    /// Waits until the cursor sits right after `prompt` at the start of a line below `row`
    /// (the program is waiting for input there).
    func waitForPrompt(_ prompt: String, below row: Int, timeout: Double = PseudoTerminal.patience) throws {
        try wait(for: "the prompt \(prompt.debugDescription) below line \(row)", timeout: timeout) {
            screen.row > row && screen.currentLine == prompt && screen.column == prompt.count
        }
    }

    /// Waits until `needle` appears on the screen at or below `row`.
    func waitFor(_ needle: String, from row: Int, timeout: Double = PseudoTerminal.patience) throws {
        try wait(for: needle.debugDescription, timeout: timeout) {
            screen.text(from: row).contains(needle)
        }
    }

    /// Waits for the program to end; returns its exit status (or the signal number + 128).
    func waitForExit(timeout: Double = PseudoTerminal.patience) throws -> Int32 {
        try wait(for: "the program to exit", timeout: timeout) {
            exitStatus != nil
        }
        // Read what is left (the slave side closes with the program).
        let drainUntil = Date().addingTimeInterval(2)
        while !closed && Date() < drainUntil { pump(0.05) }
        let s = exitStatus!
        if s & 0x7f == 0 { return (s >> 8) & 0xff }
        return 128 + (s & 0x7f)
    }

    /// The whole screen (with its scrollback), for failure messages.
    var transcript: String {
        screen.lines.enumerated().map { "\(String(format: "%3d", $0.offset))| \($0.element)" }.joined(separator: "\n")
            + "\n(cursor at line \(screen.row), column \(screen.column))"
    }
}

/// The glibc functions the Glibc module leaves out (they sit behind _GNU_SOURCE and
/// _XOPEN_SOURCE), looked up at run time.
private enum PTY {
    nonisolated(unsafe) static let handle = dlopen(nil, RTLD_NOW)
    static func symbol<T>(_ name: String, _: T.Type) -> T {
        guard let p = dlsym(handle, name) else { fatalError("\(name) not found in the C library") }
        return unsafeBitCast(p, to: T.self)
    }
    static let posix_openpt = symbol("posix_openpt", (@convention(c) (Int32) -> Int32).self)
    static let grantpt = symbol("grantpt", (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = symbol("unlockpt", (@convention(c) (Int32) -> Int32).self)
    static let ptsname_r = symbol("ptsname_r", (@convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32).self)
    static let addclosefrom = symbol("posix_spawn_file_actions_addclosefrom_np",
                                     (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    /// POSIX_SPAWN_SETSID in glibc's <spawn.h>.
    static let spawnSetsid: Int32 = 0x80
}

/// Just enough of an xterm to replay what readline and the shell write: printable text with
/// autowrap, CR, LF, BS, TAB, and the CSI sequences for cursor moves, erasing and inserting or
/// deleting characters. Colours, modes (bracketed paste) and titles are ignored. The screen
/// never scrolls away: line 0 is the first line the program wrote.
final class Screen {
    var columns: Int
    private(set) var grid: [[Unicode.Scalar]] = [[]]
    private(set) var row = 0
    private(set) var column = 0
    private var pendingBytes: [UInt8] = []
    private enum State { case text, escape, csi, osc, charset }
    private var state = State.text
    private var parameters = ""

    init(columns: Int) { self.columns = columns }

    var lines: [String] { grid.map { String(String.UnicodeScalarView($0)) } }
    var currentLine: String { String(String.UnicodeScalarView(grid[row])) }

    /// The lines from `row` down, joined by newlines.
    func text(from first: Int = 0) -> String {
        lines[min(max(0, first), grid.count)...].joined(separator: "\n")
    }

    func feed<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        pendingBytes.append(contentsOf: bytes)
        // Decode complete UTF-8 sequences; keep an incomplete one for the next read.
        var end = pendingBytes.count
        var back = 0
        while back < min(3, pendingBytes.count) {
            let b = pendingBytes[pendingBytes.count - 1 - back]
            if b & 0xC0 == 0x80 { back += 1; continue }
            if b >= 0xC0 {
                let need = b >= 0xF0 ? 4 : (b >= 0xE0 ? 3 : 2)
                if back + 1 < need { end = pendingBytes.count - 1 - back }
            }
            break
        }
        let text = String(decoding: pendingBytes[0..<end], as: UTF8.self)
        pendingBytes.removeFirst(end)
        for u in text.unicodeScalars { put(u) }
    }

    private func ensureRow() {
        while grid.count <= row { grid.append([]) }
    }

    private func put(_ u: Unicode.Scalar) {
        switch state {
        case .escape:
            switch u {
            case "[": state = .csi; parameters = ""
            case "]": state = .osc
            case "(", ")": state = .charset
            default: state = .text   // ESC = , ESC > and the like
            }
            return
        case .charset:
            state = .text
            return
        case .osc:
            if u == "\u{7}" || u == "\\" { state = .text }
            return
        case .csi:
            if u.value >= 0x40 && u.value <= 0x7E {
                state = .text
                control(u, parameters)
            } else {
                parameters.unicodeScalars.append(u)
            }
            return
        case .text:
            break
        }
        switch u {
        case "\u{1B}": state = .escape
        case "\r": column = 0
        case "\n": row += 1; ensureRow()
        case "\u{8}": column = max(0, min(column, columns - 1) - 1)
        case "\t": column = min(columns - 1, (column / 8 + 1) * 8)
        case "\u{7}": break
        default:
            if u.value < 0x20 || u.value == 0x7F { return }
            if column >= columns { row += 1; column = 0; ensureRow() }
            while grid[row].count < column { grid[row].append(" ") }
            if grid[row].count == column { grid[row].append(u) } else { grid[row][column] = u }
            column += 1
        }
    }

    private func control(_ final: Unicode.Scalar, _ p: String) {
        let numbers = p.split(separator: ";", omittingEmptySubsequences: false).map { Int($0.filter(\.isNumber)) }
        let n = max(1, numbers.first.flatMap { $0 } ?? 1)
        let private_ = p.hasPrefix("?") || p.hasPrefix(">")
        if private_ { return }
        switch final {
        case "A": row = max(0, row - n)
        case "B": row += n; ensureRow()
        case "C": column = min(columns - 1, column + n)
        case "D": column = max(0, min(column, columns - 1) - n)
        case "G": column = min(columns - 1, n - 1)
        case "K":
            let mode = numbers.first.flatMap { $0 } ?? 0
            let c = min(column, grid[row].count)
            switch mode {
            case 0: grid[row].removeSubrange(c...)
            case 1: for i in 0..<c { grid[row][i] = " " }
            default: grid[row] = []
            }
        case "J":
            let mode = numbers.first.flatMap { $0 } ?? 0
            if mode == 0 {
                grid[row].removeSubrange(min(column, grid[row].count)...)
                grid.removeSubrange((row + 1)...)
            }
        case "P":
            let c = min(column, grid[row].count)
            grid[row].removeSubrange(c..<min(grid[row].count, c + n))
        case "@":
            if column < grid[row].count { grid[row].insert(contentsOf: Array(repeating: " ", count: n), at: column) }
        case "X":
            for i in column..<min(grid[row].count, column + n) { grid[row][i] = " " }
        default:
            break   // m (colours) and the rest
        }
    }
}
