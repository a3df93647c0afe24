/* core/ev.h — evidence of a delivery problem (prefix ev_): the lines and
 * documents a postmaster arrives with, read into items `mxscope explain`
 * judges against the domain's routing now.
 *
 * One parser per kind, each pure (no I/O) and each a fuzz target:
 *   ev_postfix.c   Postfix maillog lines (status=, connect to, refused to
 *                  talk, conversation timed out, TLS verification)
 *   ev_queue.c     `postqueue -j` JSON lines and `mailq` / `postqueue -p`
 *   ev_exim.c      Exim mainlog lines (== defer, ** bounce, => delivered)
 *   ev_dsn.c       RFC 3464 delivery status notifications (.eml or mbox)
 *   ev_tlsrpt.c    RFC 8460 §4 TLS-RPT reports (JSON; gzip is undone by
 *                  the caller, which reads the file)
 *   ev.c           the reader: bytes in, the kind detected per file (and
 *                  per line in logs), items out through a callback, the
 *                  count and first line numbers of what it could not read.
 *
 * Memory is bounded whatever the input: lines are cut at EV_LINE_MAX, an
 * item's fields are fixed-size, a TLS-RPT document is at most
 * EV_DOC_MAX bytes, and Postfix's "connect to" lines wait for their status
 * line in a table of EV_PENDING_MAX entries. */
#ifndef MXSCOPE_EV_H
#define MXSCOPE_EV_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define EV_LINE_MAX    8192
#define EV_DOC_MAX     (16u << 20)
#define EV_PENDING_MAX 64
#define EV_BAD_KEEP    5 /* line numbers kept of what could not be read */

typedef enum ev_kind {
	EV_UNKNOWN = 0,
	EV_POSTFIX,   /* maillog */
	EV_POSTQUEUE, /* postqueue -j */
	EV_MAILQ,     /* mailq, postqueue -p */
	EV_EXIM,      /* mainlog */
	EV_DSN,       /* RFC 3464 message or mbox of them */
	EV_TLSRPT,    /* RFC 8460 report */
	EV_KIND_COUNT
} ev_kind;

/* "postfix-log", "postqueue-json", "mailq", "exim-log", "dsn", "tls-rpt". */
const char *ev_kind_name(ev_kind k);

/* Where in the delivery the evidence says it failed (DESIGN.md's words). */
typedef enum ev_phase {
	EV_PH_UNKNOWN = 0,
	EV_PH_DNS,
	EV_PH_CONNECT,
	EV_PH_GREETING,
	EV_PH_EHLO,
	EV_PH_STARTTLS,
	EV_PH_TLS_POLICY,
	EV_PH_MAIL,
	EV_PH_RCPT,
	EV_PH_DATA,
	EV_PH_COUNT
} ev_phase;

/* "dns", "connect", ..., "data"; NULL for UNKNOWN. */
const char *ev_phase_name(ev_phase p);

/* The sender policy a piece of evidence implies: a DANE or MTA-STS failure
 * only happens to a sender that enforces it. */
typedef enum ev_policy {
	EV_POL_NONE = 0,
	EV_POL_DANE,
	EV_POL_MTA_STS,
} ev_policy;

/* "dane", "mta-sts" (the sender profile's name); NULL for NONE. */
const char *ev_policy_name(ev_policy p);

/* One piece of evidence. Every string is NUL-terminated and "" when the
 * evidence does not say; bytes are as written (the caller sanitises before
 * printing). */
typedef struct ev_item {
	char source[160]; /* "maillog:12", "report.json#policies[0].failure-details[1]" */
	char when[40];    /* as written: "Dec 08 00:12:47", an RFC 3339 time, ... */
	char queue_id[32];
	char recipient[256];
	char domain[256]; /* the recipient's domain, lower-case */
	char mx_host[256];
	char ip[64];
	int port; /* 0 = not said */
	ev_phase phase;
	char status[16]; /* deferred, bounced, sent, expired, failed, delivered, attempt */
	int code;        /* SMTP reply code, 0 = none */
	char dsn[16];    /* enhanced status code "4.3.2", or "" */
	char text[512];  /* the reply or error text */
	ev_policy policy;
	unsigned long count; /* sessions or messages it stands for (TLS-RPT), else 1 */
	char tlsa[300];      /* a TLS-RPT "tlsa" policy's records, lower-case, "; " between:
	                        what the sender saw, to compare with the records now */
	char sts[400];       /* a TLS-RPT "sts" policy's policy-string as a policy body
	                        (lines joined by CR LF), for the same comparison */
} ev_item;

/* Clears it; count 1. */
void ev_item_init(ev_item *it);
/* Copies at most cap-1 bytes of s (len bytes) into dst, NUL-terminated. */
void ev_copy(char *dst, size_t cap, const char *s, size_t len);
/* The first w in the len bytes at s, or NULL (every log parser's search). */
const char *ev_find(const char *s, size_t len, const char *w);
/* Sets recipient and, from its part after '@', domain (lower-case). */
void ev_item_set_recipient(ev_item *it, const char *addr, size_t len);
/* Reads an SMTP reply out of text: "421 4.3.2 words" gives code 421, dsn
 * "4.3.2" and keeps the rest in it->text. Returns whether a code was seen. */
bool ev_item_set_reply(ev_item *it, const char *text, size_t len);
/* "HOST[IP]" or "HOST[IP]:PORT" at s into mx_host, ip and port; false
 * when s is not of that form. *end (may be NULL) is after what was read. */
bool ev_item_set_hostip(ev_item *it, const char *s, size_t len, const char **end);
/* The phase of an SMTP command as a sender's log names it ("RCPT TO",
 * "end of DATA", "MAIL FROM", "EHLO", "STARTTLS"). */
ev_phase ev_phase_of_command(const char *s, size_t len);

/* What one line parser made of its line. */
typedef enum ev_line_result {
	EV_LINE_BAD = 0, /* not of this kind, or damaged */
	EV_LINE_IGNORED, /* of this kind, but no evidence (pickup, cleanup, headers) */
	EV_LINE_ITEM,    /* it->... filled */
} ev_line_result;

typedef void (*ev_item_fn)(const ev_item *it, void *arg);

/* ---- the parsers, one per kind (each a fuzz target) -------------------- */

/* A Postfix log line: the item, and in *pid (may be NULL) the process id of
 * the line's program. An item without a recipient (a "connect to" line, a
 * "host ... refused to talk to me" line) belongs to the next status line
 * of that pid: the reader fills it from there. */
ev_line_result ev_postfix_line(const char *line, size_t len, ev_item *it, long *pid);
/* What the text of one Postfix attempt says ("connect to H[IP]:25:
 * Connection refused", "host H[IP] said: 550 ... (in reply to RCPT TO
 * command)"): phase, host, address, reply into it. The DSN and queue
 * parsers read Postfix's words with it too. */
void ev_postfix_reason(ev_item *it, const char *s, size_t len);
/* An Exim mainlog line. */
ev_line_result ev_exim_line(const char *line, size_t len, ev_item *it);
/* A `postqueue -j` line: one item per recipient, through fn. */
ev_line_result ev_postqueue_line(const char *line, size_t len, const char *label,
                                 unsigned long lineno, ev_item_fn fn, void *arg);

/* Streaming parsers with state across lines: `mailq` and DSNs. */
typedef struct ev_mailq ev_mailq;
ev_mailq *ev_mailq_new(const char *label, ev_item_fn fn, void *arg); /* owned by caller */
ev_line_result ev_mailq_line(ev_mailq *q, const char *line, size_t len, unsigned long lineno);
void ev_mailq_free(ev_mailq *q); /* accepts NULL; delivers nothing more */

typedef struct ev_dsn ev_dsn;
ev_dsn *ev_dsn_new(const char *label, ev_item_fn fn, void *arg); /* owned by caller */
ev_line_result ev_dsn_line(ev_dsn *d, const char *line, size_t len, unsigned long lineno);
/* At the end of input: the last message's recipients. */
void ev_dsn_finish(ev_dsn *d);
void ev_dsn_free(ev_dsn *d); /* accepts NULL */

/* A whole TLS-RPT report (RFC 8460 §4): one item per failure-details
 * entry. MXS_ERR_INVALID with *why (owned by the caller) when it is not
 * one. */
mxs_status ev_tlsrpt_parse(const char *doc, size_t len, const char *label, ev_item_fn fn, void *arg,
                           char **why);

/* ---- the reader ----------------------------------------------------------- */

typedef struct ev_reader ev_reader;

/* A reader for one input named label (a file name, "-"); every item goes
 * to fn. kind EV_UNKNOWN detects it from the first bytes. NULL when out of
 * memory. Owned by the caller. */
ev_reader *ev_reader_new(const char *label, ev_kind kind, ev_item_fn fn, void *arg);
/* Feeds bytes as they come (already decompressed). */
mxs_status ev_reader_feed(ev_reader *r, const char *buf, size_t len);
/* End of input. MXS_ERR_INVALID with *why for a document that cannot be
 * read at all (a TLS-RPT that is no JSON); lines that cannot be read are
 * only counted. */
mxs_status ev_reader_finish(ev_reader *r, char **why);
ev_kind ev_reader_kind(const ev_reader *r);
unsigned long ev_reader_lines(const ev_reader *r);
/* Lines that could not be read, and the first EV_BAD_KEEP of their numbers. */
unsigned long ev_reader_bad(const ev_reader *r, const unsigned long **first, size_t *nfirst);
unsigned long ev_reader_items(const ev_reader *r);
void ev_reader_free(ev_reader *r); /* accepts NULL */

#endif
