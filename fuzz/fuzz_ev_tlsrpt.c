/* fuzz/fuzz_ev_tlsrpt.c — libFuzzer target: a TLS-RPT report (RFC 8460
 * §4; core/ev.h). Not JSON, or JSON of another shape, is an error with a
 * reason; an item's count is at least 1. */
#include <stdint.h>
#include <stdlib.h>

#include "ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ev_item *it, void *arg)
{
	(void)arg;
	if (it->count < 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = NULL;

	if (ev_tlsrpt_parse((const char *)data, size, "f", check, NULL, &why) != MXS_OK && !why)
		abort();
	free(why);
	return 0;
}
