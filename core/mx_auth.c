/* core/mx_auth.c — authoritative answers and reverse DNS in the domain
 * model (core/mx_auth.h), and the findings that compare things across
 * servers, families and the whole run: authoritative-mismatch and -lame,
 * ptr-missing and ptr-not-forward-confirmed, ipv6-/ipv4-unreachable and
 * egress-blocked. */
#include "mx_auth.h"
#include "mx_int.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reverse DNS ------------------------------------------------------- */

mx_ptr *mx_ptr_new(void)
{
	return calloc(1, sizeof(mx_ptr));
}

void mx_ptr_free(mx_ptr *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

mxs_status mx_ptr_add_name(mx_ptr *p, const char *name)
{
	char **g;
	char *n;

	if (p->nnames >= MX_PTR_NAMES_MAX)
		return MXS_ERR_LIMIT;
	n = mxi_dup_lower_name(name);
	g = n ? realloc(p->names, (p->nnames + 1) * sizeof(*g)) : NULL;
	if (!g) {
		free(n);
		return MXS_ERR_NOMEM;
	}
	p->names = g;
	p->names[p->nnames++] = n;
	return MXS_OK;
}

mx_ptr *mx_ptr_dup(const mx_ptr *p)
{
	mx_ptr *c = p ? mx_ptr_new() : NULL;

	if (!c)
		return NULL;
	c->rc = p->rc;
	c->forward_confirmed = p->forward_confirmed;
	for (size_t i = 0; i < p->nnames; i++)
		if (mx_ptr_add_name(c, p->names[i]) != MXS_OK) {
			mx_ptr_free(c);
			return NULL;
		}
	return c;
}

mxs_status mx_host_set_ptr(mx_domain *d, size_t i, size_t k, mx_ptr *p)
{
	mx_addr *ad = mxi_addr(d, i, k);

	if (!ad) {
		mx_ptr_free(p);
		return MXS_ERR_INVALID;
	}
	mx_ptr_free(ad->ptr);
	ad->ptr = p;
	return MXS_OK;
}

const mx_ptr *mx_addr_ptr(const mx_domain *d, size_t i, size_t k)
{
	const mx_addr *ad = mxi_addr(d, i, k);

	return ad ? ad->ptr : NULL;
}

/* ---- authoritative servers --------------------------------------------- */

mx_auth *mx_auth_new(const char *zone)
{
	mx_auth *a = calloc(1, sizeof(*a));

	if (a && !(a->zone = mxi_dup_lower_name(zone))) {
		free(a);
		return NULL;
	}
	return a;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void mx_auth_free(mx_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsrv; i++) {
		free(a->srv[i].ns);
		free(a->srv[i].ip);
		free_list(a->srv[i].mx, a->srv[i].nmx);
	}
	free(a->srv);
	free_list(a->resolver_mx, a->nresolver_mx);
	free(a->zone);
	free(a);
}

mxs_status mx_auth_add_server(mx_auth *a, const char *ns, const char *ip, mx_auth_server **out)
{
	mx_auth_server *g, *v;

	if (a->nsrv >= MX_AUTH_NS_MAX)
		return MXS_ERR_LIMIT;
	g = mxi_grow(a->srv, &a->capsrv, a->nsrv, sizeof(*g));
	if (!g)
		return MXS_ERR_NOMEM;
	a->srv = g;
	v = &a->srv[a->nsrv];
	*v = (mx_auth_server){0};
	v->ns = mxi_dup_lower_name(ns);
	v->ip = strdup(ip);
	if (!v->ns || !v->ip) {
		free(v->ns);
		free(v->ip);
		return MXS_ERR_NOMEM;
	}
	a->nsrv++;
	if (out)
		*out = v;
	return MXS_OK;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

mxs_status mx_auth_add_mx(char ***list, size_t *n, unsigned pref, const char *host)
{
	char *low = mxi_dup_lower_name(host), *one = NULL, **g;

	if (*n >= MX_AUTH_MX_MAX) {
		free(low);
		return MXS_ERR_LIMIT;
	}
	if (!low || asprintf(&one, "%u %s", pref, low[0] ? low : ".") < 0)
		one = NULL;
	free(low);
	g = one ? realloc(*list, (*n + 1) * sizeof(*g)) : NULL;
	if (!g) {
		free(one);
		return MXS_ERR_NOMEM;
	}
	*list = g;
	g[(*n)++] = one;
	qsort(g, *n, sizeof(*g), cmp_str);
	return MXS_OK;
}

static int cmp_srv(const void *x, const void *y)
{
	const mx_auth_server *a = x, *b = y;
	int c = strcmp(a->ns, b->ns);

	return c ? c : strcmp(a->ip, b->ip);
}

void mx_auth_sort(mx_auth *a)
{
	if (a->nsrv > 1)
		qsort(a->srv, a->nsrv, sizeof(*a->srv), cmp_srv);
}

static mxs_status dup_list(char ***out, size_t *nout, char *const *in, size_t n)
{
	*out = NULL;
	*nout = 0;
	if (!n)
		return MXS_OK;
	if (!(*out = calloc(n, sizeof(**out))))
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!((*out)[i] = strdup(in[i])))
			return MXS_ERR_NOMEM;
		*nout = i + 1;
	}
	return MXS_OK;
}

mx_auth *mx_auth_dup(const mx_auth *a)
{
	mx_auth *c = a ? mx_auth_new(a->zone) : NULL;

	if (!c)
		return NULL;
	c->ns_rc = a->ns_rc;
	c->resolver_rc = a->resolver_rc;
	c->resolver_ttl = a->resolver_ttl;
	if (dup_list(&c->resolver_mx, &c->nresolver_mx, a->resolver_mx, a->nresolver_mx) != MXS_OK)
		goto fail;
	for (size_t i = 0; i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		mx_auth_server *v;
		if (mx_auth_add_server(c, s->ns, s->ip, &v) != MXS_OK)
			goto fail;
		v->rc = s->rc;
		v->aa = s->aa;
		v->has_serial = s->has_serial;
		v->serial = s->serial;
		v->mx_rc = s->mx_rc;
		if (dup_list(&v->mx, &v->nmx, s->mx, s->nmx) != MXS_OK)
			goto fail;
	}
	return c;
fail:
	mx_auth_free(c);
	return NULL;
}

mxs_status mx_domain_set_auth(mx_domain *d, mx_auth *a)
{
	mx_auth_free(d->auth);
	d->auth = a;
	return MXS_OK;
}

const mx_auth *mx_domain_auth(const mx_domain *d)
{
	return d->auth;
}

void mxi_free_auth(mx_domain *d)
{
	mx_auth_free(d->auth);
	d->auth = NULL;
	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			mx_ptr_free(d->hosts[i].addrs[k].ptr);
			d->hosts[i].addrs[k].ptr = NULL;
		}
}

/* ---- findings ------------------------------------------------------------ */

bool mxi_egress_blocked(const mxi_analysis *a)
{
	return a->opt->egress_blocked;
}

bool mx_domain_only_connect_timeouts(const mx_domain *d)
{
	size_t probed = 0, timeouts = 0;

	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			const probe_result *r = d->hosts[i].addrs[k].probe;
			probed += r && r->state != PROBE_PENDING;
			timeouts += r && r->state == PROBE_CONNECT_TIMEOUT;
		}
	return probed && probed == timeouts;
}

bool mx_egress_blocked(const mx_egress_seen *seen)
{
	return seen->domains >= 2 && seen->addresses >= 2 && seen->answered == 0;
}

/* A server that answered for the zone with authority and its SOA. */
static bool auth_good(const mx_auth_server *s)
{
	return (s->rc == MX_RC_OK || s->rc == MX_RC_NODATA) && s->aa && s->has_serial;
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* "10 mx1.example.org, 20 mx2.example.org", or "none"; bounded. */
static void join(char *out, size_t cap, char *const *l, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", l[i]);
	if (!n)
		snprintf(out, cap, "none");
}

/* RFC 1982 serial arithmetic: a is newer than b. */
static bool serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) > 0;
}

static mxs_status check_authoritative(mx_domain *d, const mx_auth *au)
{
	const mx_auth_server *ref = NULL;
	mxs_status st = MXS_OK;
	char mine[512], theirs[512];

	for (size_t i = 0; i < au->nsrv; i++)
		if (auth_good(&au->srv[i]) &&
		    (!ref || serial_newer(au->srv[i].serial, ref->serial)))
			ref = &au->srv[i];
	for (size_t i = 0; i < au->nsrv; i++) {
		const mx_auth_server *s = &au->srv[i];
		if (!auth_good(s)) {
			const char *how = s->rc == MX_RC_TIMEOUT || s->rc == MX_RC_ERROR
			                      ? "does not answer"
			                  : s->rc == MX_RC_REFUSED ? "refuses to answer"
			                  : !s->aa && (s->rc == MX_RC_OK || s->rc == MX_RC_NODATA)
			                      ? "answers without authority (AA bit clear)"
			                      : NULL;
			if (how)
				TRY(mxi_add_finding(d, MX_F_AUTHORITATIVE_LAME, s->ip,
				                    "name server %s (%s) %s for %s: it is lame, "
				                    "resolvers asking it lose time",
				                    s->ns, s->ip, how, au->zone));
			else
				TRY(mxi_add_finding(
				    d, MX_F_AUTHORITATIVE_LAME, s->ip,
				    "name server %s (%s) answers %s for the SOA of %s", s->ns,
				    s->ip, mx_rcode_str(s->rc), au->zone));
			continue;
		}
		if (s == ref ||
		    (s->serial == ref->serial && same_list(s->mx, s->nmx, ref->mx, ref->nmx)))
			continue;
		join(mine, sizeof(mine), s->mx, s->nmx);
		join(theirs, sizeof(theirs), ref->mx, ref->nmx);
		TRY(mxi_add_finding(
		    d, MX_F_AUTHORITATIVE_MISMATCH, s->ip,
		    "name server %s (%s) serves serial %u with MX %s, but %s (%s) "
		    "serves serial %u with MX %s: resolvers that ask %s get %s",
		    s->ns, s->ip, s->serial, mine, ref->ns, ref->ip, ref->serial, theirs, s->ns,
		    serial_newer(ref->serial, s->serial) ? "the old answer" : "another answer"));
	}
	if (ref && au->resolver_rc == MX_RC_OK &&
	    !same_list(au->resolver_mx, au->nresolver_mx, ref->mx, ref->nmx)) {
		join(mine, sizeof(mine), au->resolver_mx, au->nresolver_mx);
		join(theirs, sizeof(theirs), ref->mx, ref->nmx);
		TRY(mxi_add_finding(d, MX_F_AUTHORITATIVE_MISMATCH, "resolver",
		                    "the resolver still answers MX %s for %s where serial %u says "
		                    "%s: mail will follow the new MX in at most %u s",
		                    mine, mx_domain_name(d), ref->serial, theirs,
		                    au->resolver_ttl));
	}
done:
	return st;
}

static mxs_status check_ptr(mx_domain *d)
{
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		for (size_t k = 0; k < h->naddrs; k++) {
			const mx_ptr *p = h->addrs[k].ptr;
			const char *ip = h->addrs[k].ip;
			if (!p || mx_rcode_is_temporary(p->rc) || p->rc == MX_RC_NOT_ASKED)
				continue;
			if (p->nnames == 0)
				TRY(mxi_add_finding(
				    d, MX_F_PTR_MISSING, ip,
				    "%s (%u) at %s has no PTR record (%s): receivers "
				    "and spam filters distrust a host without reverse "
				    "DNS when it sends mail",
				    h->exchange, h->preference, ip, mx_rcode_str(p->rc)));
			else if (!p->forward_confirmed)
				TRY(mxi_add_finding(
				    d, MX_F_PTR_NOT_FORWARD_CONFIRMED, ip,
				    "%s (%u) at %s: its PTR name %s%s has no A/AAAA "
				    "record holding %s",
				    h->exchange, h->preference, ip, p->names[0],
				    p->nnames > 1 ? " (and the others)" : "", ip));
		}
	}
done:
	return st;
}

static bool answered(const probe_result *r)
{
	return r && (r->code > 0 || r->state == PROBE_ACCEPTED || r->state == PROBE_TEMPFAIL ||
	             r->state == PROBE_REJECTED || r->state == PROBE_TLS_FAILED);
}

/* Refused or timed out on the way to the host. "No route" is left out: it
 * is what a machine without an IPv6 route of its own gets for every IPv6
 * address, and that says nothing about the host (mxscope doctor says it). */
static bool no_connection(const probe_result *r)
{
	return r && (r->state == PROBE_REFUSED || r->state == PROBE_CONNECT_TIMEOUT);
}

/* A host whose addresses of one family all fail to connect while one of
 * the other family answers: senders that prefer that family (IPv6, as
 * RFC 8305 clients do) lose a timeout on every message. */
static mxs_status check_families(mx_domain *d)
{
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		size_t tried[2] = {0}, failed[2] = {0}, ok[2] = {0};
		for (size_t k = 0; k < h->naddrs; k++) {
			const probe_result *r = h->addrs[k].probe;
			int f = h->addrs[k].family == 6;
			if (!r || r->state == PROBE_PENDING || r->state == PROBE_ERROR)
				continue;
			tried[f]++;
			failed[f] += no_connection(r);
			ok[f] += answered(r);
		}
		for (int f = 0; f < 2; f++)
			if (tried[f] && failed[f] == tried[f] && ok[!f])
				TRY(mxi_add_finding(
				    d, f ? MX_F_IPV6_UNREACHABLE : MX_F_IPV4_UNREACHABLE,
				    h->exchange,
				    "%s (%u): %s%zu IPv%d address%s can%s be reached while IPv%d "
				    "works: senders trying IPv%d first lose time on every message",
				    h->exchange, h->preference,
				    tried[f] > 1 ? "none of its " : "its ", tried[f], f ? 6 : 4,
				    tried[f] > 1 ? "es" : "", tried[f] > 1 ? "" : "not", f ? 4 : 6,
				    f ? 6 : 4));
	}
done:
	return st;
}

mxs_status mxi_check_auth(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t timeouts = 0;

	if (d->auth)
		TRY(check_authoritative(d, d->auth));
	TRY(check_ptr(d));
	if (!mxi_egress_blocked(a)) {
		TRY(check_families(d));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++)
			if (d->hosts[i].addrs[k].probe &&
			    d->hosts[i].addrs[k].probe->state == PROBE_CONNECT_TIMEOUT)
				timeouts++;
	if (timeouts)
		TRY(mxi_add_finding(d, MX_F_EGRESS_BLOCKED, d->name,
		                    "every SMTP connection from here timed out (%zu for %s, and "
		                    "every other domain of the run alike): this network "
		                    "probably blocks outbound port 25; probes from here cannot "
		                    "judge these hosts",
		                    timeouts, d->name));
done:
	return st;
}

/* ---- report pieces ------------------------------------------------------- */

static json_t *list_json(char *const *l, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, mx_json_text(l[i], strlen(l[i])));
	return arr;
}

json_t *mx_auth_json(const mx_auth *a)
{
	json_t *arr;

	if (!a)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		json_t *o = json_object();
		json_object_set_new(o, "ns", mx_json_text(s->ns, strlen(s->ns)));
		json_object_set_new(o, "ip", mx_json_text(s->ip, strlen(s->ip)));
		json_object_set_new(o, "serial",
		                    s->has_serial ? json_integer(s->serial) : json_null());
		json_object_set_new(o, "rcode", json_string(mx_rcode_str(s->rc)));
		json_object_set_new(o, "aa", json_boolean(s->aa));
		json_object_set_new(o, "mx", list_json(s->mx, s->nmx));
		json_object_set_new(o, "mx_rcode", json_string(mx_rcode_str(s->mx_rc)));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *mx_auth_zone_json(const mx_auth *a)
{
	json_t *o;

	if (!a || !(o = json_object()))
		return NULL;
	json_object_set_new(o, "zone", mx_json_text(a->zone, strlen(a->zone)));
	json_object_set_new(o, "ns_rcode", json_string(mx_rcode_str(a->ns_rc)));
	json_object_set_new(o, "resolver_rcode", json_string(mx_rcode_str(a->resolver_rc)));
	json_object_set_new(o, "resolver_mx", list_json(a->resolver_mx, a->nresolver_mx));
	json_object_set_new(o, "resolver_ttl", json_integer(a->resolver_ttl));
	return o;
}

/* The first word of the greeting (the name the host calls itself), or "". */
static void banner_name(const probe_result *r, char *out, size_t cap)
{
	size_t n = r && r->greeting ? strcspn(r->greeting, " \r\n") : 0;

	out[0] = '\0';
	if (n && n < cap) {
		memcpy(out, r->greeting, n);
		out[n] = '\0';
	}
}

static bool banner_in_ptr(const mx_ptr *p, const char *banner)
{
	for (size_t i = 0; i < p->nnames; i++)
		if (mxi_name_eq(p->names[i], banner))
			return true;
	return false;
}

json_t *mx_ptr_json(const mx_ptr *p, const probe_result *probe)
{
	json_t *o;
	char banner[256];

	if (!p)
		return NULL;
	o = json_object();
	json_object_set_new(o, "names", list_json(p->names, p->nnames));
	json_object_set_new(o, "forward_confirmed", json_boolean(p->forward_confirmed));
	json_object_set_new(o, "rcode", json_string(mx_rcode_str(p->rc)));
	banner_name(probe, banner, sizeof(banner));
	if (banner[0])
		json_object_set_new(o, "banner_matches", json_boolean(banner_in_ptr(p, banner)));
	return o;
}

char *mx_ptr_text(const mx_ptr *p, const probe_result *probe)
{
	char names[512], banner[256], *out = NULL;

	if (!p)
		return NULL;
	join(names, sizeof(names), p->names, p->nnames);
	banner_name(probe, banner, sizeof(banner));
	if (p->nnames == 0) {
		if (asprintf(&out, "PTR none (%s)", mx_rcode_str(p->rc)) < 0)
			out = NULL;
	} else if (asprintf(&out, "PTR %s (%sforward-confirmed)%s%s%s", names,
	                    p->forward_confirmed ? "" : "not ", banner[0] ? "; greets as " : "",
	                    banner,
	                    !banner[0]                 ? ""
	                    : banner_in_ptr(p, banner) ? ", the same"
	                                               : ", another name") < 0) {
		out = NULL;
	}
	return out;
}

char *mx_auth_text(const mx_auth *a)
{
	char *out = NULL, mx[512];
	size_t len = 0;
	FILE *f;

	if (!a || !(f = open_memstream(&out, &len)))
		return NULL;
	fprintf(f, "Authoritative servers of %s (NS %s)\n", a->zone, mx_rcode_str(a->ns_rc));
	for (size_t i = 0; i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		join(mx, sizeof(mx), s->mx, s->nmx);
		fprintf(f, "  %-28s %-39s ", s->ns, s->ip);
		if (s->has_serial)
			fprintf(f, "serial %-10u", s->serial);
		else
			fprintf(f, "serial %-10s", "-");
		fprintf(f, " %s%s  MX %s\n", mx_rcode_str(s->rc), s->aa ? " aa" : "",
		        s->mx_rc == MX_RC_OK ? mx : mx_rcode_str(s->mx_rc));
	}
	if (a->nsrv == 0)
		fprintf(f, "  (no name server address to ask)\n");
	join(mx, sizeof(mx), a->resolver_mx, a->nresolver_mx);
	if (a->resolver_rc == MX_RC_OK)
		fprintf(f,
		        "  resolver (cached)  MX %s  ttl %u: mail will follow a new MX in at "
		        "most %u s\n",
		        mx, a->resolver_ttl, a->resolver_ttl);
	else
		fprintf(f, "  resolver (cached)  MX %s\n", mx_rcode_str(a->resolver_rc));
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
