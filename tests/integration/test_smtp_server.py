"""The SMTP server and the queue, driven by real clients: smtplib, raw
sockets, swaks and curl; mail checked in the Maildir it lands in."""
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from harness import LoopFs, Postern, client_tls_context
from mailutil import Senders, maildir_messages, queue_ids, wait_messages

MSG = (b"From: Alice <alice@remote.test>\r\nTo: bob@example.org\r\n"
       b"Subject: integration\r\n\r\nHello Bob.\r\n.leading dot\r\nbye\r\n")


def server(**extra):
    cfg = {"domains": "example.org"}
    cfg.update(extra)
    srv = Postern(extra=cfg, services=["smtp", "submission", "submissions"])
    srv.ctl("user", "add", "bob@example.org", input="bobpass\n")
    srv.ctl("user", "add", "carol@example.org", input="carolpass\n")
    return srv.start()


def body_of(raw):
    return raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[1]


class SmtpDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.srv = server()

    def tearDown(self):
        code = self.srv.stop()
        self.srv.tmp.cleanup()
        self.assertEqual(code, 0)

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30)

    def test_local_delivery_byte_exact(self):
        with self.smtp() as s:
            code, caps = s.ehlo("client.test")
            self.assertEqual(code, 250)
            for ext in (b"PIPELINING", b"SIZE", b"8BITMIME", b"ENHANCEDSTATUSCODES",
                        b"SMTPUTF8", b"STARTTLS", b"CHUNKING", b"DSN"):
                self.assertIn(ext, caps)
            s.mail("alice@remote.test")
            s.rcpt("bob@example.org")
            code, reply = s.data(MSG)
            self.assertEqual(code, 250)
            self.assertIn(b"queued as", reply)
        msgs = wait_messages(self.srv, "bob@example.org", 1)
        self.assertEqual(len(msgs), 1)
        raw = msgs[0]
        self.assertTrue(raw.startswith(b"Return-Path: <alice@remote.test>\r\n"
                                       b"Delivered-To: bob@example.org\r\n"), raw[:200])
        self.assertIn(b"Received: from client.test", raw)
        self.assertIn(b"by mail.test (Postern)", raw)
        self.assertTrue(raw.endswith(MSG), raw)
        # the queue is empty once delivery is durable
        deadline = time.monotonic() + 10
        while queue_ids(self.srv) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(queue_ids(self.srv), [])

    def test_unknown_recipient_is_refused_at_rcpt(self):
        with self.smtp() as s:
            s.ehlo("client.test")
            s.mail("alice@remote.test")
            code, reply = s.rcpt("nobody@example.org")
            self.assertEqual(code, 550)
            self.assertTrue(reply.startswith(b"5.1.1"), reply)
            code, _ = s.rcpt("bob@example.org")
            self.assertEqual(code, 250)
            code, _ = s.data(MSG)
            self.assertEqual(code, 250)
        self.assertEqual(len(wait_messages(self.srv, "bob@example.org", 1)), 1)

    def test_relay_is_refused_without_auth(self):
        with self.smtp() as s:
            s.ehlo("client.test")
            s.mail("alice@remote.test")
            code, reply = s.rcpt("someone@elsewhere.test")
            self.assertEqual(code, 554)
            self.assertTrue(reply.startswith(b"5.7.1"), reply)

    def test_several_recipients_and_subaddress(self):
        with self.smtp() as s:
            s.sendmail("alice@remote.test", ["bob@example.org", "carol@example.org",
                                             "bob+lists@example.org"], MSG)
        self.assertEqual(len(wait_messages(self.srv, "bob@example.org", 2)), 2)
        self.assertEqual(len(wait_messages(self.srv, "carol@example.org", 1)), 1)

    def test_size_limit_and_vrfy_and_unknown_command(self):
        with self.smtp() as s:
            s.ehlo("client.test")
            code, reply = s.docmd("MAIL FROM:<a@remote.test> SIZE=999999999999")
            self.assertEqual(code, 552)
            code, _ = s.docmd("VRFY bob")
            self.assertEqual(code, 252)
            code, _ = s.docmd("FROB")
            self.assertEqual(code, 500)
            code, _ = s.docmd("RCPT TO:<bob@example.org>")
            self.assertEqual(code, 503)

    def test_bare_lf_in_data_is_not_accepted(self):
        # SMTP smuggling: "\n.\n" must not end the message, and a message
        # carrying bare LF is refused as a whole.
        with socket.create_connection(("127.0.0.1", self.srv.port("smtp")), 10) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"EHLO x\r\n")
            while not f.readline().startswith(b"250 "):
                pass
            s.sendall(b"MAIL FROM:<a@remote.test>\r\n")
            self.assertTrue(f.readline().startswith(b"250"))
            s.sendall(b"RCPT TO:<bob@example.org>\r\n")
            self.assertTrue(f.readline().startswith(b"250"))
            s.sendall(b"DATA\r\n")
            self.assertTrue(f.readline().startswith(b"354"))
            s.sendall(b"Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@x>\r\n.\r\n")
            reply = f.readline()
            self.assertTrue(reply[:1] == b"5", reply)
            s.sendall(b"QUIT\r\n")
        time.sleep(0.5)
        self.assertEqual(maildir_messages(self.srv, "bob@example.org"), [])

    def test_pipelined_burst_of_transactions(self):
        # RFC 3030 lets a client pipeline whole transactions with BDAT. A
        # burst far larger than what the server reads ahead is held while
        # each message commits and then read on: every transaction gets
        # its three replies, in order, and every message arrives.
        n = 150
        burst = b"".join(
            b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.org>\r\n"
            + b"BDAT %d LAST\r\n" % len(body) + body
            for body in (b"Subject: burst %d\r\n\r\n" % i
                         + (b"x" * 70 + b"\r\n") * 20 for i in range(n)))
        self.assertGreater(len(burst), 200000)
        with socket.create_connection(("127.0.0.1", self.srv.port("smtp")), 30) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"EHLO x\r\n")
            while not f.readline().startswith(b"250 "):
                pass
            s.sendall(burst)
            replies = [f.readline() for _ in range(3 * n)]
            s.sendall(b"QUIT\r\n")
            self.assertTrue(f.readline().startswith(b"221"))
        for i in range(n):
            mail, rcpt, end = replies[3 * i:3 * i + 3]
            self.assertTrue(mail.startswith(b"250 2.1.0"), (i, mail))
            self.assertTrue(rcpt.startswith(b"250 2.1.5"), (i, rcpt))
            self.assertIn(b"queued as", end, i)
        msgs = wait_messages(self.srv, "bob@example.org", n)
        self.assertEqual(sorted(int(m.split(b"Subject: burst ")[1].split(b"\r")[0])
                                for m in msgs), list(range(n)))

    def test_dropped_connection_leaves_nothing(self):
        with socket.create_connection(("127.0.0.1", self.srv.port("smtp")), 10) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"HELO x\r\nMAIL FROM:<a@remote.test>\r\n"
                      b"RCPT TO:<bob@example.org>\r\nDATA\r\n")
            for _ in range(4):
                f.readline()
            s.sendall(b"Subject: half\r\n\r\nnot finished\r\n")
        time.sleep(0.5)
        self.assertEqual(queue_ids(self.srv), [])
        tmp = self.srv.dir / "data" / "queue" / "tmp"
        self.assertEqual(list(tmp.iterdir()), [])
        self.assertEqual(maildir_messages(self.srv, "bob@example.org"), [])


class SubaddressTest(unittest.TestCase):
    def test_delimiter_off_and_changed(self):
        for delim, ok, refused in (("", [], ["bob+x@example.org", "bob-x@example.org"]),
                                   ("-", ["bob-x@example.org"], ["bob+x@example.org"])):
            srv = server(recipient_delimiter=delim)
            try:
                with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
                    s.ehlo("client.test")
                    s.mail("alice@remote.test")
                    for a in ok:
                        self.assertEqual(s.rcpt(a)[0], 250, (delim, a))
                    for a in refused:
                        self.assertEqual(s.rcpt(a)[0], 550, (delim, a))
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.stop()
                srv.tmp.cleanup()


class SubmissionTest(unittest.TestCase):
    def setUp(self):
        # elsewhere.test is relayed to a closed loopback port: deferred
        self.srv = server(**{"route.elsewhere.test": "127.0.0.1:1"})

    def tearDown(self):
        code = self.srv.stop()
        self.srv.tmp.cleanup()
        self.assertEqual(code, 0)

    def test_auth_required_and_starttls(self):
        with smtplib.SMTP("127.0.0.1", self.srv.port("submission"), timeout=30) as s:
            s.ehlo("client.test")
            code, _ = s.docmd("MAIL FROM:<bob@example.org>")
            self.assertEqual(code, 530)
            s.starttls(context=client_tls_context())
            s.ehlo("client.test")
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("bob@example.org", "wrong")
            s.login("bob@example.org", "bobpass")
            # authenticated: relaying to a remote address is allowed
            refused = s.sendmail("bob@example.org",
                                 ["carol@example.org", "x@elsewhere.test"], MSG)
            self.assertEqual(refused, {})
        self.assertEqual(len(wait_messages(self.srv, "carol@example.org", 1)), 1)
        deadline = time.monotonic() + 10
        out = ""
        while time.monotonic() < deadline and "refused" not in out:
            out = self.srv.ctl("queue", "list").stdout
            time.sleep(0.05)
        self.assertIn("x@elsewhere.test deferred", out)
        self.assertIn("carol@example.org done", out)
        self.assertIn("Connection refused", out)

    def test_implicit_tls(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.srv.port("submissions"),
                              context=client_tls_context(), timeout=30) as s:
            s.login("carol@example.org", "carolpass")
            s.sendmail("carol@example.org", ["bob@example.org"], MSG)
        raw = wait_messages(self.srv, "bob@example.org", 1)[0]
        self.assertIn(b"ESMTPSA", raw)

    @unittest.skipUnless(shutil.which("swaks"), "swaks not installed")
    def test_swaks_starttls_auth(self):
        p = subprocess.run(["swaks", "--server", "127.0.0.1",
                            "--port", str(self.srv.port("submission")),
                            "--tls", "--auth", "PLAIN", "--auth-user", "bob@example.org",
                            "--auth-password", "bobpass", "--from", "bob@example.org",
                            "--to", "carol@example.org", "--header", "Subject: swaks"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        raw = wait_messages(self.srv, "carol@example.org", 1)[0]
        self.assertIn(b"Subject: swaks", raw)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_smtp(self):
        mail = self.srv.dir / "curl.eml"
        mail.write_bytes(MSG)
        p = subprocess.run(["curl", "-sS", f"smtp://127.0.0.1:{self.srv.port('smtp')}",
                            "--mail-from", "alice@remote.test",
                            "--mail-rcpt", "bob@example.org", "-T", str(mail)],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        raw = wait_messages(self.srv, "bob@example.org", 1)[0]
        self.assertTrue(raw.endswith(MSG))


class QueueControlTest(unittest.TestCase):
    def test_list_show_delete_flush(self):
        srv = server(relay_networks="127.0.0.0/8",
                     **{"route.elsewhere.test": "127.0.0.1:1"})
        try:
            with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
                s.sendmail("alice@remote.test", ["far@elsewhere.test"], MSG)
                s.sendmail("alice@remote.test", ["away@elsewhere.test"], MSG)
            ids = queue_ids(srv)
            self.assertEqual(len(ids), 2)
            out = srv.ctl("queue", "list").stdout
            for i in ids:
                self.assertIn(i, out)
            self.assertIn("<alice@remote.test>", out)
            show = srv.ctl("queue", "show", ids[0]).stdout
            self.assertIn("far@elsewhere.test", show)
            self.assertIn("Subject: integration", show)
            self.assertEqual(srv.ctl("queue", "show", "0000000000000000",
                                     check=False).returncode, 1)
            srv.ctl("queue", "delete", ids[0])
            self.assertEqual(queue_ids(srv), ids[1:])
            self.assertEqual(srv.ctl("queue", "delete", ids[0],
                                     check=False).returncode, 1)
            before = srv.log().count("flush requested")
            srv.ctl("queue", "flush")
            deadline = time.monotonic() + 10
            while srv.log().count("flush requested") == before and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreater(srv.log().count("flush requested"), before)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.stop()
            srv.tmp.cleanup()


class CrashTest(unittest.TestCase):
    """kill -9 of posternd while clients send: every message that got a
    250 is in a mailbox after restarts (duplicates counted, losses fail).
    Once where the tests run, and once on each of the spool's two commit
    ways: journal commits (ext4 with a journal) and syncfs (without)."""

    def crash(self, srv):
        senders = Senders(srv, 8, "crash", lambda tag: (
            f"Subject: {tag}\r\n\r\n{tag}\r\n".encode()), timeout=10,
            pause=0.03)
        try:
            senders.start()
            # 20 s of sending with three kill -9 + restarts in between
            for _ in range(3):
                time.sleep(5)
                # SIGKILL every process at once: no role gets to finish
                for pid in srv.children().values():
                    os.kill(pid, signal.SIGKILL)
                srv.proc.kill()
                srv.proc.wait()
                time.sleep(0.3)
                srv.log_file.close()
                srv.start()
            time.sleep(5)
            senders.stop()
            acked = senders.acked()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and queue_ids(srv):
                time.sleep(0.1)
            self.assertEqual(len(queue_ids(srv)), 0, "queue did not drain")
            msgs = maildir_messages(srv, "bob@example.org")
            seen = {}
            for raw in msgs:
                tag = raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
                seen[tag] = seen.get(tag, 0) + 1
            lost = [t for t in acked if t not in seen]
            dups = sum(c - 1 for c in seen.values())
            print(f"\n  crash test: {len(acked)} acknowledged, {len(msgs)} delivered, "
                  f"{dups} duplicates, {len(lost)} lost")
            self.assertGreater(len(acked), 50)
            self.assertEqual(lost, [])
            self.assertEqual(srv.stop(), 0)
        finally:
            senders.stop()
            srv.stop()

    def test_kill9_loses_nothing_acknowledged(self):
        srv = server()
        try:
            self.crash(srv)
        finally:
            srv.tmp.cleanup()

    def crash_on_loop_fs(self, journal, way):
        if not LoopFs.usable():
            self.skipTest("needs root, mkfs.ext4 and a working loop device")
        srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        try:
            with LoopFs(srv.dir / "data", journal):
                srv.ctl("user", "add", "bob@example.org", input="bobpass\n")
                srv.start()
                self.crash(srv)
                self.assertIn(f"group commits by {way}", srv.log())
        finally:
            srv.tmp.cleanup()

    def test_kill9_journal_commits(self):
        self.crash_on_loop_fs(True, "journal (ext4)")

    def test_kill9_syncfs_commits(self):
        self.crash_on_loop_fs(False, "syncfs")


if __name__ == "__main__":
    unittest.main()
