"""IMAP SEARCH: every key, AND/OR/NOT nesting, sequence and UID sets,
dates, sizes, flags, keywords, and HEADER/BODY/TEXT matched
case-insensitively after decoding RFC 2047, base64, quoted-printable and
charsets."""
import imaplib
import unittest

from imap_util import login, message, start

QP_LATIN1 = (b"From: x@example.net\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n"
             b"Date: Tue, 1 Mar 2022 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: text/plain; charset=iso-8859-1\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
             b"Sch=F6ne STRASSE und Caf=E9\r\n")
B64 = (b"From: y@example.net\r\nTo: Zed <zed@example.com>\r\n"
       b"Cc: cc@example.com\r\nSubject: encoded body\r\n"
       b"Date: Wed, 2 Mar 2022 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\n"
       b"U2VjcmV0IE5lZWRsZSBpbiBiYXNlNjQ=\r\n--b--\r\n")


class SearchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()
        m = login(cls.srv)
        m.append("INBOX", r"(\Seen)", '"01-Jan-2021 12:00:00 +0000"',
                 message("alpha report", "plain words here\r\n"))
        m.append("INBOX", r"(\Flagged custom)",
                 '"15-Jun-2021 12:00:00 +0000"',
                 message("beta", "x" * 5000 + "\r\n", frm="Boss <boss@corp>"))
        m.append("INBOX", None, '"01-Mar-2022 12:00:00 +0000"', QP_LATIN1)
        m.append("INBOX", r"(\Deleted \Answered)",
                 '"02-Mar-2022 12:00:00 +0000"', B64)
        m.logout()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def setUp(self):
        self.m = login(self.srv)
        self.m.select("INBOX")

    def tearDown(self):
        self.m.logout()

    def s(self, *keys, uid=False):
        if uid:
            typ, data = self.m.uid("SEARCH", *keys)
        else:
            typ, data = self.m.search(None, *keys)
        self.assertEqual(typ, "OK")
        return data[0].decode().split()

    def test_flags(self):
        self.assertEqual(self.s("ALL"), ["1", "2", "3", "4"])
        self.assertEqual(self.s("SEEN"), ["1"])
        self.assertEqual(self.s("UNSEEN"), ["2", "3", "4"])
        self.assertEqual(self.s("FLAGGED"), ["2"])
        self.assertEqual(self.s("UNFLAGGED"), ["1", "3", "4"])
        self.assertEqual(self.s("DELETED"), ["4"])
        self.assertEqual(self.s("UNDELETED"), ["1", "2", "3"])
        self.assertEqual(self.s("ANSWERED"), ["4"])
        self.assertEqual(self.s("UNANSWERED"), ["1", "2", "3"])
        self.assertEqual(self.s("DRAFT"), [])
        self.assertEqual(self.s("UNDRAFT"), ["1", "2", "3", "4"])
        self.assertEqual(self.s("KEYWORD", "custom"), ["2"])
        self.assertEqual(self.s("UNKEYWORD", "custom"), ["1", "3", "4"])
        # \Recent belongs to the first read-write session only
        recent = self.s("RECENT")
        self.assertEqual(sorted(recent + self.s("OLD")), ["1", "2", "3", "4"])
        self.assertEqual(self.s("NEW"), [x for x in recent if x != "1"])

    def test_sets_and_logic(self):
        self.assertEqual(self.s("2:3"), ["2", "3"])
        self.assertEqual(self.s("*"), ["4"])
        self.assertEqual(self.s("UID", "1,4"), ["1", "4"])
        self.assertEqual(self.s("UID", "3:*", uid=True), ["3", "4"])
        self.assertEqual(self.s("OR", "SEEN", "FLAGGED"), ["1", "2"])
        self.assertEqual(self.s("NOT", "SEEN"), ["2", "3", "4"])
        self.assertEqual(self.s("(OR SEEN FLAGGED)", "NOT", "1"), ["2"])
        self.assertEqual(self.s("NOT", "(OR SEEN (FLAGGED 2))"), ["3", "4"])
        self.assertEqual(self.s("OR", "OR", "1", "2", "NOT", "UNDELETED"),
                         ["1", "2", "4"])

    def test_dates_sizes(self):
        self.assertEqual(self.s("BEFORE", "1-Mar-2022"), ["1", "2"])
        self.assertEqual(self.s("ON", "15-Jun-2021"), ["2"])
        self.assertEqual(self.s("SINCE", "1-Mar-2022"), ["3", "4"])
        self.assertEqual(self.s("SENTON", "2-Mar-2022"), ["4"])
        self.assertEqual(self.s("SENTBEFORE", "1-Jan-2000"), ["1", "2"])
        self.assertEqual(self.s("SENTSINCE", "1-Mar-2022"), ["3", "4"])
        self.assertEqual(self.s("LARGER", "4000"), ["2"])
        self.assertEqual(self.s("SMALLER", "4000"), ["1", "3", "4"])

    def test_text_keys_decoded(self):
        self.assertEqual(self.s("SUBJECT", "ALPHA"), ["1"])
        self.assertEqual(self.s("FROM", "boss"), ["2"])
        self.assertEqual(self.s("TO", "zed@"), ["4"])
        self.assertEqual(self.s("CC", "cc@example"), ["4"])
        self.assertEqual(self.s("BCC", "x"), [])
        self.assertEqual(self.s("HEADER", "Message-ID", "beta@"), ["2"])
        self.assertEqual(self.s("HEADER", "Cc", '""'), ["4"])
        self.assertEqual(self.s("BODY", '"PLAIN WORDS"'), ["1"])
        self.assertEqual(self.s("BODY", '"secret needle"'), ["4"])
        self.assertEqual(self.s("TEXT", "encoded"), ["4"])
        self.assertEqual(self.s("TEXT", "words"), ["1"])
        # RFC 2047 ISO-8859-1 subject and QP Latin-1 body, any case
        self.m.literal = "grüße".encode()
        self.assertEqual(self.s("CHARSET", "UTF-8", "SUBJECT"), ["3"])
        self.m.literal = "SCHÖNE strasse".encode()
        self.assertEqual(self.s("CHARSET", "UTF-8", "BODY"), ["3"])
        self.m.literal = "CAFÉ".encode()
        self.assertEqual(self.s("CHARSET", "UTF-8", "TEXT"), ["3"])

    def test_bad_searches(self):
        for keys in (("FROB",), ("BEFORE", "32-Foo-2020"), ("OR", "SEEN"),
                     ("LARGER", "x"), ("(SEEN",)):
            with self.assertRaises(imaplib.IMAP4.error):
                self.m.search(None, *keys)
        typ, data = self.m.search("KOI8-R", "ALL")
        self.assertEqual(typ, "NO")


if __name__ == "__main__":
    unittest.main()
