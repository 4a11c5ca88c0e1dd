import Foundation
import Testing
@testable import LimitlessEngine

/// Golden EXPLAIN output: one file per query under Golden/plans, holding the query and the
/// plan EXPLAIN prints for it over `PlanFixture.planSchema` (4 shards). A drift fails the test;
/// `LIMITLESS_RECORD=1 swift test --filter PlanGolden` rewrites the files on purpose.
@Suite(.serialized) struct PlanGoldenTests {
    static let cases: [(String, String)] = [
        ("01-pinned-key", "SELECT name FROM customers WHERE cust_id = 3"),
        ("02-pinned-composite-collocated-join", "SELECT c.name, o.amount FROM customers c JOIN orders o ON o.cust_id = c.cust_id WHERE c.cust_id = 1 AND o.cust_id = 1"),
        ("03-pinned-with-reference", "SELECT c.name, r.label FROM customers c JOIN regions r ON r.code = c.region WHERE c.cust_id = 2"),
        ("04-reference-only", "SELECT label FROM regions WHERE code = 'eu'"),
        ("05-standard-only", "SELECT body FROM notes WHERE id = 1"),
        ("06-full-scan", "SELECT * FROM customers"),
        ("07-in-list", "SELECT name FROM customers WHERE cust_id IN (1, 2, 5)"),
        ("08-range", "SELECT name FROM customers WHERE cust_id BETWEEN 2 AND 4"),
        ("09-non-key-equality", "SELECT cust_id FROM customers WHERE name = 'Ada'"),
        ("10-collocated-join", "SELECT c.name, o.order_id FROM customers c JOIN orders o ON o.cust_id = c.cust_id"),
        ("11-join-reference", "SELECT c.name, r.label FROM customers c JOIN regions r ON r.code = c.region"),
        ("12-non-collocated-join", "SELECT o.order_id, i.sku FROM orders o JOIN items i ON i.order_id = o.order_id"),
        ("13-join-standard", "SELECT c.name, n.body FROM notes n JOIN customers c ON c.cust_id = n.cust_id"),
        ("14-aggregate-without-copies", "SELECT count(*), sum(amount) FROM orders"),
        ("15-group-by", "SELECT cust_id, sum(amount) FROM orders GROUP BY cust_id HAVING sum(amount) > 5"),
        ("16-order-limit", "SELECT order_id, amount FROM orders ORDER BY amount DESC LIMIT 2"),
        ("17-in-subquery", "SELECT name FROM customers WHERE cust_id IN (SELECT cust_id FROM orders WHERE amount > 5)"),
        ("18-exists", "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.cust_id)"),
        ("19-scalar-subquery", "SELECT name, (SELECT count(*) FROM orders o WHERE o.cust_id = c.cust_id) AS n FROM customers c"),
        ("20-window", "SELECT order_id, rank() OVER (PARTITION BY cust_id ORDER BY amount) FROM orders"),
        ("21-cte", "WITH big AS (SELECT * FROM orders WHERE amount > 3) SELECT c.name, big.amount FROM big JOIN customers c USING (cust_id)"),
        ("22-left-join", "SELECT c.name, o.order_id FROM customers c LEFT JOIN orders o ON o.cust_id = c.cust_id WHERE c.region = 'eu'"),
        ("23-distinct", "SELECT DISTINCT sku FROM items"),
        ("24-union", "SELECT cust_id FROM customers UNION SELECT cust_id FROM notes"),
        ("25-index-column", "SELECT order_id FROM orders WHERE placed >= '2026-02-01'"),
        ("26-three-way-join", "SELECT c.name, o.order_id, i.sku, r.label FROM customers c JOIN orders o ON o.cust_id = c.cust_id JOIN items i ON i.order_id = o.order_id JOIN regions r ON r.code = c.region"),
        ("27-pinned-key-not-collocated", "SELECT o.order_id, i.sku FROM orders o JOIN items i ON i.order_id = o.order_id WHERE o.cust_id = 1"),
        ("28-update-pinned", "UPDATE customers SET name = 'Ade' WHERE cust_id = 1"),
        ("29-delete-range", "DELETE FROM orders WHERE amount < 2"),
        ("30-insert-select", "INSERT INTO notes (cust_id, body) SELECT cust_id, name FROM customers WHERE region = 'us'"),
        ("31-is-null-key", "SELECT * FROM customers WHERE cust_id IS NULL"),
        ("32-catalog", "SELECT table_name, table_type FROM rds_aurora.limitless_tables"),
        ("33-upsert", "INSERT INTO orders (order_id, cust_id, amount) VALUES (10, 1, 9) ON CONFLICT (order_id, cust_id) DO UPDATE SET amount = excluded.amount"),
        ("34-update-returning", "UPDATE orders SET amount = amount + 1 WHERE cust_id = 4 RETURNING order_id, amount"),
        ("35-postgres-spelling", "SELECT name::text FROM customers WHERE cust_id = 5 AND name ILIKE 'e%'"),
        ("36-partial-aggregates-without-copies", "SELECT c.region, count(*), avg(o.amount), min(c.name) FROM customers c JOIN orders o ON o.cust_id = c.cust_id GROUP BY c.region HAVING count(*) > 1 ORDER BY 2 DESC"),
        ("37-reference-left-join-sharded", "SELECT r.label, c.name FROM regions r LEFT JOIN customers c ON c.region = r.code"),
        ("38-group-concat", "SELECT group_concat(name) FROM customers"),
        ("39-distinct-order-limit", "SELECT DISTINCT region FROM customers ORDER BY region LIMIT 2"),
        ("40-one-table-rowid-order", "SELECT name FROM customers WHERE region = 'eu' LIMIT 3 OFFSET 1"),
        ("41-sharded-left-join-reference", "SELECT c.name, r.label FROM customers c LEFT JOIN regions r ON r.code = c.region ORDER BY c.name COLLATE NOCASE"),
        ("42-hashed-partial-aggregates", "SELECT i.order_id, count(*), sum(i.qty), avg(i.qty), max(i.qty) FROM items i WHERE i.qty > 0 GROUP BY i.order_id"),
        ("43-router-copies", "SELECT i.sku, group_concat(o.order_id) FROM orders o JOIN items i ON i.order_id = o.order_id WHERE o.placed > '2026-01-01' GROUP BY i.sku"),
        ("44-router-scan-ordered-by-index-without-copies", "SELECT o.placed, n.body FROM orders o JOIN notes n ON n.cust_id <> o.cust_id ORDER BY o.placed"),
        ("45-router-scan-index-order", "SELECT n.body, o.order_id FROM notes n, orders o WHERE o.placed > '2026-01-01'"),
    ]

    static var goldenDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/plans").path
    }

    @Test func plansMatchTheGoldenFiles() throws {
        let f = try PlanFixture(name: "golden")
        try f.run(PlanFixture.planSchema)
        let record = ProcessInfo.processInfo.environment["LIMITLESS_RECORD"] == "1"
        var seen: Set<String> = []
        for (name, sql) in Self.cases {
            seen.insert(name + ".txt")
            // Cases named "-without-copies" show the router's scans where copies would apply.
            f.engine.routerCopyRows = name.hasSuffix("-without-copies") ? 0 : ClusterEngine.defaultRouterCopyRows
            let lines = try f.engine.explainLines(sql)
            let text = "-- " + sql + "\n" + lines.joined(separator: "\n") + "\n"
            let path = Self.goldenDirectory + "/" + name + ".txt"
            if record {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try? String(contentsOfFile: path, encoding: .utf8)
            #expect(expected == text, "plan drifted for \(name); LIMITLESS_RECORD=1 re-records it\n\(text)")
        }
        // No stale golden files left behind.
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.goldenDirectory)) ?? [])
        #expect(files == seen)
    }
}
