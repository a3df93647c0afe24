#!/bin/bash
# tests/test_tui_resume_pty.sh — the explorer shows what was asked for, as
# mtr and dig do: with domains named, the saved list is neither shown nor
# touched (the header says how many are kept, and --resume adds them, the
# cursor on the named domain); with none named, the saved list comes back
# and the header says so. It once merged 300 saved domains in silently,
# with the cursor on an old one. The real binary through a real pty (tmux),
# DNS from `mxscope lab --serve`. Skips (77) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || exit 77
BIN="${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}"
TMP=$(mktemp -d /tmp/mxscope-resume-XXXXXX)
SOCK="$TMP/tmux.0.sock"
RUNS=0
SESSION=resume
LAB_PID=
cleanup() {
	for s in "$TMP"/tmux.*.sock; do tmux -S "$s" kill-server >/dev/null 2>&1; done
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
	for _ in $(seq 1 100); do
		tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "no \"$1\" on the screen"
}

mkfifo "$TMP/lab.out"
"$BIN" lab --serve --port 0 --smtp-port 0 --http-port 0 </dev/null >"$TMP/lab.out" 2>"$TMP/lab.err" &
LAB_PID=$!
exec 3<"$TMP/lab.out"
DNS=
while read -r -t 10 kind where <&3; do
	case "$kind" in
	dns) DNS=$where ;;
	ca) break ;;
	esac
done
[ -n "$DNS" ] || fail "the lab did not start: $(cat "$TMP/lab.err")"
mkdir -p "$TMP/mxscope"
printf '# mxscope state 1\ndomain single.lab.test\ndomain primary-down.lab.test\n' >"$TMP/mxscope/state"
cp "$TMP/mxscope/state" "$TMP/saved"

# run ARGS...: the explorer in tmux until q
run() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
	RUNS=$((RUNS + 1))
	SOCK="$TMP/tmux.$RUNS.sock" # a server of its own each run
	rm -f "$TMP/exit"
	tmux -S "$SOCK" -f /dev/null new-session -d -s "$SESSION" -x 120 -y 30 \
		"env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' -s $DNS --allow-loopback --no-probe $*; echo exit=\$? >$TMP/exit; sleep 30" ||
		fail "tmux cannot start"
}
quit() {
	tmux -S "$SOCK" send-keys -t "$SESSION" q
	for _ in $(seq 1 100); do
		[ -s "$TMP/exit" ] && break
		sleep 0.1
	done
	grep -q "exit=0" "$TMP/exit" 2>/dev/null || fail "q did not quit with 0"
}

# a domain named: only it, the saved two kept as they were
run reject.lab.test
wait_for "Domains (1)"
wait_for "2 saved not shown (--resume)"
quit
grep -q "reject.lab.test" "$TMP/mxscope/state" && fail "the saved list took the named domain"
grep -q "domain single.lab.test" "$TMP/mxscope/state" || fail "the saved list lost single.lab.test"
grep -q "domain primary-down.lab.test" "$TMP/mxscope/state" || fail "the saved list lost primary-down.lab.test"

# none named: the saved list, said in the header
run
wait_for "Domains (2)"
wait_for "restored 2 saved"
quit

# --resume: both, the cursor on the named one, and all three saved
run --resume reject.lab.test
wait_for "Domains (3)"
wait_for "Tiers of reject.lab.test"
quit
grep -q "domain reject.lab.test" "$TMP/mxscope/state" || fail "--resume did not save the named domain"
grep -q "domain single.lab.test" "$TMP/mxscope/state" || fail "--resume lost a saved domain"
exit 0
