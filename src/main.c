/* src/main.c — the mxscope binary: picks the command and hands over. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "diff.h"
#include "doctorcmd.h"
#include "explore.h"
#include "labcmd.h"
#include "lesson.h"
#include "replay.h"
#include "scan.h"

static int run_check(cli_opts *o)
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

static int run_explore(cli_opts *o)
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

/* Started with fd 0, 1 or 2 closed (`>&-`), the first socket or file the
 * run opens would take that number: libuv refuses such an fd outright, and
 * with 2 closed our messages would go into a socket. /dev/null fills the
 * gap, first thing. false when even that fails. */
static bool fill_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	cli_opts o;
	char *why = NULL, *versions = NULL;
	int code;

	if (!fill_std_fds())
		return 3;
	code = cli_parse(argc, argv, &o);
	if (code)
		return code;
	/* a reader that goes away (| head) ends the run, not a signal death */
	signal(SIGPIPE, SIG_IGN);
	switch (o.command) {
	case CLI_HELP: cli_usage(stdout); return 0;
	case CLI_VERSION:
		versions = scan_versions();
		printf("mxscope %s (%s)\n", MXSCOPE_VERSION, versions ? versions : "?");
		free(versions);
		return 0;
	/* a recording is shown and compared without any network */
	case CLI_REPLAY: return replay_run(&o);
	case CLI_DIFF: return diff_run(&o);
	case CLI_LAB:
		if (o.from)
			return lesson_run(&o);
		break;
	default: break;
	}
	if (scan_global_init(&why) != MXS_OK) {
		cli_error("%s", why);
		free(why);
		return 3;
	}
	switch (o.command) {
	case CLI_CHECK: code = run_check(&o); break;
	case CLI_LAB: code = labcmd_run(&o); break;
	case CLI_DOCTOR: code = doctorcmd_run(&o); break;
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
	scan_global_cleanup();
	return code;
}
