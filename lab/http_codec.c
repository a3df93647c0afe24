/* lab/http_codec.c — the lab's one HTTP/1.1 codec (RFC 9112): reads a
 * request head from a client and writes a response head, for the blocklist
 * endpoint (http_server.c) and the MTA-STS policy server (sts_server.c).
 *
 * Every request byte is untrusted. The head is read whole or not at all: it
 * is copied into the request struct, checked byte by byte (no NUL, no bare CR
 * or LF, no other control byte but HT), and cut into NUL-terminated pieces
 * there, so nothing after this file reads past a bound or meets a byte the
 * grammar does not allow. Limits: LAB_HTTP_HEAD_MAX bytes of head,
 * LAB_HTTP_FIELDS_MAX header lines, a method of LAB_HTTP_METHOD_MAX bytes. */
#include "lab_internal.h"

#include <string.h>
#include <strings.h>
#include <stdio.h>

/* tchar (RFC 9110 §5.6.2): what a method and a header name are made of */
static int is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The bytes of a head: CR only before LF, LF only after CR, no control byte
 * but HT. obs-text (0x80-0xff) passes, as RFC 9110 §5.5 lets it. */
static int bytes_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r'   ? i + 1 >= n || p[i + 1] != '\n'
		    : ch == '\n' ? i == 0 || p[i - 1] != '\r'
		                 : (ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return 1;
}

/* "METHOD SP TARGET SP HTTP/1.x", NUL-terminated in place. */
static int request_line(struct lab_http_req *r, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2;
	size_t ml;

	if (!sp1)
		return 400;
	ml = (size_t)(sp1 - line);
	if (ml == 0 || ml > LAB_HTTP_METHOD_MAX)
		return 400;
	for (size_t i = 0; i < ml; i++)
		if (!is_tchar((unsigned char)line[i]))
			return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2 || sp2 == sp1 + 1)
		return 400;
	for (const char *t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)
		return 400;
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	r->version = sp2 + 1;
	return 0;
}

/* Fields whose repetition would let two readers see two requests
 * (RFC 9112 §6.3, RFC 9110 §7.2): a second one is refused. */
static const char *const single[] = {"Content-Length", "Host", "Transfer-Encoding"};

/* One header line "NAME:OWS VALUE OWS", NUL-terminated in place. */
static int field(struct lab_http_req *r, char *line)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (!colon || colon == line)
		return 400;
	for (const char *t = line; t < colon; t++)
		if (!is_tchar((unsigned char)*t))
			return 400; /* whitespace before the colon too (RFC 9112 §5.1) */
	if (r->nfields == LAB_HTTP_FIELDS_MAX)
		return 431;
	*colon = '\0';
	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (strcasecmp(line, single[i]) == 0 && lab_http_header(r, line))
			return 400;
	v = colon + 1;
	while (is_ows(*v))
		v++;
	end = v + strlen(v);
	while (end > v && is_ows(end[-1]))
		end--;
	*end = '\0';
	r->fields[r->nfields].name = line;
	r->fields[r->nfields].value = v;
	r->nfields++;
	return 0;
}

int lab_http_parse(struct lab_http_req *r, const void *data, size_t len)
{
	size_t look = len < LAB_HTTP_HEAD_MAX ? len : LAB_HTTP_HEAD_MAX;
	const char *end = memmem(data, look, "\r\n\r\n", 4);
	char *line, *next, *first;
	int rc;

	r->method = r->target = r->version = NULL;
	r->nfields = 0;
	r->head_len = 0;
	if (!end)
		return len >= LAB_HTTP_HEAD_MAX ? 431 : 0;
	r->head_len = (size_t)(end - (const char *)data) + 4;
	memcpy(r->head, data, r->head_len);
	r->head[r->head_len] = '\0';
	if (!bytes_ok(r->head, r->head_len))
		return 400;
	/* obs-fold (a line that starts with OWS) continues the field above:
	 * RFC 9112 §5.2 lets a server read it as SP. Right after the request
	 * line there is no field to continue (§2.2: refused). */
	first = strstr(r->head, "\r\n");
	for (char *p = first; p; p = strstr(p + 2, "\r\n"))
		if (is_ows(p[2])) {
			if (p == first)
				return 400;
			p[0] = p[1] = ' ';
		}
	r->head[r->head_len - 4] = '\0';
	line = r->head;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	rc = request_line(r, line);
	while (rc == 0 && next) {
		line = next + 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		rc = field(r, line);
	}
	return rc ? rc : 200;
}

const char *lab_http_header(const struct lab_http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

/* The reason phrases of the codes the lab's servers send. */
static const struct {
	int code;
	const char *text;
} reasons[] = {
    {200, "OK"},
    {301, "Moved Permanently"},
    {400, "Bad Request"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
};

size_t lab_http_response_head(char *out, size_t cap, int code, const char *ctype, size_t length,
                              const char *extra)
{
	const char *text = ""; /* the phrase is optional (RFC 9112 §4) */
	int n;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			text = reasons[i].text;
	n = snprintf(out, cap,
	             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
	             "Connection: close\r\n\r\n",
	             code, text, ctype, length, extra ? extra : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
