#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport
import LimitlessEngine

/// The backslash commands of the interactive shell, as psql spells them.
extension ShellSession {
    func runMetaCommand(_ m: ShellText.MetaCommand) {
        let args = m.arguments
        switch m.name {
        case "q", "quit": quitting = true
        case "?": emit(ShellHelp.commands)
        case "h", "help": emit(ShellHelp.syntax(m.rest))
        case "d", "d+", "dS": describe(args.first, only: nil)
        case "dt", "dt+": describe(args.first, only: "table")
        case "di", "di+": describe(args.first, only: "index")
        case "dv", "dv+": describe(args.first, only: "view")
        case "dist": distribution(args.first)
        case "timing":
            guard let v = onOff(args.first, current: timing, name: "\\timing") else { return }
            timing = v
            emit("Timing is \(v ? "on" : "off").\n")
        case "x":
            switch args.first?.lowercased() {
            case nil: expanded = expanded == .on ? .off : .on
            case "on", "true", "1": expanded = .on
            case "off", "false", "0": expanded = .off
            case "auto": expanded = .auto
            default:
                Console.err("\\x: unrecognized value \"\(args[0])\": Boolean expected\n"); return
            }
            switch expanded {
            case .on: emit("Expanded display is on.\n")
            case .off: emit("Expanded display is off.\n")
            case .auto: emit("Expanded display is used automatically.\n")
            }
        case "pset": pset(args)
        case "o", "out": setOutput(args.first)
        case "i", "include", "ir": include(args.first)
        case "e", "edit": edit()
        case "conninfo": conninfo()
        case "set": set(args)
        case "unset":
            guard let name = args.first else { Console.err("\\unset: missing required argument\n"); return }
            variables[name] = nil
        case "echo": emit(args.joined(separator: " ") + "\n")
        case "r", "reset":
            buffer = ""
            emit("Query buffer reset (cleared).\n")
        case "p", "print":
            emit((buffer.isEmpty ? lastStatement : buffer) + "\n")
        default:
            Console.err("invalid command \\\(m.name)\nTry \\? for help.\n")
        }
    }

    func onOff(_ arg: String?, current: Bool, name: String) -> Bool? {
        switch arg?.lowercased() {
        case nil: return !current
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default:
            Console.err("unrecognized value \"\(arg!)\" for \"\(name)\": Boolean expected\n")
            return nil
        }
    }

    func pset(_ args: [String]) {
        guard let what = args.first else {
            emit("format                   \(format == .aligned ? "aligned" : format.rawValue)\npager                    \(pager ? 1 : 0)\n")
            return
        }
        switch what {
        case "format":
            guard args.count > 1 else { emit("Output format is \(format.rawValue).\n"); return }
            switch args[1].lowercased() {
            case "aligned": format = .aligned
            case "csv": format = .csv
            case "json": format = .json
            default:
                Console.err("\\pset: allowed formats are aligned, csv, json\n"); return
            }
            emit("Output format is \(format.rawValue).\n")
        case "pager":
            guard let v = onOff(args.count > 1 ? args[1] : nil, current: pager, name: "pager") else { return }
            pager = v
            emit(v ? "Pager is used for long output.\n" : "Pager usage is off.\n")
        default:
            Console.err("\\pset: unknown option: \(what)\n")
        }
    }

    func setOutput(_ path: String?) {
        closeOutputFile()
        guard let path, !path.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 {
            Console.err("\(path): \(String(cString: strerror(errno)))\n")
            return
        }
        outputFile = fd
    }

    func include(_ path: String?) {
        guard let path else { Console.err("\\i: missing required argument\n"); return }
        let text: String
        do { text = try Files.readText(path) } catch {
            Console.err("\(path): \(String(cString: strerror(ENOENT)))\n")
            return
        }
        let saved = buffer
        buffer = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            handle(line: String(line))
            if quitting { break }
        }
        if !buffer.shellTrimmed.isEmpty && !quitting { runStatement(buffer) }
        buffer = saved
    }

    /// `\e`: the query buffer (or the last statement) in `$EDITOR`; what comes back is read as
    /// typed lines, so complete statements run and the rest stays in the buffer.
    func edit() {
        let editor = Environment.get("VISUAL").flatMap { $0.isEmpty ? nil : $0 }
            ?? Environment.get("EDITOR").flatMap { $0.isEmpty ? nil : $0 } ?? "vi"
        var template = Array("/tmp/limitless-edit-XXXXXX.sql".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { Console.err("\\e: cannot create a temporary file\n"); return }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let initial = buffer.isEmpty ? (lastStatement.isEmpty ? "" : lastStatement + ";\n") : buffer + "\n"
        try? Files.writeAll(fd, Array(initial.utf8), path: path)
        close(fd)
        defer { unlink(path) }
        Console.flush()
        let status = system(editor + " '" + path.replacingEvery("'", with: "'\\''") + "'")
        guard status == 0 else { Console.err("\\e: the editor exited with status \(status)\n"); return }
        guard let text = try? Files.readText(path) else { return }
        buffer = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let l = String(line)
            if l.isEmpty && buffer.isEmpty { continue }
            handle(line: l)
        }
        if interactive && !text.shellTrimmed.isEmpty { remember(text.shellTrimmed.replacingEvery("\n", with: " ")) }
    }

    func conninfo() {
        var group = "?"
        var routers = engine.routerCount
        if let g = try? Store(home: Environment.limitlessHome).loadShardGroup(cluster) {
            group = g.identifier
            routers = g.routerCount
        }
        var out = "You are connected to DB cluster \"\(cluster)\", shard group \"\(group)\": \(routers) router\(routers == 1 ? "" : "s") and \(engine.shardCount) shard\(engine.shardCount == 1 ? "" : "s").\n"
        out += "Data folder: \(dataDirectory)\n"
        out += "Router catalog: \(Files.join(dataDirectory, "router.db"))\n"
        out += "Shard files:\n"
        for (i, f) in engine.shardFiles.enumerated() { out += "  shard \(i + 1): \(f)\n" }
        emit(out)
    }

    func set(_ args: [String]) {
        guard let name = args.first else {
            emit(variables.keys.sorted().map { "\($0) = '\(variables[$0]!)'" }.joined(separator: "\n") + "\n")
            return
        }
        guard name.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }) else {
            Console.err("\\set: invalid variable name: \"\(name)\"\n")
            return
        }
        variables[name] = args.dropFirst().joined()
    }

    // MARK: \d and \dist

    func describe(_ pattern: String?, only: String?) {
        do {
            if let name = pattern, only == nil {
                try describeOne(name)
                return
            }
            var list = try engine.relations()
            if let only { list = list.filter { $0.type == only } }
            if let p = pattern?.lowercased() { list = list.filter { ShellSession.like($0.name.lowercased(), p) } }
            if list.isEmpty {
                Console.err(pattern == nil ? "Did not find any relations.\n" : "Did not find any relation named \"\(pattern!)\".\n")
                return
            }
            if only == "index" {
                emit(ShellText.titled("List of relations", columns: ["Schema", "Name", "Type", "Limitless type", "Table"],
                                      rows: list.map { [.text("public"), .text($0.name), .text($0.type), .text($0.placement), .text($0.table ?? "")] }))
            } else {
                emit(ShellText.titled("List of relations", columns: ["Schema", "Name", "Type", "Limitless type"],
                                      rows: list.map { [.text("public"), .text($0.name), .text($0.type), .text($0.placement)] }))
            }
        } catch {
            Console.err(SQLResultWriter.psqlError(error, statement: ""))
        }
    }

    /// psql's patterns: `*` any run, `?` one character.
    static func like(_ s: String, _ pattern: String) -> Bool {
        let a = Array(s), p = Array(pattern)
        func match(_ i: Int, _ j: Int) -> Bool {
            if j == p.count { return i == a.count }
            if p[j] == "*" { return match(i, j + 1) || (i < a.count && match(i + 1, j)) }
            if i < a.count && (p[j] == "?" || p[j] == a[i]) { return match(i + 1, j + 1) }
            return false
        }
        return match(0, 0)
    }

    func describeOne(_ name: String) throws(EngineError) {
        guard let d = try engine.describeRelation(name) else {
            Console.err("Did not find any relation named \"\(name)\".\n")
            return
        }
        let kindTitle: String
        switch (d.kind, d.placement) {
        case ("view", _): kindTitle = "View"
        case (_, "sharded"): kindTitle = "Sharded table"
        case (_, "reference"): kindTitle = "Reference table"
        default: kindTitle = "Table"
        }
        let rows: [[SQLValue]] = d.columns.map { c in
            [.text(c.name), .text(c.type.lowercased()), .text(c.collation ?? ""), .text(c.notNull || (c.primaryKey && d.kind == "table") ? "not null" : ""),
             .text(c.defaultValue ?? "")]
        }
        var out = ShellText.titled("\(kindTitle) \"public.\(d.name)\"", columns: ["Column", "Type", "Collation", "Nullable", "Default"],
                                   rows: rows, footer: false)
        let indexes = ShellSession.indexesAsPostgresNamesThem(d)
        if !indexes.isEmpty {
            out += "Indexes:\n"
            for i in indexes {
                var kind = ""
                if i.primaryKey { kind = "PRIMARY KEY, " } else if i.unique { kind = i.constraint ? "UNIQUE CONSTRAINT, " : "UNIQUE, " }
                out += "    \"\(i.name)\" \(kind)btree \(i.definition)\n"
            }
        }
        if let v = d.viewDefinition {
            out += "View definition:\n    \(v)\n"
        }
        if d.kind == "table" {
            out += "Limitless type: \(d.placement)\n"
            if d.placement == "sharded" {
                out += "Shard key: HASH (\(d.shardKey.joined(separator: ", ")))\n"
                if let g = d.collocationID {
                    out += "Collocation group: \(g)"
                    if !d.collocatedWith.isEmpty { out += " (with " + d.collocatedWith.joined(separator: ", ") + ")" }
                    out += "\n"
                }
            }
            if let counts = try engine.rowsPerShard(d.name) {
                out += "Rows per shard: " + counts.enumerated().map { "\($0.offset + 1): \($0.element)" }.joined(separator: ", ")
                if d.placement == "sharded" { out += " (total \(counts.reduce(0, +)), skew \(ShellText.skewText(counts)))" }
                out += "\n"
            }
        }
        emit(out + "\n")
    }

    struct ShownIndex {
        var name: String
        var primaryKey: Bool
        var unique: Bool
        var definition: String
        /// Made by a UNIQUE constraint of the table rather than by CREATE UNIQUE INDEX.
        var constraint = false
    }

    /// The indexes of a table under the names PostgreSQL gives them: SQLite's own name for a
    /// PRIMARY KEY or UNIQUE constraint's index (`sqlite_autoindex_T_N`) becomes `T_pkey` or
    /// `T_col_key` (a UNIQUE CONSTRAINT, as psql calls it), and an INTEGER PRIMARY KEY (the
    /// rowid itself, no index in SQLite) is listed as the `T_pkey` index PostgreSQL would
    /// have. Primary key first, then by name.
    static func indexesAsPostgresNamesThem(_ d: RelationDescription) -> [ShownIndex] {
        var list = d.indexes.map { ShownIndex(name: $0.name, primaryKey: $0.primaryKey, unique: $0.unique, definition: $0.definition) }
        guard d.kind == "table" else { return list }
        list = list.map { i -> ShownIndex in
            var i = i
            if i.name.lowercased().hasPrefix("sqlite_autoindex_") {
                if i.primaryKey {
                    i.name = d.name + "_pkey"
                } else {
                    i.constraint = true
                    let columns = i.definition.filter { $0 != "(" && $0 != ")" && $0 != " " && $0 != "\"" }
                        .split(separator: ",").map(String.init)
                    i.name = ([d.name] + columns + ["key"]).joined(separator: "_")
                }
            }
            return i
        }
        let keyColumns = d.columns.filter(\.primaryKey)
        if !list.contains(where: \.primaryKey), keyColumns.count == 1 {
            list.append(ShownIndex(name: d.name + "_pkey", primaryKey: true, unique: true, definition: "(" + keyColumns[0].name + ")"))
        }
        return list.sorted { ($0.primaryKey ? 0 : 1, $0.name) < ($1.primaryKey ? 0 : 1, $1.name) }
    }

    func distribution(_ name: String?) {
        guard let name else { Console.err("\\dist: missing required argument (a table name)\n"); return }
        do {
            guard let d = try engine.describeRelation(name), d.kind == "table" else {
                Console.err("Did not find any table named \"\(name)\".\n")
                return
            }
            guard let counts = try engine.rowsPerShard(d.name) else {
                emit("\"\(d.name)\" is a standard table: it lives on the router, not on the shards.\n")
                return
            }
            var width = terminalSize().columns
            if width <= 0 { width = Int(Environment.get("COLUMNS") ?? "") ?? 80 }
            emit(ShellText.distributionChart(table: d.name, placement: d.placement, shardKey: d.shardKey, counts: counts, width: width))
        } catch {
            Console.err(SQLResultWriter.psqlError(error, statement: ""))
        }
    }
}

/// `\?` and `\h`.
enum ShellHelp {
    static let commands = """
        General
          \\q                     quit (Ctrl-D on an empty line does too)
          \\h [STATEMENT]         syntax of a SQL statement (\\h alone lists them)
          \\conninfo              the cluster, shard group, routers and shard files
          \\timing [on|off]       show how long each statement takes

        Query buffer
          \\e                     edit the query buffer (or the last statement) in $EDITOR, then run it
          \\p                     show the query buffer
          \\r                     clear the query buffer

        Input/Output
          \\i FILE                run the statements in FILE
          \\o [FILE]              send results to FILE (or back to the terminal)
          \\echo TEXT             print TEXT

        Informational
          \\d                     list tables, views and indexes with their Limitless type
          \\d NAME                columns, indexes, shard key, collocation and rows per shard of NAME
          \\dt, \\di, \\dv [PATTERN] list tables, indexes or views
          \\dist TABLE            rows per shard as a bar chart, with the skew

        Formatting
          \\x [on|off|auto]       expanded (one line per column) display
          \\pset format aligned|csv|json
          \\pset pager on|off     page output taller than the terminal through $PAGER

        Variables
          \\set [NAME [VALUE]]    set a variable (or list them); :NAME, :'NAME', :"NAME" insert it
          \\unset NAME            remove a variable


        """

    static let topics: [(String, String)] = [
        ("ALTER TABLE", "ALTER TABLE name RENAME TO new_name\nALTER TABLE name RENAME [COLUMN] column TO new_column\nALTER TABLE name ADD [COLUMN] column_definition\nALTER TABLE name DROP [COLUMN] column"),
        ("BEGIN", "BEGIN [TRANSACTION]"),
        ("CALL", "CALL rds_aurora.limitless_alter_table_type_sharded('table', ARRAY['key_column', ...])\nCALL rds_aurora.limitless_alter_table_type_reference('table')"),
        ("COMMIT", "COMMIT [TRANSACTION]"),
        ("CREATE INDEX", "CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (column [ASC|DESC], ...) [WHERE predicate]"),
        ("CREATE TABLE", "CREATE TABLE [IF NOT EXISTS] name (column type [constraint ...], ... [, table_constraint])\nCREATE TABLE name AS query\n(sharded or reference as SET rds_aurora.limitless_create_table_mode says)"),
        ("CREATE TRIGGER", "CREATE TRIGGER name {BEFORE|AFTER|INSTEAD OF} {INSERT|UPDATE|DELETE} ON table [FOR EACH ROW] [WHEN expr] BEGIN statement; ... END"),
        ("CREATE VIEW", "CREATE VIEW name [(column, ...)] AS query"),
        ("DELETE", "[WITH ...] DELETE FROM table [WHERE condition] [RETURNING expression, ...]"),
        ("DROP INDEX", "DROP INDEX [IF EXISTS] name"),
        ("DROP TABLE", "DROP TABLE [IF EXISTS] name"),
        ("DROP VIEW", "DROP VIEW [IF EXISTS] name"),
        ("EXPLAIN", "EXPLAIN [QUERY PLAN] statement"),
        ("INSERT", "[WITH ...] INSERT INTO table [(column, ...)] {VALUES (expression, ...), ... | query}\n    [ON CONFLICT ... DO ...] [RETURNING expression, ...]"),
        ("RESET", "RESET name\nRESET ALL"),
        ("ROLLBACK", "ROLLBACK [TRANSACTION] [TO [SAVEPOINT] name]"),
        ("SAVEPOINT", "SAVEPOINT name"),
        ("SELECT", "[WITH [RECURSIVE] name AS (query), ...]\nSELECT [DISTINCT] expression [[AS] name], ...\n    [FROM from_item, ...] [WHERE condition] [GROUP BY expression, ...] [HAVING condition]\n    [{UNION [ALL] | INTERSECT | EXCEPT} select]\n    [ORDER BY expression [ASC|DESC] [NULLS {FIRST|LAST}], ...] [LIMIT count] [OFFSET start]"),
        ("SET", "SET [SESSION|LOCAL] name {TO|=} value\nSET rds_aurora.limitless_create_table_mode = {'sharded'|'reference'|'standard'}\nSET rds_aurora.limitless_create_table_shard_key = '{\"column\", ...}'\nSET rds_aurora.limitless_create_table_collocate_with = 'table'"),
        ("SHOW", "SHOW name\nSHOW ALL"),
        ("UPDATE", "[WITH ...] UPDATE table SET column = expression, ... [FROM from_item, ...] [WHERE condition] [RETURNING expression, ...]"),
    ]

    static func syntax(_ topic: String) -> String {
        let t = topic.uppercased().split(separator: " ").joined(separator: " ").shellTrimmed
        if t.isEmpty {
            var out = "Available help:\n"
            for (name, _) in topics { out += "  " + name + "\n" }
            return out + "\n"
        }
        let found = topics.filter { t == "*" || $0.0 == t || $0.0.hasPrefix(t + " ") || t.hasPrefix($0.0) }
        if found.isEmpty { return "No help available for \"\(topic)\".\nTry \\h with no arguments to see available help.\n" }
        return found.map { "Command:     \($0.0)\nSyntax:\n\($0.1)\n" }.joined(separator: "\n") + "\n"
    }
}
