/* net/monitor.c — the live monitor of net/smtp.h (smtp_monitor_*): like
 * mtr, it re-probes every watched address through an smtp_prober on an
 * interval and keeps a per-address history (sent, lost, greeting times).
 * It only schedules probes and counts their outcomes: the conversation
 * itself is net/smtp.c's. */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "htab.h"
#include "smtp.h"

typedef struct watch {
	smtp_monitor *m;
	char *host, *ip;
	int port; /* where its probes go: the key with ip */
	smtp_history h;
	probe_result *last;
	long long sum_ms;
	mx_hlink link; /* in the monitor's watches, by (ip, port, host) */
} watch;

struct smtp_monitor {
	smtp_prober *p;
	uv_timer_t timer;
	unsigned interval_ms;
	mx_htab *watches; /* hashed: a probe's end finds its watch in one step */
	smtp_change_cb on_change;
	void *arg;
};

static void on_mon_done(probe_result *r, void *arg)
{
	watch *w = arg;
	smtp_history *h = &w->h;
	smtp_monitor *m = w->m;

	h->in_flight = false;
	h->sent++;
	if (r->state != PROBE_ACCEPTED)
		h->lost++;
	h->lost_pct = 100.0 * (double)h->lost / (double)h->sent;
	h->last_state = r->state;
	if (r->t.greeting >= 0) {
		long g = r->t.greeting;
		h->last_ms = g;
		h->greeted++;
		w->sum_ms += g;
		h->avg_ms = (long)(w->sum_ms / (long long)h->greeted);
		if (h->best_ms < 0 || g < h->best_ms)
			h->best_ms = g;
		if (g > h->worst_ms)
			h->worst_ms = g;
	}
	probe_result_free(w->last);
	w->last = r;
	h->last = r;
	if (m->on_change)
		m->on_change(w->ip, w->port, w->host,
		             m->arg); /* may unwatch or free: w is not used after */
}

static void watch_probe(smtp_monitor *m, watch *w)
{
	if (w->h.in_flight)
		return; /* never overlap: this address skips the round */
	if (smtp_probe(m->p, w->host, w->ip, on_mon_done, w) == MXS_OK)
		w->h.in_flight = true;
}

static void on_mon_tick(uv_timer_t *t)
{
	smtp_monitor *m = t->data;

	size_t pos = 0;

	for (mx_hlink *l = mx_htab_next(m->watches, &pos, NULL); l;
	     l = mx_htab_next(m->watches, &pos, l))
		watch_probe(m, MX_HLINK_OF(l, watch, link));
}

smtp_monitor *smtp_monitor_new(smtp_prober *p, unsigned interval_ms)
{
	smtp_monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (!(m->watches = mx_htab_new())) {
		free(m);
		return NULL;
	}
	m->p = p;
	m->interval_ms = interval_ms ? interval_ms : 1000;
	uv_timer_init(smtp_prober_loop(p), &m->timer);
	m->timer.data = m;
	uv_timer_start(&m->timer, on_mon_tick, m->interval_ms, m->interval_ms);
	return m;
}

void smtp_monitor_on_change(smtp_monitor *m, smtp_change_cb cb, void *arg)
{
	m->on_change = cb;
	m->arg = arg;
}

static uint32_t watch_hash(const char *ip, int port, const char *host)
{
	return mx_hash(host, mx_hash(ip, MX_HASH_BASIS) ^ (uint32_t)port);
}

static watch *watch_find(const smtp_monitor *m, const char *ip, int port, const char *host)
{
	uint32_t h;

	if (!host)
		host = "";
	h = watch_hash(ip, port, host);
	for (mx_hlink *l = mx_htab_chain(m->watches, h); l; l = l->next) {
		watch *w = MX_HLINK_OF(l, watch, link);
		if (l->hash == h && w->port == port && strcmp(w->ip, ip) == 0 &&
		    strcmp(w->host, host) == 0)
			return w;
	}
	return NULL;
}

static void watch_free(watch *w)
{
	probe_result_free(w->last);
	free(w->host);
	free(w->ip);
	free(w);
}

void smtp_monitor_probe_now(smtp_monitor *m, const char *ip, int port, const char *host)
{
	watch *w = m && ip ? watch_find(m, ip, port, host) : NULL;

	if (w)
		watch_probe(m, w);
}

mxs_status smtp_monitor_watch(smtp_monitor *m, const char *host, const char *ip)
{
	watch *w;
	int port;

	if (!ip)
		return MXS_ERR_INVALID;
	port = smtp_prober_port_for(m->p, host, ip);
	if (watch_find(m, ip, port, host))
		return MXS_OK;
	w = calloc(1, sizeof(*w));
	if (!w)
		return MXS_ERR_NOMEM;
	w->m = m;
	w->port = port;
	w->host = strdup(host ? host : "");
	w->ip = strdup(ip);
	if (!w->host || !w->ip) {
		watch_free(w);
		return MXS_ERR_NOMEM;
	}
	w->h = (smtp_history){.host = w->host,
	                      .ip = w->ip,
	                      .port = port,
	                      .last_ms = -1,
	                      .avg_ms = -1,
	                      .best_ms = -1,
	                      .worst_ms = -1,
	                      .last_state = PROBE_PENDING};
	if (smtp_probe(m->p, host, ip, on_mon_done, w) != MXS_OK) {
		watch_free(w);
		return MXS_ERR_INVALID;
	}
	w->h.in_flight = true;
	mx_htab_put(m->watches, &w->link, watch_hash(w->ip, port, w->host));
	return MXS_OK;
}

void smtp_monitor_unwatch(smtp_monitor *m, const char *ip, int port, const char *host)
{
	watch *w = watch_find(m, ip, port, host);

	if (!w)
		return;
	mx_htab_del(m->watches, &w->link);
	smtp_cancel_at(m->p, w->ip, on_mon_done, w);
	watch_free(w);
}

const smtp_history *smtp_monitor_history(const smtp_monitor *m, const char *ip, int port,
                                         const char *host)
{
	watch *w = watch_find(m, ip, port, host);

	return w ? &w->h : NULL;
}

static void on_mon_closed(uv_handle_t *h)
{
	free(h->data);
}

void smtp_monitor_free(smtp_monitor *m)
{
	if (!m)
		return;
	for (size_t pos = 0;;) {
		mx_hlink *l = mx_htab_next(m->watches, &pos, NULL);
		watch *w;
		if (!l)
			break;
		w = MX_HLINK_OF(l, watch, link);
		mx_htab_del(m->watches, l);
		smtp_cancel_at(m->p, w->ip, on_mon_done, w);
		watch_free(w);
	}
	mx_htab_free(m->watches);
	uv_timer_stop(&m->timer);
	uv_close((uv_handle_t *)&m->timer, on_mon_closed);
}
