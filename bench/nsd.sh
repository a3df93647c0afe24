#!/bin/bash
# bench/nsd.sh — mxscope against a real authoritative server, nsd 4.6, in one run:
#
#  (a) nsd with its DEFAULT configuration (response rate limiting on: 200
#      answers/s per source block and class, slip 2) on 127.0.0.88:53, N_ADNS
#      domains: `mxscope check --json --no-probe -f` against `adnshost -a -f
#      -t mx` on the same list (adns only asks port 53), and every report
#      checked against what the zone says (no answer lost);
#  (b) the same zone from nsd WITHOUT rate limiting (rrl-ratelimit: 0) on
#      127.0.0.88:5354, N domains: dnsperf's queries/s on the same questions
#      (MX of each domain, A and AAAA of each of its 2 targets: 5 a domain)
#      divided by 5 is the server-bound limit in domains/s; mxscope's rate
#      as a share of it;
#  (c) mxscope's peak RSS over RSS_N domains (a zone of its own, nsd
#      without rate limiting).
#
# Each domain d<i>.bench.test has MX 10 mx1.d<i> and MX 20 mx2.d<i>, each
# target one A (in 127.16.0.0/12, never probed) and no AAAA: the AAAA
# answers are the empty ones that share one rate-limit class per zone.
#
# Our nsd instances run in the foreground with their own config file,
# pidfile, zone directory and log under bench/out/nsd; the Debian package's
# own daemon is not started (policy-rc.d while installing) and nothing is
# asked of anything but 127.0.0.88. Needs root (port 53; apt-get).
#
# Usage: bench/nsd.sh [N] [N_ADNS] [RSS_N]    (defaults 5000 2000 100000)
#        PARTS=b bench/nsd.sh ...   only the parts named (default abc)
#        RUNS=5 bench/nsd.sh ...    runs of mxscope in (b) (default 3), fastest kept
#        BEFORE=/path/to/an/older/mxscope bench/nsd.sh ...   also times that
#        binary on (a) and (b), once each, for a before/after in the same run
set -euo pipefail
cd "$(dirname "$0")/.."

PARTS="${PARTS:-abc}"
RUNS="${RUNS:-3}"
N="${1:-5000}"
N_ADNS="${2:-2000}"
RSS_N="${3:-100000}"
ADDR=127.0.0.88
PORT_RRL=53
PORT_FREE=5354
OUT=bench/out/nsd
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

need=""
command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || need="$need nsd"
command -v adnshost >/dev/null || need="$need adns-tools"
command -v dnsperf >/dev/null || need="$need dnsperf"
command -v dig >/dev/null || need="$need bind9-dnsutils"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
	# no package's daemon may start (and take port 53) while installing
	made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $need >/dev/null
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	if command -v systemctl >/dev/null && systemctl is-active -q nsd 2>/dev/null; then
		systemctl disable --now nsd >/dev/null 2>&1 || true
	fi
fi
scripts/setup build >/dev/null 2>&1
BIN=build/src/mxscope

. bench/lib-lab.sh
gen() { bench_zone "$1" "$2" "$3" "$ADDR"; }

# nsd_conf NAME PORT ZONEFILE EXTRA / start_nsd NAME PORT: bench/lib-nsd.sh's,
# each instance in $OUT/NAME on $ADDR, serving bench.test
. bench/lib-nsd.sh
nsd_conf_bench() { nsd_conf "$OUT/$1" "$ADDR" "$2" bench.test "$3" "$4"; }
start_nsd() { nsd_start "$OUT/$1" "$ADDR" "$2" bench.test; }
stop_all() { nsd_stop_all; }
trap stop_all EXIT

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# lost LIST JSONL: domains of LIST without a whole report (MX NOERROR with
# its 2 targets, each A NOERROR with its address and AAAA NODATA)
lost() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
want = set(l.strip() for l in open(sys.argv[1]) if l.strip())
good = set()
for line in open(sys.argv[2]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    mx = r.get("mx") or []
    if r.get("mx_rcode") == "NOERROR" and len(mx) == 2 and all(
            h.get("a_rcode") == "NOERROR" and len(h.get("addresses") or []) == 1
            and h.get("aaaa_rcode") == "NODATA" for h in mx):
        good.add(r.get("domain"))
print(len(want - good))
EOF
}

# mxscope LIST PORT TAG [RUNS]: the fastest of RUNS runs (default 1; the
# machine is shared and a run of a second is at the mercy of its
# neighbours), 2 s apart so a rate limiter starts each one afresh; every run
# is checked for lost answers. Sets MX_SECS, MX_RATE, MX_LOST (the most of
# any run), MX_RSS, MX_ALL (every run's seconds).
mxscope_run() {
	local list="$1" port="$2" tag="$3" runs="${4:-1}" n t0 t1 s l
	n=$(wc -l <"$list")
	MX_SECS="" MX_LOST=0 MX_ALL=""
	for r in $(seq 1 "$runs"); do
		[ "$r" -gt 1 ] && sleep 2
		t0=$(now)
		/usr/bin/time -f "%M" -o "$OUT/$tag.rss" "${RUN_BIN:-$BIN}" check --json --no-probe \
			--allow-loopback --seed 1 -s "$ADDR:$port" -f "$list" >"$OUT/$tag.jsonl" \
			2>"$OUT/$tag.err" || true
		t1=$(now)
		s=$(secs "$t0" "$t1")
		l=$(lost "$list" "$OUT/$tag.jsonl")
		MX_ALL="$MX_ALL $s"
		[ "$l" -gt "$MX_LOST" ] && MX_LOST=$l
		if [ -z "$MX_SECS" ] || python3 -c "import sys; sys.exit(not $s < $MX_SECS)"; then
			MX_SECS=$s
		fi
	done
	MX_RATE=$(python3 -c "print(f'{$n / $MX_SECS:.0f}')")
	MX_RSS=$(($(cat "$OUT/$tag.rss") / 1024))
}

echo "== generating $N domains (and $RSS_N for the RSS run)"
gen "$N" "$OUT/bench.zone" "$OUT/list.txt"
head -n "$N_ADNS" "$OUT/list.txt" >"$OUT/list-adns.txt"
[[ $PARTS == *c* ]] && gen "$RSS_N" "$OUT/big.zone" "$OUT/big.txt"
awk '{print $1" MX"; print "mx1."$1" A"; print "mx1."$1" AAAA"; print "mx2."$1" A"; print "mx2."$1" AAAA"}' \
	"$OUT/list.txt" >"$OUT/dnsperf.txt"

nsd_conf_bench rrl "$PORT_RRL" "$OUT/bench.zone" ""
nsd_conf_bench free "$PORT_FREE" "$OUT/bench.zone" "	rrl-ratelimit: 0"
[[ $PARTS == *c* ]] && nsd_conf_bench big "$((PORT_FREE + 1))" "$OUT/big.zone" "	rrl-ratelimit: 0"

# what a part that did not run shows in the summary
RRL_RATE=- RRL_ALL=" -" RRL_LOST=- AD_RATE=- AD_SECS=- AD_OK=- RATIO=- RRL_QPS=- RRL_DP_LOST=-
FREE_RATE=- FREE_ALL=" -" FREE_LOST=- SERVER_QPS=- LIMIT=- SHARE=- BIG_RSS=- BIG_RATE=- BIG_LOST=-
B_RRL=- B_FREE=-
if [[ $PARTS == *b* ]]; then
echo "== (b) nsd without rate limiting, $N domains"
start_nsd free "$PORT_FREE"
dnsperf -s "$ADDR" -p "$PORT_FREE" -d "$OUT/dnsperf.txt" -l 10 -c 1 -q 100 >"$OUT/dnsperf.log" 2>&1 || true
SERVER_QPS=$(awk '/Queries per second/ {print int($4)}' "$OUT/dnsperf.log")
SERVER_LOST=$(awk '/Queries lost/ {print $3" "$4}' "$OUT/dnsperf.log")
LIMIT=$(python3 -c "print(f'{$SERVER_QPS / 5:.0f}')")
mxscope_run "$OUT/list.txt" "$PORT_FREE" free "$RUNS"
FREE_SECS=$MX_SECS FREE_RATE=$MX_RATE FREE_LOST=$MX_LOST FREE_ALL=$MX_ALL
SHARE=$(python3 -c "print(f'{100 * $FREE_RATE / $LIMIT:.0f}')")
echo "dnsperf ${SERVER_QPS} queries/s (lost $SERVER_LOST) = limit $LIMIT domains/s"
echo "mxscope $FREE_RATE domains/s (best of${FREE_ALL} s, $FREE_LOST lost) = $SHARE% of the limit"
if [ -n "${BEFORE:-}" ]; then
	RUN_BIN=$BEFORE mxscope_run "$OUT/list.txt" "$PORT_FREE" before-free "$RUNS"
	echo "before ($BEFORE): $MX_RATE domains/s ($MX_SECS s, $MX_LOST lost)"
	B_FREE="$MX_RATE domains/s ($MX_SECS s, $MX_LOST lost)"
fi
# 2 shards at once, same list and seed: their lines together are one run's
# (each line's "at" aside)
t0=$(now)
shard_pids=()
for k in 1 2; do
	"$BIN" check --json --no-probe --allow-loopback --seed 1 -s "$ADDR:$PORT_FREE" --shard "$k/2" \
		-f "$OUT/list.txt" >"$OUT/shard-$k.jsonl" 2>"$OUT/shard-$k.err" &
	shard_pids+=($!)
done
wait "${shard_pids[@]}" || true # not nsd, which runs in the background too
t1=$(now)
"$BIN" check --json --no-probe --allow-loopback --seed 1 -s "$ADDR:$PORT_FREE" \
	-f "$OUT/list.txt" >"$OUT/one.jsonl" 2>"$OUT/one.err" || true
strip_at() { sed 's/"at":"[^"]*"//' "$@" | sort; }
if cmp -s <(strip_at "$OUT/one.jsonl") <(strip_at "$OUT/shard-1.jsonl" "$OUT/shard-2.jsonl"); then
	SHARDS="2 shards ($(wc -l <"$OUT/shard-1.jsonl") + $(wc -l <"$OUT/shard-2.jsonl") lines, $(secs "$t0" "$t1") s at once): union == one run"
else
	SHARDS="2 shards: union DIFFERS from one run (bench/out/nsd/shard-*.jsonl, one.jsonl)"
fi
echo "$SHARDS"
stop_all
fi

if [[ $PARTS == *a* ]]; then
echo "== (a) nsd with its default configuration (rate limiting on), $N_ADNS domains"
start_nsd rrl "$PORT_RRL"
mxscope_run "$OUT/list-adns.txt" "$PORT_RRL" rrl 3
RRL_SECS=$MX_SECS RRL_RATE=$MX_RATE RRL_LOST=$MX_LOST RRL_ALL=$MX_ALL
echo "mxscope $RRL_RATE domains/s (best of${RRL_ALL} s, $RRL_LOST of $N_ADNS lost)"
if [ -n "${BEFORE:-}" ]; then
	sleep 2
	RUN_BIN=$BEFORE mxscope_run "$OUT/list-adns.txt" "$PORT_RRL" before-rrl
	echo "before ($BEFORE): $MX_RATE domains/s ($MX_SECS s, $MX_LOST lost)"
	B_RRL="$MX_RATE domains/s ($MX_SECS s, $MX_LOST lost)"
fi
sleep 2 # let nsd's rate counters settle: adnshost gets the same start
t0=$(now)
adnshost --config "nameserver $ADDR" -a -f -t mx <"$OUT/list-adns.txt" >"$OUT/adnshost.out" \
	2>"$OUT/adnshost.err" || true
t1=$(now)
AD_SECS=$(secs "$t0" "$t1")
AD_OK=$(grep -cE '^[0-9]+ [0-9]+ ok ' "$OUT/adnshost.out" || true)
AD_RATE=$(python3 -c "print(f'{$N_ADNS / $AD_SECS:.1f}')")
RATIO=$(python3 -c "print(f'{$RRL_RATE / $AD_RATE:.1f}')")
echo "adnshost $AD_RATE domains/s ($AD_SECS s, $AD_OK of $N_ADNS answered)"
# the limiter as dnsperf sees it: AAAA questions, every answer empty
sleep 2
grep ' AAAA$' "$OUT/dnsperf.txt" >"$OUT/dnsperf-aaaa.txt"
dnsperf -s "$ADDR" -p "$PORT_RRL" -d "$OUT/dnsperf-aaaa.txt" -l 3 -c 1 -q 100 >"$OUT/dnsperf-rrl.log" 2>&1 || true
RRL_QPS=$(awk '/Queries per second/ {print int($4)}' "$OUT/dnsperf-rrl.log")
RRL_DP_LOST=$(awk '/Queries lost/ {print $3" "$4}' "$OUT/dnsperf-rrl.log")
echo "dnsperf, empty AAAA answers over UDP: $RRL_QPS answers/s, lost $RRL_DP_LOST"
stop_all
fi

if [[ $PARTS == *c* ]]; then
echo "== (c) peak RSS over $RSS_N domains"
start_nsd big "$((PORT_FREE + 1))"
mxscope_run "$OUT/big.txt" "$((PORT_FREE + 1))" big
BIG_RATE=$MX_RATE BIG_LOST=$MX_LOST BIG_RSS=$MX_RSS
stop_all
fi

echo
echo "summary ($(nproc) cores, nsd $("$NSD" -v 2>&1 | awk 'NR==1 {print $3}'), c-ares $(dpkg-query -W -f '${Version}' libc-ares2 2>/dev/null || echo ?)):"
echo "  (a) rate limiting on, $N_ADNS domains:  mxscope $RRL_RATE domains/s (best of${RRL_ALL} s, $RRL_LOST lost),"
echo "      adnshost $AD_RATE domains/s ($AD_SECS s, $AD_OK answered): ${RATIO}x adnshost"
echo "      (the limiter: dnsperf gets $RRL_QPS empty AAAA answers/s over UDP, lost $RRL_DP_LOST)"
echo "  (b) no rate limiting, $N domains:       mxscope $FREE_RATE domains/s (best of${FREE_ALL} s, $FREE_LOST lost),"
echo "      ${SHARDS:-shards not run}"
echo "      dnsperf $SERVER_QPS queries/s / 5 = $LIMIT domains/s: ${SHARE}% of the server-bound limit"
echo "  (c) peak RSS, $RSS_N domains:          $BIG_RSS MB ($BIG_RATE domains/s, $BIG_LOST lost)"
if [ -n "${BEFORE:-}" ]; then
	echo "  before: (a) $B_RRL; (b) $B_FREE"
fi
