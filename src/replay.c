/* src/replay.c — `mxscope replay FILE...`: the domains of one or more
 * recordings, rebuilt by core/record into the model the live scan produces,
 * shown again without a single packet: the explorer on a terminal (the
 * scan in replay mode, net/scan.h), the reports otherwise. */
#include "replay.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "explore.h"
#include "record.h"
#include "report.h"
#include "settings.h"
#include "text.h"
#include "tui.h"

typedef struct replay_ctx {
	const cli_opts *o;
	mx_report_opts ro;
	blr_config *bl; /* --commands: the providers to print a line for, as check has them */
	size_t shown;
	int code;
	bool out_failed;
	int out_errno; /* why stdout failed: EPIPE (a reader gone) ends quietly */
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
	if (x->o->set.commands) {
		/* as the recording run asked: its lines are the ones it printed */
		commands_opts co = settings_commands_opts_recorded(&x->o->set, m, x->bl);
		text = commands_text(d, &co);
	} else if (x->o->set.json) {
		text = rec_line(d, m->present ? m : NULL);
	} else {
		text = mx_report_text(d, &x->ro);
	}
	if (!text) {
		cli_error("%s: out of memory while rendering", mx_domain_name(d));
		raise_code(x, 2);
	} else if (!x->out_failed) {
		if (!x->o->set.json && x->shown)
			fputc('\n', stdout);
		if (!x->o->set.json && !x->o->set.commands && m->at) {
			/* through the terminal rule, as the report under it */
			mx_text hd = {0};
			char *head;
			mx_text_printf(&hd, "Recorded %s%s%s\n", m->at,
			               m->resolver ? " asking " : "",
			               m->resolver ? m->resolver : "");
			head = mx_text_take(&hd);
			fputs(head ? head : "", stdout);
			free(head);
		}
		fputs(text, stdout);
		if (x->o->set.json)
			fputc('\n', stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			x->out_failed = true;
			x->out_errno = errno;
		}
	}
	x->shown++;
	free(text);
	mx_domain_free(d);
}

/* ---- on a terminal: the explorer ------------------------------------------ */

/* The recording is read whole first (errors on the normal screen, before
 * curses starts); the explorer then gets the domains as a scan in replay
 * mode, analysed with the recorded options. */
typedef struct held {
	mx_domain **d;
	size_t n, cap;
	rec_meta first; /* the first line's run: the header and the options */
	bool have_first;
	int code;
} held;

static void on_held(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                    void *arg)
{
	held *h = arg;
	mx_domain **g;

	(void)lineno;
	if (error) {
		cli_error("%s", error);
		h->code = 2;
		return;
	}
	if (!h->have_first) {
		(void)rec_meta_copy(&h->first, m); /* out of memory: no header time */
		h->have_first = true;
	}
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 16;
		if (!(g = realloc(h->d, nc * sizeof(*g)))) {
			mx_domain_free(d);
			h->code = 2;
			return;
		}
		h->d = g;
		h->cap = nc;
	}
	h->d[h->n++] = d;
}

static int replay_explore(const cli_opts *o)
{
	held h = {0};
	uv_loop_t loop;
	tui_app *a = NULL;
	tui_config c;
	char *why = NULL, label[160], *report = NULL, *as = NULL;
	int code = 0;
	size_t i = 0;

	for (size_t f = 0; f < o->nargs; f++)
		if (rec_read_file(o->args[f], on_held, &h, NULL, &why) != MXS_OK) {
			cli_error("%s", why ? why : "cannot read");
			free(why);
			why = NULL;
			h.code = 2;
		}
	if (h.n == 0) {
		cli_error("nothing to replay");
		code = 2;
		goto done;
	}
	/* borrowed by the app for its life; the domain it comes from may go */
	if (mx_domain_as_host(h.d[0]) && !(as = strdup(mx_domain_as_host(h.d[0])))) {
		cli_error("out of memory");
		code = 3;
		goto done;
	}
	if (uv_loop_init(&loop) != 0) {
		cli_error("cannot start the event loop");
		code = 3;
		goto done;
	}
	snprintf(label, sizeof(label), "REPLAY recorded %s",
	         h.first.at ? h.first.at : "(when unknown)");
	setlocale(LC_ALL, "");
	c = (tui_config){.loop = &loop,
	                 .set = o->set,          /* --sender, --ascii, --theme, ... as given */
	                 .state_domains = false, /* the saved list is left alone */
	                 .replay = label,
	                 .trace_keys = getenv("MXSCOPE_TRACE_KEYS")};
	/* the rest as the recording's run had it */
	settings_from_recorded(&c.set, &h.first);
	c.set.seed = mx_domain_seed(h.d[0]);
	c.set.as_host = as;
	a = tui_app_new(&c, &why);
	if (!a) {
		cli_error("%s", why ? why : "cannot start the explorer");
		code = 3;
	} else {
		for (i = 0; i < h.n; i++)
			tui_app_add_recorded(a, h.d[i], NULL); /* owned by the app now */
		code = tui_app_run(a);
		report = tui_app_exit_report(a);
		tui_app_finish(a, NULL);
	}
	tui_app_free(a);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	if (report)
		fputs(report, stdout);
	free(report);
done:
	for (; i < h.n; i++)
		mx_domain_free(h.d[i]);
	free(h.d);
	rec_meta_clear(&h.first);
	free(as);
	free(why);
	return code ? code : h.code;
}

int replay_run(const cli_opts *o)
{
	replay_ctx x = {.o = o, .ro = {.color = o->set.color, .ascii = o->set.ascii}};
	char *why = NULL;

	if (explore_possible() && !o->set.json && !o->set.commands)
		return replay_explore(o);
	/* the providers are this machine's configuration, as for check: a
	 * recording keeps their answers, not where they are asked */
	if (o->set.commands && (x.code = check_blocklist_config(o, &x.bl)) != 0)
		return x.code;

	for (size_t i = 0; i < o->nargs && !x.out_failed; i++) {
		if (rec_read_file(o->args[i], on_record, &x, NULL, &why) != MXS_OK) {
			cli_error("%s", why ? why : "cannot read");
			free(why);
			why = NULL;
			raise_code(&x, 2);
		}
	}
	/* as check: a reader that went away (| head) ends the run quietly; a
	 * full disk is an error, exit 3 (could not do what was asked) */
	if (x.out_failed && x.out_errno != EPIPE) {
		cli_error("cannot write the reports: %s", strerror(x.out_errno));
		raise_code(&x, 3);
	}
	blr_config_free(x.bl);
	return x.code;
}
