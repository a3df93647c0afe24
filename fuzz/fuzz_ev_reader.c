/* fuzz/fuzz_ev_reader.c — libFuzzer target: the evidence reader (core/ev.h)
 * with its kind detection, fed in chunks whose size the first byte picks,
 * so lines split everywhere. The counts must add up: no more bad lines
 * than lines, and as many first line numbers kept as allowed. */
#include <stdint.h>
#include <stdlib.h>

#include "ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(const ev_item *it, void *arg)
{
	(void)it;
	(*(unsigned long *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long items = 0;
	const unsigned long *first;
	size_t step, nfirst;
	char *why = NULL;
	ev_reader *r;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 97 + 1;
	r = ev_reader_new("f", EV_UNKNOWN, count, &items);
	if (!r)
		return 0;
	for (size_t i = 1; i < size; i += step)
		ev_reader_feed(r, (const char *)data + i, size - i < step ? size - i : step);
	ev_reader_finish(r, &why);
	free(why);
	if (ev_reader_bad(r, &first, &nfirst) > ev_reader_lines(r) || nfirst > EV_BAD_KEEP ||
	    items != ev_reader_items(r))
		abort();
	ev_reader_free(r);
	return 0;
}
