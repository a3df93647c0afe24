/* tests/test_check_policy.c — MTA-STS and the sender profiles, end to end:
 * the real binary against a `mxscope lab --serve` process whose HTTPS
 * server gives the policies (lab/sts_server.c). Every profile rule and
 * MTA-STS finding the lab can show, and every way the fetch fails (no
 * policy, 404, redirect, HTML, 80 KiB, silence, a bad TXT record, no
 * address, a certificate the fetch does not trust). */
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

/* The ways a policy fetch fails, one domain each; the hosts accept. */
static const char fail_zone[] =
    "$ORIGIN stsfail.lab.test.\n"
    "$TTL 30\n"
    "$SCENARIO stsfail\n"
    "$TITLE MTA-STS fetches that fail\n"
    "$DOMAIN missing.stsfail.lab.test.\n"
    "missing MX 10 mx.missing\n"
    "mx.missing A 127.0.63.1\n"
    "_mta-sts.missing TXT \"v=STSv1; id=1\"\n"
    "mta-sts.missing A 127.0.0.1\n"
    "redirect MX 10 mx.redirect\n"
    "mx.redirect A 127.0.63.1\n"
    "_mta-sts.redirect TXT \"v=STSv1; id=1\"\n"
    "mta-sts.redirect A 127.0.0.1\n"
    "html MX 10 mx.html\n"
    "mx.html A 127.0.63.1\n"
    "_mta-sts.html TXT \"v=STSv1; id=1\"\n"
    "mta-sts.html A 127.0.0.1\n"
    "huge MX 10 mx.huge\n"
    "mx.huge A 127.0.63.1\n"
    "_mta-sts.huge TXT \"v=STSv1; id=1\"\n"
    "mta-sts.huge A 127.0.0.1\n"
    "silent MX 10 mx.silent\n"
    "mx.silent A 127.0.63.1\n"
    "_mta-sts.silent TXT \"v=STSv1; id=1\"\n"
    "mta-sts.silent A 127.0.0.1\n"
    "badtxt MX 10 mx.badtxt\n"
    "mx.badtxt A 127.0.63.1\n"
    "_mta-sts.badtxt TXT \"v=STSv1; id=not-alnum!\"\n"
    "twotxt MX 10 mx.twotxt\n"
    "mx.twotxt A 127.0.63.1\n"
    "_mta-sts.twotxt TXT \"v=STSv1; id=1\"\n"
    "_mta-sts.twotxt TXT \"v=STSv1; id=2\"\n"
    "noaddr MX 10 mx.noaddr\n"
    "mx.noaddr A 127.0.63.1\n"
    "_mta-sts.noaddr TXT \"v=STSv1; id=1\"\n"
    "none MX 10 mx.none\n"
    "mx.none A 127.0.63.1\n"
    "_mta-sts.none TXT \"v=spf1 -all\"\n"
    "split MX 10 mx.split\n"
    "mx.split A 127.0.63.1\n"
    "_mta-sts.split TXT \"v=STSv1; \" \"id=split1\"\n"
    "mta-sts.split A 127.0.0.1\n"
    "certbad MX 10 mx1.certbad\n"
    "certbad MX 20 mx2.certbad\n"
    "mx1.certbad A 127.0.63.2\n"
    "mx2.certbad A 127.0.63.3\n"
    "_mta-sts.certbad TXT \"v=STSv1; id=c1\"\n"
    "mta-sts.certbad A 127.0.0.1\n"
    "$SMTP 127.0.63.2 accept tls=expired\n"
    "$SMTP 127.0.63.3 accept tls=valid\n"
    "$MTA-STS certbad.stsfail.lab.test. mode=enforce mx=*.certbad.stsfail.lab.test\n"
    "$SMTP 127.0.63.1 accept tls=valid name=mx.stsfail.lab.test\n"
    "$MTA-STS missing.stsfail.lab.test. mode=enforce mx=*.missing.stsfail.lab.test "
    "serve=missing\n"
    "$MTA-STS redirect.stsfail.lab.test. mx=*.redirect.stsfail.lab.test serve=redirect\n"
    "$MTA-STS html.stsfail.lab.test. mx=*.html.stsfail.lab.test serve=html\n"
    "$MTA-STS huge.stsfail.lab.test. mx=*.huge.stsfail.lab.test serve=huge\n"
    "$MTA-STS silent.stsfail.lab.test. mx=*.silent.stsfail.lab.test serve=silent\n"
    "$MTA-STS split.stsfail.lab.test. mode=testing mx=*.split.stsfail.lab.test\n";

/* The lab for every test: the MTA-STS scenarios and fail_zone. */
static int setup(void **state)
{
	const char *extra[] = {"sts-enforce", "sts-testing", "rcpt-relay", NULL};
	const hlab *lab;

	h_lab_group_start(state, extra, fail_zone);
	lab = *state;
	assert_true(lab->https_port[0] != '\0');
	return 0;
}

/* `check --json` with probes, the lab's CA and its policy port, plus more
 * args; the one JSON object. */
static json_t *run(const hlab *lab, const char *domain, const char *more1, const char *more2,
                   hrun *r)
{
	hargv a;
	json_t *j;

	h_lab_check(&a, lab, HA_PROBE | HA_STS, "--json", "--seed", "7", "--timeout", "2");
	if (more1)
		h_argv(&a, more1);
	if (more2)
		h_argv(&a, more2);
	h_argv(&a, domain);
	h_run(a.v, NULL, 30000, r);
	j = json_loads(r->out, 0, NULL);
	if (!j) {
		print_error("%s: not one JSON object\nstdout: %s\nstderr: %s\n", domain, r->out,
		            r->err);
		fail();
	}
	return j;
}

static json_t *sender(json_t *j, const char *profile)
{
	return json_object_get(json_object_get(j, "senders"), profile);
}

static const char *host_of(json_t *to)
{
	return json_string_value(json_object_get(to, "host"));
}

/* "next skipped" */
static void outcomes(json_t *s, char *out, size_t cap)
{
	json_t *steps = json_object_get(s, "steps");
	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(steps); i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "",
		         json_string_value(json_object_get(json_array_get(steps, i), "outcome")));
}

static void test_enforce_uncovered_backup(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "sts-enforce.lab.test", NULL, NULL, &r), *m, *p, *st;
	char got[128];

	m = json_object_get(j, "mta_sts");
	assert_string_equal(json_string_value(json_object_get(m, "txt")), "v=STSv1; id=20261129T1");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "20261129T1");
	p = json_object_get(m, "policy");
	assert_string_equal(json_string_value(json_object_get(p, "mode")), "enforce");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "mx"), 0)),
	                    "mx1.sts-enforce.lab.test");
	assert_int_equal(json_integer_value(json_object_get(p, "max_age")), 86400);
	assert_null(json_object_get(m, "error"));
	assert_string_equal(json_string_value(json_object_get(j, "tls_rpt")),
	                    "v=TLSRPTv1; rua=mailto:tls-reports@sts-enforce.lab.test");
	/* the plain sender falls back to the backup; the MTA-STS one must not */
	assert_string_equal(host_of(json_object_get(sender(j, "opportunistic"), "delivered_to")),
	                    "backup.sts-enforce.lab.test");
	assert_true(json_is_null(json_object_get(sender(j, "mta-sts"), "delivered_to")));
	outcomes(sender(j, "mta-sts"), got, sizeof(got));
	assert_string_equal(got, "next skipped");
	st = json_array_get(json_object_get(sender(j, "mta-sts"), "steps"), 1);
	assert_string_equal(host_of(st), "backup.sts-enforce.lab.test");
	assert_non_null(strstr(json_string_value(json_object_get(st, "rule")), "MTA-STS enforce"));
	/* the top level follows the opportunistic sender by default */
	assert_string_equal(host_of(json_object_get(j, "delivered_to")),
	                    "backup.sts-enforce.lab.test");
	assert_string_equal(severity_of(j, "mta-sts-mx-not-covered"), "error");
	assert_null(severity_of(j, "mta-sts-policy-unavailable"));
	assert_int_equal(r.status, 1);
	json_decref(j);
	hrun_free(&r);

	/* --sender mta-sts: the top level follows that sender: nowhere */
	j = run(lab, "sts-enforce.lab.test", "--sender", "mta-sts", &r);
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	assert_string_equal(host_of(json_object_get(sender(j, "opportunistic"), "delivered_to")),
	                    "backup.sts-enforce.lab.test");
	json_decref(j);
	hrun_free(&r);
}

static void test_enforce_text(void **state)
{
	const hlab *lab = *state;
	hargv a;
	hrun r;

	h_run(h_lab_check(&a, lab, HA_PROBE | HA_STS, "--ascii", "--timeout", "2",
	                  "sts-enforce.lab.test"),
	      NULL, 30000, &r);
	assert_non_null(strstr(r.out, "policy: mode enforce, max_age 86400, mx: "
	                              "mx1.sts-enforce.lab.test"));
	assert_non_null(strstr(r.out, "opportunistic (followed): delivered to "
	                              "backup.sts-enforce.lab.test (20) 127.0.60.2"));
	assert_non_null(strstr(r.out, "mta-sts: no delivery, the mail waits"));
	assert_non_null(strstr(r.out, "-> skipped backup.sts-enforce.lab.test 127.0.60.2: "
	                              "MTA-STS enforce: the host matches none"));
	assert_non_null(strstr(r.out, "TLS-RPT (RFC 8460): _smtp._tls TXT"));
	hrun_free(&r);
}

static void test_testing_reports_only(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "sts-testing.lab.test", NULL, NULL, &r);
	char got[128];

	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_object_get(j, "mta_sts"), "policy"), "mode")),
	                    "testing");
	assert_string_equal(host_of(json_object_get(sender(j, "mta-sts"), "delivered_to")),
	                    "in.mail.sts-testing.lab.test");
	outcomes(sender(j, "mta-sts"), got, sizeof(got));
	assert_string_equal(got, "delivered");
	assert_non_null(
	    strstr(json_string_value(json_object_get(
	               json_array_get(json_object_get(sender(j, "mta-sts"), "steps"), 0), "rule")),
	           "MTA-STS testing"));
	/* both MTA-STS findings, and only as warnings; the wildcard covers one
	 * label, so a.b.mail is the uncovered one */
	assert_string_equal(severity_of(j, "mta-sts-mx-not-covered"), "warning");
	assert_string_equal(severity_of(j, "mta-sts-certificate-invalid"), "warning");
	{
		json_t *f = json_object_get(j, "findings");
		for (size_t i = 0; i < json_array_size(f); i++) {
			json_t *o = json_array_get(f, i);
			if (strcmp(json_string_value(json_object_get(o, "code")),
			           "mta-sts-mx-not-covered") == 0)
				assert_string_equal(
				    json_string_value(json_object_get(o, "subject")),
				    "a.b.mail.sts-testing.lab.test");
		}
	}
	assert_string_equal(json_string_value(json_object_get(j, "status")), "warning");
	assert_int_equal(r.status, 0);
	assert_true(json_is_null(json_object_get(j, "tls_rpt")));
	json_decref(j);
	hrun_free(&r);
}

/* enforce and a covered host whose certificate has expired: the MTA-STS
 * sender skips it (after connecting: the certificate is what fails) and
 * takes the next; the plain sender does not care. */
static void test_enforce_certificate(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "certbad.stsfail.lab.test", NULL, NULL, &r), *st;
	char got[128];

	assert_string_equal(host_of(json_object_get(sender(j, "opportunistic"), "delivered_to")),
	                    "mx1.certbad.stsfail.lab.test");
	assert_string_equal(host_of(json_object_get(sender(j, "mta-sts"), "delivered_to")),
	                    "mx2.certbad.stsfail.lab.test");
	outcomes(sender(j, "mta-sts"), got, sizeof(got));
	assert_string_equal(got, "skipped delivered");
	st = json_array_get(json_object_get(sender(j, "mta-sts"), "steps"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(st, "rule")),
	                       "the certificate does not verify for the host name"));
	assert_string_equal(severity_of(j, "mta-sts-certificate-invalid"), "error");
	assert_null(severity_of(j, "mta-sts-mx-not-covered"));
	assert_int_equal(r.status, 1);
	json_decref(j);
	hrun_free(&r);
}

/* Each broken fetch: no policy, the reason in mta_sts.error, one warning,
 * and the mta-sts sender treats the domain as having none. */
static void test_fetch_failures(void **state)
{
	const hlab *lab = *state;
	static const struct {
		const char *domain, *why;
	} cases[] = {
	    {"missing.stsfail.lab.test", "HTTP 404"},
	    {"redirect.stsfail.lab.test", "HTTP 301 redirect, refused"},
	    {"html.stsfail.lab.test", "Content-Type \"text/html\", expected text/plain"},
	    {"huge.stsfail.lab.test", "larger than 65536 bytes"},
	    {"silent.stsfail.lab.test", "imed out"},
	    {"badtxt.stsfail.lab.test", "id is not 1 to 32 letters and digits"},
	    {"twotxt.stsfail.lab.test", "has 2 v=STSv1 TXT records"},
	    {"noaddr.stsfail.lab.test",
	     "mta-sts.noaddr.stsfail.lab.test has no address (A NXDOMAIN"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hrun r;
		json_t *j = run(lab, cases[i].domain, NULL, NULL, &r),
		       *m = json_object_get(j, "mta_sts");
		const char *why = json_string_value(json_object_get(m, "error"));
		if (!why || !strstr(why, cases[i].why)) {
			print_error("%s: error \"%s\", want \"%s\"\n", cases[i].domain,
			            why ? why : "(none)", cases[i].why);
			fail();
		}
		assert_true(json_is_null(json_object_get(m, "policy")));
		assert_string_equal(severity_of(j, "mta-sts-policy-unavailable"), "warning");
		assert_null(severity_of(j, "mta-sts-mx-not-covered"));
		assert_non_null(host_of(json_object_get(sender(j, "mta-sts"), "delivered_to")));
		json_decref(j);
		hrun_free(&r);
	}
}

/* No STSv1 record: MTA-STS was asked and there is none; no finding. A
 * record made of two strings is one record (RFC 8461 §3.1). */
static void test_no_policy_and_split_txt(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = run(lab, "none.stsfail.lab.test", NULL, NULL, &r), *m;

	m = json_object_get(j, "mta_sts");
	assert_true(json_is_object(m));
	assert_true(json_is_null(json_object_get(m, "txt")));
	assert_true(json_is_null(json_object_get(m, "policy")));
	assert_null(severity_of(j, "mta-sts-policy-unavailable"));
	json_decref(j);
	hrun_free(&r);

	j = run(lab, "split.stsfail.lab.test", NULL, NULL, &r);
	m = json_object_get(j, "mta_sts");
	assert_string_equal(json_string_value(json_object_get(m, "txt")), "v=STSv1; id=split1");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "split1");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(m, "policy"), "mode")), "testing");
	json_decref(j);
	hrun_free(&r);
}

/* The policy host's certificate is verified: without the lab's CA the
 * fetch fails, and says why. */
static void test_policy_certificate_verified(void **state)
{
	const hlab *lab = *state;
	hargv a;
	hrun r;
	json_t *j, *m;
	const char *why;

	/* no HA_CA: the lab's CA is not trusted */
	h_run(h_lab_check(&a, lab, HA_SMTP | HA_STS, "--json", "--timeout", "2",
	                  "sts-enforce.lab.test"),
	      NULL, 30000, &r);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	m = json_object_get(j, "mta_sts");
	why = json_string_value(json_object_get(m, "error"));
	assert_non_null(why);
	assert_non_null(strstr(why, "certificate"));
	assert_string_equal(severity_of(j, "mta-sts-policy-unavailable"), "warning");
	json_decref(j);
	hrun_free(&r);
}

/* --no-probe: no walk, so no sender profile, so MTA-STS is not asked. */
static void test_not_asked_without_probes(void **state)
{
	const hlab *lab = *state;
	hargv a;
	hrun r;
	json_t *j;

	h_run(h_lab_check(&a, lab, HA_STS, "--json", "--no-probe", "sts-enforce.lab.test"), NULL,
	      30000, &r);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "mta_sts")));
	assert_true(json_is_null(json_object_get(j, "tls_rpt")));
	assert_int_equal(json_object_size(json_object_get(j, "senders")), 0);
	assert_null(severity_of(j, "mta-sts-mx-not-covered"));
	json_decref(j);
	hrun_free(&r);
}

/* --sender takes only the three profile names. */
static void test_sender_option(void **state)
{
	const char *args[] = {"check", "--sender", "paranoid", "x.lab.test", NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err,
	                       "--sender \"paranoid\": expected opportunistic, mta-sts, dane or "
	                       "dane-mta-sts"));
	hrun_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enforce_uncovered_backup),
	    cmocka_unit_test(test_enforce_text),
	    cmocka_unit_test(test_testing_reports_only),
	    cmocka_unit_test(test_enforce_certificate),
	    cmocka_unit_test(test_fetch_failures),
	    cmocka_unit_test(test_no_policy_and_split_txt),
	    cmocka_unit_test(test_policy_certificate_verified),
	    cmocka_unit_test(test_sender_option),
	    cmocka_unit_test(test_not_asked_without_probes),
	};
	return cmocka_run_group_tests(tests, setup, h_lab_group_teardown);
}
