/* core/ev.c — the evidence reader (ev.h): detects each input's kind from
 * its first line (and each log line's), hands the lines to the kind's
 * parser, joins Postfix's per-attempt lines to their status lines, counts
 * what it cannot read. It calls the parsers; they never call it. */
#include "ev.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

static bool has_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return true;
	return false;
}

/* ---- the reader ------------------------------------------------------------ */

typedef struct pending {
	long pid;
	ev_item it;
} pending;

struct ev_reader {
	char *label;
	ev_kind kind;
	bool kind_given;
	ev_item_fn fn;
	void *arg;
	line_reader *lines;
	unsigned long nlines, nbad, nitems;
	unsigned long first_bad[EV_BAD_KEEP];
	size_t nfirst;
	ev_mailq *mailq;
	ev_dsn *dsn;
	char *doc; /* TLS-RPT: the whole document */
	size_t doclen;
	bool doc_too_big;
	pending *pend; /* Postfix lines waiting for their status line */
	size_t npend;
	/* the last recipients seen by queue id: "QID: from=<>, status=expired"
	 * names no recipient, the status lines before it did */
	struct recent {
		char queue_id[32], recipient[256], domain[256];
	} * recent;
	size_t nrecent;
	bool saw_postfix, saw_exim;
};

static void emit(const ev_item *it, void *arg)
{
	ev_reader *r = arg;

	r->nitems++;
	r->fn(it, r->arg);
}

static void bad(ev_reader *r, unsigned long lineno)
{
	if (r->nfirst < EV_BAD_KEEP)
		r->first_bad[r->nfirst++] = lineno;
	r->nbad++;
}

static bool starts(const char *s, size_t len, const char *p)
{
	size_t pl = strlen(p);
	return len >= pl && strncasecmp(s, p, pl) == 0;
}

static ev_kind detect(const char *s, size_t len)
{
	static const char *const headers[] = {
	    "From ",       "Return-Path:",  "Received:",     "Delivered-To:", "Date:", "From:",
	    "Message-ID:", "MIME-Version:", "Content-Type:", "Subject:",      "To:",   "X-"};

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (len && (*s == '{' || *s == '[')) {
		if (has_word(s, len, "\"queue_id\"") || has_word(s, len, "\"queue_name\""))
			return EV_POSTQUEUE;
		return EV_TLSRPT;
	}
	if (starts(s, len, "-Queue ID-") || starts(s, len, "Mail queue is empty"))
		return EV_MAILQ;
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (starts(s, len, headers[i]))
			return EV_DSN;
	return EV_UNKNOWN; /* a log: each line says which */
}

static void pend_flush_one(ev_reader *r, size_t i)
{
	emit(&r->pend[i].it, r);
	r->pend[i] = r->pend[--r->npend];
}

static void remember(ev_reader *r, const ev_item *it)
{
	struct recent *e = &r->recent[r->nrecent++ % EV_PENDING_MAX];

	memcpy(e->queue_id, it->queue_id, sizeof(e->queue_id));
	memcpy(e->recipient, it->recipient, sizeof(e->recipient));
	memcpy(e->domain, it->domain, sizeof(e->domain));
}

static bool recall(ev_reader *r, ev_item *it)
{
	size_t n = r->nrecent < EV_PENDING_MAX ? r->nrecent : EV_PENDING_MAX;

	for (size_t i = 0; i < n; i++) {
		const struct recent *e = &r->recent[(r->nrecent - 1 - i) % EV_PENDING_MAX];
		if (it->queue_id[0] && strcmp(e->queue_id, it->queue_id) == 0) {
			memcpy(it->recipient, e->recipient, sizeof(it->recipient));
			memcpy(it->domain, e->domain, sizeof(it->domain));
			return true;
		}
	}
	return false;
}

/* A complete Postfix item: the lines of its process that waited get its
 * recipient and queue id and go first. */
static void postfix_complete(ev_reader *r, const ev_item *it, long pid)
{
	for (size_t i = 0; i < r->npend;) {
		pending *p = &r->pend[i];
		bool same = (pid && p->pid == pid && !p->it.queue_id[0]) ||
		            (p->it.queue_id[0] && strcmp(p->it.queue_id, it->queue_id) == 0);
		if (!same) {
			i++;
			continue;
		}
		memcpy(p->it.queue_id, it->queue_id, sizeof(it->queue_id));
		memcpy(p->it.recipient, it->recipient, sizeof(it->recipient));
		memcpy(p->it.domain, it->domain, sizeof(it->domain));
		pend_flush_one(r, i);
	}
	remember(r, it);
	emit(it, r);
}

static void postfix_pend(ev_reader *r, const ev_item *it, long pid)
{
	/* "QID: Server certificate not verified" after the line that said for
	 * which host and why: one failure, the first line tells it all */
	for (size_t i = 0; i < r->npend; i++)
		if (!it->mx_host[0] && r->pend[i].it.phase == it->phase && r->pend[i].pid == pid &&
		    r->pend[i].it.mx_host[0])
			return;
	if (r->npend == EV_PENDING_MAX)
		pend_flush_one(r, 0); /* the oldest goes out as it is */
	r->pend[r->npend].pid = pid;
	r->pend[r->npend].it = *it;
	r->npend++;
}

static void log_line(ev_reader *r, const char *line, size_t len, unsigned long lineno)
{
	ev_item it;
	long pid = 0;
	ev_line_result res;

	res = ev_postfix_line(line, len, &it, &pid);
	if (res != EV_LINE_BAD) {
		r->saw_postfix = true;
	} else if ((res = ev_exim_line(line, len, &it)) != EV_LINE_BAD) {
		r->saw_exim = true;
	}
	if (res == EV_LINE_BAD) {
		bad(r, lineno);
		return;
	}
	if (res != EV_LINE_ITEM)
		return;
	snprintf(it.source, sizeof(it.source), "%.140s:%lu", r->label, lineno);
	if (r->saw_postfix && !r->saw_exim && !it.recipient[0] && recall(r, &it))
		emit(&it, r);
	else if (r->saw_postfix && !r->saw_exim && !it.recipient[0])
		postfix_pend(r, &it, pid);
	else if (r->saw_postfix && !r->saw_exim)
		postfix_complete(r, &it, pid);
	else
		emit(&it, r);
}

static int on_line(const char *line, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	ev_reader *r = arg;
	ev_line_result res = EV_LINE_IGNORED;

	r->nlines = lineno;
	if (r->kind == EV_TLSRPT) {
		/* a document: kept whole, bounded */
		if (r->doclen + len + 1 > EV_DOC_MAX) {
			r->doc_too_big = true;
			return 0;
		}
		memcpy(r->doc + r->doclen, line, len);
		r->doclen += len;
		r->doc[r->doclen++] = '\n';
		return 0;
	}
	if (flags & (LINE_TOO_LONG | LINE_HAS_NUL)) {
		bad(r, lineno);
		return 0;
	}
	if (r->kind == EV_UNKNOWN && !r->kind_given) {
		size_t blank = strspn(line, " \t\r");
		if (blank == len)
			return 0;
		r->kind = detect(line, len);
		if (r->kind == EV_TLSRPT && !(r->doc = malloc(EV_DOC_MAX))) {
			r->doc_too_big = true;
			return 0;
		}
		if (r->kind == EV_TLSRPT)
			return on_line(line, len, lineno, flags, arg);
		if (r->kind == EV_UNKNOWN)
			r->kind = EV_POSTFIX; /* a log; corrected below when it is Exim's */
		r->kind_given = true;
	}
	switch (r->kind) {
	case EV_POSTQUEUE:
		if (strspn(line, " \t\r") == len)
			return 0;
		res = ev_postqueue_line(line, len, r->label, lineno, emit, r);
		break;
	case EV_MAILQ: res = ev_mailq_line(r->mailq, line, len, lineno); break;
	case EV_DSN: res = ev_dsn_line(r->dsn, line, len, lineno); break;
	default:
		if (strspn(line, " \t\r") == len)
			return 0;
		log_line(r, line, len, lineno);
		if (r->saw_exim && !r->saw_postfix)
			r->kind = EV_EXIM;
		return 0;
	}
	if (res == EV_LINE_BAD)
		bad(r, lineno);
	return 0;
}

ev_reader *ev_reader_new(const char *label, ev_kind kind, ev_item_fn fn, void *arg)
{
	ev_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->label = strdup(label ? label : "-");
	r->kind = kind;
	r->kind_given = kind != EV_UNKNOWN;
	r->fn = fn;
	r->arg = arg;
	r->lines = line_reader_new(EV_LINE_MAX);
	r->mailq = ev_mailq_new(r->label, emit, r);
	r->dsn = ev_dsn_new(r->label, emit, r);
	r->pend = calloc(EV_PENDING_MAX, sizeof(*r->pend));
	r->recent = calloc(EV_PENDING_MAX, sizeof(*r->recent));
	if (!r->recent || !r->label || !r->lines || !r->mailq || !r->dsn || !r->pend ||
	    (kind == EV_TLSRPT && !(r->doc = malloc(EV_DOC_MAX)))) {
		ev_reader_free(r);
		return NULL;
	}
	return r;
}

mxs_status ev_reader_feed(ev_reader *r, const char *buf, size_t len)
{
	return line_feed(r->lines, buf, len, on_line, r);
}

mxs_status ev_reader_finish(ev_reader *r, char **why)
{
	char *w = NULL;
	mxs_status st = line_finish(r->lines, on_line, r);

	if (st != MXS_OK)
		return st;
	while (r->npend)
		pend_flush_one(r, 0);
	ev_dsn_finish(r->dsn);
	if (r->kind != EV_TLSRPT)
		return MXS_OK;
	if (r->doc_too_big) {
		mxs_why(why, "%s: a TLS-RPT report larger than %u MiB is not read", r->label,
		        EV_DOC_MAX >> 20);
		return MXS_ERR_INVALID;
	}
	st = ev_tlsrpt_parse(r->doc, r->doclen, r->label, emit, r, &w);
	if (st != MXS_OK) {
		mxs_why(why, "%s: %s", r->label, w ? w : "not a TLS-RPT report");
		free(w);
	}
	return st;
}

ev_kind ev_reader_kind(const ev_reader *r)
{
	return r->kind;
}

unsigned long ev_reader_lines(const ev_reader *r)
{
	return r->nlines;
}

unsigned long ev_reader_bad(const ev_reader *r, const unsigned long **first, size_t *nfirst)
{
	if (first)
		*first = r->first_bad;
	if (nfirst)
		*nfirst = r->nfirst;
	return r->nbad;
}

unsigned long ev_reader_items(const ev_reader *r)
{
	return r->nitems;
}

void ev_reader_free(ev_reader *r)
{
	if (!r)
		return;
	line_reader_free(r->lines);
	ev_mailq_free(r->mailq);
	ev_dsn_free(r->dsn);
	free(r->pend);
	free(r->recent);
	free(r->doc);
	free(r->label);
	free(r);
}
