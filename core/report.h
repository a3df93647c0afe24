/* core/report.h — a domain's analysis as text for people or JSON for scripts.
 *
 * Rendering only: nothing is looked up here. Every string that came from the
 * network is sanitised for the terminal in text and escaped in JSON. The
 * rendering layer of core/ (core/mx.h): it calls the model's read-only
 * views and the sender profiles' names; nothing below it calls it, and it
 * is the only place text or JSON of a domain is made. */
#ifndef MXSCOPE_REPORT_H
#define MXSCOPE_REPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "mx.h"
#include "mx_auth.h"

typedef struct mx_report_opts {
	bool color; /* ANSI colours for severities */
	bool ascii; /* no Unicode box or arrow characters */
} mx_report_opts;

/* A multi-line report ending in '\n'. Returns a new string owned by the
 * caller, or NULL when out of memory. */
char *mx_report_text(const mx_domain *d, const mx_report_opts *o);

/* One JSON object on one line, without the newline. Returns a new string
 * owned by the caller (free()), or NULL when out of memory. */
char *mx_report_json(const mx_domain *d);
/* The same object before it is dumped, for writers that add to it (a
 * recording line, core/record.h). A new reference owned by the caller
 * (json_decref), or NULL when out of memory. */
json_t *mx_report_value(const mx_domain *d);

/* Copies s into a new string with every control character, escape sequence
 * and invalid UTF-8 byte replaced by a visible placeholder, so network text
 * can never move the cursor or change the terminal. Owned by the caller. */
char *mx_sanitize(const char *s);
/* The same for len bytes that may hold NULs; a NUL is shown as "\0". */
char *mx_sanitize_n(const char *s, size_t len);
/* The terminal rule for a whole text of lines (a report, a command list):
 * as mx_sanitize_n, but '\n' is kept as the line break it is. */
char *mx_sanitize_lines(const char *s, size_t len);

/* The JSON writer: every JSON text mxscope prints goes through here.
 *
 * mx_json_text makes a JSON string from len bytes of network text: kept as
 * they are when they are UTF-8 (NULs included), else sanitised as
 * mx_sanitize_n does, so a field is never dropped. NULL when out of memory.
 *
 * mx_json_dump writes v compact, in insertion order, with every C0 and C1
 * control, DEL and bidi control (U+200E-F, U+202A-E, U+2066-9) inside a
 * string written as a \uXXXX escape, never as the raw character. The
 * result is owned by the caller (free()); NULL when out of memory. */
json_t *mx_json_text(const char *s, size_t len);
char *mx_json_dump(const json_t *v);

/* The pieces of the authoritative servers and reverse DNS (core/mx_auth.h),
 * core/report_auth.c: the "authoritative" array,
 * the per-address "ptr" object, and the text sections. New references /
 * strings owned by the caller; NULL when there is nothing to show. */
json_t *mx_auth_json(const mx_auth *a);
/* The "authoritative_zone" object: the zone asked about, how its NS
 * question ended, and the resolver's cached MX answer the servers are
 * compared with (what a recording needs to give the same findings). */
json_t *mx_auth_zone_json(const mx_auth *a);
/* probe (may be NULL): its greeting's name is compared with the PTR names */
json_t *mx_ptr_json(const mx_ptr *p, const probe_result *probe);
char *mx_ptr_text(const mx_ptr *p, const probe_result *probe);
char *mx_auth_text(const mx_auth *a);

#endif
