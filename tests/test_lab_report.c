/* tests/test_lab_report.c — the lab's lessons as the real binary reports
 * them: each IPv6 lesson shows only its own ::1 host (implicit-mx and
 * ipv6-only once shared one), and the relay view (--as) that the backscatter
 * and relay lessons need works end to end, in `mxscope lab` and in
 * `mxscope check --as` against `mxscope lab --serve`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define MAX_LINES 16

/* The JSON lines of a `lab --json` run, in order (lesson lines included:
 * report_for picks the domains' reports). */
typedef struct reports {
	json_t *j[MAX_LINES];
	size_t n;
} reports;

static void reports_read(const char *out, reports *rs)
{
	const char *p = out;

	rs->n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len && p[0] == '{') {
			json_error_t e;
			json_t *j = json_loadb(p, len, 0, &e);
			if (!j)
				fail_msg("not JSON: %s: %.*s", e.text, (int)(len > 200 ? 200 : len),
				         p);
			assert_true(rs->n < MAX_LINES);
			rs->j[rs->n++] = j;
		}
		p += len + (nl ? 1 : 0);
	}
}

static void reports_free(reports *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		json_decref(rs->j[i]);
	rs->n = 0;
}

/* The k-th report (0 = first) for domain, or NULL. */
static json_t *report_for(const reports *rs, const char *domain, int k)
{
	for (size_t i = 0; i < rs->n; i++) {
		const char *d = json_string_value(json_object_get(rs->j[i], "domain"));
		if (d && strcmp(d, domain) == 0 && k-- == 0)
			return rs->j[i]; /* lesson lines have no "domain" */
	}
	return NULL;
}

/* The probe of ip as MX host exchange, or NULL. */
static json_t *probe_as(json_t *j, const char *exchange, const char *ip)
{
	json_t *mx = json_object_get(j, "mx");

	for (size_t i = 0; i < json_array_size(mx); i++) {
		json_t *h = json_array_get(mx, i), *as = json_object_get(h, "addresses");
		if (strcmp(json_string_value(json_object_get(h, "exchange")), exchange) != 0)
			continue;
		for (size_t k = 0; k < json_array_size(as); k++)
			if (strcmp(json_string_value(json_object_get(json_array_get(as, k), "ip")),
			           ip) == 0)
				return json_object_get(json_array_get(as, k), "probe");
	}
	return NULL;
}

/* How many findings with code have subject (NULL: any). */
static size_t findings(json_t *j, const char *code, const char *subject)
{
	json_t *fs = json_object_get(j, "findings");
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);
		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0 &&
		    (!subject ||
		     strcmp(json_string_value(json_object_get(f, "subject")), subject) == 0))
			n++;
	}
	return n;
}

static bool starts(json_t *s, const char *prefix)
{
	const char *v = json_string_value(s);
	return v && strncmp(v, prefix, strlen(prefix)) == 0;
}

/* implicit-mx and ipv6-only in one lab: each ::1 host is its scenario's
 * own, so implicit.lab.test's ::1 greets as implicit.lab.test with a
 * certificate for that name, v6.lab.test's as mx1.v6.lab.test, on another
 * port, and neither is on the lab's blocklist. Before, implicit-mx showed
 * ipv6-only's banner, a certificate error and a blocklist listing. */
static void test_ipv6_lessons_isolated(void **state)
{
	const char *args[] = {"lab", "--json",      "--seed",    "1", "--port",
	                      "0",   "implicit-mx", "ipv6-only", NULL};
	hrun r;
	reports rs;
	json_t *imp, *v6, *p1, *p2;

	(void)state;
	h_run(args, NULL, 60000, &r);
	assert_int_equal(r.status, 0);
	reports_read(r.out, &rs);
	imp = report_for(&rs, "implicit.lab.test", 0);
	v6 = report_for(&rs, "v6.lab.test", 0);
	assert_non_null(imp);
	assert_non_null(v6);
	p1 = probe_as(imp, "implicit.lab.test", "::1");
	p2 = probe_as(v6, "mx1.v6.lab.test", "::1");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_string_equal(json_string_value(json_object_get(p1, "state")), "accepted");
	assert_true(starts(json_object_get(p1, "greeting"), "implicit.lab.test "));
	assert_true(starts(json_object_get(p2, "greeting"), "mx1.v6.lab.test "));
	assert_true(json_is_true(json_object_get(json_object_get(p1, "tls"), "verified")));
	assert_true(json_is_true(json_object_get(json_object_get(p2, "tls"), "verified")));
	assert_int_not_equal(json_integer_value(json_object_get(p1, "port")),
	                     json_integer_value(json_object_get(p2, "port")));
	/* the implicit-mx lesson has exactly its lesson's finding */
	assert_int_equal(findings(imp, "tls-certificate-invalid", NULL), 0);
	assert_int_equal(findings(imp, "banner-name-mismatch", NULL), 0);
	assert_int_equal(findings(imp, "ip-listed", NULL), 0);
	assert_int_equal(findings(imp, "implicit-mx", NULL), 1);
	assert_string_equal(json_string_value(json_object_get(imp, "status")), "warning");
	/* and ipv6-only no blocklist listing that is not its lesson */
	assert_int_equal(findings(v6, "ip-listed", NULL), 0);
	reports_free(&rs);
	hrun_free(&r);
}

/* `lab --serve` says which ::1 listener is which scenario's. */
static void test_serve_lists_ipv6_hosts(void **state)
{
	const char *args[] = {"lab",         "--serve",     "--port",      "0",
	                      "--smtp-port", "0",           "--http-port", "0",
	                      "ipv6-only",   "implicit-mx", NULL};
	hrun r;
	const char *a, *b;

	(void)state;
	h_run(args, NULL, 3000, &r); /* serves until killed */
	a = strstr(r.out, "\nsmtp [::1]:");
	b = a ? strstr(a + 1, "\nsmtp [::1]:") : NULL;
	if (!a || !b)
		fail_msg("two ::1 listeners wanted in:\n%s", r.out);
	assert_non_null(strstr(r.out, " v6.lab.test\n"));
	assert_non_null(strstr(r.out, " implicit.lab.test\n"));
	assert_int_not_equal(atoi(strchr(a + 10, ':') + 1), atoi(strchr(b + 10, ':') + 1));
	hrun_free(&r);
}

static void tiers_are(json_t *j, const char *want)
{
	json_t *tiers = json_object_get(j, "tiers");
	char got[256] = "";

	for (size_t t = 0; t < json_array_size(tiers); t++) {
		json_t *hosts = json_object_get(json_array_get(tiers, t), "hosts");
		for (size_t k = 0; k < json_array_size(hosts); k++) {
			size_t at = strlen(got);
			snprintf(got + at, sizeof(got) - at, "%s%s", at ? " " : "",
			         json_string_value(json_array_get(hosts, k)));
		}
	}
	if (strcmp(got, want) != 0)
		fail_msg("tiers \"%s\", want \"%s\"", got, want);
}

static const char *delivered(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "delivered_to"), "host"));
}

/* The lessons that need the relay view get it in `mxscope lab`: each
 * report is followed by the same domain seen from its $AS host. The
 * backscatter lesson shows its backup forwarding to mx1 only. */
static void test_lab_relay_views(void **state)
{
	const char *args[] = {"lab", "--json",      "--seed", "1", "--port",
	                      "0",   "backscatter", "relay",  NULL};
	hrun r;
	reports rs;
	json_t *j;

	(void)state;
	h_run(args, NULL, 60000, &r);
	assert_int_equal(r.status, 0);
	reports_read(r.out, &rs);
	j = report_for(&rs, "backscatter.lab.test", 0);
	assert_non_null(j);
	assert_null(json_object_get(j, "as"));
	tiers_are(j, "mx1.backscatter.lab.test no-rcpt-check.backscatter.lab.test");
	j = report_for(&rs, "backscatter.lab.test", 1);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "as")),
	                    "no-rcpt-check.backscatter.lab.test");
	tiers_are(j, "mx1.backscatter.lab.test");
	assert_int_equal(json_array_size(json_object_get(j, "attempt_order")), 1);
	assert_string_equal(delivered(j), "mx1.backscatter.lab.test");
	j = report_for(&rs, "relay.lab.test", 1);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "as")), "backup1.relay.lab.test");
	tiers_are(j, "primary.relay.lab.test");
	assert_string_equal(delivered(j), "primary.relay.lab.test");
	reports_free(&rs);
	hrun_free(&r);
}

/* `mxscope check --as` against a lab in another process, with probes: the
 * relay view, its walk and what the text report says. */
static void test_check_as(void **state)
{
	static const struct {
		const char *domain, *as, *tiers, *delivered;
		size_t attempts;
		const char *finding; /* one that must be there, or NULL */
	} cases[] = {
	    {"backscatter.lab.test", "no-rcpt-check.backscatter.lab.test",
	     "mx1.backscatter.lab.test", "mx1.backscatter.lab.test", 1, "smtp-no-starttls"},
	    {"backscatter.lab.test", "mx1.backscatter.lab.test", "", NULL, 0, "as-most-preferred"},
	    {"relay.lab.test", "backup1.relay.lab.test", "primary.relay.lab.test",
	     "primary.relay.lab.test", 1, NULL},
	    {"relay.lab.test", "backup2.relay.lab.test",
	     "primary.relay.lab.test backup1.relay.lab.test", "primary.relay.lab.test", 2, NULL},
	    {"relay.lab.test", "elsewhere.example.test",
	     "primary.relay.lab.test backup1.relay.lab.test backup2.relay.lab.test",
	     "primary.relay.lab.test", 3, "as-not-mx"},
	};
	hlab lab;

	(void)state;
	h_lab_start(&lab, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hargv a;
		hrun r;
		reports rs;
		json_t *j;

		h_run(h_lab_check(&a, &lab, HA_PROBE, "--json", "--seed", "1", "--timeout", "2",
		                  "--as", cases[i].as, cases[i].domain),
		      NULL, 30000, &r);
		reports_read(r.out, &rs);
		assert_int_equal(rs.n, 1);
		j = rs.j[0];
		assert_string_equal(json_string_value(json_object_get(j, "as")), cases[i].as);
		tiers_are(j, cases[i].tiers);
		assert_int_equal(json_array_size(json_object_get(j, "attempt_order")),
		                 cases[i].attempts);
		if (cases[i].delivered)
			assert_string_equal(delivered(j), cases[i].delivered);
		else
			assert_null(delivered(j)); /* no walk: nothing to try */
		if (cases[i].finding && findings(j, cases[i].finding, NULL) == 0)
			fail_msg("%s --as %s: no %s", cases[i].domain, cases[i].as,
			         cases[i].finding);
		reports_free(&rs);
		hrun_free(&r);

		h_run(h_lab_check(&a, &lab, HA_PROBE, "--ascii", "--as", cases[i].as,
		                  cases[i].domain),
		      NULL, 30000, &r);
		assert_non_null(strstr(r.out, "Relay view as "));
		hrun_free(&r);
	}
	h_lab_stop(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv6_lessons_isolated),
	    cmocka_unit_test(test_lab_relay_views),
	    cmocka_unit_test(test_check_as),
	    cmocka_unit_test(test_serve_lists_ipv6_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
