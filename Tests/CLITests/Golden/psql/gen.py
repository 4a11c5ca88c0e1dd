#!/usr/bin/env python3
"""Records how PostgreSQL's own client prints query results, for the `limitless sql` formats.

Needs a PostgreSQL server reachable by psql (these came from psql/PostgreSQL 15.18, UTF8 database):
    python3 gen.py [psql connection options...]      e.g.  python3 gen.py -h /tmp/pg -p 5439 -U postgres
Writes ../psql-formats.json: {"cases": [{"name", "columns", "rows", "aligned", "csv", "tsv"}]} where
rows hold cells as null | {"i": int} | {"r": "float text"} | {"t": text} | {"b": "hex"}, and
  aligned = `psql -c` default output (aligned, border 1, footer, blank line),
  csv     = `psql --csv -c` output,
  tsv     = COPY (query) TO STDOUT WITH (FORMAT text, HEADER true).
Every column holds one type (plus NULLs), as PostgreSQL requires.
"""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
PSQL = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + sys.argv[1:]

def i(v): return {"i": v}
def r(v): return {"r": v}
def t(v): return {"t": v}
def b(v): return {"b": v}

CASES = [
    ("basic", ["a", "b"], [[i(1), t("x")], [None, t("y")], [i(-12345), None]]),
    ("one-row", ["n"], [[i(42)]]),
    ("no-rows", ["id", "name"], []),
    ("no-columns-one-row", [], [[]]),
    ("no-columns-no-rows", [], []),
    ("floats", ["f"], [[r(x)] for x in ["2.5", "1e+20", "1e+15", "123456789012345.0", "0.0001", "1e-05", "1000.0",
                                       "-0.0", "nan", "inf", "-inf", "1.5e-07", "0.1", "1e+16", "0.3333333333333333",
                                       "5e-324", "1.7976931348623157e+308", "-2.5e-300", "100000000000000.0",
                                       "999999999999999.9", "12345.678"]]),
    ("integers", ["small", "big"], [[i(0), i(9223372036854775807)], [i(-1), i(-9223372036854775808)], [None, i(7)]]),
    ("numbers-last-with-null", ["name", "score"], [[t("alpha"), i(10)], [t("b"), None], [t("gamma"), i(1000)]]),
    ("multiline", ["n", "u", "v"], [[i(1), t("a\nbbb"), t("z")], [i(2), t("a\n"), t("\nb")], [i(3), t("x\n\ny"), t("last\nline\n")]]),
    ("multiline-last", ["u"], [[t("a\nbbb")], [t("line1\nline2 longer")], [t("")], [None]]),
    ("crlf", ["t"], [[t("one\r\ntwo")]]),
    ("controls", ["t", "c", "r", "bs"], [[t("a\tb"), t("x\x01y\x7fz"), t("cr\rx"), t("back\\slash")],
                                         [t("\tlead"), t("\x0b\x0c\x08"), t("\u0085c1"), t("tab\tin\tmiddle")]]),
    ("wide", ["w", "e", "mix"], [[t("データ"), t("é"), t("a😀b")], [t("x"), t("e\u0301"), t("\u00a0nbsp")],
                                 [t("漢字テキスト"), t("ñ"), t("中")]]),
    ("headers", ["wider header", "h", "a,b", "quote\"d"], [[t("x"), i(3), t("1"), t("2")]]),
    ("multiline-header", ["a\nlong", "b"], [[i(1), i(22)]]),
    ("duplicate-names", ["a", "a"], [[i(1), i(2)]]),
    ("bytea", ["blob", "empty"], [[b("0a1b"), b("")], [b("deadbeef00ff"), None]]),
    ("csv-quoting", ["v"], [[t("x,y")], [t("q\"q")], [t("l\nm")], [t(" sp ")], [t("\\.")], [t("")], [None],
                            [t("cr\rx")], [t("tab\tt")], [t("naïve")], [t("\"")], [t(",")], [t("a\\.")]]),
    ("many-rows", ["k", "sq"], [[i(k), i(k * k)] for k in range(1, 13)]),
    ("numbers-last-multiline", ["note", "n", "m"], [[t("two\nlines"), i(1), i(-7)], [t("three\nline\ncell"), None, i(123456)]]),
    ("multiline-header-last", ["id", "long\nname"], [[i(1), t("v")], [i(22), t("a\nb")]]),
    ("empty-strings", ["a", "b", "c"], [[t(""), t(""), t("")], [None, None, None]]),
]


def sql_text(s):
    out = "E'"
    for ch in s:
        o = ord(ch)
        if ch == "\\": out += "\\\\"
        elif ch == "'": out += "''"
        elif o < 0x20 or o == 0x7f: out += "\\x%02x" % o
        else: out += ch
    return out + "'"


def sql_cell(cell, kind):
    if cell is None:
        return "NULL::" + kind
    if "i" in cell: return "(%d)::int8" % cell["i"]
    if "r" in cell:
        v = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(cell["r"], cell["r"])
        return "'%s'::float8" % v
    if "t" in cell: return sql_text(cell["t"]) + "::text"
    if "b" in cell: return "'\\x%s'::bytea" % cell["b"]


def kind_of(rows, c):
    for row in rows:
        cell = row[c]
        if cell is not None:
            return {"i": "int8", "r": "float8", "t": "text", "b": "bytea"}[next(iter(cell))]
    return "text"


def query(columns, rows):
    if not columns:
        return "select" if rows else "select where false"
    kinds = [kind_of(rows, c) for c in range(len(columns))]
    names = ", ".join('"%s"' % n.replace('"', '""') for n in columns)
    body = rows if rows else [[None] * len(columns)]
    values = ", ".join("(" + ", ".join(sql_cell(cell, kinds[c]) for c, cell in enumerate(row)) + ")" for row in body)
    q = "select * from (values %s) as t(%s)" % (values, names)
    return q if rows else q + " where false"


def run(args):
    return subprocess.run(PSQL + args, stdout=subprocess.PIPE, check=True).stdout.decode()


def main():
    out = []
    for name, columns, rows in CASES:
        q = query(columns, rows)
        case = {"name": name, "columns": columns, "rows": rows,
                "aligned": run(["-c", q]), "csv": run(["--csv", "-c", q])}
        if columns:
            case["tsv"] = run(["-c", "copy (%s) to stdout with (format text, header true)" % q])
        out.append(case)
    with open(os.path.join(HERE, "..", "psql-formats.json"), "w") as f:
        json.dump({"generator": "Tests/CLITests/Golden/psql/gen.py", "cases": out}, f, indent=4, ensure_ascii=False)
        f.write("\n")
    print(len(out), "cases")


main()
