/* net/doctor.h — can this machine judge mail hosts at all? (prefix doctor_)
 * Three checks: the resolver answers the root's NS question; a TCP
 * connection to one host on one port opens (and what it greets with); an
 * IPv6 default route exists (read from the kernel's table; nothing is
 * sent). Each check reports one finding through a callback and nothing is
 * ever printed: `mxscope doctor` (src/doctorcmd.c) lays the findings out. */
#ifndef MXSCOPE_NET_DOCTOR_H
#define MXSCOPE_NET_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

typedef enum doctor_what {
	DOCTOR_RESOLVER, /* the resolver answered */
	DOCTOR_PORT,     /* the connection to host:port opened */
	DOCTOR_IPV6,     /* an IPv6 default route exists (informational) */
} doctor_what;

typedef struct doctor_config {
	const char *const *servers; /* "HOST[:PORT]" resolvers; none = the system's */
	size_t nservers;
	unsigned timeout_ms; /* per check: the question, the connection */
	/* The one host to connect to, or NULL for no port check: an IPv4 or
	 * IPv6 address as text (connected to as is), or a host name (its first
	 * IPv4 address from the resolver). Only ever that one address: a
	 * network that drops outbound port 25 shows as a timeout. */
	const char *host;
	int port; /* 1..65535; used when host is set */
} doctor_config;

/* One finding: what was checked, whether it went well, and one line of
 * text saying what was seen (sanitised: nothing from the network can end
 * the line or reach the terminal raw). text is valid during the call. */
typedef void (*doctor_cb)(doctor_what what, bool ok, const char *text, void *arg);

/* Runs the checks on a loop of its own and returns when all are done
 * (each bounded by timeout_ms, the greeting by a few seconds more); cb is
 * called once for DOCTOR_RESOLVER, once for DOCTOR_PORT when c->host is
 * set, and once for DOCTOR_IPV6, in the order they finish. MXS_ERR_INVALID
 * with *why (owned by the caller) and no findings when a resolver in
 * c->servers is not an address; MXS_ERR_IO with *why when no event loop can
 * be started. */
mxs_status doctor_run(const doctor_config *c, doctor_cb cb, void *arg, char **why);

#endif
