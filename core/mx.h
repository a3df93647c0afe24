/* core/mx.h — the domain model and the MX rules a sending MTA follows.
 *
 * Pure C, no I/O: net/dns fills an mx_domain with what DNS said, then
 * mx_domain_analyze() applies RFC 5321 §5.1, RFC 7505 (null MX) and
 * RFC 2181 §10.3 (no CNAME targets) to produce preference tiers, the order a
 * sender would try addresses in, and findings that explain what is wrong.
 *
 * mx_domain is opaque and owns everything it holds; the read-only views
 * (mx_host, mx_tier, mx_attempt, mx_finding) point into it and stay valid
 * until the next mutating call or mx_domain_free().
 *
 * core/ is layered one way: a file calls files of its own layer or below,
 * never above. What a lower layer needs from a higher one is computed by
 * the caller and stored in the model (the tiers the rules read), or the
 * function lives in the lower layer (mx_rcpt_rule, which the sender walks
 * and the plain walk both use).
 *   rendering  report.c (the frame), report_send.c, report_auth.c,
 *              report_escape.c (sanitising, JSON text); text.c; record*.c
 *              write and read recordings on top of them
 *   analysis   mx_analyze.c: mx_domain_analyze() runs the steps below
 *   walks      sender.c: the sender profiles' walks (core/sender.h)
 *   ordering   mx_order.c: shuffle, relay view, tiers, the plain walk
 *   rules      mx_rules.c, mx_rules_auth.c, mx_rules_send.c: findings
 *              (rules and ordering do not call each other); dane.c, whose
 *              verdict on a host's certificate reads the model
 *   model      mx.c, mx_send.c, mx_auth.c, mx_util.c: the data, its
 *              accessors, the findings store and catalogue
 *   base       status, addr, name, num, line, probe, policy, blocklist:
 *              no knowledge of mx_domain
 * core/mx_int.h lists the files of the model and the analysis one by one.
 * scripts/callcycles.py checks the whole tree: `meson test -C build layers`
 * fails when files of any library call each other in a circle of more than
 * 3 (`scripts/callcycles.py build/core/libmxcore.a ...` shows the calls). */
#ifndef MXSCOPE_MX_H
#define MXSCOPE_MX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "blocklist.h"
#include "policy.h"
#include "probe.h"
#include "sender.h"
#include "status.h"

/* How one DNS question ended. Kept apart because they mean different things
 * to a sender: NXDOMAIN is permanent, SERVFAIL and TIMEOUT are temporary. */
typedef enum mx_rcode {
	MX_RC_NOT_ASKED = 0,
	MX_RC_OK,       /* answered with records of the asked type */
	MX_RC_NODATA,   /* the name exists but has no records of this type */
	MX_RC_NXDOMAIN, /* the name does not exist */
	MX_RC_SERVFAIL,
	MX_RC_REFUSED,
	MX_RC_TIMEOUT,
	MX_RC_FORMERR, /* the answer could not be parsed */
	MX_RC_ERROR,   /* anything else (connection refused, ...) */
} mx_rcode;

/* "NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "timeout", ... */
const char *mx_rcode_str(mx_rcode rc);
/* true for the outcomes a sender would retry later */
bool mx_rcode_is_temporary(mx_rcode rc);

#define MX_NAME_MAX 254

typedef struct mx_addr {
	int family;         /* 4 or 6 */
	char ip[MX_IP_MAX]; /* textual form */
	uint32_t ttl;
	probe_result *probe;     /* the SMTP probe of this address for this host, or NULL */
	blr_result **blocklists; /* what each blocklist said, in arrival order (owned) */
	size_t nblocklists;
	struct mx_ptr *ptr; /* reverse DNS (core/mx_auth.h), or NULL when not asked; owned */
} mx_addr;

/* The TLSA records at _25._tcp.<host> (RFC 7672 §2.2), as the resolver
 * gave them. A host without this (mx_host.tlsa NULL) was not asked. */
typedef struct mx_tlsa {
	char **records; /* presentation form "3 1 1 <hex>", lower-case hex */
	size_t nrecords;
	bool secure; /* the answer was DNSSEC-secure (AD bit); records from an insecure
	                zone are shown and ignored (RFC 7672 §2.2) */
} mx_tlsa;

typedef struct mx_host {
	uint16_t preference;
	char *exchange; /* lower-case, no trailing dot; "" for null MX; as the
	                 * resolver wrote it, so a byte that is no host-name
	                 * character reads "\DDD" (mx-invalid-name) */
	uint32_t ttl;   /* TTL of the MX record (of the A/AAAA for implicit) */
	bool implicit;  /* the domain itself, used because it has no MX */
	char *cname;    /* canonical name when exchange is an alias, else NULL */
	mx_rcode a_rc, aaaa_rc;
	mx_addr *addrs; /* IPv6 first, then IPv4, each in DNS order */
	size_t naddrs;
	/* the alias chain when it loops ("a -> b -> a"; mx-cname-loop), else NULL */
	char *cname_loop;
	mx_tlsa *tlsa; /* NULL = not asked (mx_host_set_tlsa) */
} mx_host;

/* One preference level. hosts[] are indices into the host list, in the
 * order a sender would try them (shuffled with the domain's seed). */
typedef struct mx_tier {
	uint16_t preference;
	size_t *hosts;
	size_t nhosts;
} mx_tier;

typedef struct mx_attempt {
	size_t host; /* index into the host list */
	size_t addr; /* index into that host's addrs */
} mx_attempt;

typedef enum mx_severity {
	MX_SEV_INFO = 0,
	MX_SEV_WARNING,
	MX_SEV_ERROR,
} mx_severity;

const char *mx_severity_str(mx_severity s); /* "info", "warning", "error" */

/* clang-format off */
/* The findings catalogue, declared once: id, code, severity, reference,
 * and a one-line summary. docs/findings.md explains each at length. */
#define MX_FINDINGS(X)                                                                                   \
	X(NXDOMAIN, "nxdomain", ERROR, "RFC 5321 §5.1", "the domain does not exist")                      \
	X(NO_MAIL_ROUTE, "no-mail-route", ERROR, "RFC 5321 §5.1", "no host can receive mail for the domain") \
	X(IMPLICIT_MX, "implicit-mx", WARNING, "RFC 5321 §5.1", "no MX records; mail goes to the domain's own address") \
	X(NULL_MX, "null-mx", INFO, "RFC 7505", "the domain declares that it accepts no mail")            \
	X(NULL_MX_MIXED, "null-mx-mixed", ERROR, "RFC 7505 §3", "a null MX is published beside other MX records") \
	X(MX_CNAME, "mx-cname", WARNING, "RFC 2181 §10.3", "an MX target is an alias (CNAME)")             \
	X(MX_CNAME_LOOP, "mx-cname-loop", ERROR, "RFC 1034 §3.6.2", "an MX target is an alias chain that loops back on itself") \
	X(MX_IP_LITERAL, "mx-ip-literal", ERROR, "RFC 5321 §5.1", "an MX target is an address, not a host name") \
	X(MX_NO_ADDRESS, "mx-no-address", ERROR, "RFC 5321 §5.1", "an MX target has no A or AAAA record")  \
	X(MX_DUPLICATE, "mx-duplicate", WARNING, "RFC 5321 §5.1", "the same MX target is listed more than once") \
	X(MX_NON_PUBLIC, "mx-non-public-address", WARNING, "RFC 6890", "an MX target has an address that is not reachable from the Internet") \
	X(SINGLE_MX, "single-mx", INFO, "RFC 5321 §5.1", "only one host receives mail; there is no fallback") \
	X(BACKUP_MX, "backup-mx", INFO, "RFC 5321 §5.1", "less preferred hosts queue mail while the primary is down") \
	X(DNS_TEMPORARY, "dns-temporary", ERROR, "RFC 5321 §5.1", "a DNS lookup failed temporarily")       \
	X(AS_NOT_MX, "as-not-mx", INFO, "RFC 5321 §5.1", "the relay host given with --as is not an MX of the domain") \
	X(AS_MOST_PREFERRED, "as-most-preferred", INFO, "RFC 5321 §5.1", "the relay host given with --as is a most preferred MX: it delivers locally") \
	X(SMTP_UNREACHABLE, "smtp-unreachable", WARNING, "RFC 5321 §5.1", "an MX address cannot be reached over SMTP") \
	X(SMTP_TEMPFAIL, "smtp-tempfail", WARNING, "RFC 5321 §4.2.1", "an MX address greets with a 4xx temporary failure") \
	X(SMTP_REJECT, "smtp-reject", WARNING, "RFC 5321 §4.2.1", "an MX address greets with a 5xx permanent failure") \
	X(SMTP_SLOW_BANNER, "smtp-slow-banner", WARNING, "RFC 5321 §4.5.3.2", "an MX address is slow to greet") \
	X(PRIMARY_UNREACHABLE, "primary-unreachable", WARNING, "RFC 5321 §5.1", "no host of the most preferred tier accepts; a backup takes the mail") \
	X(NO_ACCEPTING_MX, "no-accepting-mx", ERROR, "RFC 5321 §5.1", "no MX address accepts mail") \
	X(SMTP_NO_STARTTLS, "smtp-no-starttls", WARNING, "RFC 3207", "an MX host does not offer STARTTLS") \
	X(TLS_CERTIFICATE_INVALID, "tls-certificate-invalid", WARNING, "RFC 6125 §6", "an MX host's TLS certificate does not verify for its name") \
	X(BANNER_NAME_MISMATCH, "banner-name-mismatch", INFO, "RFC 5321 §4.3.1", "an MX host greets with another name than the MX record's") \
	X(IP_LISTED, "ip-listed", WARNING, "RFC 5782", "an MX address is on an IP blocklist") \
	X(BLOCKLIST_UNAVAILABLE, "blocklist-unavailable", INFO, "RFC 5782 §2.1", "a blocklist could not say whether an MX address is listed") \
	X(MX_INVALID_NAME, "mx-invalid-name", ERROR, "RFC 1123 §2.1", "an MX target is not a valid host name") \
	X(SRV_INVALID_NAME, "srv-invalid-name", WARNING, "RFC 2782", "an SRV target is not a valid host name") \
	X(AUTHORITATIVE_MISMATCH, "authoritative-mismatch", WARNING, "RFC 1996", "the zone's authoritative servers give different serials or MX sets") \
	X(AUTHORITATIVE_LAME, "authoritative-lame", WARNING, "RFC 8499 §7", "a name server of the zone does not answer for it authoritatively") \
	X(PTR_MISSING, "ptr-missing", WARNING, "RFC 1912 §2.1", "an MX address has no reverse DNS (PTR) name") \
	X(PTR_NOT_FORWARD_CONFIRMED, "ptr-not-forward-confirmed", WARNING, "RFC 8601 §3", "an MX address's PTR name does not resolve back to it") \
	X(IPV6_UNREACHABLE, "ipv6-unreachable", WARNING, "RFC 8305", "an MX host answers over IPv4 but none of its IPv6 addresses does") \
	X(IPV4_UNREACHABLE, "ipv4-unreachable", WARNING, "RFC 8305", "an MX host answers over IPv6 but none of its IPv4 addresses does") \
	X(EGRESS_BLOCKED, "egress-blocked", WARNING, "RFC 5068 §3", "this network probably blocks outbound port 25; probes from here cannot judge these hosts") \
	X(MTA_STS_MX_NOT_COVERED, "mta-sts-mx-not-covered", ERROR, "RFC 8461 §4.1", "an MX host is not matched by the domain's MTA-STS policy") \
	X(MTA_STS_CERTIFICATE_INVALID, "mta-sts-certificate-invalid", ERROR, "RFC 8461 §4.2", "an MX host's certificate fails the domain's MTA-STS policy") \
	X(MTA_STS_POLICY_UNAVAILABLE, "mta-sts-policy-unavailable", WARNING, "RFC 8461 §3.3", "the domain announces MTA-STS but its policy cannot be fetched or read") \
	X(DANE_TLSA_MISMATCH, "dane-tlsa-mismatch", ERROR, "RFC 7672 §3", "an MX host's certificate matches none of its DNSSEC-secure TLSA records") \
	X(DANE_TLSA_INSECURE, "dane-tlsa-insecure", WARNING, "RFC 7672 §2.2", "an MX host has TLSA records in a zone that is not DNSSEC-secure") \
	X(DNSSEC_BOGUS, "dnssec-bogus", ERROR, "RFC 4035 §5.5", "the domain's DNSSEC signatures do not validate") \
	X(RCPT_REJECTED, "rcpt-rejected", ERROR, "RFC 5321 §4.2.1", "an MX host refuses the recipient with a 5xx: the mail bounces") \
	X(RCPT_TEMPFAIL, "rcpt-tempfail", WARNING, "RFC 5321 §4.2.1", "an MX host answers the recipient with a 4xx: the mail is deferred")
/* clang-format on */

typedef enum mx_finding_id {
#define MX_X_ID(id, code, sev, ref, summary) MX_F_##id,
	MX_FINDINGS(MX_X_ID)
#undef MX_X_ID
	    MX_F_COUNT
} mx_finding_id;

typedef struct mx_finding {
	mx_finding_id id;
	const char *code; /* static: "mx-cname" */
	mx_severity severity;
	const char *reference; /* static: "RFC 2181 §10.3" */
	char *subject;         /* what it is about: the domain, a host or an address */
	char *message;         /* one line, names the subject */
} mx_finding;

/* The catalogue entry for a code, or -1 when unknown. */
int mx_finding_lookup(const char *code);
const char *mx_finding_code(mx_finding_id id);
const char *mx_finding_summary(mx_finding_id id);
mx_severity mx_finding_severity(mx_finding_id id);
const char *mx_finding_reference(mx_finding_id id);

typedef struct mx_options {
	uint64_t seed; /* shuffles each tier; the same seed gives the same order */
	/* relay view: drop this host's preference and worse; NULL = sender view */
	const char *as_host;
	bool allow_loopback;   /* the lab: 127.0.0.0/8 and ::1 count as ordinary addresses */
	bool egress_blocked;   /* the run found port 25 blocked here: connect timeouts say
	                          nothing about the hosts (egress-blocked instead) */
	sender_profile sender; /* whose walk mx_domain_delivered() follows (--sender);
	                          0 = opportunistic */
} mx_options;

typedef struct mx_domain mx_domain;

/* A new empty domain. name must already be normalised (mx_name_normalize).
 * Returns NULL when out of memory; the caller owns the result. */
mx_domain *mx_domain_new(const char *name);
void mx_domain_free(mx_domain *d); /* accepts NULL */

const char *mx_domain_name(const mx_domain *d);

/* --- filled by the resolver ------------------------------------------- */

/* How the MX question ended; why is an optional detail ("connection refused"). */
mxs_status mx_domain_set_mx_rcode(mx_domain *d, mx_rcode rc, const char *why);
mx_rcode mx_domain_mx_rcode(const mx_domain *d);
const char *mx_domain_mx_why(const mx_domain *d); /* NULL when none */

/* Adds an MX record; exchange "" or "." is the null MX. Returns its host index
 * through *index. */
mxs_status mx_domain_add_mx(mx_domain *d, uint16_t preference, const char *exchange, uint32_t ttl,
                            size_t *index);
/* Adds the domain itself as the one target (implicit MX, preference 0). */
mxs_status mx_domain_add_implicit(mx_domain *d, size_t *index);

size_t mx_domain_host_count(const mx_domain *d);
const mx_host *mx_domain_host(const mx_domain *d, size_t i);

/* One SRV record for mail clients (RFC 6186, RFC 8314), e.g. service
 * "_submission._tcp". target "" is RFC 2782's "." target: the service is
 * deliberately not offered. */
typedef struct mx_srv {
	char *service; /* the owner's service labels, lower-case: "_imaps._tcp" */
	uint16_t priority, weight, port;
	char *target; /* lower-case, no trailing dot; "" = not available; as the
	               * resolver wrote it (srv-invalid-name when no host name) */
	uint32_t ttl;
} mx_srv;

/* More SRV records than this per domain are dropped: a hostile answer
 * cannot grow the model without bound. */
#define MX_SRV_MAX 64

/* Adds an SRV record; target "" or "." means "not available". Beyond
 * MX_SRV_MAX records it returns MXS_ERR_LIMIT and adds nothing. */
mxs_status mx_domain_add_srv(mx_domain *d, const char *service, uint16_t priority, uint16_t weight,
                             uint16_t port, const char *target, uint32_t ttl);
/* The SRV records sorted by service, then priority, then weight (heaviest
 * first); views into d. */
size_t mx_domain_srv_count(const mx_domain *d);
const mx_srv *mx_domain_srv(const mx_domain *d, size_t i);

/* Records how the A (family 4) or AAAA (family 6) question for host i ended. */
mxs_status mx_host_set_rcode(mx_domain *d, size_t i, int family, mx_rcode rc);
mxs_status mx_host_add_addr(mx_domain *d, size_t i, int family, const char *ip, uint32_t ttl);
mxs_status mx_host_set_cname(mx_domain *d, size_t i, const char *canonical);
/* Host i's name is an alias chain that comes back to a name already in it
 * (RFC 1034 §3.6.2: a loop, to be signalled as an error); chain is the
 * names in order, "a -> b -> a" (copied). */
mxs_status mx_host_set_cname_loop(mx_domain *d, size_t i, const char *chain);

/* --- what real senders look at -----------------------------------------
 * Filled by the resolver and the policy fetch (net/), read by the rules and
 * the sender profiles (core/sender.h). Each is "not asked" until set, and
 * then the reports show it. The findings mta-sts-*, dane-*, dnssec-bogus
 * and rcpt-* are derived from these fields by mx_domain_analyze(): fill the
 * fields, never add those findings by hand. */

/* DNSSEC status of the MX answer, from the AD bit of a validating resolver
 * (RFC 4035 §3.2.3, RFC 6840 §5.7). */
typedef enum mx_dnssec {
	MX_DNSSEC_NOT_ASKED = 0,
	MX_DNSSEC_SECURE,
	MX_DNSSEC_INSECURE,
	MX_DNSSEC_BOGUS,         /* the validator said SERVFAIL for a signed zone */
	MX_DNSSEC_INDETERMINATE, /* could not tell (no validating resolver, timeout) */
} mx_dnssec;

/* "secure", "insecure", "bogus", "indeterminate"; NULL for NOT_ASKED. */
const char *mx_dnssec_str(mx_dnssec s);
mxs_status mx_domain_set_dnssec(mx_domain *d, mx_dnssec s);
mx_dnssec mx_domain_dnssec(const mx_domain *d);

/* The domain's MTA-STS state (RFC 8461): what the TXT said and what the
 * policy fetch found. */
typedef struct mx_mta_sts {
	char *txt;          /* the _mta-sts TXT record, or NULL when none is published */
	char *id;           /* its id= value, or NULL */
	policy_sts *policy; /* the policy, or NULL (none published, or error) */
	char *error;        /* why there is no policy although the TXT says so, or NULL */
} mx_mta_sts;

/* Records the MTA-STS state; strings are copied, policy (may be NULL) is
 * taken over (freed with the domain, or at once on error). A second call
 * replaces the first. */
mxs_status mx_domain_set_mta_sts(mx_domain *d, const char *txt, const char *id, policy_sts *policy,
                                 const char *error);
/* NULL when MTA-STS was not asked. */
const mx_mta_sts *mx_domain_mta_sts(const mx_domain *d);

/* The _smtp._tls TXT record (TLS-RPT, RFC 8460) when published: NULL
 * clears it. Shown only. */
mxs_status mx_domain_set_tls_rpt(mx_domain *d, const char *txt);
const char *mx_domain_tls_rpt(const mx_domain *d); /* NULL when none or not asked */

/* Records host i's TLSA answer: nrecords strings in presentation form
 * ("3 1 1 abcd..."), copied; secure as the AD bit said. A second call
 * replaces the first; nrecords 0 = asked, no records. */
mxs_status mx_host_set_tlsa(mx_domain *d, size_t i, const char *const *records, size_t nrecords,
                            bool secure);

/* --- the rules -------------------------------------------------------- */

/* Computes tiers, attempt order and findings from what was filled in.
 * Can be called again with other options (a new seed, another --as). */
mxs_status mx_domain_analyze(mx_domain *d, const mx_options *opt);

bool mx_domain_null_mx(const mx_domain *d);
bool mx_domain_implicit_mx(const mx_domain *d);
uint64_t mx_domain_seed(const mx_domain *d); /* the run seed (--seed) that reproduces the order */
const char *mx_domain_as_host(const mx_domain *d); /* NULL in the sender view */

size_t mx_domain_tier_count(const mx_domain *d);
const mx_tier *mx_domain_tier(const mx_domain *d, size_t i);
size_t mx_domain_attempt_count(const mx_domain *d);
const mx_attempt *mx_domain_attempt(const mx_domain *d, size_t i);
size_t mx_domain_finding_count(const mx_domain *d);
const mx_finding *mx_domain_finding(const mx_domain *d, size_t i);

/* --- probes and the delivery walk ------------------------------------ */

/* Attaches the probe of host i's address k; takes ownership of r (freed
 * with the domain, or at once on error). */
mxs_status mx_host_set_probe(mx_domain *d, size_t i, size_t k, probe_result *r);

/* Adds what one blocklist said about host i's address k; takes ownership
 * of r (freed with the domain, or at once on error). A second result from
 * the same provider replaces the first. Findings: ip-listed, or
 * blocklist-unavailable, with the address as subject. */
mxs_status mx_host_add_blocklist(mx_domain *d, size_t i, size_t k, blr_result *r);

/* Greeting slower than this is smtp-slow-banner. */
#define MX_SLOW_BANNER_MS 2000

/* One attempt of the walk: what happened and the rule that applies. */
typedef struct mx_step {
	size_t attempt; /* index into the attempt order */
	probe_state state;
	const char *rule; /* static, for people: "4xx greeting: try the next host" */
} mx_step;

/* The walk exists once every address in the attempt order was probed; it
 * stops at the first 2xx greeting. */
bool mx_domain_walked(const mx_domain *d);
size_t mx_domain_step_count(const mx_domain *d);
const mx_step *mx_domain_step(const mx_domain *d, size_t i);
/* The attempt that takes the mail, or NULL (none accepts, or no walk). */
const mx_attempt *mx_domain_delivered(const mx_domain *d);
/* The rule a sender applies after an attempt ended in state s (static). */
const char *mx_walk_rule(probe_state s);
/* The rule for an accepted host's recipient stage with RCPT reply code
 * code (static): the plain walk and every sender profile say the same
 * (sender_rcpt_rule is this, for callers of core/sender.h). */
const char *mx_rcpt_rule(int code);

/* The worst severity among the findings, or -1 when there are none. */
int mx_domain_worst(const mx_domain *d);
/* DESIGN.md's status word: "error" (the mail does not arrive), "warning"
 * (it arrives degraded: a warning finding, or a backup takes it), "no mail"
 * (a valid null MX) or "ok" (info counts as ok). */
const char *mx_domain_status(const mx_domain *d);

/* --- helpers the rules use, exposed for tests and the resolver -------- */

/* The domain seed for a run seed: each domain gets its own reproducible
 * shuffle from one --seed. */
uint64_t mx_seed_for(uint64_t run_seed, const char *domain);
/* Shuffles idx[0..n) in place, uniformly, from *state (advanced). */
void mx_shuffle(size_t *idx, size_t n, uint64_t *state);
/* Address classification (mx_is_ip_literal, mx_ip_is_non_public,
 * mx_ip_is_loopback, ...) is in addr.h, included above. */

#endif
