/* lab/lab_internal.h — what the lab's own files share and nobody else sees:
 * the embedded scenario table and the world's node/record layout that the
 * DNS answerer reads. Names are kept in wire format (length-prefixed labels,
 * lower-cased) so a query name can be looked up without converting it. */
#ifndef MXSCOPE_LAB_INTERNAL_H
#define MXSCOPE_LAB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lab.h"

/* Written by scripts/embed_scenarios.py from the files in lab/scenarios/. */
struct lab_builtin {
	const char *name; /* file basename without ".zone" */
	const char *text; /* the whole file */
};
extern const struct lab_builtin lab_builtins[];
extern const size_t lab_builtin_count;

enum {
	LAB_T_A = 1,
	LAB_T_NS = 2,
	LAB_T_CNAME = 5,
	LAB_T_SOA = 6,
	LAB_T_PTR = 12,
	LAB_T_MX = 15,
	LAB_T_TXT = 16,
	LAB_T_AAAA = 28,
	LAB_T_SRV = 33,
	LAB_T_OPT = 41,
	LAB_T_ANY = 255,
};

/* One resource record; rdata is in uncompressed wire format. */
struct lab_rr {
	struct lab_rr *next;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t rdata[];
};

/* One owner name. A node with no records is an empty non-terminal: it
 * exists because some name below it does (that makes NODATA, not NXDOMAIN). */
struct lab_node {
	struct lab_node *hnext;
	struct lab_rr *rrs;
	struct lab_rr **tail; /* keeps file order, so answers read like the zone */
	uint32_t hash;
	int line; /* where the first record for it was, for messages */
	uint8_t has_cname;
	uint8_t has_soa;
	uint8_t namelen; /* wire length, including the final zero */
	uint8_t name[];
};

/* The node for a lower-cased wire name, or NULL. */
const struct lab_node *lab_world_node(const lab_world *w, const uint8_t *name, size_t len);

#endif
