/* tests/test_core_line.c — the shared input helpers: the line reader (long
 * lines, NUL bytes, missing final newline, chunk boundaries, FIFOs), the
 * number parser and the host-name check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "line.h"
#include "name.h"
#include "num.h"

typedef struct seen {
	char text[8][32];
	size_t len[8];
	unsigned long lineno[8];
	unsigned flags[8];
	size_t n;
	size_t stop_after; /* 0 = never */
} seen;

static int collect(const char *line, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	seen *s = arg;

	if (s->n < 8) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", line);
		s->len[s->n] = len;
		s->lineno[s->n] = lineno;
		s->flags[s->n] = flags;
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

/* Feeds in in pieces of step bytes, then finishes. */
static void run(const char *in, size_t inlen, size_t step, size_t max, seen *s)
{
	line_reader *r = line_reader_new(max);

	assert_non_null(r);
	for (size_t i = 0; i < inlen; i += step)
		line_feed(r, in + i, inlen - i < step ? inlen - i : step, collect, s);
	line_finish(r, collect, s);
	line_reader_free(r);
}

static void test_lines_any_chunking(void **state)
{
	static const char in[] = "a\nbb\r\n\nlast";

	(void)state;
	for (size_t step = 1; step <= sizeof(in); step++) {
		seen s = {0};

		run(in, sizeof(in) - 1, step, 64, &s);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.text[0], "a");
		assert_string_equal(s.text[1], "bb");
		assert_string_equal(s.text[2], "");
		assert_string_equal(s.text[3], "last");
		assert_int_equal(s.lineno[3], 4);
		assert_int_equal(s.flags[1], 0);
	}
}

/* A line over the bound is cut and its rest skipped; it counts as one line,
 * so later line numbers stay right — also when it is the last line and has
 * no newline (an -f hang once was exactly this). */
static void test_long_lines_keep_numbers(void **state)
{
	size_t big = 70000;
	char *in = malloc(big + 16);
	seen s = {0};

	(void)state;
	assert_non_null(in);
	memset(in, 'a', big);
	memcpy(in + big, "\nok\n", 4);
	memset(in + big + 4, 'b', 10);
	run(in, big + 14, 4096, 8, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.flags[0], LINE_TOO_LONG);
	assert_int_equal(s.len[0], 8);
	assert_string_equal(s.text[1], "ok");
	assert_int_equal(s.lineno[1], 2);
	assert_int_equal(s.flags[2], LINE_TOO_LONG);
	assert_int_equal(s.lineno[2], 3);
	free(in);
}

static void test_nul_is_flagged(void **state)
{
	static const char in[] = "a\0b\nc\n";
	seen s = {0};

	(void)state;
	run(in, sizeof(in) - 1, 1, 64, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.flags[0], LINE_HAS_NUL);
	assert_int_equal(s.len[0], 3);
	assert_int_equal(s.flags[1], 0);
}

static void test_callback_stops(void **state)
{
	static const char in[] = "1\n2\n3\n";
	line_reader *r = line_reader_new(16);
	seen s = {.stop_after = 2};

	(void)state;
	assert_int_equal(line_feed(r, in, sizeof(in) - 1, collect, &s), MXS_ERR_INVALID);
	assert_int_equal(line_finish(r, collect, &s), MXS_ERR_INVALID);
	assert_int_equal(s.n, 2);
	assert_int_equal(line_count(r), 2);
	line_reader_free(r);
}

static void test_read_file(void **state)
{
	char dir[] = "/tmp/mxs-line-XXXXXX";
	char path[64], fifo[64];
	seen s = {0};
	char *why = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(fifo, sizeof(fifo), "%s/p", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x\ny", f);
	fclose(f);
	assert_int_equal(line_read_file(path, 16, collect, &s, &why), MXS_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[1], "y");

	/* a FIFO with no writer: refused at once (this test hangs, and meson's
	 * timeout fails it, if open ever waits for a writer) */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(line_read_file(fifo, 16, collect, &s, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));
	assert_non_null(strstr(why, fifo));
	free(why);
	why = NULL;
	assert_int_equal(line_read_file(dir, 16, collect, &s, &why), MXS_ERR_IO);
	free(why);
	why = NULL;
	assert_int_equal(line_read_file("/nonexistent/x", 16, collect, &s, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "/nonexistent/x"));
	free(why);
	unlink(path);
	unlink(fifo);
	rmdir(dir);
}

static void test_numbers(void **state)
{
	static const struct {
		const char *s;
		unsigned long max;
		bool ok;
		unsigned long v;
	} cases[] = {
	    {"0", 10, true, 0},
	    {"10", 10, true, 10},
	    {"11", 10, false, 0},
	    {"", 10, false, 0},
	    {" 1", 10, false, 0},
	    {"1 ", 10, false, 0},
	    {"-1", 10, false, 0},
	    {"+1", 10, false, 0},
	    {"0x1", 10, false, 0},
	    {"65535", 65535, true, 65535},
	    {"99999999999999999999999", (unsigned long)-1, false, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 12345;

		assert_int_equal(mx_num_parse(cases[i].s, cases[i].max, &v), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].v);
	}
	assert_false(mx_num_parse(NULL, 1, NULL));
}

static void test_host_names(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	    {"mx1.example.org", true},
	    {"mx1.example.org.", true},
	    {"a", true},
	    {"xn--bcher-kva.example", true},
	    {"", false},
	    {".", false},
	    {"a..b", false},
	    {"-a.example", false},
	    {"a-.example", false},
	    {"_25._tcp.example", false},
	    {"a b.example", false},
	    {"*.example", false},
	    {"a\\032b.example", false},
	    {"a\"b", false},
	    {"\x1b[2J.example", false},
	    {"b\xc3\xbc"
	     "cher.example",
	     false},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mx_name_is_host(cases[i].s, strlen(cases[i].s)), cases[i].ok);
	/* a NUL inside the counted bytes is not a host name */
	assert_false(mx_name_is_host("a\0b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_any_chunking),
	    cmocka_unit_test(test_long_lines_keep_numbers),
	    cmocka_unit_test(test_nul_is_flagged),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_read_file),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_host_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
