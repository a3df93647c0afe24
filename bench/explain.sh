#!/bin/bash
# bench/explain.sh [LINES] — how fast `mxscope explain` reads a Postfix
# maillog, against `grep -c 'status=deferred'` over the same file in the
# same run (the peer: the least any tool reading the log must do).
#
# The log is LINES lines (default 1,000,000) made from the real corpus
# (tests/data/evidence/postfix-maillog), each copy with its own queue ids
# and pids. mxscope runs with --replay on an empty recording: every line is
# read, detected, parsed, joined and grouped, and no network is asked, so
# the time is the reading's. Prints lines/s, peak RSS and the ratio to
# grep. Results go to bench/out/ (ignored by git).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=${MXSCOPE:-$top/build/src/mxscope}
lines=${1:-1000000}
out=$here/out
mkdir -p "$out"
log=$out/maillog.$lines
corpus=$top/tests/data/evidence/postfix-maillog

if [ ! -s "$log" ] || [ "$(wc -l <"$log")" -ne "$lines" ]; then
	# copy k gets queue ids of its own (k in them, hex)
	python3 - "$corpus" "$lines" >"$log" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
want, n, k = int(sys.argv[2]), 0, 0
qid = re.compile(r"\b[0-9A-F]{11}\b")
out = sys.stdout
while n < want:
    k += 1
    for i, line in enumerate(src):
        if n == want:
            break
        out.write(qid.sub(lambda m, k=k, i=i: "%06X%05X" % (k, i), line) + "\n")
        n += 1
PY
fi
: >"$out/empty.ndjson"
size=$(stat -c %s "$log")

measure() { # prints "seconds peak_kib"
	# stdout to a file, not /dev/null: GNU grep stops at the first match
	# when its output is /dev/null, which would flatter the peer
	/usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/stdout.txt" 2>"$out/err.txt" || true
	cat "$out/time.txt"
}
best() { # the fastest of 3 runs
	local b="" r
	for _ in 1 2 3; do
		r=$(measure "$@")
		if [ -z "$b" ] || awk -v a="${r% *}" -v b="${b% *}" 'BEGIN { exit !(a < b) }'; then b=$r; fi
	done
	echo "$b"
}
g=$(best grep -c 'status=deferred' "$log")
m=$(best "$bin" explain --replay "$out/empty.ndjson" "$log")
gs=${g% *} ms=${m% *} mk=${m#* }
awk -v lines="$lines" -v size="$size" -v gs="$gs" -v ms="$ms" -v mk="$mk" 'BEGIN {
	if (gs < 0.01) gs = 0.01
	if (ms < 0.01) ms = 0.01
	printf "maillog: %d lines, %.0f MB\n", lines, size / 1e6
	printf "grep -c status=deferred  %.2f s  %10.0f lines/s\n", gs, lines / gs
	printf "mxscope explain          %.2f s  %10.0f lines/s  peak RSS %d KiB\n", ms, lines / ms, mk
	printf "ratio explain/grep       %.1fx (target: within 3x)\n", ms / gs
}' | tee "$out/explain.txt"
