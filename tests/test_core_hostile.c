/* tests/test_core_hostile.c — hostile servers end to end, against the real
 * binary, with hand-made answers from servers on loopback:
 * - a DNS server returns MX and SRV targets with bytes that
 *   are not a host name. mxscope must report mx-invalid-name /
 *   srv-invalid-name with the name shown escaped, and never ask DNS about
 *   the mangled name, while the valid target beside them is looked up.
 * - an SMTP server greets "220-a" then "250 b". A multi-line
 *   reply keeps one code, so this is no greeting: the probe says garbage,
 *   with the reason, and no sender would deliver there. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define T_MX  15
#define T_SRV 33

/* Appends a name given as labels ("\x1b[2J", "evil", "test", NULL). */
static size_t put_name(unsigned char *o, const char *const *labels, const size_t *lens)
{
	size_t n = 0;

	for (size_t i = 0; labels[i]; i++) {
		size_t l = lens && lens[i] ? lens[i] : strlen(labels[i]);
		o[n++] = (unsigned char)l;
		memcpy(o + n, labels[i], l);
		n += l;
	}
	o[n++] = 0;
	return n;
}

/* One answer record for the question's name (a pointer to offset 12). */
static size_t put_rr(unsigned char *o, int type, const unsigned char *rdata, size_t rdlen)
{
	size_t n = 0;

	o[n++] = 0xc0;
	o[n++] = 12;
	o[n++] = (unsigned char)(type >> 8);
	o[n++] = (unsigned char)type;
	o[n++] = 0;
	o[n++] = 1; /* IN */
	o[n++] = 0;
	o[n++] = 0;
	o[n++] = 0;
	o[n++] = 60; /* TTL */
	o[n++] = (unsigned char)(rdlen >> 8);
	o[n++] = (unsigned char)rdlen;
	memcpy(o + n, rdata, rdlen);
	return n + rdlen;
}

/* The question's name in presentation form, bytes that are not LDH, '_' or '.'
 * as \DDD: what was asked, for the log. */
static void name_text(const unsigned char *q, size_t qlen, char *out, size_t cap)
{
	size_t i = 12, o = 0;

	out[0] = '\0';
	while (i < qlen && q[i] && o + 8 < cap) {
		size_t l = q[i++];
		for (size_t k = 0; k < l && i < qlen && o + 8 < cap; k++, i++) {
			unsigned char c = q[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, cap - o, "\\%03u", c);
		}
		out[o++] = '.';
	}
	out[o] = '\0';
}

/* The server: answers MX and SRV for evil.test with hostile targets, MX
 * for code.test (mx.evil.test), A for mx.evil.test, NXDOMAIN for the rest, and writes one line per
 * question ("TYPE NAME") to log_fd. Runs until killed. */
static void serve(int s, int log_fd)
{
	static const char *const esc[] = {"\x1b[2J", "evil", "test", NULL};
	static const char *const nul[] = {"a\0b", "evil", "test", NULL};
	static const size_t nul_lens[] = {3, 0, 0, 0};
	static const char *const good[] = {"mx", "evil", "test", NULL};
	static const char *const star[] = {"imap server", "evil", "test", NULL};

	for (;;) {
		unsigned char q[512], a[1024], rd[300];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		size_t qend = 12, alen, an = 0;
		int qtype;
		char name[600], line[700];

		if (n < 17)
			continue;
		while (qend < (size_t)n && q[qend])
			qend += q[qend] + 1u;
		qend += 5; /* the root label, type, class */
		if (qend > (size_t)n)
			continue;
		qtype = q[qend - 4] << 8 | q[qend - 3];
		name_text(q, (size_t)n, name, sizeof(name));
		snprintf(line, sizeof(line), "%d %s\n", qtype, name);
		if (write(log_fd, line, strlen(line)) < 0)
			_exit(1);
		memcpy(a, q, qend);
		a[2] = 0x84 | (q[2] & 0x01); /* QR, AA, keep RD */
		a[3] = 0x80;
		a[6] = a[7] = a[8] = a[9] = a[10] = a[11] = 0;
		alen = qend;
		if (qtype == T_MX && strcmp(name, "evil.test.") == 0) {
			const char *const *targets[] = {esc, nul, good};
			const size_t *lens[] = {NULL, nul_lens, NULL};
			for (size_t t = 0; t < 3; t++) {
				rd[0] = 0;
				rd[1] = (unsigned char)(10 * (t + 1));
				alen += put_rr(a + alen, T_MX, rd,
				               2 + put_name(rd + 2, targets[t], lens[t]));
				an++;
			}
		} else if (qtype == T_SRV && strcmp(name, "_imaps._tcp.evil.test.") == 0) {
			memcpy(rd, "\0\0\0\1\3\xe1", 6); /* priority 0, weight 1, port 993 */
			alen += put_rr(a + alen, T_SRV, rd, 6 + put_name(rd + 6, star, NULL));
			an++;
		} else if (qtype == T_MX && strcmp(name, "code.test.") == 0) {
			rd[0] = 0;
			rd[1] = 10;
			alen += put_rr(a + alen, T_MX, rd, 2 + put_name(rd + 2, good, NULL));
			an++;
		} else if (qtype == 1 && strcmp(name, "mx.evil.test.") == 0) {
			alen += put_rr(a + alen, 1, (const unsigned char *)"\x7f\0\0\x01", 4);
			an++;
		} else {
			a[3] |= 3; /* NXDOMAIN */
		}
		a[7] = (unsigned char)an;
		sendto(s, a, alen, 0, (struct sockaddr *)&from, fl);
	}
}

/* Starts the DNS server of serve() in a child; its question log is read
 * from *log_r once the child is gone. */
static pid_t dns_start(char *spec, size_t cap, int *sock, int *log_r)
{
	int logp[2];
	pid_t child;

	assert_int_equal(pipe(logp), 0);
	*sock = h_udp_socket(spec, cap);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(logp[0]);
		serve(*sock, logp[1]);
		_exit(0);
	}
	close(logp[1]);
	*log_r = logp[0];
	return child;
}

/* Stops the server and reads what it was asked into asked. */
static void dns_stop(pid_t child, int sock, int log_r, char *asked, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(sock);
	while (got + 1 < cap && (n = read(log_r, asked + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	asked[got] = '\0';
	close(log_r);
}

/* An SMTP server on 127.0.0.1 (port in *port) whose greeting is the
 * multi-line reply "220-a" then "250 b"; it answers EHLO, NOOP and QUIT
 * like any server, so only the greeting is wrong. */
static pid_t smtp_start(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t child;

	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	child = fork();
	assert_true(child >= 0);
	if (child > 0) {
		close(s);
		return child;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		char line[512];
		size_t n = 0;
		static const char greet[] = "220-a\r\n250 b\r\n";

		if (c < 0)
			continue;
		if (write(c, greet, sizeof(greet) - 1) < 0) {
			close(c);
			continue;
		}
		for (;;) {
			char ch;
			const char *reply;
			if (read(c, &ch, 1) != 1)
				break;
			if (ch != '\n') {
				if (n + 1 < sizeof(line))
					line[n++] = ch;
				continue;
			}
			line[n] = '\0';
			n = 0;
			reply = strncasecmp(line, "QUIT", 4) == 0   ? "221 bye\r\n"
			        : strncasecmp(line, "EHLO", 4) == 0 ? "250 code.test\r\n"
			        : strncasecmp(line, "NOOP", 4) == 0 ? "250 ok\r\n"
			                                            : "502 no\r\n";
			if (write(c, reply, strlen(reply)) < 0 || strncmp(reply, "221", 3) == 0)
				break;
		}
		close(c);
	}
}

static const json_t *finding(const json_t *j, const char *code, const char *subject)
{
	const json_t *fs = json_object_get(j, "findings");

	for (size_t i = 0; i < json_array_size(fs); i++) {
		const json_t *f = json_array_get(fs, i);
		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "subject")), subject) == 0)
			return f;
	}
	return NULL;
}

static void test_invalid_targets_not_looked_up(void **state)
{
	char spec[32], asked[8192];
	int sock, log_r;
	pid_t child = dns_start(spec, sizeof(spec), &sock, &log_r);
	hrun r;
	json_t *j;
	json_error_t err;

	(void)state;
	{
		const char *args[] = {"check", "--json",    "--no-probe", "--allow-loopback",
		                      "--srv", "-s",        spec,         "--timeout",
		                      "2",     "evil.test", NULL};
		h_run(args, NULL, 20000, &r);
	}
	dns_stop(child, sock, log_r, asked, sizeof(asked));

	/* exit 1: the domain has error findings */
	if (r.status != 1)
		print_error("status %d\nstdout: %s\nstderr: %s\n", r.status, r.out, r.err);
	assert_int_equal(r.status, 1);
	assert_null(strchr(r.out, '\x1b'));
	j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	/* c-ares writes the ESC byte as \027 and the NUL as \000: shown so */
	assert_non_null(finding(j, "mx-invalid-name", "\\027[2j.evil.test"));
	assert_non_null(finding(j, "mx-invalid-name", "a\\000b.evil.test"));
	if (!finding(j, "srv-invalid-name", "imap server.evil.test"))
		print_error("srv %s\nasked:\n%s", strstr(r.out, "\"srv\""), asked);
	assert_non_null(finding(j, "srv-invalid-name", "imap server.evil.test"));
	assert_null(finding(j, "mx-cname", "\\027[2j.evil.test"));
	assert_null(finding(j, "mx-no-address", "\\027[2j.evil.test"));
	assert_null(finding(j, "mx-no-address", "a\\000b.evil.test"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "mx"), 0), "a_rcode")),
	                    "not asked");
	/* what was asked: MX, the valid target's addresses, the SRV names;
	 * never an address of the mangled names, in any spelling */
	assert_non_null(strstr(asked, "15 evil.test.\n"));
	assert_non_null(strstr(asked, "1 mx.evil.test.\n"));
	assert_non_null(strstr(asked, "28 mx.evil.test.\n"));
	for (const char *l = asked; *l; l = strchr(l, '\n') + 1) {
		int type = atoi(l);
		const char *nm = strchr(l, ' ') + 1;
		if (type != 1 && type != 28)
			continue;
		if (strncmp(nm, "mx.evil.test.\n", 14) != 0) {
			print_error("asked about another address: %.*s\n",
			            (int)(strchr(l, '\n') - l), l);
			fail();
		}
	}
	json_decref(j);
	hrun_free(&r);
}

static void test_greeting_keeps_one_code(void **state)
{
	char spec[32], asked[8192], port_s[16];
	int sock, log_r, port;
	pid_t dns = dns_start(spec, sizeof(spec), &sock, &log_r), smtp = smtp_start(&port);
	hrun r;
	json_t *j;
	json_error_t err;
	const json_t *probe, *fs;
	bool unreachable = false;

	(void)state;
	snprintf(port_s, sizeof(port_s), "%d", port);
	{
		const char *args[] = {
		    "check",     "--json", "--allow-loopback", "-s", spec, "--smtp-port", port_s,
		    "--timeout", "3",      "code.test",        NULL};
		h_run(args, NULL, 30000, &r);
	}
	kill(smtp, SIGKILL);
	waitpid(smtp, NULL, 0);
	dns_stop(dns, sock, log_r, asked, sizeof(asked));

	if (r.status != 1)
		print_error("status %d\nstdout: %s\nstderr: %s\n", r.status, r.out, r.err);
	assert_int_equal(r.status, 1);
	j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	probe = json_object_get(
	    json_array_get(
	        json_object_get(json_array_get(json_object_get(j, "mx"), 0), "addresses"), 0),
	    "probe");
	assert_non_null(probe);
	/* not accepted as a 250 (nor a 220): malformed, and it says why */
	assert_string_equal(json_string_value(json_object_get(probe, "state")), "garbage");
	assert_null(json_object_get(probe, "code"));
	assert_non_null(strstr(json_string_value(json_object_get(probe, "error")),
	                       "multi-line reply changes its reply code"));
	assert_non_null(strstr(json_string_value(json_object_get(probe, "transcript")),
	                       "S: 220-a\nS: 250 b\n"));
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	fs = json_object_get(j, "findings");
	for (size_t i = 0; i < json_array_size(fs); i++) {
		const json_t *f = json_array_get(fs, i);
		if (strcmp(json_string_value(json_object_get(f, "code")), "smtp-unreachable") == 0)
			unreachable = strstr(json_string_value(json_object_get(f, "message")),
			                     "changes its reply code") != NULL;
	}
	assert_true(unreachable);
	assert_non_null(finding(j, "no-accepting-mx", "code.test"));
	json_decref(j);
	hrun_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_targets_not_looked_up),
	    cmocka_unit_test(test_greeting_keeps_one_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
