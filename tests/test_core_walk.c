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

/* A host that greets with 220 and then hangs up at EHLO (the lab's
 * drop-ehlo, the hostile scenario's "drop") takes no mail: the walk moves
 * on and a finding says what broke. It once counted as accepted, with
 * status ok and no finding at all. */
static void test_dropped_moves_on(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_DROPPED, 220, "mx1.walk.test ESMTP", 2, 0},
	    {20, "mx2.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "mx2.walk.test ESMTP", 2, 1},
	};
	mx_domain *d = build(hs, 2, NULL), *one = build(hs, 1, NULL);
	bool found = false;

	(void)state;
	assert_string_equal(probe_state_word(PROBE_DROPPED), "dropped");
	assert_true(probe_state_moves_on(PROBE_DROPPED));
	assert_string_equal(delivered_host(d), "mx2.walk.test");
	assert_int_equal(mx_domain_step(d, 0)->state, PROBE_DROPPED);
	assert_non_null(strstr(mx_domain_step(d, 0)->rule, "try the next address"));
	assert_int_equal(count(d, "primary-unreachable"), 1);
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, "smtp-unreachable") == 0 &&
		    strcmp(f->subject, "127.0.0.1") == 0) {
			found = true;
			assert_non_null(strstr(f->message, "greets, then takes no mail"));
		}
	}
	assert_true(found);
	/* alone, nothing takes the mail: never "ok" */
	assert_null(mx_domain_delivered(one));
	assert_int_equal(count(one, "no-accepting-mx"), 1);
	assert_string_equal(mx_domain_status(one), "error");
	mx_domain_free(d);
	mx_domain_free(one);
}

/* A host listed twice (mx-duplicate) is one host at one address: its
 * certificate, banner and blocklist findings are reported once, noting the
 * second record, not once per MX record. */
static void test_duplicate_reported_once(void **state)
{
	const host_spec hs[] = {
	    {10, "mx1.walk.test", "127.0.0.1", PROBE_ACCEPTED, 220, "other.example ESMTP", 2, 2},
	    {20, "mx1.walk.test", "127.0.0.1", PROBE_ACCEPTED, 220, "other.example ESMTP", 2, 2},
	    {30, "mx2.walk.test", "127.0.0.2", PROBE_ACCEPTED, 220, "mx2.walk.test ESMTP", 2, 1},
	};
	mx_domain *d = build(hs, 3, NULL);

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		blr_result *b = blr_result_new("lab", BLR_DNSBL_DOH, "127.0.0.1");
		assert_non_null(b);
		b->state = BLR_LISTED;
		assert_int_equal(mx_host_add_blocklist(d, i, 0, b), MXS_OK);
	}
	assert_int_equal(mx_domain_analyze(d, &(mx_options){.seed = 3, .allow_loopback = true}),
	                 MXS_OK);
	assert_int_equal(count(d, "mx-duplicate"), 1);
	assert_int_equal(count(d, "tls-certificate-invalid"), 1);
	assert_int_equal(count(d, "banner-name-mismatch"), 1);
	assert_int_equal(count(d, "ip-listed"), 1);
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, "tls-certificate-invalid") == 0 ||
		    strcmp(f->code, "banner-name-mismatch") == 0 ||
		    strcmp(f->code, "ip-listed") == 0)
			assert_non_null(strstr(f->message, "listed again at preference 20"));
	}
	mx_domain_free(d);
}

/* An alias chain that loops is called a loop (mx-cname-loop, with the
 * chain), not "an alias for b: point the MX at b" plus mx-no-address. */
static void test_cname_loop(void **state)
{
	mx_domain *d = mx_domain_new("walk.test");
	size_t h1, h2;

	(void)state;
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	assert_int_equal(mx_domain_add_mx(d, 10, "a.walk.test", 60, &h1), MXS_OK);
	assert_int_equal(mx_domain_add_mx(d, 20, "mx2.walk.test", 60, &h2), MXS_OK);
	mx_host_set_rcode(d, h1, 4, MX_RC_NODATA);
	mx_host_set_rcode(d, h1, 6, MX_RC_NODATA);
	assert_int_equal(mx_host_set_cname_loop(d, h1, "a.walk.test -> b.walk.test -> a.walk.test"),
	                 MXS_OK);
	assert_int_equal(mx_host_set_cname_loop(d, 9, "x"), MXS_ERR_INVALID);
	assert_int_equal(mx_host_add_addr(d, h2, 4, "127.0.0.2", 60), MXS_OK);
	assert_int_equal(mx_domain_analyze(d, &(mx_options){.allow_loopback = true}), MXS_OK);
	assert_int_equal(count(d, "mx-cname-loop"), 1);
	assert_int_equal(count(d, "mx-cname"), 0);
	assert_int_equal(count(d, "mx-no-address"), 0);
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, "mx-cname-loop") == 0) {
			assert_string_equal(f->subject, "a.walk.test");
			assert_non_null(strstr(f->message,
			                       "CNAME loop (a.walk.test -> b.walk.test -> "
			                       "a.walk.test)"));
			assert_int_equal(f->severity, MX_SEV_ERROR);
		}
	}
	mx_domain_free(d);
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
	    cmocka_unit_test(test_primary_down),     cmocka_unit_test(test_stops_at_first_accept),
	    cmocka_unit_test(test_nobody_accepts),   cmocka_unit_test(test_tempfail_within_tier),
	    cmocka_unit_test(test_incomplete),       cmocka_unit_test(test_host_findings),
	    cmocka_unit_test(test_relay_walk),       cmocka_unit_test(test_dropped_before_ehlo),
	    cmocka_unit_test(test_dropped_moves_on), cmocka_unit_test(test_duplicate_reported_once),
	    cmocka_unit_test(test_cname_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
