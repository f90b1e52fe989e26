#!/usr/bin/env python3
"""Runs every Postern test and ends with the line `N passed, N failed`.

  python3 tests/run.py [unit] [integration] [fuzz]   (default: all three)

unit         each tests/unit/<module>/test-<file>.c binary, built with ASan and
             UBSan (build/asan/tests/...); cmocka's own counts are added up.
integration  tests/integration/test_*.py (Python stdlib unittest) against real
             posternd processes on free loopback ports (the ASan build).
fuzz         each libFuzzer target under build/fuzz/ for FUZZ_SECONDS (5) on
             its seed corpus in fuzz/corpus/<target>/; a crash fails it. The
             mutation seed is FUZZ_SEED (1), so a smoke run is repeatable;
             set FUZZ_SEED=0 for a random one (libFuzzer's default).

A skipped test is reported as skipped, never counted as passed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
SAN_ENV = {
    "ASAN_OPTIONS": "abort_on_error=0:detect_leaks=1:strict_string_checks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, name, passed, failed, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        if failed:
            self.failures.append(name)


def run_unit(t):
    bins = sorted(p for p in (BUILD / "asan" / "tests").rglob("test-*")
                  if p.is_file() and os.access(p, os.X_OK)) \
        if (BUILD / "asan" / "tests").exists() else []
    env = dict(os.environ, **SAN_ENV)
    for b in bins:
        name = str(b.relative_to(BUILD / "asan" / "tests"))
        start = time.monotonic()
        try:
            p = subprocess.run([str(b)], cwd=ROOT, env=env, capture_output=True,
                               text=True, errors="replace", timeout=300)
            out, code = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out, code = f"timeout\n{e.stdout or ''}", -1
        passed = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        failed = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        skipped = sum(int(n) for n in re.findall(r"\[  SKIPPED \] (\d+) test", out))
        if code != 0 and failed == 0:
            failed = 1      # crashed, sanitizer report, or no summary
        if passed + failed + skipped == 0:
            failed = 1      # a test binary that ran nothing is broken
        status = "ok" if failed == 0 else "FAIL"
        print(f"unit  {name:40s} {passed:4d} passed {failed:3d} failed "
              f"{time.monotonic() - start:6.1f}s {status}", flush=True)
        if failed:
            print(out[-6000:], flush=True)
        t.add(f"unit:{name}", passed, failed, skipped)


class _Result(unittest.TextTestResult):
    pass


def run_integration(t):
    loader = unittest.TestLoader()
    suite = loader.discover(str(ROOT / "tests" / "integration"), pattern="test_*.py",
                            top_level_dir=str(ROOT / "tests" / "integration"))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=_Result)
    r = runner.run(suite)
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    skipped = len(r.skipped)
    passed = r.testsRun - failed - skipped
    for case, _ in r.failures + r.errors:
        t.failures.append(f"integration:{case.id()}")
    t.passed += passed
    t.failed += failed
    t.skipped += skipped


def run_fuzz(t):
    seconds = int(os.environ.get("FUZZ_SECONDS", "5"))
    fuzz_dir = BUILD / "fuzz"
    targets = sorted(p for p in fuzz_dir.iterdir()
                     if p.is_file() and os.access(p, os.X_OK)
                     and p.suffix != ".a") if fuzz_dir.exists() else []
    for b in targets:
        seeds = ROOT / "fuzz" / "corpus" / b.name
        work = Path(tempfile.mkdtemp(prefix=f"fuzz-{b.name}-"))
        cmd = [str(b), f"-max_total_time={seconds}", "-timeout=10",
               f"-seed={os.environ.get('FUZZ_SEED', '1')}",
               "-rss_limit_mb=2048", "-print_final_stats=0",
               f"-artifact_prefix={work}/", str(work)]
        if seeds.is_dir():
            cmd.append(str(seeds))
        d = ROOT / "fuzz" / f"{b.name}.dict"
        if d.exists():
            cmd.insert(1, f"-dict={d}")
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                           errors="replace", timeout=seconds + 120)
        ok = p.returncode == 0
        runs = re.findall(r"#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)", p.stderr)
        print(f"fuzz  {b.name:40s} {runs[-1] if runs else '?':>10s} runs "
              f"{'ok' if ok else 'FAIL'}", flush=True)
        if not ok:
            print(p.stderr[-6000:], flush=True)
            crashes = list(work.glob("crash-*")) + list(work.glob("leak-*")) + \
                list(work.glob("timeout-*"))
            for c in crashes:
                print(f"  reproducer: {c}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
        t.add(f"fuzz:{b.name}", 1 if ok else 0, 0 if ok else 1)


def main():
    parts = sys.argv[1:] or ["unit", "integration", "fuzz"]
    t = Tally()
    start = time.monotonic()
    for part in parts:
        {"unit": run_unit, "integration": run_integration,
         "fuzz": run_fuzz}[part](t)
    print(f"\ntook {time.monotonic() - start:.0f}s")
    for f in t.failures:
        print(f"failed: {f}")
    line = f"{t.passed} passed, {t.failed} failed"
    if t.skipped:
        line += f", {t.skipped} skipped"
    print(line)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
