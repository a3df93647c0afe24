/* core/name.h — checking and normalising domain names typed by people.
 *
 * Names go on the wire in their ASCII form: a name with non-ASCII letters is
 * converted to its A-label (IDNA 2008, via libidn2); anything that cannot be
 * a host name is refused with a reason that says what and where. */
#ifndef MXSCOPE_NAME_H
#define MXSCOPE_NAME_H

#include "status.h"

/* Normalises in: trims surrounding blanks, converts to A-labels, lower-cases,
 * drops one trailing dot, and checks label and name lengths (63/253) and
 * characters (letters, digits, '-', '_'). On success *out is a new string
 * owned by the caller; on failure *why says what was wrong. */
mxs_status mx_name_normalize(const char *in, char **out, char **why);

/* Case-insensitive comparison of two normalised names, ignoring one trailing dot. */
int mx_name_cmp(const char *a, const char *b);

#endif
