/* core/ev_item.c — the evidence item and the helpers every parser fills it
 * with (ev.h); the bottom of the evidence module: the parsers call it, it
 * calls none of them. */
#include "ev.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

static const char *const kind_names[EV_KIND_COUNT] = {
    "unknown", "postfix-log", "postqueue-json", "mailq", "exim-log", "dsn", "tls-rpt"};

static const char *const phase_names[EV_PH_COUNT] = {
    NULL, "dns", "connect", "greeting", "ehlo", "starttls", "tls-policy", "mail", "rcpt", "data"};

/* memchr for w's first byte, then the rest compared: log lines are short
 * and the words rare in them, so this beats memmem's set-up cost, and a log
 * is read near grep's pace only with a fast search. */
const char *ev_find(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);
	const char *end = s + len, *p = s;

	if (wl == 0 || wl > len)
		return wl == 0 ? s : NULL;
	while ((p = memchr(p, w[0], (size_t)(end - p) - wl + 1))) {
		if (memcmp(p + 1, w + 1, wl - 1) == 0)
			return p;
		if (++p > end - wl)
			break;
	}
	return NULL;
}

const char *ev_kind_name(ev_kind k)
{
	return k >= 0 && k < EV_KIND_COUNT ? kind_names[k] : "unknown";
}

const char *ev_phase_name(ev_phase p)
{
	return p >= 0 && p < EV_PH_COUNT ? phase_names[p] : NULL;
}

const char *ev_policy_name(ev_policy p)
{
	return p == EV_POL_DANE ? "dane" : p == EV_POL_MTA_STS ? "mta-sts" : NULL;
}

void ev_item_init(ev_item *it)
{
	memset(it, 0, sizeof(*it));
	it->count = 1;
}

void ev_copy(char *dst, size_t cap, const char *s, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

void ev_item_set_recipient(ev_item *it, const char *addr, size_t len)
{
	const char *at;

	while (len && (*addr == '<' || *addr == ' ')) {
		addr++;
		len--;
	}
	while (len && (addr[len - 1] == '>' || addr[len - 1] == ' ' || addr[len - 1] == '\r'))
		len--;
	ev_copy(it->recipient, sizeof(it->recipient), addr, len);
	at = memchr(addr, '@', len);
	if (!at)
		return;
	at++;
	len -= (size_t)(at - addr);
	while (len && at[len - 1] == '.')
		len--;
	ev_copy(it->domain, sizeof(it->domain), at, len);
	for (char *c = it->domain; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

bool ev_item_set_reply(ev_item *it, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && text[i] == ' ')
		i++;
	if (len - i >= 3 && text[i] >= '2' && text[i] <= '5' &&
	    isdigit((unsigned char)text[i + 1]) && isdigit((unsigned char)text[i + 2]) &&
	    (len - i == 3 || text[i + 3] == ' ' || text[i + 3] == '-')) {
		it->code = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
		i += 3;
		while (i < len && (text[i] == ' ' || text[i] == '-'))
			i++;
		/* an enhanced status code (RFC 3463): class.subject.detail */
		size_t j = i;
		while (j < len && (isdigit((unsigned char)text[j]) || text[j] == '.'))
			j++;
		if (j > i + 4 && j - i < sizeof(it->dsn) && (j == len || text[j] == ' ') &&
		    memchr(text + i, '.', j - i)) {
			ev_copy(it->dsn, sizeof(it->dsn), text + i, j - i);
			i = j;
			while (i < len && text[i] == ' ')
				i++;
		}
		ev_copy(it->text, sizeof(it->text), text + i, len - i);
		return true;
	}
	ev_copy(it->text, sizeof(it->text), text + i, len - i);
	return false;
}

bool ev_item_set_hostip(ev_item *it, const char *s, size_t len, const char **end)
{
	const char *lb = memchr(s, '[', len), *rb;
	size_t hl, il;

	if (!lb || lb == s)
		return false;
	rb = memchr(lb, ']', len - (size_t)(lb - s));
	if (!rb)
		return false;
	hl = (size_t)(lb - s);
	il = (size_t)(rb - lb - 1);
	if (il == 0 || il >= sizeof(it->ip) || memchr(s, ' ', hl) || memchr(lb + 1, ' ', il))
		return false;
	ev_copy(it->mx_host, sizeof(it->mx_host), s, hl);
	for (char *c = it->mx_host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	/* Postfix writes IPv6 as [ipv6:...] in some places */
	if (il > 5 && strncasecmp(lb + 1, "ipv6:", 5) == 0)
		ev_copy(it->ip, sizeof(it->ip), lb + 6, il - 5);
	else
		ev_copy(it->ip, sizeof(it->ip), lb + 1, il);
	rb++;
	if ((size_t)(rb - s) < len && *rb == ':') {
		int port = 0;
		const char *p = rb + 1;
		while ((size_t)(p - s) < len && isdigit((unsigned char)*p) && port < 65536)
			port = port * 10 + (*p++ - '0');
		if (p > rb + 1 && port > 0 && port < 65536) {
			it->port = port;
			rb = p;
		}
	}
	if (end)
		*end = rb;
	return true;
}

static bool has_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return true;
	return false;
}

ev_phase ev_phase_of_command(const char *s, size_t len)
{
	/* the order matters: "end of DATA" before "DATA" gives the same, MAIL
	 * FROM before RCPT TO would not be wrong either; EHLO/HELO/LHLO */
	static const struct {
		const char *word;
		ev_phase phase;
	} words[] = {
	    {"RCPT", EV_PH_RCPT},         {"MAIL", EV_PH_MAIL},         {"DATA", EV_PH_DATA},
	    {"STARTTLS", EV_PH_STARTTLS}, {"EHLO", EV_PH_EHLO},         {"HELO", EV_PH_EHLO},
	    {"LHLO", EV_PH_EHLO},         {"greeting", EV_PH_GREETING}, {"banner", EV_PH_GREETING},
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_word(s, len, words[i].word))
			return words[i].phase;
	return EV_PH_UNKNOWN;
}
