#!/bin/sh
# run.sh: `make run` — posternd in the foreground with the default config,
# every service on loopback, data in ./var.
set -eu
cd "$(dirname "$0")/.."
conf=etc/postern.conf
cat <<MSG
Postern on loopback with $conf (data in ./var, local domain localhost):
  SMTP (MTA)              127.0.0.1:2525
  submission (STARTTLS)   127.0.0.1:2587
  submissions (TLS)       127.0.0.1:2465
  POP3 / POP3S            127.0.0.1:2110 / 127.0.0.1:2995
  IMAP / IMAPS            127.0.0.1:2143 / 127.0.0.1:2993
Add a user (another terminal):
  echo 'secret' | build/posternctl -c $conf user add you@localhost
Stop with Ctrl-C.
MSG
exec build/posternd -c "$conf"
