#!/usr/bin/env python3
"""SMTP acceptance + local delivery: posternd against Postfix, side by side.

Postfix's smtp-source sends N messages of 5 KB over S parallel sessions to
each server on loopback; the clock runs until every message is in a Maildir.
Both servers are durable by default (Postfix fsyncs its queue files and
Maildir deliveries; posternd group-commits with syncfs), and each runs on
a fresh ext4 file system of its own (FreshFs). Prints both rates, the
ratio, and posternd's peak memory. Needs root (mount, Postfix).

  bench/smtp_bench.py [--messages 100000] [--sessions 20] [--size 5120]
                      [--one-per-connection]

The default is the issue's load: 20 sessions x 5,000 messages each, every
session sending its messages over one connection (smtp-source -d).
"""
import argparse
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from benchlib import free_port, wait_port  # noqa: E402
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from peers import PostfixPeer  # noqa: E402






def count_files(dirs):
    n = 0
    for d in dirs:
        try:
            n += sum(1 for _ in os.scandir(d))
        except FileNotFoundError:
            pass
    return n


def run_source(port, args, rcpt):
    cmd = ["smtp-source", "-c"] + (["-d"] if args.reuse else []) + [
           "-l", str(args.size), "-m", str(args.messages),
           "-s", str(args.sessions), "-f", "bench@sender.test", "-t", rcpt,
           f"127.0.0.1:{port}"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def measure(port, args, rcpt, maildirs, timeout=900):
    t0 = time.monotonic()
    src = run_source(port, args, rcpt)
    t_accept = None
    while True:
        # Counting a growing Maildir costs CPU the servers compete for, so
        # the directories are read only once the client has finished.
        if t_accept is None:
            if src.poll() is None:
                if time.monotonic() - t0 > timeout:
                    src.kill()
                    raise RuntimeError("timeout: the client did not finish")
                time.sleep(0.01)
                continue
            t_accept = time.monotonic() - t0
        n = count_files(maildirs)
        if n >= args.messages:
            break
        if time.monotonic() - t0 > timeout:
            src.kill()
            raise RuntimeError(f"timeout: {n}/{args.messages} delivered")
        time.sleep(0.01)
    total = time.monotonic() - t0
    src.wait()
    err = src.stderr.read().decode(errors="replace")
    if src.returncode != 0:
        print(f"  smtp-source exit {src.returncode}: {err[-500:]}")
    return total, (t_accept or total)


def cpu_seconds(root_pid):
    """{comm: user+system CPU seconds} of the process and its children."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            rest = stat.rsplit(")", 1)[1].split()
            comm = stat.split("(", 1)[1].rsplit(")", 1)[0]
            if int(d.name) == root_pid or int(rest[1]) == root_pid:
                out[comm] = (int(rest[11]) + int(rest[12])) / tick
        except (OSError, ValueError, IndexError):
            pass
    return out


def peak_rss_kb(root_pid):
    """Sum of VmHWM over the process and its children."""
    pids = [root_pid]
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == root_pid:
                    pids.append(int(d.name))
            except (OSError, ValueError, IndexError):
                pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total, len(pids)


def bench_postern(args, tmp):
    port = free_port()
    d = tmp / "postern"
    d.mkdir(parents=True)
    conf = d / "postern.conf"
    conf.write_text(f"hostname = bench.test\ndata_dir = data\ndomains = bench.test\n"
                    f"smtp_listen = 127.0.0.1:{port}\nsubmission_listen =\n"
                    "submissions_listen =\npop3_listen =\npop3s_listen =\n"
                    "imap_listen =\nimaps_listen =\n")
    subprocess.run([str(ROOT / "build/posternctl"), "-c", str(conf), "user", "add",
                    "sink@bench.test"], input=b"pw\n", check=True)
    log = open(d / "log", "wb")
    proc = subprocess.Popen([str(ROOT / "build/posternd"), "-c", str(conf)],
                            stdout=log, stderr=log)
    try:
        if not wait_port(port):
            raise RuntimeError("posternd did not start")
        box = d / "data/mail/bench.test/sink"
        total, accept = measure(port, args, "sink@bench.test", [box / "new", box / "cur"])
        rss, nproc = peak_rss_kb(proc.pid)
        cpu = cpu_seconds(proc.pid)
        print("  CPU per message: " + ", ".join(
            f"{k} {v * 1000 / args.messages:.2f} ms" for k, v in sorted(cpu.items())))
        return total, accept, rss, nproc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        log.close()


def bench_postfix(args, tmp):
    vmail = tmp / "vmail"
    vmail.mkdir(parents=True)
    os.chmod(tmp, 0o755)
    pw = pwd.getpwnam("postfix")
    os.chown(vmail, pw.pw_uid, pw.pw_gid)
    (tmp / "vmailbox").write_text("sink@bench.test bench.test/sink/\n")
    # Local delivery to Maildir through virtual(8), Postfix's defaults
    # otherwise (queue files and deliveries fsynced).
    with PostfixPeer(tmp, hostname="bench.test",
                     virtual_mailbox_domains="bench.test",
                     virtual_mailbox_base=str(vmail),
                     virtual_mailbox_maps=f"texthash:{tmp}/vmailbox",
                     virtual_uid_maps=f"static:{pw.pw_uid}",
                     virtual_gid_maps=f"static:{pw.pw_gid}") as pf:
        box = vmail / "bench.test/sink"
        return measure(pf.port, args, "sink@bench.test", [box / "new", box / "cur"])


class FreshFs:
    """A new ext4 file system (mkfs defaults, journaled) on a loop device,
    one per server run. Both servers then start from the same clean state:
    on the machine's root fs, which runs without a journal, ext4 refuses to
    reuse an inode freed in the last 60-300 s and scans past every such
    inode at each file creation (ialloc.c recently_deleted()), so any run
    would pay for the files earlier runs and tests deleted."""

    def __init__(self, base, name, size="3G"):
        self.img = base / f"{name}.img"
        self.dir = base / name

    def __enter__(self):
        self.dir.mkdir(parents=True)
        subprocess.run(["truncate", "-s", "3G", str(self.img)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.img)], check=True)
        subprocess.run(["mount", "-o", "loop", str(self.img), str(self.dir)],
                       check=True)
        os.chmod(self.dir, 0o755)
        return self.dir

    def __exit__(self, *exc):
        subprocess.run(["umount", str(self.dir)])
        self.img.unlink(missing_ok=True)
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--size", type=int, default=5120)
    ap.add_argument("--skip-postfix", action="store_true")
    ap.add_argument("--one-per-connection", dest="reuse", action="store_false",
                    help="a new connection per message (smtp-source without -d); "
                    "smtp-source itself tops out near 2,400 msg/s so")
    args = ap.parse_args()
    if not shutil.which("smtp-source"):
        print("smtp-source missing: install postfix (scripts/deps.sh bench)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="postern-bench-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    try:
        print(f"{args.messages} messages of {args.size} B over {args.sessions} sessions, "
              "timed until all are in a Maildir")
        with FreshFs(tmp, "p") as d:
            total, accept, rss, nproc = bench_postern(args, d)
        p_rate = args.messages / total
        print(f"posternd: {p_rate:8.0f} msg/s delivered ({total:.2f} s; "
              f"{args.messages / accept:.0f} msg/s accepted); "
              f"peak RSS {rss / 1024:.1f} MB over {nproc} processes")
        if args.skip_postfix:
            return 0
        with FreshFs(tmp, "f") as d:
            total, accept = bench_postfix(args, d)
        f_rate = args.messages / total
        print(f"postfix:  {f_rate:8.0f} msg/s delivered ({total:.2f} s; "
              f"{args.messages / accept:.0f} msg/s accepted)")
        print(f"ratio posternd/postfix: {p_rate / f_rate:.2f}x (target >= 3x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
