/* net/bl.h — the bl_ module (net/blocklist.c): asking IP blocklists about MX addresses over HTTP,
 * on the libuv loop: DNSBL zones through DNS over HTTPS (RFC 8484; the query made by c-ares'
 * ares_create_query, the answer read by dns_addrs_read and ares_parse_txt_reply) and JSON HTTP
 * APIs, both with libcurl's multi socket API. The rules that read answers are in core/blocklist.h.
 *
 * Manners: every answer is cached per (provider, address) for its TTL
 * (DoH: the A record's, at most an hour; JSON: the provider's ttl); each
 * provider has a token bucket (rate = N/s, burst max(1, N)) and lookups
 * beyond it wait in a FIFO, never dropped; at most max_transfers HTTP
 * transfers run at once; each lookup has a deadline; bodies are bounded
 * (64 KiB: the transfer is aborted beyond it). Nothing here blocks. */
#ifndef MXSCOPE_BL_H
#define MXSCOPE_BL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "blocklist.h"
#include "status.h"

#define BL_DEFAULT_TIMEOUT_MS 5000
#define BL_DEFAULT_TRANSFERS  16

typedef struct bl_config {
	unsigned timeout_ms;    /* per lookup, from its start on the wire (--timeout); 0 = 5 s */
	unsigned max_transfers; /* HTTP transfers at once, all providers; 0 = 16 */
	const char *ca_pem;     /* extra trusted CA in PEM replacing the system store, or
	                           NULL; copied */
} bl_config;

typedef struct bl_client bl_client;

/* Called once per (lookup, enabled provider); r is owned by the callee
 * (blr_result_free). Never called from inside bl_lookup: cache hits come
 * on the next loop turn. r never holds a provider's key. */
typedef void (*bl_done_cb)(blr_result *r, void *arg);

/* A client for the enabled providers of providers, which must outlive it
 * and must pass blr_config_check. NULL with *why (owned by the caller) on a
 * bad configuration. Owned by the caller: bl_client_free(). libcurl must be
 * initialised (smtp_global_init does curl_global_init). */
bl_client *bl_client_new(uv_loop_t *loop, const blr_config *providers, const bl_config *cfg,
                         char **why);

/* How many providers each lookup asks (the callbacks per bl_lookup). */
size_t bl_client_provider_count(const bl_client *c);

/* Asks every enabled provider about ip (IPv4 or IPv6 text; copied). cb is
 * called once per provider; *ncb (may be NULL) says how many. MXS_ERR_INVALID
 * when ip is not an address; MXS_ERR_NOMEM. */
mxs_status bl_lookup(bl_client *c, const char *ip, bl_done_cb cb, void *arg, size_t *ncb);

/* Cancels every lookup whose cb and arg are these; their callbacks are not
 * called. Returns how many (provider) lookups were cancelled. */
size_t bl_cancel(bl_client *c, bl_done_cb cb, void *arg);

size_t bl_client_busy(const bl_client *c);             /* lookups queued, running or due */
unsigned long bl_client_transfers(const bl_client *c); /* HTTP requests started */
unsigned bl_client_peak(const bl_client *c);           /* most transfers at once */
unsigned long bl_client_cache_hits(const bl_client *c);

/* Cancels everything (no callbacks) and closes the handles; memory is
 * released as the loop runs the close callbacks. May be called from a
 * callback. Accepts NULL. */
void bl_client_free(bl_client *c);

/* ---- configuration files ------------------------------------------------- */

/* $XDG_CONFIG_HOME/mxscope/config, or ~/.config/mxscope/config; NULL when
 * neither variable is set or out of memory. Owned by the caller. */
char *bl_config_default_path(void);

/* Reads the config file at path (at most 64 KiB) into c, with keys from the
 * environment. A missing file is MXS_OK when !must_exist (the default path),
 * else MXS_ERR_IO with *why. A file that holds a key and is readable by
 * others sets *warning (owned by the caller; for the caller to print). */
mxs_status bl_config_load(blr_config *c, const char *path, bool must_exist, char **warning,
                          char **why);

/* bl_config_load in two halves, for the settings reader (src/conffile.c),
 * which takes its own lines out of the file before the providers are read:
 * the bounded read (*text NULL and MXS_OK for a missing file that need not
 * exist; else owned by the caller, to be released with bl_config_wipe since
 * it may hold a key; *mode the file's permission bits), and the parse of
 * that text with keys from the environment and every url = checked. */
mxs_status bl_config_read(const char *path, bool must_exist, char **text, size_t *len,
                          unsigned *mode, char **why);
mxs_status bl_config_parse_text(blr_config *c, const char *path, const char *text, unsigned mode,
                                char **warning, char **why);
void bl_config_wipe(char *text, size_t len); /* zeroes and frees; accepts NULL */

/* ---- the URL rule ---------------------------------------------------------- */

/* The one rule for every blocklist URL (url = in the config, --blocklist
 * ZONE@URL, the lab's providers), applied to what libcurl's URL API makes
 * of it: https:// to any host, or http:// only to a loopback host
 * (127.0.0.0/8, [::1], localhost); never a user, password or login-options
 * part; no blank, control byte, backslash or IPv6 zone id. MXS_ERR_INVALID
 * with a one-line *why (which never quotes the URL: it may hold a secret).
 * bl_config_load applies it to every url = of the file, bl_client_new to
 * every enabled provider, and each transfer connects with the very handle
 * that was checked. Needs curl_global_init (smtp_global_init). */
mxs_status bl_url_check(const char *url, char **why);

/* ---- exposed for tests and fuzzing ---------------------------------------- */

/* Reads a DoH answer (untrusted bytes) to the question (qname, qtype 1 = A
 * or 16 = TXT) into r: A answers set state, codes and ttl through
 * blr_interpret_a; TXT answers set the reason. A message that is not a
 * reply to that question makes r unavailable. */
mxs_status bl_doh_read(blr_result *r, const blr_provider *p, const char *qname, int qtype,
                       const uint8_t *msg, size_t len);

/* RFC 4648 §5 base64url without padding, as RFC 8484 §4.1 wants; out needs
 * 4 * ceil(len / 3) + 1 bytes. Returns the length written. */
size_t bl_base64url(const uint8_t *in, size_t len, char *out);

#endif
