#!/bin/sh
# tests/test_dane_unbound.sh — DNSSEC and DANE against a REAL validating
# resolver, and mxscope's DANE verdicts against Postfix's.
#
# Zones made here: dane-ub.test signed with ldns-signzone (mx1's TLSA pins
# the key mx1 presents, mx2's pins the same key: stale for mx2; mx3 and mx4
# have DANE-TA records for the lab CA, which only mx3 sends in its chain),
# plain-ub.test unsigned (a TLSA that would match: insecure, ignored) and
# bogus-ub.test unsigned although the resolver has a trust anchor for it.
# nsd serves them, unbound validates them with the trust anchors written
# here: the AD bit mxscope reads comes from unbound's validation, not from
# the lab, which only runs the SMTP hosts (certificates from its CA).
# mxscope must say: dane-ub.test secure, mx1 match, mx2 mismatch, mx3
# match, mx4 mismatch;
# plain-ub.test insecure, TLSA shown and ignored; bogus-ub.test bogus.
# Then posttls-finger -l dane (Postfix) asks the same resolver: where it says
# "Matched DANE" mxscope says match, where it says "no matching DANE TLSA
# records" mxscope says mismatch. glibc's resolver (Postfix's) has no port
# in resolv.conf: unbound listens on port 53 and posttls-finger runs in a
# mount namespace with its own /etc/resolv.conf, which needs root.
#
# Skips (exit 77) only when unbound, nsd, ldns-signzone or openssl is not
# installed (scripts/setup installs them); the posttls-finger half is
# skipped, saying so, when posttls-finger is absent, or when there is
# neither root nor sudo without a password.
# Every address is 127.B.75.x / 127.B.74.x with B from the process id, so
# two runs at once do not meet.
set -u
BIN=${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}
case "$BIN" in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
for tool in unbound nsd ldns-keygen ldns-signzone openssl; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
		echo "SKIP: $tool is not installed (scripts/setup installs unbound, nsd, ldnsutils)"
		exit 77
	}
done
PATH=$PATH:/usr/sbin
# posttls-finger needs unbound on port 53 and its own resolv.conf: root.
# (Not a user namespace: posttls-finger run as root drops to the postfix
# user, whose ids such a namespace does not map.)
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	exec sudo -n -E "$0" "$@"
fi

T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
die() { echo "FAIL: $*" >&2; for f in "$T"/*.log "$T"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done >&2; exit 1; }

B=$(( $$ % 200 + 30 ))
SMTP1=127.$B.74.1 SMTP2=127.$B.74.2 SMTP3=127.$B.74.3 SMTP4=127.$B.74.4 SMTP5=127.$B.74.5
NSD=127.$B.75.1 RES=127.$B.75.2
if [ "$(id -u)" -eq 0 ]; then ROOT=1 RESPORT=53; else ROOT=0 RESPORT=$(( 20000 + $$ % 20000 )); fi
NSDPORT=$(( 40000 + $$ % 20000 ))

# ---- the SMTP hosts: the lab, for its certificates --------------------------
cat > "$T/hosts.zone" <<Z
\$ORIGIN ub.lab.test.
\$SCENARIO dane-unbound
\$TITLE SMTP hosts for tests/test_dane_unbound.sh
\$DOMAIN ub.lab.test.
@ MX 10 mx1
\$SMTP $SMTP1 accept tls=valid name=mx1.dane-ub.test
\$SMTP $SMTP2 accept tls=valid name=mx2.dane-ub.test key=1
\$SMTP $SMTP3 accept tls=valid name=mx.plain-ub.test
\$SMTP $SMTP4 accept tls=valid name=mx3.dane-ub.test chain=yes
\$SMTP $SMTP5 accept tls=valid name=mx4.dane-ub.test
Z
"$BIN" lab --serve --port 0 "$T/hosts.zone" > "$T/lab.out" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 50); do grep -q "^ca " "$T/lab.out" && break; sleep 0.1; done
PORT=$(sed -n "s/^smtp $SMTP1:\([0-9]*\)$/\1/p" "$T/lab.out")
[ -n "$PORT" ] || die "the lab did not start: $(cat "$T/lab.out")"

# the key mx1 presents, read off the wire by openssl, not by mxscope
spki() {
	openssl s_client -starttls smtp -connect "$1:$PORT" </dev/null 2>/dev/null |
		openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1
}
H1=$(spki "$SMTP1") H3=$(spki "$SMTP3")
[ ${#H1} -eq 64 ] && [ ${#H3} -eq 64 ] || die "no certificate from the lab hosts ($H1 $H3)"
# DANE-TA: the lab CA's key; mx3 sends the CA after its own certificate,
# mx4 does not (a usage 2 record then has nothing to match)
CA=$(sed -n 's/^ca //p' "$T/lab.out")
HCA=$(openssl x509 -in "$CA" -pubkey -noout | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -r | cut -d' ' -f1)
[ ${#HCA} -eq 64 ] || die "no lab CA ($CA)"

# ---- the zones, one signed -----------------------------------------------
zone() { # NAME, then records
	name=$1; shift
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n' "$name"
		printf '@ NS ns\nns A %s\n' "$NSD"
		printf '%s\n' "$@"
	} > "$T/$name.zone"
}
# TLSA at _25 (what mxscope asks, RFC 7672) and at the lab's port (what
# posttls-finger asks for [host]:port)
zone dane-ub.test "@ MX 10 mx1" "@ MX 20 mx2" "@ MX 30 mx3" "@ MX 40 mx4" \
	"mx1 A $SMTP1" "mx2 A $SMTP2" "mx3 A $SMTP4" "mx4 A $SMTP5" \
	"_25._tcp.mx1 TLSA 3 1 1 $H1" "_$PORT._tcp.mx1 TLSA 3 1 1 $H1" \
	"_25._tcp.mx2 TLSA 3 1 1 $H1" "_$PORT._tcp.mx2 TLSA 3 1 1 $H1" \
	"_25._tcp.mx3 TLSA 2 1 1 $HCA" "_$PORT._tcp.mx3 TLSA 2 1 1 $HCA" \
	"_25._tcp.mx4 TLSA 2 1 1 $HCA" "_$PORT._tcp.mx4 TLSA 2 1 1 $HCA"
zone plain-ub.test "@ MX 10 mx" "mx A $SMTP3" \
	"_25._tcp.mx TLSA 3 1 1 $H3" "_$PORT._tcp.mx TLSA 3 1 1 $H3"
zone bogus-ub.test "@ MX 10 mx" "mx A $SMTP3"
(
	cd "$T" || exit 1
	zsk=$(ldns-keygen -a ECDSAP256SHA256 dane-ub.test) &&
		ksk=$(ldns-keygen -k -a ECDSAP256SHA256 dane-ub.test) &&
		bogus=$(ldns-keygen -k -a ECDSAP256SHA256 bogus-ub.test) &&
		ldns-signzone dane-ub.test.zone "$zsk" "$ksk" &&
		cat "$ksk.key" "$bogus.key" > anchors.key
) > "$T/sign.log" 2>&1 || die "ldns-signzone: $(cat "$T/sign.log")"
grep -q RRSIG "$T/dane-ub.test.zone.signed" || die "the zone was not signed"

# ---- nsd serves them ------------------------------------------------------
cat > "$T/nsd.conf" <<C
server:
  ip-address: $NSD@$NSDPORT
  username: ""
  chroot: ""
  zonesdir: "$T"
  pidfile: "$T/nsd.pid"
  database: ""
  xfrdfile: "$T/xfrd.state"
  zonelistfile: "$T/zone.list"
  logfile: "$T/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "dane-ub.test"
  zonefile: "dane-ub.test.zone.signed"
zone:
  name: "plain-ub.test"
  zonefile: "plain-ub.test.zone"
zone:
  name: "bogus-ub.test"
  zonefile: "bogus-ub.test.zone"
C
nsd -d -c "$T/nsd.conf" > "$T/nsd.out" 2>&1 &
PIDS="$PIDS $!"

# ---- unbound validates, with the trust anchors -----------------------------
cat > "$T/unbound.conf" <<C
server:
  interface: $RES
  port: $RESPORT
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$T"
  pidfile: "$T/unbound.pid"
  use-syslog: no
  logfile: "$T/unbound.log"
  val-log-level: 2
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  do-ip6: no
  module-config: "validator iterator"
  trust-anchor-file: "$T/anchors.key"
  local-zone: "test." nodefault
  qname-minimisation: no
remote-control:
  control-enable: no
stub-zone:
  name: "dane-ub.test"
  stub-addr: $NSD@$NSDPORT
stub-zone:
  name: "plain-ub.test"
  stub-addr: $NSD@$NSDPORT
stub-zone:
  name: "bogus-ub.test"
  stub-addr: $NSD@$NSDPORT
C
unbound -d -c "$T/unbound.conf" > "$T/unbound.out" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 50); do
	grep -q "start of service" "$T/unbound.log" 2>/dev/null && grep -q "nsd started" "$T/nsd.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "start of service" "$T/unbound.log" 2>/dev/null || die "unbound did not start"
grep -q "nsd started" "$T/nsd.log" 2>/dev/null || die "nsd did not start"

# ---- mxscope through the validator ----------------------------------------
"$BIN" check --json --dane --allow-loopback --timeout 5 -s "$RES:$RESPORT" --smtp-port "$PORT" \
	dane-ub.test plain-ub.test bogus-ub.test > "$T/check.json" 2> "$T/check.err"
python3 - "$T/check.json" > "$T/verdicts" 2> "$T/py.err" <<'PY' || die "check output: $(cat "$T/py.err") $(cat "$T/check.err")"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    codes = " ".join(sorted(f["code"] for f in d["findings"]))
    print("domain %s dnssec=%s rcode=%s findings=%s" % (d["domain"], d["dnssec"], d["mx_rcode"], codes))
    for h in d["mx"]:
        t = h.get("tlsa") or {}
        for a in h["addresses"]:
            p = a.get("probe") or {}
            print("host %s secure=%s records=%d dane=%s spki=%s" % (
                h["exchange"], t.get("secure"), len(t.get("records", [])), p.get("dane"),
                (p.get("tls") or {}).get("spki_sha256")))
PY
cat "$T/verdicts"
v() { grep -q "$1" "$T/verdicts" || fail "want \"$1\" in mxscope's verdicts"; }
v "domain dane-ub.test dnssec=secure rcode=NOERROR"
v "host mx1.dane-ub.test secure=True records=1 dane=match spki=$H1"
v "host mx2.dane-ub.test secure=True records=1 dane=mismatch"
v "host mx3.dane-ub.test secure=True records=1 dane=match"
v "host mx4.dane-ub.test secure=True records=1 dane=mismatch"
v "dane-tlsa-mismatch"
v "domain plain-ub.test dnssec=insecure"
v "host mx.plain-ub.test secure=False records=1 dane=none spki=$H3"
v "dane-tlsa-insecure"
v "domain bogus-ub.test dnssec=bogus rcode=SERVFAIL"
v "dnssec-bogus"

# ---- posttls-finger: Postfix's verdict for the same hosts -----------------
PTF=$(command -v posttls-finger 2>/dev/null)
if [ -z "$PTF" ]; then
	echo "SKIP (part): posttls-finger is not installed (Debian package postfix; scripts/setup installs it)"
elif [ "$ROOT" -ne 1 ]; then
	echo "SKIP (part): posttls-finger needs the resolver on port 53 and its own /etc/resolv.conf: run as root (or with sudo -n)"
else
	printf 'nameserver %s\noptions trust-ad edns0\n' "$RES" > "$T/resolv.conf"
	for h in mx1.dane-ub.test mx2.dane-ub.test mx3.dane-ub.test mx4.dane-ub.test mx.plain-ub.test; do
		unshare -m sh -c "mount --bind '$T/resolv.conf' /etc/resolv.conf &&
			exec timeout 20 '$PTF' -c -l dane -P /etc/ssl/certs '[$h]:$PORT'" \
			> "$T/ptf-$h.log" 2>&1
		ours=$(sed -n "s/^host $h secure=[A-Za-z]* records=[0-9]* dane=\([a-z]*\) .*/\1/p" "$T/verdicts")
		if grep -q "Matched DANE" "$T/ptf-$h.log"; then
			theirs=match
		elif grep -q "no matching DANE TLSA records" "$T/ptf-$h.log"; then
			theirs=mismatch
		else
			theirs=none # no usable secure TLSA: posttls-finger did no DANE
		fi
		echo "$h: posttls-finger $theirs, mxscope $ours"
		[ "$theirs" = "$ours" ] || fail "$h: posttls-finger says $theirs, mxscope $ours: $(cat "$T/ptf-$h.log")"
	done
	# the comparison must have seen both verdicts, or it proves nothing
	grep -q "Matched DANE" "$T/ptf-mx1.dane-ub.test.log" || fail "posttls-finger matched nothing"
	grep -q "no matching DANE TLSA records" "$T/ptf-mx2.dane-ub.test.log" || fail "posttls-finger found no mismatch"
	grep -q "Matched DANE TA" "$T/ptf-mx3.dane-ub.test.log" || fail "posttls-finger matched no DANE-TA record"
fi
[ $fails -eq 0 ] || die "$fails check(s) failed"
echo "ok"
