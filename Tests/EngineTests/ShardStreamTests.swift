import Testing
#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import LimitlessSupport
@testable import LimitlessEngine

/// The producer machinery behind streaming shard reads, over in-memory SQLite connections.
@Suite struct ShardStreamTests {
    static let numbers = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d) SELECT x, x * 2, 'v' || x FROM n"

    func statement(_ db: Database, rows: Int) throws -> Statement {
        try db.prepare(ShardStreamTests.numbers.replacingOccurrences(of: "%d", with: String(rows)))
    }

    @Test func deliversEveryRowInOrderInBoundedBatches() throws {
        let db = try Database(path: ":memory:")
        let p = RowProducer<ValueRows>(statement: try statement(db, rows: 10_000), db: db)
        defer { p.stop() }
        var expected: Int64 = 1
        var batches = 0
        while let b = try p.take() {
            batches += 1
            #expect(b.count <= RowStreamLimits.batchRows)
            for row in b.rows {
                #expect(row == [.integer(expected), .integer(expected * 2), .text("v\(expected)")])
                expected += 1
            }
        }
        #expect(expected == 10_001)
        #expect(batches >= 10_000 / RowStreamLimits.batchRows)
        #expect(try p.take() == nil)
    }

    @Test func packedRowsKeepEveryTypeExactly() throws {
        let db = try Database(path: ":memory:")
        let s = try db.prepare("SELECT 7, NULL, -9223372036854775808, 2.5, 'a' || char(0) || 'b', x'', x'00ff', '', 1e300")
        let p = RowProducer<PackedRows>(statement: s, db: db)
        defer { p.stop() }
        let b = try #require(try p.take())
        #expect(b.count == 1 && b.rowids[0] == 7)
        let values = (0..<8).map { b.value(row: 0, column: $0) }
        #expect(values == [.null, .integer(Int64.min), .real(2.5), .text("a\u{0}b"), .blob([]), .blob([0, 255]), .text(""), .real(1e300)])
        #expect(try p.take() == nil)
    }

    @Test func aProducerWaitsForItsConsumer() throws {
        let db = try Database(path: ":memory:")
        let p = RowProducer<ValueRows>(statement: try statement(db, rows: 1_000_000), db: db)
        _ = try p.take()
        usleep(200_000)
        // A batch taken, `queuedBatches` waiting and at most one being filled: no more.
        #expect(p.producedRows <= (RowStreamLimits.queuedBatches + 2) * RowStreamLimits.batchRows)
        p.stop()
        #expect(p.producedRows < 1_000_000)
    }

    @Test func stopLetsTheOwnerReuseTheStatement() throws {
        let db = try Database(path: ":memory:")
        let s = try statement(db, rows: 100_000)
        let p = RowProducer<PackedRows>(statement: s, db: db)
        _ = try p.take()
        p.stop()
        s.reset()
        #expect(try s.step())
        #expect(s.int64(0) == 1)
        s.reset()
        // The same statement streams again from its first row.
        let q = RowProducer<PackedRows>(statement: s, db: db, onRow: false, limit: 300)
        defer { q.stop() }
        var n = 0
        while let b = try q.take() { n += b.count }
        #expect(n == 300)
    }

    @Test func anErrorMidStreamComesAfterTheRowsBeforeIt() throws {
        let db = try Database(path: ":memory:")
        let s = try db.prepare("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) " +
                               "SELECT CASE WHEN x < 3000 THEN x ELSE abs(-9223372036854775807 - 1) END FROM n")
        let p = RowProducer<ValueRows>(statement: s, db: db)
        defer { p.stop() }
        var n = 0
        var failure: EngineError?
        do {
            while let b = try p.take() { n += b.count }
        } catch {
            failure = error
        }
        #expect(failure?.message.contains("integer overflow") == true)
        #expect(n <= 2999)
    }

    @Test func theStatementIsOnlySteppedUnderItsConnectionsGate() throws {
        let db = try Database(path: ":memory:")
        let gate = ConnectionGate.of(db)
        #expect(gate === ConnectionGate.of(db))
        let p = RowProducer<ValueRows>(statement: try statement(db, rows: 1_000_000), db: db)
        defer { p.stop() }
        _ = try p.take()
        // While the gate is held, the worker cannot fill: the count stays put.
        gate.lock()
        let before = p.producedRowsUnlocked
        usleep(50_000)
        let after = p.producedRowsUnlocked
        gate.unlock()
        #expect(before == after)
    }
}
