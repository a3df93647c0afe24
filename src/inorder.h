/* src/inorder.h — check --keep-order: results held until every earlier
 * domain of the input has been written (prefix inorder_). A window of at
 * most cap domains, from the oldest not yet written to the newest started:
 * the caller starts no more while it is full, so memory stays bounded by
 * --concurrency however slow one domain is. Domains are found by the name
 * the scan reports them under; a name may be in the window twice (a list
 * that repeats it), and a result goes to its oldest unfinished entry. */
#ifndef MXSCOPE_INORDER_H
#define MXSCOPE_INORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

typedef struct inorder inorder;

/* What a finished entry holds, freed with the free_item given to inorder_new. */
typedef void (*inorder_free_fn)(void *item);

/* A window of cap (>= 1) domains; NULL when out of memory. Free with
 * inorder_free (NULL is fine), which frees every item still held with
 * free_item. */
inorder *inorder_new(size_t cap, inorder_free_fn free_item);
void inorder_free(inorder *o);

/* Domains in the window: started, or finished and waiting for an earlier one. */
size_t inorder_count(const inorder *o);

/* The next domain of the input, by name (copied). MXS_ERR_LIMIT when the
 * window is full, MXS_ERR_NOMEM. */
mxs_status inorder_add(inorder *o, const char *name);

/* Takes back the newest entry, unfinished (its domain could not start). */
void inorder_drop_newest(inorder *o);

/* name's result: item (owned by the window from here on; NULL for a domain
 * that has nothing to write). MXS_ERR_INVALID when no unfinished entry has
 * that name (item is freed). */
mxs_status inorder_done(inorder *o, const char *name, void *item);

/* The oldest entry, when it is finished: true with its item in *item (the
 * caller's to free; NULL when it had none) and the entry leaves the window.
 * false while the oldest is still running, or the window is empty. */
bool inorder_next(inorder *o, void **item);

#endif
