/* src/check.h — `mxscope check`: resolve domains, analyse, print reports as
 * each one finishes. Also used by `mxscope lab` to report on its scenarios. */
#ifndef MXSCOPE_CHECK_H
#define MXSCOPE_CHECK_H

#include <stdio.h>
#include <uv.h>

#include "blocklist.h"
#include "cli.h"
#include "report.h"
#include "scan.h"

/* Runs the check on loop for the domains named in names[] and, when
 * o->file is set, for every line of that file (or stdin for "-"). Writes
 * reports to out and one-line problems to stderr. Returns the exit status:
 * 0 all good, 1 a finding of severity error, 2 bad input, 3 could not run.
 * Other handles may live on loop (the lab's server); they are left alone. */
int check_run(uv_loop_t *loop, const cli_opts *o, char *const *names, size_t nnames, FILE *out);

/* The blocklist providers from the config file (--config, or the default
 * path when it exists), the lab's own, then each --blocklist; owned by the
 * caller through *out. Returns 0, or the exit status after printing a
 * one-line reason (2 bad input, 3 out of memory). */
int check_blocklist_config(const cli_opts *o, blr_config **out);

/* The PEM file given with --cafile, whole (at most 1 MiB), for the
 * explorer too. NULL with *why when it cannot be read or holds no
 * certificate; owned by the caller. */
char *check_read_cafile(const char *path, char **why);

/* The --record line of d as scan s made it now; json, when given, is the
 * line check --json printed for it already (copied). Owned by the caller. */
char *check_record_line(const cli_opts *o, const scan *s, const mx_domain *d, const char *json);

/* What check prints for one settled domain of scan s: the text report, the
 * JSON line (a recording line, core/record.h) or, with --commands, the
 * commands (net/commands.h). With *record_fd >= 0 the recording line is
 * appended there too; when that fails (a full disk) it is said once, the
 * file closed and *record_fd set to CHECK_RECORD_FAILED. Owned by the
 * caller; NULL when out of memory. */
#define CHECK_RECORD_FAILED (-2)
char *check_render(const cli_opts *o, const scan *s, const mx_domain *d, const mx_report_opts *ro,
                   const blr_config *bl, int *record_fd);

#endif
