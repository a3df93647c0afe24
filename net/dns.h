/* net/dns.h — resolving a mail domain with c-ares 1.18 on the libuv loop.
 *
 * dns_resolve() asks MX for the domain, then A and AAAA for every target
 * (for the domain itself when it has no MX; only one family with
 * dns_config.family), and, when asked (its srv argument), SRV for the mail
 * client services of RFC 6186 / RFC 8314 beside them, and fills an mx_domain
 * with the records, their TTLs, CNAME aliases and how each question ended.
 * At most max_outstanding questions are on the wire at once, fewer while
 * questions time out (a window that halves on loss and grows on answers);
 * the rest wait in a FIFO, so any number of domains can be handed in without
 * flooding the server. A truncated answer is asked again over TCP at once,
 * with every UDP question still on the wire (a rate limiter drops what it
 * does not truncate); a
 * question that timed out is asked again while its timeout_ms lasts; qps
 * caps the questions sent per second, retries included.
 * The MX question (and TLSA, with dns_config.tlsa) goes out with the AD bit
 * set, and the answer's AD bit becomes the domain's DNSSEC status
 * (mx_domain_set_dnssec; RFC 6840 §5.7); a SERVFAIL is asked again with CD
 * set to tell a bogus zone from a broken server. */
#ifndef MXSCOPE_DNS_H
#define MXSCOPE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mx.h"
#include "status.h"

typedef struct dns_config {
	const char *const *servers; /* "HOST[:PORT]" IP addresses; none = the system resolver */
	size_t nservers;
	unsigned timeout_ms;      /* per question, every retry included */
	unsigned max_outstanding; /* questions in flight at once (0 = default 100): the
	                             window's ceiling; its floor is a tenth of it */
	int family;               /* 0 both A and AAAA; 4 only A (-4); 6 only AAAA (-6) */
	unsigned qps;             /* questions sent per second at most, retries included
	                             (--qps); 0 = no ceiling */
	bool no_recurse;          /* RD off: ask the servers as authorities (net/auth.c) */
	bool tlsa;                /* TLSA at _25._tcp.<host> (mx_host_set_tlsa) for every MX
	                             host; without it only where the MX answer is DNSSEC-
	                             secure, as a DANE sender asks (RFC 7672 §2.2.2) */
} dns_config;

/* How the pacing went (dns_client_pacing). */
typedef struct dns_pacing_stats {
	unsigned window;          /* questions allowed in flight now */
	unsigned long answered;   /* replies that grew the window (any rcode) */
	unsigned long timeouts;   /* tries that got no reply */
	unsigned long halvings;   /* times the window was halved */
	unsigned long retries;    /* questions asked again after a timeout */
	unsigned long truncated;  /* truncated UDP answers (asked again over TCP) */
	unsigned long superseded; /* UDP sends still out at a truncation, asked over TCP */
	unsigned long tcp;        /* questions sent over TCP */
} dns_pacing_stats;

typedef struct dns_client dns_client;

/* Called once per domain when all its questions have ended. Ownership of d
 * goes back to the callee. */
typedef void (*dns_done_cb)(mx_domain *d, void *arg);

/* Global c-ares initialisation; call once from main before anything else. */
mxs_status dns_global_init(char **why);
void dns_global_cleanup(void);
/* The c-ares version in use ("1.18.1"). */
const char *dns_version(void);

/* Checks one "HOST[:PORT]" server string and writes c-ares' form of it
 * ("1.2.3.4:53", "[::1]:53") into out. On error *why says what is wrong. */
mxs_status dns_server_parse(const char *spec, char *out, size_t outcap, char **why);

/* A resolver on loop. Returns NULL with *why on a bad configuration. The
 * caller owns the result and releases it with dns_client_free(). */
dns_client *dns_client_new(uv_loop_t *loop, const dns_config *cfg, char **why);

/* Starts resolving d, which must be empty (fresh from mx_domain_new), with
 * the SRV services of RFC 6186 too when srv (--srv, or the one domain whose
 * details the explorer shows). The client borrows d until cb returns it. */
mxs_status dns_resolve(dns_client *c, mx_domain *d, bool srv, dns_done_cb cb, void *arg);

/* One question of any type for another module (the MTA-STS TXT records,
 * the policy host's addresses, net/auth.c's zone and reverse questions,
 * net/doctor.c's resolver check): cb gets how it ended and the untrusted
 * reply (abuf, alen; valid during the call; NULL when no server sent a
 * usable one) to parse with ares_parse_*_reply. It is paced and retried
 * like every other question: it waits for a slot in the window and the
 * --qps bucket, a truncated answer goes again over TCP, a try that times
 * out is asked again while timeout_ms lasts. There is no unpaced
 * single-try variant: asking one name server directly for its own view
 * is a client with that one server and no_recurse, and a dropped answer
 * from it deserves the same retry as any other. cb is called exactly
 * once, from the loop; when the client is freed first, from
 * dns_client_free with rc MX_RC_NOT_ASKED and no answer, so the owner can
 * free its context. */
typedef void (*dns_raw_cb)(mx_rcode rc, const unsigned char *abuf, int alen, void *arg);
mxs_status dns_query_raw(dns_client *c, const char *name, int type, dns_raw_cb cb, void *arg);

/* How a question ended, from c-ares' status: the one mapping every module
 * that asks through c-ares uses. */
mx_rcode dns_rcode_of(int status);

/* Domains handed in and not yet returned. */
size_t dns_client_busy(const dns_client *c);
/* Replies received from any server, whatever their rcode; 0 after questions
 * were asked means no server answered at all. */
unsigned long dns_client_replies(const dns_client *c);
unsigned long dns_client_questions(const dns_client *c);
/* The most questions that were ever on the wire at once (never above max_outstanding). */
unsigned dns_client_peak(const dns_client *c);
void dns_client_pacing(const dns_client *c, dns_pacing_stats *out);
/* The servers in use, for messages ("127.0.0.1:5300"); valid while c lives. */
const char *dns_client_servers(const dns_client *c);
/* Why the last question that got no reply failed ("connection refused",
 * "no valid reply within 5.0 s"), or NULL. Valid while c lives. */
const char *dns_client_last_failure(const dns_client *c);

/* ---- the wire format beyond c-ares 1.18's parsers --------------------------
 * (for net/blocklist.c's DoH answers and dns.c itself; names are always
 * decoded by ares_expand_name) */

/* Every TTL that comes from the wire goes through this (RFC 2181 §8): a
 * value with the most significant bit set means 0. */
uint32_t dns_ttl(uint32_t wire);

enum { DNS_SECTION_ANSWER = 1, DNS_SECTION_AUTHORITY = 2 };

/* One resource record as dns_walk sees it; rdata points into the message. */
typedef struct dns_rr {
	int section;   /* DNS_SECTION_* */
	unsigned type; /* 1 A, 6 SOA, 15 MX, ... */
	uint32_t ttl;  /* already through dns_ttl */
	const unsigned char *rdata;
	size_t rdlen;               /* within the message */
	const unsigned char *owner; /* the owner name in the message (ares_expand_name reads it) */
} dns_rr;

/* Return false to stop the walk. */
typedef bool (*dns_rr_cb)(const dns_rr *rr, void *arg);

/* Calls cb for each record of the answer and then the authority section of
 * the untrusted message m. false when m is malformed before the walk ended
 * (records already seen were handed over). */
bool dns_walk(const unsigned char *m, size_t len, dns_rr_cb cb, void *arg);

/* The TTL (through dns_ttl) of the first record of type in the answer
 * section of the untrusted message m, 0 when there is none: c-ares 1.18's
 * ares_parse_mx_reply and ares_parse_srv_reply drop TTLs. m may be NULL. */
uint32_t dns_answer_ttl(const unsigned char *m, size_t len, unsigned type);

/* Whether the CNAME records in the answer section of the untrusted message
 * m, followed from asked, come back to a name already passed (RFC 1034
 * §3.6.2: a loop, to be signalled as an error; at most 16 aliases are
 * followed). Then *chain is "a -> b -> a" (malloc'd, owned by the caller);
 * else NULL. */
bool dns_cname_loop(const unsigned char *m, size_t len, const char *asked, char **chain);

#define DNS_TYPE_TLSA 52 /* RFC 6698 §7.1; arpa/nameser.h of glibc lacks it */

/* The TLSA records in the answer section of the reply abuf (alen bytes),
 * each in its presentation form (core/dane.h), at most max of them into out;
 * the caller frees each. A record over 8 KiB is skipped. Returns how many. */
size_t dns_tlsa_read(const unsigned char *abuf, int alen, char **out, size_t max);

/* true when m is a reply (QR, opcode QUERY) with exactly one question, and
 * that question is qname (case-insensitive), qtype, class IN; *rcode (may
 * be NULL) gets its rcode. */
bool dns_reply_to(const unsigned char *m, size_t len, const char *qname, int qtype, int *rcode);

/* Cancels every lookup (their domains are freed without callbacks) and
 * closes the handles; memory is released as the loop runs the close
 * callbacks. Accepts NULL. */
void dns_client_free(dns_client *c);

#endif
