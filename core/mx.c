/* core/mx.c — the domain model: the findings catalogue, what the resolver
 * fills in (MX, SRV, addresses, aliases), the probe and blocklist results
 * attached to addresses, and the read-only views of an analysis. The rules
 * live in mx_rules.c, the ordering in mx_order.c (see mx_int.h). */
#include "mx_auth.h"
#include "mx_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- catalogue ---------------------------------------------------------- */

static const struct {
	const char *code;
	mx_severity severity;
	const char *reference;
	const char *summary;
} catalogue[MX_F_COUNT] = {
#define MX_X_ENTRY(id, code, sev, ref, summary) [MX_F_##id] = {code, MX_SEV_##sev, ref, summary},
    MX_FINDINGS(MX_X_ENTRY)
#undef MX_X_ENTRY
};

int mx_finding_lookup(const char *code)
{
	for (int i = 0; i < MX_F_COUNT; i++)
		if (strcmp(catalogue[i].code, code) == 0)
			return i;
	return -1;
}

const char *mx_finding_code(mx_finding_id id)
{
	return catalogue[id].code;
}
const char *mx_finding_summary(mx_finding_id id)
{
	return catalogue[id].summary;
}
mx_severity mx_finding_severity(mx_finding_id id)
{
	return catalogue[id].severity;
}
const char *mx_finding_reference(mx_finding_id id)
{
	return catalogue[id].reference;
}

const char *mx_severity_str(mx_severity s)
{
	switch (s) {
	case MX_SEV_INFO: return "info";
	case MX_SEV_WARNING: return "warning";
	case MX_SEV_ERROR: return "error";
	}
	return "?";
}

const char *mx_rcode_str(mx_rcode rc)
{
	switch (rc) {
	case MX_RC_NOT_ASKED: return "not asked";
	case MX_RC_OK: return "NOERROR";
	case MX_RC_NODATA: return "NODATA";
	case MX_RC_NXDOMAIN: return "NXDOMAIN";
	case MX_RC_SERVFAIL: return "SERVFAIL";
	case MX_RC_REFUSED: return "REFUSED";
	case MX_RC_TIMEOUT: return "timeout";
	case MX_RC_FORMERR: return "malformed answer";
	case MX_RC_ERROR: return "error";
	}
	return "?";
}

bool mx_rcode_is_temporary(mx_rcode rc)
{
	return rc == MX_RC_SERVFAIL || rc == MX_RC_REFUSED || rc == MX_RC_TIMEOUT ||
	       rc == MX_RC_FORMERR || rc == MX_RC_ERROR;
}

/* ---- the findings store ------------------------------------------------ */

mxs_status mxi_add_finding(mx_domain *d, mx_finding_id id, const char *subject, const char *fmt,
                           ...)
{
	mx_finding *f, *fs;
	va_list ap;
	char *msg = NULL;
	int n;

	fs = mxi_grow(d->findings, &d->capfindings, d->nfindings, sizeof(*d->findings));
	if (!fs)
		return MXS_ERR_NOMEM;
	d->findings = fs;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MXS_ERR_NOMEM;
	f = &d->findings[d->nfindings];
	f->id = id;
	f->code = mx_finding_code(id);
	f->severity = mx_finding_severity(id);
	f->reference = mx_finding_reference(id);
	f->message = msg;
	f->subject = strdup(subject);
	if (!f->subject) {
		free(msg);
		return MXS_ERR_NOMEM;
	}
	d->nfindings++;
	return MXS_OK;
}

/* ---- lifecycle and filling ---------------------------------------------- */

mx_domain *mx_domain_new(const char *name)
{
	mx_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->delivered = -1;
	d->name = mxi_dup_lower_name(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	return d;
}

void mxi_clear_analysis(mx_domain *d)
{
	for (size_t i = 0; i < d->ntiers; i++)
		free(d->tiers[i].hosts);
	free(d->tiers);
	d->tiers = NULL;
	d->ntiers = 0;
	free(d->attempts);
	d->attempts = NULL;
	d->nattempts = 0;
	for (size_t i = 0; i < d->nfindings; i++) {
		free(d->findings[i].subject);
		free(d->findings[i].message);
	}
	free(d->findings);
	d->findings = NULL;
	d->nfindings = d->capfindings = 0;
	free(d->as_host);
	d->as_host = NULL;
	free(d->steps);
	d->steps = NULL;
	d->nsteps = 0;
	d->walked = false;
	d->delivered = -1;
	d->analyzed = false;
	d->null_mx = d->implicit_mx = false;
	/* the walks' steps are the model's to free: the walk layer
	 * (core/sender.c) fills them, the model owns them */
	for (int p = 0; p < SENDER_COUNT; p++) {
		free(d->senders[p].steps);
		d->senders[p] = (sender_walk){.delivered = -1, .end = SENDER_END_DEFERRED};
	}
}

/* ---- reverse DNS and authoritative servers (core/mx_auth.h) ----------- */

mxs_status mx_domain_set_auth(mx_domain *d, mx_auth *a)
{
	mx_auth_free(d->auth);
	d->auth = a;
	return MXS_OK;
}

const mx_auth *mx_domain_auth(const mx_domain *d)
{
	return d->auth;
}

static void free_auth(mx_domain *d)
{
	mx_auth_free(d->auth);
	d->auth = NULL;
	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			mx_ptr_free(d->hosts[i].addrs[k].ptr);
			d->hosts[i].addrs[k].ptr = NULL;
		}
}

void mx_domain_free(mx_domain *d)
{
	if (!d)
		return;
	mxi_clear_analysis(d);
	free_auth(d);
	mxi_free_send(d);
	for (size_t i = 0; i < d->nhosts; i++) {
		free(d->hosts[i].exchange);
		free(d->hosts[i].cname);
		free(d->hosts[i].cname_loop);
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			mx_addr *ad = &d->hosts[i].addrs[k];
			probe_result_free(ad->probe);
			for (size_t b = 0; b < ad->nblocklists; b++)
				blr_result_free(ad->blocklists[b]);
			free(ad->blocklists);
		}
		free(d->hosts[i].addrs);
	}
	free(d->hosts);
	for (size_t i = 0; i < d->nsrv; i++) {
		free(d->srv[i].service);
		free(d->srv[i].target);
	}
	free(d->srv);
	free(d->mx_why);
	free(d->name);
	free(d);
}

const char *mx_domain_name(const mx_domain *d)
{
	return d->name;
}

mxs_status mx_domain_set_mx_rcode(mx_domain *d, mx_rcode rc, const char *why)
{
	char *w = NULL;

	if (why && !(w = strdup(why)))
		return MXS_ERR_NOMEM;
	free(d->mx_why);
	d->mx_why = w;
	d->mx_rc = rc;
	return MXS_OK;
}

mx_rcode mx_domain_mx_rcode(const mx_domain *d)
{
	return d->mx_rc;
}
const char *mx_domain_mx_why(const mx_domain *d)
{
	return d->mx_why;
}

static mxs_status add_host(mx_domain *d, uint16_t pref, const char *exchange, uint32_t ttl,
                           bool implicit, size_t *index)
{
	mx_host *h, *hosts;

	hosts = mxi_grow(d->hosts, &d->caphosts, d->nhosts, sizeof(*d->hosts));
	if (!hosts)
		return MXS_ERR_NOMEM;
	d->hosts = hosts;
	h = &d->hosts[d->nhosts];
	memset(h, 0, sizeof(*h));
	h->exchange = mxi_dup_lower_name(strcmp(exchange, ".") == 0 ? "" : exchange);
	if (!h->exchange)
		return MXS_ERR_NOMEM;
	h->preference = pref;
	h->ttl = ttl;
	h->implicit = implicit;
	if (index)
		*index = d->nhosts;
	d->nhosts++;
	return MXS_OK;
}

mxs_status mx_domain_add_mx(mx_domain *d, uint16_t preference, const char *exchange, uint32_t ttl,
                            size_t *index)
{
	return add_host(d, preference, exchange, ttl, false, index);
}

mxs_status mx_domain_add_implicit(mx_domain *d, size_t *index)
{
	return add_host(d, 0, d->name, 0, true, index);
}

size_t mx_domain_host_count(const mx_domain *d)
{
	return d->nhosts;
}
const mx_host *mx_domain_host(const mx_domain *d, size_t i)
{
	return i < d->nhosts ? &d->hosts[i] : NULL;
}

/* Report order: services together, then the order a client would try them
 * (RFC 2782: lowest priority first; among equals the heavier weight is the
 * likelier pick, so it is listed first). */
static int srv_cmp(const mx_srv *a, const mx_srv *b)
{
	int c = strcmp(a->service, b->service);

	if (c)
		return c;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcmp(a->target, b->target);
}

mxs_status mx_domain_add_srv(mx_domain *d, const char *service, uint16_t priority, uint16_t weight,
                             uint16_t port, const char *target, uint32_t ttl)
{
	mx_srv n = {.priority = priority, .weight = weight, .port = port, .ttl = ttl}, *g;
	mxs_status st = MXS_OK;
	size_t at;

	if (d->nsrv >= MX_SRV_MAX)
		return MXS_ERR_LIMIT;
	n.service = mxi_dup_lower_name(service);
	n.target = mxi_dup_lower_name(strcmp(target, ".") == 0 ? "" : target);
	if (!n.service || !n.target) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	g = mxi_grow(d->srv, &d->capsrv, d->nsrv, sizeof(*d->srv));
	if (!g) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	d->srv = g;
	for (at = d->nsrv; at > 0 && srv_cmp(&d->srv[at - 1], &n) > 0; at--)
		;
	memmove(&d->srv[at + 1], &d->srv[at], (d->nsrv - at) * sizeof(*d->srv));
	d->srv[at] = n;
	d->nsrv++;
	n.service = n.target = NULL; /* owned by d now */
done:
	free(n.service);
	free(n.target);
	return st;
}

size_t mx_domain_srv_count(const mx_domain *d)
{
	return d->nsrv;
}
const mx_srv *mx_domain_srv(const mx_domain *d, size_t i)
{
	return i < d->nsrv ? &d->srv[i] : NULL;
}

mxs_status mx_host_set_rcode(mx_domain *d, size_t i, int family, mx_rcode rc)
{
	if (i >= d->nhosts || (family != 4 && family != 6))
		return MXS_ERR_INVALID;
	if (family == 4)
		d->hosts[i].a_rc = rc;
	else
		d->hosts[i].aaaa_rc = rc;
	return MXS_OK;
}

mxs_status mx_host_add_addr(mx_domain *d, size_t i, int family, const char *ip, uint32_t ttl)
{
	mx_host *h;
	mx_addr *n;
	size_t at;

	if (i >= d->nhosts || (family != 4 && family != 6) || strlen(ip) >= MX_IP_MAX)
		return MXS_ERR_INVALID;
	h = &d->hosts[i];
	n = realloc(h->addrs, (h->naddrs + 1) * sizeof(*n));
	if (!n)
		return MXS_ERR_NOMEM;
	h->addrs = n;
	/* IPv6 before IPv4, each family in DNS order: the common MTA default. */
	at = h->naddrs;
	if (family == 6)
		for (at = 0; at < h->naddrs && h->addrs[at].family == 6; at++)
			;
	memmove(&h->addrs[at + 1], &h->addrs[at], (h->naddrs - at) * sizeof(*n));
	h->addrs[at].family = family;
	snprintf(h->addrs[at].ip, sizeof(h->addrs[at].ip), "%s", ip);
	h->addrs[at].ttl = ttl;
	h->addrs[at].probe = NULL;
	h->addrs[at].blocklists = NULL;
	h->addrs[at].nblocklists = 0;
	h->addrs[at].ptr = NULL;
	h->naddrs++;
	if (h->implicit && (h->ttl == 0 || ttl < h->ttl))
		h->ttl = ttl;
	return MXS_OK;
}

mx_addr *mxi_addr(const mx_domain *d, size_t i, size_t k)
{
	return i < d->nhosts && k < d->hosts[i].naddrs ? &d->hosts[i].addrs[k] : NULL;
}

mxs_status mx_host_set_probe(mx_domain *d, size_t i, size_t k, probe_result *r)
{
	mx_addr *ad = mxi_addr(d, i, k);

	if (!ad) {
		probe_result_free(r);
		return MXS_ERR_INVALID;
	}
	probe_result_free(ad->probe);
	ad->probe = r;
	return MXS_OK;
}

mxs_status mx_host_add_blocklist(mx_domain *d, size_t i, size_t k, blr_result *r)
{
	mx_addr *ad = mxi_addr(d, i, k);
	blr_result **g;

	if (!r || !ad) {
		blr_result_free(r);
		return MXS_ERR_INVALID;
	}
	for (size_t b = 0; b < ad->nblocklists; b++)
		if (strcmp(ad->blocklists[b]->provider, r->provider) == 0) {
			blr_result_free(ad->blocklists[b]);
			ad->blocklists[b] = r;
			return MXS_OK;
		}
	g = realloc(ad->blocklists, (ad->nblocklists + 1) * sizeof(*g));
	if (!g) {
		blr_result_free(r);
		return MXS_ERR_NOMEM;
	}
	ad->blocklists = g;
	ad->blocklists[ad->nblocklists++] = r;
	return MXS_OK;
}

mxs_status mx_host_set_cname(mx_domain *d, size_t i, const char *canonical)
{
	char *c;

	if (i >= d->nhosts)
		return MXS_ERR_INVALID;
	c = mxi_dup_lower_name(canonical);
	if (!c)
		return MXS_ERR_NOMEM;
	free(d->hosts[i].cname);
	d->hosts[i].cname = c;
	return MXS_OK;
}

mxs_status mx_host_set_cname_loop(mx_domain *d, size_t i, const char *chain)
{
	char *c;

	if (i >= d->nhosts || !chain)
		return MXS_ERR_INVALID;
	c = strdup(chain);
	if (!c)
		return MXS_ERR_NOMEM;
	free(d->hosts[i].cname_loop);
	d->hosts[i].cname_loop = c;
	return MXS_OK;
}

mxs_status mx_host_set_ptr(mx_domain *d, size_t i, size_t k, mx_ptr *p)
{
	mx_addr *ad = mxi_addr(d, i, k);

	if (!ad) {
		mx_ptr_free(p);
		return MXS_ERR_INVALID;
	}
	mx_ptr_free(ad->ptr);
	ad->ptr = p;
	return MXS_OK;
}

const mx_ptr *mx_addr_ptr(const mx_domain *d, size_t i, size_t k)
{
	const mx_addr *ad = mxi_addr(d, i, k);

	return ad ? ad->ptr : NULL;
}

bool mx_domain_null_mx(const mx_domain *d)
{
	return d->null_mx;
}
bool mx_domain_implicit_mx(const mx_domain *d)
{
	return d->implicit_mx;
}
uint64_t mx_domain_seed(const mx_domain *d)
{
	return d->run_seed;
}
const char *mx_domain_as_host(const mx_domain *d)
{
	return d->as_host;
}
size_t mx_domain_tier_count(const mx_domain *d)
{
	return d->ntiers;
}
const mx_tier *mx_domain_tier(const mx_domain *d, size_t i)
{
	return i < d->ntiers ? &d->tiers[i] : NULL;
}
size_t mx_domain_attempt_count(const mx_domain *d)
{
	return d->nattempts;
}
const mx_attempt *mx_domain_attempt(const mx_domain *d, size_t i)
{
	return i < d->nattempts ? &d->attempts[i] : NULL;
}
size_t mx_domain_finding_count(const mx_domain *d)
{
	return d->nfindings;
}
const mx_finding *mx_domain_finding(const mx_domain *d, size_t i)
{
	return i < d->nfindings ? &d->findings[i] : NULL;
}

bool mx_domain_walked(const mx_domain *d)
{
	return d->walked;
}
size_t mx_domain_step_count(const mx_domain *d)
{
	return d->nsteps;
}
const mx_step *mx_domain_step(const mx_domain *d, size_t i)
{
	return i < d->nsteps ? &d->steps[i] : NULL;
}
const mx_attempt *mx_domain_delivered(const mx_domain *d)
{
	/* --sender: the chosen profile's walk; the plain walk is the
	 * opportunistic one */
	long at = d->sender == SENDER_OPPORTUNISTIC || !d->walked ? d->delivered
	                                                          : d->senders[d->sender].delivered;
	return at >= 0 ? &d->attempts[at] : NULL;
}

int mx_domain_worst(const mx_domain *d)
{
	int worst = -1;

	for (size_t i = 0; i < d->nfindings; i++)
		if ((int)d->findings[i].severity > worst)
			worst = (int)d->findings[i].severity;
	return worst;
}

/* The status word as DESIGN.md defines it, and always the worst finding's
 * severity, so the list, the findings pane and check's exit status agree:
 * "error" when the mail does not arrive, "warning" when it arrives degraded
 * (a backup taking it is primary-unreachable, a warning), "no mail" for a
 * valid null MX, else "ok". */
const char *mx_domain_status(const mx_domain *d)
{
	int w = mx_domain_worst(d);

	if (w == MX_SEV_ERROR)
		return "error";
	if (d->null_mx)
		return "no mail";
	if (w == MX_SEV_WARNING)
		return "warning";
	return "ok";
}
