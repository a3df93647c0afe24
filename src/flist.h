/* src/flist.h — the -f domain list (prefix flist_): a file, a pipe or a
 * terminal read on the libuv loop without blocking it, split into lines by
 * core/line.h, handed out one line at a time.
 *
 * Backpressure: a chunk is read only when the lines of the last one are
 * used up, so memory is bounded by one chunk and one line whatever the input.
 * Files are read on libuv's thread pool (a read ends promptly); pipes and
 * terminals as libuv streams, so closing never waits on a quiet writer. */
#ifndef MXSCOPE_FLIST_H
#define MXSCOPE_FLIST_H

#include <stdbool.h>
#include <uv.h>

#include "line.h"

#define FLIST_LINE_MAX   65536u /* a longer line is handed out as LINE_TOO_LONG */
#define FLIST_READ_ERROR 0x100u /* the input failed: text says why; nothing follows */

typedef struct flist_line {
	char *text; /* the line, NUL-terminated; NULL when flags has LINE_TOO_LONG or
	               LINE_HAS_NUL; the reason with FLIST_READ_ERROR. Owned by the caller. */
	unsigned long lineno;
	unsigned flags; /* LINE_TOO_LONG, LINE_HAS_NUL (core/line.h), FLIST_READ_ERROR */
} flist_line;

typedef struct flist flist;

/* Called from the loop when lines came (or the input ended) after
 * flist_next said none was ready. */
typedef void (*flist_wake_cb)(void *arg);

/* Opens path ("-" = standard input). A directory or another odd file is
 * refused; opening a FIFO never waits for a writer (none: it reads as
 * empty). NULL with *why (owned by the caller) naming the path. */
flist *flist_open(uv_loop_t *loop, const char *path, flist_wake_cb wake, void *arg, char **why);

/* "stdin", or the path as given; valid while f lives. */
const char *flist_label(const flist *f);

/* The next line into *out, or false when none is ready yet: a read is then
 * under way (wake comes) unless the input has ended. */
bool flist_next(flist *f, flist_line *out);

/* Every line was handed out and the input has ended. */
bool flist_done(const flist *f);

/* Stops reading and releases f: a file's read on the thread pool is let
 * finish first (the loop runs until it has); a stream is closed, its memory
 * goes when the loop next runs. No wake after this. Accepts NULL. */
void flist_close(flist *f);

#endif
