/* tests/test_net_pacing.c — the real net/dns engine paced by what comes back:
 * against a hand-made loopback UDP server (a thread of this process) that
 * drops a share of the questions (or rate limits like nsd), no answer is lost and the window
 * halves; with --qps the server never sees more than the ceiling in any window of its own clock; a
 * truncated answer from the lab goes over TCP at once; -4 / -6 and SRV ask only what is shown.
 * Counts come from the server side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns.h"
#include "mxjob.h"
#include "harness.h"
#include "lab.h"

#define MAXLOG 4096

/* One question as the server saw it. */
typedef struct seen {
	double ms; /* the server's monotonic clock */
	unsigned type;
	char name[64];
	bool dropped, truncated, tcp;
} seen;

/* The hand-made server, UDP and TCP on one port: MX 10 <the name asked>,
 * A 127.0.0.9, AAAA none (NOERROR, no records), anything else NODATA too.
 * With drop_every = k, the first sighting over UDP of every k-th distinct
 * question is dropped (loss); asked again, it is answered. With slip = s,
 * after s empty answers over UDP it drops one and truncates the next, in
 * turn, as nsd's response rate limiting does (rrl-slip 2); TCP answers all. */
typedef struct fake {
	int fd, lfd;
	unsigned slip, empties;
	char spec[32];
	unsigned drop_every;
	pthread_t th;
	atomic_bool stop;
	seen log[MAXLOG];
	size_t n;
	char firsts[MAXLOG][68]; /* distinct questions: type byte + name */
	size_t nfirst;
} fake;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The question's name as text (labels joined by dots); false when bad. */
static bool qname(const unsigned char *m, size_t n, char *out, size_t cap, size_t *end)
{
	size_t p = 12, o = 0;

	while (p < n && m[p]) {
		size_t l = m[p];
		if (l > 63 || p + 1 + l > n || o + l + 2 > cap)
			return false;
		if (o)
			out[o++] = '.';
		memcpy(out + o, m + p + 1, l);
		o += l;
		p += 1 + l;
	}
	if (p + 5 > n)
		return false;
	out[o] = '\0';
	*end = p + 1;
	return true;
}

static bool drop_first(fake *f, unsigned type, const char *name)
{
	char key[68];
	size_t i;

	snprintf(key, sizeof(key), "%c%s", (char)type, name);
	for (i = 0; i < f->nfirst; i++)
		if (strcmp(f->firsts[i], key) == 0)
			return false; /* asked before: answered now */
	if (f->nfirst == MAXLOG)
		return false;
	memcpy(f->firsts[f->nfirst++], key, sizeof(key));
	return f->drop_every && f->nfirst % f->drop_every == 0;
}

/* Makes the answer to the question in m (n bytes) in place; 0 = drop it. */
static size_t answer(fake *f, unsigned char *m, size_t n, bool tcp)
{
	size_t q, len;
	unsigned type;
	char name[64];
	seen *s;
	bool empty;

	if (n < 17 || !qname(m, n, name, sizeof(name), &q) || f->n == MAXLOG)
		return 0;
	type = (unsigned)m[q] << 8 | m[q + 1];
	len = q + 4;
	empty = type != 15 && type != 1;
	s = &f->log[f->n++];
	s->ms = now_ms();
	s->type = type;
	s->tcp = tcp;
	snprintf(s->name, sizeof(s->name), "%s", name);
	m[2] = 0x84 | (m[2] & 0x01); /* QR AA, keep RD */
	m[3] = 0x80;
	memset(m + 6, 0, 6);
	if (!tcp && empty && f->slip && ++f->empties > f->slip) {
		/* over the limit: drop one, truncate the next, like nsd's RRL */
		if (f->empties % 2) {
			s->dropped = true;
			return 0;
		}
		m[2] |= 0x02;
		s->truncated = true;
		return len;
	}
	if (!tcp && (s->dropped = drop_first(f, type, name)))
		return 0;
	if (!empty) {
		static const unsigned char mx[] = {0xc0, 0x0c, 0, 15, 0, 1,  0,    0,
		                                   1,    44,   0, 4,  0, 10, 0xc0, 0x0c};
		static const unsigned char a[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
		                                  1,    44,   0, 4, 127, 0, 0, 9};
		memcpy(m + len, type == 15 ? mx : a, 16);
		len += 16;
		m[7] = 1;
	}
	return len;
}

/* One TCP connection's questions (2-byte length, then the message). */
static bool serve_tcp(fake *f, int fd)
{
	unsigned char m[602];
	size_t len;
	uint16_t l;

	if (recv(fd, &l, 2, MSG_WAITALL) != 2)
		return false;
	len = ntohs(l);
	if (len > 512 || recv(fd, m + 2, len, MSG_WAITALL) != (ssize_t)len)
		return false;
	len = answer(f, m + 2, len, true);
	l = htons((uint16_t)len);
	memcpy(m, &l, 2);
	return len && send(fd, m, len + 2, MSG_NOSIGNAL) == (ssize_t)(len + 2);
}

static void *fake_run(void *arg)
{
	fake *f = arg;
	struct pollfd p[2 + 8];
	size_t np = 2;

	p[0] = (struct pollfd){.fd = f->fd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = f->lfd, .events = f->lfd >= 0 ? POLLIN : 0};
	while (!atomic_load(&f->stop)) {
		if (poll(p, np, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			unsigned char m[600];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(f->fd, m, 512, 0, (struct sockaddr *)&from, &fl);
			size_t len = n > 0 ? answer(f, m, (size_t)n, false) : 0;
			if (len)
				sendto(f->fd, m, len, 0, (struct sockaddr *)&from, fl);
		}
		if ((p[1].revents & POLLIN) && np < 10) {
			int c = accept(f->lfd, NULL, NULL);
			if (c >= 0)
				p[np++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
		for (size_t i = 2; i < np; i++)
			if (p[i].revents && !serve_tcp(f, p[i].fd)) {
				close(p[i].fd);
				p[i--] = p[--np];
			}
	}
	for (size_t i = 2; i < np; i++)
		close(p[i].fd);
	return NULL;
}

/* A UDP socket and a TCP listener on one loopback port: TCP first on any
 * free port, then UDP on the same one (tried again when that is taken). */
static void udp_tcp_pair(fake *f)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(sa);
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), u;
		assert_true(t >= 0);
		assert_int_equal(bind(t, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(t, (struct sockaddr *)&sa, &len), 0);
		u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(u >= 0);
		if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(t, 8) == 0) {
			f->fd = u;
			f->lfd = t;
			snprintf(f->spec, sizeof(f->spec), "127.0.0.1:%d", ntohs(sa.sin_port));
			return;
		}
		close(u);
		close(t);
	}
	fail_msg("no free loopback port for both UDP and TCP");
}

/* tcp false: the port refuses TCP. */
static fake *fake_start_slip(unsigned drop_every, unsigned slip, bool tcp)
{
	fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	udp_tcp_pair(f);
	if (!tcp) {
		close(f->lfd);
		f->lfd = -1;
	}
	f->drop_every = drop_every;
	f->slip = slip;
	atomic_init(&f->stop, false);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
	return f;
}

static fake *fake_start(unsigned drop_every)
{
	return fake_start_slip(drop_every, 0, true);
}

/* Stops the server; its log can be read after this. */
static void fake_stop(fake *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->th, NULL);
	close(f->fd);
	if (f->lfd >= 0)
		close(f->lfd);
}

typedef struct results {
	mx_domain *d[256];
	size_t n;
} results;

static void collect(mx_domain *d, void *arg)
{
	results *r = arg;
	assert_true(r->n < 256);
	r->d[r->n++] = d;
}

static dns_client *client(uv_loop_t *loop, const char *server, const dns_config *base)
{
	const char *servers[] = {server};
	dns_config cfg = *base;
	char *why = NULL;
	dns_client *c;

	cfg.servers = servers;
	cfg.nservers = 1;
	if (dns_client_new(loop, &cfg, &c, &why) != MXS_OK)
		fail_msg("dns_client_new: %s", why);
	return c;
}

/* n domains through the MX job, asking family (0 both) */
static void resolve_family(uv_loop_t *loop, dns_client *c, size_t n, int family, results *r)
{
	mxjob_config jc = {.family = family};
	size_t want = r->n + n;
	char name[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%zu.pace.test", i);
		assert_int_equal(mxjob_resolve(c, mx_domain_new(name), &jc, collect, r), MXS_OK);
	}
	while (r->n < want)
		uv_run(loop, UV_RUN_ONCE);
}

static void resolve(uv_loop_t *loop, dns_client *c, size_t n, results *r)
{
	resolve_family(loop, c, n, 0, r);
}

static void finish(uv_loop_t *loop, dns_client *c, results *r)
{
	for (size_t i = 0; i < r->n; i++)
		mx_domain_free(r->d[i]);
	dns_client_free(c);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

/* Every domain came back whole: MX, the target's A, its AAAA empty. */
static void assert_all_answered(const results *r, size_t n)
{
	assert_int_equal(r->n, n);
	for (size_t i = 0; i < r->n; i++) {
		const mx_domain *d = r->d[i];
		const mx_host *h;
		if (mx_domain_mx_rcode(d) != MX_RC_OK || mx_domain_host_count(d) != 1)
			fail_msg("%s: MX %s", mx_domain_name(d),
			         mx_rcode_str(mx_domain_mx_rcode(d)));
		h = mx_domain_host(d, 0);
		if (h->a_rc != MX_RC_OK || h->naddrs != 1 || h->aaaa_rc != MX_RC_NODATA)
			fail_msg("%s: A %s (%zu addresses), AAAA %s", mx_domain_name(d),
			         mx_rcode_str(h->a_rc), h->naddrs, mx_rcode_str(h->aaaa_rc));
	}
}

/* A server that drops every third distinct question the first time: every
 * answer still comes (each dropped question is asked again, once), the
 * window was halved, and nothing was asked more than needed. */
static void test_loss_no_answer_lost(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start(3);
	dns_config cfg = {.timeout_ms = 1500, .max_outstanding = 40};
	dns_client *c;
	results r = {0};
	dns_pacing_stats st;
	size_t dropped = 0;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	resolve(&loop, c, 60, &r);
	fake_stop(f);
	assert_all_answered(&r, 60);
	for (size_t i = 0; i < f->n; i++)
		dropped += f->log[i].dropped;
	assert_int_equal(f->nfirst, 180); /* MX, A, AAAA of 60 domains; no SRV */
	assert_true(dropped >= 60);
	/* each dropped question asked exactly once more, nothing else again */
	assert_int_equal(f->n, 180 + dropped);
	dns_client_pacing(c, &st);
	assert_int_equal(st.timeouts, dropped);
	assert_int_equal(st.retries, dropped);
	assert_true(st.halvings >= 1);
	assert_true(st.window >= 4 && st.window <= 40); /* floor: 40 / 10 */
	assert_true(dns_client_peak(c) <= 40);
	finish(&loop, c, &r);
	free(f);
}

/* Without loss the window grows from its floor to the ceiling. */
static void test_window_grows(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start(0);
	dns_config cfg = {.timeout_ms = 3000, .max_outstanding = 50};
	dns_client *c;
	results r = {0};
	dns_pacing_stats st;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	dns_client_pacing(c, &st);
	assert_int_equal(st.window, 5);
	resolve(&loop, c, 100, &r);
	fake_stop(f);
	assert_all_answered(&r, 100);
	dns_client_pacing(c, &st);
	assert_int_equal(st.window, 50);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.halvings, 0);
	assert_int_equal(f->n, 300);
	finish(&loop, c, &r);
	free(f);
}

/* --qps 100: in every window of the server's own clock, at most the
 * ceiling plus the bucket's 20 ms of tokens arrive (retries included:
 * this server also drops). */
static void test_qps_ceiling(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start(7);
	dns_config cfg = {.timeout_ms = 3000, .qps = 100};
	dns_client *c;
	results r = {0};
	size_t most_1s = 0, most_200ms = 0;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	resolve(&loop, c, 50, &r);
	fake_stop(f);
	assert_all_answered(&r, 50);
	assert_true(f->n > 150);
	for (size_t i = 0; i < f->n; i++) {
		size_t in1 = 0, in200 = 0;
		for (size_t k = i; k < f->n && f->log[k].ms < f->log[i].ms + 1000; k++) {
			in1++;
			in200 += f->log[k].ms < f->log[i].ms + 200;
		}
		most_1s = in1 > most_1s ? in1 : most_1s;
		most_200ms = in200 > most_200ms ? in200 : most_200ms;
	}
	print_message("most questions in 1 s: %zu, in 200 ms: %zu\n", most_1s, most_200ms);
	/* 100/s, 2 tokens saved up, 1 for the loop's millisecond clock */
	assert_true(most_1s <= 100 + 3);
	assert_true(most_200ms <= 20 + 3);
	finish(&loop, c, &r);
	free(f);
}

/* The lab's many.lab.test has 40 MX records: over UDP they come back
 * truncated. They are asked again over TCP at once (not after a try's
 * timeout of 20 s), and the questions that follow go over TCP too. */
static void test_truncated_tcp_at_once(void **state)
{
	uv_loop_t loop;
	hlab_here lab;
	dns_config cfg = {.timeout_ms = 60000};
	dns_client *c;
	results r = {0};
	dns_pacing_stats st;
	uint64_t start;

	(void)state;
	h_lab_open(&lab, &loop, NULL, NULL, H_DNS);
	c = client(&loop, lab.server, &cfg);
	start = uv_now(&loop);
	assert_int_equal(mxjob_resolve(c, mx_domain_new("many.lab.test"), NULL, collect, &r),
	                 MXS_OK);
	while (r.n < 1)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(uv_now(&loop) - start < 20000);
	assert_int_equal(r.n, 1);
	assert_int_equal(mx_domain_mx_rcode(r.d[0]), MX_RC_OK);
	assert_int_equal(mx_domain_host_count(r.d[0]), 40);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(mx_domain_host(r.d[0], i)->a_rc, MX_RC_OK);
	dns_client_pacing(c, &st);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.tcp, 1 + 80); /* the MX again, then A and AAAA of 40 */
	mx_domain_free(r.d[0]);
	dns_client_free(c);
	h_lab_close(&lab);
}

/* A server that rate limits its empty answers as nsd does (drop one,
 * truncate the next): the first truncated answer sends it and every UDP
 * question still out (the dropped ones among them) over TCP at once, so
 * no question waits a try's timeout (10 s here) and none is lost. */
static void test_slip_goes_tcp(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start_slip(0, 20, true);
	dns_config cfg = {.timeout_ms = 30000};
	dns_client *c;
	results r = {0};
	dns_pacing_stats st;
	size_t dropped = 0, tcp = 0;
	uint64_t start;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	start = uv_now(&loop);
	resolve(&loop, c, 100, &r);
	fake_stop(f);
	assert_true(uv_now(&loop) - start < 10000);
	assert_all_answered(&r, 100);
	for (size_t i = 0; i < f->n; i++) {
		dropped += f->log[i].dropped;
		tcp += f->log[i].tcp;
	}
	dns_client_pacing(c, &st);
	print_message("%zu questions at the server, %zu dropped, %zu over TCP; %lu truncated, "
	              "%lu superseded\n",
	              f->n, dropped, tcp, st.truncated, st.superseded);
	assert_true(dropped >= 1);
	assert_true(st.truncated >= 1);
	assert_true(st.superseded >= dropped);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.tcp, tcp);
	finish(&loop, c, &r);
	free(f);
}

/* The same limiter on a server that refuses TCP: after a few refusals the
 * engine stays on UDP and takes the truncated (empty) answers as they
 * are; nothing hangs, and every non-empty answer comes. */
static void test_slip_without_tcp(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start_slip(0, 20, false);
	dns_config cfg = {.timeout_ms = 3000};
	dns_client *c;
	results r = {0};
	size_t tcp = 0;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	resolve(&loop, c, 60, &r);
	fake_stop(f);
	for (size_t i = 0; i < f->n; i++)
		tcp += f->log[i].tcp;
	assert_int_equal(tcp, 0);
	assert_int_equal(r.n, 60);
	for (size_t i = 0; i < r.n; i++) {
		const mx_host *h = mx_domain_host(r.d[i], 0);
		assert_int_equal(mx_domain_mx_rcode(r.d[i]), MX_RC_OK);
		assert_int_equal(h->a_rc, MX_RC_OK);
		assert_true(h->aaaa_rc == MX_RC_NODATA || h->aaaa_rc == MX_RC_TIMEOUT);
	}
	finish(&loop, c, &r);
	free(f);
}

/* -4 asks only A, -6 only AAAA; the other family stays "not asked". */
static void test_one_family(void **state)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		uv_loop_t loop;
		fake *f = fake_start(0);
		dns_config cfg = {.timeout_ms = 3000};
		dns_client *c;
		results r = {0};
		const mx_host *h;

		(void)state;
		uv_loop_init(&loop);
		c = client(&loop, f->spec, &cfg);
		resolve_family(&loop, c, 3, fam, &r);
		fake_stop(f);
		assert_int_equal(f->n, 6);
		for (size_t i = 0; i < f->n; i++)
			assert_true(f->log[i].type == 15 ||
			            f->log[i].type == (fam == 4 ? 1u : 28u));
		h = mx_domain_host(r.d[0], 0);
		assert_int_equal(h->a_rc, fam == 4 ? MX_RC_OK : MX_RC_NOT_ASKED);
		assert_int_equal(h->aaaa_rc, fam == 6 ? MX_RC_NODATA : MX_RC_NOT_ASKED);
		assert_int_equal(h->naddrs, fam == 4 ? 1 : 0);
		finish(&loop, c, &r);
		free(f);
	}
}

/* SRV only when asked, and from the moment it is turned on. */
static void test_srv_when_asked(void **state)
{
	uv_loop_t loop;
	fake *f = fake_start(0);
	dns_config cfg = {.timeout_ms = 3000};
	dns_client *c;
	results r = {0};
	size_t srv = 0;

	(void)state;
	uv_loop_init(&loop);
	c = client(&loop, f->spec, &cfg);
	resolve(&loop, c, 2, &r);
	assert_int_equal(f->n, 6);
	assert_int_equal(mxjob_resolve(c, mx_domain_new("srv.pace.test"),
	                               &(mxjob_config){.srv = true}, collect, &r),
	                 MXS_OK);
	while (r.n < 3)
		uv_run(&loop, UV_RUN_ONCE);
	fake_stop(f);
	for (size_t i = 0; i < f->n; i++)
		srv += f->log[i].type == 33;
	assert_int_equal(srv, 6);
	assert_int_equal(f->n, 6 + 3 + 6);
	finish(&loop, c, &r);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loss_no_answer_lost),
	    cmocka_unit_test(test_window_grows),
	    cmocka_unit_test(test_qps_ceiling),
	    cmocka_unit_test(test_truncated_tcp_at_once),
	    cmocka_unit_test(test_slip_goes_tcp),
	    cmocka_unit_test(test_slip_without_tcp),
	    cmocka_unit_test(test_one_family),
	    cmocka_unit_test(test_srv_when_asked),
	};
	char *why = NULL;
	int rc;

	if (dns_global_init(&why) != MXS_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dns_global_cleanup();
	return rc;
}
