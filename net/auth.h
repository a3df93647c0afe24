/* net/auth.h — the DNS beside the walk (prefix auth_): a zone's
 * authoritative servers asked one by one, and reverse DNS of an address.
 *
 * c-ares 1.18's old parsers on net/dns.c's engine (dns_query_raw): one
 * client asks the resolver (NS, the name servers' addresses, PTR and the
 * forward check, the resolver's cached MX), and one client per name
 * server address asks it directly with recursion off (SOA and MX). Every
 * question is paced and retried as the walk's are: a name server that
 * drops one answer is not called lame for it. What comes back fills
 * core/mx_auth.h's structs.
 *
 * Callbacks run from the loop, never from inside an auth_ call. */
#ifndef MXSCOPE_AUTH_H
#define MXSCOPE_AUTH_H

#include <stddef.h>
#include <uv.h>

#include "mx_auth.h"
#include "status.h"

/* PTR names whose A/AAAA is asked (the forward check); the rest are shown
 * only. net/commands.c prints the same questions. */
#define AUTH_FWD_NAMES_MAX 4

typedef struct auth_config {
	const char *const *servers; /* the resolver, "HOST[:PORT]"; none = the system's; copied */
	size_t nservers;
	unsigned timeout_ms; /* per question; 0 = 5 s */
	int ns_port;         /* the port name servers are asked on; <= 0: 53 (the lab: its
	                        DNS port) */
} auth_config;

typedef struct auth_client auth_client;

/* NULL with *why (owned by the caller) on a bad configuration. Owned by
 * the caller: auth_client_free(). */
auth_client *auth_client_new(uv_loop_t *loop, const auth_config *cfg, char **why);

/* Cancels everything (no more callbacks); memory goes as the loop runs the
 * close callbacks. Accepts NULL. */
void auth_client_free(auth_client *c);

/* The reverse DNS of ip: PTR names and whether one of them resolves back
 * to ip. The callee owns p (may be NULL when out of memory). */
typedef void (*auth_ptr_cb)(const char *ip, mx_ptr *p, void *arg);
mxs_status auth_ptr(auth_client *c, const char *ip, auth_ptr_cb cb, void *arg);

/* The zone of domain (the domain or the nearest ancestor with NS records),
 * its name servers' addresses, each one's SOA serial and MX set for domain
 * asked without recursion, and the resolver's cached MX answer. The callee
 * owns a (NULL when out of memory). */
typedef void (*auth_zone_cb)(const char *domain, mx_auth *a, void *arg);
mxs_status auth_zone(auth_client *c, const char *domain, auth_zone_cb cb, void *arg);

/* No callback will come for any request made with arg. */
void auth_cancel(auth_client *c, const void *arg);

/* Requests not yet called back (cancelled ones included until their
 * questions end). */
size_t auth_busy(const auth_client *c);

#endif
