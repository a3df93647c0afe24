/* src/opts.h — the one table of options (prefix opts_): each option once,
 * with its names, argument, default, help text, the commands that take it
 * and the settings field it sets. getopt's long options, --help, `mxscope
 * help COMMAND`, the config file's `set` lines and the option lists of the
 * README and the man page all come from it (tests/test_cli_opts.c compares
 * the documents with it). */
#ifndef MXSCOPE_OPTS_H
#define MXSCOPE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "settings.h"

/* The commands, as bits: the options table says which take an option. */
enum {
	OPTS_EXPLORE = 1u << 0, /* mxscope [DOMAIN...] */
	OPTS_CHECK = 1u << 1,
	OPTS_LAB = 1u << 2,
	OPTS_REPLAY = 1u << 3,
	OPTS_DIFF = 1u << 4,
	OPTS_DOCTOR = 1u << 5,
	OPTS_HELP = 1u << 6,
	OPTS_EXPLAIN = 1u << 7,
	OPTS_ALL = (1u << 8) - 1,
};

typedef struct opts_entry opts_entry; /* one option; opaque */

/* What a flag of the command line asks beyond settings. */
typedef enum opts_action {
	OPTS_ACT_NONE = 0,
	OPTS_ACT_HELP,    /* -h, --help */
	OPTS_ACT_VERSION, /* -V, --version */
} opts_action;

/* Options the command line gave, read left to right: settings are set in
 * order, so a later flag wins (and a config file's `set` is below all of
 * them). The caller owns st; its strings point into argv. */
typedef struct opts_parse_result {
	opts_action action;
	uint64_t given; /* bit i: the table's option i was on the command line */
	char **args;    /* the words that are not options, in order (into argv) */
	size_t nargs;
} opts_parse_result;

/* The defaults every settings value starts from (the table's defaults, and
 * "not given" for what each command decides itself, such as the ports). */
void opts_defaults(settings *st);

/* Parses argv[first..] with getopt_long (options and words in any order;
 * argv is permuted) into st, over what st holds already (the defaults and
 * the config file): a flag wins, and the first -s or --blocklist replaces
 * the file's list rather than adding to it. Returns 0, or 2 after printing
 * a one-line error that names the option. */
int opts_parse(int argc, char **argv, int first, settings *st, opts_parse_result *res);

/* The config file's `set NAME VALUE`: the option's value as if it had been
 * given as --NAME VALUE (a flag takes "yes"/"no", "on"/"off", "true"/
 * "false"). MXS_ERR_INVALID with *why ("unknown option \"x\"", "--timeout
 * \"9x\": expected seconds from 0.1 to 300") owned by the caller. */
mxs_status opts_set(settings *st, const char *name, const char *value, char **why);

/* After parsing: an option on the command line that `command` (an OPTS_
 * bit) does not take is refused. Returns 0, or 2 after printing which
 * commands take it. */
int opts_check_command(const opts_parse_result *res, unsigned command);

/* --help's option sections for the commands in mask (OPTS_ALL: every one). */
void opts_print_help(FILE *to, unsigned mask);

/* The README's options table rows and the man page's OPTIONS section, as
 * the documents hold them between their markers. */
void opts_print_readme(FILE *to);
void opts_print_man(FILE *to);
/* Every long option a config file may `set`, one a line, as docs/config.md
 * lists them. */
void opts_print_names(FILE *to);

/* The table's options by index, for the documents' tests: the long name
 * (NULL for -4, -6) and the short one (0 for none). false past the last. */
bool opts_name(size_t i, const char **long_name, int *short_name);

#endif
