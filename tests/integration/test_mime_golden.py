"""Golden files for the IMAP views: BODYSTRUCTURE and ENVELOPE of corpus
messages (tests/data/mime/golden/NAME.{bodystructure,envelope}.ref),
printed by build/tools/mimedump -b / -e and compared byte for byte.

After a deliberate change, regenerate with:
  for f in tests/data/mime/golden/*.bodystructure.ref; do ... mimedump -b ...
and review the diff by hand against RFC 3501 §7.4.2.
"""
import os
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TOOL = os.path.join(ROOT, 'build', 'tools', 'mimedump')
DATA = os.path.join(ROOT, 'tests', 'data', 'mime')
GOLDEN = os.path.join(DATA, 'golden')


class MimeGoldenTest(unittest.TestCase):

    def test_golden(self):
        refs = sorted(f for f in os.listdir(GOLDEN) if f.endswith('.ref'))
        self.assertGreaterEqual(len(refs), 10)
        for ref in refs:
            name, view, _ = ref.rsplit('.', 2)
            flag = {'bodystructure': '-b', 'envelope': '-e'}[view]
            with self.subTest(ref=ref):
                got = subprocess.run(
                    [TOOL, flag, os.path.join(DATA, name + '.eml')],
                    check=True, capture_output=True).stdout
                with open(os.path.join(GOLDEN, ref), 'rb') as f:
                    self.assertEqual(got, f.read())

    def test_sections(self):
        # RFC 3501 §6.4.5 section addressing on a forward.
        msg = os.path.join(DATA, '21-forward-rfc822.eml')

        def fetch(spec):
            return subprocess.run([TOOL, '-x', spec, msg], check=True,
                                  capture_output=True).stdout
        self.assertEqual(fetch('1'), b'See below.')
        self.assertEqual(fetch('2.1'), b'original text')
        self.assertTrue(fetch('2.HEADER').startswith(b'From: Carol'))
        self.assertTrue(fetch('2.HEADER').endswith(b'\n\n'))
        self.assertEqual(fetch('2.HEADER.FIELDS (SUBJECT)'),
                         b'Subject: Original\n\r\n')
        self.assertEqual(fetch('2.2.MIME').split(b'\n')[0],
                         b'Content-Type: application/zip; name=files.zip')
        self.assertEqual(fetch('2'), fetch('2.HEADER') + fetch('2.TEXT'))
        with open(msg, 'rb') as f:
            self.assertEqual(fetch(''), f.read())


if __name__ == '__main__':
    unittest.main()
