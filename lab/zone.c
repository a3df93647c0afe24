/* lab/zone.c — scenario files: the master-file parser (RFC 1035 §5 plus our
 * `$` directives) and the lab_world that holds every scenario loaded.
 *
 * A load parses into a private fragment (its own hash table of nodes) and
 * only when the whole file is good merges it into the world; the merge is
 * arranged so that it cannot fail half-way, which is what keeps a world
 * unchanged after a bad file. */
#include "lab.h"
#include "lab_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#define LAB_MAX_TEXT          (64u * 1024 * 1024) /* default; lab_world_set_limits */
#define LAB_MAX_LINE          4096
#define LAB_MAX_RECORDS       1000000u /* default: a 100,000-domain bench zone fits */
#define LAB_MAX_TOKENS        1024
#define LAB_MAX_DOMAINS       256
#define LAB_DEFAULT_TTL       30
#define LAB_MAX_TTL           2147483647u /* RFC 2181 §8 */
#define LAB_MAX_SCENARIO_NAME 64
#define LAB_MAX_SMTP          4096    /* $SMTP lines in a world */
#define LAB_MAX_SMTP_DELAY_MS 600000u /* `slow` at most ten minutes */

struct lab_scenario {
	char *name;
	char *title;
	char *explain;
	char *as;
	char **domains;
	size_t ndomains;
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

/* ---- names ------------------------------------------------------------ */

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static uint32_t name_hash(const uint8_t *n, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ n[i]) * 16777619u;
	return h;
}

/* Presentation form without the trailing dot; "." for the root. Bytes that
 * are not plain host-name characters are escaped, so the string is safe to
 * print. out must hold 4 * 255 + 1 bytes. */
static void wire_to_text(const uint8_t *n, char *out)
{
	size_t o = 0;

	if (n[0] == 0) {
		strcpy(out, ".");
		return;
	}
	while (n[0] != 0) {
		size_t ll = n[0];

		if (o > 0)
			out[o++] = '.';
		for (size_t i = 1; i <= ll; i++) {
			uint8_t c = n[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') {
				out[o++] = (char)c;
			} else if (c == '.' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				o += (size_t)sprintf(out + o, "\\%03u", c);
			}
		}
		n += ll + 1;
	}
	out[o] = '\0';
}

/* ---- the node table ------------------------------------------------------ */

const struct lab_node *lab_world_node(const lab_world *w, const uint8_t *name, size_t len)
{
	uint32_t h;

	if (!w || w->tabsize == 0)
		return NULL;
	h = name_hash(name, len);
	for (struct lab_node *n = w->tab[h & (w->tabsize - 1)]; n; n = n->hnext)
		if (n->hash == h && n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

/* Grows the table to at least want buckets. Rehashing does not change what
 * the world means, so a failure here leaves it as it was. */
static mxs_status tab_reserve(lab_world *w, size_t want)
{
	size_t size = w->tabsize ? w->tabsize : 64;
	struct lab_node **tab;

	while (size < want)
		size *= 2;
	if (size == w->tabsize)
		return MXS_OK;
	tab = calloc(size, sizeof(*tab));
	if (!tab)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < w->tabsize; i++) {
		struct lab_node *n = w->tab[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			n->hnext = tab[n->hash & (size - 1)];
			tab[n->hash & (size - 1)] = n;
		}
	}
	free(w->tab);
	w->tab = tab;
	w->tabsize = size;
	return MXS_OK;
}

static struct lab_node *node_add(lab_world *w, const uint8_t *name, size_t len, int line)
{
	struct lab_node *n;

	if (w->nnodes + 1 > w->tabsize && tab_reserve(w, w->nnodes + 1) != MXS_OK)
		return NULL;
	n = calloc(1, sizeof(*n) + len);
	if (!n)
		return NULL;
	memcpy(n->name, name, len);
	n->namelen = (uint8_t)len;
	n->hash = name_hash(name, len);
	n->tail = &n->rrs;
	n->line = line;
	n->hnext = w->tab[n->hash & (w->tabsize - 1)];
	w->tab[n->hash & (w->tabsize - 1)] = n;
	w->nnodes++;
	return n;
}

/* The node for name, created with any missing ancestors so that names with
 * descendants exist (as empty non-terminals). */
static struct lab_node *node_get(lab_world *w, const uint8_t *name, size_t len, int line)
{
	struct lab_node *n = (struct lab_node *)lab_world_node(w, name, len);
	struct lab_node *first;

	if (n)
		return n;
	first = node_add(w, name, len, line);
	if (!first)
		return NULL;
	while (name[0] != 0) {
		len -= (size_t)name[0] + 1;
		name += name[0] + 1;
		if (lab_world_node(w, name, len))
			break;
		if (!node_add(w, name, len, line))
			return NULL;
	}
	return first;
}

static void nodes_free(lab_world *w)
{
	for (size_t i = 0; i < w->tabsize; i++) {
		struct lab_node *n = w->tab[i], *next;

		for (; n; n = next) {
			struct lab_rr *r = n->rrs, *rnext;

			next = n->hnext;
			for (; r; r = rnext) {
				rnext = r->next;
				free(r);
			}
			free(n);
		}
	}
	free(w->tab);
	w->tab = NULL;
	w->tabsize = 0;
	w->nnodes = 0;
	w->nrr = 0;
}

static void scenario_clear(struct lab_scenario *sc)
{
	free(sc->name);
	free(sc->title);
	free(sc->explain);
	free(sc->as);
	for (size_t i = 0; i < sc->ndomains; i++)
		free(sc->domains[i]);
	free(sc->domains);
	memset(sc, 0, sizeof(*sc));
}

lab_world *lab_world_new(void)
{
	lab_world *w = calloc(1, sizeof(lab_world));

	if (w) {
		w->max_text = LAB_MAX_TEXT;
		w->max_records = LAB_MAX_RECORDS;
	}
	return w;
}

void lab_world_set_limits(lab_world *w, size_t max_bytes, size_t max_records)
{
	w->max_text = max_bytes;
	w->max_records = max_records;
}

static void smtp_free(lab_world *w)
{
	for (size_t i = 0; i < w->nsmtp; i++)
		free(w->smtp[i].origin);
	free(w->smtp);
	w->smtp = NULL;
	w->nsmtp = 0;
	w->capsmtp = 0;
}

void lab_world_free(lab_world *w)
{
	if (!w)
		return;
	nodes_free(w);
	smtp_free(w);
	for (size_t i = 0; i < w->ntexts; i++) {
		free(w->texts[i].origin);
		free(w->texts[i].text);
	}
	free(w->texts);
	for (size_t i = 0; i < w->nscen; i++)
		scenario_clear(&w->scen[i]);
	free(w->scen);
	free(w);
}

/* ---- the parser ------------------------------------------------------- */

struct tok {
	const char *s;
	size_t len;
	int line;
	int quoted;
};

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
static const char *show(char *buf, size_t bufsz, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 12 >= bufsz || i >= 60) {
			strcpy(buf + o, "...");
			return buf;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)sprintf(buf + o, "\\%03u", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

__attribute__((format(printf, 4, 5))) static mxs_status perr(struct parser *p, mxs_status st,
                                                             int line, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return MXS_ERR_NOMEM;
	mxs_why(p->why, "%s:%d: %s", p->origin_label, line, msg);
	free(msg);
	return st;
}

static mxs_status nomem(struct parser *p)
{
	mxs_why(p->why, "%s: out of memory", p->origin_label);
	return MXS_ERR_NOMEM;
}

/* Text to lower-cased wire format, relative names completed with the current
 * origin. err gets a short description on failure. */
static int parse_name(const struct parser *p, const char *s, size_t len, uint8_t out[256],
                      size_t *outlen, const char **err)
{
	size_t o = 0;
	size_t i = 0;
	int absolute = 0;

	if (len == 1 && s[0] == '@') {
		if (p->originlen == 0) {
			*err = "\"@\" used before any $ORIGIN";
			return -1;
		}
		memcpy(out, p->origin, p->originlen);
		*outlen = p->originlen;
		return 0;
	}
	if (len == 0) {
		*err = "an empty name";
		return -1;
	}
	if (len == 1 && s[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	while (i < len) {
		size_t lstart = o++;
		size_t ll = 0;

		if (o >= 255) {
			*err = "a name longer than 255 bytes";
			return -1;
		}
		while (i < len && s[i] != '.') {
			unsigned c = (unsigned char)s[i++];

			if (c == '\\') {
				if (i >= len) {
					*err = "a name ending in a backslash";
					return -1;
				}
				if (s[i] >= '0' && s[i] <= '9') {
					if (i + 2 >= len || s[i + 1] < '0' || s[i + 1] > '9' ||
					    s[i + 2] < '0' || s[i + 2] > '9') {
						*err = "a bad \\DDD escape in a name (three "
						       "digits, 000-255)";
						return -1;
					}
					c = (unsigned)(s[i] - '0') * 100 +
					    (unsigned)(s[i + 1] - '0') * 10 +
					    (unsigned)(s[i + 2] - '0');
					if (c > 255) {
						*err = "a \\DDD escape above 255 in a name";
						return -1;
					}
					i += 3;
				} else {
					c = (unsigned char)s[i++];
				}
			}
			if (++ll > 63) {
				*err = "a label longer than 63 bytes";
				return -1;
			}
			if (o >= 255) {
				*err = "a name longer than 255 bytes";
				return -1;
			}
			out[o++] = lower((uint8_t)c);
		}
		if (ll == 0) {
			*err = "an empty label (two dots in a row?)";
			return -1;
		}
		out[lstart] = (uint8_t)ll;
		if (i < len) { /* at a dot */
			i++;
			if (i == len)
				absolute = 1;
		}
	}
	if (absolute) {
		if (o + 1 > 255) {
			*err = "a name longer than 255 bytes";
			return -1;
		}
		out[o++] = 0;
	} else {
		if (p->originlen == 0) {
			*err = "a relative name (no final dot) before any $ORIGIN";
			return -1;
		}
		if (o + p->originlen > 255) {
			*err = "a name longer than 255 bytes once the origin is added";
			return -1;
		}
		memcpy(out + o, p->origin, p->originlen);
		o += p->originlen;
	}
	*outlen = o;
	return 0;
}

static int parse_u32(const char *s, size_t len, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* Seconds, or BIND-style units ("1h30m"). */
static int parse_ttl(const char *s, size_t len, uint32_t *v)
{
	uint64_t total = 0, cur = 0;
	int digits = 0, units = 0;

	if (len == 0 || len > 32)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint64_t mul = 0;

		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits++;
			if (cur > LAB_MAX_TTL)
				return -1;
			continue;
		}
		switch (c | 0x20) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: return -1;
		}
		if (digits == 0)
			return -1;
		total += cur * mul;
		cur = 0;
		digits = 0;
		units++;
		if (total > LAB_MAX_TTL)
			return -1;
	}
	if (digits > 0 && units > 0)
		return -1; /* "1h30": a unit is missing */
	total += cur;
	if (total > LAB_MAX_TTL)
		return -1;
	*v = (uint32_t)total;
	return 0;
}

/* ---- record data ---------------------------------------------------------- */

struct rdctx {
	struct parser *p;
	const struct tok *t;
	size_t n, i;
	const char *type;
	int line;
	uint8_t buf[65535];
	size_t len;
};

static mxs_status rd_expected(struct rdctx *c, const char *what)
{
	char b[128];

	if (c->i >= c->n)
		return perr(c->p, MXS_ERR_INVALID, c->line,
		            "expected %s after %s, got the end of the record", what, c->type);
	return perr(c->p, MXS_ERR_INVALID, c->t[c->i].line, "expected %s after %s, got \"%s\"",
	            what, c->type, show(b, sizeof(b), c->t[c->i].s, c->t[c->i].len));
}

static mxs_status rd_put(struct rdctx *c, const void *v, size_t len)
{
	if (c->len + len > sizeof(c->buf))
		return perr(c->p, MXS_ERR_LIMIT, c->line,
		            "the %s record data is longer than 65535 bytes", c->type);
	memcpy(c->buf + c->len, v, len);
	c->len += len;
	return MXS_OK;
}

static mxs_status rd_u16(struct rdctx *c, const char *what)
{
	uint32_t v;
	uint8_t b[2];

	if (c->i >= c->n || parse_u32(c->t[c->i].s, c->t[c->i].len, 65535, &v) != 0)
		return rd_expected(c, what);
	c->i++;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return rd_put(c, b, 2);
}

static mxs_status rd_u32(struct rdctx *c, const char *what, int ttl_units)
{
	uint32_t v;
	uint8_t b[4];
	int bad;

	if (c->i >= c->n)
		return rd_expected(c, what);
	bad = ttl_units ? parse_ttl(c->t[c->i].s, c->t[c->i].len, &v)
	                : parse_u32(c->t[c->i].s, c->t[c->i].len, 0xffffffffu, &v);
	if (bad)
		return rd_expected(c, what);
	c->i++;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	return rd_put(c, b, 4);
}

static mxs_status rd_name(struct rdctx *c, const char *what)
{
	uint8_t n[256];
	size_t len;
	const char *err = NULL;
	char b[128];

	if (c->i >= c->n)
		return rd_expected(c, what);
	if (parse_name(c->p, c->t[c->i].s, c->t[c->i].len, n, &len, &err) != 0)
		return perr(c->p, MXS_ERR_INVALID, c->t[c->i].line,
		            "expected %s after %s, got \"%s\" (%s)", what, c->type,
		            show(b, sizeof(b), c->t[c->i].s, c->t[c->i].len), err);
	c->i++;
	return rd_put(c, n, len);
}

static mxs_status rd_addr(struct rdctx *c, int af, const char *what)
{
	char tmp[64];
	uint8_t a[16];
	const struct tok *t = c->i < c->n ? &c->t[c->i] : NULL;

	if (!t || t->len >= sizeof(tmp))
		return rd_expected(c, what);
	memcpy(tmp, t->s, t->len);
	tmp[t->len] = '\0';
	if (inet_pton(af, tmp, a) != 1)
		return rd_expected(c, what);
	c->i++;
	return rd_put(c, a, af == AF_INET ? 4 : 16);
}

static mxs_status rd_a(struct rdctx *c)
{
	return rd_addr(c, AF_INET, "an IPv4 address");
}

static mxs_status rd_aaaa(struct rdctx *c)
{
	return rd_addr(c, AF_INET6, "an IPv6 address");
}

static mxs_status rd_host(struct rdctx *c)
{
	return rd_name(c, "a host name");
}

static mxs_status rd_mx(struct rdctx *c)
{
	mxs_status st = rd_u16(c, "a preference number (0-65535)");

	return st ? st : rd_name(c, "a mail exchanger name (or \".\" for a null MX)");
}

static mxs_status rd_srv(struct rdctx *c)
{
	mxs_status st;

	if ((st = rd_u16(c, "a priority (0-65535)")) || (st = rd_u16(c, "a weight (0-65535)")) ||
	    (st = rd_u16(c, "a port number (0-65535)")))
		return st;
	return rd_name(c, "a target host name");
}

static mxs_status rd_soa(struct rdctx *c)
{
	mxs_status st;

	if ((st = rd_name(c, "the primary name server (MNAME)")) ||
	    (st = rd_name(c, "the responsible mailbox (RNAME)")) ||
	    (st = rd_u32(c, "a serial number (0-4294967295)", 0)) ||
	    (st = rd_u32(c, "a refresh time in seconds", 1)) ||
	    (st = rd_u32(c, "a retry time in seconds", 1)) ||
	    (st = rd_u32(c, "an expire time in seconds", 1)) ||
	    (st = rd_u32(c, "a minimum TTL in seconds", 1)))
		return st;
	return MXS_OK;
}

/* One character-string: \X is X, \DDD is the byte DDD. */
static mxs_status rd_txt(struct rdctx *c)
{
	if (c->i >= c->n)
		return rd_expected(c, "a quoted string");
	for (; c->i < c->n; c->i++) {
		const struct tok *t = &c->t[c->i];
		uint8_t s[256];
		size_t o = 0;
		mxs_status st;

		for (size_t k = 0; k < t->len;) {
			unsigned v = (unsigned char)t->s[k++];

			if (v == '\\') {
				if (k >= t->len)
					return perr(c->p, MXS_ERR_INVALID, t->line,
					            "a TXT string ends in a lone backslash");
				if (t->s[k] >= '0' && t->s[k] <= '9') {
					if (k + 2 >= t->len || t->s[k + 1] < '0' ||
					    t->s[k + 1] > '9' || t->s[k + 2] < '0' ||
					    t->s[k + 2] > '9')
						return perr(c->p, MXS_ERR_INVALID, t->line,
						            "a bad \\DDD escape in a TXT string "
						            "(three digits, 000-255)");
					v = (unsigned)(t->s[k] - '0') * 100 +
					    (unsigned)(t->s[k + 1] - '0') * 10 +
					    (unsigned)(t->s[k + 2] - '0');
					if (v > 255)
						return perr(
						    c->p, MXS_ERR_INVALID, t->line,
						    "a \\DDD escape above 255 in a TXT string");
					k += 3;
				} else {
					v = (unsigned char)t->s[k++];
				}
			}
			if (o >= 255)
				return perr(c->p, MXS_ERR_INVALID, t->line,
				            "a TXT string is longer than 255 bytes (split it into "
				            "several quoted strings)");
			s[o++] = (uint8_t)v;
		}
		{
			uint8_t l = (uint8_t)o;

			if ((st = rd_put(c, &l, 1)) || (st = rd_put(c, s, o)))
				return st;
		}
	}
	return MXS_OK;
}

struct rrtype {
	const char *name;
	uint16_t code;
	mxs_status (*parse)(struct rdctx *c);
};

static const struct rrtype rrtypes[] = {
    {"A", LAB_T_A, rd_a},        {"AAAA", LAB_T_AAAA, rd_aaaa},
    {"MX", LAB_T_MX, rd_mx},     {"CNAME", LAB_T_CNAME, rd_host},
    {"TXT", LAB_T_TXT, rd_txt},  {"SRV", LAB_T_SRV, rd_srv},
    {"NS", LAB_T_NS, rd_host},   {"SOA", LAB_T_SOA, rd_soa},
    {"PTR", LAB_T_PTR, rd_host},
};

static const struct rrtype *find_type(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(rrtypes) / sizeof(rrtypes[0]); i++)
		if (strlen(rrtypes[i].name) == len && strncasecmp(rrtypes[i].name, s, len) == 0)
			return &rrtypes[i];
	return NULL;
}

static mxs_status add_rr(struct parser *p, const uint8_t *owner, size_t ownerlen, int line,
                         uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	struct lab_node *n;
	struct lab_rr *r;
	char nb[4 * 256];

	if (p->w->nrr + p->frag.nrr >= p->w->max_records)
		return perr(p, MXS_ERR_LIMIT, line, "more than %zu records in the lab",
		            p->w->max_records);
	n = node_get(&p->frag, owner, ownerlen, line);
	if (!n)
		return nomem(p);
	if (n->has_cname) {
		wire_to_text(owner, nb);
		return perr(
		    p, MXS_ERR_INVALID, line,
		    "\"%s\" already has a CNAME, so it can have no other record (RFC 1034 §3.6.2)",
		    nb);
	}
	if (type == LAB_T_CNAME && n->rrs) {
		wire_to_text(owner, nb);
		return perr(
		    p, MXS_ERR_INVALID, line,
		    "\"%s\" already has other records, so it cannot be a CNAME (RFC 1034 §3.6.2)",
		    nb);
	}
	r = malloc(sizeof(*r) + rdlen);
	if (!r)
		return nomem(p);
	r->next = NULL;
	r->ttl = ttl;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	memcpy(r->rdata, rdata, rdlen);
	if (!n->rrs)
		n->line = line;
	*n->tail = r;
	n->tail = &r->next;
	p->frag.nrr++;
	if (type == LAB_T_CNAME)
		n->has_cname = 1;
	if (type == LAB_T_SOA) {
		n->has_soa = 1;
		p->nsoa++;
	}
	return MXS_OK;
}

static int is_class_word(const struct tok *t)
{
	static const char *const other[] = {"CH", "CS", "HS", "ANY", "NONE"};

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strlen(other[i]) == t->len && strncasecmp(other[i], t->s, t->len) == 0)
			return 1;
	return 0;
}

static mxs_status do_record(struct parser *p)
{
	const struct tok *t = p->toks;
	size_t n = p->ntok, i = 0;
	uint32_t ttl = p->have_ttl ? p->ttl : LAB_DEFAULT_TTL;
	int got_ttl = 0, got_class = 0;
	const struct rrtype *rt;
	struct rdctx *c = NULL;
	char b[128];
	mxs_status st;

	if (!p->blank_start) {
		const char *err = NULL;

		if (parse_name(p, t[0].s, t[0].len, p->owner, &p->ownerlen, &err) != 0) {
			p->ownerlen = 0;
			return perr(p, MXS_ERR_INVALID, t[0].line,
			            "expected an owner name, got \"%s\" (%s)",
			            show(b, sizeof(b), t[0].s, t[0].len), err);
		}
		i = 1;
	} else if (p->ownerlen == 0) {
		return perr(p, MXS_ERR_INVALID, t[0].line,
		            "this line starts with a blank, which means \"same owner as the record "
		            "before\", but there is no record before");
	}
	for (; i < n; i++) {
		if (!got_ttl && !t[i].quoted && t[i].s[0] >= '0' && t[i].s[0] <= '9') {
			if (parse_ttl(t[i].s, t[i].len, &ttl) != 0)
				return perr(p, MXS_ERR_INVALID, t[i].line,
				            "expected a TTL (seconds, 0-2147483647), got \"%s\"",
				            show(b, sizeof(b), t[i].s, t[i].len));
			got_ttl = 1;
		} else if (!got_class && t[i].len == 2 && strncasecmp(t[i].s, "IN", 2) == 0) {
			got_class = 1;
		} else if (is_class_word(&t[i])) {
			return perr(p, MXS_ERR_INVALID, t[i].line,
			            "only class IN is supported, got \"%s\"",
			            show(b, sizeof(b), t[i].s, t[i].len));
		} else {
			break;
		}
	}
	if (i >= n)
		return perr(p, MXS_ERR_INVALID, t[n - 1].line,
		            "expected a record type (A, AAAA, MX, CNAME, TXT, SRV, NS, SOA, PTR), "
		            "got the end of the record");
	rt = t[i].quoted ? NULL : find_type(t[i].s, t[i].len);
	if (!rt)
		return perr(p, MXS_ERR_INVALID, t[i].line,
		            "unknown record type \"%s\" (supported: A, AAAA, MX, CNAME, TXT, SRV, "
		            "NS, SOA, PTR)",
		            show(b, sizeof(b), t[i].s, t[i].len));
	c = malloc(sizeof(*c));
	if (!c)
		return nomem(p);
	c->p = p;
	c->t = t;
	c->n = n;
	c->i = i + 1;
	c->type = rt->name;
	c->line = t[i].line;
	c->len = 0;
	st = rt->parse(c);
	if (st)
		goto done;
	if (c->i < n) {
		st = perr(p, MXS_ERR_INVALID, t[c->i].line,
		          "unexpected \"%s\" after the %s record data",
		          show(b, sizeof(b), t[c->i].s, t[c->i].len), rt->name);
		goto done;
	}
	st = add_rr(p, p->owner, p->ownerlen, t[0].line, rt->code, ttl, c->buf, c->len);
done:
	free(c);
	return st;
}

/* ---- directives ----------------------------------------------------------- */

/* arg is the rest of the line: trimmed; for name/number directives a comment
 * is already cut off and it is a single word. */
typedef mxs_status (*directive_fn)(struct parser *p, const char *arg, size_t len);

static mxs_status set_name_text(struct parser *p, const char *dir, const char *arg, size_t len,
                                char **out)
{
	uint8_t n[256];
	size_t nl;
	const char *err = NULL;
	char b[128], text[4 * 256];

	if (parse_name(p, arg, len, n, &nl, &err) != 0)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected a domain name after %s, got \"%s\" (%s)", dir,
		            show(b, sizeof(b), arg, len), err);
	wire_to_text(n, text);
	*out = strdup(text);
	return *out ? MXS_OK : nomem(p);
}

static mxs_status d_origin(struct parser *p, const char *arg, size_t len)
{
	uint8_t n[256];
	size_t nl;
	const char *err = NULL;
	char b[128];

	if (parse_name(p, arg, len, n, &nl, &err) != 0)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected a domain name after $ORIGIN, got \"%s\" (%s)",
		            show(b, sizeof(b), arg, len), err);
	memcpy(p->origin, n, nl);
	p->originlen = nl;
	if (p->first_originlen == 0) {
		memcpy(p->first_origin, n, nl);
		p->first_originlen = nl;
		p->first_origin_line = p->line;
	}
	return MXS_OK;
}

static mxs_status d_ttl(struct parser *p, const char *arg, size_t len)
{
	char b[128];

	if (parse_ttl(arg, len, &p->ttl) != 0)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected a TTL (seconds, 0-2147483647) after $TTL, got \"%s\"",
		            show(b, sizeof(b), arg, len));
	p->have_ttl = 1;
	if (!p->have_first_ttl) {
		p->first_ttl = p->ttl;
		p->have_first_ttl = 1;
	}
	return MXS_OK;
}

static mxs_status d_scenario(struct parser *p, const char *arg, size_t len)
{
	char b[128];

	if (p->sc.name)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "a second $SCENARIO (a file holds one scenario; this one is \"%s\")",
		            p->sc.name);
	if (len > LAB_MAX_SCENARIO_NAME)
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (!((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= '0' && arg[i] <= '9') ||
		      arg[i] == '-'))
			goto bad;
	for (size_t i = 0; i < p->w->nscen; i++)
		if (strlen(p->w->scen[i].name) == len && memcmp(p->w->scen[i].name, arg, len) == 0)
			return perr(p, MXS_ERR_INVALID, p->line,
			            "a scenario called \"%s\" is already loaded",
			            p->w->scen[i].name);
	p->sc.name = strndup(arg, len);
	return p->sc.name ? MXS_OK : nomem(p);
bad:
	return perr(p, MXS_ERR_INVALID, p->line,
	            "expected a scenario name of lower-case letters, digits and '-' (at most %d) "
	            "after $SCENARIO, got \"%s\"",
	            LAB_MAX_SCENARIO_NAME, show(b, sizeof(b), arg, len));
}

static mxs_status check_text(struct parser *p, const char *dir, const char *arg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)arg[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(p, MXS_ERR_INVALID, p->line,
			            "a control character (byte %u) in the %s text", c, dir);
	}
	return MXS_OK;
}

static mxs_status d_title(struct parser *p, const char *arg, size_t len)
{
	mxs_status st;

	if (p->sc.title)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "a second $TITLE (a scenario has one title)");
	if (len == 0)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected a one-line title after $TITLE, got nothing");
	if ((st = check_text(p, "$TITLE", arg, len)))
		return st;
	p->sc.title = strndup(arg, len);
	return p->sc.title ? MXS_OK : nomem(p);
}

static mxs_status d_explain(struct parser *p, const char *arg, size_t len)
{
	size_t old = p->sc.explain ? strlen(p->sc.explain) : 0;
	size_t sep = p->have_explain ? 1 : 0;
	char *e;
	mxs_status st;

	if ((st = check_text(p, "$EXPLAIN", arg, len)))
		return st;
	e = realloc(p->sc.explain, old + sep + len + 1);
	if (!e)
		return nomem(p);
	if (sep)
		e[old] = '\n';
	memcpy(e + old + sep, arg, len);
	e[old + sep + len] = '\0';
	p->sc.explain = e;
	p->have_explain = 1;
	return MXS_OK;
}

static mxs_status d_domain(struct parser *p, const char *arg, size_t len)
{
	char **d;
	mxs_status st;

	if (p->sc.ndomains >= LAB_MAX_DOMAINS)
		return perr(p, MXS_ERR_LIMIT, p->line, "more than %d $DOMAIN lines",
		            LAB_MAX_DOMAINS);
	d = realloc(p->sc.domains, (p->sc.ndomains + 1) * sizeof(*d));
	if (!d)
		return nomem(p);
	p->sc.domains = d;
	st = set_name_text(p, "$DOMAIN", arg, len, &d[p->sc.ndomains]);
	if (st == MXS_OK)
		p->sc.ndomains++;
	return st;
}

static mxs_status d_as(struct parser *p, const char *arg, size_t len)
{
	if (p->sc.as)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "a second $AS (a scenario suggests one relay host)");
	return set_name_text(p, "$AS", arg, len, &p->sc.as);
}

/* ---- $SMTP ---------------------------------------------------------------- */

static const char *const smtp_acts[] = {
    [LAB_SMTP_ACCEPT] = "accept",       [LAB_SMTP_REFUSE] = "refuse",
    [LAB_SMTP_SILENT] = "silent",       [LAB_SMTP_SLOW] = "slow",
    [LAB_SMTP_TEMPFAIL] = "tempfail",   [LAB_SMTP_REJECT] = "reject",
    [LAB_SMTP_MULTILINE] = "multiline", [LAB_SMTP_DROP_EHLO] = "drop-ehlo",
    [LAB_SMTP_LONG_LINE] = "long-line", [LAB_SMTP_MEGABYTE] = "megabyte",
    [LAB_SMTP_ESCAPE] = "escape",       [LAB_SMTP_GARBAGE] = "garbage",
    [LAB_SMTP_TARPIT] = "tarpit",
};
#define SMTP_ACT_LIST                                                                              \
	"accept, refuse, silent, slow SECONDS, tempfail, reject, multiline, drop-ehlo, "           \
	"long-line, megabyte, escape, garbage, tarpit"
#define SMTP_OPT_LIST                                                                              \
	"name=HOST, tls=valid|expired|self-signed|wrong-name, starttls=yes|no, slow=SECONDS"

static const char *const smtp_tls_names[] = {
    [LAB_TLS_VALID] = "valid",
    [LAB_TLS_EXPIRED] = "expired",
    [LAB_TLS_SELF_SIGNED] = "self-signed",
    [LAB_TLS_WRONG_NAME] = "wrong-name",
};

const char *lab_smtp_act_name(enum lab_smtp_act a)
{
	return (unsigned)a < sizeof(smtp_acts) / sizeof(smtp_acts[0]) ? smtp_acts[a] : "?";
}

size_t lab_world_smtp_count(const lab_world *w)
{
	return w ? w->nsmtp : 0;
}

const struct lab_smtp_host *lab_world_smtp(const lab_world *w, size_t i)
{
	return (w && i < w->nsmtp) ? &w->smtp[i] : NULL;
}

static int word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Seconds with at most three decimals ("0.5", "3"), as milliseconds. */
static int parse_seconds(const char *s, size_t len, unsigned *ms)
{
	uint64_t v = 0;
	size_t i = 0;
	int digits = 0, frac = -1;

	for (; i < len; i++) {
		if (s[i] == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || frac >= 3)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		digits++;
		if (frac >= 0)
			frac++;
		if (v > 10u * LAB_MAX_SMTP_DELAY_MS)
			return -1;
	}
	if (digits == 0)
		return -1;
	for (int f = frac < 0 ? 0 : frac; f < 3; f++)
		v *= 10;
	if (v > LAB_MAX_SMTP_DELAY_MS)
		return -1;
	*ms = (unsigned)v;
	return 0;
}

/* A host name we can put in a greeting and a certificate: letters, digits,
 * '-', '_' and dots, no empty label. */
static int is_host_text(const char *s, size_t len)
{
	if (len == 0 || len >= LAB_SMTP_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.' && (i + 1 == len || s[i + 1] == '.'))
			return i + 1 == len; /* one final dot is fine */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* The owner of the first (by line) A/AAAA record in w with h's address. */
static int smtp_find_name(const lab_world *w, struct lab_smtp_host *h)
{
	uint16_t type = h->family == AF_INET ? LAB_T_A : LAB_T_AAAA;
	size_t alen = h->family == AF_INET ? 4 : 16;
	const struct lab_node *best = NULL;
	char text[4 * 256];

	for (size_t i = 0; i < w->tabsize; i++)
		for (const struct lab_node *n = w->tab[i]; n; n = n->hnext) {
			if (best && (n->line > best->line ||
			             (n->line == best->line &&
			              memcmp(n->name, best->name,
			                     n->namelen < best->namelen ? n->namelen
			                                                : best->namelen) >= 0)))
				continue;
			for (const struct lab_rr *r = n->rrs; r; r = r->next)
				if (r->type == type && r->rdlen == alen &&
				    memcmp(r->rdata, h->addr, alen) == 0) {
					wire_to_text(n->name, text);
					if (is_host_text(text, strlen(text)))
						best = n;
					break;
				}
		}
	if (!best)
		return 0;
	wire_to_text(best->name, text);
	memcpy(h->name, text, strlen(text) + 1); /* is_host_text bounded it */
	h->name_found = 1;
	return 1;
}

static const struct lab_smtp_host *smtp_same_addr(const lab_world *w, const struct lab_smtp_host *h)
{
	for (size_t i = 0; i < w->nsmtp; i++)
		if (w->smtp[i].family == h->family &&
		    memcmp(w->smtp[i].addr, h->addr, sizeof(h->addr)) == 0)
			return &w->smtp[i];
	return NULL;
}

static mxs_status smtp_option(struct parser *p, struct lab_smtp_host *h, const char *s, size_t len,
                              unsigned *seen)
{
	const char *eq = memchr(s, '=', len);
	size_t kl = eq ? (size_t)(eq - s) : len;
	const char *v = eq ? eq + 1 : s + len;
	size_t vl = (size_t)(s + len - v);
	char b[128], kb[32];
	unsigned bit;

	if (!eq)
		goto unknown;
	if (word_is(s, kl, "name"))
		bit = 1;
	else if (word_is(s, kl, "tls"))
		bit = 2;
	else if (word_is(s, kl, "starttls"))
		bit = 4;
	else if (word_is(s, kl, "slow"))
		bit = 8;
	else
		goto unknown;
	if (*seen & bit)
		return perr(p, MXS_ERR_INVALID, p->line, "a second %s= on this $SMTP line",
		            show(kb, sizeof(kb), s, kl));
	*seen |= bit;
	switch (bit) {
	case 1:
		if (!is_host_text(v, vl))
			return perr(p, MXS_ERR_INVALID, p->line,
			            "expected a host name after name=, got \"%s\"",
			            show(b, sizeof(b), v, vl));
		if (v[vl - 1] == '.')
			vl--; /* the greeting and the certificate carry no final dot */
		for (size_t i = 0; i < vl; i++)
			h->name[i] = (char)lower((uint8_t)v[i]);
		h->name[vl] = '\0';
		h->name_given = 1;
		return MXS_OK;
	case 2:
		for (size_t i = 0; i < sizeof(smtp_tls_names) / sizeof(smtp_tls_names[0]); i++)
			if (word_is(v, vl, smtp_tls_names[i])) {
				h->tls = (enum lab_smtp_tls)i;
				return MXS_OK;
			}
		return perr(p, MXS_ERR_INVALID, p->line,
		            "unknown tls=\"%s\"; expected one of valid, expired, self-signed, "
		            "wrong-name",
		            show(b, sizeof(b), v, vl));
	case 4:
		if (word_is(v, vl, "no") || word_is(v, vl, "yes")) {
			h->starttls = word_is(v, vl, "yes");
			return MXS_OK;
		}
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected starttls=yes or starttls=no, got \"%s\"",
		            show(b, sizeof(b), s, len));
	default:
		if (parse_seconds(v, vl, &h->delay_ms) != 0)
			return perr(p, MXS_ERR_INVALID, p->line,
			            "expected seconds (0-600, e.g. 2.5) after slow=, got \"%s\"",
			            show(b, sizeof(b), v, vl));
		return MXS_OK;
	}
unknown:
	return perr(p, MXS_ERR_INVALID, p->line,
	            "unknown SMTP option \"%s\"; expected one of " SMTP_OPT_LIST,
	            show(b, sizeof(b), s, len));
}

/* $SMTP ADDRESS BEHAVIOUR [key=value ...] */
static mxs_status d_smtp(struct parser *p, const char *arg, size_t len)
{
	struct lab_smtp_host h;
	const struct lab_smtp_host *other;
	const char *w[16];
	size_t wl[16], nw = 0, i = 0, k;
	unsigned seen = 0;
	char tmp[64], b[128];
	mxs_status st;

	while (i < len) {
		while (i < len && (arg[i] == ' ' || arg[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (nw == sizeof(w) / sizeof(w[0]))
			return perr(p, MXS_ERR_INVALID, p->line, "too many words on a $SMTP line");
		w[nw] = arg + i;
		while (i < len && arg[i] != ' ' && arg[i] != '\t')
			i++;
		wl[nw] = (size_t)(arg + i - w[nw]);
		nw++;
	}
	if (nw < 2)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "expected \"$SMTP ADDRESS BEHAVIOUR [key=value ...]\", e.g. \"$SMTP "
		            "127.0.1.1 accept\"");
	memset(&h, 0, sizeof(h));
	h.line = p->line;
	h.starttls = 1;
	if (wl[0] < sizeof(tmp)) {
		memcpy(tmp, w[0], wl[0]);
		tmp[wl[0]] = '\0';
		if (inet_pton(AF_INET, tmp, h.addr) == 1 && h.addr[0] == 127) {
			h.family = AF_INET;
		} else if (inet_pton(AF_INET6, tmp, h.addr) == 1 &&
		           memcmp(h.addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0) {
			h.family = AF_INET6;
		}
	}
	if (!h.family)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "lab SMTP addresses must be loopback (127.0.0.0/8 or ::1), got \"%s\"",
		            show(b, sizeof(b), w[0], wl[0]));
	inet_ntop(h.family, h.addr, h.addrtext, sizeof(h.addrtext));
	if ((other = smtp_same_addr(p->w, &h)) || (other = smtp_same_addr(&p->frag, &h)))
		return perr(p, MXS_ERR_INVALID, p->line,
		            "a second $SMTP line for %s (the first is at %s:%d; one behaviour per "
		            "address in the whole lab)",
		            h.addrtext, other->origin ? other->origin : p->origin_label,
		            other->line);

	k = 1;
	if (wl[1] > 5 && strncasecmp(w[1], "slow=", 5) == 0) {
		h.act = LAB_SMTP_SLOW; /* the option spelling of `slow N` */
		if ((st = smtp_option(p, &h, w[1], wl[1], &seen)))
			return st;
		k = 2;
	} else {
		size_t a = 0, na = sizeof(smtp_acts) / sizeof(smtp_acts[0]);

		while (a < na && !word_is(w[1], wl[1], smtp_acts[a]))
			a++;
		if (a == na)
			return perr(p, MXS_ERR_INVALID, p->line,
			            "unknown SMTP behaviour \"%s\"; expected one of " SMTP_ACT_LIST,
			            show(b, sizeof(b), w[1], wl[1]));
		h.act = (enum lab_smtp_act)a;
		k = 2;
		if (h.act == LAB_SMTP_SLOW) {
			if (nw < 3 || parse_seconds(w[2], wl[2], &h.delay_ms) != 0)
				return perr(
				    p, MXS_ERR_INVALID, p->line,
				    "expected seconds (0-600, e.g. 2.5) after slow, got \"%s\"",
				    nw < 3 ? "" : show(b, sizeof(b), w[2], wl[2]));
			seen |= 8;
			k = 3;
		}
	}
	if (h.act == LAB_SMTP_REFUSE && nw > k)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "refuse takes no options: nothing listens at %s", h.addrtext);
	for (; k < nw; k++)
		if ((st = smtp_option(p, &h, w[k], wl[k], &seen)))
			return st;
	if (p->w->nsmtp + p->frag.nsmtp >= LAB_MAX_SMTP)
		return perr(p, MXS_ERR_LIMIT, p->line, "more than %d $SMTP lines in the lab",
		            LAB_MAX_SMTP);
	if (p->frag.nsmtp == p->frag.capsmtp) {
		size_t cap = p->frag.capsmtp ? p->frag.capsmtp * 2 : 8;
		struct lab_smtp_host *n = realloc(p->frag.smtp, cap * sizeof(*n));

		if (!n)
			return nomem(p);
		p->frag.smtp = n;
		p->frag.capsmtp = cap;
	}
	h.origin = strdup(p->origin_label);
	if (!h.origin)
		return nomem(p);
	p->frag.smtp[p->frag.nsmtp++] = h;
	return MXS_OK;
}

/* To add a directive, add a row: ARG_TEXT ones get the rest of the line as
 * it is (a ';' included), the others have comments removed; ARG_WORD ones
 * must be a single word. */
enum { ARG_WORD, ARG_TEXT, ARG_WORDS };
static const struct directive {
	const char *name;
	directive_fn fn;
	int arg;
} directives[] = {
    {"$ORIGIN", d_origin, ARG_WORD},     {"$TTL", d_ttl, ARG_WORD},
    {"$SCENARIO", d_scenario, ARG_WORD}, {"$TITLE", d_title, ARG_TEXT},
    {"$DOMAIN", d_domain, ARG_WORD},     {"$AS", d_as, ARG_WORD},
    {"$EXPLAIN", d_explain, ARG_TEXT},   {"$SMTP", d_smtp, ARG_WORDS},
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static mxs_status do_directive(struct parser *p, const char *s, size_t len)
{
	size_t nl = 0, a, e;
	const struct directive *d = NULL;
	char b[128];

	while (nl < len && !is_blank(s[nl]) && s[nl] != ';')
		nl++;
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strlen(directives[i].name) == nl && strncasecmp(directives[i].name, s, nl) == 0)
			d = &directives[i];
	if (!d)
		return perr(p, MXS_ERR_INVALID, p->line,
		            "unknown directive \"%s\" (known: $ORIGIN, $TTL, $SCENARIO, $TITLE, "
		            "$DOMAIN, $AS, $EXPLAIN, $SMTP)",
		            show(b, sizeof(b), s, nl));
	a = nl;
	e = len;
	if (d->arg != ARG_TEXT) {
		const char *semi = memchr(s + a, ';', e - a);

		if (semi)
			e = (size_t)(semi - s);
	}
	while (a < e && is_blank(s[a]))
		a++;
	while (e > a && is_blank(s[e - 1]))
		e--;
	if (d->arg == ARG_WORD) {
		if (a == e)
			return perr(p, MXS_ERR_INVALID, p->line,
			            "expected a value after %s, got nothing", d->name);
		for (size_t i = a; i < e; i++)
			if (is_blank(s[i]))
				return perr(p, MXS_ERR_INVALID, p->line,
				            "expected one value after %s, got \"%s\"", d->name,
				            show(b, sizeof(b), s + a, e - a));
	}
	return d->fn(p, s + a, e - a);
}

/* ---- lines and tokens ------------------------------------------------------ */

static mxs_status add_tok(struct parser *p, const char *s, size_t len, int quoted)
{
	if (p->ntok >= LAB_MAX_TOKENS)
		return perr(p, MXS_ERR_LIMIT, p->line, "more than %d fields in one record",
		            LAB_MAX_TOKENS);
	p->toks[p->ntok].s = s;
	p->toks[p->ntok].len = len;
	p->toks[p->ntok].line = p->line;
	p->toks[p->ntok].quoted = quoted;
	p->ntok++;
	return MXS_OK;
}

static mxs_status tokenize(struct parser *p, const char *s, size_t len)
{
	size_t i = 0;
	mxs_status st;

	while (i < len) {
		char c = s[i];

		if (is_blank(c)) {
			i++;
		} else if (c == ';') {
			break;
		} else if (c == '(') {
			if (p->depth > 0)
				return perr(p, MXS_ERR_INVALID, p->line,
				            "a '(' inside another '(' (parentheses do not nest)");
			p->depth = 1;
			p->paren_line = p->line;
			i++;
		} else if (c == ')') {
			if (p->depth == 0)
				return perr(p, MXS_ERR_INVALID, p->line,
				            "a ')' without a '(' before it");
			p->depth = 0;
			i++;
		} else if (c == '"') {
			size_t j = i + 1;

			while (j < len && s[j] != '"')
				j += (s[j] == '\\' && j + 1 < len) ? 2 : 1;
			if (j >= len)
				return perr(
				    p, MXS_ERR_INVALID, p->line,
				    "unterminated quoted string (a '\"' is missing on this line)");
			if ((st = add_tok(p, s + i + 1, j - i - 1, 1)))
				return st;
			i = j + 1;
		} else {
			size_t j = i;

			while (j < len && !is_blank(s[j]) && s[j] != ';' && s[j] != '(' &&
			       s[j] != ')' && s[j] != '"')
				j += (s[j] == '\\' && j + 1 < len) ? 2 : 1;
			if ((st = add_tok(p, s + i, j - i, 0)))
				return st;
			i = j;
		}
	}
	return MXS_OK;
}

static mxs_status parse_text(struct parser *p, const char *text)
{
	const char *s = text;
	mxs_status st;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		p->line++;
		if (len > LAB_MAX_LINE)
			return perr(p, MXS_ERR_LIMIT, p->line, "this line is longer than %d bytes",
			            LAB_MAX_LINE);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (p->depth == 0) {
			if (len > 0 && s[0] == '$') {
				if ((st = do_directive(p, s, len)))
					return st;
				goto next;
			}
			p->ntok = 0;
			p->blank_start = len > 0 && is_blank(s[0]);
		}
		if ((st = tokenize(p, s, len)))
			return st;
		if (p->depth == 0 && p->ntok > 0) {
			if ((st = do_record(p)))
				return st;
			p->ntok = 0;
		}
	next:
		s += len;
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
	}
	if (p->depth > 0)
		return perr(p, MXS_ERR_INVALID, p->paren_line,
		            "unterminated parenthesis: the '(' on this line is never closed");
	return MXS_OK;
}

static mxs_status finish(struct parser *p)
{
	if (!p->sc.name)
		return perr(
		    p, MXS_ERR_INVALID, 1,
		    "no $SCENARIO line: every scenario file needs one, e.g. \"$SCENARIO my-case\"");
	if (!p->sc.title)
		return perr(p, MXS_ERR_INVALID, 1,
		            "no $TITLE line: every scenario file needs a one-line title");
	if (p->sc.ndomains == 0)
		return perr(
		    p, MXS_ERR_INVALID, 1,
		    "no $DOMAIN line: every scenario file names at least one domain to look at");
	for (size_t i = 0; i < p->frag.nsmtp; i++) {
		struct lab_smtp_host *h = &p->frag.smtp[i];

		/* this scenario's own records first, then the ones loaded before */
		if (!h->name_given && !smtp_find_name(&p->frag, h) && !smtp_find_name(p->w, h))
			snprintf(h->name, sizeof(h->name), "lab.invalid");
	}
	if (!p->sc.explain) {
		p->sc.explain = strdup("");
		if (!p->sc.explain)
			return nomem(p);
	}
	if (p->nsoa == 0) {
		/* Without an SOA the server would answer for nothing in this file. */
		uint8_t rd[2 * 256 + 20];
		size_t o = 0;
		uint32_t min = p->have_first_ttl ? p->first_ttl : LAB_DEFAULT_TTL;
		const uint32_t nums[5] = {1, 3600, 600, 86400, min};

		if (p->first_originlen == 0)
			return perr(p, MXS_ERR_INVALID, 1,
			            "no SOA record and no $ORIGIN: the lab would answer for none "
			            "of these names");
		if (p->first_originlen + 11 > 255)
			return perr(
			    p, MXS_ERR_INVALID, p->first_origin_line,
			    "$ORIGIN is too long to make an automatic SOA (hostmaster.ORIGIN)");
		rd[o++] = 2;
		memcpy(rd + o, "ns", 2);
		o += 2;
		memcpy(rd + o, p->first_origin, p->first_originlen);
		o += p->first_originlen;
		rd[o++] = 10;
		memcpy(rd + o, "hostmaster", 10);
		o += 10;
		memcpy(rd + o, p->first_origin, p->first_originlen);
		o += p->first_originlen;
		for (int i = 0; i < 5; i++) {
			rd[o++] = (uint8_t)(nums[i] >> 24);
			rd[o++] = (uint8_t)(nums[i] >> 16);
			rd[o++] = (uint8_t)(nums[i] >> 8);
			rd[o++] = (uint8_t)nums[i];
		}
		return add_rr(p, p->first_origin, p->first_originlen, p->first_origin_line,
		              LAB_T_SOA, min, rd, o);
	}
	return MXS_OK;
}

/* Everything that can fail is checked or allocated before the first change
 * to w; after that the merge only moves pointers. */
static mxs_status merge(struct parser *p, lab_world *w)
{
	lab_world *f = &p->frag;
	char nb[4 * 256];

	for (size_t i = 0; i < f->tabsize; i++)
		for (struct lab_node *n = f->tab[i]; n; n = n->hnext) {
			const struct lab_node *o = lab_world_node(w, n->name, n->namelen);

			if (o && o->rrs && n->rrs && (o->has_cname || n->has_cname)) {
				wire_to_text(n->name, nb);
				return perr(p, MXS_ERR_INVALID, n->line,
				            "\"%s\" is a CNAME in one scenario and has other "
				            "records in another (RFC 1034 §3.6.2)",
				            nb);
			}
		}
	if (w->nscen == w->capscen) {
		size_t cap = w->capscen ? w->capscen * 2 : 16;
		struct lab_scenario *sc = realloc(w->scen, cap * sizeof(*sc));

		if (!sc)
			return nomem(p);
		w->scen = sc;
		w->capscen = cap;
	}
	if (tab_reserve(w, w->nnodes + f->nnodes) != MXS_OK)
		return nomem(p);
	if (w->nsmtp + f->nsmtp > w->capsmtp) {
		size_t cap = w->nsmtp + f->nsmtp + 16;
		struct lab_smtp_host *h = realloc(w->smtp, cap * sizeof(*h));

		if (!h)
			return nomem(p);
		w->smtp = h;
		w->capsmtp = cap;
	}
	/* Hosts loaded before that found no name may find one here. */
	for (size_t i = 0; i < w->nsmtp; i++)
		if (!w->smtp[i].name_given && !w->smtp[i].name_found)
			smtp_find_name(f, &w->smtp[i]);
	if (f->nsmtp > 0)
		memcpy(w->smtp + w->nsmtp, f->smtp, f->nsmtp * sizeof(*f->smtp));
	w->nsmtp += f->nsmtp;
	f->nsmtp = 0;

	for (size_t i = 0; i < f->tabsize; i++) {
		struct lab_node *n = f->tab[i], *next;

		for (; n; n = next) {
			struct lab_node *o =
			    (struct lab_node *)lab_world_node(w, n->name, n->namelen);

			next = n->hnext;
			if (o) {
				if (n->rrs) {
					*o->tail = n->rrs;
					o->tail = n->tail;
					o->has_cname |= n->has_cname;
					o->has_soa |= n->has_soa;
				}
				free(n);
			} else {
				n->hnext = w->tab[n->hash & (w->tabsize - 1)];
				w->tab[n->hash & (w->tabsize - 1)] = n;
				w->nnodes++;
			}
		}
		f->tab[i] = NULL;
	}
	w->nrr += f->nrr;
	f->nnodes = 0;
	f->nrr = 0;
	w->scen[w->nscen++] = p->sc;
	memset(&p->sc, 0, sizeof(p->sc));
	return MXS_OK;
}

mxs_status lab_world_load_string(lab_world *w, const char *origin, const char *text, char **why)
{
	struct parser p;
	struct lab_text keep = {NULL, NULL};
	mxs_status st;

	if (!origin)
		origin = "(scenario)";
	if (!w || !text) {
		mxs_why(why, "%s: no world or no text to load", origin);
		return MXS_ERR_INVALID;
	}
	memset(&p, 0, sizeof(p));
	p.w = w;
	p.origin_label = origin;
	p.why = why;
	if (strnlen(text, w->max_text + 1) > w->max_text) {
		mxs_why(why, "%s: a scenario is at most %zu bytes", origin, w->max_text);
		return MXS_ERR_LIMIT;
	}
	p.toks = calloc(LAB_MAX_TOKENS, sizeof(*p.toks));
	if (!p.toks) {
		st = nomem(&p);
		goto done;
	}
	if ((st = parse_text(&p, text)) || (st = finish(&p)))
		goto done;
	/* the copy for lab_world_reset is made before the merge, which must
	 * not fail half-way */
	if (w->ntexts == w->captexts) {
		size_t cap = w->captexts ? w->captexts * 2 : 16;
		struct lab_text *t = realloc(w->texts, cap * sizeof(*t));

		if (!t) {
			st = nomem(&p);
			goto done;
		}
		w->texts = t;
		w->captexts = cap;
	}
	keep.origin = strdup(origin);
	keep.text = strdup(text);
	if (!keep.origin || !keep.text) {
		st = nomem(&p);
		goto done;
	}
	st = merge(&p, w);
	if (st == MXS_OK) {
		w->texts[w->ntexts++] = keep;
		keep.origin = keep.text = NULL;
	}
done:
	free(keep.origin);
	free(keep.text);
	nodes_free(&p.frag);
	smtp_free(&p.frag);
	scenario_clear(&p.sc);
	free(p.toks);
	return st;
}

mxs_status lab_world_load_file(lab_world *w, const char *path, char **why)
{
	FILE *fp = NULL;
	char *buf = NULL;
	size_t n, cap;
	mxs_status st = MXS_OK;

	if (!path) {
		mxs_why(why, "no scenario file named");
		return MXS_ERR_INVALID;
	}
	fp = fopen(path, "rb");
	if (!fp) {
		mxs_why(why, "%s: %s", path, strerror(errno));
		return MXS_ERR_IO;
	}
	{
		/* the buffer follows the file, the limit stops a huge one early */
		struct stat sb;
		if (fstat(fileno(fp), &sb) == 0 && sb.st_size >= 0 &&
		    (size_t)sb.st_size > w->max_text) {
			mxs_why(why,
			        "%s: the file is larger than %zu bytes, the limit for a scenario",
			        path, w->max_text);
			st = MXS_ERR_LIMIT;
			goto done;
		}
		cap = fstat(fileno(fp), &sb) == 0 && sb.st_size > 0 ? (size_t)sb.st_size : 65536;
	}
	buf = malloc(cap + 2);
	if (!buf) {
		mxs_why(why, "%s: out of memory", path);
		st = MXS_ERR_NOMEM;
		goto done;
	}
	n = fread(buf, 1, cap + 1, fp);
	if (ferror(fp)) {
		mxs_why(why, "%s: %s", path, strerror(errno));
		st = MXS_ERR_IO;
		goto done;
	}
	if (n > cap) {
		mxs_why(why,
		        "%s: the file changed size while it was read, or is not a regular file",
		        path);
		st = MXS_ERR_LIMIT;
		goto done;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		int line = 1;

		for (const char *c = buf; *c; c++)
			line += *c == '\n';
		mxs_why(why, "%s:%d: a NUL byte: this does not look like a text file", path, line);
		st = MXS_ERR_INVALID;
		goto done;
	}
	st = lab_world_load_string(w, path, buf, why);
done:
	free(buf);
	if (fp)
		fclose(fp);
	return st;
}

mxs_status lab_world_load_builtin_named(lab_world *w, const char *name, char **why)
{
	char origin[128];

	for (size_t i = 0; name && i < lab_builtin_count; i++)
		if (strcmp(lab_builtins[i].name, name) == 0) {
			snprintf(origin, sizeof(origin), "builtin:%s", lab_builtins[i].name);
			return lab_world_load_string(w, origin, lab_builtins[i].text, why);
		}
	{
		char b[128];

		mxs_why(why, "no built-in scenario called \"%s\"",
		        name ? show(b, sizeof(b), name, strlen(name)) : "(null)");
	}
	return MXS_ERR_INVALID;
}

mxs_status lab_world_load_builtin(lab_world *w, char **why)
{
	for (size_t i = 0; i < lab_builtin_count; i++) {
		mxs_status st = lab_world_load_builtin_named(w, lab_builtins[i].name, why);

		if (st)
			return st;
	}
	return MXS_OK;
}

/* ---- scenario views ------------------------------------------------------- */

size_t lab_world_scenario_count(const lab_world *w)
{
	return w ? w->nscen : 0;
}

static const struct lab_scenario *scen_at(const lab_world *w, size_t i)
{
	return (w && i < w->nscen) ? &w->scen[i] : NULL;
}

const char *lab_scenario_name(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->name : NULL;
}

const char *lab_scenario_title(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->title : NULL;
}

const char *lab_scenario_explain(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->explain : NULL;
}

size_t lab_scenario_domain_count(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->ndomains : 0;
}

const char *lab_scenario_domain(const lab_world *w, size_t i, size_t j)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return (sc && j < sc->ndomains) ? sc->domains[j] : NULL;
}

const char *lab_scenario_as(const lab_world *w, size_t i)
{
	const struct lab_scenario *sc = scen_at(w, i);

	return sc ? sc->as : NULL;
}

/* ---- live changes: the trainer's controls ------------------------------------ */

/* A host or domain name typed by a trainer to wire format; a final dot is
 * optional because the name is always taken as absolute. */
static mxs_status name_arg(const char *what, const char *text, uint8_t out[256], size_t *len,
                           char **why)
{
	struct parser p;
	char buf[512];
	const char *err = "a name";
	size_t n = text ? strlen(text) : 0;

	memset(&p, 0, sizeof(p));
	if (n == 0 || n > 300) {
		mxs_why(why, "%s: a name of 1 to 253 characters is needed", what);
		return MXS_ERR_INVALID;
	}
	snprintf(buf, sizeof(buf), "%s%s", text, text[n - 1] == '.' ? "" : ".");
	if (parse_name(&p, buf, strlen(buf), out, len, &err) != 0) {
		char b[128];

		mxs_why(why, "%s \"%s\": %s", what, show(b, sizeof(b), text, n), err);
		return MXS_ERR_INVALID;
	}
	return MXS_OK;
}

/* The node of domain, which must exist in the lab already: the answerer
 * only serves names under a loaded zone's apex anyway. */
static struct lab_node *domain_node(lab_world *w, const char *domain, char **why)
{
	uint8_t name[256];
	size_t len;
	struct lab_node *n;

	if (name_arg("domain", domain, name, &len, why) != MXS_OK)
		return NULL;
	n = (struct lab_node *)lab_world_node(w, name, len);
	if (!n)
		mxs_why(why, "%s is not a name in the lab", domain);
	return n;
}

/* The link that points at the MX record of n whose exchange is host, so
 * that the record can be changed or unlinked; NULL when there is none. */
static struct lab_rr **mx_link(struct lab_node *n, const uint8_t *host, size_t hostlen)
{
	for (struct lab_rr **l = &n->rrs; *l; l = &(*l)->next)
		if ((*l)->type == LAB_T_MX && (*l)->rdlen == hostlen + 2 &&
		    memcmp((*l)->rdata + 2, host, hostlen) == 0)
			return l;
	return NULL;
}

mxs_status lab_world_set_mx_preference(lab_world *w, const char *domain, const char *host,
                                       unsigned pref, char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr **l;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	if (pref > 65535) {
		mxs_why(why, "a preference is 0-65535, not %u", pref);
		return MXS_ERR_INVALID;
	}
	l = mx_link(n, h, hl);
	if (!l) {
		mxs_why(why, "%s has no MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	(*l)->rdata[0] = (uint8_t)(pref >> 8);
	(*l)->rdata[1] = (uint8_t)(pref & 0xff);
	return MXS_OK;
}

mxs_status lab_world_add_mx(lab_world *w, const char *domain, unsigned pref, const char *host,
                            char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr *r;
	uint32_t ttl = LAB_DEFAULT_TTL;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	if (pref > 65535) {
		mxs_why(why, "a preference is 0-65535, not %u", pref);
		return MXS_ERR_INVALID;
	}
	if (n->has_cname) {
		mxs_why(why, "%s is a CNAME, so it can have no MX record (RFC 1034 §3.6.2)",
		        domain);
		return MXS_ERR_INVALID;
	}
	if (mx_link(n, h, hl)) {
		mxs_why(why, "%s already has an MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	if (w->nrr >= w->max_records) {
		mxs_why(why, "more than %zu records in the lab", w->max_records);
		return MXS_ERR_LIMIT;
	}
	/* the new record lives as long in caches as its siblings do */
	for (const struct lab_rr *o = n->rrs; o; o = o->next)
		if (o->type == LAB_T_MX) {
			ttl = o->ttl;
			break;
		}
	r = malloc(sizeof(*r) + hl + 2);
	if (!r) {
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	r->next = NULL;
	r->ttl = ttl;
	r->type = LAB_T_MX;
	r->rdlen = (uint16_t)(hl + 2);
	r->rdata[0] = (uint8_t)(pref >> 8);
	r->rdata[1] = (uint8_t)(pref & 0xff);
	memcpy(r->rdata + 2, h, hl);
	*n->tail = r;
	n->tail = &r->next;
	w->nrr++;
	return MXS_OK;
}

mxs_status lab_world_remove_mx(lab_world *w, const char *domain, const char *host, char **why)
{
	uint8_t h[256];
	size_t hl;
	struct lab_node *n = w ? domain_node(w, domain, why) : NULL;
	struct lab_rr **l, *r;

	if (!n || name_arg("host", host, h, &hl, why) != MXS_OK)
		return MXS_ERR_INVALID;
	l = mx_link(n, h, hl);
	if (!l) {
		mxs_why(why, "%s has no MX record for %s", domain, host);
		return MXS_ERR_INVALID;
	}
	r = *l;
	*l = r->next;
	if (n->tail == &r->next)
		n->tail = l;
	free(r);
	w->nrr--;
	return MXS_OK;
}

/* Loads every text again into a fresh world and takes only its records:
 * the scenarios and $SMTP lines cannot have changed, and keeping them keeps
 * every view handed out (names, domains, hosts) valid. */
mxs_status lab_world_reset(lab_world *w, char **why)
{
	lab_world *fresh = lab_world_new();
	mxs_status st = MXS_OK;

	if (!w || !fresh) {
		mxs_why(why, w ? "out of memory" : "no world");
		st = w ? MXS_ERR_NOMEM : MXS_ERR_INVALID;
		goto done;
	}
	lab_world_set_limits(fresh, w->max_text, w->max_records);
	for (size_t i = 0; i < w->ntexts; i++) {
		st = lab_world_load_string(fresh, w->texts[i].origin, w->texts[i].text, why);
		if (st != MXS_OK)
			goto done;
	}
	{
		struct lab_node **tab = w->tab;
		size_t tabsize = w->tabsize, nnodes = w->nnodes, nrr = w->nrr;

		w->tab = fresh->tab;
		w->tabsize = fresh->tabsize;
		w->nnodes = fresh->nnodes;
		w->nrr = fresh->nrr;
		fresh->tab = tab;
		fresh->tabsize = tabsize;
		fresh->nnodes = nnodes;
		fresh->nrr = nrr;
	}
done:
	lab_world_free(fresh);
	return st;
}
