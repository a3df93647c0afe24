/* net/rcpt.c — the recipient stage (see rcpt.h). The connection's socket
 * belongs to libcurl's multi handle (whose loop glue may still watch it),
 * so the stage does not poll the socket itself: a short repeating timer
 * asks curl_easy_recv, which never blocks. Replies are bounded like every
 * other network text: a line at most PROBE_EHLO_LINE_MAX bytes, a reply at
 * most RCPT_REPLY_LINES lines. */
#include "rcpt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RCPT_TICK_MS     2
#define RCPT_REPLY_LINES 32
#define RCPT_LINE_MAX    PROBE_EHLO_LINE_MAX

/* The commands in order; a step's reply decides the next. */
typedef enum step { S_MAIL, S_RCPT, S_RSET, S_QUIT, S_DONE } step;

struct rcpt_conv {
	uv_timer_t tick;
	CURL *easy;
	probe_result *r;
	const char *to;
	unsigned timeout_ms;
	rcpt_done_cb cb;
	void *arg;
	step at;
	bool sent, have_answer, closed;
	uint64_t since; /* uv_now() when the command went out */
	probe_reply rp;
	unsigned lines;
	char line[RCPT_LINE_MAX + 1];
	size_t llen;
	char reply[PROBE_RCPT_REPLY_MAX + 1]; /* the text of the reply being read */
	size_t rlen;
};

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void rcpt_conv_free(rcpt_conv *c)
{
	if (!c)
		return;
	uv_timer_stop(&c->tick);
	uv_close((uv_handle_t *)&c->tick, on_closed);
}

static void end(rcpt_conv *c)
{
	rcpt_done_cb cb = c->cb;
	void *arg = c->arg;

	c->at = S_DONE;
	uv_timer_stop(&c->tick);
	cb(arg); /* may free c */
}

/* The stage's answer: the RCPT reply, or MAIL's when MAIL was refused, or
 * code 0 with why when there was none. Recorded once. */
static void answer(rcpt_conv *c, int code, const char *text)
{
	if (c->have_answer)
		return;
	c->have_answer = true;
	probe_rcpt_set(c->r, c->to, code, text, strlen(text));
}

static const char *command_of(rcpt_conv *c, char *buf, size_t cap)
{
	switch (c->at) {
	case S_MAIL: return "MAIL FROM:<>";
	case S_RCPT: snprintf(buf, cap, "RCPT TO:<%s>", c->to); return buf;
	case S_RSET: return "RSET";
	case S_QUIT: return "QUIT";
	case S_DONE: break;
	}
	return NULL;
}

static void send_command(rcpt_conv *c)
{
	char buf[600], line[610];
	const char *cmd = command_of(c, buf, sizeof(buf));
	size_t n, sent = 0;
	CURLcode rc;

	n = (size_t)snprintf(line, sizeof(line), "%s\r\n", cmd);
	probe_transcript_add(c->r, 'C', line, n);
	/* a command is a few dozen bytes: the socket takes it at once, or the
	 * connection is gone */
	rc = curl_easy_send(c->easy, line, n, &sent);
	if (rc != CURLE_OK || sent != n) {
		c->closed = true;
		answer(c, 0, "the connection closed before RCPT was answered");
		end(c);
		return;
	}
	c->sent = true;
	c->since = uv_now(c->tick.loop);
	c->rp = (probe_reply){0};
	c->lines = 0;
	c->rlen = 0;
	c->reply[0] = '\0';
}

/* A complete reply with code to the current command: what comes next. */
static void replied(rcpt_conv *c, int code)
{
	switch (c->at) {
	case S_MAIL:
		if (code / 100 == 2) {
			c->at = S_RCPT;
		} else {
			/* no RCPT after a refused MAIL: that refusal is the answer */
			char text[PROBE_RCPT_REPLY_MAX + 32];
			snprintf(text, sizeof(text), "MAIL FROM:<> refused: %.*s",
			         (int)(PROBE_RCPT_REPLY_MAX - 24), c->reply);
			answer(c, code, text);
			c->at = S_RSET;
		}
		break;
	case S_RCPT:
		answer(c, code, c->reply);
		c->at = S_RSET;
		break;
	case S_RSET: c->at = S_QUIT; break;
	case S_QUIT:
	case S_DONE: end(c); return;
	}
	send_command(c);
}

/* One line of a reply (without its line end). false: stop the stage. */
static bool reply_line(rcpt_conv *c, const char *s, size_t len)
{
	const char *text;
	size_t tlen;
	int code;
	probe_reply_step st;

	probe_transcript_add(c->r, 'S', s, len);
	st = probe_reply_feed(&c->rp, s, len, &code, &text, &tlen);
	if (st == PROBE_REPLY_NOT_SMTP || st == PROBE_REPLY_CODE_CHANGED ||
	    ++c->lines > RCPT_REPLY_LINES) {
		answer(c, 0, "the server's reply is not SMTP");
		return false;
	}
	if (c->rlen + tlen + 1 < sizeof(c->reply)) {
		if (c->rlen)
			c->reply[c->rlen++] = '\n';
		memcpy(c->reply + c->rlen, text, tlen);
		c->rlen += tlen;
		c->reply[c->rlen] = '\0';
	}
	if (st == PROBE_REPLY_DONE)
		replied(c, code);
	return true;
}

static void on_tick(uv_timer_t *t)
{
	rcpt_conv *c = t->data;
	char buf[1024];
	size_t got = 0;
	CURLcode rc;

	if (!c->sent) {
		send_command(c);
		return;
	}
	rc = curl_easy_recv(c->easy, buf, sizeof(buf), &got);
	if (rc == CURLE_AGAIN) {
		if (uv_now(t->loop) - c->since > c->timeout_ms) {
			char why[96];
			snprintf(why, sizeof(why), "no reply to %s within %u ms",
			         c->at == S_MAIL ? "MAIL" : "RCPT", c->timeout_ms);
			if (c->at <= S_RCPT)
				answer(c, 0, why);
			end(c);
		}
		return;
	}
	if (rc != CURLE_OK || got == 0) {
		c->closed = true;
		if (c->at <= S_RCPT)
			answer(c, 0, "the connection closed before RCPT was answered");
		end(c);
		return;
	}
	for (size_t i = 0; i < got; i++) {
		size_t n;
		if (buf[i] != '\n') {
			if (c->llen < RCPT_LINE_MAX)
				c->line[c->llen++] =
				    buf[i]; /* the rest of a long line is dropped */
			continue;
		}
		n = c->llen;
		if (n && c->line[n - 1] == '\r')
			n--;
		c->llen = 0;
		if (!reply_line(c, c->line, n)) {
			end(c);
			return;
		}
		if (c->at == S_DONE)
			return; /* ended: the owner may be freeing c */
	}
}

rcpt_conv *rcpt_conv_start(uv_loop_t *loop, CURL *easy, probe_result *r, const char *to,
                           unsigned timeout_ms, rcpt_done_cb cb, void *arg)
{
	rcpt_conv *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->easy = easy;
	c->r = r;
	c->to = to;
	c->timeout_ms = timeout_ms;
	c->cb = cb;
	c->arg = arg;
	c->at = S_MAIL;
	uv_timer_init(loop, &c->tick);
	c->tick.data = c;
	/* the first command on the next turn: the caller hears nothing from
	 * inside this call */
	uv_timer_start(&c->tick, on_tick, 0, RCPT_TICK_MS);
	return c;
}
