/* core/line.h — the one line reader: text split into lines, bounded per line.
 *
 * Every line-oriented input (the -f domain list, the explorer's state file,
 * scenario and config files) goes through here, so a long line, a NUL byte
 * or a missing final newline is handled one way everywhere. The reader is a
 * push splitter: feed it bytes as they arrive (from uv_fs_read, read(2), a
 * memory buffer) and it calls back once per line with its number. Memory is
 * bounded by max_line whatever the input holds. */
#ifndef MXSCOPE_LINE_H
#define MXSCOPE_LINE_H

#include <stddef.h>

#include "status.h"

/* flags passed with a line */
#define LINE_TOO_LONG 0x1u /* longer than max_line: cut there; the rest was read and skipped */
#define LINE_HAS_NUL  0x2u /* held a NUL byte (len counts up to the cut or the end) */

/* Called once per line: line is NUL-terminated at len, without its "\n" or
 * "\r\n", and valid only during the call. lineno counts from 1, whatever
 * the line's length. A non-zero return stops the reader: line_feed and
 * line_finish then return MXS_ERR_INVALID and deliver nothing more. */
typedef int (*line_cb)(const char *line, size_t len, unsigned long lineno, unsigned flags,
                       void *arg);

typedef struct line_reader line_reader;

/* A reader whose lines hold at most max_line bytes (at least 1). NULL when
 * out of memory. Owned by the caller: line_reader_free(). */
line_reader *line_reader_new(size_t max_line);

/* Splits len bytes of buf into lines, calling cb for each complete one. A
 * partial last line is kept for the next call. */
mxs_status line_feed(line_reader *r, const char *buf, size_t len, line_cb cb, void *arg);

/* At end of input: delivers a last line that had no newline. */
mxs_status line_finish(line_reader *r, line_cb cb, void *arg);

/* Lines delivered so far. */
unsigned long line_count(const line_reader *r);

void line_reader_free(line_reader *r); /* accepts NULL */

/* Reads the regular file at path line by line. A FIFO, directory or device
 * is refused (never blocks at open), as is a file that cannot be opened or
 * read; *why (owned by the caller) names the path and what was wrong.
 * MXS_ERR_INVALID when cb stopped the reading. */
mxs_status line_read_file(const char *path, size_t max_line, line_cb cb, void *arg, char **why);

#endif
