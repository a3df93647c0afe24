/* tests/test_core_dane.c — TLSA records and DANE matching (core/dane.c)
 * against real certificates made here with OpenSSL, read the way the prober
 * reads what a server sent (net/cert.c): usages 2 and 3, selectors 0 and 1,
 * matching types 0, 1 and 2, and the records a sender must not use. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "dane.h"

#define DAY (24L * 3600)
#define NOW "2026-06-01T00:00:00Z" /* between every validity below but "old" */

typedef struct pki {
	EVP_PKEY *ca_key, *key, *key2;
	X509 *ca, *old_ca, *leaf, *wrong, *old_leaf, *rotated;
	char *pem_ca, *pem_old_ca, *pem_leaf, *pem_wrong, *pem_old_leaf, *pem_rotated;
} pki;

static int ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for cn with key, signed by issuer (NULL: itself), valid
 * from..to given as ASN.1 GeneralizedTime text. */
static X509 *make(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, const char *from,
                  const char *to, int ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	char san[300];

	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(uintptr_t)key & 0x7fffffff);
	X509_set_version(x, 2);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	assert_true(ASN1_TIME_set_string(X509_getm_notBefore(x), from));
	assert_true(ASN1_TIME_set_string(X509_getm_notAfter(x), to));
	X509_set_pubkey(x, key);
	if (ca) {
		assert_true(ext(x, x, NID_basic_constraints, "critical,CA:TRUE"));
	} else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		assert_true(ext(x, issuer ? issuer : x, NID_subject_alt_name, san));
	}
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *d, *s;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &d);
	s = strndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

static int setup(void **state)
{
	pki *p = calloc(1, sizeof(*p));

	p->ca_key = EVP_EC_gen("P-256");
	p->key = EVP_EC_gen("P-256");
	p->key2 = EVP_EC_gen("P-256");
	p->ca =
	    make("Test CA", p->ca_key, NULL, p->ca_key, "20200101000000Z", "20990101000000Z", 1);
	p->old_ca =
	    make("Test CA", p->ca_key, NULL, p->ca_key, "20200101000000Z", "20210101000000Z", 1);
	p->leaf =
	    make("mx.dane.test", p->key, p->ca, p->ca_key, "20250101000000Z", "20990101000000Z", 0);
	p->wrong = make("other.invalid", p->key, p->ca, p->ca_key, "20250101000000Z",
	                "20990101000000Z", 0);
	p->old_leaf =
	    make("mx.dane.test", p->key, p->ca, p->ca_key, "20200101000000Z", "20210101000000Z", 0);
	p->rotated = make("mx.dane.test", p->key2, p->ca, p->ca_key, "20250101000000Z",
	                  "20990101000000Z", 0);
	p->pem_ca = pem_of(p->ca);
	p->pem_old_ca = pem_of(p->old_ca);
	p->pem_leaf = pem_of(p->leaf);
	p->pem_wrong = pem_of(p->wrong);
	p->pem_old_leaf = pem_of(p->old_leaf);
	p->pem_rotated = pem_of(p->rotated);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	pki *p = *state;
	X509 *xs[] = {p->ca, p->old_ca, p->leaf, p->wrong, p->old_leaf, p->rotated};
	char *ps[] = {p->pem_ca,    p->pem_old_ca,   p->pem_leaf,
	              p->pem_wrong, p->pem_old_leaf, p->pem_rotated};

	for (size_t i = 0; i < 6; i++) {
		X509_free(xs[i]);
		free(ps[i]);
	}
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->key);
	EVP_PKEY_free(p->key2);
	free(p);
	return 0;
}

/* The chain as the prober sees it: read from PEMs and judged for host. */
static probe_tls *seen(const char *host, const char *pem0, const char *pem1)
{
	probe_tls *t = calloc(1, sizeof(*t));
	const char *pems[2] = {pem0, pem1};
	cert_store *s = cert_store_new(NULL);

	assert_int_equal(cert_read(t, pems, pem1 ? 2 : 1), MXS_OK);
	cert_verify(s, t, host);
	cert_store_free(s);
	return t;
}

static void tls_free(probe_tls *t)
{
	probe_result *r = probe_result_new("x", "127.0.0.1", 25);

	r->tls = *t; /* probe_result_free frees what a probe_tls holds */
	probe_result_free(r);
	free(t);
}

/* A record over the given bytes: matching type 0 copies them, 1 and 2
 * hash them, so a record is made the way a zone operator makes it. */
static dane_tlsa rec(uint8_t usage, uint8_t sel, uint8_t mt, const unsigned char *b, size_t n)
{
	dane_tlsa t = {usage, sel, mt, NULL, 0};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (mt == 0) {
		t.data = malloc(n);
		memcpy(t.data, b, n);
		t.len = n;
		return t;
	}
	EVP_Digest(b, n, md, &mdlen, mt == 1 ? EVP_sha256() : EVP_sha512(), NULL);
	t.data = malloc(mdlen);
	memcpy(t.data, md, mdlen);
	t.len = mdlen;
	return t;
}

static dane_tlsa rec_of(uint8_t usage, uint8_t sel, uint8_t mt, const probe_cert *c)
{
	return sel == 0 ? rec(usage, sel, mt, c->der, c->der_len)
	                : rec(usage, sel, mt, c->spki, c->spki_len);
}

static dane_result match1(dane_tlsa r, const probe_tls *t, const char *now)
{
	const char *why = NULL;
	dane_result res = dane_match(&r, 1, t, now, NULL, &why);

	if (res != DANE_MATCH)
		assert_non_null(why);
	dane_tlsa_clear(&r);
	return res;
}

/* DANE-EE: every selector and matching type pins the server's own
 * certificate; no name and no expiry checks (RFC 7672 §3.1.1). */
static void test_ee(void **state)
{
	pki *p = *state;
	probe_tls *good = seen("mx.dane.test", p->pem_leaf, p->pem_ca);
	probe_tls *wrong = seen("mx.dane.test", p->pem_wrong, NULL);
	probe_tls *old = seen("mx.dane.test", p->pem_old_leaf, NULL);
	probe_tls *rot = seen("mx.dane.test", p->pem_rotated, p->pem_ca);

	assert_true(good->name_ok);
	assert_false(wrong->name_ok);
	assert_true(good->chain[0].signed_by_next);
	for (uint8_t sel = 0; sel <= 1; sel++)
		for (uint8_t mt = 0; mt <= 2; mt++) {
			print_message("3 %u %u\n", sel, mt);
			assert_int_equal(match1(rec_of(3, sel, mt, &good->chain[0]), good, NOW),
			                 DANE_MATCH);
			/* the CA is in the chain, but usage 3 is about the server's own */
			assert_int_equal(match1(rec_of(3, sel, mt, &good->chain[1]), good, NOW),
			                 DANE_MISMATCH);
			/* the new key after a rotation: the old record is stale */
			assert_int_equal(match1(rec_of(3, sel, mt, &good->chain[0]), rot, NOW),
			                 DANE_MISMATCH);
		}
	/* same key in a certificate for another name, and one long expired: the
	 * SPKI pin still matches */
	assert_int_equal(match1(rec_of(3, 1, 1, &good->chain[0]), wrong, NOW), DANE_MATCH);
	assert_int_equal(match1(rec_of(3, 1, 1, &good->chain[0]), old, NOW), DANE_MATCH);
	/* ...the whole-certificate pin does not: it is another certificate */
	assert_int_equal(match1(rec_of(3, 0, 1, &good->chain[0]), wrong, NOW), DANE_MISMATCH);
	tls_free(good);
	tls_free(wrong);
	tls_free(old);
	tls_free(rot);
}

/* DANE-TA: an anchor the server sends above its own certificate, a chain
 * that holds, valid now, and the MX name (RFC 7672 §3.1.2, §3.2). */
static void test_ta(void **state)
{
	pki *p = *state;
	probe_tls *good = seen("mx.dane.test", p->pem_leaf, p->pem_ca);
	probe_tls *alone = seen("mx.dane.test", p->pem_leaf, NULL);
	probe_tls *named = seen("mx.dane.test", p->pem_wrong, p->pem_ca);
	probe_tls *oldca = seen("mx.dane.test", p->pem_leaf, p->pem_old_ca);
	probe_tls *broken = seen("mx.dane.test", p->pem_leaf, p->pem_leaf);

	for (uint8_t sel = 0; sel <= 1; sel++)
		for (uint8_t mt = 0; mt <= 2; mt++) {
			print_message("2 %u %u\n", sel, mt);
			assert_int_equal(match1(rec_of(2, sel, mt, &good->chain[1]), good, NOW),
			                 DANE_MATCH);
			/* the anchor must be presented: not sent, no match */
			assert_int_equal(match1(rec_of(2, sel, mt, &good->chain[1]), alone, NOW),
			                 DANE_MISMATCH);
			/* the name must hold under DANE-TA */
			assert_int_equal(match1(rec_of(2, sel, mt, &good->chain[1]), named, NOW),
			                 DANE_MISMATCH);
			/* the server's own certificate is no trust anchor */
			assert_int_equal(match1(rec_of(2, sel, mt, &good->chain[0]), good, NOW),
			                 DANE_MISMATCH);
		}
	/* same CA key, but the anchor certificate sent has expired */
	assert_int_equal(match1(rec_of(2, 1, 1, &good->chain[1]), oldca, NOW), DANE_MISMATCH);
	assert_int_equal(match1(rec_of(2, 1, 1, &good->chain[1]), oldca, NULL), DANE_MATCH);
	/* a "chain" whose second certificate did not sign the first */
	assert_false(broken->chain[0].signed_by_next);
	assert_int_equal(match1(rec_of(2, 1, 1, &broken->chain[1]), broken, NOW), DANE_MISMATCH);
	tls_free(good);
	tls_free(alone);
	tls_free(named);
	tls_free(oldca);
	tls_free(broken);
}

/* Records a sender must not use are no DANE at all; one usable record that
 * matches among unusable ones is a match; no certificate is a mismatch. */
static void test_usable(void **state)
{
	pki *p = *state;
	probe_tls *good = seen("mx.dane.test", p->pem_leaf, p->pem_ca);
	probe_tls none = {0};
	dane_tlsa rs[5];
	size_t which = 99;
	const char *why = NULL;

	rs[0] = rec_of(1, 1, 1, &good->chain[0]); /* PKIX-EE: not for SMTP */
	rs[1] = rec_of(0, 1, 1, &good->chain[1]); /* PKIX-TA: not for SMTP */
	rs[2] = rec_of(3, 2, 1, &good->chain[0]); /* no such selector */
	rs[2].selector = 2;
	rs[3] = rec_of(3, 1, 1, &good->chain[0]);
	rs[3].len = 31; /* a SHA-256 is 32 bytes */
	rs[4] = rec_of(3, 1, 1, &good->chain[0]);
	rs[4].mtype = 3; /* no such matching type */
	for (size_t i = 0; i < 5; i++)
		assert_false(dane_tlsa_usable(&rs[i]));
	assert_int_equal(dane_match(rs, 5, good, NOW, &which, &why), DANE_NONE);
	assert_non_null(why);
	assert_int_equal(dane_match(rs, 0, good, NOW, &which, &why), DANE_NONE);
	dane_tlsa_clear(&rs[4]);
	rs[4] = rec_of(3, 1, 2, &good->chain[0]);
	assert_int_equal(dane_match(rs, 5, good, NOW, &which, &why), DANE_MATCH);
	assert_int_equal(which, 4);
	assert_int_equal(dane_match(rs, 5, &none, NOW, &which, &why), DANE_MISMATCH);
	assert_non_null(strstr(why, "no certificate"));
	for (size_t i = 0; i < 5; i++)
		dane_tlsa_clear(&rs[i]);
	tls_free(good);
	assert_string_equal(dane_result_word(DANE_MATCH), "match");
	assert_string_equal(dane_result_word(DANE_MISMATCH), "mismatch");
	assert_string_equal(dane_result_word(DANE_NONE), "none");
}

/* Directories listed by anyone in this process (OpenSSL included): this
 * opendir is found before libc's. */
static unsigned long dirs_listed;

DIR *opendir(const char *name)
{
	static DIR *(*real)(const char *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "opendir");
	dirs_listed++;
	return real(name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Whether the leaf verifies against the system store; *listed = the
 * directories listed while verifying. */
static bool leaf_verified(const pki *p, unsigned long *listed)
{
	cert_store *s = cert_store_new(NULL);
	probe_tls *t = calloc(1, sizeof(*t));
	const char *pems[1] = {p->pem_leaf};
	unsigned long before;
	bool ok;

	assert_non_null(s);
	assert_int_equal(cert_read(t, pems, 1), MXS_OK);
	before = dirs_listed;
	cert_verify(s, t, "mx.dane.test");
	*listed = dirs_listed - before;
	ok = t->verified;
	tls_free(t);
	cert_store_free(s);
	return ok;
}

/* The system store is libcurl's: the CA file (SSL_CERT_FILE) and the
 * hashed directory (SSL_CERT_DIR). Verifying a certificate whose issuer it
 * lacks (a self-signed server, every probe of it) lists no directory:
 * OpenSSL's default paths would list the whole directory each time. */
static void test_system_store_lists_no_directory(void **state)
{
	pki *p = *state;
	char dir[] = "/tmp/mxscope-certdir-XXXXXX", path[600];
	unsigned long listed;

	assert_false(leaf_verified(p, &listed)); /* the real system store */
	assert_int_equal(listed, 0);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	setenv("SSL_CERT_FILE", path, 1);
	setenv("SSL_CERT_DIR", dir, 1);
	assert_false(leaf_verified(p, &listed));
	assert_int_equal(listed, 0);
	snprintf(path, sizeof(path), "%s/%08lx.0", dir, X509_subject_name_hash(p->ca));
	write_file(path, p->pem_ca);
	assert_true(leaf_verified(p, &listed)); /* the hashed directory */
	unlink(path);
	snprintf(path, sizeof(path), "%s/bundle.pem", dir);
	write_file(path, p->pem_ca);
	setenv("SSL_CERT_FILE", path, 1);
	assert_true(leaf_verified(p, &listed)); /* the CA file */
	assert_int_equal(listed, 0);
	unlink(path);
	rmdir(dir);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
}

/* net/cert.c's verdicts with a store that trusts the test CA: the words
 * libcurl used, and the certificate read whatever the verdict. */
static void test_cert_verdicts(void **state)
{
	pki *p = *state;
	cert_store *trusting = cert_store_new(p->pem_ca), *system = cert_store_new(NULL);
	cert_store *broken = cert_store_new("not a certificate");
	static const struct {
		int leaf;  /* 0 leaf, 1 wrong, 2 old_leaf */
		int store; /* 0 trusting, 1 system, 2 broken */
		const char *host;
		const char *why; /* NULL: verified */
	} cases[] = {
	    {0, 0, "mx.dane.test", NULL},
	    {0, 0, "MX.Dane.Test", NULL}, /* names compare without case */
	    {0, 0, "other.dane.test", "no alternative certificate subject name matches"},
	    {1, 0, "mx.dane.test", "no alternative certificate subject name matches"},
	    {2, 0, "mx.dane.test", "SSL certificate problem: certificate has expired"},
	    {0, 1, "mx.dane.test", "SSL certificate problem: unable to get local issuer"},
	    {0, 2, "mx.dane.test", "error setting certificate file"},
	};

	assert_non_null(trusting);
	assert_non_null(system);
	assert_non_null(broken);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *leafs[] = {p->pem_leaf, p->pem_wrong, p->pem_old_leaf};
		const cert_store *stores[] = {trusting, system, broken};
		probe_tls *t = calloc(1, sizeof(*t));
		const char *pems[1] = {leafs[cases[i].leaf]};
		assert_int_equal(cert_read(t, pems, 1), MXS_OK);
		cert_verify(stores[cases[i].store], t, cases[i].host);
		print_message("%zu: %s\n", i, t->verify_error ? t->verify_error : "verified");
		assert_int_equal(t->verified, cases[i].why == NULL);
		if (cases[i].why)
			assert_non_null(strstr(t->verify_error, cases[i].why));
		else
			assert_null(t->verify_error);
		assert_non_null(t->subject); /* shown whatever the verdict */
		assert_string_equal(t->not_after, cases[i].leaf == 2 ? "2021-01-01T00:00:00Z"
		                                                     : "2099-01-01T00:00:00Z");
		tls_free(t);
	}
	/* garbage is no chain */
	{
		probe_tls t = {0};
		const char *pems[1] = {
		    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
		assert_int_equal(cert_read(&t, pems, 1), MXS_ERR_INVALID);
		assert_int_equal(t.nchain, 0);
	}
	cert_store_free(trusting);
	cert_store_free(system);
	cert_store_free(broken);
}

/* The wire reader and the text forms, with the bounds. */
static void test_codec(void **state)
{
	static const unsigned char wire[] = {3, 1, 1, 0xde, 0xad, 0xbe, 0xef};
	dane_tlsa t;
	char *why = NULL, *s;

	(void)state;
	assert_int_equal(dane_tlsa_read(wire, sizeof(wire), &t, &why), MXS_OK);
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.len, 4);
	s = dane_tlsa_text(&t);
	assert_string_equal(s, "3 1 1 deadbeef");
	dane_tlsa_clear(&t);
	assert_int_equal(dane_tlsa_parse_text(s, &t, &why), MXS_OK);
	assert_int_equal(t.mtype, 1);
	assert_memory_equal(t.data, wire + 3, 4);
	dane_tlsa_clear(&t);
	free(s);
	/* zone-file style: blanks inside the data, upper case */
	assert_int_equal(dane_tlsa_parse_text("2 0 2 DE AD\tBE EF", &t, &why), MXS_OK);
	assert_int_equal(t.len, 4);
	dane_tlsa_clear(&t);
	for (size_t n = 0; n < 4; n++) {
		assert_int_equal(dane_tlsa_read(wire, n, &t, &why), MXS_ERR_INVALID);
		assert_non_null(why);
		free(why);
		why = NULL;
		assert_null(t.data);
	}
	{
		static const char *const bad[] = {
		    "",           "3 1 1",  "3 1 1 ",    "3 1 1 abc",  "3 1 1 xyz",
		    "256 1 1 ab", "3 1 ab", "-3 1 1 ab", "3 1 1 ab\n", "1234 1 1 ab",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(dane_tlsa_parse_text(bad[i], &t, &why), MXS_ERR_INVALID);
			assert_non_null(why);
			free(why);
			why = NULL;
			assert_null(t.data);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ee, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_verdicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_system_store_lists_no_directory, setup, teardown),
	    cmocka_unit_test(test_codec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
