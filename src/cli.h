/* src/cli.h — the command line: one options struct for every command, filled
 * by cli_parse(), so the commands never look at argv themselves. */
#ifndef MXSCOPE_CLI_H
#define MXSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_command {
	CLI_EXPLORE = 0, /* mxscope [DOMAIN...] */
	CLI_CHECK,       /* mxscope check ... */
	CLI_LAB,         /* mxscope lab ... */
	CLI_REPLAY,      /* mxscope replay FILE... */
	CLI_DIFF,        /* mxscope diff OLD NEW */
	CLI_DOCTOR,      /* mxscope doctor [HOST[:PORT]] */
	CLI_HELP,
	CLI_VERSION,
} cli_command;

#define CLI_MAX_SERVERS    8
#define CLI_MAX_BLOCKLISTS 16

typedef struct cli_opts {
	cli_command command;
	const char *servers[CLI_MAX_SERVERS];
	size_t nservers;
	unsigned timeout_ms;
	bool timeout_given;
	unsigned concurrency;
	unsigned qps;        /* --qps: DNS questions a second at most; 0 = no ceiling */
	unsigned max_probes; /* --max-probes: SMTP probes in flight at once; 0 = 200 */
	bool srv;            /* --srv: ask the mail client SRV services too */
	int family;          /* -4 / -6: 4 or 6; 0 = both */
	uint64_t seed;
	bool seed_given;
	const char *as_host;
	bool json, no_probe, color, ascii, allow_loopback;
	int smtp_port;         /* -1 = default (25; the lab's port in lab mode) */
	const char *ehlo_name; /* --ehlo, NULL = this machine's name */
	const char *cafile;    /* --cafile: extra CA for STARTTLS verification */
	bool dane;             /* --dane: TLSA for every MX host, certificates matched */
	int sender;            /* --sender: the sender_profile delivered_to follows (0 =
	                          opportunistic) */
	const char *rcpt;      /* --rcpt LOCALPART|ADDRESS: the recipient stage (the
	                          explorer: once per address, not on re-probes) */
	int mta_sts_port;      /* --mta-sts-port: HTTPS port of MTA-STS policy hosts; -1 = 443
	                          (the lab's own in lab mode) */
	/* the explorer */
	unsigned interval_ms; /* --interval: re-probing, like mtr (default 10 s) */
	bool mouse;           /* --mouse */
	const char *theme;    /* --theme NAME|FILE, NULL = the saved one or default */
	const char *blocklists[CLI_MAX_BLOCKLISTS]; /* --blocklist ZONE@URL or NAME */
	size_t nblocklists;
	const char *config;         /* --config FILE; NULL = the default path, if it exists */
	const char *blocklist_text; /* set by `mxscope lab`: its provider, config syntax */
	int http_port;              /* lab HTTP port; -1 = default */
	/* set by `mxscope lab`, not options */
	const char *ca_pem;   /* the lab CA, trusted instead of the system store */
	bool loopback_probes; /* probe only 127.0.0.0/8 and ::1 */
	const char *file;     /* -f FILE, "-" for stdin */
	/* recordings (docs/replay.md) */
	const char *record; /* --record FILE: append every settled domain as a line */
	bool commands;      /* check --commands: every question and probe as a command */
	const char *from;   /* lab --from FILE: a recording made into a scenario */
	/* set by `mxscope lab`: its address map (each scenario's ::1 host on its
	 * own port, core/probe.h) */
	const struct probe_port_override *smtp_overrides;
	size_t nsmtp_overrides;
	/* DNS beside the walk (net/auth.h) */
	bool ptr;           /* --ptr: reverse DNS of every MX address */
	bool authoritative; /* --authoritative: every name server asked directly */
	int ns_port;        /* --ns-port: port name servers are asked on; -1 = 53 (the lab's) */
	/* lab */
	bool serve, list;
	bool tour;        /* --tour: one scenario at a time */
	int port;         /* lab DNS port; -1 = default */
	const char *bind; /* lab listen address */
	/* positional arguments: domains, or scenarios for lab; point into argv */
	char **args;
	size_t nargs;
} cli_opts;

/* Fills o from argv. Returns 0 on success, or 2 (the usage exit status)
 * after writing a one-line error naming the bad option to stderr. */
int cli_parse(int argc, char **argv, cli_opts *o);

/* Writes "mxscope: MESSAGE\n" to stderr. The message may echo argv or a
 * file's text, so it is sanitised like network text first (control bytes,
 * escape sequences and bidi controls shown as placeholders, mx_sanitize):
 * a crafted argument cannot move the cursor or retitle the terminal. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The full --help text. */
void cli_usage(FILE *to);

#endif
