/* core/blocklist.c — blocklist results, the RFC 5782 rules, a JSON pointer
 * evaluator and the provider config parser. No I/O: net/blocklist.c reads
 * files and talks HTTP, this file only decides what bytes mean. */
#include "blocklist.h"
#include "addr.h"
#include "name.h"
#include "line.h"
#include "num.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 63
#define LINE_MAX_LEN 4096
#define MAX_CODEMAP  64

struct blr_config {
	blr_provider *p;
	size_t n;
};

const char *blr_kind_str(blr_kind k)
{
	return k == BLR_JSON_API ? "json-api" : "dnsbl-doh";
}

const char *blr_state_str(blr_state s)
{
	switch (s) {
	case BLR_NOT_LISTED: return "not-listed";
	case BLR_LISTED: return "listed";
	case BLR_UNAVAILABLE: return "unavailable";
	}
	return "unavailable";
}

/* ---- results ------------------------------------------------------------ */

/* A bounded copy with control bytes replaced: network text must not carry
 * terminal controls into whatever shows it next. */
static char *clean_copy(const char *s, size_t len, size_t max)
{
	char *out;

	if (len > max)
		len = max;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[len] = '\0';
	return out;
}

blr_result *blr_result_new(const char *provider, blr_kind kind, const char *ip)
{
	blr_result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->provider = strdup(provider ? provider : "");
	r->ip = strdup(ip ? ip : "");
	r->kind = kind;
	r->ms = -1;
	if (!r->provider || !r->ip) {
		blr_result_free(r);
		return NULL;
	}
	return r;
}

static void drop_codes(blr_result *r)
{
	if (r->meanings)
		for (size_t i = 0; i < r->ncodes; i++)
			free(r->meanings[i]);
	free(r->meanings);
	r->meanings = NULL;
	r->ncodes = 0;
	memset(r->codes, 0, sizeof(r->codes));
}

void blr_result_free(blr_result *r)
{
	if (!r)
		return;
	drop_codes(r);
	free(r->provider);
	free(r->ip);
	free(r->reason);
	free(r->error);
	free(r);
}

static mxs_status add_code(blr_result *r, const char *code, const char *meaning)
{
	if (r->ncodes >= BLR_MAX_CODES)
		return MXS_OK; /* bounded: the first ones say enough */
	if (!r->meanings) {
		r->meanings = calloc(BLR_MAX_CODES, sizeof(*r->meanings));
		if (!r->meanings)
			return MXS_ERR_NOMEM;
	}
	snprintf(r->codes[r->ncodes].code, sizeof(r->codes[0].code), "%s", code);
	if (meaning) {
		r->meanings[r->ncodes] = strdup(meaning);
		if (!r->meanings[r->ncodes])
			return MXS_ERR_NOMEM;
	}
	r->codes[r->ncodes].meaning = r->meanings[r->ncodes];
	r->ncodes++;
	return MXS_OK;
}

blr_result *blr_result_dup(const blr_result *r)
{
	blr_result *c = blr_result_new(r->provider, r->kind, r->ip);

	if (!c)
		return NULL;
	c->state = r->state;
	c->ttl = r->ttl;
	c->from_cache = r->from_cache;
	c->ms = r->ms;
	for (size_t i = 0; i < r->ncodes; i++)
		if (add_code(c, r->codes[i].code, r->codes[i].meaning) != MXS_OK)
			goto fail;
	if ((r->reason && !(c->reason = strdup(r->reason))) ||
	    (r->error && !(c->error = strdup(r->error))))
		goto fail;
	return c;
fail:
	blr_result_free(c);
	return NULL;
}

mxs_status blr_result_fail(blr_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MXS_ERR_NOMEM;
	free(r->error);
	r->error = clean_copy(s, (size_t)n, BLR_ERROR_MAX);
	free(s);
	drop_codes(r);
	r->state = BLR_UNAVAILABLE;
	r->ttl = 0;
	return r->error ? MXS_OK : MXS_ERR_NOMEM;
}

mxs_status blr_result_set_reason(blr_result *r, const char *text, size_t len)
{
	free(r->reason);
	r->reason = clean_copy(text, len, BLR_REASON_MAX);
	return r->reason ? MXS_OK : MXS_ERR_NOMEM;
}

char *blr_result_line(const blr_result *r)
{
	char *out = NULL, *codes = NULL;
	size_t cap = 1;
	int n;

	for (size_t i = 0; i < r->ncodes; i++)
		cap += strlen(r->codes[i].code) + 8 +
		       (r->codes[i].meaning ? strlen(r->codes[i].meaning) : 0);
	codes = calloc(1, cap);
	if (!codes)
		return NULL;
	for (size_t i = 0; i < r->ncodes; i++) {
		size_t at = strlen(codes);
		snprintf(codes + at, cap - at, "%s%s%s%s%s", i ? ", " : " ", r->codes[i].code,
		         r->codes[i].meaning ? " (" : "",
		         r->codes[i].meaning ? r->codes[i].meaning : "",
		         r->codes[i].meaning ? ")" : "");
	}
	switch (r->state) {
	case BLR_LISTED:
		n = asprintf(&out, "%s: listed%s%s%s%s%s", r->provider, codes,
		             r->reason ? " \"" : "", r->reason ? r->reason : "",
		             r->reason ? "\"" : "", r->from_cache ? " (cached)" : "");
		break;
	case BLR_NOT_LISTED:
		n = asprintf(&out, "%s: not listed%s", r->provider,
		             r->from_cache ? " (cached)" : "");
		break;
	default:
		n = asprintf(&out, "%s: unavailable (%s)", r->provider,
		             r->error ? r->error : "no answer");
		break;
	}
	free(codes);
	return n < 0 ? NULL : out;
}

/* json_string refuses invalid UTF-8; escape bytes so no field is lost. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *c, *o;

	if (j)
		return j;
	c = malloc(strlen(s) * 4 + 1);
	if (!c)
		return NULL;
	o = c;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		o += *p < 0x80 ? sprintf(o, "%c", *p) : sprintf(o, "\\x%02x", *p);
	j = json_string(c);
	free(c);
	return j;
}

json_t *blr_result_json(const blr_result *r)
{
	json_t *o = json_object(), *codes = json_array();

	if (!o || !codes) {
		json_decref(o);
		json_decref(codes);
		return NULL;
	}
	json_object_set_new(o, "provider", jstr(r->provider));
	json_object_set_new(o, "kind", jstr(blr_kind_str(r->kind)));
	json_object_set_new(o, "state", jstr(blr_state_str(r->state)));
	for (size_t i = 0; i < r->ncodes; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "code", jstr(r->codes[i].code));
		if (r->codes[i].meaning)
			json_object_set_new(c, "meaning", jstr(r->codes[i].meaning));
		json_array_append_new(codes, c);
	}
	json_object_set_new(o, "codes", codes);
	if (r->reason)
		json_object_set_new(o, "reason", jstr(r->reason));
	if (r->error)
		json_object_set_new(o, "error", jstr(r->error));
	json_object_set_new(o, "ttl", json_integer(r->ttl));
	json_object_set_new(o, "from_cache", json_boolean(r->from_cache));
	return o;
}

/* ---- RFC 5782 ----------------------------------------------------------- */

mxs_status blr_reversed_ip(const char *ip, char *out, size_t cap)
{
	unsigned char b[16];
	size_t o = 0;

	if (!ip)
		return MXS_ERR_INVALID;
	if (inet_pton(AF_INET, ip, b) == 1) {
		int n = snprintf(out, cap, "%u.%u.%u.%u", b[3], b[2], b[1], b[0]);
		return n < 0 || (size_t)n >= cap ? MXS_ERR_LIMIT : MXS_OK;
	}
	if (inet_pton(AF_INET6, ip, b) != 1)
		return MXS_ERR_INVALID;
	/* §2.4: 32 nibbles, least significant first */
	if (cap < 64)
		return MXS_ERR_LIMIT;
	for (int i = 15; i >= 0; i--) {
		static const char hex[] = "0123456789abcdef";
		out[o++] = hex[b[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[b[i] >> 4];
		out[o++] = i ? '.' : '\0';
	}
	return MXS_OK;
}

/* A DNSBL zone: a host name (core/name's one check), its trailing dot
 * already dropped by the caller. */
static bool is_zone(const char *z, size_t len)
{
	return len > 0 && z[len - 1] != '.' && mx_name_is_host(z, len);
}

mxs_status blr_query_name(const char *ip, const char *zone, char *out, size_t cap)
{
	char rev[72];
	size_t zl = zone ? strlen(zone) : 0;
	mxs_status st;
	int n;

	if (zl && zone[zl - 1] == '.')
		zl--;
	if (!is_zone(zone ? zone : "", zl))
		return MXS_ERR_INVALID;
	st = blr_reversed_ip(ip, rev, sizeof(rev));
	if (st != MXS_OK)
		return st;
	n = snprintf(out, cap, "%s.%.*s", rev, (int)zl, zone);
	return n < 0 || (size_t)n >= cap ? MXS_ERR_LIMIT : MXS_OK;
}

static const char *code_meaning(const blr_provider *p, uint32_t addr)
{
	for (size_t i = 0; p && i < p->ncodes; i++)
		if (p->codes[i].addr == addr)
			return p->codes[i].meaning;
	return NULL;
}

/* The 127.255.255.0/24 answers big DNSBLs give instead of a verdict. */
static const char *refusal_meaning(uint8_t last)
{
	switch (last) {
	case 252: return "the query name is malformed (typing error in the DNSBL name)";
	case 254: return "queries through a public or open resolver are refused";
	case 255: return "too many queries (rate limited or over quota)";
	default: return "the query was refused";
	}
}

mxs_status blr_interpret_a(blr_result *r, const blr_provider *p, int rcode, const uint32_t *addrs,
                           size_t naddrs)
{
	mxs_status st;
	char text[INET_ADDRSTRLEN];

	drop_codes(r);
	free(r->error);
	r->error = NULL;
	if (rcode == 3)
		goto not_listed;
	if (rcode != 0) {
		static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
		                                    "NXDOMAIN", "NOTIMP",  "REFUSED"};
		if (rcode > 0 && rcode < 6)
			return blr_result_fail(r, "the DNSBL server answered %s", names[rcode]);
		return blr_result_fail(r, "the DNSBL server answered rcode %d", rcode);
	}
	if (naddrs == 0)
		goto not_listed; /* NODATA: the name exists, but not as a listing */
	/* refusals first: one anywhere voids the whole answer */
	for (size_t i = 0; i < naddrs; i++) {
		uint32_t h = ntohl(addrs[i]);
		if ((h & 0xffffff00u) == 0x7fffff00u) {
			inet_ntop(AF_INET, &addrs[i], text, sizeof(text));
			return blr_result_fail(r, "answered %s: %s", text,
			                       refusal_meaning((uint8_t)(h & 0xff)));
		}
	}
	for (size_t i = 0; i < naddrs; i++) {
		uint32_t h = ntohl(addrs[i]);
		inet_ntop(AF_INET, &addrs[i], text, sizeof(text));
		if ((h & 0xffffff00u) != 0x7f000000u || h == 0x7f000001u)
			return blr_result_fail(r,
			                       "unexpected answer %s (RFC 5782 lists with "
			                       "127.0.0.2 to 127.0.0.255)",
			                       text);
	}
	for (size_t i = 0; i < naddrs; i++) {
		inet_ntop(AF_INET, &addrs[i], text, sizeof(text));
		st = add_code(r, text, code_meaning(p, addrs[i]));
		if (st != MXS_OK)
			return st;
	}
	r->state = BLR_LISTED;
	return MXS_OK;
not_listed:
	r->state = BLR_NOT_LISTED;
	return MXS_OK;
}

/* ---- JSON pointer ------------------------------------------------------- */

bool blr_json_pointer_valid(const char *pointer)
{
	if (!pointer)
		return false;
	if (!pointer[0])
		return true;
	if (pointer[0] != '/')
		return false;
	for (const char *p = pointer; *p; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return false;
	return true;
}

json_t *blr_json_pointer(json_t *doc, const char *pointer)
{
	const char *p = pointer;
	char tok[256];

	if (!doc || !blr_json_pointer_valid(pointer))
		return NULL;
	while (*p) {
		size_t n = 0;
		p++; /* the '/' */
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~')
				c = *p++ == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (json_is_object(doc)) {
			/* json_object_get stops at NUL; a token cannot hold one */
			doc = json_object_get(doc, tok);
		} else if (json_is_array(doc)) {
			unsigned long idx;
			if (tok[0] == '0' && n > 1)
				return NULL; /* leading zeros name no element (RFC 6901 §4) */
			if (!mx_num_parse(tok, ULONG_MAX, &idx))
				return NULL; /* nor does "-" */
			doc = idx < json_array_size(doc) ? json_array_get(doc, (size_t)idx) : NULL;
		} else {
			return NULL;
		}
		if (!doc)
			return NULL;
	}
	return doc;
}

mxs_status blr_interpret_json(blr_result *r, const blr_provider *p, const char *body, size_t len)
{
	json_error_t err;
	json_t *doc = NULL, *v;
	mxs_status st = MXS_OK;

	drop_codes(r);
	if (len > BLR_BODY_MAX) {
		st = blr_result_fail(r, "the response is larger than %d KiB", BLR_BODY_MAX / 1024);
		goto done;
	}
	doc = json_loadb(body, len, 0, &err);
	if (!doc) {
		st = blr_result_fail(r, "the response is not JSON (line %d: %.80s)", err.line,
		                     err.text);
		goto done;
	}
	v = blr_json_pointer(doc, p->listed_ptr ? p->listed_ptr : "/listed");
	if (json_is_boolean(v))
		r->state = json_is_true(v) ? BLR_LISTED : BLR_NOT_LISTED;
	else if (json_is_number(v))
		r->state = json_number_value(v) != 0 ? BLR_LISTED : BLR_NOT_LISTED;
	else {
		st = blr_result_fail(r, "the response has no true/false at %.80s",
		                     p->listed_ptr ? p->listed_ptr : "/listed");
		goto done;
	}
	free(r->error);
	r->error = NULL;
	v = p->reason_ptr ? blr_json_pointer(doc, p->reason_ptr) : NULL;
	if (json_is_string(v)) {
		/* scrubbed as the provider sent it, before clean_copy or any
		 * output escaping re-encodes it */
		size_t n = json_string_length(v);
		char *s = malloc(n + 1);
		if (s) {
			memcpy(s, json_string_value(v), n + 1);
			if (blr_redact_bytes(&s, &n, p->key) == MXS_OK && s)
				st = blr_result_set_reason(r, s, n);
		}
		free(s);
	} else if (v && !json_is_null(v)) {
		/* an object reason from a provider that was sent a key is shown
		 * only once it passed redaction; when it cannot, not at all */
		char *s = blr_redact_json_dump(v, p->key);
		if (s)
			st = blr_result_set_reason(r, s, strlen(s));
		free(s);
	}
done:
	json_decref(doc);
	return st;
}

/* ---- URL templates ------------------------------------------------------ */

/* Replaces each {name} in tmpl with the value vals gives it. NULL when out
 * of memory or on an unknown placeholder. */
static char *expand(const char *tmpl, const char *const *names, const char *const *vals,
                    size_t nvals)
{
	size_t cap = strlen(tmpl) + 1, o = 0;
	char *out;

	for (size_t i = 0; i < nvals; i++)
		cap += (vals[i] ? strlen(vals[i]) : 0) * 8; /* each may appear a few times */
	out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *p = tmpl; *p;) {
		bool hit = false;
		if (*p == '{') {
			for (size_t i = 0; i < nvals; i++) {
				size_t nl = strlen(names[i]);
				if (strncmp(p + 1, names[i], nl) == 0 && p[1 + nl] == '}') {
					size_t vl = strlen(vals[i]);
					if (o + vl + 1 > cap)
						goto fail;
					memcpy(out + o, vals[i], vl);
					o += vl;
					p += nl + 2;
					hit = true;
					break;
				}
			}
			if (!hit)
				goto fail;
			continue;
		}
		if (o + 2 > cap)
			goto fail;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

char *blr_expand_url(const blr_provider *p, const char *ip)
{
	static const char *const names[] = {"ip", "reversed_ip"};
	char rev[72];
	unsigned char b[16];
	const char *vals[2];

	/* only a real address goes into a URL: nothing to escape */
	if (inet_pton(AF_INET, ip, b) != 1 && inet_pton(AF_INET6, ip, b) != 1)
		return NULL;
	if (blr_reversed_ip(ip, rev, sizeof(rev)) != MXS_OK)
		return NULL;
	vals[0] = ip;
	vals[1] = rev;
	return expand(p->url, names, vals, 2);
}

char *blr_expand_header(const blr_provider *p)
{
	static const char *const names[] = {"key"};
	const char *vals[1];

	if (!p->header)
		return NULL;
	vals[0] = p->key ? p->key : "";
	return expand(p->header, names, vals, 1);
}

/* ---- the config file ---------------------------------------------------- */

blr_config *blr_config_new(void)
{
	return calloc(1, sizeof(blr_config));
}

static void provider_clear(blr_provider *p)
{
	free(p->name);
	free(p->zone);
	free(p->url);
	free(p->header);
	if (p->key) {
		/* a secret should not linger in freed memory */
		volatile char *k = p->key;
		for (size_t i = 0; k[i]; i++)
			k[i] = 0;
		free(p->key);
	}
	free(p->key_env);
	free(p->listed_ptr);
	free(p->reason_ptr);
	for (size_t i = 0; i < p->ncodes; i++)
		free(p->codes[i].meaning);
	free(p->codes);
	memset(p, 0, sizeof(*p));
}

void blr_config_free(blr_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		provider_clear(&c->p[i]);
	free(c->p);
	free(c);
}

size_t blr_config_count(const blr_config *c)
{
	return c->n;
}

size_t blr_config_enabled_count(const blr_config *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->p[i].enabled;
	return n;
}

const blr_provider *blr_config_provider(const blr_config *c, size_t i)
{
	return i < c->n ? &c->p[i] : NULL;
}

const blr_provider *blr_config_find(const blr_config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->p[i].name, name) == 0)
			return &c->p[i];
	return NULL;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* "N/s", "N/min" or "N" (per second). */
static bool parse_rate(const char *v, double *out)
{
	char *end;
	double r;

	errno = 0;
	r = strtod(v, &end);
	if (errno || end == v || !isfinite(r) || r <= 0)
		return false;
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcmp(end, "/s") == 0 || strcmp(end, "/sec") == 0)
		;
	else if (strcmp(end, "/min") == 0 || strcmp(end, "/m") == 0)
		r /= 60.0;
	else
		return false;
	if (r < 0.001 || r > 10000)
		return false;
	*out = r;
	return true;
}

/* "127.0.0.2:spam source,127.0.0.4:exploited host" */
static bool parse_codes(blr_provider *p, const char *v)
{
	const char *s = v;

	while (*s) {
		const char *comma = strchr(s, ','), *colon;
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char addr[INET_ADDRSTRLEN], *meaning;
		uint32_t a;
		blr_codemap *g;
		colon = memchr(s, ':', len);
		if (!colon || (size_t)(colon - s) >= sizeof(addr) || p->ncodes >= MAX_CODEMAP)
			return false;
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		if (inet_pton(AF_INET, trim(addr), &a) != 1 || (ntohl(a) >> 24) != 127)
			return false;
		meaning = clean_copy(colon + 1, len - (size_t)(colon - s) - 1, 200);
		if (!meaning)
			return false;
		memmove(meaning, trim(meaning), strlen(trim(meaning)) + 1);
		g = realloc(p->codes, (p->ncodes + 1) * sizeof(*g));
		if (!g || !meaning[0]) {
			free(meaning);
			if (g)
				p->codes = g;
			return false;
		}
		p->codes = g;
		p->codes[p->ncodes++] = (blr_codemap){.addr = a, .meaning = meaning};
		s += len + (comma ? 1 : 0);
	}
	return p->ncodes > 0;
}

/* The header template: "Name: value", a token name, no line breaks. */
static bool valid_header(const char *h)
{
	const char *colon = strchr(h, ':');

	if (!colon || colon == h || strpbrk(h, "\r\n"))
		return false;
	for (const char *p = h; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

typedef struct parser {
	const char *origin;
	blr_config *c;     /* what the providers are added to at the end */
	blr_provider *p;   /* the providers read so far */
	blr_provider *cur; /* the section being read, in p */
	mxs_status st;     /* why the reading stopped */
	size_t n;
	bool has_key; /* some section has key = */
	char **why;
	blr_getenv_fn env;
	void *env_arg;
} parser;

static mxs_status perr(parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static mxs_status perr(parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	mxs_why(ps->why, "%s:%d: %s", ps->origin, line, msg ? msg : "out of memory");
	free(msg);
	return MXS_ERR_INVALID;
}

static bool set_str(char **slot, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return false;
	free(*slot);
	*slot = s;
	return true;
}

/* Checks a finished section; line is where it started. */
static mxs_status finish_section(parser *ps, blr_provider *p)
{
	int l = p->line;

	if (p->kind == BLR_DNSBL_DOH) {
		if (!p->zone)
			return perr(ps, l,
			            "[blocklist %s]: expected zone = ZONE for a dnsbl-doh "
			            "provider",
			            p->name);
		if (!p->url)
			return perr(ps, l, "[blocklist %s]: expected url = DoH endpoint", p->name);
	} else {
		if (!p->url)
			return perr(ps, l, "[blocklist %s]: expected url = template with {ip}",
			            p->name);
		if (!strstr(p->url, "{ip}") && !strstr(p->url, "{reversed_ip}"))
			return perr(ps, l, "[blocklist %s]: expected {ip} or {reversed_ip} in url",
			            p->name);
		if (!p->listed_ptr && !(p->listed_ptr = strdup("/listed")))
			return perr(ps, l, "out of memory");
	}
	if (p->key && p->key_env)
		return perr(ps, l, "[blocklist %s]: expected key = or key-env =, not both",
		            p->name);
	if (p->key_env) {
		const char *k = ps->env ? ps->env(p->key_env, ps->env_arg) : NULL;
		if (k && k[0]) {
			if (!(p->key = strdup(k)))
				return perr(ps, l, "out of memory");
		} else {
			p->key_missing = true; /* only an error if the provider is used */
		}
	}
	if ((p->key || p->key_env) && (!p->header || !strstr(p->header, "{key}")))
		return perr(ps, l,
		            "[blocklist %s]: a key is set but no header = NAME: {key} "
		            "uses it",
		            p->name);
	return MXS_OK;
}

static mxs_status set_key(parser *ps, blr_provider *p, int line, const char *k, char *v)
{
	static const char keys[] = "type, zone, url, method, header, key, key-env, "
	                           "listed-pointer, reason-pointer, rate, ttl, codes, enabled";
	bool ok = true;

	if (strcmp(k, "type") == 0) {
		if (strcmp(v, "dnsbl-doh") == 0 || strcmp(v, "dnsbl") == 0)
			p->kind = BLR_DNSBL_DOH;
		else if (strcmp(v, "json") == 0 || strcmp(v, "json-api") == 0)
			p->kind = BLR_JSON_API;
		else
			return perr(ps, line, "expected type = dnsbl-doh or json, not \"%.40s\"",
			            v);
	} else if (strcmp(k, "zone") == 0) {
		size_t n = strlen(v);
		if (n && v[n - 1] == '.')
			v[--n] = '\0';
		if (!is_zone(v, n))
			return perr(ps, line,
			            "expected zone = a DNS zone name such as "
			            "zen.example.org");
		ok = set_str(&p->zone, v);
	} else if (strcmp(k, "url") == 0) {
		if (strstr(v, "{key}"))
			return perr(ps, line, "expected the key in header =, never in the url");
		/* which URLs may be asked is net/blocklist.c's bl_url_check: it
		 * parses with libcurl, the parser that makes the request */
		if (!v[0])
			return perr(ps, line, "expected url = https://...");
		ok = set_str(&p->url, v);
		p->url_line = line;
	} else if (strcmp(k, "method") == 0) {
		if (strcasecmp(v, "get") == 0)
			p->post = false;
		else if (strcasecmp(v, "post") == 0)
			p->post = true;
		else
			return perr(ps, line, "expected method = get or post");
	} else if (strcmp(k, "header") == 0) {
		/* the value may hold a literal secret: never quoted back */
		if (!valid_header(v))
			return perr(ps, line, "expected header = Name: value");
		ok = set_str(&p->header, v);
	} else if (strcmp(k, "key") == 0) {
		if (!v[0] || strpbrk(v, "\r\n"))
			return perr(ps, line, "expected key = the API key (not shown here)");
		ok = set_str(&p->key, v);
		ps->has_key = true;
	} else if (strcmp(k, "key-env") == 0) {
		if (!valid_name(v))
			return perr(ps, line,
			            "expected key-env = the name of an environment "
			            "variable");
		ok = set_str(&p->key_env, v);
	} else if (strcmp(k, "listed-pointer") == 0 || strcmp(k, "reason-pointer") == 0) {
		if (!blr_json_pointer_valid(v))
			return perr(ps, line, "expected %s = a JSON pointer such as /listed", k);
		ok = set_str(k[0] == 'l' ? &p->listed_ptr : &p->reason_ptr, v);
	} else if (strcmp(k, "rate") == 0) {
		if (!parse_rate(v, &p->rate))
			return perr(ps, line, "expected rate = N/s or N/min (N above 0)");
	} else if (strcmp(k, "ttl") == 0) {
		unsigned long t;
		if (!mx_num_parse(v, 86400, &t))
			return perr(ps, line, "expected ttl = seconds from 0 to 86400");
		p->ttl = (uint32_t)t;
	} else if (strcmp(k, "codes") == 0) {
		if (!parse_codes(p, v))
			return perr(ps, line,
			            "expected codes = 127.0.0.2:meaning,127.0.0.4:meaning");
	} else if (strcmp(k, "enabled") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			p->enabled = true;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			p->enabled = false;
		else
			return perr(ps, line, "expected enabled = yes or no");
	} else {
		return perr(ps, line, "unknown key \"%.40s\"; expected one of %s", k, keys);
	}
	return ok ? MXS_OK : perr(ps, line, "out of memory");
}

/* One line of the config file, through core/line's reader. Non-zero
 * stops the reading, with ps->st saying why. */
static int on_config_line(const char *text, size_t len, unsigned long ln, unsigned flags, void *arg)
{
	parser *ps = arg;
	int lineno = ln > INT_MAX ? INT_MAX : (int)ln;
	char *line, *l, *eq;

	if (flags & LINE_TOO_LONG) {
		ps->st = perr(ps, lineno, "expected a line of at most %d bytes", LINE_MAX_LEN);
		return 1;
	}
	line = strndup(text, len);
	if (!line) {
		ps->st = MXS_ERR_NOMEM;
		return 1;
	}
	l = trim(line);
	if (!l[0] || l[0] == '#' || l[0] == ';')
		goto done;
	if (l[0] == '[') {
		char *end = strchr(l, ']'), *name;
		blr_provider *g;
		if (!end || trim(end + 1)[0] || strncmp(l, "[blocklist", 10) != 0 ||
		    (l[10] != ' ' && l[10] != '\t')) {
			ps->st = perr(ps, lineno, "expected a section [blocklist NAME]");
			goto done;
		}
		*end = '\0';
		name = trim(l + 10);
		if (!valid_name(name)) {
			ps->st = perr(ps, lineno,
			              "expected a provider NAME of letters, digits, "
			              "'.', '_' and '-' (at most 63)");
			goto done;
		}
		if (ps->cur && (ps->st = finish_section(ps, ps->cur)) != MXS_OK)
			goto done;
		for (size_t i = 0; i < ps->n; i++)
			if (strcmp(ps->p[i].name, name) == 0) {
				ps->st = perr(ps, lineno,
				              "[blocklist %s] is defined twice (first "
				              "at line %d)",
				              name, ps->p[i].line);
				goto done;
			}
		if (blr_config_find(ps->c, name)) {
			ps->st = perr(ps, lineno, "[blocklist %s] is already defined", name);
			goto done;
		}
		if (ps->c->n + ps->n >= BLR_MAX_PROVIDERS) {
			ps->st =
			    perr(ps, lineno, "expected at most %d providers", BLR_MAX_PROVIDERS);
			goto done;
		}
		g = realloc(ps->p, (ps->n + 1) * sizeof(*g));
		if (!g) {
			ps->st = MXS_ERR_NOMEM;
			goto done;
		}
		ps->p = g;
		ps->cur = &ps->p[ps->n++];
		*ps->cur = (blr_provider){.rate = BLR_DEFAULT_RATE,
		                          .ttl = BLR_DEFAULT_TTL,
		                          .line = lineno,
		                          .name = strdup(name)};
		if (!ps->cur->name)
			ps->st = MXS_ERR_NOMEM;
		goto done;
	}
	eq = strchr(l, '=');
	if (!eq) {
		ps->st = perr(ps, lineno, "expected key = value or [blocklist NAME]");
		goto done;
	}
	if (!ps->cur) {
		ps->st = perr(ps, lineno,
		              "expected a [blocklist NAME] section before "
		              "key = value");
		goto done;
	}
	*eq = '\0';
	ps->st = set_key(ps, ps->cur, lineno, trim(l), trim(eq + 1));
done:
	free(line);
	return ps->st != MXS_OK;
}

mxs_status blr_config_parse(blr_config *c, const char *origin, const char *text, unsigned mode,
                            blr_getenv_fn env, void *env_arg, char **warning, char **why)
{
	parser ps = {.origin = origin ? origin : "config",
	             .why = why,
	             .env = env,
	             .env_arg = env_arg,
	             .c = c};
	line_reader *lr = NULL;
	size_t tlen = strlen(text);

	if (tlen > BLR_CONFIG_MAX) {
		ps.st = perr(&ps, 1, "the file is larger than %d KiB", BLR_CONFIG_MAX / 1024);
		goto done;
	}
	lr = line_reader_new(LINE_MAX_LEN);
	if (!lr) {
		ps.st = MXS_ERR_NOMEM;
		goto done;
	}
	if ((line_feed(lr, text, tlen, on_config_line, &ps) != MXS_OK ||
	     line_finish(lr, on_config_line, &ps) != MXS_OK) &&
	    ps.st == MXS_OK)
		ps.st = MXS_ERR_NOMEM; /* the reader failed on its own: only memory */
	if (ps.st != MXS_OK)
		goto done;
	if (ps.cur && (ps.st = finish_section(&ps, ps.cur)) != MXS_OK)
		goto done;
	if (ps.n) {
		blr_provider *g = realloc(c->p, (c->n + ps.n) * sizeof(*g));
		if (!g) {
			ps.st = MXS_ERR_NOMEM;
			goto done;
		}
		c->p = g;
		memcpy(c->p + c->n, ps.p, ps.n * sizeof(*g));
		c->n += ps.n;
		ps.n = 0;
	}
	if (ps.has_key && (mode & 077) && warning)
		mxs_why(warning, "%s holds an API key and can be read by %s; run chmod 600 %s",
		        ps.origin, (mode & 007) ? "every user" : "its group", ps.origin);
done:
	for (size_t i = 0; i < ps.n; i++)
		provider_clear(&ps.p[i]);
	free(ps.p);
	line_reader_free(lr);
	return ps.st;
}

mxs_status blr_config_add_spec(blr_config *c, const char *spec, char **why)
{
	const char *at = spec ? strchr(spec, '@') : NULL;
	blr_provider p = {0}, *g;
	size_t zl;

	if (!spec || !spec[0]) {
		mxs_why(why, "expected ZONE@URL or the NAME of a provider in the config file");
		return MXS_ERR_INVALID;
	}
	if (!at) {
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->p[i].name, spec) == 0) {
				c->p[i].enabled = true;
				return MXS_OK;
			}
		mxs_why(why, "no provider \"%.63s\" in the config file, and not ZONE@URL", spec);
		return MXS_ERR_INVALID;
	}
	zl = (size_t)(at - spec);
	if (zl && spec[zl - 1] == '.')
		zl--;
	if (!is_zone(spec, zl) || zl > NAME_MAX_LEN) {
		mxs_why(why, "\"%.*s\" is not a DNSBL zone name", (int)(zl > 80 ? 80 : zl), spec);
		return MXS_ERR_INVALID;
	}
	if (!at[1]) {
		mxs_why(why, "expected ZONE@URL with an https:// URL after the @");
		return MXS_ERR_INVALID;
	}
	/* the URL itself is judged by bl_url_check when the client is made */
	p.zone = strndup(spec, zl);
	p.name = strndup(spec, zl);
	p.url = strdup(at + 1);
	p.kind = BLR_DNSBL_DOH;
	p.enabled = true;
	p.rate = BLR_DEFAULT_RATE;
	if (!p.zone || !p.name || !p.url) {
		provider_clear(&p);
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	if (blr_config_find(c, p.name) || c->n >= BLR_MAX_PROVIDERS) {
		mxs_why(why, "a provider named \"%s\" is already defined", p.name);
		provider_clear(&p);
		return MXS_ERR_INVALID;
	}
	g = realloc(c->p, (c->n + 1) * sizeof(*g));
	if (!g) {
		provider_clear(&p);
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	c->p = g;
	c->p[c->n++] = p;
	return MXS_OK;
}

mxs_status blr_config_check(const blr_config *c, char **why)
{
	for (size_t i = 0; i < c->n; i++) {
		const blr_provider *p = &c->p[i];
		if (p->enabled && p->key_missing) {
			mxs_why(why,
			        "blocklist %s: the environment variable %s (key-env) is not set",
			        p->name, p->key_env);
			return MXS_ERR_INVALID;
		}
	}
	return MXS_OK;
}
