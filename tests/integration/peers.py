"""Real peer servers run by tests and benchmarks: Postfix on loopback.

    with PostfixPeer(tmpdir, relayhost="[127.0.0.1]:2525") as pf:
        pf.port            # its smtpd's port
        pf.log()           # its maillog

Postfix runs from a private config and queue under tmpdir (root is needed
to start it; its own mail system is never touched). Its stderr goes only
to a terminal, so commands run under script(1).
"""
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {q}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = {hostname}
mydomain = {hostname}
myorigin = {hostname}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
alternate_config_directories = {cfg}
smtpd_banner = $myhostname ESMTP
biff = no
"""


def postfix_available():
    return shutil.which("postfix") is not None and os.geteuid() == 0 and \
        Path("/etc/postfix/master.cf").exists()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixPeer:
    def __init__(self, base, hostname="peer.test", **extra):
        self.dir = Path(base) / "postfix"
        self.cfg = self.dir / "conf"
        self.port = _free_port()
        self.hostname = hostname
        self.extra = extra
        self.env = dict(os.environ, MAIL_CONFIG=str(self.cfg))

    def _run(self, cmd):
        return subprocess.run(["script", "-qc", cmd, "/dev/null"], env=self.env,
                              capture_output=True, text=True, timeout=120)

    def start(self):
        q, data = self.dir / "queue", self.dir / "data"
        for p in (self.cfg, q, data):
            p.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir.parent, 0o755)
        os.chmod(self.dir, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(data, pw.pw_uid, pw.pw_gid)
        text = MAIN_CF.format(q=q, data=data, dir=self.dir, cfg=self.cfg,
                              hostname=self.hostname)
        text += "".join(f"{k} = {v}\n" for k, v in self.extra.items())
        (self.cfg / "main.cf").write_text(text)
        master = Path("/etc/postfix/master.cf").read_text().splitlines()
        master = [l for l in master if not l.startswith("smtp      inet")]
        master.append(f"127.0.0.1:{self.port} inet n - y - - smtpd")
        if not any(l.startswith("postlog") for l in master):
            master.append("postlog   unix-dgram n  -       n       -       1       postlogd")
        (self.cfg / "master.cf").write_text("\n".join(master) + "\n")
        r = self._run(f"postfix -c {self.cfg} post-install create-missing")
        if r.returncode != 0:
            raise RuntimeError("postfix post-install: " + r.stdout + r.stderr)
        r = self._run(f"postfix -c {self.cfg} start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("postfix did not start: " + r.stdout + r.stderr +
                           self.log())

    def stop(self):
        self._run(f"postfix -c {self.cfg} stop")
        time.sleep(0.5)

    def log(self):
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
