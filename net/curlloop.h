/* net/curlloop.h — the loop glue: one libcurl multi handle driven by the
 * libuv loop through the multi socket API (a uv_poll per socket libcurl
 * names, one uv_timer for libcurl's timeout), shared by net/smtp.c and
 * net/blocklist.c.
 *
 * Ownership: the owner (a prober, a client) makes one curlloop and owns it;
 * the curlloop owns the multi handle, its polls and its timer, never the
 * easy handles: the owner adds, removes and cleans those up itself.
 *
 * Re-entrancy: one depth counter covers the glue's loop callbacks and the
 * owner's own (curlloop_enter/curlloop_leave), so an owner freed from inside
 * any of them is torn down only once the outermost one returns. */
#ifndef MXSCOPE_CURLLOOP_H
#define MXSCOPE_CURLLOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

typedef struct curlloop curlloop;

/* How the glue calls its owner; every call gets the owner's arg. */
typedef struct curlloop_hooks {
	/* A transfer ended with rc. easy is still in the multi handle: removing
	 * and cleaning it up is the owner's. Required. */
	void (*done)(void *arg, CURL *easy, CURLcode rc);
	/* libcurl asks to watch fd for `what` (CURL_POLL_IN/OUT/INOUT) on easy's
	 * behalf, called on every such change (not for CURL_POLL_REMOVE) before
	 * the poll is set up. Optional. */
	void (*watch)(void *arg, CURL *easy, curl_socket_t fd, int what);
	/* After every round of done calls from the loop. Optional. */
	void (*drained)(void *arg);
	/* The outermost callback returned after curlloop_defer_release said
	 * "later": the owner tears down now. Optional. */
	void (*release)(void *arg);
	/* Every handle is closed after curlloop_free and the curlloop is gone:
	 * the owner may free itself. Optional. */
	void (*closed)(void *arg);
} curlloop_hooks;

/* A curlloop on loop; hooks is copied. NULL with *why set on failure. */
curlloop *curlloop_new(uv_loop_t *loop, const curlloop_hooks *hooks, void *arg, char **why);

/* The multi handle, for the owner's curl_multi_add_handle/_remove_handle and
 * options. Owned by the curlloop; NULL once curlloop_free was called, and for
 * a NULL cl. */
CURLM *curlloop_multi(const curlloop *cl);

/* Around the owner's own loop callbacks: leaving the outermost one calls
 * the release hook when a release was deferred. */
void curlloop_enter(curlloop *cl);
void curlloop_leave(curlloop *cl);

/* The owner wants to go away: no more done calls from here on. true when
 * this runs inside a loop callback, where the owner must not tear down yet
 * (the release hook comes later); false when it may tear down now. */
bool curlloop_defer_release(curlloop *cl);

/* Cleans up the multi handle (remove the easy handles first) and closes the
 * polls and the timer; the memory goes, and the closed hook runs, once the
 * loop has closed them all. Never from inside a loop callback: use
 * curlloop_defer_release first. Accepts NULL. */
void curlloop_free(curlloop *cl);

/* The options every bounded HTTP(S) transfer of mxscope sets, in one place:
 * no signals, no redirects, timeout_ms for the connection and the whole
 * transfer, at most max_body bytes announced, the body to write(data), the
 * error text in errbuf (CURL_ERROR_SIZE, cleared here), the certificate
 * verified (ca_pem, when not NULL, is trusted beside the system store and
 * must outlive the transfer), never VERBOSE (libcurl would print request
 * headers, an API key among them). */
void curlloop_easy_bounded(CURL *e, long timeout_ms, long max_body, const char *ca_pem,
                           curl_write_callback write, void *data, char *errbuf);

#endif
