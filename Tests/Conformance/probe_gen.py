#!/usr/bin/env python3
"""Writes sqllogictest probe files in the shapes of SQLite's random/, index/ and evidence/ files,
with the expected answers of one SQLite database (the sqlite3 module), to find answers where a
cluster differs. Tables tab0..tab4 (pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT,
col3 INTEGER, col4 FLOAT, col5 TEXT) hold the same rows under different indexes (ASC, DESC,
multi-column), with many tied values and some NULLs; one file in three has 1,000+ rows, beyond the
copy limits and the 512-row streaming thresholds. Queries: nested AND/OR, IN lists, BETWEEN,
IN (SELECT ...), ORDER BY with ties (compared in order), LIMIT/OFFSET, aggregates with DISTINCT,
CASE/NULLIF/COALESCE/CAST/unary ops, joins of 2-4 tables, HAVING, scalar subqueries, views,
compound selects, CTEs, and DELETE then SELECT.

  python3 Tests/Conformance/probe_gen.py --out /tmp/probe --seeds 1-30
  python3 Tests/Conformance/probe_gen.py --out /tmp/probe --seeds 1-4 --rows 4000   # past the copy limits
  python3 Tests/Conformance/probe_gen.py --out /tmp/probe --shape random --seeds 1-40 --queries 80
  python3 Tests/Conformance/slt.py --bin .build/debug/limitless --placement sharded /tmp/probe/*.test

Records with an ORDER BY are `nosort` (ties must come in one database's order); the rest `rowsort`.
Known difference: SUM/TOTAL/AVG over REAL values combined from per-shard partial sums may differ
from one database's sequential sum in the last bits, which an ORDER BY on such a sum can show.
"""
import argparse, os, random, sqlite3

COLS = ["col0", "col1", "col2", "col3", "col4", "col5"]
NUM = ["col0", "col1", "col3", "col4"]
INTS = ["col0", "col3"]


def generate(seed, queries=60, big=None, rows=None):
    r = random.Random(seed)
    db = sqlite3.connect(":memory:")
    db.isolation_level = None
    out = ["hash-threshold 8", ""]
    if big is None:
        big = seed % 3 == 0
    n = rows or (r.randint(1000, 1300) if big else r.choice([10, 20, 40, 100, 200]))
    spread = r.choice([3, 5, 10, 30])  # few distinct values: many ties
    ntab = 5
    views = []

    def stmt(sql, ok=True):
        try:
            db.execute(sql)
            res = "ok"
        except sqlite3.Error:
            res = "error"
        out.append(f"statement {res}\n{sql}\n")

    def val(c):
        if r.random() < 0.05:
            return "NULL"
        if c in INTS:
            return str(r.randint(0, spread * 3))
        if c in ("col1", "col4"):
            return "%.2f" % (r.randint(0, spread * 30) / 10.0)
        return "'" + r.choice(["a", "b", "c", "d", "e", "f", "g"][: max(2, spread)]) + r.choice(["", "x", "y"]) + "'"

    rows = []
    for pk in r.sample(range(0, n * 3), n):
        rows.append((pk, *[val(c) for c in COLS]))
    for t in range(ntab):
        stmt(f"CREATE TABLE tab{t}(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT)")
        for k in range(0 if t == 0 else r.randint(1, 3)):
            cols = [c + (" DESC" if r.random() < 0.35 else "") for c in r.sample(COLS, r.randint(1, 3))]
            stmt(f"CREATE INDEX idx_tab{t}_{k} ON tab{t}({', '.join(cols)})")
        for i in range(0, len(rows), 200):
            stmt(f"INSERT INTO tab{t} VALUES " + ", ".join("(" + ", ".join(map(str, row)) + ")" for row in rows[i:i + 200]))

    def lit(c):
        if c in INTS:
            return str(r.randint(0, spread * 3))
        if c in ("col1", "col4"):
            return "%.2f" % (r.randint(0, spread * 30) / 10.0)
        return "'" + r.choice("abcdefg"[: max(2, spread)]) + r.choice(["", "x"]) + "'"

    def pred(al="", depth=0):
        p = al + "." if al else ""
        k = r.random()
        if depth < 2 and k < 0.25:
            op = r.choice([" AND ", " OR "])
            return "(" + pred(al, depth + 1) + op + pred(al, depth + 1) + ")"
        if depth < 2 and k < 0.3:
            return "NOT (" + pred(al, depth + 1) + ")"
        c = r.choice(COLS)
        kind = r.choice(["cmp", "cmp", "cmp", "in", "between", "null", "insel"])
        if kind == "cmp":
            return f"{p}{c} {r.choice(['=', '<', '>', '<=', '>=', '<>'])} {lit(c)}"
        if kind == "in":
            vs = ", ".join(lit(c) for _ in range(r.randint(0, 5)))
            return f"{p}{c} {r.choice(['IN', 'NOT IN', 'IN'])} ({vs})"
        if kind == "between":
            a, b = sorted([lit(c), lit(c)], key=lambda s: float(s) if c in NUM else s)
            return f"{p}{c} {r.choice(['BETWEEN', 'NOT BETWEEN', 'BETWEEN'])} {a} AND {b}"
        if kind == "null":
            return f"{p}{c} IS {r.choice(['', 'NOT '])}NULL"
        t = r.randrange(ntab)
        inner = f"SELECT {c} FROM tab{t} WHERE {pred('', 2)}"
        if r.random() < 0.3:
            inner = f"SELECT {c} FROM tab{t} WHERE {r.choice(COLS)} IN (SELECT {r.choice(COLS)} FROM tab{r.randrange(ntab)} WHERE {pred('', 2)})"
        return f"{p}{c} IN ({inner})"

    def expr(al=""):
        p = al + "." if al else ""
        a, b = r.choice(NUM), r.choice(NUM)
        shapes = [
            lambda: f"{p}{a} * {r.randint(-3, 9)} + {p}{b}",
            lambda: f"{p}{a} / {r.choice([1, 2, 3, 7, -2])}",
            lambda: f"{p}{r.choice(INTS)} / {p}{r.choice(INTS)}",
            lambda: f"CASE WHEN {pred(al, 2)} THEN {p}{a} ELSE {p}{b} END",
            lambda: f"CASE {p}{a} WHEN {lit(a)} THEN 'x' WHEN {lit(a)} THEN 'y' END",
            lambda: f"NULLIF({p}{a}, {lit(a)})",
            lambda: f"COALESCE({p}{a}, {p}{b}, -1)",
            lambda: f"CAST({p}{a} AS INTEGER)",
            lambda: f"CAST({p}{r.choice(COLS)} AS TEXT)",
            lambda: f"- {p}{a}",
            lambda: f"+ {p}{r.choice(COLS)}",
            lambda: f"abs({p}{a} - {p}{b})",
            lambda: f"{p}{a} % {r.choice([2, 3, 5])}",
            lambda: f"{p}{r.choice(['col2', 'col5'])} || {p}{a}",
        ]
        return r.choice(shapes)()

    def order(cols_n, extra=""):
        keys = []
        for _ in range(r.randint(1, min(2, cols_n))):
            keys.append(str(r.randint(1, cols_n)) + r.choice(["", " DESC", " ASC"]))
        return " ORDER BY " + ", ".join(keys)

    def limit():
        x = r.random()
        if x < 0.5:
            return ""
        if x < 0.8:
            return f" LIMIT {r.randint(1, 12)}"
        return f" LIMIT {r.randint(1, 12)} OFFSET {r.randint(0, 10)}"

    def tab():
        return f"tab{r.randrange(ntab)}"

    def sel_cols(al="", k=None):
        p = al + "." if al else ""
        k = k or r.randint(1, 3)
        return [r.choice([f"{p}{r.choice(COLS + ['pk'])}", f"{p}{r.choice(COLS + ['pk'])}", expr(al)]) for _ in range(k)]

    def query():
        t = tab()
        shapes = []

        def simple():
            cs = sel_cols()
            ob = order(len(cs)) if r.random() < 0.7 else ""
            return f"SELECT {r.choice(['', 'DISTINCT ', '', 'ALL '])}{', '.join(cs)} FROM {t} WHERE {pred()}{ob}{limit() if ob else ''}"

        def index_style():
            # index/*: SELECT pk FROM tabN WHERE ... [ORDER BY ...]
            ob = r.choice(["", " ORDER BY 1", " ORDER BY 1 DESC", f" ORDER BY {r.choice(COLS)}", f" ORDER BY {r.choice(COLS)} DESC, pk",
                           f" ORDER BY {r.choice(COLS)} DESC", f" ORDER BY {r.choice(COLS)}, {r.choice(COLS)} DESC"])
            return f"SELECT pk FROM {t} WHERE {pred()}{ob}{limit() if ob else ''}"

        def orderby_ties():
            c1, c2 = r.sample(COLS, 2)
            ob = r.choice([f"{c1}", f"{c1} DESC", f"{c1}, {c2} DESC", f"{c1} DESC, {c2}", "1 DESC", "2", "2 DESC, 1"])
            return f"SELECT {c1}, {c2}, pk FROM {t} WHERE {pred()} ORDER BY {ob}{limit()}"

        def agg():
            fn = r.choice(["COUNT(*)", "COUNT(col0)", "SUM(col0)", "MIN(col1)", "MAX(col2)", "AVG(col3)",
                           "COUNT(DISTINCT col0)", "SUM(DISTINCT col3)", "TOTAL(col4)", "MAX(DISTINCT col1)",
                           "AVG(DISTINCT col0)", "MIN(col5)", f"SUM({expr()})", f"COUNT(DISTINCT {r.choice(COLS)})"])
            if r.random() < 0.5:
                g = r.choice(COLS)
                hv = r.choice(["", "", f" HAVING COUNT(*) > {r.randint(1, 4)}", f" HAVING {fn} IS NOT NULL", f" HAVING MIN({g}) <> {lit(g)}"])
                ob = r.choice(["", " ORDER BY 1", " ORDER BY 2 DESC", " ORDER BY 2, 1 DESC"])
                return f"SELECT {g}, {fn} FROM {t} WHERE {pred()} GROUP BY {g}{hv}{ob}{limit() if ob else ''}"
            return f"SELECT {r.choice(['', '- ', 'ALL '])}{fn} FROM {t} WHERE {pred()}"

        def join():
            k = r.randint(2, 4 if n <= 40 else 2)
            ts = [f"{tab()} AS a{i}" for i in range(k)]
            conds = []
            for i in range(1, k):
                if n > 40 or r.random() < 0.7:
                    c = r.choice(COLS)
                    conds.append(f"a{i}.{c} = a{r.randrange(i)}.{r.choice([c, r.choice(COLS)])}")
            conds.append(pred(f"a{r.randrange(k)}"))
            cs = [f"a{r.randrange(k)}.{r.choice(COLS + ['pk'])}" for _ in range(r.randint(1, 3))]
            ob = order(len(cs)) if r.random() < 0.5 else ""
            style = r.random()
            if style < 0.3 and k == 2:
                jt = r.choice(["JOIN", "LEFT JOIN", "CROSS JOIN", "INNER JOIN"])
                on = conds[0] if len(conds) > 1 else "1"
                return f"SELECT {', '.join(cs)} FROM {ts[0]} {jt} {ts[1]} ON {on} WHERE {conds[-1]}{ob}{limit() if ob else ''}"
            return f"SELECT {'DISTINCT ' if r.random() < 0.2 else ''}{', '.join(cs)} FROM {', '.join(ts)} WHERE {' AND '.join(conds)}{ob}{limit() if ob else ''}"

        def scalar_sub():
            t2 = tab()
            c = r.choice(COLS)
            sub = r.choice([f"(SELECT MAX(x.{c}) FROM {t2} x WHERE x.{c} < {t}.{c})",
                            f"(SELECT COUNT(*) FROM {t2} x WHERE x.col0 = {t}.col0)",
                            f"(SELECT x.pk FROM {t2} x WHERE x.{c} >= {t}.{c} ORDER BY x.{c} LIMIT 1)",
                            f"(SELECT AVG(col3) FROM {t2})"])
            ob = r.choice(["", " ORDER BY 1", " ORDER BY 2 DESC, 1", " ORDER BY 2"])
            return f"SELECT {t}.pk, {sub} FROM {t} WHERE {pred(t)}{ob}{limit() if ob else ''}"

        def exists():
            t2 = tab()
            c = r.choice(COLS)
            return f"SELECT pk, {c} FROM {t} WHERE {r.choice(['', 'NOT '])}EXISTS (SELECT 1 FROM {t2} x WHERE x.{c} = {t}.{c} AND x.pk <> {t}.pk AND {pred('x', 2)}) ORDER BY {r.choice(['1', '2, 1 DESC', '2 DESC'])}{limit()}"

        def view_q():
            if not views or r.random() < 0.3:
                name = f"view_{len(views)}"
                cs = ["pk"] + r.sample(COLS, r.randint(1, 3))
                body = f"SELECT {', '.join(cs)} FROM {tab()} WHERE {pred()}"
                if r.random() < 0.3:
                    body += f" ORDER BY {r.choice(cs)} DESC"
                stmt(f"CREATE VIEW {name} AS {body}")
                views.append((name, cs))
            name, cs = r.choice(views)
            c = r.choice(cs)
            sh = r.choice([
                f"SELECT * FROM {name} ORDER BY {c}{r.choice(['', ' DESC'])}{limit()}",
                f"SELECT DISTINCT {c} FROM {name}",
                f"SELECT DISTINCT {c} FROM {name} ORDER BY 1 DESC{limit()}",
                f"SELECT {c}, COUNT(*) FROM {name} GROUP BY {c}",
                f"SELECT {c}, COUNT(*) FROM {name} GROUP BY {c} ORDER BY 2 DESC, 1{limit()}",
                f"SELECT * FROM {name} LIMIT {r.randint(1, 8)}",
                f"SELECT pk FROM {name} WHERE pk IN (SELECT pk FROM {tab()} WHERE {pred()}) ORDER BY 1",
                f"SELECT a.pk, b.pk FROM {name} a JOIN {tab()} b ON a.{c} = b.{c} ORDER BY 1, 2 LIMIT 20",
                f"SELECT {c}, pk FROM {name} ORDER BY 1 LIMIT {r.randint(1, 8)}",
            ])
            return sh

        def compound():
            c1, c2 = r.sample(COLS + ["pk"], 2)
            op = r.choice(["UNION", "UNION ALL", "EXCEPT", "INTERSECT"])
            a = f"SELECT {c1}, {c2} FROM {tab()} WHERE {pred()}"
            b = f"SELECT {c1}, {c2} FROM {tab()} WHERE {pred()}"
            ob = r.choice(["", " ORDER BY 1", " ORDER BY 2 DESC", " ORDER BY 1 DESC, 2", " ORDER BY 2"])
            if op == "UNION ALL" and not ob:
                ob = " ORDER BY 1, 2"
            return f"{a} {op} {b}{ob}{limit() if ob else ''}"

        def cte():
            c = r.choice(COLS)
            sh = r.choice([
                f"WITH w AS (SELECT pk, {c} FROM {tab()} WHERE {pred()}) SELECT {c}, COUNT(*) FROM w GROUP BY {c} ORDER BY 2 DESC, 1",
                f"WITH w AS (SELECT pk, {c} FROM {tab()} WHERE {pred()}) SELECT * FROM w ORDER BY {c}{limit()}",
                f"WITH w(x) AS (SELECT DISTINCT {c} FROM {tab()}) SELECT x FROM w WHERE x IN (SELECT {c} FROM {tab()} WHERE {pred()}) ORDER BY 1",
                f"WITH w AS (SELECT * FROM {tab()} WHERE {pred()}) SELECT a.pk, b.pk FROM w a, w b WHERE a.{c} = b.{c} AND a.pk < b.pk ORDER BY 1, 2 LIMIT 25",
                f"WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 20) SELECT x, (SELECT COUNT(*) FROM {tab()} WHERE col0 = x) FROM cnt",
            ])
            return sh

        def in_nested():
            c = r.choice(COLS)
            return f"SELECT pk, {c} FROM {t} WHERE {c} IN (SELECT {c} FROM {tab()} WHERE {pred()} AND pk IN (SELECT pk FROM {tab()} WHERE {pred()})){r.choice(['', ' ORDER BY 2, 1', ' ORDER BY 2 DESC'])}"

        shapes = [simple, index_style, index_style, orderby_ties, orderby_ties, agg, agg, join, join,
                  scalar_sub, exists, view_q, view_q, compound, compound, cte, in_nested]
        return r.choice(shapes)()

    def emit(q):
        try:
            cur = db.execute(q)
            rows = cur.fetchall()
        except sqlite3.Error:
            out.append(f"statement error\n{q}\n")
            return
        out.append(record(q, cur.description, rows))

    for qi in range(queries):
        if qi == queries * 2 // 3 and r.random() < 0.5:
            for t in range(ntab):
                stmt(f"DELETE FROM tab{t} WHERE {pred()}")
        emit(query())
    return "\n".join(out)


def generate_random(seed, queries=80):
    """random/*-shaped files: tab0..tab2 (col0, col1, col2 INTEGER), a few rows each, and queries
    of unary operators, arithmetic with NULLs, integer division (by zero too), CAST, CASE,
    NULLIF/COALESCE, aggregates (DISTINCT, ALL) over cross joins, GROUP BY/HAVING, IN lists and
    scalar subqueries."""
    r = random.Random(seed)
    db = sqlite3.connect(":memory:")
    out = ["hash-threshold 8", ""]
    for t in range(3):
        sql = f"CREATE TABLE tab{t}(col0 INTEGER, col1 INTEGER, col2 INTEGER)"
        db.execute(sql); out.append(f"statement ok\n{sql}\n")
        if r.random() < 0.5:
            c = r.choice(["col0", "col1", "col2"])
            sql = f"CREATE INDEX idx_{t} ON tab{t}({c}{r.choice(['', ' DESC'])})"
            db.execute(sql); out.append(f"statement ok\n{sql}\n")
        for _ in range(3):
            vals = ", ".join(str(r.choice([r.randint(0, 99), r.randint(0, 99), r.randint(-9, 9), 0])) for _ in range(3))
            sql = f"INSERT INTO tab{t} VALUES({vals})"
            db.execute(sql); out.append(f"statement ok\n{sql}\n")

    def atom(cols):
        k = r.random()
        if k < 0.45 and cols: return r.choice(cols)
        if k < 0.55: return "NULL"
        return str(r.randint(0, 99))

    def e(cols, d=0):
        k = r.random()
        if d > 2 or k < 0.3: return r.choice(["", "+ ", "- ", "- - ", "+ - "]) + atom(cols)
        if k < 0.6: return f"{e(cols, d + 1)} {r.choice(['+', '-', '*', '/', '%'])} {e(cols, d + 1)}"
        if k < 0.67: return f"( {e(cols, d + 1)} )"
        if k < 0.72: return f"CAST ( {e(cols, d + 1)} AS {r.choice(['INTEGER', 'REAL', 'TEXT', 'SIGNED', 'DECIMAL'])} )"
        if k < 0.78: return f"CASE {e(cols, d + 1)} WHEN {e(cols, d + 1)} THEN {e(cols, d + 1)} ELSE {e(cols, d + 1)} END"
        if k < 0.82: return f"CASE WHEN {b(cols, d + 1)} THEN {e(cols, d + 1)} END"
        if k < 0.86: return f"NULLIF ( {e(cols, d + 1)}, {e(cols, d + 1)} )"
        if k < 0.9: return f"COALESCE ( {e(cols, d + 1)}, {e(cols, d + 1)} )"
        if k < 0.95: return f"ABS ( {e(cols, d + 1)} )"
        return f"( SELECT {r.choice(['MAX', 'MIN', 'COUNT', 'SUM'])} ( {r.choice(['col0', 'col1', 'col2'])} ) FROM tab{r.randrange(3)} )"

    def b(cols, d=0):
        k = r.random()
        if d < 2 and k < 0.2: return f"{b(cols, d + 1)} {r.choice(['AND', 'OR'])} {b(cols, d + 1)}"
        if k < 0.3: return f"NOT {b(cols, d + 1)}"
        if k < 0.45: return f"{e(cols, 2)} IS {r.choice(['', 'NOT '])}NULL"
        if k < 0.6: return f"{e(cols, 2)} {r.choice(['', 'NOT '])}IN ( {', '.join(e(cols, 2) for _ in range(r.randint(0, 4)))} )"
        if k < 0.7: return f"{e(cols, 2)} {r.choice(['', 'NOT '])}BETWEEN {e(cols, 2)} AND {e(cols, 2)}"
        if k < 0.75: return f"{e(cols, 2)} IN ( SELECT {r.choice(['col0', 'col1', 'col2'])} FROM tab{r.randrange(3)} )"
        return f"{e(cols, 2)} {r.choice(['=', '<>', '<', '>', '<=', '>='])} {e(cols, 2)}"

    def query():
        k = r.random()
        ts = r.sample(["tab0", "tab1", "tab2"], r.randint(1, 3))
        if len(ts) == 1:
            cols = ["col0", "col1", "col2"]
            frm = f"{ts[0]}{r.choice(['', ' AS cor0'])}"
        else:
            cols = [f"cor{i}.col{j}" for i in range(len(ts)) for j in range(3)]
            frm = ", ".join(f"{t} AS cor{i}" for i, t in enumerate(ts)) if r.random() < 0.6 else \
                " CROSS JOIN ".join(f"{t} AS cor{i}" for i, t in enumerate(ts))
        where = f" WHERE {b(cols)}" if r.random() < 0.6 else ""
        if k < 0.4:
            sel = ", ".join(e(cols) for _ in range(r.randint(1, 3)))
            q = f"SELECT {r.choice(['', 'ALL ', 'DISTINCT '])}{sel} FROM {frm}{where}"
            if r.random() < 0.3: q += " ORDER BY 1" + r.choice(["", " DESC"])
            return q
        agg = lambda: f"{r.choice(['', '+ ', '- '])}{r.choice(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'TOTAL'])} ( {r.choice(['', 'ALL ', 'DISTINCT '])}{e(cols, 2)} )"
        if k < 0.7:
            sel = ", ".join(r.choice([agg(), f"{e([], 2)} * {agg()}", "COUNT ( * )"]) for _ in range(r.randint(1, 2)))
            return f"SELECT {r.choice(['', 'ALL ', 'DISTINCT '])}{sel} FROM {frm}{where}"
        g = r.choice(cols)
        hv = f" HAVING {b([g], 1)}" if r.random() < 0.4 else ""
        return f"SELECT {r.choice(['', 'DISTINCT '])}{r.choice(['', '- ', '+ '])}{g}, {agg()} FROM {frm}{where} GROUP BY {g}{hv}"

    for _ in range(queries):
        q = query()
        try:
            cur = db.execute(q); rows = cur.fetchall()
        except (sqlite3.Error, OverflowError):
            continue
        out.append(record(q, cur.description, rows))
    return "\n".join(out)


def record(q, description, rows):
    ncol = len(description)
    types = ""
    for i in range(ncol):
        vals = [row[i] for row in rows if row[i] is not None]
        if vals and all(isinstance(v, int) for v in vals): types += "I"
        elif vals and all(isinstance(v, (int, float)) for v in vals): types += "R"
        else: types += "T"
    ordered = " ORDER BY " in q.upper().rsplit(")", 1)[-1]
    rendered = []
    for row in rows:
        rr = []
        for v, t in zip(row, types):
            if v is None: rr.append("NULL")
            elif t == "I": rr.append(str(v))
            elif t == "R": rr.append("%.3f" % v)
            else:
                s = v if isinstance(v, str) else (repr(v) if isinstance(v, float) else str(v))
                if isinstance(v, float) and v == int(v) and abs(v) < 1e15: s = "%.1f" % v
                rr.append(s or "(empty)")
        rendered.append(rr)
    if not ordered: rendered.sort()
    values = [v for row in rendered for v in row]
    if len(values) > 8:
        import hashlib
        body = f"{len(values)} values hashing to " + hashlib.md5("".join(v + "\n" for v in values).encode()).hexdigest()
    else:
        body = "\n".join(values)
    return f"query {types} {'nosort' if ordered else 'rowsort'}\n{q}\n----\n{body}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="1-30")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--big", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--rows", type=int, default=None, help="rows per table (overrides --big)")
    ap.add_argument("--shape", choices=["index", "random"], default="index",
                    help="index: tab0..tab4 of 7 columns under indexes; random: random/*'s three small tables")
    a = ap.parse_args()
    lo, _, hi = a.seeds.partition("-")
    os.makedirs(a.out, exist_ok=True)
    big = None if a.big == "auto" else a.big == "yes"
    for seed in range(int(lo), int(hi or lo) + 1):
        with open(os.path.join(a.out, f"probe_{a.shape}_{seed}.test"), "w") as f:
            f.write(generate(seed, a.queries, big, a.rows) if a.shape == "index" else generate_random(seed, a.queries))


if __name__ == "__main__":
    main()
