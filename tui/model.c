/* tui/model.c — the explorer's view model: the list as shown, the
 * selection, the log and the status message. The app and the keys change
 * it and mark what changed; draw.c draws it. No network, no loop here. */
#include "tui_int.h"
#include "hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t tui_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tui_now_ms(void)
{
	return tui_now_ns() / 1000000u;
}

void tui_mark(tui_model *m, unsigned bits)
{
	m->dirty |= bits;
}

void tui_log(tui_model *m, const char *fmt, ...)
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
	if (m->nlog == TUI_LOG_MAX) {
		free(m->log[m->log_first]);
		m->log[m->log_first] = line;
		m->log_first = (m->log_first + 1) % TUI_LOG_MAX;
	} else {
		slot = (m->log_first + m->nlog) % TUI_LOG_MAX;
		m->log[slot] = line;
		m->nlog++;
	}
	tui_mark(m, 1u << TUI_P_LOG);
}

void tui_msg(tui_model *m, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	m->msg_err = err;
	tui_mark(m, TUI_D_STATUS);
}

bool tui_entry_matches(const tui_entry *e, const char *f)
{
	if (!f[0] || strstr(e->name, f))
		return true;
	if (!e->d)
		return false;
	if (strstr(mx_domain_status(e->d), f))
		return true;
	for (size_t i = 0; i < mx_domain_finding_count(e->d); i++)
		if (strstr(mx_domain_finding(e->d, i)->code, f))
			return true;
	for (size_t i = 0; i < mx_domain_host_count(e->d); i++)
		if (strstr(mx_domain_host(e->d, i)->exchange, f))
			return true;
	return false;
}

size_t tui_visible(const tui_model *m, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->ne; i++) {
		if (m->filter[0] && !tui_entry_matches(m->e[i], m->filter))
			continue;
		if (idx && n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

tui_entry *tui_selected(const tui_model *m)
{
	size_t n = 0;

	if (!m->filter[0]) /* the common case, in O(1) for every change the scan reports */
		return m->sel_dom < m->ne ? m->e[m->sel_dom] : NULL;

	for (size_t i = 0; i < m->ne; i++) {
		if (m->filter[0] && !tui_entry_matches(m->e[i], m->filter))
			continue;
		if (n++ == m->sel_dom)
			return m->e[i];
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

static unsigned spark_bucket(const char *ip)
{
	return mx_hash(ip, MX_HASH_BASIS) % TUI_SPARK_BUCKETS;
}

const tui_spark *tui_spark_get(const tui_model *m, const char *ip)
{
	for (const tui_spark *s = m->spark[spark_bucket(ip)]; s; s = s->next)
		if (strcmp(s->ip, ip) == 0)
			return s;
	return NULL;
}

void tui_spark_add(tui_model *m, const char *ip, long ms)
{
	tui_spark *s = (tui_spark *)tui_spark_get(m, ip);
	unsigned b = spark_bucket(ip);

	if (!s) {
		if (m->nspark >= TUI_SPARK_MAX || strlen(ip) >= sizeof(s->ip) ||
		    !(s = calloc(1, sizeof(*s))))
			return;
		snprintf(s->ip, sizeof(s->ip), "%s", ip);
		s->next = m->spark[b];
		m->spark[b] = s;
		m->nspark++;
	}
	s->v[s->at] = ms;
	s->at = (s->at + 1) % TUI_SPARK_N;
	if (s->n < TUI_SPARK_N)
		s->n++;
}

const char *tui_entry_status(const tui_entry *e, const char **glyph, theme_role *r)
{
	/* the words are core's (DESIGN.md), the glyph and colour ours */
	static const struct {
		const char *word, *glyph;
		theme_role role;
	} look[] = {
	    {"ok", "\xe2\x9c\x93", THEME_OK},        /* ✓ */
	    {"warning", "\xe2\x96\xb2", THEME_WARN}, /* ▲ */
	    {"error", "\xe2\x9c\x97", THEME_ERROR},  /* ✗ */
	    {"no mail", "\xe2\x88\x85", THEME_INFO}, /* ∅ */
	};
	const char *w;

	if (!e->d) {
		*glyph = "\xe2\x97\x8c"; /* ◌ */
		*r = THEME_PENDING;
		return "lookup";
	}
	w = mx_domain_status(e->d);
	for (size_t i = 0; i < sizeof(look) / sizeof(look[0]); i++)
		if (strcmp(look[i].word, w) == 0) {
			*glyph = look[i].glyph;
			*r = look[i].role;
			return w;
		}
	*glyph = "?";
	*r = THEME_NORMAL;
	return w;
}

static int status_rank(const tui_entry *e)
{
	static const char *const order[] = {"error", "warning", "lookup", "no mail", "ok"};
	const char *g;
	theme_role r;
	const char *w = tui_entry_status(e, &g, &r);

	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
		if (strcmp(order[i], w) == 0)
			return i;
	return 9;
}

static int cmp_status(const void *a, const void *b)
{
	const tui_entry *x = *(tui_entry *const *)a, *y = *(tui_entry *const *)b;
	int d = status_rank(x) - status_rank(y);

	return d ? d : strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(tui_entry *const *)a)->name, (*(tui_entry *const *)b)->name);
}

static int cmp_added(const void *a, const void *b)
{
	size_t x = (*(tui_entry *const *)a)->added, y = (*(tui_entry *const *)b)->added;

	return x < y ? -1 : x > y;
}

void tui_sort_list(tui_model *m)
{
	static int (*const cmp[TUI_SORT_COUNT])(const void *,
	                                        const void *) = {[TUI_SORT_ADDED] = cmp_added,
	                                                         [TUI_SORT_STATUS] = cmp_status,
	                                                         [TUI_SORT_NAME] = cmp_name};
	const tui_entry *sel = tui_selected(m);
	size_t n, *idx;

	if (m->ne < 2)
		return;
	qsort(m->e, m->ne, sizeof(*m->e), cmp[m->sort]);
	/* the selection stays on the domain, wherever it went */
	n = tui_visible(m, NULL, 0);
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (!idx)
		return;
	tui_visible(m, idx, n);
	for (size_t i = 0; i < n; i++)
		if (m->e[idx[i]] == sel)
			m->sel_dom = i;
	free(idx);
}

void tui_model_clear(tui_model *m)
{
	for (size_t b = 0; b < TUI_SPARK_BUCKETS; b++)
		while (m->spark[b]) {
			tui_spark *s = m->spark[b];
			m->spark[b] = s->next;
			free(s);
		}
	m->nspark = 0;
	for (size_t i = 0; i < m->nlog; i++)
		free(m->log[(m->log_first + i) % TUI_LOG_MAX]);
	m->nlog = 0;
	free(m->doc);
	m->doc = NULL;
	free(m->trainer_usage);
	m->trainer_usage = NULL;
	theme_free(m->th);
	m->th = NULL;
}
