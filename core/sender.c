/* core/sender.c — the delivery walk per sender profile and sending MTA (see
 * sender.h). The profile rules are a table of checks each profile runs on an
 * accepted host, the MTA's rules a table in core/mta.c, so a new rule is a
 * new row, not another branch in the walk.
 *
 * Chance: an MTA draws an order (hosts, or with Postfix addresses, shuffled
 * within one preference). The walk counts every order it could draw when
 * there are at most WALK_EXACT of them, else it makes WALK_DRAWS seeded
 * draws; each order is walked, and orders that end the same way (end,
 * address, rule) are one outcome with its share. */
#include "sender.h"

#include <stdlib.h>
#include <string.h>

#include "mx.h"
#include "name.h"

#include <stdint.h>
#include <stdio.h>

#define WALK_EXACT 5040 /* 7!: one preference of seven hosts, counted exactly */
#define WALK_DRAWS 2048

/* Each profile once: its name (a JSON key) and who sends that way. */
static const struct {
	const char *name, *who;
} profiles[SENDER_COUNT] = {
    [SENDER_OPPORTUNISTIC] = {"opportunistic", "most MTAs: STARTTLS when offered (RFC 7435)"},
    [SENDER_MTA_STS] = {"mta-sts", "mailbox providers: MTA-STS policies (RFC 8461)"},
    [SENDER_DANE] = {"dane", "DANE senders: TLSA (RFC 7672) alone, as Postfix's dane level"},
    [SENDER_DANE_MTA_STS] = {"dane-mta-sts",
                             "DANE where TLSA is secure, else MTA-STS (RFC 8461 §2)"},
};

const char *sender_profile_name(sender_profile p)
{
	return (unsigned)p < SENDER_COUNT ? profiles[p].name : "?";
}

const char *sender_profile_who(sender_profile p)
{
	return (unsigned)p < SENDER_COUNT ? profiles[p].who : "?";
}

int sender_profile_lookup(const char *name)
{
	for (int i = 0; i < SENDER_COUNT; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return i;
	return -1;
}

const char *sender_outcome_word(sender_outcome o)
{
	switch (o) {
	case SENDER_NEXT: return "next";
	case SENDER_SKIPPED: return "skipped";
	case SENDER_DELIVERED: return "delivered";
	case SENDER_BOUNCED: return "bounced";
	case SENDER_DEFERRED: return "deferred";
	}
	return "?";
}

const char *sender_end_word(sender_end e)
{
	switch (e) {
	case SENDER_END_DELIVERED: return "delivered";
	case SENDER_END_BOUNCED: return "bounced";
	case SENDER_END_DEFERRED: return "deferred";
	}
	return "?";
}

const char *sender_rcpt_rule(int code)
{
	return mx_rcpt_rule(code);
}

/* ---- the profile rules -------------------------------------------------- */

/* What the walk knows about one attempt when a rule looks at it. */
typedef struct attempt_view {
	const mx_domain *d;
	const mx_host *h;
	const probe_result *r;
} attempt_view;

/* A rule's verdict: RULE_PASS lets the next rule look; the others decide. */
typedef enum rule_verdict {
	RULE_PASS = 0,
	RULE_SKIP,   /* the sender refuses this host and tries the next one */
	RULE_ACCEPT, /* the sender takes this host whatever later rules say */
} rule_verdict;

typedef struct rule_result {
	rule_verdict verdict;
	const char *why; /* static; for PASS a note kept when no later rule speaks */
} rule_result;

/* RFC 7672 §2.2: DANE applies to a host when the MX answer is secure and
 * the host's TLSA answer is secure with at least one record. */
static bool dane_applies(const attempt_view *v)
{
	return mx_domain_dnssec(v->d) == MX_DNSSEC_SECURE && v->h->tlsa && v->h->tlsa->secure &&
	       v->h->tlsa->nrecords > 0;
}

static rule_result rule_dane(const attempt_view *v)
{
	if (!dane_applies(v))
		return (rule_result){RULE_PASS, NULL};
	if (!v->r->tls.offered)
		return (rule_result){
		    RULE_SKIP, "DANE: the host has secure TLSA records but offers no STARTTLS: "
		               "skip (RFC 7672 §2.2)"};
	if (v->r->dane != PROBE_DANE_MATCH)
		return (rule_result){RULE_SKIP, "DANE: the certificate matches none of the host's "
		                                "TLSA records: skip (RFC 7672 §3)"};
	/* DANE decided: MTA-STS is not applied to this host (RFC 8461 §2) */
	return (rule_result){RULE_ACCEPT, "DANE: the certificate matches a TLSA record"};
}

static const policy_sts *active_policy(const mx_domain *d)
{
	const mx_mta_sts *m = mx_domain_mta_sts(d);
	return m && m->policy && m->policy->mode != POLICY_MODE_NONE ? m->policy : NULL;
}

/* RFC 8461 §4.1: the MX name must match a pattern of the policy. */
static rule_result rule_sts_mx(const attempt_view *v)
{
	const policy_sts *p = active_policy(v->d);

	if (!p || policy_covers(p, v->h->exchange))
		return (rule_result){RULE_PASS, NULL};
	if (p->mode == POLICY_MODE_ENFORCE)
		return (rule_result){RULE_SKIP, "MTA-STS enforce: the host matches none of the "
		                                "policy's mx: patterns: skip (RFC 8461 §4.1)"};
	return (rule_result){RULE_PASS, "MTA-STS testing: the host matches none of the policy's "
	                                "mx: patterns; reported, delivered anyway"};
}

/* RFC 8461 §4.2: STARTTLS with a certificate valid for the MX name. */
static rule_result rule_sts_cert(const attempt_view *v)
{
	const policy_sts *p = active_policy(v->d);
	const probe_tls *t = &v->r->tls;

	if (!p || (t->offered && t->done && t->verified))
		return (rule_result){RULE_PASS, NULL};
	if (p->mode == POLICY_MODE_ENFORCE)
		return (rule_result){
		    RULE_SKIP, !t->offered ? "MTA-STS enforce: the host offers no STARTTLS: "
		                             "skip (RFC 8461 §4.2)"
		                           : "MTA-STS enforce: the certificate does not verify "
		                             "for the host name: skip (RFC 8461 §4.2)"};
	return (rule_result){RULE_PASS, "MTA-STS testing: the certificate would fail the policy; "
	                                "reported, delivered anyway"};
}

typedef rule_result (*rule_fn)(const attempt_view *v);

/* Each profile's rules, in the order the sender applies them; NULL ends. */
static const rule_fn profile_rules[SENDER_COUNT][4] = {
    [SENDER_OPPORTUNISTIC] = {NULL},
    [SENDER_MTA_STS] = {rule_sts_mx, rule_sts_cert, NULL},
    [SENDER_DANE] = {rule_dane, NULL},
    [SENDER_DANE_MTA_STS] = {rule_dane, rule_sts_mx, rule_sts_cert, NULL},
};

static bool uses_sts(sender_profile p)
{
	return p == SENDER_MTA_STS || p == SENDER_DANE_MTA_STS;
}

/* Runs p's rules on an accepted host: SKIP or ACCEPT with a reason, or
 * PASS with the last note a rule left (or NULL). */
static rule_result apply_rules(sender_profile p, const attempt_view *v)
{
	rule_result last = {RULE_PASS, NULL};

	for (size_t i = 0; profile_rules[p][i]; i++) {
		rule_result r = profile_rules[p][i](v);
		if (r.verdict != RULE_PASS)
			return r;
		if (r.why)
			last = r;
	}
	return last;
}

/* The MX-name rule is checked before connecting: a sender under an enforce
 * policy never even connects to an uncovered host. */
static bool skipped_before_connect(sender_profile p, const attempt_view *v, const char **why)
{
	rule_result r;

	if (!uses_sts(p) || (p == SENDER_DANE_MTA_STS && dane_applies(v)))
		return false;
	r = rule_sts_mx(v);
	*why = r.why;
	return r.verdict == RULE_SKIP;
}

/* Whether the profile (or the MTA's TLS level) needs TLS at this host, so
 * a failed handshake cannot fall back to clear text. */
static bool tls_required(sender_profile p, const mta_params *prm, const attempt_view *v)
{
	const policy_sts *sts = active_policy(v->d);

	if (prm->tls == MTA_TLS_ENCRYPT)
		return true;
	if ((p == SENDER_DANE || p == SENDER_DANE_MTA_STS) && dane_applies(v))
		return true;
	return uses_sts(p) && sts && sts->mode == POLICY_MODE_ENFORCE &&
	       policy_covers(sts, v->h->exchange);
}

/* ---- one walk over one order --------------------------------------------- */

typedef struct walk_ctx {
	const mx_domain *d;
	mta_kind k;
	const mta_params *prm;
	sender_profile p;
} walk_ctx;

/* How one order ended. */
typedef struct walk_end {
	sender_end end;
	long delivered; /* index into the order, or -1 */
	const char *why;
} walk_end;

static const char *rule_text(const walk_ctx *c, mta_case mc)
{
	return mta_rule_for(c->k, c->prm, mc).text;
}

static mta_action rule_action(const walk_ctx *c, mta_case mc)
{
	return mta_rule_for(c->k, c->prm, mc).action;
}

/* The words of a step that moves on: the plain walk's for rfc (so the rfc
 * walk reads as it always did), the MTA's table otherwise. */
static const char *next_rule(const walk_ctx *c, probe_state st)
{
	if (c->k == MTA_RFC)
		return mx_walk_rule(st);
	return rule_text(c, st == PROBE_TEMPFAIL ? MTA_C_GREETING_4XX : MTA_C_CONNECT_FAILED);
}

static bool family_ok(const mta_params *prm, int family)
{
	return !prm->families || prm->families == family;
}

/* Walks list[0..n) (the MTA tries the first ntry); fills steps when not
 * NULL (room for n) and returns how it ended. */
static walk_end walk_order(const walk_ctx *c, const mx_attempt *list, size_t n, size_t ntry,
                           sender_step *steps, size_t *nsteps)
{
	walk_end e = {SENDER_END_DEFERRED, -1, NULL};
	unsigned sessions = 0;
	bool last_5xx = false; /* the last address tried greeted with a 5xx */
	sender_step scratch;

	e.why = c->k == MTA_RFC ? "no address takes the mail: the sender queues it and retries "
	                          "later"
	                        : rule_text(c, ntry < n ? MTA_C_ADDRESS_LIMIT : MTA_C_EXHAUSTED);
	if (nsteps)
		*nsteps = 0;
	for (size_t i = 0; i < ntry; i++) {
		const mx_host *h = mx_domain_host(c->d, list[i].host);
		attempt_view v = {c->d, h, h->addrs[list[i].addr].probe};
		sender_step *s = steps ? &steps[(*nsteps)++] : &scratch;
		rule_result rr = {RULE_PASS, NULL};
		const char *why = NULL;

		s->attempt = i;
		last_5xx = v.r->state == PROBE_REJECTED;
		if (skipped_before_connect(c->p, &v, &why)) {
			s->outcome = SENDER_SKIPPED;
			s->rule = why;
			continue;
		}
		if (v.r->state == PROBE_TLS_FAILED && c->k != MTA_RFC &&
		    !tls_required(c->p, c->prm, &v)) {
			/* opportunistic TLS: the handshake failed, the MTA
			 * reconnects in clear and that session takes the mail */
			s->outcome = SENDER_DELIVERED;
			s->rule = rule_text(c, MTA_C_TLS_FAILED);
			e = (walk_end){SENDER_END_DELIVERED, (long)i, s->rule};
			return e;
		}
		if (v.r->state == PROBE_REJECTED &&
		    rule_action(c, MTA_C_GREETING_5XX) == MTA_A_BOUNCE) {
			s->outcome = SENDER_BOUNCED;
			s->rule = rule_text(c, MTA_C_GREETING_5XX);
			return (walk_end){SENDER_END_BOUNCED, -1, s->rule};
		}
		if (v.r->state != PROBE_ACCEPTED) {
			s->outcome = SENDER_NEXT;
			s->rule = v.r->state == PROBE_REJECTED && c->k != MTA_RFC
			              ? rule_text(c, MTA_C_GREETING_5XX)
			              : next_rule(c, v.r->state);
			continue;
		}
		if (c->prm->tls == MTA_TLS_ENCRYPT && !(v.r->tls.offered && v.r->tls.done)) {
			s->outcome = SENDER_SKIPPED;
			s->rule =
			    "Postfix: smtp_tls_security_level = encrypt and the host offers no "
			    "TLS: skip (postconf(5))";
			continue;
		}
		rr = apply_rules(c->p, &v);
		if (rr.verdict == RULE_SKIP) {
			s->outcome = SENDER_SKIPPED;
			s->rule = rr.why;
			continue;
		}
		if (v.r->rcpt.to) {
			int code = v.r->rcpt.code;
			s->rule = c->k == MTA_RFC ? mx_rcpt_rule(code) : NULL;
			if (code >= 500 && code < 600) {
				s->outcome = SENDER_BOUNCED;
				if (!s->rule)
					s->rule = rule_text(c, MTA_C_RCPT_5XX);
				return (walk_end){SENDER_END_BOUNCED, -1, s->rule};
			}
			if (code >= 400 && code < 500) {
				sessions++;
				if (!s->rule)
					s->rule = rule_text(c, MTA_C_RCPT_4XX);
				if (rule_action(c, MTA_C_RCPT_4XX) != MTA_A_NEXT) {
					s->outcome = SENDER_DEFERRED;
					return (walk_end){SENDER_END_DEFERRED, -1, s->rule};
				}
				s->outcome = SENDER_NEXT;
				if (c->prm->session_limit && sessions >= c->prm->session_limit) {
					e.why = rule_text(c, MTA_C_SESSION_LIMIT);
					return e;
				}
				continue;
			}
			if (code < 200 || code >= 300) {
				s->outcome = SENDER_NEXT;
				if (!s->rule)
					s->rule = mx_rcpt_rule(code);
				continue;
			}
			if (!s->rule)
				s->rule = rule_text(c, MTA_C_ACCEPTED);
		} else {
			s->rule = c->k == MTA_RFC ? mx_walk_rule(PROBE_ACCEPTED)
			                          : rule_text(c, MTA_C_ACCEPTED);
		}
		/* the profile's own note (DANE matched, MTA-STS testing) says
		 * more than "2xx": it is the rule that accepted the host */
		if (rr.why)
			s->rule = rr.why;
		s->outcome = SENDER_DELIVERED;
		return (walk_end){SENDER_END_DELIVERED, (long)i, s->rule};
	}
	if (ntry == n && last_5xx && c->k != MTA_RFC)
		return (walk_end){rule_action(c, MTA_C_EXHAUSTED_5XX) == MTA_A_BOUNCE
		                      ? SENDER_END_BOUNCED
		                      : SENDER_END_DEFERRED,
		                  -1, rule_text(c, MTA_C_EXHAUSTED_5XX)};
	return e;
}

/* ---- the orders an MTA may draw ------------------------------------------- */

/* What gets shuffled: a host (its addresses follow in the model's order,
 * IPv6 first) or, for Postfix, one address. Units of a group are permuted
 * among themselves; groups stay in order. */
typedef struct unit {
	size_t host;
	size_t addr; /* SIZE_MAX: every address of the host */
} unit;

typedef struct plan {
	walk_ctx c;
	unit *units;
	size_t nunits;
	size_t *group_end; /* group g is units[g ? group_end[g-1] : 0, group_end[g]) */
	size_t ngroups;
	mx_attempt *list; /* scratch: one order expanded */
	size_t nlist;     /* every address of every unit */
	/* the outcomes counted so far */
	struct tally {
		walk_end e;
		mx_attempt at; /* the delivering address, when delivered */
		unsigned long count;
	} * tally;
	size_t ntally, captally;
	unsigned long leaves;
	bool nomem;
} plan;

static bool add_unit(plan *pl, size_t host, size_t addr)
{
	unit *nu = realloc(pl->units, (pl->nunits + 1) * sizeof(*nu));

	if (!nu)
		return false;
	pl->units = nu;
	pl->units[pl->nunits++] = (unit){host, addr};
	return true;
}

static bool end_group(plan *pl)
{
	size_t *ng;

	if (pl->ngroups && pl->group_end[pl->ngroups - 1] == pl->nunits)
		return true; /* empty */
	ng = realloc(pl->group_end, (pl->ngroups + 1) * sizeof(*ng));
	if (!ng)
		return false;
	pl->group_end = ng;
	pl->group_end[pl->ngroups++] = pl->nunits;
	return true;
}

static bool seen_ip(const plan *pl, const char *ip)
{
	for (size_t i = 0; i < pl->nunits; i++) {
		const mx_host *h = mx_domain_host(pl->c.d, pl->units[i].host);
		if (pl->units[i].addr != SIZE_MAX &&
		    strcmp(h->addrs[pl->units[i].addr].ip, ip) == 0)
			return true;
	}
	return false;
}

/* Postfix: one preference's addresses, each once, the preferred family's
 * group first when smtp_address_preference names one. */
static bool plan_tier_addresses(plan *pl, const mx_tier *t)
{
	int first = pl->c.prm->addr_pref == MTA_PREF_IPV6   ? 6
	            : pl->c.prm->addr_pref == MTA_PREF_IPV4 ? 4
	                                                    : 0;

	for (int pass = 0; pass < (first ? 2 : 1); pass++) {
		int fam = !first ? 0 : pass == 0 ? first : 10 - first;
		for (size_t k = 0; k < t->nhosts; k++) {
			const mx_host *h = mx_domain_host(pl->c.d, t->hosts[k]);
			for (size_t a = 0; a < h->naddrs; a++) {
				if ((fam && h->addrs[a].family != fam) ||
				    !family_ok(pl->c.prm, h->addrs[a].family))
					continue;
				if (pl->c.prm->dedup && seen_ip(pl, h->addrs[a].ip))
					continue;
				if (!add_unit(pl, t->hosts[k], a))
					return false;
			}
		}
		if (!end_group(pl))
			return false;
	}
	return true;
}

static bool host_has_usable(const plan *pl, const mx_host *h)
{
	for (size_t a = 0; a < h->naddrs; a++)
		if (family_ok(pl->c.prm, h->addrs[a].family))
			return true;
	return false;
}

/* Expands the units in their current order into pl->list; n = its length. */
static size_t expand(plan *pl)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->nunits; i++) {
		const unit *u = &pl->units[i];
		const mx_host *h = mx_domain_host(pl->c.d, u->host);
		if (u->addr != SIZE_MAX) {
			pl->list[n++] = (mx_attempt){u->host, u->addr};
			continue;
		}
		for (size_t a = 0; a < h->naddrs; a++)
			if (family_ok(pl->c.prm, h->addrs[a].family))
				pl->list[n++] = (mx_attempt){u->host, a};
	}
	return n;
}

/* How many of list the MTA tries: its address limit, and Postfix's
 * smtp_balance_inet_protocols: when the limit would leave out one family
 * entirely, its first address takes the last place inside the limit. */
static size_t limit_order(const plan *pl, mx_attempt *list, size_t n)
{
	size_t lim = pl->c.prm->address_limit;
	int fam_in = 0;

	if (!lim || n <= lim)
		return n;
	if (!pl->c.prm->balance)
		return lim;
	for (size_t i = 0; i < lim; i++)
		fam_in |= mx_domain_host(pl->c.d, list[i].host)->addrs[list[i].addr].family;
	if (fam_in == 4 || fam_in == 6)
		for (size_t i = lim; i < n; i++) {
			mx_attempt m = list[i];
			if (mx_domain_host(pl->c.d, m.host)->addrs[m.addr].family == fam_in)
				continue;
			memmove(&list[lim], &list[lim - 1], (i - lim + 1) * sizeof(*list));
			list[lim - 1] = m;
			break;
		}
	return lim;
}

static void count_leaf(plan *pl)
{
	size_t n = expand(pl), ntry = limit_order(pl, pl->list, n);
	walk_end e = walk_order(&pl->c, pl->list, n, ntry, NULL, NULL);
	mx_attempt at = e.delivered >= 0 ? pl->list[e.delivered] : (mx_attempt){SIZE_MAX, 0};

	pl->leaves++;
	for (size_t i = 0; i < pl->ntally; i++) {
		struct tally *t = &pl->tally[i];
		if (t->e.end == e.end && t->e.why == e.why && t->at.host == at.host &&
		    t->at.addr == at.addr) {
			t->count++;
			return;
		}
	}
	if (pl->ntally == pl->captally) {
		size_t cap = pl->captally ? 2 * pl->captally : 8;
		struct tally *nt = realloc(pl->tally, cap * sizeof(*nt));
		if (!nt) {
			pl->nomem = true;
			return;
		}
		pl->tally = nt;
		pl->captally = cap;
	}
	pl->tally[pl->ntally++] = (struct tally){e, at, 1};
}

static void swap_units(unit *a, unit *b)
{
	unit t = *a;
	*a = *b;
	*b = t;
}

/* Every order: the units of group g from position i on, then the next
 * groups; a leaf when all are placed. */
static void permute(plan *pl, size_t g, size_t i)
{
	size_t end;

	if (g == pl->ngroups) {
		count_leaf(pl);
		return;
	}
	end = pl->group_end[g];
	if (i + 1 >= end) {
		permute(pl, g + 1, end);
		return;
	}
	for (size_t j = i; j < end && !pl->nomem; j++) {
		swap_units(&pl->units[i], &pl->units[j]);
		permute(pl, g, i + 1);
		swap_units(&pl->units[i], &pl->units[j]);
	}
}

static void shuffle_groups(plan *pl, uint64_t *state)
{
	size_t from = 0, *idx = malloc((pl->nunits ? pl->nunits : 1) * sizeof(*idx));
	unit *tmp = malloc((pl->nunits ? pl->nunits : 1) * sizeof(*tmp));

	if (!idx || !tmp) {
		pl->nomem = true;
		goto done;
	}
	for (size_t g = 0; g < pl->ngroups; from = pl->group_end[g++]) {
		size_t n = pl->group_end[g] - from;
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		mx_shuffle(idx, n, state);
		for (size_t i = 0; i < n; i++)
			tmp[i] = pl->units[from + idx[i]];
		memcpy(&pl->units[from], tmp, n * sizeof(*tmp));
	}
done:
	free(idx);
	free(tmp);
}

/* The number of orders, or WALK_EXACT + 1 when more. */
static unsigned long order_count(const plan *pl)
{
	unsigned long total = 1;
	size_t from = 0;

	for (size_t g = 0; g < pl->ngroups; from = pl->group_end[g++])
		for (size_t k = 2; k <= pl->group_end[g] - from; k++)
			if ((total *= k) > WALK_EXACT)
				return WALK_EXACT + 1;
	return total;
}

/* ---- the walk --------------------------------------------------------- */

void sender_walk_clear(sender_walk *w)
{
	free(w->steps);
	free(w->attempts);
	free(w->outcomes);
	*w = (sender_walk){.delivered = -1, .end = SENDER_END_DEFERRED, .certain = true};
}

const mx_attempt *sender_walk_attempt(const sender_walk *w, size_t i)
{
	return w && i < w->nattempts ? &w->attempts[i] : NULL;
}

static long index_of(const sender_walk *w, mx_attempt at)
{
	for (size_t i = 0; i < w->nattempts; i++)
		if (w->attempts[i].host == at.host && w->attempts[i].addr == at.addr)
			return (long)i;
	return -1;
}

/* A walk that ends before any address: a domain-level rule. */
static mxs_status end_early(sender_walk *out, sender_end e, const char *why)
{
	out->end = e;
	out->why = why;
	return MXS_OK;
}

/* Whether every address the plan tries has a probe that ended. */
static bool probed(const plan *pl)
{
	for (size_t i = 0; i < pl->nlist; i++) {
		const probe_result *r =
		    mx_domain_host(pl->c.d, pl->list[i].host)->addrs[pl->list[i].addr].probe;
		if (!r || r->state == PROBE_PENDING || r->state == PROBE_ERROR)
			return false;
	}
	return true;
}

/* The units of every preference, in the order the domain's seed drew; a
 * numeric MX target per the MTA's rule. Sets *temporary when a host with
 * no address failed temporarily (or loops). */
static bool build_plan(plan *pl, bool *temporary)
{
	const mx_domain *d = pl->c.d;
	bool literal_use = rule_action(&pl->c, MTA_C_NUMERIC_MX) == MTA_A_USE;

	for (size_t ti = 0; ti < mx_domain_tier_count(d); ti++) {
		const mx_tier *t = mx_domain_tier(d, ti);
		mx_tier kept = {t->preference, NULL, 0};
		size_t *hosts = malloc((t->nhosts ? t->nhosts : 1) * sizeof(*hosts));
		bool ok;

		if (!hosts)
			return false;

		for (size_t k = 0; k < t->nhosts; k++) {
			const mx_host *h = mx_domain_host(d, t->hosts[k]);
			if (mx_is_ip_literal(h->exchange) && !literal_use)
				continue;
			if (!host_has_usable(pl, h)) {
				*temporary = *temporary || h->cname_loop ||
				             mx_rcode_is_temporary(h->a_rc) ||
				             mx_rcode_is_temporary(h->aaaa_rc);
				continue;
			}
			hosts[kept.nhosts++] = t->hosts[k];
		}
		kept.hosts = hosts;
		if (pl->c.prm->shuffle_addr) {
			ok = plan_tier_addresses(pl, &kept);
		} else {
			ok = true;
			for (size_t k = 0; ok && k < kept.nhosts; k++)
				ok = add_unit(pl, kept.hosts[k], SIZE_MAX);
			ok = ok && end_group(pl);
		}
		free(hosts);
		if (!ok)
			return false;
	}
	for (size_t i = 0; i < pl->nunits; i++)
		pl->nlist += pl->units[i].addr != SIZE_MAX
		                 ? 1
		                 : mx_domain_host(d, pl->units[i].host)->naddrs;
	pl->list = malloc((pl->nlist ? pl->nlist : 1) * sizeof(*pl->list));
	if (!pl->list)
		return false;
	pl->nlist = expand(pl);
	return true;
}

static void plan_free(plan *pl)
{
	free(pl->units);
	free(pl->group_end);
	free(pl->list);
	free(pl->tally);
}

/* The shares: every order counted, or seeded draws past WALK_EXACT. */
static mxs_status tally_orders(plan *pl, sender_walk *out, uint64_t seed)
{
	unit *base = malloc((pl->nunits ? pl->nunits : 1) * sizeof(*base));

	if (!base)
		return MXS_ERR_NOMEM;
	memcpy(base, pl->units, pl->nunits * sizeof(*base));
	if (order_count(pl) <= WALK_EXACT) {
		permute(pl, 0, 0);
	} else {
		uint64_t state = seed ^ 0x6d74615f64726177ULL;
		out->estimated = true;
		for (unsigned i = 0; i < WALK_DRAWS && !pl->nomem; i++) {
			memcpy(pl->units, base, pl->nunits * sizeof(*base));
			shuffle_groups(pl, &state);
			count_leaf(pl);
		}
	}
	memcpy(pl->units, base, pl->nunits * sizeof(*base));
	free(base);
	return pl->nomem ? MXS_ERR_NOMEM : MXS_OK;
}

/* Sets the walk's end to the most likely outcome and, when there is more
 * than one, lists them all, most likely first (the seed's draw first among
 * equals). */
static mxs_status take_outcomes(plan *pl, sender_walk *out, walk_end seeded)
{
	mx_attempt sat =
	    seeded.delivered >= 0 ? out->attempts[seeded.delivered] : (mx_attempt){SIZE_MAX, 0};

	/* the seed's own outcome first, then by count (a stable insertion sort) */
	for (size_t i = 0; i < pl->ntally; i++) {
		struct tally *t = &pl->tally[i];
		if (t->e.end == seeded.end && t->e.why == seeded.why && t->at.host == sat.host &&
		    t->at.addr == sat.addr && i) {
			struct tally s = *t;
			memmove(&pl->tally[1], &pl->tally[0], i * sizeof(*t));
			pl->tally[0] = s;
		}
	}
	for (size_t i = 1; i < pl->ntally; i++) {
		struct tally t = pl->tally[i];
		size_t j = i;
		while (j > 0 && pl->tally[j - 1].count < t.count) {
			pl->tally[j] = pl->tally[j - 1];
			j--;
		}
		pl->tally[j] = t;
	}
	if (!pl->ntally)
		return MXS_OK;
	out->end = pl->tally[0].e.end;
	out->why = pl->tally[0].e.why;
	out->delivered =
	    pl->tally[0].e.end == SENDER_END_DELIVERED ? index_of(out, pl->tally[0].at) : -1;
	out->certain = pl->ntally == 1;
	if (out->certain)
		return MXS_OK;
	out->outcomes = calloc(pl->ntally, sizeof(*out->outcomes));
	if (!out->outcomes)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < pl->ntally; i++) {
		const struct tally *t = &pl->tally[i];
		out->outcomes[out->noutcomes++] = (sender_chance){
		    .share = (double)t->count / (double)pl->leaves,
		    .end = t->e.end,
		    .delivered = t->e.end == SENDER_END_DELIVERED ? index_of(out, t->at) : -1,
		    .why = t->e.why};
	}
	return MXS_OK;
}

mxs_status sender_walk_mta(const mx_domain *d, mta_kind k, const mta_params *prm, sender_profile p,
                           sender_walk *out)
{
	mta_params defaults;
	plan pl = {0};
	bool temporary = false;
	size_t nnull = 0, ntry;
	uint64_t state;
	walk_end seeded;
	mxs_status st = MXS_OK;

	*out = (sender_walk){.delivered = -1, .end = SENDER_END_DEFERRED, .certain = true};
	if ((unsigned)p >= SENDER_COUNT || (unsigned)k >= MTA_COUNT)
		return MXS_ERR_INVALID;
	if (!prm) {
		mta_params_default(k, &defaults);
		prm = &defaults;
	}
	pl.c = (walk_ctx){d, k, prm, p};
	if (mx_domain_null_mx(d))
		return MXS_ERR_INVALID; /* a valid null MX: "no mail", nothing to walk */
	if (mx_domain_mx_rcode(d) != MX_RC_OK && !mx_domain_implicit_mx(d))
		return MXS_ERR_INVALID; /* no MX answer: nothing to walk */
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		nnull += mx_domain_host(d, i)->exchange[0] == '\0';
	if (nnull && rule_action(&pl.c, MTA_C_NULL_MX_MIXED) == MTA_A_BOUNCE)
		return end_early(out, SENDER_END_BOUNCED, rule_text(&pl.c, MTA_C_NULL_MX_MIXED));
	if (rule_action(&pl.c, MTA_C_NUMERIC_MX) == MTA_A_BOUNCE)
		for (size_t ti = 0; ti < mx_domain_tier_count(d); ti++) {
			const mx_tier *t = mx_domain_tier(d, ti);
			for (size_t h = 0; h < t->nhosts; h++)
				if (mx_is_ip_literal(mx_domain_host(d, t->hosts[h])->exchange))
					return end_early(out, SENDER_END_BOUNCED,
					                 rule_text(&pl.c, MTA_C_NUMERIC_MX));
		}
	if (!build_plan(&pl, &temporary)) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	if (!probed(&pl)) {
		st = MXS_ERR_INVALID;
		goto done;
	}
	if (pl.nlist == 0) {
		st =
		    end_early(out, temporary ? SENDER_END_DEFERRED : SENDER_END_BOUNCED,
		              rule_text(&pl.c, temporary ? MTA_C_DNS_TEMPORARY : MTA_C_NO_ADDRESS));
		goto done;
	}
	/* the seed's draw: hosts come shuffled in the tiers; addresses
	 * (Postfix) are shuffled here from the same seed */
	state = mx_seed_for(mx_domain_seed(d), mx_domain_name(d)) ^ 0x61646472ULL;
	if (prm->shuffle_addr)
		shuffle_groups(&pl, &state);
	out->attempts = malloc(pl.nlist * sizeof(*out->attempts));
	out->steps = calloc(pl.nlist, sizeof(*out->steps));
	if (!out->attempts || !out->steps || pl.nomem) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	out->nattempts = expand(&pl);
	memcpy(out->attempts, pl.list, out->nattempts * sizeof(*out->attempts));
	ntry = limit_order(&pl, out->attempts, out->nattempts);
	seeded = walk_order(&pl.c, out->attempts, out->nattempts, ntry, out->steps, &out->nsteps);
	out->end = seeded.end;
	out->why = seeded.why;
	out->delivered = seeded.delivered;
	if (order_count(&pl) > 1) {
		st = tally_orders(&pl, out, state);
		if (st == MXS_OK)
			st = take_outcomes(&pl, out, seeded);
	}
done:
	if (st != MXS_OK)
		sender_walk_clear(out);
	plan_free(&pl);
	return st;
}

mxs_status sender_walk_run(const mx_domain *d, sender_profile p, sender_walk *out)
{
	return sender_walk_mta(d, MTA_RFC, NULL, p, out);
}

/* ---- the --rcpt argument ------------------------------------------------ */

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool sender_rcpt_valid(const char *arg, char **why)
{
	const char *at = strchr(arg, '@');
	size_t local = at ? (size_t)(at - arg) : strlen(arg);

	if (local == 0 || local > 64) {
		mxs_why(why, "--rcpt: the local part must be 1 to 64 characters");
		return false;
	}
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)arg[i];
		bool dot_ok = c == '.' && i > 0 && i + 1 < local && arg[i - 1] != '.';
		if (!atext(c) && !dot_ok) {
			mxs_why(why,
			        "--rcpt: the local part must be letters, digits, dots between them "
			        "and !#$%%&'*+-/=?^_`{|}~ (RFC 5321 §4.1.2)");
			return false;
		}
	}
	if (at && !mx_name_is_host(at + 1, strlen(at + 1))) {
		mxs_why(why, "--rcpt: after the @ must come a host name");
		return false;
	}
	return true;
}

bool sender_rcpt_address(const char *arg, const char *domain, char *out, size_t cap)
{
	int n = strchr(arg, '@') ? snprintf(out, cap, "%s", arg)
	                         : snprintf(out, cap, "%s@%s", arg, domain);
	return n > 0 && (size_t)n < cap;
}
