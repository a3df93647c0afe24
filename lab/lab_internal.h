/* lab/lab_internal.h — what the lab's servers share and nobody else sees:
 * the embedded scenario table, the world's node/record layout that the DNS
 * answerer reads, the $SMTP host records, the connection layer (tcp.c), the
 * certificates (tls.c) and the HTTP/1.1 codec (http_codec.c). Names
 * are kept in wire format (length-prefixed labels, lower-cased) so a query
 * name can be looked up without converting it. */
#ifndef MXSCOPE_LAB_INTERNAL_H
#define MXSCOPE_LAB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "lab.h"

/* Written by scripts/embed_scenarios.py from the files in lab/scenarios/. */
struct lab_builtin {
	const char *name; /* file basename without ".zone" */
	const char *text; /* the whole file */
};
extern const struct lab_builtin lab_builtins[];
extern const size_t lab_builtin_count;

enum {
	LAB_T_A = 1,
	LAB_T_NS = 2,
	LAB_T_CNAME = 5,
	LAB_T_SOA = 6,
	LAB_T_PTR = 12,
	LAB_T_MX = 15,
	LAB_T_TXT = 16,
	LAB_T_AAAA = 28,
	LAB_T_SRV = 33,
	LAB_T_OPT = 41,
	LAB_T_TLSA = 52,
	LAB_T_ANY = 255,
};

/* One resource record; rdata is in uncompressed wire format. */
struct lab_rr {
	struct lab_rr *next;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t rdata[];
};

/* One owner name. A node with no records is an empty non-terminal: it
 * exists because some name below it does (that makes NODATA, not NXDOMAIN). */
struct lab_node {
	struct lab_node *hnext;
	struct lab_rr *rrs;
	struct lab_rr **tail; /* keeps file order, so answers read like the zone */
	uint32_t hash;
	int line; /* where the first record for it was, for messages */
	uint8_t has_cname;
	uint8_t has_soa;
	uint8_t is_signed; /* a zone apex the scenario marks $SIGNED: answered with AD */
	uint8_t namelen;   /* wire length, including the final zero */
	uint8_t name[];
};

/* Presentation form of a wire name without the trailing dot; "." for the
 * root. Bytes that are not plain host-name characters are escaped, so the
 * string is safe to print. out must hold LAB_DNS_NAME_TEXT bytes. */
#define LAB_DNS_NAME_TEXT (4 * 255 + 1)
void lab_name_to_text(const uint8_t *wire, char *out);

/* The question name of a DNS query message (untrusted bytes) as text,
 * lower-cased, for a server that acts on the name before it answers (the
 * lab blocklist's HTTP behaviours). 0 when q is a query with exactly one
 * question whose name reads; -1 otherwise. Read by the same code that
 * lab_dns_answer reads queries with. cap must be LAB_DNS_NAME_TEXT. */
int lab_dns_question(const uint8_t *q, size_t qlen, char *name, size_t cap);

/* The node for a lower-cased wire name, or NULL. */
const struct lab_node *lab_world_node(const lab_world *w, const uint8_t *name, size_t len);

/* ---- $SMTP lines: what each lab SMTP host does ---------------------------- */

enum lab_smtp_act {
	LAB_SMTP_ACCEPT,
	LAB_SMTP_REFUSE,
	LAB_SMTP_SILENT,
	LAB_SMTP_SLOW,
	LAB_SMTP_TEMPFAIL,
	LAB_SMTP_REJECT,
	LAB_SMTP_MULTILINE,
	LAB_SMTP_DROP_EHLO,
	LAB_SMTP_LONG_LINE,
	LAB_SMTP_MEGABYTE,
	LAB_SMTP_ESCAPE,
	LAB_SMTP_GARBAGE,
	LAB_SMTP_TARPIT,
};

enum lab_smtp_tls {
	LAB_TLS_VALID,       /* signed by the lab CA, for the host's name, valid now */
	LAB_TLS_EXPIRED,     /* signed by the CA, notAfter in the past */
	LAB_TLS_SELF_SIGNED, /* signed by its own key */
	LAB_TLS_WRONG_NAME,  /* signed by the CA, for wrong.invalid */
};

#define LAB_SMTP_NAME_MAX 254 /* a host name in text, plus the NUL */

/* How a lab host answers RCPT TO (rcpt= on a $SMTP line): the recipient
 * stage (--rcpt) sees these. MAIL FROM is always 250; DATA and BDAT are
 * always refused, the lab takes no mail. */
enum lab_smtp_rcpt {
	LAB_RCPT_ACCEPT,   /* 250 2.1.5 */
	LAB_RCPT_REJECT,   /* 550 5.7.1 relaying denied: a backup without the recipients */
	LAB_RCPT_TEMPFAIL, /* 451 4.7.1 greylisted */
	LAB_RCPT_SILENT,   /* no answer to RCPT at all (the stage's timeout) */
};

/* One $SMTP line. name is always set once the world holds it: the name=
 * option, or the owner of an A/AAAA record with that address (the same
 * scenario first, then any other), or "lab.invalid". */
struct lab_smtp_host {
	char *origin; /* the file it came from, for messages */
	int line;
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	char addrtext[46];
	enum lab_smtp_act act;
	unsigned delay_ms; /* before the first byte: `slow N` or slow=N */
	enum lab_smtp_tls tls;
	int starttls;       /* offer STARTTLS in EHLO */
	unsigned noop_code; /* the reply to NOOP (noop=CODE); 0 = 250 */
	unsigned key;       /* which of the host's keys its certificate has (key=N; lab/tls.c) */
	int chain;          /* chain=yes: the lab CA is sent after the host's certificate */
	int name_given;
	int name_found; /* from an A/AAAA record rather than the fallback */
	char name[LAB_SMTP_NAME_MAX];
	/* the scenario's zone (its file's first $ORIGIN, no final dot; "" when
	 * none): each scenario may have its own ::1 host, found by this name */
	char zone[LAB_SMTP_NAME_MAX];
	int own_port; /* lab_smtp's copy: a ::1 host's own port once bound, else 0 */
	enum lab_smtp_rcpt rcpt;
};

/* The $SMTP lines of every loaded scenario, in load order; views valid until
 * the world is freed or loaded into again. */
size_t lab_world_smtp_count(const lab_world *w);
const struct lab_smtp_host *lab_world_smtp(const lab_world *w, size_t i);
/* "accept", "refuse", ... for messages and documentation. */
const char *lab_smtp_act_name(enum lab_smtp_act a);

/* ---- $MTA-STS lines: the policies the lab's HTTPS server gives -------------- */

#define LAB_STS_MX_MAX 8

/* What the HTTPS server does for mta-sts.DOMAIN (serve= on the line). */
enum lab_sts_serve {
	LAB_STS_OK,       /* 200 text/plain: the policy */
	LAB_STS_MISSING,  /* 404 */
	LAB_STS_REDIRECT, /* 301 to another host: RFC 8461 §3.3 forbids following */
	LAB_STS_HTML,     /* 200 text/html: a web server's error page, not a policy */
	LAB_STS_HUGE,     /* 200 text/plain, 80 KiB: over the 64 KiB a fetch reads */
	LAB_STS_SILENT,   /* the handshake, then no answer at all */
};

/* One $MTA-STS line: the policy for DOMAIN. The DNS side (the _mta-sts TXT
 * record, the mta-sts.DOMAIN address) is ordinary records in the zone. */
struct lab_sts {
	char domain[LAB_SMTP_NAME_MAX]; /* lower-case, no final dot */
	int line;
	int mode; /* 0 none, 1 testing, 2 enforce */
	char mx[LAB_STS_MX_MAX][LAB_SMTP_NAME_MAX];
	size_t nmx;
	unsigned long max_age;
	enum lab_sts_serve serve;
};

/* The policy line for domain ("sts-enforce.lab.test"), or NULL. A view
 * into the world, valid until it is loaded into again or freed. */
const struct lab_sts *lab_world_sts(const lab_world *w, const char *domain);
/* The policy file for s ("version: STSv1\r\nmode: ..."), written into buf;
 * its length, as snprintf. */
size_t lab_sts_body(const struct lab_sts *s, char *buf, size_t cap);

/* ---- HTTP/1.1 (http_codec.c): the request and response heads of the lab's
 * HTTP servers (the blocklist endpoint, the MTA-STS policy server) ---------- */

#define LAB_HTTP_HEAD_MAX   8192 /* request line to blank line, both CRLFs included */
#define LAB_HTTP_FIELDS_MAX 64   /* header lines */
#define LAB_HTTP_METHOD_MAX 15

/* A request head, read by lab_http_parse: method, target and version as
 * sent (the version is "HTTP/1.1" or "HTTP/1.0"), the fields with their
 * values' surrounding whitespace trimmed and obs-fold read as spaces. Every
 * pointer is into head, which the struct owns: valid while it lives. */
struct lab_http_req {
	const char *method, *target, *version;
	struct {
		const char *name, *value;
	} fields[LAB_HTTP_FIELDS_MAX];
	size_t nfields;
	size_t head_len; /* bytes of the input the head took, blank line included */
	char head[LAB_HTTP_HEAD_MAX + 1];
};

/* Reads the request head at the start of data (len bytes read so far from
 * the client, untrusted; a body may follow). 0: no complete head yet, read
 * more; 200: r holds it; 400 (not an HTTP/1.x request head: a bad request
 * line, a byte the grammar does not allow, a repeated Content-Length, Host
 * or Transfer-Encoding) or 431 (over LAB_HTTP_HEAD_MAX bytes or
 * LAB_HTTP_FIELDS_MAX fields): the status to answer with before closing.
 * A missing Host is not refused here: each server decides. */
int lab_http_parse(struct lab_http_req *r, const void *data, size_t len);
/* The value of the first field called name (any case), or NULL. */
const char *lab_http_header(const struct lab_http_req *r, const char *name);
/* Writes a response head into out: the status line (code and its reason
 * phrase), Content-Type ctype, Content-Length length, the lines in extra
 * ("Name: value\r\n" each; NULL for none), Connection: close (one request
 * per connection) and the blank line. Its length; 0 when cap is too small. */
size_t lab_http_response_head(char *out, size_t cap, int code, const char *ctype, size_t length,
                              const char *extra);

/* ---- connections (tcp.c): one layer under the DNS, SMTP and HTTP servers ---- */

/* What every lab TCP connection has. A server's own connection struct starts
 * with it (so a handle's data pointer is both), and the server reaches its
 * fields through a cast. The set owns the memory. */
struct lab_conn {
	uv_tcp_t tcp;
	uv_timer_t idle; /* closes the connection when nothing happens */
	uv_timer_t act;  /* the server's own: a delayed greeting, a slow answer */
	struct lab_conns *set;
	struct lab_conn *prev, *next; /* least recently active first */
	unsigned open;                /* handles not yet closed */
	int closing;
	/* the server has work under way for the client (a slow answer due):
	 * not idle, never dropped for a newcomer; nor while writes are queued */
	int busy;
	size_t outq;     /* bytes handed to lab_conn_write and not written yet */
	unsigned writes; /* lab_conn_write calls not completed yet */
};

/* Every connection of one server, with the one accept policy: at most max
 * open; at the limit a newcomer takes the place of the connection idle the
 * longest (as nsd does), and is refused only when none is idle. Part of a
 * struct lab_server, which sets it up. */
struct lab_conns {
	uv_loop_t *loop;
	struct lab_conn *head, *tail; /* head: least recently active */
	size_t n, max;
	uint64_t idle_ms;
	unsigned long dropped; /* idle connections closed for a newcomer */
	/* called once a connection's handles have all closed; the set frees
	 * the connection after */
	void (*freed)(struct lab_conn *c, void *arg);
	void *arg;
};

/* The life every lab server shares: its connections, its own handles
 * (listeners, a UDP socket) counted, and the close that frees the server
 * only once the last of them has closed, since libuv closes handles later,
 * from the loop. Embedded in the server; lab_server_init before anything. */
struct lab_server {
	struct lab_conns conns;
	unsigned handles; /* the server's own handles not closed yet */
	int closing;
	void (*conn_freed)(struct lab_conn *c, void *server); /* NULL: nothing to free */
	void (*free)(void *server); /* frees the server: the last call on it */
	void *server;
};

/* Sets sv up for server: connections up to max_conns, closed after idle_ms
 * of nothing; conn_freed frees what the server hangs on one connection,
 * free_server frees the server itself once it is closed. */
void lab_server_init(struct lab_server *sv, uv_loop_t *loop, size_t max_conns, uint64_t idle_ms,
                     void (*conn_freed)(struct lab_conn *c, void *server),
                     void (*free_server)(void *server), void *server);
/* A handle of the server's own was initialised (hold) / its close callback
 * ran (release: may free the server, so the last thing the callback does). */
void lab_server_hold(struct lab_server *sv);
void lab_server_release(struct lab_server *sv);
/* Closes every connection and frees the server once they and its handles
 * are closed: at once when none is open. The server closes its own handles
 * first (uv_close, each releasing), then calls this; twice is harmless. */
void lab_server_close(struct lab_server *sv);

/* From a connection callback (listener, status): accepts the pending
 * connection into a new zeroed connection of size bytes (the server's
 * struct), reading not started, idle timer running. NULL when there is none
 * (status < 0, the server closing) or it is refused (at the limit with none
 * idle, out of memory): a refused one is taken off the backlog and closed,
 * so a full server still refuses rather than leaving clients hanging. */
struct lab_conn *lab_server_accept(struct lab_server *sv, uv_stream_t *listener, int status,
                                   size_t size);

/* One listening TCP socket of a server, counted among its handles: the one
 * listen code of the HTTP and MTA-STS servers. Embedded in the server. */
struct lab_listener {
	uv_tcp_t tcp; /* first (the close callback finds l by it); tcp.data: open's data */
	struct lab_server *sv;
	int open;
	int port;       /* bound, once open */
	char where[64]; /* "ADDR:PORT", "[ADDR]:PORT" */
};

/* Listens on addr:port (NULL addr = 127.0.0.1; port 0 = any free one) with
 * cb; the connection callback's stream data is data. 0; -1 with *why (owned
 * by the caller) when addr is not an address or bind or listen failed: l is
 * then closed or closing, and the caller closes the server
 * (lab_server_close) to have it freed once l is. */
int lab_listener_open(struct lab_listener *l, struct lab_server *sv, void *data, const char *addr,
                      int port, int backlog, uv_connection_cb cb, char **why);
/* Stops listening; the handle closes from the loop. Harmless when closed. */
void lab_listener_close(struct lab_listener *l);

/* Something happened on c: it is the most recently active, and its idle
 * timer starts again (idle_ms; lab_conn_idle_after for another wait). */
void lab_conn_touch(struct lab_conn *c);
void lab_conn_idle_after(struct lab_conn *c, uint64_t ms);
/* Queues a copy of data (len bytes) on c's socket; once it is written,
 * done(c) (NULL: nothing) unless c is closing by then. A failed write closes
 * c. 0, or -1 when c is closing or closed by this call. */
int lab_conn_write(struct lab_conn *c, const void *data, size_t len,
                   void (*done)(struct lab_conn *c));
/* Closes c's handles; freed() and the memory follow from the loop. Safe to
 * call more than once and while walking the list. */
void lab_conn_close(struct lab_conn *c);

/* ---- certificates (tls.c) --------------------------------------------------- */

/* A lab CA and the server certificates it signs; made by lab_smtp_new. */
typedef struct lab_tls lab_tls;
struct ssl_ctx_st; /* OpenSSL's SSL_CTX, so this header needs no OpenSSL include */

/* A new CA (EC P-256, CA:TRUE, valid for ten years); NULL with *why. */
lab_tls *lab_tls_new(char **why);
void lab_tls_free(lab_tls *t); /* accepts NULL */
/* The CA certificate in PEM, NUL-terminated, valid while t lives. */
const char *lab_tls_ca_pem(const lab_tls *t);
struct x509_st; /* OpenSSL's X509 */
/* The CA certificate, for a chain a host sends (chain=yes). Owned by t. */
struct x509_st *lab_tls_ca(const lab_tls *t);
/* A server context whose certificate is for name (or wrong.invalid) as kind
 * says, with the host's key number key; made on first use, then the same
 * one again. Owned by t. NULL with *why when OpenSSL fails. */
struct ssl_ctx_st *lab_tls_ctx(lab_tls *t, const char *name, enum lab_smtp_tls kind, unsigned key,
                               char **why);
/* The DER SubjectPublicKeyInfo of host name's key number key, the key its
 * certificates carry (what a TLSA record with selector 1 pins): written to
 * out (cap bytes), its length in *len. 0, or -1 when it does not fit or
 * OpenSSL fails. Needs no lab_tls: the key follows from the name. */
int lab_tls_spki(const char *name, unsigned key, uint8_t *out, size_t cap, size_t *len);
/* The CA a running lab_smtp signs with (the MTA-STS server's certificates
 * come from it too, so one --cafile trusts both). */
lab_tls *lab_smtp_tls(lab_smtp *s);

#endif
