/* src/main.c — the mxscope binary: the command line, then the command the
 * command table (cmdtab.h) names. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "cmdtab.h"
#include "config.h"
#include "scan.h"

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

static int version(void)
{
	char *versions = scan_versions();

	printf("mxscope %s (%s)\n", MXSCOPE_VERSION, versions ? versions : "?");
	free(versions);
	return 0;
}

int main(int argc, char **argv)
{
	cli_opts o = {0};
	const cmdtab_entry *e = argc > 1 ? cmdtab_find(argv[1]) : NULL;
	int code;

	if (!fill_std_fds())
		return 3;
	code = cli_parse(argc, argv, e ? 2 : 1, &o);
	if (code)
		goto done;
	/* options may come before the command too ("mxscope --ascii lab",
	 * "mxscope --json replay F"): getopt has moved the words to the end,
	 * and the first is the command, not a domain named "lab" */
	if (!e && o.nargs > 0 && (e = cmdtab_find(o.args[0]))) {
		o.args++;
		o.nargs--;
	}
	if (!e)
		e = cmdtab_explorer();
	/* a reader that goes away (| head) ends the run, not a signal death */
	signal(SIGPIPE, SIG_IGN);
	if (o.parsed.action == OPTS_ACT_HELP)
		code = cmdtab_help(stdout, cmdtab_name(e)); /* check --help: check's */
	else if (o.parsed.action == OPTS_ACT_VERSION)
		code = version();
	else
		code = cmdtab_run(e, &o);
done:
	cli_opts_clear(&o);
	return code;
}
