/* tui/tui_int.h — what the explorer's modules share inside tui/: the app
 * and its model (app.c) and the drawing of it (draw.c). Not installed,
 * not for src/. */
#ifndef MXSCOPE_TUI_INT_H
#define MXSCOPE_TUI_INT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bl.h"
#include "dns.h"
#include "mx.h"
#include "smtp.h"
#include "theme.h"
#include "tui.h"

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24
#define TUI_LOG_MAX  500

typedef enum tui_pane {
	TUI_P_DOMAINS = 0,
	TUI_P_TIERS,
	TUI_P_DETAILS,
	TUI_P_FINDINGS,
	TUI_P_LOG,
	TUI_P_COUNT
} tui_pane;

/* dirty bits: one per pane, then the two bars */
#define TUI_D_HEADER (1u << TUI_P_COUNT)
#define TUI_D_STATUS (1u << (TUI_P_COUNT + 1))
#define TUI_D_ALL    0xffffu

/* The mtr-like history of one address as last shown (kept apart from the
 * monitor so that a frozen display does not move). */
typedef struct tui_stat {
	bool watched;
	probe_state state;
	bool in_flight;
	unsigned long sent;
	double loss;
	long last_ms, avg_ms, best_ms, worst_ms;
} tui_stat;

typedef struct tui_entry {
	struct tui_app *app;
	char *name;
	int scenario;               /* lab scenario index, or -1 */
	mx_domain *d;               /* shown; NULL until the first answer */
	mx_domain *parked;          /* an answer that came while frozen */
	uint64_t got_ms, parked_ms; /* when the answers arrived (TTL countdown) */
	bool resolving, removed;
	uint64_t seed;
	tui_stat *st; /* one per address, hosts in order */
	size_t nst;
} tui_entry;

typedef enum tui_row_kind { TUI_ROW_TIER, TUI_ROW_HOST, TUI_ROW_ADDR } tui_row_kind;

typedef struct tui_row {
	tui_row_kind kind;
	size_t tier, host, addr;
} tui_row;

typedef enum tui_overlay { TUI_OV_NONE, TUI_OV_HELP, TUI_OV_DOC } tui_overlay;
typedef enum tui_prompt { TUI_PR_NONE, TUI_PR_ADD, TUI_PR_FILTER, TUI_PR_TRAINER } tui_prompt;

typedef struct tui_rect {
	int y, x, h, w;
} tui_rect;

typedef struct tui_app {
	tui_config cfg;
	uv_loop_t *loop;
	SCREEN *scr;
	bool screen_up;
	int rows, cols;
	theme *th;
	char *state_path;
	char **lab_saved; /* the saved domain list, kept as is in lab mode */
	size_t nlab_saved;
	dns_client *dns;
	smtp_prober *smtp;
	smtp_monitor *mon;
	bl_client *bl;      /* NULL unless a blocklist is enabled */
	blr_result **blres; /* the latest answer per (provider, address), owned */
	size_t nblres, capblres;
	mx_options mxo;
	tui_entry **e; /* the list; pointers stay put */
	size_t ne;
	tui_entry **grave; /* removed while their lookup was on the wire */
	size_t ngrave;
	/* view */
	tui_pane focus;
	size_t sel_dom, top_dom, sel_row, top_row, sel_find, top_find, det_top, log_top;
	char filter[256];
	tui_prompt prompt;
	char pbuf[256];
	size_t plen;
	tui_overlay ov;
	char *doc;
	size_t ov_top;
	bool show_log;
	char *log[TUI_LOG_MAX];
	size_t log_first, nlog;
	char msg[512];
	bool msg_err;
	bool frozen;
	uint64_t frozen_at;
	size_t tour_at; /* lab --tour: the scenario shown */
	struct {
		bool active, paused;
		tui_entry *e;
		size_t shown; /* steps shown; step_count + 1 shows the ending */
		unsigned speed_ms;
		uv_timer_t timer;
	} walk;
	unsigned dirty;
	bool quit, want_report, running;
	int exit_code;
	/* handles */
	uv_poll_t in_poll;
	uv_prepare_t prep;
	uv_timer_t tick;
	uv_signal_t sig_int, sig_term, sig_winch;
	int open_handles;
	FILE *trace;
	uint64_t t0_ns, key_ns;
	bool key_pending, first_drawn;
} tui_app;

/* app.c */
uint64_t tui_now_ms(void);
void tui_log(tui_app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Visible (filtered) entries: writes up to max indices; returns the count. */
size_t tui_visible(const tui_app *a, size_t *idx, size_t max);
tui_entry *tui_selected(const tui_app *a);
/* The tiers pane's rows for e: fills up to max, returns the count. */
size_t tui_rows(const tui_entry *e, tui_row *rows, size_t max);
/* Index of host i's address k in e->st. */
size_t tui_stat_index(const tui_entry *e, size_t i, size_t k);

/* draw.c */
void tui_draw(tui_app *a);
void tui_layout(const tui_app *a, tui_rect r[TUI_P_COUNT]);
bool tui_too_small(const tui_app *a);

#endif
