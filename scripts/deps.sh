#!/bin/sh
# deps.sh: make sure the Debian packages Postern needs are installed.
# Idempotent and quiet when nothing is missing. As root it installs what is
# missing with apt-get; otherwise it names the packages and fails.
#   scripts/deps.sh build   packages to build and run
#   scripts/deps.sh test    plus what the test suite uses
set -eu

build_pkgs="make gcc pkg-config libssl-dev openssl libevent-dev libsqlite3-dev libcrypt-dev libmagic-dev libc-ares-dev libncurses-dev ca-certificates"
test_pkgs="clang libclang-rt-14-dev libcmocka-dev python3 curl swaks libnet-ssleay-perl libio-socket-ssl-perl postfix mutt fetchmail isync dovecot-imapd dovecot-pop3d tmux dnsmasq-base"

want=$build_pkgs
[ "${1:-build}" = test ] && want="$build_pkgs $test_pkgs"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "postern: missing Debian packages:$missing" >&2
	echo "postern: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "postern: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test peer and the benchmark's yardstick, never this machine's
# MTA: "No configuration" leaves it unconfigured and not running.
case "$missing" in *postfix*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections 2>/dev/null || true ;;
esac
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq >/dev/null 2>&1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
