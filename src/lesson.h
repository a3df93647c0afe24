/* src/lesson.h — `mxscope lab --from FILE` (prefix lesson_): a recording
 * (core/record.h) written out as a lab scenario file (docs/lab.md) on
 * stdout, the way a trainer turns a real incident into a lesson. */
#ifndef MXSCOPE_LESSON_H
#define MXSCOPE_LESSON_H

#include "cli.h"

/* Writes the scenario for the recording o->from to stdout. Returns 0, or 2
 * when the file cannot be read or has bad lines (each named on stderr as
 * FILE:LINE: what; the scenario is still written from the good ones). */
int lesson_run(const cli_opts *o);

#endif
