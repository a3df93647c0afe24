/* tests/test_check_rcpt.c — the opt-in recipient stage (--rcpt), end to end:
 * the real binary against a `mxscope lab --serve` process whose hosts answer
 * RCPT TO as their rcpt= says. What is said on the wire (MAIL FROM:<>, RCPT,
 * RSET, QUIT; never DATA or BDAT; nothing past NOOP without the option),
 * what the walk makes of the answers (5xx bounces, 4xx defers), and what
 * --rcpt refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "check_json.h"
#include "harness.h"

static const char zone[] = "$ORIGIN rcptx.lab.test.\n"
                           "$TTL 30\n"
                           "$SCENARIO rcptx\n"
                           "$TITLE recipient stage cases\n"
                           "$DOMAIN bounce.rcptx.lab.test.\n"
                           "bounce MX 10 mx1.bounce\n"
                           "bounce MX 20 mx2.bounce\n"
                           "mx1.bounce A 127.0.64.1\n"
                           "mx2.bounce A 127.0.64.2\n"
                           "defer MX 10 mx.defer\n"
                           "defer MX 20 mx2.defer\n"
                           "mx.defer A 127.0.64.3\n"
                           "mx2.defer A 127.0.64.6\n"
                           "reject MX 10 mx.reject\n"
                           "mx.reject A 127.0.64.4\n"
                           "quiet MX 10 mx1.quiet\n"
                           "quiet MX 20 mx2.quiet\n"
                           "mx1.quiet A 127.0.64.7\n"
                           "mx2.quiet A 127.0.64.8\n"
                           "one MX 10 shared\n"
                           "two MX 10 shared.rcptx.lab.test.\n"
                           "shared A 127.0.64.5\n"
                           "$SMTP 127.0.64.1 refuse\n"
                           "$SMTP 127.0.64.2 accept rcpt=reject\n"
                           "$SMTP 127.0.64.3 accept rcpt=tempfail\n"
                           "$SMTP 127.0.64.4 reject\n"
                           "$SMTP 127.0.64.5 accept name=shared.rcptx.lab.test\n"
                           "$SMTP 127.0.64.6 accept\n"
                           "$SMTP 127.0.64.7 accept rcpt=silent\n"
                           "$SMTP 127.0.64.8 accept\n";

/* The lab for every test: rcpt-relay and the zone above. */
static int setup(void **state)
{
	const char *extra[] = {"rcpt-relay", NULL};

	return h_lab_group_start(state, extra, zone);
}

/* check --json with probes; rcpt NULL = without --rcpt. Several domains
 * give several lines: the caller reads r->out itself then (NULL back). */
static json_t *run(const hlab *lab, const char *rcpt, const char *d1, const char *d2, hrun *r)
{
	hargv a;

	h_lab_check(&a, lab, HA_PROBE, "--json", "--timeout", "2");
	if (rcpt)
		h_argv(&a, "--rcpt", rcpt);
	h_argv(&a, d1);
	if (d2)
		h_argv(&a, d2);
	h_run(a.v, NULL, 30000, r);
	if (d2)
		return NULL;
	return json_loads(r->out, 0, NULL);
}

/* The commands a transcript's client lines carry, verbs only: "EHLO
 * STARTTLS EHLO MAIL RCPT RSET QUIT". */
static void verbs(const char *t, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t v = 0;
		if (strncmp(p, "C: ", 3) != 0)
			continue;
		p += 3;
		while (p[v] && p[v] != ' ' && p[v] != '\n')
			v++;
		snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", out[0] ? " " : "", (int)v,
		         p);
	}
}

static const char *transcript(json_t *j, const char *ip)
{
	return json_string_value(json_object_get(probe_of(j, ip), "transcript"));
}

static void outcomes(json_t *j, const char *profile, char *out, size_t cap)
{
	json_t *steps =
	    json_object_get(json_object_get(json_object_get(j, "senders"), profile), "steps");
	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(steps); i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "",
		         json_string_value(json_object_get(json_array_get(steps, i), "outcome")));
}

/* The backscatter lesson: the backup refuses relaying at RCPT while the
 * primary takes the recipient. On the wire: exactly MAIL, RCPT, RSET, QUIT
 * after EHLO/STARTTLS, never DATA. */
static void test_relay_denied_backup(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "postmaster", "rcpt-relay.lab.test", NULL, &r), *rc;
	char v[256];

	assert_non_null(j);
	rc = json_object_get(probe_of(j, "127.0.62.1"), "rcpt");
	assert_string_equal(json_string_value(json_object_get(rc, "to")),
	                    "postmaster@rcpt-relay.lab.test");
	assert_int_equal(json_integer_value(json_object_get(rc, "code")), 250);
	rc = json_object_get(probe_of(j, "127.0.62.2"), "rcpt");
	assert_int_equal(json_integer_value(json_object_get(rc, "code")), 550);
	assert_string_equal(json_string_value(json_object_get(rc, "reply")),
	                    "5.7.1 relaying denied");
	for (int k = 0; k < 2; k++) {
		const char *t = transcript(j, k ? "127.0.62.2" : "127.0.62.1");
		verbs(t, v, sizeof(v));
		assert_string_equal(v, "EHLO STARTTLS EHLO MAIL RCPT RSET QUIT");
		assert_non_null(strstr(t, "C: MAIL FROM:<>\n"));
		assert_non_null(strstr(t, "C: RCPT TO:<postmaster@rcpt-relay.lab.test>\n"));
		assert_null(strstr(t, "C: DATA"));
		assert_null(strstr(t, "C: BDAT"));
		assert_null(strstr(t, "C: NOOP"));
	}
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "delivered_to"), "host")),
	    "mx1.rcpt-relay.lab.test");
	assert_string_equal(severity_of(j, "rcpt-rejected"), "warning");
	assert_int_equal(r.status, 0);
	json_decref(j);
	hrun_free(&r);
}

/* The primary down, the backup refusing: a 5xx at RCPT is final. */
static void test_bounce(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "postmaster", "bounce.rcptx.lab.test", NULL, &r);
	char got[128];

	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	outcomes(j, "opportunistic", got, sizeof(got));
	assert_string_equal(got, "next bounced");
	assert_non_null(
	    strstr(json_string_value(json_object_get(
	               json_object_get(json_object_get(j, "senders"), "opportunistic"), "why")),
	           "5xx at RCPT"));
	assert_string_equal(severity_of(j, "rcpt-rejected"), "error");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_int_equal(r.status, 1);
	json_decref(j);
	hrun_free(&r);
}

/* A 4xx at RCPT defers: the walk ends there, the backup is not tried. */
static void test_defer(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "postmaster", "defer.rcptx.lab.test", NULL, &r);
	char got[128];

	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	outcomes(j, "opportunistic", got, sizeof(got));
	assert_string_equal(got, "deferred");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(probe_of(j, "127.0.64.3"), "rcpt"), "code")),
	                 451);
	assert_string_equal(severity_of(j, "rcpt-tempfail"), "warning");
	json_decref(j);
	hrun_free(&r);
}

/* No answer to RCPT within --timeout: the stage gives up (code 0, why),
 * says nothing more, and the sender tries the next host. */
static void test_silent_rcpt(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "postmaster", "quiet.rcptx.lab.test", NULL, &r), *rc;
	char got[128], v[128];

	assert_non_null(j);
	rc = json_object_get(probe_of(j, "127.0.64.7"), "rcpt");
	assert_int_equal(json_integer_value(json_object_get(rc, "code")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(rc, "reply")),
	                       "no reply to RCPT within 2000 ms"));
	verbs(transcript(j, "127.0.64.7"), v, sizeof(v));
	assert_string_equal(v, "EHLO STARTTLS EHLO MAIL RCPT");
	outcomes(j, "opportunistic", got, sizeof(got));
	assert_string_equal(got, "next delivered");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "delivered_to"), "host")),
	    "mx2.quiet.rcptx.lab.test");
	json_decref(j);
	hrun_free(&r);
}

/* A host that greets with 5xx gets no MAIL at all. */
static void test_no_rcpt_after_bad_greeting(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "postmaster", "reject.rcptx.lab.test", NULL, &r);
	char v[128];

	assert_non_null(j);
	verbs(transcript(j, "127.0.64.4"), v, sizeof(v));
	assert_null(strstr(v, "MAIL"));
	assert_null(json_object_get(probe_of(j, "127.0.64.4"), "rcpt"));
	json_decref(j);
	hrun_free(&r);
}

/* A whole address is asked as it is; a local part gets each domain's name,
 * also when two domains share the MX (one probe each, not one for both). */
static void test_addresses(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "someone@elsewhere.example", "rcpt-relay.lab.test", NULL, &r);
	int seen = 0;

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(probe_of(j, "127.0.62.1"), "rcpt"), "to")),
	                    "someone@elsewhere.example");
	json_decref(j);
	hrun_free(&r);

	run(lab, "postmaster", "one.rcptx.lab.test", "two.rcptx.lab.test", &r);
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		json_t *o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
		const char *to;
		char want[128];
		if (!o)
			continue;
		snprintf(want, sizeof(want), "postmaster@%s",
		         json_string_value(json_object_get(o, "domain")));
		to = json_string_value(
		    json_object_get(json_object_get(probe_of(o, "127.0.64.5"), "rcpt"), "to"));
		if (!to || strcmp(to, want) != 0) {
			print_error("%s: rcpt to %s, want %s\n%s\n", want, to ? to : "(none)", want,
			            line);
			fail();
		}
		seen++;
		json_decref(o);
	}
	assert_int_equal(seen, 2);
	hrun_free(&r);
}

/* Without --rcpt nothing past NOOP is ever said, and no rcpt is shown. */
static void test_off_by_default(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, NULL, "rcpt-relay.lab.test", NULL, &r);
	char v[128];

	assert_non_null(j);
	for (int k = 0; k < 2; k++) {
		const char *ip = k ? "127.0.62.2" : "127.0.62.1";
		verbs(transcript(j, ip), v, sizeof(v));
		assert_string_equal(v, "EHLO STARTTLS EHLO NOOP QUIT");
		assert_null(json_object_get(probe_of(j, ip), "rcpt"));
	}
	assert_null(severity_of(j, "rcpt-rejected"));
	json_decref(j);
	hrun_free(&r);
}

static void test_bad_arguments(void **state)
{
	static const char *bad[] = {"a b", "<x>", "x@-bad-",   "",          "a..b",
	                            ".a",  "x@",  "a\r\nDATA", "\"quoted\""};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"check", "--rcpt", bad[i], "x.lab.test", NULL};
		hrun r;
		h_run(args, NULL, 10000, &r);
		if (r.status != 2 || !strstr(r.err, "--rcpt")) {
			print_error("--rcpt \"%s\": exit %d, stderr %s\n", bad[i], r.status, r.err);
			fail();
		}
		hrun_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relay_denied_backup),
	    cmocka_unit_test(test_bounce),
	    cmocka_unit_test(test_defer),
	    cmocka_unit_test(test_silent_rcpt),
	    cmocka_unit_test(test_no_rcpt_after_bad_greeting),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_off_by_default),
	    cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, h_lab_group_teardown);
}
