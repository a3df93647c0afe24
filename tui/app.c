/* tui/app.c — the explorer's app: the screen's lifecycle, the loop glue
 * (stdin, redraw, ticks, signals) and the model fed by the network's
 * answers. What keys do is in keys.c, the view model in model.c, drawing
 * in draw.c. */
#include "tui_app_int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "name.h"
#include "report.h"
#include "tui_state.h"

static void analyze(tui_app *a, tui_entry *e)
{
	mx_options o = a->mxo;

	if (!e->d)
		return;
	o.seed = e->seed;
	if (mx_domain_analyze(e->d, &o) != MXS_OK)
		tui_log(&a->m, "%s: out of memory while analysing", e->name);
}

/* Copies the monitor's history of host i's address k into the view and
 * attaches its last probe to the domain. */
static void sync_addr(tui_app *a, tui_entry *e, size_t i, size_t k)
{
	const mx_host *h = mx_domain_host(e->d, i);
	size_t si = tui_stat_index(e, i, k);
	const smtp_history *hi;
	tui_stat *s;

	if (si >= e->nst || !e->st[si].watched || !a->mon)
		return;
	hi = smtp_monitor_history(a->mon, h->addrs[k].ip);
	if (!hi)
		return;
	s = &e->st[si];
	s->state = hi->last_state;
	s->in_flight = hi->in_flight;
	s->sent = hi->sent;
	s->loss = hi->lost_pct;
	s->last_ms = hi->last_ms;
	s->avg_ms = hi->avg_ms;
	s->best_ms = hi->best_ms;
	s->worst_ms = hi->worst_ms;
	if (hi->last) {
		probe_result *r = probe_result_dup(hi->last);
		if (r)
			mx_host_set_probe(e->d, i, k, r);
	}
}

/* Attaches every blocklist answer about host i's address k. Answers are kept
 * by address in the app, not in a domain, because a re-resolve replaces the
 * domain while its lookups are still on the wire. */
static void sync_blocklists(tui_app *a, tui_entry *e, size_t i, size_t k)
{
	const char *ip = mx_domain_host(e->d, i)->addrs[k].ip;

	for (size_t j = 0; j < a->nblres; j++) {
		blr_result *r;
		if (strcmp(a->blres[j]->ip, ip) != 0)
			continue;
		r = blr_result_dup(a->blres[j]);
		if (r)
			mx_host_add_blocklist(e->d, i, k, r);
	}
}

static void sync_entry(tui_app *a, tui_entry *e)
{
	if (!e->d)
		return;
	for (size_t i = 0; i < mx_domain_host_count(e->d); i++)
		for (size_t k = 0; k < mx_domain_host(e->d, i)->naddrs; k++) {
			sync_addr(a, e, i, k);
			sync_blocklists(a, e, i, k);
		}
	analyze(a, e);
}

#define TUI_BLRES_MAX 4096 /* answers kept; the oldest goes first */

static void sync_ip(tui_app *a, const char *ip,
                    void (*sync)(tui_app *a, tui_entry *e, size_t i, size_t k));

static void on_blocklist(blr_result *r, void *arg)
{
	tui_app *a = arg;
	size_t j;

	for (j = 0; j < a->nblres; j++)
		if (strcmp(a->blres[j]->ip, r->ip) == 0 &&
		    strcmp(a->blres[j]->provider, r->provider) == 0)
			break;
	if (j < a->nblres) {
		blr_result_free(a->blres[j]);
		a->blres[j] = r;
	} else {
		if (a->nblres == TUI_BLRES_MAX) {
			blr_result_free(a->blres[0]);
			memmove(a->blres, a->blres + 1, --a->nblres * sizeof(*a->blres));
		}
		if (a->nblres == a->capblres) {
			size_t nc = a->capblres ? a->capblres * 2 : 16;
			blr_result **g = realloc(a->blres, nc * sizeof(*g));
			if (!g) {
				blr_result_free(r);
				return;
			}
			a->blres = g;
			a->capblres = nc;
		}
		a->blres[a->nblres++] = r;
	}
	{
		char *line = blr_result_line(r);
		/* the log pane sanitises what it draws */
		tui_log(&a->m, "blocklist %s", line ? line : r->ip);
		free(line);
	}
	/* frozen: the answer is kept and shows when the display thaws */
	if (a->m.frozen)
		tui_mark(&a->m, TUI_D_HEADER);
	else
		sync_ip(a, r->ip, sync_blocklists);
}

/* Asks every enabled blocklist about each address of d (answers come from
 * the client's cache while their TTL lasts). */
static void ask_blocklists(tui_app *a, const mx_domain *d)
{
	for (size_t i = 0; a->bl && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			size_t n = 0;
			bl_lookup(a->bl, h->addrs[k].ip, on_blocklist, a, &n);
		}
	}
}

static bool ip_used_elsewhere(const tui_app *a, const tui_entry *skip, const char *ip)
{
	for (size_t j = 0; j < a->m.ne; j++) {
		const tui_entry *o = a->m.e[j];
		if (o == skip || !o->d)
			continue;
		for (size_t i = 0; i < mx_domain_host_count(o->d); i++) {
			const mx_host *h = mx_domain_host(o->d, i);
			for (size_t k = 0; k < h->naddrs; k++)
				if (strcmp(h->addrs[k].ip, ip) == 0)
					return true;
		}
	}
	return false;
}

/* Stops watching e's addresses that no other domain shows. */
static void unwatch_entry(tui_app *a, tui_entry *e)
{
	if (!e->d || !a->mon)
		return;
	for (size_t i = 0; i < mx_domain_host_count(e->d); i++) {
		const mx_host *h = mx_domain_host(e->d, i);
		for (size_t k = 0; k < h->naddrs; k++)
			if (!ip_used_elsewhere(a, e, h->addrs[k].ip))
				smtp_monitor_unwatch(a->mon, h->addrs[k].ip);
	}
}

/* Shows a new answer for e: the old one goes, its addresses are watched. */
static void install(tui_app *a, tui_entry *e, mx_domain *d, uint64_t got_ms)
{
	size_t total = 0;

	unwatch_entry(a, e);
	mx_domain_free(e->d);
	e->d = d;
	e->got_ms = got_ms;
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		total += mx_domain_host(d, i)->naddrs;
	free(e->st);
	e->st = calloc(total ? total : 1, sizeof(*e->st));
	e->nst = e->st ? total : 0;
	for (size_t i = 0; a->mon && i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs && e->st; k++) {
			size_t si = tui_stat_index(e, i, k);
			if (a->cfg.loopback_probes && !mx_ip_is_loopback(h->addrs[k].ip))
				continue;
			if (smtp_monitor_watch(a->mon, h->exchange, h->addrs[k].ip) == MXS_OK) {
				e->st[si].watched = true;
				if (!smtp_monitor_history(a->mon, h->addrs[k].ip)->sent)
					tui_log(&a->m, "probe %s (%s) started", h->addrs[k].ip,
					        h->exchange);
			}
		}
	}
	sync_entry(a, e);
	ask_blocklists(a, d);
	tui_walk_reset(a, e);
	tui_mark(&a->m, TUI_D_ALL);
}

static void entry_free(tui_entry *e)
{
	if (!e)
		return;
	mx_domain_free(e->d);
	mx_domain_free(e->parked);
	free(e->st);
	free(e->name);
	free(e);
}

static void on_dns(mx_domain *d, void *arg)
{
	tui_entry *e = arg;
	tui_app *a = e->owner;
	size_t naddr = 0;

	e->resolving = false;
	if (e->removed) {
		mx_domain_free(d);
		for (size_t i = 0; i < a->ngrave; i++)
			if (a->grave[i] == e) {
				a->grave[i] = a->grave[--a->ngrave];
				break;
			}
		entry_free(e);
		return;
	}
	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		naddr += mx_domain_host(d, i)->naddrs;
	tui_log(&a->m, "answer for %s: MX %s, %zu host%s, %zu address%s", e->name,
	        mx_rcode_str(mx_domain_mx_rcode(d)), mx_domain_host_count(d),
	        mx_domain_host_count(d) == 1 ? "" : "s", naddr, naddr == 1 ? "" : "es");
	if (a->m.frozen) {
		mx_domain_free(e->parked);
		e->parked = d;
		e->parked_ms = tui_now_ms();
		tui_mark(&a->m, TUI_D_HEADER);
		return;
	}
	install(a, e, d, tui_now_ms());
}

void tui_app_refresh(tui_app *a, tui_entry *e)
{
	mx_domain *d;

	if (e->resolving)
		return;
	d = mx_domain_new(e->name);
	if (!d || dns_resolve(a->dns, d, on_dns, e) != MXS_OK) {
		mx_domain_free(d);
		tui_log(&a->m, "%s: out of memory", e->name);
		return;
	}
	e->resolving = true;
	tui_log(&a->m, "query MX %s sent", e->name);
	tui_mark(&a->m, 1u << TUI_P_DOMAINS);
}

/* News about one address (a probe ended, a blocklist answered): sync runs
 * on every place a listed domain shows that address, and only the domains
 * that have it are analysed again and redrawn. */
static void sync_ip(tui_app *a, const char *ip,
                    void (*sync)(tui_app *a, tui_entry *e, size_t i, size_t k))
{
	for (size_t j = 0; j < a->m.ne; j++) {
		tui_entry *e = a->m.e[j];
		bool hit = false;
		if (!e->d)
			continue;
		for (size_t i = 0; i < mx_domain_host_count(e->d); i++) {
			const mx_host *host = mx_domain_host(e->d, i);
			for (size_t k = 0; k < host->naddrs; k++)
				if (strcmp(host->addrs[k].ip, ip) == 0) {
					sync(a, e, i, k);
					hit = true;
				}
		}
		if (hit) {
			analyze(a, e);
			if (e == tui_selected(&a->m))
				tui_mark(&a->m, TUI_D_ALL);
			else
				tui_mark(&a->m, 1u << TUI_P_DOMAINS);
		}
	}
}

static void on_change(const char *ip, void *arg)
{
	tui_app *a = arg;
	const smtp_history *h = smtp_monitor_history(a->mon, ip);

	if (h && h->last)
		tui_log(&a->m, "probe %s (%s) finished: %s%s%.0d in %ld ms", ip, h->host,
		        probe_state_word(h->last_state), h->last->code ? " " : "", h->last->code,
		        h->last->t.total);
	if (a->m.frozen) {
		tui_mark(&a->m, TUI_D_HEADER);
		return;
	}
	sync_ip(a, ip, sync_addr);
}

mxs_status tui_app_add(tui_app *a, const char *name, int scenario, char **why)
{
	char *norm = NULL;
	tui_entry *e = NULL, **ne;
	mxs_status st = mx_name_normalize(name, &norm, why);

	if (st != MXS_OK)
		goto done;
	for (size_t i = 0; i < a->m.ne; i++)
		if (strcmp(a->m.e[i]->name, norm) == 0) {
			if (scenario >= 0)
				a->m.e[i]->scenario = scenario;
			goto done;
		}
	e = calloc(1, sizeof(*e));
	ne = realloc(a->m.e, (a->m.ne + 1) * sizeof(*ne));
	if (!e || !ne) {
		free(e);
		if (ne)
			a->m.e = ne;
		mxs_why(why, "out of memory");
		st = MXS_ERR_NOMEM;
		goto done;
	}
	a->m.e = ne;
	e->owner = a;
	e->name = norm;
	norm = NULL;
	e->scenario = scenario;
	e->seed = a->cfg.seed;
	a->m.e[a->m.ne++] = e;
	tui_app_refresh(a, e);
	tui_mark(&a->m, TUI_D_ALL);
done:
	free(norm);
	return st;
}

/* Takes e off the list; it is freed now or, when its lookup is on the
 * wire, by the answer. */
void tui_app_drop(tui_app *a, tui_entry *e)
{
	size_t i;

	for (i = 0; i < a->m.ne && a->m.e[i] != e; i++)
		;
	memmove(a->m.e + i, a->m.e + i + 1, (a->m.ne - i - 1) * sizeof(*a->m.e));
	a->m.ne--;
	unwatch_entry(a, e);
	if (a->m.walk.e == e)
		tui_walk_stop(a);
	if (e->resolving) {
		/* its lookup is on the wire: the answer frees it */
		tui_entry **g = realloc(a->grave, (a->ngrave + 1) * sizeof(*g));
		e->removed = true;
		if (g) {
			a->grave = g;
			a->grave[a->ngrave++] = e;
		}
	} else {
		entry_free(e);
	}
}

void tui_app_reanalyze(tui_app *a, tui_entry *e)
{
	analyze(a, e);
}

void tui_app_freeze(tui_app *a, bool on)
{
	a->m.frozen = on;
	if (on) {
		a->m.frozen_at = tui_now_ms();
		tui_log(&a->m, "display frozen; probes go on");
	} else {
		tui_log(&a->m, "display live again");
		for (size_t i = 0; i < a->m.ne; i++) {
			tui_entry *x = a->m.e[i];
			if (x->parked) {
				mx_domain *d = x->parked;
				x->parked = NULL;
				install(a, x, d, x->parked_ms);
			} else {
				sync_entry(a, x);
			}
		}
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

	if (a->cfg.no_color || getenv("NO_COLOR")) {
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

	if (a->cfg.no_color || getenv("NO_COLOR")) {
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
	st.theme = a->m.th && !(a->cfg.no_color || getenv("NO_COLOR")) ? (char *)theme_name(a->m.th)
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

static void read_input(tui_app *a)
{
	wint_t ch;
	int r;

	while (!a->quit && (r = wget_wch(stdscr, &ch)) != ERR) {
		if (a->trace && !a->key_pending) {
			a->key_ns = tui_now_ns();
			a->key_pending = true;
		}
		tui_keys_handle(a, ch, r == KEY_CODE_YES);
	}
}

static void draw_now(tui_app *a)
{
	if (!a->m.dirty || !a->screen_up)
		return;
	tui_draw(&a->m);
	a->m.dirty = 0;
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

static void on_prepare(uv_prepare_t *p)
{
	draw_now(p->data);
}

static void on_tick(uv_timer_t *t)
{
	tui_app *a = t->data;

	/* the clock, TTLs counting down, FROZEN's age */
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
	read_input(a);
	draw_now(a);
	return !a->quit;
}

bool tui_app_settled(const tui_app *a)
{
	for (size_t j = 0; j < a->m.ne; j++) {
		const tui_entry *e = a->m.e[j];
		if (!e->d || e->resolving)
			return false;
		for (size_t i = 0; i < e->nst; i++)
			if (e->st[i].watched && e->st[i].sent == 0)
				return false;
	}
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
	draw_now(a);
	a->running = true;
	while (!a->quit)
		uv_run(a->loop, UV_RUN_DEFAULT);
	a->running = false;
	return a->exit_code;
}

char *tui_app_exit_report(tui_app *a)
{
	tui_entry *e = tui_selected(&a->m);
	mx_report_opts o = {.color = false, .ascii = a->cfg.ascii};

	if (!a->want_report || !e || !e->d)
		return NULL;
	o.color = !a->cfg.no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO);
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
	if (a->cfg.mouse) {
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
	dns_config dc;
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
	a->m.ascii = cfg->ascii;
	a->m.no_probe = cfg->no_probe;
	a->m.tour = cfg->tour;
	a->m.as_host = cfg->as_host;
	a->m.lab = cfg->lab;
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
	a->mxo = (mx_options){
	    .seed = cfg->seed, .as_host = cfg->as_host, .allow_loopback = cfg->allow_loopback};
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
	theme_name_wanted = cfg->theme ? cfg->theme : st.theme;
	load_theme(a, theme_name_wanted);
	dc = (dns_config){.servers = cfg->servers,
	                  .nservers = cfg->nservers,
	                  .timeout_ms = cfg->timeout_ms,
	                  .max_outstanding = 0};
	a->dns = dns_client_new(a->loop, &dc, why);
	if (!a->dns)
		goto fail;
	if (cfg->blocklists && blr_config_enabled_count(cfg->blocklists) > 0) {
		bl_config bc = {.timeout_ms = cfg->timeout_ms, .ca_pem = cfg->ca_pem};
		a->bl = bl_client_new(a->loop, cfg->blocklists, &bc, why);
		if (!a->bl)
			goto fail;
	}
	if (!cfg->no_probe) {
		smtp_config sc = {.port = cfg->smtp_port > 0 ? cfg->smtp_port : 25,
		                  .timeout_ms = cfg->timeout_ms,
		                  .max_probes = 0,
		                  .ehlo_name = cfg->ehlo_name,
		                  .ca_pem = cfg->ca_pem};
		a->smtp = smtp_prober_new(a->loop, &sc, why);
		if (!a->smtp)
			goto fail;
		a->mon = smtp_monitor_new(a->smtp, cfg->interval_ms ? cfg->interval_ms : 10000);
		if (!a->mon) {
			mxs_why(why, "out of memory");
			goto fail;
		}
		smtp_monitor_on_change(a->mon, on_change, a);
	}
	in = cfg->in ? cfg->in : stdin;
	if (uv_poll_init(a->loop, &a->in_poll, fileno(in)) != 0) {
		mxs_why(why, "cannot watch the terminal's input");
		goto fail;
	}
	a->open_handles = 7;
	a->in_poll.data = a->prep.data = a->tick.data = a->walk_timer.data = a;
	a->sig_int.data = a->sig_term.data = a->sig_winch.data = a;
	uv_poll_start(&a->in_poll, UV_READABLE, on_input);
	uv_prepare_init(a->loop, &a->prep);
	uv_prepare_start(&a->prep, on_prepare);
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
	} else {
		/* lab mode keeps the saved list untouched for the next plain run */
		a->lab_saved = st.domains;
		a->nlab_saved = st.ndomains;
		st.domains = NULL;
		st.ndomains = 0;
	}
	tui_state_clear(&st);
	tui_log(&a->m, "mxscope explorer started; DNS %s; probes %s", dns_client_servers(a->dns),
	        a->mon ? "every interval" : "off (--no-probe)");
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
	smtp_monitor_free(a->mon);
	smtp_prober_free(a->smtp);
	bl_client_free(a->bl); /* cancelled lookups call nobody */
	for (size_t i = 0; i < a->nblres; i++)
		blr_result_free(a->blres[i]);
	free(a->blres);
	dns_client_free(a->dns); /* entries' lookups are cancelled: no callbacks */
	for (size_t i = 0; i < a->m.ne; i++)
		entry_free(a->m.e[i]);
	for (size_t i = 0; i < a->ngrave; i++)
		entry_free(a->grave[i]);
	free(a->m.e);
	free(a->grave);
	for (size_t i = 0; i < a->nlab_saved; i++)
		free(a->lab_saved[i]);
	free(a->lab_saved);
	free(a->state_path);
	lab_free(a->trainer);
	tui_model_clear(&a->m);
	if (a->trace)
		fclose(a->trace);
	if (a->open_handles == 0) {
		free(a);
		return;
	}
	uv_close((uv_handle_t *)&a->in_poll, on_closed);
	uv_close((uv_handle_t *)&a->prep, on_closed);
	uv_close((uv_handle_t *)&a->tick, on_closed);
	uv_close((uv_handle_t *)&a->walk_timer, on_closed);
	uv_close((uv_handle_t *)&a->sig_int, on_closed);
	uv_close((uv_handle_t *)&a->sig_term, on_closed);
	uv_close((uv_handle_t *)&a->sig_winch, on_closed);
}
