#!/bin/sh
# bench.sh: `make bench` — every bench/*.sh in turn. Benchmarks print their
# own figures and ratios; they are not tests and never run in `make test`.
set -u
cd "$(dirname "$0")/.."
found=0
for b in bench/*.sh; do
	[ -e "$b" ] || continue
	found=1
	echo "== $b"
	sh "$b" || echo "bench $b failed (exit $?)"
done
[ "$found" = 1 ] || echo "no benchmarks yet under bench/"
