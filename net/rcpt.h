/* net/rcpt.h — the recipient stage (--rcpt) on an SMTP connection that
 * libcurl opened with CURLOPT_CONNECT_ONLY: greeting, EHLO and STARTTLS are
 * libcurl's; this module then says MAIL FROM:<>, RCPT TO:<to>, RSET and
 * QUIT through curl_easy_send/curl_easy_recv, and nothing else: never DATA
 * or BDAT (prefix rcpt_). Used by net/smtp.c only.
 *
 * A refused MAIL FROM skips RCPT (and is recorded as the stage's answer);
 * after any reply RSET and QUIT follow. Each reply gets timeout_ms; a
 * timeout, a broken connection or a reply that is not SMTP ends the stage
 * at once (code 0 and why). Every line goes into r's transcript; the
 * outcome into r->rcpt (probe_rcpt_set). */
#ifndef MXSCOPE_NET_RCPT_H
#define MXSCOPE_NET_RCPT_H

#include <curl/curl.h>
#include <uv.h>

#include "probe.h"

typedef struct rcpt_conv rcpt_conv;

/* Called once when the stage ended, from the loop. */
typedef void (*rcpt_done_cb)(void *arg);

/* Starts the stage on easy's open connection (easy stays the caller's, and
 * must stay in its multi handle until the callback). r and to are
 * borrowed until the callback. NULL when out of memory (nothing started). */
rcpt_conv *rcpt_conv_start(uv_loop_t *loop, CURL *easy, probe_result *r, const char *to,
                           unsigned timeout_ms, rcpt_done_cb cb, void *arg);

/* Stops the stage without a callback; the memory goes with its timer's
 * close. Accepts NULL. */
void rcpt_conv_free(rcpt_conv *c);

#endif
