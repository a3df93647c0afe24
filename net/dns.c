/* net/dns.c — the DNS engine: c-ares 1.18 (old API: ares_query, ares_send,
 * ARES_OPT_SOCK_STATE_CB, ares_process_fd, ares_timeout) driven by libuv
 * polls and one timer, with a FIFO that bounds the questions on the wire.
 * It asks questions and hands back answers; what they mean for a mail
 * domain is net/mxjob.c's.
 *
 * The engine paces by what comes back (DESIGN.md "Dependencies": servers
 * with response rate limiting drop or truncate what exceeds their rate):
 *  - a window of questions in flight, AIMD like TCP's congestion window:
 *    one more per window of answers (doubling until the first loss), half
 *    on a timeout, between a floor and max_outstanding;
 *  - a truncated answer is asked again over TCP at once, and the next
 *    questions go over TCP for TCP_HOLD_MS (rate limiting is per UDP answer);
 *  - a question that timed out is asked again while its --timeout budget
 *    lasts, so a run loses no answer it could have had;
 *  - --qps: a token bucket refilled on a libuv timer; every question on the
 *    wire, retries included, takes a token (c-ares retries nothing itself:
 *    tries = 1). */
#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_OUTSTANDING 100  /* measured knee: bench/README.md */
#define WINDOW_FLOOR_DIV    10   /* the window never falls below max / 10 (at least 1) */
#define TCP_HOLD_MS         5000 /* after a truncated answer, TCP for this long */
#define TCP_MAX_FAILS       3    /* TCP refused this often in a row: UDP only */
#define QPS_BURST_MS        20   /* --qps: at most this many ms of tokens saved up */

/* header flag bits in the fourth octet (RFC 4035 §3.2.2, RFC 6840 §5.7) */
#define HDR_AD 0x20
#define HDR_CD 0x10

typedef struct query {
	dns_client *c;
	int type;       /* the type asked */
	unsigned flags; /* DNS_Q_* */
	dns_raw_cb cb;
	void *arg;
	struct query *next;
	unsigned long seq; /* c->questions when last sent: losses of one window count once */
	uint64_t deadline; /* loop ms: the first send + timeout_ms; 0 = not sent yet */
	unsigned tries;    /* sends so far */
	bool tcp;          /* ask over TCP (after a truncated answer) */
	char name[];       /* the name asked */
} query;

/* One send of a question: c-ares' callback argument. A UDP send still on
 * the wire when the server truncates is superseded (q = NULL): its
 * question goes again over TCP at once, and whatever this send brings
 * later is dropped. */
typedef struct attempt {
	dns_client *c;
	query *q;                    /* NULL once superseded */
	struct attempt *prev, *next; /* in c->udp_live while a live UDP send */
	bool udp;
} attempt;

/* One c-ares channel and its client, handed to on_sock_state. */
typedef struct chan {
	dns_client *c;
	ares_channel ch; /* NULL until first used (TCP) */
} chan;

typedef struct pollh {
	uv_poll_t poll;
	ares_socket_t fd;
	chan *ch;
	struct pollh *next;
} pollh;

struct dns_client {
	uv_loop_t *loop;
	ares_channel channel; /* UDP (TCP only for what c-ares must) */
	chan udp, tcp;        /* tcp.ch: every question over TCP (ARES_FLAG_USEVC) */
	uv_timer_t timer;
	uv_prepare_t arm;      /* arms the timer once per loop turn (arm_soon) */
	int open_handles;      /* timer and arm: c is freed when both have closed */
	uv_timer_t *qps_timer; /* refills the --qps bucket; NULL without --qps */
	pollh *polls;
	unsigned max_outstanding, outstanding, peak;
	query *qhead, *qtail; /* waiting for a slot */
	attempt *udp_live;    /* UDP sends on the wire, not superseded */
	unsigned long replies, questions;
	unsigned timeout_ms, attempt_ms; /* a question's budget; one send's (c-ares') */
	/* pacing */
	unsigned window, floor, ssthresh, acked;
	unsigned long cut_seq; /* questions sent before the last halving */
	uint64_t tcp_until;    /* loop ms: send over TCP until then */
	unsigned tcp_fails;    /* TCP sends refused or reset in a row */
	bool no_tcp;           /* the server will not talk TCP: truncated answers are kept */
	unsigned qps;
	double tokens;
	uint64_t refilled; /* loop ms of the last refill */
	dns_pacing_stats st;
	struct ares_options opts;
	int optmask;
	char csv[512]; /* the servers given, c-ares' form; "" = the system's */
	char servers[512];
	char failure[160];
	int closing;
	bool no_recurse; /* RD off (dns_config.no_recurse), flagged questions too */
};

mxs_status dns_global_init(char **why)
{
	int rc = ares_library_init(ARES_LIB_INIT_ALL);

	if (rc != ARES_SUCCESS) {
		mxs_why(why, "cannot initialise c-ares: %s", ares_strerror(rc));
		return MXS_ERR_NET;
	}
	return MXS_OK;
}

void dns_global_cleanup(void)
{
	ares_library_cleanup();
}

const char *dns_version(void)
{
	return ares_version(NULL);
}

/* ---- the loop glue ------------------------------------------------------ */

static void arm_soon(dns_client *c);

static void on_poll(uv_poll_t *p, int status, int events)
{
	pollh *h = p->data;
	dns_client *c = h->ch->c;
	ares_channel ch = h->ch->ch;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	/* On a poll error let c-ares read and write: it sees the socket error
	 * itself and fails over to the next server. */
	if (status < 0 || (events & UV_READABLE))
		rfd = h->fd;
	if (status < 0 || (events & UV_WRITABLE))
		wfd = h->fd;
	ares_process_fd(ch, rfd, wfd);
	arm_soon(c);
}

static void on_poll_closed(uv_handle_t *hd)
{
	free(hd->data);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	chan *cc = data;
	dns_client *c = cc->c;
	pollh **pp = &c->polls, *h;

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	h = *pp;
	if (!readable && !writable) {
		if (h) {
			*pp = h->next;
			uv_poll_stop(&h->poll);
			uv_close((uv_handle_t *)&h->poll, on_poll_closed);
		}
		return;
	}
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return; /* the question times out and reports the failure */
		h->fd = fd;
		h->ch = cc;
		h->poll.data = h;
		if (uv_poll_init_socket(c->loop, &h->poll, fd) != 0) {
			free(h);
			return;
		}
		h->next = c->polls;
		c->polls = h;
	}
	uv_poll_start(&h->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
	              on_poll);
}

static void on_timer(uv_timer_t *t)
{
	dns_client *c = t->data;

	ares_process_fd(c->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	if (c->tcp.ch)
		ares_process_fd(c->tcp.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_soon(c);
}

static void arm_timer(dns_client *c)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (c->closing)
		return;
	tvp = ares_timeout(c->channel, NULL, &tv);
	if (c->tcp.ch) {
		struct timeval tv2, *t2 = ares_timeout(c->tcp.ch, tvp, &tv2);
		if (t2) {
			tv = *t2;
			tvp = &tv;
		}
	}
	if (!tvp) {
		uv_timer_stop(&c->timer);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
	uv_timer_start(&c->timer, on_timer, ms ? ms : 1, 0);
}

static void on_arm(uv_prepare_t *p)
{
	dns_client *c = p->data;

	uv_prepare_stop(p);
	arm_timer(c);
}

/* The timer follows c-ares' next deadline, asked once per loop turn: a
 * turn that reads a thousand answers costs one ares_timeout, not one per
 * socket event (libuv runs prepare handles after the timers and before it
 * computes how long to poll, so the deadline is current when it sleeps). */
static void arm_soon(dns_client *c)
{
	if (!c->closing)
		uv_prepare_start(&c->arm, on_arm);
}

/* ---- questions ---------------------------------------------------------- */

mx_rcode dns_rcode_of(int status)
{
	switch (status) {
	case ARES_SUCCESS: return MX_RC_OK;
	case ARES_ENODATA: return MX_RC_NODATA;
	case ARES_ENOTFOUND: return MX_RC_NXDOMAIN;
	case ARES_ESERVFAIL: return MX_RC_SERVFAIL;
	case ARES_EREFUSED: return MX_RC_REFUSED;
	case ARES_ETIMEOUT: return MX_RC_TIMEOUT;
	case ARES_EFORMERR:
	case ARES_EBADRESP: return MX_RC_FORMERR;
	default: return MX_RC_ERROR;
	}
}

/* A usable reply came back from a server, whatever its rcode. Bytes that
 * do not parse as DNS do not count: a server that only sends garbage is as
 * good as none. */
static int got_reply(int status)
{
	return status != ARES_ETIMEOUT && status != ARES_ECONNREFUSED &&
	       status != ARES_ECANCELLED && status != ARES_EDESTRUCTION && status != ARES_ENOMEM &&
	       status != ARES_EBADRESP;
}

static void pump(dns_client *c);

static void note_failure(dns_client *c, int status)
{
	if (status == ARES_ETIMEOUT)
		snprintf(c->failure, sizeof(c->failure), "no valid reply within %.1f s",
		         c->timeout_ms / 1000.0);
	else if (status == ARES_ECONNREFUSED)
		snprintf(c->failure, sizeof(c->failure), "connection refused");
	else if (status == ARES_EBADRESP)
		snprintf(c->failure, sizeof(c->failure), "its answers are not valid DNS messages");
	else
		snprintf(c->failure, sizeof(c->failure), "%s", ares_strerror(status));
}

/* ---- pacing --------------------------------------------------------------- */

/* Every answer counts one toward the next step up: one per answer while
 * doubling (before the first loss), one per whole window after it. */
static void window_ack(dns_client *c)
{
	c->st.answered++;
	if (c->window >= c->max_outstanding)
		return;
	if (c->window < c->ssthresh) {
		c->window++;
	} else if (++c->acked >= c->window) {
		c->acked = 0;
		c->window++;
	}
}

/* A timeout halves the window, once per window: the questions that were
 * already on the wire when it was cut are lost to the same burst. */
static void window_loss(dns_client *c, const query *q)
{
	c->st.timeouts++;
	if (q->seq <= c->cut_seq)
		return;
	c->ssthresh = c->window / 2 > c->floor ? c->window / 2 : c->floor;
	c->window = c->ssthresh;
	c->acked = 0;
	c->cut_seq = c->questions;
	c->st.halvings++;
}

static void refill(dns_client *c)
{
	uint64_t now = uv_now(c->loop);
	double cap = (double)c->qps * QPS_BURST_MS / 1000.0;

	if (cap < 1)
		cap = 1;
	c->tokens += (double)(now - c->refilled) * c->qps / 1000.0;
	if (c->tokens > cap)
		c->tokens = cap;
	c->refilled = now;
}

static void on_qps_timer(uv_timer_t *t)
{
	pump(t->data);
}

/* The TCP channel, made on first use with the UDP channel's options and
 * servers. NULL when it cannot be made: the question stays on UDP. */
static ares_channel tcp_channel(dns_client *c)
{
	struct ares_options o = c->opts;

	if (c->no_tcp)
		return NULL;
	if (c->tcp.ch)
		return c->tcp.ch;
	o.flags |= ARES_FLAG_USEVC;
	o.sock_state_cb_data = &c->tcp;
	if (ares_init_options(&c->tcp.ch, &o, c->optmask) != ARES_SUCCESS) {
		c->tcp.ch = NULL;
		return NULL;
	}
	if (c->csv[0] && ares_set_servers_ports_csv(c->tcp.ch, c->csv) != ARES_SUCCESS) {
		ares_destroy(c->tcp.ch);
		c->tcp.ch = NULL;
	}
	return c->tcp.ch;
}

/* Back in the FIFO, first in line: it has waited longest. */
static void requeue(dns_client *c, query *q)
{
	q->next = c->qhead;
	c->qhead = q;
	if (!c->qtail)
		c->qtail = q;
}

/* Whether a whole try still fits in q's budget (a tenth of a try of
 * slack: the timer fires a little late). */
static bool another_try(const dns_client *c, const query *q, uint64_t now)
{
	return now + c->attempt_ms <= q->deadline + c->attempt_ms / 10;
}

static bool truncated(const unsigned char *abuf, int alen)
{
	return abuf && alen >= HFIXEDSZ && (abuf[2] & 0x02);
}

/* The asker's answer as is, when a server sent one; q is freed. */
static void deliver(dns_client *c, query *q, int status, const unsigned char *abuf, int alen)
{
	bool reply = got_reply(status) && abuf;

	q->cb(dns_rcode_of(status), reply ? abuf : NULL, reply ? alen : 0, q->arg);
	free(q);
	pump(c);
}

static void unlink_live(dns_client *c, attempt *a)
{
	if (!a->udp)
		return;
	if (a->prev)
		a->prev->next = a->next;
	else
		c->udp_live = a->next;
	if (a->next)
		a->next->prev = a->prev;
	a->udp = false;
}

/* The server truncates: it answers too big for UDP or, far more often in
 * bulk, it is rate limiting (nsd's and BIND's RRL "slip" truncate some
 * answers and drop the others silently). The UDP sends still on the wire
 * are probably dropped: asked again over TCP now rather than after a
 * try's timeout each. */
static void supersede_udp(dns_client *c)
{
	while (c->udp_live) {
		attempt *a = c->udp_live;
		query *q = a->q;
		unlink_live(c, a);
		a->q = NULL;
		c->outstanding--;
		c->st.superseded++;
		q->tcp = true;
		requeue(c, q);
	}
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	attempt *a = arg;
	query *q = a->q;
	dns_client *c = a->c;
	uint64_t now;

	(void)timeouts;
	unlink_live(c, a);
	free(a);
	if (!q)
		return; /* superseded: its question went again over TCP */
	c->outstanding--;
	if (status == ARES_EDESTRUCTION || c->closing) {
		/* on teardown the asker still hears, to free its context */
		q->cb(MX_RC_NOT_ASKED, NULL, 0, q->arg);
		free(q);
		return;
	}
	now = uv_now(c->loop);
	/* Truncated (too big, or a rate limiter's "slip"): at once over TCP
	 * with every UDP send still out, and the next questions too for a
	 * while. */
	if (truncated(abuf, alen) && !q->tcp && tcp_channel(c)) {
		c->replies++;
		c->st.truncated++;
		window_ack(c);
		c->tcp_until = now + TCP_HOLD_MS;
		q->tcp = true;
		supersede_udp(c);
		requeue(c, q);
		pump(c);
		return;
	}
	/* A TCP connection refused or reset: that question again over UDP;
	 * after TCP_MAX_FAILS in a row the server will not talk TCP, and
	 * truncated answers are taken as they are. */
	if (q->tcp && status == ARES_ECONNREFUSED) {
		c->no_tcp = ++c->tcp_fails >= TCP_MAX_FAILS;
		q->tcp = false;
		requeue(c, q);
		pump(c);
		return;
	}
	if (status == ARES_ETIMEOUT) {
		window_loss(c, q);
		/* asked again while the budget allows another whole try */
		if (another_try(c, q, now)) {
			c->st.retries++;
			requeue(c, q);
			pump(c);
			return;
		}
	} else if (got_reply(status)) {
		window_ack(c);
		if (q->tcp)
			c->tcp_fails = 0;
	}
	if (got_reply(status))
		c->replies++;
	else
		note_failure(c, status);
	deliver(c, q, status, abuf, alen);
}

/* ares_query's reading of a reply's rcode, for the questions sent with
 * ares_send (which hands over every reply as it came). */
static void on_flagged_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	if (status == ARES_SUCCESS) {
		if (!abuf || alen < HFIXEDSZ)
			status = ARES_EBADRESP;
		else
			switch (abuf[3] & 0x0f) {
			case ns_r_noerror:
				status = (abuf[6] << 8 | abuf[7]) > 0 ? ARES_SUCCESS : ARES_ENODATA;
				break;
			case ns_r_formerr: status = ARES_EFORMERR; break;
			case ns_r_servfail: status = ARES_ESERVFAIL; break;
			case ns_r_nxdomain: status = ARES_ENOTFOUND; break;
			case ns_r_notimpl: status = ARES_ENOTIMP; break;
			case ns_r_refused: status = ARES_EREFUSED; break;
			default: break;
			}
	}
	on_answer(arg, status, timeouts, abuf, alen);
}

/* c-ares 1.18 has no flag for AD or CD in a question: the question is made
 * with ares_create_query, the bits set in its header, and it goes out with
 * ares_send (which sets the ID). The AD bit asks a validating resolver to
 * say whether the answer is secure (RFC 6840 §5.7). */
static int send_flagged(ares_channel ch, attempt *a, unsigned char bits)
{
	unsigned char *buf = NULL;
	int len = 0;

	if (ares_create_query(a->q->name, ns_c_in, a->q->type, 0, !a->c->no_recurse, &buf, &len,
	                      0) != ARES_SUCCESS ||
	    len < HFIXEDSZ) {
		ares_free_string(buf);
		return -1;
	}
	buf[3] |= bits;
	ares_send(ch, buf, len, on_flagged_answer, a);
	ares_free_string(buf);
	return 0;
}

static void send_query(dns_client *c, query *q, uint64_t now)
{
	ares_channel ch = c->channel;
	attempt *a = malloc(sizeof(*a));

	if (!a) {
		note_failure(c, ARES_ENOMEM);
		deliver(c, q, ARES_ENOMEM, NULL, 0);
		return;
	}
	*a = (attempt){.c = c, .q = q};
	if (!q->tcp && now < c->tcp_until && !c->no_tcp)
		q->tcp = true;
	if (q->tcp) {
		ch = tcp_channel(c);
		if (!ch) {
			ch = c->channel;
			q->tcp = false;
		}
	}
	if (q->tcp)
		c->st.tcp++;
	if (!q->deadline)
		q->deadline = now + c->timeout_ms;
	q->tries++;
	c->outstanding++;
	if (c->outstanding > c->peak)
		c->peak = c->outstanding;
	c->questions++;
	q->seq = c->questions;
	if (!q->tcp) {
		a->udp = true;
		a->next = c->udp_live;
		if (c->udp_live)
			c->udp_live->prev = a;
		c->udp_live = a;
	}
	if (q->flags) {
		unsigned char bits =
		    (q->flags & DNS_Q_AD ? HDR_AD : 0) | (q->flags & DNS_Q_CD ? HDR_CD : 0);
		if (send_flagged(ch, a, bits) != 0)
			on_answer(a, ARES_ENOMEM, 0, NULL, 0);
		return;
	}
	ares_query(ch, q->name, ns_c_in, q->type, on_answer, a);
}

/* Sends waiting questions while the window and the --qps bucket allow. */
static void pump(dns_client *c)
{
	uint64_t now = uv_now(c->loop);

	while (!c->closing && c->qhead && c->outstanding < c->window) {
		query *q = c->qhead;
		if (q->deadline && !another_try(c, q, now)) {
			/* a retry that waited in line past its budget */
			c->qhead = q->next;
			if (!c->qhead)
				c->qtail = NULL;
			note_failure(c, ARES_ETIMEOUT);
			deliver(c, q, ARES_ETIMEOUT, NULL, 0);
			return; /* deliver pumped again */
		}
		if (c->qps) {
			refill(c);
			if (c->tokens < 1) {
				uint64_t wait = (uint64_t)((1 - c->tokens) * 1000.0 / c->qps) + 1;
				uv_timer_start(c->qps_timer, on_qps_timer, wait, 0);
				break;
			}
			c->tokens -= 1;
		}
		c->qhead = q->next;
		if (!c->qhead)
			c->qtail = NULL;
		send_query(c, q, now);
	}
	arm_soon(c);
}

mxs_status dns_query_raw(dns_client *c, const char *name, int type, unsigned flags, dns_raw_cb cb,
                         void *arg)
{
	size_t n = strlen(name) + 1;
	query *q = calloc(1, sizeof(*q) + n);

	if (!q)
		return MXS_ERR_NOMEM;
	q->c = c;
	q->type = type;
	q->flags = flags;
	q->cb = cb;
	q->arg = arg;
	memcpy(q->name, name, n);
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	pump(c);
	return MXS_OK;
}

/* ---- public ------------------------------------------------------------- */

mxs_status dns_client_new(uv_loop_t *loop, const dns_config *cfg, dns_client **out, char **why)
{
	dns_client *c = calloc(1, sizeof(*c));
	struct ares_options o = {0};
	struct ares_addr_port_node *servers = NULL;
	char csv[sizeof(c->servers)] = "";
	mxs_status st = MXS_ERR_NET;
	unsigned nservers = 0;
	int rc;

	*out = NULL;
	if (!c) {
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	c->loop = loop;
	c->udp.c = c->tcp.c = c;
	c->no_recurse = cfg->no_recurse;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
	c->max_outstanding = cfg->max_outstanding ? cfg->max_outstanding : DEFAULT_OUTSTANDING;
	c->floor =
	    c->max_outstanding / WINDOW_FLOOR_DIV ? c->max_outstanding / WINDOW_FLOOR_DIV : 1;
	c->window = c->floor;
	c->ssthresh = c->max_outstanding;
	c->qps = cfg->qps;
	/* One try per send (c-ares retries nothing itself, so every send passes
	 * the window and the --qps bucket); pump asks again while the budget
	 * allows: a third of it per try, three tries. With several servers
	 * c-ares asks each in turn within one try, doubling from the second. */
	o.timeout = (int)(c->timeout_ms / 3 ? c->timeout_ms / 3 : 1);
	o.tries = 1;
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = &c->udp;
	/* Without NOCHECKRESP c-ares 1.18 turns a SERVFAIL or REFUSED reply into
	 * ECONNREFUSED after trying the other servers; a sender treats those
	 * differently from a server that never answered, so we keep them.
	 * IGNTC: a truncated answer comes to on_answer, which asks again over
	 * TCP at once and remembers that the server truncates. */
	o.flags =
	    ARES_FLAG_NOCHECKRESP | ARES_FLAG_IGNTC | (cfg->no_recurse ? ARES_FLAG_NORECURSE : 0);
	/* A burst of answers to every question in flight must fit in the socket
	 * buffer: each lost answer costs a whole retry timeout. The kernel caps
	 * this at net.core.rmem_max. */
	o.socket_receive_buffer_size = 4 * 1024 * 1024;
	c->opts = o;
	c->optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
	             ARES_OPT_SOCK_RCVBUF;
	rc = ares_init_options(&c->channel, &o, c->optmask);
	if (rc != ARES_SUCCESS) {
		mxs_why(why, "cannot set up the DNS resolver: %s", ares_strerror(rc));
		free(c);
		return rc == ARES_ENOMEM ? MXS_ERR_NOMEM : MXS_ERR_NET;
	}
	for (size_t i = 0; i < cfg->nservers; i++) {
		char one[80];
		st = dns_server_parse(cfg->servers[i], one, sizeof(one), why);
		if (st != MXS_OK)
			goto fail;
		if (strlen(csv) + strlen(one) + 2 > sizeof(csv)) {
			mxs_why(why, "too many DNS servers");
			st = MXS_ERR_INVALID;
			goto fail;
		}
		if (csv[0])
			strcat(csv, ",");
		strcat(csv, one);
	}
	snprintf(c->csv, sizeof(c->csv), "%s", csv);
	if (csv[0]) {
		rc = ares_set_servers_ports_csv(c->channel, csv);
		if (rc != ARES_SUCCESS) {
			mxs_why(why, "cannot use DNS servers \"%s\": %s", csv, ares_strerror(rc));
			st = MXS_ERR_NET;
			goto fail;
		}
	}
	/* Read back what c-ares uses, so messages name the system resolver's
	 * servers too. */
	c->servers[0] = '\0';
	if (ares_get_servers_ports(c->channel, &servers) == ARES_SUCCESS) {
		for (struct ares_addr_port_node *s = servers; s; s = s->next) {
			char ip[INET6_ADDRSTRLEN] = "?", one[80];
			nservers++;
			inet_ntop(s->family, &s->addr, ip, sizeof(ip));
			snprintf(one, sizeof(one), s->family == AF_INET6 ? "%s[%s]:%d" : "%s%s:%d",
			         c->servers[0] ? ", " : "", ip, s->udp_port ? s->udp_port : 53);
			if (strlen(c->servers) + strlen(one) < sizeof(c->servers))
				strcat(c->servers, one);
		}
		ares_free_data(servers);
	}
	if (nservers == 0 || !c->servers[0]) {
		mxs_why(
		    why,
		    "no DNS server configured (none given with -s and none in /etc/resolv.conf)");
		st = MXS_ERR_NET;
		goto fail;
	}
	c->udp.ch = c->channel;
	/* c-ares asks each server in turn within one try */
	c->attempt_ms = (unsigned)o.timeout * nservers;
	if (c->qps) {
		c->qps_timer = malloc(sizeof(*c->qps_timer));
		if (!c->qps_timer) {
			mxs_why(why, "out of memory");
			st = MXS_ERR_NOMEM;
			goto fail;
		}
		uv_timer_init(loop, c->qps_timer);
		c->qps_timer->data = c;
		c->refilled = uv_now(loop);
		c->tokens = 1;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_prepare_init(loop, &c->arm);
	c->arm.data = c;
	c->open_handles = 2;
	*out = c;
	return MXS_OK;
fail:
	ares_destroy(c->channel);
	free(c);
	return st;
}

unsigned long dns_client_replies(const dns_client *c)
{
	return c->replies;
}
unsigned long dns_client_questions(const dns_client *c)
{
	return c->questions;
}
unsigned dns_client_peak(const dns_client *c)
{
	return c->peak;
}
const char *dns_client_servers(const dns_client *c)
{
	return c->servers;
}
void dns_client_pacing(const dns_client *c, dns_pacing_stats *out)
{
	*out = c->st;
	out->window = c->window;
}
const char *dns_client_last_failure(const dns_client *c)
{
	return c->failure[0] ? c->failure : NULL;
}

static void on_handle_closed(uv_handle_t *h)
{
	dns_client *c = h->data;

	if (--c->open_handles == 0)
		free(c);
}

static void on_qps_closed(uv_handle_t *h)
{
	free(h);
}

void dns_client_free(dns_client *c)
{
	if (!c)
		return;
	c->closing = 1;
	/* answers still arriving are dropped: on_answer sees closing */
	ares_destroy(c->channel);
	if (c->tcp.ch)
		ares_destroy(c->tcp.ch);
	if (c->qps_timer) {
		uv_timer_stop(c->qps_timer);
		uv_close((uv_handle_t *)c->qps_timer, on_qps_closed);
	}
	while (c->qhead) {
		query *q = c->qhead;
		c->qhead = q->next;
		q->cb(MX_RC_NOT_ASKED, NULL, 0, q->arg);
		free(q);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_prepare_stop(&c->arm);
	uv_close((uv_handle_t *)&c->arm, on_handle_closed);
}
