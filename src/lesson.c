/* src/lesson.c — `mxscope lab --from FILE` (lesson.h): a recording made into a
 * lab scenario file a trainer can edit and run (docs/lab.md's language).
 *
 * What DNS said becomes records with their TTLs, under an SOA for each zone
 * the domains and their hosts live in, so the lab answers (and says NXDOMAIN
 * or NODATA) as the recorded servers did. What each probe found becomes the
 * behaviour of the lab host at that address (accept, refuse, silent,
 * tempfail, reject, garbage; slow when the greeting was slow; the TLS
 * certificate kind; the greeting's name). The findings become $EXPLAIN
 * lines. Addresses outside 127.0.0.0/8 get a loopback stand-in (the lab
 * never listens anywhere else), named in a comment. */
#include "lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "name.h"
#include "record.h"

#define MAX_NAMES 4096 /* distinct names, apexes or addresses in one lesson */

/* A small set of strings, in insertion order (bounded). */
typedef struct strset {
	char **s;
	char **val; /* a value per string (address map), or NULL */
	size_t n, cap;
} strset;

static const char *set_find(const strset *t, const char *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->s[i], s) == 0)
			return t->val[i] ? t->val[i] : t->s[i];
	return NULL;
}

/* Adds s (and v) unless present; false when it was there or on failure. */
static bool set_add(strset *t, const char *s, const char *v)
{
	if (set_find(t, s) || t->n >= MAX_NAMES)
		return false;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		char **g = realloc(t->s, nc * sizeof(*g)), **h;
		if (!g)
			return false;
		t->s = g;
		h = realloc(t->val, nc * sizeof(*h));
		if (!h)
			return false;
		t->val = h;
		t->cap = nc;
	}
	t->s[t->n] = strdup(s);
	t->val[t->n] = v ? strdup(v) : NULL;
	if (!t->s[t->n])
		return false;
	t->n++;
	return true;
}

static void set_free(strset *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->s[i]);
		free(t->val[i]);
	}
	free(t->s);
	free(t->val);
}

typedef struct lesson {
	mx_domain **d;
	size_t n, cap;
	char *at, *resolver;
	int code;
	strset apex, names, addrmap, smtp;
	unsigned next_stand_in;
	FILE *out;
} lesson;

static void on_record(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                      void *arg)
{
	lesson *l = arg;
	mx_domain **g;

	(void)lineno;
	if (error) {
		cli_error("%s", error);
		l->code = 2;
		return;
	}
	if (!l->at && m->at)
		l->at = strdup(m->at);
	if (!l->resolver && m->resolver)
		l->resolver = strdup(m->resolver);
	/* the explorer records every change: the last line is the state */
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(mx_domain_name(l->d[i]), mx_domain_name(d)) == 0) {
			mx_domain_free(l->d[i]);
			l->d[i] = d;
			return;
		}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		if (!(g = realloc(l->d, nc * sizeof(*g)))) {
			mx_domain_free(d);
			l->code = 2;
			return;
		}
		l->d = g;
		l->cap = nc;
	}
	l->d[l->n++] = d;
}

/* ---- names and zones ------------------------------------------------------- */

static const char *parent(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot[1] ? dot + 1 : name;
}

static bool under(const char *name, const char *apex)
{
	size_t n = strlen(name), a = strlen(apex);

	return strcasecmp(name, apex) == 0 ||
	       (n > a && name[n - a - 1] == '.' && strcasecmp(name + n - a, apex) == 0);
}

static bool covered(const lesson *l, const char *name)
{
	for (size_t i = 0; i < l->apex.n; i++)
		if (under(name, l->apex.s[i]))
			return true;
	return false;
}

/* A name the scenario language takes as it is (no escapes needed). */
static bool plain_name(const char *s)
{
	return s[0] && mx_name_is_host(s, strlen(s));
}

/* ---- addresses -------------------------------------------------------------- */

/* The address the lab uses for ip: itself when it is loopback, else a
 * stand-in 127.77.x.y (IPv4 only: IPv6 has one loopback address). NULL when
 * there is none (an IPv6 address that is not ::1). */
static const char *lab_ip(lesson *l, const char *ip)
{
	const char *got;
	char buf[32];

	if (mx_ip_is_loopback(ip))
		return ip;
	if ((got = set_find(&l->addrmap, ip)))
		return got;
	if (mx_ip_family(ip) != 4 || l->next_stand_in >= 65000)
		return NULL;
	l->next_stand_in++;
	snprintf(buf, sizeof(buf), "127.77.%u.%u", l->next_stand_in / 250,
	         l->next_stand_in % 250 + 1);
	set_add(&l->addrmap, ip, buf);
	return set_find(&l->addrmap, ip);
}

/* ---- behaviours ------------------------------------------------------------- */

/* What the lab host does, from what the probe found (docs/lab.md "SMTP
 * hosts"). Only "accepted or not" decides the walk; the rest keeps the
 * lesson close to what was seen. */
static const char *behaviour(probe_state s)
{
	static const char *const table[PROBE_STATE_COUNT] = {
	    [PROBE_ACCEPTED] = "accept",         [PROBE_TEMPFAIL] = "tempfail",
	    [PROBE_REJECTED] = "reject",         [PROBE_REFUSED] = "refuse",
	    [PROBE_UNREACHABLE] = "refuse",      [PROBE_CONNECT_TIMEOUT] = "silent",
	    [PROBE_GREETING_TIMEOUT] = "silent", [PROBE_TLS_FAILED] = "drop-ehlo",
	    [PROBE_GARBAGE] = "garbage",         [PROBE_ERROR] = "refuse",
	};

	return (unsigned)s < PROBE_STATE_COUNT ? table[s] : NULL;
}

/* greets: the name the host greets with, or NULL. */
static const char *tls_kind(const probe_result *r, const char *greets)
{
	const probe_tls *t = &r->tls;
	const char *e = t->verify_error ? t->verify_error : "";

	if (t->verified)
		return "valid";
	/* a host greeting with another name than the one it was probed as
	 * (a CNAME, a shared address) has its certificate for that name:
	 * valid there, a name mismatch here, as the lab's own hosts do */
	if (greets && r->host && strcasecmp(greets, r->host) != 0 &&
	    (strstr(e, "match") || strstr(e, "name")))
		return "valid";
	if (strstr(e, "expired"))
		return "expired";
	if (strstr(e, "self-signed") || strstr(e, "self signed"))
		return "self-signed";
	if (strstr(e, "match") || strstr(e, "hostname") || strstr(e, "name"))
		return "wrong-name";
	return "self-signed";
}

/* The greeting's first word when it is a host name (after an enhanced
 * status code such as "5.7.1", RFC 3463): the NAME the host greets, and
 * gets its certificate, with. */
static bool greeting_name(const probe_result *r, char *out, size_t cap)
{
	size_t len = r->greeting ? probe_greeting_len(r) : 0;
	const char *p = r->greeting;

	for (int word = 0; word < 2 && p; word++) {
		size_t n = 0;
		while (n < len && p[n] != ' ' && p[n] != '\n' && p[n] != '\0')
			n++;
		if (n == 0 || n + 1 >= cap)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		if (strspn(out, "0123456789.") != n)
			return plain_name(out);
		if (n >= len || p[n] != ' ')
			return false;
		len -= n + 1;
		p += n + 1;
	}
	return false;
}

static void smtp_line(lesson *l, const char *ip, const probe_result *r)
{
	const char *b = behaviour(r->state);
	char name[256];
	bool named = r->state != PROBE_GARBAGE && greeting_name(r, name, sizeof(name));

	if (!b || !set_add(&l->smtp, ip, NULL))
		return;
	fprintf(l->out, "$SMTP %s %s", ip, b);
	if (strcmp(b, "refuse") != 0) {
		if (r->state == PROBE_ACCEPTED && r->t.greeting >= 1000)
			fprintf(l->out, " slow=%.1f", (double)r->t.greeting / 1000.0);
		if (r->state == PROBE_ACCEPTED && !r->tls.offered)
			fprintf(l->out, " starttls=no");
		else if (r->state == PROBE_ACCEPTED)
			fprintf(l->out, " tls=%s", tls_kind(r, named ? name : NULL));
		if (named)
			fprintf(l->out, " name=%s", name);
	}
	fprintf(l->out, "    ; recorded: %s", probe_state_word(r->state));
	if (r->code)
		fprintf(l->out, " %d", r->code);
	fputc('\n', l->out);
}

/* ---- writing ---------------------------------------------------------------- */

/* $TITLE and $EXPLAIN take the rest of the line: no control characters. */
static void text_line(FILE *out, const char *prefix, const char *text)
{
	fputs(prefix, out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	fputc('\n', out);
}

static void zones(lesson *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const mx_domain *d = l->d[i];
		const char *name = mx_domain_name(d);
		/* the parent, so that a domain that does not exist is NXDOMAIN */
		set_add(&l->apex, parent(name), NULL);
	}
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < mx_domain_host_count(l->d[i]); k++) {
			const mx_host *h = mx_domain_host(l->d[i], k);
			if (h->exchange[0] && plain_name(h->exchange) && !covered(l, h->exchange))
				set_add(&l->apex, parent(h->exchange), NULL);
			if (h->cname && plain_name(h->cname) && !covered(l, h->cname))
				set_add(&l->apex, parent(h->cname), NULL);
		}
	fprintf(l->out,
	        "\n; the zones the lab answers for (docs/lab.md \"Where the lab answers\")\n");
	for (size_t i = 0; i < l->apex.n; i++)
		fprintf(l->out, "%s. SOA ns.%s. hostmaster.%s. 1 3600 600 86400 30\n", l->apex.s[i],
		        l->apex.s[i], l->apex.s[i]);
}

static void addr_records(lesson *l, const char *owner, const mx_host *h)
{
	for (size_t k = 0; k < h->naddrs; k++) {
		const mx_addr *a = &h->addrs[k];
		const char *ip = lab_ip(l, a->ip);
		char key[600];
		if (!ip) {
			fprintf(l->out, "; %s %s: no loopback stand-in for this address\n", owner,
			        a->ip);
			continue;
		}
		snprintf(key, sizeof(key), "%s %s", owner, ip);
		if (!set_add(&l->names, key, NULL))
			continue;
		fprintf(l->out, "%s. %u %s %s", owner, a->ttl, a->family == 6 ? "AAAA" : "A", ip);
		if (strcmp(ip, a->ip) != 0)
			fprintf(l->out, "    ; %s in the recording", a->ip);
		fputc('\n', l->out);
	}
}

static void domain_records(lesson *l, const mx_domain *d)
{
	const char *name = mx_domain_name(d);

	fprintf(l->out, "\n; %s: MX lookup %s\n", name, mx_rcode_str(mx_domain_mx_rcode(d)));
	if (mx_domain_mx_rcode(d) == MX_RC_NODATA && !mx_domain_implicit_mx(d))
		fprintf(l->out, "%s. 30 TXT \"no MX here (recorded)\"\n", name);
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		if (h->implicit) {
			if (h->naddrs == 0)
				fprintf(l->out, "%s. 30 TXT \"no MX and no address (recorded)\"\n",
				        name);
			addr_records(l, name, h);
			continue;
		}
		if (!h->exchange[0]) {
			fprintf(l->out, "%s. %u MX %u .\n", name, h->ttl, h->preference);
			continue;
		}
		if (!plain_name(h->exchange)) {
			fprintf(l->out, "; an MX target that is no plain host name is left out\n");
			continue;
		}
		fprintf(l->out, "%s. %u MX %u %s.\n", name, h->ttl, h->preference, h->exchange);
	}
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		char key[600];
		if (h->implicit || !h->exchange[0] || !plain_name(h->exchange))
			continue;
		if (h->cname && plain_name(h->cname)) {
			snprintf(key, sizeof(key), "cname %s", h->exchange);
			if (set_add(&l->names, key, NULL))
				fprintf(l->out, "%s. %u CNAME %s.\n", h->exchange,
				        h->naddrs ? h->addrs[0].ttl : 30, h->cname);
			addr_records(l, h->cname, h);
		} else {
			addr_records(l, h->exchange, h);
		}
	}
	for (size_t i = 0; i < mx_domain_srv_count(d); i++) {
		const mx_srv *s = mx_domain_srv(d, i);
		if (s->target[0] && !plain_name(s->target))
			continue;
		fprintf(l->out, "%s.%s. %u SRV %u %u %u %s.\n", s->service, name, s->ttl,
		        s->priority, s->weight, s->port, s->target[0] ? s->target : "");
	}
}

static void scenario_name(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t o = 0;

	for (const char *p = base; *p && *p != '.' && o + 1 < cap && o < 64; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
			out[o++] = c;
		else if (o && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	if (!o)
		snprintf(out, cap, "recorded");
}

static void write_lesson(lesson *l, const char *path)
{
	char name[80];
	const char *as = NULL;

	scenario_name(path, name, sizeof(name));
	fprintf(l->out, "; A lab scenario made from the recording %s by mxscope lab --from\n",
	        path);
	fprintf(l->out, "; (docs/replay.md). Edit the $EXPLAIN lines for the room; run it with\n");
	fprintf(l->out, "; mxscope lab THIS.zone\n");
	fprintf(l->out, "$TTL 30\n$SCENARIO %s\n", name);
	{
		char title[400];
		snprintf(title, sizeof(title), "Recorded %s%s%s%s", mx_domain_name(l->d[0]),
		         l->n > 1 ? " and others" : "", l->at ? " at " : "", l->at ? l->at : "");
		text_line(l->out, "$TITLE ", title);
	}
	for (size_t i = 0; i < l->n; i++) {
		fprintf(l->out, "$DOMAIN %s.\n", mx_domain_name(l->d[i]));
		if (!as)
			as = mx_domain_as_host(l->d[i]);
	}
	if (as && plain_name(as))
		fprintf(l->out, "$AS %s\n", as);
	if (l->at || l->resolver) {
		char what[300];
		snprintf(what, sizeof(what), "Recorded%s%s%s%s.", l->at ? " at " : "",
		         l->at ? l->at : "", l->resolver ? ", asking " : "",
		         l->resolver ? l->resolver : "");
		text_line(l->out, "$EXPLAIN ", what);
	}
	for (size_t i = 0; i < l->n; i++) {
		const mx_domain *d = l->d[i];
		for (size_t k = 0; k < mx_domain_finding_count(d); k++) {
			const mx_finding *f = mx_domain_finding(d, k);
			char line[1200];
			snprintf(line, sizeof(line), "%s: %s [%s]", mx_domain_name(d), f->message,
			         f->code);
			text_line(l->out, "$EXPLAIN ", line);
		}
	}
	zones(l);
	for (size_t i = 0; i < l->n; i++)
		domain_records(l, l->d[i]);
	fprintf(l->out, "\n; the SMTP hosts, as the probes found them\n");
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < mx_domain_host_count(l->d[i]); k++) {
			const mx_host *h = mx_domain_host(l->d[i], k);
			for (size_t m = 0; m < h->naddrs; m++) {
				const char *ip =
				    h->addrs[m].probe ? lab_ip(l, h->addrs[m].ip) : NULL;
				if (ip)
					smtp_line(l, ip, h->addrs[m].probe);
			}
		}
}

int lesson_run(const cli_opts *o)
{
	lesson l = {.out = stdout};
	char *why = NULL;

	if (rec_read_file(o->set.from, on_record, &l, NULL, &why) != MXS_OK) {
		cli_error("%s", why ? why : "cannot read");
		free(why);
		l.code = 2;
	} else if (l.n == 0) {
		cli_error("%s: no domain in the recording", o->set.from);
		l.code = 2;
	} else {
		write_lesson(&l, o->set.from);
		/* a scenario cut short by a full disk is no scenario: said, exit 3 */
		if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
			cli_error("cannot write the scenario: %s", strerror(errno));
			l.code = 3;
		}
	}
	for (size_t i = 0; i < l.n; i++)
		mx_domain_free(l.d[i]);
	free(l.d);
	free(l.at);
	free(l.resolver);
	set_free(&l.apex);
	set_free(&l.names);
	set_free(&l.addrmap);
	set_free(&l.smtp);
	return l.code;
}
