/* tests/test_lab_http.c — the lab's blocklist endpoint byte for byte: the
 * JSON API's bodies are exactly Content-Length long and hold no NUL (a
 * hand-counted length once sent 27 bytes for a 26-byte body), and DoH
 * answers for bl.lab.test come from its zone through the lab's DNS answer
 * code, read back with c-ares; and how both lab HTTP servers (this one and
 * the MTA-STS policy server) read a request head through the one codec
 * (lab/http_codec.c): in pieces, over the bound, not HTTP, without Host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ares.h>
#include <openssl/ssl.h>
#include <arpa/nameser.h>

#include "harness.h"
#include "lab.h"

struct fixture {
	uv_loop_t loop;
	hlab_here lab; /* the shared lab fixture (tests/harness.h) */
	int port;
};

/* Sends req and reads the whole response (the server closes after one),
 * running the server's loop meanwhile. Returns the bytes read. */
static size_t exchange(struct fixture *f, const void *req, size_t reqlen, char *out, size_t cap)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	size_t n = 0, sent = 0;
	long end = h_now_ms() + 5000;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		assert_int_equal(errno, EINPROGRESS);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < reqlen ? POLLOUT : 0)};
		ssize_t r;

		if (h_now_ms() > end)
			fail_msg("no complete response in 5 s (%zu bytes so far)", n);
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 1) <= 0)
			continue;
		if (sent < reqlen && (p.revents & POLLOUT)) {
			r = send(fd, (const char *)req + sent, reqlen - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			r = recv(fd, out + n, cap - n, 0);
			if (r == 0)
				break;
			if (r < 0 && errno != EAGAIN)
				break;
			if (r > 0)
				n += (size_t)r;
			assert_true(n < cap);
		}
	}
	close(fd);
	return n;
}

/* Splits a response into status code and body, checking that the body is
 * exactly Content-Length bytes. */
static int response(const char *resp, size_t n, const char **body, size_t *blen)
{
	const char *end = memmem(resp, n, "\r\n\r\n", 4), *cl;
	int code = 0;
	unsigned long want;

	assert_non_null(end);
	assert_int_equal(sscanf(resp, "HTTP/1.1 %d ", &code), 1);
	cl = strcasestr(resp, "\r\nContent-Length: ");
	assert_true(cl && cl < end);
	want = strtoul(cl + 18, NULL, 10);
	*body = end + 4;
	*blen = n - (size_t)(end + 4 - resp);
	if (*blen != want)
		fail_msg("Content-Length %lu, body %zu bytes", want, *blen);
	return code;
}

static int get(struct fixture *f, const char *target, char *body, size_t cap)
{
	char req[512], resp[65536];
	const char *b;
	size_t n, blen;
	int code;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: lab\r\n\r\n", target);
	n = exchange(f, req, strlen(req), resp, sizeof(resp));
	code = response(resp, n, &b, &blen);
	assert_true(blen < cap);
	assert_null(memchr(b, '\0', blen));
	memcpy(body, b, blen);
	body[blen] = '\0';
	return code;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_lab_open(&f->lab, &f->loop, NULL, NULL, H_HTTP);
	f->port = lab_http_port(f->lab.http);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	h_lab_close(&f->lab);
	free(f);
	return 0;
}

static void test_json_bodies(void **state)
{
	struct fixture *f = *state;
	char body[1024];

	/* the body that went out as 27 bytes with a NUL */
	assert_int_equal(get(f, "/api/check/not-an-ip", body, sizeof(body)), 400);
	assert_string_equal(body, "{\"error\":\"not an address\"}");
	assert_int_equal(get(f, "/api/check/127.0.40.4", body, sizeof(body)), 429);
	assert_string_equal(body, "{\"error\":\"rate limited\"}");
	assert_int_equal(get(f, "/api/check/127.0.0.9", body, sizeof(body)), 200);
	assert_string_equal(body, "{\"ip\":\"127.0.0.9\",\"listed\":false}");
	assert_int_equal(get(f, "/api/check/127.0.40.3", body, sizeof(body)), 200);
	assert_string_equal(body, "{\"ip\":\"127.0.40.3\",\"listed\":true,"
	                          "\"codes\":[\"127.0.0.2\",\"127.0.0.4\"],"
	                          "\"reason\":\"lab: 127.0.40.3 is listed as a spam source\"}");
	assert_int_equal(get(f, "/api/check/127.0.40.10", body, sizeof(body)), 200);
	assert_string_equal(body, "{\"ip\":\"127.0.40.10\",\"listed\":\"maybe\"}");
	assert_int_equal(get(f, "/nowhere", body, sizeof(body)), 404);
	assert_string_equal(body, "not here\n");
}

/* ---- DoH ------------------------------------------------------------------------ */

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = abc[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
	return o;
}

/* Asks name/type over DoH GET (or POST); the answer's bytes. */
static size_t doh(struct fixture *f, const char *name, int type, int post, unsigned char *ans,
                  size_t cap)
{
	unsigned char *q = NULL;
	int ql = 0;
	char req[1024], enc[512], resp[8192];
	const char *b;
	size_t n, blen;

	assert_int_equal(ares_create_query(name, ns_c_in, type, 0x4242, 1, &q, &ql, 0),
	                 ARES_SUCCESS);
	if (post) {
		n = (size_t)snprintf(req, sizeof(req),
		                     "POST /dns-query HTTP/1.1\r\nContent-Type: "
		                     "application/dns-message\r\nContent-Length: %d\r\n\r\n",
		                     ql);
		memcpy(req + n, q, (size_t)ql);
		n += (size_t)ql;
	} else {
		b64url(q, (size_t)ql, enc);
		n = (size_t)snprintf(req, sizeof(req), "GET /dns-query?dns=%s HTTP/1.1\r\n\r\n",
		                     enc);
	}
	ares_free_string(q);
	n = exchange(f, req, n, resp, sizeof(resp));
	assert_int_equal(response(resp, n, &b, &blen), 200);
	assert_non_null(strstr(resp, "Content-Type: application/dns-message\r\n"));
	assert_true(blen <= cap && blen >= 12);
	memcpy(ans, b, blen);
	return blen;
}

static void test_doh_from_the_zone(void **state)
{
	struct fixture *f = *state;
	unsigned char a[4096];
	size_t n;
	struct ares_addrttl at[4];
	int nat = 4;
	struct ares_txt_reply *txt = NULL;
	char text[64], body[256];

	for (int post = 0; post < 2; post++) {
		n = doh(f, "2.40.0.127.bl.lab.test", ns_t_a, post, a, sizeof(a));
		nat = 4;
		assert_int_equal(ares_parse_a_reply(a, (int)n, NULL, at, &nat), ARES_SUCCESS);
		assert_int_equal(nat, 1);
		inet_ntop(AF_INET, &at[0].ipaddr, text, sizeof(text));
		assert_string_equal(text, "127.0.0.2");
		assert_int_equal(at[0].ttl, 900);
		assert_int_equal(a[0] << 8 | a[1], 0x4242);
		assert_true(a[2] & 0x04); /* authoritative, as every lab zone */
	}
	n = doh(f, "3.40.0.127.bl.lab.test", ns_t_a, 0, a, sizeof(a));
	nat = 4;
	assert_int_equal(ares_parse_a_reply(a, (int)n, NULL, at, &nat), ARES_SUCCESS);
	assert_int_equal(nat, 2);
	n = doh(f, "2.40.0.127.bl.lab.test", ns_t_txt, 0, a, sizeof(a));
	assert_int_equal(ares_parse_txt_reply(a, (int)n, &txt), ARES_SUCCESS);
	assert_string_equal((const char *)txt->txt,
	                    "lab: listed as a spam source; see "
	                    "https://bl.lab.test/lookup?2.40.0.127.bl.lab.test");
	ares_free_data(txt);
	/* ::ffff:127.0.40.2, 32 nibbles */
	n = doh(f, "2.0.8.2.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.lab.test",
	        ns_t_a, 0, a, sizeof(a));
	nat = 4;
	assert_int_equal(ares_parse_a_reply(a, (int)n, NULL, at, &nat), ARES_SUCCESS);
	/* not listed: NXDOMAIN with the zone's SOA for negative caching */
	n = doh(f, "9.9.0.127.bl.lab.test", ns_t_a, 0, a, sizeof(a));
	assert_int_equal(a[3] & 0x0f, 3);
	assert_int_equal(a[8] << 8 | a[9], 1);
	/* another zone: refused */
	n = doh(f, "2.40.0.127.example.test", ns_t_a, 0, a, sizeof(a));
	assert_int_equal(a[3] & 0x0f, 5);
	(void)n;
	/* not a DNS message */
	assert_int_equal(get(f, "/dns-query?dns=AAAA", body, sizeof(body)), 400);
	assert_string_equal(body, "not a DNS query\n");
}

/* ---- the connection limit (tcp.c, shared by the three lab servers) ------------- */

static int dial(struct fixture *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		assert_int_equal(errno, EINPROGRESS);
	for (int k = 0; k < 3; k++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	return fd;
}

/* Reads fd until EOF or ms pass, running the server; bytes read, -1 when
 * the connection is still open and silent at the end. */
static long read_all(struct fixture *f, int fd, char *out, size_t cap, int ms)
{
	size_t n = 0;
	long end = h_now_ms() + ms;

	while (h_now_ms() < end) {
		ssize_t r = recv(fd, out + n, cap - 1 - n, 0);

		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			out[n] = '\0';
			return (long)n;
		}
		if (r > 0)
			n += (size_t)r;
		uv_run(&f->loop, UV_RUN_NOWAIT);
		poll(NULL, 0, 1);
	}
	return -1;
}

/* At the limit (256) a newcomer takes the place of the connection idle the
 * longest; a connection the server still owes an answer (the slow one) is
 * never the one dropped, however old. */
static void test_limit_drops_oldest_idle(void **state)
{
	struct fixture *f = *state;
	enum { LIMIT = 256 };
	static const char slow[] = "GET /api/check/127.0.40.5 HTTP/1.1\r\n\r\n";
	int fds[LIMIT + 1];
	char buf[4096];

	fds[0] = dial(f);
	assert_int_equal(send(fds[0], slow, sizeof(slow) - 1, 0), (ssize_t)(sizeof(slow) - 1));
	for (int k = 0; k < 10; k++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	for (int i = 1; i < LIMIT; i++)
		fds[i] = dial(f);
	assert_int_equal(lab_http_connections(f->lab.http), LIMIT);
	fds[LIMIT] = dial(f); /* one past the limit */
	/* fds[1], the oldest idle one, made room; fds[0] is older but busy */
	assert_int_equal(read_all(f, fds[1], buf, sizeof(buf), 2000), 0);
	/* the newcomer is served */
	assert_int_equal(send(fds[LIMIT], "GET /api/check/127.0.0.9 HTTP/1.1\r\n\r\n", 38, 0), 38);
	assert_true(read_all(f, fds[LIMIT], buf, sizeof(buf), 2000) > 0);
	assert_non_null(strstr(buf, "{\"ip\":\"127.0.0.9\",\"listed\":false}"));
	/* and the slow one still gets its answer */
	assert_true(read_all(f, fds[0], buf, sizeof(buf), 10000) > 0);
	assert_non_null(strstr(buf, "\"ip\":\"127.0.40.5\",\"listed\":true"));
	for (int i = 0; i <= LIMIT; i++)
		close(fds[i]);
}

/* ---- the request head (lab/http_codec.c, read as it comes) ------------------------ */

/* Sends req in pieces of `piece` bytes, the server's loop running between
 * them, and reads until the server closes; the bytes read, as read_all. */
static long trickle(struct fixture *f, const char *req, size_t len, size_t piece, char *out,
                    size_t cap)
{
	int fd = dial(f);
	long n;

	for (size_t at = 0; at < len; at += piece) {
		size_t k = len - at < piece ? len - at : piece;

		if (send(fd, req + at, k, MSG_NOSIGNAL) != (ssize_t)k)
			break; /* the server has answered and closed already */
		for (int i = 0; i < 3; i++)
			uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	n = read_all(f, fd, out, cap, 5000);
	close(fd);
	return n;
}

/* A head that comes a byte at a time, and a body after it, make one answer. */
static void test_head_split_over_many_reads(void **state)
{
	struct fixture *f = *state;
	static const char one[] = "GET /api/check/127.0.0.9 HTTP/1.1\r\nhOST: bl.lab.test\r\n"
	                          "x-api-key: k\r\n\r\n";
	char req[512], out[4096];
	/* A? 2.40.0.127.bl.lab.test, listed */
	static const unsigned char q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	                                 "\x01"
	                                 "2\x02"
	                                 "40\x01"
	                                 "0\x03"
	                                 "127\x02"
	                                 "bl\x03"
	                                 "lab\x04"
	                                 "test\x00\x00\x01\x00\x01";
	int n;

	assert_true(trickle(f, one, sizeof(one) - 1, 1, out, sizeof(out)) > 0);
	assert_true(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(out, "\r\n\r\n{\"ip\":\"127.0.0.9\",\"listed\":false}"));
	/* a POST whose head and body arrive in 5-byte pieces */
	n = snprintf(req, sizeof(req),
	             "POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
	             "Content-Length: %zu\r\n\r\n",
	             sizeof(q) - 1);
	memcpy(req + n, q, sizeof(q) - 1);
	assert_true(trickle(f, req, (size_t)n + sizeof(q) - 1, 5, out, sizeof(out)) > 0);
	assert_true(
	    strncmp(out, "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n", 56) == 0);
}

/* Over the 8 KiB bound without a blank line: 431, and the connection ends. */
static void test_head_over_bound(void **state)
{
	struct fixture *f = *state;
	static char req[9000];
	char out[4096];
	const char *body;
	size_t blen;

	memset(req, 'a', sizeof(req));
	memcpy(req, "GET / HTTP/1.1\r\nX-Pad: ", 23);
	assert_true(trickle(f, req, sizeof(req), 1000, out, sizeof(out)) > 0);
	assert_int_equal(response(out, strlen(out), &body, &blen), 431);
	assert_string_equal(body, "request head too large\n");
}

/* A request line that is not HTTP/1.x: 400 and closed, counted as no request;
 * without a Host the blocklist endpoint still answers (HTTP/1.0 clients). */
static void test_not_http(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "GET /api/check/127.0.0.9 FTP/1.1\r\n\r\n", /* once read as HTTP by sscanf */
	    "GET /api/check/127.0.0.9\r\n\r\n",
	    "EHLO client.example\r\n\r\n",
	};
	unsigned long before = lab_http_requests(f->lab.http);
	char out[4096];
	const char *body;
	size_t blen;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(trickle(f, bad[i], strlen(bad[i]), 4096, out, sizeof(out)) > 0);
		assert_int_equal(response(out, strlen(out), &body, &blen), 400);
		assert_string_equal(body, "bad request head\n");
	}
	assert_int_equal(lab_http_requests(f->lab.http), before);
	assert_int_equal(get(f, "/api/check/127.0.0.9", out, sizeof(out)), 200);
	assert_int_equal(lab_http_requests(f->lab.http), before + 1);
}

/* ---- the same codec behind the MTA-STS policy server (HTTPS) ------------------- */

static int setup_sts(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_lab_open(&f->lab, &f->loop, NULL, NULL, H_SMTP | H_STS);
	f->port = f->lab.sts_port;
	*state = f;
	return 0;
}

/* Runs the loop a little while the TLS client waits for the server. */
static void pump(struct fixture *f, long end)
{
	if (h_now_ms() > end)
		fail_msg("the MTA-STS server did not answer in 5 s");
	uv_run(&f->loop, UV_RUN_NOWAIT);
	poll(NULL, 0, 1);
}

/* Sends req over TLS in records of `piece` bytes and reads the answer until
 * the server's close_notify; its length, NUL-terminated in out. The name is
 * the policy host's, for SNI; the certificate is not what is tested here. */
static size_t https(struct fixture *f, const char *req, size_t len, size_t piece, char *out,
                    size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	int fd = dial(f), r;
	long end = h_now_ms() + 5000;
	size_t n = 0;

	assert_non_null(ssl);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "mta-sts.sts-enforce.lab.test");
	while ((r = SSL_connect(ssl)) != 1) {
		int e = SSL_get_error(ssl, r);

		assert_true(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
		pump(f, end);
	}
	for (size_t at = 0; at < len;) {
		size_t k = len - at < piece ? len - at : piece;

		r = SSL_write(ssl, req + at, (int)k);
		if (r > 0)
			at += (size_t)r;
		else if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_WRITE)
			break; /* the server has answered and closed already */
		for (int i = 0; i < 3; i++)
			uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	for (;;) {
		r = SSL_read(ssl, out + n, (int)(cap - 1 - n));
		if (r > 0)
			n += (size_t)r;
		else if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ)
			pump(f, end);
		else
			break; /* close_notify, or the connection closed */
	}
	out[n] = '\0';
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return n;
}

/* What the policy server makes of a head: the policy for a Host in any
 * case with a port and a final dot, sent a byte a record; 404 without a
 * Host; 400 for a line that is not HTTP (it was 404) and 431 over the bound
 * (it was 400), both counted as no request. */
static void test_sts_heads(void **state)
{
	struct fixture *f = *state;
	static const char ok[] = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
	                         "hOsT: MTA-STS.sts-enforce.lab.test.:443\r\n\r\n";
	static const char nohost[] = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n\r\n";
	static const char nothttp[] = "GET /.well-known/mta-sts.txt\r\n"
	                              "Host: mta-sts.sts-enforce.lab.test\r\n\r\n";
	static char big[9000];
	char out[8192];
	const char *body;
	size_t n, blen;
	unsigned long before;

	n = https(f, ok, sizeof(ok) - 1, 1, out, sizeof(out));
	assert_int_equal(response(out, n, &body, &blen), 200);
	assert_true(strncmp(body, "version: STSv1\r\nmode: enforce\r\n", 31) == 0);
	before = lab_sts_server_requests(f->lab.sts);
	n = https(f, nohost, sizeof(nohost) - 1, 4096, out, sizeof(out));
	assert_int_equal(response(out, n, &body, &blen), 404);
	assert_string_equal(body, "no policy for this host\n");
	assert_int_equal(lab_sts_server_requests(f->lab.sts), before + 1);
	n = https(f, nothttp, sizeof(nothttp) - 1, 4096, out, sizeof(out));
	assert_int_equal(response(out, n, &body, &blen), 400);
	assert_string_equal(body, "bad request head\n");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", 23);
	n = https(f, big, sizeof(big), 1000, out, sizeof(out));
	assert_int_equal(response(out, n, &body, &blen), 431);
	assert_string_equal(body, "request head too large\n");
	assert_int_equal(lab_sts_server_requests(f->lab.sts), before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_json_bodies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_doh_from_the_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit_drops_oldest_idle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_split_over_many_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_over_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sts_heads, setup_sts, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
