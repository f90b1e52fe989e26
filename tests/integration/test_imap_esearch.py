"""ESEARCH (RFC 4731): SEARCH and UID SEARCH with RETURN (MIN MAX ALL
COUNT), advertised in CAPABILITY; the result is one ESEARCH response
carrying the command's tag, with only the options asked for, and
MIN/MAX/ALL left out when nothing matched."""
import imaplib
import re
import unittest

from imap_util import login, message, start


class ESearchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start(services=["imap"])
        m = login(cls.srv)
        m.create("ES")
        for i in range(6):
            m.append("ES", r"(\Seen)" if i in (0, 2) else None, None,
                     message("es %d" % i, "needle %d\r\n" % (i % 2)))
        m.select("ES")
        m.uid("STORE", "2", "+FLAGS", r"(\Deleted)")
        m.expunge()     # UIDs 1 3 4 5 6 are sequence numbers 1 to 5
        m.logout()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def setUp(self):
        self.m = login(self.srv)
        self.m.select("ES")

    def tearDown(self):
        self.m.logout()

    def es(self, *args, uid=False):
        """Runs the command; the ESEARCH response without its TAG part
        (after checking the tag is this command's)."""
        m = self.m
        m.untagged_responses.pop("ESEARCH", None)
        tag = m._new_tag().decode()
        name = "UID SEARCH" if uid else "SEARCH"
        m.send(("%s %s %s\r\n" % (tag, name, " ".join(args))).encode())
        lines = []
        while True:
            line = m.readline().decode()
            if line.startswith(tag + " "):
                break
            lines.append(line.rstrip("\r\n"))
        self.assertTrue(line.startswith(tag + " OK"), line)
        es = [x for x in lines if x.startswith("* ESEARCH ")]
        self.assertEqual(len(es), 1, lines)
        self.assertNotIn("* SEARCH", "\n".join(lines))
        mt = re.match(r'\* ESEARCH \(TAG "([^"]+)"\)(.*)$', es[0])
        self.assertIsNotNone(mt, es[0])
        self.assertEqual(mt.group(1), tag)
        return mt.group(2).strip()

    def test_capability(self):
        typ, data = self.m.capability()
        self.assertIn(b"ESEARCH", data[0].split())

    def test_return_options(self):
        self.assertEqual(self.es("RETURN (MIN MAX COUNT ALL) UNSEEN"),
                         "MIN 3 MAX 5 ALL 3:5 COUNT 3")
        self.assertEqual(self.es("RETURN (COUNT) ALL"), "COUNT 5")
        self.assertEqual(self.es("RETURN (MAX) SEEN"), "MAX 2")
        self.assertEqual(self.es("RETURN (MIN) 3:*"), "MIN 3")

    def test_uid_and_empty_list_means_all(self):
        self.assertEqual(self.es("RETURN () ALL", uid=True),
                         "UID ALL 1,3:6")
        self.assertEqual(self.es("RETURN (MIN MAX) BODY \"needle 1\"",
                                 uid=True), "UID MIN 4 MAX 6")

    def test_no_match(self):
        self.assertEqual(self.es("RETURN (MIN MAX ALL COUNT) KEYWORD nope"),
                         "COUNT 0")
        self.assertEqual(self.es("RETURN (ALL) KEYWORD nope"), "")

    def test_with_charset_and_modseq(self):
        self.assertEqual(self.es("RETURN (COUNT) CHARSET UTF-8 BODY needle"),
                         "COUNT 5")
        out = self.es("RETURN (MAX) MODSEQ 1")
        self.assertRegex(out, r"^MAX 5 MODSEQ \d+$")

    def test_bad_return(self):
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.search(None, "RETURN", "(BOGUS)", "ALL")
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.search(None, "RETURN", "MIN", "ALL")

    def test_plain_search_unchanged(self):
        typ, data = self.m.search(None, "UNSEEN")
        self.assertEqual(data[0].split(), [b"3", b"4", b"5"])
        self.assertNotIn("ESEARCH", self.m.untagged_responses)


if __name__ == "__main__":
    unittest.main()
