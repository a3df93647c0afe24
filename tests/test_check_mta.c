/* tests/test_check_mta.c — --mta and --mta-config end to end: the real
 * binary against a `mxscope lab --serve` process with the scenarios where
 * the MTAs disagree (null MX beside MX, a numeric MX target, dual stack
 * with one family refusing the recipient, six hosts past the address
 * limit), and the config file's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

static int setup(void **state)
{
	const char *extra[] = {"null-mx-mixed", "ip-literal", "dual-stack-coin", "address-limit",
	                       NULL};

	h_lab_group_start(state, extra, NULL);
	return 0;
}

static json_t *run(const hlab *lab, const char *domain, const char *mta, const char *more,
                   const char *more2)
{
	hargv a;
	hrun r;
	json_t *j;

	h_lab_check(&a, lab, HA_PROBE, "--json", "--seed", "7", "--timeout", "2");
	h_argv(&a, "--mta");
	h_argv(&a, mta);
	if (more)
		h_argv(&a, more);
	if (more2)
		h_argv(&a, more2);
	h_argv(&a, domain);
	h_run(a.v, NULL, 30000, &r);
	j = json_loads(r.out, 0, NULL);
	if (!j) {
		print_error("%s: not one JSON object\nstdout: %s\nstderr: %s\n", domain, r.out,
		            r.err);
		fail();
	}
	hrun_free(&r);
	return j;
}

static json_t *opp(json_t *j)
{
	return json_object_get(json_object_get(j, "senders"), "opportunistic");
}

static const char *end_of(json_t *j)
{
	return json_string_value(json_object_get(opp(j), "end"));
}

static const char *to_host(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "delivered_to"), "host"));
}

/* Where each MTA ends, and the top-level delivered_to following it. */
static void test_disagreements(void **state)
{
	const hlab *lab = *state;
	static const struct {
		const char *domain, *mta, *end, *host; /* host NULL: delivered_to null */
	} cases[] = {
	    {"null-mixed.lab.test", "rfc", "delivered", "mx1.null-mixed.lab.test"},
	    {"null-mixed.lab.test", "postfix", "bounced", NULL},
	    {"null-mixed.lab.test", "exim", "delivered", "mx1.null-mixed.lab.test"},
	    {"literal.lab.test", "rfc", "delivered", "mx2.literal.lab.test"},
	    {"literal.lab.test", "postfix", "delivered", "mx2.literal.lab.test"},
	    {"literal.lab.test", "exim", "delivered", "mx2.literal.lab.test"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = run(lab, cases[i].domain, cases[i].mta, NULL, NULL);
		if (strcmp(end_of(j), cases[i].end) ||
		    (cases[i].host ? !to_host(j) || strcmp(to_host(j), cases[i].host)
		                   : !json_is_null(json_object_get(j, "delivered_to")))) {
			print_error("%s as %s: end %s to %s, want %s to %s\n", cases[i].domain,
			            cases[i].mta, end_of(j), to_host(j) ? to_host(j) : "null",
			            cases[i].end, cases[i].host ? cases[i].host : "null");
			fail();
		}
		assert_string_equal(json_string_value(json_object_get(j, "mta")), cases[i].mta);
		assert_true(json_is_true(json_object_get(opp(j), "certain")));
		json_decref(j);
	}
}

/* Postfix at the numeric MX: it connects to the digits (refused there), the
 * step names the rule. */
static void test_numeric_step(void **state)
{
	json_t *j = run(*state, "literal.lab.test", "postfix", NULL, NULL);
	json_t *st0 = json_array_get(json_object_get(opp(j), "steps"), 0);

	assert_string_equal(json_string_value(json_object_get(st0, "ip")), "127.0.7.1");
	assert_string_equal(json_string_value(json_object_get(st0, "outcome")), "next");
	json_decref(j);
}

/* The coin tosses: shares, most likely first; rfc and exim are certain. */
static void test_chances(void **state)
{
	const hlab *lab = *state;
	json_t *j = run(lab, "limit.lab.test", "postfix", NULL, NULL), *outs;

	assert_true(json_is_false(json_object_get(opp(j), "certain")));
	outs = json_object_get(opp(j), "outcomes");
	assert_int_equal(json_array_size(outs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(outs, 0), "end")),
	                    "delivered");
	assert_true(json_real_value(json_object_get(json_array_get(outs, 1), "share")) > 0.16 &&
	            json_real_value(json_object_get(json_array_get(outs, 1), "share")) < 0.17);
	assert_string_equal(end_of(j), "delivered");
	json_decref(j);
	j = run(lab, "limit.lab.test", "rfc", NULL, NULL);
	assert_true(json_is_true(json_object_get(opp(j), "certain")));
	assert_null(json_object_get(opp(j), "outcomes"));
	json_decref(j);
	j = run(lab, "coin.lab.test", "postfix", "--rcpt", "postmaster");
	assert_true(json_is_false(json_object_get(opp(j), "certain")));
	assert_int_equal(json_array_size(json_object_get(opp(j), "outcomes")), 2);
	json_decref(j);
	j = run(lab, "coin.lab.test", "exim", "--rcpt", "postmaster");
	assert_string_equal(end_of(j), "bounced");
	assert_true(json_is_true(json_object_get(opp(j), "certain")));
	json_decref(j);
}

/* --mta-config: the admin's limit changes the shares; a bad value is
 * FILE:LINE and exit 2. */
static void test_config_file(void **state)
{
	const hlab *lab = *state;
	char path[] = "/tmp/mxscope-mtacfg-XXXXXX";
	int fd = mkstemp(path);
	const char good[] = "myhostname = mx.example\nsmtp_mx_address_limit = 2\n";
	const char bad[] = "# postconf -n\nsmtp_mx_address_limit = lots\n";
	const char *args[] = {"check", "--mta",      "postfix", "--mta-config",
	                      path,    "x.lab.test", NULL};
	json_t *j, *outs;
	hrun r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)(sizeof(good) - 1));
	close(fd);
	j = run(lab, "limit.lab.test", "postfix", "--mta-config", path);
	outs = json_object_get(opp(j), "outcomes");
	assert_int_equal(json_array_size(outs), 2);
	/* two tries of six: delivered one time in three */
	for (size_t i = 0; i < 2; i++) {
		json_t *o = json_array_get(outs, i);
		double share = json_real_value(json_object_get(o, "share"));
		if (!strcmp(json_string_value(json_object_get(o, "end")), "delivered"))
			assert_true(share > 0.33 && share < 0.34);
	}
	json_decref(j);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	{
		char want[200];
		snprintf(want, sizeof(want),
		         "%s:2: smtp_mx_address_limit: expected a number from 0 to 100000, got "
		         "\"lots\"",
		         path);
		assert_non_null(strstr(r.err, want));
	}
	hrun_free(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disagreements),
	    cmocka_unit_test(test_numeric_step),
	    cmocka_unit_test(test_chances),
	    cmocka_unit_test(test_config_file),
	};
	return cmocka_run_group_tests(tests, setup, h_lab_group_teardown);
}
