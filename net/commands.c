/* net/commands.c — a domain's DNS questions and probes
 * as dig, swaks, openssl s_client and curl command lines (commands.h). A
 * line is built from pieces, each shell-quoted unless it is plain, so a
 * hostile MX name ("a;rm -rf ~") stays one argument. */
#include "commands.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "report.h"
#include "text.h"

char *commands_quote(const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "0123456789@%+=:,./_-";
	size_t n = strlen(s), o = 0;
	char *out;

	if (n && strspn(s, plain) == n)
		return strdup(s);
	out = malloc(n * 4 + 3);
	if (!out)
		return NULL;
	out[o++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = s[i];
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

/* One argument, quoted, with a leading space. */
static void arg(mx_text *b, const char *s)
{
	char *q = commands_quote(s);

	if (!q) {
		b->failed = true;
		return;
	}
	mx_text_printf(b, " %s", q);
	free(q);
}

/* A "# ..." line: the text may quote the network, so it is sanitised and
 * cannot end the comment (no newline survives mx_sanitize). */
static void comment(mx_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void comment(mx_text *b, const char *fmt, ...)
{
	char text[600], *clean;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	clean = mx_sanitize(text);
	if (!clean) {
		b->failed = true;
		return;
	}
	mx_text_printf(b, "# %s\n", clean);
	free(clean);
}

/* The first server of "127.0.0.1:5300, [::1]:53" as address and port. */
static void first_server(const char *list, char *ip, size_t cap, char *port, size_t pcap)
{
	const char *end = list ? strchr(list, ',') : NULL, *colon;
	char one[80];
	size_t n;

	snprintf(ip, cap, "%s", "127.0.0.1");
	snprintf(port, pcap, "%s", "53");
	if (!list || !list[0])
		return;
	n = end ? (size_t)(end - list) : strlen(list);
	if (n >= sizeof(one))
		return;
	memcpy(one, list, n);
	one[n] = '\0';
	colon = strrchr(one, ':');
	if (one[0] == '[') {
		const char *close = strchr(one, ']');
		if (!close)
			return;
		snprintf(ip, cap, "%.*s", (int)(close - one - 1), one + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else if (colon) {
		snprintf(ip, cap, "%.*s", (int)(colon - one), one);
	} else {
		snprintf(ip, cap, "%s", one);
	}
	if (colon)
		snprintf(port, pcap, "%s", colon + 1);
}

static void dig(mx_text *b, const char *ip, const char *port, const char *name, const char *type)
{
	char at[80];

	snprintf(at, sizeof(at), "@%s", ip);
	mx_text_printf(b, "dig");
	arg(b, at);
	mx_text_printf(b, " -p");
	arg(b, port);
	arg(b, name);
	mx_text_printf(b, " %s\n", type);
}

static void dns_part(mx_text *b, const mx_domain *d, const commands_opts *o)
{
	char ip[80], port[16];
	const char *name = mx_domain_name(d);

	first_server(o->resolver, ip, sizeof(ip), port, sizeof(port));
	comment(b, "%s: the MX question (mxscope got %s, %zu record(s))", name,
	        mx_rcode_str(mx_domain_mx_rcode(d)),
	        mx_domain_implicit_mx(d) ? (size_t)0 : mx_domain_host_count(d));
	dig(b, ip, port, name, "MX");
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		if (!h->exchange[0])
			continue;
		if (h->a_rc != MX_RC_NOT_ASKED) {
			comment(b, "%s (preference %u): A (mxscope got %s)", h->exchange,
			        h->preference, mx_rcode_str(h->a_rc));
			dig(b, ip, port, h->exchange, "A");
		}
		if (h->aaaa_rc != MX_RC_NOT_ASKED) {
			comment(b, "%s (preference %u): AAAA (mxscope got %s)", h->exchange,
			        h->preference, mx_rcode_str(h->aaaa_rc));
			dig(b, ip, port, h->exchange, "AAAA");
		}
	}
	for (size_t i = 0; i < mx_domain_srv_count(d); i++) {
		const mx_srv *s = mx_domain_srv(d, i);
		char q[MX_NAME_MAX * 2];
		if (i > 0 && strcmp(mx_domain_srv(d, i - 1)->service, s->service) == 0)
			continue;
		snprintf(q, sizeof(q), "%s.%s", s->service, name);
		comment(b, "%s: SRV for mail clients (RFC 6186)", q);
		dig(b, ip, port, q, "SRV");
	}
}

/* "127.0.0.1:25", or "[::1]:25" for openssl's -connect. */
static void hostport(char *out, size_t cap, const char *ip, int port)
{
	snprintf(out, cap, mx_ip_family(ip) == 6 ? "[%s]:%d" : "%s:%d", ip, port);
}

static void probe_part(mx_text *b, const mx_host *h, const mx_addr *a, const commands_opts *o)
{
	const probe_result *r = a->probe; /* not NULL: only probed addresses get here */
	const char *host = r->host ? r->host : h->exchange;
	int port = r->port > 0 ? r->port : o->smtp_port;
	bool tls = r->tls.offered;
	char hp[96], p[16];

	hostport(hp, sizeof(hp), a->ip, port);
	snprintf(p, sizeof(p), "%d", port);
	comment(b, "%s (preference %u) %s port %d: mxscope got %s", host, h->preference, a->ip,
	        port, probe_state_word(r->state));
	if (r->code)
		comment(b, "  greeting code %d, STARTTLS %s", r->code,
		        tls ? (r->tls.verified ? "offered, verified" : "offered, not verified")
		            : "not offered");
	mx_text_printf(b, "swaks --server");
	if (mx_ip_family(a->ip) == 6) {
		arg(b, a->ip);
		mx_text_printf(b, " --port");
		arg(b, p);
	} else {
		arg(b, hp);
	}
	mx_text_printf(b, " --quit-after EHLO%s\n", tls ? " -tls" : "");
	if (!tls)
		return;
	mx_text_printf(b, "openssl s_client -brief -starttls smtp -connect");
	arg(b, hp);
	mx_text_printf(b, " -servername");
	arg(b, host);
	mx_text_printf(b, " -verify_hostname");
	arg(b, host);
	if (o->cafile) {
		mx_text_printf(b, " -CAfile");
		arg(b, o->cafile);
	}
	mx_text_printf(b, " </dev/null\n");
}

/* RFC 8484 GET: the same question mxscope asked (ID 0, RD), base64url. */
static void doh_curl(mx_text *b, const blr_provider *p, const char *ip, unsigned secs)
{
	char qname[400], *b64 = NULL, *url = NULL;
	unsigned char *q = NULL;
	int qlen = 0;

	if (blr_query_name(ip, p->zone, qname, sizeof(qname)) != MXS_OK ||
	    ares_create_query(qname, ns_c_in, ns_t_a, 0, 1, &q, &qlen, 0) != ARES_SUCCESS)
		return;
	b64 = malloc((size_t)qlen / 3 * 4 + 8);
	if (b64) {
		blr_base64(q, (size_t)qlen, true, b64);
		if (asprintf(&url, "%s%sdns=%s", p->url, strchr(p->url, '?') ? "&" : "?", b64) < 0)
			url = NULL;
	}
	ares_free_string(q);
	if (url) {
		comment(b, "  %s: %s A (RFC 8484 GET; the answer is DNS wire format)", p->name,
		        qname);
		mx_text_printf(b, "curl -sS --max-time %u -H 'Accept: application/dns-message'",
		               secs);
		arg(b, url);
		mx_text_printf(b, " | od -A x -t x1z\n");
	}
	free(b64);
	free(url);
}

/* len bytes of s inside a double-quoted shell word: \\, ", ` and $ escaped. */
static void dq(mx_text *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		mx_text_printf(b, "%s%c", strchr("\\\"`$", s[i]) && s[i] ? "\\" : "", s[i]);
}

static void json_curl(mx_text *b, const blr_provider *p, const char *ip, unsigned secs)
{
	char *url = blr_expand_url(p, ip);

	if (!url)
		return;
	comment(b, "  %s: JSON API", p->name);
	mx_text_printf(b, "curl -sS --max-time %u -H 'Accept: application/json'", secs);
	if (p->header) {
		/* never the key itself: the variable that holds it, expanded by
		 * the shell inside double quotes; everything else of the
		 * template is escaped so that nothing in it expands */
		const char *k = strstr(p->header, "{key}"), *v = p->key_env;
		size_t n = k ? (size_t)(k - p->header) : strlen(p->header);
		if (!v || !v[0] ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		              "0123456789_") != strlen(v) ||
		    (v[0] >= '0' && v[0] <= '9'))
			v = "MXSCOPE_KEY";
		mx_text_printf(b, " -H \"");
		dq(b, p->header, n);
		if (k) {
			mx_text_printf(b, "${%s}", v);
			dq(b, k + 5, strlen(k + 5));
		}
		mx_text_printf(b, "\"");
	}
	arg(b, url);
	mx_text_printf(b, "\n");
	free(url);
}

static void blocklist_part(mx_text *b, const mx_addr *a, const commands_opts *o)
{
	unsigned secs = o->timeout_ms ? (o->timeout_ms + 999) / 1000 : 5;

	for (size_t i = 0; i < a->nblocklists; i++) {
		const blr_result *r = a->blocklists[i];
		const blr_provider *p =
		    o->blocklists ? blr_config_find(o->blocklists, r->provider) : NULL;
		if (!p) {
			comment(b, "  %s: %s (provider not configured here: no command)",
			        r->provider, blr_state_str(r->state));
			continue;
		}
		comment(b, "%s blocklist %s: mxscope got %s", a->ip, p->name,
		        blr_state_str(r->state));
		if (p->kind == BLR_JSON_API)
			json_curl(b, p, a->ip, secs);
		else if (!p->post)
			doh_curl(b, p, a->ip, secs);
		else
			comment(b, "  (a POST provider: see docs/blocklists.md)");
	}
}

char *commands_text(const mx_domain *d, const commands_opts *o)
{
	mx_text b = {0};

	dns_part(&b, d, o);
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			if (h->addrs[k].probe)
				probe_part(&b, h, &h->addrs[k], o);
			blocklist_part(&b, &h->addrs[k], o);
		}
	}
	return mx_text_take(&b);
}

char *commands_addr_text(const mx_domain *d, size_t host, size_t addr, const commands_opts *o)
{
	const mx_host *h = host < mx_domain_host_count(d) ? mx_domain_host(d, host) : NULL;
	mx_text b = {0};

	if (!h || addr >= h->naddrs)
		return NULL;
	if (h->addrs[addr].probe)
		probe_part(&b, h, &h->addrs[addr], o);
	else
		comment(&b, "%s %s: not probed (yet)", h->exchange, h->addrs[addr].ip);
	blocklist_part(&b, &h->addrs[addr], o);
	return mx_text_take(&b);
}
