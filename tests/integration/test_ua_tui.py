"""The full-screen interface under tmux (send-keys / capture-pane): open
the INBOX (Dovecot over IMAP), read a message, save an attachment, reply
through a scripted $EDITOR (delivered by our posternd), see new mail."""
import email
import email.policy
import os
import shutil
import subprocess
import time
import unittest

from dovecotpeer import SKIP_REASON, Dovecot, available
from harness import SAN_ENV, Postern
from uautil import UA_BINARY
from mailutil import wait_messages
from test_ua_imap_pop3 import BLOB, with_attachment
from uautil import UA

ORIG = (b"From: Carol <carol@example.org>\r\nTo: bob@example.org\r\n"
        b"Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nSubject: hello there\r\n"
        b"Message-ID: <tui-orig@example.org>\r\n\r\nfirst line\r\n")


@unittest.skipUnless(available() and shutil.which("tmux"),
                     SKIP_REASON + " or tmux is missing")
class TuiTest(unittest.TestCase):
    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "submission"])
        for u in ("bob", "carol"):
            self.srv.ctl("user", "add", f"{u}@example.org", input="bobpw\n")
        self.srv.start()
        self.dc = Dovecot({"bob@example.org": "bobpw"}).start()
        self.dc.deliver("bob@example.org", with_attachment(), flags="S")
        self.dc.deliver("bob@example.org", ORIG)
        self.ua = UA(password="bobpw")
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.dc.port('imap')}\n"
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = bob@example.org\npassword_file = {self.ua.pwfile}\n")
        editor = self.ua.home / "editor.sh"
        editor.write_text("#!/bin/sh\n{ printf 'scripted reply\\n'; cat \"$1\"; }"
                          " > \"$1.new\" && mv \"$1.new\" \"$1\"\n")
        editor.chmod(0o755)
        self.sock = str(self.ua.home / "tmux.sock")
        env = " ".join(f"{k}={v}" for k, v in SAN_ENV.items())
        cmd = (f"env HOME={self.ua.home} EDITOR={editor} TERM=xterm {env} "
               f"{UA_BINARY}; echo TUI-EXITED $?; sleep 30")
        subprocess.run(["tmux", "-S", self.sock, "new-session", "-d", "-s",
                        "ua", "-x", "120", "-y", "30", cmd], check=True)

    def tearDown(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True)
        self.ua.cleanup()
        self.dc.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

    def screen(self):
        return subprocess.run(["tmux", "-S", self.sock, "capture-pane", "-p",
                               "-t", "ua"], capture_output=True,
                              text=True).stdout

    def keys(self, *k):
        subprocess.run(["tmux", "-S", self.sock, "send-keys", "-t", "ua", *k],
                       check=True)

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        self.fail(f"{text!r} never appeared:\n{self.screen()}")

    def test_read_save_reply_new_mail(self):
        s = self.wait_for("hello there")
        self.assertIn("postern: INBOX", s)
        self.assertIn("report attached", s)
        # the cursor starts on the newest message: open it
        self.keys("Enter")
        s = self.wait_for("first line")
        self.assertIn("Subject: hello there", s)
        self.keys("q")
        self.wait_for("postern: INBOX")
        # the older one has an attachment: save part 2
        self.keys("k", "Enter")
        self.wait_for("See the attached file.")
        out = self.ua.home / "saved.bin"
        self.keys("s")
        self.wait_for("save part:")
        self.keys("2", "Enter")
        self.wait_for("to file:")
        self.keys(str(out), "Enter")
        self.wait_for("saved part 2")
        self.assertEqual(out.read_bytes(), BLOB)
        self.keys("q")
        # reply to the newest through the scripted editor
        self.keys("j", "r")
        self.wait_for("-- press a key --")
        self.keys("Enter")
        self.wait_for("postern: INBOX")
        msgs = wait_messages(self.srv, "carol@example.org", 1)
        self.assertTrue(msgs)
        m = email.message_from_bytes(msgs[-1], policy=email.policy.default)
        self.assertEqual(m["In-Reply-To"], "<tui-orig@example.org>")
        self.assertEqual(m["Subject"], "Re: hello there")
        self.assertIn("scripted reply", m.get_body(("plain",)).get_content())
        # new mail appears on $
        self.dc.deliver("bob@example.org", b"From: z@example.net\r\n"
                        b"Subject: brand new\r\n\r\nx\r\n")
        self.keys("$")
        self.wait_for("brand new")
        self.wait_for("1 new message")
        self.keys("?")
        self.wait_for("mutt conventions")
        self.keys("x", "q")
        self.wait_for("TUI-EXITED 0", timeout=10)

    def test_flag_delete_folder_search(self):
        self.wait_for("hello there")
        # flag the newest (the cursor is on it), then search
        self.keys("F")
        self.wait_for("N-F 2026-03-03")
        self.keys("/")
        self.wait_for("search:")
        self.keys("report", "Enter")
        s = self.wait_for("search: report  [1]")
        self.assertIn("report attached", s)
        self.assertNotIn("hello there", s)
        self.keys("/", "Enter")          # empty search: back to all
        self.wait_for("hello there")
        # delete the newest
        self.keys("End", "d")
        deadline = time.monotonic() + 20
        while "hello there" in self.screen() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertNotIn("hello there", self.screen())
        # switch to an empty folder and back
        self.keys("c")
        self.wait_for("folder:")
        self.keys("Trash", "Enter")
        self.wait_for("postern: Trash")
        self.keys("c")
        self.wait_for("folder:")
        self.keys("INBOX", "Enter")
        self.wait_for("report attached")
        self.keys("q")
        self.wait_for("TUI-EXITED 0", timeout=10)


if __name__ == "__main__":
    unittest.main()
