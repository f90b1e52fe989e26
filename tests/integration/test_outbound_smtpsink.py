"""The outbound fault matrix against Postfix's smtp-sink (Debian package
postfix): soft errors at MAIL, RCPT and DATA are deferred and retried,
a hard error at RCPT gives one DSN, a connection dropped after the final
dot is retried, a slow reply to DATA is waited for. Skipped when smtp-sink
is not installed."""
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import Postern, free_port
from mailutil import queue_ids, wait_messages

SINK = shutil.which("smtp-sink") or (
    "/usr/sbin/smtp-sink" if os.path.exists("/usr/sbin/smtp-sink") else None)
MSG = b"From: alice@a.test\r\nSubject: sink\r\n\r\nbody\r\n.dot\r\n"


def wait_for(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


@unittest.skipUnless(SINK, "smtp-sink (postfix) not installed")
class SmtpSinkTest(unittest.TestCase):
    def setUp(self):
        self.port = free_port()
        self.dump = Path(tempfile.mkdtemp(prefix="postern-sink-"))
        self.dump.chmod(0o777)
        self.sink = None
        self.a = Postern(extra={
            "domains": "a.test", "relay_networks": "127.0.0.0/8",
            "queue_interval": "1h", "route.*": f"127.0.0.1:{self.port}"},
            services=["smtp"], hostname="mx.a.test")
        self.a.ctl("user", "add", "alice@a.test", input="pw\n")
        self.a.start()

    def tearDown(self):
        self.stop_sink()
        code = self.a.stop()
        self.a.tmp.cleanup()
        shutil.rmtree(self.dump, ignore_errors=True)
        self.assertEqual(code, 0)

    def start_sink(self, *opts):
        self.stop_sink()
        args = [SINK]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        args += ["-d", str(self.dump / "%H%M%S."), *opts,
                 f"127.0.0.1:{self.port}", "100"]
        self.sink = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                return
            except OSError:
                time.sleep(0.05)
        self.fail("smtp-sink did not start")

    def stop_sink(self):
        if self.sink is not None:
            self.sink.send_signal(signal.SIGTERM)
            self.sink.wait()
            self.sink = None

    def dumps(self):
        # smtp-sink opens a dump file per transaction, empty until DATA
        return sorted(p for p in self.dump.iterdir() if p.stat().st_size)

    def send(self, rcpts=("bob@sink.test",)):
        with smtplib.SMTP("127.0.0.1", self.a.port("smtp"), timeout=30) as s:
            s.sendmail("alice@a.test", list(rcpts), MSG)

    def soft_then_ok(self, cmd):
        self.start_sink("-r", cmd)
        self.send()
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()),
                        self.a.log()[-3000:])
        self.assertEqual(self.dumps(), [])
        self.start_sink()
        self.a.ctl("queue", "flush")
        self.assertTrue(wait_for(lambda: len(self.dumps()) == 1),
                        self.a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))
        self.assertIn(b"\n.dot\n", self.dumps()[0].read_bytes())

    def test_soft_error_at_mail(self):
        self.soft_then_ok("mail")

    def test_soft_error_at_rcpt(self):
        self.soft_then_ok("rcpt")

    def test_soft_error_at_data(self):
        self.soft_then_ok("data")

    def test_hard_error_at_rcpt_one_dsn(self):
        self.start_sink("-f", "rcpt")
        self.send(rcpts=["bob@sink.test", "carl@sink.test"])
        bounces = wait_messages(self.a, "alice@a.test", 1)
        self.assertEqual(len(bounces), 1, self.a.log()[-3000:])
        self.assertIn(b"Action: failed", bounces[0])
        self.assertIn(b"bob@sink.test", bounces[0])
        self.assertIn(b"carl@sink.test", bounces[0])
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []))

    def test_drop_after_dot_is_retried(self):
        self.start_sink("-q", ".")
        self.send()
        self.assertTrue(wait_for(lambda: "status=deferred" in self.a.log()),
                        self.a.log()[-3000:])
        self.start_sink()
        self.a.ctl("queue", "flush")
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []),
                        self.a.log()[-3000:])
        self.assertGreaterEqual(len(self.dumps()), 1)   # duplicate possible

    def test_slow_data_reply(self):
        self.start_sink("-w", "3")
        self.send()
        self.assertTrue(wait_for(lambda: queue_ids(self.a) == []),
                        self.a.log()[-3000:])
        self.assertEqual(len(self.dumps()), 1)
        self.assertNotIn("status=deferred", self.a.log())


if __name__ == "__main__":
    unittest.main()
