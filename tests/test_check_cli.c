/* tests/test_check_cli.c — the real `mxscope check` and `mxscope lab` as a
 * command: streaming from -f and stdin, bad input and bad scenarios (one
 * clear line, exit 2), unreachable, silent and garbage DNS servers (exit 3),
 * a lab port in use, and the lab command's own reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "check_json.h"
#include "harness.h"

/* -f streams one line per domain, skips comments and blank lines, and names
 * the file and line of junk without stopping. */
static void test_file_and_stdin(void **state)
{
	const hlab *lab = *state;
	char path[] = "/tmp/mxscope-test-XXXXXX";
	int fd = mkstemp(path);
	const char *list =
	    "# lab domains\n\npreference.lab.test\n  single.lab.test   # trailing comment\n"
	    "not a domain\nbad..name\nnull.lab.test\r\n";
	hargv a;
	hrun r;
	size_t lines = 0;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, list, strlen(list)), (ssize_t)strlen(list));
	close(fd);
	h_run(h_lab_check(&a, lab, 0, "--no-probe", "--json", "-f", path), NULL, 20000, &r);
	for (char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3);
	assert_non_null(strstr(r.out, "\"domain\":\"null.lab.test\""));
	assert_non_null(strstr(r.err, ":5: expected one domain name per line"));
	assert_non_null(strstr(r.err, ":6: name \"bad..name\" has an empty label"));
	assert_int_equal(r.status, 2);
	hrun_free(&r);

	h_run(h_lab_check(&a, lab, 0, "--no-probe", "--json", "-f", "-"),
	      "single.lab.test\nequal.lab.test\n", 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"domain\":\"single.lab.test\""));
	assert_non_null(strstr(r.out, "\"domain\":\"equal.lab.test\""));
	hrun_free(&r);
	unlink(path);
}

/* Results stream: the first report arrives while stdin is still open. */
static void test_streaming(void **state)
{
	const hlab *lab = *state;
	hargv a;
	int in_w, out_r, err_r, st;
	char buf[65536];
	size_t len = 0;
	pid_t pid = h_spawn(h_lab_check(&a, lab, 0, "--no-probe", "--json", "-f", "-"), &in_w,
	                    &out_r, &err_r);
	struct pollfd p = {.fd = out_r, .events = POLLIN};

	assert_int_equal(write(in_w, "single.lab.test\n", 16), 16);
	while (!memchr(buf, '\n', len) && poll(&p, 1, 5000) == 1) {
		ssize_t n = read(out_r, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	assert_non_null(strstr(buf, "\"domain\":\"single.lab.test\""));
	assert_int_equal(write(in_w, "equal.lab.test\n", 15), 15);
	close(in_w);
	while (poll(&p, 1, 5000) == 1) {
		ssize_t n = read(out_r, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	assert_non_null(strstr(buf, "\"domain\":\"equal.lab.test\""));
	close(out_r);
	close(err_r);
	assert_int_equal(h_wait(pid, &st), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Exit 3 with the server and the reason, within the timeout. */
static void test_unreachable_server(void **state)
{
	/* a timeout longer than the run's deadline: waiting it out would end
	 * in a kill (status -1), not in exit 3 */
	const char *args[] = {"check",       "--timeout",    "60", "-s",
	                      "127.0.0.1:1", "example.test", NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 30000, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "no DNS server answered (127.0.0.1:1)"));
	assert_non_null(strstr(r.err, "connection refused"));
	hrun_free(&r);
}

/* A server that swallows every question (a bound UDP socket nobody reads):
 * exit 3 after about the timeout, saying so. */
static void test_silent_server(void **state)
{
	char spec[32];
	const char *args[] = {"check", "--timeout", "1", "-s", spec, "example.test", NULL};
	int s = h_udp_socket(spec, sizeof(spec));
	hrun r;

	(void)state;
	h_run(args, NULL, 15000, &r);
	close(s);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "no valid reply within 1.0 s"));
	hrun_free(&r);
}

/* A server that answers every question with bytes that are not DNS (the
 * question's ID, then junk): c-ares drops such replies, so this ends like a
 * silent server, exit 3 naming the server. */
static void test_garbage_server(void **state)
{
	char spec[32];
	const char *args[] = {"check", "--timeout", "1", "-s", spec, "example.test", NULL};
	int s = h_udp_socket(spec, sizeof(spec));
	pid_t pid;
	hrun r;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 64; i++) {
			unsigned char q[512], a[40] = {0};
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(s, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			if (n < 12)
				continue;
			a[0] = q[0];
			a[1] = q[1];
			a[2] = 0x81;              /* a response ... */
			a[5] = 1;                 /* ... with one question ... */
			memset(a + 12, 0xff, 28); /* ... that is not a name */
			sendto(s, a, sizeof(a), 0, (struct sockaddr *)&from, fl);
		}
		_exit(0);
	}
	h_run(args, NULL, 15000, &r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(s);
	if (r.status != 3 || !strstr(r.err, spec) ||
	    !strstr(r.err, "no valid reply within 1.0 s")) {
		print_error("exit %d, stderr \"%s\"\n", r.status, r.err);
		fail();
	}
	hrun_free(&r);
}

/* A scenario with a syntax error: file, line and what was expected. */
static void test_bad_scenario(void **state)
{
	char path[] = "/tmp/mxscope-bad-XXXXXX.zone";
	int fd = mkstemps(path, 5);
	const char *text = "$SCENARIO bad\n$TITLE Bad\n$ORIGIN bad.test.\n$DOMAIN @\n@ MX ten mx\n";
	const char *args[] = {"lab", "--list", path, NULL};
	char want[80];
	hrun r;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	h_run(args, NULL, 10000, &r);
	snprintf(want, sizeof(want), "%s:5: expected a preference", path);
	if (r.status != 2 || !strstr(r.err, want)) {
		print_error("exit %d, stderr \"%s\", want \"%s\"\n", r.status, r.err, want);
		fail();
	}
	hrun_free(&r);
	unlink(path);
}

static void test_bad_input(void **state)
{
	static const struct {
		const char *args[8];
		const char *msg;
	} c[] = {
	    {{"check", "bad..name", NULL}, "empty label"},
	    {{"check", NULL}, "needs at least one DOMAIN"},
	    {{"check", "--seed", "x", "a.test", NULL}, "--seed \"x\""},
	    {{"check", "--timeout", "0", "a.test", NULL}, "--timeout \"0\""},
	    {{"check", "-s", "dns.example", "a.test", NULL}, "is not an IPv4 or IPv6 address"},
	    {{"check", "-s", "127.0.0.1:99999", "a.test", NULL}, "port must be a number"},
	    {{"check", "--frobnicate", "a.test", NULL}, "unknown option --frobnicate"},
	    {{"check", "-f", "/nonexistent/list", NULL}, "/nonexistent/list: cannot open"},
	    {{"lab", "--bind", "10.0.0.1", "--serve", NULL}, "not a loopback address"},
	    {{"lab", "no-such-scenario", NULL}, "no-such-scenario"},
	    {{"check", "--qps", "0", "a.test", NULL}, "--qps \"0\""},
	    {{"check", "--max-probes", "0", "a.test", NULL}, "--max-probes \"0\""},
	    {{"check", "--max-probes", "501", "a.test", NULL}, "expected a number from 1 to 500"},
	    {{"check", "-4", "-6", "a.test", NULL}, "-4 and -6 exclude each other"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hrun r;
		h_run(c[i].args, NULL, 10000, &r);
		if (r.status != 2 || !strstr(r.err, c[i].msg) ||
		    strchr(r.err, '\n') != strrchr(r.err, '\n')) {
			print_error(
			    "case %zu: exit %d, stderr \"%s\", want 2 and \"%s\" on one line\n", i,
			    r.status, r.err, c[i].msg);
			fail();
		}
		hrun_free(&r);
	}
}

static void test_lab_port_in_use(void **state)
{
	const hlab *lab = *state;
	char port[16];
	const char *args[] = {"lab", "--serve", "--port", port, NULL};
	hrun r;

	snprintf(port, sizeof(port), "%d", lab->port);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, lab->server));
	assert_non_null(strstr(r.err, "address already in use"));
	assert_non_null(strstr(r.err, "--port"));
	hrun_free(&r);
}

static void test_lab_command(void **state)
{
	const char *list[] = {"lab", "--list", NULL};
	const char *report[] = {"lab", "--port", "0", "relay", "null-mx", NULL};
	hrun r;
	size_t lines = 0;

	(void)state;
	h_run(list, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	for (char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 36);
	assert_non_null(strstr(r.out, "equal.lab.test"));
	hrun_free(&r);

	h_run(report, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "== relay: "));
	assert_non_null(strstr(r.out, "-- the same, seen from backup1.relay.lab.test (--as) --"));
	assert_non_null(strstr(r.out, "Relay view as backup1.relay.lab.test"));
	assert_non_null(strstr(r.out, "== null-mx: "));
	assert_non_null(strstr(r.out, "null.lab.test  status no mail (null MX: accepts no mail)"));
	hrun_free(&r);

	/* In `mxscope lab` the lab's TLS server and libcurl's handshakes share
	 * one thread (and OpenSSL's per-thread error queue): every kind of
	 * certificate must still come out as it does across processes. */
	{
		const char *tls[] = {"lab", "--ascii", "--port", "0", "tls", NULL};
		h_run(tls, NULL, 30000, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out,
		                       "127.0.21.1                              IPv4  ttl 30  220  "
		                       "accepted"));
		assert_non_null(strstr(r.out, "STARTTLS verified"));
		assert_null(strstr(r.out, "tls-failed"));
		assert_non_null(strstr(r.out, "delivered to good.tls.lab.test (10) 127.0.21.1"));
		hrun_free(&r);
	}
}

/* Global options may come before the subcommand: `mxscope
 * --seed 7 lab --list` lists the scenarios instead of looking up a domain
 * "lab"; and `lab --json` is pure NDJSON, the lesson text a field. */
static void test_options_before_command_and_lab_json(void **state)
{
	const char *list[] = {"--seed", "7", "lab", "--list", NULL};
	const char *json[] = {"--ascii", "lab", "--json", "--port", "0", "relay", "null-mx", NULL};
	hrun r;
	size_t lines = 0;

	(void)state;
	h_run(list, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "equal.lab.test"));
	hrun_free(&r);

	h_run(json, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "== "));
	assert_non_null(strstr(r.out, "\"scenario\":\"null-mx\""));
	assert_non_null(strstr(r.out, "\"lesson\":"));
	for (char *p = r.out; *p;) {
		char *nl = strchr(p, '\n');
		json_error_t err;
		json_t *o;
		assert_non_null(nl);
		*nl = '\0';
		o = json_loads(p, 0, &err);
		if (!o)
			fail_msg("not a JSON line: %s", p);
		json_decref(o);
		lines++;
		p = nl + 1;
	}
	/* relay: the lesson, its domain, the same seen --as; null-mx: the lesson, its domain */
	assert_true(lines >= 5);
	hrun_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_and_stdin),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_unreachable_server),
	    cmocka_unit_test(test_silent_server),
	    cmocka_unit_test(test_garbage_server),
	    cmocka_unit_test(test_bad_scenario),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_lab_port_in_use),
	    cmocka_unit_test(test_lab_command),
	    cmocka_unit_test(test_options_before_command_and_lab_json),
	};
	return cmocka_run_group_tests(tests, h_lab_group_setup, h_lab_group_teardown);
}
