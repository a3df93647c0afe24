/* tests/harness.h — running the real mxscope binary from integration tests:
 * capture its output and exit status with a deadline, and start the lab's
 * DNS server as a separate process on a free loopback port. */
#ifndef MXSCOPE_HARNESS_H
#define MXSCOPE_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

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

/* Starts h_bin() with args and hands back the child's stdin (write end),
 * stdout and stderr (read ends); for tests that talk to it while it runs. */
pid_t h_spawn(const char *const *args, int *in_w, int *out_r, int *err_r);

typedef struct hlab {
	pid_t pid;
	int port;
	char server[32];   /* "127.0.0.1:PORT" for -s */
	char smtp_port[8]; /* the lab SMTP port, for --smtp-port */
	char ca[128];      /* the lab CA file, for --cafile */
} hlab;

/* Binds a UDP socket on 127.0.0.1 with a free port and writes
 * "127.0.0.1:PORT" to spec: a DNS server that answers nothing unless the
 * caller reads it. Returns the socket; the caller closes it. */
int h_udp_socket(char *spec, size_t cap);

/* Starts `mxscope lab --serve --port 0 --smtp-port 0 [extra...]` and reads
 * what it prints: "dns 127.0.0.1:PORT", "smtp ..." lines, "ca PATH". Fails
 * the test when they do not come. */
void h_lab_start(hlab *lab, const char *const *extra);
void h_lab_stop(hlab *lab);

#endif
