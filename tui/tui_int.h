/* tui/tui_int.h — the explorer's view model, shared inside tui/: what the
 * screen shows (model.c keeps it, draw.c reads it, keys.c and app.c change
 * it). The model knows nothing of the network or the loop: draw.c sees no
 * app, only this. Not installed, not for src/. */
#ifndef MXSCOPE_TUI_INT_H
#define MXSCOPE_TUI_INT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "commands.h"
#include "lab.h"
#include "mx.h"
#include "probe.h"
#include "theme.h"
#include "tui_keymap.h"

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
 * prober so that a frozen display does not move). */
typedef struct tui_stat {
	bool watched;
	probe_state state;
	bool in_flight;
	unsigned long sent;
	unsigned long answered; /* probes the server answered (any greeting) */
	double loss;            /* mtr's loss: 100 * (sent - answered) / sent */
	long last_ms, avg_ms, best_ms, worst_ms;
} tui_stat;

/* The last greeting times of one address, for the sparkline and the
 * standard deviation (the scan keeps sums, not samples). */
#define TUI_SPARK_N 16
typedef struct tui_spark {
	char ip[64];
	long v[TUI_SPARK_N]; /* greeting ms, -1 = no greeting */
	unsigned n, at;      /* samples held, next slot */
	struct tui_spark *next;
} tui_spark;
#define TUI_SPARK_BUCKETS 256
#define TUI_SPARK_MAX     65536 /* addresses remembered; beyond, no new ones */

/* The tiers pane's cursor as an item, not a row number: it follows the
 * host and address across re-resolves and domain switches. */
typedef struct tui_cursor {
	bool set;
	int kind;       /* tui_row_kind */
	unsigned pref;  /* the tier's preference */
	char host[256]; /* the MX host (rows of kind HOST and ADDR) */
	char ip[64];    /* the address (kind ADDR) */
} tui_cursor;

/* One listed domain as shown. Owned by the model's list. */
typedef struct tui_entry {
	char *name;   /* normalised */
	int scenario; /* lab scenario index, or -1 */
	size_t added; /* the order it was added in (the list's first sort order) */
	/* The domain as the scan shows it, NULL until the first answer. Borrowed
	 * from the scan and valid only during one callback from the loop: the
	 * app points it anew before every key and every redraw. */
	const mx_domain *d;
	uint64_t got_ms; /* when the shown answer arrived (TTL countdown) */
	bool resolving;
	uint64_t seed;
	tui_stat *st; /* one per address, hosts in order; kept for the selected domain */
	size_t nst, capst;
	tui_cursor cur;       /* the tiers pane's selected item for this domain */
	char *as_host;        /* A: walked as this MX host would (the relay view), or NULL; owned */
	uint64_t answered_uv; /* the scan's time of the shown answer (uv_now) */
	uint64_t ttl_asked_uv; /* the answer whose expired TTLs asked for a re-resolve */
	uint64_t ttl_of_uv;    /* the answer ttl_s was read from (+1; 0: none yet) */
	uint32_t ttl_s;        /* its shortest TTL, 0 when it has none */
	bool srv_wanted;       /* the details pane showed its SRV section (draw.c sets it) */
	bool srv_asked;        /* and the app asked the scan for SRV and a re-resolve */
	bool auth_asked;       /* its authoritative servers were asked (the V key) */
} tui_entry;

typedef enum tui_row_kind { TUI_ROW_TIER, TUI_ROW_HOST, TUI_ROW_ADDR } tui_row_kind;

typedef struct tui_row {
	tui_row_kind kind;
	size_t tier, host, addr;
} tui_row;

typedef enum tui_overlay { TUI_OV_NONE, TUI_OV_HELP, TUI_OV_DOC } tui_overlay;
typedef enum tui_sort { TUI_SORT_ADDED, TUI_SORT_STATUS, TUI_SORT_NAME, TUI_SORT_COUNT } tui_sort;
typedef enum tui_prompt { TUI_PR_NONE, TUI_PR_ADD, TUI_PR_FILTER, TUI_PR_TRAINER } tui_prompt;

typedef struct tui_rect {
	int y, x, h, w;
} tui_rect;

/* Everything the screen is drawn from. Strings and the lab are borrowed
 * from the config; th, doc, the entries and the log lines are owned. */
typedef struct tui_model {
	/* from the config: how to show */
	bool ascii, no_probe, tour;
	const tui_keymap *km; /* which key runs which action; borrowed */
	const char *as_host;
	const char *replay;  /* the header's REPLAY label, or NULL */
	char list_note[64];  /* the header's word on the saved list ("restored 3 saved") */
	int sender;          /* the sender_profile the walk follows (S cycles it) */
	bool egress_blocked; /* several unrelated domains time out at connect: port 25 */
	const lab_world *lab;
	char *trainer_usage; /* the trainer prompt's help (lab/trainer.h), owned, or NULL */
	int rows, cols;
	theme *th;
	tui_entry **e; /* the list; pointers stay put */
	size_t ne, cape;
	tui_pane focus;
	size_t sel_dom, top_dom, sel_row, top_row, sel_find, top_find, det_top, log_top;
	char filter[256];
	char filter_was[256]; /* the filter when its prompt opened: Esc puts it back */
	tui_prompt prompt;
	char pbuf[256];
	char pdefault[300]; /* the trainer prompt: what a left-out ADDR or HOST means */
	size_t plen;
	tui_overlay ov;
	char *doc;
	size_t ov_top;
	bool show_log;
	bool zoom;     /* the focused pane has the whole screen */
	int dom_extra; /* columns the user gave the domains pane (< and >), may be < 0 */
	tui_sort sort; /* the domain list's order */
	tui_spark *spark[TUI_SPARK_BUCKETS];
	size_t nspark;
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
		size_t pin;   /* details lines up to the first step, kept in sight */
		unsigned speed_ms;
	} walk;
	unsigned dirty;

	/* c: the details pane shows the commands view (cmdview.c); what the
	 * commands name, strings borrowed from the app */
	bool cmds;
	commands_opts cmd_opts;
} tui_model;

/* model.c */
uint64_t tui_now_ns(void);
uint64_t tui_now_ms(void);
void tui_mark(tui_model *m, unsigned bits);
void tui_log(tui_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The status line's message; err shows it as an error. */
void tui_msg(tui_model *m, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Visible (filtered) entries: writes up to max indices; returns the count. */
/* Whether e shows under filter f: its name, its status word, one of its
 * findings' codes or one of its MX hosts holds f. */
bool tui_entry_matches(const tui_entry *e, const char *f);
size_t tui_visible(const tui_model *m, size_t *idx, size_t max);
tui_entry *tui_selected(const tui_model *m);
/* The tiers pane's rows for e: fills up to max, returns the count. */
size_t tui_rows(const tui_entry *e, tui_row *rows, size_t max);
/* Index of host i's address k in e->st. */
size_t tui_stat_index(const tui_entry *e, size_t i, size_t k);
/* Remembers a greeting time of ip (-1: none came) for its sparkline. */
void tui_spark_add(tui_model *m, const char *ip, long ms);
const tui_spark *tui_spark_get(const tui_model *m, const char *ip);
/* The status word of an entry as DESIGN.md defines it ("lookup" before the
 * first answer), its glyph and role. */
const char *tui_entry_status(const tui_entry *e, const char **glyph, theme_role *r);
/* Sorts the list by m->sort, keeping the selected entry selected. */
void tui_sort_list(tui_model *m);
/* Releases what the model owns except the entries (the app frees those). */
void tui_model_clear(tui_model *m);

/* cells.c: text into cells, for draw.c */
/* Draws UTF-8 s at y,x in at most w columns (cut with an ellipsis); returns
 * the columns used. */
int tui_put(const tui_model *m, int y, int x, int w, unsigned attr, const char *s);
int tui_putf(const tui_model *m, int y, int x, int w, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void tui_fill(int y, int x, int w, unsigned attr);
void tui_clear_rect(tui_rect r);
/* Network text for a cell: sanitised (mx_sanitize) into buf; returns buf. */
const char *tui_san(const char *s, char *buf, size_t cap);
unsigned tui_role(const tui_model *m, theme_role r);
/* A frame around r with a title; focus draws it as the focused pane. */
void tui_pane_box(const tui_model *m, tui_rect r, const char *title, bool focus);
/* "12/40" on the frame's bottom edge: where the cursor is in a long list
 * (nothing when everything fits). */
void tui_pane_pos(const tui_model *m, tui_rect r, size_t at, size_t n, bool fits);
/* Keeps sel within [top, top+h). */
void tui_scroll_to(size_t *top, size_t sel, int h);

/* Lines word-wrapped to a width w, each with a theme role; owned strings. */
typedef struct tui_lines {
	char **v;
	unsigned *role;
	size_t n, cap;
	int w;
} tui_lines;
/* Adds text word-wrapped to L->w; '\n' starts a new line. */
void tui_addl(tui_lines *L, theme_role r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tui_lines_free(tui_lines *L);

/* tiers.c: the tiers pane, mtr-like */
const char *tui_state_glyph(probe_state s);
theme_role tui_state_role(probe_state s);
void tui_draw_tiers(tui_model *m, tui_rect r);
/* Records the tiers cursor (m->sel_row) as an item of e. */
void tui_tiers_remember(tui_model *m, tui_entry *e);
/* Moves m->sel_row to e's remembered item when it is still shown. */
void tui_tiers_follow(tui_model *m, const tui_entry *e, const tui_row *rows, size_t n);

/* findings.c: the findings pane, sorted by severity, repeats grouped */
typedef struct tui_fgroup {
	size_t first; /* the first finding of the group (index into the domain's) */
	size_t count; /* findings of the same code */
} tui_fgroup;
/* The domain's findings as groups, worst first: up to max into g; returns
 * how many groups there are. */
size_t tui_fgroups(const mx_domain *d, tui_fgroup *g, size_t max);
void tui_draw_findings(tui_model *m, tui_rect r);
/* The finding text of the selected group for the details pane. */
void tui_finding_details(const tui_model *m, const tui_entry *e, tui_lines *L);

/* cmdview.c: the selection's commands (net/commands.h) for the details
 * pane and for y / s; owned by the caller, NULL when there is no answer */
char *tui_cmdview_text(const tui_model *m, const tui_entry *e);
void tui_cmdview_lines(const tui_model *m, const tui_entry *e, tui_lines *L);
/* draw_details.c: what real senders look at, for the details pane */
/* Steps of the walk the pane follows (m->sender's profile). */
size_t tui_walk_steps(const tui_model *m, const tui_entry *e);
/* The attempt the tiers pane marks as the walk's current one (those before
 * it as tried), or -1 when e is not being walked. */
long tui_walk_cur(const tui_model *m, const tui_entry *e);
/* Where the mail ends for the followed profile (the list's delivers-to
 * column and the details), or NULL; a view into e->d. */
const mx_attempt *tui_delivered(const tui_model *m, const tui_entry *e);
void tui_detail_walk(tui_model *m, const tui_entry *e, tui_lines *L);
/* d carries egress-blocked: its timeouts were read as this network's, not
 * its hosts' (the details say "not judged" instead of "no host accepts"). */
bool tui_egress_judged(const mx_domain *d);
/* The authoritative table (V), each profile's end, DNSSEC, MTA-STS and TLS-RPT. */
void tui_details_domain_senders(const tui_model *m, const tui_entry *e, tui_lines *L);
void tui_details_tlsa(const mx_host *h, tui_lines *L);
/* The certificate whole and the DANE verdict; the RCPT answer. */
void tui_details_tls(const probe_result *p, tui_lines *L);
void tui_details_rcpt(const probe_result *p, tui_lines *L);

/* draw.c */
void tui_draw(tui_model *m);
void tui_layout(const tui_model *m, tui_rect r[TUI_P_COUNT]);
bool tui_too_small(const tui_model *m);
/* The screen as text, one line per row ending in '\n', UTF-8; owned by the
 * caller. */
char *tui_screen_text(const tui_model *m);

#endif
