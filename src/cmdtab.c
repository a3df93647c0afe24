/* src/cmdtab.c — the commands of the mxscope binary (cmdtab.h). */
#include "cmdtab.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "check.h"
#include "config.h"
#include "diff.h"
#include "doctorcmd.h"
#include "explaincmd.h"
#include "explore.h"
#include "labcmd.h"
#include "lesson.h"
#include "replay.h"
#include "scan.h"

struct cmdtab_entry {
	const char *name;    /* the word; NULL for the explorer */
	cli_command command; /* what cli_opts.command says while it runs */
	unsigned opts;       /* the OPTS_ bit the options table names it by */
	const char *usage;   /* synopsis lines after "mxscope ", '\n' separated */
	const char *summary; /* what it does, one line */
	size_t min_args, max_args;
	const char *args_wrong; /* the one-line error when the count is off */
	int (*run)(cli_opts *o);
};

/* ---- the runs ------------------------------------------------------------- */

/* c-ares and libcurl for the commands that touch the network. */
static int with_net(int (*fn)(cli_opts *), cli_opts *o)
{
	char *why = NULL;
	int code;

	if (scan_global_init(&why) != MXS_OK) {
		cli_error("%s", why);
		free(why);
		return 3;
	}
	code = fn(o);
	scan_global_cleanup();
	return code;
}

static int check_on_loop(cli_opts *o)
{
	uv_loop_t loop;
	int code;

	if (uv_loop_init(&loop) != 0) {
		cli_error("cannot start the event loop");
		return 3;
	}
	code = check_run(&loop, o, o->args, o->nargs, stdout);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return code;
}

static int explore_on_loop(cli_opts *o)
{
	uv_loop_t loop;
	explore_domain *doms = calloc(o->nargs ? o->nargs : 1, sizeof(*doms));
	int code;

	if (!doms || uv_loop_init(&loop) != 0) {
		free(doms);
		cli_error("cannot start the event loop");
		return 3;
	}
	for (size_t i = 0; i < o->nargs; i++)
		doms[i] = (explore_domain){.name = o->args[i], .scenario = -1};
	code = explore_run(&loop, o, NULL, doms, o->nargs);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	free(doms);
	return code;
}

static int run_explore(cli_opts *o)
{
	if (explore_possible() && !o->set.file && !o->set.json)
		return with_net(explore_on_loop, o);
	if (o->nargs == 0 && !o->set.file) {
		cmdtab_usage(stderr);
		return 2;
	}
	/* not on a terminal (a pipe, a script): the same reports as check */
	return with_net(check_on_loop, o);
}

static int run_check(cli_opts *o)
{
	if (!o->set.file && o->nargs == 0) {
		cli_error("check needs at least one DOMAIN or -f FILE (see mxscope help check)");
		return 2;
	}
	return with_net(check_on_loop, o);
}

static int lab_run(cli_opts *o)
{
	return labcmd_run(o);
}

static int run_lab(cli_opts *o)
{
	/* a recording made into a scenario needs no network */
	if (o->set.from)
		return lesson_run(o);
	return with_net(lab_run, o);
}

static int run_replay(cli_opts *o)
{
	return replay_run(o);
}

static int run_diff(cli_opts *o)
{
	return diff_run(o);
}

static int doctor_run(cli_opts *o)
{
	return doctorcmd_run(o);
}

static int run_doctor(cli_opts *o)
{
	return with_net(doctor_run, o);
}

static int run_explain(cli_opts *o)
{
	return explaincmd_run(o);
}

static int run_help(cli_opts *o)
{
	return cmdtab_help(stdout, o->nargs ? o->args[0] : NULL);
}

/* ---- the table -------------------------------------------------------------- */

static const cmdtab_entry table[] = {
    {NULL, CLI_EXPLORE, OPTS_EXPLORE, "[OPTIONS] [DOMAIN...]",
     "explore domains on screen (reports when stdout is not a terminal)", 0, (size_t)-1, NULL,
     run_explore},
    {"check", CLI_CHECK, OPTS_CHECK, "check [OPTIONS] DOMAIN...\ncheck [OPTIONS] -f FILE|-",
     "one report per domain, text or --json; with -f many domains, one a line, results "
     "stream as they finish",
     0, (size_t)-1, NULL, run_check},
    {"lab", CLI_LAB, OPTS_LAB,
     "lab [OPTIONS] [SCENARIO|FILE...]\nlab --serve [--port N]\nlab --list\nlab --tour\n"
     "lab --from RECORDING",
     "start the embedded lab and explore it (reports when stdout is not a terminal); "
     "--serve only serves it, --list lists the scenarios, --tour steps through them, "
     "--from makes a recording a scenario",
     0, (size_t)-1, NULL, run_lab},
    {"replay", CLI_REPLAY, OPTS_REPLAY, "replay [OPTIONS] FILE...",
     "a recording explored again, no network (the reports, --json or --commands off a "
     "terminal)",
     1, (size_t)-1, "replay needs at least one recording FILE (see mxscope help replay)",
     run_replay},
    {"diff", CLI_DIFF, OPTS_DIFF, "diff [--json] OLD NEW",
     "what changed between two recordings, per domain (exit 0 same, 1 different, 2 trouble)", 2, 2,
     "diff needs two recordings: OLD NEW (see mxscope help diff)", run_diff},
    {"doctor", CLI_DOCTOR, OPTS_DOCTOR, "doctor [OPTIONS] [HOST[:PORT]]",
     "check this machine: the resolver answers, a connection to HOST on port 25 opens, an "
     "IPv6 route",
     0, 1, "doctor takes at most one HOST[:PORT] (see mxscope help doctor)", run_doctor},
    {"explain", CLI_EXPLAIN, OPTS_EXPLAIN,
     "explain [OPTIONS] FILE...|-\nexplain --replay RECORDING FILE...",
     "evidence of stuck or bounced mail (Postfix or Exim logs, postqueue -j, mailq, bounce "
     "DSNs, TLS-RPT reports, gzip too) judged against the routing now: reproduced, "
     "not-reproduced, changed or cannot-check (exit 0 nothing reproduced, 1 something "
     "reproduced)",
     1, (size_t)-1, "explain needs at least one FILE, or - for stdin (see mxscope help explain)",
     run_explain},
    {"help", CLI_HELP, OPTS_HELP, "help [COMMAND]", "this text, or one command's usage and options",
     0, 1, "help takes at most one COMMAND (see mxscope help)", run_help},
};

#define NCMDS (sizeof(table) / sizeof(table[0]))

const cmdtab_entry *cmdtab_find(const char *word)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (table[i].name && strcmp(table[i].name, word) == 0)
			return &table[i];
	return NULL;
}

const cmdtab_entry *cmdtab_explorer(void)
{
	return &table[0];
}

const char *cmdtab_name(const cmdtab_entry *e)
{
	return e->name;
}

int cmdtab_run(const cmdtab_entry *e, cli_opts *o)
{
	int code;

	o->command = e->command;
	if ((code = opts_check_command(&o->parsed, e->opts)) != 0)
		return code;
	if (o->command != CLI_LAB && o->set.smtp_port == 0) {
		cli_error("--smtp-port 0 (any free port) is only for mxscope lab");
		return 2;
	}
	if (o->nargs < e->min_args || o->nargs > e->max_args) {
		cli_error("%s", e->args_wrong);
		return 2;
	}
	return e->run(o);
}

/* ---- help -------------------------------------------------------------------- */

static void print_usage_lines(FILE *to, const cmdtab_entry *e)
{
	for (const char *s = e->usage; *s;) {
		size_t len = strcspn(s, "\n");
		fprintf(to, "  mxscope %.*s\n", (int)len, s);
		s += len + (s[len] ? 1 : 0);
	}
}

/* text in lines of at most 78 columns, continued at column indent */
static void print_wrapped(FILE *to, const char *text, int indent)
{
	int col = indent;

	for (const char *s = text; *s;) {
		size_t len = strcspn(s, " ");
		if (col > indent && col + 1 + (int)len > 78) {
			fprintf(to, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', to);
			col++;
		}
		fprintf(to, "%.*s", (int)len, s);
		col += (int)len;
		s += len;
		s += strspn(s, " ");
	}
	fputc('\n', to);
}

void cmdtab_usage(FILE *to)
{
	fprintf(to,
	        "mxscope %s — where would mail for a domain go, in what order, and why?\n\n"
	        "Usage:\n",
	        MXSCOPE_VERSION);
	for (size_t i = 0; i < NCMDS; i++)
		print_usage_lines(to, &table[i]);
	fputs("\nCommands:\n", to);
	for (size_t i = 0; i < NCMDS; i++) {
		fprintf(to, "  %-8s ", table[i].name ? table[i].name : "(none)");
		print_wrapped(to, table[i].summary, 11);
	}
	opts_print_help(to, OPTS_ALL);
	fputs("\nExit status: 0 all good, 1 a finding of severity error, 2 usage error,\n"
	      "3 could not run at all (no DNS server answered, lab port in use, ...).\n"
	      "Findings are explained in docs/findings.md; the config file in docs/config.md.\n",
	      to);
}

int cmdtab_help(FILE *to, const char *word)
{
	const cmdtab_entry *e;

	if (!word) {
		cmdtab_usage(to);
		return 0;
	}
	if (!(e = cmdtab_find(word))) {
		cli_error("help: no command \"%.40s\" (commands: check, lab, replay, diff, doctor, "
		          "explain, help)",
		          word);
		return 2;
	}
	fputs("Usage:\n", to);
	print_usage_lines(to, e);
	fputc('\n', to);
	print_wrapped(to, e->summary, 0);
	opts_print_help(to, e->opts);
	return 0;
}
