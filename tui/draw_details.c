/* tui/draw_details.c — the details pane's parts about what real senders
 * look at: the walk as the chosen sender profile makes
 * it (which rule skipped which host), the domain's DNSSEC status, MTA-STS
 * policy and TLS-RPT, the authoritative servers side by side, each host's
 * TLSA records, and each probe's certificate, DANE verdict and RCPT answer.
 * Drawn from the model alone, like draw.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx_auth.h"
#include "policy.h"
#include "sender.h"
#include "tui_int.h"

/* The walk the pane follows: the chosen profile's, or the plain one when
 * the analysis kept no profile walks (a recording of an older version). */
static const sender_walk *walk_of(const tui_model *m, const tui_entry *e)
{
	return e->d ? mx_domain_walk(e->d, (mta_kind)m->mta, (sender_profile)m->sender) : NULL;
}

/* The attempt of the walk, or of the plain walk when there is none. */
static const mx_attempt *walk_attempt(const tui_entry *e, const sender_walk *w, size_t i)
{
	return w ? sender_walk_attempt(w, i) : mx_domain_attempt(e->d, i);
}

/* Where a walk's attempt is in the domain's attempt order (which the tiers
 * pane marks), or the count when it is not there (a numeric MX target
 * Postfix tries). */
static size_t domain_index(const tui_entry *e, const sender_walk *w, size_t i)
{
	const mx_attempt *a = walk_attempt(e, w, i);

	for (size_t k = 0; a && k < mx_domain_attempt_count(e->d); k++)
		if (mx_domain_attempt(e->d, k)->host == a->host &&
		    mx_domain_attempt(e->d, k)->addr == a->addr)
			return k;
	return mx_domain_attempt_count(e->d);
}

size_t tui_walk_steps(const tui_model *m, const tui_entry *e)
{
	const sender_walk *w = walk_of(m, e);
	return w ? w->nsteps : e->d ? mx_domain_step_count(e->d) : 0;
}

/* The attempt step i of the followed walk tries. */
static size_t step_attempt(const tui_model *m, const tui_entry *e, size_t i)
{
	const sender_walk *w = walk_of(m, e);
	return w ? w->steps[i].attempt : mx_domain_step(e->d, i)->attempt;
}

long tui_walk_cur(const tui_model *m, const tui_entry *e)
{
	size_t steps, last;

	if (!m->walk.active || m->walk.e != e || !e->d || !mx_domain_walked(e->d) ||
	    m->walk.shown < 1)
		return -1;
	steps = tui_walk_steps(m, e);
	if (!steps)
		return -1;
	if (m->walk.shown <= steps)
		return (long)domain_index(e, walk_of(m, e), step_attempt(m, e, m->walk.shown - 1));
	/* the end: every attempt tried, or the walk stopped early (delivered,
	 * bounced, deferred at RCPT) and the mark stays where it stopped, so
	 * the addresses after it are not marked as tried */
	last = domain_index(e, walk_of(m, e), step_attempt(m, e, steps - 1));
	return last + 1 < mx_domain_attempt_count(e->d) ? (long)last
	                                                : (long)mx_domain_attempt_count(e->d);
}

const mx_attempt *tui_delivered(const tui_model *m, const tui_entry *e)
{
	const sender_walk *w = walk_of(m, e);

	if (!e->d)
		return NULL;
	if (!w)
		return mx_domain_delivered(e->d);
	return w->delivered >= 0 ? sender_walk_attempt(w, (size_t)w->delivered) : NULL;
}

/* One step of a profile's walk, below its "N. pref host ip" line: what the
 * sender did there and why, coloured by what it did. The probe keeps its
 * own colour in the tiers pane; here a host a rule refused is never in the
 * ok role, even when its probe was accepted. */
static void walk_step(const tui_model *m, const tui_entry *e, const sender_step *s, probe_state st,
                      const probe_result *p, tui_lines *L)
{
	const char *prof = sender_profile_name((sender_profile)m->sender);
	char nb[PROBE_RCPT_REPLY_MAX * 4 + 16];

	(void)e;
	switch (s->outcome) {
	case SENDER_SKIPPED:
		tui_addl(L, THEME_DIM, "   probe: %s (what any sender would meet)",
		         probe_state_word(st));
		tui_addl(L, THEME_ERROR, "   skipped by %s: %s", prof, s->rule);
		break;
	case SENDER_BOUNCED:
	case SENDER_DEFERRED:
		if (!p || !p->rcpt.to) { /* an MTA's rule: a 5xx greeting, a limit */
			tui_addl(L, s->outcome == SENDER_BOUNCED ? THEME_ERROR : THEME_WARN,
			         "   %s: %s", probe_state_word(st), s->rule);
			break;
		}
		/* greeted fine, then the RCPT answer ended the walk */
		tui_addl(L, s->outcome == SENDER_BOUNCED ? THEME_ERROR : THEME_WARN,
		         "   %s at RCPT: %d %s", s->outcome == SENDER_BOUNCED ? "bounce" : "defer",
		         p ? p->rcpt.code : 0,
		         p && p->rcpt.reply ? tui_san(p->rcpt.reply, nb, sizeof(nb)) : "");
		/* the reference docs/findings.md gives rcpt-rejected and rcpt-tempfail */
		tui_addl(L, s->outcome == SENDER_BOUNCED ? THEME_ERROR : THEME_WARN,
		         "   %s (RFC 5321 §4.2.1)", s->rule);
		break;
	case SENDER_DELIVERED:
		tui_addl(L, THEME_OK, "   %s: %s", probe_state_word(st), s->rule);
		break;
	default:
		tui_addl(L, st == PROBE_ACCEPTED ? THEME_WARN : tui_state_role(st), "   %s: %s",
		         probe_state_word(st), s->rule);
		break;
	}
}

/* A walk whose end is a coin toss: each end with its share. */
static void walk_chances(const tui_entry *e, const sender_walk *w, tui_lines *L)
{
	char nb[600];

	tui_addl(L, THEME_WARN, "=> not certain: the end depends on the order the MTA draws%s",
	         w->estimated ? " (shares from seeded draws)" : "");
	for (size_t i = 0; i < w->noutcomes; i++) {
		const sender_chance *c = &w->outcomes[i];
		const mx_attempt *a =
		    c->delivered >= 0 ? sender_walk_attempt(w, (size_t)c->delivered) : NULL;
		int role = c->end == SENDER_END_DELIVERED ? THEME_OK
		           : c->end == SENDER_END_BOUNCED ? THEME_ERROR
		                                          : THEME_WARN;
		if (a)
			tui_addl(L, role, "   %3.0f%% delivered to %s (%s)", c->share * 100,
			         tui_san(mx_domain_host(e->d, a->host)->exchange, nb, sizeof(nb)),
			         mx_domain_host(e->d, a->host)->addrs[a->addr].ip);
		else
			tui_addl(L, role, "   %3.0f%% %s", c->share * 100, sender_end_word(c->end));
		tui_addl(L, THEME_DIM, "        %s", c->why);
	}
}

/* The walk's last line: where the mail ends for this sender, and why; the
 * step above it already gave the rule. */
static void walk_end(const tui_entry *e, const sender_walk *w, tui_lines *L)
{
	char nb[600];
	const sender_step *last = w && w->nsteps ? &w->steps[w->nsteps - 1] : NULL;
	const mx_attempt *dv =
	    w ? (w->delivered >= 0 ? sender_walk_attempt(w, (size_t)w->delivered) : NULL)
	      : mx_domain_delivered(e->d);
	bool at_rcpt = last && last->rule && strstr(last->rule, "RCPT") &&
	               (last->outcome == SENDER_BOUNCED || last->outcome == SENDER_DEFERRED);

	if (at_rcpt)
		dv = sender_walk_attempt(w, last->attempt);
	if (w && !w->certain) {
		walk_chances(e, w, L);
	} else if (w && w->end != SENDER_END_DELIVERED && !at_rcpt &&
	           (!w->nsteps || w->end == SENDER_END_BOUNCED || !strstr(w->why, "no address"))) {
		/* a rule of the MTA ended it (null MX, a limit, a 5xx greeting) */
		tui_addl(L, w->end == SENDER_END_BOUNCED ? THEME_ERROR : THEME_WARN, "=> %s: %s",
		         sender_end_word(w->end), w->why);
	} else if (dv && !at_rcpt) {
		const mx_host *h = mx_domain_host(e->d, dv->host);
		tui_addl(L, THEME_WALK_DONE, "=> delivered to %s (%s)",
		         tui_san(h->exchange, nb, sizeof(nb)), h->addrs[dv->addr].ip);
	} else if (at_rcpt) {
		const mx_host *h = mx_domain_host(e->d, dv->host);
		bool bounced = last->outcome == SENDER_BOUNCED;
		tui_addl(L, bounced ? THEME_ERROR : THEME_WARN, "=> %s at %s (%s): %s",
		         bounced ? "bounce" : "deferred", tui_san(h->exchange, nb, sizeof(nb)),
		         h->addrs[dv->addr].ip,
		         bounced ? "no other host is tried" : "the sender retries later");
	} else if (!w) {
		tui_addl(L, THEME_ERROR, "=> no host accepts: the mail stays queued or bounces");
	} else {
		tui_addl(
		    L, THEME_ERROR,
		    "=> no host accepts: every host failed or was skipped, the mail is deferred");
	}
}

void tui_detail_walk(tui_model *m, const tui_entry *e, tui_lines *L)
{
	char nb[600];
	const sender_walk *w = walk_of(m, e);
	size_t steps = tui_walk_steps(m, e);

	tui_addl(L, THEME_TITLE, "Delivery walk of %s, seed %llu", e->name,
	         (unsigned long long)e->seed);
	tui_addl(L, THEME_DIM, "as %s sender%s%s (S%s: another)  step every %.1f s%s",
	         sender_profile_name((sender_profile)m->sender), m->mta != MTA_RFC ? " as " : "",
	         m->mta != MTA_RFC ? mta_name((mta_kind)m->mta) : "",
	         m->mta != MTA_RFC ? ", M" : "", m->walk.speed_ms / 1000.0,
	         m->walk.paused ? "  PAUSED" : "");
	if (w && !w->nsteps) {
		/* the MTA ended it before any address (null MX, no address) */
		walk_end(e, w, L);
		return;
	}
	if (!w && !mx_domain_walked(e->d)) {
		tui_addl(L, THEME_PENDING,
		         "waiting for the probes of every address in the attempt order...");
		return;
	}
	for (size_t i = 0; i < m->walk.shown && i < steps; i++) {
		size_t ai = step_attempt(m, e, i);
		const mx_attempt *at = walk_attempt(e, w, ai);
		const mx_host *h = mx_domain_host(e->d, at->host);
		const probe_result *p = h->addrs[at->addr].probe;
		probe_state st = p ? p->state : PROBE_PENDING;
		bool cur = i + 1 == m->walk.shown;

		if (i == 0)
			m->walk.pin = L->n; /* the first step's (first) line, kept in sight */
		tui_addl(L, cur ? THEME_WALK_CURRENT : THEME_NORMAL, "%zu. pref %u %s %s", i + 1,
		         (unsigned)h->preference, tui_san(h->exchange, nb, sizeof(nb)),
		         h->addrs[at->addr].ip);
		if (!w) {
			const mx_step *ms = mx_domain_step(e->d, i);
			tui_addl(L, tui_state_role(ms->state), "   %s: %s",
			         probe_state_word(ms->state), ms->rule);
		} else {
			walk_step(m, e, &w->steps[i], st, p, L);
		}
		if (i + 1 < steps && walk_attempt(e, w, ai + 1)) {
			const mx_attempt *nx = walk_attempt(e, w, ai + 1);
			if (nx->host != at->host &&
			    mx_domain_host(e->d, nx->host)->preference == h->preference)
				tui_addl(L, THEME_INFO, "   same preference: order is random");
		}
	}
	if (m->walk.shown <= steps)
		return;
	walk_end(e, w, L);
}

/* Where each profile's walk ends, one line each, the followed one marked. */
static void sender_ends(const tui_model *m, const tui_entry *e, tui_lines *L)
{
	char nb[600];
	bool any = false;

	for (int p = 0; p < SENDER_COUNT; p++) {
		const sender_walk *w = mx_domain_walk(e->d, (mta_kind)m->mta, (sender_profile)p);
		size_t skipped = 0;
		if (!w)
			continue;
		if (!any)
			tui_addl(L, THEME_TITLE, "Senders%s%s (S picks the one the walk follows)",
			         m->mta != MTA_RFC ? " as " : "",
			         m->mta != MTA_RFC ? mta_name((mta_kind)m->mta) : "");
		any = true;
		for (size_t i = 0; i < w->nsteps; i++)
			skipped += w->steps[i].outcome == SENDER_SKIPPED;
		if (w->delivered >= 0) {
			const mx_attempt *at = sender_walk_attempt(w, (size_t)w->delivered);
			const mx_host *h = mx_domain_host(e->d, at->host);
			tui_addl(L, THEME_OK, "%s %-13s -> %s (%s)%s", p == m->sender ? ">" : " ",
			         sender_profile_name((sender_profile)p),
			         tui_san(h->exchange, nb, sizeof(nb)), h->addrs[at->addr].ip,
			         w->certain ? "" : "  not certain");
		} else if (!w->nsteps || !w->certain) {
			tui_addl(L, w->end == SENDER_END_BOUNCED ? THEME_ERROR : THEME_WARN,
			         "%s %-13s %s%s: %s", p == m->sender ? ">" : " ",
			         sender_profile_name((sender_profile)p), sender_end_word(w->end),
			         w->certain ? "" : " (not certain)", w->why);
		} else if (w->nsteps && (w->steps[w->nsteps - 1].outcome == SENDER_BOUNCED ||
		                         w->steps[w->nsteps - 1].outcome == SENDER_DEFERRED)) {
			const sender_step *st = &w->steps[w->nsteps - 1];
			const mx_attempt *at = sender_walk_attempt(w, st->attempt);
			tui_addl(L, st->outcome == SENDER_BOUNCED ? THEME_ERROR : THEME_WARN,
			         "%s %-13s %s at RCPT of %s (%s)", p == m->sender ? ">" : " ",
			         sender_profile_name((sender_profile)p),
			         st->outcome == SENDER_BOUNCED ? "bounce" : "deferred",
			         tui_san(mx_domain_host(e->d, at->host)->exchange, nb, sizeof(nb)),
			         mx_domain_host(e->d, at->host)->addrs[at->addr].ip);
		} else if (tui_egress_judged(e->d)) {
			/* the timeouts are this network's, not the hosts': no verdict */
			tui_addl(L, THEME_WARN, "%s %-13s not judged: port 25 blocked from here",
			         p == m->sender ? ">" : " ",
			         sender_profile_name((sender_profile)p));
		} else {
			tui_addl(
			    L, THEME_ERROR, "%s %-13s deferred: every host failed or was skipped",
			    p == m->sender ? ">" : " ", sender_profile_name((sender_profile)p));
		}
		/* which rule skipped which host */
		for (size_t i = 0; i < w->nsteps; i++) {
			const mx_attempt *at = sender_walk_attempt(w, w->steps[i].attempt);
			if (w->steps[i].outcome != SENDER_SKIPPED)
				continue;
			tui_addl(L, THEME_WARN, "    skips %s (%s): %s",
			         tui_san(mx_domain_host(e->d, at->host)->exchange, nb, sizeof(nb)),
			         mx_domain_host(e->d, at->host)->addrs[at->addr].ip,
			         w->steps[i].rule);
		}
	}
}

static void mta_sts_lines(const mx_domain *d, tui_lines *L)
{
	const mx_mta_sts *st = mx_domain_mta_sts(d);
	const char *rpt = mx_domain_tls_rpt(d);
	char nb[1200];

	if (!st && !rpt)
		return;
	tui_addl(L, THEME_TITLE, "MTA-STS (RFC 8461)");
	if (st && !st->txt) {
		tui_addl(L, THEME_DIM, "  no _mta-sts TXT record: no policy");
	} else if (st) {
		tui_addl(L, THEME_NORMAL, "  TXT %s", tui_san(st->txt, nb, sizeof(nb)));
		if (st->policy) {
			const policy_sts *p = st->policy;
			size_t o = 0;
			nb[0] = '\0';
			for (size_t i = 0; i < p->nmx && o + 2 < sizeof(nb) / 2; i++) {
				char one[300];
				o += (size_t)snprintf(nb + o, sizeof(nb) - o, "%s%s", i ? " " : "",
				                      tui_san(p->mx[i], one, sizeof(one)));
			}
			tui_addl(L,
			         p->mode == POLICY_MODE_ENFORCE   ? THEME_OK
			         : p->mode == POLICY_MODE_TESTING ? THEME_WARN
			                                          : THEME_DIM,
			         "  mode %s, max_age %lu s", policy_mode_str(p->mode), p->max_age);
			tui_addl(L, THEME_NORMAL, "  mx %s", p->nmx ? nb : "(none)");
		}
		if (st->error)
			/* mta-sts-policy-unavailable is a warning: senders go on
			 * without a policy */
			tui_addl(L, THEME_WARN, "  policy error: %s",
			         tui_san(st->error, nb, sizeof(nb)));
	}
	if (rpt)
		tui_addl(L, THEME_NORMAL, "  TLS-RPT %s", tui_san(rpt, nb, sizeof(nb)));
	else if (st)
		tui_addl(L, THEME_DIM, "  TLS-RPT: none published");
}

/* The authoritative-* finding about subject (a server's address, or
 * "resolver"), or NULL: the table says what the findings pane says, in the
 * same colour (core/mx_auth.c judges, once). */
static const mx_finding *auth_finding(const mx_domain *d, const char *subject)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if ((f->id == MX_F_AUTHORITATIVE_MISMATCH || f->id == MX_F_AUTHORITATIVE_LAME) &&
		    strcmp(f->subject, subject) == 0)
			return f;
	}
	return NULL;
}

static theme_role severity_role(const mx_finding *f, theme_role none)
{
	return !f                              ? none
	       : f->severity == MX_SEV_ERROR   ? THEME_ERROR
	       : f->severity == MX_SEV_WARNING ? THEME_WARN
	                                       : THEME_INFO;
}

/* "10 a.example, 20 b.example" into out (sanitised), bounded. */
static const char *mx_set(char *const *l, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t k = 0; k < n && o + 2 < cap / 2; k++) {
		char one[300];
		o += (size_t)snprintf(out + o, cap - o, "%s%s", k ? ", " : "",
		                      tui_san(l[k], one, sizeof(one)));
	}
	return out;
}

/* The V key (or --authoritative): every address of every NS of the zone
 * asked directly, a row each; a server that disagrees or is lame is in
 * the warning colour and its finding follows the table, naming server and
 * serial; then the resolver's cached answer and how long it may stay. */
static void auth_lines(const tui_entry *e, tui_lines *L)
{
	const mx_auth *au = mx_domain_auth(e->d);
	const mx_finding *rf;
	char nb[600], mx[600];
	size_t nsw = 2, ipw = 7; /* "NS", "address" */

	if (!au) {
		if (e->auth_asked)
			tui_addl(L, THEME_PENDING, "Authoritative servers: asked, waiting...");
		return;
	}
	tui_addl(L, THEME_TITLE, "Authoritative servers of %s (NS %s)",
	         tui_san(au->zone, nb, sizeof(nb)), mx_rcode_str(au->ns_rc));
	/* columns as wide as their widest entry: the MX set keeps the room */
	for (size_t i = 0; i < au->nsrv; i++) {
		size_t n = strlen(tui_san(au->srv[i].ns, nb, sizeof(nb)));
		nsw = n > nsw ? n : nsw;
		ipw = strlen(au->srv[i].ip) > ipw ? strlen(au->srv[i].ip) : ipw;
	}
	if (!au->nsrv)
		tui_addl(L, THEME_WARN, "  no name server address to ask");
	else
		tui_addl(L, THEME_DIM, "  %-*s %-*s %-10s %-9s %-3s %s", (int)nsw, "NS", (int)ipw,
		         "address", "serial", "rcode", "AA", "MX");
	for (size_t i = 0; i < au->nsrv; i++) {
		const mx_auth_server *sv = &au->srv[i];
		const mx_finding *f = auth_finding(e->d, sv->ip);
		char serial[16] = "-";
		if (sv->has_serial)
			snprintf(serial, sizeof(serial), "%lu", (unsigned long)sv->serial);
		tui_addl(L, severity_role(f, THEME_NORMAL), "  %-*s %-*s %-10s %-9s %-3s %s",
		         (int)nsw, tui_san(sv->ns, nb, sizeof(nb)), (int)ipw, sv->ip, serial,
		         mx_rcode_str(sv->rc), sv->aa ? "yes" : "no",
		         sv->nmx                        ? mx_set(sv->mx, sv->nmx, mx, sizeof(mx))
		         : sv->rc == MX_RC_TIMEOUT      ? "no answer"
		         : sv->mx_rc == MX_RC_NOT_ASKED ? "-"
		                                        : mx_rcode_str(sv->mx_rc));
	}
	rf = auth_finding(e->d, "resolver");
	tui_addl(L, severity_role(rf, THEME_INFO),
	         "  resolver's cached MX: %s, TTL %lu s left when asked",
	         au->nresolver_mx ? mx_set(au->resolver_mx, au->nresolver_mx, mx, sizeof(mx))
	                          : mx_rcode_str(au->resolver_rc),
	         (unsigned long)au->resolver_ttl);
	if (!rf && au->nresolver_mx)
		tui_addl(L, THEME_INFO, "  a changed MX reaches senders in at most %lu s",
		         (unsigned long)au->resolver_ttl);
	/* what the findings pane says about them, in full */
	for (size_t i = 0; i < mx_domain_finding_count(e->d); i++) {
		const mx_finding *f = mx_domain_finding(e->d, i);
		if (f->id == MX_F_AUTHORITATIVE_MISMATCH || f->id == MX_F_AUTHORITATIVE_LAME)
			tui_addl(L, severity_role(f, THEME_WARN), "  %s: %s", f->code,
			         tui_san(f->message, nb, sizeof(nb)));
	}
}

bool tui_egress_judged(const mx_domain *d)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++)
		if (mx_domain_finding(d, i)->id == MX_F_EGRESS_BLOCKED)
			return true;
	return false;
}

void tui_details_domain_senders(const tui_model *m, const tui_entry *e, tui_lines *L)
{
	mx_dnssec ds = mx_domain_dnssec(e->d);

	/* asked for with V: first, where the key's user looks */
	auth_lines(e, L);
	sender_ends(m, e, L);
	if (mx_dnssec_str(ds))
		tui_addl(L,
		         ds == MX_DNSSEC_SECURE  ? THEME_OK
		         : ds == MX_DNSSEC_BOGUS ? THEME_ERROR
		                                 : THEME_NORMAL,
		         "DNSSEC: MX answer %s", mx_dnssec_str(ds));
	/* the lab answers with AD for the zones a scenario marks as signed: no
	 * signature was checked, and a person should not learn otherwise */
	if (ds == MX_DNSSEC_SECURE && m->lab && e->scenario >= 0)
		tui_addl(L, THEME_DIM,
		         "  the lab vouches for signed zones; real validation comes from the "
		         "resolver");
	mta_sts_lines(e->d, L);
}

void tui_details_tlsa(const mx_host *h, tui_lines *L)
{
	char nb[600];

	if (!h->tlsa)
		return;
	tui_addl(L, THEME_TITLE, "TLSA _25._tcp.%s (%s)", tui_san(h->exchange, nb, sizeof(nb)),
	         h->tlsa->secure ? "DNSSEC-secure" : "insecure: shown, ignored");
	if (!h->tlsa->nrecords)
		tui_addl(L, THEME_DIM, "  none published");
	for (size_t i = 0; i < h->tlsa->nrecords; i++)
		tui_addl(L, h->tlsa->secure ? THEME_NORMAL : THEME_DIM, "  %s",
		         tui_san(h->tlsa->records[i], nb, sizeof(nb)));
}

/* The certificate whole, also when it does not verify: a failed
 * verification is a verdict on it, not a reason to hide it. */
void tui_details_tls(const probe_result *p, tui_lines *L)
{
	char nb[1200];

	tui_addl(L, THEME_TITLE, "TLS");
	if (!p->nehlo && !p->tls.offered) {
		/* no EHLO reply: nothing to say about STARTTLS either way */
		tui_addl(L, THEME_DIM, "  not known: the probe never got to EHLO");
		return;
	}
	if (!p->tls.offered) {
		tui_addl(L, THEME_WARN, "  STARTTLS not offered");
		return;
	}
	tui_addl(L, p->tls.verified ? THEME_OK : THEME_WARN, "  %s%s%s%s",
	         p->tls.done ? "handshake done" : "handshake failed", p->tls.version ? ", " : "",
	         p->tls.version ? p->tls.version : "",
	         p->tls.verified ? ", certificate verified" : ", certificate NOT verified");
	if (p->tls.verify_error)
		tui_addl(L, THEME_WARN, "  %s", tui_san(p->tls.verify_error, nb, sizeof(nb)));
	if (p->tls.subject)
		tui_addl(L, THEME_NORMAL, "  subject %s", tui_san(p->tls.subject, nb, sizeof(nb)));
	if (p->tls.issuer)
		tui_addl(L, THEME_NORMAL, "  issuer  %s", tui_san(p->tls.issuer, nb, sizeof(nb)));
	if (p->tls.not_before || p->tls.not_after) {
		char a[100];
		tui_addl(L, THEME_NORMAL, "  valid %s .. %s",
		         p->tls.not_before ? tui_san(p->tls.not_before, a, sizeof(a)) : "?",
		         p->tls.not_after ? tui_san(p->tls.not_after, nb, sizeof(nb)) : "?");
	}
	for (size_t i = 0; p->tls.nchain && i < p->tls.chain[0].nsan; i++)
		tui_addl(L, THEME_NORMAL, "  name    %s",
		         tui_san(p->tls.chain[0].san[i], nb, sizeof(nb)));
	if (p->tls.nchain) {
		tui_addl(L, THEME_NORMAL, "  spki sha256 %s", p->tls.chain[0].spki_sha256);
		tui_addl(L, THEME_NORMAL, "  cert sha256 %s", p->tls.chain[0].cert_sha256);
	}
	if (p->tls.nchain > 1)
		tui_addl(L, THEME_NORMAL,
		         "  chain of %zu certificates, as the server sent it:", p->tls.nchain);
	for (size_t i = 1; i < p->tls.nchain; i++) {
		const probe_cert *c = &p->tls.chain[i];
		char a[100];
		tui_addl(L, THEME_NORMAL, "  %zu. %s, until %s", i + 1,
		         c->subject ? tui_san(c->subject, nb, sizeof(nb)) : "?",
		         c->not_after ? tui_san(c->not_after, a, sizeof(a)) : "?");
	}
	if (probe_dane_str(p->dane))
		tui_addl(L,
		         p->dane == PROBE_DANE_MATCH      ? THEME_OK
		         : p->dane == PROBE_DANE_MISMATCH ? THEME_ERROR
		                                          : THEME_NORMAL,
		         "  DANE: %s", probe_dane_str(p->dane));
}

void tui_details_rcpt(const probe_result *p, tui_lines *L)
{
	char nb[PROBE_RCPT_REPLY_MAX * 4 + 16], to[600];

	if (!p->rcpt.to)
		return;
	tui_addl(L, THEME_TITLE, "RCPT TO:<%s>", tui_san(p->rcpt.to, to, sizeof(to)));
	if (!p->rcpt.code)
		tui_addl(L, THEME_WARN, "  no answer: %s",
		         p->rcpt.reply ? tui_san(p->rcpt.reply, nb, sizeof(nb)) : "broke off");
	else
		tui_addl(L,
		         p->rcpt.code >= 500   ? THEME_ERROR
		         : p->rcpt.code >= 400 ? THEME_WARN
		                               : THEME_OK,
		         "  %d %s: %s", p->rcpt.code,
		         p->rcpt.reply ? tui_san(p->rcpt.reply, nb, sizeof(nb)) : "",
		         sender_rcpt_rule(p->rcpt.code));
}
