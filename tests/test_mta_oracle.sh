#!/bin/bash
# tests/test_mta_oracle.sh — the oracle: a real Postfix 3.7 against mxscope's
# `--mta postfix` walk, on the lab's scenarios. Both run in a private network
# and mount namespace (unshare -mn): a loopback of their own, so the lab can
# serve DNS on 127.0.0.1:53 and SMTP on 2525 beside anyone else's lab, and a
# resolv.conf of their own pointing Postfix's resolver at the lab. Postfix is
# a private instance (its own config, queue and data directories; the
# Debian package's /etc/postfix is never started), smtp_tcp_port = 2525, and
# `sendmail -bv postmaster@DOMAIN` sends an address-verification probe (MAIL,
# RCPT, never DATA) whose status its log gives: deliverable (relay=host[ip]),
# undeliverable, deferred. mxscope's walk with --rcpt postmaster must end the
# same way: the same address when delivered; for a walk that is not certain,
# Postfix's end must be among its outcomes. Prints the agreement table.
#
# Timeouts match on both sides (40 s: the tarpit greets after 30, and Postfix
# waits for it). Only IPv4: the lab puts every scenario's IPv6 host on ::1 with a port of its
# own, which a real MTA cannot follow (their domains are listed as skipped).
# Skips (exit 77) without root, postfix or unshare.
set -u
BIN=${MXSCOPE_BIN:?}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (Postfix's master)"; exit 77; }
command -v postfix >/dev/null && command -v unshare >/dev/null || {
	echo "skip: needs postfix and unshare"; exit 77; }
W=$(mktemp -d /tmp/mxscope-oracle-XXXXXX)
chmod 755 "$W" # the postfix user walks into its data directory
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT

if [ "${1:-}" != inner ]; then
	unshare -mn "$0" inner "$W"
	exit $?
fi
W=$2
D=$W/pf
ip link set lo up
echo "nameserver 127.0.0.1" >"$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf
"$BIN" lab --serve --port 53 --bind 127.0.0.1 >"$W/lab.out" 2>&1 &
LAB=$!
mkdir -p "$D/etc" "$D/queue" "$D/data"
chown postfix "$D/data"
cat >"$D/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = oracle.localdomain
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $D/maillog
maillog_file_prefixes = $D
smtp_tcp_port = 2525
smtp_tls_security_level = may
smtp_connect_timeout = 3s
smtp_helo_timeout = 40s
EOC
cat >"$D/etc/master.cf" <<EOC
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
smtp      unix  - - n -     - smtp
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
stop() {
	script -qec "postfix -c $D/etc stop" /dev/null >/dev/null 2>&1
	kill "$LAB" 2>/dev/null
}
trap stop EXIT
for _ in $(seq 50); do grep -q "^dns " "$W/lab.out" && break; sleep 0.1; done
script -qec "postfix -c $D/etc start" /dev/null >"$D/start.log" 2>&1 || {
	cat "$D/start.log"; exit 1; }

# the lab's domains, one per scenario; the ::1 ones cannot be followed
"$BIN" lab --list | awk '{print $2}' >"$W/domains"
SKIP=" v6.lab.test v6down.lab.test coin.lab.test implicit.lab.test "
while read -r dom; do
	case "$SKIP" in *" $dom "*) continue ;; esac
	sendmail -C "$D/etc" -bv "postmaster@$dom" </dev/null >/dev/null 2>&1
done <"$W/domains"
# every probe ends within the timeouts above: wait until each has a status
for _ in $(seq 100); do
	missing=0
	while read -r dom; do
		case "$SKIP" in *" $dom "*) continue ;; esac
		grep "to=<postmaster@$dom>" "$D/maillog" 2>/dev/null | grep -q "status=" ||
			missing=1
	done <"$W/domains"
	[ $missing = 0 ] && break
	sleep 1
done

agree=0 differ=0 skipped=0
printf '%-28s %-34s %-44s %s\n' DOMAIN POSTFIX "MXSCOPE --mta postfix" ""
while read -r dom; do
	case "$SKIP" in *" $dom "*)
		printf '%-28s %-34s %-44s %s\n' "$dom" "-" "-" "skipped (IPv6 on ::1)"
		skipped=$((skipped + 1)); continue ;;
	esac
	line=$(grep "to=<postmaster@$dom>" "$D/maillog" | grep "status=" | tail -1)
	# a verification probe says "undeliverable" for a soft failure too: its
	# DSN class (2, 4, 5) is what a real message would have met
	dsn=$(sed -n 's/.*dsn=\([245]\)\..*/\1/p' <<<"$line")
	ip=$(sed -n 's/.*relay=[^[]*\[\([0-9.]*\)\].*/\1/p' <<<"$line")
	case "$dsn" in 2) pf="delivered@$ip" ;; 5) pf="bounced" ;; 4) pf="deferred" ;;
		*) pf="none" ;; esac
	mx=$("$BIN" check --json -s 127.0.0.1:53 --allow-loopback --smtp-port 2525 -4 \
		--timeout 40 --rcpt postmaster --mta postfix "$dom" 2>/dev/null | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
o = j.get("senders", {}).get("opportunistic")
if not o:
    # a lone null MX and NXDOMAIN have no walk: their findings (null-mx,
    # nxdomain) say the mail bounces
    print("bounced@(finding)" if j.get("null_mx") or j.get("mx_rcode") == "NXDOMAIN"
          else "no-walk")
    sys.exit()
outs = o.get("outcomes") or [{"share": 1, "end": o["end"], "delivered_to": o["delivered_to"]}]
print(" ".join("%s@%s%s" % (x["end"], (x["delivered_to"] or {}).get("ip", ""),
                ("/%.2f" % x["share"]) if len(outs) > 1 else "") for x in outs))')
	ok=no
	for alt in $mx; do
		a=${alt%%/*}
		a=${a%"(finding)"}
		[ "$a" = "$pf" ] || [ "$a" = "${pf}@" ] && ok=yes
	done
	[ "$pf" != delivered@* ] && [ "$pf" != none ] && [[ " $mx " == *" $pf@"* ]] && ok=yes
	if [ $ok = yes ]; then agree=$((agree + 1)); verdict=agree; else
		differ=$((differ + 1)); verdict=DIFFER; fi
	printf '%-28s %-34s %-44s %s\n' "$dom" "$pf" "$mx" "$verdict"
done <"$W/domains"
echo "agreement: $agree of $((agree + differ)) walks (Postfix 3.7 sendmail -bv), $skipped skipped"
[ "$differ" = 0 ]
