/* net/mxjob.h — the MX job (prefix mxjob_): resolving one mail domain into
 * an mx_domain through the DNS engine's public API (net/dns.h).
 *
 * mxjob_resolve() asks MX for the domain, then A and AAAA for every target
 * (for the domain itself when it has no MX; only one family with
 * mxjob_config.family), and, when asked, SRV for the mail client services
 * of RFC 6186 / RFC 8314 beside them, and fills an mx_domain with the
 * records, their TTLs, CNAME aliases and how each question ended. The MX
 * question (and TLSA) goes out with the AD bit set, and the answer's AD bit
 * becomes the domain's DNSSEC status (mx_domain_set_dnssec; RFC 6840
 * §5.7); a SERVFAIL is asked again with CD set to tell a bogus zone from a
 * broken server. Every question is paced by the engine like any other. */
#ifndef MXSCOPE_MXJOB_H
#define MXSCOPE_MXJOB_H

#include <stdbool.h>

#include "dns.h"
#include "mx.h"
#include "status.h"

typedef struct mxjob_config {
	bool srv;   /* the SRV services of RFC 6186 too (--srv, or the one domain whose
	               details the explorer shows) */
	int family; /* 0 both A and AAAA; 4 only A (-4); 6 only AAAA (-6) */
	bool tlsa;  /* TLSA at _25._tcp.<host> (mx_host_set_tlsa) for every MX host; without
	               it only where the MX answer is DNSSEC-secure, as a DANE sender asks
	               (RFC 7672 §2.2.2) */
} mxjob_config;

/* Called once when every question of the domain has ended, from the loop.
 * Ownership of d goes back to the callee. */
typedef void (*mxjob_done_cb)(mx_domain *d, void *arg);

/* Starts resolving d, which must be empty (fresh from mx_domain_new), on c.
 * The job borrows d until cb returns it; when c is freed first, d is freed
 * with the job and cb is not called. MXS_ERR_NOMEM: nothing started, d is
 * still the caller's. */
mxs_status mxjob_resolve(dns_client *c, mx_domain *d, const mxjob_config *cfg, mxjob_done_cb cb,
                         void *arg);

#endif
