/* net/policy.h — fetching a domain's MTA-STS policy (RFC 8461) and its
 * TLS-RPT record (RFC 8460) on the libuv loop (prefix policy_fetch_).
 *
 *   _mta-sts.DOMAIN TXT --v=STSv1--> mta-sts.DOMAIN A/AAAA --> HTTPS GET
 *   _smtp._tls.DOMAIN TXT (beside it, shown only)
 *
 * Every DNS question goes through the scan's DNS client (the servers of -s),
 * and the policy host is pinned to the address that client found
 * (CURLOPT_CONNECT_TO), so the policy comes from where DNS says, never from
 * a second resolver. The GET: https only, the certificate verified for
 * mta-sts.DOMAIN (the system store, plus ca_pem), no redirects (§3.3), at
 * most POLICY_BODY_MAX bytes, bounded time. The body is read by
 * core/policy.c.
 *
 * Ownership: the fetcher owns its libcurl handles and its jobs; a result is
 * handed to the callback, which owns it from then on. */
#ifndef MXSCOPE_NET_POLICY_H
#define MXSCOPE_NET_POLICY_H

#include <stdbool.h>
#include <uv.h>

#include "dns.h"
#include "../core/policy.h" /* core/policy.h: this file has the same name */
#include "status.h"

#define POLICY_FETCH_DEFAULT_TIMEOUT_MS 10000
#define POLICY_FETCH_PORT               443

typedef struct policy_fetch_config {
	unsigned timeout_ms; /* the whole fetch (DNS excluded); 0 = 10 s */
	int port;            /* HTTPS port; 0 = 443 (the lab's: its own) */
	const char *ca_pem;  /* a CA trusted besides the system store (--cafile, the lab's),
	                        or NULL. Copied. */
	bool loopback_only;  /* the lab: fetch only from 127.0.0.0/8 and ::1 */
} policy_fetch_config;

/* What was found for one domain; every field may be NULL. Owned by the
 * receiver: policy_fetch_result_free(). */
typedef struct policy_fetch_result {
	char *txt;          /* the _mta-sts TXT (v=STSv1), NULL when none */
	char *id;           /* its id */
	policy_sts *policy; /* the parsed policy, NULL when none or on error */
	char *error;        /* why a published policy could not be used, or NULL */
	char *tls_rpt;      /* the _smtp._tls TXT (v=TLSRPTv1), NULL when none */
} policy_fetch_result;

void policy_fetch_result_free(policy_fetch_result *r); /* accepts NULL */

/* Copies what r found into d (mx_domain_set_mta_sts, _set_tls_rpt): each
 * DNS answer is a new mx_domain, the fetch is not repeated for it. Does
 * nothing for a NULL r or d; out of memory leaves d without it. */
void policy_fetch_apply(const policy_fetch_result *r, mx_domain *d);

typedef struct policy_fetcher policy_fetcher;
typedef struct policy_job policy_job;

/* Called once per fetch that is not cancelled, from the loop; r is the
 * callee's. */
typedef void (*policy_fetch_cb)(policy_fetch_result *r, void *arg);

/* A fetcher on loop asking DNS through dns (borrowed: it must outlive the
 * fetcher). NULL with *why on failure. Owned by the caller. */
policy_fetcher *policy_fetcher_new(uv_loop_t *loop, dns_client *dns, const policy_fetch_config *cfg,
                                   char **why);

/* Starts fetching for domain (normalised). The job is a handle for
 * policy_fetch_cancel, valid until cb is called. NULL when out of memory. */
policy_job *policy_fetch(policy_fetcher *f, const char *domain, policy_fetch_cb cb, void *arg);

/* The callback will not be called; the job's questions and transfer end
 * quietly. Safe from inside any callback. */
void policy_fetch_cancel(policy_job *j);

/* Fetches running or waiting. */
size_t policy_fetcher_busy(const policy_fetcher *f);

/* Cancels every job (no callbacks) and closes the handles; memory follows
 * from the loop. Before dns_client_free of the client it borrows. May be
 * called from a callback. Accepts NULL. */
void policy_fetcher_free(policy_fetcher *f);

#endif
