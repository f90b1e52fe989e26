"""A real peer: Postfix relays into posternd's MTA port (relayhost), over
opportunistic STARTTLS, and the message lands in the mailbox."""
import smtplib
import unittest

from harness import Postern
from mailutil import wait_messages
from peers import PostfixPeer, postfix_available


@unittest.skipUnless(postfix_available(), "postfix not installed or not root")
class PostfixRelaysIntoPostern(unittest.TestCase):
    def test_relayhost(self):
        srv = Postern(extra={"domains": "example.org"}, services=["smtp"])
        srv.ctl("user", "add", "bob@example.org", input="pw\n")
        srv.start()
        try:
            with PostfixPeer(srv.dir, relayhost=f"[127.0.0.1]:{srv.port('smtp')}",
                             smtp_tls_security_level="may") as pf:
                with smtplib.SMTP("127.0.0.1", pf.port, timeout=30) as s:
                    s.sendmail("alice@peer.test", ["bob@example.org"],
                               b"From: alice@peer.test\r\nTo: bob@example.org\r\n"
                               b"Subject: via postfix\r\n\r\nrelayed body\r\n")
                msgs = wait_messages(srv, "bob@example.org", 1, timeout=60)
                self.assertEqual(len(msgs), 1, pf.log()[-3000:] + srv.log()[-3000:])
                raw = msgs[0]
                self.assertIn(b"Subject: via postfix", raw)
                self.assertIn(b"relayed body\r\n", raw)
                # Postfix's own Received: and ours, with TLS negotiated
                self.assertIn(b"by peer.test (Postfix)", raw)
                self.assertIn(b"with ESMTPS", raw)
                self.assertIn("status=sent", pf.log())
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
