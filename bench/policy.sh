#!/bin/bash
# bench/policy.sh — what the sender stages (MTA-STS, TLS-RPT, TLSA) cost: one full `mxscope check`
# of one domain, with an MTA-STS policy (the _mta-sts and _smtp._tls TXT
# questions, mta-sts.DOMAIN's addresses, the HTTPS fetch with its TLS
# handshake, the policy parsed, the three sender walks) against its twin
# without one (the two TXT questions answer NXDOMAIN), and the same with the
# recipient stage (--rcpt: MAIL, RCPT, RSET, QUIT on each host). Both domains
# have two MX hosts with STARTTLS and a valid certificate, served by one lab.
#
# Usage: bench/policy.sh [RUNS]   (default 20; the median is printed)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-20}"
OUT=bench/out
mkdir -p "$OUT"
scripts/setup build >/dev/null 2>&1
BIN=build/src/mxscope

cat >"$OUT/policy.zone" <<'EOF'
$ORIGIN pb.test.
$TTL 300
$SCENARIO policybench
$TITLE generated policy benchmark
$DOMAIN sts.pb.test.
sts      MX 10 mx1.sts
sts      MX 20 mx2.sts
mx1.sts  A 127.0.70.1
mx2.sts  A 127.0.70.2
_mta-sts.sts   TXT "v=STSv1; id=bench1"
_smtp._tls.sts TXT "v=TLSRPTv1; rua=mailto:tls@sts.pb.test"
mta-sts.sts    A 127.0.0.1
plain    MX 10 mx1.plain
plain    MX 20 mx2.plain
mx1.plain A 127.0.70.3
mx2.plain A 127.0.70.4
$SMTP 127.0.70.1 accept tls=valid
$SMTP 127.0.70.2 accept tls=valid
$SMTP 127.0.70.3 accept tls=valid
$SMTP 127.0.70.4 accept tls=valid
$MTA-STS sts.pb.test. mode=enforce mx=*.sts.pb.test max_age=86400
EOF

. bench/lib-lab.sh
trap lab_stop EXIT
lab_serve "$OUT/polab" ca --port 0 --smtp-port 0 "$OUT/policy.zone"
DNS=$(lab_addr "$OUT/polab" dns)
SMTP=$(lab_port "$OUT/polab" smtp)
HTTPS=$(lab_port "$OUT/polab" https)
CA=$(awk '/^ca /{print $2; exit}' "$OUT/polab.out")

# median wall milliseconds of RUNS runs of `check DOMAIN [extra]`
median_ms() {
	local domain=$1
	shift
	for _ in $(seq 1 "$RUNS"); do
		local t0 t1
		t0=$(date +%s%N)
		"$BIN" check --json --allow-loopback -s "$DNS" --smtp-port "$SMTP" --cafile "$CA" \
			--mta-sts-port "$HTTPS" "$@" "$domain" >"$OUT/policy.json" || true
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
	done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

grep -q '"mode":"enforce"' <("$BIN" check --json --allow-loopback -s "$DNS" --smtp-port "$SMTP" \
	--cafile "$CA" --mta-sts-port "$HTTPS" sts.pb.test) || { echo "the policy was not fetched" >&2; exit 1; }

# the peers, measured in the same run: curl fetching the same policy the
# same way (pinned address, the lab CA), and swaks going as far as RCPT
peer_ms() {
	for _ in $(seq 1 "$RUNS"); do
		local t0 t1
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
	done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
CURL=$(peer_ms curl -sf --cacert "$CA" --connect-to "mta-sts.sts.pb.test:443:127.0.0.1:$HTTPS" \
	https://mta-sts.sts.pb.test/.well-known/mta-sts.txt)
SWAKS=none
if command -v swaks >/dev/null; then
	SWAKS=$(peer_ms swaks --server 127.0.70.1 --port "$SMTP" --tls-optional --quit-after RCPT \
		--from '' --to postmaster@sts.pb.test)
fi

WITH=$(median_ms sts.pb.test)
WITHOUT=$(median_ms plain.pb.test)
WITH_RCPT=$(median_ms sts.pb.test --rcpt postmaster)
WITHOUT_RCPT=$(median_ms plain.pb.test --rcpt postmaster)
echo "full check of one domain, 2 MX with STARTTLS, median of $RUNS runs ($(nproc) cores):"
echo "  without MTA-STS policy      ${WITHOUT} ms"
echo "  with MTA-STS policy         ${WITH} ms   (+$((WITH - WITHOUT)) ms: 2 TXT, A/AAAA, HTTPS GET)"
echo "  without policy, --rcpt      ${WITHOUT_RCPT} ms"
echo "  with policy, --rcpt         ${WITH_RCPT} ms"
echo "peers, same run: curl fetching the policy ${CURL} ms; swaks to RCPT on one host ${SWAKS} ms"
echo "ratio: the policy stage costs $(python3 -c "print(f'{($WITH - $WITHOUT) / max($CURL, 1):.1f}')")x" \
	"one curl fetch of it"
