/* core/mx_auth.h — what DNS says beside the walk, in the domain model:
 * the zone's authoritative servers asked one by one (--authoritative) and
 * the reverse DNS of every MX address (--ptr); the findings they lead to
 * (authoritative-mismatch, authoritative-lame, ptr-missing,
 * ptr-not-forward-confirmed), the per-host IPv4/IPv6 comparison of the
 * probes (ipv6-unreachable, ipv4-unreachable) and the egress-blocked
 * reading of a run whose every probe timed out at connect.
 *
 * Pure C, no I/O: net/auth.c asks the questions and fills these structs;
 * the scan attaches them to a domain (the domain then owns them) and
 * mx_domain_analyze() reads them. The value types and the domain's
 * accessors are the model layer (core/mx_auth.c, core/mx.c); the findings
 * are the rules layer (core/mx_rules_auth.c); their report pieces are
 * rendering, declared in core/report.h (core/report_auth.c). */
#ifndef MXSCOPE_MX_AUTH_H
#define MXSCOPE_MX_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mx.h"

/* More names or servers than these are dropped: a hostile answer cannot
 * grow the model (or the questions asked) without bound. */
#define MX_PTR_NAMES_MAX 8
#define MX_AUTH_NS_MAX   16 /* NS addresses asked */
#define MX_AUTH_MX_MAX   64 /* MX records kept per server */

/* The reverse DNS of one address. */
typedef struct mx_ptr {
	mx_rcode rc;            /* how the PTR question ended */
	char **names;           /* PTR names, lower-case, no trailing dot */
	size_t nnames;          /* at most MX_PTR_NAMES_MAX */
	bool forward_confirmed; /* some name's A/AAAA holds the address (FCrDNS) */
} mx_ptr;

/* A new empty result (rc NOT_ASKED); NULL when out of memory. Owned by the
 * caller; mx_ptr_free accepts NULL. */
mx_ptr *mx_ptr_new(void);
void mx_ptr_free(mx_ptr *p);
mx_ptr *mx_ptr_dup(const mx_ptr *p); /* deep copy, owned by the caller */
/* Adds a name (copied, lower-cased, trailing dot dropped); beyond
 * MX_PTR_NAMES_MAX: MXS_ERR_LIMIT. */
mxs_status mx_ptr_add_name(mx_ptr *p, const char *name);

/* Attaches p to host i's address k; takes ownership (freed with the
 * domain, or at once on error). A second one replaces the first. */
mxs_status mx_host_set_ptr(mx_domain *d, size_t i, size_t k, mx_ptr *p);
/* The reverse DNS of host i's address k, or NULL when not asked. */
const mx_ptr *mx_addr_ptr(const mx_domain *d, size_t i, size_t k);

/* One authoritative server address asked directly, without recursion. */
typedef struct mx_auth_server {
	char *ns;        /* its NS name */
	char *ip;        /* the address asked */
	mx_rcode rc;     /* of the SOA question (TIMEOUT, REFUSED, ...) */
	bool aa;         /* the SOA reply had the AA bit */
	bool has_serial; /* the SOA reply carried the zone's SOA */
	uint32_t serial;
	mx_rcode mx_rc; /* of the MX question */
	char **mx;      /* "PREF HOST" sorted, host lower-case without final dot */
	size_t nmx;
} mx_auth_server;

/* The zone's servers side by side, and the resolver's cached answer. */
typedef struct mx_auth {
	char *zone;           /* the zone cut asked about (the domain or an ancestor) */
	mx_rcode ns_rc;       /* how the NS question for zone ended */
	mx_auth_server *srv;  /* one per NS address, NS names sorted */
	size_t nsrv, capsrv;  /* at most MX_AUTH_NS_MAX */
	mx_rcode resolver_rc; /* the resolver's MX answer */
	char **resolver_mx;   /* as mx above */
	size_t nresolver_mx;
	uint32_t resolver_ttl; /* its remaining TTL: the longest a sender keeps it */
} mx_auth;

/* A new empty set for zone (copied); NULL when out of memory. Owned by
 * the caller; mx_auth_free accepts NULL. */
mx_auth *mx_auth_new(const char *zone);
void mx_auth_free(mx_auth *a);
mx_auth *mx_auth_dup(const mx_auth *a);
/* Appends a server for ns/ip (copied) and returns it through *out; beyond
 * MX_AUTH_NS_MAX: MXS_ERR_LIMIT. The pointer is valid until the next add. */
mxs_status mx_auth_add_server(mx_auth *a, const char *ns, const char *ip, mx_auth_server **out);
/* Adds "PREF HOST" to an MX set (*list of *n), kept sorted; beyond
 * MX_AUTH_MX_MAX: MXS_ERR_LIMIT. */
mxs_status mx_auth_add_mx(char ***list, size_t *n, unsigned pref, const char *host);
/* Sorts the servers by NS name, then address (stable output). */
void mx_auth_sort(mx_auth *a);

/* Attaches a to the domain; takes ownership (a second one replaces the
 * first). NULL when none was asked. */
mxs_status mx_domain_set_auth(mx_domain *d, mx_auth *a);
const mx_auth *mx_domain_auth(const mx_domain *d);

/* ---- port 25 egress (one rule for check's run and the explorer's list) --- */

/* Whether d was probed and every probe that ended timed out at connect. */
bool mx_domain_only_connect_timeouts(const mx_domain *d);

/* What a run has seen so far, for the egress reading. */
typedef struct mx_egress_seen {
	size_t domains;         /* domains whose every probe timed out at connect */
	size_t addresses;       /* distinct addresses among them that timed out */
	unsigned long answered; /* probes of the run that got past connect */
} mx_egress_seen;

/* The network, not the hosts: two or more unrelated domains (two or more
 * addresses) time out at connect and nothing got past connect. One domain,
 * or several sharing one address, may just have a host down; one answer
 * anywhere shows port 25 gets out. */
bool mx_egress_blocked(const mx_egress_seen *seen);

#endif
