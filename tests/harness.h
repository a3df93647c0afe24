/* tests/harness.h — the one lab fixture of the integration tests, in its two
 * forms: the lab as a separate `mxscope lab --serve` process on free loopback
 * ports (for tests of the real binary), and the lab's servers in this
 * process on the test's libuv loop (for tests of net/ and lab/ code); plus
 * running the real mxscope binary: capture its output and exit status with
 * a deadline. Every integration test starts and stops its lab here. */
#ifndef MXSCOPE_HARNESS_H
#define MXSCOPE_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "lab.h"

typedef struct hrun {
	char *out;  /* stdout, NUL-terminated, owned (free with hrun_free) */
	char *err;  /* stderr, same */
	int status; /* exit status, or 128+signal, or -1 when killed at the deadline */
	long elapsed_ms;
	long maxrss_kb; /* the child's peak resident memory */
} hrun;

/* The binary under test (MXSCOPE_BIN, set by meson). */
const char *h_bin(void);

/* Runs h_bin() with args (NULL-terminated, without argv[0]), feeding
 * stdin_data (or nothing) and killing it after timeout_ms. */
void h_run(const char *const *args, const char *stdin_data, int timeout_ms, hrun *r);
void hrun_free(hrun *r);
/* Runs the n tests of a cmocka group, or with "--part K/N" on the command
 * line only those whose index i has i % N == K - 1: tests/meson.build
 * registers a test with 'parts' : N as N tests, one a part, so a long
 * group of independent tests that mostly wait runs in parallel. Returns
 * what cmocka's group run returns (2 for a bad --part). */
struct CMUnitTest;
int h_run_group(int argc, char **argv, const char *name, const struct CMUnitTest *tests, size_t n,
                int (*setup)(void **), int (*teardown)(void **));

/* The same for n (at most 8) runs at once, without stdin: rs[k] is the
 * run of argvs[k]. For independent runs that each wait on the network, so
 * the test waits for the slowest, not for their sum. */
void h_run_many(const char *const *const *argvs, size_t n, int timeout_ms, hrun *rs);

/* Starts h_bin() with args and hands back the child's stdin (write end),
 * stdout and stderr (read ends); for tests that talk to it while it runs.
 * The harness keeps the child's PID until h_wait: a child still running
 * when the test process exits or gets SIGTERM, SIGINT or SIGABRT is
 * stopped (SIGTERM, then SIGKILL) and waited for, and on Linux the kernel
 * sends it SIGTERM when the test process dies of SIGKILL. Call it from the
 * main thread (the death signal follows the thread that forked). */
pid_t h_spawn(const char *const *args, int *in_w, int *out_r, int *err_r);
/* waitpid(pid, status, 0) for a child of h_spawn, and the harness forgets it. */
pid_t h_wait(pid_t pid, int *status);

/* Milliseconds on the monotonic clock: the tests' deadlines. */
long h_now_ms(void);

typedef struct hlab {
	pid_t pid;
	int port;           /* the DNS port */
	char server[32];    /* "127.0.0.1:PORT" (the --bind address) for -s */
	char smtp_port[8];  /* the lab SMTP port, for --smtp-port */
	char ca[128];       /* the lab CA file, for --cafile */
	char http[32];      /* the blocklist endpoint, "127.0.0.1:PORT" */
	char https_port[8]; /* the MTA-STS policy server's port, for --mta-sts-port */
	char dns_port[8];   /* port, as text, for --ns-port */
	char blocklist[96]; /* "bl.lab.test@http://ADDR/dns-query", for --blocklist */
} hlab;

/* Binds a UDP socket on 127.0.0.1 with a free port and writes
 * "127.0.0.1:PORT" to spec: a DNS server that answers nothing unless the
 * caller reads it. Returns the socket; the caller closes it. */
int h_udp_socket(char *spec, size_t cap);

/* Starts `mxscope lab --serve --port 0 --smtp-port 0 [extra...]` (a later
 * --port or --bind in extra wins) and reads what it prints: "dns ADDR:PORT",
 * "smtp ..." lines, "http ADDR", "ca PATH". Fails the test when they do not
 * come. */
void h_lab_start(hlab *lab, const char *const *extra);
void h_lab_stop(hlab *lab);
/* The same, handing back the lab's stdin (write end: trainer commands) in
 * *in and its stdout (read end, past the "ca" line) in *out when not NULL;
 * the caller closes both. */
void h_lab_start_io(hlab *lab, const char *const *extra, int *in, int *out);

/* A cmocka group fixture: one lab process for every test of a file,
 * handed to each test as *state (a const hlab *; the fixture owns it).
 * h_lab_group_setup starts it with the built-in scenarios; a file that
 * wants more calls h_lab_group_start from its own setup, with extra
 * (scenario names, files; may be NULL) and zone_text (or NULL): a zone
 * written to a temporary file for the lab to load after extra, removed
 * once loaded. h_lab_group_teardown stops the lab. */
int h_lab_group_setup(void **state);
int h_lab_group_start(void **state, const char *const *extra, const char *zone_text);
int h_lab_group_teardown(void **state);

/* An argv being built for h_run or h_spawn, NULL-terminated after every
 * call. The words are borrowed, not copied: they must outlive the run. */
typedef struct hargv {
	const char *v[64];
	size_t n;
} hargv;

/* Appends the words given (at least one; a NULL among them ends them, as
 * in a literal argv) and returns a->v. Fails the test when v is full. */
#define h_argv(a, ...) h_argv_((a), __VA_ARGS__, (const char *)NULL)
const char *const *h_argv_(hargv *a, ...);

/* Which of a lab process's options h_lab_check adds to
 * "--allow-loopback -s SERVER" (every lab address is in 127/8): */
enum {
	HA_SMTP = 1u << 0, /* --smtp-port: probes reach the lab's SMTP hosts */
	HA_CA = 1u << 1,   /* --cafile: and trust the certificates they show */
	HA_STS = 1u << 2,  /* --mta-sts-port: the policy fetch reaches the lab's HTTPS server */
	HA_NS = 1u << 3,   /* --ns-port: --authoritative asks the lab's DNS port */
	HA_BL = 1u << 4,   /* --blocklist: the lab's bl.lab.test zone over DoH */
	HA_PROBE = HA_SMTP | HA_CA,
};

/* Starts a over as `check`, aimed at lab (the options in opts), then the
 * words given (at least one); returns a->v. */
#define h_lab_check(a, lab, opts, ...)                                                             \
	h_lab_check_((a), (lab), (opts), __VA_ARGS__, (const char *)NULL)
const char *const *h_lab_check_(hargv *a, const hlab *lab, unsigned opts, ...);

/* The lab in this process. Which servers to start: */
enum { H_DNS = 1u << 0, H_SMTP = 1u << 1, H_HTTP = 1u << 2, H_STS = 1u << 3 /* needs H_SMTP */ };

typedef struct hlab_here {
	uv_loop_t *loop;  /* the caller's; h_lab_open initialises it */
	lab_world *world; /* owned; the built-in scenarios or the zone given */
	lab_dns *dns;     /* each NULL unless asked for; owned */
	lab_smtp *smtp;
	lab_http *http;
	lab_sts_server *sts; /* the MTA-STS policy server (HTTPS, the SMTP hosts' CA) */
	int sts_port;
	char server[40];    /* the DNS server, "127.0.0.1:PORT", for dns_client */
	int smtp_port;      /* every SMTP listener's port */
	char http_base[64]; /* "http://127.0.0.1:PORT" */
} hlab_here;

/* Initialises loop, loads zone_text (named zone_name in its messages) or,
 * when zone_text is NULL, the built-in scenarios, and starts the servers in
 * `which` on free loopback ports. A failure fails the test with the lab's
 * one-line reason. */
void h_lab_open(hlab_here *lab, uv_loop_t *loop, const char *zone_name, const char *zone_text,
                unsigned which);

/* Closes the servers, turns the loop until every handle has closed, closes
 * it and frees the world. The wait is bounded: a test that failed half-way
 * and left its own handles open fails here instead of hanging. Everything
 * the caller put on the loop must be closed first. */
void h_lab_close(hlab_here *lab);

/* Talking to a server on loopback, from a test whose server may run on the
 * test's own loop: each helper turns loop (NULL for a lab process) while it
 * waits, so the server makes progress. */

/* A connected non-blocking TCP socket to addr ("127.0.0.1", "::1") and
 * port, or -errno (-ECONNREFUSED when nothing listens); fails the test when
 * the connection neither completes nor fails in 2 s. The caller closes it. */
int h_dial(uv_loop_t *loop, const char *addr, int port);
/* Reads fd into out (NUL-terminated) until it holds a newline, the peer
 * closes, or ms pass; "" when nothing came. */
void h_read_line(uv_loop_t *loop, int fd, char *out, size_t cap, int ms);
/* The first line a server at addr:port sends (an SMTP greeting), read
 * within 3 s; fails the test when it cannot connect. */
void h_greeting(uv_loop_t *loop, const char *addr, int port, char *out, size_t cap);

/* A port 25 that drops: a listener on ip:port whose accept queue is full
 * (backlog 0, two connections never accepted), so a further connect never
 * completes, as behind a firewall that drops SYNs. fds[0..2] are the
 * caller's to close. Fails the test when the queue does not fill. */
void h_blackhole(const char *ip, int port, int fds[3]);

#endif
