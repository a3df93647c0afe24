/* src/cli.c — from argv and the config file to one settings value. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

void cli_error(const char *fmt, ...)
{
	char text[1024], *clean;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	clean = mx_sanitize(text);
	fprintf(stderr, "mxscope: %s\n", clean ? clean : "(out of memory)");
	free(clean);
}

/* --config comes before everything else it is below: the file's `set`
 * lines are defaults that the other flags override, so the file is read
 * before getopt sees the line. The last --config wins, as getopt's would. */
static const char *config_arg(int argc, char **argv, int first)
{
	const char *path = NULL;

	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	return path;
}

int cli_parse(int argc, char **argv, int first, cli_opts *o)
{
	int code;

	opts_defaults(&o->set);
	code = conffile_load(config_arg(argc, argv, first), &o->set, &o->conf);
	if (code)
		return code;
	code = opts_parse(argc, argv, first, &o->set, &o->parsed);
	if (code)
		return code;
	o->args = o->parsed.args;
	o->nargs = o->parsed.nargs;
	if (!o->set.seed_given) {
		/* a fresh shuffle each run, short enough to retype with --seed */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o->set.seed = ((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16)) % 1000000;
	}
	return 0;
}

void cli_opts_clear(cli_opts *o)
{
	conffile_free(o->conf);
	o->conf = NULL;
}
