"""Real IMAP clients against posternd: curl (list, fetch, search), mutt
in batch mode (opens INBOX, flags messages), and mbsync (isync) syncing
folders both ways. Each test records the exact command it runs and is
skipped when the client is not installed (Debian packages curl, mutt,
isync)."""
import imaplib
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from imap_util import PASS, USER, login, message, start


def run(cmd, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, capture_output=True, **kw)


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()
        cls.port = cls.srv.port("imap")
        cls.work = Path(tempfile.mkdtemp(prefix="imap-clients-"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl(self):
        m = login(self.srv)
        m.create("CurlBox")
        m.append("CurlBox", None, None, message("curl one", "first body\r\n"))
        m.append("CurlBox", None, None, message("curl two", "second\r\n"))
        m.logout()
        base = "imap://127.0.0.1:%d" % self.port
        user = "%s:%s" % (USER, PASS)
        # curl -s --user USER:PASS imap://HOST:PORT/
        p = run(["curl", "-s", "--user", user, base + "/"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b'"CurlBox"', p.stdout)
        self.assertIn(b"INBOX", p.stdout)
        # curl -s --user USER:PASS 'imap://HOST:PORT/CurlBox;UID=2'
        p = run(["curl", "-s", "--user", user, base + "/CurlBox;UID=2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Subject: curl two", p.stdout)
        self.assertIn(b"second", p.stdout)
        # curl -s --user USER:PASS 'imap://HOST:PORT/CurlBox;UID=1;SECTION=TEXT'
        p = run(["curl", "-s", "--user", user,
                 base + "/CurlBox;UID=1;SECTION=TEXT"])
        self.assertEqual(p.stdout, b"first body\r\n")
        # curl -s --user USER:PASS 'imap://HOST:PORT/CurlBox?SUBJECT%20two'
        p = run(["curl", "-s", "--user", user,
                 base + "/CurlBox?SUBJECT%20two"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), b"* SEARCH 2")
        # curl -s --user USER:PASS -X 'EXAMINE CurlBox' imap://HOST:PORT/
        p = run(["curl", "-s", "--user", user, "-X", "EXAMINE CurlBox",
                 base + "/"])
        self.assertIn(b"2 EXISTS", p.stdout)

    @unittest.skipUnless(shutil.which("mutt") and shutil.which("script"),
                         "mutt or script not installed")
    def test_mutt_batch(self):
        m = login(self.srv)
        for i in range(3):
            m.append("INBOX", None, None, message("mutt %d" % i))
        m.logout()
        rc = self.work / "muttrc"
        rc.write_text(
            'set imap_user="%s"\nset imap_pass="%s"\n'
            'set folder="imap://127.0.0.1:%d/"\nset spoolfile="+INBOX"\n'
            "set ssl_starttls=no\nset ssl_force_tls=no\nset move=no\n"
            "set mail_check=60\nset imap_check_subscribed=no\n"
            "set header_cache=\nset message_cachedir=\n"
            "set confirmappend=no\nset quit=yes\nset delete=yes\n"
            % (USER, PASS, self.port))
        # mutt -n -F muttrc -f imap://HOST:PORT/INBOX -e 'push ...' under
        # script(1) for a terminal: flag every message, sync, quit.
        cmd = ("mutt -n -F %s -f imap://127.0.0.1:%d/INBOX "
               "-e 'push <tag-pattern>~A<enter><tag-prefix>"
               "<flag-message><sync-mailbox><quit>'" % (rc, self.port))
        p = run(["script", "-qec", cmd, "/dev/null"],
                env=dict(os.environ, TERM="vt100", HOME=str(self.work)),
                stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        m = login(self.srv)
        m.select("INBOX")
        typ, data = m.search(None, "FLAGGED")
        self.assertEqual(len(data[0].split()), 3, p.stdout[-2000:])
        m.logout()

    @unittest.skipUnless(shutil.which("mbsync"), "mbsync (isync) not "
                         "installed")
    def test_mbsync_both_ways(self):
        m = login(self.srv, "carol@example.org", "other")
        m.create("Lists/Dev")
        for i in range(3):
            m.append("INBOX", None, None, message("sync %d" % i))
        m.append("Lists/Dev", r"(\Flagged)", None, message("dev list"))
        m.logout()
        local = self.work / "mail"
        local.mkdir()
        rc = self.work / "mbsyncrc"
        rc.write_text(
            "IMAPAccount test\nHost 127.0.0.1\nPort %d\nUser carol@example.org\n"
            "Pass other\nSSLType None\nAuthMechs LOGIN\n\n"
            "IMAPStore remote\nAccount test\n\n"
            "MaildirStore local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
            "Channel test\nFar :remote:\nNear :local:\nPatterns *\n"
            "Create Both\nExpunge Both\nSyncState *\n"
            % (self.port, local, local))
        mbsync = ["mbsync", "-c", str(rc), "-a"]
        # mbsync -c mbsyncrc -a          (pull)
        p = run(mbsync)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        inbox = local / "INBOX"
        files = sorted((inbox / "cur").iterdir()) + \
            sorted((inbox / "new").iterdir())
        self.assertEqual(len(files), 3)
        dev = list((local / "Lists" / "Dev" / "cur").iterdir()) + \
            list((local / "Lists" / "Dev" / "new").iterdir())
        self.assertEqual(len(dev), 1)
        self.assertIn("F", dev[0].name.rsplit(",", 1)[-1])
        # change flags locally: seen on the first, deleted on the second
        def setflags(f, flags):
            base = f.name.split(":2,")[0]
            dest = inbox / "cur" / (base + ":2," + flags)
            f.rename(dest)
        setflags(files[0], "S")
        setflags(files[1], "T")
        # a new local message and a new local folder go up
        (local / "Local").mkdir()
        for d in ("cur", "new", "tmp"):
            (local / "Local" / d).mkdir()
        (local / "Local" / "new" / "1.local.test").write_bytes(
            message("from local"))
        # mbsync -c mbsyncrc -a          (push)
        p = run(mbsync)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = login(self.srv, "carol@example.org", "other")
        m.select("INBOX")
        self.assertEqual(m.search(None, "ALL")[1][0].split(), [b"1", b"2"])
        self.assertEqual(len(m.search(None, "SEEN")[1][0].split()), 1)
        m.select("Local")
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject)])")
        self.assertIn(b"from local", data[0][1])
        # a change on the server comes down
        m.select("INBOX")
        m.store("1:*", "+FLAGS", r"(\Flagged)")
        m.append("INBOX", None, None, message("late"))
        m.logout()
        p = run(mbsync)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        names = [f.name for d in ("cur", "new") for f in (inbox / d).iterdir()]
        self.assertEqual(len(names), 3)
        self.assertEqual(sum("F" in n.rsplit(",", 1)[-1] for n in names
                             if ":2," in n), 2)
        # nothing left to do: a second run changes nothing
        p = run(mbsync)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
