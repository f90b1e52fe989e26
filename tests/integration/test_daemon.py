"""posternd as a whole: listeners, TLS, supervision, signals, bad starts."""
import os
import pwd
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import (Postern, SAN_ENV, TLS_SERVICES, binary, client_tls_context,
                     free_port, wait_port)

GREETING = {
    "smtp": b"220 ", "submission": b"220 ", "submissions": b"220 ",
    "pop3": b"+OK ", "pop3s": b"+OK ", "imap": b"* OK ", "imaps": b"* OK ",
}


def read_line(sock, limit=4096):
    data = b""
    while not data.endswith(b"\r\n") and len(data) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def greet(port, tls=False, family=socket.AF_INET, host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=10)
    try:
        if tls:
            s = client_tls_context().wrap_socket(s)
        return read_line(s), (s.version() if tls else None), \
            (s.getpeercert(binary_form=True) if tls else None)
    finally:
        s.close()


def start_bad(conf_text, tmpdir):
    conf = Path(tmpdir) / "bad.conf"
    conf.write_text(conf_text)
    p = subprocess.run([binary("posternd"), "-c", str(conf)], capture_output=True,
                       text=True, timeout=30, env=dict(os.environ, **SAN_ENV))
    return p, conf


class DaemonTest(unittest.TestCase):
    def test_every_listener_answers_and_sigterm_exits_zero(self):
        srv = Postern().start()
        try:
            for svc, port in srv.ports.items():
                tls = svc in TLS_SERVICES
                line, version, _ = greet(port, tls=tls)
                self.assertTrue(line.startswith(GREETING[svc]), (svc, line))
                self.assertIn(b"mail.test", line)
                if tls:
                    self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
            t0 = time.monotonic()
            code = srv.stop()
            self.assertEqual(code, 0, srv.log())
            self.assertLess(time.monotonic() - t0, 10.0)
            for port in srv.ports.values():
                with self.assertRaises(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=2)
            self.assertIn("stopped", srv.log())
        finally:
            srv.stop()
            srv.tmp.cleanup()

    def test_process_group_sigterm_every_role_exits_cleanly(self):
        # Ctrl-C, `timeout`, a service manager: SIGTERM to the whole
        # process group reaches every role at once, and the master passes
        # one on too. The second used to kill a role that had begun its
        # cleanup ("killed by signal 15").
        srv = Postern()
        try:
            for _ in range(5):
                log = open(srv.log_path, "wb")
                p = subprocess.Popen([binary("posternd"), "-c", str(srv.conf)],
                                     stdout=log, stderr=log, start_new_session=True,
                                     env=dict(os.environ, **SAN_ENV))
                for port in srv.ports.values():
                    self.assertTrue(wait_port("127.0.0.1", port), srv.log())
                time.sleep(0.3)
                os.killpg(p.pid, signal.SIGTERM)
                self.assertEqual(p.wait(20), 0, srv.log())
                log.close()
                text = srv.log()
                self.assertNotIn("killed by signal", text)
                self.assertEqual(text.count("exited with status 0"), 4, text)
        finally:
            srv.tmp.cleanup()

    def test_tls_refuses_old_protocols_and_cert_is_kept(self):
        with Postern(services=["imaps"]) as srv:
            ctx = client_tls_context()
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            try:
                ctx.set_ciphers("ALL:@SECLEVEL=0")
            except ssl.SSLError:
                pass
            with self.assertRaises((ssl.SSLError, OSError)):
                with socket.create_connection(("127.0.0.1", srv.port("imaps")),
                                              timeout=5) as s:
                    ctx.wrap_socket(s).recv(10)
            _, _, cert1 = greet(srv.port("imaps"), tls=True)
            self.assertEqual(srv.stop(), 0)
            self.assertTrue((srv.dir / "data" / "tls" / "cert.pem").exists())
            key = srv.dir / "data" / "tls" / "key.pem"
            self.assertEqual(key.stat().st_mode & 0o077, 0)
            srv.start()
            _, _, cert2 = greet(srv.port("imaps"), tls=True)
            self.assertEqual(cert1, cert2, "generated certificate was not reused")

    def test_killed_role_is_restarted(self):
        with Postern() as srv:
            deadline = time.monotonic() + 10
            while len(srv.children()) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            kids = srv.children()
            self.assertEqual(set(kids), {"smtp", "queue", "pop3", "imap"})
            os.kill(kids["smtp"], signal.SIGKILL)
            deadline = time.monotonic() + 10
            new = None
            while time.monotonic() < deadline:
                new = srv.children().get("smtp")
                if new and new != kids["smtp"]:
                    break
                time.sleep(0.05)
            self.assertIsNotNone(new)
            self.assertNotEqual(new, kids["smtp"])
            line, _, _ = greet(srv.port("smtp"))
            self.assertTrue(line.startswith(b"220 "), line)
            self.assertIn("role smtp", srv.log())
            self.assertIn("killed by signal 9", srv.log())
            # the other roles were not disturbed
            self.assertEqual(srv.children()["imap"], kids["imap"])
            self.assertEqual(srv.stop(), 0)

    def test_sighup_rereads_config(self):
        with Postern(services=["pop3", "imap"]) as srv:
            old_pop3 = srv.port("pop3")
            new_pop3 = free_port()
            srv.ports["pop3"] = new_pop3
            srv.write_config()
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_port("127.0.0.1", new_pop3), srv.log())
            line, _, _ = greet(new_pop3)
            self.assertTrue(line.startswith(b"+OK "))
            deadline = time.monotonic() + 5
            closed = False
            while time.monotonic() < deadline and not closed:
                try:
                    socket.create_connection(("127.0.0.1", old_pop3), timeout=1).close()
                    time.sleep(0.1)
                except OSError:
                    closed = True
            self.assertTrue(closed, "old pop3 port still listening")
            # an unchanged listener kept working
            line, _, _ = greet(srv.port("imap"))
            self.assertTrue(line.startswith(b"* OK"))
            # a broken config on SIGHUP keeps the running one
            srv.conf.write_text(srv.conf.read_text() + "bogus_key = 1\n")
            srv.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            line, _, _ = greet(new_pop3)
            self.assertTrue(line.startswith(b"+OK "))
            self.assertIn("keeping the running config", srv.log())
            self.assertEqual(srv.stop(), 0)

    def test_several_addresses_and_ipv6(self):
        p1, p2 = free_port(), free_port()
        extra = {"smtp_listen": f"127.0.0.1:{p1} 127.0.0.1:{p2}"}
        have_v6 = socket.has_ipv6
        if have_v6:
            try:
                with socket.socket(socket.AF_INET6) as s:
                    s.bind(("::1", 0))
            except OSError:
                have_v6 = False
        p6 = free_port()
        if have_v6:
            extra["imap_listen"] = f"[::1]:{p6}"
        with Postern(extra=extra, services=["pop3"]) as srv:
            for p in (p1, p2):
                self.assertTrue(wait_port("127.0.0.1", p))
                self.assertTrue(greet(p)[0].startswith(b"220 "))
            if have_v6:
                self.assertTrue(wait_port("::1", p6))
                self.assertTrue(greet(p6, host="::1")[0].startswith(b"* OK"))
            self.assertEqual(srv.stop(), 0)

    @unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
    def test_roles_drop_to_configured_user(self):
        nobody = pwd.getpwnam("nobody")
        srv = Postern(extra={"user": "nobody"}, services=["smtp", "imap"])
        os.chmod(srv.dir, 0o755)
        try:
            srv.start()
            deadline = time.monotonic() + 10
            while len(srv.children()) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            kids = srv.children()
            self.assertEqual(set(kids), {"smtp", "queue", "imap"})
            for role, pid in kids.items():
                status = Path(f"/proc/{pid}/status").read_text()
                uids = [l for l in status.splitlines() if l.startswith("Uid:")][0]
                self.assertEqual(set(uids.split()[1:]), {str(nobody.pw_uid)},
                                 (role, uids))
            self.assertTrue(greet(srv.port("smtp"))[0].startswith(b"220 "))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.stop()
            srv.tmp.cleanup()


class BadStartTest(unittest.TestCase):
    def assert_one_line_error(self, p, *needles):
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        for n in needles:
            self.assertIn(n, err)

    def test_unknown_key(self):
        with tempfile.TemporaryDirectory() as d:
            p, conf = start_bad("data_dir = data\n\nfrobnicate = yes\n", d)
            self.assertEqual(p.returncode, 2)
            self.assert_one_line_error(p, f"{conf}:3:", "unknown key")
            self.assertFalse((Path(d) / "data").exists(), "half-started")

    def test_bad_duration(self):
        with tempfile.TemporaryDirectory() as d:
            p, conf = start_bad("queue_interval = 15x\n", d)
            self.assertEqual(p.returncode, 2)
            self.assert_one_line_error(p, f"{conf}:1:", "queue_interval")

    def test_port_in_use(self):
        with tempfile.TemporaryDirectory() as d, \
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            taken = busy.getsockname()[1]
            other = free_port()
            p, _ = start_bad(f"data_dir = data\nsmtp_listen = 127.0.0.1:{other}\n"
                             f"imap_listen = 127.0.0.1:{taken}\n"
                             "submission_listen =\nsubmissions_listen =\n"
                             "pop3_listen =\npop3s_listen =\nimaps_listen =\n", d)
            self.assertEqual(p.returncode, 1)
            self.assert_one_line_error(p, f"127.0.0.1:{taken}", "in use")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", other), timeout=2)

    def test_unreadable_cert(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "cert.pem").write_text("not a certificate\n")
            (Path(d) / "key.pem").write_text("not a key\n")
            port = free_port()
            p, _ = start_bad(f"data_dir = data\ntls_cert = cert.pem\n"
                             f"tls_key = key.pem\nsmtp_listen = 127.0.0.1:{port}\n", d)
            self.assertEqual(p.returncode, 1)
            self.assert_one_line_error(p, "cert.pem")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=2)
            p, _ = start_bad("data_dir = data\ntls_cert = missing.pem\n"
                             "tls_key = missing-key.pem\n", d)
            self.assertEqual(p.returncode, 1)
            self.assert_one_line_error(p, "missing.pem")


class CtlTest(unittest.TestCase):
    def test_check(self):
        with tempfile.TemporaryDirectory() as d:
            good = Path(d) / "good.conf"
            good.write_text("data_dir = data\nmax_message_size = 10M\n")
            p = subprocess.run([binary("posternctl"), "-c", str(good), "check"],
                               capture_output=True, text=True,
                               env=dict(os.environ, **SAN_ENV))
            self.assertEqual(p.returncode, 0, p.stderr)
            bad = Path(d) / "bad.conf"
            bad.write_text("max_message_size = lots\n")
            p = subprocess.run([binary("posternctl"), "-c", str(bad), "check"],
                               capture_output=True, text=True,
                               env=dict(os.environ, **SAN_ENV))
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"{bad}:1:", p.stderr)
            p = subprocess.run([binary("posternctl"), "-c", str(good), "frob"],
                               capture_output=True, text=True,
                               env=dict(os.environ, **SAN_ENV))
            self.assertEqual(p.returncode, 2)
            self.assertIn("unknown command", p.stderr)


class UserAgentStubTest(unittest.TestCase):
    def test_usage(self):
        p = subprocess.run([binary("postern")], capture_output=True, text=True,
                           env=dict(os.environ, **SAN_ENV))
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage", p.stderr)


if __name__ == "__main__":
    unittest.main()
