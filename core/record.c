/* core/record.c — a `check --json` line read back into an analysed
 * mx_domain, and written again with the run's "recorded" object (record.h).
 * The reader rebuilds only what was observed (records, addresses, probes,
 * blocklist answers) and lets mx_domain_analyze derive the rest, so a replay
 * shows exactly what the rules make of what was seen. */
#include "record.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "blocklist.h"
#include "line.h"
#include "name.h"
#include "report.h"

/* ---- writing ------------------------------------------------------------ */

void rec_meta_clear(rec_meta *m)
{
	if (!m)
		return;
	free(m->at);
	free(m->version);
	free(m->resolver);
	memset(m, 0, sizeof(*m));
}

void rec_now(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%s", "");
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, mx_json_text(v, strlen(v)));
}

char *rec_line(const mx_domain *d, const rec_meta *m)
{
	json_t *root, *r;
	char *out = NULL;

	if (!m)
		return mx_report_json(d);
	/* the report is the contract; the recording adds one object to it */
	root = mx_report_value(d);
	r = json_object();
	if (!root || !r) {
		json_decref(r);
		goto done;
	}
	set_str(r, "at", m->at);
	set_str(r, "mxscope", m->version);
	set_str(r, "resolver", m->resolver);
	json_object_set_new(r, "smtp_port", json_integer(m->smtp_port));
	json_object_set_new(r, "no_probe", json_boolean(m->no_probe));
	json_object_set_new(r, "allow_loopback", json_boolean(m->allow_loopback));
	json_object_set_new(r, "timeout_ms", json_integer(m->timeout_ms));
	json_object_set_new(root, "recorded", r);
	out = mx_json_dump(root);
done:
	json_decref(root);
	return out;
}

/* ---- reading ------------------------------------------------------------ */

/* Where the reader is in the object, for messages: "mx[1].addresses[0]". */
typedef struct rd {
	char path[128];
	char **why;
} rd;

static mxs_status fail(rd *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static mxs_status fail(rd *r, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mxs_why(r->why, "%s%s%s: %s", r->path, r->path[0] && key ? "." : "", key ? key : "", msg);
	return MXS_ERR_INVALID;
}

/* Appends ".key[i]" (or "key[i]" at the top) to the path; returns the old
 * length to restore. */
static size_t push(rd *r, const char *key, size_t i)
{
	size_t n = strlen(r->path);

	snprintf(r->path + n, sizeof(r->path) - n, "%s%s[%zu]", n ? "." : "", key, i);
	return n;
}

static void pop(rd *r, size_t n)
{
	r->path[n] = '\0';
}

/* A string member; optional ones may be missing (NULL, len 0). */
static mxs_status get_str(rd *r, json_t *o, const char *key, bool need, const char **s, size_t *len)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	if (len)
		*len = 0;
	if (!v || json_is_null(v))
		return need ? fail(r, key, "missing") : MXS_OK;
	if (!json_is_string(v))
		return fail(r, key, "expected a string");
	*s = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return MXS_OK;
}

static mxs_status get_int(rd *r, json_t *o, const char *key, bool need, json_int_t lo,
                          json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return need ? fail(r, key, "missing") : MXS_OK;
	if (!json_is_integer(v))
		return fail(r, key, "expected a whole number");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(r, key, "%lld is out of range", (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return MXS_OK;
}

static mxs_status get_bool(rd *r, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return MXS_OK;
	if (!json_is_boolean(v))
		return fail(r, key, "expected true or false");
	*out = json_is_true(v);
	return MXS_OK;
}

static mxs_status get_array(rd *r, json_t *o, const char *key, size_t max, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return MXS_OK;
	if (!json_is_array(v))
		return fail(r, key, "expected a list");
	if (json_array_size(v) > max)
		return fail(r, key, "more than %zu entries", max);
	*out = v;
	return MXS_OK;
}

/* len cut to at most max bytes without splitting a UTF-8 sequence: text
 * that was UTF-8 stays UTF-8, so it is written back as it was read. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static char *dup_n(const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

/* Optional string member into *dst (replacing it). */
static mxs_status take_str(rd *r, json_t *o, const char *key, char **dst)
{
	const char *s;
	size_t len;
	mxs_status st = get_str(r, o, key, false, &s, &len);

	if (st != MXS_OK || !s)
		return st;
	free(*dst);
	*dst = dup_n(s, len);
	return *dst ? MXS_OK : MXS_ERR_NOMEM;
}

static mxs_status word_of(rd *r, json_t *o, const char *key, const char *(*word)(int), int count,
                          int *out)
{
	const char *s;
	mxs_status st = get_str(r, o, key, true, &s, NULL);

	if (st != MXS_OK)
		return st;
	for (int i = 0; i < count; i++)
		if (strcmp(word(i), s) == 0) {
			*out = i;
			return MXS_OK;
		}
	return fail(r, key, "unknown value \"%.40s\"", s);
}

static const char *rcode_word(int i)
{
	return mx_rcode_str((mx_rcode)i);
}
static const char *state_word(int i)
{
	return probe_state_word((probe_state)i);
}
static const char *bl_kind_word(int i)
{
	return blr_kind_str((blr_kind)i);
}
static const char *bl_state_word(int i)
{
	return blr_state_str((blr_state)i);
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((st = (x)) != MXS_OK)                                                          \
			goto done;                                                                 \
	} while (0)

static mxs_status read_tls(rd *r, json_t *o, probe_tls *t)
{
	mxs_status st = MXS_OK;
	size_t n;

	if (!o)
		return MXS_OK;
	if (!json_is_object(o))
		return fail(r, "tls", "expected an object");
	n = strlen(r->path);
	snprintf(r->path + n, sizeof(r->path) - n, ".tls");
	TRY(get_bool(r, o, "offered", &t->offered));
	TRY(get_bool(r, o, "done", &t->done));
	TRY(get_bool(r, o, "verified", &t->verified));
	TRY(take_str(r, o, "verify_error", &t->verify_error));
	TRY(take_str(r, o, "subject", &t->subject));
	TRY(take_str(r, o, "issuer", &t->issuer));
	TRY(take_str(r, o, "not_before", &t->not_before));
	TRY(take_str(r, o, "not_after", &t->not_after));
	TRY(take_str(r, o, "version", &t->version));
done:
	pop(r, n);
	return st;
}

static mxs_status read_times(rd *r, json_t *o, probe_times *t)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"connect_ms", offsetof(probe_times, connect)},
	    {"greeting_ms", offsetof(probe_times, greeting)},
	    {"ehlo_ms", offsetof(probe_times, ehlo)},
	    {"tls_ms", offsetof(probe_times, tls)},
	    {"total_ms", offsetof(probe_times, total)},
	};
	mxs_status st;

	if (!o)
		return MXS_OK;
	if (!json_is_object(o))
		return fail(r, "times", "expected an object");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_int_t v = -1;
		if ((st = get_int(r, o, keys[i].key, false, -1, 86400000, &v)) != MXS_OK)
			return st;
		*(long *)((char *)t + keys[i].off) = (long)v;
	}
	return MXS_OK;
}

static mxs_status read_probe(rd *r, json_t *o, const char *host, const char *ip, probe_result **out)
{
	probe_result *p = NULL;
	mxs_status st = MXS_OK;
	json_int_t port = 0, code = 0;
	int state = 0;
	const char *s;
	size_t len, n = strlen(r->path);
	json_t *ehlo;

	*out = NULL;
	snprintf(r->path + n, sizeof(r->path) - n, ".probe");
	if (!json_is_object(o)) {
		st = fail(r, NULL, "expected an object");
		goto done;
	}
	TRY(get_int(r, o, "port", true, 0, 65535, &port));
	if (!(p = probe_result_new(host, ip, (int)port))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	TRY(word_of(r, o, "state", state_word, PROBE_STATE_COUNT, &state));
	p->state = (probe_state)state;
	TRY(get_int(r, o, "code", false, 0, 999, &code));
	p->code = (int)code;
	TRY(get_str(r, o, "greeting", false, &s, &len));
	if (s) {
		len = cut_utf8(s, len, PROBE_GREETING_MAX);
		if (!(p->greeting = dup_n(s, len))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		p->greeting_len = len;
	}
	TRY(get_array(r, o, "ehlo", PROBE_EHLO_MAX_LINES, &ehlo));
	for (size_t i = 0; ehlo && i < json_array_size(ehlo); i++) {
		json_t *e = json_array_get(ehlo, i);
		if (!json_is_string(e)) {
			st = fail(r, "ehlo", "expected strings");
			goto done;
		}
		TRY(probe_ehlo_add(
		    p, json_string_value(e),
		    cut_utf8(json_string_value(e), json_string_length(e), PROBE_EHLO_LINE_MAX)));
	}
	TRY(read_tls(r, json_object_get(o, "tls"), &p->tls));
	TRY(read_times(r, json_object_get(o, "times"), &p->t));
	TRY(take_str(r, o, "error", &p->error));
	TRY(get_str(r, o, "transcript", false, &s, &len));
	if (s) {
		len = cut_utf8(s, len, PROBE_TRANSCRIPT_MAX);
		if (!(p->transcript = dup_n(s, len))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		p->transcript_len = len;
	}
	TRY(get_bool(r, o, "transcript_cut", &p->transcript_cut));
	*out = p;
	p = NULL;
done:
	probe_result_free(p);
	pop(r, n);
	return st;
}

static mxs_status read_blocklist(rd *r, json_t *o, const char *ip, blr_result **out)
{
	blr_result *b = NULL;
	mxs_status st = MXS_OK;
	const char *prov;
	int kind = 0, state = 0;
	json_int_t ttl = 0;
	json_t *codes;

	*out = NULL;
	if (!json_is_object(o))
		return fail(r, NULL, "expected an object");
	TRY(get_str(r, o, "provider", true, &prov, NULL));
	TRY(word_of(r, o, "kind", bl_kind_word, 2, &kind));
	TRY(word_of(r, o, "state", bl_state_word, 3, &state));
	if (!(b = blr_result_new(prov, (blr_kind)kind, ip))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	b->state = (blr_state)state;
	TRY(get_array(r, o, "codes", BLR_MAX_CODES, &codes));
	for (size_t i = 0; codes && i < json_array_size(codes); i++) {
		json_t *c = json_array_get(codes, i);
		const char *code, *meaning;
		if (!json_is_object(c)) {
			st = fail(r, "codes", "expected objects");
			goto done;
		}
		TRY(get_str(r, c, "code", true, &code, NULL));
		TRY(get_str(r, c, "meaning", false, &meaning, NULL));
		if (!b->meanings && !(b->meanings = calloc(BLR_MAX_CODES, sizeof(*b->meanings)))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		snprintf(b->codes[i].code, sizeof(b->codes[i].code), "%s", code);
		if (meaning && !(b->meanings[i] = strdup(meaning))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		b->codes[i].meaning = b->meanings[i];
		b->ncodes = i + 1;
	}
	TRY(take_str(r, o, "reason", &b->reason));
	TRY(take_str(r, o, "error", &b->error));
	TRY(get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	b->ttl = (uint32_t)ttl;
	TRY(get_bool(r, o, "from_cache", &b->from_cache));
	*out = b;
	b = NULL;
done:
	blr_result_free(b);
	return st;
}

static mxs_status read_addr(rd *r, mx_domain *d, size_t hi, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *ip;
	json_int_t family = 0, ttl = 0;
	json_t *probe, *bls;
	const mx_host *h;
	size_t k;

	if (!json_is_object(o))
		return fail(r, NULL, "expected an object");
	TRY(get_str(r, o, "ip", true, &ip, NULL));
	TRY(get_int(r, o, "family", true, 4, 6, &family));
	if (family == 5 || !mx_ip_family(ip) || mx_ip_family(ip) != family) {
		st = fail(r, "ip", "\"%.60s\" is not an IPv%d address", ip, (int)family);
		goto done;
	}
	TRY(get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	TRY(mx_host_add_addr(d, hi, (int)family, ip, (uint32_t)ttl));
	/* IPv6 goes before IPv4: find where it landed */
	h = mx_domain_host(d, hi);
	for (k = 0; k < h->naddrs && strcmp(h->addrs[k].ip, ip) != 0; k++)
		;
	probe = json_object_get(o, "probe");
	if (probe) {
		probe_result *p;
		TRY(read_probe(r, probe, h->exchange, ip, &p));
		TRY(mx_host_set_probe(d, hi, k, p));
	}
	TRY(get_array(r, o, "blocklists", BLR_MAX_PROVIDERS, &bls));
	for (size_t i = 0; bls && i < json_array_size(bls); i++) {
		size_t n = push(r, "blocklists", i);
		blr_result *b;
		st = read_blocklist(r, json_array_get(bls, i), ip, &b);
		if (st == MXS_OK)
			st = mx_host_add_blocklist(d, hi, k, b);
		if (st != MXS_OK)
			goto done;
		pop(r, n);
	}
done:
	return st;
}

static mxs_status read_host(rd *r, mx_domain *d, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *ex, *cname;
	json_int_t pref = 0, ttl = 0;
	bool implicit = false;
	int rc = 0;
	size_t hi;
	json_t *addrs;

	if (!json_is_object(o))
		return fail(r, NULL, "expected an object");
	TRY(get_str(r, o, "exchange", true, &ex, NULL));
	TRY(get_int(r, o, "preference", true, 0, 65535, &pref));
	TRY(get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	TRY(get_bool(r, o, "implicit", &implicit));
	if (strlen(ex) >= MX_NAME_MAX) {
		st = fail(r, "exchange", "longer than a DNS name");
		goto done;
	}
	if (implicit) {
		TRY(mx_domain_add_implicit(d, &hi));
	} else {
		TRY(mx_domain_add_mx(d, (uint16_t)pref, ex, (uint32_t)ttl, &hi));
	}
	TRY(get_str(r, o, "cname", false, &cname, NULL));
	if (cname) {
		if (strlen(cname) >= MX_NAME_MAX) {
			st = fail(r, "cname", "longer than a DNS name");
			goto done;
		}
		TRY(mx_host_set_cname(d, hi, cname));
	}
	if (json_object_get(o, "a_rcode")) {
		TRY(word_of(r, o, "a_rcode", rcode_word, MX_RC_ERROR + 1, &rc));
		TRY(mx_host_set_rcode(d, hi, 4, (mx_rcode)rc));
	}
	if (json_object_get(o, "aaaa_rcode")) {
		TRY(word_of(r, o, "aaaa_rcode", rcode_word, MX_RC_ERROR + 1, &rc));
		TRY(mx_host_set_rcode(d, hi, 6, (mx_rcode)rc));
	}
	TRY(get_array(r, o, "addresses", REC_MAX_ADDRS, &addrs));
	for (size_t k = 0; addrs && k < json_array_size(addrs); k++) {
		size_t n = push(r, "addresses", k);
		TRY(read_addr(r, d, hi, json_array_get(addrs, k)));
		pop(r, n);
	}
done:
	return st;
}

static mxs_status read_srv(rd *r, mx_domain *d, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *svc, *target;
	json_int_t pri = 0, weight = 0, port = 0, ttl = 0;

	if (!json_is_object(o))
		return fail(r, NULL, "expected an object");
	TRY(get_str(r, o, "service", true, &svc, NULL));
	TRY(get_str(r, o, "target", true, &target, NULL));
	TRY(get_int(r, o, "priority", true, 0, 65535, &pri));
	TRY(get_int(r, o, "weight", true, 0, 65535, &weight));
	TRY(get_int(r, o, "port", true, 0, 65535, &port));
	TRY(get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	if (strlen(svc) >= MX_NAME_MAX || strlen(target) >= MX_NAME_MAX) {
		st = fail(r, NULL, "a name longer than a DNS name");
		goto done;
	}
	st = mx_domain_add_srv(d, svc, (uint16_t)pri, (uint16_t)weight, (uint16_t)port, target,
	                       (uint32_t)ttl);
done:
	return st;
}

static mxs_status read_meta(rd *r, json_t *o, rec_meta *m)
{
	mxs_status st = MXS_OK;
	json_int_t port = 0, tmo = 0;

	if (!json_is_object(o))
		return fail(r, "recorded", "expected an object");
	snprintf(r->path, sizeof(r->path), "recorded");
	m->present = true;
	TRY(take_str(r, o, "at", &m->at));
	TRY(take_str(r, o, "mxscope", &m->version));
	TRY(take_str(r, o, "resolver", &m->resolver));
	TRY(get_int(r, o, "smtp_port", false, 0, 65535, &port));
	TRY(get_int(r, o, "timeout_ms", false, 0, 86400000, &tmo));
	TRY(get_bool(r, o, "no_probe", &m->no_probe));
	TRY(get_bool(r, o, "allow_loopback", &m->allow_loopback));
	m->smtp_port = (int)port;
	m->timeout_ms = (unsigned)tmo;
done:
	r->path[0] = '\0';
	return st;
}

/* A `check --json` line without "recorded" (an older mxscope, or check
 * output piped through other tools): the loopback policy is read off the
 * findings it printed, so a lab run replays as it ran. Loopback counted as
 * ordinary unless a loopback address was called non-public; either way the
 * analysis gives findings that read back to the same policy. */
static bool guess_loopback(json_t *root)
{
	json_t *f = json_object_get(root, "findings"), *v;
	size_t i;

	json_array_foreach(f, i, v)
	{
		const char *c = json_string_value(json_object_get(v, "code"));
		const char *s = json_string_value(json_object_get(v, "subject"));
		if (c && s && strcmp(c, "mx-non-public-address") == 0 && mx_ip_is_loopback(s))
			return false;
	}
	return true;
}

mxs_status rec_parse(const char *line, size_t len, mx_domain **out, rec_meta *m, char **why)
{
	rd r = {.why = why};
	json_error_t err;
	json_t *root = NULL, *arr;
	mx_domain *d = NULL;
	rec_meta local = {0};
	mxs_status st = MXS_OK;
	const char *name, *as = NULL, *rc_why;
	char *norm = NULL;
	json_int_t seed = 0;
	int rc = MX_RC_NOT_ASKED;
	mx_options opt = {0};

	*out = NULL;
	if (!m)
		m = &local;
	rec_meta_clear(m);
	if (len > REC_LINE_MAX) {
		mxs_why(why, "line longer than %u bytes", REC_LINE_MAX);
		return MXS_ERR_INVALID;
	}
	root = json_loadb(line, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		/* a crash while recording cuts the last line short */
		mxs_why(why, "%s at column %d%s", err.text, err.column,
		        (size_t)err.position >= len ? " (truncated line?)" : "");
		return MXS_ERR_INVALID;
	}
	if (!json_is_object(root)) {
		st = fail(&r, NULL, "expected one JSON object per line");
		goto done;
	}
	TRY(get_str(&r, root, "domain", true, &name, NULL));
	if (mx_name_normalize(name, &norm, NULL) != MXS_OK) {
		st = fail(&r, "domain", "\"%.80s\" is not a domain name", name);
		goto done;
	}
	if (!(d = mx_domain_new(norm))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	if (json_object_get(root, "recorded")) {
		TRY(read_meta(&r, json_object_get(root, "recorded"), m));
		opt.allow_loopback = m->allow_loopback;
	} else {
		opt.allow_loopback = m->allow_loopback = guess_loopback(root);
	}
	TRY(word_of(&r, root, "mx_rcode", rcode_word, MX_RC_ERROR + 1, &rc));
	TRY(get_str(&r, root, "mx_error", false, &rc_why, NULL));
	TRY(mx_domain_set_mx_rcode(d, (mx_rcode)rc, rc_why));
	TRY(get_int(&r, root, "seed", false, 0, INT64_MAX, &seed));
	TRY(get_str(&r, root, "as", false, &as, NULL));
	TRY(get_array(&r, root, "mx", REC_MAX_HOSTS, &arr));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		push(&r, "mx", i);
		TRY(read_host(&r, d, json_array_get(arr, i)));
		pop(&r, 0);
	}
	TRY(get_array(&r, root, "srv", MX_SRV_MAX, &arr));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		push(&r, "srv", i);
		TRY(read_srv(&r, d, json_array_get(arr, i)));
		pop(&r, 0);
	}
	opt.seed = (uint64_t)seed;
	opt.as_host = as;
	TRY(mx_domain_analyze(d, &opt));
	*out = d;
	d = NULL;
done:
	if (st == MXS_ERR_NOMEM)
		mxs_why(why, "out of memory");
	mx_domain_free(d);
	json_decref(root);
	free(norm);
	rec_meta_clear(&local);
	return st;
}

/* ---- files -------------------------------------------------------------- */

typedef struct file_ctx {
	const char *path;
	rec_cb cb;
	void *arg;
	size_t bad;
} file_ctx;

static void bad_line(file_ctx *f, unsigned long lineno, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s:%lu: %s", f->path, lineno, what);
	f->bad++;
	f->cb(NULL, NULL, msg, lineno, f->arg);
}

static int on_line(const char *line, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	file_ctx *f = arg;
	mx_domain *d = NULL;
	rec_meta m = {0};
	char *why = NULL;
	size_t i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len && !flags)
		return 0;
	if (flags & LINE_TOO_LONG) {
		bad_line(f, lineno, "line too long; skipped");
		return 0;
	}
	if (rec_parse(line, len, &d, &m, &why) != MXS_OK) {
		bad_line(f, lineno, why ? why : "out of memory");
		free(why);
		return 0;
	}
	f->cb(d, &m, NULL, lineno, f->arg);
	rec_meta_clear(&m);
	return 0;
}

mxs_status rec_read_file(const char *path, rec_cb cb, void *arg, size_t *nbad, char **why)
{
	file_ctx f = {.path = path, .cb = cb, .arg = arg};
	mxs_status st = line_read_file(path, REC_LINE_MAX, on_line, &f, why);

	if (nbad)
		*nbad = f.bad;
	return st;
}

/* ---- appending ---------------------------------------------------------- */

int rec_open(const char *path, char **why)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);

	if (fd < 0)
		mxs_why(why, "%s: cannot open for recording: %s", path, strerror(errno));
	return fd;
}

mxs_status rec_append(int fd, const char *line, char **why)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	ssize_t n;

	if (!buf) {
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	do
		n = write(fd, buf, len + 1);
	while (n < 0 && errno == EINTR);
	free(buf);
	if (n != (ssize_t)(len + 1)) {
		mxs_why(why, "cannot write the recording: %s",
		        n < 0 ? strerror(errno) : "short write (disk full?)");
		return MXS_ERR_IO;
	}
	return MXS_OK;
}
