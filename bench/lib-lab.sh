# bench/lib-lab.sh — what several bench scripts share (sourced, not run):
# the lab server, and the generated zone of two-MX domains.
#
#   lab_serve OUT LINE ARG...  start "$BIN" lab --serve ARG..., its output in
#       OUT.out and OUT.err; wait until it prints a line "LINE ..." (dns,
#       smtp, ca: what the caller needs); LAB_PID is its PID. The script
#       ends with the lab's stderr if the lab dies or is not up in 10 s.
#   lab_port OUT KIND           the port of the lab's "KIND ADDR:PORT" line
#   lab_addr OUT KIND           its ADDR:PORT
#   lab_stop                    stop the lab (by PID); call it from the
#                               caller's own EXIT trap
#   bench_zone N ZONE LIST NS [SCENARIO]  N domains d<i>.bench.test, each
#       MX 10 mx1.d<i> and MX 20 mx2.d<i>, each target one A in
#       127.16.0.0/12 (never probed) and no AAAA; NS is the address of the
#       zone's name server; SCENARIO adds the lab's $SCENARIO header. The
#       names go to LIST, one a line.

LAB_PID=

lab_serve() {
	local out="$1" line="$2"
	shift 2
	"$BIN" lab --serve "$@" >"$out.out" 2>"$out.err" &
	LAB_PID=$!
	for _ in $(seq 1 200); do
		grep -q "^$line " "$out.out" 2>/dev/null && return 0
		kill -0 "$LAB_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: the lab did not start" >&2
	cat "$out.err" >&2
	exit 1
}

lab_addr() { awk -v k="$2" '$1 == k {print $2; exit}' "$1.out"; }
lab_port() { lab_addr "$1" "$2" | awk -F: '{print $NF}'; }

lab_stop() {
	[ -n "$LAB_PID" ] || return 0
	kill "$LAB_PID" 2>/dev/null || true
	wait "$LAB_PID" 2>/dev/null || true
	LAB_PID=
}

bench_zone() {
	python3 - "$1" "$2" "$3" "$4" "${5:-}" <<'PY'
import sys
n, zone, lst, ns, scen = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(zone, "w") as z, open(lst, "w") as l:
    if scen:
        z.write(f"$SCENARIO {scen}\n$TITLE generated benchmark zone\n$DOMAIN d0.bench.test.\n")
    z.write("$ORIGIN bench.test.\n$TTL 300\n")
    z.write(f"@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A {ns}\n")
    for i in range(n):
        a = 16 + (2 * i) // 65536; b = ((2 * i) // 256) % 256; c = (2 * i) % 256
        z.write(f"d{i} MX 10 mx1.d{i}\nd{i} MX 20 mx2.d{i}\n")
        z.write(f"mx1.d{i} A 127.{a}.{b}.{c}\nmx2.d{i} A 127.{a}.{b}.{c + 1}\n")
        l.write(f"d{i}.bench.test\n")
PY
}
