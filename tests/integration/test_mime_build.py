"""Round trip: messages composed by our builder (build/tools/mimebuild)
are read by Python's email package (policy=default), which must give back
the same text, attachment bytes, file names, subject and addresses. Also
checks the wire rules: CRLF only and no line over 998 octets.
"""
import email
import email.policy
import os
import random
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TOOL = os.path.join(ROOT, 'build', 'tools', 'mimebuild')

rnd = random.Random(7)
CASES = [
    # name, subject, text, [(filename, bytes, type or None)]
    ('ascii', 'Hello', 'Hi Bob,\nsee you.\n', []),
    ('utf8-text', 'Grüße aus Köln — 日本語', 'Grüße,\nça va? 日本語\n', []),
    ('cjk-text', '件名', '日本語の本文です。\n' * 20, []),
    ('long-lines', 'x' * 300, ('word ' * 400 + '\n') * 3, []),
    ('no-final-newline', 'nf', 'no newline at the end', []),
    ('attachments', 'Report', 'Attached.\n', [
        ('report.pdf', b'%PDF-1.4\n' + bytes(rnd.randrange(256) for _ in range(3000)), None),
        ('résumé été 2025 — final version with a long name.bin',
         bytes(rnd.randrange(256) for _ in range(5000)), 'application/octet-stream'),
        ('notes.txt', b'line one\nline two\n', None),
        ('crlf.txt', b'line one\r\nline two\r\n', 'text/plain'),
        ('empty.dat', b'', 'application/octet-stream'),
        ('has "quotes".txt', b'q', 'text/plain'),
        ('image.png', b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10'
         b'\x00\x00\x00\x10\x08\x06\x00\x00\x00' + bytes(200), None),
    ]),
    ('text-with-boundary-lookalike', 'b',
     '--=_postern_0000\nlooks like a boundary\n', [('a.bin', b'--=_postern_\r\n', None)]),
]


class MimeBuildTest(unittest.TestCase):

    def build(self, tmp, subject, text, atts, extra=()):
        body = os.path.join(tmp, 'body.txt')
        with open(body, 'wb') as f:
            f.write(text.encode('utf-8'))
        args = [TOOL, *extra, '-F', 'José Núñez:jose@example.test',
                '-T', 'Mary "M" Smith:mary@example.test', '-T', 'bob@example.test',
                '-S', subject, '-B', body]
        for i, (name, data, ctype) in enumerate(atts):
            path = os.path.join(tmp, 'att%d' % i)
            with open(path, 'wb') as f:
                f.write(data)
            spec = '%s=%s' % (path, name)
            if ctype:
                spec += ':' + ctype
            args += ['-A', spec]
        return subprocess.run(args, check=True, capture_output=True).stdout

    def test_html_alternative(self):
        html = '<p>Gr\u00fc\u00dfe <b>bold</b></p>\n'
        for atts in ([], [('x.bin', bytes(range(256)), 'application/octet-stream')]):
            with self.subTest(attachments=len(atts)), \
                    tempfile.TemporaryDirectory() as tmp:
                hpath = os.path.join(tmp, 'body.html')
                with open(hpath, 'w', encoding='utf-8') as f:
                    f.write(html)
                raw = self.build(tmp, 'html', 'plain text\n', atts,
                                 ('-H', hpath))
                self.check_wire(raw)
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                self.assertEqual(
                    msg.get_body(('plain',)).get_content().replace('\r\n', '\n'),
                    'plain text\n')
                self.assertEqual(
                    msg.get_body(('html',)).get_content().replace('\r\n', '\n'),
                    html)
                alt = [p for p in msg.walk()
                       if p.get_content_type() == 'multipart/alternative']
                self.assertEqual(len(alt), 1)
                found = list(msg.iter_attachments())
                self.assertEqual([p.get_payload(decode=True) for p in found],
                                 [a[1] for a in atts])

    def check_wire(self, raw):
        for line in raw.split(b'\r\n'):
            self.assertNotIn(b'\n', line)
            self.assertNotIn(b'\r', line)
            self.assertLessEqual(len(line), 998)
        self.assertTrue(raw.endswith(b'\r\n'))

    def test_round_trip(self):
        for flags in ((), ('-8',)):
            for name, subject, text, atts in CASES:
                with self.subTest(case=name, flags=flags), \
                        tempfile.TemporaryDirectory() as tmp:
                    raw = self.build(tmp, subject, text, atts, flags)
                    self.check_wire(raw)
                    msg = email.message_from_bytes(raw, policy=email.policy.default)
                    self.assertEqual(str(msg['subject']), subject)
                    self.assertEqual(msg['from'].addresses[0].display_name, 'José Núñez')
                    self.assertEqual(msg['from'].addresses[0].addr_spec, 'jose@example.test')
                    self.assertEqual([a.display_name for a in msg['to'].addresses],
                                     ['Mary "M" Smith', ''])
                    self.assertEqual(msg['mime-version'], '1.0')
                    self.assertIsNotNone(msg['message-id'])
                    self.assertIsNotNone(msg['date'].datetime)
                    body = msg.get_body(preferencelist=('plain',))
                    got = body.get_content().replace('\r\n', '\n')
                    want = text if text.endswith('\n') or atts else text + '\n'
                    if body['content-transfer-encoding'] == 'quoted-printable':
                        want = text
                    self.assertEqual(got, want)
                    found = list(msg.iter_attachments())
                    self.assertEqual(len(found), len(atts))
                    for part, (fname, data, ctype) in zip(found, atts):
                        self.assertEqual(part.get_filename(), fname)
                        self.assertEqual(part.get_payload(decode=True), data)
                        if ctype:
                            self.assertEqual(part.get_content_type(), ctype)
                    types = [p.get_content_type() for p in found]
                    if name == 'attachments':
                        self.assertEqual(types[0], 'application/pdf')
                        self.assertEqual(types[6], 'image/png')
                        self.assertTrue(types[2].startswith('text/'))


if __name__ == '__main__':
    unittest.main()
