#!/bin/bash
# tests/test_tui_config_pty.sh — the config file's bind and unbind lines move
# keys in the real explorer, through a real pty (tmux): with `bind x quit`
# and `unbind q`, q says it does nothing, the help lists x as quit, and x
# quits with status 0; `set` lines give defaults (the theme named in the
# header). Skips (77) without tmux.
set -u
SESSION=cfg
. "$(dirname "$0")/lib-pty.sh"

mkdir -p "$TMP/mxscope"
cat >"$TMP/mxscope/config" <<'CFG'
# the explorer's keys, moved
bind x quit
unbind q
set theme light   # a default a flag could override
CFG
pty_start 120 40 "env XDG_STATE_HOME=$TMP XDG_CONFIG_HOME=$TMP TERM=xterm-256color LANG=C.UTF-8 '$BIN' lab --interval 60 single; echo exit=\$? >$TMP/exit; sleep 30"
wait_for "Domains (1)"
wait_for "theme light"
tmux -S "$SOCK" send-keys -t "$SESSION" q
wait_for "q does nothing"
tmux -S "$SOCK" send-keys -t "$SESSION" F1
wait_for "x quit"
tmux -S "$SOCK" send-keys -t "$SESSION" Escape
tmux -S "$SOCK" send-keys -t "$SESSION" x
for _ in $(seq 1 100); do
	[ -s "$TMP/exit" ] && break
	sleep 0.1
done
grep -q "exit=0" "$TMP/exit" 2>/dev/null || fail "x did not quit with status 0"
exit 0
