/* lab/trainer.h — the trainer's command language: live changes to a running
 * lab, typed at the explorer's `T` prompt ("down 127.0.16.1", "pref mx2 5").
 *
 * Every command is described once, in a table (name, arguments, usage, what
 * it does, handler), in the way tmux describes each command once: the prompt's
 * help, the error for a wrong call and the README's table are all written from
 * it. A front end only hands over the line the trainer typed.
 */
#ifndef MXSCOPE_LAB_TRAINER_H
#define MXSCOPE_LAB_TRAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "lab.h"
#include "status.h"

/* The running lab as the trainer sees it: the world whose records change and
 * the SMTP hosts whose behaviour changes. Both are borrowed and must outlive
 * the lab; either may be NULL, and the commands that need it then refuse with
 * a one-line reason. */
typedef struct lab lab;

/* NULL when out of memory. Owned by the caller. */
lab *lab_new(lab_world *world, lab_smtp *smtp);
void lab_free(lab *l); /* accepts NULL; frees neither the world nor the hosts */

/* Runs one command line on the lab. domain is the domain the trainer is
 * looking at (the explorer's selection; may be NULL): MX commands change it,
 * and a HOST without a dot is a name under it ("mx2" = "mx2.DOMAIN").
 *
 * MXS_OK when the lab changed; the DNS server and SMTP hosts already serve the
 * change. Then *why, when why is not NULL, is a one-line account of what was
 * done for the log ("pref.lab.test: MX 5 mx2.pref.lab.test (new preference)").
 * MXS_ERR_INVALID for a bad line (unknown command, wrong arguments: *why is
 * "usage: pref HOST N"), and the error of the change that failed otherwise;
 * *why then is the one-line reason. *why is malloc'd, owned by the caller,
 * and always set when why is not NULL (NULL only when out of memory). */
mxs_status lab_trainer_run(lab *l, const char *domain, const char *line, char **why);

/* One command as the table describes it. */
struct lab_trainer_cmd {
	const char *name;  /* "pref" */
	const char *args;  /* "HOST N", "" when none */
	const char *usage; /* what it does, one sentence, for help and README */
	bool needs_domain; /* works on the selected domain */
};

/* The table, for help screens and documentation: i < lab_trainer_cmd_count(). */
size_t lab_trainer_cmd_count(void);
const struct lab_trainer_cmd *lab_trainer_cmd_at(size_t i);

/* The prompt's one-line help, "down ADDR, up ADDR, ..., reset", written into
 * buf (always NUL-terminated when cap > 0). Returns the length the whole text
 * needs, like snprintf. */
size_t lab_trainer_help(char *buf, size_t cap);

#endif
