/* tests/test_core_mta.c — the walk as each sending MTA makes it (core/mta.h,
 * core/sender.c): one table of domains, and for rfc, postfix and exim where
 * the mail ends, whether that is certain, and the shares when it is not;
 * then the reader of `postconf -n` output. The probe results are set by
 * hand: the oracle test (tests/test_mta_oracle.sh) holds the same walks
 * against a real Postfix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mta.h"
#include "mx.h"
#include "report.h"

/* One address of one MX record, and how its probe ended. */
typedef struct addr_spec {
	int pref;          /* 0 ends the list */
	const char *name;  /* "" = the null MX */
	const char *ip;    /* NULL: no address (rc says why) */
	probe_state state; /* of the probe */
	int rcpt;          /* RCPT reply code, 0 = no recipient stage */
	mx_rcode rc;       /* when ip is NULL: how both lookups ended */
	bool loop;         /* when ip is NULL: the name is a CNAME loop */
} addr_spec;

typedef struct walk_case {
	const char *what;
	addr_spec addrs[8];
	unsigned limit; /* Postfix smtp_mx_address_limit, 0 = the default */
	unsigned sessions;
	bool no_skip_5xx;
	/* per MTA (rfc, postfix, exim): "delivered host ip", "bounced",
	 * "deferred", then " ?" when not certain, then " | share end ..." */
	const char *want[MTA_COUNT];
} walk_case;

#define V6 "::1"

static const walk_case cases[] = {
    {"null MX beside MX: Postfix bounces, Exim delivers to the other",
     {{10, "", NULL, 0, 0, MX_RC_NOT_ASKED, 0},
      {20, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx1.t 127.0.0.1", "bounced", "delivered mx1.t 127.0.0.1"}},
    {"numeric MX target: Postfix connects to the digits, Exim leaves it out",
     {{10, "127.0.0.9", "127.0.0.9", PROBE_ACCEPTED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx2.t 127.0.0.2", "delivered 127.0.0.9 127.0.0.9", "delivered mx2.t 127.0.0.2"}},
    {"NODATA at the only target: every MTA bounces",
     {{10, "mx1.t", NULL, 0, 0, MX_RC_NODATA, 0}},
     0,
     0,
     false,
     {"bounced", "bounced", "bounced"}},
    {"a CNAME loop at the only target: deferred",
     {{10, "mx1.t", NULL, 0, 0, MX_RC_NODATA, true}},
     0,
     0,
     false,
     {"deferred", "deferred", "deferred"}},
    {"NXDOMAIN at the primary: the backup takes it",
     {{10, "gone.t", NULL, 0, 0, MX_RC_NXDOMAIN, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx2.t 127.0.0.2", "delivered mx2.t 127.0.0.2", "delivered mx2.t 127.0.0.2"}},
    {"dual stack, IPv6 refuses the recipient: Postfix's any is a coin toss",
     {{10, "mx.t", V6, PROBE_ACCEPTED, 550, 0, 0},
      {10, "mx.t", "127.0.0.1", PROBE_ACCEPTED, 250, 0, 0}},
     0,
     0,
     false,
     {"bounced", "delivered mx.t 127.0.0.1 ? | 0.50 delivered mx.t 127.0.0.1 | 0.50 bounced",
      "bounced"}},
    {"dual stack, IPv6 refused: every MTA gets there over IPv4",
     {{10, "mx.t", V6, PROBE_REFUSED, 0, 0, 0}, {10, "mx.t", "127.0.0.1", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx.t 127.0.0.1", "delivered mx.t 127.0.0.1", "delivered mx.t 127.0.0.1"}},
    {"address limit 2 cuts a tier of four: delivered half the time",
     {{10, "a.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0},
      {10, "b.t", "127.0.0.2", PROBE_REFUSED, 0, 0, 0},
      {10, "c.t", "127.0.0.3", PROBE_REFUSED, 0, 0, 0},
      {10, "d.t", "127.0.0.4", PROBE_ACCEPTED, 0, 0, 0}},
     2,
     0,
     false,
     {"delivered d.t 127.0.0.4", "deferred ? | 0.50 deferred | 0.50 delivered d.t 127.0.0.4",
      "delivered d.t 127.0.0.4"}},
    {"the default limit 5 is no cut for four",
     {{10, "a.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0},
      {10, "b.t", "127.0.0.2", PROBE_REFUSED, 0, 0, 0},
      {10, "c.t", "127.0.0.3", PROBE_REFUSED, 0, 0, 0},
      {10, "d.t", "127.0.0.4", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered d.t 127.0.0.4", "delivered d.t 127.0.0.4", "delivered d.t 127.0.0.4"}},
    {"554 greeting: Postfix and Exim skip to the next MX",
     {{10, "mx1.t", "127.0.0.1", PROBE_REJECTED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx2.t 127.0.0.2", "delivered mx2.t 127.0.0.2", "delivered mx2.t 127.0.0.2"}},
    {"554 greeting with smtp_skip_5xx_greeting = no: Postfix bounces",
     {{10, "mx1.t", "127.0.0.1", PROBE_REJECTED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     true,
     {"delivered mx2.t 127.0.0.2", "bounced", "delivered mx2.t 127.0.0.2"}},
    {"every MX greets with 554: Postfix defers (the skip makes them soft), Exim bounces",
     {{10, "mx1.t", "127.0.0.1", PROBE_REJECTED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_REJECTED, 0, 0, 0}},
     0,
     0,
     false,
     {"deferred", "deferred", "bounced"}},
    {"554 then refused: the last host's error decides, both defer",
     {{10, "mx1.t", "127.0.0.1", PROBE_REJECTED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_REFUSED, 0, 0, 0}},
     0,
     0,
     false,
     {"deferred", "deferred", "deferred"}},
    {"a failed TLS handshake: Postfix and Exim retry in clear",
     {{10, "mx1.t", "127.0.0.1", PROBE_TLS_FAILED, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered mx2.t 127.0.0.2", "delivered mx1.t 127.0.0.1", "delivered mx1.t 127.0.0.1"}},
    {"4xx at RCPT: Postfix tries the next MX while sessions last, Exim too",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, 451, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 250, 0, 0}},
     0,
     0,
     false,
     {"deferred", "delivered mx2.t 127.0.0.2", "delivered mx2.t 127.0.0.2"}},
    {"4xx at RCPT twice: smtp_mx_session_limit 2 ends it; Exim has no such limit",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, 451, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, 451, 0, 0},
      {30, "mx3.t", "127.0.0.3", PROBE_ACCEPTED, 250, 0, 0}},
     0,
     0,
     false,
     {"deferred", "deferred", "delivered mx3.t 127.0.0.3"}},
    {"one address under two names: Postfix tries it once",
     {{10, "a.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0},
      {10, "b.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0},
      {20, "c.t", "127.0.0.3", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"delivered c.t 127.0.0.3", "delivered c.t 127.0.0.3", "delivered c.t 127.0.0.3"}},
    {"a numeric MX alone: Postfix connects to it, Exim finds no host",
     {{10, "127.0.0.9", "127.0.0.9", PROBE_ACCEPTED, 0, 0, 0}},
     0,
     0,
     false,
     {"bounced", "delivered 127.0.0.9 127.0.0.9", "bounced"}},
};

static probe_result *probe_of(const addr_spec *a)
{
	probe_result *r = probe_result_new(a->name, a->ip, 25);

	r->state = a->state;
	r->code = a->state == PROBE_ACCEPTED ? 220 : a->state == PROBE_REJECTED ? 554 : 0;
	if (a->rcpt)
		assert_int_equal(probe_rcpt_set(r, "u@mta.test", a->rcpt, "x", 1), MXS_OK);
	return r;
}

static mx_domain *build(const walk_case *c, mta_kind k, const mta_params *prm)
{
	mx_domain *d = mx_domain_new("mta.test");
	mx_options o = {.seed = 7, .allow_loopback = true, .mta = k, .postfix = prm};

	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	for (size_t i = 0; c->addrs[i].pref; i++) {
		const addr_spec *a = &c->addrs[i];
		size_t h = SIZE_MAX;
		for (size_t j = 0; j < mx_domain_host_count(d); j++)
			if (!strcmp(mx_domain_host(d, j)->exchange, a->name))
				h = j;
		if (h == SIZE_MAX)
			assert_int_equal(mx_domain_add_mx(d, (uint16_t)a->pref, a->name, 60, &h),
			                 MXS_OK);
		if (!a->name[0])
			continue;
		if (!a->ip) {
			mx_host_set_rcode(d, h, 4, a->rc);
			mx_host_set_rcode(d, h, 6, a->rc);
			if (a->loop)
				mx_host_set_cname_loop(d, h, "mx1.t -> x.t -> mx1.t");
			continue;
		}
		assert_int_equal(mx_host_add_addr(d, h, strchr(a->ip, ':') ? 6 : 4, a->ip, 60),
		                 MXS_OK);
		assert_int_equal(
		    mx_host_set_probe(d, h, mx_domain_host(d, h)->naddrs - 1, probe_of(a)), MXS_OK);
		mx_host_set_rcode(d, h, strchr(a->ip, ':') ? 6 : 4, MX_RC_OK);
	}
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	return d;
}

static void say_end(char *out, size_t cap, const mx_domain *d, const sender_walk *w, sender_end e,
                    long at)
{
	size_t n = strlen(out);

	snprintf(out + n, cap - n, "%s", sender_end_word(e));
	if (e == SENDER_END_DELIVERED) {
		const mx_attempt *a = sender_walk_attempt(w, (size_t)at);
		const mx_host *h = mx_domain_host(d, a->host);
		n = strlen(out);
		snprintf(out + n, cap - n, " %s %s", h->exchange, h->addrs[a->addr].ip);
	}
}

/* "bounced ? | 0.50 bounced | 0.50 delivered mx.t 127.0.0.1" */
static void describe(const mx_domain *d, const sender_walk *w, char *out, size_t cap)
{
	out[0] = '\0';
	say_end(out, cap, d, w, w->end, w->delivered);
	if (w->certain) {
		assert_int_equal(w->noutcomes, 0);
		return;
	}
	snprintf(out + strlen(out), cap - strlen(out), " ?");
	for (size_t i = 0; i < w->noutcomes; i++) {
		snprintf(out + strlen(out), cap - strlen(out), " | %.2f ", w->outcomes[i].share);
		say_end(out, cap, d, w, w->outcomes[i].end, w->outcomes[i].delivered);
	}
}

static void test_walks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const walk_case *c = &cases[i];
		for (int k = 0; k < MTA_COUNT; k++) {
			mta_params prm;
			mx_domain *d;
			const sender_walk *w;
			char got[512];

			mta_params_default((mta_kind)k, &prm);
			if (c->limit)
				prm.address_limit = c->limit;
			if (c->no_skip_5xx)
				prm.skip_5xx_greeting = false;
			d = build(c, (mta_kind)k, k == MTA_POSTFIX ? &prm : NULL);
			if (k == MTA_EXIM && c->no_skip_5xx) {
				/* the Postfix parameter leaves Exim as it is */
				w = mx_domain_walk(d, MTA_EXIM, SENDER_OPPORTUNISTIC);
			} else {
				w = mx_domain_sender(d, SENDER_OPPORTUNISTIC);
			}
			assert_non_null(w);
			describe(d, w, got, sizeof(got));
			if (strcmp(got, c->want[k])) {
				print_error("%s: %s walks \"%s\", want \"%s\"\n", c->what,
				            mta_name((mta_kind)k), got, c->want[k]);
				fail();
			}
			/* every step and every end names its rule */
			for (size_t s = 0; s < w->nsteps; s++)
				if (!w->steps[s].rule || strlen(w->steps[s].rule) <= 10) {
					print_error("%s: %s step %zu has no rule\n", c->what,
					            mta_name((mta_kind)k), s);
					fail();
				}
			assert_true(w->why && strlen(w->why) > 10);
			/* the top-level delivered_to follows the MTA's walk */
			if (w->delivered >= 0) {
				const mx_attempt *top = mx_domain_delivered(d),
				                 *own =
				                     sender_walk_attempt(w, (size_t)w->delivered);
				if (!top || top->host != own->host)
					print_error("%s: %s\n", c->what, mta_name((mta_kind)k));
				assert_non_null(top);
				assert_int_equal(top->host, own->host);
				assert_int_equal(top->addr, own->addr);
			} else if (k != MTA_RFC)
				assert_null(mx_domain_delivered(d));
			mx_domain_free(d);
		}
	}
}

/* The rule text says the parameter behind it: what --mta postfix shows. */
static void test_rule_text(void **state)
{
	mx_domain *d;
	const sender_walk *w;

	(void)state;
	d = build(&cases[0], MTA_POSTFIX, NULL);
	w = mx_domain_sender(d, SENDER_OPPORTUNISTIC);
	assert_non_null(strstr(w->why, "does not accept mail (nullMX)"));
	mx_domain_free(d);
	d = build(&cases[sizeof(cases) / sizeof(cases[0]) - 1], MTA_EXIM, NULL);
	w = mx_domain_sender(d, SENDER_OPPORTUNISTIC);
	assert_non_null(strstr(w->why, "(invalidly) to IP addresses"));
	mx_domain_free(d);
	d = build(&cases[7], MTA_POSTFIX,
	          &(mta_params){.address_limit = 2,
	                        .shuffle_addr = true,
	                        .dedup = true,
	                        .skip_5xx_greeting = true});
	w = mx_domain_sender(d, SENDER_OPPORTUNISTIC);
	assert_false(w->certain);
	assert_non_null(strstr(w->outcomes[w->outcomes[0].end == SENDER_END_DEFERRED ? 0 : 1].why,
	                       "smtp_mx_address_limit"));
	mx_domain_free(d);
}

/* JSON: certain, and outcomes only when not. */
static void test_json(void **state)
{
	mx_domain *d;
	char *js;
	json_t *j, *opp, *outs;
	double sum = 0;

	(void)state;
	d = build(&cases[5], MTA_POSTFIX, NULL);
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "mta")), "postfix");
	opp = json_object_get(json_object_get(j, "senders"), "opportunistic");
	assert_true(json_is_false(json_object_get(opp, "certain")));
	outs = json_object_get(opp, "outcomes");
	assert_int_equal(json_array_size(outs), 2);
	for (size_t i = 0; i < json_array_size(outs); i++) {
		json_t *o = json_array_get(outs, i);
		sum += json_real_value(json_object_get(o, "share"));
		assert_non_null(json_string_value(json_object_get(o, "end")));
		assert_non_null(json_string_value(json_object_get(o, "why")));
		assert_non_null(json_object_get(o, "delivered_to"));
	}
	assert_true(sum > 0.999 && sum < 1.001);
	json_decref(j);
	free(js);
	mx_domain_free(d);
	d = build(&cases[6], MTA_POSTFIX, NULL);
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	opp = json_object_get(json_object_get(j, "senders"), "opportunistic");
	assert_true(json_is_true(json_object_get(opp, "certain")));
	assert_null(json_object_get(opp, "outcomes"));
	json_decref(j);
	free(js);
	mx_domain_free(d);
}

static void test_config(void **state)
{
	mta_params p;
	char *why = NULL;
	static const char good[] = "# postconf -n\n"
	                           "smtp_mx_address_limit = 2\n"
	                           "myhostname = mail.example\n"
	                           "smtp_address_preference = ipv4\n"
	                           "inet_protocols =\n"
	                           "    ipv4, ipv6\n"
	                           "smtp_skip_5xx_greeting=no\n"
	                           "smtp_tls_security_level = dane\n"
	                           "smtp_dns_support_level = dnssec\n"
	                           "smtp_mx_session_limit = 0\n";

	(void)state;
	mta_params_default(MTA_POSTFIX, &p);
	assert_true(mta_config_read(good, "main.cf", &p, &why));
	assert_int_equal(p.address_limit, 2);
	assert_int_equal(p.session_limit, 0);
	assert_int_equal(p.addr_pref, MTA_PREF_IPV4);
	assert_int_equal(p.families, 0);
	assert_false(p.skip_5xx_greeting);
	assert_int_equal(p.tls, MTA_TLS_DANE);
	assert_true(p.dnssec);
	mta_params_default(MTA_POSTFIX, &p);
	assert_true(mta_config_read("inet_protocols = ipv4\n", "f", &p, &why));
	assert_int_equal(p.families, 4);
	assert_false(
	    mta_config_read("a = 1\n\nsmtp_mx_address_limit = many\n", "pc.txt", &p, &why));
	assert_string_equal(why, "pc.txt:3: smtp_mx_address_limit: expected a number from 0 to "
	                         "100000, got \"many\"");
	free(why);
	why = NULL;
	assert_false(mta_config_read("smtp_address_preference = both\n", "x", &p, &why));
	assert_non_null(strstr(why, "x:1: smtp_address_preference: expected any, ipv6 or ipv4"));
	free(why);
	why = NULL;
	assert_false(mta_config_read("smtp_tls_security_level = verify\n", "x", &p, &why));
	assert_non_null(strstr(why, "not modelled"));
	free(why);
	why = NULL;
	assert_false(mta_config_read("just words\n", "x", &p, &why));
	assert_non_null(strstr(why, "x:1: expected \"parameter = value\""));
	free(why);
}

static void test_names(void **state)
{
	(void)state;
	for (int k = 0; k < MTA_COUNT; k++)
		assert_int_equal(mta_lookup(mta_name((mta_kind)k)), k);
	assert_int_equal(mta_lookup("sendmail"), -1);
	assert_int_equal(sender_profile_lookup("dane-mta-sts"), SENDER_DANE_MTA_STS);
	/* every row of every table is filled and cites something */
	for (int k = 0; k < MTA_COUNT; k++)
		for (int c = 0; c < MTA_C_COUNT; c++)
			assert_true(mta_rule_for((mta_kind)k, NULL, (mta_case)c).text &&
			            strlen(mta_rule_for((mta_kind)k, NULL, (mta_case)c).text) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walks), cmocka_unit_test(test_rule_text),
	    cmocka_unit_test(test_json),  cmocka_unit_test(test_config),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
