/* tui/findings.c — the findings pane: worst first, the findings of one
 * code grouped into one row with a count, each row naming the hosts and
 * addresses it is about; the details pane shows every message of the
 * selected group. */
#include "tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

size_t tui_fgroups(const mx_domain *d, tui_fgroup *g, size_t max)
{
	size_t n = 0, nf = d ? mx_domain_finding_count(d) : 0;

	/* severities from worst down; within one, the order core found them */
	for (int sev = MX_SEV_ERROR; sev >= 0; sev--)
		for (size_t i = 0; i < nf; i++) {
			const mx_finding *f = mx_domain_finding(d, i);
			bool seen = false;
			if ((int)f->severity != sev)
				continue;
			for (size_t j = 0; j < i && !seen; j++)
				seen = mx_domain_finding(d, j)->id == f->id;
			if (seen)
				continue;
			if (g && n < max) {
				g[n] = (tui_fgroup){.first = i, .count = 0};
				for (size_t j = i; j < nf; j++)
					g[n].count += mx_domain_finding(d, j)->id == f->id;
			}
			n++;
		}
	return n;
}

/* An address subject names its host too: "mx1.example (192.0.2.1)". */
static const char *name_subject(const mx_domain *d, const char *subj, char *out, size_t cap)
{
	char nb[600], hb[600];

	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++)
			if (strcmp(h->addrs[k].ip, subj) == 0) {
				snprintf(out, cap, "%s (%s)", tui_san(h->exchange, hb, sizeof(hb)),
				         tui_san(subj, nb, sizeof(nb)));
				return out;
			}
	}
	return tui_san(subj, out, cap);
}

/* "mx1.example (192.0.2.1), mx2.example" : every subject of the group */
static void subjects(const mx_domain *d, const tui_fgroup *g, char *out, size_t cap)
{
	const mx_finding *f0 = mx_domain_finding(d, g->first);
	size_t o = 0;
	char nb[1300];

	out[0] = '\0';
	for (size_t j = g->first; j < mx_domain_finding_count(d) && o + 8 < cap; j++) {
		const mx_finding *f = mx_domain_finding(d, j);
		if (f->id != f0->id)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? ", " : "",
		                      name_subject(d, f->subject, nb, sizeof(nb)));
	}
}

void tui_finding_details(const tui_model *m, const tui_entry *e, tui_lines *L)
{
	size_t n = tui_fgroups(e->d, NULL, 0);
	tui_fgroup *g = calloc(n ? n : 1, sizeof(*g));
	const mx_finding *f;
	char nb[1200];

	if (!g || !n) {
		free(g);
		return;
	}
	tui_fgroups(e->d, g, n);
	f = mx_domain_finding(e->d, g[m->sel_find < n ? m->sel_find : 0].first);
	tui_addl(L, sev_role(f->severity), "%s %s (%s)%s", mx_severity_str(f->severity), f->code,
	         f->reference,
	         g[m->sel_find < n ? m->sel_find : 0].count > 1 ? ", every one:" : "");
	for (size_t j = 0; j < mx_domain_finding_count(e->d); j++)
		if (mx_domain_finding(e->d, j)->id == f->id)
			tui_addl(L, THEME_NORMAL, "%s",
			         tui_san(mx_domain_finding(e->d, j)->message, nb, sizeof(nb)));
	tui_addl(L, THEME_DIM, "Enter: the full explanation");
	free(g);
}

void tui_draw_findings(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	size_t n = e && e->d ? tui_fgroups(e->d, NULL, 0) : 0;
	size_t nf = e && e->d ? mx_domain_finding_count(e->d) : 0;
	tui_fgroup *g = calloc(n ? n : 1, sizeof(*g));
	int h = r.h - 2;
	char title[64], subj[1200], msg[1200];

	tui_clear_rect(r);
	snprintf(title, sizeof(title), nf == n ? "Findings (%zu)" : "Findings (%zu in %zu rows)",
	         nf, n);
	tui_pane_box(m, r, title, m->focus == TUI_P_FINDINGS);
	if (!g)
		return;
	if (n)
		tui_fgroups(e->d, g, n);
	if (m->sel_find >= n)
		m->sel_find = n ? n - 1 : 0;
	tui_scroll_to(&m->top_find, m->sel_find, h);
	if (n == 0 && e && e->d)
		tui_put(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_OK), "no findings");
	for (int i = 0; i < h && m->top_find + (size_t)i < n; i++) {
		size_t fi = m->top_find + (size_t)i;
		const mx_finding *f = mx_domain_finding(e->d, g[fi].first);
		bool sel = fi == m->sel_find && m->focus == TUI_P_FINDINGS;
		unsigned base = sel ? tui_role(m, THEME_SELECTED) : tui_role(m, THEME_NORMAL);
		unsigned sat = tui_role(m, sev_role(f->severity));
		int y = r.y + 1 + i, x = r.x + 1;
		char code[64];
		tui_fill(y, x, r.w - 2, base);
		x += tui_put(m, y, x, 2, sat, sev_glyph(f->severity));
		tui_put(m, y, x + 1, 8, sat, mx_severity_str(f->severity));
		if (g[fi].count > 1)
			snprintf(code, sizeof(code), "%s x%zu", f->code, g[fi].count);
		else
			snprintf(code, sizeof(code), "%s", f->code);
		subjects(e->d, &g[fi], subj, sizeof(subj));
		x = r.x + 12;
		/* a narrow pane gives the subject the code column's padding */
		x += tui_putf(m, y, x, r.w - 13, base, "%-*s %s",
		              r.w - 13 < 23 + (int)strlen(subj) ? 0 : 22, code, subj);
		/* the message when there is room, after the subject, which always
		 * comes first; a short stub of it would say nothing */
		if (r.x + r.w - 1 - (x + 2) >= 24)
			tui_putf(m, y, x + 2, r.x + r.w - 1 - (x + 2),
			         tui_role(m, sel ? THEME_SELECTED : THEME_DIM), "%s",
			         tui_san(f->message, msg, sizeof(msg)));
	}
	tui_pane_pos(m, r, m->sel_find + 1, n, n <= (size_t)h);
	free(g);
}
