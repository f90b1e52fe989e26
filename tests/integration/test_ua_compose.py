"""postern reply / forward: the original comes from Dovecot over IMAP, the
answer goes out through our posternd; In-Reply-To, References, quoting,
the \\Answered flag and the forwarded bytes are checked with email."""
import email
import email.policy
import unittest

from dovecotpeer import SKIP_REASON, Dovecot, available
from harness import Postern
from mailutil import wait_messages
from uautil import UA

ORIG = (b"From: Carol <carol@example.org>\r\nTo: bob@example.org, "
        b"dave@example.org\r\nCc: erin@example.org\r\n"
        b"Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nSubject: hello\r\n"
        b"Message-ID: <orig@example.org>\r\nReferences: <a@x> <b@x>\r\n\r\n"
        b"first line\r\nsecond line\r\n")


@unittest.skipUnless(available(), SKIP_REASON)
class ComposeTest(unittest.TestCase):
    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "submission"])
        for u in ("bob", "carol", "dave", "erin"):
            self.srv.ctl("user", "add", f"{u}@example.org", input="bobpw\n")
        self.srv.start()
        self.dc = Dovecot({"bob@example.org": "bobpw"}).start()
        self.dc.deliver("bob@example.org", ORIG)
        self.ua = UA(password="bobpw")
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.dc.port('imap')}\n"
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = bob@example.org\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()
        self.assertEqual(self.srv.stop(), 0)
        self.srv.tmp.cleanup()

    def got(self, who):
        msgs = wait_messages(self.srv, who, 1)
        self.assertTrue(msgs, who)
        return email.message_from_bytes(msgs[-1], policy=email.policy.default)

    def test_reply(self):
        self.ua.run("reply", "1", input="Thanks!\n", check=0)
        m = self.got("carol@example.org")
        self.assertEqual(m["Subject"], "Re: hello")
        self.assertEqual(m["In-Reply-To"], "<orig@example.org>")
        self.assertEqual(m["References"].split(),
                         ["<a@x>", "<b@x>", "<orig@example.org>"])
        self.assertEqual(m["To"].addresses[0].addr_spec, "carol@example.org")
        self.assertIsNone(m["Cc"])
        text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.assertTrue(text.startswith("Thanks!\n"), text)
        self.assertIn("Carol wrote:\n> first line\n> second line\n", text)
        # the original is now answered
        p = self.ua.run("list", check=0)
        self.assertTrue(p.out.startswith("1\t-R-"), p.out)

    def test_reply_all(self):
        self.ua.run("reply", "1", "--all", input="To all.\n", check=0)
        m = self.got("dave@example.org")
        self.assertEqual(m["Subject"], "Re: hello")
        cc = sorted(a.addr_spec for a in m["Cc"].addresses)
        self.assertEqual(cc, ["dave@example.org", "erin@example.org"])
        self.got("erin@example.org")
        self.got("carol@example.org")
        self.assertEqual(wait_messages(self.srv, "bob@example.org", 1,
                                       timeout=1), [])

    def test_forward_attached_and_inline(self):
        self.ua.run("forward", "1", "--to", "dave@example.org",
                    input="FYI\n", check=0)
        m = self.got("dave@example.org")
        self.assertEqual(m["Subject"], "Fwd: hello")
        atts = list(m.iter_attachments())
        self.assertEqual(len(atts), 1)
        self.assertEqual(atts[0].get_content_type(), "message/rfc822")
        inner = atts[0].get_content()
        self.assertEqual(inner["Message-ID"], "<orig@example.org>")
        self.assertEqual(inner.get_content().replace("\r\n", "\n"),
                         "first line\nsecond line\n")
        self.ua.run("forward", "1", "--inline", "--to", "erin@example.org",
                    input="see below\n", check=0)
        m = self.got("erin@example.org")
        text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.assertIn("see below\n", text)
        self.assertIn("> first line\n", text)

    def test_watch_flushes_the_outbox(self):
        from harness import free_port
        dead = free_port()
        p = self.ua.run("--smtp", f"127.0.0.1:{dead}", "send", "--to",
                        "dave@example.org", "--subject", "waited",
                        input="queued first\n", check=0)
        self.assertIn("queued", p.out)
        self.assertEqual(len(self.ua.outbox()), 1)
        p = self.ua.run("watch", "--interval", "1", "--count", "1", check=0)
        self.assertIn("sent ", p.out)
        self.assertEqual(self.ua.outbox(), [])
        m = self.got("dave@example.org")
        self.assertEqual(m["Subject"], "waited")


if __name__ == "__main__":
    unittest.main()
