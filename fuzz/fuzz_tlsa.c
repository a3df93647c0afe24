/* fuzz/fuzz_tlsa.c — libFuzzer target: TLSA RDATA off the wire goes through
 * core/dane.c's reader. Whatever it accepts must come back unchanged through
 * the text form (the form the model and the reports keep), and the text
 * reader must take any input as text without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dane_tlsa t, back;
	char *why = NULL, *text, *s;

	if (dane_tlsa_read(data, size, &t, &why) == MXS_OK) {
		if (t.len != size - 3 || memcmp(t.data, data + 3, t.len) != 0)
			abort();
		text = dane_tlsa_text(&t);
		if (text) {
			if (dane_tlsa_parse_text(text, &back, NULL) != MXS_OK ||
			    back.len != t.len || back.usage != t.usage ||
			    back.selector != t.selector || back.mtype != t.mtype ||
			    memcmp(back.data, t.data, t.len) != 0)
				abort();
			dane_tlsa_clear(&back);
			free(text);
		}
		dane_tlsa_clear(&t);
	} else if (t.data) {
		abort(); /* an error leaves nothing to free */
	}
	free(why);
	why = NULL;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dane_tlsa_parse_text(s, &t, &why) == MXS_OK)
		dane_tlsa_clear(&t);
	free(why);
	free(s);
	return 0;
}
