# shellcheck shell=bash
# tests/lib-exim.sh — Debian's Exim 4.96 (exim4-daemon-light) as a private
# oracle, for tests/test_mta_oracle_exim.sh and tests/data/evidence/
# regen-exim.sh (sourced, not run). Debian's exim4 packages conflict with the
# installed postfix, so the package is never installed: `apt-get download`
# and `dpkg -x` into a cache directory, once (the next call finds it there).
# Exim runs from there as root with a config of ours (-C), a spool of ours
# and no daemon: `exim -odf` delivers one message in the foreground and
# writes its mainlog in the spool.
#
#   exim_fetch CACHE       the binary in CACHE (downloaded once); sets EXIM_BIN
#   exim_user DIR          inside `unshare -m`: the Debian-exim user the binary
#                          was built for, in a private /etc/passwd and group
#   exim_spool DIR TIMEOUT a spool in DIR and DIR/exim.conf (Exim's defaults
#                          but the lab's port 2525, IPv4 only, TIMEOUT s)
#   exim_send DIR RCPT     one message from alice@sender.lab.test, delivered
#                          now (-odf); its lines land in DIR/log/mainlog
#
# Needs root (Exim checks that -C's file is root's; the transports run as
# Debian-exim), apt-get, dpkg, and for exim_user a mount namespace.

# the uid the binary is given for its compiled-in EXIM_USER=ref:Debian-exim;
# it exists only in the bind-mounted passwd of the namespace
EXIM_UID=64990

exim_fetch() {
	local cache="$1" tmp
	EXIM_BIN="$cache/usr/sbin/exim4"
	[ -x "$EXIM_BIN" ] && return 0
	mkdir -p "$(dirname "$cache")"
	# parallel callers (the test's parts): one downloads, the others wait
	(
		flock 9
		[ -x "$EXIM_BIN" ] && exit 0
		tmp=$(mktemp -d "$cache.XXXXXX") || exit 1
		chmod 755 "$tmp"
		# apt-get download writes where it runs; as root it warns that _apt
		# cannot read the directory, which is harmless
		dl() { (cd "$tmp" && apt-get download -q "$@" >/dev/null 2>&1); }
		pkgs="exim4-daemon-light"
		# libidn12 the binary links; scripts/setup installs it, a machine
		# without it gets it extracted beside the binary
		ldconfig -p | grep -q 'libidn\.so\.12 ' || pkgs="$pkgs libidn12"
		# shellcheck disable=SC2086
		dl $pkgs || { apt-get update -q >/dev/null 2>&1 && dl $pkgs; } || {
			echo "exim_fetch: apt-get download $pkgs failed" >&2
			rm -rf "$tmp"
			exit 1
		}
		for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root" || exit 1; done
		rm -rf "$cache"
		mv "$tmp/root" "$cache" && rm -rf "$tmp"
	) 9>"$cache.lock" || return 1
	[ -x "$EXIM_BIN" ]
}

exim_user() {
	local dir="$1"
	cp /etc/passwd "$dir/passwd"
	cp /etc/group "$dir/group"
	echo "Debian-exim:x:$EXIM_UID:$EXIM_UID::/nonexistent:/usr/sbin/nologin" >>"$dir/passwd"
	echo "Debian-exim:x:$EXIM_UID:" >>"$dir/group"
	mount --bind "$dir/passwd" /etc/passwd && mount --bind "$dir/group" /etc/group
}

# Everything not set here is Exim 4.96's default (the spec's option tables):
# the dnslookup router as the default configure has it (no
# ignore_target_hosts: the lab is on 127/8), the smtp transport with its
# defaults (hosts_max_try 5, hosts_max_try_hardlimit 50, STARTTLS when
# offered, no certificate check), the default configure's retry rule (so a
# temporary error defers, as on a real Exim, instead of bouncing). Bounces to
# alice are kept in DIR/bounces.mbox: real Exim DSNs.
exim_spool() {
	local dir="$1" timeout="$2" libs=""
	mkdir -p "$dir"
	[ -d "$(dirname "$EXIM_BIN")/../lib/x86_64-linux-gnu" ] &&
		libs="LD_LIBRARY_PATH"
	cat >"$dir/exim.conf" <<EOF
primary_hostname = oracle.localdomain
qualify_domain = sender.lab.test
spool_directory = $dir
log_file_path = $dir/log/%slog
exim_path = $EXIM_BIN
keep_environment = $libs
disable_ipv6 = true

begin routers
sender:
  driver = accept
  domains = sender.lab.test
  transport = mbox
dnslookup:
  driver = dnslookup
  transport = remote_smtp
  no_more

begin transports
remote_smtp:
  driver = smtp
  port = 2525
  connect_timeout = 3s
  command_timeout = ${timeout}s
  data_timeout = ${timeout}s
mbox:
  driver = appendfile
  file = $dir/bounces.mbox
  user = Debian-exim

begin retry
*  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h
EOF
	chown -R "$EXIM_UID:$EXIM_UID" "$dir"
	# Exim reads -C only from a file of root's that nobody else may write
	chown root:root "$dir/exim.conf"
	chmod 644 "$dir/exim.conf"
}

exim_send() {
	local dir="$1" rcpt="$2" libs
	libs="$(dirname "$EXIM_BIN")/../lib/x86_64-linux-gnu"
	printf 'Subject: mxscope oracle for %s\nFrom: alice@sender.lab.test\n\nmxscope\n' "$rcpt" |
		LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
			"$EXIM_BIN" -C "$dir/exim.conf" -odf -f alice@sender.lab.test "$rcpt"
}
