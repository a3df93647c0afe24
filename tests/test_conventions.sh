#!/bin/sh
# tests/test_conventions.sh — what the code standards say of every source
# file, checked: no C file over 1,200 lines, and no comment that points at an
# issue number (a comment says why; the issue tracker is not the code's
# memory).
set -u
SRC=${MXSCOPE_SRCDIR:?MXSCOPE_SRCDIR is set by meson}
cd "$SRC" || exit 1
fails=0
files=$(git ls-files '*.c' '*.h' '*.sh' '*.py' 'meson.build' '*/meson.build' 2>/dev/null)
[ -n "$files" ] || files=$(find core net lab tui src tests fuzz bench scripts -type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' -o -name meson.build \))
[ -n "$files" ] || { echo "FAIL: no source file found under $SRC" >&2; exit 1; }
for f in $files; do
	case "$f" in
	*.c | *.h)
		n=$(wc -l <"$f")
		[ "$n" -le 1200 ] || { echo "FAIL: $f has $n lines (at most 1,200)" >&2; fails=$((fails + 1)); }
		;;
	esac
	if grep -nE '[Ii]ssues? [0-9]+|\(#[0-9]+' "$f" | grep -v 'test_conventions.sh' >/dev/null; then
		grep -nE '[Ii]ssues? [0-9]+|\(#[0-9]+' "$f" | sed "s|^|FAIL: $f:|" >&2
		fails=$((fails + 1))
	fi
done
exit $((fails > 0))
