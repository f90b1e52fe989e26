"""IMAP mailbox commands: CREATE, DELETE, RENAME (children, INBOX),
LIST (% and *, \\Noselect, \\HasChildren, special-use, LIST "" ""),
LSUB, SUBSCRIBE, UNSUBSCRIBE, STATUS, SELECT/EXAMINE responses, refused
path-traversal names."""
import imaplib
import re
import unittest

from imap_util import login, message, start


def names(data):
    out = {}
    for line in data:
        if line is None:
            continue
        m = re.match(rb'\((.*?)\) "(.)" (.*)$', line)
        name = m.group(3).strip(b'"').decode()
        out[name] = m.group(1).decode().split()
    return out


class MailboxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def setUp(self):
        self.m = login(self.srv)

    def tearDown(self):
        try:
            self.m.logout()
        except imaplib.IMAP4.abort:
            pass

    def test_default_folders_special_use(self):
        typ, data = self.m.list()
        got = names(data)
        for n, attr in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"),
                        ("Trash", "\\Trash"), ("Junk", "\\Junk"),
                        ("Archive", "\\Archive")):
            self.assertIn(attr, got[n])
        self.assertIn("INBOX", got)
        typ, data = self.m.list('""', '""')
        self.assertEqual(data[0], b'(\\Noselect) "/" ""')

    def test_create_list_patterns(self):
        for n in ("Work", "Work/Projects", "Work/Projects/X", "Play"):
            self.assertEqual(self.m.create(n)[0], "OK")
        self.assertEqual(self.m.create("Work")[0], "NO")
        got = names(self.m.list('""', "%")[1])
        self.assertIn("Work", got)
        self.assertNotIn("Work/Projects", got)
        self.assertIn("\\HasChildren", got["Work"])
        self.assertIn("\\HasNoChildren", got["Play"])
        got = names(self.m.list('""', "Work/*")[1])
        self.assertEqual(set(got), {"Work/Projects", "Work/Projects/X"})
        got = names(self.m.list("Work/", "%")[1])
        self.assertEqual(set(got), {"Work/Projects"})
        got = names(self.m.list('""', "inbox")[1])
        self.assertEqual(set(got), {"INBOX"})
        # a trailing delimiter is allowed on CREATE
        self.assertEqual(self.m.create("Trail/")[0], "OK")
        self.assertIn("Trail", names(self.m.list('""', "Trail")[1]))

    def test_delete_keeps_children_as_noselect(self):
        self.m.create("Del/Child")
        self.assertEqual(self.m.delete("Del")[0], "OK")
        got = names(self.m.list('""', "Del*")[1])
        self.assertIn("\\Noselect", got["Del"])
        self.assertIn("Del/Child", got)
        self.assertEqual(self.m.delete("INBOX")[0], "NO")
        self.assertEqual(self.m.delete("Nope")[0], "NO")

    def test_rename_moves_children(self):
        self.m.create("Old/Sub")
        self.m.append("Old/Sub", None, None, message("in sub"))
        self.assertEqual(self.m.rename("Old", "New")[0], "OK")
        got = names(self.m.list('""', "*")[1])
        self.assertIn("New/Sub", got)
        self.assertNotIn("Old", got)
        typ, data = self.m.select("New/Sub")
        self.assertEqual(data[0], b"1")

    def test_rename_inbox_moves_messages(self):
        m2 = login(self.srv, "carol@example.org", "other")
        m2.append("INBOX", None, None, message("one"))
        m2.append("INBOX", None, None, message("two"))
        self.assertEqual(m2.rename("INBOX", "Old-Inbox")[0], "OK")
        self.assertEqual(m2.select("INBOX")[1][0], b"0")
        self.assertEqual(m2.select("Old-Inbox")[1][0], b"2")
        m2.logout()

    def test_subscribe_lsub(self):
        self.m.create("SubMe")
        self.assertEqual(self.m.subscribe("SubMe")[0], "OK")
        self.assertEqual(self.m.subscribe("INBOX")[0], "OK")
        got = names(self.m.lsub('""', "*")[1])
        self.assertEqual(set(got), {"SubMe", "INBOX"})
        self.assertEqual(self.m.unsubscribe("SubMe")[0], "OK")
        got = names(self.m.lsub('""', "*")[1])
        self.assertEqual(set(got), {"INBOX"})
        typ, data = self.m._simple_command(
            "LIST", "(SUBSCRIBED)", '""', "*")
        self.assertEqual(typ, "OK")
        got = names(self.m.untagged_responses.pop("LIST"))
        self.assertEqual(set(got), {"INBOX"})

    def test_list_special_use_selection(self):
        typ, data = self.m._simple_command("LIST", "(SPECIAL-USE)", '""',
                                           "*")
        got = names(self.m.untagged_responses.pop("LIST"))
        self.assertEqual(set(got), {"Sent", "Drafts", "Trash", "Junk",
                                    "Archive"})

    def test_status(self):
        self.m.create("Stat")
        self.m.append("Stat", r"(\Seen)", None, message("a"))
        self.m.append("Stat", None, None, message("b"))
        typ, data = self.m.status(
            "Stat", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN "
            "HIGHESTMODSEQ)")
        self.assertEqual(typ, "OK")
        s = data[0].decode()
        self.assertIn("MESSAGES 2", s)
        self.assertIn("UNSEEN 1", s)
        self.assertIn("UIDNEXT 3", s)
        self.assertIn("RECENT 2", s)
        self.assertEqual(self.m.status("Nope", "(MESSAGES)")[0], "NO")
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.status("Stat", "(BOGUS)")

    def test_select_examine(self):
        self.m.create("Sel")
        self.m.append("Sel", None, None, message("x"))
        typ, data = self.m.select("Sel")
        self.assertEqual((typ, data), ("OK", [b"1"]))
        for key in ("FLAGS", "UIDVALIDITY", "UIDNEXT", "RECENT",
                    "PERMANENTFLAGS", "UNSEEN"):
            self.assertIn(key, self.m.untagged_responses)
        self.assertIn("READ-WRITE", self.m.untagged_responses)
        typ, data = self.m.select("Sel", readonly=True)
        self.assertEqual(typ, "OK")
        self.assertIn("READ-ONLY", self.m.untagged_responses)
        self.assertEqual(self.m.store("1", "+FLAGS", r"\Seen")[0], "NO")
        self.assertEqual(self.m.select("Nope")[0], "NO")
        # a failed SELECT leaves the session unselected
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.fetch("1", "FLAGS")

    def test_bad_names_refused(self):
        for bad in ("../../etc", "a/../b", "/abs", "a//b", ".", "..",
                    "x/./y"):
            self.assertEqual(self.m.create('"%s"' % bad)[0], "NO", bad)
        got = names(self.m.list('""', "*")[1])
        self.assertFalse(any(".." in n for n in got))


if __name__ == "__main__":
    unittest.main()
