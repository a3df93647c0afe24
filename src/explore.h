/* src/explore.h — `mxscope [DOMAIN...]` and `mxscope lab` on a terminal:
 * the interactive explorer (tui/) set up from the command line. */
#ifndef MXSCOPE_EXPLORE_H
#define MXSCOPE_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cli.h"
#include "lab.h"

typedef struct explore_domain {
	const char *name;
	int scenario; /* the lab scenario it belongs to, or -1 */
} explore_domain;

/* What the lab hands the explorer: the world (for explanations and the
 * trainer's changes) and its SMTP hosts; borrowed, they outlive the run. */
typedef struct explore_labctl {
	lab_world *world;
	lab_smtp *smtp;
	bool tour; /* --tour: the domains given are the first scenario's */
} explore_labctl;

/* true when stdin and stdout are both terminals: the explorer can run. */
bool explore_possible(void);

/* Runs the explorer on loop with the domains doms[] (plus the saved list
 * when lab is NULL) until the user quits. lab, when given, supplies the
 * scenario explanations and the trainer controls and must outlive the call.
 * Returns the exit status:
 * 0, 2 for a bad name or option, 3 when the screen or the clients cannot be
 * set up, 128+N after signal N. */
int explore_run(uv_loop_t *loop, const cli_opts *o, const explore_labctl *lab,
                const explore_domain *doms, size_t n);

#endif
