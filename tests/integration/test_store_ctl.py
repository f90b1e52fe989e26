"""posternctl user/alias as an admin types them (shared/INTERFACE.md), and
what the SMTP server and the queue then see: recipient lookups and alias
expansion (nested lists, remote members, duplicates, loops, aliases(5)
import with :include: files)."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_store_common import Env, built, skip_reason  # noqa: E402


@unittest.skipUnless(built(), skip_reason())
class UserTest(unittest.TestCase):

    def setUp(self):
        self.env = Env()

    def tearDown(self):
        self.env.close()

    def test_user_lifecycle(self):
        env = self.env
        env.ctl('user', 'add', 'bob@Example.ORG', stdin='s3cret\n')
        env.ctl('user', 'add', 'alice', stdin='pw\n')
        p = env.ctl('user', 'add', 'bob@example.org', stdin='x\n',
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('already exists', p.stderr)
        p = env.ctl('user', 'add', 'eve@elsewhere.test', stdin='x\n',
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('not one of the local domains', p.stderr)
        p = env.ctl('user', 'add', 'eve@example.org', stdin='',
                    check=False)
        self.assertEqual(p.returncode, 2)
        p = env.ctl('user', 'add', 'eve@example.org', 'pw', check=False)
        self.assertEqual(p.returncode, 2)  # never a password in argv
        self.assertEqual(env.ctl('user', 'list').stdout,
                         'alice@example.org\nbob@example.org\n')
        # The mail tree with the special-use folders exists.
        md = env.maildir('bob@example.org')
        for d in ('cur', 'new', 'tmp', '.Sent', '.Drafts', '.Trash',
                  '.Junk', '.Archive'):
            self.assertTrue((md / d).is_dir(), d)
        # The stored hash is yescrypt, never the password.
        db = b''.join(f.read_bytes() for f in env.data.glob('accounts.db*'))
        self.assertTrue(b'$y$' in db, 'no yescrypt hash stored')
        self.assertFalse(b's3cret' in db, 'password stored in clear')
        env.ctl('user', 'passwd', 'bob@example.org', stdin='new\n')
        p = env.ctl('user', 'passwd', 'zed@example.org', stdin='x\n',
                    check=False)
        self.assertEqual(p.returncode, 1)
        env.ctl('user', 'del', 'bob@example.org')
        p = env.ctl('user', 'del', 'bob@example.org', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertFalse(md.exists())
        self.assertEqual(env.ctl('user', 'list').stdout,
                         'alice@example.org\n')
        p = env.ctl('user', 'frobnicate', check=False)
        self.assertEqual(p.returncode, 2)


@unittest.skipUnless(built(), skip_reason())
class AliasTest(unittest.TestCase):

    def setUp(self):
        self.env = Env()
        for u in ('bob@example.org', 'alice@example.org',
                  'carol@example.net', 'postmaster@example.org'):
            self.env.ctl('user', 'add', u, stdin='pw\n')

    def tearDown(self):
        self.env.close()

    def expand(self, addr):
        return self.env.tool('expand', addr).stdout.splitlines()

    def test_add_list_del(self):
        env = self.env
        env.ctl('alias', 'add', 'team', 'bob', 'alice@example.org',
                'x@remote.test', 'bob')
        env.ctl('alias', 'add', 'sales@example.net', 'team@example.org')
        self.assertEqual(env.ctl('alias', 'list').stdout,
                         'sales@example.net: team@example.org\n'
                         'team: alice@example.org, bob, x@remote.test\n')
        p = env.ctl('alias', 'add', 'bad', '|/bin/sh', check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('pipe targets', p.stderr)
        p = env.ctl('alias', 'add', 'bad', '/etc/passwd', check=False)
        self.assertIn('file targets', p.stderr)
        p = env.ctl('alias', 'add', 'onlyname', check=False)
        self.assertEqual(p.returncode, 2)
        # many-to-one: two names reach bob's one mailbox
        env.ctl('alias', 'add', 'robert', 'bob')
        self.assertEqual(self.expand('robert@example.org'),
                         ['local bob@example.org',
                          'unknown=0 loops=0 truncated=0'])
        self.assertEqual(self.expand('sales@example.net'), [
            'local bob@example.org', 'local alice@example.org',
            'remote x@remote.test', 'unknown=0 loops=0 truncated=0'])
        # `alias list` output is an aliases(5) file `alias import` reads.
        listing = env.ctl('alias', 'list').stdout
        (env.dir / 'dump').write_text(listing)
        env.ctl('alias', 'import', str(env.dir / 'dump'))
        self.assertEqual(env.ctl('alias', 'list').stdout, listing)
        env.ctl('alias', 'del', 'team')
        p = env.ctl('alias', 'del', 'team', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(env.tool('rcpt', 'team@example.org').stdout,
                         'unknown\n')

    def test_import_and_expand(self):
        env = self.env
        (env.dir / 'lists').mkdir()
        (env.dir / 'lists' / 'devs').write_text(
            '# developers\nbob\nalice, carol@example.net\n'
            'far@remote.test\n:include: more\n')
        (env.dir / 'lists' / 'more').write_text('bob\nnear@remote.test\n')
        (env.dir / 'aliases').write_text(
            '# /etc/aliases style\n'
            'root: postmaster\n'
            'devs: :include:lists/devs\n'
            'all: devs, ops,\n'
            '\tbob,  far@remote.test\n'
            'ops: alice, ghost\n'
            'ping: pong\n'
            'pong: ping, carol@example.net\n')
        p = env.ctl('alias', 'import', str(env.dir / 'aliases'))
        self.assertIn('6 aliases imported', p.stdout)
        self.assertEqual(self.expand('all@example.org'), [
            'local bob@example.org', 'local alice@example.org',
            'local carol@example.net', 'remote far@remote.test',
            'remote near@remote.test', 'unknown=1 loops=0 truncated=0'])
        self.assertEqual(self.expand('ping@example.org'), [
            'local carol@example.net', 'unknown=0 loops=1 truncated=0'])
        self.assertEqual(self.expand('root@example.net'), [
            'unknown=1 loops=0 truncated=0'])
        self.assertEqual(self.expand('root@example.org'), [
            'local postmaster@example.org', 'unknown=0 loops=0 truncated=0'])
        for addr, kind in (('devs@example.org', 'alias'),
                           ('devs+x@example.org', 'alias'),
                           ('bob+folder@example.org', 'user'),
                           ('BOB@example.org', 'unknown'),
                           ('Postmaster', 'user'),
                           ('nobody@example.org', 'unknown'),
                           ('bob@remote.test', 'unknown')):
            self.assertEqual(env.tool('rcpt', addr).stdout.strip(), kind,
                             addr)
        # A refused line names FILE:LINE and changes nothing.
        (env.dir / 'bad').write_text('ok: bob\nprog: "|/usr/bin/vacation"\n')
        p = env.ctl('alias', 'import', str(env.dir / 'bad'), check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('bad:2:', p.stderr)
        self.assertEqual(env.tool('rcpt', 'ok@example.org').stdout,
                         'unknown\n')

    def test_delivery_through_alias(self):
        env = self.env
        env.ctl('alias', 'add', 'list', 'bob', 'alice', 'bob',
                'x@remote.test')
        out = env.tool('deliver', 's@remote.test', 'list@example.org', '1',
                       'L').stdout.splitlines()
        self.assertEqual(out, ['L-0 bob@example.org 1',
                               'L-0 alice@example.org 1',
                               'L-0 x@remote.test -'])
        p = env.tool('deliver', 's@remote.test', 'nobody@example.org', '1',
                     'N', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('5.1.1', p.stderr)
        msg = next((env.maildir('alice@example.org') / 'new').iterdir())
        head = msg.read_bytes().split(b'\r\n')[:2]
        self.assertEqual(head, [b'Return-Path: <s@remote.test>',
                                b'Delivered-To: alice@example.org'])


if __name__ == '__main__':
    unittest.main()
