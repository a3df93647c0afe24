/* fuzz/fuzz_record.c — a recording line from someone else (core/record.h):
 * whatever the bytes, rec_parse either refuses them with a reason or gives
 * a domain; a domain written out again (rec_line) must read back to the
 * same line, so nothing the reader accepts is lost or changed on a round
 * trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_domain *d = NULL, *d2 = NULL;
	rec_meta m = {0}, m2 = {0};
	char *why = NULL, *line = NULL, *line2 = NULL;

	if (rec_parse((const char *)data, size, &d, &m, &why) != MXS_OK) {
		if (!why)
			__builtin_trap(); /* a refusal always says why */
		goto done;
	}
	line = rec_line(d, m.present ? &m : NULL);
	if (!line)
		goto done;
	if (rec_parse(line, strlen(line), &d2, &m2, &why) != MXS_OK)
		__builtin_trap(); /* what we wrote, we read */
	line2 = rec_line(d2, m2.present ? &m2 : NULL);
	if (line2 && strcmp(line, line2) != 0)
		__builtin_trap();
done:
	free(why);
	free(line);
	free(line2);
	mx_domain_free(d);
	mx_domain_free(d2);
	rec_meta_clear(&m);
	rec_meta_clear(&m2);
	return 0;
}
