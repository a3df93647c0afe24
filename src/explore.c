/* src/explore.c — from the command line to the explorer: checks the names
 * and options first (errors on the normal screen, before curses starts),
 * runs the app, and prints the `Q` report once the screen is gone. */
#include "explore.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "name.h"
#include "tui.h"

bool explore_possible(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int explore_run(uv_loop_t *loop, const cli_opts *o, const explore_labctl *lab,
                const explore_domain *doms, size_t n)
{
	tui_config c = {0};
	tui_app *a = NULL;
	blr_config *bl = NULL;
	char *why = NULL, *ca = NULL, *report = NULL, *norm = NULL;
	int code = 0;

	for (size_t i = 0; i < n; i++) {
		if (mx_name_normalize(doms[i].name, &norm, &why) != MXS_OK) {
			cli_error("%s", why);
			code = 2;
			goto done;
		}
		free(norm);
		norm = NULL;
	}
	if (o->set.as_host) {
		if (mx_name_normalize(o->set.as_host, &norm, &why) != MXS_OK) {
			cli_error("--as: %s", why);
			code = 2;
			goto done;
		}
		free(norm);
		norm = NULL;
	}
	if (o->set.cafile && !o->set.ca_pem && !(ca = check_read_cafile(o->set.cafile, &why))) {
		cli_error("--cafile %s", why);
		code = 2;
		goto done;
	}
	code = check_blocklist_config(o, &bl);
	if (code)
		goto done;
	/* wide characters on screen need the user's locale */
	setlocale(LC_ALL, "");
	c = (tui_config){
	    .loop = loop,
	    .set = o->set,
	    .ca_pem = ca,
	    .blocklists = bl,
	    .keymap = conffile_keys(o->conf),
	    /* what was asked for, like mtr and dig: the saved list only when no
	       domain is named, or with --resume; otherwise it is kept as it is */
	    .state_domains = lab == NULL && (n == 0 || o->set.resume),
	    .lab = lab ? lab->world : NULL,
	    .lab_rw = lab ? lab->world : NULL,
	    .lab_smtp = lab ? lab->smtp : NULL,
	    .trace_keys = getenv("MXSCOPE_TRACE_KEYS"),
	};
	/* the tour is the lab's; a config file's `set tour` alone is not one */
	c.set.tour = lab && lab->tour;
	a = tui_app_new(&c, &why);
	if (!a) {
		cli_error("%s", why ? why : "cannot start the explorer");
		code = 3;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		tui_app_add(a, doms[i].name, doms[i].scenario, NULL);
	/* the cursor on what was asked for, not on a saved domain */
	if (n)
		tui_app_select(a, doms[0].name);
	code = tui_app_run(a);
	report = tui_app_exit_report(a);
	if (tui_app_finish(a, &why) != MXS_OK) {
		/* the screen is gone: this reaches the user */
		cli_error("state not saved: %s", why ? why : "cannot write");
		code = code ? code : 3;
	}
done:
	tui_app_free(a);     /* the terminal is itself again from here on */
	blr_config_free(bl); /* after the app's client, which reads it */
	uv_run(loop, UV_RUN_NOWAIT);
	if (report)
		fputs(report, stdout);
	free(report);
	free(ca);
	free(why);
	free(norm);
	return code;
}
