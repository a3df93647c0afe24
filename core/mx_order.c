/* core/mx_order.c — the order a sender tries hosts in (RFC 5321 §5.1):
 * one reproducible shuffle per domain from the run seed, the hosts that take
 * part (null MX out, duplicates once, the relay view), preference tiers, the
 * attempt order, and the delivery walk over the probe results. Ordering
 * layer (see mx_int.h): reads and fills the model; the relay view's two
 * findings go into the model's findings store. */
#include "mx_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- seeds and the shuffle ---------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mx_seed_for(uint64_t run_seed, const char *domain)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, case-folded */

	for (const char *p = domain; *p; p++) {
		h ^= (uint64_t)tolower((unsigned char)*p);
		h *= 0x100000001b3ULL;
	}
	h ^= run_seed;
	return splitmix64(&h);
}

/* A uniform integer in [0, n): rejection removes the modulo bias. */
static uint64_t below(uint64_t n, uint64_t *state)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

	do
		r = splitmix64(state);
	while (r >= limit);
	return r % n;
}

void mx_shuffle(size_t *idx, size_t n, uint64_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)below(i, state), t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

/* Marks which hosts a sender would use: the null MX takes no part, a name
 * listed twice counts once at its best preference, and the relay view drops
 * the relay's own preference and everything less preferred. */
mxs_status mxi_choose_routable(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	long as_pref = -1;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool keep = h->exchange[0] != '\0';

		for (size_t j = 0; keep && j < d->nhosts; j++) {
			const mx_host *o = &d->hosts[j];
			if (j == i || !mxi_name_eq(o->exchange, h->exchange))
				continue;
			if (o->preference < h->preference ||
			    (o->preference == h->preference && j < i))
				keep = false;
		}
		a->routable[i] = keep;
		if (h->exchange[0] == '\0')
			a->nnull++;
	}
	if (!a->opt->as_host)
		goto done;
	for (size_t i = 0; i < d->nhosts; i++)
		if (mxi_name_eq(d->hosts[i].exchange, a->opt->as_host) &&
		    (as_pref < 0 || d->hosts[i].preference < as_pref))
			as_pref = d->hosts[i].preference;
	if (as_pref < 0) {
		TRY(mxi_add_finding(d, MX_F_AS_NOT_MX, a->opt->as_host,
		                    "%s is not an MX of %s, so it routes like any other sender",
		                    a->opt->as_host, d->name));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++)
		if (d->hosts[i].preference >= as_pref)
			a->routable[i] = false;
	{
		bool any = false;
		for (size_t i = 0; i < d->nhosts; i++)
			any = any || a->routable[i];
		if (!any)
			TRY(mxi_add_finding(
			    d, MX_F_AS_MOST_PREFERRED, a->opt->as_host,
			    "%s is a most preferred MX (%ld) of %s: it has no better host to "
			    "relay to and must deliver the mail itself",
			    a->opt->as_host, as_pref, d->name));
	}
done:
	return st;
}

static int cmp_host_name(const void *x, const void *y, void *ctx)
{
	const mx_domain *d = ctx;
	const mx_host *a = &d->hosts[*(const size_t *)x], *b = &d->hosts[*(const size_t *)y];

	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return strcmp(a->exchange, b->exchange);
}

/* Groups routable hosts by preference, most preferred first, and shuffles
 * each group. Sorting by name before the shuffle makes the order depend on
 * the seed alone, not on the order the DNS server returned records in. */
mxs_status mxi_build_tiers(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t n = 0, *idx = NULL;
	uint64_t state = d->seed;

	idx = malloc((d->nhosts ? d->nhosts : 1) * sizeof(*idx));
	if (!idx)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < d->nhosts; i++)
		if (a->routable[i])
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_host_name, d);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		mx_tier *t, *nt;

		while (j < n && d->hosts[idx[j]].preference == d->hosts[idx[i]].preference)
			j++;
		nt = realloc(d->tiers, (d->ntiers + 1) * sizeof(*nt));
		if (!nt) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		d->tiers = nt;
		t = &d->tiers[d->ntiers];
		t->preference = d->hosts[idx[i]].preference;
		t->nhosts = j - i;
		t->hosts = malloc(t->nhosts * sizeof(*t->hosts));
		if (!t->hosts) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		d->ntiers++;
		memcpy(t->hosts, idx + i, t->nhosts * sizeof(*t->hosts));
		mx_shuffle(t->hosts, t->nhosts, &state);
		i = j;
	}
	/* a numeric MX target names no host (RFC 5321 §5.1): the plain walk
	 * tries none of it, even when the resolver wrote the digits down as
	 * its address for the MTAs that do connect to them (core/mta.c) */
	for (size_t ti = 0; ti < d->ntiers; ti++)
		for (size_t k = 0; k < d->tiers[ti].nhosts; k++)
			if (!mx_is_ip_literal(d->hosts[d->tiers[ti].hosts[k]].exchange))
				d->nattempts += d->hosts[d->tiers[ti].hosts[k]].naddrs;
	if (d->nattempts) {
		size_t at = 0;
		d->attempts = malloc(d->nattempts * sizeof(*d->attempts));
		if (!d->attempts) {
			d->nattempts = 0;
			st = MXS_ERR_NOMEM;
			goto done;
		}
		for (size_t ti = 0; ti < d->ntiers; ti++)
			for (size_t k = 0; k < d->tiers[ti].nhosts; k++) {
				size_t h = d->tiers[ti].hosts[k];
				if (mx_is_ip_literal(d->hosts[h].exchange))
					continue;
				for (size_t m = 0; m < d->hosts[h].naddrs; m++)
					d->attempts[at++] = (mx_attempt){.host = h, .addr = m};
			}
	}
done:
	free(idx);
	return st;
}

/* ---- probes and the delivery walk ---------------------------------------- */

const char *mx_walk_rule(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return "2xx greeting: the sender hands the mail over here and stops";
	case PROBE_TEMPFAIL: return "4xx greeting: a temporary failure, try the next address";
	case PROBE_REJECTED: return "5xx greeting: this host will not talk, try the next address";
	case PROBE_REFUSED: return "connection refused: try the next address";
	case PROBE_CONNECT_TIMEOUT: return "no answer to the connection: try the next address";
	case PROBE_GREETING_TIMEOUT: return "no greeting in time: try the next address";
	case PROBE_UNREACHABLE: return "no route to the address: try the next address";
	case PROBE_TLS_FAILED: return "the TLS handshake failed: try the next address";
	case PROBE_GARBAGE: return "the server does not speak SMTP: try the next address";
	case PROBE_DROPPED: return "greeted, then hung up before any mail: try the next address";
	case PROBE_PENDING:
	case PROBE_ERROR:
	case PROBE_STATE_COUNT: break;
	}
	return "not probed: the walk stops here";
}

const char *mx_rcpt_rule(int code)
{
	if (code >= 200 && code < 300)
		return "2xx at RCPT: the host takes the mail, the sender stops";
	if (code >= 500 && code < 600)
		return "5xx at RCPT: the recipient is refused, the mail bounces (no other host is "
		       "tried)";
	if (code >= 400 && code < 500)
		return "4xx at RCPT: the mail is deferred, the sender queues it and retries later";
	return "the recipient stage broke off: try the next address";
}

/* Follows the attempt order as a sender would: every address in turn until
 * the first 2xx greeting (RFC 5321 §5.1). Only when every address was
 * probed, so a half-finished walk is never shown as the answer. */
mxs_status mxi_walk(mxi_analysis *a)
{
	mx_domain *d = a->d;

	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_attempt *at = &d->attempts[i];
		const probe_result *r = d->hosts[at->host].addrs[at->addr].probe;
		if (!r || r->state == PROBE_PENDING || r->state == PROBE_ERROR)
			return MXS_OK;
	}
	if (d->nattempts == 0)
		return MXS_OK;
	d->steps = calloc(d->nattempts, sizeof(*d->steps));
	if (!d->steps)
		return MXS_ERR_NOMEM;
	d->walked = true;
	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_attempt *at = &d->attempts[i];
		const probe_result *r = d->hosts[at->host].addrs[at->addr].probe;
		probe_state st = r->state;
		d->steps[d->nsteps++] =
		    (mx_step){.attempt = i, .state = st, .rule = mx_walk_rule(st)};
		if (st == PROBE_ACCEPTED && r->rcpt.to) {
			/* the recipient stage (--rcpt) decides: 2xx delivers, 5xx
			 * bounces and 4xx defers (both end the walk), no reply
			 * moves on; the opportunistic sender profile agrees */
			int c = r->rcpt.code;
			d->steps[d->nsteps - 1].rule = mx_rcpt_rule(c);
			if (c >= 200 && c < 300)
				d->delivered = (long)i;
			if ((c >= 200 && c < 300) || (c >= 400 && c < 600))
				break;
			continue;
		}
		if (st == PROBE_ACCEPTED) {
			d->delivered = (long)i;
			break;
		}
	}
	return MXS_OK;
}
