#!/bin/bash
# bench/run.sh — mxscope check throughput and memory against a peer, in one run.
#
# Generates a zone of N domains (2 MX each, an A for each target), serves it
# with the lab DNS server on 127.0.0.77:53 (port 53 because adns cannot use
# another), then resolves the same list with
#   mxscope check --json --no-probe -f LIST      (MX + A + AAAA for each target)
#   adnshost -a -f -t mx < LIST                  (MX, with the targets' addresses)
# and prints domains/s for both, the ratio, and mxscope's peak RSS. It also
# measures the lab server alone with dnsperf, so a slow server is not mistaken
# for a slow client. Every address is on loopback.
#
# Usage: bench/run.sh [N] [RSS_N]   (defaults 10000 and 100000; root for port 53)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-10000}"
RSS_N="${2:-100000}"
ADDR=127.0.0.77
OUT=bench/out
mkdir -p "$OUT"

need=""
command -v adnshost >/dev/null || need="$need adns-tools"
command -v dnsperf >/dev/null || need="$need dnsperf"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
	apt-get update -q >/dev/null; apt-get install -y -q --no-install-recommends $need >/dev/null
fi
scripts/setup build >/dev/null 2>&1
BIN=build/src/mxscope

. bench/lib-lab.sh
gen() { bench_zone "$1" "$2" "$3" "$ADDR" bench; }

start_lab() { lab_serve "$OUT/lab" dns --bind "$ADDR" --port 53 "$1"; }
stop_lab() { lab_stop; }
trap stop_lab EXIT

now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):.0f}')"; }

echo "== generating $N domains"
gen "$N" "$OUT/bench.zone" "$OUT/list.txt"
start_lab "$OUT/bench.zone"

echo "== lab server alone (dnsperf, 10 s of MX and A questions)"
awk '{print $1" MX"} NR%2==0 {print "mx1."$1" A"}' "$OUT/list.txt" >"$OUT/dnsperf.txt"
dnsperf -s "$ADDR" -p 53 -d "$OUT/dnsperf.txt" -l 10 -c 1 -Q 500000 -q 500 >"$OUT/dnsperf.log" 2>&1 || true
SERVER_QPS=$(awk '/Queries per second/ {print int($4)}' "$OUT/dnsperf.log")
SERVER_LOST=$(awk '/Queries lost/ {print $3" ("$4")"}' "$OUT/dnsperf.log")
echo "lab server: ${SERVER_QPS:-?} queries/s, lost ${SERVER_LOST:-?}"

echo "== mxscope check --json --no-probe -f ($N domains)"
t0=$(now)
/usr/bin/time -f "%M" -o "$OUT/mxscope.rss" "$BIN" check --json --no-probe --allow-loopback \
	--seed 1 -s "$ADDR:53" -f "$OUT/list.txt" >"$OUT/mxscope.jsonl" 2>"$OUT/mxscope.err" || true
t1=$(now)
MX_LINES=$(wc -l <"$OUT/mxscope.jsonl")
MX_OK=$(grep -c '"attempt_order":\[{' "$OUT/mxscope.jsonl" || true)
MX_RATE=$(rate "$MX_LINES" "$t0" "$t1")
echo "mxscope: $MX_LINES reports ($MX_OK with a route) in $(python3 -c "print(f'{$t1-$t0:.2f}')") s = $MX_RATE domains/s, peak RSS $(( $(cat "$OUT/mxscope.rss") / 1024 )) MB"

echo "== adnshost -a -f -t mx ($N domains)"
t0=$(now)
adnshost --config "nameserver $ADDR" -a -f -t mx <"$OUT/list.txt" >"$OUT/adnshost.out" 2>"$OUT/adnshost.err" || true
t1=$(now)
AD_LINES=$(grep -cE '^[0-9]+ [0-9]+ ok ' "$OUT/adnshost.out" || true)
AD_RATE=$(rate "$N" "$t0" "$t1")
echo "adnshost: $AD_LINES domains answered in $(python3 -c "print(f'{$t1-$t0:.2f}')") s = $AD_RATE domains/s"
RATIO=$(python3 -c "print(f'{$MX_RATE / $AD_RATE:.1f}')")
stop_lab

echo "== peak RSS over $RSS_N domains (streamed)"
gen "$RSS_N" "$OUT/big.zone" "$OUT/big.txt"
start_lab "$OUT/big.zone"
t0=$(now)
/usr/bin/time -f "%M" -o "$OUT/big.rss" "$BIN" check --json --no-probe --allow-loopback --seed 1 \
	-s "$ADDR:53" -f "$OUT/big.txt" >"$OUT/big.jsonl" 2>"$OUT/big.err" || true
t1=$(now)
BIG_LINES=$(wc -l <"$OUT/big.jsonl")
BIG_RSS=$(( $(cat "$OUT/big.rss") / 1024 ))
stop_lab

echo
echo "summary ($(nproc) cores):"
echo "  lab server alone       ${SERVER_QPS:-?} queries/s"
echo "  mxscope check          $MX_RATE domains/s ($N domains, 5 questions each: MX, A and AAAA per target)"
echo "  adnshost -t mx         $AD_RATE domains/s"
echo "  ratio                  ${RATIO}x adnshost"
echo "  peak RSS, $RSS_N dom.  $BIG_RSS MB ($BIG_LINES reports, $(rate "$BIG_LINES" "$t0" "$t1") domains/s)"
