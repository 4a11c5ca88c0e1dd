#!/usr/bin/env python3
"""Cost of a distributed (two-shard) transaction against a one-shard one, in the same run.

Makes a 4-shard cluster with a sharded `accounts` table, finds which shard holds each account
(by reading the shard files), then times N transfers whose two accounts share a shard and N
whose accounts sit on two shards, each as one `limitless sql -f` run, alternating, --runs times.
The sqlite3 shell (WAL, synchronous=FULL) runs the same transfers on one file as the yardstick.

  bench/txn_cost.py [--bin PATH] [--n 300] [--runs 5] [--callgrind]

Prints ms per transaction (median wall time, and CPU time: the wall time here is mostly fsync,
which is noisy on a shared disk) for 1-shard, 2-shard and sqlite3, the 2-shard overhead over
1-shard in %, and with --callgrind the instruction counts of both runs (and their difference
per transaction).
"""
import argparse, os, random, shutil, sqlite3, statistics, subprocess, sys, tempfile, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/limitless")
    ap.add_argument("--n", type=int, default=300, help="transfers per run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--callgrind", action="store_true", help="also count instructions (slow)")
    ap.add_argument("--strace", action="store_true", help="also count system calls per transaction")
    a = ap.parse_args()
    binp = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="limitless-txncost-")
    home = os.path.join(tmp, "home")
    env = dict(os.environ, LIMITLESS_HOME=home, NO_COLOR="1")

    def cli(*argv, stdin=None):
        p = subprocess.run([binp, *argv], env=env, capture_output=True, text=True, input=stdin)
        if p.returncode != 0:
            raise SystemExit("limitless %s failed:\n%s" % (" ".join(argv[:3]), p.stderr[-800:]))
        return p.stdout

    try:
        cli("create-db-cluster", "--db-cluster-identifier", "bench", "--engine", "aurora-postgresql",
            "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless",
            "--master-username", "bench", "--master-user-password", "benchpassword")
        cli("create-db-shard-group", "--db-shard-group-identifier", "bench-sg",
            "--db-cluster-identifier", "bench", "--max-acu", "600")
        rows = ",".join("(%d, 1000000)" % i for i in range(a.accounts))
        cli("sql", "--db-cluster-identifier", "bench", "--quiet", "-c",
            "SET rds_aurora.limitless_create_table_mode = 'sharded';"
            "SET rds_aurora.limitless_create_table_shard_key = '{\"acct\"}';"
            "CREATE TABLE accounts (acct INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));"
            "INSERT INTO accounts VALUES %s;" % rows)
        shard_of = {}
        for root, _, files in os.walk(home):
            for f in files:
                if f.startswith("shard-") and f.endswith(".db"):
                    c = sqlite3.connect(os.path.join(root, f))
                    for (acct,) in c.execute("SELECT acct FROM accounts"):
                        shard_of[acct] = f
                    c.close()
        assert len(shard_of) == a.accounts, "could not find every account's shard"
        by_shard = {}
        for acct, f in shard_of.items():
            by_shard.setdefault(f, []).append(acct)
        r = random.Random(6)
        same, cross = [], []
        shards = sorted(by_shard)
        for _ in range(a.n):
            s = r.choice(shards)
            x, y = r.sample(by_shard[s], 2)
            same.append((x, y))
            s1, s2 = r.sample(shards, 2)
            cross.append((r.choice(by_shard[s1]), r.choice(by_shard[s2])))

        def script(pairs):
            return "".join("BEGIN;\nUPDATE accounts SET balance = balance - 1 WHERE acct = %d;\n"
                           "UPDATE accounts SET balance = balance + 1 WHERE acct = %d;\nCOMMIT;\n" % p
                           for p in pairs)

        paths = {}
        for name, pairs in (("one-shard", same), ("two-shard", cross)):
            paths[name] = os.path.join(tmp, name + ".sql")
            with open(paths[name], "w") as f:
                f.write(script(pairs))
        plain = os.path.join(tmp, "plain.db")
        c = sqlite3.connect(plain)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE accounts (acct INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))")
        c.executemany("INSERT INTO accounts VALUES (?, 1000000)", [(i,) for i in range(a.accounts)])
        c.commit()
        c.close()
        paths["sqlite3"] = os.path.join(tmp, "sqlite3.sql")
        with open(paths["sqlite3"], "w") as f:
            f.write("PRAGMA synchronous=FULL;\n" + script(cross))

        def argv(name):
            if name == "sqlite3":
                return ["sqlite3", plain]
            return [binp, "sql", "--db-cluster-identifier", "bench", "--quiet", "-f", paths[name]]

        cpu = {k: [] for k in ("one-shard", "two-shard", "sqlite3")}

        def run(name, prefix=()):
            stdin = open(paths[name]) if name == "sqlite3" else subprocess.DEVNULL
            t = time.perf_counter()
            before = os.times()
            p = subprocess.run([*prefix, *argv(name)], env=env, stdin=stdin, capture_output=True, text=True)
            wall = time.perf_counter() - t
            after = os.times()
            if not prefix:
                cpu[name].append((after.children_user - before.children_user) + (after.children_system - before.children_system))
            if name == "sqlite3":
                stdin.close()
            if p.returncode != 0:
                raise SystemExit("%s run failed:\n%s" % (name, p.stderr[-800:]))
            return wall, p.stderr

        times = {k: [] for k in ("one-shard", "two-shard", "sqlite3")}
        for _ in range(a.runs):
            for k in times:
                times[k].append(run(k)[0])
        ms = {k: statistics.median(v) * 1000 / a.n for k, v in times.items()}
        print("transfers per run %d, runs %d (median)" % (a.n, a.runs))
        for k in times:
            print("  %-10s %7.3f ms/txn   (runs: %s)" % (k, ms[k], " ".join("%.2f" % (t * 1000 / a.n) for t in times[k])))
        print("  two-shard overhead over one-shard: %+.0f%%" % ((ms["two-shard"] / ms["one-shard"] - 1) * 100))
        cms = {k: statistics.median(v) * 1000 / a.n for k, v in cpu.items()}
        print("  CPU (user+sys) ms/txn: one-shard %.3f, two-shard %.3f (%+.0f%%), sqlite3 %.3f" % (
            cms["one-shard"], cms["two-shard"], (cms["two-shard"] / cms["one-shard"] - 1) * 100, cms["sqlite3"]))
        print("  two-shard / sqlite3: %.2f   one-shard / sqlite3: %.2f" % (ms["two-shard"] / ms["sqlite3"], ms["one-shard"] / ms["sqlite3"]))
        if a.callgrind:
            counts = {}
            for k in ("one-shard", "two-shard"):
                out = os.path.join(tmp, "cg-%s.out" % k)
                _, err = run(k, ("valgrind", "--tool=callgrind", "--callgrind-out-file=" + out))
                ir = [l for l in err.splitlines() if "Collected" in l]
                counts[k] = int(ir[-1].split()[-1]) if ir else 0
                shutil.copy(out, os.path.join(tempfile.gettempdir(), "callgrind.%s.out" % k))
            print("  instructions: one-shard %d, two-shard %d; per transaction %.0f vs %.0f (%+.0f%%)" % (
                counts["one-shard"], counts["two-shard"], counts["one-shard"] / a.n, counts["two-shard"] / a.n,
                (counts["two-shard"] / counts["one-shard"] - 1) * 100))
            print("  callgrind files: %s/callgrind.{one,two}-shard.out" % tempfile.gettempdir())
        if a.strace:
            for k in ("one-shard", "two-shard"):
                out = os.path.join(tmp, "st-%s.out" % k)
                run(k, ("strace", "-f", "-c", "-o", out))
                print("  system calls per transaction, %s:" % k)
                for line in open(out).read().splitlines()[2:]:
                    f = line.split()
                    if len(f) >= 5 and f[3].isdigit() and int(f[3]) >= a.n // 2:
                        print("    %-16s %6.2f" % (f[-1], int(f[3]) / a.n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
