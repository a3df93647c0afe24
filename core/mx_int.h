/* core/mx_int.h — the inside of mx_domain, shared by the three files that
 * make up the domain model (core/mx*.c) and by nothing else:
 *   mx.c        the model: the record store the resolver fills, probes and
 *               blocklist answers attached to addresses, and the views;
 *   mx_order.c  the order a sender tries hosts in: the seeded shuffle, the
 *               relay view, tiers, the attempt order and the delivery walk;
 *   mx_auth.c   authoritative answers and reverse DNS (core/mx_auth.h);
 *   mx_rules.c  the findings: what is wrong and which RFC says so, and
 *               mx_domain_analyze(), which runs every step in turn;
 *   mx_send.c   what real senders look at (DNSSEC, MTA-STS, TLS-RPT, TLSA,
 *               the recipient stage): those fields, their findings, and
 *               the sender profiles' walks (core/sender.c) kept per domain.
 * Its names have the prefix mxi_ (TRY aside); nothing outside core/mx*.c
 * includes it. */
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
	long delivered;                    /* attempt index, or -1 */
	sender_profile sender;             /* whose walk mx_domain_delivered follows */
	sender_walk senders[SENDER_COUNT]; /* valid when walked */
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

/* mx.c */
/* s lower-cased without one trailing dot; NULL when out of memory. */
char *mxi_dup_lower_name(const char *s);
/* names equal ignoring case and one trailing dot */
int mxi_name_eq(const char *a, const char *b);
/* arr with room for one more element (n used of *cap, doubling), or NULL
 * when out of memory, arr then being untouched. */
void *mxi_grow(void *arr, size_t *cap, size_t n, size_t size);
/* Address k of host i, or NULL when either index is out of range. */
mx_addr *mxi_addr(const mx_domain *d, size_t i, size_t k);
/* Drops everything mx_domain_analyze computed. */
void mxi_clear_analysis(mx_domain *d);

/* mx_rules.c */
/* Appends a finding with a printf-style message; subject is copied. */
mxs_status mxi_add_finding(mx_domain *d, mx_finding_id id, const char *subject, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

/* mx_auth.c: authoritative, reverse DNS, IPv4/IPv6 and egress findings */
mxs_status mxi_check_auth(mxi_analysis *a);
void mxi_free_auth(mx_domain *d); /* the domain's mx_auth and every address's mx_ptr */
/* whether the probe-reachability findings are replaced by egress-blocked */
bool mxi_egress_blocked(const mxi_analysis *a);

/* mx_order.c: the ordering steps of one analysis, run in this order */
mxs_status mxi_choose_routable(mxi_analysis *a);
mxs_status mxi_build_tiers(mxi_analysis *a);
mxs_status mxi_walk(mxi_analysis *a);

/* mx_send.c */
/* The findings of issue 11 and the sender walks; runs last. */
mxs_status mxi_check_send(mxi_analysis *a);
/* Drops the sender walks (part of mxi_clear_analysis). */
void mxi_clear_senders(mx_domain *d);
/* Frees the issue 11 fields (part of mx_domain_free). */
void mxi_free_send(mx_domain *d);

#endif
