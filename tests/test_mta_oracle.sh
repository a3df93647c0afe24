#!/bin/bash
# tests/test_mta_oracle.sh — the oracle: a real Postfix 3.7 against mxscope's
# `--mta postfix` walk, on every lab scenario, under each TLS policy Postfix
# has: may (the `opportunistic` profile), dane with smtp_dns_support_level =
# dnssec (`dane`), MTA-STS through Debian's postfix-mta-sts-resolver as a
# socketmap policy at may (`mta-sts`) and at dane (`dane-mta-sts`).
#
# Everything runs in a private network and mount namespace (unshare -mn): a
# loopback of its own, so the lab serves DNS on 127.0.0.1:53, SMTP on port
# 25 (the port of TLSA's _25._tcp, which Postfix asks for its smtp_tcp_port)
# and its MTA-STS policies on 127.0.0.1:443 (where mta-sts-daemon fetches
# them, trusting the lab CA through SSL_CERT_FILE), beside anyone else's
# lab; a resolv.conf of its own ("options trust-ad": the lab vouches for its
# $SIGNED zones with the AD bit, which Postfix's DANE needs). Postfix is a
# private instance (its own config, queue and data directories) with one
# smtp transport per policy (master.cf -o); the recipient's local part
# picks it (oracle-may@DOMAIN, ...). `sendmail -bv` sends an
# address-verification probe (MAIL, RCPT, never DATA) whose status the log
# gives: deliverable (relay=host[ip]), undeliverable, deferred. mxscope's
# walk for the matching profile must end the same way: the same address when
# delivered; for a walk that is not certain, Postfix's end must be among its
# outcomes. Prints the agreement table.
#
# --part 1/2: the scenarios with IPv4 hosts only, all probes at once.
# --part 2/2: those with an IPv6 host: the lab puts each scenario's ::1 host
# on a port of its own but the first, so each gets a lab of its own in turn,
# its ::1 host on port 25 where Postfix connects.
# Timeouts match on both sides (5 s, as a deadline for the whole reply:
# smtp_per_record_deadline = yes, which is how mxscope's --timeout counts): the
# tarpit's one-byte-a-second greeting runs out, the host that greets after 3
# seconds takes the mail.
# Skips (exit 77) without root, postfix or unshare; without mta-sts-daemon
# the two MTA-STS policies are left out, saying so.
set -u
BIN=${MXSCOPE_BIN:?}
case "$BIN" in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
PART=1/1
[ "${1:-}" = --part ] && PART=$2
if [ "${1:-}" != inner ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (Postfix's master)"; exit 77; }
	command -v postfix >/dev/null && command -v unshare >/dev/null || {
		echo "skip: needs postfix and unshare"; exit 77; }
	W=$(mktemp -d /tmp/mxscope-oracle-XXXXXX)
	chmod 755 "$W" # the postfix user walks into its data directory
	unshare -mn "$0" inner "$W" "$PART"
	rc=$?
	[ -n "${KEEP:-}" ] || rm -rf "$W"
	exit $rc
fi
W=$2 PART=$3
D=$W/pf T=5
V6=" v6.lab.test v6down.lab.test coin.lab.test implicit.lab.test "
ip link set lo up
printf 'nameserver 127.0.0.1\noptions trust-ad\n' >"$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf

LAB=""
lab_start() { # SCENARIO...: a lab for these (all of them when none)
	"$BIN" lab --serve --port 53 --smtp-port 25 --mta-sts-port 443 --bind 127.0.0.1 \
		"$@" </dev/null >"$W/lab.out" 2>&1 &
	LAB=$!
	for _ in $(seq 300); do grep -q "^ca " "$W/lab.out" && break; sleep 0.05; done
	grep -q "^ca " "$W/lab.out" || { echo "the lab did not start:"; cat "$W/lab.out"; exit 1; }
	# its CA where Postfix (smtp_tls_CAfile) and mta-sts-daemon look
	cp "$(sed -n 's/^ca //p' "$W/lab.out")" "$W/ca.pem"
	chmod 644 "$W/ca.pem"
}
lab_stop() { [ -n "$LAB" ] && kill "$LAB" 2>/dev/null && wait "$LAB" 2>/dev/null; LAB=""; }
STS=""
stop() {
	script -qec "postfix -c $D/etc stop" /dev/null >/dev/null 2>&1
	lab_stop
	[ -n "$STS" ] && kill "$STS" 2>/dev/null
}
trap stop EXIT

# the lab's domains; this part's
"$BIN" lab --list | awk '{print $1, $2}' >"$W/scenarios"
: >"$W/domains"
while read -r sc dom; do
	case "$V6" in *" $dom "*) v6=1 ;; *) v6=0 ;; esac
	if [ "$PART" = 1/1 ] || { [ "$PART" = 1/2 ] && [ $v6 = 0 ]; } ||
		{ [ "$PART" = 2/2 ] && [ $v6 = 1 ]; }; then
		echo "$sc $dom" >>"$W/domains"
	fi
done <"$W/scenarios"

POLICIES="may dane"
if command -v mta-sts-daemon >/dev/null; then
	cat >"$W/sts.yml" <<EOC
host: 127.0.0.1
port: 8461
cache:
  type: internal
default_zone:
  strict_testing: false
  timeout: 4
EOC
	POLICIES="may dane sts danests"
else
	echo "note: no mta-sts-daemon (Debian's postfix-mta-sts-resolver): the MTA-STS policies are left out"
fi

mkdir -p "$D/etc" "$D/queue" "$D/data"
chown postfix "$D/data"
cat >"$D/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
# IPv4 only, where no scenario has an SMTP host: Postfix's own addresses
# are "myself", and mail for a domain whose host is ::1 would loop back
inet_interfaces = 127.0.0.1
inet_protocols = all
myhostname = oracle.localdomain
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $D/maillog
maillog_file_prefixes = $D
smtp_tls_security_level = may
smtp_tls_CAfile = $W/ca.pem
smtp_connect_timeout = ${T}s
smtp_helo_timeout = ${T}s
smtp_starttls_timeout = ${T}s
smtp_mail_timeout = ${T}s
smtp_rcpt_timeout = ${T}s
smtp_quit_timeout = ${T}s
smtp_per_record_deadline = yes
smtp_connection_cache_on_demand = no
default_process_limit = 200
transport_maps = regexp:$D/etc/transport
EOC
printf '/^oracle-%s@/ %s:\n' may smtp dane smtp_dane sts smtp_sts danests smtp_danests \
	>"$D/etc/transport"
STSMAP="smtp_tls_policy_maps=socketmap:inet:127.0.0.1:8461:postfix"
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
smtp_dane unix  - - n -     - smtp -o smtp_tls_security_level=dane -o smtp_dns_support_level=dnssec
smtp_sts  unix  - - n -     - smtp -o $STSMAP
smtp_danests unix - - n -   - smtp -o smtp_tls_security_level=dane -o smtp_dns_support_level=dnssec -o $STSMAP
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
# Postfix's start (its integrity checks: 2 s) beside the lab's and the
# policy daemon's
script -qec "postfix -c $D/etc start" /dev/null >"$D/start.log" 2>&1 &
PFSTART=$!
lab_start
if [ "$POLICIES" != "may dane" ]; then
	SSL_CERT_FILE=$W/ca.pem mta-sts-daemon -c "$W/sts.yml" >"$W/sts.log" 2>&1 &
	STS=$!
	# a policy lookup that finds no daemon is a temporary failure: wait
	for _ in $(seq 100); do (: </dev/tcp/127.0.0.1/8461) 2>/dev/null && break; sleep 0.05; done
fi
wait $PFSTART || { cat "$D/start.log"; exit 1; }

# every probe of these domains has a status in the log (each ends within the
# timeouts above)
wait_status() {
	for _ in $(seq 400); do
		missing=0
		for dom in "$@"; do
			for pol in $POLICIES; do
				grep "to=<oracle-$pol@$dom>" "$D/maillog" 2>/dev/null | grep -q "status=" ||
					{ missing=1; break 2; }
			done
		done
		[ $missing = 0 ] && return 0
		sleep 0.1
	done
	echo "note: some probes have no status after 40 s"
}
# Postfix's probes and mxscope's walk of DOMAIN... at once, while the lab
# serves them
probe() {
	rcpts=()
	for dom in "$@"; do
		for pol in $POLICIES; do rcpts+=("oracle-$pol@$dom"); done
	done
	# one probe message: the queue manager splits it by transport and domain,
	# each delivery in parallel with the others
	sendmail -C "$D/etc" -bv "${rcpts[@]}" </dev/null >/dev/null 2>&1
	"$BIN" check --json -s 127.0.0.1:53 --allow-loopback --cafile "$W/ca.pem" \
		--mta-sts-port 443 --timeout $T --rcpt postmaster --mta postfix "$@" \
		>>"$W/mxscope.json" 2>>"$W/mxscope.err"
	wait_status "$@"
}
: >"$W/mxscope.json"
if [ "$PART" = 2/2 ]; then
	lab_stop
	while read -r sc dom <&3; do
		lab_start "$sc"
		probe "$dom"
		lab_stop
	done 3<"$W/domains"
else
	# shellcheck disable=SC2046
	probe $(awk '{print $2}' "$W/domains")
fi

python3 - "$W/domains" "$D/maillog" "$W/mxscope.json" "$POLICIES" <<'EOP'
import json, re, sys
domains = [l.split()[1] for l in open(sys.argv[1]) if l.strip()]
log = open(sys.argv[2], errors="replace").read().splitlines()
walks = {}
for l in open(sys.argv[3]):
    if l.strip():
        j = json.loads(l)
        walks[j["domain"]] = j
policies = sys.argv[4].split()
profile = {"may": "opportunistic", "dane": "dane", "sts": "mta-sts",
           "danests": "dane-mta-sts"}

def postfix(pol, dom):
    st = [l for l in log if "to=<oracle-%s@%s>" % (pol, dom) in l and "status=" in l]
    if not st:
        return "none"
    # a verification probe says "undeliverable" for a soft failure too: its
    # DSN class (2, 4, 5) is what a real message would have met
    m = re.search(r"dsn=([245])\.", st[-1])
    ip = re.search(r"relay=[^\[]*\[([0-9a-f.:]*)\]", st[-1])
    c = m.group(1) if m else ""
    if c == "2":
        return "delivered@" + (ip.group(1) if ip else "")
    return {"5": "bounced", "4": "deferred"}.get(c, "none")

def mxscope(pol, dom):
    j = walks.get(dom)
    if j is None:
        return ["no-report"]
    o = (j.get("senders") or {}).get(profile[pol])
    if not o:
        # a lone null MX and NXDOMAIN have no walk: their findings (null-mx,
        # nxdomain) say the mail bounces
        if j.get("null_mx") or j.get("mx_rcode") == "NXDOMAIN":
            return ["bounced(finding)"]
        return ["no-walk"]
    outs = o.get("outcomes") or [{"share": 1, "end": o["end"],
                                  "delivered_to": o["delivered_to"]}]
    return ["%s%s%s" % (x["end"], ("@" + x["delivered_to"]["ip"]) if x.get("delivered_to") else "",
                        ("/%.2f" % x["share"]) if len(outs) > 1 else "") for x in outs]

agree = differ = 0
print("%-26s %-8s %-24s %s" % ("DOMAIN", "POLICY", "POSTFIX", "MXSCOPE --mta postfix"))
for dom in domains:
    for pol in policies:
        pf = postfix(pol, dom)
        mx = mxscope(pol, dom)
        ends = [a.split("/")[0].replace("(finding)", "") for a in mx]
        ok = pf != "none" and pf in ends
        agree += ok
        differ += not ok
        print("%-26s %-8s %-24s %s  %s" % (dom, pol, pf, " ".join(mx), "agree" if ok else "DIFFER"))
print("agreement: %d of %d walks (Postfix 3.7 sendmail -bv; policies: %s)"
      % (agree, agree + differ, ", ".join(policies)))
sys.exit(1 if differ else 0)
EOP
