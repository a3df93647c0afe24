/* fuzz/fuzz_doh_answer.c — a DoH answer from an untrusted server, read the
 * way net/blocklist.c reads it: as the A answer (verdict, codes, TTL) and
 * as the TXT answer (the reason) to the question it claims to answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char qname[] = "2.40.0.127.bl.lab.test";
	blr_codemap codes[] = {{.addr = 0x0200007fu, .meaning = "spam source"}};
	blr_provider p = {.name = "fuzz",
	                  .kind = BLR_DNSBL_DOH,
	                  .zone = "bl.lab.test",
	                  .codes = codes,
	                  .ncodes = 1};
	blr_result *r = blr_result_new("fuzz", BLR_DNSBL_DOH, "127.0.40.2");
	char *line;

	if (!r)
		return 0;
	bl_doh_read(r, &p, qname, 1, data, size);
	/* an unavailable answer never carries a listing */
	if (r->state == BLR_UNAVAILABLE && r->ncodes)
		__builtin_trap();
	if (r->state == BLR_LISTED && (r->ncodes == 0 || r->ttl > BLR_MAX_TTL))
		__builtin_trap();
	bl_doh_read(r, &p, qname, 16, data, size);
	if (r->reason && strlen(r->reason) > BLR_REASON_MAX)
		__builtin_trap();
	line = blr_result_line(r);
	free(line);
	blr_result_free(r);
	return 0;
}
