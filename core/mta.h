/* core/mta.h — which sending MTA the walk imitates (prefix mta_): `rfc` (the
 * letter of RFC 5321 §5.1, the walk mxscope always made), `postfix` (Postfix
 * 3.7 with its defaults, or an admin's own `postconf -n`) and `exim` (Exim
 * 4.96: its dnslookup router and smtp transport with their defaults).
 *
 * Each MTA is one table of rules: for every case where senders differ (a
 * null MX beside other MX records, a numeric MX target, a 5xx greeting, a
 * failed TLS handshake, ...) what that MTA does and the parameter or the
 * documentation section behind it. The walks (core/sender.c) read the
 * table; the rule text is what a walk's step shows.
 *
 * Base layer of core/ (core/mx.h): knows nothing of mx_domain. */
#ifndef MXSCOPE_MTA_H
#define MXSCOPE_MTA_H

#include <stdbool.h>
#include <stddef.h>

typedef enum mta_kind { MTA_RFC = 0, MTA_POSTFIX, MTA_EXIM, MTA_COUNT } mta_kind;

/* "rfc", "postfix", "exim" */
const char *mta_name(mta_kind k);
/* The MTA named name, or -1. */
int mta_lookup(const char *name);
/* Who that is, one line for the explorer's message. */
const char *mta_who(mta_kind k);

/* Which address family goes first inside one MX preference. */
typedef enum mta_addr_pref {
	MTA_PREF_ANY = 0, /* shuffled together (Postfix smtp_address_preference = any) */
	MTA_PREF_IPV6,
	MTA_PREF_IPV4,
} mta_addr_pref;

/* What the TLS security level makes of the walk (Postfix
 * smtp_tls_security_level); the levels not modelled are refused by
 * mta_config_read rather than walked wrongly. */
typedef enum mta_tls_level {
	MTA_TLS_MAY = 0, /* opportunistic; a failed handshake is retried in clear */
	MTA_TLS_NONE,    /* no TLS at all */
	MTA_TLS_ENCRYPT, /* STARTTLS required, any certificate */
	MTA_TLS_DANE,    /* DANE where TLSA is secure, else may */
	MTA_TLS_DANE_ONLY,
} mta_tls_level;

/* The parameters the walk models. 0 for a limit = no limit. */
typedef struct mta_params {
	unsigned address_limit; /* Postfix smtp_mx_address_limit, Exim hosts_max_try */
	unsigned session_limit; /* Postfix smtp_mx_session_limit */
	bool skip_5xx_greeting; /* Postfix smtp_skip_5xx_greeting */
	mta_addr_pref addr_pref;
	int families;      /* inet_protocols: 0 both, 4 or 6 only */
	bool balance;      /* smtp_balance_inet_protocols: both families survive the limit */
	bool dedup;        /* one address listed under two names is tried once */
	bool shuffle_addr; /* addresses, not host names, are shuffled within a preference */
	mta_tls_level tls;
	bool dnssec; /* smtp_dns_support_level = dnssec (DANE needs it) */
} mta_params;

/* The defaults of k (Postfix 3.7 as Debian 12 ships it: smtp_tls_security_level
 * = may; Exim 4.96's smtp transport; rfc has no limits). */
void mta_params_default(mta_kind k, mta_params *p);

/* Reads `postconf -n` output or a main.cf (text, as read from file) over
 * *p: the modelled parameters are taken, every other one is ignored,
 * `#` comments and continuation lines (leading white space) are understood.
 * A value that is not one the parameter takes: false with *why = "FILE:LINE:
 * PARAM: reason" (owned by the caller), *p then partly updated. */
bool mta_config_read(const char *text, const char *file, mta_params *p, char **why);

/* The cases where MTAs differ, each a row of every MTA's table. */
typedef enum mta_case {
	MTA_C_NULL_MX_MIXED = 0, /* "MX 0 ." beside other MX records */
	MTA_C_NULL_MX,           /* a lone null MX (RFC 7505) */
	MTA_C_NUMERIC_MX,        /* an MX target that is an address ("192.0.2.1.") */
	MTA_C_NO_ADDRESS,        /* no MX host has an address: NXDOMAIN/NODATA at every target */
	MTA_C_DNS_TEMPORARY,     /* no address, and a lookup failed temporarily (or a CNAME loop) */
	MTA_C_GREETING_4XX,
	MTA_C_GREETING_5XX,
	MTA_C_CONNECT_FAILED, /* refused, timeout, unreachable, garbage, dropped */
	MTA_C_TLS_FAILED,     /* STARTTLS offered, the handshake failed */
	MTA_C_RCPT_4XX,
	MTA_C_RCPT_5XX,
	MTA_C_ACCEPTED,
	MTA_C_ADDRESS_LIMIT, /* addresses past the limit are never tried */
	MTA_C_SESSION_LIMIT, /* sessions that reached MAIL, at the limit */
	MTA_C_EXHAUSTED,     /* every address tried, none took the mail */
	MTA_C_EXHAUSTED_5XX, /* the same, and the last one answered with a 5xx */
	MTA_C_ORDER,         /* how one preference is ordered */
	MTA_C_COUNT
} mta_case;

/* What the MTA does in a case. */
typedef enum mta_action {
	MTA_A_NEXT = 0, /* on to the next address (or host) */
	MTA_A_DELIVER,  /* the mail is handed over */
	MTA_A_BOUNCE,   /* returned to the sender, no other host tried */
	MTA_A_DEFER,    /* queued, retried later */
	MTA_A_IGNORE,   /* the record is left out and the walk goes on */
	MTA_A_USE,      /* (numeric MX) the digits are used as the address */
} mta_action;

typedef struct mta_rule {
	mta_action action;
	const char *text; /* static, for people: what happens, and the parameter or
	                     documentation section behind it */
} mta_rule;

/* Row c of k's table with the parameters p (smtp_skip_5xx_greeting picks the
 * greeting row). Static; never NULL. */
mta_rule mta_rule_for(mta_kind k, const mta_params *p, mta_case c);

#endif
