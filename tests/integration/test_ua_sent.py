"""A copy of what postern sends goes to the Sent folder over IMAP (APPEND,
\\Seen): the folder with the \\Sent special-use attribute, else "Sent",
or the one save_sent names; save_sent = no turns it off. Checked with
imaplib against posternd and against Dovecot (with and without a special-
use folder)."""
import email
import email.policy
import imaplib
import re
import unittest

from dovecotpeer import SKIP_REASON, Dovecot, available
from harness import Postern
from mailutil import wait_messages
from uautil import UA

USER, PW = "bob@example.org", "bobpw"


def folder_messages(port, folder):
    """(flags, message) for each message of folder, or None when the
    folder does not exist."""
    im = imaplib.IMAP4("127.0.0.1", port)
    im.login(USER, PW)
    typ, n = im.select(f'"{folder}"', readonly=True)
    if typ != "OK":
        im.logout()
        return None
    out = []
    if int(n[0]) > 0:
        typ, data = im.fetch("1:*", "(FLAGS BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple):
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
                out.append((flags.decode().split(), email.message_from_bytes(
                    item[1], policy=email.policy.default)))
    im.logout()
    return out


def list_folders(port):
    im = imaplib.IMAP4("127.0.0.1", port)
    im.login(USER, PW)
    _, data = im.list()
    im.logout()
    return [d.decode() for d in data]


class SentCases:
    """Cases shared by the peers; imap_port() is the IMAP server the UA
    and the checks use, sent_name the folder a plain setup copies to."""
    sent_name = "Sent"

    def config(self, extra=""):
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.imap_port()}\n"
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = {USER}\npassword_file = {self.ua.pwfile}\n" + extra)

    def send(self, subject, body="hello\n"):
        return self.ua.run("send", "--to", "carol@example.org", "--subject",
                           subject, input=body, check=0)

    def test_copy_lands_in_sent_seen(self):
        self.config()
        p = self.send("keep a copy \u2603", "the body, d\u00e9j\u00e0 vu\n")
        self.assertIn("sent to 1 recipient", p.out)
        self.assertIn(f"copied to {self.sent_name}", p.out)
        msgs = folder_messages(self.imap_port(), self.sent_name)
        self.assertEqual(len(msgs), 1, msgs)
        flags, m = msgs[0]
        self.assertIn("\\Seen", flags)
        self.assertEqual(str(m["Subject"]), "keep a copy \u2603")
        self.assertIn("d\u00e9j\u00e0 vu", m.get_body(("plain",)).get_content())
        # the same message the recipient got
        got = wait_messages(self.srv, "carol@example.org", 1)
        delivered = email.message_from_bytes(got[0],
                                             policy=email.policy.default)
        self.assertEqual(delivered["Message-ID"], m["Message-ID"])
        # a second one adds to it
        self.send("and another")
        self.assertEqual(len(folder_messages(self.imap_port(),
                                             self.sent_name)), 2)

    def test_save_sent_no(self):
        self.config("save_sent = no\n")
        p = self.send("no copy please")
        self.assertIn("sent to 1 recipient", p.out)
        self.assertNotIn("copied to", p.out)
        self.assertEqual(len(wait_messages(self.srv, "carol@example.org",
                                           1)), 1)
        self.assertFalse(folder_messages(self.imap_port(), self.sent_name))

    def test_save_sent_named_folder_created(self):
        self.config("save_sent = Outgoing/2026\n")
        p = self.send("into a named folder")
        self.assertIn("copied to Outgoing/2026", p.out)
        msgs = folder_messages(self.imap_port(), "Outgoing/2026")
        self.assertIsNotNone(msgs, list_folders(self.imap_port()))
        self.assertEqual([str(m["Subject"]) for _, m in msgs],
                         ["into a named folder"])
        self.assertFalse(folder_messages(self.imap_port(), self.sent_name))

    def test_reply_is_copied(self):
        self.config()
        self.deliver(b"From: Carol <carol@example.org>\r\nTo: bob@example.org\r\n"
                     b"Subject: question\r\nMessage-ID: <q1@example.org>\r\n"
                     b"\r\nwhat time?\r\n")
        p = self.ua.run("reply", "1", input="at noon\n", check=0)
        self.assertIn(f"copied to {self.sent_name}", p.out)
        msgs = folder_messages(self.imap_port(), self.sent_name)
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0][1]["In-Reply-To"], "<q1@example.org>")

    def test_sent_still_ok_when_imap_down(self):
        # the mail goes out; the missing copy is a warning, exit 0
        self.ua.write_config(
            f"imap = 127.0.0.1:1\n"
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = {USER}\npassword_file = {self.ua.pwfile}\n")
        p = self.send("copy cannot be made")
        self.assertIn("sent to 1 recipient", p.out)
        self.assertIn("no copy in the Sent folder", p.err)
        self.assertEqual(len(wait_messages(self.srv, "carol@example.org",
                                           1)), 1)


class PosternSentTest(SentCases, unittest.TestCase):
    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "submission", "imap"])
        for u in (USER, "carol@example.org"):
            self.srv.ctl("user", "add", u, input=PW + "\n")
        self.srv.start()
        self.ua = UA(password=PW)

    def tearDown(self):
        self.ua.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

    def imap_port(self):
        return self.srv.port("imap")

    def deliver(self, raw):
        im = imaplib.IMAP4("127.0.0.1", self.imap_port())
        im.login(USER, PW)
        im.append("INBOX", None, None, raw)
        im.logout()

    def test_posternd_marks_sent_special_use(self):
        # the folder we copied to is the one posternd calls \Sent
        self.assertTrue(any("\\Sent" in f and f.rstrip('"').endswith("Sent")
                            for f in list_folders(self.imap_port())))


class SpecialUseDovecot(Dovecot):
    """Dovecot whose \\Sent folder is not called "Sent"."""

    def config(self):
        return super().config().replace(
            "namespace inbox {\n  inbox = yes\n",
            "namespace inbox {\n  inbox = yes\n"
            "  mailbox \"Sent Messages\" {\n    special_use = \\Sent\n"
            "    auto = create\n  }\n", 1)


@unittest.skipUnless(available(), SKIP_REASON)
class DovecotSentTest(SentCases, unittest.TestCase):
    """Plain Dovecot, no special-use folders: "Sent" is made."""
    peer = Dovecot

    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "submission"])
        for u in (USER, "carol@example.org"):
            self.srv.ctl("user", "add", u, input=PW + "\n")
        self.srv.start()
        self.dc = self.peer({USER: PW}).start()
        self.ua = UA(password=PW)

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

    def imap_port(self):
        return self.dc.port("imap")

    def deliver(self, raw):
        self.dc.deliver(USER, raw)


@unittest.skipUnless(available(), SKIP_REASON)
class DovecotSpecialUseSentTest(DovecotSentTest):
    """Dovecot with \\Sent on "Sent Messages": that folder is used."""
    peer = SpecialUseDovecot
    sent_name = "Sent Messages"

    def test_special_use_folder_is_used(self):
        self.assertTrue(any("\\Sent" in f and "Sent Messages" in f
                            for f in list_folders(self.imap_port())))
        self.config()
        p = self.send("via special use")
        self.assertIn("copied to Sent Messages", p.out)
        self.assertIsNone(folder_messages(self.imap_port(), "Sent"))


if __name__ == "__main__":
    unittest.main()
