"""Random differential test: messages composed by Python's email package
(nested forwards, alternatives, attachments with non-ASCII and long names,
every transfer encoding), parsed by both Python and build/tools/mimedump;
part tree, types, file names, decoded bytes and subject must agree.
Seeded, so a failure reproduces; the corpus test (test_mime_diff.py) holds
the hand-written and broken shapes.
"""
import email
import email.policy
import os
import random
import sys
import tempfile
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_mime_diff as diff  # noqa: E402

WORDS = 'alpha beta gamma café naïve 日本 données x y z'.split()
NAMES = ['a.bin', 'résumé.pdf', 'x y.txt', '日本語の名前.dat',
         'very long name ' * 5 + '.bin', 'quote"d.txt']


class Maker:

    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def text(self, n):
        return ' '.join(self.rnd.choice(WORDS) for _ in range(n)) + '\n'

    def message(self, depth=0):
        rnd = self.rnd
        m = EmailMessage()
        m['Subject'] = self.text(rnd.randint(1, 8)).strip()
        m['From'] = 'A <a@example.com>'
        cte = rnd.choice([None, '8bit', 'quoted-printable', 'base64'])
        if cte is None:
            m.set_content(self.text(rnd.randint(1, 60)))
        else:
            m.set_content(self.text(rnd.randint(1, 60)), cte=cte)
        if rnd.random() < 0.5:
            m.add_alternative('<p>' + self.text(10) + '</p>', subtype='html')
        for _ in range(rnd.randint(0, 3)):
            k = rnd.random()
            if k < 0.4:
                m.add_attachment(rnd.randbytes(rnd.randint(0, 3000)),
                                 maintype='application',
                                 subtype='octet-stream',
                                 filename=rnd.choice(NAMES))
            elif k < 0.7:
                m.add_attachment(self.text(20), filename=rnd.choice(NAMES))
            elif depth < 2:
                m.add_attachment(self.message(depth + 1))
        return m


class MimeRandomTest(unittest.TestCase):

    def test_random_messages(self):
        maker = Maker(20261127)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'm.eml')
            for i in range(150):
                policy = maker.rnd.choice([email.policy.default,
                                           email.policy.SMTP])
                raw = maker.message().as_bytes(policy=policy)
                with open(path, 'wb') as f:
                    f.write(raw)
                ours, theirs = diff.our_view(path), diff.python_view(raw)
                with self.subTest(message=i):
                    self.assertEqual(ours['subject'], theirs['subject'])
                    self.assertEqual(ours['body'], theirs['body'])
                    key = ('depth', 'leaf', 'type', 'filename', 'size', 'fnv')
                    self.assertEqual(
                        [tuple(p.get(k) for k in key) for p in ours['parts']],
                        [tuple(p.get(k) for k in key) for p in theirs['parts']])


if __name__ == '__main__':
    unittest.main()
