/* core/num.c — decimal numbers, strictly: strtoul accepts blanks, signs and
 * "0x", and wraps "-1" to ULONG_MAX, none of which a person means. */
#include "num.h"

#include <limits.h>

bool mx_num_parse(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (ULONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	if (out)
		*out = v;
	return true;
}
