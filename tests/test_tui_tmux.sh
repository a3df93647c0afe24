#!/bin/bash
# tests/test_tui_tmux.sh — a smoke test of the explorer through a real
# pseudo-terminal: `mxscope lab primary-down` in a detached tmux session,
# keys with send-keys, the screen with capture-pane; then a keymap that
# binds x to quit (its first argument, test_tui_keymap --pty, runs the
# explorer on the in-process lab with it). Skips (77) without tmux.
# Its own tmux server (-S, a socket in a temporary directory) is always killed, so no session is left behind.
set -u
command -v tmux >/dev/null 2>&1 || exit 77
BIN="${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}"
KEYMAP_BIN="${1:?the test_tui_keymap binary, given by meson}"
TMP=$(mktemp -d /tmp/mxscope-tmux-XXXXXX)
SOCK="$TMP/tmux.sock" # our own server, and its socket goes with TMP
cleanup() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

SESSION=smoke
fail() {
	echo "FAIL: $1"
	echo "---- screen ----"
	tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null
	exit 1
}

# waits up to 10 s for text on the screen
wait_for() {
	for _ in $(seq 1 100); do
		tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "no \"$1\" on the screen"
}

tmux -S "$SOCK" -f /dev/null new-session -d -s smoke -x 100 -y 30 \
	"env XDG_STATE_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' lab --interval 60 primary-down; echo exit=\$? >$TMP/exit; sleep 30" ||
	fail "tmux cannot start"
wait_for "Domains (1)"
wait_for "accepted         127.0.16.2"
wait_for "Lab: Primary down"
tmux -S "$SOCK" send-keys -t smoke '?'
wait_for "walk the attempt order"
tmux -S "$SOCK" send-keys -t smoke Escape
tmux -S "$SOCK" send-keys -t smoke w ' ' n n
wait_for "=> delivered to mx2.primary-down.lab.test (127.0.16.2)"
tmux -S "$SOCK" send-keys -t smoke Escape
tmux -S "$SOCK" send-keys -t smoke f
wait_for "FROZEN"
tmux -S "$SOCK" resize-window -t smoke -x 70 -y 20 2>/dev/null && wait_for "this terminal: 70x20"
tmux -S "$SOCK" resize-window -t smoke -x 100 -y 30 2>/dev/null && wait_for "Domains (1)"
tmux -S "$SOCK" send-keys -t smoke Q
for _ in $(seq 1 100); do
	[ -s "$TMP/exit" ] && break
	sleep 0.1
done
grep -q "exit=0" "$TMP/exit" 2>/dev/null || fail "mxscope did not exit with 0 after Q"
# Q prints the report on the normal screen once curses is gone
wait_for "delivered to"
[ -s "$TMP/mxscope/state" ] || fail "no state file written"

# A state that cannot be saved at exit (its directory's parent is a file) is
# said on the normal screen, with the path, and the exit status is not 0.
SESSION=nosave
: >"$TMP/blocker"
tmux -S "$SOCK" new-session -d -s nosave -x 100 -y 30 \
	"env XDG_STATE_HOME=$TMP/blocker TERM=xterm-256color LANG=C.UTF-8 '$BIN' lab --interval 60 primary-down; echo exit=\$? >$TMP/exit2; sleep 30" ||
	fail "tmux cannot start a second session"
wait_for "Domains (1)"
tmux -S "$SOCK" send-keys -t nosave q
for _ in $(seq 1 100); do
	[ -s "$TMP/exit2" ] && break
	sleep 0.1
done
grep -q "exit=3" "$TMP/exit2" 2>/dev/null || fail "a failed save did not exit with 3: $(cat "$TMP/exit2" 2>/dev/null)"
wait_for "mxscope: state not saved: $TMP/blocker/mxscope/state"

# bind x quit moves the key in a real pty: the help shows x beside quit,
# the reshuffle it ran before has no key, and x ends the explorer.
SESSION=keymap
tmux -S "$SOCK" new-session -d -s keymap -x 120 -y 50 \
	"env XDG_STATE_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$KEYMAP_BIN' --pty 2>$TMP/keymap.err; echo exit=\$? >$TMP/exit3; sleep 30" ||
	fail "tmux cannot start a third session"
wait_for "Domains (1)"
wait_for "accepted         127.0.16.2"
tmux -S "$SOCK" send-keys -t keymap F1
wait_for "q, F10, x quit; Q quit"
wait_for "(no key)          reshuffle"
tmux -S "$SOCK" send-keys -t keymap Escape
tmux -S "$SOCK" send-keys -t keymap F9
wait_for "F9 does nothing here; ? lists the keys"
tmux -S "$SOCK" send-keys -t keymap x
for _ in $(seq 1 100); do
	[ -s "$TMP/exit3" ] && break
	sleep 0.1
done
grep -q "exit=0" "$TMP/exit3" 2>/dev/null || fail "x did not end the explorer: $(cat "$TMP/exit3" "$TMP/keymap.err" 2>/dev/null)"
# printed on the normal screen once the explorer is gone
wait_for "explorer exited 0"
echo "ok"
exit 0
