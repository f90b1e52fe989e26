"""Outbound fault matrix against a scriptable sink (tests/integration/
smtpsink.py, in place of Postfix's smtp-sink): 4xx at MAIL/RCPT/DATA and
after the dot are deferred and retried, 5xx at RCPT gives one DSN, a
connection dropped before the final reply is retried (a duplicate is
possible, a loss is not), a slow final reply is waited for, 8-bit content
is converted for a server without 8BITMIME, SMTPUTF8 mail is returned when
the next hop lacks it, dots are stuffed and no bare LF goes out; a
smarthost that offers only AUTH LOGIN gets LOGIN, over TLS, and one
without working STARTTLS gets no password."""
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import Postern
from mailutil import queue_ids, wait_messages
from smtpsink import SmtpSink

MSG = (b"From: alice@a.test\r\nTo: bob@sink.test\r\nSubject: fault\r\n\r\n"
       b"line one\r\n.dot line\r\n.\r\nlast\r\n")


def wait_for(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)
        self.a = Postern(extra={
            "domains": "a.test", "relay_networks": "127.0.0.0/8",
            "queue_interval": "1h",
            "route.*": f"127.0.0.1:{self.sink.port}"},
            services=["smtp"], hostname="mx.a.test")
        self.a.ctl("user", "add", "alice@a.test", input="pw\n")
        self.a.start()

    def tearDown(self):
        code = self.a.stop()
        self.a.tmp.cleanup()
        self.assertEqual(code, 0)

    def send(self, rcpts=("bob@sink.test",), msg=MSG, **kw):
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            s.sendmail("alice@a.test", list(rcpts), msg, **kw)

    def deferred_then_flush(self, stage):
        self.sink.fail[stage] = "451 4.3.0 try again later"
        self.send()
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()),
                        self.a.log()[-3000:])
        out = self.a.ctl("queue", "list").stdout
        self.assertIn("deferred", out)
        self.assertIn("attempts=1", out)
        self.assertIn("next-try=", out)
        self.assertEqual(self.sink.messages, [])
        del self.sink.fail[stage]
        self.a.ctl("queue", "flush")
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1),
                        self.a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    def test_4xx_at_mail(self):
        self.deferred_then_flush("MAIL")

    def test_4xx_at_rcpt(self):
        self.deferred_then_flush("RCPT")

    def test_4xx_at_data(self):
        self.deferred_then_flush("DATA")

    def test_4xx_after_dot(self):
        self.deferred_then_flush("DOT")

    def test_5xx_at_rcpt_one_dsn(self):
        self.sink.rcpt_fail["x@sink.test"] = "550 5.1.1 no such user"
        self.sink.rcpt_fail["y@sink.test"] = "553 5.1.3 bad address"
        self.send(rcpts=["bob@sink.test", "x@sink.test", "y@sink.test"])
        bounces = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(bounces), 1, self.a.log()[-3000:])
        raw = bounces[0]
        self.assertIn(b"Final-Recipient: rfc822; x@sink.test", raw)
        self.assertIn(b"Final-Recipient: rfc822; y@sink.test", raw)
        self.assertNotIn(b"Final-Recipient: rfc822; bob@sink.test", raw)
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1 no such user", raw)
        self.assertEqual(len(self.sink.messages), 1)
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))
        time.sleep(0.5)
        self.assertEqual(len(wait_messages(self.a, "alice@a.test", 2,
                                           timeout=0.5)), 1)

    def test_drop_before_final_reply_is_retried(self):
        self.sink.drop_before_final = True
        self.send()
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()))
        self.assertEqual(self.sink.dropped, 1)
        self.sink.drop_before_final = False
        self.a.ctl("queue", "flush")
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    def test_slow_final_reply(self):
        self.sink.final_delay = 4
        self.send()
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))
        self.assertNotIn("status=deferred", self.a.log())

    def test_destination_concurrency_limit(self):
        # a slow server and 30 messages: several connections at once,
        # never more than the per-destination limit (REMOTE_DEST_CONC)
        self.sink.final_delay = 1
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            for i in range(30):
                s.sendmail("alice@a.test", ["bob@sink.test"], MSG)
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 30, 60),
                        self.a.log()[-3000:])
        self.assertGreater(self.sink.max_active, 1)
        self.assertLessEqual(self.sink.max_active, 20)
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    def test_waiting_messages_are_not_mapped(self):
        # 80 messages wait for a slow server: only those being sent have
        # their queue file mapped (the kernel allows ~65,000 mappings; a
        # big queue for one slow destination used to map every message).
        self.sink.final_delay = 1
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            for i in range(80):
                s.sendmail("alice@a.test", ["bob@sink.test"], MSG)
        pid = self.a.children()["queue"]
        most = 0
        deadline = time.monotonic() + 60
        while len(self.sink.messages) < 60 and time.monotonic() < deadline:
            maps = Path(f"/proc/{pid}/maps").read_text()
            most = max(most, sum("/queue/msg/" in ln for ln in maps.splitlines()))
            time.sleep(0.1)
        self.assertGreater(most, 0)
        self.assertLessEqual(most, 20)      # REMOTE_DEST_CONC connections
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 80, 60),
                        self.a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    def test_wire_format_dot_stuffing_pipelining(self):
        self.send(rcpts=["bob@sink.test", "carl@sink.test"])
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        m = self.sink.messages[0]
        lines = m["raw_lines"]
        self.assertIn(b"..dot line\r\n", lines)
        self.assertIn(b"..\r\n", lines)
        for ln in lines:
            self.assertTrue(ln.endswith(b"\r\n"))
            self.assertNotIn(b"\r", ln[:-2])
            self.assertNotIn(b"\n", ln[:-2])
        self.assertEqual(len(m["rcpts"]), 2)     # one transaction for both
        self.assertEqual(self.sink.connections, 1)
        # pipelined: MAIL, RCPTs and DATA arrived before any reply was read
        # (cannot observe directly here; the engine's unit test checks it)

    def test_chunking_sends_bdat_unstuffed(self):
        self.sink.ext = ["PIPELINING", "CHUNKING", "8BITMIME"]
        self.send(rcpts=["bob@sink.test", "carl@sink.test"])
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1),
                        self.a.log()[-3000:])
        m = self.sink.messages[0]
        self.assertTrue(m.get("bdat"))
        self.assertTrue(m["data"].endswith(
            b"line one\r\n.dot line\r\n.\r\nlast\r\n"), m["data"])
        self.assertTrue(any(c.startswith(b"BDAT ") and c.rstrip().endswith(
            b"LAST") for c in self.sink.commands))

    def test_8bit_converted_without_8bitmime(self):
        self.sink.ext = ["PIPELINING"]
        msg = (b"From: alice@a.test\r\nSubject: 8bit\r\n\r\n"
               b"caf\xc3\xa9 cr\xc3\xa8me\r\n")
        self.send(msg=msg, mail_options=["BODY=8BITMIME"])
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1),
                        self.a.log()[-3000:])
        data = self.sink.messages[0]["data"]
        self.assertNotIn(b"BODY=8BITMIME", self.sink.messages[0]["mail"].encode())
        self.assertTrue(all(b < 0x80 for b in data))
        self.assertIn(b"Content-Transfer-Encoding: quoted-printable", data)
        self.assertIn(b"caf=C3=A9", data)

    def test_8bit_passed_with_8bitmime(self):
        msg = b"From: alice@a.test\r\nSubject: 8bit\r\n\r\ncaf\xc3\xa9\r\n"
        self.send(msg=msg, mail_options=["BODY=8BITMIME"])
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        self.assertIn("BODY=8BITMIME", self.sink.messages[0]["mail"])
        self.assertIn(b"caf\xc3\xa9", self.sink.messages[0]["data"])

    def test_smtputf8_refused_when_next_hop_lacks_it(self):
        msg = "From: alice@a.test\r\nSubject: ü\r\n\r\nhi\r\n".encode()
        self.send(rcpts=["jürgen@sink.test"], msg=msg,
                  mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        bounces = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(bounces), 1, self.a.log()[-3000:])
        self.assertIn(b"Status: 5.6.7", bounces[0])
        self.assertEqual(self.sink.messages, [])

    def test_lockstep_without_pipelining_and_helo_fallback(self):
        self.sink.ext = []
        self.send(rcpts=["bob@sink.test", "carl@sink.test"])
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        self.assertEqual(len(self.sink.messages[0]["rcpts"]), 2)

    def notify_success(self, rcpt):
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            s.ehlo("t")
            s.mail("alice@a.test", ["ENVID=E+2B1", "RET=HDRS"])
            s.rcpt(rcpt, ["NOTIFY=SUCCESS,FAILURE",
                          "ORCPT=rfc822;" + rcpt])
            s.data(MSG)

    def test_notify_success_relayed_to_non_dsn_server(self):
        self.notify_success("bob@sink.test")
        notes = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(notes), 1, self.a.log()[-3000:])
        self.assertIn(b"Action: relayed", notes[0])
        self.assertIn(b"Original-Envelope-Id: E+1", notes[0])
        self.assertIn(b"Original-Recipient: rfc822; bob@sink.test", notes[0])
        self.assertEqual(len(self.sink.messages), 1)

    def test_notify_passed_to_dsn_server(self):
        self.sink.ext = ["PIPELINING", "DSN"]
        self.notify_success("bob@sink.test")
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1))
        m = self.sink.messages[0]
        self.assertIn("ENVID=E+2B1", m["mail"])
        self.assertIn("RET=HDRS", m["mail"])
        self.assertIn("NOTIFY=SUCCESS,FAILURE", m["rcpts"][0])
        self.assertIn("ORCPT=rfc822;bob@sink.test", m["rcpts"][0])
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))
        time.sleep(0.5)
        self.assertEqual(wait_messages(self.a, "alice@a.test", 1,
                                       timeout=0.5), [])

    def test_notify_success_local_delivery(self):
        self.a.ctl("user", "add", "dave@a.test", input="pw\n")
        self.notify_success("dave@a.test")
        notes = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(notes), 1, self.a.log()[-3000:])
        self.assertIn(b"Action: delivered", notes[0])
        self.assertIn(b"Status: 2.0.0", notes[0])
        self.assertEqual(len(wait_messages(self.a, "dave@a.test", 1)), 1)

    def test_failed_starttls_falls_back_to_plaintext(self):
        self.sink.ext = ["PIPELINING", "STARTTLS"]
        self.send()
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1),
                        self.a.log()[-3000:])
        self.assertEqual(self.sink.tls_broken, 1)
        self.assertIn("TLS failed, retrying without it", self.a.log())


def sink_tls_context(folder):
    """A server context with a fresh self-signed certificate."""
    cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=sink.test"], check=True,
                   capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class SmarthostLoginTest(unittest.TestCase):
    """A smarthost that offers AUTH LOGIN and not PLAIN (after a real
    STARTTLS), with credentials from data_dir/relay-auth; and one that
    refuses STARTTLS or does not offer it, which must get neither the
    password nor the mail."""

    def start(self, password, ext=("PIPELINING", "8BITMIME", "STARTTLS"),
              starttls_reply=None):
        tmp = tempfile.TemporaryDirectory(prefix="postern-sinktls-")
        self.addCleanup(tmp.cleanup)
        self.sink = SmtpSink(ext=ext)
        self.addCleanup(self.sink.close)
        self.sink.tls = sink_tls_context(tmp.name)
        if starttls_reply:
            self.sink.fail["STARTTLS"] = starttls_reply
        self.sink.auth_login = ("relay@sink.test", "s3cret-pw")
        hop = f"127.0.0.1:{self.sink.port}"
        self.a = Postern(extra={
            "domains": "a.test", "relay_networks": "127.0.0.0/8",
            "queue_interval": "1h", "route.*": hop},
            services=["smtp"], hostname="mx.a.test")
        auth = self.a.dir / "data" / "relay-auth"
        auth.parent.mkdir(parents=True, exist_ok=True)
        auth.write_text(f"{hop} relay@sink.test {password}\n")
        auth.chmod(0o600)
        self.a.start()
        self.addCleanup(self.a.tmp.cleanup)

    def tearDown(self):
        self.assertEqual(self.a.stop(), 0)

    def send(self):
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            s.sendmail("alice@a.test", ["bob@sink.test"], MSG)

    def test_auth_login_over_tls(self):
        self.start("s3cret-pw")
        self.send()
        self.assertTrue(wait_for(lambda: len(self.sink.messages) == 1),
                        self.a.log()[-3000:])
        self.assertEqual(self.sink.auths,
                         [("relay@sink.test", "s3cret-pw", True, True)])
        self.assertTrue(any(c.strip() == b"AUTH LOGIN"
                            for c in self.sink.commands))
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))
        self.assertIn("status=sent", self.a.log())

    def test_auth_login_refused_defers(self):
        self.start("wrong")
        self.send()
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()),
                        self.a.log()[-3000:])
        self.assertEqual(self.sink.messages, [])
        self.assertEqual(self.sink.auths,
                         [("relay@sink.test", "wrong", True, False)])
        out = self.a.ctl("queue", "list").stdout
        self.assertIn("535", out)
        self.assertEqual(len(queue_ids(self.a)), 1)

    def assert_nothing_in_clear(self, why):
        """Deferred with why; no credentials and no mail went out."""
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()),
                        self.a.log()[-3000:])
        verbs = [c.split(b" ")[0].strip().upper() for c in self.sink.commands]
        self.assertNotIn(b"AUTH", verbs)
        self.assertNotIn(b"MAIL", verbs)
        self.assertEqual(self.sink.auths, [])
        self.assertEqual(self.sink.messages, [])
        self.assertIn(why, self.a.ctl("queue", "list").stdout)
        self.assertEqual(len(queue_ids(self.a)), 1)

    def test_refused_starttls_sends_no_password(self):
        # RFC 3207 §4.1: a 454 to STARTTLS; with credentials TLS is
        # required, so the client gives up rather than go on in clear
        self.start("s3cret-pw", starttls_reply="454 4.7.0 TLS not available")
        self.send()
        self.assert_nothing_in_clear("454 4.7.0 TLS not available")

    def test_no_starttls_offered_sends_no_password(self):
        self.start("s3cret-pw", ext=("PIPELINING", "8BITMIME"))
        self.send()
        self.assert_nothing_in_clear("TLS is required")


if __name__ == "__main__":
    unittest.main()
