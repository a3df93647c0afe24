/* core/text.c — the growing string behind the text report, the sender
 * walks and --commands: one copy of the realloc-and-vsnprintf dance, and
 * the terminal rule applied where the text is taken. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void mx_text_printf(mx_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		char *g;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		g = realloc(t->s, cap);
		if (!g) {
			t->failed = true;
			return;
		}
		t->s = g;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void mx_text_safe(mx_text *t, const char *s)
{
	char *c = mx_sanitize(s ? s : "");

	if (!c) {
		t->failed = true;
		return;
	}
	mx_text_printf(t, "%s", c);
	free(c);
}

void mx_text_markup(mx_text *t, const char *code)
{
	size_t start = t->len;

	if (t->failed || !code[0])
		return;
	if (t->nmark + 2 > t->capmark) {
		size_t cap = t->capmark ? t->capmark * 2 : 16;
		size_t *g = realloc(t->mark, cap * sizeof(*g));
		if (!g) {
			t->failed = true;
			return;
		}
		t->mark = g;
		t->capmark = cap;
	}
	mx_text_printf(t, "%s", code);
	t->mark[t->nmark++] = start;
	t->mark[t->nmark++] = t->len;
}

/* The text between the markup, each stretch through mx_sanitize_lines. */
static char *terminal_safe(const mx_text *t)
{
	mx_text o = {0};
	size_t at = 0;

	for (size_t i = 0; i <= t->nmark; i += 2) {
		size_t end = i < t->nmark ? t->mark[i] : t->len;
		char *clean = mx_sanitize_lines(t->s + at, end - at);
		if (!clean) {
			free(o.s);
			return NULL;
		}
		mx_text_printf(&o, "%s", clean);
		free(clean);
		if (i < t->nmark) {
			mx_text_printf(&o, "%.*s", (int)(t->mark[i + 1] - end), t->s + end);
			at = t->mark[i + 1];
		}
	}
	if (o.failed) {
		free(o.s);
		return NULL;
	}
	return o.s ? o.s : calloc(1, 1);
}

void mx_text_own(mx_text *t, char *s)
{
	if (!s) {
		t->failed = true;
		return;
	}
	mx_text_printf(t, "%s", s);
	free(s);
}

char *mx_text_take(mx_text *t)
{
	char *s = t->failed || !t->s ? NULL : terminal_safe(t);

	if (!s && !t->failed && !t->s)
		s = calloc(1, 1);
	free(t->s);
	free(t->mark);
	*t = (mx_text){0};
	return s;
}
