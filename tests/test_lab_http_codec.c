/* tests/test_lab_http_codec.c — the lab's one HTTP/1.1 codec (lab/http_codec.c)
 * on its own: a request head read as it arrives, in pieces, up to its bound
 * and no further; what it refuses (a line that is not HTTP, bytes the grammar
 * does not allow, a repeated Content-Length); header names in any case; and
 * the response head, byte for byte as both lab HTTP servers send it. The
 * servers' use of it is tested on the wire in test_lab_http.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab_internal.h"

static struct lab_http_req req; /* 8 KiB and more: not on cmocka's stack */

static int parse(const char *s)
{
	return lab_http_parse(&req, s, strlen(s));
}

/* Fed one more byte at a time, as the slowest client sends it: nothing
 * until the blank line is complete, then the whole head, body left alone. */
static void test_split_over_many_reads(void **state)
{
	static const char in[] = "POST /dns-query HTTP/1.1\r\nHost: bl.lab.test\r\n"
	                         "Content-Length: 3\r\n\r\nabc";
	size_t head = sizeof(in) - 1 - 3;

	(void)state;
	for (size_t n = 0; n < head; n++)
		assert_int_equal(lab_http_parse(&req, in, n), 0);
	for (size_t n = head; n < sizeof(in); n++) {
		assert_int_equal(lab_http_parse(&req, in, n), 200);
		assert_int_equal(req.head_len, head);
	}
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.target, "/dns-query");
	assert_string_equal(req.version, "HTTP/1.1");
	assert_string_equal(lab_http_header(&req, "Content-Length"), "3");
	assert_int_equal(req.nfields, 2);
}

/* A head of exactly LAB_HTTP_HEAD_MAX bytes is read; one byte more, or as
 * many bytes with no blank line yet, is 431. */
static void test_head_bound(void **state)
{
	static char in[LAB_HTTP_HEAD_MAX + 64];
	static const char start[] = "GET / HTTP/1.1\r\nX-Pad: ";
	size_t pad = LAB_HTTP_HEAD_MAX - (sizeof(start) - 1) - 4;

	(void)state;
	memcpy(in, start, sizeof(start) - 1);
	memset(in + sizeof(start) - 1, 'p', pad);
	memcpy(in + sizeof(start) - 1 + pad, "\r\n\r\n", 4);
	assert_int_equal(lab_http_parse(&req, in, LAB_HTTP_HEAD_MAX), 200);
	assert_int_equal(req.head_len, LAB_HTTP_HEAD_MAX);
	assert_int_equal(strlen(lab_http_header(&req, "x-pad")), pad);

	memset(in + sizeof(start) - 1, 'p', pad + 1);
	memcpy(in + sizeof(start) - 1 + pad + 1, "\r\n\r\n", 4);
	/* short of the bound and no blank line: more may come */
	assert_int_equal(lab_http_parse(&req, in, LAB_HTTP_HEAD_MAX - 1), 0);
	/* the blank line would end one byte past it: refused, whatever follows */
	assert_int_equal(lab_http_parse(&req, in, LAB_HTTP_HEAD_MAX), 431);
	assert_int_equal(lab_http_parse(&req, in, LAB_HTTP_HEAD_MAX + 4), 431);
}

static void test_too_many_fields(void **state)
{
	static char in[LAB_HTTP_HEAD_MAX];
	size_t n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n");

	(void)state;
	for (int i = 0; i < LAB_HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "X-%d: %d\r\n", i, i);
	snprintf(in + n, sizeof(in) - n, "\r\n");
	assert_int_equal(parse(in), 200);
	assert_int_equal(req.nfields, LAB_HTTP_FIELDS_MAX);
	snprintf(in + n, sizeof(in) - n, "X-last: 1\r\n\r\n");
	assert_int_equal(parse(in), 431);
}

/* Names match in any case; values lose the whitespace around them, and a
 * folded line (obs-fold) reads as spaces. */
static void test_header_names_any_case(void **state)
{
	(void)state;
	assert_int_equal(parse("GET /x HTTP/1.0\r\nhOsT:\t Mta-Sts.Example. \t\r\n"
	                       "X-API-KEY: k1\r\nX-Folded: a\r\n  b\r\n\tc \r\nX-Empty:\r\n\r\n"),
	                 200);
	assert_string_equal(req.version, "HTTP/1.0");
	assert_string_equal(lab_http_header(&req, "Host"), "Mta-Sts.Example.");
	assert_string_equal(lab_http_header(&req, "HOST"), "Mta-Sts.Example.");
	assert_string_equal(lab_http_header(&req, "x-api-key"), "k1");
	assert_string_equal(lab_http_header(&req, "X-Folded"), "a    b  \tc");
	assert_string_equal(lab_http_header(&req, "x-empty"), "");
	assert_null(lab_http_header(&req, "X-Api"));
	assert_null(lab_http_header(&req, "X-API-KEY2"));
}

/* A head without Host reads; whether to serve it is the server's call. */
static void test_missing_host(void **state)
{
	(void)state;
	assert_int_equal(parse("GET /api/check/127.0.0.9 HTTP/1.1\r\nAccept: */*\r\n\r\n"), 200);
	assert_null(lab_http_header(&req, "Host"));
	assert_string_equal(req.target, "/api/check/127.0.0.9");
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(req.nfields, 0);
	assert_null(lab_http_header(&req, "Host"));
}

/* A request line that is not HTTP/1.x: 400, whatever else the head has. */
static void test_not_http(void **state)
{
	static const char *const bad[] = {
	    "\r\n\r\n",
	    "GET\r\n\r\n",
	    "GET /\r\n\r\n",
	    "GET / FTP/1.1\r\n\r\n",
	    "GET / HTTP/2.0\r\n\r\n",
	    "GET / HTTP/1.1 \r\n\r\n",
	    "GET  / HTTP/1.1\r\n\r\n",
	    " GET / HTTP/1.1\r\n\r\n",
	    "G(T / HTTP/1.1\r\n\r\n",
	    "AVERYLONGMETHODNAME / HTTP/1.1\r\n\r\n",
	    "GET /a\x7f HTTP/1.1\r\n\r\n",
	    "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
	    "EHLO client.example\r\nMAIL FROM:<a@b>\r\n\r\n",
	    "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n", /* TLS to the plain port */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != 400)
			fail_msg("case %zu: not refused", i);
	/* the longest method allowed is still one */
	assert_int_equal(parse("ABCDEFGHIJKLMNO / HTTP/1.1\r\n\r\n"), 200);
}

/* Bytes of a field the grammar does not allow, and fields whose repetition
 * would let two readers see two different requests. */
static void test_bad_fields(void **state)
{
	static const char *const bad[] = {
	    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	    "GET / HTTP/1.1\r\n: a\r\n\r\n",
	    "GET / HTTP/1.1\r\nno colon\r\n\r\n",
	    "GET / HTTP/1.1\r\n  folded: before any field\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\rY: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n",
	};
	static const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != 400)
			fail_msg("case %zu: not refused", i);
	assert_int_equal(lab_http_parse(&req, nul, sizeof(nul) - 1), 400);
	/* obs-text is allowed in a value, and so is a repeated ordinary field */
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\nX: two\r\n\r\n"), 200);
	assert_string_equal(lab_http_header(&req, "x"), "caf\xc3\xa9");
}

/* The response head both servers send, to the byte. */
static void test_response_head(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	n = lab_http_response_head(out, sizeof(out), 431, "text/plain", 23, NULL);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	                         "Content-Type: text/plain\r\nContent-Length: 23\r\n"
	                         "Connection: close\r\n\r\n");
	n = lab_http_response_head(out, sizeof(out), 200, "application/json", 0,
	                           "Cache-Control: max-age=0\r\n");
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                         "Content-Length: 0\r\nCache-Control: max-age=0\r\n"
	                         "Connection: close\r\n\r\n");
	/* a code without a phrase here still makes a valid status line */
	lab_http_response_head(out, sizeof(out), 418, "text/plain", 1, NULL);
	assert_true(strncmp(out, "HTTP/1.1 418 \r\n", 15) == 0);
	/* too small a buffer: nothing to send, rather than half a head */
	assert_int_equal(lab_http_response_head(out, 20, 200, "text/plain", 1, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_over_many_reads),
	    cmocka_unit_test(test_head_bound),
	    cmocka_unit_test(test_too_many_fields),
	    cmocka_unit_test(test_header_names_any_case),
	    cmocka_unit_test(test_missing_host),
	    cmocka_unit_test(test_not_http),
	    cmocka_unit_test(test_bad_fields),
	    cmocka_unit_test(test_response_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
