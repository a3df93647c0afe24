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
	/* a server's NUL is kept as a NUL, not turned into DEL,
	 * and the next line goes after it, not over it */
	assert_int_equal(probe_transcript_add(r, 'S', "2\0x", 3), MXS_OK);
	assert_int_equal(probe_transcript_add(r, 'C', "QUIT", 4), MXS_OK);
	assert_int_equal(r->transcript_len, 36);
	assert_int_equal(probe_transcript_len(r), 36);
	assert_memory_equal(r->transcript, "S: 220 hi\nC: EHLO me\nS: 2\0x\nC: QUIT\n", 37);
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

/* Greeting and EHLO lines keep every byte, NULs included, within their
 * bounds; a result built by hand (no lengths) reads as its strlen. */
static void test_greeting_and_ehlo_keep_nul(void **state)
{
	probe_result *r = probe_result_new("mx.example", "127.0.0.1", 25), *d;
	char big[PROBE_GREETING_MAX + 100];

	(void)state;
	assert_int_equal(probe_greeting_len(r), 0);
	assert_int_equal(probe_greeting_add(r, "a\0b", 3), MXS_OK);
	assert_int_equal(probe_greeting_add(r, "\x7f\0", 2), MXS_OK);
	assert_int_equal(probe_greeting_len(r), 6);
	assert_memory_equal(r->greeting, "a\0b\n\x7f\0", 7);
	assert_int_equal(probe_ehlo_add(r, "SIZE\0 1", 7), MXS_OK);
	assert_int_equal(probe_ehlo_add(r, "STARTTLS", 8), MXS_OK);
	assert_int_equal(r->nehlo, 2);
	assert_int_equal(probe_ehlo_len(r, 0), 7);
	assert_memory_equal(r->ehlo[0], "SIZE\0 1", 8);
	assert_int_equal(probe_ehlo_len(r, 1), 8);
	assert_int_equal(probe_ehlo_len(r, 2), 0);
	d = probe_result_dup(r);
	assert_non_null(d);
	assert_int_equal(probe_greeting_len(d), 6);
	assert_memory_equal(d->greeting, "a\0b\n\x7f\0", 7);
	assert_int_equal(probe_ehlo_len(d, 0), 7);
	assert_memory_equal(d->ehlo[0], "SIZE\0 1", 8);
	probe_result_free(d);

	/* bounded: one line longer than the whole greeting, then nothing */
	memset(big, 'G', sizeof(big));
	assert_int_equal(probe_greeting_add(r, big, sizeof(big)), MXS_OK);
	assert_int_equal(probe_greeting_len(r), PROBE_GREETING_MAX);
	assert_int_equal(probe_greeting_add(r, "more", 4), MXS_OK);
	assert_int_equal(probe_greeting_len(r), PROBE_GREETING_MAX);
	assert_int_equal(probe_ehlo_add(r, big, PROBE_EHLO_LINE_MAX + 1), MXS_OK);
	assert_int_equal(probe_ehlo_len(r, 2), PROBE_EHLO_LINE_MAX);
	while (r->nehlo < PROBE_EHLO_MAX_LINES)
		assert_int_equal(probe_ehlo_add(r, "X", 1), MXS_OK);
	assert_int_equal(probe_ehlo_add(r, "Y", 1), MXS_OK);
	assert_int_equal(r->nehlo, PROBE_EHLO_MAX_LINES);
	probe_result_free(r);

	/* built by hand: lengths 0 mean strlen, and adding keeps the old lines */
	r = probe_result_new(NULL, NULL, 25);
	r->greeting = strdup("hand made");
	r->ehlo = calloc(1, sizeof(*r->ehlo));
	r->ehlo[0] = strdup("PIPELINING");
	r->nehlo = 1;
	assert_int_equal(probe_greeting_len(r), 9);
	assert_int_equal(probe_ehlo_add(r, "8BITMIME", 8), MXS_OK);
	assert_int_equal(probe_ehlo_len(r, 0), 10);
	assert_int_equal(probe_ehlo_len(r, 1), 8);
	probe_result_free(r);
}

/* RFC 5321 §4.2.1: a multi-line reply keeps one code. */
static void test_reply_keeps_one_code(void **state)
{
	static const struct {
		const char *lines[4];
		probe_reply_step last; /* what the last line gives */
		int code;              /* *code after it */
	} cases[] = {
	    {{"220-a", "250 b"}, PROBE_REPLY_CODE_CHANGED, 250},
	    {{"220-a", "220-b", "221 c"}, PROBE_REPLY_CODE_CHANGED, 221},
	    {{"250-a", "220 b"}, PROBE_REPLY_CODE_CHANGED, 220},
	    {{"220-a", "220-b", "220 c"}, PROBE_REPLY_DONE, 220},
	    {{"220 one line"}, PROBE_REPLY_DONE, 220},
	    {{"220-a", "220"}, PROBE_REPLY_DONE, 220},
	    {{"220-a", "hello"}, PROBE_REPLY_NOT_SMTP, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		probe_reply rp = {0};
		probe_reply_step s = PROBE_REPLY_MORE;
		int code = 0;
		for (size_t k = 0; k < 4 && cases[i].lines[k]; k++) {
			const char *l = cases[i].lines[k];
			code = 0;
			s = probe_reply_feed(&rp, l, strlen(l), &code, NULL, NULL);
			if (k + 1 < 4 && cases[i].lines[k + 1])
				assert_int_equal(s, PROBE_REPLY_MORE);
		}
		assert_int_equal(s, cases[i].last);
		assert_int_equal(code, cases[i].code);
		if (s == PROBE_REPLY_DONE || s == PROBE_REPLY_MORE)
			assert_null(probe_reply_step_why(s));
		else
			assert_non_null(strstr(probe_reply_step_why(s), "RFC 5321"));
	}

	/* a refused line leaves the reply open with its code; a finished one
	 * starts the next reply afresh */
	{
		probe_reply rp = {0};
		const char *text;
		size_t tlen;
		int code;
		assert_int_equal(probe_reply_feed(&rp, "220-a\r\n", 7, &code, NULL, NULL),
		                 PROBE_REPLY_MORE);
		assert_int_equal(probe_reply_feed(&rp, "250 b", 5, &code, NULL, NULL),
		                 PROBE_REPLY_CODE_CHANGED);
		assert_int_equal(rp.code, 220);
		assert_int_equal(probe_reply_feed(&rp, "220 ok\r\n", 8, &code, &text, &tlen),
		                 PROBE_REPLY_DONE);
		assert_int_equal(tlen, 2);
		assert_memory_equal(text, "ok", 2);
		assert_int_equal(rp.code, 0);
		assert_int_equal(probe_reply_feed(&rp, "250 next", 8, &code, NULL, NULL),
		                 PROBE_REPLY_DONE);
		assert_int_equal(code, 250);
	}
	assert_null(probe_reply_step_why((probe_reply_step)99));
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
	    cmocka_unit_test(test_reply_lines),
	    cmocka_unit_test(test_reply_line_nul_and_null),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_transcript),
	    cmocka_unit_test(test_transcript_bound),
	    cmocka_unit_test(test_dup_free),
	    cmocka_unit_test(test_greeting_and_ehlo_keep_nul),
	    cmocka_unit_test(test_reply_keeps_one_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
