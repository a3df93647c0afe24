/* net/monitor.c — the live monitor of net/smtp.h (smtp_monitor_*): like
 * mtr, it re-probes every watched address through an smtp_prober on an
 * interval and keeps a per-address history (sent, lost, greeting times).
 * It only schedules probes and counts their outcomes: the conversation
 * itself is net/smtp.c's. */
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

typedef struct watch {
	smtp_monitor *m;
	char *host, *ip;
	int port; /* where its probes go: the key with ip */
	smtp_history h;
	probe_result *last;
	long long sum_ms;
	struct watch *next;
} watch;

struct smtp_monitor {
	smtp_prober *p;
	uv_timer_t timer;
	unsigned interval_ms;
	watch *watches;
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

	for (watch *w = m->watches; w; w = w->next)
		watch_probe(m, w);
}

smtp_monitor *smtp_monitor_new(smtp_prober *p, unsigned interval_ms)
{
	smtp_monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
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

static watch *watch_find(const smtp_monitor *m, const char *ip, int port, const char *host,
                         watch ***link)
{
	watch **pp = (watch **)&m->watches;

	if (!host)
		host = "";
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->port == port && strcmp((*pp)->ip, ip) == 0 &&
		    strcmp((*pp)->host, host) == 0) {
			if (link)
				*link = pp;
			return *pp;
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
	watch *w = m && ip ? watch_find(m, ip, port, host, NULL) : NULL;

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
	if (watch_find(m, ip, port, host, NULL))
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
	w->next = m->watches;
	m->watches = w;
	return MXS_OK;
}

void smtp_monitor_unwatch(smtp_monitor *m, const char *ip, int port, const char *host)
{
	watch **link, *w = watch_find(m, ip, port, host, &link);

	if (!w)
		return;
	*link = w->next;
	smtp_cancel(m->p, on_mon_done, w);
	watch_free(w);
}

const smtp_history *smtp_monitor_history(const smtp_monitor *m, const char *ip, int port,
                                         const char *host)
{
	watch *w = watch_find(m, ip, port, host, NULL);

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
	while (m->watches) {
		watch *w = m->watches;
		m->watches = w->next;
		smtp_cancel(m->p, on_mon_done, w);
		watch_free(w);
	}
	uv_timer_stop(&m->timer);
	uv_close((uv_handle_t *)&m->timer, on_mon_closed);
}
