#!/bin/bash
# bench/tui.sh — the explorer under load, through a real terminal (tmux):
# 1,000 domains listed while 200 probes are in flight (200 lab hosts that
# drip their greeting one byte a second, re-probed every second), then
#   - keypress to screen: MXSCOPE_TRACE_KEYS logs, per key, the time from
#     reading it to the doupdate() that shows it; keys come from send-keys
#   - time to the first screen (from the app's start, same trace)
#   - CPU while 200 probes run and nothing is pressed, and CPU with nothing
#     to do at all (no domains), each over 10 s from /proc/PID/stat
# Targets (issue 4 item 12): p99 < 20 ms, idle < 1% CPU, first screen < 100 ms.
#
# Usage: bench/tui.sh [DOMAINS] [ADDRS] [KEYS]   (defaults 1000, 200, 300)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000}"
ADDRS="${2:-200}"
KEYS="${3:-300}"
OUT=bench/out
mkdir -p "$OUT"
command -v tmux >/dev/null || { echo "bench/tui.sh needs tmux"; exit 1; }
[ -x build/src/mxscope ] || ninja -C build >/dev/null
BIN=$PWD/build/src/mxscope
STATE=$(mktemp -d /tmp/mxscope-bench-XXXXXX)
SOCK="$STATE/tmux.sock"
ulimit -n 4096 2>/dev/null || true

python3 - "$N" "$ADDRS" "$OUT/tui.zone" "$OUT/tui-domains.txt" <<'PY'
import sys
n, addrs, zone, lst = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ip = lambda k: f"127.43.{k // 250}.{k % 250 + 1}"
with open(zone, "w") as z, open(lst, "w") as l:
    z.write("$SCENARIO tuibench\n$TITLE generated explorer benchmark\n$DOMAIN d0.tb.test.\n")
    z.write("$ORIGIN tb.test.\n$TTL 300\n")
    for k in range(addrs):
        z.write(f"h{k} A {ip(k)}\n$SMTP {ip(k)} tarpit starttls=no\n")
    for i in range(n):
        z.write(f"d{i} MX 10 h{i % addrs}\n")
        l.write(f"d{i}.tb.test\n")
PY

"$BIN" lab --serve --port 0 --smtp-port 0 "$OUT/tui.zone" >"$OUT/tlab.out" 2>"$OUT/tlab.err" &
LAB=$!
cleanup() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1 || true
	kill $LAB 2>/dev/null || true
	wait $LAB 2>/dev/null || true
	rm -rf "$STATE"
}
trap cleanup EXIT
for _ in $(seq 1 200); do
	grep -q "^ca " "$OUT/tlab.out" 2>/dev/null && break
	sleep 0.05
done
DNS=$(awk '/^dns /{print $2; exit}' "$OUT/tlab.out")
PORT=$(awk '/^smtp /{split($2, a, ":"); print a[2]; exit}' "$OUT/tlab.out")

cpu_pct() { # PID SECONDS: CPU share of the process over that time
	local pid=$1 secs=$2 a b hz
	hz=$(getconf CLK_TCK)
	a=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
	sleep "$secs"
	b=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
	python3 -c "print(f'{100.0 * ($b - $a) / $hz / $secs:.2f}')"
}

screen() { tmux -S "$SOCK" capture-pane -p -t bench; }

echo "== $N domains, $ADDRS tarpit hosts re-probed every second, 120x40"
TRACE="$OUT/tui-trace.txt"
rm -f "$TRACE"
# the list goes in through the saved state, as a user's list would: 10,000
# names do not fit on a command line
mkdir -p "$STATE/mxscope"
{ echo "# mxscope state 1"; sed 's/^/domain /' "$OUT/tui-domains.txt"; } >"$STATE/mxscope/state"
tmux -S "$SOCK" -f /dev/null new-session -d -s bench -x 120 -y 40 \
	"env XDG_STATE_HOME=$STATE TERM=xterm-256color LANG=C.UTF-8 MXSCOPE_TRACE_KEYS=$TRACE $BIN -s $DNS --smtp-port $PORT --allow-loopback --timeout 5 --interval 1"
for _ in $(seq 1 200); do
	screen | grep -q "Domains ($N)" && break
	sleep 0.05
done
PID=$(tmux -S "$SOCK" display-message -p -t bench '#{pane_pid}')
sleep 3 # let the lookups end and the probes pile up
INFLIGHT=$(ss -tn state established "( dport = :$PORT )" 2>/dev/null | tail -n +2 | wc -l)
echo "SMTP connections open to the lab: $INFLIGHT"
echo "CPU with $N domains and the probes running, no keys, 10 s: $(cpu_pct "$PID" 10)%"

for i in $(seq 1 "$KEYS"); do
	if [ $((i % 2)) -eq 0 ]; then k=j; else k=k; fi
	[ $((i % 50)) -eq 0 ] && k=Tab
	tmux -S "$SOCK" send-keys -t bench "$k"
	sleep 0.02
done
sleep 0.5
tmux -S "$SOCK" send-keys -t bench q
sleep 0.5

python3 - "$TRACE" <<'PY'
import sys
keys, first = [], None
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] == "key":
        keys.append(float(w[1]))
    elif w[0] == "first-screen":
        first = float(w[1])
keys.sort()
pct = lambda p: keys[min(len(keys) - 1, int(p / 100 * len(keys)))]
print(f"keypress to screen over {len(keys)} keys: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, max {keys[-1]:.2f} ms")
print(f"first screen {first:.2f} ms after the app started")
PY

echo "== nothing to do: no domains, 10 s"
tmux -S "$SOCK" kill-server >/dev/null 2>&1 || true
rm -rf "$STATE"/mxscope
sleep 0.3
tmux -S "$SOCK" -f /dev/null new-session -d -s bench -x 120 -y 40 \
	"env XDG_STATE_HOME=$STATE TERM=xterm-256color LANG=C.UTF-8 MXSCOPE_TRACE_KEYS=$OUT/tui-idle.txt $BIN -s $DNS"
sleep 1
PID=$(tmux -S "$SOCK" display-message -p -t bench '#{pane_pid}')
echo "CPU idle, nothing listed: $(cpu_pct "$PID" 10)%"
echo "first screen (no domains): $(awk '/first-screen/{print $2 " ms"}' "$OUT/tui-idle.txt")"
tmux -S "$SOCK" send-keys -t bench q
