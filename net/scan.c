/* net/scan.c — the scan pipeline (see scan.h): domains resolved by the DNS
 * client, their addresses kept in one store keyed by address, each address
 * probed and asked about once whichever domains show it, and every domain
 * that shows an address brought up to date when news about it comes.
 *
 * Re-entrancy: every loop callback of the scan runs between enter() and
 * leave(); front-end callbacks may remove domains or free the scan, so
 * removed domains wait in a graveyard until the outermost callback returns,
 * and a scan freed from a callback is torn down from its own timer, outside
 * every client's callback. */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "bl.h"
#include "dane.h"
#include "dns.h"
#include "name.h"
#include "policy.h"
#include "smtp.h"

#define SCAN_BUCKETS             1024u /* address hash chains; grows are not needed: chains stay short */
#define SCAN_DEFAULT_INTERVAL_MS 10000u

typedef struct sdom sdom;
typedef struct saddr saddr;

/* One probe target: ip as MX host `host` (TLS verifies that name). */
typedef struct sslot {
	saddr *a;
	char *host;
	char *rcpt;          /* the recipient stage's address (--rcpt, SCAN_ONCE), or NULL */
	bool watched;        /* a probe was asked for (or the monitor watches it) */
	bool done;           /* the first probe ended, or could not start */
	bool in_flight;      /* SCAN_ONCE: the probe is queued or running */
	probe_result *last;  /* SCAN_ONCE: the result */
	probe_result *snap;  /* frozen: the last result when the freeze began */
	scan_history snap_h; /* frozen: the history when the freeze began */
} sslot;

struct saddr {
	scan *s;
	char *ip;
	int port;      /* where its probes go: the key with ip (one per lab scenario for ::1) */
	size_t refs;   /* domain address slots that show it */
	bool allowed;  /* the policy lets the scan touch it */
	sslot **slots; /* SCAN_MONITOR: at most one */
	size_t nslots;
	blr_result **bl; /* the latest answer per provider, in arrival order */
	size_t nbl;
	size_t bl_wait; /* answers still awaited from the first lookup */
	mx_ptr *ptr;    /* its reverse DNS (cfg.ptr), or NULL */
	bool ptr_wait;  /* the PTR request is out */
	saddr *next;    /* hash chain */
};

struct sdom {
	scan *s;
	char *name;
	mx_domain *d;      /* shown; NULL before the first answer */
	mx_domain *parked; /* an answer that came while frozen */
	uint64_t answered_ms, parked_ms;
	uint64_t seed;
	char *as_host; /* this domain's relay view (scan_set_as), or NULL: the scan's */
	bool resolving, settled, removed, dirty;
	mx_auth *auth;            /* the zone's servers side by side (cfg.authoritative), or NULL */
	bool auth_wait;           /* the request is out */
	unsigned changes;         /* gathered for the next on_domain call */
	policy_job *pj;           /* the MTA-STS fetch on its way, or NULL */
	policy_fetch_result *pol; /* what it found (given to every answer installed) */
	sdom *prev, *next;
};

struct scan {
	uv_loop_t *loop;
	scan_config cfg;
	char *ca_pem, *bl_ca_pem, *as_host, *ehlo_name;
	dns_client *dns;
	smtp_prober *smtp;
	smtp_monitor *mon;
	bl_client *bl;
	auth_client *auth;            /* cfg.ptr or cfg.authoritative */
	bool egress;                  /* scan_set_egress_blocked */
	unsigned long probes_timeout; /* probes that ended in a connect timeout */
	policy_fetcher *pf;           /* cfg.mta_sts */
	char *rcpt;
	saddr *buckets[SCAN_BUCKETS];
	size_t naddrs;
	sdom *doms, *doms_tail; /* in the order they were added */
	size_t ndoms;
	sdom *grave; /* removed, waiting for their DNS answer or the end of a callback */
	sdom **dirty;
	size_t ndirty, dirty_head, capdirty;
	unsigned long probes_done;
	uv_timer_t timer; /* deferred work: thaw, reseed, teardown */
	int depth;
	bool frozen, thaw_pending, dying, torn_down;
};

static void deliver(scan *s);
static void teardown(scan *s);

/* ---- small helpers ------------------------------------------------------- */

static unsigned hash_ip(const char *ip)
{
	unsigned h = 2166136261u;

	for (; *ip; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619u;
	return h % SCAN_BUCKETS;
}

static char *dup_or_null(const char *p)
{
	return p ? strdup(p) : NULL;
}

static void emit(scan *s, const scan_event *ev)
{
	if (s->cfg.on_event && !s->dying)
		s->cfg.on_event(s, ev, s->cfg.arg);
}

static void enter(scan *s)
{
	s->depth++;
}

static void sweep(scan *s)
{
	sdom **pp = &s->grave;

	while (*pp) {
		sdom *m = *pp;
		if (m->resolving || m->dirty) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		mx_domain_free(m->d);
		mx_domain_free(m->parked);
		policy_fetch_result_free(m->pol);
		free(m->as_host);
		mx_auth_free(m->auth);
		free(m->name);
		free(m);
	}
}

static void leave(scan *s)
{
	if (--s->depth == 0 && !s->dying)
		sweep(s);
}

static sdom *find_dom(const scan *s, const char *name)
{
	char *norm = NULL;
	sdom *m;

	for (m = s->doms; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	/* the raw form of a listed name ("Example.COM.") */
	if (mx_name_normalize(name, &norm, NULL) != MXS_OK)
		return NULL;
	for (m = s->doms; m; m = m->next)
		if (strcmp(m->name, norm) == 0)
			break;
	free(norm);
	return m;
}

/* The port a probe of ip as host goes to (the lab's address map can give
 * each scenario's ::1 its own); 0 without probes. */
static int port_of(const scan *s, const char *host, const char *ip)
{
	return s->smtp ? smtp_prober_port_for(s->smtp, host, ip) : 0;
}

/* ip at port; port < 0: ip at whichever port came first */
static saddr *find_addr(const scan *s, const char *ip, int port)
{
	saddr *any = NULL;

	for (saddr *a = s->buckets[hash_ip(ip)]; a; a = a->next)
		if (strcmp(a->ip, ip) == 0) {
			if (a->port == port)
				return a;
			any = a;
		}
	return port < 0 ? any : NULL;
}

/* The store's entry for host's address ip. */
static saddr *find_host_addr(const scan *s, const char *host, const char *ip)
{
	return find_addr(s, ip, port_of(s, host, ip));
}

/* The slot ip is probed through for host: SCAN_ONCE one per host name,
 * SCAN_MONITOR the one the monitor watches. */
static sslot *find_slot(const saddr *a, const char *host)
{
	if (!a || a->nslots == 0)
		return NULL;
	if (a->s->cfg.mode == SCAN_MONITOR || !host)
		return a->slots[0];
	for (size_t i = 0; i < a->nslots; i++)
		if (strcmp(a->slots[i]->host, host) == 0)
			return a->slots[i];
	return NULL;
}

/* The recipient stage's address for domain (--rcpt: LOCALPART gets
 * @domain), into buf; NULL without --rcpt, and in SCAN_MONITOR: the
 * explorer re-probes every few seconds and must never repeat RCPT. */
static const char *rcpt_for(const scan *s, const char *domain, char *buf, size_t cap)
{
	if (!s->rcpt || s->cfg.mode != SCAN_ONCE || !sender_rcpt_address(s->rcpt, domain, buf, cap))
		return NULL;
	return buf;
}

/* find_slot for a domain: with --rcpt a slot is also keyed by the address
 * asked for, so two domains sharing an MX each get their own RCPT. */
static sslot *find_slot_to(const saddr *a, const char *host, const char *rcpt)
{
	if (!rcpt)
		return find_slot(a, host);
	for (size_t i = 0; a && i < a->nslots; i++)
		if (strcmp(a->slots[i]->host, host) == 0 && a->slots[i]->rcpt &&
		    strcmp(a->slots[i]->rcpt, rcpt) == 0)
			return a->slots[i];
	return NULL;
}

static void mark(scan *s, sdom *m, unsigned bits)
{
	m->changes |= bits;
	if (m->dirty)
		return;
	if (s->ndirty == s->capdirty) {
		size_t nc = s->capdirty ? s->capdirty * 2 : 64;
		sdom **g;
		/* compact first: the delivered head is dead space */
		if (s->dirty_head) {
			memmove(s->dirty, s->dirty + s->dirty_head,
			        (s->ndirty - s->dirty_head) * sizeof(*s->dirty));
			s->ndirty -= s->dirty_head;
			s->dirty_head = 0;
		}
		if (s->ndirty == s->capdirty) {
			g = realloc(s->dirty, nc * sizeof(*g));
			if (!g)
				return; /* the change shows with the next one */
			s->dirty = g;
			s->capdirty = nc;
		}
	}
	s->dirty[s->ndirty++] = m;
	m->dirty = true;
}

/* ---- the store's history view ----------------------------------------- */

static void once_history(const sslot *sl, scan_history *h)
{
	const probe_result *r = sl->last;

	*h = (scan_history){.watched = sl->watched,
	                    .in_flight = sl->in_flight,
	                    .last_state = PROBE_PENDING,
	                    .last_ms = -1,
	                    .avg_ms = -1,
	                    .best_ms = -1,
	                    .worst_ms = -1};
	if (!r)
		return;
	h->sent = 1;
	h->lost = r->state != PROBE_ACCEPTED;
	h->answered = r->t.greeting >= 0;
	h->lost_pct = h->lost ? 100.0 : 0.0;
	h->last_state = r->state;
	if (r->t.greeting >= 0)
		h->last_ms = h->avg_ms = h->best_ms = h->worst_ms = r->t.greeting;
}

static void live_history(const scan *s, const sslot *sl, scan_history *h)
{
	const smtp_history *m;

	if (s->cfg.mode == SCAN_ONCE) {
		once_history(sl, h);
		return;
	}
	*h = (scan_history){.watched = sl->watched,
	                    .last_state = PROBE_PENDING,
	                    .last_ms = -1,
	                    .avg_ms = -1,
	                    .best_ms = -1,
	                    .worst_ms = -1};
	m = sl->watched ? smtp_monitor_history(s->mon, sl->a->ip, sl->a->port) : NULL;
	if (!m)
		return;
	h->in_flight = m->in_flight;
	h->last_state = m->last_state;
	h->sent = m->sent;
	h->lost = m->lost;
	h->answered = m->greeted;
	h->lost_pct = m->lost_pct;
	h->last_ms = m->last_ms;
	h->avg_ms = m->avg_ms;
	h->best_ms = m->best_ms;
	h->worst_ms = m->worst_ms;
}

static const probe_result *live_last(const scan *s, const sslot *sl)
{
	const smtp_history *m;

	if (s->cfg.mode == SCAN_ONCE)
		return sl->last;
	m = sl->watched ? smtp_monitor_history(s->mon, sl->a->ip, sl->a->port) : NULL;
	return m ? m->last : NULL;
}

/* ---- attaching what the store knows to a domain ---------------------- */

/* Host i's address k of m's domain gets its probe and blocklist answers. */
static void attach(scan *s, sdom *m, size_t i, size_t k)
{
	const mx_host *h = mx_domain_host(m->d, i);
	char rb[320];
	saddr *a = find_host_addr(s, h->exchange, h->addrs[k].ip);
	sslot *sl = find_slot_to(a, h->exchange, rcpt_for(s, m->name, rb, sizeof(rb)));
	const probe_result *last = sl ? live_last(s, sl) : NULL;

	if (!a)
		return;
	if (last) {
		probe_result *r = probe_result_dup(last);
		if (r) /* the DANE stage: a DANE-TA chain must be valid now */
			r->dane = dane_verdict(m->d, h, r, time(NULL));
		if (r)
			mx_host_set_probe(m->d, i, k, r);
	}
	for (size_t j = 0; j < a->nbl; j++) {
		blr_result *r = blr_result_dup(a->bl[j]);
		if (r)
			mx_host_add_blocklist(m->d, i, k, r);
	}
	if (a->ptr)
		mx_host_set_ptr(m->d, i, k, mx_ptr_dup(a->ptr));
}

/* Probes and blocklist answers m still waits for before it settles. */
static size_t pending(const scan *s, const sdom *m)
{
	size_t n = 0;
	char rb[320];
	const char *to = m->d ? rcpt_for(s, m->name, rb, sizeof(rb)) : NULL;

	if (!m->d)
		return 0;
	for (size_t i = 0; i < mx_domain_host_count(m->d); i++) {
		const mx_host *h = mx_domain_host(m->d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			const saddr *a = find_host_addr(s, h->exchange, h->addrs[k].ip);
			const sslot *sl = find_slot_to(a, h->exchange, to);
			if (!a || !a->allowed)
				continue;
			if (sl && !sl->done)
				n++;
			n += a->bl_wait + a->ptr_wait;
		}
	}
	return n + m->auth_wait + (m->pj != NULL);
}

static void check_settled(scan *s, sdom *m)
{
	if (!m->settled && m->d && !m->resolving && pending(s, m) == 0) {
		m->settled = true;
		mark(s, m, SCAN_CH_SETTLED);
	}
}

/* News about a: every shown domain with that address is brought up to date. */
static void sync_addr(scan *s, const saddr *a, unsigned bits)
{
	if (s->frozen)
		return;
	for (sdom *m = s->doms; m; m = m->next) {
		bool hit = false;
		if (!m->d)
			continue;
		for (size_t i = 0; i < mx_domain_host_count(m->d); i++) {
			const mx_host *h = mx_domain_host(m->d, i);
			for (size_t k = 0; k < h->naddrs; k++)
				if (strcmp(h->addrs[k].ip, a->ip) == 0 &&
				    port_of(s, h->exchange, a->ip) == a->port) {
					attach(s, m, i, k);
					hit = true;
				}
		}
		if (hit) {
			mark(s, m, bits);
			check_settled(s, m);
		}
	}
}

/* ---- the store: addresses come and go with the domains that show them ---- */

static void on_probe(probe_result *r, void *arg);
static void on_bl(blr_result *r, void *arg);
static void on_ptr(const char *ip, mx_ptr *p, void *arg);

static void slot_free(sslot *sl)
{
	probe_result_free(sl->last);
	probe_result_free(sl->snap);
	free(sl->host);
	free(sl->rcpt);
	free(sl);
}

static void addr_free(scan *s, saddr *a)
{
	saddr **pp = &s->buckets[hash_ip(a->ip)];

	while (*pp != a)
		pp = &(*pp)->next;
	*pp = a->next;
	s->naddrs--;
	/* before the slots go: slots[0] says whether it is watched */
	if (s->mon && a->nslots && a->slots[0]->watched)
		smtp_monitor_unwatch(s->mon, a->ip, a->port);
	for (size_t i = 0; i < a->nslots; i++) {
		if (s->smtp && a->slots[i]->in_flight)
			smtp_cancel(s->smtp, on_probe, a->slots[i]);
		slot_free(a->slots[i]);
	}
	if (s->bl && a->bl_wait)
		bl_cancel(s->bl, on_bl, a);
	if (a->ptr_wait)
		auth_cancel(s->auth, a);
	mx_ptr_free(a->ptr);
	for (size_t j = 0; j < a->nbl; j++)
		blr_result_free(a->bl[j]);
	free(a->bl);
	free(a->slots);
	free(a->ip);
	free(a);
}

static saddr *addr_get(scan *s, const char *host, const char *ip)
{
	int port = port_of(s, host, ip);
	saddr *a = find_addr(s, ip, port);
	unsigned b;

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->ip = strdup(ip))) {
		free(a);
		return NULL;
	}
	a->s = s;
	a->port = port;
	a->allowed = !s->cfg.loopback_only || mx_ip_is_loopback(ip);
	b = hash_ip(ip);
	a->next = s->buckets[b];
	s->buckets[b] = a;
	s->naddrs++;
	/* a new address is asked about once, by every enabled provider */
	if (a->allowed && s->bl) {
		size_t n = 0;
		if (bl_lookup(s->bl, ip, on_bl, a, &n) == MXS_OK)
			a->bl_wait = n;
	}
	if (a->allowed && s->cfg.ptr && s->auth)
		a->ptr_wait = auth_ptr(s->auth, ip, on_ptr, a) == MXS_OK;
	return a;
}

/* The first probe of ip as host, when probes run and the policy allows. */
static void slot_get(scan *s, saddr *a, const char *host, const char *rcpt)
{
	sslot *sl, **g;
	scan_event ev = {.kind = SCAN_EV_PROBE_START, .ip = a->ip, .host = host};

	if (!a->allowed || !s->smtp || find_slot_to(a, host, rcpt))
		return;
	sl = calloc(1, sizeof(*sl));
	g = realloc(a->slots, (a->nslots + 1) * sizeof(*g));
	if (g)
		a->slots = g;
	if (!sl || !g || !(sl->host = strdup(host)) || (rcpt && !(sl->rcpt = strdup(rcpt)))) {
		if (sl)
			free(sl->host);
		free(sl);
		return;
	}
	sl->a = a;
	a->slots[a->nslots++] = sl;
	if (s->cfg.mode == SCAN_MONITOR) {
		sl->watched = smtp_monitor_watch(s->mon, host, a->ip) == MXS_OK;
	} else {
		sl->watched = smtp_probe_rcpt(s->smtp, host, a->ip, rcpt, on_probe, sl) == MXS_OK;
		sl->in_flight = sl->watched;
	}
	/* a probe that cannot start (not a host name) is not waited for */
	sl->done = !sl->watched;
	if (sl->watched)
		emit(s, &ev);
}

static void ref_domain(scan *s, const mx_domain *d)
{
	char rb[320];
	const char *to = d ? rcpt_for(s, mx_domain_name(d), rb, sizeof(rb)) : NULL;

	for (size_t i = 0; d && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = addr_get(s, h->exchange, h->addrs[k].ip);
			if (!a)
				continue;
			a->refs++;
			slot_get(s, a, h->exchange, to);
		}
	}
}

static void unref_domain(scan *s, const mx_domain *d)
{
	for (size_t i = 0; d && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = find_host_addr(s, h->exchange, h->addrs[k].ip);
			if (a && --a->refs == 0)
				addr_free(s, a);
		}
	}
}

/* ---- news from the clients --------------------------------------------- */

static void on_probe(probe_result *r, void *arg)
{
	sslot *sl = arg;
	scan *s = sl->a->s;
	scan_event ev = {.kind = SCAN_EV_PROBE_DONE, .ip = sl->a->ip, .host = sl->host, .probe = r};

	if (s->dying) {
		probe_result_free(r);
		return;
	}
	enter(s);
	probe_result_free(sl->last);
	sl->last = r;
	sl->in_flight = false;
	sl->done = true;
	s->probes_done++;
	s->probes_timeout += r->state == PROBE_CONNECT_TIMEOUT;
	emit(s, &ev);
	sync_addr(s, sl->a, SCAN_CH_PROBE);
	deliver(s);
	leave(s);
}

static void on_change(const char *ip, int port, void *arg)
{
	scan *s = arg;
	saddr *a = find_addr(s, ip, port);
	sslot *sl = find_slot(a, NULL);
	scan_event ev = {.kind = SCAN_EV_PROBE_DONE, .ip = ip};

	if (s->dying || !sl)
		return;
	enter(s);
	sl->done = true;
	s->probes_done++;
	ev.host = sl->host;
	ev.probe = live_last(s, sl);
	s->probes_timeout += ev.probe && ev.probe->state == PROBE_CONNECT_TIMEOUT;
	emit(s, &ev);
	sync_addr(s, a, SCAN_CH_PROBE);
	deliver(s);
	leave(s);
}

static void on_bl(blr_result *r, void *arg)
{
	saddr *a = arg;
	scan *s = a->s;
	scan_event ev = {.kind = SCAN_EV_BLOCKLIST, .ip = a->ip, .bl = r};
	size_t j;

	if (s->dying) {
		blr_result_free(r);
		return;
	}
	enter(s);
	if (a->bl_wait)
		a->bl_wait--;
	for (j = 0; j < a->nbl; j++)
		if (strcmp(a->bl[j]->provider, r->provider) == 0)
			break;
	if (j < a->nbl) {
		blr_result_free(a->bl[j]);
		a->bl[j] = r;
	} else {
		blr_result **g = realloc(a->bl, (a->nbl + 1) * sizeof(*g));
		if (!g) {
			blr_result_free(r);
			r = NULL;
		} else {
			a->bl = g;
			a->bl[a->nbl++] = r;
		}
	}
	if (r) {
		emit(s, &ev);
		sync_addr(s, a, SCAN_CH_BLOCKLIST);
	} else {
		sync_addr(s, a, 0); /* only the settling, if this was the last */
	}
	deliver(s);
	leave(s);
}

static void on_policy(policy_fetch_result *r, void *arg)
{
	sdom *m = arg;
	scan *s = m->s;

	m->pj = NULL;
	policy_fetch_result_free(m->pol);
	m->pol = r;
	if (m->removed || s->dying)
		return; /* the graveyard (or the teardown) frees m */
	enter(s);
	if (!s->frozen && m->d) {
		policy_fetch_apply(m->pol, m->d);
		mark(s, m, SCAN_CH_ANSWER);
		check_settled(s, m);
	}
	policy_fetch_apply(m->pol, m->parked);
	deliver(s);
	leave(s);
}

static bool domain_shows(const mx_domain *d, const char *ip)
{
	for (size_t i = 0; d && i < mx_domain_host_count(d); i++)
		for (size_t k = 0; k < mx_domain_host(d, i)->naddrs; k++)
			if (strcmp(mx_domain_host(d, i)->addrs[k].ip, ip) == 0)
				return true;
	return false;
}

/* Re-probes, at once, every address both the old and the new answer show
 * (the monitor keeps watching it), and waits for those probes before the
 * domain settles again: a re-resolve shows fresh answers on top of the
 * kept history. */
static void reprobe_kept(scan *s, const mx_domain *old, const mx_domain *d)
{
	for (size_t i = 0; old && i < mx_domain_host_count(old); i++) {
		const mx_host *h = mx_domain_host(old, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = find_host_addr(s, h->exchange, h->addrs[k].ip);
			sslot *sl = a ? find_slot(a, NULL) : NULL;
			if (!sl || !sl->watched || !sl->done || !domain_shows(d, a->ip))
				continue;
			sl->done = false;
			smtp_monitor_probe_now(s->mon, a->ip, a->port);
		}
	}
}

/* Shows a new answer: the old addresses go (SCAN_ONCE: an address no other
 * domain shows is forgotten, so a refresh probes it anew; SCAN_MONITOR: an
 * address the new answer shows again keeps its history, like mtr, and is
 * probed again at once), the new ones are watched and what the store knows
 * already is attached. */
static void install(scan *s, sdom *m, mx_domain *d, uint64_t when)
{
	mx_domain *old = m->d;

	if (s->cfg.mode == SCAN_MONITOR) {
		reprobe_kept(s, old, d);
		ref_domain(s, d);
		unref_domain(s, old);
	} else {
		unref_domain(s, old);
		ref_domain(s, d);
	}
	mx_domain_free(old);
	m->d = d;
	m->answered_ms = when;
	policy_fetch_apply(m->pol, d); /* each answer is a new mx_domain */
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		for (size_t k = 0; k < mx_domain_host(d, i)->naddrs; k++)
			attach(s, m, i, k);
	if (m->auth)
		mx_domain_set_auth(d, mx_auth_dup(m->auth));
	mark(s, m, SCAN_CH_ANSWER);
	check_settled(s, m);
}

/* ---- DNS beside the walk (net/auth.h) ----------------------------------- */

static void on_ptr(const char *ip, mx_ptr *p, void *arg)
{
	saddr *a = arg;
	scan *s = a->s;

	(void)ip;
	if (s->dying) {
		mx_ptr_free(p);
		return;
	}
	enter(s);
	mx_ptr_free(a->ptr);
	a->ptr = p;
	a->ptr_wait = false;
	sync_addr(s, a, SCAN_CH_PTR);
	deliver(s);
	leave(s);
}

static void on_auth(const char *domain, mx_auth *au, void *arg)
{
	sdom *m = arg;
	scan *s = m->s;

	(void)domain;
	if (s->dying) {
		mx_auth_free(au);
		return;
	}
	enter(s);
	mx_auth_free(m->auth);
	m->auth = au;
	m->auth_wait = false;
	if (m->d && au && !s->frozen)
		mx_domain_set_auth(m->d, mx_auth_dup(au));
	if (m->d && !s->frozen) {
		mark(s, m, SCAN_CH_AUTH);
		check_settled(s, m);
	}
	deliver(s);
	leave(s);
}

static void on_dns(mx_domain *d, void *arg)
{
	sdom *m = arg;
	scan *s = m->s;
	scan_event ev = {.kind = SCAN_EV_DNS_ANSWER, .name = m->name, .d = d};

	m->resolving = false;
	if (m->removed || s->dying) {
		/* the graveyard (or the teardown) frees m */
		mx_domain_free(d);
		if (!s->dying && s->depth == 0)
			sweep(s);
		return;
	}
	enter(s);
	emit(s, &ev);
	if (m->removed) {
		/* the event's reader removed it */
		mx_domain_free(d);
	} else if (s->frozen) {
		mx_domain_free(m->parked);
		m->parked = d;
		m->parked_ms = uv_now(s->loop);
	} else {
		install(s, m, d, uv_now(s->loop));
	}
	deliver(s);
	leave(s);
}

/* ---- delivering changes ---------------------------------------------- */

static void analyze(scan *s, sdom *m)
{
	mx_options o = {.seed = m->seed,
	                .as_host = m->as_host ? m->as_host : s->as_host,
	                .allow_loopback = s->cfg.allow_loopback,
	                .egress_blocked = s->egress,
	                .sender = s->cfg.sender};

	/* out of memory leaves the previous analysis; the next change retries */
	mx_domain_analyze(m->d, &o);
}

/* Calls on_domain for every domain marked since the last delivery, in the
 * order they were marked. A callback may mark, add or remove domains. */
static void deliver(scan *s)
{
	enter(s);
	while (s->dirty_head < s->ndirty && !s->dying) {
		sdom *m = s->dirty[s->dirty_head++];
		unsigned ch;
		m->dirty = false;
		if (m->removed || !m->d || s->frozen)
			continue;
		if (s->cfg.mode == SCAN_ONCE && !m->settled)
			continue; /* the bits wait for the settling call */
		ch = m->changes;
		m->changes = 0;
		analyze(s, m);
		if (s->cfg.on_domain)
			s->cfg.on_domain(s, m->name, m->d, ch, s->cfg.arg);
	}
	if (s->dirty_head == s->ndirty)
		s->dirty_head = s->ndirty = 0;
	leave(s);
}

/* Deferred work, outside every client's callback: a thaw, a reseed, the
 * teardown of a scan freed from a callback. */
static void on_timer(uv_timer_t *t)
{
	scan *s = t->data;

	if (s->dying) {
		teardown(s);
		return;
	}
	enter(s);
	if (s->thaw_pending) {
		s->thaw_pending = false;
		for (sdom *m = s->doms; m && !s->frozen; m = m->next) {
			if (m->parked) {
				mx_domain *d = m->parked;
				m->parked = NULL;
				install(s, m, d, m->parked_ms);
			} else if (m->d) {
				for (size_t i = 0; i < mx_domain_host_count(m->d); i++)
					for (size_t k = 0; k < mx_domain_host(m->d, i)->naddrs; k++)
						attach(s, m, i, k);
				if (m->auth) /* it came while frozen */
					mx_domain_set_auth(m->d, mx_auth_dup(m->auth));
				mark(s, m, SCAN_CH_ANALYSIS);
				check_settled(s, m);
			}
		}
	}
	deliver(s);
	leave(s);
}

static void kick(scan *s)
{
	uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* ---- process-wide -------------------------------------------------------- */

mxs_status scan_global_init(char **why)
{
	mxs_status st = dns_global_init(why);

	if (st != MXS_OK)
		return st;
	st = smtp_global_init(why);
	if (st != MXS_OK)
		dns_global_cleanup();
	return st;
}

void scan_global_cleanup(void)
{
	smtp_global_cleanup();
	dns_global_cleanup();
}

char *scan_versions(void)
{
	const char *c = dns_version(), *u = uv_version_string(), *l = smtp_version();
	size_t n = strlen(c) + strlen(u) + strlen(l) + 32;
	char *out = malloc(n);

	if (out)
		snprintf(out, n, "c-ares %s, libuv %s, %s", c, u, l);
	return out;
}

/* ---- life ------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

scan *scan_new(uv_loop_t *loop, const scan_config *cfg, int *code_hint, char **why)
{
	scan *s = calloc(1, sizeof(*s));
	dns_config dc;

	if (code_hint)
		*code_hint = 3;
	if (!s) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cfg = *cfg;
	s->ca_pem = dup_or_null(cfg->ca_pem);
	s->bl_ca_pem = dup_or_null(cfg->bl_ca_pem);
	s->as_host = dup_or_null(cfg->as_host);
	s->ehlo_name = dup_or_null(cfg->ehlo_name);
	s->rcpt = dup_or_null(cfg->rcpt);
	s->cfg.servers = NULL; /* copied by the DNS client; not kept */
	s->cfg.ca_pem = s->ca_pem;
	s->cfg.bl_ca_pem = s->bl_ca_pem;
	s->cfg.as_host = s->as_host;
	s->cfg.ehlo_name = s->ehlo_name;
	s->cfg.rcpt = s->rcpt;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	if ((cfg->ca_pem && !s->ca_pem) || (cfg->bl_ca_pem && !s->bl_ca_pem) ||
	    (cfg->as_host && !s->as_host) || (cfg->ehlo_name && !s->ehlo_name) ||
	    (cfg->rcpt && !s->rcpt)) {
		mxs_why(why, "out of memory");
		goto fail;
	}
	if (cfg->replay)
		return s; /* a recording answers everything: no client at all */
	dc = (dns_config){.servers = cfg->servers,
	                  .nservers = cfg->nservers,
	                  .timeout_ms = cfg->timeout_ms,
	                  .max_outstanding = cfg->max_dns,
	                  .srv = cfg->srv,
	                  .family = cfg->family,
	                  .qps = cfg->qps,
	                  .tlsa = cfg->dane};
	s->dns = dns_client_new(loop, &dc, why);
	if (!s->dns) {
		/* a server string the user typed is bad input */
		if (code_hint && why && *why && strstr(*why, "DNS server \""))
			*code_hint = 2;
		goto fail;
	}
	if (!cfg->no_probe) {
		smtp_config sc = {.port = cfg->smtp_port > 0 ? cfg->smtp_port : SMTP_DEFAULT_PORT,
		                  .timeout_ms = cfg->timeout_ms,
		                  .max_probes = cfg->max_probes,
		                  .ehlo_name = s->ehlo_name,
		                  .ca_pem = s->ca_pem,
		                  .overrides = cfg->smtp_overrides,
		                  .noverrides = cfg->nsmtp_overrides};
		s->smtp = smtp_prober_new(loop, &sc, why);
		if (!s->smtp)
			goto fail;
		if (cfg->mode == SCAN_MONITOR) {
			s->mon =
			    smtp_monitor_new(s->smtp, cfg->interval_ms ? cfg->interval_ms
			                                               : SCAN_DEFAULT_INTERVAL_MS);
			if (!s->mon) {
				mxs_why(why, "out of memory");
				goto fail;
			}
			smtp_monitor_on_change(s->mon, on_change, s);
		}
	}
	if (cfg->ptr || cfg->authoritative) {
		auth_config ac = {.servers = cfg->servers,
		                  .nservers = cfg->nservers,
		                  .timeout_ms = cfg->timeout_ms,
		                  .ns_port = cfg->ns_port};
		s->auth = auth_client_new(loop, &ac, why);
		if (!s->auth)
			goto fail;
	}
	if (cfg->mta_sts) {
		policy_fetch_config pc = {.timeout_ms = cfg->timeout_ms,
		                          .port = cfg->mta_sts_port,
		                          .ca_pem = s->ca_pem,
		                          .loopback_only = cfg->loopback_only};
		s->pf = policy_fetcher_new(loop, s->dns, &pc, why);
		if (!s->pf)
			goto fail;
	}
	if (cfg->blocklists && blr_config_enabled_count(cfg->blocklists) > 0) {
		bl_config bc = {.timeout_ms = cfg->timeout_ms, .ca_pem = s->bl_ca_pem};
		s->bl = bl_client_new(loop, cfg->blocklists, &bc, why);
		if (!s->bl) {
			if (code_hint)
				*code_hint = 2;
			goto fail;
		}
	}
	return s;
fail:
	scan_free(s);
	return NULL;
}

static void dom_free(sdom *m)
{
	mx_domain_free(m->d);
	mx_domain_free(m->parked);
	policy_fetch_result_free(m->pol);
	free(m->as_host);
	mx_auth_free(m->auth);
	free(m->name);
	free(m);
}

static void teardown(scan *s)
{
	if (s->torn_down)
		return;
	s->torn_down = true;
	smtp_monitor_free(s->mon);  /* before the prober it probes through */
	smtp_prober_free(s->smtp);  /* cancels: no callbacks */
	bl_client_free(s->bl);      /* the same for the lookups */
	policy_fetcher_free(s->pf); /* before the DNS client it asks through */
	dns_client_free(s->dns);    /* frees the domains on the wire, no callbacks */
	auth_client_free(s->auth);  /* no callbacks */
	for (unsigned b = 0; b < SCAN_BUCKETS; b++)
		while (s->buckets[b]) {
			saddr *a = s->buckets[b];
			s->buckets[b] = a->next;
			for (size_t i = 0; i < a->nslots; i++)
				slot_free(a->slots[i]);
			for (size_t j = 0; j < a->nbl; j++)
				blr_result_free(a->bl[j]);
			mx_ptr_free(a->ptr);
			free(a->bl);
			free(a->slots);
			free(a->ip);
			free(a);
		}
	while (s->doms) {
		sdom *m = s->doms;
		s->doms = m->next;
		dom_free(m);
	}
	while (s->grave) {
		sdom *m = s->grave;
		s->grave = m->next;
		dom_free(m);
	}
	free(s->dirty);
	free(s->ca_pem);
	free(s->bl_ca_pem);
	free(s->as_host);
	free(s->ehlo_name);
	free(s->rcpt);
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

void scan_free(scan *s)
{
	if (!s || s->dying)
		return;
	s->dying = true;
	if (s->depth > 0)
		kick(s); /* inside a callback: tear down from the timer */
	else
		teardown(s);
}

/* ---- domains -------------------------------------------------------------- */

static mxs_status resolve(scan *s, sdom *m)
{
	mx_domain *d = mx_domain_new(m->name);

	if (!d || dns_resolve(s->dns, d, on_dns, m) != MXS_OK) {
		mx_domain_free(d);
		return MXS_ERR_NOMEM;
	}
	m->resolving = true;
	if (s->cfg.authoritative && s->auth && !m->auth_wait)
		m->auth_wait = auth_zone(s->auth, m->name, on_auth, m) == MXS_OK;
	/* the policy is asked again with every answer asked (scan_refresh) */
	if (s->pf && !m->pj)
		m->pj = policy_fetch(s->pf, m->name, on_policy, m);
	return MXS_OK;
}

mxs_status scan_add(scan *s, const char *name, char **why)
{
	char *norm = NULL;
	sdom *m = NULL;
	mxs_status st;

	if (s->dying) {
		mxs_why(why, "the scan is closing");
		return MXS_ERR_INVALID;
	}
	st = mx_name_normalize(name, &norm, why);
	if (st != MXS_OK)
		return st;
	if (s->cfg.replay) {
		mxs_why(why, "%s: a replay asks nobody", norm);
		free(norm);
		return MXS_ERR_INVALID;
	}
	/* norm is normal already: find_dom would run it through IDNA again */
	for (m = s->doms; m && strcmp(m->name, norm) != 0; m = m->next)
		;
	if (m) {
		mxs_why(why, "%s is already listed", norm);
		free(norm);
		return MXS_ERR_LIMIT;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		free(norm);
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	m->s = s;
	m->name = norm;
	m->seed = s->cfg.seed;
	if (resolve(s, m) != MXS_OK) {
		mxs_why(why, "%s: out of memory", norm);
		free(norm);
		free(m);
		return MXS_ERR_NOMEM;
	}
	m->prev = s->doms_tail;
	if (s->doms_tail)
		s->doms_tail->next = m;
	else
		s->doms = m;
	s->doms_tail = m;
	s->ndoms++;
	return MXS_OK;
}

mxs_status scan_add_recorded(scan *s, mx_domain *d, char **why)
{
	sdom *m;

	if (!s->cfg.replay || s->dying) {
		mxs_why(why, "not a replay");
		mx_domain_free(d);
		return MXS_ERR_INVALID;
	}
	m = find_dom(s, mx_domain_name(d));
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m || !(m->name = strdup(mx_domain_name(d)))) {
			free(m);
			mx_domain_free(d);
			mxs_why(why, "out of memory");
			return MXS_ERR_NOMEM;
		}
		m->s = s;
		m->prev = s->doms_tail;
		if (s->doms_tail)
			s->doms_tail->next = m;
		else
			s->doms = m;
		s->doms_tail = m;
		s->ndoms++;
	}
	m->seed = mx_domain_seed(d);
	m->settled = false;
	install(s, m, d, uv_now(s->loop));
	kick(s);
	return MXS_OK;
}

mxs_status scan_refresh(scan *s, const char *name)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	if (s->cfg.replay)
		return MXS_OK; /* what was recorded is all there is */
	if (m->resolving)
		return MXS_OK;
	if (resolve(s, m) != MXS_OK)
		return MXS_ERR_NOMEM;
	m->settled = false;
	return MXS_OK;
}

void scan_remove(scan *s, const char *name)
{
	sdom *m = s && !s->dying ? find_dom(s, name) : NULL;

	if (!m)
		return;
	if (m->prev)
		m->prev->next = m->next;
	else
		s->doms = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		s->doms_tail = m->prev;
	s->ndoms--;
	m->removed = true;
	if (m->auth_wait)
		auth_cancel(s->auth, m);
	m->auth_wait = false;
	policy_fetch_cancel(m->pj);
	m->pj = NULL;
	unref_domain(s, m->d);
	mx_domain_free(m->d);
	m->d = NULL;
	mx_domain_free(m->parked);
	m->parked = NULL;
	m->prev = NULL;
	m->next = s->grave;
	s->grave = m;
	if (s->depth == 0)
		sweep(s);
}

mxs_status scan_set_seed(scan *s, const char *name, uint64_t seed)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	m->seed = seed;
	if (m->d) {
		mark(s, m, SCAN_CH_ANALYSIS);
		kick(s);
	}
	return MXS_OK;
}

void scan_set_egress_blocked(scan *s, bool blocked)
{
	if (s->dying || s->egress == blocked)
		return;
	s->egress = blocked;
	for (sdom *m = s->doms; m; m = m->next)
		if (m->d)
			mark(s, m, SCAN_CH_ANALYSIS);
	kick(s);
}

mxs_status scan_set_as(scan *s, const char *name, const char *as_host)
{
	sdom *m = find_dom(s, name);
	char *c = NULL;

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	if (as_host && !(c = strdup(as_host)))
		return MXS_ERR_NOMEM;
	free(m->as_host);
	m->as_host = c;
	if (m->d) {
		mark(s, m, SCAN_CH_ANALYSIS);
		kick(s);
	}
	return MXS_OK;
}

const mx_domain *scan_domain(const scan *s, const char *name)
{
	const sdom *m = find_dom(s, name);

	return m ? m->d : NULL;
}

bool scan_domain_get_info(const scan *s, const char *name, scan_domain_info *out)
{
	const sdom *m = find_dom(s, name);

	if (!m)
		return false;
	*out = (scan_domain_info){.resolving = m->resolving,
	                          .answered = m->d != NULL,
	                          .settled = m->settled,
	                          .answered_ms = m->answered_ms,
	                          .seed = m->seed,
	                          .pending = pending(s, m)};
	return true;
}

bool scan_settled(const scan *s)
{
	for (const sdom *m = s->doms; m; m = m->next)
		if (!m->settled)
			return false;
	return true;
}

size_t scan_domain_count(const scan *s)
{
	return s->ndoms;
}

/* ---- addresses ------------------------------------------------------------ */

bool scan_history_get(const scan *s, const char *ip, const char *host, scan_history *out)
{
	const sslot *sl =
	    find_slot(host ? find_host_addr(s, host, ip) : find_addr(s, ip, -1), host);

	if (!sl)
		return false;
	if (s->frozen)
		*out = sl->snap_h;
	else
		live_history(s, sl, out);
	return true;
}

const probe_result *scan_probe_last(const scan *s, const char *ip, const char *host)
{
	const sslot *sl =
	    find_slot(host ? find_host_addr(s, host, ip) : find_addr(s, ip, -1), host);

	if (!sl)
		return NULL;
	return s->frozen ? sl->snap : live_last(s, sl);
}

const blr_result *const *scan_blocklist_results(const scan *s, const char *ip, size_t *n)
{
	const saddr *a = find_addr(s, ip, -1);

	*n = a ? a->nbl : 0;
	return a && a->nbl ? (const blr_result *const *)a->bl : NULL;
}

/* ---- freezing ------------------------------------------------------------ */

void scan_freeze(scan *s, bool frozen)
{
	if (s->dying || frozen == s->frozen)
		return;
	s->frozen = frozen;
	if (!frozen) {
		s->thaw_pending = true;
		kick(s);
		return;
	}
	/* what the histories say now is what the frozen display shows */
	for (unsigned b = 0; b < SCAN_BUCKETS; b++)
		for (saddr *a = s->buckets[b]; a; a = a->next)
			for (size_t i = 0; i < a->nslots; i++) {
				sslot *sl = a->slots[i];
				const probe_result *last = live_last(s, sl);
				live_history(s, sl, &sl->snap_h);
				probe_result_free(sl->snap);
				sl->snap = last ? probe_result_dup(last) : NULL;
			}
}

bool scan_frozen(const scan *s)
{
	return s->frozen;
}

/* ---- counters ------------------------------------------------------------ */

void scan_get_counters(const scan *s, scan_counters *out)
{
	*out = (scan_counters){
	    .dns_questions = s->dns ? dns_client_questions(s->dns) : 0,
	    .dns_replies = s->dns ? dns_client_replies(s->dns) : 0,
	    .dns_peak = s->dns ? dns_client_peak(s->dns) : 0,
	    .probes_busy = s->smtp ? smtp_prober_busy(s->smtp) : 0,
	    .probes_peak = s->smtp ? smtp_prober_peak(s->smtp) : 0,
	    .probes_done = s->probes_done,
	    .probes_connect_timeout = s->probes_timeout,
	    .bl_busy = s->bl ? bl_client_busy(s->bl) : 0,
	    .bl_transfers = s->bl ? bl_client_transfers(s->bl) : 0,
	    .bl_cache_hits = s->bl ? bl_client_cache_hits(s->bl) : 0,
	    .addresses = s->naddrs,
	};
}

void scan_set_srv(scan *s, bool on)
{
	s->cfg.srv = on;
	dns_client_set_srv(s->dns, on);
}

const char *scan_dns_servers(const scan *s)
{
	return s->dns ? dns_client_servers(s->dns) : "none (replay)";
}

const char *scan_dns_last_failure(const scan *s)
{
	return s->dns ? dns_client_last_failure(s->dns) : NULL;
}

bool scan_probing(const scan *s)
{
	return s->smtp != NULL;
}

bool scan_blocklisting(const scan *s)
{
	return s->bl != NULL;
}

const char *scan_ehlo_name(const scan *s)
{
	return s->smtp ? smtp_prober_ehlo_name(s->smtp) : NULL;
}
