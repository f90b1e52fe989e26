"""The SMTP server when the disk fills: 452 4.3.1 at MAIL when there is no
room, 451 4.3.0 when a write fails in the middle of DATA — and nothing
partial left in the queue. The data dir sits on a small tmpfs the test
mounts (root only). Also: a corrupt queue file is moved aside and the
queue role carries on."""
import os
import smtplib
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import Postern
from mailutil import queue_ids, wait_messages


def can_mount():
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", d],
                           capture_output=True)
        if r.returncode != 0:
            return False
        subprocess.run(["umount", d])
        return True


@unittest.skipUnless(can_mount(), "needs root and tmpfs mounts")
class DiskFullTest(unittest.TestCase):
    def start(self, size_mb):
        self.srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        data = self.srv.dir / "data"
        data.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}M", "tmpfs",
                        str(data)], check=True)
        self.srv.ctl("user", "add", "bob@example.org", input="pw\n")
        self.srv.start()
        return data

    def tearDown(self):
        self.srv.stop()
        subprocess.run(["umount", "-l", str(self.srv.dir / "data")])
        self.srv.tmp.cleanup()

    def test_no_room_at_mail(self):
        self.start(48)      # less free space than the server's reserve
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30) as s:
            s.ehlo("client.test")
            code, reply = s.mail("alice@remote.test")
            self.assertEqual(code, 452, reply)
            self.assertTrue(reply.startswith(b"4.3.1"), reply)

    def test_write_failure_mid_data(self):
        data = self.start(80)
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=60) as s:
            s.ehlo("client.test")
            self.assertEqual(s.mail("alice@remote.test")[0], 250)
            self.assertEqual(s.rcpt("bob@example.org")[0], 250)
            # the disk fills up after MAIL was accepted
            filler = data / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M",
                            "count=79"], capture_output=True)
            body = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 8000
            code, reply = s.data(body)
            self.assertEqual(code, 451, reply)
            self.assertTrue(reply.startswith(b"4.3.0"), reply)
            filler.unlink()
            # room again: the same session can send
            s.rset()
            s.sendmail("alice@remote.test", ["bob@example.org"],
                       b"Subject: small\r\n\r\nok\r\n")
        self.assertEqual(list((data / "queue" / "tmp").iterdir()), [])
        msgs = wait_messages(self.srv, "bob@example.org", 1)
        self.assertEqual(len(msgs), 1)
        self.assertIn(b"Subject: small", msgs[0])
        time.sleep(0.5)
        self.assertEqual(len(wait_messages(self.srv, "bob@example.org", 2, 1)), 1)


class CorruptQueueFileTest(unittest.TestCase):
    def test_corrupt_file_is_moved_aside(self):
        srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        srv.ctl("user", "add", "bob@example.org", input="pw\n")
        try:
            srv.start()
            msgdir = srv.dir / "data" / "queue" / "msg"
            deadline = time.monotonic() + 10
            while not msgdir.is_dir() and time.monotonic() < deadline:
                time.sleep(0.05)     # the roles make the spool at start
            bad = msgdir / "0000000000000ABC"
            tmp = srv.dir / "data" / "queue" / "tmp" / "junk"
            tmp.write_bytes(b"postern-queue 1\nid nonsense\n\ngarbage\x00\xff\n")
            os.rename(tmp, bad)
            deadline = time.monotonic() + 10
            corrupt = srv.dir / "data" / "queue" / "corrupt" / bad.name
            while not corrupt.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(corrupt.exists(), srv.log())
            self.assertFalse(bad.exists())
            self.assertIn("corrupt queue file", srv.log())
            # and mail still flows
            with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
                s.sendmail("a@remote.test", ["bob@example.org"], b"Subject: y\r\n\r\nz\r\n")
            self.assertEqual(len(wait_messages(srv, "bob@example.org", 1)), 1)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.stop()
            srv.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
