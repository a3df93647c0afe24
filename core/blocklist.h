/* core/blocklist.h — what IP blocklists say about an MX address, without
 * any I/O: the result of one (provider, address) lookup, the RFC 5782
 * query names, the rules that read a DNSBL answer or a JSON API's body, a
 * JSON pointer (RFC 6901) evaluator, and the provider configuration file.
 *
 * net/blocklist does the HTTP (DoH and JSON APIs) and fills blr_results.
 *
 * Secrets: a provider's API key lives only in its blr_provider. Every string
 * this module produces (results, errors, warnings, descriptions) is free of
 * the key; blr_result_redact() scrubs text that came from elsewhere. */
#ifndef MXSCOPE_BLOCKLIST_H
#define MXSCOPE_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum blr_kind {
	BLR_DNSBL_DOH = 0, /* a DNSBL zone asked through DNS over HTTPS (RFC 8484) */
	BLR_JSON_API,      /* an HTTP API answering JSON */
} blr_kind;

typedef enum blr_state {
	BLR_NOT_LISTED = 0,
	BLR_LISTED,
	BLR_UNAVAILABLE, /* the lookup did not work: never read as "listed" */
} blr_state;

const char *blr_kind_str(blr_kind k);   /* "dnsbl-doh", "json-api" */
const char *blr_state_str(blr_state s); /* "not-listed", "listed", "unavailable" */

#define BLR_MAX_CODES     16   /* return codes kept from one answer */
#define BLR_REASON_MAX    512  /* bytes of TXT or JSON reason kept */
#define BLR_ERROR_MAX     256  /* bytes of an error kept */
#define BLR_MAX_TTL       3600 /* DoH answers are cached at most this long */
#define BLR_BODY_MAX      (64 * 1024)
#define BLR_CONFIG_MAX    (64 * 1024) /* bytes of a config file */
#define BLR_MAX_PROVIDERS 32

typedef struct blr_code {
	char code[16];       /* "127.0.0.2" */
	const char *meaning; /* the provider's words for it, or NULL; points into the result */
} blr_code;

/* One (provider, address) lookup. Strings are owned by the result; reason
 * and error are bounded and have control bytes replaced with '?', but may
 * hold any other UTF-8 (renderers sanitise further). */
typedef struct blr_result {
	char *provider; /* the provider's name */
	blr_kind kind;
	char *ip; /* the address asked about, canonical text */
	blr_state state;
	blr_code codes[BLR_MAX_CODES]; /* listed: the return codes, in answer order */
	size_t ncodes;
	char **meanings; /* owned storage behind codes[].meaning */
	char *reason;    /* TXT record or JSON reason, or NULL */
	char *error;     /* unavailable: why, for people, or NULL */
	uint32_t ttl;    /* seconds the answer may be reused; 0 = not cached */
	bool from_cache;
	long ms; /* how long the lookup took, -1 when unknown or cached */
} blr_result;

typedef struct json_t json_t;

/* A new result (state NOT_LISTED, ms -1); NULL when out of memory. Owned by
 * the caller; blr_result_free accepts NULL. */
blr_result *blr_result_new(const char *provider, blr_kind kind, const char *ip);
void blr_result_free(blr_result *r);
/* A deep copy owned by the caller, or NULL. */
blr_result *blr_result_dup(const blr_result *r);
/* Marks r unavailable with a reason (printf; bounded, control bytes
 * replaced). Codes already found are dropped: an unavailable result never
 * carries a listing. */
mxs_status blr_result_fail(blr_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets the reason from untrusted bytes (bounded, control bytes replaced). */
mxs_status blr_result_set_reason(blr_result *r, const char *text, size_t len);
/* ---- keeping the key out (core/blocklist_redact.c) ---------------------- */

/* Replaces every form of secret in reason and error with "[redacted]": as
 * is, JSON-escaped, JSON-unescaped, with control bytes as '?', base64 (both
 * alphabets, any alignment), each matched ASCII case-insensitively, and any
 * prefix or suffix of those of 8 bytes or more (the whole of a shorter
 * one). Does nothing for a NULL or empty secret. On MXS_ERR_NOMEM the field
 * is dropped, never left unscrubbed. */
mxs_status blr_result_redact(blr_result *r, const char *secret);
/* RFC 4648 base64 of len bytes: §4 with '=' padding, or with url §5
 * without padding (as RFC 8484 §4.1 wants for DoH GET). out needs
 * 4 * ceil(len / 3) + 1 bytes. Returns the length written. The one base64
 * encoder: DoH queries and the key's encoded forms. */
size_t blr_base64(const uint8_t *in, size_t len, bool url, char *out);
/* The same for one malloc'd string *s (NULL stays NULL). */
mxs_status blr_redact_text(char **s, const char *secret);
/* The same for the *len bytes at *s, which may hold NULs (and have one at
 * (*s)[*len]); *s and *len are replaced. On failure *s is NULL. */
mxs_status blr_redact_bytes(char **s, size_t *len, const char *secret);
/* v dumped as compact JSON with every string and member name scrubbed on
 * its decoded text first, then the dump scrubbed again. NULL when out of
 * memory: then nothing of v is to be shown. Owned by the caller. */
char *blr_redact_json_dump(json_t *v, const char *secret);
/* One line for people, e.g. `spamhaus: listed 127.0.0.2 (spam source) "see
 * https://..."`, `lab-json: unavailable (HTTP 500)`, `lab: not listed
 * (cached)`. Raw network text inside: sanitise before it reaches a
 * terminal. Owned by the caller, NULL when out of memory. */
char *blr_result_line(const blr_result *r);
/* The result as a JSON object for reports: {provider, kind, state, codes:
 * [{code, meaning?}], reason?, error?, ttl, from_cache}. A new reference
 * owned by the caller (json_decref), or NULL when out of memory. Strings
 * that are not valid UTF-8 are sanitised so no field is dropped. */
json_t *blr_result_json(const blr_result *r);

/* ---- RFC 5782 ----------------------------------------------------------- */

/* Writes the query name for ip in zone to out: reversed octets for IPv4
 * ("2.0.0.127.bl.example"), reversed nibbles for IPv6 (32 labels, §2.4).
 * zone may end in a dot (dropped). MXS_ERR_INVALID for something that is
 * not an address or a zone that is not a host name; MXS_ERR_LIMIT when out
 * is too small (128 + zone bytes is always enough). */
mxs_status blr_query_name(const char *ip, const char *zone, char *out, size_t cap);
/* The reversed form alone, without a zone ("2.0.0.127"), for URL templates. */
mxs_status blr_reversed_ip(const char *ip, char *out, size_t cap);

/* What a DNSBL's A answer means (RFC 5782 §2.1, §5 and providers' use):
 * rcode is the DNS rcode (0 NOERROR, 3 NXDOMAIN, ...); addrs the A records
 * in network byte order. Sets r's state, codes (with meanings from p, which
 * may be NULL) and error:
 *   NXDOMAIN, or NOERROR without an A record     -> not listed
 *   127.0.0.2 - 127.0.0.255                      -> listed
 *   127.255.255.x (refused, public resolver,
 *     rate limited, over quota)                  -> unavailable, never listed
 *   anything else (127.0.0.1, 127.1.2.3, outside
 *     127/8), or another rcode                   -> unavailable
 * One answer that mixes listing codes with a 127.255.255.x code is
 * unavailable: the provider is telling us it did not really answer. */
struct blr_provider;
mxs_status blr_interpret_a(blr_result *r, const struct blr_provider *p, int rcode,
                           const uint32_t *addrs, size_t naddrs);

/* ---- JSON pointer (RFC 6901) -------------------------------------------- */

/* The value at pointer ("" is the whole document, "/a/0/b~1c") in doc, or
 * NULL when there is none or the pointer is malformed. A view into doc. */
json_t *blr_json_pointer(json_t *doc, const char *pointer);
/* true when pointer is well-formed ("" or "/..." with ~0 / ~1 escapes only). */
bool blr_json_pointer_valid(const char *pointer);

/* ---- providers and the config file ------------------------------------- */

typedef struct blr_codemap {
	uint32_t addr; /* network byte order */
	char *meaning;
} blr_codemap;

/* One provider as configured. Never print a blr_provider field by field:
 * `key` is a secret. Owned by its blr_config. */
typedef struct blr_provider {
	char *name;
	blr_kind kind;
	bool enabled;       /* asked on every run (enabled = yes, or --blocklist) */
	char *zone;         /* dnsbl-doh */
	char *url;          /* the DoH endpoint, or the JSON URL template; not checked here:
	                       net/bl.h's bl_url_check is the one rule for URLs */
	bool post;          /* DoH: POST application/dns-message instead of GET ?dns= */
	char *header;       /* json: "X-Api-Key: {key}" template, or NULL */
	char *key;          /* secret: from key = or key-env =, or NULL */
	char *key_env;      /* the variable named by key-env, or NULL */
	bool key_missing;   /* key-env named a variable that is not set */
	char *listed_ptr;   /* json: where the verdict is ("/listed") */
	char *reason_ptr;   /* json: where the reason is, or NULL */
	double rate;        /* lookups per second (token bucket; burst = max(1, rate)) */
	uint32_t ttl;       /* json: seconds to cache an answer; 0 = not cached */
	blr_codemap *codes; /* return-code meanings */
	size_t ncodes;
	int line;     /* where the section starts, 0 for --blocklist */
	int url_line; /* where url = is, 0 for --blocklist */
} blr_provider;

#define BLR_DEFAULT_RATE 10.0 /* lookups per second */
#define BLR_DEFAULT_TTL  300  /* json providers without ttl = */

typedef struct blr_config blr_config;

/* Looks a variable up; NULL when it is not set. The parser never calls
 * getenv itself, so tests give it an environment of their own. */
typedef const char *(*blr_getenv_fn)(const char *name, void *arg);

/* A new empty configuration; NULL when out of memory. Owned by the caller. */
blr_config *blr_config_new(void);
void blr_config_free(blr_config *c); /* accepts NULL */

/* Parses a config file's text (INI-like, docs/blocklists.md). origin names
 * it in messages. mode is the file's st_mode, or 0 when unknown: a file that
 * holds a key (key =) and is readable by group or others sets *warning
 * (malloc'd, owned by the caller; may be NULL to ignore). On a syntax error
 * *why is "ORIGIN:LINE: what was expected" and c is left unchanged. */
mxs_status blr_config_parse(blr_config *c, const char *origin, const char *text, unsigned mode,
                            blr_getenv_fn env, void *env_arg, char **warning, char **why);

/* One --blocklist argument: "ZONE@URL" adds and enables a DoH provider
 * named after the zone; "NAME" enables the provider of that name from the
 * config file. MXS_ERR_INVALID with *why otherwise. */
mxs_status blr_config_add_spec(blr_config *c, const char *spec, char **why);

/* Checks every enabled provider can run (a key-env that is set, ...).
 * MXS_ERR_INVALID with *why naming the provider and what is missing. */
mxs_status blr_config_check(const blr_config *c, char **why);

size_t blr_config_count(const blr_config *c);
size_t blr_config_enabled_count(const blr_config *c);
const blr_provider *blr_config_provider(const blr_config *c, size_t i);
const blr_provider *blr_config_find(const blr_config *c, const char *name);

/* The JSON URL for ip: {ip} and {reversed_ip} substituted. NULL when out of
 * memory or the template is malformed. Owned by the caller. */
char *blr_expand_url(const blr_provider *p, const char *ip);
/* The header line with {key} substituted, or NULL when p has no header. A
 * SECRET: hand it to the HTTP library and free it; never log it. */
char *blr_expand_header(const blr_provider *p);

/* Reads a JSON provider's HTTP body into r: listed-pointer must name a
 * boolean (or a number, non-zero = listed); reason-pointer a string (or
 * anything, dumped compactly). A body that is not JSON, or lacks the
 * verdict, makes r unavailable with the reason. body is untrusted and
 * need not be NUL-terminated. */
mxs_status blr_interpret_json(blr_result *r, const blr_provider *p, const char *body, size_t len);

#endif
