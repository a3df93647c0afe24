/* core/hash.h — the one string hash of the project (FNV-1a, 32 bits), for
 * the in-memory tables keyed by an address or a name: the scan's result
 * store and domain index, the prober's slots, the blocklist cache, the
 * explorer's sparklines, the lab's names. Unseeded: addresses from DNS
 * answers could be chosen to collide, which costs chain walks in a table
 * whose size the answers' own limits already bound, never memory. */
#ifndef MXSCOPE_HASH_H
#define MXSCOPE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MX_HASH_BASIS 2166136261u

/* FNV-1a of the len bytes at p (a wire-format name may hold any byte). */
static inline uint32_t mx_hash_n(const void *p, size_t len, uint32_t basis)
{
	const unsigned char *b = p;
	uint32_t h = basis;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* FNV-1a of the NUL-terminated s, starting from basis (MX_HASH_BASIS, or
 * that mixed with a small key of the caller's, as the blocklist cache does
 * with its provider). */
static inline uint32_t mx_hash(const char *s, uint32_t basis)
{
	uint32_t h = basis;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

#endif
