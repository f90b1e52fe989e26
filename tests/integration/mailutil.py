"""Helpers for tests that send mail and look into mailboxes."""
import smtplib
import threading
import time
from pathlib import Path


def maildir_messages(srv, address, folder="INBOX"):
    """Raw bytes of every message in a user's folder, oldest first."""
    local, domain = address.split("@")
    base = srv.dir / "data" / "mail" / domain / local
    if folder != "INBOX":
        base = base / ("." + folder.replace("/", "."))
    files = []
    for sub in ("new", "cur"):
        d = base / sub
        if d.is_dir():
            files += [p for p in d.iterdir() if p.is_file()]
    files.sort(key=lambda p: (p.stat().st_mtime, p.name))
    return [p.read_bytes() for p in files]


def wait_messages(srv, address, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    msgs = []
    while time.monotonic() < deadline:
        msgs = maildir_messages(srv, address)
        if len(msgs) >= count:
            return msgs
        time.sleep(0.05)
    return msgs


def queue_ids(srv):
    d = srv.dir / "data" / "queue" / "msg"
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


class Senders:
    """n threads that send tagged messages to srv's SMTP port until stop():
    message(tag) gives the bytes of each; acked() lists, in order, the tags
    that got their 250. A refused or broken session is retried with the
    next tag after a short pause (the server may be down on purpose)."""

    def __init__(self, srv, n, prefix, message, sender="alice@remote.test",
                 rcpt="bob@example.org", timeout=30, pause=0.0):
        self.srv, self.prefix, self.message = srv, prefix, message
        self.sender, self.rcpt = sender, rcpt
        self.timeout, self.pause = timeout, pause
        self._acked = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(k,))
                         for k in range(n)]

    def _run(self, k):
        i = 0
        while not self._stop.is_set():
            tag = f"{self.prefix}-{k}-{i}"
            i += 1
            try:
                with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"),
                                  timeout=self.timeout) as s:
                    s.sendmail(self.sender, [self.rcpt], self.message(tag))
                with self._lock:
                    self._acked.append(tag)
                time.sleep(self.pause)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            if t.is_alive():
                t.join()

    def acked(self):
        with self._lock:
            return list(self._acked)

