/* lab/sts.c — the lab's MTA-STS policies: the $MTA-STS directive that
 * declares one (docs/lab.md), the world's view of them for the HTTPS server
 * (sts_server.c), and the trainer's live changes. The DNS side of MTA-STS
 * (the _mta-sts TXT record, the address of mta-sts.DOMAIN) is ordinary
 * records in the scenario's zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lab_internal.h"
#include "name.h"
#include "num.h"
#include "zone_internal.h"

#define LAB_STS_MAX_AGE 31557600UL /* RFC 8461 §3.2 */

static const char *const mode_names[] = {"none", "testing", "enforce"};
static const char *const serve_names[] = {
    [LAB_STS_OK] = "ok",     [LAB_STS_MISSING] = "missing", [LAB_STS_REDIRECT] = "redirect",
    [LAB_STS_HTML] = "html", [LAB_STS_HUGE] = "huge",       [LAB_STS_SILENT] = "silent",
};

static int lookup(const char *const *names, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* A pattern as RFC 8461 §4.1 allows: a host name, or "*." and one. */
static int pattern_ok(const char *s, size_t len)
{
	if (len > 2 && s[0] == '*' && s[1] == '.')
		return mx_name_is_host(s + 2, len - 2);
	return mx_name_is_host(s, len);
}

static void copy_lower(char *out, const char *s, size_t len)
{
	if (len && s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)lab_name_lower((uint8_t)s[i]);
	out[len] = '\0';
}

/* One key=value word of a $MTA-STS line. */
static mxs_status sts_option(struct parser *p, struct lab_sts *s, const char *w, size_t wl)
{
	const char *eq = memchr(w, '=', wl);
	size_t kl = eq ? (size_t)(eq - w) : wl, vl = eq ? wl - kl - 1 : 0;
	const char *v = eq ? eq + 1 : w + wl;
	char b[128], num[16];
	int i;

	if (eq && kl == 4 && strncasecmp(w, "mode", 4) == 0) {
		if ((i = lookup(mode_names, 3, v, vl)) < 0)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected mode=enforce, testing or none, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), w, wl));
		s->mode = i;
		return MXS_OK;
	}
	if (eq && kl == 2 && strncasecmp(w, "mx", 2) == 0) {
		if (s->nmx == LAB_STS_MX_MAX)
			return lab_zone_err(p, MXS_ERR_LIMIT, p->line,
			                    "more than %d mx= on a $MTA-STS line", LAB_STS_MX_MAX);
		if (!pattern_ok(v, vl))
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected mx=HOST or mx=*.DOMAIN, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), w, wl));
		copy_lower(s->mx[s->nmx++], v, vl);
		return MXS_OK;
	}
	if (eq && kl == 7 && strncasecmp(w, "max_age", 7) == 0) {
		if (vl == 0 || vl >= sizeof(num))
			goto bad_age;
		memcpy(num, v, vl);
		num[vl] = '\0';
		if (!mx_num_parse(num, LAB_STS_MAX_AGE, &s->max_age))
			goto bad_age;
		return MXS_OK;
	}
	if (eq && kl == 5 && strncasecmp(w, "serve", 5) == 0) {
		if ((i = lookup(serve_names, 6, v, vl)) < 0)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "expected serve=ok, missing, redirect, html, huge or "
			                    "silent, got \"%s\"",
			                    lab_zone_show(b, sizeof(b), w, wl));
		s->serve = (enum lab_sts_serve)i;
		return MXS_OK;
	}
	return lab_zone_err(p, MXS_ERR_INVALID, p->line,
	                    "unknown $MTA-STS option \"%s\"; expected mode=, mx=, max_age= or "
	                    "serve=",
	                    lab_zone_show(b, sizeof(b), w, wl));
bad_age:
	return lab_zone_err(p, MXS_ERR_INVALID, p->line,
	                    "expected max_age=SECONDS (0-31557600), got \"%s\"",
	                    lab_zone_show(b, sizeof(b), w, wl));
}

mxs_status lab_zone_sts(struct parser *p, const char *arg, size_t len)
{
	struct lab_sts s = {.line = p->line, .mode = 2, .max_age = 86400};
	uint8_t wire[256];
	size_t wlen = 0, i = 0, n = 0;
	const char *err = NULL;
	char text[LAB_DNS_NAME_TEXT], b[128];
	struct lab_sts *g;
	mxs_status st;

	while (i < len) {
		const char *w;
		size_t wl;
		while (i < len && lab_zone_blank(arg[i]))
			i++;
		if (i == len)
			break;
		w = arg + i;
		while (i < len && !lab_zone_blank(arg[i]))
			i++;
		wl = (size_t)(arg + i - w);
		if (n++ == 0) {
			if (lab_zone_name(p, w, wl, wire, &wlen, &err) < 0)
				return lab_zone_err(
				    p, MXS_ERR_INVALID, p->line,
				    "expected \"$MTA-STS DOMAIN mx=HOST ...\": \"%s\" is "
				    "not a domain name (%s)",
				    lab_zone_show(b, sizeof(b), w, wl), err);
			lab_name_to_text(wire, text);
			if (strlen(text) >= sizeof(s.domain) ||
			    !mx_name_is_host(text, strlen(text)))
				return lab_zone_err(
				    p, MXS_ERR_INVALID, p->line,
				    "$MTA-STS needs a host-like domain name, got \"%s\"",
				    lab_zone_show(b, sizeof(b), w, wl));
			memcpy(s.domain, text, strlen(text) + 1);
			continue;
		}
		if ((st = sts_option(p, &s, w, wl)))
			return st;
	}
	if (n == 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "expected \"$MTA-STS DOMAIN [mode=enforce|testing|none] "
		                    "mx=PATTERN... [max_age=N] [serve=ok|missing|redirect|html]\"");
	if (s.mode != 0 && s.nmx == 0)
		return lab_zone_err(p, MXS_ERR_INVALID, p->line,
		                    "$MTA-STS %s: mode %s needs at least one mx=", s.domain,
		                    mode_names[s.mode]);
	for (size_t k = 0; k < p->sc.nsts; k++)
		if (strcmp(p->sc.sts[k].domain, s.domain) == 0)
			return lab_zone_err(p, MXS_ERR_INVALID, p->line,
			                    "a second $MTA-STS line for %s (the first is line %d)",
			                    s.domain, p->sc.sts[k].line);
	g = realloc(p->sc.sts, (p->sc.nsts + 1) * sizeof(*g));
	if (!g)
		return lab_zone_nomem(p);
	p->sc.sts = g;
	p->sc.sts[p->sc.nsts++] = s;
	return MXS_OK;
}

/* The line for domain in w, writable (the trainer's changes). */
static struct lab_sts *find(const lab_world *w, const char *domain)
{
	size_t len;

	if (!w || !domain)
		return NULL;
	len = strlen(domain);
	if (len && domain[len - 1] == '.')
		len--;
	for (size_t i = 0; i < w->nscen; i++)
		for (size_t k = 0; k < w->scen[i].nsts; k++) {
			struct lab_sts *s = &w->scen[i].sts[k];
			if (strlen(s->domain) == len && strncasecmp(s->domain, domain, len) == 0)
				return s;
		}
	return NULL;
}

const struct lab_sts *lab_world_sts(const lab_world *w, const char *domain)
{
	return find(w, domain);
}

size_t lab_sts_body(const struct lab_sts *s, char *buf, size_t cap)
{
	size_t n = 0;
	int k;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		k = snprintf(buf ? buf + (n < cap ? n : cap) : NULL, n < cap ? cap - n : 0,        \
		             __VA_ARGS__);                                                         \
		if (k > 0)                                                                         \
			n += (size_t)k;                                                            \
	} while (0)
	PUT("version: STSv1\r\nmode: %s\r\n", mode_names[s->mode]);
	for (size_t i = 0; i < s->nmx; i++)
		PUT("mx: %s\r\n", s->mx[i]);
	PUT("max_age: %lu\r\n", s->max_age);
#undef PUT
	return n;
}

void lab_sts_reset(lab_world *w, const lab_world *fresh)
{
	for (size_t i = 0; i < w->nscen && i < fresh->nscen; i++)
		for (size_t k = 0; k < w->scen[i].nsts && k < fresh->scen[i].nsts; k++)
			w->scen[i].sts[k] = fresh->scen[i].sts[k];
}

mxs_status lab_world_set_sts(lab_world *w, const char *domain, const char *word, char **why)
{
	struct lab_sts *s = find(w, domain);
	int i;

	if (!s) {
		mxs_why(why, "%s has no $MTA-STS policy in the lab", domain ? domain : "?");
		return MXS_ERR_INVALID;
	}
	if ((i = lookup(mode_names, 3, word, strlen(word))) >= 0) {
		if (i != 0 && s->nmx == 0) {
			mxs_why(why, "%s: mode %s needs an mx pattern first (sts-mx)", domain,
			        mode_names[i]);
			return MXS_ERR_INVALID;
		}
		s->mode = i;
		return MXS_OK;
	}
	if ((i = lookup(serve_names, 6, word, strlen(word))) >= 0) {
		s->serve = (enum lab_sts_serve)i;
		return MXS_OK;
	}
	mxs_why(why,
	        "expected enforce, testing, none, ok, missing, redirect, html, huge, silent or "
	        "mx=PATTERN, not \"%.40s\"",
	        word);
	return MXS_ERR_INVALID;
}

mxs_status lab_world_add_sts_mx(lab_world *w, const char *domain, const char *pattern, char **why)
{
	struct lab_sts *s = find(w, domain);
	size_t len = strlen(pattern);

	if (!s) {
		mxs_why(why, "%s has no $MTA-STS policy in the lab", domain ? domain : "?");
		return MXS_ERR_INVALID;
	}
	if (!pattern_ok(pattern, len) || len >= LAB_SMTP_NAME_MAX) {
		mxs_why(why, "\"%.60s\" is not a host name or *.domain", pattern);
		return MXS_ERR_INVALID;
	}
	if (s->nmx == LAB_STS_MX_MAX) {
		mxs_why(why, "%s: the policy has %d mx patterns already", domain, LAB_STS_MX_MAX);
		return MXS_ERR_LIMIT;
	}
	copy_lower(s->mx[s->nmx++], pattern, len);
	return MXS_OK;
}
