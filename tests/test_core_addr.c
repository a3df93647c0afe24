/* tests/test_core_addr.c — core/addr: family, canonical text, literals,
 * loopback and the special-purpose ranges, each with the reason people see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void test_family_and_canonical(void **state)
{
	static const struct {
		const char *in;
		int family;
		const char *canon;
	} cases[] = {
	    {"192.0.2.1", 4, "192.0.2.1"}, {"2001:DB8:0:0:0:0:0:1", 6, "2001:db8::1"},
	    {"0:0:0:0:0:0:0:1", 6, "::1"}, {"::ffff:192.0.2.1", 6, "::ffff:192.0.2.1"},
	    {"192.0.2.1.", 0, ""},         {"[192.0.2.1]", 0, ""},
	    {" 192.0.2.1", 0, ""},         {"1.2.3", 0, ""},
	    {"mx.example.test", 0, ""},    {"", 0, ""},
	};
	char out[MX_IP_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mx_ip_family(cases[i].in), cases[i].family);
		assert_int_equal(mx_ip_canonical(cases[i].in, out, sizeof(out)), cases[i].family);
		assert_string_equal(out, cases[i].canon);
	}
	assert_int_equal(mx_ip_family(NULL), 0);
	/* too small a buffer is a refusal, not a cut address */
	assert_int_equal(mx_ip_canonical("2001:db8::1", out, 4), 0);
	assert_string_equal(out, "");
}

static void test_literals(void **state)
{
	(void)state;
	assert_true(mx_is_ip_literal("192.0.2.1"));
	assert_true(mx_is_ip_literal("192.0.2.1."));
	assert_true(mx_is_ip_literal("[192.0.2.1]"));
	assert_true(mx_is_ip_literal("[IPv6:2001:db8::1]"));
	assert_true(mx_is_ip_literal("2001:db8::1"));
	assert_false(mx_is_ip_literal("mx1.example.test"));
	assert_false(mx_is_ip_literal("[mx1.example.test]"));
	assert_false(mx_is_ip_literal("1.2.3"));
	assert_false(mx_is_ip_literal(""));
}

static void test_non_public_reasons(void **state)
{
	static const struct {
		const char *ip;
		bool allow_loopback;
		const char *why; /* NULL = public */
	} cases[] = {
	    {"10.1.2.3", false, "private (RFC 1918)"},
	    {"172.31.255.255", false, "private (RFC 1918)"},
	    {"172.32.0.1", false, NULL},
	    {"100.64.1.1", false, "shared carrier-grade NAT space (RFC 6598)"},
	    {"127.0.0.1", false, "loopback (RFC 1122)"},
	    {"127.0.0.1", true, NULL},
	    {"::1", false, "loopback (RFC 4291)"},
	    {"::1", true, NULL},
	    {"::ffff:10.0.0.1", false, "private (RFC 1918)"},
	    {"fd00::1", false, "unique local (RFC 4193)"},
	    {"fe80::1", true, "link-local (RFC 4291)"},
	    {"2001:db8::25", false, "documentation (RFC 3849)"},
	    {"198.51.100.7", false, "documentation (RFC 5737)"},
	    {"8.8.8.8", false, NULL},
	    {"2a00:1450::1", false, NULL},
	    {"not-an-ip", false, "not an address"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = mx_ip_non_public_why(cases[i].ip, cases[i].allow_loopback);
		if (cases[i].why)
			assert_string_equal(why, cases[i].why);
		else
			assert_null(why);
		assert_int_equal(mx_ip_is_non_public(cases[i].ip, cases[i].allow_loopback),
		                 cases[i].why != NULL);
	}
}

static void test_loopback(void **state)
{
	(void)state;
	assert_true(mx_ip_is_loopback("127.0.16.1"));
	assert_true(mx_ip_is_loopback("0:0:0:0:0:0:0:1"));
	assert_false(mx_ip_is_loopback("128.0.0.1"));
	assert_false(mx_ip_is_loopback("::2"));
	assert_false(mx_ip_is_loopback("::ffff:127.0.0.1")); /* not how the lab listens */
	assert_false(mx_ip_is_loopback("localhost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_family_and_canonical),
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_non_public_reasons),
	    cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
