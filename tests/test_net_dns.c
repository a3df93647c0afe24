/* tests/test_net_dns.c — the real net/dns code (c-ares on libuv) against the
 * real lab DNS server, both on one loop in this process: records, TTLs,
 * CNAMEs, rcodes kept apart, TCP after truncation, the bound on questions in
 * flight, and cancelling lookups mid-way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns.h"
#include "mxjob.h"
#include "harness.h"
#include "lab.h"

typedef struct fixture {
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h) */
	lab_world *w;
	lab_dns *srv;
	char server[40];
	const char *servers[1];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;

	assert_int_equal(dns_global_init(&why), MXS_OK);
	h_lab_open(&f->here, &f->loop, NULL, NULL, H_DNS);
	f->w = f->here.world;
	f->srv = f->here.dns;
	snprintf(f->server, sizeof(f->server), "%s", f->here.server);
	f->servers[0] = f->server;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	h_lab_close(&f->here); /* bounded: a test that failed half-way fails here */
	dns_global_cleanup();
	free(f);
	return 0;
}

typedef struct results {
	mx_domain *d[128];
	size_t n;
} results;

static const mxjob_config with_srv = {.srv = true};

static void collect(mx_domain *d, void *arg)
{
	results *r = arg;
	assert_true(r->n < 128);
	r->d[r->n++] = d;
}

static dns_client *client_for(fixture *f, const char *const *servers, size_t n, unsigned timeout_ms,
                              unsigned max_outstanding)
{
	dns_config cfg = {.servers = servers,
	                  .nservers = n,
	                  .timeout_ms = timeout_ms,
	                  .max_outstanding = max_outstanding};
	char *why = NULL;
	dns_client *c = NULL;

	if (dns_client_new(&f->loop, &cfg, &c, &why) != MXS_OK) {
		print_error("dns_client_new: %s\n", why);
		fail();
	}
	return c;
}

static dns_client *client(fixture *f, unsigned max_outstanding)
{
	return client_for(f, f->servers, 1, 3000, max_outstanding);
}

static void resolve_all(fixture *f, dns_client *c, const char *const *names, size_t n, results *r)
{
	size_t want = r->n + n;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(mxjob_resolve(c, mx_domain_new(names[i]), &with_srv, collect, r),
		                 MXS_OK);
	while (r->n < want)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static const mx_host *host_named(const mx_domain *d, const char *name)
{
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		if (strcmp(mx_domain_host(d, i)->exchange, name) == 0)
			return mx_domain_host(d, i);
	return NULL;
}

static mx_domain *find(results *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(mx_domain_name(r->d[i]), name) == 0)
			return r->d[i];
	return NULL;
}

static void test_records_and_rcodes(void **state)
{
	fixture *f = *state;
	dns_client *c = client(f, 0);
	const char *names[] = {
	    "many.lab.test",     "cname.lab.test",    "missing.nxdomain.lab.test",
	    "implicit.lab.test", "dangling.lab.test", "null.lab.test",
	    "noroute.lab.test",  "elsewhere.example"};
	results r = {0};
	mx_domain *d;
	const mx_host *h;

	resolve_all(f, c, names, 8, &r);
	assert_int_equal(r.n, 8);

	/* 40 MX records do not fit 512 bytes: TC over UDP, then TCP */
	d = find(&r, "many.lab.test");
	assert_int_equal(mx_domain_mx_rcode(d), MX_RC_OK);
	assert_int_equal(mx_domain_host_count(d), 40);
	h = host_named(d, "mx40.many.lab.test");
	assert_non_null(h);
	assert_int_equal(h->preference, 50);
	assert_int_equal(h->ttl, 30);
	assert_int_equal(h->naddrs, 1);
	assert_string_equal(h->addrs[0].ip, "127.0.11.40");
	assert_int_equal(h->addrs[0].ttl, 30);
	assert_int_equal(h->a_rc, MX_RC_OK);
	assert_int_equal(h->aaaa_rc, MX_RC_NODATA);

	d = find(&r, "cname.lab.test");
	h = host_named(d, "mail.cname.lab.test");
	assert_string_equal(h->cname, "real.cname.lab.test");
	assert_string_equal(h->addrs[0].ip, "127.0.6.1");
	assert_null(host_named(d, "mx2.cname.lab.test")->cname);

	assert_int_equal(mx_domain_mx_rcode(find(&r, "missing.nxdomain.lab.test")), MX_RC_NXDOMAIN);
	/* outside every lab zone the server refuses */
	assert_int_equal(mx_domain_mx_rcode(find(&r, "elsewhere.example")), MX_RC_REFUSED);

	d = find(&r, "implicit.lab.test");
	assert_int_equal(mx_domain_mx_rcode(d), MX_RC_NODATA);
	assert_int_equal(mx_domain_host_count(d), 1);
	h = mx_domain_host(d, 0);
	assert_true(h->implicit);
	assert_int_equal(h->naddrs, 2);
	assert_string_equal(h->addrs[0].ip, "::1");
	assert_string_equal(h->addrs[1].ip, "127.0.3.1");

	d = find(&r, "dangling.lab.test");
	h = host_named(d, "gone.dangling.lab.test");
	assert_int_equal(h->a_rc, MX_RC_NXDOMAIN);
	assert_int_equal(h->aaaa_rc, MX_RC_NXDOMAIN);
	assert_int_equal(h->naddrs, 0);

	d = find(&r, "null.lab.test");
	assert_int_equal(mx_domain_host_count(d), 1);
	assert_string_equal(mx_domain_host(d, 0)->exchange, "");
	/* no A lookup for the null MX, and none for the domain */
	assert_int_equal(mx_domain_host(d, 0)->a_rc, MX_RC_NOT_ASKED);

	d = find(&r, "noroute.lab.test");
	assert_int_equal(mx_domain_host(d, 0)->a_rc, MX_RC_NODATA);

	{
		/* every question was answered; UDP sends still out when the
		 * 40-MX answer came back truncated went again over TCP, and
		 * what they bring later is not used */
		dns_pacing_stats st;
		dns_client_pacing(c, &st);
		assert_true(dns_client_replies(c) + st.superseded >= dns_client_questions(c));
		assert_int_equal(st.timeouts, 0);
	}
	for (size_t i = 0; i < r.n; i++)
		mx_domain_free(r.d[i]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* SRV for mail clients (RFC 6186), sorted by service, the "." target kept
 * as "not offered"; a domain without any has none, and NXDOMAIN asks none. */
static void test_srv(void **state)
{
	fixture *f = *state;
	dns_client *c = client(f, 0);
	const char *names[] = {"srv.lab.test", "single.lab.test", "equal.lab.test",
	                       "missing.nxdomain.lab.test"};
	results r = {0};
	const mx_srv *s;
	mx_domain *d;
	unsigned long before;

	resolve_all(f, c, names, 4, &r);
	d = find(&r, "srv.lab.test");
	assert_int_equal(mx_domain_srv_count(d), 3);
	s = mx_domain_srv(d, 0);
	assert_string_equal(s->service, "_imaps._tcp");
	assert_int_equal(s->priority, 0);
	assert_int_equal(s->weight, 1);
	assert_int_equal(s->port, 993);
	assert_string_equal(s->target, "mail.srv.lab.test");
	assert_int_equal(s->ttl, 30);
	s = mx_domain_srv(d, 1);
	assert_string_equal(s->service, "_pop3._tcp");
	assert_int_equal(s->port, 0);
	assert_int_equal(s->weight, 0);
	assert_string_equal(s->target, ""); /* "." : not offered */
	s = mx_domain_srv(d, 2);
	assert_string_equal(s->service, "_submission._tcp");
	assert_int_equal(s->port, 587);
	assert_string_equal(s->target, "mail.srv.lab.test");
	assert_null(mx_domain_srv(d, 3));
	/* SRV questions do not disturb the MX side */
	assert_int_equal(mx_domain_host_count(d), 1);
	assert_string_equal(mx_domain_host(d, 0)->addrs[0].ip, "127.0.50.1");

	assert_int_equal(mx_domain_srv_count(find(&r, "single.lab.test")), 0);
	d = find(&r, "equal.lab.test");
	assert_int_equal(mx_domain_srv_count(d), 1);
	assert_string_equal(mx_domain_srv(d, 0)->target, "mx1.equal.lab.test");
	assert_int_equal(mx_domain_srv_count(find(&r, "missing.nxdomain.lab.test")), 0);
	for (size_t i = 0; i < r.n; i++)
		mx_domain_free(r.d[i]);
	r.n = 0;

	/* a domain that does not exist gets one question, no SRV */
	before = dns_client_questions(c);
	resolve_all(f, c, names + 3, 1, &r);
	assert_int_equal(dns_client_questions(c) - before, 1);
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* 90 domains with room for 3 questions: all finish, never more than 3 out. */
static void test_bounded_outstanding(void **state)
{
	fixture *f = *state;
	dns_client *c = client(f, 3);
	const char *base[] = {"preference.lab.test", "equal.lab.test", "single.lab.test"};
	const char *names[90];
	results r = {0};

	for (size_t i = 0; i < 90; i++)
		names[i] = base[i % 3];
	resolve_all(f, c, names, 90, &r);
	assert_int_equal(r.n, 90);
	assert_int_equal(dns_client_peak(c), 3);
	for (size_t i = 0; i < r.n; i++) {
		size_t want = strcmp(mx_domain_name(r.d[i]), "equal.lab.test") == 0    ? 4
		              : strcmp(mx_domain_name(r.d[i]), "single.lab.test") == 0 ? 1
		                                                                       : 3;
		assert_int_equal(mx_domain_host_count(r.d[i]), want);
		for (size_t k = 0; k < want; k++)
			assert_int_equal(mx_domain_host(r.d[i], k)->naddrs, 1);
		mx_domain_free(r.d[i]);
	}
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Freeing the client mid-flight frees the domains and calls nobody. */
static void test_cancel(void **state)
{
	fixture *f = *state;
	dns_client *c = client(f, 2);
	results r = {0};

	for (int i = 0; i < 20; i++)
		assert_int_equal(
		    mxjob_resolve(c, mx_domain_new("many.lab.test"), &with_srv, collect, &r),
		    MXS_OK);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	for (size_t i = 0; i < r.n; i++)
		mx_domain_free(r.d[i]);
	assert_true(r.n < 20);
}

/* A loopback UDP socket; with rcode >= 0 a child process answers every
 * question with that rcode and no records, otherwise nobody answers. */
#define FAKE_BOGUS 100
static int fake_server(char *spec, size_t cap, int rcode, pid_t *child)
{
	int s = h_udp_socket(spec, cap);

	*child = -1;
	if (rcode < 0)
		return s;
	*child = fork();
	assert_true(*child >= 0);
	if (*child == 0) {
		for (;;) {
			unsigned char q[512];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(s, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			if (n < 12)
				continue;
			int rc = rcode;
			/* FAKE_BOGUS: a validator that fails the data unless the
			 * question disables checking (CD) */
			if (rcode == FAKE_BOGUS)
				rc = q[3] & 0x10 ? 0 : 2;
			q[2] = 0x80 | (q[2] & 0x01); /* QR, keep RD */
			q[3] = (unsigned char)(0x80 | rc);
			sendto(s, q, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
	}
	return s;
}

/* SERVFAIL, REFUSED (above) and a timeout each keep their own name. */
static void test_servfail_and_timeout(void **state)
{
	fixture *f = *state;
	char spec_fail[32], spec_silent[32];
	const char *s1[] = {spec_fail}, *s2[] = {spec_silent};
	pid_t child, none;
	int fd1 = fake_server(spec_fail, sizeof(spec_fail), 2, &child);
	int fd2 = fake_server(spec_silent, sizeof(spec_silent), -1, &none);
	const char *names[] = {"servfail.test"};
	results r1 = {0}, r2 = {0};
	dns_client *c1 = client_for(f, s1, 1, 3000, 0), *c2 = client_for(f, s2, 1, 300, 0);

	resolve_all(f, c1, names, 1, &r1);
	resolve_all(f, c2, names, 1, &r2);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd1);
	close(fd2);
	assert_int_equal(mx_domain_mx_rcode(r1.d[0]), MX_RC_SERVFAIL);
	/* the MX question, then again with CD set: still SERVFAIL, so the
	 * server is broken rather than the zone bogus */
	assert_int_equal(dns_client_replies(c1), 2);
	assert_int_equal(mx_domain_dnssec(r1.d[0]), MX_DNSSEC_INDETERMINATE);
	assert_int_equal(mx_domain_dnssec(r2.d[0]), MX_DNSSEC_INDETERMINATE);
	assert_int_equal(mx_domain_mx_rcode(r2.d[0]), MX_RC_TIMEOUT);
	assert_int_equal(dns_client_replies(c2), 0);
	assert_non_null(strstr(dns_client_last_failure(c2), "no valid reply within 0.3 s"));
	mx_domain_free(r1.d[0]);
	mx_domain_free(r2.d[0]);
	dns_client_free(c1);
	dns_client_free(c2);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* SERVFAIL that turns into an answer with checking disabled: the data is
 * there and does not validate, dnssec-bogus (RFC 4035 §5.5). The MX rcode
 * stays SERVFAIL: that is what a sender behind this resolver gets. */
static void test_bogus(void **state)
{
	fixture *f = *state;
	char spec[32];
	const char *s1[] = {spec};
	pid_t child;
	int fd = fake_server(spec, sizeof(spec), FAKE_BOGUS, &child);
	const char *names[] = {"bogus.test"};
	results r = {0};
	dns_client *c = client_for(f, s1, 1, 3000, 0);

	resolve_all(f, c, names, 1, &r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd);
	assert_int_equal(mx_domain_mx_rcode(r.d[0]), MX_RC_SERVFAIL);
	assert_int_equal(mx_domain_dnssec(r.d[0]), MX_DNSSEC_BOGUS);
	assert_int_equal(dns_client_replies(c), 2);
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Hostile zones: hundreds of MX records (TCP), a CNAME chain and a CNAME
 * loop as MX targets. Everything ends, bounded, with the loop reported as
 * having no address. */
static void test_hostile_zone(void **state)
{
	fixture *f = *state;
	lab_world *w = lab_world_new();
	char *why = NULL, *text, *p;
	size_t cap = 64 * 1024;
	lab_dns *srv;
	char spec[40];
	const char *servers[] = {spec};
	const char *names[] = {"big.hostile-dns.test", "chain.hostile-dns.test"};
	results r = {0};
	dns_client *c;
	mx_domain *d;

	text = p = malloc(cap);
	p += sprintf(p, "$SCENARIO hostile-dns\n$TITLE t\n$ORIGIN hostile-dns.test.\n"
	                "$DOMAIN big\n$DOMAIN chain\n");
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "big MX %d h%d\nh%d A 127.0.77.%d\n", i, i, i, i % 250 + 1);
	p += sprintf(p, "chain MX 10 c1\nc1 CNAME c2\nc2 CNAME c3\nc3 A 127.0.78.1\n"
	                "chain MX 20 loop1\nloop1 CNAME loop2\nloop2 CNAME loop1\n");
	assert_int_equal(lab_world_load_string(w, "hostile-dns", text, &why), MXS_OK);
	srv = lab_dns_new(&f->loop, w, "127.0.0.1", 0, &why);
	assert_non_null(srv);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", lab_dns_port(srv));
	c = client_for(f, servers, 1, 3000, 0);
	resolve_all(f, c, names, 2, &r);
	d = find(&r, "big.hostile-dns.test");
	assert_int_equal(mx_domain_mx_rcode(d), MX_RC_OK);
	assert_int_equal(mx_domain_host_count(d), 300);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(mx_domain_host(d, i)->naddrs, 1);
	d = find(&r, "chain.hostile-dns.test");
	/* c-ares 1.18 names the first alias target, not the end of the chain */
	assert_non_null(host_named(d, "c1.hostile-dns.test")->cname);
	assert_string_equal(host_named(d, "c1.hostile-dns.test")->addrs[0].ip, "127.0.78.1");
	assert_int_equal(host_named(d, "loop1.hostile-dns.test")->naddrs, 0);
	for (size_t i = 0; i < r.n; i++)
		mx_domain_free(r.d[i]);
	dns_client_free(c);
	lab_dns_close(srv);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	lab_world_free(w);
	free(text);
}

/* ---- a hand-made server: TTLs and malformed answers  ------- */

enum { WIRE_HUGE_TTL, WIRE_BAD_MX };

/* Appends one record named by a pointer to the question (0xc00c). */
static size_t put_rr(unsigned char *m, size_t n, unsigned type, uint32_t ttl,
                     const unsigned char *rdata, size_t rdlen)
{
	const unsigned char hdr[] = {0xc0,
	                             0x0c,
	                             (unsigned char)(type >> 8),
	                             (unsigned char)type,
	                             0,
	                             1,
	                             (unsigned char)(ttl >> 24),
	                             (unsigned char)(ttl >> 16),
	                             (unsigned char)(ttl >> 8),
	                             (unsigned char)ttl,
	                             (unsigned char)(rdlen >> 8),
	                             (unsigned char)rdlen};
	memcpy(m + n, hdr, sizeof(hdr));
	memcpy(m + n + sizeof(hdr), rdata, rdlen);
	return n + sizeof(hdr) + rdlen;
}

/* A child that answers every question the way mode says:
 *   WIRE_HUGE_TTL  MX 10 <the name asked>, A 127.0.0.9, AAAA ::1 and SRV
 *                  0 0 587 <the name asked>, with TTLs of 2^32-1 and 2^31
 *   WIRE_BAD_MX    an MX record whose target runs past its RDATA; A and
 *                  AAAA as above */
static int wire_server(char *spec, size_t cap, int mode, pid_t *child)
{
	int s = h_udp_socket(spec, cap);

	*child = fork();
	assert_true(*child >= 0);
	if (*child != 0)
		return s;
	for (;;) {
		unsigned char m[1024];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, m, 512, 0, (struct sockaddr *)&from, &fl);
		size_t q = 12, len;
		unsigned type;
		if (n < 17)
			continue;
		while (q < (size_t)n && m[q])
			q += 1u + m[q];
		if (q + 5 > (size_t)n)
			continue;
		type = (unsigned)m[q + 1] << 8 | m[q + 2];
		len = q + 5; /* the question, kept */
		m[2] = 0x84 | (m[2] & 0x01);
		m[3] = 0x80;
		m[6] = 0;
		m[7] = 1;
		memset(m + 8, 0, 4);
		if (type == 15 && mode == WIRE_BAD_MX) {
			static const unsigned char bad[] = {0, 10, 7, 'x'}; /* label of 7, 1 byte */
			len = put_rr(m, len, 15, 300, bad, sizeof(bad));
		} else if (type == 15) {
			static const unsigned char mx[] = {0, 10, 0xc0, 0x0c};
			len = put_rr(m, len, 15, 0xffffffffu, mx, sizeof(mx));
		} else if (type == 1) {
			static const unsigned char a[] = {127, 0, 0, 9};
			len = put_rr(m, len, 1, 0xffffffffu, a, sizeof(a));
		} else if (type == 28) {
			static const unsigned char aaaa[16] = {[15] = 1};
			len = put_rr(m, len, 28, 0x80000000u, aaaa, sizeof(aaaa));
		} else if (type == 33) {
			static const unsigned char srv[] = {0, 0, 0, 0, 2, 75, 0xc0, 0x0c};
			len = put_rr(m, len, 33, 0x80000000u, srv, sizeof(srv));
		} else {
			m[7] = 0;
		}
		sendto(s, m, len, 0, (struct sockaddr *)&from, fl);
	}
}

/* RFC 2181 §8: a TTL with the top bit set is 0, for MX, A, AAAA and SRV
 * alike (address TTLs came out as 4294967295). */
static void test_huge_ttl(void **state)
{
	fixture *f = *state;
	char spec[32];
	const char *servers[] = {spec}, *names[] = {"ttl.test"};
	pid_t child;
	int fd = wire_server(spec, sizeof(spec), WIRE_HUGE_TTL, &child);
	results r = {0};
	dns_client *c = client_for(f, servers, 1, 3000, 0);
	const mx_host *h;

	resolve_all(f, c, names, 1, &r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd);
	assert_int_equal(mx_domain_mx_rcode(r.d[0]), MX_RC_OK);
	h = host_named(r.d[0], "ttl.test");
	assert_non_null(h);
	assert_int_equal(h->ttl, 0);
	assert_int_equal(h->naddrs, 2);
	for (size_t i = 0; i < h->naddrs; i++)
		assert_int_equal(h->addrs[i].ttl, 0);
	assert_true(mx_domain_srv_count(r.d[0]) > 0);
	for (size_t i = 0; i < mx_domain_srv_count(r.d[0]); i++)
		assert_int_equal(mx_domain_srv(r.d[0], i)->ttl, 0);
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* A malformed MX answer is one temporary failure: one dns-temporary. */
static void test_malformed_mx(void **state)
{
	fixture *f = *state;
	char spec[32];
	const char *servers[] = {spec}, *names[] = {"bad.test"};
	pid_t child;
	int fd = wire_server(spec, sizeof(spec), WIRE_BAD_MX, &child);
	results r = {0};
	dns_client *c = client_for(f, servers, 1, 3000, 0);
	mx_options opt = {.seed = 1, .allow_loopback = true};
	size_t temporary = 0;

	resolve_all(f, c, names, 1, &r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd);
	assert_int_equal(mx_domain_mx_rcode(r.d[0]), MX_RC_FORMERR);
	assert_int_equal(mx_domain_host_count(r.d[0]), 0);
	assert_int_equal(mx_domain_analyze(r.d[0], &opt), MXS_OK);
	for (size_t i = 0; i < mx_domain_finding_count(r.d[0]); i++)
		if (strcmp(mx_domain_finding(r.d[0], i)->code, "dns-temporary") == 0)
			temporary++;
	assert_int_equal(temporary, 1);
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* With -s given twice, a dead first server does not stop the second. */
static void test_failover(void **state)
{
	fixture *f = *state;
	const char *servers[] = {"127.0.0.1:1", f->server};
	const char *names[] = {"preference.lab.test"};
	results r = {0};
	dns_client *c = client_for(f, servers, 2, 3000, 0);

	assert_non_null(strstr(dns_client_servers(c), "127.0.0.1:1, 127.0.0.1:"));
	resolve_all(f, c, names, 1, &r);
	assert_int_equal(mx_domain_mx_rcode(r.d[0]), MX_RC_OK);
	assert_int_equal(mx_domain_host_count(r.d[0]), 3);
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void test_server_parse(void **state)
{
	char out[80], *why = NULL;

	(void)state;
	assert_int_equal(dns_server_parse("127.0.0.1", out, sizeof(out), &why), MXS_OK);
	assert_string_equal(out, "127.0.0.1:53");
	assert_int_equal(dns_server_parse("[::1]:5300", out, sizeof(out), &why), MXS_OK);
	assert_string_equal(out, "[::1]:5300");
	assert_int_equal(dns_server_parse("::1", out, sizeof(out), &why), MXS_OK);
	assert_string_equal(out, "[::1]:53");
	assert_int_equal(dns_server_parse("localhost", out, sizeof(out), &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "not an IPv4 or IPv6 address"));
	assert_int_equal(dns_server_parse("127.0.0.1:0", out, sizeof(out), &why), MXS_ERR_INVALID);
	assert_int_equal(dns_server_parse("[::1", out, sizeof(out), &why), MXS_ERR_INVALID);
	/* the port through core's one number parser: digits only (strtol took
	 * a sign and leading blanks) */
	for (size_t i = 0; i < 5; i++) {
		static const char *const bad[] = {"127.0.0.1:+53", "127.0.0.1: 53",
		                                  "127.0.0.1:", "127.0.0.1:65536", "[::1]:0x35"};
		assert_int_equal(dns_server_parse(bad[i], out, sizeof(out), &why), MXS_ERR_INVALID);
		assert_non_null(strstr(why, "DNS server"));
	}
	assert_int_equal(dns_server_parse("127.0.0.1:65535", out, sizeof(out), &why), MXS_OK);
	assert_string_equal(out, "127.0.0.1:65535");
	free(why);
}

typedef struct raw_answer {
	bool done;
	mx_rcode rc;
	unsigned char buf[16384];
	int len;
} raw_answer;

static void on_raw(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	raw_answer *a = arg;

	a->done = true;
	a->rc = rc;
	if (abuf && alen > 0 && (size_t)alen <= sizeof(a->buf)) {
		memcpy(a->buf, abuf, (size_t)alen);
		a->len = alen;
	}
}

/* One reader and one cap for every address answer: a host with 100 A
 * records gives DNS_ADDRS_MAX addresses, through the MX job and read
 * directly alike; the same answer holds no AAAA; a cut message is
 * malformed, not empty; an alias names its target. */
static void test_address_reader(void **state)
{
	fixture *f = *state;
	lab_world *w = lab_world_new();
	char *why = NULL, *text, *p, *canon = NULL, spec[40];
	const char *servers[] = {spec};
	const char *names[] = {"wide.addrs.test"};
	size_t cap = 16 * 1024;
	raw_answer ra = {0};
	dns_addrs got;
	results r = {0};
	lab_dns *srv;
	dns_client *c;

	text = p = malloc(cap);
	p += sprintf(p, "$SCENARIO addrs\n$TITLE t\n$ORIGIN addrs.test.\n$DOMAIN wide\n"
	                "wide MX 10 mx\nalias CNAME mx\n");
	for (int i = 0; i < 100; i++)
		p += sprintf(p, "mx A 127.0.%d.%d\n", 80 + i / 200, i % 200 + 1);
	assert_int_equal(lab_world_load_string(w, "addrs", text, &why), MXS_OK);
	srv = lab_dns_new(&f->loop, w, "127.0.0.1", 0, &why);
	assert_non_null(srv);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", lab_dns_port(srv));
	c = client_for(f, servers, 1, 3000, 0);

	resolve_all(f, c, names, 1, &r);
	assert_int_equal(mx_domain_host(r.d[0], 0)->naddrs, DNS_ADDRS_MAX);

	assert_int_equal(dns_query_raw(c, "alias.addrs.test", 1, 0, on_raw, &ra), MXS_OK);
	while (!ra.done)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(ra.rc, MX_RC_OK);
	assert_int_equal(dns_addrs_read(ra.buf, ra.len, 4, &got, &canon), MX_RC_OK);
	assert_int_equal(got.n, DNS_ADDRS_MAX);
	assert_int_equal(got.a[0].family, 4);
	assert_string_equal(got.a[0].ip, "127.0.80.1");
	assert_memory_equal(got.a[0].bin, "\x7f\x00\x50\x01", 4);
	assert_non_null(canon);
	assert_string_equal(canon, "mx.addrs.test");
	free(canon);
	assert_int_equal(dns_addrs_read(ra.buf, ra.len, 6, &got, NULL), MX_RC_NODATA);
	assert_int_equal(got.n, 0);
	assert_int_equal(dns_addrs_read(ra.buf, 20, 4, &got, NULL), MX_RC_FORMERR);
	assert_int_equal(dns_addrs_read(NULL, 0, 4, &got, NULL), MX_RC_FORMERR);

	for (size_t i = 0; i < r.n; i++)
		mx_domain_free(r.d[i]);
	dns_client_free(c);
	lab_dns_close(srv);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	lab_world_free(w);
	free(text);
	free(why);
}

/* What kind of failure a client that cannot start is: the caller's bad
 * input (its exit status 2) is told apart by the status, not the text. */
static void test_client_status(void **state)
{
	fixture *f = *state;
	const char *bad[] = {"localhost"};
	const char *many[40];
	char specs[40][24], *why = NULL;
	dns_config cfg = {.servers = bad, .nservers = 1};
	dns_client *c = (dns_client *)&cfg;

	assert_int_equal(dns_client_new(&f->loop, &cfg, &c, &why), MXS_ERR_INVALID);
	assert_null(c);
	assert_non_null(why);
	free(why);
	why = NULL;
	for (size_t i = 0; i < 40; i++) {
		snprintf(specs[i], sizeof(specs[i]), "127.0.0.%zu:5300", i + 1);
		many[i] = specs[i];
	}
	cfg = (dns_config){.servers = many, .nservers = 40};
	assert_int_equal(dns_client_new(&f->loop, &cfg, &c, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "too many"));
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records_and_rcodes),
	    cmocka_unit_test(test_srv),
	    cmocka_unit_test(test_bounded_outstanding),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_servfail_and_timeout),
	    cmocka_unit_test(test_bogus),
	    cmocka_unit_test(test_failover),
	    cmocka_unit_test(test_hostile_zone),
	    cmocka_unit_test(test_server_parse),
	    cmocka_unit_test(test_huge_ttl),
	    cmocka_unit_test(test_malformed_mx),
	    cmocka_unit_test(test_address_reader),
	    cmocka_unit_test(test_client_status),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
