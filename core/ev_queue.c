/* core/ev_queue.c — Postfix's queue as evidence (ev.h): `postqueue -j`
 * (one JSON object per message, postqueue(1) "JSON OBJECT FORMAT") and
 * the text of `mailq` / `postqueue -p` (a message line, a "(reason)" line
 * before the recipients it applies to, a blank line). The reasons are the
 * smtp client's words, read as its log lines are. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev.h"

/* The reason text of a queue entry into it, the way a maillog status line
 * gives it: a Postfix line parsed with the same code. */
static void queue_reason(ev_item *it, const char *text, size_t len)
{
	char line[EV_LINE_MAX];
	ev_item tmp;
	int n;

	if (len > sizeof(line) - 128)
		len = sizeof(line) - 128;
	n = snprintf(line, sizeof(line),
	             "Jan  1 00:00:00 q postfix/smtp[1]: ABCDEF: to=<x@y>, status=deferred (%.*s)",
	             (int)len, text);
	if (n > 0 && ev_postfix_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
	                             &tmp, NULL) == EV_LINE_ITEM) {
		memcpy(it->mx_host, tmp.mx_host, sizeof(it->mx_host));
		memcpy(it->ip, tmp.ip, sizeof(it->ip));
		it->port = tmp.port;
		it->phase = tmp.phase;
		it->code = tmp.code;
		memcpy(it->dsn, tmp.dsn, sizeof(it->dsn));
		memcpy(it->text, tmp.text, sizeof(it->text));
		it->policy = tmp.policy;
	} else {
		ev_copy(it->text, sizeof(it->text), text, len);
	}
}

ev_line_result ev_postqueue_line(const char *line, size_t len, const char *label,
                                 unsigned long lineno, ev_item_fn fn, void *arg)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, 0, &err), *rcpts, *r;
	const char *qid, *qname;
	json_int_t arrival;
	size_t i;

	if (!o || !json_is_object(o) || !json_is_array(rcpts = json_object_get(o, "recipients"))) {
		json_decref(o);
		return EV_LINE_BAD;
	}
	qid = json_string_value(json_object_get(o, "queue_id"));
	qname = json_string_value(json_object_get(o, "queue_name"));
	arrival = json_integer_value(json_object_get(o, "arrival_time"));
	json_array_foreach(rcpts, i, r)
	{
		const char *addr = json_string_value(json_object_get(r, "address"));
		const char *why = json_string_value(json_object_get(r, "delay_reason"));
		ev_item it;
		if (!addr)
			continue;
		ev_item_init(&it);
		snprintf(it.source, sizeof(it.source), "%.120s:%lu", label, lineno);
		if (arrival > 0) {
			time_t t = (time_t)arrival;
			struct tm tm;
			if (gmtime_r(&t, &tm))
				strftime(it.when, sizeof(it.when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		ev_copy(it.queue_id, sizeof(it.queue_id), qid ? qid : "", qid ? strlen(qid) : 0);
		ev_copy(it.status, sizeof(it.status), qname ? qname : "deferred",
		        strlen(qname ? qname : "deferred"));
		ev_item_set_recipient(&it, addr, strlen(addr));
		if (why)
			queue_reason(&it, why, strlen(why));
		fn(&it, arg);
	}
	json_decref(o);
	return EV_LINE_ITEM;
}

struct ev_mailq {
	char *label;
	ev_item_fn fn;
	void *arg;
	ev_item cur; /* the message and the reason its next recipients share */
	bool in_entry;
};

ev_mailq *ev_mailq_new(const char *label, ev_item_fn fn, void *arg)
{
	ev_mailq *q = calloc(1, sizeof(*q));

	if (!q || !(q->label = strdup(label ? label : "-"))) {
		free(q);
		return NULL;
	}
	q->fn = fn;
	q->arg = arg;
	return q;
}

void ev_mailq_free(ev_mailq *q)
{
	if (!q)
		return;
	free(q->label);
	free(q);
}

ev_line_result ev_mailq_line(ev_mailq *q, const char *line, size_t len, unsigned long lineno)
{
	size_t i = 0;

	while (len && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		q->in_entry = false;
		return EV_LINE_IGNORED;
	}
	if ((len >= 10 && memcmp(line, "-Queue ID-", 10) == 0) ||
	    (len >= 3 && memcmp(line, "-- ", 3) == 0) ||
	    (len >= 19 && memcmp(line, "Mail queue is empty", 19) == 0))
		return EV_LINE_IGNORED;
	if (line[0] == '(' && q->in_entry) {
		size_t e = line[len - 1] == ')' ? len - 1 : len;
		q->cur.phase = EV_PH_UNKNOWN;
		q->cur.mx_host[0] = q->cur.ip[0] = q->cur.dsn[0] = '\0';
		q->cur.port = q->cur.code = 0;
		queue_reason(&q->cur, line + 1, e - 1);
		return EV_LINE_IGNORED;
	}
	if (line[0] == ' ' && q->in_entry) {
		ev_item it = q->cur;
		while (i < len && line[i] == ' ')
			i++;
		if (i == len || memchr(line + i, ' ', len - i))
			return EV_LINE_BAD;
		snprintf(it.source, sizeof(it.source), "%.120s:%lu", q->label, lineno);
		ev_item_set_recipient(&it, line + i, len - i);
		q->fn(&it, q->arg);
		return EV_LINE_ITEM;
	}
	/* "ACD20A7A2E6     301 Tue Dec  8 00:15:06  alice@sender.lab.test"; a
	 * '*' (active) or '!' (on hold) after the id */
	while (i < len && isalnum((unsigned char)line[i]))
		i++;
	if (i < 6 || i >= sizeof(q->cur.queue_id))
		return EV_LINE_BAD;
	ev_item_init(&q->cur);
	ev_copy(q->cur.queue_id, sizeof(q->cur.queue_id), line, i);
	{
		const char *st = i < len && line[i] == '!'   ? "hold"
		                 : i < len && line[i] == '*' ? "active"
		                                             : "deferred";
		ev_copy(q->cur.status, sizeof(q->cur.status), st, strlen(st));
	}
	while (i < len && (line[i] == '*' || line[i] == '!' || line[i] == ' '))
		i++;
	while (i < len && isdigit((unsigned char)line[i]))
		i++;
	while (i < len && line[i] == ' ')
		i++;
	/* "Tue Dec  8 00:15:06": 19 or 20 bytes, up to two spaces */
	if (len - i >= 19) {
		ev_copy(q->cur.when, sizeof(q->cur.when), line + i, 19);
	}
	q->in_entry = true;
	return EV_LINE_IGNORED;
}
