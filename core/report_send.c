/* core/report_send.c — rendering DNSSEC, MTA-STS, TLS-RPT, TLSA, DANE, the
 * recipient stage and the sender profiles (see report_send.h). */
#include "report_send.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON --------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
	return mx_json_text(s, s ? strlen(s) : 0);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? jstr(s) : json_null();
}

json_t *mxr_json_attempt(const mx_domain *d, const mx_attempt *a)
{
	const mx_host *h = mx_domain_host(d, a->host);
	json_t *o = json_object();

	json_object_set_new(o, "preference", json_integer(h->preference));
	json_object_set_new(o, "host", jstr(h->exchange));
	json_object_set_new(o, "ip", jstr(h->addrs[a->addr].ip));
	return o;
}

static json_t *mta_sts_json(const mx_mta_sts *m)
{
	json_t *o = json_object(), *p;

	json_object_set_new(o, "txt", jstr_or_null(m->txt));
	json_object_set_new(o, "id", jstr_or_null(m->id));
	if (m->policy) {
		json_t *mx = json_array();
		p = json_object();
		json_object_set_new(p, "mode", jstr(policy_mode_str(m->policy->mode)));
		for (size_t i = 0; i < m->policy->nmx; i++)
			json_array_append_new(mx, jstr(m->policy->mx[i]));
		json_object_set_new(p, "mx", mx);
		json_object_set_new(p, "max_age", json_integer((json_int_t)m->policy->max_age));
		json_object_set_new(o, "policy", p);
	} else {
		json_object_set_new(o, "policy", json_null());
	}
	if (m->error)
		json_object_set_new(o, "error", jstr(m->error));
	return o;
}

static json_t *delivered_json(const mx_domain *d, const sender_walk *w, long at)
{
	return at >= 0 ? mxr_json_attempt(d, sender_walk_attempt(w, (size_t)at)) : json_null();
}

static json_t *sender_json(const mx_domain *d, const sender_walk *w)
{
	json_t *o = json_object(), *steps = json_array();

	json_object_set_new(o, "delivered_to", delivered_json(d, w, w->delivered));
	json_object_set_new(o, "end", jstr(sender_end_word(w->end)));
	json_object_set_new(o, "why", jstr(w->why));
	json_object_set_new(o, "certain", json_boolean(w->certain));
	if (!w->certain) {
		json_t *outs = json_array();
		for (size_t i = 0; i < w->noutcomes; i++) {
			const sender_chance *c = &w->outcomes[i];
			json_t *x = json_object();
			/* four decimals: a share is a count over the orders, not a
			 * measurement, and 1/3 need not print 17 digits */
			json_object_set_new(
			    x, "share", json_real((double)(long)(c->share * 10000 + 0.5) / 10000));
			json_object_set_new(x, "end", jstr(sender_end_word(c->end)));
			json_object_set_new(x, "delivered_to", delivered_json(d, w, c->delivered));
			json_object_set_new(x, "why", jstr(c->why));
			json_array_append_new(outs, x);
		}
		json_object_set_new(o, "outcomes", outs);
		if (w->estimated)
			json_object_set_new(o, "estimated", json_true());
	}
	for (size_t i = 0; i < w->nsteps; i++) {
		json_t *s = mxr_json_attempt(d, sender_walk_attempt(w, w->steps[i].attempt));
		json_object_set_new(s, "outcome", jstr(sender_outcome_word(w->steps[i].outcome)));
		json_object_set_new(s, "rule", jstr(w->steps[i].rule));
		json_array_append_new(steps, s);
	}
	json_object_set_new(o, "steps", steps);
	return o;
}

void mxr_json_domain(json_t *root, const mx_domain *d)
{
	json_t *senders = json_object();

	json_object_set_new(root, "dnssec", jstr_or_null(mx_dnssec_str(mx_domain_dnssec(d))));
	json_object_set_new(root, "mta_sts",
	                    mx_domain_mta_sts(d) ? mta_sts_json(mx_domain_mta_sts(d))
	                                         : json_null());
	json_object_set_new(root, "tls_rpt", jstr_or_null(mx_domain_tls_rpt(d)));
	for (int p = 0; p < SENDER_COUNT; p++) {
		const sender_walk *w = mx_domain_sender(d, (sender_profile)p);
		if (w)
			json_object_set_new(senders, sender_profile_name((sender_profile)p),
			                    sender_json(d, w));
	}
	json_object_set_new(root, "senders", senders);
	json_object_set_new(root, "mta", jstr(mta_name(mx_domain_mta(d))));
}

void mxr_json_host(json_t *o, const mx_host *h)
{
	json_t *t, *recs;

	if (!h->tlsa) {
		json_object_set_new(o, "tlsa", json_null());
		return;
	}
	t = json_object();
	recs = json_array();
	for (size_t i = 0; i < h->tlsa->nrecords; i++)
		json_array_append_new(recs, jstr(h->tlsa->records[i]));
	json_object_set_new(t, "records", recs);
	json_object_set_new(t, "secure", json_boolean(h->tlsa->secure));
	json_object_set_new(o, "tlsa", t);
}

void mxr_json_probe(json_t *o, const probe_result *r)
{
	if (probe_dane_str(r->dane))
		json_object_set_new(o, "dane", jstr(probe_dane_str(r->dane)));
	if (r->rcpt.to) {
		json_t *rc = json_object();
		json_object_set_new(rc, "to", jstr(r->rcpt.to));
		json_object_set_new(rc, "code", json_integer(r->rcpt.code));
		json_object_set_new(rc, "reply", jstr(r->rcpt.reply ? r->rcpt.reply : ""));
		json_object_set_new(o, "rcpt", rc);
	}
}

/* ---- text --------------------------------------------------------------- */

char *mxr_text_probe(const probe_result *r)
{
	mx_text b = {0};

	if (r->rcpt.to) {
		mx_text_printf(&b, "          RCPT TO:<");
		mx_text_safe(&b, r->rcpt.to);
		mx_text_printf(&b, ">  ");
		if (r->rcpt.code)
			mx_text_printf(&b, "%d ", r->rcpt.code);
		mx_text_printf(&b, "\"");
		mx_text_safe(&b, r->rcpt.reply ? r->rcpt.reply : "");
		mx_text_printf(&b, "\"\n");
	}
	if (probe_dane_str(r->dane))
		mx_text_printf(&b, "          DANE %s\n", probe_dane_str(r->dane));
	return mx_text_take(&b);
}

char *mxr_text_host(const mx_host *h)
{
	mx_text b = {0};

	if (h->tlsa) {
		mx_text_printf(&b, "        TLSA _25._tcp.");
		mx_text_safe(&b, h->exchange);
		mx_text_printf(&b,
		               " (%s):", h->tlsa->secure ? "DNSSEC-secure" : "insecure, ignored");
		if (!h->tlsa->nrecords)
			mx_text_printf(&b, " none");
		for (size_t i = 0; i < h->tlsa->nrecords; i++) {
			mx_text_printf(&b, "%s", i ? ", " : " ");
			mx_text_safe(&b, h->tlsa->records[i]);
		}
		mx_text_printf(&b, "\n");
	}
	return mx_text_take(&b);
}

static void text_mta_sts(mx_text *b, const mx_mta_sts *m)
{
	mx_text_printf(b, "MTA-STS (RFC 8461)\n");
	if (!m->txt && m->error) {
		mx_text_printf(b, "  the _mta-sts TXT record could not be read: ");
		mx_text_safe(b, m->error);
		mx_text_printf(b, "\n");
		return;
	}
	if (!m->txt) {
		mx_text_printf(b, "  no _mta-sts TXT record: senders apply no policy\n");
		return;
	}
	mx_text_printf(b, "  _mta-sts TXT \"");
	mx_text_safe(b, m->txt);
	mx_text_printf(b, "\"\n");
	if (!m->policy) {
		mx_text_printf(b, "  policy unavailable: ");
		mx_text_safe(b, m->error ? m->error : "not fetched");
		mx_text_printf(b, "\n");
		return;
	}
	mx_text_printf(b, "  policy: mode %s, max_age %lu, mx:", policy_mode_str(m->policy->mode),
	               m->policy->max_age);
	for (size_t i = 0; i < m->policy->nmx; i++) {
		mx_text_printf(b, " ");
		mx_text_safe(b, m->policy->mx[i]);
	}
	mx_text_printf(b, "\n");
}

static void text_sender(mx_text *b, const mx_domain *d, sender_profile p, const mx_report_opts *o)
{
	const sender_walk *w = mx_domain_sender(d, p);
	const char *arrow = o->ascii ? "->" : "\xe2\x86\x92";

	mx_text_printf(b, "  %s%s: ", sender_profile_name(p),
	               p == mx_domain_sender_choice(d) ? " (followed)" : "");
	if (!w) {
		mx_text_printf(b, "no walk\n");
		return;
	}
	if (w->delivered >= 0) {
		const mx_attempt *a = sender_walk_attempt(w, (size_t)w->delivered);
		const mx_host *h = mx_domain_host(d, a->host);
		mx_text_printf(b, "delivered to ");
		mx_text_safe(b, h->exchange);
		mx_text_printf(b, " (%u) %s\n", h->preference, h->addrs[a->addr].ip);
	} else {
		mx_text_printf(b, "%s\n",
		               w->end == SENDER_END_BOUNCED ? "the mail bounces"
		                                            : "no delivery, the mail waits");
	}
	/* the steps that made the difference: what was skipped, and the end */
	for (size_t i = 0; i < w->nsteps; i++) {
		const sender_step *s = &w->steps[i];
		const mx_attempt *a = sender_walk_attempt(w, s->attempt);
		const mx_host *h = mx_domain_host(d, a->host);
		if (s->outcome == SENDER_NEXT)
			continue;
		mx_text_printf(b, "      %s %s ", arrow, sender_outcome_word(s->outcome));
		mx_text_safe(b, h->exchange);
		mx_text_printf(b, " %s: %s\n", h->addrs[a->addr].ip, s->rule);
	}
	if (w->delivered < 0)
		mx_text_printf(b, "      %s %s\n", arrow, w->why);
	/* a coin toss is said as one: every end the MTA may come to */
	for (size_t i = 0; i < w->noutcomes; i++) {
		const sender_chance *c = &w->outcomes[i];
		mx_text_printf(b, "      %3.0f%% %s", c->share * 100, sender_end_word(c->end));
		if (c->delivered >= 0) {
			const mx_attempt *a = sender_walk_attempt(w, (size_t)c->delivered);
			const mx_host *h = mx_domain_host(d, a->host);
			mx_text_printf(b, " to ");
			mx_text_safe(b, h->exchange);
			mx_text_printf(b, " %s", h->addrs[a->addr].ip);
		}
		mx_text_printf(b, ": %s\n", c->why);
	}
}

char *mxr_text_domain(const mx_domain *d, const mx_report_opts *o)
{
	mx_text b = {0};

	if (mx_dnssec_str(mx_domain_dnssec(d)))
		mx_text_printf(&b, "DNSSEC: the MX answer is %s\n",
		               mx_dnssec_str(mx_domain_dnssec(d)));
	if (mx_domain_mta_sts(d))
		text_mta_sts(&b, mx_domain_mta_sts(d));
	if (mx_domain_tls_rpt(d)) {
		mx_text_printf(&b, "TLS-RPT (RFC 8460): _smtp._tls TXT \"");
		mx_text_safe(&b, mx_domain_tls_rpt(d));
		mx_text_printf(&b, "\"\n");
	}
	if (mx_domain_sender(d, SENDER_OPPORTUNISTIC)) {
		mx_text_printf(&b, "Senders (where mail ends, per kind of sender%s%s)\n",
		               mx_domain_mta(d) == MTA_RFC ? "" : ", as ",
		               mx_domain_mta(d) == MTA_RFC ? "" : mta_name(mx_domain_mta(d)));
		for (int p = 0; p < SENDER_COUNT; p++)
			text_sender(&b, d, (sender_profile)p, o);
	}
	return mx_text_take(&b);
}
