"""\\Recent (RFC 3501 §2.3.2) across sessions: a message is \\Recent in
exactly one session, the first to be told about it after it arrived
(by SELECT or by an update while selected); EXAMINE shows it without
taking it; RECENT counts in SELECT, STATUS and the untagged updates
agree; SEARCH RECENT/NEW/OLD follow it; concurrent SELECTs share new
mail out without overlap."""
import re
import threading
import unittest

from imap_util import login, message, start


def recent_uids(m):
    """UIDs the session sees with \\Recent (FETCH 1:* (UID FLAGS))."""
    typ, data = m.fetch("1:*", "(UID FLAGS)")
    out = set()
    for item in data:
        if item is None:
            continue
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        uid = re.search(r"UID (\d+)", text)
        if uid and "\\Recent" in text:
            out.add(int(uid.group(1)))
    return out


def search(m, key):
    typ, data = m.uid("SEARCH", None, key)
    return sorted(int(x) for x in data[0].split())


def untagged_recent(m):
    """The last RECENT count the server sent since the last clear, or
    None when it sent none."""
    v = m.untagged_responses.pop("RECENT", None)
    return int(v[-1]) if v else None


class RecentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start(services=["imap"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def deliver(self, box, n=1, tag="m"):
        w = login(self.srv)
        uids = []
        for i in range(n):
            typ, data = w.append(box, None, None, message("%s%d" % (tag, i)))
            uids.append(int(re.search(rb"APPENDUID \d+ (\d+)",
                                      data[0]).group(1)))
        w.logout()
        return uids

    def test_new_mail_goes_to_the_first_session_told(self):
        w = login(self.srv)
        w.create("Two")
        w.logout()
        self.deliver("Two", 1, "old")
        a, b = login(self.srv), login(self.srv)
        a.select("Two")
        self.assertEqual(untagged_recent(a), 1)
        b.select("Two")
        self.assertEqual(untagged_recent(b), 0)
        # New mail while both have the mailbox selected: a polls first.
        (uid,) = self.deliver("Two", 1, "new")
        a.untagged_responses.clear()
        b.untagged_responses.clear()
        a.noop()
        self.assertEqual(a.untagged_responses.pop("EXISTS"), [b"2"])
        self.assertEqual(untagged_recent(a), 2)
        b.noop()
        self.assertEqual(b.untagged_responses.pop("EXISTS"), [b"2"])
        self.assertIn(untagged_recent(b), (None, 0))
        self.assertEqual(recent_uids(a), {1, uid})
        self.assertEqual(recent_uids(b), set())
        self.assertEqual(search(a, "RECENT"), [1, uid])
        self.assertEqual(search(b, "RECENT"), [])
        self.assertEqual(search(b, "OLD"), [1, uid])
        self.assertEqual(search(a, "NEW"), [1, uid])
        a.uid("STORE", str(uid), "+FLAGS", r"(\Seen)")
        self.assertEqual(search(a, "NEW"), [1])
        self.assertEqual(search(a, "RECENT"), [1, uid])
        # Now b is told first.
        (uid2,) = self.deliver("Two", 1, "third")
        b.untagged_responses.clear()
        b.noop()
        self.assertEqual(untagged_recent(b), 1)
        a.noop()
        self.assertEqual(recent_uids(b), {uid2})
        self.assertEqual(recent_uids(a), {1, uid})
        # Expunging a \Recent message lowers the count.
        a.uid("STORE", str(uid), "+FLAGS", r"(\Deleted)")
        a.untagged_responses.clear()
        a.expunge()
        self.assertEqual(recent_uids(a), {1})
        # A new SELECT starts over: nothing is new to a any more.
        a.select("Two")
        self.assertEqual(untagged_recent(a), 0)
        a.logout()
        b.logout()

    def test_examine_looks_without_taking(self):
        w = login(self.srv)
        w.create("Look")
        w.logout()
        self.deliver("Look", 2)
        e = login(self.srv)
        e.select("Look", readonly=True)
        self.assertEqual(untagged_recent(e), 2)
        self.assertEqual(len(recent_uids(e)), 2)
        s = login(self.srv)
        typ, data = s.status("Look", "(MESSAGES RECENT)")
        self.assertIn(b"RECENT 2", data[0])
        s.select("Look")
        self.assertEqual(untagged_recent(s), 2)
        typ, data = e.status("Look", "(RECENT)")
        self.assertIn(b"RECENT 0", data[0])
        t = login(self.srv)
        t.select("Look")
        self.assertEqual(untagged_recent(t), 0)
        for m in (e, s, t):
            m.logout()

    def test_concurrent_selects_share_without_overlap(self):
        w = login(self.srv)
        w.create("Race")
        w.logout()
        sessions = [login(self.srv) for _ in range(4)]
        total = 0
        for rnd in range(3):
            uids = set(self.deliver("Race", 3, "r%d" % rnd))
            got = [None] * len(sessions)

            def run(i):
                m = sessions[i]
                m.select("Race")
                got[i] = recent_uids(m)

            threads = [threading.Thread(target=run, args=(i,))
                       for i in range(len(sessions))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seen = set()
            for g in got:
                self.assertFalse(g & seen, "a message \\Recent twice")
                seen |= g
            self.assertEqual(seen, uids)
            total += len(seen)
        self.assertEqual(total, 9)
        for m in sessions:
            m.logout()


if __name__ == "__main__":
    unittest.main()
