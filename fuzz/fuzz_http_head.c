/* fuzz/fuzz_http_head.c — libFuzzer target: arbitrary bytes as what a
 * client sent to one of the lab's HTTP servers, through lab_http_parse
 * (lab/http_codec.c). No input may crash it; the answer is one of 0, 200,
 * 400, 431; a head it reads lies within the bound and the input, ends in the
 * blank line, and is read the same from any longer input and not at all from
 * a shorter one; every piece it gives is NUL-terminated inside the head,
 * free of CR, LF and NUL, a value with no whitespace around it, and found
 * again by a lookup of its name in another case. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lab_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lab_http_req r, again;

static int inside(const char *p)
{
	return p && p >= r.head && p + strlen(p) < r.head + sizeof(r.head);
}

static int clean(const char *p)
{
	return !strpbrk(p, "\r\n");
}

static void check_fields(void)
{
	for (size_t i = 0; i < r.nfields; i++) {
		const char *name = r.fields[i].name, *v = r.fields[i].value, *found;
		char upper[LAB_HTTP_HEAD_MAX];
		size_t n = strlen(name), vl = strlen(v);

		if (!inside(name) || !inside(v) || !clean(name) || !clean(v) || n == 0)
			abort();
		if (vl && (v[0] == ' ' || v[0] == '\t' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			abort();
		for (size_t k = 0; k <= n; k++)
			upper[k] = (char)toupper((unsigned char)name[k]);
		/* the first field of that name, whatever the case */
		found = lab_http_header(&r, upper);
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(r.fields[k].name, name) == 0) {
				if (found != r.fields[k].value)
					abort();
				goto next;
			}
		if (found != v)
			abort();
	next:;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc = lab_http_parse(&r, data, size);
	const uint8_t *blank = memmem(data, size, "\r\n\r\n", 4);

	switch (rc) {
	case 0:
		/* more may come only while the bound is not reached */
		if (size >= LAB_HTTP_HEAD_MAX || blank)
			abort();
		return 0;
	case 400:
		if (!blank)
			abort();
		return 0;
	case 431: return 0;
	case 200: break;
	default: abort();
	}
	if (r.head_len < 4 || r.head_len > LAB_HTTP_HEAD_MAX || r.head_len > size ||
	    data + r.head_len - 4 != blank || r.nfields > LAB_HTTP_FIELDS_MAX)
		abort();
	if (!inside(r.method) || !inside(r.target) || !inside(r.version) || !clean(r.method) ||
	    !clean(r.target) || strchr(r.target, ' ') || strlen(r.method) > LAB_HTTP_METHOD_MAX ||
	    (strcmp(r.version, "HTTP/1.1") != 0 && strcmp(r.version, "HTTP/1.0") != 0))
		abort();
	check_fields();
	/* the head alone reads the same; one byte less is not a head yet */
	if (lab_http_parse(&again, data, r.head_len) != 200 || again.head_len != r.head_len ||
	    again.nfields != r.nfields || strcmp(again.target, r.target) != 0)
		abort();
	if (lab_http_parse(&again, data, r.head_len - 1) != 0)
		abort();
	return 0;
}
