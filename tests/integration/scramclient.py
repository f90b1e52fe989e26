"""A small SCRAM-SHA-256 client (RFC 5802, RFC 7677) for the tests, with
hashlib and hmac only, written from the RFC: it must not share code with
the C implementation it checks."""
import base64
import hashlib
import hmac
import os


def _h(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def saslname(s):
    return s.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    """first() -> client-first; final(server_first) -> client-final;
    verify(server_final) -> bool. tamper=True flips a bit of the proof."""

    def __init__(self, user, password, nonce=None, tamper=False):
        self.user = user
        self.password = password.encode()
        self.cnonce = nonce or base64.b64encode(os.urandom(18)).decode()
        self.tamper = tamper
        self.bare = f"n={saslname(user)},r={self.cnonce}"
        self.server_sig = None

    def first(self):
        return ("n,," + self.bare).encode()

    def final(self, server_first):
        sf = server_first.decode()
        attrs = dict(a.split("=", 1) for a in sf.split(","))
        nonce, salt, it = attrs["r"], base64.b64decode(attrs["s"]), \
            int(attrs["i"])
        if not nonce.startswith(self.cnonce) or nonce == self.cnonce:
            raise ValueError("server nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, it)
        ckey = _h(salted, b"Client Key")
        stored = hashlib.sha256(ckey).digest()
        without = f"c=biws,r={nonce}"
        am = f"{self.bare},{sf},{without}".encode()
        proof = bytes(a ^ b for a, b in zip(ckey, _h(stored, am)))
        if self.tamper:
            proof = bytes([proof[0] ^ 1]) + proof[1:]
        self.server_sig = _h(_h(salted, b"Server Key"), am)
        return f"{without},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final):
        sf = server_final.decode()
        if not sf.startswith("v="):
            return False
        return hmac.compare_digest(base64.b64decode(sf[2:].split(",")[0]),
                                   self.server_sig)

    def authobject(self):
        """A callable for smtplib's auth() and imaplib's authenticate():
        challenge (decoded bytes, or None for the initial response) in,
        response out (str: smtplib encodes it as ASCII); raises on a bad
        server signature."""
        step = [0]

        def respond(challenge=None):
            step[0] += 1
            if step[0] == 1 and not challenge:
                return self.first().decode()
            if self.server_sig is None:
                return self.final(challenge).decode()
            if not self.verify(challenge):
                raise ValueError("bad server signature")
            return ""
        return respond
