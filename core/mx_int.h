/* core/mx_int.h — the inside of mx_domain, shared by the files of the
 * domain model and its analysis (core/mx*.c, core/report_auth.c) and by
 * nothing else. Its names have the prefix mxi_ (TRY aside).
 *
 * The files are layered; a file calls only files of its own layer listed
 * before it, or of a lower layer (scripts/callcycles.py checks that no
 * circle of more than 3 files comes back; core/mx.h has the whole map):
 *   model     mx_util.c   names, array growth, list join: calls nothing
 *             mx_auth.c   the mx_ptr and mx_auth value types
 *             mx_send.c   DNSSEC, MTA-STS, TLS-RPT, TLSA fields; walk views
 *             mx.c        the record store the resolver fills, probes and
 *                         blocklist answers, the findings store and
 *                         catalogue, the views; frees all the model owns
 *   rules     mx_rules_auth.c  authoritative, reverse DNS, IPv4/IPv6,
 *                              egress findings
 *             mx_rules_send.c  MTA-STS, DANE, DNSSEC and RCPT findings
 *             mx_rules.c       the MX, probe and blocklist findings
 *   ordering  mx_order.c  seeded shuffle, relay view, tiers, attempt order,
 *                         the plain delivery walk
 *   walks     sender.c    the sender profiles' walks (core/sender.h)
 *   analysis  mx_analyze.c  mx_domain_analyze(): runs every step in turn
 * Rules and ordering do not call each other: what one needs from the other
 * (tiers, the walk) is in the model, stored by the step that ran before,
 * in the order mx_analyze.c runs them. */
#ifndef MXSCOPE_MX_INT_H
#define MXSCOPE_MX_INT_H

#include "mx.h"

struct mx_domain {
	char *name;
	mx_rcode mx_rc;
	char *mx_why;
	mx_host *hosts;
	size_t nhosts, caphosts;
	mx_srv *srv; /* kept sorted: service, priority, weight (heaviest first) */
	size_t nsrv, capsrv;
	struct mx_auth *auth; /* the authoritative servers side by side, or NULL (mx_auth.c) */
	mx_dnssec dnssec;
	mx_mta_sts *mta_sts; /* NULL = not asked */
	char *tls_rpt;

	/* results of mx_domain_analyze */
	bool analyzed;
	bool null_mx, implicit_mx;
	uint64_t run_seed; /* what --seed said: reproduces the order */
	uint64_t seed;     /* derived per domain from run_seed */
	char *as_host;
	mx_tier *tiers;
	size_t ntiers;
	mx_attempt *attempts;
	size_t nattempts;
	mx_finding *findings;
	size_t nfindings, capfindings;
	mx_step *steps;
	size_t nsteps;
	bool walked;
	long delivered;        /* attempt index, or -1 */
	sender_profile sender; /* whose walk mx_domain_delivered follows */
	mta_kind mta;          /* and as which MTA */
	/* every MTA's walk of every profile; walk_ok says which exist */
	sender_walk walks[MTA_COUNT][SENDER_COUNT];
	bool walk_ok[MTA_COUNT][SENDER_COUNT];
};

/* State shared by the steps of one analysis. */
typedef struct mxi_analysis {
	mx_domain *d;
	const mx_options *opt;
	bool *routable; /* per host: takes part in tiers (not null, not a duplicate, not dropped) */
	size_t nnull;
} mxi_analysis;

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		st = (expr);                                                                       \
		if (st != MXS_OK)                                                                  \
			goto done;                                                                 \
	} while (0)

/* mx_util.c */
/* s lower-cased without one trailing dot; NULL when out of memory. */
char *mxi_dup_lower_name(const char *s);
/* names equal ignoring case and one trailing dot */
int mxi_name_eq(const char *a, const char *b);
/* arr with room for one more element (n used of *cap, doubling), or NULL
 * when out of memory, arr then being untouched. */
void *mxi_grow(void *arr, size_t *cap, size_t n, size_t size);
/* "10 mx1.example.org, 20 mx2.example.org" from n strings, or "none",
 * into out (truncated at cap). */
void mxi_join(char *out, size_t cap, char *const *l, size_t n);

/* mx_send.c */
/* Frees the sender-side fields: MTA-STS, TLS-RPT, TLSA (part of
 * mx_domain_free). */
void mxi_free_send(mx_domain *d);

/* mx.c */
/* Address k of host i, or NULL when either index is out of range. */
mx_addr *mxi_addr(const mx_domain *d, size_t i, size_t k);
/* Drops everything mx_domain_analyze computed, the sender walks included. */
void mxi_clear_analysis(mx_domain *d);
/* Appends a finding with a printf-style message; subject is copied. */
mxs_status mxi_add_finding(mx_domain *d, mx_finding_id id, const char *subject, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

/* mx_rules_auth.c: authoritative, reverse DNS, IPv4/IPv6 and egress findings */
mxs_status mxi_check_auth(mxi_analysis *a);
/* whether the probe-reachability findings are replaced by egress-blocked */
bool mxi_egress_blocked(const mxi_analysis *a);

/* mx_rules_send.c: DNSSEC, DANE, MTA-STS and recipient-stage findings */
mxs_status mxi_check_send(mxi_analysis *a);

/* mx_rules.c: the checks, in the order mx_analyze.c runs them.
 * mxi_check_domain sets *stop when nothing further applies (NXDOMAIN, a
 * failed MX lookup, a valid null MX). */
mxs_status mxi_check_domain(mxi_analysis *a, bool *stop);
mxs_status mxi_check_srv(mxi_analysis *a);
mxs_status mxi_check_hosts(mxi_analysis *a); /* after mxi_choose_routable */
mxs_status mxi_check_route(mxi_analysis *a);
mxs_status mxi_check_probes(mxi_analysis *a); /* after mxi_walk */
mxs_status mxi_check_blocklists(mxi_analysis *a);

/* mx_order.c: the ordering steps of one analysis, run in this order */
mxs_status mxi_choose_routable(mxi_analysis *a);
mxs_status mxi_build_tiers(mxi_analysis *a);
mxs_status mxi_walk(mxi_analysis *a);

#endif
