"""Bombs (issue 3): 100,000 parts, nesting 10,000 deep, a 10 MB header,
1 million addresses in To:, 10,000 RFC 2231 continuations; plus RFC 2047
text built to make a naive encoded-word scanner quadratic. Each must parse
without a crash, in memory under 4x its input, and in time linear in the
input (the full bomb against a quarter of it).
Drives build/tools/mimebomb, which reports time and peak RSS.
"""
import json
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TOOL = os.path.join(ROOT, 'build', 'tools', 'mimebomb')


def many_parts(n):
    return ('Content-Type: multipart/mixed; boundary=b\n\n' +
            '--b\nContent-Type: text/plain\n\nx\n' * n + '--b--\n')


def deep_multipart(n):
    return (''.join('Content-Type: multipart/mixed; boundary=%d\n\n--%d\n'
                    % (i, i) for i in range(n)) +
            ''.join('--%d--\n' % i for i in reversed(range(n))))


def deep_message(n):
    return 'Content-Type: message/rfc822\n\n' * n + 'body\n'


def big_header(n):
    # n/100 fields of 100 bytes, plus one folded field as large as the rest
    fields = ''.join('X-Filler-%07d: %s\n' % (i, 'a' * 80)
                     for i in range(n // 200))
    folded = 'Subject: s' + '\n a-long-folded-subject-line' * (n // 56)
    return fields + folded + '\nContent-Type: text/plain\n\nbody\n'


def many_addresses(n):
    return ', '.join('User %d <u%d@example.com>' % (i, i) for i in range(n))


def continuations(n):
    return ('Content-Type: multipart/mixed; boundary=b\n\n--b\n'
            'Content-Type: application/octet-stream\n'
            'Content-Disposition: attachment' +
            ''.join(";\n filename*%d*=%s%%41" % (i, "utf-8''" if i == 0 else '')
                    for i in reversed(range(n))) +
            '\n\ndata\n--b--\n')


def encoded_word_junk(n):
    # "=?x?q?a" has no "?=": each candidate word would scan to the end.
    return '=?x?q?a' * n + ' ' + '=?iso-8859-1?q?caf=E9?= x ' * (n // 10)


BOMBS = [
    # name, mode, generator, full size parameter
    ('100k-parts', 'tree', many_parts, 100000),
    ('10k-deep-multipart', 'tree', deep_multipart, 10000),
    ('10k-deep-message', 'tree', deep_message, 10000),
    ('10MB-header', 'tree', big_header, 10 * 1000 * 1000),
    ('10MB-header-incremental', 'hdr', big_header, 10 * 1000 * 1000),
    ('10MB-header-one-push', 'hdrall', big_header, 10 * 1000 * 1000),
    ('1MB-header-byte-pushes', 'hdrbyte', big_header, 1000 * 1000),
    ('1M-addresses', 'addr', many_addresses, 1000000),
    ('10k-rfc2231', 'tree', continuations, 10000),
    ('1MB-encoded-word-junk', 'text', encoded_word_junk, 150000),
]


class MimeBombTest(unittest.TestCase):

    def run_tool(self, mode, text):
        # Best of three runs: the time check is about growth, not noise
        # from other processes on the machine.
        best = None
        with tempfile.NamedTemporaryFile(suffix='.eml') as f:
            f.write(text.encode())
            f.flush()
            for _ in range(3):
                out = json.loads(subprocess.run(
                    [TOOL, mode, f.name], check=True, capture_output=True,
                    timeout=60).stdout)
                if best is None or out['seconds'] < best['seconds']:
                    best = out
        return best

    def test_bombs(self):
        for name, mode, gen, n in BOMBS:
            with self.subTest(bomb=name):
                full = self.run_tool(mode, gen(n))
                quarter = self.run_tool(mode, gen(n // 4))
                self.assertGreater(full['count'], 0)
                used_kb = full['peak_kb'] - full['base_kb']
                self.assertLess(used_kb * 1024, 4 * full['bytes'] + (1 << 20),
                                'memory: %s' % full)
                # Linear: 4x the input may cost at most ~8x the time
                # (noise allowance), never the 16x of a quadratic.
                self.assertLess(full['seconds'],
                                8 * quarter['seconds'] + 0.05,
                                'time: %s vs %s' % (full, quarter))
                self.assertLess(full['seconds'], 5.0)


if __name__ == '__main__':
    unittest.main()
