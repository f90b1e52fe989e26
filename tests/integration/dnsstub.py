"""A tiny authoritative DNS server for tests (stdlib only, UDP on loopback).

    dns = DnsStub({"b.test": {"MX": [(10, "mx1.b.test")]},
                   "mx1.b.test": {"A": ["127.0.0.1"]}})
    dns.port                   # give posternd dns_server = 127.0.0.1:PORT
    dns.close()

Names not in the table get NXDOMAIN; a known name without the asked type
gets an empty NOERROR answer (NODATA). MX target "." is a null MX.
"""
import socket
import struct
import threading


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _decode_name(data, off):
    labels = []
    while True:
        n = data[off]
        off += 1
        if n == 0:
            break
        labels.append(data[off:off + n].decode())
        off += n
    return ".".join(labels), off


TYPES = {1: "A", 15: "MX", 28: "AAAA"}


class DnsStub:
    def __init__(self, zone):
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.running = False
        self.sock.close()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                reply = self._answer(data)
            except Exception:      # a malformed query: ignore it
                continue
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                return

    def _answer(self, data):
        qid, flags, qd = struct.unpack(">HHH", data[:6])
        name, off = _decode_name(data, 12)
        qtype, qclass = struct.unpack(">HH", data[off:off + 4])
        question = data[12:off + 4]
        key = name.lower()
        self.queries.append((key, TYPES.get(qtype, qtype)))
        answers = []
        rcode = 0
        if key not in self.zone:
            rcode = 3
        else:
            for rr in self.zone[key].get(TYPES.get(qtype, ""), []):
                if qtype == 1:
                    rdata = socket.inet_aton(rr)
                elif qtype == 28:
                    rdata = socket.inet_pton(socket.AF_INET6, rr)
                else:
                    pref, host = rr
                    rdata = struct.pack(">H", pref) + _encode_name(host)
                answers.append(b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60,
                                                         len(rdata)) + rdata)
        hdr = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode,
                          1, len(answers), 0, 0)
        return hdr + question + b"".join(answers)
