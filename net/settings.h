/* net/settings.h — what the user asked for, once (prefix settings_): the
 * defaults, then the config file's `set` lines, then the command line's
 * flags, in that order (src/opts.c fills it from its one options table).
 * Every front end — check, the explorer, replay, the lab — derives what it
 * hands the pipeline from this value through the functions below, so the
 * scan's configuration, the commands view's options and a recording's
 * metadata cannot drift apart between them.
 *
 * A settings value holds no memory of its own: its strings are borrowed
 * (from argv, the config file's text kept by the command line, or the lab)
 * and must outlive every use of the value. */
#ifndef MXSCOPE_SETTINGS_H
#define MXSCOPE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "record.h"
#include "scan.h"

#define SETTINGS_MAX_SERVERS    8
#define SETTINGS_MAX_BLOCKLISTS 16

typedef struct settings {
	/* DNS */
	const char *servers[SETTINGS_MAX_SERVERS]; /* -s HOST[:PORT]; none = the system's */
	size_t nservers;
	unsigned timeout_ms; /* per DNS question and SMTP phase */
	bool timeout_given;  /* --timeout was said (the lab's own default is shorter) */
	unsigned concurrency;
	unsigned qps;        /* DNS questions a second at most; 0 = no ceiling */
	unsigned max_probes; /* SMTP probes in flight at once; 0 = 200 */
	bool srv;            /* the mail client SRV services too */
	int family;          /* 4 or 6; 0 = both */
	uint64_t seed;
	bool seed_given;
	const char *as_host;
	/* output */
	bool json, color, ascii;
	bool no_color; /* --no-color said (or NO_COLOR): the explorer draws mono */
	/* probes */
	bool no_probe, allow_loopback;
	int smtp_port;         /* -1 = default (25; the lab's port in lab mode) */
	const char *ehlo_name; /* NULL = this machine's name */
	const char *cafile;    /* --cafile: extra CA for STARTTLS verification */
	bool dane;             /* TLSA for every MX host, also where DNSSEC says insecure */
	int sender;            /* the sender_profile delivered_to and the walk follow */
	const char *rcpt;      /* the recipient stage, or NULL */
	int mta_sts_port;      /* HTTPS port of MTA-STS policy hosts; -1 = 443 */
	/* the explorer */
	unsigned interval_ms;
	bool mouse;
	const char *theme;
	bool resume; /* --resume: the saved domain list also when domains are named */
	/* blocklists */
	const char *blocklists[SETTINGS_MAX_BLOCKLISTS];
	size_t nblocklists;
	const char *config; /* --config FILE; NULL = the default path, if it exists */
	/* DNS beside the walk */
	bool ptr, authoritative;
	int ns_port; /* -1 = 53 (the lab: its own) */
	/* inputs and outputs of the commands */
	const char *file; /* -f FILE, "-" for stdin */
	/* check --shard K/N: only the domains whose name hashes to K (1..N);
	 * shard_n 0 = every domain */
	unsigned shard_k, shard_n;
	bool keep_order;    /* check: reports in input order, not as they settle */
	const char *record; /* --record FILE */
	bool commands;      /* --commands */
	const char *from;   /* lab --from FILE */
	const char *replay; /* explain --replay RECORDING */
	/* the lab */
	bool serve, list, tour;
	int port;      /* lab DNS port; -1 = default */
	int http_port; /* lab HTTP port; -1 = default */
	const char *bind;
	/* set by `mxscope lab` for the front end it runs, never by an option */
	const char *blocklist_text; /* its blocklist provider, config syntax */
	const char *ca_pem;         /* its CA, trusted instead of the system store */
	bool loopback_probes;       /* probe only 127.0.0.0/8 and ::1 */
	const probe_port_override *smtp_overrides;
	size_t nsmtp_overrides;
} settings;

/* The defaults, before any config file or flag. color starts as "stdout is
 * a terminal and NO_COLOR is not set". */
void settings_defaults(settings *st);

/* What the scan of a front end is made from: every field of st that the
 * pipeline reads, for mode (SCAN_ONCE: check and the lab's reports;
 * SCAN_MONITOR: the explorer). ca_pem is --cafile's contents when the
 * caller read them (st->ca_pem wins: the lab's own CA); bl the blocklist
 * providers (borrowed by the scan). The callbacks are the caller's to set. */
scan_config settings_scan_config(const settings *st, scan_mode mode, const char *ca_pem,
                                 const blr_config *bl);

/* What the commands (check --commands, the explorer's `c`, replay
 * --commands) are printed with: the servers and EHLO name scan s used,
 * everything else from st. bl may be NULL. The strings are borrowed from st
 * and s. */
commands_opts settings_commands_opts(const settings *st, const scan *s, const blr_config *bl);

/* The same for a recording's line: what its run used (m), the rest (the CA
 * file, the providers) from st. */
commands_opts settings_commands_opts_recorded(const settings *st, const rec_meta *m,
                                              const blr_config *bl);

/* What a recording's run used (its "recorded" object) laid over st, for a
 * front end that shows the recording: the servers asked (as one string,
 * for printing only), the port, the EHLO name, the timeout, the stages'
 * ports, --dane. The strings are borrowed from m. */
void settings_from_recorded(settings *st, const rec_meta *m);

/* The "recorded" object of a recording line made by scan s now: at must
 * hold at least 32 bytes and receives the time. The strings are borrowed
 * from st, s, at and the version string. */
rec_meta settings_record_meta(const settings *st, const scan *s, const char *version, char *at,
                              size_t atcap);

#endif
