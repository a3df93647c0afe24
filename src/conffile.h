/* src/conffile.h — the config file (prefix conffile_):
 * $XDG_CONFIG_HOME/mxscope/config, or --config FILE. One reader for all of
 * it (docs/config.md):
 *
 *   # a comment (also ';')
 *   set OPTION VALUE      any long option's default (opts.h), flags win
 *   bind KEY ACTION       the explorer: KEY does ACTION (tui/keymap.h)
 *   unbind KEY            the explorer: KEY does nothing
 *   [blocklist NAME]      a blocklist provider (docs/blocklists.md)
 *
 * A bad line ends the run with exit 2 and "FILE:LINE: what is wrong". */
#ifndef MXSCOPE_CONFFILE_H
#define MXSCOPE_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "blocklist.h"
#include "settings.h"
#include "tui_keymap.h"

typedef struct conffile conffile;

/* Reads path (NULL: the default path, which need not exist) and applies its
 * `set` lines to st, whose strings then point into the returned conffile:
 * it must outlive st's use. Returns 0 with *out (owned by the caller, NULL
 * when there was no file), or the exit status (2 bad line or unreadable
 * file, 3 out of memory) after printing the one-line reason. */
int conffile_load(const char *path, settings *st, conffile **out);
void conffile_free(conffile *cf); /* accepts NULL */

/* The blocklist providers of the file into c (nothing for NULL cf), keys
 * from the environment. *warning as bl_config_load's. */
mxs_status conffile_blocklists(const conffile *cf, blr_config *c, char **warning, char **why);

const char *conffile_path(const conffile *cf); /* as given or defaulted */

/* The explorer's keys: the defaults with the file's bind and unbind lines
 * applied in order, or NULL (no file, or no such line: the defaults).
 * Owned by cf. */
const tui_keymap *conffile_keys(const conffile *cf);

#endif
