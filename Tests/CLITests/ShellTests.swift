import LimitlessSupport
import Testing

@testable import LimitlessCLI

@Suite struct ShellPromptTests {
    @Test func promptsFollowPsql() {
        #expect(ShellText.prompt(cluster: "c1", buffer: "", inTransaction: false, failed: false) == "c1=> ")
        #expect(ShellText.prompt(cluster: "c1", buffer: "select 1", inTransaction: false, failed: false) == "c1-> ")
        #expect(ShellText.prompt(cluster: "c1", buffer: "", inTransaction: true, failed: false) == "c1=*> ")
        #expect(ShellText.prompt(cluster: "c1", buffer: "", inTransaction: true, failed: true) == "c1=!> ")
        #expect(ShellText.prompt(cluster: "c1", buffer: "select", inTransaction: true, failed: false) == "c1-*> ")
    }

    @Test func continuationShowsWhatIsOpen() {
        #expect(ShellText.prompt(cluster: "x", buffer: "select 'abc", inTransaction: false, failed: false) == "x'> ")
        #expect(ShellText.prompt(cluster: "x", buffer: "select \"ab", inTransaction: false, failed: false) == "x\"> ")
        #expect(ShellText.prompt(cluster: "x", buffer: "select /* a", inTransaction: false, failed: false) == "x*> ")
        #expect(ShellText.prompt(cluster: "x", buffer: "select (1,", inTransaction: false, failed: false) == "x(> ")
        #expect(ShellText.prompt(cluster: "x", buffer: "select 'it''s' -- (", inTransaction: false, failed: false) == "x-> ")
    }

    @Test func boldPromptHidesEscapesFromReadline() {
        let p = ShellText.prompt(cluster: "c", buffer: "", inTransaction: false, failed: false, bold: true)
        #expect(p == "\u{1}\u{1B}[1m\u{2}c=>\u{1}\u{1B}[0m\u{2} ")
    }
}

@Suite struct ShellSubstitutionTests {
    func sub(_ line: String, _ vars: [String: String]) -> String {
        var s = SQLLexState()
        return ShellText.substitute(line, variables: vars, state: &s)
    }

    @Test func namesAreReplaced() {
        let v = ["n": "5", "t": "o'neil", "tab": "My Table"]
        #expect(sub("select :n + 1", v) == "select 5 + 1")
        #expect(sub("select :'t'", v) == "select 'o''neil'")
        #expect(sub("select * from :\"tab\"", v) == "select * from \"My Table\"")
    }

    @Test func quotesCommentsCastsAndUnknownNamesAreLeftAlone() {
        let v = ["n": "5"]
        #expect(sub("select ':n', \":n\" -- :n", v) == "select ':n', \":n\" -- :n")
        #expect(sub("select 1::int, :m", v) == "select 1::int, :m")
        #expect(sub("select /* :n */ :n", v) == "select /* :n */ 5")
    }

    @Test func stateCarriesAcrossLines() {
        var s = SQLLexState()
        let v = ["n": "5"]
        #expect(ShellText.substitute("select 'a", variables: v, state: &s) == "select 'a")
        #expect(ShellText.substitute(":n' , :n", variables: v, state: &s) == ":n' , 5")
        #expect(ShellText.substitute("-- :n", variables: v, state: &s) == "-- :n")
        #expect(ShellText.substitute(":n", variables: v, state: &s) == "5")
    }
}

@Suite struct ShellMetaCommandTests {
    @Test func parsesNameAndArguments() {
        #expect(ShellText.parseMetaCommand("select 1") == nil)
        let d = ShellText.parseMetaCommand("  \\d   orders ")
        #expect(d?.name == "d" && d?.arguments == ["orders"])
        let set = ShellText.parseMetaCommand("\\set greeting 'it''s here'")
        #expect(set?.name == "set" && set?.arguments == ["greeting", "it's here"])
        let q = ShellText.parseMetaCommand("\\?")
        #expect(q?.name == "?" && q?.arguments == [])
        let pset = ShellText.parseMetaCommand("\\pset format csv")
        #expect(pset?.arguments == ["format", "csv"])
        #expect(ShellText.parseMetaCommand("\\h create table")?.rest == "create table")
    }

    @Test func statementsEndAtSemicolonsAsTheSplitterSays() {
        var r = ShellText.takeStatements("select 1;")
        #expect(r.statements == ["select 1"] && r.rest == "")
        r = ShellText.takeStatements("select 1; select")
        #expect(r.statements == ["select 1"] && r.rest == "select")
        r = ShellText.takeStatements("select ';\n")
        #expect(r.statements == [] && r.rest == "select ';\n")
        r = ShellText.takeStatements("CREATE TRIGGER tr AFTER INSERT ON t BEGIN\nUPDATE t SET a = 1;")
        #expect(r.statements == [] && r.rest.hasPrefix("CREATE TRIGGER"))
        r = ShellText.takeStatements("CREATE TRIGGER tr AFTER INSERT ON t BEGIN\nUPDATE t SET a = 1;\nEND;")
        #expect(r.statements.count == 1)
        r = ShellText.takeStatements("-- only a comment")
        #expect(r.statements == [] && r.rest == "")
        r = ShellText.takeStatements("/* open")
        #expect(r.rest == "/* open")
    }

    @Test func passwordsStayOutOfHistory() {
        #expect(ShellText.recordInHistory("select 1;"))
        #expect(!ShellText.recordInHistory("ALTER USER bob PASSWORD 'x';"))
        #expect(!ShellText.recordInHistory("\\set Password x"))
        #expect(!ShellText.recordInHistory("   "))
    }

    @Test func psqlPatterns() {
        #expect(ShellSession.like("orders", "ord*"))
        #expect(ShellSession.like("orders", "o?ders"))
        #expect(!ShellSession.like("orders", "x*"))
    }
}

@Suite struct ShellCompletionTests {
    let rels = ["customers", "orders", "order_items"]
    let cols = ["customer_id", "id", "total"]

    @Test func tablesAfterFrom() {
        #expect(ShellCompletion.candidates(lineBefore: "select * from ", word: "ord", relations: rels, columns: cols) == ["orders", "order_items"])
        #expect(ShellCompletion.commonPrefix(["orders", "order_items"]) == "order")
    }

    @Test func keywordsColumnsAndCase() {
        let up = ShellCompletion.candidates(lineBefore: "", word: "SEL", relations: rels, columns: cols) ?? []
        #expect(up == ["SELECT"])
        let low = ShellCompletion.candidates(lineBefore: "", word: "sel", relations: rels, columns: cols) ?? []
        #expect(low == ["select"])
        let c = ShellCompletion.candidates(lineBefore: "select ", word: "cust", relations: rels, columns: cols) ?? []
        #expect(c == ["customers", "customer_id"])
        #expect(ShellCompletion.candidates(lineBefore: "select ", word: "o.to", relations: rels, columns: cols) == ["o.total"])
    }

    @Test func settingsAndTheirValues() {
        #expect(ShellCompletion.candidates(lineBefore: "SET ", word: "rds_aurora.limitless_create_table_m", relations: [], columns: []) == ["rds_aurora.limitless_create_table_mode"])
        #expect(ShellCompletion.candidates(lineBefore: "SET rds_aurora.limitless_create_table_mode = ", word: "'sh", relations: [], columns: []) == ["'sharded'"])
        #expect(ShellCompletion.candidates(lineBefore: "SET rds_aurora.limitless_create_table_mode TO ", word: "", relations: [], columns: [])
                == ["'sharded'", "'reference'", "'standard'"])
    }

    @Test func metaCommandsAndFiles() {
        #expect(ShellCompletion.candidates(lineBefore: "", word: "\\di", relations: [], columns: []) == ["\\di", "\\dist"])
        #expect(ShellCompletion.candidates(lineBefore: "\\i ", word: "scr", relations: [], columns: []) == nil)
        #expect(ShellCompletion.candidates(lineBefore: "\\o ", word: "", relations: [], columns: []) == nil)
        #expect(ShellCompletion.candidates(lineBefore: "\\dist ", word: "c", relations: rels, columns: cols) == ["customers"])
        #expect(ShellCompletion.candidates(lineBefore: "\\pset format ", word: "c", relations: [], columns: []) == ["csv"])
    }
}

@Suite struct ShellRenderingTests {
    @Test func expandedDisplayAsPsql() {
        let out = ShellText.expanded(columns: ["a", "name"], rows: [[.integer(1), .text("hello")], [.integer(22), .null]])
        #expect(out == "-[ RECORD 1 ]\na    | 1\nname | hello\n-[ RECORD 2 ]\na    | 22\nname | \n\n")
        let wide = ShellText.expanded(columns: ["a_long_column_name"], rows: [[.text("v")]])
        #expect(wide.hasPrefix("-[ RECORD 1 ]------+--\n"))
        #expect(ShellText.expanded(columns: ["a"], rows: []) == "(0 rows)\n\n")
    }

    @Test func distributionChartScalesAndReportsSkew() {
        let chart = ShellText.distributionChart(table: "t", placement: "sharded", shardKey: ["id"], counts: [100, 50, 0, 150], width: 40)
        let lines = chart.split(separator: "\n").map(String.init)
        #expect(lines[0] == "Rows per shard of \"t\" (sharded, shard key id): 300 rows")
        #expect(lines.count == 6)
        // The largest shard fills the bar; the others are in proportion.
        let full = lines[4].filter { $0 == "█" }.count
        #expect(full == 40 - 7 - 3 - 4)
        #expect(lines[2].filter { $0 == "█" }.count == full / 3)
        #expect(!lines[3].contains("█"))
        #expect(lines[5] == "skew: 2.00 (largest shard / mean)")
        #expect(ShellText.skewText([10, 10]) == "1.00")
        #expect(ShellText.skewText([0, 0]) == "-")
    }

    @Test func timingInMilliseconds() {
        #expect(ShellSession.milliseconds(0.0012345) == "1.235")
        #expect(ShellSession.milliseconds(2) == "2000.000")
    }
}
