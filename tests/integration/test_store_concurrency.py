"""Many processes on one mailbox (issue 4 acceptance): 20 parallel
deliveries while another process expunges and flags; then the index is
deleted and rebuilt with UIDVALIDITY semantics kept; mutt reads the
result."""
import os
import re
import shutil
import subprocess
import time
import unittest

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_store_common import Env, built, skip_reason

USER = 'u@example.org'
WRITERS = 20
PER_WRITER = 25
SEED = 50

INFO = {'D': 16, 'F': 4, 'P': 32, 'R': 2, 'S': 1, 'T': 8}


def info_flags(name):
    if ':2,' not in name:
        return 0
    return sum(INFO.get(c, 0) for c in name.split(':2,', 1)[1])


@unittest.skipUnless(built(), skip_reason())
class ConcurrencyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        cls.env.ctl('user', 'add', USER, stdin='pw\n')
        cls.env.tool('deliver', 's@remote.test', USER, str(SEED), 'seed')
        churn = cls.env.tool_popen('churn', USER, 'INBOX', str(SEED), '3')
        writers = [cls.env.tool_popen('deliver', 's@remote.test', USER,
                                      str(PER_WRITER), 'p%d' % i)
                   for i in range(WRITERS)]
        cls.outputs = []
        for w in writers:
            out, err = w.communicate(timeout=300)
            cls.outputs.append((w.returncode, out, err))
        out, err = churn.communicate(timeout=300)
        cls.churn = (churn.returncode, out, err)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def files(self):
        md = self.env.maildir(USER)
        found = {}
        for sub in ('new', 'cur'):
            for name in os.listdir(md / sub):
                text = (md / sub / name).read_bytes()
                m = re.search(rb'^X-Seq: (\S+)\r$', text, re.M)
                self.assertIsNotNone(m, name)
                found[m.group(1).decode()] = (sub, name)
        return found

    def test_1_everything_delivered(self):
        for rc, out, err in self.outputs:
            self.assertEqual(rc, 0, err)
        self.assertEqual(self.churn[0], 0, self.churn[2])
        self.assertIn('expunged %d' % SEED, self.churn[1])
        rows = self.env.listing(USER)
        uids = [r[0] for r in rows]
        self.assertEqual(len(uids), WRITERS * PER_WRITER)
        self.assertEqual(len(set(uids)), len(uids), 'a UID handed out twice')
        # Expunged seed UIDs are never reused.
        self.assertTrue(min(uids) > SEED)
        st = self.env.status(USER)
        self.assertEqual(st['exists'], WRITERS * PER_WRITER)
        self.assertEqual(st['uidnext'], SEED + WRITERS * PER_WRITER + 1)
        tags = self.files()
        want = {'p%d-%d' % (w, i) for w in range(WRITERS)
                for i in range(PER_WRITER)}
        self.assertEqual(set(tags), want)

    def test_2_uids_increase_per_writer(self):
        for w, (rc, out, _err) in enumerate(self.outputs):
            uids = [int(line.split()[2]) for line in out.splitlines()]
            self.assertEqual(len(uids), PER_WRITER)
            self.assertEqual(uids, sorted(uids), 'writer %d' % w)

    def test_3_index_matches_files(self):
        md = self.env.maildir(USER)
        for uid, flags, f in self.env.listing(USER):
            self.assertTrue((md / f).exists(), f)
            self.assertIn(',U=%d' % uid, f)
            self.assertEqual(info_flags(f), flags, f)
        self.assertEqual(os.listdir(md / 'tmp'), [])

    def test_4_reindex_keeps_uids(self):
        env = self.env
        before = env.status(USER)
        rows = env.listing(USER)
        md = env.maildir(USER)
        for name in ('postern-index.db', 'postern-index.db-wal',
                     'postern-index.db-shm'):
            if (md / name).exists():
                (md / name).unlink()
        p = env.ctl('mailbox', 'reindex', USER)
        self.assertIn('INBOX: %d messages, UIDVALIDITY %d (kept)'
                      % (len(rows), before['uidvalidity']), p.stdout)
        after = env.status(USER)
        self.assertEqual(after['uidvalidity'], before['uidvalidity'])
        self.assertEqual(after['uidnext'], before['uidnext'])
        self.assertGreater(after['highestmodseq'], before['highestmodseq'])
        self.assertEqual([(u, f) for u, f, _ in env.listing(USER)],
                         [(u, f) for u, f, _ in rows])

        # Strip one file's UID tag: the UIDs can no longer be trusted.
        uid, _flags, f = rows[10]
        sub, name = f.split('/', 1)
        os.rename(md / f, md / sub / name.replace(',U=%d' % uid, ''))
        p = env.ctl('mailbox', 'reindex', USER)
        self.assertIn('new: UIDs renumbered', p.stdout)
        renum = env.status(USER)
        self.assertGreater(renum['uidvalidity'], before['uidvalidity'])
        self.assertEqual(renum['exists'], len(rows))
        self.assertEqual([r[0] for r in env.listing(USER)],
                         list(range(1, len(rows) + 1)))
        self.assertEqual(len(self.files()), len(rows))

    def test_5_unknown_user(self):
        p = self.env.ctl('mailbox', 'reindex', 'ghost@example.org',
                         check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('no such user', p.stderr)

    @unittest.skipUnless(shutil.which('mutt'),
                         'mutt not installed (Debian package mutt)')
    def test_6_mutt_reads_maildir(self):
        import pty
        import select
        md = self.env.maildir(USER)
        out = self.env.dir / 'mutt-out'
        cmd = ['mutt', '-n', '-F', '/dev/null', '-R', '-f', str(md),
               '-e', 'set pipe_split=yes wait_key=no pipe_decode=no',
               '-e', 'push "<tag-pattern>~A<enter><tag-prefix>'
                     '<pipe-message>cat >> %s<enter><exit>"' % out]
        pid, fd = pty.fork()
        if pid == 0:
            os.environ['TERM'] = 'vt100'
            os.execvp(cmd[0], cmd)
        screen = b''
        deadline = time.time() + 60
        done = False
        while time.time() < deadline and not done:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b''
                screen += data
            if os.waitpid(pid, os.WNOHANG)[0]:
                done = True
        if not done:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
        self.assertTrue(done, 'mutt did not finish')
        n = WRITERS * PER_WRITER
        self.assertIn(b'Msgs:%d' % n, screen)
        piped = out.read_bytes()
        self.assertEqual(len(re.findall(rb'^X-Seq: ', piped, re.M)), n)


if __name__ == '__main__':
    unittest.main()
