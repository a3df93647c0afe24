/* core/mx_rules_send.c — the findings of what real senders look at:
 * dnssec-bogus, dane-tlsa-insecure and -mismatch, mta-sts-policy-unavailable,
 * mta-sts-mx-not-covered and -certificate-invalid, rcpt-rejected and
 * rcpt-tempfail. Rules layer (see mx_int.h): reads the model (the fields of
 * core/mx_send.c, the tiers and the plain walk), adds findings to it. */
#include "mx_int.h"

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
	mxs_status st = MXS_OK;

	TRY(check_dane(a));
	TRY(check_mta_sts(a));
	TRY(check_rcpt(a));
done:
	return st;
}
