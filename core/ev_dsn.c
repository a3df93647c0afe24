/* core/ev_dsn.c — bounce and delay notifications as evidence (ev.h): RFC
 * 3464 multipart/report messages, one or many (an mbox), read line by line.
 * The message/delivery-status part gives each recipient's Action, Status,
 * Remote-MTA and Diagnostic-Code; the human-readable part before it, where
 * Postfix writes "<rcpt>: host H[IP] said: ... (in reply to RCPT TO
 * command)", gives the address and the phase. */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"

#define HUMAN_MAX 4096

struct ev_dsn {
	char *label;
	ev_item_fn fn;
	void *arg;
	/* the message being read */
	bool in_headers;     /* a part's (or the message's) header block */
	bool part_is_status; /* the part being read is message/delivery-status */
	bool in_status;      /* in that part's fields */
	bool in_rfc822;      /* the returned message: its headers are not ours */
	char queue_id[32], arrival[40];
	char human[HUMAN_MAX]; /* the notification text, lines joined by ' ' */
	size_t humanlen;
	/* the recipient group being read */
	ev_item cur;
	bool have_rcpt;
	char last_field[32]; /* for continuation lines */
	char diag[512];
};

ev_dsn *ev_dsn_new(const char *label, ev_item_fn fn, void *arg)
{
	ev_dsn *d = calloc(1, sizeof(*d));

	if (!d || !(d->label = strdup(label ? label : "-"))) {
		free(d);
		return NULL;
	}
	d->fn = fn;
	d->arg = arg;
	d->in_headers = true;
	return d;
}

void ev_dsn_free(ev_dsn *d)
{
	if (!d)
		return;
	free(d->label);
	free(d);
}

static bool hdr(const char *line, size_t len, const char *name, const char **v, size_t *vl)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	*v = line + n + 1;
	*vl = len - n - 1;
	while (*vl && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*vl)--;
	}
	return true;
}

/* "rfc822; bob@x", "dns; mx.x", "smtp; 550 ...": the part after "type;" */
static void typed(const char **v, size_t *vl)
{
	const char *semi = memchr(*v, ';', *vl);

	if (!semi)
		return;
	*vl -= (size_t)(semi + 1 - *v);
	*v = semi + 1;
	while (*vl && **v == ' ') {
		(*v)++;
		(*vl)--;
	}
}

/* The human text about one recipient: from "<rcpt>: " to the next "<". */
static void from_human(ev_dsn *d, ev_item *it)
{
	char key[300];
	const char *p, *e;
	int n = snprintf(key, sizeof(key), "<%s>: ", it->recipient);

	if (n <= 0 || (size_t)n >= sizeof(key) || !(p = strstr(d->human, key)))
		return;
	p += n;
	e = strstr(p, " <");
	ev_item probe;
	ev_item_init(&probe);
	ev_postfix_reason(&probe, p, e ? (size_t)(e - p) : strlen(p));
	if (probe.phase != EV_PH_UNKNOWN)
		it->phase = probe.phase;
	if (probe.policy)
		it->policy = probe.policy;
	if (probe.ip[0] && (!it->mx_host[0] || strcmp(probe.mx_host, it->mx_host) == 0)) {
		memcpy(it->mx_host, probe.mx_host, sizeof(it->mx_host));
		memcpy(it->ip, probe.ip, sizeof(it->ip));
		it->port = probe.port;
	}
}

static void flush_rcpt(ev_dsn *d)
{
	ev_item *it = &d->cur;
	size_t dl = strlen(d->diag);

	if (!d->have_rcpt)
		goto done;
	memcpy(it->queue_id, d->queue_id, sizeof(it->queue_id));
	if (!it->when[0])
		memcpy(it->when, d->arrival, sizeof(it->when));
	if (dl) {
		const char *v = d->diag;
		size_t vl = dl;
		bool postfix = strncasecmp(v, "x-postfix", 9) == 0;
		typed(&v, &vl);
		if (postfix) {
			ev_postfix_reason(it, v, vl);
		} else {
			char dsn[16];
			memcpy(dsn, it->dsn, sizeof(dsn));
			ev_item_set_reply(it, v, vl);
			if (!it->dsn[0])
				memcpy(it->dsn, dsn, sizeof(dsn));
		}
	}
	from_human(d, it);
	d->fn(it, d->arg);
done:
	ev_item_init(&d->cur);
	d->have_rcpt = false;
	d->diag[0] = '\0';
	d->last_field[0] = '\0';
}

static void new_message(ev_dsn *d)
{
	flush_rcpt(d);
	d->in_headers = true;
	d->part_is_status = d->in_status = d->in_rfc822 = false;
	d->queue_id[0] = d->arrival[0] = '\0';
	d->humanlen = 0;
	d->human[0] = '\0';
}

void ev_dsn_finish(ev_dsn *d)
{
	flush_rcpt(d);
}

static void status_field(ev_dsn *d, const char *line, size_t len, unsigned long lineno)
{
	ev_item *it = &d->cur;
	const char *v;
	size_t vl;

	if ((line[0] == ' ' || line[0] == '\t') && strcmp(d->last_field, "diag") == 0) {
		size_t dl = strlen(d->diag);
		while (len && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
		if (dl + 1 + len < sizeof(d->diag)) {
			d->diag[dl] = ' ';
			memcpy(d->diag + dl + 1, line, len);
			d->diag[dl + 1 + len] = '\0';
		}
		return;
	}
	d->last_field[0] = '\0';
	if (hdr(line, len, "X-Postfix-Queue-ID", &v, &vl)) {
		ev_copy(d->queue_id, sizeof(d->queue_id), v, vl);
	} else if (hdr(line, len, "Arrival-Date", &v, &vl)) {
		ev_copy(d->arrival, sizeof(d->arrival), v, vl);
	} else if (hdr(line, len, "Final-Recipient", &v, &vl)) {
		if (d->have_rcpt)
			flush_rcpt(d);
		typed(&v, &vl);
		ev_item_set_recipient(it, v, vl);
		snprintf(it->source, sizeof(it->source), "%.120s:%lu", d->label, lineno);
		/* "Final-Recipient: rfc822;" with nothing after it says nobody */
		d->have_rcpt = it->recipient[0] != '\0';
	} else if (hdr(line, len, "Action", &v, &vl)) {
		static const struct {
			const char *action, *status;
		} map[] = {{"failed", "bounced"},
		           {"delayed", "deferred"},
		           {"delivered", "sent"},
		           {"relayed", "sent"},
		           {"expanded", "sent"}};
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (vl >= strlen(map[i].action) &&
			    strncasecmp(v, map[i].action, strlen(map[i].action)) == 0)
				ev_copy(it->status, sizeof(it->status), map[i].status,
				        strlen(map[i].status));
	} else if (hdr(line, len, "Status", &v, &vl)) {
		size_t n = 0;
		while (n < vl && (isdigit((unsigned char)v[n]) || v[n] == '.'))
			n++;
		ev_copy(it->dsn, sizeof(it->dsn), v, n);
	} else if (hdr(line, len, "Remote-MTA", &v, &vl)) {
		typed(&v, &vl);
		ev_copy(it->mx_host, sizeof(it->mx_host), v, vl);
		for (char *c = it->mx_host; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		/* "dns; mx.example.com [192.0.2.1]" (Exim) */
		char *sp = strchr(it->mx_host, ' ');
		if (sp) {
			char *rb = strchr(sp, ']');
			if (sp[1] == '[' && rb)
				ev_copy(it->ip, sizeof(it->ip), sp + 2, (size_t)(rb - sp - 2));
			*sp = '\0';
		}
	} else if (hdr(line, len, "Diagnostic-Code", &v, &vl)) {
		ev_copy(d->diag, sizeof(d->diag), v, vl);
		memcpy(d->last_field, "diag", 5);
	} else if (hdr(line, len, "Last-Attempt-Date", &v, &vl)) {
		ev_copy(it->when, sizeof(it->when), v, vl);
	}
}

ev_line_result ev_dsn_line(ev_dsn *d, const char *line, size_t len, unsigned long lineno)
{
	const char *v;
	size_t vl;

	while (len && line[len - 1] == '\r')
		len--;
	if (len >= 5 && memcmp(line, "From ", 5) == 0) {
		new_message(d);
		return EV_LINE_IGNORED;
	}
	if (len >= 2 && line[0] == '-' && line[1] == '-') {
		/* a boundary: the next part's headers follow */
		flush_rcpt(d);
		d->in_status = false;
		d->in_headers = true;
		d->part_is_status = false;
		return EV_LINE_IGNORED;
	}
	if (d->in_headers) {
		if (len == 0) {
			d->in_headers = false;
			d->in_status = d->part_is_status;
			return EV_LINE_IGNORED;
		}
		if (hdr(line, len, "Content-Type", &v, &vl)) {
			d->part_is_status =
			    vl >= 23 && strncasecmp(v, "message/delivery-status", 23) == 0;
			d->in_rfc822 = vl >= 14 && strncasecmp(v, "message/rfc822", 14) == 0;
		}
		if (hdr(line, len, "X-Postfix-Queue-ID", &v, &vl))
			ev_copy(d->queue_id, sizeof(d->queue_id), v, vl);
		return EV_LINE_IGNORED;
	}
	if (d->in_status) {
		if (len == 0) {
			flush_rcpt(d);
			return EV_LINE_IGNORED;
		}
		status_field(d, line, len, lineno);
		return EV_LINE_IGNORED;
	}
	if (!d->in_rfc822 && d->humanlen + len + 2 < sizeof(d->human)) {
		const char *s = line;
		size_t n = len;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (d->humanlen)
			d->human[d->humanlen++] = ' ';
		memcpy(d->human + d->humanlen, s, n);
		d->humanlen += n;
		d->human[d->humanlen] = '\0';
	}
	return EV_LINE_IGNORED;
}
