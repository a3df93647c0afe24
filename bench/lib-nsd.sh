# bench/lib-nsd.sh — our own nsd instances for the bench scripts (sourced,
# not run): each runs in the foreground from its own config file, pidfile,
# zone directory and log in a directory of ours, with nsd's defaults (rate
# limiting on) but for where it listens and keeps its files. The Debian
# package's own daemon is never started or touched.
#
#   nsd_conf DIR ADDR PORT ZONE ZONEFILE [EXTRA]  write DIR/nsd.conf serving
#       ZONE from a copy of ZONEFILE on ADDR:PORT; EXTRA is more server:
#       lines (e.g. "	rrl-ratelimit: 0")
#   nsd_start DIR ADDR PORT ZONE   start it, wait until ZONE's SOA answers;
#       its PID joins NSD_PIDS
#   nsd_stop_all                   stop every nsd started here (by PID)
#
# The caller sets its own EXIT trap and calls nsd_stop_all from it.

NSD=$(command -v nsd || echo /usr/sbin/nsd)
NSD_PIDS=()

nsd_conf() {
	local dir="$1" addr="$2" port="$3" zone="$4" zonefile="$5" extra="${6:-}"
	mkdir -p "$dir"
	cp "$zonefile" "$dir/zone"
	cat >"$dir/nsd.conf" <<EOF
server:
	ip-address: $addr
	port: $port
	pidfile: "$dir/nsd.pid"
	zonesdir: "$dir"
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	database: ""
	username: ""
	chroot: ""
	logfile: "$dir/nsd.log"
$extra
remote-control:
	control-enable: no
zone:
	name: "$zone"
	zonefile: "zone"
EOF
}

nsd_start() {
	local dir="$1" addr="$2" port="$3" zone="$4"
	if ss -lun 2>/dev/null | grep -q " $addr:$port "; then
		echo "bench: something already listens on $addr:$port" >&2
		exit 1
	fi
	"$NSD" -d -c "$dir/nsd.conf" >"$dir/stdout" 2>&1 &
	NSD_PIDS+=($!)
	for _ in $(seq 1 600); do
		if dig +norec +tries=1 +time=1 -p "$port" @"$addr" "$zone" SOA 2>/dev/null |
			grep -q 'status: NOERROR'; then
			return 0
		fi
		kill -0 "${NSD_PIDS[-1]}" 2>/dev/null || { cat "$dir/stdout" "$dir/nsd.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "bench: nsd in $dir did not answer" >&2
	exit 1
}

nsd_stop_all() {
	local p
	for p in "${NSD_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	NSD_PIDS=()
}
