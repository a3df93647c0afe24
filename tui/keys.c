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
#include "trainer.h"
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
	if (a->cfg.set.no_probe) {
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
	char kn[24];

	if (!e)
		return;
	tui_log(&a->m, "removed %s", e->name);
	tui_msg(&a->m, false, "removed %s (%s puts it back)", e->name,
	        tui_keymap_first(a->m.km, "undo", "undo", kn, sizeof(kn)));
	tui_app_remove(a, e);
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

/* ---- the actions ----------------------------------------------------------------- */

/* Each takes the name of the key that ran it, for what it says. */
typedef void action_fn(tui_app *a, const char *kn);

static void act_up(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, -1);
}

static void act_down(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, 1);
}

static void act_page_up(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, -10);
}

static void act_page_down(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, 10);
}

static void act_first(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, -1000000);
}

static void act_last(tui_app *a, const char *kn)
{
	(void)kn;
	move_in_pane(a, a->m.focus, 1000000);
}

static void act_next_pane(tui_app *a, const char *kn)
{
	(void)kn;
	next_pane(a, 1);
}

static void act_prev_pane(tui_app *a, const char *kn)
{
	(void)kn;
	next_pane(a, -1);
}

static void act_open(tui_app *a, const char *kn)
{
	(void)kn;
	if (a->m.focus == TUI_P_DOMAINS)
		a->m.focus = TUI_P_TIERS;
	else if (a->m.focus == TUI_P_TIERS)
		a->m.focus = TUI_P_DETAILS;
	else if (a->m.focus == TUI_P_FINDINGS)
		open_doc(a);
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_back(tui_app *a, const char *kn)
{
	(void)kn;
	if (a->m.focus == TUI_P_DETAILS)
		a->m.focus = TUI_P_TIERS;
	else if (a->m.focus != TUI_P_DOMAINS)
		a->m.focus = TUI_P_DOMAINS;
	else if (a->m.filter[0]) {
		a->m.filter[0] = '\0';
		tui_msg(&a->m, false, "filter cleared");
	}
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_zoom(tui_app *a, const char *kn)
{
	a->m.zoom = !a->m.zoom;
	clear();
	if (a->m.zoom)
		tui_msg(&a->m, false, "zoom: %s again for every pane", kn);
	else
		tui_msg(&a->m, false, "zoom off");
	tui_mark(&a->m, TUI_D_ALL);
}

static void resize_domains(tui_app *a, int by)
{
	tui_rect r[TUI_P_COUNT];
	int before;

	tui_layout(&a->m, r);
	before = r[TUI_P_DOMAINS].w;
	a->m.dom_extra += by;
	tui_layout(&a->m, r);
	/* at a limit: the extra stays where the width stopped */
	if (r[TUI_P_DOMAINS].w == before)
		a->m.dom_extra -= by;
	tui_msg(&a->m, false, "domains pane %d columns%s", r[TUI_P_DOMAINS].w,
	        r[TUI_P_DOMAINS].w == before ? " (its limit)" : "");
	clear();
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_domains_narrower(tui_app *a, const char *kn)
{
	(void)kn;
	resize_domains(a, -4);
}

static void act_domains_wider(tui_app *a, const char *kn)
{
	(void)kn;
	resize_domains(a, 4);
}

static void act_add(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.prompt = TUI_PR_ADD;
	a->m.plen = 0;
	a->m.pbuf[0] = '\0';
	tui_mark(&a->m, TUI_D_STATUS);
}

static void act_remove(tui_app *a, const char *kn)
{
	(void)kn;
	remove_selected(a);
	tui_app_save_state(a);
}

static void act_undo(tui_app *a, const char *kn)
{
	tui_entry *e;

	if (!tui_app_undo_remove(a)) {
		tui_msg(&a->m, false, "%s: nothing removed to put back", kn);
		return;
	}
	e = tui_selected(&a->m);
	tui_log(&a->m, "put back %s", e ? e->name : "?");
	tui_msg(&a->m, false, "put back %s", e ? e->name : "?");
	tui_app_save_state(a);
}

static void act_filter(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.prompt = TUI_PR_FILTER;
	snprintf(a->m.filter_was, sizeof(a->m.filter_was), "%s", a->m.filter);
	snprintf(a->m.pbuf, sizeof(a->m.pbuf), "%s", a->m.filter);
	a->m.plen = strlen(a->m.pbuf);
	a->m.focus = TUI_P_DOMAINS;
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_refresh(tui_app *a, const char *kn)
{
	tui_entry *e = tui_selected(&a->m);

	(void)kn;
	if (!e)
		return;
	if (e->resolving) {
		tui_msg(&a->m, false, "%s: already resolving", e->name);
		return;
	}
	tui_app_refresh_key(a, e);
}

static void act_sort(tui_app *a, const char *kn)
{
	static const char *const said[TUI_SORT_COUNT] = {
	    [TUI_SORT_ADDED] = "as added",
	    [TUI_SORT_STATUS] = "by status, worst first",
	    [TUI_SORT_NAME] = "by name",
	};

	(void)kn;
	a->m.sort = (tui_sort)((a->m.sort + 1) % TUI_SORT_COUNT);
	tui_sort_list(&a->m);
	tui_msg(&a->m, false, "domains %s", said[a->m.sort]);
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_walk(tui_app *a, const char *kn)
{
	(void)kn;
	walk_start(a);
}

static void walk_speed(tui_app *a, unsigned ms)
{
	a->m.walk.speed_ms = ms < WALK_MIN_MS ? WALK_MIN_MS : ms > WALK_MAX_MS ? WALK_MAX_MS : ms;
	walk_restart_timer(a);
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_walk_faster(tui_app *a, const char *kn)
{
	(void)kn;
	walk_speed(a, a->m.walk.speed_ms * 2 / 3);
}

static void act_walk_slower(tui_app *a, const char *kn)
{
	(void)kn;
	walk_speed(a, a->m.walk.speed_ms * 3 / 2);
}

static void act_walk_pause(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.walk.paused = !a->m.walk.paused;
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_walk_step(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.walk.paused = true;
	walk_advance(a);
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_walk_stop(tui_app *a, const char *kn)
{
	(void)kn;
	tui_walk_stop(a);
}

static void act_reshuffle(tui_app *a, const char *kn)
{
	tui_entry *e = tui_selected(&a->m);

	(void)kn;
	if (!e || !e->d)
		return;
	tui_app_reseed(a, e, (e->seed * 6364136223846793005ull + 1442695040888963407ull) % 1000000);
	tui_msg(&a->m, false, "%s: reshuffled with seed %llu (mxscope --seed %llu)", e->name,
	        (unsigned long long)e->seed, (unsigned long long)e->seed);
	tui_log(&a->m, "%s: new seed %llu", e->name, (unsigned long long)e->seed);
	if (a->m.walk.e == e)
		walk_start(a);
	tui_mark(&a->m, TUI_D_ALL);
}

/* what a backup does with the mail: walk as the selected MX host */
static void act_as_host(tui_app *a, const char *kn)
{
	tui_entry *e = tui_selected(&a->m);
	const char *h;

	if (!e || !e->d)
		return;
	h = tui_selected_host(a);
	if (!h && !e->as_host) {
		tui_msg(&a->m, true, "%s: select an MX host in the tiers pane first", kn);
		return;
	}
	if (h && !e->as_host) {
		char hb[256];
		snprintf(hb, sizeof(hb), "%s", h);
		tui_app_set_as(a, e, hb);
		tui_msg(&a->m, false,
		        "%s: as %s sends it (its preference and every less preferred MX dropped); "
		        "%s again: as a sender",
		        e->name, hb, kn);
	} else {
		tui_app_set_as(a, e, NULL);
		tui_msg(&a->m, false, "%s: walked as an ordinary sender again", e->name);
	}
	if (a->m.walk.e == e)
		walk_start(a);
	tui_mark(&a->m, TUI_D_ALL);
}

/* the walk on screen as another kind of sender */
static void act_sender_next(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.sender = (a->m.sender + 1) % SENDER_COUNT;
	tui_msg(&a->m, false, "walk as %s sender (%s)",
	        sender_profile_name((sender_profile)a->m.sender),
	        sender_profile_who((sender_profile)a->m.sender));
	if (a->m.walk.active && a->m.walk.e)
		a->m.walk.shown = a->m.walk.shown ? 1 : 0;
	tui_mark(&a->m, TUI_D_ALL);
}

/* every name server of the zone, side by side */
static void act_authoritative(tui_app *a, const char *kn)
{
	tui_entry *e = tui_selected(&a->m);

	if (!e || !e->d) {
		tui_msg(&a->m, true, "%s: no domain with an answer selected", kn);
		return;
	}
	tui_app_authoritative(a, e);
	a->m.focus = TUI_P_DOMAINS; /* the domain's details show the table */
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_freeze(tui_app *a, const char *kn)
{
	(void)kn;
	tui_app_freeze(a, !a->m.frozen);
}

static void act_theme_next(tui_app *a, const char *kn)
{
	(void)kn;
	tui_app_cycle_theme(a);
	tui_app_save_state(a);
}

static void act_log(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.show_log = !a->m.show_log;
	if (!a->m.show_log && a->m.focus == TUI_P_LOG)
		a->m.focus = TUI_P_DOMAINS;
	clear();
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_copy(tui_app *a, const char *kn)
{
	(void)kn;
	tui_copy_out(a, false);
}

static void act_save(tui_app *a, const char *kn)
{
	(void)kn;
	tui_copy_out(a, true);
}

static void act_commands(tui_app *a, const char *kn)
{
	(void)kn;
	tui_cmdview_toggle(a);
}

static void act_help(tui_app *a, const char *kn)
{
	(void)kn;
	a->m.ov = TUI_OV_HELP;
	a->m.ov_top = 0;
	tui_mark(&a->m, TUI_D_ALL);
}

static void act_trainer(tui_app *a, const char *kn)
{
	(void)kn;
	tui_trainer_open(a);
}

static void act_down_up(tui_app *a, const char *kn)
{
	tui_trainer_key(a, kn, true);
}

static void act_behave_next(tui_app *a, const char *kn)
{
	tui_trainer_key(a, kn, false);
}

/* the one-key reset the room needs after a demonstration */
static void act_reset(tui_app *a, const char *kn)
{
	(void)kn;
	tui_trainer_run(a, "reset");
}

static void act_tour_next(tui_app *a, const char *kn)
{
	(void)kn;
	if (a->m.tour_at + 1 >= lab_world_scenario_count(a->cfg.lab))
		tui_msg(&a->m, false, "tour: that was the last scenario");
	else
		tui_tour_go(a, a->m.tour_at + 1);
}

static void act_tour_prev(tui_app *a, const char *kn)
{
	(void)kn;
	if (a->m.tour_at == 0)
		tui_msg(&a->m, false, "tour: this is the first scenario");
	else
		tui_tour_go(a, a->m.tour_at - 1);
}

static void act_quit(tui_app *a, const char *kn)
{
	(void)kn;
	tui_app_quit(a, false);
}

static void act_quit_report(tui_app *a, const char *kn)
{
	(void)kn;
	tui_app_quit(a, true);
}

/* ---- the table ------------------------------------------------------------------ */

#define PANE(p) (1u << (p))

/* What each action of the key table (keymap.c) does, by its tui_act. */
static action_fn *const run[TUI_ACT_COUNT] = {
    [TUI_ACT_UP] = act_up,
    [TUI_ACT_DOWN] = act_down,
    [TUI_ACT_PAGE_UP] = act_page_up,
    [TUI_ACT_PAGE_DOWN] = act_page_down,
    [TUI_ACT_FIRST] = act_first,
    [TUI_ACT_LAST] = act_last,
    [TUI_ACT_NEXT_PANE] = act_next_pane,
    [TUI_ACT_PREV_PANE] = act_prev_pane,
    [TUI_ACT_OPEN] = act_open,
    [TUI_ACT_BACK] = act_back,
    [TUI_ACT_ZOOM] = act_zoom,
    [TUI_ACT_DOMAINS_NARROWER] = act_domains_narrower,
    [TUI_ACT_DOMAINS_WIDER] = act_domains_wider,
    [TUI_ACT_ADD_DOMAIN] = act_add,
    [TUI_ACT_REMOVE_DOMAIN] = act_remove,
    [TUI_ACT_UNDO] = act_undo,
    [TUI_ACT_FILTER] = act_filter,
    [TUI_ACT_REFRESH] = act_refresh,
    [TUI_ACT_SORT] = act_sort,
    [TUI_ACT_WALK] = act_walk,
    [TUI_ACT_WALK_FASTER] = act_walk_faster,
    [TUI_ACT_WALK_SLOWER] = act_walk_slower,
    [TUI_ACT_WALK_PAUSE] = act_walk_pause,
    [TUI_ACT_WALK_STEP] = act_walk_step,
    [TUI_ACT_WALK_STOP] = act_walk_stop,
    [TUI_ACT_RESHUFFLE] = act_reshuffle,
    [TUI_ACT_WALK_AS_HOST] = act_as_host,
    [TUI_ACT_SENDER_NEXT] = act_sender_next,
    [TUI_ACT_AUTHORITATIVE] = act_authoritative,
    [TUI_ACT_FREEZE] = act_freeze,
    [TUI_ACT_THEME_NEXT] = act_theme_next,
    [TUI_ACT_LOG] = act_log,
    [TUI_ACT_COPY] = act_copy,
    [TUI_ACT_SAVE] = act_save,
    [TUI_ACT_COMMANDS] = act_commands,
    [TUI_ACT_HELP] = act_help,
    [TUI_ACT_TRAINER] = act_trainer,
    [TUI_ACT_DOWN_UP] = act_down_up,
    [TUI_ACT_BEHAVE_NEXT] = act_behave_next,
    [TUI_ACT_RESET] = act_reset,
    [TUI_ACT_TOUR_NEXT] = act_tour_next,
    [TUI_ACT_TOUR_PREV] = act_tour_prev,
    [TUI_ACT_QUIT] = act_quit,
    [TUI_ACT_QUIT_REPORT] = act_quit_report,
};

/* ---- dispatch -------------------------------------------------------------------- */

static const char *const pane_word[TUI_P_COUNT] = {
    [TUI_P_DOMAINS] = "domains",   [TUI_P_TIERS] = "tiers", [TUI_P_DETAILS] = "details",
    [TUI_P_FINDINGS] = "findings", [TUI_P_LOG] = "log",
};

static bool is(int act, const char *name)
{
	return act >= 0 && strcmp(tui_keymap_action_at((size_t)act)->name, name) == 0;
}

/* "F9 does nothing here": said, not silently dropped, so that a user who
 * expects htop's or vi's keys learns where the list is. */
static void say_nothing(tui_app *a, const char *kn, const char *where)
{
	char help[32];

	tui_msg(&a->m, false, "%s does nothing %s; %s lists the keys", kn, where,
	        tui_keymap_first(a->m.km, "help", "man mxscope", help, sizeof(help)));
}

static void run_action(tui_app *a, int act, const char *kn)
{
	const tui_action *in = tui_keymap_action_at((size_t)act);

	if ((in->when & TUI_WHEN_LAB) && !a->trainer)
		tui_msg(&a->m, true, "%s: trainer controls are for mxscope lab", kn);
	else if ((in->when & TUI_WHEN_TOUR) && (!a->cfg.set.tour || !a->cfg.lab))
		tui_msg(&a->m, true, "%s: for mxscope lab --tour", kn);
	else if ((in->when & TUI_WHEN_LIVE) && scan_recorded(a->scan))
		tui_msg(
		    &a->m, false,
		    "%s: a recording is not re-probed or asked again; it shows what was recorded",
		    kn);
	else if (in->panes && !(in->panes & PANE(a->m.focus))) {
		char where[64];
		snprintf(where, sizeof(where), "in the %s pane", pane_word[a->m.focus]);
		say_nothing(a, kn, where);
	} else
		run[act](a, kn);
}

/* The help overlay: its scrolling keys scroll it, help, back and quit
 * close it alone, and any other key closes it and does its job. */
static bool help_key(tui_app *a, int act)
{
	static const struct {
		const char *action;
		long by;
	} scroll[] = {
	    {"up", -1},        {"down", 1},        {"page-up", -10},
	    {"page-down", 10}, {"first", -100000}, {"last", 100000},
	};

	for (size_t i = 0; i < sizeof(scroll) / sizeof(scroll[0]); i++)
		if (is(act, scroll[i].action)) {
			long top = (long)a->m.ov_top + scroll[i].by;
			a->m.ov_top = top < 0 ? 0 : (size_t)top;
			tui_mark(&a->m, TUI_D_ALL); /* drawing clamps it to the last page */
			return true;
		}
	a->m.ov = TUI_OV_NONE;
	tui_mark(&a->m, TUI_D_ALL);
	return is(act, "help") || is(act, "back") || is(act, "quit");
}

/* A finding's explanation: down and up scroll it, any other key closes it. */
static void doc_key(tui_app *a, int act)
{
	if (is(act, "down") || is(act, "page-down"))
		a->m.ov_top += is(act, "page-down") ? 10 : 1;
	else if (is(act, "up") || is(act, "page-up")) {
		size_t by = is(act, "page-up") ? 10 : 1;
		a->m.ov_top = a->m.ov_top > by ? a->m.ov_top - by : 0;
	} else
		a->m.ov = TUI_OV_NONE;
	tui_mark(&a->m, TUI_D_ALL);
}

void tui_keys_handle(tui_app *a, wint_t ch, bool fkey)
{
	int key = tui_keymap_key(ch, fkey), act;
	char kn[32];

	if (fkey && ch == KEY_RESIZE) {
		a->m.rows = LINES;
		a->m.cols = COLS;
		tui_mark(&a->m, TUI_D_ALL);
		return;
	}
	act = tui_keymap_lookup(a->m.km, key, a->m.walk.active);
	if (tui_too_small(&a->m)) {
		/* nothing shows what a key would do: only quitting acts */
		if (is(act, "quit"))
			tui_app_quit(a, false);
		return;
	}
	if (fkey && ch == KEY_MOUSE) {
		if (a->cfg.set.mouse)
			handle_mouse(a);
		return;
	}
	if (a->m.prompt != TUI_PR_NONE) {
		tui_prompt_key(a, ch, fkey);
		return;
	}
	if (a->m.msg[0]) {
		a->m.msg[0] = '\0';
		tui_mark(&a->m, TUI_D_STATUS);
	}
	if (a->m.ov == TUI_OV_HELP && help_key(a, act))
		return;
	if (a->m.ov == TUI_OV_DOC) {
		doc_key(a, act);
		return;
	}
	tui_keymap_name(key, kn, sizeof(kn));
	if (act < 0)
		say_nothing(a, kn, "here");
	else
		run_action(a, act, kn);
}
