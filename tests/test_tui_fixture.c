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

static int setup_with(void **state, const char *name, const char *text, unsigned which)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_lab_open(&f->here, &f->loop, name, text, which);
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
	tui_config c = {
	    .loop = &f->loop,
	    .in = f->in,
	    .out = f->out,
	    .term = "xterm-256color",
	    .ca_pem = lab_smtp_ca_pem(f->smtp),
	    .state_path = f->state,
	    .state_domains = false,
	    .lab = f->w,
	};

	/* as mxscope lab sets them (src/labcmd.c) */
	c.set.servers[0] = f->server;
	c.set.nservers = 1;
	c.set.timeout_ms = 1000;
	c.set.smtp_port = lab_smtp_port(f->smtp);
	c.set.loopback_probes = true;
	c.set.allow_loopback = true;
	c.set.dane = true;
	c.set.seed = 42;
	c.set.interval_ms = 600000;
	/* with tf_setup_sts: policies fetched from the lab's own server */
	c.set.mta_sts_port = f->here.sts_port;
	return c;
}

tui_config tf_config_trainer(fixture *f, int cols, int rows)
{
	tui_config c = tf_config(f, cols, rows);

	c.lab_rw = f->w;
	c.lab_smtp = f->smtp;
	return c;
}

static void on_nudge(uv_timer_t *t)
{
	(void)t; /* only wakes the loop so the deadline is checked */
}

bool tf_run_until(fixture *f, bool (*done)(fixture *f, void *arg), void *arg, int secs)
{
	struct timespec t0, t;
	bool ok = true;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	uv_timer_start(&f->nudge, on_nudge, 10, 10);
	for (;;) {
		uv_run(&f->loop, UV_RUN_ONCE);
		if (done(f, arg))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > secs) {
			ok = false;
			break;
		}
	}
	uv_timer_stop(&f->nudge);
	return ok;
}

/* settled after a draw too: a drawn SRV section asks again */
static bool settled_drawn(fixture *f, void *arg)
{
	(void)arg;
	/* pumped first: the egress rule, held to once a second in the loop, reads
	 * the last probes now */
	return tui_app_pump(f->app) && tui_app_settled(f->app) && tui_app_pump(f->app) &&
	       tui_app_settled(f->app);
}

void tf_settle(fixture *f)
{
	if (!tf_run_until(f, settled_drawn, NULL, 10))
		fail_msg("the lab domains did not settle in 10 s");
	tui_app_pump(f->app);
}

typedef struct awaited {
	const char *text;
	char *scr; /* the last screen looked at */
} awaited;

static bool shows(fixture *f, void *arg)
{
	awaited *a = arg;

	free(a->scr);
	a->scr = tf_screen(f);
	return strstr(a->scr, a->text) != NULL;
}

char *tf_wait_for(fixture *f, const char *text, int secs)
{
	awaited a = {text, NULL};

	if (!tf_run_until(f, shows, &a, secs))
		fail_screen("never shows", text, a.scr);
	return a.scr;
}

static void app_new(fixture *f, const tui_config *c)
{
	char *why = NULL;

	f->app = tui_app_new(c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
}

void tf_start_names(fixture *f, const tui_config *c, const char *const *names, size_t n)
{
	char *why = NULL;

	app_new(f, c);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tui_app_add(f->app, names[i], -1, &why), MXS_OK);
	tf_settle(f);
}

void tf_add_scenario(fixture *f, const char *name)
{
	char *why = NULL;
	int si = tf_scenario_of(f, name);

	assert_true(si >= 0);
	assert_int_equal(tui_app_add(f->app, lab_scenario_domain(f->w, (size_t)si, 0), si, &why),
	                 MXS_OK);
}

void tf_start(fixture *f, const tui_config *c, const char *const *scen, size_t n)
{
	app_new(f, c);
	for (size_t i = 0; i < n; i++)
		tf_add_scenario(f, scen[i]);
	tf_settle(f);
}

void tf_stop(fixture *f)
{
	tui_app_free(f->app);
	f->app = NULL;
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

char *tf_screen(fixture *f)
{
	char *s;

	tui_app_pump(f->app);
	s = tui_app_screen(f->app);
	assert_non_null(s);
	return s;
}

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

void tf_key_times(fixture *f, int ch, int n)
{
	for (int i = 0; i < n; i++)
		tf_key(f, ch);
}

/* gcc 12 (-O2, UBSan that recovers) sees a path where a screen is NULL and
 * stops a -Werror build with -Wformat-overflow: print it through this */
const char *tf_shown(const char *s)
{
	return s ? s : "(null)";
}

size_t tf_count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int tf_count_lines(const char *s)
{
	return (int)tf_count(s, "\n");
}

const char *tf_row_of(const char *scr, const char *text, char *row, size_t cap)
{
	const char *at = strstr(scr, text), *b, *e;

	row[0] = '\0';
	if (!at)
		return row;
	for (b = at; b > scr && b[-1] != '\n'; b--)
		;
	e = strchr(at, '\n');
	snprintf(row, cap, "%.*s", (int)((e ? e : at + strlen(at)) - b), b);
	return row;
}

bool tf_find_cells(const wchar_t *text, int *y, int *x)
{
	wchar_t row[512];

	for (int r = 0; r < LINES; r++) {
		int n = mvwinnwstr(stdscr, r, 0, row, COLS < 511 ? COLS : 511);
		wchar_t *at;
		if (n <= 0)
			continue;
		row[n] = 0;
		if ((at = wcsstr(row, text))) {
			*y = r;
			*x = (int)(at - row);
			return true;
		}
	}
	return false;
}

void tf_assert_cells(const wchar_t *text, size_t ncells, const theme *th, theme_role r,
                     const char *what)
{
	const unsigned want = theme_attr(th, r);
	const attr_t bits = A_BOLD | A_REVERSE | A_UNDERLINE;
	int y, x;

	if (!tf_find_cells(text, &y, &x))
		fail_msg("%s: \"%ls\" is not on the screen", what, text);
	if (ncells > wcslen(text))
		ncells = wcslen(text);
	for (size_t i = 0; i < ncells; i++) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1];
		attr_t at = 0;
		short pair = 0;
		assert_int_equal(mvwin_wch(stdscr, y, x + (int)i, &cc), OK);
		assert_int_equal(getcchar(&cc, wch, &at, &pair, NULL), OK);
		if (pair != (short)PAIR_NUMBER(want) || (at & bits) != (want & bits))
			fail_msg(
			    "%s: \"%ls\" cell %zu has pair %d attrs %#lx, the role %s is pair %d "
			    "attrs %#lx",
			    what, text, i, pair, (unsigned long)(at & bits), theme_role_key(r),
			    (int)PAIR_NUMBER(want), (unsigned long)(want & bits));
	}
}

void tf_assert_role(const wchar_t *text, theme_role r)
{
	char *why = NULL;
	theme *th = theme_load("default", &why);

	if (!th)
		fail_msg("theme default: %s", why);
	tf_assert_cells(text, TF_EVERY_CELL, th, r, "theme default");
	theme_free(th);
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

int tf_process_done(int rc)
{
	scan_global_cleanup();
	return rc;
}

void tf_trainer(fixture *f, const char *cmd)
{
	tf_key(f, 'T');
	tf_keys(f, cmd);
	tf_key(f, '\n');
	tf_settle(f);
}

void tf_lab_trainer(lab *l, const char *domain, const char *cmd)
{
	char *why = NULL;

	if (lab_trainer_run(l, domain, cmd, &why) != MXS_OK)
		fail_msg("trainer: %s", why);
	free(why); /* the account of what was done */
}

int tf_setup(void **state)
{
	return setup_with(state, NULL, NULL, H_DNS | H_SMTP);
}

int tf_setup_sts(void **state)
{
	return setup_with(state, NULL, NULL, H_DNS | H_SMTP | H_STS);
}

int tf_setup_zone(void **state, const char *name, const char *text)
{
	return setup_with(state, name, text, H_DNS | H_SMTP);
}
