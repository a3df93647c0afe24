/* core/report_escape.c — the one place network bytes are made safe: for a
 * terminal (mx_sanitize, mx_sanitize_n) and inside JSON text (mx_json_text,
 * mx_json_dump), declared in core/report.h. The bottom of the rendering
 * layer: calls nothing else in core, so the report parts (core/report*.c)
 * and the growing string (core/text.c) all use it. */
#include "report.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sanitising --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1-4, at most avail bytes), or 0
 * when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and out-of-range values are not UTF-8 */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* Code points a terminal acts on instead of printing: C0/C1 controls, DEL,
 * and the bidirectional controls that can make text read backwards. */
static int dangerous(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f;
}

/* keep_nl: a newline is the text's own line break (a whole report), not
 * a byte to show. */
static char *sanitize(const char *s, size_t len, bool keep_nl)
{
	size_t cap = len * 4 + 1, o = 0;
	char *out = malloc(cap);
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	if (!out)
		return NULL;
	while (p < end) {
		uint32_t cp = 0;
		size_t n = utf8_len(p, (size_t)(end - p), &cp);

		if (n == 1 && cp == 0) {
			/* the server's NUL, shown as one, never as DEL */
			memcpy(out + o, "\\0", 2);
			o += 2;
			p++;
			continue;
		}
		if (n == 0 || (dangerous(cp) && !(keep_nl && cp == '\n'))) {
			/* one visible escape per byte: "\x1b" */
			size_t bytes = n ? n : 1;
			for (size_t i = 0; i < bytes; i++)
				o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
			p += bytes;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

char *mx_sanitize_n(const char *s, size_t len)
{
	return sanitize(s, len, false);
}

char *mx_sanitize_lines(const char *s, size_t len)
{
	return sanitize(s, len, true);
}

char *mx_sanitize(const char *s)
{
	return mx_sanitize_n(s, strlen(s));
}

/* ---- JSON text ---------------------------------------------------------- */

/* The lead bytes of every code point escape_controls rewrites: DEL, C1
 * (U+0080-9F is C2 80-9F in UTF-8) and the bidi controls (U+200E-F,
 * U+202A-E, U+2066-9 all start with E2). A document without them, which is
 * nearly every one, is written as jansson made it. */
static bool may_hold_controls(const char *s)
{
	size_t len = strlen(s);

	/* three memchr calls: vectorised, where a byte loop costs as much as
	 * writing the document */
	return memchr(s, 0x7f, len) || memchr(s, 0xc2, len) || memchr(s, 0xe2, len);
}

static char *escape_controls(const char *in)
{
	size_t len = strlen(in), o = 0;
	char *out = malloc(len * 6 + 1);
	const unsigned char *p = (const unsigned char *)in, *end = p + len;

	if (!out)
		return NULL;
	while (p < end) {
		uint32_t cp = 0;
		size_t n;

		if (*p < 0x7f) { /* ASCII: never rewritten here (jansson escaped C0) */
			out[o++] = (char)*p++;
			continue;
		}
		n = utf8_len(p, (size_t)(end - p), &cp);
		if (n && dangerous(cp) && cp >= 0x20) {
			o += (size_t)snprintf(out + o, 7, "\\u%04x", (unsigned)cp);
			p += n;
			continue;
		}
		n = n ? n : 1; /* jansson writes UTF-8 only: not reached */
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

char *mx_json_dump(const json_t *v)
{
	char *raw = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY), *out;

	if (!raw || !may_hold_controls(raw))
		return raw;
	out = escape_controls(raw);
	free(raw);
	return out;
}

json_t *mx_json_text(const char *s, size_t len)
{
	json_t *j;
	char *c;

	if (!s)
		return json_string("");
	/* json_stringn keeps NULs (dumped as \\u0000) and refuses invalid
	 * UTF-8: then the text is sanitised, so a hostile answer cannot drop
	 * a field */
	j = json_stringn(s, len);
	if (j)
		return j;
	c = mx_sanitize_n(s, len);
	if (!c)
		return NULL;
	j = json_string(c);
	free(c);
	return j;
}
