"""postern send against Debian's Postfix (submission with SASL through
Dovecot), then list / read / save / search of what Postfix delivered,
over IMAP from Dovecot reading the same Maildirs: the UA is not tied to
our server. Skipped unless Postfix and Dovecot are installed and the tests
run as root (Postfix's master must)."""
import email
import email.policy
import unittest

import dovecotpeer
import postfixpeer
from harness import free_port
from uautil import UA

USER, PW = "bob@example.org", "bobpw"


@unittest.skipUnless(dovecotpeer.available() and postfixpeer.available(),
                     postfixpeer.SKIP_REASON + "; " + dovecotpeer.SKIP_REASON)
class PostfixTest(unittest.TestCase):
    def setUp(self):
        auth = free_port()
        # Postfix delivers as the user Dovecot reads the mail as.
        uid, gid = dovecotpeer.mail_owner()
        self.pf = postfixpeer.Postfix([USER, "carol@example.org"], auth,
                                      uid=uid, gid=gid)
        self.pf.start()
        self.dc = dovecotpeer.Dovecot({USER: PW}, auth_port=auth,
                                      mail_root=self.pf.mail_root()).start()
        self.ua = UA(password=PW)
        self.ua.write_config(
            f"smtp = 127.0.0.1:{self.pf.port}\n"
            f"imap = 127.0.0.1:{self.dc.port('imap')}\n"
            f"user = {USER}\npassword_file = {self.ua.pwfile}\n")

    def tearDown(self):
        self.ua.cleanup()
        self.dc.cleanup()
        self.pf.cleanup()

    def test_send_then_list_read_save_search(self):
        att = self.ua.home / "data.bin"
        att.write_bytes(bytes(range(256)) * 100)
        subject = "Postfix \u2192 Dovecot \u00e9t\u00e9"
        body = "Hello through Postfix,\nna\u00efve \u2603\n"
        p = self.ua.run("send", "--to", USER, "--bcc", "carol@example.org",
                        "--subject", subject, "--attach", att, input=body,
                        check=0)
        self.assertIn("sent to 2 recipients", p.out)
        msgs = self.pf.wait_messages(USER, 1)
        self.assertEqual(len(msgs), 1, self.pf.log())
        self.assertEqual(len(self.pf.wait_messages("carol@example.org", 1)), 1)
        m = email.message_from_bytes(msgs[0], policy=email.policy.default)
        self.assertEqual(m["Subject"], subject)
        self.assertIsNone(m["Bcc"])
        self.assertEqual(list(m.iter_attachments())[0].get_content(),
                         att.read_bytes())
        for line in msgs[0].split(b"\n"):
            self.assertLessEqual(len(line.rstrip(b"\r")), 998)
        # read back over IMAP
        p = self.ua.run("list", check=0)
        f = p.out.rstrip("\n").split("\t")
        self.assertEqual((f[0], f[1], f[3], f[4]), ("1", "N--", USER, subject))
        p = self.ua.run("read", "1", check=0)
        self.assertIn(body, p.out)
        self.assertRegex(p.out, r"  2 +\S+/\S+ +\d+  data.bin")
        out = self.ua.home / "back.bin"
        self.ua.run("save", "1", "2", out, check=0)
        self.assertEqual(out.read_bytes(), att.read_bytes())
        p = self.ua.run("search", "--subject", "Postfix", check=0)
        self.assertEqual(p.out.split("\t")[0], "1")
        self.ua.run("search", "--subject", "nothing-like-this", check=1)

    def test_wrong_password_and_outbox(self):
        self.ua.pwfile.write_text("wrong\n")
        p = self.ua.run("send", "--to", USER, "--subject", "x", input="x\n",
                        check=2)
        self.assertIn("not sent", p.err)
        self.assertEqual(self.ua.outbox(), [])
        self.ua.pwfile.write_text(PW + "\n")
        dead = free_port()
        self.ua.run("--smtp", f"127.0.0.1:{dead}", "send", "--to", USER,
                    "--subject", "later", input="y\n", check=0)
        self.assertEqual(len(self.ua.outbox()), 1)
        self.ua.run("flush", check=0)
        self.assertEqual(self.ua.outbox(), [])
        self.assertEqual(len(self.pf.wait_messages(USER, 1)), 1)


if __name__ == "__main__":
    unittest.main()
