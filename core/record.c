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
#include "record_int.h"
#include "report.h"

/* ---- writing ------------------------------------------------------------ */

void rec_meta_clear(rec_meta *m)
{
	if (!m)
		return;
	free(m->at);
	free(m->version);
	free(m->resolver);
	free(m->ehlo);
	memset(m, 0, sizeof(*m));
}

static bool dup_or_null(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

mxs_status rec_meta_copy(rec_meta *dst, const rec_meta *src)
{
	*dst = *src;
	dst->at = dst->version = dst->resolver = dst->ehlo = NULL;
	if (dup_or_null(&dst->at, src->at) && dup_or_null(&dst->version, src->version) &&
	    dup_or_null(&dst->resolver, src->resolver) && dup_or_null(&dst->ehlo, src->ehlo))
		return MXS_OK;
	rec_meta_clear(dst);
	return MXS_ERR_NOMEM;
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
	set_str(r, "ehlo", m->ehlo);
	if (m->mta_sts_port > 0)
		json_object_set_new(r, "mta_sts_port", json_integer(m->mta_sts_port));
	if (m->ns_port > 0)
		json_object_set_new(r, "ns_port", json_integer(m->ns_port));
	if (m->dane)
		json_object_set_new(r, "dane", json_true());
	json_object_set_new(root, "recorded", r);
	out = mx_json_dump(root);
done:
	json_decref(root);
	return out;
}

/* ---- reading ------------------------------------------------------------ */

mxs_status rec_fail(rd *r, const char *key, const char *fmt, ...)
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
size_t rec_push(rd *r, const char *key, size_t i)
{
	size_t n = strlen(r->path);

	if (i == (size_t)-1)
		snprintf(r->path + n, sizeof(r->path) - n, "%s%s", n ? "." : "", key);
	else
		snprintf(r->path + n, sizeof(r->path) - n, "%s%s[%zu]", n ? "." : "", key, i);
	return n;
}

void rec_pop(rd *r, size_t n)
{
	r->path[n] = '\0';
}

/* A string member; optional ones may be missing (NULL, len 0). */
mxs_status rec_get_str(rd *r, json_t *o, const char *key, bool need, const char **s, size_t *len)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	if (len)
		*len = 0;
	if (!v || json_is_null(v))
		return need ? rec_fail(r, key, "missing") : MXS_OK;
	if (!json_is_string(v))
		return rec_fail(r, key, "expected a string");
	*s = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return MXS_OK;
}

mxs_status rec_get_int(rd *r, json_t *o, const char *key, bool need, json_int_t lo, json_int_t hi,
                       json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return need ? rec_fail(r, key, "missing") : MXS_OK;
	if (!json_is_integer(v))
		return rec_fail(r, key, "expected a whole number");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return rec_fail(r, key, "%lld is out of range", (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return MXS_OK;
}

mxs_status rec_get_bool(rd *r, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return MXS_OK;
	if (!json_is_boolean(v))
		return rec_fail(r, key, "expected true or false");
	*out = json_is_true(v);
	return MXS_OK;
}

mxs_status rec_get_array(rd *r, json_t *o, const char *key, size_t max, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return MXS_OK;
	if (!json_is_array(v))
		return rec_fail(r, key, "expected a list");
	if (json_array_size(v) > max)
		return rec_fail(r, key, "more than %zu entries", max);
	*out = v;
	return MXS_OK;
}

/* len cut to at most max bytes without splitting a UTF-8 sequence: text
 * that was UTF-8 stays UTF-8, so it is written back as it was read. */
size_t rec_cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

char *rec_dup_n(const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

/* Optional string member into *dst (replacing it). */
mxs_status rec_take_str(rd *r, json_t *o, const char *key, char **dst)
{
	const char *s;
	size_t len;
	mxs_status st = rec_get_str(r, o, key, false, &s, &len);

	if (st != MXS_OK || !s)
		return st;
	free(*dst);
	*dst = rec_dup_n(s, len);
	return *dst ? MXS_OK : MXS_ERR_NOMEM;
}

mxs_status rec_word_of(rd *r, json_t *o, const char *key, const char *(*word)(int), int count,
                       int *out)
{
	const char *s;
	mxs_status st = rec_get_str(r, o, key, true, &s, NULL);

	if (st != MXS_OK)
		return st;
	for (int i = 0; i < count; i++)
		if (word(i) && strcmp(word(i), s) == 0) {
			*out = i;
			return MXS_OK;
		}
	return rec_fail(r, key, "unknown value \"%.40s\"", s);
}

/* A name as a live scan records it: c-ares hands back every byte no host
 * name holds as a \DDD escape (core/name.h), so a recorded name is
 * printable ASCII without blanks; anything else was not written by
 * mxscope and is refused. */
mxs_status rec_check_name(rd *r, const char *key, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; s && *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return rec_fail(r, key,
			                "byte %zu (0x%02x) is not in a DNS name as mxscope "
			                "records it (printable ASCII, no blanks)",
			                (size_t)(p - (const unsigned char *)s), *p);
	return MXS_OK;
}

/* The one time format mxscope writes (RFC 3339 UTC, net/cert.c, rec_now). */
static bool is_time(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	int mon, day, hh, mm, ss;

	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return false;
	if (sscanf(s + 5, "%2d-%2dT%2d:%2d:%2d", &mon, &day, &hh, &mm, &ss) != 5)
		return false;
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh <= 23 && mm <= 59 && ss <= 60;
}

mxs_status rec_take_time(rd *r, json_t *o, const char *key, char **dst)
{
	const char *s;
	mxs_status st = rec_get_str(r, o, key, false, &s, NULL);

	if (st != MXS_OK || !s)
		return st;
	if (!is_time(s))
		return rec_fail(r, key, "expected a time as YYYY-MM-DDTHH:MM:SSZ");
	return rec_take_str(r, o, key, dst);
}

const char *rec_rcode_word(int i)
{
	return mx_rcode_str((mx_rcode)i);
}

/* An optional string without NULs of at most max bytes (*s NULL when none). */
static mxs_status get_str_max(rd *r, json_t *o, const char *key, size_t max, const char **s)
{
	size_t len;
	mxs_status st = rec_get_str(r, o, key, false, s, &len);

	if (st == MXS_OK && *s && (len > max || strlen(*s) != len))
		return rec_fail(r, key, "longer than %zu bytes, or holds a NUL", max);
	return st;
}

mxs_status rec_get_strings(rd *r, json_t *o, const char *key, size_t max, size_t maxlen,
                           const char ***out, size_t *n)
{
	json_t *arr;
	mxs_status st = rec_get_array(r, o, key, max, &arr);

	*out = NULL;
	*n = 0;
	if (st != MXS_OK || !arr || json_array_size(arr) == 0)
		return st;
	if (!(*out = calloc(json_array_size(arr), sizeof(**out))))
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v) || json_string_length(v) > maxlen ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			free(*out);
			*out = NULL;
			return rec_fail(r, key, "entry %zu: expected a string of at most %zu bytes",
			                i, maxlen);
		}
		(*out)[(*n)++] = json_string_value(v);
	}
	return MXS_OK;
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
		return rec_fail(r, NULL, "expected an object");
	TRY(rec_get_str(r, o, "ip", true, &ip, NULL));
	TRY(rec_get_int(r, o, "family", true, 4, 6, &family));
	if (family == 5 || !mx_ip_family(ip) || mx_ip_family(ip) != family) {
		st = rec_fail(r, "ip", "\"%.60s\" is not an IPv%d address", ip, (int)family);
		goto done;
	}
	TRY(rec_get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	TRY(mx_host_add_addr(d, hi, (int)family, ip, (uint32_t)ttl));
	/* IPv6 goes before IPv4: find where it landed */
	h = mx_domain_host(d, hi);
	for (k = 0; k < h->naddrs && strcmp(h->addrs[k].ip, ip) != 0; k++)
		;
	probe = json_object_get(o, "probe");
	if (probe) {
		probe_result *p;
		TRY(rec_read_probe(r, probe, h->exchange, ip, &p));
		TRY(mx_host_set_probe(d, hi, k, p));
	}
	TRY(rec_get_array(r, o, "blocklists", BLR_MAX_PROVIDERS, &bls));
	for (size_t i = 0; bls && i < json_array_size(bls); i++) {
		size_t n = rec_push(r, "blocklists", i);
		blr_result *b;
		st = rec_read_blocklist(r, json_array_get(bls, i), ip, &b);
		if (st == MXS_OK)
			st = mx_host_add_blocklist(d, hi, k, b);
		if (st != MXS_OK)
			goto done;
		rec_pop(r, n);
	}
	TRY(rec_read_ptr(r, d, hi, k, o));
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
		return rec_fail(r, NULL, "expected an object");
	TRY(rec_get_str(r, o, "exchange", true, &ex, NULL));
	TRY(rec_get_int(r, o, "preference", true, 0, 65535, &pref));
	TRY(rec_get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	TRY(rec_get_bool(r, o, "implicit", &implicit));
	if (strlen(ex) >= MX_NAME_MAX) {
		st = rec_fail(r, "exchange", "longer than a DNS name");
		goto done;
	}
	TRY(rec_check_name(r, "exchange", ex));
	if (implicit) {
		TRY(mx_domain_add_implicit(d, &hi));
	} else {
		TRY(mx_domain_add_mx(d, (uint16_t)pref, ex, (uint32_t)ttl, &hi));
	}
	TRY(rec_get_str(r, o, "cname", false, &cname, NULL));
	if (cname) {
		if (strlen(cname) >= MX_NAME_MAX) {
			st = rec_fail(r, "cname", "longer than a DNS name");
			goto done;
		}
		TRY(rec_check_name(r, "cname", cname));
		TRY(mx_host_set_cname(d, hi, cname));
	}
	/* net/dns_wire.c follows at most 16 aliases */
	TRY(get_str_max(r, o, "cname_loop", 18 * (MX_NAME_MAX + 4), &cname));
	if (cname)
		TRY(mx_host_set_cname_loop(d, hi, cname));
	if (json_object_get(o, "a_rcode")) {
		TRY(rec_word_of(r, o, "a_rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc));
		TRY(mx_host_set_rcode(d, hi, 4, (mx_rcode)rc));
	}
	if (json_object_get(o, "aaaa_rcode")) {
		TRY(rec_word_of(r, o, "aaaa_rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc));
		TRY(mx_host_set_rcode(d, hi, 6, (mx_rcode)rc));
	}
	TRY(rec_get_array(r, o, "addresses", REC_MAX_ADDRS, &addrs));
	for (size_t k = 0; addrs && k < json_array_size(addrs); k++) {
		size_t n = rec_push(r, "addresses", k);
		TRY(read_addr(r, d, hi, json_array_get(addrs, k)));
		rec_pop(r, n);
	}
	TRY(rec_read_tlsa(r, d, hi, o));
done:
	return st;
}

static mxs_status read_srv(rd *r, mx_domain *d, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *svc, *target;
	json_int_t pri = 0, weight = 0, port = 0, ttl = 0;

	if (!json_is_object(o))
		return rec_fail(r, NULL, "expected an object");
	TRY(rec_get_str(r, o, "service", true, &svc, NULL));
	TRY(rec_get_str(r, o, "target", true, &target, NULL));
	TRY(rec_get_int(r, o, "priority", true, 0, 65535, &pri));
	TRY(rec_get_int(r, o, "weight", true, 0, 65535, &weight));
	TRY(rec_get_int(r, o, "port", true, 0, 65535, &port));
	TRY(rec_get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	if (strlen(svc) >= MX_NAME_MAX || strlen(target) >= MX_NAME_MAX) {
		st = rec_fail(r, NULL, "a name longer than a DNS name");
		goto done;
	}
	TRY(rec_check_name(r, "service", svc));
	TRY(rec_check_name(r, "target", target));
	st = mx_domain_add_srv(d, svc, (uint16_t)pri, (uint16_t)weight, (uint16_t)port, target,
	                       (uint32_t)ttl);
done:
	return st;
}

/* "127.0.0.1:53, [::1]:5300" as c-ares lists its servers: addresses,
 * ports, brackets, commas and blanks, nothing else. */
static mxs_status check_resolver(rd *r, const char *s)
{
	static const char ok[] = "0123456789abcdefABCDEF.:[]%, ";

	if (s && strspn(s, ok) != strlen(s))
		return rec_fail(r, "resolver", "not a list of addresses and ports");
	return MXS_OK;
}

static mxs_status read_meta(rd *r, json_t *o, rec_meta *m)
{
	mxs_status st = MXS_OK;
	json_int_t port = 0, tmo = 0, sts_port = 0, ns_port = 0;

	if (!json_is_object(o))
		return rec_fail(r, "recorded", "expected an object");
	snprintf(r->path, sizeof(r->path), "recorded");
	m->present = true;
	TRY(rec_take_time(r, o, "at", &m->at));
	TRY(rec_take_str(r, o, "mxscope", &m->version));
	TRY(rec_check_name(r, "mxscope", m->version));
	TRY(rec_take_str(r, o, "resolver", &m->resolver));
	TRY(check_resolver(r, m->resolver));
	TRY(rec_get_int(r, o, "smtp_port", false, 0, 65535, &port));
	TRY(rec_get_int(r, o, "timeout_ms", false, 0, 86400000, &tmo));
	TRY(rec_get_bool(r, o, "no_probe", &m->no_probe));
	TRY(rec_get_bool(r, o, "allow_loopback", &m->allow_loopback));
	TRY(rec_take_str(r, o, "ehlo", &m->ehlo));
	TRY(rec_check_name(r, "ehlo", m->ehlo));
	TRY(rec_get_int(r, o, "mta_sts_port", false, 0, 65535, &sts_port));
	TRY(rec_get_int(r, o, "ns_port", false, 0, 65535, &ns_port));
	TRY(rec_get_bool(r, o, "dane", &m->dane));
	m->mta_sts_port = (int)sts_port;
	m->ns_port = (int)ns_port;
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

/* The run judged port 25 blocked (check's egress-blocked): the line says so
 * in its findings. Only believed where a probe timed out at connect, as
 * the analysis then says it again (a line read and written reads back the
 * same). */
static bool guess_egress(json_t *root, const mx_domain *d)
{
	json_t *f = json_object_get(root, "findings"), *v;
	bool said = false, timeout = false;
	size_t i;

	json_array_foreach(f, i, v)
	{
		const char *c = json_string_value(json_object_get(v, "code"));
		said |= c && strcmp(c, "egress-blocked") == 0;
	}
	for (i = 0; said && i < mx_domain_host_count(d); i++)
		for (size_t k = 0; k < mx_domain_host(d, i)->naddrs; k++)
			timeout |=
			    mx_domain_host(d, i)->addrs[k].probe &&
			    mx_domain_host(d, i)->addrs[k].probe->state == PROBE_CONNECT_TIMEOUT;
	return said && timeout;
}

/* Whether the attempt (or NULL) is the top-level "delivered_to" v. */
static bool same_attempt(const mx_domain *d, const sender_walk *w, json_t *v)
{
	const mx_attempt *a;
	long at = w ? w->delivered : -1;
	const char *host = json_string_value(json_object_get(v, "host")),
	           *ip = json_string_value(json_object_get(v, "ip"));

	if (at < 0 || !host || !ip)
		return at < 0 && (!v || json_is_null(v));
	a = sender_walk_attempt(w, (size_t)at);
	return a && strcmp(mx_domain_host(d, a->host)->exchange, host) == 0 &&
	       strcmp(mx_domain_host(d, a->host)->addrs[a->addr].ip, ip) == 0;
}

/* --sender: the top-level delivered_to follows the chosen profile's walk.
 * The line does not name the profile; the first whose walk ends where the
 * line says is taken (they give the same line). */
static sender_profile guess_sender(json_t *root, const mx_domain *d)
{
	json_t *v = json_object_get(root, "delivered_to");
	const sender_walk *w = mx_domain_sender(d, SENDER_OPPORTUNISTIC);

	if (!w || same_attempt(d, w, v))
		return SENDER_OPPORTUNISTIC;
	for (int p = 1; p < SENDER_COUNT; p++)
		if (mx_domain_sender(d, (sender_profile)p) &&
		    same_attempt(d, mx_domain_sender(d, (sender_profile)p), v))
			return (sender_profile)p;
	return SENDER_OPPORTUNISTIC;
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
		st = rec_fail(&r, NULL, "expected one JSON object per line");
		goto done;
	}
	TRY(rec_get_str(&r, root, "domain", true, &name, NULL));
	if (mx_name_normalize(name, &norm, NULL) != MXS_OK) {
		st = rec_fail(&r, "domain", "\"%.80s\" is not a domain name", name);
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
	TRY(rec_word_of(&r, root, "mx_rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc));
	TRY(rec_get_str(&r, root, "mx_error", false, &rc_why, NULL));
	TRY(mx_domain_set_mx_rcode(d, (mx_rcode)rc, rc_why));
	TRY(rec_get_int(&r, root, "seed", false, 0, INT64_MAX, &seed));
	TRY(rec_get_str(&r, root, "as", false, &as, NULL));
	TRY(rec_check_name(&r, "as", as));
	TRY(rec_get_array(&r, root, "mx", REC_MAX_HOSTS, &arr));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		rec_push(&r, "mx", i);
		TRY(read_host(&r, d, json_array_get(arr, i)));
		rec_pop(&r, 0);
	}
	TRY(rec_get_array(&r, root, "srv", MX_SRV_MAX, &arr));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		rec_push(&r, "srv", i);
		TRY(read_srv(&r, d, json_array_get(arr, i)));
		rec_pop(&r, 0);
	}
	TRY(rec_read_domain_dns(&r, d, root));
	opt.seed = (uint64_t)seed;
	opt.as_host = as;
	opt.egress_blocked = guess_egress(root, d);
	TRY(mx_domain_analyze(d, &opt));
	if ((opt.sender = guess_sender(root, d)) != SENDER_OPPORTUNISTIC)
		TRY(mx_domain_analyze(d, &opt));
	*out = d;
	d = NULL;
done:
	if (st == MXS_ERR_NOMEM)
		mxs_why(why, "out of memory");
	/* a line refused half way: what its "recorded" gave so far goes too */
	if (st != MXS_OK)
		rec_meta_clear(m);
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
	/* never through a symbolic link: a link planted where a recording is
	 * expected (a shared directory) would have it appended to the file the
	 * link names */
	int fd =
	    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);

	if (fd < 0 && errno == ELOOP)
		mxs_why(why, "%s: a symbolic link; --record writes only to the file it is given",
		        path);
	else if (fd < 0)
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
