/* tests/test_core_report.c — the text and JSON reports carry DESIGN's fields
 * and never pass a control sequence from the network to the terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "report.h"

static mx_domain *sample(void)
{
	mx_domain *d = mx_domain_new("report.test");
	mx_options o = {.seed = 5, .allow_loopback = true};
	size_t h;

	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	mx_domain_add_mx(d, 10, "mx1.report.test", 300, &h);
	mx_host_add_addr(d, h, 4, "127.0.0.1", 30);
	mx_host_add_addr(d, h, 6, "::1", 30);
	mx_host_set_rcode(d, h, 4, MX_RC_OK);
	mx_host_set_rcode(d, h, 6, MX_RC_OK);
	mx_domain_add_mx(d, 20, "alias.report.test", 300, &h);
	mx_host_set_cname(d, h, "real.report.test.");
	mx_host_add_addr(d, h, 4, "127.0.0.2", 30);
	mx_domain_add_mx(d, 30, "gone.report.test", 300, &h);
	mx_host_set_rcode(d, h, 4, MX_RC_NXDOMAIN);
	mx_host_set_rcode(d, h, 6, MX_RC_NXDOMAIN);
	/* added out of order: the view sorts them */
	mx_domain_add_srv(d, "_submission._tcp", 10, 1, 587, "mx1.report.test.", 60);
	mx_domain_add_srv(d, "_pop3._tcp", 0, 0, 0, ".", 60);
	mx_domain_add_srv(d, "_submission._tcp", 0, 5, 587, "MX2.report.test", 60);
	mx_domain_add_srv(d, "_submission._tcp", 0, 9, 465, "mx3.report.test", 60);
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	return d;
}

static void test_json_fields(void **state)
{
	mx_domain *d = sample();
	char *s = mx_report_json(d);
	json_error_t err;
	json_t *j, *mx, *a0, *order, *srv, *s0;

	(void)state;
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	j = json_loads(s, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "domain")), "report.test");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_true(json_is_false(json_object_get(j, "null_mx")));
	assert_true(json_is_false(json_object_get(j, "implicit_mx")));
	assert_int_equal(json_integer_value(json_object_get(j, "seed")), 5);
	mx = json_object_get(j, "mx");
	assert_int_equal(json_array_size(mx), 3);
	a0 = json_array_get(json_object_get(json_array_get(mx, 0), "addresses"), 0);
	assert_string_equal(json_string_value(json_object_get(a0, "ip")), "::1");
	assert_int_equal(json_integer_value(json_object_get(a0, "family")), 6);
	assert_int_equal(json_integer_value(json_object_get(a0, "ttl")), 30);
	assert_string_equal(json_string_value(json_object_get(json_array_get(mx, 1), "cname")),
	                    "real.report.test");
	assert_int_equal(json_array_size(json_object_get(j, "tiers")), 3);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(j, "tiers"), 2), "preference")),
	                 30);
	order = json_object_get(j, "attempt_order");
	assert_int_equal(json_array_size(order), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(order, 2), "host")),
	                    "alias.report.test");
	srv = json_object_get(j, "srv");
	assert_int_equal(json_array_size(srv), 4);
	s0 = json_array_get(srv, 0);
	assert_string_equal(json_string_value(json_object_get(s0, "service")), "_pop3._tcp");
	assert_string_equal(json_string_value(json_object_get(s0, "target")), ".");
	assert_int_equal(json_integer_value(json_object_get(s0, "port")), 0);
	/* priority first, then the heavier weight */
	s0 = json_array_get(srv, 1);
	assert_string_equal(json_string_value(json_object_get(s0, "target")), "mx3.report.test");
	assert_int_equal(json_integer_value(json_object_get(s0, "weight")), 9);
	assert_int_equal(json_integer_value(json_object_get(s0, "port")), 465);
	s0 = json_array_get(srv, 2);
	assert_string_equal(json_string_value(json_object_get(s0, "target")), "mx2.report.test");
	s0 = json_array_get(srv, 3);
	assert_int_equal(json_integer_value(json_object_get(s0, "priority")), 10);
	assert_int_equal(json_integer_value(json_object_get(s0, "ttl")), 60);
	assert_string_equal(json_string_value(json_object_get(s0, "service")), "_submission._tcp");
	for (size_t i = 0; i < json_array_size(json_object_get(j, "findings")); i++) {
		json_t *f = json_array_get(json_object_get(j, "findings"), i);
		const char *keys[] = {"code", "severity", "subject", "message", "reference"};
		for (size_t k = 0; k < 5; k++)
			assert_true(json_is_string(json_object_get(f, keys[k])));
	}
	json_decref(j);
	free(s);
	mx_domain_free(d);
}

static void test_text_report(void **state)
{
	mx_domain *d = sample();
	mx_report_opts ro = {.ascii = true};
	char *s = mx_report_text(d, &ro);

	(void)state;
	assert_non_null(s);
	assert_non_null(strstr(s, "preference 10  (primary)"));
	assert_non_null(strstr(s, "alias.report.test  (alias for real.report.test)"));
	assert_non_null(strstr(s, "(no address: A NXDOMAIN, AAAA NXDOMAIN)"));
	assert_non_null(strstr(s, "Attempt order (seed 5)"));
	assert_non_null(strstr(s, "error   mx-no-address: MX 30 gone.report.test has no address"));
	assert_non_null(strstr(s, "[RFC 2181 §10.3]"));
	assert_non_null(
	    strstr(s, "Mail client services (RFC 6186)\n"
	              "  _pop3._tcp  priority 0 weight 0  . (not offered)  ttl 60\n"
	              "  _submission._tcp  priority 0 weight 9  mx3.report.test:465  ttl 60\n"
	              "  _submission._tcp  priority 0 weight 5  mx2.report.test:587  ttl 60\n"
	              "  _submission._tcp  priority 10 weight 1  mx1.report.test:587  ttl 60\n"));
	for (const char *p = s; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	free(s);
	mx_domain_free(d);
}

/* No SRV: no text section, and an empty JSON list; the bound holds. */
static void test_srv_absent_and_bounded(void **state)
{
	mx_domain *d = mx_domain_new("none.test");
	mx_options o = {.seed = 1};
	char *t, *js;
	size_t h;

	(void)state;
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	mx_domain_add_mx(d, 10, "mx.none.test", 300, &h);
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	t = mx_report_text(d, NULL);
	js = mx_report_json(d);
	assert_null(strstr(t, "Mail client services"));
	assert_non_null(strstr(js, "\"srv\":[]"));
	free(t);
	free(js);
	for (int i = 0; i < MX_SRV_MAX; i++)
		assert_int_equal(
		    mx_domain_add_srv(d, "_imaps._tcp", (uint16_t)i, 0, 993, "x.test", 1), MXS_OK);
	assert_int_equal(mx_domain_add_srv(d, "_imaps._tcp", 0, 0, 993, "x.test", 1),
	                 MXS_ERR_LIMIT);
	assert_int_equal(mx_domain_srv_count(d), MX_SRV_MAX);
	assert_int_equal(mx_domain_srv(d, MX_SRV_MAX - 1)->priority, MX_SRV_MAX - 1);
	mx_domain_free(d);
}

static void test_sanitize(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = {
	    {"plain text", "plain text"},
	    {"\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"},
	    {"tab\there\r\n", "tab\\x09here\\x0d\\x0a"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	    {"\xc2\x9b"
	     "31m",
	     "\\xc2\\x9b31m"}, /* C1 CSI */
	    {"a\xe2\x80\xae"
	     "b",
	     "a\\xe2\\x80\\xaeb"},            /* right-to-left override */
	    {"bad\xff\xc3", "bad\\xff\\xc3"}, /* invalid UTF-8 */
	    {"\xc0\xaf", "\\xc0\\xaf"},       /* overlong '/' */
	    {"\x7f", "\\x7f"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *s = mx_sanitize(c[i].in);
		assert_string_equal(s, c[i].out);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_text_report),
	    cmocka_unit_test(test_srv_absent_and_bounded),
	    cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
