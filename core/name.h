/* core/name.h — checking and normalising domain names typed by people.
 *
 * Names go on the wire in their ASCII form: a name with non-ASCII letters is
 * converted to its A-label (IDNA 2008, via libidn2); anything that cannot be
 * a host name is refused with a reason that says what and where. */
#ifndef MXSCOPE_NAME_H
#define MXSCOPE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Normalises in: trims surrounding blanks, converts to A-labels, lower-cases,
 * drops one trailing dot, and checks label and name lengths (63/253) and
 * characters (letters, digits, '-', '_'). On success *out is a new string
 * owned by the caller; on failure *why says what was wrong. */
mxs_status mx_name_normalize(const char *in, char **out, char **why);

/* True when the len bytes at s are a host name as RFC 1123 §2.1 allows:
 * labels of letters, digits and hyphens, no hyphen at either end of a
 * label, labels of 1..63 bytes, at most 253 bytes in all, one optional
 * trailing dot. The one host-name check: MX and SRV targets, EHLO names,
 * TLS names and scenario host names all go through it. */
bool mx_name_is_host(const char *s, size_t len);

/* Case-insensitive comparison of two normalised names, ignoring one trailing dot. */
int mx_name_cmp(const char *a, const char *b);

#endif
