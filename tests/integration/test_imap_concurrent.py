"""Two IMAP sessions on one mailbox: changes made by one (APPEND, STORE,
EXPUNGE) reach the other as untagged EXISTS/FETCH/EXPUNGE on NOOP and,
during IDLE, within a second; \\Recent goes to one session only."""
import time
import unittest

from imap_util import PASS, USER, Raw, login, message, start


def raw_login(srv):
    r = Raw(srv.port("imap"))
    r.line()
    r.send(b'a0 LOGIN "%s" "%s"\r\n' % (USER.encode(), PASS.encode()))
    r.until(b"a0")
    return r


class ConcurrentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def test_noop_sees_other_session(self):
        a, b = login(self.srv), login(self.srv)
        a.create("Shared")
        a.append("Shared", None, None, message("one"))
        a.select("Shared")
        b.select("Shared")
        a.untagged_responses.clear()
        b.append("Shared", None, None, message("two"))
        a.noop()
        self.assertEqual(a.untagged_responses.pop("EXISTS"), [b"2"])
        b.store("1", "+FLAGS", r"(\Flagged)")
        a.noop()
        fetch = a.untagged_responses.pop("FETCH")
        self.assertIn(b"\\Flagged", fetch[-1])
        b.store("1", "+FLAGS", r"(\Deleted)")
        b.expunge()
        a.noop()
        self.assertEqual(a.untagged_responses.pop("EXPUNGE"), [b"1"])
        typ, data = a.search(None, "ALL")
        self.assertEqual(data[0], b"1")
        a.logout()
        b.logout()

    def test_no_expunge_during_fetch(self):
        a, b = login(self.srv), login(self.srv)
        a.create("NoExp")
        for i in range(2):
            a.append("NoExp", None, None, message("m%d" % i))
        a.select("NoExp")
        b.select("NoExp")
        b.store("1", "+FLAGS", r"(\Deleted)")
        b.expunge()
        a.fetch("1:*", "(FLAGS)")
        self.assertNotIn("EXPUNGE", a.untagged_responses)
        a.noop()
        self.assertEqual(a.untagged_responses.pop("EXPUNGE"), [b"1"])
        a.logout()
        b.logout()

    def test_recent_once(self):
        a, b = login(self.srv), login(self.srv)
        a.create("Rec")
        a.append("Rec", None, None, message("r"))
        a.select("Rec")
        self.assertEqual(a.untagged_responses["RECENT"], [b"1"])
        b.select("Rec")
        self.assertEqual(b.untagged_responses["RECENT"], [b"0"])
        a.logout()
        b.logout()

    def test_idle_push_within_a_second(self):
        w = login(self.srv)
        w.create("Idle")
        r = raw_login(self.srv)
        r.send(b"a1 SELECT Idle\r\n")
        r.until(b"a1")
        r.send(b"a2 IDLE\r\n")
        self.assertTrue(r.line().startswith(b"+ "))
        t0 = time.monotonic()
        w.append("Idle", None, None, message("pushed"))
        r.s.settimeout(3)
        line = r.line()
        self.assertEqual(line, b"* 1 EXISTS\r\n")
        self.assertLess(time.monotonic() - t0, 1.5)
        w.select("Idle")
        w.store("1", "+FLAGS", r"(\Seen)")
        line = r.line()
        while line.endswith(b"RECENT\r\n"):
            line = r.line()
        self.assertTrue(line.startswith(b"* 1 FETCH"), line)
        self.assertIn(b"\\Seen", line)
        w.store("1", "+FLAGS", r"(\Deleted)")
        w.expunge()
        line = r.line()
        while b" FETCH " in line:   # the \Deleted flag may come first
            line = r.line()
        self.assertEqual(line, b"* 1 EXPUNGE\r\n")
        r.send(b"DONE\r\n")
        self.assertTrue(r.until(b"a2")[-1].startswith(b"a2 OK"))
        r.send(b"a3 LOGOUT\r\n")
        r.until(b"a3")
        r.close()
        w.logout()


if __name__ == "__main__":
    unittest.main()
