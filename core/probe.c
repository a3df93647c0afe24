/* core/probe.c — the probe result, its bounded transcript, and the reader
 * of SMTP reply lines. Every byte handled here came from a server, so all
 * lengths are explicit and every buffer has a bound. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_words[] = {
#define PROBE_X_WORD(id, word, meaning) word,
    PROBE_STATES(PROBE_X_WORD)
#undef PROBE_X_WORD
};

static const char *const state_meanings[] = {
#define PROBE_X_MEANING(id, word, meaning) meaning,
    PROBE_STATES(PROBE_X_MEANING)
#undef PROBE_X_MEANING
};

const char *probe_state_word(probe_state s)
{
	return (unsigned)s < PROBE_STATE_COUNT ? state_words[s] : "unknown";
}

const char *probe_state_meaning(probe_state s)
{
	return (unsigned)s < PROBE_STATE_COUNT ? state_meanings[s] : "unknown state";
}

bool probe_state_moves_on(probe_state s)
{
	/* PENDING says nothing yet and ACCEPTED is where a sender stops; every
	 * other ending, our own ERROR included, leaves the sender without a
	 * host that took the mail, so it tries the next one (RFC 5321 §5.1). */
	return s != PROBE_PENDING && s != PROBE_ACCEPTED && (unsigned)s < PROBE_STATE_COUNT;
}

probe_result *probe_result_new(const char *host, const char *ip, int port)
{
	probe_result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->host = host ? strdup(host) : NULL;
	r->ip = ip ? strdup(ip) : NULL;
	if ((host && !r->host) || (ip && !r->ip)) {
		probe_result_free(r);
		return NULL;
	}
	r->port = port;
	r->state = PROBE_PENDING;
	r->t = (probe_times){-1, -1, -1, -1, -1};
	return r;
}

void probe_cert_clear(probe_cert *c)
{
	free(c->subject);
	free(c->issuer);
	free(c->not_before);
	free(c->not_after);
	for (size_t i = 0; i < c->nsan; i++)
		free(c->san[i]);
	free(c->san);
	free(c->der);
	free(c->spki);
	memset(c, 0, sizeof(*c));
}

static void tls_free(probe_tls *t)
{
	for (size_t i = 0; i < t->nchain; i++)
		probe_cert_clear(&t->chain[i]);
	free(t->chain);
	free(t->verify_error);
	free(t->subject);
	free(t->issuer);
	free(t->not_before);
	free(t->not_after);
	free(t->version);
}

const char *probe_dane_str(probe_dane d)
{
	switch (d) {
	case PROBE_DANE_NONE: return "none";
	case PROBE_DANE_MATCH: return "match";
	case PROBE_DANE_MISMATCH: return "mismatch";
	case PROBE_DANE_NOT_CHECKED: break;
	}
	return NULL;
}

void probe_result_free(probe_result *r)
{
	if (!r)
		return;
	free(r->host);
	free(r->ip);
	free(r->greeting);
	for (size_t i = 0; i < r->nehlo; i++)
		free(r->ehlo[i]);
	free(r->ehlo);
	free(r->ehlo_len);
	tls_free(&r->tls);
	free(r->transcript);
	free(r->error);
	free(r->rcpt.to);
	free(r->rcpt.reply);
	free(r);
}

/* The length a *_len field stands for: 0 means "to the first NUL". */
static size_t text_len(const char *s, size_t len)
{
	return len ? len : s ? strlen(s) : 0;
}

size_t probe_greeting_len(const probe_result *r)
{
	return text_len(r->greeting, r->greeting_len);
}

size_t probe_transcript_len(const probe_result *r)
{
	return text_len(r->transcript, r->transcript_len);
}

size_t probe_ehlo_len(const probe_result *r, size_t i)
{
	if (i >= r->nehlo)
		return 0;
	return text_len(r->ehlo[i], r->ehlo_len ? r->ehlo_len[i] : 0);
}

/* A NUL-terminated copy of the first len bytes of s, NULs inside kept. */
static char *memdup_z(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* memdup_z that keeps NULL as NULL and reports failure through *ok */
static char *memdup_or_null(const char *s, size_t len, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = memdup_z(s, len);
	if (!d)
		*ok = false;
	return d;
}

/* strdup that keeps NULL as NULL and reports failure through *ok */
static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static unsigned char *bytes_dup(const unsigned char *s, size_t len, bool *ok)
{
	unsigned char *d;

	if (!s)
		return NULL;
	d = malloc(len ? len : 1);
	if (!d)
		*ok = false;
	else
		memcpy(d, s, len);
	return d;
}

bool probe_cert_copy(probe_cert *dst, const probe_cert *src)
{
	bool ok = true;

	*dst = *src;
	dst->subject = dup_or_null(src->subject, &ok);
	dst->issuer = dup_or_null(src->issuer, &ok);
	dst->not_before = dup_or_null(src->not_before, &ok);
	dst->not_after = dup_or_null(src->not_after, &ok);
	dst->der = bytes_dup(src->der, src->der_len, &ok);
	dst->spki = bytes_dup(src->spki, src->spki_len, &ok);
	dst->san = NULL;
	dst->nsan = 0;
	if (src->nsan) {
		dst->san = calloc(src->nsan, sizeof(*dst->san));
		if (!dst->san)
			ok = false;
		for (size_t i = 0; dst->san && i < src->nsan; i++) {
			dst->san[i] = dup_or_null(src->san[i], &ok);
			dst->nsan++;
		}
	}
	if (!ok)
		probe_cert_clear(dst);
	return ok;
}

probe_result *probe_result_dup(const probe_result *r)
{
	probe_result *d;
	bool ok = true;

	if (!r)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	*d = *r;
	d->host = dup_or_null(r->host, &ok);
	d->ip = dup_or_null(r->ip, &ok);
	d->greeting_len = probe_greeting_len(r);
	d->greeting = memdup_or_null(r->greeting, d->greeting_len, &ok);
	d->transcript_len = probe_transcript_len(r);
	d->transcript = memdup_or_null(r->transcript, d->transcript_len, &ok);
	d->error = dup_or_null(r->error, &ok);
	d->tls.verify_error = dup_or_null(r->tls.verify_error, &ok);
	d->tls.subject = dup_or_null(r->tls.subject, &ok);
	d->tls.issuer = dup_or_null(r->tls.issuer, &ok);
	d->tls.not_before = dup_or_null(r->tls.not_before, &ok);
	d->tls.not_after = dup_or_null(r->tls.not_after, &ok);
	d->tls.version = dup_or_null(r->tls.version, &ok);
	d->tls.chain = NULL;
	d->tls.nchain = 0;
	if (r->tls.nchain) {
		d->tls.chain = calloc(r->tls.nchain, sizeof(*d->tls.chain));
		if (!d->tls.chain)
			ok = false;
		for (size_t i = 0; d->tls.chain && i < r->tls.nchain; i++) {
			if (!probe_cert_copy(&d->tls.chain[i], &r->tls.chain[i])) {
				ok = false;
				break;
			}
			d->tls.nchain++;
		}
	}
	d->rcpt.to = dup_or_null(r->rcpt.to, &ok);
	d->rcpt.reply = dup_or_null(r->rcpt.reply, &ok);
	d->ehlo = NULL;
	d->ehlo_len = NULL;
	d->nehlo = 0;
	if (r->nehlo) {
		d->ehlo = calloc(r->nehlo, sizeof(*d->ehlo));
		d->ehlo_len = calloc(r->nehlo, sizeof(*d->ehlo_len));
		if (!d->ehlo || !d->ehlo_len)
			ok = false;
		for (size_t i = 0; d->ehlo && d->ehlo_len && i < r->nehlo; i++, d->nehlo++) {
			d->ehlo_len[i] = probe_ehlo_len(r, i);
			d->ehlo[i] = memdup_or_null(r->ehlo[i], d->ehlo_len[i], &ok);
		}
	}
	if (!ok) {
		probe_result_free(d);
		return NULL;
	}
	return d;
}

mxs_status probe_transcript_add(probe_result *r, char dir, const char *data, size_t len)
{
	size_t have, want, room, take;
	char *t;

	if (dir != 'S' && dir != 'C')
		return MXS_ERR_INVALID;
	if (r->transcript_cut)
		return MXS_OK; /* before strlen: a flood after the cut costs nothing */
	have = probe_transcript_len(r);
	if (len && data[len - 1] == '\n')
		len--;
	if (len && data[len - 1] == '\r')
		len--;
	want = 3 + len + 1; /* "S: " line "\n" */
	room = PROBE_TRANSCRIPT_MAX - have;
	take = want <= room ? want : room;
	if (take == 0) {
		r->transcript_cut = true;
		return MXS_OK;
	}
	t = realloc(r->transcript, have + take + 1);
	if (!t)
		return MXS_ERR_NOMEM;
	r->transcript = t;
	/* byte by byte, so the cut can fall anywhere in prefix, line or newline */
	for (size_t i = 0; i < take; i++) {
		char c;
		if (i == 0)
			c = dir;
		else if (i == 1)
			c = ':';
		else if (i == 2)
			c = ' ';
		else if (i - 3 < len)
			c = data[i - 3];
		else
			c = '\n';
		t[have + i] = c;
	}
	t[have + take] = '\0';
	r->transcript_len = have + take;
	if (take < want)
		r->transcript_cut = true;
	return MXS_OK;
}

bool probe_parse_reply_line(const char *line, size_t len, int *code, bool *more, const char **text,
                            size_t *textlen)
{
	if (!line)
		return false;
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < 3)
		return false;
	/* RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || line[2] < '0' ||
	    line[2] > '9')
		return false;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return false;
	if (code)
		*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (more)
		*more = len > 3 && line[3] == '-';
	if (text)
		*text = len > 3 ? line + 4 : line + 3;
	if (textlen)
		*textlen = len > 3 ? len - 4 : 0;
	return true;
}

mxs_status probe_greeting_add(probe_result *r, const char *text, size_t len)
{
	size_t have = probe_greeting_len(r), sep = have ? 1 : 0, room;
	char *g;

	if (have + sep >= PROBE_GREETING_MAX)
		return MXS_OK;
	room = PROBE_GREETING_MAX - have - sep;
	if (len > room)
		len = room;
	g = realloc(r->greeting, have + sep + len + 1);
	if (!g)
		return MXS_ERR_NOMEM;
	r->greeting = g;
	if (sep)
		g[have++] = '\n';
	if (len)
		memcpy(g + have, text, len);
	have += len;
	g[have] = '\0';
	r->greeting_len = have;
	return MXS_OK;
}

mxs_status probe_ehlo_add(probe_result *r, const char *text, size_t len)
{
	char **list, *line;
	size_t *lens;

	if (r->nehlo >= PROBE_EHLO_MAX_LINES)
		return MXS_OK;
	if (len > PROBE_EHLO_LINE_MAX)
		len = PROBE_EHLO_LINE_MAX;
	list = realloc(r->ehlo, (r->nehlo + 1) * sizeof(*list));
	if (!list)
		return MXS_ERR_NOMEM;
	r->ehlo = list;
	/* a result built by hand has no lengths yet: they are its strlen */
	lens = realloc(r->ehlo_len, (r->nehlo + 1) * sizeof(*lens));
	if (!lens)
		return MXS_ERR_NOMEM;
	if (!r->ehlo_len)
		for (size_t i = 0; i < r->nehlo; i++)
			lens[i] = strlen(r->ehlo[i]);
	r->ehlo_len = lens;
	line = memdup_z(text, len);
	if (!line)
		return MXS_ERR_NOMEM;
	r->ehlo[r->nehlo] = line;
	r->ehlo_len[r->nehlo++] = len;
	return MXS_OK;
}

probe_reply_step probe_reply_feed(probe_reply *rp, const char *line, size_t len, int *code,
                                  const char **text, size_t *textlen)
{
	int c;
	bool more;

	if (!probe_parse_reply_line(line, len, &c, &more, text, textlen))
		return PROBE_REPLY_NOT_SMTP;
	if (code)
		*code = c;
	if (rp->code && c != rp->code)
		return PROBE_REPLY_CODE_CHANGED;
	if (more) {
		rp->code = c;
		return PROBE_REPLY_MORE;
	}
	rp->code = 0;
	return PROBE_REPLY_DONE;
}

const char *probe_reply_step_why(probe_reply_step s)
{
	switch (s) {
	case PROBE_REPLY_MORE:
	case PROBE_REPLY_DONE: return NULL;
	case PROBE_REPLY_NOT_SMTP: return "lines that are not SMTP replies (RFC 5321 §4.2)";
	case PROBE_REPLY_CODE_CHANGED:
		return "a multi-line reply changes its reply code (RFC 5321 §4.2.1)";
	}
	return NULL;
}

mxs_status probe_rcpt_set(probe_result *r, const char *to, int code, const char *reply, size_t len)
{
	char *t = strdup(to ? to : ""), *rep = NULL;

	if (reply) {
		/* the reply is network text: bounded, and kept up to a NUL so it
		 * stays one C string */
		const char *nul = memchr(reply, '\0', len);
		if (nul)
			len = (size_t)(nul - reply);
		rep = memdup_z(reply, len > PROBE_RCPT_REPLY_MAX ? PROBE_RCPT_REPLY_MAX : len);
	}
	if (!t || (reply && !rep)) {
		free(t);
		free(rep);
		return MXS_ERR_NOMEM;
	}
	free(r->rcpt.to);
	free(r->rcpt.reply);
	r->rcpt.to = t;
	r->rcpt.code = code;
	r->rcpt.reply = rep;
	return MXS_OK;
}
