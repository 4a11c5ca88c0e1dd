import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

// Streaming shard reads. A `RowProducer` owns one shard statement while a worker thread steps
// it and packs its rows into batches; a bounded queue between the worker and the consumer (the
// router's thread) keeps memory at a few batches per shard whatever the table's size. Tier 3
// (the virtual-table cursor) and tier 2 (the pushed-down statement's merge) both read shards
// through it.

/// A mutex per shard connection. Shard connections are opened without SQLite's own mutexes, so
/// while a producer may be stepping a statement of a connection, anyone else touching that
/// connection (another cursor on the router's thread: prepare, bind, step, column, reset) must
/// hold its gate. Producers hold it while they fill a batch, never while they wait.
final class ConnectionGate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Locks when a producer may be stepping a statement of some connection; true if it did
    /// (then call `unlock()`). A thread consumes only the producers it started, so when it sees
    /// none running anywhere, none runs on its connections and it is their only user.
    @inline(__always) func lockIfShared() -> Bool {
        if ConnectionGate.running.pointee == 0 { return false }
        lock()
        return true
    }

    /// Producers running in the process (changed under the registry's mutex).
    nonisolated(unsafe) static let running: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    static func producerStarted() {
        pthread_mutex_lock(registryMutex)
        running.pointee += 1
        pthread_mutex_unlock(registryMutex)
    }

    static func producerEnded() {
        pthread_mutex_lock(registryMutex)
        running.pointee -= 1
        pthread_mutex_unlock(registryMutex)
    }

    /// The gate of a connection (one per sqlite3 handle, made on first use).
    static func of(_ db: Database) -> ConnectionGate {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(db.handle)))
        pthread_mutex_lock(registryMutex)
        defer { pthread_mutex_unlock(registryMutex) }
        if let g = registry[key] { return g }
        let g = ConnectionGate()
        registry[key] = g
        return g
    }

    nonisolated(unsafe) private static var registry: [UInt: ConnectionGate] = [:]
    nonisolated(unsafe) private static let registryMutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
}

/// What a producer packs rows into. `append` reads the statement's current row.
protocol RowBatch {
    init(columns: Int)
    mutating func append(_ statement: Statement)
    var count: Int { get }
    /// Roughly the bytes the batch holds (a batch is closed at `RowStreamLimits.batchBytes`).
    var bytes: Int { get }
}

enum RowStreamLimits {
    /// A batch closes at this many rows or bytes, whichever comes first.
    static let batchRows = 256
    static let batchBytes = 64 * 1024
    /// Full batches a producer may hold before it waits for the consumer.
    static let queuedBatches = 2
    /// The same for a shard a pushed-down append reads after others while its rows stream
    /// out: enough to keep it busy meanwhile, a bounded few MB.
    static let aheadBatches = 16
}

/// Rows of one shard statement packed into one byte buffer: the statement's column 0 is the
/// rowid (kept apart, the merge key), the others are tagged values. Handing a value back to
/// SQLite copies its bytes, so a batch costs a few allocations, not one per value. A class over
/// raw memory: the cursor reads it on every column of every row, without copies or
/// reference counting per access.
final class PackedRows: RowBatch {
    let columns: Int
    /// Row i's rowid; row i's value c starts at `data + offsets[i * columns + c]`.
    let rowids: UnsafeMutablePointer<Int64>
    let offsets: UnsafeMutablePointer<Int32>
    private(set) var data: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    private(set) var count = 0

    private static let null: UInt8 = 0, integer: UInt8 = 1, real: UInt8 = 2, text: UInt8 = 3, blob: UInt8 = 4

    init(columns: Int) {
        self.columns = max(columns - 1, 0)
        rowids = .allocate(capacity: RowStreamLimits.batchRows)
        offsets = .allocate(capacity: RowStreamLimits.batchRows * max(self.columns, 1))
        capacity = RowStreamLimits.batchBytes + 1024
        data = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit {
        rowids.deallocate()
        offsets.deallocate()
        data.deallocate()
    }

    var bytes: Int { used }

    private func reserve(_ n: Int) {
        if used + n <= capacity { return }
        var c = capacity * 2
        while c < used + n { c *= 2 }
        let d = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
        d.copyMemory(from: data, byteCount: used)
        data.deallocate()
        data = d
        capacity = c
    }

    func append(_ s: Statement) {
        let h = s.handle
        rowids[count] = sqlite3_column_int64(h, 0)
        let base = count * columns
        for c in 0..<columns {
            let i = Int32(c + 1)
            switch sqlite3_column_type(h, i) {
            case SQLITE_INTEGER:
                reserve(9)
                offsets[base + c] = Int32(truncatingIfNeeded: used)
                data.storeBytes(of: PackedRows.integer, toByteOffset: used, as: UInt8.self)
                (data + used + 1).storeBytes(of: sqlite3_column_int64(h, i), as: Int64.self)
                used += 9
            case SQLITE_FLOAT:
                reserve(9)
                offsets[base + c] = Int32(truncatingIfNeeded: used)
                data.storeBytes(of: PackedRows.real, toByteOffset: used, as: UInt8.self)
                (data + used + 1).storeBytes(of: sqlite3_column_double(h, i), as: Double.self)
                used += 9
            case let t where t == SQLITE_TEXT || t == SQLITE_BLOB:
                let p: UnsafeRawPointer? = t == SQLITE_TEXT ? sqlite3_column_text(h, i).map { UnsafeRawPointer($0) } : sqlite3_column_blob(h, i)
                let n = Int(sqlite3_column_bytes(h, i))
                reserve(5 + n)
                offsets[base + c] = Int32(truncatingIfNeeded: used)
                data.storeBytes(of: t == SQLITE_TEXT ? PackedRows.text : PackedRows.blob, toByteOffset: used, as: UInt8.self)
                (data + used + 1).storeBytes(of: Int32(n), as: Int32.self)
                if let p, n > 0 { (data + used + 5).copyMemory(from: p, byteCount: n) }
                used += 5 + n
            default:
                reserve(1)
                offsets[base + c] = Int32(truncatingIfNeeded: used)
                data.storeBytes(of: PackedRows.null, toByteOffset: used, as: UInt8.self)
                used += 1
            }
        }
        count += 1
    }

    /// Hands value `column` of row `row` to SQLite as a function result (a copy).
    func result(_ ctx: OpaquePointer?, row: Int, column: Int) {
        let at = data + Int(offsets[row * columns + column])
        let payload = at + 1
        switch at.load(as: UInt8.self) {
        case PackedRows.integer: sqlite3_result_int64(ctx, payload.loadUnaligned(as: Int64.self))
        case PackedRows.real: sqlite3_result_double(ctx, payload.loadUnaligned(as: Double.self))
        case PackedRows.text:
            let n = payload.loadUnaligned(as: Int32.self)
            sqlite3_result_text(ctx, (payload + 4).assumingMemoryBound(to: CChar.self), n, SQLITE_TRANSIENT_PTR)
        case PackedRows.blob:
            let n = payload.loadUnaligned(as: Int32.self)
            if n == 0 { sqlite3_result_zeroblob(ctx, 0) } else { sqlite3_result_blob(ctx, payload + 4, n, SQLITE_TRANSIENT_PTR) }
        default: sqlite3_result_null(ctx)
        }
    }

    /// The value as the engine's `SQLValue` (tests read batches through it).
    func value(row: Int, column: Int) -> SQLValue {
        let at = data + Int(offsets[row * columns + column])
        let payload = at + 1
        switch at.load(as: UInt8.self) {
        case PackedRows.integer: return .integer(payload.loadUnaligned(as: Int64.self))
        case PackedRows.real: return .real(payload.loadUnaligned(as: Double.self))
        case PackedRows.text:
            let n = Int(payload.loadUnaligned(as: Int32.self))
            return .text(String(decoding: UnsafeRawBufferPointer(start: payload + 4, count: n), as: UTF8.self))
        case PackedRows.blob:
            let n = Int(payload.loadUnaligned(as: Int32.self))
            return .blob(Array(UnsafeRawBufferPointer(start: payload + 4, count: n)))
        default: return .null
        }
    }
}

/// Rows as the engine's values (tier 2 hands them on as the statement's result), converted on
/// the worker thread.
struct ValueRows: RowBatch {
    var rows: [[SQLValue]] = []
    private(set) var bytes = 0

    init(columns: Int) { rows.reserveCapacity(RowStreamLimits.batchRows) }
    var count: Int { rows.count }

    mutating func append(_ s: Statement) {
        let row = s.row()
        for v in row {
            switch v {
            case let .text(t): bytes += t.utf8.count + 16
            case let .blob(b): bytes += b.count + 16
            default: bytes += 16
            }
        }
        rows.append(row)
    }
}

/// One shard statement stepped on a worker thread into a bounded queue of batches.
///
/// The statement belongs to the producer from `init` until `stop()` returns (or the stream
/// ended): only then may its owner reset or reuse it. Errors (an interrupt included) end the
/// stream and are thrown by `take()`.
final class RowProducer<Batch: RowBatch>: @unchecked Sendable {
    private let statement: Statement
    private let gate: ConnectionGate
    private let capacity: Int
    private let columns: Int
    /// The statement already sits on a row nobody has read yet.
    private var pending: Bool
    /// The most rows the stream will deliver (LIMIT), nil for all.
    private let cap: Int?

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Batch] = []
    private var head = 0
    private var finished = false
    private var failure: EngineError?
    private var stopped = false
    /// `stopped`, readable by the worker between rows without the mutex.
    private let stopFlag = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private var thread: pthread_t?
    private var delivered = 0

    /// Starts stepping `statement` (of connection `db`) at once. `capacity`: full batches the
    /// worker may queue before it waits; `onRow`: the statement is already on an unread row.
    init(statement: Statement, db: Database, capacity: Int = RowStreamLimits.queuedBatches,
         onRow: Bool = false, limit: Int? = nil) {
        self.statement = statement
        self.gate = ConnectionGate.of(db)
        self.capacity = max(capacity, 1)
        self.columns = statement.columnCount
        self.pending = onRow
        self.cap = limit
        stopFlag.initialize(to: 0)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        // No thread: `take()` fills batches itself, on the caller's thread. The worker holds
        // the producer until it ends.
        thread = spawnThread { [self] in self.work() }
        if thread != nil { ConnectionGate.producerStarted() }
    }

    deinit {
        // The worker holds a reference while it runs, so it has ended (or this is its thread).
        if let tid = thread { pthread_detach(tid) }
        stopFlag.deallocate()
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Fills one batch under the connection's gate; true when the statement has no more rows.
    private func fill(_ batch: inout Batch) throws(EngineError) -> Bool {
        gate.lock()
        defer { gate.unlock() }
        while batch.count < RowStreamLimits.batchRows && batch.bytes < RowStreamLimits.batchBytes {
            if let cap, delivered >= cap { return true }
            if stopFlag.pointee != 0 { return false }
            if !pending {
                guard try statement.step() else { return true }
            }
            pending = false
            batch.append(statement)
            delivered += 1
        }
        if ClusterEngine.interrupted { throw EngineError("canceling statement due to user request", code: "57014") }
        return false
    }

    private func work() {
        while true {
            pthread_mutex_lock(mutex)
            while !stopped && queue.count - head >= capacity { pthread_cond_wait(changed, mutex) }
            let stop = stopped
            pthread_mutex_unlock(mutex)
            if stop { break }
            var batch = Batch(columns: columns)
            var done = false
            var failed: EngineError?
            do throws(EngineError) { done = try fill(&batch) } catch { failed = error; done = true }
            pthread_mutex_lock(mutex)
            if batch.count > 0 { queue.append(batch) }
            if done { finished = true; failure = failed }
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            if done { break }
        }
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// The next batch, waiting for the worker; nil at the end of the rows. Ctrl-C while waiting
    /// interrupts the shard connection, so the worker's step stops and the error comes back.
    func take() throws(EngineError) -> Batch? {
        if thread == nil { return try takeInline() }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var interrupted = false
        while head == queue.count && !finished {
            if ClusterEngine.interrupted && !interrupted {
                interrupted = true
                sqlite3_interrupt(statement.db.handle)
            }
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            deadline.tv_nsec += 50_000_000
            if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
            pthread_cond_timedwait(changed, mutex, &deadline)
        }
        if head < queue.count {
            let b = queue[head]
            head += 1
            if head == queue.count || head > 64 { queue.removeFirst(head); head = 0 }
            pthread_cond_broadcast(changed)
            return b
        }
        if let failure { throw failure }
        return nil
    }

    private func takeInline() throws(EngineError) -> Batch? {
        if finished { if let failure { throw failure }; return nil }
        var batch = Batch(columns: columns)
        do {
            finished = try fill(&batch)
        } catch {
            finished = true
            failure = error
        }
        if batch.count > 0 { return batch }
        if let failure { throw failure }
        return nil
    }

    /// Rows stepped so far (read under the connection's gate, so never mid-batch).
    var producedRows: Int {
        gate.lock()
        defer { gate.unlock() }
        return delivered
    }

    /// The same without the gate (for a caller that holds it).
    var producedRowsUnlocked: Int { delivered }

    /// Stops the worker and waits for it: afterwards nobody steps the statement.
    func stop() {
        guard let tid = thread else { return }
        pthread_mutex_lock(mutex)
        stopped = true
        stopFlag.pointee = 1
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        pthread_join(tid, nil)
        thread = nil
        ConnectionGate.producerEnded()
    }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a new thread; nil when no thread could be made.
func spawnThread(_ body: @escaping () -> Void) -> pthread_t? {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { arg in
        let b = Unmanaged<ThreadBody>.fromOpaque(arg!)
        b.takeUnretainedValue().run()
        b.release()
        return nil
    }, context)
    if rc == 0 { return tid }
    Unmanaged<ThreadBody>.fromOpaque(context).release()
    return nil
}
