/* net/dns_wire.c — the parts of net/dns.h that are about bytes, not the
 * engine: server strings ("HOST[:PORT]"), the one reader of address
 * answers (every A and AAAA answer of the program goes through
 * dns_addrs_read), and the reading of DNS messages beyond c-ares 1.18's
 * parsers (TTLs, CNAME loops, TLSA, DoH answers). Split from net/dns.c to
 * keep each file small; nothing here holds state. */
#include "dns.h"
#include "dane.h"
#include "num.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

mxs_status dns_server_parse(const char *spec, char *out, size_t outcap, char **why)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_s = NULL;
	unsigned char bin[16];
	long port = 53;
	int v6 = 0;
	size_t len;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		len = (size_t)(end - spec - 1);
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, len);
		host[len] = '\0';
		port_s = end[1] == ':' ? end + 2 : NULL;
	} else if (strchr(spec, ':') && strchr(spec, ':') != strrchr(spec, ':')) {
		/* more than one colon and no brackets: a bare IPv6 address */
		if (strlen(spec) >= sizeof(host))
			goto bad;
		strcpy(host, spec);
	} else {
		const char *colon = strchr(spec, ':');
		len = colon ? (size_t)(colon - spec) : strlen(spec);
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, spec, len);
		host[len] = '\0';
		port_s = colon ? colon + 1 : NULL;
	}
	if (inet_pton(AF_INET6, host, bin) == 1)
		v6 = 1;
	else if (inet_pton(AF_INET, host, bin) != 1) {
		mxs_why(why, "DNS server \"%.80s\": \"%.60s\" is not an IPv4 or IPv6 address", spec,
		        host);
		return MXS_ERR_INVALID;
	}
	if (port_s) {
		unsigned long n = 0;
		bool ok = mx_num_parse(port_s, 65535, &n) && n >= 1;
		port = (long)n;
		if (!ok) {
			mxs_why(why, "DNS server \"%.80s\": port must be a number from 1 to 65535",
			        spec);
			return MXS_ERR_INVALID;
		}
	}
	if (snprintf(out, outcap, v6 ? "[%s]:%ld" : "%s:%ld", host, port) >= (int)outcap) {
		mxs_why(why, "DNS server \"%.80s\": too long", spec);
		return MXS_ERR_INVALID;
	}
	return MXS_OK;
bad:
	mxs_why(why, "DNS server \"%.80s\" is not HOST[:PORT] or [IPv6]:PORT", spec);
	return MXS_ERR_INVALID;
}

/* ---- the wire format beyond c-ares 1.18's parsers ---------------------------
 *
 * c-ares 1.18 decodes names (ares_expand_name) and the records its
 * ares_parse_*_reply functions know, but it drops the TTLs of every type but
 * A and AAAA, reads only the answer section (ares_parse_soa_reply cannot see
 * the SOA of a negative answer in the authority section), and never compares
 * a reply's header and question with what was asked (ares_query does that for
 * its own channel; DoH bytes never pass through one). Those three things, and
 * only those, are read here: names always through ares_expand_name. */

uint32_t dns_ttl(uint32_t wire)
{
	/* RFC 2181 §8: a TTL with the most significant bit set is zero */
	return wire > 0x7fffffffu ? 0 : wire;
}

/* Skips the name at *p (compression, loops and bounds checked by c-ares). */
static bool skip_name(const unsigned char *m, size_t len, const unsigned char **p)
{
	char *name = NULL;
	long n = 0;

	if (*p >= m + len || ares_expand_name(*p, m, (int)len, &name, &n) != ARES_SUCCESS)
		return false;
	ares_free_string(name);
	*p += n;
	return true;
}

static unsigned u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool dns_walk(const unsigned char *m, size_t len, dns_rr_cb cb, void *arg)
{
	const unsigned char *p = m + HFIXEDSZ, *end = m + len;
	unsigned qd, an, ns;

	if (len < HFIXEDSZ || len > 65535)
		return false;
	qd = u16(m + 4);
	an = u16(m + 6);
	ns = u16(m + 8);
	for (unsigned i = 0; i < qd; i++) {
		if (!skip_name(m, len, &p) || p + QFIXEDSZ > end)
			return false;
		p += QFIXEDSZ;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		dns_rr rr;
		rr.owner = p;
		if (!skip_name(m, len, &p) || p + RRFIXEDSZ > end)
			return false;
		rr.section = i < an ? DNS_SECTION_ANSWER : DNS_SECTION_AUTHORITY;
		rr.type = u16(p);
		rr.ttl = dns_ttl(u32(p + 4));
		rr.rdlen = u16(p + 8);
		rr.rdata = p + RRFIXEDSZ;
		if (rr.rdata + rr.rdlen > end)
			return false;
		p = rr.rdata + rr.rdlen;
		if (!cb(&rr, arg))
			return true;
	}
	return true;
}

typedef struct first_ttl {
	unsigned type;
	uint32_t ttl;
} first_ttl;

static bool on_first(const dns_rr *rr, void *arg)
{
	first_ttl *f = arg;

	if (rr->section != DNS_SECTION_ANSWER || rr->type != f->type)
		return true;
	f->ttl = rr->ttl;
	return false;
}

uint32_t dns_answer_ttl(const unsigned char *m, size_t len, unsigned type)
{
	first_ttl f = {.type = type};

	if (m)
		dns_walk(m, len, on_first, &f);
	return f.ttl;
}

bool dns_reply_to(const unsigned char *m, size_t len, const char *qname, int qtype, int *rcode)
{
	const unsigned char *p = m + HFIXEDSZ;
	char *name = NULL;
	long n = 0;
	bool ok;

	/* QR set, opcode QUERY, one question */
	if (len < HFIXEDSZ || !(m[2] & 0x80) || (m[2] & 0x78) != 0 || u16(m + 4) != 1)
		return false;
	if (ares_expand_name(p, m, (int)len, &name, &n) != ARES_SUCCESS)
		return false;
	p += n;
	ok = strcasecmp(name, qname) == 0 && p + QFIXEDSZ <= m + len && (int)u16(p) == qtype &&
	     u16(p + 2) == ns_c_in;
	ares_free_string(name);
	if (ok && rcode)
		*rcode = m[3] & 0x0f;
	return ok;
}

/* ---- CNAME loops (RFC 1034 §3.6.2) ------------------------------------------ */

#define CNAME_MAX_HOPS 16 /* aliases followed in one answer; more is no chain we show */

typedef struct cname_pairs {
	const unsigned char *m;
	size_t len;
	char *from[CNAME_MAX_HOPS], *to[CNAME_MAX_HOPS];
	size_t n;
} cname_pairs;

static bool on_cname_rr(const dns_rr *rr, void *arg)
{
	cname_pairs *cp = arg;
	char *from = NULL, *to = NULL;
	long n = 0;

	if (rr->section != DNS_SECTION_ANSWER || rr->type != ns_t_cname)
		return true;
	if (cp->n == CNAME_MAX_HOPS)
		return false;
	if (ares_expand_name(rr->owner, cp->m, (int)cp->len, &from, &n) != ARES_SUCCESS ||
	    ares_expand_name(rr->rdata, cp->m, (int)cp->len, &to, &n) != ARES_SUCCESS) {
		ares_free_string(from);
		return true;
	}
	cp->from[cp->n] = from;
	cp->to[cp->n++] = to;
	return true;
}

/* c-ares 1.18 reports a looping answer as NODATA with the last alias as
 * its name, which would read as "an alias for b: point the MX at b". */
bool dns_cname_loop(const unsigned char *m, size_t len, const char *asked, char **chain)
{
	cname_pairs cp = {.m = m, .len = len};
	const char *path[CNAME_MAX_HOPS + 1];
	size_t np = 0, need = 1;
	bool loop = false;

	*chain = NULL;
	dns_walk(m, len, on_cname_rr, &cp);
	path[np++] = asked;
	while (!loop && np <= CNAME_MAX_HOPS) {
		const char *next = NULL;
		for (size_t i = 0; i < cp.n && !next; i++)
			if (strcasecmp(cp.from[i], path[np - 1]) == 0)
				next = cp.to[i];
		if (!next)
			break;
		for (size_t k = 0; k < np && !loop; k++)
			loop = strcasecmp(path[k], next) == 0;
		path[np++] = next;
	}
	for (size_t k = 0; loop && k < np; k++)
		need += strlen(path[k]) + 4;
	if (loop && (*chain = malloc(need))) {
		size_t at = 0;
		for (size_t k = 0; k < np; k++)
			at += (size_t)snprintf(*chain + at, need - at, "%s%s", k ? " -> " : "",
			                       path[k]);
	}
	for (size_t i = 0; i < cp.n; i++) {
		ares_free_string(cp.from[i]);
		ares_free_string(cp.to[i]);
	}
	return loop && *chain;
}

#define TLSA_RDATA_KEEP 8192 /* bytes of one TLSA record kept (its text is twice that) */

/* The TLSA records of the answer section, each read by core/dane.c's
 * bounded reader into its presentation form. Owners are not compared: a
 * CNAME on the way makes the records another name's, and c-ares asked for
 * exactly this question. Returns how many were put in out. */
size_t dns_tlsa_read(const unsigned char *abuf, int alen, char **out, size_t max)
{
	const unsigned char *p = abuf + HFIXEDSZ, *end = abuf + alen;
	size_t n = 0;
	long len;
	char *name = NULL;
	int qd, an;

	if (alen < HFIXEDSZ)
		return 0;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (int i = 0; i < qd; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
			return n;
		ares_free_string(name);
		p += len + QFIXEDSZ;
		if (p > end)
			return n;
	}
	for (int i = 0; i < an && n < max; i++) {
		int rtype, rdlen;
		dane_tlsa t;
		if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
			return n;
		ares_free_string(name);
		p += len;
		if (end - p < RRFIXEDSZ)
			return n;
		rtype = p[0] << 8 | p[1];
		rdlen = p[8] << 8 | p[9];
		p += RRFIXEDSZ;
		if (end - p < rdlen)
			return n;
		/* a whole certificate (matching type 0) is a few KiB; more is no
		 * record a sender can use, only memory a hostile answer takes */
		if (rtype == DNS_TYPE_TLSA && rdlen <= TLSA_RDATA_KEEP &&
		    dane_tlsa_read(p, (size_t)rdlen, &t, NULL) == MXS_OK) {
			out[n] = dane_tlsa_text(&t);
			n += out[n] != NULL;
			dane_tlsa_clear(&t);
		}
		p += rdlen;
	}
	return n;
}

/* ---- address answers ------------------------------------------------------- */

/* c-ares 1.18 reads both families into arrays of its own types; one
 * DNS_ADDRS_MAX bounds both. */
mx_rcode dns_addrs_read(const unsigned char *abuf, int alen, int family, dns_addrs *out,
                        char **canon)
{
	struct ares_addrttl t4[DNS_ADDRS_MAX];
	struct ares_addr6ttl t6[DNS_ADDRS_MAX];
	struct hostent *he = NULL;
	int n = DNS_ADDRS_MAX, prc;

	out->n = 0;
	if (canon)
		*canon = NULL;
	if (!abuf || alen <= 0)
		return MX_RC_FORMERR;
	prc = family == 4 ? ares_parse_a_reply(abuf, alen, canon ? &he : NULL, t4, &n)
	                  : ares_parse_aaaa_reply(abuf, alen, canon ? &he : NULL, t6, &n);
	if (he) {
		if (he->h_name)
			*canon = strdup(he->h_name); /* out of memory: no alias seen */
		ares_free_hostent(he);
	}
	if (prc == ARES_ENODATA)
		return MX_RC_NODATA;
	if (prc != ARES_SUCCESS)
		return MX_RC_FORMERR;
	for (int i = 0; i < n && i < DNS_ADDRS_MAX; i++) {
		dns_addr *a = &out->a[out->n];
		memset(a, 0, sizeof(*a));
		a->family = family;
		if (family == 4) {
			memcpy(a->bin, &t4[i].ipaddr, 4);
			a->ttl = dns_ttl((uint32_t)t4[i].ttl);
		} else {
			memcpy(a->bin, &t6[i].ip6addr, 16);
			a->ttl = dns_ttl((uint32_t)t6[i].ttl);
		}
		if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a->bin, a->ip, sizeof(a->ip)))
			continue;
		out->n++;
	}
	return out->n ? MX_RC_OK : MX_RC_NODATA;
}
