"""SMTP session engine transcripts (tests/proto/smtpd/*.chat).

Runs build/tools/smtpchat on every transcript with the client's bytes fed
whole, one byte at a time, and in random pieces. Unit-level: the engine
runs in memory with a fake glue; no sockets. Needs `make tools`.
"""
import subprocess
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
