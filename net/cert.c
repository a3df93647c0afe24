/* net/cert.c — the certificate chain a server sent, read and judged with
 * OpenSSL after the handshake (see cert.h for why after). Everything here
 * came from the network: every field is bounded and made printable. */
#include "cert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TEXT_MAX 1024       /* bytes kept of a subject or issuer */
#define DER_MAX  (64 << 10) /* a certificate larger than this is not kept */

struct cert_store {
	X509_STORE *store;
	char *why; /* the extra CA did not load: every verdict says so */
};

cert_store *cert_store_new(const char *ca_pem)
{
	cert_store *s = calloc(1, sizeof(*s));
	BIO *bio = NULL;
	X509_LOOKUP *l;
	X509 *x;
	int added = 0;

	if (!s || !(s->store = X509_STORE_new()))
		goto fail;
	/* the system's CAs as libcurl had them: the CA file and the hashed
	 * directory (Debian: /etc/ssl/certs), SSL_CERT_FILE and SSL_CERT_DIR
	 * honoured. Not X509_STORE_set_default_paths: OpenSSL 3 adds an
	 * OSSL_STORE lookup over the same directory that, for every issuer
	 * the first two lack (any self-signed server), lists the directory
	 * and sets up its decoders, on every probe (bench/README.md). */
	if (!(l = X509_STORE_add_lookup(s->store, X509_LOOKUP_file())))
		goto fail;
	X509_LOOKUP_load_file(l, NULL, X509_FILETYPE_DEFAULT);
	if (!(l = X509_STORE_add_lookup(s->store, X509_LOOKUP_hash_dir())))
		goto fail;
	X509_LOOKUP_add_dir(l, NULL, X509_FILETYPE_DEFAULT);
	ERR_clear_error();
	if (ca_pem) {
		bio = BIO_new_mem_buf(ca_pem, -1);
		if (!bio)
			goto fail;
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			added += X509_STORE_add_cert(s->store, x) == 1;
			X509_free(x);
		}
		ERR_clear_error();
		BIO_free(bio);
		bio = NULL;
		/* libcurl's words for the same trouble */
		if (!added && !(s->why = strdup("error setting certificate file: no certificate in "
		                                "the CA file")))
			goto fail;
	}
	return s;
fail:
	BIO_free(bio);
	cert_store_free(s);
	return NULL;
}

void cert_store_free(cert_store *s)
{
	if (!s)
		return;
	X509_STORE_free(s->store);
	free(s->why);
	free(s);
}

/* ---- reading ------------------------------------------------------------ */

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool sha256_hex(const unsigned char *b, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(b, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return false;
	hex(md, 32, out);
	return true;
}

/* A name in OpenSSL's one-line form ("O = x, CN = y", the form libcurl
 * showed), with control and non-ASCII bytes escaped, at most TEXT_MAX. */
static char *name_text(const X509_NAME *n)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (!bio)
		return NULL;
	if (X509_NAME_print_ex(bio, n, 0, XN_FLAG_ONELINE) >= 0) {
		len = BIO_get_mem_data(bio, &data);
		if (len >= 0)
			out = strndup(data, (size_t)len < TEXT_MAX ? (size_t)len : TEXT_MAX);
	}
	BIO_free(bio);
	return out;
}

static char *time_text(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return strdup(buf);
}

/* One SAN as text: a DNS name (bytes outside printable ASCII as '?') or an
 * address; NULL for the other kinds. */
static char *san_text(const GENERAL_NAME *g)
{
	char buf[INET6_ADDRSTRLEN];

	if (g->type == GEN_DNS) {
		const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
		int n = ASN1_STRING_length(g->d.dNSName);
		char *s;
		if (n < 0 || n > 255)
			return NULL;
		s = malloc((size_t)n + 1);
		for (int i = 0; s && i < n; i++)
			s[i] = d[i] >= 0x21 && d[i] < 0x7f ? (char)d[i] : '?';
		if (s)
			s[n] = '\0';
		return s;
	}
	if (g->type == GEN_IPADD) {
		int n = ASN1_STRING_length(g->d.iPAddress);
		const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);
		if ((n == 4 && inet_ntop(AF_INET, d, buf, sizeof(buf))) ||
		    (n == 16 && inet_ntop(AF_INET6, d, buf, sizeof(buf))))
			return strdup(buf);
	}
	return NULL;
}

static bool read_sans(X509 *x, probe_cert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
	bool ok = true;

	if (n > 0 &&
	    !(c->san = calloc(n < PROBE_SAN_MAX ? (size_t)n : PROBE_SAN_MAX, sizeof(*c->san))))
		ok = false;
	for (int i = 0; ok && i < n && c->nsan < PROBE_SAN_MAX; i++) {
		char *s = san_text(sk_GENERAL_NAME_value(gens, i));
		if (s)
			c->san[c->nsan++] = s;
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

/* Fills c from x; false when out of memory or x cannot be encoded. */
static bool read_one(X509 *x, probe_cert *c)
{
	unsigned char *der = NULL, *spki = NULL;
	int der_len = i2d_X509(x, &der);
	int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	bool ok = false;

	if (der_len <= 0 || der_len > DER_MAX || spki_len <= 0)
		goto done;
	/* OpenSSL's memory goes back to OpenSSL: keep our own copies */
	c->der = malloc((size_t)der_len);
	c->spki = malloc((size_t)spki_len);
	if (!c->der || !c->spki)
		goto done;
	memcpy(c->der, der, (size_t)der_len);
	memcpy(c->spki, spki, (size_t)spki_len);
	c->der_len = (size_t)der_len;
	c->spki_len = (size_t)spki_len;
	c->subject = name_text(X509_get_subject_name(x));
	c->issuer = name_text(X509_get_issuer_name(x));
	c->not_before = time_text(X509_get0_notBefore(x));
	c->not_after = time_text(X509_get0_notAfter(x));
	ok = c->subject && c->issuer && read_sans(x, c) &&
	     sha256_hex(c->der, c->der_len, c->cert_sha256) &&
	     sha256_hex(c->spki, c->spki_len, c->spki_sha256);
done:
	OPENSSL_free(der);
	OPENSSL_free(spki);
	return ok;
}

static X509 *parse_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return x;
}

static char *dup_opt(const char *s, bool *ok)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*ok = false;
	return d;
}

mxs_status cert_read(probe_tls *t, const char *const *pem, size_t n)
{
	probe_cert *chain;
	X509 *prev = NULL;
	size_t k = 0;
	bool ok = true;

	if (n > PROBE_CHAIN_MAX)
		n = PROBE_CHAIN_MAX;
	if (n == 0)
		return MXS_ERR_INVALID;
	chain = calloc(n, sizeof(*chain));
	if (!chain)
		return MXS_ERR_NOMEM;
	for (; k < n; k++) {
		X509 *x = parse_pem(pem[k]);
		if (!x)
			break; /* the rest cannot be placed in a chain */
		ok = read_one(x, &chain[k]);
		if (ok && prev) /* DANE-TA needs to know the chain holds together */
			chain[k - 1].signed_by_next = X509_verify(prev, X509_get0_pubkey(x)) == 1;
		X509_free(prev);
		prev = x;
		if (!ok) {
			probe_cert_clear(&chain[k]);
			break;
		}
	}
	X509_free(prev);
	ERR_clear_error();
	if (k == 0) {
		free(chain);
		return ok ? MXS_ERR_INVALID : MXS_ERR_NOMEM;
	}
	for (size_t i = 0; i < t->nchain; i++)
		probe_cert_clear(&t->chain[i]);
	free(t->chain);
	t->chain = chain;
	t->nchain = k;
	free(t->subject);
	free(t->issuer);
	free(t->not_before);
	free(t->not_after);
	ok = true;
	t->subject = dup_opt(chain[0].subject, &ok);
	t->issuer = dup_opt(chain[0].issuer, &ok);
	t->not_before = dup_opt(chain[0].not_before, &ok);
	t->not_after = dup_opt(chain[0].not_after, &ok);
	return ok ? MXS_OK : MXS_ERR_NOMEM;
}

/* ---- judging ------------------------------------------------------------ */

static void set_why(probe_tls *t, const char *fmt, const char *arg)
{
	char buf[512];

	snprintf(buf, sizeof(buf), fmt, arg);
	free(t->verify_error);
	t->verify_error = strdup(buf);
}

static X509 *der_cert(const probe_cert *c)
{
	const unsigned char *p = c->der;

	return c->der ? d2i_X509(NULL, &p, (long)c->der_len) : NULL;
}

/* The host name check libcurl's OpenSSL backend makes: subjectAltName
 * first, the CN only when there is no DNS name; a wildcard only as the
 * whole leftmost label. */
static bool host_matches(X509 *leaf, const char *host)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1)
		return X509_check_ip_asc(leaf, host, 0) == 1;
	return X509_check_host(leaf, host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
	                       NULL) == 1;
}

void cert_verify(const cert_store *s, probe_tls *t, const char *host)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = t->nchain ? der_cert(&t->chain[0]) : NULL;
	int err;

	t->verified = false;
	t->name_ok = leaf && host_matches(leaf, host);
	if (!leaf || !untrusted || !ctx) {
		set_why(t, "%s", leaf ? "out of memory" : "no certificate to verify");
		goto done;
	}
	if (s->why) {
		set_why(t, "%s", s->why);
		goto done;
	}
	for (size_t i = 1; i < t->nchain; i++) {
		X509 *x = der_cert(&t->chain[i]);
		if (x && !sk_X509_push(untrusted, x))
			X509_free(x);
	}
	if (X509_STORE_CTX_init(ctx, s->store, leaf, untrusted) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_server") != 1) {
		set_why(t, "%s", "cannot set up the verification");
		goto done;
	}
	/* as libcurl sets them: an intermediate in the store is an anchor too */
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
	                            X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		set_why(t, "SSL certificate problem: %s", X509_verify_cert_error_string(err));
		goto done;
	}
	if (!t->name_ok) {
		set_why(
		    t, "SSL: no alternative certificate subject name matches target host name '%s'",
		    host);
		goto done;
	}
	t->verified = true;
	free(t->verify_error);
	t->verify_error = NULL;
done:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
}
