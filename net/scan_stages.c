/* net/scan_stages.c — the stages of the scan beside the walk (scan_int.h):
 * what is asked about an address (blocklists, PTR) or a domain
 * (authoritative answers, MTA-STS) besides its MX answer and its probes,
 * and the recipient address of the RCPT stage.
 *
 * Each stage is a small set of functions in one of two tables; the store
 * (scan_store.c) and the domain code (scan.c) run every entry at the same
 * points, so a stage settles, attaches, is cancelled and freed like the
 * others. Its answers come back through its own handler, which keeps them
 * and brings the domains up to date (scani_sync_addr for an address,
 * scani_mark for a domain). */
#include <stdlib.h>
#include <string.h>

#include "scan_int.h"

/* ---- the stages' clients -------------------------------------------------- */

mxs_status scani_stages_new(scan *s, const scan_config *cfg, char **why)
{
	if (cfg->ptr || cfg->authoritative) {
		auth_config ac = {.servers = cfg->servers,
		                  .nservers = cfg->nservers,
		                  .timeout_ms = cfg->timeout_ms,
		                  .ns_port = cfg->ns_port};
		s->auth = auth_client_new(s->loop, &ac, why);
		if (!s->auth)
			return MXS_ERR_NET; /* the scan's own DNS client took the same servers */
	}
	if (cfg->mta_sts) {
		policy_fetch_config pc = {.timeout_ms = cfg->timeout_ms,
		                          .port = cfg->mta_sts_port,
		                          .ca_pem = s->ca_pem,
		                          .loopback_only = cfg->loopback_only};
		s->pf = policy_fetcher_new(s->loop, s->dns, &pc, why);
		if (!s->pf)
			return MXS_ERR_NET;
	}
	if (cfg->blocklists && blr_config_enabled_count(cfg->blocklists) > 0) {
		bl_config bc = {.timeout_ms = cfg->timeout_ms, .ca_pem = s->bl_ca_pem};
		s->bl = bl_client_new(s->loop, cfg->blocklists, &bc, why);
		/* a provider the user configured that cannot be asked (its URL) */
		if (!s->bl)
			return MXS_ERR_INVALID;
	}
	return MXS_OK;
}

void scani_stages_close(scan *s)
{
	bl_client_free(s->bl);      /* cancels: no callbacks */
	policy_fetcher_free(s->pf); /* before the DNS client it asks through */
	auth_client_free(s->auth);  /* no callbacks */
	s->bl = NULL;
	s->pf = NULL;
	s->auth = NULL;
}

/* ---- blocklists (per address) ------------------------------------------- */

static void on_bl(blr_result *r, void *arg)
{
	saddr *a = arg;
	scan *s = a->s;
	scan_event ev = {.kind = SCAN_EV_BLOCKLIST, .ip = a->ip, .bl = r};
	size_t j;

	if (s->dying) {
		blr_result_free(r);
		return;
	}
	scani_enter(s);
	if (a->bl_wait)
		a->bl_wait--;
	for (j = 0; j < a->nbl; j++)
		if (strcmp(a->bl[j]->provider, r->provider) == 0)
			break;
	if (j < a->nbl) {
		blr_result_free(a->bl[j]);
		a->bl[j] = r;
	} else {
		blr_result **g = realloc(a->bl, (a->nbl + 1) * sizeof(*g));
		if (!g) {
			blr_result_free(r);
			r = NULL;
		} else {
			a->bl = g;
			a->bl[a->nbl++] = r;
		}
	}
	if (r) {
		scani_emit(s, &ev);
		scani_sync_addr(s, a, SCAN_CH_BLOCKLIST);
	} else {
		scani_sync_addr(s, a, 0); /* only the settling, if this was the last */
	}
	scani_deliver(s);
	scani_leave(s);
}

/* a new address is asked about once, by every enabled provider */
static void stage_bl_start(scan *s, saddr *a)
{
	size_t n = 0;

	if (s->bl && bl_lookup(s->bl, a->ip, on_bl, a, &n) == MXS_OK)
		a->bl_wait = n;
}

static void stage_bl_cancel(scan *s, saddr *a)
{
	if (s->bl && a->bl_wait)
		bl_cancel(s->bl, on_bl, a);
}

static void stage_bl_attach(const saddr *a, mx_domain *d, size_t i, size_t k)
{
	for (size_t j = 0; j < a->nbl; j++) {
		blr_result *r = blr_result_dup(a->bl[j]);
		if (r)
			mx_host_add_blocklist(d, i, k, r);
	}
}

static size_t stage_bl_waits(const saddr *a)
{
	return a->bl_wait;
}

static void stage_bl_free(saddr *a)
{
	for (size_t j = 0; j < a->nbl; j++)
		blr_result_free(a->bl[j]);
	free(a->bl);
}

const blr_result *const *scan_blocklist_results(const scan *s, const char *ip, size_t *n)
{
	const saddr *a = scani_find_addr(s, ip, -1);

	*n = a ? a->nbl : 0;
	return a && a->nbl ? (const blr_result *const *)a->bl : NULL;
}

/* ---- PTR (per address; net/auth.h) --------------------------------------- */

static void on_ptr(const char *ip, mx_ptr *p, void *arg)
{
	saddr *a = arg;
	scan *s = a->s;

	(void)ip;
	if (s->dying) {
		mx_ptr_free(p);
		return;
	}
	scani_enter(s);
	mx_ptr_free(a->ptr);
	a->ptr = p;
	a->ptr_wait = false;
	scani_sync_addr(s, a, SCAN_CH_PTR);
	scani_deliver(s);
	scani_leave(s);
}

static void stage_ptr_start(scan *s, saddr *a)
{
	if (s->cfg.ptr && s->auth)
		a->ptr_wait = auth_ptr(s->auth, a->ip, on_ptr, a) == MXS_OK;
}

static void stage_ptr_cancel(scan *s, saddr *a)
{
	if (a->ptr_wait)
		auth_cancel(s->auth, a);
}

static void stage_ptr_attach(const saddr *a, mx_domain *d, size_t i, size_t k)
{
	if (a->ptr)
		mx_host_set_ptr(d, i, k, mx_ptr_dup(a->ptr));
}

static size_t stage_ptr_waits(const saddr *a)
{
	return a->ptr_wait;
}

static void stage_ptr_free(saddr *a)
{
	mx_ptr_free(a->ptr);
}

/* ---- authoritative answers (per domain; net/auth.h) ---------------------- */

static void on_auth(const char *domain, mx_auth *au, void *arg)
{
	sdom *m = arg;
	scan *s = m->s;

	(void)domain;
	if (s->dying) {
		mx_auth_free(au);
		return;
	}
	scani_enter(s);
	mx_auth_free(m->auth);
	m->auth = au;
	m->auth_wait = false;
	if (m->d && au && !s->frozen)
		mx_domain_set_auth(m->d, mx_auth_dup(au));
	if (m->d && !s->frozen) {
		scani_mark(s, m, SCAN_CH_AUTH);
		scani_check_settled(s, m);
	}
	scani_deliver(s);
	scani_leave(s);
}

void scani_auth_start(scan *s, sdom *m)
{
	if ((s->cfg.authoritative || m->auth_on) && s->auth && !m->auth_wait)
		m->auth_wait = auth_zone(s->auth, m->name, on_auth, m) == MXS_OK;
}

static void stage_auth_cancel(scan *s, sdom *m)
{
	if (m->auth_wait)
		auth_cancel(s->auth, m);
	m->auth_wait = false;
}

static void stage_auth_attach(const sdom *m, mx_domain *d)
{
	if (m->auth)
		mx_domain_set_auth(d, mx_auth_dup(m->auth));
}

static size_t stage_auth_waits(const sdom *m)
{
	return m->auth_wait;
}

static void stage_auth_free(sdom *m)
{
	mx_auth_free(m->auth);
}

/* ---- MTA-STS and TLS-RPT (per domain; net/policy.h) ---------------------- */

static void on_policy(policy_fetch_result *r, void *arg)
{
	sdom *m = arg;
	scan *s = m->s;

	m->pj = NULL;
	policy_fetch_result_free(m->pol);
	m->pol = r;
	if (m->removed || s->dying)
		return; /* the graveyard (or the teardown) frees m */
	scani_enter(s);
	if (!s->frozen && m->d) {
		policy_fetch_apply(m->pol, m->d);
		scani_mark(s, m, SCAN_CH_ANSWER);
		scani_check_settled(s, m);
	}
	policy_fetch_apply(m->pol, m->parked);
	scani_deliver(s);
	scani_leave(s);
}

/* the policy is asked again with every answer asked (scan_refresh) */
static void stage_policy_start(scan *s, sdom *m)
{
	if (s->pf && !m->pj)
		m->pj = policy_fetch(s->pf, m->name, on_policy, m);
}

static void stage_policy_cancel(scan *s, sdom *m)
{
	(void)s;
	policy_fetch_cancel(m->pj);
	m->pj = NULL;
}

static void stage_policy_attach(const sdom *m, mx_domain *d)
{
	policy_fetch_apply(m->pol, d); /* each answer is a new mx_domain */
}

static size_t stage_policy_waits(const sdom *m)
{
	return m->pj != NULL;
}

static void stage_policy_free(sdom *m)
{
	policy_fetch_result_free(m->pol);
}

/* ---- the tables ------------------------------------------------------------ */

typedef struct addr_stage {
	void (*start)(scan *s, saddr *a);
	void (*cancel)(scan *s, saddr *a);
	void (*attach)(const saddr *a, mx_domain *d, size_t i, size_t k);
	size_t (*waits)(const saddr *a);
	void (*free)(saddr *a);
} addr_stage;

typedef struct dom_stage {
	void (*start)(scan *s, sdom *m);
	void (*cancel)(scan *s, sdom *m);
	void (*attach)(const sdom *m, mx_domain *d);
	size_t (*waits)(const sdom *m);
	void (*free)(sdom *m);
} dom_stage;

/* in the order they start and attach */
static const addr_stage addr_stages[] = {
    {stage_bl_start, stage_bl_cancel, stage_bl_attach, stage_bl_waits, stage_bl_free},
    {stage_ptr_start, stage_ptr_cancel, stage_ptr_attach, stage_ptr_waits, stage_ptr_free},
};

static const dom_stage dom_stages[] = {
    {scani_auth_start, stage_auth_cancel, stage_auth_attach, stage_auth_waits, stage_auth_free},
    {stage_policy_start, stage_policy_cancel, stage_policy_attach, stage_policy_waits,
     stage_policy_free},
};

#define NADDR_STAGES (sizeof(addr_stages) / sizeof(addr_stages[0]))
#define NDOM_STAGES  (sizeof(dom_stages) / sizeof(dom_stages[0]))

void scani_addr_stages_start(scan *s, saddr *a)
{
	if (!a->allowed)
		return;
	for (size_t i = 0; i < NADDR_STAGES; i++)
		addr_stages[i].start(s, a);
}

void scani_addr_stages_cancel(scan *s, saddr *a)
{
	for (size_t i = 0; i < NADDR_STAGES; i++)
		addr_stages[i].cancel(s, a);
}

void scani_addr_stages_attach(const saddr *a, mx_domain *d, size_t i, size_t k)
{
	for (size_t j = 0; j < NADDR_STAGES; j++)
		addr_stages[j].attach(a, d, i, k);
}

size_t scani_addr_stages_waits(const saddr *a)
{
	size_t n = 0;

	for (size_t i = 0; i < NADDR_STAGES; i++)
		n += addr_stages[i].waits(a);
	return n;
}

void scani_addr_stages_free(saddr *a)
{
	for (size_t i = 0; i < NADDR_STAGES; i++)
		addr_stages[i].free(a);
}

void scani_dom_stages_start(scan *s, sdom *m)
{
	for (size_t i = 0; i < NDOM_STAGES; i++)
		dom_stages[i].start(s, m);
}

void scani_dom_stages_cancel(scan *s, sdom *m)
{
	for (size_t i = 0; i < NDOM_STAGES; i++)
		dom_stages[i].cancel(s, m);
}

void scani_dom_stages_attach(const sdom *m, mx_domain *d)
{
	for (size_t i = 0; i < NDOM_STAGES; i++)
		dom_stages[i].attach(m, d);
}

size_t scani_dom_stages_waits(const sdom *m)
{
	size_t n = 0;

	for (size_t i = 0; i < NDOM_STAGES; i++)
		n += dom_stages[i].waits(m);
	return n;
}

void scani_dom_stages_free(sdom *m)
{
	for (size_t i = 0; i < NDOM_STAGES; i++)
		dom_stages[i].free(m);
}

/* ---- the RCPT stage --------------------------------------------------------- */

/* SCAN_ONCE only: the explorer re-probes every few seconds and must not
 * repeat RCPT; its one recipient stage per address is the store's
 * (slot_get). */
const char *scani_rcpt_for(const scan *s, const char *domain, char *buf, size_t cap)
{
	if (!s->rcpt || s->cfg.mode != SCAN_ONCE || !sender_rcpt_address(s->rcpt, domain, buf, cap))
		return NULL;
	return buf;
}
