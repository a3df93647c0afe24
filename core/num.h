/* core/num.h — the one number parser for text people and files give us
 * (options, scenario files, trainer commands, state and config files). */
#ifndef MXSCOPE_NUM_H
#define MXSCOPE_NUM_H

#include <stdbool.h>

/* True when s is one or more decimal digits and nothing else (no sign, no
 * blanks, no base prefix) whose value is at most max; the value goes to
 * *out (may be NULL). */
bool mx_num_parse(const char *s, unsigned long max, unsigned long *out);

#endif
