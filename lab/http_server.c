/* lab/http_server.c — the lab's blocklist endpoint: a small HTTP/1.1
 * server on loopback serving DNS over HTTPS (RFC 8484, GET ?dns= and POST
 * application/dns-message) for the lab DNSBL zone bl.lab.test, and a JSON
 * API at /api/check/{ip}. Which address gets which answer is a fixed table
 * (docs/lab.md "Blocklists"), so tests and the room see every way a
 * blocklist answers or fails: listed, not listed, refused, slow, 500,
 * garbage, a 10 MB body, and a server that never answers.
 *
 * Client bytes are untrusted: the request head is read by the lab's one
 * HTTP/1.1 codec (http_codec.c: at most 8 KiB, else 431), a body is at
 * most 4 KiB, one request per connection, at most 256 connections (the one
 * idle the longest makes room for a newcomer, tcp.c), 30 s of idleness closes
 * one, and the 10 MB body is made as the client reads it. */
#include "lab.h"
#include "num.h"
#include "lab_internal.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_MAX_CONNS 256
#define HTTP_IDLE_MS   30000
#define HTTP_BODY_MAX  4096
#define HTTP_SLOW_MS   3000
#define HTTP_HUGE      (10 * 1024 * 1024)
#define HTTP_CHUNK     65536
#define HTTP_OUTQ_HIGH (256 * 1024)
#define DNS_MAX        4096

enum behaviour {
	B_CLEAN,
	B_LISTED,
	B_LISTED_MULTI,
	B_REFUSED,
	B_SLOW,
	B_ERROR500,
	B_GARBAGE,
	B_OVERSIZED,
	B_SILENT,
	B_UNEXPECTED,
	B_ECHO_KEY,
};

/* The behaviour table (docs/lab.md): the address asked about, not the
 * address of the server. Everything else is not listed. */
static const struct {
	const char *ip;
	enum behaviour b;
} table[] = {
    {"127.0.40.2", B_LISTED},
    {"127.0.40.3", B_LISTED_MULTI},
    {"127.0.40.4", B_REFUSED},
    {"127.0.40.5", B_SLOW},
    {"127.0.40.6", B_ERROR500},
    {"127.0.40.7", B_GARBAGE},
    {"127.0.40.8", B_OVERSIZED},
    {"127.0.40.9", B_SILENT},
    {"127.0.40.10", B_UNEXPECTED},
    {"127.0.40.11", B_ECHO_KEY},
    /* IPv6 (32 nibbles), as the mapped form of the listed 127.0.40.2: ::1
     * is every scenario's IPv6 mail host, and a listing there would show
     * in lessons that are not about blocklists */
    {"::ffff:127.0.40.2", B_LISTED},
};

/* The DNSBL zone itself (RFC 5782: the address reversed under the zone, A
 * 127.0.0.2 for "listed", a TXT with the reason), in the master-file syntax
 * of every other lab zone and served by the same answer code. The codes
 * follow the table above: 127.0.40.3 has two, 127.0.40.4 the "refused"
 * code 127.255.255.254 (Spamhaus's "query through a public resolver"),
 * 127.0.40.10 one no list uses; addresses with an HTTP behaviour (500,
 * garbage, 10 MB, silent) never reach the zone. Anything else: NXDOMAIN. */
static const char bl_zone[] =
    "$ORIGIN bl.lab.test.\n"
    "$TTL 900\n"
    "$SCENARIO blocklist\n"
    "$TITLE The lab's DNSBL zone\n"
    "$DOMAIN @\n"
    "@ 60 SOA @ @ 1 3600 600 86400 60\n"
    "2.40.0.127 A 127.0.0.2\n"
    "  TXT \"lab: listed as a spam source; see "
    "https://bl.lab.test/lookup?2.40.0.127.bl.lab.test\"\n"
    "3.40.0.127 A 127.0.0.2\n"
    "  A 127.0.0.4\n"
    "  TXT \"lab: listed as a spam source; see "
    "https://bl.lab.test/lookup?3.40.0.127.bl.lab.test\"\n"
    "4.40.0.127 A 127.255.255.254\n"
    "5.40.0.127 A 127.0.0.2\n"
    "  TXT \"lab: listed as a spam source; see "
    "https://bl.lab.test/lookup?5.40.0.127.bl.lab.test\"\n"
    "10.40.0.127 A 127.0.0.1\n"
    "11.40.0.127 A 127.0.0.2\n"
    "  TXT \"lab: listed as a spam source; see "
    "https://bl.lab.test/lookup?11.40.0.127.bl.lab.test\"\n"
    "2.0.8.2.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 A 127.0.0.2\n"
    "  TXT \"lab: listed as a spam source; see "
    "https://bl.lab.test/"
    "lookup?2.0.8.2.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.lab.test\"\n";

struct conn {
	struct lab_conn base; /* first; its act timer sends the slow answer */
	lab_http *s;
	int answered;
	size_t huge_left; /* of the 10 MB body */
	size_t len;       /* bytes in buf */
	char *pending;    /* the slow answer, sent when delay fires */
	size_t pending_len;
	char buf[LAB_HTTP_HEAD_MAX + HTTP_BODY_MAX]; /* a head, its body */
	char rbuf[4096];
};

struct lab_http {
	struct lab_server sv; /* its connections, and when it is freed */
	struct lab_listener listener;
	lab_world *zone; /* bl_zone, loaded */
	unsigned long requests;
};

static void http_free(void *arg)
{
	lab_http *s = arg;

	lab_world_free(s->zone);
	free(s);
}

/* ---- connections ------------------------------------------------------- */

static void conn_freed(struct lab_conn *b, void *arg)
{
	(void)arg;
	free(((struct conn *)b)->pending);
}

static void conn_close(struct conn *c)
{
	lab_conn_close(&c->base);
}

static void pump_huge(struct conn *c);

/* After each write: more of the 10 MB body, or the end once all is out. */
static void on_written(struct lab_conn *b)
{
	struct conn *c = (struct conn *)b;

	if (c->huge_left)
		pump_huge(c);
	else if (b->writes == 0 && c->answered)
		conn_close(c); /* Connection: close, and everything is out */
}

static void send_raw(struct conn *c, const void *data, size_t len)
{
	if (lab_conn_write(&c->base, data, len, on_written) == 0)
		lab_conn_touch(&c->base);
}

/* Makes the next part of the 10 MB body while the client keeps reading. */
static void pump_huge(struct conn *c)
{
	char chunk[HTTP_CHUNK];

	memset(chunk, 'A', sizeof(chunk));
	while (!c->base.closing && c->huge_left && c->base.outq < HTTP_OUTQ_HIGH) {
		size_t n = c->huge_left < sizeof(chunk) ? c->huge_left : sizeof(chunk);
		c->huge_left -= n;
		send_raw(c, chunk, n);
	}
}

static void respond(struct conn *c, int code, const char *ctype, const void *body, size_t len)
{
	char head[256];
	size_t n = lab_http_response_head(head, sizeof(head), code, ctype, len,
	                                  "Cache-Control: max-age=0\r\n");

	c->answered = 1;
	if (n == 0) {
		conn_close(c);
		return;
	}
	send_raw(c, head, n);
	send_raw(c, body, len);
}

/* A short text body; its length is counted here, never by hand. */
static void respond_text(struct conn *c, int code, const char *text)
{
	respond(c, code, "text/plain", text, strlen(text));
}

/* ---- behaviours --------------------------------------------------------- */

static enum behaviour behaviour_of(int family, const unsigned char *addr)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		unsigned char b[16];
		int af = strchr(table[i].ip, ':') ? AF_INET6 : AF_INET;
		if (af == family && inet_pton(af, table[i].ip, b) == 1 &&
		    memcmp(b, addr, af == AF_INET ? 4 : 16) == 0)
			return table[i].b;
	}
	return B_CLEAN;
}

/* Behaviours that are about HTTP, the same for DoH and the JSON API.
 * Returns 1 when the request has been dealt with. */
static int http_behaviour(struct conn *c, enum behaviour b, const char *ctype)
{
	static const char junk[] = "\x81\x80\x00\x01\xff\xff<html>not what you asked for";

	switch (b) {
	case B_ERROR500: respond_text(c, 500, "lab: internal error\n"); return 1;
	case B_GARBAGE: respond(c, 200, ctype, junk, sizeof(junk) - 1); return 1;
	case B_OVERSIZED: {
		char head[200];
		size_t n = lab_http_response_head(head, sizeof(head), 200, ctype, HTTP_HUGE, NULL);

		c->answered = 1;
		if (n == 0) {
			conn_close(c);
			return 1;
		}
		c->huge_left = HTTP_HUGE;
		send_raw(c, head, n);
		pump_huge(c);
		return 1;
	}
	case B_SILENT: return 1; /* read, and never say a thing */
	default: return 0;
	}
}

/* ---- DNS over HTTPS ------------------------------------------------------ */

/* The address a query name under bl.lab.test stands for (RFC 5782):
 * 4 decimal labels or 32 nibbles. Returns the family, or 0. */
static int qname_addr(const char *name, unsigned char *addr)
{
	static const char zone[] = ".bl.lab.test";
	size_t n = strlen(name), zl = sizeof(zone) - 1;
	char rev[80];
	const char *lab[32];
	size_t nl = 0;

	if (n <= zl || strcasecmp(name + n - zl, zone) != 0 || n - zl >= sizeof(rev))
		return 0;
	memcpy(rev, name, n - zl);
	rev[n - zl] = '\0';
	for (char *p = rev, *tok; (tok = strsep(&p, "."));) {
		if (nl == 32)
			return 0;
		lab[nl++] = tok;
	}
	if (nl == 4) {
		for (int i = 0; i < 4; i++) {
			unsigned long v;
			if (!mx_num_parse(lab[3 - i], 255, &v))
				return 0;
			addr[i] = (unsigned char)v;
		}
		return AF_INET;
	}
	if (nl == 32) {
		memset(addr, 0, 16);
		for (int i = 0; i < 32; i++) {
			const char *l = lab[31 - i];
			int v;
			if (strlen(l) != 1 || !isxdigit((unsigned char)l[0]))
				return 0;
			v = isdigit((unsigned char)l[0]) ? l[0] - '0' : (tolower(l[0]) - 'a' + 10);
			addr[i / 2] |= (unsigned char)(i % 2 ? v : v << 4);
		}
		return AF_INET6;
	}
	return 0;
}

static size_t b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int v;
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-')
			v = 62;
		else if (ch == '_')
			v = 63;
		else if (ch == '=')
			break; /* RFC 8484 says no padding; be lenient about it */
		else
			return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return 0;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static void send_dns(struct conn *c, const unsigned char *msg, size_t len)
{
	respond(c, 200, "application/dns-message", msg, len);
}

static void on_delay(uv_timer_t *t)
{
	struct conn *c = t->data;

	send_dns(c, (unsigned char *)c->pending, c->pending_len);
}

/* The DNS answer comes from the zone above through the lab's one DNS
 * codec (lab_dns_answer), as for every other lab zone; only which HTTP
 * behaviour to act out depends on the name asked about. */
static void doh(struct conn *c, const unsigned char *q, size_t qlen)
{
	unsigned char out[DNS_MAX], addr[16];
	char name[LAB_DNS_NAME_TEXT];
	enum behaviour b = B_CLEAN;
	int fam;
	size_t n;

	if (lab_dns_question(q, qlen, name, sizeof(name)) != 0) {
		respond_text(c, 400, "not a DNS query\n");
		return;
	}
	fam = qname_addr(name, addr);
	if (fam)
		b = behaviour_of(fam, addr);
	if (http_behaviour(c, b, "application/dns-message"))
		return;
	n = lab_dns_answer(c->s->zone, q, qlen, out, sizeof(out), 1);
	if (n == 0) {
		respond_text(c, 400, "not a DNS query\n");
		return;
	}
	if (b == B_SLOW) {
		c->pending = malloc(n);
		if (!c->pending) {
			conn_close(c);
			return;
		}
		memcpy(c->pending, out, n);
		c->pending_len = n;
		c->base.busy = 1;
		uv_timer_start(&c->base.act, on_delay, HTTP_SLOW_MS, 0);
		return;
	}
	send_dns(c, out, n);
}

/* ---- the JSON API -------------------------------------------------------- */

static void on_delay_json(uv_timer_t *t)
{
	struct conn *c = t->data;

	respond(c, 200, "application/json", c->pending, c->pending_len);
}

/* A JSON body made by jansson, sent with its exact length (never a
 * hand-counted one), now or, for the slow behaviour, after the delay.
 * Takes obj. */
static void respond_json(struct conn *c, int code, json_t *obj, bool slow)
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(obj);
	if (!body) {
		conn_close(c);
		return;
	}
	if (slow) {
		c->pending = body;
		c->pending_len = strlen(body);
		c->base.busy = 1;
		uv_timer_start(&c->base.act, on_delay_json, HTTP_SLOW_MS, 0);
		return;
	}
	respond(c, code, "application/json", body, strlen(body));
	free(body);
}

static json_t *error_json(const char *what)
{
	return json_pack("{s:s}", "error", what);
}

static void api(struct conn *c, const char *ip, const char *key)
{
	unsigned char addr[16];
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	enum behaviour b;
	char safe_key[128] = "", reason[200];
	json_t *obj;

	if (inet_pton(fam, ip, addr) != 1) {
		respond_json(c, 400, error_json("not an address"), false);
		return;
	}
	b = behaviour_of(fam, addr);
	if (http_behaviour(c, b, "application/json"))
		return;
	/* the key a client sent, printable ASCII only, for the echo behaviour */
	for (size_t i = 0, o = 0; key && key[i] && o + 1 < sizeof(safe_key); i++)
		if (key[i] > 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\')
			safe_key[o++] = key[i], safe_key[o] = '\0';
	switch (b) {
	case B_REFUSED: respond_json(c, 429, error_json("rate limited"), false); return;
	case B_UNEXPECTED: obj = json_pack("{s:s,s:s}", "ip", ip, "listed", "maybe"); break;
	case B_ECHO_KEY:
		snprintf(reason, sizeof(reason), "checked with key %s", safe_key);
		obj = json_pack("{s:s,s:b,s:s}", "ip", ip, "listed", 1, "reason", reason);
		break;
	case B_CLEAN: obj = json_pack("{s:s,s:b}", "ip", ip, "listed", 0); break;
	default:
		snprintf(reason, sizeof(reason), "lab: %s is listed as a spam source", ip);
		obj = json_pack("{s:s,s:b,s:[s],s:s}", "ip", ip, "listed", 1, "codes", "127.0.0.2",
		                "reason", reason);
		if (obj && b == B_LISTED_MULTI)
			json_array_append_new(json_object_get(obj, "codes"),
			                      json_string("127.0.0.4"));
		break;
	}
	respond_json(c, 200, obj, b == B_SLOW);
}

/* ---- requests ------------------------------------------------------------ */

/* Looks at what has been read; answers once a whole request is there. */
static void request(struct conn *c)
{
	struct lab_http_req r;
	const char *val, *target;
	char key[128];
	size_t body_len = 0;
	int st;

	if (c->answered || c->huge_left || c->pending)
		return; /* one request per connection; the rest is dropped */
	st = lab_http_parse(&r, c->buf, c->len);
	if (st == 0)
		return;
	if (st != 200) {
		respond_text(c, st, st == 431 ? "request head too large\n" : "bad request head\n");
		return;
	}
	if ((val = lab_http_header(&r, "Content-Length"))) {
		unsigned long v;
		if (!mx_num_parse(val, HTTP_BODY_MAX, &v)) {
			respond_text(c, 400, "bad Content-Length\n");
			return;
		}
		body_len = v;
	}
	if (c->len < r.head_len + body_len)
		return; /* not all there yet: look again after the next read */
	c->s->requests++;
	snprintf(key, sizeof(key), "%s", (val = lab_http_header(&r, "X-Api-Key")) ? val : "");
	target = r.target;
	if (strncmp(target, "/dns-query", 10) == 0 && (target[10] == '\0' || target[10] == '?')) {
		unsigned char q[DNS_MAX];
		if (strcmp(r.method, "POST") == 0) {
			doh(c, (unsigned char *)c->buf + r.head_len, body_len);
		} else if (strcmp(r.method, "GET") == 0) {
			const char *d = strstr(target, "?dns=");
			size_t n;
			if (!d)
				d = strstr(target, "&dns=");
			n = d ? b64url_decode(d + 5, strcspn(d + 5, "&"), q, sizeof(q)) : 0;
			if (n == 0)
				respond_text(c, 400, "expected ?dns=BASE64URL\n");
			else
				doh(c, q, n);
		} else {
			respond_text(c, 405, "GET or POST\n");
		}
		return;
	}
	if (strncmp(target, "/api/check/", 11) == 0 && strcmp(r.method, "GET") == 0 &&
	    strlen(target + 11) < 64) {
		api(c, target + 11, key);
		return;
	}
	respond_text(c, 404, "not here\n");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	size_t room;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0 || c->base.closing)
		return;
	lab_conn_touch(&c->base);
	room = sizeof(c->buf) - c->len;
	if ((size_t)nread > room)
		nread = (ssize_t)room; /* beyond the bounds: request() says so */
	memcpy(c->buf + c->len, buf->base, (size_t)nread);
	c->len += (size_t)nread;
	request(c);
}

static void on_connection(uv_stream_t *ls, int status)
{
	lab_http *s = ls->data;
	struct conn *c;

	c = (struct conn *)lab_server_accept(&s->sv, ls, status, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	if (uv_read_start((uv_stream_t *)&c->base.tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

/* ---- public --------------------------------------------------------------- */

lab_http *lab_http_new(uv_loop_t *loop, const char *addr, int port, char **why)
{
	lab_http *s = calloc(1, sizeof(*s));

	if (!s) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	s->zone = lab_world_new();
	if (!s->zone ||
	    lab_world_load_string(s->zone, "builtin:" LAB_HTTP_ZONE, bl_zone, why) != MXS_OK) {
		if (!s->zone)
			mxs_why(why, "out of memory");
		http_free(s);
		return NULL;
	}
	lab_server_init(&s->sv, loop, HTTP_MAX_CONNS, HTTP_IDLE_MS, conn_freed, http_free, s);
	if (lab_listener_open(&s->listener, &s->sv, s, addr, port, 128, on_connection, why) != 0) {
		lab_server_close(&s->sv);
		return NULL;
	}
	return s;
}

int lab_http_port(const lab_http *s)
{
	return s->listener.port;
}

const char *lab_http_address(const lab_http *s)
{
	return s->listener.where;
}

unsigned long lab_http_requests(const lab_http *s)
{
	return s->requests;
}

size_t lab_http_connections(const lab_http *s)
{
	return s->sv.conns.n;
}

void lab_http_close(lab_http *s)
{
	if (!s || s->sv.closing)
		return;
	lab_listener_close(&s->listener);
	lab_server_close(&s->sv);
}
