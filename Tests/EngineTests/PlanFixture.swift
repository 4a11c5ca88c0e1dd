import Foundation
import Testing
@testable import LimitlessEngine

/// A shard group in a temporary folder, driven in-process.
final class PlanFixture {
    let directory: String
    let engine: ClusterEngine

    init(shards: Int = 4, name: String = "plan") throws {
        directory = NSTemporaryDirectory() + "limitless-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try ShardGroupStorage.create(directory: directory, shardCount: shards, routerCount: 1)
        engine = try ClusterEngine(directory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func run(_ script: String) throws -> [StatementResult] {
        var out: [StatementResult] = []
        for s in ClusterEngine.splitStatements(script) {
            if let r = try engine.execute(s) { out.append(r) }
        }
        return out
    }

    /// The plan tests' schema: two collocated sharded tables, a sharded table on another key
    /// (not collocated), a reference table and a standard table, with a few rows each.
    static let planSchema = """
    SET rds_aurora.limitless_create_table_mode = 'sharded';
    SET rds_aurora.limitless_create_table_shard_key = '{"cust_id"}';
    CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, name TEXT NOT NULL, region TEXT);
    SET rds_aurora.limitless_create_table_collocate_with = 'customers';
    CREATE TABLE orders (order_id INTEGER NOT NULL, cust_id INTEGER NOT NULL, amount REAL, placed TEXT, PRIMARY KEY (order_id, cust_id));
    SET rds_aurora.limitless_create_table_collocate_with = '';
    SET rds_aurora.limitless_create_table_shard_key = '{"item_id"}';
    CREATE TABLE items (item_id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT, qty INTEGER);
    SET rds_aurora.limitless_create_table_mode = 'reference';
    CREATE TABLE regions (code TEXT PRIMARY KEY, label TEXT);
    SET rds_aurora.limitless_create_table_mode = 'standard';
    CREATE TABLE notes (id INTEGER PRIMARY KEY, cust_id INTEGER, body TEXT);
    CREATE INDEX orders_placed ON orders(placed);
    INSERT INTO regions VALUES ('eu', 'Europe'), ('us', 'Americas'), ('ap', 'Asia Pacific');
    INSERT INTO customers VALUES (1, 'Ada', 'eu'), (2, 'Bo', 'us'), (3, 'Cy', 'ap'), (4, 'Di', 'eu'), (5, 'Ed', NULL);
    INSERT INTO orders VALUES (10, 1, 5.5, '2026-01-02'), (11, 1, 7, '2026-02-03'), (12, 2, 3.25, '2026-01-05'), (13, 3, 40, '2026-03-01'), (14, 4, 1, '2026-03-02');
    INSERT INTO items VALUES (100, 10, 'pen', 2), (101, 10, 'ink', 1), (102, 12, 'pad', 5), (103, 13, 'pen', 1);
    INSERT INTO notes VALUES (1, 1, 'vip'), (2, 3, 'late payer');
    """
}
