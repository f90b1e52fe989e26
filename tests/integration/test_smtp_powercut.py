"""Power cut: what the disk holds at the moment of a 250 has the message.

The kill -9 test (test_smtp_server.CrashTest) cannot catch a missing sync:
after a process dies the kernel still writes its dirty pages. This test
takes the disk's contents instead. posternd runs on an ext4 loop file
system while clients send; at a few moments every posternd process is
stopped (SIGSTOP), the loop device's backing file, which holds exactly
what the device was given, is copied, and the processes go on. Each copy
is then mounted (ext4 replays its journal, as after a power cut) and
every message acknowledged before the stop must be there, whole: still in
the queue or delivered into the Maildir. Pages that the file system had
not yet written to the device are not in the copy, so a commit that
acknowledged before the bytes or the names reached the device loses mail
here. Runs once per commit way: journal commits (ext4 with a journal) and
syncfs (ext4 without, or mounted data=journal). Needs root for the loop
mounts.
"""
import os
import signal
import subprocess
import time
import unittest
from pathlib import Path

from harness import LoopFs, Postern
from mailutil import Senders


def message(tag):
    return (f"From: a@remote.test\r\nTo: bob@example.org\r\nSubject: {tag}\r\n"
            f"\r\n" + "".join(f"{tag} line {i:04d} of a message body\r\n"
                             for i in range(120)) + f"end of {tag}\r\n").encode()


class PowerCutTest(unittest.TestCase):
    CUTS = 3

    def cut_test(self, journal, way, options=""):
        if not LoopFs.usable():
            self.skipTest("needs root, mkfs.ext4 and a working loop device")
        srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        snaps = []
        try:
            with LoopFs(srv.dir / "data", journal, options) as fs:
                srv.ctl("user", "add", "bob@example.org", input="bobpass\n")
                srv.start()
                senders = Senders(srv, 6, "cut", message,
                                  sender="a@remote.test").start()
                try:
                    for k in range(self.CUTS):
                        time.sleep(1.5)
                        pids = [srv.proc.pid] + list(srv.children().values())
                        for pid in pids:
                            os.kill(pid, signal.SIGSTOP)
                        before = senders.acked()
                        # I/O already handed to the loop device completes.
                        time.sleep(0.3)
                        snap = srv.dir / f"snap{k}.img"
                        subprocess.run(["cp", "--sparse=always", str(fs.img),
                                        str(snap)], check=True)
                        snaps.append((snap, before))
                        for pid in pids:
                            os.kill(pid, signal.SIGCONT)
                finally:
                    senders.stop()
                self.assertEqual(srv.stop(), 0)
                self.assertIn(f"group commits by {way}", srv.log())
            for snap, before in snaps:
                self.check_snapshot(srv.dir, snap, before)
        finally:
            srv.stop()
            for snap, _ in snaps:
                snap.unlink(missing_ok=True)
            srv.tmp.cleanup()

    def check_snapshot(self, base, snap, acked):
        self.assertGreater(len(acked), 20, "too few messages before the cut")
        mnt = Path(str(snap) + ".mnt")
        mnt.mkdir()
        # The copy is of a mounted file system: mounting replays the
        # journal (or, without one, takes the blocks as they are).
        subprocess.run(["mount", "-o", "loop", str(snap), str(mnt)], check=True)
        try:
            found = {}
            box = mnt / "mail" / "example.org" / "bob"
            dirs = [box / "new", box / "cur", mnt / "queue" / "msg"]
            for d in dirs:
                if not d.is_dir():
                    continue
                for f in d.iterdir():
                    raw = f.read_bytes()
                    if b"Subject: " not in raw:
                        continue
                    tag = raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0]
                    tag = tag.decode(errors="replace")
                    found[tag] = found.get(tag, False) or message(tag) in raw
            missing = [t for t in acked if t not in found]
            torn = [t for t in acked if t in found and not found[t]]
            print(f"\n  power cut {snap.name}: {len(acked)} acknowledged, "
                  f"{len(found)} on disk, {len(missing)} missing, "
                  f"{len(torn)} incomplete")
            self.assertEqual(missing, [])
            self.assertEqual(torn, [])
        finally:
            subprocess.run(["umount", str(mnt)])
            mnt.rmdir()

    def test_journal_commits(self):
        self.cut_test(True, "journal (ext4)")

    def test_syncfs_commits(self):
        self.cut_test(False, "syncfs")

    def test_data_journal_takes_syncfs(self):
        # data=journal: file data goes through the journal, write-back is
        # not what makes it durable there.
        self.cut_test(True, "syncfs", "data=journal")


if __name__ == "__main__":
    unittest.main()
