#if canImport(Glibc)
import Glibc
#endif

/// An operating-system error with the path it concerned: `open /x/y: No such file or directory`.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32
    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation; self.path = path; self.code = code
    }
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// Small, Foundation-free file helpers. Every write that must survive a crash goes through
/// `writeAtomically` (write a temporary file, fsync it, rename it over the target, fsync the folder).
public enum Files {
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The whole file as bytes.
    public static func readBytes(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    public static func readText(_ path: String) throws(SystemError) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// Writes all of `bytes` to `fd`, retrying short writes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path)
            }
            off += n
        }
    }

    /// Replaces `path` with `bytes` so that a crash leaves either the old or the new content.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(SystemError) {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError("open", tmp) }
        do throws(SystemError) {
            try writeAll(fd, bytes, path: tmp)
            if fsync(fd) != 0 { throw SystemError("fsync", tmp) }
        } catch {
            close(fd); unlink(tmp); throw error
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = SystemError("rename", path); unlink(tmp); throw e
        }
        syncDirectory(of: path)
    }

    public static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o600) throws(SystemError) {
        try writeAtomically(path, Array(text.utf8), mode: mode)
    }

    /// fsyncs the folder holding `path`, so a rename or create in it is durable.
    public static func syncDirectory(of path: String) {
        let dir = parent(path)
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Creates `path` and any missing parents with `mode` (0700 by default).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(SystemError) {
        if isDirectory(path) { return }
        let up = parent(path)
        if up != path && up != "." && up != "/" && !isDirectory(up) {
            try makeDirectories(up, mode: mode)
        }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", path) }
    }

    /// The names in a folder, sorted, without `.` and `..`.
    public static func list(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes a file or a whole folder tree.
    public static func removeTree(_ path: String) throws(SystemError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SystemError("stat", path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(join(path, name)) }
            if rmdir(path) != 0 { throw SystemError("rmdir", path) }
        } else if unlink(path) != 0 {
            throw SystemError("unlink", path)
        }
    }

    /// Copies a regular file (used for final snapshots).
    public static func copyFile(_ from: String, _ to: String) throws(SystemError) {
        try writeAtomically(to, try readBytes(from))
    }
}

/// An advisory lock on a file (flock), held until `unlock()` or deinit.
/// Serialises metadata changes between several `limitless` processes.
public final class FileLock {
    let fd: Int32
    public let path: String

    /// Opens (creating it 0600) and locks `path`; blocks until the lock is free.
    public init(path: String, exclusive: Bool = true) throws(SystemError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw SystemError("open", path) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let e = SystemError("flock", path); close(fd); throw e
        }
        self.fd = fd
    }

    public func unlock() { flock(fd, LOCK_UN) }

    deinit { close(fd) }
}
