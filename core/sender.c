/* core/sender.c — the delivery walk per sender profile (see sender.h). The
 * rules are a table of checks each profile runs on an accepted host, so a
 * new rule is a new row, not another branch in the walk. */
#include "sender.h"

#include <stdlib.h>
#include <string.h>

#include "mx.h"
#include "name.h"

#include <stdio.h>

/* Each profile once: its name (a JSON key) and who sends that way. */
static const struct {
	const char *name, *who;
} profiles[SENDER_COUNT] = {
    [SENDER_OPPORTUNISTIC] = {"opportunistic", "most MTAs: STARTTLS when offered (RFC 7435)"},
    [SENDER_MTA_STS] = {"mta-sts", "mailbox providers: MTA-STS policies (RFC 8461)"},
    [SENDER_DANE] = {"dane", "DANE senders: TLSA (RFC 7672), else MTA-STS"},
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
    [SENDER_DANE] = {rule_dane, rule_sts_mx, rule_sts_cert, NULL},
};

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

	if (p == SENDER_OPPORTUNISTIC)
		return false;
	if (p == SENDER_DANE && dane_applies(v))
		return false;
	r = rule_sts_mx(v);
	*why = r.why;
	return r.verdict == RULE_SKIP;
}

void sender_walk_clear(sender_walk *w)
{
	free(w->steps);
	*w = (sender_walk){.delivered = -1, .end = SENDER_END_DEFERRED};
}

mxs_status sender_walk_run(const mx_domain *d, sender_profile p, sender_walk *out)
{
	size_t n = mx_domain_attempt_count(d);

	*out = (sender_walk){.delivered = -1, .end = SENDER_END_DEFERRED};
	if (!mx_domain_walked(d) || (unsigned)p >= SENDER_COUNT)
		return MXS_ERR_INVALID;
	out->steps = calloc(n ? n : 1, sizeof(*out->steps));
	if (!out->steps)
		return MXS_ERR_NOMEM;
	out->why = "no address takes the mail: the sender queues it and retries later";
	for (size_t i = 0; i < n; i++) {
		const mx_attempt *a = mx_domain_attempt(d, i);
		const mx_host *h = mx_domain_host(d, a->host);
		attempt_view v = {d, h, h->addrs[a->addr].probe};
		sender_step *s = &out->steps[out->nsteps++];
		rule_result rr;
		const char *why = NULL;

		s->attempt = i;
		if (skipped_before_connect(p, &v, &why)) {
			s->outcome = SENDER_SKIPPED;
			s->rule = why;
			continue;
		}
		if (v.r->state != PROBE_ACCEPTED) {
			s->outcome = SENDER_NEXT;
			s->rule = mx_walk_rule(v.r->state);
			continue;
		}
		rr = apply_rules(p, &v);
		if (rr.verdict == RULE_SKIP) {
			s->outcome = SENDER_SKIPPED;
			s->rule = rr.why;
			continue;
		}
		if (v.r->rcpt.to) {
			int c = v.r->rcpt.code;
			s->rule = mx_rcpt_rule(c);
			if (c >= 500 && c < 600) {
				s->outcome = SENDER_BOUNCED;
				out->end = SENDER_END_BOUNCED;
				out->why = s->rule;
				return MXS_OK;
			}
			if (c >= 400 && c < 500) {
				s->outcome = SENDER_DEFERRED;
				out->why = s->rule;
				return MXS_OK;
			}
			if (c < 200 || c >= 300) {
				s->outcome = SENDER_NEXT;
				continue;
			}
		} else {
			s->rule = mx_walk_rule(PROBE_ACCEPTED);
		}
		/* the profile's own note (DANE matched, MTA-STS testing) says
		 * more than "2xx": it is the rule that accepted the host */
		if (rr.why)
			s->rule = rr.why;
		s->outcome = SENDER_DELIVERED;
		out->delivered = (long)i;
		out->end = SENDER_END_DELIVERED;
		out->why = s->rule;
		return MXS_OK;
	}
	return MXS_OK;
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
