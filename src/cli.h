/* src/cli.h — the command line (prefix cli_): the settings value of a run
 * (net/settings.h) made from the defaults, the config file and the flags,
 * in that order, through the one options table (opts.h); the command is
 * picked by the command table (cmdtab.h). The commands never look at argv
 * themselves. */
#ifndef MXSCOPE_CLI_H
#define MXSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conffile.h"
#include "opts.h"
#include "settings.h"

typedef enum cli_command {
	CLI_EXPLORE = 0, /* mxscope [DOMAIN...] */
	CLI_CHECK,       /* mxscope check ... */
	CLI_LAB,         /* mxscope lab ... */
	CLI_REPLAY,      /* mxscope replay FILE... */
	CLI_DIFF,        /* mxscope diff OLD NEW */
	CLI_DOCTOR,      /* mxscope doctor [HOST[:PORT]] */
	CLI_HELP,        /* mxscope help [COMMAND], -h, --help */
	CLI_VERSION,     /* -V, --version */
	CLI_EXPLAIN,     /* mxscope explain FILE... */
} cli_command;

typedef struct cli_opts {
	cli_command command;
	settings set; /* what the user asked for */
	opts_parse_result parsed;
	conffile *conf; /* the config file read, or NULL; owned (set's strings may
	                   point into it) */
	/* the words that are not options: domains, scenarios, files; into argv */
	char **args;
	size_t nargs;
} cli_opts;

/* Fills o from argv[first..]: the defaults, the config file (--config, or
 * the default path), then the flags. Returns 0, or the exit status (2 a bad
 * option or config line, 3 out of memory) after writing a one-line error to
 * stderr. o->command is left as the caller set it. cli_opts_clear() then,
 * whatever the result. */
int cli_parse(int argc, char **argv, int first, cli_opts *o);
void cli_opts_clear(cli_opts *o);

/* Writes "mxscope: MESSAGE\n" to stderr. The message may echo argv or a
 * file's text, so it is sanitised like network text first (control bytes,
 * escape sequences and bidi controls shown as placeholders, mx_sanitize):
 * a crafted argument cannot move the cursor or retitle the terminal. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
