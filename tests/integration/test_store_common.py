"""Shared helpers for the store integration tests (stdlib only; no tests
here)."""
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / 'build'
CTL = BUILD / 'posternctl'
TOOL = BUILD / 'tools' / 'store_tool'


class Env:
    """A temp data_dir with a config, and ways to drive it."""

    def __init__(self, domains='example.org example.net'):
        self.tmp = tempfile.TemporaryDirectory(prefix='postern-store-')
        self.dir = Path(self.tmp.name)
        self.conf = self.dir / 'postern.conf'
        self.conf.write_text('data_dir = data\ndomains = %s\n'
                             'hostname = test.example\n' % domains)
        self.data = self.dir / 'data'

    def close(self):
        self.tmp.cleanup()

    def ctl(self, *args, stdin=None, check=True):
        p = subprocess.run([str(CTL), '-c', str(self.conf)] + list(args),
                           input=stdin, capture_output=True, text=True,
                           timeout=60)
        if check and p.returncode != 0:
            raise AssertionError('posternctl %s: rc=%d %s' %
                                 (' '.join(args), p.returncode, p.stderr))
        return p

    def tool(self, *args, check=True):
        p = subprocess.run([str(TOOL), '-c', str(self.conf)] + list(args),
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError('store_tool %s: rc=%d %s' %
                                 (' '.join(args), p.returncode, p.stderr))
        return p

    def tool_popen(self, *args):
        return subprocess.Popen([str(TOOL), '-c', str(self.conf)] +
                                list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def maildir(self, user, folder_dir=''):
        local, domain = user.split('@')
        d = self.data / 'mail' / domain / local
        return d / folder_dir if folder_dir else d

    def listing(self, user, folder='INBOX'):
        """[(uid, flags, file)] from the index."""
        out = self.tool('list', user, folder).stdout
        rows = []
        for line in out.splitlines():
            uid, flags, _modseq, f = line.split(' ', 3)
            rows.append((int(uid), int(flags), f))
        return rows

    def status(self, user, folder='INBOX'):
        v, n, e, m = self.tool('status', user, folder).stdout.split()
        return {'uidvalidity': int(v), 'uidnext': int(n), 'exists': int(e),
                'highestmodseq': int(m)}


def built():
    return CTL.exists() and TOOL.exists()


def skip_reason():
    return 'build/posternctl or build/tools/store_tool missing: run make all tools'


class BuiltTest(unittest.TestCase):
    """The programs the store tests drive exist (so this module is never
    an empty test file)."""

    def test_built(self):
        if not built():
            self.skipTest(skip_reason())
        self.assertTrue(os.access(CTL, os.X_OK))
        self.assertTrue(os.access(TOOL, os.X_OK))


if __name__ == '__main__':
    unittest.main()
