/* src/labcmd.h — `mxscope lab`: load scenarios, serve them on loopback, and
 * report on them (or only serve, with --serve). */
#ifndef MXSCOPE_LABCMD_H
#define MXSCOPE_LABCMD_H

#include "cli.h"

/* Runs the lab command; returns the exit status. */
int labcmd_run(const cli_opts *o);

#endif
