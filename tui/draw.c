/* tui/draw.c — drawing the explorer's model: layout, panes, overlays and
 * the bars, all on stdscr, each pane only when it is dirty. Text reaches
 * cells through cells.c: network text via tui_san() (mx_sanitize), and
 * --ascii turns every character above 0x7f into plain ASCII. */
#include "tui_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "mx_auth.h"
#include "report.h"
#include "sender.h"
#include "trainer.h"

/* ---- words and glyphs --------------------------------------------------- */

/* Where the mail ends up, as the list says it: "mx1", "-> backup mx2 (20)"
 * ("->mx2" when narrow), "none", "no mail"; "..." while the probes are
 * out, "-" without probes. */
static void delivers_to(const tui_model *m, const tui_entry *e, bool wide, bool no_probe, char *out,
                        size_t cap)
{
	const mx_attempt *dv;
	const mx_host *h;
	const mx_tier *t0;
	char nb[600];
	size_t lab1;

	out[0] = '\0';
	if (!e->d)
		return;
	if (mx_domain_null_mx(e->d) && !strcmp(mx_domain_status(e->d), "no mail")) {
		snprintf(out, cap, "%s", wide ? "no mail" : "-");
		return;
	}
	if (!mx_domain_walked(e->d)) {
		/* no walk yet: the probes are still out (or never go out) */
		snprintf(out, cap, "%s",
		         mx_domain_attempt_count(e->d) == 0 ? "none"
		         : no_probe                         ? "-"
		                                            : "\xe2\x80\xa6");
		return;
	}
	if (!(dv = tui_delivered(m, e))) { /* as the followed sender (S) */
		snprintf(out, cap, "none");
		return;
	}
	h = mx_domain_host(e->d, dv->host);
	t0 = mx_domain_tier(e->d, 0);
	tui_san(h->exchange, nb, sizeof(nb));
	lab1 = strcspn(nb, ".");
	if (t0 && h->preference != t0->preference)
		snprintf(out, cap, wide ? "\xe2\x86\x92 backup %.*s (%u)" : "\xe2\x86\x92%.*s",
		         (int)(lab1 > 40 ? 40 : lab1), nb, (unsigned)h->preference);
	else
		snprintf(out, cap, "%.*s", (int)(lab1 > 40 ? 40 : lab1), nb);
}

/* ---- layout --------------------------------------------------------------- */

bool tui_too_small(const tui_model *m)
{
	return m->rows < TUI_MIN_ROWS || m->cols < TUI_MIN_COLS;
}

/* The domains pane: a width for the screen's size, moved by the user's <
 * and >, at least 30 columns and leaving the other panes 46 and two fifths
 * of the screen. */
static int domains_width(const tui_model *m)
{
	int W = m->cols, lo = 30, hi = W - 46 < W * 3 / 5 ? W - 46 : W * 3 / 5;
	int want = (W >= 160 ? 60 : W >= 120 ? 50 : 34) + m->dom_extra;

	if (hi < lo)
		hi = lo;
	return want < lo ? lo : want > hi ? hi : want;
}

void tui_layout(const tui_model *m, tui_rect r[TUI_P_COUNT])
{
	int H = m->rows, W = m->cols;
	int logh = m->show_log ? (H >= 40 ? 10 : H >= 30 ? 7 : 5) : 0;
	int mainh = H - 2 - logh;
	int dw = domains_width(m);
	int fh = mainh >= 36 ? 10 : 6;
	int th = mainh >= 36 ? (mainh - fh) * 2 / 5 : (mainh - fh) / 2 + 1;

	r[TUI_P_DOMAINS] = (tui_rect){1, 0, mainh, dw};
	r[TUI_P_TIERS] = (tui_rect){1, dw, th, W - dw};
	r[TUI_P_DETAILS] = (tui_rect){1 + th, dw, mainh - th - fh, W - dw};
	r[TUI_P_FINDINGS] = (tui_rect){1 + mainh - fh, dw, fh, W - dw};
	r[TUI_P_LOG] = (tui_rect){1 + mainh, 0, logh, W};
	if (m->zoom) {
		/* z: the focused pane alone, for 80x24 and projectors */
		for (int p = 0; p < TUI_P_COUNT; p++)
			r[p] = (tui_rect){0, 0, 0, 0};
		r[m->focus] = (tui_rect){1, 0, H - 2, W};
	}
}

/* ---- panes ---------------------------------------------------------------- */

/* One word group of the header, and how much it matters when the line is
 * short: groups are dropped whole, least important first, never cut in the
 * middle (at 80 columns FROZEN once ate into "opportunistic"). */
typedef struct header_part {
	char text[160];
	theme_role role;
	int rank;     /* 0 always shown; higher goes first */
	char alt[48]; /* a shorter way to say it, tried before anything goes */
} header_part;

static void draw_header(tui_model *m)
{
	char clock[16], frozen[48] = "";
	time_t t = time(NULL);
	struct tm tm;
	header_part p[8];
	size_t np = 0;
	int right, width = 0, x = 1;

	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	tui_fill(0, 0, m->cols, A_NORMAL);
	p[np++] = (header_part){.text = "mxscope", .role = THEME_TITLE, .rank = 0};
	p[np] = (header_part){.text = "", .role = THEME_NORMAL, .rank = 0};
	snprintf(p[np++].text, sizeof(p[0].text), "%zu domain%s%s", m->ne, m->ne == 1 ? "" : "s",
	         m->filter[0] ? " (filtered)" : "");
	if (m->list_note[0]) {
		p[np] = (header_part){.text = "", .role = THEME_NORMAL, .rank = 4};
		snprintf(p[np++].text, sizeof(p[0].text), "%s", m->list_note);
	}
	p[np] = (header_part){.text = "", .role = THEME_NORMAL, .rank = 5};
	snprintf(p[np++].text, sizeof(p[0].text), "theme %s", m->th ? theme_name(m->th) : "-");
	if (m->lab || m->replay) {
		p[np] = (header_part){.text = "", .role = THEME_NORMAL, .rank = 1};
		snprintf(p[np++].text, sizeof(p[0].text), "%s%s%s", m->lab ? "LAB" : "",
		         m->lab && m->replay ? "  " : "", m->replay ? m->replay : "");
	}
	if (m->tour && m->lab) {
		p[np] = (header_part){.text = "", .role = THEME_INFO, .rank = 2};
		snprintf(p[np].text, sizeof(p[0].text), "tour: scenario %zu of %zu", m->tour_at + 1,
		         lab_world_scenario_count(m->lab));
		snprintf(p[np++].alt, sizeof(p[0].alt), "tour %zu/%zu", m->tour_at + 1,
		         lab_world_scenario_count(m->lab));
	}
	/* whose walk the screen follows: S switches it */
	p[np] = (header_part){.text = "", .role = THEME_INFO, .rank = 1};
	snprintf(p[np++].text, sizeof(p[0].text), "sender %s%s%s",
	         sender_profile_name((sender_profile)m->sender), m->mta != MTA_RFC ? " as " : "",
	         m->mta != MTA_RFC ? mta_name((mta_kind)m->mta) : "");
	/* said once, here, rather than by every domain blaming its hosts */
	if (m->egress_blocked)
		p[np++] = (header_part){.text = "EGRESS BLOCKED? port 25 times out everywhere",
		                        .role = THEME_ERROR,
		                        .rank = 1};
	right = m->cols - 10; /* the clock */
	if (m->frozen) {
		snprintf(frozen, sizeof(frozen), " FROZEN %llus ",
		         (unsigned long long)((tui_now_ms() - m->frozen_at) / 1000));
		right -= (int)strlen(frozen) + 1;
	}
	/* "mxscope 3 domains  theme default  sender ...": one blank after the
	 * name, two between the groups */
	for (size_t i = 0; i < np; i++)
		width += (int)strlen(p[i].text) + (i > 1 ? 2 : i);
	/* the short forms first, then whole groups, the least important first,
	 * until the line fits */
	for (size_t i = 0; i < np && x + width > right; i++)
		if (p[i].alt[0]) {
			width -= (int)strlen(p[i].text) - (int)strlen(p[i].alt);
			/* alt (48 bytes) always fits text (160) */
			memcpy(p[i].text, p[i].alt, strlen(p[i].alt) + 1);
		}
	for (int rank = 5; rank > 0 && x + width > right; rank--)
		for (size_t i = np; i-- > 0 && x + width > right;)
			if (p[i].rank == rank && p[i].text[0]) {
				width -= (int)strlen(p[i].text) + 2;
				p[i].text[0] = '\0';
			}
	for (size_t i = 0; i < np; i++) {
		if (!p[i].text[0] || x >= right)
			continue;
		x += tui_put(m, 0, x, right - x, tui_role(m, p[i].role), p[i].text) + (i ? 2 : 1);
	}
	if (m->frozen)
		tui_put(m, 0, m->cols - 10 - (int)strlen(frozen), (int)strlen(frozen),
		        tui_role(m, THEME_FROZEN), frozen);
	tui_put(m, 0, m->cols - 9, 8, tui_role(m, THEME_TITLE), clock);
}

static void draw_domains(tui_model *m, tui_rect r)
{
	size_t n = tui_visible(m, NULL, 0), *idx = calloc(n ? n : 1, sizeof(*idx));
	int h = r.h - 2;
	char title[400];
	bool wide = r.w >= 46;
	int avail = r.w - 14, namew = 0, dwid = 0;
	char kn[32];

	tui_clear_rect(r);
	if (m->filter[0])
		snprintf(title, sizeof(title), "Domains %zu/%zu /%s", n, m->ne, m->filter);
	else
		snprintf(title, sizeof(title), "Domains (%zu)%s%s%s", m->ne,
		         m->sort == TUI_SORT_STATUS ? " by status"
		         : m->sort == TUI_SORT_NAME ? " by name"
		                                    : "",
		         /* the delivers-to column follows the sender S picks */
		         m->sender != SENDER_OPPORTUNISTIC ? " as " : "",
		         m->sender != SENDER_OPPORTUNISTIC
		             ? sender_profile_name((sender_profile)m->sender)
		             : "");
	tui_pane_box(m, r, title, m->focus == TUI_P_DOMAINS);
	if (!idx)
		return;
	tui_visible(m, idx, n);
	if (m->sel_dom >= n)
		m->sel_dom = n ? n - 1 : 0;
	tui_scroll_to(&m->top_dom, m->sel_dom, h);
	if (n == 0 && m->ne)
		tui_put(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_DIM), "no domain matches");
	else if (n == 0)
		tui_putf(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, THEME_DIM),
		         "no domains: press %s to add one",
		         tui_keymap_first(m->km, "add-domain", "-", kn, sizeof(kn)));
	/* the names get what the delivers-to column of the rows shown leaves */
	for (int i = 0; i < h && m->top_dom + (size_t)i < n; i++) {
		const tui_entry *e = m->e[idx[m->top_dom + (size_t)i]];
		char dv[160];
		int nl = (int)strlen(e->name), dl = 0;
		delivers_to(m, e, wide, m->no_probe, dv, sizeof(dv));
		for (const char *p = dv; *p; p++)
			dl += (*p & 0xc0) != 0x80; /* columns: one per character here */
		namew = nl > namew ? nl : namew;
		dwid = dl > dwid ? dl : dwid;
	}
	if (namew + 1 + dwid > avail)
		namew = avail - 1 - dwid < avail / 2 ? avail / 2 : avail - 1 - dwid;
	dwid = avail - 1 - namew;
	for (int i = 0; i < h && m->top_dom + (size_t)i < n; i++) {
		size_t vi = m->top_dom + (size_t)i;
		const tui_entry *e = m->e[idx[vi]];
		const char *g, *w;
		theme_role sr;
		bool sel = vi == m->sel_dom;
		unsigned base = sel ? tui_role(m, THEME_SELECTED) : tui_role(m, THEME_NORMAL);
		int y = r.y + 1 + i, x = r.x + 1;
		char dv[160];
		w = tui_entry_status(e, &g, &sr);
		tui_fill(y, x, r.w - 2, base);
		/* the status keeps its colour on the selected row too */
		x += tui_put(m, y, x, 2, tui_role(m, sr), g);
		tui_put(m, y, x + 1, 8, tui_role(m, sr), w);
		delivers_to(m, e, wide, m->no_probe, dv, sizeof(dv));
		tui_put(m, y, r.x + 12, namew, base, e->name);
		tui_put(m, y, r.x + 13 + namew, dwid, base, dv);
	}
	tui_pane_pos(m, r, m->sel_dom + 1, n, n <= (size_t)h);
	free(idx);
}

static long ttl_left(const tui_entry *e, uint32_t ttl)
{
	long gone = (long)((tui_now_ms() - e->got_ms) / 1000);
	return (long)ttl > gone ? (long)ttl - gone : 0;
}

/* Returns the line index of the SRV section (SIZE_MAX when none shows):
 * SRV is asked only once that line has been on screen. */
static size_t detail_domain(const tui_model *m, const tui_entry *e, tui_lines *L)
{
	size_t srv_at = SIZE_MAX;
	char nb[600];

	tui_addl(L, THEME_TITLE, "%s", e->name);
	if (e->scenario >= 0 && m->lab && (size_t)e->scenario < lab_world_scenario_count(m->lab)) {
		tui_addl(L, THEME_INFO, "Lab: %s", lab_scenario_title(m->lab, (size_t)e->scenario));
		tui_addl(L, THEME_NORMAL, "%s", lab_scenario_explain(m->lab, (size_t)e->scenario));
	}
	if (!e->d) {
		tui_addl(L, THEME_PENDING, "resolving: MX question sent");
	} else {
		const mx_attempt *dv = tui_delivered(m, e);
		tui_addl(L, THEME_NORMAL, "status %s   MX answer %s%s%s", mx_domain_status(e->d),
		         mx_rcode_str(mx_domain_mx_rcode(e->d)), mx_domain_mx_why(e->d) ? ": " : "",
		         mx_domain_mx_why(e->d) ? tui_san(mx_domain_mx_why(e->d), nb, sizeof(nb))
		                                : "");
		tui_addl(L, THEME_NORMAL, "%zu host%s in %zu tier%s, %zu attempt%s, seed %llu",
		         mx_domain_host_count(e->d), mx_domain_host_count(e->d) == 1 ? "" : "s",
		         mx_domain_tier_count(e->d), mx_domain_tier_count(e->d) == 1 ? "" : "s",
		         mx_domain_attempt_count(e->d),
		         mx_domain_attempt_count(e->d) == 1 ? "" : "s",
		         (unsigned long long)e->seed);
		if (dv) {
			const mx_host *h = mx_domain_host(e->d, dv->host);
			/* as the followed sender (S); Senders below has them all */
			tui_addl(L, THEME_OK, "delivered to %s (%s), pref %u",
			         tui_san(h->exchange, nb, sizeof(nb)), h->addrs[dv->addr].ip,
			         (unsigned)h->preference);
		} else if (mx_domain_walked(e->d) && tui_egress_judged(e->d)) {
			/* egress-blocked: the timeouts say nothing about these hosts */
			tui_addl(L, THEME_WARN,
			         "not judged: every connection timed out, as for other domains: "
			         "port 25 is probably blocked from here (egress-blocked)");
		} else if (mx_domain_walked(e->d)) {
			tui_addl(L, THEME_ERROR, "no host accepts the mail");
		}
		tui_details_domain_senders(m, e, L);
		srv_at = L->n;
		/* RFC 6186: where mail clients submit and read, beside the MX view;
		 * asked only once this section has been shown (srv_wanted) */
		if (mx_domain_srv_count(e->d))
			tui_addl(L, THEME_TITLE, "Mail client services");
		else if (!m->replay && !(e->srv_asked && !e->resolving))
			tui_addl(L, THEME_DIM, "Mail client services (SRV): asking...");
		for (size_t i = 0; i < mx_domain_srv_count(e->d); i++) {
			const mx_srv *s = mx_domain_srv(e->d, i);
			char tb[600];
			if (s->target[0])
				tui_addl(L, THEME_NORMAL, "  %s  %s:%u  prio %u weight %u",
				         tui_san(s->service, nb, sizeof(nb)),
				         tui_san(s->target, tb, sizeof(tb)), (unsigned)s->port,
				         (unsigned)s->priority, (unsigned)s->weight);
			else
				tui_addl(L, THEME_DIM, "  %s  . (not offered)",
				         tui_san(s->service, nb, sizeof(nb)));
		}
	}
	return srv_at;
}

static void detail_addr(const tui_model *m, const tui_entry *e, size_t hi, size_t k, tui_lines *L)
{
	const mx_host *h = mx_domain_host(e->d, hi);
	const mx_addr *ad = &h->addrs[k];
	const probe_result *p = ad->probe;
	char nb[PROBE_GREETING_MAX * 4 + 16];

	tui_addl(L, THEME_TITLE, "%s  %s (IPv%d)", ad->ip, tui_san(h->exchange, nb, sizeof(nb)),
	         ad->family);
	tui_addl(L, THEME_NORMAL, "A%s TTL %u s, %ld s left", ad->family == 6 ? "AAAA" : "",
	         ad->ttl, ttl_left(e, ad->ttl));
	if (ad->ptr) { /* reverse DNS (net/auth.c), the greeting's name beside it */
		char *t = mx_ptr_text(ad->ptr, p);
		tui_addl(L, ad->ptr->forward_confirmed ? THEME_OK : THEME_WARN, "%s",
		         t ? tui_san(t, nb, sizeof(nb)) : "PTR ?");
		free(t);
	}
	for (size_t i = 0; i < ad->nblocklists; i++) {
		const blr_result *b = ad->blocklists[i];
		char *line = blr_result_line(b);
		if (i == 0)
			tui_addl(L, THEME_TITLE, "Blocklists");
		tui_addl(L,
		         b->state == BLR_LISTED        ? THEME_LISTED
		         : b->state == BLR_UNAVAILABLE ? THEME_WARN
		                                       : THEME_OK,
		         "  %s", line ? tui_san(line, nb, sizeof(nb)) : b->provider);
		free(line);
	}
	if (!p) {
		tui_addl(L, THEME_PENDING, "%s",
		         m->no_probe ? "not probed (--no-probe)" : "probe pending");
		return;
	}
	tui_addl(L, tui_state_role(p->state), "%s: %s", probe_state_word(p->state),
	         probe_state_meaning(p->state));
	if (p->code)
		tui_addl(L, THEME_NORMAL, "greeting %d %s", p->code,
		         tui_san(p->greeting, nb, sizeof(nb)));
	{
		/* only the times that were measured: a host that never answered
		 * has no greeting, EHLO or TLS time to show */
		static const char *const what[] = {"connect", "greeting", "ehlo", "tls", "total"};
		long v[] = {p->t.connect, p->t.greeting, p->t.ehlo, p->t.tls, p->t.total};
		char tb[200];
		size_t o = 0;
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && o + 30 < sizeof(tb); i++)
			if (v[i] >= 0)
				o += (size_t)snprintf(tb + o, sizeof(tb) - o, "  %s %ld", what[i],
				                      v[i]);
		if (o)
			tui_addl(L, THEME_NORMAL, "times ms:%s", tb);
	}
	tui_details_tls(p, L);
	tui_details_rcpt(p, L);
	if (p->transcript) {
		const char *s = p->transcript;
		tui_addl(L, THEME_TITLE, "Transcript%s", p->transcript_cut ? " (cut)" : "");
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			char line[PROBE_EHLO_LINE_MAX + 8];
			snprintf(line, sizeof(line), "%.*s", (int)(len < 512 ? len : 512), s);
			tui_addl(L, THEME_NORMAL, "  %s", tui_san(line, nb, sizeof(nb)));
			s += len + (nl ? 1 : 0);
		}
	}
}

static void detail_host(const tui_entry *e, size_t hi, tui_lines *L)
{
	const mx_host *h = mx_domain_host(e->d, hi);
	char nb[600];

	tui_addl(L, THEME_TITLE, "%s", tui_san(h->exchange, nb, sizeof(nb)));
	tui_addl(L, THEME_NORMAL, "%s %u, TTL %u s, %ld s left",
	         h->implicit ? "implicit MX, pref" : "MX", (unsigned)h->preference, h->ttl,
	         ttl_left(e, h->ttl));
	if (h->cname)
		tui_addl(L, THEME_WARN, "alias (CNAME) for %s", tui_san(h->cname, nb, sizeof(nb)));
	tui_addl(L, THEME_NORMAL, "A %s, AAAA %s", mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc));
	for (size_t k = 0; k < h->naddrs; k++)
		tui_addl(L, THEME_NORMAL, "  %s %-15s TTL %u s, %ld s left",
		         h->addrs[k].family == 6 ? "AAAA" : "A   ", h->addrs[k].ip, h->addrs[k].ttl,
		         ttl_left(e, h->addrs[k].ttl));
	tui_details_tlsa(h, L);
}

static void draw_details(tui_model *m, tui_rect r)
{
	tui_entry *e = tui_selected(m);
	tui_lines L = {.w = r.w - 4};
	int h = r.h - 2;
	const char *title = "Details";
	size_t srv_at = SIZE_MAX;

	tui_clear_rect(r);
	if (!e) {
		char ka[32], kh[32];
		tui_addl(&L, THEME_DIM,
		         "mxscope shows where mail for a domain goes. Press %s to add a "
		         "domain, %s for every key.",
		         tui_keymap_first(m->km, "add-domain", "-", ka, sizeof(ka)),
		         tui_keymap_first(m->km, "help", "-", kh, sizeof(kh)));
	} else if (m->walk.active && m->walk.e == e && e->d) {
		title = "Walk";
		tui_detail_walk(m, e, &L);
	} else if (m->cmds && e->d) {
		title = "Commands";
		tui_cmdview_lines(m, e, &L);
	} else if (m->focus == TUI_P_FINDINGS && e->d && mx_domain_finding_count(e->d)) {
		title = "Finding";
		tui_finding_details(m, e, &L);
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
				tui_addl(&L, THEME_TITLE, "Tier %zu: preference %u, %zu host%s",
				         row->tier + 1, (unsigned)t->preference, t->nhosts,
				         t->nhosts == 1 ? "" : "s");
				char kx[32];
				if (t->nhosts > 1)
					tui_addl(&L, THEME_NORMAL,
					         "Same preference: a sender tries them in random "
					         "order (%s reshuffles).",
					         tui_keymap_first(m->km, "reshuffle", "-", kx,
					                          sizeof(kx)));
				else
					tui_addl(&L, THEME_NORMAL, "One host at this preference.");
				if (row->tier > 0)
					tui_addl(
					    &L, THEME_NORMAL,
					    "A backup tier: tried only when every more preferred "
					    "host "
					    "failed. It queues mail while the primary is down.");
			}
			free(rows);
		}
	} else {
		srv_at = detail_domain(m, e, &L);
	}
	tui_pane_box(m, r, title, m->focus == TUI_P_DETAILS);
	/* a walk follows its newest step, like a log, but keeps its first
	 * step in sight: the lines up to it stay pinned above the newest */
	if (m->walk.active && m->walk.e == e && L.n > (size_t)h && h >= 4 &&
	    m->walk.pin + (size_t)h - 2 < L.n) {
		/* the first step's line, a mark for what is left out, the newest */
		size_t rest = (size_t)h - 2;
		tui_put(m, r.y + 1, r.x + 2, r.w - 4, tui_role(m, (theme_role)L.role[m->walk.pin]),
		        L.v[m->walk.pin]);
		tui_putf(m, r.y + 2, r.x + 2, r.w - 4, tui_role(m, THEME_DIM), "%s %zu more lines",
		         m->ascii ? "..." : "\xe2\x8b\xae", L.n - rest - m->walk.pin - 1);
		for (size_t i = 0; i < rest; i++) {
			size_t li = L.n - rest + i;
			tui_put(m, r.y + 3 + (int)i, r.x + 2, r.w - 4,
			        tui_role(m, (theme_role)L.role[li]), L.v[li]);
		}
		tui_lines_free(&L);
		return;
	}
	if (m->walk.active && m->walk.e == e)
		m->det_top = L.n > (size_t)h ? L.n - (size_t)h : 0;
	/* G (or a long scroll) stops at the last page, never at an empty pane */
	if (m->det_top + (size_t)h > L.n)
		m->det_top = L.n > (size_t)h ? L.n - (size_t)h : 0;
	/* the SRV line on screen: the app asks SRV for this domain after the draw */
	if (srv_at != SIZE_MAX && srv_at >= m->det_top && srv_at < m->det_top + (size_t)h)
		e->srv_wanted = true;
	for (int i = 0; i < h && m->det_top + (size_t)i < L.n; i++) {
		size_t li = m->det_top + (size_t)i;
		tui_put(m, r.y + 1 + i, r.x + 2, r.w - 4, tui_role(m, (theme_role)L.role[li]),
		        L.v[li]);
	}
	tui_pane_pos(m, r, m->det_top + (size_t)h < L.n ? m->det_top + (size_t)h : L.n, L.n,
	             L.n <= (size_t)h);
	tui_lines_free(&L);
}

static void draw_log(tui_model *m, tui_rect r)
{
	int h = r.h - 2;
	size_t start;

	tui_clear_rect(r);
	tui_pane_box(m, r, "Log", m->focus == TUI_P_LOG);
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
		tui_put(m, r.y + 1 + i, r.x + 2, r.w - 4, tui_role(m, THEME_NORMAL),
		        tui_san(line, nb, sizeof(nb)));
	}
}

/* The status bar's hints: each action with a place in the bar (in a walk:
 * in the walk's bar) that works here, under its first key as bound, as many
 * as fit, in the table's order of places. */
static void draw_hints(const tui_model *m, int y, unsigned at)
{
	char line[512];
	int o = 0, room = m->cols - 2;
	size_t n = tui_keymap_action_count();

	if (m->walk.active)
		o = snprintf(line, sizeof(line), "walk: ");
	line[o] = '\0';
	for (int place = 1; place <= (int)n; place++)
		for (size_t i = 0; i < n; i++) {
			const tui_action *act = tui_keymap_action_at(i);
			char kn[32], item[64];
			int key, len;
			if ((m->walk.active ? act->walk_bar : act->bar) != place || !act->hint ||
			    (key = tui_keymap_key_of(m->km, i, 0)) < 0)
				continue;
			/* only what works here: the tour's keys in a tour, nothing that
			   asks the network again in a replay */
			if (((act->when & TUI_WHEN_TOUR) && !(m->tour && m->lab)) ||
			    ((act->when & TUI_WHEN_LIVE) && m->replay))
				continue;
			len = snprintf(item, sizeof(item), "%s%s %s",
			               o && line[o - 1] != ' ' ? "  " : "",
			               tui_keymap_name(key, kn, sizeof(kn)), act->hint);
			if (o + len <= room && o + len < (int)sizeof(line))
				o += snprintf(line + o, sizeof(line) - (size_t)o, "%s", item);
		}
	tui_put(m, y, 1, room, at, line);
}

static void draw_status(tui_model *m)
{
	int y = m->rows - 1;
	unsigned at = tui_role(m, THEME_STATUSBAR);

	tui_fill(y, 0, m->cols, at);
	if (m->prompt == TUI_PR_TRAINER) {
		/* the commands as lab/trainer.h's table describes them */
		/* what the line will be about first, the command list after it */
		tui_putf(m, y, 1, m->cols - 2, at, "Trainer: %s_  %s%s%s(Tab completes; %s)",
		         m->pbuf, m->pdefault[0] ? "[left out: " : "", m->pdefault,
		         m->pdefault[0] ? "] " : "", m->trainer_usage ? m->trainer_usage : "");
		return;
	}
	if (m->prompt != TUI_PR_NONE) {
		tui_putf(m, y, 1, m->cols - 2, at, "%s %s_  (Enter: ok, Esc: cancel)",
		         m->prompt == TUI_PR_ADD ? "Add domain:" : "Filter:", m->pbuf);
		return;
	}
	if (m->msg[0]) {
		tui_put(m, y, 1, m->cols - 2,
		        m->msg_err ? tui_role(m, THEME_ERROR) | A_REVERSE : at, m->msg);
		return;
	}
	draw_hints(m, y, at);
}

/* Not keys, so not in the action table: the mouse and what the screen's
 * marks mean. */
static const char *const help_tail[] = {
    "mouse (--mouse)   click selects, wheel scrolls",
    "Marks: \xe2\x96\xb6 the walk's current attempt, \xe2\x80\xa2 an address the walk "
    "tried, * a probe running now, \xe2\x97\x8c not probed yet, 12/40 where the cursor is",
    "States: accepted, tempfail (4xx), rejected (5xx), refused, unreachable, "
    "connect-timeout, greeting-timeout, tls-failed, garbage, error, pending.",
    "Loss counts probes the server did not answer at all: a 4xx or 5xx greeting is an answer.",
    "Any key closes this help.",
};

/* "KEYS ... what it does": the text wraps under itself, 18 columns in;
 * keys too long for the column get a line of their own. */
static void help_entry(tui_lines *L, const char *keys, const char *text)
{
	tui_lines one = {.w = L->w - 18};

	if (one.w < 20) {
		tui_addl(L, THEME_NORMAL, "%s  %s", keys, text);
		return;
	}
	if (strlen(keys) > 16) {
		tui_addl(L, THEME_NORMAL, "%s", keys);
		keys = "";
	}
	tui_addl(&one, THEME_NORMAL, "%s", text);
	for (size_t k = 0; k < one.n; k++)
		tui_addl(L, THEME_NORMAL, "%-18s%s", k ? "" : keys, one.v[k]);
	tui_lines_free(&one);
}

static void draw_overlay_box(tui_model *m, tui_rect r, const char *title)
{
	tui_clear_rect(r);
	tui_pane_box(m, r, title, true);
}

/* Every line wrapped to the box, never cut: a long usage (the trainer's
 * "behave") continues on the next line, indented under its text. */
static void draw_help(tui_model *m)
{
	int w = m->cols - 2 < 110 ? m->cols - 2 : 110, h, y;
	tui_lines L = {.w = w - 4};
	tui_rect r;

	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const tui_action *act = tui_keymap_action_at(i);
		char col[128], text[1024];
		size_t o = 0;
		if (!act->group) {
			help_entry(&L, tui_keymap_column(m->km, i, TUI_KM_PLAIN, col, sizeof(col)),
			           act->help);
			continue;
		}
		/* a group shares one line: "KEYS help; KEYS help" under its name */
		text[0] = '\0';
		for (size_t k = i; k < tui_keymap_action_count(); k++) {
			const tui_action *g = tui_keymap_action_at(k);
			if (!g->group || strcmp(g->group, act->group) != 0)
				break;
			if (o < sizeof(text))
				o += (size_t)snprintf(
				    text + o, sizeof(text) - o, "%s%s %s", o ? "; " : "",
				    tui_keymap_column(m->km, k, TUI_KM_KEYS, col, sizeof(col)),
				    g->help);
			i = k;
		}
		help_entry(&L, act->group, text);
	}
	for (size_t i = 0; i < sizeof(help_tail) / sizeof(help_tail[0]); i++)
		tui_addl(&L, THEME_NORMAL, "%s", help_tail[i]);
	/* in the lab the trainer's commands follow, from lab/trainer.h's table */
	if (m->trainer_usage) {
		tui_addl(&L, THEME_TITLE, "Trainer commands (T):");
		for (size_t i = 0; i < lab_trainer_cmd_count(); i++) {
			const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);
			char cmd[40];
			tui_lines one = {.w = L.w - 19};
			snprintf(cmd, sizeof(cmd), "%s%s%s", c->name, c->args[0] ? " " : "",
			         c->args);
			/* a long usage line of its own, the text under it */
			if (strlen(cmd) > 16) {
				tui_addl(&L, THEME_NORMAL, "  %s", cmd);
				cmd[0] = '\0';
			}
			tui_addl(&one, THEME_NORMAL, "%s", c->usage);
			for (size_t k = 0; k < one.n; k++)
				tui_addl(&L, THEME_NORMAL, "  %-16s %s", k ? "" : cmd, one.v[k]);
			tui_lines_free(&one);
		}
	}
	h = (int)L.n + 2;
	if (h > m->rows - 1)
		h = m->rows - 1; /* a short terminal loses the last lines, not the frame */
	r = (tui_rect){(m->rows - h) / 2, (m->cols - w) / 2, h, w};
	if (r.y < 1)
		r.y = 1;
	draw_overlay_box(m, r, L.n > (size_t)(h - 2) ? "Keys (Up/Down scroll)" : "Keys");
	/* a short terminal scrolls the help rather than losing its end */
	if (m->ov_top + (size_t)(h - 2) > L.n)
		m->ov_top = L.n > (size_t)(h - 2) ? L.n - (size_t)(h - 2) : 0;
	y = r.y + 1;
	for (size_t i = m->ov_top; i < L.n && y < r.y + r.h - 1; i++)
		tui_put(m, y++, r.x + 2, r.w - 4, tui_role(m, (theme_role)L.role[i]), L.v[i]);
	tui_pane_pos(m, r, m->ov_top + (size_t)(h - 2), L.n, L.n <= (size_t)(h - 2));
	tui_lines_free(&L);
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
	tui_lines L = {.w = r.w - 4};
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
				tui_addl(&L, THEME_NORMAL, "%s", para);
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
			tui_addl(&L,
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
		tui_addl(&L, THEME_NORMAL, "%s", para);
	}
	/* the panes behind would show through at the edges: blank the body */
	tui_clear_rect((tui_rect){1, 0, m->rows - 2, m->cols});
	draw_overlay_box(m, r, "Finding explained (Esc closes, Up/Down scroll)");
	if (L.n && m->ov_top >= L.n)
		m->ov_top = L.n - 1;
	for (int i = 0; i < r.h - 2 && m->ov_top + (size_t)i < L.n; i++) {
		size_t li = m->ov_top + (size_t)i;
		tui_put(m, r.y + 1 + i, r.x + 2, r.w - 4, tui_role(m, (theme_role)L.role[li]),
		        L.v[li]);
	}
	tui_lines_free(&L);
}

/* Short lines, so that even a 40x12 terminal shows all of it; every key
 * but q waits until the screen is large enough (keys.c). */
static void draw_small(tui_model *m)
{
	char need[64], have[64];
	int y = m->rows / 2 - 1;

	erase();
	snprintf(need, sizeof(need), "mxscope needs %dx%d", TUI_MIN_COLS, TUI_MIN_ROWS);
	snprintf(have, sizeof(have), "this terminal: %dx%d", m->cols, m->rows);
	y = y < 0 ? 0 : y;
	tui_put(m, y, 1, m->cols - 1, A_BOLD, need);
	tui_put(m, y + 1, 1, m->cols - 1, A_NORMAL, have);
	tui_put(m, y + 2, 1, m->cols - 1, A_NORMAL, "enlarge it, or q quits");
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
	/* a zoomed-away pane has no room: it is not drawn at all */
	if ((d & (1u << TUI_P_DOMAINS)) && r[TUI_P_DOMAINS].h > 2)
		draw_domains(m, r[TUI_P_DOMAINS]);
	if ((d & (1u << TUI_P_TIERS)) && r[TUI_P_TIERS].h > 2)
		tui_draw_tiers(m, r[TUI_P_TIERS]);
	if ((d & (1u << TUI_P_DETAILS)) && r[TUI_P_DETAILS].h > 2)
		draw_details(m, r[TUI_P_DETAILS]);
	if ((d & (1u << TUI_P_FINDINGS)) && r[TUI_P_FINDINGS].h > 2)
		tui_draw_findings(m, r[TUI_P_FINDINGS]);
	if (m->show_log && (d & (1u << TUI_P_LOG)) && r[TUI_P_LOG].h > 2)
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
