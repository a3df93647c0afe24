/* core/text.c — the growing string behind the text report, the sender
 * walks and --commands: one copy of the realloc-and-vsnprintf dance. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
	char *s = t->s;

	if (t->failed || !s) {
		free(s);
		s = t->failed ? NULL : calloc(1, 1);
	}
	*t = (mx_text){0};
	return s;
}
