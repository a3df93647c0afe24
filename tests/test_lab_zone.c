/* tests/test_lab_zone.c — the scenario parser: every record type and name
 * form, every error message (exact "origin:line:" prefix), that a failed
 * load leaves the world as it was, and that all built-in scenarios load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "lab.h"
#include "lab_internal.h"

#define HDR "$ORIGIN t.test.\n$SCENARIO t\n$TITLE T\n$DOMAIN t.test\n"

/* "a.b" -> wire, lower-case as the world stores it. */
static size_t wire(const char *text, uint8_t *out)
{
	size_t o = 0;

	while (*text) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);

		out[o++] = (uint8_t)l;
		memcpy(out + o, text, l);
		o += l;
		text += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

static const struct lab_node *node(const lab_world *w, const char *name)
{
	uint8_t n[256];
	size_t len = wire(name, n);

	return lab_world_node(w, n, len);
}

static const struct lab_rr *rr_at(const lab_world *w, const char *name, uint16_t type, int nth)
{
	const struct lab_node *n = node(w, name);

	if (!n)
		return NULL;
	for (const struct lab_rr *r = n->rrs; r; r = r->next)
		if (r->type == type && nth-- == 0)
			return r;
	return NULL;
}

static size_t count_rr(const lab_world *w, const char *name, uint16_t type)
{
	size_t k = 0;

	while (rr_at(w, name, type, (int)k))
		k++;
	return k;
}

static lab_world *load_ok(const char *text)
{
	lab_world *w = lab_world_new();
	char *why = NULL;
	mxs_status st;

	assert_non_null(w);
	st = lab_world_load_string(w, "ok.zone", text, &why);
	if (st != MXS_OK)
		fail_msg("load failed: %s", why ? why : "(no reason)");
	assert_null(why);
	return w;
}

/* ---- record types ---------------------------------------------------------- */

struct rd_case {
	const char *line;  /* appended to HDR */
	const char *owner; /* absolute, no final dot */
	uint16_t type;
	size_t len;
	const char *rdata;
	uint32_t ttl;
};

static const struct rd_case rd_cases[] = {
    {"a A 127.0.0.1", "a.t.test", LAB_T_A, 4, "\x7f\0\0\x01", 30},
    {"a AAAA ::1", "a.t.test", LAB_T_AAAA, 16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 30},
    {"@ MX 10 mx", "t.test", LAB_T_MX, 2 + 11, "\0\x0a\x02mx\x01t\x04test\0", 30},
    {"@ MX 0 .", "t.test", LAB_T_MX, 3, "\0\0\0", 30},
    {"@ MX 10 127.0.7.1.", "t.test", LAB_T_MX, 2 + 11,
     "\0\x0a\x03"
     "127\x01"
     "0\x01"
     "7\x01"
     "1\0",
     30},
    {"@ MX 20 Other.Example.", "t.test", LAB_T_MX, 2 + 15,
     "\0\x14\x05other\x07"
     "example\0",
     30},
    {"c CNAME real", "c.t.test", LAB_T_CNAME, 13, "\x04real\x01t\x04test\0", 30},
    {"t TXT \"hi there\" x", "t.t.test", LAB_T_TXT, 11, "\x08hi there\x01x", 30},
    {"t TXT \"a \\\"q\\\" \\065;b\"", "t.t.test", LAB_T_TXT, 10,
     "\x09"
     "a \"q\" A;b",
     30},
    {"t TXT \"\"", "t.t.test", LAB_T_TXT, 1, "\0", 30},
    {"_s._tcp SRV 0 1 587 mx", "_s._tcp.t.test", LAB_T_SRV, 6 + 11,
     "\0\0\0\x01\x02\x4b\x02mx\x01t\x04test\0", 30},
    {"@ NS ns.t.test.", "t.test", LAB_T_NS, 11, "\x02ns\x01t\x04test\0", 30},
    {"1.0.0.127.in-addr.arpa. PTR host", "1.0.0.127.in-addr.arpa", LAB_T_PTR, 13,
     "\x04host\x01t\x04test\0", 30},
    {"a 60 IN A 127.0.0.2", "a.t.test", LAB_T_A, 4, "\x7f\0\0\x02", 60},
    {"a IN 60 A 127.0.0.2", "a.t.test", LAB_T_A, 4, "\x7f\0\0\x02", 60},
    {"a 1h30m A 127.0.0.2", "a.t.test", LAB_T_A, 4, "\x7f\0\0\x02", 5400},
    {"A.B in a 127.0.0.3 ; a comment", "a.b.t.test", LAB_T_A, 4, "\x7f\0\0\x03", 30},
    {"x\\.y A 127.0.0.4", "x.y.t.test", 0, 0, NULL, 0}, /* checked below: escaped dot */
    {"\\065b A 127.0.0.5", "ab.t.test", LAB_T_A, 4, "\x7f\0\0\x05", 30},
    {"abs.other. A 127.0.0.6", "abs.other", LAB_T_A, 4, "\x7f\0\0\x06", 30},
};

static void test_record_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rd_cases) / sizeof(rd_cases[0]); i++) {
		const struct rd_case *c = &rd_cases[i];
		char text[1024];
		lab_world *w;
		const struct lab_rr *r;

		if (!c->rdata)
			continue;
		snprintf(text, sizeof(text), HDR "%s\n", c->line);
		w = load_ok(text);
		r = rr_at(w, c->owner, c->type, 0);
		if (!r)
			fail_msg("case %zu (%s): no record at %s", i, c->line, c->owner);
		if (r->rdlen != c->len)
			fail_msg("case %zu (%s): rdlen %u, want %zu", i, c->line, r->rdlen, c->len);
		if (memcmp(r->rdata, c->rdata, c->len) != 0)
			fail_msg("case %zu (%s): rdata differs", i, c->line);
		assert_int_equal(r->ttl, c->ttl);
		lab_world_free(w);
	}
}

static void test_escaped_dot_is_one_label(void **state)
{
	lab_world *w = load_ok(HDR "x\\.y A 127.0.0.4\n");
	uint8_t n[] = "\x03x.y\x01t\x04test";

	(void)state;
	assert_non_null(lab_world_node(w, n, sizeof(n))); /* sizeof counts the final zero */
	assert_null(node(w, "x.y.t.test"));
	lab_world_free(w);
}

static void test_ttl_origin_owner_parens(void **state)
{
	const char *text = HDR "$TTL 300\n"
	                       "@ MX 10 mx1 ; first\n"
	                       "  MX 20 mx2\n"
	                       "\tIN 7 MX 30 mx3\n"
	                       "mx1 A 127.0.0.1\n"
	                       "$ORIGIN sub.t.test.\n"
	                       "host A 127.0.0.2\n"
	                       "@ SOA ns hostmaster.t.test. (\n"
	                       "   42   ; serial\n"
	                       "   1h 10m ; refresh, retry\n"
	                       "   1w\n"
	                       "   60 )\n"
	                       "$TTL 5\n"
	                       "late A 127.0.0.3\n";
	lab_world *w = load_ok(text);
	const struct lab_rr *r;
	static const uint8_t soa_nums[] = {0, 0,    0, 42, 0,    0,    0x0e, 0x10, 0, 0,
	                                   2, 0x58, 0, 9,  0x3a, 0x80, 0,    0,    0, 60};

	(void)state;
	assert_int_equal(count_rr(w, "t.test", LAB_T_MX), 3);
	assert_int_equal(rr_at(w, "t.test", LAB_T_MX, 0)->ttl, 300);
	assert_int_equal(rr_at(w, "t.test", LAB_T_MX, 1)->ttl, 300);
	assert_int_equal(rr_at(w, "t.test", LAB_T_MX, 2)->ttl, 7);
	assert_non_null(rr_at(w, "host.sub.t.test", LAB_T_A, 0));
	assert_int_equal(rr_at(w, "late.sub.t.test", LAB_T_A, 0)->ttl, 5);
	r = rr_at(w, "sub.t.test", LAB_T_SOA, 0);
	assert_non_null(r);
	assert_int_equal(r->rdlen, 15 + 19 + 20);
	assert_memory_equal(r->rdata, "\x02ns\x03sub\x01t\x04test\0", 15);
	assert_memory_equal(r->rdata + 34, soa_nums, 20);
	/* the file has an SOA, so no automatic one at the first $ORIGIN */
	assert_null(rr_at(w, "t.test", LAB_T_SOA, 0));
	/* empty non-terminals exist as nodes without records */
	assert_non_null(node(w, "test"));
	assert_null(node(w, "test")->rrs);
	lab_world_free(w);
}

static void test_auto_soa_and_meta(void **state)
{
	const char *text = "; comment first\n"
	                   "\n"
	                   "$ORIGIN Meta.Test.\n"
	                   "$TTL 45\n"
	                   "$SCENARIO meta-1\n"
	                   "$TITLE  A title; with a semicolon  \n"
	                   "$DOMAIN @\n"
	                   "$DOMAIN sub\n"
	                   "$DOMAIN other.test.\n"
	                   "$AS relay\n"
	                   "$EXPLAIN first line\n"
	                   "$EXPLAIN\n"
	                   "$EXPLAIN third; line\n"
	                   "@ A 127.0.0.1\n";
	lab_world *w = load_ok(text);
	const struct lab_rr *soa;
	static const uint8_t nums[] = {0, 0,    0, 1, 0,    0,    0x0e, 0x10, 0, 0,
	                               2, 0x58, 0, 1, 0x51, 0x80, 0,    0,    0, 45};

	(void)state;
	assert_int_equal(lab_world_scenario_count(w), 1);
	assert_string_equal(lab_scenario_name(w, 0), "meta-1");
	assert_string_equal(lab_scenario_title(w, 0), "A title; with a semicolon");
	assert_string_equal(lab_scenario_explain(w, 0), "first line\n\nthird; line");
	assert_int_equal(lab_scenario_domain_count(w, 0), 3);
	assert_string_equal(lab_scenario_domain(w, 0, 0), "meta.test");
	assert_string_equal(lab_scenario_domain(w, 0, 1), "sub.meta.test");
	assert_string_equal(lab_scenario_domain(w, 0, 2), "other.test");
	assert_null(lab_scenario_domain(w, 0, 3));
	assert_string_equal(lab_scenario_as(w, 0), "relay.meta.test");
	assert_null(lab_scenario_name(w, 1));
	soa = rr_at(w, "meta.test", LAB_T_SOA, 0);
	assert_non_null(soa);
	assert_int_equal(soa->ttl, 45);
	assert_int_equal(soa->rdlen, 14 + 22 + 20);
	assert_memory_equal(soa->rdata, "\x02ns\x04meta\x04test\0\x0ahostmaster\x04meta\x04test\0",
	                    36);
	assert_memory_equal(soa->rdata + 36, nums, 20);
	lab_world_free(w);
}

static void test_no_explain_is_empty(void **state)
{
	lab_world *w = load_ok(HDR);

	(void)state;
	assert_string_equal(lab_scenario_explain(w, 0), "");
	assert_null(lab_scenario_as(w, 0));
	assert_non_null(rr_at(w, "t.test", LAB_T_SOA, 0)); /* automatic, TTL 30 */
	assert_int_equal(rr_at(w, "t.test", LAB_T_SOA, 0)->ttl, 30);
	lab_world_free(w);
}

/* ---- errors ---------------------------------------------------------------- */

struct err_case {
	const char *text;
	mxs_status st;
	const char *prefix;
	int extra; /* 1: long_line, 2: long_label, 3: long_name, 4: long_txt appended */
};

static char long_line[5000];
static char long_label[200];
static char long_name[400];
static char long_txt[400];

static const struct err_case err_cases[] = {
    {HDR "bad.t.test. A 127.0.0.1\na FOO 1\n", MXS_ERR_INVALID,
     "x.zone:6: unknown record type \"FOO\" (supported: A, AAAA, MX, CNAME, TXT, SRV, NS, SOA, "
     "PTR)",
     0},
    {HDR "bad.t.test. A 127.0.0.1\n@ MX ten mx\n", MXS_ERR_INVALID,
     "x.zone:6: expected a preference number (0-65535) after MX, got \"ten\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\n@ MX 65536 mx\n", MXS_ERR_INVALID,
     "x.zone:6: expected a preference number (0-65535) after MX, got \"65536\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\n@ MX 10\n", MXS_ERR_INVALID,
     "x.zone:6: expected a mail exchanger name (or \".\" for a null MX) after MX, got the end of "
     "the record",
     0},
    {HDR "bad.t.test. A 127.0.0.1\na A 1.2.3\n", MXS_ERR_INVALID,
     "x.zone:6: expected an IPv4 address after A, got \"1.2.3\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\na A ::1\n", MXS_ERR_INVALID,
     "x.zone:6: expected an IPv4 address after A, got \"::1\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\na AAAA 1::2::3\n", MXS_ERR_INVALID,
     "x.zone:6: expected an IPv6 address after AAAA, got \"1::2::3\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\n_s._tcp SRV 0 1 port mx\n", MXS_ERR_INVALID,
     "x.zone:6: expected a port number (0-65535) after SRV, got \"port\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\n@ SOA ns hm 1 2 3 4\n", MXS_ERR_INVALID,
     "x.zone:6: expected a minimum TTL in seconds after SOA, got the end of the record", 0},
    {HDR "bad.t.test. A 127.0.0.1\na A 127.0.0.1 127.0.0.2\n", MXS_ERR_INVALID,
     "x.zone:6: unexpected \"127.0.0.2\" after the A record data", 0},
    {HDR "bad.t.test. A 127.0.0.1\na CH A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:6: only class IN is supported, got \"CH\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\na 10x A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:6: expected a TTL (seconds, 0-2147483647), got \"10x\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\n$TTL soon\n", MXS_ERR_INVALID,
     "x.zone:6: expected a TTL (seconds, 0-2147483647) after $TTL, got \"soon\"", 0},
    {HDR "bad.t.test. A 127.0.0.1\na\n", MXS_ERR_INVALID, "x.zone:6: expected a record type", 0},
    {"$SCENARIO t\n$TITLE T\n$DOMAIN t.test.\nbad.t.test. A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:1: no SOA record and no $ORIGIN", 0},
    {"$SCENARIO t\n$TITLE T\n$DOMAIN t.test.\nrel A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:4: expected an owner name, got \"rel\" (a relative name (no final dot) before any "
     "$ORIGIN)",
     0},
    {"$ORIGIN t.test.\n$TITLE T\n$DOMAIN t\nbad A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:1: no $SCENARIO line", 0},
    {"$ORIGIN t.test.\n$SCENARIO t\n$DOMAIN t\nbad A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:1: no $TITLE line", 0},
    {"$ORIGIN t.test.\n$SCENARIO t\n$TITLE T\nbad A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:1: no $DOMAIN line", 0},
    {"$ORIGIN t.test.\n$SCENARIO keep\n$TITLE T\n$DOMAIN t\nbad A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:2: a scenario called \"keep\" is already loaded", 0},
    {"$ORIGIN t.test.\n$SCENARIO t\n$SCENARIO u\n", MXS_ERR_INVALID, "x.zone:3: a second $SCENARIO",
     0},
    {"$ORIGIN t.test.\n$SCENARIO Bad_Name\n", MXS_ERR_INVALID,
     "x.zone:2: expected a scenario name of lower-case letters, digits and '-'", 0},
    {HDR "bad A 127.0.0.1\n$INCLUDE other.zone\n", MXS_ERR_INVALID,
     "x.zone:6: unknown directive \"$INCLUDE\"", 0},
    {HDR "bad A 127.0.0.1\n$ORIGIN\n", MXS_ERR_INVALID,
     "x.zone:6: expected a value after $ORIGIN, got nothing", 0},
    {HDR "bad A 127.0.0.1\n$DOMAIN a b\n", MXS_ERR_INVALID,
     "x.zone:6: expected one value after $DOMAIN, got \"a b\"", 0},
    {HDR "bad A 127.0.0.1\n$TITLE again\n", MXS_ERR_INVALID, "x.zone:6: a second $TITLE", 0},
    {HDR "bad A 127.0.0.1\n$EXPLAIN bell\a\n", MXS_ERR_INVALID,
     "x.zone:6: a control character (byte 7) in the $EXPLAIN text", 0},
    {HDR "bad A 127.0.0.1\n", MXS_ERR_LIMIT, "x.zone:6: this line is longer than 4096 bytes", 1},
    {HDR "bad A 127.0.0.1\n", MXS_ERR_INVALID, "x.zone:6: expected an owner name, got \"aaaaaaaa",
     2},
    {HDR "bad A 127.0.0.1\n", MXS_ERR_INVALID, "x.zone:6: expected an owner name, got ", 3},
    {HDR "bad A 127.0.0.1\n", MXS_ERR_INVALID, "x.zone:6: a TXT string is longer than 255 bytes",
     4},
    {HDR "bad A 127.0.0.1\na..b A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:6: expected an owner name, got \"a..b\" (an empty label (two dots in a row?))", 0},
    {HDR "bad A 127.0.0.1\nt TXT \"abc\n", MXS_ERR_INVALID,
     "x.zone:6: unterminated quoted string (a '\"' is missing on this line)", 0},
    {HDR "bad A 127.0.0.1\n@ SOA ns hm (\n 1 2 3 4 5\nmore A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:6: unterminated parenthesis: the '(' on this line is never closed", 0},
    {HDR "bad A 127.0.0.1\na A 127.0.0.1 )\n", MXS_ERR_INVALID,
     "x.zone:6: a ')' without a '(' before it", 0},
    {HDR "bad A 127.0.0.1\nt TXT \"\\300\"\n", MXS_ERR_INVALID,
     "x.zone:6: a \\DDD escape above 255 in a TXT string", 0},
    {HDR "bad A 127.0.0.1\n A 127.0.0.2\n", MXS_OK, NULL, 0}, /* continuation of "bad": fine */
    {HDR " A 127.0.0.2\n", MXS_ERR_INVALID, "x.zone:5: this line starts with a blank", 0},
    {HDR "bad A 127.0.0.1\nc CNAME bad\nc A 127.0.0.1\n", MXS_ERR_INVALID,
     "x.zone:7: \"c.t.test\" already has a CNAME, so it can have no other record", 0},
    {HDR "bad A 127.0.0.1\nbad CNAME x\n", MXS_ERR_INVALID,
     "x.zone:6: \"bad.t.test\" already has other records, so it cannot be a CNAME", 0},
    {"$ORIGIN keep.test.\n$SCENARIO t\n$TITLE T\n$DOMAIN t.test.\nalias CNAME x\n", MXS_ERR_INVALID,
     "x.zone:5: \"alias.keep.test\" is a CNAME in one scenario and has other records in another",
     0},
};

static void test_errors(void **state)
{
	(void)state;
	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, "a TXT ", 6);
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, " A 127.0.0.1", 13);
	for (int i = 0; i < 5; i++) {
		memset(long_name + i * 61, 'b', 60);
		long_name[i * 61 + 60] = '.';
	}
	memcpy(long_name + 5 * 61, " A 127.0.0.1", 13);
	memset(long_txt, 'c', 300);
	memcpy(long_txt, "t TXT ", 6);

	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		lab_world *w = lab_world_new();
		char *why = NULL, *text = NULL;
		const char *extra = "";
		mxs_status st;

		assert_non_null(w);
		st = lab_world_load_string(
		    w, "keep.zone",
		    "$ORIGIN keep.test.\n$SCENARIO keep\n$TITLE Keep\n$DOMAIN keep.test.\n"
		    "alias A 127.0.0.9\n",
		    &why);
		assert_int_equal(st, MXS_OK);
		extra = c->extra == 1   ? long_line
		        : c->extra == 2 ? long_label
		        : c->extra == 3 ? long_name
		        : c->extra == 4 ? long_txt
		                        : "";
		assert_true(asprintf(&text, "%s%s", c->text, extra) > 0);
		st = lab_world_load_string(w, "x.zone", text, &why);
		if (st != c->st)
			fail_msg("case %zu: status %d, want %d (%s)", i, st, c->st,
			         why ? why : "-");
		if (c->prefix) {
			assert_non_null(why);
			if (strncmp(why, c->prefix, strlen(c->prefix)) != 0)
				fail_msg("case %zu:\n got: %s\nwant: %s...", i, why, c->prefix);
			/* unchanged: one scenario, nothing from the bad file */
			assert_int_equal(lab_world_scenario_count(w), 1);
			assert_null(node(w, "bad.t.test"));
			assert_null(node(w, "t.test"));
			assert_int_equal(count_rr(w, "alias.keep.test", LAB_T_A), 1);
			assert_int_equal(count_rr(w, "alias.keep.test", LAB_T_CNAME), 0);
		} else {
			assert_int_equal(lab_world_scenario_count(w), 2);
		}
		free(why);
		free(text);
		lab_world_free(w);
	}
}

static void test_long_name_message(void **state)
{
	lab_world *w = lab_world_new();
	char *why = NULL, text[1024];

	(void)state;
	/* 5 labels of 60 bytes plus the origin is over 255 */
	snprintf(text, sizeof(text), HDR "%s.%s.%s.%s.%s A 127.0.0.1\n",
	         "123456789012345678901234567890123456789012345678901234567890",
	         "123456789012345678901234567890123456789012345678901234567890",
	         "123456789012345678901234567890123456789012345678901234567890",
	         "123456789012345678901234567890123456789012345678901234567890",
	         "123456789012345678901234567890123456789012345678901234567890");
	assert_int_equal(lab_world_load_string(w, "x.zone", text, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "x.zone:5: expected an owner name"));
	assert_non_null(strstr(why, "longer than 255 bytes"));
	free(why);
	why = NULL;
	snprintf(text, sizeof(text), HDR "%s A 127.0.0.1\n",
	         "1234567890123456789012345678901234567890123456789012345678901234");
	assert_int_equal(lab_world_load_string(w, "x.zone", text, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "(a label longer than 63 bytes)"));
	free(why);
	lab_world_free(w);
}

static void test_limits(void **state)
{
	lab_world *w = lab_world_new();
	char *why = NULL, *big;
	size_t n = 0, cap = 2 * 1024 * 1024;

	(void)state;
	big = malloc(cap);
	assert_non_null(big);
	lab_world_set_limits(w, 1024 * 1024, 100000);
	/* over 1 MiB of text */
	memset(big, ' ', cap - 1);
	big[cap - 1] = '\0';
	assert_int_equal(lab_world_load_string(w, "big.zone", big, &why), MXS_ERR_LIMIT);
	assert_non_null(strstr(why, "big.zone: a scenario is at most"));
	free(why);
	why = NULL;

	/* 100,000 records in all: two files of 60,000 */
	for (int f = 0; f < 2; f++) {
		n = (size_t)sprintf(
		    big, "$ORIGIN l%d.test.\n$SCENARIO l%d\n$TITLE L\n$DOMAIN @\n@ A 127.0.0.1\n",
		    f, f);
		for (int i = 1; i < 60000; i++) {
			memcpy(big + n, " A 127.0.0.1\n", 13);
			n += 13;
		}
		big[n] = '\0';
		if (f == 0) {
			assert_int_equal(lab_world_load_string(w, "l0.zone", big, &why), MXS_OK);
		} else {
			assert_int_equal(lab_world_load_string(w, "l1.zone", big, &why),
			                 MXS_ERR_LIMIT);
			assert_non_null(strstr(why, "l1.zone:"));
			assert_non_null(strstr(why, "more than 100000 records"));
		}
	}
	assert_int_equal(lab_world_scenario_count(w), 1);
	free(why);
	free(big);
	lab_world_free(w);
}

static void test_big_zone(void **state)
{
	/* Like bench/: 10,000 domains, 5 records each, all in one apex. How
	 * long it takes is bench/'s business, not a unit test's. */
	size_t cap = 1024 * 1024, n;
	char *text = malloc(cap);
	lab_world *w = lab_world_new();
	char *why = NULL;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(text, "$ORIGIN b.test.\n$SCENARIO bench\n$TITLE B\n$DOMAIN d0\n");
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(
		    text + n, cap - n,
		    "d%d MX 10 a.d%d\n MX 20 b.d%d\na.d%d A 127.0.0.1\nb.d%d A 127.0.0.2\n", i, i,
		    i, i, i);
	assert_true(n < cap);
	assert_int_equal(lab_world_load_string(w, "bench.zone", text, &why), MXS_OK);
	assert_int_equal(count_rr(w, "d9999.b.test", LAB_T_MX), 2);
	free(text);
	lab_world_free(w);
}

static void test_files_and_several_scenarios(void **state)
{
	char path[] = "/tmp/test_lab_zone_XXXXXX";
	int fd = mkstemp(path);
	const char *text =
	    "$ORIGIN f.test.\n$SCENARIO from-file\n$TITLE F\n$DOMAIN @\n@ MX 10 mx\n";
	lab_world *w = lab_world_new();
	char *why = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_OK);
	assert_int_equal(lab_world_load_builtin_named(w, "single", &why), MXS_OK);
	assert_int_equal(lab_world_scenario_count(w), 2);
	assert_string_equal(lab_scenario_name(w, 0), "from-file");
	assert_string_equal(lab_scenario_name(w, 1), "single");
	/* same file again: the scenario name is taken */
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, ":2: a scenario called \"from-file\" is already loaded"));
	assert_int_equal(strncmp(why, path, strlen(path)), 0);
	assert_int_equal(count_rr(w, "f.test", LAB_T_MX), 1);
	unlink(path);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "No such file"));
	assert_int_equal(lab_world_load_builtin_named(w, "no-such", &why), MXS_ERR_INVALID);
	assert_string_equal(why, "no built-in scenario called \"no-such\"");
	assert_int_equal(lab_world_load_builtin_named(w, "single", &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "builtin:single:"));
	free(why);
	lab_world_free(w);
	lab_world_free(NULL);
}

/* A FIFO given as a scenario file blocked forever at open. It,
 * a directory and a device are refused at once, naming the path; a NUL byte
 * and an over-long line are refused naming the line. */
static void test_file_kinds(void **state)
{
	char dir[] = "/tmp/test_lab_zone_dir_XXXXXX", path[300];
	lab_world *w = lab_world_new();
	char *why = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.zone", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(strncmp(why, path, strlen(path)), 0);
	assert_null(strchr(why, '\n'));
	unlink(path);
	assert_int_equal(lab_world_load_file(w, dir, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(lab_world_load_file(w, "/dev/null", &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));

	snprintf(path, sizeof(path), "%s/nul.zone", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("$ORIGIN n.test.\n$SCENARIO n\n@ MX 1\0 mx\n", 1, 39, f);
	fclose(f);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, ":3: a NUL byte"));
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("$ORIGIN n.test.\n; ", f);
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_ERR_LIMIT);
	assert_non_null(strstr(why, ":2: this line is longer than 4096 bytes"));
	/* no final newline: the last line still counts */
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("$ORIGIN n.test.\n$SCENARIO n\n$TITLE N\n$DOMAIN @\n@ MX 1 mx", f);
	fclose(f);
	assert_int_equal(lab_world_load_file(w, path, &why), MXS_OK);
	assert_int_equal(count_rr(w, "n.test", LAB_T_MX), 1);
	unlink(path);
	rmdir(dir);
	assert_int_equal(lab_world_scenario_count(w), 1);
	free(why);
	lab_world_free(w);
}

static void test_builtins(void **state)
{
	lab_world *w = lab_world_new();
	char *why = NULL;

	(void)state;
	assert_int_equal(lab_builtin_count, 36);
	assert_int_equal(lab_world_load_builtin(w, &why), MXS_OK);
	assert_null(why);
	assert_int_equal(lab_world_scenario_count(w), 36);
	for (size_t i = 0; i < 36; i++) {
		const char *e = lab_scenario_explain(w, i);
		int lines = 1;

		assert_string_equal(lab_scenario_name(w, i), lab_builtins[i].name);
		assert_true(strlen(lab_scenario_title(w, i)) > 0);
		assert_true(lab_scenario_domain_count(w, i) >= 1);
		for (; *e; e++)
			lines += *e == '\n';
		if (lines < 2 || lines > 5)
			fail_msg("%s: %d explain lines", lab_scenario_name(w, i), lines);
	}
	/* spot checks that integration tests rely on */
	assert_int_equal(count_rr(w, "many.lab.test", LAB_T_MX), 40);
	assert_int_equal(count_rr(w, "equal.lab.test", LAB_T_MX), 4);
	assert_non_null(rr_at(w, "_submission._tcp.equal.lab.test", LAB_T_SRV, 0));
	assert_non_null(rr_at(w, "_pop3._tcp.srv.lab.test", LAB_T_SRV, 0));
	assert_int_equal(count_rr(w, "mx1.v6.lab.test", LAB_T_A), 0);
	assert_int_equal(count_rr(w, "mx1.v6.lab.test", LAB_T_AAAA), 1);
	assert_null(node(w, "gone.dangling.lab.test"));
	assert_null(node(w, "missing.nxdomain.lab.test"));
	assert_non_null(rr_at(w, "nxdomain.lab.test", LAB_T_NS, 0));
	assert_non_null(rr_at(w, "mail.cname.lab.test", LAB_T_CNAME, 0));
	for (size_t i = 0; i < 36; i++)
		if (strcmp(lab_scenario_name(w, i), "relay") == 0)
			assert_string_equal(lab_scenario_as(w, i), "backup1.relay.lab.test");
		else if (strcmp(lab_scenario_name(w, i), "nxdomain") == 0)
			assert_string_equal(lab_scenario_domain(w, i, 0),
			                    "missing.nxdomain.lab.test");
	/* a second time: every name is taken, and nothing changes */
	assert_int_equal(lab_world_load_builtin(w, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "is already loaded"));
	assert_int_equal(lab_world_scenario_count(w), 36);
	assert_int_equal(count_rr(w, "many.lab.test", LAB_T_MX), 40);
	free(why);
	lab_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_types),
	    cmocka_unit_test(test_escaped_dot_is_one_label),
	    cmocka_unit_test(test_ttl_origin_owner_parens),
	    cmocka_unit_test(test_auto_soa_and_meta),
	    cmocka_unit_test(test_no_explain_is_empty),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_long_name_message),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_big_zone),
	    cmocka_unit_test(test_files_and_several_scenarios),
	    cmocka_unit_test(test_file_kinds),
	    cmocka_unit_test(test_builtins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
