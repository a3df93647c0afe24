/* tests/test_core_walk.c — the delivery walk and the SMTP findings: given
 * what each address answered, where does a sender's mail end up, and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mx.h"
#include "report.h"

typedef struct host_spec {
	uint16_t pref;
	const char *name;
	const char *ip;
	probe_state state; /* PROBE_PENDING: not probed */
	int code;
	const char *greeting;
	long greeting_ms;
	int tls; /* 0 no STARTTLS, 1 verified, 2 offered but not verified */
} host_spec;

static mx_domain *build(const host_spec *hs, size_t n, const char *as)
{
	mx_domain *d = mx_domain_new("walk.test");
	mx_options o = {.seed = 3, .allow_loopback = true, .as_host = as};

	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	for (size_t i = 0; i < n; i++) {
		size_t h;
		probe_result *r;
		assert_int_equal(mx_domain_add_mx(d, hs[i].pref, hs[i].name, 60, &h), MXS_OK);
		assert_int_equal(mx_host_add_addr(d, h, 4, hs[i].ip, 60), MXS_OK);
		if (hs[i].state == PROBE_PENDING)
			continue;
		r = probe_result_new(hs[i].name, hs[i].ip, 25);
		assert_non_null(r);
		r->state = hs[i].state;
		r->code = hs[i].code;
		if (hs[i].greeting)
			r->greeting = strdup(hs[i].greeting);
		r->t.greeting = hs[i].greeting_ms;
		if (hs[i].state == PROBE_ACCEPTED) {
			r->ehlo = calloc(1, sizeof(*r->ehlo));
			r->ehlo[0] = strdup("PIPELINING");
			r->nehlo = 1;
		}
		r->tls.offered = hs[i].tls > 0;
		r->tls.done = hs[i].tls > 0;
		r->tls.verified = hs[i].tls == 1;
		if (hs[i].tls == 2)
			r->tls.verify_error = strdup("certificate has expired");
		assert_int_equal(mx_host_set_probe(d, h, 0, r), MXS_OK);
	}
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	return d;
}

static size_t count(const mx_domain *d, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < mx_domain_finding_count(d); i++)
		n += strcmp(mx_domain_finding(d, i)->code, code) == 0;
	return n;
}

static const char *delivered_host(const mx_domain *d)
{
	const mx_attempt *a = mx_domain_delivered(d);
	return a ? mx_domain_host(d, a->host)->exchange : NULL;
}

static void test_primary_down(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_REFUSED, 0, NULL, -1, 0},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "mx2.walk.test ESMTP", 4, 1},
	};
	mx_domain *d = build(hs, 2, NULL);

	(void)state;
	assert_true(mx_domain_walked(d));
	assert_int_equal(mx_domain_step_count(d), 2);
	assert_int_equal(mx_domain_step(d, 0)->state, PROBE_REFUSED);
	assert_string_equal(mx_domain_step(d, 0)->rule, "connection refused: try the next address");
	assert_string_equal(delivered_host(d), "mx2.walk.test");
	assert_int_equal(count(d, "smtp-unreachable"), 1);
	assert_int_equal(count(d, "primary-unreachable"), 1);
	assert_int_equal(count(d, "no-accepting-mx"), 0);
	assert_int_equal(count(d, "banner-name-mismatch"), 0);
	assert_string_equal(mx_domain_status(d),
	                    "warning"); /* delivered by the backup: degraded, not lost */
	mx_domain_free(d);
}

/* The walk stops at the first 2xx: nothing after it is tried. */
static void test_stops_at_first_accept(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_ACCEPTED, 220, "mx1.walk.test ESMTP", 3, 1},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_REJECTED, 554, "no", 3, 0},
	};
	mx_domain *d = build(hs, 2, NULL);

	(void)state;
	assert_int_equal(mx_domain_step_count(d), 1);
	assert_string_equal(delivered_host(d), "mx1.walk.test");
	assert_int_equal(count(d, "primary-unreachable"), 0);
	/* the backup's 554 is still reported: it matters when mx1 is down */
	assert_int_equal(count(d, "smtp-reject"), 1);
	mx_domain_free(d);
}

static void test_nobody_accepts(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_REJECTED, 554, "mx1.walk.test no mail", 2, 0},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_TEMPFAIL, 421, "mx2.walk.test busy", 2, 0},
	    {30, "mx3.walk.test", "127.0.0.3", PROBE_GREETING_TIMEOUT, 0, NULL, -1, 0},
	};
	mx_domain *d = build(hs, 3, NULL);
	char *json;
	json_t *j;

	(void)state;
	assert_true(mx_domain_walked(d));
	assert_int_equal(mx_domain_step_count(d), 3);
	assert_null(mx_domain_delivered(d));
	assert_int_equal(count(d, "no-accepting-mx"), 1);
	assert_int_equal(count(d, "smtp-reject"), 1);
	assert_int_equal(count(d, "smtp-tempfail"), 1);
	assert_int_equal(count(d, "smtp-unreachable"), 1);
	json = mx_report_json(d);
	j = json_loads(json, 0, NULL);
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	assert_int_equal(json_array_size(json_object_get(j, "walk")), 3);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "walk"), 1), "state")),
	                    "tempfail");
	json_decref(j);
	free(json);
	mx_domain_free(d);
}

/* Equal preference: whichever order the shuffle gives, the tier's
 * accepting host takes the mail and no primary finding appears. */
static void test_tempfail_within_tier(void **state)
{
	const host_spec hs[] = {
	    {10, "a.walk.test", "127.0.0.1", PROBE_TEMPFAIL, 421, "a.walk.test try later", 1, 0},
	    {10, "b.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "b.walk.test ESMTP", 1, 1},
	};
	mx_domain *d = build(hs, 2, NULL);

	(void)state;
	assert_string_equal(delivered_host(d), "b.walk.test");
	assert_int_equal(count(d, "primary-unreachable"), 0);
	mx_domain_free(d);
}

/* No walk until every address in the order was probed. */
static void test_incomplete(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_REFUSED, 0, NULL, -1, 0},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_PENDING, 0, NULL, -1, 0},
	};
	mx_domain *d = build(hs, 2, NULL);
	char *json = mx_report_json(d);

	(void)state;
	assert_false(mx_domain_walked(d));
	assert_null(mx_domain_delivered(d));
	assert_int_equal(count(d, "no-accepting-mx"), 0);
	assert_null(strstr(json, "delivered_to"));
	free(json);
	mx_domain_free(d);
}

static void test_host_findings(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_ACCEPTED, 220, "other.example ESMTP", 2500, 2},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "MX2.walk.test. ESMTP", 5, 0},
	};
	mx_domain *d = build(hs, 2, NULL);
	mx_report_opts ro = {.ascii = true};
	char *text = mx_report_text(d, &ro);

	(void)state;
	assert_int_equal(count(d, "smtp-slow-banner"), 1);
	assert_int_equal(count(d, "tls-certificate-invalid"), 1);
	assert_int_equal(count(d, "banner-name-mismatch"), 1); /* mx1 only: mx2 differs in case */
	assert_int_equal(count(d, "smtp-no-starttls"), 1);
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, "tls-certificate-invalid") == 0)
			assert_non_null(strstr(f->message, "certificate has expired"));
		if (strcmp(f->code, "banner-name-mismatch") == 0)
			assert_string_equal(f->subject, "127.0.0.1");
	}
	assert_non_null(strstr(text, "Delivery walk (what a sender does)"));
	assert_non_null(
	    strstr(text, "1. mx1.walk.test (10) 127.0.0.1  220 accepted: 2xx greeting"));
	assert_non_null(strstr(text, "-> delivered to mx1.walk.test (10) 127.0.0.1"));
	assert_non_null(strstr(text, "220  accepted 2500 ms, STARTTLS unverified"));
	free(text);
	mx_domain_free(d);
}

/* A host that hung up before answering EHLO said nothing about STARTTLS:
 * no smtp-no-starttls for it (the lab's drop-ehlo behaviour). */
static void test_dropped_before_ehlo(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_ACCEPTED, 220, "mx1.walk.test ESMTP", 2, 0},
	};
	mx_domain *d = build(hs, 1, NULL);
	mx_domain *d2 = mx_domain_new("walk.test");
	size_t h;
	probe_result *r = probe_result_new("mx1.walk.test", "127.0.0.1", 25);

	(void)state;
	assert_int_equal(count(d, "smtp-no-starttls"), 1);
	mx_domain_set_mx_rcode(d2, MX_RC_OK, NULL);
	mx_domain_add_mx(d2, 10, "mx1.walk.test", 60, &h);
	mx_host_add_addr(d2, h, 4, "127.0.0.1", 60);
	r->state = PROBE_ACCEPTED;
	r->code = 220;
	r->error = strdup("connection closed during EHLO");
	mx_host_set_probe(d2, h, 0, r);
	assert_int_equal(mx_domain_analyze(d2, &(mx_options){.allow_loopback = true}), MXS_OK);
	assert_int_equal(count(d2, "smtp-no-starttls"), 0);
	assert_int_equal(count(d2, "tls-certificate-invalid"), 0);
	assert_non_null(mx_domain_delivered(d2));
	mx_domain_free(d);
	mx_domain_free(d2);
}

/* The relay view walks only what the relay would try. */
static void test_relay_walk(void **state)
{
	const host_spec hs[] = {
	    {10, "p.walk.test", "127.0.0.1", PROBE_REFUSED, 0, NULL, -1, 0},
	    {20, "b.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "b.walk.test ESMTP", 1, 1},
	};
	mx_domain *d = build(hs, 2, "b.walk.test");

	(void)state;
	assert_true(mx_domain_walked(d));
	assert_null(mx_domain_delivered(d));
	assert_int_equal(count(d, "no-accepting-mx"), 1);
	mx_domain_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_primary_down),   cmocka_unit_test(test_stops_at_first_accept),
	    cmocka_unit_test(test_nobody_accepts), cmocka_unit_test(test_tempfail_within_tier),
	    cmocka_unit_test(test_incomplete),     cmocka_unit_test(test_host_findings),
	    cmocka_unit_test(test_relay_walk),     cmocka_unit_test(test_dropped_before_ehlo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
