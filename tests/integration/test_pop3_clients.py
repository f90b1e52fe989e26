"""Real POP3 clients against posternd: Debian's fetchmail (keep mode and
the default delete mode, delivering through --mda into files; plain with
STLS and over pop3s) and curl pop3:// and pop3s:// (LIST, RETR, DELE via
-X). Counts and bytes retrieved must equal what was delivered.

fetchmail and curl come from scripts/deps.sh test_pkgs; a test is
skipped, saying so, when its tool is missing.
"""
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from test_pop3_server import BOB, BOB_PW, FILL, Pop3Base, msg

FETCHMAIL = shutil.which("fetchmail")
CURL = shutil.which("curl")


def messages(tag, n):
    return [msg(f"{tag} {i}", f"body {i}\r\n.dot line\r\n" + "z" * (i * 300)
                + "\r\n") for i in range(n)]


class FetchmailMixin:
    """fetchmail runs for a Pop3Base test; self.tmp is a scratch folder."""

    def fetchmail(self, *opts, port=None, ssl=False, user=BOB, pw=BOB_PW):
        """Runs one fetchmail poll; returns the messages its MDA got."""
        out = self.tmp / "out"
        out.mkdir(exist_ok=True)
        mda = self.tmp / "mda.sh"
        mda.write_text(f'#!/bin/sh\nf=$(mktemp "{out}/m.XXXXXX")\ncat > "$f"\n')
        mda.chmod(0o755)
        rc = self.tmp / "fetchmailrc"
        rc.write_text(f'poll 127.0.0.1 protocol pop3 port '
                      f'{port or self.srv.port("pop3")} user "{user}" '
                      f'password "{pw}"{" ssl" if ssl else ""}\n')
        rc.chmod(0o600)
        env = dict(os.environ, HOME=str(self.tmp), FETCHMAILHOME=str(self.tmp))
        before = set(out.iterdir())
        p = subprocess.run([FETCHMAIL, "-f", str(rc), "--nodetach", "-a",
                            "--nosslcertck", "--invisible", "--mda", str(mda),
                            "--pidfile", str(self.tmp / "pid"), *opts],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)
        return sorted(f.read_bytes() for f in set(out.iterdir()) - before)

    @staticmethod
    def as_mda_gets(m):
        return m.replace(b"\r\n", b"\n")    # fetchmail hands LF lines on


class Pop3Clients(FetchmailMixin, Pop3Base):
    def setUp(self):
        self.empty()
        self.tmp = Path(tempfile.mkdtemp(prefix="pop3-client-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    @unittest.skipUnless(FETCHMAIL, "fetchmail not installed (deps.sh test_pkgs)")
    def test_fetchmail_keep_then_delete(self):
        sent = messages("fm", 5)
        self.fill(*sent)
        want = sorted(self.as_mda_gets(m) for m in sent)
        self.assertEqual(self.fetchmail("--keep"), want)
        p = self.login()
        self.assertEqual(p.stat(), (5, sum(len(m) for m in sent)))
        p.quit()
        self.assertEqual(self.fetchmail("--keep"), want)   # kept: again
        self.assertEqual(self.fetchmail(), want)           # delete mode
        p = self.login()
        self.assertEqual(p.stat(), (0, 0))
        p.quit()
        self.assertEqual(self.fetchmail(), [])

    @unittest.skipUnless(FETCHMAIL, "fetchmail not installed (deps.sh test_pkgs)")
    def test_fetchmail_pop3s(self):
        sent = messages("fms", 3)
        self.fill(*sent)
        got = self.fetchmail(port=self.srv.port("pop3s"), ssl=True)
        self.assertEqual(got, sorted(self.as_mda_gets(m) for m in sent))
        p = self.login()
        self.assertEqual(p.stat()[0], 0)
        p.quit()

    # -- curl ----------------------------------------------------------
    def curl(self, url, *opts):
        p = subprocess.run([CURL, "-sS", "-k", "-u", f"{BOB}:{BOB_PW}", *opts,
                            url], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    @unittest.skipUnless(CURL, "curl not installed (deps.sh test_pkgs)")
    def test_curl_list_retr_dele(self):
        sent = messages("curl", 3)
        self.fill(*sent)
        base = f"pop3://127.0.0.1:{self.srv.port('pop3')}/"
        listing = self.curl(base)
        self.assertEqual(listing, b"".join(f"{i + 1} {len(m)}\r\n".encode()
                                           for i, m in enumerate(sent)))
        for i, m in enumerate(sent):
            self.assertEqual(self.curl(base + str(i + 1)), m)
        self.curl(base + "2", "-X", "DELE", "-I")
        left = self.curl(base)
        self.assertEqual(left, f"1 {len(sent[0])}\r\n2 {len(sent[2])}\r\n"
                         .encode())
        self.assertEqual(self.curl(base + "2"), sent[2])   # renumbered

    @unittest.skipUnless(CURL, "curl not installed (deps.sh test_pkgs)")
    def test_curl_tls(self):
        sent = messages("curltls", 2)
        self.fill(*sent)
        stls = f"pop3://127.0.0.1:{self.srv.port('pop3')}/1"
        self.assertEqual(self.curl(stls, "--ssl-reqd"), sent[0])
        pop3s = f"pop3s://127.0.0.1:{self.srv.port('pop3s')}/2"
        self.assertEqual(self.curl(pop3s), sent[1])


if __name__ == "__main__":
    unittest.main()
