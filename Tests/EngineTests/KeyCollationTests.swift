import Foundation
import Testing
@testable import LimitlessEngine
import LimitlessSupport

/// A shard key's collation decides which values are "the same key": the placement hash must
/// agree with it, or a UNIQUE key would let 'a' and 'A' in on two shards where one database
/// refuses the second.
@Suite struct KeyCollationTests {
    @Test func foldsFollowSQLitesBuiltInCollations() {
        #expect(BuiltinCollation("nocase")?.fold("MiXeD Ünï") == "mixed Ünï")   // ASCII only, as SQLite's NOCASE
        #expect(BuiltinCollation("RTRIM")?.fold("ab  ") == "ab")
        #expect(BuiltinCollation("RTRIM")?.fold(" ab\t") == " ab\t")
        #expect(BuiltinCollation("BINARY")?.fold("Ab ") == "Ab ")
    }

    @Test func keysEqualUnderTheColumnsCollationShareAShardAndItsUniqueIndex() throws {
        let f = try PlanFixture(name: "keycoll")
        try f.run("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"email"}';
            CREATE TABLE users (email TEXT COLLATE NOCASE PRIMARY KEY, name TEXT);
            SET rds_aurora.limitless_create_table_shard_key = '{"code"}';
            CREATE TABLE codes (code TEXT COLLATE RTRIM PRIMARY KEY);
            """)
        // Enough addresses that some differ only in case would hash apart without folding.
        for i in 0..<40 { _ = try f.engine.execute("INSERT INTO users VALUES ('user\(i)@example.com', 'u\(i)')") }
        for i in 0..<40 {
            #expect(throws: EngineError.self) { try f.engine.execute("INSERT INTO users VALUES ('USER\(i)@Example.COM', 'dup')") }
            #expect(throws: EngineError.self) {
                try f.engine.execute("INSERT INTO users (email, name) VALUES ('User\(i)@example.com', 'dup'), ('other\(i)', 'x')")
            }
        }
        for i in 0..<40 { _ = try f.engine.execute("INSERT INTO codes VALUES ('c\(i)')") }
        for i in 0..<40 { #expect(throws: EngineError.self) { try f.engine.execute("INSERT INTO codes VALUES ('c\(i)   ')") } }
        guard case let .rows(_, _, rows)? = try f.engine.execute("SELECT count(*) FROM users WHERE name = 'dup'") else {
            Issue.record("no rows"); return
        }
        #expect(rows == [[.integer(0)]])
        guard case let .rows(_, _, found)? = try f.engine.execute("SELECT name FROM users WHERE email = 'USER7@EXAMPLE.COM'") else {
            Issue.record("no rows"); return
        }
        #expect(found == [[.text("u7")]])
        f.engine.close()
    }
}
