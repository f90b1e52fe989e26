"""A real peer: posternd relays into Debian's Postfix, configured by the
test on a loopback port (virtual mailbox domain p.test, Maildir), through
route.* and through MX lookup (dnsmasq); a Postfix 5xx for an unknown user comes
back as a DSN. Skipped unless postfix is installed and we run as root
(Postfix's master needs it)."""
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from dnsmasq import DNSMASQ, DnsMasq
from harness import Postern, free_port
from mailutil import queue_ids, wait_messages

POSTFIX = shutil.which("postfix") or (
    "/usr/sbin/postfix" if os.path.exists("/usr/sbin/postfix") else None)
MSG = (b"From: alice@a.test\r\nTo: bob@p.test\r\nSubject: to postfix\r\n\r\n"
       b"Hello Postfix.\r\n.leading dot\r\n")


def wait_for(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def postfix_ids():
    import pwd
    import grp
    try:
        return pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postfix").gr_gid
    except KeyError:
        return None


@unittest.skipUnless(POSTFIX and os.geteuid() == 0 and postfix_ids(),
                     "needs postfix and root")
class PostfixPeerTest(unittest.TestCase):
    def setUp(self):
        uid, gid = postfix_ids()
        self.dir = Path(tempfile.mkdtemp(prefix="postern-pf-"))
        self.dir.chmod(0o755)
        conf = self.dir / "conf"
        for d in ("conf", "queue", "data", "vmail"):
            (self.dir / d).mkdir()
        for d in ("data", "vmail"):
            os.chown(self.dir / d, uid, gid)
        self.port = free_port()
        (conf / "main.cf").write_text(f"""compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
mail_owner = postfix
myhostname = pf.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = p.test
virtual_mailbox_base = {self.dir}/vmail
virtual_mailbox_maps = inline:{{ bob@p.test=p.test/bob/ }}
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
maillog_file = /dev/stdout
""")
        lines = [f"127.0.0.1:{self.port} inet n - n - - smtpd"]
        # Debian's services, minus its port 25 listener and its postlog
        # (ours logs to stdout); option lines of commented services go too
        for ln in Path("/etc/postfix/master.cf").read_text().splitlines():
            f = ln.split()
            if not f or ln[0] in "# \t" or f[0] == "postlog" or \
                    (f[0] == "smtp" and f[1] == "inet"):
                continue
            lines.append(ln)
        lines.append("postlog unix-dgram n - n - 1 postlogd")
        (conf / "master.cf").write_text("\n".join(lines) + "\n")
        self.log = open(self.dir / "postfix.log", "wb")
        self.pf = subprocess.Popen([POSTFIX, "-c", str(conf), "start-fg"],
                                   stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.tearDown()
            self.skipTest("postfix did not start: " + self.pflog())
        self.a = None

    def pflog(self):
        return (self.dir / "postfix.log").read_text(errors="replace")[-3000:]

    def tearDown(self):
        if self.a is not None:
            code = self.a.stop()
            self.a.tmp.cleanup()
            self.a = None
            self.assertEqual(code, 0)
        if self.pf is not None:
            subprocess.run([POSTFIX, "-c", str(self.dir / "conf"), "stop"],
                           capture_output=True)
            try:
                self.pf.wait(15)
            except subprocess.TimeoutExpired:
                self.pf.send_signal(signal.SIGKILL)
                self.pf.wait()
            self.pf = None
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def maildir(self):
        d = self.dir / "vmail" / "p.test" / "bob" / "new"
        return sorted(d.iterdir()) if d.is_dir() else []

    def start_a(self, **extra):
        cfg = {"domains": "a.test", "relay_networks": "127.0.0.0/8",
               "queue_interval": "1h"}
        cfg.update(extra)
        self.a = Postern(extra=cfg, services=["smtp"], hostname="mx.a.test")
        self.a.ctl("user", "add", "alice@a.test", input="pw\n")
        self.a.start()

    def send(self, rcpts):
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            s.sendmail("alice@a.test", rcpts, MSG)

    def test_relay_into_postfix_maildir(self):
        self.start_a(**{"route.*": f"127.0.0.1:{self.port}"})
        self.send(["bob@p.test"])
        self.assertTrue(wait_for(lambda: len(self.maildir()) == 1),
                        self.a.log()[-2000:] + self.pflog())
        raw = self.maildir()[0].read_bytes()
        self.assertIn(b"Subject: to postfix", raw)
        self.assertIn(b"\n.leading dot\n", raw)
        self.assertIn(b"by mx.a.test (Postern)", raw)
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    @unittest.skipUnless(DNSMASQ, "dnsmasq (dnsmasq-base) not installed")
    def test_mx_lookup_to_postfix(self):
        dns = DnsMasq(mx=[("p.test", 10, "mail.p.test")],
                      hosts={"mail.p.test": ["127.0.0.1"]})
        self.addCleanup(dns.close)
        self.start_a(dns_server=f"127.0.0.1:{dns.port}",
                     remote_smtp_port=str(self.port))
        self.send(["bob@p.test"])
        self.assertTrue(wait_for(lambda: len(self.maildir()) == 1),
                        self.a.log()[-2000:] + self.pflog())

    def test_postfix_5xx_gives_dsn(self):
        self.start_a(**{"route.*": f"127.0.0.1:{self.port}"})
        self.send(["bob@p.test", "nobody@p.test"])
        bounces = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(bounces), 1, self.a.log()[-2000:])
        self.assertIn(b"Final-Recipient: rfc822; nobody@p.test", bounces[0])
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1", bounces[0])
        self.assertTrue(wait_for(lambda: len(self.maildir()) == 1))


if __name__ == "__main__":
    unittest.main()
