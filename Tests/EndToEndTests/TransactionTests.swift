import Foundation
import Testing
import LimitlessSupport

/// Two-phase commit through the binary: the process is killed (SIGKILL, as `kill -9`) at each
/// named point of the protocol, and the next open must find the transaction all there or not
/// at all — all there exactly when the decision was written.
@Suite(.serialized) struct TransactionTests {
    static let setup = """
        SET rds_aurora.limitless_create_table_mode = 'sharded';
        SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
        CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
        INSERT INTO acct VALUES (1, 100), (2, 100), (3, 100), (4, 100), (5, 100), (6, 100), (7, 100), (8, 100);
        """

    /// Moves 10 from account 1 to every other account: touches every shard.
    static let transfer = """
        BEGIN;
        UPDATE acct SET balance = balance - 70 WHERE id = 1;
        UPDATE acct SET balance = balance + 10 WHERE id > 1;
        COMMIT;
        """

    static func balances(_ c: SQLCluster) throws -> [JSON] {
        let lines = try c.lines("SELECT id, balance FROM acct ORDER BY id;")
        return lines.first?["rows"]?.arrayValue ?? []
    }

    static let before: [JSON] = (1...8).map { .array([.int(Int64($0)), .int(100)]) }
    static let after: [JSON] = (1...8).map { .array([.int(Int64($0)), .int($0 == 1 ? 30 : 110)]) }

    @Test(arguments: [
        ("before-decision", false),
        ("after-busy", false),
        ("after-decision", true),
        ("after-participant-1", true),
        ("after-participant-2", true),
        ("after-done", true),
    ])
    func killedAtEachPointRecoversAllOrNothing(point: String, committed: Bool) throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let decidedBefore = c.keptDecisions()
        let r = try c.sql(Self.transfer, env: ["LIMITLESS_FAULT": point])
        #expect(r.status == 9, "killed by SIGKILL at \(point): \(r.stderr)")
        #expect(!r.stdout.contains("\"COMMIT\""), "COMMIT was never acknowledged")
        // Before anything opens the cluster again, commit.state says busy exactly when the
        // process died between starting to decide and finishing, and the decision is on disk exactly
        // when it died after deciding.
        let state = try String(contentsOfFile: c.dataDirectory + "/commit.state", encoding: .utf8)
        #expect(state.contains(" busy") == (point != "before-decision" && point != "after-done"), "\(point): \(state)")
        #expect(c.keptDecisions() == decidedBefore + (committed ? 1 : 0), "\(point)")
        #expect(try Self.balances(c) == (committed ? Self.after : Self.before), "\(point)")
        // Recovery ran on that open: nothing is left in doubt.
        let xacts = try c.lines("SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts;")
        #expect(xacts.first?["rows"] == .array([.array([.int(0)])]))
    }

    @Test func aFailedStatementAbortsTheBlockAndCommitAnswersRollback() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let lines = try c.lines("""
            BEGIN;
            UPDATE acct SET balance = balance + 1000 WHERE id > 4;
            UPDATE acct SET balance = balance - 1000 WHERE id = 1;
            SELECT 1;
            COMMIT;
            """, ["--on-error", "continue"])
        #expect(lines.map { $0["command"]?.stringValue ?? $0["code"]?.stringValue ?? "" } ==
                ["BEGIN", "UPDATE 4", "23514", "25P02", "ROLLBACK"])
        #expect(try Self.balances(c) == Self.before)
    }

    @Test func aStatementOverEveryShardCommitsThroughTheCoordinator() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        #expect(try c.sql("UPDATE acct SET balance = balance + 1;").status == 0)
        #expect(c.keptDecisions() >= 1, "a multi-shard write went through a decision")
        for file in c.shardFiles {
            let markers = try c.direct(file, "SELECT count(*) FROM limitless_applied")
            #expect((Int(markers) ?? 0) >= 1, "\(file) carries the transaction's marker")
        }
        let sum = try c.lines("SELECT sum(balance) FROM acct;")
        #expect(sum.first?["rows"] == .array([.array([.int(808)])]))
    }

    /// A `limitless sql` session held open, fed one statement at a time.
    final class Session {
        let p = Process()
        let input = Pipe(), output = Pipe()
        init(_ c: SQLCluster) throws {
            p.executableURL = URL(fileURLWithPath: Harness.binary)
            p.arguments = ["sql", "--db-cluster-identifier", c.id, "--output", "json", "--on-error", "continue"]
            var env = ProcessInfo.processInfo.environment
            env["LIMITLESS_HOME"] = c.h.home
            p.environment = env
            p.standardInput = input
            p.standardOutput = output
            p.standardError = FileHandle.nullDevice
            try p.run()
        }
        func send(_ sql: String) throws -> JSON {
            write(sql)
            return try read()
        }
        func write(_ sql: String) {
            input.fileHandleForWriting.write(Data((sql + ";\n").utf8))
        }
        func read() throws -> JSON {
            var line = Data()
            while true {
                let b = output.fileHandleForReading.readData(ofLength: 1)
                if b.isEmpty || b == Data("\n".utf8) { break }
                line.append(b)
            }
            return try JSON.parse(String(decoding: line, as: UTF8.self))
        }
        func close() {
            try? input.fileHandleForWriting.close()
            p.waitUntilExit()
        }
    }

    @Test func repeatableReadKeepsOneSnapshotAndReadCommittedDoesNot() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let rr = try Session(c), rc = try Session(c)
        defer { rr.close(); rc.close() }
        #expect(try rr.send("START TRANSACTION ISOLATION LEVEL REPEATABLE READ")["command"] == .string("BEGIN"))
        #expect(try rr.send("SELECT sum(balance) FROM acct")["rows"] == .array([.array([.int(800)])]))
        #expect(try rc.send("BEGIN")["command"] == .string("BEGIN"))
        #expect(try rc.send("SELECT sum(balance) FROM acct")["rows"] == .array([.array([.int(800)])]))
        // Another process commits a change on every shard.
        #expect(try c.sql("UPDATE acct SET balance = balance + 1;").status == 0)
        #expect(try rr.send("SELECT sum(balance) FROM acct")["rows"] == .array([.array([.int(800)])]))
        #expect(try rc.send("SELECT sum(balance) FROM acct")["rows"] == .array([.array([.int(808)])]))
        // Writing a row changed since the snapshot is a serialization failure, as in PostgreSQL.
        #expect(try rr.send("UPDATE acct SET balance = 0 WHERE id = 3")["code"] == .string("40001"))
        #expect(try rr.send("COMMIT")["command"] == .string("ROLLBACK"))
        #expect(try rc.send("COMMIT")["command"] == .string("COMMIT"))
        #expect(try rr.send("BEGIN ISOLATION LEVEL SERIALIZABLE")["code"] == .string("0A000"))
    }

    @Test func aSecondDeleterWaitsForTheFirstInsteadOfFailing() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let a = try Session(c), b = try Session(c)
        defer { a.close(); b.close() }
        _ = try a.send("BEGIN")
        #expect(try a.send("DELETE FROM acct WHERE id = 1")["command"] == .string("DELETE 1"))
        _ = try b.send("BEGIN")
        b.write("DELETE FROM acct WHERE id = 2")   // must wait for a
        Thread.sleep(forTimeInterval: 1.0)
        #expect(try a.send("DELETE FROM acct WHERE id = 3")["command"] == .string("DELETE 1"))
        #expect(try a.send("COMMIT")["command"] == .string("COMMIT"))
        let waited = try b.read()
        #expect(waited["command"] == .string("DELETE 1"), "\(waited)")
        #expect(try b.send("COMMIT")["command"] == .string("COMMIT"))
        let left = try c.lines("SELECT count(*) FROM acct WHERE id <= 3;")
        #expect(left.first?["rows"] == .array([.array([.int(0)])]))
    }

    /// A second writer waits for the first instead of failing. A block that read first: its
    /// router holds a read transaction, which SQLite never lets wait for the write lock (the busy
    /// handler is skipped), so the write failed at once with 55P03 — on the direct path
    /// (`UPDATE … balance + 5`), which picked its shards by reading router.db before taking the
    /// lock, and on the general one (`abs(…)` keeps it there).
    @Test(arguments: [
        (nil, "UPDATE acct SET balance = balance + 5 WHERE id = 2"),
        ("SELECT balance FROM acct WHERE id = 2", "UPDATE acct SET balance = balance + 5 WHERE id = 2"),
        ("SELECT sum(balance) FROM acct", "UPDATE acct SET balance = balance + 5 WHERE id = 2"),
        ("SELECT balance FROM acct WHERE id = 2", "UPDATE acct SET balance = abs(balance) + 5 WHERE id = 2"),
        ("SELECT sum(balance) FROM acct", "UPDATE acct SET balance = abs(balance) + 5 WHERE id = 2"),
    ])
    func aSecondWriterWaitsEvenAfterReading(read: String?, write: String) throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let a = try Session(c), b = try Session(c)
        defer { a.close(); b.close() }
        _ = try a.send("BEGIN")
        #expect(try a.send("UPDATE acct SET balance = balance - 5 WHERE id = 1")["command"] == .string("UPDATE 1"))
        _ = try b.send("BEGIN")
        if let read { #expect(try b.send(read)["rows"] != nil) }
        b.write(write)   // must wait for a
        Thread.sleep(forTimeInterval: 1.0)
        #expect(try a.send("UPDATE acct SET balance = balance + 5 WHERE id = 3")["command"] == .string("UPDATE 1"))
        #expect(try a.send("COMMIT")["command"] == .string("COMMIT"))
        let waited = try b.read()
        #expect(waited["command"] == .string("UPDATE 1"), "\(waited)")
        #expect(try b.send("COMMIT")["command"] == .string("COMMIT"))
        let sum = try c.lines("SELECT sum(balance), min(balance), max(balance) FROM acct;")
        #expect(sum.first?["rows"] == .array([.array([.int(805), .int(95), .int(105)])]))
    }

    /// REPEATABLE READ keeps the router's read transaction for the whole block, so the direct
    /// path's join waits in its own loop: once the first writer commits, the second goes on —
    /// or fails with 40001 when the first changed the shard it writes since its snapshot — but
    /// never fails with 55P03.
    @Test func aRepeatableReadWriterWaitsToo() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        func shardHolding(_ id: Int) throws -> String? {
            try c.shardFiles.first { try c.direct($0, "SELECT count(*) FROM acct WHERE id = \(id)") == "1" }
        }
        let changedSince = try [shardHolding(1), shardHolding(3)].contains(shardHolding(2))
        let a = try Session(c), b = try Session(c)
        defer { a.close(); b.close() }
        _ = try a.send("BEGIN")
        #expect(try a.send("UPDATE acct SET balance = balance - 5 WHERE id = 1")["command"] == .string("UPDATE 1"))
        _ = try b.send("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try b.send("SELECT sum(balance) FROM acct")["rows"] == .array([.array([.int(800)])]))
        b.write("UPDATE acct SET balance = balance + 5 WHERE id = 2")
        Thread.sleep(forTimeInterval: 1.0)
        #expect(try a.send("UPDATE acct SET balance = balance + 5 WHERE id = 3")["command"] == .string("UPDATE 1"))
        #expect(try a.send("COMMIT")["command"] == .string("COMMIT"))
        let waited = try b.read()
        if changedSince {
            #expect(waited["code"] == .string("40001"), "\(waited)")
        } else {
            #expect(waited["command"] == .string("UPDATE 1"), "\(waited)")
        }
        _ = try b.send("COMMIT")
        let sum = try c.lines("SELECT sum(balance) FROM acct;")
        #expect(sum.first?["rows"] == .array([.array([.int(changedSince ? 800 : 805)])]))
    }

    /// A direct UPDATE over every shard (run on the shards in parallel) that fails on one of
    /// them leaves no shard changed, outside a block and inside one.
    @Test func aDirectWriteFailingOnOneShardChangesNone() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let lines = try c.lines("""
            UPDATE acct SET balance = balance - 100 - (id = 6);
            DELETE FROM acct WHERE id > 2 AND 1 / (id - 7) IS NULL;
            BEGIN;
            UPDATE acct SET balance = balance - 100 - (id = 6);
            COMMIT;
            """, ["--on-error", "continue"])
        #expect(lines.map { $0["command"]?.stringValue ?? $0["code"]?.stringValue ?? "" } ==
                ["23514", "DELETE 1", "BEGIN", "23514", "ROLLBACK"])
        #expect(try Self.balances(c) == Self.before.filter { $0 != .array([.int(7), .int(100)]) })
    }

    /// Two blocks add to the same row on the direct path: the second waits, then adds to what
    /// the first committed (READ COMMITTED re-reads the row once it has the lock): no lost update.
    @Test func twoBlocksAddingToOneRowLoseNoUpdate() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let a = try Session(c), b = try Session(c)
        defer { a.close(); b.close() }
        _ = try a.send("BEGIN")
        #expect(try a.send("UPDATE acct SET balance = balance + 1 WHERE id = 4")["command"] == .string("UPDATE 1"))
        _ = try b.send("BEGIN")
        #expect(try b.send("SELECT balance FROM acct WHERE id = 4")["rows"] == .array([.array([.int(100)])]))
        b.write("UPDATE acct SET balance = balance + 10 WHERE id = 4")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try a.send("COMMIT")["command"] == .string("COMMIT"))
        #expect(try b.read()["command"] == .string("UPDATE 1"))
        #expect(try b.send("SELECT balance FROM acct WHERE id = 4")["rows"] == .array([.array([.int(111)])]))
        #expect(try b.send("COMMIT")["command"] == .string("COMMIT"))
        #expect(try c.lines("SELECT balance FROM acct WHERE id = 4;").first?["rows"] == .array([.array([.int(111)])]))
    }

    /// Direct writes inside a block with savepoints around them: ROLLBACK TO undoes what was
    /// written after the savepoint only, and the block commits the rest.
    @Test func directWritesInABlockFollowSavepoints() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let lines = try c.lines("""
            BEGIN;
            UPDATE acct SET balance = balance - 1 WHERE id = 2;
            SAVEPOINT s;
            UPDATE acct SET balance = 0 WHERE id = 1;
            DELETE FROM acct WHERE id = 5;
            ROLLBACK TO s;
            RELEASE s;
            DELETE FROM acct WHERE id = 3;
            UPDATE acct SET balance = balance + 7 WHERE id >= 6;
            COMMIT;
            """)
        #expect(lines.map { $0["command"]?.stringValue ?? $0["code"]?.stringValue ?? "" } ==
                ["BEGIN", "UPDATE 1", "SAVEPOINT", "UPDATE 1", "DELETE 1", "ROLLBACK", "RELEASE", "DELETE 1", "UPDATE 3", "COMMIT"])
        let rows = try Self.balances(c)
        #expect(rows == [[1, 100], [2, 99], [4, 100], [5, 100], [6, 107], [7, 107], [8, 107]].map { .array($0.map { .int(Int64($0)) }) })
    }

    @Test func inputEndingInsideATransactionRollsItBack() throws {
        let c = try SQLCluster()
        #expect(try c.sql(Self.setup).status == 0)
        let r = try c.sql("BEGIN; UPDATE acct SET balance = 0 WHERE id = 1; UPDATE acct SET balance = 0 WHERE id = 2;")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(try Self.balances(c) == Self.before)
    }
}
