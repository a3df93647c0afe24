/* src/inorder.c — the --keep-order window (inorder.h): a ring of cap
 * entries in input order, and a hash of their names (chained through the
 * entries, buckets a power of two over cap) so a finished domain finds its
 * entry without a walk of the window. */
#include "inorder.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

typedef struct entry {
	char *name; /* NULL: a free slot */
	void *item;
	bool done;
	size_t next; /* the next entry of the same bucket, or NONE */
} entry;

#define NONE ((size_t)-1)

struct inorder {
	entry *ring;
	size_t cap, head, count; /* ring[head] is the oldest */
	size_t *bucket, mask;
	inorder_free_fn free_item;
};

inorder *inorder_new(size_t cap, inorder_free_fn free_item)
{
	inorder *o = calloc(1, sizeof(*o));
	size_t nb = 1;

	if (!o || cap == 0)
		goto fail;
	while (nb < cap)
		nb *= 2;
	o->cap = cap;
	o->free_item = free_item;
	o->mask = nb - 1;
	o->ring = calloc(cap, sizeof(*o->ring));
	o->bucket = malloc(nb * sizeof(*o->bucket));
	if (!o->ring || !o->bucket)
		goto fail;
	for (size_t i = 0; i < nb; i++)
		o->bucket[i] = NONE;
	return o;
fail:
	inorder_free(o);
	return NULL;
}

void inorder_free(inorder *o)
{
	if (!o)
		return;
	for (size_t i = 0; o->ring && i < o->cap; i++) {
		free(o->ring[i].name);
		if (o->ring[i].item)
			o->free_item(o->ring[i].item);
	}
	free(o->ring);
	free(o->bucket);
	free(o);
}

size_t inorder_count(const inorder *o)
{
	return o->count;
}

mxs_status inorder_add(inorder *o, const char *name)
{
	size_t i, b;
	entry *e;

	if (o->count == o->cap)
		return MXS_ERR_LIMIT;
	i = (o->head + o->count) % o->cap;
	e = &o->ring[i];
	if (!(e->name = strdup(name)))
		return MXS_ERR_NOMEM;
	e->item = NULL;
	e->done = false;
	b = mx_hash(name, MX_HASH_BASIS) & o->mask;
	e->next = o->bucket[b];
	o->bucket[b] = i;
	o->count++;
	return MXS_OK;
}

void inorder_drop_newest(inorder *o)
{
	size_t i, *pp;
	entry *e;

	if (o->count == 0)
		return;
	i = (o->head + o->count - 1) % o->cap;
	e = &o->ring[i];
	/* the newest is the first of its bucket */
	pp = &o->bucket[mx_hash(e->name, MX_HASH_BASIS) & o->mask];
	while (*pp != i)
		pp = &o->ring[*pp].next;
	*pp = e->next;
	free(e->name);
	e->name = NULL;
	o->count--;
}

/* The distance of slot i from the oldest: its place in the input. */
static size_t age(const inorder *o, size_t i)
{
	return (i + o->cap - o->head) % o->cap;
}

mxs_status inorder_done(inorder *o, const char *name, void *item)
{
	size_t b = mx_hash(name, MX_HASH_BASIS) & o->mask, best = NONE;

	/* a bucket is newest first: the oldest unfinished one is the last seen */
	for (size_t i = o->bucket[b]; i != NONE; i = o->ring[i].next)
		if (!o->ring[i].done && strcmp(o->ring[i].name, name) == 0 &&
		    (best == NONE || age(o, i) < age(o, best)))
			best = i;
	if (best == NONE) {
		if (item)
			o->free_item(item);
		return MXS_ERR_INVALID;
	}
	o->ring[best].done = true;
	o->ring[best].item = item;
	return MXS_OK;
}

bool inorder_next(inorder *o, void **item)
{
	entry *e = &o->ring[o->head];
	size_t *pp;

	if (o->count == 0 || !e->done)
		return false;
	pp = &o->bucket[mx_hash(e->name, MX_HASH_BASIS) & o->mask];
	while (*pp != o->head)
		pp = &o->ring[*pp].next;
	*pp = e->next;
	*item = e->item;
	free(e->name);
	e->name = NULL;
	e->item = NULL;
	o->head = (o->head + 1) % o->cap;
	o->count--;
	return true;
}
