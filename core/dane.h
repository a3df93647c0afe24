/* core/dane.h — TLSA records and DANE matching for SMTP (prefix dane_;
 * RFC 6698, RFC 7671, RFC 7672).
 *
 * A TLSA record at _25._tcp.<MX host> says which certificate the host must
 * present: usage 3 (DANE-EE) pins the server's own certificate or key, with
 * no name or expiry checks (RFC 7672 §3.1.1); usage 2 (DANE-TA) pins a
 * trust anchor the server sends in its chain, and then the chain up to it
 * and the MX name must hold (RFC 7672 §3.1.2, §3.2). Selector 0 is the
 * whole certificate, 1 its SubjectPublicKeyInfo; matching type 0 is the
 * bytes themselves, 1 SHA-256, 2 SHA-512. Usages 0 and 1 are not used for
 * SMTP (RFC 7672 §3.1.3) and such records are "unusable", as are unknown
 * selectors and matching types: they are shown, never matched.
 *
 * Records only count when the zone is DNSSEC-signed (the resolver's AD bit):
 * a sender ignores TLSA from an insecure zone; that is the caller's call
 * (dane-tlsa-insecure). No I/O: net/ reads the RDATA off the wire. */
#ifndef MXSCOPE_DANE_H
#define MXSCOPE_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mx.h"
#include "probe.h"
#include "status.h"

#define DANE_DATA_MAX 65532 /* a TLSA RDATA is at most 65535 bytes: 3 fields + data */

typedef struct dane_tlsa {
	uint8_t usage, selector, mtype;
	unsigned char *data; /* owned; len bytes */
	size_t len;
} dane_tlsa;

/* Reads one TLSA RDATA (RFC 6698 §2.1: three octets, then the data), which
 * came off the network: every length is checked. On error *why (owned by
 * the caller) says what is wrong and *out holds nothing. */
mxs_status dane_tlsa_read(const unsigned char *rdata, size_t len, dane_tlsa *out, char **why);

/* Reads the presentation form "3 1 1 0123abcd..." (RFC 6698 §2.2; blanks
 * inside the hex allowed, as in zone files). Same contract as the reader. */
mxs_status dane_tlsa_parse_text(const char *text, dane_tlsa *out, char **why);

/* The presentation form, lower-case hex without blanks; NULL when out of
 * memory. Owned by the caller (free()). */
char *dane_tlsa_text(const dane_tlsa *t);

void dane_tlsa_clear(dane_tlsa *t); /* frees data, zeroes t */

/* Usage 2 or 3, selector 0 or 1, matching type 0, 1 or 2 with the length
 * its digest has (RFC 7671 §5: records that are not are unusable). */
bool dane_tlsa_usable(const dane_tlsa *t);

typedef enum dane_result {
	DANE_NONE = 0, /* no usable TLSA record: DANE says nothing */
	DANE_MATCH,    /* a usable record matches what the server presented */
	DANE_MISMATCH, /* usable records, and none matches (or no certificate at all) */
} dane_result;

const char *dane_result_word(dane_result r); /* "none", "match", "mismatch" */

/* Matches the records against the chain the server presented in tls
 * (probe_tls: chain, each certificate's signed_by_next, name_ok). now is
 * the current time in RFC 3339 UTC ("2026-11-29T12:00:00Z"), for the
 * validity of a DANE-TA chain; NULL skips that check. *matched (may be
 * NULL) gets the index of the record that matched; *why (may be NULL) a
 * static reason for people when the result is not a match. */
dane_result dane_match(const dane_tlsa *recs, size_t n, const probe_tls *tls, const char *now,
                       size_t *matched, const char **why);

/* The DANE stage's verdict for probe r of host h of domain d at time now
 * (a DANE-TA chain must be valid then), as a DANE sender decides it (RFC
 * 7672 §2.2): NOT_CHECKED when h's TLSA was not asked or the probe never
 * reached TLS (no greeting); NONE when the MX answer or the TLSA answer is
 * not DNSSEC-secure (the records are shown and ignored) or no record is
 * usable; else dane_match's verdict, where a host that offers no STARTTLS
 * or fails the handshake is a mismatch. */
probe_dane dane_verdict(const mx_domain *d, const mx_host *h, const probe_result *r, time_t now);

#endif
