/* net/dns.h — the DNS engine: c-ares 1.18 on the libuv loop.
 *
 * A client asks single questions (dns_query_raw) and hands each its
 * answer as is: what a question means is its asker's business (the MX job
 * of net/mxjob.h, MTA-STS, net/auth.c, the doctor). At most
 * max_outstanding questions are on the wire at once, fewer while
 * questions time out (a window that halves on loss and grows on answers);
 * the rest wait in a FIFO, so any number of questions can be handed in
 * without flooding the server. A truncated answer is asked again over TCP
 * at once, with every UDP question still on the wire (a rate limiter drops
 * what it does not truncate); a question that timed out is asked again
 * while its timeout_ms lasts; qps caps the questions sent per second,
 * retries included. A question may go out with the AD bit (a validating
 * resolver then says whether the answer is secure, RFC 6840 §5.7) and the
 * CD bit (to tell a bogus zone from a broken server), which c-ares 1.18's
 * ares_query cannot set.
 *
 * Beside the engine: the wire format beyond c-ares 1.18's parsers
 * (net/dns_wire.c), among it the one reader of address answers. */
#ifndef MXSCOPE_DNS_H
#define MXSCOPE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "addr.h"
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

/* Global c-ares initialisation; call once from main before anything else. */
mxs_status dns_global_init(char **why);
void dns_global_cleanup(void);
/* The c-ares version in use ("1.18.1"). */
const char *dns_version(void);

/* Checks one "HOST[:PORT]" server string and writes c-ares' form of it
 * ("1.2.3.4:53", "[::1]:53") into out. On error *why says what is wrong. */
mxs_status dns_server_parse(const char *spec, char *out, size_t outcap, char **why);

/* A resolver on loop into *out, owned by the caller (dns_client_free()).
 * MXS_ERR_INVALID with *why when the configuration given is bad (a server
 * string, too many servers: the caller's input); MXS_ERR_NET when the
 * resolver cannot be set up (c-ares refuses, no server configured on this
 * machine); MXS_ERR_NOMEM. *out is NULL on error. */
mxs_status dns_client_new(uv_loop_t *loop, const dns_config *cfg, dns_client **out, char **why);

/* Header bits a question goes out with (dns_query_raw's flags). */
enum {
	DNS_Q_AD = 1u << 0, /* ask a validating resolver to say whether it is secure */
	DNS_Q_CD = 1u << 1, /* checking disabled: the data even where it does not validate */
};

/* One question of any type (the MX job's, the MTA-STS TXT records, the
 * policy host's addresses, net/auth.c's zone and reverse questions,
 * net/doctor.c's resolver check), with DNS_Q_* flags or 0: cb gets how it
 * ended and the untrusted
 * reply (abuf, alen; valid during the call; NULL when no server sent a
 * usable one) to parse with ares_parse_*_reply. It is paced and retried
 * like every other question: it waits for a slot in the window and the
 * --qps bucket, a truncated answer goes again over TCP, a try that times
 * out is asked again while timeout_ms lasts. There is no unpaced
 * single-try variant: asking one name server directly for its own view
 * is a client with that one server and no_recurse, and a dropped answer
 * from it deserves the same retry as any other. cb is called exactly
 * once, from the loop (or from inside this call when a send fails at once);
 * when the client is freed first, from dns_client_free with rc
 * MX_RC_NOT_ASKED and no answer, so the owner can free its context.
 * A reply that is not valid DNS comes as MX_RC_FORMERR with no answer; a
 * server's FORMERR comes with its reply. */
typedef void (*dns_raw_cb)(mx_rcode rc, const unsigned char *abuf, int alen, void *arg);
mxs_status dns_query_raw(dns_client *c, const char *name, int type, unsigned flags, dns_raw_cb cb,
                         void *arg);

/* How a question ended, from c-ares' status: the one mapping every module
 * that asks through c-ares uses. */
mx_rcode dns_rcode_of(int status);

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
 * (for net/mxjob.c, net/blocklist.c's DoH answers and the engine itself; names are always
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

/* Every address record one A or AAAA answer gives, at most: bounds what one
 * hostile answer can add, wherever an address answer is read. */
#define DNS_ADDRS_MAX 64

typedef struct dns_addr {
	int family;            /* 4 or 6 */
	unsigned char bin[16]; /* network order; the first 4 bytes for IPv4 */
	char ip[MX_IP_MAX];    /* its text form */
	uint32_t ttl;          /* already through dns_ttl */
} dns_addr;

typedef struct dns_addrs {
	size_t n;
	dns_addr a[DNS_ADDRS_MAX];
} dns_addrs;

/* The one reader of address answers: the A (family 4) or AAAA (family 6)
 * records of the untrusted reply abuf (alen bytes; NULL allowed), the
 * first DNS_ADDRS_MAX of them, into *out. MX_RC_OK when there is at least
 * one, MX_RC_NODATA when the answer holds none of that family (an alias
 * without its target, say), MX_RC_FORMERR when it is malformed. canon
 * (may be NULL) gets the name c-ares reached by following the CNAME
 * records from the question (malloc'd, owned by the caller), or NULL. */
mx_rcode dns_addrs_read(const unsigned char *abuf, int alen, int family, dns_addrs *out,
                        char **canon);

/* Cancels every question (each raw callback hears MX_RC_NOT_ASKED) and
 * closes the handles; memory is released as the loop runs the close
 * callbacks. Accepts NULL. */
void dns_client_free(dns_client *c);

#endif
