/* lab/sts_server.c — the lab's MTA-STS policy server: HTTPS on loopback
 * serving /.well-known/mta-sts.txt for every Host mta-sts.DOMAIN whose
 * scenario has a $MTA-STS line (sts.c), with a certificate for that name
 * from the lab CA (the one the SMTP hosts use, so one --cafile trusts both).
 * TLS runs through OpenSSL memory BIOs on the loop, as in smtp_server.c.
 *
 * Client bytes are untrusted: the request head is read by the lab's one
 * HTTP/1.1 codec (http_codec.c: at most 8 KiB, else 431), one request per
 * connection, at most 64 connections, 10 s of idleness closes
 * one. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lab.h"
#include "lab_internal.h"

#define STS_MAX_CONNS 64
#define STS_IDLE_MS   10000
#define STS_PREFIX    "mta-sts."

struct conn {
	struct lab_conn base; /* first */
	lab_sts_server *s;
	SSL *ssl;
	BIO *rbio, *wbio;
	bool up, answered;
	size_t len;
	char head[LAB_HTTP_HEAD_MAX]; /* the request head as read */
	char rbuf[4096];
};

struct lab_sts_server {
	struct lab_server sv; /* its connections, and when it is freed */
	struct lab_listener listener;
	const lab_world *w;
	lab_tls *tls;  /* borrowed from the SMTP server */
	SSL_CTX *base; /* before SNI: a certificate for no policy host */
	unsigned long requests;
};

static void conn_freed(struct lab_conn *b, void *arg)
{
	struct conn *c = (struct conn *)b;

	(void)arg;
	SSL_free(c->ssl); /* frees both BIOs */
}

/* What OpenSSL wrote into the memory BIO, onto the socket. */
static void flush(struct conn *c)
{
	char buf[4096];
	int n;

	while (!c->base.closing && BIO_ctrl_pending(c->wbio) > 0 &&
	       (n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		lab_conn_write(&c->base, buf, (size_t)n, NULL);
}

static void respond(struct conn *c, int code, const char *ctype, const char *extra,
                    const char *body, size_t len)
{
	char head[512];
	size_t n = lab_http_response_head(head, sizeof(head), code, ctype, len, extra);

	c->answered = true;
	ERR_clear_error();
	if (n == 0 || SSL_write(c->ssl, head, (int)n) <= 0 ||
	    (len && SSL_write(c->ssl, body, (int)len) <= 0)) {
		ERR_clear_error();
		lab_conn_close(&c->base);
		return;
	}
	SSL_shutdown(c->ssl); /* close_notify: the body is complete */
	flush(c);
	/* the client closes when it has read it; the idle timer is the bound */
	lab_conn_idle_after(&c->base, 2000);
}

/* A short text body; its length is counted here, never by hand. */
static void respond_text(struct conn *c, int code, const char *text)
{
	respond(c, code, "text/plain", NULL, text, strlen(text));
}

/* The Host field's name (RFC 9110 §7.2: host [":" port]), lower-cased,
 * port and final dot dropped; false when there is none. */
static bool host_of(const struct lab_http_req *r, char *out, size_t cap)
{
	const char *v = lab_http_header(r, "Host");
	size_t n = 0;

	if (!v)
		return false;
	while (v[n] && v[n] != ':' && n + 1 < cap) {
		out[n] = (char)(v[n] >= 'A' && v[n] <= 'Z' ? v[n] + 32 : v[n]);
		n++;
	}
	if (n && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	return n > 0;
}

static void request(struct conn *c)
{
	static const char path[] = "/.well-known/mta-sts.txt";
	struct lab_http_req r;
	char host[300], body[2048];
	const struct lab_sts *p;
	size_t n;
	int st = lab_http_parse(&r, c->head, c->len);

	if (st == 0)
		return;
	if (st != 200) {
		respond_text(c, st, st == 431 ? "request head too large\n" : "bad request head\n");
		return;
	}
	c->s->requests++;
	if (strcmp(r.method, "GET") != 0 || strcmp(r.target, path) != 0) {
		respond_text(c, 404, "not here\n");
		return;
	}
	if (!host_of(&r, host, sizeof(host)) ||
	    strncmp(host, STS_PREFIX, sizeof(STS_PREFIX) - 1) != 0 ||
	    !(p = lab_world_sts(c->s->w, host + sizeof(STS_PREFIX) - 1))) {
		respond_text(c, 404, "no policy for this host\n");
		return;
	}
	switch (p->serve) {
	case LAB_STS_MISSING: respond_text(c, 404, "no policy here\n"); return;
	case LAB_STS_REDIRECT:
		respond(c, 301, "text/plain",
		        "Location: https://www.lab.invalid/.well-known/mta-sts.txt\r\n", "moved\n",
		        6);
		return;
	case LAB_STS_HTML: {
		static const char page[] = "<html><body><h1>Welcome to nginx!</h1></body></html>\n";
		respond(c, 200, "text/html", NULL, page, sizeof(page) - 1);
		return;
	}
	case LAB_STS_HUGE: {
		/* a valid policy start, then comment-like filler past the bound */
		size_t bn = 80 * 1024;
		char *big = malloc(bn);
		if (!big) {
			lab_conn_close(&c->base);
			return;
		}
		memset(big, 'x', bn);
		memcpy(big, "version: STSv1\r\nx-filler: ", 26);
		respond(c, 200, "text/plain", NULL, big, bn);
		free(big);
		return;
	}
	case LAB_STS_SILENT: c->answered = true; return; /* the idle timer closes it */
	case LAB_STS_OK: break;
	}
	n = lab_sts_body(p, body, sizeof(body));
	respond(c, 200, "text/plain", NULL, body, n < sizeof(body) ? n : sizeof(body) - 1);
}

/* SNI: the certificate for the name asked, when a policy exists for it. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
	lab_sts_server *s = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	SSL_CTX *ctx;

	(void)alert;
	if (!name || strncasecmp(name, STS_PREFIX, sizeof(STS_PREFIX) - 1) != 0 ||
	    !lab_world_sts(s->w, name + sizeof(STS_PREFIX) - 1))
		return SSL_TLSEXT_ERR_OK; /* the base certificate: it will not verify */
	ctx = lab_tls_ctx(s->tls, name, LAB_TLS_VALID, 0, NULL);
	if (ctx)
		SSL_set_SSL_CTX(ssl, ctx);
	return SSL_TLSEXT_ERR_OK;
}

static void input(struct conn *c, const char *data, size_t n)
{
	int r;

	if (BIO_write(c->rbio, data, (int)n) != (int)n) {
		lab_conn_close(&c->base);
		return;
	}
	ERR_clear_error();
	if (!c->up) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			flush(c);
			ERR_clear_error();
			if (e != SSL_ERROR_WANT_READ)
				lab_conn_close(&c->base);
			return;
		}
		c->up = true;
		flush(c);
	}
	while (!c->answered && !c->base.closing &&
	       (r = SSL_read(c->ssl, c->head + c->len, (int)(sizeof(c->head) - c->len))) > 0) {
		c->len += (size_t)r;
		request(c);
	}
	ERR_clear_error();
	flush(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	if (nread < 0) {
		lab_conn_close(&c->base);
		return;
	}
	if (nread == 0 || c->base.closing)
		return;
	lab_conn_touch(&c->base);
	if (c->answered)
		return; /* one request per connection: the rest is dropped */
	input(c, buf->base, (size_t)nread);
}

static void on_connection(uv_stream_t *ls, int status)
{
	lab_sts_server *s = ls->data;
	struct conn *c;

	c = (struct conn *)lab_server_accept(&s->sv, ls, status, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	c->ssl = SSL_new(s->base);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		lab_conn_close(&c->base);
		return;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	if (uv_read_start((uv_stream_t *)&c->base.tcp, on_alloc, on_read) != 0)
		lab_conn_close(&c->base);
}

lab_sts_server *lab_sts_server_new(uv_loop_t *loop, const lab_world *w, lab_smtp *smtp,
                                   const char *addr, int port, char **why)
{
	lab_sts_server *s = calloc(1, sizeof(*s));

	if (!s) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	s->w = w;
	s->tls = lab_smtp_tls(smtp);
	s->base = s->tls ? lab_tls_ctx(s->tls, "mta-sts.lab.invalid", LAB_TLS_VALID, 0, why) : NULL;
	if (!s->base) {
		if (!s->tls)
			mxs_why(why, "the MTA-STS server needs the lab's SMTP hosts (their CA)");
		free(s);
		return NULL;
	}
	/* every context the CA makes is asked by SNI, on the base one */
	SSL_CTX_set_tlsext_servername_callback(s->base, on_servername);
	SSL_CTX_set_tlsext_servername_arg(s->base, s);
	lab_server_init(&s->sv, loop, STS_MAX_CONNS, STS_IDLE_MS, conn_freed, free, s);
	if (lab_listener_open(&s->listener, &s->sv, s, addr, port, 64, on_connection, why) != 0) {
		lab_server_close(&s->sv);
		return NULL;
	}
	return s;
}

int lab_sts_server_port(const lab_sts_server *s)
{
	return s->listener.port;
}

const char *lab_sts_server_address(const lab_sts_server *s)
{
	return s->listener.where;
}

unsigned long lab_sts_server_requests(const lab_sts_server *s)
{
	return s->requests;
}

void lab_sts_server_close(lab_sts_server *s)
{
	if (!s || s->sv.closing)
		return;
	lab_listener_close(&s->listener);
	lab_server_close(&s->sv);
}
