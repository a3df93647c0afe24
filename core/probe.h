/* core/probe.h — what one SMTP probe of one address found, and the pure
 * helpers that read SMTP replies. No I/O: net/smtp runs the probe with
 * libcurl and fills a probe_result; core/mx_order.c walks the results the
 * way a sending MTA would (RFC 5321 §5.1, §4.5.3.2).
 *
 * A probe never sends DATA or BDAT. By default it sends connect, greeting,
 * EHLO, STARTTLS when offered, NOOP, QUIT; only with the opt-in recipient
 * stage (--rcpt) it sends MAIL FROM:<>, RCPT TO, RSET instead of NOOP. */
#ifndef MXSCOPE_PROBE_H
#define MXSCOPE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* How a probe ended, from the sender's point of view. */
#define PROBE_STATES(X)                                                                            \
	X(PENDING, "pending", "not probed yet")                                                    \
	X(ACCEPTED, "accepted", "greeted with 2xx: a sender hands the mail over here")             \
	X(TEMPFAIL, "tempfail", "greeted with 4xx: try the next host, retry later")                \
	X(REJECTED, "rejected", "greeted with 5xx: try the next host")                             \
	X(REFUSED, "refused", "connection refused: nothing listens")                               \
	X(CONNECT_TIMEOUT, "connect-timeout", "no answer to the connection attempt")               \
	X(GREETING_TIMEOUT, "greeting-timeout", "connected, but no greeting in time")              \
	X(UNREACHABLE, "unreachable", "no route to the address")                                   \
	X(TLS_FAILED, "tls-failed", "the STARTTLS handshake failed")                               \
	X(GARBAGE, "garbage", "the server does not speak SMTP")                                    \
	X(DROPPED, "dropped", "greeted with 2xx, then hung up or went quiet at EHLO or STARTTLS")  \
	X(ERROR, "error", "the probe could not be run")

typedef enum probe_state {
#define PROBE_X_ID(id, word, meaning) PROBE_##id,
	PROBE_STATES(PROBE_X_ID)
#undef PROBE_X_ID
	    PROBE_STATE_COUNT
} probe_state;

const char *probe_state_word(probe_state s);    /* "accepted" */
const char *probe_state_meaning(probe_state s); /* one line for people */
/* true for the states after which a sender moves on to the next address */
bool probe_state_moves_on(probe_state s);

/* The lab's address map, and only the lab's: every lab scenario's IPv6
 * host is ::1, so each listens on a port of its own, and a probe of ip as
 * a name in zone (zone itself or a name under it) goes to port instead of
 * the usual one. The lab makes the list (lab_smtp_overrides), the prober
 * follows it (net/smtp.h); a real run never has one: a port belongs to the
 * service, not to a name (RFC 5321 §5.1 says port 25). */
typedef struct probe_port_override {
	const char *zone; /* "v6.lab.test", a trailing dot allowed */
	const char *ip;   /* "::1" */
	int port;         /* 1-65535 */
} probe_port_override;

#define PROBE_TRANSCRIPT_MAX 16384 /* bytes kept of each transcript */
#define PROBE_GREETING_MAX   4096  /* bytes kept of the greeting text */
#define PROBE_EHLO_MAX_LINES 64    /* EHLO extension lines kept */
#define PROBE_EHLO_LINE_MAX  512   /* bytes kept of one EHLO line (RFC 5321 §4.5.3.1.5) */

#define PROBE_CHAIN_MAX 16 /* certificates kept of what a server sends */
#define PROBE_SAN_MAX   64 /* subjectAltName entries kept of one certificate */

/* One certificate as the server sent it. Text fields are printable ASCII
 * (OpenSSL's one-line form escapes the rest); hashes are lower-case hex. */
typedef struct probe_cert {
	char *subject, *issuer;       /* "O = Example, CN = mx.example.org" */
	char *not_before, *not_after; /* RFC 3339 UTC: "2026-11-29T12:00:00Z" */
	char **san;                   /* DNS names and addresses, at most PROBE_SAN_MAX */
	size_t nsan;
	char spki_sha256[65], cert_sha256[65];
	/* the bytes DANE matches (RFC 6698 §2.1.2): the whole certificate
	 * (selector 0) and its SubjectPublicKeyInfo (selector 1), DER */
	unsigned char *der, *spki;
	size_t der_len, spki_len;
	bool signed_by_next; /* its signature verifies with the next certificate's key */
} probe_cert;

/* The certificate is judged after the handshake, never during it: a sender
 * doing opportunistic TLS delivers whatever it is, and a person needs to see
 * the certificate most when it fails (net/cert.c). */
typedef struct probe_tls {
	bool offered;                                    /* STARTTLS was in the EHLO reply */
	bool done;                                       /* the handshake completed */
	bool verified;                                   /* chain and MX host name verified */
	char *verify_error;                              /* why not, or NULL */
	char *subject, *issuer, *not_before, *not_after; /* the server's own (chain[0]); NULL
	                                                    when unknown; times RFC 3339 */
	char *version;                                   /* "TLSv1.3" or NULL */
	probe_cert *chain; /* as sent, the server's own first; NULL when none */
	size_t nchain;
	bool name_ok; /* the server's certificate names the host asked for (RFC 6125),
	                 whatever the chain's verdict */
} probe_tls;

/* Frees what c holds (not c itself). */
void probe_cert_clear(probe_cert *c);
/* Deep-copies src into *dst; false when out of memory (*dst then holds
 * nothing to free). */
bool probe_cert_copy(probe_cert *dst, const probe_cert *src);
/* Whether the certificate matched the host's TLSA records (RFC 7672 §3).
 * NOT_CHECKED: no DANE check was made (not shown); NONE: nothing to match
 * against (no secure TLSA records, or no certificate). */
typedef enum probe_dane {
	PROBE_DANE_NOT_CHECKED = 0,
	PROBE_DANE_NONE,
	PROBE_DANE_MATCH,
	PROBE_DANE_MISMATCH,
} probe_dane;

/* "none", "match", "mismatch"; NULL for NOT_CHECKED. */
const char *probe_dane_str(probe_dane d);

/* The recipient stage (--rcpt): what RCPT TO was answered. to == NULL: the
 * stage did not run. code 0: no reply to RCPT (the stage broke off before,
 * reply then says why). */
typedef struct probe_rcpt {
	char *to;    /* the address asked for */
	int code;    /* the RCPT reply code, 0 when none */
	char *reply; /* the reply text, lines joined with '\n' (bounded), or NULL */
} probe_rcpt;

#define PROBE_RCPT_REPLY_MAX 1024 /* bytes kept of the RCPT reply */

/* Times in milliseconds from the start of the probe; -1 = not reached. */
typedef struct probe_times {
	long connect, greeting, ehlo, tls, total;
} probe_times;

typedef struct probe_result {
	char *host; /* the MX name the probe verified against */
	char *ip;
	int port;
	probe_state state;
	int code;            /* greeting reply code, 0 when none */
	char *greeting;      /* greeting text, lines joined with '\n', raw bytes (bounded) */
	size_t greeting_len; /* bytes in greeting: it may hold the server's NULs */
	char **ehlo;         /* EHLO extension lines ("PIPELINING", "SIZE 10240000") */
	size_t *ehlo_len;    /* bytes in each EHLO line (NULs kept), or NULL */
	size_t nehlo;
	probe_tls tls;
	probe_times t;
	char *transcript;      /* "S: ...\nC: ...\n", raw bytes, at most PROBE_TRANSCRIPT_MAX */
	size_t transcript_len; /* bytes in transcript: it may hold the server's NULs */
	bool transcript_cut;   /* more was said than kept */
	char *error;           /* what went wrong, for people (libcurl's words), or NULL */
	probe_dane dane;       /* the DANE verdict on the certificate */
	probe_rcpt rcpt;       /* the recipient stage, when it ran */
} probe_result;

/* Every text a server sent is kept byte for byte, NUL bytes included, so a
 * report can show a NUL as a NUL (JSON "\u0000", text "\0"): each string is
 * still NUL-terminated, and its length field says how many bytes it holds.
 * A length of 0 with a non-empty string means "up to the first NUL" (a
 * result built by hand), which is what the *_len() readers below return. */
size_t probe_greeting_len(const probe_result *r);
size_t probe_transcript_len(const probe_result *r);
size_t probe_ehlo_len(const probe_result *r, size_t i);

/* A new zeroed result for host/ip/port (state PENDING, times -1); NULL when
 * out of memory. Owned by the caller; probe_result_free accepts NULL. */
probe_result *probe_result_new(const char *host, const char *ip, int port);
void probe_result_free(probe_result *r);
/* A deep copy, owned by the caller. */
probe_result *probe_result_dup(const probe_result *r);

/* Records the recipient stage on r: to and reply (len bytes, cut at
 * PROBE_RCPT_REPLY_MAX) copied. A second call replaces the first. */
mxs_status probe_rcpt_set(probe_result *r, const char *to, int code, const char *reply, size_t len);

/* Appends one line to the transcript as "D: line\n" (a trailing CR LF or LF
 * of data is dropped), keeping at most PROBE_TRANSCRIPT_MAX bytes: what does
 * not fit is cut and transcript_cut set, and nothing is added after that, so
 * the transcript is always a prefix of what was said. dir is 'S' (server) or
 * 'C' (client). Every byte is kept as sent, NUL included (transcript_len).
 * MXS_ERR_INVALID for another dir. */
mxs_status probe_transcript_add(probe_result *r, char dir, const char *data, size_t len);

/* Appends the text of one greeting line (after the code and separator),
 * joined to what is there with '\n', keeping at most PROBE_GREETING_MAX
 * bytes; NULs are kept (greeting_len). */
mxs_status probe_greeting_add(probe_result *r, const char *text, size_t len);

/* Adds one EHLO extension line, cut at PROBE_EHLO_LINE_MAX bytes; beyond
 * PROBE_EHLO_MAX_LINES lines nothing is added. NULs are kept (ehlo_len). */
mxs_status probe_ehlo_add(probe_result *r, const char *text, size_t len);

/* Reads one SMTP reply line ("250-SIZE 1000", "220 ready"): *code is the
 * three-digit code, *more is true for a continuation line ('-'), *text
 * points at the text after the separator. Returns false when the line is
 * not an SMTP reply line (RFC 5321 §4.2): a code whose digits are not
 * 2-5, 0-5, 0-9, or a fourth byte other than ' ' or '-'. A bare code ("250")
 * is a last line with empty text. A trailing CR LF or LF is not part of the
 * text. line need not be NUL-terminated. */
bool probe_parse_reply_line(const char *line, size_t len, int *code, bool *more, const char **text,
                            size_t *textlen);

/* Reads the lines of one SMTP reply in turn. RFC 5321 §4.2.1: every line
 * of a multi-line reply carries the same code, so "220-a" then "250 b" is
 * no 220 greeting (and no 250 either): it is malformed. Zero a probe_reply
 * to start; after PROBE_REPLY_DONE it is ready for the next reply. */
typedef struct probe_reply {
	int code; /* the code of the reply's first line; 0 before it */
} probe_reply;

typedef enum probe_reply_step {
	PROBE_REPLY_MORE,         /* a continuation line ('-'): more lines follow */
	PROBE_REPLY_DONE,         /* the last line: the reply is complete */
	PROBE_REPLY_NOT_SMTP,     /* not an SMTP reply line (probe_parse_reply_line) */
	PROBE_REPLY_CODE_CHANGED, /* a line with another code than the reply's first */
} probe_reply_step;

/* Feeds one line: *code, *text and *textlen as probe_parse_reply_line (any
 * may be NULL; *code is the line's own code, set for CODE_CHANGED too).
 * NOT_SMTP and CODE_CHANGED leave rp as it was. */
probe_reply_step probe_reply_feed(probe_reply *rp, const char *line, size_t len, int *code,
                                  const char **text, size_t *textlen);

/* Why a line was refused, for people; NULL for MORE and DONE. Static. */
const char *probe_reply_step_why(probe_reply_step s);

#endif
