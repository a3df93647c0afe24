/* fuzz/fuzz_smtp_reply.c — libFuzzer target: bytes from an SMTP server go
 * line by line through probe_parse_reply_line and probe_transcript_add. No
 * input may crash them, a reply must lie inside its line, and the transcript
 * must stay within PROBE_TRANSCRIPT_MAX and a prefix once cut. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	probe_result *r = probe_result_new("mx.example", "127.0.0.1", 25), *d;
	const char *p = (const char *)data, *end = p + size;

	if (!r)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *text = NULL;
		size_t tlen = 0, before = r->transcript ? strlen(r->transcript) : 0;
		bool more = false, was_cut = r->transcript_cut;
		int code = 0;

		if (probe_parse_reply_line(p, len, &code, &more, &text, &tlen)) {
			if (code < 200 || code > 559 || !text || text < p || text + tlen > p + len)
				abort();
			if (memchr(text, '\n', tlen))
				abort();
		}
		/* the first byte picks the direction, as a transcript mixes both */
		if (probe_transcript_add(r, len && (p[0] & 1) ? 'C' : 'S', p, len) != MXS_OK)
			break;
		if (r->transcript && strlen(r->transcript) > PROBE_TRANSCRIPT_MAX)
			abort();
		if (was_cut && (r->transcript ? strlen(r->transcript) : 0) != before)
			abort();
		p += len;
	}
	d = probe_result_dup(r);
	if (d && r->transcript && strcmp(d->transcript, r->transcript) != 0)
		abort();
	probe_result_free(d);
	probe_result_free(r);
	return 0;
}
