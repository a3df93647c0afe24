/* net/auth.c — authoritative answers side by side and reverse DNS
 * (net/auth.h), with c-ares 1.18's old parsers (ares_parse_ns_reply,
 * _soa_, _mx_, _ptr_; addresses through dns_addrs_read) on net/dns.c's
 * engine (dns_query_raw).
 * A request counts its questions; when the last one ends the request is
 * handed back (or dropped, when cancelled). */
#include "auth.h"
#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_NAMES_MAX   8  /* NS names whose addresses are asked */
#define ZONE_WALK_MAX  8  /* ancestors tried for the zone cut */
#define POOL_IDLE_KEEP 64 /* name server channels kept when idle */
#define INFLIGHT_MAX   64 /* questions handed to the clients at once, all of them: the rest wait */

typedef enum qkind { K_NS, K_RMX, K_NSADDR4, K_NSADDR6, K_SOA, K_AMX, K_PTR, K_FWD } qkind;

typedef struct nsconn {
	char ip[INET6_ADDRSTRLEN];
	dns_client *dc;
	unsigned inflight;
} nsconn;

typedef struct req req;
typedef struct qctx qctx;

struct auth_client {
	uv_loop_t *loop;
	dns_client *res; /* the resolver, recursion on */
	unsigned timeout_ms;
	int ns_port;
	nsconn **pool; /* one channel per name server address, recursion off */
	size_t npool;
	req *reqs;
	size_t busy;
	unsigned inflight;   /* questions sent and not yet answered */
	qctx *qhead, *qtail; /* waiting for room (INFLIGHT_MAX) */
	bool closing;
};

struct req {
	auth_client *c;
	bool cancelled;
	unsigned pending;
	const void *arg;
	auth_ptr_cb pcb;
	auth_zone_cb zcb;
	char *name; /* the domain, or the address */
	/* zone */
	mx_auth *a;
	unsigned walked;
	size_t nns;
	/* reverse */
	mx_ptr *p;
	int af;
	unsigned char bin[16];
	req *prev, *next;
};

struct qctx {
	req *r;
	qkind kind;
	size_t idx;   /* K_SOA, K_AMX: server index */
	nsconn *conn; /* the channel asked, when not the resolver */
	int type;
	qctx *next;  /* in the waiting queue */
	char *qname; /* the name asked, in buf after name */
	char buf[];  /* name (K_NSADDR*: the NS name), then qname */
};

static void on_q(mx_rcode rc, const unsigned char *abuf, int alen, void *arg);

static void send_q(auth_client *c, qctx *q)
{
	c->inflight++;
	if (dns_query_raw(q->conn ? q->conn->dc : c->res, q->qname, q->type, 0, on_q, q) != MXS_OK)
		on_q(MX_RC_ERROR, NULL, 0, q);
}

/* Sends waiting questions while there is room. */
static void pump(auth_client *c)
{
	while (!c->closing && c->qhead && c->inflight < INFLIGHT_MAX) {
		qctx *q = c->qhead;
		c->qhead = q->next;
		if (!c->qhead)
			c->qtail = NULL;
		send_q(c, q);
	}
}

static void ask(req *r, nsconn *conn, const char *qname, int type, qkind kind, size_t idx,
                const char *extra)
{
	size_t n = extra ? strlen(extra) + 1 : 1, m = strlen(qname) + 1;
	qctx *q = malloc(sizeof(*q) + n + m);
	auth_client *c = r->c;

	if (!q)
		return; /* the request ends with what it has */
	*q = (qctx){.r = r, .kind = kind, .idx = idx, .conn = conn, .type = type};
	memcpy(q->buf, extra ? extra : "", n);
	q->qname = q->buf + n;
	memcpy(q->qname, qname, m);
	r->pending++;
	if (conn)
		conn->inflight++;
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	pump(c);
}

/* The channel that asks ip directly; idle ones beyond POOL_IDLE_KEEP go. */
static nsconn *pool_get(auth_client *c, const char *ip)
{
	nsconn *n, **g;
	char spec[INET6_ADDRSTRLEN + 10];
	const char *servers[1] = {spec};
	dns_config dc;

	for (size_t i = 0; i < c->npool; i++)
		if (strcmp(c->pool[i]->ip, ip) == 0)
			return c->pool[i];
	for (size_t i = 0; c->npool >= POOL_IDLE_KEEP && i < c->npool; i++)
		if (c->pool[i]->inflight == 0) {
			dns_client_free(c->pool[i]->dc);
			free(c->pool[i]);
			c->pool[i] = c->pool[--c->npool];
			break;
		}
	snprintf(spec, sizeof(spec), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, c->ns_port);
	dc = (dns_config){.servers = servers,
	                  .nservers = 1,
	                  .timeout_ms = c->timeout_ms,
	                  /* a window floor of 2: its SOA and MX questions go together */
	                  .max_outstanding = 20,
	                  .no_recurse = true};
	n = calloc(1, sizeof(*n));
	g = n ? realloc(c->pool, (c->npool + 1) * sizeof(*g)) : NULL;
	if (g)
		c->pool = g;
	if (!g || dns_client_new(c->loop, &dc, &n->dc, NULL) != MXS_OK) {
		free(n);
		return NULL;
	}
	snprintf(n->ip, sizeof(n->ip), "%s", ip);
	c->pool[c->npool++] = n;
	return n;
}

/* ---- answers ------------------------------------------------------------- */

/* An MX answer into a sorted "PREF HOST" list. */
static mx_rcode read_mx(mx_rcode rc, const unsigned char *abuf, int alen, char ***list, size_t *n)
{
	struct ares_mx_reply *mx = NULL;

	if (rc != MX_RC_OK)
		return rc;
	if (ares_parse_mx_reply(abuf, alen, &mx) != ARES_SUCCESS)
		return mx ? MX_RC_FORMERR : MX_RC_NODATA;
	for (struct ares_mx_reply *m = mx; m; m = m->next)
		if (mx_auth_add_mx(list, n, m->priority, m->host ? m->host : ".") != MXS_OK)
			break;
	ares_free_data(mx);
	return rc;
}

static void on_ns(req *r, mx_rcode rc, const unsigned char *abuf, int alen)
{
	struct hostent *he = NULL;
	mx_auth *a = r->a;
	char *dot;

	if ((rc == MX_RC_NODATA || rc == MX_RC_NXDOMAIN) && r->walked < ZONE_WALK_MAX &&
	    (dot = strchr(a->zone, '.')) && strchr(dot + 1, '.')) {
		/* not a zone cut: the zone is an ancestor's (never a TLD) */
		memmove(a->zone, dot + 1, strlen(dot + 1) + 1);
		r->walked++;
		ask(r, NULL, a->zone, ns_t_ns, K_NS, 0, NULL);
		return;
	}
	a->ns_rc = rc;
	if (rc != MX_RC_OK)
		return;
	if (ares_parse_ns_reply(abuf, alen, &he) != ARES_SUCCESS || !he) {
		a->ns_rc = MX_RC_FORMERR;
		return;
	}
	for (size_t i = 0; he->h_aliases && he->h_aliases[i] && r->nns < NS_NAMES_MAX; i++) {
		const char *ns = he->h_aliases[i];
		r->nns++;
		ask(r, NULL, ns, ns_t_a, K_NSADDR4, 0, ns);
		ask(r, NULL, ns, ns_t_aaaa, K_NSADDR6, 0, ns);
	}
	ares_free_hostent(he);
}

static void on_nsaddr(req *r, int af, const char *ns, mx_rcode rc, const unsigned char *abuf,
                      int alen)
{
	dns_addrs got;

	if (rc != MX_RC_OK ||
	    dns_addrs_read(abuf, alen, af == AF_INET ? 4 : 6, &got, NULL) != MX_RC_OK)
		return;
	for (size_t i = 0; i < got.n; i++) {
		nsconn *conn;
		size_t idx = r->a->nsrv;
		const char *ip = got.a[i].ip;
		if (mx_auth_add_server(r->a, ns, ip, NULL) != MXS_OK)
			return;
		r->a->srv[idx].rc = MX_RC_ERROR;
		r->a->srv[idx].mx_rc = MX_RC_ERROR;
		conn = pool_get(r->c, ip);
		if (!conn)
			continue;
		ask(r, conn, r->a->zone, ns_t_soa, K_SOA, idx, NULL);
		ask(r, conn, r->name, ns_t_mx, K_AMX, idx, NULL);
	}
}

static void on_soa(req *r, size_t idx, mx_rcode rc, const unsigned char *abuf, int alen)
{
	mx_auth_server *s = &r->a->srv[idx];
	struct ares_soa_reply *soa = NULL;

	s->rc = rc;
	/* RFC 1035 §4.1.1: AA is bit 2 of the third header byte */
	s->aa = abuf && alen >= HFIXEDSZ && (abuf[2] & 0x04);
	if (rc == MX_RC_OK && ares_parse_soa_reply(abuf, alen, &soa) == ARES_SUCCESS) {
		s->has_serial = true;
		s->serial = soa->serial;
		ares_free_data(soa);
	}
}

static void on_ptr(req *r, mx_rcode rc, const unsigned char *abuf, int alen)
{
	struct hostent *he = NULL;
	mx_ptr *p = r->p;
	int af = r->af;

	p->rc = rc;
	if (rc != MX_RC_OK)
		return;
	if (ares_parse_ptr_reply(abuf, alen, r->bin, af == AF_INET ? 4 : 16, af, &he) !=
	        ARES_SUCCESS ||
	    !he) {
		p->rc = MX_RC_NODATA;
		return;
	}
	/* h_aliases holds every PTR name (h_name is one of them) */
	for (size_t i = 0; he->h_aliases && he->h_aliases[i]; i++) {
		bool seen = false;
		for (size_t k = 0; k < p->nnames; k++)
			seen |= strcasecmp(p->names[k], he->h_aliases[i]) == 0;
		if (!seen && mx_ptr_add_name(p, he->h_aliases[i]) != MXS_OK)
			break;
	}
	if (p->nnames == 0 && he->h_name)
		mx_ptr_add_name(p, he->h_name);
	ares_free_hostent(he);
	for (size_t i = 0; i < p->nnames && i < AUTH_FWD_NAMES_MAX; i++)
		ask(r, NULL, p->names[i], af == AF_INET ? ns_t_a : ns_t_aaaa, K_FWD, i, NULL);
}

static void on_fwd(req *r, mx_rcode rc, const unsigned char *abuf, int alen)
{
	dns_addrs got;

	if (rc != MX_RC_OK ||
	    dns_addrs_read(abuf, alen, r->af == AF_INET ? 4 : 6, &got, NULL) != MX_RC_OK)
		return;
	for (size_t i = 0; i < got.n; i++)
		if (memcmp(got.a[i].bin, r->bin, r->af == AF_INET ? 4 : 16) == 0)
			r->p->forward_confirmed = true;
}

static void req_finish(req *r)
{
	auth_client *c = r->c;

	if (--r->pending)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	c->busy--;
	if (!r->cancelled && !c->closing) {
		if (r->zcb) {
			mx_auth_sort(r->a);
			r->zcb(r->name, r->a, (void *)r->arg);
		} else {
			r->pcb(r->name, r->p, (void *)r->arg);
		}
		r->a = NULL;
		r->p = NULL;
	}
	mx_auth_free(r->a);
	mx_ptr_free(r->p);
	free(r->name);
	free(r);
}

static void on_q(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	qctx *q = arg;
	req *r = q->r;
	auth_client *c;

	if (!r->cancelled && !r->c->closing && rc != MX_RC_NOT_ASKED) {
		switch (q->kind) {
		case K_NS: on_ns(r, rc, abuf, alen); break;
		case K_RMX: {
			mx_auth *a = r->a;
			a->resolver_rc = read_mx(rc, abuf, alen, &a->resolver_mx, &a->nresolver_mx);
			a->resolver_ttl =
			    dns_answer_ttl(abuf, alen > 0 ? (size_t)alen : 0, ns_t_mx);
			break;
		}
		case K_NSADDR4: on_nsaddr(r, AF_INET, q->buf, rc, abuf, alen); break;
		case K_NSADDR6: on_nsaddr(r, AF_INET6, q->buf, rc, abuf, alen); break;
		case K_SOA: on_soa(r, q->idx, rc, abuf, alen); break;
		case K_AMX:
			r->a->srv[q->idx].mx_rc =
			    read_mx(rc, abuf, alen, &r->a->srv[q->idx].mx, &r->a->srv[q->idx].nmx);
			break;
		case K_PTR: on_ptr(r, rc, abuf, alen); break;
		case K_FWD: on_fwd(r, rc, abuf, alen); break;
		}
	}
	/* after the handling: a channel in its own callback is never idle */
	if (q->conn)
		q->conn->inflight--;
	r->c->inflight--;
	free(q);
	c = r->c;
	req_finish(r);
	pump(c);
}

/* ---- public ------------------------------------------------------------- */

auth_client *auth_client_new(uv_loop_t *loop, const auth_config *cfg, char **why)
{
	auth_client *c = calloc(1, sizeof(*c));
	dns_config dc = {.servers = cfg->servers,
	                 .nservers = cfg->nservers,
	                 .timeout_ms = cfg->timeout_ms,
	                 .max_outstanding = 100};

	if (!c) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
	c->ns_port = cfg->ns_port > 0 && cfg->ns_port <= 65535 ? cfg->ns_port : 53;
	if (dns_client_new(loop, &dc, &c->res, why) != MXS_OK) {
		free(c);
		return NULL;
	}
	return c;
}

void auth_client_free(auth_client *c)
{
	if (!c)
		return;
	c->closing = true;
	/* every question ends now (EDESTRUCTION) and takes its request along */
	for (size_t i = 0; i < c->npool; i++)
		dns_client_free(c->pool[i]->dc);
	dns_client_free(c->res);
	/* the waiting questions, and the requests they held, go without a word */
	while (c->qhead) {
		qctx *q = c->qhead;
		c->qhead = q->next;
		free(q);
	}
	while (c->reqs) {
		req *r = c->reqs;
		c->reqs = r->next;
		mx_auth_free(r->a);
		mx_ptr_free(r->p);
		free(r->name);
		free(r);
	}
	for (size_t i = 0; i < c->npool; i++)
		free(c->pool[i]);
	free(c->pool);
	free(c);
}

static req *req_new(auth_client *c, const char *name, const void *arg)
{
	req *r = calloc(1, sizeof(*r));

	if (!r || !(r->name = strdup(name))) {
		free(r);
		return NULL;
	}
	r->c = c;
	r->arg = arg;
	r->pending = 1; /* held while the first questions go out */
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	c->busy++;
	return r;
}

/* "4.3.2.1.in-addr.arpa" or the 32 nibbles of ip6.arpa (RFC 3596 §2.5). */
static bool reverse_name(int af, const unsigned char *bin, char *out, size_t cap)
{
	size_t o = 0;

	if (af == AF_INET)
		return (size_t)snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2],
		                        bin[1], bin[0]) < cap;
	for (int i = 15; i >= 0 && o + 4 < cap; i--)
		o += (size_t)snprintf(out + o, cap - o, "%x.%x.", bin[i] & 0xf, bin[i] >> 4);
	return (size_t)snprintf(out + o, cap - o, "ip6.arpa") < cap - o;
}

mxs_status auth_ptr(auth_client *c, const char *ip, auth_ptr_cb cb, void *arg)
{
	unsigned char bin[16];
	char rev[80];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;
	req *r;

	if (inet_pton(af, ip, bin) != 1 || !reverse_name(af, bin, rev, sizeof(rev)))
		return MXS_ERR_INVALID;
	r = req_new(c, ip, arg);
	if (!r || !(r->p = mx_ptr_new())) {
		if (r) {
			r->cancelled = true;
			req_finish(r);
		}
		return MXS_ERR_NOMEM;
	}
	r->pcb = cb;
	r->af = af;
	memcpy(r->bin, bin, af == AF_INET ? 4 : 16);
	ask(r, NULL, rev, ns_t_ptr, K_PTR, 0, NULL);
	r->pending--; /* at least the PTR question holds it now, or nothing went out */
	if (r->pending == 0) {
		r->pending = 1;
		r->cancelled = true;
		req_finish(r);
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

mxs_status auth_zone(auth_client *c, const char *domain, auth_zone_cb cb, void *arg)
{
	req *r = req_new(c, domain, arg);

	if (!r || !(r->a = mx_auth_new(domain))) {
		if (r) {
			r->cancelled = true;
			req_finish(r);
		}
		return MXS_ERR_NOMEM;
	}
	r->zcb = cb;
	r->a->ns_rc = MX_RC_ERROR;
	r->a->resolver_rc = MX_RC_ERROR;
	ask(r, NULL, domain, ns_t_ns, K_NS, 0, NULL);
	ask(r, NULL, domain, ns_t_mx, K_RMX, 0, NULL);
	r->pending--;
	if (r->pending == 0) {
		r->pending = 1;
		r->cancelled = true;
		req_finish(r);
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

void auth_cancel(auth_client *c, const void *arg)
{
	for (req *r = c->reqs; r; r = r->next)
		if (r->arg == arg)
			r->cancelled = true;
}

size_t auth_busy(const auth_client *c)
{
	return c->busy;
}
