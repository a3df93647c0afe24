/* src/explaincmd.h — `mxscope explain [OPTIONS] FILE...|-` (prefix
 * explaincmd_): evidence of stuck or bounced mail judged against the
 * routing now, or against a recording (--replay). docs/explain.md. */
#ifndef MXSCOPE_EXPLAINCMD_H
#define MXSCOPE_EXPLAINCMD_H

#include "cli.h"

/* Reads o->args (files, "-" for stdin), checks the domains they name,
 * prints the verdicts. Returns the exit status: 0 nothing reproduced, 1
 * something reproduced, 2 bad input, 3 could not run. */
int explaincmd_run(const cli_opts *o);

#endif
