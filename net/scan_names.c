/* net/scan_names.c — the scan's listed domains by name (see scan_int.h): a
 * chained hash over the normalised names that doubles its buckets as the
 * list grows. The explorer looks every listed domain up by name on every
 * key and every redraw (scan_domain, scan_domain_get_info); walking the
 * list for each made a redraw of 1,000 domains half a million name
 * comparisons, 10 ms a key (bench/tui.sh). */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "scan_int.h"

#define NAMES_MIN_BUCKETS 256u

static size_t hash_name(const char *s, size_t nbuckets)
{
	return mx_hash(s, MX_HASH_BASIS) & (nbuckets - 1); /* nbuckets is a power of two */
}

/* Rehashes into nb buckets; false (the old table kept) when out of memory. */
static bool names_resize(scan *s, size_t nb)
{
	sdom **t = calloc(nb, sizeof(*t));

	if (!t)
		return false;
	for (size_t b = 0; b < s->names_nb; b++)
		while (s->names[b]) {
			sdom *m = s->names[b];
			size_t h = hash_name(m->name, nb);
			s->names[b] = m->hnext;
			m->hnext = t[h];
			t[h] = m;
		}
	free(s->names);
	s->names = t;
	s->names_nb = nb;
	return true;
}

bool scani_names_put(scan *s, sdom *m)
{
	size_t h;

	if (!s->names && !names_resize(s, NAMES_MIN_BUCKETS))
		return false;
	/* a load of one at most; a failed growth only makes chains longer */
	if (s->names_n >= s->names_nb)
		names_resize(s, s->names_nb * 2);
	h = hash_name(m->name, s->names_nb);
	m->hnext = s->names[h];
	s->names[h] = m;
	s->names_n++;
	return true;
}

void scani_names_del(scan *s, sdom *m)
{
	sdom **pp;

	if (!s->names)
		return;
	for (pp = &s->names[hash_name(m->name, s->names_nb)]; *pp; pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			m->hnext = NULL;
			s->names_n--;
			return;
		}
}

sdom *scani_names_get(const scan *s, const char *norm)
{
	scan *w = (scan *)s; /* the counter only: lookups are reads */

	if (!s->names)
		return NULL;
	for (sdom *m = s->names[hash_name(norm, s->names_nb)]; m; m = m->hnext) {
		w->name_compares++;
		if (strcmp(m->name, norm) == 0)
			return m;
	}
	return NULL;
}

void scani_names_free(scan *s)
{
	free(s->names);
	s->names = NULL;
	s->names_nb = s->names_n = 0;
}
