#!/usr/bin/env python3
"""IMAP benchmark: posternd against Dovecot (issue 8 "make bench").

The load comes from build/tools/imap-load (bench/imap_load.c): CLIENTS
threads, each its own user and mailbox of MESSAGES messages, running the
mixed workload (LOGIN, SELECT, FETCH headers, FETCH bodies, SEARCH,
STORE, APPEND, EXPUNGE) for SECONDS. Both servers get the same users,
the same messages (Maildir) and the same yescrypt password hashes
(Dovecot reads posternd's accounts.db hashes through {CRYPT}). Runs
alternate between the servers (RUNS each, after one warm-up run each)
so load from elsewhere on the machine hits both alike. Prints each
run's operations per second per command, the median run, the overall
ratio, and each server's peak RSS: the highest sum of VmHWM over the
processes of its tree seen while the load ran. Then, on a fresh
posternd, the memory of IDLE_SESSIONS authenticated IDLE sessions.

Environment: IMAP_BENCH_SECONDS (15), IMAP_BENCH_RUNS (3),
IMAP_BENCH_CLIENTS (20), IMAP_BENCH_IDLE (10000; 0 skips it).
"""
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from benchlib import (dovecot_conf, dovecot_own, dovecot_tree, free_port,  # noqa: E402
                      need_port, tree_cpu_s, tree_sum_kb)
B = ROOT / "build"
LOAD = B / "tools" / "imap-load"
CLIENTS = int(os.environ.get("IMAP_BENCH_CLIENTS", "20"))
SECONDS = int(os.environ.get("IMAP_BENCH_SECONDS", "15"))
RUNS = int(os.environ.get("IMAP_BENCH_RUNS", "3"))
IDLE_SESSIONS = int(os.environ.get("IMAP_BENCH_IDLE", "10000"))
MESSAGES = 200          # per mailbox
PW = "benchpw"
OPS = ["login", "select", "fetch_hdr", "fetch_body", "search", "store",
       "append", "expunge"]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliet", "kilo", "lima", "mike", "november",
         "lorem", "river", "zebra", "needle", "ocean", "quantum"]












class Peak(threading.Thread):
    """Highest sum of VmHWM over the live processes of a tree."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0, threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.peak = max(self.peak, tree_sum_kb(self.pid, "VmHWM"))
            self.halt.wait(0.1)

    def stop(self):
        self.halt.set()
        self.join()
        return self.peak


def message(u, i, rnd):
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(150, 1800)))
    lines, line = [], ""
    for w in words.split():
        if len(line) + len(w) > 70:
            lines.append(line)
            line = ""
        line += w + " "
    lines.append(line)
    head = (f"From: Sender {i % 17} <sender{i % 17}@example.org>\r\n"
            f"To: u{u}@example.org\r\n"
            f"Subject: bench message {i}\r\n"
            f"Date: Thu, 26 Nov 2026 {i % 24:02d}:{i % 60:02d}:00 +0000\r\n"
            f"Message-ID: <{u}.{i}@bench>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    return (head + "\r\n".join(lines) + "\r\n").encode()


def load(port, userfmt, pid=None):
    cpu0 = tree_cpu_s(pid) if pid else 0
    out = subprocess.run([str(LOAD), "127.0.0.1", str(port), userfmt, PW,
                          str(CLIENTS), str(SECONDS), "mix"],
                         capture_output=True, text=True,
                         timeout=SECONDS + 300)
    if out.returncode != 0:
        raise RuntimeError(f"imap-load failed: {out.stderr}{out.stdout}")
    res = {}
    for line in out.stdout.splitlines():
        f = line.split()
        if f[0] == "cmd":
            res[f[1]] = (int(f[2]), float(f[3]), float(f[4]))
        elif f[0] == "total":
            res["total"] = (int(f[1]), float(f[2]), 0.0)
    if pid:
        # server CPU milliseconds per operation (steadier than rates on
        # a shared machine)
        res["cpu"] = (tree_cpu_s(pid) - cpu0) * 1e3 / max(res["total"][0], 1)
    return res


def fmt_run(name, res):
    return (f"{name:9s}" + "".join(f"{res[o][1]:>11.1f}" for o in OPS) +
            f"{res['total'][1]:>11.1f}{res['cpu']:>11.2f}")


def header():
    return f"{'ops/s':9s}" + "".join(f"{o:>11s}" for o in OPS) + \
        f"{'total':>11s}{'CPU ms/op':>11s}"


def posternd_conf(work, port, name):
    conf = work / f"{name}.conf"
    conf.write_text(f"hostname = bench\ndata_dir = {name}-data\n"
                    "domains = example.org\nplaintext_auth = always\n"
                    f"imap_listen = 127.0.0.1:{port}\n" +
                    "".join(f"{s}_listen =\n" for s in (
                        "smtp", "submission", "submissions", "pop3",
                        "pop3s", "imaps")))
    return conf


def add_user(conf, addr):
    subprocess.run([str(B / "posternctl"), "-c", str(conf), "user", "add",
                    addr], input=PW + "\n", text=True, check=True,
                   capture_output=True)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def dovecot_start(work, mails):
    """A Dovecot on a free port with the same users, hashes and
    messages; None when it cannot run here."""
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(dovecot) or \
            not os.path.exists("/usr/lib/dovecot/imap"):
        print("dovecot-imapd not installed: no comparison")
        return None, None
    if os.geteuid() != 0:
        print("the Dovecot comparison needs root (it drops to its own "
              "users): skipped")
        return None, None
    dv = work / "dovecot"
    curs = dovecot_tree(dv, work / "p-data" / "accounts.db",
                        [f"u{u}" for u in range(len(mails))])
    for u, msgs in enumerate(mails):
        cur = curs[f"u{u}"]
        for i, data in enumerate(msgs):
            f = cur / f"{1790000000 + i}.M{i}P1.bench,S={len(data)}:2,"
            f.write_bytes(data)
            os.utime(f, (1790000000 + i, 1790000000 + i))
    dovecot_own(dv)
    port = free_port()
    # Dovecot's defaults (mail_fsync = optimized: mails fsynced on save,
    # indexes not), except the login processes in the documented
    # high-performance mode (one long-lived process per core).
    (dv / "dovecot.conf").write_text(dovecot_conf(
        dv, "imap", port, "plain login",
        "  service_count = 0\n  process_min_avail = 2\n"))
    d = subprocess.Popen([dovecot, "-F", "-c", str(dv / "dovecot.conf")],
                         stdout=subprocess.DEVNULL,
                         stderr=open(dv / "stderr.log", "w"))
    need_port(port)
    return d, port


def idle_figure(work):
    """RSS of posternd holding IDLE_SESSIONS idle authenticated IDLE
    sessions (one user; a fresh server)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = IDLE_SESSIONS + 1000
    if hard < need:
        print(f"idle: RLIMIT_NOFILE hard limit {hard} < {need}: skipped")
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = free_port()
    conf = posternd_conf(work, port, "idle")
    add_user(conf, "idle@example.org")
    p = subprocess.Popen([str(B / "posternd"), "-c", str(conf)],
                         stdout=subprocess.DEVNULL,
                         stderr=open(work / "idle.log", "w"))
    try:
        need_port(port)
        time.sleep(0.5)
        base = tree_sum_kb(p.pid, "VmRSS")
        gen = subprocess.Popen([str(LOAD), "127.0.0.1", str(port),
                                "idle@example.org", PW, str(IDLE_SESSIONS),
                                "0", "idle"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        line = gen.stdout.readline().split()
        if not line or line[0] != "ready":
            gen.stdin.close()
            gen.wait()
            print("idle: the generator failed")
            return
        time.sleep(1)
        total = tree_sum_kb(p.pid, "VmRSS")
        print(f"posternd  {IDLE_SESSIONS} authenticated IDLE sessions "
              f"(set up in {float(line[2]):.0f} s): total RSS "
              f"{total / 1024:.1f} MB over all processes (idle server "
              f"{base / 1024:.1f} MB; {(total - base) / IDLE_SESSIONS:.1f}"
              f" KB per session)")
        gen.stdin.close()
        gen.wait(60)
    finally:
        stop(p)


def main():
    if not LOAD.exists():
        raise SystemExit("build/tools/imap-load missing: make all tools")
    work = Path(tempfile.mkdtemp(prefix="bench-imap.", dir=B))
    work.chmod(0o755)       # Dovecot's own users read their part of it
    procs = []
    try:
        rnd = random.Random(8)
        mails = [[message(u, i, rnd) for i in range(MESSAGES)]
                 for u in range(CLIENTS)]
        print(f"{CLIENTS} clients, each its own mailbox of {MESSAGES} "
              f"messages ({sum(map(len, mails[0])) // MESSAGES} bytes "
              f"average); {RUNS} runs of {SECONDS} s per server, "
              "alternating")
        pport = free_port()
        conf = posternd_conf(work, pport, "p")
        msgdir = work / "msgs"
        msgdir.mkdir()
        for u, msgs in enumerate(mails):
            add_user(conf, f"u{u}@example.org")
            files = []
            for i, data in enumerate(msgs):
                f = msgdir / f"{u}-{i}"
                f.write_bytes(data)
                files.append(str(f))
            subprocess.run([str(B / "tools" / "pop3-fill"), "-c", str(conf),
                            f"u{u}@example.org", *files], check=True,
                           capture_output=True)
        p = subprocess.Popen([str(B / "posternd"), "-c", str(conf)],
                             stdout=subprocess.DEVNULL,
                             stderr=open(work / "posternd.log", "w"))
        procs.append(p)
        need_port(pport)
        servers = [("posternd", pport, "u%d@example.org", p)]
        d, dport = dovecot_start(work, mails)
        if d is not None:
            procs.append(d)
            servers.append(("dovecot", dport, "u%d", d))
        # Warm-up: indexes built, caches filled; not counted.
        for name, port, fmt, _ in servers:
            load(port, fmt)
        peaks = {name: Peak(proc.pid) for name, _, _, proc in servers}
        for t in peaks.values():
            t.start()
        results = {name: [] for name, _, _, _ in servers}
        print(header())
        for r in range(RUNS):
            for name, port, fmt, proc in servers:
                res = load(port, fmt, proc.pid)
                results[name].append(res)
                print(fmt_run(f"{name[:7]}#{r + 1}", res), flush=True)
        peak = {name: t.stop() for name, t in peaks.items()}
        med = {}
        for name, runs in results.items():
            med[name] = sorted(runs, key=lambda x: x["total"][1])[
                len(runs) // 2]
            print(fmt_run(f"{name[:7]} md", med[name]))
        for name, runs in results.items():
            lat = med[name]
            print(f"{name:9s} mean ms " + " ".join(
                f"{o} {lat[o][2]:.2f}" for o in OPS))
        for name in peak:
            print(f"{name:9s} peak RSS {peak[name] / 1024:.1f} MB "
                  "(sum of VmHWM over its processes)")
        if "dovecot" in med:
            a, b = med["posternd"], med["dovecot"]
            print(f"{'ratio':9s}" + "".join(
                f"{a[o][1] / max(b[o][1], 1e-9):>10.2f}x" for o in OPS) +
                f"{a['total'][1] / b['total'][1]:>10.2f}x"
                f"{a['cpu'] / max(b['cpu'], 1e-9):>10.2f}x")
            pairs = [x["total"][1] / y["total"][1]
                     for x, y in zip(results["posternd"], results["dovecot"])]
            print(f"overall: posternd {a['total'][1]:.0f} ops/s, dovecot "
                  f"{b['total'][1]:.0f} ops/s, ratio "
                  f"{a['total'][1] / b['total'][1]:.2f}x; side-by-side "
                  "runs: " + ", ".join(f"{r:.2f}x" for r in pairs) +
                  f" (median {sorted(pairs)[len(pairs) // 2]:.2f}x); "
                  "operations per server CPU second "
                  f"{b['cpu'] / max(a['cpu'], 1e-9):.2f}x; peak RSS "
                  f"posternd {peak['posternd'] / 1024:.1f} MB, dovecot "
                  f"{peak['dovecot'] / 1024:.1f} MB")
        for proc in procs:
            stop(proc)
        procs = []
        if IDLE_SESSIONS > 0:
            idle_figure(work)
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
