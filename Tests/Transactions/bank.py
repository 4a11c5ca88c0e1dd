#!/usr/bin/env python3
"""The bank test: money moves between accounts on different shards while writer processes are
killed with SIGKILL at random moments and restarted, and readers sum every balance meanwhile.

Afterwards: the total is unchanged; each balance equals its start plus the logged transfers in
minus out; every COMMIT that was acknowledged is in the log; every read saw the exact total.

  bank.py --bin PATH [--seconds 15] [--writers 6] [--readers 2] [--seed N]
Exit status 0 when every check holds. Bounded in time: it stops by itself.
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, tempfile, threading, time

ACCOUNTS, START = 40, 1000


class Cluster:
    def __init__(self, binary):
        self.bin = binary
        self.home = tempfile.mkdtemp(prefix="limitless-bank-")
        self.env = dict(os.environ, LIMITLESS_HOME=self.home, NO_COLOR="1")
        self.env.pop("LIMITLESS_FAULT", None)

    def cli(self, *args, stdin=None):
        p = subprocess.run([self.bin, *args], env=self.env, input=stdin, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("bank: setup failed: %s\n%s" % (" ".join(args[:2]), p.stderr[-600:]))
        return p.stdout

    def session(self):
        return subprocess.Popen([self.bin, "sql", "--db-cluster-identifier", "bank", "--output", "json",
                                 "--on-error", "continue", "-f", "-"], env=self.env, text=True, bufsize=1,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def query(self, sql):
        out = self.cli("sql", "--db-cluster-identifier", "bank", "--output", "json", "-c", sql)
        return json.loads(out.strip().split("\n")[-1])["rows"]


class Writer(threading.Thread):
    def __init__(self, cluster, index, stop, seed):
        super().__init__(daemon=True)
        self.c, self.index, self.stop, self.rng = cluster, index, stop, random.Random(seed)
        self.proc = None
        self.lock = threading.Lock()
        self.acknowledged, self.refused, self.retried, self.unknown, self.restarts = [], 0, 0, 0, 0
        self.errors = []

    def kill(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
                return True
        return False

    def start_session(self):
        with self.lock:
            self.proc = self.c.session()
            self.restarts += 1

    def run(self):
        seq = 0
        self.start_session()
        while not self.stop.is_set():
            seq += 1
            tid = self.index * 1_000_000 + seq
            src = self.rng.randrange(ACCOUNTS)
            dst = (src + 1 + self.rng.randrange(ACCOUNTS - 1)) % ACCOUNTS
            amount = self.rng.randrange(1, 200)
            script = ("BEGIN;\nUPDATE accounts SET balance = balance - %d WHERE id = %d;\n"
                      "UPDATE accounts SET balance = balance + %d WHERE id = %d;\n"
                      "INSERT INTO transfers VALUES (%d, %d, %d, %d);\nCOMMIT;\n"
                      % (amount, src, amount, dst, tid, src, dst, amount))
            answers = []
            try:
                self.proc.stdin.write(script)
                self.proc.stdin.flush()
                for _ in range(5):
                    line = self.proc.stdout.readline()
                    if not line:
                        break
                    answers.append(json.loads(line))
            except (BrokenPipeError, OSError, ValueError):
                pass
            if len(answers) == 5:
                last = answers[4]
                if last.get("command") == "COMMIT":
                    self.acknowledged.append(tid)
                else:
                    codes = [a.get("code") for a in answers if "code" in a]
                    if codes and codes[0] == "23514":
                        self.refused += 1          # the CHECK kept a balance from going negative
                    elif codes and codes[0] in ("40001", "40P01", "55P03"):
                        self.retried += 1          # a conflict: the client may retry
                    else:
                        self.errors.append("transfer %d: unexpected answers %s" % (tid, answers))
                continue
            # The session died mid-transfer (killed): the outcome is not known; start again.
            self.unknown += 1
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.errors.append("a killed session did not exit")
                return
            if not self.stop.is_set():
                self.start_session()
        with self.lock:
            if self.proc.poll() is None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
                self.proc.wait(timeout=30)


class Reader(threading.Thread):
    def __init__(self, cluster, stop):
        super().__init__(daemon=True)
        self.c, self.stop = cluster, stop
        self.reads, self.wrong = 0, []

    def run(self):
        proc = self.c.session()
        while not self.stop.is_set():
            proc.stdin.write("SELECT sum(balance), count(*) FROM accounts;\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                self.wrong.append("reader session ended")
                return
            answer = json.loads(line)
            self.reads += 1
            if answer.get("rows") != [[ACCOUNTS * START, ACCOUNTS]]:
                self.wrong.append(answer)
        proc.stdin.close()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261127)
    a = ap.parse_args()
    c = Cluster(os.path.abspath(a.bin))
    failures = []
    try:
        c.cli("create-db-cluster", "--db-cluster-identifier", "bank", "--engine", "aurora-postgresql",
              "--engine-version", "16.6-limitless", "--cluster-scalability-type", "limitless",
              "--master-username", "bank", "--master-user-password", "bankpassword")
        c.cli("create-db-shard-group", "--db-shard-group-identifier", "bank-sg", "--db-cluster-identifier", "bank",
              "--max-acu", "600")
        c.cli("sql", "--db-cluster-identifier", "bank", stdin="""
            SET rds_aurora.limitless_create_table_mode = 'sharded';
            SET rds_aurora.limitless_create_table_shard_key = '{"id"}';
            CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
            SET rds_aurora.limitless_create_table_shard_key = '{"tid"}';
            CREATE TABLE transfers (tid INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER);
            INSERT INTO accounts VALUES %s;
            """ % ",".join("(%d, %d)" % (i, START) for i in range(ACCOUNTS)))
        stop = threading.Event()
        writers = [Writer(c, i + 1, stop, a.seed + i) for i in range(a.writers)]
        readers = [Reader(c, stop) for _ in range(a.readers)]
        for t in writers + readers:
            t.start()
        rng, kills, deadline = random.Random(a.seed), 0, time.monotonic() + a.seconds
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.05, 0.4))
            if rng.choice(writers).kill():
                kills += 1
        stop.set()
        for t in writers + readers:
            t.join(timeout=60)
            if t.is_alive():
                failures.append("a client thread did not finish")
        for w in writers:
            failures += w.errors
        for r in readers:
            failures += ["a read saw %s" % (x,) for x in r.wrong[:5]]
        # The checks, on a fresh open (which also recovers anything a killed writer left decided).
        total = c.query("SELECT sum(balance), count(*) FROM accounts")
        if total != [[ACCOUNTS * START, ACCOUNTS]]:
            failures.append("total changed: %s" % total)
        mismatched = c.query("""
            SELECT a.id, a.balance,
                   %d + coalesce((SELECT sum(amount) FROM transfers WHERE dst = a.id), 0)
                      - coalesce((SELECT sum(amount) FROM transfers WHERE src = a.id), 0)
            FROM accounts a ORDER BY a.id""" % START)
        for row in mismatched:
            if row[1] != row[2]:
                failures.append("account %d holds %d, its log says %d" % tuple(row))
        logged = {r[0] for r in c.query("SELECT tid FROM transfers")}
        acked = [t for w in writers for t in w.acknowledged]
        lost = [t for t in acked if t not in logged]
        if lost:
            failures.append("%d acknowledged transfers are not in the log: %s" % (len(lost), lost[:10]))
        in_doubt = c.query("SELECT count(*) FROM rds_aurora.limitless_stat_prepared_xacts")
        if in_doubt != [[0]]:
            failures.append("transactions left in doubt: %s" % in_doubt)
        reads = sum(r.reads for r in readers)
        print("bank: %d transfers acknowledged, %d refused by the CHECK, %d retried, %d cut by %d kills, "
              "%d logged, %d concurrent reads" % (len(acked), sum(w.refused for w in writers),
                                                  sum(w.retried for w in writers), sum(w.unknown for w in writers),
                                                  kills, len(logged), reads))
        if not acked or not reads:
            failures.append("the test did not exercise anything (%d commits, %d reads)" % (len(acked), reads))
    finally:
        shutil.rmtree(c.home, ignore_errors=True)
    for f in failures[:20]:
        print("bank: FAIL " + f)
    print("bank: %d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
