#!/bin/bash
# tests/test_tui_commands_pty.sh — the explorer's commands (`c`, then `s`)
# are exactly what `mxscope check --commands` prints, byte for byte, for the
# same domain, and for one address its lines are check's lines for that
# address; and the recordings both make (--record) carry the same metadata
# keys (the explorer's once lacked the version check's had). Two domains share the MX address 127.0.77.1 (tests/data/share),
# the second has an MTA-STS policy, and --cafile is given: the explorer
# once left out -CAfile and --cacert, and named the first domain's host in
# the second's swaks and openssl lines. Through a real pty (tmux), against
# `mxscope lab --serve`. Skips (77) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || exit 77
BIN="${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}"
SRC="${MXSCOPE_SRCDIR:?MXSCOPE_SRCDIR is set by meson}"
TMP=$(mktemp -d /tmp/mxscope-cmdpty-XXXXXX)
SOCK="$TMP/tmux.sock"
SESSION=cmds
LAB_PID=
cleanup() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
	[ -n "$LAB_PID" ] && kill "$LAB_PID" 2>/dev/null && wait "$LAB_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $1"
	echo "---- screen ----"
	tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null
	exit 1
}
wait_for() {
	for _ in $(seq 1 150); do
		tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "no \"$1\" on the screen"
}

# the lab, serving both zones; its first lines say where
mkfifo "$TMP/lab.out"
"$BIN" lab --serve --port 0 --smtp-port 0 --http-port 0 \
	"$SRC/tests/data/share/busy.zone" "$SRC/tests/data/share/stsbad.zone" \
	</dev/null >"$TMP/lab.out" 2>"$TMP/lab.err" &
LAB_PID=$!
exec 3<"$TMP/lab.out"
DNS= SMTP= HTTPS= CA=
while read -r -t 10 kind where <&3; do
	case "$kind" in
	dns) DNS=$where ;;
	smtp) SMTP=${where##*:} ;;
	https) HTTPS=${where##*:} ;;
	ca) CA=$where && break ;;
	esac
done
[ -n "$DNS" ] && [ -n "$SMTP" ] && [ -n "$CA" ] || fail "the lab did not start: $(cat "$TMP/lab.err")"

# the same options for both front ends
OPTS=(-s "$DNS" --allow-loopback --smtp-port "$SMTP" --cafile "$CA" --mta-sts-port "$HTTPS"
	--ns-port "${DNS##*:}" --seed 1 --timeout 2 --ehlo client.test --ptr)

mkdir "$TMP/cwd"
tmux -S "$SOCK" -f /dev/null new-session -d -s "$SESSION" -x 160 -y 50 -c "$TMP/cwd" \
	"env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' ${OPTS[*]} --record $TMP/explorer.ndjson --interval 3600 ok.busy.test stsbad.test; sleep 30" ||
	fail "tmux cannot start"
wait_for "Domains (2)"
wait_for "stsbad.test"
# both settled (each domain's status word is there), then the second: its commands
for _ in $(seq 1 100); do
	n=$(tmux -S "$SOCK" capture-pane -p -t "$SESSION" | grep -cE "(ok|warning|error) +mx")
	[ "$n" -ge 2 ] && break
	sleep 0.1
done
tmux -S "$SOCK" send-keys -t "$SESSION" j c
wait_for "Commands"
tmux -S "$SOCK" send-keys -t "$SESSION" s
wait_for "saved to"
saved=$(ls "$TMP/cwd"/mxscope-* 2>/dev/null | head -1)
[ -f "$saved" ] || fail "s saved no file"

"$BIN" check --commands --record "$TMP/check.ndjson" "${OPTS[@]}" stsbad.test >"$TMP/check.txt" 2>"$TMP/check.err"
cmp -s "$saved" "$TMP/check.txt" || {
	diff -u "$TMP/check.txt" "$saved" | head -40
	fail "the explorer's commands for stsbad.test differ from check --commands"
}
grep -q -- "-CAfile" "$saved" || fail "no -CAfile in the explorer's openssl lines"

# the address alone: the tiers pane, its address row
rm -f "$saved"
tmux -S "$SOCK" send-keys -t "$SESSION" Tab j j s
wait_for "saved to"
saved=$(ls "$TMP/cwd"/mxscope-* 2>/dev/null | head -1)
[ -f "$saved" ] || fail "s saved no file for the address"
grep -q "127.0.77.1" "$saved" || fail "the address's commands do not name 127.0.77.1"
grep -q -- "-servername mx.stsbad.test" "$saved" || fail "the address's openssl line does not name mx.stsbad.test"
if grep -q "mx.busy.test" "$saved"; then fail "the address's commands name the other domain's host"; fi
while IFS= read -r line; do
	grep -qxF -- "$line" "$TMP/check.txt" || fail "the address's line is not check's: $line"
done <"$saved"

# one recording's metadata, the other's: the same keys
python3 - "$TMP/explorer.ndjson" "$TMP/check.ndjson" <<'PY' || fail "the recordings' metadata differ"
import json, sys
keys = []
for path in sys.argv[1:]:
    lines = [json.loads(l) for l in open(path) if l.strip()]
    if not lines:
        sys.exit(path + ": empty")
    keys.append(sorted(lines[-1]["recorded"].keys()))
if keys[0] != keys[1]:
    sys.exit("explorer %s, check %s" % (keys[0], keys[1]))
PY
exit 0
