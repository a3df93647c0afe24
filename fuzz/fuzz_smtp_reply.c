/* fuzz/fuzz_smtp_reply.c — libFuzzer target: bytes from an SMTP server go
 * line by line through probe_reply_feed (and so probe_parse_reply_line),
 * probe_greeting_add, probe_ehlo_add and probe_transcript_add. No input may
 * crash them, a reply must lie inside its line, a multi-line reply must
 * keep one code, and every text must stay within its bound, keep the
 * server's bytes (NULs included) and stay a prefix once cut. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	probe_result *r = probe_result_new("mx.example", "127.0.0.1", 25), *d;
	const char *p = (const char *)data, *end = p + size;
	probe_reply rp = {0};

	if (!r)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *text = NULL;
		size_t tlen = 0, before = probe_transcript_len(r), glen = probe_greeting_len(r);
		bool was_cut = r->transcript_cut;
		int code = 0, open = rp.code;
		probe_reply_step st = probe_reply_feed(&rp, p, len, &code, &text, &tlen);

		if (st != PROBE_REPLY_NOT_SMTP) {
			if (code < 200 || code > 559 || !text || text < p || text + tlen > p + len)
				abort();
			if (memchr(text, '\n', tlen))
				abort();
		}
		/* one code per reply: a change is refused and leaves the reply open */
		if ((st == PROBE_REPLY_MORE || st == PROBE_REPLY_DONE) && open && code != open)
			abort();
		if (st == PROBE_REPLY_CODE_CHANGED && (!open || code == open || rp.code != open))
			abort();
		if (st == PROBE_REPLY_DONE && rp.code != 0)
			abort();
		if (st == PROBE_REPLY_MORE || st == PROBE_REPLY_DONE) {
			if (probe_greeting_add(r, text, tlen) != MXS_OK ||
			    probe_ehlo_add(r, text, tlen) != MXS_OK)
				break;
			if (probe_greeting_len(r) > PROBE_GREETING_MAX ||
			    probe_greeting_len(r) < glen)
				abort();
			/* the bytes are kept as sent when they fit */
			if (glen == 0 && tlen <= PROBE_GREETING_MAX &&
			    (probe_greeting_len(r) != tlen || memcmp(r->greeting, text, tlen)))
				abort();
			if (r->nehlo > PROBE_EHLO_MAX_LINES ||
			    probe_ehlo_len(r, r->nehlo - 1) > PROBE_EHLO_LINE_MAX)
				abort();
		}
		/* the first byte picks the direction, as a transcript mixes both */
		if (probe_transcript_add(r, len && (p[0] & 1) ? 'C' : 'S', p, len) != MXS_OK)
			break;
		if (probe_transcript_len(r) > PROBE_TRANSCRIPT_MAX)
			abort();
		if (was_cut && probe_transcript_len(r) != before)
			abort();
		p += len;
	}
	d = probe_result_dup(r);
	if (d &&
	    (probe_transcript_len(d) != probe_transcript_len(r) ||
	     (r->transcript && memcmp(d->transcript, r->transcript, probe_transcript_len(r))) ||
	     probe_greeting_len(d) != probe_greeting_len(r)))
		abort();
	probe_result_free(d);
	probe_result_free(r);
	return 0;
}
