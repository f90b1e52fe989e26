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


def parse_sexp(data):
    """RFC 3501 §4 values: lists, NIL, numbers, quoted strings, literals."""
    pos = 0

    def value():
        nonlocal pos
        c = data[pos:pos + 1]
        if c == b'(':
            pos += 1
            items = []
            while data[pos:pos + 1] != b')':
                if items:
                    assert data[pos:pos + 1] in (b' ', b'('), data[pos:pos + 20]
                    if data[pos:pos + 1] == b' ':
                        pos += 1
                items.append(value())
            pos += 1
            return items
        if c == b'"':
            pos += 1
            out = bytearray()
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b'\\':
                    pos += 1
                assert data[pos:pos + 1] not in (b'', b'\r', b'\n')
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            return bytes(out)
        if c == b'{':
            end = data.index(b'}\r\n', pos)
            n = int(data[pos + 1:end])
            pos = end + 3 + n
            return data[end + 3:pos]
        if data.startswith(b'NIL', pos):
            pos += 3
            return None
        end = pos
        while data[end:end + 1].isdigit():
            end += 1
        assert end > pos, data[pos:pos + 20]
        n = int(data[pos:end])
        pos = end
        return n

    v = value()
    assert data[pos:] in (b'', b'\n'), data[pos:pos + 40]
    return v


def check_body(t, b, ext=True):
    """Checks the shape of a BODYSTRUCTURE (RFC 3501 §9 body)."""
    t.assertIsInstance(b, list)
    if isinstance(b[0], list):
        n = 0
        while isinstance(b[n], list):
            check_body(t, b[n], ext)
            n += 1
        t.assertGreater(n, 0)
        t.assertIsInstance(b[n], bytes)        # subtype
        if ext:
            t.assertEqual(len(b), n + 5)        # param dsp lang loc
        return
    t.assertIsInstance(b[0], bytes)
    t.assertIsInstance(b[1], bytes)
    t.assertTrue(b[2] is None or isinstance(b[2], list))
    t.assertIsInstance(b[5], bytes)             # encoding
    t.assertIsInstance(b[6], int)               # size
    rest = 7
    if b[0].lower() == b'text':
        t.assertIsInstance(b[7], int)
        rest = 8
    elif (b[0].lower(), b[1].lower()) == (b'message', b'rfc822') and \
            isinstance(b[7], list) and len(b[7]) == 10:
        check_body(t, b[8], ext)
        t.assertIsInstance(b[9], int)
        rest = 10
    if ext:
        t.assertEqual(len(b), rest + 4)         # md5 dsp lang loc


class MimeGoldenTest(unittest.TestCase):

    def test_every_message_views_parse(self):
        """BODYSTRUCTURE and ENVELOPE of every corpus message are valid
        RFC 3501 syntax with the right shape."""
        for name in sorted(f for f in os.listdir(DATA) if f.endswith('.eml')):
            with self.subTest(message=name):
                path = os.path.join(DATA, name)
                bs = subprocess.run([TOOL, '-b', path], check=True,
                                    capture_output=True).stdout
                check_body(self, parse_sexp(bs))
                env = parse_sexp(subprocess.run(
                    [TOOL, '-e', path], check=True,
                    capture_output=True).stdout)
                self.assertEqual(len(env), 10)
                for addrs in env[2:8]:
                    self.assertTrue(addrs is None or all(
                        isinstance(a, list) and len(a) == 4 for a in addrs))

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
