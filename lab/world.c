/* lab/world.c — the lab_world: every scenario loaded, its records in a hash
 * table of owner names (the store the DNS server answers from), its $SMTP
 * hosts and the views handed out about them. The bottom of the lab's
 * world: it calls only core. Loading is the zone-file reader's (zone.c),
 * the trainer's live changes are world_live.c's. */
#include "zone_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"

#define LAB_MAX_TEXT    (64u * 1024 * 1024) /* default; lab_world_set_limits */
#define LAB_MAX_RECORDS 1000000u            /* default: a 100,000-domain bench zone fits */

/* ---- names ------------------------------------------------------------ */

uint8_t lab_name_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static uint32_t name_hash(const uint8_t *n, size_t len)
{
	return mx_hash_n(n, len, MX_HASH_BASIS);
}

/* Presentation form without the trailing dot; "." for the root. Bytes that
 * are not plain host-name characters are escaped, so the string is safe to
 * print. out must hold 4 * 255 + 1 bytes. */
void lab_name_to_text(const uint8_t *n, char *out)
{
	size_t o = 0;

	if (n[0] == 0) {
		strcpy(out, ".");
		return;
	}
	while (n[0] != 0) {
		size_t ll = n[0];

		if (o > 0)
			out[o++] = '.';
		for (size_t i = 1; i <= ll; i++) {
			uint8_t c = n[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') {
				out[o++] = (char)c;
			} else if (c == '.' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				o += (size_t)sprintf(out + o, "\\%03u", c);
			}
		}
		n += ll + 1;
	}
	out[o] = '\0';
}

/* ---- the node table ------------------------------------------------------ */

const struct lab_node *lab_world_node(const lab_world *w, const uint8_t *name, size_t len)
{
	uint32_t h;

	if (!w || w->tabsize == 0)
		return NULL;
	h = name_hash(name, len);
	for (struct lab_node *n = w->tab[h & (w->tabsize - 1)]; n; n = n->hnext)
		if (n->hash == h && n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

/* Grows the table to at least want buckets. Rehashing does not change what
 * the world means, so a failure here leaves it as it was. */
mxs_status lab_world_reserve(lab_world *w, size_t want)
{
	size_t size = w->tabsize ? w->tabsize : 64;
	struct lab_node **tab;

	while (size < want)
		size *= 2;
	if (size == w->tabsize)
		return MXS_OK;
	tab = calloc(size, sizeof(*tab));
	if (!tab)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < w->tabsize; i++) {
		struct lab_node *n = w->tab[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			n->hnext = tab[n->hash & (size - 1)];
			tab[n->hash & (size - 1)] = n;
		}
	}
	free(w->tab);
	w->tab = tab;
	w->tabsize = size;
	return MXS_OK;
}

static struct lab_node *node_add(lab_world *w, const uint8_t *name, size_t len, int line)
{
	struct lab_node *n;

	if (w->nnodes + 1 > w->tabsize && lab_world_reserve(w, w->nnodes + 1) != MXS_OK)
		return NULL;
	n = calloc(1, sizeof(*n) + len);
	if (!n)
		return NULL;
	memcpy(n->name, name, len);
	n->namelen = (uint8_t)len;
	n->hash = name_hash(name, len);
	n->tail = &n->rrs;
	n->line = line;
	n->hnext = w->tab[n->hash & (w->tabsize - 1)];
	w->tab[n->hash & (w->tabsize - 1)] = n;
	w->nnodes++;
	return n;
}

/* The node for name, created with any missing ancestors so that names with
 * descendants exist (as empty non-terminals). */
struct lab_node *lab_world_node_get(lab_world *w, const uint8_t *name, size_t len, int line)
{
	struct lab_node *n = (struct lab_node *)lab_world_node(w, name, len);
	struct lab_node *first;

	if (n)
		return n;
	first = node_add(w, name, len, line);
	if (!first)
		return NULL;
	while (name[0] != 0) {
		len -= (size_t)name[0] + 1;
		name += name[0] + 1;
		if (lab_world_node(w, name, len))
			break;
		if (!node_add(w, name, len, line))
			return NULL;
	}
	return first;
}

void lab_world_nodes_free(lab_world *w)
{
	for (size_t i = 0; i < w->tabsize; i++) {
		struct lab_node *n = w->tab[i], *next;

		for (; n; n = next) {
			struct lab_rr *r = n->rrs, *rnext;

			next = n->hnext;
			for (; r; r = rnext) {
				rnext = r->next;
				free(r);
			}
			free(n);
		}
	}
	free(w->tab);
	w->tab = NULL;
	w->tabsize = 0;
	w->nnodes = 0;
	w->nrr = 0;
}

void lab_scenario_clear(struct lab_scenario *sc)
{
	free(sc->name);
	free(sc->title);
	free(sc->explain);
	free(sc->as);
	for (size_t i = 0; i < sc->ndomains; i++)
		free(sc->domains[i]);
	free(sc->domains);
	free(sc->sts);
	memset(sc, 0, sizeof(*sc));
}

lab_world *lab_world_new(void)
{
	lab_world *w = calloc(1, sizeof(lab_world));

	if (w) {
		w->max_text = LAB_MAX_TEXT;
		w->max_records = LAB_MAX_RECORDS;
	}
	return w;
}

void lab_world_set_limits(lab_world *w, size_t max_bytes, size_t max_records)
{
	w->max_text = max_bytes;
	w->max_records = max_records;
}

void lab_world_smtp_free(lab_world *w)
{
	for (size_t i = 0; i < w->nsmtp; i++)
		free(w->smtp[i].origin);
	free(w->smtp);
	w->smtp = NULL;
	w->nsmtp = 0;
	w->capsmtp = 0;
}

void lab_world_free(lab_world *w)
{
	if (!w)
		return;
	lab_world_nodes_free(w);
	lab_world_smtp_free(w);
	for (size_t i = 0; i < w->ntexts; i++) {
		free(w->texts[i].origin);
		free(w->texts[i].text);
	}
	free(w->texts);
	for (size_t i = 0; i < w->nscen; i++)
		lab_scenario_clear(&w->scen[i]);
	free(w->scen);
	free(w);
}

/* ---- scenario views ------------------------------------------------------- */

size_t lab_world_scenario_count(const lab_world *w)
{
	return w ? w->nscen : 0;
}

static const struct lab_scenario *scen_at(const lab_world *w, size_t i)
{
	return (w && i < w->nscen) ? &w->scen[i] : NULL;
}

const char *lab_scenario_name(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->name : NULL;
}

const char *lab_scenario_title(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->title : NULL;
}

const char *lab_scenario_explain(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->explain : NULL;
}

size_t lab_scenario_domain_count(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->ndomains : 0;
}

const char *lab_scenario_domain(const lab_world *w, size_t i, size_t j)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return (sc && j < sc->ndomains) ? sc->domains[j] : NULL;
}

const char *lab_scenario_as(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->as : NULL;
}

size_t lab_world_smtp_count(const lab_world *w)
{
	return w ? w->nsmtp : 0;
}

const struct lab_smtp_host *lab_world_smtp(const lab_world *w, size_t i)
{
	return (w && i < w->nsmtp) ? &w->smtp[i] : NULL;
}
