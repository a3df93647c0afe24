/* core/htab.c — the growing chained hash table of core/htab.h. */
#include "htab.h"

#include <stdlib.h>

#define HTAB_MIN 64u /* buckets at first; always a power of two */

struct mx_htab {
	mx_hlink **b;
	size_t nb, n;
};

mx_htab *mx_htab_new(void)
{
	mx_htab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->b = calloc(HTAB_MIN, sizeof(*t->b));
	if (!t->b) {
		free(t);
		return NULL;
	}
	t->nb = HTAB_MIN;
	return t;
}

void mx_htab_free(mx_htab *t)
{
	if (!t)
		return;
	free(t->b);
	free(t);
}

/* Rehashes into twice the buckets; the old table stays when out of memory. */
static void grow(mx_htab *t)
{
	size_t nb = t->nb * 2;
	mx_hlink **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->nb; i++)
		while (t->b[i]) {
			mx_hlink *l = t->b[i];
			t->b[i] = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = l;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

void mx_htab_put(mx_htab *t, mx_hlink *l, uint32_t hash)
{
	mx_hlink **head;

	if (t->n >= t->nb) /* a load of one at most */
		grow(t);
	l->hash = hash;
	head = &t->b[hash & (t->nb - 1)];
	l->next = *head;
	*head = l;
	t->n++;
}

void mx_htab_del(mx_htab *t, mx_hlink *l)
{
	for (mx_hlink **pp = &t->b[l->hash & (t->nb - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			l->next = NULL;
			t->n--;
			return;
		}
}

mx_hlink *mx_htab_chain(const mx_htab *t, uint32_t hash)
{
	return t->b[hash & (t->nb - 1)];
}

size_t mx_htab_count(const mx_htab *t)
{
	return t->n;
}

mx_hlink *mx_htab_next(const mx_htab *t, size_t *pos, mx_hlink *cur)
{
	if (cur && cur->next)
		return cur->next;
	if (cur)
		++*pos;
	for (; *pos < t->nb; ++*pos)
		if (t->b[*pos])
			return t->b[*pos];
	return NULL;
}
