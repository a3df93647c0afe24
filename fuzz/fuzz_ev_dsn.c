/* fuzz/fuzz_ev_dsn.c — libFuzzer target: delivery status notifications
 * (RFC 3464, one message or an mbox; core/ev.h), line by line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ev_item *it, void *arg)
{
	(void)arg;
	if (!it->recipient[0] || memchr(it->text, 0, sizeof(it->text)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	ev_dsn *d = ev_dsn_new("f", check, NULL);
	unsigned long n = 0;

	if (!d)
		return 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		ev_dsn_line(d, s, len, ++n);
		s += len + 1;
	}
	ev_dsn_finish(d);
	ev_dsn_free(d);
	return 0;
}
