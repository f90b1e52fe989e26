"""SMTP session engine: transcripts and real clients.

SmtpdTranscripts runs build/tools/smtpchat on every tests/proto/smtpd/*.chat
transcript with the client's bytes fed whole, one byte at a time, and in
random pieces (unit-level: the engine in memory with a fake glue).

RealClients drives the engine through build/tools/smtpd-serve, a minimal
loopback glue, with Python's smtplib, raw sockets, curl and swaks (the last
two are skipped when missing). Needs `make tools`.
"""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'build' / 'tools' / 'smtpchat'
CHATS = sorted((ROOT / 'tests' / 'proto' / 'smtpd').glob('*.chat'))
MODES = {
    'whole': [],
    'bytewise': ['-b'],
    'random1': ['-r', '1'],
    'random2': ['-r', '4242'],
}


class SmtpdTranscripts(unittest.TestCase):
    def setUp(self):
        if not TOOL.exists():
            self.skipTest(f'{TOOL} missing: run make tools')

    def test_there_are_transcripts(self):
        self.assertGreater(len(CHATS), 30)

    def test_transcripts(self):
        for chat in CHATS:
            for mode, flags in MODES.items():
                with self.subTest(chat=chat.name, mode=mode):
                    p = subprocess.run([str(TOOL), *flags, str(chat)],
                                       capture_output=True, text=True,
                                       timeout=60)
                    self.assertEqual(p.returncode, 0, p.stderr + p.stdout)

    def test_runner_catches_a_wrong_reply(self):
        """The runner must fail a transcript that expects the wrong thing."""
        bad = ROOT / 'build' / 'tools' / 'smtpchat-selftest.chat'
        bad.write_text('S: 220 mx.example.org ESMTP Postern\n'
                       'C: NOOP\n'
                       'S: 250 2.0.0 Not what the engine says\n')
        p = subprocess.run([str(TOOL), str(bad)], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn('FAIL', p.stderr)
        bad.write_text('S: 220 mx.example.org ESMTP Postern\n'
                       'C: NOOP\n')
        p = subprocess.run([str(TOOL), str(bad)], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 1, 'unmatched reply must fail')


if __name__ == '__main__':
    unittest.main()


# ---- real clients against the engine (build/tools/smtpd-serve) ----

SERVE = ROOT / 'build' / 'tools' / 'smtpd-serve'


class Server:
    """build/tools/smtpd-serve on a free loopback port, in a temp dir."""

    def __init__(self, *flags):
        self.dir = Path(tempfile.mkdtemp(prefix='smtpd-serve-'))
        self.out = self.dir / 'out'
        self.out.mkdir()
        portfile = self.dir / 'port'
        self.log = open(self.dir / 'log', 'w')
        self.proc = subprocess.Popen(
            [str(SERVE), *flags, str(portfile), str(self.out)],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while not portfile.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError('smtpd-serve did not start')
            time.sleep(0.02)
        self.port = int(portfile.read_text())

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def messages(self):
        return sorted(self.out.glob('*.eml'))

    def raw(self):
        s = socket.create_connection(('127.0.0.1', self.port), timeout=10)
        return s


def recv_until(sock, needle, limit=1 << 16):
    data = b''
    while needle not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class RealClients(unittest.TestCase):
    def setUp(self):
        if not SERVE.exists():
            self.skipTest(f'{SERVE} missing: run make tools')
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()

    def server(self, *flags):
        s = Server(*flags)
        self.servers.append(s)
        return s

    def test_smtplib_features_and_delivery(self):
        srv = self.server()
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            code, _ = c.ehlo('client.example')
            self.assertEqual(code, 250)
            for ext in ('pipelining', 'size', '8bitmime', 'smtputf8',
                        'chunking', 'dsn', 'enhancedstatuscodes'):
                self.assertTrue(c.has_extn(ext), ext)
            self.assertFalse(c.has_extn('auth'))      # no TLS, no plaintext
            self.assertFalse(c.has_extn('starttls'))  # not available here
            self.assertEqual(c.esmtp_features['size'], '1048576')
            refused = c.sendmail('a@example.net',
                                 ['alice@example.org', 'bob@example.org'],
                                 b'Subject: t\r\n\r\n.dot line\r\n..two\r\n'
                                 b'.\r\nend\r\n')
            self.assertEqual(refused, {})
            self.assertEqual(c.verify('alice')[0], 252)
            self.assertEqual(c.noop()[0], 250)
            self.assertEqual(c.rset()[0], 250)
            self.assertIn(b'2.0.0', c.help())
        msgs = srv.messages()
        self.assertEqual(len(msgs), 1)
        body = msgs[0].read_bytes()
        self.assertTrue(body.startswith(b'Received: from client.example '
                                        b'([127.0.0.1])\r\n\tby '
                                        b'mx.example.org (Postern) with '
                                        b'ESMTP id M1.'), body)
        self.assertTrue(body.endswith(b'Subject: t\r\n\r\n.dot line\r\n'
                                      b'..two\r\n.\r\nend\r\n'), body)
        env = msgs[0].with_suffix('.env').read_text()
        self.assertEqual(env, 'from a@example.net\nto alice@example.org\n'
                              'to bob@example.org\n')

    def test_smtplib_many_messages_one_session(self):
        srv = self.server()
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            for i in range(30):
                c.sendmail('a@example.net', ['alice@example.org'],
                           f'Subject: {i}\r\n\r\nbody {i}\r\n')
        self.assertEqual(len(srv.messages()), 30)

    def test_smtplib_recipient_errors(self):
        srv = self.server()
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
                c.sendmail('a@example.net', ['x@elsewhere.example'], 'x')
            code, text = cm.exception.recipients['x@elsewhere.example']
            self.assertEqual((code, text[:5]), (554, b'5.7.1'))
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
                c.sendmail('a@example.net', ['nobody@example.org'], 'x')
            code, text = cm.exception.recipients['nobody@example.org']
            self.assertEqual((code, text[:5]), (550, b'5.1.1'))
            # one good recipient is enough
            refused = c.sendmail('a@example.net', ['nobody@example.org',
                                                   'alice@example.org'], 'x')
            self.assertEqual(list(refused), ['nobody@example.org'])
        self.assertEqual(len(srv.messages()), 1)

    def test_smtplib_relay_networks(self):
        srv = self.server('-R')
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            self.assertEqual(c.sendmail('a@example.net',
                                        ['x@elsewhere.example'], 'x'), {})

    def test_smtplib_size_limit(self):
        srv = self.server('-s', '100')
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            c.ehlo()
            self.assertEqual(c.esmtp_features['size'], '100')
            with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
                c.sendmail('a@example.net', ['alice@example.org'], 'x' * 200)
            self.assertEqual(cm.exception.smtp_code, 552)
        self.assertEqual(srv.messages(), [])

    def test_smtplib_auth_and_submission(self):
        srv = self.server('-m', 'submission', '-P')
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            c.ehlo()
            self.assertEqual(c.esmtp_features['auth'].split(),
                             ['PLAIN', 'LOGIN'])
            with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
                c.sendmail('alice@example.org', ['x@elsewhere.example'], 'x')
            self.assertEqual(cm.exception.smtp_code, 530)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                c.login('alice', 'wrong')
            self.assertEqual(cm.exception.smtp_code, 535)
            c.login('alice', 'secret')
            self.assertEqual(c.sendmail('alice@example.org',
                                        ['x@elsewhere.example'],
                                        'Subject: s\r\n\r\nhi\r\n'), {})
        body = srv.messages()[0].read_bytes()
        self.assertIn(b'with ESMTPA id', body)

    def test_smtplib_auth_login(self):
        srv = self.server('-P')
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            c.ehlo()
            c.user, c.password = 'alice', 'secret'
            code, _ = c.auth('LOGIN', c.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235)

    def test_smtplib_smtputf8(self):
        srv = self.server()
        with smtplib.SMTP('127.0.0.1', srv.port, timeout=10) as c:
            c.ehlo()
            refused = c.sendmail('jörg@exämple.net', ['alice@example.org'],
                                 'Subject: grüße\r\n\r\n€\r\n'.encode(),
                                 mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
            self.assertEqual(refused, {})
        body = srv.messages()[0].read_bytes()
        self.assertIn(b'with UTF8SMTP id', body)
        self.assertTrue(body.endswith('€\r\n'.encode()))

    def test_raw_smuggling_is_refused(self):
        srv = self.server()
        s = srv.raw()
        recv_until(s, b'\r\n')
        s.sendall(b'EHLO x\r\n')
        recv_until(s, b'250 ENHANCEDSTATUSCODES\r\n')
        s.sendall(b'MAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>'
                  b'\r\nDATA\r\n')
        self.assertIn(b'354 ', recv_until(s, b'354 '))
        s.sendall(b'Subject: a\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.net>'
                  b'\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nsmuggled\r\n'
                  b'.\r\n')
        reply = recv_until(s, b'\r\n')
        self.assertTrue(reply.startswith(b'554 5.6.0'), reply)
        s.sendall(b'QUIT\r\n')
        self.assertTrue(recv_until(s, b'\r\n').startswith(b'221'))
        s.close()
        self.assertEqual(srv.messages(), [])

    def test_raw_pipelining_without_ehlo(self):
        srv = self.server()
        s = srv.raw()
        recv_until(s, b'\r\n')
        s.sendall(b'HELO x\r\n')
        self.assertEqual(recv_until(s, b'\r\n'), b'250 mx.example.org\r\n')
        s.sendall(b'MAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>'
                  b'\r\n')
        reply = recv_until(s, b'\r\n')
        self.assertTrue(reply.startswith(b'554 5.5.0'), reply)
        self.assertEqual(s.recv(100), b'')   # closed
        s.close()

    def test_raw_input_before_greeting(self):
        srv = self.server('-g')
        s = srv.raw()
        s.sendall(b'EHLO x\r\n')
        reply = recv_until(s, b'\r\n')
        self.assertTrue(reply.startswith(b'554 5.5.0'), reply)
        s.close()

    def test_raw_bdat(self):
        srv = self.server()
        s = srv.raw()
        recv_until(s, b'\r\n')
        s.sendall(b'EHLO x\r\n')
        recv_until(s, b'250 ENHANCEDSTATUSCODES\r\n')
        s.sendall(b'MAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>'
                  b'\r\nBDAT 12\r\nSubject: b\r\n'
                  b'BDAT 8 LAST\r\n\r\nbody\r\n')
        data = recv_until(s, b'queued as')
        while not data.endswith(b'\r\n'):
            data += s.recv(4096)
        self.assertIn(b'250 2.0.0 12 octets received\r\n', data)
        self.assertIn(b'250 2.0.0 Ok: queued as', data)
        s.close()
        body = srv.messages()[0].read_bytes()
        self.assertTrue(body.endswith(b'Subject: b\r\n\r\nbody\r\n'))

    def test_curl(self):
        if shutil.which('curl') is None:
            self.skipTest('curl missing')
        srv = self.server()
        with tempfile.NamedTemporaryFile('wb', delete=False) as f:
            f.write(b'Subject: curl\r\n\r\nhello from curl\r\n')
        try:
            p = subprocess.run(['curl', '-sS', f'smtp://127.0.0.1:{srv.port}',
                                '--mail-from', 'a@example.net',
                                '--mail-rcpt', 'bob@example.org',
                                '--upload-file', f.name],
                               capture_output=True, timeout=30)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(srv.messages()[0].read_bytes().endswith(
            b'hello from curl\r\n'))

    def test_swaks_pipelining_and_auth(self):
        if shutil.which('swaks') is None:
            self.skipTest('swaks missing')
        srv = self.server('-P')
        p = subprocess.run(['swaks', '--server', f'127.0.0.1:{srv.port}',
                            '--from', 'a@example.net',
                            '--to', 'alice@example.org,bob@example.org',
                            '--auth', 'PLAIN', '--auth-user', 'alice',
                            '--auth-password', 'secret', '--pipeline'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('235 2.7.0', p.stdout)
        self.assertEqual(len(srv.messages()), 1)
