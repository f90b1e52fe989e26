"""postern list / read / save / search / folders / flag / move / delete /
fetch against Debian's Dovecot (IMAP and POP3) on loopback; results
checked with imaplib and poplib. Skipped when Dovecot is missing."""
import email
import email.policy
import imaplib
import os
import poplib
import smtplib
import socket
import subprocess
import time
import unittest
from email.message import EmailMessage

from dovecotpeer import SKIP_REASON, Dovecot, available
from harness import SAN_ENV, Postern
from mailutil import maildir_messages, wait_messages
from uautil import UA, UA_BINARY

USER, PW = "bob@example.org", "bobpw"
BLOB = bytes(range(256)) * 40


def plain_latin1():
    return ("From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.net>\r\n"
            "To: bob@example.org\r\n"
            "Date: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
            "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=ISO-8859-1\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Un caf=E9 cr=E8me, s'il vous pla=EEt.\r\n").encode("ascii")


def with_attachment():
    m = EmailMessage()
    m["From"] = "Carol <carol@example.org>"
    m["To"] = USER
    m["Date"] = "Wed, 04 Mar 2026 11:00:00 +0000"
    m["Subject"] = "report attached \u2603"
    m.set_content("See the attached file.\nd\u00e9j\u00e0 vu\n")
    m.add_attachment(BLOB, maintype="application", subtype="octet-stream",
                     filename="data \u00e9t\u00e9.bin")
    return m.as_bytes(policy=email.policy.SMTP)


def html_only():
    return (b"From: news@example.com\r\nTo: bob@example.org\r\n"
            b"Date: Thu, 05 Mar 2026 12:00:00 +0000\r\nSubject: html only\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><style>p {color: red}</style></head><body>"
            b"<h1>Title</h1><p>Hello &amp; welcome,<br>second&nbsp;line</p>"
            b"<ul><li>one</li><li>two</li></ul></body></html>\r\n")

class DovecotPeer(Dovecot):
    def need(self, svc):
        pass

    def stored(self, user):
        """The stored messages, in delivery order."""
        files = []
        for sub in ("new", "cur"):
            d = self.maildir(user) / sub
            if d.is_dir():
                files += list(d.iterdir())
        files.sort(key=lambda p: (p.stat().st_mtime, p.name))
        return [p.read_bytes() for p in files]


class PosternPeer:
    """Our posternd as the IMAP/POP3 peer: mail arrives over SMTP, flags
    are set with imaplib. Skips while the servers are stubs."""

    def __init__(self, users):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "imap", "pop3"])
        self.users = dict(users)

    def start(self):
        for u, pw in self.users.items():
            self.srv.ctl("user", "add", u, input=pw + "\n")
        self.srv.start()
        self.missing = set()
        for svc in ("imap", "pop3"):
            with socket.create_connection(("127.0.0.1", self.port(svc)),
                                          timeout=10) as s:
                greeting = s.recv(512)
            if b"not yet implemented" in greeting:
                self.missing.add(svc)
        if self.missing == {"imap", "pop3"}:
            self.cleanup()
            raise unittest.SkipTest("posternd has no IMAP or POP3 server "
                                    "yet")
        return self

    def need(self, svc):
        if svc in self.missing:
            raise unittest.SkipTest(f"posternd has no {svc} server yet")

    def port(self, svc):
        return self.srv.port(svc)

    def maildir(self, user):
        local, domain = user.split("@")
        return self.srv.dir / "data" / "mail" / domain / local

    def stored(self, user):
        return maildir_messages(self.srv, user)

    def deliver(self, user, raw, flags=""):
        before = len(self.stored(user))
        try:
            with smtplib.SMTP("127.0.0.1", self.port("smtp"),
                              timeout=30) as s:
                s.sendmail("sender@remote.test", [user], raw)
        except smtplib.SMTPConnectError as e:
            if b"not yet implemented" not in e.smtp_error:
                raise
            # a branch whose SMTP role is a stub: drop it into the Maildir
            d = self.maildir(user)
            for sub in ("tmp", "new", "cur"):
                (d / sub).mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}.test"
            (d / "tmp" / name).write_bytes(raw)
            os.rename(d / "tmp" / name, d / "new" / name)
        self.assert_count(user, before + 1)
        if flags and "imap" not in self.missing:
            names = " ".join({"S": "\\Seen", "F": "\\Flagged"}[f]
                             for f in flags)
            m = imaplib.IMAP4("127.0.0.1", self.port("imap"))
            m.login(user, self.users[user])
            typ, data = m.select("INBOX")
            m.store(data[0].decode(), "+FLAGS", f"({names})")
            m.logout()

    def assert_count(self, user, n):
        if len(wait_messages(self.srv, user, n)) < n:
            raise AssertionError(f"mail for {user} never arrived:\n"
                                 + self.srv.log())

    def cleanup(self):
        self.srv.stop()
        self.srv.tmp.cleanup()


class ImapPop3Cases:
    """The tests, run against each peer (make_peer)."""

    POP3_ONLY = ("test_read_over_pop3_and_maildir",
                 "test_fetch_keep_then_delete",
                 "test_fetch_delete_keeps_mail_when_local_copy_fails")

    def setUp(self):
        self.dc = self.make_peer()
        if self._testMethodName not in self.POP3_ONLY:
            try:
                self.dc.need("imap")
            except unittest.SkipTest:
                self.dc.cleanup()
                raise
        self.dc.deliver(USER, plain_latin1())
        self.dc.deliver(USER, with_attachment(), flags="S")
        self.dc.deliver(USER, html_only(), flags="FS")
        self.ua = UA(password=PW)
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.dc.port('imap')}\n"
            f"pop3 = 127.0.0.1:{self.dc.port('pop3')}\n"
            f"user = {USER}\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.dc.port("imap"))
        m.login(USER, PW)
        return m

    def test_list_imap(self):
        p = self.ua.run("list", check=0)
        lines = p.out.splitlines()
        self.assertEqual(len(lines), 3, p.out)
        f = [l.split("\t") for l in lines]
        self.assertEqual([x[0] for x in f], ["1", "2", "3"])
        self.assertEqual(f[0][1], "N--")
        self.assertEqual(f[1][1], "---")
        self.assertEqual(f[2][1], "--F")
        self.assertEqual(f[0][3], "Andr\u00e9")
        self.assertEqual(f[0][4], "Caf\u00e9 cr\u00e8me")
        self.assertEqual(f[1][3], "Carol")
        self.assertEqual(f[1][4], "report attached \u2603")
        self.assertEqual(f[2][3], "news@example.com")
        self.assertEqual(f[0][2], "2026-03-03 10:00")
        self.assertEqual(int(f[0][5]), len(self.dc.stored(USER)[0]))
        # list never marks anything seen
        self.assertEqual(self.ua.run("list", check=0).out.splitlines()[0]
                         .split("\t")[1], "N--")

    def test_list_empty_folder_exit_1(self):
        m = self.imap()
        m.create("Empty")
        m.logout()
        p = self.ua.run("list", "--folder", "Empty", check=1)
        self.assertEqual(p.out, "")

    def test_read_plain_qp_latin1(self):
        p = self.ua.run("read", "1", check=0)
        self.assertIn("From: Andr\u00e9 <andre@example.net>", p.out)
        self.assertIn("Subject: Caf\u00e9 cr\u00e8me", p.out)
        self.assertIn("Un caf\u00e9 cr\u00e8me, s'il vous pla\u00eet.", p.out)
        self.assertIn("\nParts:\n  1        text/plain", p.out)
        # reading marks it seen
        self.assertTrue(self.ua.run("list", check=0).out.startswith("1\t---"))

    def test_read_attachment_and_save(self):
        p = self.ua.run("read", "2", check=0)
        self.assertIn("See the attached file.\nd\u00e9j\u00e0 vu", p.out)
        self.assertRegex(p.out, r"  1 +text/plain ")
        self.assertRegex(p.out, r"  2 +application/octet-stream +\d+  "
                                "data \u00e9t\u00e9.bin")
        out = self.ua.home / "saved.bin"
        p = self.ua.run("save", "2", "2", out, check=0)
        self.assertEqual(out.read_bytes(), BLOB)
        self.ua.run("save", "2", "9", out, check=1)
        self.ua.run("save", "7", "1", out, check=2)

    def test_read_html_rendered(self):
        p = self.ua.run("read", "3", check=0)
        self.assertIn("Title\nHello & welcome,\nsecond line\n* one\n* two",
                      p.out)
        self.assertNotIn("color", p.out)
        self.assertNotIn("<p>", p.out)

    def test_read_raw_headers_max_bytes(self):
        p = self.ua.run("read", "1", "--raw", check=0)
        self.assertEqual(p.stdout, self.dc.stored(USER)[0])
        self.assertTrue(p.stdout.endswith(plain_latin1()))
        p = self.ua.run("read", "1", "--headers", check=0)
        self.assertIn("Content-Transfer-Encoding: quoted-printable", p.out)
        p = self.ua.run("read", "2", "--max-bytes", "10", check=0)
        self.assertIn("[truncated at 10 bytes]", p.out)

    def test_read_over_pop3_and_maildir(self):
        self.dc.need("pop3")
        p = self.ua.run("read", "2", "--pop3", check=0)
        self.assertIn("d\u00e9j\u00e0 vu", p.out)
        self.assertRegex(p.out, r"  2 +application/octet-stream")
        p = self.ua.run("list", "--pop3", check=0)
        self.assertEqual(len(p.out.splitlines()), 3)
        self.assertIn("Caf\u00e9 cr\u00e8me", p.out)
        p = self.ua.run("list", "--maildir", self.dc.maildir(USER), check=0)
        self.assertEqual(len(p.out.splitlines()), 3, p.out)
        out = self.ua.home / "m.bin"
        self.ua.run("save", "2", "2", out, "--maildir", self.dc.maildir(USER),
                    check=0)
        self.assertEqual(out.read_bytes(), BLOB)

    def test_terminal_escapes_are_not_passed_through(self):
        self.dc.deliver(USER, b"From: \x1b[31mEvil <e@example.net>\r\n"
                        b"Subject: =?UTF-8?B?wpsyShtbMko=?= clear\r\n\r\n"
                        b"text \x1b]0;title\x07 and \xc2\x9b2J end\r\n")
        p = self.ua.run("list", check=0)
        self.assertNotIn(b"\x1b", p.stdout)
        self.assertNotIn(b"\xc2\x9b", p.stdout)
        self.assertIn("clear", p.out.splitlines()[3])
        for extra in ((), ("--headers",)):
            p = self.ua.run("read", "4", *extra, check=0)
            self.assertNotIn(b"\x1b", p.stdout)
            self.assertNotIn(b"\x07", p.stdout)
            self.assertNotIn(b"\xc2\x9b", p.stdout)
        self.assertIn("end", p.out)

    def test_search(self):
        p = self.ua.run("search", "--subject", "report", check=0)
        self.assertEqual([l.split("\t")[0] for l in p.out.splitlines()], ["2"])
        p = self.ua.run("search", "--from", "news@example.com", check=0)
        self.assertEqual(p.out.split("\t")[0], "3")
        p = self.ua.run("search", "croissant", check=1)
        self.assertEqual(p.out, "")
        p = self.ua.run("search", "--since", "2000-01-01", check=0)
        self.assertEqual(len(p.out.splitlines()), 3)

    def test_folders_flag_move_delete(self):
        self.ua.run("folder", "create", "Work/Projects", check=0)
        self.ua.run("folder", "create", "OldStuff", check=0)
        self.ua.run("folder", "rename", "OldStuff", "Kept", check=0)
        p = self.ua.run("folders", check=0)
        names = p.out.splitlines()
        for n in ("INBOX", "Work/Projects", "Kept"):
            self.assertIn(n, names)
        self.assertNotIn("OldStuff", names)
        self.ua.run("folder", "delete", "Kept", check=0)
        self.assertNotIn("Kept", self.ua.run("folders", check=0).out)
        # non-ASCII names travel in modified UTF-7 (RFC 3501 5.1.3)
        self.ua.run("folder", "create", "Entw\u00fcrfe/caf\u00e9 & co", check=0)
        self.assertIn("Entw\u00fcrfe/caf\u00e9 & co",
                      self.ua.run("folders", check=0).out.splitlines())
        m = self.imap()
        typ, data = m.list()
        self.assertIn(b'Entw&APw-rfe/caf&AOk- &- co', b"\n".join(data))
        m.logout()
        self.ua.run("list", "--folder", "Entw\u00fcrfe/caf\u00e9 & co", check=1)
        self.ua.run("flag", "1", "+Flagged", "+Seen", check=0)
        self.assertTrue(self.ua.run("list", check=0).out.startswith("1\t--F"))
        self.ua.run("flag", "1", "-Flagged", "-Seen", check=0)
        self.assertTrue(self.ua.run("list", check=0).out.startswith("1\tN--"))
        self.ua.run("move", "1", "Work/Projects", check=0)
        p = self.ua.run("list", "--folder", "Work/Projects", check=0)
        self.assertIn("Caf\u00e9", p.out)
        self.assertEqual(len(self.ua.run("list", check=0).out.splitlines()), 2)
        self.ua.run("delete", "1", check=0)
        self.assertEqual(len(self.ua.run("list", check=0).out.splitlines()), 1)
        m = self.imap()
        typ, data = m.select("INBOX")
        self.assertEqual(int(data[0]), 1)
        m.logout()

    def test_fetch_keep_then_delete(self):
        self.dc.need("pop3")
        dest = self.ua.home / "Local"
        p = self.ua.run("fetch", "--mode", "keep", "--maildir", dest, check=0)
        self.assertEqual(len(p.out.splitlines()), 3, p.out)
        self.assertEqual(len(list((dest / "new").iterdir())), 3)
        # keep mode: the server still has them, a second fetch takes nothing
        self.ua.run("fetch", "--mode", "keep", "--maildir", dest, check=1)
        pop = poplib.POP3("127.0.0.1", self.dc.port("pop3"))
        pop.user(USER)
        pop.pass_(PW)
        self.assertEqual(pop.stat()[0], 3)
        pop.quit()
        self.dc.deliver(USER, b"From: x@y.z\r\nSubject: fourth\r\n\r\nfour\r\n")
        p = self.ua.run("fetch", "--mode", "keep", "--maildir", dest, check=0)
        self.assertEqual(len(p.out.splitlines()), 1)
        self.assertIn("fourth", p.out)
        # the local copies are byte-exact
        got = sorted(f.read_bytes() for f in (dest / "new").iterdir())
        self.assertTrue(self.dc.stored(USER)[0] in got)
        # delete mode empties the server
        dest2 = self.ua.home / "Local2"
        p = self.ua.run("fetch", "--mode", "delete", "--maildir", dest2, check=0)
        self.assertEqual(len(list((dest2 / "new").iterdir())), 4)
        pop = poplib.POP3("127.0.0.1", self.dc.port("pop3"))
        pop.user(USER)
        pop.pass_(PW)
        self.assertEqual(pop.stat()[0], 0)
        pop.quit()
        self.ua.run("fetch", "--mode", "delete", "--maildir", dest2, check=1)

    def test_fetch_delete_keeps_mail_when_local_copy_fails(self):
        self.dc.need("pop3")
        blocker = self.ua.home / "notadir"
        blocker.write_text("a file where the Maildir should be\n")
        p = self.ua.run("fetch", "--mode", "delete", "--maildir", blocker,
                        check=2)
        self.assertIn("notadir", p.err)
        pop = poplib.POP3("127.0.0.1", self.dc.port("pop3"))
        pop.user(USER)
        pop.pass_(PW)
        self.assertEqual(pop.stat()[0], 3)
        pop.quit()

    def test_watch_prints_new_mail_and_runs_exec(self):
        marker = self.ua.home / "exec.out"
        env = dict(os.environ, **SAN_ENV, HOME=str(self.ua.home))
        proc = subprocess.Popen(
            [UA_BINARY, "watch", "--interval", "1", "--count", "4",
             "--exec", f"echo $POSTERN_NEW >> {marker}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        first = proc.stdout.readline().decode()
        self.assertTrue(first.startswith("watching INBOX every 1s"), first)
        self.dc.deliver(USER, b"From: Zed <z@example.net>\r\nSubject: "
                        b"arrived later\r\n\r\nnew\r\n")
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        lines = out.decode().splitlines()
        self.assertEqual(len(lines), 1, out)
        f = lines[0].split("\t")
        self.assertEqual((f[0], f[1], f[3], f[4]),
                         ("4", "N--", "Zed", "arrived later"))
        self.assertEqual(marker.read_text(), "1\n")

    def test_watch_wakes_up_on_idle(self):
        env = dict(os.environ, **SAN_ENV, HOME=str(self.ua.home))
        proc = subprocess.Popen(
            [UA_BINARY, "watch", "--interval", "5m", "--count", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        first = proc.stdout.readline().decode()
        self.assertEqual(first, "watching INBOX every 300s (IDLE)\n")
        time.sleep(1)
        start = time.monotonic()
        self.dc.deliver(USER, b"From: Idle <i@example.net>\r\nSubject: "
                        b"pushed\r\n\r\nnew\r\n")
        out, err = proc.communicate(timeout=120)
        self.assertLess(time.monotonic() - start, 60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("\tpushed\t", out.decode())

    def test_non_ascii_password_uses_authenticate(self):
        self.dc.cleanup()
        self.dc = self.make_peer(password="p\u00e4ss w\u00f6rd")
        self.dc.deliver(USER, plain_latin1())
        self.ua.pwfile.write_text("p\u00e4ss w\u00f6rd\n")
        p = self.ua.run("--imap", f"127.0.0.1:{self.dc.port('imap')}",
                        "list", check=0)
        self.assertEqual(len(p.out.splitlines()), 1)

    def test_bad_password_and_unreachable(self):
        self.ua.pwfile.write_text("nope\n")
        p = self.ua.run("list", check=2)
        self.assertIn("imap", p.err)
        p = self.ua.run("--imap", "127.0.0.1:1", "list", check=2)


@unittest.skipUnless(available(), SKIP_REASON)
class DovecotImapPop3Test(ImapPop3Cases, unittest.TestCase):
    def make_peer(self, password=PW):
        return DovecotPeer({USER: password}).start()


class PosternImapPop3Test(ImapPop3Cases, unittest.TestCase):
    def make_peer(self, password=PW):
        return PosternPeer({USER: password}).start()


@unittest.skipUnless(available(), SKIP_REASON)
class DovecotTlsTest(unittest.TestCase):
    def setUp(self):
        self.dc = Dovecot({USER: PW}, tls=True).start()
        self.dc.deliver(USER, plain_latin1())
        self.ua = UA(password=PW)
        self.ua.write_config(f"user = {USER}\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()

    def test_imap_starttls_and_implicit(self):
        ca = self.dc.dir / "cert.pem"
        imap = f"localhost:{self.dc.port('imap')}"
        p = self.ua.run("--imap", imap, "--starttls", "list", check=2)
        self.assertIn("certificate", p.err)
        self.ua.run("--imap", imap, "--starttls", "--ca-file", ca, "list", check=0)
        self.ua.run("--imap", f"localhost:{self.dc.port('imaps')}", "--tls",
                    "--ca-file", ca, "list", check=0)
        self.ua.run("--pop3", f"localhost:{self.dc.port('pop3')}", "--starttls",
                    "--ca-file", ca, "list", check=0)
        self.ua.run("--pop3", f"localhost:{self.dc.port('pop3s')}", "--tls",
                    "--insecure", "list", check=0)
        # by address: checked against the certificate's IP SAN
        self.ua.run("--imap", f"127.0.0.1:{self.dc.port('imaps')}", "--tls",
                    "--ca-file", ca, "list", check=0)
        # an address the certificate does not carry is refused (the
        # IPv4-mapped form of the same address)
        p = self.ua.run("--imap", f"[::ffff:127.0.0.1]:{self.dc.port('imaps')}",
                        "--tls", "--ca-file", ca, "list", check=2)
        if "refused" not in p.err and "unreachable" not in p.err:
            self.assertIn("certificate", p.err)


class PosternTlsTest(unittest.TestCase):
    """STARTTLS and implicit TLS against posternd's generated certificate."""

    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "imap", "imaps", "pop3", "pop3s"])
        self.srv.ctl("user", "add", USER, input=PW + "\n")
        self.srv.start()
        with socket.create_connection(("127.0.0.1", self.srv.port("imap")),
                                      timeout=10) as s:
            if b"not yet implemented" in s.recv(512):
                self.srv.stop()
                self.srv.tmp.cleanup()
                self.skipTest("posternd has no IMAP server yet")
        self.ua = UA(password=PW)
        self.ua.write_config(f"user = {USER}\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

    def test_tls_modes(self):
        ca = self.srv.dir / "data" / "tls" / "cert.pem"
        imap, pop3 = self.srv.port("imap"), self.srv.port("pop3")
        # verified by default: the self-signed certificate is refused
        p = self.ua.run("--imap", f"127.0.0.1:{imap}", "--starttls", "list",
                        check=2)
        self.assertIn("certificate", p.err)
        for args in (("--imap", f"127.0.0.1:{imap}", "--starttls"),
                     ("--imap", f"127.0.0.1:{self.srv.port('imaps')}", "--tls"),
                     ("--pop3", f"127.0.0.1:{pop3}", "--starttls"),
                     ("--pop3", f"127.0.0.1:{self.srv.port('pop3s')}", "--tls")):
            p = self.ua.run(*args, "--insecure", "list")
            self.assertIn(p.returncode, (0, 1), (args, p.err))
        self.assertTrue(ca.exists())


if __name__ == "__main__":
    unittest.main()
