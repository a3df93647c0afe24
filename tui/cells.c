/* tui/cells.c — text into screen cells for draw.c: UTF-8 cut to a width
 * with an ellipsis, --ascii stand-ins, network text sanitised, pane frames,
 * and word-wrapped line lists for the details pane and the overlays. */
#include "tui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "report.h"

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
	case 0x2022: return "o"; /* the walk's "tried" mark */
	case 0x25b6: return ">"; /* the walk's current attempt */
	case 0x2205: return "-"; /* no mail */
	case 0x2691: return "!"; /* listed */
	case 0x2502: return "|";
	case 0x2581:
	case 0x2582: return "_";
	case 0x2583:
	case 0x2584: return "-";
	case 0x2585:
	case 0x2586: return "=";
	case 0x2587:
	case 0x2588: return "#";
	case 0x201c:
	case 0x201d: return "\"";
	case 0x2018:
	case 0x2019: return "'";
	default: return "?";
	}
}

/* One UTF-8 character of s (len > 0 bytes) into *wc; returns the bytes it
 * took. Our texts and sanitised network text are UTF-8 whatever the locale
 * says, so they are decoded here rather than with mbrtowc (which, under
 * LANG=C, would turn every byte of a glyph into a '?'). A bad sequence is
 * one '?' per byte. */
static size_t utf8_dec(const char *s, size_t len, wchar_t *wc)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = u[0] < 0x80                   ? 1
	           : u[0] >= 0xf0 && u[0] < 0xf5 ? 4
	           : u[0] >= 0xe0                ? 3
	           : u[0] >= 0xc2                ? 2
	                                         : 0;
	unsigned long c;

	if (n == 1 || n == 0 || n > len) {
		*wc = n == 1 ? (wchar_t)u[0] : L'?';
		return 1;
	}
	c = u[0] & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*wc = L'?';
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	*wc = (wchar_t)c;
	return n;
}

/* Converts UTF-8 s into at most w columns of wide characters, with an
 * ellipsis where it is cut. Returns the count of wchar_t written to out
 * (cap >= 4) and the columns in *cols. */
static size_t to_cells(const tui_model *m, const char *s, int w, wchar_t *out, size_t cap,
                       int *cols)
{
	size_t n = 0, len = strlen(s), pos = 0;
	int used = 0;
	const int ell_w = m->ascii ? 3 : 1;
	size_t cut_n = 0;
	int cut_used = 0;
	bool cut = false;

	while (pos < len && n + 4 < cap) {
		wchar_t wc, tmp[4];
		size_t nt = 0;
		int cw = 0;
		pos += utf8_dec(s + pos, len - pos, &wc);
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

/* Draws s at y,x in at most w columns; returns the columns used. The
 * terminal rule is applied here, where every cell is written: a text that
 * reached a pane without tui_san (a recorded field, a theme's, a config's)
 * still shows a control or bidi byte as a visible escape. */
int tui_put(const tui_model *m, int y, int x, int w, unsigned attr, const char *s)
{
	wchar_t buf[LINE_MAX_BYTES];
	int cols = 0;
	size_t n;
	char *safe;

	if (w <= 0)
		return 0;
	safe = mx_sanitize(s);
	n = to_cells(m, safe ? safe : "?", w, buf, sizeof(buf) / sizeof(buf[0]), &cols);
	free(safe);
	attrset(attr);
	if (n)
		mvaddnwstr(y, x, buf, (int)n);
	attrset(A_NORMAL);
	return cols;
}

int tui_putf(const tui_model *m, int y, int x, int w, unsigned attr, const char *fmt, ...)
{
	char buf[LINE_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tui_put(m, y, x, w, attr, buf);
}

void tui_fill(int y, int x, int w, unsigned attr)
{
	if (w <= 0)
		return;
	attrset(attr);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void tui_clear_rect(tui_rect r)
{
	for (int i = 0; i < r.h; i++)
		tui_fill(r.y + i, r.x, r.w, A_NORMAL);
}

/* Network text for a cell: sanitised into buf. */
const char *tui_san(const char *s, char *buf, size_t cap)
{
	char *c = mx_sanitize(s ? s : "");

	snprintf(buf, cap, "%s", c ? c : "?");
	free(c);
	return buf;
}

unsigned tui_role(const tui_model *m, theme_role r)
{
	return theme_attr(m->th, r);
}

static void cell(int y, int x, const wchar_t *wc, unsigned attr)
{
	cchar_t cc;

	setcchar(&cc, wc, attr & ~A_COLOR, (short)PAIR_NUMBER(attr), NULL);
	mvadd_wch(y, x, &cc);
}

void tui_pane_box(const tui_model *m, tui_rect r, const char *title, bool focus)
{
	unsigned at = tui_role(m, focus ? THEME_BORDER_FOCUS : THEME_BORDER);
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
		tui_putf(m, r.y, r.x + 2, r.w - 4,
		         tui_role(m, focus ? THEME_BORDER_FOCUS : THEME_TITLE), "%s%s ",
		         focus ? ">" : " ", title);
}

void tui_pane_pos(const tui_model *m, tui_rect r, size_t at, size_t n, bool fits)
{
	char pos[48];
	int len;

	if (fits || n == 0 || r.h < 2)
		return;
	len = snprintf(pos, sizeof(pos), " %zu/%zu ", at > n ? n : at, n);
	if (len + 4 > r.w)
		return;
	tui_put(m, r.y + r.h - 1, r.x + r.w - 2 - len, len, tui_role(m, THEME_BORDER), pos);
}

void tui_scroll_to(size_t *top, size_t sel, int h)
{
	if (h <= 0)
		return;
	if (sel < *top)
		*top = sel;
	if (sel >= *top + (size_t)h)
		*top = sel - (size_t)h + 1;
}

/* ---- the details pane: lines, wrapped ----------------------------------- */

static void add_raw(tui_lines *L, theme_role r, const char *s, size_t len)
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
	size_t pos = 0;
	int cols = 0;

	while (pos < len) {
		wchar_t wc;
		int c;
		pos += utf8_dec(s + pos, len - pos, &wc);
		c = wc < 0x80 ? 1 : wcwidth(wc);
		cols += c < 0 ? 1 : c;
	}
	return cols;
}

/* Adds text word-wrapped to the pane width; '\n' starts a new line. */

void tui_addl(tui_lines *L, theme_role r, const char *fmt, ...)
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

void tui_lines_free(tui_lines *L)
{
	for (size_t i = 0; i < L->n; i++)
		free(L->v[i]);
	free(L->v);
	free(L->role);
}
