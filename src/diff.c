/* src/diff.c — `mxscope diff OLD NEW` (diff.h): both recordings are read
 * back into the model (core/record.h), the last line of each domain is its
 * state at the end of the recording, and the two states are compared thing
 * by thing: MX records, addresses, TTLs beyond noise, probe states, TLS
 * certificates, blocklist answers, where mail ends, findings. */
#include "diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mx_auth.h"
#include "record.h"
#include "report.h"

/* One domain's last state in one recording. */
typedef struct dent {
	mx_domain *d;
	rec_meta m;
} dent;

typedef struct dset {
	dent *e;
	size_t n, cap;
	bool trouble;
} dset;

/* One change: what (a stable word for scripts), the thing it is about, and
 * the old and new values as text (NULL = none). */
typedef struct change {
	const char *what;
	char *subject, *old, *new_;
} change;

typedef struct clist {
	change *c;
	size_t n, cap;
	bool failed;
} clist;

static void add(clist *l, const char *what, const char *subject, const char *old, const char *nw)
{
	change *g;

	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		if (!(g = realloc(l->c, nc * sizeof(*g)))) {
			l->failed = true;
			return;
		}
		l->c = g;
		l->cap = nc;
	}
	l->c[l->n] = (change){what, strdup(subject ? subject : ""), old ? strdup(old) : NULL,
	                      nw ? strdup(nw) : NULL};
	if (!l->c[l->n].subject || (old && !l->c[l->n].old) || (nw && !l->c[l->n].new_))
		l->failed = true;
	l->n++;
}

static void clist_free(clist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->c[i].subject);
		free(l->c[i].old);
		free(l->c[i].new_);
	}
	free(l->c);
}

/* ---- reading -------------------------------------------------------------- */

static void on_record(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                      void *arg)
{
	dset *s = arg;
	dent *g;

	(void)lineno;
	if (error) {
		cli_error("%s", error);
		s->trouble = true;
		return;
	}
	/* a later line of the same domain (the explorer records every
	 * change) replaces the earlier one */
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(mx_domain_name(s->e[i].d), mx_domain_name(d)) == 0) {
			mx_domain_free(s->e[i].d);
			rec_meta_clear(&s->e[i].m);
			s->e[i].d = d;
			/* out of memory: only "when" is lost, the comparison stands */
			(void)rec_meta_copy(&s->e[i].m, m);
			return;
		}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		if (!(g = realloc(s->e, nc * sizeof(*g)))) {
			cli_error("out of memory");
			s->trouble = true;
			mx_domain_free(d);
			return;
		}
		s->e = g;
		s->cap = nc;
	}
	s->e[s->n].d = d;
	(void)rec_meta_copy(&s->e[s->n].m, m);
	s->n++;
}

static void dset_free(dset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mx_domain_free(s->e[i].d);
		rec_meta_clear(&s->e[i].m);
	}
	free(s->e);
}

static const dent *find(const dset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(mx_domain_name(s->e[i].d), name) == 0)
			return &s->e[i];
	return NULL;
}

/* ---- comparing ------------------------------------------------------------ */

/* Seconds between the two recordings, from their "at"; -1 when unknown. */
static long elapsed(const rec_meta *a, const rec_meta *b)
{
	struct tm ta = {0}, tb = {0};

	if (!a->at || !b->at || !strptime(a->at, "%Y-%m-%dT%H:%M:%SZ", &ta) ||
	    !strptime(b->at, "%Y-%m-%dT%H:%M:%SZ", &tb))
		return -1;
	return (long)difftime(timegm(&tb), timegm(&ta));
}

/* TTL noise: a caching resolver counts a TTL down as the record ages, so
 * two recordings made s seconds apart can differ by up to s seconds for
 * the same record. Beyond that (or when the times are unknown, beyond 10%
 * of the larger value) it is a real change. */
static bool ttl_changed(uint32_t a, uint32_t b, long secs)
{
	uint32_t d = a > b ? a - b : b - a, big = a > b ? a : b;

	if (secs >= 0)
		return d > (uint32_t)secs + 1;
	return d > big / 10;
}

static const mx_host *host_by_name(const mx_domain *d, const char *ex)
{
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		if (strcmp(mx_domain_host(d, i)->exchange, ex) == 0)
			return mx_domain_host(d, i);
	return NULL;
}

static const mx_addr *addr_by_ip(const mx_host *h, const char *ip)
{
	for (size_t k = 0; h && k < h->naddrs; k++)
		if (strcmp(h->addrs[k].ip, ip) == 0)
			return &h->addrs[k];
	return NULL;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

static void cmp_str(clist *l, const char *what, const char *subject, const char *a, const char *b)
{
	if ((a || b) && (!a || !b || strcmp(a, b) != 0))
		add(l, what, subject, or_none(a), or_none(b));
}

static void cmp_tls(clist *l, const char *subj, const probe_tls *a, const probe_tls *b)
{
	if (a->offered != b->offered)
		add(l, "starttls", subj, a->offered ? "offered" : "not offered",
		    b->offered ? "offered" : "not offered");
	if (a->offered && b->offered && a->verified != b->verified)
		add(l, "certificate-verified", subj, a->verified ? "verified" : "not verified",
		    b->verified ? "verified" : "not verified");
	cmp_str(l, "certificate-subject", subj, a->subject, b->subject);
	cmp_str(l, "certificate-issuer", subj, a->issuer, b->issuer);
	cmp_str(l, "certificate-expiry", subj, a->not_after, b->not_after);
	/* a new certificate (or key) with the same names and dates */
	if (a->nchain && b->nchain) {
		cmp_str(l, "certificate-fingerprint", subj, a->chain[0].cert_sha256,
		        b->chain[0].cert_sha256);
		cmp_str(l, "certificate-key", subj, a->chain[0].spki_sha256,
		        b->chain[0].spki_sha256);
	}
}

/* "a b c" (or "(none)") of n strings; owned by the caller, NULL when out
 * of memory. tail (may be NULL) is appended. */
static char *join_list(char *const *v, size_t n, const char *sep, const char *tail)
{
	size_t len = 16 + (tail ? strlen(tail) : 0), o = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if (!(out = malloc(len)))
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? sep : "", v[i]);
	snprintf(out + o, len - o, "%s%s", n ? "" : "(none)", tail ? tail : "");
	return out;
}

/* "mx1.example.org (forward-confirmed)", "(none: NXDOMAIN)" */
static char *ptr_text(const mx_ptr *p)
{
	char tail[64];

	if (!p->nnames)
		snprintf(tail, sizeof(tail), ": %s", mx_rcode_str(p->rc));
	else
		snprintf(tail, sizeof(tail), " (%sforward-confirmed)",
		         p->forward_confirmed ? "" : "not ");
	return join_list(p->names, p->nnames, " ", tail);
}

static void cmp_addr(clist *l, const char *ex, const mx_addr *a, const mx_addr *b, long secs)
{
	char subj[MX_NAME_MAX + MX_IP_MAX + 4], x[32], y[32];
	const probe_result *p = a->probe, *q = b->probe;

	snprintf(subj, sizeof(subj), "%s %s", ex, a->ip);
	if (ttl_changed(a->ttl, b->ttl, secs)) {
		snprintf(x, sizeof(x), "%u", a->ttl);
		snprintf(y, sizeof(y), "%u", b->ttl);
		add(l, "address-ttl", subj, x, y);
	}
	if (p && q) {
		if (p->state != q->state)
			add(l, "probe-state", subj, probe_state_word(p->state),
			    probe_state_word(q->state));
		if (p->code != q->code) {
			snprintf(x, sizeof(x), "%d", p->code);
			snprintf(y, sizeof(y), "%d", q->code);
			add(l, "greeting-code", subj, x, y);
		}
		cmp_tls(l, subj, &p->tls, &q->tls);
		/* only where both runs judged it (a DANE check, --rcpt) */
		if (p->dane && q->dane)
			cmp_str(l, "dane", subj, probe_dane_str(p->dane), probe_dane_str(q->dane));
		if (p->rcpt.to && q->rcpt.to && p->rcpt.code != q->rcpt.code) {
			snprintf(x, sizeof(x), "%d", p->rcpt.code);
			snprintf(y, sizeof(y), "%d", q->rcpt.code);
			add(l, "rcpt-code", subj, x, y);
		}
	} else if (p || q) {
		add(l, "probe-state", subj, p ? probe_state_word(p->state) : "(not probed)",
		    q ? probe_state_word(q->state) : "(not probed)");
	}
	if (a->ptr && b->ptr) {
		char *pa = ptr_text(a->ptr), *pb = ptr_text(b->ptr);
		if (pa && pb)
			cmp_str(l, "ptr", subj, pa, pb);
		free(pa);
		free(pb);
	}
	for (size_t i = 0; i < a->nblocklists; i++) {
		const blr_result *ra = a->blocklists[i], *rb = NULL;
		char bs[MX_IP_MAX + 80];
		for (size_t j = 0; j < b->nblocklists; j++)
			if (strcmp(b->blocklists[j]->provider, ra->provider) == 0)
				rb = b->blocklists[j];
		snprintf(bs, sizeof(bs), "%s %.60s", a->ip, ra->provider);
		if (rb && ra->state != rb->state)
			add(l, "blocklist", bs, blr_state_str(ra->state), blr_state_str(rb->state));
	}
}

static void cmp_host(clist *l, const mx_host *a, const mx_host *b, long secs)
{
	char x[32], y[32];
	const char *ex = a->exchange[0] ? a->exchange : ".";

	if (a->preference != b->preference) {
		snprintf(x, sizeof(x), "%u", a->preference);
		snprintf(y, sizeof(y), "%u", b->preference);
		add(l, "mx-preference", ex, x, y);
	}
	if (!a->implicit && ttl_changed(a->ttl, b->ttl, secs)) {
		snprintf(x, sizeof(x), "%u", a->ttl);
		snprintf(y, sizeof(y), "%u", b->ttl);
		add(l, "mx-ttl", ex, x, y);
	}
	cmp_str(l, "mx-cname", ex, a->cname, b->cname);
	if (a->tlsa && b->tlsa) {
		char *ta = join_list(a->tlsa->records, a->tlsa->nrecords, ", ",
		                     a->tlsa->secure ? " (secure)" : " (insecure)"),
		     *tb = join_list(b->tlsa->records, b->tlsa->nrecords, ", ",
		                     b->tlsa->secure ? " (secure)" : " (insecure)");
		if (ta && tb)
			cmp_str(l, "tlsa", ex, ta, tb);
		free(ta);
		free(tb);
	}
	for (size_t k = 0; k < a->naddrs; k++) {
		const mx_addr *o = &a->addrs[k], *n = addr_by_ip(b, o->ip);
		if (!n)
			add(l, "address-removed", ex, o->ip, NULL);
		else
			cmp_addr(l, ex, o, n, secs);
	}
	for (size_t k = 0; k < b->naddrs; k++)
		if (!addr_by_ip(a, b->addrs[k].ip))
			add(l, "address-added", ex, NULL, b->addrs[k].ip);
}

static char *where(const mx_domain *d)
{
	const mx_attempt *a = mx_domain_delivered(d);
	char buf[MX_NAME_MAX + MX_IP_MAX + 16];

	if (!mx_domain_walked(d))
		return strdup("(not probed)");
	if (!a)
		return strdup("(nobody accepts: queued)");
	snprintf(buf, sizeof(buf), "%s (%u) %s", mx_domain_host(d, a->host)->exchange,
	         mx_domain_host(d, a->host)->preference,
	         mx_domain_host(d, a->host)->addrs[a->addr].ip);
	return strdup(buf);
}

/* Where profile p's walk ends, as where() says it. */
static char *sender_where(const mx_domain *d, sender_profile p)
{
	const sender_walk *w = mx_domain_sender(d, p);
	const mx_attempt *a;
	char buf[MX_NAME_MAX + MX_IP_MAX + 16];

	if (!w)
		return strdup("(not probed)");
	if (w->delivered < 0)
		return strdup(w->end == SENDER_END_BOUNCED ? "(bounced)"
		                                           : "(nobody accepts: queued)");
	a = sender_walk_attempt(w, (size_t)w->delivered);
	snprintf(buf, sizeof(buf), "%s (%u) %s", mx_domain_host(d, a->host)->exchange,
	         mx_domain_host(d, a->host)->preference,
	         mx_domain_host(d, a->host)->addrs[a->addr].ip);
	return strdup(buf);
}

/* The sender profiles that are not the plain walk (delivered-to says
 * that one): where mail ends for an MTA-STS or a DANE sender. */
static void cmp_senders(clist *l, const mx_domain *a, const mx_domain *b)
{
	for (int p = 0; p < SENDER_COUNT; p++) {
		char *wa, *wb;
		if (p == SENDER_OPPORTUNISTIC)
			continue;
		wa = sender_where(a, (sender_profile)p);
		wb = sender_where(b, (sender_profile)p);
		if (wa && wb)
			cmp_str(l, "sender-delivered-to", sender_profile_name((sender_profile)p),
			        wa, wb);
		free(wa);
		free(wb);
	}
}

/* What DNS and the policy fetch said beside the walk; each compared only
 * where both runs asked (a run without --ptr says nothing about PTRs). */
static void cmp_domain_dns(clist *l, const mx_domain *a, const mx_domain *b)
{
	const char *name = mx_domain_name(a);
	const mx_mta_sts *sa = mx_domain_mta_sts(a), *sb = mx_domain_mta_sts(b);
	const mx_auth *aa = mx_domain_auth(a), *ab = mx_domain_auth(b);

	if (mx_domain_dnssec(a) && mx_domain_dnssec(b))
		cmp_str(l, "dnssec", name, mx_dnssec_str(mx_domain_dnssec(a)),
		        mx_dnssec_str(mx_domain_dnssec(b)));
	if (sa && sb) {
		char *ma =
		         sa->policy ? join_list(sa->policy->mx, sa->policy->nmx, " ", NULL) : NULL,
		     *mb =
		         sb->policy ? join_list(sb->policy->mx, sb->policy->nmx, " ", NULL) : NULL;
		cmp_str(l, "mta-sts-id", name, sa->id, sb->id);
		cmp_str(l, "mta-sts-mode", name,
		        sa->policy ? policy_mode_str(sa->policy->mode) : "(no policy)",
		        sb->policy ? policy_mode_str(sb->policy->mode) : "(no policy)");
		if (ma && mb)
			cmp_str(l, "mta-sts-mx", name, ma, mb);
		free(ma);
		free(mb);
	}
	for (size_t i = 0; aa && ab && i < aa->nsrv; i++) {
		const mx_auth_server *s = &aa->srv[i], *t = NULL;
		char subj[MX_NAME_MAX + MX_IP_MAX + 4], x[16], y[16];
		for (size_t j = 0; j < ab->nsrv; j++)
			if (strcmp(ab->srv[j].ns, s->ns) == 0 && strcmp(ab->srv[j].ip, s->ip) == 0)
				t = &ab->srv[j];
		snprintf(subj, sizeof(subj), "%s %s", s->ns, s->ip);
		snprintf(x, sizeof(x), s->has_serial ? "%u" : "(none)", s->serial);
		snprintf(y, sizeof(y), t && t->has_serial ? "%u" : "(none)", t ? t->serial : 0);
		if (t)
			cmp_str(l, "authoritative-serial", subj, x, y);
	}
}

static bool has_finding(const mx_domain *d, const mx_finding *f)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *g = mx_domain_finding(d, i);
		if (g->id == f->id && strcmp(g->subject, f->subject) == 0)
			return true;
	}
	return false;
}

static void cmp_domain(clist *l, const dent *oe, const dent *ne)
{
	const mx_domain *a = oe->d, *b = ne->d;
	long secs = elapsed(&oe->m, &ne->m);
	char *wa, *wb;

	if (mx_domain_mx_rcode(a) != mx_domain_mx_rcode(b))
		add(l, "mx-rcode", mx_domain_name(a), mx_rcode_str(mx_domain_mx_rcode(a)),
		    mx_rcode_str(mx_domain_mx_rcode(b)));
	for (size_t i = 0; i < mx_domain_host_count(a); i++) {
		const mx_host *h = mx_domain_host(a, i), *n = host_by_name(b, h->exchange);
		if (!n) {
			char p[16];
			snprintf(p, sizeof(p), "%u", h->preference);
			add(l, "mx-removed", h->exchange[0] ? h->exchange : ".", p, NULL);
		} else {
			cmp_host(l, h, n, secs);
		}
	}
	for (size_t i = 0; i < mx_domain_host_count(b); i++) {
		const mx_host *h = mx_domain_host(b, i);
		if (!host_by_name(a, h->exchange)) {
			char p[16];
			snprintf(p, sizeof(p), "%u", h->preference);
			add(l, "mx-added", h->exchange[0] ? h->exchange : ".", NULL, p);
		}
	}
	wa = where(a);
	wb = where(b);
	if (wa && wb && strcmp(wa, wb) != 0)
		add(l, "delivered-to", mx_domain_name(a), wa, wb);
	free(wa);
	free(wb);
	cmp_senders(l, a, b);
	cmp_domain_dns(l, a, b);
	for (size_t i = 0; i < mx_domain_finding_count(a); i++) {
		const mx_finding *f = mx_domain_finding(a, i);
		if (!has_finding(b, f))
			add(l, "finding-resolved", f->subject, f->code, NULL);
	}
	for (size_t i = 0; i < mx_domain_finding_count(b); i++) {
		const mx_finding *f = mx_domain_finding(b, i);
		if (!has_finding(a, f))
			add(l, "finding-appeared", f->subject, NULL, f->code);
	}
}

/* ---- output --------------------------------------------------------------- */

static bool print_text(const char *name, const char *state, const clist *l)
{
	char *clean = mx_sanitize(name);

	printf("%s%s\n", clean ? clean : "?", state);
	free(clean);
	for (size_t i = 0; i < l->n; i++) {
		const change *c = &l->c[i];
		char *s = mx_sanitize(c->subject), *o = c->old ? mx_sanitize(c->old) : NULL,
		     *n = c->new_ ? mx_sanitize(c->new_) : NULL;
		printf("  %-22s %s", c->what, s ? s : "?");
		if (o && n)
			printf(": %s -> %s", o, n);
		else if (o)
			printf(": %s", o);
		else if (n)
			printf(": %s", n);
		putchar('\n');
		free(s);
		free(o);
		free(n);
	}
	return true;
}

static json_t *jtext(const char *s)
{
	return s ? mx_json_text(s, strlen(s)) : json_null();
}

static bool print_json(const char *name, const char *state, const clist *l)
{
	json_t *root = json_object(), *arr = json_array();
	char *out;

	json_object_set_new(root, "domain", jtext(name));
	json_object_set_new(root, "state", json_string(state));
	for (size_t i = 0; i < l->n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "what", json_string(l->c[i].what));
		json_object_set_new(o, "subject", jtext(l->c[i].subject));
		json_object_set_new(o, "old", jtext(l->c[i].old));
		json_object_set_new(o, "new", jtext(l->c[i].new_));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "changes", arr);
	out = mx_json_dump(root);
	json_decref(root);
	if (!out)
		return false;
	puts(out);
	free(out);
	return true;
}

static void show(const cli_opts *o, const char *name, const char *state, const clist *l)
{
	if (o->set.json)
		print_json(name, state, l);
	else
		print_text(name,
		           *state == 'c'   ? ""
		           : *state == 'a' ? "  (only in NEW)"
		                           : "  (only in OLD)",
		           l);
}

int diff_run(const cli_opts *o)
{
	dset a = {0}, b = {0};
	char *why = NULL;
	size_t changed = 0;
	int code;

	for (int i = 0; i < 2; i++) {
		dset *s = i ? &b : &a;
		if (rec_read_file(o->args[i], on_record, s, NULL, &why) != MXS_OK) {
			cli_error("%s", why ? why : "cannot read");
			free(why);
			why = NULL;
			s->trouble = true;
		}
	}
	for (size_t i = 0; i < a.n; i++) {
		const char *name = mx_domain_name(a.e[i].d);
		const dent *n = find(&b, name);
		clist l = {0};
		if (!n) {
			changed++;
			show(o, name, "removed", &l);
			continue;
		}
		cmp_domain(&l, &a.e[i], n);
		if (l.failed) {
			cli_error("%s: out of memory", name);
			a.trouble = true;
		} else if (l.n) {
			changed++;
			show(o, name, "changed", &l);
		}
		clist_free(&l);
	}
	for (size_t i = 0; i < b.n; i++) {
		clist l = {0};
		if (!find(&a, mx_domain_name(b.e[i].d))) {
			changed++;
			show(o, mx_domain_name(b.e[i].d), "added", &l);
		}
	}
	fflush(stdout);
	code = a.trouble || b.trouble ? 2 : changed ? 1 : 0;
	dset_free(&a);
	dset_free(&b);
	return code;
}
