/* net/commands.c — a domain's DNS questions and probes
 * as dig, swaks, openssl s_client and curl command lines (commands.h). A
 * line is built from pieces, each shell-quoted unless it is plain, so a
 * hostile MX name ("a;rm -rf ~") stays one argument.
 *
 * The shell rule, in one place (piece): a piece that holds a byte the
 * terminal rule would escape (a control, a line break, C1, bidi, invalid
 * UTF-8) is not quoted but refused, and its whole line is printed as a
 * comment: a quoted ESC would still reach the terminal raw, and a quoted
 * line break turns one pasted command into two. */
#include "commands.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "mx_auth.h"
#include "name.h"
#include "policy.h" /* net/policy.h: the fetch's port, time and bounds */
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

/* Marks a refused piece in the text until finish() turns its line into a
 * comment; never in the text otherwise (comments are sanitised, and
 * sanitising escapes it). */
#define CMD_REFUSED '\x01'

/* Whether s holds a byte the terminal rule changes. */
static bool unsafe(const char *s, size_t len, char **shown)
{
	char *c = mx_sanitize_n(s, len);

	*shown = c;
	return !c || strlen(c) != len || memcmp(c, s, len) != 0;
}

/* s as a piece of a command line: quoted, or refused and shown escaped. */
static void piece(mx_text *b, const char *lead, const char *s, size_t len, bool quote)
{
	char *shown = NULL, *q;

	if (unsafe(s, len, &shown)) {
		if (shown)
			mx_text_printf(b, "%s%c%s", lead, CMD_REFUSED, shown);
		b->failed |= !shown;
		free(shown);
		return;
	}
	free(shown);
	if (!quote) {
		mx_text_printf(b, "%s%.*s", lead, (int)len, s);
		return;
	}
	q = commands_quote(s);
	if (!q) {
		b->failed = true;
		return;
	}
	mx_text_printf(b, "%s%s", lead, q);
	free(q);
}

/* One argument, quoted, with a leading space. */
static void arg(mx_text *b, const char *s)
{
	piece(b, " ", s, strlen(s), true);
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

/* What every builder needs: the text, the options, the domain and the DNS
 * server the scan asked (its first). */
typedef struct cx {
	mx_text *b;
	const commands_opts *o;
	const mx_domain *d;
	char ip[80], port[16];
} cx;

/* How a question went out: the MX and TLSA questions with AD set (RFC 6840
 * §5.7, net/dns.c), the MX retry after a SERVFAIL with CD too (RFC 4035
 * §5.5), the name servers' questions without recursion (net/auth.c). The
 * flags go last, so every line reads `dig @SERVER -p PORT NAME TYPE`. */
typedef enum dig_kind { DIG_PLAIN, DIG_AD, DIG_AD_CD, DIG_NOREC } dig_kind;

static const char *const dig_flags[] = {
    [DIG_PLAIN] = "",
    [DIG_AD] = " +adflag",
    [DIG_AD_CD] = " +adflag +cdflag",
    [DIG_NOREC] = " +norec",
};

/* "dig @IP -p PORT", the questions follow. */
static void dig_head(mx_text *b, const char *ip, const char *port)
{
	char at[96]; /* "@" and an address of cx.ip (80 bytes) */

	snprintf(at, sizeof(at), "@%s", ip);
	mx_text_printf(b, "dig");
	arg(b, at);
	mx_text_printf(b, " -p");
	arg(b, port);
}

/* One question to the server at ip, port; name "-x" and an address as type
 * make the reverse question. */
static void dig_at(cx *c, dig_kind k, const char *ip, const char *port, const char *name,
                   const char *type)
{
	dig_head(c->b, ip, port);
	arg(c->b, name);
	arg(c->b, type);
	mx_text_printf(c->b, "%s\n", dig_flags[k]);
}

/* One question to the scan's DNS server. */
static void dig(cx *c, dig_kind k, const char *name, const char *type)
{
	dig_at(c, k, c->ip, c->port, name, type);
}

/* The MX question, and what its DNSSEC status says (net/dns.c asks it with
 * AD; after a SERVFAIL it asks again with CD to tell bogus from broken). */
static void mx_question(cx *c)
{
	const char *name = mx_domain_name(c->d), *sec = mx_dnssec_str(mx_domain_dnssec(c->d));
	mx_rcode rc = mx_domain_mx_rcode(c->d);
	size_t n = mx_domain_implicit_mx(c->d) ? 0 : mx_domain_host_count(c->d);

	if (!sec) { /* not asked with AD: a recording from before DNSSEC was */
		comment(c->b, "%s: the MX question (mxscope got %s, %zu record(s))", name,
		        mx_rcode_str(rc), n);
		dig(c, DIG_PLAIN, name, "MX");
		return;
	}
	comment(c->b, "%s: the MX question, AD set (mxscope got %s, %zu record(s); DNSSEC %s)",
	        name, mx_rcode_str(rc), n, sec);
	dig(c, DIG_AD, name, "MX");
	if (rc == MX_RC_SERVFAIL) {
		comment(c->b,
		        "%s: the MX question again with CD set: an answer now means the "
		        "signatures do not validate (DNSSEC %s)",
		        name, sec);
		dig(c, DIG_AD_CD, name, "MX");
	}
}

/* TLSA at _25._tcp.HOST (RFC 7672 §2.2.1): net/dns.c asks it where the MX
 * answer is secure, and everywhere with --dane; a host that has it was
 * asked (a recording knows no more). */
static bool tlsa_asked(const cx *c, const mx_host *h)
{
	if (h->tlsa)
		return true;
	return (c->o->dane || mx_domain_dnssec(c->d) == MX_DNSSEC_SECURE) && h->exchange[0] &&
	       mx_name_is_host(h->exchange, strlen(h->exchange));
}

static void tlsa_question(cx *c, const mx_host *h)
{
	char q[MX_NAME_MAX + 16];
	const mx_tlsa *t = h->tlsa;

	if (!tlsa_asked(c, h))
		return;
	snprintf(q, sizeof(q), "_25._tcp.%s", h->exchange);
	if (t && t->nrecords)
		comment(c->b, "%s: TLSA, AD set (mxscope got NOERROR, %zu record(s), %s)", q,
		        t->nrecords, t->secure ? "secure" : "insecure: shown and ignored");
	else if (t)
		comment(c->b, "%s: TLSA, AD set (mxscope: no records, a secure answer)", q);
	else
		comment(c->b,
		        "%s: TLSA, AD set (mxscope kept nothing: no records in an insecure "
		        "zone, or no answer)",
		        q);
	dig(c, DIG_AD, q, "TLSA");
}

static void dns_part(cx *c)
{
	const char *name = mx_domain_name(c->d);

	mx_question(c);
	for (size_t i = 0; i < mx_domain_host_count(c->d); i++) {
		const mx_host *h = mx_domain_host(c->d, i);
		if (!h->exchange[0])
			continue;
		if (h->a_rc != MX_RC_NOT_ASKED) {
			comment(c->b, "%s (preference %u): A (mxscope got %s)", h->exchange,
			        h->preference, mx_rcode_str(h->a_rc));
			dig(c, DIG_PLAIN, h->exchange, "A");
		}
		if (h->aaaa_rc != MX_RC_NOT_ASKED) {
			comment(c->b, "%s (preference %u): AAAA (mxscope got %s)", h->exchange,
			        h->preference, mx_rcode_str(h->aaaa_rc));
			dig(c, DIG_PLAIN, h->exchange, "AAAA");
		}
		tlsa_question(c, h);
	}
	for (size_t i = 0; i < mx_domain_srv_count(c->d); i++) {
		const mx_srv *s = mx_domain_srv(c->d, i);
		char q[MX_NAME_MAX * 2];
		if (i > 0 && strcmp(mx_domain_srv(c->d, i - 1)->service, s->service) == 0)
			continue;
		snprintf(q, sizeof(q), "%s.%s", s->service, name);
		comment(c->b, "%s: SRV for mail clients (RFC 6186)", q);
		dig(c, DIG_PLAIN, q, "SRV");
	}
}

/* s quoted, with no space before it: a piece of a longer word. */
static void word(mx_text *b, const char *s)
{
	piece(b, "", s, strlen(s), true);
}

/* Every curl line starts alike: quiet but for errors, bounded in time. */
static void curl_head(mx_text *b, unsigned secs)
{
	mx_text_printf(b, "curl -sS --max-time %u", secs);
}

/* The domain's TXT questions of the MTA-STS stage (net/policy.c asks both
 * whenever it runs): the label, what it is, and what mxscope kept. */
static const struct {
	const char *label, *what;
} txt_questions[] = {
    {"_mta-sts", "MTA-STS record (RFC 8461 §3.1)"},
    {"_smtp._tls", "TLS-RPT record (RFC 8460 §3)"},
};

/* The policy as net/policy.c fetches it: https only, no redirects, the
 * certificate verified for mta-sts.DOMAIN, at most POLICY_BODY_MAX bytes,
 * the connection pinned (--connect-to, like CURLOPT_CONNECT_TO) to the
 * first address the same DNS server gives, IPv4 first; the model keeps no
 * address, so the line asks for it with dig inside the command. */
static void policy_curl(cx *c)
{
	/* dig +short lists the A answers, then the AAAA ones (CNAME targets
	 * end in a dot, dig's own complaints start with ';'): the first
	 * address, an IPv6 one in brackets; none gives a name that never
	 * resolves (RFC 6761 .invalid), so curl fails rather than asking
	 * another resolver */
	static const char pick_addr[] =
	    "'/^[0-9.]+$/ {a = $0; exit} /:/ && /^[0-9a-fA-F:.]+$/ {a = \"[\" $0 \"]\"; exit} "
	    "END {print a ? a : \"no-address.invalid\"}'";
	const char *name = mx_domain_name(c->d);
	int hport = c->o->mta_sts_port > 0 ? c->o->mta_sts_port : POLICY_FETCH_PORT;
	unsigned ms = c->o->timeout_ms ? c->o->timeout_ms : POLICY_FETCH_DEFAULT_TIMEOUT_MS;
	char host[MX_NAME_MAX + 16], pin[MX_NAME_MAX + 32], url[MX_NAME_MAX + 64], tail[16];

	snprintf(host, sizeof(host), "mta-sts.%s", name);
	snprintf(pin, sizeof(pin), "%s:%d:", host, POLICY_FETCH_PORT);
	snprintf(tail, sizeof(tail), ":%d", hport);
	snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
	curl_head(c->b, (ms + 999) / 1000);
	mx_text_printf(c->b, " --proto =https --max-filesize %d", POLICY_BODY_MAX);
	if (c->o->cafile) {
		mx_text_printf(c->b, " --cacert");
		arg(c->b, c->o->cafile);
	}
	mx_text_printf(c->b, " --connect-to ");
	word(c->b, pin);
	mx_text_printf(c->b, "\"$(");
	dig_head(c->b, c->ip, c->port);
	mx_text_printf(c->b, " +short");
	arg(c->b, host);
	mx_text_printf(c->b, " A");
	arg(c->b, host);
	mx_text_printf(c->b, " AAAA | awk %s)\"", pick_addr);
	word(c->b, tail);
	arg(c->b, url);
	mx_text_printf(c->b, "\n");
}

/* MTA-STS and TLS-RPT (net/policy.c), when the stage ran. */
static void sts_part(cx *c)
{
	const mx_mta_sts *m = mx_domain_mta_sts(c->d);
	const char *name = mx_domain_name(c->d);

	if (!m)
		return;
	for (size_t i = 0; i < sizeof(txt_questions) / sizeof(txt_questions[0]); i++) {
		const char *got = i == 0 ? m->txt : mx_domain_tls_rpt(c->d);
		char q[MX_NAME_MAX + 16];
		snprintf(q, sizeof(q), "%s.%s", txt_questions[i].label, name);
		comment(c->b, "%s: the %s (mxscope got %s%s%s)", q, txt_questions[i].what,
		        got ? "\"" : "none", got ? got : "", got ? "\"" : "");
		dig(c, DIG_PLAIN, q, "TXT");
	}
	if (!m->txt)
		return; /* no record: no policy is fetched */
	if (m->policy)
		comment(c->b,
		        "mta-sts.%s: the policy (mxscope got mode %s, %zu mx pattern(s), "
		        "max_age %lu)",
		        name, policy_mode_str(m->policy->mode), m->policy->nmx, m->policy->max_age);
	else
		comment(c->b, "mta-sts.%s: the policy (mxscope got no policy: %s)", name,
		        m->error ? m->error : "unknown");
	comment(c->b,
	        "  over HTTPS from the address the same DNS server gives (IPv4 first), "
	        "no redirects, at most %d bytes",
	        POLICY_BODY_MAX);
	policy_curl(c);
}

/* --authoritative (net/auth.c): the zone's NS through the resolver, each
 * name server's addresses, then each address asked directly without
 * recursion for the zone's SOA and the domain's MX. */
static void auth_part(cx *c)
{
	const mx_auth *a = mx_domain_auth(c->d);
	char nsport[16];

	if (!a)
		return;
	snprintf(nsport, sizeof(nsport), "%d", c->o->ns_port > 0 ? c->o->ns_port : 53);
	comment(c->b, "%s: the zone's name servers (mxscope got %s)", a->zone,
	        mx_rcode_str(a->ns_rc));
	dig(c, DIG_PLAIN, a->zone, "NS");
	for (size_t i = 0; i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		/* the servers are sorted by NS name: each name's addresses once */
		if (i == 0 || strcmp(a->srv[i - 1].ns, s->ns) != 0) {
			comment(c->b, "%s: the name server's addresses", s->ns);
			dig(c, DIG_PLAIN, s->ns, "A");
			dig(c, DIG_PLAIN, s->ns, "AAAA");
		}
		if (s->has_serial)
			comment(c->b, "%s %s: SOA, no recursion (mxscope got %s, %s, serial %u)",
			        s->ns, s->ip, mx_rcode_str(s->rc),
			        s->aa ? "authoritative" : "not authoritative", s->serial);
		else
			comment(c->b, "%s %s: SOA, no recursion (mxscope got %s, %s)", s->ns, s->ip,
			        mx_rcode_str(s->rc), s->aa ? "authoritative" : "not authoritative");
		dig_at(c, DIG_NOREC, s->ip, nsport, a->zone, "SOA");
		comment(c->b, "%s %s: MX, no recursion (mxscope got %s, %zu record(s))", s->ns,
		        s->ip, mx_rcode_str(s->mx_rc), s->nmx);
		dig_at(c, DIG_NOREC, s->ip, nsport, mx_domain_name(c->d), "MX");
	}
}

/* "127.0.0.1:25", or "[::1]:25" for openssl's -connect. */
static void hostport(char *out, size_t cap, const char *ip, int port)
{
	snprintf(out, cap, mx_ip_family(ip) == 6 ? "[%s]:%d" : "%s:%d", ip, port);
}

/* The probe as swaks: to EHLO, or with --rcpt what the recipient stage
 * says (MAIL FROM:<>, RCPT TO) and no further: --quit-after RCPT never
 * reaches DATA. */
static void swaks(cx *c, const char *ip, int port, bool tls, const char *rcpt_to)
{
	char hp[96], p[16];

	hostport(hp, sizeof(hp), ip, port);
	snprintf(p, sizeof(p), "%d", port);
	mx_text_printf(c->b, "swaks --server");
	if (mx_ip_family(ip) == 6) {
		arg(c->b, ip);
		mx_text_printf(c->b, " --port");
		arg(c->b, p);
	} else {
		arg(c->b, hp);
	}
	if (c->o->ehlo_name) {
		mx_text_printf(c->b, " --ehlo");
		arg(c->b, c->o->ehlo_name);
	}
	if (rcpt_to) {
		mx_text_printf(c->b, " --from '<>' --to");
		arg(c->b, rcpt_to);
		mx_text_printf(c->b, " --quit-after RCPT");
	} else {
		mx_text_printf(c->b, " --quit-after EHLO");
	}
	mx_text_printf(c->b, "%s\n", tls ? " -tls" : "");
}

/* STARTTLS as openssl: the certificate verified for the MX name with
 * --cafile; or, given the host's secure TLSA records, DANE: the records
 * matched, no name checks for DANE-EE (RFC 7672 §3.1.1). */
static void openssl(cx *c, const char *ip, int port, const char *host, const mx_tlsa *dane)
{
	char hp[96];

	hostport(hp, sizeof(hp), ip, port);
	mx_text_printf(c->b, "openssl s_client -brief -starttls smtp -connect");
	arg(c->b, hp);
	if (c->o->ehlo_name) {
		mx_text_printf(c->b, " -name");
		arg(c->b, c->o->ehlo_name);
	}
	mx_text_printf(c->b, " -servername");
	arg(c->b, host);
	if (dane) {
		mx_text_printf(c->b, " -dane_tlsa_domain");
		arg(c->b, host);
		mx_text_printf(c->b, " -dane_ee_no_namechecks");
		for (size_t i = 0; i < dane->nrecords; i++) {
			mx_text_printf(c->b, " -dane_tlsa_rrdata");
			arg(c->b, dane->records[i]);
		}
	} else {
		mx_text_printf(c->b, " -verify_hostname");
		arg(c->b, host);
		if (c->o->cafile) {
			mx_text_printf(c->b, " -CAfile");
			arg(c->b, c->o->cafile);
		}
	}
	mx_text_printf(c->b, " </dev/null\n");
}

static void probe_part(cx *c, const mx_host *h, const mx_addr *a)
{
	const probe_result *r = a->probe; /* not NULL: only probed addresses get here */
	const char *host = r->host ? r->host : h->exchange;
	int port = r->port > 0 ? r->port : c->o->smtp_port;
	bool tls = r->tls.offered;
	const char *dane = probe_dane_str(r->dane);

	comment(c->b, "%s (preference %u) %s port %d: mxscope got %s", host, h->preference, a->ip,
	        port, probe_state_word(r->state));
	if (r->code)
		comment(c->b, "  greeting code %d, STARTTLS %s", r->code,
		        tls ? (r->tls.verified ? "offered, verified" : "offered, not verified")
		            : "not offered");
	if (r->rcpt.to)
		comment(c->b, "  RCPT TO:<%s>: answered %d %s", r->rcpt.to, r->rcpt.code,
		        r->rcpt.reply ? r->rcpt.reply : "");
	swaks(c, a->ip, port, tls, r->rcpt.to);
	if (!tls)
		return;
	openssl(c, a->ip, port, host, NULL);
	/* DANE: only against records a DANE sender uses (secure ones) */
	if (dane && (r->dane == PROBE_DANE_MATCH || r->dane == PROBE_DANE_MISMATCH) && h->tlsa &&
	    h->tlsa->secure && h->tlsa->nrecords) {
		comment(c->b, "  DANE: mxscope got %s against %zu TLSA record(s)", dane,
		        h->tlsa->nrecords);
		openssl(c, a->ip, port, host, h->tlsa);
	}
}

/* --ptr (net/auth.c): the address's PTR names, then each name's address of
 * the same family (the forward check), at most AUTH_FWD_NAMES_MAX names. */
static void ptr_part(cx *c, const mx_addr *a)
{
	const mx_ptr *p = a->ptr;

	if (!p || p->rc == MX_RC_NOT_ASKED)
		return;
	comment(c->b, "%s: reverse DNS (mxscope got %s, %zu name(s), %s)", a->ip,
	        mx_rcode_str(p->rc), p->nnames,
	        p->forward_confirmed ? "forward-confirmed" : "not forward-confirmed");
	dig(c, DIG_PLAIN, "-x", a->ip);
	for (size_t i = 0; i < p->nnames && i < AUTH_FWD_NAMES_MAX; i++) {
		const char *type = mx_ip_family(a->ip) == 6 ? "AAAA" : "A";
		comment(c->b, "%s %s: the forward check, does it hold %s?", p->names[i], type,
		        a->ip);
		dig(c, DIG_PLAIN, p->names[i], type);
	}
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
		curl_head(b, secs);
		mx_text_printf(b, " -H 'Accept: application/dns-message'");
		arg(b, url);
		mx_text_printf(b, " | od -A x -t x1z\n");
	}
	free(b64);
	free(url);
}

/* len bytes of s inside a double-quoted shell word: \\, ", ` and $ escaped. */
static void dq(mx_text *b, const char *s, size_t len)
{
	char *shown = NULL;
	bool bad = unsafe(s, len, &shown);

	free(shown);
	if (bad) {
		piece(b, "", s, len, false);
		return;
	}
	for (size_t i = 0; i < len; i++)
		mx_text_printf(b, "%s%c", strchr("\\\"`$", s[i]) && s[i] ? "\\" : "", s[i]);
}

static void json_curl(mx_text *b, const blr_provider *p, const char *ip, unsigned secs)
{
	char *url = blr_expand_url(p, ip);

	if (!url)
		return;
	comment(b, "  %s: JSON API", p->name);
	curl_head(b, secs);
	mx_text_printf(b, " -H 'Accept: application/json'");
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

/* Everything about one address, in the order mxscope asks. */
static void addr_part(cx *c, const mx_host *h, const mx_addr *a)
{
	if (a->probe)
		probe_part(c, h, a);
	ptr_part(c, a);
	blocklist_part(c->b, a, c->o);
}

static void cx_init(cx *c, mx_text *b, const mx_domain *d, const commands_opts *o)
{
	*c = (cx){.b = b, .o = o, .d = d};
	first_server(o->resolver, c->ip, sizeof(c->ip), c->port, sizeof(c->port));
}

/* The shell rule's second half: every line holding a refused piece is
 * printed as a comment, so pasting the text runs nothing of it. */
static char *finish(mx_text *b)
{
	mx_text o = {0};
	const char *p = b->s;

	if (b->failed || !p || !strchr(p, CMD_REFUSED))
		return mx_text_take(b);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (memchr(p, CMD_REFUSED, len)) {
			mx_text_printf(&o,
			               "# not run: a recorded or received field holds a control "
			               "character or a line break (shown escaped):\n#   ");
			for (size_t i = 0; i < len; i++)
				if (p[i] != CMD_REFUSED)
					mx_text_printf(&o, "%c", p[i]);
		} else {
			mx_text_printf(&o, "%.*s", (int)len, p);
		}
		mx_text_printf(&o, "%s", nl ? "\n" : "");
		p += len + (nl ? 1 : 0);
	}
	free(mx_text_take(b));
	return mx_text_take(&o);
}

char *commands_text(const mx_domain *d, const commands_opts *o)
{
	mx_text b = {0};
	cx c;

	cx_init(&c, &b, d, o);
	dns_part(&c);
	sts_part(&c);
	auth_part(&c);
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++)
			addr_part(&c, h, &h->addrs[k]);
	}
	return finish(&b);
}

char *commands_addr_text(const mx_domain *d, size_t host, size_t addr, const commands_opts *o)
{
	const mx_host *h = host < mx_domain_host_count(d) ? mx_domain_host(d, host) : NULL;
	mx_text b = {0};
	cx c;

	if (!h || addr >= h->naddrs)
		return NULL;
	cx_init(&c, &b, d, o);
	if (!h->addrs[addr].probe)
		comment(&b, "%s %s: not probed (yet)", h->exchange, h->addrs[addr].ip);
	addr_part(&c, h, &h->addrs[addr]);
	return finish(&b);
}
