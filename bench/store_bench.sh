#!/bin/sh
# store_bench.sh: local delivery throughput into one Maildir INBOX
# (5 KB messages, durable: file fsync, rename, directory fsync and an
# SQLite synchronous=FULL commit before each delivery returns), with 1 and
# with 20 concurrent writer processes, printed beside what the same disk
# can do: the rate of 4 KB write+fsync, and of durable new files
# (create, write 5 KB, fsync, rename, fsync dir).
#   bench/store_bench.sh [MESSAGES_PER_RUN]    (default 600)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
make --no-print-directory -s all tools >/dev/null
n=${1:-600}
work=$(mktemp -d "$root/build/bench-store.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
printf 'data_dir = data\ndomains = bench.test\nhostname = bench\n' \
    > "$work/p.conf"
ctl="build/posternctl -c $work/p.conf"
tool="build/tools/store_tool -c $work/p.conf"
echo pw | $ctl user add one@bench.test
echo pw | $ctl user add many@bench.test

now() { python3 -c 'import time; print(time.monotonic())'; }
rate() { python3 -c "print('%.0f' % ($1 / ($3 - $2)))"; }

# One writer.
t0=$(now)
$tool deliver s@bench.test one@bench.test "$n" one 5120 >/dev/null
t1=$(now)
r1=$(rate "$n" "$t0" "$t1")

# Twenty writers on the same mailbox.
per=$((n / 20))
t0=$(now)
i=0
while [ $i -lt 20 ]; do
	$tool deliver s@bench.test many@bench.test "$per" "w$i" 5120 \
	    >/dev/null &
	i=$((i + 1))
done
wait
t1=$(now)
r20=$(rate "$((per * 20))" "$t0" "$t1")

# The disk's own bounds, measured in the same directory.
bounds=$(python3 - "$work" <<'PY'
import os, sys, time
d = sys.argv[1]
buf = b'x' * 4096
fd = os.open(os.path.join(d, 'fsync.dat'), os.O_WRONLY | os.O_CREAT, 0o600)
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < 2:
    os.pwrite(fd, buf, 0)
    os.fsync(fd)
    n += 1
fs = n / (time.monotonic() - t0)
os.close(fd)
body = b'y' * 5120
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < 2:
    tmp = os.path.join(d, 'tmp.%d' % n)
    f = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(f, body)
    os.fsync(f)
    os.close(f)
    os.rename(tmp, os.path.join(d, 'new.%d' % n))
    os.fsync(dfd)
    n += 1
nf = n / (time.monotonic() - t0)
print('%.0f %.0f' % (fs, nf))
PY
)
fs=${bounds% *}
nf=${bounds#* }

printf 'store delivery (5 KB, durable), %s messages per run\n' "$n"
printf '  %-34s %8s msg/s\n' "1 writer" "$r1"
printf '  %-34s %8s msg/s\n' "20 concurrent writers, one INBOX" "$r20"
printf '  %-34s %8s /s\n' "disk: 4 KB write + fsync" "$fs"
printf '  %-34s %8s /s\n' "disk: durable new file (5 KB)" "$nf"
