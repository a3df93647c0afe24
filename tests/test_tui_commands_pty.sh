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
SESSION=cmds
. "$(dirname "$0")/lib-pty.sh"
SRC="${MXSCOPE_SRCDIR:?MXSCOPE_SRCDIR is set by meson}"

# the lab, serving both zones
lab_serve "$SRC/tests/data/share/busy.zone" "$SRC/tests/data/share/stsbad.zone"

# the same options for both front ends
OPTS=(-s "$DNS" --allow-loopback --smtp-port "$SMTP_PORT" --cafile "$CA" --mta-sts-port "$HTTPS_PORT"
	--ns-port "${DNS##*:}" --seed 1 --timeout 2 --ehlo client.test --ptr)

mkdir "$TMP/cwd"
pty_start 160 50 "cd $TMP/cwd && env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' ${OPTS[*]} --record $TMP/explorer.ndjson --interval 3600 ok.busy.test stsbad.test; sleep 30"
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
