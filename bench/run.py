#!/usr/bin/env python3
"""limitless benchmarks: each workload timed on limitless and on the sqlite3 shell over one file.

Both sides run the same SQL text in the same invocation; the ratio is limitless / sqlite3 of the
median wall time over --runs runs. Data is generated deterministically and loaded untimed.
Writes are equally durable on both sides (sqlite3 in WAL mode with synchronous=FULL).

  bench/run.py [--bin PATH] [--scale F] [--shards N] [--runs N] [--only W1,W3] [--scaling]

Prints one table and writes bench/results/results.md and bench/results/ratios.svg.
"""
import argparse, os, random, shutil, statistics, subprocess, sys, tempfile, time

# Shard count -> the smallest --max-acu that gives it (the documented MaxACU table).
MAX_ACU = {2: 400, 3: 500, 4: 600, 5: 800, 6: 900, 7: 1100, 8: 1200, 9: 1400, 10: 1500,
           11: 1700, 12: 1800, 13: 2000, 14: 2100, 15: 2300, 16: 2400}

TARGETS = {"W1": 1.2, "W2": 1.3, "W3": 0.6, "W4": 0.6, "W5": 1.5, "W6": 1.5, "W7": 3.0}


def measure(argv, stdin_path=None, env=None):
    """Runs argv once; returns (wall seconds, peak RSS in MiB). Output is discarded.

    The peak comes from GNU time (`%M`), which reads the exec'd program's own rusage: a child
    forked from this Python process would otherwise report Python's pages as its peak."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fd, mem_path = tempfile.mkstemp(prefix="limitless-bench-mem-")
    os.close(fd)
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-o", mem_path, "-f", "%M", *argv], stdin=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    if stdin_path:
        stdin.close()
    with open(mem_path) as f:
        lines = [l for l in f.read().split("\n") if l.strip()]
    os.remove(mem_path)
    if p.returncode != 0:
        raise SystemExit("benchmark command failed: %s\n%s" % (" ".join(argv[:4]), p.stderr.decode(errors="replace")[-800:]))
    return wall, int(lines[-1]) / 1024.0


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.tmp = tempfile.mkdtemp(prefix="limitless-bench-")
        self.home = os.path.join(self.tmp, "home")
        self.env = dict(os.environ, LIMITLESS_HOME=self.home, NO_COLOR="1")
        self.db = os.path.join(self.tmp, "single.db")
        self.rng = random.Random(20261126)
        self.scale = args.scale

    def n(self, count):
        return max(10, int(count * self.scale))

    def cli(self, *argv):
        p = subprocess.run([self.bin, *argv], env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("setup failed: limitless %s\n%s" % (" ".join(argv[:3]), p.stderr[-800:]))

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def setup(self, shards):
        shutil.rmtree(self.home, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        self.cli("create-db-cluster", "--db-cluster-identifier", "bench", "--engine", "aurora-postgresql",
                 "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless",
                 "--master-username", "bench", "--master-user-password", "benchpassword")
        self.cli("create-db-shard-group", "--db-shard-group-identifier", "bench-sg",
                 "--db-cluster-identifier", "bench", "--max-acu", str(MAX_ACU[shards]))
        subprocess.run(["sqlite3", self.db, "PRAGMA journal_mode=WAL;"], check=True, capture_output=True)
        self.load()

    # -- data ---------------------------------------------------------------------------------
    def load(self):
        """The same rows on both sides: DDL with Limitless SETs for limitless, plain for sqlite3."""
        r = self.rng
        self.n_kv, self.n_cust, self.n_orders, self.n_products, self.n_facts, self.n_acct = (
            self.n(100_000), self.n(50_000), self.n(500_000), self.n(20_000), self.n(1_000_000), self.n(10_000))
        ddl = [
            ("sharded", '{"k"}', None, "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT, n INTEGER)"),
            ("sharded", '{"cust_id"}', None,
             "CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, name TEXT, region INTEGER)"),
            ("sharded", '{"cust_id"}', "customers",
             "CREATE TABLE orders (order_id INTEGER, cust_id INTEGER, product_id INTEGER, qty INTEGER, "
             "amount REAL, PRIMARY KEY (cust_id, order_id))"),
            ("sharded", '{"product_id"}', None,
             "CREATE TABLE products (product_id INTEGER PRIMARY KEY, category INTEGER, price REAL)"),
            ("sharded", '{"id"}', None,
             "CREATE TABLE facts (id INTEGER PRIMARY KEY, grp INTEGER, x INTEGER, y REAL)"),
            ("sharded", '{"acct"}', None,
             "CREATE TABLE accounts (acct INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))"),
        ]
        lim, plain = [], []
        for mode, key, colloc, sql in ddl:
            lim.append("SET rds_aurora.limitless_create_table_mode = '%s';" % mode)
            lim.append("SET rds_aurora.limitless_create_table_shard_key = '%s';" % key)
            lim.append("SET rds_aurora.limitless_create_table_collocate_with = '%s';" % (colloc or ""))
            lim.append(sql + ";")
            plain.append(sql + ";")
        rows = []

        def batch(table, cols, gen, count):
            buf = []
            for i in range(count):
                buf.append("(" + ",".join(gen(i)) + ")")
                if len(buf) == 1000:
                    rows.append("INSERT INTO %s (%s) VALUES %s;" % (table, cols, ",".join(buf)))
                    buf = []
            if buf:
                rows.append("INSERT INTO %s (%s) VALUES %s;" % (table, cols, ",".join(buf)))

        batch("kv", "k,v,n", lambda i: (str(i), "'v%d'" % r.randrange(10**6), str(r.randrange(1000))), self.n_kv)
        batch("customers", "cust_id,name,region",
              lambda i: (str(i), "'c%d'" % i, str(r.randrange(50))), self.n_cust)
        batch("orders", "order_id,cust_id,product_id,qty,amount",
              lambda i: (str(i), str(r.randrange(self.n_cust)), str(r.randrange(self.n_products)),
                         str(r.randrange(1, 10)), "%.2f" % (r.random() * 100)), self.n_orders)
        batch("products", "product_id,category,price",
              lambda i: (str(i), str(r.randrange(100)), "%.2f" % (r.random() * 50)), self.n_products)
        batch("facts", "id,grp,x,y",
              lambda i: (str(i), str(r.randrange(100)), str(r.randrange(10**6)), "%.3f" % r.random()), self.n_facts)
        batch("accounts", "acct,balance", lambda i: (str(i), "1000000"), self.n_acct)
        body = "BEGIN;\n" + "\n".join(rows) + "\nCOMMIT;\n"
        lim_path = self.write("load-limitless.sql", "\n".join(lim) + "\n" + body)
        plain_path = self.write("load-sqlite.sql", "\n".join(plain) + "\n" + body)
        p = subprocess.run([self.bin, "sql", "--db-cluster-identifier", "bench", "--quiet", "-f", lim_path],
                           env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("loading limitless failed:\n" + p.stderr[-800:])
        subprocess.run(["sqlite3", self.db], stdin=open(plain_path), check=True, capture_output=True)

    # -- workloads ----------------------------------------------------------------------------
    def workloads(self):
        r = random.Random(7)
        w = {}
        w["W1"] = ("20k point SELECTs by shard key on a %d-row table" % self.n_kv,
                   "".join("SELECT v, n FROM kv WHERE k = %d;\n" % r.randrange(self.n_kv)
                           for _ in range(self.n(20_000))))
        start = 10_000_000
        stmts, count = [], self.n(200_000)
        for b in range(0, count, 500):
            vals = ",".join("(%d,'w%d',%d)" % (start + i, i, i % 1000) for i in range(b, min(b + 500, count)))
            stmts.append("INSERT INTO kv (k, v, n) VALUES %s;" % vals)
        w["W2"] = ("bulk load of %d rows, 500-row INSERTs in one transaction" % count,
                   "BEGIN;\n" + "\n".join(stmts) + "\nCOMMIT;\nDELETE FROM kv WHERE k >= %d;\n" % start)
        w["W3"] = ("GROUP BY with count/sum/avg/min/max over %d rows" % self.n_facts,
                   "SELECT grp, count(*), sum(x), avg(y), min(x), max(y) FROM facts GROUP BY grp;\n")
        w["W4"] = ("collocated join customers (%d) x orders (%d) + GROUP BY" % (self.n_cust, self.n_orders),
                   "SELECT c.region, count(*), sum(o.amount) FROM customers c JOIN orders o "
                   "ON o.cust_id = c.cust_id GROUP BY c.region;\n")
        w["W5"] = ("non-collocated join orders (%d) x products (%d) + GROUP BY" % (self.n_orders, self.n_products),
                   "SELECT p.category, count(*), sum(o.qty * p.price) FROM orders o JOIN products p "
                   "ON p.product_id = o.product_id GROUP BY p.category;\n")
        tx = []
        for _ in range(self.n(2_000)):
            a, b = r.randrange(self.n_acct), r.randrange(self.n_acct)
            tx.append("BEGIN;\nUPDATE accounts SET balance = balance - 1 WHERE acct = %d;\n"
                      "UPDATE accounts SET balance = balance + 1 WHERE acct = %d;\nCOMMIT;\n" % (a, b))
        w["W6"] = ("%d two-shard transfer transactions, durable" % self.n(2_000), "".join(tx))
        w["W7"] = ("process start: SELECT 1", None)
        return w

    def run_one(self, wid, sql):
        """Median wall and peak memory of limitless and of sqlite3 on the same workload."""
        lim, sq = [], []
        if wid == "W7":
            lim_argv = [self.bin, "sql", "--db-cluster-identifier", "bench", "-c", "SELECT 1"]
            sq_argv = ["sqlite3", self.db, "SELECT 1"]
            lim_in = sq_in = None
        else:
            lim_in = self.write(wid + "-limitless.sql", sql)
            # The sqlite3 shell: same statements, same durability.
            sq_in = self.write(wid + "-sqlite.sql", "PRAGMA synchronous=FULL;\n" + sql)
            lim_argv = [self.bin, "sql", "--db-cluster-identifier", "bench", "--output", "csv", "-f", lim_in]
            sq_argv = ["sqlite3", "-csv", self.db]
        for _ in range(self.args.runs):
            lim.append(measure(lim_argv, None, self.env))
            sq.append(measure(sq_argv, sq_in if wid != "W7" else None))
        lt = statistics.median(x[0] for x in lim)
        st = statistics.median(x[0] for x in sq)
        return lt, max(x[1] for x in lim), st, max(x[1] for x in sq)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def svg(results, path):
    """A horizontal bar chart of the ratios, with each target marked."""
    width, bar_h, gap, left = 640, 22, 10, 60
    top = 30
    height = top + len(results) * (bar_h + gap) + 20
    peak = max([r["ratio"] for r in results] + [TARGETS[r["id"]] for r in results] + [1.0]) * 1.1
    scale = (width - left - 80) / peak
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (width, height),
           '<text x="%d" y="18">limitless / sqlite3 wall time (lower is better; | = target)</text>' % left]
    for i, r in enumerate(results):
        y = top + i * (bar_h + gap)
        ok = r["ratio"] <= TARGETS[r["id"]]
        out.append('<text x="10" y="%d">%s</text>' % (y + 15, r["id"]))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
            left, y, r["ratio"] * scale, bar_h, "#3a7" if ok else "#c44"))
        tx = left + TARGETS[r["id"]] * scale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2"/>' % (
            tx, y - 2, tx, y + bar_h + 2))
        out.append('<text x="%.1f" y="%d">%.2f</text>' % (left + r["ratio"] * scale + 6, y + 15, r["ratio"]))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=".build/release/limitless")
    ap.add_argument("--scale", type=float, default=1.0, help="row counts times this (default 1.0)")
    ap.add_argument("--shards", type=int, default=4, choices=sorted(MAX_ACU))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated workload ids")
    ap.add_argument("--scaling", action="store_true", help="also run W3-W5 at 2, 4, 8 and 16 shards")
    ap.add_argument("--out", default="bench/results")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    os.makedirs(a.out, exist_ok=True)
    b = Bench(a)
    results = []
    try:
        b.setup(a.shards)
        for wid, (title, sql) in b.workloads().items():
            if only and wid not in only:
                continue
            lt, lm, st, sm = b.run_one(wid, sql)
            results.append(dict(id=wid, title=title, lt=lt, lm=lm, st=st, sm=sm, ratio=lt / st))
            print("%s  %-62s limitless %8.3fs %7.1f MiB   sqlite3 %8.3fs %7.1f MiB   ratio %5.2f (target <= %.1f)"
                  % (wid, title[:62], lt, lm, st, sm, lt / st, TARGETS[wid]), flush=True)
        scaling = []
        if a.scaling:
            for shards in (2, 4, 8, 16):
                b.setup(shards)
                row = [shards]
                for wid, (title, sql) in b.workloads().items():
                    if wid in ("W3", "W4", "W5"):
                        lt, _, st, _ = b.run_one(wid, sql)
                        row.append(lt / st)
                scaling.append(row)
    finally:
        b.close()
    lines = ["| id | workload | limitless (s) | peak MiB | sqlite3 (s) | peak MiB | ratio | target |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| %s | %s | %.3f | %.1f | %.3f | %.1f | %.2f | <= %.1f |" % (
            r["id"], r["title"], r["lt"], r["lm"], r["st"], r["sm"], r["ratio"], TARGETS[r["id"]]))
    if scaling:
        lines += ["", "| shards | W3 ratio | W4 ratio | W5 ratio |", "|---|---|---|---|"]
        lines += ["| %d | %.2f | %.2f | %.2f |" % tuple(row) for row in scaling]
    lines += ["", "scale %.2f, %d shards, median of %d runs, %s, %d cores" % (
        a.scale, a.shards, a.runs, os.uname().machine, os.cpu_count())]
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if results:
        svg(results, os.path.join(a.out, "ratios.svg"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
