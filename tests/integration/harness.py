"""Test harness: real posternd processes on free loopback ports.

    with Postern(extra={"domains": "example.org"}) as srv:
        srv.port("smtp")            # the port the smtp listener has
        srv.ctl("user", "add", "bob@example.org", input="secret\n")
        srv.stop()                  # SIGTERM, returns the exit status

Binaries come from build/asan/ (ASan + UBSan) unless POSTERN_BUILD names
another build folder (e.g. POSTERN_BUILD=build). The server's stderr log is
kept in srv.log_path and srv.log() reads it.
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("POSTERN_BUILD", "build/asan")
SERVICES = ["smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps"]
TLS_SERVICES = {"submissions", "pop3s", "imaps"}
SAN_ENV = {
    "ASAN_OPTIONS": "abort_on_error=0:detect_leaks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def binary(name):
    return str(BUILD / name)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_tls_context():
    """A client context for our self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def wait_port(host, port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Postern:
    def __init__(self, extra=None, services=None, hostname="mail.test"):
        self.tmp = tempfile.TemporaryDirectory(prefix="postern-test-")
        self.dir = Path(self.tmp.name)
        self.ports = {}
        self.extra = dict(extra or {})
        self.hostname = hostname
        self.proc = None
        self.log_path = self.dir / "posternd.log"
        self.conf = self.dir / "postern.conf"
        wanted = SERVICES if services is None else services
        for svc in SERVICES:
            if svc in wanted:
                self.ports[svc] = free_port()
        self.write_config()

    # -- configuration -------------------------------------------------
    def config_text(self):
        lines = [f"hostname = {self.hostname}", "data_dir = data"]
        for svc in SERVICES:
            key = f"{svc}_listen"
            if key in self.extra:
                continue
            lines.append(f"{key} = 127.0.0.1:{self.ports[svc]}"
                         if svc in self.ports else f"{key} =")
        for k, v in self.extra.items():
            lines.append(f"{k} = {v}")
        return "\n".join(lines) + "\n"

    def write_config(self):
        self.conf.write_text(self.config_text())

    def port(self, svc):
        return self.ports[svc]

    # -- processes -----------------------------------------------------
    def start(self, wait=True):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary("posternd"), "-c", str(self.conf)],
                                     stdout=self.log_file, stderr=self.log_file,
                                     env=dict(os.environ, **SAN_ENV))
        if wait:
            for svc, port in self.ports.items():
                if not wait_port("127.0.0.1", port):
                    raise RuntimeError(f"{svc} on {port} never came up:\n"
                                       + self.log())
        return self

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status (None on timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self.log_file.close()
        self.proc = None
        return code

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def children(self):
        """{role: pid} of the master's live role processes."""
        out = {}
        if self.proc is None:
            return out
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
                comm = (d / "comm").read_text().strip()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and comm.startswith("posternd-"):
                out[comm[len("posternd-"):]] = int(d.name)
        return out

    def ctl(self, *args, input=None, check=True):
        p = subprocess.run([binary("posternctl"), "-c", str(self.conf), *args],
                           input=input, capture_output=True, text=True,
                           env=dict(os.environ, **SAN_ENV), timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError(f"posternctl {' '.join(args)}: {p.returncode}\n"
                               f"{p.stdout}{p.stderr}")
        return p

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.tmp.cleanup()
        return False


class LoopFs:
    """A fresh ext4 file system on a loop device mounted at path, with or
    without a journal, with mount options (needs root and mkfs.ext4)."""

    def __init__(self, path, journal, options="", size="512M"):
        self.path = Path(path)
        self.img = self.path.with_suffix(".img")
        self.journal = journal
        self.options = options
        self.size = size

    _usable = None

    @classmethod
    def usable(cls):
        """Root, mkfs.ext4 and a loop device that mounts (tried once)."""
        if cls._usable is None:
            cls._usable = False
            if os.geteuid() == 0 and shutil.which("mkfs.ext4") is not None:
                with tempfile.TemporaryDirectory(prefix="loopfs-probe-") as d:
                    try:
                        with LoopFs(Path(d) / "m", True, size="16M"):
                            cls._usable = True
                    except (OSError, subprocess.CalledProcessError):
                        pass
        return cls._usable

    def __enter__(self):
        self.path.mkdir(parents=True)
        subprocess.run(["truncate", "-s", self.size, str(self.img)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F"]
                       + ([] if self.journal else ["-O", "^has_journal"])
                       + [str(self.img)], check=True, capture_output=True)
        try:
            subprocess.run(["mount", "-o", ",".join(["loop"] + ([self.options]
                            if self.options else [])), str(self.img),
                            str(self.path)], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            self.img.unlink(missing_ok=True)
            raise
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", str(self.path)])
        self.img.unlink(missing_ok=True)
        return False
