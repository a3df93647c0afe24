/* core/sender.h — sender profiles (prefix sender_): the delivery walk as each
 * kind of sender makes it (DESIGN.md "What real senders add to the walk").
 *
 *   opportunistic  most MTAs: STARTTLS when offered, any certificate (RFC 7435)
 *   mta-sts        RFC 8461: under an `enforce` policy an MX not matched by its
 *                  mx: patterns, or whose certificate does not verify for its
 *                  name, is skipped; `testing` only reports
 *   dane           RFC 7672 alone, as Postfix's `dane` security level: when
 *                  the MX answer is DNSSEC-secure and the host has secure TLSA
 *                  records, a certificate that matches none of them means the
 *                  host is skipped; elsewhere opportunistic (no MTA-STS: a
 *                  Postfix at level dane without a policy service applies none)
 *   dane-mta-sts   DANE where TLSA is secure, else MTA-STS (RFC 8461 §2: DANE
 *                  wins where both apply); what `dane` meant before
 *
 * Each walk is made as one sending MTA makes it (core/mta.h: rfc, postfix,
 * exim): its order, limits and rules. Where the end depends on a random
 * choice (which address family or which host of a preference comes first,
 * when a limit cuts the list short or one family is broken) the walk is not
 * certain and lists every outcome with its share.
 *
 * Every profile follows the same attempt order and the same SMTP rules
 * (RFC 5321 §5.1), including the opt-in recipient stage: a 5xx at RCPT is
 * final (the mail bounces, no other host is tried), a 4xx defers.
 *
 * Pure: a walk is computed from an analysed mx_domain's public views.
 * mx_domain_analyze() runs every profile and keeps the walks in the domain
 * (mx_domain_sender()). The walks layer of core/ (core/mx.h): sender.c
 * calls the model's views and the ordering's rules (mx_walk_rule,
 * mx_rcpt_rule), never the rendering or mx_domain_analyze. */
#ifndef MXSCOPE_SENDER_H
#define MXSCOPE_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "mta.h"
#include "status.h"

typedef struct mx_domain mx_domain;

/* One attempt: an address of a host (indices into the domain's host list
 * and that host's addrs). */
typedef struct mx_attempt {
	size_t host;
	size_t addr;
} mx_attempt;

typedef enum sender_profile {
	SENDER_OPPORTUNISTIC = 0,
	SENDER_MTA_STS,
	SENDER_DANE,
	SENDER_DANE_MTA_STS,
	SENDER_COUNT
} sender_profile;

/* "opportunistic", "mta-sts", "dane", "dane-mta-sts" (the JSON keys of
 * `senders`). */
const char *sender_profile_name(sender_profile p);
/* Who sends that way and by which rule, for the explorer's message. */
const char *sender_profile_who(sender_profile p);
/* The profile named name, or -1. */
int sender_profile_lookup(const char *name);

/* What the sender did at one attempt. */
typedef enum sender_outcome {
	SENDER_NEXT = 0,  /* this address failed: try the next one */
	SENDER_SKIPPED,   /* a profile rule refused the host: try the next one */
	SENDER_DELIVERED, /* the mail is handed over here; the walk ends */
	SENDER_BOUNCED,   /* 5xx at RCPT: final, the walk ends without delivery */
	SENDER_DEFERRED,  /* 4xx at RCPT: queued for later, the walk ends */
} sender_outcome;

/* "next", "skipped", "delivered", "bounced", "deferred". */
const char *sender_outcome_word(sender_outcome o);

typedef struct sender_step {
	size_t attempt; /* index into the walk's attempts */
	sender_outcome outcome;
	const char *rule; /* static, for people: which rule skipped or accepted the host */
} sender_step;

/* How a whole walk ended. */
typedef enum sender_end {
	SENDER_END_DELIVERED = 0,
	SENDER_END_BOUNCED,
	SENDER_END_DEFERRED, /* 4xx at RCPT, or every address failed or was skipped: queued */
} sender_end;

/* "delivered", "bounced", "deferred" (JSON `end`). */
const char *sender_end_word(sender_end e);

/* One way a walk can end when it depends on chance. */
typedef struct sender_chance {
	double share; /* of all the orders the MTA may draw, 0 < share <= 1 */
	sender_end end;
	long delivered;  /* index into the walk's attempts, or -1 */
	const char *why; /* static */
} sender_chance;

typedef struct sender_walk {
	sender_step *steps; /* owned; the draw the domain's seed makes */
	size_t nsteps;
	/* the most likely outcome (the seed's draw wins a tie) */
	long delivered; /* index into attempts that takes the mail, or -1 */
	sender_end end;
	const char *why; /* static, one line: why the walk ended where it did */
	/* the order this MTA tries addresses in (the seed's draw; past a limit
	 * the addresses it never tries follow); owned */
	mx_attempt *attempts;
	size_t nattempts;
	bool certain;            /* every order the MTA may draw ends the same way */
	sender_chance *outcomes; /* when not certain: each end, most likely first; owned */
	size_t noutcomes;
	bool estimated; /* too many orders to count: shares from seeded draws */
} sender_walk;

/* Attempt i of the walk, or NULL. */
const mx_attempt *sender_walk_attempt(const sender_walk *w, size_t i);

/* Walks analysed d as MTA k with parameters prm (NULL: k's defaults) and
 * profile p. Needs every address the MTA would try probed; otherwise *out
 * is left empty (no steps, delivered -1) and MXS_ERR_INVALID is returned.
 * A domain with an MX answer but no address to try gets a walk without
 * steps (bounced or deferred, with the rule). *out is overwritten (clear
 * it first when reusing). MXS_ERR_NOMEM on allocation failure. */
mxs_status sender_walk_mta(const mx_domain *d, mta_kind k, const mta_params *prm, sender_profile p,
                           sender_walk *out);
/* sender_walk_mta as rfc. */
mxs_status sender_walk_run(const mx_domain *d, sender_profile p, sender_walk *out);
void sender_walk_clear(sender_walk *w); /* frees what w owns, keeps w reusable */

/* The walk of profile p as the chosen MTA (mx_options.mta) makes it, kept
 * by mx_domain_analyze, or NULL before the walk (probes still running,
 * --no-probe). A view into d. */
const sender_walk *mx_domain_sender(const mx_domain *d, sender_profile p);
/* The same as MTA k (every MTA's walks are kept: the explorer's M). */
const sender_walk *mx_domain_walk(const mx_domain *d, mta_kind k, sender_profile p);
/* The profile mx_domain_delivered() follows (mx_options.sender). */
sender_profile mx_domain_sender_choice(const mx_domain *d);
/* The MTA mx_domain_sender() and mx_domain_delivered() follow. */
mta_kind mx_domain_mta(const mx_domain *d);

/* A --rcpt argument: LOCALPART, or LOCALPART@DOMAIN. The local part is a
 * dot-atom (RFC 5321 §4.1.2: letters, digits and !#$%&'*+-/=?^_`{|}~,
 * dots between them), at most 64 bytes; the domain a host name. Anything
 * else (a quoted local part, spaces, <>, control bytes) is refused: the
 * text goes into an SMTP command. false with *why (owned by the caller). */
bool sender_rcpt_valid(const char *arg, char **why);
/* The RCPT TO address for domain: arg when it has an '@', else arg@domain,
 * into out. false when it does not fit in cap. */
bool sender_rcpt_address(const char *arg, const char *domain, char *out, size_t cap);

/* The rule for an accepted host's recipient stage with RCPT reply code
 * `code` (static): mx_rcpt_rule (core/mx.h), which the plain walk uses
 * too, so both say the same. */
const char *sender_rcpt_rule(int code);

#endif
