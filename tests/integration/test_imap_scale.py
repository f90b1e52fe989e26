"""IMAP scale checks, opt-in (POSTERN_SCALE=1; they take minutes):
many idle IDLE sessions and their memory, SELECT and FETCH 1:* (FLAGS)
on a big mailbox. Numbers are printed; limits follow the issue: 10,000
IDLE sessions in under 1 GB, SELECT of 100,000 messages under 1 s.
POSTERN_SCALE_SESSIONS and POSTERN_SCALE_MESSAGES change the sizes."""
import os
import resource
import socket
import subprocess
import time
import unittest

from harness import ROOT, binary
from imap_util import PASS, USER, start

SCALE = os.environ.get("POSTERN_SCALE") == "1"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_until(s, tag):
    data = b""
    while not (data.startswith(tag) or (b"\r\n" + tag) in data):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    while not data.endswith(b"\r\n"):
        data += s.recv(65536)
    return data


@unittest.skipUnless(SCALE, "set POSTERN_SCALE=1 to run the scale checks")
class ScaleTest(unittest.TestCase):
    def test_idle_sessions_memory(self):
        n = int(os.environ.get("POSTERN_SCALE_SESSIONS", "10000"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        srv = start(services=["imap"])
        socks = []
        try:
            pid = srv.children()["imap"]
            base = rss_kb(pid)
            login = b'a LOGIN "%s" "%s"\r\n' % (USER.encode(), PASS.encode())
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", srv.port("imap")))
                s.recv(4096)
                s.sendall(login + b"b SELECT INBOX\r\nc IDLE\r\n")
                data = b""
                while b"+ idling" not in data:
                    data += s.recv(65536)
                socks.append(s)
            total = rss_kb(pid)
            per = (total - base) / n
            print("\n%d IDLE sessions: imap role RSS %d MB (%.1f KB per "
                  "session)" % (n, total // 1024, per))
            self.assertLess(total, 1024 * 1024, "over 1 GB")
        finally:
            for s in socks:
                s.close()
            srv.stop()
            srv.tmp.cleanup()

    def test_big_mailbox_select_fetch(self):
        n = int(os.environ.get("POSTERN_SCALE_MESSAGES", "100000"))
        srv = start(services=["imap"])
        try:
            subprocess.run([str(ROOT / "build" / "tools" / "store_tool"), "-c",
                            str(srv.conf), "deliver", "a@example.net", USER,
                            str(n), "t", "1000"], check=True,
                           stdout=subprocess.DEVNULL)
            s = socket.create_connection(("127.0.0.1", srv.port("imap")))
            s.recv(4096)
            s.sendall(b'a LOGIN "%s" "%s"\r\n' % (USER.encode(),
                                                 PASS.encode()))
            read_until(s, b"a ")
            for rnd in range(2):
                t0 = time.monotonic()
                s.sendall(b"b SELECT INBOX\r\n")
                out = read_until(s, b"b ")
                sel = time.monotonic() - t0
                self.assertIn(b"* %d EXISTS" % n, out)
                t0 = time.monotonic()
                s.sendall(b"c FETCH 1:* (FLAGS)\r\n")
                out = read_until(s, b"c ")
                fetch = time.monotonic() - t0
                self.assertEqual(out.count(b" FETCH ("), n)
                print("\n%d messages, round %d: SELECT %.3f s, FETCH 1:* "
                      "(FLAGS) %.3f s" % (n, rnd + 1, sel, fetch))
            self.assertLess(sel, 1.0)
            s.close()
        finally:
            srv.stop()
            srv.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
