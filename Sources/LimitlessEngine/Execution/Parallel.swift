#if canImport(Glibc)
import Glibc
#endif

/// Runs jobs 0..<count on a few threads (the calling thread is one of them) and returns when
/// every job is done. Each job must touch only what no other job touches — for the engine, one
/// shard connection per job.
enum Parallel {
    /// Threads worth running at once: one per core.
    static let cores: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    static func run(_ count: Int, _ body: @escaping (Int) -> Void) {
        let threads = min(count, cores)
        if threads <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let jobs = Jobs(count: count, body: body)
        let context = Unmanaged.passRetained(jobs).toOpaque()
        var started: [pthread_t] = []
        for _ in 1..<threads {
            var tid = pthread_t()
            if pthread_create(&tid, nil, { arg in
                let jobs = Unmanaged<Jobs>.fromOpaque(arg!).takeUnretainedValue()
                jobs.work()
                return nil
            }, context) == 0 {
                started.append(tid)
            }
        }
        jobs.work()
        for tid in started { pthread_join(tid, nil) }
        Unmanaged<Jobs>.fromOpaque(context).release()
    }

    /// `job(i)` for i in 0..<count, run as `run` does; the results in order. When jobs fail, the
    /// error of the lowest-numbered one is thrown, after every job is done.
    static func map<T>(_ count: Int, _ job: @escaping (Int) throws(EngineError) -> T) throws(EngineError) -> [T] {
        let out = Slots<Result<T, EngineError>>(count)
        run(count) { i in out[i] = Result { () throws(EngineError) -> T in try job(i) } }
        var results: [T] = []
        results.reserveCapacity(count)
        for i in 0..<count { results.append(try out[i]!.get()) }
        return results
    }

    private final class Jobs: @unchecked Sendable {
        let count: Int
        let body: (Int) -> Void
        private var next = 0
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

        init(count: Int, body: @escaping (Int) -> Void) {
            self.count = count
            self.body = body
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        private func take() -> Int? {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }

        func work() {
            while let i = take() { body(i) }
        }
    }
}

/// Per-job results, each job writing its own slot (plain memory: no copy-on-write between threads).
final class Slots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T?>
    let count: Int
    init(_ count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: nil, count: count)
    }
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
    subscript(i: Int) -> T? {
        get { base[i] }
        set { base[i] = newValue }
    }
}
