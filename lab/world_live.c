/* lab/world_live.c — the trainer's live changes to a loaded world: an MX
 * record's preference changed, one added or removed, and the reset that
 * undoes them all by loading every text again. Above the zone-file reader
 * (zone.c): a typed name is read as the reader reads names, and a reset is
 * a load; nothing in the reader or the world calls back here. */
#include "zone_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A host or domain name typed by a trainer to wire format; a final dot is
 * optional because the name is always taken as absolute. */
static mxs_status name_arg(const char *what, const char *text, uint8_t out[256], size_t *len,
                           char **why)
{
	struct parser p;
	char buf[512];
	const char *err = "a name";
	size_t n = text ? strlen(text) : 0;

	memset(&p, 0, sizeof(p));
	if (n == 0 || n > 300) {
		mxs_why(why, "%s: a name of 1 to 253 characters is needed", what);
		return MXS_ERR_INVALID;
	}
	snprintf(buf, sizeof(buf), "%s%s", text, text[n - 1] == '.' ? "" : ".");
	if (lab_zone_name(&p, buf, strlen(buf), out, len, &err) != 0) {
		char b[128];

		mxs_why(why, "%s \"%s\": %s", what, lab_zone_show(b, sizeof(b), text, n), err);
		return MXS_ERR_INVALID;
	}
	return MXS_OK;
}

/* The node of domain, which must exist in the lab already: the answerer
 * only serves names under a loaded zone's apex anyway. */
static struct lab_node *domain_node(lab_world *w, const char *domain, char **why)
{
	uint8_t name[256];
	size_t len;
	struct lab_node *n;

	if (name_arg("domain", domain, name, &len, why) != MXS_OK)
		return NULL;
	n = (struct lab_node *)lab_world_node(w, name, len);
	if (!n)
		mxs_why(why, "%s is not a name in the lab", domain);
	return n;
}

/* The link that points at the MX record of n whose exchange is host, so
 * that the record can be changed or unlinked; NULL when there is none. */
static struct lab_rr **mx_link(struct lab_node *n, const uint8_t *host, size_t hostlen)
{
	for (struct lab_rr **l = &n->rrs; *l; l = &(*l)->next)
		if ((*l)->type == LAB_T_MX && (*l)->rdlen == hostlen + 2 &&
		    memcmp((*l)->rdata + 2, host, hostlen) == 0)
			return l;
	return NULL;
}

mxs_status lab_world_set_mx_preference(lab_world *w, const char *domain, const char *host,
                                       unsigned pref, char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr **l;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	if (pref > 65535) {
		mxs_why(why, "a preference is 0-65535, not %u", pref);
		return MXS_ERR_INVALID;
	}
	l = mx_link(n, h, hl);
	if (!l) {
		mxs_why(why, "%s has no MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	(*l)->rdata[0] = (uint8_t)(pref >> 8);
	(*l)->rdata[1] = (uint8_t)(pref & 0xff);
	return MXS_OK;
}

mxs_status lab_world_add_mx(lab_world *w, const char *domain, unsigned pref, const char *host,
                            char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr *r;
	uint32_t ttl = LAB_DEFAULT_TTL;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	if (pref > 65535) {
		mxs_why(why, "a preference is 0-65535, not %u", pref);
		return MXS_ERR_INVALID;
	}
	if (n->has_cname) {
		mxs_why(why, "%s is a CNAME, so it can have no MX record (RFC 1034 §3.6.2)",
		        domain);
		return MXS_ERR_INVALID;
	}
	if (mx_link(n, h, hl)) {
		mxs_why(why, "%s already has an MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	if (w->nrr >= w->max_records) {
		mxs_why(why, "more than %zu records in the lab", w->max_records);
		return MXS_ERR_LIMIT;
	}
	/* the new record lives as long in caches as its siblings do */
	for (const struct lab_rr *o = n->rrs; o; o = o->next)
		if (o->type == LAB_T_MX) {
			ttl = o->ttl;
			break;
		}
	r = malloc(sizeof(*r) + hl + 2);
	if (!r) {
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	r->next = NULL;
	r->ttl = ttl;
	r->type = LAB_T_MX;
	r->rdlen = (uint16_t)(hl + 2);
	r->rdata[0] = (uint8_t)(pref >> 8);
	r->rdata[1] = (uint8_t)(pref & 0xff);
	memcpy(r->rdata + 2, h, hl);
	*n->tail = r;
	n->tail = &r->next;
	w->nrr++;
	return MXS_OK;
}

mxs_status lab_world_remove_mx(lab_world *w, const char *domain, const char *host, char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr **l, *r;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	l = mx_link(n, h, hl);
	if (!l) {
		mxs_why(why, "%s has no MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	r = *l;
	*l = r->next;
	if (n->tail == &r->next)
		n->tail = l;
	free(r);
	w->nrr--;
	return MXS_OK;
}

/* Loads every text again into a fresh world and takes only its records:
 * the scenarios and $SMTP lines cannot have changed, and keeping them keeps
 * every view handed out (names, domains, hosts) valid. */
mxs_status lab_world_reset(lab_world *w, char **why)
{
	lab_world *fresh = lab_world_new();
	mxs_status st = MXS_OK;

	if (!w || !fresh) {
		mxs_why(why, w ? "out of memory" : "no world");
		st = w ? MXS_ERR_NOMEM : MXS_ERR_INVALID;
		goto done;
	}
	lab_world_set_limits(fresh, w->max_text, w->max_records);
	for (size_t i = 0; i < w->ntexts; i++) {
		st = lab_world_load_string(fresh, w->texts[i].origin, w->texts[i].text, why);
		if (st != MXS_OK)
			goto done;
	}
	{
		struct lab_node **tab = w->tab;
		size_t tabsize = w->tabsize, nnodes = w->nnodes, nrr = w->nrr;

		w->tab = fresh->tab;
		w->tabsize = fresh->tabsize;
		w->nnodes = fresh->nnodes;
		w->nrr = fresh->nrr;
		fresh->tab = tab;
		fresh->tabsize = tabsize;
		fresh->nnodes = nnodes;
		fresh->nrr = nrr;
	}
	lab_sts_reset(w, fresh);
done:
	lab_world_free(fresh);
	return st;
}
