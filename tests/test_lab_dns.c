/* tests/test_lab_dns.c — the lab's DNS answers (lab_dns_answer on
 * hand-built queries, decoded by an independent parser here) and the real
 * server on loopback sockets (UDP, TCP, port clash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lab.h"

enum {
	T_A = 1,
	T_NS = 2,
	T_CNAME = 5,
	T_SOA = 6,
	T_MX = 15,
	T_TXT = 16,
	T_AAAA = 28,
	T_SRV = 33,
	T_OPT = 41,
	T_ANY = 255
};

/* ---- building queries ------------------------------------------------------ */

/* edns: 0 none, else the UDP size to advertise. Returns the length. */
static size_t mkquery(uint8_t *q, uint16_t id, const char *name, uint16_t qtype, uint16_t edns)
{
	size_t o = 12;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		q[o++] = (uint8_t)l;
		memcpy(q + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	q[o++] = 0;
	q[o++] = (uint8_t)(qtype >> 8);
	q[o++] = (uint8_t)qtype;
	q[o++] = 0;
	q[o++] = 1;
	if (edns) {
		q[11] = 1;
		q[o++] = 0;
		q[o++] = 0;
		q[o++] = T_OPT;
		q[o++] = (uint8_t)(edns >> 8);
		q[o++] = (uint8_t)edns;
		memset(q + o, 0, 6);
		o += 6;
	}
	return o;
}

/* ---- decoding answers (independent of the server's code) ----------------- */

struct rr {
	char name[300];
	uint16_t type, cls;
	uint32_t ttl;
	char data[700]; /* presentation form of the rdata */
	size_t rdlen;
};

struct reply {
	uint16_t id, flags;
	int rcode;
	uint16_t qd, an, ns, ar;
	char qname[300];
	uint16_t qtype;
	struct rr rr[64];
	size_t nrr;
	int opt;
	uint16_t opt_size;
	uint8_t opt_ercode;
	int pointers; /* how many compression pointers were seen */
};

static int dname(const uint8_t *m, size_t len, size_t *pos, char *out, int *pointers)
{
	size_t p = *pos, o = 0;
	int jumps = 0, jumped = 0;

	out[0] = '\0';
	for (;;) {
		if (p >= len)
			return -1;
		if ((m[p] & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > 20)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			(*pointers)++;
			p = ((size_t)(m[p] & 0x3f) << 8) | m[p + 1];
			continue;
		}
		if (m[p] == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if (p + 1 + m[p] > len || o + m[p] + 2 > 299)
			return -1;
		memcpy(out + o, m + p + 1, m[p]);
		o += m[p];
		out[o++] = '.';
		out[o] = '\0';
		p += 1 + (size_t)m[p];
	}
	if (o == 0)
		strcpy(out, ".");
	else
		out[o - 1] = '\0'; /* no final dot */
	return 0;
}

static uint32_t g32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void decode(const uint8_t *m, size_t len, struct reply *r)
{
	size_t pos = 12;

	memset(r, 0, sizeof(*r));
	assert_true(len >= 12);
	r->id = g16(m);
	r->flags = g16(m + 2);
	r->rcode = m[3] & 0x0f;
	r->qd = g16(m + 4);
	r->an = g16(m + 6);
	r->ns = g16(m + 8);
	r->ar = g16(m + 10);
	if (r->qd == 1) {
		assert_int_equal(dname(m, len, &pos, r->qname, &r->pointers), 0);
		assert_true(pos + 4 <= len);
		r->qtype = g16(m + pos);
		pos += 4;
	}
	for (size_t i = 0; i < (size_t)r->an + r->ns + r->ar; i++) {
		struct rr *x = &r->rr[r->nrr];
		size_t rd, end;

		assert_true(r->nrr < 64);
		assert_int_equal(dname(m, len, &pos, x->name, &r->pointers), 0);
		assert_true(pos + 10 <= len);
		x->type = g16(m + pos);
		x->cls = g16(m + pos + 2);
		x->ttl = g32(m + pos + 4);
		x->rdlen = g16(m + pos + 8);
		rd = pos + 10;
		end = rd + x->rdlen;
		assert_true(end <= len);
		switch (x->type) {
		case T_A: inet_ntop(AF_INET, m + rd, x->data, sizeof(x->data)); break;
		case T_AAAA: inet_ntop(AF_INET6, m + rd, x->data, sizeof(x->data)); break;
		case T_MX: {
			char n[300];
			size_t p = rd + 2;

			assert_int_equal(dname(m, len, &p, n, &r->pointers), 0);
			assert_int_equal(p, end);
			snprintf(x->data, sizeof(x->data), "%u %s", g16(m + rd), n);
			break;
		}
		case T_CNAME:
		case T_NS: {
			size_t p = rd;

			assert_int_equal(dname(m, len, &p, x->data, &r->pointers), 0);
			assert_int_equal(p, end);
			break;
		}
		case T_SOA: {
			char a[300], b[300];
			size_t p = rd;

			assert_int_equal(dname(m, len, &p, a, &r->pointers), 0);
			assert_int_equal(dname(m, len, &p, b, &r->pointers), 0);
			assert_int_equal(p + 20, end);
			snprintf(x->data, sizeof(x->data), "%s %s %u %u %u %u %u", a, b, g32(m + p),
			         g32(m + p + 4), g32(m + p + 8), g32(m + p + 12), g32(m + p + 16));
			break;
		}
		case T_SRV: {
			char n[300];
			size_t p = rd + 6;
			int before = r->pointers;

			assert_int_equal(dname(m, len, &p, n, &r->pointers), 0);
			assert_int_equal(r->pointers, before); /* RFC 2782: not compressed */
			snprintf(x->data, sizeof(x->data), "%u %u %u %s", g16(m + rd),
			         g16(m + rd + 2), g16(m + rd + 4), n);
			break;
		}
		case T_TXT: {
			size_t o = 0;

			for (size_t p = rd; p < end; p += 1 + (size_t)m[p]) {
				assert_true(p + 1 + m[p] <= end);
				o +=
				    (size_t)snprintf(x->data + o, sizeof(x->data) - o, "%s\"%.*s\"",
				                     o ? " " : "", m[p], (const char *)m + p + 1);
			}
			break;
		}
		case T_OPT:
			r->opt++;
			r->opt_size = x->cls;
			r->opt_ercode = (uint8_t)(x->ttl >> 24);
			break;
		default: break;
		}
		pos = end;
		r->nrr++;
	}
	assert_int_equal(pos, len); /* nothing left over */
}

static lab_world *world;

static int setup(void **state)
{
	char *why = NULL;

	(void)state;
	world = lab_world_new();
	if (!world || lab_world_load_builtin(world, &why) != MXS_OK)
		return -1;
	/* chains and loops for the CNAME tests */
	if (lab_world_load_string(
	        world, "chain.zone",
	        "$ORIGIN chain.test.\n$SCENARIO chain\n$TITLE C\n$DOMAIN @\n"
	        "c0 CNAME c1\nc1 CNAME c2\nc2 CNAME c3\nc3 CNAME c4\nc4 CNAME c5\n"
	        "c5 CNAME c6\nc6 CNAME c7\nc7 CNAME c8\nc8 CNAME c9\nc9 CNAME c10\n"
	        "c10 A 127.0.0.10\n"
	        "short CNAME c8\n"
	        "loop1 CNAME loop2\nloop2 CNAME loop1\nself CNAME self\n"
	        "out CNAME www.example.\n"
	        "toapex CNAME preference.lab.test.\n"
	        "tonx CNAME nothing\n",
	        &why) != MXS_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lab_world_free(world);
	return 0;
}

static void ask(const char *name, uint16_t qtype, uint16_t edns, int tcp, struct reply *r)
{
	uint8_t q[512], a[65535];
	size_t ql = mkquery(q, 0x1234, name, qtype, edns);
	size_t al = lab_dns_answer(world, q, ql, a, sizeof(a), tcp);

	assert_true(al > 0);
	if (!tcp)
		assert_true(al <= (edns ? (edns < 512 ? 512 : edns > 1232 ? 1232 : edns) : 512));
	decode(a, al, r);
	assert_int_equal(r->id, 0x1234);
	assert_true(r->flags & 0x8000);  /* QR */
	assert_true(r->flags & 0x0100);  /* RD copied */
	assert_false(r->flags & 0x0080); /* RA clear */
	assert_int_equal(r->qd, 1);
	assert_string_equal(r->qname, name);
	assert_int_equal(r->qtype, qtype);
}

static int aa(const struct reply *r)
{
	return (r->flags & 0x0400) != 0;
}

static int tc(const struct reply *r)
{
	return (r->flags & 0x0200) != 0;
}

static void test_a_aaaa(void **state)
{
	struct reply r;

	(void)state;
	ask("mx1.preference.lab.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_true(aa(&r));
	assert_int_equal(r.an, 1);
	assert_int_equal(r.ns, 0);
	assert_int_equal(r.ar, 0);
	assert_string_equal(r.rr[0].name, "mx1.preference.lab.test");
	assert_int_equal(r.rr[0].type, T_A);
	assert_int_equal(r.rr[0].cls, 1);
	assert_int_equal(r.rr[0].ttl, 30);
	assert_string_equal(r.rr[0].data, "127.0.1.1");

	ask("implicit.lab.test", T_AAAA, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_string_equal(r.rr[0].data, "::1");
	ask("implicit.lab.test", T_A, 0, 0, &r);
	assert_string_equal(r.rr[0].data, "127.0.3.1");

	/* names are case-insensitive; the question keeps the client's case */
	ask("MX2.Preference.LAB.test", T_A, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_string_equal(r.rr[0].data, "127.0.1.2");
	assert_string_equal(r.rr[0].name,
	                    "MX2.Preference.LAB.test"); /* a pointer to the question */
}

static void test_mx_compression(void **state)
{
	struct reply r;
	uint8_t q[512], a[512];
	size_t ql, al;

	(void)state;
	ask("equal.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 4);
	assert_string_equal(r.rr[0].data, "10 mx1.equal.lab.test");
	assert_string_equal(r.rr[1].data, "10 mx2.equal.lab.test");
	assert_string_equal(r.rr[2].data, "10 mx3.equal.lab.test");
	assert_string_equal(r.rr[3].data, "20 backup.equal.lab.test");
	for (int i = 0; i < 4; i++)
		assert_string_equal(r.rr[i].name, "equal.lab.test");
	assert_true(r.pointers >= 8); /* each owner and each exchanger's suffix */

	/* exact bytes: the first answer's owner points at the question (offset 12),
	 * and its exchanger is "mx1" plus a pointer to the same place */
	ql = mkquery(q, 7, "equal.lab.test", T_MX, 0);
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	assert_int_equal(al, 12 + 20 + 4 * (2 + 10 + 2) + 3 * (4 + 2) + (7 + 2));
	assert_memory_equal(
	    a + 32, "\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x1e\x00\x08\x00\x0a\x03mx1\xc0\x0c", 20);

	ask("preference.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.an, 3);
	assert_string_equal(r.rr[0].data, "10 mx1.preference.lab.test");
	assert_string_equal(r.rr[2].data, "30 mx3.preference.lab.test");

	ask("null.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_string_equal(r.rr[0].data, "0 .");

	ask("literal.lab.test", T_MX, 0, 0, &r);
	assert_string_equal(r.rr[0].data, "10 127.0.7.1");
}

static void test_other_types(void **state)
{
	struct reply r;

	(void)state;
	ask("_submission._tcp.equal.lab.test", T_SRV, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_string_equal(r.rr[0].data, "0 1 587 mx1.equal.lab.test");
	ask("info.equal.lab.test", T_TXT, 0, 0, &r);
	assert_string_equal(r.rr[0].data, "\"a \"quoted\" word\" \"and a second string\"");
	ask("nxdomain.lab.test", T_NS, 0, 0, &r);
	assert_string_equal(r.rr[0].data, "ns.nxdomain.lab.test");
	ask("nxdomain.lab.test", T_SOA, 0, 0, &r);
	assert_string_equal(
	    r.rr[0].data,
	    "ns.nxdomain.lab.test hostmaster.nxdomain.lab.test 2024010101 3600 600 86400 30");
	ask("dual.v6.lab.test", T_ANY, 0, 0, &r);
	assert_int_equal(r.an, 2);
}

/* $SIGNED zones: AD only when the question shows it understands AD (the AD
 * bit, or DO in EDNS; RFC 6840 §5.7), only for the signed zone and what is
 * below it, and only for answers (RFC 4035 §3.2.3); $TLSA serves type 52. */
static void test_signed_and_tlsa(void **state)
{
	uint8_t q[512], a[4096];
	size_t ql, al;
	static const struct {
		const char *name;
		uint16_t type;
		int ad_bit, do_bit, want_ad;
	} cases[] = {
	    {"dane.lab.test", T_MX, 1, 0, 1},
	    {"dane.lab.test", T_MX, 0, 1, 1},            /* DO says it too */
	    {"dane.lab.test", T_MX, 0, 0, 0},            /* a client that did not ask */
	    {"mx1.dane.lab.test", T_A, 1, 0, 1},         /* below the apex */
	    {"_25._tcp.mx1.dane.lab.test", 52, 1, 0, 1}, /* the TLSA answer */
	    {"nothing.dane.lab.test", T_A, 1, 0, 1},     /* NXDOMAIN is vouched for too */
	    {"dane-insecure.lab.test", T_MX, 1, 1, 0},   /* not $SIGNED */
	    {"preference.lab.test", T_MX, 1, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ql = mkquery(q, 0x4242, cases[i].name, cases[i].type, cases[i].do_bit ? 1232 : 0);
		if (cases[i].ad_bit)
			q[3] |= 0x20;
		if (cases[i].do_bit)
			q[ql - 4] |= 0x80; /* the OPT TTL's flags: DO */
		al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
		assert_true(al >= 12);
		if (((a[3] & 0x20) != 0) != cases[i].want_ad)
			fail_msg("%s type %u: AD %d, want %d", cases[i].name, cases[i].type,
			         (a[3] & 0x20) != 0, cases[i].want_ad);
	}
	{
		struct reply r;
		ask("_25._tcp.mx1.dane.lab.test", 52, 0, 0, &r);
		assert_int_equal(r.rcode, 0);
		assert_int_equal(r.an, 1);
		assert_int_equal(r.rr[0].type, 52);
		assert_int_equal(r.rr[0].rdlen, 3 + 32); /* 3 1 1: a SHA-256 */
		ask("_25._tcp.mx2.dane-stale.lab.test", 52, 0, 0, &r);
		assert_int_equal(r.an, 1);
	}
}

static void test_nxdomain_nodata(void **state)
{
	struct reply r;

	(void)state;
	ask("gone.dangling.lab.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 3);
	assert_true(aa(&r));
	assert_int_equal(r.an, 0);
	assert_int_equal(r.ns, 1);
	assert_int_equal(r.rr[0].type, T_SOA);
	assert_string_equal(r.rr[0].name, "dangling.lab.test");
	assert_int_equal(r.rr[0].ttl, 30);
	assert_string_equal(
	    r.rr[0].data, "ns.dangling.lab.test hostmaster.dangling.lab.test 1 3600 600 86400 30");

	ask("missing.nxdomain.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.rcode, 3);
	assert_string_equal(r.rr[0].name, "nxdomain.lab.test");

	/* the name exists, the type does not */
	ask("noroute.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 0);
	assert_int_equal(r.ns, 1);
	assert_string_equal(r.rr[0].name, "noroute.lab.test");
	ask("noroute.lab.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.ns, 1);
	ask("mx1.v6.lab.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 0);
	/* an empty non-terminal is NODATA too */
	ask("_tcp.equal.lab.test", T_SRV, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 0);
	assert_int_equal(r.ns, 1);
	assert_string_equal(r.rr[0].name, "equal.lab.test");
}

static void test_refused(void **state)
{
	struct reply r;

	(void)state;
	ask("www.example.com", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 5);
	assert_false(aa(&r));
	assert_int_equal(r.an + r.ns, 0);
	ask("lab.test", T_A, 0, 0, &r); /* above every apex */
	assert_int_equal(r.rcode, 5);
	ask("127.0.7.1", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 5);
}

static void test_cname(void **state)
{
	struct reply r;

	(void)state;
	ask("mail.cname.lab.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 2);
	assert_int_equal(r.rr[0].type, T_CNAME);
	assert_string_equal(r.rr[0].data, "real.cname.lab.test");
	assert_int_equal(r.rr[1].type, T_A);
	assert_string_equal(r.rr[1].name, "real.cname.lab.test");
	assert_string_equal(r.rr[1].data, "127.0.6.1");

	ask("mail.cname.lab.test", T_CNAME, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.rr[0].type, T_CNAME);

	/* NODATA at the end of the chain: the target's apex SOA */
	ask("mail.cname.lab.test", T_MX, 0, 0, &r);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.ns, 1);
	assert_int_equal(r.rr[1].type, T_SOA);

	ask("short.chain.test", T_A, 0, 0, &r); /* c8 -> c9 -> c10: 3 CNAMEs, then the A */
	assert_int_equal(r.an, 4);
	assert_string_equal(r.rr[3].data, "127.0.0.10");

	ask("c0.chain.test", T_A, 0, 0, &r); /* 10 CNAMEs: cut after 8 */
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(r.rr[i].type, T_CNAME);

	ask("loop1.chain.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 2);
	ask("self.chain.test", T_A, 0, 0, &r);
	assert_int_equal(r.an, 1);

	ask("out.chain.test", T_A, 0, 0, &r); /* leaves what we serve */
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.ns, 0);

	ask("toapex.chain.test", T_MX, 0, 0, &r); /* into another scenario */
	assert_int_equal(r.an, 4);
	assert_string_equal(r.rr[1].data, "10 mx1.preference.lab.test");

	ask("tonx.chain.test", T_A, 0, 0, &r);
	assert_int_equal(r.rcode, 3);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.ns, 1);
	assert_string_equal(r.rr[1].name, "chain.test");
}

static void test_truncation_and_edns(void **state)
{
	struct reply r;
	uint8_t q[512], a[100];
	size_t ql, al;

	(void)state;
	ask("many.lab.test", T_MX, 0, 0, &r);
	assert_true(tc(&r));
	assert_true(aa(&r));
	assert_int_equal(r.an, 0);
	assert_int_equal(r.nrr, 0);
	assert_int_equal(r.opt, 0);

	ask("many.lab.test", T_MX, 0, 1, &r);
	assert_false(tc(&r));
	assert_int_equal(r.an, 40);
	assert_string_equal(r.rr[0].data, "10 mx01.many.lab.test");
	assert_string_equal(r.rr[8].data, "20 mx09.many.lab.test");
	assert_string_equal(r.rr[39].data, "50 mx40.many.lab.test");

	/* EDNS: 1232 is enough for it, 512 (or less, meaning 512) is not */
	ask("many.lab.test", T_MX, 4096, 0, &r);
	assert_false(tc(&r));
	assert_int_equal(r.an, 40);
	assert_int_equal(r.ar, 1);
	assert_int_equal(r.opt, 1);
	assert_int_equal(r.opt_size, 1232);
	ask("many.lab.test", T_MX, 100, 0, &r);
	assert_true(tc(&r));
	assert_int_equal(r.an, 0);
	assert_int_equal(r.opt, 1);

	ask("single.lab.test", T_MX, 1232, 0, &r);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.ar, 1);
	assert_int_equal(r.opt, 1);
	assert_int_equal(r.opt_ercode, 0);

	/* unknown EDNS version: BADVERS (16 = extended rcode 1, header rcode 0) */
	ql = mkquery(q, 9, "single.lab.test", T_MX, 1232);
	q[ql - 5] = 1;
	{
		uint8_t b[600];

		al = lab_dns_answer(world, q, ql, b, sizeof(b), 0);
		decode(b, al, &r);
		assert_int_equal(r.rcode, 0);
		assert_int_equal(r.opt_ercode, 1);
		assert_int_equal(r.an, 0);
	}

	/* a small output buffer is respected even over TCP */
	ql = mkquery(q, 9, "many.lab.test", T_MX, 0);
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 1);
	assert_true(al > 0 && al <= sizeof(a));
	decode(a, al, &r);
	assert_true(tc(&r));
}

static void test_malformed(void **state)
{
	uint8_t q[600], a[600];
	size_t ql, al;
	struct reply r;

	(void)state;
	/* too short to echo an ID */
	assert_int_equal(lab_dns_answer(world, (const uint8_t *)"\x12\x34\x01", 3, a, sizeof(a), 0),
	                 0);
	assert_int_equal(lab_dns_answer(world, q, 0, a, sizeof(a), 0), 0);
	/* a response: never answered */
	ql = mkquery(q, 0x4242, "single.lab.test", T_MX, 0);
	q[2] |= 0x80;
	assert_int_equal(lab_dns_answer(world, q, ql, a, sizeof(a), 0), 0);

	/* header only, QDCOUNT 1: FORMERR with the ID */
	memset(q, 0, 12);
	q[0] = 0xab;
	q[1] = 0xcd;
	q[5] = 1;
	al = lab_dns_answer(world, q, 12, a, sizeof(a), 0);
	assert_int_equal(al, 12);
	decode(a, al, &r);
	assert_int_equal(r.id, 0xabcd);
	assert_int_equal(r.rcode, 1);
	assert_true(r.flags & 0x8000);

	/* QDCOUNT 2 */
	ql = mkquery(q, 1, "single.lab.test", T_MX, 0);
	q[5] = 2;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);

	/* a pointer loop in the question name */
	ql = mkquery(q, 2, "a", T_A, 0);
	q[12] = 0xc0;
	q[13] = 12;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* a forward pointer */
	q[13] = 40;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* an extended label type */
	ql = mkquery(q, 3, "a", T_A, 0);
	q[12] = 0x41;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* a label running off the end */
	ql = mkquery(q, 4, "single.lab.test", T_A, 0);
	al = lab_dns_answer(world, q, 20, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* a truncated OPT */
	ql = mkquery(q, 5, "single.lab.test", T_A, 1232);
	al = lab_dns_answer(world, q, ql - 3, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* two OPTs */
	ql = mkquery(q, 6, "single.lab.test", T_A, 1232);
	memcpy(q + ql, q + ql - 11, 11);
	q[11] = 2;
	al = lab_dns_answer(world, q, ql + 11, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);
	/* a name longer than 255 bytes */
	memset(q, 0, 12);
	q[5] = 1;
	ql = 12;
	for (int i = 0; i < 5; i++) {
		q[ql++] = 60;
		memset(q + ql, 'x', 60);
		ql += 60;
	}
	q[ql++] = 0;
	memcpy(q + ql, "\0\1\0\1", 4);
	ql += 4;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 1);

	/* opcode STATUS: NOTIMP */
	ql = mkquery(q, 8, "single.lab.test", T_A, 0);
	q[2] = 0x10;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 4);
	/* class CH: REFUSED; AXFR: REFUSED */
	ql = mkquery(q, 8, "single.lab.test", T_A, 0);
	q[ql - 1] = 3;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 5);
	ql = mkquery(q, 8, "single.lab.test", 252, 0);
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 5);
	/* class ANY is fine */
	ql = mkquery(q, 8, "single.lab.test", T_MX, 0);
	q[ql - 1] = 255;
	al = lab_dns_answer(world, q, ql, a, sizeof(a), 0);
	decode(a, al, &r);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 1);
}

/* ---- real sockets ---------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until recv gets something on fd or 5 s pass. */
static ssize_t pump_recv(uv_loop_t *loop, int fd, uint8_t *buf, size_t cap)
{
	double deadline = now() + 5;

	while (now() < deadline) {
		ssize_t n;

		uv_run(loop, UV_RUN_NOWAIT);
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		usleep(1000);
	}
	return -1;
}

static void test_server(void **state)
{
	uv_loop_t loop;
	char *why = NULL;
	lab_dns *s, *s2;
	struct sockaddr_in sin;
	uint8_t q[512], a[70000];
	size_t ql;
	ssize_t n;
	int fd, port;
	struct reply r;
	char where[64];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	s = lab_dns_new(&loop, world, "127.0.0.1", 0, &why);
	if (!s)
		fail_msg("lab_dns_new: %s", why);
	port = lab_dns_port(s);
	assert_true(port > 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* UDP */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	ql = mkquery(q, 0x5151, "equal.lab.test", T_MX, 0);
	assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)ql);
	n = pump_recv(&loop, fd, a, sizeof(a));
	assert_true(n > 0);
	decode(a, (size_t)n, &r);
	assert_int_equal(r.id, 0x5151);
	assert_int_equal(r.an, 4);
	/* the big one is truncated over UDP */
	ql = mkquery(q, 0x5152, "many.lab.test", T_MX, 0);
	sendto(fd, q, ql, 0, (struct sockaddr *)&sin, sizeof(sin));
	n = pump_recv(&loop, fd, a, sizeof(a));
	assert_true(n > 0 && n <= 512);
	decode(a, (size_t)n, &r);
	assert_true(tc(&r));
	close(fd);

	/* TCP: two queries in one write, two answers, then one more */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	{
		uint8_t out[1024];
		size_t o = 0, got = 0, l1, l2;

		ql = mkquery(q, 0x6161, "many.lab.test", T_MX, 0);
		out[o++] = (uint8_t)(ql >> 8);
		out[o++] = (uint8_t)ql;
		memcpy(out + o, q, ql);
		o += ql;
		ql = mkquery(q, 0x6262, "mx2.preference.lab.test", T_A, 0);
		out[o++] = (uint8_t)(ql >> 8);
		out[o++] = (uint8_t)ql;
		memcpy(out + o, q, ql);
		o += ql;
		assert_int_equal(send(fd, out, o, 0), (ssize_t)o);
		while (got < 2 || got < 2 + (size_t)g16(a) + 2 ||
		       got < 4 + (size_t)g16(a) + g16(a + 2 + g16(a))) {
			n = pump_recv(&loop, fd, a + got, sizeof(a) - got);
			assert_true(n > 0);
			got += (size_t)n;
		}
		l1 = g16(a);
		decode(a + 2, l1, &r);
		assert_int_equal(r.id, 0x6161);
		assert_false(tc(&r));
		assert_int_equal(r.an, 40);
		l2 = g16(a + 2 + l1);
		decode(a + 4 + l1, l2, &r);
		assert_int_equal(r.id, 0x6262);
		assert_string_equal(r.rr[0].data, "127.0.1.2");
		assert_int_equal(got, 4 + l1 + l2);

		/* one more on the same connection, sent in two pieces */
		ql = mkquery(q, 0x6363, "single.lab.test", T_MX, 0);
		out[0] = (uint8_t)(ql >> 8);
		out[1] = (uint8_t)ql;
		memcpy(out + 2, q, ql);
		assert_int_equal(send(fd, out, 5, 0), 5);
		for (int i = 0; i < 20; i++) {
			uv_run(&loop, UV_RUN_NOWAIT);
			usleep(1000);
		}
		assert_int_equal(send(fd, out + 5, ql + 2 - 5, 0), (ssize_t)(ql + 2 - 5));
		got = 0;
		while (got < 2 || got < 2 + (size_t)g16(a)) {
			n = pump_recv(&loop, fd, a + got, sizeof(a) - got);
			assert_true(n > 0);
			got += (size_t)n;
		}
		decode(a + 2, g16(a), &r);
		assert_int_equal(r.id, 0x6363);
		assert_string_equal(r.rr[0].data, "10 mx.single.lab.test");
	}
	close(fd);

	/* 300 idle connections used to lock every new client out
	 * until they timed out. The limit is 256: each newcomer past it takes
	 * the place of the connection idle the longest, so the oldest ones see
	 * EOF and a new query is answered. */
	{
		enum { IDLE = 300, LIMIT = 256 };
		int fds[IDLE], nfd;
		uint8_t b[16];

		for (int i = 0; i < IDLE; i++) {
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
			assert_true(fds[i] >= 0);
			assert_int_equal(connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
			for (int k = 0; k < 3; k++)
				uv_run(&loop, UV_RUN_NOWAIT);
		}
		/* the first IDLE - LIMIT were dropped for the later ones */
		assert_int_equal(pump_recv(&loop, fds[0], b, sizeof(b)), 0); /* EOF */
		assert_int_equal(pump_recv(&loop, fds[IDLE - LIMIT - 1], b, sizeof(b)), 0);
		nfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(nfd >= 0);
		assert_int_equal(connect(nfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		ql = mkquery(q, 0x7171, "single.lab.test", T_MX, 0);
		b[0] = 0;
		b[1] = (uint8_t)ql;
		assert_int_equal(send(nfd, b, 2, 0), 2);
		assert_int_equal(send(nfd, q, ql, 0), (ssize_t)ql);
		n = pump_recv(&loop, nfd, a, sizeof(a));
		assert_true(n > 2);
		decode(a + 2, (size_t)n - 2, &r);
		assert_int_equal(r.id, 0x7171);
		assert_string_equal(r.rr[0].data, "10 mx.single.lab.test");
		/* the newest of the idle ones is still served (nfd pushed out the
		 * next oldest, not it) */
		assert_int_equal(send(fds[IDLE - 1], b, 2, 0), 2);
		assert_int_equal(send(fds[IDLE - 1], q, ql, 0), (ssize_t)ql);
		n = pump_recv(&loop, fds[IDLE - 1], a, sizeof(a));
		assert_true(n > 2);
		for (int i = 0; i < IDLE; i++)
			close(fds[i]);
		close(nfd);
	}

	/* the same port again: refused with where and why */
	s2 = lab_dns_new(&loop, world, "127.0.0.1", port, &why);
	assert_null(s2);
	snprintf(where, sizeof(where), "127.0.0.1:%d", port);
	if (!strstr(why, where) || !strstr(why, "address already in use"))
		fail_msg("unexpected message: %s", why);
	assert_null(lab_dns_new(&loop, world, "not-an-address", 0, &why));
	assert_non_null(strstr(why, "not-an-address: not an IPv4 or IPv6 address"));

	/* IPv6 loopback, where the machine has it */
	s2 = lab_dns_new(&loop, world, "::1", 0, &why);
	if (s2) {
		assert_true(lab_dns_port(s2) > 0);
		lab_dns_close(s2);
	} else {
		assert_non_null(strstr(why, "[::1]:0"));
	}

	lab_dns_close(s);
	lab_dns_close(NULL);
	uv_run(&loop, UV_RUN_DEFAULT); /* ends once every handle is closed and freed */
	assert_int_equal(uv_loop_close(&loop), 0);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_aaaa),          cmocka_unit_test(test_mx_compression),
	    cmocka_unit_test(test_other_types),     cmocka_unit_test(test_signed_and_tlsa),
	    cmocka_unit_test(test_nxdomain_nodata), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cname),           cmocka_unit_test(test_truncation_and_edns),
	    cmocka_unit_test(test_malformed),       cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
