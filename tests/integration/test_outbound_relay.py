"""Outbound delivery between real posternd instances on loopback: relaying
through route.*, A -> B -> C, retry after the peer comes back (on flush and
on the next scheduled retry), DSNs for 5xx replies and for an expired
queue lifetime, MX routing through a real DNS server (dnsmasq: preference
order and fallback, equal preferences shuffled, no MX -> A/AAAA, IPv6,
null MX, NXDOMAIN, DNS failure)."""
import email
import smtplib
import socket
import time
import unittest
from email import policy

from dnsmasq import DNSMASQ, DnsMasq
from harness import Postern, free_port, wait_port
from mailutil import maildir_messages, queue_ids, wait_messages

MSG = (b"From: Alice <alice@a.test>\r\nTo: bob@b.test\r\n"
       b"Subject: relay test\r\nMessage-ID: <m1@a.test>\r\n\r\n"
       b"Hello Bob.\r\n.leading dot\r\n..two dots\r\nbye\r\n")


def make(domain, users=(), **extra):
    cfg = {"domains": domain, "relay_networks": "127.0.0.0/8",
           "queue_interval": "2s"}
    cfg.update(extra)
    srv = Postern(extra=cfg, services=["smtp"], hostname="mx." + domain)
    for u in users:
        srv.ctl("user", "add", u, input="secret\n")
    return srv


def send(srv, sender, rcpts, msg=MSG):
    with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
        s.sendmail(sender, rcpts, msg)


def body_of(raw):
    return raw.split(b"\r\n\r\n", 1)[1]


def wait_for(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def dsn_parts(raw):
    """(the report, its per-recipient status groups) of a DSN."""
    m = email.message_from_bytes(raw, policy=policy.compat32)
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "delivery-status"
    parts = m.get_payload()
    ds = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    assert len(ds) == 1
    groups = ds[0].get_payload()      # per-message group, then recipients
    return m, groups


class Cluster(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc is not None:
                code = s.stop()
                self.assertEqual(code, 0, s.log()[-3000:])
            s.tmp.cleanup()

    def add(self, srv):
        self.servers.append(srv)
        return srv


class RelayTest(Cluster):
    def test_a_to_b_through_route(self):
        b = self.add(make("b.test", ["bob@b.test"])).start()
        a = self.add(make("a.test", ["alice@a.test"],
                          **{"route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        msgs = wait_messages(b, "bob@b.test", 1)
        self.assertEqual(len(msgs), 1, a.log()[-3000:])
        self.assertTrue(body_of(msgs[0]).endswith(
            b"Hello Bob.\r\n.leading dot\r\n..two dots\r\nbye\r\n"), msgs[0])
        self.assertIn(b"Return-Path: <alice@a.test>", msgs[0])
        # B offers STARTTLS: the hop is encrypted (opportunistic TLS)
        self.assertIn(b"ESMTPS", msgs[0])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []), a.log()[-3000:])
        self.assertIn("status=sent", a.log())

    def test_a_to_b_to_c(self):
        c = self.add(make("c.test", ["carol@c.test"])).start()
        b = self.add(make("b.test", **{"route.c.test":
                                       f"127.0.0.1:{c.port('smtp')}"})).start()
        a = self.add(make("a.test", **{"route.*":
                                       f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["carol@c.test"])
        msgs = wait_messages(c, "carol@c.test", 1)
        self.assertEqual(len(msgs), 1, a.log()[-2000:] + b.log()[-2000:])
        self.assertEqual(msgs[0].count(b"Received:"), 3)

    def test_several_messages_one_connection_pipelined(self):
        b = self.add(make("b.test", ["bob@b.test", "bill@b.test"])).start()
        a = self.add(make("a.test", **{"route.*":
                                       f"127.0.0.1:{b.port('smtp')}"})).start()
        for i in range(5):
            send(a, "alice@a.test", ["bob@b.test", "bill@b.test"])
        self.assertEqual(len(wait_messages(b, "bob@b.test", 5)), 5)
        self.assertEqual(len(wait_messages(b, "bill@b.test", 5)), 5)
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))

    def test_smarthost_auth_over_starttls(self):
        b = self.add(Postern(extra={"domains": "b.test"},
                             services=["smtp", "submission"],
                             hostname="mx.b.test"))
        b.ctl("user", "add", "relay@b.test", input="relaypw\n")
        b.ctl("user", "add", "bob@b.test", input="x\n")
        b.start()
        hop = f"127.0.0.1:{b.port('submission')}"
        a = self.add(make("a.test", **{"route.*": hop}))
        auth = a.dir / "data" / "relay-auth"
        auth.parent.mkdir(parents=True, exist_ok=True)
        auth.write_text(f"# smarthost\n{hop} relay@b.test relaypw\n")
        auth.chmod(0o600)
        a.start()
        send(a, "alice@a.test", ["bob@b.test"])
        msgs = wait_messages(b, "bob@b.test", 1)
        self.assertEqual(len(msgs), 1, a.log()[-3000:] + b.log()[-2000:])
        self.assertIn(b"ESMTPSA", msgs[0])

    def test_smarthost_password_with_spaces_and_a_bad_line(self):
        # A password with spaces and a quote, written quoted; a bad line
        # before it is reported by posternctl check and skipped by the
        # queue role, which goes on delivering (it used to exit and be
        # restarted over and over, local mail included).
        password = 'relay pw "quoted" \\ end'
        b = self.add(Postern(extra={"domains": "b.test"},
                             services=["smtp", "submission"],
                             hostname="mx.b.test"))
        b.ctl("user", "add", "relay@b.test", input=password + "\n")
        b.ctl("user", "add", "bob@b.test", input="x\n")
        b.start()
        hop = f"127.0.0.1:{b.port('submission')}"
        a = self.add(make("a.test", ["alice@a.test"], **{"route.*": hop}))
        auth = a.dir / "data" / "relay-auth"
        quoted = password.replace("\\", "\\\\").replace('"', '\\"')
        auth.write_text(f"{hop} only-two-fields\n"
                        f'{hop} relay@b.test "{quoted}"\n')
        auth.chmod(0o600)
        check = a.ctl("check", check=False)
        self.assertNotEqual(check.returncode, 0)
        self.assertIn("relay-auth:1:", check.stderr)
        a.start()
        send(a, "carol@remote.test", ["alice@a.test", "bob@b.test"])
        self.assertEqual(len(wait_messages(a, "alice@a.test", 1)), 1)
        msgs = wait_messages(b, "bob@b.test", 1)
        self.assertEqual(len(msgs), 1, a.log()[-3000:] + b.log()[-2000:])
        self.assertIn(b"ESMTPSA", msgs[0])
        self.assertIn("relay-auth:1: ", a.log())
        self.assertIn("line skipped", a.log())
        self.assertNotIn("restarting", a.log())
        auth.write_text(f'{hop} relay@b.test "{quoted}"\n')
        check = a.ctl("check", check=False)
        self.assertEqual(check.returncode, 0, check.stderr)

    def test_smarthost_verify_refuses_self_signed(self):
        b = self.add(Postern(extra={"domains": "b.test"},
                             services=["smtp", "submission"],
                             hostname="mx.b.test"))
        b.ctl("user", "add", "relay@b.test", input="relaypw\n")
        b.start()
        hop = f"127.0.0.1:{b.port('submission')}"
        a = self.add(make("a.test", queue_interval="1h", **{"route.*": hop}))
        auth = a.dir / "data" / "relay-auth"
        auth.parent.mkdir(parents=True, exist_ok=True)
        auth.write_text(f"{hop} relay@b.test relaypw verify\n")
        auth.chmod(0o600)
        a.start()
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertTrue(wait_for(lambda: "status=deferred" in a.log()),
                        a.log()[-3000:])
        self.assertIn("TLS handshake failed", a.ctl("queue", "list").stdout)
        self.assertNotIn("retrying without it", a.log())
        self.assertNotIn("relay@b.test", b.log())   # no AUTH was tried

    def test_smarthost_wrong_password_defers(self):
        b = self.add(Postern(extra={"domains": "b.test"},
                             services=["smtp", "submission"],
                             hostname="mx.b.test"))
        b.ctl("user", "add", "relay@b.test", input="relaypw\n")
        b.start()
        hop = f"127.0.0.1:{b.port('submission')}"
        a = self.add(make("a.test", queue_interval="1h", **{"route.*": hop}))
        auth = a.dir / "data" / "relay-auth"
        auth.parent.mkdir(parents=True, exist_ok=True)
        auth.write_text(f"{hop} relay@b.test wrong\n")
        a.start()
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertTrue(wait_for(lambda: "status=deferred" in a.log()),
                        a.log()[-3000:])
        self.assertIn("AUTH", a.ctl("queue", "list").stdout)

    def test_alias_with_remote_member(self):
        b = self.add(make("b.test", ["bob@b.test"])).start()
        a = self.add(make("a.test", ["alice@a.test", "dan@a.test"], **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"}))
        a.ctl("alias", "add", "team@a.test", "dan@a.test", "bob@b.test")
        a.start()
        send(a, "alice@a.test", ["team@a.test"])
        self.assertEqual(len(wait_messages(a, "dan@a.test", 1)), 1)
        msgs = wait_messages(b, "bob@b.test", 1)
        self.assertEqual(len(msgs), 1, a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))

    def test_dead_destination_does_not_hold_up_others(self):
        b = self.add(make("b.test", ["bob@b.test"])).start()
        dead = self.add(make("dead.test"))      # never started
        a = self.add(make("a.test", queue_interval="1h", **{
            "route.b.test": f"127.0.0.1:{b.port('smtp')}",
            "route.dead.test": f"127.0.0.1:{dead.port('smtp')}"})).start()
        for i in range(3):
            send(a, "alice@a.test", [f"x{i}@dead.test", "bob@b.test"])
        self.assertEqual(len(wait_messages(b, "bob@b.test", 3)), 3,
                         a.log()[-3000:])
        self.assertTrue(wait_for(
            lambda: a.log().count("status=deferred") >= 3))
        self.assertIn("destination 127.0.0.1 unreachable", a.log())
        self.assertEqual(len(queue_ids(a)), 3)


class RetryTest(Cluster):
    def test_peer_down_then_flush(self):
        b = self.add(make("b.test", ["bob@b.test"]))
        a = self.add(make("a.test", queue_interval="1h", **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertTrue(wait_for(lambda: "status=deferred" in a.log()),
                        a.log()[-3000:])
        out = a.ctl("queue", "list").stdout
        self.assertIn("bob@b.test", out)
        self.assertIn("deferred", out)
        b.start()
        time.sleep(1)
        self.assertEqual(wait_messages(b, "bob@b.test", 1, timeout=1), [])
        a.ctl("queue", "flush")
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1,
                         a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))

    def test_peer_down_then_scheduled_retry(self):
        b = self.add(make("b.test", ["bob@b.test"]))
        a = self.add(make("a.test", queue_interval="2s", **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertTrue(wait_for(lambda: "status=deferred" in a.log()))
        b.start()
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1, timeout=30)), 1,
                         a.log()[-3000:])


class BounceTest(Cluster):
    def test_5xx_gives_one_dsn_listing_only_failures(self):
        b = self.add(make("b.test", ["bob@b.test"])).start()
        # b.test refuses nobody@ at RCPT when it knows: relay through a
        # second hop that accepts all, so the 5xx comes from b for real
        a = self.add(make("a.test", ["alice@a.test"], **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        msg = MSG.replace(b"To: bob@b.test", b"To: bob@b.test, nobody@b.test")
        send(a, "alice@a.test", ["bob@b.test", "nobody@b.test"], msg)
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1)
        bounces = wait_messages(a, "alice@a.test", 1)
        self.assertEqual(len(bounces), 1, a.log()[-3000:])
        raw = bounces[0]
        self.assertIn(b"Return-Path: <>", raw)
        m, groups = dsn_parts(raw)
        self.assertEqual(len(groups), 2)      # message group + 1 recipient
        r = groups[1]
        self.assertEqual(r["Action"], "failed")
        self.assertIn("nobody@b.test", r["Final-Recipient"])
        self.assertTrue(r["Status"].startswith("5."))
        self.assertIn("550", r["Diagnostic-Code"])
        self.assertNotIn(b"Final-Recipient: rfc822; bob@b.test", raw)
        # the original header comes back (RET default: headers only)
        self.assertIn(b"Subject: relay test", raw)
        self.assertNotIn(b"Hello Bob.", raw)
        self.assertTrue(wait_for(lambda: queue_ids(a) == []), a.log()[-3000:])

    def test_lifetime_expiry_bounces(self):
        b = self.add(make("b.test", ["bob@b.test"]))     # never started
        a = self.add(make("a.test", ["alice@a.test"], queue_interval="1s",
                          queue_lifetime="3s", **{
                              "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        bounces = wait_messages(a, "alice@a.test", 1, timeout=40)
        self.assertEqual(len(bounces), 1, a.log()[-3000:])
        m, groups = dsn_parts(bounces[0])
        r = groups[1]
        self.assertEqual(r["Action"], "failed")
        self.assertIn("bob@b.test", r["Final-Recipient"])
        self.assertEqual(r["Status"], "4.4.7")
        self.assertTrue(wait_for(lambda: queue_ids(a) == []), a.log()[-3000:])

    def test_delay_notice_once(self):
        b = self.add(make("b.test", ["bob@b.test"]))     # never started
        a = self.add(make("a.test", ["alice@a.test"], queue_interval="1s",
                          delay_warning="2s", **{
                              "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        notes = wait_messages(a, "alice@a.test", 1, timeout=30)
        self.assertEqual(len(notes), 1, a.log()[-3000:])
        m, groups = dsn_parts(notes[0])
        self.assertEqual(groups[1]["Action"], "delayed")
        self.assertIn("Will-Retry-Until", str(groups[1]))
        time.sleep(4)
        self.assertEqual(len(wait_messages(a, "alice@a.test", 2, timeout=1)), 1)
        self.assertEqual(len(queue_ids(a)), 1)

    def test_notify_never_and_bounce_of_bounce(self):
        b = self.add(make("b.test", ["bob@b.test"])).start()
        a = self.add(make("a.test", ["alice@a.test", "postmaster@a.test"], **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        with smtplib.SMTP("127.0.0.1", a.port("smtp"), timeout=30) as s:
            s.ehlo("t")
            s.mail("alice@a.test")
            s.rcpt("nobody@b.test", ["NOTIFY=NEVER"])
            s.data(MSG)
            # a bounce (null sender) that fails: never bounced to <>
            s.mail("")
            s.rcpt("nobody2@b.test")
            s.data(MSG)
        self.assertTrue(wait_for(lambda: queue_ids(a) == []), a.log()[-3000:])
        time.sleep(1)
        self.assertEqual(wait_messages(a, "alice@a.test", 1, timeout=1), [])
        # the failed bounce goes to the postmaster, once, from <>
        pm = wait_messages(a, "postmaster@a.test", 1)
        self.assertEqual(len(pm), 1, a.log()[-3000:])
        self.assertIn(b"Return-Path: <>", pm[0])
        self.assertIn(b"nobody2@b.test", pm[0])


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(DNSMASQ, "dnsmasq (dnsmasq-base) not installed")
class MxTest(Cluster):
    """MX routing against a real DNS server (dnsmasq on a loopback port).
    The MX hosts are posternd instances on distinct loopback addresses
    (127.0.0.2, 127.0.0.3, ::1) that share one port, remote_smtp_port,
    so where a message lands shows which host was chosen."""

    def dns(self, mx=(), hosts=None):
        d = DnsMasq(mx=mx, hosts=hosts)
        self.addCleanup(d.close)
        return d

    def mx_host(self, addr, port, users=("bob@b.test",), domain="b.test"):
        """A posternd for domain listening on addr:port only."""
        srv = self.add(make(domain, users))
        srv.extra["smtp_listen"] = (f"[{addr}]:{port}" if ":" in addr
                                    else f"{addr}:{port}")
        srv.write_config()
        srv.start(wait=False)   # the harness would wait on 127.0.0.1
        self.assertTrue(wait_port(addr, port), srv.log())
        return srv

    def sender(self, dns, port, **extra):
        return self.add(make("a.test", ["alice@a.test"],
                             dns_server=f"127.0.0.1:{dns.port}",
                             remote_smtp_port=str(port), **extra)).start()

    def test_mx_preference_order(self):
        port = free_port()
        best = self.mx_host("127.0.0.2", port)
        worse = self.mx_host("127.0.0.3", port)
        dns = self.dns(mx=[("b.test", 20, "mx2.b.test"),
                           ("b.test", 10, "mx1.b.test")],
                       hosts={"mx1.b.test": ["127.0.0.2"],
                              "mx2.b.test": ["127.0.0.3"]})
        a = self.sender(dns, port)
        for i in range(3):
            send(a, "alice@a.test", ["bob@b.test"])
            self.assertEqual(len(wait_messages(best, "bob@b.test", i + 1)),
                             i + 1, a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))
        self.assertEqual(wait_messages(worse, "bob@b.test", 1, timeout=0.5),
                         [])
        self.assertIn(("b.test", "MX"), dns.queries())
        self.assertIn("relay=mx1.b.test[127.0.0.2]", a.log())
        self.assertNotIn("relay=mx2.b.test", a.log())

    def test_mx_preference_fallback(self):
        port = free_port()
        second = self.mx_host("127.0.0.2", port)
        third = self.mx_host("127.0.0.3", port)
        dns = self.dns(mx=[("b.test", 30, "mx3.b.test"),
                           ("b.test", 10, "mx1.b.test"),   # nobody there
                           ("b.test", 20, "mx2.b.test")],
                       hosts={"mx1.b.test": ["127.0.0.4"],
                              "mx2.b.test": ["127.0.0.2"],
                              "mx3.b.test": ["127.0.0.3"]})
        a = self.sender(dns, port)
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertEqual(len(wait_messages(second, "bob@b.test", 1)), 1,
                         a.log()[-3000:])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))
        self.assertEqual(wait_messages(third, "bob@b.test", 1, timeout=0.5),
                         [])
        log = a.log()
        # the best MX was tried first and refused the connection
        self.assertIn("relay=mx1.b.test[127.0.0.4]", log)
        self.assertLess(log.index("relay=mx1.b.test[127.0.0.4]"),
                        log.index("relay=mx2.b.test[127.0.0.2]"))
        self.assertNotIn("relay=mx3.b.test", log)

    def test_equal_preference_shuffled(self):
        port = free_port()
        one = self.mx_host("127.0.0.2", port)
        two = self.mx_host("127.0.0.3", port)
        dns = self.dns(mx=[("b.test", 10, "mxa.b.test"),
                           ("b.test", 10, "mxb.b.test")],
                       hosts={"mxa.b.test": ["127.0.0.2"],
                              "mxb.b.test": ["127.0.0.3"]})
        a = self.sender(dns, port)
        n = 12      # all to one host by chance: 2 in 4096
        for i in range(n):
            send(a, "alice@a.test", ["bob@b.test"])
            self.assertTrue(wait_for(lambda: len(
                maildir_messages(one, "bob@b.test")) + len(
                maildir_messages(two, "bob@b.test")) == i + 1),
                a.log()[-3000:])
        got = (len(maildir_messages(one, "bob@b.test")),
               len(maildir_messages(two, "bob@b.test")))
        self.assertEqual(sum(got), n)
        self.assertGreater(min(got), 0, got)

    def test_no_mx_falls_back_to_address(self):
        port = free_port()
        b = self.mx_host("127.0.0.2", port)
        # b.test has an address and no MX; c.test's MX must not be used
        dns = self.dns(mx=[("c.test", 10, "mx.c.test")],
                       hosts={"b.test": ["127.0.0.2"],
                              "mx.c.test": ["127.0.0.3"]})
        a = self.sender(dns, port)
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1,
                         a.log()[-3000:])
        queries = dns.queries()
        self.assertIn(("b.test", "MX"), queries)
        self.assertIn(("b.test", "A"), queries)
        self.assertIn("relay=b.test[127.0.0.2]", a.log())

    @unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback")
    def test_mx_host_ipv6_only(self):
        port = free_port()
        b = self.mx_host("::1", port)
        dns = self.dns(mx=[("b.test", 10, "mx6.b.test")],
                       hosts={"mx6.b.test": ["::1"]})
        a = self.sender(dns, port)
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1,
                         a.log()[-3000:])
        self.assertIn(("mx6.b.test", "AAAA"), dns.queries())
        self.assertIn("relay=mx6.b.test[::1]", a.log())

    @unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback")
    def test_mx_host_both_families_one_down(self):
        # one host name, an IPv4 and an IPv6 address; only one of them
        # listens each time: whichever order the addresses come in, the
        # message gets through
        for live, dead in (("::1", "127.0.0.4"), ("127.0.0.2", "::1")):
            with self.subTest(live=live):
                port = free_port()
                b = self.mx_host(live, port)
                dns = self.dns(mx=[("b.test", 10, "mx.b.test")],
                               hosts={"mx.b.test": [dead, live]})
                a = self.sender(dns, port)
                send(a, "alice@a.test", ["bob@b.test"])
                self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1,
                                 a.log()[-3000:])
                shown = f"[{live}]"
                self.assertIn(f"relay=mx.b.test{shown}", a.log())

    def test_null_mx_and_nxdomain_bounce_at_once(self):
        dns = self.dns(mx=[("null.test", 0, ".")])
        a = self.add(make("a.test", ["alice@a.test"],
                          dns_server=f"127.0.0.1:{dns.port}")).start()
        send(a, "alice@a.test", ["x@null.test"])
        send(a, "alice@a.test", ["y@nowhere.test"])
        bounces = wait_messages(a, "alice@a.test", 2)
        self.assertEqual(len(bounces), 2, a.log()[-3000:])
        statuses = sorted(dsn_parts(r)[1][1]["Status"] for r in bounces)
        self.assertEqual(statuses, ["5.1.10", "5.1.2"])
        self.assertTrue(wait_for(lambda: queue_ids(a) == []))
        self.assertIn(("null.test", "MX"), dns.queries())

    def test_route_to_an_address_asks_no_dns(self):
        # route.* names an address: no lookup (each connection would pay
        # a round trip to the resolver, and a timeout when it is slow)
        b = self.add(make("b.test", ["bob@b.test"])).start()
        dns = self.dns()
        a = self.add(make("a.test", dns_server=f"127.0.0.1:{dns.port}", **{
            "route.*": f"127.0.0.1:{b.port('smtp')}"})).start()
        send(a, "alice@a.test", ["bob@b.test"])
        self.assertEqual(len(wait_messages(b, "bob@b.test", 1)), 1,
                         a.log()[-3000:])
        self.assertEqual([q for q in dns.queries()
                          if q[0] != "ready-probe.test"], [])

    def test_dns_failure_defers(self):
        # dnsmasq refuses names outside its zones (no upstream): a DNS
        # failure, so the mail waits instead of bouncing
        dns = self.dns()
        a = self.add(make("a.test", ["alice@a.test"], queue_interval="1h",
                          dns_server=f"127.0.0.1:{dns.port}")).start()
        send(a, "alice@a.test", ["z@elsewhere.example"])
        self.assertTrue(wait_for(lambda: "status=deferred" in a.log()),
                        a.log()[-3000:])
        self.assertIn(("elsewhere.example", "MX"), dns.queries())
        out = a.ctl("queue", "list").stdout
        self.assertIn("z@elsewhere.example", out)
        self.assertIn("deferred", out)
        time.sleep(0.5)
        self.assertEqual(wait_messages(a, "alice@a.test", 1, timeout=0.5),
                         [])
        self.assertEqual(len(queue_ids(a)), 1)


if __name__ == "__main__":
    unittest.main()
