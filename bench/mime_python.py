#!/usr/bin/env python3
"""Python's email (policy=default) on the bench corpus: full parse (walk
every part) and base64 decoding of every base64 leaf, in MB/s."""
import base64
import email
import email.policy
import os
import sys
import time

d = sys.argv[1]
msgs = [open(os.path.join(d, f), 'rb').read() for f in sorted(os.listdir(d))
        if not f.startswith('.')]
total = sum(len(m) for m in msgs)
t0 = time.perf_counter()
bodies = []
for m in msgs:
    msg = email.message_from_bytes(m, policy=email.policy.default)
    for p in msg.walk():
        if not p.is_multipart() and p.get('content-transfer-encoding', '').lower() == 'base64':
            bodies.append(p.get_payload(decode=False).encode('ascii'))
parse = time.perf_counter() - t0
b64in = sum(len(b) for b in bodies)
t0 = time.perf_counter()
for b in bodies:
    base64.b64decode(b)
dec = time.perf_counter() - t0
print('messages %d bytes %d' % (len(msgs), total))
print('parse_mbs %.1f' % (total / parse / 1e6))
print('b64_mbs %.1f' % (b64in / dec / 1e6))
