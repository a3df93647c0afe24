/* core/policy.c — reading MTA-STS records and policies (RFC 8461 §3.1, §3.2)
 * and matching MX hosts against a policy's patterns (§4.1). */
#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "name.h"
#include "num.h"

const char *policy_mode_str(policy_mode m)
{
	switch (m) {
	case POLICY_MODE_NONE: return "none";
	case POLICY_MODE_TESTING: return "testing";
	case POLICY_MODE_ENFORCE: return "enforce";
	}
	return "?";
}

static const struct {
	const char *word;
	policy_mode mode;
} modes[] = {
    {"enforce", POLICY_MODE_ENFORCE},
    {"testing", POLICY_MODE_TESTING},
    {"none", POLICY_MODE_NONE},
};

void policy_free(policy_sts *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	free(p->mx);
	free(p);
}

policy_sts *policy_dup(const policy_sts *p)
{
	policy_sts *d;

	if (!p)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->mode = p->mode;
	d->max_age = p->max_age;
	if (p->nmx) {
		d->mx = calloc(p->nmx, sizeof(*d->mx));
		if (!d->mx)
			goto fail;
	}
	for (; d->nmx < p->nmx; d->nmx++)
		if (!(d->mx[d->nmx] = strdup(p->mx[d->nmx])))
			goto fail;
	return d;
fail:
	policy_free(d);
	return NULL;
}

/* ---- the policy file ---------------------------------------------------- */

/* What the parser has seen so far. */
typedef struct parse_state {
	policy_sts *p;
	bool have_version, have_mode, have_max_age;
	unsigned long lineno;
	char **why;
} parse_state;

/* A copy of an mx: value when it is a host name or "*." and one; lower-case,
 * without a trailing dot. NULL when it is neither (*bad) or out of memory. */
static char *mx_pattern(const char *v, size_t len, bool *bad)
{
	const char *host = v;
	size_t hlen = len;
	char *out;

	*bad = false;
	if (len >= 2 && v[0] == '*' && v[1] == '.') {
		host = v + 2;
		hlen = len - 2;
	}
	if (hlen == 0 || !mx_name_is_host(host, hlen)) {
		*bad = true;
		return NULL;
	}
	if (len && v[len - 1] == '.')
		len--;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[len] = '\0';
	return out;
}

static mxs_status field_mx(parse_state *ps, const char *v, size_t len)
{
	policy_sts *p = ps->p;
	bool bad;
	char *pat, **grown;

	if (p->nmx >= POLICY_MX_MAX) {
		mxs_why(ps->why, "line %lu: more than %d mx: lines", ps->lineno, POLICY_MX_MAX);
		return MXS_ERR_LIMIT;
	}
	pat = mx_pattern(v, len, &bad);
	if (!pat) {
		if (bad)
			mxs_why(ps->why, "line %lu: mx \"%.*s\" is not a host name or *.host name",
			        ps->lineno, (int)(len > 80 ? 80 : len), v);
		return bad ? MXS_ERR_INVALID : MXS_ERR_NOMEM;
	}
	grown = realloc(p->mx, (p->nmx + 1) * sizeof(*p->mx));
	if (!grown) {
		free(pat);
		return MXS_ERR_NOMEM;
	}
	p->mx = grown;
	p->mx[p->nmx++] = pat;
	return MXS_OK;
}

/* A field that may appear once; a second one is refused: two modes leave
 * the domain's intent unknown, and guessing would be worse than saying so. */
static bool once(parse_state *ps, bool *seen, const char *key)
{
	if (*seen) {
		mxs_why(ps->why, "line %lu: %s given twice", ps->lineno, key);
		return false;
	}
	*seen = true;
	return true;
}

static mxs_status field(parse_state *ps, const char *key, size_t klen, const char *v, size_t vlen)
{
	char num[16];

	if (klen == 7 && strncmp(key, "version", 7) == 0) {
		if (!once(ps, &ps->have_version, "version"))
			return MXS_ERR_INVALID;
		if (vlen != 5 || strncmp(v, "STSv1", 5) != 0) {
			mxs_why(ps->why, "line %lu: version \"%.*s\" is not STSv1", ps->lineno,
			        (int)(vlen > 40 ? 40 : vlen), v);
			return MXS_ERR_INVALID;
		}
		return MXS_OK;
	}
	if (klen == 4 && strncmp(key, "mode", 4) == 0) {
		if (!once(ps, &ps->have_mode, "mode"))
			return MXS_ERR_INVALID;
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strlen(modes[i].word) == vlen && strncmp(modes[i].word, v, vlen) == 0) {
				ps->p->mode = modes[i].mode;
				return MXS_OK;
			}
		mxs_why(ps->why, "line %lu: mode \"%.*s\" is not enforce, testing or none",
		        ps->lineno, (int)(vlen > 40 ? 40 : vlen), v);
		return MXS_ERR_INVALID;
	}
	if (klen == 7 && strncmp(key, "max_age", 7) == 0) {
		if (!once(ps, &ps->have_max_age, "max_age"))
			return MXS_ERR_INVALID;
		/* RFC 8461 §3.2: 1*10DIGIT, at most 31557600 */
		if (vlen == 0 || vlen > 10) {
			mxs_why(ps->why, "line %lu: max_age is not a number of seconds",
			        ps->lineno);
			return MXS_ERR_INVALID;
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (!mx_num_parse(num, POLICY_MAX_AGE_MAX, &ps->p->max_age)) {
			mxs_why(ps->why, "line %lu: max_age \"%s\" is not a number from 0 to %lu",
			        ps->lineno, num, POLICY_MAX_AGE_MAX);
			return MXS_ERR_INVALID;
		}
		return MXS_OK;
	}
	if (klen == 2 && strncmp(key, "mx", 2) == 0)
		return field_mx(ps, v, vlen);
	return MXS_OK; /* §3.2: unknown fields are ignored (extensions) */
}

static bool is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* One line without its line end: "key" ":" *WSP value *WSP. */
static mxs_status line(parse_state *ps, const char *s, size_t len)
{
	size_t k = 0, v, e;

	while (k < len && is_key_char(s[k]))
		k++;
	if (k == 0 || k >= len || s[k] != ':') {
		mxs_why(ps->why, "line %lu: not a \"key: value\" line", ps->lineno);
		return MXS_ERR_INVALID;
	}
	v = k + 1;
	while (v < len && (s[v] == ' ' || s[v] == '\t'))
		v++;
	e = len;
	while (e > v && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	for (size_t i = v; i < e; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f) {
			mxs_why(ps->why, "line %lu: a control character in the value", ps->lineno);
			return MXS_ERR_INVALID;
		}
	return field(ps, s, k, s + v, e - v);
}

policy_sts *policy_parse(const char *body, size_t len, char **why)
{
	parse_state ps = {.why = why};
	size_t at = 0;
	mxs_status st = MXS_OK;

	if (len > POLICY_BODY_MAX) {
		mxs_why(why, "the policy is larger than %d bytes", POLICY_BODY_MAX);
		return NULL;
	}
	if (memchr(body, '\0', len)) {
		mxs_why(why, "the policy holds a NUL byte");
		return NULL;
	}
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	while (at < len) {
		const char *nl = memchr(body + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - body) : len, l = end - at;
		ps.lineno++;
		if (l && body[at + l - 1] == '\r')
			l--;
		if (l) {
			st = line(&ps, body + at, l);
			if (st != MXS_OK)
				goto fail;
		}
		at = end + 1;
	}
	if (!ps.have_version) {
		mxs_why(why, "no version: STSv1 line");
		goto fail;
	}
	if (!ps.have_mode) {
		mxs_why(why, "no mode: line");
		goto fail;
	}
	if (!ps.have_max_age) {
		mxs_why(why, "no max_age: line");
		goto fail;
	}
	if (ps.p->mode != POLICY_MODE_NONE && ps.p->nmx == 0) {
		mxs_why(why, "mode %s without any mx: line", policy_mode_str(ps.p->mode));
		goto fail;
	}
	return ps.p;
fail:
	if (st == MXS_ERR_NOMEM)
		mxs_why(why, "out of memory");
	policy_free(ps.p);
	return NULL;
}

/* ---- the TXT record ----------------------------------------------------- */

bool policy_txt_parse(const char *txt, char **id, char **why)
{
	const char *p = txt;
	bool first = true, have_id = false;

	*id = NULL;
	while (*p) {
		const char *k, *eq, *v, *end;
		size_t vlen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		k = p;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		eq = memchr(k, '=', (size_t)(end - k));
		if (!eq) {
			mxs_why(why, "field \"%.*s\" has no '='",
			        (int)(end - k > 40 ? 40 : end - k), k);
			goto fail;
		}
		v = eq + 1;
		vlen = (size_t)(end - v);
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (first) {
			/* §3.1: the record starts with v=STSv1 */
			if (eq - k != 1 || k[0] != 'v' || vlen != 5 ||
			    strncmp(v, "STSv1", 5) != 0) {
				mxs_why(why, "the record does not start with v=STSv1");
				goto fail;
			}
			first = false;
		} else if (eq - k == 2 && strncmp(k, "id", 2) == 0) {
			if (have_id) {
				mxs_why(why, "id given twice");
				goto fail;
			}
			if (vlen == 0 || vlen > 32) {
				mxs_why(why, "id is not 1 to 32 letters and digits");
				goto fail;
			}
			for (size_t i = 0; i < vlen; i++)
				if (!isalnum((unsigned char)v[i])) {
					mxs_why(why, "id is not 1 to 32 letters and digits");
					goto fail;
				}
			*id = strndup(v, vlen);
			if (!*id) {
				mxs_why(why, "out of memory");
				goto fail;
			}
			have_id = true;
		}
		p = *end ? end + 1 : end;
	}
	if (first) {
		mxs_why(why, "the record does not start with v=STSv1");
		goto fail;
	}
	if (!have_id) {
		mxs_why(why, "the record has no id= field");
		goto fail;
	}
	return true;
fail:
	free(*id);
	*id = NULL;
	return false;
}

/* ---- matching ----------------------------------------------------------- */

/* Length without one trailing dot. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool policy_mx_matches(const char *pattern, const char *host)
{
	size_t plen = name_len(pattern), hlen = name_len(host);

	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* §4.1: the wildcard stands for exactly one label: host is
		 * LABEL "." rest, LABEL not empty and without a dot */
		const char *dot = memchr(host, '.', hlen);
		size_t rest;
		if (!dot || dot == host)
			return false;
		rest = hlen - (size_t)(dot + 1 - host);
		return rest == plen - 2 && strncasecmp(dot + 1, pattern + 2, rest) == 0;
	}
	return plen == hlen && strncasecmp(pattern, host, hlen) == 0;
}

bool policy_covers(const policy_sts *p, const char *host)
{
	for (size_t i = 0; p && i < p->nmx; i++)
		if (policy_mx_matches(p->mx[i], host))
			return true;
	return false;
}
