/* fuzz/fuzz_ev_queue.c — libFuzzer target: `postqueue -j` lines and
 * `mailq` text (core/ev.h), the input split at newlines and fed to both
 * parsers. Items must carry a source and a NUL-terminated recipient. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ev_item *it, void *arg)
{
	(void)arg;
	if (!it->source[0] || memchr(it->recipient, 0, sizeof(it->recipient)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	ev_mailq *q = ev_mailq_new("f", check, NULL);
	unsigned long n = 0;

	if (!q)
		return 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		n++;
		ev_postqueue_line(s, len, "f", n, check, NULL);
		ev_mailq_line(q, s, len, n);
		s += len + 1;
	}
	ev_mailq_free(q);
	return 0;
}
