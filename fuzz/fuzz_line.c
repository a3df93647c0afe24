/* fuzz/fuzz_line.c — libFuzzer target: the one line reader (core/line.h),
 * which the -f list, the state file, scenario and config files go through.
 * The input's first byte picks the chunk size and the second the line bound,
 * so chunk boundaries land everywhere. A line must never be longer than the
 * bound or hold a newline, numbers must count up by one, and the number of
 * lines must equal what a plain count of newlines says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
	size_t max;
	unsigned long last;
} seen;

static int check(const char *line, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	seen *s = arg;

	if (len > s->max || line[len] != '\0' || memchr(line, '\n', len))
		abort();
	if (lineno != s->last + 1)
		abort();
	if (!(flags & LINE_HAS_NUL) && strlen(line) != len)
		abort();
	s->last = lineno;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	seen s = {0};
	size_t step, expect = 0;
	line_reader *r;

	if (size < 2)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	s.max = (size_t)data[1] % 128 + 1;
	data += 2;
	size -= 2;
	r = line_reader_new(s.max);
	if (!r)
		return 0;
	for (size_t i = 0; i < size; i += step)
		line_feed(r, (const char *)data + i, size - i < step ? size - i : step, check, &s);
	line_finish(r, check, &s);
	for (size_t i = 0; i < size; i++)
		expect += data[i] == '\n';
	if (size > 0 && data[size - 1] != '\n')
		expect++;
	if (s.last != expect || line_count(r) != expect)
		abort();
	line_reader_free(r);
	return 0;
}
