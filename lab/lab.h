/* lab/lab.h — the embedded lab: scenario files and the DNS server that serves them.
 *
 * A scenario is a plain-text file in master-file syntax (RFC 1035 §5) with a
 * few `$` directives of our own that give it a name, a title, the domain(s)
 * to look at and an explanation for the room (see docs/lab.md). A lab_world
 * holds any number of loaded scenarios; lab_dns serves the world over UDP and
 * TCP on loopback. Every address in a shipped scenario is in 127.0.0.0/8 or ::1.
 *
 * The files, one concern each:
 *   world.c        the lab_world: records by owner name, $SMTP hosts, scenario
 *                  views, the live MX changes and reset (the store the servers read)
 *   zone.c         the zone-file reader: master-file lines, tokens, record data
 *   scenario.c     the `$` directives and the $SMTP behaviour language
 *   trainer.c      the trainer's command language (trainer.h)
 *   dns_server.c   the one DNS codec (lab_dns_answer) and the UDP/TCP server
 *   smtp_server.c  the SMTP hosts that act out $SMTP behaviours
 *   http_server.c  the blocklist endpoint: DoH for its built-in zone, a JSON API
 *   tcp.c          the connection layer under the three servers
 *   tls.c          the lab CA and the certificates it signs
 * zone_internal.h is what world, reader and directives share; lab_internal.h
 * what the servers share.
 */
#ifndef MXSCOPE_LAB_H
#define MXSCOPE_LAB_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "probe.h"
#include "status.h"

/* ---- scenarios ------------------------------------------------------- */

typedef struct lab_world lab_world;

/* A new empty world; NULL when out of memory. Owned by the caller. */
lab_world *lab_world_new(void);
void lab_world_free(lab_world *w); /* accepts NULL */

/* Bounds what loading may take: bytes of one scenario's text and records in
 * the whole world. The defaults (64 MiB, 1,000,000) fit a 100,000-domain
 * benchmark zone; a smaller bound suits tests. */
void lab_world_set_limits(lab_world *w, size_t max_bytes, size_t max_records);

/* Parses one scenario from text; origin names it in messages (a file path or
 * "builtin:NAME"). On a syntax error *why is "ORIGIN:LINE: what was expected"
 * (malloc'd, owned by the caller) and the world is left unchanged. */
mxs_status lab_world_load_string(lab_world *w, const char *origin, const char *text, char **why);
/* Same, reading the file at path (bounded by the world's byte limit). */
mxs_status lab_world_load_file(lab_world *w, const char *path, char **why);
/* Loads every scenario embedded in the binary (the .zone files in lab/scenarios). */
mxs_status lab_world_load_builtin(lab_world *w, char **why);
/* Loads the built-in scenario called name; MXS_ERR_INVALID when none is. */
mxs_status lab_world_load_builtin_named(lab_world *w, const char *name, char **why);

size_t lab_world_scenario_count(const lab_world *w);
/* Views into the world, valid until it is freed or loaded into again. */
const char *lab_scenario_name(const lab_world *w, size_t i);    /* "equal-preference" */
const char *lab_scenario_title(const lab_world *w, size_t i);   /* one line */
const char *lab_scenario_explain(const lab_world *w, size_t i); /* paragraphs, may be "" */
size_t lab_scenario_domain_count(const lab_world *w, size_t i);
const char *lab_scenario_domain(const lab_world *w, size_t i, size_t j);
/* The --as host a scenario suggests for the relay view, or NULL. */
const char *lab_scenario_as(const lab_world *w, size_t i);

/* ---- live changes, for a trainer ----------------------------------------- */

/* The world changes in place; lab_dns reads it on every query, so the next
 * answer already shows the change. Names are absolute (a final dot is
 * optional) and domain must be a name in the lab. MXS_ERR_INVALID with *why
 * ("pref.lab.test has no MX record for mx9.pref.lab.test") when the record
 * is not there, or already is for add. */
mxs_status lab_world_set_mx_preference(lab_world *w, const char *domain, const char *host,
                                       unsigned pref, char **why);
mxs_status lab_world_add_mx(lab_world *w, const char *domain, unsigned pref, const char *host,
                            char **why);
mxs_status lab_world_remove_mx(lab_world *w, const char *domain, const char *host, char **why);
/* The MTA-STS policy of domain (a $MTA-STS line) gets another mode
 * (enforce, testing, none) or another way of being served (ok, missing,
 * redirect, html); add_sts_mx adds an mx: pattern. MXS_ERR_INVALID with
 * *why for a domain without a policy or a bad word. */
mxs_status lab_world_set_sts(lab_world *w, const char *domain, const char *word, char **why);
mxs_status lab_world_add_sts_mx(lab_world *w, const char *domain, const char *pattern, char **why);
/* Undoes every change: the records are loaded again from the scenario texts
 * (kept at load). Scenario and host views stay valid. */
mxs_status lab_world_reset(lab_world *w, char **why);

/* ---- the DNS server -------------------------------------------------- */

/* Answers one DNS query message from the world, as an authoritative server.
 * query/qlen are untrusted bytes. udp_limit is the largest answer the client
 * can take (512, or its EDNS size capped at 1232; 65535 over TCP); an answer
 * that does not fit is cut to the header and question with TC set. Writes at
 * most outcap bytes to out and returns the answer length, or 0 when the query
 * deserves no answer at all (not a query, too short to echo an ID). */
size_t lab_dns_answer(const lab_world *w, const uint8_t *query, size_t qlen, uint8_t *out,
                      size_t outcap, int over_tcp);

typedef struct lab_dns lab_dns;

/* Binds UDP and TCP on addr:port (port 0 picks a free one) and serves w on
 * loop until lab_dns_close(). w must outlive the server. On failure returns
 * NULL with *why saying which address and port and why ("127.0.0.1:5300:
 * address already in use"). */
lab_dns *lab_dns_new(uv_loop_t *loop, const lab_world *w, const char *addr, int port, char **why);
int lab_dns_port(const lab_dns *s); /* the port actually bound */
/* Questions of type qtype (1..255, e.g. 33 for SRV) received so far, over
 * UDP and TCP: tests prove with it what a client did not ask. */
unsigned long lab_dns_questions(const lab_dns *s, unsigned qtype);
/* Stops serving; memory is released once the loop has run the close
 * callbacks. Accepts NULL. */
void lab_dns_close(lab_dns *s);

/* ---- the SMTP hosts ---------------------------------------------------- */

/* Scenario files give each lab address a behaviour with
 *   $SMTP ADDRESS BEHAVIOUR [key=value ...]
 * (docs/lab.md). lab_smtp listens on every such address, all on one port
 * (but for each scenario's own ::1 host: lab_smtp_overrides), and acts out
 * the behaviour; an address without a $SMTP line has nothing
 * listening (connection refused). STARTTLS certificates are made at start
 * and signed by a lab CA made at start too, so a probe that trusts the CA
 * sees a valid chain where the scenario says tls=valid. */
typedef struct lab_smtp lab_smtp;

#define LAB_SMTP_DEFAULT_PORT 2525

/* Binds every $SMTP address of w on port (0: one free port that works for
 * every address). w must outlive the server. NULL with *why naming the
 * address, port and reason when a bind fails. */
lab_smtp *lab_smtp_new(uv_loop_t *loop, const lab_world *w, int port, char **why);
int lab_smtp_port(const lab_smtp *s);
size_t lab_smtp_listener_count(const lab_smtp *s);
/* "127.0.1.1:2525" or "[::1]:2525", valid while s lives. */
const char *lab_smtp_listener(const lab_smtp *s, size_t i);
/* The lab CA certificate in PEM, NUL-terminated, valid while s lives. */
const char *lab_smtp_ca_pem(const lab_smtp *s);
/* The address map the prober needs (core/probe.h): ::1 is every
 * scenario's one IPv6 address, so each scenario's ::1 host listens on a
 * port of its own (the first keeps the lab's port), and a probe of ::1 as a
 * name in that scenario's zone (its first $ORIGIN) must go there. *n
 * entries, one per ::1 host with a zone; views valid while s lives. */
const probe_port_override *lab_smtp_overrides(const lab_smtp *s, size_t *n);
/* Live changes, for a trainer. The host at ip ("127.0.16.1", "::1") gets a
 * new behaviour (every scenario's host at ::1 for "::1"): accept, refuse,
 * silent, tempfail (421), reject (554),
 * "slow N" (N seconds before the greeting), any other $SMTP behaviour word,
 * or "down" (= refuse) and "up" (the scenario's behaviour, or accept when
 * the scenario had it refuse). refuse closes the address's listener and
 * drops its connections, so a connect is refused; the others (re)open it
 * on the lab's port. MXS_ERR_INVALID with *why for an address without a
 * $SMTP line or an unknown word; MXS_ERR_IO when the listener cannot bind. */
mxs_status lab_smtp_set_behaviour(lab_smtp *s, const char *ip, const char *behaviour, char **why);
/* The host at ip gets a certificate with its key number key (lab/tls.c;
 * $SMTP's key=N), as after a renewal with a new key: a TLSA record that
 * pinned another key goes stale. New connections see it. MXS_ERR_INVALID
 * with *why for an address without a $SMTP line or one without STARTTLS. */
mxs_status lab_smtp_set_key(lab_smtp *s, const char *ip, unsigned key, char **why);
/* How the host at ip answers RCPT TO: accept (250), reject (550 relaying
 * denied), tempfail (451). MXS_ERR_INVALID for an unknown address or word. */
mxs_status lab_smtp_set_rcpt(lab_smtp *s, const char *ip, const char *word, char **why);
/* Every host back to its scenario behaviour and key (the first error is kept). */
mxs_status lab_smtp_reset(lab_smtp *s, char **why);
/* Stops serving and drops every connection; memory is released once the
 * loop has run the close callbacks. Accepts NULL. */
void lab_smtp_close(lab_smtp *s);

/* ---- the MTA-STS policy server ------------------------------------------ */
/* HTTPS on addr:port (0: a free port) serving /.well-known/mta-sts.txt for
 * Host mta-sts.DOMAIN from the world's $MTA-STS lines, with certificates
 * from smtp's CA (lab_smtp_ca_pem trusts both). w and smtp must outlive it.
 * NULL with *why when the bind fails. */
typedef struct lab_sts_server lab_sts_server;
lab_sts_server *lab_sts_server_new(uv_loop_t *loop, const lab_world *w, lab_smtp *smtp,
                                   const char *addr, int port, char **why);
int lab_sts_server_port(const lab_sts_server *s);
const char *lab_sts_server_address(const lab_sts_server *s); /* "127.0.0.1:PORT" */
unsigned long lab_sts_server_requests(const lab_sts_server *s);
/* Stops serving; memory follows from the loop. Before lab_smtp_close.
 * Accepts NULL. */
void lab_sts_server_close(lab_sts_server *s);

/* ---- the HTTP endpoint: the lab's blocklist ------------------------------ */

/* One HTTP/1.1 listener serving DNS over HTTPS (RFC 8484, GET ?dns= and
 * POST) for the DNSBL zone LAB_HTTP_ZONE at /dns-query, and a JSON API at
 * /api/check/{ip} ({"listed": bool, "reason": "..."}). What each address
 * gets is a fixed table, documented in docs/lab.md "Blocklists": 127.0.40.2
 * listed, 127.0.40.4 refused, 127.0.40.5 slow, 127.0.40.6 HTTP 500, ...; any
 * other address is not listed. Plain HTTP, loopback only. */
typedef struct lab_http lab_http;

#define LAB_HTTP_ZONE "bl.lab.test"

/* Binds addr:port (port 0 picks a free one). NULL with *why ("127.0.0.1:
 * 8053: address already in use"). */
lab_http *lab_http_new(uv_loop_t *loop, const char *addr, int port, char **why);
int lab_http_port(const lab_http *s);
/* "127.0.0.1:PORT" or "[::1]:PORT", valid while s lives. */
const char *lab_http_address(const lab_http *s);
/* Requests served so far (complete request heads), for tests of caching. */
unsigned long lab_http_requests(const lab_http *s);
size_t lab_http_connections(const lab_http *s); /* open right now */
/* Stops serving and drops every connection; memory is released once the
 * loop has run the close callbacks. Accepts NULL. */
void lab_http_close(lab_http *s);

#endif
