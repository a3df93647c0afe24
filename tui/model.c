/* tui/model.c — the explorer's view model: the list as shown, the
 * selection, the log and the status message. The app and the keys change
 * it and mark what changed; draw.c draws it. No network, no loop here. */
#include "tui_int.h"

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

size_t tui_visible(const tui_model *m, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->ne; i++) {
		if (m->filter[0] && !strstr(m->e[i]->name, m->filter))
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
		if (m->filter[0] && !strstr(m->e[i]->name, m->filter))
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

void tui_model_clear(tui_model *m)
{
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
