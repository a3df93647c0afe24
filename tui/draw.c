/* tui/draw.c — drawing the explorer: layout, panes, overlays and the bars,
 * all on stdscr, each pane only when it is dirty. Every string that came
 * from the network goes through mx_sanitize() before it reaches a cell, and
 * --ascii turns every character above 0x7f into plain ASCII. */
#include "tui_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "report.h"
#include "trainer.h"

#define LINE_MAX_BYTES 1024

/* ---- text into cells ------------------------------------------------------ */

/* ASCII stand-ins for the few non-ASCII characters our own texts use. */
static const char *ascii_for(wchar_t wc)
{
	switch (wc) {
	case 0x2026: return "...";
	case 0x2014:
	case 0x2013:
	case 0x2500: return "-";
	case 0x00a7: return "S";
	case 0x2192: return "->";
	case 0x2713: return "+";
	case 0x2717: return "x";
	case 0x25b2: return "!";
	case 0x25cf: return "*";
	case 0x25cc: return ".";
	case 0x00b7: return ".";
	case 0x201c:
	case 0x201d: return "\"";
	case 0x2018:
	case 0x2019: return "'";
	default: return "?";
	}
}

/* Converts UTF-8 s into at most w columns of wide characters, with an
 * ellipsis where it is cut. Returns the count of wchar_t written to out
 * (cap >= 4) and the columns in *cols. */
static size_t to_cells(const tui_model *m, const char *s, int w, wchar_t *out, size_t cap,
                       int *cols)
{
	mbstate_t ps;
	size_t n = 0, len = strlen(s), pos = 0;
	int used = 0;
	const int ell_w = m->ascii ? 3 : 1;
	size_t cut_n = 0;
	int cut_used = 0;
	bool cut = false;

	memset(&ps, 0, sizeof(ps));
	while (pos < len && n + 4 < cap) {
		wchar_t wc, tmp[4];
		size_t k = mbrtowc(&wc, s + pos, len - pos, &ps), nt = 0;
		int cw = 0;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof(ps));
			wc = L'?';
			k = 1;
		}
		pos += k;
		if (m->ascii && wc >= 0x80) {
			const char *t = ascii_for(wc);
			for (; *t && nt < 3; t++)
				tmp[nt++] = (wchar_t)*t;
		} else {
			tmp[nt++] = wc;
		}
		for (size_t i = 0; i < nt; i++) {
			int c = wcwidth(tmp[i]);
			if (c < 0 || tmp[i] < 0x20) {
				tmp[i] = L'?';
				c = 1;
			}
			cw += c;
		}
		if (used + cw > w) {
			cut = true;
			break;
		}
		if (used + cw <= w - ell_w) {
			cut_n = n + nt;
			cut_used = used + cw;
		}
		for (size_t i = 0; i < nt; i++)
			out[n++] = tmp[i];
		used += cw;
	}
	if (pos < len && !cut)
		cut = true;
	if (cut) {
		n = cut_n;
		used = cut_used;
		if (m->ascii) {
			for (int i = 0; i < 3 && used < w; i++, used++)
				out[n++] = L'.';
		} else if (used < w) {
			out[n++] = 0x2026;
			used++;
		}
	}
	out[n] = 0;
	*cols = used;
	return n;
}

/* Draws s at y,x in at most w columns; returns the columns used. */
static int put(const tui_model *m, int y, int x, int w, unsigned attr, const char *s)
{
	wchar_t buf[LINE_MAX_BYTES];
	int cols = 0;
	size_t n;

	if (w <= 0)
		return 0;
	n = to_cells(m, s, w, buf, sizeof(buf) / sizeof(buf[0]), &cols);
	attrset(attr);
	if (n)
		mvaddnwstr(y, x, buf, (int)n);
	attrset(A_NORMAL);
	return cols;
}

static int putf(const tui_model *m, int y, int x, int w, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int putf(const tui_model *m, int y, int x, int w, unsigned attr, const char *fmt, ...)
{
	char buf[LINE_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(m, y, x, w, attr, buf);
}

static void fill(int y, int x, int w, unsigned attr)
{
	if (w <= 0)
		return;
	attrset(attr);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

static void clear_rect(tui_rect r)
{
	for (int i = 0; i < r.h; i++)
		fill(r.y + i, r.x, r.w, A_NORMAL);
}

/* Network text for a cell: sanitised into buf. */
static const char *san(const char *s, char *buf, size_t cap)
{
	char *c = mx_sanitize(s ? s : "");

	snprintf(buf, cap, "%s", c ? c : "?");
	free(c);
	return buf;
}

static unsigned role(const tui_model *m, theme_role r)
{
	return theme_attr(m->th, r);
}

static void cell(int y, int x, const wchar_t *wc, unsigned attr)
{
	cchar_t cc;

	setcchar(&cc, wc, attr & ~A_COLOR, (short)PAIR_NUMBER(attr), NULL);
	mvadd_wch(y, x, &cc);
}

static void pane_box(const tui_model *m, tui_rect r, const char *title, bool focus)
{
	unsigned at = role(m, focus ? THEME_BORDER_FOCUS : THEME_BORDER);
	bool u = !m->ascii;
	const wchar_t *hz = u ? L"\x2500" : L"-", *vt = u ? L"\x2502" : L"|";

	if (r.h < 2 || r.w < 2)
		return;
	for (int x = r.x + 1; x < r.x + r.w - 1; x++) {
		cell(r.y, x, hz, at);
		cell(r.y + r.h - 1, x, hz, at);
	}
	for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
		cell(y, r.x, vt, at);
		cell(y, r.x + r.w - 1, vt, at);
	}
	cell(r.y, r.x, u ? L"\x250c" : L"+", at);
	cell(r.y, r.x + r.w - 1, u ? L"\x2510" : L"+", at);
	cell(r.y + r.h - 1, r.x, u ? L"\x2514" : L"+", at);
	cell(r.y + r.h - 1, r.x + r.w - 1, u ? L"\x2518" : L"+", at);
	if (title)
		putf(m, r.y, r.x + 2, r.w - 4, role(m, focus ? THEME_BORDER_FOCUS : THEME_TITLE),
		     "%s%s ", focus ? ">" : " ", title);
}

/* ---- words and glyphs --------------------------------------------------- */

static const char *state_glyph(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return "\xe2\x9c\x93"; /* ✓ */
	case PROBE_PENDING: return "\xe2\x97\x8c";  /* ◌ */
	case PROBE_TEMPFAIL: return "\xe2\x96\xb2"; /* ▲ */
	default: return "\xe2\x9c\x97";             /* ✗ */
	}
}

static theme_role state_role(probe_state s)
{
	switch (s) {
	case PROBE_ACCEPTED: return THEME_OK;
	case PROBE_PENDING: return THEME_PENDING;
	case PROBE_TEMPFAIL: return THEME_WARN;
	default: return THEME_ERROR;
	}
}

static const char *sev_glyph(mx_severity s)
{
	return s == MX_SEV_ERROR     ? "\xe2\x9c\x97"
	       : s == MX_SEV_WARNING ? "\xe2\x96\xb2"
	                             : "\xe2\x97\x8f";
}

static theme_role sev_role(mx_severity s)
{
	return s == MX_SEV_ERROR ? THEME_ERROR : s == MX_SEV_WARNING ? THEME_WARN : THEME_INFO;
}

/* status glyph, word and role of a domain in the list */
static void entry_status(const tui_entry *e, const char **glyph, const char **word, theme_role *r)
{
	if (!e->d) {
		*glyph = "\xe2\x97\x8c";
		*word = "lookup";
		*r = THEME_PENDING;
		return;
	}
	switch (mx_domain_worst(e->d)) {
	case MX_SEV_ERROR:
		*glyph = "\xe2\x9c\x97";
		*word = "error";
		*r = THEME_ERROR;
		break;
	case MX_SEV_WARNING:
		*glyph = "\xe2\x96\xb2";
		*word = "warning";
		*r = THEME_WARN;
		break;
	default:
		*glyph = "\xe2\x9c\x93";
		*word = "ok";
		*r = THEME_OK;
		break;
	}
}

/* ---- layout --------------------------------------------------------------- */

bool tui_too_small(const tui_model *m)
{
	return m->rows < TUI_MIN_ROWS || m->cols < TUI_MIN_COLS;
}

void tui_layout(const tui_model *m, tui_rect r[TUI_P_COUNT])
{
	int H = m->rows, W = m->cols;
	int logh = m->show_log ? (H >= 40 ? 10 : H >= 30 ? 7 : 5) : 0;
	int mainh = H - 2 - logh;
	int dw = W >= 120 ? 38 : 30;
	int fh = mainh >= 36 ? 10 : 6;
	int th = mainh >= 36 ? (mainh - fh) * 2 / 5 : (mainh - fh) / 2 + 1;

	r[TUI_P_DOMAINS] = (tui_rect){1, 0, mainh, dw};
	r[TUI_P_TIERS] = (tui_rect){1, dw, th, W - dw};
	r[TUI_P_DETAILS] = (tui_rect){1 + th, dw, mainh - th - fh, W - dw};
	r[TUI_P_FINDINGS] = (tui_rect){1 + mainh - fh, dw, fh, W - dw};
	r[TUI_P_LOG] = (tui_rect){1 + mainh, 0, logh, W};
}

/* keeps sel within [top, top+h) */
static void scroll_to(size_t *top, size_t sel, int h)
{
	if (h <= 0)
		return;
	if (sel < *top)
		*top = sel;
	if (sel >= *top + (size_t)h)
		*top = sel - (size_t)h + 1;
}

/* ---- panes ---------------------------------------------------------------- */

static void draw_header(tui_model *m)
{
	char clock[16], frozen[48] = "";
	time_t t = time(NULL);
	struct tm tm;
	unsigned at = role(m, THEME_TITLE);
	size_t nvis = tui_visible(m, NULL, 0);
	int x;

	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fill(0, 0, m->cols, A_NORMAL);
	x = putf(m, 0, 1, m->cols - 12, at, "mxscope");
	x += 1 + putf(m, 0, x + 2, m->cols - x - 12, role(m, THEME_NORMAL),
	              "%zu domain%s%s%s%s  theme %s%s", m->ne, m->ne == 1 ? "" : "s",
	              m->filter[0] ? " (" : "", m->filter[0] ? "filtered" : "",
	              m->filter[0] ? ")" : "", m->th ? theme_name(m->th) : "-",
	              m->lab ? "  LAB" : "");
	if (m->tour && m->lab)
		x += 2 + putf(m, 0, x + 2, m->cols - x - 12, role(m, THEME_INFO),
		              "tour: scenario %zu of %zu", m->tour_at + 1,
		              lab_world_scenario_count(m->lab));
	(void)nvis;
	if (m->frozen) {
		snprintf(frozen, sizeof(frozen), " FROZEN %llus ",
		         (unsigned long long)((tui_now_ms() - m->frozen_at) / 1000));
		put(m, 0, m->cols - 10 - (int)strlen(frozen), (int)strlen(frozen),
		    role(m, THEME_FROZEN), frozen);
	}
	put(m, 0, m->cols - 9, 8, at, clock);
}

static void draw_domains(tui_model *m, tui_rect r)
{
	size_t n = tui_visible(m, NULL, 0), *idx = calloc(n ? n : 1, sizeof(*idx));
	int h = r.h - 2;
	char title[400];

	clear_rect(r);
	if (m->filter[0])
		snprintf(title, sizeof(title), "Domains %zu/%zu /%s", n, m->ne, m->filter);
	else
		snprintf(title, sizeof(title), "Domains (%zu)", m->ne);
	pane_box(m, r, title, m->focus == TUI_P_DOMAINS);
	if (!idx)
		return;
	tui_visible(m, idx, n);
	if (m->sel_dom >= n)
		m->sel_dom = n ? n - 1 : 0;
	scroll_to(&m->top_dom, m->sel_dom, h);
	if (n == 0)
		put(m, r.y + 1, r.x + 2, r.w - 4, role(m, THEME_DIM),
		    m->ne ? "no domain matches" : "no domains: press a to add one");
	for (int i = 0; i < h && m->top_dom + (size_t)i < n; i++) {
		size_t vi = m->top_dom + (size_t)i;
		const tui_entry *e = m->e[idx[vi]];
		const char *g, *w;
		theme_role sr;
		bool sel = vi == m->sel_dom;
		unsigned base = sel ? role(m, THEME_SELECTED) : role(m, THEME_NORMAL);
		int y = r.y + 1 + i, x = r.x + 1;
		entry_status(e, &g, &w, &sr);
		fill(y, x, r.w - 2, base);
		x += put(m, y, x, 2, sel ? base : role(m, sr), g);
		x += put(m, y, x + 1, 8, sel ? base : role(m, sr), w) + 1;
		x = r.x + 12;
		put(m, y, x, r.w - 13, base, e->name);
	}
	free(idx);
}

static void fmt_ms(char *buf, size_t cap, long ms)
{
	if (ms < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%ld", ms);
}

static long ttl_left(const tui_entry *e, uint32_t ttl)
{
	long gone = (long)((tui_now_ms() - e->got_ms) / 1000);
	return (long)ttl > gone ? (long)ttl - gone : 0;
}

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

/* How many blocklists list this address. */
static size_t listed_by(const mx_addr *ad)
{
	size_t n = 0;

	for (size_t i = 0; i < ad->nblocklists; i++)
		n += ad->blocklists[i]->state == BLR_LISTED;
	return n;
}

static void draw_tiers(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	size_t n = tui_rows(e, NULL, 0);
	tui_row *rows = calloc(n ? n : 1, sizeof(*rows));
	int h = r.h - 2;
	char title[300], nb[600];
	long walk_cur = -1;

	clear_rect(r);
	if (e && e->d)
		snprintf(title, sizeof(title), "Tiers of %s  seed %llu%s%s", e->name,
		         (unsigned long long)e->seed, m->as_host ? "  as " : "",
		         m->as_host ? m->as_host : "");
	else
		snprintf(title, sizeof(title), "Tiers");
	pane_box(m, r, title, m->focus == TUI_P_TIERS);
	if (!rows)
		return;
	if (!e || !e->d) {
		put(m, r.y + 1, r.x + 2, r.w - 4, role(m, THEME_PENDING),
		    e ? "resolving..." : "no domain selected");
		goto done;
	}
	if (n == 0) {
		const char *why = mx_domain_mx_why(e->d);
		if (mx_domain_null_mx(e->d))
			put(m, r.y + 1, r.x + 2, r.w - 4, role(m, THEME_INFO),
			    "null MX (MX 0 .): this domain accepts no mail");
		else
			putf(m, r.y + 1, r.x + 2, r.w - 4, role(m, THEME_ERROR),
			     "no mail route: MX answer %s%s%s",
			     mx_rcode_str(mx_domain_mx_rcode(e->d)), why ? ", " : "",
			     why ? san(why, nb, sizeof(nb)) : "");
		goto done;
	}
	tui_rows(e, rows, n);
	if (m->sel_row >= n)
		m->sel_row = n - 1;
	scroll_to(&m->top_row, m->sel_row, h);
	if (m->walk.active && m->walk.e == e && m->walk.shown >= 1 &&
	    m->walk.shown <= mx_domain_step_count(e->d))
		walk_cur = (long)mx_domain_step(e->d, m->walk.shown - 1)->attempt;
	for (int i = 0; i < h && m->top_row + (size_t)i < n; i++) {
		size_t ri = m->top_row + (size_t)i;
		const tui_row *row = &rows[ri];
		bool sel = ri == m->sel_row && m->focus != TUI_P_DOMAINS;
		unsigned base = sel ? role(m, THEME_SELECTED) : role(m, THEME_NORMAL);
		int y = r.y + 1 + i, x = r.x + 1, w = r.w - 2;
		fill(y, x, w, base);
		if (row->kind == TUI_ROW_TIER) {
			const mx_tier *t = mx_domain_tier(e->d, row->tier);
			putf(m, y, x, w, sel ? base : role(m, THEME_TITLE), "pref %u%s%s",
			     (unsigned)t->preference, row->tier == 0 ? "  primary" : "  backup",
			     t->nhosts > 1 ? "  same preference: random order" : "");
		} else if (row->kind == TUI_ROW_HOST) {
			const mx_host *hst = mx_domain_host(e->d, row->host);
			char cn[300];
			putf(m, y, x + 1, w - 1, base, "%s%s%s", san(hst->exchange, nb, sizeof(nb)),
			     hst->cname ? " -> CNAME " : "",
			     hst->cname ? san(hst->cname, cn, sizeof(cn)) : "");
			if (hst->naddrs == 0)
				put(m, y, x + w - 14, 13, sel ? base : role(m, THEME_ERROR),
				    " no address");
		} else {
			const mx_host *hst = mx_domain_host(e->d, row->host);
			size_t si = tui_stat_index(e, row->host, row->addr);
			const tui_stat *s = si < e->nst ? &e->st[si] : NULL;
			probe_state ps = s && s->watched ? s->state : PROBE_PENDING;
			long att = attempt_of(e->d, row->host, row->addr);
			char last[24], avg[24], best[24], worst[24], hist[120];
			unsigned at = base;
			if (walk_cur >= 0 && att == walk_cur)
				at = base = role(m, THEME_WALK_CURRENT);
			else if (walk_cur >= 0 && att >= 0 && att < walk_cur)
				at = base = role(m, THEME_WALK_DONE);
			if (at != (sel ? role(m, THEME_SELECTED) : role(m, THEME_NORMAL)))
				fill(y, x, w, at);
			/* the walk's place is told by a mark too, not by colour alone */
			if (walk_cur >= 0 && att == walk_cur)
				put(m, y, x + 1, 1, at, m->ascii ? ">" : "\xe2\x96\xb6");
			if (!s || !s->watched) {
				putf(m, y, x + 3, w - 3, sel ? base : role(m, THEME_DIM), "%s  %s",
				     hst->addrs[row->addr].ip,
				     m->no_probe ? "not probed (--no-probe)" : "not probed");
				continue;
			}
			fmt_ms(last, sizeof(last), s->last_ms);
			fmt_ms(avg, sizeof(avg), s->avg_ms);
			fmt_ms(best, sizeof(best), s->best_ms);
			fmt_ms(worst, sizeof(worst), s->worst_ms);
			snprintf(hist, sizeof(hist),
			         "%lu sent %.0f%% loss avg/best/worst %s/%s/%s ms", s->sent,
			         s->loss, avg, best, worst);
			x += 3;
			x += put(m, y, x, 2, at == base && !sel ? role(m, state_role(ps)) : base,
			         state_glyph(ps));
			x += putf(m, y, x + 1, w - (x - r.x), base, "%-9s %-15s %4s ms%s ",
			          probe_state_word(ps), hst->addrs[row->addr].ip, last,
			          s->in_flight ? "*" : " ") +
			     1;
			/* a listed address says so in words, not only in colour, and
			 * before the history so a narrow pane still shows it */
			if (listed_by(&hst->addrs[row->addr]))
				x +=
				    putf(m, y, x, w - (x - r.x), sel ? base : role(m, THEME_LISTED),
				         "%s LISTED ", m->ascii ? "!" : "\xe2\x9a\x91");
			putf(m, y, x, w - (x - r.x), base, "%s", hist);
		}
	}
done:
	free(rows);
}

/* ---- the details pane: lines, wrapped ----------------------------------- */

typedef struct lines {
	char **v;
	unsigned *role;
	size_t n, cap;
	int w;
} lines;

static void add_raw(lines *L, theme_role r, const char *s, size_t len)
{
	if (L->n == L->cap) {
		size_t nc = L->cap ? L->cap * 2 : 64;
		char **nv = realloc(L->v, nc * sizeof(*nv));
		unsigned *nr;
		if (!nv)
			return;
		L->v = nv;
		nr = realloc(L->role, nc * sizeof(*nr));
		if (!nr)
			return;
		L->role = nr;
		L->cap = nc;
	}
	L->v[L->n] = strndup(s, len);
	if (!L->v[L->n])
		return;
	L->role[L->n++] = r;
}

/* width in columns of UTF-8 s[0..len) */
static int text_cols(const char *s, size_t len)
{
	mbstate_t ps;
	size_t pos = 0;
	int cols = 0;

	memset(&ps, 0, sizeof(ps));
	while (pos < len) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + pos, len - pos, &ps);
		int c;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof(ps));
			k = 1;
			c = 1;
		} else {
			c = wcwidth(wc);
			c = c < 0 ? 1 : c;
		}
		pos += k;
		cols += c;
	}
	return cols;
}

/* Adds text word-wrapped to the pane width; '\n' starts a new line. */
static void addl(lines *L, theme_role r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void addl(lines *L, theme_role r, const char *fmt, ...)
{
	char buf[8192];
	const char *p = buf;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		/* wrap at the last space that fits, else hard */
		while (text_cols(p, len) > L->w && L->w > 8) {
			size_t cut = len, sp = 0;
			while (cut > 0 && text_cols(p, cut) > L->w)
				cut--;
			while (cut > 0 && (p[cut] & 0xc0) == 0x80)
				cut--;
			for (size_t i = cut; i > 0; i--)
				if (p[i] == ' ') {
					sp = i;
					break;
				}
			if (sp > (size_t)L->w / 3)
				cut = sp;
			if (cut == 0)
				cut = 1;
			add_raw(L, r, p, cut);
			p += cut;
			len -= cut;
			while (len && *p == ' ') {
				p++;
				len--;
			}
		}
		add_raw(L, r, p, len);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void lines_free(lines *L)
{
	for (size_t i = 0; i < L->n; i++)
		free(L->v[i]);
	free(L->v);
	free(L->role);
}

static void detail_domain(const tui_model *m, const tui_entry *e, lines *L)
{
	char nb[600];

	addl(L, THEME_TITLE, "%s", e->name);
	if (e->scenario >= 0 && m->lab && (size_t)e->scenario < lab_world_scenario_count(m->lab)) {
		addl(L, THEME_INFO, "Lab: %s", lab_scenario_title(m->lab, (size_t)e->scenario));
		addl(L, THEME_NORMAL, "%s", lab_scenario_explain(m->lab, (size_t)e->scenario));
	}
	if (!e->d) {
		addl(L, THEME_PENDING, "resolving: MX question sent");
	} else {
		const mx_attempt *dv = mx_domain_delivered(e->d);
		addl(L, THEME_NORMAL, "status %s   MX answer %s%s%s", mx_domain_status(e->d),
		     mx_rcode_str(mx_domain_mx_rcode(e->d)), mx_domain_mx_why(e->d) ? ": " : "",
		     mx_domain_mx_why(e->d) ? san(mx_domain_mx_why(e->d), nb, sizeof(nb)) : "");
		addl(L, THEME_NORMAL, "%zu host%s in %zu tier%s, %zu attempt%s, seed %llu",
		     mx_domain_host_count(e->d), mx_domain_host_count(e->d) == 1 ? "" : "s",
		     mx_domain_tier_count(e->d), mx_domain_tier_count(e->d) == 1 ? "" : "s",
		     mx_domain_attempt_count(e->d), mx_domain_attempt_count(e->d) == 1 ? "" : "s",
		     (unsigned long long)e->seed);
		if (dv) {
			const mx_host *h = mx_domain_host(e->d, dv->host);
			addl(L, THEME_OK, "delivered to %s (%s), pref %u",
			     san(h->exchange, nb, sizeof(nb)), h->addrs[dv->addr].ip,
			     (unsigned)h->preference);
		} else if (mx_domain_walked(e->d)) {
			addl(L, THEME_ERROR, "no host accepts the mail");
		}
		/* RFC 6186: where mail clients submit and read, beside the MX view */
		if (mx_domain_srv_count(e->d))
			addl(L, THEME_TITLE, "Mail client services");
		for (size_t i = 0; i < mx_domain_srv_count(e->d); i++) {
			const mx_srv *s = mx_domain_srv(e->d, i);
			char tb[600];
			if (s->target[0])
				addl(L, THEME_NORMAL, "  %s  %s:%u  prio %u weight %u",
				     san(s->service, nb, sizeof(nb)),
				     san(s->target, tb, sizeof(tb)), (unsigned)s->port,
				     (unsigned)s->priority, (unsigned)s->weight);
			else
				addl(L, THEME_DIM, "  %s  . (not offered)",
				     san(s->service, nb, sizeof(nb)));
		}
	}
}

static void detail_addr(const tui_model *m, const tui_entry *e, size_t hi, size_t k, lines *L)
{
	const mx_host *h = mx_domain_host(e->d, hi);
	const mx_addr *ad = &h->addrs[k];
	const probe_result *p = ad->probe;
	char nb[PROBE_GREETING_MAX * 4 + 16];

	addl(L, THEME_TITLE, "%s  %s (IPv%d)", ad->ip, san(h->exchange, nb, sizeof(nb)),
	     ad->family);
	addl(L, THEME_NORMAL, "A%s TTL %u s, %ld s left", ad->family == 6 ? "AAAA" : "", ad->ttl,
	     ttl_left(e, ad->ttl));
	for (size_t i = 0; i < ad->nblocklists; i++) {
		const blr_result *b = ad->blocklists[i];
		char *line = blr_result_line(b);
		if (i == 0)
			addl(L, THEME_TITLE, "Blocklists");
		addl(L,
		     b->state == BLR_LISTED        ? THEME_LISTED
		     : b->state == BLR_UNAVAILABLE ? THEME_WARN
		                                   : THEME_OK,
		     "  %s", line ? san(line, nb, sizeof(nb)) : b->provider);
		free(line);
	}
	if (!p) {
		addl(L, THEME_PENDING, "%s",
		     m->no_probe ? "not probed (--no-probe)" : "probe pending");
		return;
	}
	addl(L, state_role(p->state), "%s: %s", probe_state_word(p->state),
	     probe_state_meaning(p->state));
	if (p->code)
		addl(L, THEME_NORMAL, "greeting %d %s", p->code, san(p->greeting, nb, sizeof(nb)));
	addl(L, THEME_NORMAL, "times ms: connect %ld  greeting %ld  ehlo %ld  tls %ld  total %ld",
	     p->t.connect, p->t.greeting, p->t.ehlo, p->t.tls, p->t.total);
	if (p->error)
		addl(L, THEME_ERROR, "error: %s", san(p->error, nb, sizeof(nb)));
	if (p->nehlo) {
		addl(L, THEME_TITLE, "EHLO extensions");
		for (size_t i = 0; i < p->nehlo; i++)
			addl(L, THEME_NORMAL, "  %s", san(p->ehlo[i], nb, sizeof(nb)));
	}
	addl(L, THEME_TITLE, "TLS");
	if (!p->tls.offered)
		addl(L, THEME_WARN, "  STARTTLS not offered");
	else {
		addl(L, p->tls.verified ? THEME_OK : THEME_WARN, "  %s%s%s%s",
		     p->tls.done ? "handshake done" : "handshake failed",
		     p->tls.version ? ", " : "", p->tls.version ? p->tls.version : "",
		     p->tls.verified ? ", certificate verified" : ", certificate NOT verified");
		if (p->tls.verify_error)
			addl(L, THEME_WARN, "  %s", san(p->tls.verify_error, nb, sizeof(nb)));
		if (p->tls.subject)
			addl(L, THEME_NORMAL, "  subject %s", san(p->tls.subject, nb, sizeof(nb)));
		if (p->tls.issuer)
			addl(L, THEME_NORMAL, "  issuer  %s", san(p->tls.issuer, nb, sizeof(nb)));
		if (p->tls.not_after)
			addl(L, THEME_NORMAL, "  valid until %s",
			     san(p->tls.not_after, nb, sizeof(nb)));
	}
	if (p->transcript) {
		const char *s = p->transcript;
		addl(L, THEME_TITLE, "Transcript%s", p->transcript_cut ? " (cut)" : "");
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			char line[PROBE_EHLO_LINE_MAX + 8];
			snprintf(line, sizeof(line), "%.*s", (int)(len < 512 ? len : 512), s);
			addl(L, THEME_NORMAL, "  %s", san(line, nb, sizeof(nb)));
			s += len + (nl ? 1 : 0);
		}
	}
}

static void detail_host(const tui_entry *e, size_t hi, lines *L)
{
	const mx_host *h = mx_domain_host(e->d, hi);
	char nb[600];

	addl(L, THEME_TITLE, "%s", san(h->exchange, nb, sizeof(nb)));
	addl(L, THEME_NORMAL, "%s %u, TTL %u s, %ld s left",
	     h->implicit ? "implicit MX, pref" : "MX", (unsigned)h->preference, h->ttl,
	     ttl_left(e, h->ttl));
	if (h->cname)
		addl(L, THEME_WARN, "alias (CNAME) for %s", san(h->cname, nb, sizeof(nb)));
	addl(L, THEME_NORMAL, "A %s, AAAA %s", mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc));
	for (size_t k = 0; k < h->naddrs; k++)
		addl(L, THEME_NORMAL, "  %s %-15s TTL %u s, %ld s left",
		     h->addrs[k].family == 6 ? "AAAA" : "A   ", h->addrs[k].ip, h->addrs[k].ttl,
		     ttl_left(e, h->addrs[k].ttl));
}

static void detail_walk(const tui_model *m, const tui_entry *e, lines *L)
{
	char nb[600];
	size_t steps = mx_domain_step_count(e->d);

	addl(L, THEME_TITLE, "Delivery walk of %s, seed %llu", e->name,
	     (unsigned long long)e->seed);
	addl(L, THEME_DIM, "step every %.1f s%s", m->walk.speed_ms / 1000.0,
	     m->walk.paused ? "  PAUSED" : "");
	if (!mx_domain_walked(e->d)) {
		addl(L, THEME_PENDING,
		     "waiting for the probes of every address in the attempt order...");
		return;
	}
	for (size_t i = 0; i < m->walk.shown && i < steps; i++) {
		const mx_step *st = mx_domain_step(e->d, i);
		const mx_attempt *at = mx_domain_attempt(e->d, st->attempt);
		const mx_host *h = mx_domain_host(e->d, at->host);
		bool cur = i + 1 == m->walk.shown;
		addl(L, cur ? THEME_WALK_CURRENT : THEME_NORMAL, "%zu. pref %u %s %s", i + 1,
		     (unsigned)h->preference, san(h->exchange, nb, sizeof(nb)),
		     h->addrs[at->addr].ip);
		addl(L, state_role(st->state), "   %s: %s", probe_state_word(st->state), st->rule);
		if (st->attempt + 1 < mx_domain_attempt_count(e->d) && i + 1 < steps) {
			const mx_attempt *nx = mx_domain_attempt(e->d, st->attempt + 1);
			if (nx->host != at->host &&
			    mx_domain_host(e->d, nx->host)->preference == h->preference)
				addl(L, THEME_INFO, "   same preference: order is random");
		}
	}
	if (m->walk.shown > steps) {
		const mx_attempt *dv = mx_domain_delivered(e->d);
		if (dv) {
			const mx_host *h = mx_domain_host(e->d, dv->host);
			addl(L, THEME_WALK_DONE, "=> delivered to %s (%s)",
			     san(h->exchange, nb, sizeof(nb)), h->addrs[dv->addr].ip);
		} else {
			addl(L, THEME_ERROR,
			     "=> no host accepts: the mail stays queued or bounces");
		}
	}
}

static void draw_details(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	lines L = {.w = r.w - 4};
	int h = r.h - 2;
	const char *title = "Details";

	clear_rect(r);
	if (!e) {
		addl(&L, THEME_DIM,
		     "mxscope shows where mail for a domain goes. Press a to add a "
		     "domain, ? for every key.");
	} else if (m->walk.active && m->walk.e == e && e->d) {
		title = "Walk";
		detail_walk(m, e, &L);
	} else if (m->focus == TUI_P_FINDINGS && e->d && mx_domain_finding_count(e->d)) {
		const mx_finding *f = mx_domain_finding(
		    e->d, m->sel_find < mx_domain_finding_count(e->d) ? m->sel_find : 0);
		char nb[1200];
		title = "Finding";
		addl(&L, sev_role(f->severity), "%s %s (%s)", mx_severity_str(f->severity), f->code,
		     f->reference);
		addl(&L, THEME_NORMAL, "%s", san(f->message, nb, sizeof(nb)));
		addl(&L, THEME_DIM, "Enter: the full explanation");
	} else if ((m->focus == TUI_P_TIERS || m->focus == TUI_P_DETAILS) && e->d &&
	           tui_rows(e, NULL, 0)) {
		size_t n = tui_rows(e, NULL, 0);
		tui_row *rows = calloc(n, sizeof(*rows));
		if (rows) {
			tui_row *row;
			tui_rows(e, rows, n);
			row = &rows[m->sel_row < n ? m->sel_row : n - 1];
			if (row->kind == TUI_ROW_ADDR)
				detail_addr(m, e, row->host, row->addr, &L);
			else if (row->kind == TUI_ROW_HOST)
				detail_host(e, row->host, &L);
			else {
				const mx_tier *t = mx_domain_tier(e->d, row->tier);
				addl(&L, THEME_TITLE, "Tier %zu: preference %u, %zu host%s",
				     row->tier + 1, (unsigned)t->preference, t->nhosts,
				     t->nhosts == 1 ? "" : "s");
				addl(&L, THEME_NORMAL, "%s",
				     t->nhosts > 1
				         ? "Same preference: a sender tries them in random "
				           "order (x reshuffles)."
				         : "One host at this preference.");
				if (row->tier > 0)
					addl(&L, THEME_NORMAL,
					     "A backup tier: tried only when every more preferred "
					     "host "
					     "failed. It queues mail while the primary is down.");
			}
			free(rows);
		}
	} else {
		detail_domain(m, e, &L);
	}
	pane_box(m, r, title, m->focus == TUI_P_DETAILS);
	/* a walk follows its newest step, like a log */
	if (m->walk.active && m->walk.e == e)
		m->det_top = L.n > (size_t)h ? L.n - (size_t)h : 0;
	if (L.n && m->det_top >= L.n)
		m->det_top = L.n - 1;
	for (int i = 0; i < h && m->det_top + (size_t)i < L.n; i++) {
		size_t li = m->det_top + (size_t)i;
		put(m, r.y + 1 + i, r.x + 2, r.w - 4, role(m, (theme_role)L.role[li]), L.v[li]);
	}
	lines_free(&L);
}

static void draw_findings(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	size_t n = e && e->d ? mx_domain_finding_count(e->d) : 0;
	int h = r.h - 2;
	char title[64], nb[600];

	clear_rect(r);
	snprintf(title, sizeof(title), "Findings (%zu)", n);
	pane_box(m, r, title, m->focus == TUI_P_FINDINGS);
	if (m->sel_find >= n)
		m->sel_find = n ? n - 1 : 0;
	scroll_to(&m->top_find, m->sel_find, h);
	if (n == 0 && e && e->d)
		put(m, r.y + 1, r.x + 2, r.w - 4, role(m, THEME_OK), "no findings");
	for (int i = 0; i < h && m->top_find + (size_t)i < n; i++) {
		size_t fi = m->top_find + (size_t)i;
		const mx_finding *f = mx_domain_finding(e->d, fi);
		bool sel = fi == m->sel_find && m->focus == TUI_P_FINDINGS;
		unsigned base = sel ? role(m, THEME_SELECTED) : role(m, THEME_NORMAL);
		int y = r.y + 1 + i, x = r.x + 1;
		fill(y, x, r.w - 2, base);
		x += put(m, y, x, 2, sel ? base : role(m, sev_role(f->severity)),
		         sev_glyph(f->severity));
		put(m, y, x + 1, 8, sel ? base : role(m, sev_role(f->severity)),
		    mx_severity_str(f->severity));
		putf(m, y, r.x + 12, r.w - 13, base, "%-22s %s", f->code,
		     san(f->subject, nb, sizeof(nb)));
	}
}

static void draw_log(tui_model *m, tui_rect r)
{
	int h = r.h - 2;
	size_t start;

	clear_rect(r);
	pane_box(m, r, "Log", m->focus == TUI_P_LOG);
	if (m->focus == TUI_P_LOG) {
		if (m->log_top + (size_t)h > m->nlog)
			m->log_top = m->nlog > (size_t)h ? m->nlog - (size_t)h : 0;
		start = m->log_top;
	} else {
		start = m->nlog > (size_t)h ? m->nlog - (size_t)h : 0;
		m->log_top = start;
	}
	for (int i = 0; i < h && start + (size_t)i < m->nlog; i++) {
		char nb[1600];
		const char *line = m->log[(m->log_first + start + (size_t)i) % TUI_LOG_MAX];
		put(m, r.y + 1 + i, r.x + 2, r.w - 4, role(m, THEME_NORMAL),
		    san(line, nb, sizeof(nb)));
	}
}

static void draw_status(tui_model *m)
{
	int y = m->rows - 1;
	unsigned at = role(m, THEME_STATUSBAR);

	fill(y, 0, m->cols, at);
	if (m->prompt == TUI_PR_TRAINER) {
		/* the commands as lab/trainer.h's table describes them */
		putf(m, y, 1, m->cols - 2, at, "Trainer (%s): %s_  (Enter: ok, Esc: cancel)",
		     m->trainer_usage ? m->trainer_usage : "", m->pbuf);
		return;
	}
	if (m->prompt != TUI_PR_NONE) {
		putf(m, y, 1, m->cols - 2, at, "%s %s_  (Enter: ok, Esc: cancel)",
		     m->prompt == TUI_PR_ADD ? "Add domain:" : "Filter:", m->pbuf);
		return;
	}
	if (m->msg[0]) {
		put(m, y, 1, m->cols - 2, m->msg_err ? role(m, THEME_ERROR) | A_REVERSE : at,
		    m->msg);
		return;
	}
	if (m->walk.active)
		put(m, y, 1, m->cols - 2, at,
		    "walk: + faster  - slower  space pause  n step  Esc stop  x reshuffle  q quit");
	else if (m->cols >= 110)
		put(m, y, 1, m->cols - 2, at,
		    "q quit  ? help  Tab pane  Enter open  a add  d del  / filter  r re-probe  "
		    "w walk  x shuffle  f freeze  t theme  L log");
	else
		put(m, y, 1, m->cols - 2, at,
		    "? help  q quit  a add  d del  / filter  r re-probe  w walk  f freeze  L log");
}

static const char *const help_lines[] = {
    "Up/Down, k/j      move in the pane; PgUp/PgDn page; g/G first/last",
    "Tab, Shift-Tab    next / previous pane",
    "Enter, Right, l   drill down; on a finding: its full explanation",
    "Esc, h, Left      back: close the overlay, stop the walk, clear the filter",
    "a                 add a domain",
    "d                 remove the selected domain",
    "/                 filter the list",
    "r                 re-resolve and re-probe the selected domain",
    "w                 walk the attempt order step by step",
    "  in a walk:      + faster, - slower, space pause, n step, Esc stop",
    "x                 reshuffle equal preferences with a new seed",
    "f                 freeze the display (probes go on)",
    "t                 next theme",
    "L                 show / hide the log",
    "T (lab)           trainer: a command to change the lab; the prompt lists them",
    "R (lab)           reset the scenario, as the trainer's reset does",
    "N, P (lab --tour) next / previous scenario of the tour",
    "?, q, Q           this help; quit; quit and print the domain's report",
    "mouse (--mouse)   click selects, wheel scrolls",
    "States: accepted, tempfail (4xx), rejected (5xx), refused, unreachable,",
    "connect-timeout, greeting-timeout, tls-failed, garbage, error, pending.",
    "Any key closes this help.",
};

static void draw_overlay_box(tui_model *m, tui_rect r, const char *title)
{
	clear_rect(r);
	pane_box(m, r, title, true);
}

static void draw_help(tui_model *m)
{
	size_t n = sizeof(help_lines) / sizeof(help_lines[0]);
	/* in the lab the trainer's commands follow, from lab/trainer.h's table */
	size_t nt = m->trainer_usage ? lab_trainer_cmd_count() + 1 : 0;
	int w = m->cols - 2 < 82 ? m->cols - 2 : 82, h = (int)(n + nt) + 2, y;
	tui_rect r;

	if (h > m->rows - 1)
		h = m->rows - 1; /* a short terminal loses the last lines, not the frame */
	r = (tui_rect){(m->rows - h) / 2, (m->cols - w) / 2, h, w};
	if (r.y < 1)
		r.y = 1;
	draw_overlay_box(m, r, "Keys");
	y = r.y + 1;
	for (size_t i = 0; i < n && y < r.y + r.h - 1; i++)
		put(m, y++, r.x + 2, r.w - 4, role(m, THEME_NORMAL), help_lines[i]);
	if (nt && y < r.y + r.h - 1)
		put(m, y++, r.x + 2, r.w - 4, role(m, THEME_TITLE), "Trainer commands (T):");
	for (size_t i = 0; i + 1 < nt && y < r.y + r.h - 1; i++) {
		const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);
		char cmd[40];
		snprintf(cmd, sizeof(cmd), "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
		putf(m, y++, r.x + 2, r.w - 4, role(m, THEME_NORMAL), "  %-16s %s", cmd, c->usage);
	}
}

/* Markdown emphasis and inline code marks are for editors, not for the
 * room: the explanation reads better without them. */
static void demark(char *s)
{
	char *o = s;

	for (const char *i = s; *i; i++) {
		if (i[0] == '*' && i[1] == '*') {
			i++;
			continue;
		}
		if (*i == '`')
			continue;
		*o++ = *i;
	}
	*o = '\0';
}

static void draw_doc(tui_model *m)
{
	tui_rect r = {2, 2, m->rows - 4, m->cols - 4};
	lines L = {.w = r.w - 4};
	const char *p = m->doc;

	char para[4096] = "";
	bool fence = false;

	/* findings.md is wrapped for a 100-column editor: paragraphs are joined
	 * again and wrapped to the box; headings, tables and code stay as they are */
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = (int)(nl ? (size_t)(nl - p) : strlen(p));
		bool literal = fence || len == 0 || p[0] == '#' || p[0] == '|' ||
		               strncmp(p, "```", 3) == 0 || strncmp(p, "    ", 4) == 0;
		bool item = strncmp(p, "- ", 2) == 0 || strncmp(p, "* ", 2) == 0;
		if (literal || item) {
			if (para[0]) {
				demark(para);
				addl(&L, THEME_NORMAL, "%s", para);
			}
			para[0] = '\0';
		}
		if (strncmp(p, "```", 3) == 0) {
			fence = !fence; /* the fence itself is not shown */
		} else if (literal) {
			char line[1024];
			/* "## code" shows as the code alone */
			int skip = strncmp(p, "## ", 3) == 0 ? 3 : 0;
			snprintf(line, sizeof(line), "%.*s", len - skip, p + skip);
			if (!fence)
				demark(line);
			addl(&L,
			     p[0] == '#' ? THEME_TITLE
			     : fence     ? THEME_DIM
			                 : THEME_NORMAL,
			     "%s", line);
		} else {
			size_t pl = strlen(para);
			snprintf(para + pl, sizeof(para) - pl, "%s%.*s", pl ? " " : "", len, p);
		}
		p += len + (nl ? 1 : 0);
	}
	if (para[0]) {
		demark(para);
		addl(&L, THEME_NORMAL, "%s", para);
	}
	/* the panes behind would show through at the edges: blank the body */
	clear_rect((tui_rect){1, 0, m->rows - 2, m->cols});
	draw_overlay_box(m, r, "Finding explained (Esc closes, Up/Down scroll)");
	if (L.n && m->ov_top >= L.n)
		m->ov_top = L.n - 1;
	for (int i = 0; i < r.h - 2 && m->ov_top + (size_t)i < L.n; i++) {
		size_t li = m->ov_top + (size_t)i;
		put(m, r.y + 1 + i, r.x + 2, r.w - 4, role(m, (theme_role)L.role[li]), L.v[li]);
	}
	lines_free(&L);
}

static void draw_small(tui_model *m)
{
	char text[120];
	int y = m->rows / 2;

	erase();
	snprintf(text, sizeof(text), "mxscope needs %dx%d, this terminal is %dx%d", TUI_MIN_COLS,
	         TUI_MIN_ROWS, m->cols, m->rows);
	put(m, y > 0 ? y - 1 : 0, 0, m->cols, A_BOLD, text);
	put(m, y, 0, m->cols, A_NORMAL, "make it larger, or press q to quit");
}

void tui_draw(tui_model *m)
{
	tui_rect r[TUI_P_COUNT];
	unsigned d = m->dirty;

	m->rows = LINES;
	m->cols = COLS;
	if (tui_too_small(m)) {
		draw_small(m);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (m->ov != TUI_OV_NONE)
		d = TUI_D_ALL; /* an overlay covers parts of every pane */
	tui_layout(m, r);
	if (d & TUI_D_HEADER)
		draw_header(m);
	if (d & (1u << TUI_P_DOMAINS))
		draw_domains(m, r[TUI_P_DOMAINS]);
	if (d & (1u << TUI_P_TIERS))
		draw_tiers(m, r[TUI_P_TIERS]);
	if (d & (1u << TUI_P_DETAILS))
		draw_details(m, r[TUI_P_DETAILS]);
	if (d & (1u << TUI_P_FINDINGS))
		draw_findings(m, r[TUI_P_FINDINGS]);
	if (m->show_log && (d & (1u << TUI_P_LOG)))
		draw_log(m, r[TUI_P_LOG]);
	if (d & TUI_D_STATUS)
		draw_status(m);
	if (m->ov == TUI_OV_HELP)
		draw_help(m);
	else if (m->ov == TUI_OV_DOC)
		draw_doc(m);
	wnoutrefresh(stdscr);
	doupdate();
}

char *tui_screen_text(const tui_model *m)
{
	size_t cap = (size_t)(m->rows * (m->cols * 4 + 1)) + 1, o = 0;
	char *out = malloc(cap);
	wchar_t *row = calloc((size_t)m->cols + 1, sizeof(*row));

	if (!out || !row) {
		free(out);
		free(row);
		return NULL;
	}
	for (int y = 0; y < m->rows; y++) {
		int n = mvwinnwstr(stdscr, y, 0, row, m->cols);
		mbstate_t ps;
		memset(&ps, 0, sizeof(ps));
		for (int i = 0; i < n && row[i]; i++) {
			char mb[MB_LEN_MAX];
			size_t k = wcrtomb(mb, row[i], &ps);
			if (k == (size_t)-1) {
				mb[0] = '?';
				k = 1;
			}
			if (o + k + 2 < cap) {
				memcpy(out + o, mb, k);
				o += k;
			}
		}
		while (o && out[o - 1] == ' ')
			o--;
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(row);
	return out;
}
