#!/bin/bash
# tests/test_tui_signal_pty.sh — SIGTERM, SIGINT and SIGHUP to the explorer
# while it records (`lab --record`), through a real pty (tmux): it exits
# 128+signal, the terminal is restored (the alternate screen left, the tty
# back in canonical mode with echo), and every line of the recording reads.
# Skips (77) without tmux.
set -u
SESSION=sig
. "$(dirname "$0")/lib-pty.sh"

wait_file() {
	for _ in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	fail "no $1"
}

for sig in TERM INT HUP; do
	rm -f "$TMP/pid" "$TMP/exit" "$TMP/stty" "$TMP/rec.ndjson"
	# a tmux server of its own for each signal
	pty_start 120 40 "sh -c 'echo \$\$ >$TMP/pid; exec env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 $BIN lab --record $TMP/rec.ndjson --interval 60 preference'; echo \$? >$TMP/exit; stty -a >$TMP/stty; sleep 30"
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
