/* tests/test_core_name.c — names people type: normalised, converted to
 * A-labels, or refused with a message that says what and where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

static const struct {
	const char *in;
	const char *out; /* NULL: refused */
	const char *why; /* a part of the message when refused */
} cases[] = {
    {"Example.COM.", "example.com", NULL},
    {"  mail.example.org \r\n", "mail.example.org", NULL},
    {"_submission._tcp.example.org", "_submission._tcp.example.org", NULL},
    {"b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example", NULL},
    {"\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "xn--r8jz45g.xn--zckzah",
     NULL},
    {"", NULL, "empty domain name"},
    {"   ", NULL, "empty domain name"},
    {".", NULL, "root"},
    {"a..b", NULL, "empty label"},
    {".a.b", NULL, "empty label"},
    {"exa mple.com", NULL, "' ' at position 4"},
    {"exa\x1bmple.com", NULL, "control character"},
    {"-bad.example", NULL, "starts or ends with '-'"},
    {"bad-.example", NULL, "starts or ends with '-'"},
    {"a@b.example", NULL, "'@'"},
    {"\xff\xfe.example", NULL, "A-label"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", NULL,
     "64 characters long; the limit is 63"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL, *why = NULL;
		mxs_status st = mx_name_normalize(cases[i].in, &out, &why);
		if (cases[i].out) {
			if (st != MXS_OK) {
				print_error("\"%s\" refused: %s\n", cases[i].in, why);
				fail();
			}
			assert_string_equal(out, cases[i].out);
		} else {
			assert_int_equal(st, MXS_ERR_INVALID);
			assert_null(out);
			assert_non_null(why);
			if (!strstr(why, cases[i].why)) {
				print_error("case %zu: message \"%s\" lacks \"%s\"\n", i, why,
				            cases[i].why);
				fail();
			}
			/* one line, nothing raw from the input's control bytes */
			assert_null(strchr(why, '\n'));
			assert_null(strchr(why, '\x1b'));
		}
		free(out);
		free(why);
	}
}

static void test_name_too_long(void **state)
{
	char name[300], *out = NULL, *why = NULL;

	(void)state;
	/* 5 labels of 60 + dots = 304 > 253 */
	name[0] = '\0';
	for (int i = 0; i < 5; i++) {
		strcat(name, i ? "." : "");
		for (int j = 0; j < 59; j++)
			strcat(name, "a");
	}
	assert_int_equal(mx_name_normalize(name, &out, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "the limit is 253"));
	free(why);
}

static void test_cmp(void **state)
{
	(void)state;
	assert_int_equal(mx_name_cmp("A.example.", "a.EXAMPLE"), 0);
	assert_true(mx_name_cmp("a.example", "b.example") < 0);
	assert_true(mx_name_cmp("a.example.x", "a.example") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_name_too_long),
	    cmocka_unit_test(test_cmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
