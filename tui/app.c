/* tui/app.c — the explorer's app: the screen's lifecycle, the loop glue
 * (stdin, redraw, ticks, signals), the model fed by the resolver and the
 * monitor, and what each key does. Drawing is in draw.c. */
#include "tui_int.h"

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
#include "tui_doc.h"
#include "tui_state.h"

#define WALK_DEFAULT_MS 1200
#define WALK_MIN_MS     150
#define WALK_MAX_MS     8000

static void mark(tui_app *a, unsigned bits)
{
	a->dirty |= bits;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tui_now_ms(void)
{
	return now_ns() / 1000000u;
}

void tui_log(tui_app *a, const char *fmt, ...)
{
	char text[400], *line;
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	size_t slot;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	localtime_r(&t, &tm);
	line = malloc(strlen(text) + 12);
	if (!line)
		return;
	snprintf(line, strlen(text) + 12, "%02d:%02d:%02d %s", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         text);
	if (a->nlog == TUI_LOG_MAX) {
		free(a->log[a->log_first]);
		a->log[a->log_first] = line;
		a->log_first = (a->log_first + 1) % TUI_LOG_MAX;
	} else {
		slot = (a->log_first + a->nlog) % TUI_LOG_MAX;
		a->log[slot] = line;
		a->nlog++;
	}
	mark(a, 1u << TUI_P_LOG);
}

static void set_msg(tui_app *a, bool err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(tui_app *a, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	a->msg_err = err;
	mark(a, TUI_D_STATUS);
}

/* ---- the model ----------------------------------------------------------- */

size_t tui_visible(const tui_app *a, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < a->ne; i++) {
		if (a->filter[0] && !strstr(a->e[i]->name, a->filter))
			continue;
		if (idx && n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

tui_entry *tui_selected(const tui_app *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->ne; i++) {
		if (a->filter[0] && !strstr(a->e[i]->name, a->filter))
			continue;
		if (n++ == a->sel_dom)
			return a->e[i];
	}
	return NULL;
}

size_t tui_stat_index(const tui_entry *e, size_t i, size_t k)
{
	size_t n = 0;

	for (size_t j = 0; j < i; j++)
		n += mx_domain_host(e->d, j)->naddrs;
	return n + k;
}

size_t tui_rows(const tui_entry *e, tui_row *rows, size_t max)
{
	size_t n = 0;

	if (!e || !e->d)
		return 0;
	for (size_t t = 0; t < mx_domain_tier_count(e->d); t++) {
		const mx_tier *tr = mx_domain_tier(e->d, t);
		if (rows && n < max)
			rows[n] = (tui_row){TUI_ROW_TIER, t, 0, 0};
		n++;
		for (size_t h = 0; h < tr->nhosts; h++) {
			const mx_host *host = mx_domain_host(e->d, tr->hosts[h]);
			if (rows && n < max)
				rows[n] = (tui_row){TUI_ROW_HOST, t, tr->hosts[h], 0};
			n++;
			for (size_t k = 0; k < host->naddrs; k++) {
				if (rows && n < max)
					rows[n] = (tui_row){TUI_ROW_ADDR, t, tr->hosts[h], k};
				n++;
			}
		}
	}
	return n;
}

static void analyze(tui_app *a, tui_entry *e)
{
	mx_options o = a->mxo;

	if (!e->d)
		return;
	o.seed = e->seed;
	if (mx_domain_analyze(e->d, &o) != MXS_OK)
		tui_log(a, "%s: out of memory while analysing", e->name);
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
		tui_log(a, "blocklist %s", line ? line : r->ip);
		free(line);
	}
	/* frozen: the answer is kept and shows when the display thaws */
	if (a->frozen)
		mark(a, TUI_D_HEADER);
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
	for (size_t j = 0; j < a->ne; j++) {
		const tui_entry *o = a->e[j];
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
					tui_log(a, "probe %s (%s) started", h->addrs[k].ip,
					        h->exchange);
			}
		}
	}
	sync_entry(a, e);
	ask_blocklists(a, d);
	if (a->walk.e == e)
		a->walk.shown = a->walk.shown ? 1 : 0;
	mark(a, TUI_D_ALL);
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
	tui_app *a = e->app;
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
	tui_log(a, "answer for %s: MX %s, %zu host%s, %zu address%s", e->name,
	        mx_rcode_str(mx_domain_mx_rcode(d)), mx_domain_host_count(d),
	        mx_domain_host_count(d) == 1 ? "" : "s", naddr, naddr == 1 ? "" : "es");
	if (a->frozen) {
		mx_domain_free(e->parked);
		e->parked = d;
		e->parked_ms = tui_now_ms();
		mark(a, TUI_D_HEADER);
		return;
	}
	install(a, e, d, tui_now_ms());
}

static void resolve(tui_app *a, tui_entry *e)
{
	mx_domain *d;

	if (e->resolving)
		return;
	d = mx_domain_new(e->name);
	if (!d || dns_resolve(a->dns, d, on_dns, e) != MXS_OK) {
		mx_domain_free(d);
		tui_log(a, "%s: out of memory", e->name);
		return;
	}
	e->resolving = true;
	tui_log(a, "query MX %s sent", e->name);
	mark(a, 1u << TUI_P_DOMAINS);
}

/* News about one address (a probe ended, a blocklist answered): sync runs
 * on every place a listed domain shows that address, and only the domains
 * that have it are analysed again and redrawn. */
static void sync_ip(tui_app *a, const char *ip,
                    void (*sync)(tui_app *a, tui_entry *e, size_t i, size_t k))
{
	for (size_t j = 0; j < a->ne; j++) {
		tui_entry *e = a->e[j];
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
			if (e == tui_selected(a))
				mark(a, TUI_D_ALL);
			else
				mark(a, 1u << TUI_P_DOMAINS);
		}
	}
}

static void on_change(const char *ip, void *arg)
{
	tui_app *a = arg;
	const smtp_history *h = smtp_monitor_history(a->mon, ip);

	if (h && h->last)
		tui_log(a, "probe %s (%s) finished: %s%s%.0d in %ld ms", ip, h->host,
		        probe_state_word(h->last_state), h->last->code ? " " : "", h->last->code,
		        h->last->t.total);
	if (a->frozen) {
		mark(a, TUI_D_HEADER);
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
	for (size_t i = 0; i < a->ne; i++)
		if (strcmp(a->e[i]->name, norm) == 0) {
			if (scenario >= 0)
				a->e[i]->scenario = scenario;
			goto done;
		}
	e = calloc(1, sizeof(*e));
	ne = realloc(a->e, (a->ne + 1) * sizeof(*ne));
	if (!e || !ne) {
		free(e);
		if (ne)
			a->e = ne;
		mxs_why(why, "out of memory");
		st = MXS_ERR_NOMEM;
		goto done;
	}
	a->e = ne;
	e->app = a;
	e->name = norm;
	norm = NULL;
	e->scenario = scenario;
	e->seed = a->cfg.seed;
	a->e[a->ne++] = e;
	resolve(a, e);
	mark(a, TUI_D_ALL);
done:
	free(norm);
	return st;
}

/* Takes e off the list; it is freed now or, when its lookup is on the
 * wire, by the answer. */
static void drop_entry(tui_app *a, tui_entry *e)
{
	size_t i;

	for (i = 0; i < a->ne && a->e[i] != e; i++)
		;
	memmove(a->e + i, a->e + i + 1, (a->ne - i - 1) * sizeof(*a->e));
	a->ne--;
	unwatch_entry(a, e);
	if (a->walk.e == e) {
		a->walk.active = false;
		a->walk.e = NULL;
		uv_timer_stop(&a->walk.timer);
	}
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

static void remove_selected(tui_app *a)
{
	tui_entry *e = tui_selected(a);

	if (!e)
		return;
	tui_log(a, "removed %s", e->name);
	set_msg(a, false, "removed %s", e->name);
	drop_entry(a, e);
	if (a->sel_dom && a->sel_dom >= tui_visible(a, NULL, 0))
		a->sel_dom--;
	a->sel_row = a->sel_find = a->det_top = 0;
	mark(a, TUI_D_ALL);
}

/* ---- themes and state ----------------------------------------------------- */

static void use_theme(tui_app *a, theme *t)
{
	theme_free(a->th);
	a->th = t;
	if (a->screen_up)
		theme_apply(t);
	mark(a, TUI_D_ALL);
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
		tui_log(a, "theme %s: %s; using default", name, why ? why : "cannot load");
		set_msg(a, true, "theme: %s; using default", why ? why : name);
		t = theme_default();
	}
	free(why);
	use_theme(a, t);
}

static void cycle_theme(tui_app *a)
{
	size_t i = 0;
	const char *cur = a->th ? theme_name(a->th) : "";
	char *why = NULL;
	theme *t;

	if (a->cfg.no_color || getenv("NO_COLOR")) {
		set_msg(a, false, "colours are off (--no-color or NO_COLOR): theme stays mono");
		return;
	}
	while (i < theme_shipped_count && strcmp(theme_shipped[i], cur) != 0)
		i++;
	i = i < theme_shipped_count ? (i + 1) % theme_shipped_count : 0;
	t = theme_load(theme_shipped[i], &why);
	if (!t) {
		set_msg(a, true, "theme %s: %s", theme_shipped[i], why ? why : "cannot load");
		tui_log(a, "theme %s: %s", theme_shipped[i], why ? why : "cannot load");
		free(why);
		return;
	}
	use_theme(a, t);
	set_msg(a, false, "theme %s", theme_name(t));
	tui_log(a, "theme %s", theme_name(t));
}

static void save_state(tui_app *a)
{
	tui_state st = {0};
	char *why = NULL;
	char **names = NULL;

	if (!a->state_path)
		return;
	if (a->cfg.state_domains) {
		names = calloc(a->ne ? a->ne : 1, sizeof(*names));
		if (!names)
			return;
		for (size_t i = 0; i < a->ne; i++)
			names[i] = a->e[i]->name;
		st.domains = names;
		st.ndomains = a->ne;
	} else {
		st.domains = a->lab_saved;
		st.ndomains = a->nlab_saved;
	}
	st.theme =
	    a->th && !(a->cfg.no_color || getenv("NO_COLOR")) ? (char *)theme_name(a->th) : NULL;
	if (tui_state_save(a->state_path, &st, &why) != MXS_OK) {
		tui_log(a, "state: %s", why ? why : "cannot save");
		set_msg(a, true, "state: %s", why ? why : "cannot save");
	}
	free(why);
	free(names);
}

/* ---- the walk -------------------------------------------------------------- */

static void walk_stop(tui_app *a)
{
	a->walk.active = false;
	a->walk.e = NULL;
	uv_timer_stop(&a->walk.timer);
	mark(a, TUI_D_ALL);
}

static void walk_advance(tui_app *a)
{
	tui_entry *e = a->walk.e;

	if (!e || !e->d || !mx_domain_walked(e->d))
		return; /* the probes are not all in yet: the timer tries again */
	if (a->walk.shown <= mx_domain_step_count(e->d))
		a->walk.shown++;
	mark(a, (1u << TUI_P_TIERS) | (1u << TUI_P_DETAILS) | TUI_D_STATUS);
}

static void on_walk_timer(uv_timer_t *t)
{
	tui_app *a = t->data;

	if (!a->walk.active || a->walk.paused)
		return;
	walk_advance(a);
	uv_timer_again(&a->walk.timer);
}

static void walk_restart_timer(tui_app *a)
{
	uv_timer_stop(&a->walk.timer);
	uv_timer_start(&a->walk.timer, on_walk_timer, a->walk.speed_ms, a->walk.speed_ms);
}

static void walk_start(tui_app *a)
{
	tui_entry *e = tui_selected(a);

	if (!e || !e->d) {
		set_msg(a, true, "walk: no domain with an answer selected");
		return;
	}
	if (mx_domain_attempt_count(e->d) == 0) {
		set_msg(a, true, "walk: %s has no address to try", e->name);
		return;
	}
	if (a->cfg.no_probe) {
		set_msg(a, true, "walk: needs probes (started with --no-probe)");
		return;
	}
	a->walk.active = true;
	a->walk.paused = false;
	a->walk.e = e;
	a->walk.shown = 0;
	walk_advance(a);
	walk_restart_timer(a);
	a->focus = TUI_P_TIERS;
	mark(a, TUI_D_ALL);
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
	tui_entry *e = tui_selected(a);

	switch (p) {
	case TUI_P_DOMAINS: return tui_visible(a, NULL, 0);
	case TUI_P_TIERS: return tui_rows(e, NULL, 0);
	case TUI_P_FINDINGS: return e && e->d ? mx_domain_finding_count(e->d) : 0;
	case TUI_P_LOG: return a->nlog;
	default: return 100000; /* details: drawing clamps */
	}
}

static void move_in_pane(tui_app *a, tui_pane p, long delta)
{
	size_t n = pane_count(a, p);

	switch (p) {
	case TUI_P_DOMAINS: {
		size_t old = a->sel_dom;
		move_sel(&a->sel_dom, n, delta);
		if (old != a->sel_dom) {
			a->sel_row = a->sel_find = a->det_top = 0;
			mark(a, TUI_D_ALL);
		}
		return;
	}
	case TUI_P_TIERS:
		move_sel(&a->sel_row, n, delta);
		a->det_top = 0;
		break;
	case TUI_P_FINDINGS: move_sel(&a->sel_find, n, delta); break;
	case TUI_P_DETAILS: move_sel(&a->det_top, n, delta); break;
	case TUI_P_LOG: move_sel(&a->log_top, n, delta); break;
	default: break;
	}
	mark(a, (1u << p) | (1u << TUI_P_DETAILS));
}

static void next_pane(tui_app *a, int dir)
{
	int p = (int)a->focus;

	do
		p = (p + dir + TUI_P_COUNT) % TUI_P_COUNT;
	while (p == TUI_P_LOG && !a->show_log);
	a->focus = (tui_pane)p;
	mark(a, TUI_D_ALL);
}

static void open_doc(tui_app *a)
{
	tui_entry *e = tui_selected(a);
	const mx_finding *f;

	if (!e || !e->d || a->sel_find >= mx_domain_finding_count(e->d))
		return;
	f = mx_domain_finding(e->d, a->sel_find);
	free(a->doc);
	a->doc = tui_doc_finding(f->code);
	if (!a->doc) {
		set_msg(a, true, "no explanation of %s in docs/findings.md", f->code);
		return;
	}
	a->ov = TUI_OV_DOC;
	a->ov_top = 0;
	mark(a, TUI_D_ALL);
}

/* ---- the lab: trainer controls and the tour ------------------------------------ */

/* A host as the trainer typed it: a bare label is under the domain ("mx2"),
 * anything with a dot is a full name. */
static void trainer_host(const char *word, const char *domain, char *out, size_t cap)
{
	if (strchr(word, '.'))
		snprintf(out, cap, "%s", word);
	else
		snprintf(out, cap, "%s.%s", word, domain);
}

static bool parse_pref(const char *s, unsigned *v)
{
	char *end = NULL;
	unsigned long x;

	if (!s || *s < '0' || *s > '9')
		return false;
	x = strtoul(s, &end, 10);
	if (*end || x > 65535)
		return false;
	*v = (unsigned)x;
	return true;
}

/* Runs one trainer command on the lab and says what it did; false with
 * *err for bad input. The caller re-resolves. */
static bool trainer_do(tui_app *a, tui_entry *e, char *cmd, char *err, size_t errcap)
{
	char *w[4] = {NULL, NULL, NULL, NULL}, *save = NULL, host[300], beh[64];
	size_t n = 0;
	unsigned pref = 0;
	char *why = NULL;
	mxs_status st = MXS_OK;
	bool ok = false;

	for (char *t = strtok_r(cmd, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 4) {
			snprintf(err, errcap, "too many words");
			goto done;
		}
		w[n++] = t;
	}
	if (n == 0) {
		snprintf(err, errcap, "no command");
		goto done;
	}
	if (strcmp(w[0], "reset") == 0 && n == 1) {
		st = lab_world_reset(a->cfg.lab_rw, &why);
		if (st == MXS_OK)
			st = lab_smtp_reset(a->cfg.lab_smtp, &why);
		if (st == MXS_OK)
			tui_log(a, "trainer: reset: every record and host as the scenarios say");
	} else if ((strcmp(w[0], "down") == 0 || strcmp(w[0], "up") == 0) && n == 2) {
		st = lab_smtp_set_behaviour(a->cfg.lab_smtp, w[1], w[0], &why);
		if (st == MXS_OK)
			tui_log(a, "trainer: %s is %s", w[1],
			        w[0][0] == 'd' ? "down (connections refused)" : "up again");
	} else if (strcmp(w[0], "behave") == 0 && n >= 3) {
		snprintf(beh, sizeof(beh), "%s%s%s", w[2], n == 4 ? " " : "", n == 4 ? w[3] : "");
		st = lab_smtp_set_behaviour(a->cfg.lab_smtp, w[1], beh, &why);
		if (st == MXS_OK)
			tui_log(a, "trainer: %s now behaves: %s", w[1], beh);
	} else if (strcmp(w[0], "pref") == 0 || strcmp(w[0], "add-mx") == 0 ||
	           strcmp(w[0], "del-mx") == 0) {
		bool del = w[0][0] == 'd', add = w[0][0] == 'a';
		const char *hw = add ? w[2] : w[1], *pw = add ? w[1] : w[2];

		if (!e) {
			snprintf(err, errcap, "select a domain first");
			goto done;
		}
		if (n != (del ? 2u : 3u) || (!del && !parse_pref(pw, &pref))) {
			snprintf(err, errcap, "usage: %s",
			         del   ? "del-mx HOST"
			         : add ? "add-mx N HOST"
			               : "pref HOST N");
			goto done;
		}
		trainer_host(hw, e->name, host, sizeof(host));
		if (del)
			st = lab_world_remove_mx(a->cfg.lab_rw, e->name, host, &why);
		else if (add)
			st = lab_world_add_mx(a->cfg.lab_rw, e->name, pref, host, &why);
		else
			st = lab_world_set_mx_preference(a->cfg.lab_rw, e->name, host, pref, &why);
		if (st == MXS_OK && del)
			tui_log(a, "trainer: %s: MX %s removed", e->name, host);
		else if (st == MXS_OK)
			tui_log(a, "trainer: %s: MX %u %s %s", e->name, pref, host,
			        add ? "added" : "(new preference)");
	} else {
		snprintf(err, errcap,
		         "unknown command; try down ADDR, up ADDR, behave ADDR WORD, pref HOST N, "
		         "add-mx N HOST, del-mx HOST, reset");
		goto done;
	}
	if (st != MXS_OK) {
		snprintf(err, errcap, "%s", why ? why : mxs_str(st));
		goto done;
	}
	ok = true;
done:
	free(why);
	return ok;
}

static void trainer_run(tui_app *a, const char *line)
{
	tui_entry *e = tui_selected(a);
	char cmd[256], err[300] = "";

	if (!a->cfg.lab_rw || !a->cfg.lab_smtp) {
		set_msg(a, true, "trainer controls are for mxscope lab");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s", line);
	if (!trainer_do(a, e, cmd, err, sizeof(err))) {
		set_msg(a, true, "trainer: %s", err);
		return;
	}
	/* the lab serves the change already: a new answer brings new probes */
	if (e && !e->resolving) {
		resolve(a, e);
		set_msg(a, false, "trainer: %s done; re-resolving and re-probing %s", line,
		        e->name);
	} else {
		set_msg(a, false, "trainer: %s done", line);
	}
}

/* lab --tour: the list becomes scenario i's domains. */
static void tour_go(tui_app *a, size_t i)
{
	size_t n = lab_world_scenario_count(a->cfg.lab);
	char *why = NULL;

	if (!a->cfg.tour || i >= n)
		return;
	while (a->ne)
		drop_entry(a, a->e[a->ne - 1]);
	a->tour_at = i;
	a->filter[0] = '\0';
	a->sel_dom = a->top_dom = a->sel_row = a->top_row = a->sel_find = a->det_top = 0;
	a->focus = TUI_P_DOMAINS;
	for (size_t j = 0; j < lab_scenario_domain_count(a->cfg.lab, i); j++)
		if (tui_app_add(a, lab_scenario_domain(a->cfg.lab, i, j), (int)i, &why) != MXS_OK) {
			tui_log(a, "tour: %s", why ? why : "cannot add a domain");
			free(why);
			why = NULL;
		}
	tui_log(a, "tour: scenario %zu of %zu: %s", i + 1, n, lab_scenario_name(a->cfg.lab, i));
	set_msg(a, false, "tour: %s (N next, P previous)", lab_scenario_title(a->cfg.lab, i));
	mark(a, TUI_D_ALL);
}

static void prompt_key(tui_app *a, wint_t ch, bool fkey)
{
	char *why = NULL;

	if (!fkey && ch == 27) {
		a->prompt = TUI_PR_NONE;
		mark(a, TUI_D_STATUS);
		return;
	}
	if ((fkey && (ch == KEY_BACKSPACE || ch == KEY_DC)) || (!fkey && (ch == 127 || ch == 8))) {
		while (a->plen && (a->pbuf[a->plen - 1] & 0xc0) == 0x80)
			a->plen--;
		if (a->plen)
			a->plen--;
		a->pbuf[a->plen] = '\0';
	} else if ((fkey && ch == KEY_ENTER) || (!fkey && (ch == '\n' || ch == '\r'))) {
		if (a->prompt == TUI_PR_ADD && a->plen) {
			if (tui_app_add(a, a->pbuf, -1, &why) != MXS_OK)
				set_msg(a, true, "cannot add: %s", why ? why : "invalid name");
			else {
				set_msg(a, false, "added %s", a->pbuf);
				a->filter[0] = '\0';
				a->sel_dom = tui_visible(a, NULL, 0) - 1;
				save_state(a);
			}
			free(why);
		} else if (a->prompt == TUI_PR_TRAINER && a->plen) {
			trainer_run(a, a->pbuf);
		}
		a->prompt = TUI_PR_NONE;
		mark(a, TUI_D_ALL);
		return;
	} else if (!fkey && ch >= 0x20 && ch != 0x7f) {
		char mb[MB_LEN_MAX];
		mbstate_t ps;
		size_t n;
		memset(&ps, 0, sizeof(ps));
		n = wcrtomb(mb, (wchar_t)ch, &ps);
		if (n != (size_t)-1 && a->plen + n < 200) {
			memcpy(a->pbuf + a->plen, mb, n);
			a->plen += n;
			a->pbuf[a->plen] = '\0';
		}
	}
	if (a->prompt == TUI_PR_FILTER) {
		snprintf(a->filter, sizeof(a->filter), "%s", a->pbuf);
		a->sel_dom = 0;
		mark(a, TUI_D_ALL);
	}
	mark(a, TUI_D_STATUS);
}

static void handle_mouse(tui_app *a)
{
	MEVENT ev;
	tui_rect r[TUI_P_COUNT];

	if (getmouse(&ev) != OK || tui_too_small(a))
		return;
	tui_layout(a, r);
	for (int p = 0; p < TUI_P_COUNT; p++) {
		if (r[p].h <= 0 || ev.y < r[p].y || ev.y >= r[p].y + r[p].h || ev.x < r[p].x ||
		    ev.x >= r[p].x + r[p].w)
			continue;
		a->focus = (tui_pane)p;
		if (ev.bstate & BUTTON4_PRESSED)
			move_in_pane(a, (tui_pane)p, -3);
#ifdef BUTTON5_PRESSED
		else if (ev.bstate & BUTTON5_PRESSED)
			move_in_pane(a, (tui_pane)p, 3);
#endif
		else if (ev.y > r[p].y && ev.y < r[p].y + r[p].h - 1) {
			size_t top = p == TUI_P_DOMAINS    ? a->top_dom
			             : p == TUI_P_TIERS    ? a->top_row
			             : p == TUI_P_FINDINGS ? a->top_find
			                                   : 0;
			size_t *sel = p == TUI_P_DOMAINS    ? &a->sel_dom
			              : p == TUI_P_TIERS    ? &a->sel_row
			              : p == TUI_P_FINDINGS ? &a->sel_find
			                                    : NULL;
			if (sel) {
				size_t want = top + (size_t)(ev.y - r[p].y - 1);
				move_in_pane(a, (tui_pane)p, (long)want - (long)*sel);
			}
		}
		mark(a, TUI_D_ALL);
		return;
	}
}

static void handle_resize(tui_app *a)
{
	struct winsize ws;
	FILE *out = a->cfg.out ? a->cfg.out : stdout;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	a->rows = LINES;
	a->cols = COLS;
	clear();
	mark(a, TUI_D_ALL);
}

static void request_quit(tui_app *a, bool report)
{
	a->quit = true;
	a->want_report = report;
	if (a->running)
		uv_stop(a->loop); /* else a later uv_run would return at once */
}

static void handle_key(tui_app *a, wint_t ch, bool fkey)
{
	tui_entry *e;

	if (fkey && ch == KEY_RESIZE) {
		a->rows = LINES;
		a->cols = COLS;
		mark(a, TUI_D_ALL);
		return;
	}
	if (fkey && ch == KEY_MOUSE) {
		if (a->cfg.mouse)
			handle_mouse(a);
		return;
	}
	if (a->prompt != TUI_PR_NONE) {
		prompt_key(a, ch, fkey);
		return;
	}
	if (a->msg[0]) {
		a->msg[0] = '\0';
		mark(a, TUI_D_STATUS);
	}
	if (a->ov == TUI_OV_HELP) {
		a->ov = TUI_OV_NONE;
		mark(a, TUI_D_ALL);
		if (!fkey && (ch == 'q' || ch == 27 || ch == '?'))
			return;
		/* any other key closes help and does its job */
	} else if (a->ov == TUI_OV_DOC) {
		if (fkey && (ch == KEY_DOWN || ch == KEY_NPAGE))
			a->ov_top += ch == KEY_NPAGE ? 10 : 1;
		else if (!fkey && ch == 'j')
			a->ov_top++;
		else if ((fkey && (ch == KEY_UP || ch == KEY_PPAGE)) || (!fkey && ch == 'k'))
			a->ov_top = a->ov_top > (ch == KEY_PPAGE ? 10u : 1u)
			                ? a->ov_top - (ch == KEY_PPAGE ? 10 : 1)
			                : 0;
		else
			a->ov = TUI_OV_NONE;
		mark(a, TUI_D_ALL);
		return;
	}
	if (a->walk.active && !fkey) {
		switch (ch) {
		case '+':
		case '=':
			a->walk.speed_ms = a->walk.speed_ms * 2 / 3 < WALK_MIN_MS
			                       ? WALK_MIN_MS
			                       : a->walk.speed_ms * 2 / 3;
			walk_restart_timer(a);
			mark(a, TUI_D_ALL);
			return;
		case '-':
			a->walk.speed_ms = a->walk.speed_ms * 3 / 2 > WALK_MAX_MS
			                       ? WALK_MAX_MS
			                       : a->walk.speed_ms * 3 / 2;
			walk_restart_timer(a);
			mark(a, TUI_D_ALL);
			return;
		case ' ':
			a->walk.paused = !a->walk.paused;
			mark(a, TUI_D_ALL);
			return;
		case 'n':
			a->walk.paused = true;
			walk_advance(a);
			mark(a, TUI_D_ALL);
			return;
		case 27: walk_stop(a); return;
		default: break;
		}
	}
	if (fkey) {
		switch (ch) {
		case KEY_UP: move_in_pane(a, a->focus, -1); break;
		case KEY_DOWN: move_in_pane(a, a->focus, 1); break;
		case KEY_PPAGE: move_in_pane(a, a->focus, -10); break;
		case KEY_NPAGE: move_in_pane(a, a->focus, 10); break;
		case KEY_HOME: move_in_pane(a, a->focus, -1000000); break;
		case KEY_END: move_in_pane(a, a->focus, 1000000); break;
		case KEY_BTAB: next_pane(a, -1); break;
		case KEY_LEFT: handle_key(a, 'h', false); break;
		case KEY_RIGHT:
		case KEY_ENTER: handle_key(a, '\n', false); break;
		default: break;
		}
		return;
	}
	switch (ch) {
	case 'q': request_quit(a, false); break;
	case 'Q': request_quit(a, true); break;
	case '?':
		a->ov = TUI_OV_HELP;
		mark(a, TUI_D_ALL);
		break;
	case '\t': next_pane(a, 1); break;
	case 'k': move_in_pane(a, a->focus, -1); break;
	case 'j': move_in_pane(a, a->focus, 1); break;
	case 'g': move_in_pane(a, a->focus, -1000000); break;
	case 'G': move_in_pane(a, a->focus, 1000000); break;
	case '\n':
	case '\r':
		if (a->focus == TUI_P_DOMAINS)
			a->focus = TUI_P_TIERS;
		else if (a->focus == TUI_P_TIERS)
			a->focus = TUI_P_DETAILS;
		else if (a->focus == TUI_P_FINDINGS)
			open_doc(a);
		mark(a, TUI_D_ALL);
		break;
	case 27:
	case 'h':
		if (a->focus == TUI_P_DETAILS)
			a->focus = TUI_P_TIERS;
		else if (a->focus != TUI_P_DOMAINS)
			a->focus = TUI_P_DOMAINS;
		else if (a->filter[0]) {
			a->filter[0] = '\0';
			set_msg(a, false, "filter cleared");
		}
		mark(a, TUI_D_ALL);
		break;
	case 'a':
		a->prompt = TUI_PR_ADD;
		a->plen = 0;
		a->pbuf[0] = '\0';
		mark(a, TUI_D_STATUS);
		break;
	case 'T':
		if (!a->cfg.lab_rw || !a->cfg.lab_smtp) {
			set_msg(a, true, "T: trainer controls are for mxscope lab");
			break;
		}
		a->prompt = TUI_PR_TRAINER;
		a->plen = 0;
		a->pbuf[0] = '\0';
		mark(a, TUI_D_STATUS);
		break;
	case 'R':
		/* the one-key reset the room needs after a demonstration */
		if (!a->cfg.lab_rw || !a->cfg.lab_smtp)
			set_msg(a, true, "R: resetting the scenario is for mxscope lab");
		else
			trainer_run(a, "reset");
		break;
	case 'N':
	case 'P':
		if (!a->cfg.tour || !a->cfg.lab)
			set_msg(a, true, "%c: for mxscope lab --tour", (int)ch);
		else if (ch == 'N' && a->tour_at + 1 >= lab_world_scenario_count(a->cfg.lab))
			set_msg(a, false, "tour: that was the last scenario");
		else if (ch == 'P' && a->tour_at == 0)
			set_msg(a, false, "tour: this is the first scenario");
		else
			tour_go(a, ch == 'N' ? a->tour_at + 1 : a->tour_at - 1);
		break;
	case '/':
		a->prompt = TUI_PR_FILTER;
		snprintf(a->pbuf, sizeof(a->pbuf), "%s", a->filter);
		a->plen = strlen(a->pbuf);
		a->focus = TUI_P_DOMAINS;
		mark(a, TUI_D_ALL);
		break;
	case 'd':
		remove_selected(a);
		save_state(a);
		break;
	case 'r':
		e = tui_selected(a);
		if (e) {
			if (e->resolving)
				set_msg(a, false, "%s: already resolving", e->name);
			else {
				resolve(a, e);
				set_msg(a, false, "re-resolving and re-probing %s", e->name);
			}
		}
		break;
	case 'f':
		a->frozen = !a->frozen;
		if (a->frozen) {
			a->frozen_at = tui_now_ms();
			tui_log(a, "display frozen; probes go on");
		} else {
			tui_log(a, "display live again");
			for (size_t i = 0; i < a->ne; i++) {
				tui_entry *x = a->e[i];
				if (x->parked) {
					mx_domain *d = x->parked;
					x->parked = NULL;
					install(a, x, d, x->parked_ms);
				} else {
					sync_entry(a, x);
				}
			}
		}
		mark(a, TUI_D_ALL);
		break;
	case 'w': walk_start(a); break;
	case 'x':
		e = tui_selected(a);
		if (e && e->d) {
			e->seed =
			    (e->seed * 6364136223846793005ull + 1442695040888963407ull) % 1000000;
			analyze(a, e);
			set_msg(a, false, "%s: reshuffled with seed %llu (mxscope --seed %llu)",
			        e->name, (unsigned long long)e->seed, (unsigned long long)e->seed);
			tui_log(a, "%s: new seed %llu", e->name, (unsigned long long)e->seed);
			if (a->walk.e == e)
				walk_start(a);
			mark(a, TUI_D_ALL);
		}
		break;
	case 't':
		cycle_theme(a);
		save_state(a);
		break;
	case 'l':
		/* vi's right: the same as Right and Enter */
		handle_key(a, '\n', false);
		break;
	case 'L':
		a->show_log = !a->show_log;
		if (!a->show_log && a->focus == TUI_P_LOG)
			a->focus = TUI_P_DOMAINS;
		clear();
		mark(a, TUI_D_ALL);
		break;
	default: break;
	}
}

/* ---- the loop -------------------------------------------------------------- */

static void read_input(tui_app *a)
{
	wint_t ch;
	int r;

	while (!a->quit && (r = wget_wch(stdscr, &ch)) != ERR) {
		if (a->trace && !a->key_pending) {
			a->key_ns = now_ns();
			a->key_pending = true;
		}
		handle_key(a, ch, r == KEY_CODE_YES);
	}
}

static void draw_now(tui_app *a)
{
	if (!a->dirty || !a->screen_up)
		return;
	tui_draw(a);
	a->dirty = 0;
	if (a->trace) {
		uint64_t t = now_ns();
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
		request_quit(a, false);
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
	mark(a, TUI_D_HEADER | (1u << TUI_P_DETAILS) | (1u << TUI_P_TIERS));
}

static void on_signal(uv_signal_t *s, int signum)
{
	tui_app *a = s->data;

	if (signum == SIGWINCH) {
		handle_resize(a);
		return;
	}
	a->exit_code = 128 + signum;
	request_quit(a, false);
}

bool tui_app_pump(tui_app *a)
{
	read_input(a);
	draw_now(a);
	return !a->quit;
}

bool tui_app_settled(const tui_app *a)
{
	for (size_t j = 0; j < a->ne; j++) {
		const tui_entry *e = a->e[j];
		if (!e->d || e->resolving)
			return false;
		for (size_t i = 0; i < e->nst; i++)
			if (e->st[i].watched && e->st[i].sent == 0)
				return false;
	}
	return true;
}

const char *tui_app_message(const tui_app *a)
{
	return a->msg;
}

int tui_app_run(tui_app *a)
{
	a->dirty = TUI_D_ALL;
	draw_now(a);
	a->running = true;
	while (!a->quit)
		uv_run(a->loop, UV_RUN_DEFAULT);
	a->running = false;
	return a->exit_code;
}

char *tui_app_exit_report(tui_app *a)
{
	tui_entry *e = tui_selected(a);
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
	a->rows = LINES;
	a->cols = COLS;
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
	a->t0_ns = now_ns();
	a->cfg = *cfg;
	a->loop = cfg->loop;
	a->mxo = (mx_options){
	    .seed = cfg->seed, .as_host = cfg->as_host, .allow_loopback = cfg->allow_loopback};
	a->walk.speed_ms = WALK_DEFAULT_MS;
	if (cfg->trace_keys && !(a->trace = fopen(cfg->trace_keys, "w"))) {
		mxs_why(why, "%s: cannot write: %s", cfg->trace_keys, strerror(errno));
		goto fail;
	}
	/* state first: it may name the theme */
	if (!cfg->state_path)
		a->state_path = tui_state_default_path();
	else if (cfg->state_path[0])
		a->state_path = strdup(cfg->state_path);
	if (a->state_path && tui_state_load(a->state_path, &st, &swhy) != MXS_OK) {
		tui_log(a, "state: %s", swhy ? swhy : "cannot read");
		set_msg(a, true, "state: %s", swhy ? swhy : "cannot read");
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
	a->in_poll.data = a->prep.data = a->tick.data = a->walk.timer.data = a;
	a->sig_int.data = a->sig_term.data = a->sig_winch.data = a;
	uv_poll_start(&a->in_poll, UV_READABLE, on_input);
	uv_prepare_init(a->loop, &a->prep);
	uv_prepare_start(&a->prep, on_prepare);
	uv_timer_init(a->loop, &a->tick);
	uv_timer_start(&a->tick, on_tick, 1000, 1000);
	uv_timer_init(a->loop, &a->walk.timer);
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
	tui_log(a, "mxscope explorer started; DNS %s; probes %s", dns_client_servers(a->dns),
	        a->mon ? "every interval" : "off (--no-probe)");
	a->dirty = TUI_D_ALL;
	return a;
fail:
	tui_state_clear(&st);
	tui_app_free(a);
	return NULL;
}

void tui_app_free(tui_app *a)
{
	if (!a)
		return;
	if (a->screen_up)
		save_state(a);
	if (a->screen_up) {
		endwin();
		delscreen(a->scr);
		a->screen_up = false;
	}
	smtp_monitor_free(a->mon);
	smtp_prober_free(a->smtp);
	bl_client_free(a->bl); /* cancelled lookups call nobody */
	for (size_t i = 0; i < a->nblres; i++)
		blr_result_free(a->blres[i]);
	free(a->blres);
	dns_client_free(a->dns); /* entries' lookups are cancelled: no callbacks */
	for (size_t i = 0; i < a->ne; i++)
		entry_free(a->e[i]);
	for (size_t i = 0; i < a->ngrave; i++)
		entry_free(a->grave[i]);
	free(a->e);
	free(a->grave);
	for (size_t i = 0; i < a->nlog; i++)
		free(a->log[(a->log_first + i) % TUI_LOG_MAX]);
	for (size_t i = 0; i < a->nlab_saved; i++)
		free(a->lab_saved[i]);
	free(a->lab_saved);
	free(a->doc);
	free(a->state_path);
	theme_free(a->th);
	if (a->trace)
		fclose(a->trace);
	if (a->open_handles == 0) {
		free(a);
		return;
	}
	uv_close((uv_handle_t *)&a->in_poll, on_closed);
	uv_close((uv_handle_t *)&a->prep, on_closed);
	uv_close((uv_handle_t *)&a->tick, on_closed);
	uv_close((uv_handle_t *)&a->walk.timer, on_closed);
	uv_close((uv_handle_t *)&a->sig_int, on_closed);
	uv_close((uv_handle_t *)&a->sig_term, on_closed);
	uv_close((uv_handle_t *)&a->sig_winch, on_closed);
}
