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
	    .servers = o->set.servers,
	    .nservers = o->set.nservers,
	    .timeout_ms = o->set.timeout_ms,
	    .family = o->set.family,
	    .qps = o->set.qps,
	    .max_probes = o->set.max_probes,
	    .smtp_port = o->set.smtp_port,
	    .ehlo_name = o->set.ehlo_name,
	    .ca_pem = o->set.ca_pem ? o->set.ca_pem : ca,
	    .no_probe = o->set.no_probe,
	    .loopback_probes = o->set.loopback_probes,
	    .smtp_overrides = o->set.smtp_overrides,
	    .nsmtp_overrides = o->set.nsmtp_overrides,
	    .allow_loopback = o->set.allow_loopback,
	    .seed = o->set.seed,
	    .as_host = o->set.as_host,
	    .interval_ms = o->set.interval_ms,
	    /* the sender profiles as check has them; the lab sets the ports */
	    .mta_sts = !o->set.no_probe,
	    .mta_sts_port = o->set.mta_sts_port,
	    .sender = o->set.sender,
	    .rcpt = o->set.no_probe ? NULL : o->set.rcpt,
	    .ns_port = o->set.ns_port,
	    .dane = o->set.dane,
	    .srv = o->set.srv,
	    .authoritative = o->set.authoritative,
	    .blocklists = bl,
	    .mouse = o->set.mouse,
	    .ascii = o->set.ascii,
	    .no_color = !o->set.color,
	    .theme = o->set.theme,
	    .state_domains = lab == NULL,
	    .lab = lab ? lab->world : NULL,
	    .lab_rw = lab ? lab->world : NULL,
	    .lab_smtp = lab ? lab->smtp : NULL,
	    .tour = lab && lab->tour,
	    .trace_keys = getenv("MXSCOPE_TRACE_KEYS"),
	    .record = o->set.record,
	};
	a = tui_app_new(&c, &why);
	if (!a) {
		cli_error("%s", why ? why : "cannot start the explorer");
		code = 3;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		tui_app_add(a, doms[i].name, doms[i].scenario, NULL);
	code = tui_app_run(a);
	report = tui_app_exit_report(a);
	if (tui_app_finish(a, &why) != MXS_OK) {
		/* the screen is gone: this reaches the user (issue 15 #6) */
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
