"""Helpers for tests that send mail and look into mailboxes."""
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
