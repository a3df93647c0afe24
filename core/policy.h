/* core/policy.h — MTA-STS (RFC 8461) as data: the `_mta-sts` TXT record, the
 * policy file served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, and
 * the rule that says whether a policy covers an MX host (prefix policy_).
 *
 * Pure C, no I/O: net/policy fetches, this module reads what was fetched.
 * Everything it reads came from the network: it is bounded, and every
 * refusal comes with a one-line reason that says what and where. */
#ifndef MXSCOPE_POLICY_H
#define MXSCOPE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* RFC 8461 §3.2: a policy body larger than this is refused (the RFC lets a
 * sender cap it; 64 KiB is what the fetch reads at most). */
#define POLICY_BODY_MAX (64 * 1024)
/* RFC 8461 §3.2: max_age is at most 31557600 (about one year). */
#define POLICY_MAX_AGE_MAX 31557600UL
/* mx: lines kept; a policy with more is refused rather than cut. */
#define POLICY_MX_MAX 64

typedef enum policy_mode {
	POLICY_MODE_NONE = 0, /* "none": the domain withdraws its policy */
	POLICY_MODE_TESTING,  /* "testing": report problems, deliver anyway */
	POLICY_MODE_ENFORCE,  /* "enforce": never deliver to a host that fails */
} policy_mode;

/* "none", "testing", "enforce". */
const char *policy_mode_str(policy_mode m);

/* A parsed policy; read-only once made. Owned by whoever holds it:
 * policy_free(). */
typedef struct policy_sts {
	policy_mode mode;
	char **mx; /* the mx: patterns, lower-case, no trailing dot, in file order */
	size_t nmx;
	unsigned long max_age; /* seconds */
} policy_sts;

/* Parses a policy body (RFC 8461 §3.2): "key: value" lines ended by CRLF or
 * LF; `version: STSv1`; `mode` and `max_age` once (a repeated field is
 * refused, not guessed); `mx` one or more times when the mode is not none;
 * unknown keys ignored. len bytes, NULs refused. NULL with *why ("line 3:
 * mode \"strict\" is not enforce, testing or none") when the body is not a
 * policy, or when out of memory. */
policy_sts *policy_parse(const char *body, size_t len, char **why);
void policy_free(policy_sts *p); /* accepts NULL */
policy_sts *policy_dup(const policy_sts *p);

/* Reads the `_mta-sts` TXT record (RFC 8461 §3.1): "v=STSv1; id=ID;" with
 * v first, id 1-32 letters and digits, other fields ignored. *id gets a new
 * string (owned by the caller). false with *why when it is not an STSv1
 * record. */
bool policy_txt_parse(const char *txt, char **id, char **why);

/* RFC 8461 §4.1: does an mx: pattern match host? Case-insensitive, a
 * trailing dot ignored on either side; "*.example.com" matches exactly one
 * more label on the left ("mx.example.com", not "example.com" nor
 * "a.b.example.com"). */
bool policy_mx_matches(const char *pattern, const char *host);
/* Any of the policy's patterns matches host. */
bool policy_covers(const policy_sts *p, const char *host);

#endif
