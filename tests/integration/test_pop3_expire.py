"""pop3_expire (RFC 2449 EXPIRE): retrieved mail is deleted by the server
after the configured number of days; "never" keeps it."""
import poplib
import smtplib
import unittest

from harness import Postern
from mailutil import wait_messages


class Pop3ExpireTest(unittest.TestCase):
    def run_with(self, expire):
        srv = Postern(extra={"domains": "example.org", "pop3_expire": expire},
                      services=["smtp", "pop3"])
        srv.ctl("user", "add", "bob@example.org", input="pw\n")
        srv.start()
        try:
            with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
                for i in range(2):
                    s.sendmail("a@remote.test", ["bob@example.org"],
                               f"Subject: m{i}\r\n\r\nbody\r\n".encode())
            wait_messages(srv, "bob@example.org", 2)
            p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
            caps = p.capa()
            p.user("bob@example.org")
            p.pass_("pw")
            self.assertEqual(p.stat()[0], 2)
            p.retr(1)                  # keep mode: retrieved, not deleted
            p.quit()
            p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=30)
            p.user("bob@example.org")
            p.pass_("pw")
            count = p.stat()[0]
            p.quit()
            self.assertEqual(srv.stop(), 0)
            return caps, count
        finally:
            srv.stop()
            srv.tmp.cleanup()

    def test_expire_zero_days_deletes_retrieved_mail(self):
        caps, count = self.run_with("0")
        self.assertEqual(caps.get("EXPIRE"), ["0"])
        self.assertEqual(count, 1)

    def test_never_keeps_it(self):
        caps, count = self.run_with("never")
        self.assertEqual(caps.get("EXPIRE"), ["NEVER"])
        self.assertEqual(count, 2)


if __name__ == "__main__":
    unittest.main()
