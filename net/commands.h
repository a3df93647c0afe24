/* net/commands.h — every DNS question and every probe of a domain as a
 * command another tool runs as printed (prefix commands_): dig, swaks,
 * openssl s_client, curl, with the server, address, port and name mxscope
 * used. Only the stages that ran get lines (what the domain holds says
 * which: MTA-STS and TLS-RPT, TLSA and DANE, --rcpt, --ptr,
 * --authoritative), in the order mxscope asks. Everything from the network is shell-quoted. A pure
 * function of an analysed domain and options, in net/ because the DoH line needs the DNS wire codec
 * (c-ares): `check --commands`, replay and the explorer's commands view all print what it returns.
 */
#ifndef MXSCOPE_COMMANDS_H
#define MXSCOPE_COMMANDS_H

#include "blocklist.h"
#include "mx.h"

typedef struct commands_opts {
	const char *resolver; /* what the scan asked: "127.0.0.1:5300, [::1]:53" */
	int smtp_port;        /* the port probed */
	const char *cafile;   /* --cafile, handed to openssl, or NULL */
	unsigned timeout_ms;  /* curl's --max-time (a silent provider never ends); 0 = 5 s */
	const blr_config *blocklists; /* the enabled providers get a curl line; may be NULL */
	const char *ehlo_name; /* the EHLO name the probes said (swaks --ehlo, openssl -name),
	                          or NULL: left to the tools */
	int mta_sts_port;      /* HTTPS port of the policy hosts (--mta-sts-port); <= 0: 443 */
	int ns_port;           /* port the name servers were asked on (--ns-port); <= 0: 53 */
	bool dane;             /* --dane: TLSA was asked in every zone, not only secure ones */
} commands_opts;

/* The commands for d, one a line, each preceded by a "# ..." line saying
 * what it asks and what mxscope got. Owned by the caller; NULL when out of
 * memory. */
char *commands_text(const mx_domain *d, const commands_opts *o);

/* The commands of address addr of MX host host of d only: its probe and
 * its blocklist questions (the explorer's view of one address). Owned by
 * the caller; NULL when out of memory or there is no such address. */
char *commands_addr_text(const mx_domain *d, size_t host, size_t addr, const commands_opts *o);

/* s quoted for a POSIX shell: as is when it is made only of characters no
 * shell reads specially, else in single quotes ('\'' for a quote). Owned by
 * the caller; NULL when out of memory. */
char *commands_quote(const char *s);

#endif
