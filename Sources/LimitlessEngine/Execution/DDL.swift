import CSQLite
import LimitlessSupport

/// What SQLite says about a CREATE TABLE, read from a scratch in-memory database.
struct TableFacts {
    var name: String
    var columns: [ColumnInfo]
    var primaryKey: [String]
    var uniqueSets: [[String]]
    var withoutRowid: Bool

    static func read(_ statements: [String], table: String? = nil) throws(EngineError) -> TableFacts {
        let scratch = try Database(path: ":memory:", create: true)
        for s in statements { try scratch.exec(s) }
        let name: String
        if let table { name = table } else {
            guard case let .text(n) = try scratch.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").first?.first ?? .null else {
                throw EngineError("CREATE TABLE made no table", code: "XX000")
            }
            name = n
        }
        var columns: [ColumnInfo] = []
        var pk: [(Int, String)] = []
        for r in try scratch.query("SELECT name, type, \"notnull\", pk, hidden, dflt_value FROM pragma_table_xinfo(?)", [.text(name)]) {
            guard case let .text(cname) = r[0] else { continue }
            var type = "", pkPos = 0, hidden = 0, notNull = false
            if case let .text(t) = r[1] { type = t }
            if case let .integer(v) = r[2] { notNull = v != 0 }
            if case let .integer(v) = r[3] { pkPos = Int(v) }
            if case let .integer(v) = r[4] { hidden = Int(v) }
            var collation: UnsafePointer<CChar>? = nil
            var declType: UnsafePointer<CChar>? = nil
            var nn: Int32 = 0, ispk: Int32 = 0, autoinc: Int32 = 0
            var coll = "BINARY"
            if sqlite3_table_column_metadata(scratch.handle, "main", name, cname, &declType, &collation, &nn, &ispk, &autoinc) == SQLITE_OK,
               let collation { coll = String(cString: collation) }
            var dflt: String? = nil
            if case let .text(d) = r[5] { dflt = d }
            columns.append(ColumnInfo(name: cname, declaredType: type, collation: coll, notNull: notNull,
                                      primaryKeyPosition: pkPos, hidden: hidden, defaultSQL: dflt))
            if pkPos > 0 { pk.append((pkPos, cname)) }
        }
        var uniques: [[String]] = []
        for r in try scratch.query("SELECT name, \"unique\" FROM pragma_index_list(?)", [.text(name)]) {
            guard case let .text(iname) = r[0], case let .integer(u) = r[1], u != 0 else { continue }
            var cols: [String] = []
            for c in try scratch.query("SELECT name FROM pragma_index_info(?)", [.text(iname)]) {
                if case let .text(cn) = c[0] { cols.append(cn) } else { cols.append("") }
            }
            uniques.append(cols)
        }
        var withoutRowid = false
        if (try? scratch.prepare("SELECT rowid FROM \(quoteIdentifier(name))")) == nil { withoutRowid = true }
        return TableFacts(name: name, columns: columns, primaryKey: pk.sorted { $0.0 < $1.0 }.map(\.1),
                          uniqueSets: uniques, withoutRowid: withoutRowid)
    }
}

extension ClusterEngine {
    // MARK: names

    func routerObjectType(_ name: String) throws(EngineError) -> String? {
        let r = try router.query("SELECT type FROM main.sqlite_schema WHERE name = ? COLLATE NOCASE", [.text(name)])
        if case let .text(t) = r.first?.first ?? .null { return t }
        return nil
    }

    func shardObjectExists(_ name: String, type: String) throws(EngineError) -> Bool {
        !(try shard(1).query("SELECT 1 FROM sqlite_schema WHERE type = ? AND name = ? COLLATE NOCASE", [.text(type), .text(name)])).isEmpty
    }

    // MARK: CREATE TABLE

    func createTable(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 1
        while i < toks.count, !toks[i].isWord("TABLE") { i += 1 }
        i += 1
        var ifNotExists = false
        if i + 2 < toks.count, toks[i].isWord("IF"), toks[i + 1].isWord("NOT"), toks[i + 2].isWord("EXISTS") { ifNotExists = true; i += 3 }
        guard let (schema, name, next) = Tokens.qualifiedName(sql, toks, i) else { return try runOnRouter(sql, toks) }
        let mode = settings.createMode
        if mode == "standard" || (schema != nil && schema!.lowercased() != "main") {
            return try runOnRouter(sql, toks)
        }
        let routerHas = try routerObjectType(name) != nil
        if catalog.table(name) != nil || routerHas {
            if ifNotExists {
                Console.err("NOTICE:  relation \"\(name)\" already exists, skipping\n")
                return .command(tag: "CREATE TABLE", rowsAffected: nil)
            }
            throw EngineError("relation \"\(name)\" already exists", code: "42P07")
        }
        let placement: TablePlacement = mode == "sharded" ? .sharded : .reference
        let keys = settings.shardKeyColumns
        let collocate = settings.collocateWith
        if next < toks.count, toks[next].isWord("AS") {
            // CREATE TABLE … AS SELECT: made as a standard table at the router, then moved.
            return try atomically { () throws(EngineError) -> StatementResult in
                _ = try runOnRouter(sql, toks)
                try convert(name, placement: placement, keys: keys, collocateWith: collocate)
                return .command(tag: "SELECT \(rowCountAfterConvert)", rowsAffected: rowCountAfterConvert)
            }
        }
        let facts = try TableFacts.read([sql])
        try atomically { () throws(EngineError) in
            let info = try makeTableInfo(facts, placement: placement, keys: keys, collocateWith: collocate)
            for n in 1...catalog.shardCount {
                try checkFault(shard: n, operation: "ddl")
                try shardForWrite(n).exec(sql)
            }
            try register(info)
        }
        return .command(tag: "CREATE TABLE", rowsAffected: nil)
    }

    /// Checks Aurora's rules for a new sharded or reference table and gives its catalog entry
    /// (making a new collocation group when it is not collocated). Runs inside `atomically`.
    func makeTableInfo(_ facts: TableFacts, placement: TablePlacement, keys: [String], collocateWith: String) throws(EngineError) -> TableInfo {
        if facts.withoutRowid {
            throw EngineError.featureNotSupported("WITHOUT ROWID tables cannot be sharded or reference tables")
        }
        let gid = try catalog.nextGID(router)
        if placement == .reference {
            if facts.primaryKey.isEmpty {
                throw EngineError("reference table \"\(facts.name)\" must have a primary key", code: "0A000")
            }
            return TableInfo(gid: gid, name: facts.name, placement: .reference, shardKey: [], collocationID: 0, columns: facts.columns)
        }
        if keys.isEmpty {
            throw EngineError("rds_aurora.limitless_create_table_shard_key must be set to create a sharded table", code: "22023")
        }
        var keyNames: [String] = []
        for k in keys {
            guard let c = facts.columns.first(where: { $0.name.lowercased() == k.lowercased() }) else {
                throw EngineError("column \"\(k)\" named in the shard key does not exist", code: "42703")
            }
            keyNames.append(c.name)
        }
        let lowerKeys = Set(keyNames.map { $0.lowercased() })
        if !facts.primaryKey.isEmpty, !lowerKeys.isSubset(of: Set(facts.primaryKey.map { $0.lowercased() })) {
            throw EngineError("primary key of sharded table \"\(facts.name)\" must include every shard key column", code: "0A000")
        }
        for u in facts.uniqueSets where !lowerKeys.isSubset(of: Set(u.map { $0.lowercased() })) {
            throw EngineError("unique constraint on sharded table \"\(facts.name)\" must include every shard key column", code: "0A000")
        }
        var collocation: Int64
        if !collocateWith.isEmpty {
            guard let target = catalog.table(collocateWith), target.placement == .sharded else {
                throw EngineError("table \"\(collocateWith)\" to collocate with is not a sharded table", code: "22023")
            }
            let mine = keyNames.compactMap { k in facts.columns.first { $0.name == k } }
            let theirs = target.keyIndexes.map { target.columns[$0] }
            guard mine.count == theirs.count,
                  zip(mine, theirs).allSatisfy({ $0.declaredType.uppercased() == $1.declaredType.uppercased() }) else {
                throw EngineError("shard key of \"\(facts.name)\" must have the same number and types of columns as the shard key of \"\(target.name)\" to be collocated", code: "0A000")
            }
            collocation = target.collocationID
        } else {
            collocation = try catalog.newCollocationGroup(router)
            try catalog.load(routerRangesOnly: router)
        }
        return TableInfo(gid: gid, name: facts.name, placement: .sharded, shardKey: keyNames, collocationID: collocation, columns: facts.columns)
    }

    /// Adds a table to the catalog and declares its virtual table at the router.
    func register(_ info: TableInfo) throws(EngineError) {
        rowCounts[info.gid] = nil
        rowidCounters[info.gid] = nil
        try catalog.insert(info, db: router)
        catalog.tables[info.name.lowercased()] = info
        try router.exec("CREATE VIRTUAL TABLE \(quoteIdentifier(info.name)) USING limitless_table")
        catalogViewsStale = true
    }

    // MARK: conversion of a standard table (CALL … and CREATE TABLE AS)

    func convert(_ name: String, placement: TablePlacement, keys: [String], collocateWith: String) throws(EngineError) {
        if catalog.table(name) != nil {
            throw EngineError("table \"\(name)\" is not a standard table", code: "22023")
        }
        let rows = try router.query("SELECT sql, type, name FROM main.sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid", [.text(name)])
        guard let first = rows.first, case .text("table") = first[1], case let .text(createSQL) = first[0] else {
            throw EngineError("relation \"\(name)\" does not exist", code: "42P01")
        }
        if createSQL.uppercased().hasPrefix("CREATE VIRTUAL") {
            throw EngineError("table \"\(name)\" cannot be converted", code: "0A000")
        }
        var indexSQL: [String] = [], triggerSQL: [String] = []
        for r in rows.dropFirst() {
            guard case let .text(s) = r[0], case let .text(t) = r[1] else { continue }
            if t == "index" { indexSQL.append(s) } else if t == "trigger" { triggerSQL.append(s) }
        }
        guard case let .text(realName) = first[2] else { return }
        let facts = try TableFacts.read([createSQL] + indexSQL, table: realName)
        let info = try makeTableInfo(facts, placement: placement, keys: keys, collocateWith: collocateWith)
        let writable = info.columns.indices.filter { !info.columns[$0].isGenerated }
        let data = try router.query("SELECT \(info.rowidName), " + writable.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ") + " FROM main.\(quoteIdentifier(realName))")
        for n in 1...catalog.shardCount {
            let db = try shardForWrite(n)
            try checkFault(shard: n, operation: "ddl")
            try db.exec(createSQL)
            for s in indexSQL { try db.exec(s) }
            for s in triggerSQL { try db.exec(s) }
        }
        try router.exec("DROP TABLE main.\(quoteIdentifier(realName))")
        try register(info)
        try insertDirect(info, columns: writable, rows: data)
        rowCountAfterConvert = data.count
    }

    /// Writes rows straight to the shards that own them (every copy for a reference table).
    /// Each row starts with its rowid, which the shards keep (so scans merged by rowid keep the order).
    func insertDirect(_ info: TableInfo, columns: [Int], rows: [[SQLValue]]) throws(EngineError) {
        let sql = "INSERT INTO \(quoteIdentifier(info.name))(\(info.rowidName), " + columns.map { quoteIdentifier(info.columns[$0].name) }.joined(separator: ", ") +
            ") VALUES(?, " + columns.map { _ in "?" }.joined(separator: ", ") + ")"
        for full in rows {
            let row = Array(full.dropFirst())
            var targets: [Int]
            if info.placement == .sharded {
                let key = info.keyIndexes.map { k -> SQLValue in
                    let pos = columns.firstIndex(of: k)
                    return info.columns[k].affinity.apply(pos.map { row[$0] } ?? .null)
                }
                targets = [shard(forKey: key, of: info)]
            } else {
                targets = Array(1...catalog.shardCount)
            }
            for n in targets {
                _ = try shardForWrite(n)
                try checkFault(shard: n, operation: "insert")
                let s = try cachedStatement(shard: n, sql: sql)
                defer { s.reset() }
                try s.bind(full)
                while try s.step() {}
            }
        }
    }

    // MARK: CREATE INDEX / TRIGGER

    private func tableAfterOn(_ sql: String, _ toks: [Token]) -> String? {
        guard let on = toks.firstIndex(where: { $0.isWord("ON") }),
              let (_, name, _) = Tokens.qualifiedName(sql, toks, on + 1) else { return nil }
        return name
    }

    func createIndex(_ sql: String, _ toks: [Token], unique: Bool) throws(EngineError) -> StatementResult {
        guard let tname = tableAfterOn(sql, toks), let info = catalog.table(tname) else { return try runOnRouter(sql, toks) }
        if unique && info.placement == .sharded {
            guard case let .text(create) = try shard(1).query("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE", [.text(info.name)]).first?.first ?? .null else {
                throw EngineError("relation \"\(tname)\" does not exist", code: "42P01")
            }
            let scratch = try Database(path: ":memory:", create: true)
            try scratch.exec(create)
            try scratch.exec(sql)
            let keys = Set(info.shardKey.map { $0.lowercased() })
            for r in try scratch.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL") {
                guard case let .text(iname) = r[0] else { continue }
                let cols = try scratch.query("SELECT name FROM pragma_index_info(?)", [.text(iname)]).compactMap { row -> String? in
                    if case let .text(c) = row[0] { return c.lowercased() }; return nil
                }
                if !keys.isSubset(of: Set(cols)) {
                    throw EngineError("unique index on sharded table \"\(info.name)\" must include every shard key column", code: "0A000")
                }
            }
        }
        try atomically { () throws(EngineError) in
            for n in 1...catalog.shardCount {
                try checkFault(shard: n, operation: "ddl")
                try shardForWrite(n).exec(sql)
            }
        }
        return .command(tag: "CREATE INDEX", rowsAffected: nil)
    }

    func createTrigger(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        guard let tname = tableAfterOn(sql, toks), catalog.table(tname) != nil else { return try runOnRouter(sql, toks) }
        try atomically { () throws(EngineError) in
            for n in 1...catalog.shardCount {
                try checkFault(shard: n, operation: "ddl")
                try shardForWrite(n).exec(sql)
            }
        }
        return .command(tag: "CREATE TRIGGER", rowsAffected: nil)
    }

    // MARK: DROP

    func dropTable(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 2
        if i + 1 < toks.count, toks[i].isWord("IF"), toks[i + 1].isWord("EXISTS") { i += 2 }
        guard let (schema, name, _) = Tokens.qualifiedName(sql, toks, i), schema == nil || schema!.lowercased() == "main",
              let info = catalog.table(name) else {
            return try runOnRouter(sql, toks)
        }
        try atomically { () throws(EngineError) in
            for n in 1...catalog.shardCount {
                try checkFault(shard: n, operation: "ddl")
                try shardForWrite(n).exec("DROP TABLE IF EXISTS \(quoteIdentifier(info.name))")
            }
            try router.exec("DROP TABLE main.\(quoteIdentifier(info.name))")
            try catalog.delete(info.name, db: router)
            catalog.tables[info.name.lowercased()] = nil
            catalogViewsStale = true
        }
        return .command(tag: "DROP TABLE", rowsAffected: nil)
    }

    /// DROP INDEX / DROP TRIGGER: where the object lives — the router, or every shard.
    func dropShardObject(_ sql: String, _ toks: [Token], kind: String) throws(EngineError) -> StatementResult {
        var i = 2
        if i + 1 < toks.count, toks[i].isWord("IF"), toks[i + 1].isWord("EXISTS") { i += 2 }
        guard let (_, name, _) = Tokens.qualifiedName(sql, toks, i) else { return try runOnRouter(sql, toks) }
        if try routerObjectType(name) == nil, try shardObjectExists(name, type: kind) {
            try atomically { () throws(EngineError) in
                for n in 1...catalog.shardCount {
                    try checkFault(shard: n, operation: "ddl")
                    try shardForWrite(n).exec(sql)
                }
            }
            return .command(tag: "DROP \(kind.uppercased())", rowsAffected: nil)
        }
        return try runOnRouter(sql, toks)
    }

    // MARK: ALTER TABLE

    func alterTable(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        guard let (_, name, next) = Tokens.qualifiedName(sql, toks, 2), let info = catalog.table(name) else {
            return try runOnRouter(sql, toks)
        }
        func w(_ k: Int) -> String { k < toks.count && toks[k].kind == .word ? toks[k].text : "" }
        var newName = info.name
        var keys = info.shardKey
        var j = next
        if w(j) == "RENAME" {
            j += 1
            if w(j) == "TO" {
                guard let (_, n, _) = Tokens.qualifiedName(sql, toks, j + 1) else { return try runOnRouter(sql, toks) }
                let taken = try routerObjectType(n) != nil
                if catalog.table(n) != nil || taken {
                    throw EngineError("relation \"\(n)\" already exists", code: "42P07")
                }
                newName = n
            } else {
                if w(j) == "COLUMN" { j += 1 }
                if j < toks.count, toks[j].isName, w(j + 1) == "TO", j + 2 < toks.count {
                    let from = Tokens.name(sql, toks[j]), to = Tokens.name(sql, toks[j + 2])
                    keys = keys.map { $0.lowercased() == from.lowercased() ? to : $0 }
                }
            }
        } else if w(j) == "DROP" {
            j += 1
            if w(j) == "COLUMN" { j += 1 }
            if j < toks.count, toks[j].isName {
                let col = Tokens.name(sql, toks[j]).lowercased()
                if info.shardKey.contains(where: { $0.lowercased() == col }) {
                    throw EngineError("cannot drop shard key column \"\(Tokens.name(sql, toks[j]))\" of table \"\(info.name)\"", code: "0A000")
                }
                if info.placement == .reference,
                   info.columns.contains(where: { $0.name.lowercased() == col && $0.primaryKeyPosition > 0 }) {
                    throw EngineError("cannot drop primary key column \"\(Tokens.name(sql, toks[j]))\" of reference table \"\(info.name)\"", code: "0A000")
                }
            }
        }
        try atomically { () throws(EngineError) in
            for n in 1...catalog.shardCount {
                try checkFault(shard: n, operation: "ddl")
                try shardForWrite(n).exec(sql)
            }
            let facts = try TableFacts.read([], table: newName, from: try shard(1))
            try router.exec("DROP TABLE main.\(quoteIdentifier(info.name))")
            let oldName = info.name
            catalog.tables[oldName.lowercased()] = nil
            info.name = facts.name
            info.columns = facts.columns
            info.shardKey = keys
            info.resolveKey()
            try catalog.update(info, oldName: oldName, db: router)
            catalog.tables[info.name.lowercased()] = info
            try router.exec("CREATE VIRTUAL TABLE \(quoteIdentifier(info.name)) USING limitless_table")
            catalogViewsStale = true
        }
        return .command(tag: "ALTER TABLE", rowsAffected: nil)
    }

    // MARK: REINDEX

    func reindex(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var firstError: EngineError? = nil
        var ok = false
        do throws(EngineError) { try router.exec(sql); ok = true } catch { firstError = error }
        for n in 1...catalog.shardCount {
            do throws(EngineError) { try shard(n).exec(sql); ok = true } catch { if firstError == nil { firstError = error } }
        }
        if !ok, let e = firstError { throw e }
        return .command(tag: "REINDEX", rowsAffected: nil)
    }

    // MARK: CALL

    func call(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 1
        var name = ""
        while i < toks.count, !(toks[i].kind == .punct && toks[i].text == "(") {
            name += toks[i].kind == .punct ? toks[i].text : Tokens.name(sql, toks[i]).lowercased()
            i += 1
        }
        enum Arg { case string(String), array([String]) }
        var args: [Arg] = []
        i += 1
        while i < toks.count {
            let t = toks[i]
            if t.kind == .string { args.append(.string(t.text)) }
            else if t.isWord("ARRAY") {
                var items: [String] = []
                i += 1
                while i < toks.count, !(toks[i].kind == .punct && toks[i].text == "]") {
                    if toks[i].kind == .string { items.append(toks[i].text) }
                    i += 1
                }
                args.append(.array(items))
            } else if t.kind == .punct && t.text == ")" { break }
            i += 1
        }
        func string(_ k: Int) -> String? { if k < args.count, case let .string(s) = args[k] { return s }; return nil }
        switch name {
        case "rds_aurora.limitless_alter_table_type_sharded":
            guard let table = string(0), args.count >= 2 else {
                throw EngineError("procedure \(name) needs a table name and an array of shard key columns", code: "42883")
            }
            var keys: [String] = []
            switch args[1] {
            case let .array(a): keys = a
            case let .string(s): keys = try SessionSettings.parseArray(s)
            }
            let coll = string(2) ?? ""
            try atomically { () throws(EngineError) in try convert(table, placement: .sharded, keys: keys, collocateWith: coll) }
        case "rds_aurora.limitless_alter_table_type_reference":
            guard let table = string(0) else {
                throw EngineError("procedure \(name) needs a table name", code: "42883")
            }
            try atomically { () throws(EngineError) in try convert(table, placement: .reference, keys: [], collocateWith: "") }
        default:
            throw EngineError("procedure \(name)() does not exist", code: "42883")
        }
        return .command(tag: "CALL", rowsAffected: nil)
    }

    // MARK: rds_aurora catalog views

    func refreshCatalogViews() throws(EngineError) {
        guard catalogViewsStale else { return }
        try router.exec("""
            DROP TABLE IF EXISTS rds_aurora.limitless_tables;
            DROP TABLE IF EXISTS rds_aurora.limitless_table_collocations;
            DROP TABLE IF EXISTS rds_aurora.limitless_table_collocation_distributions;
            DROP TABLE IF EXISTS rds_aurora.limitless_subclusters;
            CREATE TABLE rds_aurora.limitless_tables(table_gid INTEGER, local_oid INTEGER, schema_name TEXT,
                table_name TEXT, table_status TEXT, table_type TEXT, distribution_key TEXT);
            CREATE TABLE rds_aurora.limitless_table_collocations(collocation_id INTEGER, schema_name TEXT, table_name TEXT);
            CREATE TABLE rds_aurora.limitless_table_collocation_distributions(collocation_id INTEGER,
                subcluster_id INTEGER, lower_bound INTEGER, upper_bound INTEGER);
            CREATE TABLE rds_aurora.limitless_subclusters(subcluster_id INTEGER, subcluster_type TEXT);
            """)
        for t in catalog.tables.values.sorted(by: { $0.gid < $1.gid }) {
            try router.run("INSERT INTO rds_aurora.limitless_tables VALUES(?,?,?,?,?,?,?)",
                           [.integer(t.gid), .integer(16384 + t.gid), .text("public"), .text(t.name), .text("active"),
                            .text(t.placement.rawValue), t.distributionKey.map { .text($0) } ?? .null])
            if t.placement == .sharded {
                try router.run("INSERT INTO rds_aurora.limitless_table_collocations VALUES(?,?,?)",
                               [.integer(t.collocationID), .text("public"), .text(t.name)])
            }
        }
        let routers = catalog.routerCount
        try router.run("""
            INSERT INTO rds_aurora.limitless_table_collocation_distributions
            SELECT collocation_id, shard + ?, lower_bound, upper_bound FROM main.limitless_ranges
            WHERE collocation_id IN (SELECT collocation_id FROM main.limitless_tables WHERE placement = 'sharded')
            ORDER BY collocation_id, lower_bound
            """, [.integer(Int64(routers))])
        for r in 1...max(routers, 1) {
            try router.run("INSERT INTO rds_aurora.limitless_subclusters VALUES(?, 'router')", [.integer(Int64(r))])
        }
        for s in 1...catalog.shardCount {
            try router.run("INSERT INTO rds_aurora.limitless_subclusters VALUES(?, 'shard')", [.integer(Int64(routers + s))])
        }
        catalogViewsStale = false
    }
}

extension TableFacts {
    /// The facts of an existing table on a shard.
    static func read(_ statements: [String], table: String, from db: Database) throws(EngineError) -> TableFacts {
        let rows = try db.query("SELECT sql FROM sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL AND type IN ('table', 'index') ORDER BY type = 'table' DESC", [.text(table)])
        let sqls = rows.compactMap { r -> String? in if case let .text(s) = r[0] { return s }; return nil }
        let real = try db.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE", [.text(table)])
        guard case let .text(n) = real.first?.first ?? .null else { throw EngineError("relation \"\(table)\" does not exist", code: "42P01") }
        return try read(sqls, table: n)
    }
}

extension ClusterEngine {
    /// SQLite keeps no DEFAULT for a virtual table's columns, so an INSERT into a distributed
    /// table that names its columns gets the left-out columns that have a DEFAULT added, with
    /// their default expressions: `INSERT INTO t(a) VALUES (1)` becomes
    /// `INSERT INTO t(a, b) SELECT *, (default of b) FROM (VALUES (1))`.
    /// An INSERT into a sharded table whose column list leaves out a shard-key column (that has no
    /// DEFAULT and is not an INTEGER PRIMARY KEY the engine numbers) cannot be placed.
    func checkShardKeyGiven(_ sql: String) throws(EngineError) {
        let toks = Tokens.scan(sql)
        guard let into = toks.firstIndex(where: { $0.isWord("INTO") }),
              let (_, name, afterName) = Tokens.qualifiedName(sql, toks, into + 1),
              let info = catalog.table(name), info.placement == .sharded else { return }
        var i = afterName
        if i < toks.count, toks[i].isWord("AS") { i += 2 }
        var named = Set<String>()
        if i + 1 < toks.count, toks[i].isWord("DEFAULT"), toks[i + 1].isWord("VALUES") {
        } else if i < toks.count, toks[i].kind == .punct, toks[i].text == "(" {
            var j = i + 1
            while j < toks.count, !(toks[j].kind == .punct && toks[j].text == ")") {
                if toks[j].isName { named.insert(Tokens.name(sql, toks[j]).lowercased()) }
                j += 1
            }
        } else { return }
        for k in info.keyIndexes {
            let c = info.columns[k]
            if !named.contains(c.name.lowercased()) && c.defaultSQL == nil && k != info.rowidAliasIndex {
                throw EngineError("shard key column \"\(c.name)\" of sharded table \"\(info.name)\" is missing from the INSERT", code: "23502")
            }
        }
    }

    func insertWithDefaults(_ sql: String) -> String {
        let toks = Tokens.scan(sql)
        guard let into = toks.firstIndex(where: { $0.isWord("INTO") }),
              let (_, name, afterName) = Tokens.qualifiedName(sql, toks, into + 1),
              let info = catalog.table(name) else { return sql }
        var i = afterName
        if i < toks.count, toks[i].isWord("AS") { i += 2 }
        let bytes = Array(sql.utf8)
        func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }
        let withDefault = info.columns.filter { $0.defaultSQL != nil && !$0.isGenerated }
        if withDefault.isEmpty { return sql }
        if i + 1 < toks.count, toks[i].isWord("DEFAULT"), toks[i + 1].isWord("VALUES") {
            let cols = withDefault.map { quoteIdentifier($0.name) }.joined(separator: ", ")
            let vals = withDefault.map { "(" + $0.defaultSQL! + ")" }.joined(separator: ", ")
            return text(0, toks[i].offset) + "(" + cols + ") VALUES (" + vals + ")" + text(toks[i + 1].end, bytes.count)
        }
        guard i < toks.count, toks[i].kind == .punct, toks[i].text == "(" else { return sql }
        var named = Set<String>()
        var j = i + 1
        while j < toks.count, !(toks[j].kind == .punct && toks[j].text == ")") {
            if toks[j].isName { named.insert(Tokens.name(sql, toks[j]).lowercased()) }
            j += 1
        }
        guard j < toks.count else { return sql }
        let close = toks[j]
        let missing = withDefault.filter { !named.contains($0.name.lowercased()) }
        if missing.isEmpty { return sql }
        // The source runs to a top-level RETURNING or ON CONFLICT, or the end.
        var depth = 0
        var end = bytes.count
        var k = j + 1
        while k < toks.count {
            let t = toks[k]
            if t.kind == .punct { if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1 } }
            if depth == 0, t.isWord("RETURNING") || (t.isWord("ON") && k + 1 < toks.count && toks[k + 1].isWord("CONFLICT")) {
                end = t.offset; break
            }
            k += 1
        }
        let source = text(close.end, end)
        let cols = missing.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        let vals = missing.map { "(" + $0.defaultSQL! + ")" }.joined(separator: ", ")
        return text(0, close.offset) + ", " + cols + ") SELECT *, " + vals + " FROM (" + source + ") WHERE 1 " + text(end, bytes.count)
    }
}

// MARK: - Writes SQLite does not do on virtual tables: UPSERT, UPDATE/DELETE … RETURNING

extension ClusterEngine {
    /// The top-level `RETURNING` and `ON CONFLICT` positions of a statement (byte offsets).
    func clauses(_ toks: [Token]) -> (returning: Token?, onConflict: Token?) {
        var depth = 0
        var returning: Token? = nil, onConflict: Token? = nil
        for (k, t) in toks.enumerated() {
            if t.kind == .punct { if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1 } }
            guard depth == 0 else { continue }
            if returning == nil, t.isWord("RETURNING") { returning = t }
            if onConflict == nil, t.isWord("ON"), k + 1 < toks.count, toks[k + 1].isWord("CONFLICT") { onConflict = t }
        }
        return (returning, onConflict)
    }

    /// INSERT … ON CONFLICT into a distributed table: the rows are computed at the router, then each
    /// row's INSERT with the ON CONFLICT clause runs on the shard that owns it (every copy of a
    /// reference table) — a conflicting row shares the shard key, so it is on that shard.
    func upsert(_ sql: String, info: TableInfo) throws(EngineError) -> StatementResult {
        let full = insertWithDefaults(sql)
        let toks = Tokens.scan(full)
        let bytes = Array(full.utf8)
        func text(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
        guard let into = toks.firstIndex(where: { $0.isWord("INTO") }),
              let (_, _, afterName) = Tokens.qualifiedName(full, toks, into + 1),
              let conflict = clauses(toks).onConflict else { return try runOnRouter(full, toks) }
        let returning = clauses(toks).returning
        var i = afterName
        if i < toks.count, toks[i].isWord("AS") { i += 2 }
        var columns: [Int] = info.columns.indices.filter { !info.columns[$0].isGenerated }
        var sourceStart = i < toks.count ? toks[i].offset : bytes.count
        if i < toks.count, toks[i].kind == .punct, toks[i].text == "(" {
            columns = []
            var j = i + 1
            while j < toks.count, !(toks[j].kind == .punct && toks[j].text == ")") {
                if toks[j].isName {
                    guard let c = info.columnIndex(Tokens.name(full, toks[j])) else {
                        throw EngineError("column \"\(Tokens.name(full, toks[j]))\" of relation \"\(info.name)\" does not exist", code: "42703")
                    }
                    columns.append(c)
                }
                j += 1
            }
            sourceStart = j < toks.count ? toks[j].end : bytes.count
        }
        let source = text(sourceStart, conflict.offset)
        let conflictText = text(conflict.offset, returning?.offset ?? bytes.count)
        let returningText = returning.map { text($0.offset, bytes.count) } ?? ""
        try refreshCatalogViewsIfNeeded(source)
        let rows = try router.query("SELECT * FROM (\(source))")
        let alias = info.rowidAliasIndex
        var outRows: [[SQLValue]] = []
        var outColumns: [String] = []
        var changed = 0
        let own = !explicitTransaction
        do throws(EngineError) {
            for var row in rows {
                guard row.count == columns.count else {
                    throw EngineError("INSERT has \(row.count) expressions but \(columns.count) target columns", code: "42601")
                }
                var cols = columns
                var targets: [Int]
                if info.placement == .sharded {
                    var key: [SQLValue] = []
                    for k in info.keyIndexes {
                        var v: SQLValue = cols.firstIndex(of: k).map { row[$0] } ?? .null
                        if v == .null, k == alias {
                            v = .integer(try nextRowid(info))
                            if let p = cols.firstIndex(of: k) { row[p] = v } else { cols.append(k); row.append(v) }
                        }
                        key.append(info.columns[k].affinity.apply(v))
                    }
                    targets = [shard(forKey: key, of: info)]
                } else {
                    targets = Array(1...catalog.shardCount)
                }
                var names = cols.map { quoteIdentifier(info.columns[$0].name) }
                var values = row
                if info.placement == .sharded && alias == nil {
                    names.insert(info.rowidName, at: 0); values.insert(.integer(try nextRowid(info)), at: 0)
                }
                let stmtSQL = "INSERT INTO \(quoteIdentifier(info.name))(" + names.joined(separator: ", ") + ") VALUES (" +
                    names.map { _ in "?" }.joined(separator: ", ") + ") " + conflictText + " " + returningText
                for (n, shard) in targets.enumerated() {
                    let db = try shardForWrite(shard)
                    try checkFault(shard: shard, operation: "insert")
                    let s = try db.prepare(stmtSQL)
                    try s.bind(values)
                    while try s.step() { if n == 0 { outRows.append(s.row()) } }
                    if n == 0 {
                        outColumns = s.columnNames
                        changed += db.changes
                        if info.placement == .sharded { noteRowid(info, db.lastInsertRowid) }
                    }
                }
            }
            if own { try commitShardTransactions() }
        } catch {
            if own { rollbackShardTransactions() }
            throw error
        }
        rowCounts[info.gid] = nil
        if returning != nil {
            return .rows(command: "INSERT 0 \(outRows.count)", columns: outColumns, rows: outRows)
        }
        return .command(tag: "INSERT 0 \(changed)", rowsAffected: changed)
    }

    /// UPDATE / DELETE … RETURNING on a distributed table: the statement runs without RETURNING
    /// while the virtual table keeps each changed row (after an UPDATE, before a DELETE); the
    /// RETURNING list is then evaluated over those rows at the router.
    func writeReturning(_ sql: String, toks: [Token], info: TableInfo, returning: Token, verb: String) throws(EngineError) -> StatementResult {
        let bytes = Array(sql.utf8)
        let statement = String(decoding: bytes[0..<returning.offset], as: UTF8.self)
        let list = String(decoding: bytes[returning.end..<bytes.count], as: UTF8.self)
        captured = []
        capturing = info.gid
        defer { capturing = nil }
        let result = try runOnRouter(statement, toks)
        capturing = nil
        let temp = "limitless_returning"
        try router.exec("DROP TABLE IF EXISTS temp.\(temp)")
        try router.exec("CREATE TEMP TABLE \(temp)(" + info.columns.map { c in
            quoteIdentifier(c.name) + (c.declaredType.isEmpty ? "" : " " + c.declaredType)
        }.joined(separator: ", ") + ")")
        let ins = try router.prepare("INSERT INTO temp.\(temp) VALUES (" + info.columns.map { _ in "?" }.joined(separator: ", ") + ")")
        for row in captured {
            ins.reset()
            try ins.bind(row)
            while try ins.step() {}
        }
        let rows = try router.prepare("SELECT \(list) FROM temp.\(temp) AS \(quoteIdentifier(info.name))")
        var out: [[SQLValue]] = []
        while try rows.step() { out.append(rows.row()) }
        let cols = rows.columnNames
        try router.exec("DROP TABLE IF EXISTS temp.\(temp)")
        captured = []
        _ = result
        return .rows(command: "\(verb) \(out.count)", columns: cols, rows: out)
    }
}
