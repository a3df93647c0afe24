/* net/doctor.c — is this machine able to judge mail hosts at all? Three
 * checks, one finding each (doctor.h): the resolver answers, a connection
 * to the one host named opens (only ever that one address: a network that
 * drops outbound port 25 times out here), and an IPv6 default route exists
 * (read from the kernel's table; nothing is sent). */
#include "doctor.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dns.h"
#include "report.h"

#define GREETING_WAIT_MS 3000u /* after connecting: long enough for a normal banner */

typedef struct doc {
	uv_loop_t *loop;
	dns_client *dns;
	unsigned timeout_ms;
	int pending; /* checks still running */
	uint64_t t0;
	doctor_cb cb;
	void *arg;
	/* port */
	const char *host;
	int port;
	bool connected, closing;
	char ip[INET6_ADDRSTRLEN];
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_timer_t timer;
	char buf[512];
	size_t nbuf;
	uint64_t t_connect;
} doc;

static void check_done(doc *x)
{
	x->pending--;
}

/* ---- the resolver ------------------------------------------------------- */

static void on_resolver(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	doc *x = arg;
	uint64_t ms = uv_now(x->loop) - x->t0;
	char line[300];

	(void)alen;
	if (rc == MX_RC_NOT_ASKED)
		return;
	if (abuf)
		snprintf(line, sizeof(line), "%s answered the root's NS question (%s) in %llu ms",
		         dns_client_servers(x->dns), mx_rcode_str(rc), (unsigned long long)ms);
	else
		snprintf(line, sizeof(line), "%s: %s; use -s to name one that answers",
		         dns_client_servers(x->dns),
		         dns_client_last_failure(x->dns) ? dns_client_last_failure(x->dns)
		                                         : mx_rcode_str(rc));
	x->cb(DOCTOR_RESOLVER, abuf != NULL, line, x->arg);
	check_done(x);
}

/* ---- port 25 ------------------------------------------------------------ */

/* The port finding: "ADDR:PORT what", ADDR in brackets for IPv6. */
static void port_result(doc *x, bool ok, const char *fmt, const char *detail)
{
	char what[400], line[600];
	bool v6 = strchr(x->ip, ':') != NULL;

	snprintf(what, sizeof(what), fmt, detail ? detail : "");
	snprintf(line, sizeof(line), "%s%s%s:%d %s", v6 ? "[" : "", x->ip, v6 ? "]" : "", x->port,
	         what);
	x->cb(DOCTOR_PORT, ok, line, x->arg);
}

static void on_closed(uv_handle_t *h)
{
	doc *x = h->data;

	if (h == (uv_handle_t *)&x->tcp)
		check_done(x);
}

static void port_finish(doc *x)
{
	if (x->closing)
		return;
	x->closing = true;
	uv_timer_stop(&x->timer);
	uv_close((uv_handle_t *)&x->timer, on_closed);
	uv_close((uv_handle_t *)&x->tcp, on_closed);
}

/* Connected: the greeting's first line, as far as it came. */
static void greeted(doc *x)
{
	char line[200], *clean, ms[200];
	size_t n = strcspn(x->buf, "\r\n");

	snprintf(line, sizeof(line), "%.*s", (int)n, x->buf);
	clean = mx_sanitize(line);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)x->t_connect);
	if (n)
		snprintf(x->buf, sizeof(x->buf), "connected in %s ms, greets \"%s\"", ms,
		         clean ? clean : "?");
	else
		snprintf(x->buf, sizeof(x->buf),
		         "connected in %s ms (no greeting yet: the port is open from here)", ms);
	free(clean);
	port_result(x, true, "%s", x->buf);
	port_finish(x);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	doc *x = h->data;

	(void)suggested;
	*b = uv_buf_init(x->buf + x->nbuf, (unsigned)(sizeof(x->buf) - 1 - x->nbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	doc *x = s->data;

	(void)b;
	if (n > 0) {
		x->nbuf += (size_t)n;
		x->buf[x->nbuf] = '\0';
	}
	if (n < 0 || memchr(x->buf, '\n', x->nbuf) || x->nbuf + 1 >= sizeof(x->buf))
		greeted(x);
}

static void on_timeout(uv_timer_t *t)
{
	doc *x = t->data;
	char secs[32];

	if (x->connected) {
		greeted(x);
		return;
	}
	snprintf(secs, sizeof(secs), "%.1f", x->timeout_ms / 1000.0);
	port_result(x, false,
	            "no answer to the connection within %s s: this network probably blocks "
	            "outbound port 25 (or the host drops it); probes from here cannot judge "
	            "mail hosts",
	            secs);
	port_finish(x);
}

static void on_connect(uv_connect_t *req, int status)
{
	doc *x = req->data;

	if (status == UV_ECANCELED || x->closing)
		return;
	if (status == UV_ECONNREFUSED) {
		port_result(x, false,
		            "connection refused: nothing listens there (the network let the "
		            "packets through; name a host that runs a mail server)%s",
		            NULL);
		port_finish(x);
		return;
	}
	if (status < 0) {
		port_result(x, false, "cannot connect: %s", uv_strerror(status));
		port_finish(x);
		return;
	}
	x->connected = true;
	x->t_connect = uv_now(x->loop) - x->t0;
	uv_timer_start(&x->timer, on_timeout, GREETING_WAIT_MS, 0);
	if (uv_read_start((uv_stream_t *)&x->tcp, on_alloc, on_read) != 0)
		greeted(x);
}

static void start_connect(doc *x)
{
	struct sockaddr_storage sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	if (strchr(x->ip, ':'))
		rc = uv_ip6_addr(x->ip, x->port, (struct sockaddr_in6 *)&sa);
	else
		rc = uv_ip4_addr(x->ip, x->port, (struct sockaddr_in *)&sa);
	uv_tcp_init(x->loop, &x->tcp);
	uv_timer_init(x->loop, &x->timer);
	x->tcp.data = x->timer.data = x->creq.data = x;
	x->t0 = uv_now(x->loop);
	if (rc == 0)
		rc = uv_tcp_connect(&x->creq, &x->tcp, (struct sockaddr *)&sa, on_connect);
	if (rc != 0) {
		port_result(x, false, "cannot connect: %s", uv_strerror(rc));
		port_finish(x);
		return;
	}
	uv_timer_start(&x->timer, on_timeout, x->timeout_ms, 0);
}

/* HOST named by name: its first address from the resolver, A first. */
static void on_host_addr(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	doc *x = arg;
	dns_addrs got;
	char line[400];

	if (rc == MX_RC_NOT_ASKED)
		return;
	if (rc == MX_RC_OK && dns_addrs_read(abuf, alen, 4, &got, NULL) == MX_RC_OK) {
		snprintf(x->ip, sizeof(x->ip), "%s", got.a[0].ip);
		start_connect(x);
		return;
	}
	snprintf(line, sizeof(line), "%s has no IPv4 address (%s); name an address instead",
	         x->host, mx_rcode_str(rc));
	x->cb(DOCTOR_PORT, false, line, x->arg);
	check_done(x);
}

/* ---- IPv6 --------------------------------------------------------------- */

/* The kernel's IPv6 table (/proc/net/ipv6_route): a default route (::/0)
 * that is not a reject route and not on the loopback device. */
static void ipv6_check(doc *x)
{
	FILE *f = fopen("/proc/net/ipv6_route", "r");
	char dst[40], plen[4], src[40], splen[4], hop[40], dev[32];
	unsigned metric, ref, use, flags;
	bool found = false;

	if (!f) {
		x->cb(DOCTOR_IPV6, false,
		      "this system has no IPv6 (no routing table): IPv6 addresses cannot be "
		      "probed from here",
		      x->arg);
		return;
	}
	while (!found && fscanf(f, "%39s %3s %39s %3s %39s %x %x %x %x %31s", dst, plen, src, splen,
	                        hop, &metric, &ref, &use, &flags, dev) == 10)
		found = strspn(dst, "0") == 32 && strcmp(plen, "00") == 0 &&
		        !(flags & 0x0200) /* RTF_REJECT */ && strcmp(dev, "lo") != 0;
	fclose(f);
	if (found) {
		char line[80];
		snprintf(line, sizeof(line), "default route via %s", dev);
		x->cb(DOCTOR_IPV6, true, line, x->arg);
	} else {
		x->cb(DOCTOR_IPV6, false,
		      "no IPv6 default route: IPv6 addresses cannot be probed from here (IPv4 "
		      "ones still are)",
		      x->arg);
	}
}

/* ---- the run ---------------------------------------------------------------- */

mxs_status doctor_run(const doctor_config *c, doctor_cb cb, void *arg, char **why)
{
	uv_loop_t loop;
	doc x = {.loop = &loop, .timeout_ms = c->timeout_ms, .cb = cb, .arg = arg};
	dns_config dc = {
	    .servers = c->servers, .nservers = c->nservers, .timeout_ms = c->timeout_ms};
	unsigned char bin[16];
	char *dwhy = NULL;
	mxs_status dst;

	if (uv_loop_init(&loop) != 0) {
		mxs_why(why, "cannot start the event loop");
		return MXS_ERR_IO;
	}
	dst = dns_client_new(&loop, &dc, &x.dns, &dwhy);
	if (dst == MXS_ERR_INVALID) {
		/* a server string the caller was given is bad input, not a finding */
		if (why)
			*why = dwhy;
		else
			free(dwhy);
		uv_loop_close(&loop);
		return MXS_ERR_INVALID;
	}
	if (!x.dns) {
		cb(DOCTOR_RESOLVER, false, dwhy ? dwhy : "?", arg);
	} else {
		x.t0 = uv_now(&loop);
		x.pending++;
		if (dns_query_raw(x.dns, ".", ns_t_ns, 0, on_resolver, &x) != MXS_OK) {
			cb(DOCTOR_RESOLVER, false, "the question could not be sent (out of memory)",
			   arg);
			x.pending--;
		}
	}
	if (c->host) {
		x.host = c->host;
		x.port = c->port;
		x.pending++;
		if (inet_pton(AF_INET, c->host, bin) == 1 ||
		    inet_pton(AF_INET6, c->host, bin) == 1) {
			snprintf(x.ip, sizeof(x.ip), "%s", c->host);
			start_connect(&x);
		} else if (!x.dns ||
		           dns_query_raw(x.dns, x.host, ns_t_a, 0, on_host_addr, &x) != MXS_OK) {
			char line[400];
			snprintf(line, sizeof(line), "cannot look up %.256s without a resolver",
			         x.host);
			cb(DOCTOR_PORT, false, line, arg);
			x.pending--;
		}
	}
	while (x.pending > 0 && uv_run(&loop, UV_RUN_ONCE))
		;
	ipv6_check(&x);
	dns_client_free(x.dns);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(dwhy);
	return MXS_OK;
}
