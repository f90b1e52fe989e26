"""The full-screen interface under tmux (send-keys / capture-pane): open
the INBOX (Dovecot over IMAP), read a message, save an attachment, reply
through a scripted $EDITOR (delivered by our posternd), see new mail.
Against posternd alone: the progress status line of a multi-MB download
(through a throttling proxy), the parts menu, a reply to oneself that
shows up by itself (IDLE), a terminal resize."""
import email
import email.policy
import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import threading
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


class TmuxMixin:
    def start_tmux(self, editor):
        self.sock = str(self.ua.home / "tmux.sock")
        env = " ".join(f"{k}={v}" for k, v in SAN_ENV.items())
        cmd = (f"env HOME={self.ua.home} EDITOR={editor} TERM=xterm {env} "
               f"{UA_BINARY}; echo TUI-EXITED $?; sleep 30")
        subprocess.run(["tmux", "-S", self.sock, "new-session", "-d", "-s",
                        "ua", "-x", "120", "-y", "30", cmd], check=True)

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
            if (text.search(s) if isinstance(text, re.Pattern)
                    else text in s):
                return s
            time.sleep(0.05)
        self.fail(f"{text!r} never appeared:\n{self.screen()}")

    def kill_tmux(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True)


@unittest.skipUnless(available() and shutil.which("tmux"),
                     SKIP_REASON + " or tmux is missing")
class TuiTest(TmuxMixin, unittest.TestCase):
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
        self.start_tmux(editor)

    def tearDown(self):
        self.kill_tmux()
        self.ua.cleanup()
        self.dc.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

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


class SlowProxy:
    """TCP proxy that passes the server's bytes on at rate bytes/s, so a
    multi-MB download takes seconds and its progress can be watched."""

    def __init__(self, port, rate):
        self.port, self.rate = port, rate
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.addr = self.lsock.getsockname()[1]
        self.socks = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.port))
            self.socks += [c, s]
            threading.Thread(target=self.pump, args=(c, s, 0),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, self.rate),
                             daemon=True).start()

    def pump(self, src, dst, rate):
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                dst.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        for x in (src, dst):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.lsock.close()
        for x in self.socks:
            x.close()


BIG_LINES = 80000     # 3.8 MB of text


def big_message():
    body = "".join(f"line {i:05d} of a long report, padded with words\r\n"
                   for i in range(BIG_LINES))
    return ("From: Carol <carol@example.org>\r\nTo: bob@example.org\r\n"
            "Date: Tue, 03 Mar 2026 09:00:00 +0000\r\n"
            "Subject: the big one\r\n\r\n" + body).encode()


MINE = (b"From: Bob <bob@example.org>\r\nTo: bob@example.org\r\n"
        b"Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nSubject: note to self\r\n"
        b"Message-ID: <tui-self@example.org>\r\n\r\nremember this\r\n")


@unittest.skipUnless(shutil.which("tmux"), "tmux is missing")
class TuiPosternTest(TmuxMixin, unittest.TestCase):
    """The interface against posternd only: IMAP, submission, delivery."""

    def setUp(self):
        self.srv = Postern(extra={"domains": "example.org"},
                           services=["smtp", "submission", "imap"])
        self.srv.ctl("user", "add", "bob@example.org", input="bobpw\n")
        self.srv.start()
        im = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        im.login("bob@example.org", "bobpw")
        for m in (with_attachment(), big_message(), MINE):
            im.append("INBOX", None, None, m)
        im.logout()
        self.proxy = SlowProxy(self.srv.port("imap"), 512 * 1024)
        self.ua = UA(password="bobpw")
        self.ua.write_config(
            f"imap = 127.0.0.1:{self.proxy.addr}\n"
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = bob@example.org\npassword_file = {self.ua.pwfile}\n")
        editor = self.ua.home / "editor.sh"
        editor.write_text("#!/bin/sh\n{ printf 'answer to myself\\n'; "
                          "cat \"$1\"; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n")
        editor.chmod(0o755)
        self.start_tmux(editor)

    def tearDown(self):
        self.kill_tmux()
        self.proxy.close()
        self.ua.cleanup()
        self.srv.stop()
        self.srv.tmp.cleanup()

    def test_progress_parts_reply_arrives_resize(self):
        s = self.wait_for("note to self")
        self.assertIn("the big one", s)
        self.assertIn("postern: INBOX  [3]", s)
        # the multi-MB message: the status line counts up while it loads
        self.keys("k", "Enter")
        body = big_message().split(b"\r\n\r\n", 1)[1]
        total = f"{len(body) / 1048576:.1f} MB"
        self.wait_for(re.compile(r"message 2: +([0-9]|[1-9][0-9])%  "
                                 r"[0-9.]+ [KM]B of " + re.escape(total)),
                      timeout=60)
        self.wait_for("line 00000 of a long report", timeout=60)
        self.keys(">")                       # the end of the message
        self.wait_for(f"line {BIG_LINES - 1:05d} of a long report")
        self.wait_for("-- 100% --")
        self.keys("q")
        # the parts menu: choose the attachment, save it under a new name
        self.keys("k", "Enter")
        self.wait_for("See the attached file.")
        self.keys("v")
        s = self.wait_for("parts of message 1")
        self.assertIn("application/octet-stream", s)
        self.keys("j", "s")
        s = self.wait_for("save to file: data")
        out = self.ua.home / "from-menu.bin"
        self.keys("C-u", str(out), "Enter")
        self.wait_for("saved part 2")
        self.assertEqual(out.read_bytes(), BLOB)
        self.keys("q", "q")
        self.wait_for("postern: INBOX  [3]")
        # mail arriving while the index waits shows up without a key
        # press (the watch child, in IDLE)
        time.sleep(1)
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp")) as c:
            c.sendmail("dave@example.net", ["bob@example.org"],
                       b"From: dave@example.net\r\nTo: bob@example.org\r\n"
                       b"Subject: out of the blue\r\n\r\nhi\r\n")
        self.wait_for("out of the blue", timeout=60)
        self.wait_for("1 new message")
        # reply to our own note: the reply comes back to this INBOX
        self.keys("End", "k", "r")
        self.wait_for("-- press a key --", timeout=60)
        self.keys("Enter")
        self.wait_for("Re: note to self", timeout=60)
        self.wait_for("postern: INBOX  [5]")
        im = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"))
        im.login("bob@example.org", "bobpw")
        im.select("INBOX", readonly=True)
        _, data = im.fetch("5", "(BODY.PEEK[])")
        im.logout()
        m = email.message_from_bytes(data[0][1], policy=email.policy.default)
        self.assertEqual(m["In-Reply-To"], "<tui-self@example.org>")
        self.assertIn("answer to myself", m.get_body(("plain",)).get_content())
        # a smaller terminal: the index is redrawn to fit
        subprocess.run(["tmux", "-S", self.sock, "resize-window", "-t", "ua",
                        "-x", "60", "-y", "12"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = self.screen().split("\n")
            if (lines[0].startswith("postern: INBOX") and
                    len(lines[0]) <= 60 and
                    any("Re: note to self" in x for x in lines)):
                break
            time.sleep(0.1)
        self.assertTrue(lines[0].startswith("postern: INBOX"), lines)
        self.assertLessEqual(len(lines[0]), 60)
        self.assertTrue(any(x.startswith("   5 ") for x in lines), lines)
        self.keys("?")
        self.wait_for("mutt conventions")
        self.keys("x", "q")
        self.wait_for("TUI-EXITED 0", timeout=10)


if __name__ == "__main__":
    unittest.main()
