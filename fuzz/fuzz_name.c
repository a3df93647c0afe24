/* fuzz/fuzz_name.c — libFuzzer target: names typed by people or read from a
 * -f file go through mx_name_normalize, and any text through mx_sanitize;
 * neither may crash, and sanitised text must carry no control byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *out = NULL, *why = NULL, *clean;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (mx_name_normalize(s, &out, &why) == MXS_OK && strlen(out) > 253)
		abort();
	clean = mx_sanitize(s);
	for (const char *p = clean; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	free(clean);
	free(out);
	free(why);
	free(s);
	return 0;
}
