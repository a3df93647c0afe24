/* tests/test_core_rules.c — every MX rule and DNS finding of core/mx.c,
 * table-driven: a case is what DNS said, and what a sender must make of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mx.h"

typedef struct rec {
	uint16_t pref;
	const char *exchange;   /* "." = null MX; NULL ends the list */
	const char *addrs;      /* "4:192.0.2.1 6:2001:db8::1" (space separated) */
	mx_rcode a_rc, aaaa_rc; /* 0 = derived: OK when addresses, else NODATA */
	const char *cname;
} rec;

typedef struct rule_case {
	const char *what;
	mx_rcode mx_rc;
	rec recs[8];
	const char *implicit_addrs; /* for NODATA: the domain's own addresses, "" = none */
	mx_rcode implicit_rc;
	const char *as_host;
	int allow_loopback;
	/* expected */
	const char *findings; /* codes, space separated, in any order */
	const char *tiers;    /* "10:a,b 20:c" with hosts sorted by name */
	size_t attempts;
	const char *status;
	int null_mx, implicit_mx;
} rule_case;

#define D "example.test"

/* One case a line reads as a table. */
/* clang-format off */
static const rule_case cases[] = {
	{"nxdomain", MX_RC_NXDOMAIN, {{0}}, NULL, 0, NULL, 0, "nxdomain", "", 0, "error", 0, 0},
	{"servfail is temporary", MX_RC_SERVFAIL, {{0}}, NULL, 0, NULL, 0, "dns-temporary", "", 0, "error", 0, 0},
	{"timeout is temporary", MX_RC_TIMEOUT, {{0}}, NULL, 0, NULL, 0, "dns-temporary", "", 0, "error", 0, 0},
	{"implicit MX uses the domain's address", MX_RC_NODATA, {{0}}, "4:192.0.2.10 6:2001:db8::10", 0, NULL, 0,
	 "implicit-mx mx-non-public-address mx-non-public-address", "0:" D, 2, "warning", 0, 1},
	{"no MX and no address: no route", MX_RC_NODATA, {{0}}, "", 0, NULL, 0, "no-mail-route", "0:" D, 0, "error", 0, 1},
	{"no MX, address lookup failed: temporary", MX_RC_NODATA, {{0}}, "", MX_RC_SERVFAIL, NULL, 0, "dns-temporary", "0:" D, 0, "error", 0, 1},
	{"null MX accepts no mail and has no fallback", MX_RC_OK, {{0, ".", NULL, 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "null-mx", "", 0, "no mail", 1, 0},
	{"null MX mixed with MX", MX_RC_OK, {{0, ".", NULL, 0, 0, NULL}, {10, "mx1." D, "4:8.8.8.1", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "null-mx-mixed single-mx", "10:mx1." D, 1, "error", 0, 0},
	{"CNAME target", MX_RC_OK, {{10, "mail." D, "4:8.8.8.1", 0, 0, "real." D}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-cname backup-mx", "10:mail." D " 20:mx2." D, 2, "warning", 0, 0},
	{"address literal target", MX_RC_OK, {{10, "8.8.8.1", NULL, MX_RC_NXDOMAIN, MX_RC_NXDOMAIN, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-ip-literal backup-mx", "10:8.8.8.1 20:mx2." D, 1, "error", 0, 0},
	{"bracketed IPv6 literal", MX_RC_OK, {{10, "[IPv6:2001:4860::1]", NULL, MX_RC_NXDOMAIN, MX_RC_NXDOMAIN, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-ip-literal backup-mx", "10:[ipv6:2001:4860::1] 20:mx2." D, 1, "error", 0, 0},
	{"dangling target", MX_RC_OK, {{10, "gone." D, NULL, MX_RC_NXDOMAIN, MX_RC_NXDOMAIN, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-no-address backup-mx", "10:gone." D " 20:mx2." D, 1, "error", 0, 0},
	{"target lookup temporary failure", MX_RC_OK, {{10, "mx1." D, NULL, MX_RC_TIMEOUT, MX_RC_TIMEOUT, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "dns-temporary backup-mx", "10:mx1." D " 20:mx2." D, 1, "error", 0, 0},
	{"duplicate target counts once at its best preference", MX_RC_OK,
	 {{20, "mx1." D, "4:8.8.8.1", 0, 0, NULL}, {10, "MX1." D ".", "4:8.8.8.1", 0, 0, NULL}, {30, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-duplicate backup-mx", "10:mx1." D " 30:mx2." D, 2, "warning", 0, 0},
	{"private address", MX_RC_OK, {{10, "mx1." D, "4:10.1.2.3", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-non-public-address single-mx", "10:mx1." D, 1, "warning", 0, 0},
	{"loopback is non-public outside the lab", MX_RC_OK, {{10, "mx1." D, "4:127.0.0.5 6:::1", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-non-public-address mx-non-public-address single-mx", "10:mx1." D, 2, "warning", 0, 0},
	{"loopback is ordinary in the lab", MX_RC_OK, {{10, "mx1." D, "4:127.0.0.5 6:::1", 0, 0, NULL}}, NULL, 0, NULL, 1,
	 "single-mx", "10:mx1." D, 2, "ok", 0, 0},
	{"mapped and ULA addresses are non-public", MX_RC_OK, {{10, "mx1." D, "6:::ffff:192.168.1.1 6:fd00::1", 0, 0, NULL}}, NULL, 0, NULL, 1,
	 "mx-non-public-address mx-non-public-address single-mx", "10:mx1." D, 2, "warning", 0, 0},
	{"equal preference forms one tier", MX_RC_OK,
	 {{10, "c." D, "4:8.8.8.3", 0, 0, NULL}, {10, "a." D, "4:8.8.8.1", 0, 0, NULL}, {10, "b." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "", "10:a." D ",b." D ",c." D, 3, "ok", 0, 0},
	{"preference order and backups", MX_RC_OK,
	 {{30, "mx3." D, "4:8.8.8.3", 0, 0, NULL}, {10, "mx1." D, "4:8.8.8.1", 0, 0, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "backup-mx", "10:mx1." D " 20:mx2." D " 30:mx3." D, 3, "ok", 0, 0},
	{"no target has an address", MX_RC_OK,
	 {{10, "a." D, NULL, MX_RC_NODATA, MX_RC_NODATA, NULL}, {20, "b." D, NULL, MX_RC_NXDOMAIN, MX_RC_NXDOMAIN, NULL}}, NULL, 0, NULL, 0,
	 "mx-no-address mx-no-address no-mail-route", "10:a." D " 20:b." D, 0, "error", 0, 0},
	{"relay view drops own preference and worse", MX_RC_OK,
	 {{10, "p." D, "4:8.8.8.1", 0, 0, NULL}, {20, "b1." D, "4:8.8.8.2", 0, 0, NULL}, {20, "b2." D, "4:8.8.8.3", 0, 0, NULL}, {30, "b3." D, "4:8.8.8.4", 0, 0, NULL}}, NULL, 0, "B1." D, 0,
	 "backup-mx", "10:p." D, 1, "ok", 0, 0},
	{"relay view from the primary: deliver locally", MX_RC_OK,
	 {{10, "p." D, "4:8.8.8.1", 0, 0, NULL}, {20, "b1." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, "p." D, 0,
	 "as-most-preferred backup-mx", "", 0, "ok", 0, 0},
	{"escaped bytes in a target: no host name, not looked up", MX_RC_OK,
	 {{10, "\\027[2j.evil." D, NULL, MX_RC_NOT_ASKED, MX_RC_NOT_ASKED, NULL}, {20, "mx2." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, NULL, 0,
	 "mx-invalid-name backup-mx", "10:\\027[2j.evil." D " 20:mx2." D, 1, "error", 0, 0},
	{"every target invalid: no route", MX_RC_OK,
	 {{10, "a\\000b." D, NULL, MX_RC_NOT_ASKED, MX_RC_NOT_ASKED, NULL}, {20, "*." D, NULL, MX_RC_NOT_ASKED, MX_RC_NOT_ASKED, NULL}}, NULL, 0, NULL, 0,
	 "mx-invalid-name mx-invalid-name no-mail-route", "10:a\\000b." D " 20:*." D, 0, "error", 0, 0},
	{"relay view from a stranger changes nothing", MX_RC_OK,
	 {{10, "p." D, "4:8.8.8.1", 0, 0, NULL}, {20, "b1." D, "4:8.8.8.2", 0, 0, NULL}}, NULL, 0, "elsewhere.test", 0,
	 "as-not-mx backup-mx", "10:p." D " 20:b1." D, 2, "ok", 0, 0},
};
/* clang-format on */

static void add_addrs(mx_domain *d, size_t h, const char *spec)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		assert_int_equal(mx_host_add_addr(d, h, t[0] - '0', t + 2, 60), MXS_OK);
}

static mx_domain *build(const rule_case *c)
{
	mx_domain *d = mx_domain_new(D);

	assert_non_null(d);
	assert_int_equal(mx_domain_set_mx_rcode(d, c->mx_rc, NULL), MXS_OK);
	for (const rec *r = c->recs; r->exchange; r++) {
		size_t h;
		assert_int_equal(mx_domain_add_mx(d, r->pref, r->exchange, 300, &h), MXS_OK);
		if (r->addrs)
			add_addrs(d, h, r->addrs);
		mx_host_set_rcode(d, h, 4,
		                  r->a_rc ? r->a_rc : (r->addrs ? MX_RC_OK : MX_RC_NODATA));
		mx_host_set_rcode(d, h, 6, r->aaaa_rc ? r->aaaa_rc : MX_RC_NODATA);
		if (r->cname)
			mx_host_set_cname(d, h, r->cname);
	}
	if (c->implicit_addrs) {
		size_t h;
		assert_int_equal(mx_domain_add_implicit(d, &h), MXS_OK);
		add_addrs(d, h, c->implicit_addrs);
		mx_host_set_rcode(d, h, 4, c->implicit_rc ? c->implicit_rc : MX_RC_NODATA);
		mx_host_set_rcode(d, h, 6, c->implicit_rc ? c->implicit_rc : MX_RC_NODATA);
	}
	return d;
}

/* Findings as a sorted, space separated list, for comparing with the table. */
static void sorted_codes(const char *in, char *out, size_t cap)
{
	char buf[512], *save = NULL, *v[32];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", in);
	for (char *t = strtok_r(buf, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(out, v[i], cap - strlen(out) - 2);
		if (i + 1 < n)
			strcat(out, " ");
	}
}

static void tiers_string(const mx_domain *d, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t t = 0; t < mx_domain_tier_count(d); t++) {
		const mx_tier *tier = mx_domain_tier(d, t);
		const char *names[16];
		char one[64];
		assert_true(tier->nhosts <= 16);
		for (size_t k = 0; k < tier->nhosts; k++)
			names[k] = mx_domain_host(d, tier->hosts[k])->exchange;
		for (size_t i = 1; i < tier->nhosts; i++)
			for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
				const char *x = names[j];
				names[j] = names[j - 1];
				names[j - 1] = x;
			}
		snprintf(one, sizeof(one), "%s%u:", t ? " " : "", tier->preference);
		strncat(out, one, cap - strlen(out) - 1);
		for (size_t k = 0; k < tier->nhosts; k++) {
			strncat(out, names[k], cap - strlen(out) - 1);
			if (k + 1 < tier->nhosts)
				strncat(out, ",", cap - strlen(out) - 1);
		}
	}
}

static void test_rule_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const rule_case *c = &cases[i];
		mx_options o = {
		    .seed = 42, .as_host = c->as_host, .allow_loopback = c->allow_loopback};
		mx_domain *d = build(c);
		char got[512] = "", want[512], codes[512] = "", tiers[512];

		assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
		for (size_t f = 0; f < mx_domain_finding_count(d); f++) {
			const mx_finding *fd = mx_domain_finding(d, f);
			strcat(codes, fd->code);
			strcat(codes, " ");
			/* every message names its subject, every finding has a reference */
			if (!strstr(fd->message, fd->subject)) {
				print_error("case \"%s\": message \"%s\" does not name \"%s\"\n",
				            c->what, fd->message, fd->subject);
				fail();
			}
			assert_true(strncmp(fd->reference, "RFC ", 4) == 0);
			assert_int_equal(fd->severity, mx_finding_severity(fd->id));
		}
		sorted_codes(codes, got, sizeof(got));
		sorted_codes(c->findings, want, sizeof(want));
		if (strcmp(got, want) != 0) {
			print_error("case \"%s\": findings \"%s\", want \"%s\"\n", c->what, got,
			            want);
			fail();
		}
		tiers_string(d, tiers, sizeof(tiers));
		if (strcmp(tiers, c->tiers) != 0) {
			print_error("case \"%s\": tiers \"%s\", want \"%s\"\n", c->what, tiers,
			            c->tiers);
			fail();
		}
		if (mx_domain_attempt_count(d) != c->attempts) {
			print_error("case \"%s\": %zu attempts, want %zu\n", c->what,
			            mx_domain_attempt_count(d), c->attempts);
			fail();
		}
		assert_string_equal(mx_domain_status(d), c->status);
		assert_int_equal(mx_domain_null_mx(d), c->null_mx);
		assert_int_equal(mx_domain_implicit_mx(d), c->implicit_mx);
		mx_domain_free(d);
	}
}

/* The attempt order walks tiers most preferred first, and within a host
 * tries IPv6 before IPv4. */
static void test_attempt_order(void **state)
{
	mx_domain *d = mx_domain_new("Order.Test.");
	mx_options o = {.seed = 7};
	size_t h1, h2;

	(void)state;
	assert_string_equal(mx_domain_name(d), "order.test");
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	mx_domain_add_mx(d, 20, "b.order.test", 60, &h2);
	mx_domain_add_mx(d, 10, "a.order.test", 60, &h1);
	mx_host_add_addr(d, h1, 4, "8.8.4.1", 60);
	mx_host_add_addr(d, h1, 6, "2001:4860::1", 60);
	mx_host_add_addr(d, h1, 4, "8.8.4.2", 60);
	mx_host_add_addr(d, h2, 4, "8.8.4.3", 60);
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	assert_int_equal(mx_domain_attempt_count(d), 4);
	const char *want[] = {"2001:4860::1", "8.8.4.1", "8.8.4.2", "8.8.4.3"};
	for (size_t i = 0; i < 4; i++) {
		const mx_attempt *a = mx_domain_attempt(d, i);
		assert_string_equal(mx_domain_host(d, a->host)->addrs[a->addr].ip, want[i]);
	}
	assert_int_equal(mx_domain_seed(d), 7);
	mx_domain_free(d);
}

/* Analysing again with other options replaces the previous result. */
static void test_reanalyze(void **state)
{
	mx_domain *d = mx_domain_new("re.test");
	size_t h;
	mx_options relay = {.seed = 1, .as_host = "b.re.test"}, sender = {.seed = 1};

	(void)state;
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	mx_domain_add_mx(d, 10, "a.re.test", 60, &h);
	mx_host_add_addr(d, h, 4, "8.8.4.1", 60);
	mx_domain_add_mx(d, 20, "b.re.test", 60, &h);
	mx_host_add_addr(d, h, 4, "8.8.4.2", 60);
	assert_int_equal(mx_domain_analyze(d, &relay), MXS_OK);
	assert_int_equal(mx_domain_tier_count(d), 1);
	assert_string_equal(mx_domain_as_host(d), "b.re.test");
	assert_int_equal(mx_domain_analyze(d, &sender), MXS_OK);
	assert_int_equal(mx_domain_tier_count(d), 2);
	assert_null(mx_domain_as_host(d));
	mx_domain_free(d);
}

/* Every target that is not an RFC 1123 host name gets
 * mx-invalid-name, with the name (as the resolver wrote it) as subject,
 * and no mx-no-address: it was never looked up. */
static void test_invalid_targets(void **state)
{
	static const char *const bad[] = {
	    "\\027[2j.evil.test", "a\\000b.test",     "sp ace.test",      "*.wild.test",
	    "quo\"te.test",       "back\\slash.test", "under_score.test", "-lead.test",
	    "trail-.test",        "a..b.test",        "caf\xc3\xa9.test",
	};
	static const char *const good[] = {"mx1.example.test", "xn--caf-dma.test", "a-b.c0.test",
	                                   "8.8.8.8"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + sizeof(good) / sizeof(good[0]); i++) {
		bool is_bad = i < sizeof(bad) / sizeof(bad[0]);
		const char *name = is_bad ? bad[i] : good[i - sizeof(bad) / sizeof(bad[0])];
		mx_domain *d = mx_domain_new(D);
		mx_options o = {.seed = 1};
		size_t h, hits = 0;

		assert_int_equal(mx_domain_set_mx_rcode(d, MX_RC_OK, NULL), MXS_OK);
		assert_int_equal(mx_domain_add_mx(d, 10, name, 300, &h), MXS_OK);
		assert_int_equal(mx_domain_add_srv(d, "_imaps._tcp", 0, 0, 993, name, 60), MXS_OK);
		assert_int_equal(mx_domain_add_srv(d, "_pop3._tcp", 0, 0, 0, ".", 60), MXS_OK);
		assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
		for (size_t f = 0; f < mx_domain_finding_count(d); f++) {
			const mx_finding *fd = mx_domain_finding(d, f);
			if (fd->id == MX_F_MX_INVALID_NAME || fd->id == MX_F_SRV_INVALID_NAME) {
				hits++;
				assert_string_equal(fd->subject, mx_domain_host(d, h)->exchange);
				assert_non_null(strstr(fd->message, fd->subject));
			}
			if (is_bad)
				assert_int_not_equal(fd->id, MX_F_MX_NO_ADDRESS);
		}
		if (hits != (is_bad ? 2u : 0u)) {
			print_error("\"%s\": %zu invalid-name findings\n", name, hits);
			fail();
		}
		if (is_bad)
			assert_string_equal(mx_domain_status(d), "error");
		mx_domain_free(d);
	}
	assert_int_equal(mx_finding_severity(MX_F_MX_INVALID_NAME), MX_SEV_ERROR);
	assert_string_equal(mx_finding_reference(MX_F_MX_INVALID_NAME), "RFC 1123 §2.1");
	assert_int_equal(mx_finding_lookup("srv-invalid-name"), MX_F_SRV_INVALID_NAME);
}

static void test_catalogue(void **state)
{
	(void)state;
	assert_int_equal(mx_finding_lookup("mx-cname"), MX_F_MX_CNAME);
	assert_int_equal(mx_finding_lookup("no-such-code"), -1);
	for (int i = 0; i < MX_F_COUNT; i++) {
		assert_int_equal(mx_finding_lookup(mx_finding_code((mx_finding_id)i)), i);
		assert_true(strlen(mx_finding_summary((mx_finding_id)i)) > 10);
	}
	assert_true(mx_is_ip_literal("192.0.2.1."));
	assert_true(mx_is_ip_literal("[192.0.2.1]"));
	assert_false(mx_is_ip_literal("mx1.example.test"));
	assert_false(mx_is_ip_literal("1.2.3"));
	assert_true(mx_ip_is_non_public("100.64.1.1", false));
	assert_false(mx_ip_is_non_public("8.8.8.8", false));
	assert_false(mx_ip_is_non_public("2a00:1450::1", false));
	assert_true(mx_ip_is_non_public("fe80::1", true));
	assert_true(mx_ip_is_loopback("127.0.16.1"));
	assert_true(mx_ip_is_loopback("127.255.255.254"));
	assert_true(mx_ip_is_loopback("::1"));
	assert_true(mx_ip_is_loopback("0:0:0:0:0:0:0:1"));
	assert_false(mx_ip_is_loopback("128.0.0.1"));
	assert_false(mx_ip_is_loopback("::2"));
	assert_false(mx_ip_is_loopback("127.example"));
	assert_false(mx_ip_is_loopback("localhost"));
}

/* docs/findings.md is the one place that explains each code (the explorer
 * shows its section): every code of the catalogue has its row in the
 * contents table and its section, with the catalogue's severity and
 * reference. */
static void test_every_code_documented(void **state)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	char path[4096], want[512];
	FILE *f;
	char *doc;
	long n;

	(void)state;
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/docs/findings.md", src);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	doc = malloc((size_t)n + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	doc[n] = '\0';
	fclose(f);
	for (int i = 0; i < MX_F_COUNT; i++) {
		const char *code = mx_finding_code((mx_finding_id)i);
		const char *sev = mx_severity_str(mx_finding_severity((mx_finding_id)i));
		snprintf(want, sizeof(want), "\n## %s\n\nSeverity: %s \xc2\xb7 Reference: %s\n",
		         code, sev, mx_finding_reference((mx_finding_id)i));
		if (!strstr(doc, want)) {
			print_error("docs/findings.md lacks the section of %s: %s", code, want);
			fail();
		}
		snprintf(want, sizeof(want), "| [`%s`](#%s) | %s | %s |\n", code, code, sev,
		         mx_finding_summary((mx_finding_id)i));
		if (!strstr(doc, want)) {
			print_error("docs/findings.md lacks the contents row: %s", want);
			fail();
		}
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_table),      cmocka_unit_test(test_attempt_order),
	    cmocka_unit_test(test_reanalyze),       cmocka_unit_test(test_catalogue),
	    cmocka_unit_test(test_invalid_targets), cmocka_unit_test(test_every_code_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
