/* net/scan.c — the scan pipeline (see scan.h; the split in scan_int.h):
 * the scan's life and clients, its domains (answered by the source,
 * scan_source.c or scan_replay.c, their answers installed into the result store of scan_store.c,
 * the stages of scan_stages.c started and attached), settling, and delivering the "domain changed"
 * callback.
 *
 * Re-entrancy: every loop callback of the scan runs between scani_enter()
 * and scani_leave(); front-end callbacks may remove domains or free the
 * scan, so removed domains wait in a graveyard until the outermost callback
 * returns, and a scan freed from a callback is torn down from its own
 * timer, outside every client's callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "scan_int.h"

#define SCAN_DEFAULT_INTERVAL_MS 10000u

static void teardown(scan *s);
static void dom_free(sdom *m);

/* ---- small helpers ------------------------------------------------------- */

static char *dup_or_null(const char *p)
{
	return p ? strdup(p) : NULL;
}

void scani_emit(scan *s, const scan_event *ev)
{
	if (s->cfg.on_event && !s->dying)
		s->cfg.on_event(s, ev, s->cfg.arg);
}

void scani_enter(scan *s)
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
		dom_free(m);
	}
}

void scani_leave(scan *s)
{
	if (--s->depth == 0 && !s->dying)
		sweep(s);
}

static sdom *find_dom(const scan *s, const char *name)
{
	char *norm = NULL;
	sdom *m = scani_names_get(s, name);

	if (m)
		return m;
	/* the raw form of a listed name ("Example.COM.") */
	if (mx_name_normalize(name, &norm, NULL) != MXS_OK)
		return NULL;
	m = scani_names_get(s, norm);
	free(norm);
	return m;
}

void scani_mark(scan *s, sdom *m, unsigned bits)
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

/* Probes and stage answers m still waits for before it settles. */
static size_t pending(const scan *s, const sdom *m)
{
	if (!m->d)
		return 0;
	return scani_store_waits(s, m) + scani_dom_stages_waits(m);
}

void scani_check_settled(scan *s, sdom *m)
{
	if (!m->settled && m->d && !m->resolving && pending(s, m) == 0) {
		m->settled = true;
		scani_mark(s, m, SCAN_CH_SETTLED);
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
		if (!m->keep_probes)
			scani_reprobe_kept(s, old, d);
		m->keep_probes = false;
		scani_ref_domain(s, m, d);
		scani_unref_domain(s, m, old);
	} else {
		scani_unref_domain(s, m, old);
		scani_ref_domain(s, m, d);
	}
	mx_domain_free(old);
	m->d = d;
	m->answered_ms = when;
	scani_attach_all(s, m);
	scani_dom_stages_attach(m, d); /* each answer is a new mx_domain */
	scani_mark(s, m, SCAN_CH_ANSWER);
	scani_check_settled(s, m);
}

void scani_on_answer(mx_domain *d, void *arg)
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
	scani_enter(s);
	scani_emit(s, &ev);
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
	scani_deliver(s);
	scani_leave(s);
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
void scani_deliver(scan *s)
{
	scani_enter(s);
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
	scani_leave(s);
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
	scani_enter(s);
	if (s->thaw_pending) {
		s->thaw_pending = false;
		for (sdom *m = s->doms; m && !s->frozen; m = m->next) {
			if (m->parked) {
				mx_domain *d = m->parked;
				m->parked = NULL;
				install(s, m, d, m->parked_ms);
			} else if (m->d) {
				/* what came while frozen */
				scani_attach_all(s, m);
				scani_dom_stages_attach(m, m->d);
				scani_mark(s, m, SCAN_CH_ANALYSIS);
				scani_check_settled(s, m);
			}
		}
	}
	scani_deliver(s);
	scani_leave(s);
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

scan *scan_new(uv_loop_t *loop, const scan_config *cfg, mxs_status *st, char **why)
{
	scan *s = calloc(1, sizeof(*s));
	mxs_status rc = MXS_ERR_NOMEM;
	dns_config dc;

	if (st)
		*st = MXS_OK;
	if (!s) {
		mxs_why(why, "out of memory");
		if (st)
			*st = MXS_ERR_NOMEM;
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
	s->deliver_answer = scani_on_answer;
	s->deliver_probe = scani_on_probe;
	if (cfg->recording) {
		/* the recorded answers stand where the network's would: no client */
		s->src = &scani_recording;
		rc = scani_rec_open(s);
		if (rc != MXS_OK) {
			mxs_why(why, "out of memory");
			goto fail;
		}
		return s;
	}
	s->src = &scani_network;
	dc = (dns_config){.servers = cfg->servers,
	                  .nservers = cfg->nservers,
	                  .timeout_ms = cfg->timeout_ms,
	                  .max_outstanding = cfg->max_dns,
	                  .family = cfg->family,
	                  .qps = cfg->qps};
	rc = dns_client_new(loop, &dc, &s->dns, why);
	if (rc != MXS_OK)
		goto fail;
	if (!cfg->no_probe) {
		smtp_config sc = {.port = cfg->smtp_port > 0 ? cfg->smtp_port : SMTP_DEFAULT_PORT,
		                  .timeout_ms = cfg->timeout_ms,
		                  .max_probes = cfg->max_probes,
		                  .ehlo_name = s->ehlo_name,
		                  .ca_pem = s->ca_pem,
		                  .overrides = cfg->smtp_overrides,
		                  .noverrides = cfg->nsmtp_overrides};
		s->smtp = smtp_prober_new(loop, &sc, why);
		if (!s->smtp) {
			rc = MXS_ERR_NET;
			goto fail;
		}
		if (cfg->mode == SCAN_MONITOR) {
			s->mon =
			    smtp_monitor_new(s->smtp, cfg->interval_ms ? cfg->interval_ms
			                                               : SCAN_DEFAULT_INTERVAL_MS);
			if (!s->mon) {
				mxs_why(why, "out of memory");
				rc = MXS_ERR_NOMEM;
				goto fail;
			}
			smtp_monitor_on_change(s->mon, scani_on_monitor_change, s);
		}
	}
	rc = scani_stages_new(s, cfg, why);
	if (rc != MXS_OK)
		goto fail;
	return s;
fail:
	if (st)
		*st = rc;
	scan_free(s);
	return NULL;
}

static void dom_free(sdom *m)
{
	mx_domain_free(m->d);
	mx_domain_free(m->parked);
	scani_dom_stages_free(m);
	free(m->as_host);
	free(m->name);
	free(m);
}

static void teardown(scan *s)
{
	if (s->torn_down)
		return;
	s->torn_down = true;
	if (s->src)
		s->src->close(s);  /* its answers still queued are dropped */
	smtp_monitor_free(s->mon); /* before the prober it probes through */
	smtp_prober_free(s->smtp); /* cancels: no callbacks */
	scani_stages_close(s);     /* the same for the stages' clients */
	dns_client_free(s->dns);   /* frees the domains on the wire, no callbacks */
	scani_store_free(s);
	scani_names_free(s);
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

/* Asks the source for m's answer; MXS_ERR_LIMIT when it has nothing newer
 * (scan_source). */
static mxs_status resolve(scan *s, sdom *m, char **why)
{
	mxs_status st;

	/* resolving before asking: a source may answer inside the call (a DNS
	 * client that already knows its servers refuse), and that answer may
	 * settle the domain and its reader remove it */
	m->resolving = true;
	/* SRV for every domain (--srv) or for this one (its details showed it) */
	st = s->src->resolve(s, m, s->cfg.srv || m->srv_on, why);
	if (st != MXS_OK) {
		m->resolving = false;
		return st;
	}
	if (!m->removed)
		scani_dom_stages_start(s, m);
	return MXS_OK;
}

static void unlink_dom(scan *s, sdom *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		s->doms = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		s->doms_tail = m->prev;
	s->ndoms--;
	scani_names_del(s, m);
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
	/* norm is normal already: find_dom would run it through IDNA again */
	if (scani_names_get(s, norm)) {
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
	if (!scani_names_put(s, m)) {
		mxs_why(why, "%s: out of memory", norm);
		free(norm);
		free(m);
		return MXS_ERR_NOMEM;
	}
	/* listed before it is asked: an answer inside resolve finds it, and a
	 * reader that removes it then unlinks it from where it is */
	m->prev = s->doms_tail;
	if (s->doms_tail)
		s->doms_tail->next = m;
	else
		s->doms = m;
	s->doms_tail = m;
	s->ndoms++;
	scani_enter(s); /* what it removes is swept after, not under, us */
	st = resolve(s, m, why);
	if (st != MXS_OK && !m->removed) {
		unlink_dom(s, m);
		free(norm);
		free(m);
	}
	scani_leave(s);
	if (st != MXS_OK)
		return st == MXS_ERR_LIMIT ? MXS_ERR_INVALID : st;
	return MXS_OK;
}

mxs_status scan_add_recorded(scan *s, mx_domain *d, char **why)
{
	uint64_t seed = mx_domain_seed(d);
	char *name;
	mxs_status st;
	sdom *m;

	if (s->src != &scani_recording || s->dying) {
		mxs_why(why, "%s: only a scan of a recording takes recorded answers",
		        mx_domain_name(d));
		mx_domain_free(d);
		return MXS_ERR_INVALID;
	}
	m = find_dom(s, mx_domain_name(d));
	if (m) {
		/* a later line: its answer is the next one; one on its way takes it */
		m->seed = seed;
		st = scani_rec_put(s, d);
		if (st == MXS_OK)
			st = scan_refresh(s, m->name);
		return st;
	}
	if (!(name = strdup(mx_domain_name(d)))) {
		mx_domain_free(d);
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	st = scani_rec_put(s, d);
	if (st == MXS_OK)
		st = scan_add(s, name, why);
	if (st == MXS_OK && (m = find_dom(s, name)))
		m->seed = seed; /* the order it was shown in */
	free(name);
	return st;
}

mxs_status scan_refresh(scan *s, const char *name)
{
	sdom *m = find_dom(s, name);
	mxs_status st;

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	if (m->resolving)
		return MXS_OK;
	st = resolve(s, m, NULL);
	if (st == MXS_ERR_LIMIT) {
		m->keep_probes = false;
		return MXS_OK; /* nothing newer to ask for: the answer stays */
	}
	if (st != MXS_OK)
		return st;
	m->settled = false;
	return MXS_OK;
}

void scan_remove(scan *s, const char *name)
{
	sdom *m = s && !s->dying ? find_dom(s, name) : NULL;

	if (!m)
		return;
	unlink_dom(s, m);
	m->removed = true;
	scani_dom_stages_cancel(s, m);
	scani_unref_domain(s, m, m->d);
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

mxs_status scan_refresh_dns(scan *s, const char *name)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	if (m->resolving)
		return MXS_OK;
	m->keep_probes = true;
	return scan_refresh(s, name);
}

mxs_status scan_set_authoritative(scan *s, const char *name, bool on)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying || !s->auth)
		return MXS_ERR_INVALID;
	m->auth_on = on;
	/* asked at once: the explorer's key should not wait for a re-resolve */
	if (on)
		scani_auth_start(s, m);
	return MXS_OK;
}

mxs_status scan_set_seed(scan *s, const char *name, uint64_t seed)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	m->seed = seed;
	if (m->d) {
		scani_mark(s, m, SCAN_CH_ANALYSIS);
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
			scani_mark(s, m, SCAN_CH_ANALYSIS);
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
		scani_mark(s, m, SCAN_CH_ANALYSIS);
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

bool scan_domain_peek(const scan *s, const char *name, scan_domain_info *out)
{
	const sdom *m = find_dom(s, name);

	if (!m)
		return false;
	*out = (scan_domain_info){.resolving = m->resolving,
	                          .answered = m->d != NULL,
	                          .settled = m->settled,
	                          .answered_ms = m->answered_ms,
	                          .seed = m->seed};
	return true;
}

bool scan_settled(const scan *s)
{
	/* a change marked and not yet delivered (a re-analysis waits for the
	 * loop: scan_set_egress_blocked, a reseed) is work still to come */
	if (s->dirty_head < s->ndirty)
		return false;
	for (const sdom *m = s->doms; m; m = m->next)
		if (!m->settled)
			return false;
	return true;
}

size_t scan_domain_count(const scan *s)
{
	return s->ndoms;
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
	scani_store_snapshot(s); /* what the frozen display shows */
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
	    .name_compares = s->name_compares,
	    .sync_visits = s->sync_visits,
	};
}

mxs_status scan_set_srv_for(scan *s, const char *name, bool on)
{
	sdom *m = find_dom(s, name);

	if (!m || s->dying)
		return MXS_ERR_INVALID;
	m->srv_on = on;
	return MXS_OK;
}

const char *scan_dns_servers(const scan *s)
{
	return s->src->servers(s);
}

const char *scan_dns_last_failure(const scan *s)
{
	return s->dns ? dns_client_last_failure(s->dns) : NULL;
}

bool scan_probing(const scan *s)
{
	return s->src->probing(s);
}

bool scan_recorded(const scan *s)
{
	return !s->src->live;
}

bool scan_blocklisting(const scan *s)
{
	return s->bl != NULL;
}

const char *scan_ehlo_name(const scan *s)
{
	return s->smtp ? smtp_prober_ehlo_name(s->smtp) : NULL;
}
