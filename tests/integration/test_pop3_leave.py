"""Per-user pop3_leave_on_server (posternctl user set/show) and the
pop3_login_delay config key (RFC 2449 LOGIN-DELAY).

Leave on server works like a hosted service's "keep a copy in the Inbox"
POP setting: a DELE + QUIT takes the message out of every later POP3
session of that user, but IMAP still has it, marked \\Seen. Without the
setting a DELE expunges as usual. Checked with poplib and imaplib, and
with fetchmail in its default (delete) mode.
"""
import imaplib
import poplib
import re
import shutil
import sqlite3
import tempfile
import time
import unittest
from pathlib import Path

from harness import Postern
from test_pop3_clients import FETCHMAIL, FetchmailMixin, messages
from test_pop3_server import BOB, BOB_PW, Pop3Base, errtext, msg

CAROL = "carol@example.org"     # default: delete mode


class Pop3Leave(FetchmailMixin, Pop3Base):
    users = (BOB, CAROL)
    services = ("pop3", "imap")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv.ctl("user", "set", BOB, "pop3_leave_on_server", "yes")

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="pop3-leave-"))
        for u in self.users:
            self.expunge_all(u)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers -------------------------------------------------------
    def imap(self, user):
        """An IMAP session on user's INBOX, and how many messages it has."""
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"), timeout=30)
        m.login(user, BOB_PW)
        typ, data = m.select("INBOX")
        return m, int(data[0])

    def expunge_all(self, user):
        """Empties the INBOX over IMAP (POP3 cannot, in leave mode)."""
        m, n = self.imap(user)
        if n:
            m.store("1:*", "+FLAGS", "\\Deleted")
            m.expunge()
        m.logout()

    def imap_view(self, user):
        """{subject: seen} of the INBOX as IMAP shows it."""
        m, n = self.imap(user)
        data = []
        if n:
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                                "(SUBJECT)])")
        m.logout()
        view = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            subject = item[1].decode().strip().split(":", 1)[1].strip()
            view[subject] = b"\\Seen" in item[0]
        return view

    def pop_subjects(self, user):
        p = self.login(user)
        got = []
        for i in range(p.stat()[0]):
            head = b"\n".join(p.top(i + 1, 0)[1])
            got.append(re.search(rb"Subject: (.*)", head).group(1).decode())
        p.quit()
        return got

    def dele_some(self, user):
        """Three messages; RETR 1, DELE 1 and 2 (2 unread); QUIT."""
        self.fill(msg("one"), msg("two"), msg("three"), user=user)
        p = self.login(user)
        self.assertEqual(p.stat()[0], 3)
        uidl3 = p.uidl(3).split()[2]
        p.retr(1)
        p.dele(1)
        p.dele(2)
        self.assertTrue(p.quit().startswith(b"+OK"))
        return uidl3

    # -- tests ---------------------------------------------------------
    def test_leave_on_server_hides_from_pop3_keeps_for_imap(self):
        uidl3 = self.dele_some(BOB)
        p = self.login(BOB)
        self.assertEqual(p.stat()[0], 1)
        self.assertEqual(p.uidl(1).split()[2], uidl3)   # same UIDL
        p.quit()
        self.assertEqual(self.pop_subjects(BOB), ["three"])
        self.assertEqual(self.imap_view(BOB),
                         {"one": True, "two": True, "three": False})

    def test_delete_mode_expunges(self):
        self.dele_some(CAROL)
        self.assertEqual(self.pop_subjects(CAROL), ["three"])
        self.assertEqual(self.imap_view(CAROL), {"three": False})

    def test_rset_and_dropped_session_hide_nothing(self):
        self.fill(msg("a"), msg("b"), user=BOB)
        p = self.login(BOB)
        p.dele(1)
        p.rset()
        p.dele(2)
        p.close()                               # no QUIT: no UPDATE
        self.assertEqual(self.pop_subjects(BOB), ["a", "b"])
        self.assertEqual(self.imap_view(BOB), {"a": False, "b": False})

    def test_hidden_stay_hidden_after_switching_back(self):
        self.dele_some(BOB)
        self.srv.ctl("user", "set", BOB, "pop3_leave_on_server", "no")
        try:
            self.fill(msg("four"), user=BOB)
            self.assertEqual(self.pop_subjects(BOB), ["three", "four"])
            p = self.login(BOB)
            p.dele(2)                           # delete mode again
            p.quit()
            self.assertEqual(self.imap_view(BOB),
                             {"one": True, "two": True, "three": False})
        finally:
            self.srv.ctl("user", "set", BOB, "pop3_leave_on_server", "yes")

    @unittest.skipUnless(FETCHMAIL, "fetchmail not installed (deps.sh test_pkgs)")
    def test_fetchmail_delete_mode_against_leave_user(self):
        sent = messages("fl", 4)
        self.fill(*sent, user=BOB)
        want = sorted(self.as_mda_gets(m) for m in sent)
        self.assertEqual(self.fetchmail(), want)        # RETR + DELE each
        self.assertEqual(self.fetchmail(), [])          # gone for POP3
        view = self.imap_view(BOB)
        self.assertEqual(sorted(view), sorted(f"fl {i}" for i in range(4)))
        self.assertTrue(all(view.values()), view)       # all \Seen
        m, n = self.imap(BOB)
        for i, sent_msg in enumerate(sent):             # byte-exact in IMAP
            typ, data = m.fetch(str(i + 1), "(BODY.PEEK[])")
            self.assertEqual(data[0][1], sent_msg)
        m.logout()

    def test_posternctl_show_set_list(self):
        show = self.srv.ctl("user", "show", BOB).stdout
        self.assertIn("pop3_leave_on_server = yes\n", show)
        self.assertIn(f"address = {BOB}\n", show)
        self.assertIn("pop3_leave_on_server = no\n",
                      self.srv.ctl("user", "show", CAROL).stdout)
        self.assertEqual(self.srv.ctl("user", "list").stdout,
                         f"{BOB} (pop3_leave_on_server)\n{CAROL}\n")
        for args, rc in ((("set", BOB, "pop3_leave_on_server", "maybe"), 2),
                         (("set", BOB, "colour", "yes"), 2),
                         (("set", "nobody@example.org",
                           "pop3_leave_on_server", "yes"), 1),
                         (("show", "nobody@example.org"), 1),
                         (("set", BOB, "pop3_leave_on_server"), 2)):
            p = self.srv.ctl("user", *args, check=False)
            self.assertEqual(p.returncode, rc, (args, p.stderr))
        self.assertIn("pop3_leave_on_server = yes\n",
                      self.srv.ctl("user", "show", BOB).stdout)


class AccountsUpgrade(unittest.TestCase):
    """An accounts.db from before the setting gains it at the first open,
    with every role racing to open it at start."""

    def test_old_database_is_upgraded(self):
        srv = Postern(extra={"domains": "example.org"},
                      services=["pop3", "imap", "smtp"])
        try:
            data = srv.dir / "data"
            data.mkdir()
            db = sqlite3.connect(data / "accounts.db")
            db.executescript(
                "PRAGMA journal_mode=WAL;"
                "CREATE TABLE users (address TEXT PRIMARY KEY, hash TEXT NOT"
                " NULL, enabled INTEGER NOT NULL DEFAULT 1, quota INTEGER NOT"
                " NULL DEFAULT 0, created INTEGER NOT NULL);"
                "CREATE TABLE aliases (name TEXT NOT NULL, target TEXT NOT"
                " NULL, PRIMARY KEY (name, target));"
                "INSERT INTO users VALUES ('old@example.org', '*', 1, 0, 0);")
            db.close()
            srv.start()
            show = srv.ctl("user", "show", "old@example.org").stdout
            self.assertIn("pop3_leave_on_server = no\n", show)
            srv.ctl("user", "set", "old@example.org", "pop3_leave_on_server",
                    "yes")
            self.assertIn("pop3_leave_on_server = yes\n",
                          srv.ctl("user", "show", "old@example.org").stdout)
            self.assertEqual(srv.stop(), 0)
            self.assertNotIn("accounts upgrade", srv.log())
        finally:
            srv.stop()
            srv.tmp.cleanup()


class Pop3LoginDelay(Pop3Base):
    extra = {"pop3_login_delay": "3s"}

    def test_second_login_within_delay_is_refused(self):
        p = self.connect()
        self.assertEqual(p.capa().get("LOGIN-DELAY"), ["3"])
        p.user(BOB)
        p.pass_(BOB_PW)
        self.assertEqual(p.capa().get("LOGIN-DELAY"), ["3"])
        p.quit()
        started = time.monotonic()
        p = self.connect()
        p.user(BOB)
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_(BOB_PW)
        self.assertTrue(errtext(e.exception).startswith(b"-ERR [LOGIN-DELAY]"),
                        e.exception)
        # A wrong password still says only that (no delay is revealed).
        p.user(BOB)
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertTrue(errtext(e.exception).startswith(b"-ERR [AUTH]"))
        p.close()
        time.sleep(max(0.0, 3.5 - (time.monotonic() - started)))
        p = self.login()
        self.assertEqual(p.stat()[0], 0)
        p.quit()


if __name__ == "__main__":
    unittest.main()
