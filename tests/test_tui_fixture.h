/* tests/test_tui_fixture.h — the explorer on a virtual terminal for the
 * tui tests: the in-process lab (DNS and SMTP on loopback), the app drawn
 * with newterm into /dev/null with keys pushed through a pipe, and the
 * screen read back as text. Shared by tests/test_tui*.c. */
#ifndef MXSCOPE_TEST_TUI_FIXTURE_H
#define MXSCOPE_TEST_TUI_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <curses.h>

#include <cmocka.h>

#include "harness.h"
#include "lab.h"
#include "theme.h"
#include "trainer.h"
#include "tui.h"

typedef struct fixture {
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h) */
	lab_world *w;
	lab_dns *dns;
	lab_smtp *smtp;
	char server[40];
	const char *servers[1];
	char dir[64], state[128];
	int pipefd[2];
	FILE *in, *out;
	tui_app *app;
	uv_timer_t nudge;
} fixture;

/* A test on the usual fixture (the built-in scenarios, DNS and SMTP). */
#define tf_test(fn) cmocka_unit_test_setup_teardown(fn, tf_setup, tf_teardown)
/* The whole of an explorer test's main(): `return tf_run(tests);`. Before
 * the tests: SIGPIPE ignored (a probe's peer hanging up is not the test's
 * death), a UTF-8 locale, the source tree as the working directory
 * (themes/ is found there) and scan_global_init; after them
 * scan_global_cleanup. A macro because cmocka's runner is one (it counts
 * the array). */
#define tf_run(tests)                                                                              \
	(tf_process_init() != 0 ? 1 : tf_process_done(cmocka_run_group_tests(tests, NULL, NULL)))
int tf_process_init(void);   /* 0 on success */
int tf_process_done(int rc); /* returns rc */

int tf_setup(void **state);
/* The same with the lab's MTA-STS policy server (HTTPS, the lab CA); the
 * configs of tf_config then fetch policies from it. */
int tf_setup_sts(void **state);
/* The same on a zone of the test's own (lab zone text, called name in the
 * lab's messages) instead of the built-in scenarios; DNS and SMTP. */
int tf_setup_zone(void **state, const char *name, const char *text);
int tf_teardown(void **state);
void tf_rm_rf(const char *dir);
int tf_scenario_of(fixture *f, const char *name);
/* A config for a cols x rows terminal against the lab (lab mode, seed 42). */
tui_config tf_config(fixture *f, int cols, int rows);
/* The same with the trainer on: T, D, B and R change the lab's world and
 * hosts (as `mxscope lab` runs it). */
tui_config tf_config_trainer(fixture *f, int cols, int rows);
/* Runs the loop a turn at a time until done(f, arg) is true; false when
 * secs seconds pass first (a timer wakes the loop to look at the clock). */
bool tf_run_until(fixture *f, bool (*done)(fixture *f, void *arg), void *arg, int secs);
/* Runs the loop until every domain is resolved and probed (10 s at most). */
void tf_settle(fixture *f);
/* Runs the loop until text is on the screen (for what the scan does not
 * wait for to call a domain settled); fails after secs seconds. The
 * screen, owned by the caller. */
char *tf_wait_for(fixture *f, const char *text, int secs);
/* Starts the app and adds the first domain of each named scenario. */
void tf_start(fixture *f, const tui_config *c, const char *const *scen, size_t n);
/* Adds the first domain of the named scenario to the running app. */
void tf_add_scenario(fixture *f, const char *name);
/* Starts the app on domain names that are not scenarios' first domains. */
void tf_start_names(fixture *f, const tui_config *c, const char *const *names, size_t n);
/* Frees the app (f->app NULL) and lets its handles close, for a test that
 * starts another or reads what it left behind. */
void tf_stop(fixture *f);
/* The screen as text after a pump; owned by the caller. */
char *tf_screen(fixture *f);
/* A key as the terminal would give it: characters or KEY_* codes. */
void tf_key(fixture *f, int ch);
void tf_keys(fixture *f, const char *s);
/* The same key n times (n steps of a walk, n rows down). */
void tf_key_times(fixture *f, int ch, int n);
const char *tf_shown(const char *s);
/* How often needle stands in hay, not overlapping. */
size_t tf_count(const char *hay, const char *needle);
int tf_count_lines(const char *s);
/* The screen row holding text, copied into row (empty when none). */
const char *tf_row_of(const char *scr, const char *text, char *row, size_t cap);

/* Cells, read back from ncurses' stdscr (one column per character, as the
 * explorer draws): where wide text first shows (row y, column x), or false. */
bool tf_find_cells(const wchar_t *text, int *y, int *x);
/* The first ncells cells of text's first showing (TF_EVERY_CELL: all of
 * them) look exactly as role r of theme th: the same colour pair, bold,
 * reverse and underline. what names the case in the failure. */
#define TF_EVERY_CELL SIZE_MAX
void tf_assert_cells(const wchar_t *text, size_t ncells, const theme *th, theme_role r,
                     const char *what);
/* Every cell of text's first showing looks as role r of the default theme. */
void tf_assert_role(const wchar_t *text, theme_role r);

#define setup       tf_setup
#define teardown    tf_teardown
#define rm_rf       tf_rm_rf
#define scenario_of tf_scenario_of
#define base_config tf_config
#define settle      tf_settle
#define start       tf_start
#define screen      tf_screen
#define key         tf_key
#define keys        tf_keys
#define shown       tf_shown
#define count_lines tf_count_lines

/* the whole screen goes to stderr: cmocka cuts long failure messages */
#define fail_screen(what, text, scr)                                                               \
	do {                                                                                       \
		fprintf(stderr, "screen %s \"%s\":\n%s", what, shown(text), shown(scr));           \
		fail();                                                                            \
	} while (0)

#define assert_has(scr, text)                                                                      \
	do {                                                                                       \
		if (!strstr((scr), (text)))                                                        \
			fail_screen("lacks", (text), (scr));                                       \
	} while (0)
#define assert_lacks(scr, text)                                                                    \
	do {                                                                                       \
		if (strstr((scr), (text)))                                                         \
			fail_screen("has", (text), (scr));                                         \
	} while (0)

/* A trainer command typed at the `T` prompt, then the new routing settled. */
void tf_trainer(fixture *f, const char *cmd);
/* A trainer command run on the lab directly (for domain), before the app
 * starts or behind its back; fails the test with the trainer's reason. */
void tf_lab_trainer(lab *l, const char *domain, const char *cmd);

#endif
