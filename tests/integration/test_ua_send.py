"""postern send / flush / outbox against our posternd (submission with
AUTH); what arrived is checked with Python's email package."""
import email
import email.policy
import os
import unittest

from harness import Postern, free_port
from mailutil import wait_messages
from uautil import UA


def server():
    srv = Postern(extra={"domains": "example.org"},
                  services=["smtp", "submission", "submissions"])
    srv.ctl("user", "add", "alice@example.org", input="alicepw\n")
    srv.ctl("user", "add", "bob@example.org", input="bobpw\n")
    srv.ctl("user", "add", "carol@example.org", input="carolpw\n")
    return srv.start()


class SendTest(unittest.TestCase):
    def setUp(self):
        self.srv = server()
        self.ua = UA(password="alicepw")
        self.ua.write_config(
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            f"user = alice@example.org\npassword_file = {self.ua.pwfile}\n"
            "name = Alice Liddell\n")

    def tearDown(self):
        self.ua.cleanup()
        self.assertEqual(self.srv.stop(), 0)
        self.srv.tmp.cleanup()

    def parse(self, raw):
        return email.message_from_bytes(raw, policy=email.policy.default)

    def test_send_with_attachments_byte_exact(self):
        att1 = self.ua.home / "blob.bin"
        att1.write_bytes(bytes(range(256)) * 300)
        att2 = self.ua.home / "r\u00e9sum\u00e9 notes.txt"
        att2.write_bytes("na\u00efve caf\u00e9\n".encode() * 50)
        subject = "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 a long subject " * 3
        body = "Hello Bob,\n\nd\u00e9j\u00e0 vu \u2603\n" + "x" * 2000 + "\n.\n..dots\n"
        p = self.ua.run("send", "--to", "Bob <bob@example.org>",
                        "--cc", "carol@example.org", "--subject", subject,
                        "--attach", att1, "--attach", att2, input=body, check=0)
        self.assertIn("sent to 2 recipients", p.out)
        for who in ("bob@example.org", "carol@example.org"):
            msgs = wait_messages(self.srv, who, 1)
            self.assertEqual(len(msgs), 1, who)
        raw = wait_messages(self.srv, "bob@example.org", 1)[0]
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
        m = self.parse(raw)
        self.assertEqual(str(m["Subject"]), subject)
        self.assertEqual(m["From"].addresses[0].addr_spec, "alice@example.org")
        self.assertEqual(m["From"].addresses[0].display_name, "Alice Liddell")
        self.assertEqual(m["To"].addresses[0].addr_spec, "bob@example.org")
        self.assertEqual(m["Cc"].addresses[0].addr_spec, "carol@example.org")
        self.assertIsNotNone(m["Message-ID"])
        self.assertIsNotNone(m["Date"])
        text = m.get_body(("plain",)).get_content()
        self.assertEqual(text.replace("\r\n", "\n"), body)
        atts = list(m.iter_attachments())
        self.assertEqual([a.get_filename() for a in atts],
                         ["blob.bin", "r\u00e9sum\u00e9 notes.txt"])
        self.assertEqual(atts[0].get_content(), att1.read_bytes())
        self.assertEqual(atts[1].get_payload(decode=True), att2.read_bytes())
        # and the UA reads it back from posternd's Maildir
        md = self.srv.dir / "data" / "mail" / "example.org" / "bob"
        p = self.ua.run("list", "--maildir", md, check=0)
        f = p.out.rstrip("\n").split("\t")
        self.assertEqual(f[:2], ["1", "N--"])
        self.assertEqual(f[3], "Alice Liddell")
        self.assertEqual(f[4], subject.replace("\t", " "))
        p = self.ua.run("read", "1", "--maildir", md, check=0)
        self.assertIn("Subject: " + subject, p.out)
        self.assertIn(body, p.out)
        # libmagic picks the attachment's type
        self.assertRegex(p.out, r"  2 +\S+/\S+ +\d+  blob.bin")
        self.assertRegex(p.out, r"  3 +text/plain +\d+  r\u00e9sum\u00e9 notes.txt")
        out = self.ua.home / "out.bin"
        self.ua.run("save", "1", "2", out, "--maildir", md, check=0)
        self.assertEqual(out.read_bytes(), att1.read_bytes())
        self.ua.run("save", "1", "3", out, "--maildir", md, check=0)
        self.assertEqual(out.read_bytes(), att2.read_bytes())

    def test_bcc_not_in_header(self):
        self.ua.run("send", "--to", "bob@example.org", "--bcc",
                    "carol@example.org", "--subject", "secret", input="hi\n",
                    check=0)
        got = wait_messages(self.srv, "carol@example.org", 1)
        self.assertTrue(got)
        m = self.parse(got[-1])
        self.assertIsNone(m["Bcc"])
        self.assertNotIn(b"carol@example.org", got[-1].split(b"\r\n\r\n")[0]
                         .replace(b"Delivered-To: carol@example.org", b""))

    def test_wrong_password_is_an_error_not_queued(self):
        self.ua.pwfile.write_text("wrong\n")
        p = self.ua.run("send", "--to", "bob@example.org", "--subject", "x",
                        input="x\n", check=2)
        self.assertIn("not sent", p.err)
        self.assertEqual(self.ua.outbox(), [])

    def test_refused_recipient(self):
        # every recipient refused: an error, nothing queued
        p = self.ua.run("send", "--to", "nobody@example.org", "--subject",
                        "x", input="x\n", check=2)
        self.assertIn("not sent", p.err)
        self.assertIn("<nobody@example.org>: 5", p.err)
        self.assertEqual(self.ua.outbox(), [])
        # one of two refused: the other gets it once, the command says who
        # did not, exit 2, and nothing is queued to be sent again
        p = self.ua.run("send", "--to", "bob@example.org", "--to",
                        "nobody@example.org", "--subject", "half", input="x\n",
                        check=2)
        self.assertIn("sent only in part", p.err)
        self.assertIn("1 of 2 recipients", p.err)
        self.assertIn("<nobody@example.org>: 5", p.err)
        self.assertNotIn("bob@example.org>", p.err)
        self.assertEqual(self.ua.outbox(), [])
        got = wait_messages(self.srv, "bob@example.org", 1)
        self.assertEqual(len(got), 1)
        self.assertIn(b"Subject: half", got[0])

    def test_implicit_tls_submission(self):
        ca = self.srv.dir / "data" / "tls" / "cert.pem"
        p = self.ua.run("--smtp", f"127.0.0.1:{self.srv.port('submissions')}",
                        "--tls", "--ca-file", ca, "send", "--to",
                        "bob@example.org", "--subject", "over tls",
                        input="x\n", check=0)
        self.assertIn("sent to 1 recipient: 250", p.out)
        got = wait_messages(self.srv, "bob@example.org", 1)
        self.assertIn(b"Subject: over tls", got[0])

    def test_outbox_then_flush(self):
        dead = free_port()
        p = self.ua.run("--smtp", f"127.0.0.1:{dead}", "send", "--to",
                        "bob@example.org", "--subject", "from the outbox",
                        input="kept while the server was down\n", check=0)
        self.assertIn("queued", p.out)
        self.assertEqual(len(self.ua.outbox()), 1)
        p = self.ua.run("outbox", check=0)
        self.assertTrue(p.out.startswith("1 message in "), p.out)
        f = p.out.splitlines()[1].split("\t")
        self.assertEqual(f[0], self.ua.outbox()[0].name)
        self.assertEqual(f[1:3], ["alice@example.org", "bob@example.org"])
        self.assertGreater(int(f[3]), 0)
        p = self.ua.run("--smtp", f"127.0.0.1:{dead}", "flush", check=2)
        self.assertIn("kept ", p.out)
        self.assertEqual(len(self.ua.outbox()), 1)
        before = len(wait_messages(self.srv, "bob@example.org", 0, timeout=0))
        p = self.ua.run("flush", check=0)
        self.assertIn("1 sent, 0 left", p.out)
        self.assertEqual(self.ua.outbox(), [])
        msgs = wait_messages(self.srv, "bob@example.org", before + 1)
        self.assertIn(b"kept while the server was down", msgs[-1])
        self.ua.run("flush", check=1)

    def test_starttls_verified_with_ca_file(self):
        ca = self.srv.dir / "data" / "tls" / "cert.pem"
        p = self.ua.run("--starttls", "send", "--to", "bob@example.org",
                        "--subject", "tls", input="x\n", check=2)
        self.assertIn("certificate", p.err)
        self.assertEqual(self.ua.outbox(), [])
        self.ua.run("--starttls", "--insecure", "send", "--to",
                    "bob@example.org", "--subject", "tls", input="x\n", check=0)
        self.ua.run("--tls", "--insecure", "--smtp",
                    f"127.0.0.1:{self.srv.port('submissions')}", "send",
                    "--to", "bob@example.org", "--subject", "tls", input="x\n",
                    check=0)
        self.assertTrue(ca.exists())

    def test_accounts_sections(self):
        pw2 = self.ua.home / "pw2"
        pw2.write_text("bobpw\n")
        self.ua.write_config(
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            "default_account = alice\n"
            "[account alice]\n"
            f"user = alice@example.org\npassword_file = {self.ua.pwfile}\n"
            "[account bob]\n"
            f"user = bob@example.org\npassword_file = pw2\n")
        # password_file is relative to the config's folder
        (self.ua.home / ".config" / "postern" / "pw2").write_text("bobpw\n")
        self.ua.run("send", "--to", "carol@example.org", "--subject", "a",
                    input="from alice\n", check=0)
        self.ua.run("--account", "bob", "send", "--to", "carol@example.org",
                    "--subject", "b", input="from bob\n", check=0)
        msgs = wait_messages(self.srv, "carol@example.org", 2)
        senders = sorted(self.parse(m)["From"].addresses[0].addr_spec
                         for m in msgs)
        self.assertEqual(senders, ["alice@example.org", "bob@example.org"])
        p = self.ua.run("--account", "nobody", "outbox", check=2)
        self.assertIn("no account nobody", p.err)
        self.ua.write_config("smtp = x\nbogus = 1\n")
        p = self.ua.run("outbox", check=2)
        self.assertIn("config:2: bogus: unknown key", p.err)

    def test_password_command(self):
        self.ua.write_config(
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            "user = alice@example.org\npassword_command = echo alicepw\n")
        self.ua.run("send", "--to", "bob@example.org", "--subject", "cmd",
                    input="x\n", check=0)
        self.ua.write_config(
            f"smtp = 127.0.0.1:{self.srv.port('submission')}\n"
            "user = alice@example.org\npassword_command = false\n")
        p = self.ua.run("send", "--to", "bob@example.org", "--subject", "cmd",
                        input="x\n", check=2)
        self.assertIn("password_command failed", p.err)
        self.assertEqual(self.ua.outbox(), [])

    def test_usage_errors(self):
        self.ua.run("send", "--subject", "no rcpt", input="x", check=2)
        self.ua.run("bogus", check=2)
        self.ua.run("send", "--folder", "x", "--to", "a@b", check=2)
        p = self.ua.run("--help", check=0)
        self.assertIn("postern send", p.out)


if __name__ == "__main__":
    unittest.main()
