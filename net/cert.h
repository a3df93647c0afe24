/* net/cert.h — judging a server's certificate chain after the handshake
 * (prefix cert_), with OpenSSL.
 *
 * libcurl runs the STARTTLS handshake with verification off, so it always
 * completes and hands over the chain the server sent (CURLINFO_CERTINFO,
 * one PEM per certificate). cert_read turns that chain into core's
 * probe_cert records (subject, SANs, issuer, RFC 3339 validity, SPKI and
 * certificate SHA-256, the DER DANE matches); cert_verify then gives the
 * verdict libcurl would have given: the chain against the system store plus
 * an extra CA, then the MX host name (RFC 6125), with libcurl's words for
 * why not. */
#ifndef MXSCOPE_CERT_H
#define MXSCOPE_CERT_H

#include <stddef.h>

#include "probe.h"
#include "status.h"

typedef struct cert_store cert_store;

/* The trust store: the system's CAs plus those in ca_pem (NULL = none).
 * A ca_pem that holds no certificate does not fail here: every verdict then
 * says why (as libcurl did). NULL when out of memory. Owned by the caller:
 * cert_store_free (accepts NULL). */
cert_store *cert_store_new(const char *ca_pem);
void cert_store_free(cert_store *s);

/* Fills t->chain (at most PROBE_CHAIN_MAX certificates, the server's own
 * first) and the server certificate's subject, issuer and validity from n
 * PEM texts, replacing what t held there. A PEM that does not parse ends
 * the chain. MXS_ERR_INVALID when not even the first parses, MXS_ERR_NOMEM. */
mxs_status cert_read(probe_tls *t, const char *const *pem, size_t n);

/* Sets t->verified and t->verify_error (replaced) for the chain in t as
 * seen by a client that asked for host (a name, or an address literal
 * that is then matched against the IP SANs). */
void cert_verify(const cert_store *s, probe_tls *t, const char *host);

#endif
