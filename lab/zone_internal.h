/* lab/zone_internal.h — what the world (world.c), the zone-file reader
 * (zone_base.c, zone.c), the scenario directives (scenario.c, sts.c) and
 * the trainer's live changes (world_live.c) share, and nothing else in the
 * lab sees: the world's layout and the reader's state. The servers read
 * the world through lab_internal.h only.
 *
 * Layered one way, each file calling only those below it:
 *   zone.c, world_live.c   the reader's lines and records, loads; live
 *                          changes and the reset (a load again)
 *   scenario.c, sts.c      the `$` directives
 *   zone_base.c            messages, names, TTLs, one record added
 *   world.c                the store: nodes, scenarios, $SMTP hosts */
#ifndef MXSCOPE_LAB_ZONE_INTERNAL_H
#define MXSCOPE_LAB_ZONE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lab_internal.h"

#define LAB_DEFAULT_TTL 30          /* a record without one, and a trainer's new MX */
#define LAB_MAX_TTL     2147483647u /* RFC 2181 §8 */

/* ---- the world (world.c) ------------------------------------------------- */

struct lab_scenario {
	char *name;
	char *title;
	char *explain;
	char *as;
	char **domains;
	size_t ndomains;
	struct lab_sts *sts; /* $MTA-STS lines; the trainer changes them in place */
	size_t nsts;
};

struct lab_text {
	char *origin;
	char *text;
};

struct lab_world {
	struct lab_node **tab;
	size_t tabsize; /* a power of two, or 0 */
	size_t nnodes;
	size_t nrr;
	struct lab_scenario *scen;
	size_t nscen, capscen;
	struct lab_smtp_host *smtp;
	size_t nsmtp, capsmtp;
	size_t max_text, max_records;
	/* every text loaded, in order, so that lab_world_reset can undo the
	 * trainer's live changes by loading them again */
	struct lab_text *texts;
	size_t ntexts, captexts;
};

uint8_t lab_name_lower(uint8_t c);
/* Grows the node table to at least want buckets; on failure w is unchanged. */
mxs_status lab_world_reserve(lab_world *w, size_t want);
/* The node for name, created with any missing ancestors (empty
 * non-terminals); NULL when out of memory. */
struct lab_node *lab_world_node_get(lab_world *w, const uint8_t *name, size_t len, int line);
void lab_world_nodes_free(lab_world *w);          /* every node and record; the table */
void lab_world_smtp_free(lab_world *w);           /* the $SMTP hosts */
void lab_scenario_clear(struct lab_scenario *sc); /* frees the fields, zeroes it */

/* ---- the reader (zone_base.c, zone.c) ------------------------------------ */

struct tok {
	const char *s;
	size_t len;
	int line;
	int quoted;
};

/* One load in progress. frag is a world of its own that is merged into w
 * only when the whole text is good. */
struct parser {
	const lab_world *w; /* only read while parsing */
	lab_world frag;     /* what this file defines */
	const char *origin_label;
	char **why;
	int line;

	uint8_t origin[256];
	size_t originlen; /* 0: no $ORIGIN yet */
	uint8_t first_origin[256];
	size_t first_originlen;
	int first_origin_line;
	uint8_t owner[256];
	size_t ownerlen; /* 0: no owner yet */
	uint32_t ttl;
	int have_ttl;
	uint32_t first_ttl;
	int have_first_ttl;
	size_t nsoa;

	struct lab_scenario sc;
	int have_explain;

	struct tok *toks;
	size_t ntok;
	int blank_start;
	int depth;
	int paren_line;
};

/* A token quoted for a message: non-printable bytes escaped, long ones cut,
 * because the message ends up on somebody's terminal. */
const char *lab_zone_show(char *buf, size_t bufsz, const char *s, size_t len);
/* Sets *p->why to "ORIGIN:LINE: message" and returns st. */
mxs_status lab_zone_err(struct parser *p, mxs_status st, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
mxs_status lab_zone_nomem(struct parser *p);
/* Text to lower-cased wire format, relative names completed with the
 * current origin; -1 with *err (a short description) when it is no name. */
int lab_zone_name(const struct parser *p, const char *s, size_t len, uint8_t out[256],
                  size_t *outlen, const char **err);
/* Seconds, or BIND-style units ("1h30m"), at most LAB_MAX_TTL; -1 if not. */
int lab_zone_ttl(const char *s, size_t len, uint32_t *v);
int lab_zone_blank(char c); /* a blank between fields */
/* Adds one record of this load (rdata in wire format), with the checks
 * every record gets (CNAME and other data, the record limit). */
mxs_status lab_zone_add_rr(struct parser *p, const uint8_t *owner, size_t ownerlen, int line,
                           uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/* ---- the directives (scenario.c, sts.c) ---------------------------------- */

/* One `$` line (s/len without the line end). */
mxs_status lab_zone_directive(struct parser *p, const char *s, size_t len);
/* Gives h the owner of the first A/AAAA record in w with its address as a
 * name; 0 when w has none. */
int lab_smtp_find_name(const lab_world *w, struct lab_smtp_host *h);
/* $MTA-STS DOMAIN [mode=...] mx=PATTERN... [max_age=N] [serve=...] (sts.c) */
mxs_status lab_zone_sts(struct parser *p, const char *arg, size_t len);
/* The policies back as fresh's scenarios say (lab_world_reset). */
void lab_sts_reset(lab_world *w, const lab_world *fresh);

#endif
