#!/bin/sh
# imap_bench.sh: IMAP mixed workload (LOGIN, SELECT, FETCH headers and
# bodies, SEARCH, STORE, APPEND, EXPUNGE; 20 clients) against posternd and
# against a Dovecot the bench configures on loopback (Debian
# dovecot-imapd, Maildir, same messages, same password hashes): ops/s per
# command, the ratio, peak RSS; then the RSS of 10,000 idle IDLE sessions
# on posternd. The load generator is bench/imap_load.c
# (build/tools/imap-load). See bench/imap_bench.py for the knobs.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
make --no-print-directory -s -j2 all tools >/dev/null
exec python3 bench/imap_bench.py "$@"
