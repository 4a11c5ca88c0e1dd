import Testing
@testable import SQLSyntax

func expr(_ sql: String) throws -> Expr {
    let s = try SQLSyntax.parse("SELECT " + sql)
    guard case .select(let sel) = s[0].kind, case .select(let core) = sel.first, case .expr(let e, _) = core.columns[0] else {
        Issue.record("not an expression: \(sql)")
        return .literal(.null)
    }
    return e
}

func col(_ n: String) -> Expr { .column(ColumnRef(n)) }
func num(_ n: String) -> Expr { .literal(.number(n)) }

@Suite struct ParseTests {
    @Test func precedence() throws {
        #expect(try expr("1 + 2 * 3") == .binary(.add, num("1"), .binary(.mul, num("2"), num("3"))))
        #expect(try expr("1 - 2 - 3") == .binary(.sub, .binary(.sub, num("1"), num("2")), num("3")))
        #expect(try expr("a OR b AND c") == .binary(.or, col("a"), .binary(.and, col("b"), col("c"))))
        #expect(try expr("NOT a = b") == .unary(.not, .binary(.eq, col("a"), col("b"))))
        #expect(try expr("NOT a AND b") == .binary(.and, .unary(.not, col("a")), col("b")))
        #expect(try expr("-a * b") == .binary(.mul, .unary(.minus, col("a")), col("b")))
        #expect(try expr("a || b COLLATE nocase") == .binary(.concat, col("a"), .collate(col("b"), "nocase")))
        #expect(try expr("-a COLLATE nocase") == .collate(.unary(.minus, col("a")), "nocase"))
        #expect(try expr("a < b = c") == .binary(.eq, .binary(.lt, col("a"), col("b")), col("c")))
        #expect(try expr("a = b < c") == .binary(.eq, col("a"), .binary(.lt, col("b"), col("c"))))
        #expect(try expr("a & b + c") == .binary(.bitAnd, col("a"), .binary(.add, col("b"), col("c"))))
        #expect(try expr("a + b || c") == .binary(.add, col("a"), .binary(.concat, col("b"), col("c"))))
        #expect(try expr("a -> b ->> c") == .binary(.jsonExtractText, .binary(.jsonExtract, col("a"), col("b")), col("c")))
        #expect(try expr("a BETWEEN 1 AND 2 AND b") == .binary(.and, .between(col("a"), num("1"), num("2"), negated: false), col("b")))
        #expect(try expr("a BETWEEN b + 1 AND c = d") == .binary(.eq, .between(col("a"), .binary(.add, col("b"), num("1")), col("c"), negated: false), col("d")))
        #expect(try expr("a LIKE b ESCAPE c || d") == .pattern(.like, col("a"), col("b"), escape: .binary(.concat, col("c"), col("d")), negated: false))
        #expect(try expr("a IS NOT NULL AND b") == .binary(.and, .is(col("a"), .literal(.null), negated: true), col("b")))
        #expect(try expr("a NOT NULL") == .isNull(col("a"), negated: true))
        #expect(try expr("a = 1 IN (1)") == .inList(.binary(.eq, col("a"), num("1")), [num("1")], negated: false))
        #expect(try expr("~a + 1") == .binary(.add, .unary(.bitNot, col("a")), num("1")))
        #expect(try expr("- - 1") == .unary(.minus, .unary(.minus, num("1"))))
        #expect(try expr("a::int + 1") == .binary(.add, .cast(col("a"), TypeName("int")), num("1")))
    }

    @Test func literalsAndParameters() throws {
        #expect(try expr("X'0aFF'") == .literal(.blob([0x0A, 0xFF])))
        #expect(try expr("0x10") == num("0x10"))
        #expect(Literal.number("0x10").integerValue == 16)
        #expect(Literal.number("1e3").doubleValue == 1000)
        #expect(try expr("'it''s'") == .literal(.string("it's")))
        #expect(try expr("?3") == .parameter(Parameter("?3")))
        #expect(try expr(":name") == .parameter(Parameter(":name")))
        #expect(try expr("$x") == .parameter(Parameter("$x")))
        #expect(try expr("TRUE") == .literal(.bool(true)))
        #expect(try expr("\"quoted\"") == .column(ColumnRef("quoted", doubleQuoted: true)))
        #expect(try expr("[br]") == .column(ColumnRef("br")))
        #expect(try expr("`bt`") == .column(ColumnRef("bt")))
        #expect(try expr("main.t.c") == .column(ColumnRef(schema: "main", table: "t", "c")))
        #expect(try expr("'日本'") == .literal(.string("日本")))
        #expect(try expr("\"名前\"") == .column(ColumnRef("名前", doubleQuoted: true)))
    }

    @Test func keywordsAsIdentifiers() throws {
        for name in ["key", "action", "replace", "temp", "first", "last", "rowid", "year", "abort", "plan", "query", "do", "no",
                     "filter", "over", "window", "rows", "range", "left", "right", "full", "natural", "cross", "inner", "outer",
                     "level", "read", "show", "call", "array", "session", "start"] {
            let s = try SQLSyntax.parse("SELECT \(name) FROM t WHERE \(name) = 1")
            #expect(s.count == 1, "\(name)")
            let t = try SQLSyntax.parse("CREATE TABLE \(name)(\(name) INT)")
            guard case .createTable(let ct) = t[0].kind, case .columns(let cols, _, _, _) = ct.body else { Issue.record("\(name)"); continue }
            #expect(ct.name.name == name && cols[0].name == name)
            #expect(try SQLSyntax.parse(t[0].sql) == t, "\(name)")
            #expect(try SQLSyntax.parse(s[0].sql) == s, "\(name)")
        }
        // function names that are keywords
        #expect(try expr("replace('a', 'b', 'c')") == .function(FunctionCall(name: "replace", arguments: [.literal(.string("a")), .literal(.string("b")), .literal(.string("c"))])))
        #expect(try expr("like('a', 'b')") == .function(FunctionCall(name: "like", arguments: [.literal(.string("a")), .literal(.string("b"))])))
        // reserved words are not identifiers
        #expect(throws: SQLSyntaxError.self) { try SQLSyntax.parse("SELECT select FROM t") }
        #expect(throws: SQLSyntaxError.self) { try SQLSyntax.parse("CREATE TABLE t(from INT)") }
        // an implicit alias may be a non-reserved keyword but not a join keyword
        let s = try SQLSyntax.parse("SELECT * FROM a key JOIN b")
        guard case .select(let sel) = s[0].kind, case .select(let core) = sel.first else { Issue.record("shape"); return }
        #expect(core.from == JoinClause(.table(QualifiedName("a"), alias: "key", indexed: nil), joins: [Join(JoinOperator(.inner), .table(QualifiedName("b"), alias: nil, indexed: nil))]))
    }

    @Test func postgresForms() throws {
        let set = try SQLSyntax.parse("SET rds_aurora.limitless_create_table_mode='sharded'")[0]
        #expect(set.kind == .set(SetStatement(name: "rds_aurora.limitless_create_table_mode", values: [.string("sharded")])))
        let list = try SQLSyntax.parse("SET search_path TO a, 'b', 3")[0]
        #expect(list.kind == .set(SetStatement(name: "search_path", values: [.identifier("a"), .string("b"), .number("3")])))
        #expect(try SQLSyntax.parse("SET LOCAL x = DEFAULT")[0].kind == .set(SetStatement(scope: .local, name: "x", values: [])))
        let call = try SQLSyntax.parse("CALL rds_aurora.limitless_alter_table_type_sharded('customer', ARRAY['cust_id'])")[0]
        #expect(call.kind == .call(CallStatement(name: QualifiedName(schema: "rds_aurora", "limitless_alter_table_type_sharded"),
                                                 arguments: [.literal(.string("customer")), .array([.literal(.string("cust_id"))])])))
        #expect(try SQLSyntax.parse("SHOW rds_aurora.x")[0].kind == .show("rds_aurora.x"))
        #expect(try SQLSyntax.parse("RESET ALL")[0].kind == .reset(nil))
        #expect(try SQLSyntax.parse("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")[0].kind
                == .begin(BeginStatement(isolation: .repeatableRead, readOnly: true)))
        #expect(try SQLSyntax.parse("BEGIN IMMEDIATE")[0].kind == .begin(BeginStatement(mode: .immediate)))
        #expect(try SQLSyntax.parse("ROLLBACK TO x")[0].kind == .rollback(toSavepoint: "x"))
        guard case .explain(let x) = try SQLSyntax.parse("EXPLAIN (ANALYZE, COSTS OFF) SELECT 1")[0].kind else { Issue.record("explain"); return }
        #expect(x.options == [.init(name: "ANALYZE"), .init(name: "COSTS", value: "OFF")])
        guard case .explain(let qp) = try SQLSyntax.parse("EXPLAIN QUERY PLAN SELECT 1")[0].kind else { Issue.record("eqp"); return }
        #expect(qp.queryPlan)
        // ILIKE prints as LIKE, :: as CAST
        #expect(try SQLSyntax.parse("SELECT a::text ILIKE 'x%'")[0].sql == "SELECT CAST(a AS text) LIKE 'x%'")
    }

    @Test func statementRanges() throws {
        let text = "SELECT 1;\n  INSERT INTO t VALUES (1) ;;\n-- c\nUPDATE t SET a = 2"
        let s = try SQLSyntax.parse(text)
        #expect(s.count == 3)
        let bytes = Array(text.utf8)
        #expect(s.map { String(decoding: bytes[$0.range.start..<$0.range.end], as: UTF8.self) }
                == ["SELECT 1", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 2"])
        #expect(s.map(\.range.line) == [1, 2, 4])
        #expect(s.map(\.range.column) == [1, 3, 1])
        #expect(try SQLSyntax.parse(";; ;").isEmpty)
        #expect(try SQLSyntax.parse("SELECT 1 /* unterminated").count == 1)
    }

    @Test func helpers() throws {
        let s = try SQLSyntax.parse("""
        WITH c AS (SELECT * FROM base) SELECT * FROM main.t1 JOIN c ON c.a = t1.a
        WHERE t1.k = 5 AND 7 = t1.j AND t1.x IN (SELECT y FROM t2) AND EXISTS (SELECT 1 FROM t3) AND z IN t4
        """)[0]
        #expect(s.referencedTables == [QualifiedName("base"), QualifiedName(schema: "main", "t1"),
                                       QualifiedName("t4"), QualifiedName("t2"), QualifiedName("t3")])
        guard case .select(let sel) = s.kind, case .select(let core) = sel.first, let w = core.where else { Issue.record("shape"); return }
        #expect(w.conjuncts.count == 5)
        let eqs = w.columnEqualities
        #expect(eqs.map(\.column.column) == ["k", "j"])
        #expect(eqs.map(\.value) == [num("5"), num("7")])
        #expect(try expr("1 + ? * -2").isConstant)
        #expect(try expr("CAST('1' AS INT) IN (1, 2)").isConstant)
        #expect(try !expr("1 + a").isConstant)
        #expect(try !expr("random()").isConstant)
        // rewriting: replace parameters by literals
        let e = try expr("a = ? AND b IN (?, 3)")
        let bound = e.rewritten { if case .parameter = $0 { return num("9") } else { return nil } }
        #expect(bound.sql == "a = 9 AND b IN (9, 3)")
        #expect(try expr("f(a, b + 1)").children.count == 2)
        let ins = try SQLSyntax.parse("INSERT INTO s.t(a) SELECT x FROM u")[0]
        #expect(ins.kind.targetTable == QualifiedName(schema: "s", "t"))
        #expect(ins.referencedTables == [QualifiedName(schema: "s", "t"), QualifiedName("u")])
        #expect(try SQLSyntax.parse("CREATE TRIGGER tr AFTER INSERT ON a BEGIN DELETE FROM b; END")[0].referencedTables
                == [QualifiedName("a"), QualifiedName("b")])
        let lists = try expr("k IN (1, 2) AND j IN (SELECT 1) AND m NOT IN (3) AND n IN (4, x)").columnInLists
        #expect(lists.map(\.column.column) == ["k"])
        #expect(lists.first?.values == [num("1"), num("2")])
        #expect(try SQLSyntax.parse("SELECT 1")[0].kind.returnsRows)
        #expect(try SQLSyntax.parse("DELETE FROM t RETURNING *")[0].kind.returnsRows)
        #expect(try !SQLSyntax.parse("DELETE FROM t")[0].kind.returnsRows)
        #expect(try SQLSyntax.parse("SAVEPOINT a")[0].kind.isTransactionControl)
        #expect(try SQLSyntax.parse("ALTER TABLE t ADD c")[0].kind.isSchemaChange)
    }

    @Test func insertRows() throws {
        guard case .insert(let ins) = try SQLSyntax.parse("INSERT INTO t(a, b) VALUES (1, 'x'), (2, NULL)")[0].kind else { Issue.record("shape"); return }
        #expect(ins.columns == ["a", "b"])
        #expect(ins.source == .values([[num("1"), .literal(.string("x"))], [num("2"), .literal(.null)]]))
    }
}
