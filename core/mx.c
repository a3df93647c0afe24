/* core/mx.c — the domain model and the rules of RFC 5321 §5.1, RFC 7505 and
 * RFC 2181 §10.3: tiers, the seeded shuffle, the relay view, the attempt
 * order, and the DNS findings. */
#include "mx.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mx_domain {
	char *name;
	mx_rcode mx_rc;
	char *mx_why;
	mx_host *hosts;
	size_t nhosts, caphosts;
	mx_srv *srv; /* kept sorted: service, priority, weight (heaviest first) */
	size_t nsrv, capsrv;

	/* results of mx_domain_analyze */
	bool analyzed;
	bool null_mx, implicit_mx;
	uint64_t run_seed; /* what --seed said: reproduces the order */
	uint64_t seed;     /* derived per domain from run_seed */
	char *as_host;
	mx_tier *tiers;
	size_t ntiers;
	mx_attempt *attempts;
	size_t nattempts;
	mx_finding *findings;
	size_t nfindings, capfindings;
	mx_step *steps;
	size_t nsteps;
	bool walked;
	long delivered; /* attempt index, or -1 */
};

/* ---- catalogue ---------------------------------------------------------- */

static const struct {
	const char *code;
	mx_severity severity;
	const char *reference;
	const char *summary;
} catalogue[MX_F_COUNT] = {
#define MX_X_ENTRY(id, code, sev, ref, summary) [MX_F_##id] = {code, MX_SEV_##sev, ref, summary},
    MX_FINDINGS(MX_X_ENTRY)
#undef MX_X_ENTRY
};

int mx_finding_lookup(const char *code)
{
	for (int i = 0; i < MX_F_COUNT; i++)
		if (strcmp(catalogue[i].code, code) == 0)
			return i;
	return -1;
}

const char *mx_finding_code(mx_finding_id id)
{
	return catalogue[id].code;
}
const char *mx_finding_summary(mx_finding_id id)
{
	return catalogue[id].summary;
}
mx_severity mx_finding_severity(mx_finding_id id)
{
	return catalogue[id].severity;
}
const char *mx_finding_reference(mx_finding_id id)
{
	return catalogue[id].reference;
}

const char *mx_severity_str(mx_severity s)
{
	switch (s) {
	case MX_SEV_INFO: return "info";
	case MX_SEV_WARNING: return "warning";
	case MX_SEV_ERROR: return "error";
	}
	return "?";
}

const char *mx_rcode_str(mx_rcode rc)
{
	switch (rc) {
	case MX_RC_NOT_ASKED: return "not asked";
	case MX_RC_OK: return "NOERROR";
	case MX_RC_NODATA: return "NODATA";
	case MX_RC_NXDOMAIN: return "NXDOMAIN";
	case MX_RC_SERVFAIL: return "SERVFAIL";
	case MX_RC_REFUSED: return "REFUSED";
	case MX_RC_TIMEOUT: return "timeout";
	case MX_RC_FORMERR: return "malformed answer";
	case MX_RC_ERROR: return "error";
	}
	return "?";
}

bool mx_rcode_is_temporary(mx_rcode rc)
{
	return rc == MX_RC_SERVFAIL || rc == MX_RC_REFUSED || rc == MX_RC_TIMEOUT ||
	       rc == MX_RC_FORMERR || rc == MX_RC_ERROR;
}

/* ---- small helpers ------------------------------------------------------ */

static char *dup_lower_name(const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (n > 0 && s[n - 1] == '.')
		n--;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return out;
}

static int name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* arr with room for one more element (n used of *cap, doubling), or NULL
 * when out of memory, arr then being untouched. */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *g;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 4;
	g = realloc(arr, ncap * size);
	if (g)
		*cap = ncap;
	return g;
}

/* ---- lifecycle and filling ---------------------------------------------- */

mx_domain *mx_domain_new(const char *name)
{
	mx_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->delivered = -1;
	d->name = dup_lower_name(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	return d;
}

static void clear_analysis(mx_domain *d)
{
	for (size_t i = 0; i < d->ntiers; i++)
		free(d->tiers[i].hosts);
	free(d->tiers);
	d->tiers = NULL;
	d->ntiers = 0;
	free(d->attempts);
	d->attempts = NULL;
	d->nattempts = 0;
	for (size_t i = 0; i < d->nfindings; i++) {
		free(d->findings[i].subject);
		free(d->findings[i].message);
	}
	free(d->findings);
	d->findings = NULL;
	d->nfindings = d->capfindings = 0;
	free(d->as_host);
	d->as_host = NULL;
	free(d->steps);
	d->steps = NULL;
	d->nsteps = 0;
	d->walked = false;
	d->delivered = -1;
	d->analyzed = false;
	d->null_mx = d->implicit_mx = false;
}

void mx_domain_free(mx_domain *d)
{
	if (!d)
		return;
	clear_analysis(d);
	for (size_t i = 0; i < d->nhosts; i++) {
		free(d->hosts[i].exchange);
		free(d->hosts[i].cname);
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			mx_addr *ad = &d->hosts[i].addrs[k];
			probe_result_free(ad->probe);
			for (size_t b = 0; b < ad->nblocklists; b++)
				blr_result_free(ad->blocklists[b]);
			free(ad->blocklists);
		}
		free(d->hosts[i].addrs);
	}
	free(d->hosts);
	for (size_t i = 0; i < d->nsrv; i++) {
		free(d->srv[i].service);
		free(d->srv[i].target);
	}
	free(d->srv);
	free(d->mx_why);
	free(d->name);
	free(d);
}

const char *mx_domain_name(const mx_domain *d)
{
	return d->name;
}

mxs_status mx_domain_set_mx_rcode(mx_domain *d, mx_rcode rc, const char *why)
{
	char *w = NULL;

	if (why && !(w = strdup(why)))
		return MXS_ERR_NOMEM;
	free(d->mx_why);
	d->mx_why = w;
	d->mx_rc = rc;
	return MXS_OK;
}

mx_rcode mx_domain_mx_rcode(const mx_domain *d)
{
	return d->mx_rc;
}
const char *mx_domain_mx_why(const mx_domain *d)
{
	return d->mx_why;
}

static mxs_status add_host(mx_domain *d, uint16_t pref, const char *exchange, uint32_t ttl,
                           bool implicit, size_t *index)
{
	mx_host *h, *hosts;

	hosts = grow(d->hosts, &d->caphosts, d->nhosts, sizeof(*d->hosts));
	if (!hosts)
		return MXS_ERR_NOMEM;
	d->hosts = hosts;
	h = &d->hosts[d->nhosts];
	memset(h, 0, sizeof(*h));
	h->exchange = dup_lower_name(strcmp(exchange, ".") == 0 ? "" : exchange);
	if (!h->exchange)
		return MXS_ERR_NOMEM;
	h->preference = pref;
	h->ttl = ttl;
	h->implicit = implicit;
	if (index)
		*index = d->nhosts;
	d->nhosts++;
	return MXS_OK;
}

mxs_status mx_domain_add_mx(mx_domain *d, uint16_t preference, const char *exchange, uint32_t ttl,
                            size_t *index)
{
	return add_host(d, preference, exchange, ttl, false, index);
}

mxs_status mx_domain_add_implicit(mx_domain *d, size_t *index)
{
	return add_host(d, 0, d->name, 0, true, index);
}

size_t mx_domain_host_count(const mx_domain *d)
{
	return d->nhosts;
}
const mx_host *mx_domain_host(const mx_domain *d, size_t i)
{
	return i < d->nhosts ? &d->hosts[i] : NULL;
}

/* Report order: services together, then the order a client would try them
 * (RFC 2782: lowest priority first; among equals the heavier weight is the
 * likelier pick, so it is listed first). */
static int srv_cmp(const mx_srv *a, const mx_srv *b)
{
	int c = strcmp(a->service, b->service);

	if (c)
		return c;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcmp(a->target, b->target);
}

mxs_status mx_domain_add_srv(mx_domain *d, const char *service, uint16_t priority, uint16_t weight,
                             uint16_t port, const char *target, uint32_t ttl)
{
	mx_srv n = {.priority = priority, .weight = weight, .port = port, .ttl = ttl}, *g;
	mxs_status st = MXS_OK;
	size_t at;

	if (d->nsrv >= MX_SRV_MAX)
		return MXS_ERR_LIMIT;
	n.service = dup_lower_name(service);
	n.target = dup_lower_name(strcmp(target, ".") == 0 ? "" : target);
	if (!n.service || !n.target) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	g = grow(d->srv, &d->capsrv, d->nsrv, sizeof(*d->srv));
	if (!g) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	d->srv = g;
	for (at = d->nsrv; at > 0 && srv_cmp(&d->srv[at - 1], &n) > 0; at--)
		;
	memmove(&d->srv[at + 1], &d->srv[at], (d->nsrv - at) * sizeof(*d->srv));
	d->srv[at] = n;
	d->nsrv++;
	n.service = n.target = NULL; /* owned by d now */
done:
	free(n.service);
	free(n.target);
	return st;
}

size_t mx_domain_srv_count(const mx_domain *d)
{
	return d->nsrv;
}
const mx_srv *mx_domain_srv(const mx_domain *d, size_t i)
{
	return i < d->nsrv ? &d->srv[i] : NULL;
}

mxs_status mx_host_set_rcode(mx_domain *d, size_t i, int family, mx_rcode rc)
{
	if (i >= d->nhosts || (family != 4 && family != 6))
		return MXS_ERR_INVALID;
	if (family == 4)
		d->hosts[i].a_rc = rc;
	else
		d->hosts[i].aaaa_rc = rc;
	return MXS_OK;
}

mxs_status mx_host_add_addr(mx_domain *d, size_t i, int family, const char *ip, uint32_t ttl)
{
	mx_host *h;
	mx_addr *n;
	size_t at;

	if (i >= d->nhosts || (family != 4 && family != 6) || strlen(ip) >= MX_IP_MAX)
		return MXS_ERR_INVALID;
	h = &d->hosts[i];
	n = realloc(h->addrs, (h->naddrs + 1) * sizeof(*n));
	if (!n)
		return MXS_ERR_NOMEM;
	h->addrs = n;
	/* IPv6 before IPv4, each family in DNS order: the common MTA default. */
	at = h->naddrs;
	if (family == 6)
		for (at = 0; at < h->naddrs && h->addrs[at].family == 6; at++)
			;
	memmove(&h->addrs[at + 1], &h->addrs[at], (h->naddrs - at) * sizeof(*n));
	h->addrs[at].family = family;
	snprintf(h->addrs[at].ip, sizeof(h->addrs[at].ip), "%s", ip);
	h->addrs[at].ttl = ttl;
	h->addrs[at].probe = NULL;
	h->addrs[at].blocklists = NULL;
	h->addrs[at].nblocklists = 0;
	h->naddrs++;
	if (h->implicit && (h->ttl == 0 || ttl < h->ttl))
		h->ttl = ttl;
	return MXS_OK;
}

mxs_status mx_host_set_probe(mx_domain *d, size_t i, size_t k, probe_result *r)
{
	if (i >= d->nhosts || k >= d->hosts[i].naddrs) {
		probe_result_free(r);
		return MXS_ERR_INVALID;
	}
	probe_result_free(d->hosts[i].addrs[k].probe);
	d->hosts[i].addrs[k].probe = r;
	return MXS_OK;
}

mxs_status mx_host_add_blocklist(mx_domain *d, size_t i, size_t k, blr_result *r)
{
	mx_addr *ad;
	blr_result **g;

	if (!r || i >= d->nhosts || k >= d->hosts[i].naddrs) {
		blr_result_free(r);
		return MXS_ERR_INVALID;
	}
	ad = &d->hosts[i].addrs[k];
	for (size_t b = 0; b < ad->nblocklists; b++)
		if (strcmp(ad->blocklists[b]->provider, r->provider) == 0) {
			blr_result_free(ad->blocklists[b]);
			ad->blocklists[b] = r;
			return MXS_OK;
		}
	g = realloc(ad->blocklists, (ad->nblocklists + 1) * sizeof(*g));
	if (!g) {
		blr_result_free(r);
		return MXS_ERR_NOMEM;
	}
	ad->blocklists = g;
	ad->blocklists[ad->nblocklists++] = r;
	return MXS_OK;
}

mxs_status mx_host_set_cname(mx_domain *d, size_t i, const char *canonical)
{
	char *c;

	if (i >= d->nhosts)
		return MXS_ERR_INVALID;
	c = dup_lower_name(canonical);
	if (!c)
		return MXS_ERR_NOMEM;
	free(d->hosts[i].cname);
	d->hosts[i].cname = c;
	return MXS_OK;
}

/* ---- seeds and the shuffle ---------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mx_seed_for(uint64_t run_seed, const char *domain)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, case-folded */

	for (const char *p = domain; *p; p++) {
		h ^= (uint64_t)tolower((unsigned char)*p);
		h *= 0x100000001b3ULL;
	}
	h ^= run_seed;
	return splitmix64(&h);
}

/* A uniform integer in [0, n): rejection removes the modulo bias. */
static uint64_t below(uint64_t n, uint64_t *state)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

	do
		r = splitmix64(state);
	while (r >= limit);
	return r % n;
}

void mx_shuffle(size_t *idx, size_t n, uint64_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)below(i, state), t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

/* ---- address classification --------------------------------------------- */

bool mx_is_ip_literal(const char *name)
{
	char buf[MX_NAME_MAX];
	unsigned char bin[16];
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, name, n + 1);
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n >= 2 && buf[0] == '[' && buf[n - 1] == ']') {
		buf[n - 1] = '\0';
		memmove(buf, buf + 1, n - 1);
		if (strncasecmp(buf, "ipv6:", 5) == 0)
			memmove(buf, buf + 5, strlen(buf + 5) + 1);
	}
	return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* Why an address is not reachable from the Internet (RFC 6890), or NULL. */
static const char *v4_special(const unsigned char a[4], bool allow_loopback)
{
	static const struct {
		unsigned char net[4];
		int bits;
		const char *why;
	} r[] = {
	    {{0, 0, 0, 0}, 8, "\"this network\" (RFC 1122)"},
	    {{10, 0, 0, 0}, 8, "private (RFC 1918)"},
	    {{100, 64, 0, 0}, 10, "shared carrier-grade NAT space (RFC 6598)"},
	    {{127, 0, 0, 0}, 8, "loopback (RFC 1122)"},
	    {{169, 254, 0, 0}, 16, "link-local (RFC 3927)"},
	    {{172, 16, 0, 0}, 12, "private (RFC 1918)"},
	    {{192, 0, 0, 0}, 24, "IETF protocol assignments (RFC 6890)"},
	    {{192, 0, 2, 0}, 24, "documentation (RFC 5737)"},
	    {{192, 168, 0, 0}, 16, "private (RFC 1918)"},
	    {{198, 18, 0, 0}, 15, "benchmarking (RFC 2544)"},
	    {{198, 51, 100, 0}, 24, "documentation (RFC 5737)"},
	    {{203, 0, 113, 0}, 24, "documentation (RFC 5737)"},
	    {{224, 0, 0, 0}, 4, "multicast (RFC 5771)"},
	    {{240, 0, 0, 0}, 4, "reserved (RFC 1112)"},
	};
	uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint32_t net = (uint32_t)r[i].net[0] << 24 | (uint32_t)r[i].net[1] << 16 |
		               (uint32_t)r[i].net[2] << 8 | r[i].net[3];
		uint32_t mask = 0xffffffffu << (32 - r[i].bits);
		if ((ip & mask) == net) {
			if (allow_loopback && r[i].net[0] == 127)
				return NULL;
			return r[i].why;
		}
	}
	return NULL;
}

static const char *v6_special(const unsigned char a[16], bool allow_loopback)
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return allow_loopback ? NULL : "loopback (RFC 4291)";
	if (memcmp(a, zero, 16) == 0)
		return "unspecified (RFC 4291)";
	if (memcmp(a, mapped, 12) == 0)
		return v4_special(a + 12, allow_loopback);
	if ((a[0] & 0xfe) == 0xfc)
		return "unique local (RFC 4193)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local (RFC 4291)";
	if (a[0] == 0xff)
		return "multicast (RFC 4291)";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return "documentation (RFC 3849)";
	if (a[0] == 0x01 && a[1] == 0 && memcmp(a + 2, zero, 6) == 0)
		return "discard-only (RFC 6666)";
	return NULL;
}

static const char *non_public_why(const char *ip, bool allow_loopback)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, ip, bin) == 1)
		return v4_special(bin, allow_loopback);
	if (inet_pton(AF_INET6, ip, bin) == 1)
		return v6_special(bin, allow_loopback);
	return "not an address";
}

bool mx_ip_is_loopback(const char *ip)
{
	static const unsigned char one[16] = {[15] = 1};
	unsigned char b[16];

	if (inet_pton(AF_INET, ip, b) == 1)
		return b[0] == 127;
	return inet_pton(AF_INET6, ip, b) == 1 && memcmp(b, one, 16) == 0;
}

bool mx_ip_is_non_public(const char *ip, bool allow_loopback)
{
	return non_public_why(ip, allow_loopback) != NULL;
}

/* ---- findings ----------------------------------------------------------- */

static mxs_status add_finding(mx_domain *d, mx_finding_id id, const char *subject, const char *fmt,
                              ...) __attribute__((format(printf, 4, 5)));

static mxs_status add_finding(mx_domain *d, mx_finding_id id, const char *subject, const char *fmt,
                              ...)
{
	mx_finding *f, *fs;
	va_list ap;
	char *msg = NULL;
	int n;

	fs = grow(d->findings, &d->capfindings, d->nfindings, sizeof(*d->findings));
	if (!fs)
		return MXS_ERR_NOMEM;
	d->findings = fs;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MXS_ERR_NOMEM;
	f = &d->findings[d->nfindings];
	f->id = id;
	f->code = catalogue[id].code;
	f->severity = catalogue[id].severity;
	f->reference = catalogue[id].reference;
	f->message = msg;
	f->subject = strdup(subject);
	if (!f->subject) {
		free(msg);
		return MXS_ERR_NOMEM;
	}
	d->nfindings++;
	return MXS_OK;
}

/* ---- analysis ----------------------------------------------------------- */

/* State shared by the steps of one analysis. */
typedef struct analysis {
	mx_domain *d;
	const mx_options *opt;
	bool *routable; /* per host: takes part in tiers (not null, not a duplicate, not dropped) */
	size_t nnull;
} analysis;

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		st = (expr);                                                                       \
		if (st != MXS_OK)                                                                  \
			goto done;                                                                 \
	} while (0)

static const char *host_dns_detail(const mx_host *h)
{
	if (h->a_rc == MX_RC_NXDOMAIN || h->aaaa_rc == MX_RC_NXDOMAIN)
		return "the name does not exist (NXDOMAIN)";
	return "the name has no A or AAAA record (NODATA)";
}

static bool host_temporary(const mx_host *h)
{
	return mx_rcode_is_temporary(h->a_rc) || mx_rcode_is_temporary(h->aaaa_rc);
}

/* Findings about each record on its own: aliases, literals, missing and
 * non-public addresses, duplicates. They describe the zone, so they are
 * reported in the relay view too. */
static mxs_status check_hosts(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool dup_reported = false;

		if (h->exchange[0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!name_eq(d->hosts[j].exchange, h->exchange))
				continue;
			/* report each duplicated name once, at its second appearance */
			for (size_t k = 0; k < j; k++)
				if (name_eq(d->hosts[k].exchange, h->exchange))
					dup_reported = true;
			if (!dup_reported)
				TRY(add_finding(
				    d, MX_F_MX_DUPLICATE, h->exchange,
				    "%s is listed more than once (preferences %u and %u); "
				    "senders use it once, at its best preference",
				    h->exchange, d->hosts[j].preference, h->preference));
			break;
		}
		if (mx_is_ip_literal(h->exchange)) {
			TRY(add_finding(
			    d, MX_F_MX_IP_LITERAL, h->exchange,
			    "MX %u %s is an address literal; an MX target must be a host name "
			    "with its own A/AAAA record",
			    h->preference, h->exchange));
		} else if (h->cname) {
			TRY(add_finding(
			    d, MX_F_MX_CNAME, h->exchange,
			    "MX %u %s is an alias (CNAME) for %s; point the MX at %s directly",
			    h->preference, h->exchange, h->cname, h->cname));
		}
		if (h->naddrs == 0 && !h->implicit && !mx_is_ip_literal(h->exchange)) {
			if (host_temporary(h))
				TRY(add_finding(
				    d, MX_F_DNS_TEMPORARY, h->exchange,
				    "address lookup for %s failed: A %s, AAAA %s; senders will "
				    "retry later",
				    h->exchange, mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc)));
			else
				TRY(add_finding(d, MX_F_MX_NO_ADDRESS, h->exchange,
				                "MX %u %s has no address: %s", h->preference,
				                h->exchange, host_dns_detail(h)));
		}
		for (size_t k = 0; k < h->naddrs; k++) {
			const char *why = non_public_why(h->addrs[k].ip, a->opt->allow_loopback);
			if (why)
				TRY(add_finding(
				    d, MX_F_MX_NON_PUBLIC, h->addrs[k].ip,
				    "%s (%s) has address %s, which is %s: senders on the "
				    "Internet cannot reach it",
				    h->exchange, h->implicit ? "implicit MX" : "MX", h->addrs[k].ip,
				    why));
		}
	}
done:
	return st;
}

/* Marks which hosts a sender would use: the null MX takes no part, a name
 * listed twice counts once at its best preference, and the relay view drops
 * the relay's own preference and everything less preferred. */
static mxs_status choose_routable(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	long as_pref = -1;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool keep = h->exchange[0] != '\0';

		for (size_t j = 0; keep && j < d->nhosts; j++) {
			const mx_host *o = &d->hosts[j];
			if (j == i || !name_eq(o->exchange, h->exchange))
				continue;
			if (o->preference < h->preference ||
			    (o->preference == h->preference && j < i))
				keep = false;
		}
		a->routable[i] = keep;
		if (h->exchange[0] == '\0')
			a->nnull++;
	}
	if (!a->opt->as_host)
		goto done;
	for (size_t i = 0; i < d->nhosts; i++)
		if (name_eq(d->hosts[i].exchange, a->opt->as_host) &&
		    (as_pref < 0 || d->hosts[i].preference < as_pref))
			as_pref = d->hosts[i].preference;
	if (as_pref < 0) {
		TRY(add_finding(d, MX_F_AS_NOT_MX, a->opt->as_host,
		                "%s is not an MX of %s, so it routes like any other sender",
		                a->opt->as_host, d->name));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++)
		if (d->hosts[i].preference >= as_pref)
			a->routable[i] = false;
	{
		bool any = false;
		for (size_t i = 0; i < d->nhosts; i++)
			any = any || a->routable[i];
		if (!any)
			TRY(add_finding(
			    d, MX_F_AS_MOST_PREFERRED, a->opt->as_host,
			    "%s is a most preferred MX (%ld) of %s: it has no better host to "
			    "relay to and must deliver the mail itself",
			    a->opt->as_host, as_pref, d->name));
	}
done:
	return st;
}

static int cmp_host_name(const void *x, const void *y, void *ctx)
{
	const mx_domain *d = ctx;
	const mx_host *a = &d->hosts[*(const size_t *)x], *b = &d->hosts[*(const size_t *)y];

	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return strcmp(a->exchange, b->exchange);
}

/* Groups routable hosts by preference, most preferred first, and shuffles
 * each group. Sorting by name before the shuffle makes the order depend on
 * the seed alone, not on the order the DNS server returned records in. */
static mxs_status build_tiers(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t n = 0, *idx = NULL;
	uint64_t state = d->seed;

	idx = malloc((d->nhosts ? d->nhosts : 1) * sizeof(*idx));
	if (!idx)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < d->nhosts; i++)
		if (a->routable[i])
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_host_name, d);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		mx_tier *t, *nt;

		while (j < n && d->hosts[idx[j]].preference == d->hosts[idx[i]].preference)
			j++;
		nt = realloc(d->tiers, (d->ntiers + 1) * sizeof(*nt));
		if (!nt) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		d->tiers = nt;
		t = &d->tiers[d->ntiers];
		t->preference = d->hosts[idx[i]].preference;
		t->nhosts = j - i;
		t->hosts = malloc(t->nhosts * sizeof(*t->hosts));
		if (!t->hosts) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		d->ntiers++;
		memcpy(t->hosts, idx + i, t->nhosts * sizeof(*t->hosts));
		mx_shuffle(t->hosts, t->nhosts, &state);
		i = j;
	}
	for (size_t ti = 0; ti < d->ntiers; ti++)
		for (size_t k = 0; k < d->tiers[ti].nhosts; k++)
			d->nattempts += d->hosts[d->tiers[ti].hosts[k]].naddrs;
	if (d->nattempts) {
		size_t at = 0;
		d->attempts = malloc(d->nattempts * sizeof(*d->attempts));
		if (!d->attempts) {
			d->nattempts = 0;
			st = MXS_ERR_NOMEM;
			goto done;
		}
		for (size_t ti = 0; ti < d->ntiers; ti++)
			for (size_t k = 0; k < d->tiers[ti].nhosts; k++) {
				size_t h = d->tiers[ti].hosts[k];
				for (size_t m = 0; m < d->hosts[h].naddrs; m++)
					d->attempts[at++] = (mx_attempt){.host = h, .addr = m};
			}
	}
done:
	free(idx);
	return st;
}

/* Findings about the record set as a whole: redundancy and whether any
 * route exists at all. Judged on the sender view, whatever --as says. */
static mxs_status check_route(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t distinct = 0, with_addr = 0, temp = 0;
	long best = -1;
	size_t nbackup = 0;
	char *list = NULL;
	size_t len = 0;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool first = true;

		if (h->exchange[0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++)
			if (name_eq(d->hosts[j].exchange, h->exchange))
				first = false;
		if (!first)
			continue;
		distinct++;
		if (h->naddrs)
			with_addr++;
		else if (host_temporary(h))
			temp++;
		if (best < 0 || h->preference < best)
			best = h->preference;
	}
	if (distinct == 0 || d->implicit_mx)
		goto done;
	if (with_addr == 0 && temp == 0) {
		TRY(add_finding(
		    d, MX_F_NO_MAIL_ROUTE, d->name,
		    "none of the %zu MX target%s of %s has an address: mail to it cannot be "
		    "delivered",
		    distinct, distinct == 1 ? "" : "s", d->name));
		goto done;
	}
	if (distinct == 1) {
		TRY(add_finding(
		    d, MX_F_SINGLE_MX, d->name,
		    "%s has a single MX host; while it is down, senders queue and retry", d->name));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		int n;
		char *grown;

		if (h->exchange[0] == '\0' || h->preference == best)
			continue;
		n = snprintf(NULL, 0, "%s%s (%u)", nbackup ? ", " : "", h->exchange, h->preference);
		grown = realloc(list, len + (size_t)n + 1);
		if (!grown) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		list = grown;
		snprintf(list + len, (size_t)n + 1, "%s%s (%u)", nbackup ? ", " : "", h->exchange,
		         h->preference);
		len += (size_t)n;
		nbackup++;
	}
	if (nbackup)
		TRY(add_finding(
		    d, MX_F_BACKUP_MX, d->name,
		    "%zu backup MX record%s behind preference %ld: %s; they queue mail while "
		    "the primary is down, and need the same spam filtering and recipient "
		    "checks or they attract spam and cause backscatter",
		    nbackup, nbackup == 1 ? "" : "s", best, list));
done:
	free(list);
	return st;
}

static mxs_status check_domain(analysis *a, bool *stop)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	const char *why = d->mx_why ? d->mx_why : mx_rcode_str(d->mx_rc);

	*stop = true;
	switch (d->mx_rc) {
	case MX_RC_NXDOMAIN:
		return add_finding(
		    d, MX_F_NXDOMAIN, d->name,
		    "%s does not exist (NXDOMAIN): senders bounce mail to it at once", d->name);
	case MX_RC_NOT_ASKED: return MXS_OK;
	case MX_RC_OK:
	case MX_RC_NODATA: break;
	default:
		return add_finding(
		    d, MX_F_DNS_TEMPORARY, d->name,
		    "MX lookup for %s failed (%s): senders queue mail and retry later", d->name,
		    why);
	}
	*stop = false;
	if (a->nnull == 1 && d->nhosts == 1) {
		d->null_mx = true;
		*stop = true;
		return add_finding(
		    d, MX_F_NULL_MX, d->name,
		    "%s publishes a null MX (MX 0 .): it accepts no mail, and senders must "
		    "not fall back to its address",
		    d->name);
	}
	if (a->nnull > 0)
		TRY(add_finding(
		    d, MX_F_NULL_MX_MIXED, d->name,
		    "%s publishes a null MX beside %zu other MX record%s; the null MX must "
		    "stand alone, senders ignore it here",
		    d->name, d->nhosts - a->nnull, d->nhosts - a->nnull == 1 ? "" : "s"));
	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		if (!h->implicit)
			continue;
		d->implicit_mx = true;
		if (h->naddrs)
			TRY(add_finding(
			    d, MX_F_IMPLICIT_MX, d->name,
			    "%s has no MX records; senders fall back to its own address "
			    "(implicit MX)",
			    d->name));
		else if (host_temporary(h))
			TRY(add_finding(
			    d, MX_F_DNS_TEMPORARY, d->name,
			    "address lookup for %s failed: A %s, AAAA %s; senders will retry "
			    "later",
			    d->name, mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc)));
		else
			TRY(add_finding(
			    d, MX_F_NO_MAIL_ROUTE, d->name,
			    "%s has no MX and no A or AAAA record: there is nowhere to deliver "
			    "mail",
			    d->name));
	}
	if (d->mx_rc == MX_RC_NODATA && !d->implicit_mx)
		TRY(add_finding(d, MX_F_NO_MAIL_ROUTE, d->name,
		                "%s has no MX records and its address was not looked up", d->name));
done:
	return st;
}

/* ---- probes and the delivery walk ---------------------------------------- */

const char *mx_walk_rule(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return "2xx greeting: the sender hands the mail over here and stops";
	case PROBE_TEMPFAIL: return "4xx greeting: a temporary failure, try the next address";
	case PROBE_REJECTED: return "5xx greeting: this host will not talk, try the next address";
	case PROBE_REFUSED: return "connection refused: try the next address";
	case PROBE_CONNECT_TIMEOUT: return "no answer to the connection: try the next address";
	case PROBE_GREETING_TIMEOUT: return "no greeting in time: try the next address";
	case PROBE_UNREACHABLE: return "no route to the address: try the next address";
	case PROBE_TLS_FAILED: return "the TLS handshake failed: try the next address";
	case PROBE_GARBAGE: return "the server does not speak SMTP: try the next address";
	case PROBE_PENDING:
	case PROBE_ERROR:
	case PROBE_STATE_COUNT: break;
	}
	return "not probed: the walk stops here";
}

/* Follows the attempt order as a sender would: every address in turn until
 * the first 2xx greeting (RFC 5321 §5.1). Only when every address was
 * probed, so a half-finished walk is never shown as the answer. */
static mxs_status walk(analysis *a)
{
	mx_domain *d = a->d;

	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_attempt *at = &d->attempts[i];
		const probe_result *r = d->hosts[at->host].addrs[at->addr].probe;
		if (!r || r->state == PROBE_PENDING || r->state == PROBE_ERROR)
			return MXS_OK;
	}
	if (d->nattempts == 0)
		return MXS_OK;
	d->steps = calloc(d->nattempts, sizeof(*d->steps));
	if (!d->steps)
		return MXS_ERR_NOMEM;
	d->walked = true;
	for (size_t i = 0; i < d->nattempts; i++) {
		const mx_attempt *at = &d->attempts[i];
		probe_state st = d->hosts[at->host].addrs[at->addr].probe->state;
		d->steps[d->nsteps++] =
		    (mx_step){.attempt = i, .state = st, .rule = mx_walk_rule(st)};
		if (st == PROBE_ACCEPTED) {
			d->delivered = (long)i;
			break;
		}
	}
	return MXS_OK;
}

/* Whether the greeting's first word, the name the server greets with
 * (RFC 5321 §4.2), is the MX name or its canonical name. */
static bool banner_names(const probe_result *r, const mx_host *h, char *got, size_t cap)
{
	const char *g = r->greeting, *p;
	size_t n;

	/* probe.h: the greeting text starts after the reply code */
	if (!g || !*g)
		return true;
	p = g;
	n = strcspn(p, " \r\n");
	if (n == 0 || n >= cap)
		return true;
	memcpy(got, p, n);
	got[n] = '\0';
	return name_eq(got, h->exchange) || (h->cname && name_eq(got, h->cname));
}

/* A short, bounded quote of the greeting's first line for a message. */
static void first_line(const probe_result *r, char *out, size_t cap)
{
	size_t n = r->greeting ? strcspn(r->greeting, "\r\n") : 0;

	if (n >= cap)
		n = cap - 4;
	snprintf(out, cap, "%.*s%s", (int)n, r->greeting ? r->greeting : "",
	         r->greeting && n < strcspn(r->greeting, "\r\n") ? "..." : "");
}

static mxs_status check_probe(analysis *a, const mx_host *h, const mx_addr *ad)
{
	mx_domain *d = a->d;
	const probe_result *r = ad->probe;
	mxs_status st = MXS_OK;
	char line[84], name[256];

	switch (r->state) {
	case PROBE_REFUSED:
	case PROBE_CONNECT_TIMEOUT:
	case PROBE_GREETING_TIMEOUT:
	case PROBE_UNREACHABLE:
	case PROBE_GARBAGE:
		/* libcurl's words add something only where the state alone is vague */
		TRY(add_finding(d, MX_F_SMTP_UNREACHABLE, ad->ip, "%s (%u) at %s: %s%s%s",
		                h->exchange, h->preference, ad->ip, probe_state_meaning(r->state),
		                r->state == PROBE_GARBAGE && r->error ? "; " : "",
		                r->state == PROBE_GARBAGE && r->error ? r->error : ""));
		break;
	case PROBE_TEMPFAIL:
		first_line(r, line, sizeof(line));
		TRY(add_finding(
		    d, MX_F_SMTP_TEMPFAIL, ad->ip,
		    "%s (%u) at %s greets with \"%s\": senders try the next address and "
		    "retry later",
		    h->exchange, h->preference, ad->ip, line));
		break;
	case PROBE_REJECTED:
		first_line(r, line, sizeof(line));
		TRY(add_finding(d, MX_F_SMTP_REJECT, ad->ip,
		                "%s (%u) at %s greets with \"%s\": it will take no mail",
		                h->exchange, h->preference, ad->ip, line));
		break;
	case PROBE_TLS_FAILED:
		TRY(add_finding(d, MX_F_TLS_CERTIFICATE_INVALID, ad->ip,
		                "%s (%u) at %s: the STARTTLS handshake failed%s%s", h->exchange,
		                h->preference, ad->ip, r->error ? ": " : "",
		                r->error ? r->error : ""));
		break;
	case PROBE_ACCEPTED:
		if (r->t.greeting > MX_SLOW_BANNER_MS)
			TRY(add_finding(
			    d, MX_F_SMTP_SLOW_BANNER, ad->ip,
			    "%s (%u) at %s took %ld ms to greet; senders wait, but slow "
			    "greetings often mean an overloaded or tarpitting server",
			    h->exchange, h->preference, ad->ip, r->t.greeting));
		/* only an EHLO reply can say STARTTLS is missing: a host that
		 * hung up before answering EHLO has not said anything about it */
		if (!r->tls.offered && r->nehlo > 0)
			TRY(add_finding(
			    d, MX_F_SMTP_NO_STARTTLS, ad->ip,
			    "%s (%u) at %s does not offer STARTTLS: mail to it crosses the "
			    "network in clear text",
			    h->exchange, h->preference, ad->ip));
		if (r->tls.offered && !r->tls.verified)
			TRY(add_finding(d, MX_F_TLS_CERTIFICATE_INVALID, ad->ip,
			                "%s (%u) at %s: the certificate does not verify for %s%s%s",
			                h->exchange, h->preference, ad->ip, h->exchange,
			                r->tls.verify_error ? ": " : "",
			                r->tls.verify_error ? r->tls.verify_error : ""));
		if (!banner_names(r, h, name, sizeof(name)))
			TRY(add_finding(d, MX_F_BANNER_NAME_MISMATCH, ad->ip,
			                "%s (%u) at %s greets as %s", h->exchange, h->preference,
			                ad->ip, name));
		break;
	default: break;
	}
done:
	return st;
}

/* Findings from the blocklists: one per (address, provider) that listed
 * it or could not answer. RFC 5782 §2.1: only 127.0.0.2 and up is a
 * listing, so an unavailable answer never becomes ip-listed. */
static mxs_status check_blocklists(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		for (size_t k = 0; k < h->naddrs; k++) {
			const mx_addr *ad = &h->addrs[k];
			for (size_t b = 0; b < ad->nblocklists; b++) {
				const blr_result *r = ad->blocklists[b];
				char codes[160] = "";
				for (size_t c = 0; c < r->ncodes; c++) {
					size_t at = strlen(codes);
					snprintf(codes + at, sizeof(codes) - at, "%s%s%s%s%s",
					         c ? ", " : "", r->codes[c].code,
					         r->codes[c].meaning ? " (" : "",
					         r->codes[c].meaning ? r->codes[c].meaning : "",
					         r->codes[c].meaning ? ")" : "");
				}
				if (r->state == BLR_LISTED)
					TRY(add_finding(
					    d, MX_F_IP_LISTED, ad->ip,
					    "%s (%u) at %s is listed by %s%s%s%s%s%s", h->exchange,
					    h->preference, ad->ip, r->provider,
					    codes[0] ? ": " : "", codes, r->reason ? " \"" : "",
					    r->reason ? r->reason : "", r->reason ? "\"" : ""));
				else if (r->state == BLR_UNAVAILABLE)
					TRY(add_finding(
					    d, MX_F_BLOCKLIST_UNAVAILABLE, ad->ip,
					    "%s (%u) at %s: blocklist %s did not answer: %s",
					    h->exchange, h->preference, ad->ip, r->provider,
					    r->error ? r->error : "no answer"));
			}
		}
	}
done:
	return st;
}

/* Findings from the probes: each address on its own, then the walk. */
static mxs_status check_probes(analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++)
			if (d->hosts[i].addrs[k].probe)
				TRY(check_probe(a, &d->hosts[i], &d->hosts[i].addrs[k]));
	if (!d->walked)
		goto done;
	if (d->delivered < 0) {
		TRY(add_finding(d, MX_F_NO_ACCEPTING_MX, d->name,
		                "none of the %zu addresses a sender would try for %s accepts mail: "
		                "it queues the mail and retries later",
		                d->nattempts, d->name));
	} else {
		const mx_host *h = &d->hosts[d->attempts[d->delivered].host];
		if (d->ntiers && h->preference != d->tiers[0].preference)
			TRY(add_finding(
			    d, MX_F_PRIMARY_UNREACHABLE, d->name,
			    "no address of the most preferred tier (%u) of %s accepts; the "
			    "mail goes to %s (%u) instead",
			    d->tiers[0].preference, d->name, h->exchange, h->preference));
	}
done:
	return st;
}

mxs_status mx_domain_analyze(mx_domain *d, const mx_options *opt)
{
	static const mx_options defaults = {0};
	mxs_status st = MXS_OK;
	analysis a = {.d = d, .opt = opt ? opt : &defaults};
	bool stop = false;

	clear_analysis(d);
	d->run_seed = a.opt->seed;
	d->seed = mx_seed_for(a.opt->seed, d->name);
	if (a.opt->as_host && !(d->as_host = dup_lower_name(a.opt->as_host)))
		return MXS_ERR_NOMEM;
	a.routable = calloc(d->nhosts ? d->nhosts : 1, sizeof(*a.routable));
	if (!a.routable)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < d->nhosts; i++)
		if (d->hosts[i].exchange[0] == '\0')
			a.nnull++;
	TRY(check_domain(&a, &stop));
	if (stop)
		goto finished;
	a.nnull = 0;
	TRY(choose_routable(&a));
	TRY(check_hosts(&a));
	TRY(check_route(&a));
	TRY(build_tiers(&a));
	TRY(walk(&a));
	TRY(check_probes(&a));
	TRY(check_blocklists(&a));
finished:
	d->analyzed = true;
done:
	free(a.routable);
	return st;
}

bool mx_domain_null_mx(const mx_domain *d)
{
	return d->null_mx;
}
bool mx_domain_implicit_mx(const mx_domain *d)
{
	return d->implicit_mx;
}
uint64_t mx_domain_seed(const mx_domain *d)
{
	return d->run_seed;
}
const char *mx_domain_as_host(const mx_domain *d)
{
	return d->as_host;
}
size_t mx_domain_tier_count(const mx_domain *d)
{
	return d->ntiers;
}
const mx_tier *mx_domain_tier(const mx_domain *d, size_t i)
{
	return i < d->ntiers ? &d->tiers[i] : NULL;
}
size_t mx_domain_attempt_count(const mx_domain *d)
{
	return d->nattempts;
}
const mx_attempt *mx_domain_attempt(const mx_domain *d, size_t i)
{
	return i < d->nattempts ? &d->attempts[i] : NULL;
}
size_t mx_domain_finding_count(const mx_domain *d)
{
	return d->nfindings;
}
const mx_finding *mx_domain_finding(const mx_domain *d, size_t i)
{
	return i < d->nfindings ? &d->findings[i] : NULL;
}

bool mx_domain_walked(const mx_domain *d)
{
	return d->walked;
}
size_t mx_domain_step_count(const mx_domain *d)
{
	return d->nsteps;
}
const mx_step *mx_domain_step(const mx_domain *d, size_t i)
{
	return i < d->nsteps ? &d->steps[i] : NULL;
}
const mx_attempt *mx_domain_delivered(const mx_domain *d)
{
	return d->delivered >= 0 ? &d->attempts[d->delivered] : NULL;
}

int mx_domain_worst(const mx_domain *d)
{
	int worst = -1;

	for (size_t i = 0; i < d->nfindings; i++)
		if ((int)d->findings[i].severity > worst)
			worst = (int)d->findings[i].severity;
	return worst;
}

const char *mx_domain_status(const mx_domain *d)
{
	int w = mx_domain_worst(d);

	if (w == MX_SEV_ERROR)
		return "error";
	if (w == MX_SEV_WARNING)
		return "warning";
	return "ok";
}
