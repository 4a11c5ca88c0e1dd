#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// One result set rendered as its rows arrive (`begin`, `row`…, `finish`), in any of the
/// `SQLResultFormat`s, writing text through `write`. The all-at-once renderers of `SQLRender`
/// are this fed every row, so both give the same bytes.
///
/// CSV and TSV write rows as they come (in blocks of 32 KiB). The aligned table needs every row before its first
/// line (column widths, numeric alignment) and a JSON line starts with the command tag, which
/// counts the rows: those keep each row already rendered — a table's cells as display lines
/// with their widths, a JSON row as its text — in a `ByteSpool`, which moves to an unlinked
/// temporary file past `spillAfter` bytes, and write it all at `finish`.
public final class SQLResultStream {
    public let format: SQLResultFormat
    private let write: (String) -> Void
    private var columns: [String] = []
    private var spool: ByteSpool
    public private(set) var rowCount = 0
    private var headers: [[PsqlText.Line]] = []
    /// What each row changes, moved out of the object for the row's work (Swift checks every
    /// access to a class's stored property at run time; a local is checked at compile time).
    private struct RowState {
        /// Aligned: each column's width so far, and whether it met a number / anything else.
        var widths: [Int] = []
        var sawNumber: [Bool] = []
        var sawOther: [Bool] = []
        /// The row's record (table, JSON); one cell's text.
        var record: [UInt8] = []
        var cell: [UInt8] = []
        /// CSV / TSV lines not yet written.
        var pending: [UInt8] = []
    }
    private var state = RowState()

    /// `spillAfter`: bytes a table or JSON result keeps in memory before it moves to a file
    /// (nil: never).
    public init(_ format: SQLResultFormat, spillAfter: Int? = nil, write: @escaping (String) -> Void) {
        self.format = format
        self.write = write
        spool = ByteSpool(spillAfter: spillAfter)
    }

    public func begin(columns: [String]) {
        self.columns = columns
        rowCount = 0
        spool.clear()
        switch format {
        case .csv:
            write(columns.isEmpty ? "\n" : columns.map(SQLRender.csvField).joined(separator: ",") + "\n")
        case .tsv:
            write(columns.map(SQLRender.copyEscape).joined(separator: "\t") + "\n")
        case .aligned:
            headers = columns.map(PsqlText.lines)
            state.widths = headers.map { $0.map(\.width).max() ?? 0 }
            state.sawNumber = Array(repeating: false, count: columns.count)
            state.sawOther = state.sawNumber
        case .json:
            break
        }
    }

    public func row(_ row: [SQLValue]) {
        rowCount += 1
        var st = RowState()
        swap(&st, &state)
        defer { swap(&st, &state) }
        let n = columns.count
        switch format {
        case .csv:
            // psql --csv prints a result without columns as one empty line, whatever its rows.
            if n == 0 { return }
            ValueBytes.appendCSVRow(n, row, field: &st.cell, to: &st.pending)
            if st.pending.count >= 1 << 15 { SQLResultStream.writeOut(&st.pending, write) }
        case .tsv:
            ValueBytes.appendTSVRow(n, row, field: &st.cell, to: &st.pending)
            if st.pending.count >= 1 << 15 { SQLResultStream.writeOut(&st.pending, write) }
        case .json:
            st.record.removeAll(keepingCapacity: true)
            if rowCount > 1 { st.record.append(0x2C) }
            ValueBytes.appendJSONRow(row, to: &st.record)
            st.record.withUnsafeBufferPointer { spool.appendRecord($0) }
        case .aligned:
            st.record.removeAll(keepingCapacity: true)
            for c in 0..<n {
                let v: SQLValue = c < row.count ? row[c] : .null
                switch v {
                case .null: break
                case .integer, .real: st.sawNumber[c] = true
                default: st.sawOther[c] = true
                }
                st.cell.removeAll(keepingCapacity: true)
                ValueBytes.appendText(v, to: &st.cell)
                SQLResultStream.storeCell(c, &st)
            }
            st.record.withUnsafeBufferPointer { spool.appendRecord($0) }
        }
    }

    private static func writeOut(_ bytes: inout [UInt8], _ write: (String) -> Void) {
        if bytes.isEmpty { return }
        write(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }

    private func writePending() { SQLResultStream.writeOut(&state.pending, write) }

    /// Appends a table cell (`st.cell`) to the row's record: its count of display lines, then
    /// each line's width and bytes.
    private static func storeCell(_ c: Int, _ st: inout RowState) {
        // Printable ASCII is one line as wide as its bytes (the common case, kept as is).
        var simple = true
        for x in st.cell where x < 0x20 || x >= 0x7F { simple = false; break }
        if simple {
            let k = st.cell.count
            st.record.append(1)
            ByteSpool.appendVarint(k, to: &st.record)
            ByteSpool.appendVarint(k, to: &st.record)
            st.record.append(contentsOf: st.cell)
            if k > st.widths[c] { st.widths[c] = k }
            return
        }
        let lines = PsqlText.lines(String(decoding: st.cell, as: UTF8.self))
        ByteSpool.appendVarint(lines.count, to: &st.record)
        for line in lines {
            var t = line.text
            t.withUTF8 { b in
                ByteSpool.appendVarint(line.width, to: &st.record)
                ByteSpool.appendVarint(b.count, to: &st.record)
                st.record.append(contentsOf: b)
            }
            if line.width > st.widths[c] { st.widths[c] = line.width }
        }
    }

    /// Writes what the format kept back and its footer: the whole aligned table, the JSON line.
    public func finish(command: String) {
        switch format {
        case .csv, .tsv: writePending()
        case .json: finishJSON(command)
        case .aligned: finishAligned()
        }
        spool.clear()
    }

    /// Forgets what was kept back (the statement failed part-way); what was written stays.
    public func discard() {
        writePending()
        spool.clear()
    }

    private func finishJSON(_ command: String) {
        var out = "{\"command\":"
        JSON.writeString(command, to: &out)
        out += ",\"columns\":["
        for (i, c) in columns.enumerated() {
            if i > 0 { out += "," }
            JSON.writeString(c, to: &out)
        }
        out += "],\"rows\":["
        write(out)
        var block: [UInt8] = []
        spool.forEachRecord { bytes in
            block.append(contentsOf: bytes)
            if block.count >= 1 << 16 {
                write(String(decoding: block, as: UTF8.self))
                block.removeAll(keepingCapacity: true)
            }
        }
        block.append(contentsOf: "]}\n".utf8)
        write(String(decoding: block, as: UTF8.self))
    }

    private func finishAligned() {
        let footer = rowCount == 1 ? "(1 row)\n\n" : "(\(rowCount) rows)\n\n"
        let n = columns.count
        if n == 0 { write("--\n" + footer); return }
        var table = AlignedTable(widths: state.widths, numeric: (0..<n).map { state.sawNumber[$0] && !state.sawOther[$0] })
        table.header(headers)
        // One access to `table` per row: the row's work runs in its own method.
        spool.forEachRecord { record in
            table.row(record)
            if table.out.count >= 1 << 16 { table.flush(write) }
        }
        table.out.append(contentsOf: footer.utf8)
        table.flush(write)
    }
}

/// psql's aligned table drawn into bytes, once the column widths and kinds are known (psql's
/// rules: see `SQLRender.aligned`).
private struct AlignedTable {
    let widths: [Int]
    let numeric: [Bool]
    var out: [UInt8] = []
    /// The row's display lines as (width, start, length) in its record; cell c's are
    /// lines[first[c] ..< first[c] + count[c]].
    private var lines: [(width: Int, start: Int, length: Int)] = []
    private var first: [Int], count: [Int]

    init(widths: [Int], numeric: [Bool]) {
        self.widths = widths
        self.numeric = numeric
        first = Array(repeating: 0, count: widths.count)
        count = first
    }

    mutating func pad(_ k: Int) { if k > 0 { out.append(contentsOf: repeatElement(0x20, count: k)) } }

    mutating func flush(_ write: (String) -> Void) {
        write(String(decoding: out, as: UTF8.self))
        out.removeAll(keepingCapacity: true)
    }

    /// Header lines: every cell centred, each followed by a space or a continuation `+`; then
    /// the rule.
    mutating func header(_ headers: [[PsqlText.Line]]) {
        let n = widths.count
        let headerLines = headers.map(\.count).max() ?? 1
        for j in 0..<headerLines {
            for c in 0..<n {
                if c > 0 { out.append(0x7C) }
                let line = j < headers[c].count ? headers[c][j] : PsqlText.Line(text: "", width: 0)
                let left = (widths[c] - line.width) / 2
                out.append(0x20)
                pad(left)
                out.append(contentsOf: line.text.utf8)
                pad(widths[c] - line.width - left)
                out.append(j < headers[c].count - 1 ? 0x2B : 0x20)
            }
            out.append(0x0A)
        }
        for c in 0..<n {
            if c > 0 { out.append(0x2B) }
            out.append(contentsOf: repeatElement(0x2D, count: widths[c] + 2))
        }
        out.append(0x0A)
    }

    /// One row from its record: per cell its line count, then (width, length, bytes) per line.
    mutating func row(_ record: UnsafeBufferPointer<UInt8>) {
        let n = widths.count
        lines.removeAll(keepingCapacity: true)
        var i = 0
        var lineCount = 1
        for c in 0..<n {
            let k = ByteSpool.readVarint(record, &i) ?? 0
            first[c] = lines.count
            count[c] = k
            for _ in 0..<k {
                let w = ByteSpool.readVarint(record, &i) ?? 0
                let len = ByteSpool.readVarint(record, &i) ?? 0
                lines.append((w, i, len))
                i += len
            }
            lineCount = max(lineCount, k)
        }
        for j in 0..<lineCount {
            for c in 0..<n {
                if c > 0 { out.append(0x7C) }
                let k = count[c]
                let line = j < k ? lines[first[c] + j] : (width: 0, start: 0, length: 0)
                let more = j < k - 1
                let last = c == n - 1
                out.append(0x20)
                let text = UnsafeBufferPointer(rebasing: record[line.start..<line.start + line.length])
                if last && j >= k {
                    // psql pads nothing after the last column once its value has no more lines.
                } else if numeric[c] {
                    pad(widths[c] - line.width)
                    out.append(contentsOf: text)
                    if more { out.append(0x2B) } else if !last { out.append(0x20) }
                } else if last && !more {
                    out.append(contentsOf: text)
                } else {
                    out.append(contentsOf: text)
                    pad(widths[c] - line.width)
                    out.append(more ? 0x2B : 0x20)
                }
            }
            out.append(0x0A)
        }
    }
}

/// Bytes appended as length-prefixed records and read back in order once: in memory up to a
/// limit, then in a temporary file (made in $TMPDIR or /tmp and unlinked at once, so nothing is
/// left behind even if the process dies).
final class ByteSpool {
    private let limit: Int?
    private var memory: [UInt8] = []
    private var fd: Int32 = -1
    /// Set when the file could not be made or written: what follows stays in memory.
    private var fileFailed = false
    /// Whole records written to the file so far.
    private var fileBytes = 0

    init(spillAfter: Int?) { limit = spillAfter }
    deinit { if fd >= 0 { close(fd) } }

    static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        var v = UInt(value)
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    /// Reads a varint at `i`, moving `i` past it; nil when the bytes end first.
    static func readVarint(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        var v = 0, shift = 0
        while i < b.count {
            let x = b[i]
            i += 1
            v |= Int(x & 0x7F) << shift
            if x < 0x80 { return v }
            shift += 7
        }
        return nil
    }

    func appendRecord(_ bytes: UnsafeBufferPointer<UInt8>) {
        ByteSpool.appendVarint(bytes.count, to: &memory)
        memory.append(contentsOf: bytes)
        if let limit, memory.count >= limit, !fileFailed { spill() }
    }

    private func spill() {
        if fd < 0 {
            let dir = Environment.get("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array((dir + "/limitless-result-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd < 0 { fileFailed = true; return }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        let ok = memory.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        if ok {
            fileBytes += memory.count
            memory.removeAll(keepingCapacity: true)
        } else {
            // The disk is full or failing: drop the partial write; the rest stays in memory.
            _ = ftruncate(fd, off_t(fileBytes))
            _ = lseek(fd, off_t(fileBytes), SEEK_SET)
            fileFailed = true
        }
    }

    /// Hands every record to `body` in order — those in the file, then those in memory (the
    /// bytes are valid only during the call) — then empties the spool.
    func forEachRecord(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        defer { clear() }
        if fd >= 0 {
            if !fileFailed && !memory.isEmpty { spill() }
            readFile(body)
        }
        memory.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                guard let len = ByteSpool.readVarint(b, &i) else { return }
                body(UnsafeBufferPointer(rebasing: b[i..<i + len]))
                i += len
            }
        }
    }

    /// The records of the file's first `fileBytes` bytes, read back in 1 MiB chunks.
    private func readFile(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        lseek(fd, 0, SEEK_SET)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var left = fileBytes
        while true {
            // Every whole record in the buffer; the rest waits for the next chunk.
            let consumed = buffer.withUnsafeBufferPointer { b -> Int in
                var i = 0
                while true {
                    var j = i
                    guard let len = ByteSpool.readVarint(b, &j), j + len <= b.count else { return i }
                    body(UnsafeBufferPointer(rebasing: b[j..<j + len]))
                    i = j + len
                }
            }
            if consumed > 0 { buffer.removeFirst(consumed) }
            if left == 0 { return }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, left)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            left -= n
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    func clear() {
        // A small buffer is kept for the next result (a stream of point queries reuses it).
        if memory.capacity > 1 << 16 { memory = [] } else { memory.removeAll(keepingCapacity: true) }
        if fd >= 0 { close(fd); fd = -1 }
        fileFailed = false
        fileBytes = 0
    }
}
