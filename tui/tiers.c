/* tui/tiers.c — the tiers pane, like mtr: one row per tier, host and
 * address, with a sticky column header (state, address, loss, sent, last,
 * avg, best, worst, sd, a sparkline of greeting times) whose widths fit
 * the words, a sticky tier line when a tier scrolls off, and the cursor
 * kept on an item (host and address) rather than a row number. A walk
 * marks the rows it tried; it never recolours a row's state. */
#include "tui_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- words and glyphs --------------------------------------------------- */

const char *tui_state_glyph(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return "\xe2\x9c\x93"; /* ✓ */
	case PROBE_PENDING: return "\xe2\x97\x8c";  /* ◌ */
	case PROBE_TEMPFAIL: return "\xe2\x96\xb2"; /* ▲ */
	default: return "\xe2\x9c\x97";             /* ✗ */
	}
}

theme_role tui_state_role(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return THEME_OK;
	case PROBE_PENDING: return THEME_PENDING;
	case PROBE_TEMPFAIL: return THEME_WARN;
	default: return THEME_ERROR;
	}
}

/* the widest state word, "greeting-timeout" */
static int state_width(void)
{
	int w = 0;

	for (int s = 0; s < PROBE_STATE_COUNT; s++) {
		int l = (int)strlen(probe_state_word((probe_state)s));
		w = l > w ? l : w;
	}
	return w;
}

/* ---- the columns ---------------------------------------------------------- */

enum { COL_LOSS, COL_SENT, COL_LAST, COL_AVG, COL_BEST, COL_WORST, COL_SD, COL_SPARK, NCOL };

static const struct {
	const char *head;
	int w;
} cols[NCOL] = {
    [COL_LOSS] = {"loss", 5}, [COL_SENT] = {"sent", 5},
    [COL_LAST] = {"last", 6}, [COL_AVG] = {"avg", 6},
    [COL_BEST] = {"best", 6}, [COL_WORST] = {"worst", 6},
    [COL_SD] = {"sd", 5},     [COL_SPARK] = {"greeting", TUI_SPARK_N / 2 + 2},
};

/* How many blocklists list this address. */
static size_t listed_by(const mx_addr *ad)
{
	size_t n = 0;

	for (size_t i = 0; i < ad->nblocklists; i++)
		n += ad->blocklists[i]->state == BLR_LISTED;
	return n;
}

typedef struct layout {
	int mark, state, addr; /* widths */
	int ncols;             /* columns of cols[] that fit, from the left */
} layout;

static layout plan(const tui_entry *e, int w)
{
	layout L = {.mark = 4, .state = state_width(), .addr = 7};
	int used, listed = 0;

	for (size_t i = 0; i < mx_domain_host_count(e->d); i++) {
		const mx_host *h = mx_domain_host(e->d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			int l = (int)strlen(h->addrs[k].ip);
			L.addr = l > L.addr ? l : L.addr;
			listed |= listed_by(&h->addrs[k]) > 0;
		}
	}
	/* a listed address says so in words: that column goes before the numbers */
	used = L.mark + L.state + 1 + L.addr + 1 + (listed ? 9 : 0);
	while (L.ncols < NCOL && used + cols[L.ncols].w <= w)
		used += cols[L.ncols++].w;
	return L;
}

static void fmt_ms(char *buf, size_t cap, long ms)
{
	if (ms < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%ld", ms);
}

/* standard deviation of the greeting times held, or -1 with fewer than 2 */
static long spark_sd(const tui_spark *sp)
{
	double sum = 0, sq = 0;
	unsigned n = 0;

	for (unsigned i = 0; sp && i < sp->n; i++)
		if (sp->v[i] >= 0) {
			sum += (double)sp->v[i];
			n++;
		}
	if (n < 2)
		return -1;
	for (unsigned i = 0; i < sp->n; i++)
		if (sp->v[i] >= 0)
			sq += ((double)sp->v[i] - sum / n) * ((double)sp->v[i] - sum / n);
	return lround(sqrt(sq / (n - 1)));
}

/* the last samples, oldest first, as bars scaled between the fastest and
 * the slowest; a probe without a greeting is a dot */
static void spark_text(const tui_model *m, const tui_spark *sp, int w, char *out, size_t cap)
{
	static const char *const bars[] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
	                                   "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	                                   "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char ascii_bars[] = "_.-:=+*#";
	long lo = -1, hi = -1;
	unsigned n = sp ? sp->n : 0, first = n > (unsigned)w ? n - (unsigned)w : 0;
	size_t o = 0;

	out[0] = '\0';
	for (unsigned i = first; i < n; i++) {
		long v = sp->v[(sp->at + TUI_SPARK_N - n + i) % TUI_SPARK_N];
		if (v < 0)
			continue;
		lo = lo < 0 || v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	for (unsigned i = first; i < n && o + 4 < cap; i++) {
		long v = sp->v[(sp->at + TUI_SPARK_N - n + i) % TUI_SPARK_N];
		int b = v < 0 || hi <= lo ? 0 : (int)((v - lo) * 7 / (hi - lo));
		if (v < 0)
			o += (size_t)snprintf(out + o, cap - o, "%s", m->ascii ? "x" : "\xc2\xb7");
		else if (m->ascii)
			out[o++] = ascii_bars[b], out[o] = '\0';
		else
			o += (size_t)snprintf(out + o, cap - o, "%s", bars[b]);
	}
}

/* ---- the cursor as an item -------------------------------------------- */

static void row_id(const tui_entry *e, const tui_row *row, tui_cursor *c)
{
	const mx_tier *t = mx_domain_tier(e->d, row->tier);

	memset(c, 0, sizeof(*c));
	c->set = true;
	c->kind = (int)row->kind;
	c->pref = t ? t->preference : 0;
	if (row->kind != TUI_ROW_TIER) {
		const mx_host *h = mx_domain_host(e->d, row->host);
		snprintf(c->host, sizeof(c->host), "%s", h->exchange);
		if (row->kind == TUI_ROW_ADDR)
			snprintf(c->ip, sizeof(c->ip), "%s", h->addrs[row->addr].ip);
	}
}

void tui_tiers_remember(tui_model *m, tui_entry *e)
{
	size_t n = tui_rows(e, NULL, 0);
	tui_row *rows;

	if (!e || !n)
		return;
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return;
	tui_rows(e, rows, n);
	row_id(e, &rows[m->sel_row < n ? m->sel_row : n - 1], &e->cur);
	free(rows);
}

void tui_tiers_follow(tui_model *m, const tui_entry *e, const tui_row *rows, size_t n)
{
	if (!e->cur.set)
		return;
	for (size_t i = 0; i < n; i++) {
		tui_cursor c;
		row_id(e, &rows[i], &c);
		/* a tier is its preference; a host or address is its name, whatever
		 * preference a new answer gives it */
		if (c.kind == e->cur.kind && (c.kind != TUI_ROW_TIER || c.pref == e->cur.pref) &&
		    strcmp(c.host, e->cur.host) == 0 && strcmp(c.ip, e->cur.ip) == 0) {
			m->sel_row = i;
			return;
		}
	}
	/* gone (a new answer dropped it): the same host's first row, else stay */
	for (size_t i = 0; i < n; i++) {
		tui_cursor c;
		row_id(e, &rows[i], &c);
		if (e->cur.host[0] && strcmp(c.host, e->cur.host) == 0) {
			m->sel_row = i;
			return;
		}
	}
}

/* ---- drawing ------------------------------------------------------------ */

/* the attempt index of host i's address k, or -1 */
static long attempt_of(const mx_domain *d, size_t i, size_t k)
{
	for (size_t n = 0; n < mx_domain_attempt_count(d); n++) {
		const mx_attempt *at = mx_domain_attempt(d, n);
		if (at->host == i && at->addr == k)
			return (long)n;
	}
	return -1;
}

static void draw_header_row(const tui_model *m, int y, int x, int w, const layout *L)
{
	char line[256];
	int o = snprintf(line, sizeof(line), "%*s%-*s %-*s ", L->mark, "", L->state, "state",
	                 L->addr, "address");

	for (int c = 0; c < L->ncols && o < (int)sizeof(line); c++)
		o += snprintf(line + o, sizeof(line) - (size_t)o, c == COL_SPARK ? "  %-*s" : "%*s",
		              c == COL_SPARK ? cols[c].w - 2 : cols[c].w, cols[c].head);
	tui_put(m, y, x, w, tui_role(m, THEME_DIM) | A_UNDERLINE, line);
}

static void draw_tier_row(const tui_model *m, const tui_entry *e, size_t tier, int y, int x, int w,
                          unsigned at, bool cont)
{
	const mx_tier *t = mx_domain_tier(e->d, tier);

	tui_putf(m, y, x, w, at, "pref %u%s%s%s", (unsigned)t->preference,
	         tier == 0 ? "  primary" : "  backup",
	         t->nhosts > 1 ? "  same preference: random order" : "", cont ? "  (cont.)" : "");
}

static void draw_addr_row(tui_model *m, const tui_entry *e, const tui_row *row, const layout *L,
                          int y, int x, int w, bool sel, long walk_cur)
{
	const mx_host *hst = mx_domain_host(e->d, row->host);
	const mx_addr *ad = &hst->addrs[row->addr];
	size_t si = tui_stat_index(e, row->host, row->addr);
	const tui_stat *s = si < e->nst ? &e->st[si] : NULL;
	probe_state ps = s && s->watched ? s->state : PROBE_PENDING;
	long att = attempt_of(e->d, row->host, row->addr);
	unsigned base = tui_role(m, sel ? THEME_SELECTED : THEME_NORMAL);
	/* the state keeps its colour in every theme, selected, walked or not:
	 * the walk's place is told by a mark beside it */
	unsigned sat = tui_role(m, tui_state_role(ps));
	char line[512], v[24];
	int o = 0, cx = x;

	if (walk_cur >= 0 && att == walk_cur)
		tui_put(m, y, cx + 1, 2, tui_role(m, THEME_WALK_CURRENT),
		        m->ascii ? ">" : "\xe2\x96\xb6"); /* ▶ */
	else if (walk_cur >= 0 && att >= 0 && att < walk_cur)
		tui_put(m, y, cx + 1, 2, base, m->ascii ? "o" : "\xe2\x80\xa2"); /* • tried */
	cx += 2;
	if (!s || !s->watched) {
		tui_put(m, y, cx, 1, tui_role(m, THEME_PENDING), tui_state_glyph(PROBE_PENDING));
		tui_putf(m, y, cx + 2, w - (cx + 2 - x), sel ? base : tui_role(m, THEME_DIM),
		         "%-*s %s", L->state,
		         m->no_probe ? "not probed (--no-probe)" : "not probed", ad->ip);
		return;
	}
	tui_put(m, y, cx, 1, sat, tui_state_glyph(ps));
	if (s->in_flight)
		tui_put(m, y, cx + 1, 1, base, "*");
	cx += 2;
	/* the colour on the word, not on the padding after it */
	tui_put(m, y, cx, L->state, sat, probe_state_word(ps));
	cx += L->state + 1;
	cx += tui_putf(m, y, cx, L->addr + 1, base, "%-*s ", L->addr, ad->ip);
	for (int c = 0; c < L->ncols; c++) {
		switch (c) {
		case COL_LOSS: snprintf(v, sizeof(v), "%.0f%%", s->loss); break;
		case COL_SENT: snprintf(v, sizeof(v), "%lu", s->sent); break;
		case COL_LAST: fmt_ms(v, sizeof(v), s->last_ms); break;
		case COL_AVG: fmt_ms(v, sizeof(v), s->avg_ms); break;
		case COL_BEST: fmt_ms(v, sizeof(v), s->best_ms); break;
		case COL_WORST: fmt_ms(v, sizeof(v), s->worst_ms); break;
		case COL_SD: fmt_ms(v, sizeof(v), spark_sd(tui_spark_get(m, ad->ip))); break;
		default: v[0] = '\0'; break;
		}
		if (c == COL_SPARK) {
			spark_text(m, tui_spark_get(m, ad->ip), cols[c].w - 2, line, sizeof(line));
			o = tui_put(m, y, cx + 2, cols[c].w - 2, base, line);
			(void)o;
		} else {
			tui_putf(m, y, cx, cols[c].w, base, "%*s", cols[c].w, v);
		}
		cx += cols[c].w;
	}
	/* a listed address says so in words, not only in colour */
	if (listed_by(ad) && cx + 2 < x + w)
		tui_putf(m, y, cx + 1, w - (cx + 1 - x), sel ? base : tui_role(m, THEME_LISTED),
		         "%s LISTED", m->ascii ? "!" : "\xe2\x9a\x91");
}

void tui_draw_tiers(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	size_t n = tui_rows(e, NULL, 0);
	tui_row *rows = calloc(n ? n : 1, sizeof(*rows));
	int h = r.h - 2, body;
	char title[300], nb[600];
	long walk_cur = -1;
	layout L;

	tui_clear_rect(r);
	if (e && e->d)
		snprintf(title, sizeof(title), "Tiers of %s  seed %llu%s%s", e->name,
		         (unsigned long long)e->seed, mx_domain_as_host(e->d) ? "  as " : "",
		         mx_domain_as_host(e->d) ? tui_san(mx_domain_as_host(e->d), nb, sizeof(nb))
		                                 : "");
	else
		snprintf(title, sizeof(title), "Tiers");
	tui_pane_box(m, r, title, m->focus == TUI_P_TIERS);
	if (!rows)
		return;
	if (!e || !e->d) {
		tui_put(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_PENDING),
		        e ? "resolving..." : "no domain selected");
		goto done;
	}
	if (n == 0) {
		const char *why = mx_domain_mx_why(e->d);
		if (mx_domain_as_host(e->d) && mx_domain_host_count(e->d)) {
			tui_putf(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_INFO),
			         "as %s: a most preferred MX delivers the mail itself",
			         tui_san(mx_domain_as_host(e->d), nb, sizeof(nb)));
			tui_put(m, r.y + 2, r.x + 2, r.w - 4, tui_role(m, THEME_DIM),
			        "nothing to relay to (A again: as an ordinary sender)");
		} else if (mx_domain_null_mx(e->d)) {
			tui_put(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_INFO),
			        "null MX (MX 0 .): this domain accepts no mail");
			tui_put(m, r.y + 2, r.x + 2, r.w - 4, tui_role(m, THEME_INFO),
			        "RFC 7505: bounce at once, no fallback to the A record");
		} else
			tui_putf(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_ERROR),
			         "no mail route: MX answer %s%s%s",
			         mx_rcode_str(mx_domain_mx_rcode(e->d)), why ? ", " : "",
			         why ? tui_san(why, nb, sizeof(nb)) : "");
		goto done;
	}
	tui_rows(e, rows, n);
	tui_tiers_follow(m, e, rows, n);
	if (m->sel_row >= n)
		m->sel_row = n - 1;
	L = plan(e, r.w - 2);
	/* line 0 is the column header; one more is kept for a sticky tier line */
	body = h - 1;
	tui_scroll_to(&m->top_row, m->sel_row, body - 1);
	walk_cur = tui_walk_cur(m, e); /* the followed sender's walk (S) */
	if (h >= 1)
		draw_header_row(m, r.y + 1, r.x + 1, r.w - 2, &L);
	int line = 0;
	for (int i = 0; line < body && m->top_row + (size_t)i < n; line++) {
		size_t ri = m->top_row + (size_t)i;
		const tui_row *row = &rows[ri];
		bool sel = ri == m->sel_row && m->focus != TUI_P_DOMAINS;
		unsigned base = tui_role(m, sel ? THEME_SELECTED : THEME_NORMAL);
		int y = r.y + 2 + line, x = r.x + 1, w = r.w - 2;
		if (line == 0 && row->kind != TUI_ROW_TIER) {
			/* the tier this part belongs to stays in sight */
			tui_fill(y, x, w, A_NORMAL);
			draw_tier_row(m, e, row->tier, y, x, w, tui_role(m, THEME_TITLE), true);
			continue;
		}
		i++;
		tui_fill(y, x, w, base);
		if (row->kind == TUI_ROW_TIER) {
			draw_tier_row(m, e, row->tier, y, x, w,
			              sel ? base : tui_role(m, THEME_TITLE), false);
		} else if (row->kind == TUI_ROW_HOST) {
			const mx_host *hst = mx_domain_host(e->d, row->host);
			char cn[300];
			tui_putf(m, y, x + 1, w - 1, base, "%s%s%s",
			         tui_san(hst->exchange, nb, sizeof(nb)),
			         hst->cname ? " -> CNAME " : "",
			         hst->cname ? tui_san(hst->cname, cn, sizeof(cn)) : "");
			if (hst->naddrs == 0)
				tui_put(m, y, x + w - 14, 13, tui_role(m, THEME_ERROR),
				        " no address");
		} else {
			draw_addr_row(m, e, row, &L, y, x, w, sel, walk_cur);
		}
	}
	/* the marks explained where a line is left over, not only in the help */
	if (line + 1 < body)
		tui_put(m, r.y + r.h - 2, r.x + 2, r.w - 4, tui_role(m, THEME_DIM),
		        m->ascii ? "> the walk's attempt  o tried  * probing now  . not probed yet"
		                 : "\xe2\x96\xb6 the walk's attempt  \xe2\x80\xa2 tried  * probing "
		                   "now  \xe2\x97\x8c not probed yet");
	tui_pane_pos(m, r, m->sel_row + 1, n, n <= (size_t)body);
done:
	free(rows);
}
