"""SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) against the real posternd: a
client written here from the RFC (scramclient.py) logs in over SMTP
submission, POP3 and IMAP (with and without SASL-IR); a wrong password
and a tampered proof fail with each protocol's failure reply; a user
whose row predates SCRAM (its new columns cleared with sqlite3) fails
SCRAM but logs in with PLAIN; "*" cancels; SCRAM is not offered where
PLAIN is not (plaintext_auth = never without TLS). Then our own client,
the user agent's smtpc, sends through submission with SCRAM, and the
server's log shows SCRAM, not PLAIN, was used."""
import base64
import imaplib
import os
import re
import smtplib
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from dovecotpeer import SKIP_REASON, Dovecot, available
from harness import Postern
from mailutil import wait_messages
from scramclient import ScramClient
from uautil import UA

BOB, BOB_PW = "bob@example.org", "s3cret word"
OLD, OLD_PW = "old@example.org", "old pass"


def b64(b):
    return base64.b64encode(b).decode()


class Lines:
    """A raw line-oriented client for the POP3 and IMAP exchanges."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().rstrip(b"\r\n")

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def close(self):
        self.f.close()
        self.s.close()


class ScramBase(unittest.TestCase):
    extra = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = Postern(extra=dict({"domains": "example.org"}, **cls.extra),
                          services=["submission", "pop3", "imap"]).start()
        cls.srv.ctl("user", "add", BOB, input=BOB_PW + "\n")
        cls.srv.ctl("user", "add", OLD, input=OLD_PW + "\n")
        # A user from before SCRAM: no credentials in its row.
        db = sqlite3.connect(cls.srv.dir / "data" / "accounts.db")
        with db:
            db.execute("UPDATE users SET scram_salt = NULL, scram_iter = "
                       "NULL, scram_stored_key = NULL, scram_server_key = "
                       "NULL WHERE address = ?", (OLD,))
        db.close()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        log = cls.srv.log()
        cls.srv.tmp.cleanup()
        # Sanitizer reports from any role (ASan build) fail the class.
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error",
                    "exited with status [1-9]", "killed by signal"):
            if re.search(bad, log):
                raise AssertionError(f"posternd log has {bad!r}:\n"
                                     f"{log[-4000:]}")
        if code != 0:
            raise AssertionError(f"posternd exited {code}:\n{log[-4000:]}")


class ScramServers(ScramBase):
    def test_credentials_stored_not_password(self):
        db = sqlite3.connect(self.srv.dir / "data" / "accounts.db")
        row = db.execute("SELECT scram_salt, scram_iter, scram_stored_key,"
                         " scram_server_key FROM users WHERE address = ?",
                         (BOB,)).fetchone()
        db.close()
        self.assertGreaterEqual(len(row[0]), 16)
        self.assertEqual(row[1], 4096)
        self.assertEqual((len(row[2]), len(row[3])), (32, 32))
        self.assertNotIn(BOB_PW.encode(), b"".join([row[0], row[2], row[3]]))

    # -- SMTP (RFC 4954) ------------------------------------------------
    def smtp(self):
        c = smtplib.SMTP("127.0.0.1", self.srv.port("submission"),
                         timeout=20)
        c.ehlo("client.test")
        return c

    def test_smtp_ehlo_offers_scram(self):
        with self.smtp() as c:
            self.assertEqual(c.esmtp_features["auth"].split(),
                             ["SCRAM-SHA-256", "PLAIN", "LOGIN"])

    def test_smtp_scram_login(self):
        for ir in (True, False):
            with self.subTest(initial_response=ir), self.smtp() as c:
                sc = ScramClient(BOB, BOB_PW)
                code, _ = c.auth("SCRAM-SHA-256", sc.authobject(),
                                 initial_response_ok=ir)
                self.assertEqual(code, 235)
                self.assertIsNotNone(sc.server_sig)
                code, _ = c.mail(BOB)
                self.assertEqual(code, 250)
                code, _ = c.rcpt("someone@elsewhere.example")
                self.assertEqual(code, 250)    # relaying: authenticated

    def test_smtp_scram_failures(self):
        for user, pw, tamper in ((BOB, "wrong", False), (BOB, BOB_PW, True),
                                 ("nobody@example.org", "x", False),
                                 (OLD, OLD_PW, False)):
            with self.subTest(user=user, tamper=tamper), self.smtp() as c:
                with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                    c.auth("SCRAM-SHA-256",
                           ScramClient(user, pw, tamper=tamper).authobject())
                self.assertEqual(cm.exception.smtp_code, 535)

    def test_smtp_cancel_and_old_user_plain(self):
        with self.smtp() as c:
            code, msg = c.docmd("AUTH", "SCRAM-SHA-256")
            self.assertEqual(code, 334)
            code, msg = c.docmd("*")
            self.assertEqual(code, 501)
            code, _ = c.docmd("AUTH", "PLAIN " + b64(
                f"\0{OLD}\0{OLD_PW}".encode()))
            self.assertEqual(code, 235)

    # -- POP3 (RFC 5034) ------------------------------------------------
    def pop3_scram(self, user, pw, tamper=False, ir=False):
        """A POP3 SCRAM login: the final reply line."""
        p = Lines(self.srv.port("pop3"))
        self.assertTrue(p.line().startswith(b"+OK"))
        sc = ScramClient(user, pw, tamper=tamper)
        if ir:
            p.send("AUTH SCRAM-SHA-256 " + b64(sc.first()))
        else:
            p.send("AUTH SCRAM-SHA-256")
            self.assertEqual(p.line(), b"+ ")
            p.send(b64(sc.first()))
        r = p.line()
        self.assertTrue(r.startswith(b"+ "), r)
        p.send(b64(sc.final(base64.b64decode(r[2:]))))
        r = p.line()
        if r.startswith(b"+ "):
            self.assertTrue(sc.verify(base64.b64decode(r[2:])))
            p.send("")
            r = p.line()
        if r.startswith(b"+OK"):
            p.send("QUIT")
            p.line()
        p.close()
        return r

    def test_pop3_capa_and_login(self):
        p = Lines(self.srv.port("pop3"))
        p.line()
        p.send("CAPA")
        caps = []
        while (ln := p.line()) != b".":
            caps.append(ln)
        self.assertIn(b"SASL SCRAM-SHA-256 PLAIN LOGIN", caps)
        p.close()
        self.assertTrue(self.pop3_scram(BOB, BOB_PW).startswith(
            b"+OK Logged in"))
        self.assertTrue(self.pop3_scram(BOB, BOB_PW, ir=True).startswith(
            b"+OK Logged in"))

    def test_pop3_failures(self):
        # Each failure costs a growing delay (RFC 1939 §13), so few rows.
        for user, pw, tamper in ((BOB, "wrong", False), (OLD, OLD_PW, False),
                                 (BOB, BOB_PW, True)):
            with self.subTest(user=user, tamper=tamper):
                self.assertEqual(self.pop3_scram(user, pw, tamper),
                                 b"-ERR [AUTH] Authentication failed")

    def test_pop3_old_user_plain_and_cancel(self):
        p = Lines(self.srv.port("pop3"))
        p.line()
        p.send("AUTH SCRAM-SHA-256")
        self.assertEqual(p.line(), b"+ ")
        p.send("*")
        self.assertEqual(p.line(), b"-ERR Authentication cancelled")
        p.send("AUTH PLAIN " + b64(f"\0{OLD}\0{OLD_PW}".encode()))
        self.assertTrue(p.line().startswith(b"+OK Logged in"))
        p.send("QUIT")
        p.line()
        p.close()

    # -- IMAP (RFC 3501 §6.2.2, RFC 4959) -------------------------------
    def test_imap_capability_and_imaplib_login(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        self.assertIn(b"AUTH=SCRAM-SHA-256", m.capability()[1][0])
        sc = ScramClient(BOB, BOB_PW)
        typ, _ = m.authenticate("SCRAM-SHA-256", sc.authobject())
        self.assertEqual(typ, "OK")
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()

    def imap_scram(self, user, pw, tamper=False, ir=True):
        i = Lines(self.srv.port("imap"))
        i.line()
        sc = ScramClient(user, pw, tamper=tamper)
        if ir:
            i.send("a1 AUTHENTICATE SCRAM-SHA-256 " + b64(sc.first()))
        else:
            i.send("a1 AUTHENTICATE SCRAM-SHA-256")
            self.assertEqual(i.line(), b"+ ")
            i.send(b64(sc.first()))
        r = i.line()
        self.assertTrue(r.startswith(b"+ "), r)
        i.send(b64(sc.final(base64.b64decode(r[2:]))))
        r = i.line()
        if r.startswith(b"+ "):
            self.assertTrue(sc.verify(base64.b64decode(r[2:])))
            i.send("")
            r = i.line()
        i.close()
        return r

    def test_imap_sasl_ir_login(self):
        self.assertTrue(self.imap_scram(BOB, BOB_PW).startswith(
            b"a1 OK [CAPABILITY"))

    def test_imap_failures(self):
        for user, pw, tamper in ((BOB, "wrong", False), (BOB, BOB_PW, True),
                                 (OLD, OLD_PW, False)):
            with self.subTest(user=user, tamper=tamper):
                self.assertEqual(self.imap_scram(user, pw, tamper, ir=False),
                                 b"a1 NO [AUTHENTICATIONFAILED] "
                                 b"Authentication failed")

    def test_imap_old_user_plain_and_cancel(self):
        i = Lines(self.srv.port("imap"))
        i.line()
        i.send("a1 AUTHENTICATE SCRAM-SHA-256")
        self.assertEqual(i.line(), b"+ ")
        i.send("*")
        self.assertEqual(i.line(), b"a1 BAD Authentication cancelled")
        i.send("a2 AUTHENTICATE PLAIN " + b64(f"\0{OLD}\0{OLD_PW}".encode()))
        self.assertTrue(i.line().startswith(b"a2 OK"))
        i.close()


class ScramOurClient(ScramBase):
    """smtpc (here in the user agent's `postern send`) against our own
    submission port: SCRAM is chosen over PLAIN, and the log says so."""

    def send(self, user, pw):
        ua = UA(password=pw)
        try:
            ua.write_config(
                f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
                f"user = {user}\npassword_file = {ua.pwfile}\n")
            return ua.run("send", "--to", BOB, "--subject", "scram",
                          input="hello\n")
        finally:
            ua.cleanup()

    def wait_log(self, text):
        deadline = time.monotonic() + 10
        while text not in self.srv.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.srv.log()

    def test_smtpc_uses_scram(self):
        p = self.send(BOB, BOB_PW)
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assertIn("sent to 1 recipient", p.out)
        log = self.wait_log(f"authenticated as {BOB} (SCRAM-SHA-256)")
        self.assertIn(f"authenticated as {BOB} (SCRAM-SHA-256)", log)
        self.assertNotRegex(log, rf"authenticated as {re.escape(BOB)}\n")

    def test_smtpc_wrong_password_fails(self):
        p = self.send(BOB, "wrong")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("535", p.out + p.err)

    def test_smtpc_old_user_falls_back_to_plain(self):
        # No SCRAM credentials: the server refuses SCRAM (535) and
        # smtpc tries PLAIN, which works.
        p = self.send(OLD, OLD_PW)
        self.assertEqual(p.returncode, 0, p.out + p.err)
        log = self.wait_log(f"authenticated as {OLD}\n")
        self.assertIn(f"failed to authenticate as {OLD} (SCRAM-SHA-256)",
                      log)
        self.assertIn(f"authenticated as {OLD}\n", log)


class ScramUaImap(ScramBase):
    """The user agent's IMAP client picks SCRAM against our imapd."""

    def test_ua_imap_scram(self):
        with smtplib.SMTP("127.0.0.1", self.srv.port("submission"),
                          timeout=20) as c:
            c.login(BOB, BOB_PW)
            c.sendmail(BOB, [BOB, OLD], b"Subject: for the UA\r\n\r\nhi\r\n")
        wait_messages(self.srv, BOB, 1)
        wait_messages(self.srv, OLD, 1)
        ua = UA(password=BOB_PW)
        try:
            ua.write_config(f"imap = 127.0.0.1:{self.srv.port('imap')}\n"
                            f"user = {BOB}\npassword_file = {ua.pwfile}\n")
            p = ua.run("list")
            self.assertEqual(p.returncode, 0, p.out + p.err)
            self.assertIn(f"imap: {BOB} authenticated with SCRAM-SHA-256",
                          self.srv.log())
            # An account without SCRAM credentials: NO, then LOGIN.
            ua.pwfile.write_text(OLD_PW + "\n")
            ua.write_config(f"imap = 127.0.0.1:{self.srv.port('imap')}\n"
                            f"user = {OLD}\npassword_file = {ua.pwfile}\n")
            p = ua.run("list")
            self.assertEqual(p.returncode, 0, p.out + p.err)
            ua.pwfile.write_text("wrong\n")
            p = ua.run("list")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("Authentication failed", p.out + p.err)
        finally:
            ua.cleanup()


@unittest.skipUnless(available(), SKIP_REASON)
class ScramUaDovecot(unittest.TestCase):
    """The user agent's IMAP client against a real peer: Dovecot offering
    SCRAM-SHA-256 (auth_mechanisms), its log naming the method used."""
    USER, PW = "bob@example.org", "bob pw"

    def setUp(self):
        self.dc = Dovecot({self.USER: self.PW},
                          mechanisms="plain login scram-sha-256").start()
        self.dc.deliver(self.USER, b"From: a@example.org\r\nSubject: hi "
                        b"scram\r\n\r\nbody\r\n")
        self.ua = UA(password=self.PW)
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.dc.port('imap')}\n"
            f"user = {self.USER}\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()

    def test_dovecot_offers_scram(self):
        m = imaplib.IMAP4("127.0.0.1", self.dc.port("imap"))
        self.assertIn(b"AUTH=SCRAM-SHA-256", m.capability()[1][0])
        # and our test client agrees with Dovecot too
        typ, _ = m.authenticate("SCRAM-SHA-256",
                                ScramClient(self.USER, self.PW).authobject())
        self.assertEqual(typ, "OK")
        m.logout()

    def test_ua_logs_in_with_scram(self):
        p = self.ua.run("list")
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assertIn("hi scram", p.out)
        deadline = time.monotonic() + 5
        while "method=SCRAM-SHA-256" not in self.dc.log() and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertRegex(self.dc.log(),
                         r"Login: user=<bob@example.org>, method=SCRAM-SHA-256")
        self.assertNotIn("method=PLAIN", self.dc.log())

    def test_ua_wrong_password(self):
        self.ua.pwfile.write_text("wrong\n")
        p = self.ua.run("list")
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("method=SCRAM-SHA-256", self.dc.log())


class ScramNotOfferedWithoutTls(ScramBase):
    """plaintext_auth = never: like PLAIN, SCRAM needs TLS."""
    extra = {"plaintext_auth": "never"}

    def test_not_offered(self):
        with smtplib.SMTP("127.0.0.1", self.srv.port("submission"),
                          timeout=20) as c:
            c.ehlo("client.test")
            self.assertNotIn("auth", c.esmtp_features)
            code, _ = c.docmd("AUTH", "SCRAM-SHA-256")
            self.assertEqual(code, 538)
        p = Lines(self.srv.port("pop3"))
        p.line()
        p.send("AUTH SCRAM-SHA-256")
        self.assertTrue(p.line().startswith(b"-ERR [AUTH] Plaintext"))
        p.close()
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        self.assertNotIn(b"AUTH=SCRAM-SHA-256", m.capability()[1][0])
        m.shutdown()


if __name__ == "__main__":
    unittest.main()
