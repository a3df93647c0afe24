/* core/ev_exim.c — Exim's mainlog lines as evidence (ev.h): "==" a
 * delivery deferred, "**" a bounce, "=>" and "->" delivered (Exim's spec,
 * "Log files": the message id, the flag, the address, R= T= H=). */
#include <ctype.h>
#include <string.h>

#include "ev.h"

/* "2026-12-08 00:12:47", with ".123" and " +0000" optional */
static size_t exim_time(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	size_t i = 0;

	if (len < sizeof(shape) - 1)
		return 0;
	for (; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	if (i < len && s[i] == '.')
		for (i++; i < len && isdigit((unsigned char)s[i]);)
			i++;
	if (i + 6 <= len && s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-') &&
	    isdigit((unsigned char)s[i + 2]))
		i += 6;
	return i;
}

static void exim_reason(ev_item *it, const char *s, size_t len)
{
	const char *p, *e;

	ev_copy(it->text, sizeof(it->text), s, len);
	if ((p = ev_find(s, len, "after "))) {
		const char *colon;
		size_t rest = len - (size_t)(p - s);
		it->phase = ev_find(p, rest, "initial connection") ? EV_PH_GREETING
		            : ev_find(p, rest, "end of data") || ev_find(p, rest, "pipelined DATA")
		                ? EV_PH_DATA
		                : ev_phase_of_command(p + 6, rest - 6 > 12 ? 12 : rest - 6);
		/* "after RCPT TO:<bob@x>: 550 5.1.1 ...": the reply after the command */
		colon = ev_find(p, rest, ">: ");
		if (!colon)
			colon = ev_find(p, rest, ": ");
		else
			colon++;
		if (colon)
			ev_item_set_reply(it, colon + 2, len - (size_t)(colon + 2 - s));
	}
	if (ev_find(s, len, "Connection refused") || ev_find(s, len, "Connection timed out") ||
	    ev_find(s, len, "No route to host") || ev_find(s, len, "Network is unreachable"))
		it->phase = EV_PH_CONNECT;
	if (ev_find(s, len, "Unrouteable address") || ev_find(s, len, "all relevant MX records") ||
	    ev_find(s, len, "host lookup did not complete") ||
	    ev_find(s, len, "points to local host"))
		it->phase = EV_PH_DNS;
	if (ev_find(s, len, "TLS") && (ev_find(s, len, "certificate") || ev_find(s, len, "DANE") ||
	                               ev_find(s, len, "TLSA") || ev_find(s, len, "required"))) {
		it->phase = EV_PH_TLS_POLICY;
		it->policy = ev_find(s, len, "DANE") || ev_find(s, len, "TLSA") ? EV_POL_DANE
		                                                                : EV_POL_MTA_STS;
	}
	(void)e;
}

ev_line_result ev_exim_line(const char *line, size_t len, ev_item *it)
{
	size_t t, i, a;
	const char *flag, *p, *end;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (!(t = exim_time(line, len)))
		return EV_LINE_BAD;
	ev_item_init(it);
	ev_copy(it->when, sizeof(it->when), line, t);
	i = t;
	while (i < len && line[i] == ' ')
		i++;
	if (i < len && line[i] == '[') { /* log_selector +pid */
		while (i < len && line[i] != ']')
			i++;
		i++;
		while (i < len && line[i] == ' ')
			i++;
	}
	/* the message id: 1abcDE-0001xY-AB (or the 4.97 form, longer) */
	a = i;
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '-'))
		i++;
	if (i - a < 16 || i - a > 30 || i + 4 > len || line[i] != ' ')
		return EV_LINE_IGNORED; /* a line of Exim's without a message: start, tidy */
	ev_copy(it->queue_id, sizeof(it->queue_id), line + a, i - a);
	flag = line + i + 1;
	if (memcmp(flag, "== ", 3) == 0)
		ev_copy(it->status, sizeof(it->status), "deferred", 8);
	else if (memcmp(flag, "** ", 3) == 0)
		ev_copy(it->status, sizeof(it->status), "bounced", 7);
	else if (memcmp(flag, "=> ", 3) == 0 || memcmp(flag, "-> ", 3) == 0)
		ev_copy(it->status, sizeof(it->status), "delivered", 9);
	else
		return EV_LINE_IGNORED; /* <= arrival, Completed, ... */
	p = flag + 3;
	end = line + len;
	a = 0;
	while (p + a < end && p[a] != ' ' && p[a] != ':')
		a++;
	ev_item_set_recipient(it, p, a);
	p += a;
	/* " H=mx1.example.com [192.0.2.1]:25" */
	if ((flag = ev_find(p, (size_t)(end - p), " H="))) {
		const char *h = flag + 3, *sp = memchr(h, ' ', (size_t)(end - h));
		if (sp && sp + 1 < end && sp[1] == '[') {
			size_t hl = (size_t)(sp - h);
			const char *rb = memchr(sp, ']', (size_t)(end - sp));
			ev_copy(it->mx_host, sizeof(it->mx_host), h, hl);
			if (rb) {
				ev_copy(it->ip, sizeof(it->ip), sp + 2, (size_t)(rb - sp - 2));
				if (rb + 1 < end && rb[1] == ':') {
					int port = 0;
					for (const char *d = rb + 2;
					     d < end && isdigit((unsigned char)*d) && port < 65536;
					     d++)
						port = port * 10 + (*d - '0');
					it->port = port < 65536 ? port : 0;
				}
				p = rb + 1;
			}
		}
	}
	/* the reason: after "defer (N): " or after the host's ": " */
	if ((flag = ev_find(p, (size_t)(end - p), "): ")))
		exim_reason(it, flag + 3, (size_t)(end - flag - 3));
	else if ((flag = ev_find(p, (size_t)(end - p), ": ")))
		exim_reason(it, flag + 2, (size_t)(end - flag - 2));
	else if ((flag = ev_find(line + t, len - t, ": ")))
		exim_reason(it, flag + 2, (size_t)(end - flag - 2));
	return EV_LINE_ITEM;
}
