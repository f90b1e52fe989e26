"""A real DNS server for tests: Debian's dnsmasq as a child process,
authoritative for the test zones, on 127.0.0.1 at a free UDP+TCP port.

    dns = DnsMasq(mx=[("b.test", 10, "mx1.b.test")],
                  hosts={"mx1.b.test": ["127.0.0.2", "::1"]})
    dns.port            # give posternd dns_server = 127.0.0.1:PORT
    dns.queries()       # [("b.test", "MX"), ...] as dnsmasq logged them
    dns.close()

Names under the zones in `local` (default: everything under .test) that
are not configured get NXDOMAIN, and a configured name without the asked
type gets an empty NOERROR answer (NODATA), as an authoritative server
would. Names outside those zones get REFUSED (dnsmasq has no upstream):
a resolver sees that as a temporary DNS failure. MX target "." is a null
MX (RFC 7505): dnsmasq serves it as preference 0, root name.

Skip a test with `@unittest.skipUnless(DNSMASQ, ...)` when dnsmasq-base
is not installed.
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if os.path.exists("/usr/sbin/dnsmasq") else None)


def _free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 (DNS needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free UDP+TCP port")


def _query(port, name, qtype=15, timeout=0.5):
    """rcode of one UDP query, or None without an answer."""
    qid = os.getpid() & 0xffff
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        pkt += bytes([len(label)]) + label.encode()
    pkt += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(pkt, ("127.0.0.1", port))
            data = s.recv(4096)
        except OSError:
            return None
    if len(data) < 12 or data[:2] != pkt[:2]:
        return None
    return data[3] & 0x0f


class DnsMasq:
    def __init__(self, mx=(), hosts=None, local=("test",)):
        if DNSMASQ is None:
            raise RuntimeError("dnsmasq not installed (dnsmasq-base)")
        self.tmp = tempfile.TemporaryDirectory(prefix="postern-dns-")
        self.log_path = os.path.join(self.tmp.name, "dnsmasq.log")
        args = ["--keep-in-foreground", "-C", "/dev/null", "--no-resolv",
                "--no-hosts", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--pid-file=", "--log-facility=-",
                "--log-queries", "--cache-size=0"]
        if os.geteuid() == 0:
            args.append("--user=nobody")   # its default, said out loud
        for zone in local:
            args.append(f"--local=/{zone}/")
        for domain, pref, target in mx:
            args.append(f"--mx-host={domain},{target},{pref}")
        for name, addrs in (hosts or {}).items():
            args.append(f"--host-record={name},{','.join(addrs)}")
        self.proc = None
        for _ in range(5):      # another process may take the port first
            self.port = _free_udp_tcp_port()
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [DNSMASQ, f"--port={self.port}", *args],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
            if self._ready(local[0] if local else "localhost"):
                return
            self._stop()
        raise RuntimeError("dnsmasq did not start:\n" + self.log())

    def _ready(self, zone):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if _query(self.port, "ready-probe." + zone) is not None:
                return True
        return False

    def _stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
            self._log.close()

    def close(self):
        self._stop()
        self.tmp.cleanup()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def queries(self):
        """(name, type) of every query dnsmasq answered, in order."""
        return [(m.group(2).lower(), m.group(1)) for m in
                re.finditer(r"query\[(\w+)\] (\S+) from", self.log())]
