/* lab/smtp_server.c — the lab's SMTP hosts: one TCP listener per $SMTP
 * address, all on one port, each acting out its scripted behaviour (a
 * normal ESMTP conversation with STARTTLS, or one of the ways servers fail
 * and misbehave) so that probes have something real to meet.
 *
 * Client bytes are untrusted: a command line is at most 1000 bytes with its
 * CRLF (RFC 5321 §4.5.3.1.4), at most 512 connections per server, 30 s of
 * idleness closes one, and reading pauses while a client does not read its
 * replies, so memory stays bounded whatever a client sends. TLS runs through
 * memory BIOs over the libuv stream, which keeps everything on the loop. */
#include "lab.h"
#include "lab_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define SMTP_MAX_CONNS  512
#define SMTP_IDLE_MS    30000
#define SMTP_LINE       1000 /* a command line with its CRLF */
#define SMTP_OUTQ_HIGH  (256 * 1024)
#define SMTP_GEN_HIGH   (64 * 1024) /* generated greetings are made as the client reads */
#define SMTP_CHUNK      16384
#define SMTP_BIND_TRIES 8
#define SMTP_HUGE       (1024 * 1024)
#define SMTP_MEGA_LINE  1000
#define SMTP_GARBAGE    4096
#define SMTP_TARPIT_MS  1000
#define SMTP_LINGER_MS  2000 /* after our last byte, for the client to close first */

enum phase {
	PH_PRE,    /* before the greeting is complete: input is ignored */
	PH_CMD,    /* a normal conversation */
	PH_REJECT, /* after a 554 greeting: only QUIT */
};

enum gen { GEN_NONE, GEN_LONG, GEN_MEGA };

struct listener {
	uv_tcp_t tcp;
	lab_smtp *s;
	const struct lab_smtp_host *h;
	SSL_CTX *ctx; /* NULL: no STARTTLS */
	char where[64];
};

struct conn {
	struct lab_conn base; /* first; its act timer: the greeting delay, then the tarpit's drip */
	uv_shutdown_t shut;
	lab_smtp *s;
	const struct listener *l;
	int reading;
	int close_when_sent; /* the write side is shut down or about to be */
	enum phase phase;
	enum gen gen;
	size_t gen_left;
	size_t tarpit_pos;
	SSL *ssl;
	BIO *rbio, *wbio;
	int tls;  /* 0 plain, 1 handshaking, 2 up */
	int mail; /* MAIL FROM was accepted: RCPT may follow (until RSET) */
	size_t linelen;
	char line[SMTP_LINE];
	char rbuf[4096];
};

struct lab_smtp {
	uv_loop_t *loop;
	const lab_world *w;
	/* a copy of every $SMTP line: the trainer changes these, the world
	 * keeps what the scenario said for lab_smtp_reset */
	struct lab_smtp_host *hosts;
	size_t nhosts;
	lab_tls *tls;
	struct listener **ls;
	size_t nls;
	int port;
	/* the address map for the prober: every ::1 host's zone and port */
	probe_port_override *ov;
	size_t nov;
	struct lab_server sv; /* its connections, and when it is freed */
};

static void smtp_free(void *arg)
{
	lab_smtp *s = arg;

	lab_tls_free(s->tls);
	free(s->ls);
	free(s->hosts);
	free(s->ov);
	free(s);
}

/* ---- connections ------------------------------------------------------------- */

static void conn_freed(struct lab_conn *b, void *arg)
{
	struct conn *c = (struct conn *)b;

	(void)arg;
	SSL_free(c->ssl); /* frees both BIOs */
}

static void conn_close(struct conn *c)
{
	lab_conn_close(&c->base);
}

static void touch(struct conn *c)
{
	lab_conn_touch(&c->base);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

/* Reads while the client takes its replies; stops while it does not. */
static void flow(struct conn *c)
{
	if (c->base.closing)
		return;
	if (c->base.outq >= SMTP_OUTQ_HIGH && c->reading) {
		uv_read_stop((uv_stream_t *)&c->base.tcp);
		c->reading = 0;
	} else if (c->base.outq < SMTP_OUTQ_HIGH / 2 && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->base.tcp, on_alloc, on_read) == 0)
			c->reading = 1;
		else
			conn_close(c);
	}
}

static void pump(struct conn *c);

/* After each write: the client reads, so the generators go on. */
static void on_written(struct lab_conn *b)
{
	struct conn *c = (struct conn *)b;

	if (!c->close_when_sent)
		touch(c);
	pump(c);
	flow(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	if (c->base.closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	lab_conn_idle_after(&c->base, SMTP_LINGER_MS);
}

/* Ends a connection after what is queued has been written. Closing at once
 * while the client's bytes are unread would make the kernel send a reset,
 * and the client could lose our last reply; so shut down the write side and
 * read (and drop) until the client closes or a short linger ends. */
static void end_conn(struct conn *c)
{
	if (c->base.closing || c->close_when_sent)
		return;
	c->close_when_sent = 1;
	c->gen = GEN_NONE;
	uv_timer_stop(&c->base.act);
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->base.tcp, on_shutdown) != 0)
		conn_close(c);
}

static void raw_write(struct conn *c, const void *data, size_t len)
{
	if (!c->close_when_sent)
		lab_conn_write(&c->base, data, len, on_written);
}

/* Sends what OpenSSL has written into the memory BIO. */
static void flush_tls(struct conn *c)
{
	char buf[SMTP_CHUNK];
	int n;

	while (!c->base.closing && c->wbio && BIO_ctrl_pending(c->wbio) > 0 &&
	       (n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		raw_write(c, buf, (size_t)n);
}

static void send_bytes(struct conn *c, const char *data, size_t len)
{
	if (c->base.closing)
		return;
	if (c->tls == 2) {
		/* a memory BIO never says "try again", so this writes it all */
		ERR_clear_error();
		if (SSL_write(c->ssl, data, (int)len) <= 0) {
			conn_close(c);
			return;
		}
		flush_tls(c);
		return;
	}
	raw_write(c, data, len);
}

__attribute__((format(printf, 2, 3))) static void reply(struct conn *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	send_bytes(c, buf, (size_t)n);
}

static void reply_and_close(struct conn *c, const char *text)
{
	reply(c, "%s", text);
	if (c->tls == 2) {
		SSL_shutdown(c->ssl); /* a close_notify, so the client sees a clean end */
		flush_tls(c);
	}
	end_conn(c);
}

/* ---- greetings ----------------------------------------------------------------- */

/* Makes the next part of a long generated greeting once the client has
 * taken most of the last one. */
static void pump(struct conn *c)
{
	char buf[SMTP_CHUNK];

	while (!c->base.closing && c->gen != GEN_NONE && c->base.outq < SMTP_GEN_HIGH) {
		size_t n = 0;

		if (c->gen == GEN_LONG) {
			n = c->gen_left < sizeof(buf) ? c->gen_left : sizeof(buf);
			memset(buf, 'x', n);
			c->gen_left -= n;
			if (c->gen_left == 0)
				c->gen =
				    GEN_NONE; /* never ends the line: waits for the idle timeout */
		} else {
			while (c->gen_left > 0 && n + SMTP_MEGA_LINE <= sizeof(buf)) {
				int k = snprintf(buf + n, sizeof(buf) - n,
				                 "220-line %04zu of a megabyte ", c->gen_left);

				memset(buf + n + k, 'm', SMTP_MEGA_LINE - 2 - (size_t)k);
				memcpy(buf + n + SMTP_MEGA_LINE - 2, "\r\n", 2);
				n += SMTP_MEGA_LINE;
				c->gen_left--;
			}
			if (c->gen_left == 0) {
				memcpy(buf + n, "220 done\r\n", 10);
				n += 10;
				c->gen = GEN_NONE;
				c->phase = PH_CMD;
			}
		}
		raw_write(c, buf, n);
	}
}

static void greeting(struct conn *c);

static void on_act(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->l->h->act == LAB_SMTP_TARPIT && c->tarpit_pos > 0) {
		char g[LAB_SMTP_NAME_MAX + 32];
		int n = snprintf(g, sizeof(g), "220 %s ESMTP\r\n", c->l->h->name);

		raw_write(c, g + c->tarpit_pos, 1);
		if (++c->tarpit_pos >= (size_t)n) {
			uv_timer_stop(&c->base.act);
			c->phase = PH_CMD;
		}
		return;
	}
	greeting(c);
}

static void greeting(struct conn *c)
{
	const struct lab_smtp_host *h = c->l->h;
	char junk[SMTP_GARBAGE];

	switch (h->act) {
	case LAB_SMTP_REFUSE:
	case LAB_SMTP_SILENT: return;
	case LAB_SMTP_TEMPFAIL:
		reply(c, "421 4.3.2 %s service not available, try later", h->name);
		end_conn(c);
		return;
	case LAB_SMTP_REJECT:
		reply(c, "554 5.7.1 %s no mail here", h->name);
		c->phase = PH_REJECT;
		return;
	case LAB_SMTP_MULTILINE:
		reply(c, "220-%s ESMTP", h->name);
		reply(c, "220-second line");
		reply(c, "220 third line");
		c->phase = PH_CMD;
		return;
	case LAB_SMTP_LONG_LINE:
		raw_write(c, "220 ", 4);
		c->gen = GEN_LONG;
		c->gen_left = SMTP_HUGE;
		pump(c);
		return;
	case LAB_SMTP_MEGABYTE:
		c->gen = GEN_MEGA;
		c->gen_left = (SMTP_HUGE + SMTP_MEGA_LINE - 1) / SMTP_MEGA_LINE;
		pump(c);
		return;
	case LAB_SMTP_ESCAPE:
		reply(c, "220 %s \x1b[2J\x1b]0;pwned\x07 \x1b[31mred\x1b[0m ESMTP", h->name);
		c->phase = PH_CMD;
		return;
	case LAB_SMTP_GARBAGE:
		/* an odd step through the byte values hits every one, NUL and
		 * 0xff included, and never looks like a reply code */
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (char)(uint8_t)(i * 151 + 7);
		raw_write(c, junk, sizeof(junk));
		end_conn(c);
		return;
	case LAB_SMTP_TARPIT:
		c->tarpit_pos = 1;
		raw_write(c, "2", 1);
		uv_timer_start(&c->base.act, on_act, SMTP_TARPIT_MS, SMTP_TARPIT_MS);
		return;
	case LAB_SMTP_ACCEPT:
	case LAB_SMTP_SLOW:
	case LAB_SMTP_DROP_EHLO:
	default:
		reply(c, "220 %s ESMTP mxscope lab", h->name);
		c->phase = PH_CMD;
		return;
	}
}

/* ---- commands ------------------------------------------------------------------ */

static void start_tls(struct conn *c)
{
	c->ssl = SSL_new(c->l->ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		conn_close(c);
		return;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	/* chain=yes: the CA after the host's own certificate, as a server sends
	 * its intermediates; what a DANE-TA record (usage 2) can pin */
	if (c->l->h->chain && c->l->h->tls != LAB_TLS_SELF_SIGNED &&
	    SSL_add1_chain_cert(c->ssl, lab_tls_ca(c->s->tls)) != 1) {
		conn_close(c);
		return;
	}
	SSL_set_accept_state(c->ssl);
	c->tls = 1;
}

static void ehlo(struct conn *c, const char *client)
{
	const struct lab_smtp_host *h = c->l->h;

	reply(c, "250-%s greets %s", h->name, client);
	reply(c, "250-PIPELINING");
	reply(c, "250-SIZE 10240000");
	reply(c, "250-8BITMIME");
	if (c->l->ctx && c->tls == 0)
		reply(c, "250-STARTTLS");
	reply(c, "250 ENHANCEDSTATUSCODES");
}

/* MAIL FROM and RCPT TO, for the recipient stage (--rcpt): MAIL is always
 * taken, RCPT answers as the host's rcpt= says. The lab takes no mail:
 * DATA and BDAT stay refused whatever was said here. */
static void envelope(struct conn *c, int is_mail)
{
	if (is_mail) {
		c->mail = 1;
		reply(c, "250 2.1.0 sender OK");
		return;
	}
	if (!c->mail) {
		reply(c, "503 5.5.1 MAIL first");
		return;
	}
	switch (c->l->h->rcpt) {
	case LAB_RCPT_REJECT: reply(c, "550 5.7.1 relaying denied"); break;
	case LAB_RCPT_TEMPFAIL: reply(c, "451 4.7.1 greylisted, try again later"); break;
	case LAB_RCPT_SILENT: break; /* the client's timeout is the lesson */
	case LAB_RCPT_ACCEPT: reply(c, "250 2.1.5 recipient OK"); break;
	}
}

/* Handles one line (without its line end); returns 1 when the rest of
 * what was read must be dropped (STARTTLS: RFC 3207 §4.2 says anything
 * pipelined after it is discarded). */
static int command(struct conn *c, char *line, size_t len)
{
	const struct lab_smtp_host *h = c->l->h;
	size_t vl = 0, a;
	char client[256];
	size_t cl = 0;

	line[len] = '\0';
	while (vl < len && line[vl] != ' ')
		vl++;
	a = vl;
	while (a < len && line[a] == ' ')
		a++;
	/* the client's EHLO name goes back to it: printable ASCII only */
	for (size_t i = a; i < len && line[i] != ' ' && cl + 1 < sizeof(client); i++)
		if (line[i] > 0x20 && line[i] < 0x7f)
			client[cl++] = line[i];
	client[cl] = '\0';
#define VERB(s) (vl == sizeof(s) - 1 && strncasecmp(line, s, vl) == 0)
	if (c->phase == PH_REJECT) {
		if (VERB("QUIT"))
			reply_and_close(c, "221 2.0.0 bye");
		else
			reply(c, "503 5.5.1 %s no mail here: only QUIT", h->name);
		return 0;
	}
	if (VERB("EHLO") || VERB("HELO")) {
		if (h->act == LAB_SMTP_DROP_EHLO && VERB("EHLO")) {
			conn_close(c);
			return 1;
		}
		if (cl == 0)
			reply(c, "501 5.5.4 %.4s needs a domain name or an address", line);
		else if (VERB("EHLO"))
			ehlo(c, client);
		else
			reply(c, "250 %s greets %s", h->name, client);
	} else if (VERB("STARTTLS")) {
		if (a < len)
			reply(c, "501 5.5.4 STARTTLS takes no argument");
		else if (c->tls)
			reply(c, "503 5.5.1 TLS is already active");
		else if (!c->l->ctx)
			reply(c, "502 5.5.1 STARTTLS is not offered here");
		else {
			reply(c, "220 2.0.0 ready");
			start_tls(c);
			return 1;
		}
	} else if (VERB("NOOP") && h->noop_code && h->noop_code != 250) {
		reply(c, "%u %s NOOP refused here (noop=%u)", h->noop_code,
		      h->noop_code / 100 == 4   ? "4.5.1"
		      : h->noop_code / 100 == 5 ? "5.5.1"
		                                : "2.0.0",
		      h->noop_code);
	} else if (VERB("NOOP") || VERB("RSET")) {
		c->mail = VERB("RSET") ? 0 : c->mail;
		reply(c, "250 2.0.0 OK");
	} else if (VERB("QUIT")) {
		reply_and_close(c, "221 2.0.0 bye");
	} else if (VERB("MAIL") || VERB("RCPT")) {
		envelope(c, VERB("MAIL"));
	} else if (VERB("DATA") || VERB("BDAT")) {
		reply(c, "502 5.5.1 the lab does not take mail");
	} else if (VERB("VRFY")) {
		reply(c, "252 2.1.5 the lab cannot verify anyone");
	} else {
		reply(c, "500 5.5.2 unrecognised command");
	}
#undef VERB
	return 0;
}

/* Splits plain text from the client into lines. */
static void feed(struct conn *c, const char *data, size_t n)
{
	for (size_t i = 0; i < n && !c->base.closing && !c->close_when_sent; i++) {
		char ch = data[i];

		if (ch == '\n') {
			size_t len = c->linelen;

			if (len > 0 && c->line[len - 1] == '\r')
				len--;
			c->linelen = 0;
			if (command(c, c->line, len))
				return;
			continue;
		}
		if (c->linelen >= SMTP_LINE - 1) {
			reply_and_close(c, "500 5.5.6 line too long (at most 1000 bytes with the "
			                   "CRLF, RFC 5321 4.5.3.1.4)");
			return;
		}
		c->line[c->linelen++] = ch;
	}
}

static void tls_input(struct conn *c, const char *data, size_t n)
{
	char buf[4096];
	int r;

	if (BIO_write(c->rbio, data, (int)n) != (int)n) {
		conn_close(c);
		return;
	}
	/* The error queue is per thread and the probe's libcurl shares this
	 * thread in `mxscope lab`: an entry it left behind would make
	 * SSL_get_error() report a failure that is not ours. */
	ERR_clear_error();
	if (c->tls == 1) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);

			flush_tls(c); /* the alert, if there is one */
			ERR_clear_error();
			if (e != SSL_ERROR_WANT_READ)
				end_conn(c);
			return;
		}
		c->tls = 2;
		c->linelen = 0; /* a new conversation: RFC 3207 §4.2 */
	}
	r = 0;
	ERR_clear_error();
	while (!c->base.closing && !c->close_when_sent &&
	       (r = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
		feed(c, buf, (size_t)r);
		ERR_clear_error();
	}
	flush_tls(c);
	if (!c->base.closing && !c->close_when_sent && r <= 0) {
		int e = SSL_get_error(c->ssl, r);

		ERR_clear_error();
		if (e != SSL_ERROR_WANT_READ)
			end_conn(c);
	}
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	if (c->base.closing)
		return;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	if (c->l->h->act != LAB_SMTP_SILENT)
		touch(c); /* silent stays quiet and closes after the timeout anyway */
	if (c->close_when_sent || c->phase == PH_PRE)
		return; /* nothing to answer yet, or any more */
	if (c->tls)
		tls_input(c, buf->base, (size_t)nread);
	else
		feed(c, buf->base, (size_t)nread);
	flow(c);
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct listener *l = ls->data;
	lab_smtp *s = l->s;
	struct conn *c;

	c = (struct conn *)lab_server_accept(&s->sv, ls, status, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	c->l = l;
	uv_tcp_nodelay(&c->base.tcp, 1); /* a tarpit's single bytes must go out one by one */
	touch(c);
	flow(c);
	if (l->h->delay_ms > 0 && l->h->act != LAB_SMTP_SILENT)
		uv_timer_start(&c->base.act, on_act, l->h->delay_ms, 0);
	else
		greeting(c);
}

/* ---- setup --------------------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h)
{
	struct listener *l = h->data;
	lab_smtp *s = l->s;

	free(l);
	lab_server_release(&s->sv); /* the last thing: may free s */
}

static void close_listeners(lab_smtp *s)
{
	for (size_t i = 0; i < s->nls; i++)
		if (s->ls[i]) {
			uv_close((uv_handle_t *)&s->ls[i]->tcp, on_listener_closed);
			s->ls[i] = NULL;
		}
	s->nls = 0;
}

/* Binds one listener for h on port and appends it to s->ls, which has room
 * for every host; port 0 takes a free one, *got says which. */
static int bind_one(lab_smtp *s, const struct lab_smtp_host *h, int port, int *got)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	int rc;

	*got = port;
	if (!l)
		return UV_ENOMEM;
	l->s = s;
	l->h = h;
	l->tcp.data = l;
	uv_tcp_init(s->loop, &l->tcp);
	s->ls[s->nls++] = l;
	lab_server_hold(&s->sv);
	memset(&ss, 0, sizeof(ss));
	if (h->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, h->addr, 16);
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, h->addr, 4);
		a->sin_port = htons((uint16_t)port);
	}
	/* libuv sets SO_REUSEADDR on TCP binds; a bind error may only show at
	 * listen */
	rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss,
	                 h->family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
	if (rc == 0 && port == 0) {
		struct sockaddr_storage b;
		int blen = sizeof(b);

		rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&b, &blen);
		if (rc == 0)
			*got =
			    ntohs(b.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&b)->sin6_port
			                                  : ((struct sockaddr_in *)&b)->sin_port);
	}
	snprintf(l->where, sizeof(l->where), h->family == AF_INET6 ? "[%s]:%d" : "%s:%d",
	         h->addrtext, *got);
	return rc;
}

/* Binds every listener on port; port 0 takes the first address's free port
 * for the others. *failed says which listener failed. */
static int bind_all(lab_smtp *s, const struct lab_smtp_host **hosts, size_t n, int port,
                    size_t *failed)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		*failed = i;
		rc = bind_one(s, hosts[i], port, &port);
		if (rc != 0)
			return rc;
	}
	s->port = port;
	return 0;
}

/* Whether host i shares ::1 with an earlier host: every scenario may have
 * its own ::1 host, and all but the first get a port of their own (the
 * first keeps the lab's port, so a lab with one IPv6 scenario looks as
 * before from outside). */
static int needs_own_port(const lab_smtp *s, size_t i)
{
	if (s->hosts[i].family != AF_INET6)
		return 0;
	for (size_t j = 0; j < i; j++)
		if (s->hosts[j].family == AF_INET6 &&
		    memcmp(s->hosts[j].addr, s->hosts[i].addr, 16) == 0)
			return 1;
	return 0;
}

/* A free port on ::1 for a host that starts down (`refuse`): nothing
 * listens there, yet its scenario's probes must not reach another
 * scenario's ::1 host on the lab's port. 0 when none could be found. */
static int spare_port(void)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

	if (fd < 0)
		return 0;
	if (bind(fd, (const struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin6_port);
	close(fd);
	return port;
}

/* Binds the ::1 hosts that get their own port, and writes the map. */
static int bind_own(lab_smtp *s, size_t *failed)
{
	s->ov = calloc(s->nhosts + 1, sizeof(*s->ov));
	if (!s->ov)
		return UV_ENOMEM;
	for (size_t i = 0; i < s->nhosts; i++) {
		struct lab_smtp_host *h = &s->hosts[i];
		int rc = 0, got = s->port;

		if (h->family != AF_INET6)
			continue;
		if (needs_own_port(s, i)) {
			*failed = s->nls;
			if (h->act == LAB_SMTP_REFUSE)
				got = spare_port();
			else
				rc = bind_one(s, h, 0, &got);
			if (rc != 0)
				return rc;
			h->own_port = got;
		}
		if (h->zone[0] && got > 0)
			s->ov[s->nov++] = (probe_port_override){h->zone, h->addrtext, got};
	}
	return 0;
}

lab_smtp *lab_smtp_new(uv_loop_t *loop, const lab_world *w, int port, char **why)
{
	lab_smtp *s = NULL;
	const struct lab_smtp_host **hosts = NULL;
	size_t n = 0, total = lab_world_smtp_count(w), failed = 0;
	int rc = 0, ok = 0;

	if (!loop || !w || port < 0 || port > 65535) {
		mxs_why(why, "lab SMTP: bad arguments");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	hosts = calloc(total + 1, sizeof(*hosts));
	if (s) {
		lab_server_init(&s->sv, loop, SMTP_MAX_CONNS, SMTP_IDLE_MS, conn_freed, smtp_free,
		                s);
		s->ls = calloc(total + 1, sizeof(*s->ls));
	}
	if (!s || !hosts || !s->ls) {
		mxs_why(why, "lab SMTP: out of memory");
		goto done;
	}
	s->loop = loop;
	s->w = w;
	s->port = port;
	s->hosts = calloc(total + 1, sizeof(*s->hosts));
	if (!s->hosts) {
		mxs_why(why, "lab SMTP: out of memory");
		goto done;
	}
	s->nhosts = total;
	s->tls = lab_tls_new(why);
	if (!s->tls)
		goto done;
	for (size_t i = 0; i < total; i++)
		s->hosts[i] = *lab_world_smtp(w, i);
	for (size_t i = 0; i < total; i++)
		if (s->hosts[i].act != LAB_SMTP_REFUSE && !needs_own_port(s, i))
			hosts[n++] = &s->hosts[i];
	for (int attempt = 0; attempt < SMTP_BIND_TRIES; attempt++) {
		rc = bind_all(s, hosts, n, port, &failed);
		if (rc == 0)
			break;
		if (rc != UV_EADDRINUSE || port != 0 || failed == 0 ||
		    attempt == SMTP_BIND_TRIES - 1)
			break;
		/* the port the first address got is taken at another: again */
		close_listeners(s);
	}
	if (rc == 0)
		rc = bind_own(s, &failed);
	if (rc != 0) {
		mxs_why(why, "%s: %s", s->ls[failed] ? s->ls[failed]->where : "lab SMTP",
		        uv_strerror(rc));
		goto done;
	}
	/* The certificates, once per (name, kind): after binding, so a port
	 * clash is reported before the slower work. */
	for (size_t i = 0; i < s->nls; i++) {
		struct listener *l = s->ls[i];

		if (!l->h->starttls)
			continue;
		l->ctx = lab_tls_ctx(s->tls, l->h->name, l->h->tls, l->h->key, why);
		if (!l->ctx)
			goto done;
	}
	ok = 1;
done:
	free(hosts);
	if (!ok && s) {
		close_listeners(s);
		lab_server_close(&s->sv);
		return NULL;
	}
	return s;
}

int lab_smtp_port(const lab_smtp *s)
{
	return s ? s->port : 0;
}

size_t lab_smtp_listener_count(const lab_smtp *s)
{
	return s ? s->nls : 0;
}

const char *lab_smtp_listener(const lab_smtp *s, size_t i)
{
	return (s && i < s->nls) ? s->ls[i]->where : NULL;
}

const char *lab_smtp_ca_pem(const lab_smtp *s)
{
	return s ? lab_tls_ca_pem(s->tls) : NULL;
}

const probe_port_override *lab_smtp_overrides(const lab_smtp *s, size_t *n)
{
	*n = s ? s->nov : 0;
	return s && s->nov ? s->ov : NULL;
}

lab_tls *lab_smtp_tls(lab_smtp *s)
{
	return s ? s->tls : NULL;
}

void lab_smtp_close(lab_smtp *s)
{
	if (!s || s->sv.closing)
		return;
	close_listeners(s);
	lab_server_close(&s->sv);
}

/* ---- live changes: the trainer's controls ------------------------------------ */

static struct listener *listener_of(const lab_smtp *s, const struct lab_smtp_host *h, size_t *at)
{
	for (size_t i = 0; i < s->nls; i++)
		if (s->ls[i]->h == h) {
			*at = i;
			return s->ls[i];
		}
	return NULL;
}

/* Makes the listening side match h->act: nothing listens for `refuse`
 * (and whoever was connected is dropped, as when a host goes down), every
 * other behaviour has a listener. */
static mxs_status apply(lab_smtp *s, struct lab_smtp_host *h, char **why)
{
	size_t at = 0;
	struct listener *l = listener_of(s, h, &at);
	size_t before;
	int got = 0, rc;

	if (h->act == LAB_SMTP_REFUSE) {
		if (!l)
			return MXS_OK;
		for (struct lab_conn *b = s->sv.conns.head; b; b = b->next)
			if (((struct conn *)b)->l == l)
				lab_conn_close(b);
		memmove(s->ls + at, s->ls + at + 1, (s->nls - at - 1) * sizeof(*s->ls));
		s->nls--;
		uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
		return MXS_OK;
	}
	if (l)
		return MXS_OK; /* new connections read the new behaviour */
	if (s->port == 0 && !h->own_port) {
		mxs_why(why, "%s: the lab's SMTP port is not known (nothing listened at start)",
		        h->addrtext);
		return MXS_ERR_INVALID;
	}
	before = s->nls;
	rc = bind_one(s, h, h->own_port ? h->own_port : s->port, &got);
	if (s->nls == before) {
		mxs_why(why, "%s: out of memory", h->addrtext);
		return MXS_ERR_NOMEM;
	}
	l = s->ls[s->nls - 1];
	if (rc != 0)
		mxs_why(why, "%s: %s", l->where, uv_strerror(rc));
	else if (h->starttls && !(l->ctx = lab_tls_ctx(s->tls, h->name, h->tls, h->key, why)))
		rc = -1; /* why is set */
	if (rc != 0) {
		s->nls--;
		uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
		return MXS_ERR_IO;
	}
	return MXS_OK;
}

/* The first host at ip from *idx on; *idx is its index. */
static struct lab_smtp_host *host_of(lab_smtp *s, const char *ip, size_t *idx, char **why)
{
	uint8_t a[16];
	int af = strchr(ip ? ip : "", ':') ? AF_INET6 : AF_INET;

	if (!ip || inet_pton(af, ip, a) != 1) {
		mxs_why(why, "\"%.60s\" is not an IP address", ip ? ip : "");
		return NULL;
	}
	for (size_t i = *idx; i < s->nhosts; i++)
		if (s->hosts[i].family == af &&
		    memcmp(s->hosts[i].addr, a, af == AF_INET6 ? 16 : 4) == 0) {
			*idx = i;
			return &s->hosts[i];
		}
	mxs_why(why, "%s is not a lab SMTP host (no $SMTP line names it)", ip);
	return NULL;
}

mxs_status lab_smtp_set_behaviour(lab_smtp *s, const char *ip, const char *behaviour, char **why)
{
	size_t i = 0, n;
	struct lab_smtp_host *h = s ? host_of(s, ip, &i, why) : NULL;
	const struct lab_smtp_host *orig;
	enum lab_smtp_act act = LAB_SMTP_ACCEPT;
	unsigned delay_ms = 0;
	int found = 0, up = 0;

	if (!h)
		return MXS_ERR_INVALID;
	n = behaviour ? strlen(behaviour) : 0;
	if (n == 0) {
		mxs_why(why, "no behaviour given");
		return MXS_ERR_INVALID;
	}
	if (strcmp(behaviour, "down") == 0) {
		act = LAB_SMTP_REFUSE;
		found = 1;
	} else if (strcmp(behaviour, "up") == 0) {
		up = 1;
		found = 1;
	} else if (strncmp(behaviour, "slow", 4) == 0 && (behaviour[4] == ' ' || !behaviour[4])) {
		char *end = NULL;
		double sec = behaviour[4] ? strtod(behaviour + 5, &end) : -1;

		if (!end || end == behaviour + 5 || *end || !(sec >= 0 && sec <= 600)) {
			mxs_why(why, "slow needs seconds (0-600, e.g. 2.5): slow N");
			return MXS_ERR_INVALID;
		}
		act = LAB_SMTP_SLOW;
		delay_ms = (unsigned)(sec * 1000 + 0.5);
		found = 1;
	} else {
		for (int a = LAB_SMTP_ACCEPT; a <= LAB_SMTP_TARPIT && !found; a++)
			if (a != LAB_SMTP_SLOW &&
			    strcmp(behaviour, lab_smtp_act_name((enum lab_smtp_act)a)) == 0) {
				act = (enum lab_smtp_act)a;
				found = 1;
			}
	}
	if (!found) {
		mxs_why(why,
		        "unknown behaviour \"%.40s\" (accept, refuse, silent, tempfail, reject, "
		        "slow N, up, down, ...)",
		        behaviour);
		return MXS_ERR_INVALID;
	}
	/* ::1 may be several scenarios' host: each gets the behaviour */
	for (; h; i++, h = host_of(s, ip, &i, NULL)) {
		mxs_status st;
		orig = lab_world_smtp(s->w, i);
		/* up: back as the scenario had it; a host the scenario had down
		 * comes up as a plain accepting one */
		h->act = !up ? act : orig->act == LAB_SMTP_REFUSE ? LAB_SMTP_ACCEPT : orig->act;
		h->delay_ms = !up || orig->act == LAB_SMTP_REFUSE ? delay_ms : orig->delay_ms;
		st = apply(s, h, why);
		if (st != MXS_OK)
			return st;
	}
	return MXS_OK;
}

/* New connections to h get a certificate with h->key. */
static mxs_status use_key(lab_smtp *s, struct lab_smtp_host *h, char **why)
{
	size_t at = 0;
	struct listener *l = listener_of(s, h, &at);
	SSL_CTX *ctx;

	if (!l || !h->starttls)
		return MXS_OK;
	ctx = lab_tls_ctx(s->tls, h->name, h->tls, h->key, why);
	if (!ctx)
		return MXS_ERR_NOMEM;
	l->ctx = ctx; /* connections under way keep the SSL they have */
	return MXS_OK;
}

mxs_status lab_smtp_set_key(lab_smtp *s, const char *ip, unsigned key, char **why)
{
	size_t i = 0;
	struct lab_smtp_host *h = s ? host_of(s, ip, &i, why) : NULL;

	if (!h)
		return MXS_ERR_INVALID;
	if (!h->starttls) {
		mxs_why(why, "%s offers no STARTTLS: it has no certificate to change", ip);
		return MXS_ERR_INVALID;
	}
	h->key = key;
	return use_key(s, h, why);
}

mxs_status lab_smtp_reset(lab_smtp *s, char **why)
{
	mxs_status st = MXS_OK;

	for (size_t i = 0; s && i < s->nhosts; i++) {
		const struct lab_smtp_host *orig = lab_world_smtp(s->w, i);
		mxs_status one;

		s->hosts[i].act = orig->act;
		s->hosts[i].delay_ms = orig->delay_ms;
		if (s->hosts[i].key != orig->key) {
			s->hosts[i].key = orig->key;
			one = use_key(s, &s->hosts[i], why);
			if (st == MXS_OK)
				st = one;
		}
		s->hosts[i].rcpt = orig->rcpt;
		one = apply(s, &s->hosts[i], why);
		if (st == MXS_OK)
			st = one;
	}
	return st;
}

mxs_status lab_smtp_set_rcpt(lab_smtp *s, const char *ip, const char *word, char **why)
{
	static const char *const words[] = {[LAB_RCPT_ACCEPT] = "accept",
	                                    [LAB_RCPT_REJECT] = "reject",
	                                    [LAB_RCPT_TEMPFAIL] = "tempfail",
	                                    [LAB_RCPT_SILENT] = "silent"};
	size_t i = 0;
	struct lab_smtp_host *h = s ? host_of(s, ip, &i, why) : NULL;

	if (!h)
		return MXS_ERR_INVALID;
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (word && strcmp(word, words[k]) == 0) {
			h->rcpt = (enum lab_smtp_rcpt)k;
			return MXS_OK;
		}
	mxs_why(why, "expected accept, reject, tempfail or silent, not \"%.40s\"",
	        word ? word : "");
	return MXS_ERR_INVALID;
}
