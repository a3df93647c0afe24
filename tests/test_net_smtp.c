/* tests/test_net_smtp.c — the real prober (libcurl on libuv) against the
 * real lab SMTP hosts, both on one loop in this process, on loopback only:
 * every lab behaviour classified, timings within bounds, TLS verified
 * against the MX name, bounded memory for hostile servers, the manners (one
 * connection per address, max_probes), cancelling, and the monitor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"
#include "lab.h"
#include "smtp.h"

#define EHLO_NAME "probe.mxscope.test"

static const char scenario[] =
    "$ORIGIN t.lab.test.\n"
    "$TTL 30\n"
    "$SCENARIO net-smtp-test\n"
    "$TITLE every lab SMTP behaviour, for tests/test_net_smtp.c\n"
    "$DOMAIN t.lab.test.\n"
    "@ MX 10 accept\n"
    "accept A 127.0.30.1\n"
    "$SMTP 127.0.30.1 accept tls=valid name=accept.t.lab.test\n"
    "$SMTP 127.0.30.2 refuse\n"
    "$SMTP 127.0.30.3 silent name=silent.t.lab.test\n"
    "$SMTP 127.0.30.4 slow 0.5 name=slow.t.lab.test\n"
    "$SMTP 127.0.30.5 tempfail name=tempfail.t.lab.test\n"
    "$SMTP 127.0.30.6 reject name=reject.t.lab.test\n"
    "$SMTP 127.0.30.7 multiline name=multi.t.lab.test\n"
    "$SMTP 127.0.30.8 drop-ehlo name=drop.t.lab.test\n"
    "$SMTP 127.0.30.9 long-line name=long.t.lab.test\n"
    "$SMTP 127.0.30.10 megabyte name=mega.t.lab.test\n"
    "$SMTP 127.0.30.11 escape name=esc.t.lab.test\n"
    "$SMTP 127.0.30.12 garbage name=garbage.t.lab.test\n"
    "$SMTP 127.0.30.13 tarpit name=tarpit.t.lab.test\n"
    "$SMTP 127.0.30.14 accept tls=expired name=expired.t.lab.test\n"
    "$SMTP 127.0.30.15 accept tls=self-signed name=selfsigned.t.lab.test\n"
    "$SMTP 127.0.30.16 accept tls=wrong-name name=wrongname.t.lab.test\n"
    "$SMTP 127.0.30.17 accept starttls=no name=plain.t.lab.test\n"
    "$SMTP 127.0.30.18 slow 0.2 name=slow2.t.lab.test\n"
    "$SMTP 127.0.30.19 accept name=a19.t.lab.test\n"
    "$SMTP 127.0.30.20 accept name=a20.t.lab.test\n"
    "$SMTP 127.0.30.21 accept name=a21.t.lab.test\n"
    "$SMTP 127.0.30.22 accept name=a22.t.lab.test\n"
    "$SMTP 127.0.30.23 accept name=a23.t.lab.test\n"
    "$SMTP 127.0.30.24 accept name=a24.t.lab.test\n"
    "$SMTP 127.0.30.25 accept noop=502 name=noop.t.lab.test\n"
    "$SMTP ::1 accept tls=valid name=v6.t.lab.test\n";

typedef struct fixture {
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h) */
	lab_world *w;
	lab_smtp *lab;
	int port;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;

	assert_int_equal(smtp_global_init(&why), MXS_OK);
	h_lab_open(&f->here, &f->loop, "test:net-smtp", scenario, H_SMTP);
	f->w = f->here.world;
	f->lab = f->here.smtp;
	f->port = f->here.smtp_port;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	h_lab_close(&f->here);
	smtp_global_cleanup();
	free(f);
	return 0;
}

static smtp_prober *prober(fixture *f, unsigned timeout_ms, unsigned max_probes)
{
	smtp_config cfg = {.port = f->port,
	                   .timeout_ms = timeout_ms,
	                   .max_probes = max_probes,
	                   .ehlo_name = EHLO_NAME,
	                   .ca_pem = lab_smtp_ca_pem(f->lab)};
	char *why = NULL;
	smtp_prober *p = smtp_prober_new(&f->loop, &cfg, &why);

	if (!p) {
		print_error("smtp_prober_new: %s\n", why);
		fail();
	}
	return p;
}

/* Frees p and runs the loop until its handles have closed. */
static void prober_done(fixture *f, smtp_prober *p)
{
	smtp_prober_free(p);
	for (int i = 0; i < 10; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

typedef struct got {
	probe_result *r[64];
	size_t n;
	uint64_t at[64]; /* uv_hrtime() when each came back */
} got;

static void collect(probe_result *r, void *arg)
{
	got *g = arg;

	assert_true(g->n < 64);
	g->at[g->n] = uv_hrtime();
	g->r[g->n++] = r;
}

static void wait_for(fixture *f, got *g, size_t n)
{
	while (g->n < n)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static void got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		probe_result_free(g->r[i]);
	g->n = 0;
}

/* One probe of ip as host with the given timeout; the result is the caller's. */
static probe_result *probe1(fixture *f, unsigned timeout_ms, const char *host, const char *ip)
{
	smtp_prober *p = prober(f, timeout_ms, 0);
	got g = {0};

	assert_int_equal(smtp_probe(p, host, ip, collect, &g), MXS_OK);
	assert_int_equal(smtp_prober_busy(p), 1);
	wait_for(f, &g, 1);
	assert_int_equal(smtp_prober_busy(p), 0);
	prober_done(f, p);
	return g.r[0];
}

static bool has_ehlo(const probe_result *r, const char *ext)
{
	for (size_t i = 0; i < r->nehlo; i++)
		if (strcmp(r->ehlo[i], ext) == 0)
			return true;
	return false;
}

/* The probe never sends mail: no MAIL, RCPT or DATA in what it said. */
static void assert_no_mail(const probe_result *r)
{
	const char *t = r->transcript ? r->transcript : "";

	assert_null(strstr(t, "C: MAIL"));
	assert_null(strstr(t, "C: RCPT"));
	assert_null(strstr(t, "C: DATA"));
	assert_null(strstr(t, "C: mail"));
	assert_null(strstr(t, "C: rcpt"));
}

static void show(const probe_result *r)
{
	print_message("%s %s: %s code %d error \"%s\" greeting %ld total %ld\n", r->host, r->ip,
	              probe_state_word(r->state), r->code, r->error ? r->error : "", r->t.greeting,
	              r->t.total);
}

/* ---- each behaviour ------------------------------------------------------ */

static void test_accept(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "accept.t.lab.test", "127.0.30.1");
	const char *last_c;

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_false(probe_state_moves_on(r->state));
	assert_int_equal(r->code, 220);
	assert_string_equal(r->host, "accept.t.lab.test");
	assert_string_equal(r->ip, "127.0.30.1");
	assert_int_equal(r->port, f->port);
	assert_string_equal(r->greeting, "accept.t.lab.test ESMTP mxscope lab");
	assert_true(has_ehlo(r, "PIPELINING"));
	assert_true(has_ehlo(r, "SIZE 10240000"));
	assert_true(has_ehlo(r, "STARTTLS"));
	assert_false(has_ehlo(r, "accept.t.lab.test greets " EHLO_NAME)); /* not an extension */
	assert_true(r->tls.offered);
	assert_true(r->tls.done);
	assert_true(r->tls.verified);
	assert_null(r->tls.verify_error);
	assert_non_null(r->tls.subject);
	assert_non_null(strstr(r->tls.subject, "accept.t.lab.test"));
	assert_non_null(r->tls.issuer);
	assert_non_null(r->tls.not_before);
	assert_non_null(r->tls.not_after);
	assert_non_null(r->tls.version);
	assert_non_null(strstr(r->tls.version, "TLS"));
	assert_null(r->error);
	/* timings: in order, and a prompt host greets quickly */
	assert_true(r->t.connect >= 0);
	assert_true(r->t.greeting >= r->t.connect);
	assert_true(r->t.ehlo >= r->t.greeting);
	assert_true(r->t.tls >= r->t.ehlo);
	assert_true(r->t.total >= r->t.tls);
	/* the transcript: EHLO with our name, STARTTLS, NOOP, and QUIT last */
	assert_non_null(r->transcript);
	assert_false(r->transcript_cut);
	assert_memory_equal(r->transcript, "S: 220 accept.t.lab.test", 24);
	assert_non_null(strstr(r->transcript, "C: EHLO " EHLO_NAME "\n"));
	assert_non_null(strstr(r->transcript, "C: STARTTLS\n"));
	assert_non_null(strstr(r->transcript, "C: NOOP\n"));
	last_c = r->transcript;
	for (const char *s = r->transcript; (s = strstr(s, "C: ")); s++)
		last_c = s;
	/* the 221 is not read: see on_client_line in net/smtp.c */
	assert_string_equal(last_c, "C: QUIT\n");
	assert_no_mail(r);
	probe_result_free(r);
}

static void test_ipv6(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "v6.t.lab.test", "::1");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_string_equal(r->ip, "::1");
	assert_non_null(strstr(r->greeting, "v6.t.lab.test"));
	assert_true(r->tls.verified);
	assert_non_null(strstr(r->tls.subject, "v6.t.lab.test"));
	assert_no_mail(r);
	probe_result_free(r);
	/* a non-canonical spelling is the same address */
	r = probe1(f, 2000, NULL, "0:0::1");
	assert_string_equal(r->ip, "::1");
	assert_string_equal(r->host, "::1");
	assert_int_equal(r->state, PROBE_ACCEPTED);
	/* TLS verified against an address as the name fails: the cert names a host */
	assert_true(r->tls.done || r->tls.verify_error);
	probe_result_free(r);
}

static void test_refuse(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "refuse.t.lab.test", "127.0.30.2");

	show(r);
	assert_int_equal(r->state, PROBE_REFUSED);
	assert_true(probe_state_moves_on(r->state));
	assert_int_equal(r->code, 0);
	assert_null(r->greeting);
	assert_int_equal(r->nehlo, 0);
	assert_int_equal(r->t.greeting, -1);
	assert_non_null(r->error);
	probe_result_free(r);
}

static void test_silent(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 500, "silent.t.lab.test", "127.0.30.3");

	show(r);
	assert_int_equal(r->state, PROBE_GREETING_TIMEOUT);
	assert_int_equal(r->code, 0);
	assert_true(r->t.connect >= 0);
	assert_true(r->t.total >= 450);
	assert_non_null(r->error);
	probe_result_free(r);
}

static void test_slow(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "slow.t.lab.test", "127.0.30.4");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_true(r->t.greeting >= 450);
	probe_result_free(r);
	/* slower than the timeout: no greeting in time */
	r = probe1(f, 300, "slow.t.lab.test", "127.0.30.4");
	show(r);
	assert_int_equal(r->state, PROBE_GREETING_TIMEOUT);
	probe_result_free(r);
}

static void test_tempfail_reject(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "tempfail.t.lab.test", "127.0.30.5");

	show(r);
	assert_int_equal(r->state, PROBE_TEMPFAIL);
	assert_int_equal(r->code, 421);
	assert_non_null(strstr(r->greeting, "try later"));
	assert_true(probe_state_moves_on(r->state));
	assert_int_equal(r->nehlo, 0);
	assert_no_mail(r);
	probe_result_free(r);

	r = probe1(f, 2000, "reject.t.lab.test", "127.0.30.6");
	show(r);
	assert_int_equal(r->state, PROBE_REJECTED);
	assert_int_equal(r->code, 554);
	assert_non_null(strstr(r->greeting, "no mail here"));
	assert_true(probe_state_moves_on(r->state));
	assert_no_mail(r);
	probe_result_free(r);
}

static void test_multiline(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "multi.t.lab.test", "127.0.30.7");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_int_equal(r->code, 220);
	assert_string_equal(r->greeting, "multi.t.lab.test ESMTP\nsecond line\nthird line");
	assert_true(has_ehlo(r, "PIPELINING"));
	probe_result_free(r);
}

static void test_drop_ehlo(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "drop.t.lab.test", "127.0.30.8");

	show(r);
	/* greeted with 220, then hung up at EHLO: no sender can hand mail
	 * over there, so it is a state of its own, not "accepted" */
	assert_int_equal(r->state, PROBE_DROPPED);
	assert_true(probe_state_moves_on(r->state));
	assert_int_equal(r->code, 220);
	assert_non_null(r->error);
	assert_non_null(strstr(r->error, "closed during EHLO"));
	assert_int_equal(r->nehlo, 0);
	assert_false(r->tls.offered);
	assert_int_equal(r->t.ehlo, -1);
	probe_result_free(r);
}

/* A 502 to our NOOP is NOOP's failure: libcurl sends QUIT on its way out,
 * and the label once named that QUIT ("QUIT: Command failed: 502"). A
 * sender never says NOOP, so the greeting still decides: accepted. */
static void test_noop_502(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "noop.t.lab.test", "127.0.30.25");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_int_equal(r->code, 220);
	assert_non_null(r->transcript);
	assert_non_null(strstr(r->transcript, "C: NOOP\nS: 502 "));
	assert_non_null(r->error);
	assert_true(strncmp(r->error, "NOOP: ", 6) == 0);
	assert_non_null(strstr(r->error, "502"));
	assert_null(strstr(r->error, "QUIT"));
	probe_result_free(r);
}

static void test_long_line(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "long.t.lab.test", "127.0.30.9");

	show(r);
	/* libcurl stops at 300 KiB without a line end, long before the timeout */
	assert_int_equal(r->state, PROBE_GARBAGE);
	assert_non_null(strstr(r->error, "no complete reply"));
	assert_int_equal(r->code, 0);
	assert_true(!r->transcript || strlen(r->transcript) <= PROBE_TRANSCRIPT_MAX);
	assert_true(!r->greeting || strlen(r->greeting) <= PROBE_GREETING_MAX);
	probe_result_free(r);
}

static void test_megabyte(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 3000, "mega.t.lab.test", "127.0.30.10");

	show(r);
	/* a megabyte of 220- lines: libcurl gives up after 300 KiB of them */
	assert_int_equal(r->state, PROBE_GARBAGE);
	assert_int_equal(r->code, 0);
	assert_true(r->transcript_cut);
	assert_int_equal(strlen(r->transcript), PROBE_TRANSCRIPT_MAX);
	assert_non_null(r->greeting);
	assert_true(strlen(r->greeting) <= PROBE_GREETING_MAX);
	assert_memory_equal(r->greeting, "line ", 5);
	for (size_t i = 0; i < r->nehlo; i++)
		assert_true(strlen(r->ehlo[i]) <= PROBE_EHLO_LINE_MAX);
	assert_no_mail(r);
	probe_result_free(r);
}

static void test_escape(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "esc.t.lab.test", "127.0.30.11");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	/* raw bytes kept: sanitising is the report's job */
	assert_non_null(strstr(r->greeting, "\x1b[2J"));
	assert_non_null(strstr(r->greeting, "\x1b]0;pwned\x07"));
	assert_non_null(strstr(r->transcript, "\x1b[31m"));
	probe_result_free(r);
}

static void test_garbage(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "garbage.t.lab.test", "127.0.30.12");

	show(r);
	assert_int_equal(r->state, PROBE_GARBAGE);
	assert_true(probe_state_moves_on(r->state));
	assert_int_equal(r->code, 0);
	assert_null(r->greeting);
	assert_non_null(r->error);
	assert_true(!r->transcript || strlen(r->transcript) <= PROBE_TRANSCRIPT_MAX);
	probe_result_free(r);
}

static void test_tarpit(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 500, "tarpit.t.lab.test", "127.0.30.13");

	show(r);
	assert_int_equal(r->state, PROBE_GREETING_TIMEOUT);
	assert_true(r->t.total >= 450);
	probe_result_free(r);
}

static void test_tls_bad(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *name, *ip, *why;
	} cases[] = {
	    {"expired.t.lab.test", "127.0.30.14", "expired"},
	    {"selfsigned.t.lab.test", "127.0.30.15", "self"},
	    {"wrongname.t.lab.test", "127.0.30.16", "name"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		probe_result *r = probe1(f, 2000, cases[i].name, cases[i].ip);
		show(r);
		/* opportunistic TLS: the greeting decides, the certificate is a finding */
		assert_int_equal(r->state, PROBE_ACCEPTED);
		assert_true(r->tls.offered);
		assert_false(r->tls.verified);
		assert_non_null(r->tls.verify_error);
		if (!strstr(r->tls.verify_error, cases[i].why)) {
			print_error("%s: \"%s\" lacks \"%s\"\n", cases[i].name, r->tls.verify_error,
			            cases[i].why);
			fail();
		}
		assert_no_mail(r);
		probe_result_free(r);
	}
	/* the lab CA not trusted (system store only): even the good one fails */
	{
		smtp_config cfg = {.port = f->port, .timeout_ms = 2000, .ehlo_name = EHLO_NAME};
		char *why = NULL;
		smtp_prober *p = smtp_prober_new(&f->loop, &cfg, &why);
		got g = {0};
		assert_non_null(p);
		assert_int_equal(smtp_probe(p, "accept.t.lab.test", "127.0.30.1", collect, &g),
		                 MXS_OK);
		wait_for(f, &g, 1);
		assert_int_equal(g.r[0]->state, PROBE_ACCEPTED);
		assert_false(g.r[0]->tls.verified);
		assert_non_null(g.r[0]->tls.verify_error);
		got_free(&g);
		prober_done(f, p);
	}
}

/* ---- the certificate, always (net/cert.c) ------------------------------ */

/* libcurl verifying during the handshake, as the prober did before it
 * judged certificates itself: the reference verdict. Runs in a thread
 * because curl_easy_perform blocks and the lab answers on our loop. */
typedef struct curl_ref {
	const char *host, *ip, *ca_pem;
	int port;
	CURLcode rc;
	atomic_int done;
} curl_ref;

static size_t ref_discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

static void *curl_ref_run(void *arg)
{
	curl_ref *c = arg;
	CURL *e = curl_easy_init();
	char url[300], pin[300];
	struct curl_slist *to;

	snprintf(url, sizeof(url), "smtp://%s:%d/" EHLO_NAME, c->host, c->port);
	snprintf(pin, sizeof(pin), "%s:%d:%s:%d", c->host, c->port, c->ip, c->port);
	to = curl_slist_append(NULL, pin);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, to);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "NOOP");
	curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ref_discard);
	if (c->ca_pem) {
		struct curl_blob blob = {(void *)c->ca_pem, strlen(c->ca_pem), CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	c->rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	curl_slist_free_all(to);
	atomic_store(&c->done, 1);
	return NULL;
}

static CURLcode curl_reference(fixture *f, const char *host, const char *ip, const char *ca_pem)
{
	curl_ref c = {.host = host, .ip = ip, .ca_pem = ca_pem, .port = f->port};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, curl_ref_run, &c), 0);
	while (!atomic_load(&c.done))
		uv_run(&f->loop, UV_RUN_NOWAIT);
	pthread_join(t, NULL);
	return c.rc;
}

static bool is_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

static bool is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 64 && s[64] == '\0';
}

/* Every lab certificate kind, judged after the handshake: the verdict is
 * the one libcurl gave when it verified during the handshake, and the
 * certificate is there to see whatever the verdict. */
static void test_certificate_always(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *name, *ip, *cn;
		bool trust_lab;
	} cases[] = {
	    {"accept.t.lab.test", "127.0.30.1", "accept.t.lab.test", true},
	    {"expired.t.lab.test", "127.0.30.14", "expired.t.lab.test", true},
	    {"selfsigned.t.lab.test", "127.0.30.15", "selfsigned.t.lab.test", true},
	    {"wrongname.t.lab.test", "127.0.30.16", "wrong.invalid", true},
	    {"accept.t.lab.test", "127.0.30.1", "accept.t.lab.test", false}, /* untrusted */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *ca = cases[i].trust_lab ? lab_smtp_ca_pem(f->lab) : NULL;
		smtp_config cfg = {
		    .port = f->port, .timeout_ms = 2000, .ehlo_name = EHLO_NAME, .ca_pem = ca};
		char *why = NULL;
		smtp_prober *p = smtp_prober_new(&f->loop, &cfg, &why);
		CURLcode ref = curl_reference(f, cases[i].name, cases[i].ip, ca);
		got g = {0};
		const probe_result *r;
		const probe_cert *c;
		bool san_has_cn = false;

		assert_non_null(p);
		assert_int_equal(smtp_probe(p, cases[i].name, cases[i].ip, collect, &g), MXS_OK);
		wait_for(f, &g, 1);
		r = g.r[0];
		show(r);
		print_message("  libcurl: %s; ours: %s\n", curl_easy_strerror(ref),
		              r->tls.verify_error ? r->tls.verify_error : "verified");
		assert_int_equal(r->state, PROBE_ACCEPTED);
		assert_int_equal(r->tls.verified, ref == CURLE_OK);
		if (ref != CURLE_OK)
			assert_non_null(r->tls.verify_error);
		/* the handshake completed and the conversation went on after it */
		assert_true(r->tls.done);
		assert_non_null(strstr(r->transcript, "C: NOOP\n"));
		assert_null(r->error);
		/* the certificate, whatever the verdict */
		assert_true(r->tls.nchain >= 1);
		c = &r->tls.chain[0];
		assert_non_null(strstr(r->tls.subject, cases[i].cn));
		assert_string_equal(r->tls.subject, c->subject);
		assert_non_null(strstr(r->tls.issuer, "mxscope lab"));
		assert_true(is_rfc3339(r->tls.not_before));
		assert_true(is_rfc3339(r->tls.not_after));
		assert_true(strcmp(r->tls.not_before, r->tls.not_after) < 0);
		assert_true(is_hex64(c->spki_sha256));
		assert_true(is_hex64(c->cert_sha256));
		assert_true(c->der_len > 0 && c->spki_len > 0);
		for (size_t k = 0; k < c->nsan; k++)
			san_has_cn |= strcmp(c->san[k], cases[i].cn) == 0;
		assert_true(san_has_cn);
		assert_no_mail(r);
		got_free(&g);
		prober_done(f, p);
	}
}

static void test_no_starttls(void **state)
{
	fixture *f = *state;
	probe_result *r = probe1(f, 2000, "plain.t.lab.test", "127.0.30.17");

	show(r);
	assert_int_equal(r->state, PROBE_ACCEPTED);
	assert_true(has_ehlo(r, "PIPELINING"));
	assert_false(has_ehlo(r, "STARTTLS"));
	assert_false(r->tls.offered);
	assert_false(r->tls.done);
	assert_false(r->tls.verified);
	assert_null(r->tls.subject);
	assert_int_equal(r->t.tls, -1);
	assert_null(strstr(r->transcript, "C: STARTTLS"));
	assert_non_null(strstr(r->transcript, "C: NOOP"));
	assert_null(r->error);
	probe_result_free(r);
}

/* ---- manners ------------------------------------------------------------ */

static void test_one_connection_per_address(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 50);
	got g = {0};
	uint64_t t0 = uv_hrtime();
	long elapsed;

	for (int i = 0; i < 5; i++)
		assert_int_equal(smtp_probe(p, "slow2.t.lab.test", "127.0.30.18", collect, &g),
		                 MXS_OK);
	assert_int_equal(smtp_prober_busy(p), 5);
	assert_int_equal(smtp_prober_running(p), 1);
	wait_for(f, &g, 5);
	elapsed = (long)((uv_hrtime() - t0) / 1000000u);
	print_message("5 probes of one slow address: %ld ms, peak %u\n", elapsed,
	              smtp_prober_peak(p));
	assert_true(elapsed >= 5 * 200 - 20);
	assert_int_equal(smtp_prober_peak(p), 1);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.r[i]->state, PROBE_ACCEPTED);
		assert_true(g.r[i]->t.greeting >= 180);
		/* one after another: each came back at least ~0.2 s after the last */
		if (i)
			assert_true((g.at[i] - g.at[i - 1]) / 1000000u >= 180);
	}
	got_free(&g);
	prober_done(f, p);
}

static void test_max_probes(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 3);
	got g = {0};
	char ip[32];

	for (int i = 19; i <= 24; i++) {
		snprintf(ip, sizeof(ip), "127.0.30.%d", i);
		assert_int_equal(smtp_probe(p, NULL, ip, collect, &g), MXS_OK);
	}
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.4", collect, &g), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.18", collect, &g), MXS_OK);
	assert_int_equal(smtp_prober_running(p), 3);
	assert_int_equal(smtp_prober_busy(p), 8);
	wait_for(f, &g, 8);
	assert_int_equal(smtp_prober_peak(p), 3);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.r[i]->state, PROBE_ACCEPTED);
	/* first come, first served: the accept hosts queued first end first */
	assert_string_equal(g.r[0]->ip, "127.0.30.19");
	got_free(&g);
	prober_done(f, p);
}

/* One name at two addresses at once: each probe reaches its own address. */
static void test_same_name_two_addresses(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 0);
	got g = {0};

	for (int i = 0; i < 3; i++) {
		assert_int_equal(smtp_probe(p, "accept.t.lab.test", "127.0.30.1", collect, &g),
		                 MXS_OK);
		assert_int_equal(smtp_probe(p, "accept.t.lab.test", "127.0.30.2", collect, &g),
		                 MXS_OK);
		assert_int_equal(smtp_probe(p, "accept.t.lab.test.", "127.0.30.5", collect, &g),
		                 MXS_OK);
	}
	wait_for(f, &g, 9);
	for (size_t i = 0; i < g.n; i++) {
		probe_result *r = g.r[i];
		if (strcmp(r->ip, "127.0.30.1") == 0)
			assert_int_equal(r->state, PROBE_ACCEPTED);
		else if (strcmp(r->ip, "127.0.30.2") == 0)
			assert_int_equal(r->state, PROBE_REFUSED);
		else
			assert_int_equal(r->state, PROBE_TEMPFAIL);
	}
	got_free(&g);
	prober_done(f, p);
}

static void test_bad_input(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 0);
	smtp_config cfg = {.port = f->port, .ehlo_name = "not a name"};
	char *why = NULL;
	got g = {0};

	assert_int_equal(smtp_probe(p, NULL, "999.1.1.1", collect, &g), MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, NULL, "mx.example", collect, &g), MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, NULL, NULL, collect, &g), MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, "bad host/x", "127.0.30.1", collect, &g), MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, "a\r\nMAIL FROM:<x>", "127.0.30.1", collect, &g),
	                 MXS_ERR_INVALID);
	/* RFC 1123 through core's one check (mx_name_is_host), not a looser copy:
	 * an underscore, a hyphen at a label's end, an empty or 64-byte label */
	assert_int_equal(smtp_probe(p, "bad_host.example", "127.0.30.1", collect, &g),
	                 MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, "mx-.example", "127.0.30.1", collect, &g), MXS_ERR_INVALID);
	assert_int_equal(smtp_probe(p, "mx..example", "127.0.30.1", collect, &g), MXS_ERR_INVALID);
	assert_int_equal(
	    smtp_probe(p,
	               "a123456789012345678901234567890123456789012345678901234567890123"
	               ".example",
	               "127.0.30.1", collect, &g),
	    MXS_ERR_INVALID);
	assert_int_equal(smtp_prober_busy(p), 0);
	prober_done(f, p);

	assert_null(smtp_prober_new(&f->loop, &cfg, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "EHLO name"));
	free(why);
	why = NULL;
	cfg.ehlo_name = "x.example\r\nMAIL FROM:<a@b>";
	assert_null(smtp_prober_new(&f->loop, &cfg, &why));
	free(why);
	why = NULL;
	cfg.ehlo_name = "x_y.example";
	assert_null(smtp_prober_new(&f->loop, &cfg, &why));
	free(why);
	why = NULL;
	cfg.ehlo_name = "x.example.";
	assert_null(smtp_prober_new(&f->loop, &cfg, &why));
	free(why);
	why = NULL;
	cfg.ehlo_name = NULL;
	cfg.port = 70000;
	assert_null(smtp_prober_new(&f->loop, &cfg, &why));
	assert_non_null(strstr(why, "70000"));
	free(why);
	why = NULL;
	/* the default EHLO name is a dotted name; an address literal is allowed */
	cfg.port = f->port;
	cfg.ehlo_name = "[127.0.0.1]";
	p = smtp_prober_new(&f->loop, &cfg, &why);
	assert_non_null(p);
	assert_string_equal(smtp_prober_ehlo_name(p), "[127.0.0.1]");
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.19", collect, &g), MXS_OK);
	wait_for(f, &g, 1);
	assert_non_null(strstr(g.r[0]->transcript, "C: EHLO [127.0.0.1]\n"));
	got_free(&g);
	prober_done(f, p);
	cfg.ehlo_name = NULL;
	p = smtp_prober_new(&f->loop, &cfg, &why);
	assert_non_null(p);
	assert_non_null(strchr(smtp_prober_ehlo_name(p), '.'));
	prober_done(f, p);
	smtp_prober_free(NULL);
}

/* A listener whose accept queue is full drops new SYNs: a connect timeout
 * on loopback. */
static void test_connect_timeout(void **state)
{
	fixture *f = *state;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f001e63)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[4];
	smtp_config cfg = {.timeout_ms = 400, .ehlo_name = EHLO_NAME};
	smtp_prober *p;
	got g = {0};
	char *why = NULL;

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0); /* 127.0.30.99 */
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(50000);
	cfg.port = ntohs(sa.sin_port);
	p = smtp_prober_new(&f->loop, &cfg, &why);
	assert_non_null(p);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.99", collect, &g), MXS_OK);
	wait_for(f, &g, 1);
	show(g.r[0]);
	assert_int_equal(g.r[0]->state, PROBE_CONNECT_TIMEOUT);
	assert_int_equal(g.r[0]->t.connect, -1);
	assert_true(g.r[0]->t.total >= 350);
	got_free(&g);
	prober_done(f, p);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(l);
}

/* ---- cancelling ---------------------------------------------------------- */

static void never(probe_result *r, void *arg)
{
	(void)r;
	(void)arg;
	fail_msg("a cancelled probe called back");
}

static void stop_timer(uv_timer_t *t)
{
	uv_timer_stop(t);
}

static void test_free_mid_probe(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 2);
	uv_timer_t t;

	assert_int_equal(smtp_probe(p, NULL, "127.0.30.3", never, NULL), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.4", never, NULL), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.1", never, NULL), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.1", never, NULL), MXS_OK);
	/* run 150 ms: two connections open, two queued */
	uv_timer_init(&f->loop, &t);
	uv_timer_start(&t, stop_timer, 150, 0);
	while (uv_is_active((uv_handle_t *)&t))
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	assert_int_equal(smtp_prober_running(p), 2);
	assert_int_equal(smtp_prober_busy(p), 4);
	prober_done(f, p); /* ASan's leak check and uv_loop_close in teardown judge */
}

typedef struct freer {
	smtp_prober *p;
	int calls;
} freer;

static void free_in_callback(probe_result *r, void *arg)
{
	freer *fr = arg;

	fr->calls++;
	probe_result_free(r);
	smtp_prober_free(fr->p);
}

static void test_free_in_callback(void **state)
{
	fixture *f = *state;
	freer fr = {prober(f, 2000, 0), 0};

	assert_int_equal(smtp_probe(fr.p, NULL, "127.0.30.2", free_in_callback, &fr), MXS_OK);
	assert_int_equal(smtp_probe(fr.p, NULL, "127.0.30.3", free_in_callback, &fr), MXS_OK);
	while (fr.calls == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	for (int i = 0; i < 10; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(fr.calls, 1);
}

static void test_cancel(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 1);
	got g = {0}, other = {0};

	assert_int_equal(smtp_probe(p, NULL, "127.0.30.3", collect, &g), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.1", collect, &g), MXS_OK);
	assert_int_equal(smtp_probe(p, NULL, "127.0.30.19", collect, &other), MXS_OK);
	assert_int_equal(smtp_cancel(p, collect, &g), 2);
	assert_int_equal(smtp_prober_busy(p), 1);
	wait_for(f, &other, 1);
	assert_int_equal(other.r[0]->state, PROBE_ACCEPTED);
	assert_int_equal(g.n, 0);
	got_free(&other);
	prober_done(f, p);
}

/* ---- monitor ------------------------------------------------------------- */

static void count_change(const char *ip, int port, const char *host, void *arg)
{
	int *n = arg;

	assert_non_null(ip);
	assert_non_null(host);
	assert_true(port > 0);
	(*n)++;
}

static void test_monitor(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 0);
	smtp_monitor *m = smtp_monitor_new(p, 200);
	const smtp_history *h, *hr;
	uint64_t t0 = uv_hrtime();
	int changes = 0;
	long elapsed;

	smtp_monitor_on_change(m, count_change, &changes);
	assert_int_equal(smtp_monitor_watch(m, "slow2.t.lab.test", "127.0.30.18"), MXS_OK);
	assert_int_equal(smtp_monitor_watch(m, "refuse.t.lab.test", "127.0.30.2"), MXS_OK);
	/* again as the same name: a no-op */
	assert_int_equal(smtp_monitor_watch(m, "slow2.t.lab.test", "127.0.30.18"), MXS_OK);
	/* the same address as another name: a watch of its own, since STARTTLS
	 * verifies each name, with its own history */
	assert_int_equal(smtp_monitor_watch(m, "other.t.lab.test", "127.0.30.18"), MXS_OK);
	assert_non_null(smtp_monitor_history(m, "127.0.30.18", f->port, "other.t.lab.test"));
	assert_string_equal(
	    smtp_monitor_history(m, "127.0.30.18", f->port, "other.t.lab.test")->host,
	    "other.t.lab.test");
	smtp_monitor_unwatch(m, "127.0.30.18", f->port, "other.t.lab.test");
	assert_null(smtp_monitor_history(m, "127.0.30.18", f->port, "other.t.lab.test"));
	assert_int_equal(smtp_monitor_watch(m, "x", "not-an-ip"), MXS_ERR_INVALID);
	h = smtp_monitor_history(m, "127.0.30.18", f->port, "slow2.t.lab.test");
	assert_non_null(h);
	assert_int_equal(h->sent, 0);
	assert_true(h->in_flight);
	assert_int_equal(h->last_state, PROBE_PENDING);
	assert_null(smtp_monitor_history(m, "127.0.30.99", f->port, "slow2.t.lab.test"));
	while ((h = smtp_monitor_history(m, "127.0.30.18", f->port, "slow2.t.lab.test"))->sent < 3)
		uv_run(&f->loop, UV_RUN_ONCE);
	elapsed = (long)((uv_hrtime() - t0) / 1000000u);
	print_message("monitor: sent %lu lost %lu avg %ld best %ld worst %ld last %ld in %ld ms\n",
	              h->sent, h->lost, h->avg_ms, h->best_ms, h->worst_ms, h->last_ms, elapsed);
	assert_int_equal(h->sent, 3);
	assert_int_equal(h->lost, 0);
	assert_true(h->lost_pct == 0.0);
	assert_int_equal(h->greeted, 3);
	assert_true(h->best_ms >= 180);
	assert_true(h->best_ms <= h->avg_ms && h->avg_ms <= h->worst_ms);
	assert_true(h->last_ms >= h->best_ms && h->last_ms <= h->worst_ms);
	assert_int_equal(h->last_state, PROBE_ACCEPTED);
	assert_non_null(h->last);
	assert_string_equal(h->last->ip, "127.0.30.18");
	assert_string_equal(h->host, "slow2.t.lab.test");
	/* rounds every 200 ms: the third probe started at 400 ms at the earliest */
	assert_true(elapsed >= 400 + 180);
	hr = smtp_monitor_history(m, "127.0.30.2", f->port, "refuse.t.lab.test");
	assert_true(hr->sent >= 2);
	assert_int_equal(hr->lost, hr->sent);
	assert_true(hr->lost_pct == 100.0);
	assert_int_equal(hr->best_ms, -1);
	assert_int_equal(hr->last_state, PROBE_REFUSED);
	assert_true(changes >= 5);
	smtp_monitor_unwatch(m, "127.0.30.2", f->port, "refuse.t.lab.test");
	assert_null(smtp_monitor_history(m, "127.0.30.2", f->port, "refuse.t.lab.test"));
	smtp_monitor_free(m);
	prober_done(f, p);
}

/* A monitor slower than its interval never overlaps itself. */
static void test_monitor_no_overlap(void **state)
{
	fixture *f = *state;
	smtp_prober *p = prober(f, 2000, 0);
	smtp_monitor *m = smtp_monitor_new(p, 100);
	const smtp_history *h;

	assert_int_equal(smtp_monitor_watch(m, NULL, "127.0.30.4"), MXS_OK); /* slow 0.5 */
	while ((h = smtp_monitor_history(m, "127.0.30.4", f->port, NULL))->sent < 2) {
		uv_run(&f->loop, UV_RUN_ONCE);
		assert_true(smtp_prober_busy(p) <= 1);
	}
	assert_int_equal(smtp_prober_peak(p), 1);
	assert_true(h->best_ms >= 450);
	smtp_monitor_free(m); /* with a probe in flight or about to be */
	prober_done(f, p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tempfail_reject, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_ehlo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_noop_502, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_megabyte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tarpit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certificate_always, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_starttls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_connection_per_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_probes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_name_two_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_mid_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_monitor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_monitor_no_overlap, setup, teardown),
	};
	/* the lab writes with plain write(2) to peers that may have gone */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
