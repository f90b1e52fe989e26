"""POP3 beside the other roles on one mailbox: mail delivered over SMTP
while a POP3 session is open, and IMAP and POP3 sessions on the same
INBOX (shared UIDs, deletions seen by both, message numbers that never
shift inside a POP3 session)."""
import imaplib
import poplib
import re
import smtplib
import time
import unittest

from harness import Postern

BOB, PW = "bob@example.org", "s3cret word"


def mail(subject):
    return (f"From: alice@remote.test\r\nTo: {BOB}\r\nSubject: {subject}\r\n"
            f"\r\nbody of {subject}\r\n.dot line\r\n").encode()


class Pop3Cross(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Postern(extra={"domains": "example.org"},
                          services=["smtp", "pop3", "imap"]).start()
        cls.srv.ctl("user", "add", BOB, input=PW + "\n")

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        cls.srv.tmp.cleanup()
        assert code == 0, code

    def setUp(self):
        p = self.pop()
        for i in range(p.stat()[0]):
            p.dele(i + 1)
        p.quit()

    def pop(self):
        for _ in range(50):
            p = poplib.POP3("127.0.0.1", self.srv.port("pop3"), timeout=30)
            p.user(BOB)
            try:
                p.pass_(PW)
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" not in e.args[0]:
                    raise
                time.sleep(0.1)
        self.fail("maildrop stayed locked")

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"), timeout=30)
        m.login(BOB, PW)
        m.select("INBOX")
        return m

    def send(self, *subjects):
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30) as s:
            for subj in subjects:
                s.sendmail("alice@remote.test", [BOB], mail(subj))

    def wait_count(self, n):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = self.imap()
            typ, data = m.status("INBOX", "(MESSAGES)")
            m.logout()
            if int(re.search(rb"MESSAGES (\d+)", data[0]).group(1)) >= n:
                return
            time.sleep(0.1)
        self.fail(f"never {n} messages")

    def test_smtp_delivery_during_pop3_session(self):
        self.send("first")
        self.wait_count(1)
        p = self.pop()
        self.assertEqual(p.stat()[0], 1)
        self.send("second", "third")
        self.wait_count(3)
        self.assertEqual(p.stat()[0], 1)            # numbers never shift
        self.assertEqual(len(p.list()[1]), 1)
        got = p.retr(1)[1]
        self.assertIn(b"Subject: first", got)
        self.assertIn(b".dot line", got)
        p.dele(1)
        p.quit()
        p = self.pop()
        subjects = sorted(l for i in range(p.stat()[0])
                          for l in p.top(i + 1, 0)[1] if l.startswith(b"Subject"))
        self.assertEqual(subjects, [b"Subject: second", b"Subject: third"])
        p.quit()

    def test_imap_and_pop3_on_one_mailbox(self):
        self.send("a", "b", "c")
        self.wait_count(3)
        m = self.imap()
        typ, data = m.status("INBOX", "(UIDVALIDITY)")
        uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        typ, data = m.uid("SEARCH", "ALL")
        uids = [int(x) for x in data[0].split()]
        p = self.pop()
        # UIDL is UIDVALIDITY and UID: POP3 and IMAP name messages alike.
        self.assertEqual([l.split()[1].decode() for l in p.uidl()[1]],
                         [f"{uidvalidity:08x}{u:08x}" for u in uids])
        # IMAP expunges message 1 while POP3 has it listed.
        m.uid("STORE", str(uids[0]), "+FLAGS.SILENT", r"(\Deleted)")
        m.expunge()
        self.assertEqual(p.stat()[0], 3)
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        self.assertIn(b"Subject: b", p.retr(2)[1])
        # POP3 deletes message 3: gone from IMAP after QUIT, and the
        # retrieved one is \Seen there.
        p.dele(3)
        p.quit()
        m.noop()
        typ, data = m.uid("SEARCH", "ALL")
        self.assertEqual([int(x) for x in data[0].split()], [uids[1]])
        typ, data = m.uid("FETCH", str(uids[1]), "(FLAGS)")
        self.assertIn(rb"\Seen", data[0])
        m.logout()


if __name__ == "__main__":
    unittest.main()
