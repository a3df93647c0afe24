/* tests/test_wire.c — protocol bytes against data files, as curl's test data
 * files hold its protocol exchanges. The real prober (net/smtp, libcurl) and
 * the real resolver (net/dns, c-ares) talk to the real lab servers (in this
 * process, tests/harness.h) through a relay on loopback that records every
 * byte crossing it; the record is compared with the files in tests/data/ exactly.
 * A change in what goes on the wire, deliberate or not, fails here and shows
 * in the diff of the data file. To regenerate after a deliberate change:
 *   MXSCOPE_REGEN=1 meson test -C build wire && git diff tests/data/
 * tests/data/README.md describes the format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns.h"
#include "mxjob.h"
#include "harness.h"
#include "lab.h"
#include "smtp.h"

#define EHLO_NAME  "probe.mxscope.test"
#define RELAY_ADDR "127.0.97.1" /* no lab host here: the relay takes it */

static const char zone[] = "$ORIGIN wire.test.\n"
                           "$TTL 300\n"
                           "$SCENARIO wire\n"
                           "$TITLE protocol bytes, for tests/test_wire.c\n"
                           "$DOMAIN wire.test.\n"
                           "@ MX 10 mx\n"
                           "mx A 127.0.96.1\n"
                           "plain A 127.0.96.2\n"
                           "$SMTP 127.0.96.1 accept tls=valid name=mx.wire.test\n"
                           "$SMTP 127.0.96.2 accept starttls=no name=plain.wire.test\n";

typedef struct fixture {
	uv_loop_t loop;
	hlab_here lab;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;

	assert_non_null(f);
	assert_int_equal(dns_global_init(&why), MXS_OK);
	assert_int_equal(smtp_global_init(&why), MXS_OK);
	h_lab_open(&f->lab, &f->loop, "wire.zone", zone, H_DNS | H_SMTP);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	h_lab_close(&f->lab);
	smtp_global_cleanup();
	dns_global_cleanup();
	free(f);
	return 0;
}

/* ---- text: a growing buffer, and bytes written so a person can read them - */

typedef struct text {
	char *s;
	size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* Printable ASCII as itself; backslash, CR, LF and every other byte escaped,
 * so a line of the file is one line on the wire, its ending included. */
static void put_escaped(text *t, const unsigned char *p, size_t n)
{
	char buf[8];

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			puts_(t, "\\\\");
		else if (p[i] == '\r')
			puts_(t, "\\r");
		else if (p[i] == '\n')
			puts_(t, "\\n");
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			put(t, (const char *)&p[i], 1);
		else {
			snprintf(buf, sizeof(buf), "\\x%02x", p[i]);
			puts_(t, buf);
		}
	}
}

static void put_hex(text *t, const char *prefix, const unsigned char *p, size_t n)
{
	char buf[8];

	for (size_t i = 0; i < n; i += 16) {
		puts_(t, prefix);
		for (size_t k = i; k < n && k < i + 16; k++) {
			snprintf(buf, sizeof(buf), " %02x", p[k]);
			puts_(t, buf);
		}
		puts_(t, "\n");
	}
}

/* Compares got with tests/data/name, comment lines ('#') left out of both;
 * with MXSCOPE_REGEN set, writes got there instead. */
static void compare_with_file(const char *name, const char *header, const text *got)
{
	const char *srcdir = getenv("MXSCOPE_SRCDIR");
	char path[512];
	text want = {0}, have = {0};
	FILE *fp;
	char line[4096];

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir ? srcdir : ".", name);
	if (getenv("MXSCOPE_REGEN")) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(header, fp);
		fputs(got->s, fp);
		assert_int_equal(fclose(fp), 0);
		print_message("wrote %s\n", path);
		return;
	}
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: cannot open (MXSCOPE_REGEN=1 writes it)", path);
	while (fgets(line, sizeof(line), fp))
		if (line[0] != '#')
			puts_(&want, line);
	fclose(fp);
	for (const char *p = got->s; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (*p != '#')
			put(&have, p, n);
		p += n;
	}
	puts_(&want, "");
	puts_(&have, "");
	if (strcmp(want.s, have.s) != 0) {
		/* the whole of both to stderr: cmocka cuts long messages */
		fprintf(stderr,
		        "%s: the wire differs from the file.\n--- file\n%s--- wire\n%s---\n", path,
		        want.s, have.s);
		fail();
	}
	free(want.s);
	free(have.s);
}

/* ---- a TCP relay that records both directions, line by line ----------------- */

typedef struct side {
	char dir; /* 'C' client to server, 'S' back */
	unsigned char part[4096];
	size_t n;
} side;

typedef struct tcp_relay {
	int lfd;               /* listening on RELAY_ADDR:port */
	struct sockaddr_in up; /* the lab host */
	text out;              /* "C: EHLO x\r\n" lines, in the order they were complete */
	side c, s;
	bool tls;                /* the client started a TLS handshake: stop reading */
	unsigned long tls_bytes; /* bytes relayed after that, both ways */
	pthread_t th;
} tcp_relay;

static void side_flush(tcp_relay *r, side *sd)
{
	char pre[4] = {sd->dir, ':', ' ', '\0'};

	if (!sd->n)
		return;
	puts_(&r->out, pre);
	put_escaped(&r->out, sd->part, sd->n);
	puts_(&r->out, "\n");
	sd->n = 0;
}

static void side_feed(tcp_relay *r, side *sd, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sd->part[sd->n++] = p[i];
		if (p[i] == '\n' || sd->n == sizeof(sd->part))
			side_flush(r, sd);
	}
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *tcp_relay_run(void *arg)
{
	tcp_relay *r = arg;
	struct pollfd pl = {.fd = r->lfd, .events = POLLIN};
	unsigned char buf[16384];
	int c, u;

	if (poll(&pl, 1, 10000) != 1)
		return NULL;
	c = accept(r->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u < 0 || connect(u, (struct sockaddr *)&r->up, sizeof(r->up)) != 0) {
		close(c);
		if (u >= 0)
			close(u);
		return NULL;
	}
	/* until both sides have closed: after the prober hangs up, the lab's
	 * last reply (221 to QUIT) is still read, so the record does not depend
	 * on which of the two the relay happened to see first */
	for (bool c_open = true, u_open = true; c_open || u_open;) {
		struct pollfd p[2] = {{.fd = c_open ? c : -1, .events = POLLIN},
		                      {.fd = u_open ? u : -1, .events = POLLIN}};
		int from;
		ssize_t n;

		if (poll(p, 2, 5000) <= 0)
			break;
		from = p[0].revents ? 0 : 1;
		n = read(from ? u : c, buf, sizeof(buf));
		if (n <= 0) {
			shutdown(from ? c : u, SHUT_WR);
			*(from ? &u_open : &c_open) = false;
			continue;
		}
		if (!r->tls && from == 0 && buf[0] == 0x16) {
			/* a TLS handshake record after STARTTLS: the rest is ciphertext */
			side_flush(r, &r->c);
			side_flush(r, &r->s);
			puts_(&r->out,
			      "-- TLS handshake: the rest of the connection is encrypted --\n");
			r->tls = true;
		}
		if (r->tls)
			r->tls_bytes += (unsigned long)n;
		else
			side_feed(r, from ? &r->s : &r->c, buf, (size_t)n);
		(void)write_all(from ? c : u, buf,
		                (size_t)n); /* a peer gone is not the record's business */
	}
	if (!r->tls) {
		side_flush(r, &r->c);
		side_flush(r, &r->s);
	}
	close(c);
	close(u);
	return NULL;
}

static void tcp_relay_start(tcp_relay *r, int port, const char *upstream)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->c.dir = 'C';
	r->s.dir = 'S';
	r->up = a;
	inet_pton(AF_INET, upstream, &r->up.sin_addr);
	inet_pton(AF_INET, RELAY_ADDR, &a.sin_addr);
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->lfd, 1), 0);
	assert_int_equal(pthread_create(&r->th, NULL, tcp_relay_run, r), 0);
}

/* ---- SMTP ---------------------------------------------------------------------- */

static void on_probe(probe_result *r, void *arg)
{
	*(probe_result **)arg = r;
}

/* One probe of host through the relay to its lab address; the relay's record. */
static probe_result *probe_through_relay(fixture *f, const char *host, const char *ip,
                                         tcp_relay *rel)
{
	smtp_config cfg = {.port = f->lab.smtp_port,
	                   .timeout_ms = 5000,
	                   .ehlo_name = EHLO_NAME,
	                   .ca_pem = lab_smtp_ca_pem(f->lab.smtp)};
	char *why = NULL;
	smtp_prober *p = smtp_prober_new(&f->loop, &cfg, &why);
	probe_result *r = NULL;

	assert_non_null(p);
	tcp_relay_start(rel, f->lab.smtp_port, ip);
	assert_int_equal(smtp_probe(p, host, RELAY_ADDR, on_probe, &r), MXS_OK);
	while (!r)
		uv_run(&f->loop, UV_RUN_ONCE);
	smtp_prober_free(p);
	/* the relay ends when the prober has hung up; the lab, on this loop, is
	 * turned meanwhile so it can see its side close */
	for (int i = 0; pthread_tryjoin_np(rel->th, NULL) == EBUSY; i++) {
		if (i == 1000)
			fail_msg("the relay did not end after the probe");
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
	close(rel->lfd);
	return r;
}

/* A host without STARTTLS: every byte of the session, both ways. */
static void test_smtp_plain(void **state)
{
	fixture *f = *state;
	tcp_relay rel;
	probe_result *r = probe_through_relay(f, "plain.wire.test", "127.0.96.2", &rel);

	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_false(rel.tls);
	compare_with_file(
	    "smtp-probe-plain.txt",
	    "# The SMTP session between the prober (net/smtp.c) and a lab host that\n"
	    "# offers no STARTTLS, every byte both ways (C: prober, S: lab), each line\n"
	    "# with its ending. The prober greets, asks NOOP and leaves: never MAIL,\n"
	    "# RCPT or DATA. Written by tests/test_wire.c (MXSCOPE_REGEN=1).\n",
	    &rel.out);
	probe_result_free(r);
	free(rel.out.s);
}

/* The prober's transcript lines after STARTTLS, as "tls C: ..." lines: what
 * libcurl handed to TLS, line endings not kept (the transcript drops them). */
static void put_tls_part(text *t, const char *transcript)
{
	const char *p = transcript ? strstr(transcript, "C: STARTTLS\n") : NULL;

	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	p = strchr(p, '\n'); /* the 220 to STARTTLS: on the wire above */
	assert_non_null(p);
	for (p++; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		puts_(t, "tls ");
		put_escaped(t, (const unsigned char *)p, n);
		puts_(t, "\n");
		p += n + (nl != NULL);
	}
}

/* A host with STARTTLS: the clear part byte for byte, then the commands the
 * prober sent inside TLS as its transcript has them. */
static void test_smtp_starttls(void **state)
{
	fixture *f = *state;
	tcp_relay rel;
	probe_result *r = probe_through_relay(f, "mx.wire.test", "127.0.96.1", &rel);

	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_true(r->tls.verified);
	assert_true(rel.tls);
	assert_true(rel.tls_bytes > 0);
	put_tls_part(&rel.out, r->transcript);
	compare_with_file(
	    "smtp-probe-starttls.txt",
	    "# The SMTP session between the prober (net/smtp.c) and a lab host with\n"
	    "# STARTTLS: the clear part every byte both ways (C: prober, S: lab) up to\n"
	    "# the TLS handshake, then (\"tls\" lines) what the prober said and heard\n"
	    "# inside TLS as its transcript has it (line endings not kept there).\n"
	    "# EHLO, STARTTLS, EHLO, NOOP, QUIT: never MAIL, RCPT or DATA.\n"
	    "# Written by tests/test_wire.c (MXSCOPE_REGEN=1).\n",
	    &rel.out);
	probe_result_free(r);
	free(rel.out.s);
}

/* ---- DNS: a UDP relay that records each question and its answer ----------------- */

typedef struct exchange {
	unsigned char q[512], a[4096];
	size_t qlen, alen;
} exchange;

typedef struct udp_relay {
	int cs, us; /* facing the client; connected to the lab server */
	struct sockaddr_in client;
	exchange x[64];
	size_t n;
	atomic_bool stop;
	pthread_t th;
} udp_relay;

static void *udp_relay_run(void *arg)
{
	udp_relay *r = arg;
	unsigned char buf[4096];

	while (!atomic_load(&r->stop)) {
		struct pollfd p[2] = {{.fd = r->cs, .events = POLLIN},
		                      {.fd = r->us, .events = POLLIN}};
		ssize_t n;

		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			socklen_t sl = sizeof(r->client);
			n = recvfrom(r->cs, buf, sizeof(buf), 0, (struct sockaddr *)&r->client,
			             &sl);
			if (n >= 12 && (size_t)n <= sizeof(r->x[0].q) && r->n < 64) {
				memcpy(r->x[r->n].q, buf, (size_t)n);
				r->x[r->n++].qlen = (size_t)n;
				send(r->us, buf, (size_t)n, 0);
			}
		}
		if (p[1].revents & POLLIN) {
			n = recv(r->us, buf, sizeof(buf), 0);
			if (n < 12)
				continue;
			for (size_t i = 0; i < r->n; i++)
				if (!r->x[i].alen && !memcmp(r->x[i].q, buf, 2)) {
					memcpy(r->x[i].a, buf, (size_t)n);
					r->x[i].alen = (size_t)n;
					break;
				}
			sendto(r->cs, buf, (size_t)n, 0, (struct sockaddr *)&r->client,
			       sizeof(r->client));
		}
	}
	return NULL;
}

/* "wire.test MX" from a question's bytes (names in questions are not
 * compressed), for the comment line above each exchange. */
static void question_text(const exchange *x, char *out, size_t cap)
{
	static const struct {
		unsigned type;
		const char *name;
	} types[] = {{1, "A"}, {5, "CNAME"}, {15, "MX"}, {28, "AAAA"}, {33, "SRV"}};
	size_t pos = 12, o = 0;
	unsigned type;
	const char *tn = "?";

	while (pos < x->qlen && x->q[pos] && o + 66 < cap) {
		size_t l = x->q[pos++];
		for (size_t i = 0; i < l && pos < x->qlen; i++)
			out[o++] = (char)x->q[pos++];
		out[o++] = '.';
	}
	out[o ? o - 1 : 0] = '\0';
	type = pos + 2 < x->qlen ? (unsigned)(x->q[pos + 1] << 8 | x->q[pos + 2]) : 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			tn = types[i].name;
	snprintf(out + strlen(out), cap - strlen(out), " %s", tn);
}

static int cmp_exchange(const void *a, const void *b)
{
	char ka[300], kb[300];

	question_text(a, ka, sizeof(ka));
	question_text(b, kb, sizeof(kb));
	return strcmp(ka, kb);
}

static void on_domain(mx_domain *d, void *arg)
{
	*(mx_domain **)arg = d;
}

/* Every question net/dns asks for wire.test and the lab's answer, as bytes;
 * the message ID (the first two bytes, random in c-ares) written as 00 00.
 * Sorted by question: c-ares asks some at once, in no promised order. */
static void test_dns_exchanges(void **state)
{
	fixture *f = *state;
	udp_relay rel = {0};
	char spec[40], *why = NULL, q[300];
	const char *servers[] = {spec};
	dns_config cfg = {.servers = servers, .nservers = 1, .timeout_ms = 3000};
	struct sockaddr_in up = {.sin_family = AF_INET};
	dns_client *c;
	mx_domain *d = NULL;
	text out = {0};

	rel.cs = h_udp_socket(spec, sizeof(spec));
	rel.us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rel.us >= 0);
	up.sin_port = htons((uint16_t)lab_dns_port(f->lab.dns));
	inet_pton(AF_INET, "127.0.0.1", &up.sin_addr);
	assert_int_equal(connect(rel.us, (struct sockaddr *)&up, sizeof(up)), 0);
	atomic_init(&rel.stop, false);
	assert_int_equal(pthread_create(&rel.th, NULL, udp_relay_run, &rel), 0);

	assert_int_equal(dns_client_new(&f->loop, &cfg, &c, &why), MXS_OK);
	assert_int_equal(mxjob_resolve(c, mx_domain_new("wire.test"), &(mxjob_config){.srv = true},
	                               on_domain, &d),
	                 MXS_OK);
	while (!d)
		uv_run(&f->loop, UV_RUN_ONCE);
	dns_client_free(c);
	atomic_store(&rel.stop, true);
	assert_int_equal(pthread_join(rel.th, NULL), 0);
	close(rel.cs);
	close(rel.us);
	mx_domain_free(d);

	assert_true(rel.n >= 3); /* MX, then A and AAAA for mx.wire.test at least */
	qsort(rel.x, rel.n, sizeof(rel.x[0]), cmp_exchange);
	for (size_t i = 0; i < rel.n; i++) {
		exchange *x = &rel.x[i];
		assert_true(x->alen > 0); /* every question answered */
		x->q[0] = x->q[1] = x->a[0] = x->a[1] = 0;
		question_text(x, q, sizeof(q));
		puts_(&out, "# ");
		puts_(&out, q);
		puts_(&out, "\n");
		put_hex(&out, "C:", x->q, x->qlen);
		put_hex(&out, "S:", x->a, x->alen);
	}
	compare_with_file("dns-wire-test.txt",
	                  "# Every DNS question net/dns (c-ares 1.18) asks to resolve wire.test\n"
	                  "# (tests/test_wire.c's zone) and the lab server's answer, as bytes in\n"
	                  "# hex (C: question, S: answer), sorted by question; the message ID\n"
	                  "# (first two bytes, random) is written as 00 00.\n"
	                  "# Written by tests/test_wire.c (MXSCOPE_REGEN=1).\n",
	                  &out);
	free(out.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_smtp_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smtp_starttls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dns_exchanges, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
