# bench/lib-postfix.sh — our own Postfix instance for the bench scripts
# (sourced, not run): a private config_directory, queue_directory and
# data_directory in a directory of ours, smtpd alone on ADDR:PORT (loopback)
# with STARTTLS offered (a self-signed RSA 2048 certificate made here with
# openssl), no chroot, its log in DIR/maillog. The Debian package's own
# instance (/etc/postfix) is never started or touched.
#
#   pf_start DIR ADDR PORT HOSTNAME   start it, wait until it greets
#   pf_stop                           stop it by `postfix -c DIR stop`
#
# The caller sets its own EXIT trap and calls pf_stop from it. Needs root
# (Postfix's master runs as root and its daemons as the postfix user).

PF_DIR=""

# postfix(1) reports only to syslog unless stderr is a terminal: script(1)
# gives it one, so a failure says why
pf_cmd() {
	script -qec "postfix -c $PF_DIR/etc $*" /dev/null
}

pf_start() {
	local dir="$1" addr="$2" port="$3" name="$4"
	PF_DIR="$dir"
	rm -rf "$dir"
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
	chown postfix "$dir/data"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$name" \
		-addext "subjectAltName=DNS:$name" -keyout "$dir/etc/key.pem" \
		-out "$dir/etc/cert.pem" >/dev/null 2>&1
	cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
# Postfix wants inet_interfaces to be an interface's address; the listener
# itself is master.cf's, on $addr alone
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = $name
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtpd_tls_cert_file = $dir/etc/cert.pem
smtpd_tls_key_file = $dir/etc/key.pem
smtpd_tls_security_level = may
EOF
	cat >"$dir/etc/master.cf" <<EOF
$addr:$port inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	if ss -ltn 2>/dev/null | grep -q " $addr:$port "; then
		echo "bench: something already listens on $addr:$port" >&2
		exit 1
	fi
	pf_cmd start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" >&2; exit 1; }
	for _ in $(seq 1 100); do
		if python3 - "$addr" "$port" <<'EOF' 2>/dev/null; then
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
s.settimeout(2)
sys.exit(0 if s.recv(512).startswith(b"220") else 1)
EOF
			return 0
		fi
		sleep 0.1
	done
	echo "bench: Postfix in $dir did not greet" >&2
	cat "$dir/start.log" "$dir/maillog" >&2 2>/dev/null || true
	exit 1
}

pf_stop() {
	[ -n "$PF_DIR" ] || return 0
	pf_cmd stop >/dev/null 2>&1 || true
	PF_DIR=""
}
