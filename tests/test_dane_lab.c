/* tests/test_dane_lab.c — the DANE stage end to end against the real lab on
 * loopback: the real scan (net/dns asks MX and TLSA with AD and reads AD
 * back, net/smtp hands over the certificate, core/dane matches), the lab's
 * DNS answering its $SIGNED zones with AD and serving $TLSA records, and the
 * trainer's `behave ADDR key=N` making a TLSA record stale. Match, mismatch, insecure,
 * and no TLSA at all; the certificate's SPKI SHA-256 is the TLSA data. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "lab.h"
#include "scan.h"
#include "trainer.h"

static const char zone[] = "$ORIGIN dl.test.\n"
                           "$TTL 30\n"
                           "$SCENARIO dane-lab-test\n"
                           "$TITLE DANE against the lab, for tests/test_dane_lab.c\n"
                           "$DOMAIN signed.dl.test.\n"
                           "$DOMAIN plain.dl.test.\n"
                           "$SIGNED signed.dl.test.\n"
                           "signed MX 10 mx1.signed\n"
                           "signed MX 20 mx2.signed\n"
                           "signed MX 30 mx3.signed\n"
                           "mx1.signed A 127.0.73.1\n"
                           "mx2.signed A 127.0.73.2\n"
                           "mx3.signed A 127.0.73.3\n"
                           /* DANE-TA: the lab CA pinned (setup adds the TLSA
                            * records: the CA is made when the lab starts) */
                           "signed MX 40 mx4.signed\n"
                           "signed MX 50 mx5.signed\n"
                           "mx4.signed A 127.0.73.5\n"
                           "mx5.signed A 127.0.73.6\n"
                           "$SMTP 127.0.73.5 accept tls=valid chain=yes\n" /* sends the CA */
                           "$SMTP 127.0.73.6 accept tls=valid\n"           /* does not */
                           "$TLSA mx1.signed 3 1 1\n"                      /* matches */
                           "$TLSA mx2.signed 3 1 2\n" /* pins key 0; mx2 presents key 1 */
                           /* mx3: no TLSA at all */
                           "$SMTP 127.0.73.1 accept tls=valid\n"
                           "$SMTP 127.0.73.2 accept tls=valid key=1\n"
                           "$SMTP 127.0.73.3 accept tls=valid\n"
                           "plain MX 10 mx.plain\n"
                           "mx.plain A 127.0.73.4\n"
                           "$TLSA mx.plain 3 1 1\n" /* would match, but the zone is not signed */
                           "$SMTP 127.0.73.4 accept tls=valid\n";

typedef struct fixture {
	uv_loop_t loop;
	hlab_here lab;
	scan *s;
	int settled;
} fixture;

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	fixture *f = arg;

	(void)s;
	(void)name;
	(void)d;
	if (changes & SCAN_CH_SETTLED)
		f->settled++;
}

/* "2 1 1 <SHA-256 of the lab CA's SubjectPublicKeyInfo>" records for mx4
 * and mx5, loaded into the running lab as a scenario of their own. */
static void add_ta_records(fixture *f)
{
	const char *pem = lab_smtp_ca_pem(f->lab.smtp);
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	unsigned char *der = NULL, md[32];
	unsigned mdlen = 0;
	int n = ca ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der) : -1;
	char hex[65], text[512], *why = NULL;

	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(text, sizeof(text),
	         "$ORIGIN dl.test.\n$SCENARIO dane-lab-ta\n$TITLE DANE-TA records\n"
	         "$DOMAIN signed.dl.test.\n"
	         "_25._tcp.mx4.signed TLSA 2 1 1 %s\n_25._tcp.mx5.signed TLSA 2 1 1 %s\n",
	         hex, hex);
	if (lab_world_load_string(f->lab.world, "test:dane-lab-ta", text, &why) != MXS_OK)
		fail_msg("%s", why);
	OPENSSL_free(der);
	X509_free(ca);
	BIO_free(b);
}

static int setup_with(void **state, bool dane)
{
	fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;
	const char *servers[1];
	scan_config cfg;

	assert_int_equal(scan_global_init(&why), MXS_OK);
	h_lab_open(&f->lab, &f->loop, "test:dane-lab", zone, H_DNS | H_SMTP);
	add_ta_records(f);
	servers[0] = f->lab.server;
	cfg = (scan_config){.mode = SCAN_ONCE,
	                    .servers = servers,
	                    .nservers = 1,
	                    .timeout_ms = 3000,
	                    .smtp_port = f->lab.smtp_port,
	                    .ca_pem = lab_smtp_ca_pem(f->lab.smtp),
	                    .dane = dane,
	                    .loopback_only = true,
	                    .allow_loopback = true,
	                    .seed = 1,
	                    .on_domain = on_domain,
	                    .arg = f};
	f->s = scan_new(&f->loop, &cfg, NULL, &why);
	if (!f->s)
		fail_msg("scan_new: %s", why);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, true);
}

/* Without --dane: TLSA only where the MX answer is secure. */
static int setup_default(void **state)
{
	return setup_with(state, false);
}

static int teardown(void **state)
{
	fixture *f = *state;

	scan_free(f->s);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	h_lab_close(&f->lab);
	scan_global_cleanup();
	free(f);
	return 0;
}

/* Adds (or refreshes) name and runs the loop until it has settled. */
static const mx_domain *settle(fixture *f, const char *name, bool refresh)
{
	int want = f->settled + 1;

	if (refresh)
		assert_int_equal(scan_refresh(f->s, name), MXS_OK);
	else
		assert_int_equal(scan_add(f->s, name, NULL), MXS_OK);
	while (f->settled < want)
		uv_run(&f->loop, UV_RUN_ONCE);
	return scan_domain(f->s, name);
}

static const mx_host *host(const mx_domain *d, const char *name)
{
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		if (strcmp(mx_domain_host(d, i)->exchange, name) == 0)
			return mx_domain_host(d, i);
	fail_msg("no host %s", name);
	return NULL;
}

static bool has_finding(const mx_domain *d, const char *code, const char *about)
{
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, code) == 0 && strstr(f->message, about))
			return true;
	}
	return false;
}

static void test_signed(void **state)
{
	fixture *f = *state;
	const mx_domain *d = settle(f, "signed.dl.test", false);
	const mx_host *h1 = host(d, "mx1.signed.dl.test"), *h2 = host(d, "mx2.signed.dl.test"),
	              *h3 = host(d, "mx3.signed.dl.test");
	char want[80];

	/* the lab answered the signed zone with AD, and net/dns read it */
	assert_int_equal(mx_domain_dnssec(d), MX_DNSSEC_SECURE);
	assert_non_null(h1->tlsa);
	assert_true(h1->tlsa->secure);
	assert_int_equal(h1->tlsa->nrecords, 1);
	/* the record pins the key the server presented: its SPKI SHA-256 */
	assert_int_equal(h1->addrs[0].probe->tls.nchain >= 1, 1);
	snprintf(want, sizeof(want), "3 1 1 %s", h1->addrs[0].probe->tls.chain[0].spki_sha256);
	assert_string_equal(h1->tlsa->records[0], want);
	assert_int_equal(h1->addrs[0].probe->dane, PROBE_DANE_MATCH);
	/* mx2 was renewed with another key: its SHA-512 pin is stale */
	assert_int_equal(h2->tlsa->nrecords, 1);
	assert_int_equal(strncmp(h2->tlsa->records[0], "3 1 2 ", 6), 0);
	assert_int_equal(strlen(h2->tlsa->records[0]), 6 + 128);
	assert_int_equal(h2->addrs[0].probe->dane, PROBE_DANE_MISMATCH);
	assert_true(has_finding(d, "dane-tlsa-mismatch", "mx2.signed.dl.test"));
	assert_false(has_finding(d, "dane-tlsa-mismatch", "mx1.signed.dl.test"));
	/* mx3 publishes nothing: asked (secure NODATA), nothing to match */
	assert_non_null(h3->tlsa);
	assert_int_equal(h3->tlsa->nrecords, 0);
	assert_int_equal(h3->addrs[0].probe->dane, PROBE_DANE_NONE);
	/* DANE-TA: the CA the server sent after its own certificate matches;
	 * the same record where the server does not send it does not */
	assert_int_equal(host(d, "mx4.signed.dl.test")->addrs[0].probe->tls.nchain, 2);
	assert_int_equal(host(d, "mx4.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MATCH);
	assert_int_equal(host(d, "mx5.signed.dl.test")->addrs[0].probe->tls.nchain, 1);
	assert_int_equal(host(d, "mx5.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MISMATCH);
}

static void test_insecure(void **state)
{
	fixture *f = *state;
	const mx_domain *d = settle(f, "plain.dl.test", false);
	const mx_host *h = host(d, "mx.plain.dl.test");

	assert_int_equal(mx_domain_dnssec(d), MX_DNSSEC_INSECURE);
	assert_non_null(h->tlsa);
	assert_false(h->tlsa->secure);
	assert_int_equal(h->tlsa->nrecords, 1);                     /* shown... */
	assert_int_equal(h->addrs[0].probe->dane, PROBE_DANE_NONE); /* ...and ignored */
	assert_true(has_finding(d, "dane-tlsa-insecure", "mx.plain.dl.test"));
	assert_false(has_finding(d, "dane-tlsa-mismatch", "mx.plain.dl.test"));
}

/* The trainer gives mx1 another key: the same TLSA record is now stale; reset
 * puts the scenario's key back. */
static void test_rotate(void **state)
{
	fixture *f = *state;
	lab *l = lab_new(f->lab.world, f->lab.smtp);
	char *why = NULL;
	const mx_domain *d = settle(f, "signed.dl.test", false);
	const char *before =
	    host(d, "mx1.signed.dl.test")->addrs[0].probe->tls.chain[0].spki_sha256;
	char old[65];

	snprintf(old, sizeof(old), "%s", before);
	assert_int_equal(host(d, "mx1.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MATCH);
	assert_int_equal(lab_trainer_run(l, NULL, "behave 127.0.73.1 key=7", &why), MXS_OK);
	assert_non_null(strstr(why, "stale"));
	free(why);
	why = NULL;
	d = settle(f, "signed.dl.test", true);
	assert_string_not_equal(
	    host(d, "mx1.signed.dl.test")->addrs[0].probe->tls.chain[0].spki_sha256, old);
	assert_int_equal(host(d, "mx1.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MISMATCH);
	assert_true(has_finding(d, "dane-tlsa-mismatch", "mx1.signed.dl.test"));
	/* an address the lab has no SMTP host at: a one-line reason */
	assert_int_equal(lab_trainer_run(l, NULL, "behave 127.0.73.9 key=1", &why),
	                 MXS_ERR_INVALID);
	assert_non_null(strstr(why, "not a lab SMTP host"));
	free(why);
	why = NULL;
	assert_int_equal(lab_trainer_run(l, NULL, "behave 127.0.73.1 key=x", &why),
	                 MXS_ERR_INVALID);
	assert_non_null(strstr(why, "key number"));
	free(why);
	why = NULL;
	assert_int_equal(lab_trainer_run(l, NULL, "reset", &why), MXS_OK);
	free(why);
	why = NULL;
	d = settle(f, "signed.dl.test", true);
	assert_string_equal(host(d, "mx1.signed.dl.test")->addrs[0].probe->tls.chain[0].spki_sha256,
	                    old);
	assert_int_equal(host(d, "mx1.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MATCH);
	lab_free(l);
}

/* As a DANE sender asks (RFC 7672 §2.2.2): the signed domain's hosts get
 * their TLSA asked and matched, the unsigned one's are not asked at all. */
static void test_default_secure_only(void **state)
{
	fixture *f = *state;
	const mx_domain *d = settle(f, "signed.dl.test", false);

	assert_int_equal(mx_domain_dnssec(d), MX_DNSSEC_SECURE);
	assert_non_null(host(d, "mx1.signed.dl.test")->tlsa);
	assert_int_equal(host(d, "mx1.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MATCH);
	assert_int_equal(host(d, "mx2.signed.dl.test")->addrs[0].probe->dane, PROBE_DANE_MISMATCH);
	d = settle(f, "plain.dl.test", false);
	assert_int_equal(mx_domain_dnssec(d), MX_DNSSEC_INSECURE);
	assert_null(host(d, "mx.plain.dl.test")->tlsa);
	assert_int_equal(host(d, "mx.plain.dl.test")->addrs[0].probe->dane, PROBE_DANE_NOT_CHECKED);
	assert_false(has_finding(d, "dane-tlsa-insecure", "mx.plain.dl.test"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_signed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insecure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_secure_only, setup_default, teardown),
	};
	signal(SIGPIPE, SIG_IGN); /* a probe hangs up on the lab host in this process */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
