#!/bin/sh
# tests/test_files_hostile.sh — the files a user hands mxscope, and where its
# output goes: recordings (truncated, duplicate keys, a 1 GB line, NUL,
# invalid UTF-8, newer versions, non-loopback addresses for lab --from),
# scenario files (labels, names, numbers), -f lists (CRLF, BOM, 10^6
# lines), --record through a symlink, stdout on a full disk, SIGPIPE, and
# SIGTERM during check --record. No network: replay asks nobody, and the
# check runs ask the lab on loopback.
set -u
BIN=${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}
SRC=${MXSCOPE_SRCDIR:?}
T=$(mktemp -d)
LAB=
trap '[ -n "$LAB" ] && kill "$LAB" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
REC="$SRC/tests/data/hostile/recording.ndjson"
SRV=$(grep '"domain":"srv.lab.test"' "$REC")
# peak RSS of a command in KB and its exit status; its stderr in $T/rss.err
rss() { python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)' "$T/rss.err" "$@"; }

# 1. a truncated last line is named as such; the line before it is used
{ echo "$SRV"; printf '%s' "$SRV" | head -c 300; } > "$T/trunc.ndjson"
$BIN replay "$T/trunc.ndjson" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "truncated: exit $rc, want 2"
grep -q "trunc.ndjson:2: .*(truncated line?)" "$T/err" || fail "truncated: $(cat "$T/err")"
grep -q "^srv.lab.test  status ok" "$T/out" || fail "truncated: line 1 not shown"

# 2. duplicate keys: which "domain" would count? neither: refused
echo "$SRV" | sed 's/"status":"ok",/"status":"ok","domain":"evil.test",/' > "$T/dup.ndjson"
$BIN replay "$T/dup.ndjson" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "duplicate key: exit $rc, want 2"
grep -q "dup.ndjson:1: duplicate object key" "$T/err" || fail "duplicate key: $(cat "$T/err")"

# 3. a line of 1 GiB (a sparse file: no disk used) is streamed past, not
#    held: skipped with its number, the next line read, memory bounded
printf '{"domain":"' > "$T/big.ndjson"
truncate -s 1G "$T/big.ndjson"
{ echo; echo "$SRV"; } >> "$T/big.ndjson"
set -- $(cd "$T" && rss "$BIN" replay big.ndjson)
[ "$2" -eq 2 ] || fail "1 GiB line: exit $2, want 2"
[ "$1" -lt 204800 ] || fail "1 GiB line: peak RSS $1 KB (is the line held whole?)"
grep -q "big.ndjson:1: line too long; skipped" "$T/rss.err" ||
	fail "1 GiB line: $(cat "$T/rss.err")"
$BIN replay "$T/big.ndjson" 2>/dev/null | grep -q "^srv.lab.test  status ok" ||
	fail "1 GiB line: the line after it is not read"

# 4. a raw NUL and invalid UTF-8: not JSON, refused with the place
printf '%s\n' "$SRV" | sed 's/"status"/"sta\x00tus"/' > "$T/nul.ndjson"
$BIN replay "$T/nul.ndjson" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "NUL: exit $rc, want 2"
grep -q "nul.ndjson:1: control character 0x0" "$T/err" || fail "NUL: $(cat "$T/err")"
printf '%s\n' "$SRV" | sed 's/"ok"/"o\xffk"/' > "$T/utf8.ndjson"
$BIN replay "$T/utf8.ndjson" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "invalid UTF-8: exit $rc, want 2"
grep -q "utf8.ndjson:1: unable to decode byte 0xff" "$T/err" || fail "UTF-8: $(cat "$T/err")"

# 5. a newer mxscope's line is read (fields are only ever added); a
#    version that is no version is refused
echo "$SRV" | sed 's/"mxscope":"[^"]*"/"mxscope":"9.9.9"/' > "$T/newer.ndjson"
$BIN replay "$T/newer.ndjson" > /dev/null 2> "$T/err" || fail "newer version refused: $(cat "$T/err")"
echo "$SRV" | sed 's/"mxscope":"[^"]*"/"mxscope":"0.1 beta"/' > "$T/ver.ndjson"
$BIN replay "$T/ver.ndjson" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad version: exit $rc, want 2"
grep -q "ver.ndjson:1: recorded.mxscope: byte 3 (0x20)" "$T/err" || fail "version: $(cat "$T/err")"

# 6. lab --from: an address outside loopback becomes a loopback stand-in,
#    the recorded one only in a comment
echo "$SRV" | sed 's/127\.0\.50\.1/192.0.2.7/g' > "$T/public.ndjson"
$BIN lab --from "$T/public.ndjson" > "$T/zone" 2> "$T/err" || fail "lab --from: $(cat "$T/err")"
grep -v '^;\|^\$EXPLAIN' "$T/zone" | sed 's/;.*//' | grep -q '192\.0\.2' &&
	fail "lab --from: a non-loopback address in a record: $(grep 192.0.2 "$T/zone")"
grep -q "A 127\.77\." "$T/zone" || fail "lab --from: no stand-in: $(cat "$T/zone")"

# 7. scenario files: a label over 63, a name over 255, a TTL out of range
L64=$(python3 -c "print('a' * 64)")
N256=$(python3 -c "print('.'.join(['a' * 60] * 5))")
for c in "label:@ MX 10 $L64:a label longer than 63" "name:@ MX 10 $N256.:a name longer than 255" \
	"ttl:@ 99999999999999 MX 10 a:"; do
	k=${c%%:*}; r=${c#*:}; line=${r%%:*}; want=${r#*:}
	printf '$ORIGIN x.lab.test.\n$TTL 30\n$SCENARIO x\n$DOMAIN x.lab.test.\n%s\n' "$line" > "$T/$k.zone"
	$BIN lab --json "$T/$k.zone" > /dev/null 2> "$T/err"; rc=$?
	[ $rc -eq 2 ] || fail "scenario $k: exit $rc, want 2"
	grep -q "$k.zone:5: .*$want" "$T/err" || fail "scenario $k: $(cat "$T/err")"
done

# 8. --record never writes through a symbolic link; stdout on a full disk
#    is an error (exit 3) for check, replay and lab --from
echo keep > "$T/victim"
ln -s "$T/victim" "$T/link.ndjson"
$BIN check --no-probe -s 127.0.0.1:9 --timeout 1 --record "$T/link.ndjson" x.invalid \
	> /dev/null 2> "$T/err"; rc=$?
[ "$(cat "$T/victim")" = keep ] || fail "--record wrote through a symlink"
[ $rc -eq 2 ] || fail "--record symlink: exit $rc, want 2"
grep -q "link.ndjson: a symbolic link" "$T/err" || fail "--record symlink: $(cat "$T/err")"
if [ -w /dev/full ]; then
	$BIN replay "$REC" > /dev/full 2> "$T/err"; rc=$?
	[ $rc -eq 3 ] || fail "replay > /dev/full: exit $rc, want 3"
	grep -q "cannot write the reports: No space left" "$T/err" || fail "replay full: $(cat "$T/err")"
	# a recording that cannot be written is said once, and the run ends 3
	$BIN check --no-probe -s 127.0.0.1:9 --timeout 1 --record /dev/full a.invalid b.invalid \
		> /dev/null 2> "$T/err"; rc=$?
	[ $rc -eq 3 ] || fail "--record /dev/full: exit $rc, want 3"
	[ "$(grep -c -- '--record cannot write the recording: No space left' "$T/err")" -eq 1 ] ||
		fail "--record /dev/full: $(cat "$T/err")"
	$BIN lab --from "$REC" > /dev/full 2> "$T/err"; rc=$?
	[ $rc -eq 3 ] || fail "lab --from > /dev/full: exit $rc, want 3"
	grep -q "cannot write the scenario: No space left" "$T/err" || fail "from full: $(cat "$T/err")"
fi

# 8b. a resolver that refuses at once answers inside the question: each
#     domain is reported once, nothing crashes, exit 3 (nobody answered)
$BIN check --json --no-probe -s 127.0.0.1:9 --timeout 1 d1.invalid d2.invalid d3.invalid \
	> "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 3 ] || fail "refusing resolver: exit $rc, want 3: $(cat "$T/err")"
[ "$(sort "$T/out" | cut -d, -f1 | uniq | wc -l)" -eq 3 ] && [ "$(wc -l < "$T/out")" -eq 3 ] ||
	fail "refusing resolver: $(cut -c1-30 "$T/out")"

# 9. -f lists: CRLF line ends and a BOM are not part of the names; a
#    million lines stream in bounded memory, each bad one named
printf '\357\273\277ok.test\r\n# c\r\nbad!x\r\n' > "$T/crlf"
$BIN check --no-probe -s 127.0.0.1:9 --timeout 1 -f "$T/crlf" > /dev/null 2> "$T/err"
grep -q 'crlf:3: name "bad!x"' "$T/err" || fail "CRLF: $(cat "$T/err")"
grep -q 'crlf:1' "$T/err" && fail "BOM: line 1 refused: $(cat "$T/err")"
python3 -c "
import sys
w = sys.stdout.write
for i in range(1000000): w('#c\n' if i % 100000 else 'bad!%d\n' % i)" > "$T/million"
set -- $(cd "$T" && rss "$BIN" check --no-probe -s 127.0.0.1:9 --timeout 1 -f million)
[ "$2" -eq 2 ] || fail "10^6 lines: exit $2, want 2"
[ "$1" -lt 204800 ] || fail "10^6 lines: peak RSS $1 KB"
[ "$(grep -c 'million:[0-9]*: name' "$T/rss.err")" -eq 10 ] ||
	fail "10^6 lines: $(head -3 "$T/rss.err")"

# 10. against the lab: check | head -1 ends quietly (0, or 141 by SIGPIPE);
#     SIGTERM during check --record leaves a recording every line of which
#     reads (at most the line being written is lost)
$BIN lab --serve --port 0 --smtp-port 0 > "$T/lab" 2>/dev/null &
LAB=$!
for i in $(seq 100); do grep -q '^ca ' "$T/lab" 2>/dev/null && break; sleep 0.1; done
DNS=$(sed -n 's/^dns //p' "$T/lab")
SMTP=$(sed -n 's/^smtp 127.0.1.1:\([0-9]*\).*/\1/p' "$T/lab")
[ -n "$DNS" ] || { echo "lab did not start" >&2; exit 1; }
LABCHK="check --allow-loopback -s $DNS --smtp-port $SMTP --timeout 2"
$BIN $LABCHK --no-probe preference.lab.test null-mx.lab.test single.lab.test relay.lab.test \
	2> "$T/err" | head -1 > /dev/null
rc=$(cat "$T/err" | wc -c)
[ "$rc" -eq 0 ] || fail "check | head -1 said: $(cat "$T/err")"
for sig in TERM INT HUP; do
	rm -f "$T/sig.ndjson"
	# tarpit hosts answer slowly: the run is still going when the signal comes
	$BIN $LABCHK --record "$T/sig.ndjson" preference.lab.test tarpit.lab.test \
		greylisting.lab.test > /dev/null 2>&1 &
	pid=$!
	disown $pid 2>/dev/null # no "Terminated" from this shell
	for i in $(seq 100); do [ -s "$T/sig.ndjson" ] && break; sleep 0.1; done
	kill -$sig $pid 2>/dev/null
	while kill -0 $pid 2>/dev/null; do sleep 0.1; done
	[ -s "$T/sig.ndjson" ] || { fail "SIG$sig: nothing recorded before it"; continue; }
	$BIN replay "$T/sig.ndjson" > /dev/null 2> "$T/err"; rrc=$?
	[ $rrc -le 1 ] || fail "SIG$sig: the recording does not read: $(cat "$T/err")"
done

# 11. `ulimit -n 64` and 500 domains, each with a host that greets after
#     0.3 s (its own address: one connection per address at a time): the
#     probes queue within the descriptors there are, and every host that
#     accepts is shown accepting, none "unreachable" for want of a socket
{
	printf '$ORIGIN fd.lab.test.\n$TTL 30\n$SCENARIO fd\n$TITLE slow hosts\n'
	printf '$DOMAIN d1.fd.lab.test.\n' # the lab lists one; it answers for all
	for i in $(seq 500); do
		printf 'd%d MX 10 h%d.d%d\nh%d.d%d A 127.0.%d.%d\n' \
			$i $i $i $i $i $((90 + i / 250)) $((i % 250 + 1))
		printf '$SMTP 127.0.%d.%d accept slow=0.3\n' $((90 + i / 250)) $((i % 250 + 1))
	done
} > "$T/fd.zone"
seq 500 | sed 's/.*/d&.fd.lab.test/' > "$T/fd.list"
$BIN lab --serve --port 0 --smtp-port 0 "$T/fd.zone" > "$T/fdlab" 2>/dev/null &
FDLAB=$!
for i in $(seq 100); do grep -q '^ca ' "$T/fdlab" 2>/dev/null && break; sleep 0.1; done
DNS=$(sed -n 's/^dns //p' "$T/fdlab")
SMTP=$(sed -n 's/^smtp 127.0.90.2:\([0-9]*\).*/\1/p' "$T/fdlab")
(ulimit -n 64 && exec $BIN check --allow-loopback -s "$DNS" --smtp-port "$SMTP" --timeout 5 \
	--json -f "$T/fd.list") > "$T/fd.out" 2> "$T/fd.err"
kill $FDLAB 2>/dev/null
n=$(grep -c '"state":"accepted"' "$T/fd.out")
grep -q '"state":"unreachable"' "$T/fd.out" && n="$n (some unreachable)"
[ "$n" = 500 ] || fail "ulimit -n 64: $n of 500 hosts accepted: $(grep -o '"error":"[^"]*"' "$T/fd.out" | sort | uniq -c | head -3) $(head -3 "$T/fd.err")"

[ $fails -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
exit 0
