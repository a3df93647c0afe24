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
	if (a->m.walk.shown <= mx_domain_step_count(e->d))
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
	case TUI_P_FINDINGS: return e && e->d ? mx_domain_finding_count(e->d) : 0;
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
			a->m.sel_row = a->m.sel_find = a->m.det_top = 0;
			tui_mark(&a->m, TUI_D_ALL);
		}
		return;
	}
	case TUI_P_TIERS:
		move_sel(&a->m.sel_row, n, delta);
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

	if (!e || !e->d || a->m.sel_find >= mx_domain_finding_count(e->d))
		return;
	f = mx_domain_finding(e->d, a->m.sel_find);
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
	if (e && !e->resolving) {
		tui_app_refresh(a, e);
		tui_msg(&a->m, false, "trainer: %s done; re-resolving and re-probing %s", line,
		        e->name);
	} else {
		tui_msg(&a->m, false, "trainer: %s done", line);
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
			trainer_run(a, a->m.pbuf);
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
		tui_mark(&a->m, TUI_D_STATUS);
		break;
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
			else {
				tui_app_refresh(a, e);
				tui_msg(&a->m, false, "re-resolving and re-probing %s", e->name);
			}
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
