/* tests/test_check_auth.c — the real `mxscope check` and `mxscope doctor`
 * against real lab processes on loopback, for the DNS beside the walk and
 * the local set-up: a stale secondary (two lab DNS servers on
 * 127.0.53.1 and .2 serving different serials and MX sets of one zone, a
 * third without the zone (REFUSED), a fourth where nothing listens),
 * reverse DNS present / missing / not forward-confirmed, an IPv6 path that
 * fails and an IPv4 one, and a port 25 that is dropped on the way
 * (listeners whose accept queue is full: the kernel drops the SYNs, so
 * connects time out). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "check_json.h"
#include "harness.h"

static char *data_path(const char *name)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	char *p = NULL;

	assert_non_null(src);
	assert_true(asprintf(&p, "%s/tests/data/auth/%s", src, name) > 0);
	return p;
}

/* `lab --serve --bind ADDR --port PORT FILE` (tests/harness.h); returns
 * the DNS port. */
static int spawn_lab(const char *bind, int port, const char *file, hlab *lab)
{
	char ports[16];
	const char *extra[] = {"--bind", bind, "--port", ports, "--http-port", "0", file, NULL};

	snprintf(ports, sizeof(ports), "%d", port);
	h_lab_start(lab, extra);
	return lab->port;
}

static json_t *run_json(const char *const *args, hrun *r)
{
	json_error_t err;
	json_t *j;

	h_run(args, NULL, 30000, r);
	j = json_loads(r->out, 0, &err);
	if (!j) {
		print_error("not one JSON object: %s\nstdout: %.400s\nstderr: %s\n", err.text,
		            r->out, r->err);
		fail();
	}
	return j;
}

static json_t *finding(json_t *j, const char *code, const char *subject)
{
	json_t *f = json_object_get(j, "findings"), *x;
	size_t i;

	json_array_foreach(f, i, x)
	{
		if (strcmp(json_string_value(json_object_get(x, "code")), code) == 0 &&
		    (!subject ||
		     strcmp(json_string_value(json_object_get(x, "subject")), subject) == 0))
			return x;
	}
	return NULL;
}

static json_t *auth_entry(json_t *j, const char *ip)
{
	json_t *a = json_object_get(j, "authoritative"), *x;
	size_t i;

	json_array_foreach(a, i, x)
	{
		if (strcmp(json_string_value(json_object_get(x, "ip")), ip) == 0)
			return x;
	}
	return NULL;
}

/* ---- the stale secondary ------------------------------------------------ */

static void test_stale_secondary(void **state)
{
	char *fresh = data_path("stale-new.zone"), *old = data_path("stale-old.zone");
	char *other = data_path("v6fail.zone"); /* a server that has not got stale.test */
	char ns_port[16], via_primary[40], via_stale[40];
	hlab l1, l2, l3;
	int port;
	hrun r;
	json_t *j, *e, *f;

	(void)state;
	port = spawn_lab("127.0.53.1", 0, fresh, &l1);
	assert_int_equal(spawn_lab("127.0.53.2", port, old, &l2), port);
	assert_int_equal(spawn_lab("127.0.53.3", port, other, &l3), port);
	snprintf(ns_port, sizeof(ns_port), "%d", port);
	snprintf(via_primary, sizeof(via_primary), "127.0.53.1:%d", port);
	snprintf(via_stale, sizeof(via_stale), "127.0.53.2:%d", port);
	{
		const char *args[] = {"check",     "--json",    "--no-probe", "--authoritative",
		                      "--ns-port", ns_port,     "--timeout",  "1",
		                      "-s",        via_primary, "stale.test", NULL};
		j = run_json(args, &r);
	}
	assert_int_equal(json_array_size(json_object_get(j, "authoritative")), 4);
	e = auth_entry(j, "127.0.53.1");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "ns")), "ns1.stale.test");
	assert_int_equal(json_integer_value(json_object_get(e, "serial")), 2024060102);
	assert_string_equal(json_string_value(json_object_get(e, "rcode")), "NOERROR");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "mx"), 0)),
	                    "10 mx-new.stale.test");
	e = auth_entry(j, "127.0.53.2");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "serial")), 2024060101);
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "mx"), 0)),
	                    "10 mx-old.stale.test");
	e = auth_entry(j, "127.0.53.3"); /* a server without the zone */
	assert_non_null(e);
	assert_true(json_is_null(json_object_get(e, "serial")));
	assert_string_equal(json_string_value(json_object_get(e, "rcode")), "REFUSED");
	e = auth_entry(j, "127.0.53.4"); /* nothing listens there */
	assert_non_null(e);
	assert_true(json_is_null(json_object_get(e, "serial")));
	assert_string_not_equal(json_string_value(json_object_get(e, "rcode")), "NOERROR");
	/* the stale one is named with its serial; the dead one is lame */
	f = finding(j, "authoritative-mismatch", "127.0.53.2");
	assert_non_null(f);
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")), "ns2.stale.test"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")), "2024060101"));
	assert_null(finding(j, "authoritative-mismatch", "127.0.53.1"));
	f = finding(j, "authoritative-lame", "127.0.53.3");
	assert_non_null(f);
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")), "refuses"));
	f = finding(j, "authoritative-lame", "127.0.53.4");
	assert_non_null(f);
	assert_non_null(
	    strstr(json_string_value(json_object_get(f, "message")), "does not answer"));
	/* the resolver here is the primary: its cached answer is the new one */
	assert_null(finding(j, "authoritative-mismatch", "resolver"));
	assert_int_equal(r.status, 0);
	json_decref(j);
	hrun_free(&r);

	/* a resolver that got its answer from the stale server */
	{
		const char *args[] = {"check",     "--json",  "--no-probe", "--authoritative",
		                      "--ns-port", ns_port,   "--timeout",  "1",
		                      "-s",        via_stale, "stale.test", NULL};
		j = run_json(args, &r);
	}
	f = finding(j, "authoritative-mismatch", "resolver");
	assert_non_null(f);
	assert_non_null(
	    strstr(json_string_value(json_object_get(f, "message")), "in at most 300 s"));
	json_decref(j);
	hrun_free(&r);

	/* the text report: the table and the resolver's line */
	{
		const char *args[] = {
		    "check", "--no-probe", "--authoritative", "--ns-port",  ns_port, "--timeout",
		    "1",     "-s",         via_stale,         "stale.test", NULL};
		h_run(args, NULL, 30000, &r);
	}
	assert_non_null(strstr(r.out, "Authoritative servers of stale.test"));
	assert_non_null(strstr(r.out, "serial 2024060101"));
	assert_non_null(strstr(r.out, "mail will follow a new MX in at most 300 s"));
	hrun_free(&r);

	/* without --authoritative nothing of it is asked or shown */
	{
		const char *args[] = {"check",     "--json",     "--no-probe", "-s",
		                      via_primary, "stale.test", NULL};
		j = run_json(args, &r);
	}
	assert_null(json_object_get(j, "authoritative"));
	assert_null(finding(j, "authoritative-mismatch", NULL));
	json_decref(j);
	hrun_free(&r);
	h_lab_stop(&l1);
	h_lab_stop(&l2);
	h_lab_stop(&l3);
	free(fresh);
	free(old);
	free(other);
}

/* ---- reverse DNS and the two families --------------------------------- */

static json_t *addr_of(json_t *j, const char *ip)
{
	json_t *mx = json_object_get(j, "mx"), *h, *a;
	size_t i, k;

	json_array_foreach(mx, i, h)
	{
		json_array_foreach(json_object_get(h, "addresses"), k, a)
		{
			if (strcmp(json_string_value(json_object_get(a, "ip")), ip) == 0)
				return a;
		}
	}
	return NULL;
}

static void test_ptr(void **state)
{
	hargv a;
	hlab lab;
	hrun r;
	json_t *j, *p;

	(void)state;
	h_lab_start(&lab, NULL);
	j = run_json(
	    h_lab_check(&a, &lab, HA_SMTP, "--json", "--ptr", "--timeout", "4", "reverse.lab.test"),
	    &r);
	/* present and confirmed; the greeting names the same host */
	p = json_object_get(addr_of(j, "127.0.65.1"), "ptr");
	assert_non_null(p);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "names"), 0)),
	                    "mx1.reverse.lab.test");
	assert_true(json_is_true(json_object_get(p, "forward_confirmed")));
	assert_true(json_is_true(json_object_get(p, "banner_matches")));
	assert_null(finding(j, "ptr-missing", "127.0.65.1"));
	assert_null(finding(j, "ptr-not-forward-confirmed", "127.0.65.1"));
	/* missing */
	p = json_object_get(addr_of(j, "127.0.65.2"), "ptr");
	assert_int_equal(json_array_size(json_object_get(p, "names")), 0);
	assert_true(json_is_false(json_object_get(p, "forward_confirmed")));
	assert_non_null(finding(j, "ptr-missing", "127.0.65.2"));
	/* present, but its name has another address; the greeting another name */
	p = json_object_get(addr_of(j, "127.0.65.3"), "ptr");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "names"), 0)),
	                    "elsewhere.reverse.lab.test");
	assert_true(json_is_false(json_object_get(p, "forward_confirmed")));
	assert_true(json_is_false(json_object_get(p, "banner_matches")));
	assert_non_null(finding(j, "ptr-not-forward-confirmed", "127.0.65.3"));
	assert_null(finding(j, "ptr-missing", "127.0.65.3"));
	/* mx4: IPv4 refused, IPv6 (::1, the lab's ipv6-only host) greets */
	assert_non_null(finding(j, "ipv4-unreachable", "mx4.reverse.lab.test"));
	assert_null(finding(j, "ipv6-unreachable", NULL));
	assert_int_equal(r.status, 0);
	json_decref(j);
	hrun_free(&r);

	/* the text report */
	h_run(h_lab_check(&a, &lab, HA_SMTP, "--ptr", "--timeout", "4", "reverse.lab.test"), NULL,
	      30000, &r);
	assert_non_null(strstr(r.out, "PTR mx1.reverse.lab.test (forward-confirmed); greets as "
	                              "mx1.reverse.lab.test, the same"));
	assert_non_null(strstr(r.out, "PTR none (NXDOMAIN)"));
	assert_non_null(strstr(r.out, "PTR elsewhere.reverse.lab.test (not forward-confirmed)"));
	hrun_free(&r);

	/* off by default: no question, no field, no finding */
	j = run_json(h_lab_check(&a, &lab, 0, "--json", "--no-probe", "reverse.lab.test"), &r);
	assert_null(json_object_get(addr_of(j, "127.0.65.2"), "ptr"));
	assert_null(finding(j, "ptr-missing", NULL));
	json_decref(j);
	hrun_free(&r);
	h_lab_stop(&lab);
}

static void test_ipv6_fails(void **state)
{
	char *zone = data_path("v6fail.zone");
	const char *extra[] = {zone, NULL};
	hargv a;
	hlab lab;
	hrun r;
	json_t *j, *f;

	(void)state;
	h_lab_start(&lab, extra);
	j = run_json(h_lab_check(&a, &lab, HA_SMTP, "--json", "--timeout", "4", "v6fail.test"), &r);
	f = finding(j, "ipv6-unreachable", "mx.v6fail.test");
	assert_non_null(f);
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")), "IPv6"));
	assert_null(finding(j, "ipv4-unreachable", NULL));
	/* IPv4 took the mail: no blame on the route */
	assert_null(finding(j, "primary-unreachable", NULL));
	json_decref(j);
	hrun_free(&r);
	h_lab_stop(&lab);
	free(zone);
}

/* ---- port 25 dropped ------------------------------------------------------- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_egress_blocked(void **state)
{
	char *zone = data_path("egress.zone");
	const char *extra[] = {zone, NULL};
	int h1[3], h2[3];
	hargv a;
	hlab lab;
	hrun r;

	(void)state;
	h_lab_start(&lab, extra);
	h_blackhole("127.0.170.1", atoi(lab.smtp_port), h1);
	h_blackhole("127.0.170.2", atoi(lab.smtp_port), h2);

	/* every address of every domain times out: said once, nobody blamed */
	h_run(h_lab_check(&a, &lab, HA_SMTP, "--json", "--timeout", "1", "one.egress.test",
	                  "two.egress.test"),
	      NULL, 30000, &r);
	assert_int_equal(r.status, 3);
	assert_int_equal(count(r.err, "egress-blocked"), 1);
	assert_non_null(strstr(r.err, "probably blocks outbound port"));
	assert_int_equal(count(r.out, "\"code\":\"egress-blocked\""), 2);
	assert_null(strstr(r.out, "primary-unreachable"));
	assert_null(strstr(r.out, "no-accepting-mx"));
	assert_null(strstr(r.out, "smtp-unreachable"));
	/* the probes themselves are still there, as they ended (probe and walk step) */
	assert_int_equal(count(r.out, "\"state\":\"connect-timeout\""), 4);
	hrun_free(&r);

	/* more domains than check holds back: decided early, said once, and the
	 * later ones stream with the same reading */
	{
		char path[] = "/tmp/mxscope-egress-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		for (int i = 1; i <= 36; i++)
			assert_true(dprintf(fd, "d%d.egress.test\n", i) > 0);
		close(fd);
		h_run(h_lab_check(&a, &lab, HA_SMTP, "--json", "--timeout", "1", "-f", path), NULL,
		      60000, &r);
		unlink(path);
	}
	assert_int_equal(r.status, 3);
	assert_int_equal(count(r.err, "egress-blocked"), 1);
	assert_int_equal(count(r.out, "\n"), 36);
	assert_int_equal(count(r.out, "\"code\":\"egress-blocked\""), 36);
	assert_null(strstr(r.out, "no-accepting-mx"));
	hrun_free(&r);

	/* one domain answers: the network lets port 25 out, the others are blamed */
	h_run(h_lab_check(&a, &lab, HA_SMTP, "--json", "--timeout", "1", "one.egress.test",
	                  "two.egress.test", "open.egress.test"),
	      NULL, 30000, &r);
	assert_int_equal(r.status, 1);
	assert_null(strstr(r.err, "egress-blocked"));
	assert_null(strstr(r.out, "egress-blocked"));
	assert_int_equal(count(r.out, "\"code\":\"no-accepting-mx\""), 2);
	assert_int_equal(count(r.out, "\n"), 3); /* every domain reported once */
	hrun_free(&r);

	/* a single address that times out is a host that is down, not the network */
	h_run(h_lab_check(&a, &lab, HA_SMTP, "--timeout", "1", "one.egress.test"), NULL, 30000, &r);
	assert_int_equal(r.status, 1);
	assert_null(strstr(r.err, "egress-blocked"));
	assert_non_null(strstr(r.out, "no-accepting-mx"));
	hrun_free(&r);

	/* one domain, two addresses, both time out: its hosts may just be down */
	h_run(h_lab_check(&a, &lab, HA_SMTP, "--json", "--timeout", "1", "both.egress.test"), NULL,
	      30000, &r);
	assert_int_equal(r.status, 1);
	assert_null(strstr(r.out, "egress-blocked"));
	assert_null(strstr(r.err, "egress-blocked"));
	assert_non_null(strstr(r.err, "mxscope doctor HOST shows it"));
	assert_non_null(strstr(r.out, "\"code\":\"no-accepting-mx\""));
	hrun_free(&r);

	/* doctor: the dropped port times out, the open host greets */
	{
		char target[64];
		const char *args[] = {"doctor", "--timeout", "1", "-s", lab.server, target, NULL};
		snprintf(target, sizeof(target), "127.0.170.1:%s", lab.smtp_port);
		h_run(args, NULL, 30000, &r);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.out, "resolver   ok"));
		assert_non_null(strstr(r.out, "FAIL  127.0.170.1:"));
		assert_non_null(strstr(r.out, "probably blocks outbound port 25"));
		assert_non_null(strstr(r.out, "\nipv6 "));
		hrun_free(&r);
		snprintf(target, sizeof(target), "127.0.170.3:%s", lab.smtp_port);
		h_run(args, NULL, 30000, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "greets \"220 mx.open.egress.test"));
		assert_int_equal(count(r.out, "\n"), 3); /* one line each */
		hrun_free(&r);
		/* a host name: its address comes from the resolver (-s) */
		snprintf(target, sizeof(target), "mx.open.egress.test:%s", lab.smtp_port);
		h_run(args, NULL, 30000, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, " 127.0.170.3:"));
		hrun_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		close(h1[i]);
		close(h2[i]);
	}
	h_lab_stop(&lab);
	free(zone);
}

static void test_doctor_input(void **state)
{
	const char *bad[] = {"doctor", "[::1", NULL};
	const char *badport[] = {"doctor", "127.0.0.1:99999", NULL};
	const char *two[] = {"doctor", "a.test", "b.test", NULL};
	const char *bad_server[] = {"doctor", "-s", "not-an-address", NULL};
	char spec[32];
	int fd = h_udp_socket(spec, sizeof(spec)); /* a resolver that never answers */
	const char *silent[] = {"doctor", "--timeout", "0.5", "-s", spec, NULL};
	hrun r;

	(void)state;
	h_run(bad, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "is not HOST[:PORT]"));
	hrun_free(&r);
	h_run(badport, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	hrun_free(&r);
	h_run(two, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	hrun_free(&r);
	h_run(bad_server, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not-an-address"));
	hrun_free(&r);
	h_run(silent, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "resolver   FAIL"));
	assert_non_null(strstr(r.out, "port 25    skip"));
	hrun_free(&r);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stale_secondary), cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_ipv6_fails),      cmocka_unit_test(test_egress_blocked),
	    cmocka_unit_test(test_doctor_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
