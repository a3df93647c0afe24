# tests/lib-pty.sh — sourced by the explorer's pty tests (tests/test_tui_*.sh):
# a tmux server of the test's own, the screen read back, and a lab served by
# the real binary. Sets BIN, TMP, SOCK; the caller sets SESSION. The test's
# processes, tmux servers and files go however it ends (the EXIT trap).
command -v tmux >/dev/null 2>&1 || exit 77
BIN="${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}"
TMP=$(mktemp -d /tmp/mxscope-pty-XXXXXX)
SOCK="$TMP/tmux.0.sock"
PTY_RUNS=0
LAB_PID=
pty_cleanup() {
	for s in "$TMP"/tmux.*.sock; do tmux -S "$s" kill-server >/dev/null 2>&1; done
	[ -n "$LAB_PID" ] && kill "$LAB_PID" 2>/dev/null && wait "$LAB_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap pty_cleanup EXIT

fail() {
	echo "FAIL: $1"
	echo "---- screen ----"
	tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null
	exit 1
}

# wait_for TEXT: up to 15 s for TEXT on the screen
wait_for() {
	for _ in $(seq 1 150); do
		tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "no \"$1\" on the screen"
}

# pty_start COLS ROWS COMMAND: a fresh tmux server of its own (a server per
# run, so no old socket is in the way) running COMMAND in SESSION
pty_start() {
	tmux -S "$SOCK" kill-server >/dev/null 2>&1
	PTY_RUNS=$((PTY_RUNS + 1))
	SOCK="$TMP/tmux.$PTY_RUNS.sock"
	tmux -S "$SOCK" -f /dev/null new-session -d -s "$SESSION" -x "$1" -y "$2" -c "$TMP" "$3" ||
		fail "tmux cannot start"
}

# lab_serve FILE...: `mxscope lab --serve` on free ports; sets DNS
# (ADDR:PORT), SMTP_PORT, HTTPS_PORT and CA from the lines it prints
lab_serve() {
	mkfifo "$TMP/lab.out"
	"$BIN" lab --serve --port 0 --smtp-port 0 --http-port 0 "$@" \
		</dev/null >"$TMP/lab.out" 2>"$TMP/lab.err" &
	LAB_PID=$!
	exec 3<"$TMP/lab.out"
	DNS= SMTP_PORT= HTTPS_PORT= CA=
	while read -r -t 10 kind where <&3; do
		case "$kind" in
		dns) DNS=$where ;;
		smtp) SMTP_PORT=${where##*:} ;;
		https) HTTPS_PORT=${where##*:} ;;
		ca) CA=$where && break ;;
		esac
	done
	[ -n "$DNS" ] && [ -n "$CA" ] || fail "the lab did not start: $(cat "$TMP/lab.err")"
}
