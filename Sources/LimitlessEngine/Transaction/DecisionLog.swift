#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// `decisions.log`: the commit decisions of a shard group, one record per distributed
/// transaction. Writing a record and `fdatasync`ing it is the commit point of a transaction
/// that changed several places (docs/ARCHITECTURE.md, "Commit protocol").
///
/// A record, little-endian:
///
///     0   u32  magic "LDEC"
///     4   u32  n, the length of the body
///     8   u64  transaction id
///     16  i64  decided at (microseconds since 1970, UTC)
///     24  n    body: every participant's redo (`CommitCoordinator.encodeParts`); empty for a
///              record that only holds its transaction id's place
///     24+n u64 checksum of bytes 0 ..< 24+n
///
/// Records are written in place, one after another from offset 0, into a file whose first
/// `preallocated` bytes were written (zeros) and synced when it was made: a sync then has no
/// file size or block map to write, only the record's pages. The log is valid from offset 0
/// for as long as records have the magic, a good checksum and strictly increasing transaction
/// ids; the first that does not ends it. So a torn record (a crash mid-write) ends the log,
/// and so do the older records that remain after the log starts again at offset 0 (forgetting
/// writes one empty record there, with the newest id: everything after it has smaller ids).
final class DecisionLog {
    struct Record: Equatable {
        var txid: Int64
        var decidedAt: Int64
        var body: [UInt8]
    }

    /// Where the next record goes, and the id of the last one.
    struct Position: Equatable {
        var end: Int
        var lastTxid: Int64
    }

    let path: String
    private let fd: Int32

    static let magic: UInt32 = 0x4345_444C   // "LDEC" in the file
    static let headerSize = 24
    static let checksumSize = 8
    static let preallocated = 64 * 1024

    /// Opens the log at `path`, which must exist (`create` makes it).
    init(path: String) throws(EngineError) {
        self.path = path
        fd = open(path, O_RDWR | O_CLOEXEC)
        if fd < 0 { throw EngineError("could not open \(path): \(String(cString: strerror(errno)))", code: "58030") }
    }

    deinit { close(fd) }

    /// Makes a new log holding `records` (in increasing id order), durably and atomically: it is
    /// written and synced under another name, then renamed over `path`, and the folder synced.
    static func create(path: String, records: [Record]) throws(EngineError) {
        var bytes: [UInt8] = []
        for r in records { bytes += encode(r) }
        let size = max(bytes.count, preallocated)
        bytes += [UInt8](repeating: 0, count: size - bytes.count)
        let temporary = path + ".new"
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw EngineError("could not create \(temporary): \(String(cString: strerror(errno)))", code: "58030") }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw EngineError("could not write \(path): \(String(cString: strerror(errno)))", code: "58030")
        }
        let slash = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dir = open(slash.isEmpty ? "/" : slash, O_RDONLY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    static func encode(_ r: Record) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + r.body.count + checksumSize)
        put(&out, UInt64(magic), 4)
        put(&out, UInt64(r.body.count), 4)
        put(&out, UInt64(bitPattern: r.txid), 8)
        put(&out, UInt64(bitPattern: r.decidedAt), 8)
        out += r.body
        put(&out, checksum(out[...]), 8)
        return out
    }

    private static func put(_ out: inout [UInt8], _ v: UInt64, _ width: Int) {
        for i in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// The little-endian number at `at` (counted from the slice's start).
    private static func get(_ bytes: ArraySlice<UInt8>, _ at: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[bytes.startIndex + at + i]) << (8 * UInt64(i)) }
        return v
    }

    /// A checksum that tells a whole record from a torn one (not from a forged one): FNV-1a's
    /// multiply over 8-byte words, then over the remaining bytes.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* prime
                h ^= h >> 32
                i += 8
            }
            while i < raw.count {
                h = (h ^ UInt64(raw[i])) &* prime
                i += 1
            }
        }
        return h
    }

    /// Every valid record from offset 0, and where the next one goes. Reads only as far as
    /// the log goes (the file can be much longer: a big decision once grew it).
    func scan() throws(EngineError) -> (records: [Record], position: Position) {
        var buffer: [UInt8] = []
        var bufferStart = 0
        var failed = false
        // A header torn by a power cut can claim a body of up to 4 GiB: what lies past the
        // file's end is never read, nor room made for it.
        var st = stat()
        if fstat(fd, &st) != 0 { throw EngineError("could not read \(path): \(String(cString: strerror(errno)))", code: "58030") }
        let size = Int(st.st_size)
        let result = DecisionLog.parse { (at: Int, count: Int) -> ArraySlice<UInt8>? in
            if at + count > size { return nil }
            if at < bufferStart || at + count > bufferStart + buffer.count {
                buffer = [UInt8](repeating: 0, count: min(max(count, 64 * 1024), size - at))
                var got = 0
                while got < buffer.count {
                    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(at + got)) }
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { failed = true }
                    if n <= 0 { break }
                    got += n
                }
                buffer.removeSubrange(got...)
                bufferStart = at
                if at + count > bufferStart + buffer.count { return nil }
            }
            return buffer[(at - bufferStart)..<(at - bufferStart + count)]
        }
        if failed { throw EngineError("could not read \(path): \(String(cString: strerror(errno)))", code: "58030") }
        return result
    }

    /// The log in `bytes` (tests).
    static func parse(_ bytes: ArraySlice<UInt8>) -> (records: [Record], position: Position) {
        parse { at, count in
            at + count <= bytes.count ? bytes[(bytes.startIndex + at)..<(bytes.startIndex + at + count)] : nil
        }
    }

    /// Reads records through `read(offset, count)` (nil past the end of the file).
    static func parse(_ read: (Int, Int) -> ArraySlice<UInt8>?) -> (records: [Record], position: Position) {
        var records: [Record] = []
        var at = 0
        var last = Int64.min
        while let header = read(at, headerSize), get(header, 0, 4) == UInt64(magic) {
            let n = Int(get(header, 4, 4))
            let txid = Int64(bitPattern: get(header, 8, 8))
            guard txid > last, let whole = read(at, headerSize + n + checksumSize) else { break }
            let end = whole.startIndex + headerSize + n
            guard get(whole, end - whole.startIndex, 8) == checksum(whole[..<end]) else { break }
            records.append(Record(txid: txid, decidedAt: Int64(bitPattern: get(header, 16, 8)),
                                  body: Array(whole[(whole.startIndex + headerSize)..<end])))
            last = txid
            at += headerSize + n + checksumSize
        }
        return (records, Position(end: at, lastTxid: records.last?.txid ?? 0))
    }

    /// Writes `record` at `offset` and syncs it: once this returns, the record is durable.
    /// On a failure the error is thrown and, with `wipeOnFailure`, the record's magic is
    /// overwritten (so a later scan cannot take a record whose commit was reported failed for
    /// a decision). A forget's record is not wiped: it holds the newest id, and so does the
    /// record it replaces at offset 0, while a wiped one would end the log before its start.
    /// `beforeSync` runs between the write and its sync (tests: a crash point, or true to play
    /// a failed sync).
    func write(_ record: Record, at offset: Int, wipeOnFailure: Bool = true,
               beforeSync: () -> Bool = { false }) throws(EngineError) -> Int {
        // The body's length is a 32-bit field: a bigger decision could not be read back.
        guard record.body.count <= Int(UInt32.max) else {
            throw EngineError("a transaction's changes are too big to commit across shards (\(record.body.count) bytes of redo; at most 4 GiB)",
                              code: "54000")
        }
        let bytes = DecisionLog.encode(record)
        var written = 0
        while written < bytes.count {
            // A short write (a file size limit, a full disk) is retried: the retry names the cause.
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + written, $0.count - written, off_t(offset + written)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            written += n
        }
        let failSync = beforeSync()
        if written == bytes.count && !failSync && fdatasync(fd) == 0 { return offset + bytes.count }
        let error = failSync ? "injected failure" : String(cString: strerror(errno))
        if wipeOnFailure {
            let zero = [UInt8](repeating: 0, count: 4)
            _ = zero.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4, off_t(offset)) }
            _ = fdatasync(fd)
        }
        throw EngineError("could not write the commit decision to \(path): \(error)", code: "58030")
    }

    /// Makes everything written to the log durable (recovery, before it acts on records that a
    /// dead committer may have written but not synced).
    func sync() throws(EngineError) {
        if fdatasync(fd) != 0 {
            throw EngineError("could not sync \(path): \(String(cString: strerror(errno)))", code: "58030")
        }
    }

    /// Microseconds since 1970, UTC.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}
