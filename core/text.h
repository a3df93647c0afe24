/* core/text.h — the one growing string the reports and command lists are
 * written into (prefix mx_text_).
 *
 * A value type on the caller's stack, zeroed to start: `mx_text t = {0};`.
 * An allocation failure is remembered and every later call does nothing,
 * so writers check once, at mx_text_take.
 *
 * The terminal rule lives here, at the one place every report, walk and
 * command list leaves as a string: mx_text_take passes every byte through
 * mx_sanitize_lines (core/report.h) except the writer's own markup
 * (mx_text_markup), so a field a writer forgot to sanitise, or one added
 * later, still cannot put a control byte on the terminal. */
#ifndef MXSCOPE_TEXT_H
#define MXSCOPE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mx_text {
	char *s;
	size_t len, cap;
	bool failed;
	size_t *mark; /* [start, end) pairs of markup bytes in s */
	size_t nmark, capmark;
} mx_text;

void mx_text_printf(mx_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Network text, through mx_sanitize first (core/report.h): no control byte
 * from a server ever reaches a report. NULL is written as "". */
void mx_text_safe(mx_text *t, const char *s);

/* The writer's own terminal markup (an SGR colour of a fixed table): the
 * only bytes mx_text_take lets through as they are. */
void mx_text_markup(mx_text *t, const char *code);

/* Appends s, rendered elsewhere, and frees it; NULL counts as a failure. */
void mx_text_own(mx_text *t, char *s);

/* The string written so far, through the terminal rule, owned by the
 * caller (free()), and t emptied; NULL (and nothing to free) when an
 * allocation failed on the way. */
char *mx_text_take(mx_text *t);

#endif
