/* tests/test_core_policy.c — MTA-STS as data (core/policy.c): the policy
 * file parser, the TXT record reader and the mx: pattern rule of RFC 8461
 * §4.1, each a table of inputs and what they must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static void test_parse_table(void **state)
{
	static const struct {
		const char *body;
		const char *mode; /* NULL: refused */
		unsigned long max_age;
		size_t nmx;
		const char *why; /* a substring of the error */
	} cases[] = {
	    {"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n",
	     "enforce", 86400, 1, NULL},
	    /* LF only, the order free, blanks around values, an unknown key */
	    {"mode:testing\nmx:  *.example.net \nmx: MX2.Example.COM.\nversion: STSv1\n"
	     "max_age: 604800\nextension: whatever\n",
	     "testing", 604800, 2, NULL},
	    {"version: STSv1\nmode: none\nmax_age: 0", "none", 0, 0, NULL},
	    {"version: STSv1\nmode: enforce\nmax_age: 31557600\nmx: a.example\n", "enforce",
	     31557600, 1, NULL},
	    {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", NULL, 0, 0,
	     "line 1: version \"STSv2\" is not STSv1"},
	    {"mode: enforce\nmx: a.example\nmax_age: 1\n", NULL, 0, 0, "no version"},
	    {"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", NULL, 0, 0,
	     "line 2: mode \"strict\" is not enforce, testing or none"},
	    {"version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n", NULL, 0,
	     0, "line 3: mode given twice"},
	    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", NULL, 0, 0,
	     "line 4: max_age"},
	    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5\n", NULL, 0, 0, "max_age"},
	    {"version: STSv1\nmode: enforce\nmax_age: 5\n", NULL, 0, 0,
	     "mode enforce without any mx"},
	    {"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 5\n", NULL, 0, 0,
	     "line 3: mx \"*.*.example\" is not a host name"},
	    {"version: STSv1\nmode: enforce\nmx: mail example\nmax_age: 5\n", NULL, 0, 0,
	     "line 3: mx"},
	    {"version: STSv1\nthis is html\n", NULL, 0, 0, "line 2: not a \"key: value\" line"},
	    {"<html><body>404</body></html>", NULL, 0, 0, "line 1: not a \"key: value\""},
	    {"", NULL, 0, 0, "no version"},
	    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 5\x1b[2J\n", NULL, 0, 0,
	     "control character"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *why = NULL;
		policy_sts *p = policy_parse(cases[i].body, strlen(cases[i].body), &why);
		if (!cases[i].mode) {
			if (p || !why || !strstr(why, cases[i].why)) {
				print_error("case %zu: want refusal \"%s\", got %s\n", i,
				            cases[i].why,
				            p     ? "a policy"
				            : why ? why
				                  : "no reason");
				fail();
			}
			free(why);
			continue;
		}
		if (!p) {
			print_error("case %zu: refused: %s\n", i, why ? why : "?");
			fail();
		}
		assert_string_equal(policy_mode_str(p->mode), cases[i].mode);
		assert_int_equal(p->max_age, cases[i].max_age);
		assert_int_equal(p->nmx, cases[i].nmx);
		policy_free(p);
	}
}

static void test_parse_keeps_patterns(void **state)
{
	const char body[] = "version: STSv1\nmode: enforce\nmx: MX1.Example.COM.\nmx: *.b.example\n"
	                    "max_age: 60\n";
	char *why = NULL;
	policy_sts *p = policy_parse(body, sizeof(body) - 1, &why), *d;

	(void)state;
	assert_non_null(p);
	assert_string_equal(p->mx[0], "mx1.example.com"); /* lower-case, no dot */
	assert_string_equal(p->mx[1], "*.b.example");
	d = policy_dup(p);
	assert_non_null(d);
	assert_string_equal(d->mx[1], "*.b.example");
	assert_int_equal(d->max_age, 60);
	policy_free(p);
	policy_free(d);
}

static void test_parse_bounds(void **state)
{
	size_t big = POLICY_BODY_MAX + 1;
	char *body = malloc(big), *why = NULL, nul[] = "version: STSv1\0mode: enforce\n";
	policy_sts *p;

	(void)state;
	memset(body, 'a', big);
	p = policy_parse(body, big, &why);
	assert_null(p);
	assert_non_null(strstr(why, "larger than"));
	free(why);
	why = NULL;
	free(body);
	assert_null(policy_parse(nul, sizeof(nul) - 1, &why));
	assert_non_null(strstr(why, "NUL"));
	free(why);
	why = NULL;
	/* more mx: lines than kept is refused, not cut */
	{
		char buf[8192] = "version: STSv1\nmode: enforce\nmax_age: 5\n";
		for (int i = 0; i <= POLICY_MX_MAX; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "mx: m%d.example\n",
			         i);
		assert_null(policy_parse(buf, strlen(buf), &why));
		assert_non_null(strstr(why, "more than"));
		free(why);
	}
}

static void test_txt_table(void **state)
{
	static const struct {
		const char *txt;
		const char *id; /* NULL: refused */
	} cases[] = {
	    {"v=STSv1; id=20160831085700Z;", "20160831085700Z"},
	    {"v=STSv1;id=abc", "abc"},
	    {"v=STSv1; id=abc; ext=1", "abc"},
	    {"v=STSv1; ext=1 ; id=x1 ", "x1"},
	    {"id=abc; v=STSv1", NULL},
	    {"v=STSv2; id=abc", NULL},
	    {"v=STSv1", NULL},
	    {"v=STSv1; id=", NULL},
	    {"v=STSv1; id=has-dash", NULL},
	    {"v=STSv1; id=123456789012345678901234567890123", NULL}, /* 33 */
	    {"v=STSv1; id=a; id=b", NULL},
	    {"v=spf1 -all", NULL},
	    {"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *id = NULL, *why = NULL;
		bool ok = policy_txt_parse(cases[i].txt, &id, &why);
		if (ok != (cases[i].id != NULL)) {
			print_error("case %zu \"%s\": %s\n", i, cases[i].txt,
			            ok ? "accepted" : why);
			fail();
		}
		if (ok)
			assert_string_equal(id, cases[i].id);
		else
			assert_non_null(why);
		free(id);
		free(why);
	}
}

static void test_mx_match_table(void **state)
{
	static const struct {
		const char *pattern, *host;
		bool match;
	} cases[] = {
	    {"mx1.example.com", "mx1.example.com", true},
	    {"mx1.example.com", "MX1.EXAMPLE.COM.", true},
	    {"mx1.example.com.", "mx1.example.com", true},
	    {"mx1.example.com", "mx2.example.com", false},
	    {"mx1.example.com", "a.mx1.example.com", false},
	    /* RFC 8461 §4.1: the wildcard is exactly one leftmost label */
	    {"*.example.com", "mail.example.com", true},
	    {"*.example.com", "MAIL.Example.Com.", true},
	    {"*.example.com", "example.com", false},
	    {"*.example.com", "a.b.example.com", false},
	    {"*.example.com", ".example.com", false},
	    {"*.example.com", "mailexample.com", false},
	    {"*.example.com", "mail.example.comx", false},
	    {"*.mx.example.com", "a.mx.example.com", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policy_mx_matches(cases[i].pattern, cases[i].host) != cases[i].match) {
			print_error("case %zu: %s vs %s\n", i, cases[i].pattern, cases[i].host);
			fail();
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),    cmocka_unit_test(test_parse_keeps_patterns),
	    cmocka_unit_test(test_parse_bounds),   cmocka_unit_test(test_txt_table),
	    cmocka_unit_test(test_mx_match_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
