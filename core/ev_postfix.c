/* core/ev_postfix.c — Postfix's maillog lines as evidence (ev.h): the
 * delivery status lines (status=deferred|bounced|sent|expired), and the
 * lines the smtp client writes about one attempt before its status line
 * ("connect to", "refused to talk to me", "conversation with ... timed
 * out", certificate verification). The wording is Postfix 3.x's
 * (src/smtp/smtp_connect.c, smtp_proto.c, smtp_trouble.c). */
#include <ctype.h>
#include <string.h>

#include "ev.h"

static bool prefix(const char *s, size_t len, const char *p)
{
	size_t pl = strlen(p);
	return len >= pl && memcmp(s, p, pl) == 0;
}

/* "while receiving the initial server greeting", "after RCPT TO",
 * "while sending end of data -- message may be sent more than once" */
static ev_phase phase_after(const char *s, size_t len)
{
	if (ev_find(s, len, "greeting"))
		return EV_PH_GREETING;
	if (ev_find(s, len, "end of data") || ev_find(s, len, "message body"))
		return EV_PH_DATA;
	if (ev_find(s, len, "TLS") && !ev_find(s, len, "STARTTLS"))
		return EV_PH_STARTTLS;
	return ev_phase_of_command(s, len);
}

static bool is_tls_policy(const char *s, size_t len)
{
	const char *c = ev_find(s, len, "certificate"), *t = c ? NULL : ev_find(s, len, "TLS");

	if (c)
		return ev_find(s, len, "certificate not verified") ||
		       ev_find(s, len, "verification failed") ||
		       ev_find(s, len, "certificate not trusted");
	return t && (ev_find(s, len, "TLS is required") || ev_find(s, len, "TLSA") ||
	             ev_find(s, len, "MTA-STS"));
}

/* Which of Postfix's programs write delivery evidence: the delivery agents
 * (status lines and, for smtp and lmtp, the per-attempt lines) and qmgr
 * ("status=expired"). 2: every kind of line; 1: status lines only; 0: none
 * (pickup, cleanup, smtpd, bounce, master: the log's bulk). */
static int program_kind(const char *prog, size_t len)
{
	static const struct {
		const char *name;
		int kind;
	} progs[] = {{"smtp", 2},  {"lmtp", 2},    {"error", 1}, {"retry", 1},  {"qmgr", 1},
	             {"local", 1}, {"virtual", 1}, {"pipe", 1},  {"discard", 1}};
	const char *slash = memrchr(prog, '/', len);
	const char *name = slash ? slash + 1 : prog;
	size_t nl = len - (size_t)(name - prog);

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (strlen(progs[i].name) == nl && memcmp(progs[i].name, name, nl) == 0)
			return progs[i].kind;
	return 0;
}

static void tls_policy(ev_item *it, const char *s, size_t len)
{
	it->phase = EV_PH_TLS_POLICY;
	it->policy =
	    ev_find(s, len, "TLSA") || ev_find(s, len, "DANE") ? EV_POL_DANE : EV_POL_MTA_STS;
	if (ev_find(s, len, "TLS is required, but was not offered"))
		it->phase = EV_PH_STARTTLS;
}

void ev_postfix_reason(ev_item *it, const char *s, size_t len)
{
	static const char susp[] = "delivery temporarily suspended: ";
	const char *p, *e;

	while (prefix(s, len, susp)) {
		s += sizeof(susp) - 1;
		len -= sizeof(susp) - 1;
	}
	ev_copy(it->text, sizeof(it->text), s, len);
	if (prefix(s, len, "connect to ")) {
		it->phase = EV_PH_CONNECT;
		if (ev_item_set_hostip(it, s + 11, len - 11, &e) && (size_t)(e - s) + 2 <= len &&
		    e[0] == ':' && e[1] == ' ')
			ev_copy(it->text, sizeof(it->text), e + 2, len - (size_t)(e + 2 - s));
		return;
	}
	if (prefix(s, len, "host ") && ev_item_set_hostip(it, s + 5, len - 5, &e)) {
		size_t rest = len - (size_t)(e - s);
		if ((p = ev_find(e, rest, " refused to talk to me: "))) {
			it->phase = EV_PH_GREETING;
			p += 24;
			ev_item_set_reply(it, p, len - (size_t)(p - s));
			return;
		}
		if ((p = ev_find(e, rest, " said: "))) {
			const char *in = ev_find(p, len - (size_t)(p - s), " (in reply to ");
			p += 7;
			ev_item_set_reply(it, p, (size_t)((in ? in : s + len) - p));
			if (in)
				it->phase = phase_after(in + 14, len - (size_t)(in + 14 - s));
			else
				it->phase = EV_PH_UNKNOWN;
			return;
		}
	}
	if ((prefix(s, len, "conversation with ") || prefix(s, len, "lost connection with "))) {
		const char *h = s + (s[0] == 'c' ? 18 : 21);
		if (ev_item_set_hostip(it, h, len - (size_t)(h - s), &e)) {
			it->phase = phase_after(e, len - (size_t)(e - s));
			if (it->phase == EV_PH_UNKNOWN)
				it->phase = EV_PH_GREETING;
		}
		return;
	}
	if (ev_find(s, len, "Host or domain name not found") ||
	    ev_find(s, len, "Name service error") || ev_find(s, len, "nullMX") ||
	    ev_find(s, len, "does not accept mail") || ev_find(s, len, "MX host") ||
	    ev_find(s, len, "no MX host")) {
		it->phase = EV_PH_DNS;
		return;
	}
	if (is_tls_policy(s, len)) {
		tls_policy(it, s, len);
		if ((p = ev_find(s, len, " for ")))
			ev_item_set_hostip(it, p + 5, len - (size_t)(p + 5 - s), NULL);
		else if ((p = ev_find(s, len, " by host ")))
			ev_item_set_hostip(it, p + 9, len - (size_t)(p + 9 - s), NULL);
		return;
	}
	if (ev_find(s, len, "Connection refused") || ev_find(s, len, "Connection timed out") ||
	    ev_find(s, len, "No route to host") || ev_find(s, len, "Network is unreachable"))
		it->phase = EV_PH_CONNECT;
}

/* "to=<a@b>," and friends: the value of key in the comma list at s. */
static bool field(const char *s, size_t len, const char *key, const char **v, size_t *vl)
{
	const char *p = ev_find(s, len, key), *e;

	if (!p)
		return false;
	p += strlen(key);
	e = p;
	while ((size_t)(e - s) < len && *e != ',' && *e != ' ')
		e++;
	*v = p;
	*vl = (size_t)(e - p);
	return true;
}

/* A queue id: 6 or more hex digits (short ids) or the long form's
 * [0-9BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz] of 10 or more. */
static size_t queue_id(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && isalnum((unsigned char)s[i]))
		i++;
	return i >= 6 && i < 32 && i + 1 < len && s[i] == ':' && s[i + 1] == ' ' ? i : 0;
}

/* "Dec  8 00:12:47 host prog[pid]: msg" or "2026-12-08T00:12:47.1+00:00 host
 * prog[pid]: msg": the time, the program, the pid and the message. */
static bool syslog_split(const char *line, size_t len, const char **when, size_t *wl,
                         const char **prog, size_t *pl, long *pid, const char **msg, size_t *ml)
{
	const char *p = line, *end = line + len, *h, *c;
	int fields = isdigit((unsigned char)*p) ? 1 : 3;

	*when = p;
	for (int f = 0; f < fields; f++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	*wl = (size_t)(p - line);
	while (p < end && *p == ' ')
		p++;
	h = p; /* the host name */
	while (p < end && *p != ' ')
		p++;
	if (p == h || p == end)
		return false;
	p++;
	*prog = p;
	c = memchr(p, ':', (size_t)(end - p));
	if (!c || c + 1 >= end || c[1] != ' ')
		return false;
	*pl = (size_t)(c - p);
	*pid = 0;
	if (*pl > 2 && p[*pl - 1] == ']') {
		const char *lb = memchr(p, '[', *pl);
		if (lb) {
			for (const char *d = lb + 1; d < p + *pl - 1 && *pid < 100000000; d++)
				*pid = isdigit((unsigned char)*d) ? *pid * 10 + (*d - '0') : *pid;
			*pl = (size_t)(lb - p);
		}
	}
	*msg = c + 2;
	*ml = (size_t)(end - *msg);
	return true;
}

ev_line_result ev_postfix_line(const char *line, size_t len, ev_item *it, long *pidp)
{
	const char *when, *prog, *msg, *v;
	size_t wl, pl, ml, vl, q;
	const char *rest;
	size_t rl;
	bool is_status, is_attempt;
	int pk;
	long pid;

	if (pidp)
		*pidp = 0;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len < 16 || !syslog_split(line, len, &when, &wl, &prog, &pl, &pid, &msg, &ml))
		return EV_LINE_BAD;
	if (!ev_find(prog, pl, "postfix"))
		return EV_LINE_BAD;
	if (pidp)
		*pidp = pid;
	if ((pk = program_kind(prog, pl)) == 0)
		return EV_LINE_IGNORED;
	if (prefix(msg, ml, "warning: ") || prefix(msg, ml, "fatal: ") ||
	    prefix(msg, ml, "panic: ") || prefix(msg, ml, "statistics: "))
		return EV_LINE_IGNORED;
	q = queue_id(msg, ml);
	rest = msg + (q ? q + 2 : 0);
	rl = ml - (q ? q + 2 : 0);
	is_status = ev_find(rest, rl, "status=") != NULL;
	is_attempt = !is_status && pk == 2 &&
	             (prefix(rest, rl, "connect to ") || prefix(rest, rl, "host ") ||
	              prefix(rest, rl, "conversation with ") ||
	              prefix(rest, rl, "lost connection with ") || is_tls_policy(msg, ml));
	/* most lines (pickup, cleanup, qmgr, smtpd) are no evidence: they are
	 * known without touching the item, which is large */
	if (!is_status && !is_attempt)
		return EV_LINE_IGNORED;
	ev_item_init(it);
	ev_copy(it->when, sizeof(it->when), when, wl);
	if (q) {
		ev_copy(it->queue_id, sizeof(it->queue_id), msg, q);
		msg += q + 2;
		ml -= q + 2;
	}
	if (is_status && field(msg, ml, "status=", &v, &vl)) {
		const char *paren;
		ev_copy(it->status, sizeof(it->status), v, vl);
		if (field(msg, ml, "to=", &v, &vl))
			ev_item_set_recipient(it, v, vl);
		if (field(msg, ml, "dsn=", &v, &vl))
			ev_copy(it->dsn, sizeof(it->dsn), v, vl);
		paren = ev_find(msg, ml, " (");
		if (paren && msg[ml - 1] == ')')
			ev_postfix_reason(it, paren + 2, ml - (size_t)(paren + 2 - msg) - 1);
		else if ((paren = ev_find(msg, ml, ", ")))
			ev_copy(it->text, sizeof(it->text), paren + 2,
			        ml - (size_t)(paren + 2 - msg));
		if (!it->mx_host[0] && field(msg, ml, "relay=", &v, &vl) &&
		    !(vl == 4 && memcmp(v, "none", 4) == 0))
			ev_item_set_hostip(it, v, vl, NULL);
		if (!it->dsn[0] && field(msg, ml, "dsn=", &v, &vl))
			ev_copy(it->dsn, sizeof(it->dsn), v, vl);
		/* "from=<...>, status=expired": a message, not one recipient */
		return EV_LINE_ITEM;
	}
	ev_postfix_reason(it, msg, ml);
	if (it->phase == EV_PH_UNKNOWN && !it->mx_host[0])
		return EV_LINE_IGNORED;
	ev_copy(it->status, sizeof(it->status), "attempt", 7);
	return EV_LINE_ITEM;
}
