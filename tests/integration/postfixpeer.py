"""Debian's Postfix as a submission peer for the user agent tests: a
private instance (`postfix -c DIR start`) on a free loopback port, SASL
through a test Dovecot's auth listener, mail for example.org delivered by
the virtual agent into Maildirs under the temp folder. Root only (the
master must start as root); tests skip otherwise."""
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import free_port, wait_port

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
SKIP_REASON = ("Debian's postfix is not installed, or the tests do not run "
               "as root (scripts/deps.sh test_pkgs)")


def available():
    return os.getuid() == 0 and os.path.exists(POSTFIX) and \
        os.path.exists("/etc/postfix/master.cf")


class Postfix:
    def __init__(self, users, sasl_port, uid=None, gid=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="postern-postfix-")
        self.dir = Path(self.tmp.name)
        os.chmod(self.dir, 0o755)
        self.users = list(users)
        self.sasl_port = sasl_port
        self.port = free_port()
        nobody = pwd.getpwnam("nobody")
        self.uid = uid if uid is not None else nobody.pw_uid
        self.gid = gid if gid is not None else nobody.pw_gid

    def mail_root(self):
        return self.dir / "mail"

    def maildir(self, user):
        return self.dir / "mail" / user.split("@")[0]

    def messages(self, user):
        out = []
        for sub in ("new", "cur"):
            d = self.maildir(user) / sub
            if d.is_dir():
                out += sorted(d.iterdir())
        return [p.read_bytes() for p in out]

    def wait_messages(self, user, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.messages(user)
            if len(msgs) >= n:
                return msgs
            time.sleep(0.1)
        return self.messages(user)

    def start(self):
        d = self.dir
        etc = d / "etc"
        etc.mkdir()
        (d / "mail").mkdir()
        os.chown(d / "mail", self.uid, self.gid)
        (d / "spool").mkdir()
        (d / "data").mkdir()
        pfu = pwd.getpwnam("postfix")
        os.chown(d / "data", pfu.pw_uid, pfu.pw_gid)
        boxes = " ".join(f"{{{u}={u.split('@')[0]}/}}" for u in self.users)
        (etc / "main.cf").write_text("\n".join([
            "compatibility_level = 3.6",
            f"queue_directory = {d}/spool", f"data_directory = {d}/data",
            "mail_owner = postfix", "setgid_group = postdrop",
            "myhostname = mx.test", "mydestination =",
            "inet_interfaces = 127.0.0.1", "inet_protocols = ipv4",
            "mynetworks =", "alias_maps =", "alias_database =",
            "smtputf8_enable = no", "biff = no",
            "smtpd_sasl_auth_enable = yes", "smtpd_sasl_type = dovecot",
            f"smtpd_sasl_path = inet:127.0.0.1:{self.sasl_port}",
            "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
            "smtpd_recipient_restrictions = permit_sasl_authenticated, "
            "reject",
            "virtual_mailbox_domains = example.org",
            f"virtual_mailbox_base = {d}/mail",
            f"virtual_mailbox_maps = inline:{{ {boxes} }}",
            f"virtual_uid_maps = static:{self.uid}",
            f"virtual_gid_maps = static:{self.gid}",
            f"maillog_file = {d}/maillog", f"maillog_file_prefixes = {d}",
        ]) + "\n")
        master = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            f = line.split()
            if not f or line.startswith("#") or line[0].isspace():
                continue
            if f[0] == "smtp" and f[1] == "inet":
                f[0] = f"127.0.0.1:{self.port}"
            if len(f) >= 8 and f[4] == "y":
                f[4] = "n"          # no chroot for a throwaway instance
            if f[-1] == "pipe" or "pipe" in f[7:8]:
                continue
            master.append(" ".join(f[:8]) + (" " + " ".join(f[8:])
                                            if len(f) > 8 else ""))
        (etc / "master.cf").write_text("\n".join(master) + "\n")
        # set-permissions builds the queue folders with their owners
        subprocess.run([POSTFIX, "-c", str(etc), "set-permissions"],
                       capture_output=True)
        p = subprocess.run([POSTFIX, "-c", str(etc), "start"],
                           capture_output=True, text=True)
        if p.returncode != 0 or not wait_port("127.0.0.1", self.port, 20):
            log = self.log()
            self.stop()
            raise RuntimeError(f"postfix did not start: {p.stdout}{p.stderr}"
                               f"{log}")
        return self

    def log(self):
        p = self.dir / "maillog"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self):
        subprocess.run([POSTFIX, "-c", str(self.dir / "etc"), "stop"],
                       capture_output=True)

    def cleanup(self):
        self.stop()
        time.sleep(0.2)
        self.tmp.cleanup()
