/* src/labcmd.c — the lab command. The lab's DNS server runs on the same loop
 * as the resolver that asks it, so `mxscope lab` needs nothing outside. */
#include "labcmd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <jansson.h>

#include "check.h"
#include "explore.h"
#include "lab.h"
#include "line.h"
#include "mx.h"
#include "report.h"
#include "trainer.h"

#define LAB_DEFAULT_PORT      5300
#define LAB_HTTP_DEFAULT_PORT 8053
#define LAB_STS_DEFAULT_PORT  8443

typedef struct serve_ctx {
	lab_dns *dns;
	lab_smtp *smtp;
	lab_http *http;
	lab_sts_server *sts;
	uv_signal_t sigint, sigterm;
	/* trainer commands on stdin, one per line (NULL stdin when none) */
	lab *trainer;
	line_reader *lines;
	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
		uv_stream_t s;
	} in;
	bool in_open;
	char inbuf[1024];
} serve_ctx;

#define TRAINER_LINE_MAX 512

/* Only loopback: the lab must never be reachable from another machine. */
static int is_file_arg(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".zone") == 0);
}

static int load_world(lab_world *w, const cli_opts *o)
{
	char *why = NULL;
	mxs_status st = MXS_OK;

	if (o->nargs == 0)
		st = lab_world_load_builtin(w, &why);
	for (size_t i = 0; st == MXS_OK && i < o->nargs; i++)
		st = is_file_arg(o->args[i]) ? lab_world_load_file(w, o->args[i], &why)
		                             : lab_world_load_builtin_named(w, o->args[i], &why);
	if (st != MXS_OK) {
		cli_error("lab: %s", why ? why : mxs_str(st));
		free(why);
		return 2;
	}
	return 0;
}

static void close_stdin(serve_ctx *x)
{
	if (x->in_open)
		uv_close((uv_handle_t *)&x->in.s, NULL);
	x->in_open = false;
}

/* One line "DOMAIN COMMAND ARGS..." (or "COMMAND ARGS..." for a command that
 * needs no domain, such as "down ADDR") run on the served lab; one answer line on stdout, with the
 * trainer's words sanitised since they echo what was typed. */
static int on_trainer_line(const char *line, size_t len, unsigned long lineno, unsigned flags,
                           void *arg)
{
	serve_ctx *x = arg;
	char dom[256] = "", *why = NULL, *clean;
	const char *rest = line + strspn(line, " \t"), *sp;
	size_t dl = strcspn(rest, " \t");
	mxs_status st;

	(void)len;
	if (!*rest || *rest == '#')
		return 0; /* blank lines and comments: scripts of commands stay readable */
	if (flags & (LINE_TOO_LONG | LINE_HAS_NUL)) {
		printf("trainer error: line %lu %s\n", lineno,
		       flags & LINE_TOO_LONG ? "is too long" : "holds a NUL byte");
		fflush(stdout);
		return 0;
	}
	/* a domain has a dot and a command never does: "down ADDR" needs none */
	if (!memchr(rest, '.', dl))
		dl = 0;
	if (dl) {
		snprintf(dom, sizeof(dom), "%.*s", (int)(dl < sizeof(dom) ? dl : sizeof(dom) - 1),
		         rest);
		sp = rest + dl;
		rest = sp + strspn(sp, " \t");
	}
	st = lab_trainer_run(x->trainer, dom[0] ? dom : NULL, rest, &why);
	clean = mx_sanitize(why ? why : "out of memory");
	printf("trainer %s: %s\n", st == MXS_OK ? "ok" : "error", clean ? clean : "out of memory");
	fflush(stdout);
	free(clean);
	free(why);
	return 0;
}

static void on_stdin_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	serve_ctx *x = h->data;

	(void)want;
	*buf = uv_buf_init(x->inbuf, sizeof(x->inbuf));
}

/* EOF (or a read error, such as a background job's terminal) ends the
 * commands, not the lab: the servers run until a signal. */
static void on_stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	serve_ctx *x = s->data;

	if (n > 0)
		line_feed(x->lines, buf->base, (size_t)n, on_trainer_line, x);
	else if (n < 0) {
		line_finish(x->lines, on_trainer_line, x);
		close_stdin(x);
	}
}

/* Reads trainer commands from fd 0 when it is a pipe, socket or terminal; a
 * regular file or /dev/null is read at once. Failing to read stdin is not a
 * reason to stop serving. */
static void start_stdin(uv_loop_t *loop, serve_ctx *x)
{
	uv_handle_type t = uv_guess_handle(0);
	int rc = -1;

	if (!x->trainer || !x->lines)
		return;
	if (t == UV_FILE) {
		ssize_t n;

		while ((n = read(0, x->inbuf, sizeof(x->inbuf))) > 0)
			line_feed(x->lines, x->inbuf, (size_t)n, on_trainer_line, x);
		line_finish(x->lines, on_trainer_line, x);
		return;
	}
	if (t == UV_TTY) {
		/* a background `lab --serve &` gets EIO instead of being stopped */
		signal(SIGTTIN, SIG_IGN);
		rc = uv_tty_init(loop, &x->in.tty, 0, 1);
	} else if (t == UV_NAMED_PIPE || t == UV_TCP) {
		rc = uv_pipe_init(loop, &x->in.pipe, 0);
		if (rc == 0 && (rc = uv_pipe_open(&x->in.pipe, 0)) != 0)
			uv_close((uv_handle_t *)&x->in.pipe, NULL);
	}
	if (rc != 0)
		return;
	x->in_open = true;
	x->in.s.data = x;
	if (uv_read_start(&x->in.s, on_stdin_alloc, on_stdin_read) != 0)
		close_stdin(x);
}

static void on_signal(uv_signal_t *s, int signum)
{
	serve_ctx *x = s->data;

	(void)signum;
	close_stdin(x);
	lab_sts_server_close(x->sts); /* before the SMTP hosts whose CA it uses */
	x->sts = NULL;
	lab_dns_close(x->dns);
	x->dns = NULL;
	lab_smtp_close(x->smtp);
	x->smtp = NULL;
	lab_http_close(x->http);
	x->http = NULL;
	uv_close((uv_handle_t *)&x->sigint, NULL);
	uv_close((uv_handle_t *)&x->sigterm, NULL);
}

static lab_dns *start_dns(uv_loop_t *loop, const lab_world *w, const cli_opts *o, int port)
{
	char *why = NULL;
	lab_dns *d = lab_dns_new(loop, w, o->set.bind, port, &why);

	if (!d) {
		cli_error("lab: cannot serve DNS: %s; choose another port with --port N "
		          "(--port 0 takes any free one)",
		          why ? why : "unknown error");
		free(why);
	}
	return d;
}

static lab_smtp *start_smtp(uv_loop_t *loop, const lab_world *w, int port)
{
	char *why = NULL;
	lab_smtp *s = lab_smtp_new(loop, w, port, &why);

	if (!s) {
		cli_error("lab: cannot serve SMTP: %s; choose another port with "
		          "--smtp-port N (--smtp-port 0 takes any free one)",
		          why ? why : "unknown error");
		free(why);
	}
	return s;
}

/* The blocklist endpoint. Its port: --http-port, else any free one when
 * --port 0 asked for free ports (tests run labs side by side), else 8053. */
static lab_http *start_http(uv_loop_t *loop, const cli_opts *o, bool serving)
{
	char *why = NULL;
	int port = o->set.http_port >= 0         ? o->set.http_port
	           : serving && o->set.port != 0 ? LAB_HTTP_DEFAULT_PORT
	                                         : 0;
	lab_http *h = lab_http_new(loop, o->set.bind, port, &why);

	if (!h) {
		cli_error("lab: cannot serve HTTP: %s; choose another port with "
		          "--http-port N (--http-port 0 takes any free one)",
		          why ? why : "unknown error");
		free(why);
	}
	return h;
}

/* The MTA-STS policy server (HTTPS, the lab CA). Its port: --mta-sts-port
 * under --serve (443 where a real MTA's policy fetcher is to find it, in a
 * namespace of its own), else a free one with --port 0 or outside --serve,
 * else 8443, or a free one when 8443 is taken. */
static lab_sts_server *start_sts(uv_loop_t *loop, const lab_world *w, lab_smtp *sm,
                                 const cli_opts *o, bool serving)
{
	char *why = NULL;
	bool asked = serving && o->set.mta_sts_port > 0;
	int port = asked                         ? o->set.mta_sts_port
	           : serving && o->set.port != 0 ? LAB_STS_DEFAULT_PORT
	                                         : 0;
	lab_sts_server *s = lab_sts_server_new(loop, w, sm, o->set.bind, port, &why);

	if (!s && serving && o->set.port != 0 && !asked) {
		/* 8443 is a popular port: any free one will do, `https` says which */
		free(why);
		why = NULL;
		s = lab_sts_server_new(loop, w, sm, o->set.bind, 0, &why);
	}
	if (!s) {
		cli_error("lab: cannot serve MTA-STS policies over HTTPS: %s",
		          why ? why : "unknown error");
		free(why);
	}
	return s;
}

/* The lab's blocklist as a provider for check_run, in config syntax. */
static void lab_blocklist_text(const lab_http *h, char *out, size_t cap)
{
	snprintf(out, cap,
	         "[blocklist lab]\ntype = dnsbl-doh\nzone = " LAB_HTTP_ZONE "\n"
	         "url = http://%s/dns-query\n"
	         "codes = 127.0.0.2:spam source,127.0.0.4:exploited host\n"
	         "rate = 100/s\nenabled = yes\n",
	         lab_http_address(h));
}

/* Writes the lab CA where another terminal's `mxscope check --cafile` or
 * `openssl s_client -CAfile` can read it; dir is filled for removal. */
static int write_ca(const lab_smtp *s, char *dir, size_t dircap, char *path, size_t pathcap)
{
	FILE *f;

	snprintf(dir, dircap, "/tmp/mxscope-lab-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, pathcap, "%s/ca.pem", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(lab_smtp_ca_pem(s), f);
	return fclose(f);
}

/* "smtp ADDRESS:PORT", and for a ::1 host the zone of its scenario: each
 * scenario's ::1 host has a port of its own (lab_smtp_overrides). */
static void print_listener(const lab_smtp *s, size_t i)
{
	const char *l = lab_smtp_listener(s, i), *zone = NULL;
	size_t n = 0;
	const probe_port_override *ov = lab_smtp_overrides(s, &n);
	char want[80];

	for (size_t k = 0; k < n && !zone; k++) {
		snprintf(want, sizeof(want), "[%s]:%d", ov[k].ip, ov[k].port);
		if (strcmp(l, want) == 0)
			zone = ov[k].zone;
	}
	if (zone)
		printf("smtp %s %s\n", l, zone);
	else
		printf("smtp %s\n", l);
}

static int serve(uv_loop_t *loop, lab_world *w, const cli_opts *o)
{
	serve_ctx x = {0};
	const char *fmt = strchr(o->set.bind, ':') ? "dns [%s]:%d\n" : "dns %s:%d\n";
	char dir[64] = "", ca[96] = "";

	x.dns = start_dns(loop, w, o, o->set.port >= 0 ? o->set.port : LAB_DEFAULT_PORT);
	if (!x.dns)
		return 3;
	x.smtp =
	    start_smtp(loop, w, o->set.smtp_port >= 0 ? o->set.smtp_port : LAB_SMTP_DEFAULT_PORT);
	x.http = x.smtp ? start_http(loop, o, true) : NULL;
	x.sts = x.http ? start_sts(loop, w, x.smtp, o, true) : NULL;
	if (!x.smtp || !x.http || !x.sts) {
		lab_http_close(x.http);
		lab_dns_close(x.dns);
		lab_smtp_close(x.smtp);
		uv_run(loop, UV_RUN_NOWAIT);
		return 3;
	}
	/* before the ca line: a reader may stop the lab as soon as it has it,
	 * and the CA directory is removed only on the way out of the loop */
	uv_signal_init(loop, &x.sigint);
	uv_signal_init(loop, &x.sigterm);
	x.sigint.data = x.sigterm.data = &x;
	uv_signal_start(&x.sigint, on_signal, SIGINT);
	uv_signal_start(&x.sigterm, on_signal, SIGTERM);
	printf(fmt, o->set.bind, lab_dns_port(x.dns));
	for (size_t i = 0; i < lab_smtp_listener_count(x.smtp); i++)
		print_listener(x.smtp, i);
	/* before the ca line: readers stop at that one */
	printf("http %s\n", lab_http_address(x.http));
	printf("https %s\n", lab_sts_server_address(x.sts));
	if (write_ca(x.smtp, dir, sizeof(dir), ca, sizeof(ca)) == 0)
		printf("ca %s\n", ca);
	fflush(stdout);
	cli_error("lab serving %zu scenario%s; try: dig @%s -p %d %s MX (Ctrl-C "
	          "stops)",
	          lab_world_scenario_count(w), lab_world_scenario_count(w) == 1 ? "" : "s",
	          o->set.bind, lab_dns_port(x.dns),
	          lab_world_scenario_count(w) && lab_scenario_domain_count(w, 0)
	              ? lab_scenario_domain(w, 0, 0)
	              : "lab.test");
	x.trainer = lab_new(w, x.smtp);
	x.lines = line_reader_new(TRAINER_LINE_MAX);
	start_stdin(loop, &x);
	uv_run(loop, UV_RUN_DEFAULT);
	lab_free(x.trainer);
	line_reader_free(x.lines);
	if (ca[0]) {
		remove(ca);
		rmdir(dir);
	}
	return 0;
}

static void print_wrapped(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("  | %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* --json: the scenario as one NDJSON line before its domains' lines, so
 * stdout stays one JSON object per line. */
static void print_scenario_json(const lab_world *w, size_t i)
{
	json_t *o = json_object(), *doms = json_array();
	char *text;

	for (size_t j = 0; j < lab_scenario_domain_count(w, i); j++)
		json_array_append_new(doms, json_string(lab_scenario_domain(w, i, j)));
	json_object_set_new(o, "scenario", json_string(lab_scenario_name(w, i)));
	json_object_set_new(o, "title", json_string(lab_scenario_title(w, i)));
	json_object_set_new(o, "lesson", json_string(lab_scenario_explain(w, i)));
	json_object_set_new(o, "domains", doms);
	if (lab_scenario_as(w, i))
		json_object_set_new(o, "as", json_string(lab_scenario_as(w, i)));
	text = json_dumps(o, JSON_COMPACT);
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

/* What every front end the lab runs is told, on top of what the user asked:
 * the lab's DNS server and ports, its CA, its address map and blocklist.
 * One place, so the lab's reports and its explorer ask the same way. */
static void lab_settings(settings *st, const char *server, const lab_dns *d, const lab_smtp *sm,
                         const lab_sts_server *ss, const char *bltext)
{
	st->servers[0] = server;
	st->nservers = 1;
	/* --authoritative: the lab's name servers listen on its DNS port */
	if (st->ns_port <= 0)
		st->ns_port = lab_dns_port(d);
	st->allow_loopback = true;
	/* probes go to the lab's own SMTP hosts and trust its CA; with no
	 * listener at all, any port refuses like the scenario wants */
	st->smtp_port = lab_smtp_port(sm) > 0 ? lab_smtp_port(sm) : LAB_SMTP_DEFAULT_PORT;
	st->ca_pem = lab_smtp_ca_pem(sm);
	st->loopback_probes = true;
	/* each scenario's ::1 host on its own port */
	st->smtp_overrides = lab_smtp_overrides(sm, &st->nsmtp_overrides);
	/* the lab teaches DANE: its signed zones are answered with AD, and
	 * TLSA in unsigned ones is shown too (dane-tlsa-insecure) */
	st->dane = true;
	st->mta_sts_port = lab_sts_server_port(ss);
	/* every lab address is asked about on the lab's own blocklist */
	st->blocklist_text = bltext;
	/* on loopback 2 s is an age; the room should not wait on tarpits */
	if (!st->timeout_given)
		st->timeout_ms = 2000;
}

/* Reports on every scenario in turn: title, explanation, then the check of
 * its domains; a scenario that suggests a relay host gets that view too. */
static int report(uv_loop_t *loop, const lab_world *w, const cli_opts *o)
{
	lab_dns *d = start_dns(loop, w, o, o->set.port >= 0 ? o->set.port : 0);
	lab_smtp *sm = d ? start_smtp(loop, w, o->set.smtp_port >= 0 ? o->set.smtp_port : 0) : NULL;
	lab_http *hp = sm ? start_http(loop, o, false) : NULL;
	lab_sts_server *ss = hp ? start_sts(loop, w, sm, o, false) : NULL;
	char server[80], bltext[512];
	int worst = 0;

	if (!d || !sm || !hp || !ss) {
		lab_http_close(hp);
		lab_dns_close(d);
		lab_smtp_close(sm);
		uv_run(loop, UV_RUN_NOWAIT);
		return 3;
	}
	lab_blocklist_text(hp, bltext, sizeof(bltext));
	snprintf(server, sizeof(server), strchr(o->set.bind, ':') ? "[%s]:%d" : "%s:%d",
	         o->set.bind, lab_dns_port(d));
	for (size_t i = 0; i < lab_world_scenario_count(w); i++) {
		cli_opts co = *o;
		size_t nd = lab_scenario_domain_count(w, i);
		char **names = calloc(nd ? nd : 1, sizeof(*names));
		int code;

		if (!names)
			return 3;
		for (size_t j = 0; j < nd; j++)
			names[j] = (char *)lab_scenario_domain(w, i, j);
		lab_settings(&co.set, server, d, sm, ss, bltext);
		co.set.file = NULL;
		if (o->set.json)
			print_scenario_json(w, i);
		else if (o->set.tour)
			printf("%s#### Tour %zu/%zu ####\n", i ? "\n" : "", i + 1,
			       lab_world_scenario_count(w));
		if (!o->set.json)
			printf("%s== %s: %s ==\n", i && !o->set.tour ? "\n" : "",
			       lab_scenario_name(w, i), lab_scenario_title(w, i));
		if (!o->set.json && lab_scenario_explain(w, i)[0])
			print_wrapped(lab_scenario_explain(w, i));
		fflush(stdout);
		code = check_run(loop, &co, names, nd, stdout);
		if (code == 3) {
			free(names);
			worst = 3;
			break;
		}
		if (lab_scenario_as(w, i) && !o->set.as_host) {
			co.set.as_host = lab_scenario_as(w, i);
			if (!o->set.json) /* the domains' own lines say "as" */
				printf("\n-- the same, seen from %s (--as) --\n", co.set.as_host);
			fflush(stdout);
			check_run(loop, &co, names, nd, stdout);
		}
		free(names);
	}
	lab_sts_server_close(ss);
	lab_dns_close(d);
	lab_smtp_close(sm);
	lab_http_close(hp);
	uv_run(loop, UV_RUN_NOWAIT);
	/* teaching scenarios are meant to have findings: only a failure to run
	 * is an error here */
	return worst;
}

/* On a terminal: the lab's servers and the explorer on one loop, every
 * scenario's domains listed with the scenario's explanation beside them. */
static int explore_lab(uv_loop_t *loop, lab_world *w, const cli_opts *o)
{
	explore_labctl xl = {w, NULL, o->set.tour};
	lab_dns *d = start_dns(loop, w, o, o->set.port >= 0 ? o->set.port : 0);
	lab_smtp *sm = d ? start_smtp(loop, w, o->set.smtp_port >= 0 ? o->set.smtp_port : 0) : NULL;
	lab_http *hp = sm ? start_http(loop, o, false) : NULL;
	lab_sts_server *ss = hp ? start_sts(loop, w, sm, o, false) : NULL;
	explore_domain *doms = NULL;
	size_t n = 0, cap = 0;
	cli_opts co = *o;
	char server[80], bltext[512];
	int code = 3;

	if (!d || !sm || !hp || !ss)
		goto done;
	lab_blocklist_text(hp, bltext, sizeof(bltext));
	snprintf(server, sizeof(server), strchr(o->set.bind, ':') ? "[%s]:%d" : "%s:%d",
	         o->set.bind, lab_dns_port(d));
	for (size_t i = 0; i < lab_world_scenario_count(w); i++)
		cap += lab_scenario_domain_count(w, i);
	doms = calloc(cap ? cap : 1, sizeof(*doms));
	if (!doms)
		goto done;
	/* a tour starts with the first scenario alone; N and P move on */
	for (size_t i = 0; i < (o->set.tour ? 1 : lab_world_scenario_count(w)); i++)
		for (size_t j = 0; j < lab_scenario_domain_count(w, i); j++)
			doms[n++] = (explore_domain){lab_scenario_domain(w, i, j), (int)i};
	lab_settings(&co.set, server, d, sm, ss, bltext);
	xl.smtp = sm;
	code = explore_run(loop, &co, &xl, doms, n);
done:
	free(doms);
	lab_sts_server_close(ss);
	lab_dns_close(d);
	lab_smtp_close(sm);
	lab_http_close(hp);
	uv_run(loop, UV_RUN_NOWAIT);
	return code;
}

int labcmd_run(const cli_opts *o)
{
	uv_loop_t loop;
	lab_world *w = NULL;
	int code;

	if (!mx_ip_is_loopback(o->set.bind)) {
		cli_error("lab: --bind %s is not a loopback address (127.0.0.0/8 or ::1); "
		          "the lab only listens on loopback",
		          o->set.bind);
		return 2;
	}
	w = lab_world_new();
	if (!w || uv_loop_init(&loop) != 0) {
		cli_error("lab: out of memory");
		lab_world_free(w);
		return 3;
	}
	code = load_world(w, o);
	if (code)
		goto done;
	if (o->set.list) {
		for (size_t i = 0; i < lab_world_scenario_count(w); i++)
			printf("%-20s %-28s %s\n", lab_scenario_name(w, i),
			       lab_scenario_domain_count(w, i) ? lab_scenario_domain(w, i, 0) : "-",
			       lab_scenario_title(w, i));
		goto done;
	}
	if (o->set.serve)
		code = serve(&loop, w, o);
	else if (explore_possible())
		code = explore_lab(&loop, w, o);
	else
		code = report(&loop, w, o); /* a pipe or a script: the plain reports */
done:
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	lab_world_free(w);
	return code;
}
