/* tests/test_core_blocklist.c — the pure blocklist rules: RFC 5782 query
 * names (IPv4 octets, IPv6 nibbles), reading DNSBL answers, the JSON
 * pointer (RFC 6901 §5 examples), JSON API bodies, the config file parser
 * and its errors, and that no string the module makes ever holds a key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <jansson.h>

#include "blocklist.h"

#define SECRET "s3cr3t-KEY-do-not-print"

/* ---- query names ------------------------------------------------------- */

static void test_query_names(void **state)
{
	char out[256];
	const char *v6 =
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.lab.test";

	(void)state;
	assert_int_equal(blr_query_name("127.0.0.2", "zen.lab.test", out, sizeof(out)), MXS_OK);
	assert_string_equal(out, "2.0.0.127.zen.lab.test");
	assert_int_equal(blr_query_name("127.10.20.30", "bl.lab.test.", out, sizeof(out)), MXS_OK);
	assert_string_equal(out, "30.20.10.127.bl.lab.test");
	assert_int_equal(blr_query_name("::1", "bl.lab.test", out, sizeof(out)), MXS_OK);
	assert_string_equal(out, v6);
	/* RFC 5782 §2.4: every nibble, zeros included, least significant first */
	assert_int_equal(blr_query_name("::ffff:127.0.0.2", "bl.lab.test", out, sizeof(out)),
	                 MXS_OK);
	assert_string_equal(out, "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	                         "bl.lab.test");
	assert_int_equal(blr_reversed_ip("127.0.40.2", out, sizeof(out)), MXS_OK);
	assert_string_equal(out, "2.40.0.127");
	assert_int_equal(blr_query_name("127.0.0.256", "bl.lab.test", out, sizeof(out)),
	                 MXS_ERR_INVALID);
	assert_int_equal(blr_query_name("mx.lab.test", "bl.lab.test", out, sizeof(out)),
	                 MXS_ERR_INVALID);
	assert_int_equal(blr_query_name("127.0.0.2", "bad zone", out, sizeof(out)),
	                 MXS_ERR_INVALID);
	assert_int_equal(blr_query_name("127.0.0.2", "", out, sizeof(out)), MXS_ERR_INVALID);
	assert_int_equal(blr_query_name("127.0.0.2", "a..b", out, sizeof(out)), MXS_ERR_INVALID);
	assert_int_equal(blr_query_name("127.0.0.2", "bl.lab.test", out, 10), MXS_ERR_LIMIT);
	assert_int_equal(blr_query_name("::1", "bl.lab.test", out, 40), MXS_ERR_LIMIT);
}

/* ---- answer rules ------------------------------------------------------ */

typedef struct arule {
	int rcode;
	const char *addrs; /* space separated */
	blr_state want;
	const char *codes;  /* "127.0.0.2 127.0.0.4" or NULL */
	const char *errhas; /* a word the error must hold */
} arule;

static void test_answer_rules(void **state)
{
	/* clang-format off */
	static const arule rules[] = {
		{3, "", BLR_NOT_LISTED, NULL, NULL},
		{0, "", BLR_NOT_LISTED, NULL, NULL}, /* NODATA */
		{0, "127.0.0.2", BLR_LISTED, "127.0.0.2", NULL},
		{0, "127.0.0.255", BLR_LISTED, "127.0.0.255", NULL},
		{0, "127.0.0.2 127.0.0.4", BLR_LISTED, "127.0.0.2 127.0.0.4", NULL},
		{0, "127.255.255.254", BLR_UNAVAILABLE, NULL, "public or open resolver"},
		{0, "127.255.255.255", BLR_UNAVAILABLE, NULL, "too many queries"},
		{0, "127.255.255.252", BLR_UNAVAILABLE, NULL, "typing error"},
		{0, "127.255.255.1", BLR_UNAVAILABLE, NULL, "refused"},
		/* a listing beside a refusal is still a refusal: never "listed" */
		{0, "127.0.0.2 127.255.255.254", BLR_UNAVAILABLE, NULL, "127.255.255.254"},
		{0, "127.0.0.1", BLR_UNAVAILABLE, NULL, "unexpected answer"},
		{0, "127.0.1.2", BLR_UNAVAILABLE, NULL, "unexpected answer"},
		{0, "0.0.0.0", BLR_UNAVAILABLE, NULL, "unexpected answer"},
		{2, "", BLR_UNAVAILABLE, NULL, "SERVFAIL"},
		{5, "", BLR_UNAVAILABLE, NULL, "REFUSED"},
		{9, "", BLR_UNAVAILABLE, NULL, "rcode 9"},
	};
	/* clang-format on */
	blr_config *c = blr_config_new();
	char *why = NULL;

	(void)state;
	assert_int_equal(
	    blr_config_parse(c, "t",
	                     "[blocklist z]\nzone = bl.lab.test\n"
	                     "url = http://127.0.0.1:1/dns-query\n"
	                     "codes = 127.0.0.2:spam source, 127.0.0.4:exploited host\n",
	                     0, NULL, NULL, NULL, &why),
	    MXS_OK);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		uint32_t a[8];
		size_t n = 0;
		char buf[128], *save = NULL, codes[128] = "";
		blr_result *r = blr_result_new("z", BLR_DNSBL_DOH, "127.0.40.2");
		snprintf(buf, sizeof(buf), "%s", rules[i].addrs);
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
			assert_int_equal(inet_pton(AF_INET, t, &a[n++]), 1);
		assert_int_equal(
		    blr_interpret_a(r, blr_config_provider(c, 0), rules[i].rcode, a, n), MXS_OK);
		if (r->state != rules[i].want)
			fail_msg("rule %zu (%s): got %s", i, rules[i].addrs,
			         blr_state_str(r->state));
		for (size_t k = 0; k < r->ncodes; k++) {
			strcat(codes, k ? " " : "");
			strcat(codes, r->codes[k].code);
		}
		assert_string_equal(codes, rules[i].codes ? rules[i].codes : "");
		if (rules[i].errhas) {
			assert_non_null(r->error);
			if (!strstr(r->error, rules[i].errhas))
				fail_msg("rule %zu: error \"%s\" lacks \"%s\"", i, r->error,
				         rules[i].errhas);
		} else {
			assert_null(r->error);
		}
		if (rules[i].codes && strcmp(rules[i].codes, "127.0.0.2 127.0.0.4") == 0) {
			assert_string_equal(r->codes[0].meaning, "spam source");
			assert_string_equal(r->codes[1].meaning, "exploited host");
		}
		blr_result_free(r);
	}
	blr_config_free(c);
}

/* ---- JSON pointer: the examples of RFC 6901 §5 ------------------------------ */

static void test_json_pointer(void **state)
{
	json_t *doc = json_loads("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
	                         "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8,"
	                         "\"deep\":{\"x\":[{\"y\":true}]}}",
	                         0, NULL);
	static const struct {
		const char *ptr;
		int value;
	} ints[] = {{"/", 0},     {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
	            {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7},   {"/m~0n", 8}};

	(void)state;
	assert_non_null(doc);
	assert_ptr_equal(blr_json_pointer(doc, ""), doc);
	assert_string_equal(json_string_value(blr_json_pointer(doc, "/foo/0")), "bar");
	assert_string_equal(json_string_value(blr_json_pointer(doc, "/foo/1")), "baz");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		assert_int_equal(json_integer_value(blr_json_pointer(doc, ints[i].ptr)),
		                 ints[i].value);
	assert_true(json_is_true(blr_json_pointer(doc, "/deep/x/0/y")));
	assert_null(blr_json_pointer(doc, "/foo/2"));
	assert_null(blr_json_pointer(doc, "/foo/-"));
	assert_null(blr_json_pointer(doc, "/foo/01"));
	assert_null(blr_json_pointer(doc, "/foo/x"));
	assert_null(blr_json_pointer(doc, "/nope"));
	assert_null(blr_json_pointer(doc, "/foo/0/deeper"));
	assert_null(blr_json_pointer(doc, "foo"));
	assert_null(blr_json_pointer(doc, "/m~2n"));
	assert_false(blr_json_pointer_valid("/a~"));
	assert_true(blr_json_pointer_valid("/a~0~1"));
	json_decref(doc);
}

/* ---- JSON API bodies ------------------------------------------------------- */

static void test_json_bodies(void **state)
{
	static const struct {
		const char *body;
		blr_state want;
		const char *reason; /* or NULL */
	} cases[] = {
	    {"{\"listed\":true,\"reason\":\"spam\"}", BLR_LISTED, "spam"},
	    {"{\"listed\":false}", BLR_NOT_LISTED, NULL},
	    {"{\"listed\":1,\"reason\":{\"why\":\"x\"}}", BLR_LISTED, "{\"why\":\"x\"}"},
	    {"{\"listed\":0}", BLR_NOT_LISTED, NULL},
	    {"{\"listed\":\"maybe\"}", BLR_UNAVAILABLE, NULL},
	    {"{}", BLR_UNAVAILABLE, NULL},
	    {"[true]", BLR_UNAVAILABLE, NULL},
	    {"not json", BLR_UNAVAILABLE, NULL},
	    {"", BLR_UNAVAILABLE, NULL},
	    {"{\"listed\":true,\"reason\":\"a\\u001b[2Jb\"}", BLR_LISTED, "a?[2Jb"},
	};
	blr_provider p = {
	    .name = "j", .kind = BLR_JSON_API, .listed_ptr = "/listed", .reason_ptr = "/reason"};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		blr_result *r = blr_result_new("j", BLR_JSON_API, "127.0.40.2");
		assert_int_equal(blr_interpret_json(r, &p, cases[i].body, strlen(cases[i].body)),
		                 MXS_OK);
		if (r->state != cases[i].want)
			fail_msg("case %zu: got %s", i, blr_state_str(r->state));
		if (cases[i].reason)
			assert_string_equal(r->reason, cases[i].reason);
		if (r->state == BLR_UNAVAILABLE)
			assert_non_null(r->error);
		blr_result_free(r);
	}
}

/* ---- config file ----------------------------------------------------------- */

static const char *fake_env(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "LAB_KEY") == 0 ? SECRET : NULL;
}

static const char good[] = "# providers\n"
                           "[blocklist lab]\n"
                           "type = dnsbl-doh\n"
                           "zone = bl.lab.test.\n"
                           "url = http://127.0.0.1:8053/dns-query\n"
                           "method = post\n"
                           "rate = 20/s\n"
                           "codes = 127.0.0.2:spam source,127.0.0.4:exploited host\n"
                           "enabled = yes\n"
                           "\n"
                           "[blocklist api]\n"
                           "type = json\n"
                           "url = http://[::1]:8053/api/check/{ip}?r={reversed_ip}\n"
                           "header = X-Api-Key: {key}\n"
                           "key-env = LAB_KEY\n"
                           "listed-pointer = /result/listed\n"
                           "reason-pointer = /result/reason\n"
                           "rate = 30/min\n"
                           "ttl = 600\n"
                           "\n"
                           "[blocklist remote]\n"
                           "type = dnsbl-doh\n"
                           "zone = zen.example.org\n"
                           "url = https://doh.example.net/dns-query\n";

static void test_config_good(void **state)
{
	blr_config *c = blr_config_new();
	char *why = NULL, *warn = NULL, *s;
	const blr_provider *p;

	(void)state;
	assert_int_equal(blr_config_parse(c, "cfg", good, 0100644, fake_env, NULL, &warn, &why),
	                 MXS_OK);
	assert_null(warn); /* key-env: nothing secret in the file itself */
	assert_int_equal(blr_config_count(c), 3);
	assert_int_equal(blr_config_enabled_count(c), 1);
	p = blr_config_find(c, "lab");
	assert_int_equal(p->kind, BLR_DNSBL_DOH);
	assert_string_equal(p->zone, "bl.lab.test");
	assert_true(p->post);
	assert_true(p->rate == 20.0);
	assert_int_equal(p->ncodes, 2);
	p = blr_config_find(c, "api");
	assert_int_equal(p->kind, BLR_JSON_API);
	assert_string_equal(p->key, SECRET);
	assert_true(p->rate > 0.49 && p->rate < 0.51);
	assert_int_equal(p->ttl, 600);
	s = blr_expand_url(p, "127.0.40.2");
	assert_string_equal(s, "http://[::1]:8053/api/check/127.0.40.2?r=2.40.0.127");
	free(s);
	assert_null(blr_expand_url(p, "127.0.40.2/../x"));
	s = blr_expand_header(p);
	assert_string_equal(s, "X-Api-Key: " SECRET);
	free(s);
	/* --blocklist NAME enables; ZONE@URL adds */
	assert_int_equal(blr_config_add_spec(c, "api", &why), MXS_OK);
	assert_int_equal(blr_config_add_spec(c, "bl2.lab.test@http://localhost:1/q", &why), MXS_OK);
	assert_int_equal(blr_config_enabled_count(c), 3);
	assert_int_equal(blr_config_check(c, &why), MXS_OK);
	assert_int_equal(blr_config_add_spec(c, "nope", &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "nope"));
	/* which URLs may be asked is net's rule (test_net_blocklist.c): here only
	 * that there is one */
	assert_int_equal(blr_config_add_spec(c, "bl.lab.test@", &why), MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "bad zone@https://x.test/", &why), MXS_ERR_INVALID);
	/* zones through core/name's one RFC 1123 check: label ends, '_', empty labels */
	assert_int_equal(blr_config_add_spec(c, "-bl.test@https://x.test/", &why), MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "bl-.test@https://x.test/", &why), MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "b_l.test@https://x.test/", &why), MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "bl..test@https://x.test/", &why), MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "bl.test..@https://x.test/", &why),
	                 MXS_ERR_INVALID);
	assert_int_equal(blr_config_add_spec(c, "bl2.lab.test@http://127.0.0.1/q", &why),
	                 MXS_ERR_INVALID); /* the name is taken */
	free(why);
	blr_config_free(c);
}

typedef struct bad {
	const char *text;
	const char *want; /* the start of *why */
} bad;

static void test_config_errors(void **state)
{
	/* clang-format off */
	static const bad cases[] = {
		{"zone = x.test\n", "f:1: expected a [blocklist NAME] section"},
		{"[blocklist]\n", "f:1: expected a section [blocklist NAME]"},
		{"[blocklist a b]\n", "f:1: expected a provider NAME"},
		{"[other x]\n", "f:1: expected a section [blocklist NAME]"},
		{"[blocklist a]\nnonsense\n", "f:2: expected key = value"},
		{"[blocklist a]\ncolour = red\n", "f:2: unknown key \"colour\""},
		{"[blocklist a]\ntype = xml\n", "f:2: expected type = dnsbl-doh or json"},
		{"[blocklist a]\nzone = bad zone\n", "f:2: expected zone ="},
		{"[blocklist a]\nurl = \n", "f:2: expected url = https://"},
		{"[blocklist a]\nmethod = put\n", "f:2: expected method = get or post"},
		{"[blocklist a]\nrate = fast\n", "f:2: expected rate = N/s"},
		{"[blocklist a]\nrate = 0/s\n", "f:2: expected rate = N/s"},
		{"[blocklist a]\nttl = -1\n", "f:2: expected ttl = seconds"},
		{"[blocklist a]\ncodes = 10.0.0.2:x\n", "f:2: expected codes ="},
		{"[blocklist a]\ncodes = 127.0.0.2\n", "f:2: expected codes ="},
		{"[blocklist a]\nlisted-pointer = listed\n", "f:2: expected listed-pointer ="},
		{"[blocklist a]\nenabled = maybe\n", "f:2: expected enabled = yes or no"},
		{"[blocklist a]\nheader = no colon\n", "f:2: expected header = Name: value"},
		{"[blocklist a]\nkey-env = A B\n", "f:2: expected key-env ="},
		{"[blocklist a]\ntype = json\nurl = https://x.test/{key}/{ip}\n",
		 "f:3: expected the key in header"},
		{"[blocklist a]\nurl = https://x.test/q\n", "f:1: [blocklist a]: expected zone ="},
		{"[blocklist a]\nzone = x.test\n", "f:1: [blocklist a]: expected url ="},
		{"[blocklist a]\ntype = json\nurl = https://x.test/q\n",
		 "f:1: [blocklist a]: expected {ip} or {reversed_ip}"},
		{"[blocklist a]\nzone = x.test\nurl = https://x.test/q\n[blocklist a]\n",
		 "f:4: [blocklist a] is defined twice"},
		{"[blocklist a]\ntype = json\nurl = https://x.test/{ip}\nkey = k\nkey-env = K\n"
		 "header = X: {key}\n", "f:1: [blocklist a]: expected key = or key-env =, not both"},
		{"[blocklist a]\ntype = json\nurl = https://x.test/{ip}\nkey = " SECRET "\n",
		 "f:1: [blocklist a]: a key is set but no header"},
	};
	/* clang-format on */
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		blr_config *c = blr_config_new();
		char *why = NULL, *warn = NULL;
		assert_int_equal(
		    blr_config_parse(c, "f", cases[i].text, 0100644, fake_env, NULL, &warn, &why),
		    MXS_ERR_INVALID);
		if (!why || strncmp(why, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, why ? why : "(null)",
			         cases[i].want);
		assert_null(strstr(why, SECRET));
		assert_int_equal(blr_config_count(c), 0); /* unchanged on error */
		free(why);
		free(warn);
		blr_config_free(c);
	}
	/* lines through core/line's reader: a long one is named by its number,
	 * later lines keep theirs, a last line without newline and CRLF count */
	{
		size_t n = 3 * 4096;
		char *text = malloc(n + 128), *why = NULL;
		blr_config *c = blr_config_new();
		strcpy(text, "[blocklist a]\n# ");
		memset(text + strlen(text), 'x', n);
		strcpy(text + strlen("[blocklist a]\n# ") + n, "\nzone = bad zone\n");
		assert_int_equal(blr_config_parse(c, "f", text, 0, NULL, NULL, NULL, &why),
		                 MXS_ERR_INVALID);
		assert_string_equal(why, "f:2: expected a line of at most 4096 bytes");
		assert_int_equal(blr_config_parse(c, "f",
		                                  "[blocklist a]\r\nzone = x.test\r\n\r\n"
		                                  "url = https://x.test/q",
		                                  0, NULL, NULL, NULL, &why),
		                 MXS_OK);
		assert_string_equal(blr_config_find(c, "a")->url, "https://x.test/q");
		assert_int_equal(blr_config_find(c, "a")->url_line, 4);
		free(text);
		free(why);
		blr_config_free(c);
	}
}

/* A key in a file others can read: a warning, without the key. */
static void test_config_key_warning(void **state)
{
	static const char text[] = "[blocklist api]\ntype = json\n"
	                           "url = http://127.0.0.1:1/api/check/{ip}\n"
	                           "header = X-Api-Key: {key}\nkey = " SECRET "\nenabled = yes\n";
	blr_config *c;
	char *why = NULL, *warn = NULL;

	(void)state;
	c = blr_config_new();
	assert_int_equal(blr_config_parse(c, "cfg", text, 0100644, NULL, NULL, &warn, &why),
	                 MXS_OK);
	assert_non_null(warn);
	assert_non_null(strstr(warn, "chmod 600"));
	assert_non_null(strstr(warn, "every user"));
	assert_null(strstr(warn, SECRET));
	free(warn);
	warn = NULL;
	blr_config_free(c);

	c = blr_config_new();
	assert_int_equal(blr_config_parse(c, "cfg", text, 0100640, NULL, NULL, &warn, &why),
	                 MXS_OK);
	assert_non_null(strstr(warn, "its group"));
	free(warn);
	warn = NULL;
	blr_config_free(c);

	c = blr_config_new();
	assert_int_equal(blr_config_parse(c, "cfg", text, 0100600, NULL, NULL, &warn, &why),
	                 MXS_OK);
	assert_null(warn);
	blr_config_free(c);
}

/* key-env naming an unset variable is an error only for a provider in use. */
static void test_config_key_env_missing(void **state)
{
	static const char text[] = "[blocklist api]\ntype = json\n"
	                           "url = http://127.0.0.1:1/api/check/{ip}\n"
	                           "header = X-Api-Key: {key}\nkey-env = NOT_SET_ANYWHERE\n";
	blr_config *c = blr_config_new();
	char *why = NULL;

	(void)state;
	assert_int_equal(blr_config_parse(c, "cfg", text, 0, fake_env, NULL, NULL, &why), MXS_OK);
	assert_int_equal(blr_config_check(c, &why), MXS_OK);
	assert_int_equal(blr_config_add_spec(c, "api", &why), MXS_OK);
	assert_int_equal(blr_config_check(c, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "NOT_SET_ANYWHERE"));
	free(why);
	blr_config_free(c);
}

/* The forms blr_redact_text finds, each alone, and what it leaves. */
static void test_redaction_forms(void **state)
{
	typedef struct tcase {
		const char *secret, *text, *want;
	} tcase;
	/* clang-format off */
	static const tcase cases[] = {
		{"abcdefghij", "x abcdefghij y", "x [redacted] y"},
		{"abcdefghij", "x ABCDEFGHIJ y", "x [redacted] y"},          /* upper-cased */
		{"abcdefghij", "cut abcdefgh", "cut [redacted]"},             /* 8-byte prefix */
		{"abcdefghij", "cut abcdefg", "cut abcdefg"},                 /* 7: left */
		{"abcdefghij", "cdefghij end", "[redacted] end"},             /* 8-byte suffix */
		{"a\"b\\cdefgh", "k=a\\\"b\\\\cdefgh", "k=[redacted]"},      /* JSON-escaped */
		{"a\\\"bcdefgh", "k=a\"bcdefgh", "k=[redacted]"},             /* escaping makes it */
		{"abcdefghij", "YWJjZGVmZ2hpag==", "[redacted]=="},           /* base64 */
		{"abcdefghij", "dTphYmNkZWZnaGlq", "dTp[redacted]"},           /* base64("u:" key) */
		{"abcdefghij", "eDphYmNkZWZnaGlq", "eDp[redacted]"},
		{"abcdefghij", "YWJjZGVmZ2hpag", "[redacted]"},               /* base64url, no pad */
		{"abc", "abc ab abcabc", "[redacted] ab [redacted]"},         /* short: whole only */
		{"abcdefghij", "nothing here", "nothing here"},
	};
	/* clang-format on */
	char *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = strdup(cases[i].text);
		assert_int_equal(blr_redact_text(&s, cases[i].secret), MXS_OK);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, s, cases[i].want);
		free(s);
	}
	/* the one encoder, on RFC 4648 §10's vectors and the url alphabet */
	{
		static const char *const v[][2] = {{"", ""},
		                                   {"f", "Zg=="},
		                                   {"fo", "Zm8="},
		                                   {"foo", "Zm9v"},
		                                   {"foob", "Zm9vYg=="},
		                                   {"fooba", "Zm9vYmE="},
		                                   {"foobar", "Zm9vYmFy"}};
		char out[16];
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			assert_int_equal(
			    blr_base64((const uint8_t *)v[i][0], strlen(v[i][0]), false, out),
			    strlen(v[i][1]));
			assert_string_equal(out, v[i][1]);
		}
		assert_int_equal(blr_base64((const uint8_t *)"\xfb\xff", 2, true, out), 3);
		assert_string_equal(out, "-_8");
	}
	/* bytes with a NUL: each part scrubbed, the NUL kept */
	{
		size_t n = 15;
		s = malloc(n + 1);
		memcpy(s, "ab\0cabcdefghij.", n + 1); /* 15 bytes and the NUL */
		assert_int_equal(blr_redact_bytes(&s, &n, "abcdefghij"), MXS_OK);
		assert_int_equal(n, 15);
		assert_memory_equal(s, "ab\0c[redacted].", 16);
		free(s);
	}
	s = strdup("as is");
	assert_int_equal(blr_redact_text(&s, NULL), MXS_OK);
	assert_int_equal(blr_redact_text(&s, ""), MXS_OK);
	assert_string_equal(s, "as is");
	free(s);
	s = NULL;
	assert_int_equal(blr_redact_text(&s, "abcdefghij"), MXS_OK);
	assert_null(s);
}

/* Whatever text came back, no string from a result holds the key. */
static void test_redaction(void **state)
{
	blr_result *r = blr_result_new("api", BLR_JSON_API, "127.0.40.11"), *d;
	blr_provider p = {.name = "api",
	                  .kind = BLR_JSON_API,
	                  .listed_ptr = "/listed",
	                  .reason_ptr = "/reason",
	                  .key = SECRET};
	const char body[] =
	    "{\"listed\":true,\"reason\":\"you sent " SECRET " twice: " SECRET "\"}";
	char *line;
	json_t *j;
	char *dump;

	(void)state;
	assert_int_equal(blr_interpret_json(r, &p, body, strlen(body)), MXS_OK);
	assert_int_equal(r->state, BLR_LISTED);
	blr_result_fail(r, "server said: %s", SECRET);
	assert_int_equal(r->state, BLR_UNAVAILABLE);
	assert_int_equal(blr_result_redact(r, p.key), MXS_OK);
	assert_null(strstr(r->reason, SECRET));
	assert_null(strstr(r->error, SECRET));
	assert_string_equal(r->reason, "you sent [redacted] twice: [redacted]");
	d = blr_result_dup(r);
	line = blr_result_line(d);
	assert_null(strstr(line, SECRET));
	assert_non_null(strstr(line, "api: unavailable"));
	j = blr_result_json(d);
	dump = json_dumps(j, JSON_COMPACT);
	assert_null(strstr(dump, SECRET));
	assert_non_null(strstr(dump, "\"state\":\"unavailable\""));
	free(dump);
	json_decref(j);
	free(line);
	blr_result_free(d);
	blr_result_free(r);
}

static void test_result_line(void **state)
{
	blr_result *r = blr_result_new("lab", BLR_DNSBL_DOH, "127.0.40.2");
	blr_config *c = blr_config_new();
	uint32_t a[2];
	char *line, *why = NULL;

	(void)state;
	assert_int_equal(blr_config_parse(c, "t",
	                                  "[blocklist lab]\nzone = bl.lab.test\n"
	                                  "url = http://127.0.0.1:1/dns-query\n"
	                                  "codes = 127.0.0.2:spam source\n",
	                                  0, NULL, NULL, NULL, &why),
	                 MXS_OK);
	inet_pton(AF_INET, "127.0.0.2", &a[0]);
	inet_pton(AF_INET, "127.0.0.4", &a[1]);
	blr_interpret_a(r, blr_config_provider(c, 0), 0, a, 2);
	blr_result_set_reason(r, "see \x1b[31mhere\n", 14);
	line = blr_result_line(r);
	assert_string_equal(line,
	                    "lab: listed 127.0.0.2 (spam source), 127.0.0.4 \"see ?[31mhere?\"");
	free(line);
	blr_result_free(r);
	blr_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_names),
	    cmocka_unit_test(test_answer_rules),
	    cmocka_unit_test(test_json_pointer),
	    cmocka_unit_test(test_json_bodies),
	    cmocka_unit_test(test_config_good),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_config_key_warning),
	    cmocka_unit_test(test_config_key_env_missing),
	    cmocka_unit_test(test_redaction),
	    cmocka_unit_test(test_redaction_forms),
	    cmocka_unit_test(test_result_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
