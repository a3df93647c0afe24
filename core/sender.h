/* core/sender.h — sender profiles (prefix sender_): the delivery walk as each
 * kind of sender makes it (DESIGN.md "What real senders add to the walk").
 *
 *   opportunistic  most MTAs: STARTTLS when offered, any certificate (RFC 7435)
 *   mta-sts        RFC 8461: under an `enforce` policy an MX not matched by its
 *                  mx: patterns, or whose certificate does not verify for its
 *                  name, is skipped; `testing` only reports
 *   dane           RFC 7672: when the MX answer is DNSSEC-secure and the host
 *                  has secure TLSA records, a certificate that matches none of
 *                  them means the host is skipped; where DANE does not apply
 *                  the sender falls back to MTA-STS (DANE wins, RFC 8461 §2)
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

#include "status.h"

typedef struct mx_domain mx_domain;

typedef enum sender_profile {
	SENDER_OPPORTUNISTIC = 0,
	SENDER_MTA_STS,
	SENDER_DANE,
	SENDER_COUNT
} sender_profile;

/* "opportunistic", "mta-sts", "dane" (the JSON keys of `senders`). */
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
	size_t attempt; /* index into the domain's attempt order */
	sender_outcome outcome;
	const char *rule; /* static, for people: which rule skipped or accepted the host */
} sender_step;

/* How a whole walk ended. */
typedef enum sender_end {
	SENDER_END_DELIVERED = 0,
	SENDER_END_BOUNCED,
	SENDER_END_DEFERRED, /* 4xx at RCPT, or every address failed or was skipped: queued */
} sender_end;

typedef struct sender_walk {
	sender_step *steps; /* owned */
	size_t nsteps;
	long delivered; /* attempt index that takes the mail, or -1 */
	sender_end end;
	const char *why; /* static, one line: why the walk ended where it did */
} sender_walk;

/* Walks d's attempt order as profile p. d must be analysed and walked
 * (mx_domain_walked); otherwise *out is left empty (no steps, delivered -1)
 * and MXS_ERR_INVALID is returned. *out is overwritten (clear it first when
 * reusing). MXS_ERR_NOMEM on allocation failure. */
mxs_status sender_walk_run(const mx_domain *d, sender_profile p, sender_walk *out);
void sender_walk_clear(sender_walk *w); /* frees the steps, keeps w reusable */

/* The walk of profile p kept by mx_domain_analyze, or NULL before the walk
 * (probes still running, --no-probe). A view into d. */
const sender_walk *mx_domain_sender(const mx_domain *d, sender_profile p);
/* The profile mx_domain_delivered() follows (mx_options.sender). */
sender_profile mx_domain_sender_choice(const mx_domain *d);

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
