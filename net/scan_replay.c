/* net/scan_replay.c — the recording source of the scan (scan_int.h): the
 * answers core/record.c read back from a recording stand where the
 * network's would. A domain's recorded answer is its DNS answer; each
 * address's recorded probe is the result of its first probe, handed to the
 * store like the prober's, so the history, settling and on_domain are the
 * live ones. Nothing is asked again: a resolve of a name whose recorded
 * line was answered already has nothing newer (MXS_ERR_LIMIT), and there
 * are no re-probes. The answers of the stages beside the walk (blocklists,
 * PTR, MTA-STS, the authoritative view) are part of the recorded answer.
 *
 * Results go out from the loop, never from inside the call that asked:
 * a queue drained from a zero timer, as the network's come from its
 * clients' callbacks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan_int.h"

/* A recorded line of one domain, waiting for its name to be resolved. */
typedef struct rec_answer {
	mx_domain *d;
	struct rec_answer *next;
} rec_answer;

/* A recorded probe of ip as host, for the slot that asks it. */
typedef struct rec_probe {
	char *host, *ip;
	probe_result *r;
	struct rec_probe *next;
} rec_probe;

/* Something to hand over from the loop: m's answer, or sl's probe r. */
typedef struct rec_item {
	sdom *m;
	sslot *sl;
	probe_result *r;
	struct rec_item *next;
} rec_item;

struct scan_rec {
	rec_answer *answers; /* by name, the latest line of each */
	rec_probe *probes;   /* from the answers handed over */
	rec_item *head, *tail;
	uv_timer_t *timer; /* drains the queue; freed by its close callback */
};

mxs_status scani_rec_open(scan *s)
{
	scan_rec *r = calloc(1, sizeof(*r));

	if (!r || !(r->timer = malloc(sizeof(*r->timer)))) {
		free(r);
		return MXS_ERR_NOMEM;
	}
	uv_timer_init(s->loop, r->timer);
	r->timer->data = s;
	s->rec = r;
	return MXS_OK;
}

static rec_answer **answer_slot(scan_rec *r, const char *name)
{
	rec_answer **pp = &r->answers;

	while (*pp && strcasecmp(mx_domain_name((*pp)->d), name) != 0)
		pp = &(*pp)->next;
	return pp;
}

mxs_status scani_rec_put(scan *s, mx_domain *d)
{
	rec_answer **pp = answer_slot(s->rec, mx_domain_name(d));

	if (*pp) {
		mx_domain_free((*pp)->d);
		(*pp)->d = d;
		return MXS_OK;
	}
	if (!(*pp = calloc(1, sizeof(**pp)))) {
		mx_domain_free(d);
		return MXS_ERR_NOMEM;
	}
	(*pp)->d = d;
	return MXS_OK;
}

/* The probes of d as the recording has them, for the slots its addresses
 * will get; a later answer's probe replaces an earlier one's. */
static void keep_probes(scan_rec *r, const mx_domain *d)
{
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			rec_probe *p = r->probes;
			probe_result *dup;
			if (!h->addrs[k].probe || !(dup = probe_result_dup(h->addrs[k].probe)))
				continue;
			while (p && (strcmp(p->host, h->exchange) != 0 ||
			             strcmp(p->ip, h->addrs[k].ip) != 0))
				p = p->next;
			if (!p) {
				p = calloc(1, sizeof(*p));
				if (!p || !(p->host = strdup(h->exchange)) ||
				    !(p->ip = strdup(h->addrs[k].ip))) {
					if (p)
						free(p->host);
					free(p);
					probe_result_free(dup);
					continue;
				}
				p->next = r->probes;
				r->probes = p;
			}
			probe_result_free(p->r);
			p->r = dup;
		}
	}
}

static const rec_probe *find_probe(const scan_rec *r, const char *host, const char *ip)
{
	for (const rec_probe *p = r->probes; p; p = p->next)
		if (strcmp(p->host, host) == 0 && strcmp(p->ip, ip) == 0)
			return p;
	return NULL;
}

static void on_timer(uv_timer_t *t)
{
	scan *s = t->data;
	scan_rec *r = s->rec;

	while (r->head && !s->dying) {
		rec_item *it = r->head;
		r->head = it->next;
		if (!r->head)
			r->tail = NULL;
		if (it->sl) {
			s->deliver_probe(it->r, it->sl);
		} else {
			rec_answer **pp = answer_slot(r, it->m->name), *a = *pp;
			mx_domain *d = NULL;
			if (a) {
				*pp = a->next;
				d = a->d;
				free(a);
				keep_probes(r, d);
			}
			/* the line went (out of memory when it was put): an empty answer */
			s->deliver_answer(d ? d : mx_domain_new(it->m->name), it->m);
		}
		free(it);
	}
}

static bool enqueue(scan *s, sdom *m, sslot *sl, probe_result *pr)
{
	scan_rec *r = s->rec;
	rec_item *it = calloc(1, sizeof(*it));

	if (!it) {
		probe_result_free(pr);
		return false;
	}
	*it = (rec_item){.m = m, .sl = sl, .r = pr};
	if (r->tail)
		r->tail->next = it;
	else
		r->head = it;
	r->tail = it;
	uv_timer_start(r->timer, on_timer, 0, 0);
	return true;
}

/* ---- the source's operations ---------------------------------------------- */

static mxs_status rec_resolve(scan *s, sdom *m, bool srv, char **why)
{
	(void)srv; /* the recording has the SRV answers it has */
	if (!*answer_slot(s->rec, m->name)) {
		if (m->d)
			return MXS_ERR_LIMIT; /* its line was answered: nothing newer */
		mxs_why(why, "%s: not in the recording (a replay asks nobody)", m->name);
		return MXS_ERR_INVALID;
	}
	if (!enqueue(s, m, NULL, NULL)) {
		mxs_why(why, "%s: out of memory", m->name);
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

static bool rec_can_probe(const scan *s, const char *host, const char *ip)
{
	return find_probe(s->rec, host, ip) != NULL;
}

static bool rec_probe_start(scan *s, sslot *sl, const char *rcpt)
{
	const rec_probe *p = find_probe(s->rec, sl->host, sl->a->ip);
	probe_result *r = p ? probe_result_dup(p->r) : NULL;

	(void)rcpt; /* the recorded probe says what RCPT got, if it was asked */
	return r && enqueue(s, NULL, sl, r);
}

/* A later line of a domain shows the address again: its probe, the
 * latest recorded, comes to the slot as a new result. */
static bool rec_reprobe(scan *s, sslot *sl)
{
	if (!rec_probe_start(s, sl, NULL))
		return false;
	sl->in_flight = true; /* so that forgetting the address cancels it */
	return true;
}

static void rec_cancel_probe(scan *s, sslot *sl)
{
	scan_rec *r = s->rec;
	rec_item **pp = &r->head, *last = NULL;

	while (*pp) {
		rec_item *it = *pp;
		if (it->sl == sl) {
			*pp = it->next;
			probe_result_free(it->r);
			free(it);
			continue;
		}
		last = it;
		pp = &it->next;
	}
	r->tail = last;
}

static bool rec_probing(const scan *s)
{
	return !s->cfg.no_probe;
}

static const char *rec_servers(const scan *s)
{
	(void)s;
	return "none (replay)";
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void rec_close(scan *s)
{
	scan_rec *r = s->rec;

	if (!r)
		return;
	while (r->head) {
		rec_item *it = r->head;
		r->head = it->next;
		probe_result_free(it->r);
		free(it);
	}
	while (r->answers) {
		rec_answer *a = r->answers;
		r->answers = a->next;
		mx_domain_free(a->d);
		free(a);
	}
	while (r->probes) {
		rec_probe *p = r->probes;
		r->probes = p->next;
		probe_result_free(p->r);
		free(p->host);
		free(p->ip);
		free(p);
	}
	uv_timer_stop(r->timer);
	uv_close((uv_handle_t *)r->timer, on_timer_closed);
	free(r);
	s->rec = NULL;
}

const scan_source scani_recording = {
    .name = "recording",
    .live = false,
    .resolve = rec_resolve,
    .can_probe = rec_can_probe,
    .probe = rec_probe_start,
    .cancel_probe = rec_cancel_probe,
    .reprobe = rec_reprobe,
    .probing = rec_probing,
    .servers = rec_servers,
    .close = rec_close,
};
