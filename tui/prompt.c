/* tui/prompt.c — the status line's prompts (add a domain, filter, the
 * trainer's command with its completion and history), the trainer's
 * commands run from single keys, and the lab's tour: what keys.c's
 * actions ask of the lab. */
#include "tui_app_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- the lab: trainer controls and the tour ------------------------------------ */

/* Runs one trainer command (lab/trainer.h parses and describes them) and
 * says what it did; a change the lab now serves brings a new answer, so the
 * selected domain is resolved and probed again. */
void tui_trainer_run(tui_app *a, const char *line)
{
	tui_entry *e = tui_selected(&a->m);
	char *why = NULL;

	if (!a->trainer) {
		tui_msg(&a->m, true, "trainer controls are for mxscope lab");
		return;
	}
	if (lab_trainer_run(a->trainer, e ? e->name : NULL, line, &why) != MXS_OK) {
		tui_msg(&a->m, true, "trainer: %s", why ? why : "out of memory");
		free(why);
		return;
	}
	tui_log(&a->m, "trainer: %s", why ? why : line);
	free(why);
	/* a change can touch any domain the lab serves (a reset touches them
	 * all): every listed domain asks again, so no lesson contradicts its
	 * tiers; a reset starts the lesson afresh, its probe history too */
	if (strncmp(line, "reset", 5) == 0 && (line[5] == '\0' || line[5] == ' '))
		tui_app_readd_all(a);
	else
		for (size_t i = 0; i < a->m.ne; i++)
			tui_app_refresh(a, a->m.e[i]);
	tui_msg(&a->m, false, "trainer: %s done; re-resolving and re-probing %zu domain%s", line,
	        a->m.ne, a->m.ne == 1 ? "" : "s");
}

/* The address under the tiers cursor ("" when it is on a tier or host). */
static const char *selected_addr(tui_app *a, const mx_addr **ad)
{
	tui_entry *e = tui_selected(&a->m);
	size_t n = tui_rows(e, NULL, 0);
	tui_row *rows;
	const char *ip = "";

	*ad = NULL;
	if (!n || a->m.focus == TUI_P_DOMAINS || !(rows = calloc(n, sizeof(*rows))))
		return ip;
	tui_rows(e, rows, n);
	if (a->m.sel_row < n && rows[a->m.sel_row].kind == TUI_ROW_ADDR) {
		*ad =
		    &mx_domain_host(e->d, rows[a->m.sel_row].host)->addrs[rows[a->m.sel_row].addr];
		ip = (*ad)->ip;
	}
	free(rows);
	return ip;
}

/* The MX host under the tiers cursor (a host or address row), or NULL. */
const char *tui_selected_host(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);
	size_t n = tui_rows(e, NULL, 0);
	tui_row *rows;
	const char *h = NULL;

	if (!n || a->m.focus == TUI_P_DOMAINS || !(rows = calloc(n, sizeof(*rows))))
		return NULL;
	tui_rows(e, rows, n);
	if (a->m.sel_row < n && rows[a->m.sel_row].kind != TUI_ROW_TIER)
		h = mx_domain_host(e->d, rows[a->m.sel_row].host)->exchange;
	free(rows);
	return h;
}

/* A command typed without its ADDR or HOST means the selected one: "down"
 * on the selected address is "down 127.0.16.1". */
static void trainer_default_arg(tui_app *a, char *line, size_t cap)
{
	const mx_addr *ad;
	const char *ip = selected_addr(a, &ad), *host = tui_selected_host(a);
	size_t n = strcspn(line, " ");

	if (line[n] != '\0')
		return; /* arguments given */
	for (size_t i = 0; i < lab_trainer_cmd_count(); i++) {
		const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);
		size_t len = strlen(line);
		if (strcmp(c->name, line) != 0)
			continue;
		if (strncmp(c->args, "ADDR", 4) == 0 && ip[0])
			snprintf(line + len, cap - len, " %s", ip);
		else if (strncmp(c->args, "HOST", 4) == 0 && host)
			snprintf(line + len, cap - len, " %s", host);
		return;
	}
}

/* The trainer's down/up (down: refused is what "down" makes of a host,
 * then it comes up) or the next behaviour of the cycle, on the selected
 * address, each one key, through the same command table as the prompt. */
void tui_trainer_key(tui_app *a, const char *kn, bool down_up)
{
	static const char *const cycle[] = {"tempfail", "reject", "silent", "slow 3", "accept"};
	const mx_addr *ad;
	const char *ip = selected_addr(a, &ad);
	char line[128];

	if (!ad) {
		tui_msg(&a->m, true, "%s: select an address in the tiers pane first", kn);
		return;
	}
	if (down_up)
		snprintf(line, sizeof(line), "%s %s",
		         ad->probe && ad->probe->state == PROBE_REFUSED ? "up" : "down", ip);
	else
		snprintf(line, sizeof(line), "behave %s %s", ip,
		         cycle[a->behave_at++ % (sizeof(cycle) / sizeof(cycle[0]))]);
	tui_trainer_run(a, line);
}

/* The trainer prompt's history: the newest last, at most 16. */
static void hist_add(tui_app *a, const char *line)
{
	size_t max = sizeof(a->hist) / sizeof(a->hist[0]);
	char *c;

	if (a->nhist && strcmp(a->hist[a->nhist - 1], line) == 0)
		return;
	if (!(c = strdup(line)))
		return;
	if (a->nhist == max) {
		free(a->hist[0]);
		memmove(a->hist, a->hist + 1, (max - 1) * sizeof(*a->hist));
		a->nhist--;
	}
	a->hist[a->nhist++] = c;
}

static void prompt_set(tui_app *a, const char *text)
{
	snprintf(a->m.pbuf, sizeof(a->m.pbuf), "%s", text);
	a->m.plen = strlen(a->m.pbuf);
}

/* Tab in the trainer prompt: completes the command name from
 * lab/trainer.h's table; after a command, its ADDR or HOST argument with
 * the selected address or host. */
static void trainer_complete(tui_app *a)
{
	const char *sp = strchr(a->m.pbuf, ' ');
	const struct lab_trainer_cmd *only = NULL;
	size_t nmatch = 0;

	if (!sp) {
		for (size_t i = 0; i < lab_trainer_cmd_count(); i++) {
			const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);
			if (strncmp(c->name, a->m.pbuf, a->m.plen) == 0) {
				only = c;
				nmatch++;
			}
		}
		if (nmatch == 1) {
			char t[64];
			snprintf(t, sizeof(t), "%s ", only->name);
			prompt_set(a, t);
		} else {
			tui_msg(&a->m, false, "%zu commands start with \"%s\"", nmatch, a->m.pbuf);
		}
		return;
	}
	if (sp[1] == '\0') {
		/* what the command takes first: an address, a host, or neither
		   (the table's argument names say which) */
		const struct lab_trainer_cmd *cmd = NULL;
		const mx_addr *ad;
		const char *ip = selected_addr(a, &ad), *host = tui_selected_host(a), *arg = NULL;
		tui_entry *e = tui_selected(&a->m);
		size_t wlen = (size_t)(sp - a->m.pbuf);
		char t[256];

		for (size_t i = 0; i < lab_trainer_cmd_count() && !cmd; i++)
			if (strlen(lab_trainer_cmd_at(i)->name) == wlen &&
			    strncmp(lab_trainer_cmd_at(i)->name, a->m.pbuf, wlen) == 0)
				cmd = lab_trainer_cmd_at(i);
		if (!cmd)
			return;
		if (strncmp(cmd->args, "ADDR", 4) == 0) {
			/* the selected address, else the selected domain's first */
			if (!ip[0] && e && e->d)
				for (size_t h = 0; !ip[0] && h < mx_domain_host_count(e->d); h++)
					if (mx_domain_host(e->d, h)->naddrs)
						ip = mx_domain_host(e->d, h)->addrs[0].ip;
			arg = ip[0] ? ip : NULL;
		} else if (strncmp(cmd->args, "HOST", 4) == 0) {
			if (!host && e && e->d && mx_domain_host_count(e->d))
				host = mx_domain_host(e->d, 0)->exchange;
			arg = host;
		}
		if (!arg) {
			tui_msg(&a->m, false, "%s takes %s: nothing to complete here", cmd->name,
			        cmd->args[0] ? cmd->args : "nothing");
			return;
		}
		snprintf(t, sizeof(t), "%.120s%.120s", a->m.pbuf, arg);
		prompt_set(a, t);
	}
}

/* lab --tour: the list becomes scenario i's domains. */
void tui_tour_go(tui_app *a, size_t i)
{
	size_t n = lab_world_scenario_count(a->cfg.lab);
	char *why = NULL, kn[32], kp[32];

	if (!a->cfg.set.tour || i >= n)
		return;
	while (a->m.ne)
		tui_app_drop(a, a->m.e[a->m.ne - 1]);
	a->m.tour_at = i;
	a->m.filter[0] = '\0';
	a->m.sel_dom = a->m.top_dom = a->m.sel_row = a->m.top_row = a->m.sel_find = a->m.det_top =
	    0;
	a->m.focus = TUI_P_DOMAINS;
	for (size_t j = 0; j < lab_scenario_domain_count(a->cfg.lab, i); j++)
		if (tui_app_add(a, lab_scenario_domain(a->cfg.lab, i, j), (int)i, &why) != MXS_OK) {
			tui_log(&a->m, "tour: %s", why ? why : "cannot add a domain");
			free(why);
			why = NULL;
		}
	tui_log(&a->m, "tour: scenario %zu of %zu: %s", i + 1, n, lab_scenario_name(a->cfg.lab, i));
	tui_msg(&a->m, false, "tour: %s (%s next, %s previous)", lab_scenario_title(a->cfg.lab, i),
	        tui_keymap_first(a->m.km, "tour-next", "-", kn, sizeof(kn)),
	        tui_keymap_first(a->m.km, "tour-prev", "-", kp, sizeof(kp)));
	tui_mark(&a->m, TUI_D_ALL);
}

void tui_prompt_key(tui_app *a, wint_t ch, bool fkey)
{
	char *why = NULL;

	if (!fkey && ch == 27) {
		/* Esc cancels, as in htop: the filter typed so far goes, the one
		   before the prompt comes back */
		if (a->m.prompt == TUI_PR_FILTER) {
			snprintf(a->m.filter, sizeof(a->m.filter), "%s", a->m.filter_was);
			a->m.sel_dom = 0;
			tui_mark(&a->m, TUI_D_ALL);
		}
		a->m.prompt = TUI_PR_NONE;
		tui_mark(&a->m, TUI_D_STATUS);
		return;
	}
	if (a->m.prompt == TUI_PR_TRAINER && !fkey && ch == '\t') {
		trainer_complete(a);
		tui_mark(&a->m, TUI_D_STATUS);
		return;
	}
	if (a->m.prompt == TUI_PR_TRAINER && fkey && (ch == KEY_UP || ch == KEY_DOWN)) {
		if (ch == KEY_UP && a->hist_at > 0)
			a->hist_at--;
		else if (ch == KEY_DOWN && a->hist_at < a->nhist)
			a->hist_at++;
		prompt_set(a, a->hist_at < a->nhist ? a->hist[a->hist_at] : "");
		tui_mark(&a->m, TUI_D_STATUS);
		return;
	}
	if ((fkey && (ch == KEY_BACKSPACE || ch == KEY_DC)) || (!fkey && (ch == 127 || ch == 8))) {
		while (a->m.plen && (a->m.pbuf[a->m.plen - 1] & 0xc0) == 0x80)
			a->m.plen--;
		if (a->m.plen)
			a->m.plen--;
		a->m.pbuf[a->m.plen] = '\0';
	} else if ((fkey && ch == KEY_ENTER) || (!fkey && (ch == '\n' || ch == '\r'))) {
		if (a->m.prompt == TUI_PR_ADD && a->m.plen) {
			if (tui_app_add(a, a->m.pbuf, -1, &why) != MXS_OK)
				tui_msg(&a->m, true, "cannot add: %s", why ? why : "invalid name");
			else {
				tui_msg(&a->m, false, "added %s", a->m.pbuf);
				a->m.filter[0] = '\0';
				a->m.sel_dom = tui_visible(&a->m, NULL, 0) - 1;
				tui_app_save_state(a);
			}
			free(why);
		} else if (a->m.prompt == TUI_PR_TRAINER && a->m.plen) {
			char line[256];
			snprintf(line, sizeof(line), "%s", a->m.pbuf);
			trainer_default_arg(a, line, sizeof(line));
			hist_add(a, line);
			tui_trainer_run(a, line);
		}
		a->m.prompt = TUI_PR_NONE;
		tui_mark(&a->m, TUI_D_ALL);
		return;
	} else if (!fkey && ch >= 0x20 && ch != 0x7f) {
		char mb[MB_LEN_MAX];
		mbstate_t ps;
		size_t n;
		memset(&ps, 0, sizeof(ps));
		n = wcrtomb(mb, (wchar_t)ch, &ps);
		if (n != (size_t)-1 && a->m.plen + n < 200) {
			memcpy(a->m.pbuf + a->m.plen, mb, n);
			a->m.plen += n;
			a->m.pbuf[a->m.plen] = '\0';
		}
	}
	if (a->m.prompt == TUI_PR_FILTER) {
		snprintf(a->m.filter, sizeof(a->m.filter), "%s", a->m.pbuf);
		a->m.sel_dom = 0;
		tui_mark(&a->m, TUI_D_ALL);
	}
	tui_mark(&a->m, TUI_D_STATUS);
}

/* T: the prompt opens with what a left-out ADDR or HOST means */
void tui_trainer_open(tui_app *a)
{
	const mx_addr *ad;
	const char *ip, *host;

	a->m.prompt = TUI_PR_TRAINER;
	a->m.plen = 0;
	a->m.pbuf[0] = '\0';
	a->hist_at = a->nhist;
	ip = selected_addr(a, &ad);
	host = tui_selected_host(a);
	snprintf(a->m.pdefault, sizeof(a->m.pdefault), "%s%s%s%s", ip[0] ? "ADDR " : "", ip,
	         host ? (ip[0] ? ", HOST " : "HOST ") : "", host ? host : "");
	tui_mark(&a->m, TUI_D_STATUS);
}
