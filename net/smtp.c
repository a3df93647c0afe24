/* net/smtp.c — SMTP banner probes: libcurl's SMTP (greeting, EHLO,
 * STARTTLS, NOOP, QUIT) through the multi socket API, driven by libuv polls
 * and timers, with a per-address FIFO so no address ever sees two of our
 * connections at once. The transcript comes from libcurl's debug callback;
 * the classification reads it together with libcurl's result. */
#include "smtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert.h"
#include "curlloop.h"
#include "hash.h"
#include "htab.h"
#include "name.h"
#include "rcpt.h"

/* Where a probe is in the conversation; set from what libcurl sends. */
typedef enum phase {
	PH_CONNECT,
	PH_GREETING,
	PH_EHLO,
	PH_HELO,
	PH_STARTTLS,
	PH_TLS, /* STARTTLS got 220: the handshake runs */
	PH_NOOP,
	PH_QUIT,
	PH_OTHER,
} phase;

static const char *const phase_names[] = {
    "connect", "greeting", "EHLO", "HELO", "STARTTLS", "TLS handshake", "NOOP", "QUIT", "command",
};

typedef struct probe probe;
typedef struct addr_slot addr_slot;

/* One address that has probes waiting or running. */
struct addr_slot {
	char key[INET6_ADDRSTRLEN]; /* canonical text form */
	bool busy;                  /* one of our connections is open to it */
	bool ready;                 /* in the prober's ready list */
	probe *qhead, *qtail;       /* waiting probes, oldest first */
	mx_hlink link;              /* in the prober's slots, by key */
	addr_slot *rnext;           /* ready list */
};

struct probe {
	smtp_prober *p;
	addr_slot *a;
	smtp_done_cb cb;
	void *arg;
	probe_result *r;
	char *url_host; /* the name in the URL: what TLS verifies */
	CURL *easy;
	struct curl_slist *connect_to;
	uv_timer_t watchdog; /* per-reply deadline; initialised once running */
	uint64_t t0;         /* uv_hrtime() when started */
	curl_socket_t fd;    /* the connection's socket, once libcurl made it */
	phase ph;
	phase before_quit; /* the phase QUIT followed: what a failure seen in QUIT is about */
	unsigned ncmds, nehlo_cmds, reply_lines;
	probe_reply greet;       /* the greeting's lines so far (one code: RFC 5321 §4.2.1) */
	const char *garbage_why; /* static: why the greeting is malformed, once decided */
	bool connected, greeted, garbage, timed_out, setup_failed;
	bool classified;    /* classify() ran: the recipient stage came after it */
	char *rcpt;         /* the recipient stage's address (smtp_probe_rcpt), or NULL */
	rcpt_conv *conv;    /* the recipient stage, while it runs */
	probe *next, *prev; /* address queue (next only) or running list */
	char errbuf[CURL_ERROR_SIZE];
};

/* One entry of the lab's address map, ready to match. */
typedef struct override {
	char *zone; /* lower case, no trailing dot */
	int af;
	unsigned char addr[16];
	int port;
} override;

struct smtp_prober {
	uv_loop_t *loop;
	curlloop *cl; /* libcurl on the loop; NULL once torn down */
	int port;
	override *ov; /* the lab's address map */
	size_t nov;
	unsigned timeout_ms, max_probes;
	char *ehlo, *ehlo_path;
	cert_store *certs;        /* judges each certificate after the handshake */
	mx_htab *slots;           /* the addr_slots by key (created with the first) */
	addr_slot *rhead, *rtail; /* addresses whose next probe may start, FIFO */
	probe *running;
	size_t nrunning, nqueued;
	unsigned peak;
	bool freeing;        /* smtp_prober_free was called */
	size_t open_handles; /* watchdogs and cl not yet closed; p is freed at 0 */
};

/* ---- global ------------------------------------------------------------- */

mxs_status smtp_global_init(char **why)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		mxs_why(why, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
		return MXS_ERR_NET;
	}
	return MXS_OK;
}

void smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

const char *smtp_version(void)
{
	return curl_version();
}

/* ---- small helpers ------------------------------------------------------ */

static long elapsed_ms(const probe *q)
{
	return (long)((uv_hrtime() - q->t0) / 1000000u);
}

/* A host name or an address literal ("[192.0.2.1]", "[IPv6:::1]",
 * RFC 5321 §4.1.3): what EHLO may carry. */
static bool is_ehlo_name(const char *s)
{
	size_t len = strlen(s);
	char inner[INET6_ADDRSTRLEN + 8];
	unsigned char bin[16];

	if (len > 2 && s[0] == '[' && s[len - 1] == ']' && len - 2 < sizeof(inner)) {
		memcpy(inner, s + 1, len - 2);
		inner[len - 2] = '\0';
		if (strncasecmp(inner, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, inner + 5, bin) == 1;
		return inet_pton(AF_INET, inner, bin) == 1;
	}
	/* EHLO takes a dotted domain without the root's trailing dot */
	return strchr(s, '.') && s[len - 1] != '.' && mx_name_is_host(s, len);
}

/* Every address slot in turn (see mx_htab_next). */
static addr_slot *slot_next(const smtp_prober *p, size_t *pos, addr_slot *cur)
{
	mx_hlink *l = p->slots ? mx_htab_next(p->slots, pos, cur ? &cur->link : NULL) : NULL;

	return l ? MX_HLINK_OF(l, addr_slot, link) : NULL;
}

/* ---- address slots ------------------------------------------------------ */

static addr_slot *slot_get(smtp_prober *p, const char *key, bool create)
{
	uint32_t h = mx_hash(key, MX_HASH_BASIS);
	addr_slot *a;

	for (mx_hlink *l = p->slots ? mx_htab_chain(p->slots, h) : NULL; l; l = l->next) {
		a = MX_HLINK_OF(l, addr_slot, link);
		if (l->hash == h && strcmp(a->key, key) == 0)
			return a;
	}
	if (!create || (!p->slots && !(p->slots = mx_htab_new())))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->key, sizeof(a->key), "%s", key);
	mx_htab_put(p->slots, &a->link, h);
	return a;
}

static void slot_drop_if_idle(smtp_prober *p, addr_slot *a)
{
	if (a->busy || a->qhead || a->ready)
		return;
	mx_htab_del(p->slots, &a->link);
	free(a);
}

static void ready_push(smtp_prober *p, addr_slot *a)
{
	if (a->ready || a->busy || !a->qhead)
		return;
	a->ready = true;
	a->rnext = NULL;
	if (p->rtail)
		p->rtail->rnext = a;
	else
		p->rhead = a;
	p->rtail = a;
}

static addr_slot *ready_pop(smtp_prober *p)
{
	addr_slot *a = p->rhead;

	if (!a)
		return NULL;
	p->rhead = a->rnext;
	if (!p->rhead)
		p->rtail = NULL;
	a->ready = false;
	a->rnext = NULL;
	return a;
}

static void ready_remove(smtp_prober *p, addr_slot *a)
{
	addr_slot **pp = &p->rhead, *prev = NULL;

	if (!a->ready)
		return;
	while (*pp != a) {
		prev = *pp;
		pp = &(*pp)->rnext;
	}
	*pp = a->rnext;
	if (p->rtail == a)
		p->rtail = prev;
	a->ready = false;
	a->rnext = NULL;
}

/* ---- the debug callback: transcript, greeting, EHLO, phases ------------- */

static void watchdog_arm(probe *q);
static void watchdog_disarm(probe *q);

static void on_server_line(probe *q, const char *data, size_t len)
{
	probe_result *r = q->r;
	const char *text;
	size_t tlen;
	bool more, ok;
	int code;

	probe_transcript_add(r, 'S', data, len);
	ok = probe_parse_reply_line(data, len, &code, &more, &text, &tlen);
	/* bytes already waiting are read before libcurl tells us which events
	 * it wants, so the first line can come before our connect mark */
	if (!q->connected) {
		q->connected = true;
		r->t.connect = elapsed_ms(q);
	}
	if (q->ncmds == 0) {
		probe_reply_step step;
		if (q->greeted || q->garbage_why)
			return;
		step = probe_reply_feed(&q->greet, data, len, &code, &text, &tlen);
		if (step == PROBE_REPLY_NOT_SMTP || step == PROBE_REPLY_CODE_CHANGED) {
			q->garbage = true; /* a later reply line may still greet... */
			if (step == PROBE_REPLY_CODE_CHANGED) /* ...but not after this */
				q->garbage_why = probe_reply_step_why(step);
			return;
		}
		probe_greeting_add(r, text, tlen);
		if (step == PROBE_REPLY_DONE) {
			q->greeted = true;
			r->code = code;
			r->t.greeting = elapsed_ms(q);
			watchdog_disarm(q);
		}
		return;
	}
	if (!ok)
		return; /* libcurl decides what nonsense after the greeting means */
	if (q->ph == PH_EHLO && q->nehlo_cmds == 1 && code / 100 == 2) {
		/* the first line names the server; extensions follow it */
		if (q->reply_lines++ > 0)
			probe_ehlo_add(r, text, tlen);
	}
	if (more)
		return;
	watchdog_disarm(q);
	if (q->ph == PH_EHLO && q->nehlo_cmds == 1)
		r->t.ehlo = elapsed_ms(q);
	if (q->ph == PH_STARTTLS && code == 220) {
		q->ph = PH_TLS;
		watchdog_arm(q); /* the handshake gets one reply's time */
	}
}

static void on_client_line(probe *q, const char *data, size_t len)
{
	static const struct {
		const char *verb;
		phase ph;
	} verbs[] = {{"EHLO", PH_EHLO},
	             {"HELO", PH_HELO},
	             {"STARTTLS", PH_STARTTLS},
	             {"NOOP", PH_NOOP},
	             {"QUIT", PH_QUIT}};
	size_t vlen = 0;

	probe_transcript_add(q->r, 'C', data, len);
	while (vlen < len && isalpha((unsigned char)data[vlen]))
		vlen++;
	q->before_quit = q->ph;
	q->ph = PH_OTHER;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].verb) == vlen && strncasecmp(data, verbs[i].verb, vlen) == 0)
			q->ph = verbs[i].ph;
	q->ncmds++;
	if (q->ph == PH_EHLO) {
		q->nehlo_cmds++;
		q->reply_lines = 0;
	}
	if (q->ph != PH_QUIT) {
		watchdog_arm(q);
		return;
	}
	/* libcurl sends QUIT while closing the connection and then waits for
	 * the reply blocking, in poll(2), for up to the server response timeout:
	 * the whole loop would stand still for a round trip at best, for
	 * seconds with a server that never answers, and for ever with the lab
	 * on this very loop. QUIT has been written when this line is reported,
	 * so shutting the read side makes that wait end at once; the server
	 * still gets its QUIT, we just do not read the 221. */
	if (q->fd != CURL_SOCKET_BAD)
		shutdown(q->fd, SHUT_RD);
}

static void on_curl_text(probe *q, const char *data, size_t len)
{
	static const char mark[] = "SSL connection using ";
	size_t n = sizeof(mark) - 1, end;

	/* libcurl's own notes stay out of the transcript; this one names the
	 * TLS version, which libcurl does not report otherwise. */
	if (q->r->tls.version || len <= n || memcmp(data, mark, n) != 0)
		return;
	for (end = n; end < len && end - n < 32 && data[end] != ' ' && data[end] != '\n'; end++)
		;
	q->r->tls.version = strndup(data + n, end - n);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	probe *q = arg;

	(void)h;
	if (!q->r)
		return 0; /* ended: libcurl's farewell notes go nowhere */
	switch (type) {
	case CURLINFO_HEADER_IN: on_server_line(q, data, size); break;
	case CURLINFO_HEADER_OUT: on_client_line(q, data, size); break;
	case CURLINFO_TEXT: on_curl_text(q, data, size); break;
	default: break;
	}
	return 0;
}

/* The NOOP reply arrives as body data; nothing to keep beyond the transcript. */
static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* ---- classification ----------------------------------------------------- */

static bool is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT: return true;
	default: return false;
	}
}

static bool is_closed(CURLcode rc)
{
	return rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR;
}

static void set_error(probe_result *r, const char *fmt, const char *phase_name, const char *detail)
{
	char buf[CURL_ERROR_SIZE + 64];

	snprintf(buf, sizeof(buf), fmt, phase_name, detail);
	free(r->error);
	r->error = strdup(buf);
}

/* Reads the chain the server sent from libcurl's certinfo (one "Cert:"
 * PEM per certificate, the server's own first) and judges it: the
 * handshake ran with verification off, so the certificate is there to see
 * whatever it is, and the verdict is ours (net/cert.c). */
static void judge_certificate(probe *q)
{
	struct curl_certinfo *ci = NULL;
	const char *pem[PROBE_CHAIN_MAX];
	size_t n = 0;

	if (curl_easy_getinfo(q->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci)
		return;
	for (int i = 0; i < ci->num_of_certs && n < PROBE_CHAIN_MAX; i++)
		for (struct curl_slist *s = ci->certinfo[i]; s; s = s->next)
			if (strncmp(s->data, "Cert:", 5) == 0) {
				pem[n++] = s->data + 5;
				break;
			}
	if (n == 0 || cert_read(&q->r->tls, pem, n) != MXS_OK)
		return;
	cert_verify(q->p->certs, &q->r->tls, q->url_host);
}

static void classify(probe *q, CURLcode rc)
{
	probe_result *r = q->r;
	curl_off_t connect_us = 0, app_us = 0;
	long os_errno = 0;
	const char *detail = q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc);
	/* libcurl says QUIT on its way out after a command failed, and it
	 * ignores what QUIT itself gets: a failure seen in QUIT is about the
	 * command before it (a 502 to NOOP is NOOP's, not QUIT's) */
	phase fph = q->ph == PH_QUIT ? q->before_quit : q->ph;
	const char *ph = phase_names[fph];

	r->t.total = elapsed_ms(q);
	if (q->setup_failed) {
		r->state = PROBE_ERROR;
		set_error(r, "%s: %s", "setup", "cannot set up the transfer (out of memory?)");
		return;
	}
	curl_easy_getinfo(q->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(q->easy, CURLINFO_APPCONNECT_TIME_T, &app_us);
	curl_easy_getinfo(q->easy, CURLINFO_OS_ERRNO, &os_errno);
	/* libcurl's clock starts a moment after ours (at its first timeout, a
	 * loop turn later); its connect time stands in when we did not see the
	 * connection made ourselves */
	if (connect_us > 0) {
		if (r->t.connect < 0)
			r->t.connect = (long)(connect_us / 1000);
		q->connected = true;
	}
	if (app_us > 0) {
		r->t.tls = (long)(app_us / 1000);
		r->tls.done = true;
	}
	for (size_t i = 0; i < r->nehlo; i++)
		if (strncasecmp(r->ehlo[i], "STARTTLS", 8) == 0 &&
		    (r->ehlo[i][8] == '\0' || r->ehlo[i][8] == ' '))
			r->tls.offered = true;
	if (r->tls.done)
		judge_certificate(q);

	if (q->greeted) {
		int cls = r->code / 100;
		r->state = cls == 2   ? PROBE_ACCEPTED
		           : cls == 4 ? PROBE_TEMPFAIL
		           : cls == 5 ? PROBE_REJECTED
		                      : PROBE_GARBAGE;
		if (r->state == PROBE_GARBAGE) {
			set_error(r, "%s: %s", phase_names[PH_GREETING],
			          "a 3xx reply code is not a greeting");
			return;
		}
		if (r->state != PROBE_ACCEPTED) {
			/* libcurl gives up on a 4xx/5xx greeting: that is the answer */
			return;
		}
		/* A sender doing opportunistic TLS (RFC 3207, RFC 7435) delivers
		 * despite a certificate it cannot verify, so the greeting keeps
		 * deciding the state; judge_certificate's verdict becomes a
		 * finding. */
		if (rc == CURLE_OK && !q->timed_out)
			return;
		if (q->ph == PH_TLS || is_tls_error(rc)) {
			r->state = PROBE_TLS_FAILED;
			set_error(r, "%s: %s", phase_names[PH_TLS], detail);
			return;
		}
		/* A server that greets and then hangs up or goes quiet in a step
		 * every sender takes too (EHLO, HELO, STARTTLS) takes no mail:
		 * the sender moves on (RFC 5321 §3.8, §4.5.3.2). Anything else
		 * after a 2xx greeting (a 502 to our NOOP, a hang-up at NOOP)
		 * stays ACCEPTED: a sender never says NOOP, so the greeting keeps
		 * deciding, and the error is kept for the report. */
		if ((q->timed_out || is_closed(rc)) &&
		    (fph == PH_EHLO || fph == PH_HELO || fph == PH_STARTTLS))
			r->state = PROBE_DROPPED;
		if (q->timed_out)
			set_error(r, "no reply to %s within %s", ph, detail);
		else if (is_closed(rc))
			set_error(r, "connection closed during %s (%s)", ph, detail);
		else
			set_error(r, "%s: %s", ph, detail);
		return;
	}

	if (q->garbage) {
		r->state = PROBE_GARBAGE;
		set_error(r, "%s: %s", phase_names[PH_GREETING],
		          q->garbage_why ? q->garbage_why
		                         : probe_reply_step_why(PROBE_REPLY_NOT_SMTP));
	} else if (rc == CURLE_COULDNT_CONNECT) {
		/* EHOSTUNREACH, ENETUNREACH and whatever else stops a connection
		 * from being made all leave the address out of reach */
		r->state = os_errno == ECONNREFUSED ? PROBE_REFUSED
		           : os_errno == ETIMEDOUT  ? PROBE_CONNECT_TIMEOUT
		                                    : PROBE_UNREACHABLE;
		set_error(r, "%s: %s", phase_names[PH_CONNECT], detail);
	} else if (q->timed_out || rc == CURLE_OPERATION_TIMEDOUT) {
		r->state = q->connected ? PROBE_GREETING_TIMEOUT : PROBE_CONNECT_TIMEOUT;
		set_error(r, q->timed_out ? "no %s within %s" : "%s: %s",
		          q->connected ? phase_names[PH_GREETING] : phase_names[PH_CONNECT],
		          detail);
	} else if (q->connected) {
		/* Connected, then no complete greeting: the server hung up, or
		 * sent more than libcurl takes before a reply ends (its cap is
		 * 300 KiB, hit within milliseconds by a line that never ends or
		 * a megabyte of continuation lines, long before any timeout).
		 * SMTP replies are lines of at most 512 octets (RFC 5321
		 * §4.5.3.1.5); a server that does this does not speak SMTP. */
		r->state = PROBE_GARBAGE;
		set_error(r, "%s: no complete reply (%s)", phase_names[PH_GREETING], detail);
	} else {
		r->state = PROBE_ERROR;
		set_error(r, "%s: %s", ph, detail);
	}
}

/* ---- probes ------------------------------------------------------------- */

static void pump(smtp_prober *p);

static void probe_free_mem(probe *q)
{
	probe_result_free(q->r);
	curl_slist_free_all(q->connect_to);
	free(q->url_host);
	free(q->rcpt);
	free(q);
}

static void on_watchdog_closed(uv_handle_t *h)
{
	probe *q = h->data;
	smtp_prober *p = q->p;

	probe_free_mem(q);
	p->open_handles--;
	if (p->freeing && p->open_handles == 0 && !p->cl)
		free(p);
}

/* Takes a running probe off the wire without a callback. The probe's
 * memory goes with its timer's close. */
static void probe_stop(probe *q)
{
	smtp_prober *p = q->p;

	if (q->prev)
		q->prev->next = q->next;
	else
		p->running = q->next;
	if (q->next)
		q->next->prev = q->prev;
	p->nrunning--;
	rcpt_conv_free(q->conv);
	q->conv = NULL;
	if (q->easy && !q->setup_failed) /* closes the connection, no QUIT */
		curl_multi_remove_handle(curlloop_multi(p->cl), q->easy);
	curl_easy_cleanup(q->easy);
	q->easy = NULL;
	q->a->busy = false;
	ready_push(p, q->a);
	slot_drop_if_idle(p, q->a);
	q->a = NULL;
	uv_timer_stop(&q->watchdog);
	uv_close((uv_handle_t *)&q->watchdog, on_watchdog_closed);
}

static void finish(probe *q, CURLcode rc)
{
	smtp_prober *p = q->p;
	smtp_done_cb cb = q->cb;
	void *arg = q->arg;
	probe_result *r;

	if (!q->classified)
		classify(q, rc);
	r = q->r;
	q->r = NULL;
	probe_stop(q);
	pump(p);
	if (p->freeing)
		probe_result_free(r);
	else
		cb(r, arg);
}

static void on_watchdog(uv_timer_t *t)
{
	probe *q = t->data;
	smtp_prober *p = q->p;

	snprintf(q->errbuf, sizeof(q->errbuf), "%u ms", p->timeout_ms);
	q->timed_out = !q->setup_failed;
	curlloop_enter(p->cl);
	finish(q, CURLE_OPERATION_TIMEDOUT);
	curlloop_leave(p->cl);
}

static void watchdog_arm(probe *q)
{
	uv_timer_start(&q->watchdog, on_watchdog, q->p->timeout_ms, 0);
}

static void watchdog_disarm(probe *q)
{
	uv_timer_stop(&q->watchdog);
}

static void rcpt_easy_setup(CURL *e);

static CURL *make_easy(probe *q)
{
	smtp_prober *p = q->p;
	CURL *e = curl_easy_init();
	char url[600], pin[600];
	bool v6host = strchr(q->url_host, ':') != NULL;
	bool v6ip = strchr(q->r->ip, ':') != NULL;
	long resp_s = (long)((p->timeout_ms + 999) / 1000) + 1;

	if (!e)
		return NULL;
	snprintf(url, sizeof(url), v6host ? "smtp://[%s]:%d/%s" : "smtp://%s:%d/%s", q->url_host,
	         q->r->port, p->ehlo_path);
	if (strcmp(q->url_host, q->r->ip) != 0) {
		/* CONNECT_TO pins the address for this handle alone, while TLS
		 * verifies the URL's name. CURLOPT_RESOLVE would do the same
		 * through the multi handle's shared DNS cache, where two probes of
		 * one name at two addresses would overwrite each other's entry. */
		snprintf(pin, sizeof(pin), v6ip ? "%s:%d:[%s]:%d" : "%s:%d:%s:%d", q->url_host,
		         q->r->port, q->r->ip, q->r->port);
		q->connect_to = curl_slist_append(NULL, pin);
		if (!q->connect_to)
			goto fail;
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, q->connect_to);
	}
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
		goto fail;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp");
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* without MAIL_FROM/MAIL_RCPT and without upload, libcurl sends this
	 * one command after EHLO (and STARTTLS): it never sends mail */
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "NOOP");
	curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	/* the handshake always completes; the certificate is judged after it
	 * (judge_certificate), so it can be shown also when it fails */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	/* the connection goes to an address literal (the URL's, or CONNECT_TO's):
	 * nothing worth remembering. libcurl's DNS cache (71 chains, pruned of
	 * every stale entry on each lookup) held every address probed in the
	 * last minute, which made each probe's start cost as much as all the
	 * addresses: with 0 it holds only the probes in flight */
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)p->timeout_ms);
	/* libcurl 7.88 counts this one in whole seconds and only checks it on
	 * socket activity; our watchdog keeps the per-reply bound in ms and
	 * this is the backstop */
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, resp_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 3L * p->timeout_ms);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, q);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	if (q->rcpt)
		rcpt_easy_setup(e);
	return e;
fail:
	curl_easy_cleanup(e);
	return NULL;
}

/* Starts q, which has been taken off its address queue. On failure q ends
 * at once with PROBE_ERROR through the normal path. */
static void start(smtp_prober *p, probe *q)
{
	q->a->busy = true;
	q->t0 = uv_hrtime();
	q->fd = CURL_SOCKET_BAD;
	uv_timer_init(p->loop, &q->watchdog);
	q->watchdog.data = q;
	p->open_handles++;
	q->next = p->running;
	q->prev = NULL;
	if (p->running)
		p->running->prev = q;
	p->running = q;
	if (++p->nrunning > p->peak)
		p->peak = (unsigned)p->nrunning;
	q->easy = make_easy(q);
	if (!q->easy || curl_multi_add_handle(curlloop_multi(p->cl), q->easy) != CURLM_OK) {
		q->setup_failed = true;
		/* fails on the next loop turn so the caller never sees a callback
		 * from inside smtp_probe */
		uv_timer_start(&q->watchdog, on_watchdog, 0, 0);
		return;
	}
	/* the greeting deadline starts now; connect time is libcurl's bound */
	uv_timer_start(&q->watchdog, on_watchdog, 2ull * p->timeout_ms, 0);
}

/* ---- the recipient stage (--rcpt, net/rcpt.c) ----------------------- */

/* libcurl stops after its connect phase (greeting, EHLO, STARTTLS, EHLO)
 * and leaves the connection open for net/rcpt.c: no NOOP, no mail. */
static void rcpt_easy_setup(CURL *e)
{
	curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	/* the connection must outlive libcurl's part; it is still never
	 * reused: the stage ends it with QUIT */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 0L);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
}

static void on_rcpt_done(void *arg)
{
	probe *q = arg;
	smtp_prober *p = q->p;

	curlloop_enter(p->cl);
	finish(q, CURLE_OK);
	curlloop_leave(p->cl);
}

/* After libcurl's part ended with rc: true when the recipient stage starts
 * (the probe finishes when it ends), false when the probe finishes now. A
 * host that did not greet with 2xx, or whose TLS failed, gets no RCPT. */
static bool rcpt_stage(probe *q, CURLcode rc)
{
	if (!q->rcpt || q->conv)
		return false;
	classify(q, rc);
	q->classified = true;
	if (q->r->state != PROBE_ACCEPTED || rc != CURLE_OK)
		return false;
	watchdog_disarm(q); /* each reply of the stage has its own deadline */
	q->conv =
	    rcpt_conv_start(q->p->loop, q->easy, q->r, q->rcpt, q->p->timeout_ms, on_rcpt_done, q);
	return q->conv != NULL;
}

static void pump(smtp_prober *p)
{
	while (!p->freeing && p->nrunning < p->max_probes) {
		addr_slot *a = ready_pop(p);
		probe *q;
		if (!a)
			break;
		q = a->qhead;
		a->qhead = q->next;
		if (!a->qhead)
			a->qtail = NULL;
		q->next = NULL;
		p->nqueued--;
		start(p, q);
	}
}

/* ---- libcurl ↔ libuv: net/curlloop.c's hooks ------------------------- */

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
	probe *q = NULL;

	(void)arg;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&q);
	if (q && !rcpt_stage(q, rc))
		finish(q, rc);
}

static void on_watch(void *arg, CURL *e, curl_socket_t fd, int what)
{
	probe *q = NULL;

	(void)arg;
	/* libcurl waits for writability while connecting and for a reply once
	 * connected: the first wish to read marks the connection as made, and
	 * the greeting gets its own timeout from there */
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
	if (q)
		q->fd = fd;
	if (q && q->r && !q->connected && (what & CURL_POLL_IN)) {
		q->connected = true;
		q->r->t.connect = elapsed_ms(q);
		q->ph = PH_GREETING;
		watchdog_arm(q);
	}
}

static void on_release(void *arg)
{
	smtp_prober_free(arg);
}

static void on_loop_closed(void *arg)
{
	smtp_prober *p = arg;

	p->open_handles--;
	if (p->open_handles == 0)
		free(p);
}

/* ---- public ------------------------------------------------------------- */

/* ---- the lab's address map ------------------------------------------------ */

static void overrides_free(smtp_prober *p)
{
	for (size_t i = 0; i < p->nov; i++)
		free(p->ov[i].zone);
	free(p->ov);
	p->ov = NULL;
	p->nov = 0;
}

static bool overrides_copy(smtp_prober *p, const smtp_config *cfg, char **why)
{
	if (cfg->noverrides == 0)
		return true;
	if (cfg->noverrides > SMTP_MAX_OVERRIDES || !cfg->overrides) {
		mxs_why(why, "more than %d address overrides", SMTP_MAX_OVERRIDES);
		return false;
	}
	p->ov = calloc(cfg->noverrides, sizeof(*p->ov));
	if (!p->ov) {
		mxs_why(why, "out of memory");
		return false;
	}
	for (size_t i = 0; i < cfg->noverrides; i++, p->nov++) {
		const probe_port_override *o = &cfg->overrides[i];
		override *v = &p->ov[i];
		size_t zl = o->zone ? strlen(o->zone) : 0;

		if (zl && o->zone[zl - 1] == '.')
			zl--;
		v->af = o->ip && strchr(o->ip, ':') ? AF_INET6 : AF_INET;
		if (!zl || !mx_name_is_host(o->zone, zl) || !o->ip ||
		    inet_pton(v->af, o->ip, v->addr) != 1 || o->port < 1 || o->port > 65535) {
			mxs_why(why,
			        "address override %zu (%.80s %.60s %d) is not a zone, an "
			        "address and a port",
			        i + 1, o->zone ? o->zone : "", o->ip ? o->ip : "", o->port);
			return false;
		}
		v->zone = strndup(o->zone, zl);
		if (!v->zone) {
			mxs_why(why, "out of memory");
			return false;
		}
		for (size_t k = 0; k < zl; k++)
			v->zone[k] = (char)tolower((unsigned char)v->zone[k]);
		v->port = o->port;
	}
	return true;
}

/* Whether host (one trailing dot allowed) is zone or a name under it. */
static bool in_zone(const char *host, const char *zone)
{
	size_t hl = strlen(host), zl = strlen(zone);

	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl < zl || strncasecmp(host + hl - zl, zone, zl) != 0)
		return false;
	return hl == zl || host[hl - zl - 1] == '.';
}

int smtp_prober_port_for(const smtp_prober *p, const char *host, const char *ip)
{
	unsigned char bin[16];
	int af = ip && strchr(ip, ':') ? AF_INET6 : AF_INET;
	size_t best = 0;
	int port = p->port;

	if (!p->nov || !host || !ip || inet_pton(af, ip, bin) != 1)
		return port;
	for (size_t i = 0; i < p->nov; i++) {
		const override *v = &p->ov[i];
		size_t zl = strlen(v->zone);
		if (v->af == af && memcmp(v->addr, bin, af == AF_INET6 ? 16 : 4) == 0 &&
		    zl > best && in_zone(host, v->zone)) {
			best = zl;
			port = v->port;
		}
	}
	return port;
}

smtp_prober *smtp_prober_new(uv_loop_t *loop, const smtp_config *cfg, char **why)
{
	static const curlloop_hooks hooks = {
	    .done = on_done, .watch = on_watch, .release = on_release, .closed = on_loop_closed};
	smtp_prober *p = calloc(1, sizeof(*p));
	char name[256] = "";

	if (!p) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->port = cfg->port ? cfg->port : SMTP_DEFAULT_PORT;
	p->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : SMTP_DEFAULT_TIMEOUT_MS;
	p->max_probes = cfg->max_probes ? cfg->max_probes : SMTP_DEFAULT_MAX_PROBES;
	if (p->port < 1 || p->port > 65535) {
		mxs_why(why, "SMTP port %d is not from 1 to 65535", cfg->port);
		goto fail;
	}
	if (p->timeout_ms > 3600000u) {
		mxs_why(why, "SMTP timeout %u ms is longer than an hour", p->timeout_ms);
		goto fail;
	}
	if (cfg->ehlo_name) {
		if (!is_ehlo_name(cfg->ehlo_name)) {
			mxs_why(why,
			        "EHLO name \"%.80s\" is not a dotted host name or an address "
			        "literal such as [192.0.2.1]",
			        cfg->ehlo_name);
			goto fail;
		}
		snprintf(name, sizeof(name), "%s", cfg->ehlo_name);
	} else if (gethostname(name, sizeof(name) - 1) != 0 || !is_ehlo_name(name)) {
		/* no resolver lookup for the FQDN here: it could block the loop */
		snprintf(name, sizeof(name), "localhost.localdomain");
	}
	p->ehlo = strdup(name);
	/* libcurl takes the EHLO argument from the URL path and URL-decodes it */
	p->ehlo_path = p->ehlo ? curl_easy_escape(NULL, p->ehlo, 0) : NULL;
	p->certs = cert_store_new(cfg->ca_pem);
	if (!overrides_copy(p, cfg, why))
		goto fail;
	/* made last: once it exists, p goes only through its closed hook */
	if (!p->ehlo_path || !p->certs || !(p->cl = curlloop_new(loop, &hooks, p, NULL))) {
		mxs_why(why, "out of memory");
		goto fail;
	}
	/* every probe is a fresh connection: nothing to keep between them */
	curl_multi_setopt(curlloop_multi(p->cl), CURLMOPT_MAXCONNECTS, 1L);
	p->open_handles = 1; /* cl */
	return p;
fail:
	free(p->ehlo);
	curl_free(p->ehlo_path);
	cert_store_free(p->certs);
	overrides_free(p);
	free(p);
	return NULL;
}

mxs_status smtp_probe(smtp_prober *p, const char *host, const char *ip, smtp_done_cb cb, void *arg)
{
	return smtp_probe_rcpt(p, host, ip, NULL, cb, arg);
}

mxs_status smtp_probe_rcpt(smtp_prober *p, const char *host, const char *ip, const char *rcpt,
                           smtp_done_cb cb, void *arg)
{
	unsigned char bin[16];
	char canon[INET6_ADDRSTRLEN];
	int af = ip && strchr(ip, ':') ? AF_INET6 : AF_INET;
	size_t hlen = host ? strlen(host) : 0;
	addr_slot *a;
	probe *q;

	if (p->freeing || !cb || !ip || inet_pton(af, ip, bin) != 1 ||
	    !inet_ntop(af, bin, canon, sizeof(canon)))
		return MXS_ERR_INVALID;
	if (hlen && host[hlen - 1] == '.')
		hlen--; /* the root label is not part of a name in a URL */
	if (hlen && !mx_name_is_host(host, hlen))
		return MXS_ERR_INVALID;
	q = calloc(1, sizeof(*q));
	if (!q)
		return MXS_ERR_NOMEM;
	q->p = p;
	q->cb = cb;
	q->arg = arg;
	q->r = probe_result_new(host && *host ? host : canon, canon,
	                        smtp_prober_port_for(p, hlen ? host : NULL, canon));
	if (rcpt && !(q->rcpt = strdup(rcpt))) {
		probe_free_mem(q);
		return MXS_ERR_NOMEM;
	}
	/* an address given as the host is the host: nothing to verify by name */
	if (hlen && inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		q->url_host = strndup(host, hlen);
	else
		q->url_host = strdup(canon);
	a = slot_get(p, canon, true);
	if (!q->r || !q->url_host || !a) {
		probe_free_mem(q);
		return MXS_ERR_NOMEM;
	}
	q->a = a;
	if (a->qtail)
		a->qtail->next = q;
	else
		a->qhead = q;
	a->qtail = q;
	p->nqueued++;
	ready_push(p, a);
	pump(p);
	return MXS_OK;
}

/* Takes cb/arg's probes off a's queue (a may be dropped). */
static size_t cancel_queued(smtp_prober *p, addr_slot *a, smtp_done_cb cb, void *arg)
{
	probe **pp = &a->qhead, *last = NULL;
	size_t n = 0;

	while (*pp) {
		probe *q = *pp;
		if (q->cb == cb && q->arg == arg) {
			*pp = q->next;
			p->nqueued--;
			probe_free_mem(q);
			n++;
		} else {
			last = q;
			pp = &q->next;
		}
	}
	a->qtail = last;
	if (!a->qhead)
		ready_remove(p, a);
	slot_drop_if_idle(p, a);
	return n;
}

/* Stops cb/arg's running probes: at most --max-probes of them run. */
static size_t cancel_running(smtp_prober *p, smtp_done_cb cb, void *arg)
{
	size_t n = 0;

	for (probe *q = p->running, *next; q; q = next) {
		next = q->next;
		if (q->cb == cb && q->arg == arg) {
			probe_stop(q);
			n++;
		}
	}
	return n;
}

size_t smtp_cancel(smtp_prober *p, smtp_done_cb cb, void *arg)
{
	size_t n = cancel_running(p, cb, arg), pos = 0;

	for (addr_slot *a = slot_next(p, &pos, NULL), *anext; a; a = anext) {
		anext = slot_next(p, &pos, a);
		n += cancel_queued(p, a, cb, arg);
	}
	pump(p);
	return n;
}

size_t smtp_cancel_at(smtp_prober *p, const char *ip, smtp_done_cb cb, void *arg)
{
	unsigned char bin[16];
	char canon[INET6_ADDRSTRLEN];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;
	addr_slot *a;
	size_t n;

	if (inet_pton(af, ip, bin) != 1 || !inet_ntop(af, bin, canon, sizeof(canon)))
		return smtp_cancel(p, cb, arg);
	n = cancel_running(p, cb, arg);
	if ((a = slot_get(p, canon, false)))
		n += cancel_queued(p, a, cb, arg);
	pump(p);
	return n;
}

uv_loop_t *smtp_prober_loop(const smtp_prober *p)
{
	return p->loop;
}

size_t smtp_prober_busy(const smtp_prober *p)
{
	return p->nrunning + p->nqueued;
}

size_t smtp_prober_running(const smtp_prober *p)
{
	return p->nrunning;
}

unsigned smtp_prober_peak(const smtp_prober *p)
{
	return p->peak;
}

const char *smtp_prober_ehlo_name(const smtp_prober *p)
{
	return p->ehlo;
}

void smtp_prober_free(smtp_prober *p)
{
	if (!p)
		return;
	p->freeing = true; /* no more callbacks, no more starts */
	if (!p->cl || curlloop_defer_release(p->cl))
		return; /* the outermost loop callback finishes the job */
	while (p->running)
		probe_stop(p->running);
	for (size_t pos = 0;;) {
		addr_slot *a = slot_next(p, &pos, NULL);
		if (!a)
			break;
		mx_htab_del(p->slots, &a->link);
		while (a->qhead) {
			probe *q = a->qhead;
			a->qhead = q->next;
			probe_free_mem(q);
		}
		free(a);
	}
	mx_htab_free(p->slots);
	p->slots = NULL;
	p->rhead = p->rtail = NULL;
	curlloop_free(p->cl);
	p->cl = NULL;
	free(p->ehlo);
	curl_free(p->ehlo_path);
	cert_store_free(p->certs);
	p->certs = NULL;
	overrides_free(p);
}
