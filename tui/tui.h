/* tui/tui.h — the interactive explorer: one app on one libuv loop that
 * resolves and probes a list of domains and draws them with ncurses.
 *
 * The app owns its screen (newterm on the given FILEs) and one scan
 * (net/scan.h, SCAN_MONITOR), which resolves, probes and asks blocklists;
 * the scan's "domain changed" callback marks panes dirty, and dirty panes
 * are drawn at most once per loop turn. Tests
 * drive the same app on a virtual terminal with tui_app_pump() and read the
 * screen back with tui_app_screen(). */
#ifndef MXSCOPE_TUI_H
#define MXSCOPE_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "blocklist.h"
#include "lab.h"
#include "settings.h"
#include "status.h"
#include "tui_keymap.h"

typedef struct tui_config {
	uv_loop_t *loop;
	FILE *in, *out;   /* the terminal; NULL = stdin / stdout */
	const char *term; /* terminal type; NULL = $TERM */
	/* what the user asked for (net/settings.h): the scan, the commands view
	 * and --record are derived from it as check derives them. Its strings
	 * are borrowed. A zeroed value is each client's defaults. */
	settings set;
	const char *ca_pem;           /* --cafile's contents (the lab: set.ca_pem), or NULL */
	const blr_config *blocklists; /* providers to ask about every address, or NULL */
	const tui_keymap *keymap;     /* the keys (a config's bind and unbind); NULL: the
	                                 defaults. Borrowed. */
	/* state between runs: NULL = $XDG_STATE_HOME/mxscope/state, "" = none */
	const char *state_path;
	bool state_domains;   /* load the saved domain list and save the list back; else
	                         the saved list is kept as it is (the header says how many) */
	const lab_world *lab; /* scenario explanations for lab domains; borrowed */
	/* the trainer's live controls (`T`): the same world as lab, and the lab's
	 * SMTP hosts; both NULL outside the lab. Borrowed. */
	lab_world *lab_rw;
	lab_smtp *lab_smtp;
	const char *trace_keys; /* file for keypress-to-screen times (bench), or NULL */
	/* recordings (docs/replay.md) */
	const char *replay; /* header label ("REPLAY recorded ..."): the scan is a replay,
	                       domains come from tui_app_add_recorded; NULL = live */
} tui_config;

typedef struct tui_app tui_app;

/* Starts the screen and the network clients. Strings in cfg are borrowed
 * and must outlive the app. NULL with *why (owned by the caller) when the
 * terminal or a client cannot be set up; the terminal is restored then. */
tui_app *tui_app_new(const tui_config *cfg, char **why);

/* Adds a domain (normalised first) and starts resolving it; scenario is the
 * lab scenario index it belongs to, or -1. A name already listed is a no-op.
 * MXS_ERR_INVALID with *why for a name that cannot be a domain. */
mxs_status tui_app_add(tui_app *a, const char *name, int scenario, char **why);

/* A replay's domain, read back from a recording (core/record.h): listed
 * and shown at once, nothing is asked. Takes ownership of d (also on
 * error). MXS_ERR_INVALID when the app is not a replay. */
struct mx_domain;
mxs_status tui_app_add_recorded(tui_app *a, struct mx_domain *d, char **why);

/* Runs the loop until the user quits or a signal ends it. Returns 0, or
 * 130/143 after SIGINT/SIGTERM. */
int tui_app_run(tui_app *a);

/* Puts the cursor on the domain named name (raw or normalised) in the
 * domains pane. MXS_ERR_INVALID when it is not listed. */
mxs_status tui_app_select(tui_app *a, const char *name);

/* For tests: reads whatever input is pending, handles it and redraws what
 * is dirty, without blocking. Returns false once the user has quit. */
bool tui_app_pump(tui_app *a);
/* For tests: how many times the screen was redrawn so far (keys handled
 * in one loop turn share one redraw). */
size_t tui_app_draws(const tui_app *a);
/* For tests: every listed domain is resolved and every probed address has a
 * first result (while frozen: no DNS question is on the wire). */
bool tui_app_settled(const tui_app *a);
/* The screen as text, one line per row ending in '\n', UTF-8. Owned by the
 * caller. */
char *tui_app_screen(const tui_app *a);
/* The status line's current message (a view, valid until the next call). */
const char *tui_app_message(const tui_app *a);

/* After `Q`: the selected domain's text report to print once the screen is
 * gone, or NULL. Owned by the caller. */
char *tui_app_exit_report(tui_app *a);

/* Saves the state and restores the terminal: the normal screen is back
 * afterwards. MXS_OK when saved (or there is no state file); else *why
 * (owned by the caller) names the state file and what went wrong (disk
 * full, a directory that cannot be written), for the caller to print on the
 * normal screen and exit non-zero. Later calls do nothing. */
mxs_status tui_app_finish(tui_app *a, char **why);

/* Finishes (tui_app_finish, ignoring a failed save, when not done before)
 * and releases everything; the loop must run once more to close the
 * handles. Accepts NULL. */
void tui_app_free(tui_app *a);

#endif
