/* fuzz/fuzz_ev_postfix.c — libFuzzer target: one Postfix maillog line
 * (core/ev.h). Every string of the item must stay NUL-terminated inside
 * its field, the port in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ev_item it;
	long pid;

	if (ev_postfix_line((const char *)data, size, &it, &pid) == EV_LINE_ITEM) {
		if (memchr(it.text, 0, sizeof(it.text)) == NULL ||
		    memchr(it.mx_host, 0, sizeof(it.mx_host)) == NULL || it.port < 0 ||
		    it.port > 65535)
			abort();
	}
	return 0;
}
