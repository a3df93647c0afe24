/* src/cmdtab.h — the command table (prefix cmdtab_): each command of the
 * mxscope binary once, with its name, usage, summary, the arguments it
 * takes and the function that runs it, like tmux's cmd_entry. main() picks
 * an entry by the first word (or the first word left after the options:
 * "mxscope --ascii lab"), and `mxscope help COMMAND` prints one. */
#ifndef MXSCOPE_CMDTAB_H
#define MXSCOPE_CMDTAB_H

#include <stdio.h>

#include "cli.h"

typedef struct cmdtab_entry cmdtab_entry; /* opaque: one command */

/* The command named word ("check"), or NULL. The explorer has no word. */
const cmdtab_entry *cmdtab_find(const char *word);
const cmdtab_entry *cmdtab_explorer(void);
/* The word that names e, NULL for the explorer. */
const char *cmdtab_name(const cmdtab_entry *e);

/* The command's options (opts.h bit) and its run: the arguments and
 * options are checked first (exit 2 with a one-line reason), then it runs.
 * Returns the exit status. */
int cmdtab_run(const cmdtab_entry *e, cli_opts *o);

/* --help: every command's usage, every option, the exit statuses. */
void cmdtab_usage(FILE *to);

/* `mxscope help [COMMAND]`: with no word --help's text; else that
 * command's usage, what it does and the options it takes. Returns 0, or 2
 * after a one-line error for a word that is no command. */
int cmdtab_help(FILE *to, const char *word);

#endif
