/* tests/test_lab_smtp.c — the lab's SMTP hosts over real loopback sockets:
 * every behaviour seen from a plain non-blocking client in this process
 * (the server runs on the same libuv loop, turned between reads), STARTTLS
 * verified with OpenSSL against the lab CA, and the $SMTP parse errors. */
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
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "lab.h"
#include "lab_internal.h"

static const char world_text[] = "$ORIGIN t.test.\n"
                                 "$SCENARIO t\n"
                                 "$TITLE smtp test\n"
                                 "$DOMAIN t.test.\n"
                                 "mx1 A 127.0.99.1\n"
                                 "mx2 A 127.0.99.2\n"
                                 "mx3 A 127.0.99.3\n"
                                 "mx4 A 127.0.99.4\n"
                                 "mx5 A 127.0.99.5\n"
                                 "mx6 A 127.0.99.6\n"
                                 "mx7 A 127.0.99.7\n"
                                 "mx8 A 127.0.99.8\n"
                                 "mx9 A 127.0.99.9\n"
                                 "mx10 A 127.0.99.10\n"
                                 "mx11 A 127.0.99.11\n"
                                 "mx12 A 127.0.99.12\n"
                                 "mx13 A 127.0.99.13\n"
                                 "mx14 A 127.0.99.14\n"
                                 "mx15 A 127.0.99.15\n"
                                 "mx16 A 127.0.99.16\n"
                                 "mx17 A 127.0.99.17\n"
                                 "six AAAA ::1\n"
                                 "$SMTP 127.0.99.1 accept\n"
                                 "$SMTP 127.0.99.2 refuse\n"
                                 "$SMTP 127.0.99.3 silent\n"
                                 "$SMTP 127.0.99.4 slow 0.5\n"
                                 "$SMTP 127.0.99.5 tempfail\n"
                                 "$SMTP 127.0.99.6 reject\n"
                                 "$SMTP 127.0.99.7 multiline\n"
                                 "$SMTP 127.0.99.8 drop-ehlo\n"
                                 "$SMTP 127.0.99.9 long-line\n"
                                 "$SMTP 127.0.99.10 megabyte\n"
                                 "$SMTP 127.0.99.11 escape\n"
                                 "$SMTP 127.0.99.12 garbage\n"
                                 "$SMTP 127.0.99.13 tarpit\n"
                                 "$SMTP 127.0.99.14 accept tls=expired\n"
                                 "$SMTP 127.0.99.15 accept tls=self-signed\n"
                                 "$SMTP 127.0.99.16 accept tls=wrong-name\n"
                                 "$SMTP 127.0.99.17 accept starttls=no name=Plain.Example.\n"
                                 "$SMTP ::1 accept ; shares a name with nothing else\n"
                                 "$SMTP 127.0.99.18 slow=0.2 ; no A record: lab.invalid\n";

struct fx {
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h) */
	lab_world *w;
	lab_smtp *s;
	int port;
};

/* Lets the server work for a moment; waits on fd (if any) meanwhile. */
static void turn(struct fx *f, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	uv_run(&f->loop, UV_RUN_NOWAIT);
	if (fd >= 0)
		poll(&p, 1, 1);
	else
		usleep(1000);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_lab_open(&f->here, &f->loop, "t.zone", world_text, H_SMTP);
	f->w = f->here.world;
	f->s = f->here.smtp;
	f->port = f->here.smtp_port;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	h_lab_close(&f->here);
	free(f);
	return 0;
}

struct rx {
	char *buf;
	size_t len, cap;
	int eof;
};

/* Reads into r until want says stop, EOF, or ms pass. */
static void rx_until(struct fx *f, int fd, struct rx *r, int (*want)(const struct rx *), int ms)
{
	long end = h_now_ms() + ms;

	while (!r->eof && (!want || !want(r)) && h_now_ms() < end) {
		ssize_t n;

		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? r->cap * 2 : 131072;
			r->buf = realloc(r->buf, r->cap + 1);
			assert_non_null(r->buf);
		}
		n = recv(fd, r->buf + r->len, r->cap - r->len, 0);
		if (n > 0)
			r->len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			r->eof = 1;
		else
			turn(f, fd, POLLIN);
		r->buf[r->len] = '\0';
	}
}

/* A complete reply: the last line is "DDD text\r\n". */
static int reply_done(const struct rx *r)
{
	const char *end, *start;

	if (r->len < 2 || memcmp(r->buf + r->len - 2, "\r\n", 2) != 0)
		return 0;
	end = r->buf + r->len - 2;
	for (start = end; start > r->buf && start[-1] != '\n'; start--)
		;
	return end - start >= 4 && start[3] == ' ';
}

static void rx_reset(struct rx *r)
{
	r->len = 0;
	r->eof = 0;
	if (r->buf)
		r->buf[0] = '\0';
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Sends cmd and returns the whole reply (in r). */
static const char *chat(struct fx *f, int fd, struct rx *r, const char *cmd)
{
	rx_reset(r);
	send_str(fd, cmd);
	rx_until(f, fd, r, reply_done, 2000);
	return r->buf ? r->buf : "";
}

static const char *greet(struct fx *f, int fd, struct rx *r)
{
	rx_reset(r);
	rx_until(f, fd, r, reply_done, 2000);
	return r->buf ? r->buf : "";
}

/* ---- a normal conversation ------------------------------------------------------- */

static void test_accept(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.1", f->port);

	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 mx1.t.test ESMTP mxscope lab\r\n");
	assert_string_equal(chat(f, fd, &r, "EHLO probe.example\r\n"),
	                    "250-mx1.t.test greets probe.example\r\n"
	                    "250-PIPELINING\r\n"
	                    "250-SIZE 10240000\r\n"
	                    "250-8BITMIME\r\n"
	                    "250-STARTTLS\r\n"
	                    "250 ENHANCEDSTATUSCODES\r\n");
	assert_string_equal(chat(f, fd, &r, "NOOP\r\n"), "250 2.0.0 OK\r\n");
	assert_string_equal(chat(f, fd, &r, "rset\r\n"), "250 2.0.0 OK\r\n");
	assert_string_equal(chat(f, fd, &r, "HELO x\r\n"), "250 mx1.t.test greets x\r\n");
	assert_string_equal(chat(f, fd, &r, "EHLO\r\n"),
	                    "501 5.5.4 EHLO needs a domain name or an address\r\n");
	assert_string_equal(chat(f, fd, &r, "VRFY root\r\n"),
	                    "252 2.1.5 the lab cannot verify anyone\r\n");
	/* the recipient stage: RCPT only after MAIL, as rcpt= says (accept
	 * here); DATA stays refused whatever was said before it */
	assert_string_equal(chat(f, fd, &r, "RCPT TO:<a@b>\r\n"), "503 5.5.1 MAIL first\r\n");
	assert_string_equal(chat(f, fd, &r, "MAIL FROM:<a@b>\r\n"), "250 2.1.0 sender OK\r\n");
	assert_string_equal(chat(f, fd, &r, "RCPT TO:<a@b>\r\n"), "250 2.1.5 recipient OK\r\n");
	assert_string_equal(chat(f, fd, &r, "DATA\r\n"),
	                    "502 5.5.1 the lab does not take mail\r\n");
	assert_string_equal(chat(f, fd, &r, "BDAT 1 LAST\r\n"),
	                    "502 5.5.1 the lab does not take mail\r\n");
	assert_string_equal(chat(f, fd, &r, "RSET\r\n"), "250 2.0.0 OK\r\n");
	assert_string_equal(chat(f, fd, &r, "RCPT TO:<a@b>\r\n"), "503 5.5.1 MAIL first\r\n");
	assert_string_equal(chat(f, fd, &r, "FROB\r\n"), "500 5.5.2 unrecognised command\r\n");
	/* pipelined commands, bare LF, each answered in order */
	assert_string_equal(chat(f, fd, &r, "NOOP\r\nFROB\nNOOP\r\n"),
	                    "250 2.0.0 OK\r\n500 5.5.2 unrecognised command\r\n250 2.0.0 OK\r\n");
	assert_string_equal(chat(f, fd, &r, "QUIT\r\n"), "221 2.0.0 bye\r\n");
	rx_until(f, fd, &r, NULL, 2000);
	assert_true(r.eof);
	close(fd);
	free(r.buf);
}

static void test_long_client_line(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.1", f->port);
	char line[1102];

	assert_true(fd >= 0);
	greet(f, fd, &r);
	/* 998 bytes and the CRLF is the most a line may be: still fine */
	memset(line, 'a', 998);
	memcpy(line, "NOOP ", 5);
	memcpy(line + 998, "\r\n", 3);
	assert_string_equal(chat(f, fd, &r, line), "250 2.0.0 OK\r\n");
	memset(line, 'a', 1099);
	memcpy(line + 1099, "\r\n", 3);
	rx_reset(&r);
	send_str(fd, line);
	rx_until(f, fd, &r, NULL, 3000);
	assert_true(r.eof);
	assert_non_null(strstr(r.buf, "500 5.5.6 line too long"));
	close(fd);
	free(r.buf);
}

static void test_ipv6_and_names(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "::1", f->port);

	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 six.t.test ESMTP mxscope lab\r\n");
	close(fd);
	/* name= wins, lower-cased, without its final dot; no STARTTLS */
	fd = h_dial(&f->loop, "127.0.99.17", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 plain.example ESMTP mxscope lab\r\n");
	assert_null(strstr(chat(f, fd, &r, "EHLO x\r\n"), "STARTTLS"));
	assert_string_equal(chat(f, fd, &r, "STARTTLS\r\n"),
	                    "502 5.5.1 STARTTLS is not offered here\r\n");
	close(fd);
	/* no address record at all: the fallback name; slow=0.2 delays it */
	fd = h_dial(&f->loop, "127.0.99.18", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 lab.invalid ESMTP mxscope lab\r\n");
	close(fd);
	free(r.buf);
}

static void test_listeners(void **state)
{
	struct fx *f = *state;
	char want[64];
	const char *pem = lab_smtp_ca_pem(f->s);

	assert_true(f->port > 0);
	/* every line but refuse listens */
	assert_int_equal(lab_smtp_listener_count(f->s), 18);
	snprintf(want, sizeof(want), "127.0.99.1:%d", f->port);
	assert_string_equal(lab_smtp_listener(f->s, 0), want);
	snprintf(want, sizeof(want), "127.0.99.3:%d", f->port);
	assert_string_equal(lab_smtp_listener(f->s, 1), want);
	snprintf(want, sizeof(want), "[::1]:%d", f->port);
	assert_string_equal(lab_smtp_listener(f->s, 16), want);
	assert_null(lab_smtp_listener(f->s, 18));
	assert_non_null(pem);
	assert_int_equal(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28), 0);
	assert_non_null(strstr(pem, "-----END CERTIFICATE-----\n"));
	lab_smtp_close(NULL);
	assert_int_equal(lab_smtp_port(NULL), 0);
}

/* ---- STARTTLS ------------------------------------------------------------------ */

/* STARTTLS on addr, a handshake that trusts only the lab CA and checks the
 * host name; returns the verification result and leaves the session open
 * in *out for more, or closes it when out is NULL. */
static long tls_try(struct fx *f, const char *addr, const char *host, SSL **out, int *fdout,
                    SSL_CTX **ctxout)
{
	struct rx r = {0};
	int fd = h_dial(&f->loop, addr, f->port);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *pem = BIO_new_mem_buf(lab_smtp_ca_pem(f->s), -1);
	X509 *ca = PEM_read_bio_X509(pem, NULL, NULL, NULL);
	SSL *ssl;
	long end = h_now_ms() + 3000, res;
	int rc;

	assert_true(fd >= 0);
	assert_non_null(ca);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca), 1);
	X509_free(ca);
	BIO_free(pem);
	/* verify without failing the handshake, so each error can be read */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	greet(f, fd, &r);
	assert_non_null(strstr(chat(f, fd, &r, "EHLO x\r\n"), "250-STARTTLS\r\n"));
	assert_string_equal(chat(f, fd, &r, "STARTTLS\r\n"), "220 2.0.0 ready\r\n");
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set1_host(ssl, host);
	while ((rc = SSL_connect(ssl)) != 1) {
		int e = SSL_get_error(ssl, rc);

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			fail_msg("TLS handshake with %s failed: %d", addr, e);
		if (h_now_ms() > end)
			fail_msg("TLS handshake with %s timed out", addr);
		turn(f, fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
	}
	res = SSL_get_verify_result(ssl);
	free(r.buf);
	if (out) {
		*out = ssl;
		*fdout = fd;
		*ctxout = ctx;
	} else {
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		close(fd);
	}
	return res;
}

/* One command over TLS, the whole reply back in buf. */
static void tls_chat(struct fx *f, SSL *ssl, int fd, const char *cmd, char *buf, size_t cap)
{
	size_t len = 0;
	long end = h_now_ms() + 2000;
	struct rx view;

	assert_int_equal(SSL_write(ssl, cmd, (int)strlen(cmd)), (int)strlen(cmd));
	buf[0] = '\0';
	for (;;) {
		int n = SSL_read(ssl, buf + len, (int)(cap - len - 1));

		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			view.buf = buf;
			view.len = len;
			if (reply_done(&view))
				return;
			continue;
		}
		if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ)
			return;
		if (h_now_ms() > end)
			fail_msg("no TLS reply to %s", cmd);
		turn(f, fd, POLLIN);
	}
}

static void test_starttls_valid(void **state)
{
	struct fx *f = *state;
	SSL *ssl;
	SSL_CTX *ctx;
	int fd;
	char buf[4096];
	X509 *peer;

	assert_int_equal(tls_try(f, "127.0.99.1", "mx1.t.test", &ssl, &fd, &ctx), X509_V_OK);
	peer = SSL_get1_peer_certificate(ssl);
	assert_non_null(peer);
	assert_int_equal(X509_check_host(peer, "mx1.t.test", 0, 0, NULL), 1);
	X509_free(peer);
	/* a new conversation: EHLO again, and STARTTLS is no longer offered */
	tls_chat(f, ssl, fd, "EHLO again\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "250-mx1.t.test greets again\r\n"
	                         "250-PIPELINING\r\n"
	                         "250-SIZE 10240000\r\n"
	                         "250-8BITMIME\r\n"
	                         "250 ENHANCEDSTATUSCODES\r\n");
	tls_chat(f, ssl, fd, "STARTTLS\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "503 5.5.1 TLS is already active\r\n");
	tls_chat(f, ssl, fd, "NOOP\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "250 2.0.0 OK\r\n");
	tls_chat(f, ssl, fd, "QUIT\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "221 2.0.0 bye\r\n");
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

static void test_starttls_bad_certificates(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tls_try(f, "127.0.99.14", "mx14.t.test", NULL, NULL, NULL),
	                 X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(tls_try(f, "127.0.99.15", "mx15.t.test", NULL, NULL, NULL),
	                 X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	/* the chain is good (the CA signed it), the name is not */
	assert_int_equal(tls_try(f, "127.0.99.16", "mx16.t.test", NULL, NULL, NULL),
	                 X509_V_ERR_HOSTNAME_MISMATCH);
	assert_int_equal(tls_try(f, "127.0.99.16", "wrong.invalid", NULL, NULL, NULL), X509_V_OK);
	/* and the valid one is not valid for another name */
	assert_int_equal(tls_try(f, "127.0.99.1", "mx2.t.test", NULL, NULL, NULL),
	                 X509_V_ERR_HOSTNAME_MISMATCH);
}

/* ---- failures and hostile behaviours ------------------------------------------ */

static void test_refuse_silent_slow(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	long t0;
	int fd;

	assert_int_equal(h_dial(&f->loop, "127.0.99.2", f->port), -ECONNREFUSED);

	fd = h_dial(&f->loop, "127.0.99.3", f->port);
	assert_true(fd >= 0);
	send_str(fd, "EHLO x\r\n"); /* it does not answer this either */
	rx_until(f, fd, &r, NULL, 500);
	assert_int_equal(r.len, 0);
	assert_false(r.eof);
	close(fd);

	t0 = h_now_ms();
	fd = h_dial(&f->loop, "127.0.99.4", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 mx4.t.test ESMTP mxscope lab\r\n");
	assert_true(h_now_ms() - t0 >= 450); /* the lab's delay is a floor; no ceiling */
	assert_non_null(strstr(chat(f, fd, &r, "EHLO x\r\n"), "250 ENHANCEDSTATUSCODES"));
	close(fd);
	free(r.buf);
}

static void test_tempfail_reject(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.5", f->port);

	assert_true(fd >= 0);
	rx_until(f, fd, &r, NULL, 2000);
	assert_true(r.eof);
	assert_string_equal(r.buf, "421 4.3.2 mx5.t.test service not available, try later\r\n");
	close(fd);

	fd = h_dial(&f->loop, "127.0.99.6", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "554 5.7.1 mx6.t.test no mail here\r\n");
	assert_string_equal(chat(f, fd, &r, "EHLO x\r\n"),
	                    "503 5.5.1 mx6.t.test no mail here: only QUIT\r\n");
	assert_string_equal(chat(f, fd, &r, "QUIT\r\n"), "221 2.0.0 bye\r\n");
	rx_until(f, fd, &r, NULL, 2000);
	assert_true(r.eof);
	close(fd);
	free(r.buf);
}

static void test_multiline_drop_escape(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.7", f->port);

	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r),
	                    "220-mx7.t.test ESMTP\r\n220-second line\r\n220 third line\r\n");
	assert_string_equal(chat(f, fd, &r, "NOOP\r\n"), "250 2.0.0 OK\r\n");
	close(fd);

	fd = h_dial(&f->loop, "127.0.99.8", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 mx8.t.test ESMTP mxscope lab\r\n");
	assert_string_equal(chat(f, fd, &r, "NOOP\r\n"), "250 2.0.0 OK\r\n");
	rx_reset(&r);
	send_str(fd, "EHLO x\r\n");
	rx_until(f, fd, &r, NULL, 2000);
	assert_true(r.eof);
	assert_int_equal(r.len, 0);
	close(fd);

	fd = h_dial(&f->loop, "127.0.99.11", f->port);
	assert_true(fd >= 0);
	assert_string_equal(greet(f, fd, &r), "220 mx11.t.test \x1b[2J\x1b]0;pwned\x07 "
	                                      "\x1b[31mred\x1b[0m ESMTP\r\n");
	assert_string_equal(chat(f, fd, &r, "NOOP\r\n"), "250 2.0.0 OK\r\n");
	close(fd);
	free(r.buf);
}

static int got_mib(const struct rx *r)
{
	return r->len >= 4 + 1024 * 1024;
}

static int got_done(const struct rx *r)
{
	return r->len >= 10 && memcmp(r->buf + r->len - 10, "220 done\r\n", 10) == 0;
}

static void test_floods(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.9", f->port), zero = 0, ff = 0;

	assert_true(fd >= 0);
	rx_until(f, fd, &r, got_mib, 5000);
	assert_int_equal(r.len, 4 + 1024 * 1024);
	assert_int_equal(memcmp(r.buf, "220 xxx", 7), 0);
	assert_null(memchr(r.buf, '\n', r.len));
	rx_until(f, fd, &r, NULL, 200); /* and then nothing more */
	assert_int_equal(r.len, 4 + 1024 * 1024);
	assert_false(r.eof);
	close(fd);

	rx_reset(&r);
	fd = h_dial(&f->loop, "127.0.99.10", f->port);
	assert_true(fd >= 0);
	rx_until(f, fd, &r, got_done, 5000);
	assert_true(got_done(&r));
	assert_true(r.len >= 1024 * 1024);
	for (const char *p = r.buf; *p;) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_true(nl - p + 1 <= 1000);
		assert_int_equal(memcmp(p, "220", 3), 0);
		p = nl + 1;
	}
	assert_string_equal(chat(f, fd, &r, "NOOP\r\n"), "250 2.0.0 OK\r\n");
	close(fd);

	rx_reset(&r);
	fd = h_dial(&f->loop, "127.0.99.12", f->port);
	assert_true(fd >= 0);
	rx_until(f, fd, &r, NULL, 2000);
	assert_true(r.eof);
	assert_int_equal(r.len, 4096);
	for (size_t i = 0; i < r.len; i++) {
		zero += r.buf[i] == 0;
		ff += (unsigned char)r.buf[i] == 0xff;
	}
	assert_true(zero > 0 && ff > 0);
	close(fd);
	free(r.buf);
}

static void test_tarpit(void **state)
{
	struct fx *f = *state;
	struct rx r = {0};
	int fd = h_dial(&f->loop, "127.0.99.13", f->port);

	assert_true(fd >= 0);
	rx_until(f, fd, &r, NULL, 1500);
	assert_true(r.len >= 1 && r.len <= 2);
	assert_int_equal(memcmp(r.buf, "22", r.len), 0);
	assert_false(r.eof);
	close(fd);
	free(r.buf);
}

/* ---- the world: $SMTP lines and built-ins ----------------------------------------- */

static void expect_error(const char *line, const char *want)
{
	lab_world *w = lab_world_new();
	char text[1024], *why = NULL;

	snprintf(text, sizeof(text),
	         "$ORIGIN e.test.\n$SCENARIO e\n$TITLE e\n$DOMAIN e.test.\nmx A 127.0.9.9\n%s\n",
	         line);
	assert_int_not_equal(lab_world_load_string(w, "e.zone", text, &why), MXS_OK);
	if (!why || strcmp(why, want) != 0)
		fail_msg("for \"%s\"\n  got  %s\n  want %s", line, why ? why : "(null)", want);
	assert_int_equal(lab_world_smtp_count(w), 0);
	free(why);
	lab_world_free(w);
}

static void test_bad_lines(void **state)
{
	(void)state;
	expect_error("$SMTP 10.0.0.1 accept",
	             "e.zone:6: lab SMTP addresses must be loopback (127.0.0.0/8 or ::1), got "
	             "\"10.0.0.1\"");
	expect_error("$SMTP ::2 accept", "e.zone:6: lab SMTP addresses must be loopback "
	                                 "(127.0.0.0/8 or ::1), got \"::2\"");
	expect_error("$SMTP mx accept", "e.zone:6: lab SMTP addresses must be loopback "
	                                "(127.0.0.0/8 or ::1), got \"mx\"");
	expect_error("$SMTP 127.0.9.9 greet",
	             "e.zone:6: unknown SMTP behaviour \"greet\"; expected one of accept, "
	             "refuse, silent, slow SECONDS, tempfail, reject, multiline, drop-ehlo, "
	             "long-line, megabyte, escape, garbage, tarpit");
	expect_error("$SMTP 127.0.9.9 accept colour=red",
	             "e.zone:6: unknown SMTP option \"colour=red\"; expected one of name=HOST, "
	             "tls=valid|expired|self-signed|wrong-name, starttls=yes|no, slow=SECONDS, "
	             "noop=CODE, rcpt=accept|reject|tempfail|silent, key=N, chain=yes|no");
	expect_error("$SMTP 127.0.9.9 accept tls=maybe",
	             "e.zone:6: unknown tls=\"maybe\"; expected one of valid, expired, "
	             "self-signed, wrong-name");
	expect_error("$SMTP 127.0.9.9 slow", "e.zone:6: expected seconds (0-600, e.g. 2.5) "
	                                     "after slow, got \"\"");
	expect_error("$SMTP 127.0.9.9 slow soon", "e.zone:6: expected seconds (0-600, e.g. 2.5) "
	                                          "after slow, got \"soon\"");
	expect_error("$SMTP 127.0.9.9 slow=700", "e.zone:6: expected seconds (0-600, e.g. 2.5) "
	                                         "after slow=, got \"700\"");
	expect_error("$SMTP 127.0.9.9 accept noop=250x",
	             "e.zone:6: expected a reply code (200-599) after noop=, got \"250x\"");
	expect_error("$SMTP 127.0.9.9 accept noop=199",
	             "e.zone:6: expected a reply code (200-599) after noop=, got \"199\"");
	expect_error("$SMTP 127.0.9.9 accept name=a..b",
	             "e.zone:6: expected a host name after name=, got \"a..b\"");
	/* RFC 1123 host names only (core's mx_name_is_host): the name goes into a
	 * greeting and a certificate */
	expect_error("$SMTP 127.0.9.9 accept name=-mx.test",
	             "e.zone:6: expected a host name after name=, got \"-mx.test\"");
	expect_error("$SMTP 127.0.9.9 accept name=mail_1.test",
	             "e.zone:6: expected a host name after name=, got \"mail_1.test\"");
	expect_error("$SMTP 127.0.9.9 accept name=a name=b",
	             "e.zone:6: a second name= on this $SMTP line");
	expect_error("$SMTP 127.0.9.9 refuse tls=valid",
	             "e.zone:6: refuse takes no options: nothing listens at 127.0.9.9");
	expect_error("$SMTP 127.0.9.9", "e.zone:6: expected \"$SMTP ADDRESS BEHAVIOUR "
	                                "[key=value ...]\", e.g. \"$SMTP 127.0.1.1 accept\"");
	expect_error("$SMTP 127.0.9.9 accept\n$SMTP 127.0.9.9 refuse",
	             "e.zone:7: a second $SMTP line for 127.0.9.9 (the first is at e.zone:6; one "
	             "behaviour per address: in the whole lab, and for ::1 in each scenario)");
	expect_error("$SMTP ::1 accept\n$SMTP ::1 refuse",
	             "e.zone:7: a second $SMTP line for ::1 (the first is at e.zone:6; one "
	             "behaviour per address: in the whole lab, and for ::1 in each scenario)");
}

static void test_world(void **state)
{
	lab_world *w = lab_world_new();
	char *why = NULL;
	const struct lab_smtp_host *h;

	(void)state;
	assert_int_equal(lab_world_load_string(w, "a.zone",
	                                       "$ORIGIN a.test.\n$SCENARIO a\n$TITLE a\n"
	                                       "$DOMAIN a.test.\n"
	                                       "$SMTP 127.0.50.1 slow=1.25 tls=expired ; c\n"
	                                       "$smtp 127.0.50.2 accept starttls=no\n",
	                                       &why),
	                 MXS_OK);
	assert_int_equal(lab_world_smtp_count(w), 2);
	h = lab_world_smtp(w, 0);
	assert_int_equal(h->act, LAB_SMTP_SLOW);
	assert_int_equal(h->delay_ms, 1250);
	assert_int_equal(h->tls, LAB_TLS_EXPIRED);
	assert_true(h->starttls);
	assert_string_equal(h->name, "lab.invalid");
	assert_int_equal(h->line, 5);
	assert_false(lab_world_smtp(w, 1)->starttls);
	/* a name found in a scenario loaded later still applies */
	assert_int_equal(lab_world_load_string(w, "b.zone",
	                                       "$ORIGIN b.test.\n$SCENARIO b\n$TITLE b\n"
	                                       "$DOMAIN b.test.\nhost A 127.0.50.1\n",
	                                       &why),
	                 MXS_OK);
	assert_string_equal(lab_world_smtp(w, 0)->name, "host.b.test");
	/* the same address in another scenario: both places named */
	assert_int_not_equal(lab_world_load_string(w, "c.zone",
	                                           "$ORIGIN c.test.\n$SCENARIO c\n$TITLE c\n"
	                                           "$DOMAIN c.test.\n$SMTP 127.0.50.2 refuse\n",
	                                           &why),
	                     MXS_OK);
	assert_string_equal(why, "c.zone:5: a second $SMTP line for 127.0.50.2 (the first is at "
	                         "a.zone:6; one behaviour per address: in the whole lab, and "
	                         "for ::1 in each scenario)");
	assert_int_equal(lab_world_smtp_count(w), 2);
	assert_int_equal(lab_world_scenario_count(w), 2);
	free(why);
	lab_world_free(w);
}

static void test_bind_clash(void **state)
{
	uv_loop_t loop;
	lab_world *w = lab_world_new();
	char *why = NULL, want[128], text[512];
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	(void)state;
	inet_pton(AF_INET, "127.0.98.2", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	snprintf(text, sizeof(text),
	         "$ORIGIN x.test.\n$SCENARIO x\n$TITLE x\n$DOMAIN x.test.\n"
	         "$SMTP 127.0.98.1 accept\n$SMTP 127.0.98.2 accept\n");
	assert_int_equal(lab_world_load_string(w, "x.zone", text, &why), MXS_OK);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_null(lab_smtp_new(&loop, w, port, &why));
	snprintf(want, sizeof(want), "127.0.98.2:%d: address already in use", port);
	assert_string_equal(why, want);
	free(why);
	why = NULL;
	/* port 0 finds a port that works for both */
	{
		lab_smtp *s = lab_smtp_new(&loop, w, 0, &why);

		assert_non_null(s);
		assert_int_equal(lab_smtp_listener_count(s), 2);
		lab_smtp_close(s);
	}
	while (uv_run(&loop, UV_RUN_NOWAIT) != 0)
		;
	assert_int_equal(uv_loop_close(&loop), 0);
	close(fd);
	lab_world_free(w);
}

static void test_builtins(void **state)
{
	struct fx f;
	char *why = NULL;
	struct rx r = {0};
	size_t want = 0;
	int fd;

	(void)state;
	assert_int_equal(uv_loop_init(&f.loop), 0);
	f.w = lab_world_new();
	assert_int_equal(lab_world_load_builtin(f.w, &why), MXS_OK);
	for (size_t i = 0; i < lab_world_smtp_count(f.w); i++) {
		const struct lab_smtp_host *h = lab_world_smtp(f.w, i);

		want += h->act != LAB_SMTP_REFUSE;
		/* every shipped host greets with the name of its own record */
		if (strcmp(h->name, "other.invalid") != 0 && !h->name_found)
			fail_msg("%s:%d: %s has no name", h->origin, h->line, h->addrtext);
		/* each scenario's ::1 host is its own, named in its own zone */
		if (strcmp(h->addrtext, "::1") == 0)
			assert_string_equal(
			    h->name, strcmp(h->zone, "v6.lab.test") == 0 ? "mx1.v6.lab.test"
			             : strcmp(h->zone, "v6down.lab.test") == 0
			                 ? "mx.v6down.lab.test"
			             : strcmp(h->zone, "coin.lab.test") == 0 ? "mx.coin.lab.test"
			                                                     : "implicit.lab.test");
	}
	f.s = lab_smtp_new(&f.loop, f.w, 0, &why);
	if (!f.s)
		fail_msg("%s", why);
	f.port = lab_smtp_port(f.s);
	assert_int_equal(lab_smtp_listener_count(f.s), want);
	fd = h_dial(&f.loop, "127.0.21.1", f.port);
	assert_true(fd >= 0);
	assert_string_equal(greet(&f, fd, &r), "220 good.tls.lab.test ESMTP mxscope lab\r\n");
	close(fd);
	fd = h_dial(&f.loop, "127.0.22.7", f.port);
	assert_true(fd >= 0);
	assert_string_equal(greet(&f, fd, &r), "220 other.invalid ESMTP mxscope lab\r\n");
	close(fd);
	assert_int_equal(h_dial(&f.loop, "127.0.16.1", f.port), -ECONNREFUSED);
	assert_int_equal(h_dial(&f.loop, "127.0.17.1", f.port), -ECONNREFUSED);
	/* closing with a connection still open */
	fd = h_dial(&f.loop, "127.0.17.2", f.port);
	assert_true(fd >= 0);
	turn(&f, -1, 0);
	lab_smtp_close(f.s);
	while (uv_run(&f.loop, UV_RUN_NOWAIT) != 0)
		;
	rx_reset(&r);
	rx_until(&f, fd, &r, NULL, 1000);
	assert_true(r.eof);
	close(fd);
	assert_int_equal(uv_loop_close(&f.loop), 0);
	lab_world_free(f.w);
	free(r.buf);
}

/* ::1 in two scenarios: two hosts, each on its own port and in the
 * address map with its zone; one that starts down still has a port where
 * nothing listens (its probes must not reach the other scenario's host),
 * and a trainer's "up" for ::1 brings it up there. */
static void test_ipv6_per_scenario(void **state)
{
	struct fx f;
	char *why = NULL;
	struct rx r = {0};
	const probe_port_override *ov;
	size_t n = 0;
	int fd, pa = 0, pb = 0;

	(void)state;
	assert_int_equal(uv_loop_init(&f.loop), 0);
	f.w = lab_world_new();
	assert_int_equal(lab_world_load_string(f.w, "a.zone",
	                                       "$ORIGIN a6.test.\n$SCENARIO a\n$TITLE a\n"
	                                       "$DOMAIN a6.test.\nmx AAAA ::1\n$SMTP ::1 accept\n",
	                                       &why),
	                 MXS_OK);
	assert_int_equal(lab_world_load_string(f.w, "b.zone",
	                                       "$ORIGIN b6.test.\n$SCENARIO b\n$TITLE b\n"
	                                       "$DOMAIN b6.test.\nmx AAAA ::1\n$SMTP ::1 refuse\n",
	                                       &why),
	                 MXS_OK);
	f.s = lab_smtp_new(&f.loop, f.w, 0, &why);
	if (!f.s)
		fail_msg("%s", why);
	ov = lab_smtp_overrides(f.s, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ov[i].ip, "::1");
		if (strcmp(ov[i].zone, "a6.test") == 0)
			pa = ov[i].port;
		else if (strcmp(ov[i].zone, "b6.test") == 0)
			pb = ov[i].port;
	}
	assert_int_equal(pa, lab_smtp_port(f.s)); /* the first keeps the lab's port */
	assert_true(pb > 0 && pb != pa);
	fd = h_dial(&f.loop, "::1", pa);
	assert_true(fd >= 0);
	assert_string_equal(greet(&f, fd, &r), "220 mx.a6.test ESMTP mxscope lab\r\n");
	close(fd);
	assert_int_equal(h_dial(&f.loop, "::1", pb), -ECONNREFUSED);
	assert_int_equal(lab_smtp_set_behaviour(f.s, "::1", "up", &why), MXS_OK);
	fd = h_dial(&f.loop, "::1", pb);
	assert_true(fd >= 0);
	assert_string_equal(greet(&f, fd, &r), "220 mx.b6.test ESMTP mxscope lab\r\n");
	close(fd);
	lab_smtp_close(f.s);
	while (uv_run(&f.loop, UV_RUN_NOWAIT) != 0)
		;
	assert_int_equal(uv_loop_close(&f.loop), 0);
	lab_world_free(f.w);
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest served[] = {
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_long_client_line),
	    cmocka_unit_test(test_ipv6_and_names),
	    cmocka_unit_test(test_listeners),
	    cmocka_unit_test(test_starttls_valid),
	    cmocka_unit_test(test_starttls_bad_certificates),
	    cmocka_unit_test(test_refuse_silent_slow),
	    cmocka_unit_test(test_tempfail_reject),
	    cmocka_unit_test(test_multiline_drop_escape),
	    cmocka_unit_test(test_floods),
	    cmocka_unit_test(test_tarpit),
	};
	const struct CMUnitTest plain[] = {
	    cmocka_unit_test(test_bad_lines),         cmocka_unit_test(test_world),
	    cmocka_unit_test(test_bind_clash),        cmocka_unit_test(test_builtins),
	    cmocka_unit_test(test_ipv6_per_scenario),
	};
	int failed = cmocka_run_group_tests_name("served", served, setup, teardown);

	return failed + cmocka_run_group_tests_name("world", plain, NULL, NULL);
}
