/* core/explain.h — the verdict on one piece of evidence (prefix explain_):
 * does the step the evidence says failed (core/ev.h's phase, at its MX
 * host and address) fail the same way in the domain's routing now (an
 * analysed mx_domain: from the scan, or from a recording)?
 *
 *   reproduced      the same step at the same host/address fails now; the
 *                   finding codes that explain it, and what to fix
 *   not-reproduced  that step works now, and what differs
 *   changed         the host or address is no longer in the routing
 *   cannot-check    the evidence is too vague, or the check cannot see
 *                   that step (DATA is never sent; RCPT only with --rcpt)
 *
 * Pure: the rendering layer of core/ (core/mx.h), reading the model's
 * views only. */
#ifndef MXSCOPE_EXPLAIN_H
#define MXSCOPE_EXPLAIN_H

#include "ev.h"
#include "mx.h"

typedef enum explain_verdict {
	EXPLAIN_REPRODUCED = 0,
	EXPLAIN_NOT_REPRODUCED,
	EXPLAIN_CHANGED,
	EXPLAIN_CANNOT_CHECK,
	EXPLAIN_VERDICT_COUNT
} explain_verdict;

/* "reproduced", "not-reproduced", "changed", "cannot-check". */
const char *explain_verdict_name(explain_verdict v);

typedef struct explain_result {
	explain_verdict verdict;
	char codes[256];   /* the finding codes that explain it, ", " between; "" none */
	char why[512];     /* what the check sees now, or what differs, or why it cannot tell */
	char fix[512];     /* the first explaining finding's message: what to fix; "" none */
	char now[256];     /* where the mail goes now: "mx2.x[127.0.0.2] accepts" or "no MX
	                      accepts now" ("" without probes) */
	bool backup_takes; /* a host other than the evidence's takes the mail now */
} explain_result;

/* Judges it against d (analysed; probed unless no_probe). port is the
 * port the check probed (the evidence's port may differ: it is said). */
void explain_judge(const ev_item *it, const mx_domain *d, int port, explain_result *out);

/* A cannot-check result with reason (copied). */
void explain_cannot(explain_result *out, const char *reason);

#endif
