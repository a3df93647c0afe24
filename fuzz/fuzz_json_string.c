/* fuzz/fuzz_json_string.c — libFuzzer target for the JSON string writer
 * (core/report.c: mx_json_text, mx_json_dump) and the text sanitiser
 * (mx_sanitize_n). Any bytes a server can send must come out as a JSON text
 * that parses, holds no raw C0/C1/DEL/bidi control, and
 * decodes to exactly the bytes sent when they were UTF-8; the text
 * sanitiser must never let a control through either. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts when s holds a raw control code point or is not UTF-8. */
static void check_no_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n;
		if (p[0] < 0x80) {
			cp = p[0];
			n = 1;
		} else if ((p[0] & 0xe0) == 0xc0) {
			cp = p[0] & 0x1f;
			n = 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			cp = p[0] & 0x0f;
			n = 3;
		} else if ((p[0] & 0xf8) == 0xf0) {
			cp = p[0] & 0x07;
			n = 4;
		} else {
			abort();
		}
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0x200e || cp == 0x200f)
			abort();
		p += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	json_t *doc = json_object(), *v = mx_json_text(in, size), *back = NULL, *utf8;
	char *out = NULL, *san = mx_sanitize_n(in, size);
	json_error_t err;

	if (!doc || !v || !san)
		goto done;
	check_no_control(san);
	json_object_set(doc, "s", v);
	out = mx_json_dump(doc);
	if (!out)
		goto done;
	check_no_control(out);
	back = json_loads(out, JSON_ALLOW_NUL, &err);
	if (!back)
		abort();
	utf8 = json_stringn(in, size);
	if (utf8) {
		/* lossless: the escapes decode to the very bytes sent */
		if (!json_equal(json_object_get(back, "s"), utf8))
			abort();
		json_decref(utf8);
	} else if (strcmp(json_string_value(json_object_get(back, "s")), san) != 0) {
		abort(); /* not UTF-8: shown as the text sanitiser shows it */
	}
done:
	json_decref(back);
	json_decref(v);
	json_decref(doc);
	free(out);
	free(san);
	return 0;
}
