/* core/record.h — recordings (prefix rec_): one line of `mxscope check
 * --json` read back into the same model the live scan produces, and written
 * out again with what a replay needs to know about the run.
 *
 * A recording is the NDJSON `check --json` prints: one object per domain per
 * line. Every field keeps its name and meaning; a recording adds one object,
 * "recorded", to each line (docs/replay.md):
 *
 *   "recorded": {"at": "2026-11-29T13:20:01Z", "mxscope": "0.3.0",
 *                "resolver": "127.0.0.1:5300", "smtp_port": 25,
 *                "no_probe": false, "allow_loopback": false,
 *                "timeout_ms": 5000}
 *
 * Reading rebuilds the domain from what DNS, the probes and the blocklists
 * said (records, addresses, TTLs, rcodes, probe results, blocklist results)
 * and runs the same analysis the scan runs (mx_domain_analyze with the
 * recorded seed, --as and loopback policy): tiers, attempt order, walk and
 * findings come out as they did live. No I/O here but the line itself;
 * rec_read_file reads a whole file through core/line.
 *
 * A recording is untrusted input (a colleague's file): every count and
 * string is bounded, and a bad line is refused with one line saying where. */
#ifndef MXSCOPE_RECORD_H
#define MXSCOPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mx.h"
#include "status.h"

#define REC_LINE_MAX  (8u << 20) /* bytes of one recorded line */
#define REC_MAX_HOSTS 1024       /* MX hosts per domain */
#define REC_MAX_ADDRS 256        /* addresses per host */

/* What a replay needs to know about the run that made a line. Strings owned
 * by the struct (rec_meta_clear). */
typedef struct rec_meta {
	char *at;       /* RFC 3339 UTC time the domain's result was in; NULL = unknown */
	char *version;  /* the mxscope that recorded it, or NULL */
	char *resolver; /* the DNS server(s) asked, "127.0.0.1:5300", or NULL */
	int smtp_port;  /* the port probed, 0 = unknown */
	bool no_probe;
	bool allow_loopback;
	unsigned timeout_ms; /* 0 = unknown */
	/* how the stages asked, so that replay --commands prints the lines the
	 * live run printed (check --commands) */
	char *ehlo;       /* the EHLO name the probes said, or NULL = unknown */
	int mta_sts_port; /* HTTPS port of the policy hosts; 0 = 443 / unknown */
	int ns_port;      /* port the name servers were asked on; 0 = 53 / unknown */
	bool dane;        /* --dane: TLSA asked in every zone */
	bool present;     /* the line carried a "recorded" object */
} rec_meta;

void rec_meta_clear(rec_meta *m); /* frees the strings, zeroes m */

/* dst becomes a deep copy of src (dst's old strings are not freed: clear
 * it first). MXS_ERR_NOMEM leaves dst cleared. */
mxs_status rec_meta_copy(rec_meta *dst, const rec_meta *src);

/* The current time as RFC 3339 UTC into out (at least 21 bytes). */
void rec_now(char *out, size_t cap);

/* One recording line (no newline): the domain's `check --json` object with
 * the "recorded" object added at the end. m may be NULL (no "recorded").
 * New string owned by the caller (free()), NULL when out of memory. */
char *rec_line(const mx_domain *d, const rec_meta *m);

/* Reads one line (len bytes, need not be NUL-terminated) into a new
 * analysed domain (*out, owned by the caller) and *m (cleared first; may be
 * NULL). MXS_ERR_INVALID with *why (owned by the caller) saying what is
 * wrong and where in the object ("mx[1].addresses[0].probe.state: ...");
 * MXS_ERR_NOMEM. */
mxs_status rec_parse(const char *line, size_t len, mx_domain **out, rec_meta *m, char **why);

/* Called once per line of a file: either d (a new analysed domain the
 * callee now owns) and m (valid during the call), or error, one line
 * "FILE:LINE: what" (valid during the call). lineno counts from 1. */
typedef void (*rec_cb)(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                       void *arg);

/* Reads a recording; blank lines are skipped, every other line is handed
 * to cb; a bad line (not JSON, truncated, not a domain, too long) is one
 * error and the reading goes on. MXS_ERR_IO with *why when the file cannot
 * be read at all (missing, a directory, a FIFO). *nbad counts bad lines. */
mxs_status rec_read_file(const char *path, rec_cb cb, void *arg, size_t *nbad, char **why);

/* ---- writing a recording as it runs ------------------------------------ */

/* Opens path for appending (created 0644 when missing). -1 with *why. */
int rec_open(const char *path, char **why);
/* Appends line and a newline with ONE write(2) on an O_APPEND descriptor:
 * the line lands whole after everything written before, so a crash loses
 * at most the line being written and two writers never interleave inside
 * a line. MXS_ERR_IO with *why when the write fails or is short. */
mxs_status rec_append(int fd, const char *line, char **why);

#endif
