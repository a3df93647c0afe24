#!/bin/sh
# tests/test_cli_hostile.sh — hostile input to the real binary's front door
# the -f reader, closed standard descriptors, argv echoed in
# errors. A hang fails by meson's timeout, never by measuring time here.
set -u
BIN=${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}
T=$(mktemp -d)
LAB=
trap '[ -n "$LAB" ] && kill "$LAB"; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# no name reaches DNS in the -f cases below; nothing listens on port 9 anyway
CHECK="check --no-probe -s 127.0.0.1:9 --timeout 1"

# 1. a last line over 64 KiB without a newline: refused, named, no spin
python3 -c "print('a' * 70000, end='')" > "$T/long"
$BIN $CHECK -f "$T/long" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "long last line: exit $rc, want 2"
grep -q "long:1: line is longer than 65536 bytes" "$T/err" || fail "long last line: $(cat "$T/err")"
# the same through stdin
$BIN $CHECK -f - < "$T/long" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "long last line on stdin: exit $rc, want 2"
grep -q "stdin:1: line is longer" "$T/err" || fail "long line on stdin: $(cat "$T/err")"

# 2. line numbers stay right after lines of several 64 KiB chunks
{ python3 -c "print('a' * 200000)"; echo 'bad!name'; python3 -c "print('b' * 70000)"; echo 'x!y'; } > "$T/lines"
$BIN $CHECK -f "$T/lines" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "long lines: exit $rc"
grep -q 'lines:2: name "bad!name"' "$T/err" || fail "line 2 misnamed: $(cat "$T/err")"
grep -q 'lines:3: line is longer' "$T/err" || fail "line 3 misnamed: $(cat "$T/err")"
grep -q 'lines:4: name "x!y"' "$T/err" || fail "line 4 misnamed: $(cat "$T/err")"
[ "$(grep -c 'line is longer' "$T/err")" -eq 2 ] || fail "one message per long line: $(cat "$T/err")"

# 3. a NUL byte in a line is refused, naming the line (not cut to "ok.test")
printf '# list\nok.test\000evil\n' > "$T/nul"
$BIN $CHECK -f "$T/nul" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "NUL line: exit $rc, want 2"
grep -q "nul:2: line holds a NUL byte" "$T/err" || fail "NUL line: $(cat "$T/err")"
printf 'ok.test\000evil\n' | $BIN $CHECK -f - 2> "$T/err"
grep -q "stdin:1: line holds a NUL byte" "$T/err" || fail "NUL on stdin: $(cat "$T/err")"

# 4. a FIFO as -f does not wait for a writer at open (nobody writes: it
#    reads as empty); a pipe through a path still works; a directory is refused
mkfifo "$T/fifo"
$BIN $CHECK -f "$T/fifo" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] || fail "FIFO: exit $rc, want 0: $(cat "$T/err")"
printf 'bad!x\n' | $BIN $CHECK -f /dev/stdin 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "pipe as /dev/stdin: exit $rc, want 2"
grep -q '/dev/stdin:1: name "bad!x"' "$T/err" || fail "pipe as /dev/stdin: $(cat "$T/err")"
$BIN $CHECK -f "$T" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "directory: exit $rc, want 2"
grep -q "not a file or a pipe" "$T/err" || fail "directory: $(cat "$T/err")"

# 5. started with fd 0, 1 or 2 closed: runs (the lab and a check of one
#    scenario on one loop), no libuv abort, nothing written into a socket
$BIN lab --json preference <&- > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] || fail "stdin closed: exit $rc: $(cat "$T/err")"
grep -q '"domain":"preference.lab.test"' "$T/out" || fail "stdin closed: no report"
$BIN lab --json preference >&- 2> "$T/err"; rc=$?
[ $rc -eq 0 ] || fail "stdout closed: exit $rc: $(cat "$T/err")"
$BIN lab --json preference 2>&- > "$T/out"; rc=$?
[ $rc -eq 0 ] || fail "stderr closed: exit $rc"
grep -q '"domain":"preference.lab.test"' "$T/out" || fail "stderr closed: no report"
$BIN check --concurrency 0 a.test 2>&-; rc=$?
[ $rc -eq 2 ] || fail "stderr closed, bad option: exit $rc, want 2"

# 6. argv echoed in an error is sanitised: no raw ESC or BEL reaches stderr
$BIN check --concurrency "$(printf 'x\033]0;pwned\007')" a.test 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "escape in argv: exit $rc, want 2"
grep -q -- "--concurrency" "$T/err" || fail "escape in argv: $(cat "$T/err")"
if LC_ALL=C grep -q "$(printf '[\033\007]')" "$T/err"; then fail "raw control byte echoed"; fi
$BIN check --no-probe -s 127.0.0.1:9 -f "$(printf '%s/no\033[2Jfile' "$T")" 2> "$T/err"
if LC_ALL=C grep -q "$(printf '\033')" "$T/err"; then fail "raw ESC in a file name echoed"; fi

# 7. a name given twice is reported twice (the scan holds one domain per
#    name: the second waits until the first is reported), from argv and -f
$BIN lab --serve --port 0 --smtp-port 0 --http-port 0 > "$T/lab" 2> /dev/null &
LAB=$!
while ! grep -q '^dns ' "$T/lab"; do
	kill -0 "$LAB" 2> /dev/null || { fail "lab --serve did not start"; break; }
	sleep 0.1
done
DNS=$(sed -n 's/^dns //p' "$T/lab")
printf 'preference.lab.test\nPreference.Lab.Test.\n' > "$T/twice"
$BIN check --json --no-probe -s "$DNS" preference.lab.test null.lab.test preference.lab.test \
	-f "$T/twice" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] || fail "names twice: exit $rc: $(cat "$T/err")"
[ "$(grep -c '"domain":"preference.lab.test"' "$T/out")" -eq 4 ] || fail "names twice: $(cut -c1-60 "$T/out")"
[ "$(grep -c '"domain":"null.lab.test"' "$T/out")" -eq 1 ] || fail "names twice: null.lab.test"

[ $fails -eq 0 ] || exit 1
echo "ok"
