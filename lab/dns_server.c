/* lab/dns_server.c — the lab's authoritative DNS server: lab_dns_answer()
 * turns one query into one answer from the world (pure, no I/O), and
 * lab_dns_* serve it over UDP and TCP on the libuv loop.
 *
 * Queries are untrusted bytes: every read is bounded by the message length,
 * compression pointers must point strictly backwards (so following them
 * ends), and names are capped at 255 bytes. */
#include "lab.h"
#include "lab_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAB_EDNS_SIZE  1232 /* what we advertise and the most we send over UDP */
#define LAB_CNAME_HOPS 8
#define LAB_CTAB       128 /* names remembered for compression */
#define LAB_TCP_MAX    65535

enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_NXDOMAIN = 3, RC_NOTIMP = 4, RC_REFUSED = 5 };

/* ---- reading the query ------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Reads the name at *pos into out (uncompressed wire form, case kept).
 * Returns -1 on anything malformed. */
static int read_name(const uint8_t *m, size_t mlen, size_t *pos, uint8_t out[256], size_t *outlen)
{
	size_t p = *pos, o = 0, limit = *pos; /* a pointer must go below limit */
	size_t after = 0;
	int jumped = 0;

	for (;;) {
		uint8_t c;

		if (p >= mlen)
			return -1;
		c = m[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= mlen)
				return -1;
			target = ((size_t)(c & 0x3f) << 8) | m[p + 1];
			if (target >= limit)
				return -1;
			if (!jumped)
				after = p + 2;
			jumped = 1;
			limit = target;
			p = target;
			continue;
		}
		if (c & 0xc0)
			return -1; /* 0x40 and 0x80 label types are obsolete or unknown */
		if (o + 1u + c > 255)
			return -1;
		if (c == 0) {
			out[o++] = 0;
			p++;
			break;
		}
		if (p + 1 + c > mlen)
			return -1;
		memcpy(out + o, m + p, (size_t)c + 1);
		o += (size_t)c + 1;
		p += (size_t)c + 1;
	}
	*pos = jumped ? after : p;
	*outlen = o;
	return 0;
}

static int skip_rr(const uint8_t *m, size_t mlen, size_t *pos)
{
	uint8_t n[256];
	size_t nl;

	if (read_name(m, mlen, pos, n, &nl) != 0 || *pos + 10 > mlen)
		return -1;
	*pos += 10 + (size_t)get16(m + *pos + 8);
	return *pos <= mlen ? 0 : -1;
}

/* ---- writing the answer ------------------------------------------------------ */

struct msg {
	uint8_t *b;
	size_t cap, len;
	int overflow;
	struct {
		const uint8_t *name; /* lower-case wire suffix */
		uint16_t len;
		uint16_t off;
	} ct[LAB_CTAB];
	size_t nct;
};

static void put(struct msg *m, const void *v, size_t len)
{
	if (m->overflow || len > m->cap - m->len) {
		m->overflow = 1;
		return;
	}
	memcpy(m->b + m->len, v, len);
	m->len += len;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put(m, b, 4);
}

static size_t name_len(const uint8_t *n)
{
	size_t i = 0;

	while (n[i] != 0)
		i += (size_t)n[i] + 1;
	return i + 1;
}

/* Writes name (lower-case wire) using and feeding the compression table.
 * shown is what goes on the wire (the question keeps the client's case). */
static void put_name(struct msg *m, const uint8_t *name, const uint8_t *shown, int compress)
{
	size_t len = name_len(name), start = m->len, i = 0;
	long ptr = -1;

	if (compress) {
		for (i = 0; name[i] != 0; i += (size_t)name[i] + 1) {
			for (size_t k = 0; k < m->nct; k++)
				if (m->ct[k].len == len - i &&
				    memcmp(m->ct[k].name, name + i, len - i) == 0) {
					ptr = m->ct[k].off;
					break;
				}
			if (ptr >= 0)
				break;
		}
	} else {
		i = len - 1;
	}
	put(m, shown, i);
	if (ptr >= 0)
		put16(m, (uint16_t)(0xc000 | ptr));
	else
		put(m, "", 1);
	if (m->overflow)
		return;
	for (size_t j = 0; j < i && m->nct < LAB_CTAB && start + j < 0x4000;
	     j += (size_t)name[j] + 1) {
		m->ct[m->nct].name = name + j;
		m->ct[m->nct].len = (uint16_t)(len - j);
		m->ct[m->nct].off = (uint16_t)(start + j);
		m->nct++;
	}
}

static void put_rr(struct msg *m, const uint8_t *owner, const struct lab_rr *r, uint32_t ttl)
{
	size_t rdpos;
	const uint8_t *d = r->rdata;

	put_name(m, owner, owner, 1);
	put16(m, r->type);
	put16(m, 1);
	put32(m, ttl);
	rdpos = m->len;
	put16(m, 0);
	/* RFC 3597 §4: only the RFC 1035 types may have their names compressed. */
	switch (r->type) {
	case LAB_T_MX:
		put(m, d, 2);
		put_name(m, d + 2, d + 2, 1);
		break;
	case LAB_T_CNAME:
	case LAB_T_NS:
	case LAB_T_PTR: put_name(m, d, d, 1); break;
	case LAB_T_SOA: {
		size_t l1 = name_len(d), l2 = name_len(d + l1);

		put_name(m, d, d, 1);
		put_name(m, d + l1, d + l1, 1);
		put(m, d + l1 + l2, 20);
		break;
	}
	default: put(m, d, r->rdlen); break;
	}
	if (!m->overflow) {
		size_t rdlen = m->len - rdpos - 2;

		m->b[rdpos] = (uint8_t)(rdlen >> 8);
		m->b[rdpos + 1] = (uint8_t)rdlen;
	}
}

static uint32_t soa_min(const struct lab_rr *soa)
{
	const uint8_t *p = soa->rdata + soa->rdlen - 4;
	uint32_t min =
	    ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];

	return min < soa->ttl ? min : soa->ttl; /* RFC 2308 §3 */
}

static const struct lab_rr *find_type(const struct lab_node *n, uint16_t type)
{
	for (const struct lab_rr *r = n->rrs; r; r = r->next)
		if (r->type == type)
			return r;
	return NULL;
}

/* The closest enclosing name that has an SOA: where our authority comes from. */
static const struct lab_node *find_apex(const lab_world *w, const uint8_t *name)
{
	size_t len = name_len(name);

	for (;;) {
		const struct lab_node *n = lab_world_node(w, name, len);

		if (n && n->has_soa)
			return n;
		if (name[0] == 0)
			return NULL;
		len -= (size_t)name[0] + 1;
		name += name[0] + 1;
	}
}

/* Whether name is in a zone a scenario marks $SIGNED: the name itself or an
 * ancestor carries the mark. */
static int in_signed_zone(const lab_world *w, const uint8_t *name)
{
	size_t len = name_len(name);

	for (;;) {
		const struct lab_node *n = lab_world_node(w, name, len);

		if (n && n->is_signed)
			return 1;
		if (name[0] == 0)
			return 0;
		len -= (size_t)name[0] + 1;
		name += name[0] + 1;
	}
}

static void lower_name(uint8_t *n)
{
	for (size_t i = 0; n[i] != 0; i += (size_t)n[i] + 1)
		for (size_t k = 1; k <= n[i]; k++)
			if (n[i + k] >= 'A' && n[i + k] <= 'Z')
				n[i + k] = (uint8_t)(n[i + k] + 32);
}

static size_t header_only(uint8_t *out, size_t outcap, const uint8_t *q, int rcode)
{
	if (outcap < 12)
		return 0;
	memset(out, 0, 12);
	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode and RD copied */
	out[3] = (uint8_t)rcode;
	return 12;
}

struct query {
	uint8_t qname[256];    /* as sent */
	uint8_t qname_lc[256]; /* lower-cased, for lookups and compression */
	size_t qnamelen;
	uint16_t qtype, qclass;
	int edns;
	unsigned edns_version;
	uint16_t edns_size;
	int wants_ad; /* AD or DO set: the client understands AD (RFC 6840 §5.7) */
};

/* Fills the answer and authority sections; returns the rcode. */
static int resolve(const lab_world *w, const struct query *q, struct msg *m, uint16_t *an,
                   uint16_t *ns, int *aa, int *secure)
{
	const uint8_t *cur = q->qname_lc;
	const struct lab_node *apex = find_apex(w, cur);
	const struct lab_node *visited[LAB_CNAME_HOPS + 1];
	size_t nvisited = 0;
	const struct lab_rr *soa;

	if (!apex)
		return RC_REFUSED;
	*aa = 1;
	/* a zone the scenario marks $SIGNED: the lab vouches for it as a
	 * validating resolver would (real validation: tests/test_dane_unbound) */
	*secure = in_signed_zone(w, cur);
	for (;;) {
		const struct lab_node *n = lab_world_node(w, cur, name_len(cur));
		const struct lab_rr *cname;
		size_t found = 0;

		if (!n) {
			soa = find_type(apex, LAB_T_SOA);
			put_rr(m, apex->name, soa, soa_min(soa));
			(*ns)++;
			return RC_NXDOMAIN;
		}
		cname = n->has_cname ? find_type(n, LAB_T_CNAME) : NULL;
		if (cname && q->qtype != LAB_T_CNAME && q->qtype != LAB_T_ANY) {
			const uint8_t *target = cname->rdata;
			const struct lab_node *tn, *tapex;
			int loop = 0;

			put_rr(m, n->name, cname, cname->ttl);
			(*an)++;
			visited[nvisited++] = n;
			if (nvisited >= LAB_CNAME_HOPS)
				return RC_NOERROR;
			tn = lab_world_node(w, target, name_len(target));
			for (size_t i = 0; tn && i < nvisited; i++)
				loop |= visited[i] == tn;
			tapex = find_apex(w, target);
			if (loop || !tapex)
				return RC_NOERROR; /* a loop, or the chain leaves what we serve */
			apex = tapex;
			*secure &= in_signed_zone(w, target);
			cur = target;
			continue;
		}
		for (const struct lab_rr *r = n->rrs; r; r = r->next)
			if (r->type == q->qtype || q->qtype == LAB_T_ANY) {
				put_rr(m, n->name, r, r->ttl);
				(*an)++;
				found++;
			}
		if (found == 0) {
			soa = find_type(apex, LAB_T_SOA);
			put_rr(m, apex->name, soa, soa_min(soa));
			(*ns)++;
		}
		return RC_NOERROR;
	}
}

size_t lab_dns_answer(const lab_world *w, const uint8_t *query, size_t qlen, uint8_t *out,
                      size_t outcap, int over_tcp)
{
	struct query q;
	struct msg msg; /* on the stack: no allocation per packet */
	struct msg *m = &msg;
	size_t pos = 12, qend, limit, n = 0;
	uint16_t qd, an, nscount, ar, ans = 0, auth = 0;
	int rcode, aa = 0, secure = 0;

	if (!query || !out || qlen < 12)
		return 0;
	if (query[2] & 0x80)
		return 0; /* a response: answering it could start a loop */
	if (((query[2] >> 3) & 0x0f) != 0)
		return header_only(out, outcap, query, RC_NOTIMP);
	qd = get16(query + 4);
	an = get16(query + 6);
	nscount = get16(query + 8);
	ar = get16(query + 10);
	memset(&q, 0, sizeof(q));
	if (qd != 1 || read_name(query, qlen, &pos, q.qname, &q.qnamelen) != 0 || pos + 4 > qlen)
		return header_only(out, outcap, query, RC_FORMERR);
	q.qtype = get16(query + pos);
	q.qclass = get16(query + pos + 2);
	pos += 4;
	q.wants_ad = query[3] & 0x20; /* AD */
	memcpy(q.qname_lc, q.qname, q.qnamelen);
	lower_name(q.qname_lc);
	for (uint32_t i = 0; i < (uint32_t)an + nscount; i++)
		if (skip_rr(query, qlen, &pos) != 0)
			return header_only(out, outcap, query, RC_FORMERR);
	for (uint32_t i = 0; i < ar; i++) {
		uint8_t nm[256];
		size_t nl, p0 = pos;

		if (read_name(query, qlen, &pos, nm, &nl) != 0 || pos + 10 > qlen)
			return header_only(out, outcap, query, RC_FORMERR);
		if (get16(query + pos) == LAB_T_OPT) {
			if (nl != 1 || q.edns) /* RFC 6891 §6.1.1: one OPT, owned by the root */
				return header_only(out, outcap, query, RC_FORMERR);
			q.edns = 1;
			q.edns_size = get16(query + pos + 2);
			q.edns_version = query[pos + 5];
			q.wants_ad |= query[pos + 6] & 0x80; /* DO */
		}
		pos = p0;
		if (skip_rr(query, qlen, &pos) != 0)
			return header_only(out, outcap, query, RC_FORMERR);
	}

	if (over_tcp)
		limit = LAB_TCP_MAX;
	else if (q.edns)
		limit = q.edns_size < 512             ? 512
		        : q.edns_size > LAB_EDNS_SIZE ? LAB_EDNS_SIZE
		                                      : q.edns_size;
	else
		limit = 512;
	if (limit > outcap)
		limit = outcap;

	m->b = out;
	m->cap = limit - (q.edns ? 11 : 0);
	m->len = 12;
	m->overflow = limit < 12 + (q.edns ? 11 : 0);
	m->nct = 0;
	if (m->overflow)
		goto done;
	put_name(m, q.qname_lc, q.qname, 1);
	put16(m, q.qtype);
	put16(m, q.qclass);
	if (m->overflow)
		goto done; /* no room even for the question */
	qend = m->len;

	if (q.edns && q.edns_version != 0)
		rcode = 16; /* BADVERS; RFC 6891 §6.1.3 */
	else if (q.qtype == LAB_T_OPT)
		rcode = RC_FORMERR;
	else if (q.qclass != 1 && q.qclass != LAB_T_ANY)
		rcode = RC_REFUSED;
	else if (q.qtype == 251 || q.qtype == 252)
		rcode = RC_REFUSED; /* no zone transfers from the lab */
	else if (q.qtype == 253 || q.qtype == 254)
		rcode = RC_NOTIMP;
	else
		rcode = resolve(w, &q, m, &ans, &auth, &aa, &secure);

	if (m->overflow) {
		m->overflow = 0;
		m->len = qend;
		ans = auth = 0;
		out[2] = 0x02; /* TC */
	} else {
		out[2] = 0;
	}
	out[0] = query[0];
	out[1] = query[1];
	out[2] |= (uint8_t)(0x80 | (query[2] & 0x01) | (aa ? 0x04 : 0));
	out[3] = (uint8_t)(rcode & 0x0f);
	if (secure && q.wants_ad && (rcode == RC_NOERROR || rcode == RC_NXDOMAIN))
		out[3] |= 0x20; /* AD */
	out[4] = 0;
	out[5] = 1;
	out[6] = (uint8_t)(ans >> 8);
	out[7] = (uint8_t)ans;
	out[8] = (uint8_t)(auth >> 8);
	out[9] = (uint8_t)auth;
	out[10] = 0;
	out[11] = q.edns ? 1 : 0;
	if (q.edns) {
		m->cap = limit;
		put(m, "", 1);
		put16(m, LAB_T_OPT);
		put16(m, LAB_EDNS_SIZE);
		put(m, (uint8_t[]){(uint8_t)(rcode >> 4), 0, 0, 0}, 4);
		put16(m, 0);
	}
	n = m->overflow ? 0 : m->len;
done:
	return n;
}

int lab_dns_question(const uint8_t *q, size_t qlen, char *name, size_t cap)
{
	uint8_t n[256];
	size_t pos = 12, len;

	if (!q || qlen < 12 || (q[2] & 0x80) || get16(q + 4) != 1 || cap < LAB_DNS_NAME_TEXT ||
	    read_name(q, qlen, &pos, n, &len) != 0 || pos + 4 > qlen)
		return -1;
	lower_name(n);
	lab_name_to_text(n, name);
	return 0;
}

/* ---- the server ---------------------------------------------------------- */

#define LAB_TCP_CONNS    256
#define LAB_TCP_IDLE_MS  10000
#define LAB_TCP_PENDING  64 /* answers queued per connection before we stop reading */
#define LAB_UDP_INFLIGHT 1024
#define LAB_UDP_POOL     64
#define LAB_BIND_TRIES   8

struct udp_send {
	uv_udp_send_t req;
	struct udp_send *next;
	lab_dns *s;
	uint8_t data[LAB_EDNS_SIZE];
};

struct conn {
	struct lab_conn base; /* first: the handles' data points at both */
	lab_dns *s;
	int reading;
	size_t len;
	uint8_t buf[2 + LAB_TCP_MAX];
};

struct lab_dns {
	uv_loop_t *loop;
	const lab_world *w;
	uv_udp_t *udp;
	uv_tcp_t *tcp;
	int port;
	struct lab_server sv; /* its connections, and when it is freed; handles: udp, tcp */
	struct udp_send *pool;
	size_t npool, inflight;
	uint8_t rbuf[65536];
	uint8_t sbuf[2 + LAB_TCP_MAX]; /* an answer; over TCP after its length */
	unsigned long asked[256];      /* questions by type (lab_dns_questions); [0]: others */
};

/* Counts one question by its type, for tests that prove what was not asked. */
static void count_question(lab_dns *s, const uint8_t *q, size_t len)
{
	uint8_t name[256];
	size_t pos = 12, nl;
	unsigned t;

	if (len < 12 || get16(q + 4) != 1 || read_name(q, len, &pos, name, &nl) != 0 ||
	    pos + 2 > len)
		return;
	t = get16(q + pos);
	s->asked[t < 256 ? t : 0]++;
}

static void dns_free(void *arg)
{
	lab_dns *s = arg;

	while (s->pool) {
		struct udp_send *u = s->pool;

		s->pool = u->next;
		free(u);
	}
	free(s);
}

static void on_server_handle_closed(uv_handle_t *h)
{
	lab_dns *s = h->data;

	free(h);
	lab_server_release(&s->sv); /* the last thing: may free s */
}

/* -- UDP -- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	lab_dns *s = h->data;

	(void)suggested;
	/* One buffer is enough: libuv hands each datagram to on_udp before
	 * asking for the next buffer. */
	buf->base = (char *)s->rbuf;
	buf->len = sizeof(s->rbuf);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	struct udp_send *u = (struct udp_send *)req;
	lab_dns *s = u->s;

	(void)status;
	s->inflight--;
	if (s->npool < LAB_UDP_POOL) {
		u->next = s->pool;
		s->pool = u;
		s->npool++;
	} else {
		free(u);
	}
}

static void on_udp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                   unsigned flags)
{
	lab_dns *s = h->data;
	size_t n;
	uv_buf_t b;
	int rc;
	struct udp_send *u;

	if (nread <= 0 || !addr || (flags & UV_UDP_PARTIAL) || s->sv.closing)
		return;
	count_question(s, (const uint8_t *)buf->base, (size_t)nread);
	n = lab_dns_answer(s->w, (const uint8_t *)buf->base, (size_t)nread, s->sbuf, LAB_EDNS_SIZE,
	                   0);
	if (n == 0)
		return;
	b = uv_buf_init((char *)s->sbuf, (unsigned)n);
	rc = uv_udp_try_send(h, &b, 1, addr);
	if (rc != UV_EAGAIN)
		return; /* sent, or a send error UDP does not retry */
	if (s->inflight >= LAB_UDP_INFLIGHT)
		return; /* the client will retry; better than growing without bound */
	if (s->pool) {
		u = s->pool;
		s->pool = u->next;
		s->npool--;
	} else if (!(u = malloc(sizeof(*u)))) {
		return;
	}
	u->s = s;
	memcpy(u->data, s->sbuf, n);
	b = uv_buf_init((char *)u->data, (unsigned)n);
	if (uv_udp_send(&u->req, h, &b, 1, addr, on_udp_sent) != 0) {
		free(u);
		return;
	}
	s->inflight++;
}

/* -- TCP -- */

static void conn_close(struct conn *c)
{
	lab_conn_close(&c->base);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = (char *)c->buf + c->len;
	buf->len = sizeof(c->buf) - c->len;
}

static void conn_drain(struct conn *c);
static void on_conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* A written answer makes room for the next ones. */
static void on_tcp_sent(struct lab_conn *b)
{
	conn_drain((struct conn *)b);
}

/* Answers every complete message in the buffer, as far as the write queue
 * allows; reading pauses while a client does not read its answers. */
static void conn_drain(struct conn *c)
{
	lab_dns *s = c->s;
	size_t off = 0;

	while (!c->base.closing && c->len - off >= 2 && c->base.writes < LAB_TCP_PENDING) {
		size_t mlen = get16(c->buf + off), n;

		if (c->len - off - 2 < mlen)
			break;
		count_question(s, c->buf + off + 2, mlen);
		n = lab_dns_answer(s->w, c->buf + off + 2, mlen, s->sbuf + 2, LAB_TCP_MAX, 1);
		off += 2 + mlen;
		if (n == 0)
			continue;
		s->sbuf[0] = (uint8_t)(n >> 8);
		s->sbuf[1] = (uint8_t)n;
		lab_conn_write(&c->base, s->sbuf, n + 2, on_tcp_sent);
	}
	if (c->base.closing)
		return;
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	if (c->base.writes >= LAB_TCP_PENDING && c->reading) {
		uv_read_stop((uv_stream_t *)&c->base.tcp);
		c->reading = 0;
	} else if (c->base.writes < LAB_TCP_PENDING && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->base.tcp, conn_alloc, on_conn_read) == 0)
			c->reading = 1;
		else
			conn_close(c);
	}
}

static void on_conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	(void)buf;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0 || c->base.closing)
		return;
	c->len += (size_t)nread;
	lab_conn_touch(&c->base);
	conn_drain(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
	lab_dns *s = listener->data;
	struct conn *c;

	c = (struct conn *)lab_server_accept(&s->sv, listener, status, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	conn_drain(c); /* starts reading */
}

/* -- setup -- */

static void close_listeners(lab_dns *s)
{
	if (s->udp) {
		uv_close((uv_handle_t *)s->udp, on_server_handle_closed);
		s->udp = NULL;
	}
	if (s->tcp) {
		uv_close((uv_handle_t *)s->tcp, on_server_handle_closed);
		s->tcp = NULL;
	}
}

static void describe(char *out, size_t outsz, const char *addr, int port, int v6)
{
	snprintf(out, outsz, v6 ? "[%s]:%d" : "%s:%d", addr, port);
}

lab_dns *lab_dns_new(uv_loop_t *loop, const lab_world *w, const char *addr, int port, char **why)
{
	lab_dns *s = NULL;
	struct sockaddr_storage ss;
	int v6 = 0, rc = 0;
	char where[128];
	const char *step = "";

	if (!loop || !w || !addr || port < 0 || port > 65535) {
		mxs_why(why, "lab DNS: bad arguments");
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss) != 0) {
		if (uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss) != 0) {
			mxs_why(why, "%.64s: not an IPv4 or IPv6 address", addr);
			return NULL;
		}
		v6 = 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		mxs_why(why, "lab DNS: out of memory");
		return NULL;
	}
	s->loop = loop;
	s->w = w;
	lab_server_init(&s->sv, loop, LAB_TCP_CONNS, LAB_TCP_IDLE_MS, NULL, dns_free, s);
	describe(where, sizeof(where), addr, port, v6);
	for (int attempt = 0; attempt < LAB_BIND_TRIES; attempt++) {
		struct sockaddr_storage bound;
		int blen = sizeof(bound);

		s->udp = malloc(sizeof(*s->udp));
		s->tcp = malloc(sizeof(*s->tcp));
		if (!s->udp || !s->tcp) {
			free(s->udp);
			free(s->tcp);
			s->udp = NULL;
			s->tcp = NULL;
			rc = UV_ENOMEM;
			step = "";
			goto done;
		}
		uv_udp_init(loop, s->udp);
		uv_tcp_init(loop, s->tcp);
		s->udp->data = s;
		s->tcp->data = s;
		lab_server_hold(&s->sv); /* udp */
		lab_server_hold(&s->sv); /* tcp */
		step = " (UDP)";
		rc = uv_udp_bind(s->udp, (const struct sockaddr *)&ss, v6 ? UV_UDP_IPV6ONLY : 0);
		if (rc == 0)
			rc = uv_udp_getsockname(s->udp, (struct sockaddr *)&bound, &blen);
		if (rc != 0)
			goto done;
		s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
		                   : ((struct sockaddr_in *)&bound)->sin_port);
		if (v6)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)s->port);
		else
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)s->port);
		describe(where, sizeof(where), addr, s->port, v6);
		step = " (TCP)";
		rc = uv_tcp_bind(s->tcp, (const struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
		if (rc == 0)
			rc = uv_listen((uv_stream_t *)s->tcp, 128, on_connection);
		if (rc == 0)
			break;
		if (rc != UV_EADDRINUSE || port != 0)
			goto done;
		/* Someone holds this port for TCP only: start over on another. */
		close_listeners(s);
		if (v6)
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		else
			((struct sockaddr_in *)&ss)->sin_port = 0;
	}
	if (rc != 0)
		goto done;
	{
		int size = 4 * 1024 * 1024;

		/* Bursts from a benchmark must not overflow the default buffer;
		 * the kernel may cap this, which is fine. */
		uv_recv_buffer_size((uv_handle_t *)s->udp, &size);
	}
	rc = uv_udp_recv_start(s->udp, udp_alloc, on_udp);
	step = " (UDP)";
done:
	if (rc != 0) {
		mxs_why(why, "%s%s: %s", where, step, uv_strerror(rc));
		close_listeners(s);
		lab_server_close(&s->sv);
		return NULL;
	}
	return s;
}

int lab_dns_port(const lab_dns *s)
{
	return s ? s->port : 0;
}

unsigned long lab_dns_questions(const lab_dns *s, unsigned qtype)
{
	return s && qtype > 0 && qtype < 256 ? s->asked[qtype] : 0;
}

void lab_dns_close(lab_dns *s)
{
	if (!s || s->sv.closing)
		return;
	close_listeners(s);
	lab_server_close(&s->sv);
}
