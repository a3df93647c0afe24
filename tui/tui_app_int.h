/* tui/tui_app_int.h — the explorer's app as app.c (lifecycle, loop, the
 * network's answers) and keys.c (what each key does) share it. draw.c does
 * not include this: it draws the model alone. Not installed. */
#ifndef MXSCOPE_TUI_APP_INT_H
#define MXSCOPE_TUI_APP_INT_H

#include <uv.h>

#include "scan.h"
#include "tui.h"
#include "trainer.h"
#include "tui_int.h"

#define TUI_WALK_DEFAULT_MS 1200 /* a walk's step */

struct tui_app {
	tui_model m; /* what the screen shows */
	tui_config cfg;
	int record_fd; /* --record FILE, or -1 */
	uv_loop_t *loop;
	SCREEN *scr;
	bool screen_up;
	char *state_path;
	char **lab_saved; /* the saved domain list, kept as is in lab mode */
	size_t nlab_saved;
	/* what `d` removed, newest last, for `u` until quit */
	struct tui_removed {
		char *name;
		int scenario;
		size_t at; /* its place in the list */
	} * removed;
	size_t nremoved;
	scan *scan;   /* resolves, probes and asks blocklists about every listed domain */
	lab *trainer; /* the trainer's commands (T), NULL outside the lab */
	uv_timer_t walk_timer;
	bool quit, want_report, running;
	int exit_code;
	/* handles */
	uv_poll_t in_poll;
	uv_prepare_t prep;
	uv_check_t chk;     /* draws right after the turn's input, before any timer */
	uv_timer_t frame;   /* a redraw only news asked for, held to TUI_FRAME_MS */
	uint64_t drawn_ms;  /* tui_now_ms() of the last redraw */
	uint64_t egress_ms; /* ... and of the egress rule's last reading */
	size_t draws;       /* redraws so far (tui_app_draws) */
	bool key_turn;      /* a key was handled since the last redraw */
	uv_timer_t tick;
	uv_signal_t sig_int, sig_term, sig_winch;
	int open_handles;
	FILE *trace;
	uint64_t t0_ns, key_ns;
	bool key_pending, first_drawn;
	bool egress_due;    /* a probe ended since the egress rule last read the domains */
	size_t added_seq;   /* entries added so far: the list's "as added" order */
	unsigned behave_at; /* B: the next behaviour in the cycle */
	tui_keymap *own_km; /* the defaults, when the config brought no keymap */
	char *hist[16];     /* the trainer prompt's history, newest last; owned */
	size_t nhist, hist_at;
};

/* app.c: what keys ask of the app */
/* Re-resolves and re-probes e (no-op while its lookup is on the wire). */
void tui_app_refresh(tui_app *a, tui_entry *e);
/* The refresh key: tui_app_refresh and the status line saying what it did
 * (for a recording, that nothing is re-probed). */
void tui_app_refresh_key(tui_app *a, tui_entry *e);
/* Takes e off the list and stops what runs for it. */
void tui_app_drop(tui_app *a, tui_entry *e);
/* Every listed domain dropped and added again, in its place: the scan
 * forgets the addresses, and with them their probe history (a lab reset
 * starts the lesson afresh). The selection stays on the same line. */
void tui_app_readd_all(tui_app *a);
/* Drops e as the remove key does, remembering it for tui_app_undo_remove. */
void tui_app_remove(tui_app *a, tui_entry *e);
/* Puts back the domain removed last (where it was, selected): false when
 * nothing was removed. */
bool tui_app_undo_remove(tui_app *a);
/* Reshuffles e's equal preferences with seed; the new order shows when the
 * scan has analysed it again. */
void tui_app_reseed(tui_app *a, tui_entry *e, uint64_t seed);
/* The relay view of e: as MX host as_host would send it (NULL: the run's
 * --as); the new analysis shows when the scan has made it. */
void tui_app_set_as(tui_app *a, tui_entry *e, const char *as_host);
/* Asks e's name servers directly (the authoritative view); the table shows
 * in the details pane when they have answered. */
void tui_app_authoritative(tui_app *a, tui_entry *e);
/* scanwatch.c (with tui_app_authoritative above): after a probe, reads
 * the list for port 25 egress (mx_egress_blocked) and tells the scan;
 * after a draw, asks SRV for the domains whose details showed it. */
void tui_watch_egress(tui_app *a);
void tui_watch_srv(tui_app *a);
/* Freezes or thaws the display; thawing shows what came meanwhile. */
void tui_app_freeze(tui_app *a, bool on);
void tui_app_cycle_theme(tui_app *a);
void tui_app_save_state(tui_app *a);
void tui_app_quit(tui_app *a, bool report);

/* copy.c: y copies the selected transcript (or the report) with OSC 52,
 * s (to_file) saves it in the current directory */
void tui_copy_out(tui_app *a, bool to_file);

/* cmdview.c: c shows (or hides) the commands view in the details pane */
void tui_cmdview_toggle(tui_app *a);

/* keys.c: a key through the keymap to its action (tui_keymap.h) */
void tui_keys_handle(tui_app *a, wint_t ch, bool fkey);
void tui_walk_stop(tui_app *a);
/* A new answer for e: a walk of e starts over. */
void tui_walk_reset(tui_app *a, const tui_entry *e);

/* prompt.c: the prompts, the trainer's commands and the tour */
/* A key while a prompt (m.prompt) is open: editing, Enter, Esc, Tab. */
void tui_prompt_key(tui_app *a, wint_t ch, bool fkey);
/* T: opens the trainer prompt on the selection. */
void tui_trainer_open(tui_app *a);
/* Runs one trainer command (lab/trainer.h) and re-resolves every domain. */
void tui_trainer_run(tui_app *a, const char *line);
/* The selected address down or up (down_up), or its next behaviour; kn
 * names the key in what it says. */
void tui_trainer_key(tui_app *a, const char *kn, bool down_up);
/* lab --tour: the list becomes scenario i's domains. */
void tui_tour_go(tui_app *a, size_t i);
/* The MX host under the tiers cursor (a host or address row), or NULL. */
const char *tui_selected_host(tui_app *a);

#endif
