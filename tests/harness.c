/* tests/harness.c — the integration tests' lab fixture and process plumbing. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define CAP (32u << 20)

const char *h_bin(void)
{
	const char *b = getenv("MXSCOPE_BIN");
	return b ? b : "build/src/mxscope";
}

long h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The children h_spawn started that nobody has waited for yet, so that a
 * test that fails half-way (cmocka longjmps past its h_lab_stop) or dies of
 * a signal does not leave `lab --serve` processes running. One static
 * table, in test code only: the exit and signal paths that reap them
 * (atexit, a signal handler) take no argument and may not allocate, so a
 * fixed global the size of the most children a test keeps at once is the
 * one place they can find them. h_owner is the process that spawned them:
 * a test that fork()s inherits the table but not the children, and must
 * not kill its parent's labs when it exits. */
#define H_KIDS 32
static volatile sig_atomic_t h_kids[H_KIDS];
static volatile sig_atomic_t h_owner;

/* Asks each child still running to stop (SIGTERM: the lab removes its
 * temporary CA directory), gives them about two seconds, then SIGKILLs
 * the rest and waits for them. Async-signal-safe: only kill, waitpid,
 * nanosleep and getpid. A PID that is no longer this process's unwaited
 * child (waited for with plain waitpid) is left alone: it may be reused. */
static void kids_reap(void)
{
	int left = 0;

	if (h_owner != getpid())
		return;
	for (int i = 0; i < H_KIDS; i++) {
		if (h_kids[i] <= 0)
			continue;
		if (waitpid(h_kids[i], NULL, WNOHANG) != 0)
			h_kids[i] = 0;
		else if (kill(h_kids[i], SIGTERM) == 0)
			left++;
	}
	for (int t = 0; t < 200 && left > 0; t++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		left = 0;
		for (int i = 0; i < H_KIDS; i++)
			if (h_kids[i] > 0 && waitpid(h_kids[i], NULL, WNOHANG) != 0)
				h_kids[i] = 0;
			else if (h_kids[i] > 0)
				left++;
	}
	for (int i = 0; i < H_KIDS; i++) {
		if (h_kids[i] <= 0)
			continue;
		kill(h_kids[i], SIGKILL);
		waitpid(h_kids[i], NULL, 0);
		h_kids[i] = 0;
	}
}

/* SA_RESETHAND: raising the signal again after the reap ends the process
 * the way the signal meant to (the status meson and a parent test see). */
static void kids_on_signal(int sig)
{
	int saved = errno;

	kids_reap();
	errno = saved;
	raise(sig);
}

static void kids_add(pid_t pid)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGABRT};
	static int hooked; /* atexit and sigaction survive fork: once serves forked tests too */

	if (h_owner != getpid()) {
		for (int i = 0; i < H_KIDS; i++)
			h_kids[i] = 0;
		h_owner = getpid();
	}
	if (!hooked) {
		atexit(kids_reap);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old,
			    sa = {.sa_handler = kids_on_signal, .sa_flags = SA_RESETHAND};
			sigemptyset(&sa.sa_mask);
			/* a test's own handler for these stays its own */
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
				sigaction(sigs[i], &sa, NULL);
		}
		hooked = 1;
	}
	for (int i = 0; i < H_KIDS; i++) {
		if (h_kids[i] == 0) {
			h_kids[i] = pid;
			return;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("more than %d processes started by the harness at once", H_KIDS);
}

static void kids_forget(pid_t pid)
{
	for (int i = 0; i < H_KIDS; i++)
		if (h_kids[i] == pid)
			h_kids[i] = 0;
}

pid_t h_wait(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, 0);

	kids_forget(pid);
	return r;
}

pid_t h_spawn(const char *const *args, int *in_w, int *out_r, int *err_r)
{
	int pin[2], pout[2], perr[2];
	const char *argv[64];
	size_t n = 0;
	pid_t pid, parent = getpid();

	argv[n++] = h_bin();
	for (; args && *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe2(pin, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pout, O_CLOEXEC), 0);
	assert_int_equal(pipe2(perr, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
#ifdef __linux__
		/* a test process that is SIGKILLed runs no handler: the kernel
		 * stops the child instead (SIGTERM, so the lab still cleans up).
		 * It follows the thread that forked, so spawn from the main one. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(127);
#endif
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	kids_add(pid);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	*in_w = pin[1];
	*out_r = pout[0];
	*err_r = perr[0];
	return pid;
}

typedef struct sink {
	char *s;
	size_t len;
} sink;

static int drain(int fd, sink *k)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return -1;
	if (k->len + (size_t)n < CAP) {
		k->s = realloc(k->s, k->len + (size_t)n + 1);
		memcpy(k->s + k->len, buf, (size_t)n);
		k->len += (size_t)n;
		k->s[k->len] = '\0';
	}
	return 0;
}

void h_run(const char *const *args, const char *stdin_data, int timeout_ms, hrun *r)
{
	int in_w, out_r, err_r, st = 0;
	sink o = {calloc(1, 1), 0}, e = {calloc(1, 1), 0};
	size_t in_off = 0, in_len = stdin_data ? strlen(stdin_data) : 0;
	long start = h_now_ms(), deadline = start + timeout_ms;
	pid_t pid = h_spawn(args, &in_w, &out_r, &err_r);
	int killed = 0;

	signal(SIGPIPE, SIG_IGN);
	if (in_len == 0) {
		close(in_w);
		in_w = -1;
	} else {
		fcntl(in_w, F_SETFL, O_NONBLOCK);
	}
	while (out_r >= 0 || err_r >= 0) {
		struct pollfd p[3];
		int np = 0, left = (int)(deadline - h_now_ms());
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (out_r >= 0)
			p[np++] = (struct pollfd){.fd = out_r, .events = POLLIN};
		if (err_r >= 0)
			p[np++] = (struct pollfd){.fd = err_r, .events = POLLIN};
		if (in_w >= 0)
			p[np++] = (struct pollfd){.fd = in_w, .events = POLLOUT};
		if (poll(p, (nfds_t)np, left) <= 0)
			continue;
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == in_w) {
				ssize_t w = write(in_w, stdin_data + in_off, in_len - in_off);
				if (w > 0)
					in_off += (size_t)w;
				if (w < 0 || in_off == in_len) {
					close(in_w);
					in_w = -1;
				}
			} else if (p[i].fd == out_r && drain(out_r, &o) < 0) {
				close(out_r);
				out_r = -1;
			} else if (p[i].fd == err_r && drain(err_r, &e) < 0) {
				close(err_r);
				err_r = -1;
			}
		}
	}
	if (in_w >= 0)
		close(in_w);
	if (out_r >= 0)
		close(out_r);
	if (err_r >= 0)
		close(err_r);
	{
		struct rusage ru;
		wait4(pid, &st, 0, &ru);
		kids_forget(pid);
		r->maxrss_kb = ru.ru_maxrss;
	}
	r->elapsed_ms = h_now_ms() - start;
	r->out = o.s;
	r->err = e.s;
	if (killed)
		r->status = -1;
	else if (WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	else
		r->status = 128 + WTERMSIG(st);
}

void h_run_many(const char *const *const *argvs, size_t n, int timeout_ms, hrun *rs)
{
	enum { MAXK = 8 };
	int out_r[MAXK], err_r[MAXK], st;
	sink o[MAXK], e[MAXK];
	pid_t pid[MAXK];
	long start = h_now_ms(), deadline = start + timeout_ms;
	bool killed = false;

	assert_true(n <= MAXK);
	signal(SIGPIPE, SIG_IGN);
	for (size_t k = 0; k < n; k++) {
		int in_w;
		o[k] = (sink){calloc(1, 1), 0};
		e[k] = (sink){calloc(1, 1), 0};
		pid[k] = h_spawn(argvs[k], &in_w, &out_r[k], &err_r[k]);
		close(in_w);
	}
	for (;;) {
		struct pollfd p[2 * MAXK];
		size_t who[2 * MAXK];
		int np = 0, left = (int)(deadline - h_now_ms());
		for (size_t k = 0; k < n; k++) {
			if (out_r[k] >= 0) {
				who[np] = k;
				p[np++] = (struct pollfd){.fd = out_r[k], .events = POLLIN};
			}
			if (err_r[k] >= 0) {
				who[np] = k;
				p[np++] = (struct pollfd){.fd = err_r[k], .events = POLLIN};
			}
		}
		if (np == 0)
			break;
		if (left <= 0) {
			for (size_t k = 0; k < n; k++)
				kill(pid[k], SIGKILL);
			killed = true;
			break;
		}
		if (poll(p, (nfds_t)np, left) <= 0)
			continue;
		for (int i = 0; i < np; i++) {
			size_t k = who[i];
			if (!p[i].revents)
				continue;
			if (p[i].fd == out_r[k] && drain(out_r[k], &o[k]) < 0) {
				close(out_r[k]);
				out_r[k] = -1;
			} else if (p[i].fd == err_r[k] && drain(err_r[k], &e[k]) < 0) {
				close(err_r[k]);
				err_r[k] = -1;
			}
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct rusage ru;
		if (out_r[k] >= 0)
			close(out_r[k]);
		if (err_r[k] >= 0)
			close(err_r[k]);
		wait4(pid[k], &st, 0, &ru);
		kids_forget(pid[k]);
		rs[k].maxrss_kb = ru.ru_maxrss;
		rs[k].elapsed_ms = h_now_ms() - start;
		rs[k].out = o[k].s;
		rs[k].err = e[k].s;
		if (killed)
			rs[k].status = -1;
		else if (WIFEXITED(st))
			rs[k].status = WEXITSTATUS(st);
		else
			rs[k].status = 128 + WTERMSIG(st);
	}
}

int h_run_group(int argc, char **argv, const char *name, const struct CMUnitTest *tests, size_t n,
                int (*setup)(void **), int (*teardown)(void **))
{
	unsigned k = 1, parts = 1;
	struct CMUnitTest *mine;
	size_t m = 0;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--part") == 0 &&
	    (sscanf(argv[2], "%u/%u", &k, &parts) != 2 || k < 1 || k > parts)) {
		fprintf(stderr, "%s: --part %s: expected K/N with 1 <= K <= N\n", name, argv[2]);
		return 2;
	}
	mine = calloc(n ? n : 1, sizeof(*mine));
	if (!mine)
		return 2;
	for (size_t i = 0; i < n; i++)
		if (i % parts == k - 1)
			mine[m++] = tests[i];
	rc = _cmocka_run_group_tests(name, mine, m, setup, teardown);
	free(mine);
	return rc;
}

void hrun_free(hrun *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void h_lab_start(hlab *lab, const char *const *extra)
{
	h_lab_start_io(lab, extra, NULL, NULL);
}

void h_lab_start_io(hlab *lab, const char *const *extra, int *in, int *out)
{
	const char *args[32] = {"lab", "--serve", "--port", "0", "--smtp-port", "0"};
	size_t n = 6;
	int in_w, out_r, err_r, smtp = 0;
	char text[16384] = "";
	size_t len = 0;
	long deadline = h_now_ms() + 15000;

	for (; extra && *extra && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	memset(lab, 0, sizeof(*lab));
	lab->pid = h_spawn(args, &in_w, &out_r, &err_r);
	if (in)
		*in = in_w;
	else
		close(in_w);
	close(err_r);
	/* the "ca" line comes last: read until it is complete */
	while (len < sizeof(text) - 1 && h_now_ms() < deadline) {
		struct pollfd p = {.fd = out_r, .events = POLLIN};
		const char *ca = strstr(text, "\nca ");
		ssize_t got;
		if (ca && strchr(ca + 1, '\n'))
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		got = read(out_r, text + len, sizeof(text) - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		text[len] = '\0';
	}
	if (out)
		*out = out_r;
	else
		close(out_r);
	/* "dns ADDR:PORT", ADDR as --bind gave it ("[::1]" for IPv6) */
	if (sscanf(text, "dns %31s", lab->server) != 1 || !strrchr(lab->server, ':') ||
	    (lab->port = atoi(strrchr(lab->server, ':') + 1)) <= 0 || !strstr(text, "\nhttp ") ||
	    !strstr(text, "\nca ")) {
		print_error("lab did not say where it listens: \"%s\"\n", text);
		h_lab_stop(lab);
		fail();
	}
	snprintf(lab->dns_port, sizeof(lab->dns_port), "%d", lab->port);
	{
		const char *h = strstr(text, "\nhttp ");
		if (h)
			sscanf(h + 6, "%31s", lab->http);
		if (lab->http[0])
			snprintf(lab->blocklist, sizeof(lab->blocklist),
			         "bl.lab.test@http://%s/dns-query", lab->http);
		/* "https 127.0.0.1:PORT": the MTA-STS policy server */
		h = strstr(text, "\nhttps ");
		if (h && strchr(h + 7, ':'))
			sscanf(strchr(h + 7, ':') + 1, "%7[0-9]", lab->https_port);
	}
	{
		/* "smtp 127.0.1.1:2525": every listener shares the port */
		const char *s = strstr(text, "\nsmtp ");
		if (s) {
			const char *end = strchr(s + 1, '\n'), *colon = end;
			while (colon > s && *colon != ':')
				colon--;
			smtp = atoi(colon + 1);
		}
		snprintf(lab->smtp_port, sizeof(lab->smtp_port), "%d", smtp);
		sscanf(strstr(text, "\nca ") + 4, "%127s", lab->ca);
	}
}

void h_lab_stop(hlab *lab)
{
	int st;

	if (lab->pid <= 0)
		return;
	kill(lab->pid, SIGTERM);
	h_wait(lab->pid, &st);
	lab->pid = 0;
}

int h_lab_group_start(void **state, const char *const *extra, const char *zone_text)
{
	const char *args[32];
	char path[] = "/tmp/mxscope-zone-XXXXXX";
	size_t n = 0;
	hlab *lab = calloc(1, sizeof(*lab));

	assert_non_null(lab);
	for (; extra && *extra && n < 30; extra++)
		args[n++] = *extra;
	if (zone_text) {
		int fd = mkstemp(path);
		size_t len = strlen(zone_text);

		assert_true(fd >= 0);
		assert_true(write(fd, zone_text, len) == (ssize_t)len);
		close(fd);
		args[n++] = path; /* a word with a '/' is a file to load */
	}
	args[n] = NULL;
	*state = lab;
	h_lab_start(lab, args);
	if (zone_text)
		unlink(path);
	return 0;
}

int h_lab_group_setup(void **state)
{
	return h_lab_group_start(state, NULL, NULL);
}

int h_lab_group_teardown(void **state)
{
	hlab *lab = *state;

	if (lab) {
		h_lab_stop(lab);
		free(lab);
		*state = NULL;
	}
	return 0;
}

static void argv_add(hargv *a, va_list ap)
{
	const char *w;

	while ((w = va_arg(ap, const char *)) != NULL) {
		if (a->n + 1 >= sizeof(a->v) / sizeof(a->v[0]))
			fail_msg("more than %zu words in an argv", a->n);
		a->v[a->n++] = w;
	}
	a->v[a->n] = NULL;
}

const char *const *h_argv_(hargv *a, ...)
{
	va_list ap;

	va_start(ap, a);
	argv_add(a, ap);
	va_end(ap);
	return a->v;
}

const char *const *h_lab_check_(hargv *a, const hlab *lab, unsigned opts, ...)
{
	va_list ap;

	a->n = 0;
	h_argv(a, "check", "--allow-loopback", "-s", lab->server);
	if (opts & HA_SMTP)
		h_argv(a, "--smtp-port", lab->smtp_port);
	if (opts & HA_CA)
		h_argv(a, "--cafile", lab->ca);
	if (opts & HA_STS)
		h_argv(a, "--mta-sts-port", lab->https_port);
	if (opts & HA_NS)
		h_argv(a, "--ns-port", lab->dns_port);
	if (opts & HA_BL)
		h_argv(a, "--blocklist", lab->blocklist);
	va_start(ap, opts);
	argv_add(a, ap);
	va_end(ap);
	return a->v;
}

int h_udp_socket(char *spec, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	snprintf(spec, cap, "127.0.0.1:%d", ntohs(sa.sin_port));
	return s;
}

void h_lab_open(hlab_here *lab, uv_loop_t *loop, const char *zone_name, const char *zone_text,
                unsigned which)
{
	char *why = NULL;
	mxs_status st;

	memset(lab, 0, sizeof(*lab));
	lab->loop = loop;
	assert_int_equal(uv_loop_init(loop), 0);
	lab->world = lab_world_new();
	assert_non_null(lab->world);
	st = zone_text ? lab_world_load_string(lab->world, zone_name, zone_text, &why)
	               : lab_world_load_builtin(lab->world, &why);
	if (st != MXS_OK)
		fail_msg("lab zone: %s", why ? why : "unknown error");
	if (which & H_DNS) {
		lab->dns = lab_dns_new(loop, lab->world, "127.0.0.1", 0, &why);
		if (!lab->dns)
			fail_msg("lab DNS server: %s", why ? why : "unknown error");
		snprintf(lab->server, sizeof(lab->server), "127.0.0.1:%d", lab_dns_port(lab->dns));
	}
	if (which & H_SMTP) {
		lab->smtp = lab_smtp_new(loop, lab->world, 0, &why);
		if (!lab->smtp)
			fail_msg("lab SMTP hosts: %s", why ? why : "unknown error");
		lab->smtp_port = lab_smtp_port(lab->smtp);
	}
	if ((which & H_STS) && lab->smtp) {
		lab->sts = lab_sts_server_new(loop, lab->world, lab->smtp, "127.0.0.1", 0, &why);
		if (!lab->sts)
			fail_msg("lab MTA-STS server: %s", why ? why : "unknown error");
		lab->sts_port = lab_sts_server_port(lab->sts);
	}
	if (which & H_HTTP) {
		lab->http = lab_http_new(loop, "127.0.0.1", 0, &why);
		if (!lab->http)
			fail_msg("lab HTTP server: %s", why ? why : "unknown error");
		snprintf(lab->http_base, sizeof(lab->http_base), "http://%s",
		         lab_http_address(lab->http));
	}
}

void h_lab_close(hlab_here *lab)
{
	if (!lab->loop)
		return;
	lab_sts_server_close(lab->sts);
	lab->sts = NULL;
	lab_dns_close(lab->dns);
	lab_smtp_close(lab->smtp);
	lab_http_close(lab->http);
	lab->dns = NULL;
	lab->smtp = NULL;
	lab->http = NULL;
	/* about 5 s at most; closing handles and a peer's last bytes need a few turns */
	for (int i = 0; i < 5000 && uv_loop_alive(lab->loop); i++) {
		uv_run(lab->loop, UV_RUN_NOWAIT);
		if (uv_loop_alive(lab->loop))
			usleep(1000);
	}
	assert_int_equal(uv_loop_close(lab->loop), 0);
	lab_world_free(lab->world);
	lab->world = NULL;
	lab->loop = NULL;
}

/* A connected non-blocking TCP socket to addr:port, or -errno. */
int h_dial(uv_loop_t *loop, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0;
	socklen_t el = sizeof(err);
	long end = h_now_ms() + 2000;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (loop)
			uv_run(loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 1) == 1)
			break;
		if (h_now_ms() > end)
			fail_msg("connect to %s timed out", addr);
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

void h_read_line(uv_loop_t *loop, int fd, char *out, size_t cap, int ms)
{
	size_t n = 0;
	long end = h_now_ms() + ms;

	out[0] = '\0';
	while (n + 1 < cap && h_now_ms() < end && !strchr(out, '\n')) {
		ssize_t r = recv(fd, out + n, cap - 1 - n, MSG_DONTWAIT);

		if (r > 0) {
			n += (size_t)r;
			out[n] = '\0';
		} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			break;
		} else {
			struct pollfd p = {.fd = fd, .events = POLLIN};

			if (loop)
				uv_run(loop, UV_RUN_NOWAIT);
			poll(&p, 1, 1);
		}
	}
}

void h_greeting(uv_loop_t *loop, const char *addr, int port, char *out, size_t cap)
{
	int fd = h_dial(loop, addr, port);

	if (fd < 0)
		fail_msg("connect to %s: %s", addr, strerror(-fd));
	h_read_line(loop, fd, out, cap, 3000);
	close(fd);
}

void h_blackhole(const char *ip, int port, int fds[3])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fds[0] >= 0);
	setsockopt(fds[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* taken: another lab of a test running beside this one holds the
	 * address on the same port; the caller's addresses must be ones no
	 * built-in scenario uses */
	if (bind(fds[0], (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("blackhole %s:%d: %s", ip, port, strerror(errno));
	assert_int_equal(listen(fds[0], 0), 0);
	for (int i = 1; i < 3; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(fds[i] >= 0);
		connect(fds[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(100000);
	/* the fixture itself: one more connect must not complete */
	{
		int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct pollfd p = {.fd = probe, .events = POLLOUT};
		int rc = connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		if (rc == 0 || (errno == EINPROGRESS && poll(&p, 1, 300) > 0)) {
			fail_msg("%s:%d accepted a connection: the queue is not full", ip, port);
		}
		close(probe);
	}
}
