/* tui/theme_builtin.h — the shipped themes (themes/NAME.theme) compiled in by
 * scripts/embed_themes.py, so `t` and --theme NAME work wherever mxscope is
 * started. theme_load() looks here after the search path: a file there
 * overrides the built-in copy. Static data, never freed. */
#ifndef MXSCOPE_THEME_BUILTIN_H
#define MXSCOPE_THEME_BUILTIN_H

#include <stddef.h>

extern const char *const theme_builtin_name[]; /* "high-contrast" */
extern const char *const theme_builtin_text[]; /* the file's bytes */
extern const size_t theme_builtin_count;

#endif
