"""A scriptable SMTP sink for outbound tests (stdlib socketserver).

    sink = SmtpSink(ext=["PIPELINING", "8BITMIME"])
    sink.fail["RCPT"] = "451 4.3.0 try later"      # reply to every RCPT
                                                   # (also MAIL, DATA,
                                                   # DOT, STARTTLS)
    sink.drop_before_final = True                  # close instead of 250
    sink.final_delay = 3.0                         # slow reply after "."
    sink.port, sink.messages (list of dicts: mail, rcpts, data, raw_lines)
    sink.close()

STARTTLS is broken on purpose (220, then garbage) unless sink.tls is an
ssl.SSLContext for the server side; then it is real. sink.auth_login =
(USER, PASSWORD) offers "AUTH LOGIN" (and no other mechanism) and wants
it before MAIL; sink.auths lists (user, password, over_tls, accepted) of
every attempt.

Behaviour can be changed between connections; each connection reads it
when it needs it.
"""
import base64
import binascii
import socket
import socketserver
import threading
import time


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def b64_line(self):
        """One base64 line of a SASL exchange, decoded (None: bad)."""
        line = self.rfile.readline(4096)
        self.server.sink.commands.append(line)
        try:
            return base64.b64decode(line.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None

    def auth_login(self, cmd):
        sink = self.server.sink
        if sink.auth_login is None or cmd.split()[1:] != ["LOGIN"]:
            self.reply("504 5.5.4 mechanism not supported")
            return False
        self.reply("334 VXNlcm5hbWU6")
        user = self.b64_line()
        self.reply("334 UGFzc3dvcmQ6")
        password = self.b64_line()
        ok = (user, password) == tuple(sink.auth_login)
        sink.auths.append((user, password, self.tls, ok))
        self.reply("235 2.7.0 ok" if ok else "535 5.7.8 bad credentials")
        return ok

    def finish(self):
        super().finish()
        if getattr(self, "tls", False):
            self.request.close()    # the TLS socket replaced the plain one

    def handle(self):
        sink = self.server.sink
        with sink.lock:
            sink.connections += 1
            sink.active += 1
            sink.max_active = max(sink.max_active, sink.active)
        try:
            self.session(sink)
        finally:
            with sink.lock:
                sink.active -= 1

    def session(self, sink):
        self.tls = False
        authed = False
        self.reply("220 sink.test ESMTP")
        mail, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            sink.commands.append(line)
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                lines = ["sink.test"] + list(sink.ext)
                if sink.auth_login is not None:
                    lines.append("AUTH LOGIN")
                for ln in lines[:-1]:
                    self.wfile.write(f"250-{ln}\r\n".encode())
                self.reply(f"250 {lines[-1]}")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "AUTH":
                authed = self.auth_login(cmd)
            elif verb == "MAIL":
                if sink.auth_login is not None and not authed:
                    self.reply("530 5.7.0 authentication required")
                    continue
                if "MAIL" in sink.fail:
                    self.reply(sink.fail["MAIL"])
                    continue
                mail, rcpts = cmd, []
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                if mail is None:
                    self.reply("503 5.5.1 MAIL first")
                    continue
                addr = cmd[8:].split(">", 1)[0].lstrip("<")
                bad = sink.rcpt_fail.get(addr) or sink.fail.get("RCPT")
                if bad:
                    self.reply(bad)
                    continue
                rcpts.append(cmd)
                self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if "DATA" in sink.fail:
                    self.reply(sink.fail["DATA"])
                    continue
                if not rcpts:
                    self.reply("554 5.5.1 no valid recipients")
                    continue
                self.reply("354 go ahead")
                raw = []
                while True:
                    ln = self.rfile.readline(65536)
                    if not ln:
                        return
                    if ln == b".\r\n":
                        break
                    raw.append(ln)
                if sink.drop_before_final:
                    sink.dropped += 1
                    return
                if sink.final_delay:
                    time.sleep(sink.final_delay)
                if "DOT" in sink.fail:
                    self.reply(sink.fail["DOT"])
                    continue
                sink.messages.append({"mail": mail, "rcpts": rcpts,
                                      "raw_lines": raw,
                                      "data": b"".join(raw)})
                self.reply("250 2.0.0 accepted")
                mail, rcpts = None, []
            elif verb == "BDAT":
                parts = cmd.split()
                chunk = self.rfile.read(int(parts[1]))
                sink.chunks.append(chunk)
                if not rcpts:
                    self.reply("554 5.5.1 no valid recipients")
                    continue
                if len(parts) > 2 and parts[2].upper() == "LAST":
                    data = b"".join(sink.chunks)
                    sink.chunks = []
                    sink.messages.append({"mail": mail, "rcpts": rcpts,
                                          "raw_lines": data.splitlines(True),
                                          "data": data, "bdat": True})
                    mail, rcpts = None, []
                self.reply("250 2.0.0 ok")
            elif verb == "STARTTLS" and "STARTTLS" in sink.fail:
                self.reply(sink.fail["STARTTLS"])
            elif verb == "STARTTLS" and sink.tls is not None:
                self.reply("220 go ahead")
                conn = sink.tls.wrap_socket(self.request, server_side=True)
                self.request = conn
                self.rfile = conn.makefile("rb")
                self.wfile = conn.makefile("wb")
                self.tls = True
                mail, rcpts = None, []      # RFC 3207 §4.2: start over
            elif verb == "STARTTLS":
                # a broken TLS server: says yes, then talks nonsense
                self.reply("220 go ahead")
                self.wfile.write(b"this is not TLS\r\n" * 4)
                self.wfile.flush()
                sink.tls_broken += 1
                return
            elif verb == "RSET":
                mail, rcpts = None, []
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "NOOP":
                self.reply("250 ok")
            else:
                self.reply("502 5.5.2 unknown")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, ext=("PIPELINING", "8BITMIME", "SIZE 10000000")):
        self.ext = list(ext)
        self.fail = {}
        self.rcpt_fail = {}
        self.drop_before_final = False
        self.final_delay = 0
        self.messages = []
        self.commands = []
        self.connections = 0
        self.active = 0             # connections open now
        self.max_active = 0         # the most open at once
        self.lock = threading.Lock()
        self.dropped = 0
        self.tls_broken = 0
        self.chunks = []
        self.tls = None
        self.auth_login = None
        self.auths = []
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
