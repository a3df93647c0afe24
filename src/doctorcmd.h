/* src/doctorcmd.h — `mxscope doctor [HOST[:PORT]]` (prefix doctorcmd_):
 * checks this machine's set-up for probing mail hosts (net/doctor.h) and
 * prints what it found, one line each. */
#ifndef MXSCOPE_DOCTORCMD_H
#define MXSCOPE_DOCTORCMD_H

#include "cli.h"

/* Runs the checks: the resolver (the system's or -s) answers; a TCP
 * connection to HOST (the one address given, or HOST's first address from
 * the resolver) on PORT (default --smtp-port, else 25) opens; this machine
 * has an IPv6 default route. Exit status 0 when the resolver answers and
 * the connection opens (or no HOST was named), 1 otherwise, 2 for a bad
 * HOST[:PORT], 3 when nothing could run. */
int doctorcmd_run(const cli_opts *o);

#endif
