/* src/diff.h — `mxscope diff OLD NEW`: what changed, per domain, between
 * two recordings (core/record.h); text or --json. */
#ifndef MXSCOPE_DIFF_H
#define MXSCOPE_DIFF_H

#include "cli.h"

/* Exit status like diff(1): 0 the same, 1 different, 2 trouble (a file
 * that cannot be read, a bad line: named on stderr as FILE:LINE: what). */
int diff_run(const cli_opts *o);

#endif
