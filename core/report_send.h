/* core/report_send.h — the report's parts for what real senders look at:
 * DNSSEC, MTA-STS, TLS-RPT, TLSA, DANE, the recipient stage and the sender
 * profiles. Internal to core/report*.c (prefix mxr_); kept apart
 * so report.c stays the frame and these parts one file.
 *
 * The JSON helpers add keys to an object the caller owns. The text helpers
 * return a new string (owned by the caller, "" when there is nothing to
 * say) or NULL when out of memory; every network byte in it is sanitised. */
#ifndef MXSCOPE_REPORT_SEND_H
#define MXSCOPE_REPORT_SEND_H

#include <jansson.h>

#include "mx.h"
#include "report.h"

/* "dnssec", "mta_sts", "tls_rpt" (null when not asked) and "senders". */
void mxr_json_domain(json_t *root, const mx_domain *d);
/* "tlsa" of a host: {records, secure}, null when not asked. */
void mxr_json_host(json_t *o, const mx_host *h);
/* {preference, host, ip} of an attempt: attempt_order, delivered_to and
 * the sender steps. New reference owned by the caller. */
json_t *mxr_json_attempt(const mx_domain *d, const mx_attempt *a);
/* "dane" and "rcpt" of a probe, each only when that stage ran. */
void mxr_json_probe(json_t *o, const probe_result *r);

/* Lines under an address: the recipient stage and the DANE verdict. */
char *mxr_text_probe(const probe_result *r);
/* A line under a host: its TLSA records. */
char *mxr_text_host(const mx_host *h);
/* The domain's sections: DNSSEC, MTA-STS, TLS-RPT, and per sender profile
 * where mail ends and why. */
char *mxr_text_domain(const mx_domain *d, const mx_report_opts *o);

#endif
