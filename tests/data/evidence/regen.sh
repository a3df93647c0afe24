#!/bin/bash
# tests/data/evidence/regen.sh — regenerates the real evidence samples the
# explain tests read: Debian's Postfix delivers to the lab's failing
# scenarios and this keeps what it wrote (maillog, `postqueue -j`,
# `postqueue -p`, the bounce DSNs it sent back).
#
#   sudo tests/data/evidence/regen.sh [build/src/mxscope]
#
# Everything runs in a private network and mount namespace (unshare -m -n):
# a loopback of its own where the lab serves DNS on 127.0.0.1:53 and SMTP on
# port 25, /etc/resolv.conf bind-mounted to "nameserver 127.0.0.1" for this
# namespace only, and a Postfix of our own (bench/lib-postfix.sh: its own
# config_directory and queue; relayhost unset). Nothing leaves the
# namespace; the machine's resolver, ports and Postfix are not touched.
# Needs root, postfix, unshare, ip. The outputs overwrite the checked-in
# postfix-* files beside this script; commit them with the change that
# needed them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
work=${EVIDENCE_WORK:-/tmp/mxscope-evidence.$$}

# the scenarios whose mail does not arrive as it should, and one recipient each
DOMAINS="primary-down tier-down tempfail reject greylist rcpt-relay tls dane-stale
missing.nxdomain dangling null noroute cname literal single"

if [ "${1:-}" != "--inside" ]; then
	bin=$(readlink -f "${1:-$top/build/src/mxscope}")
	[ "$(id -u)" = 0 ] || { echo "regen.sh: needs root (Postfix's master runs as root)" >&2; exit 77; }
	command -v postfix >/dev/null || { echo "regen.sh: needs Debian's postfix" >&2; exit 77; }
	[ -x "$bin" ] || { echo "regen.sh: no mxscope binary at $bin (meson compile -C build)" >&2; exit 2; }
	exec unshare -m -n --fork "$0" --inside "$bin" "$work" "$here" "$top"
fi
bin=$2 work=$3 here=$4 top=$5
ip link set lo up
mkdir -p "$work"
printf 'nameserver 127.0.0.1\noptions trust-ad\n' >"$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf

# shellcheck source=../../../bench/lib-postfix.sh
. "$top/bench/lib-postfix.sh"
lab_pid=""
cleanup() {
	pf_stop
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null || true
	exec 3>&- 2>/dev/null || true
}
trap cleanup EXIT

mkfifo "$work/ctl"
"$bin" lab --serve --port 53 --smtp-port 25 --http-port 0 \
	primary-down tier-down tempfail all-reject greylisting rcpt-relay tls dane-stale \
	nxdomain dangling null-mx no-route cname-target ip-literal single <"$work/ctl" >"$work/lab.out" 2>"$work/lab.err" &
lab_pid=$!
exec 3>"$work/ctl"
for _ in $(seq 1 100); do grep -q '^ca ' "$work/lab.out" && break; sleep 0.1; done
ca=$(sed -n 's/^ca //p' "$work/lab.out")
[ -n "$ca" ] || { cat "$work/lab.err" >&2; exit 1; }

pf_start "$work/pf" 127.0.0.1 10025 sender.lab.test
pf=$work/pf
mkdir -p "$pf/dsn" && chown nobody "$pf/dsn"
postconf -c "$pf/etc" -e \
	"smtp_tls_security_level = may" \
	"smtp_tls_CAfile = $ca" \
	"smtp_dns_support_level = dnssec" \
	"smtp_tls_policy_maps = inline:{tls.lab.test=verify, dane-stale.lab.test=dane-only}" \
	"smtp_connect_timeout = 5s" "smtp_helo_timeout = 10s" \
	"transport_maps = inline:{sender.lab.test=dsnbox:}" \
	"bounce_size_limit = 4096" "minimal_backoff_time = 1h" "maximal_backoff_time = 2h" \
	"delay_warning_time = 0h"
# the SMTP client (bench's instance only receives); the bounces Postfix
# sends back to the sender are kept as an mbox
echo "smtp unix - - n - - smtp" >>"$pf/etc/master.cf"
echo "dsnbox unix - n n - - pipe flags=F user=nobody argv=/bin/sh -c cat>>$pf/dsn/mbox" \
	>>"$pf/etc/master.cf"
pf_cmd reload >/dev/null

for d in $DOMAINS; do
	printf 'Subject: evidence for %s\nFrom: alice@sender.lab.test\n\nmxscope explain corpus\n' "$d" |
		sendmail -C "$pf/etc" -f alice@sender.lab.test "bob@$d.lab.test"
done
# every message tried once: each either gone (bounced, sent) or deferred
for _ in $(seq 1 300); do
	n=$(postqueue -c "$pf/etc" -j | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l).get("queue_name") != "deferred"))')
	[ "$n" = 0 ] && break
	sleep 0.2
done
sleep 1
postqueue -c "$pf/etc" -j >"$work/postqueue.json"
postqueue -c "$pf/etc" -p >"$work/mailq.txt"
# now the deferred ones expire: status=expired and their bounce DSNs
postconf -c "$pf/etc" -e "maximal_queue_lifetime = 0" "bounce_queue_lifetime = 0"
pf_cmd reload >/dev/null
sleep 1
postqueue -c "$pf/etc" -f
for _ in $(seq 1 300); do
	[ -z "$(postqueue -c "$pf/etc" -j)" ] && break
	sleep 0.2
done
sleep 2
# the pids stay: a "connect to" line without a queue id belongs to the
# next status line of the same smtp process
cp "$pf/maillog" "$here/postfix-maillog"
cp "$work/postqueue.json" "$here/postfix-postqueue.json"
cp "$work/mailq.txt" "$here/postfix-mailq.txt"
cp "$pf/dsn/mbox" "$here/postfix-bounces.mbox"
echo "regen.sh: wrote $(wc -l <"$here/postfix-maillog") maillog lines, $(wc -l <"$here/postfix-postqueue.json") queue entries, $(grep -c '^From ' "$here/postfix-bounces.mbox") DSNs"
