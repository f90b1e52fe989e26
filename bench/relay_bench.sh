#!/bin/sh
# relay_bench.sh: relay throughput, posternd → Postfix's smtp-sink.
#
# N messages of 5 KB are injected with smtp-source (P parallel sessions)
# into posternd, whose route.* points at smtp-sink; the figure is messages
# per second from the first injection until the queue is empty. Then the
# same through a bench-configured Postfix (relayhost = the sink), and the
# ratio. Needs smtp-source and smtp-sink (Debian: postfix); Postfix's
# side needs root. As root each server's data lives on a fresh ext4 of its
# own (a loop device, as bench/smtp_bench.py does): both servers start
# from the same clean state (no recently freed inodes for ext4 to scan
# past), and posternd's group commits are journal commits there (on a
# journal-less file system they are a syncfs, which on a shared file
# system also waits for every other process's dirty data).
set -u
cd "$(dirname "$0")/.."
N=${RELAY_BENCH_N:-20000}
P=${RELAY_BENCH_P:-20}
POSTERND=${RELAY_BENCH_POSTERND:-build/posternd}	# e.g. an older build, A/B
for t in smtp-source smtp-sink; do
	command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || {
		echo "relay bench: $t not found (apt-get install postfix)"; exit 0; }
done
PATH=$PATH:/usr/sbin
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
tmp=$(mktemp -d /tmp/postern-relay-bench.XXXXXX)
chmod 755 "$tmp"
mounts=""
# freshfs DIR: DIR becomes a new journaled ext4 (root only; else a folder).
freshfs() {
	mkdir -p "$1"
	if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null 2>&1 &&
	    truncate -s 3G "$1.img" && mkfs.ext4 -q -F "$1.img" &&
	    mount -o loop "$1.img" "$1"; then
		mounts="$mounts $1"
	fi
	chmod 755 "$1"
}
cleanup() {
	# (a server's processes may take a moment to let go of the mount)
	for m in $mounts; do
		for i in $(seq 20); do
			umount "$m" 2>/dev/null && break
			sleep 0.5
		done
		mountpoint -q "$m" && { echo "relay bench: cannot unmount $m"; continue; }
		rm -f "$m.img"
	done
	rm -rf "$tmp" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
freshfs "$tmp/p"
sinkport=$(port)
smtpport=$(port)
cat > "$tmp/p/postern.conf" <<CONF
hostname = bench.test
domains = bench.test
data_dir = data
smtp_listen = 127.0.0.1:$smtpport
submission_listen =
submissions_listen =
pop3_listen =
pop3s_listen =
imap_listen =
imaps_listen =
relay_networks = 127.0.0.0/8
route.* = 127.0.0.1:$sinkport
CONF
u=""; [ "$(id -u)" = 0 ] && u="-u nobody"
smtp-sink $u -c 127.0.0.1:$sinkport 1000 > "$tmp/sink.out" 2>&1 &
sinkpid=$!
$POSTERND -c "$tmp/p/postern.conf" 2> "$tmp/posternd.log" &
pid=$!
for i in $(seq 50); do
	python3 -c "import socket;socket.create_connection(('127.0.0.1',$smtpport),1)" 2>/dev/null && break
	sleep 0.1
done
start=$(date +%s.%N)
smtp-source -s $P -l 5120 -m $N -f bench@bench.test -t sink@remote.test \
    127.0.0.1:$smtpport
inj=$(date +%s.%N)
# (find stops at the first entry: listing and sorting thousands of names
# every 50 ms would cost the server, whose directory it is, CPU and locks)
while [ -n "$(find "$tmp/p/data/queue/msg" -mindepth 1 -print -quit 2>/dev/null)" ]; do
	sleep 0.05
done
end=$(date +%s.%N)
kill $pid $sinkpid 2>/dev/null
wait $pid $sinkpid 2>/dev/null
pt=$(python3 -c "print($end - $start)")
echo "posternd relay: $N msgs of 5 KB, $P sessions: $(python3 -c "print(f'{$N / $pt:.0f}')") msg/s ($(printf %.1f $pt)s)"
echo "  injection took $(python3 -c "print(f'{$inj - $start:.1f}')")s, the queue was empty $(python3 -c "print(f'{$end - $inj:.1f}')")s later"
grep -c "status=sent" "$tmp/posternd.log" | sed 's/^/  sent log lines: /'

# The same load through a bench-configured Postfix (root only: its master
# needs it), relayhost = the same smtp-sink.
ft=""
if [ "${RELAY_BENCH_POSTFIX:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v postfix >/dev/null 2>&1 && id postfix >/dev/null 2>&1; then
	pf=$tmp/pf
	freshfs $pf
	mkdir -p $pf/conf $pf/queue $pf/data
	chown postfix:postfix $pf/data
	chmod 755 "$tmp" $pf
	pfport=$(port)
	cat > $pf/conf/main.cf <<CONF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
myhostname = pf.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$sinkport
maillog_file = /dev/stdout
CONF
	{ echo "127.0.0.1:$pfport inet n - n - - smtpd"
	  grep -v '^#' /etc/postfix/master.cf | grep -v '^[[:space:]]' |
	      grep -v '^$' | grep -v '^smtp[[:space:]]*inet' | grep -v '^postlog'
	  echo "postlog unix-dgram n - n - 1 postlogd"; } > $pf/conf/master.cf
	smtp-sink $u -c 127.0.0.1:$sinkport 1000 > "$tmp/sink2.out" 2>&1 &
	sinkpid=$!
	postfix -c $pf/conf start-fg > $pf/out 2>&1 &
	pfpid=$!
	for i in $(seq 100); do
		python3 -c "import socket;socket.create_connection(('127.0.0.1',$pfport),1)" 2>/dev/null && break
		sleep 0.1
	done
	[ -s $pf/out ] && grep -i "fatal\|error" $pf/out | head -3
	start=$(date +%s.%N)
	smtp-source -s $P -l 5120 -m $N -f bench@bench.test -t sink@remote.test \
	    127.0.0.1:$pfport
	sleep 0.5
	while [ -n "$(find $pf/queue/maildrop $pf/queue/incoming $pf/queue/active $pf/queue/deferred -type f -print -quit 2>/dev/null)" ]; do
		sleep 0.05
	done
	end=$(date +%s.%N)
	postfix -c $pf/conf stop >/dev/null 2>&1
	wait $pfpid 2>/dev/null
	kill $sinkpid 2>/dev/null
	ft=$(python3 -c "print($end - $start)")
	echo "postfix relay:  $N msgs of 5 KB, $P sessions: $(python3 -c "print(f'{$N / $ft:.0f}')") msg/s ($(printf %.1f $ft)s)"
	echo "ratio posternd/postfix: $(python3 -c "print(f'{$ft / $pt:.1f}')")x (target >= 3x)"
else
	echo "postfix relay: not measured (needs root and postfix)"
fi
