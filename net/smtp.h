/* net/smtp.h — SMTP banner probes with libcurl's multi socket API on the
 * libuv loop, and a monitor that re-probes addresses on an interval.
 *
 * A probe connects to one address of one MX host, reads the greeting, says
 * EHLO, does STARTTLS when offered (verifying the certificate against the MX
 * host name, not the address), NOOP and QUIT. It never sends MAIL, RCPT or
 * DATA — unless asked for the recipient stage (smtp_probe_rcpt): then MAIL
 * FROM:<>, RCPT TO, RSET and QUIT instead of NOOP, and still never DATA or
 * BDAT. The outcome is a core probe_result (core/probe.h).
 *
 * Manners: at most max_probes connections at once over all addresses, at
 * most one connection per address at a time (a second probe of an address
 * waits until the first ends), first come first served otherwise.
 *
 * The prober is net/smtp.c; the monitor (smtp_monitor_*) is net/monitor.c,
 * a client of the prober's public API. */
#ifndef MXSCOPE_SMTP_H
#define MXSCOPE_SMTP_H

#include <stddef.h>
#include <uv.h>

#include "probe.h"
#include "status.h"

#define SMTP_DEFAULT_PORT       25
#define SMTP_DEFAULT_TIMEOUT_MS 10000
#define SMTP_DEFAULT_MAX_PROBES 200

#define SMTP_MAX_OVERRIDES 256

typedef struct smtp_config {
	int port;              /* 0 = 25 (--smtp-port) */
	unsigned timeout_ms;   /* connect and each reply (--timeout); the whole probe is
	                          capped at 3x; 0 = 10 s */
	unsigned max_probes;   /* probes in flight at once, all addresses; 0 = 200 */
	const char *ehlo_name; /* EHLO argument; NULL = this machine's name when it is a
	                          dotted host name, else "localhost.localdomain" */
	const char *ca_pem;    /* CA(s) in PEM (the lab's) trusted beside the system store,
	                          as libcurl on Debian had it; NULL = the system store only.
	                          Copied. */
	/* the lab's address map (probe_port_override, core/probe.h); copied;
	 * at most SMTP_MAX_OVERRIDES */
	const probe_port_override *overrides;
	size_t noverrides;
} smtp_config;

typedef struct smtp_prober smtp_prober;

/* Called once per probe that ends; r is owned by the callee (free it with
 * probe_result_free). Called from the loop, never from inside smtp_probe. */
typedef void (*smtp_done_cb)(probe_result *r, void *arg);

/* Global libcurl initialisation; call once from main before any prober. */
mxs_status smtp_global_init(char **why);
void smtp_global_cleanup(void);
/* "libcurl/7.88.1 OpenSSL/3.0.11 ..." */
const char *smtp_version(void);

/* A prober on loop. NULL with *why (owned by the caller) on a bad
 * configuration (an EHLO name that is not a host name or address literal, a
 * port out of range). The caller owns the result: smtp_prober_free(). */
smtp_prober *smtp_prober_new(uv_loop_t *loop, const smtp_config *cfg, char **why);

/* Queues a probe of ip (IPv4 or IPv6 text) as the MX host host (the name
 * TLS verifies; NULL, "" or an address = the address itself; one trailing
 * dot is dropped). host and ip are copied; the result carries ip in
 * canonical form ("::1" for "0:0::1"). MXS_ERR_INVALID when ip is not an
 * address or host is not a host name; MXS_ERR_NOMEM. cb is called exactly
 * once unless the probe is cancelled. */
mxs_status smtp_probe(smtp_prober *p, const char *host, const char *ip, smtp_done_cb cb, void *arg);

/* The port a probe of ip as host goes to: the lab's override for the
 * longest zone that holds host, else the prober's port. */
int smtp_prober_port_for(const smtp_prober *p, const char *host, const char *ip);
/* The same, with the recipient stage (--rcpt) after EHLO/STARTTLS: MAIL
 * FROM:<>, RCPT TO:<rcpt>, RSET, QUIT (net/rcpt.c); r->rcpt says what RCPT
 * got. Only for a host that greets with 2xx. rcpt NULL = smtp_probe. rcpt
 * is copied; it must be a checked address (sender_rcpt_address). */
mxs_status smtp_probe_rcpt(smtp_prober *p, const char *host, const char *ip, const char *rcpt,
                           smtp_done_cb cb, void *arg);

/* Cancels every queued or running probe whose cb and arg are these; their
 * callbacks are not called. Returns how many were cancelled. */
size_t smtp_cancel(smtp_prober *p, smtp_done_cb cb, void *arg);
/* The same for probes of ip alone: what a caller that knows the address
 * uses, so cancelling costs the same with ten addresses or 40,000. */
size_t smtp_cancel_at(smtp_prober *p, const char *ip, smtp_done_cb cb, void *arg);

size_t smtp_prober_busy(const smtp_prober *p); /* probes queued or running */
size_t smtp_prober_running(const smtp_prober *p);
unsigned smtp_prober_peak(const smtp_prober *p); /* most probes ever running at once */
/* The loop p runs on (the monitor's timers share it). */
uv_loop_t *smtp_prober_loop(const smtp_prober *p);
/* The EHLO name in use, valid while p lives. */
const char *smtp_prober_ehlo_name(const smtp_prober *p);

/* Cancels every probe (no callbacks) and closes the handles; memory is
 * released as the loop runs the close callbacks. May be called from a
 * probe callback. Accepts NULL. */
void smtp_prober_free(smtp_prober *p);

/* ---- live monitoring, like mtr (net/monitor.c) --------------------------- */

typedef struct smtp_history {
	const char *host, *ip;          /* as watched */
	int port;                       /* where the probes go (smtp_prober_port_for) */
	unsigned long sent;             /* probes that ended */
	unsigned long lost;             /* of those, the ones without a 2xx greeting */
	double lost_pct;                /* 100 * lost / sent, 0 when none sent */
	long last_ms;                   /* greeting time of the last probe that got a greeting */
	long avg_ms, best_ms, worst_ms; /* over every probe that got a greeting; -1 = none */
	unsigned long greeted;          /* probes that got a greeting (any code), the avg's base */
	probe_state last_state;         /* PENDING before the first probe ends */
	const probe_result *last;       /* the last result, NULL before the first */
	bool in_flight;                 /* a probe of this address is queued or running */
} smtp_history;

typedef struct smtp_monitor smtp_monitor;

/* Called after each probe that ends, with the address, port and host name
 * whose history changed. */
typedef void (*smtp_change_cb)(const char *ip, int port, const char *host, void *arg);

/* A monitor that re-probes every watched address through p every
 * interval_ms (0 = 1000), never overlapping itself: an address whose probe
 * has not ended skips the round. p must outlive the monitor. NULL when out
 * of memory. Owned by the caller: smtp_monitor_free(). */
smtp_monitor *smtp_monitor_new(smtp_prober *p, unsigned interval_ms);
void smtp_monitor_on_change(smtp_monitor *m, smtp_change_cb cb, void *arg);
/* Starts watching ip as host; the first probe is queued at once. A watch
 * is an address at a port (smtp_prober_port_for: one per lab scenario for
 * ::1, else one per address) as one MX host name, since STARTTLS verifies
 * the certificate for that name: two names on one address are two watches,
 * as check probes them. Watching one again is a no-op.
 * MXS_ERR_INVALID / MXS_ERR_NOMEM as smtp_probe. */
mxs_status smtp_monitor_watch(smtp_monitor *m, const char *host, const char *ip);
/* Probes ip at port as host now (a re-resolve wants a fresh answer without waiting
 * for the interval); its history is kept. No-op when it is not watched or
 * its probe is still running. */
void smtp_monitor_probe_now(smtp_monitor *m, const char *ip, int port, const char *host);
/* Stops watching ip at port as host and forgets its history; its running probe is
 * cancelled. */
void smtp_monitor_unwatch(smtp_monitor *m, const char *ip, int port, const char *host);
/* The history of ip at port as host, or NULL when it is not watched. A view valid
 * until the next loop turn or the next call into the monitor. */
const smtp_history *smtp_monitor_history(const smtp_monitor *m, const char *ip, int port,
                                         const char *host);
/* Cancels the monitor's probes and closes its timer. Accepts NULL. */
void smtp_monitor_free(smtp_monitor *m);

#endif
