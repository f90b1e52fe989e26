"""Shared setup for the IMAP integration tests (test_imap_*.py)."""
import imaplib
import socket

from harness import Postern

USER = "bob@example.org"
PASS = "s3cret pw"
USER2 = "carol@example.org"


def start(extra=None, services=("imap", "imaps")):
    conf = {"domains": "example.org"}
    conf.update(extra or {})
    srv = Postern(extra=conf, services=list(services)).start()
    srv.ctl("user", "add", USER, input=PASS + "\n")
    srv.ctl("user", "add", USER2, input="other\n")
    return srv


def login(srv, user=USER, password=PASS):
    m = imaplib.IMAP4("127.0.0.1", srv.port("imap"), timeout=30)
    m.login(user, password)
    return m


def message(subject="hello", body="body text\r\n", frm="alice@example.net",
            to=USER, extra=""):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 7 Feb 1994 "
            "21:52:25 -0800\r\nMessage-ID: <%s@test>\r\n%s\r\n%s"
            % (frm, to, subject, subject.replace(" ", "."), extra,
               body)).encode()


class Raw:
    """A raw IMAP connection for what imaplib cannot say."""

    def __init__(self, port, sock=None):
        self.s = sock or socket.create_connection(("127.0.0.1", port),
                                                   timeout=10)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out + b"\r\n"

    def send(self, data):
        self.s.sendall(data)

    def until(self, tag):
        """Lines up to and including the tagged reply for tag."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if not ln or ln.startswith(tag + b" "):
                return lines

    def close(self):
        self.s.close()
