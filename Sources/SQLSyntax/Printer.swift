/// Prints ASTs as SQL that SQLite 3.40 accepts (PostgreSQL-only statements such as SET, SHOW
/// or CALL print in their PostgreSQL form). `parse(print(ast)) == ast` for every parsed AST.
public enum SQLPrinter {
    public static func print(_ statement: Statement) -> String {
        var p = PrinterState(); p.statement(statement.kind); return p.out
    }
    public static func print(_ kind: StatementKind) -> String {
        var p = PrinterState(); p.statement(kind); return p.out
    }
    public static func print(_ expr: Expr) -> String {
        var p = PrinterState(); p.expr(expr, 0); return p.out
    }
    public static func print(_ select: Select) -> String {
        var p = PrinterState(); p.select(select); return p.out
    }
    /// A name quoted for SQL when needed (`t`, `"my table"`, `"select"`).
    public static func quoteName(_ name: String) -> String {
        var p = PrinterState(); p.name(name); return p.out
    }
    /// A string literal (`'it''s'`).
    public static func quoteString(_ s: String) -> String {
        var p = PrinterState(); p.string(s); return p.out
    }
}

extension Statement {
    /// SQLite SQL for this statement.
    public var sql: String { SQLPrinter.print(self) }
}
extension StatementKind {
    public var sql: String { SQLPrinter.print(self) }
}
extension Expr {
    public var sql: String { SQLPrinter.print(self) }
}
extension Select {
    public var sql: String { SQLPrinter.print(self) }
}

struct PrinterState {
    var out = ""

    init() { out.reserveCapacity(128) }

    @inline(__always) mutating func w(_ s: String) { out += s }

    static func isPlain(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let ok = first ? ((b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95)
                           : ((b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || (b >= 48 && b <= 57) || b == 36)
            if !ok { return false }
            first = false
        }
        return !first
    }

    mutating func quoted(_ s: String, _ q: Character) {
        out.append(q)
        for c in s { if c == q { out.append(q) }; out.append(c) }
        out.append(q)
    }

    /// Names outside expressions: bare when plain and not a keyword, else double-quoted.
    mutating func name(_ s: String) {
        if PrinterState.isPlain(s) && Keyword.lookup(s) == .none { w(s) } else { quoted(s, "\"") }
    }

    mutating func qualified(_ n: QualifiedName) {
        if let s = n.schema { name(s); w(".") }
        name(n.name)
    }

    mutating func string(_ s: String) { quoted(s, "'") }

    mutating func names(_ list: [String]) {
        w("(")
        for (i, n) in list.enumerated() { if i > 0 { w(", ") }; name(n) }
        w(")")
    }

    // MARK: expressions

    static func level(_ e: Expr) -> Int {
        switch e {
        case .binary(let op, _, _): return op.precedence
        case .is, .isNull, .pattern, .between, .inList, .inSelect, .inTable: return 4
        case .unary(let op, _): return op == .not ? 3 : 12
        case .collate: return 11
        default: return 13
        }
    }

    mutating func expr(_ e: Expr, _ minPrec: Int) {
        if PrinterState.level(e) < minPrec {
            w("(")
            exprBody(e)
            w(")")
        } else {
            exprBody(e)
        }
    }

    mutating func exprList(_ list: [Expr]) {
        for (i, e) in list.enumerated() { if i > 0 { w(", ") }; expr(e, 0) }
    }

    mutating func literal(_ l: Literal) {
        switch l {
        case .null: w("NULL")
        case .number(let s): w(s)
        case .string(let s): string(s)
        case .blob(let bytes):
            let hex: [Character] = Array("0123456789ABCDEF")
            w("X'")
            for b in bytes { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
            w("'")
        case .bool(let b): w(b ? "TRUE" : "FALSE")
        case .currentTime: w("CURRENT_TIME")
        case .currentDate: w("CURRENT_DATE")
        case .currentTimestamp: w("CURRENT_TIMESTAMP")
        }
    }

    mutating func columnRef(_ c: ColumnRef) {
        if c.schema != nil || c.table != nil {
            if let s = c.schema { name(s); w(".") }
            if let t = c.table { name(t); w(".") }
            name(c.column)
            return
        }
        if c.doubleQuoted { quoted(c.column, "\""); return }
        if PrinterState.isPlain(c.column) {
            let kw = Keyword.lookup(c.column)
            switch kw {
            case .none: w(c.column); return
            case .true, .false, .current_time, .current_date, .current_timestamp, .cast, .raise, .array: break
            default:
                if !kw.isReserved { w(c.column); return }
            }
        }
        // never double quotes here: that would turn an unknown name into a string literal
        quoted(c.column, "`")
    }

    mutating func typeName(_ t: TypeName) {
        var first = true
        for word in t.name.split(separator: " ", omittingEmptySubsequences: true) {
            if !first { w(" ") }
            first = false
            let s = String(word)
            let kw = Keyword.lookup(s)
            if PrinterState.isPlain(s) && (kw == .none || (!kw.isReserved && kw != .generated)) { w(s) } else { quoted(s, "\"") }
        }
        if !t.arguments.isEmpty {
            w("(")
            w(t.arguments.joined(separator: ", "))
            w(")")
        }
    }

    mutating func exprBody(_ e: Expr) {
        switch e {
        case .literal(let l): literal(l)
        case .parameter(let p): w(p.text)
        case .column(let c): columnRef(c)
        case .unary(let op, let operand):
            switch op {
            case .not:
                w("NOT ")
                expr(operand, 3)
            default:
                w(op.rawValue)
                if case .unary(let inner, _) = operand, inner == .minus || inner == .plus { w(" ") }
                expr(operand, 12)
            }
        case .binary(let op, let l, let r):
            let p = op.precedence
            expr(l, p)
            w(" "); w(op.rawValue); w(" ")
            expr(r, p + 1)
        case .is(let l, let r, let negated):
            expr(l, 4)
            w(negated ? " IS NOT " : " IS ")
            expr(r, 5)
        case .isNull(let l, let negated):
            expr(l, 4)
            w(negated ? " NOTNULL" : " ISNULL")
        case .pattern(let op, let l, let r, let escape, let negated):
            expr(l, 4)
            w(negated ? " NOT " : " ")
            w(op.rawValue); w(" ")
            expr(r, 5)
            if let escape { w(" ESCAPE "); expr(escape, 5) }
        case .between(let x, let lo, let hi, let negated):
            expr(x, 4)
            w(negated ? " NOT BETWEEN " : " BETWEEN ")
            expr(lo, 5)
            w(" AND ")
            expr(hi, 5)
        case .inList(let x, let list, let negated):
            expr(x, 4)
            w(negated ? " NOT IN (" : " IN (")
            exprList(list)
            w(")")
        case .inSelect(let x, let s, let negated):
            expr(x, 4)
            w(negated ? " NOT IN (" : " IN (")
            select(s)
            w(")")
        case .inTable(let x, let n, let args, let negated):
            expr(x, 4)
            w(negated ? " NOT IN " : " IN ")
            qualified(n)
            if let args { w("("); exprList(args); w(")") }
        case .exists(let s):
            w("EXISTS ("); select(s); w(")")
        case .subquery(let s):
            w("("); select(s); w(")")
        case .function(let f): function(f)
        case .cast(let x, let t):
            w("CAST("); expr(x, 0); w(" AS "); typeName(t); w(")")
        case .collate(let x, let c):
            expr(x, 11)
            w(" COLLATE ")
            name(c)
        case .case(let c):
            w("CASE")
            if let op = c.operand { w(" "); expr(op, 0) }
            for wt in c.whens {
                w(" WHEN "); expr(wt.when, 0)
                w(" THEN "); expr(wt.then, 0)
            }
            if let e = c.elseValue { w(" ELSE "); expr(e, 0) }
            w(" END")
        case .raise(let action, let message):
            w("RAISE("); w(action.rawValue)
            if let message { w(", "); string(message) }
            w(")")
        case .row(let list):
            w("("); exprList(list); w(")")
        case .array(let list):
            w("ARRAY["); exprList(list); w("]")
        }
    }

    mutating func function(_ f: FunctionCall) {
        let kw = Keyword.lookup(f.name)
        if PrinterState.isPlain(f.name) && (kw == .none || (!kw.isReserved && kw != .cast && kw != .raise)) {
            w(f.name)
        } else {
            quoted(f.name, "\"")
        }
        w("(")
        if f.star { w("*") } else {
            if f.distinct { w("DISTINCT ") }
            exprList(f.arguments)
        }
        w(")")
        if let filter = f.filter { w(" FILTER (WHERE "); expr(filter, 0); w(")") }
        if let over = f.over {
            w(" OVER ")
            switch over {
            case .named(let n): name(n)
            case .spec(let s): w("("); windowSpec(s); w(")")
            }
        }
    }

    mutating func windowSpec(_ s: WindowSpec) {
        var parts = 0
        func sep(_ p: inout PrinterState) { if parts > 0 { p.w(" ") }; parts += 1 }
        if let b = s.base { sep(&self); name(b) }
        if !s.partitionBy.isEmpty { sep(&self); w("PARTITION BY "); exprList(s.partitionBy) }
        if !s.orderBy.isEmpty { sep(&self); w("ORDER BY "); orderingTerms(s.orderBy) }
        if let f = s.frame {
            sep(&self)
            w(f.unit.rawValue); w(" ")
            if let end = f.end {
                w("BETWEEN "); frameBound(f.start); w(" AND "); frameBound(end)
            } else {
                frameBound(f.start)
            }
            if let x = f.exclude { w(" EXCLUDE "); w(x.rawValue) }
        }
    }

    mutating func frameBound(_ b: FrameSpec.Bound) {
        switch b {
        case .unboundedPreceding: w("UNBOUNDED PRECEDING")
        case .unboundedFollowing: w("UNBOUNDED FOLLOWING")
        case .currentRow: w("CURRENT ROW")
        case .preceding(let e): expr(e, 5); w(" PRECEDING")
        case .following(let e): expr(e, 5); w(" FOLLOWING")
        }
    }

    mutating func orderingTerms(_ terms: [OrderingTerm]) {
        for (i, t) in terms.enumerated() {
            if i > 0 { w(", ") }
            expr(t.expr, 0)
            if let a = t.ascending { w(a ? " ASC" : " DESC") }
            if let n = t.nulls { w(" "); w(n.rawValue) }
        }
    }

    // MARK: queries

    mutating func with(_ wc: WithClause) {
        w(wc.recursive ? "WITH RECURSIVE " : "WITH ")
        for (i, cte) in wc.tables.enumerated() {
            if i > 0 { w(", ") }
            name(cte.name)
            if !cte.columns.isEmpty { names(cte.columns) }
            w(" AS ")
            if let m = cte.materialized { w(m ? "MATERIALIZED " : "NOT MATERIALIZED ") }
            w("(")
            select(cte.select)
            w(")")
        }
        w(" ")
    }

    mutating func select(_ s: Select) {
        if let wc = s.with { with(wc) }
        core(s.first)
        for t in s.compound {
            w(" "); w(t.op.rawValue); w(" ")
            core(t.core)
        }
        if !s.orderBy.isEmpty { w(" ORDER BY "); orderingTerms(s.orderBy) }
        if let l = s.limit {
            w(" LIMIT "); expr(l.limit, 0)
            if let o = l.offset { w(" OFFSET "); expr(o, 0) }
        }
    }

    mutating func valuesRows(_ rows: [[Expr]]) {
        w("VALUES ")
        for (i, row) in rows.enumerated() {
            if i > 0 { w(", ") }
            w("("); exprList(row); w(")")
        }
    }

    mutating func core(_ c: SelectCore) {
        switch c {
        case .values(let rows): valuesRows(rows)
        case .select(let s):
            w(s.distinct ? "SELECT DISTINCT " : "SELECT ")
            resultColumns(s.columns)
            if let f = s.from { w(" FROM "); joinClause(f) }
            if let e = s.where { w(" WHERE "); expr(e, 0) }
            if !s.groupBy.isEmpty { w(" GROUP BY "); exprList(s.groupBy) }
            if let h = s.having { w(" HAVING "); expr(h, 0) }
            if !s.windows.isEmpty {
                w(" WINDOW ")
                for (i, nw) in s.windows.enumerated() {
                    if i > 0 { w(", ") }
                    name(nw.name); w(" AS ("); windowSpec(nw.spec); w(")")
                }
            }
        }
    }

    mutating func resultColumns(_ cols: [ResultColumn]) {
        for (i, c) in cols.enumerated() {
            if i > 0 { w(", ") }
            switch c {
            case .star: w("*")
            case .tableStar(let t): name(t); w(".*")
            case .expr(let e, let alias):
                expr(e, 0)
                if let a = alias { w(" AS "); name(a) }
            }
        }
    }

    mutating func joinClause(_ j: JoinClause) {
        tableRef(j.first)
        for join in j.joins {
            if join.op.kind == .comma {
                w(", ")
            } else {
                w(" ")
                if join.op.natural { w("NATURAL ") }
                w(join.op.kind.rawValue)
                w(" ")
            }
            tableRef(join.table)
            switch join.constraint {
            case .on(let e)?: w(" ON "); expr(e, 0)
            case .using(let cols)?: w(" USING "); names(cols)
            case nil: break
            }
        }
    }

    mutating func tableRef(_ t: TableRef) {
        switch t {
        case .table(let n, let alias, let indexed):
            qualified(n)
            if let a = alias { w(" AS "); name(a) }
            switch indexed {
            case .index(let i)?: w(" INDEXED BY "); name(i)
            case .notIndexed?: w(" NOT INDEXED")
            case nil: break
            }
        case .function(let n, let args, let alias):
            qualified(n); w("("); exprList(args); w(")")
            if let a = alias { w(" AS "); name(a) }
        case .subquery(let s, let alias):
            w("("); select(s); w(")")
            if let a = alias { w(" AS "); name(a) }
        case .join(let j):
            w("("); joinClause(j); w(")")
        }
    }

    // MARK: statements

    mutating func statement(_ k: StatementKind) {
        switch k {
        case .select(let s): select(s)
        case .insert(let s): insert(s)
        case .update(let s): update(s)
        case .delete(let s): delete(s)
        case .createTable(let s): createTable(s)
        case .createIndex(let s): createIndex(s)
        case .createView(let s):
            w("CREATE ")
            if s.temporary { w("TEMP ") }
            w("VIEW ")
            if s.ifNotExists { w("IF NOT EXISTS ") }
            qualified(s.name)
            if !s.columns.isEmpty { names(s.columns) }
            w(" AS ")
            select(s.select)
        case .createTrigger(let s): createTrigger(s)
        case .drop(let s):
            w("DROP "); w(s.kind.rawValue); w(" ")
            if s.ifExists { w("IF EXISTS ") }
            qualified(s.name)
        case .alterTable(let s):
            w("ALTER TABLE "); qualified(s.table); w(" ")
            switch s.action {
            case .renameTable(let to): w("RENAME TO "); name(to)
            case .renameColumn(let from, let to): w("RENAME COLUMN "); name(from); w(" TO "); name(to)
            case .addColumn(let c): w("ADD COLUMN "); columnDefinition(c)
            case .dropColumn(let c): w("DROP COLUMN "); name(c)
            }
        case .reindex(let n):
            w("REINDEX")
            if let n { w(" "); qualified(n) }
        case .analyze(let n):
            w("ANALYZE")
            if let n { w(" "); qualified(n) }
        case .vacuum(let schema, let into):
            w("VACUUM")
            if let schema { w(" "); name(schema) }
            if let into { w(" INTO "); expr(into, 0) }
        case .pragma(let s):
            w("PRAGMA "); qualified(s.name)
            if let v = s.value {
                if s.callForm { w("("); w(v); w(")") } else { w(" = "); w(v) }
            }
        case .attach(let file, let alias):
            w("ATTACH DATABASE "); expr(file, 0); w(" AS "); expr(alias, 0)
        case .detach(let n):
            w("DETACH DATABASE "); name(n)
        case .begin(let b):
            w("BEGIN")
            if let m = b.mode { w(" "); w(m.rawValue) }
            var first = true
            if let iso = b.isolation { w(" ISOLATION LEVEL "); w(iso.rawValue); first = false }
            if let ro = b.readOnly { w(first ? " " : ", "); w(ro ? "READ ONLY" : "READ WRITE") }
        case .commit: w("COMMIT")
        case .rollback(let sp):
            w("ROLLBACK")
            if let sp { w(" TO SAVEPOINT "); name(sp) }
        case .savepoint(let n): w("SAVEPOINT "); name(n)
        case .release(let n): w("RELEASE SAVEPOINT "); name(n)
        case .set(let s):
            w("SET ")
            if let scope = s.scope { w(scope.rawValue); w(" ") }
            dottedName(s.name)
            w(" = ")
            if s.values.isEmpty { w("DEFAULT") }
            for (i, v) in s.values.enumerated() {
                if i > 0 { w(", ") }
                switch v {
                case .string(let x): string(x)
                case .number(let x): w(x)
                case .identifier(let x):
                    if PrinterState.isPlain(x) && Keyword.lookup(x) != .default { w(x) } else { quoted(x, "\"") }
                }
            }
        case .reset(let n):
            w("RESET ")
            if let n { dottedName(n) } else { w("ALL") }
        case .show(let n):
            w("SHOW ")
            if let n { dottedName(n) } else { w("ALL") }
        case .call(let c):
            w("CALL "); qualified(c.name); w("("); exprList(c.arguments); w(")")
        case .explain(let x):
            w("EXPLAIN ")
            if x.queryPlan { w("QUERY PLAN ") }
            if !x.options.isEmpty {
                w("(")
                for (i, o) in x.options.enumerated() {
                    if i > 0 { w(", ") }
                    w(o.name)
                    if let v = o.value { w(" "); if PrinterState.isPlain(v) { w(v) } else { string(v) } }
                }
                w(") ")
            }
            if x.analyze { w("ANALYZE ") }
            if x.verbose { w("VERBOSE ") }
            statement(x.statement.kind)
        }
    }

    mutating func dottedName(_ n: String) {
        for (i, part) in n.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
            if i > 0 { w(".") }
            let s = String(part)
            if PrinterState.isPlain(s) && !(Keyword.lookup(s).isReserved) && Keyword.lookup(s) != .all { w(s) } else { quoted(s, "\"") }
        }
    }

    mutating func insert(_ s: InsertStatement) {
        if let wc = s.with { with(wc) }
        w("INSERT ")
        if let a = s.orAction { w("OR "); w(a.rawValue); w(" ") }
        w("INTO "); qualified(s.table)
        if let a = s.alias { w(" AS "); name(a) }
        if !s.columns.isEmpty { w(" "); names(s.columns) }
        switch s.source {
        case .defaultValues: w(" DEFAULT VALUES")
        case .values(let rows): w(" "); valuesRows(rows)
        case .select(let sel): w(" "); select(sel)
        }
        for u in s.upsert {
            w(" ON CONFLICT")
            if !u.target.isEmpty {
                w(" ("); indexedColumns(u.target); w(")")
                if let e = u.targetWhere { w(" WHERE "); expr(e, 0) }
            }
            switch u.action {
            case .nothing: w(" DO NOTHING")
            case .update(let sets, let wh):
                w(" DO UPDATE SET "); setClauses(sets)
                if let wh { w(" WHERE "); expr(wh, 0) }
            }
        }
        returning(s.returning)
    }

    mutating func returning(_ cols: [ResultColumn]) {
        if !cols.isEmpty { w(" RETURNING "); resultColumns(cols) }
    }

    mutating func setClauses(_ sets: [SetClause]) {
        for (i, sc) in sets.enumerated() {
            if i > 0 { w(", ") }
            if sc.columns.count == 1 { name(sc.columns[0]) } else { names(sc.columns) }
            w(" = ")
            expr(sc.value, 0)
        }
    }

    mutating func indexedColumns(_ cols: [IndexedColumn]) {
        for (i, c) in cols.enumerated() {
            if i > 0 { w(", ") }
            expr(c.expr, 0)
            if let a = c.ascending { w(a ? " ASC" : " DESC") }
        }
    }

    mutating func update(_ s: UpdateStatement) {
        if let wc = s.with { with(wc) }
        w("UPDATE ")
        if let a = s.orAction { w("OR "); w(a.rawValue); w(" ") }
        qualified(s.table)
        if let a = s.alias { w(" AS "); name(a) }
        indexedBy(s.indexed)
        w(" SET "); setClauses(s.sets)
        if let f = s.from { w(" FROM "); joinClause(f) }
        if let e = s.where { w(" WHERE "); expr(e, 0) }
        returning(s.returning)
    }

    mutating func indexedBy(_ i: IndexedBy?) {
        switch i {
        case .index(let n)?: w(" INDEXED BY "); name(n)
        case .notIndexed?: w(" NOT INDEXED")
        case nil: break
        }
    }

    mutating func delete(_ s: DeleteStatement) {
        if let wc = s.with { with(wc) }
        w("DELETE FROM "); qualified(s.table)
        if let a = s.alias { w(" AS "); name(a) }
        indexedBy(s.indexed)
        if let e = s.where { w(" WHERE "); expr(e, 0) }
        returning(s.returning)
    }

    mutating func onConflict(_ c: ConflictResolution?) {
        if let c { w(" ON CONFLICT "); w(c.rawValue) }
    }

    mutating func createTable(_ s: CreateTableStatement) {
        w("CREATE ")
        if s.temporary { w("TEMP ") }
        w("TABLE ")
        if s.ifNotExists { w("IF NOT EXISTS ") }
        qualified(s.name)
        switch s.body {
        case .asSelect(let sel): w(" AS "); select(sel)
        case .columns(let cols, let constraints, let withoutRowid, let strict):
            w("(")
            for (i, c) in cols.enumerated() { if i > 0 { w(", ") }; columnDefinition(c) }
            for c in constraints {
                w(", ")
                if let n = c.name { w("CONSTRAINT "); name(n); w(" ") }
                switch c.kind {
                case .primaryKey(let cols, let conflict, let autoinc):
                    w("PRIMARY KEY ("); indexedColumns(cols)
                    if autoinc { w(" AUTOINCREMENT") }
                    w(")"); onConflict(conflict)
                case .unique(let cols, let conflict):
                    w("UNIQUE ("); indexedColumns(cols); w(")"); onConflict(conflict)
                case .check(let e): w("CHECK ("); expr(e, 0); w(")")
                case .foreignKey(let cols, let fk):
                    w("FOREIGN KEY "); names(cols); w(" "); foreignKey(fk)
                }
            }
            w(")")
            if withoutRowid { w(" WITHOUT ROWID") }
            if strict { w(withoutRowid ? ", STRICT" : " STRICT") }
        }
    }

    mutating func columnDefinition(_ c: ColumnDefinition) {
        name(c.name)
        if let t = c.type { w(" "); typeName(t) }
        for cc in c.constraints {
            w(" ")
            if let n = cc.name { w("CONSTRAINT "); name(n); w(" ") }
            switch cc.kind {
            case .primaryKey(let asc, let conflict, let autoinc):
                w("PRIMARY KEY")
                if let asc { w(asc ? " ASC" : " DESC") }
                onConflict(conflict)
                if autoinc { w(" AUTOINCREMENT") }
            case .notNull(let conflict): w("NOT NULL"); onConflict(conflict)
            case .null(let conflict): w("NULL"); onConflict(conflict)
            case .unique(let conflict): w("UNIQUE"); onConflict(conflict)
            case .check(let e): w("CHECK ("); expr(e, 0); w(")")
            case .default(let e):
                w("DEFAULT ")
                switch e {
                case .literal(.bool(let b)): w(b ? "TRUE" : "FALSE")
                case .literal: expr(e, 0)
                case .unary(let op, .literal(let l)) where op == .minus || op == .plus:
                    switch l {
                    case .number, .string, .blob, .null: expr(e, 0)
                    default: w("("); expr(e, 0); w(")")
                    }
                default: w("("); expr(e, 0); w(")")
                }
            case .collate(let n): w("COLLATE "); name(n)
            case .references(let fk): foreignKey(fk)
            case .generated(let e, let stored):
                w("GENERATED ALWAYS AS ("); expr(e, 0); w(")")
                if let stored { w(stored ? " STORED" : " VIRTUAL") }
            }
        }
    }

    mutating func foreignKey(_ fk: ForeignKeyClause) {
        w("REFERENCES "); name(fk.table)
        if !fk.columns.isEmpty { names(fk.columns) }
        for e in fk.events {
            switch e {
            case .onDelete(let a): w(" ON DELETE "); w(a.rawValue)
            case .onUpdate(let a): w(" ON UPDATE "); w(a.rawValue)
            case .match(let n): w(" MATCH "); name(n)
            }
        }
        if case .deferrable(let not, let initially)? = fk.deferrable {
            w(not ? " NOT DEFERRABLE" : " DEFERRABLE")
            if let i = initially { w(i ? " INITIALLY DEFERRED" : " INITIALLY IMMEDIATE") }
        }
    }

    mutating func createIndex(_ s: CreateIndexStatement) {
        w(s.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ")
        if s.ifNotExists { w("IF NOT EXISTS ") }
        qualified(s.name)
        w(" ON "); name(s.table)
        w(" ("); indexedColumns(s.columns); w(")")
        if let e = s.where { w(" WHERE "); expr(e, 0) }
    }

    mutating func createTrigger(_ s: CreateTriggerStatement) {
        w("CREATE ")
        if s.temporary { w("TEMP ") }
        w("TRIGGER ")
        if s.ifNotExists { w("IF NOT EXISTS ") }
        qualified(s.name)
        if let t = s.timing { w(" "); w(t.rawValue) }
        switch s.event {
        case .delete: w(" DELETE")
        case .insert: w(" INSERT")
        case .update(let cols):
            w(" UPDATE")
            if !cols.isEmpty {
                w(" OF ")
                for (i, c) in cols.enumerated() { if i > 0 { w(", ") }; name(c) }
            }
        }
        w(" ON "); qualified(s.table)
        if s.forEachRow { w(" FOR EACH ROW") }
        if let e = s.when { w(" WHEN "); expr(e, 0) }
        w(" BEGIN ")
        for st in s.body { statement(st.kind); w("; ") }
        w("END")
    }
}
