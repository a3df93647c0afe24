/* core/explain.c — the verdict on a piece of evidence against the routing
 * now (explain.h). */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[EXPLAIN_VERDICT_COUNT] = {"reproduced", "not-reproduced",
                                                                 "changed", "cannot-check"};

const char *explain_verdict_name(explain_verdict v)
{
	return v >= 0 && v < EXPLAIN_VERDICT_COUNT ? verdict_names[v] : "cannot-check";
}

void explain_cannot(explain_result *out, const char *reason)
{
	memset(out, 0, sizeof(*out));
	out->verdict = EXPLAIN_CANNOT_CHECK;
	snprintf(out->why, sizeof(out->why), "%s", reason);
}

static void add_code(explain_result *out, const mx_finding *f)
{
	size_t len = strlen(out->codes);

	if (strstr(out->codes, f->code))
		return;
	snprintf(out->codes + len, sizeof(out->codes) - len, "%s%s", len ? ", " : "", f->code);
	if (!out->fix[0] && f->message)
		snprintf(out->fix, sizeof(out->fix), "%s", f->message);
}

/* The findings about subject (an address or a host), worst first. */
static void codes_about(const mx_domain *d, const char *subject, explain_result *out)
{
	for (int sev = MX_SEV_ERROR; sev >= MX_SEV_INFO; sev--)
		for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
			const mx_finding *f = mx_domain_finding(d, i);
			if ((int)f->severity == sev && f->subject && subject[0] &&
			    strcmp(f->subject, subject) == 0)
				add_code(out, f);
		}
}

static void code_id(const mx_domain *d, mx_finding_id id, explain_result *out)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++)
		if (mx_domain_finding(d, i)->id == id)
			add_code(out, mx_domain_finding(d, i));
}

/* Where the mail goes now, for the "backup takes it" part: a backup is a
 * less preferred host than the evidence's (h; NULL when unknown). */
static void where_now(const mx_domain *d, const mx_host *eh, explain_result *out)
{
	const mx_attempt *a = mx_domain_delivered(d);
	const mx_host *h;

	if (!mx_domain_walked(d))
		return;
	if (!a) {
		snprintf(out->now, sizeof(out->now), "no MX accepts now");
		return;
	}
	h = mx_domain_host(d, a->host);
	snprintf(out->now, sizeof(out->now), "%s[%s] accepts", h->exchange, h->addrs[a->addr].ip);
	out->backup_takes = eh && h != eh && h->preference > eh->preference;
}

static bool probe_failed_at_connect(probe_state s)
{
	return s == PROBE_REFUSED || s == PROBE_CONNECT_TIMEOUT || s == PROBE_UNREACHABLE;
}

static bool probe_failed_at_greeting(probe_state s)
{
	return s == PROBE_TEMPFAIL || s == PROBE_REJECTED || s == PROBE_GREETING_TIMEOUT ||
	       s == PROBE_GARBAGE;
}

/* How the probe of the address ended, for people: "greets 220", "refuses
 * connections". */
static void probe_words(const probe_result *r, char *out, size_t cap)
{
	if (r->code)
		snprintf(out, cap, "now: %s (%s, greeting %d)", probe_state_meaning(r->state),
		         probe_state_word(r->state), r->code);
	else
		snprintf(out, cap, "now: %s (%s)", probe_state_meaning(r->state),
		         probe_state_word(r->state));
}

static void judge_dns(const ev_item *it, const mx_domain *d, explain_result *out)
{
	bool nullmx = strstr(it->text, "nullMX") || strstr(it->text, "does not accept mail");
	mx_rcode rc = mx_domain_mx_rcode(d);

	if (nullmx) {
		if (mx_domain_null_mx(d)) {
			out->verdict = EXPLAIN_REPRODUCED;
			code_id(d, MX_F_NULL_MX, out);
			snprintf(out->why, sizeof(out->why),
			         "%s still publishes a null MX (RFC 7505): it accepts no mail",
			         it->domain);
		} else {
			out->verdict = EXPLAIN_NOT_REPRODUCED;
			snprintf(out->why, sizeof(out->why), "%s has no null MX now (%zu MX hosts)",
			         it->domain, mx_domain_host_count(d));
		}
		return;
	}
	code_id(d, MX_F_NXDOMAIN, out);
	code_id(d, MX_F_NO_MAIL_ROUTE, out);
	code_id(d, MX_F_DNS_TEMPORARY, out);
	code_id(d, MX_F_DNSSEC_BOGUS, out);
	code_id(d, MX_F_MX_NO_ADDRESS, out);
	code_id(d, MX_F_NULL_MX, out);
	if (out->codes[0]) {
		out->verdict = EXPLAIN_REPRODUCED;
		snprintf(out->why, sizeof(out->why), "the MX question for %s ends %s now",
		         it->domain, mx_rcode_str(rc));
		return;
	}
	out->verdict = EXPLAIN_NOT_REPRODUCED;
	snprintf(out->why, sizeof(out->why), "%s resolves now: %zu MX host%s, MX answer %s",
	         it->domain, mx_domain_host_count(d), mx_domain_host_count(d) == 1 ? "" : "s",
	         mx_rcode_str(rc));
}

/* The host and address of the evidence in d: false (and changed) when the
 * routing no longer has them. */
static bool locate(const ev_item *it, const mx_domain *d, const mx_host **hp, const mx_addr **ap,
                   explain_result *out)
{
	const mx_host *h = NULL;
	const mx_addr *a = NULL;
	char names[200] = "";
	size_t nl = 0;

	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *c = mx_domain_host(d, i);
		if (nl < sizeof(names))
			nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s%s",
			                       nl ? ", " : "", c->exchange);
		if (it->mx_host[0] && (strcmp(c->exchange, it->mx_host) == 0 ||
		                       (c->cname && strcmp(c->cname, it->mx_host) == 0)))
			h = c;
		for (size_t k = 0; k < c->naddrs; k++)
			if (it->ip[0] && strcmp(c->addrs[k].ip, it->ip) == 0 && (!h || h == c)) {
				if (!h && !it->mx_host[0])
					h = c;
				if (h == c)
					a = &c->addrs[k];
			}
	}
	if (it->mx_host[0] && !h && strcmp(it->mx_host, it->ip) != 0) {
		out->verdict = EXPLAIN_CHANGED;
		snprintf(out->why, sizeof(out->why),
		         "%.120s is no longer an MX of %.120s (now: %.200s)", it->mx_host,
		         it->domain, names[0] ? names : "none");
		return false;
	}
	if (it->mx_host[0] && !h) {
		/* an address literal as the MX: Postfix names it by its address */
		for (size_t i = 0; i < mx_domain_host_count(d) && !h; i++)
			if (strcmp(mx_domain_host(d, i)->exchange, it->mx_host) == 0)
				h = mx_domain_host(d, i);
		if (!h) {
			out->verdict = EXPLAIN_CHANGED;
			snprintf(out->why, sizeof(out->why),
			         "%.120s is no longer an MX of %.120s (now: %.200s)", it->mx_host,
			         it->domain, names[0] ? names : "none");
			return false;
		}
	}
	if (it->ip[0] && !a && h && mx_is_ip_literal(h->exchange) &&
	    strcmp(h->exchange, it->ip) == 0) {
		/* the sender tried the literal; mxscope names the mistake */
		out->verdict = EXPLAIN_REPRODUCED;
		code_id(d, MX_F_MX_IP_LITERAL, out);
		snprintf(out->why, sizeof(out->why),
		         "the MX of %.200s is still the address literal %s, not a host name",
		         it->domain, it->ip);
		return false;
	}
	if (it->ip[0] && !a) {
		out->verdict = EXPLAIN_CHANGED;
		if (h)
			snprintf(out->why, sizeof(out->why),
			         "%s no longer has the address %s (now: %s)", h->exchange, it->ip,
			         h->naddrs ? h->addrs[0].ip : "none");
		else
			snprintf(out->why, sizeof(out->why),
			         "%.64s is no longer an address of any MX of %.120s (now: %.120s)",
			         it->ip, it->domain, names[0] ? names : "none");
		return false;
	}
	*hp = h;
	*ap = a;
	return true;
}

/* The report's records ("; " between, lower-case) are the host's now,
 * in any order. */
static bool tlsa_same(const char *then, const mx_tlsa *now)
{
	size_t n = 1;

	for (const char *c = then; (c = strstr(c, "; ")); c += 2)
		n++;
	if (n != now->nrecords)
		return false;
	for (size_t i = 0; i < now->nrecords; i++)
		if (!strstr(then, now->records[i]))
			return false;
	return true;
}

/* "mode testing, mx *.mail.x" */
static void policy_words(const policy_sts *p, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "mode %s, mx", policy_mode_str(p->mode));

	for (size_t i = 0; i < p->nmx && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, " %s", p->mx[i]);
}

/* Whether the policy a TLS-RPT "sts" report names (then, a policy body)
 * differs from the domain's now: another mode or other mx patterns.
 * Writes what differs into why. */
static bool sts_changed(const char *then, const mx_domain *d, char *why, size_t cap)
{
	const mx_mta_sts *m = mx_domain_mta_sts(d);
	char *err = NULL, a[200], b[200];
	policy_sts *p = policy_parse(then, strlen(then), &err);
	bool changed = false;

	free(err);
	if (!p || !m)
		goto done; /* unreadable, or not asked: nothing to compare */
	policy_words(p, a, sizeof(a));
	if (!m->policy) {
		/* a policy that cannot be fetched now is no evidence of a change */
		if (!m->txt) {
			snprintf(why, cap,
			         "the domain publishes no MTA-STS policy now (the report's: %s)",
			         a);
			changed = true;
		}
		goto done;
	}
	policy_words(m->policy, b, sizeof(b));
	if (strcmp(a, b) != 0) {
		snprintf(why, cap,
		         "the MTA-STS policy changed since the report (then: %s; now: %s)", a, b);
		changed = true;
	}
done:
	policy_free(p);
	return changed;
}

static void judge_tls_policy(const ev_item *it, const mx_domain *d, const mx_host *h,
                             const mx_addr *a, explain_result *out)
{
	const probe_result *r = a ? a->probe : NULL;
	const char *subject = a ? a->ip : h->exchange;

	if (it->policy == EV_POL_DANE && it->tlsa[0] && h->tlsa && !tlsa_same(it->tlsa, h->tlsa)) {
		char now[200] = "";
		size_t nl = 0;
		for (size_t i = 0; i < h->tlsa->nrecords && nl < sizeof(now); i++)
			nl += (size_t)snprintf(now + nl, sizeof(now) - nl, "%s%s", i ? "; " : "",
			                       h->tlsa->records[i]);
		out->verdict = EXPLAIN_CHANGED;
		snprintf(out->why, sizeof(out->why),
		         "the TLSA records of %.100s changed since the report (then: %.150s; now: "
		         "%.150s)",
		         h->exchange, it->tlsa, now[0] ? now : "none");
		return;
	}
	if (it->policy == EV_POL_MTA_STS && it->sts[0] &&
	    sts_changed(it->sts, d, out->why, sizeof(out->why))) {
		out->verdict = EXPLAIN_CHANGED;
		return;
	}
	if (it->policy == EV_POL_DANE) {
		if (r && r->dane == PROBE_DANE_MISMATCH) {
			out->verdict = EXPLAIN_REPRODUCED;
			codes_about(d, subject, out);
			snprintf(out->why, sizeof(out->why),
			         "%s's certificate still matches none of its TLSA records",
			         h->exchange);
		} else if (!h->tlsa || h->tlsa->nrecords == 0) {
			out->verdict = EXPLAIN_CHANGED;
			snprintf(out->why, sizeof(out->why), "%s publishes no TLSA records now",
			         h->exchange);
		} else if (r && r->dane == PROBE_DANE_MATCH) {
			out->verdict = EXPLAIN_NOT_REPRODUCED;
			snprintf(out->why, sizeof(out->why),
			         "%s's certificate matches its TLSA records now", h->exchange);
		} else {
			explain_cannot(out, "no DANE verdict on this host now (no STARTTLS, or the "
			                    "MX answer is not DNSSEC-secure)");
		}
		return;
	}
	codes_about(d, subject, out);
	if (h)
		codes_about(d, h->exchange, out);
	if (r && r->tls.done && !r->tls.verified) {
		out->verdict = EXPLAIN_REPRODUCED;
		snprintf(out->why, sizeof(out->why), "%s's certificate does not verify now: %s",
		         h->exchange, r->tls.verify_error ? r->tls.verify_error : "unknown reason");
	} else if (strstr(out->codes, "mta-sts-")) {
		out->verdict = EXPLAIN_REPRODUCED;
		snprintf(out->why, sizeof(out->why), "%s still fails the domain's MTA-STS policy",
		         h->exchange);
	} else if (r && r->tls.done && r->tls.verified) {
		out->verdict = EXPLAIN_NOT_REPRODUCED;
		out->codes[0] = out->fix[0] = '\0';
		snprintf(out->why, sizeof(out->why), "%s's certificate verifies now (%s)",
		         h->exchange, r->tls.version ? r->tls.version : "TLS");
	} else {
		explain_cannot(out, "no TLS handshake with this host now to judge its certificate");
	}
}

static void judge_address(const ev_item *it, const mx_domain *d, const mx_host *h, const mx_addr *a,
                          explain_result *out)
{
	const probe_result *r = a->probe;
	char words[200];

	if (!r || r->state == PROBE_PENDING) {
		explain_cannot(out, "the address was not probed (--no-probe, or a recording "
		                    "without probes)");
		return;
	}
	probe_words(r, words, sizeof(words));
	if (it->phase == EV_PH_TLS_POLICY) {
		judge_tls_policy(it, d, h, a, out);
		return;
	}
	if (probe_failed_at_connect(r->state) ||
	    (it->phase >= EV_PH_GREETING && probe_failed_at_greeting(r->state)) ||
	    (it->phase >= EV_PH_EHLO &&
	     (r->state == PROBE_DROPPED || r->state == PROBE_TLS_FAILED))) {
		if (it->phase == EV_PH_DATA || it->phase == EV_PH_UNKNOWN ||
		    (it->phase == EV_PH_GREETING && r->state != PROBE_GREETING_TIMEOUT &&
		     it->code && r->code / 100 != it->code / 100 &&
		     !probe_failed_at_connect(r->state))) {
			/* it fails now, but not the way the evidence says */
			out->verdict = EXPLAIN_NOT_REPRODUCED;
			codes_about(d, a->ip, out);
			snprintf(out->why, sizeof(out->why), "%s[%s] fails differently: %s",
			         h->exchange, a->ip, words);
			return;
		}
		out->verdict = EXPLAIN_REPRODUCED;
		codes_about(d, a->ip, out);
		snprintf(out->why, sizeof(out->why), "%s[%s] %s", h->exchange, a->ip, words);
		return;
	}
	switch (it->phase) {
	case EV_PH_STARTTLS:
		if (r->state == PROBE_ACCEPTED && !r->tls.offered) {
			out->verdict = EXPLAIN_REPRODUCED;
			codes_about(d, a->ip, out);
			snprintf(out->why, sizeof(out->why), "%s still does not offer STARTTLS",
			         h->exchange);
			return;
		}
		break;
	case EV_PH_MAIL:
	case EV_PH_RCPT:
		if (!r->rcpt.to) {
			snprintf(
			    out->why, sizeof(out->why),
			    "the recipient stage did not run (add --rcpt LOCALPART); %s[%s] greets "
			    "%d now",
			    h->exchange, a->ip, r->code);
			out->verdict = EXPLAIN_CANNOT_CHECK;
			return;
		}
		if (r->rcpt.code / 100 == (it->code ? it->code / 100 : 5) && r->rcpt.code >= 400) {
			out->verdict = EXPLAIN_REPRODUCED;
			codes_about(d, a->ip, out);
			snprintf(out->why, sizeof(out->why), "%s[%s] answers RCPT TO with %d now",
			         h->exchange, a->ip, r->rcpt.code);
			return;
		}
		out->verdict = EXPLAIN_NOT_REPRODUCED;
		snprintf(out->why, sizeof(out->why), "%s[%s] answers RCPT TO with %d now",
		         h->exchange, a->ip, r->rcpt.code);
		return;
	case EV_PH_DATA:
		snprintf(out->why, sizeof(out->why),
		         "mxscope never sends DATA; %s[%s] greets %d now and takes the envelope",
		         h->exchange, a->ip, r->code);
		out->verdict = EXPLAIN_CANNOT_CHECK;
		return;
	case EV_PH_UNKNOWN:
		snprintf(out->why, sizeof(out->why),
		         "the evidence does not say which step failed; %s[%s] %s", h->exchange,
		         a->ip, words);
		out->verdict = EXPLAIN_CANNOT_CHECK;
		return;
	default: break;
	}
	out->verdict = EXPLAIN_NOT_REPRODUCED;
	snprintf(out->why, sizeof(out->why), "%s[%s] %s%s%s", h->exchange, a->ip, words,
	         it->when[0] ? "; the evidence is from " : "", it->when);
}

void explain_judge(const ev_item *it, const mx_domain *d, int port, explain_result *out)
{
	const mx_host *h = NULL;
	const mx_addr *a = NULL;
	size_t wl;

	memset(out, 0, sizeof(*out));
	if (!it->domain[0]) {
		explain_cannot(out, "the evidence names no recipient domain");
		return;
	}
	if (it->phase == EV_PH_DNS) {
		judge_dns(it, d, out);
		return;
	}
	if (mx_rcode_is_temporary(mx_domain_mx_rcode(d))) {
		char why[160];
		snprintf(why, sizeof(why), "the MX question for %.100s fails now (%s)", it->domain,
		         mx_rcode_str(mx_domain_mx_rcode(d)));
		explain_cannot(out, why);
		return;
	}
	if (!it->mx_host[0] && !it->ip[0]) {
		explain_cannot(out, "the evidence names no MX host or address (too vague)");
		where_now(d, NULL, out);
		return;
	}
	if (!locate(it, d, &h, &a, out))
		return;
	where_now(d, h, out);
	if (!a) {
		/* a host without an address: a TLS policy about a host, say */
		if (it->phase == EV_PH_TLS_POLICY && h) {
			const mx_addr *first = h->naddrs ? &h->addrs[0] : NULL;
			judge_tls_policy(it, d, h, first, out);
		} else {
			explain_cannot(out, "the evidence names the host but no address");
		}
	} else {
		judge_address(it, d, h, a, out);
	}
	if (it->port && port > 0 && it->port != port && (wl = strlen(out->why)) < sizeof(out->why))
		snprintf(out->why + wl, sizeof(out->why) - wl,
		         " (the evidence says port %d, the check probed port %d)", it->port, port);
}
