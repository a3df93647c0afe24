/* tests/test_tui_fixture.c — see test_tui_fixture.h. */
#include "test_tui_fixture.h"

#include <dirent.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scan.h"

static int setup_with(void **state, unsigned which)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_lab_open(&f->here, &f->loop, NULL, NULL, which);
	f->w = f->here.world;
	f->dns = f->here.dns;
	f->smtp = f->here.smtp;
	snprintf(f->server, sizeof(f->server), "%s", f->here.server);
	f->servers[0] = f->server;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mxscope-tui-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/mxscope/state", f->dir);
	assert_int_equal(pipe(f->pipefd), 0);
	f->in = fdopen(f->pipefd[0], "r");
	f->out = fopen("/dev/null", "w");
	assert_non_null(f->in);
	assert_non_null(f->out);
	uv_timer_init(&f->loop, &f->nudge);
	*state = f;
	return 0;
}

void tf_rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int tf_teardown(void **state)
{
	fixture *f = *state;

	tui_app_free(f->app);
	uv_close((uv_handle_t *)&f->nudge, NULL);
	h_lab_close(&f->here);
	fclose(f->in);
	close(f->pipefd[1]);
	fclose(f->out);
	rm_rf(f->dir);
	free(f);
	return 0;
}

int tf_scenario_of(fixture *f, const char *name)
{
	for (size_t i = 0; i < lab_world_scenario_count(f->w); i++)
		if (strcmp(lab_scenario_name(f->w, i), name) == 0)
			return (int)i;
	return -1;
}

tui_config tf_config(fixture *f, int cols, int rows)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", cols);
	setenv("COLUMNS", buf, 1);
	snprintf(buf, sizeof(buf), "%d", rows);
	setenv("LINES", buf, 1);
	unsetenv("NO_COLOR");
	return (tui_config){
	    .loop = &f->loop,
	    .in = f->in,
	    .out = f->out,
	    .term = "xterm-256color",
	    .servers = f->servers,
	    .nservers = 1,
	    .timeout_ms = 1000,
	    .smtp_port = lab_smtp_port(f->smtp),
	    .ca_pem = lab_smtp_ca_pem(f->smtp),
	    .loopback_probes = true,
	    .allow_loopback = true,
	    .seed = 42,
	    .interval_ms = 600000,
	    .state_path = f->state,
	    .state_domains = false,
	    .lab = f->w,
	    /* with tf_setup_sts: policies fetched from the lab's own server */
	    .mta_sts = f->here.sts != NULL,
	    .mta_sts_port = f->here.sts_port,
	};
}

void tf_on_nudge(uv_timer_t *t)
{
	(void)t; /* only wakes the loop so the deadline is checked */
}

/* Runs the loop until every domain is resolved and probed. */
void tf_settle(fixture *f)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	uv_timer_start(&f->nudge, tf_on_nudge, 10, 10);
	for (;;) {
		uv_run(&f->loop, UV_RUN_ONCE);
		/* settled after a draw too: a drawn SRV section asks again */
		if (tui_app_settled(f->app) && tui_app_pump(f->app) && tui_app_settled(f->app))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			fail_msg("the lab domains did not settle in 10 s");
	}
	uv_timer_stop(&f->nudge);
	tui_app_pump(f->app);
}

void tf_start(fixture *f, const tui_config *c, const char *const *scen, size_t n)
{
	char *why = NULL;

	f->app = tui_app_new(c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
	for (size_t i = 0; i < n; i++) {
		int si = scenario_of(f, scen[i]);
		assert_true(si >= 0);
		assert_int_equal(
		    tui_app_add(f->app, lab_scenario_domain(f->w, (size_t)si, 0), si, &why),
		    MXS_OK);
	}
	settle(f);
}

char *tf_screen(fixture *f)
{
	char *s;

	tui_app_pump(f->app);
	s = tui_app_screen(f->app);
	assert_non_null(s);
	return s;
}

/* A key as the terminal would give it: characters or KEY_* codes. */
void tf_key(fixture *f, int ch)
{
	if (ch >= KEY_MIN)
		ungetch(ch);
	else
		unget_wch((wchar_t)ch);
	tui_app_pump(f->app);
}

void tf_keys(fixture *f, const char *s)
{
	for (; *s; s++)
		key(f, (unsigned char)*s);
}

/* gcc 12 (-O2, UBSan that recovers) sees a path where a screen is NULL and
 * stops a -Werror build with -Wformat-overflow: print it through this */
const char *tf_shown(const char *s)
{
	return s ? s : "(null)";
}

int tf_count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int tf_process_init(void)
{
	char *why = NULL;

	signal(SIGPIPE, SIG_IGN);
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	if (getenv("MXSCOPE_SRCDIR") && chdir(getenv("MXSCOPE_SRCDIR")) != 0)
		return 1;
	if (scan_global_init(&why) != MXS_OK) {
		free(why);
		return 1;
	}
	return 0;
}

void tf_trainer(fixture *f, const char *cmd)
{
	tf_key(f, 'T');
	tf_keys(f, cmd);
	tf_key(f, '\n');
	tf_settle(f);
}

int tf_setup(void **state)
{
	return setup_with(state, H_DNS | H_SMTP);
}

int tf_setup_sts(void **state)
{
	return setup_with(state, H_DNS | H_SMTP | H_STS);
}
