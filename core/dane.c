/* core/dane.c — TLSA records (read off the wire, read and written as text)
 * and DANE matching against the chain a server presented. The RDATA came
 * from the network: the reader checks every length and copies nothing it
 * has not bounded. Digests are libcrypto's. */
#include "dane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

enum { USAGE_DANE_TA = 2, USAGE_DANE_EE = 3 };
enum { SEL_CERT = 0, SEL_SPKI = 1 };
enum { MT_FULL = 0, MT_SHA256 = 1, MT_SHA512 = 2 };

void dane_tlsa_clear(dane_tlsa *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

mxs_status dane_tlsa_read(const unsigned char *rdata, size_t len, dane_tlsa *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!rdata || len < 4) {
		mxs_why(why,
		        "TLSA record of %zu bytes: needs usage, selector, matching type and data",
		        len);
		return MXS_ERR_INVALID;
	}
	if (len - 3 > DANE_DATA_MAX) {
		mxs_why(why, "TLSA record of %zu bytes is longer than an RDATA can be", len);
		return MXS_ERR_INVALID;
	}
	out->data = malloc(len - 3);
	if (!out->data)
		return MXS_ERR_NOMEM;
	out->usage = rdata[0];
	out->selector = rdata[1];
	out->mtype = rdata[2];
	out->len = len - 3;
	memcpy(out->data, rdata + 3, out->len);
	return MXS_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One decimal field 0..255 at *s, then blanks; false when there is none. */
static bool read_octet(const char **s, uint8_t *v)
{
	unsigned n = 0;
	size_t digits = 0;

	while (**s >= '0' && **s <= '9' && digits < 4) {
		n = n * 10 + (unsigned)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || digits > 3 || n > 255 || (**s != ' ' && **s != '\t'))
		return false;
	while (**s == ' ' || **s == '\t')
		(*s)++;
	*v = (uint8_t)n;
	return true;
}

mxs_status dane_tlsa_parse_text(const char *text, dane_tlsa *out, char **why)
{
	const char *s = text;
	size_t nhex = 0, k = 0;
	int hi = -1;

	memset(out, 0, sizeof(*out));
	if (!read_octet(&s, &out->usage) || !read_octet(&s, &out->selector) ||
	    !read_octet(&s, &out->mtype)) {
		mxs_why(why,
		        "TLSA \"%.40s\": expected USAGE SELECTOR MATCHING-TYPE DATA, each "
		        "number 0 to 255",
		        text);
		return MXS_ERR_INVALID;
	}
	for (const char *p = s; *p; p++) {
		if (hexval(*p) >= 0)
			nhex++;
		else if (*p != ' ' && *p != '\t') {
			mxs_why(why, "TLSA \"%.40s\": the data is not hexadecimal", text);
			return MXS_ERR_INVALID;
		}
	}
	if (nhex == 0 || nhex % 2 || nhex / 2 > DANE_DATA_MAX) {
		mxs_why(why, "TLSA \"%.40s\": the data must be whole bytes of hex, 1 to %d of them",
		        text, DANE_DATA_MAX);
		return MXS_ERR_INVALID;
	}
	out->data = malloc(nhex / 2);
	if (!out->data)
		return MXS_ERR_NOMEM;
	for (; *s; s++) {
		int v = hexval(*s);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out->data[k++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	out->len = k;
	return MXS_OK;
}

char *dane_tlsa_text(const dane_tlsa *t)
{
	static const char digits[] = "0123456789abcdef";
	size_t cap = 16 + 2 * t->len;
	char *s = malloc(cap);
	int n;

	if (!s)
		return NULL;
	n = snprintf(s, cap, "%u %u %u ", t->usage, t->selector, t->mtype);
	for (size_t i = 0; i < t->len; i++) {
		s[n++] = digits[t->data[i] >> 4];
		s[n++] = digits[t->data[i] & 15];
	}
	s[n] = '\0';
	return s;
}

bool dane_tlsa_usable(const dane_tlsa *t)
{
	if (t->usage != USAGE_DANE_TA && t->usage != USAGE_DANE_EE)
		return false;
	if (t->selector != SEL_CERT && t->selector != SEL_SPKI)
		return false;
	switch (t->mtype) {
	case MT_FULL: return t->len > 0;
	case MT_SHA256: return t->len == 32;
	case MT_SHA512: return t->len == 64;
	default: return false;
	}
}

const char *dane_result_word(dane_result r)
{
	switch (r) {
	case DANE_MATCH: return "match";
	case DANE_MISMATCH: return "mismatch";
	default: return "none";
	}
}

/* Whether record t matches certificate c by its selector and matching type. */
static bool cert_matches(const dane_tlsa *t, const probe_cert *c)
{
	const unsigned char *b = t->selector == SEL_CERT ? c->der : c->spki;
	size_t blen = t->selector == SEL_CERT ? c->der_len : c->spki_len;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!b || blen == 0)
		return false;
	if (t->mtype == MT_FULL)
		return blen == t->len && memcmp(b, t->data, blen) == 0;
	if (EVP_Digest(b, blen, md, &mdlen, t->mtype == MT_SHA256 ? EVP_sha256() : EVP_sha512(),
	               NULL) != 1)
		return false;
	return mdlen == t->len && memcmp(md, t->data, mdlen) == 0;
}

/* RFC 3339 UTC times of one shape compare as text. */
static bool valid_at(const probe_cert *c, const char *now)
{
	return !now || (c->not_before && c->not_after && strcmp(c->not_before, now) <= 0 &&
	                strcmp(now, c->not_after) <= 0);
}

/* DANE-TA (RFC 7672 §3.1.2): the anchor is a certificate the server sent
 * above its own, every certificate from the server's up to it is signed by
 * the next and valid now, and the server's certificate names the MX host
 * (§3.2.3). */
static bool ta_matches(const dane_tlsa *t, const probe_tls *tls, const char *now)
{
	if (!tls->name_ok)
		return false;
	for (size_t k = 1; k < tls->nchain; k++) {
		if (!tls->chain[k - 1].signed_by_next || !valid_at(&tls->chain[k - 1], now))
			return false;
		if (cert_matches(t, &tls->chain[k]))
			return valid_at(&tls->chain[k], now);
	}
	return false;
}

dane_result dane_match(const dane_tlsa *recs, size_t n, const probe_tls *tls, const char *now,
                       size_t *matched, const char **why)
{
	size_t usable = 0;
	const char *reason = "no TLSA record matches the certificate the server presented";

	for (size_t i = 0; i < n; i++) {
		bool ok;
		if (!dane_tlsa_usable(&recs[i]))
			continue;
		usable++;
		if (!tls->nchain)
			continue;
		/* DANE-EE: the server's own certificate or key; no name and no
		 * expiry checks (RFC 7672 §3.1.1) */
		ok = recs[i].usage == USAGE_DANE_EE ? cert_matches(&recs[i], &tls->chain[0])
		                                    : ta_matches(&recs[i], tls, now);
		if (ok) {
			if (matched)
				*matched = i;
			if (why)
				*why = NULL;
			return DANE_MATCH;
		}
	}
	if (usable == 0) {
		if (why)
			*why = n ? "no usable TLSA record (usage 2 or 3, selector 0 or 1, matching "
			           "type 0, 1 or 2)"
			         : "no TLSA record";
		return DANE_NONE;
	}
	if (!tls->nchain)
		reason =
		    "the server presented no certificate (no STARTTLS, or the handshake failed)";
	if (why)
		*why = reason;
	return DANE_MISMATCH;
}

probe_dane dane_verdict(const mx_domain *d, const mx_host *h, const probe_result *r, time_t now)
{
	dane_tlsa recs[32];
	size_t n = 0;
	dane_result res;
	char when[32] = "";
	struct tm tm;

	if (!h->tlsa || !r || (r->state != PROBE_ACCEPTED && r->state != PROBE_TLS_FAILED))
		return PROBE_DANE_NOT_CHECKED;
	if (mx_domain_dnssec(d) != MX_DNSSEC_SECURE || !h->tlsa->secure)
		return PROBE_DANE_NONE;
	for (size_t i = 0; i < h->tlsa->nrecords && n < sizeof(recs) / sizeof(recs[0]); i++)
		if (dane_tlsa_parse_text(h->tlsa->records[i], &recs[n], NULL) == MXS_OK)
			n++;
	/* RFC 3339 UTC, the form the certificate's dates have */
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	res = dane_match(recs, n, &r->tls, when[0] ? when : NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		dane_tlsa_clear(&recs[i]);
	return res == DANE_MATCH      ? PROBE_DANE_MATCH
	       : res == DANE_MISMATCH ? PROBE_DANE_MISMATCH
	                              : PROBE_DANE_NONE;
}
