/* src/replay.c — `mxscope replay FILE...`: the domains of one or more
 * recordings, rebuilt by core/record into the model the live scan produces,
 * shown again without a single packet: the explorer on a terminal (the
 * scan in replay mode, net/scan.h), the reports otherwise. */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "explore.h"
#include "record.h"
#include "report.h"

typedef struct replay_ctx {
	const cli_opts *o;
	mx_report_opts ro;
	size_t shown;
	int code;
	bool out_failed;
} replay_ctx;

static void raise_code(replay_ctx *x, int code)
{
	if (code > x->code)
		x->code = code;
}

/* Off a terminal: each domain is printed as soon as its line is read, so a
 * long recording streams like check does. */
static void on_record(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                      void *arg)
{
	replay_ctx *x = arg;
	char *text = NULL;

	(void)lineno;
	if (error) {
		cli_error("%s", error);
		raise_code(x, 2);
		return;
	}
	if (mx_domain_worst(d) == MX_SEV_ERROR)
		raise_code(x, 1);
	if (x->o->commands) {
		commands_opts co = {.resolver = m->resolver,
		                    .smtp_port = m->smtp_port > 0 ? m->smtp_port : 25,
		                    .cafile = x->o->cafile,
		                    .timeout_ms = m->timeout_ms};
		text = commands_text(d, &co);
	} else if (x->o->json) {
		text = rec_line(d, m->present ? m : NULL);
	} else {
		text = mx_report_text(d, &x->ro);
	}
	if (!text) {
		cli_error("%s: out of memory while rendering", mx_domain_name(d));
		raise_code(x, 2);
	} else if (!x->out_failed) {
		if (!x->o->json && x->shown)
			fputc('\n', stdout);
		if (!x->o->json && !x->o->commands && m->at)
			printf("Recorded %s%s%s\n", m->at, m->resolver ? " asking " : "",
			       m->resolver ? m->resolver : "");
		fputs(text, stdout);
		if (x->o->json)
			fputc('\n', stdout);
		if (fflush(stdout) != 0)
			x->out_failed = true;
	}
	x->shown++;
	free(text);
	mx_domain_free(d);
}

int replay_run(const cli_opts *o)
{
	replay_ctx x = {.o = o, .ro = {.color = o->color, .ascii = o->ascii}};
	char *why = NULL;

	for (size_t i = 0; i < o->nargs && !x.out_failed; i++) {
		if (rec_read_file(o->args[i], on_record, &x, NULL, &why) != MXS_OK) {
			cli_error("%s", why ? why : "cannot read");
			free(why);
			why = NULL;
			raise_code(&x, 2);
		}
	}
	if (x.out_failed && errno != EPIPE)
		raise_code(&x, 2);
	return x.code;
}
