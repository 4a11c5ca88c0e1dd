import Foundation
import Testing
import LimitlessSupport

/// `decisions.log` through the binary: processes killed (SIGKILL) inside the forget step and
/// between a decision's write and its sync, and writes that really fail (a file size limit,
/// RLIMIT_FSIZE, makes the kernel refuse them with EFBIG) before and after the commit point.
/// Whatever the client was told must be what the cluster holds, for every later process.
@Suite(.serialized) struct DecisionLogEndToEndTests {
    /// A table whose rows cost the shards far more write-ahead log than they cost redo: eight
    /// indexes on one wide column.
    static let wideSetup = """
        SET rds_aurora.limitless_create_table_mode = 'sharded';
        SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
        CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
        CREATE INDEX i1 ON big(v); CREATE INDEX i2 ON big(v); CREATE INDEX i3 ON big(v); CREATE INDEX i4 ON big(v);
        CREATE INDEX i5 ON big(v); CREATE INDEX i6 ON big(v); CREATE INDEX i7 ON big(v); CREATE INDEX i8 ON big(v);
        """

    /// `limitless sql` with every file write beyond `fileSizeLimit` bytes refused (SIGXFSZ
    /// ignored, so the write fails with EFBIG instead of killing the process).
    static func sqlLimited(_ c: SQLCluster, fileSizeLimit: Int, _ script: String) throws -> Harness.Result? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else { return nil }  // util-linux
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "trap '' XFSZ; exec /usr/bin/prlimit --fsize=\(fileSizeLimit) -- \"$@\"", "sh",
                       Harness.binary, "sql", "--db-cluster-identifier", c.id, "--output", "json"]
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = c.h.home
        env.removeValue(forKey: "LIMITLESS_FAULT")
        p.environment = env
        let input = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Harness.Result(stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self),
                              status: p.terminationStatus)
    }

    static func count(_ c: SQLCluster, _ query: String) throws -> JSON? {
        try c.lines(query).first?["rows"]?.arrayValue?.first?.arrayValue?.first
    }

    /// The transaction ids of the log's records.
    static func logTxids(_ c: SQLCluster) -> [UInt64] { c.logRecords().map(\.txid) }

    /// Plays a power cut for `commit.state`: a state written in another boot.
    static func stateFromAnotherBoot(_ c: SQLCluster) throws {
        let path = c.dataDirectory + "/commit.state"
        var bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let boot = Array("00000000-0000-0000-0000-000000000000 idle".utf8)
        for i in 0..<min(boot.count, bytes.count) { bytes[i] = boot[i] }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A participant's COMMIT that fails after the decision was synced (its write-ahead log
    /// cannot grow) does not make the transaction fail: it is committed from the decision on,
    /// and a later process finishes it. Reporting an error there would tell the client "not
    /// committed" about rows that then appear.
    @Test func aParticipantFailingAfterTheDecisionStillCommits() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.wideSetup).status == 0)
        guard let r = try Self.sqlLimited(c, fileSizeLimit: 100_000, """
            INSERT INTO big WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 40)
                SELECT x, printf('%0999d', x) FROM s;
            """) else { return }
        let rows = try Self.count(c, "SELECT count(*) FROM big;")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("\"INSERT 0 40\""), "\(r.stdout)")
        #expect(rows == .int(40))
        #expect(try Self.count(c, "SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts;") == .int(0))
    }

    /// A decision that cannot be written (it would grow the log past the limit) fails the
    /// transaction, and nothing later — another commit, a crash, a power cut — replays it.
    @Test func aDecisionThatCannotBeWrittenFailsAndIsNeverReplayed() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.wideSetup).status == 0)
        guard let r = try Self.sqlLimited(c, fileSizeLimit: 80_000, """
            INSERT INTO big VALUES (1, printf('%050000d', 1)), (2, printf('%050000d', 2)), (3, 'x'), (4, 'y');
            """) else { return }
        #expect(r.status != 0)
        #expect(r.stdout.contains("\"58030\""), "\(r.stdout)")
        #expect(!r.stdout.contains("No such file"), "the error names the real cause: \(r.stdout)")
        #expect(try Self.count(c, "SELECT count(*) FROM big;") == .int(0))
        // A later transaction written over the same place, then killed after its decision.
        let k = try c.sql("INSERT INTO big VALUES (5, 'a'), (6, 'b'), (7, 'c'), (8, 'd');", env: ["LIMITLESS_FAULT": "after-decision"])
        #expect(k.status == 9)
        #expect(try Self.count(c, "SELECT count(*) FROM big;") == .int(4))
        try Self.stateFromAnotherBoot(c)
        #expect(try Self.count(c, "SELECT group_concat(id) FROM (SELECT id FROM big ORDER BY id);") == .string("5,6,7,8"))
    }

    /// Killed inside the forget step (every 64th transaction id here, through
    /// LIMITLESS_FORGET_EVERY): before the record at offset
    /// 0, between its write and its sync, after it. Every account moves together, nothing is
    /// replayed twice (also after a power cut), and the ids keep rising.
    @Test(arguments: ["forget-before-record", "forget-before-sync", "forget-after-record"])
    func killedInsideTheForgetStep(point: String) throws {
        let c = try SQLCluster()
        #expect(try c.sql(TransactionTests.setup).status == 0)
        let updates = String(repeating: "UPDATE acct SET balance = balance + 1;\n", count: 70)
        let r = try c.sql(updates, env: ["LIMITLESS_FAULT": point, "LIMITLESS_FORGET_EVERY": "64"])
        #expect(r.status == 9, "killed at \(point): \(r.stderr)")
        let state = String(decoding: FileManager.default.contents(atPath: c.dataDirectory + "/commit.state") ?? Data(), as: UTF8.self)
        #expect(state.contains(" busy"), "\(state)")
        func balances() throws -> Set<Int64> {
            let rows = try c.lines("SELECT balance FROM acct;").first?["rows"]?.arrayValue ?? []
            return Set(rows.compactMap { $0.arrayValue?.first?.intValue })
        }
        let after = try balances()
        #expect(after.count == 1, "every account moved together: \(after)")
        let b = after.first ?? 0
        #expect(b > 100 && b < 170)
        let lastID = Self.logTxids(c).last ?? 0
        #expect(lastID % 64 == 0, "\(Self.logTxids(c))")
        #expect(try c.sql("UPDATE acct SET balance = balance + 1;").status == 0)
        #expect(try balances() == [b + 1])
        #expect((Self.logTxids(c).last ?? 0) == lastID + 1, "\(Self.logTxids(c))")
        try Self.stateFromAnotherBoot(c)
        #expect(try balances() == [b + 1])
        #expect(try Self.count(c, "SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts;") == .int(0))
    }

    /// How many pages of `path` are dirty in the page cache (written, not yet on disk), from
    /// cachestat(2) (Linux 6.5); nil where the call is missing.
    static func dirtyPages(_ path: String) throws -> Int? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import ctypes, os, subprocess, sys
            if subprocess.run(["stat", "-f", "-c", "%T", sys.argv[1]], capture_output=True, text=True).stdout.strip() == "tmpfs":
                print("none"); sys.exit(0)  # tmpfs pages stay dirty: nothing to learn there
            class R(ctypes.Structure): _fields_ = [("off", ctypes.c_uint64), ("len", ctypes.c_uint64)]
            class S(ctypes.Structure): _fields_ = [(n, ctypes.c_uint64) for n in ("cache", "dirty", "writeback", "evicted", "recent")]
            fd = os.open(sys.argv[1], os.O_RDONLY); r = R(0, 0); s = S()
            rc = ctypes.CDLL(None, use_errno=True).syscall(451, fd, ctypes.byref(r), ctypes.byref(s), 0)
            print(s.dirty + s.writeback if rc == 0 else "none")
            """, path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Killed between writing its decision and syncing it: the record is whole in the page
    /// cache, so the next process finishes the transaction. That process must make the record
    /// durable before it replays it: otherwise a power cut could take the record back while the
    /// participants (replayed with synchronous=FULL) keep its marker, and the next decision
    /// would reuse the id — its own marker insert then collides and recovery skips the part.
    @Test func killedBetweenTheDecisionAndItsSync() throws {
        let c = try SQLCluster()
        #expect(try c.sql(TransactionTests.setup).status == 0)
        let r = try c.sql(TransactionTests.transfer, env: ["LIMITLESS_FAULT": "decision-before-sync"])
        #expect(r.status == 9)
        let log = c.dataDirectory + "/decisions.log"
        let dirtyAfterKill = try Self.dirtyPages(log)
        #expect(try TransactionTests.balances(c) == TransactionTests.after)
        if let before = dirtyAfterKill, before > 0 {
            #expect(try Self.dirtyPages(log) == 0, "the recovered decision is on disk")
        }
        #expect(try Self.count(c, "SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts;") == .int(0))
    }

    /// A decision whose sync fails (EIO) fails the transaction; its record is wiped, so neither
    /// the next commit nor recovery after a power cut takes it for a decision.
    @Test func aDecisionWhoseSyncFailsIsReportedAndNeverReplayed() throws {
        let c = try SQLCluster()
        #expect(try c.sql(TransactionTests.setup).status == 0)
        let r = try c.sql(TransactionTests.transfer, env: ["LIMITLESS_FAULT": "fail-decision-sync"])
        #expect(r.status != 0)
        #expect(r.stdout.contains("\"58030\""), "\(r.stdout)")
        #expect(try TransactionTests.balances(c) == TransactionTests.before)
        try Self.stateFromAnotherBoot(c)
        #expect(try TransactionTests.balances(c) == TransactionTests.before)
        #expect(try c.sql(TransactionTests.transfer).status == 0)
        try Self.stateFromAnotherBoot(c)
        #expect(try TransactionTests.balances(c) == TransactionTests.after)
    }

    /// Two processes committing over every shard at once, a third reading the in-doubt view and
    /// the total meanwhile: each decision goes after the other process's (ids strictly rising,
    /// one per acknowledged statement), every acknowledged update is there exactly once, and
    /// no reader ever sees a transaction half-applied or in doubt.
    @Test func twoCommittingProcessesAndAReaderAtOnce() throws {
        let c = try SQLCluster()
        #expect(try c.sql(TransactionTests.setup).status == 0)
        let idsBefore = Self.logTxids(c)
        func launch(_ script: String, _ name: String) throws -> (Process, String) {
            let base = c.h.home + "." + name
            // The 80 updates cross a forget.
            let p = try c.scriptProcess(script, base: base, stderr: false, env: ["LIMITLESS_FORGET_EVERY": "64"])
            try p.run()
            return (p, base + ".out")
        }
        let n = 40
        let writers = try (0..<2).map { i in
            try launch(String(repeating: "UPDATE acct SET balance = balance + 1;\n", count: n), "w\(i)")
        }
        let reader = try launch(String(repeating: """
            SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts;
            SELECT count(DISTINCT balance) FROM acct;

            """, count: n), "r")
        var acknowledged = 0
        for (p, out) in writers + [reader] {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 || p.terminationStatus == 1)
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: out)
            if p === reader.0 {
                let lines = text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
                let answers = lines.compactMap { $0["rows"]?.arrayValue?.first?.arrayValue?.first }
                #expect(answers.count == 2 * n, "\(text)")
                #expect(answers.allSatisfy { $0 == .int(0) || $0 == .int(1) }, "\(text)")
                // The distinct-balance count is 1 on every snapshot (all accounts move together).
                #expect(answers.enumerated().filter { $0.offset % 2 == 1 }.allSatisfy { $0.element == .int(1) }, "\(text)")
            } else {
                acknowledged += text.components(separatedBy: "\"UPDATE 8\"").count - 1
            }
        }
        #expect(acknowledged > n)
        let rows = try c.lines("SELECT DISTINCT balance FROM acct;").first?["rows"]?.arrayValue ?? []
        #expect(rows == [.array([.int(Int64(100 + acknowledged))])])
        let ids = Self.logTxids(c)
        // One id per acknowledged update (a forget may have dropped the older records).
        #expect(Int((ids.last ?? 0) - (idsBefore.last ?? 0)) == acknowledged, "\(idsBefore) then \(ids)")
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(ids)")
    }

    /// A committer dies after deciding, holding router.db's write lock; a plain write to a
    /// standard table that was waiting for that lock gets it. Recovery must not then replay the
    /// dead transaction's router part over the write (a lost update): either the write fails
    /// (and the client retries) or it lands after the recovered transaction.
    @Test func aRouterWriterWaitingOnADeadCommitterLosesNothing() throws {
        let c = try SQLCluster()
        #expect(try c.sql(TransactionTests.setup + """
            SET rds_aurora.limitless_create_table_mode = 'standard';
            CREATE TABLE std (k INTEGER PRIMARY KEY, v INTEGER);
            INSERT INTO std VALUES (1, 0);
            """).status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["sql", "--db-cluster-identifier", c.id, "--output", "json"]
        var env = ProcessInfo.processInfo.environment
        env["LIMITLESS_HOME"] = c.h.home
        env["LIMITLESS_FAULT"] = "stall-after-decision"
        p.environment = env
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data("""
            BEGIN;
            UPDATE std SET v = v + 1 WHERE k = 1;
            UPDATE acct SET balance = balance + 1;
            COMMIT;

            """.utf8))
        try input.fileHandleForWriting.close()
        // Wait until the committer has decided (the state says busy), then write.
        let statePath = c.dataDirectory + "/commit.state"
        for _ in 0..<200 {
            let state = String(decoding: FileManager.default.contents(atPath: statePath) ?? Data(), as: UTF8.self)
            if state.contains(" busy") { break }
            usleep(10_000)
        }
        let b = try c.sql("UPDATE std SET v = v + 10 WHERE k = 1;")
        p.waitUntilExit()
        #expect(p.terminationStatus == 9)
        let v = try Self.count(c, "SELECT v FROM std;")
        #expect(try TransactionTests.balances(c) == (1...8).map { .array([.int(Int64($0)), .int(101)]) })
        if b.status == 0 {
            #expect(v == .int(11), "the acknowledged write survived recovery: \(b.stdout)")
        } else {
            #expect(v == .int(1), "\(b.stdout)")
            #expect(b.stdout.contains("\"40001\""), "a refused write asks for a retry: \(b.stdout)")
        }
    }
}
