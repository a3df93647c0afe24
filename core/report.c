/* core/report.c — rendering one analysed domain as a text report for people
 * and as one JSON line for scripts (DESIGN.md "Interfaces"). The frame of
 * the rendering layer: it calls the parts (core/report_send.c,
 * core/report_auth.c), the escaping (core/report_escape.c) and the model's
 * read-only views; nothing in core below it calls it. */
#include "report.h"
#include "text.h"
#include "mx_auth.h"
#include "report_send.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text --------------------------------------------------------------- */

static const char *sev_color(mx_severity s, const mx_report_opts *o)
{
	if (!o->color)
		return "";
	switch (s) {
	case MX_SEV_ERROR: return "\033[1;31m";
	case MX_SEV_WARNING: return "\033[1;33m";
	case MX_SEV_INFO: return "\033[36m";
	}
	return "";
}

static const char *tier_note(const mx_domain *d, size_t ti)
{
	const mx_tier *t = mx_domain_tier(d, ti);

	if (mx_domain_implicit_mx(d))
		return "implicit MX: the domain itself";
	if (ti == 0)
		return t->nhosts > 1 ? "primary; equal preference, tried in random order"
		                     : "primary";
	return t->nhosts > 1 ? "backup; equal preference, tried in random order" : "backup";
}

/* "  220 accepted 3 ms, STARTTLS verified" after an address. */
static void text_probe(mx_text *b, const probe_result *r)
{
	if (r->code)
		mx_text_printf(b, "  %d", r->code);
	mx_text_printf(b, "  %s", probe_state_word(r->state));
	if (r->t.greeting >= 0)
		mx_text_printf(b, " %ld ms", r->t.greeting);
	if (r->state == PROBE_ACCEPTED)
		mx_text_printf(b, ", %s",
		               !r->tls.offered   ? "no STARTTLS"
		               : r->tls.verified ? "STARTTLS verified"
		                                 : "STARTTLS unverified");
}

/* The greeting's first line under its address, cut to fit a line; the
 * bytes come from the server (NULs included), so they go through
 * mx_sanitize_n. */
static void text_greeting(mx_text *b, const probe_result *r)
{
	size_t len = probe_greeting_len(r);
	const char *nl = memchr(r->greeting, '\n', len);
	size_t n = nl ? (size_t)(nl - r->greeting) : len;
	char *line = mx_sanitize_n(r->greeting, n > 72 ? 72 : n);

	if (!line) {
		b->failed = true;
		return;
	}
	mx_text_printf(b, "          \"%s%s\"\n", line, n > 72 ? "..." : "");
	free(line);
}

/* The server's certificate under its address, also when it does not
 * verify (that is when it is needed most). Its text came from the server:
 * through bsafe. */
static void text_cert(mx_text *b, const probe_result *r)
{
	const probe_cert *c = &r->tls.chain[0];

	mx_text_printf(b, "          certificate ");
	mx_text_safe(b, c->subject ? c->subject : "?");
	mx_text_printf(b, "\n            issuer ");
	mx_text_safe(b, c->issuer ? c->issuer : "?");
	mx_text_printf(b, "\n            valid %s to %s", c->not_before ? c->not_before : "?",
	               c->not_after ? c->not_after : "?");
	if (r->tls.nchain > 1)
		mx_text_printf(b, ", chain of %zu", r->tls.nchain);
	mx_text_printf(b, "\n");
	if (c->nsan) {
		mx_text_printf(b, "            names");
		for (size_t i = 0; i < c->nsan; i++) {
			mx_text_printf(b, " ");
			mx_text_safe(b, c->san[i]);
		}
		mx_text_printf(b, "\n");
	}
	mx_text_printf(b, "            spki sha256 %s\n            cert sha256 %s\n",
	               c->spki_sha256, c->cert_sha256);
	if (!r->tls.verified && r->tls.verify_error) {
		mx_text_printf(b, "            not verified: ");
		mx_text_safe(b, r->tls.verify_error);
		mx_text_printf(b, "\n");
	}
}

/* The walk as a story: each attempt, what happened, and the rule. */
static void text_walk(mx_text *b, const mx_domain *d, const mx_report_opts *o)
{
	const char *arrow = o->ascii ? "->" : "\xe2\x86\x92";
	/* this is the plain (opportunistic) walk; --sender shows in Senders */
	const sender_walk *w = mx_domain_walk(d, MTA_RFC, SENDER_OPPORTUNISTIC);
	const mx_attempt *got =
	    w && w->delivered >= 0 ? sender_walk_attempt(w, (size_t)w->delivered) : NULL;

	mx_text_printf(b, "Delivery walk (what a sender does)\n");
	for (size_t i = 0; i < mx_domain_step_count(d); i++) {
		const mx_step *s = mx_domain_step(d, i);
		const mx_attempt *a = mx_domain_attempt(d, s->attempt);
		const mx_host *h = mx_domain_host(d, a->host);
		const probe_result *r = h->addrs[a->addr].probe;
		mx_text_printf(b, "  %zu. ", i + 1);
		mx_text_safe(b, h->exchange);
		mx_text_printf(b, " (%u) %s  ", h->preference, h->addrs[a->addr].ip);
		if (r->code)
			mx_text_printf(b, "%d ", r->code);
		mx_text_printf(b, "%s: %s\n", probe_state_word(s->state), s->rule);
	}
	if (got) {
		const mx_host *h = mx_domain_host(d, got->host);
		mx_text_printf(b, "  %s delivered to ", arrow);
		mx_text_safe(b, h->exchange);
		mx_text_printf(b, " (%u) %s\n", h->preference, h->addrs[got->addr].ip);
	} else if (w && w->end != SENDER_END_DEFERRED) {
		mx_text_printf(b, "  %s %s\n", arrow, w->why);
	} else if (w && w->nsteps && w->steps[w->nsteps - 1].outcome == SENDER_DEFERRED) {
		mx_text_printf(b, "  %s %s\n", arrow, w->why);
	} else {
		mx_text_printf(
		    b, "  %s no address accepts: the sender queues the mail and retries later\n",
		    arrow);
	}
}

/* Each line of text (owned; freed here; NULL = nothing) through bsafe,
 * indented: the pieces core/mx_auth.c renders hold network names. */
static void text_lines(mx_text *b, char *text, const char *indent)
{
	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		mx_text_printf(b, "%s", indent);
		mx_text_safe(b, p);
		mx_text_printf(b, "\n");
	}
	free(text);
}

static void text_hosts(mx_text *b, const mx_domain *d, const mx_report_opts *o)
{
	const char *bullet = o->ascii ? "-" : "\xe2\x80\xa2";

	for (size_t ti = 0; ti < mx_domain_tier_count(d); ti++) {
		const mx_tier *t = mx_domain_tier(d, ti);
		mx_text_printf(b, "  preference %u  (%s)\n", t->preference, tier_note(d, ti));
		for (size_t k = 0; k < t->nhosts; k++) {
			const mx_host *h = mx_domain_host(d, t->hosts[k]);
			mx_text_printf(b, "    %s ", bullet);
			mx_text_safe(b, h->exchange);
			if (h->cname) {
				mx_text_printf(b, "  (alias for ");
				mx_text_safe(b, h->cname);
				mx_text_printf(b, ")");
			}
			if (!h->implicit)
				mx_text_printf(b, "  ttl %u", h->ttl);
			mx_text_printf(b, "\n");
			for (size_t m = 0; m < h->naddrs; m++) {
				const probe_result *r = h->addrs[m].probe;
				mx_text_printf(b, "        %-39s IPv%d  ttl %u", h->addrs[m].ip,
				               h->addrs[m].family, h->addrs[m].ttl);
				if (r)
					text_probe(b, r);
				mx_text_printf(b, "\n");
				if (r && r->greeting && probe_greeting_len(r))
					text_greeting(b, r);
				text_lines(b, mx_ptr_text(h->addrs[m].ptr, r), "          ");
				if (r && r->tls.nchain)
					text_cert(b, r);
				if (r)
					mx_text_own(b, mxr_text_probe(r));
				for (size_t q = 0; q < h->addrs[m].nblocklists; q++) {
					char *line = blr_result_line(h->addrs[m].blocklists[q]);
					if (!line) {
						b->failed = true;
						break;
					}
					/* provider text: through bsafe like every network byte */
					mx_text_printf(b, "          blocklist ");
					mx_text_safe(b, line);
					mx_text_printf(b, "\n");
					free(line);
				}
			}
			if (h->naddrs == 0)
				mx_text_printf(b, "        (no address: A %s, AAAA %s)\n",
				               mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc));
			mx_text_own(b, mxr_text_host(h));
		}
	}
}

/* RFC 6186 records for mail clients, already in report order. */
static void text_srv(mx_text *b, const mx_domain *d)
{
	mx_text_printf(b, "Mail client services (RFC 6186)\n");
	for (size_t i = 0; i < mx_domain_srv_count(d); i++) {
		const mx_srv *s = mx_domain_srv(d, i);
		mx_text_printf(b, "  ");
		mx_text_safe(b, s->service);
		mx_text_printf(b, "  priority %u weight %u  ", s->priority, s->weight);
		if (s->target[0]) {
			mx_text_safe(b, s->target);
			mx_text_printf(b, ":%u", s->port);
		} else {
			mx_text_printf(b, ". (not offered)");
		}
		mx_text_printf(b, "  ttl %u\n", s->ttl);
	}
}

char *mx_report_text(const mx_domain *d, const mx_report_opts *o)
{
	static const mx_report_opts defaults = {0};
	mx_text b = {0};
	const char *reset;
	const char *arrow;

	if (!o)
		o = &defaults;
	reset = o->color ? "\033[0m" : "";
	arrow = o->ascii ? "->" : "\xe2\x86\x92";
	mx_text_safe(&b, mx_domain_name(d));
	mx_text_printf(&b, "  status %s", mx_domain_status(d));
	if (mx_domain_null_mx(d))
		mx_text_printf(&b, " (null MX: accepts no mail)");
	mx_text_printf(&b, "  MX lookup %s", mx_rcode_str(mx_domain_mx_rcode(d)));
	if (mx_domain_mx_why(d)) {
		mx_text_printf(&b, " (");
		mx_text_safe(&b, mx_domain_mx_why(d));
		mx_text_printf(&b, ")");
	}
	mx_text_printf(&b, "\n");
	if (mx_domain_as_host(d)) {
		mx_text_printf(&b, "Relay view as ");
		mx_text_safe(&b, mx_domain_as_host(d));
		mx_text_printf(&b,
		               ": its own preference and every less preferred MX are dropped\n");
	}
	if (mx_domain_tier_count(d)) {
		mx_text_printf(&b, "Tiers (most preferred first)\n");
		text_hosts(&b, d, o);
	}
	if (mx_domain_attempt_count(d)) {
		mx_text_printf(&b, "Attempt order (seed %llu)\n",
		               (unsigned long long)mx_domain_seed(d));
		for (size_t i = 0; i < mx_domain_attempt_count(d); i++) {
			const mx_attempt *a = mx_domain_attempt(d, i);
			const mx_host *h = mx_domain_host(d, a->host);
			mx_text_printf(&b, "  %2zu. %s ", i + 1, i ? arrow : " ");
			mx_text_safe(&b, h->exchange);
			mx_text_printf(&b, " (%u) %s\n", h->preference, h->addrs[a->addr].ip);
		}
	} else if (!mx_domain_null_mx(d)) {
		mx_text_printf(&b, "Attempt order: none, no address to try\n");
	}
	if (mx_domain_walked(d))
		text_walk(&b, d, o);
	mx_text_own(&b, mxr_text_domain(d, o));
	if (mx_domain_srv_count(d))
		text_srv(&b, d);
	text_lines(&b, mx_auth_text(mx_domain_auth(d)), "");
	if (mx_domain_finding_count(d)) {
		mx_text_printf(&b, "Findings\n");
		for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
			const mx_finding *f = mx_domain_finding(d, i);
			mx_text_printf(&b, "  ");
			mx_text_markup(&b, sev_color(f->severity, o));
			mx_text_printf(&b, "%-7s", mx_severity_str(f->severity));
			mx_text_markup(&b, reset);
			mx_text_printf(&b, " %s: ", f->code);
			mx_text_safe(&b, f->message);
			mx_text_printf(&b, " [%s]\n", f->reference);
		}
	} else {
		mx_text_printf(&b, "Findings: none\n");
	}
	return mx_text_take(&b);
}

/* ---- JSON --------------------------------------------------------------- */

/* Every dumped document goes through here: jansson escapes only what JSON
 * requires (below U+0020, '"', '\\'), so C1 controls, DEL and the bidi
 * controls would reach whoever reads the JSON raw (cat, less, a log). They
 * are rewritten as \\uXXXX. Outside strings a JSON text is plain ASCII
 * without DEL, so every such code point met here is inside a string, and
 * its escape decodes to the same string. */
static json_t *jstr(const char *s)
{
	return mx_json_text(s, s ? strlen(s) : 0);
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, jstr(v));
}

static json_t *san_json(const probe_cert *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->nsan; i++)
		json_array_append_new(a, jstr(c->san[i]));
	return a;
}

/* One certificate of the chain the server sent. */
static json_t *cert_json(const probe_cert *c)
{
	json_t *o = json_object();

	set_str(o, "subject", c->subject);
	set_str(o, "issuer", c->issuer);
	set_str(o, "not_before", c->not_before);
	set_str(o, "not_after", c->not_after);
	json_object_set_new(o, "san", san_json(c));
	set_str(o, "spki_sha256", c->spki_sha256);
	set_str(o, "cert_sha256", c->cert_sha256);
	return o;
}

static json_t *probe_json(const probe_result *r)
{
	json_t *o = json_object(), *ehlo = json_array(), *tls = json_object(), *t = json_object();

	json_object_set_new(o, "state", jstr(probe_state_word(r->state)));
	json_object_set_new(o, "port", json_integer(r->port));
	if (r->code)
		json_object_set_new(o, "code", json_integer(r->code));
	if (r->greeting)
		json_object_set_new(o, "greeting",
		                    mx_json_text(r->greeting, probe_greeting_len(r)));
	for (size_t i = 0; i < r->nehlo; i++)
		json_array_append_new(ehlo, mx_json_text(r->ehlo[i], probe_ehlo_len(r, i)));
	json_object_set_new(o, "ehlo", ehlo);
	json_object_set_new(tls, "offered", json_boolean(r->tls.offered));
	json_object_set_new(tls, "done", json_boolean(r->tls.done));
	json_object_set_new(tls, "verified", json_boolean(r->tls.verified));
	set_str(tls, "verify_error", r->tls.verify_error);
	set_str(tls, "subject", r->tls.subject);
	set_str(tls, "issuer", r->tls.issuer);
	set_str(tls, "not_before", r->tls.not_before);
	set_str(tls, "not_after", r->tls.not_after);
	set_str(tls, "version", r->tls.version);
	if (r->tls.nchain) {
		json_t *chain = json_array();
		json_object_set_new(tls, "san", san_json(&r->tls.chain[0]));
		set_str(tls, "spki_sha256", r->tls.chain[0].spki_sha256);
		set_str(tls, "cert_sha256", r->tls.chain[0].cert_sha256);
		for (size_t i = 0; i < r->tls.nchain; i++)
			json_array_append_new(chain, cert_json(&r->tls.chain[i]));
		json_object_set_new(tls, "chain", chain);
	}
	json_object_set_new(o, "tls", tls);
	json_object_set_new(t, "connect_ms", json_integer(r->t.connect));
	json_object_set_new(t, "greeting_ms", json_integer(r->t.greeting));
	json_object_set_new(t, "ehlo_ms", json_integer(r->t.ehlo));
	json_object_set_new(t, "tls_ms", json_integer(r->t.tls));
	json_object_set_new(t, "total_ms", json_integer(r->t.total));
	json_object_set_new(o, "times", t);
	set_str(o, "error", r->error);
	if (r->transcript)
		json_object_set_new(o, "transcript",
		                    mx_json_text(r->transcript, probe_transcript_len(r)));
	json_object_set_new(o, "transcript_cut", json_boolean(r->transcript_cut));
	mxr_json_probe(o, r);
	return o;
}

static json_t *host_json(const mx_host *h)
{
	json_t *o = json_object(), *addrs = json_array();

	if (!o || !addrs) {
		json_decref(o);
		json_decref(addrs);
		return NULL;
	}
	json_object_set_new(o, "preference", json_integer(h->preference));
	json_object_set_new(o, "exchange", jstr(h->exchange[0] ? h->exchange : "."));
	json_object_set_new(o, "ttl", json_integer(h->ttl));
	if (h->implicit)
		json_object_set_new(o, "implicit", json_true());
	if (h->cname)
		json_object_set_new(o, "cname", jstr(h->cname));
	if (h->cname_loop) /* mx-cname-loop: the chain, for a replay */
		json_object_set_new(o, "cname_loop", jstr(h->cname_loop));
	if (h->exchange[0]) {
		json_object_set_new(o, "a_rcode", jstr(mx_rcode_str(h->a_rc)));
		json_object_set_new(o, "aaaa_rcode", jstr(mx_rcode_str(h->aaaa_rc)));
	}
	for (size_t m = 0; m < h->naddrs; m++) {
		json_t *a = json_object();
		if (!a)
			continue;
		json_object_set_new(a, "ip", jstr(h->addrs[m].ip));
		json_object_set_new(a, "family", json_integer(h->addrs[m].family));
		json_object_set_new(a, "ttl", json_integer(h->addrs[m].ttl));
		if (h->addrs[m].probe)
			json_object_set_new(a, "probe", probe_json(h->addrs[m].probe));
		if (h->addrs[m].ptr)
			json_object_set_new(a, "ptr",
			                    mx_ptr_json(h->addrs[m].ptr, h->addrs[m].probe));
		if (h->addrs[m].nblocklists) {
			json_t *bls = json_array();
			for (size_t q = 0; q < h->addrs[m].nblocklists; q++)
				json_array_append_new(bls,
				                      blr_result_json(h->addrs[m].blocklists[q]));
			json_object_set_new(a, "blocklists", bls);
		}
		json_array_append_new(addrs, a);
	}
	json_object_set_new(o, "addresses", addrs);
	mxr_json_host(o, h);
	return o;
}

json_t *mx_report_value(const mx_domain *d)
{
	json_t *root = json_object(), *mx = json_array(), *tiers = json_array(),
	       *order = json_array(), *findings = json_array(), *srv = json_array();

	if (!root || !mx || !tiers || !order || !findings || !srv) {
		json_decref(mx);
		json_decref(tiers);
		json_decref(order);
		json_decref(findings);
		json_decref(srv);
		goto done;
	}
	json_object_set_new(root, "domain", jstr(mx_domain_name(d)));
	json_object_set_new(root, "status", jstr(mx_domain_status(d)));
	json_object_set_new(root, "null_mx", json_boolean(mx_domain_null_mx(d)));
	json_object_set_new(root, "implicit_mx", json_boolean(mx_domain_implicit_mx(d)));
	json_object_set_new(root, "mx_rcode", jstr(mx_rcode_str(mx_domain_mx_rcode(d))));
	if (mx_domain_mx_why(d))
		json_object_set_new(root, "mx_error", jstr(mx_domain_mx_why(d)));
	json_object_set_new(root, "seed", json_integer((json_int_t)mx_domain_seed(d)));
	if (mx_domain_as_host(d))
		json_object_set_new(root, "as", jstr(mx_domain_as_host(d)));
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		json_array_append_new(mx, host_json(mx_domain_host(d, i)));
	json_object_set_new(root, "mx", mx);
	for (size_t ti = 0; ti < mx_domain_tier_count(d); ti++) {
		const mx_tier *t = mx_domain_tier(d, ti);
		json_t *o = json_object(), *hosts = json_array();
		for (size_t k = 0; k < t->nhosts; k++)
			json_array_append_new(hosts,
			                      jstr(mx_domain_host(d, t->hosts[k])->exchange));
		json_object_set_new(o, "preference", json_integer(t->preference));
		json_object_set_new(o, "hosts", hosts);
		json_array_append_new(tiers, o);
	}
	json_object_set_new(root, "tiers", tiers);
	for (size_t i = 0; i < mx_domain_attempt_count(d); i++)
		json_array_append_new(order, mxr_json_attempt(d, mx_domain_attempt(d, i)));
	json_object_set_new(root, "attempt_order", order);
	if (mx_domain_walked(d)) {
		json_t *walk = json_array();
		for (size_t i = 0; i < mx_domain_step_count(d); i++) {
			const mx_step *st = mx_domain_step(d, i);
			json_t *o = mxr_json_attempt(d, mx_domain_attempt(d, st->attempt));
			json_object_set_new(o, "state", jstr(probe_state_word(st->state)));
			json_object_set_new(o, "rule", jstr(st->rule));
			json_array_append_new(walk, o);
		}
		json_object_set_new(root, "walk", walk);
		json_object_set_new(root, "delivered_to",
		                    mx_domain_delivered(d)
		                        ? mxr_json_attempt(d, mx_domain_delivered(d))
		                        : json_null());
	}
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		json_t *o = json_object();
		json_object_set_new(o, "code", jstr(f->code));
		json_object_set_new(o, "severity", jstr(mx_severity_str(f->severity)));
		json_object_set_new(o, "subject", jstr(f->subject));
		json_object_set_new(o, "message", jstr(f->message));
		json_object_set_new(o, "reference", jstr(f->reference));
		json_array_append_new(findings, o);
	}
	json_object_set_new(root, "findings", findings);
	for (size_t i = 0; i < mx_domain_srv_count(d); i++) {
		const mx_srv *s = mx_domain_srv(d, i);
		json_t *o = json_object();
		json_object_set_new(o, "service", jstr(s->service));
		json_object_set_new(o, "priority", json_integer(s->priority));
		json_object_set_new(o, "weight", json_integer(s->weight));
		json_object_set_new(o, "port", json_integer(s->port));
		/* "." as in the record: the service is not offered (RFC 2782) */
		json_object_set_new(o, "target", jstr(s->target[0] ? s->target : "."));
		json_object_set_new(o, "ttl", json_integer(s->ttl));
		json_array_append_new(srv, o);
	}
	json_object_set_new(root, "srv", srv);
	if (mx_domain_auth(d)) {
		json_object_set_new(root, "authoritative", mx_auth_json(mx_domain_auth(d)));
		json_object_set_new(root, "authoritative_zone",
		                    mx_auth_zone_json(mx_domain_auth(d)));
	}
	mxr_json_domain(root, d);
	return root;
done:
	json_decref(root);
	return NULL;
}

char *mx_report_json(const mx_domain *d)
{
	json_t *root = mx_report_value(d);
	char *out = root ? mx_json_dump(root) : NULL;

	json_decref(root);
	return out;
}
