/* core/mx_send.c — what real senders look at beyond the MX rules, as fields
 * of the domain model: the DNSSEC status, MTA-STS and TLS-RPT, TLSA records,
 * and the read side of the sender profiles' walks kept in the domain. Model
 * layer (see mx_int.h): calls nothing above it. The findings these fields
 * lead to are in core/mx_rules_send.c; the walks are computed by
 * core/sender.c and stored by core/mx_analyze.c. */
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

/* ---- the sender walks kept in the domain (filled by core/mx_analyze.c) -- */

const sender_walk *mx_domain_walk(const mx_domain *d, mta_kind k, sender_profile p)
{
	return (unsigned)k < MTA_COUNT && (unsigned)p < SENDER_COUNT && d->walk_ok[k][p]
	           ? &d->walks[k][p]
	           : NULL;
}

const sender_walk *mx_domain_sender(const mx_domain *d, sender_profile p)
{
	return mx_domain_walk(d, d->mta, p);
}

mta_kind mx_domain_mta(const mx_domain *d)
{
	return d->mta;
}

sender_profile mx_domain_sender_choice(const mx_domain *d)
{
	return d->sender;
}
