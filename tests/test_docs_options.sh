#!/bin/sh
# tests/test_docs_options.sh — every option `mxscope --help` lists is in the
# man page (docs/mxscope.1) and in README.md: the help comes from the option
# table, the two documents are written by hand and drifted once (--srv, -4,
# -6 and --qps were missing from the page).
set -u
BIN=${MXSCOPE_BIN:?MXSCOPE_BIN is set by meson}
SRC=${MXSCOPE_SRCDIR:?MXSCOPE_SRCDIR is set by meson}
fails=0
opts=$("$BIN" --help 2>&1 | grep -oE -- '(^|[ ,])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | sed 's/^[ ,]*//' | sort -u)
[ -n "$opts" ] || { echo "FAIL: no option read from --help" >&2; exit 1; }
for o in $opts; do
	# the page writes each '-' as '\-'
	man=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -e "$man" "$SRC/docs/mxscope.1" || { echo "FAIL: $o is not in docs/mxscope.1" >&2; fails=$((fails + 1)); }
	# the README is the tour, not the reference: it may leave out what every
	# tool has
	case "$o" in -h | --help | -V | --version) continue ;; esac
	grep -q -e "$o" "$SRC/README.md" || { echo "FAIL: $o is not in README.md" >&2; fails=$((fails + 1)); }
done
exit $fails
