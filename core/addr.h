/* core/addr.h — what kind of address a textual IP address is: its family,
 * its canonical text, and whether it is loopback or in a special-purpose
 * range that the Internet cannot reach (RFC 6890).
 *
 * Pure functions of their arguments, no state, no I/O: the rules (core/mx),
 * the blocklist query builder (core/blocklist) and the loopback policy of the
 * lab and the probes all ask here, so no module needs the domain model just
 * to classify an address. */
#ifndef MXSCOPE_ADDR_H
#define MXSCOPE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define MX_IP_MAX 46 /* INET6_ADDRSTRLEN: the longest textual address, with its NUL */

/* 4 or 6 for a textual IPv4 or IPv6 address, 0 for anything else (a name,
 * an address in brackets, a trailing dot, blanks). */
int mx_ip_family(const char *ip);

/* Writes the canonical text of ip into out (cap bytes, MX_IP_MAX is always
 * enough): "::1" for "0:0:0:0:0:0:0:1", "2001:db8::1" for "2001:DB8::1".
 * Returns the family (4 or 6), or 0 when ip is not an address or out is too
 * small (out is then ""). */
int mx_ip_canonical(const char *ip, char *out, size_t cap);

/* true when name is an address literal ("192.0.2.1", "[192.0.2.1]",
 * "[IPv6:2001:db8::1]", "2001:db8::1"), with or without one trailing dot. */
bool mx_is_ip_literal(const char *name);

/* true when ip (textual) is in 127.0.0.0/8 or is ::1: where the lab lives,
 * and the only addresses the lab may listen on or probe. */
bool mx_ip_is_loopback(const char *ip);

/* Why ip (textual) is not reachable from the Internet, for people:
 * "private (RFC 1918)", "documentation (RFC 5737)", ..., or NULL for a
 * public address. "not an address" when ip cannot be read. allow_loopback
 * exempts 127/8 and ::1 (the lab). The string is static. */
const char *mx_ip_non_public_why(const char *ip, bool allow_loopback);

/* true when mx_ip_non_public_why says why. */
bool mx_ip_is_non_public(const char *ip, bool allow_loopback);

#endif
