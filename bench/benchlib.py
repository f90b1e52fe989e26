"""Helpers shared by the benchmarks under bench/: loopback ports and the
memory and CPU of a server's whole process tree, read from /proc."""
import os
import pwd
import socket
import sqlite3
import subprocess
import time
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    """True once something accepts on 127.0.0.1:port, False at timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def need_port(port, timeout=20):
    if not wait_port(port, timeout):
        raise SystemExit(f"port {port} never came up")


def tree(pid):
    """pid and all its descendants."""
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1]
                           .split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def tree_sum_kb(pid, field):
    """Sum of a /proc/PID/status field (VmHWM, VmRSS) over pid's tree."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_s(pid):
    """CPU seconds used by pid's tree: the live processes' own time plus
    what pid has reaped (Dovecot's session processes come and go)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12])
        if p == pid:
            total += int(f[13]) + int(f[14])
    return total / tick


def dovecot_tree(dv, accounts_db, users):
    """The folders of a bench Dovecot under dv (run, state, home, and an
    empty Maildir per user under mail/), and dv/passwd with the same
    password hashes as posternd's accounts_db. Returns {user: its cur/}:
    the caller writes the messages, then calls dovecot_own(dv)."""
    for sub in ("run", "state", "mail", "home"):
        (dv / sub).mkdir(parents=True)
    db = sqlite3.connect(accounts_db)
    with open(dv / "passwd", "w") as f:
        for addr, h in db.execute("SELECT address, hash FROM users"):
            f.write(f"{addr.split('@')[0]}:{{CRYPT}}{h}\n")
    db.close()
    curs = {}
    for u in users:
        box = dv / "mail" / u
        for d in ("cur", "new", "tmp"):
            (box / d).mkdir(parents=True)
        curs[u] = box / "cur"
    return curs


def dovecot_own(dv):
    """Hands the bench Dovecot's mail and homes to nobody (its userdb)."""
    nobody = pwd.getpwnam("nobody")
    subprocess.run(["chown", "-R", f"{nobody.pw_uid}:{nobody.pw_gid}",
                    str(dv / "mail"), str(dv / "home")], check=True)


def dovecot_conf(dv, protocol, port, mechanisms, login_extra=""):
    """A dovecot.conf for a bench Dovecot under dv: one plaintext listener
    on 127.0.0.1:port for protocol ("imap", "pop3"), users from
    dv/passwd, Maildirs under dv/mail/USER owned by nobody; Dovecot's
    defaults otherwise. login_extra goes in the login service block."""
    nobody = pwd.getpwnam("nobody")
    return f"""
protocols = {protocol}
listen = 127.0.0.1
base_dir = {dv}/run
state_dir = {dv}/state
log_path = {dv}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{dv}/mail/%u
passdb {{
  driver = passwd-file
  args = {dv}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={dv}/home/%u
}}
service {protocol}-login {{
  inet_listener {protocol} {{
    port = {port}
  }}
  inet_listener {protocol}s {{
    port = 0
  }}
{login_extra}}}
"""
