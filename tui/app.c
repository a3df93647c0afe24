/* tui/app.c — the explorer's app: the screen's lifecycle, the loop glue
 * (stdin, redraw, ticks, signals), and the model fed by one scan
 * (net/scan.h), which does all the network work. What keys do is in keys.c,
 * the view model in model.c, drawing in draw.c and cells.c. */
#include "tui_app_int.h"

#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "name.h"
#include "record.h"
#include "sender.h"
#include "report.h"
#include "tui_state.h"

/* ---- the scan's answers into the model ------------------------------------ */

/* Points e at what the scan shows now. The scan's domains stay valid only
 * until control returns to the loop, so this runs at every entry from the
 * loop (a key, a redraw), never kept across one. */
static void view_entry(tui_app *a, tui_entry *e, bool with_stats)
{
	scan_domain_info info;
	size_t total = 0;

	e->d = scan_domain(a->scan, e->name);
	if (scan_domain_peek(a->scan, e->name, &info)) {
		e->resolving = info.resolving;
		e->answered_uv = info.answered_ms;
		/* the scan counts in uv_now(), the model in tui_now_ms(): carry the age */
		uint64_t uvnow = uv_now(a->loop), now = tui_now_ms();
		uint64_t age = uvnow > info.answered_ms ? uvnow - info.answered_ms : 0;
		e->got_ms = now > age ? now - age : 0;
	}
	if (!with_stats || !e->d)
		return;
	for (size_t i = 0; i < mx_domain_host_count(e->d); i++)
		total += mx_domain_host(e->d, i)->naddrs;
	if (total > e->capst) {
		tui_stat *g = realloc(e->st, total * sizeof(*g));
		if (!g) {
			e->nst = 0;
			return;
		}
		e->st = g;
		e->capst = total;
	}
	e->nst = total;
	for (size_t i = 0, si = 0; i < mx_domain_host_count(e->d); i++) {
		const mx_host *h = mx_domain_host(e->d, i);
		for (size_t k = 0; k < h->naddrs; k++, si++) {
			scan_history hi;
			tui_stat *st = &e->st[si];
			memset(st, 0, sizeof(*st));
			if (!scan_history_get(a->scan, h->addrs[k].ip, h->exchange, &hi))
				continue;
			*st = (tui_stat){.watched = hi.watched,
			                 .state = hi.last_state,
			                 .in_flight = hi.in_flight,
			                 .sent = hi.sent,
			                 .answered = hi.answered,
			                 /* mtr's loss: no answer at all; a 4xx or 5xx
			                    greeting is an answer */
			                 .loss = hi.sent ? 100.0 * (double)(hi.sent - hi.answered) /
			                                       (double)hi.sent
			                                 : 0.0,
			                 .last_ms = hi.last_ms,
			                 .avg_ms = hi.avg_ms,
			                 .best_ms = hi.best_ms,
			                 .worst_ms = hi.worst_ms};
		}
	}
}

/* The whole list as the scan shows it; the mtr history only for the
 * selected domain, the one the panes show it for. */
static void view_sync(tui_app *a)
{
	tui_entry *sel = tui_selected(&a->m);

	for (size_t i = 0; i < a->m.ne; i++)
		view_entry(a, a->m.e[i], a->m.e[i] == sel);
}

/* "domain changed": a new answer, a probe, a blocklist answer, a new seed.
 * Only marks what to redraw; drawing happens once per loop turn. */
static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	tui_app *a = arg;
	const tui_entry *sel = tui_selected(&a->m);

	(void)s;
	/* --record: every change but a reshuffle lands as one whole line */
	if (a->record_fd >= 0 && (changes & ~SCAN_CH_ANALYSIS)) {
		char at[32], *line, *why = NULL;
		rec_meta rm = settings_record_meta(&a->cfg.set, s, MXSCOPE_VERSION, at, sizeof(at));
		line = rec_line(d, &rm);
		if (!line || rec_append(a->record_fd, line, &why) != MXS_OK)
			tui_msg(&a->m, true, "--record: %s", why ? why : "out of memory");
		free(line);
		free(why);
	}
	if ((changes & (SCAN_CH_ANSWER | SCAN_CH_ANALYSIS)) && a->m.walk.e &&
	    strcmp(a->m.walk.e->name, name) == 0)
		tui_walk_reset(a, a->m.walk.e);
	if (changes & SCAN_CH_PROBE)
		a->egress_due = true; /* read once this loop turn, in draw_now */
	if (sel && strcmp(sel->name, name) == 0)
		tui_mark(&a->m, TUI_D_ALL);
	else
		tui_mark(&a->m, (1u << TUI_P_DOMAINS) | TUI_D_HEADER);
}

/* What happens on the way, for the log pane (which sanitises what it
 * draws). */
static void on_event(scan *s, const scan_event *ev, void *arg)
{
	tui_app *a = arg;
	size_t naddr = 0, nh;
	char *line;

	(void)s;
	switch (ev->kind) {
	case SCAN_EV_DNS_ANSWER:
		nh = mx_domain_host_count(ev->d);
		for (size_t i = 0; i < nh; i++)
			naddr += mx_domain_host(ev->d, i)->naddrs;
		tui_log(&a->m, "answer for %s: MX %s, %zu host%s, %zu address%s", ev->name,
		        mx_rcode_str(mx_domain_mx_rcode(ev->d)), nh, nh == 1 ? "" : "s", naddr,
		        naddr == 1 ? "" : "es");
		break;
	case SCAN_EV_PROBE_START:
		tui_log(&a->m, "probe %s (%s) started", ev->ip, ev->host ? ev->host : "");
		break;
	case SCAN_EV_PROBE_DONE:
		tui_spark_add(&a->m, ev->ip, ev->probe ? ev->probe->t.greeting : -1);
		if (!ev->probe)
			break;
		tui_log(&a->m, "probe %s (%s) finished: %s%s%.0d in %ld ms", ev->ip,
		        ev->host ? ev->host : "", probe_state_word(ev->probe->state),
		        ev->probe->code ? " " : "", ev->probe->code, ev->probe->t.total);
		break;
	case SCAN_EV_BLOCKLIST:
		line = blr_result_line(ev->bl);
		tui_log(&a->m, "blocklist %s", line ? line : ev->ip);
		free(line);
		break;
	default: break;
	}
	/* frozen: nothing shown changes, but the header says news came */
	if (a->m.frozen)
		tui_mark(&a->m, TUI_D_HEADER);
}

static void entry_free(tui_entry *e)
{
	if (!e)
		return;
	free(e->st);
	free(e->as_host);
	free(e->name);
	free(e);
}

void tui_app_refresh(tui_app *a, tui_entry *e)
{
	/* a recording has nothing newer: nothing to ask, nothing to claim */
	if (e->resolving || scan_recorded(a->scan))
		return;
	if (scan_refresh(a->scan, e->name) != MXS_OK) {
		tui_log(&a->m, "%s: cannot resolve again", e->name);
		return;
	}
	view_entry(a, e, false);
	tui_log(&a->m, "query MX %s sent", e->name);
	tui_mark(&a->m, 1u << TUI_P_DOMAINS);
}

void tui_app_refresh_key(tui_app *a, tui_entry *e)
{
	if (scan_recorded(a->scan)) {
		tui_msg(&a->m, false,
		        "%s: a recording is not re-probed; what was recorded is shown", e->name);
		return;
	}
	tui_app_refresh(a, e);
	tui_msg(&a->m, false, "re-resolving and re-probing %s", e->name);
}

mxs_status tui_app_select(tui_app *a, const char *name)
{
	char *norm = NULL;
	mxs_status st = mx_name_normalize(name, &norm, NULL);

	if (st != MXS_OK)
		return st;
	st = MXS_ERR_INVALID;
	a->m.filter[0] = '\0';
	for (size_t i = 0; i < a->m.ne; i++)
		if (strcmp(a->m.e[i]->name, norm) == 0) {
			a->m.sel_dom = i;
			tui_mark(&a->m, TUI_D_ALL);
			st = MXS_OK;
			break;
		}
	free(norm);
	return st;
}

mxs_status tui_app_add(tui_app *a, const char *name, int scenario, char **why)
{
	char *norm = NULL;
	tui_entry *e = NULL;
	mxs_status st = mx_name_normalize(name, &norm, why);

	if (st != MXS_OK)
		goto done;
	if (a->m.ne == a->m.cape) {
		size_t nc = a->m.cape ? a->m.cape * 2 : 16;
		tui_entry **g = realloc(a->m.e, nc * sizeof(*g));
		if (!g) {
			mxs_why(why, "out of memory");
			st = MXS_ERR_NOMEM;
			goto done;
		}
		a->m.e = g;
		a->m.cape = nc;
	}
	/* the scan knows its names (a hash), so a long list is no quadratic walk */
	st = scan_add(a->scan, norm, why);
	if (st == MXS_ERR_LIMIT) {
		/* listed already: a lab scenario may claim it */
		for (size_t i = 0; i < a->m.ne && scenario >= 0; i++)
			if (strcmp(a->m.e[i]->name, norm) == 0)
				a->m.e[i]->scenario = scenario;
		st = MXS_OK;
		goto done;
	}
	if (st != MXS_OK)
		goto done;
	e = calloc(1, sizeof(*e));
	if (!e) {
		scan_remove(a->scan, norm);
		mxs_why(why, "out of memory");
		st = MXS_ERR_NOMEM;
		goto done;
	}
	e->name = norm;
	norm = NULL;
	e->scenario = scenario;
	e->added = a->added_seq++;
	e->seed = a->cfg.set.seed;
	e->resolving = true;
	/* --srv / --authoritative: asked for every domain from the start */
	e->srv_asked = a->cfg.set.srv;
	e->auth_asked = a->cfg.set.authoritative;
	a->m.e[a->m.ne++] = e;
	tui_log(&a->m, "query MX %s sent", e->name);
	tui_mark(&a->m, TUI_D_ALL);
done:
	free(norm);
	return st;
}

mxs_status tui_app_add_recorded(tui_app *a, struct mx_domain *d, char **why)
{
	tui_entry *e = NULL, **g;
	mxs_status st;

	for (size_t i = 0; i < a->m.ne; i++)
		if (strcmp(a->m.e[i]->name, mx_domain_name(d)) == 0)
			return scan_add_recorded(a->scan, d, why); /* a later line: newer */
	if (a->m.ne == a->m.cape) {
		size_t nc = a->m.cape ? a->m.cape * 2 : 16;
		if (!(g = realloc(a->m.e, nc * sizeof(*g)))) {
			mx_domain_free(d);
			mxs_why(why, "out of memory");
			return MXS_ERR_NOMEM;
		}
		a->m.e = g;
		a->m.cape = nc;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(mx_domain_name(d)))) {
		free(e);
		mx_domain_free(d);
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	e->scenario = -1;
	e->seed = mx_domain_seed(d);
	st = scan_add_recorded(a->scan, d, why);
	if (st != MXS_OK) {
		entry_free(e);
		return st;
	}
	a->m.e[a->m.ne++] = e;
	tui_mark(&a->m, TUI_D_ALL);
	return MXS_OK;
}

/* Takes e off the list and out of the scan, which cancels what runs for it
 * alone. */
void tui_app_drop(tui_app *a, tui_entry *e)
{
	size_t i;

	for (i = 0; i < a->m.ne && a->m.e[i] != e; i++)
		;
	if (i == a->m.ne)
		return;
	memmove(a->m.e + i, a->m.e + i + 1, (a->m.ne - i - 1) * sizeof(*a->m.e));
	a->m.ne--;
	if (a->m.walk.e == e)
		tui_walk_stop(a);
	scan_remove(a->scan, e->name);
	entry_free(e);
}

void tui_app_readd_all(tui_app *a)
{
	size_t n = a->m.ne, sel = a->m.sel_dom;
	char **names = calloc(n ? n : 1, sizeof(*names));
	int *scen = calloc(n ? n : 1, sizeof(*scen));

	if (!names || !scen) {
		free(names);
		free(scen);
		return; /* out of memory: the history stays, nothing is lost */
	}
	for (size_t i = 0; i < n; i++) {
		names[i] = strdup(a->m.e[i]->name);
		scen[i] = a->m.e[i]->scenario;
	}
	while (a->m.ne)
		tui_app_drop(a, a->m.e[a->m.ne - 1]);
	for (size_t i = 0; i < n; i++) {
		if (names[i])
			tui_app_add(a, names[i], scen[i], NULL);
		free(names[i]);
	}
	a->m.sel_dom = sel < a->m.ne ? sel : 0;
	tui_mark(&a->m, TUI_D_ALL);
	free(names);
	free(scen);
}

void tui_app_remove(tui_app *a, tui_entry *e)
{
	struct tui_removed *g = realloc(a->removed, (a->nremoved + 1) * sizeof(*g));
	size_t at;

	for (at = 0; at < a->m.ne && a->m.e[at] != e; at++)
		;
	if (g) {
		a->removed = g;
		g[a->nremoved] = (struct tui_removed){strdup(e->name), e->scenario, at};
		if (g[a->nremoved].name)
			a->nremoved++;
	}
	tui_app_drop(a, e);
}

bool tui_app_undo_remove(tui_app *a)
{
	struct tui_removed r;
	size_t last;

	if (!a->nremoved)
		return false;
	r = a->removed[--a->nremoved];
	if (tui_app_add(a, r.name, r.scenario, NULL) == MXS_OK && a->m.ne) {
		/* back where it was: the new entry is the last */
		tui_entry *e = a->m.e[a->m.ne - 1];
		last = a->m.ne - 1;
		if (r.at < last) {
			memmove(a->m.e + r.at + 1, a->m.e + r.at, (last - r.at) * sizeof(*a->m.e));
			a->m.e[r.at] = e;
		}
		tui_app_select(a, r.name);
	}
	free(r.name);
	return true;
}

void tui_app_reseed(tui_app *a, tui_entry *e, uint64_t seed)
{
	e->seed = seed;
	if (scan_set_seed(a->scan, e->name, seed) != MXS_OK)
		tui_log(&a->m, "%s: cannot reshuffle", e->name);
}

void tui_app_set_as(tui_app *a, tui_entry *e, const char *as_host)
{
	char *c = as_host ? strdup(as_host) : NULL;

	if ((as_host && !c) || scan_set_as(a->scan, e->name, as_host) != MXS_OK) {
		free(c);
		tui_log(&a->m, "%s: cannot change the relay view", e->name);
		return;
	}
	free(e->as_host);
	e->as_host = c;
}

void tui_app_freeze(tui_app *a, bool on)
{
	a->m.frozen = on;
	scan_freeze(a->scan, on);
	if (on) {
		a->m.frozen_at = tui_now_ms();
		tui_log(&a->m, "display frozen; probes go on");
	} else {
		tui_log(&a->m, "display live again");
	}
	tui_mark(&a->m, TUI_D_ALL);
}

/* ---- themes and state ----------------------------------------------------- */

static void use_theme(tui_app *a, theme *t)
{
	theme_free(a->m.th);
	a->m.th = t;
	if (a->screen_up)
		theme_apply(t);
	tui_mark(&a->m, TUI_D_ALL);
}

static void load_theme(tui_app *a, const char *name)
{
	char *why = NULL;
	theme *t;

	if (a->cfg.set.no_color || getenv("NO_COLOR")) {
		use_theme(a, theme_mono());
		return;
	}
	t = name ? theme_load(name, &why) : theme_default();
	if (!t) {
		tui_log(&a->m, "theme %s: %s; using default", name, why ? why : "cannot load");
		tui_msg(&a->m, true, "theme: %s; using default", why ? why : name);
		t = theme_default();
	}
	free(why);
	use_theme(a, t);
}

void tui_app_cycle_theme(tui_app *a)
{
	size_t i = 0;
	const char *cur = a->m.th ? theme_name(a->m.th) : "";
	char *why = NULL;
	theme *t;

	if (a->cfg.set.no_color || getenv("NO_COLOR")) {
		tui_msg(&a->m, false, "colours are off (--no-color or NO_COLOR): theme stays mono");
		return;
	}
	while (i < theme_shipped_count && strcmp(theme_shipped[i], cur) != 0)
		i++;
	i = i < theme_shipped_count ? (i + 1) % theme_shipped_count : 0;
	t = theme_load(theme_shipped[i], &why);
	if (!t) {
		tui_msg(&a->m, true, "theme %s: %s", theme_shipped[i], why ? why : "cannot load");
		tui_log(&a->m, "theme %s: %s", theme_shipped[i], why ? why : "cannot load");
		free(why);
		return;
	}
	use_theme(a, t);
	tui_msg(&a->m, false, "theme %s", theme_name(t));
	tui_log(&a->m, "theme %s", theme_name(t));
}

/* Writes the state file; MXS_OK with nothing to do when there is none. */
static mxs_status save_state(tui_app *a, char **why)
{
	tui_state st = {0};
	char **names = NULL;
	mxs_status rc;

	if (!a->state_path)
		return MXS_OK;
	if (a->cfg.state_domains) {
		names = calloc(a->m.ne ? a->m.ne : 1, sizeof(*names));
		if (!names) {
			mxs_why(why, "%s: out of memory", a->state_path);
			return MXS_ERR_NOMEM;
		}
		for (size_t i = 0; i < a->m.ne; i++)
			names[i] = a->m.e[i]->name;
		st.domains = names;
		st.ndomains = a->m.ne;
	} else {
		st.domains = a->lab_saved;
		st.ndomains = a->nlab_saved;
	}
	st.theme = a->m.th && !(a->cfg.set.no_color || getenv("NO_COLOR"))
	               ? (char *)theme_name(a->m.th)
	               : NULL;
	rc = tui_state_save(a->state_path, &st, why);
	free(names);
	return rc;
}

void tui_app_save_state(tui_app *a)
{
	char *why = NULL;

	if (save_state(a, &why) != MXS_OK) {
		tui_log(&a->m, "state: %s", why ? why : "cannot save");
		tui_msg(&a->m, true, "state: %s", why ? why : "cannot save");
	}
	free(why);
}

static void handle_resize(tui_app *a)
{
	struct winsize ws;
	FILE *out = a->cfg.out ? a->cfg.out : stdout;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	a->m.rows = LINES;
	a->m.cols = COLS;
	clear();
	tui_mark(&a->m, TUI_D_ALL);
}

void tui_app_quit(tui_app *a, bool report)
{
	a->quit = true;
	a->want_report = report;
	if (a->running)
		uv_stop(a->loop); /* else a later uv_run would return at once */
}

/* ---- the loop -------------------------------------------------------------- */

/* Handles every key curses can give without blocking: what the terminal
 * sent and what curses already holds in its own buffer (the rest of an
 * escape sequence that did not match, unget_wch), which no readable event
 * would announce again. */
static void read_input(tui_app *a)
{
	wint_t ch;
	int r;

	while (!a->quit && (r = wget_wch(stdscr, &ch)) != ERR) {
		if (a->trace && !a->key_pending) {
			a->key_ns = tui_now_ns();
			a->key_pending = true;
		}
		a->key_turn = true;
		view_sync(a);
		tui_keys_handle(a, ch, r == KEY_CODE_YES);
	}
}

#define TUI_FRAME_MS  100  /* news alone redraws at most this often */
#define TUI_EGRESS_MS 1000 /* the egress rule reads the list at most this often */

static void on_frame(uv_timer_t *t)
{
	(void)t; /* the loop's next prepare or check phase draws */
}

/* The one redraw of a loop turn. Keys that came since the last look are
 * read first, so a redraw never shows a screen a queued key has already
 * changed. A key redraws at once; news alone (answers, probes, the clock)
 * at most every TUI_FRAME_MS, so hundreds of probes ending in a burst are
 * one redraw, not hundreds, and keys are not queued behind them. */
static void draw_now(tui_app *a, bool force)
{
	uint64_t now;

	if (a->screen_up)
		read_input(a);
	now = tui_now_ms();
	/* the egress rule reads every listed domain: at most once a second (the
	 * tick's redraw comes back for it), not once per probe that ended or
	 * per frame: at 20,000 domains that was the idle explorer's work */
	if (a->egress_due && (force || now - a->egress_ms >= TUI_EGRESS_MS)) {
		a->egress_due = false;
		a->egress_ms = now;
		tui_watch_egress(a);
	}
	/* a key that changed nothing (k on the first line) still ends in a
	 * doupdate now: its trace must not wait for the next tick's redraw */
	if ((!a->m.dirty && !a->key_pending) || !a->screen_up)
		return;
	if (!force && !a->key_turn && a->first_drawn && now - a->drawn_ms < TUI_FRAME_MS) {
		if (!uv_is_active((uv_handle_t *)&a->frame))
			uv_timer_start(&a->frame, on_frame, TUI_FRAME_MS - (now - a->drawn_ms), 0);
		return;
	}
	uv_timer_stop(&a->frame);
	view_sync(a);
	if (a->m.sort != TUI_SORT_ADDED)
		tui_sort_list(&a->m); /* statuses change as answers come */
	tui_draw(&a->m);
	a->m.dirty = 0;
	a->key_turn = false;
	a->drawn_ms = now;
	a->draws++;
	tui_watch_srv(a);
	if (a->trace) {
		uint64_t t = tui_now_ns();
		if (!a->first_drawn)
			fprintf(a->trace, "first-screen %.3f ms\n", (double)(t - a->t0_ns) / 1e6);
		if (a->key_pending)
			fprintf(a->trace, "key %.3f ms\n", (double)(t - a->key_ns) / 1e6);
		fflush(a->trace);
		a->key_pending = false;
	}
	a->first_drawn = true;
}

static void on_input(uv_poll_t *p, int status, int events)
{
	tui_app *a = p->data;

	(void)events;
	if (status < 0) {
		/* the terminal went away: nothing more can be shown */
		uv_poll_stop(p);
		tui_app_quit(a, false);
		return;
	}
	read_input(a);
}

/* Before the loop blocks: what timers and callbacks changed is drawn. */
static void on_prepare(uv_prepare_t *p)
{
	draw_now(p->data, false);
}

/* Right after the turn's I/O: the keys just read are drawn now, not after
 * the next turn's timers (a re-probe round of every address). */
static void on_check(uv_check_t *c)
{
	draw_now(c->data, false);
}

/* The shortest TTL of what e shows (MX and address records), in seconds;
 * false when it shows no record with a TTL. */
static bool shortest_ttl(const mx_domain *d, uint32_t *ttl)
{
	bool any = false;

	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		if (!h->implicit && (!any || h->ttl < *ttl)) {
			*ttl = h->ttl;
			any = true;
		}
		for (size_t k = 0; k < h->naddrs; k++)
			if (!any || h->addrs[k].ttl < *ttl) {
				*ttl = h->addrs[k].ttl;
				any = true;
			}
	}
	return any;
}

#define TUI_TTL_MIN_S 2 /* a TTL of 0 must not re-resolve on every tick */

/* What a resolver does: an answer whose shortest TTL ran out is asked for
 * again (once per answer; the new one starts its own count). */
static void refresh_expired(tui_app *a)
{
	uint64_t now = uv_now(a->loop);

	if (a->m.frozen)
		return;
	for (size_t i = 0; i < a->m.ne; i++) {
		tui_entry *e = a->m.e[i];
		uint32_t ttl = 0;
		view_entry(a, e, false);
		/* a recording's TTLs ran out long ago: nothing is asked again */
		if (scan_recorded(a->scan) || !e->d || e->resolving ||
		    e->ttl_asked_uv == e->answered_uv + 1)
			continue;
		/* read once per answer, not every tick for every domain */
		if (e->ttl_of_uv != e->answered_uv + 1) {
			e->ttl_of_uv = e->answered_uv + 1;
			e->ttl_s = !shortest_ttl(e->d, &ttl) ? 0
			           : ttl < TUI_TTL_MIN_S     ? TUI_TTL_MIN_S
			                                     : ttl;
		}
		if (!(ttl = e->ttl_s))
			continue;
		if (now - e->answered_uv < (uint64_t)ttl * 1000)
			continue;
		e->ttl_asked_uv = e->answered_uv + 1; /* +1: 0 means "never asked" */
		tui_log(&a->m, "%s: TTL %u s ran out; asking again", e->name, (unsigned)ttl);
		tui_app_refresh(a, e);
	}
}

static void on_tick(uv_timer_t *t)
{
	tui_app *a = t->data;

	refresh_expired(a);
	/* the clock, TTLs counting down, FROZEN's age, and the tiers' "*":
	 * a probe that starts sends no news of its own */
	tui_mark(&a->m, TUI_D_HEADER | (1u << TUI_P_DETAILS) | (1u << TUI_P_TIERS));
}

static void on_signal(uv_signal_t *s, int signum)
{
	tui_app *a = s->data;

	if (signum == SIGWINCH) {
		handle_resize(a);
		return;
	}
	a->exit_code = 128 + signum;
	tui_app_quit(a, false);
}

bool tui_app_pump(tui_app *a)
{
	draw_now(a, true);
	return !a->quit;
}

size_t tui_app_draws(const tui_app *a)
{
	return a->draws;
}

bool tui_app_settled(const tui_app *a)
{
	scan_domain_info info;

	if (a->egress_due)
		return false; /* the egress rule has yet to read the last probes */
	if (!a->m.frozen)
		return scan_settled(a->scan);
	/* frozen, an answer is parked unanalysed until the thaw: settled is
	 * then as far as it goes, no question on the wire */
	for (size_t i = 0; i < a->m.ne; i++)
		if (scan_domain_get_info(a->scan, a->m.e[i]->name, &info) && info.resolving)
			return false;
	return true;
}

char *tui_app_screen(const tui_app *a)
{
	return tui_screen_text(&a->m);
}

const char *tui_app_message(const tui_app *a)
{
	return a->m.msg;
}

int tui_app_run(tui_app *a)
{
	a->m.dirty = TUI_D_ALL;
	draw_now(a, true);
	a->running = true;
	while (!a->quit)
		uv_run(a->loop, UV_RUN_DEFAULT);
	a->running = false;
	return a->exit_code;
}

char *tui_app_exit_report(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);
	mx_report_opts o = {.color = false, .ascii = a->m.ascii}; /* --ascii, or no UTF-8 */

	if (e)
		view_entry(a, e, false);
	if (!a->want_report || !e || !e->d)
		return NULL;
	o.color = !a->cfg.set.no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO);
	return mx_report_text(e->d, &o);
}

/* ---- life and death -------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
	tui_app *a = h->data;

	if (--a->open_handles == 0)
		free(a);
}

static void start_screen(tui_app *a, char **why)
{
	FILE *in = a->cfg.in ? a->cfg.in : stdin, *out = a->cfg.out ? a->cfg.out : stdout;

	a->scr = newterm(a->cfg.term, out, in);
	if (!a->scr) {
		mxs_why(why, "cannot start the screen for terminal type \"%s\"",
		        a->cfg.term      ? a->cfg.term
		        : getenv("TERM") ? getenv("TERM")
		                         : "");
		return;
	}
	set_term(a->scr);
	a->screen_up = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (a->cfg.set.mouse) {
		mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		              | BUTTON5_PRESSED
#endif
		          ,
		          NULL);
		mouseinterval(0);
	}
	a->m.rows = LINES;
	a->m.cols = COLS;
}

tui_app *tui_app_new(const tui_config *cfg, char **why)
{
	tui_app *a = calloc(1, sizeof(*a));
	scan_config sc;
	tui_state st = {0};
	char *swhy = NULL;
	const char *theme_name_wanted;
	FILE *in;

	if (!a) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	a->t0_ns = tui_now_ns();
	a->cfg = *cfg;
	a->loop = cfg->loop;
	/* without a UTF-8 locale the box drawing and state glyphs would come out
	 * as '?': draw in ASCII then, as --ascii does */
	a->m.ascii = cfg->set.ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	a->m.no_probe = cfg->set.no_probe;
	a->m.tour = cfg->set.tour;
	a->m.as_host = cfg->set.as_host;
	a->m.sender = cfg->set.sender >= 0 && cfg->set.sender < SENDER_COUNT ? cfg->set.sender : 0;
	a->m.replay = cfg->replay;
	a->m.lab = cfg->lab;
	a->m.km = cfg->keymap ? cfg->keymap : (a->own_km = tui_keymap_new());
	a->record_fd = -1;
	if (!a->m.km) {
		mxs_why(why, "out of memory");
		goto fail;
	}
	if (cfg->set.record && (a->record_fd = rec_open(cfg->set.record, why)) < 0)
		goto fail;
	if (cfg->lab_rw && cfg->lab_smtp) {
		size_t n = lab_trainer_help(NULL, 0) + 1;
		a->trainer = lab_new(cfg->lab_rw, cfg->lab_smtp);
		a->m.trainer_usage = malloc(n);
		if (!a->trainer || !a->m.trainer_usage) {
			mxs_why(why, "out of memory");
			goto fail;
		}
		lab_trainer_help(a->m.trainer_usage, n);
	}
	a->m.walk.speed_ms = TUI_WALK_DEFAULT_MS;
	if (cfg->trace_keys && !(a->trace = fopen(cfg->trace_keys, "w"))) {
		mxs_why(why, "%s: cannot write: %s", cfg->trace_keys, strerror(errno));
		goto fail;
	}
	/* state first: it may name the theme */
	if (!cfg->state_path)
		a->state_path = tui_state_default_path();
	else if (cfg->state_path[0])
		a->state_path = strdup(cfg->state_path);
	if (a->state_path) {
		mxs_status lst = tui_state_load(a->state_path, &st, &swhy);
		if (lst != MXS_OK) {
			tui_log(&a->m, "state: %s", swhy ? swhy : "cannot read");
			tui_msg(&a->m, true, "state: %s", swhy ? swhy : "cannot read");
		}
		/* something is there that cannot be read (a FIFO, no permission):
		 * leave it alone rather than replace it at the next save */
		if (lst == MXS_ERR_IO && access(a->state_path, F_OK) == 0) {
			free(a->state_path);
			a->state_path = NULL;
		}
	}
	free(swhy);
	start_screen(a, why);
	if (!a->screen_up)
		goto fail;
	theme_name_wanted = cfg->set.theme ? cfg->set.theme : st.theme;
	load_theme(a, theme_name_wanted);
	/* one scan does the resolving, probing and blocklists, made from the
	 * settings as check makes its own */
	sc = settings_scan_config(&cfg->set, SCAN_MONITOR, cfg->ca_pem, cfg->blocklists);
	sc.recording = cfg->replay != NULL;
	sc.on_domain = on_domain;
	sc.on_event = on_event;
	sc.arg = a;
	a->scan = scan_new(a->loop, &sc, NULL, why);
	if (!a->scan)
		goto fail;
	in = cfg->in ? cfg->in : stdin;
	if (uv_poll_init(a->loop, &a->in_poll, fileno(in)) != 0) {
		mxs_why(why, "cannot watch the terminal's input");
		goto fail;
	}
	a->open_handles = 9;
	a->in_poll.data = a->prep.data = a->tick.data = a->walk_timer.data = a;
	a->chk.data = a->frame.data = a;
	a->sig_int.data = a->sig_term.data = a->sig_winch.data = a;
	uv_poll_start(&a->in_poll, UV_READABLE, on_input);
	uv_prepare_init(a->loop, &a->prep);
	uv_prepare_start(&a->prep, on_prepare);
	uv_check_init(a->loop, &a->chk);
	uv_check_start(&a->chk, on_check);
	uv_timer_init(a->loop, &a->frame);
	uv_timer_init(a->loop, &a->tick);
	uv_timer_start(&a->tick, on_tick, 1000, 1000);
	uv_timer_init(a->loop, &a->walk_timer);
	uv_signal_init(a->loop, &a->sig_int);
	uv_signal_start(&a->sig_int, on_signal, SIGINT);
	uv_signal_init(a->loop, &a->sig_term);
	uv_signal_start(&a->sig_term, on_signal, SIGTERM);
	uv_signal_init(a->loop, &a->sig_winch);
	uv_signal_start(&a->sig_winch, on_signal, SIGWINCH);
	if (cfg->state_domains) {
		for (size_t i = 0; i < st.ndomains; i++)
			tui_app_add(a, st.domains[i], -1, NULL);
		if (st.ndomains)
			snprintf(a->m.list_note, sizeof(a->m.list_note), "restored %zu saved",
			         st.ndomains);
	} else {
		if (st.ndomains && !cfg->lab && !cfg->replay)
			snprintf(a->m.list_note, sizeof(a->m.list_note),
			         "%zu saved not shown (--resume)", st.ndomains);
		/* lab mode keeps the saved list untouched for the next plain run */
		a->lab_saved = st.domains;
		a->nlab_saved = st.ndomains;
		st.domains = NULL;
		st.ndomains = 0;
	}
	tui_state_clear(&st);
	tui_log(&a->m, "mxscope explorer started; DNS %s%s; probes %s",
	        cfg->set.nservers ? cfg->set.servers[0] : "the system's resolver",
	        cfg->set.nservers > 1 ? " and more" : "",
	        scan_probing(a->scan) ? "every interval" : "off (--no-probe)");
	a->m.dirty = TUI_D_ALL;
	return a;
fail:
	tui_state_clear(&st);
	tui_app_free(a);
	return NULL;
}

mxs_status tui_app_finish(tui_app *a, char **why)
{
	mxs_status rc = MXS_OK;

	if (!a || !a->screen_up)
		return MXS_OK;
	rc = save_state(a, why);
	endwin();
	delscreen(a->scr);
	a->screen_up = false;
	return rc;
}

void tui_app_free(tui_app *a)
{
	if (!a)
		return;
	tui_app_finish(a, NULL);
	scan_free(a->scan); /* cancels everything: no callback reaches us after this */
	for (size_t i = 0; i < a->m.ne; i++)
		entry_free(a->m.e[i]);
	free(a->m.e);
	for (size_t i = 0; i < a->nlab_saved; i++)
		free(a->lab_saved[i]);
	free(a->lab_saved);
	for (size_t i = 0; i < a->nremoved; i++)
		free(a->removed[i].name);
	free(a->removed);
	free(a->state_path);
	lab_free(a->trainer);
	tui_keymap_free(a->own_km);
	for (size_t i = 0; i < a->nhist; i++)
		free(a->hist[i]);
	if (a->record_fd >= 0)
		close(a->record_fd);
	tui_model_clear(&a->m);
	if (a->trace)
		fclose(a->trace);
	if (a->open_handles == 0) {
		free(a);
		return;
	}
	uv_close((uv_handle_t *)&a->in_poll, on_closed);
	uv_close((uv_handle_t *)&a->prep, on_closed);
	uv_close((uv_handle_t *)&a->chk, on_closed);
	uv_close((uv_handle_t *)&a->frame, on_closed);
	uv_close((uv_handle_t *)&a->tick, on_closed);
	uv_close((uv_handle_t *)&a->walk_timer, on_closed);
	uv_close((uv_handle_t *)&a->sig_int, on_closed);
	uv_close((uv_handle_t *)&a->sig_term, on_closed);
	uv_close((uv_handle_t *)&a->sig_winch, on_closed);
}
