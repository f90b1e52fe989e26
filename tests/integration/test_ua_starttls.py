"""STARTTLS hardening of the user agent against fake servers: a reply
injected behind the STARTTLS answer, STARTTLS stripped from the
capabilities, a PREAUTH greeting in clear. With TLS required the UA must
give up before sending any password, and exit 2."""
import socket
import threading
import unittest

from harness import free_port
from uautil import UA


class FakeServer:
    """Accepts one connection, sends greeting, then answers each line with
    respond(line) (bytes, or None to close). Keeps what the client sent."""

    def __init__(self, greeting, respond):
        self.port = free_port()
        self.greeting = greeting
        self.respond = respond
        self.received = b""
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(1)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(30)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            conn.sendall(self.greeting)
            buf = b""
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                self.received += data
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    out = self.respond(line.rstrip(b"\r"))
                    if out is None:
                        return
                    try:
                        conn.sendall(out)
                    except OSError:
                        return

    def close(self):
        self.sock.close()
        self.thread.join(5)


def smtp_server(strip=False, inject=False):
    def respond(line):
        verb = line.split(b" ")[0].upper()
        if verb == b"EHLO":
            caps = b"250-fake\r\n250-AUTH PLAIN LOGIN\r\n"
            return caps + (b"250 8BITMIME\r\n" if strip else
                           b"250 STARTTLS\r\n")
        if verb == b"STARTTLS":
            return b"220 go ahead\r\n" + (b"250 injected\r\n" if inject else b"")
        if verb == b"QUIT":
            return None
        return b"250 ok\r\n"
    return FakeServer(b"220 fake ESMTP\r\n", respond)


def imap_server(strip=False, inject=False, preauth=False):
    def respond(line):
        tag, _, rest = line.partition(b" ")
        verb = rest.split(b" ")[0].upper()
        if verb == b"CAPABILITY":
            caps = b"IMAP4rev1 AUTH=PLAIN" + (b"" if strip else b" STARTTLS")
            return b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n"
        if verb == b"STARTTLS":
            return tag + b" OK begin TLS\r\n" + (
                b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
                if inject else b"")
        if verb == b"LOGOUT":
            return b"* BYE\r\n" + tag + b" OK bye\r\n"
        return tag + b" OK done\r\n"
    greet = b"* PREAUTH fake\r\n" if preauth else b"* OK fake IMAP\r\n"
    return FakeServer(greet, respond)


def pop3_server(strip=False, inject=False):
    def respond(line):
        verb = line.split(b" ")[0].upper()
        if verb == b"CAPA":
            return b"+OK\r\nUSER\r\nUIDL\r\n" + (b"" if strip else b"STLS\r\n") + b".\r\n"
        if verb == b"STLS":
            return b"+OK begin TLS\r\n" + (b"+OK injected\r\n" if inject else b"")
        if verb == b"QUIT":
            return None
        return b"+OK\r\n"
    return FakeServer(b"+OK fake POP3\r\n", respond)


class StartTlsHardeningTest(unittest.TestCase):
    def setUp(self):
        self.ua = UA(password="SECRETPW")
        self.ua.write_config(f"user = u@example.org\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()

    def check_no_password(self, srv, *forbidden):
        srv.close()
        self.assertNotIn(b"SECRETPW", srv.received)
        self.assertNotIn(b"U0VDUkVUUFc", srv.received)  # base64 of it
        for f in forbidden:
            self.assertNotIn(f, srv.received.upper())

    def send(self, srv, *flags):
        return self.ua.run("--smtp", f"127.0.0.1:{srv.port}", *flags, "send",
                           "--to", "x@example.org", "--subject", "s",
                           input="body\n", check=2)

    def test_smtp_stripped(self):
        srv = smtp_server(strip=True)
        p = self.send(srv, "--starttls")
        self.assertIn("STARTTLS required", p.err)
        self.check_no_password(srv, b"AUTH", b"MAIL FROM")
        self.assertEqual(self.ua.outbox(), [])

    def test_smtp_injected(self):
        srv = smtp_server(inject=True)
        p = self.send(srv, "--starttls")
        self.assertIn("not sent", p.err)
        self.check_no_password(srv, b"AUTH", b"MAIL FROM")

    def test_smtp_auto_loopback_is_clear_but_explicit_tls_is_kept(self):
        # --tls on a server that speaks clear text: the handshake fails
        srv = smtp_server()
        self.send(srv, "--tls")
        self.check_no_password(srv, b"AUTH")

    def list_imap(self, srv, *flags):
        return self.ua.run("--imap", f"127.0.0.1:{srv.port}", *flags, "list",
                           check=2)

    def test_imap_preauth(self):
        srv = imap_server(preauth=True)
        p = self.list_imap(srv, "--starttls")
        self.assertIn("PREAUTH", p.err)
        self.check_no_password(srv, b"LOGIN", b"SELECT", b"EXAMINE")

    def test_imap_stripped(self):
        srv = imap_server(strip=True)
        p = self.list_imap(srv, "--starttls")
        self.assertIn("STARTTLS required", p.err)
        self.check_no_password(srv, b"LOGIN", b"AUTHENTICATE")

    def test_imap_injected(self):
        srv = imap_server(inject=True)
        p = self.list_imap(srv, "--starttls")
        self.assertIn("ahead of the TLS handshake", p.err)
        self.check_no_password(srv, b"LOGIN", b"AUTHENTICATE")

    def test_pop3_stripped_and_injected(self):
        srv = pop3_server(strip=True)
        p = self.ua.run("--pop3", f"127.0.0.1:{srv.port}", "--starttls",
                        "list", check=2)
        self.assertIn("STLS required", p.err)
        self.check_no_password(srv, b"PASS", b"USER")
        srv = pop3_server(inject=True)
        p = self.ua.run("--pop3", f"127.0.0.1:{srv.port}", "--starttls",
                        "fetch", "--maildir", self.ua.home / "M", check=2)
        self.assertIn("ahead of the TLS handshake", p.err)
        self.check_no_password(srv, b"PASS", b"USER")


if __name__ == "__main__":
    unittest.main()
