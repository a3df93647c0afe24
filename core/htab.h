/* core/htab.h — the one chained hash table of the project's in-memory
 * indexes keyed by an address or a name (the scan's result store, the
 * prober's address slots, the monitor's watches): intrusive (an element
 * embeds an mx_hlink, the table owns no element), and its buckets double
 * as it fills, so a lookup costs the same at ten entries and at a hundred
 * thousand. The hash is the caller's (core/hash.h); a chain holds only
 * links of equal bucket, the caller compares the stored hash, then its key. */
#ifndef MXSCOPE_HTAB_H
#define MXSCOPE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mx_hlink {
	struct mx_hlink *next;
	uint32_t hash;
} mx_hlink;

typedef struct mx_htab mx_htab;

/* The element that embeds link l as member. */
#define MX_HLINK_OF(l, type, member) ((type *)(void *)((char *)(l)-offsetof(type, member)))

/* An empty table; NULL when out of memory. Free with mx_htab_free. */
mx_htab *mx_htab_new(void);
/* Frees the table, never its elements (free accepts NULL). */
void mx_htab_free(mx_htab *t);
/* Links l under hash. Never fails: when growing runs out of memory the
 * chains only get longer. */
void mx_htab_put(mx_htab *t, mx_hlink *l, uint32_t hash);
/* Unlinks l, which must be in t. */
void mx_htab_del(mx_htab *t, mx_hlink *l);
/* The first link of the chain hash falls in (walk it with ->next and
 * compare ->hash and the key), NULL for an empty chain. */
mx_hlink *mx_htab_chain(const mx_htab *t, uint32_t hash);
size_t mx_htab_count(const mx_htab *t);
/* Every element in turn: start with *pos = 0 and cur = NULL; NULL at the
 * end. The caller may mx_htab_del the link it got before asking for the
 * next one if it asked for the next first; no mx_htab_put while walking. */
mx_hlink *mx_htab_next(const mx_htab *t, size_t *pos, mx_hlink *cur);

#endif
