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

/* ---- control bytes in JSON ------------------------------- */

/* UTF-8 for one code point; returns its length. */
static size_t put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (char)(0xe0 | cp >> 12);
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* The code points a terminal acts on; the JSON text must hold none raw. */
static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f;
}

/* Fails when the raw text s holds a control code point (newline allowed
 * where allow_nl, as between report lines) or is not UTF-8. */
static void assert_no_raw_control(const char *s, int allow_nl)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n;
		if (p[0] < 0x80) {
			cp = p[0];
			n = 1;
		} else if ((p[0] & 0xe0) == 0xc0) {
			cp = p[0] & 0x1f;
			n = 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			cp = p[0] & 0x0f;
			n = 3;
		} else {
			assert_true((p[0] & 0xf8) == 0xf0);
			cp = p[0] & 0x07;
			n = 4;
		}
		for (size_t i = 1; i < n; i++) {
			assert_true((p[i] & 0xc0) == 0x80);
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (!(allow_nl && cp == '\n') && is_control(cp)) {
			print_error("raw U+%04X at offset %zu of: %s\n", (unsigned)cp,
			            (size_t)(p - (const unsigned char *)s), s);
			fail();
		}
		p += n;
	}
}

/* A domain whose every network-text field carries text (len bytes): the
 * greeting (also quoted by the smtp-tempfail finding's message), an EHLO
 * line, the transcript, a blocklist reason, and the MX lookup's detail. */
static mx_domain *carrying(const char *text, size_t len)
{
	mx_domain *d = mx_domain_new("ctl.test");
	mx_options o = {.seed = 1, .allow_loopback = true};
	probe_result *r = probe_result_new("mx.ctl.test", "127.0.0.1", 25);
	blr_result *b = blr_result_new("zen.test", BLR_DNSBL_DOH, "127.0.0.1");
	char *why = malloc(len + 1);
	size_t h;

	assert_non_null(d);
	assert_non_null(r);
	assert_non_null(b);
	assert_non_null(why);
	/* the MX detail is a C string: the text up to a NUL */
	memcpy(why, text, len);
	why[len] = '\0';
	assert_int_equal(mx_domain_set_mx_rcode(d, MX_RC_OK, why), MXS_OK);
	free(why);
	assert_int_equal(mx_domain_add_mx(d, 10, "mx.ctl.test", 60, &h), MXS_OK);
	assert_int_equal(mx_host_add_addr(d, h, 4, "127.0.0.1", 60), MXS_OK);
	r->state = PROBE_TEMPFAIL;
	r->code = 421;
	assert_int_equal(probe_greeting_add(r, text, len), MXS_OK);
	assert_int_equal(probe_ehlo_add(r, text, len), MXS_OK);
	assert_int_equal(probe_transcript_add(r, 'S', text, len), MXS_OK);
	assert_int_equal(mx_host_set_probe(d, h, 0, r), MXS_OK);
	b->state = BLR_LISTED;
	assert_int_equal(blr_result_set_reason(b, text, len), MXS_OK);
	assert_int_equal(mx_host_add_blocklist(d, h, 0, b), MXS_OK);
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	return d;
}

static const json_t *probe_of(const json_t *j)
{
	const json_t *a = json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "mx"), 0), "addresses"), 0);
	return json_object_get(a, "probe");
}

/* Every C1 control, DEL and bidi control, in every field: escaped as
 * \uXXXX in the JSON text, and decoding gives the characters back. */
static void test_json_escapes_every_control(void **state)
{
	uint32_t cps[64];
	size_t ncp = 0;

	(void)state;
	cps[ncp++] = 0x7f;
	for (uint32_t c = 0x80; c <= 0x9f; c++)
		cps[ncp++] = c;
	for (uint32_t c = 0x202a; c <= 0x202e; c++)
		cps[ncp++] = c;
	for (uint32_t c = 0x2066; c <= 0x2069; c++)
		cps[ncp++] = c;
	cps[ncp++] = 0x200e;
	cps[ncp++] = 0x200f;
	for (size_t i = 0; i < ncp; i++) {
		char text[16], esc[8], *s;
		size_t n = 0;
		json_error_t err;
		json_t *j;
		const json_t *p, *f;
		text[n++] = 'a';
		n += put_utf8(cps[i], text + n);
		text[n++] = 'b';
		text[n] = '\0';
		snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cps[i]);

		mx_domain *d = carrying(text, n);
		s = mx_report_json(d);
		assert_non_null(s);
		assert_no_raw_control(s, 0);
		assert_non_null(strstr(s, esc));
		j = json_loads(s, 0, &err);
		assert_non_null(j);
		p = probe_of(j);
		assert_string_equal(json_string_value(json_object_get(p, "greeting")), text);
		assert_string_equal(
		    json_string_value(json_array_get(json_object_get(p, "ehlo"), 0)), text);
		assert_non_null(strstr(json_string_value(json_object_get(p, "transcript")), text));
		assert_string_equal(json_string_value(json_object_get(j, "mx_error")), text);
		f = json_array_get(
		    json_object_get(json_array_get(json_object_get(j, "mx"), 0), "addresses"), 0);
		/* net's reason cleaner turns DEL into '?' before any of this */
		assert_string_equal(
		    json_string_value(json_object_get(
		        json_array_get(json_object_get(f, "blocklists"), 0), "reason")),
		    cps[i] == 0x7f ? "a?b" : text);
		/* the smtp-tempfail message quotes the greeting, and escapes too */
		for (size_t k = 0; k < json_array_size(json_object_get(j, "findings")); k++) {
			f = json_array_get(json_object_get(j, "findings"), k);
			if (strcmp(json_string_value(json_object_get(f, "code")), "smtp-tempfail"))
				continue;
			assert_non_null(
			    strstr(json_string_value(json_object_get(f, "message")), text));
		}
		json_decref(j);
		free(s);
		/* and the text report shows them as visible escapes */
		s = mx_report_text(d, NULL);
		assert_non_null(s);
		assert_no_raw_control(s, 1);
		free(s);
		mx_domain_free(d);
	}
}

/* A server's NUL is shown as a NUL: \u0000 in JSON, \0 in text; never as
 * DEL (0x7f), which a server may send too and is another byte. */
static void test_nul_shown_as_nul(void **state)
{
	static const char text[] = "mx\0ready\x7f";
	mx_domain *d = carrying(text, sizeof(text) - 1);
	char *s = mx_report_json(d), *t = mx_report_text(d, NULL);
	json_error_t err;
	json_t *j;
	const json_t *p, *g;

	(void)state;
	assert_non_null(s);
	assert_non_null(t);
	assert_non_null(strstr(s, "\"greeting\":\"mx\\u0000ready\\u007f\""));
	assert_non_null(strstr(s, "\"ehlo\":[\"mx\\u0000ready\\u007f\"]"));
	assert_non_null(strstr(s, "S: mx\\u0000ready\\u007f\\n"));
	j = json_loads(s, JSON_ALLOW_NUL, &err);
	assert_non_null(j);
	p = probe_of(j);
	g = json_object_get(p, "greeting");
	assert_int_equal(json_string_length(g), sizeof(text) - 1);
	assert_memory_equal(json_string_value(g), text, sizeof(text) - 1);
	/* text: the greeting line and the finding's quote */
	assert_non_null(strstr(t, "\"mx\\0ready\\x7f\""));
	assert_non_null(strstr(t, "greets with \"mx\\0ready\\x7f\""));
	assert_no_raw_control(t, 1);
	json_decref(j);
	free(s);
	free(t);
	mx_domain_free(d);
}

/* A small deterministic generator (xorshift64*): the same bytes every run. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Bytes a hostile server could send, biased towards the dangerous ones:
 * C0, DEL, NUL, C1 and bidi sequences, broken UTF-8, and plain text. */
static size_t hostile_bytes(uint64_t *seed, char *o, size_t cap)
{
	static const char *const pieces[] = {
	    "\x1b[2J",
	    "\xc2\x9b",
	    "\xc2\x9d"
	    "0;t\xc2\x9c",
	    "\xe2\x80\xae",
	    "\xe2\x81\xa6",
	    "\xe2\x80\x8f",
	    "\x7f",
	    "\xc2",
	    "\xe2\x80",
	    "\xff",
	    "\xc0\x80",
	    "\xed\xa0\x80",
	    "\xf4\x90\x80\x80",
	    "caf\xc3\xa9",
	    "\xf0\x9f\x93\xa7",
	    "\"\\",
	    "\r\n",
	    "\t",
	};
	size_t n = 0, parts = next_rand(seed) % 12;

	for (size_t i = 0; i < parts; i++) {
		uint64_t r = next_rand(seed);
		if (r % 3 == 0) {
			/* any single byte at all */
			if (n < cap)
				o[n++] = (char)(r >> 8);
		} else {
			const char *pc = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = strlen(pc);
			if (r % 7 == 1)
				l = 1; /* the NUL-started piece: a lone NUL */
			if (n + l <= cap) {
				memcpy(o + n, r % 7 == 1 ? "" : pc, l);
				n += l;
			}
		}
	}
	return n;
}

/* The property: whatever bytes a server sends, the JSON text holds no raw
 * control character, parses, and a field that was UTF-8 decodes to exactly
 * what was sent (the escapes are lossless); the text report holds no raw
 * control either. */
static void test_json_property_hostile_bytes(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		char text[128];
		size_t n = hostile_bytes(&seed, text, sizeof(text));
		mx_domain *d = carrying(text, n);
		char *s = mx_report_json(d), *t = mx_report_text(d, NULL);
		json_error_t err;
		json_t *j, *g, *probe_g;

		assert_non_null(s);
		assert_non_null(t);
		assert_no_raw_control(s, 0);
		assert_no_raw_control(t, 1);
		j = json_loads(s, JSON_ALLOW_NUL, &err);
		if (!j) {
			print_error("round %d: %s in %s\n", round, err.text, s);
			fail();
		}
		probe_g = (json_t *)json_object_get(probe_of(j), "greeting");
		g = json_stringn(text, n); /* non-NULL exactly when text is UTF-8 */
		if (g) {
			assert_int_equal(json_string_length(probe_g), n);
			assert_memory_equal(json_string_value(probe_g), text, n);
		} else {
			/* not UTF-8: shown sanitised, and never a raw control */
			char *san = mx_sanitize_n(text, n);
			assert_string_equal(json_string_value(probe_g), san);
			free(san);
		}
		json_decref(g);
		json_decref(j);
		free(s);
		free(t);
		mx_domain_free(d);
	}
}

/* mx_json_dump is the writer for any document, keys included. */
static void test_json_dump_any(void **state)
{
	json_t *o = json_object();
	char *s;

	(void)state;
	json_object_set_new(o, "k\xc2\x85",
	                    json_string("\xe2\x80\xae"
	                                "x"));
	json_object_set_new(o, "n", json_integer(7));
	s = mx_json_dump(o);
	assert_string_equal(s, "{\"k\\u0085\":\"\\u202ex\",\"n\":7}");
	free(s);
	json_decref(o);
	o = json_string("\x7f");
	s = mx_json_dump(o); /* a bare string too (JSON_ENCODE_ANY) */
	assert_string_equal(s, "\"\\u007f\"");
	free(s);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_text_report),
	    cmocka_unit_test(test_srv_absent_and_bounded),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_json_escapes_every_control),
	    cmocka_unit_test(test_nul_shown_as_nul),
	    cmocka_unit_test(test_json_property_hostile_bytes),
	    cmocka_unit_test(test_json_dump_any),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
