#!/bin/bash
# tests/test_tui_signal_pty.sh — SIGTERM, SIGINT and SIGHUP to the explorer
# while it records (`lab --record`), through a real pty (tmux): it exits
# 128+signal, the terminal is restored (the alternate screen left, the tty
# back in canonical mode with echo), and every line of the recording reads.
# Skips (77) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || exit 77
BIN="${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}"
TMP=$(mktemp -d /tmp/mxscope-sigpty-XXXXXX)
SOCK="$TMP/tmux-none.sock"
SESSION=sig
cleanup() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
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
	for _ in $(seq 1 100); do
		tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "no \"$1\" on the screen"
}
wait_file() {
	for _ in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	fail "no $1"
}

for sig in TERM INT HUP; do
	rm -f "$TMP/pid" "$TMP/exit" "$TMP/stty" "$TMP/rec.ndjson"
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
	SOCK="$TMP/tmux-$sig.sock" # a server of its own for each signal
	tmux -S "$SOCK" -f /dev/null new-session -d -s "$SESSION" -x 120 -y 40 \
		"sh -c 'echo \$\$ >$TMP/pid; exec env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 $BIN lab --record $TMP/rec.ndjson --interval 60 preference'; echo \$? >$TMP/exit; stty -a >$TMP/stty; sleep 30" ||
		fail "tmux cannot start"
	wait_for "Domains (1)"
	wait_file "$TMP/rec.ndjson"
	wait_file "$TMP/pid"
	[ "$(tmux -S "$SOCK" display -p -t "$SESSION" '#{alternate_on}')" = 1 ] ||
		fail "SIG$sig: the explorer is not on the alternate screen"
	kill -$sig "$(cat "$TMP/pid")"
	wait_file "$TMP/stty"
	want=$((128 + $(kill -l $sig)))
	[ "$(cat "$TMP/exit")" = "$want" ] || fail "SIG$sig: exit $(cat "$TMP/exit"), want $want"
	[ "$(tmux -S "$SOCK" display -p -t "$SESSION" '#{alternate_on}')" = 0 ] ||
		fail "SIG$sig: the terminal is left on the alternate screen"
	grep -qw -- "-icanon" "$TMP/stty" && fail "SIG$sig: the tty is left in raw mode"
	grep -qw -- "-echo" "$TMP/stty" && fail "SIG$sig: the tty is left without echo"
	"$BIN" replay "$TMP/rec.ndjson" >/dev/null 2>"$TMP/err"
	[ $? -le 1 ] || fail "SIG$sig: the recording does not read: $(cat "$TMP/err")"
done
exit 0
