/* lab/tls.c — the lab's certificates: one CA per lab_smtp and one server
 * certificate per distinct (host name, tls= kind, key number), all made in
 * memory with OpenSSL 3 at start. The CA key is random (EC P-256). A server
 * key is Ed25519 derived from the host name and a key number, so a scenario
 * can publish a TLSA record for the key a host will present ($TLSA), and a
 * trainer can give a host another (`behave ADDR key=N`, lab_smtp_set_key). Anybody can derive
 * these keys: they are for teaching on loopback, never for anything real. */
#include "lab.h"
#include "lab_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY (24L * 3600)

struct cert {
	struct cert *next;
	enum lab_smtp_tls kind;
	unsigned key;
	SSL_CTX *ctx;
	char name[LAB_SMTP_NAME_MAX];
};

struct lab_tls {
	EVP_PKEY *ca_key;
	X509 *ca;
	char *ca_pem;
	struct cert *certs;
};

/* OpenSSL's own reason for the last failure, for a why message. */
static void ssl_why(char **why, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown OpenSSL error");
	ERR_clear_error();
	mxs_why(why, "lab SMTP: %s: %s", what, buf);
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for cn with key, signed by issuer_key (issuer NULL: by
 * itself), valid from now+from_s to now+to_s. ca says whether it is a CA. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long from_s, long to_s, int ca)
{
	X509 *x = X509_new();
	X509_NAME *subj = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[LAB_SMTP_NAME_MAX + 8];
	int ok = 0;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto done;
	serial[0] &= 0x7f; /* a positive serial, as RFC 5280 §4.1.2.2 wants */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	subj = X509_NAME_new();
	if (!bn || !subj || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC,
	                                (const unsigned char *)"mxscope lab", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	                                0) ||
	    !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), from_s) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), to_s) || !X509_set_pubkey(x, key))
		goto done;
	if (ca) {
		if (!add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(x, x, NID_subject_key_identifier, "hash"))
			goto done;
	} else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		if (!add_ext(x, issuer ? issuer : x, NID_basic_constraints, "CA:FALSE") ||
		    !add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,digitalSignature") ||
		    !add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth") ||
		    !add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san))
			goto done;
		if (issuer && !add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"))
			goto done;
	}
	/* Ed25519 signs the message itself: no digest to name */
	ok = X509_sign(x, issuer_key,
	               EVP_PKEY_get_id(issuer_key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0;
done:
	BN_free(bn);
	X509_NAME_free(subj);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

void lab_tls_free(lab_tls *t)
{
	if (!t)
		return;
	while (t->certs) {
		struct cert *c = t->certs;

		t->certs = c->next;
		SSL_CTX_free(c->ctx);
		free(c);
	}
	X509_free(t->ca);
	EVP_PKEY_free(t->ca_key);
	free(t->ca_pem);
	free(t);
}

lab_tls *lab_tls_new(char **why)
{
	lab_tls *t = calloc(1, sizeof(*t));
	BIO *mem = NULL;
	char *data;
	long len;

	if (!t) {
		mxs_why(why, "lab SMTP: out of memory");
		return NULL;
	}
	t->ca_key = EVP_EC_gen("P-256");
	if (!t->ca_key) {
		ssl_why(why, "could not make the CA key");
		goto fail;
	}
	/* valid since yesterday, so a clock a little behind still accepts it */
	t->ca = make_cert("mxscope lab CA", t->ca_key, NULL, t->ca_key, -DAY, 3650 * DAY, 1);
	if (!t->ca) {
		ssl_why(why, "could not make the CA certificate");
		goto fail;
	}
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_X509(mem, t->ca)) {
		ssl_why(why, "could not write the CA certificate");
		goto fail;
	}
	len = BIO_get_mem_data(mem, &data);
	t->ca_pem = malloc((size_t)len + 1);
	if (!t->ca_pem) {
		mxs_why(why, "lab SMTP: out of memory");
		goto fail;
	}
	memcpy(t->ca_pem, data, (size_t)len);
	t->ca_pem[len] = '\0';
	BIO_free(mem);
	return t;
fail:
	BIO_free(mem);
	lab_tls_free(t);
	return NULL;
}

struct x509_st *lab_tls_ca(const lab_tls *t)
{
	return t ? t->ca : NULL;
}

const char *lab_tls_ca_pem(const lab_tls *t)
{
	return t ? t->ca_pem : NULL;
}

/* Host name's key number n: Ed25519 from SHA-256 of both. */
static EVP_PKEY *host_key(const char *name, unsigned n)
{
	char text[LAB_SMTP_NAME_MAX + 48];
	unsigned char seed[32];
	unsigned len = 0;
	int tl = snprintf(text, sizeof(text), "mxscope lab key\n%s\n%u", name, n);

	if (tl < 0 || (size_t)tl >= sizeof(text) ||
	    EVP_Digest(text, (size_t)tl, seed, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return NULL;
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
}

int lab_tls_spki(const char *name, unsigned key, uint8_t *out, size_t cap, size_t *len)
{
	EVP_PKEY *k = host_key(name, key);
	unsigned char *der = NULL;
	int n = k ? i2d_PUBKEY(k, &der) : -1;
	int rc = -1;

	if (n > 0 && (size_t)n <= cap) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
		rc = 0;
	}
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return rc;
}

struct ssl_ctx_st *lab_tls_ctx(lab_tls *t, const char *name, enum lab_smtp_tls kind, unsigned keyno,
                               char **why)
{
	struct cert *c;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	const char *cn = kind == LAB_TLS_WRONG_NAME ? "wrong.invalid" : name;

	for (c = t->certs; c; c = c->next)
		if (c->kind == kind && c->key == keyno && strcmp(c->name, name) == 0)
			return c->ctx;
	c = calloc(1, sizeof(*c));
	if (!c) {
		mxs_why(why, "lab SMTP: out of memory");
		return NULL;
	}
	c->kind = kind;
	c->key = keyno;
	snprintf(c->name, sizeof(c->name), "%s", name);
	key = host_key(name, keyno);
	if (!key) {
		ssl_why(why, "could not make a server key");
		goto fail;
	}
	switch (kind) {
	case LAB_TLS_SELF_SIGNED: x = make_cert(cn, key, NULL, key, -DAY, 365 * DAY, 0); break;
	case LAB_TLS_EXPIRED:
		x = make_cert(cn, key, t->ca, t->ca_key, -60 * DAY, -30 * DAY, 0);
		break;
	default: x = make_cert(cn, key, t->ca, t->ca_key, -DAY, 365 * DAY, 0); break;
	}
	if (!x) {
		ssl_why(why, "could not make a server certificate");
		goto fail;
	}
	c->ctx = SSL_CTX_new(TLS_server_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ctx, x) != 1 || SSL_CTX_use_PrivateKey(c->ctx, key) != 1 ||
	    SSL_CTX_check_private_key(c->ctx) != 1) {
		ssl_why(why, "could not set up a TLS context");
		goto fail;
	}
	X509_free(x);
	EVP_PKEY_free(key);
	c->next = t->certs;
	t->certs = c;
	return c->ctx;
fail:
	X509_free(x);
	EVP_PKEY_free(key);
	SSL_CTX_free(c->ctx);
	free(c);
	return NULL;
}
