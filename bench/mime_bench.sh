#!/bin/sh
# mime_bench.sh: MIME parse and base64 decode throughput (MB/s) on a ~100 MB
# corpus, beside Python's email package on the same corpus, as a ratio.
# Not part of "make test"; run from the repository root after "make".
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${MIME_BENCH_CORPUS:-/tmp/postern-mime-bench}
SIZE_MB=${MIME_BENCH_MB:-100}
BIN=$ROOT/build/bench/mime_bench

[ -f "$ROOT/build/libpostern.a" ] || make -C "$ROOT" all
mkdir -p "$ROOT/build/bench"
${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$BIN" \
    "$ROOT/bench/mime_bench.c" "$ROOT/build/libpostern.a" \
    $(pkg-config --libs libmagic 2>/dev/null || echo -lmagic)

python3 "$ROOT/bench/mime_corpus.py" "$CORPUS" "$SIZE_MB"
echo "== postern"
"$BIN" "$CORPUS" | tee /tmp/postern-mime-bench.out
echo "== python email (policy=default)"
python3 "$ROOT/bench/mime_python.py" "$CORPUS" | tee /tmp/postern-mime-bench.py
python3 - <<'PY'
def read(p):
    return dict(l.split()[:2] for l in open(p) if l.split() and l.split()[0].endswith('_mbs'))
c, p = read('/tmp/postern-mime-bench.out'), read('/tmp/postern-mime-bench.py')
for k in ('parse_mbs', 'b64_mbs'):
    print('%-10s postern %8.1f MB/s  python %8.1f MB/s  ratio %6.1fx'
          % (k, float(c[k]), float(p[k]), float(c[k]) / float(p[k])))
PY
