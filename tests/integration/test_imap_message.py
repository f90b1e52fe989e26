"""IMAP message commands: APPEND (flags, internal date, literals,
APPENDUID), FETCH items and BODY[section]<partial> with PEEK, STORE
variants, COPY (COPYUID), MOVE, EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT,
UID forms, CONDSTORE, UIDs stable across restarts and never reused."""
import imaplib
import re
import unittest

from imap_util import PASS, USER, Raw, login, message, start

MULTI = (b"From: Ann <ann@example.net>\r\nTo: bob@example.org\r\n"
         b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
         b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         b"first part\r\n--XX\r\nContent-Type: text/html\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n"
         b"--XX--\r\n")


def fetch_dict(data):
    """{seq: joined response bytes} from imaplib FETCH data."""
    out = {}
    for item in data:
        if isinstance(item, tuple):
            raw = item[0] + b"{}" + item[1]
        elif item == b")":
            continue
        else:
            raw = item
        seq = int(raw.split(b" ", 1)[0])
        out[seq] = out.get(seq, b"") + raw
    return out


class MessageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.tmp.cleanup()

    def setUp(self):
        self.m = login(self.srv)
        self.box = self.id().rsplit(".", 1)[1][:30]
        self.m.create(self.box)

    def tearDown(self):
        try:
            self.m.logout()
        except imaplib.IMAP4.abort:
            pass

    def test_append_flags_date_appenduid(self):
        typ, data = self.m.append(self.box, r"(\Flagged $Label1)",
                                  '"14-Jul-2020 10:11:12 +0200"',
                                  message("dated"))
        self.assertEqual(typ, "OK")
        m = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
        self.assertIsNotNone(m)
        self.m.select(self.box)
        typ, data = self.m.fetch("1", "(FLAGS INTERNALDATE UID)")
        resp = data[0]
        self.assertIn(b"\\Flagged", resp)
        self.assertIn(b"$Label1", resp)
        self.assertIn(b'INTERNALDATE "14-Jul-2020 08:11:12 +0000"', resp)
        self.assertIn(b"UID " + m.group(2), resp)
        self.assertEqual(self.m.append("NoSuchBox", None, None,
                                       message())[0], "NO")
        self.assertIn(b"TRYCREATE", self.m.untagged_responses.get(
            "TRYCREATE", [b"TRYCREATE"])[0] or b"TRYCREATE")

    def test_fetch_items(self):
        self.m.append(self.box, None, None, MULTI)
        self.m.select(self.box)
        typ, data = self.m.fetch(
            "1", "(FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY UID)")
        r = fetch_dict(data)[1]
        self.assertIn(b"RFC822.SIZE %d" % len(MULTI), r)
        self.assertIn(b'"ann" "example.net"', r)
        self.assertIn(b'BODYSTRUCTURE (("text" "plain"', r)
        self.assertIn(b'"mixed"', r)
        # sections, partial, MIME headers
        typ, data = self.m.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] "
                                 "BODY.PEEK[HEADER.FIELDS (Subject)] "
                                 "BODY.PEEK[]<0.4> BODY.PEEK[TEXT])")
        parts = [d for d in data if isinstance(d, tuple)]
        self.assertEqual(parts[0][1], b"first part")
        self.assertIn(b"Content-Type: text/html", parts[1][1])
        self.assertEqual(parts[2][1],
                         b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n")
        self.assertEqual(parts[3][1], b"From")
        self.assertIn(b"BODY[]<0>", parts[3][0])
        self.assertTrue(parts[4][1].startswith(b"--XX"))
        # PEEK left \Seen alone; RFC822 and BODY[] set it
        self.assertNotIn(b"\\Seen", self.m.fetch("1", "FLAGS")[1][0])
        typ, data = self.m.fetch("1", "(RFC822.HEADER)")
        self.assertNotIn(b"\\Seen", self.m.fetch("1", "FLAGS")[1][0])
        typ, data = self.m.fetch("1", "(BODY[])")
        self.assertEqual(data[0][1], MULTI)
        self.assertIn(b"\\Seen", self.m.fetch("1", "FLAGS")[1][0])
        typ, data = self.m.fetch("1", "(RFC822)")
        self.assertEqual(data[0][1], MULTI)
        typ, data = self.m.fetch("1", "(RFC822.TEXT)")
        self.assertTrue(data[0][1].startswith(b"--XX"))
        typ, data = self.m.fetch("1", "ALL")
        self.assertEqual(typ, "OK")
        typ, data = self.m.fetch("1", "FAST")
        self.assertEqual(typ, "OK")
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.fetch("1", "(BODY[1.MIMEX])")
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.fetch("x", "FLAGS")

    def test_binary(self):
        self.m.append(self.box, None, None, MULTI)
        self.m.select(self.box)
        typ, data = self.m.fetch("1", "(BINARY.PEEK[2] BINARY.SIZE[2] "
                                 "BINARY.PEEK[1]<0.5>)")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], b"<b>hi</b>")
        self.assertIn(b"BINARY.SIZE[2] 9", data[1][0])
        self.assertEqual(data[1][1], b"first")
        typ, data = self.m.fetch("1", "(BINARY.PEEK[9])")
        self.assertIn(b"BINARY[9] NIL", data[0])
        with self.assertRaises(imaplib.IMAP4.error):
            self.m.fetch("1", "(BINARY[1.MIME])")
        # BINARY without PEEK sets \Seen
        self.m.fetch("1", "(BINARY[1])")
        self.assertIn(b"\\Seen", self.m.fetch("1", "FLAGS")[1][0])
        # APPEND takes a literal8 (RFC 3516 §4.4)
        r = Raw(self.srv.port("imap"))
        r.line()
        r.send(b'a LOGIN "%s" "%s"\r\n' % (USER.encode(), PASS.encode()))
        r.until(b"a")
        body = b"Subject: nul\r\n\r\nx\0y\r\n"
        r.send(b"b APPEND %s ~{%d}\r\n" % (self.box.encode(), len(body)))
        self.assertTrue(r.line().startswith(b"+"))
        r.send(body + b"\r\n")
        self.assertIn(b"b OK", r.until(b"b")[-1])
        r.send(b"c SELECT %s\r\nd FETCH 2 BINARY.PEEK[1]\r\n" %
               self.box.encode())
        out = b"".join(r.until(b"d"))
        self.assertIn(b"BINARY[1] ~{5}\r\nx\0y\r\n", out)
        r.close()

    def test_store_variants(self):
        for i in range(3):
            self.m.append(self.box, None, None, message("s%d" % i))
        self.m.select(self.box)
        typ, data = self.m.store("1:2", "+FLAGS", r"(\Seen \Flagged)")
        self.assertEqual(len(data), 2)
        self.assertIn(b"\\Flagged", data[0])
        typ, data = self.m.store("1", "-FLAGS", r"(\Flagged)")
        self.assertNotIn(b"\\Flagged", data[0])
        typ, data = self.m.store("2", "FLAGS", r"(\Answered kw1)")
        self.assertIn(b"\\Answered", data[0])
        self.assertIn(b"kw1", data[0])
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = self.m.store("3", "+FLAGS.SILENT", r"(\Deleted)")
        self.assertEqual(data, [None])
        self.assertIn(b"\\Deleted", self.m.fetch("3", "FLAGS")[1][0])
        typ, data = self.m.uid("STORE", "1:*", "+FLAGS", r"(\Draft)")
        self.assertEqual(len(data), 3)
        self.assertIn(b"UID", data[0])

    def test_copy_move_copyuid(self):
        self.m.create(self.box + "-dst")
        for i in range(3):
            self.m.append(self.box, None, None, message("c%d" % i))
        self.m.select(self.box)
        typ, data = self.m.copy("1:2", self.box + "-dst")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2 1:2\]")
        self.assertEqual(self.m.copy("1", "NoSuch")[0], "NO")
        typ, data = self.m._simple_command("MOVE", "3",
                                           self.box + "-dst")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.m.untagged_responses.pop("EXPUNGE"), [b"3"])
        typ, data = self.m.uid("MOVE", "1", self.box + "-dst")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.m.select(self.box)[1][0], b"1")
        self.assertEqual(self.m.select(self.box + "-dst")[1][0], b"4")

    def test_expunge_and_uid_expunge(self):
        for i in range(4):
            self.m.append(self.box, None, None, message("e%d" % i))
        self.m.select(self.box)
        self.m.store("1,3", "+FLAGS", r"\Deleted")
        typ, data = self.m.expunge()
        self.assertEqual(data, [b"3", b"1"] if data[0] == b"3" else
                         [b"1", b"2"])
        # UIDs 2, 4 remain; UID EXPUNGE only touches the named ones
        self.m.store("1:2", "+FLAGS", r"\Deleted")
        typ, data = self.m.uid("EXPUNGE", "4")
        self.assertEqual(typ, "OK")
        typ, data = self.m.uid("SEARCH", "ALL")
        self.assertEqual(data[0], b"2")
        # CLOSE expunges silently; UNSELECT does not
        self.m.append(self.box, r"(\Deleted)", None, message("z"))
        self.m.select(self.box)
        self.m.unselect()
        self.assertEqual(self.m.select(self.box)[1][0], b"2")
        self.m.close()
        self.assertEqual(self.m.select(self.box)[1][0], b"0")
        # UIDs are never reused
        typ, data = self.m.append(self.box, None, None, message("new"))
        self.assertRegex(data[0], rb"APPENDUID \d+ 6\]")

    def test_uid_fetch_and_star(self):
        for i in range(3):
            self.m.append(self.box, None, None, message("u%d" % i))
        self.m.select(self.box)
        typ, data = self.m.uid("FETCH", "2:*", "(FLAGS)")
        self.assertEqual(len(data), 2)
        self.assertTrue(all(b"UID" in d for d in data))
        typ, data = self.m.uid("FETCH", "99:*", "(FLAGS)")
        self.assertEqual(len(data), 1)  # "*" is the highest UID
        typ, data = self.m.fetch("*", "(UID)")
        self.assertIn(b"UID 3", data[0])

    def test_condstore(self):
        self.m.append(self.box, None, None, message("cs"))
        self.m.enable("CONDSTORE")
        typ, data = self.m.select(self.box)
        self.assertIn("HIGHESTMODSEQ", self.m.untagged_responses)
        typ, data = self.m.fetch("1", "(MODSEQ)")
        ms = int(re.search(rb"MODSEQ \((\d+)\)", data[0]).group(1))
        typ, data = self.m._simple_command(
            "STORE", "1", "(UNCHANGEDSINCE %d)" % (ms - 1), "+FLAGS",
            r"(\Seen)")
        self.assertIn(b"MODIFIED 1", self.m.untagged_responses.get(
            "MODIFIED", [b""])[0] and b"MODIFIED 1" or data[0])
        typ, data = self.m._simple_command(
            "STORE", "1", "(UNCHANGEDSINCE %d)" % ms, "+FLAGS", r"(\Seen)")
        self.assertEqual(typ, "OK")
        typ, data = self.m._simple_command("FETCH", "1:*", "(FLAGS)",
                                           "(CHANGEDSINCE %d)" % ms)
        self.assertIn(b"\\Seen", self.m.untagged_responses["FETCH"][-1])
        typ, data = self.m.search(None, "MODSEQ", str(ms + 1))
        self.assertRegex(data[0], rb"^1 \(MODSEQ \d+\)$")


class RestartTest(unittest.TestCase):
    def test_uids_stable_across_restart(self):
        srv = start()
        try:
            m = login(srv)
            for i in range(3):
                m.append("INBOX", None, None, message("r%d" % i))
            m.select("INBOX")
            m.store("2", "+FLAGS", r"\Deleted")
            m.expunge()
            uv = m.untagged_responses.get("UIDVALIDITY")
            m.select("INBOX")
            uv = m.untagged_responses["UIDVALIDITY"][0]
            before = m.uid("SEARCH", "ALL")[1][0]
            m.logout()
            srv.stop()
            srv.start()
            m = login(srv)
            m.select("INBOX")
            self.assertEqual(m.untagged_responses["UIDVALIDITY"][0], uv)
            self.assertEqual(m.uid("SEARCH", "ALL")[1][0], before)
            self.assertEqual(before, b"1 3")
            typ, data = m.append("INBOX", None, None, message("after"))
            self.assertRegex(data[0], rb"APPENDUID \d+ 4\]")
            m.logout()
        finally:
            srv.stop()
            srv.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
