#!/usr/bin/env python3
"""Writes sqllogictest files of queries whose answer depends on the order one SQLite database reads
rows in: group_concat (over joins, grouped, correlated), LIMIT without an ORDER BY that fixes every
row (in subqueries, CTEs, over joins, with DISTINCT and GROUP BY), window functions, columns beside
aggregates, DISTINCT and GROUP BY over NOCASE text. Three small tables with random indexes; the
expected results come from the sqlite3 module (one database). Run them with slt.py:

  python3 Tests/Conformance/read_order_gen.py --out /tmp/ro --seeds 1-40 [--schema nocase]
  python3 Tests/Conformance/slt.py --bin .build/debug/limitless --placement sharded /tmp/ro/*.test

Every record is `rowsort`: the row order of a result without ORDER BY may differ, its values not.
The read_order_*.test files under Tests/Corpus/sqllogictest/extra came from earlier, smaller query
sets of this script.
"""
import argparse, os, random, sqlite3

SCHEMAS = {
    # An INTEGER PRIMARY KEY (the rowid), integers and BINARY text.
    "alias": "CREATE TABLE {t}(pk INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)",
    # A key that is not the rowid, reals, and text compared NOCASE.
    "nocase": "CREATE TABLE {t}(pk INT PRIMARY KEY, a INTEGER, b REAL, c TEXT COLLATE NOCASE)",
}
TABLES = ["t1", "t2", "t3"]
COLS = ["a", "b", "c"]


def generate(seed, schema, queries=40):
    r = random.Random(seed)
    db = sqlite3.connect(":memory:")
    recs = []

    def stmt(sql):
        db.execute(sql)
        recs.append("statement ok\n" + sql + "\n")

    for t in TABLES:
        stmt(SCHEMAS[schema].format(t=t))
        for k in range(r.randint(0, 2)):
            cols = [c + (" DESC" if r.random() < 0.3 else "") for c in r.sample(COLS, r.randint(1, 2))]
            stmt(f"CREATE INDEX {t}_i{k} ON {t}({', '.join(cols)})")
        rows = []
        for pk in r.sample(range(1, 60), r.randint(5, 25)):
            a = r.choice([None] + list(range(6)))
            c = r.choice(["x", "y", "z", "w", "X"]) + str(r.randint(0, 3))
            rows.append(f"({pk}, {'NULL' if a is None else a}, {r.randint(0, 9)}, '{c}')")
        stmt(f"INSERT INTO {t} VALUES " + ", ".join(rows))

    def pred(al):
        c = r.choice(COLS)
        op = r.choice(["=", ">", "<", ">=", "<=", "IS NOT NULL", "BETWEEN"])
        if op == "IS NOT NULL":
            return f"{al}.{c} IS NOT NULL"
        v = r.randint(0, 6) if c != "c" else "'" + r.choice("xyzw") + "'"
        if op == "BETWEEN":
            return f"{al}.{c} BETWEEN {v} AND {v if c == 'c' else v + 3}"
        return f"{al}.{c} {op} {v}"

    def query():
        t1, t2 = r.sample(TABLES, 2)
        c1, c2 = r.choice(COLS), r.choice(COLS)
        shapes = [
            lambda: f"SELECT group_concat(x.c || x.pk) FROM {t1} x WHERE {pred('x')}",
            lambda: f"SELECT x.a, group_concat(x.pk) FROM {t1} x WHERE {pred('x')} GROUP BY x.a",
            lambda: f"SELECT x.pk, y.pk FROM {t1} x JOIN {t2} y ON x.{c1} = y.{c2} WHERE {pred('x')}",
            lambda: f"SELECT y.pk, (SELECT x.pk FROM {t1} x WHERE {pred('x')} AND x.b > y.b LIMIT 1) FROM {t2} y",
            lambda: f"SELECT s.pk, y.c FROM (SELECT pk, b FROM {t1} x WHERE {pred('x')} LIMIT {r.randint(1, 5)}) s JOIN {t2} y ON y.b = s.b",
            lambda: f"SELECT y.b, group_concat(x.pk) FROM {t1} x JOIN {t2} y ON x.a = y.a GROUP BY y.b",
            lambda: f"SELECT DISTINCT x.{c1} FROM {t1} x, {t2} y WHERE x.b = y.b AND {pred('y')}",
            lambda: f"SELECT x.pk, x.c FROM {t1} x WHERE {pred('x')} AND x.pk IN (SELECT y.pk FROM {t2} y WHERE {pred('y')})",
            lambda: f"SELECT x.pk, y.c FROM {t1} x LEFT JOIN {t2} y ON y.a = x.b AND {pred('y')} LIMIT {r.randint(1, 8)}",
            lambda: f"SELECT x.pk, row_number() OVER (), sum(x.b) OVER (PARTITION BY x.a) FROM {t1} x WHERE {pred('x')}",
            lambda: f"WITH w AS (SELECT x.a, x.c FROM {t1} x WHERE {pred('x')} LIMIT 6) SELECT a, group_concat(c, '|') FROM w GROUP BY a",
            lambda: f"SELECT pk FROM {t1} WHERE b > 2 UNION ALL SELECT * FROM (SELECT pk FROM {t2} x WHERE {pred('x')} LIMIT 3)",
            lambda: f"SELECT x.a, x.c, max(x.b) FROM {t1} x JOIN {t2} y ON y.b = x.b GROUP BY x.a",
            lambda: f"SELECT x.a, x.c FROM {t1} x, {t2} y WHERE x.pk = y.a GROUP BY x.a",
            lambda: f"SELECT x.{c1}, count(*) FROM {t1} x GROUP BY 1 LIMIT {r.randint(1, 4)}",
            lambda: f"SELECT DISTINCT x.{c1} FROM {t1} x WHERE {pred('x')} LIMIT {r.randint(1, 4)}",
            lambda: f"SELECT x.{c1}, x.pk FROM {t1} x ORDER BY 1 {r.choice(['', 'DESC'])} LIMIT {r.randint(1, 6)}",
            lambda: f"SELECT x.c FROM {t1} x WHERE {pred('x')} ORDER BY x.a DESC LIMIT {r.randint(1, 6)} OFFSET {r.randint(0, 2)}",
            lambda: f"SELECT x.pk, y.pk FROM {t1} x JOIN {t2} y ON x.b = y.b ORDER BY x.b LIMIT {r.randint(1, 8)}",
            lambda: f"SELECT x.a, x.c FROM {t1} x GROUP BY x.a",
            lambda: f"SELECT x.a, sum(x.b), x.c FROM {t1} x WHERE {pred('x')} GROUP BY x.a HAVING count(*) > 1",
            lambda: f"SELECT x.pk, group_concat(y.pk) FROM {t1} x JOIN {t2} y ON y.{c1} >= x.{c2} GROUP BY x.pk",
            lambda: f"SELECT x.pk, y.c, max(y.b) FROM {t1} x JOIN {t2} y ON y.a = x.a GROUP BY x.pk",
            lambda: f"SELECT x.pk, (SELECT group_concat(y.c) FROM {t2} y WHERE {pred('y')} AND y.b <= x.b) FROM {t1} x",
            lambda: f"SELECT x.c, count(*) FROM {t1} x WHERE {pred('x')} GROUP BY x.c",
            lambda: f"SELECT y.c, sum(x.b) FROM {t1} x JOIN {t2} y ON y.a = x.a GROUP BY y.c",
            lambda: f"SELECT DISTINCT x.c FROM {t1} x WHERE {pred('x')}",
            lambda: f"SELECT DISTINCT x.c, x.a FROM {t1} x",
        ]
        return r.choice(shapes)()

    for _ in range(queries):
        q = query()
        cur = db.execute(q)
        rows = cur.fetchall()
        rendered = sorted([["NULL" if v is None else ("(empty)" if v == "" else str(v)) for v in row] for row in rows])
        n = len(cur.description)
        recs.append(f"query {'T' * n} rowsort\n{q}\n----\n" + "\n".join(v for row in rendered for v in row) + "\n")
    return "hash-threshold 10000\n\n" + "\n".join(recs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder for the .test files")
    ap.add_argument("--seeds", default="1-40", help="a range like 1-40")
    ap.add_argument("--schema", choices=sorted(SCHEMAS), default="alias")
    a = ap.parse_args()
    lo, _, hi = a.seeds.partition("-")
    os.makedirs(a.out, exist_ok=True)
    for seed in range(int(lo), int(hi or lo) + 1):
        with open(os.path.join(a.out, f"read_order_{a.schema}_{seed}.test"), "w") as f:
            f.write(generate(seed, a.schema))


if __name__ == "__main__":
    main()
