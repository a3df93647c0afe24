/* net/scan_store.c — the scan's result store (scan_int.h): one entry per
 * address and port, alive while some shown domain lists it, each probed
 * and asked about once whichever domains show it; its probe slots (one per
 * MX host name, since TLS verifies that name, and per recipient with
 * --rcpt), the monitor's mtr-like history, and attaching what it knows to
 * the domains that show it. The answers of the address stages (blocklists,
 * PTR) live here too but are started, kept and freed by scan_stages.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dane.h"
#include "hash.h"
#include "htab.h"
#include "sender.h"
#include "scan_int.h"

static uint32_t hash_ip(const char *ip)
{
	return mx_hash(ip, MX_HASH_BASIS);
}

/* Every address in turn (see mx_htab_next); none before the first. */
static saddr *addr_next(const scan *s, size_t *pos, saddr *cur)
{
	mx_hlink *l = s->addrs ? mx_htab_next(s->addrs, pos, cur ? &cur->link : NULL) : NULL;

	return l ? MX_HLINK_OF(l, saddr, link) : NULL;
}

/* ---- finding ----------------------------------------------------------------- */

/* The lab's address map can give each scenario's ::1 its own port. */
int scani_port_of(const scan *s, const char *host, const char *ip)
{
	return s->smtp ? smtp_prober_port_for(s->smtp, host, ip) : 0;
}

saddr *scani_find_addr(const scan *s, const char *ip, int port)
{
	saddr *any = NULL;
	uint32_t h = hash_ip(ip);

	for (mx_hlink *l = s->addrs ? mx_htab_chain(s->addrs, h) : NULL; l; l = l->next) {
		saddr *a = MX_HLINK_OF(l, saddr, link);
		if (l->hash != h || strcmp(a->ip, ip) != 0)
			continue;
		if (a->port == port)
			return a;
		any = a;
	}
	return port < 0 ? any : NULL;
}

saddr *scani_find_host_addr(const scan *s, const char *host, const char *ip)
{
	return scani_find_addr(s, ip, scani_port_of(s, host, ip));
}

/* One slot per host name, in both modes: STARTTLS verifies the certificate
 * for the name, so an address shown as two hosts is probed as each (the
 * explorer once showed the first domain's probe, verified for its own
 * name, for every domain on the address). NULL host: the first slot. */
sslot *scani_find_slot(const saddr *a, const char *host)
{
	if (!a || a->nslots == 0)
		return NULL;
	if (!host)
		return a->slots[0];
	for (size_t i = 0; i < a->nslots; i++)
		if (strcmp(a->slots[i]->host, host) == 0)
			return a->slots[i];
	return NULL;
}

/* With --rcpt a slot is also keyed by the address asked for, so two domains
 * sharing an MX each get their own RCPT. */
sslot *scani_find_slot_to(const saddr *a, const char *host, const char *rcpt)
{
	if (!rcpt)
		return scani_find_slot(a, host);
	for (size_t i = 0; a && i < a->nslots; i++)
		if (strcmp(a->slots[i]->host, host) == 0 && a->slots[i]->rcpt &&
		    strcmp(a->slots[i]->rcpt, rcpt) == 0)
			return a->slots[i];
	return NULL;
}

/* ---- the history view ----------------------------------------------------- */

/* A slot's first probe, and all it had without a monitor (SCAN_ONCE, or a
 * recording, which has one probe per address). */
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

	if (!s->mon) {
		once_history(sl, h);
		return;
	}
	*h = (scan_history){.watched = sl->watched,
	                    .last_state = PROBE_PENDING,
	                    .last_ms = -1,
	                    .avg_ms = -1,
	                    .best_ms = -1,
	                    .worst_ms = -1};
	m = sl->watched ? smtp_monitor_history(s->mon, sl->a->ip, sl->a->port, sl->host) : NULL;
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

	if (!s->mon)
		return sl->last;
	m = sl->watched ? smtp_monitor_history(s->mon, sl->a->ip, sl->a->port, sl->host) : NULL;
	return m ? m->last : NULL;
}

bool scan_history_get(const scan *s, const char *ip, const char *host, scan_history *out)
{
	const sslot *sl = scani_find_slot(
	    host ? scani_find_host_addr(s, host, ip) : scani_find_addr(s, ip, -1), host);

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
	const sslot *sl = scani_find_slot(
	    host ? scani_find_host_addr(s, host, ip) : scani_find_addr(s, ip, -1), host);

	if (!sl)
		return NULL;
	return s->frozen ? sl->snap : live_last(s, sl);
}

void scani_store_snapshot(scan *s)
{
	size_t pos = 0;

	for (saddr *a = addr_next(s, &pos, NULL); a; a = addr_next(s, &pos, a))
		for (size_t i = 0; i < a->nslots; i++) {
			sslot *sl = a->slots[i];
			const probe_result *last = live_last(s, sl);
			live_history(s, sl, &sl->snap_h);
			probe_result_free(sl->snap);
			sl->snap = last ? probe_result_dup(last) : NULL;
		}
}

/* ---- attaching what the store knows to a domain ---------------------------- */

/* Host i's address k of m's domain gets its probe and the address stages'
 * answers. */
static void attach(scan *s, sdom *m, size_t i, size_t k)
{
	const mx_host *h = mx_domain_host(m->d, i);
	char rb[320];
	saddr *a = scani_find_host_addr(s, h->exchange, h->addrs[k].ip);
	sslot *sl = scani_find_slot_to(a, h->exchange, scani_rcpt_for(s, m->name, rb, sizeof(rb)));
	const probe_result *last = sl ? live_last(s, sl) : NULL;

	if (!a)
		return;
	if (last) {
		probe_result *r = probe_result_dup(last);
		const probe_result *rr = sl->rcpt_res;
		if (r && rr && rr->rcpt.to && !r->rcpt.to &&
		    probe_rcpt_set(r, rr->rcpt.to, rr->rcpt.code, rr->rcpt.reply,
		                   rr->rcpt.reply ? strlen(rr->rcpt.reply) : 0) != MXS_OK) {
			probe_result_free(r); /* out of memory: keep the last one attached */
			r = NULL;
		}
		/* the DANE stage: a DANE-TA chain must be valid now; a recording
		 * keeps the verdict it recorded (it keeps no whole chain) */
		if (r && s->src->live)
			r->dane = dane_verdict(m->d, h, r, time(NULL));
		if (r)
			mx_host_set_probe(m->d, i, k, r);
	}
	scani_addr_stages_attach(a, m->d, i, k);
}

void scani_attach_all(scan *s, sdom *m)
{
	for (size_t i = 0; i < mx_domain_host_count(m->d); i++)
		for (size_t k = 0; k < mx_domain_host(m->d, i)->naddrs; k++)
			attach(s, m, i, k);
}

size_t scani_store_waits(const scan *s, const sdom *m)
{
	size_t n = 0;
	char rb[320];
	const char *to = m->d ? scani_rcpt_for(s, m->name, rb, sizeof(rb)) : NULL;

	for (size_t i = 0; m->d && i < mx_domain_host_count(m->d); i++) {
		const mx_host *h = mx_domain_host(m->d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			const saddr *a = scani_find_host_addr(s, h->exchange, h->addrs[k].ip);
			const sslot *sl = scani_find_slot_to(a, h->exchange, to);
			if (!a || !a->allowed)
				continue;
			if (sl && (!sl->done || sl->rcpt_in_flight))
				n++;
			n += scani_addr_stages_waits(a);
		}
	}
	return n;
}

/* Only the domains that show a: a probe's end costs what its address is
 * shown in, not a walk over every listed domain (at 5,000 domains that
 * walk was most of the explorer's time). */
void scani_sync_addr(scan *s, const saddr *a, unsigned bits)
{
	unsigned long gen = ++s->sync_gen;

	if (s->frozen)
		return;
	for (size_t u = 0; u < a->nusers; u++) {
		sdom *m = a->users[u];
		bool hit = false;
		s->sync_visits++;
		if (!m->d || m->synced_gen == gen)
			continue;
		m->synced_gen = gen; /* a domain showing a twice is one pass */
		for (size_t i = 0; i < mx_domain_host_count(m->d); i++) {
			const mx_host *h = mx_domain_host(m->d, i);
			for (size_t k = 0; k < h->naddrs; k++)
				if (strcmp(h->addrs[k].ip, a->ip) == 0 &&
				    scani_port_of(s, h->exchange, a->ip) == a->port) {
					attach(s, m, i, k);
					hit = true;
				}
		}
		if (hit) {
			scani_mark(s, m, bits);
			scani_check_settled(s, m);
		}
	}
}

/* ---- addresses come and go with the domains that show them ---------------- */

static void on_rcpt_probe(probe_result *r, void *arg);

static void slot_free(sslot *sl)
{
	probe_result_free(sl->last);
	probe_result_free(sl->rcpt_res);
	probe_result_free(sl->snap);
	free(sl->host);
	free(sl->rcpt);
	free(sl);
}

/* The entry's memory; nothing is cancelled. */
static void addr_release(saddr *a)
{
	for (size_t i = 0; i < a->nslots; i++)
		slot_free(a->slots[i]);
	scani_addr_stages_free(a);
	free(a->slots);
	free(a->users);
	free(a->ip);
	free(a);
}

static void addr_free(scan *s, saddr *a)
{
	mx_htab_del(s->addrs, &a->link);
	s->naddrs--;
	/* before the slots go: each says whether its name is watched */
	for (size_t i = 0; s->mon && i < a->nslots; i++)
		if (a->slots[i]->watched)
			smtp_monitor_unwatch(s->mon, a->ip, a->port, a->slots[i]->host);
	for (size_t i = 0; i < a->nslots; i++)
		if (a->slots[i]->in_flight)
			s->src->cancel_probe(s, a->slots[i]);
		else if (s->smtp && a->slots[i]->rcpt_in_flight)
			smtp_cancel_at(s->smtp, a->ip, on_rcpt_probe, a->slots[i]);
	scani_addr_stages_cancel(s, a);
	addr_release(a);
}

void scani_store_free(scan *s)
{
	for (size_t pos = 0;;) {
		saddr *a = addr_next(s, &pos, NULL);
		if (!a)
			break;
		mx_htab_del(s->addrs, &a->link);
		addr_release(a);
	}
	mx_htab_free(s->addrs);
	s->addrs = NULL;
	s->naddrs = 0;
}

static saddr *addr_get(scan *s, const char *host, const char *ip)
{
	int port = scani_port_of(s, host, ip);
	saddr *a = scani_find_addr(s, ip, port);

	if (a)
		return a;
	if (!s->addrs && !(s->addrs = mx_htab_new()))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->ip = strdup(ip))) {
		free(a);
		return NULL;
	}
	a->s = s;
	a->port = port;
	a->allowed = !s->cfg.loopback_only || mx_ip_is_loopback(ip);
	mx_htab_put(s->addrs, &a->link, hash_ip(ip));
	s->naddrs++;
	scani_addr_stages_start(s, a); /* a new address is asked about once */
	return a;
}

/* The first probe of ip as host, when the source probes it and the policy
 * allows.
 * mon_rcpt: SCAN_MONITOR's one recipient stage for the slot, or NULL. */
static void slot_get(scan *s, saddr *a, const char *host, const char *rcpt, const char *mon_rcpt)
{
	sslot *sl, **g;
	scan_event ev = {.kind = SCAN_EV_PROBE_START, .ip = a->ip, .host = host};

	if (!a->allowed || !s->src->can_probe(s, host, a->ip) || scani_find_slot_to(a, host, rcpt))
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
	if (s->mon) {
		sl->watched = smtp_monitor_watch(s->mon, host, a->ip) == MXS_OK;
		if (sl->watched && mon_rcpt && (sl->rcpt = strdup(mon_rcpt)))
			sl->rcpt_in_flight = smtp_probe_rcpt(s->smtp, host, a->ip, sl->rcpt,
			                                     on_rcpt_probe, sl) == MXS_OK;
	} else {
		sl->watched = s->src->probe(s, sl, rcpt);
		sl->in_flight = sl->watched;
	}
	/* a probe that cannot start (not a host name) is not waited for */
	sl->done = !sl->watched;
	if (sl->watched)
		scani_emit(s, &ev);
}

/* m shows a once more; false when out of memory (no ref taken). */
static bool user_add(saddr *a, sdom *m)
{
	if (a->nusers == a->capusers) {
		size_t nc = a->capusers ? a->capusers * 2 : 2;
		sdom **g = realloc(a->users, nc * sizeof(*g));
		if (!g)
			return false;
		a->users = g;
		a->capusers = nc;
	}
	a->users[a->nusers++] = m;
	return true;
}

static void user_del(saddr *a, const sdom *m)
{
	for (size_t u = a->nusers; u-- > 0;)
		if (a->users[u] == m) {
			a->users[u] = a->users[--a->nusers];
			return;
		}
}

void scani_ref_domain(scan *s, sdom *m, const mx_domain *d)
{
	char rb[320];
	const char *to = d ? scani_rcpt_for(s, mx_domain_name(d), rb, sizeof(rb)) : NULL;
	char mb[320];
	/* the monitor's slot is one per address and host name: the first domain
	 * that shows it so says whom to ask for */
	const char *mto = d && s->rcpt && s->cfg.mode == SCAN_MONITOR &&
	                          sender_rcpt_address(s->rcpt, mx_domain_name(d), mb, sizeof(mb))
	                      ? mb
	                      : NULL;

	for (size_t i = 0; d && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = addr_get(s, h->exchange, h->addrs[k].ip);
			if (!a)
				continue;
			if (!user_add(a, m)) {
				if (a->refs == 0)
					addr_free(s, a);
				continue;
			}
			a->refs++;
			slot_get(s, a, h->exchange, to, mto);
		}
	}
}

void scani_unref_domain(scan *s, sdom *m, const mx_domain *d)
{
	for (size_t i = 0; d && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = scani_find_host_addr(s, h->exchange, h->addrs[k].ip);
			if (!a)
				continue;
			user_del(a, m);
			if (--a->refs == 0)
				addr_free(s, a);
		}
	}
}

static bool domain_shows(const mx_domain *d, const char *ip)
{
	for (size_t i = 0; d && i < mx_domain_host_count(d); i++)
		for (size_t k = 0; k < mx_domain_host(d, i)->naddrs; k++)
			if (strcmp(mx_domain_host(d, i)->addrs[k].ip, ip) == 0)
				return true;
	return false;
}

/* The domain waits for those probes (and the recipient stage, with
 * --rcpt) before it settles again: a re-resolve shows fresh answers on top
 * of the kept history. */
void scani_reprobe_kept(scan *s, const mx_domain *old, const mx_domain *d)
{
	for (size_t i = 0; old && i < mx_domain_host_count(old); i++) {
		const mx_host *h = mx_domain_host(old, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			saddr *a = scani_find_host_addr(s, h->exchange, h->addrs[k].ip);
			sslot *sl = a ? scani_find_slot(a, h->exchange) : NULL;
			if (!sl || !sl->watched || !sl->done || !domain_shows(d, a->ip))
				continue;
			sl->done = false;
			if (!s->src->reprobe(s, sl)) {
				sl->done = true;
				continue;
			}
			/* a refresh is asked for (r, the trainer): the recipient
			 * stage too, once more; the monitor's own rounds never */
			if (sl->rcpt && !sl->rcpt_in_flight)
				sl->rcpt_in_flight =
				    smtp_probe_rcpt(s->smtp, sl->host, a->ip, sl->rcpt,
				                    on_rcpt_probe, sl) == MXS_OK;
		}
	}
}

/* ---- news from the prober and the monitor -------------------------------- */

void scani_on_probe(probe_result *r, void *arg)
{
	sslot *sl = arg;
	scan *s = sl->a->s;
	scan_event ev = {.kind = SCAN_EV_PROBE_DONE, .ip = sl->a->ip, .host = sl->host, .probe = r};

	if (s->dying) {
		probe_result_free(r);
		return;
	}
	scani_enter(s);
	probe_result_free(sl->last);
	sl->last = r;
	sl->in_flight = false;
	sl->done = true;
	s->probes_done++;
	s->probes_timeout += r->state == PROBE_CONNECT_TIMEOUT;
	scani_emit(s, &ev);
	scani_sync_addr(s, sl->a, SCAN_CH_PROBE);
	scani_deliver(s);
	scani_leave(s);
}

/* The monitor's one recipient stage of a slot ended: only its RCPT answer
 * is kept, the monitor's own probes say the rest. */
static void on_rcpt_probe(probe_result *r, void *arg)
{
	sslot *sl = arg;
	scan *s = sl->a->s;

	if (s->dying) {
		probe_result_free(r);
		return;
	}
	scani_enter(s);
	probe_result_free(sl->rcpt_res);
	sl->rcpt_res = r;
	sl->rcpt_in_flight = false;
	scani_sync_addr(s, sl->a, SCAN_CH_PROBE);
	scani_deliver(s);
	scani_leave(s);
}

void scani_on_monitor_change(const char *ip, int port, const char *host, void *arg)
{
	scan *s = arg;
	saddr *a = scani_find_addr(s, ip, port);
	sslot *sl = scani_find_slot(a, host);
	scan_event ev = {.kind = SCAN_EV_PROBE_DONE, .ip = ip};

	if (s->dying || !sl)
		return;
	scani_enter(s);
	sl->done = true;
	s->probes_done++;
	ev.host = sl->host;
	ev.probe = live_last(s, sl);
	s->probes_timeout += ev.probe && ev.probe->state == PROBE_CONNECT_TIMEOUT;
	scani_emit(s, &ev);
	scani_sync_addr(s, a, SCAN_CH_PROBE);
	scani_deliver(s);
	scani_leave(s);
}
