#!/bin/bash
# tests/test_mta_oracle_exim.sh — the oracle: a real Exim 4.96 (Debian's
# exim4-daemon-light, fetched by tests/lib-exim.sh) against mxscope's
# `--mta exim` walk, on every lab scenario. As tests/test_mta_oracle.sh does
# for Postfix: a private network and mount namespace (unshare -mn), the lab
# serving DNS on 127.0.0.1:53 and SMTP on 2525 there, resolv.conf pointing at
# it. Exim is no daemon: each domain gets a spool of its own (so no retry
# hint of one scenario's host skips it in another) and one real message,
# delivered at once (`exim -odf`), all domains at the same time. Its mainlog
# says how the delivery ended: `=>` delivered, `==` deferred, `**` bounced.
# The lab never takes a message (DATA is answered 502), so a `**` after DATA
# is a delivery to that host: the mail was handed over there. mxscope's walk
# with --rcpt postmaster -4 and the same timeout must end the same way: the
# same address when delivered; for a walk that is not certain, Exim's end
# must be among its outcomes. Prints the agreement table.
#
# IPv4 only on both sides (Exim's disable_ipv6, mxscope's -4): the lab puts
# each scenario's IPv6 host on ::1 with a port of its own, which a real MTA
# cannot follow. The timeouts are short (5 s for a reply, 3 s to connect) on
# both sides, so the tarpit and the silent host time out rather than greet.
# Disagreements the table cannot model yet are listed in KNOWN (domain and
# why); the test fails on any other, and on a KNOWN one that now agrees.
# Skips (exit 77) without root, unshare, or when the package cannot be had.
set -u
BIN=${MXSCOPE_BIN:?}
SRC=${MXSCOPE_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
T=5
# shellcheck source=lib-exim.sh
. "$SRC/tests/lib-exim.sh"

# domain: why Exim and the walk differ there (the test prints it)
KNOWN="rcpt-silent.oracle.test: the lab's rcpt=silent host still answers the pipelined DATA (502), which Exim reads as RCPT's reply and bounces; mxscope does not pipeline and times out at RCPT (the lab's artefact)"
CACHE=${EXIM_CACHE:-$(dirname "$BIN")/../exim4-4.96}

if [ "${1:-}" != inner ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (Exim reads -C as root)"; exit 77; }
	command -v unshare >/dev/null || { echo "skip: needs unshare"; exit 77; }
	exim_fetch "$CACHE" ||
		{ echo "skip: Debian's exim4-daemon-light cannot be had"; exit 77; }
	W=$(mktemp -d /tmp/mxscope-exim-XXXXXX)
	chmod 755 "$W" # Debian-exim walks into its spools
	trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
	unshare -mn "$0" inner "$W" "$@"
	exit $?
fi
W=$2
shift 2
exim_fetch "$CACHE" || exit 1
ip link set lo up
exim_user "$W" || exit 1
echo "nameserver 127.0.0.1" >"$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf
# every built-in scenario, and tests/data/oracle's: the cases no lesson
# shows (a numeric MX alone, 4xx and 5xx at RCPT or greeting before a good
# host, NODATA, a CNAME loop)
"$BIN" lab --list | awk '{print $1}' >"$W/scenarios"
# shellcheck disable=SC2046 # one scenario name a word
"$BIN" lab --serve --port 53 --bind 127.0.0.1 $(cat "$W/scenarios") "$SRC"/tests/data/oracle/*.zone \
	>"$W/lab.out" 2>&1 &
LAB=$!
trap 'kill $LAB 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q "^ca " "$W/lab.out" && break; sleep 0.1; done
exim_spool "$W/version" "$T"
"$EXIM_BIN" -C "$W/version/exim.conf" -bV 2>&1 | grep -q "^Exim version 4\.96 " ||
	echo "note: $("$EXIM_BIN" -C "$W/version/exim.conf" -bV 2>&1 | head -1), not 4.96"

{
	"$BIN" lab --list | awk '{print $2}'
	sed -n 's/^\$DOMAIN \(.*\)\.$/\1/p' "$SRC"/tests/data/oracle/*.zone
} >"$W/domains"
while read -r dom; do
	d=$W/d-$dom
	exim_spool "$d" "$T"
	exim_send "$d" "postmaster@$dom" >"$d/send.out" 2>&1 &
	"$BIN" check --json -s 127.0.0.1:53 --allow-loopback --smtp-port 2525 -4 \
		--timeout "$T" --rcpt postmaster --mta exim "$dom" >"$d/check.json" 2>"$d/check.err" &
done <"$W/domains"
# where Exim's random order decides (hosts_max_try cutting a tier of six,
# an equal-preference tier), more draws: each must be one of the walk's ends
DRAWS="limit.lab.test equal.lab.test"
for dom in $DRAWS; do
	for k in $(seq 2 12); do
		exim_spool "$W/d-$dom-$k" "$T"
		exim_send "$W/d-$dom-$k" "postmaster@$dom" >"$W/d-$dom-$k/send.out" 2>&1 &
	done
done
wait_all() { for p in $(jobs -p); do [ "$p" = "$LAB" ] || wait "$p"; done; }
wait_all

# Exim's end for a domain is its recipient's last =>, ==, ** line; mxscope's
# are read as the Postfix oracle reads them. One python for every domain.
python3 - "$W" "$KNOWN" "$DRAWS" <<'EOF'
import json, re, sys

w, known = sys.argv[1], dict(l.split(": ", 1) for l in sys.argv[2].splitlines() if l)
draws = sys.argv[3].split()

def exim_end(dom, spool=None):
    end = "none"
    try:
        lines = open("%s/d-%s/log/mainlog" % (w, spool or dom),
                     errors="replace").read().splitlines()
    except OSError:
        return end
    for l in lines:
        m = re.search(r" (=>|->|==|\*\*) postmaster@%s[ :]" % re.escape(dom), l)
        if not m:
            continue
        ip = re.search(r" H=\S+ \[([0-9.]+)\]", l)
        ip = ip.group(1) if ip else ""
        if m.group(1) in ("=>", "->"):
            end = "delivered@" + ip
        elif m.group(1) == "**" and re.search(r"after (pipelined )?DATA|after end of data", l):
            end = "delivered@" + ip  # the lab takes no message: handed over there
        else:
            end = "bounced" if m.group(1) == "**" else "deferred"
    return end

def walk_ends(dom):
    try:
        j = json.loads(open("%s/d-%s/check.json" % (w, dom)).read())
    except (OSError, ValueError):
        return ["no-output"]
    o = j.get("senders", {}).get("opportunistic")
    if not o:
        # a lone null MX and NXDOMAIN have no walk: their findings (null-mx,
        # nxdomain) say the mail bounces
        return ["bounced@(finding)" if j.get("null_mx") or j.get("mx_rcode") == "NXDOMAIN"
                else "no-walk"]
    outs = o.get("outcomes") or [{"share": 1, "end": o["end"], "delivered_to": o["delivered_to"]}]
    return ["%s@%s%s" % (x["end"], (x["delivered_to"] or {}).get("ip", ""),
                         ("/%.2f" % x["share"]) if len(outs) > 1 else "") for x in outs]

agree = differ = nknown = fixed = 0
print("%-28s %-20s %-40s" % ("DOMAIN", "EXIM 4.96", "MXSCOPE --mta exim"))
for dom in open(w + "/domains").read().split():
    ex, mx = exim_end(dom), walk_ends(dom)
    among = lambda e: any(re.sub(r"/.*|\(finding\)", "", a) in (e, e + "@") for a in mx)
    ok = among(ex)
    if dom in draws:
        ends = [ex] + [exim_end(dom, "%s-%d" % (dom, k)) for k in range(2, 13)]
        ok = all(among(e) for e in ends)
        ex = "%d draws" % len(ends)
        mx.append("| exim drew " + ", ".join("%s x%d" % (e, ends.count(e))
                                           for e in sorted(set(ends))))
    why = known.get(dom)
    if ok and not why:
        agree += 1; verdict = "agree"
    elif ok:
        fixed += 1; verdict = "AGREES NOW (take it out of KNOWN)"
    elif why:
        nknown += 1; verdict = "known: " + why
    else:
        differ += 1; verdict = "DIFFER"
    print("%-28s %-20s %-40s %s" % (dom, ex, " ".join(mx), verdict))
print("agreement: %d of %d walks (Exim 4.96 -odf, IPv4), %d known disagreements"
      % (agree, agree + differ + nknown + fixed, nknown))
sys.exit(0 if differ == 0 and fixed == 0 else 1)
EOF
