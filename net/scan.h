/* net/scan.h — the scan pipeline (prefix scan_): the one way every front end
 * (check, lab, the explorer) turns domain names into analysed mx_domains.
 *
 *   name --DNS--> mx_domain --probe every address (SMTP)----+--> analyse --> on_domain
 *                           --ask every blocklist about it--+
 *
 * A scan is made from one scan_config and owns everything on that path: the
 * DNS client (net/dns.h), the SMTP prober and, in monitor mode, the monitor
 * (net/smtp.h), the blocklist client (net/bl.h), the pacing of all three
 * (their in-flight limits), the loopback policy of the lab, and ONE result
 * store keyed by address: the probe results (per MX host name the address was
 * probed as, since TLS verifies that name), the mtr-like history, and the
 * latest answer of every blocklist provider. Two domains that show the same
 * address share its probe and its blocklist answers: an address is probed
 * once, whichever domains list it, and forgotten when no domain shows it.
 *
 * Two modes:
 *  - SCAN_ONCE (check, lab --json): every address is probed once and asked
 *    about once; a domain settles when its DNS is done and every first probe
 *    and blocklist answer is in. The front end typically prints it from the
 *    SCAN_CH_SETTLED callback and then calls scan_remove() to keep memory flat.
 *  - SCAN_MONITOR (the explorer): addresses are re-probed every interval_ms
 *    like mtr (history: sent, loss, last/avg/best/worst); a domain still
 *    "settles" once (first answers in) and keeps changing afterwards.
 *
 * Names are the identity of a domain in the scan: scan_add() normalises the
 * name (mx_name_normalize) and every other call takes the normalised or the
 * raw form alike.
 *
 * Callbacks run from the loop, never from inside a scan_ call (so a front end
 * can scan_add() and then expect nothing until the loop runs). From inside a
 * callback a front end may call any scan_ function, scan_remove() and
 * scan_free() included.
 *
 * Ownership: the scan owns every mx_domain, history and result it hands out;
 * they are read-only views, valid as each function says. Strings in
 * scan_config are copied unless marked "borrowed". */
#ifndef MXSCOPE_SCAN_H
#define MXSCOPE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "blocklist.h"
#include "mx.h"
#include "probe.h"
#include "status.h"

typedef struct scan scan;

typedef enum scan_mode {
	SCAN_ONCE = 0, /* probe once, settle, done (check) */
	SCAN_MONITOR,  /* re-probe every interval_ms (the explorer) */
} scan_mode;

/* What changed, as bits of the on_domain callback's `changes`. */
enum {
	SCAN_CH_ANSWER = 1u << 0,    /* a new DNS answer replaced the domain (hosts, addresses) */
	SCAN_CH_PROBE = 1u << 1,     /* a probe of one of its addresses ended */
	SCAN_CH_BLOCKLIST = 1u << 2, /* a blocklist answered about one of its addresses */
	SCAN_CH_ANALYSIS = 1u << 3,  /* re-analysed with another seed (scan_set_seed) or on thaw */
	SCAN_CH_PTR = 1u << 5,       /* reverse DNS of one of its addresses came (cfg.ptr) */
	SCAN_CH_AUTH = 1u << 6,      /* its authoritative servers' answers came
	                                (cfg.authoritative) */
	SCAN_CH_SETTLED = 1u << 4,   /* this is the call in which the domain settled: DNS done,
	                                every first probe and blocklist answer in. Once per
	                                scan_add and once per scan_refresh. */
};

/* Called when domain `name` (normalised; valid during the call) changed. d is
 * the domain, already analysed (tiers, attempt order with the domain's seed,
 * the relay view of as_host, findings, the walk); owned by the scan, valid
 * until the callback returns (afterwards fetch it again with scan_domain()).
 * Not called while the scan is frozen (scan_freeze).
 * SCAN_ONCE: not called before the domain has settled; the settling call
 * carries every change bit gathered until then (so check sees exactly one
 * call per domain). SCAN_MONITOR: called for every change, batched per
 * loop turn. */
typedef void (*scan_domain_cb)(scan *s, const char *name, const mx_domain *d, unsigned changes,
                               void *arg);

/* Things that happen on the way, for logs and messages (the explorer's log
 * pane). Informational only; a front end may ignore them. Like on_domain,
 * never called from inside a scan_ call: a front end logs its own
 * scan_add / scan_refresh ("query MX sent") itself. */
typedef enum scan_event_kind {
	SCAN_EV_DNS_ANSWER,  /* name, d: the answer came (also while frozen) */
	SCAN_EV_PROBE_START, /* ip, host: the first probe of an address was queued */
	SCAN_EV_PROBE_DONE,  /* ip, host, probe: a probe ended */
	SCAN_EV_BLOCKLIST,   /* ip, bl: a blocklist answered */
} scan_event_kind;

typedef struct scan_event {
	scan_event_kind kind;
	const char *name;          /* SCAN_EV_DNS_ANSWER: the domain */
	const mx_domain *d;        /* SCAN_EV_DNS_ANSWER: the new answer, not yet analysed */
	const char *ip, *host;     /* SCAN_EV_PROBE_*, SCAN_EV_BLOCKLIST (host NULL there) */
	const probe_result *probe; /* SCAN_EV_PROBE_DONE */
	const blr_result *bl;      /* SCAN_EV_BLOCKLIST */
} scan_event;                      /* every pointer valid during the callback only */

typedef void (*scan_event_cb)(scan *s, const scan_event *ev, void *arg);

typedef struct scan_config {
	scan_mode mode;
	/* DNS */
	const char *const *servers; /* "HOST[:PORT]"; none = the system resolver; copied */
	size_t nservers;
	unsigned timeout_ms; /* per DNS question, SMTP connect/reply, blocklist lookup;
	                        0 = each client's default */
	unsigned max_dns;    /* DNS questions in flight; 0 = 100 */
	bool srv;            /* also ask the mail client SRV services (--srv); scan_set_srv */
	int family;          /* 0 both; 4 only A, 6 only AAAA (-4, -6): only those probed */
	unsigned qps;        /* DNS questions per second at most (--qps); 0 = no ceiling */
	/* SMTP */
	bool no_probe;         /* no SMTP probes at all (--no-probe) */
	int smtp_port;         /* <= 0: 25 */
	unsigned max_probes;   /* probes in flight, all addresses; 0 = 200 */
	const char *ehlo_name; /* NULL = this machine's name */
	const char *ca_pem;    /* CA for STARTTLS verification beside the system store, or
	                          NULL; copied */
	unsigned interval_ms;  /* SCAN_MONITOR: re-probe interval; 0 = 10 s */
	/* the lab's address map (core/probe.h): each lab scenario's ::1 host on
	 * its own port; copied by the prober. NULL outside the lab. The store
	 * keys an address by ip and port, so each is its own address. */
	const probe_port_override *smtp_overrides;
	size_t nsmtp_overrides;
	/* blocklists */
	const blr_config *blocklists; /* the providers; NULL or none enabled = no lookups.
	                                 Borrowed: must outlive the scan. */
	const char *bl_ca_pem;        /* CA for HTTPS blocklists, or NULL; copied */
	/* The DANE stage always runs where the MX answer is DNSSEC-secure: TLSA
	   for each MX host, each probe's certificate matched against it
	   (probe_result.dane; core/dane.h). dane asks TLSA in insecure zones too,
	   to show the records a DANE sender ignores (dane-tlsa-insecure). */
	bool dane;
	/* policy */
	bool loopback_only; /* the lab: probe and ask blocklists about only 127.0.0.0/8 and ::1,
	                       whatever a scenario says; other addresses are shown, never
	                       probed (scan_history_get says !watched) */
	/* what real senders look at */
	bool mta_sts;     /* fetch each domain's MTA-STS policy and TLS-RPT record (net/policy.h);
	                     a domain settles once that is in too */
	int mta_sts_port; /* HTTPS port of the policy hosts; <= 0: 443 (the lab: its own) */
	const char *rcpt; /* the recipient stage (--rcpt): LOCALPART (@ the domain added) or
	                     ADDRESS; NULL = off, nothing past NOOP is sent. Copied. */
	sender_profile sender; /* whose walk mx_domain_delivered follows (--sender) */
	/* analysis (mx_options) */
	bool allow_loopback; /* loopback addresses count as ordinary (lab) */
	uint64_t seed;       /* the run seed; each domain starts with it */
	const char *as_host; /* relay view (--as), or NULL; copied */
	/* where the answers come from: false the network (the DNS client, the
	 * prober, the stages' clients); true a recording (src/replay.c): its
	 * lines come in through scan_add_recorded() and stand where the
	 * network's answers would (the DNS answer, each address's first probe,
	 * the stages' answers it carries); no client at all, nothing is asked
	 * or probed, and everything after the source is the same */
	bool recording;
	/* DNS beside the walk (net/auth.h); both count for settling */
	bool ptr;           /* reverse DNS of every address (--ptr) */
	bool authoritative; /* every name server of each domain's zone asked directly
	                       (--authoritative) */
	int ns_port;        /* the port name servers are asked on; <= 0: 53 */
	/* callbacks; arg is handed to both */
	scan_domain_cb on_domain; /* may be NULL */
	scan_event_cb on_event;   /* may be NULL */
	void *arg;
} scan_config;

/* ---- process-wide ------------------------------------------------------- */

/* c-ares and libcurl global initialisation; once from main before any scan.
 * NULL-safe why (owned by the caller). */
mxs_status scan_global_init(char **why);
void scan_global_cleanup(void);
/* "c-ares 1.18.1, libuv 1.44.2, libcurl/7.88.1 OpenSSL/3.0.11 ..." for
 * --version. Owned by the caller (free()); NULL when out of memory. */
char *scan_versions(void);

/* ---- life ------------------------------------------------------------- */

/* A scan on loop. NULL with *why (owned by the caller) when it cannot
 * start; *st (may be NULL) then says why: MXS_ERR_INVALID for bad input in
 * cfg (a DNS server string, a blocklist provider's URL: a usage error),
 * anything else when it could not start on this machine (no resolver
 * configured, a client that cannot be set up, out of memory). MXS_OK with
 * a scan. Owned by the caller: scan_free(). */
scan *scan_new(uv_loop_t *loop, const scan_config *cfg, mxs_status *st, char **why);

/* Cancels everything (no more callbacks) and closes the clients; memory is
 * released as the loop runs the close callbacks (run the loop once more).
 * May be called from a callback. Accepts NULL. */
void scan_free(scan *s);

/* ---- domains ---------------------------------------------------------- */

/* Adds a domain and starts resolving it. MXS_ERR_INVALID with *why for a
 * name that cannot be a domain; MXS_ERR_LIMIT when the name is already in the
 * scan (nothing changes; scan_refresh asks again); MXS_ERR_NOMEM. The scan
 * copies name. */
mxs_status scan_add(scan *s, const char *name, char **why);

/* A scan of a recording (cfg.recording) takes a domain read back from it
 * (core/record.h) as the source's answer for its name: the domain is added
 * (as scan_add) and its answer comes from the loop, each recorded probe
 * then as its address's first probe, into the store and the history as a
 * live probe would; on_domain as for any scan. The scan owns d from here
 * on (also on error); the domain's seed is d's. A name already in the scan
 * gets d as its next answer (a recording's later line is newer).
 * MXS_ERR_INVALID when the scan's answers do not come from a recording.
 * scan_add of a name the recording does not hold is MXS_ERR_INVALID. */
mxs_status scan_add_recorded(scan *s, mx_domain *d, char **why);

/* Asks DNS again (the domain keeps showing the old answer until the new
 * one comes), then probes its addresses again (a recording has nothing
 * newer: nothing is asked, nothing changes, MXS_OK; see scan_recorded): an address only this domain
 * shows loses its history and results and gets a first probe and blocklist
 * lookup at once; an address other domains show too keeps them. Settles
 * again (SCAN_CH_SETTLED).
 * A refresh while the domain is resolving is a no-op (returns MXS_OK, see
 * scan_domain_info's resolving). MXS_ERR_INVALID when name is not in the
 * scan. */
mxs_status scan_refresh(scan *s, const char *name);

/* As scan_refresh, but the new answer keeps the probes as they are: an
 * address it shows again is not probed again at once (the monitor goes on
 * as before). For a question added later (the explorer's SRV, asked when
 * its details show it), which says nothing new about the hosts. */
mxs_status scan_refresh_dns(scan *s, const char *name);

/* Drops a domain: its DNS question, probes and lookups that no other domain
 * needs are cancelled and no callback mentions it any more. Addresses no
 * other domain shows are forgotten (history, results). Safe from inside any
 * callback, also for the domain the callback is about. No-op for an unknown
 * name. */
void scan_remove(scan *s, const char *name);

/* Re-analyses with another seed (the explorer's reshuffle) and calls
 * on_domain with SCAN_CH_ANALYSIS from the loop. MXS_ERR_INVALID for an
 * unknown name. */
mxs_status scan_set_seed(scan *s, const char *name, uint64_t seed);

/* The relay view (--as) for one domain: re-analyses it as MX host as_host
 * would send its mail (NULL: back to the scan's as_host) and calls
 * on_domain with SCAN_CH_ANALYSIS from the loop. as_host is copied.
 * MXS_ERR_INVALID for an unknown name. */
mxs_status scan_set_as(scan *s, const char *name, const char *as_host);

typedef struct scan_domain_info {
	bool resolving;       /* a DNS question for it is on the wire */
	bool answered;        /* it has an answer (scan_domain is not NULL) */
	bool settled;         /* DNS done, every first probe and blocklist answer in */
	uint64_t answered_ms; /* uv_now() when the shown answer arrived (TTL countdown) */
	uint64_t seed;        /* the domain's seed */
	size_t pending;       /* probes and blocklist answers still awaited for settling */
} scan_domain_info;

/* The analysed domain as last delivered, or NULL before the first answer or
 * for an unknown name. Owned by the scan; valid until control returns to the
 * loop (the next callback may replace it), or scan_remove/scan_free. While
 * frozen it does not change. */
const mx_domain *scan_domain(const scan *s, const char *name);
/* false for an unknown name. */
bool scan_domain_get_info(const scan *s, const char *name, scan_domain_info *out);
/* The same but pending, which walks the domain's addresses (left 0): for a
 * caller that reads every listed domain on every redraw, as the explorer
 * does to sort and draw its list. */
bool scan_domain_peek(const scan *s, const char *name, scan_domain_info *out);

/* Every domain added and not removed has settled and no change waits to be
 * delivered (true for an empty scan). */
bool scan_settled(const scan *s);
/* Domains in the scan. */
size_t scan_domain_count(const scan *s);

/* ---- addresses (the result store) ------------------------------------- */

typedef struct scan_history {
	bool watched;           /* the scan probes this address (policy allows, probes on) */
	bool in_flight;         /* a probe is queued or running */
	probe_state last_state; /* PENDING before the first probe ends */
	unsigned long sent;     /* probes that ended */
	unsigned long lost;     /* of those, the ones without a 2xx greeting */
	unsigned long answered; /* of those, the ones the server answered at all (any greeting,
	                           2xx, 4xx or 5xx): sent - answered is mtr's loss */
	double lost_pct;        /* 100 * lost / sent, 0 when none sent */
	long last_ms;           /* greeting time of the last probe that got a greeting; -1 none */
	long avg_ms, best_ms, worst_ms; /* over every probe that got a greeting; -1 = none */
} scan_history;

/* The mtr-like history of ip as probed for MX host `host` (NULL = however it
 * was probed first; in SCAN_MONITOR an address is watched as the first host
 * that showed it, and host is ignored). Copied into *out; false when the scan knows nothing of
 * that address (not shown by any domain, or not probed: policy, --no-probe).
 * While frozen, the history as it was when the freeze began. */
bool scan_history_get(const scan *s, const char *ip, const char *host, scan_history *out);

/* The last probe result of ip as host (NULL host: the first one), or NULL.
 * Owned by the scan; valid until control returns to the loop. */
const probe_result *scan_probe_last(const scan *s, const char *ip, const char *host);

/* The latest answer of each blocklist provider about ip, in arrival order:
 * *n of them; NULL when none. Live, also while frozen (the frozen domains
 * keep the answers they had). Owned by the scan; valid until control
 * returns to the loop. */
const blr_result *const *scan_blocklist_results(const scan *s, const char *ip, size_t *n);

/* The authoritative view (cfg.authoritative) for this one domain: its name
 * servers are asked at once and with every later resolve (the explorer's
 * key); off: no longer asked (what came stays). MXS_ERR_INVALID for an
 * unknown name, or a scan without the authoritative client (it exists
 * with cfg.ptr or cfg.authoritative). */
mxs_status scan_set_authoritative(scan *s, const char *name, bool on);

/* SRV for this one domain from its next resolve on (with or without the
 * scan's srv): the explorer asks it once the domain's details show it,
 * and no other domain's questions change. MXS_ERR_INVALID for an unknown
 * name. */
mxs_status scan_set_srv_for(scan *s, const char *name, bool on);

/* ---- port 25 egress ---------------------------------------------------- */

/* Reads every domain as seen from a network that blocks port 25 (the
 * egress-blocked finding instead of blaming each domain's hosts), or
 * stops doing so; re-analyses every answered domain and calls on_domain
 * with SCAN_CH_ANALYSIS from the loop. */
void scan_set_egress_blocked(scan *s, bool blocked);

/* ---- the explorer's freeze -------------------------------------------- */

/* Frozen: probes, lookups and DNS answers go on and are stored, but no shown
 * domain changes and on_domain is not called (events still are). Thawing
 * installs what came meanwhile and calls on_domain for every domain that
 * changed (from the loop). */
void scan_freeze(scan *s, bool frozen);

/* ---- counters, for messages ------------------------------------------- */

typedef struct scan_counters {
	unsigned long dns_questions; /* questions asked */
	unsigned long dns_replies;   /* replies received; 0 after questions = no server answered */
	unsigned dns_peak;           /* most questions on the wire at once */
	size_t probes_busy;          /* probes queued or running */
	unsigned probes_peak;        /* most probes running at once */
	unsigned long probes_done;   /* probes that ended */
	size_t bl_busy;              /* blocklist lookups queued, running or due */
	unsigned long bl_transfers;  /* HTTP requests started */
	unsigned long bl_cache_hits;
	size_t addresses; /* addresses in the result store */
	/* probes that timed out at connect; all of probes_done: is port 25 blocked here? */
	unsigned long probes_connect_timeout;
	/* names compared by lookups of a listed domain by name (scan_domain,
	 * scan_domain_get_info, ...): about one a lookup, however long the list */
	unsigned long name_compares;
	/* domains looked at to attach an address's news (a probe, a blocklist
	 * or PTR answer): those that show the address, not the whole list */
	unsigned long sync_visits;
} scan_counters;

void scan_get_counters(const scan *s, scan_counters *out);
/* The DNS servers in use ("127.0.0.1:5300"); valid while s lives. */
const char *scan_dns_servers(const scan *s);
/* Why the last DNS question that got no reply failed, or NULL; valid while s lives. */
const char *scan_dns_last_failure(const scan *s);
/* Whether probes / blocklist lookups run at all (false with no_probe / no
 * provider; a recording made with probes has them). */
bool scan_probing(const scan *s);
/* The answers come from a recording (cfg.recording): asking again, a
 * refresh, a re-probe bring nothing new, so a front end must not say they
 * do. */
bool scan_recorded(const scan *s);
bool scan_blocklisting(const scan *s);
/* The EHLO name in use, or NULL with no_probe; valid while s lives. */
const char *scan_ehlo_name(const scan *s);

#endif
