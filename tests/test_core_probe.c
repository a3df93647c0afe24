/* tests/test_core_probe.c — SMTP reply lines read by the table of RFC 5321
 * §4.2, the bounded transcript, and copying and freeing a probe result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

static const struct {
	const char *line;
	size_t len; /* 0: strlen(line) */
	bool ok;
	int code;
	bool more;
	const char *text;
} lines[] = {
    {"220 mx.example ESMTP ready", 0, true, 220, false, "mx.example ESMTP ready"},
    {"220 mx.example ESMTP ready\r\n", 0, true, 220, false, "mx.example ESMTP ready"},
    {"220 ready\n", 0, true, 220, false, "ready"},
    {"250-PIPELINING\r\n", 0, true, 250, true, "PIPELINING"},
    {"250-SIZE 10240000", 0, true, 250, true, "SIZE 10240000"},
    {"250 STARTTLS", 0, true, 250, false, "STARTTLS"},
    {"421 4.3.2 try later", 0, true, 421, false, "4.3.2 try later"},
    {"554 no", 0, true, 554, false, "no"},
    {"250", 0, true, 250, false, ""},
    {"250\r\n", 0, true, 250, false, ""},
    {"250 ", 0, true, 250, false, ""},
    {"250-", 0, true, 250, true, ""},
    {"599 highest", 0, false, 0, false, NULL}, /* second digit above 5 */
    {"559 ok", 0, true, 559, false, "ok"},
    {"200 lowest", 0, true, 200, false, "lowest"},
    {"199 too low", 0, false, 0, false, NULL},
    {"600 too high", 0, false, 0, false, NULL},
    {"999 nonsense", 0, false, 0, false, NULL},
    {"099 nonsense", 0, false, 0, false, NULL},
    {"260 third digit", 0, false, 0, false, NULL},
    {"2201 four digits", 0, false, 0, false, NULL},
    {"220_ bad separator", 0, false, 0, false, NULL},
    {"220\tbad separator", 0, false, 0, false, NULL},
    {"22", 0, false, 0, false, NULL},
    {"2", 0, false, 0, false, NULL},
    {"", 0, false, 0, false, NULL},
    {"\r\n", 0, false, 0, false, NULL},
    {"abc def", 0, false, 0, false, NULL},
    {"2a0 x", 0, false, 0, false, NULL},
    {" 220 x", 0, false, 0, false, NULL},
    {"-220 x", 0, false, 0, false, NULL},
    {"\x1b[2J220 x", 0, false, 0, false, NULL},
    {"220 \x1b[2Jclear", 0, true, 220, false, "\x1b[2Jclear"},
    /* length, not NUL, ends the line: only "220" of "2205" is given */
    {"2205 ready", 3, true, 220, false, ""},
    {"220 ab", 5, true, 220, false, "a"},
};

static void test_reply_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = lines[i].len ? lines[i].len : strlen(lines[i].line);
		int code = -1;
		bool more = false;
		const char *text = NULL;
		size_t tlen = 0;
		bool ok = probe_parse_reply_line(lines[i].line, len, &code, &more, &text, &tlen);
		if (ok != lines[i].ok) {
			print_error("line %zu \"%s\": %s\n", i, lines[i].line,
			            ok ? "read, should be refused" : "refused, should be read");
			fail();
		}
		if (!ok)
			continue;
		assert_int_equal(code, lines[i].code);
		assert_int_equal(more, lines[i].more);
		assert_int_equal(tlen, strlen(lines[i].text));
		assert_memory_equal(text, lines[i].text, tlen);
		assert_true(text >= lines[i].line && text + tlen <= lines[i].line + len);
	}
}

static void test_reply_line_nul_and_null(void **state)
{
	static const char withnul[] = "220 a\0b\r\n";
	const char *text;
	size_t tlen;
	int code;
	bool more;

	(void)state;
	assert_true(
	    probe_parse_reply_line(withnul, sizeof(withnul) - 1, &code, &more, &text, &tlen));
	assert_int_equal(tlen, 3);
	assert_memory_equal(text, "a\0b", 3);
	assert_false(probe_parse_reply_line(NULL, 0, &code, &more, &text, &tlen));
	/* the out-parameters are optional */
	assert_true(probe_parse_reply_line("250 x", 5, NULL, NULL, NULL, NULL));
}

static void test_states(void **state)
{
	(void)state;
	assert_string_equal(probe_state_word(PROBE_ACCEPTED), "accepted");
	assert_string_equal(probe_state_word(PROBE_GREETING_TIMEOUT), "greeting-timeout");
	assert_string_equal(probe_state_word(PROBE_STATE_COUNT), "unknown");
	for (int s = 0; s < PROBE_STATE_COUNT; s++) {
		assert_non_null(probe_state_meaning((probe_state)s));
		assert_true(strlen(probe_state_word((probe_state)s)) > 0);
	}
	assert_false(probe_state_moves_on(PROBE_ACCEPTED));
	assert_false(probe_state_moves_on(PROBE_PENDING));
	assert_true(probe_state_moves_on(PROBE_TEMPFAIL));
	assert_true(probe_state_moves_on(PROBE_REJECTED));
	assert_true(probe_state_moves_on(PROBE_REFUSED));
	assert_true(probe_state_moves_on(PROBE_GREETING_TIMEOUT));
	assert_true(probe_state_moves_on(PROBE_GARBAGE));
}

static void test_transcript(void **state)
{
	probe_result *r = probe_result_new("mx.example", "127.0.0.1", 25);

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->state, PROBE_PENDING);
	assert_int_equal(r->t.greeting, -1);
	assert_int_equal(r->t.total, -1);
	assert_int_equal(probe_transcript_add(r, 'S', "220 hi\r\n", 8), MXS_OK);
	assert_int_equal(probe_transcript_add(r, 'C', "EHLO me\r\n", 9), MXS_OK);
	assert_int_equal(probe_transcript_add(r, 'X', "nope", 4), MXS_ERR_INVALID);
	assert_int_equal(probe_transcript_add(r, 'S', "2\0x", 3), MXS_OK);
	assert_string_equal(r->transcript, "S: 220 hi\nC: EHLO me\nS: 2\x7fx\n");
	assert_false(r->transcript_cut);
	probe_result_free(r);
}

static void test_transcript_bound(void **state)
{
	probe_result *r = probe_result_new("mx.example", "::1", 25);
	char line[1000];
	size_t before;

	(void)state;
	memset(line, 'A', sizeof(line));
	for (int i = 0; i < 100; i++)
		assert_int_equal(probe_transcript_add(r, 'S', line, sizeof(line)), MXS_OK);
	assert_true(r->transcript_cut);
	assert_int_equal(strlen(r->transcript), PROBE_TRANSCRIPT_MAX);
	assert_memory_equal(r->transcript, "S: AAA", 6);
	/* nothing is added after a cut: the transcript stays a prefix */
	before = strlen(r->transcript);
	assert_int_equal(probe_transcript_add(r, 'C', "QUIT\r\n", 6), MXS_OK);
	assert_int_equal(strlen(r->transcript), before);
	probe_result_free(r);

	/* exactly full is not cut; one more byte is */
	r = probe_result_new(NULL, NULL, 25);
	memset(line, 'B', sizeof(line));
	for (size_t left = PROBE_TRANSCRIPT_MAX; left > 0;) {
		size_t n = left - 4 < sizeof(line) ? left - 4 : sizeof(line);
		assert_true(left >= 4);
		assert_int_equal(probe_transcript_add(r, 'S', line, n), MXS_OK);
		left -= n + 4;
	}
	assert_int_equal(strlen(r->transcript), PROBE_TRANSCRIPT_MAX);
	assert_false(r->transcript_cut);
	assert_int_equal(probe_transcript_add(r, 'S', "", 0), MXS_OK);
	assert_true(r->transcript_cut);
	assert_int_equal(strlen(r->transcript), PROBE_TRANSCRIPT_MAX);
	probe_result_free(r);
}

static void test_dup_free(void **state)
{
	probe_result *r = probe_result_new("mx.example", "127.0.0.1", 2525), *d;

	(void)state;
	r->state = PROBE_ACCEPTED;
	r->code = 220;
	r->greeting = strdup("mx.example ESMTP\nsecond line");
	r->ehlo = calloc(2, sizeof(*r->ehlo));
	r->ehlo[0] = strdup("PIPELINING");
	r->ehlo[1] = strdup("STARTTLS");
	r->nehlo = 2;
	r->tls.offered = r->tls.done = true;
	r->tls.subject = strdup("CN=mx.example");
	r->tls.verify_error = strdup("certificate has expired");
	r->tls.version = strdup("TLSv1.3");
	r->t.greeting = 12;
	probe_transcript_add(r, 'S', "220 mx.example ESMTP", 20);
	r->error = strdup("connection closed during EHLO");

	d = probe_result_dup(r);
	assert_non_null(d);
	assert_ptr_not_equal(d->greeting, r->greeting);
	assert_string_equal(d->host, "mx.example");
	assert_string_equal(d->ip, "127.0.0.1");
	assert_int_equal(d->port, 2525);
	assert_int_equal(d->state, PROBE_ACCEPTED);
	assert_int_equal(d->code, 220);
	assert_string_equal(d->greeting, r->greeting);
	assert_int_equal(d->nehlo, 2);
	assert_ptr_not_equal(d->ehlo[1], r->ehlo[1]);
	assert_string_equal(d->ehlo[1], "STARTTLS");
	assert_true(d->tls.done);
	assert_string_equal(d->tls.subject, "CN=mx.example");
	assert_string_equal(d->tls.verify_error, "certificate has expired");
	assert_null(d->tls.issuer);
	assert_string_equal(d->tls.version, "TLSv1.3");
	assert_int_equal(d->t.greeting, 12);
	assert_int_equal(d->t.ehlo, -1);
	assert_string_equal(d->transcript, r->transcript);
	assert_string_equal(d->error, r->error);
	probe_result_free(r);
	/* the copy lives on its own */
	assert_string_equal(d->ehlo[0], "PIPELINING");
	probe_result_free(d);
	probe_result_free(NULL);
	assert_null(probe_result_dup(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_lines),      cmocka_unit_test(test_reply_line_nul_and_null),
	    cmocka_unit_test(test_states),           cmocka_unit_test(test_transcript),
	    cmocka_unit_test(test_transcript_bound), cmocka_unit_test(test_dup_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
