/* tui/tui_state.h — the explorer's state between runs: the domain list and
 * the chosen theme, in $XDG_STATE_HOME/mxscope/state (plain text).
 *
 *     # mxscope state 1
 *     theme NAME
 *     domain NAME       (one line per domain, in list order)
 *
 * Written atomically (temporary file in the same directory, fsync, rename),
 * so a crash leaves the old file or the new one, never half of one. Read
 * line by line (core/line.h), bounded per line and not per file: whatever
 * the save writes, the load reads back, however many domains. */
#ifndef MXSCOPE_TUI_STATE_H
#define MXSCOPE_TUI_STATE_H

#include <stddef.h>

#include "status.h"

typedef struct tui_state {
	char *theme;    /* NULL when none was saved */
	char **domains; /* normalised names */
	size_t ndomains;
} tui_state;

/* The default path, $XDG_STATE_HOME/mxscope/state or
 * ~/.local/state/mxscope/state. Owned by the caller; NULL when neither
 * XDG_STATE_HOME nor HOME is set. */
char *tui_state_default_path(void);

/* Reads path into st (zeroed first). A missing file is MXS_OK and empty. A
 * file that cannot be read as a state file is renamed to
 * PATH.broken-TIMESTAMP and MXS_ERR_INVALID returned with *why naming the
 * file, the line and where it went; st is left empty. Something that is not
 * a regular file (a FIFO, a directory, a device) or cannot be read is
 * MXS_ERR_IO with *why, without blocking and without touching it. */
mxs_status tui_state_load(const char *path, tui_state *st, char **why);

/* Writes st to path atomically, creating the directory when needed.
 * MXS_ERR_IO with *why naming path and the reason (the first write error:
 * disk full, file too large) when it cannot; the old file is then intact.
 * Refuses to replace something that is not a regular file. */
mxs_status tui_state_save(const char *path, const tui_state *st, char **why);

/* Releases what st holds (not st itself). */
void tui_state_clear(tui_state *st);

#endif
