/* lab/scenario.c — the scenario directives: $ORIGIN and $TTL as in RFC 1035,
 * and our own $SCENARIO, $TITLE, $EXPLAIN, $DOMAIN, $AS, the $SMTP
 * behaviour language that says what each lab SMTP host does, and the DANE
 * pair $SIGNED (answer the zone with AD) and $TLSA (a TLSA record for the
 * key a lab host presents). One table row per directive; the reader
 * (zone.c) hands each `$` line to lab_zone_directive. */
#include "zone_internal.h"

#include "name.h"
#include "num.h"

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LAB_MAX_DOMAINS       256
#define LAB_MAX_SCENARIO_NAME 64
#define LAB_MAX_SMTP          4096    /* $SMTP lines in a world */
#define LAB_MAX_SMTP_DELAY_MS 600000u /* `slow` at most ten minutes */

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

	if (lab_zone_name(p, arg, len, n, &nl, &err) != 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a domain name after %s, got \"%s\" (%s)", dir,
		                    lab_zone_show(b, sizeof(b), arg, len), err);
	lab_name_to_text(n, text);
	*out = strdup(text);
	return *out ? MXS_OK : lab_zone_nomem(p);
}

static mxs_status d_origin(struct parser *p, const char *arg, size_t len)
{
	uint8_t n[256];
	size_t nl;
	const char *err = NULL;
	char b[128];

	if (lab_zone_name(p, arg, len, n, &nl, &err) != 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a domain name after $ORIGIN, got \"%s\" (%s)",
		                    lab_zone_show(b, sizeof(b), arg, len), err);
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

	if (lab_zone_ttl(arg, len, &p->ttl) != 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a TTL (seconds, 0-2147483647) after $TTL, got \"%s\"",
		                    lab_zone_show(b, sizeof(b), arg, len));
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
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
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
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "a scenario called \"%s\" is already loaded",
			                    p->w->scen[i].name);
	p->sc.name = strndup(arg, len);
	return p->sc.name ? MXS_OK : lab_zone_nomem(p);
bad:
	return lab_zone_err(
	    p, MXS_ERR_INVALID, p->line,
	    "expected a scenario name of lower-case letters, digits and '-' (at most %d) "
	    "after $SCENARIO, got \"%s\"",
	    LAB_MAX_SCENARIO_NAME, lab_zone_show(b, sizeof(b), arg, len));
}

static mxs_status check_text(struct parser *p, const char *dir, const char *arg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)arg[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "a control character (byte %u) in the %s text", c, dir);
	}
	return MXS_OK;
}

static mxs_status d_title(struct parser *p, const char *arg, size_t len)
{
	mxs_status st;

	if (p->sc.title)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "a second $TITLE (a scenario has one title)");
	if (len == 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a one-line title after $TITLE, got nothing");
	if ((st = check_text(p, "$TITLE", arg, len)))
		return st;
	p->sc.title = strndup(arg, len);
	return p->sc.title ? MXS_OK : lab_zone_nomem(p);
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
		return lab_zone_nomem(p);
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
		return lab_zone_err(p, MXS_ERR_LIMIT, p->line, "more than %d $DOMAIN lines",
		                    LAB_MAX_DOMAINS);
	d = realloc(p->sc.domains, (p->sc.ndomains + 1) * sizeof(*d));
	if (!d)
		return lab_zone_nomem(p);
	p->sc.domains = d;
	st = set_name_text(p, "$DOMAIN", arg, len, &d[p->sc.ndomains]);
	if (st == MXS_OK)
		p->sc.ndomains++;
	return st;
}

static mxs_status d_as(struct parser *p, const char *arg, size_t len)
{
	if (p->sc.as)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
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
	"name=HOST, tls=valid|expired|self-signed|wrong-name, starttls=yes|no, slow=SECONDS, "     \
	"noop=CODE, rcpt=accept|reject|tempfail|silent, key=N, chain=yes|no"
#define LAB_MAX_KEY 1000 /* key=N: which of a host's keys (lab/tls.c) */

/* A key number 0..LAB_MAX_KEY; -1 when s is not one. */
static int parse_key(const char *s, size_t len, unsigned *key)
{
	char tmp[8];
	unsigned long v;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (!mx_num_parse(tmp, LAB_MAX_KEY, &v))
		return -1;
	*key = (unsigned)v;
	return 0;
}

static const char *const smtp_tls_names[] = {
    [LAB_TLS_VALID] = "valid",
    [LAB_TLS_EXPIRED] = "expired",
    [LAB_TLS_SELF_SIGNED] = "self-signed",
    [LAB_TLS_WRONG_NAME] = "wrong-name",
};

static const char *const smtp_rcpt_names[] = {
    [LAB_RCPT_ACCEPT] = "accept",
    [LAB_RCPT_REJECT] = "reject",
    [LAB_RCPT_TEMPFAIL] = "tempfail",
    [LAB_RCPT_SILENT] = "silent",
};

const char *lab_smtp_act_name(enum lab_smtp_act a)
{
	return (unsigned)a < sizeof(smtp_acts) / sizeof(smtp_acts[0]) ? smtp_acts[a] : "?";
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

/* The owner of the first (by line) A/AAAA record in w with h's address. */
int lab_smtp_find_name(const lab_world *w, struct lab_smtp_host *h)
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
					lab_name_to_text(n->name, text);
					if (mx_name_is_host(text, strlen(text)))
						best = n;
					break;
				}
		}
	if (!best)
		return 0;
	lab_name_to_text(best->name, text);
	memcpy(h->name, text, strlen(text) + 1); /* mx_name_is_host bounded it */
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
	else if (word_is(s, kl, "noop"))
		bit = 16;
	else if (word_is(s, kl, "rcpt"))
		bit = 32;
	else if (word_is(s, kl, "key"))
		bit = 64;
	else if (word_is(s, kl, "chain"))
		bit = 128;
	else
		goto unknown;
	if (*seen & bit)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line, "a second %s= on this $SMTP line",
		                    lab_zone_show(kb, sizeof(kb), s, kl));
	*seen |= bit;
	switch (bit) {
	case 1:
		if (!mx_name_is_host(v, vl))
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected a host name after name=, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), v, vl));
		if (v[vl - 1] == '.')
			vl--; /* the greeting and the certificate carry no final dot */
		for (size_t i = 0; i < vl; i++)
			h->name[i] = (char)lab_name_lower((uint8_t)v[i]);
		h->name[vl] = '\0';
		h->name_given = 1;
		return MXS_OK;
	case 2:
		for (size_t i = 0; i < sizeof(smtp_tls_names) / sizeof(smtp_tls_names[0]); i++)
			if (word_is(v, vl, smtp_tls_names[i])) {
				h->tls = (enum lab_smtp_tls)i;
				return MXS_OK;
			}
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
		    "unknown tls=\"%s\"; expected one of valid, expired, self-signed, "
		    "wrong-name",
		    lab_zone_show(b, sizeof(b), v, vl));
	case 4:
		if (word_is(v, vl, "no") || word_is(v, vl, "yes")) {
			h->starttls = word_is(v, vl, "yes");
			return MXS_OK;
		}
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected starttls=yes or starttls=no, got \"%s\"",
		                    lab_zone_show(b, sizeof(b), s, len));
	case 16: {
		/* a reply code to NOOP, so a lesson (and a test) can show a server
		 * that refuses a command after a good greeting */
		char num[8];
		unsigned long code = 0;
		if (vl < sizeof(num)) {
			memcpy(num, v, vl);
			num[vl] = '\0';
		}
		if (vl >= sizeof(num) || !mx_num_parse(num, 599, &code) || code < 200)
			return lab_zone_err(
			    p, MXS_ERR_INVALID, p->line,
			    "expected a reply code (200-599) after noop=, got \"%s\"",
			    lab_zone_show(b, sizeof(b), v, vl));
		h->noop_code = (unsigned)code;
		return MXS_OK;
	}
	case 128:
		if (word_is(v, vl, "no") || word_is(v, vl, "yes")) {
			h->chain = word_is(v, vl, "yes");
			return MXS_OK;
		}
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected chain=yes or chain=no, got \"%s\"",
		                    lab_zone_show(b, sizeof(b), s, len));
	case 64:
		if (parse_key(v, vl, &h->key) != 0)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected a key number (0-%d) after key=, got \"%s\"",
			                    LAB_MAX_KEY, lab_zone_show(b, sizeof(b), v, vl));
		return MXS_OK;
	case 32:
		for (size_t i = 0; i < sizeof(smtp_rcpt_names) / sizeof(smtp_rcpt_names[0]); i++)
			if (word_is(v, vl, smtp_rcpt_names[i])) {
				h->rcpt = (enum lab_smtp_rcpt)i;
				return MXS_OK;
			}
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected rcpt=accept, reject, tempfail or silent, got \"%s\"",
		                    lab_zone_show(b, sizeof(b), s, len));
	default:
		if (parse_seconds(v, vl, &h->delay_ms) != 0)
			return lab_zone_err(
			    p, MXS_ERR_INVALID, p->line,
			    "expected seconds (0-600, e.g. 2.5) after slow=, got \"%s\"",
			    lab_zone_show(b, sizeof(b), v, vl));
		return MXS_OK;
	}
unknown:
	return lab_zone_err(p, MXS_ERR_INVALID, p->line,
	                    "unknown SMTP option \"%s\"; expected one of " SMTP_OPT_LIST,
	                    lab_zone_show(b, sizeof(b), s, len));
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
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "too many words on a $SMTP line");
		w[nw] = arg + i;
		while (i < len && arg[i] != ' ' && arg[i] != '\t')
			i++;
		wl[nw] = (size_t)(arg + i - w[nw]);
		nw++;
	}
	if (nw < 2)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
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
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
		    "lab SMTP addresses must be loopback (127.0.0.0/8 or ::1), got \"%s\"",
		    lab_zone_show(b, sizeof(b), w[0], wl[0]));
	inet_ntop(h.family, h.addr, h.addrtext, sizeof(h.addrtext));
	/* ::1 is every scenario's one IPv6 address: each scenario may give it a
	 * behaviour of its own (lab_smtp gives each its own port) */
	if ((h.family != AF_INET6 && (other = smtp_same_addr(p->w, &h))) ||
	    (other = smtp_same_addr(&p->frag, &h)))
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
		    "a second $SMTP line for %s (the first is at %s:%d; one behaviour per "
		    "address: in the whole lab, and for ::1 in each scenario)",
		    h.addrtext, other->origin ? other->origin : p->origin_label, other->line);

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
			return lab_zone_err(
			    p, MXS_ERR_INVALID, p->line,
			    "unknown SMTP behaviour \"%s\"; expected one of " SMTP_ACT_LIST,
			    lab_zone_show(b, sizeof(b), w[1], wl[1]));
		h.act = (enum lab_smtp_act)a;
		k = 2;
		if (h.act == LAB_SMTP_SLOW) {
			if (nw < 3 || parse_seconds(w[2], wl[2], &h.delay_ms) != 0)
				return lab_zone_err(
				    p, MXS_ERR_INVALID, p->line,
				    "expected seconds (0-600, e.g. 2.5) after slow, got \"%s\"",
				    nw < 3 ? "" : lab_zone_show(b, sizeof(b), w[2], wl[2]));
			seen |= 8;
			k = 3;
		}
	}
	if (h.act == LAB_SMTP_REFUSE && nw > k)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "refuse takes no options: nothing listens at %s", h.addrtext);
	for (; k < nw; k++)
		if ((st = smtp_option(p, &h, w[k], wl[k], &seen)))
			return st;
	if (p->w->nsmtp + p->frag.nsmtp >= LAB_MAX_SMTP)
		return lab_zone_err(p, MXS_ERR_LIMIT, p->line,
		                    "more than %d $SMTP lines in the lab", LAB_MAX_SMTP);
	if (p->frag.nsmtp == p->frag.capsmtp) {
		size_t cap = p->frag.capsmtp ? p->frag.capsmtp * 2 : 8;
		struct lab_smtp_host *n = realloc(p->frag.smtp, cap * sizeof(*n));

		if (!n)
			return lab_zone_nomem(p);
		p->frag.smtp = n;
		p->frag.capsmtp = cap;
	}
	h.origin = strdup(p->origin_label);
	if (!h.origin)
		return lab_zone_nomem(p);
	p->frag.smtp[p->frag.nsmtp++] = h;
	return MXS_OK;
}

/* ---- DANE: $SIGNED and $TLSA ---------------------------------------------- */

/* $SIGNED [ZONE]: the zone (default: the current $ORIGIN) is answered with
 * AD set, as a validating resolver answers for a signed zone. The lab signs
 * nothing: it vouches, so the room can see DANE; tests/test_dane_unbound.sh
 * shows the same with real signatures and a real validator. */
static mxs_status d_signed(struct parser *p, const char *arg, size_t len)
{
	uint8_t n[256];
	size_t nl;
	const char *err = NULL;
	char b[128];
	struct lab_node *node;

	if (len == 0) {
		if (!p->originlen)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "$SIGNED without a zone needs an $ORIGIN before it");
		memcpy(n, p->origin, p->originlen);
		nl = p->originlen;
	} else if (lab_zone_name(p, arg, len, n, &nl, &err) != 0) {
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a zone name after $SIGNED, got \"%s\" (%s)",
		                    lab_zone_show(b, sizeof(b), arg, len), err);
	}
	node = lab_world_node_get(&p->frag, n, nl, p->line);
	if (!node)
		return lab_zone_nomem(p);
	node->is_signed = 1;
	return MXS_OK;
}

/* $TLSA HOST USAGE SELECTOR MATCHING-TYPE [key=N]: a TLSA record at
 * _25._tcp.HOST (RFC 7672 §2.2.1) for the key HOST's lab certificate has
 * (key N, default 0; lab/tls.c derives it from the name). Selector 1 only:
 * the lab makes its certificates anew at every start, its keys stay. */
static mxs_status d_tlsa(struct parser *p, const char *arg, size_t len)
{
	const char *w[6];
	size_t wl[6], nw = 0, i = 0, hl, spkilen = 0;
	uint8_t host[256], owner[256], rdata[3 + 512], spki[512];
	unsigned key = 0, u[3], mdlen = 0;
	const char *err = NULL;
	char b[128], text[4 * 256];

	while (i < len && nw < 6) {
		while (i < len && lab_zone_blank(arg[i]))
			i++;
		if (i == len)
			break;
		w[nw] = arg + i;
		while (i < len && !lab_zone_blank(arg[i]))
			i++;
		wl[nw] = (size_t)(arg + i - w[nw]);
		nw++;
	}
	if (nw < 4 || nw > 5 || i < len)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected \"$TLSA HOST USAGE SELECTOR MATCHING-TYPE [key=N]\", "
		                    "e.g. \"$TLSA mx 3 1 1\"");
	if (lab_zone_name(p, w[0], wl[0], host, &hl, &err) != 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected a host name after $TLSA, got \"%s\" (%s)",
		                    lab_zone_show(b, sizeof(b), w[0], wl[0]), err);
	for (size_t k = 0; k < 3; k++) {
		char tmp[8];
		unsigned long v;
		if (wl[k + 1] >= sizeof(tmp))
			v = 256;
		else {
			memcpy(tmp, w[k + 1], wl[k + 1]);
			tmp[wl[k + 1]] = '\0';
			if (!mx_num_parse(tmp, 255, &v))
				v = 256;
		}
		if (v > 255)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "$TLSA: usage, selector and matching type are numbers "
			                    "0-255, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), w[k + 1], wl[k + 1]));
		u[k] = (unsigned)v;
	}
	if (u[1] != 1)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
		    "$TLSA: the lab pins keys, so the selector is 1 "
		    "(SubjectPublicKeyInfo); write a TLSA record for anything else");
	if (u[2] > 2)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "$TLSA: matching type 0 (the key), 1 (SHA-256) or 2 (SHA-512)");
	if (nw == 5 && (wl[4] < 5 || strncasecmp(w[4], "key=", 4) != 0 ||
	                parse_key(w[4] + 4, wl[4] - 4, &key) != 0))
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "$TLSA: expected key=N (0-%d) at the end, got \"%s\"",
		                    LAB_MAX_KEY, lab_zone_show(b, sizeof(b), w[4], wl[4]));
	if (hl + 9 > 255)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "$TLSA: _25._tcp. and the host name make a name too long");
	memcpy(owner, "\003_25\004_tcp", 9);
	memcpy(owner + 9, host, hl);
	lab_name_to_text(host, text);
	if (lab_tls_spki(text, key, spki, sizeof(spki), &spkilen) != 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "$TLSA: cannot make the key for %s", text);
	rdata[0] = (uint8_t)u[0];
	rdata[1] = (uint8_t)u[1];
	rdata[2] = (uint8_t)u[2];
	if (u[2] == 0) {
		memcpy(rdata + 3, spki, spkilen);
		mdlen = (unsigned)spkilen;
	} else if (EVP_Digest(spki, spkilen, rdata + 3, &mdlen,
	                      u[2] == 1 ? EVP_sha256() : EVP_sha512(), NULL) != 1) {
		return lab_zone_nomem(p);
	}
	return lab_zone_add_rr(p, owner, hl + 9, p->line, LAB_T_TLSA,
	                       p->have_ttl ? p->ttl : LAB_DEFAULT_TTL, rdata, 3 + mdlen);
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
    {"$ORIGIN", d_origin, ARG_WORD},       {"$TTL", d_ttl, ARG_WORD},
    {"$SCENARIO", d_scenario, ARG_WORD},   {"$TITLE", d_title, ARG_TEXT},
    {"$DOMAIN", d_domain, ARG_WORD},       {"$AS", d_as, ARG_WORD},
    {"$EXPLAIN", d_explain, ARG_TEXT},     {"$SMTP", d_smtp, ARG_WORDS},
    {"$MTA-STS", lab_zone_sts, ARG_WORDS}, {"$SIGNED", d_signed, ARG_WORDS},
    {"$TLSA", d_tlsa, ARG_WORDS},
};

mxs_status lab_zone_directive(struct parser *p, const char *s, size_t len)
{
	size_t nl = 0, a, e;
	const struct directive *d = NULL;
	char b[128];

	while (nl < len && !lab_zone_blank(s[nl]) && s[nl] != ';')
		nl++;
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strlen(directives[i].name) == nl && strncasecmp(directives[i].name, s, nl) == 0)
			d = &directives[i];
	if (!d)
		return lab_zone_err(
		    p, MXS_ERR_INVALID, p->line,
		    "unknown directive \"%s\" (known: $ORIGIN, $TTL, $SCENARIO, $TITLE, "
		    "$DOMAIN, $AS, $EXPLAIN, $SMTP, $MTA-STS, $SIGNED, $TLSA)",
		    lab_zone_show(b, sizeof(b), s, nl));
	a = nl;
	e = len;
	if (d->arg != ARG_TEXT) {
		const char *semi = memchr(s + a, ';', e - a);

		if (semi)
			e = (size_t)(semi - s);
	}
	while (a < e && lab_zone_blank(s[a]))
		a++;
	while (e > a && lab_zone_blank(s[e - 1]))
		e--;
	if (d->arg == ARG_WORD) {
		if (a == e)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected a value after %s, got nothing", d->name);
		for (size_t i = a; i < e; i++)
			if (lab_zone_blank(s[i]))
				return lab_zone_err(p, MXS_ERR_INVALID, p->line,
				                    "expected one value after %s, got \"%s\"",
				                    d->name,
				                    lab_zone_show(b, sizeof(b), s + a, e - a));
	}
	return d->fn(p, s + a, e - a);
}
