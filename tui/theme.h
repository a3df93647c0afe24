/* tui/theme.h — colour themes for the explorer: semantic roles declared once,
 * theme files read at run time, ncurses attributes out.
 *
 * A theme file (themes/NAME.theme) has one line per role:
 *     role = FG [on BG] [bold] [underline] [reverse] [dim]
 * with colours black red green yellow blue magenta cyan white default, or
 * bright-NAME, or a number 0-255; '#' starts a comment. Roles a file leaves
 * out keep the built-in default's value. No state is told by colour alone:
 * the TUI always prints a glyph and a word too. */
#ifndef MXSCOPE_THEME_H
#define MXSCOPE_THEME_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* id, file key, default foreground, default background, default attributes
 * (a '|' list of bold/underline/reverse/dim, or "") */
#define THEME_ROLES(X)                                                                             \
	X(NORMAL, "normal", "default", "default", "")                                              \
	X(DIM, "dim", "bright-black", "default", "")                                               \
	X(TITLE, "title", "cyan", "default", "bold")                                               \
	X(BORDER, "border", "blue", "default", "")                                                 \
	X(BORDER_FOCUS, "border-focus", "cyan", "default", "bold")                                 \
	X(SELECTED, "selected", "black", "cyan", "")                                               \
	X(STATUSBAR, "statusbar", "black", "white", "")                                            \
	X(KEY, "key", "yellow", "default", "bold")                                                 \
	X(OK, "ok", "green", "default", "")                                                        \
	X(WARN, "warn", "yellow", "default", "")                                                   \
	X(ERROR, "error", "red", "default", "bold")                                                \
	X(INFO, "info", "cyan", "default", "")                                                     \
	X(PENDING, "pending", "bright-black", "default", "")                                       \
	X(WALK_CURRENT, "walk-current", "black", "yellow", "bold")                                 \
	X(WALK_DONE, "walk-done", "green", "default", "bold")                                      \
	X(FROZEN, "frozen", "white", "blue", "bold")                                               \
	X(LISTED, "listed", "magenta", "default", "bold")

typedef enum theme_role {
#define THEME_X_ID(id, key, fg, bg, attrs) THEME_##id,
	THEME_ROLES(THEME_X_ID)
#undef THEME_X_ID
	    THEME_ROLE_COUNT
} theme_role;

typedef struct theme theme;

/* The themes shipped in themes/, in the order `t` cycles through them. */
extern const char *const theme_shipped[];
extern const size_t theme_shipped_count;

/* Loads a theme by NAME (searched as NAME.theme in ./themes,
 * $XDG_CONFIG_HOME/mxscope/themes, then the installed data dir) or by FILE
 * path (anything with a '/' or ending in .theme). On error returns NULL and
 * *why is "FILE:LINE: what was wrong" or "no theme NAME in DIRS"; callers
 * fall back to theme_default(). A shipped theme found nowhere on the path
 * is the copy compiled in (tui/theme_builtin.h): a file overrides it. The
 * result is owned by the caller. */
theme *theme_load(const char *name_or_file, char **why);
/* Parses theme TEXT (the contents of a theme file); ORIGIN names it in
 * messages ("FILE:LINE: ...") and, without directories and ".theme", gives
 * the theme's name. On error returns NULL with *why set. Owned by the caller. */
theme *theme_parse(const char *origin, const char *text, char **why);
/* The compiled-in default (always works); owned by the caller. */
theme *theme_default(void);
/* Black and white: attributes only (NO_COLOR, --no-color, mono terminals). */
theme *theme_mono(void);
void theme_free(theme *t); /* accepts NULL */

const char *theme_name(const theme *t);   /* "default", "light", or the file's name */
const char *theme_role_key(theme_role r); /* "walk-current" */
bool theme_is_mono(const theme *t);

/* After start_color(): defines one colour pair per role (nothing in mono or
 * on a terminal without colours). Call again after switching themes. */
void theme_apply(const theme *t);
/* The ncurses attributes (colour pair and A_* bits) for a role. */
unsigned int theme_attr(const theme *t, theme_role r);

#endif
