#!/bin/bash
# tests/test_tui_resume_pty.sh — the explorer shows what was asked for, as
# mtr and dig do: with domains named, the saved list is neither shown nor
# touched (the header says how many are kept, and --resume adds them, the
# cursor on the named domain); with none named, the saved list comes back
# and the header says so. It once merged 300 saved domains in silently,
# with the cursor on an old one. The real binary through a real pty (tmux),
# DNS from `mxscope lab --serve`. Skips (77) without tmux.
set -u
SESSION=resume
. "$(dirname "$0")/lib-pty.sh"

lab_serve
mkdir -p "$TMP/mxscope"
printf '# mxscope state 1\ndomain single.lab.test\ndomain primary-down.lab.test\n' >"$TMP/mxscope/state"

# run ARGS...: the explorer in tmux until q
run() {
	rm -f "$TMP/exit"
	pty_start 120 30 "env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' -s $DNS --allow-loopback --no-probe $*; echo exit=\$? >$TMP/exit; sleep 30"
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
