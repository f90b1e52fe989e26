#!/bin/sh
# pop3_bench.sh: POP3 retrieval from posternd and from a Dovecot the bench
# configures on loopback (Debian dovecot-pop3d, Maildir, same messages,
# same yescrypt password hashes): 10 users x 100 messages of 10 KB,
# RETR rate with 10 parallel sessions and with 1, login-to-QUIT rate,
# and each server's peak RSS (all of its processes). Skips Dovecot when
# it is not installed. See bench/pop3_bench.py.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
make --no-print-directory -s all tools >/dev/null
exec python3 bench/pop3_bench.py "$@"
