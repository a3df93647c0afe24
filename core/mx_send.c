/* core/mx_send.c — what real senders look at beyond the MX rules (issue 11):
 * the DNSSEC status, MTA-STS and TLS-RPT, TLSA records and the recipient
 * stage; the findings they give; and the sender profiles' walks kept in the
 * domain (see mx_int.h). */
#include "mx_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- the fields --------------------------------------------------------- */

const char *mx_dnssec_str(mx_dnssec s)
{
	switch (s) {
	case MX_DNSSEC_SECURE: return "secure";
	case MX_DNSSEC_INSECURE: return "insecure";
	case MX_DNSSEC_BOGUS: return "bogus";
	case MX_DNSSEC_INDETERMINATE: return "indeterminate";
	case MX_DNSSEC_NOT_ASKED: break;
	}
	return NULL;
}

mxs_status mx_domain_set_dnssec(mx_domain *d, mx_dnssec s)
{
	if ((unsigned)s > MX_DNSSEC_INDETERMINATE)
		return MXS_ERR_INVALID;
	d->dnssec = s;
	return MXS_OK;
}

mx_dnssec mx_domain_dnssec(const mx_domain *d)
{
	return d->dnssec;
}

static void mta_sts_free(mx_mta_sts *m)
{
	if (!m)
		return;
	free(m->txt);
	free(m->id);
	policy_free(m->policy);
	free(m->error);
	free(m);
}

/* strdup keeping NULL; false when out of memory */
static bool dup_opt(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

mxs_status mx_domain_set_mta_sts(mx_domain *d, const char *txt, const char *id, policy_sts *policy,
                                 const char *error)
{
	mx_mta_sts *m = calloc(1, sizeof(*m));

	if (!m) {
		policy_free(policy);
		return MXS_ERR_NOMEM;
	}
	m->policy = policy;
	if (!dup_opt(txt, &m->txt) || !dup_opt(id, &m->id) || !dup_opt(error, &m->error)) {
		mta_sts_free(m);
		return MXS_ERR_NOMEM;
	}
	mta_sts_free(d->mta_sts);
	d->mta_sts = m;
	return MXS_OK;
}

const mx_mta_sts *mx_domain_mta_sts(const mx_domain *d)
{
	return d->mta_sts;
}

mxs_status mx_domain_set_tls_rpt(mx_domain *d, const char *txt)
{
	char *c = NULL;

	if (!dup_opt(txt, &c))
		return MXS_ERR_NOMEM;
	free(d->tls_rpt);
	d->tls_rpt = c;
	return MXS_OK;
}

const char *mx_domain_tls_rpt(const mx_domain *d)
{
	return d->tls_rpt;
}

static void tlsa_free(mx_tlsa *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrecords; i++)
		free(t->records[i]);
	free(t->records);
	free(t);
}

mxs_status mx_host_set_tlsa(mx_domain *d, size_t i, const char *const *records, size_t nrecords,
                            bool secure)
{
	mx_tlsa *t;

	if (i >= d->nhosts)
		return MXS_ERR_INVALID;
	t = calloc(1, sizeof(*t));
	if (!t)
		return MXS_ERR_NOMEM;
	t->secure = secure;
	if (nrecords && !(t->records = calloc(nrecords, sizeof(*t->records))))
		goto fail;
	for (; t->nrecords < nrecords; t->nrecords++)
		if (!(t->records[t->nrecords] = strdup(records[t->nrecords])))
			goto fail;
	tlsa_free(d->hosts[i].tlsa);
	d->hosts[i].tlsa = t;
	return MXS_OK;
fail:
	tlsa_free(t);
	return MXS_ERR_NOMEM;
}

void mxi_free_send(mx_domain *d)
{
	mta_sts_free(d->mta_sts);
	d->mta_sts = NULL;
	free(d->tls_rpt);
	d->tls_rpt = NULL;
	for (size_t i = 0; i < d->nhosts; i++) {
		tlsa_free(d->hosts[i].tlsa);
		d->hosts[i].tlsa = NULL;
	}
}

/* ---- the sender walks --------------------------------------------------- */

void mxi_clear_senders(mx_domain *d)
{
	for (int p = 0; p < SENDER_COUNT; p++)
		sender_walk_clear(&d->senders[p]);
}

const sender_walk *mx_domain_sender(const mx_domain *d, sender_profile p)
{
	return d->walked && (unsigned)p < SENDER_COUNT ? &d->senders[p] : NULL;
}

sender_profile mx_domain_sender_choice(const mx_domain *d)
{
	return d->sender;
}

/* ---- findings ----------------------------------------------------------- */

/* The last finding added, with another severity than the catalogue's: the
 * same fact weighs differently (an enforce policy refuses, testing only
 * reports). */
static void reweigh_last(mx_domain *d, mx_severity s)
{
	if (d->nfindings)
		d->findings[d->nfindings - 1].severity = s;
}

static mxs_status check_mta_sts(mxi_analysis *a)
{
	mx_domain *d = a->d;
	const mx_mta_sts *m = d->mta_sts;
	const policy_sts *p = m ? m->policy : NULL;
	mx_severity sev;
	mxs_status st = MXS_OK;

	if (!m)
		return MXS_OK;
	if (m->txt && !p) {
		TRY(mxi_add_finding(
		    d, MX_F_MTA_STS_POLICY_UNAVAILABLE, d->name,
		    "%s publishes _mta-sts TXT \"%s\" but no policy can be used: %s; "
		    "senders treat the domain as having no policy",
		    d->name, m->txt, m->error ? m->error : "no policy"));
		return MXS_OK;
	}
	if (!p || p->mode == POLICY_MODE_NONE)
		return MXS_OK;
	sev = p->mode == POLICY_MODE_ENFORCE ? MX_SEV_ERROR : MX_SEV_WARNING;
	for (size_t ti = 0; ti < d->ntiers; ti++)
		for (size_t k = 0; k < d->tiers[ti].nhosts; k++) {
			const mx_host *h = &d->hosts[d->tiers[ti].hosts[k]];
			if (policy_covers(p, h->exchange))
				continue;
			TRY(mxi_add_finding(d, MX_F_MTA_STS_MX_NOT_COVERED, h->exchange,
			                    "MX %u %s matches none of the MTA-STS policy's mx: "
			                    "patterns (mode %s): %s",
			                    h->preference, h->exchange, policy_mode_str(p->mode),
			                    p->mode == POLICY_MODE_ENFORCE
			                        ? "senders that apply MTA-STS never deliver to it"
			                        : "reported only, while the mode is testing"));
			reweigh_last(d, sev);
		}
	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_host *h = &d->hosts[d->attempts[i].host];
		const mx_addr *ad = &h->addrs[d->attempts[i].addr];
		const probe_result *r = ad->probe;
		if (!r || r->state != PROBE_ACCEPTED || !policy_covers(p, h->exchange) ||
		    (r->tls.offered && r->tls.done && r->tls.verified))
			continue;
		TRY(mxi_add_finding(d, MX_F_MTA_STS_CERTIFICATE_INVALID, ad->ip,
		                    "%s (%u) at %s: %s; the MTA-STS policy (mode %s) requires a "
		                    "certificate valid for %s",
		                    h->exchange, h->preference, ad->ip,
		                    !r->tls.offered ? "no STARTTLS"
		                                    : "the certificate does not verify",
		                    policy_mode_str(p->mode), h->exchange));
		reweigh_last(d, sev);
	}
done:
	return st;
}

static mxs_status check_dane(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	if (d->dnssec == MX_DNSSEC_BOGUS)
		TRY(mxi_add_finding(d, MX_F_DNSSEC_BOGUS, d->name,
		                    "the MX answer for %s fails DNSSEC validation: validating "
		                    "resolvers answer SERVFAIL and senders behind them cannot "
		                    "deliver",
		                    d->name));
	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		if (!h->tlsa || h->tlsa->nrecords == 0 || !a->routable[i])
			continue;
		if (!h->tlsa->secure || d->dnssec != MX_DNSSEC_SECURE) {
			TRY(mxi_add_finding(d, MX_F_DANE_TLSA_INSECURE, h->exchange,
			                    "%s has TLSA records at _25._tcp.%s, but %s is not "
			                    "DNSSEC-secure: DANE senders ignore them",
			                    h->exchange, h->exchange,
			                    h->tlsa->secure ? "the MX answer" : "the TLSA answer"));
			continue;
		}
		for (size_t k = 0; k < h->naddrs; k++) {
			const probe_result *r = h->addrs[k].probe;
			if (!r || r->dane != PROBE_DANE_MISMATCH)
				continue;
			TRY(mxi_add_finding(
			    d, MX_F_DANE_TLSA_MISMATCH, h->addrs[k].ip,
			    "%s (%u) at %s: the certificate matches none of the %zu "
			    "TLSA record%s at _25._tcp.%s: DANE senders defer mail",
			    h->exchange, h->preference, h->addrs[k].ip, h->tlsa->nrecords,
			    h->tlsa->nrecords == 1 ? "" : "s", h->exchange));
		}
	}
done:
	return st;
}

/* Every address whose recipient stage got a 4xx or 5xx. A refusal where
 * the walk ends bounces the mail (error); on a host the walk does not reach
 * it is the backscatter lesson waiting for the primary to go down. */
static mxs_status check_rcpt(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_host *h = &d->hosts[d->attempts[i].host];
		const mx_addr *ad = &h->addrs[d->attempts[i].addr];
		const probe_result *r = ad->probe;
		bool reached = false;
		if (!r || !r->rcpt.to || r->rcpt.code < 400 || r->rcpt.code >= 600)
			continue;
		for (size_t s = 0; s < d->nsteps; s++)
			reached = reached || d->steps[s].attempt == i;
		if (r->rcpt.code >= 500) {
			TRY(mxi_add_finding(d, MX_F_RCPT_REJECTED, ad->ip,
			                    "%s (%u) at %s refuses RCPT TO:<%s> with %d \"%s\"%s",
			                    h->exchange, h->preference, ad->ip, r->rcpt.to,
			                    r->rcpt.code, r->rcpt.reply ? r->rcpt.reply : "",
			                    reached
			                        ? ": the mail bounces"
			                        : ": mail bounces whenever a sender gets here"));
			if (!reached)
				reweigh_last(d, MX_SEV_WARNING);
		} else {
			TRY(mxi_add_finding(
			    d, MX_F_RCPT_TEMPFAIL, ad->ip,
			    "%s (%u) at %s answers RCPT TO:<%s> with %d \"%s\": the "
			    "mail is deferred",
			    h->exchange, h->preference, ad->ip, r->rcpt.to, r->rcpt.code,
			    r->rcpt.reply ? r->rcpt.reply : ""));
		}
	}
done:
	return st;
}

mxs_status mxi_check_send(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	d->sender = (unsigned)a->opt->sender < SENDER_COUNT ? a->opt->sender : SENDER_OPPORTUNISTIC;
	TRY(check_dane(a));
	TRY(check_mta_sts(a));
	TRY(check_rcpt(a));
	if (d->walked)
		for (int p = 0; p < SENDER_COUNT; p++)
			TRY(sender_walk_run(d, (sender_profile)p, &d->senders[p]));
done:
	return st;
}
