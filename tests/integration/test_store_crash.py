"""Writers killed with SIGKILL at random points while delivering into one
mailbox: every delivery that was acknowledged is there under the UID it
was given, no UID is used twice, and after a sync the index and the files
agree (a killed delivery may leave a copy nobody was told about: a
duplicate at worst, never a loss)."""
import os
import random
import re
import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_store_common import Env, built, skip_reason  # noqa: E402

USER = 'k@example.org'


@unittest.skipUnless(built(), skip_reason())
class CrashTest(unittest.TestCase):

    def setUp(self):
        self.env = Env()
        self.env.ctl('user', 'add', USER, stdin='pw\n')

    def tearDown(self):
        self.env.close()

    def test_kill_writers(self):
        env = self.env
        rng = random.Random(4)
        acked = {}
        for rnd in range(3):
            # more messages than a writer can finish before its kill,
            # even on a fast, idle machine
            procs = [env.tool_popen('deliver', 's@remote.test', USER, '100000',
                                    'r%dw%d' % (rnd, i), '2048')
                     for i in range(8)]
            for p in procs:
                time.sleep(rng.uniform(0.05, 0.3))
                p.send_signal(signal.SIGKILL)
            for p in procs:
                out, _err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, -signal.SIGKILL)
                for line in out.splitlines():
                    tag, _addr, uid = line.split()
                    acked[tag] = int(uid)
        self.assertGreater(len(acked), 0)
        self.assertEqual(len(set(acked.values())), len(acked))

        env.tool('sync', USER, 'INBOX')
        md = env.maildir(USER)
        rows = env.listing(USER)
        uids = [r[0] for r in rows]
        self.assertEqual(len(set(uids)), len(uids))
        indexed = {}
        for uid, _flags, f in rows:
            text = (md / f).read_bytes()
            tag = re.search(rb'^X-Seq: (\S+)\r$', text, re.M).group(1)
            indexed.setdefault(tag.decode(), []).append(uid)
        for tag, uid in acked.items():
            self.assertIn(uid, indexed.get(tag, []), tag)
        on_disk = set()
        for sub in ('new', 'cur'):
            on_disk |= {sub + '/' + n for n in os.listdir(md / sub)}
        self.assertEqual(on_disk, {f for _u, _fl, f in rows})
        # Deliveries go on with fresh, larger UIDs.
        st = env.status(USER)
        out = env.tool('deliver', 's@remote.test', USER, '3', 'after')
        new = [int(line.split()[2]) for line in out.stdout.splitlines()]
        self.assertEqual(new, list(range(st['uidnext'], st['uidnext'] + 3)))


if __name__ == '__main__':
    unittest.main()
