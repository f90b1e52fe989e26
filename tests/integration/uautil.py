"""Helpers for the user agent tests: run build/asan/postern with a private
HOME (so ~/.config/postern/config and the outbox are the test's own)."""
import os
import subprocess
import tempfile
from pathlib import Path

from harness import SAN_ENV, binary

# POSTERN_UA runs another postern binary against the harness's servers
# (e.g. this branch's UA against another branch's posternd).
UA_BINARY = os.environ.get("POSTERN_UA") or binary("postern")


class UA:
    def __init__(self, config="", password="pw"):
        self.tmp = tempfile.TemporaryDirectory(prefix="postern-ua-")
        self.home = Path(self.tmp.name)
        (self.home / ".config" / "postern").mkdir(parents=True)
        self.pwfile = self.home / "pw"
        self.pwfile.write_text(password + "\n")
        self.write_config(config)

    def write_config(self, text):
        (self.home / ".config" / "postern" / "config").write_text(text)

    def run(self, *args, input=b"", check=None, timeout=120):
        env = dict(os.environ, **SAN_ENV)
        env["HOME"] = str(self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("XDG_DATA_HOME", None)
        env.pop("POSTERN_CONFIG", None)
        if isinstance(input, str):
            input = input.encode()
        p = subprocess.run([UA_BINARY, *map(str, args)], input=input,
                           capture_output=True, env=env, timeout=timeout)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        if check is not None and p.returncode != check:
            raise AssertionError(f"postern {' '.join(map(str, args))}: exit "
                                 f"{p.returncode}, wanted {check}\n{p.out}{p.err}")
        return p

    def outbox(self):
        d = self.home / ".local" / "share" / "postern" / "outbox"
        return sorted(d.glob("*.msg")) if d.is_dir() else []

    def cleanup(self):
        self.tmp.cleanup()
