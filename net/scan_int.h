/* net/scan_int.h — private to the scan pipeline (net/scan*.c); no front end
 * includes it. The pipeline is split by concern:
 *
 *   scan.c         life (clients, teardown), re-entrancy, domains (resolve,
 *                  install, remove), settling and delivering on_domain,
 *                  freezing, counters
 *   scan_store.c   the result store keyed by address+port: addresses,
 *                  probe slots (one per MX host name, and per recipient with
 *                  --rcpt), the monitor's history, attaching what the store
 *                  knows to a domain (each probe with its DANE verdict,
 *                  core/dane.h: it depends on the time it is shown) and
 *                  bringing every domain up to date when news about an
 *                  address comes (sync)
 *   scan_source.c  where the walk's answers come from, as one table of
 *                  operations: the network (the MX job on the DNS
 *                  client, the SMTP prober) or a recording (scan_replay.c:
 *                  the answers and probes core/record.c read back); the
 *                  code after the source is the same for both
 *   scan_stages.c  the stages beside the walk, each a start / cancel /
 *                  attach / waits / free set in one of two tables: per
 *                  address (blocklists, PTR) and per domain (authoritative
 *                  answers, MTA-STS); plus the recipient address of the
 *                  RCPT stage, which keys probe slots
 *
 * A new stage beside the walk is one entry in a table of scan_stages.c
 * (its state in saddr or sdom, its client in struct scan); it settles,
 * attaches, is cancelled and freed with everything else.
 *
 * Public functions are scan_ (scan.h), internal ones scani_, everything
 * else static. Every scani_ callback handler runs between scani_enter()
 * and scani_leave() and ends with scani_deliver() (see scan.c). */
#ifndef MXSCOPE_SCAN_INT_H
#define MXSCOPE_SCAN_INT_H

#include "auth.h"
#include "bl.h"
#include "dns.h"
#include "htab.h"
#include "mxjob.h"
#include "policy.h"
#include "scan.h"
#include "smtp.h"

typedef struct sdom sdom;
typedef struct saddr saddr;
typedef struct sslot sslot;
typedef struct scan_rec scan_rec;

/* Where the scan's DNS answers and first probes come from. Each answer
 * goes to s->deliver_answer, each probe result to s->deliver_probe, from the
 * loop and never from inside the call that asked; what happens after
 * (installing, the store, the history, settling, on_domain) does not know
 * the source. */
typedef struct scan_source {
	const char *name; /* "network", "recording": for messages */
	bool live;        /* asking again can bring something new (scan_recorded) */
	/* Asks m's answer (with the SRV services when srv). MXS_ERR_LIMIT:
	 * the source has nothing newer for m (nothing is asked, m keeps its
	 * answer); MXS_ERR_INVALID with *why: it cannot answer for m at all. */
	mxs_status (*resolve)(scan *s, sdom *m, bool srv, char **why);
	/* Whether ip as host gets probes at all (probes on, a prober). */
	bool (*can_probe)(const scan *s, const char *host, const char *ip);
	/* Starts sl's first probe (with the recipient stage's address rcpt, or
	 * NULL); false when it cannot start. */
	bool (*probe)(scan *s, sslot *sl, const char *rcpt);
	void (*cancel_probe)(scan *s, sslot *sl); /* no result for sl after this */
	/* Probes sl again now (SCAN_MONITOR, a new answer that shows it again);
	 * the result comes as the monitor's or through scani_on_probe. false:
	 * nothing probes it again. */
	bool (*reprobe)(scan *s, sslot *sl);
	bool (*probing)(const scan *s);        /* scan_probing */
	const char *(*servers)(const scan *s); /* scan_dns_servers */
	void (*close)(scan *s);                /* teardown: its state goes, no more results */
} scan_source;

extern const scan_source scani_network, scani_recording;

/* One probe target: ip as MX host `host` (TLS verifies that name). Owned by
 * its saddr. */
struct sslot {
	saddr *a;
	char *host;
	char *rcpt;         /* the recipient stage's address (--rcpt), or NULL */
	bool watched;       /* a probe was asked for (or the monitor watches it) */
	bool done;          /* the first probe ended, or could not start */
	bool in_flight;     /* SCAN_ONCE: the probe is queued or running */
	probe_result *last; /* SCAN_ONCE: the result */
	probe_result *snap; /* frozen: the last result when the freeze began */
	/* SCAN_MONITOR with --rcpt: the recipient stage runs once per slot, not
	 * on every re-probe (a real server should not see RCPT every few
	 * seconds); its answer joins each result the monitor gives */
	probe_result *rcpt_res;
	bool rcpt_in_flight;
	scan_history snap_h; /* frozen: the history when the freeze began */
};

/* One address of the store (scan_store.c); owned by the scan's addrs,
 * alive while some shown domain lists it (refs). */
struct saddr {
	scan *s;
	char *ip;
	int port;      /* where its probes go: the key with ip (one per lab scenario for ::1) */
	size_t refs;   /* domain address slots that show it */
	bool allowed;  /* the policy lets the scan touch it */
	sslot **slots; /* SCAN_MONITOR: at most one */
	size_t nslots;
	/* per-address stages (scan_stages.c) */
	blr_result **bl; /* the latest answer per provider, in arrival order */
	size_t nbl;
	size_t bl_wait; /* answers still awaited from the first lookup */
	mx_ptr *ptr;    /* its reverse DNS (cfg.ptr), or NULL */
	bool ptr_wait;  /* the PTR request is out */
	sdom **users;   /* the domains whose refs these are, one entry per ref */
	size_t nusers, capusers;
	mx_hlink link; /* in the scan's addrs, by ip */
};

/* One domain of the scan (scan.c); owned by the scan's list, then by the
 * graveyard once removed. */
struct sdom {
	scan *s;
	char *name;
	mx_domain *d;      /* shown; NULL before the first answer */
	mx_domain *parked; /* an answer that came while frozen */
	uint64_t answered_ms, parked_ms;
	uint64_t seed;
	char *as_host; /* this domain's relay view (scan_set_as), or NULL: the scan's */
	bool resolving, settled, removed, dirty;
	unsigned changes; /* gathered for the next on_domain call */
	/* per-domain stages (scan_stages.c) */
	mx_auth *auth;            /* the zone's servers side by side (cfg.authoritative), or NULL */
	bool auth_wait;           /* the request is out */
	bool auth_on;             /* scan_set_authoritative: asked for this domain alone */
	bool keep_probes;         /* scan_refresh_dns: the next answer does not re-probe */
	bool srv_on;              /* scan_set_srv_for: SRV asked for this domain alone */
	policy_job *pj;           /* the MTA-STS fetch on its way, or NULL */
	policy_fetch_result *pol; /* what it found (given to every answer installed) */
	sdom *prev, *next;
	sdom *hnext;              /* the name index's chain (scan_names.c), while listed */
	unsigned long synced_gen; /* scani_sync_addr: already brought up to date in this pass */
};

struct scan {
	uv_loop_t *loop;
	scan_config cfg;
	char *ca_pem, *bl_ca_pem, *as_host, *ehlo_name, *rcpt;
	const scan_source *src; /* where the answers come from */
	/* where a source delivers them: scani_on_answer and scani_on_probe,
	 * handed over by pointer so that the sources sit below the scan and
	 * its store and never call up into them */
	mxjob_done_cb deliver_answer;
	smtp_done_cb deliver_probe;
	scan_rec *rec; /* the recording source's state (scan_replay.c), or NULL */
	/* the walk's clients (scan.c), with the network source */
	dns_client *dns;
	smtp_prober *smtp;
	smtp_monitor *mon;
	/* the stages' clients (scan_stages.c) */
	bl_client *bl;
	auth_client *auth;  /* cfg.ptr or cfg.authoritative */
	policy_fetcher *pf; /* cfg.mta_sts */
	/* the store (scan_store.c) */
	mx_htab *addrs;            /* the saddrs by ip (created with the first one) */
	unsigned long sync_gen;    /* scani_sync_addr's passes */
	unsigned long sync_visits; /* domains it looked at: scan_counters */
	size_t naddrs;
	unsigned long probes_done;
	unsigned long probes_timeout; /* probes that ended in a connect timeout */
	/* domains and delivery (scan.c) */
	bool egress;            /* scan_set_egress_blocked */
	sdom *doms, *doms_tail; /* in the order they were added */
	size_t ndoms;
	sdom *grave; /* removed, waiting for their DNS answer or the end of a callback */
	/* the listed domains by name (scan_names.c) */
	sdom **names;
	size_t names_nb, names_n;    /* buckets (a power of two), domains */
	unsigned long name_compares; /* names compared by lookups: scan_counters */
	sdom **dirty;
	size_t ndirty, dirty_head, capdirty;
	uv_timer_t timer; /* deferred work: thaw, reseed, teardown */
	int depth;
	bool frozen, thaw_pending, dying, torn_down;
};

/* ---- scan.c: re-entrancy, settling, delivery ---------------------------- */

void scani_enter(scan *s);
void scani_leave(scan *s); /* the outermost leave sweeps the graveyard */
/* cfg.on_event, unless the scan is dying */
void scani_emit(scan *s, const scan_event *ev);
/* Gathers change bits for m's next on_domain call. */
void scani_mark(scan *s, sdom *m, unsigned bits);
/* Marks m SCAN_CH_SETTLED when nothing is awaited any more. */
void scani_check_settled(scan *s, sdom *m);
/* Calls on_domain for every marked domain. */
void scani_deliver(scan *s);
/* The source's answer for m (asked by its resolve): the scan owns d. */
void scani_on_answer(mx_domain *d, void *m);

/* ---- scan_names.c: the listed domains by name ---------------------------- */

/* m (listed, m->name normalised) joins the index; false when out of memory. */
bool scani_names_put(scan *s, sdom *m);
/* m leaves it (removed from the list). */
void scani_names_del(scan *s, sdom *m);
/* The listed domain named norm (normalised), or NULL. */
sdom *scani_names_get(const scan *s, const char *norm);
/* Teardown: the index goes, the domains stay the list's. */
void scani_names_free(scan *s);

/* ---- scan_store.c: the result store ------------------------------------- */

/* The port a probe of ip as host goes to; 0 without probes. */
int scani_port_of(const scan *s, const char *host, const char *ip);
/* ip at port; port < 0: ip at whichever port came first. NULL: unknown. */
saddr *scani_find_addr(const scan *s, const char *ip, int port);
/* The store's entry for host's address ip, or NULL. */
saddr *scani_find_host_addr(const scan *s, const char *host, const char *ip);
/* The slot ip is probed through for host (NULL: the first), or NULL. */
sslot *scani_find_slot(const saddr *a, const char *host);
/* The same, for a domain whose recipient stage asks rcpt (NULL: none). */
sslot *scani_find_slot_to(const saddr *a, const char *host, const char *rcpt);
/* Probes, and address-stage answers, m still waits for. */
size_t scani_store_waits(const scan *s, const sdom *m);
/* Every address of m->d gets what the store knows about it. */
void scani_attach_all(scan *s, sdom *m);
/* News about a: every shown domain with that address is brought up to date,
 * marked with bits, and checked for settling. Nothing while frozen. */
void scani_sync_addr(scan *s, const saddr *a, unsigned bits);
/* Domain answer d shows its addresses / stops showing them. ref starts
 * the first probe and the address stages of every new address; unref
 * forgets (cancelling everything) each address no domain shows any more. */
void scani_ref_domain(scan *s, sdom *m, const mx_domain *d);
void scani_unref_domain(scan *s, sdom *m, const mx_domain *d);
/* SCAN_MONITOR: every address both old and d show is probed again at once. */
void scani_reprobe_kept(scan *s, const mx_domain *old, const mx_domain *d);
/* The source's result of sl's first probe (asked by its probe); the
 * scan owns r. */
void scani_on_probe(probe_result *r, void *sl);
/* The monitor's smtp_monitor_on_change callback; arg is the scan. */
void scani_on_monitor_change(const char *ip, int port, const char *host, void *arg);
/* Freezing: what every history says now is what the frozen display shows. */
void scani_store_snapshot(scan *s);
/* Teardown: every address freed, no cancelling (the clients are gone). */
void scani_store_free(scan *s);

/* ---- scan_stages.c: the stages beside the walk -------------------------- */

/* Creates the stages' clients from the caller's cfg (its servers are not
 * kept in s->cfg; the other strings are read from their copies in s).
 * A status as scan_new says, with *why. */
mxs_status scani_stages_new(scan *s, const scan_config *cfg, char **why);
/* Frees the stages' clients: no more callbacks. */
void scani_stages_close(scan *s);

/* Per address: started once for a new address the policy allows; cancelled
 * when it is forgotten; attached as host i's address k of d; waits = answers
 * still awaited for settling; free = the answers kept. */
void scani_addr_stages_start(scan *s, saddr *a);
void scani_addr_stages_cancel(scan *s, saddr *a);
void scani_addr_stages_attach(const saddr *a, mx_domain *d, size_t i, size_t k);
size_t scani_addr_stages_waits(const saddr *a);
void scani_addr_stages_free(saddr *a);

/* Per domain: started with every DNS question asked for m (scan_add,
 * scan_refresh); cancelled by scan_remove; attached to every answer
 * installed (and on thaw); waits and free as above. */
void scani_dom_stages_start(scan *s, sdom *m);
void scani_dom_stages_cancel(scan *s, sdom *m);
void scani_dom_stages_attach(const sdom *m, mx_domain *d);
size_t scani_dom_stages_waits(const sdom *m);
void scani_dom_stages_free(sdom *m);
/* Asks m's name servers now if the authoritative view is on for it (the
 * scan's option or scan_set_authoritative) and no request is out. */
void scani_auth_start(scan *s, sdom *m);

/* ---- scan_replay.c: the recording source ----------------------------------- */

/* Its state, made by scan_new for a scan whose answers are recorded. */
mxs_status scani_rec_open(scan *s);
/* Recorded answer d (owned by the source from here on, also on error) is
 * what its name's next resolve gets; an answer not yet handed over is
 * replaced (a recording's later line is newer). */
mxs_status scani_rec_put(scan *s, mx_domain *d);

/* The RCPT stage: the recipient address for domain (--rcpt: LOCALPART gets
 * @domain), into buf; NULL without --rcpt, and in SCAN_MONITOR. */
const char *scani_rcpt_for(const scan *s, const char *domain, char *buf, size_t cap);

#endif
