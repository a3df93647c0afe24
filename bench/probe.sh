#!/bin/bash
# bench/probe.sh — SMTP probes per second against the lab's SMTP listeners,
# beside the same number of `curl smtp://ADDRESS -X NOOP` run through
# `xargs -P 32`, in one run. Also mxscope's peak RSS.
#
# The zone has N domains, each with one MX whose address is one of ADDRS
# loopback addresses (so at most ADDRS probes can be in flight: mxscope
# keeps one connection per address). The lab hosts say `starttls=no` so
# both sides do the same work: greeting, EHLO, NOOP, QUIT.
#
# Usage: bench/probe.sh [N] [ADDRS]   (defaults 4000 and 400)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-4000}"
ADDRS="${2:-400}"
OUT=bench/out
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { apt-get update -q >/dev/null; apt-get install -y -q --no-install-recommends time >/dev/null; }
command -v curl >/dev/null || { apt-get update -q >/dev/null; apt-get install -y -q --no-install-recommends curl >/dev/null; }
scripts/setup build >/dev/null 2>&1
BIN=build/src/mxscope
ulimit -n 4096 2>/dev/null || true

python3 - "$N" "$ADDRS" "$OUT/probe.zone" "$OUT/probe.txt" "$OUT/probe-addrs.txt" <<'EOF'
import sys
n, addrs, zone, lst, alist = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ip = lambda k: f"127.42.{k // 250}.{k % 250 + 1}"
with open(zone, "w") as z, open(lst, "w") as l, open(alist, "w") as a:
    z.write("$SCENARIO probebench\n$TITLE generated probe benchmark\n$DOMAIN d0.pb.test.\n")
    z.write("$ORIGIN pb.test.\n$TTL 300\n")
    for k in range(addrs):
        z.write(f"h{k} A {ip(k)}\n$SMTP {ip(k)} accept starttls=no\n")
    for i in range(n):
        z.write(f"d{i} MX 10 h{i % addrs}\n")
        l.write(f"d{i}.pb.test\n")
        a.write(f"{ip(i % addrs)}\n")
EOF

. bench/lib-lab.sh
trap lab_stop EXIT
lab_serve "$OUT/plab" ca --port 0 --smtp-port 0 "$OUT/probe.zone"
DNS=$(lab_addr "$OUT/plab" dns)
PORT=$(lab_port "$OUT/plab" smtp)

now() { date +%s.%N; }

echo "== mxscope check -f: $N domains, one probe each, up to 200 in flight"
t0=$(now)
/usr/bin/time -f "%M" -o "$OUT/probe.rss" "$BIN" check --json --allow-loopback --concurrency 200 \
	--timeout 5 -s "$DNS" --smtp-port "$PORT" -f "$OUT/probe.txt" >"$OUT/probe.jsonl" 2>"$OUT/probe.err" || true
t1=$(now)
OK=$(grep -c '"delivered_to":{' "$OUT/probe.jsonl" || true)
MX_RATE=$(python3 -c "print(f'{$N / ($t1 - $t0):.0f}')")
echo "mxscope: $OK of $N delivered_to in $(python3 -c "print(f'{$t1-$t0:.2f}')") s = $MX_RATE probes/s (DNS included), peak RSS $(( $(cat "$OUT/probe.rss") / 1024 )) MB"

echo "== curl smtp://ADDRESS:$PORT -X NOOP through xargs -P 32 ($N probes)"
t0=$(now)
xargs -P 32 -I{} curl -s -m 5 -X NOOP "smtp://{}:$PORT/bench.invalid" -o /dev/null -w '%{response_code}\n' \
	<"$OUT/probe-addrs.txt" >"$OUT/curl.codes" 2>/dev/null || true
t1=$(now)
CURL_OK=$(grep -c '^250$' "$OUT/curl.codes" || true)
CURL_RATE=$(python3 -c "print(f'{$N / ($t1 - $t0):.0f}')")
echo "curl: $CURL_OK of $N answered 250 in $(python3 -c "print(f'{$t1-$t0:.2f}')") s = $CURL_RATE probes/s"

echo
echo "summary ($(nproc) cores): mxscope $MX_RATE probes/s, curl|xargs -P 32 $CURL_RATE probes/s," \
	"ratio $(python3 -c "print(f'{$MX_RATE / $CURL_RATE:.1f}')")x"
