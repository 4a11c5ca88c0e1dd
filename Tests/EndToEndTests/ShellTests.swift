import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The interactive shell (`limitless sql` on a terminal) driven through a pseudo-terminal:
/// keystrokes go in, and the assertions are on the screen a user would see (see PseudoTerminal).
/// Every wait has a deadline; nothing sleeps for a fixed time.
@Suite(.serialized) struct ShellTests {
    static let columns = 120

    /// A cluster `sqlc` (4 shards) with a sharded table spread by its key, a sharded table whose
    /// rows all share one key, and a reference table.
    static func seeded() throws -> SQLCluster {
        let c = try SQLCluster()
        let r = try c.sql("""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE orders(id integer PRIMARY KEY, customer integer NOT NULL, total real DEFAULT 0);
            CREATE INDEX orders_customer ON orders(customer);
            INSERT INTO orders WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 400)
              SELECT x, x % 7, x * 1.5 FROM n;
            SET rds_aurora.limitless_create_table_shard_key = '{"k"}';
            CREATE TABLE hot(k integer, n integer);
            INSERT INTO hot WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 40) SELECT 7, x FROM n;
            SET rds_aurora.limitless_create_table_mode = 'reference';
            CREATE TABLE regions(code text PRIMARY KEY, name text);
            INSERT INTO regions VALUES ('eu', 'Europe'), ('us', 'Americas');
            """)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(c.shardFiles.count == 4)
        return c
    }

    /// `limitless sql` on a fresh terminal, waiting at its first prompt.
    final class Shell {
        let term: PseudoTerminal
        let id: String
        var prompt: String { id + "=> " }

        init(_ c: SQLCluster, env: [String: String] = [:]) throws {
            id = c.id
            let inputrc = c.h.home + "/inputrc"
            _ = FileManager.default.createFile(atPath: inputrc, contents: Data())
            var environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "HOME": c.h.home, "LIMITLESS_HOME": c.h.home, "INPUTRC": inputrc,
                "TERM": "xterm", "LANG": "C.UTF-8", "NO_COLOR": "1", "PAGER": "cat",
            ]
            for (k, v) in env { environment[k] = v }
            environment = environment.filter { !$0.value.isEmpty || $0.key == "PAGER" }
            term = try PseudoTerminal(Harness.binary, ["sql", "--db-cluster-identifier", c.id], environment: environment,
                                      columns: ShellTests.columns, rows: 40)
            try term.waitForPrompt(prompt, below: -1)
        }

        /// Types `line` and Enter, waits for `next` (the main prompt unless told), and returns
        /// what the shell printed in between, one `\n` after each line.
        @discardableResult
        func enter(_ line: String, then next: String? = nil, timeout: Double = PseudoTerminal.patience) throws -> String {
            let start = term.screen.row
            let shown = term.screen.currentLine
            try term.type(line + "\r")
            try term.waitForPrompt(next ?? prompt, below: start, timeout: timeout)
            let lines = term.screen.lines
            #expect(lines[start] == shown + line, "the typed line as echoed")
            return lines[(start + 1)..<term.screen.row].map { $0 + "\n" }.joined()
        }

        /// Types `line` and Enter and expects exactly `expected` before the next prompt.
        func expect(_ line: String, then next: String? = nil, _ expected: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
            let out = try enter(line, then: next)
            #expect(out == expected, "after typing \(line.debugDescription):\n\(out)", sourceLocation: sourceLocation)
        }

        /// Ctrl-D on an empty line: the shell says `\q` and exits 0.
        func quitWithCtrlD() throws {
            let start = term.screen.row
            try term.type(PseudoTerminal.ctrlD)
            let status = try term.waitForExit()
            #expect(status == 0, "exit status")
            #expect(term.screen.lines[start...].joined(separator: "\n").hasSuffix(prompt + "\n\\q\n"), "\(term.transcript)")
        }
    }

    static func skew(_ counts: [Int]) -> String {
        let mean = Double(counts.reduce(0, +)) / Double(counts.count)
        return String(format: "%.2f", Double(counts.max()!) / mean)
    }

    // MARK: -

    @Test func promptTypedQueryMultiLineInputAndTransactionPrompts() throws {
        let c = try ShellTests.seeded()
        let s = try Shell(c)
        #expect(s.term.screen.lines == [
            "limitless sql (sqlc): 4 shards. Type \"\\?\" for help, \"\\q\" to quit.", "", "sqlc=> ",
        ])
        try s.expect("select 1 + 2 as three;", " three \n-------\n     3\n(1 row)\n\n")
        try s.expect("select customer, count(*) as n, sum(total) as total from orders where id <= 14 group by 1 order by 1;", """
             customer | n | total 
            ----------+---+-------
                    0 | 2 |  31.5
                    1 | 2 |  13.5
                    2 | 2 |  16.5
                    3 | 2 |  19.5
                    4 | 2 |  22.5
                    5 | 2 |  25.5
                    6 | 2 |  28.5
            (7 rows)


            """)
        // One statement over three lines: the continuation prompt until the `;`.
        try s.expect("select code,", then: "sqlc-> ", "")
        try s.expect("  upper(name) as shout", then: "sqlc-> ", "")
        try s.expect("from regions order by code;", """
             code |  shout   
            ------+----------
             eu   | EUROPE
             us   | AMERICAS
            (2 rows)


            """)
        // Inside a string the prompt says so, and the newline belongs to the value.
        try s.expect("select 'two", then: "sqlc'> ", "")
        try s.expect("lines' as v;", "   v   \n-------\n two  +\n lines\n(1 row)\n\n")
        // Transactions: `=*>` inside one, `=!>` once a statement failed, back after ROLLBACK.
        try s.expect("begin;", then: "sqlc=*> ", "BEGIN\n")
        try s.expect("insert into regions values ('ap', 'Asia');", then: "sqlc=*> ", "INSERT 0 1\n")
        try s.expect("select nosuch from regions;", then: "sqlc=!> ",
                     "ERROR:  column \"nosuch\" does not exist\nLINE 1: select nosuch from regions;\n               ^\n")
        try s.expect("select 1;", then: "sqlc=!> ", "ERROR:  current transaction is aborted, commands ignored until end of transaction block\n")
        try s.expect("rollback;", "ROLLBACK\n")
        try s.expect("select count(*) as n from regions;", " n \n---\n 2\n(1 row)\n\n")
        // A syntax error points at the spot, and the shell goes on.
        try s.expect("selec 1;", "ERROR:  syntax error at or near \"selec\"\nLINE 1: selec 1;\n        ^\n")
        try s.expect("select 1,", then: "sqlc-> ", "")
        try s.expect("  2 frm regions;", "ERROR:  syntax error at or near \"regions\"\nLINE 2:   2 frm regions;\n                ^\n")
        try s.quitWithCtrlD()
    }

    @Test func historyRecallWithinASessionAndAcrossSessions() throws {
        let c = try ShellTests.seeded()
        let historyFile = c.h.home + "/history"
        do {
            let s = try Shell(c)
            try s.expect("select 'first' as word;", " word  \n-------\n first\n(1 row)\n\n")
            try s.expect("select 'second' as word;", "  word  \n--------\n second\n(1 row)\n\n")
            // Up twice brings back the first line, as typed; Enter runs it again.
            let row = s.term.screen.row
            try s.term.type(PseudoTerminal.up)
            try s.term.wait(for: "the second line recalled") { s.term.screen.currentLine == "sqlc=> select 'second' as word;" }
            try s.term.type(PseudoTerminal.up)
            try s.term.wait(for: "the first line recalled") { s.term.screen.currentLine == "sqlc=> select 'first' as word;" }
            #expect(s.term.screen.row == row)
            try s.expect("", " word  \n-------\n first\n(1 row)\n\n")
            // A line that carries a password is run but not remembered.
            try s.expect("select 'my password' as note;", "    note     \n-------------\n my password\n(1 row)\n\n")
            // A statement typed over two lines comes back as one entry, both lines.
            try s.expect("select 'x' as a,", then: "sqlc-> ", "")
            try s.expect("  'y' as b;", " a | b \n---+---\n x | y\n(1 row)\n\n")
            let top = s.term.screen.row
            try s.term.type(PseudoTerminal.up)
            try s.term.wait(for: "the two-line statement recalled") {
                s.term.screen.lines[top] == "sqlc=> select 'x' as a," && s.term.screen.currentLine == "  'y' as b;"
            }
            try s.expect("", " a | b \n---+---\n x | y\n(1 row)\n\n")
            try s.quitWithCtrlD()
        }
        // One entry a line in the file; a newline inside an entry is kept as \u{1}, as psql does.
        let saved = try String(contentsOfFile: historyFile, encoding: .utf8)
        #expect(saved == "select 'first' as word;\nselect 'second' as word;\nselect 'first' as word;\nselect 'x' as a,\u{1}  'y' as b;\n")
        // A new session starts with that history: Up shows the last entry, then the ones before.
        let s = try Shell(c)
        let top = s.term.screen.row
        try s.term.type(PseudoTerminal.up)
        try s.term.wait(for: "the last entry of the previous session") {
            s.term.screen.lines[top] == "sqlc=> select 'x' as a," && s.term.screen.currentLine == "  'y' as b;"
        }
        try s.term.type(PseudoTerminal.up)
        try s.term.wait(for: "the entry before it") { s.term.screen.currentLine == "sqlc=> select 'first' as word;" }
        try s.term.type(PseudoTerminal.up)
        try s.term.wait(for: "the one before that") { s.term.screen.currentLine == "sqlc=> select 'second' as word;" }
        #expect(s.term.screen.row == top)
        try s.expect("", "  word  \n--------\n second\n(1 row)\n\n")
        try s.quitWithCtrlD()
    }

    @Test func tabCompletesTablesColumnsSettingsAndMetaCommands() throws {
        let c = try ShellTests.seeded()
        let s = try Shell(c)
        /// Types `text` ending in a Tab and waits for the line to read `line`.
        func complete(_ text: String, to line: String) throws {
            try s.term.type(text)
            try s.term.wait(for: "the line to complete to \(line.debugDescription)") { s.term.screen.currentLine == line }
        }
        try complete("select cust\t", to: "sqlc=> select customer ")
        try complete("from ord\t", to: "sqlc=> select customer from orders ")
        try s.expect("where id = 9;", " customer \n----------\n        2\n(1 row)\n\n")
        try complete("select orders.to\t", to: "sqlc=> select orders.total ")
        try complete("from orders where id = 2 and cust\t", to: "sqlc=> select orders.total from orders where id = 2 and customer ")
        try complete("= 2 and reg", to: "sqlc=> select orders.total from orders where id = 2 and customer = 2 and reg")
        try s.term.type("\u{3}")                              // Ctrl-C forgets the line
        try s.term.wait(for: "a fresh prompt") { s.term.screen.currentLine == "sqlc=> " && s.term.screen.column == 7 }
        try complete("set rds_aurora.limitless_create_table_m\t", to: "sqlc=> set rds_aurora.limitless_create_table_mode ")
        try complete("= 'ref\t", to: "sqlc=> set rds_aurora.limitless_create_table_mode = 'reference' ")
        try s.expect(";", "SET\n")
        try complete("\\dis\t", to: "sqlc=> \\dist ")
        try complete("ho\t", to: "sqlc=> \\dist hot ")
        let out = try s.enter("")
        #expect(out.hasPrefix("Rows per shard of \"hot\" (sharded, shard key k): 40 rows\n"), "\(out)")
        try s.quitWithCtrlD()
    }

    @Test func describeAndDistribution() throws {
        let c = try ShellTests.seeded()
        let orders = try c.counts("orders"), hot = try c.counts("hot")
        #expect(orders.reduce(0, +) == 400 && hot.reduce(0, +) == 40)
        let s = try Shell(c)
        try s.expect("\\d", """
                             List of relations
             Schema |      Name       | Type  | Limitless type 
            --------+-----------------+-------+----------------
             public | hot             | table | sharded
             public | orders          | table | sharded
             public | orders_customer | index | sharded
             public | regions         | table | reference
            (4 rows)


            """)
        let perShard = orders.enumerated().map { "\($0.offset + 1): \($0.element)" }.joined(separator: ", ")
        try s.expect("\\d orders", """
                        Sharded table "public.orders"
              Column  |  Type   | Collation | Nullable | Default 
            ----------+---------+-----------+----------+---------
             id       | integer |           | not null | 
             customer | integer |           | not null | 
             total    | real    |           |          | 0
            Indexes:
                "orders_pkey" PRIMARY KEY, btree (id)
                "orders_customer" btree (customer)
            Limitless type: sharded
            Shard key: HASH (id)
            Collocation group: 1
            Rows per shard: \(perShard) (total 400, skew \(ShellTests.skew(orders)))


            """)
        try s.expect("\\d regions", """
                    Reference table "public.regions"
             Column | Type | Collation | Nullable | Default 
            --------+------+-----------+----------+---------
             code   | text |           | not null | 
             name   | text |           |          | 
            Indexes:
                "regions_pkey" PRIMARY KEY, btree (code)
            Limitless type: reference
            Rows per shard: 1: 2, 2: 2, 3: 2, 4: 2


            """)

        // Key and unique indexes under PostgreSQL's names; a standard table has no shards.
        try s.expect("create table tags(id integer primary key, label text unique, a integer, b integer, unique (a, b));",
                     "CREATE TABLE\n")
        try s.expect("create unique index tags_b on tags(b);", "CREATE INDEX\n")
        try s.expect("\\d tags", """
                            Table "public.tags"
             Column |  Type   | Collation | Nullable | Default 
            --------+---------+-----------+----------+---------
             id     | integer |           | not null | 
             label  | text    |           |          | 
             a      | integer |           |          | 
             b      | integer |           |          | 
            Indexes:
                "tags_pkey" PRIMARY KEY, btree (id)
                "tags_a_b_key" UNIQUE CONSTRAINT, btree (a, b)
                "tags_b" UNIQUE, btree (b)
                "tags_label_key" UNIQUE CONSTRAINT, btree (label)
            Limitless type: standard


            """)
        try s.expect("\\dist tags", "\"tags\" is a standard table: it lives on the router, not on the shards.\n")
        // \dist: one bar per shard, scaled so the largest fills the line, then the skew.
        let chart = try s.enter("\\dist orders").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(chart.count == 7, "\(chart)")
        #expect(chart.first == "Rows per shard of \"orders\" (sharded, shard key id): 400 rows")
        #expect(chart.dropLast().last == "skew: \(ShellTests.skew(orders)) (largest shard / mean)")
        let largest = orders.max()!
        var fullWidth = 0
        for (i, n) in orders.enumerated() {
            let line = chart[i + 1]
            #expect(line.count == ShellTests.columns - 1, "one column short of the terminal: \(line)")
            #expect(line.hasPrefix("shard \(i + 1) │"), "\(line)")
            #expect(line.hasSuffix(" " + String(repeating: " ", count: 3 - String(n).count) + String(n)), "\(line)")
            let bar = line.dropFirst("shard 1 │".count).dropLast(4)
            let blocks = bar.filter { $0 == "█" }.count
            let partial = bar.filter { "▏▎▍▌▋▊▉".contains($0) }
            #expect(bar.filter { $0 != " " && $0 != "█" } == partial && partial.count <= 1, "\(line)")
            #expect(bar.allSatisfy { $0 == " " } == false)
            let eighths = blocks * 8 + (partial.first.map { Array("▏▎▍▌▋▊▉").firstIndex(of: $0)! + 1 } ?? 0)
            if n == largest {
                #expect(partial.isEmpty && !bar.contains(" "), "the largest shard fills the bar: \(line)")
                fullWidth = bar.count
            }
            // In proportion to the largest shard, to the eighth of a cell.
            let exact = Double(n) / Double(largest) * Double(bar.count * 8)
            #expect(abs(Double(eighths) - exact) <= 1, "\(line)")
        }
        #expect(fullWidth > 80)
        // All of `hot` shares one shard key value: one full bar, empty ones, skew = shard count.
        let hotShard = hot.firstIndex(of: 40)!
        let hotBar = ShellTests.columns - 1 - "shard 1 │".count - " 40".count
        var expected = "Rows per shard of \"hot\" (sharded, shard key k): 40 rows\n"
        for i in 0..<4 {
            expected += "shard \(i + 1) │" + (i == hotShard ? String(repeating: "█", count: hotBar) + " 40" : String(repeating: " ", count: hotBar) + "  0") + "\n"
        }
        try s.expect("\\dist hot", expected + "skew: 4.00 (largest shard / mean)\n")
        // After the window shrinks, the chart fits the new width.
        try s.term.resize(columns: 60, rows: 40)
        let narrowBar = 60 - 1 - "shard 1 │".count - " 40".count
        let narrow = try s.enter("\\dist hot").split(separator: "\n").map(String.init)
        #expect(narrow.count == 6 && narrow[hotShard + 1] == "shard \(hotShard + 1) │" + String(repeating: "█", count: narrowBar) + " 40", "\(narrow)")
        try s.term.resize(columns: ShellTests.columns, rows: 40)
        let reference = try s.enter("\\dist regions")
        #expect(reference.hasPrefix("Rows per shard of \"regions\" (reference): 2 rows (every shard holds a full copy)\n"), "\(reference)")
        #expect(reference.hasSuffix("skew: 1.00 (largest shard / mean)\n"), "\(reference)")
        try s.expect("\\d nosuch", "Did not find any relation named \"nosuch\".\n")
        try s.quitWithCtrlD()
    }

    @Test func ctrlCCancelsALongQueryAndTheShellGoesOn() throws {
        let c = try ShellTests.seeded()
        let s = try Shell(c)
        let query = "with recursive n(x) as (select 1 union all select x + 1 from n where x < 1000000000) select count(*) from n;"
        /// Starts the query, waits for the progress line (it has run for a second), presses Ctrl-C.
        func cancel(_ query: String = query, prompt: String, then next: String, once progress: String = " s (Ctrl-C cancels)") throws -> String {
            let row = s.term.screen.row
            try s.term.type(query + "\r")
            try s.term.waitFor(progress, from: row + 1)
            let progressLine = s.term.screen.currentLine
            #expect(progressLine.hasPrefix("… running ") && progressLine.hasSuffix(" (Ctrl-C cancels)"), "\(s.term.transcript)")
            try s.term.type(PseudoTerminal.ctrlC)
            try s.term.waitForPrompt(next, below: row)
            let lines = s.term.screen.lines
            #expect(lines[row] == prompt + query)
            return lines[(row + 1)..<s.term.screen.row].map { $0 + "\n" }.joined()
        }
        // The progress line is wiped; what stays is PostgreSQL's message.
        #expect(try cancel(prompt: "sqlc=> ", then: "sqlc=> ") == "ERROR:  canceling statement due to user request\n")
        try s.expect("select 6 as six;", " six \n-----\n   6\n(1 row)\n\n")
        // Inside a transaction the cancel fails the transaction, as in PostgreSQL.
        try s.expect("begin;", then: "sqlc=*> ", "BEGIN\n")
        #expect(try cancel(prompt: "sqlc=*> ", then: "sqlc=!> ") == "ERROR:  canceling statement due to user request\n")
        try s.expect("rollback;", "ROLLBACK\n")
        // A bulk write shows how many rows it wrote so far; cancelled, it leaves nothing behind
        // on any shard.
        let insert = "insert into hot with recursive n(x) as (select 1 union all select x + 1 from n where x < 1e8) select x, x from n;"
        #expect(try cancel(insert, prompt: "sqlc=> ", then: "sqlc=> ", once: " rows written (Ctrl-C cancels)")
                == "ERROR:  canceling statement due to user request\n")
        try s.expect("select count(*) as n, max(n) as top from hot;", " n  | top \n----+-----\n 40 |  40\n(1 row)\n\n")
        #expect(try c.counts("hot").reduce(0, +) == 40)
        // Ctrl-C on a half-typed line drops it, and the next line starts clean.
        let row = s.term.screen.row
        try s.term.type("select garbage from")
        try s.term.wait(for: "the typed text") { s.term.screen.currentLine == "sqlc=> select garbage from" }
        try s.term.type(PseudoTerminal.ctrlC)
        try s.term.waitForPrompt(s.prompt, below: row)
        #expect(s.term.screen.row == row + 1)
        try s.expect("select 7 as seven;", " seven \n-------\n     7\n(1 row)\n\n")
        // …also in the middle of a statement: the buffer is forgotten with the line.
        try s.expect("select 8 as", then: "sqlc-> ", "")
        let row2 = s.term.screen.row
        try s.term.type("garbage")
        try s.term.wait(for: "the typed text") { s.term.screen.currentLine == "sqlc-> garbage" }
        try s.term.type(PseudoTerminal.ctrlC)
        try s.term.waitForPrompt(s.prompt, below: row2)
        try s.expect("select 9 as nine;", " nine \n------\n    9\n(1 row)\n\n")
        try s.quitWithCtrlD()
    }

    @Test func tallResultsGoThroughThePagerAndColourOnlyWithoutNoColor() throws {
        let c = try ShellTests.seeded()
        let s = try Shell(c, env: ["PAGER": "sed 's/^/> /'", "NO_COLOR": ""])
        // Colour: the prompt is bold when NO_COLOR is not set.
        #expect(s.term.raw.count > 0 && String(decoding: s.term.raw, as: UTF8.self).contains("\u{1B}[1msqlc=>\u{1B}[0m "))
        var aligned = " id \n----\n"
        for i in 1...60 { aligned += String(repeating: " ", count: 3 - String(i).count) + "\(i)\n" }
        aligned += "(60 rows)\n\n"
        let paged = aligned.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "> " + $0 + "\n" }.joined()
        try s.expect("select id from orders where id <= 60 order by id;", paged)
        try s.expect("select 1 as one;", " one \n-----\n   1\n(1 row)\n\n")
        try s.expect("\\pset pager off", "Pager usage is off.\n")
        try s.expect("select id from orders where id <= 60 order by id;", aligned)
        try s.quitWithCtrlD()

        let plain = try Shell(c)
        try plain.expect("select 1 as one;", " one \n-----\n   1\n(1 row)\n\n")
        #expect(!String(decoding: plain.term.raw, as: UTF8.self).contains("\u{1B}[1m"), "NO_COLOR: no bold prompt")
        try plain.quitWithCtrlD()
    }

    @Test func metaCommandsSetOutputInputAndDisplay() throws {
        let c = try ShellTests.seeded()
        // \\e runs $EDITOR on the last statement; this one turns its 1 into 42.
        let s = try Shell(c, env: ["EDITOR": "sed -i s/1/42/"])
        let data = c.dataDirectory
        try s.expect("\\conninfo", """
            You are connected to DB cluster "sqlc", shard group "sg": 2 routers and 4 shards.
            Data folder: \(data)
            Router catalog: \(data)/router.db
            Shard files:
              shard 1: \(data)/shard-01.db
              shard 2: \(data)/shard-02.db
              shard 3: \(data)/shard-03.db
              shard 4: \(data)/shard-04.db

            """)
        // \set and :name, :'name' substitution.
        try s.expect("\\set tbl regions", "")
        try s.expect("\\set wanted eu", "")
        try s.expect("\\echo :tbl and :wanted", "regions and eu\n")
        try s.expect("select name from :tbl where code = :'wanted';", "  name  \n--------\n Europe\n(1 row)\n\n")
        // \x: one line per column.
        try s.expect("\\x", "Expanded display is on.\n")
        try s.expect("select * from regions order by code;", """
            -[ RECORD 1 ]--
            code | eu
            name | Europe
            -[ RECORD 2 ]--
            code | us
            name | Americas


            """)
        // \\x auto: expanded only when a row is wider than the terminal.
        try s.expect("\\x auto", "Expanded display is used automatically.\n")
        try s.expect("\\set long " + String(repeating: "z", count: 70), "")
        try s.expect("select :'long' as a, :'long' as b;", """
            -[ RECORD 1 ]\(String(repeating: "-", count: 61))
            a | \(String(repeating: "z", count: 70))
            b | \(String(repeating: "z", count: 70))


            """)
        try s.expect("select 'narrow' as a, 1 as b;", "   a    | b \n--------+---\n narrow | 1\n(1 row)\n\n")
        try s.expect("\\x off", "Expanded display is off.\n")
        // \timing adds a line after each result.
        try s.expect("\\timing on", "Timing is on.\n")
        let timed = try s.enter("select 1 as one;")
        #expect(timed.hasPrefix(" one \n-----\n   1\n(1 row)\n\nTime: ") && timed.hasSuffix(" ms\n"), "\(timed)")
        let ms = timed.split(separator: "\n").last!.dropFirst("Time: ".count).dropLast(" ms".count)
        #expect(Double(ms) != nil && ms.split(separator: ".").last?.count == 3, "\(timed)")
        try s.expect("\\timing off", "Timing is off.\n")
        // \o FILE sends results there; \o alone brings them back.
        let outFile = c.h.home + "/out.txt"
        try s.expect("\\o \(outFile)", "")
        try s.expect("select 2 as two;", "")
        try s.expect("\\o", "")
        #expect(try String(contentsOfFile: outFile, encoding: .utf8) == " two \n-----\n   2\n(1 row)\n\n")
        // \i FILE runs its statements as if typed.
        let script = c.h.home + "/script.sql"
        try "insert into regions values ('ap', 'Asia');\nselect count(*) as n\n  from regions;\n".write(toFile: script, atomically: true, encoding: .utf8)
        // …with Tab completing its file name.
        try s.term.type("\\i \(c.h.home)/scr\t")
        try s.term.wait(for: "the file name completed") { s.term.screen.currentLine == "sqlc=> \\i \(script) " }
        try s.expect("", "INSERT 0 1\n n \n---\n 3\n(1 row)\n\n")
        try s.expect("\\pset format csv", "Output format is csv.\n")
        try s.expect("select * from regions order by code;", "code,name\nap,Asia\neu,Europe\nus,Americas\n")
        try s.expect("\\pset format aligned", "Output format is aligned.\n")
        try s.expect("select 1 as x;", " x \n---\n 1\n(1 row)\n\n")
        try s.expect("\\e", " x  \n----\n 42\n(1 row)\n\n")
        try s.expect("\\nosuch", "invalid command \\nosuch\nTry \\? for help.\n")
        try s.term.type("\\q\r")
        #expect(try s.term.waitForExit() == 0)
        #expect(s.term.screen.lines.suffix(2) == ["sqlc=> \\q", ""])
    }
}
