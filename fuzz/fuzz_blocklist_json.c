/* fuzz/fuzz_blocklist_json.c — a JSON API's body from an untrusted server
 * and the JSON pointers that read it. The first line of the input is a
 * pointer (the config file's listed-pointer), the rest the body. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	size_t plen = nl ? (size_t)(nl - data) : 0;
	char ptr[257];
	const char *body = nl ? (const char *)nl + 1 : (const char *)data;
	size_t blen = nl ? size - plen - 1 : size;
	blr_provider p = {.name = "fuzz",
	                  .kind = BLR_JSON_API,
	                  .listed_ptr = "/listed",
	                  .reason_ptr = ptr,
	                  .key = "FUZZKEY"};
	blr_result *r = blr_result_new("fuzz", BLR_JSON_API, "127.0.40.2");
	json_t *doc;
	char *line;

	if (!r)
		return 0;
	memcpy(ptr, data, plen);
	ptr[plen] = '\0';
	if (!blr_json_pointer_valid(ptr))
		p.reason_ptr = "/reason";
	blr_interpret_json(r, &p, body, blen);
	blr_result_redact(r, p.key);
	if ((r->reason && strstr(r->reason, "FUZZKEY")) ||
	    (r->error && strstr(r->error, "FUZZKEY")))
		__builtin_trap();
	line = blr_result_line(r);
	free(line);
	/* the pointer on its own, over whatever the body parses to */
	doc = json_loadb(body, blen, JSON_DECODE_ANY, NULL);
	(void)blr_json_pointer(doc, ptr);
	json_decref(doc);
	blr_result_free(r);
	return 0;
}
