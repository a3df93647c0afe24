/* tui/scanwatch.c — what the explorer asks of its scan beyond each
 * domain's answer: SRV for a domain once its details pane has
 * shown the SRV section, every name server asked directly (the V key),
 * and the port 25 egress reading of the domains on screen. Split from
 * app.c, which owns the lifecycle and the loop. */
#include <string.h>

#include "mx_auth.h"
#include "tui_app_int.h"

void tui_app_authoritative(tui_app *a, tui_entry *e)
{
	if (scan_set_authoritative(a->scan, e->name, true) != MXS_OK) {
		tui_msg(&a->m, true, "%s: the authoritative view cannot be asked here", e->name);
		return;
	}
	e->auth_asked = true;
	tui_log(&a->m, "%s: asking every name server of its zone directly", e->name);
	tui_msg(&a->m, false, "%s: asking its authoritative servers (details pane)", e->name);
}

/* Port 25 egress, by the rule check uses for a run
 * (mx_egress_blocked): several unrelated domains on screen whose every
 * probe timed out at connect, and nothing that got past connect, say that
 * this network probably drops outbound port 25. Said once in the header
 * and the log; the scan then reads every domain that way (egress-blocked,
 * status warning) instead of blaming each one's hosts. One probe that gets
 * past connect takes it back. */
void tui_watch_egress(tui_app *a)
{
	scan_counters c;
	mx_egress_seen seen = {0};
	const char *first_ip = NULL;
	bool blocked;

	/* a recording's probes say nothing about this network */
	if (a->cfg.set.no_probe || scan_recorded(a->scan))
		return;
	scan_get_counters(a->scan, &c);
	seen.answered = c.probes_done - c.probes_connect_timeout;
	for (size_t i = 0; i < a->m.ne; i++) {
		const mx_domain *d = scan_domain(a->scan, a->m.e[i]->name);
		if (!d || !mx_domain_only_connect_timeouts(d))
			continue;
		seen.domains++;
		/* distinct addresses: two domains on one dead host are one host down */
		for (size_t h = 0; h < mx_domain_host_count(d) && seen.addresses < 2; h++) {
			const mx_host *mh = mx_domain_host(d, h);
			for (size_t k = 0; k < mh->naddrs && seen.addresses < 2; k++) {
				const probe_result *p = mh->addrs[k].probe;
				if (!p || p->state != PROBE_CONNECT_TIMEOUT)
					continue;
				if (!first_ip) {
					first_ip = mh->addrs[k].ip;
					seen.addresses = 1;
				} else if (strcmp(first_ip, mh->addrs[k].ip) != 0) {
					seen.addresses = 2;
				}
			}
		}
	}
	blocked = mx_egress_blocked(&seen);
	if (blocked == a->m.egress_blocked)
		return;
	a->m.egress_blocked = blocked;
	scan_set_egress_blocked(a->scan, blocked);
	if (blocked)
		tui_log(&a->m,
		        "egress-blocked: every SMTP connection of %zu domains timed out at "
		        "connect: this network probably blocks outbound port 25; probes from "
		        "here cannot judge these hosts (mxscope doctor HOST checks one)",
		        seen.domains);
	else
		tui_log(&a->m, "a probe got past connect: port 25 is not blocked after all");
	tui_mark(&a->m, TUI_D_ALL);
}

/* SRV is asked only for a domain whose SRV section the details pane has
 * shown (draw.c marks it): the scan asks SRV for that domain alone from
 * then on, and asks it again at once (its probes go on as they were). */
void tui_watch_srv(tui_app *a)
{
	scan_domain_info info;

	for (size_t i = 0; i < a->m.ne; i++) {
		tui_entry *e = a->m.e[i];
		/* an answer on its way was asked without SRV: wait for it */
		if (!e->srv_wanted || e->srv_asked || e->resolving || scan_recorded(a->scan))
			continue;
		if (!scan_domain_get_info(a->scan, e->name, &info) || !info.settled)
			continue; /* its first probes first: the SRV answer comes after */
		e->srv_asked = true;
		if (scan_set_srv_for(a->scan, e->name, true) != MXS_OK)
			continue;
		tui_log(&a->m, "%s: SRV asked, as the details pane shows it", e->name);
		/* a new answer with SRV in it; the probes go on as they were */
		if (scan_refresh_dns(a->scan, e->name) == MXS_OK)
			tui_mark(&a->m, 1u << TUI_P_DOMAINS);
	}
}
