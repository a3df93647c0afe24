/* src/explaincmd.c — `mxscope explain [OPTIONS] FILE...|-`: evidence of a
 * stuck or bounced message (core/ev.h: logs, queues, DSNs, TLS-RPT) is
 * read, each recipient domain it names is checked once through the one scan
 * pipeline (settings_scan_config, every option as for check) or looked up
 * in a recording (--replay), and every item gets its verdict
 * (core/explain.h). Text groups the items per domain, MX/address, phase and
 * reply; --json writes one object per item, then one summary object
 * (docs/explain.md). Exit 0 nothing reproduced, 1 something reproduced,
 * 2 usage or unreadable input, 3 could not run. */
#include "explaincmd.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zlib.h>

#include "check.h"
#include "ev.h"
#include "explain.h"
#include "record.h"
#include "report.h"
#include "scan.h"
#include "settings.h"
#include "text.h"

#define MAX_GROUPS 4096

/* Items with the same domain, MX, address, port, phase, status and reply
 * code: one line of the text output, one verdict. */
typedef struct xgroup {
	uint32_t hash; /* of the key's fields, compared first */
	ev_item key;   /* the first item: its fields stand for the group's */
	ev_kind kind;
	unsigned long count, nitems; /* messages or sessions, items */
	char first_when[40], last_when[40];
	char first_src[3][160];
	explain_result res;
	bool judged;
} xgroup;

/* What --json prints of each item beyond its group's fields. */
typedef struct xitem {
	char *source, *when, *queue_id, *recipient, *text;
	size_t group;
	unsigned long count;
} xitem;

typedef struct xfile {
	const char *name;
	ev_kind kind;
	unsigned long lines, items, bad;
	unsigned long first_bad[EV_BAD_KEEP];
	size_t nfirst;
} xfile;

typedef struct explain_ctx {
	const cli_opts *o;
	const ev_reader *cur; /* the input being read */
	xgroup *groups;
	size_t ngroups;
	xitem *items;
	size_t nitems, capitems;
	unsigned long delivered, overflow;
	xfile *files;
	size_t nfiles;
	/* the check */
	char **domains;
	size_t ndomains, next_domain, inflight;
	scan *s;
	int port;
	bool done, nomem;
} explain_ctx;

/* ---- reading the evidence ---------------------------------------------------- */

static bool same_group(const ev_item *a, const ev_item *b)
{
	return a->phase == b->phase && a->code == b->code && a->port == b->port &&
	       a->policy == b->policy && strcmp(a->domain, b->domain) == 0 &&
	       strcmp(a->mx_host, b->mx_host) == 0 && strcmp(a->ip, b->ip) == 0 &&
	       strcmp(a->status, b->status) == 0;
}

static uint32_t fnv(uint32_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ c[i]) * 16777619u;
	return h;
}

static uint32_t group_hash(const ev_item *it)
{
	uint32_t h = 2166136261u;
	int ints[4] = {(int)it->phase, it->code, it->port, (int)it->policy};

	h = fnv(h, it->domain, strlen(it->domain));
	h = fnv(h, it->mx_host, strlen(it->mx_host));
	h = fnv(h, it->ip, strlen(it->ip));
	h = fnv(h, it->status, strlen(it->status));
	return fnv(h, ints, sizeof(ints));
}

static bool is_delivered(const ev_item *it)
{
	return strcmp(it->status, "sent") == 0 || strcmp(it->status, "delivered") == 0;
}

static char *dup_or_null(const char *s)
{
	return s[0] ? strdup(s) : NULL;
}

static void on_item(const ev_item *it, void *arg)
{
	explain_ctx *x = arg;
	size_t g;
	xgroup *gr;
	xitem *xi;
	uint32_t h;

	if (is_delivered(it)) {
		/* not a failure: counted, not judged */
		x->delivered += it->count;
		return;
	}
	h = group_hash(it);
	for (g = x->ngroups; g > 0; g--)
		if (x->groups[g - 1].hash == h && same_group(&x->groups[g - 1].key, it))
			break;
	if (g == 0) {
		if (x->ngroups == MAX_GROUPS) {
			x->overflow++;
			return;
		}
		g = ++x->ngroups;
		gr = &x->groups[g - 1];
		memset(gr, 0, sizeof(*gr));
		gr->hash = h;
		gr->key = *it;
		gr->kind = x->cur ? ev_reader_kind(x->cur) : EV_UNKNOWN;
		snprintf(gr->first_when, sizeof(gr->first_when), "%s", it->when);
	}
	gr = &x->groups[g - 1];
	if (gr->nitems < 3)
		snprintf(gr->first_src[gr->nitems], sizeof(gr->first_src[0]), "%s", it->source);
	gr->nitems++;
	gr->count += it->count;
	if (it->when[0])
		snprintf(gr->last_when, sizeof(gr->last_when), "%s", it->when);
	if (!x->o->set.json)
		return;
	if (x->nitems == x->capitems) {
		size_t cap = x->capitems ? x->capitems * 2 : 256;
		xitem *n = realloc(x->items, cap * sizeof(*n));
		if (!n) {
			x->nomem = true;
			return;
		}
		x->items = n;
		x->capitems = cap;
	}
	xi = &x->items[x->nitems++];
	*xi = (xitem){.source = strdup(it->source),
	              .when = dup_or_null(it->when),
	              .queue_id = dup_or_null(it->queue_id),
	              .recipient = dup_or_null(it->recipient),
	              .text = dup_or_null(it->text),
	              .group = g - 1,
	              .count = it->count};
}

/* Bytes of one input into the reader, gzip undone when it starts with
 * gzip's magic (RFC 1952): TLS-RPT reports come compressed. */
static int read_input(explain_ctx *x, const char *name, xfile *xf)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	static unsigned char in[65536], out[65536];
	z_stream z = {0};
	bool gz = false, first = true;
	ev_reader *r = NULL;
	char *why = NULL;
	size_t n;
	int code = 0;

	if (!f) {
		cli_error("%s: cannot open: %s", name, strerror(errno));
		return 2;
	}
	if (!(r = ev_reader_new(strcmp(name, "-") == 0 ? "stdin" : name, EV_UNKNOWN, on_item, x))) {
		cli_error("out of memory");
		code = 3;
		goto done;
	}
	x->cur = r;
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		if (first) {
			first = false;
			gz = n >= 2 && in[0] == 0x1f && in[1] == 0x8b;
			if (gz && inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
				cli_error("%s: cannot start gzip decompression", name);
				code = 3;
				goto done;
			}
		}
		if (!gz) {
			ev_reader_feed(r, (const char *)in, n);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0) {
			int zr;
			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END) {
				cli_error("%s: damaged gzip data (%s)", name,
				          z.msg ? z.msg : "zlib error");
				code = 2;
				goto done;
			}
			ev_reader_feed(r, (const char *)out, sizeof(out) - z.avail_out);
			if (zr == Z_STREAM_END) {
				/* concatenated members (gzip -c a b) go on */
				if (inflateReset(&z) != Z_OK)
					break;
			}
		}
	}
	if (ferror(f)) {
		cli_error("%s: cannot read: %s", name, strerror(errno));
		code = 2;
		goto done;
	}
	if (ev_reader_finish(r, &why) != MXS_OK) {
		cli_error("%s", why ? why : "cannot be read");
		code = 2;
	}
done:
	if (r) {
		const unsigned long *fb;
		xf->kind = ev_reader_kind(r);
		xf->lines = ev_reader_lines(r);
		xf->items = ev_reader_items(r);
		xf->bad = ev_reader_bad(r, &fb, &xf->nfirst);
		memcpy(xf->first_bad, fb, xf->nfirst * sizeof(*fb));
	}
	if (gz)
		inflateEnd(&z);
	x->cur = NULL;
	ev_reader_free(r);
	free(why);
	if (f && f != stdin)
		fclose(f);
	return code;
}

/* ---- judging ------------------------------------------------------------------ */

static void judge_domain(explain_ctx *x, const char *name, const mx_domain *d, int port)
{
	for (size_t g = 0; g < x->ngroups; g++) {
		xgroup *gr = &x->groups[g];
		if (gr->judged || strcmp(gr->key.domain, name) != 0)
			continue;
		explain_judge(&gr->key, d, port, &gr->res);
		gr->judged = true;
	}
}

static void feed(explain_ctx *x);

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	explain_ctx *x = arg;

	if (!(changes & SCAN_CH_SETTLED))
		return;
	judge_domain(x, name, d, x->port);
	x->inflight--;
	scan_remove(s, name);
	feed(x);
}

static void feed(explain_ctx *x)
{
	while (x->inflight < x->o->set.concurrency && x->next_domain < x->ndomains) {
		char *why = NULL;
		const char *name = x->domains[x->next_domain++];
		if (scan_add(x->s, name, &why) == MXS_OK) {
			x->inflight++;
		} else {
			explain_result r;
			explain_cannot(&r, why ? why : "not a domain name");
			for (size_t g = 0; g < x->ngroups; g++)
				if (!x->groups[g].judged &&
				    strcmp(x->groups[g].key.domain, name) == 0) {
					x->groups[g].res = r;
					x->groups[g].judged = true;
				}
		}
		free(why);
	}
	if (x->inflight == 0 && x->next_domain >= x->ndomains)
		x->done = true;
}

/* The distinct recipient domains, in the order first seen. */
static int collect_domains(explain_ctx *x)
{
	x->domains = calloc(x->ngroups ? x->ngroups : 1, sizeof(*x->domains));
	if (!x->domains)
		return 3;
	for (size_t g = 0; g < x->ngroups; g++) {
		const char *dom = x->groups[g].key.domain;
		bool seen = !dom[0];
		for (size_t i = 0; i < x->ndomains && !seen; i++)
			seen = strcmp(x->domains[i], dom) == 0;
		if (!seen)
			x->domains[x->ndomains++] = (char *)dom;
	}
	return 0;
}

static void judge_all(explain_ctx *x, const char *reason)
{
	for (size_t g = 0; g < x->ngroups; g++)
		if (!x->groups[g].judged) {
			explain_cannot(&x->groups[g].res, reason);
			x->groups[g].judged = true;
		}
}

static int check_live(explain_ctx *x, uv_loop_t *loop)
{
	blr_config *bl = NULL;
	char *ca = NULL, *why = NULL;
	scan_config sc;
	scan_counters cnt;
	mxs_status st;
	int code = 0;

	if (!x->o->set.no_probe && x->o->set.cafile && !x->o->set.ca_pem &&
	    !(ca = check_read_cafile(x->o->set.cafile, &why))) {
		cli_error("--cafile %s", why);
		code = 2;
		goto done;
	}
	if ((code = check_blocklist_config(x->o, &bl)) != 0)
		goto done;
	sc = settings_scan_config(&x->o->set, SCAN_ONCE, ca, bl);
	sc.on_domain = on_domain;
	sc.arg = x;
	if (!(x->s = scan_new(loop, &sc, &st, &why))) {
		cli_error("%s", why ? why : "cannot start");
		code = st == MXS_ERR_INVALID ? 2 : 3;
		goto done;
	}
	feed(x);
	while (!x->done)
		uv_run(loop, UV_RUN_ONCE);
	scan_get_counters(x->s, &cnt);
	if (cnt.dns_questions > 0 && cnt.dns_replies == 0) {
		const char *f = scan_dns_last_failure(x->s);
		char reason[300];
		snprintf(reason, sizeof(reason), "no DNS server answered (%.100s): %.150s",
		         scan_dns_servers(x->s), f ? f : "no reply");
		cli_error("%s", reason);
		for (size_t g = 0; g < x->ngroups; g++)
			if (x->groups[g].key.domain[0])
				explain_cannot(&x->groups[g].res, reason);
		code = 3;
	}
done:
	scan_free(x->s);
	x->s = NULL;
	uv_run(loop, UV_RUN_NOWAIT);
	blr_config_free(bl);
	free(ca);
	free(why);
	return code;
}

static void on_recorded(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                        void *arg)
{
	explain_ctx *x = arg;

	(void)lineno;
	if (error) {
		cli_error("%s", error);
		return;
	}
	judge_domain(x, mx_domain_name(d), d, m->smtp_port ? m->smtp_port : 25);
	mx_domain_free(d);
}

/* ---- output ---------------------------------------------------------------------- */

static void thousands(unsigned long n, char *out, size_t cap)
{
	char raw[32];
	size_t len = (size_t)snprintf(raw, sizeof(raw), "%lu", n), o = 0;

	for (size_t i = 0; i < len && o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = raw[i];
	}
	out[o] = '\0';
}

static int by_domain(const void *a, const void *b, void *arg)
{
	const xgroup *g = arg;
	const xgroup *x = &g[*(const size_t *)a], *y = &g[*(const size_t *)b];
	int c = strcmp(x->key.domain, y->key.domain);

	if (c)
		return c;
	if ((c = strcmp(x->key.mx_host, y->key.mx_host)))
		return c;
	if ((c = strcmp(x->key.ip, y->key.ip)))
		return c;
	return (int)x->key.phase - (int)y->key.phase;
}

/* "deferred" for a count of messages; TLS-RPT counts sessions */
static void group_line(mx_text *t, const xgroup *g)
{
	const ev_item *k = &g->key;
	char n[32];

	thousands(g->count, n, sizeof(n));
	mx_text_printf(t, "  %s %s %s", n,
	               g->kind == EV_TLSRPT ? (g->count == 1 ? "session" : "sessions")
	                                    : (g->count == 1 ? "message" : "messages"),
	               k->status[0] ? k->status : "failed");
	if (k->mx_host[0] || k->ip[0]) {
		mx_text_printf(t, " at ");
		mx_text_safe(t, k->mx_host[0] ? k->mx_host : k->ip);
		if (k->ip[0] && strcmp(k->mx_host, k->ip) != 0) {
			mx_text_printf(t, "[");
			mx_text_safe(t, k->ip);
			mx_text_printf(t, "]");
		}
		if (k->port)
			mx_text_printf(t, ":%d", k->port);
	}
	mx_text_printf(t, ", %s",
	               ev_phase_name(k->phase) ? ev_phase_name(k->phase) : "step unknown");
	if (k->code)
		mx_text_printf(t, ", %d", k->code);
	if (k->text[0]) {
		mx_text_printf(t, k->code ? " " : ": ");
		mx_text_safe(t, k->text);
	}
	if (ev_policy_name(k->policy))
		mx_text_printf(t, " [%s sender]", ev_policy_name(k->policy));
	if (g->first_when[0]) {
		mx_text_printf(t, ", ");
		mx_text_safe(t, g->first_when);
		if (g->last_when[0] && strcmp(g->last_when, g->first_when) != 0) {
			mx_text_printf(t, " – ");
			mx_text_safe(t, g->last_when);
		}
	}
	mx_text_printf(t, "\n    %s", explain_verdict_name(g->res.verdict));
	if (g->res.verdict == EXPLAIN_REPRODUCED)
		mx_text_printf(t, " now");
	if (g->res.codes[0])
		mx_text_printf(t, ": %s", g->res.codes);
	mx_text_printf(t, " — ");
	mx_text_safe(t, g->res.why);
	if (g->res.now[0]) {
		if (g->res.backup_takes)
			mx_text_printf(t, "; the backup %s, so mail is %s", g->res.now,
			               strcmp(k->status, "bounced") == 0 ? "delivered there now"
			                                                 : "queued, not lost");
		else
			mx_text_printf(t, "; %s", g->res.now);
	}
	if (g->res.fix[0] && g->res.verdict == EXPLAIN_REPRODUCED) {
		mx_text_printf(t, "\n    to fix: ");
		mx_text_safe(t, g->res.fix);
	}
	mx_text_printf(t, "\n    from ");
	for (size_t i = 0; i < g->nitems && i < 3; i++) {
		mx_text_printf(t, "%s", i ? ", " : "");
		mx_text_safe(t, g->first_src[i]);
	}
	if (g->nitems > 3)
		mx_text_printf(t, " and %lu more", g->nitems - 3);
	mx_text_printf(t, "\n");
}

static void print_text(explain_ctx *x, FILE *out)
{
	size_t *order = calloc(x->ngroups ? x->ngroups : 1, sizeof(*order));
	mx_text t = {0};
	const char *dom = NULL;
	char *s;

	if (!order)
		return;
	for (size_t i = 0; i < x->ngroups; i++)
		order[i] = i;
	qsort_r(order, x->ngroups, sizeof(*order), by_domain, x->groups);
	for (size_t i = 0; i < x->ngroups; i++) {
		const xgroup *g = &x->groups[order[i]];
		if (!dom || strcmp(dom, g->key.domain) != 0) {
			dom = g->key.domain;
			mx_text_printf(&t, "%s", i ? "\n" : "");
			mx_text_safe(&t, dom[0] ? dom : "(no recipient domain)");
			mx_text_printf(&t, "\n");
		}
		group_line(&t, g);
	}
	free(order);
	if ((s = mx_text_take(&t))) {
		fputs(s, out);
		free(s);
	}
}

static void count_verdicts(const explain_ctx *x, unsigned long v[EXPLAIN_VERDICT_COUNT],
                           unsigned long *items)
{
	memset(v, 0, sizeof(unsigned long) * EXPLAIN_VERDICT_COUNT);
	*items = 0;
	for (size_t g = 0; g < x->ngroups; g++) {
		v[x->groups[g].res.verdict] += x->groups[g].nitems;
		*items += x->groups[g].nitems;
	}
}

static void print_summary_text(explain_ctx *x, FILE *out)
{
	unsigned long v[EXPLAIN_VERDICT_COUNT], items, bad = 0;

	count_verdicts(x, v, &items);
	fprintf(out,
	        "\n%lu item%s from %zu input%s: %lu reproduced, %lu not reproduced, %lu changed, "
	        "%lu cannot be checked",
	        items, items == 1 ? "" : "s", x->nfiles, x->nfiles == 1 ? "" : "s",
	        v[EXPLAIN_REPRODUCED], v[EXPLAIN_NOT_REPRODUCED], v[EXPLAIN_CHANGED],
	        v[EXPLAIN_CANNOT_CHECK]);
	if (x->delivered)
		fprintf(out, "; %lu delivered (not judged)", x->delivered);
	fputc('\n', out);
	for (size_t f = 0; f < x->nfiles; f++)
		bad += x->files[f].bad;
	for (size_t f = 0; f < x->nfiles && bad; f++) {
		const xfile *xf = &x->files[f];
		char *name;
		if (!xf->bad)
			continue;
		name = mx_sanitize(xf->name);
		fprintf(out, "%s (%s): %lu of %lu lines not read, skipped: line", name ? name : "?",
		        ev_kind_name(xf->kind), xf->bad, xf->lines);
		for (size_t i = 0; i < xf->nfirst; i++)
			fprintf(out, "%s %lu", i ? "," : "", xf->first_bad[i]);
		fprintf(out, "%s\n", xf->bad > xf->nfirst ? ", ..." : "");
		free(name);
	}
	if (x->overflow)
		fprintf(out, "%lu items beyond %d distinct groups were not judged\n", x->overflow,
		        MAX_GROUPS);
}

static json_t *jstr(const char *s)
{
	return s && s[0] ? mx_json_text(s, strlen(s)) : json_null();
}

static json_t *codes_array(const char *codes)
{
	json_t *a = json_array();

	for (const char *p = codes; *p;) {
		size_t len = strcspn(p, ",");
		json_array_append_new(a, mx_json_text(p, len));
		p += len;
		p += strspn(p, ", ");
	}
	return a;
}

static void print_line(json_t *o, FILE *out)
{
	char *s = mx_json_dump(o);

	if (s) {
		fputs(s, out);
		fputc('\n', out);
		free(s);
	}
	json_decref(o);
}

static void print_json(explain_ctx *x, FILE *out)
{
	unsigned long v[EXPLAIN_VERDICT_COUNT], items;
	json_t *sum, *files;

	for (size_t i = 0; i < x->nitems; i++) {
		const xitem *it = &x->items[i];
		const xgroup *g = &x->groups[it->group];
		const ev_item *k = &g->key;
		json_t *o = json_object(), *reply = json_object();
		json_object_set_new(o, "source", jstr(it->source));
		json_object_set_new(o, "kind", json_string(ev_kind_name(g->kind)));
		json_object_set_new(o, "when", jstr(it->when));
		json_object_set_new(o, "queue_id", jstr(it->queue_id));
		json_object_set_new(o, "recipient", jstr(it->recipient));
		json_object_set_new(o, "recipient_domain", jstr(k->domain));
		json_object_set_new(o, "mx_host", jstr(k->mx_host));
		json_object_set_new(o, "ip", jstr(k->ip));
		json_object_set_new(o, "port", k->port ? json_integer(k->port) : json_null());
		json_object_set_new(o, "phase",
		                    ev_phase_name(k->phase) ? json_string(ev_phase_name(k->phase))
		                                            : json_null());
		json_object_set_new(o, "status", jstr(k->status));
		json_object_set_new(reply, "code", k->code ? json_integer(k->code) : json_null());
		json_object_set_new(reply, "dsn", jstr(k->dsn));
		json_object_set_new(reply, "text", jstr(it->text));
		json_object_set_new(o, "reply", reply);
		json_object_set_new(o, "policy",
		                    ev_policy_name(k->policy)
		                        ? json_string(ev_policy_name(k->policy))
		                        : json_null());
		json_object_set_new(o, "count", json_integer((json_int_t)it->count));
		json_object_set_new(o, "verdict",
		                    json_string(explain_verdict_name(g->res.verdict)));
		json_object_set_new(o, "findings", codes_array(g->res.codes));
		json_object_set_new(o, "why", jstr(g->res.why));
		json_object_set_new(o, "fix", jstr(g->res.fix));
		json_object_set_new(o, "now", jstr(g->res.now));
		json_object_set_new(o, "backup_takes", json_boolean(g->res.backup_takes));
		print_line(o, out);
	}
	count_verdicts(x, v, &items);
	sum = json_object();
	json_object_set_new(sum, "summary", json_true());
	json_object_set_new(sum, "items", json_integer((json_int_t)items));
	/* the verdict words with '_' for '-': JSON field names */
	json_object_set_new(sum, "reproduced", json_integer((json_int_t)v[EXPLAIN_REPRODUCED]));
	json_object_set_new(sum, "not_reproduced",
	                    json_integer((json_int_t)v[EXPLAIN_NOT_REPRODUCED]));
	json_object_set_new(sum, "changed", json_integer((json_int_t)v[EXPLAIN_CHANGED]));
	json_object_set_new(sum, "cannot_check", json_integer((json_int_t)v[EXPLAIN_CANNOT_CHECK]));
	json_object_set_new(sum, "delivered", json_integer((json_int_t)x->delivered));
	json_object_set_new(sum, "not_judged", json_integer((json_int_t)x->overflow));
	files = json_array();
	for (size_t f = 0; f < x->nfiles; f++) {
		const xfile *xf = &x->files[f];
		json_t *fo = json_object(), *first = json_array();
		json_object_set_new(fo, "file", jstr(xf->name));
		json_object_set_new(fo, "kind", json_string(ev_kind_name(xf->kind)));
		json_object_set_new(fo, "lines", json_integer((json_int_t)xf->lines));
		json_object_set_new(fo, "items", json_integer((json_int_t)xf->items));
		json_object_set_new(fo, "skipped", json_integer((json_int_t)xf->bad));
		for (size_t i = 0; i < xf->nfirst; i++)
			json_array_append_new(first, json_integer((json_int_t)xf->first_bad[i]));
		json_object_set_new(fo, "skipped_lines", first);
		json_array_append_new(files, fo);
	}
	json_object_set_new(sum, "files", files);
	print_line(sum, out);
}

/* ---- the command --------------------------------------------------------------- */

int explaincmd_run(const cli_opts *o)
{
	explain_ctx x = {.o = o};
	uv_loop_t loop;
	unsigned long v[EXPLAIN_VERDICT_COUNT], items;
	int code = 0, c;

	x.groups = malloc(MAX_GROUPS * sizeof(*x.groups));
	x.files = calloc(o->nargs ? o->nargs : 1, sizeof(*x.files));
	if (!x.groups || !x.files) {
		cli_error("out of memory");
		code = 3;
		goto done;
	}
	x.port = o->set.smtp_port > 0 ? o->set.smtp_port : 25;
	for (size_t i = 0; i < o->nargs; i++) {
		xfile *xf = &x.files[x.nfiles++];
		xf->name = strcmp(o->args[i], "-") == 0 ? "stdin" : o->args[i];
		c = read_input(&x, o->args[i], xf);
		if (c > code)
			code = c;
	}
	if (code == 2 && x.ngroups == 0 && x.delivered == 0)
		goto done; /* nothing could be read: the errors said why */
	if (code == 3 || x.nomem) {
		code = 3;
		goto done;
	}
	if ((c = collect_domains(&x)) != 0) {
		code = c;
		goto done;
	}
	for (size_t g = 0; g < x.ngroups; g++)
		if (!x.groups[g].key.domain[0]) {
			explain_cannot(&x.groups[g].res, "the evidence names no recipient domain");
			x.groups[g].judged = true;
		}
	if (o->set.replay) {
		char *why = NULL;
		if (rec_read_file(o->set.replay, on_recorded, &x, NULL, &why) != MXS_OK) {
			cli_error("--replay %s", why ? why : "cannot be read");
			free(why);
			code = 2;
			goto done;
		}
		judge_all(&x, "the recording does not hold this domain");
	} else if (x.ndomains) {
		char *why = NULL;
		if (scan_global_init(&why) != MXS_OK || uv_loop_init(&loop) != 0) {
			cli_error("%s", why ? why : "cannot start the event loop");
			free(why);
			code = 3;
			goto done;
		}
		c = check_live(&x, &loop);
		uv_run(&loop, UV_RUN_NOWAIT);
		uv_loop_close(&loop);
		scan_global_cleanup();
		if (c > code)
			code = c;
		judge_all(&x, "the check could not run");
	}
	if (o->set.json)
		print_json(&x, stdout);
	else {
		print_text(&x, stdout);
		print_summary_text(&x, stdout);
	}
	fflush(stdout);
	count_verdicts(&x, v, &items);
	if (code == 0 && v[EXPLAIN_REPRODUCED])
		code = 1;
done:
	for (size_t i = 0; i < x.nitems; i++) {
		free(x.items[i].source);
		free(x.items[i].when);
		free(x.items[i].queue_id);
		free(x.items[i].recipient);
		free(x.items[i].text);
	}
	free(x.items);
	free(x.groups);
	free(x.files);
	free(x.domains);
	return code;
}
