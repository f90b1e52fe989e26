"""Debian's Dovecot as an IMAP/POP3 peer for the user agent tests, until
our own servers land: `dovecot -F -c CONF` on free loopback ports with a
temporary config (passwd-file users, Maildir under the temp folder, no
TLS, or TLS with a generated certificate)."""
import grp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness import free_port, wait_port

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
SKIP_REASON = ("Debian's dovecot-imapd and dovecot-pop3d are not installed "
               "(scripts/deps.sh test_pkgs)")


def available():
    return DOVECOT is not None and \
        os.path.exists("/usr/lib/dovecot/imap") and \
        os.path.exists("/usr/lib/dovecot/pop3")


def mail_owner():
    """(uid, gid) the mail processes run as: ours, or the dovecot user's
    when we are root (Dovecot refuses uid 0 for mail processes)."""
    if os.getuid() == 0:
        pw = pwd.getpwnam("dovecot")
        return pw.pw_uid, pw.pw_gid
    return os.getuid(), os.getgid()


class Dovecot:
    def __init__(self, users, tls=False, auth_port=None, mail_root=None,
                 mechanisms="plain login"):
        self.tmp = tempfile.TemporaryDirectory(prefix="postern-dovecot-")
        self.dir = Path(self.tmp.name)
        self.users = dict(users)
        self.ports = {"imap": free_port(), "pop3": free_port()}
        self.tls = tls
        self.auth_port = auth_port
        # Dovecot's auth_mechanisms; with the {PLAIN} passdb it can run
        # any of them, SCRAM-SHA-256 included (derived per login).
        self.mechanisms = mechanisms
        # mail_root: Maildirs at MAIL_ROOT/<local part> (shared with a
        # test Postfix); default: <temp>/mail/<user>
        self.mail_root = mail_root
        if tls:
            self.ports["imaps"] = free_port()
            self.ports["pop3s"] = free_port()
        self.proc = None
        self.uid, self.gid = mail_owner()

    def own(self, path):
        if os.getuid() == 0:
            os.chown(path, self.uid, self.gid)

    def port(self, svc):
        return self.ports[svc]

    def maildir(self, user):
        return self.dir / "mail" / user

    def config(self):
        d = self.dir
        me = pwd.getpwuid(os.getuid()).pw_name
        grpname = grp.getgrgid(os.getgid()).gr_name
        login = me
        if os.getuid() == 0:
            # Dovecot's login processes refuse to run as root; the
            # Debian package creates these two users.
            login, me, grpname = "dovenull", "dovecot", "dovecot"
        lines = [
            f"base_dir = {d}/run", f"state_dir = {d}/state",
            f"log_path = {d}/dovecot.log", f"info_log_path = {d}/dovecot.log",
            "protocols = imap pop3", "listen = 127.0.0.1",
            f"default_login_user = {login}", f"default_internal_user = {me}",
            f"default_internal_group = {grpname}",
            "first_valid_uid = 0", "first_valid_gid = 0",
            "disable_plaintext_auth = no",
            f"auth_mechanisms = {self.mechanisms}", "auth_verbose = yes",
            f"mail_location = maildir:{self.mail_root}/%n" if self.mail_root
            else f"mail_location = maildir:{d}/mail/%u",
            "pop3_uidl_format = %08Xu%08Xv",
            "passdb {", "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {d}/passwd", "}",
            "userdb {", "  driver = static",
            f"  args = uid={self.uid} gid={self.gid} home={d}/home/%u",
            "}",
            "namespace inbox {", "  inbox = yes", "  separator = /", "}",
            "service imap-login {",
            f"  inet_listener imap {{\n    port = {self.ports['imap']}\n  }}",
            "  inet_listener imaps {\n    port = %s\n    ssl = yes\n  }"
            % self.ports.get("imaps", 0), "}",
            "service pop3-login {",
            f"  inet_listener pop3 {{\n    port = {self.ports['pop3']}\n  }}",
            "  inet_listener pop3s {\n    port = %s\n    ssl = yes\n  }"
            % self.ports.get("pop3s", 0), "}",
            "service anvil {\n  chroot =\n}",
        ]
        if self.auth_port:
            # SASL for a test Postfix (smtpd_sasl_type = dovecot)
            lines += ["service auth {", "  inet_listener {",
                      "    address = 127.0.0.1",
                      f"    port = {self.auth_port}", "  }", "}"]
        lines += [
            "service imap-login {\n  chroot =\n}",
            "service pop3-login {\n  chroot =\n}",
        ]
        if self.tls:
            lines += ["ssl = yes", f"ssl_cert = <{d}/cert.pem",
                      f"ssl_key = <{d}/key.pem"]
        else:
            lines.append("ssl = no")
        return "\n".join(lines) + "\n"

    def start(self):
        d = self.dir
        os.chmod(d, 0o755)
        for sub in ("run", "state", "mail", "home"):
            (d / sub).mkdir()
        self.own(d / "mail")
        self.own(d / "home")
        with open(d / "passwd", "w") as f:
            for u, pw in self.users.items():
                f.write(f"{u}:{{PLAIN}}{pw}::::::\n")
        if self.tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                            "-nodes", "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", str(d / "key.pem"),
                            "-out", str(d / "cert.pem")],
                           check=True, capture_output=True)
        (d / "dovecot.conf").write_text(self.config())
        with open(d / "stderr.log", "wb") as err:
            self.proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(d / "dovecot.conf")],
                stdout=subprocess.DEVNULL, stderr=err)
        for svc, port in self.ports.items():
            if not wait_port("127.0.0.1", port, timeout=15):
                self.stop()
                raise RuntimeError(f"dovecot {svc} never came up:\n" + self.log())
        return self

    def log(self):
        out = ""
        for name in ("stderr.log", "dovecot.log"):
            p = self.dir / name
            if p.exists():
                out += p.read_text(errors="replace")
        return out

    def deliver(self, user, raw, flags=""):
        """Puts a message straight into the user's INBOX (Maildir)."""
        base = self.maildir(user)
        if not base.exists():
            base.mkdir(parents=True)
            self.own(base)
        for sub in ("tmp", "new", "cur"):
            if not (base / sub).exists():
                (base / sub).mkdir()
                self.own(base / sub)
        self.n = getattr(self, "n", 0) + 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{self.n}.test"
        if flags:
            path = base / "cur" / f"{name}:2,{flags}"
        else:
            path = base / "new" / name
        path.write_bytes(raw)
        self.own(path)
        t = time.time() - 1000 + self.n
        os.utime(path, (t, t))
        return path

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        self.tmp.cleanup()

