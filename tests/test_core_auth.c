/* tests/test_core_auth.c — core/mx_auth.c's findings, table-driven: the
 * authoritative servers compared (serial arithmetic, MX sets, lame ones,
 * the resolver's cache), reverse DNS, the IPv4/IPv6 comparison of probes,
 * the egress-blocked reading, and the report pieces (JSON and text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mx.h"
#include "mx_auth.h"
#include "report.h"

static size_t count(const mx_domain *d, const char *code, const char *subject)
{
	size_t n = 0;

	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		n += strcmp(f->code, code) == 0 && (!subject || strcmp(f->subject, subject) == 0);
	}
	return n;
}

static const mx_finding *find(const mx_domain *d, const char *code)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++)
		if (strcmp(mx_domain_finding(d, i)->code, code) == 0)
			return mx_domain_finding(d, i);
	return NULL;
}

/* ---- authoritative ---------------------------------------------------- */

typedef struct srv_row {
	const char *ns, *ip;
	mx_rcode rc;
	bool aa, has_serial;
	uint32_t serial;
	const char *mx; /* one "PREF HOST" or NULL */
} srv_row;

typedef struct auth_case {
	const char *what;
	srv_row srv[3];
	const char *resolver_mx; /* NULL: the resolver failed */
	const char *mismatch;    /* subjects of authoritative-mismatch, space separated */
	const char *lame;        /* subjects of authoritative-lame */
} auth_case;

/* clang-format off */
static const auth_case auth_cases[] = {
	{"all agree",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, true, true, 5, "10 mx.t"},
	  {"ns2.t", "127.0.0.2", MX_RC_OK, true, true, 5, "10 mx.t"}},
	 "10 mx.t", "", ""},
	{"stale secondary",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, true, true, 6, "10 new.t"},
	  {"ns2.t", "127.0.0.2", MX_RC_OK, true, true, 5, "10 old.t"}},
	 "10 new.t", "127.0.0.2", ""},
	{"serial wrapped (RFC 1982): 1 is newer than 4294967295",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, true, true, 4294967295u, "10 old.t"},
	  {"ns2.t", "127.0.0.2", MX_RC_OK, true, true, 1, "10 new.t"}},
	 "10 new.t", "127.0.0.1", ""},
	{"same serial, other MX",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, true, true, 5, "10 a.t"},
	  {"ns2.t", "127.0.0.2", MX_RC_OK, true, true, 5, "10 b.t"}},
	 "10 a.t", "127.0.0.2", ""},
	{"lame ones are never the reference",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, false, true, 9, "10 cached.t"},
	  {"ns2.t", "127.0.0.2", MX_RC_REFUSED, false, false, 0, NULL},
	  {"ns3.t", "127.0.0.3", MX_RC_TIMEOUT, false, false, 0, NULL}},
	 NULL, "", "127.0.0.1 127.0.0.2 127.0.0.3"},
	{"the resolver still has the old MX",
	 {{"ns1.t", "127.0.0.1", MX_RC_OK, true, true, 6, "10 new.t"}},
	 "10 old.t", "resolver", ""},
};
/* clang-format on */

static void subjects(const mx_domain *d, const char *code, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, code) == 0)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? " " : "",
			         f->subject);
	}
}

static mx_domain *with_auth(const auth_case *c)
{
	mx_domain *d = mx_domain_new("t");
	mx_auth *a = mx_auth_new("t");
	size_t idx;

	assert_non_null(d);
	assert_non_null(a);
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	assert_int_equal(mx_domain_add_mx(d, 10, "mx.t", 60, &idx), MXS_OK);
	mx_host_add_addr(d, idx, 4, "127.0.9.1", 60);
	for (size_t i = 0; i < 3 && c->srv[i].ns; i++) {
		mx_auth_server *s;
		unsigned pref;
		char host[64];
		assert_int_equal(mx_auth_add_server(a, c->srv[i].ns, c->srv[i].ip, &s), MXS_OK);
		s->rc = c->srv[i].rc;
		s->aa = c->srv[i].aa;
		s->has_serial = c->srv[i].has_serial;
		s->serial = c->srv[i].serial;
		s->mx_rc = c->srv[i].mx ? MX_RC_OK : MX_RC_ERROR;
		if (c->srv[i].mx && sscanf(c->srv[i].mx, "%u %63s", &pref, host) == 2)
			assert_int_equal(mx_auth_add_mx(&s->mx, &s->nmx, pref, host), MXS_OK);
	}
	a->resolver_rc = c->resolver_mx ? MX_RC_OK : MX_RC_SERVFAIL;
	a->resolver_ttl = 123;
	if (c->resolver_mx) {
		unsigned pref;
		char host[64];
		assert_int_equal(sscanf(c->resolver_mx, "%u %63s", &pref, host), 2);
		assert_int_equal(mx_auth_add_mx(&a->resolver_mx, &a->nresolver_mx, pref, host),
		                 MXS_OK);
	}
	mx_domain_set_auth(d, a);
	return d;
}

static void test_authoritative(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
		const auth_case *c = &auth_cases[i];
		mx_domain *d = with_auth(c);
		char got[256];

		assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
		subjects(d, "authoritative-mismatch", got, sizeof(got));
		if (strcmp(got, c->mismatch)) {
			print_error("%s: mismatch \"%s\", want \"%s\"\n", c->what, got,
			            c->mismatch);
			fail();
		}
		subjects(d, "authoritative-lame", got, sizeof(got));
		if (strcmp(got, c->lame)) {
			print_error("%s: lame \"%s\", want \"%s\"\n", c->what, got, c->lame);
			fail();
		}
		mx_domain_free(d);
	}
}

static void test_authoritative_messages(void **state)
{
	mx_domain *d = with_auth(&auth_cases[1]);
	const mx_finding *f;
	json_t *j, *a;
	char *text, *out;

	(void)state;
	assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
	f = find(d, "authoritative-mismatch");
	assert_non_null(strstr(f->message, "ns2.t (127.0.0.2) serves serial 5 with MX 10 old.t"));
	assert_non_null(strstr(f->message, "ns1.t (127.0.0.1) serves serial 6"));
	/* JSON: one entry per address, as DESIGN.md says */
	out = mx_report_json(d);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	a = json_object_get(j, "authoritative");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "ip")),
	                    "127.0.0.2");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 1), "serial")), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "rcode")),
	                    "NOERROR");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_array_get(a, 1), "mx"), 0)),
	    "10 old.t");
	json_decref(j);
	free(out);
	text = mx_report_text(d, NULL);
	assert_non_null(strstr(text, "Authoritative servers of t"));
	assert_non_null(strstr(text, "mail will follow a new MX in at most 123 s"));
	free(text);
	mx_domain_free(d);

	/* the resolver line of the finding carries the TTL */
	d = with_auth(&auth_cases[5]);
	assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
	assert_non_null(strstr(find(d, "authoritative-mismatch")->message, "in at most 123 s"));
	mx_domain_free(d);
}

/* A hostile answer cannot grow the model without bound. */
static void test_bounds(void **state)
{
	mx_auth *a = mx_auth_new("t");
	mx_ptr *p = mx_ptr_new();
	char **mx = NULL;
	size_t n = 0;
	char name[32];

	(void)state;
	for (int i = 0; i < MX_AUTH_NS_MAX; i++)
		assert_int_equal(mx_auth_add_server(a, "ns.t", "127.0.0.1", NULL), MXS_OK);
	assert_int_equal(mx_auth_add_server(a, "ns.t", "127.0.0.1", NULL), MXS_ERR_LIMIT);
	for (int i = 0; i < MX_AUTH_MX_MAX; i++)
		assert_int_equal(mx_auth_add_mx(&mx, &n, (unsigned)i, "mx.t"), MXS_OK);
	assert_int_equal(mx_auth_add_mx(&mx, &n, 1, "mx.t"), MXS_ERR_LIMIT);
	for (int i = 0; i < MX_PTR_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "n%d.t.", i);
		assert_int_equal(mx_ptr_add_name(p, name), MXS_OK);
	}
	assert_int_equal(mx_ptr_add_name(p, "x.t"), MXS_ERR_LIMIT);
	assert_string_equal(p->names[0], "n0.t"); /* the final dot goes */
	for (size_t i = 0; i < n; i++)
		free(mx[i]);
	free(mx);
	mx_ptr_free(p);
	mx_auth_free(a);
}

/* ---- reverse DNS ---------------------------------------------------------- */

static void test_ptr(void **state)
{
	static const struct {
		mx_rcode rc;
		const char *name; /* NULL: none */
		bool confirmed;
		const char *finding; /* NULL: none */
	} rows[] = {
	    {MX_RC_OK, "mx.t", true, NULL},
	    {MX_RC_NXDOMAIN, NULL, false, "ptr-missing"},
	    {MX_RC_NODATA, NULL, false, "ptr-missing"},
	    {MX_RC_OK, "elsewhere.t", false, "ptr-not-forward-confirmed"},
	    {MX_RC_TIMEOUT, NULL, false, NULL}, /* temporary: says nothing */
	    {MX_RC_SERVFAIL, NULL, false, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mx_domain *d = mx_domain_new("t");
		mx_ptr *p = mx_ptr_new();
		size_t idx;

		mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
		mx_domain_add_mx(d, 10, "mx.t", 60, &idx);
		mx_host_add_addr(d, idx, 4, "127.0.9.1", 60);
		p->rc = rows[i].rc;
		if (rows[i].name)
			mx_ptr_add_name(p, rows[i].name);
		p->forward_confirmed = rows[i].confirmed;
		assert_int_equal(mx_host_set_ptr(d, idx, 0, p), MXS_OK);
		assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
		assert_int_equal(count(d, "ptr-missing", NULL) +
		                     count(d, "ptr-not-forward-confirmed", NULL),
		                 rows[i].finding ? 1 : 0);
		if (rows[i].finding)
			assert_int_equal(count(d, rows[i].finding, "127.0.9.1"), 1);
		mx_domain_free(d);
	}
}

/* ---- families and egress --------------------------------------------------- */

static mx_domain *probed(const char *v6_state, const char *v4_state)
{
	mx_domain *d = mx_domain_new("t");
	size_t idx;
	const char *states[2] = {v6_state, v4_state};

	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	mx_domain_add_mx(d, 10, "mx.t", 60, &idx);
	mx_host_add_addr(d, idx, 6, "::1", 60);
	mx_host_add_addr(d, idx, 4, "127.0.9.1", 60);
	for (size_t k = 0; k < 2; k++) {
		probe_result *r;
		if (!states[k])
			continue;
		r = probe_result_new("mx.t", mx_domain_host(d, idx)->addrs[k].ip, 25);
		for (int s = 0; s < PROBE_STATE_COUNT; s++)
			if (strcmp(probe_state_word((probe_state)s), states[k]) == 0)
				r->state = (probe_state)s;
		if (r->state == PROBE_ACCEPTED)
			r->code = 220;
		mx_host_set_probe(d, idx, k, r);
	}
	return d;
}

static void test_families(void **state)
{
	static const struct {
		const char *v6, *v4, *want;
	} rows[] = {
	    {"refused", "accepted", "ipv6-unreachable"},
	    {"connect-timeout", "accepted", "ipv6-unreachable"},
	    {"accepted", "refused", "ipv4-unreachable"},
	    {"unreachable", "accepted", NULL}, /* no route from here: not the host's fault */
	    {"refused", "refused", NULL},      /* both down: the host, not a family */
	    {"accepted", "accepted", NULL},
	    {NULL, "accepted", NULL},               /* IPv6 not probed */
	    {"greeting-timeout", "accepted", NULL}, /* it connected: IPv6 routes */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mx_domain *d = probed(rows[i].v6, rows[i].v4);
		assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
		assert_int_equal(count(d, "ipv6-unreachable", NULL) +
		                     count(d, "ipv4-unreachable", NULL),
		                 rows[i].want ? 1 : 0);
		if (rows[i].want)
			assert_int_equal(count(d, rows[i].want, "mx.t"), 1);
		mx_domain_free(d);
	}
}

static void test_egress(void **state)
{
	mx_options o = {.egress_blocked = true};
	mx_domain *d = probed("connect-timeout", "connect-timeout");

	(void)state;
	/* as usual: each address and the domain are blamed */
	assert_int_equal(mx_domain_analyze(d, NULL), MXS_OK);
	assert_int_equal(count(d, "smtp-unreachable", NULL), 2);
	assert_int_equal(count(d, "no-accepting-mx", NULL), 1);
	assert_int_equal(count(d, "egress-blocked", NULL), 0);
	assert_string_equal(mx_domain_status(d), "error");
	/* from a network that blocks port 25: one egress-blocked, no blame */
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	assert_int_equal(count(d, "smtp-unreachable", NULL), 0);
	assert_int_equal(count(d, "no-accepting-mx", NULL), 0);
	assert_int_equal(count(d, "egress-blocked", "t"), 1);
	assert_string_equal(mx_domain_status(d), "warning");
	mx_domain_free(d);
	/* a refusal is an answer: it is still reported */
	d = probed("refused", "connect-timeout");
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	assert_int_equal(count(d, "smtp-unreachable", "::1"), 1);
	assert_int_equal(count(d, "smtp-unreachable", "127.0.9.1"), 0);
	mx_domain_free(d);
}

/* The one egress rule check and the explorer share (mx_egress_blocked),
 * and what counts as a domain that only timed out. */
static void test_egress_rule(void **state)
{
	static const struct {
		size_t domains, addresses;
		unsigned long answered;
		bool blocked;
	} rows[] = {
	    {2, 2, 0, true},  /* two unrelated domains, nothing answered: the network */
	    {36, 2, 0, true}, /* many domains on two hosts */
	    {1, 2, 0, false}, /* one domain: its hosts may just be down */
	    {3, 1, 0, false}, /* several domains on one address: that host is down */
	    {2, 2, 1, false}, /* one probe got past connect: port 25 gets out */
	    {0, 0, 0, false},
	};
	static const struct {
		const char *v6, *v4;
		bool only;
	} doms[] = {
	    {"connect-timeout", "connect-timeout", true},
	    {"connect-timeout", NULL, true},      /* the other one not probed yet */
	    {"connect-timeout", "pending", true}, /* nor ended */
	    {"connect-timeout", "refused", false},
	    {"accepted", "connect-timeout", false},
	    {NULL, NULL, false}, /* never probed: nothing says anything */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mx_egress_seen s = {rows[i].domains, rows[i].addresses, rows[i].answered};
		assert_int_equal(mx_egress_blocked(&s), rows[i].blocked);
	}
	for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
		mx_domain *d = probed(doms[i].v6, doms[i].v4);
		assert_int_equal(mx_domain_only_connect_timeouts(d), doms[i].only);
		mx_domain_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_egress_rule),
	    cmocka_unit_test(test_authoritative),
	    cmocka_unit_test(test_authoritative_messages),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_egress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
