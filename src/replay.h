/* src/replay.h — `mxscope replay FILE...`: a recording (core/record.h)
 * shown again without any network: the explorer on a terminal, the reports
 * (text, --json, --commands) otherwise. */
#ifndef MXSCOPE_REPLAY_H
#define MXSCOPE_REPLAY_H

#include "cli.h"

/* Returns the exit status: 0 all good, 1 a finding of severity error,
 * 2 a file that cannot be read or a bad line (each named on stderr as
 * FILE:LINE: what; the other lines are still shown). */
int replay_run(const cli_opts *o);

#endif
