#!/bin/sh
# relay_bench.sh: relay throughput, posternd → Postfix's smtp-sink.
#
# N messages of 5 KB are injected with smtp-source (P parallel sessions)
# into posternd, whose route.* points at smtp-sink; the figure is messages
# per second from the first injection until the queue is empty and the
# sink has them all. Needs smtp-source and smtp-sink (Debian: postfix).
set -u
cd "$(dirname "$0")/.."
N=${RELAY_BENCH_N:-20000}
P=${RELAY_BENCH_P:-20}
for t in smtp-source smtp-sink; do
	command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || {
		echo "relay bench: $t not found (apt-get install postfix)"; exit 0; }
done
PATH=$PATH:/usr/sbin
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
tmp=$(mktemp -d /tmp/postern-relay-bench.XXXXXX)
chmod 755 "$tmp"
sinkport=$(port)
smtpport=$(port)
cat > "$tmp/postern.conf" <<CONF
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
build/posternd -c "$tmp/postern.conf" 2> "$tmp/posternd.log" &
pid=$!
for i in $(seq 50); do
	python3 -c "import socket;socket.create_connection(('127.0.0.1',$smtpport),1)" 2>/dev/null && break
	sleep 0.1
done
start=$(date +%s.%N)
smtp-source -s $P -l 5120 -m $N -f bench@bench.test -t sink@remote.test \
    127.0.0.1:$smtpport
inj=$(date +%s.%N)
while [ -n "$(ls "$tmp/data/queue/msg" 2>/dev/null)" ]; do sleep 0.05; done
end=$(date +%s.%N)
kill $pid $sinkpid 2>/dev/null
wait $pid 2>/dev/null
python3 - "$start" "$inj" "$end" "$N" <<'PY'
import sys
s, i, e, n = map(float, sys.argv[1:])
print(f"posternd relay: {int(n)} msgs of 5 KB, injected in {i - s:.1f}s, "
      f"relayed in {e - s:.1f}s: {n / (e - s):.0f} msg/s")
print("postfix relay: not measured here (issue 6 quotes ~250 msg/s "
      "on this machine); ratio vs 250: %.1fx" % (n / (e - s) / 250))
PY
grep -c "status=sent" "$tmp/posternd.log" | sed 's/^/sent log lines: /'
grep "deferred\|failed" "$tmp/posternd.log" | head -3
rm -rf "$tmp"
