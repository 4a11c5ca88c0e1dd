import Foundation
import Testing
@testable import LimitlessEngine
import LimitlessSupport

/// A column named `rowid` hides the rowid under that name (SQLite then reaches it as `_rowid_`
/// or `oid`). The SQL sent to the shards must still address the real rowid: scans merge by it,
/// and UPDATE / DELETE through the router find their rows by it.
@Suite struct RowidColumnTests {
    @Test func aColumnNamedRowidIsAColumnAndTheRowidStillWorks() throws {
        let f = try PlanFixture(name: "rowidcol")
        let one = try Database(path: ":memory:", create: true)
        let schema = "CREATE TABLE t (k INTEGER, rowid TEXT, v INTEGER)"
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            \(schema);
            """)
        try one.exec(schema)
        let script = [
            "INSERT INTO t VALUES (1, 'one', 10), (2, 'two', 20), (3, '7', 30), (4, NULL, 40), (5, '2', 50)",
            "INSERT INTO t (k, rowid, v) SELECT k + 10, rowid || '!', v + 1 FROM t WHERE k < 3",
            "UPDATE t SET v = v * 2 WHERE rowid = '7' OR k = 2",
            "DELETE FROM t WHERE rowid = '2'",
            "UPDATE t SET rowid = 'x' || k WHERE v > 25 AND k <> 4",
        ]
        for sql in script {
            _ = try f.engine.execute(sql)
            try one.exec(sql)
        }
        for q in ["SELECT _rowid_, oid, rowid, k, v FROM t ORDER BY _rowid_",
                  "SELECT rowid, k FROM t",
                  "SELECT count(*), sum(v), group_concat(rowid) FROM t",
                  "SELECT t.rowid, u.k FROM t JOIN t AS u ON u._rowid_ = t._rowid_ ORDER BY 2"] {
            guard case let .rows(_, _, got)? = try f.engine.execute(q) else { Issue.record("no rows for \(q)"); continue }
            #expect(got == (try one.query(q)), "\(q)")
        }
        f.engine.close()
    }
}
