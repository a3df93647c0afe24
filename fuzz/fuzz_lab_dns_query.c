/* fuzz/fuzz_lab_dns_query.c — libFuzzer target: arbitrary bytes as a DNS
 * query to the lab's answerer (built-in scenarios plus a CNAME loop), over
 * UDP and TCP limits. The answer must fit the buffer and parse as a header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lab_world *world(void)
{
	/* Built once and kept: libFuzzer calls us millions of times. */
	static lab_world *w;
	char *why = NULL;

	if (w)
		return w;
	w = lab_world_new();
	if (!w || lab_world_load_builtin(w, &why) != MXS_OK ||
	    lab_world_load_string(w, "fuzz",
	                          "$ORIGIN f.test.\n$SCENARIO f\n$TITLE F\n$DOMAIN @\n"
	                          "a CNAME b\nb CNAME a\nc CNAME d.many.lab.test.\n@ MX 10 a\n",
	                          &why) != MXS_OK)
		abort();
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	const lab_world *w = world();
	size_t caps[] = {sizeof(out), 512, 100, 12, 0};

	for (int tcp = 0; tcp < 2; tcp++)
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
			size_t n = lab_dns_answer(w, data, size, out, caps[i], tcp);

			if (n > caps[i] || (n > 0 && n < 12))
				abort();
			if (!tcp && caps[i] == sizeof(out) && n > 1232)
				abort();
			if (n > 0 && (memcmp(out, data, 2) != 0 || !(out[2] & 0x80)))
				abort();
		}
	return 0;
}
