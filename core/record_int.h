/* core/record_int.h — what the parts of the recording reader share (prefix
 * rec_): the path in the object a message names, and the bounded getters
 * that refuse a member of the wrong kind with that path. Only core/record*.c
 * include it.
 *
 *   record.c        the line, the MX hosts, addresses, SRV, "recorded"
 *   record_probe.c  one address's probe (TLS, DANE verdict, RCPT) and
 *                   blocklist answers
 *   record_dns.c    what DNS and the policy fetch said beside the MX walk:
 *                   DNSSEC, MTA-STS, TLS-RPT, TLSA, PTR, authoritative */
#ifndef MXSCOPE_RECORD_INT_H
#define MXSCOPE_RECORD_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mx.h"
#include "status.h"

/* Where the reader is in the object, for messages: "mx[1].addresses[0]". */
typedef struct rd {
	char path[128];
	char **why;
} rd;

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((st = (x)) != MXS_OK)                                                          \
			goto done;                                                                 \
	} while (0)

/* MXS_ERR_INVALID with *why "PATH.key: what" (key may be NULL). */
mxs_status rec_fail(rd *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends ".key[i]" (or "key[i]" at the top) to the path, or ".key" when
 * i is (size_t)-1; returns the old length for rec_pop. */
size_t rec_push(rd *r, const char *key, size_t i);
void rec_pop(rd *r, size_t n);

/* Members. A missing or null optional member leaves *out as it was (NULL
 * for strings, *s then NULL); need = true refuses it. */
mxs_status rec_get_str(rd *r, json_t *o, const char *key, bool need, const char **s, size_t *len);
mxs_status rec_get_int(rd *r, json_t *o, const char *key, bool need, json_int_t lo, json_int_t hi,
                       json_int_t *out);
mxs_status rec_get_bool(rd *r, json_t *o, const char *key, bool *out);
/* A list of at most max entries, or *out NULL when missing or null. */
mxs_status rec_get_array(rd *r, json_t *o, const char *key, size_t max, json_t **out);
/* Optional string into *dst (freed and replaced), at most max bytes. */
mxs_status rec_take_str(rd *r, json_t *o, const char *key, char **dst);
/* A required word: the i in [0, count) with word(i) equal to it (NULL
 * words never match). */
mxs_status rec_word_of(rd *r, json_t *o, const char *key, const char *(*word)(int), int count,
                       int *out);
/* A list of at most max strings of at most maxlen bytes each, as C strings
 * (views into the JSON, valid while it lives) in *out (malloc'd, caller
 * frees the array only), *n entries. */
mxs_status rec_get_strings(rd *r, json_t *o, const char *key, size_t max, size_t maxlen,
                           const char ***out, size_t *n);

/* s (NULL passes) is a name as a live scan records it: printable ASCII,
 * no blanks (c-ares escapes the rest); else MXS_ERR_INVALID naming key. */
mxs_status rec_check_name(rd *r, const char *key, const char *s);
/* An optional time member, YYYY-MM-DDTHH:MM:SSZ as mxscope writes it, into
 * *dst (freed and replaced). */
mxs_status rec_take_time(rd *r, json_t *o, const char *key, char **dst);

size_t rec_cut_utf8(const char *s, size_t len, size_t max);
char *rec_dup_n(const char *s, size_t len); /* NUL-terminated copy, owned by the caller */
const char *rec_rcode_word(int i);          /* mx_rcode_str for rec_word_of */

/* record_probe.c: o is an address's "probe" object; a new result for host
 * and ip in *out (owned by the caller). */
mxs_status rec_read_probe(rd *r, json_t *o, const char *host, const char *ip, probe_result **out);
/* One entry of an address's "blocklists"; a new result in *out. */
mxs_status rec_read_blocklist(rd *r, json_t *o, const char *ip, blr_result **out);

/* record_dns.c: host hi's "tlsa" (o is the host object) */
mxs_status rec_read_tlsa(rd *r, mx_domain *d, size_t hi, json_t *o);
/* host hi's address k's "ptr" (o is the address object) */
mxs_status rec_read_ptr(rd *r, mx_domain *d, size_t hi, size_t k, json_t *o);
/* the domain's "dnssec", "mta_sts", "tls_rpt", "authoritative" and
 * "authoritative_zone" (root is the line's object) */
mxs_status rec_read_domain_dns(rd *r, mx_domain *d, json_t *root);

#endif
