"""build/sendmail: injection the way cron and scripts use it."""
import email
import email.policy
import os
import subprocess
import unittest

from harness import Postern, SAN_ENV, binary
from mailutil import queue_ids, wait_messages


class SendmailTest(unittest.TestCase):
    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        for u in ("bob", "carol", "dave", "root"):
            self.srv.ctl("user", "add", f"{u}@example.org", input="pw\n")

    def tearDown(self):
        self.srv.stop()
        self.srv.tmp.cleanup()

    def sendmail(self, args, data):
        return subprocess.run([binary("sendmail"), "-C", str(self.srv.conf), *args],
                              input=data, capture_output=True, timeout=60,
                              env=dict(os.environ, **SAN_ENV))

    def test_queued_without_daemon_then_delivered(self):
        p = self.sendmail(["-f", "cron@example.org", "bob@example.org"],
                          b"Subject: nightly\n\nall good\n.\nnot part of it\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(queue_ids(self.srv)), 1)   # posternd is not running
        self.srv.start()
        raw = wait_messages(self.srv, "bob@example.org", 1)[0]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "nightly")
        self.assertEqual(msg["Return-Path"], "<cron@example.org>")
        self.assertIsNotNone(msg["Date"])
        self.assertIsNotNone(msg["Message-ID"])
        self.assertEqual(msg["From"], "cron@example.org")
        self.assertIn(b"(Postern sendmail, uid", raw)
        self.assertEqual(msg.get_content().replace("\r\n", "\n"), "all good\n")
        self.assertNotIn(b"not part of it", raw)
        self.assertIn(b"\r\n", raw)

    def test_t_reads_recipients_and_drops_bcc(self):
        self.srv.start()
        data = (b"From: Script <script@example.org>\nTo: bob@example.org, "
                b"\"Carol C\" <carol@example.org>\nCc: dave\nBcc: root@example.org\n"
                b"Subject: -t test\n\n.leading dot kept with -i\n")
        p = self.sendmail(["-t", "-i"], data)
        self.assertEqual(p.returncode, 0, p.stderr)
        for u in ("bob", "carol", "dave", "root"):
            raw = wait_messages(self.srv, f"{u}@example.org", 1)
            self.assertEqual(len(raw), 1, u)
            self.assertNotIn(b"Bcc:", raw[0])
            self.assertIn(b".leading dot kept with -i\r\n", raw[0])
            self.assertIn(b"From: Script <script@example.org>", raw[0])

    def test_no_recipient_is_an_error(self):
        p = self.sendmail([], b"Subject: x\n\ny\n")
        self.assertEqual(p.returncode, 64)
        self.assertIn(b"no recipients", p.stderr)
        self.assertEqual(queue_ids(self.srv), [])

    def test_fullname(self):
        self.srv.start()
        p = self.sendmail(["-F", "Backup Job", "-f", "backup@example.org",
                           "bob@example.org"], b"Subject: fn\n\nx\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        raw = wait_messages(self.srv, "bob@example.org", 1)[0]
        self.assertIn(b'From: "Backup Job" <backup@example.org>', raw)


if __name__ == "__main__":
    unittest.main()
