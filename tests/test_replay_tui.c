/* tests/test_replay_tui.c — the explorer records as it runs (--record) against
 * the lab in this process; then the lab is closed (nothing answers any more)
 * and the recording is replayed in the explorer (the scan in replay mode):
 * every domain's screen is the live one apart from the header, which says
 * REPLAY and when; the walk, the reshuffle and the findings pane work. The
 * screens are read from a virtual terminal (newterm), as in test_tui.c. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>

#include "harness.h"
#include "lab.h"
#include "record.h"
#include "tui.h"

static const char *const scen[] = {"primary-down", "tls", "tempfail", "null-mx"};
#define NSCEN (sizeof(scen) / sizeof(scen[0]))
/* recorded on their own with MTA-STS fetched from the lab: the walk of each
 * sender profile read back from the recording; by
 * name, as the list is compared */
static const char *const sscen[] = {"dane-stale", "sts-enforce"};
#define NSSCEN   (sizeof(sscen) / sizeof(sscen[0]))
#define NPROFILE 3 /* SENDER_COUNT: opportunistic, mta-sts, dane, in S's order */

typedef struct fixture {
	uv_loop_t loop;
	hlab_here here;
	const char *servers[1];
	char dir[64], rec[128], state[128];
	int pipefd[2];
	FILE *in, *out;
	tui_app *app;
	uv_timer_t nudge;
	char *live[NSCEN];             /* each domain's live screen */
	char rec2[128];                /* the sender scenarios' recording */
	char *walks[NSSCEN][NPROFILE]; /* their live walks' screens, per profile */
} fixture;

static void on_nudge(uv_timer_t *t)
{
	(void)t;
}

static tui_config config(fixture *f)
{
	setenv("COLUMNS", "120", 1);
	setenv("LINES", "40", 1);
	unsetenv("NO_COLOR");
	return (tui_config){.loop = &f->loop,
	                    .in = f->in,
	                    .out = f->out,
	                    .term = "xterm-256color",
	                    .set.timeout_ms = 1000,
	                    .set.allow_loopback = true,
	                    .set.seed = 42,
	                    .set.interval_ms = 600000,
	                    .state_path = f->state,
	                    .state_domains = false};
}

static void key(fixture *f, int ch)
{
	unget_wch((wchar_t)ch);
	tui_app_pump(f->app);
}

/* The screen without its first row (the header: clock, LAB or REPLAY). */
/* The screen between the header and the status bar: the two differ on
 * purpose (REPLAY, and no re-probe hint in a replay), the panes must not. */
static char *body(fixture *f)
{
	char *s, *nl, *last;

	tui_app_pump(f->app);
	s = tui_app_screen(f->app);
	assert_non_null(s);
	nl = strchr(s, '\n');
	memmove(s, nl + 1, strlen(nl + 1) + 1);
	/* the last line (a final newline, if any, first) */
	if ((last = strrchr(s, '\n')) && !last[1]) {
		*last = '\0';
		last = strrchr(s, '\n');
	}
	if (last)
		last[1] = '\0';
	return s;
}

static char *header(fixture *f)
{
	char *s = tui_app_screen(f->app), *nl = strchr(s, '\n');

	*nl = '\0';
	return s;
}

static void run_until(fixture *f, bool (*done)(fixture *), const char *what)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	uv_timer_start(&f->nudge, on_nudge, 10, 10);
	while (!done(f)) {
		uv_run(&f->loop, UV_RUN_ONCE);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 15)
			fail_msg("%s: not in 15 s", what);
	}
	uv_timer_stop(&f->nudge);
	tui_app_pump(f->app);
}

static bool settled(fixture *f)
{
	return tui_app_settled(f->app);
}

/* Settled also after a draw: the details pane asks SRV when it shows it. */
static bool settled_drawn(fixture *f)
{
	return tui_app_settled(f->app) && tui_app_pump(f->app) && tui_app_settled(f->app);
}

/* The list as added follows the order domains first changed, which is the
 * order their answers happened to come in: live and replayed lists are put
 * in one order (by name, the o key) before they are compared. */
static void by_name(fixture *f)
{
	key(f, 'o');
	key(f, 'o');
	key(f, 'g'); /* the cursor follows its domain: back to the top */
}

static void on_rec(mx_domain *d, const rec_meta *m, const char *error, unsigned long lineno,
                   void *arg)
{
	fixture *f = arg;

	(void)m;
	(void)lineno;
	if (error)
		fail_msg("%s", error);
	assert_int_equal(tui_app_add_recorded(f->app, d, NULL), MXS_OK);
}

/* Each domain's walk to its end as each sender profile (S), the screens
 * into out; the list is by name and the domains pane has the focus. */
static void walk_profiles(fixture *f, char *out[NSSCEN][NPROFILE])
{
	for (size_t i = 0; i < NSSCEN; i++) {
		for (size_t p = 0; p < NPROFILE; p++) {
			key(f, 'w');
			for (int k = 0; k < 8; k++)
				key(f, 'n'); /* n pauses and steps: to the end */
			out[i][p] = body(f);
			key(f, 27);  /* the walk stops */
			key(f, 'h'); /* back to the domains */
			key(f, 'S'); /* the next profile; three times: around */
		}
		key(f, 'j');
	}
}

/* The sender scenarios live, recorded into rec2, with the lab's MTA-STS
 * policies; their walks per profile kept to compare with the replay. */
static void record_senders(fixture *f, const tui_config *live, const lab_world *w)
{
	tui_config c = *live;
	char *why = NULL;

	c.set.record = f->rec2;
	c.set.mta_sts_port = f->here.sts_port;
	f->app = tui_app_new(&c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
	for (size_t i = 0; i < NSSCEN; i++)
		for (size_t k = 0; k < lab_world_scenario_count(w); k++)
			if (strcmp(lab_scenario_name(w, k), sscen[i]) == 0)
				assert_int_equal(
				    tui_app_add(f->app, lab_scenario_domain(w, k, 0), -1, &why),
				    MXS_OK);
	run_until(f, settled_drawn, "the sender scenarios settling");
	by_name(f);
	walk_profiles(f, f->walks);
	tui_app_free(f->app);
	f->app = NULL;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	tui_config c;
	char *why = NULL;
	const lab_world *w;

	assert_non_null(f);
	h_lab_open(&f->here, &f->loop, NULL, NULL, H_DNS | H_SMTP | H_STS);
	w = f->here.world;
	f->servers[0] = f->here.server;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mxscope-rtui-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rec, sizeof(f->rec), "%s/live.ndjson", f->dir);
	snprintf(f->rec2, sizeof(f->rec2), "%s/senders.ndjson", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(pipe(f->pipefd), 0);
	f->in = fdopen(f->pipefd[0], "r");
	f->out = fopen("/dev/null", "w");
	uv_timer_init(&f->loop, &f->nudge);
	/* the live run, recording */
	c = config(f);
	c.set.servers[0] = f->servers[0];
	c.set.nservers = 1;
	c.set.smtp_port = lab_smtp_port(f->here.smtp);
	c.ca_pem = lab_smtp_ca_pem(f->here.smtp);
	c.set.loopback_probes = true;
	c.set.record = f->rec;
	f->app = tui_app_new(&c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
	for (size_t i = 0; i < NSCEN; i++)
		for (size_t k = 0; k < lab_world_scenario_count(w); k++)
			if (strcmp(lab_scenario_name(w, k), scen[i]) == 0)
				assert_int_equal(
				    tui_app_add(f->app, lab_scenario_domain(w, k, 0), -1, &why),
				    MXS_OK);
	run_until(f, settled, "the live run settling");
	by_name(f);
	for (size_t i = 0; i < NSCEN; i++) {
		/* a details pane that shows SRV asks for it: its answer first */
		run_until(f, settled_drawn, "the SRV answer");
		f->live[i] = body(f);
		key(f, 'j');
	}
	tui_app_free(f->app);
	f->app = NULL;
	record_senders(f, &c, w);
	uv_close((uv_handle_t *)&f->nudge, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	/* nothing answers from here on */
	h_lab_close(&f->here);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->nudge);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[200];

	tui_app_free(f->app);
	uv_close((uv_handle_t *)&f->nudge, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_loop_close(&f->loop);
	fclose(f->in);
	close(f->pipefd[1]);
	fclose(f->out);
	for (size_t i = 0; i < NSCEN; i++)
		free(f->live[i]);
	for (size_t i = 0; i < NSSCEN; i++)
		for (size_t p = 0; p < NPROFILE; p++)
			free(f->walks[i][p]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void start_replay_of(fixture *f, const char *rec)
{
	tui_config c = config(f);
	char *why = NULL;
	size_t nbad = 0;

	c.replay = "REPLAY recorded 2026-01-02T03:04:05Z";
	f->app = tui_app_new(&c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
	assert_int_equal(rec_read_file(rec, on_rec, f, &nbad, &why), MXS_OK);
	assert_int_equal(nbad, 0);
	run_until(f, settled, "the replay settling");
	by_name(f);
}

static void start_replay(fixture *f)
{
	start_replay_of(f, f->rec);
}

/* S then w in the replay: each profile's walk is the live one, screen for
 * screen — which rule skipped which host (the stale TLSA, the uncovered
 * backup) and where the mail ends come from the recording alone. */
static void test_walk_per_profile(void **state)
{
	fixture *f = *state;
	char *replayed[NSSCEN][NPROFILE] = {{NULL}};

	/* the live walks are real ones: each profile ends its own way */
	assert_non_null(strstr(f->walks[0][0], "=> delivered to mx1.dane-stale.lab.test"));
	assert_non_null(strstr(f->walks[0][2], "skipped by dane: DANE: the certificate"));
	assert_non_null(strstr(f->walks[0][2], "=> delivered to mx2.dane-stale.lab.test"));
	assert_non_null(strstr(f->walks[1][0], "=> delivered to backup.sts-enforce.lab.test"));
	assert_non_null(strstr(f->walks[1][1], "skipped by mta-sts: MTA-STS enforce"));
	assert_non_null(strstr(f->walks[1][1], "=> no host accepts"));
	start_replay_of(f, f->rec2);
	walk_profiles(f, replayed);
	for (size_t i = 0; i < NSSCEN; i++)
		for (size_t p = 0; p < NPROFILE; p++) {
			if (strcmp(replayed[i][p], f->walks[i][p]) != 0) {
				fprintf(stderr, "%s, profile %zu: live\n%s\nreplay\n%s\n", sscen[i],
				        p, f->walks[i][p], replayed[i][p]);
				fail();
			}
			free(replayed[i][p]);
		}
	tui_app_free(f->app);
	f->app = NULL;
}

static void test_screens_match_live(void **state)
{
	fixture *f = *state;
	char *h;

	start_replay(f);
	h = header(f);
	assert_non_null(strstr(h, "REPLAY recorded 2026-01-02T03:04:05Z"));
	assert_non_null(strstr(h, "4 domains"));
	free(h);
	/* the live screens are real ones: probed, each its own domain */
	/* by name: null, primary-down, tempfail, tls */
	assert_non_null(strstr(f->live[0], "null MX"));
	assert_non_null(strstr(f->live[1], "Tiers of primary-down.lab.test"));
	assert_non_null(strstr(f->live[1], "refused"));
	assert_non_null(strstr(f->live[2], "tempfail"));
	assert_non_null(strstr(f->live[3], "Tiers of tls.lab.test"));
	/* a replay asks nobody: a name typed in is refused, not looked up */
	{
		char *why = NULL;
		assert_int_equal(tui_app_add(f->app, "example.test", -1, &why), MXS_ERR_INVALID);
		assert_non_null(strstr(why, "replay"));
		free(why);
	}
	for (size_t i = 0; i < NSCEN; i++) {
		char *s = body(f);
		if (strcmp(s, f->live[i]) != 0) {
			fprintf(stderr, "domain %zu: live\n%s\nreplay\n%s\n", i, f->live[i], s);
			fail();
		}
		free(s);
		key(f, 'j');
	}
	tui_app_free(f->app);
	f->app = NULL;
}

static bool walk_done(fixture *f)
{
	char *s = body(f);
	bool done = strstr(s, "delivered to mx2.primary-down.lab.test") != NULL &&
	            strstr(s, "Delivery walk") != NULL;
	free(s);
	return done;
}

/* The walk plays from the recorded probes; x reshuffles (a new seed in the
 * title) without asking anyone; the findings pane lists the recorded
 * domain's findings. */
static void test_walk_shuffle_findings(void **state)
{
	fixture *f = *state;
	char *s;

	start_replay(f);
	key(f, 'j'); /* past null.lab.test */
	s = body(f);
	assert_non_null(strstr(s, "Tiers of primary-down.lab.test  seed 42"));
	assert_non_null(strstr(s, "refused"));
	assert_non_null(strstr(s, "primary-unreachable"));
	free(s);
	key(f, 'w');
	run_until(f, walk_done, "the walk");
	key(f, 'x');
	s = body(f);
	assert_null(strstr(s, "Tiers of primary-down.lab.test  seed 42 "));
	assert_non_null(strstr(s, "Tiers of primary-down.lab.test  seed "));
	free(s);
	tui_app_free(f->app);
	f->app = NULL;
}

/* The screen without its last row (the status line). */
static char *above_status(fixture *f)
{
	char *s = body(f);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		n--;
	while (n > 0 && s[n - 1] != '\n')
		n--;
	s[n] = '\0';
	return s;
}

/* r in a replay does not claim to re-probe: the status line says a
 * recording is not re-probed, and nothing on screen changes (nothing was
 * asked, no probe started, the history is the recorded one). */
static void test_refresh_says_not_reprobed(void **state)
{
	fixture *f = *state;
	char *before, *after, *all;

	start_replay(f);
	key(f, 'j'); /* primary-down.lab.test */
	before = above_status(f);
	/* and the status bar never offers it */
	all = tui_app_screen(f->app);
	assert_null(strstr(all, "r re-probe"));
	free(all);
	key(f, 'r');
	all = tui_app_screen(f->app);
	assert_non_null(strstr(all, "r: a recording is not re-probed"));
	assert_null(strstr(all, "re-probing"));
	assert_null(strstr(all, "re-resolving"));
	run_until(f, settled_drawn, "the replay after r");
	after = above_status(f);
	assert_string_equal(after, before);
	free(before);
	free(after);
	free(all);
	tui_app_free(f->app);
	f->app = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_screens_match_live),
	    cmocka_unit_test(test_walk_shuffle_findings),
	    cmocka_unit_test(test_walk_per_profile),
	    cmocka_unit_test(test_refresh_says_not_reprobed),
	};
	signal(SIGPIPE, SIG_IGN); /* a probe's peer hanging up is not the test's death */
	return cmocka_run_group_tests(tests, setup, teardown);
}
