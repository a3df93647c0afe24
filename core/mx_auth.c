/* core/mx_auth.c — the value types of the zone's authoritative answers and
 * of reverse DNS (core/mx_auth.h): mx_ptr and mx_auth, built by net/auth.c
 * and taken over by the domain (core/mx.c). Model layer: calls only the
 * model's bottom helpers (core/mx_util.c). The findings they lead to are in
 * core/mx_rules_auth.c, their report pieces in core/report_auth.c. */
#include "mx_auth.h"
#include "mx_int.h"

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
