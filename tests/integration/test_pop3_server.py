"""POP3 server (issue 7) against Python's poplib: every command, the state
rules and errors, keep and delete modes, locking, stable numbers and UIDs,
TLS (pop3s and STLS), and byte-exact retrieval of a large message.

Mail is put into mailboxes with build/tools/pop3-fill (the store API, byte
for byte), and users are made with posternctl.
"""
import base64
import poplib
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

from harness import ROOT, Postern, client_tls_context

FILL = ROOT / "build" / "tools" / "pop3-fill"
STORE_TOOL = ROOT / "build" / "tools" / "store_tool"
BOB, BOB_PW = "bob@example.org", "s3cret word"
CAPS = {"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE",
        "LOGIN-DELAY", "IMPLEMENTATION", "USER", "SASL", "STLS", "UTF8",
        "LANG"}


def msg(subject, body="hello\r\n"):
    return (f"From: a@example.org\r\nTo: {BOB}\r\nSubject: {subject}\r\n"
            f"\r\n{body}").encode()


def errtext(e):
    """poplib's error text as bytes (its own errors are str)."""
    t = e.args[0]
    return t if isinstance(t, bytes) else t.encode()


def crlf(data):
    """The CRLF form POP3 sends of a stored message (bare LF -> CRLF)."""
    out = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out


@unittest.skipUnless(FILL.exists(), "build/tools/pop3-fill missing: make tools")
class Pop3Base(unittest.TestCase):
    extra = {}
    users = (BOB,)
    services = ("pop3", "pop3s")

    @classmethod
    def setUpClass(cls):
        cls.srv = Postern(extra=dict({"domains": "example.org"}, **cls.extra),
                          services=list(cls.services)).start()
        for u in cls.users:
            cls.srv.ctl("user", "add", u, input=BOB_PW + "\n")

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        log = cls.srv.log()
        cls.srv.tmp.cleanup()
        # Sanitizer reports from the pop3 role (ASan build) fail the class.
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error",
                    "exited with status [1-9]", "killed by signal"):
            if re.search(bad, log):
                raise AssertionError(f"posternd log has {bad!r}:\n{log[-4000:]}")
        if code != 0:
            raise AssertionError(f"posternd exited {code}:\n{log[-4000:]}")

    # -- helpers -------------------------------------------------------
    def fill(self, *messages, user=BOB):
        """Stores messages; returns [(uidvalidity, uid)]."""
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, m in enumerate(messages):
                p = Path(d) / f"m{i}"
                p.write_bytes(m)
                paths.append(str(p))
            out = subprocess.run([str(FILL), "-c", str(self.srv.conf), user,
                                  *paths], capture_output=True, text=True,
                                 check=True).stdout
        return [tuple(int(x) for x in line.split()) for line in out.splitlines()]

    def store_list(self, user=BOB):
        out = subprocess.run([str(STORE_TOOL), "-c", str(self.srv.conf), "list",
                              user, "INBOX"], capture_output=True, text=True,
                             check=True).stdout
        return [line.split() for line in out.splitlines()]

    def connect(self):
        return poplib.POP3("127.0.0.1", self.srv.port("pop3"), timeout=30)

    def login(self, user=BOB, pw=BOB_PW, retries=50):
        """Logs in; retries while a just-closed session still holds the lock."""
        for _ in range(retries):
            p = self.connect()
            p.user(user)
            try:
                p.pass_(pw)
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" not in errtext(e):
                    raise
                time.sleep(0.1)
        self.fail("maildrop stayed locked")

    def empty(self, user=BOB):
        p = self.login(user)
        for i in range(p.stat()[0]):
            p.dele(i + 1)
        p.quit()


class Pop3Commands(Pop3Base):
    def setUp(self):
        self.empty()

    def test_greeting_and_capa(self):
        p = self.connect()
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        self.assertIn(b"mail.test", p.getwelcome())
        caps = p.capa()
        self.assertEqual(set(caps), CAPS)
        self.assertEqual(caps["SASL"], ["SCRAM-SHA-256", "PLAIN", "LOGIN"])
        self.assertEqual(caps["IMPLEMENTATION"], ["Postern"])
        p.quit()

    def test_utf8_and_lang(self):
        """RFC 6856: UTF8 before login, then an 8-bit message (raw UTF-8
        header fields) comes back byte for byte; LANG lists English."""
        m = ("From: a@example.org\r\nTo: jürgen@example.org\r\n"
             "Subject: grüße ✓\r\n\r\nnaïve body\r\n").encode()
        self.fill(m)
        p = self.connect()
        self.assertTrue(p.utf8().startswith(b"+OK"))
        resp, langs, _ = p._longcmd("LANG")
        self.assertEqual(langs, [b"en English"])
        with self.assertRaises(poplib.error_proto):
            p._shortcmd("LANG de")
        p.user(BOB)
        p.pass_(BOB_PW)
        self.assertEqual(b"\r\n".join(p.retr(1)[1]) + b"\r\n", m)
        with self.assertRaises(poplib.error_proto):
            p.utf8()                    # AUTHORIZATION state only
        self.assertTrue(p._shortcmd("LANG *").startswith(b"+OK"))
        p.quit()

    def test_stat_list_retr_top_uidl(self):
        m = [msg("one"), msg("two", "line1\r\n.dot\r\n..two\r\n.\r\nend\r\n"),
             msg("three", "x" * 100 + "\r\n")]
        ids = self.fill(*m)
        p = self.login()
        self.assertEqual(p.stat(), (3, sum(len(x) for x in m)))
        resp, lines, _ = p.list()
        self.assertTrue(resp.startswith(b"+OK"))
        self.assertEqual(lines, [f"{i + 1} {len(x)}".encode()
                                 for i, x in enumerate(m)])
        self.assertEqual(p.list(2), f"+OK 2 {len(m[1])}".encode())
        for i, x in enumerate(m):
            resp, lines, octets = p.retr(i + 1)
            self.assertEqual(resp, f"+OK {len(x)} octets".encode())
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", x)
        _, lines, _ = p.top(2, 2)
        self.assertEqual(lines[-3:], [b"", b"line1", b".dot"])
        _, lines, _ = p.top(2, 0)
        self.assertEqual(lines[-1], b"")
        self.assertEqual(len(lines), 4)
        _, lines, _ = p.uidl()
        want = [f"{i + 1} {v:08x}{u:08x}".encode() for i, (v, u) in enumerate(ids)]
        self.assertEqual(lines, want)
        self.assertEqual(p.uidl(3), b"+OK " + want[2])
        self.assertTrue(p.noop().startswith(b"+OK"))
        p.quit()

    def test_errors(self):
        self.fill(msg("one"))
        p = self.connect()
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1",
                    "NOOP"):
            with self.assertRaises(poplib.error_proto, msg=cmd) as e:
                p._shortcmd(cmd)
            self.assertIn(b"not valid in this state", e.exception.args[0])
        with self.assertRaises(poplib.error_proto):
            p.pass_(BOB_PW)                        # PASS before USER
        with self.assertRaises(poplib.error_proto):
            p._shortcmd("XYZZY")
        p.user(BOB)
        p.pass_(BOB_PW)
        for cmd, text in (("RETR 2", b"No such message"),
                          ("RETR 0", b"No such message"),
                          ("RETR x", b"Invalid message number"),
                          ("LIST 1 2", b"Syntax error"),
                          ("TOP 1", b"Syntax error"),
                          ("USER x", b"not valid in this state"),
                          ("STLS", b"not valid in this state")):
            with self.assertRaises(poplib.error_proto, msg=cmd) as e:
                p._shortcmd(cmd)
            self.assertIn(text, e.exception.args[0], cmd)
        p.dele(1)
        for cmd in ("RETR 1", "DELE 1", "LIST 1", "TOP 1 0", "UIDL 1"):
            with self.assertRaises(poplib.error_proto, msg=cmd):
                p._shortcmd(cmd)
        p.quit()

    def test_keep_mode(self):
        m = [msg("keep1"), msg("keep2")]
        self.fill(*m)
        for _ in range(2):
            p = self.login()
            self.assertEqual(p.stat()[0], 2)
            for i in range(2):
                self.assertEqual(b"\r\n".join(p.retr(i + 1)[1]) + b"\r\n", m[i])
            p.quit()
        # RETR marks messages \Seen for IMAP, DELE-less QUIT keeps them.
        flags = [int(row[1]) for row in self.store_list()]
        self.assertTrue(all(f & 1 for f in flags), flags)   # STORE_FLAG_SEEN

    def test_delete_mode(self):
        self.fill(msg("d1"), msg("d2"), msg("d3"))
        p = self.login()
        for i in range(3):
            p.retr(i + 1)
            p.dele(i + 1)
        self.assertEqual(p.stat(), (0, 0))
        self.assertIn(b"0 messages left", p.quit())
        p = self.login()
        self.assertEqual(p.stat(), (0, 0))
        p.quit()
        self.assertEqual(self.store_list(), [])

    def test_rset_undeletes(self):
        self.fill(msg("r1"), msg("r2"))
        p = self.login()
        p.dele(1)
        p.dele(2)
        self.assertEqual(p.stat()[0], 0)
        self.assertIn(b"2 messages", p.rset())
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_dropped_connection_deletes_nothing(self):
        self.fill(msg("x1"), msg("x2"))
        p = self.login()
        p.dele(1)
        p.dele(2)
        p.sock.shutdown(socket.SHUT_RDWR)   # no QUIT: no UPDATE state
        p.close()
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_quit_in_authorization(self):
        p = self.connect()
        self.assertTrue(p.quit().startswith(b"+OK"))

    def test_wrong_password_is_delayed_and_limited(self):
        p = self.connect()
        p.user(BOB)
        t0 = time.monotonic()
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.user("nobody@example.org")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_(BOB_PW)
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.user(BOB)
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong again")
        self.assertIn(b"closing", e.exception.args[0])
        with self.assertRaises((poplib.error_proto, OSError, EOFError)):
            p.noop()
        p.close()

    def test_sasl_plain_and_login(self):
        self.fill(msg("sasl"))
        p = self.connect()
        ir = base64.b64encode(f"\0{BOB}\0{BOB_PW}".encode()).decode()
        self.assertTrue(p._shortcmd("AUTH PLAIN " + ir).startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        p = self.connect()
        self.assertEqual(p._shortcmd("AUTH LOGIN"), b"+ VXNlcm5hbWU6")
        self.assertEqual(p._shortcmd(base64.b64encode(BOB.encode()).decode()),
                         b"+ UGFzc3dvcmQ6")
        self.assertTrue(p._shortcmd(
            base64.b64encode(BOB_PW.encode()).decode()).startswith(b"+OK"))
        p.quit()
        p = self.connect()
        self.assertEqual(p._shortcmd("AUTH PLAIN"), b"+ ")
        with self.assertRaises(poplib.error_proto) as e:
            p._shortcmd("*")
        self.assertIn(b"cancelled", e.exception.args[0])
        p.quit()

    def test_apop_refused(self):
        p = self.connect()
        with self.assertRaises(poplib.error_proto):
            p.apop(BOB, BOB_PW)  # no timestamp in the greeting either
        p.close()

    def test_in_use(self):
        self.fill(msg("lock"))
        a = self.login()
        b = self.connect()
        b.user(BOB)
        with self.assertRaises(poplib.error_proto) as e:
            b.pass_(BOB_PW)
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        b.quit()
        a.quit()
        c = self.login()
        c.quit()

    def test_numbers_do_not_shift_during_a_session(self):
        first = [msg("n1"), msg("n2")]
        self.fill(*first)
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        self.fill(msg("late"))
        self.assertEqual(p.stat()[0], 2)
        self.assertEqual(len(p.list()[1]), 2)
        with self.assertRaises(poplib.error_proto):
            p.retr(3)
        self.assertEqual(b"\r\n".join(p.retr(2)[1]) + b"\r\n", first[1])
        p.dele(1)
        p.quit()
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        self.assertIn(b"Subject: late", p.retr(2)[1])
        p.quit()

    def test_uidl_stable_and_shared_with_the_store(self):
        ids = self.fill(msg("u1"), msg("u2"), msg("u3"))
        p = self.login()
        before = p.uidl()[1]
        p.dele(2)
        p.quit()
        p = self.login()
        after = p.uidl()[1]
        p.quit()
        want = [f"{v:08x}{u:08x}" for v, u in ids]
        self.assertEqual([x.split()[1].decode() for x in before], want)
        self.assertEqual([x.split()[1].decode() for x in after],
                         [want[0], want[2]])
        # The store (what IMAP reads) has lost the deleted UID too.
        self.assertEqual([int(r[0]) for r in self.store_list()],
                         [ids[0][1], ids[2][1]])

    def test_big_message_byte_exact(self):
        lines = []
        for i in range(2200):
            if i % 7 == 0:
                lines.append(b"." + b"dot" * (i % 50))
            elif i % 11 == 0:
                lines.append(b"\xe4\xf6\xfc \xc3\xa9\xff 8-bit " * 30)
            elif i % 100 == 0:
                lines.append(b"L" * 20000)           # far past 998 octets
            else:
                lines.append(b"plain line %d" % i + b" x" * (i % 400))
        lines.append(b".")
        lines.append(b"..")
        big = b"Subject: big\r\n\r\n" + b"\r\n".join(lines) + b"\r\n"
        while len(big) < 2 * 1024 * 1024:
            big += b".pad " + b"p" * 1000 + b"\r\n"
        self.fill(big)
        old = poplib._MAXLINE
        poplib._MAXLINE = 1 << 20
        try:
            p = self.login()
            self.assertEqual(p.list(1), f"+OK 1 {len(big)}".encode())
            resp, got, octets = p.retr(1)
            p.quit()
        finally:
            poplib._MAXLINE = old
        self.assertEqual(b"\r\n".join(got) + b"\r\n", big)

    def test_bare_lf_message_sent_as_crlf(self):
        raw = b"Subject: lf\n\nline one\n.dotted\nno end"
        self.fill(raw)
        p = self.login()
        want = crlf(raw)
        self.assertEqual(p.stat(), (1, len(want)))
        _, got, _ = p.retr(1)
        p.quit()
        self.assertEqual(b"\r\n".join(got) + b"\r\n", want)

    def test_pipelining(self):
        self.fill(msg("p1"), msg("p2"))
        s = socket.create_connection(("127.0.0.1", self.srv.port("pop3")), timeout=30)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        for _ in range(50):
            try:
                s.sendall(f"USER {BOB}\r\nPASS {BOB_PW}\r\nSTAT\r\nLIST 2\r\n"
                          "RETR 1\r\nQUIT\r\n".encode())
                replies = [f.readline() for _ in range(3)]
                if b"[IN-USE]" in replies[1]:
                    s.close()
                    time.sleep(0.1)
                    s = socket.create_connection(("127.0.0.1", self.srv.port("pop3")), timeout=30)
                    f = s.makefile("rb")
                    f.readline()
                    continue
                break
            except OSError:
                raise
        self.assertTrue(replies[1].startswith(b"+OK Logged in"), replies)
        self.assertTrue(replies[2].startswith(b"+OK 2 "), replies)
        self.assertTrue(f.readline().startswith(b"+OK 2 "))
        self.assertTrue(f.readline().startswith(b"+OK"))
        body = []
        while True:
            line = f.readline()
            if line == b".\r\n":
                break
            body.append(line)
        self.assertIn(b"Subject: p1\r\n", body)
        self.assertTrue(f.readline().startswith(b"+OK"))
        self.assertEqual(f.readline(), b"")     # closed after QUIT
        s.close()

    def test_pipelining_client_that_reads_late(self):
        self.fill(msg("q1"), msg("q2"))
        p = self.login()
        n = 8000                    # ~0.6 MB of replies, past every buffer
        sender = threading.Thread(
            target=lambda: p.sock.sendall(b"UIDL\r\n" * n + b"NOOP\r\n"))
        sender.start()
        time.sleep(1)               # the server must stop, not balloon
        for _ in range(n):
            self.assertTrue(p._getline()[0].startswith(b"+OK"))
            self.assertEqual(len([p._getline() for _ in range(3)]), 3)
        self.assertEqual(p._getline()[0], b"+OK")
        sender.join()
        p.quit()

    def test_many_pipelined_retrs(self):
        self.fill(msg("small"))
        p = self.login()
        n = 5000
        sender = threading.Thread(
            target=lambda: p.sock.sendall(b"RETR 1\r\n" * n))
        sender.start()
        for _ in range(n):
            self.assertIn(b"Subject: small", p._getlongresp()[1])
        sender.join()
        p.quit()

    def test_limits(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port("pop3")), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"NOOP " + b"x" * 10000 + b"\r\n")
        self.assertIn(b"too long", f.readline())
        for i in range(9):
            s.sendall(b"BOGUS\r\n")
            line = f.readline()
        self.assertIn(b"Too many bad commands", line)
        self.assertEqual(f.readline(), b"")
        s.close()


class Pop3Concurrency(Pop3Base):
    """Other writers on the maildrop while a POP3 session has it open."""

    def setUp(self):
        self.empty()

    def store_tool(self, *args):
        return subprocess.run([str(STORE_TOOL), "-c", str(self.srv.conf), *args],
                              capture_output=True, text=True, check=True).stdout

    def test_delivery_during_session(self):
        self.fill(msg("before"))
        p = self.login()
        self.assertEqual(p.stat()[0], 1)
        # Local delivery, as the queue does it for SMTP mail.
        self.store_tool("deliver", "a@example.org", BOB, "3", "late")
        self.assertEqual(p.stat()[0], 1)
        self.assertEqual(len(p.uidl()[1]), 1)
        self.assertIn(b"Subject: before", p.retr(1)[1])
        p.dele(1)
        p.quit()
        p = self.login()
        self.assertEqual(p.stat()[0], 3)
        subjects = [l for i in range(3) for l in p.top(i + 1, 0)[1]
                    if l.startswith(b"Subject:")]
        self.assertEqual(sorted(subjects),
                         [b"Subject: test late-%d" % i for i in range(3)])
        p.quit()

    def test_expunge_by_another_client_during_session(self):
        ids = self.fill(msg("e1"), msg("e2"), msg("e3"))
        p = self.login()
        # What an IMAP client's EXPUNGE does to message 1.
        self.store_tool("churn", BOB, "INBOX", str(ids[0][1]), "0")
        with self.assertRaises(poplib.error_proto) as e:
            p.retr(1)
        self.assertIn(b"removed", e.exception.args[0])
        self.assertEqual(p.stat()[0], 3)          # numbers never shift
        self.assertIn(b"Subject: e2", p.retr(2)[1])
        p.dele(1)
        p.dele(3)
        p.quit()
        p = self.login()
        self.assertEqual(p.stat()[0], 1)
        self.assertIn(b"Subject: e2", p.retr(1)[1])
        p.quit()

    def test_maildir_file_from_another_tool(self):
        # An MDA writing the Maildir directly (tmp/ then new/).
        box = self.srv.dir / "data" / "mail" / "example.org" / "bob"
        raw = b"Subject: dropped\nX: y\n\nby hand\n"
        (box / "tmp" / "1700000000.M1P1.elsewhere").write_bytes(raw)
        (box / "tmp" / "1700000000.M1P1.elsewhere").rename(
            box / "new" / "1700000000.M1P1.elsewhere")
        p = self.login()
        self.assertEqual(p.stat(), (1, len(crlf(raw))))
        self.assertEqual(b"\r\n".join(p.retr(1)[1]) + b"\r\n", crlf(raw))
        p.dele(1)
        p.quit()
        self.assertEqual(list((box / "new").iterdir()) + list((box / "cur").iterdir()), [])

    def open_sessions(self, n):
        """n connections from this address and their greeting lines."""
        socks, lines = [], []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", self.srv.port("pop3")),
                                         timeout=30)
            socks.append(s)
            lines.append(s.makefile("rb").readline())
        return socks, lines

    def test_per_address_connection_cap(self):
        # Sessions of earlier tests end when whichever of the role's loops
        # owns them notices: allow them 5 s to go. A leaked count would
        # refuse one of the 20 for good and fail here.
        for _ in range(50):
            socks, lines = self.open_sessions(20)
            if all(l.startswith(b"+OK") for l in lines):
                break
            for s in socks:
                s.close()
            time.sleep(0.1)
        try:
            self.assertTrue(all(l.startswith(b"+OK") for l in lines), lines)
            more, extra = self.open_sessions(1)
            socks += more
            self.assertIn(b"Too many connections", extra[0])
        finally:
            for s in socks:
                s.close()
        # Wait until the server has seen them go, for the tests after us.
        for _ in range(50):
            more, lines = self.open_sessions(1)
            more[0].close()
            if lines[0].startswith(b"+OK"):
                break
            time.sleep(0.1)

    def test_failure_delay_grows_across_connections(self):
        srv = Postern(extra={"domains": "example.org"}, services=["pop3"]).start()
        try:
            srv.ctl("user", "add", BOB, input=BOB_PW + "\n")
            took = []
            for _ in range(2):
                p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
                p.user(BOB)
                t0 = time.monotonic()
                with self.assertRaises(poplib.error_proto):
                    p.pass_("wrong")
                took.append(time.monotonic() - t0)
                p.close()
            self.assertGreaterEqual(took[0], 0.9)
            self.assertGreaterEqual(took[1], 1.9)    # not reset by reconnecting
            p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
            p.user(BOB)
            p.pass_(BOB_PW)                          # the right one still works
            p.quit()
        finally:
            srv.stop()
            srv.tmp.cleanup()

    def test_sigterm_ends_sessions_without_update(self):
        srv = Postern(extra={"domains": "example.org"}, services=["pop3"]).start()
        try:
            srv.ctl("user", "add", BOB, input=BOB_PW + "\n")
            subprocess.run([str(FILL), "-c", str(srv.conf), BOB, "-"],
                           input=msg("term"), check=True, capture_output=True)
            p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
            p.user(BOB)
            p.pass_(BOB_PW)
            p.dele(1)
            t0 = time.monotonic()
            srv.proc.terminate()
            self.assertIn(b"shutting down", p.file.readline())
            self.assertEqual(srv.stop(), 0)
            self.assertLess(time.monotonic() - t0, 10)
            srv.start()
            p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
            p.user(BOB)
            p.pass_(BOB_PW)
            self.assertEqual(p.stat()[0], 1)      # the DELE never happened
            p.quit()
        finally:
            srv.stop()
            srv.tmp.cleanup()


class Pop3Tls(Pop3Base):
    """plaintext_auth = never: passwords only over TLS."""
    extra = {"plaintext_auth": "never"}

    def test_plaintext_refused_then_stls(self):
        self.fill(msg("tls"))
        p = self.connect()
        caps = p.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        with self.assertRaises(poplib.error_proto) as e:
            p.user(BOB)
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.stls(context=client_tls_context())
        caps = p.capa()
        self.assertIn("USER", caps)
        self.assertNotIn("STLS", caps)
        p.user(BOB)
        p.pass_(BOB_PW)
        self.assertEqual(p.stat()[0], 1)
        self.assertIn(b"Subject: tls", p.retr(1)[1])
        p.dele(1)
        p.quit()

    def test_big_message_over_stls(self):
        big = b"Subject: big tls\r\n\r\n" + b"".join(
            b"%s%d %s\r\n" % (b"." if i % 5 == 0 else b"", i, b"y" * (i % 300))
            for i in range(20000))
        self.fill(big)
        p = self.connect()
        p.stls(context=client_tls_context())
        p.user(BOB)
        p.pass_(BOB_PW)
        self.assertEqual(p.list(1), f"+OK 1 {len(big)}".encode())
        _, got, _ = p.retr(1)
        self.assertEqual(b"\r\n".join(got) + b"\r\n", big)
        p.dele(1)
        p.quit()

    def test_pop3s(self):
        self.fill(msg("implicit"))
        p = poplib.POP3_SSL("127.0.0.1", self.srv.port("pop3s"),
                            context=client_tls_context(), timeout=30)
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        self.assertNotIn("STLS", p.capa())
        p.user(BOB)
        p.pass_(BOB_PW)
        self.assertEqual(p.stat()[0], 1)
        self.assertIn(b"Subject: implicit", p.retr(1)[1])
        p.dele(1)
        p.quit()

    def test_stls_discards_pipelined_plaintext(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port("pop3")), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"STLS\r\nNOOP\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        t = client_tls_context().wrap_socket(s)
        tf = t.makefile("rb")
        t.sendall(b"CAPA\r\n")
        # NOOP was dropped: the first reply after TLS answers CAPA.
        self.assertEqual(tf.readline(), b"+OK Capability list follows\r\n")
        t.close()


if __name__ == "__main__":
    unittest.main()
