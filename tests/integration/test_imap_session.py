"""IMAP session commands: greeting, CAPABILITY, NOOP, LOGOUT, LOGIN and
LOGINDISABLED, AUTHENTICATE PLAIN/LOGIN with SASL-IR, STARTTLS, implicit
TLS, ID, NAMESPACE, ENABLE, literal limits (TOOBIG), LITERAL+."""
import base64
import imaplib
import ssl
import unittest

from harness import client_tls_context
from imap_util import PASS, USER, Raw, login, start


class SessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def test_greeting_and_capability(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        self.assertTrue(m.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1"))
        typ, data = m.capability()
        self.assertEqual(typ, "OK")
        caps = data[0].split()
        for c in (b"IMAP4rev1", b"LITERAL+", b"IDLE", b"UIDPLUS", b"MOVE",
                  b"NAMESPACE", b"ENABLE", b"ID", b"SPECIAL-USE",
                  b"CHILDREN", b"UNSELECT", b"SASL-IR", b"CONDSTORE",
                  b"STARTTLS", b"AUTH=PLAIN"):
            self.assertIn(c, caps)
        self.assertEqual(m.noop()[0], "OK")
        self.assertEqual(m.logout()[0], "BYE")

    def test_login_good_and_bad(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(USER, "wrong")
        typ, data = m.login(USER, PASS)
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"STARTTLS", m.capability()[1][0])
        m.logout()

    def test_commands_need_login(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        with self.assertRaises(imaplib.IMAP4.error):
            m.select("INBOX")
        m.logout()

    def test_authenticate_plain_and_login(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        typ, _ = m.authenticate(
            "PLAIN", lambda _: ("\0%s\0%s" % (USER, PASS)).encode())
        self.assertEqual(typ, "OK")
        m.logout()
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        answers = iter([USER.encode(), PASS.encode()])
        typ, _ = m.authenticate("LOGIN", lambda _: next(answers))
        self.assertEqual(typ, "OK")
        m.logout()

    def test_sasl_ir_and_cancel(self):
        r = Raw(self.srv.port("imap"))
        r.line()
        ir = base64.b64encode(("\0%s\0%s" % (USER, PASS)).encode())
        r.send(b"a1 AUTHENTICATE PLAIN " + ir + b"\r\n")
        self.assertTrue(r.until(b"a1")[-1].startswith(b"a1 OK"))
        r.close()
        r = Raw(self.srv.port("imap"))
        r.line()
        r.send(b"a1 AUTHENTICATE PLAIN\r\n")
        self.assertTrue(r.line().startswith(b"+"))
        r.send(b"*\r\n")
        self.assertTrue(r.line().startswith(b"a1 BAD"))
        r.close()

    def test_starttls(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        typ, _ = m.starttls(ssl_context=client_tls_context())
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"STARTTLS", m.capability()[1][0])
        self.assertEqual(m.login(USER, PASS)[0], "OK")
        m.logout()

    def test_imaps(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.port("imaps"),
                              ssl_context=client_tls_context())
        self.assertEqual(m.login(USER, PASS)[0], "OK")
        m.logout()

    def test_id_namespace_enable(self):
        m = login(self.srv)
        typ, data = m.xatom("ID", "NIL")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Postern", m.untagged_responses["ID"][0])
        typ, data = m.namespace()
        self.assertEqual(data[0], b'(("" "/")) NIL NIL')
        typ, data = m.enable("CONDSTORE")
        self.assertEqual(typ, "OK")
        m.logout()

    def test_literal_too_big_not_read(self):
        r = Raw(self.srv.port("imap"))
        r.line()
        r.send(b"a1 LOGIN {999999999}\r\n")
        self.assertTrue(r.line().startswith(b"a1 NO [TOOBIG]"))
        r.send(b"a2 NOOP\r\n")
        self.assertTrue(r.line().startswith(b"a2 OK"))
        # APPEND over max_message_size (25M default) is refused too
        r.send(b"a3 APPEND INBOX {99999999999}\r\n")
        self.assertTrue(r.line().startswith(b"a3 NO [TOOBIG]"))
        # a non-synchronising one cannot be skipped: BYE
        r.send(b"a4 LOGIN {999999999+}\r\n")
        self.assertTrue(r.line().startswith(b"* BYE"))
        r.close()

    def test_literal_plus_login(self):
        r = Raw(self.srv.port("imap"))
        r.line()
        u, p = USER.encode(), PASS.encode()
        r.send(b"a1 LOGIN {%d+}\r\n%s {%d+}\r\n%s\r\n" % (len(u), u, len(p), p))
        self.assertTrue(r.until(b"a1")[-1].startswith(b"a1 OK"))
        r.close()

    def test_bad_syntax_and_unknown(self):
        r = Raw(self.srv.port("imap"))
        r.line()
        r.send(b"a1 FROB\r\na2 LOGIN \"unterminated\r\n+ x\r\n")
        self.assertTrue(r.line().startswith(b"a1 BAD"))
        self.assertTrue(r.line().startswith(b"a2 BAD"))
        self.assertTrue(r.line().startswith(b"* BAD"))
        r.close()


class LoginDisabledTest(unittest.TestCase):
    def test_logindisabled_without_tls(self):
        srv = start(extra={"plaintext_auth": "never"})
        try:
            m = imaplib.IMAP4("127.0.0.1", srv.port("imap"))
            caps = m.capability()[1][0].split()
            self.assertIn(b"LOGINDISABLED", caps)
            self.assertNotIn(b"AUTH=PLAIN", caps)
            with self.assertRaises(imaplib.IMAP4.error):
                m.login(USER, PASS)
            m.starttls(ssl_context=client_tls_context())
            caps = m.capability()[1][0].split()
            self.assertNotIn(b"LOGINDISABLED", caps)
            self.assertEqual(m.login(USER, PASS)[0], "OK")
            m.logout()
        finally:
            srv.stop()
            srv.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
