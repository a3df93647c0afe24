/* tests/test_tui_fixture.h — the explorer on a virtual terminal for the
 * tui tests: the in-process lab (DNS and SMTP on loopback), the app drawn
 * with newterm into /dev/null with keys pushed through a pipe, and the
 * screen read back as text. Shared by tests/test_tui*.c. */
#ifndef MXSCOPE_TEST_TUI_FIXTURE_H
#define MXSCOPE_TEST_TUI_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <curses.h>

#include <cmocka.h>

#include "harness.h"
#include "lab.h"
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

/* What every explorer test process does before its tests: SIGPIPE ignored
 * (a probe's peer hanging up is not the test's death), a UTF-8 locale, the
 * source tree as the working directory (themes/ is found there), and
 * scan_global_init. 0 on success; pair with scan_global_cleanup. */
int tf_process_init(void);
int tf_setup(void **state);
/* The same with the lab's MTA-STS policy server (HTTPS, the lab CA); the
 * configs of tf_config then fetch policies from it (issue 11). */
int tf_setup_sts(void **state);
int tf_teardown(void **state);
void tf_rm_rf(const char *dir);
int tf_scenario_of(fixture *f, const char *name);
/* A config for a cols x rows terminal against the lab (lab mode, seed 42). */
tui_config tf_config(fixture *f, int cols, int rows);
/* Runs the loop until every domain is resolved and probed (10 s at most). */
void tf_settle(fixture *f);
/* Starts the app and adds the first domain of each named scenario. */
void tf_start(fixture *f, const tui_config *c, const char *const *scen, size_t n);
/* The screen as text after a pump; owned by the caller. */
char *tf_screen(fixture *f);
/* A key as the terminal would give it: characters or KEY_* codes. */
void tf_key(fixture *f, int ch);
void tf_keys(fixture *f, const char *s);
const char *tf_shown(const char *s);
int tf_count_lines(const char *s);
/* A timer callback that only wakes the loop (for deadlines). */
void tf_on_nudge(uv_timer_t *t);

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

/* A trainer command typed at the `T` prompt, then the new routing settled
 * (not a `trainer` macro: test_tui_keys.c still has its own static copy). */
void tf_trainer(fixture *f, const char *cmd);

#endif
