/* lab/zone.c — the zone-file reader: scenario files in master-file syntax
 * (RFC 1035 §5) turned into records, lines into tokens, record data into wire
 * format. The `$` lines go to the directives (scenario.c, sts.c), which
 * share the reader's primitives (zone_base.c) with it: the top of the
 * reader, nothing below it calls it.
 *
 * A load parses into a private fragment (its own hash table of nodes) and
 * only when the whole file is good merges it into the world; the merge is
 * arranged so that it cannot fail half-way, which is what keeps a world
 * unchanged after a bad file. */
#include "zone_internal.h"

#include "line.h"
#include "num.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#define LAB_MAX_LINE   4096
#define LAB_MAX_TOKENS 1024

/* A decimal field of a record, through core's one number parser; the token
 * is not NUL-terminated, so it is copied (a longer one is no number we take). */
static int parse_u32(const char *s, size_t len, uint32_t max, uint32_t *v)
{
	char buf[24];
	unsigned long x;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!mx_num_parse(buf, max, &x))
		return -1;
	*v = (uint32_t)x;
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
		return lab_zone_err(c->p, MXS_ERR_INVALID, c->line,
		                    "expected %s after %s, got the end of the record", what,
		                    c->type);
	return lab_zone_err(c->p, MXS_ERR_INVALID, c->t[c->i].line,
	                    "expected %s after %s, got \"%s\"", what, c->type,
	                    lab_zone_show(b, sizeof(b), c->t[c->i].s, c->t[c->i].len));
}

static mxs_status rd_put(struct rdctx *c, const void *v, size_t len)
{
	if (c->len + len > sizeof(c->buf))
		return lab_zone_err(c->p, MXS_ERR_LIMIT, c->line,
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
	bad = ttl_units ? lab_zone_ttl(c->t[c->i].s, c->t[c->i].len, &v)
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
	if (lab_zone_name(c->p, c->t[c->i].s, c->t[c->i].len, n, &len, &err) != 0)
		return lab_zone_err(c->p, MXS_ERR_INVALID, c->t[c->i].line,
		                    "expected %s after %s, got \"%s\" (%s)", what, c->type,
		                    lab_zone_show(b, sizeof(b), c->t[c->i].s, c->t[c->i].len), err);
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
					return lab_zone_err(
					    c->p, MXS_ERR_INVALID, t->line,
					    "a TXT string ends in a lone backslash");
				if (t->s[k] >= '0' && t->s[k] <= '9') {
					if (k + 2 >= t->len || t->s[k + 1] < '0' ||
					    t->s[k + 1] > '9' || t->s[k + 2] < '0' ||
					    t->s[k + 2] > '9')
						return lab_zone_err(
						    c->p, MXS_ERR_INVALID, t->line,
						    "a bad \\DDD escape in a TXT string "
						    "(three digits, 000-255)");
					v = (unsigned)(t->s[k] - '0') * 100 +
					    (unsigned)(t->s[k + 1] - '0') * 10 +
					    (unsigned)(t->s[k + 2] - '0');
					if (v > 255)
						return lab_zone_err(
						    c->p, MXS_ERR_INVALID, t->line,
						    "a \\DDD escape above 255 in a TXT string");
					k += 3;
				} else {
					v = (unsigned char)t->s[k++];
				}
			}
			if (o >= 255)
				return lab_zone_err(
				    c->p, MXS_ERR_INVALID, t->line,
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

static mxs_status rd_u8(struct rdctx *c, const char *what)
{
	uint32_t v;
	uint8_t b;

	if (c->i >= c->n || parse_u32(c->t[c->i].s, c->t[c->i].len, 255, &v) != 0)
		return rd_expected(c, what);
	c->i++;
	b = (uint8_t)v;
	return rd_put(c, &b, 1);
}

/* RFC 6698 §2.2: usage, selector, matching type, then the data in hex,
 * which may be split by blanks over several fields. */
static mxs_status rd_tlsa(struct rdctx *c)
{
	mxs_status st;
	size_t before;
	int hi = -1;

	if ((st = rd_u8(c, "a certificate usage (0-255)")) ||
	    (st = rd_u8(c, "a selector (0-255)")) || (st = rd_u8(c, "a matching type (0-255)")))
		return st;
	if (c->i >= c->n)
		return rd_expected(c, "the certificate association data in hex");
	before = c->len;
	for (; c->i < c->n; c->i++)
		for (size_t k = 0; k < c->t[c->i].len; k++) {
			char ch = c->t[c->i].s[k];
			int v = ch >= '0' && ch <= '9'   ? ch - '0'
			        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
			                                 : -1;
			uint8_t b;
			if (v < 0)
				return rd_expected(c, "the certificate association data in hex");
			if (hi < 0) {
				hi = v;
				continue;
			}
			b = (uint8_t)(hi << 4 | v);
			hi = -1;
			if ((st = rd_put(c, &b, 1)))
				return st;
		}
	if (hi >= 0 || c->len == before)
		return lab_zone_err(
		    c->p, MXS_ERR_INVALID, c->line,
		    "TLSA data must be whole bytes of hex (an even number of digits)");
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
    {"PTR", LAB_T_PTR, rd_host}, {"TLSA", LAB_T_TLSA, rd_tlsa},
};

static const struct rrtype *find_type(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(rrtypes) / sizeof(rrtypes[0]); i++)
		if (strlen(rrtypes[i].name) == len && strncasecmp(rrtypes[i].name, s, len) == 0)
			return &rrtypes[i];
	return NULL;
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

		if (lab_zone_name(p, t[0].s, t[0].len, p->owner, &p->ownerlen, &err) != 0) {
			p->ownerlen = 0;
			return lab_zone_err(p, MXS_ERR_INVALID, t[0].line,
			                    "expected an owner name, got \"%s\" (%s)",
			                    lab_zone_show(b, sizeof(b), t[0].s, t[0].len), err);
		}
		i = 1;
	} else if (p->ownerlen == 0) {
		return lab_zone_err(
		    p, MXS_ERR_INVALID, t[0].line,
		    "this line starts with a blank, which means \"same owner as the record "
		    "before\", but there is no record before");
	}
	for (; i < n; i++) {
		if (!got_ttl && !t[i].quoted && t[i].s[0] >= '0' && t[i].s[0] <= '9') {
			if (lab_zone_ttl(t[i].s, t[i].len, &ttl) != 0)
				return lab_zone_err(
				    p, MXS_ERR_INVALID, t[i].line,
				    "expected a TTL (seconds, 0-2147483647), got \"%s\"",
				    lab_zone_show(b, sizeof(b), t[i].s, t[i].len));
			got_ttl = 1;
		} else if (!got_class && t[i].len == 2 && strncasecmp(t[i].s, "IN", 2) == 0) {
			got_class = 1;
		} else if (is_class_word(&t[i])) {
			return lab_zone_err(p, MXS_ERR_INVALID, t[i].line,
			                    "only class IN is supported, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), t[i].s, t[i].len));
		} else {
			break;
		}
	}
	if (i >= n)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, t[n - 1].line,
		    "expected a record type (A, AAAA, MX, CNAME, TXT, SRV, NS, SOA, PTR), "
		    "got the end of the record");
	rt = t[i].quoted ? NULL : find_type(t[i].s, t[i].len);
	if (!rt)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, t[i].line,
		    "unknown record type \"%s\" (supported: A, AAAA, MX, CNAME, TXT, SRV, "
		    "NS, SOA, PTR)",
		    lab_zone_show(b, sizeof(b), t[i].s, t[i].len));
	c = malloc(sizeof(*c));
	if (!c)
		return lab_zone_nomem(p);
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
		st = lab_zone_err(p, MXS_ERR_INVALID, t[c->i].line,
		                  "unexpected \"%s\" after the %s record data",
		                  lab_zone_show(b, sizeof(b), t[c->i].s, t[c->i].len), rt->name);
		goto done;
	}
	st = lab_zone_add_rr(p, p->owner, p->ownerlen, t[0].line, rt->code, ttl, c->buf, c->len);
done:
	free(c);
	return st;
}

/* ---- lines and tokens ------------------------------------------------------ */

static mxs_status add_tok(struct parser *p, const char *s, size_t len, int quoted)
{
	if (p->ntok >= LAB_MAX_TOKENS)
		return lab_zone_err(p, MXS_ERR_LIMIT, p->line, "more than %d fields in one record",
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

		if (lab_zone_blank(c)) {
			i++;
		} else if (c == ';') {
			break;
		} else if (c == '(') {
			if (p->depth > 0)
				return lab_zone_err(
				    p, MXS_ERR_INVALID, p->line,
				    "a '(' inside another '(' (parentheses do not nest)");
			p->depth = 1;
			p->paren_line = p->line;
			i++;
		} else if (c == ')') {
			if (p->depth == 0)
				return lab_zone_err(p, MXS_ERR_INVALID, p->line,
				                    "a ')' without a '(' before it");
			p->depth = 0;
			i++;
		} else if (c == '"') {
			size_t j = i + 1;

			while (j < len && s[j] != '"')
				j += (s[j] == '\\' && j + 1 < len) ? 2 : 1;
			if (j >= len)
				return lab_zone_err(
				    p, MXS_ERR_INVALID, p->line,
				    "unterminated quoted string (a '\"' is missing on this line)");
			if ((st = add_tok(p, s + i + 1, j - i - 1, 1)))
				return st;
			i = j + 1;
		} else {
			size_t j = i;

			while (j < len && !lab_zone_blank(s[j]) && s[j] != ';' && s[j] != '(' &&
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
			return lab_zone_err(p, MXS_ERR_LIMIT, p->line,
			                    "this line is longer than %d bytes", LAB_MAX_LINE);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (p->depth == 0) {
			if (len > 0 && s[0] == '$') {
				if ((st = lab_zone_directive(p, s, len)))
					return st;
				goto next;
			}
			p->ntok = 0;
			p->blank_start = len > 0 && lab_zone_blank(s[0]);
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
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->paren_line,
		    "unterminated parenthesis: the '(' on this line is never closed");
	return MXS_OK;
}

static mxs_status finish(struct parser *p)
{
	if (!p->sc.name)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, 1,
		    "no $SCENARIO line: every scenario file needs one, e.g. \"$SCENARIO my-case\"");
	if (!p->sc.title)
		return lab_zone_err(p, MXS_ERR_INVALID, 1,
		                    "no $TITLE line: every scenario file needs a one-line title");
	if (p->sc.ndomains == 0)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, 1,
		    "no $DOMAIN line: every scenario file names at least one domain to look at");
	for (size_t i = 0; i < p->frag.nsmtp; i++) {
		struct lab_smtp_host *h = &p->frag.smtp[i];

		/* this scenario's own records first, then the ones loaded before */
		if (!h->name_given && !lab_smtp_find_name(&p->frag, h) &&
		    !lab_smtp_find_name(p->w, h))
			snprintf(h->name, sizeof(h->name), "lab.invalid");
		if (p->first_originlen) {
			char text[LAB_DNS_NAME_TEXT];
			lab_name_to_text(p->first_origin, text);
			if (strlen(text) < sizeof(h->zone) && strcmp(text, ".") != 0)
				memcpy(h->zone, text, strlen(text) + 1);
		}
	}
	if (!p->sc.explain) {
		p->sc.explain = strdup("");
		if (!p->sc.explain)
			return lab_zone_nomem(p);
	}
	if (p->nsoa == 0) {
		/* Without an SOA the server would answer for nothing in this file. */
		uint8_t rd[2 * 256 + 20];
		size_t o = 0;
		uint32_t min = p->have_first_ttl ? p->first_ttl : LAB_DEFAULT_TTL;
		const uint32_t nums[5] = {1, 3600, 600, 86400, min};

		if (p->first_originlen == 0)
			return lab_zone_err(
			    p, MXS_ERR_INVALID, 1,
			    "no SOA record and no $ORIGIN: the lab would answer for none "
			    "of these names");
		if (p->first_originlen + 11 > 255)
			return lab_zone_err(
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
		return lab_zone_add_rr(p, p->first_origin, p->first_originlen, p->first_origin_line,
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
				lab_name_to_text(n->name, nb);
				return lab_zone_err(
				    p, MXS_ERR_INVALID, n->line,
				    "\"%s\" is a CNAME in one scenario and has other "
				    "records in another (RFC 1034 §3.6.2)",
				    nb);
			}
		}
	if (w->nscen == w->capscen) {
		size_t cap = w->capscen ? w->capscen * 2 : 16;
		struct lab_scenario *sc = realloc(w->scen, cap * sizeof(*sc));

		if (!sc)
			return lab_zone_nomem(p);
		w->scen = sc;
		w->capscen = cap;
	}
	if (lab_world_reserve(w, w->nnodes + f->nnodes) != MXS_OK)
		return lab_zone_nomem(p);
	if (w->nsmtp + f->nsmtp > w->capsmtp) {
		size_t cap = w->nsmtp + f->nsmtp + 16;
		struct lab_smtp_host *h = realloc(w->smtp, cap * sizeof(*h));

		if (!h)
			return lab_zone_nomem(p);
		w->smtp = h;
		w->capsmtp = cap;
	}
	/* Hosts loaded before that found no name may find one here. */
	for (size_t i = 0; i < w->nsmtp; i++)
		if (!w->smtp[i].name_given && !w->smtp[i].name_found)
			lab_smtp_find_name(f, &w->smtp[i]);
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
				o->is_signed |= n->is_signed;
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
		st = lab_zone_nomem(&p);
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
			st = lab_zone_nomem(&p);
			goto done;
		}
		w->texts = t;
		w->captexts = cap;
	}
	keep.origin = strdup(origin);
	keep.text = strdup(text);
	if (!keep.origin || !keep.text) {
		st = lab_zone_nomem(&p);
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
	lab_world_nodes_free(&p.frag);
	lab_world_smtp_free(&p.frag);
	lab_scenario_clear(&p.sc);
	free(p.toks);
	return st;
}

/* A scenario file gathered line by line by core's line reader, which
 * refuses what is not a regular file (a FIFO would block at open) and
 * bounds every line; the text is then parsed as a whole. */
struct file_text {
	const char *path;
	size_t max;
	char *buf;
	size_t len, cap;
	char **why;
	mxs_status st;
};

static int on_file_line(const char *line, size_t len, unsigned long lineno, unsigned flags,
                        void *arg)
{
	struct file_text *f = arg;

	if (flags & LINE_HAS_NUL) {
		mxs_why(f->why, "%s:%lu: a NUL byte: this does not look like a text file", f->path,
		        lineno);
		f->st = MXS_ERR_INVALID;
		return 1;
	}
	if (flags & LINE_TOO_LONG) {
		mxs_why(f->why, "%s:%lu: this line is longer than %d bytes", f->path, lineno,
		        LAB_MAX_LINE);
		f->st = MXS_ERR_LIMIT;
		return 1;
	}
	if (f->len + len + 1 > f->max) {
		mxs_why(f->why, "%s: the file is larger than %zu bytes, the limit for a scenario",
		        f->path, f->max);
		f->st = MXS_ERR_LIMIT;
		return 1;
	}
	if (f->len + len + 2 > f->cap) {
		size_t cap = f->cap ? f->cap : 65536;
		char *b;

		while (cap < f->len + len + 2)
			cap *= 2;
		b = realloc(f->buf, cap);
		if (!b) {
			mxs_why(f->why, "%s: out of memory", f->path);
			f->st = MXS_ERR_NOMEM;
			return 1;
		}
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, line, len);
	f->len += len;
	f->buf[f->len++] = '\n';
	f->buf[f->len] = '\0';
	return 0;
}

mxs_status lab_world_load_file(lab_world *w, const char *path, char **why)
{
	struct file_text f = {.path = path, .why = why, .st = MXS_OK};
	struct stat sb;
	mxs_status st;

	if (!path || !w) {
		mxs_why(why, "no scenario file named");
		return MXS_ERR_INVALID;
	}
	f.max = w->max_text;
	/* a huge file is refused before it is read; stat does not open, so it
	 * cannot block on a FIFO (line_read_file refuses that) */
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > f.max) {
		mxs_why(why, "%s: the file is larger than %zu bytes, the limit for a scenario",
		        path, f.max);
		return MXS_ERR_LIMIT;
	}
	st = line_read_file(path, LAB_MAX_LINE, on_file_line, &f, why);
	if (st == MXS_OK)
		st = lab_world_load_string(w, path, f.buf ? f.buf : "", why);
	else if (f.st != MXS_OK)
		st = f.st; /* *why is ours, from on_file_line */
	free(f.buf);
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
		        name ? lab_zone_show(b, sizeof(b), name, strlen(name)) : "(null)");
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
