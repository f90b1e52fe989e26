#!/usr/bin/env python3
"""POP3 benchmark: posternd against Dovecot (issue 7 "make bench").

The load comes from build/tools/pop3-load (C, one thread per session, each
session its own user so maildrop locks never collide). Both servers get
the same 10 users, the same 1,000 messages of 10 KB and the same yescrypt
hashes (Dovecot reads posternd's accounts.db hashes through {CRYPT}).
Prints RETR/s with 10 sessions (100 messages each; the median of RUNS
runs, each run's figure shown too) and with 1 (1,000 messages), timed
from the moment all are logged in (password hashing is measured apart),
login-to-QUIT sessions/s with 4 sessions, peak RSS of each server's whole
process tree, and the ratios. Both servers run at once and the loads
alternate between them, so the noise of a shared machine falls on both.
"""
import os
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
USERS, PER_USER, SIZE, PW = 10, 100, 10 * 1024, "benchpw"
RUNS = 7
# User number USERS ("u10") holds all USERS * PER_USER messages, for the
# one-session run.










class Peak(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, tree_sum_kb(self.pid, "VmRSS"))
            time.sleep(0.02)


def load(port, userfmt, sessions, mode, seconds=None):
    args = [str(B / "tools" / "pop3-load"), "127.0.0.1", str(port), userfmt,
            PW, str(sessions), mode] + ([str(seconds)] if mode == "login"
                                        else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"pop3-load failed: {out.stderr}")
    return float(out.stdout.split()[-1])


def message(u, i):
    head = (f"From: bench@example.org\r\nTo: u{u}@example.org\r\n"
            f"Subject: bench {u}-{i}\r\nMessage-ID: <{u}.{i}@bench>\r\n\r\n")
    line = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "0123456789\r\n")
    body = (line * (SIZE // len(line) + 1))[:SIZE - len(head) - 2] + "\r\n"
    return (head + body).encode()


def med(v):
    return sorted(v)[len(v) // 2]


def run_all(servers):
    """Runs the same loads against every server in turns (round i starts
    with server i % n), so a busy moment of a shared machine hits all of
    them alike: the ratios are measured side by side. servers is a list
    of (name, port, userfmt, pid); returns {name: results}."""
    for name, port, userfmt, pid in servers:     # warm caches, indexes
        load(port, userfmt, USERS, "retr")
        load(port, userfmt.replace("%d", str(USERS)), 1, "retr")
    peaks = {s[0]: Peak(s[3]) for s in servers}
    for p in peaks.values():
        p.start()
    r10 = {s[0]: [] for s in servers}
    r1 = {s[0]: [] for s in servers}
    lg = {s[0]: [] for s in servers}
    cpu = {s[0]: 0.0 for s in servers}
    n = len(servers)
    for i in range(RUNS):
        for name, port, userfmt, pid in servers[i % n:] + servers[:i % n]:
            # Server CPU per RETR: a 10-session run less as many bare
            # logins (the password hashing), over its messages; steadier
            # than rates on a shared machine.
            c0 = tree_cpu_s(pid)
            load(port, userfmt, USERS, "login", 0)
            c1 = tree_cpu_s(pid)
            r10[name].append(load(port, userfmt, USERS, "retr"))
            c2 = tree_cpu_s(pid)
            cpu[name] += max((c2 - c1) - (c1 - c0), 0)
    for i in range(3):
        for name, port, userfmt, pid in servers[i % n:] + servers[:i % n]:
            r1[name].append(load(port, userfmt.replace("%d", str(USERS)), 1,
                                 "retr"))
            lg[name].append(load(port, userfmt, 4, "login", 2))
    out = {}
    for name, port, userfmt, pid in servers:
        peaks[name].stop = True
        peaks[name].join()
        us = cpu[name] * 1e6 / (RUNS * USERS * PER_USER)
        out[name] = (med(r10[name]), med(r1[name]), med(lg[name]),
                     peaks[name].peak, us)
        print(f"{name:10s} RETR/s 10 sessions {out[name][0]:8.0f}   "
              f"1 session {out[name][1]:8.0f}   server CPU/RETR {us:6.1f} us"
              f"   logins/s (4) {out[name][2]:6.0f}   "
              f"peak RSS {peaks[name].peak / 1024:7.1f} MB")
        print(f"{'':10s} 10-session runs: "
              + " ".join(f"{x:.0f}" for x in r10[name]))
    return out


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-pop3.", dir=B))
    work.chmod(0o755)       # Dovecot's own users read their part of it
    procs = []
    try:
        # posternd with its users and messages.
        pport = free_port()
        conf = work / "p.conf"
        conf.write_text("hostname = bench\ndata_dir = data\n"
                        "domains = example.org\nplaintext_auth = always\n"
                        f"pop3_listen = 127.0.0.1:{pport}\n" +
                        "".join(f"{s}_listen =\n" for s in (
                            "smtp", "submission", "submissions", "pop3s",
                            "imap", "imaps")))
        msgdir = work / "msgs"
        msgdir.mkdir()
        for u in range(USERS + 1):
            subprocess.run([str(B / "posternctl"), "-c", str(conf), "user",
                            "add", f"u{u}@example.org"], input=PW + "\n",
                           text=True, check=True, capture_output=True)
            files = []
            for i in range(PER_USER * (USERS if u == USERS else 1)):
                f = msgdir / f"{u}-{i}"
                f.write_bytes(message(u, i))
                files.append(str(f))
            subprocess.run([str(B / "tools" / "pop3-fill"), "-c", str(conf),
                            f"u{u}@example.org", *files], check=True,
                           capture_output=True)
        p = subprocess.Popen([str(B / "posternd"), "-c", str(conf)],
                             stdout=subprocess.DEVNULL,
                             stderr=open(work / "posternd.log", "w"))
        procs.append(p)
        need_port(pport)
        servers = [("posternd", pport, "u%d@example.org", p.pid)]

        dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not os.path.exists(dovecot) or \
                not os.path.exists("/usr/lib/dovecot/pop3"):
            print("dovecot-pop3d not installed: no comparison")
            run_all(servers)
            return
        if os.geteuid() != 0:
            print("Dovecot comparison needs root (it drops to its own "
                  "users): skipped")
            run_all(servers)
            return
        dv = work / "dovecot"
        curs = dovecot_tree(dv, work / "data" / "accounts.db",
                            [f"u{u}" for u in range(USERS + 1)])
        for u in range(USERS + 1):
            cur = curs[f"u{u}"]
            for i in range(PER_USER * (USERS if u == USERS else 1)):
                data = message(u, i)
                (cur / f"{1700000000 + i}.M{i}P1.bench,S={len(data)}:2,"
                 ).write_bytes(data)
        dovecot_own(dv)
        dport = free_port()
        (dv / "dovecot.conf").write_text(dovecot_conf(dv, "pop3", dport, "plain"))
        d = subprocess.Popen([dovecot, "-F", "-c", str(dv / "dovecot.conf")])
        procs.append(d)
        need_port(dport)
        servers.append(("dovecot", dport, "u%d", d.pid))
        try:
            res = run_all(servers)
        except RuntimeError as e:
            print(e, (dv / "dovecot.log").read_text()[-2000:])
            return 1
        ours, theirs = res["posternd"], res["dovecot"]
        print(f"{'ratio':10s} RETR/s 10 sessions {ours[0] / theirs[0]:8.2f}x  "
              f"1 session {ours[1] / theirs[1]:8.2f}x  "
              f"CPU/RETR {ours[4] / max(theirs[4], 1e-9):6.2f}x      "
              f"logins/s {ours[2] / theirs[2]:6.2f}x   peak RSS "
              f"{ours[3] / max(theirs[3], 1):7.2f}x")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
