/* src/doctor.c — `mxscope doctor`: is this machine able to judge mail
 * hosts at all? Three checks, one line each: the resolver answers, a
 * connection to the host the user names opens on port 25 (only ever that
 * one address: a network that drops outbound port 25 times out here), and
 * an IPv6 default route exists (read from the kernel's table; nothing is
 * sent). */
#include "doctor.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "name.h"
#include "num.h"
#include "report.h"

#define GREETING_WAIT_MS 3000u /* after connecting: long enough for a normal banner */

typedef struct doc {
	uv_loop_t *loop;
	dns_client *dns;
	unsigned timeout_ms;
	int pending; /* checks still running */
	uint64_t t0;
	/* resolver */
	bool res_ok;
	char res_line[300];
	/* port */
	char host[256];
	int port;
	bool want_port, port_ok, connected, closing;
	char ip[INET6_ADDRSTRLEN];
	char port_line[600];
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

static const char *status_word(int status)
{
	switch (status) {
	case ARES_SUCCESS: return "NOERROR";
	case ARES_ENODATA: return "NODATA";
	case ARES_ENOTFOUND: return "NXDOMAIN";
	case ARES_ESERVFAIL: return "SERVFAIL";
	case ARES_EREFUSED: return "REFUSED";
	default: return ares_strerror(status);
	}
}

static void on_resolver(int status, const unsigned char *abuf, int alen, void *arg)
{
	doc *x = arg;
	uint64_t ms = uv_now(x->loop) - x->t0;

	(void)alen;
	if (status == ARES_EDESTRUCTION)
		return;
	x->res_ok = abuf != NULL;
	if (x->res_ok)
		snprintf(x->res_line, sizeof(x->res_line),
		         "resolver   ok    %s answered the root's NS question (%s) in %llu ms",
		         dns_client_servers(x->dns), status_word(status), (unsigned long long)ms);
	else
		snprintf(x->res_line, sizeof(x->res_line),
		         "resolver   FAIL  %s: %s; use -s to name one that answers",
		         dns_client_servers(x->dns),
		         dns_client_last_failure(x->dns) ? dns_client_last_failure(x->dns)
		                                         : ares_strerror(status));
	check_done(x);
}

/* ---- port 25 ------------------------------------------------------------ */

static void port_result(doc *x, bool ok, const char *fmt, const char *detail)
{
	char what[400];

	snprintf(what, sizeof(what), fmt, detail ? detail : "");
	x->port_ok = ok;
	snprintf(x->port_line, sizeof(x->port_line), "port %-5d %-5s %s%s%s:%d %s", x->port,
	         ok ? "ok" : "FAIL", strchr(x->ip, ':') ? "[" : "", x->ip,
	         strchr(x->ip, ':') ? "]" : "", x->port, what);
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
static void on_host_addr(int status, const unsigned char *abuf, int alen, void *arg)
{
	doc *x = arg;
	struct ares_addrttl t[4];
	int n = 4;

	if (status == ARES_EDESTRUCTION)
		return;
	if (status == ARES_SUCCESS && ares_parse_a_reply(abuf, alen, NULL, t, &n) == ARES_SUCCESS &&
	    n > 0 && inet_ntop(AF_INET, &t[0].ipaddr, x->ip, sizeof(x->ip))) {
		start_connect(x);
		return;
	}
	snprintf(x->port_line, sizeof(x->port_line),
	         "port %-5d FAIL  %s has no IPv4 address (%s); name an address instead", x->port,
	         x->host, status_word(status));
	check_done(x);
}

/* "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address. */
static bool parse_target(doc *x, const char *spec, int default_port)
{
	const char *colon = strrchr(spec, ':'), *port_s = NULL;
	unsigned char bin[16];
	unsigned long port = (unsigned long)default_port;
	size_t len;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || (end[1] && end[1] != ':'))
			return false;
		len = (size_t)(end - spec - 1);
		port_s = end[1] ? end + 2 : NULL;
		spec++;
	} else if (colon && strchr(spec, ':') == colon) {
		len = (size_t)(colon - spec);
		port_s = colon + 1;
	} else {
		len = strlen(spec);
	}
	if (len == 0 || len >= sizeof(x->host))
		return false;
	memcpy(x->host, spec, len);
	x->host[len] = '\0';
	if (port_s && (!mx_num_parse(port_s, 65535, &port) || port == 0))
		return false;
	x->port = (int)port;
	if (inet_pton(AF_INET, x->host, bin) == 1 || inet_pton(AF_INET6, x->host, bin) == 1) {
		snprintf(x->ip, sizeof(x->ip), "%s", x->host);
		return true;
	}
	return mx_name_is_host(x->host, strlen(x->host));
}

/* ---- IPv6 --------------------------------------------------------------- */

/* The kernel's IPv6 table (/proc/net/ipv6_route): a default route (::/0)
 * that is not a reject route and not on the loopback device. */
static void ipv6_line(char *out, size_t cap)
{
	FILE *f = fopen("/proc/net/ipv6_route", "r");
	char dst[40], plen[4], src[40], splen[4], hop[40], dev[32];
	unsigned metric, ref, use, flags;
	bool found = false;

	if (!f) {
		snprintf(out, cap,
		         "ipv6       no    this system has no IPv6 (no routing table): "
		         "IPv6 addresses cannot be probed from here");
		return;
	}
	while (!found && fscanf(f, "%39s %3s %39s %3s %39s %x %x %x %x %31s", dst, plen, src, splen,
	                        hop, &metric, &ref, &use, &flags, dev) == 10)
		found = strspn(dst, "0") == 32 && strcmp(plen, "00") == 0 &&
		        !(flags & 0x0200) /* RTF_REJECT */ && strcmp(dev, "lo") != 0;
	fclose(f);
	if (found)
		snprintf(out, cap, "ipv6       ok    default route via %s", dev);
	else
		snprintf(out, cap,
		         "ipv6       no    no IPv6 default route: IPv6 addresses cannot be "
		         "probed from here (IPv4 ones still are)");
}

/* ---- the command ---------------------------------------------------------- */

int doctor_run(const cli_opts *o)
{
	uv_loop_t loop;
	doc x = {.loop = &loop, .timeout_ms = o->timeout_ms};
	dns_config dc = {
	    .servers = o->servers, .nservers = o->nservers, .timeout_ms = o->timeout_ms};
	char *why = NULL, v6[200];
	int code = 0;

	if (o->nargs == 1 && !parse_target(&x, o->args[0], o->smtp_port > 0 ? o->smtp_port : 25)) {
		cli_error("doctor: \"%.80s\" is not HOST[:PORT] (a host name or an address, a port "
		          "from 1 to 65535)",
		          o->args[0]);
		return 2;
	}
	x.want_port = o->nargs == 1;
	if (uv_loop_init(&loop) != 0) {
		cli_error("cannot start the event loop");
		return 3;
	}
	x.dns = dns_client_new(&loop, &dc, &why);
	if (!x.dns && why && strstr(why, "DNS server \"")) {
		/* a server string the user typed is bad input, not a finding */
		cli_error("%s", why);
		free(why);
		uv_loop_close(&loop);
		return 2;
	}
	if (!x.dns) {
		snprintf(x.res_line, sizeof(x.res_line), "resolver   FAIL  %s", why ? why : "?");
	} else {
		x.t0 = uv_now(&loop);
		x.pending++;
		if (dns_ask_raw(x.dns, ".", ns_t_ns, on_resolver, &x) != MXS_OK)
			x.pending--;
	}
	if (x.want_port) {
		x.pending++;
		if (x.ip[0])
			start_connect(&x);
		else if (!x.dns || dns_ask_raw(x.dns, x.host, ns_t_a, on_host_addr, &x) != MXS_OK) {
			snprintf(x.port_line, sizeof(x.port_line),
			         "port %-5d FAIL  cannot look up %s without a resolver", x.port,
			         x.host);
			x.pending--;
		}
	}
	while (x.pending > 0 && uv_run(&loop, UV_RUN_ONCE))
		;
	ipv6_line(v6, sizeof(v6));
	printf("%s\n", x.res_line);
	if (x.want_port)
		printf("%s\n", x.port_line);
	else
		printf(
		    "port 25    skip  name a mail host to test it: mxscope doctor HOST[:PORT]\n");
	printf("%s\n", v6);
	if (!x.res_ok || (x.want_port && !x.port_ok))
		code = 1;
	dns_client_free(x.dns);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(why);
	return code;
}
