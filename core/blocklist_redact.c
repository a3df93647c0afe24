/* core/blocklist_redact.c — keeping a provider's API key out of everything
 * mxscope prints (the blr_redact_* part of core/blocklist.h).
 *
 * A provider may echo the key it was sent, and not always verbatim: inside
 * a JSON string (so escaped: `"` as `\"`), upper-cased, base64-encoded (as
 * in "Basic dXNlcjprZXk="), or cut short. Text is scrubbed of every such
 * form before it is re-encoded for output, and once more as a last pass.
 * Matching is ASCII case-insensitive; a run that is a prefix or a suffix of
 * a form, at least PART_MIN bytes long, counts as the form. Every matched
 * run becomes one "[redacted]". */
#include "blocklist.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PART_MIN  8 /* a cut-short echo this long is still the key */
#define FORM_MIN  4 /* encoded forms shorter than this are not looked for */
#define MAX_FORMS 12

static const char mark[] = "[redacted]";

typedef struct forms {
	char *f[MAX_FORMS];
	size_t n;
	bool nomem;
} forms;

static void add_form(forms *fs, char *s)
{
	if (!s) {
		fs->nomem = true;
		return;
	}
	for (size_t i = 0; i < fs->n; i++)
		if (strcasecmp(fs->f[i], s) == 0) {
			free(s);
			return;
		}
	if (fs->n == MAX_FORMS || (fs->n > 0 && strlen(s) < FORM_MIN)) {
		free(s);
		return;
	}
	fs->f[fs->n++] = s;
}

/* The secret as jansson writes it inside a JSON string. */
static char *json_escaped(const char *s)
{
	json_t *j = json_string(s);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	size_t n;

	json_decref(j);
	if (!d)
		return j ? NULL : strdup(s); /* not UTF-8: jansson would not write it */
	n = strlen(d);
	memmove(d, d + 1, n - 2); /* drop the quotes */
	d[n - 2] = '\0';
	return d;
}

/* The text that JSON-escaping turns into the secret (`a"b` for `a\"b`), so
 * an echo that output escaping would turn into the key is found too. */
static char *json_unescaped(const char *s)
{
	char *out = malloc(strlen(s) + 3);
	json_t *j;
	size_t n = strlen(s);

	if (!out)
		return NULL;
	out[0] = '"';
	memcpy(out + 1, s, n);
	out[n + 1] = '"';
	out[n + 2] = '\0';
	j = json_loads(out, JSON_DECODE_ANY, NULL);
	free(out);
	if (!j || !json_is_string(j) || strlen(json_string_value(j)) != json_string_length(j)) {
		json_decref(j);
		return strdup(s); /* not an escaped form of anything: the secret itself */
	}
	out = strdup(json_string_value(j));
	json_decref(j);
	return out;
}

/* The secret with control bytes as '?', as results store network text. */
static char *cleaned(const char *s)
{
	char *c = strdup(s);

	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

size_t blr_base64(const uint8_t *in, size_t len, bool url, char *out)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char web[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *a = url ? web : std;
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;
		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		if (left > 1)
			out[o++] = a[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (left > 2)
			out[o++] = a[v & 63];
		else if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The base64 of the secret when it starts at byte offset shift (0..2) of
 * an encoded run: every alignment in which a provider could have encoded it
 * inside something longer. Only the characters wholly made of the secret's
 * bits are kept; with tail, also the last one, partly the secret's and
 * partly zero bits, as the secret encoded alone ends. */
static char *base64_part(const char *s, unsigned shift, bool url, bool tail)
{
	size_t n = strlen(s), bits = 8 * (shift + n), from = (8 * shift + 5) / 6;
	size_t to = tail ? (bits + 5) / 6 : bits / 6;
	uint8_t *buf = calloc(shift + n + 1, 1);
	char *enc = malloc(4 * ((shift + n + 2) / 3) + 1), *out = NULL;

	if (buf && enc) {
		memcpy(buf + shift, s, n);
		blr_base64(buf, shift + n, url, enc);
		out = strndup(enc + from, to > from ? to - from : 0);
	}
	free(buf);
	free(enc);
	return out;
}

static void forms_of(forms *fs, const char *secret)
{
	add_form(fs, strdup(secret));
	add_form(fs, json_escaped(secret));
	add_form(fs, json_unescaped(secret));
	add_form(fs, cleaned(secret));
	add_form(fs, base64_part(secret, 0, false, true));
	add_form(fs, base64_part(secret, 0, true, true));
	for (unsigned shift = 0; shift < 3; shift++) {
		add_form(fs, base64_part(secret, shift, false, false));
		add_form(fs, base64_part(secret, shift, true, false));
	}
}

static void forms_free(forms *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i]);
	fs->n = 0;
}

/* Marks in hit[] every byte of text that is part of a form: the whole form,
 * or a prefix or suffix of it at least min(PART_MIN, its length) long. */
static void mark_form(const char *text, size_t len, const char *f, bool *hit)
{
	size_t fl = strlen(f), need = fl < PART_MIN ? fl : PART_MIN;

	if (fl == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		size_t k = 0;
		/* the longest prefix of f starting at i */
		while (k < fl && i + k < len &&
		       tolower((unsigned char)text[i + k]) == tolower((unsigned char)f[k]))
			k++;
		if (k >= need) {
			memset(hit + i, 1, k);
			continue;
		}
		/* the longest suffix of f ending at i (inclusive) */
		k = 0;
		while (k < fl && k <= i &&
		       tolower((unsigned char)text[i - k]) == tolower((unsigned char)f[fl - 1 - k]))
			k++;
		if (k >= need)
			memset(hit + i + 1 - k, 1, k);
	}
}

/* A new string: text with every form of the secret replaced, or NULL when
 * out of memory. *changed says whether anything was replaced. */
static char *scrub(const char *text, const forms *fs, bool *changed)
{
	size_t len = strlen(text), runs = 0, o = 0;
	bool *hit = calloc(len + 1, sizeof(*hit));
	char *out;

	*changed = false;
	if (!hit)
		return NULL;
	for (size_t i = 0; i < fs->n; i++)
		mark_form(text, len, fs->f[i], hit);
	for (size_t i = 0; i < len; i++)
		if (hit[i] && (i == 0 || !hit[i - 1]))
			runs++;
	out = malloc(len + runs * (sizeof(mark) - 1) + 1);
	if (out) {
		for (size_t i = 0; i < len; i++) {
			if (!hit[i]) {
				out[o++] = text[i];
			} else if (i == 0 || !hit[i - 1]) {
				memcpy(out + o, mark, sizeof(mark) - 1);
				o += sizeof(mark) - 1;
			}
		}
		out[o] = '\0';
		*changed = runs > 0;
	}
	free(hit);
	return out;
}

/* Scrubs *s in place; on failure *s is dropped: better no text than text
 * with the key in it. */
static mxs_status scrub_in_place(char **s, const forms *fs)
{
	bool changed;
	char *out;

	if (!*s)
		return MXS_OK;
	out = scrub(*s, fs, &changed);
	free(*s);
	*s = out;
	return out ? MXS_OK : MXS_ERR_NOMEM;
}

mxs_status blr_redact_text(char **s, const char *secret)
{
	forms fs = {0};
	mxs_status st;

	if (!secret || !secret[0] || !*s)
		return MXS_OK;
	forms_of(&fs, secret);
	if (fs.nomem) {
		free(*s);
		*s = NULL;
		forms_free(&fs);
		return MXS_ERR_NOMEM;
	}
	st = scrub_in_place(s, &fs);
	forms_free(&fs);
	return st;
}

mxs_status blr_redact_bytes(char **s, size_t *len, const char *secret)
{
	forms fs = {0};
	char *out = NULL;
	size_t o = 0;
	mxs_status st = MXS_ERR_NOMEM;

	if (!secret || !secret[0] || !*s)
		return MXS_OK;
	forms_of(&fs, secret);
	if (fs.nomem)
		goto done;
	/* each NUL-separated part on its own: the key holds no NUL */
	for (size_t at = 0; at <= *len;) {
		bool changed;
		char *part = scrub(*s + at, &fs, &changed), *g;
		size_t pl = part ? strlen(part) : 0;
		if (!part || !(g = realloc(out, o + pl + 1))) {
			free(part);
			goto done;
		}
		out = g;
		memcpy(out + o, part, pl + 1); /* with its NUL: the separator */
		o += pl + 1;
		at += strlen(*s + at) + 1;
		free(part);
	}
	st = MXS_OK;
done:
	forms_free(&fs);
	free(*s);
	*s = st == MXS_OK ? out : NULL;
	*len = st == MXS_OK ? o - 1 : 0;
	if (st != MXS_OK)
		free(out);
	return st;
}

mxs_status blr_result_redact(blr_result *r, const char *secret)
{
	mxs_status a, b;

	a = blr_redact_text(&r->reason, secret);
	b = blr_redact_text(&r->error, secret);
	return a != MXS_OK ? a : b;
}

/* A scrubbed deep copy of v: every string and every member name. */
static json_t *scrub_json(json_t *v, const forms *fs, int depth)
{
	json_t *out = NULL;
	bool changed;

	if (depth > 64)
		return json_null(); /* jansson's own limit is lower: never reached */
	if (json_is_string(v)) {
		char *s = scrub(json_string_value(v), fs, &changed);
		out = s ? json_string(s) : NULL;
		if (s && !out)
			out = json_string(mark); /* not UTF-8 once cut: say only that */
		free(s);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		out = json_array();
		json_array_foreach(v, i, e)
		{
			json_t *c = scrub_json(e, fs, depth + 1);
			if (!out || !c || json_array_append_new(out, c) != 0) {
				json_decref(out);
				return NULL;
			}
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *e;
		out = json_object();
		json_object_foreach(v, k, e)
		{
			char *sk = scrub(k, fs, &changed);
			json_t *c = sk ? scrub_json(e, fs, depth + 1) : NULL;
			if (!out || !c || json_object_set_new(out, sk, c) != 0) {
				free(sk);
				json_decref(out);
				return NULL;
			}
			free(sk);
		}
	} else {
		out = json_deep_copy(v);
	}
	return out;
}

char *blr_redact_json_dump(json_t *v, const char *secret)
{
	forms fs = {0};
	json_t *c;
	char *dump = NULL;

	if (!secret || !secret[0])
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	forms_of(&fs, secret);
	if (fs.nomem)
		goto done;
	/* each string on its decoded text, before escaping can hide the key;
	 * then the dump itself, for a key spread over more than one string */
	c = scrub_json(v, &fs, 0);
	dump = c ? json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(c);
	if (dump && scrub_in_place(&dump, &fs) != MXS_OK)
		dump = NULL;
done:
	forms_free(&fs);
	return dump;
}
