#!/usr/bin/env python3
"""Generates the MIME bench corpus: DIR SIZE_MB. Real-world shapes (text
mail, alternative+attachments, forwards, newsletters) in proportions that
make attachments dominate the bytes, as on a real mail server. Reused when
it already exists with the right size."""
import base64
import os
import random
import sys

out, size_mb = sys.argv[1], int(sys.argv[2])
target = size_mb * 1000 * 1000
stamp = os.path.join(out, '.complete-%d' % size_mb)
if os.path.exists(stamp):
    sys.exit(0)
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.unlink(os.path.join(out, f))
rnd = random.Random(42)
words = ('the of and to in is you that it he was for on are as with his they '
         'at be this have from or one had by word but not what all were we '
         'when your can said there use an each which she do how their if').split()


def text(n):
    lines, line = [], []
    for _ in range(n):
        line.append(rnd.choice(words))
        if len(line) > 11:
            lines.append(' '.join(line))
            line = []
    lines.append(' '.join(line))
    return '\n'.join(lines) + '\n'


def b64(data):
    s = base64.b64encode(data).decode()
    return '\n'.join(s[i:i + 76] for i in range(0, len(s), 76))


def hdr(i, subject, ctype):
    return ('From: Sender %d <s%d@example.com>\nTo: r@example.org\n'
            'Subject: %s\nDate: Mon, 3 Mar 2025 10:00:00 +0100\n'
            'Message-ID: <%d@example.com>\nMIME-Version: 1.0\n'
            'Content-Type: %s\n\n' % (i, i, subject, i, ctype))


total, i = 0, 0
while total < target:
    kind = rnd.random()
    if kind < 0.5:
        m = hdr(i, 'plain %d' % i, 'text/plain; charset=us-ascii') + text(rnd.randint(50, 800))
    elif kind < 0.8:
        att = rnd.randbytes(rnd.randint(20000, 400000))
        m = (hdr(i, 'report %d' % i, 'multipart/mixed; boundary="b%d"' % i) +
             '--b%d\nContent-Type: multipart/alternative; boundary="a%d"\n\n'
             '--a%d\nContent-Type: text/plain\n\n%s--a%d\nContent-Type: text/html\n\n<p>%s</p>\n--a%d--\n'
             '--b%d\nContent-Type: application/pdf; name="r.pdf"\nContent-Transfer-Encoding: base64\n'
             'Content-Disposition: attachment; filename="r.pdf"\n\n%s\n--b%d--\n'
             % (i, i, i, text(200), i, text(200), i, i, b64(att), i))
    elif kind < 0.9:
        inner = hdr(i, 'orig', 'text/plain') + text(300)
        m = (hdr(i, 'Fwd: %d' % i, 'multipart/mixed; boundary="f%d"' % i) +
             '--f%d\nContent-Type: text/plain\n\nsee below\n--f%d\nContent-Type: message/rfc822\n\n%s\n--f%d--\n'
             % (i, i, inner, i))
    else:
        m = (hdr(i, 'news %d' % i, 'text/html; charset=utf-8') +
             '<html>' + text(3000).replace('\n', '<br>\n') + '</html>\n')
    data = m.replace('\n', '\r\n').encode()
    with open(os.path.join(out, '%06d.eml' % i), 'wb') as f:
        f.write(data)
    total += len(data)
    i += 1
open(stamp, 'w').close()
