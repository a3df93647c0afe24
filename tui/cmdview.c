/* tui/cmdview.c — the details pane's commands view: `c` shows
 * every DNS question and probe of the selection as a command another tool
 * runs as printed (net/commands.h: dig, swaks, openssl, curl), with the
 * server, address and port the scan used; `y` copies what it shows. The
 * text is made afresh from the shown answer on every draw and copy, so the
 * pane and the clipboard always agree and never go stale. */
#include "tui_app_int.h"

#include <stdlib.h>
#include <string.h>

/* The selected address (cursor on an address row of the tiers or details
 * pane): its commands only; anywhere else: the whole domain's. */
char *tui_cmdview_text(const tui_model *m, const tui_entry *e)
{
	size_t n;
	tui_row *rows;
	char *t = NULL;

	if (!e || !e->d)
		return NULL;
	n = m->focus == TUI_P_DOMAINS ? 0 : tui_rows(e, NULL, 0);
	rows = n ? calloc(n, sizeof(*rows)) : NULL;
	if (rows) {
		tui_rows(e, rows, n);
		if (m->sel_row < n && rows[m->sel_row].kind == TUI_ROW_ADDR)
			t = commands_addr_text(e->d, rows[m->sel_row].host, rows[m->sel_row].addr,
			                       &m->cmd_opts);
		free(rows);
		if (t)
			return t;
	}
	return commands_text(e->d, &m->cmd_opts);
}

void tui_cmdview_lines(const tui_model *m, const tui_entry *e, tui_lines *L)
{
	char *t = tui_cmdview_text(m, e);

	if (!t) {
		tui_addl(L, THEME_DIM, "no commands yet (no answer for the selected domain)");
		return;
	}
	for (const char *s = t; *s;) {
		size_t len = strcspn(s, "\n");
		tui_addl(L, s[0] == '#' ? THEME_DIM : THEME_NORMAL, "%.*s", (int)len, s);
		s += len + (s[len] ? 1 : 0);
	}
	free(t);
}

void tui_cmdview_toggle(tui_app *a)
{
	a->m.cmds = !a->m.cmds;
	/* what check --commands prints for the same settings and scan */
	a->m.cmd_opts = settings_commands_opts(&a->cfg.set, a->scan, a->cfg.blocklists);
	tui_msg(&a->m, false, "%s",
	        a->m.cmds ? "commands: every question and probe as dig, swaks, openssl, curl "
	                    "(y copies, c again: back)"
	                  : "commands view off");
	tui_mark(&a->m, TUI_D_ALL);
}
