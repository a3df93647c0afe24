/* core/mx_util.c — the bottom of the domain model (see mx_int.h): name
 * comparison, the lower-case copy every stored name goes through, array
 * growth and a bounded list join. Calls nothing else in core, so every
 * layer above may use it. */
#include "mx_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *mxi_dup_lower_name(const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (n > 0 && s[n - 1] == '.')
		n--;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return out;
}

int mxi_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

void *mxi_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *g;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 4;
	g = realloc(arr, ncap * size);
	if (g)
		*cap = ncap;
	return g;
}

void mxi_join(char *out, size_t cap, char *const *l, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", l[i]);
	if (!n)
		snprintf(out, cap, "none");
}
