/* src/main.c — the mxscope binary: picks the command and hands over. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "dns.h"
#include "explore.h"
#include "labcmd.h"
#include "smtp.h"

static int run_check(cli_opts *o)
{
	uv_loop_t loop;
	int code;

	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "mxscope: cannot start the event loop\n");
		return 3;
	}
	code = check_run(&loop, o, o->args, o->nargs, stdout);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return code;
}

static int run_explore(cli_opts *o)
{
	uv_loop_t loop;
	explore_domain *doms = calloc(o->nargs ? o->nargs : 1, sizeof(*doms));
	int code;

	if (!doms || uv_loop_init(&loop) != 0) {
		free(doms);
		fprintf(stderr, "mxscope: cannot start the event loop\n");
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

int main(int argc, char **argv)
{
	cli_opts o;
	char *why = NULL;
	int code = cli_parse(argc, argv, &o);

	if (code)
		return code;
	/* a reader that goes away (| head) ends the run, not a signal death */
	signal(SIGPIPE, SIG_IGN);
	switch (o.command) {
	case CLI_HELP: cli_usage(stdout); return 0;
	case CLI_VERSION:
		printf("mxscope %s (c-ares %s, libuv %s, %s)\n", MXSCOPE_VERSION, dns_version(),
		       uv_version_string(), smtp_version());
		return 0;
	default: break;
	}
	if (dns_global_init(&why) != MXS_OK || smtp_global_init(&why) != MXS_OK) {
		fprintf(stderr, "mxscope: %s\n", why);
		free(why);
		return 3;
	}
	switch (o.command) {
	case CLI_CHECK: code = run_check(&o); break;
	case CLI_LAB: code = labcmd_run(&o); break;
	default:
		if (explore_possible() && !o.file && !o.json) {
			code = run_explore(&o);
			break;
		}
		if (o.nargs == 0 && !o.file) {
			cli_usage(stderr);
			code = 2;
			break;
		}
		/* not on a terminal (a pipe, a script): the same reports as check */
		code = run_check(&o);
		break;
	}
	smtp_global_cleanup();
	dns_global_cleanup();
	return code;
}
