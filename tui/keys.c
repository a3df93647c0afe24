/* tui/keys.c — what each key does in the explorer: moving in the panes,
 * the prompts (add, filter, trainer), the overlays, the mouse, the walk
 * through the attempt order and the lab's tour. Keys change the model and
 * ask the app (tui_app_int.h) for what touches the network. */
#include "tui_app_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sender.h"
#include "tui_doc.h"

#define WALK_MIN_MS 150
#define WALK_MAX_MS 8000

/* ---- the walk -------------------------------------------------------------- */

void tui_walk_stop(tui_app *a)
{
	a->m.walk.active = false;
	a->m.walk.e = NULL;
	uv_timer_stop(&a->walk_timer);
	tui_mark(&a->m, TUI_D_ALL);
}

static void walk_advance(tui_app *a)
{
	tui_entry *e = a->m.walk.e;

	if (!e || !e->d || !mx_domain_walked(e->d))
		return; /* the probes are not all in yet: the timer tries again */
	if (a->m.walk.shown <= tui_walk_steps(&a->m, e))
		a->m.walk.shown++;
	tui_mark(&a->m, (1u << TUI_P_TIERS) | (1u << TUI_P_DETAILS) | TUI_D_STATUS);
}

static void on_walk_timer(uv_timer_t *t)
{
	tui_app *a = t->data;

	if (!a->m.walk.active || a->m.walk.paused)
		return;
	walk_advance(a);
	uv_timer_again(&a->walk_timer);
}

static void walk_restart_timer(tui_app *a)
{
	uv_timer_stop(&a->walk_timer);
	uv_timer_start(&a->walk_timer, on_walk_timer, a->m.walk.speed_ms, a->m.walk.speed_ms);
}

static void walk_start(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);

	if (!e || !e->d) {
		tui_msg(&a->m, true, "walk: no domain with an answer selected");
		return;
	}
	if (mx_domain_null_mx(e->d) && mx_domain_attempt_count(e->d) == 0) {
		/* not "no address": the domain said so, and a sender must obey */
		tui_msg(&a->m, false,
		        "walk: null MX. RFC 7505: bounce at once, no fallback to the A record");
		tui_log(&a->m, "walk %s: null MX, RFC 7505: bounce at once", e->name);
		return;
	}
	if (mx_domain_attempt_count(e->d) == 0) {
		tui_msg(&a->m, true, "walk: %s has no address to try", e->name);
		return;
	}
	if (a->cfg.no_probe) {
		tui_msg(&a->m, true, "walk: needs probes (started with --no-probe)");
		return;
	}
	a->m.walk.active = true;
	a->m.walk.paused = false;
	a->m.walk.e = e;
	a->m.walk.shown = 0;
	walk_advance(a);
	walk_restart_timer(a);
	a->m.focus = TUI_P_TIERS;
	tui_mark(&a->m, TUI_D_ALL);
}

static void remove_selected(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);

	if (!e)
		return;
	tui_log(&a->m, "removed %s", e->name);
	tui_msg(&a->m, false, "removed %s", e->name);
	tui_app_drop(a, e);
	if (a->m.sel_dom && a->m.sel_dom >= tui_visible(&a->m, NULL, 0))
		a->m.sel_dom--;
	a->m.sel_row = a->m.sel_find = a->m.det_top = 0;
	tui_mark(&a->m, TUI_D_ALL);
}

void tui_walk_reset(tui_app *a, const tui_entry *e)
{
	if (a->m.walk.e == e)
		a->m.walk.shown = a->m.walk.shown ? 1 : 0;
}

/* ---- keys ------------------------------------------------------------------ */

static void move_sel(size_t *sel, size_t n, long delta)
{
	long v = (long)*sel + delta;

	if (n == 0) {
		*sel = 0;
		return;
	}
	if (v < 0)
		v = 0;
	if (v >= (long)n)
		v = (long)n - 1;
	*sel = (size_t)v;
}

static size_t pane_count(const tui_app *a, tui_pane p)
{
	tui_entry *e = tui_selected(&a->m);

	switch (p) {
	case TUI_P_DOMAINS: return tui_visible(&a->m, NULL, 0);
	case TUI_P_TIERS: return tui_rows(e, NULL, 0);
	case TUI_P_FINDINGS: return e && e->d ? tui_fgroups(e->d, NULL, 0) : 0;
	case TUI_P_LOG: return a->m.nlog;
	default: return 100000; /* details: drawing clamps */
	}
}

static void move_in_pane(tui_app *a, tui_pane p, long delta)
{
	size_t n = pane_count(a, p);

	switch (p) {
	case TUI_P_DOMAINS: {
		size_t old = a->m.sel_dom;
		move_sel(&a->m.sel_dom, n, delta);
		if (old != a->m.sel_dom) {
			/* the tiers cursor comes back to the item remembered for it */
			a->m.sel_row = a->m.top_row = a->m.sel_find = a->m.det_top = 0;
			tui_mark(&a->m, TUI_D_ALL);
		}
		return;
	}
	case TUI_P_TIERS:
		move_sel(&a->m.sel_row, n, delta);
		tui_tiers_remember(&a->m, tui_selected(&a->m));
		a->m.det_top = 0;
		break;
	case TUI_P_FINDINGS: move_sel(&a->m.sel_find, n, delta); break;
	case TUI_P_DETAILS: move_sel(&a->m.det_top, n, delta); break;
	case TUI_P_LOG: move_sel(&a->m.log_top, n, delta); break;
	default: break;
	}
	tui_mark(&a->m, (1u << p) | (1u << TUI_P_DETAILS));
}

static void next_pane(tui_app *a, int dir)
{
	int p = (int)a->m.focus;

	do
		p = (p + dir + TUI_P_COUNT) % TUI_P_COUNT;
	while (p == TUI_P_LOG && !a->m.show_log);
	a->m.focus = (tui_pane)p;
	tui_mark(&a->m, TUI_D_ALL);
}

static void open_doc(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);
	const mx_finding *f;
	tui_fgroup *g;
	size_t n = e && e->d ? tui_fgroups(e->d, NULL, 0) : 0;

	if (!n || a->m.sel_find >= n || !(g = calloc(n, sizeof(*g))))
		return;
	tui_fgroups(e->d, g, n);
	f = mx_domain_finding(e->d, g[a->m.sel_find].first);
	free(g);
	free(a->m.doc);
	a->m.doc = tui_doc_finding(f->code);
	if (!a->m.doc) {
		tui_msg(&a->m, true, "no explanation of %s in docs/findings.md", f->code);
		return;
	}
	a->m.ov = TUI_OV_DOC;
	a->m.ov_top = 0;
	tui_mark(&a->m, TUI_D_ALL);
}

/* ---- the lab: trainer controls and the tour ------------------------------------ */

/* Runs one trainer command (lab/trainer.h parses and describes them) and
 * says what it did; a change the lab now serves brings a new answer, so the
 * selected domain is resolved and probed again. */
static void trainer_run(tui_app *a, const char *line)
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
	 * tiers */
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
static const char *selected_host(tui_app *a)
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
	const char *ip = selected_addr(a, &ad), *host = selected_host(a);
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

/* D and B: the trainer's down/up and behave on the selected address, each
 * one key, through the same command table as the prompt. */
static void trainer_key(tui_app *a, wint_t ch)
{
	static const char *const cycle[] = {"tempfail", "reject", "silent", "slow 3", "accept"};
	const mx_addr *ad;
	const char *ip = selected_addr(a, &ad);
	char line[128];

	if (!a->trainer) {
		tui_msg(&a->m, true, "%c: trainer controls are for mxscope lab", (int)ch);
		return;
	}
	if (!ad) {
		tui_msg(&a->m, true, "%c: select an address in the tiers pane first", (int)ch);
		return;
	}
	if (ch == 'D')
		/* refused is what "down" makes of a host: then it comes up */
		snprintf(line, sizeof(line), "%s %s",
		         ad->probe && ad->probe->state == PROBE_REFUSED ? "up" : "down", ip);
	else
		snprintf(line, sizeof(line), "behave %s %s", ip,
		         cycle[a->behave_at++ % (sizeof(cycle) / sizeof(cycle[0]))]);
	trainer_run(a, line);
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
		const mx_addr *ad;
		const char *ip = selected_addr(a, &ad);
		char t[256];
		tui_entry *e = tui_selected(&a->m);
		if (ip[0])
			snprintf(t, sizeof(t), "%.120s%.120s", a->m.pbuf, ip);
		else if (e)
			snprintf(t, sizeof(t), "%.120s%.120s", a->m.pbuf, e->name);
		else
			return;
		prompt_set(a, t);
	}
}

/* lab --tour: the list becomes scenario i's domains. */
static void tour_go(tui_app *a, size_t i)
{
	size_t n = lab_world_scenario_count(a->cfg.lab);
	char *why = NULL;

	if (!a->cfg.tour || i >= n)
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
	tui_msg(&a->m, false, "tour: %s (N next, P previous)", lab_scenario_title(a->cfg.lab, i));
	tui_mark(&a->m, TUI_D_ALL);
}

static void prompt_key(tui_app *a, wint_t ch, bool fkey)
{
	char *why = NULL;

	if (!fkey && ch == 27) {
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
			trainer_run(a, line);
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

static void handle_mouse(tui_app *a)
{
	MEVENT ev;
	tui_rect r[TUI_P_COUNT];

	if (getmouse(&ev) != OK || tui_too_small(&a->m))
		return;
	tui_layout(&a->m, r);
	for (int p = 0; p < TUI_P_COUNT; p++) {
		if (r[p].h <= 0 || ev.y < r[p].y || ev.y >= r[p].y + r[p].h || ev.x < r[p].x ||
		    ev.x >= r[p].x + r[p].w)
			continue;
		a->m.focus = (tui_pane)p;
		if (ev.bstate & BUTTON4_PRESSED)
			move_in_pane(a, (tui_pane)p, -3);
#ifdef BUTTON5_PRESSED
		else if (ev.bstate & BUTTON5_PRESSED)
			move_in_pane(a, (tui_pane)p, 3);
#endif
		else if (ev.y > r[p].y && ev.y < r[p].y + r[p].h - 1) {
			size_t top = p == TUI_P_DOMAINS    ? a->m.top_dom
			             : p == TUI_P_TIERS    ? a->m.top_row
			             : p == TUI_P_FINDINGS ? a->m.top_find
			                                   : 0;
			size_t *sel = p == TUI_P_DOMAINS    ? &a->m.sel_dom
			              : p == TUI_P_TIERS    ? &a->m.sel_row
			              : p == TUI_P_FINDINGS ? &a->m.sel_find
			                                    : NULL;
			if (sel) {
				size_t want = top + (size_t)(ev.y - r[p].y - 1);
				move_in_pane(a, (tui_pane)p, (long)want - (long)*sel);
			}
		}
		tui_mark(&a->m, TUI_D_ALL);
		return;
	}
}

void tui_keys_handle(tui_app *a, wint_t ch, bool fkey)
{
	tui_entry *e;

	if (fkey && ch == KEY_RESIZE) {
		a->m.rows = LINES;
		a->m.cols = COLS;
		tui_mark(&a->m, TUI_D_ALL);
		return;
	}
	if (tui_too_small(&a->m)) {
		/* nothing shows what a key would do: only q acts */
		if (!fkey && ch == 'q')
			tui_app_quit(a, false);
		return;
	}
	if (fkey && ch == KEY_MOUSE) {
		if (a->cfg.mouse)
			handle_mouse(a);
		return;
	}
	if (a->m.prompt != TUI_PR_NONE) {
		prompt_key(a, ch, fkey);
		return;
	}
	if (a->m.msg[0]) {
		a->m.msg[0] = '\0';
		tui_mark(&a->m, TUI_D_STATUS);
	}
	if (a->m.ov == TUI_OV_HELP &&
	    ((fkey && (ch == KEY_UP || ch == KEY_DOWN || ch == KEY_NPAGE || ch == KEY_PPAGE ||
	               ch == KEY_HOME || ch == KEY_END)) ||
	     (!fkey && (ch == 'j' || ch == 'k')))) {
		long d = ch == KEY_NPAGE               ? 10
		         : ch == KEY_PPAGE             ? -10
		         : ch == KEY_END               ? 100000
		         : ch == KEY_HOME              ? -100000
		         : (ch == KEY_UP || ch == 'k') ? -1
		                                       : 1;
		a->m.ov_top = (long)a->m.ov_top + d < 0 ? 0 : (size_t)((long)a->m.ov_top + d);
		tui_mark(&a->m, TUI_D_ALL); /* drawing clamps it to the last page */
		return;
	}
	if (a->m.ov == TUI_OV_HELP) {
		a->m.ov = TUI_OV_NONE;
		tui_mark(&a->m, TUI_D_ALL);
		if (!fkey && (ch == 'q' || ch == 27 || ch == '?'))
			return;
		/* any other key closes help and does its job */
	} else if (a->m.ov == TUI_OV_DOC) {
		if (fkey && (ch == KEY_DOWN || ch == KEY_NPAGE))
			a->m.ov_top += ch == KEY_NPAGE ? 10 : 1;
		else if (!fkey && ch == 'j')
			a->m.ov_top++;
		else if ((fkey && (ch == KEY_UP || ch == KEY_PPAGE)) || (!fkey && ch == 'k'))
			a->m.ov_top = a->m.ov_top > (ch == KEY_PPAGE ? 10u : 1u)
			                  ? a->m.ov_top - (ch == KEY_PPAGE ? 10 : 1)
			                  : 0;
		else
			a->m.ov = TUI_OV_NONE;
		tui_mark(&a->m, TUI_D_ALL);
		return;
	}
	if (a->m.walk.active && !fkey) {
		switch (ch) {
		case '+':
		case '=':
			a->m.walk.speed_ms = a->m.walk.speed_ms * 2 / 3 < WALK_MIN_MS
			                         ? WALK_MIN_MS
			                         : a->m.walk.speed_ms * 2 / 3;
			walk_restart_timer(a);
			tui_mark(&a->m, TUI_D_ALL);
			return;
		case '-':
			a->m.walk.speed_ms = a->m.walk.speed_ms * 3 / 2 > WALK_MAX_MS
			                         ? WALK_MAX_MS
			                         : a->m.walk.speed_ms * 3 / 2;
			walk_restart_timer(a);
			tui_mark(&a->m, TUI_D_ALL);
			return;
		case ' ':
			a->m.walk.paused = !a->m.walk.paused;
			tui_mark(&a->m, TUI_D_ALL);
			return;
		case 'n':
			a->m.walk.paused = true;
			walk_advance(a);
			tui_mark(&a->m, TUI_D_ALL);
			return;
		case 27: tui_walk_stop(a); return;
		default: break;
		}
	}
	if (fkey) {
		switch (ch) {
		case KEY_UP: move_in_pane(a, a->m.focus, -1); break;
		case KEY_DOWN: move_in_pane(a, a->m.focus, 1); break;
		case KEY_PPAGE: move_in_pane(a, a->m.focus, -10); break;
		case KEY_NPAGE: move_in_pane(a, a->m.focus, 10); break;
		case KEY_HOME: move_in_pane(a, a->m.focus, -1000000); break;
		case KEY_END: move_in_pane(a, a->m.focus, 1000000); break;
		case KEY_BTAB: next_pane(a, -1); break;
		case KEY_F(6): tui_keys_handle(a, 'o', false); break;
		case KEY_LEFT: tui_keys_handle(a, 'h', false); break;
		case KEY_RIGHT:
		case KEY_ENTER: tui_keys_handle(a, '\n', false); break;
		default: break;
		}
		return;
	}
	switch (ch) {
	case 'q': tui_app_quit(a, false); break;
	case 'Q': tui_app_quit(a, true); break;
	case '?':
		a->m.ov = TUI_OV_HELP;
		a->m.ov_top = 0;
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case '\t': next_pane(a, 1); break;
	case 'k': move_in_pane(a, a->m.focus, -1); break;
	case 'j': move_in_pane(a, a->m.focus, 1); break;
	case 'g': move_in_pane(a, a->m.focus, -1000000); break;
	case 'G': move_in_pane(a, a->m.focus, 1000000); break;
	case '\n':
	case '\r':
		if (a->m.focus == TUI_P_DOMAINS)
			a->m.focus = TUI_P_TIERS;
		else if (a->m.focus == TUI_P_TIERS)
			a->m.focus = TUI_P_DETAILS;
		else if (a->m.focus == TUI_P_FINDINGS)
			open_doc(a);
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 27:
	case 'h':
		if (a->m.focus == TUI_P_DETAILS)
			a->m.focus = TUI_P_TIERS;
		else if (a->m.focus != TUI_P_DOMAINS)
			a->m.focus = TUI_P_DOMAINS;
		else if (a->m.filter[0]) {
			a->m.filter[0] = '\0';
			tui_msg(&a->m, false, "filter cleared");
		}
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'a':
		a->m.prompt = TUI_PR_ADD;
		a->m.plen = 0;
		a->m.pbuf[0] = '\0';
		tui_mark(&a->m, TUI_D_STATUS);
		break;
	case 'T':
		if (!a->trainer) {
			tui_msg(&a->m, true, "T: trainer controls are for mxscope lab");
			break;
		}
		a->m.prompt = TUI_PR_TRAINER;
		a->m.plen = 0;
		a->m.pbuf[0] = '\0';
		a->hist_at = a->nhist;
		{
			const mx_addr *ad;
			const char *ip = selected_addr(a, &ad), *host = selected_host(a);
			snprintf(a->m.pdefault, sizeof(a->m.pdefault), "%s%s%s%s",
			         ip[0] ? "ADDR " : "", ip,
			         host ? (ip[0] ? ", HOST " : "HOST ") : "", host ? host : "");
		}
		tui_mark(&a->m, TUI_D_STATUS);
		break;
	case 'D':
	case 'B': trainer_key(a, ch); break;
	case 'z':
		a->m.zoom = !a->m.zoom;
		clear();
		tui_msg(&a->m, false, "%s",
		        a->m.zoom ? "zoom: z again for every pane" : "zoom off");
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'o':
		a->m.sort = (tui_sort)((a->m.sort + 1) % TUI_SORT_COUNT);
		tui_sort_list(&a->m);
		tui_msg(&a->m, false, "domains %s",
		        a->m.sort == TUI_SORT_STATUS ? "by status, worst first"
		        : a->m.sort == TUI_SORT_NAME ? "by name"
		                                     : "as added");
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'A':
		/* walk as the selected MX host: what a backup does with the mail */
		e = tui_selected(&a->m);
		if (!e || !e->d)
			break;
		{
			const char *h = selected_host(a);
			if (!h && !e->as_host) {
				tui_msg(&a->m, true,
				        "A: select an MX host in the tiers pane first");
				break;
			}
			if (h && !e->as_host) {
				char hb[256];
				snprintf(hb, sizeof(hb), "%s", h);
				tui_app_set_as(a, e, hb);
				tui_msg(&a->m, false,
				        "%s: as %s sends it (its preference and every less "
				        "preferred MX "
				        "dropped); A again: as a sender",
				        e->name, hb);
			} else {
				tui_app_set_as(a, e, NULL);
				tui_msg(&a->m, false, "%s: walked as an ordinary sender again",
				        e->name);
			}
			if (a->m.walk.e == e)
				walk_start(a);
			tui_mark(&a->m, TUI_D_ALL);
		}
		break;
	case 'c': tui_cmdview_toggle(a); break;
	case 'S':
		/* the walk on screen as another kind of sender (issue 11) */
		a->m.sender = (a->m.sender + 1) % SENDER_COUNT;
		tui_msg(&a->m, false, "walk as %s sender (%s)",
		        sender_profile_name((sender_profile)a->m.sender),
		        sender_profile_who((sender_profile)a->m.sender));
		if (a->m.walk.active && a->m.walk.e)
			a->m.walk.shown = a->m.walk.shown ? 1 : 0;
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'V':
		/* every name server of the zone, side by side (issue 12) */
		e = tui_selected(&a->m);
		if (!e || !e->d) {
			tui_msg(&a->m, true, "V: no domain with an answer selected");
			break;
		}
		tui_app_authoritative(a, e);
		a->m.focus = TUI_P_DOMAINS; /* the domain's details show the table */
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'y': tui_copy_out(a, false); break;
	case 's': tui_copy_out(a, true); break;
	case 'R':
		/* the one-key reset the room needs after a demonstration */
		if (!a->trainer)
			tui_msg(&a->m, true, "R: resetting the scenario is for mxscope lab");
		else
			trainer_run(a, "reset");
		break;
	case 'N':
	case 'P':
		if (!a->cfg.tour || !a->cfg.lab)
			tui_msg(&a->m, true, "%c: for mxscope lab --tour", (int)ch);
		else if (ch == 'N' && a->m.tour_at + 1 >= lab_world_scenario_count(a->cfg.lab))
			tui_msg(&a->m, false, "tour: that was the last scenario");
		else if (ch == 'P' && a->m.tour_at == 0)
			tui_msg(&a->m, false, "tour: this is the first scenario");
		else
			tour_go(a, ch == 'N' ? a->m.tour_at + 1 : a->m.tour_at - 1);
		break;
	case '/':
		a->m.prompt = TUI_PR_FILTER;
		snprintf(a->m.pbuf, sizeof(a->m.pbuf), "%s", a->m.filter);
		a->m.plen = strlen(a->m.pbuf);
		a->m.focus = TUI_P_DOMAINS;
		tui_mark(&a->m, TUI_D_ALL);
		break;
	case 'd':
		remove_selected(a);
		tui_app_save_state(a);
		break;
	case 'r':
		e = tui_selected(&a->m);
		if (e) {
			if (e->resolving)
				tui_msg(&a->m, false, "%s: already resolving", e->name);
			else
				tui_app_refresh_key(a, e);
		}
		break;
	case 'f': tui_app_freeze(a, !a->m.frozen); break;
	case 'w': walk_start(a); break;
	case 'x':
		e = tui_selected(&a->m);
		if (e && e->d) {
			tui_app_reseed(a, e,
			               (e->seed * 6364136223846793005ull + 1442695040888963407ull) %
			                   1000000);
			tui_msg(&a->m, false, "%s: reshuffled with seed %llu (mxscope --seed %llu)",
			        e->name, (unsigned long long)e->seed, (unsigned long long)e->seed);
			tui_log(&a->m, "%s: new seed %llu", e->name, (unsigned long long)e->seed);
			if (a->m.walk.e == e)
				walk_start(a);
			tui_mark(&a->m, TUI_D_ALL);
		}
		break;
	case 't':
		tui_app_cycle_theme(a);
		tui_app_save_state(a);
		break;
	case 'l':
		/* vi's right: the same as Right and Enter */
		tui_keys_handle(a, '\n', false);
		break;
	case 'L':
		a->m.show_log = !a->m.show_log;
		if (!a->m.show_log && a->m.focus == TUI_P_LOG)
			a->m.focus = TUI_P_DOMAINS;
		clear();
		tui_mark(&a->m, TUI_D_ALL);
		break;
	default: break;
	}
}
