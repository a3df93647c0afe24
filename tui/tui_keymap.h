/* tui/tui_keymap.h — the explorer's keys: which key runs which action.
 *
 * Every action is written once, in keys.c's action table: its name (the
 * word a config file's `bind KEY ACTION` uses), its default keys, where it
 * works, its help line and its longer text for README.md and the man page.
 * A keymap is the defaults plus what the config file changed; dispatch,
 * the `?` overlay, the status bar hints and the generated docs all read
 * the keymap, so a rebound action shows its new key everywhere.
 *
 * Keys are ints: a character is its code point, an ncurses KEY_* code has
 * TUI_KEY_FN added (KEY_* codes overlap code points). Names are what users
 * write: `x`, `X`, `F5`, `^L` or `C-l`, `Enter`, `Tab`, `S-Tab`, `Esc`,
 * `Space`, `Up`, `Down`, `Left`, `Right`, `PgUp`, `PgDn`, `Home`, `End`,
 * `Ins`, `Del`, `Backspace`. */
#ifndef MXSCOPE_TUI_KEYMAP_H
#define MXSCOPE_TUI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "status.h"

typedef struct tui_keymap tui_keymap; /* opaque */

/* The default bindings; NULL when out of memory. Free with tui_keymap_free. */
tui_keymap *tui_keymap_new(void);
/* Accepts NULL. */
void tui_keymap_free(tui_keymap *km);
/* `bind KEY ACTION`: key runs action from now on, in place of what it ran
 * before; the action keeps its other keys. A walk's action (walk-faster,
 * ...) binds the key during walks only. MXS_ERR_INVALID with *why (one
 * line, owned by the caller) for an unknown key or action name. */
mxs_status tui_keymap_bind(tui_keymap *km, const char *key, const char *action, char **why);
/* `unbind KEY`: the key runs nothing, in walks or out of them. Unbinding a
 * key bound to nothing is no error; an unknown key name is. */
mxs_status tui_keymap_unbind(tui_keymap *km, const char *key, char **why);

/* ---- inside tui/ and for the docs generators --------------------------------- */

#define TUI_KEY_FN 0x1000000 /* added to an ncurses KEY_* code */

/* Where an action works beyond "always". */
enum {
	TUI_WHEN_LAB = 1u << 0,  /* mxscope lab: the trainer's controls */
	TUI_WHEN_TOUR = 1u << 1, /* mxscope lab --tour */
	TUI_WHEN_WALK = 1u << 2, /* while a walk runs: its own key table */
	TUI_WHEN_LIVE = 1u << 3, /* not in a replay: it asks the network */
};

/* One action as keys.c's table describes it; strings are static. */
typedef struct tui_action {
	const char *name;         /* what `bind KEY ACTION` names */
	const char *default_keys; /* names separated by spaces */
	const char *section;      /* the help's heading it is listed under */
	unsigned when;            /* TUI_WHEN_* */
	unsigned panes;           /* 1 << tui_pane where it does something; 0: all */
	const char *hint;         /* its word in the status bar, or NULL */
	int bar;                  /* its place in the status bar (1 first), 0: not there */
	int walk_bar;             /* the same during a walk */
	const char *group;        /* the `?` overlay's line it shares with its neighbours of the
	                             same group ("KEYS help; KEYS help"), or NULL: its own */
	const char *help;         /* the `?` overlay's text */
	const char *doc;          /* README.md and the man page (`code` in backticks); NULL: help */
} tui_action;

/* The actions, in the order the help lists them (keymap.c's table; what
 * each does is keys.c's, by the same index). */
typedef enum tui_act {
	TUI_ACT_UP,
	TUI_ACT_DOWN,
	TUI_ACT_PAGE_UP,
	TUI_ACT_PAGE_DOWN,
	TUI_ACT_FIRST,
	TUI_ACT_LAST,
	TUI_ACT_NEXT_PANE,
	TUI_ACT_PREV_PANE,
	TUI_ACT_OPEN,
	TUI_ACT_BACK,
	TUI_ACT_ZOOM,
	TUI_ACT_DOMAINS_NARROWER,
	TUI_ACT_DOMAINS_WIDER,
	TUI_ACT_ADD_DOMAIN,
	TUI_ACT_REMOVE_DOMAIN,
	TUI_ACT_UNDO,
	TUI_ACT_FILTER,
	TUI_ACT_REFRESH,
	TUI_ACT_SORT,
	TUI_ACT_WALK,
	TUI_ACT_WALK_FASTER,
	TUI_ACT_WALK_SLOWER,
	TUI_ACT_WALK_PAUSE,
	TUI_ACT_WALK_STEP,
	TUI_ACT_WALK_STOP,
	TUI_ACT_RESHUFFLE,
	TUI_ACT_WALK_AS_HOST,
	TUI_ACT_SENDER_NEXT,
	TUI_ACT_AUTHORITATIVE,
	TUI_ACT_FREEZE,
	TUI_ACT_THEME_NEXT,
	TUI_ACT_LOG,
	TUI_ACT_COPY,
	TUI_ACT_SAVE,
	TUI_ACT_COMMANDS,
	TUI_ACT_HELP,
	TUI_ACT_TRAINER,
	TUI_ACT_DOWN_UP,
	TUI_ACT_BEHAVE_NEXT,
	TUI_ACT_RESET,
	TUI_ACT_TOUR_NEXT,
	TUI_ACT_TOUR_PREV,
	TUI_ACT_QUIT,
	TUI_ACT_QUIT_REPORT,
	TUI_ACT_COUNT
} tui_act;

size_t tui_keymap_action_count(void);
const tui_action *tui_keymap_action_at(size_t i); /* NULL past the end */

/* The action named name, or -1. */
int tui_keymap_action_find(const char *name);
/* The key a terminal gave (wget_wch: fkey for KEY_CODE_YES), normalised:
 * '\r' and KEY_ENTER are Enter ('\n'), 8 and 127 are Backspace. */
int tui_keymap_key(wint_t ch, bool fkey);
/* The key named name (see above), or -1. */
int tui_keymap_parse(const char *name);
/* The key's name as users write it ("F9", ":", "^X", "Enter"); returns out. */
const char *tui_keymap_name(int key, char *out, size_t cap);
/* The action key runs (in a walk: walk actions first), or -1. */
int tui_keymap_lookup(const tui_keymap *km, int key, bool walking);
/* Keys bound to action i: the n-th (0 first), or -1 when there are fewer. */
int tui_keymap_key_of(const tui_keymap *km, size_t action, size_t n);
/* The first key of the action named name as a name, or fallback when it
 * has none (or there is no such action); returns out. */
const char *tui_keymap_first(const tui_keymap *km, const char *name, const char *fallback,
                             char *out, size_t cap);

/* The key column of action i, in one of four styles: plain ("q, F10"),
 * README markdown ("`q`, F10") or man page roff ("\fBq\fR, \fBF10\fR"),
 * each with its condition ("(lab)") after the keys; or the keys alone
 * (plain), for a help line whose group names the condition. Returns out. */
typedef enum tui_keymap_style {
	TUI_KM_KEYS,
	TUI_KM_PLAIN,
	TUI_KM_README,
	TUI_KM_MAN
} tui_keymap_style;
const char *tui_keymap_column(const tui_keymap *km, size_t action, tui_keymap_style style,
                              char *out, size_t cap);

/* README.md's key table (between its key table markers) and the man
 * page's KEYS section (between its markers), made from km; owned by the
 * caller, NULL when out of memory. */
char *tui_keymap_readme(const tui_keymap *km);
char *tui_keymap_man(const tui_keymap *km);

#endif
