/* tests/test_core_sender.c — the sender profiles (core/sender.c) and the
 * sender findings (core/mx_rules_send.c): a table of domains, each with what
 * its hosts answered, its MTA-STS policy, DNSSEC and TLSA state, and for
 * every profile where the mail must end, through which steps, and which
 * findings at which severity. Also the report's JSON and text for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mx.h"
#include "report.h"

enum { TLS_NONE = 0, TLS_OK, TLS_BAD };
enum { TLSA_NO = 0, TLSA_SECURE, TLSA_INSECURE };

typedef struct host_spec {
	uint16_t pref;
	const char *name;
	const char *ip;
	probe_state state;
	int tls; /* TLS_* */
	probe_dane dane;
	int tlsa; /* TLSA_* */
	int rcpt; /* RCPT reply code; 0: no recipient stage */
} host_spec;

typedef struct case_spec {
	const char *what;
	host_spec hosts[3];
	const char *policy; /* the policy body, or NULL: no MTA-STS */
	mx_dnssec dnssec;
	/* per profile: the steps' outcomes, and the host that takes the mail */
	const char *steps[SENDER_COUNT];
	const char *delivered[SENDER_COUNT];
	const char *findings; /* "code:severity ..." in order, "" for none of these */
} case_spec;

#define POLICY(mode, mx) "version: STSv1\nmode: " mode "\n" mx "max_age: 86400\n"

static const case_spec cases[] = {
    {"plain: the first 2xx takes it, every profile agrees",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     NULL,
     0,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     ""},
    {"enforce: an uncovered primary is skipped by mta-sts only",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     POLICY("enforce", "mx: mx2.t\n"),
     0,
     {"delivered", "skipped delivered", "delivered", "skipped delivered"},
     {"mx1.t", "mx2.t", "mx1.t", "mx2.t"},
     "mta-sts-mx-not-covered:error"},
    {"enforce: the uncovered backup only matters when the primary is down",
     {{10, "mx1.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0, 0},
      {20, "backup.other", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     POLICY("enforce", "mx: *.t\n"),
     0,
     {"next delivered", "next skipped", "next delivered", "next skipped"},
     {"backup.other", NULL, "backup.other", NULL},
     "mta-sts-mx-not-covered:error"},
    {"testing: reported, delivered anyway",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     POLICY("testing", "mx: other.t\n"),
     0,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     "mta-sts-mx-not-covered:warning"},
    {"enforce: a certificate that does not verify is skipped",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_BAD, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     POLICY("enforce", "mx: *.t\n"),
     0,
     {"delivered", "skipped delivered", "delivered", "skipped delivered"},
     {"mx1.t", "mx2.t", "mx1.t", "mx2.t"},
     "mta-sts-certificate-invalid:error"},
    {"enforce: no STARTTLS is skipped as well",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_NONE, 0, 0, 0}},
     POLICY("enforce", "mx: mx1.t\n"),
     0,
     {"delivered", "skipped", "delivered", "skipped"},
     {"mx1.t", NULL, "mx1.t", NULL},
     "mta-sts-certificate-invalid:error"},
    {"mode none: no rule applies",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_BAD, 0, 0, 0}},
     "version: STSv1\nmode: none\nmax_age: 1\n",
     0,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     ""},
    {"dane: a stale TLSA skips the host for the DANE sender only",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, PROBE_DANE_MISMATCH, TLSA_SECURE, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, PROBE_DANE_MATCH, TLSA_SECURE, 0}},
     NULL,
     MX_DNSSEC_SECURE,
     {"delivered", "delivered", "skipped delivered", "skipped delivered"},
     {"mx1.t", "mx1.t", "mx2.t", "mx2.t"},
     "dane-tlsa-mismatch:error"},
    {"dane: TLSA in an insecure zone is ignored",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, PROBE_DANE_MISMATCH, TLSA_INSECURE, 0}},
     NULL,
     MX_DNSSEC_INSECURE,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     "dane-tlsa-insecure:warning"},
    {"dane: secure TLSA but the MX answer is insecure: ignored",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, PROBE_DANE_MISMATCH, TLSA_SECURE, 0}},
     NULL,
     MX_DNSSEC_INSECURE,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     "dane-tlsa-insecure:warning"},
    {"dane wins over MTA-STS: a DANE match is taken although enforce would skip",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_BAD, PROBE_DANE_MATCH, TLSA_SECURE, 0}},
     POLICY("enforce", "mx: other.t\n"),
     MX_DNSSEC_SECURE,
     {"delivered", "skipped", "delivered", "delivered"},
     {"mx1.t", NULL, "mx1.t", "mx1.t"},
     "mta-sts-mx-not-covered:error"},
    {"dane: no STARTTLS on a DANE host is skipped",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_NONE, PROBE_DANE_NONE, TLSA_SECURE, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     NULL,
     MX_DNSSEC_SECURE,
     {"delivered", "delivered", "skipped delivered", "skipped delivered"},
     {"mx1.t", "mx1.t", "mx2.t", "mx2.t"},
     ""},
    {"rcpt: a 5xx at RCPT bounces, the backup is never tried",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 550},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 250}},
     NULL,
     0,
     {"bounced", "bounced", "bounced", "bounced"},
     {NULL, NULL, NULL, NULL},
     "rcpt-rejected:error"},
    {"rcpt: a 4xx at RCPT defers",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 451},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 250}},
     NULL,
     0,
     {"deferred", "deferred", "deferred", "deferred"},
     {NULL, NULL, NULL, NULL},
     "rcpt-tempfail:warning"},
    {"rcpt: a backup that refuses relaying is a warning while the primary takes it",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 250},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 550}},
     NULL,
     0,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     "rcpt-rejected:warning"},
    {"rcpt: the primary down, the backup refusing relaying bounces the mail",
     {{10, "mx1.t", "127.0.0.1", PROBE_REFUSED, 0, 0, 0, 0},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 550}},
     NULL,
     0,
     {"next bounced", "next bounced", "next bounced", "next bounced"},
     {NULL, NULL, NULL, NULL},
     "rcpt-rejected:error"},
    {"rcpt: a host skipped by enforce never gets to RCPT",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 550},
      {20, "mx2.t", "127.0.0.2", PROBE_ACCEPTED, TLS_OK, 0, 0, 250}},
     POLICY("enforce", "mx: mx2.t\n"),
     0,
     {"bounced", "skipped delivered", "bounced", "skipped delivered"},
     {NULL, "mx2.t", NULL, "mx2.t"},
     "mta-sts-mx-not-covered:error rcpt-rejected:error"},
    {"dnssec bogus: an error whatever the walk says",
     {{10, "mx1.t", "127.0.0.1", PROBE_ACCEPTED, TLS_OK, 0, 0, 0}},
     NULL,
     MX_DNSSEC_BOGUS,
     {"delivered", "delivered", "delivered", "delivered"},
     {"mx1.t", "mx1.t", "mx1.t", "mx1.t"},
     "dnssec-bogus:error"},
};

static mx_domain *build(const case_spec *c, sender_profile follow)
{
	mx_domain *d = mx_domain_new("sender.test");
	mx_options o = {.seed = 1, .allow_loopback = true, .sender = follow};

	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	for (size_t i = 0; i < 3 && c->hosts[i].name; i++) {
		const host_spec *hs = &c->hosts[i];
		size_t h;
		probe_result *r;
		assert_int_equal(mx_domain_add_mx(d, hs->pref, hs->name, 60, &h), MXS_OK);
		assert_int_equal(mx_host_add_addr(d, h, 4, hs->ip, 60), MXS_OK);
		r = probe_result_new(hs->name, hs->ip, 25);
		r->state = hs->state;
		r->code = hs->state == PROBE_ACCEPTED ? 220 : 0;
		if (hs->state == PROBE_ACCEPTED) {
			r->ehlo = calloc(1, sizeof(*r->ehlo));
			r->ehlo[0] = strdup(hs->tls ? "STARTTLS" : "PIPELINING");
			r->nehlo = 1;
		}
		r->tls.offered = r->tls.done = hs->tls != TLS_NONE;
		r->tls.verified = hs->tls == TLS_OK;
		r->dane = hs->dane;
		if (hs->rcpt) {
			const char *text = hs->rcpt >= 500   ? "5.7.1 relaying denied"
			                   : hs->rcpt >= 400 ? "4.7.1 try later"
			                                     : "2.1.5 ok";
			assert_int_equal(probe_rcpt_set(r, "postmaster@sender.test", hs->rcpt, text,
			                                strlen(text)),
			                 MXS_OK);
		}
		assert_int_equal(mx_host_set_probe(d, h, 0, r), MXS_OK);
		if (hs->tlsa) {
			const char *rec[] = {
			    "3 1 1 "
			    "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"};
			assert_int_equal(mx_host_set_tlsa(d, h, rec, 1, hs->tlsa == TLSA_SECURE),
			                 MXS_OK);
		}
	}
	if (c->dnssec)
		assert_int_equal(mx_domain_set_dnssec(d, c->dnssec), MXS_OK);
	if (c->policy) {
		char *why = NULL;
		policy_sts *p = policy_parse(c->policy, strlen(c->policy), &why);
		assert_non_null(p);
		assert_int_equal(mx_domain_set_mta_sts(d, "v=STSv1; id=1", "1", p, NULL), MXS_OK);
	}
	assert_int_equal(mx_domain_analyze(d, &o), MXS_OK);
	return d;
}

/* "skipped delivered" for a walk */
static void outcomes(const sender_walk *w, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < w->nsteps; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "",
		         sender_outcome_word(w->steps[i].outcome));
}

/* "code:severity ..." of the findings this issue added, in order */
static void new_findings(const mx_domain *d, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (f->id < MX_F_MTA_STS_MX_NOT_COVERED)
			continue;
		snprintf(out + strlen(out), cap - strlen(out), "%s%s:%s", out[0] ? " " : "",
		         f->code, mx_severity_str(f->severity));
	}
}

static void test_profiles_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const case_spec *c = &cases[i];
		mx_domain *d = build(c, SENDER_OPPORTUNISTIC);
		char got[256];
		for (int p = 0; p < SENDER_COUNT; p++) {
			const sender_walk *w = mx_domain_sender(d, (sender_profile)p);
			const char *host;
			assert_non_null(w);
			outcomes(w, got, sizeof(got));
			if (strcmp(got, c->steps[p])) {
				print_error("%s: %s steps \"%s\", want \"%s\"\n", c->what,
				            sender_profile_name((sender_profile)p), got,
				            c->steps[p]);
				fail();
			}
			host = w->delivered >= 0
			           ? mx_domain_host(
			                 d, mx_domain_attempt(d, (size_t)w->delivered)->host)
			                 ->exchange
			           : NULL;
			if ((host == NULL) != (c->delivered[p] == NULL) ||
			    (host && strcmp(host, c->delivered[p]))) {
				print_error("%s: %s delivered to %s, want %s\n", c->what,
				            sender_profile_name((sender_profile)p),
				            host ? host : "none",
				            c->delivered[p] ? c->delivered[p] : "none");
				fail();
			}
			for (size_t k = 0; k < w->nsteps; k++)
				assert_true(w->steps[k].rule && strlen(w->steps[k].rule) > 10);
		}
		/* the plain walk is the opportunistic profile's */
		{
			const mx_attempt *a = mx_domain_delivered(d);
			const char *host = a ? mx_domain_host(d, a->host)->exchange : NULL;
			assert_true((host == NULL) == (c->delivered[0] == NULL));
			if (host)
				assert_string_equal(host, c->delivered[0]);
		}
		new_findings(d, got, sizeof(got));
		if (strcmp(got, c->findings)) {
			print_error("%s: findings \"%s\", want \"%s\"\n", c->what, got,
			            c->findings);
			fail();
		}
		mx_domain_free(d);
	}
}

/* --sender: the top-level delivered_to follows the chosen profile. */
static void test_sender_choice(void **state)
{
	const case_spec *c = &cases[1]; /* enforce: mx1 uncovered */
	mx_domain *d;
	char *js;
	json_t *j, *s;

	(void)state;
	d = build(c, SENDER_MTA_STS);
	assert_int_equal(mx_domain_sender_choice(d), SENDER_MTA_STS);
	assert_string_equal(mx_domain_host(d, mx_domain_delivered(d)->host)->exchange, "mx2.t");
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "delivered_to"), "host")),
	    "mx2.t");
	s = json_object_get(j, "senders");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(s, "opportunistic"), "delivered_to"), "host")),
	    "mx1.t");
	{
		json_t *st0 =
		    json_array_get(json_object_get(json_object_get(s, "mta-sts"), "steps"), 0);
		assert_string_equal(json_string_value(json_object_get(st0, "host")), "mx1.t");
		assert_string_equal(json_string_value(json_object_get(st0, "ip")), "127.0.0.1");
		assert_string_equal(json_string_value(json_object_get(st0, "outcome")), "skipped");
		assert_non_null(
		    strstr(json_string_value(json_object_get(st0, "rule")), "MTA-STS enforce"));
	}
	/* mta_sts as the contract says */
	{
		json_t *m = json_object_get(j, "mta_sts"), *p = json_object_get(m, "policy");
		assert_string_equal(json_string_value(json_object_get(m, "txt")), "v=STSv1; id=1");
		assert_string_equal(json_string_value(json_object_get(m, "id")), "1");
		assert_string_equal(json_string_value(json_object_get(p, "mode")), "enforce");
		assert_string_equal(json_string_value(json_array_get(json_object_get(p, "mx"), 0)),
		                    "mx2.t");
		assert_int_equal(json_integer_value(json_object_get(p, "max_age")), 86400);
	}
	assert_true(json_is_null(json_object_get(j, "dnssec")));
	assert_true(json_is_null(json_object_get(j, "tls_rpt")));
	json_decref(j);
	free(js);
	mx_domain_free(d);
}

/* The fields in JSON and text: null when not asked, values when set. */
static void test_report_fields(void **state)
{
	const case_spec *c = &cases[7]; /* dane: stale TLSA */
	mx_domain *d = build(c, SENDER_OPPORTUNISTIC);
	mx_report_opts ro = {.ascii = true};
	char *js, *txt;
	json_t *j, *mx0, *probe;

	(void)state;
	assert_int_equal(mx_domain_set_tls_rpt(d, "v=TLSRPTv1; rua=mailto:tls@sender.test"),
	                 MXS_OK);
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "dnssec")), "secure");
	assert_true(json_is_null(json_object_get(j, "mta_sts")));
	assert_string_equal(json_string_value(json_object_get(j, "tls_rpt")),
	                    "v=TLSRPTv1; rua=mailto:tls@sender.test");
	mx0 = json_array_get(json_object_get(j, "mx"), 0);
	assert_true(json_is_true(json_object_get(json_object_get(mx0, "tlsa"), "secure")));
	assert_non_null(strstr(json_string_value(json_array_get(
	                           json_object_get(json_object_get(mx0, "tlsa"), "records"), 0)),
	                       "3 1 1 aabb"));
	probe = json_object_get(json_array_get(json_object_get(mx0, "addresses"), 0), "probe");
	assert_string_equal(json_string_value(json_object_get(probe, "dane")), "mismatch");
	assert_null(json_object_get(probe, "rcpt")); /* no recipient stage */
	txt = mx_report_text(d, &ro);
	assert_non_null(strstr(txt, "DNSSEC: the MX answer is secure"));
	assert_non_null(strstr(txt, "TLSA _25._tcp.mx1.t (DNSSEC-secure): 3 1 1 aabb"));
	assert_non_null(strstr(txt, "DANE mismatch"));
	assert_non_null(strstr(txt, "dane: delivered to mx2.t (20) 127.0.0.2"));
	assert_non_null(strstr(txt, "-> skipped mx1.t 127.0.0.1: DANE: the certificate matches"));
	assert_non_null(strstr(txt, "TLS-RPT (RFC 8460)"));
	json_decref(j);
	free(js);
	free(txt);
	mx_domain_free(d);

	/* nothing asked: nulls, and no DANE verdict or TLSA in the report */
	d = build(&cases[0], SENDER_OPPORTUNISTIC);
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	assert_true(json_is_null(json_object_get(j, "dnssec")));
	assert_true(json_is_null(json_object_get(j, "mta_sts")));
	mx0 = json_array_get(json_object_get(j, "mx"), 0);
	assert_true(json_is_null(json_object_get(mx0, "tlsa")));
	probe = json_object_get(json_array_get(json_object_get(mx0, "addresses"), 0), "probe");
	assert_null(json_object_get(probe, "dane"));
	json_decref(j);
	free(js);
	mx_domain_free(d);
}

/* The recipient stage in JSON and in the text's walk: a bounce says so. */
static void test_report_rcpt(void **state)
{
	mx_domain *d = build(&cases[15], SENDER_OPPORTUNISTIC); /* backup bounces */
	mx_report_opts ro = {.ascii = true};
	char *js = mx_report_json(d), *txt = mx_report_text(d, &ro);
	json_t *j = json_loads(js, 0, NULL), *probe, *rc;

	(void)state;
	probe = json_object_get(
	    json_array_get(
	        json_object_get(json_array_get(json_object_get(j, "mx"), 1), "addresses"), 0),
	    "probe");
	rc = json_object_get(probe, "rcpt");
	assert_string_equal(json_string_value(json_object_get(rc, "to")), "postmaster@sender.test");
	assert_int_equal(json_integer_value(json_object_get(rc, "code")), 550);
	assert_string_equal(json_string_value(json_object_get(rc, "reply")),
	                    "5.7.1 relaying denied");
	assert_true(json_is_null(json_object_get(j, "delivered_to")));
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_non_null(strstr(txt, "RCPT TO:<postmaster@sender.test>  550 \"5.7.1 relaying"));
	assert_non_null(strstr(txt, "-> 5xx at RCPT: the recipient is refused, the mail bounces"));
	assert_non_null(strstr(txt, "opportunistic (followed): the mail bounces"));
	json_decref(j);
	free(js);
	free(txt);
	mx_domain_free(d);
}

/* The RCPT reply is network text: bounded, cut at a NUL, copied by dup. */
static void test_rcpt_bounds(void **state)
{
	probe_result *r = probe_result_new("mx.t", "127.0.0.1", 25), *d;
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(probe_rcpt_set(r, "a@t", 550, big, sizeof(big)), MXS_OK);
	assert_int_equal(strlen(r->rcpt.reply), PROBE_RCPT_REPLY_MAX);
	assert_int_equal(probe_rcpt_set(r, "b@t", 451, "try\0later", 9), MXS_OK);
	assert_string_equal(r->rcpt.reply, "try");
	assert_string_equal(r->rcpt.to, "b@t");
	assert_int_equal(r->rcpt.code, 451);
	d = probe_result_dup(r);
	assert_non_null(d);
	assert_string_equal(d->rcpt.to, "b@t");
	assert_string_equal(d->rcpt.reply, "try");
	assert_true(d->rcpt.reply != r->rcpt.reply);
	probe_result_free(d);
	probe_result_free(r);
}

static void test_rcpt_argument(void **state)
{
	static const struct {
		const char *arg;
		bool ok;
		const char *addr; /* for domain d.test */
	} args[] = {
	    {"postmaster", true, "postmaster@d.test"},
	    {"first.last", true, "first.last@d.test"},
	    {"a+tag", true, "a+tag@d.test"},
	    {"x@other.example", true, "x@other.example"},
	    {"", false, NULL},
	    {".a", false, NULL},
	    {"a.", false, NULL},
	    {"a..b", false, NULL},
	    {"a b", false, NULL},
	    {"<a>", false, NULL},
	    {"a\r\nDATA", false, NULL},
	    {"\"q\"", false, NULL},
	    {"a@", false, NULL},
	    {"a@b@c", false, NULL},
	    {"a@-x.test", false, NULL},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false,
	     NULL}, /* 65 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		char *why = NULL, out[320];
		bool ok = sender_rcpt_valid(args[i].arg, &why);
		if (ok != args[i].ok) {
			print_error("--rcpt \"%s\": %s\n", args[i].arg, ok ? "accepted" : why);
			fail();
		}
		if (ok) {
			assert_true(sender_rcpt_address(args[i].arg, "d.test", out, sizeof(out)));
			assert_string_equal(out, args[i].addr);
		} else {
			assert_non_null(why);
		}
		free(why);
	}
	{
		char small[8];
		assert_false(sender_rcpt_address("postmaster", "d.test", small, sizeof(small)));
	}
}

/* A TXT lookup that failed is said as such, not as "no record". */
static void test_report_txt_failure(void **state)
{
	mx_domain *d = build(&cases[0], SENDER_OPPORTUNISTIC);
	char *txt, *js;
	json_t *j;

	(void)state;
	assert_int_equal(
	    mx_domain_set_mta_sts(d, NULL, NULL, NULL, "_mta-sts.sender.test TXT: SERVFAIL"),
	    MXS_OK);
	txt = mx_report_text(d, NULL);
	assert_non_null(strstr(txt, "the _mta-sts TXT record could not be read: "
	                            "_mta-sts.sender.test TXT: SERVFAIL"));
	assert_null(strstr(txt, "no _mta-sts TXT record"));
	js = mx_report_json(d);
	j = json_loads(js, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "mta_sts"), "error")),
	    "_mta-sts.sender.test TXT: SERVFAIL");
	json_decref(j);
	free(js);
	free(txt);
	mx_domain_free(d);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(sender_profile_lookup("mta-sts"), SENDER_MTA_STS);
	assert_int_equal(sender_profile_lookup("dane"), SENDER_DANE);
	assert_int_equal(sender_profile_lookup("opportunistic"), SENDER_OPPORTUNISTIC);
	assert_int_equal(sender_profile_lookup("MTA-STS"), -1);
	assert_int_equal(sender_profile_lookup(""), -1);
	assert_null(mx_dnssec_str(MX_DNSSEC_NOT_ASKED));
	assert_string_equal(mx_dnssec_str(MX_DNSSEC_BOGUS), "bogus");
	assert_int_equal(mx_finding_lookup("rcpt-tempfail"), MX_F_RCPT_TEMPFAIL);
	assert_string_equal(mx_finding_reference(MX_F_MTA_STS_MX_NOT_COVERED), "RFC 8461 §4.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_profiles_table), cmocka_unit_test(test_sender_choice),
	    cmocka_unit_test(test_report_fields),  cmocka_unit_test(test_report_rcpt),
	    cmocka_unit_test(test_names),          cmocka_unit_test(test_rcpt_bounds),
	    cmocka_unit_test(test_rcpt_argument),  cmocka_unit_test(test_report_txt_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
