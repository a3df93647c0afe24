/* tests/test_tui.c — the real explorer rendered into a virtual terminal of
 * fixed size (newterm on /dev/null, keys pushed with unget_wch/ungetch),
 * against the lab's DNS and SMTP servers on loopback in this process; the
 * screen is read back as text and asserted. Also the state file. */
#include "test_tui_fixture.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ares.h>
#include <arpa/nameser.h>

#include "tui_state.h"

static void test_first_screen_80x24(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "equal-preference"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	start(f, &c, sc, 2);
	s = screen(f);
	assert_int_equal(count_lines(s), 24);
	assert_has(s, "mxscope 2 domains");
	assert_has(s, "Domains (2)");
	/* delivered by the backup: degraded, not lost (DESIGN.md's words) */
	assert_has(s, "warning  primary-down");
	assert_has(s, "ok       equal.lab");
	assert_has(s, "Tiers of primary-down.lab.test  seed 42");
	assert_has(s, "pref 10  primary");
	assert_has(s, "refused          127.0.16.1");
	assert_has(s, "accepted         127.0.16.2");
	assert_has(s, "Lab: Primary down");
	assert_has(s, "primary-unreachable");
	/* what a newcomer needs first, at 80 columns too */
	assert_has(s, "? help  q quit  Tab pane  Enter open  a add");
	free(s);
}

static void test_first_screen_120x40(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "equal-preference", "null-mx"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 3);
	s = screen(f);
	assert_int_equal(count_lines(s), 40);
	assert_has(s, "mxscope 3 domains");
	/* mtr's columns, named once; refused is no answer: 100% loss */
	assert_has(s, "state            address     loss sent  last   avg  best worst");
	assert_has(s, "refused          127.0.16.1  100%    1     -     -     -     -");
	assert_has(s, "accepted         127.0.16.2    0%    1");
	assert_has(s, "delivered to mx2.primary-down.lab.test (127.0.16.2), pref 20");
	assert_has(s, "Findings (3)");
	/* one word for primary-down everywhere: the list's status is its
	 * findings' worst (it once said warning beside an error finding), drawn
	 * in the warning colour */
	assert_has(s, "▲ warning  primary-down");
	assert_has(s, "warning  primary-unreachable");
	assert_lacks(s, "error    primary-unreachable");
	{
		char *why = NULL;
		theme *th = theme_load("default", &why);
		assert_non_null(th);
		/* the glyph and the word of the finding's row */
		tf_assert_cells(L"warning  primary-unreachable", 7, th, THEME_WARN, "default");
		theme_free(th);
	}
	free(s);
}

static void test_navigation(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "equal-preference"};
	tui_config c = base_config(f, 100, 30);
	char *s;

	start(f, &c, sc, 2);
	key(f, 'j');
	s = screen(f);
	assert_has(s, "Tiers of equal.lab.test");
	assert_has(s, "same preference: random order");
	free(s);
	key(f, KEY_UP);
	key(f, 'l'); /* vi's right drills down like Enter... */
	s = screen(f);
	assert_has(s, ">Tiers of primary-down.lab.test");
	free(s);
	key(f, 'h'); /* ...and h comes back */
	s = screen(f);
	assert_has(s, ">Domains");
	free(s);
	key(f, '\t'); /* to the tiers */
	s = screen(f);
	assert_has(s, ">Tiers of primary-down.lab.test");
	assert_has(s, "Tier 1: preference 10, 1 host");
	free(s);
	keys(f, "jj"); /* host, then its address */
	s = screen(f);
	assert_has(s, "127.0.16.1  mx1.primary-down.lab.test (IPv4)");
	assert_has(s, "refused: connection refused");
	free(s);
	key(f, 'k');
	s = screen(f);
	assert_has(s, "MX 10, TTL 30 s");
	free(s);
	key(f, KEY_BTAB); /* to the domains... */
	key(f, KEY_BTAB); /* ...and round to the findings */
	s = screen(f);
	assert_has(s, ">Findings (3)");
	assert_has(s, "Enter: the full explanation");
	free(s);
	key(f, '\n');
	s = screen(f);
	assert_has(s, "Finding explained");
	/* the worst first: a warning, the primary's dead address */
	assert_has(s, "smtp-unreachable");
	assert_has(s, "Severity: warning");
	/* the room sees prose, not markdown */
	assert_has(s, "What it means.");
	assert_lacks(s, "**");
	/* the heading lost its "## " without eating into the next line (a
	 * lone "S" of "Severity" once showed under it) */
	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *ch = l;
		while (*ch && *ch != '\n' && !isalpha((unsigned char)*ch))
			ch++;
		if (ch[0] == 'S' && !isalpha((unsigned char)ch[1]))
			fail_msg("a stray line: %.60s", l);
	}
	free(s);
	key(f, 27);
	s = screen(f);
	assert_lacks(s, "Finding explained");
	free(s);
	key(f, '?');
	s = screen(f);
	assert_has(s, "walk the attempt order");
	assert_has(s, "freeze the display");
	free(s);
	key(f, '?');
	s = screen(f);
	assert_lacks(s, "walk the attempt order");
	free(s);
	/* add with the prompt, filter, remove */
	keys(f, "asingle.lab.test\n");
	settle(f);
	s = screen(f);
	assert_has(s, "Domains (3)");
	free(s);
	keys(f, "/equal");
	s = screen(f);
	assert_has(s, "Domains 1/3 /equal");
	assert_lacks(s, "single.lab.test");
	free(s);
	key(f, 27);
	key(f, 27);
	key(f, 'G');
	key(f, 'd');
	s = screen(f);
	assert_has(s, "Domains (2)");
	free(s);
}

static void test_mouse(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "equal-preference"};
	tui_config c = base_config(f, 80, 24);
	MEVENT ev = {.x = 5, .y = 3, .bstate = BUTTON1_PRESSED};
	char *s;

	c.set.mouse = true;
	start(f, &c, sc, 2);
	assert_int_equal(ungetmouse(&ev), OK); /* a click on the second domain */
	tui_app_pump(f->app);
	s = screen(f);
	assert_has(s, "Tiers of equal.lab.test");
	free(s);
}

static void test_walk(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 100, 30);
	char *s;

	start(f, &c, sc, 1);
	key(f, 'w');
	key(f, ' '); /* paused: the steps come with n only */
	s = screen(f);
	assert_has(s, "Delivery walk of primary-down.lab.test, seed 42");
	assert_has(s, "PAUSED");
	assert_has(s, "1. pref 10 mx1.primary-down.lab.test 127.0.16.1");
	assert_has(s, "refused: connection refused: try the next");
	assert_lacks(s, "2. pref 20");
	free(s);
	key(f, 'n');
	s = screen(f);
	assert_has(s, "2. pref 20 mx2.primary-down.lab.test 127.0.16.2");
	assert_has(s, "accepted: ");
	assert_lacks(s, "delivered to");
	free(s);
	key(f, 'n');
	s = screen(f);
	assert_has(s, "=> delivered to mx2.primary-down.lab.test (127.0.16.2)");
	free(s);
	key(f, '+');
	s = screen(f);
	assert_has(s, "step every 0.8 s");
	free(s);
	key(f, 27);
	s = screen(f);
	assert_lacks(s, "Delivery walk");
	free(s);
	/* x: a new seed, shown */
	key(f, 'x');
	s = screen(f);
	assert_has(s, "reshuffled with seed");
	assert_lacks(s, "seed 42");
	free(s);
}

static void test_walk_no_host(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"all-reject"};
	tui_config c = base_config(f, 100, 30);
	char *s;

	start(f, &c, sc, 1);
	key(f, 'w');
	key(f, ' ');
	for (int i = 0; i < 10; i++)
		key(f, 'n');
	s = screen(f);
	assert_has(s, "=> no host accepts");
	free(s);
}

static void test_freeze(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	start(f, &c, sc, 1);
	key(f, 'f');
	s = screen(f);
	assert_has(s, "FROZEN 0s");
	free(s);
	/* the lab now serves mx2 as the primary; the answer comes, the display
	 * stays as it was */
	assert_int_equal(lab_world_set_mx_preference(f->w, "primary-down.lab.test",
	                                             "mx2.primary-down.lab.test", 5, NULL),
	                 MXS_OK);
	key(f, 'r');
	settle(f);
	s = screen(f);
	assert_has(s, "FROZEN");
	assert_has(s, "pref 10  primary");
	assert_lacks(s, "pref 5  primary");
	free(s);
	/* thawed: what came meanwhile shows */
	key(f, 'f');
	settle(f);
	s = screen(f);
	assert_lacks(s, "FROZEN");
	assert_has(s, "pref 5  primary");
	assert_has(s, "pref 10  backup");
	free(s);
}

static void test_theme_switch_and_state(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = base_config(f, 80, 24);
	tui_state st;
	char *s, *why = NULL;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "theme default");
	free(s);
	key(f, 't');
	s = screen(f);
	assert_has(s, "theme light");
	free(s);
	tui_app_free(f->app);
	f->app = NULL;
	assert_int_equal(tui_state_load(f->state, &st, &why), MXS_OK);
	assert_string_equal(st.theme, "light");
	tui_state_clear(&st);
	/* the next start takes the saved theme */
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "theme light");
	free(s);
}

static void test_bad_theme_file(void **state)
{
	fixture *f = *state;
	tui_config c = base_config(f, 80, 24);
	char path[160], *s;
	FILE *t;

	snprintf(path, sizeof(path), "%s/bad.theme", f->dir);
	t = fopen(path, "w");
	assert_non_null(t);
	fputs("normal = default\nok = purple-ish\n", t);
	fclose(t);
	c.set.theme = path;
	start(f, &c, NULL, 0);
	s = screen(f);
	assert_has(s, "theme default");
	assert_has(s, "bad.theme:2");
	free(s);
}

static void test_too_small(void **state)
{
	fixture *f = *state;
	tui_config c = base_config(f, 40, 12);
	const char *const sc[] = {"single"};
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	/* the whole message fits 40 columns */
	assert_has(s, "mxscope needs 80x24");
	assert_has(s, "this terminal: 40x12");
	assert_has(s, "enlarge it, or q quits");
	free(s);
	/* unseen keys do nothing: d removed a domain nobody could see */
	keys(f, "dda");
	resize_term(30, 100);
	key(f, KEY_RESIZE);
	s = screen(f);
	assert_has(s, "Domains (1)");
	assert_lacks(s, "Add domain:");
	free(s);
	resize_term(12, 40);
	key(f, KEY_RESIZE);
	key(f, 'q');
	assert_false(tui_app_pump(f->app));
}

/* 127.0.40.2 is LISTED on the screen (the blocklist's answer is in); the
 * screen looked at goes to *arg (a char *, freed here on the next look). */
static bool listed(fixture *f, void *arg)
{
	char **s = arg;
	const char *at;

	free(*s);
	*s = screen(f);
	at = strstr(*s, "127.0.40.2");
	return at && strstr(at, "LISTED");
}

/* Blocklists in the explorer: a listed address says LISTED in the tiers
 * pane (a word and a mark, not colour alone) and the details pane shows
 * what each blocklist said. */
static void test_blocklists(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"blocklisted"};
	tui_config c = base_config(f, 120, 40);
	char *why = NULL, text[512], *s = NULL;
	lab_http *h = lab_http_new(&f->loop, "127.0.0.1", 0, &why);
	blr_config *bl = blr_config_new();

	assert_non_null(h);
	snprintf(text, sizeof(text),
	         "[blocklist lab]\ntype = dnsbl-doh\nzone = " LAB_HTTP_ZONE
	         "\nurl = http://%s/dns-query\ncodes = 127.0.0.2:spam source\nenabled = yes\n",
	         lab_http_address(h));
	assert_int_equal(blr_config_parse(bl, "lab", text, 0, NULL, NULL, NULL, &why), MXS_OK);
	c.blocklists = bl;
	c.set.timeout_ms = 1000;
	start(f, &c, sc, 1);
	if (!tf_run_until(f, listed, &s, 10))
		fail_msg("no LISTED address after 10 s:\n%s", s);
	free(s);
	/* down to mx1's address (127.0.40.2, listed), in the tiers pane */
	key(f, '\t');
	for (int i = 0; i < 12; i++) {
		s = screen(f);
		if (strstr(s, "Blocklists") && strstr(s, "spam source"))
			break;
		free(s);
		s = NULL;
		key(f, KEY_DOWN);
	}
	if (!s)
		fail_msg("no details with the blocklist answer");
	assert_has(s, "listed");
	free(s);
	tui_app_free(f->app);
	f->app = NULL;
	lab_http_close(h);
	blr_config_free(bl);
}

static void test_mono_ascii(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "tls"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	c.set.no_color = true;
	c.set.ascii = true;
	start(f, &c, sc, 2);
	key(f, '\t');
	keys(f, "jj");
	s = screen(f);
	assert_has(s, "theme mono");
	assert_has(s, "+-");
	assert_has(s, "x refused");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			fail_msg("a byte >= 0x80 on the ASCII screen:\n%s", s);
	free(s);
	key(f, 't'); /* colours are off: the theme stays */
	s = screen(f);
	assert_has(s, "theme mono");
	free(s);
}

static void test_hostile_escapes(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"hostile"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	key(f, '\t');
	keys(f, "jj"); /* esc's address: its greeting and transcript */
	s = screen(f);
	assert_has(s, "127.0.22.1  esc.hostile.lab.test");
	assert_has(s, "\\x1b");
	for (const char *p = s; *p; p++)
		if (*p == 0x1b || *p == 0x07 || *p == 0x08)
			fail_msg("a control byte reached the screen:\n%s", s);
	free(s);
}

static void test_state_file(void **state)
{
	fixture *f = *state;
	tui_state st = {0}, back;
	char *why = NULL, *names[] = {"a.example", "b.example"};
	char path[200];
	FILE *t;
	DIR *d;
	struct dirent *de;
	int broken = 0;

	st.theme = "high-contrast";
	st.domains = names;
	st.ndomains = 2;
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_OK);
	assert_int_equal(tui_state_load(f->state, &back, &why), MXS_OK);
	assert_string_equal(back.theme, "high-contrast");
	assert_int_equal(back.ndomains, 2);
	assert_string_equal(back.domains[1], "b.example");
	tui_state_clear(&back);
	/* broken: set aside, reported, never fatal */
	t = fopen(f->state, "w");
	fputs("# mxscope state 1\ndomain a.example\nwhat is this\n", t);
	fclose(t);
	assert_int_equal(tui_state_load(f->state, &back, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, ":3: "));
	assert_non_null(strstr(why, "set aside as"));
	assert_int_equal(back.ndomains, 0);
	free(why);
	why = NULL;
	assert_int_not_equal(access(f->state, F_OK), 0);
	snprintf(path, sizeof(path), "%s/mxscope", f->dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		broken += strncmp(de->d_name, "state.broken-", 13) == 0;
	closedir(d);
	assert_int_equal(broken, 1);
	/* the app reports a broken file on its status line and goes on */
	t = fopen(f->state, "w");
	fputs("garbage\n", t);
	fclose(t);
	{
		tui_config c = base_config(f, 80, 24);
		char *s;
		c.state_domains = true;
		start(f, &c, NULL, 0);
		s = screen(f);
		assert_has(s, "state: ");
		assert_has(s, "not an mxscope state file");
		free(s);
		/* and the saved list comes back on the next start */
		keys(f, "asingle.lab.test\n");
		settle(f);
		tui_app_free(f->app);
		f->app = NULL;
		start(f, &c, NULL, 0);
		s = screen(f);
		assert_has(s, "single.lab.test");
		free(s);
	}
}

/* A domain removed while its MX question is on the wire goes at once; its
 * answer, when it comes, reaches nobody, and the rest of the list goes on. */
static void test_remove_while_resolving(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 100, 30);
	char *s;

	start(f, &c, sc, 1);
	keys(f, "asingle.lab.test\n");
	s = screen(f);
	assert_has(s, "Domains (2)");
	free(s);
	key(f, 'd'); /* the new one is selected; the loop has not run yet */
	settle(f);
	s = screen(f);
	assert_has(s, "Domains (1)");
	assert_lacks(s, "│✓ ok       single.lab.test"); /* the status line says it went */
	assert_has(s, "Tiers of primary-down.lab.test");
	free(s);
	/* and it can come back, resolved afresh */
	keys(f, "asingle.lab.test\n");
	settle(f);
	s = screen(f);
	assert_has(s, "Domains (2)");
	assert_has(s, "Tiers of single.lab.test");
	free(s);
}

/* What the save writes, the load reads back, however long the
 * list: 50,000 names of 250 characters (12.9 MB, once set aside for being
 * over a 1 MiB whole-file limit and then overwritten by the next save). */
static void test_state_large(void **state)
{
	fixture *f = *state;
	enum { N = 50000 };
	tui_state st = {0}, back = {0};
	char **names = calloc(N, sizeof(*names)), *why = NULL;
	FILE *t;

	assert_non_null(names);
	for (size_t i = 0; i < N; i++) {
		names[i] = malloc(251);
		assert_non_null(names[i]);
		/* four labels of 63, 63, 63 and 53 characters and ".test": 250 */
		snprintf(names[i], 251, "%06zu%s.%s.%s.%s.test", i,
		         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		         "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		         "ddddddddddddddddddddddddddddddddddddddddddddddddddddd");
		assert_int_equal(strlen(names[i]), 250);
	}
	st.theme = "light";
	st.domains = names;
	st.ndomains = N;
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_OK);
	if (tui_state_load(f->state, &back, &why) != MXS_OK)
		fail_msg("load: %s", why);
	assert_int_equal(back.ndomains, N);
	assert_string_equal(back.theme, "light");
	for (size_t i = 0; i < N; i++)
		if (strcmp(back.domains[i], names[i]) != 0)
			fail_msg("domain %zu came back as %s", i, back.domains[i]);
	tui_state_clear(&back);
	/* the bound is per line: one line too long is still refused, by number */
	t = fopen(f->state, "a");
	assert_non_null(t);
	fputs("domain ", t);
	for (int i = 0; i < 2000; i++)
		fputc('a', t);
	fputs("\ndomain after.example\n", t);
	fclose(t);
	assert_int_equal(tui_state_load(f->state, &back, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, ":50003: line too long"));
	free(why);
	for (size_t i = 0; i < N; i++)
		free(names[i]);
	free(names);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A save that fails (disk full, a directory that cannot be written) says so
 * with the path: at once when it is a keypress's save, and to the caller of
 * tui_app_finish, after the terminal is restored, when it is the last one. */
static void test_state_save_fails(void **state)
{
	fixture *f = *state;
	tui_state st = {0}, back = {0};
	char *why = NULL, *names[] = {"a.example", "b.example", "c.example"}, dir[100],
	     blocker[128], path[200];
	struct rlimit old, small;
	FILE *t;

	/* disk full, as a file size limit shows it: EFBIG instead of ENOSPC */
	st.domains = names;
	st.ndomains = 1;
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_OK);
	snprintf(dir, sizeof(dir), "%s/mxscope", f->dir);
	assert_int_equal(count_entries(dir), 1);
	st.ndomains = 3;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 30; /* the header and a bit */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_ERR_IO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_non_null(strstr(why, f->state));
	assert_non_null(strstr(why, "cannot write"));
	free(why);
	why = NULL;
	/* the old file is intact and no temporary is left behind */
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(tui_state_load(f->state, &back, &why), MXS_OK);
	assert_int_equal(back.ndomains, 1);
	tui_state_clear(&back);

	/* the app: a state directory that cannot be made (its parent is a file) */
	snprintf(blocker, sizeof(blocker), "%s/blocker", f->dir);
	t = fopen(blocker, "w");
	assert_non_null(t);
	fclose(t);
	snprintf(path, sizeof(path), "%s/mxscope/state", blocker);
	{
		tui_config c = base_config(f, 160, 30);
		char *s;
		c.state_path = path;
		c.state_domains = true;
		start(f, &c, NULL, 0);
		keys(f, "asingle.lab.test\n");
		s = screen(f);
		assert_has(s, "state: ");
		assert_has(s, "cannot create its directory");
		free(s);
		assert_int_equal(tui_app_finish(f->app, &why), MXS_ERR_IO);
		assert_non_null(why);
		assert_non_null(strstr(why, path));
		free(why);
		why = NULL;
		/* once: the screen is gone and nothing is tried again */
		assert_int_equal(tui_app_finish(f->app, &why), MXS_OK);
		assert_null(why);
	}
}

/* A FIFO as the state file is refused at once (a blocking open
 * would hang here until meson's timeout), and left as it is. */
/* A state file that is a symlink to another file: the save replaces the
 * link, never writes through it (the other file keeps its bytes). */
static void test_state_symlink(void **state)
{
	fixture *f = *state;
	tui_state st = {0};
	char *why = NULL, *names[] = {"a.example"}, dir[100], victim[160], buf[64] = "";
	struct stat sb;
	FILE *v;

	snprintf(dir, sizeof(dir), "%s/mxscope", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	v = fopen(victim, "w");
	assert_non_null(v);
	fputs("precious\n", v);
	fclose(v);
	assert_int_equal(symlink(victim, f->state), 0);
	st.domains = names;
	st.ndomains = 1;
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_OK);
	v = fopen(victim, "r");
	assert_non_null(v);
	assert_non_null(fgets(buf, sizeof(buf), v));
	fclose(v);
	assert_string_equal(buf, "precious\n");
	assert_int_equal(lstat(f->state, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	unlink(victim);
}

static void test_state_fifo(void **state)
{
	fixture *f = *state;
	tui_state st = {0}, back = {0};
	char *why = NULL, *names[] = {"a.example"}, dir[100];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/mxscope", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkfifo(f->state, 0600), 0);
	assert_int_equal(tui_state_load(f->state, &back, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(back.ndomains, 0);
	free(why);
	why = NULL;
	st.domains = names;
	st.ndomains = 1;
	assert_int_equal(tui_state_save(f->state, &st, &why), MXS_ERR_IO);
	assert_non_null(strstr(why, "not a regular file"));
	free(why);
	why = NULL;
	{
		tui_config c = base_config(f, 120, 30);
		char *s;
		c.state_domains = true;
		start(f, &c, NULL, 0);
		s = screen(f);
		assert_has(s, "not a regular file");
		free(s);
		keys(f, "asingle.lab.test\n");
		assert_int_equal(tui_app_finish(f->app, &why), MXS_OK);
	}
	assert_int_equal(stat(f->state, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
}

/* The preference the lab's DNS server now serves for host in domain's MX
 * answer, or -1: what a resolver elsewhere would see, not only the screen. */
static int served_pref(fixture *f, const char *domain, const char *host)
{
	unsigned char *q = NULL, out[4096];
	int qlen = 0, pref = -1;
	size_t n;
	struct ares_mx_reply *mx = NULL;

	assert_int_equal(ares_create_query(domain, ns_c_in, ns_t_mx, 0x1234, 0, &q, &qlen, 0),
	                 ARES_SUCCESS);
	n = lab_dns_answer(f->w, q, (size_t)qlen, out, sizeof(out), 1);
	ares_free_string(q);
	assert_true(n > 0);
	if (ares_parse_mx_reply(out, (int)n, &mx) != ARES_SUCCESS)
		return -1;
	for (struct ares_mx_reply *m = mx; m; m = m->next)
		if (strcmp(m->host, host) == 0)
			pref = m->priority;
	ares_free_data(mx);
	return pref;
}

static void test_trainer(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = tf_config_trainer(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "✗ refused          127.0.16.1");
	assert_has(s, "delivered to mx2.primary-down.lab.test");
	free(s);

	/* the primary comes up: accepted, and the mail goes there */
	tf_trainer(f, "up 127.0.16.1");
	s = screen(f);
	assert_has(s, "✓ accepted         127.0.16.1");
	assert_has(s, "delivered to mx1.primary-down.lab.test (127.0.16.1)");
	assert_lacks(s, "primary-unreachable");
	free(s);
	key(f, 'w');
	key(f, ' ');
	s = screen(f);
	assert_has(s, "1. pref 10 mx1.primary-down.lab.test 127.0.16.1");
	assert_has(s, "accepted: ");
	free(s);
	key(f, 'n');
	s = screen(f);
	assert_has(s, "=> delivered to mx1.primary-down.lab.test (127.0.16.1)");
	free(s);
	key(f, 27);
	/* back to the domain, whose details show the delivery: h walks back one
	 * pane at a time and stays on the domains, so three always get there */
	key(f, 'h');
	key(f, 'h');
	key(f, 'h');

	/* mx2 gets the lower preference: it is the primary now */
	assert_int_equal(served_pref(f, "primary-down.lab.test", "mx2.primary-down.lab.test"), 20);
	tf_trainer(f, "pref mx2 5");
	/* served at once by the lab's DNS, as well as shown */
	assert_int_equal(served_pref(f, "primary-down.lab.test", "mx2.primary-down.lab.test"), 5);
	s = screen(f);
	assert_has(s, "pref 5  primary");
	assert_has(s, "pref 10  backup");
	assert_true(strstr(s, "mx2.primary-down") < strstr(s, "mx1.primary-down"));
	assert_has(s, "delivered to mx2.primary-down.lab.test (127.0.16.2), pref 5");
	free(s);

	/* the prompt and the help list the commands from lab/trainer.h's table */
	key(f, 'T');
	s = screen(f);
	for (size_t i = 0; i < lab_trainer_cmd_count(); i++) {
		char want[64];
		const struct lab_trainer_cmd *tc = lab_trainer_cmd_at(i);
		snprintf(want, sizeof(want), "%s%s%s", tc->name, tc->args[0] ? " " : "", tc->args);
		assert_has(s, want);
	}
	free(s);
	key(f, 27);
	key(f, '?');
	key(f, KEY_END); /* 40 rows: the help scrolls to its end */
	s = screen(f);
	assert_has(s, "Trainer commands (T):");
	assert_has(s, lab_trainer_cmd_at(3)->usage);
	free(s);
	key(f, '?');

	/* bad input: an error on the status line, nothing changes */
	key(f, 'T');
	keys(f, "pref mx7 5");
	key(f, '\n');
	assert_non_null(strstr(tui_app_message(f->app), "no MX record for mx7.primary-down"));
	key(f, 'T');
	keys(f, "behave 127.0.16.2 dance");
	key(f, '\n');
	assert_non_null(strstr(tui_app_message(f->app), "unknown behaviour"));
	key(f, 'T');
	keys(f, "fly away");
	key(f, '\n');
	assert_non_null(strstr(tui_app_message(f->app), "unknown command"));

	/* a third MX, then mx2 down and rejecting: the walk goes on to it */
	tf_trainer(f, "add-mx 30 mx1.single.lab.test");
	tf_trainer(f, "behave 127.0.16.2 reject");
	s = screen(f);
	assert_has(s, "pref 30");
	assert_has(s, "mx1.single.lab.test");
	assert_has(s, "rejected         127.0.16.2    0%"); /* a 5xx is an answer, not a loss */
	free(s);
	assert_non_null(strstr(tui_app_message(f->app), "trainer: behave 127.0.16.2 reject done"));
	tf_trainer(f, "del-mx mx1.single.lab.test");
	tf_trainer(f, "down 127.0.16.1");
	s = screen(f);
	assert_lacks(s, "mx1.single.lab.test");
	assert_has(s, "✗ refused          127.0.16.1");
	free(s);

	/* R: one key back to the scenario as it was written */
	key(f, 'R');
	settle(f);
	assert_int_equal(served_pref(f, "primary-down.lab.test", "mx2.primary-down.lab.test"), 20);
	s = screen(f);
	assert_has(s, "pref 10  primary");
	assert_has(s, "pref 20  backup");
	assert_has(s, "✗ refused          127.0.16.1");
	assert_has(s, "✓ accepted         127.0.16.2");
	assert_has(s, "delivered to mx2.primary-down.lab.test (127.0.16.2), pref 20");
	/* and the lesson afresh: one probe each, no loss carried over from the
	 * changes before (the reject and down above once stayed in the loss) */
	assert_has(s, "✓ accepted         127.0.16.2    0%    1 ");
	assert_has(s, "✗ refused          127.0.16.1  100%    1 ");
	free(s);
	/* every change is in the log */
	key(f, 'L');
	s = screen(f);
	assert_has(s, "trainer: reset");
	free(s);
}

/* Outside the lab `T` only says so. */
static void test_trainer_not_lab(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 100, 30);

	start(f, &c, sc, 1);
	key(f, 'T');
	assert_non_null(strstr(tui_app_message(f->app), "trainer controls are for mxscope lab"));
	key(f, 'N');
	assert_non_null(strstr(tui_app_message(f->app), "lab --tour"));
}

/* Findings rows say the message when there is room, always after the
 * subject (at 200 columns they once showed code and subject only), and a
 * narrow pane gives the subject the code column's padding (at 80 columns
 * it was cut to 9 characters). */
static void test_findings_rows_say_why(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 200, 40);
	char *s, row[1024];

	start(f, &c, sc, 1);
	s = screen(f);
	assert_non_null(tf_row_of(s, "primary-unreachable", row, sizeof(row)));
	assert_non_null(
	    strstr(row, "primary-down.lab.test  no address of the most preferred tier"));
	free(s);
	tf_stop(f);
	c = base_config(f, 80, 24);
	start(f, &c, sc, 1);
	s = screen(f);
	assert_non_null(tf_row_of(s, "primary-unreachable", row, sizeof(row)));
	/* narrow: the subject right after the code, before any padding */
	assert_non_null(strstr(row, "primary-unreachable primary-do"));
	free(s);
	tf_stop(f);
}

/* The header at 80x24 in a tour, frozen: groups drop whole, the least
 * important first (the theme), and nothing is cut in the middle (FROZEN once
 * covered "opportunistic" to "opportunisti"). */
static void test_header_fits_80(void **state)
{
	fixture *f = *state;
	tui_config c = base_config(f, 80, 24);
	char *why = NULL, *s, row[512];

	c.set.tour = true;
	f->app = tui_app_new(&c, &why);
	assert_non_null(f->app);
	assert_int_equal(tui_app_add(f->app, lab_scenario_domain(f->w, 0, 0), 0, &why), MXS_OK);
	settle(f);
	key(f, 'f');
	s = screen(f);
	tf_row_of(s, "mxscope", row, sizeof(row));
	assert_non_null(strstr(row, "FROZEN"));
	assert_non_null(strstr(row, "tour 1/"));
	assert_non_null(strstr(row, "sender opportunistic "));
	assert_null(strstr(row, "opportunisti FROZEN"));
	free(s);
	/* the tour's keys on the status bar, in a tour */
	key(f, 'f');
	s = screen(f);
	assert_has(s, "? help  q quit  Tab pane  N next  P prev");
	free(s);
	tf_stop(f);
}

static void test_tour(void **state)
{
	fixture *f = *state;
	tui_config c = base_config(f, 120, 40);
	size_t n = lab_world_scenario_count(f->w);
	char *why = NULL, *s, want[200];

	assert_true(n >= 2);
	c.set.tour = true;
	f->app = tui_app_new(&c, &why);
	assert_non_null(f->app);
	assert_int_equal(tui_app_add(f->app, lab_scenario_domain(f->w, 0, 0), 0, &why), MXS_OK);
	settle(f);
	s = screen(f);
	snprintf(want, sizeof(want), "tour: scenario 1 of %zu", n);
	assert_has(s, want);
	snprintf(want, sizeof(want), "Lab: %.60s", lab_scenario_title(f->w, 0));
	assert_has(s, want);
	free(s);
	key(f, 'P');
	assert_non_null(strstr(tui_app_message(f->app), "first scenario"));
	key(f, 'N');
	settle(f);
	s = screen(f);
	snprintf(want, sizeof(want), "tour: scenario 2 of %zu", n);
	assert_has(s, want);
	snprintf(want, sizeof(want), "Lab: %.60s", lab_scenario_title(f->w, 1));
	assert_has(s, want);
	snprintf(want, sizeof(want), "Domains (%zu)", lab_scenario_domain_count(f->w, 1));
	assert_has(s, want);
	free(s);
	key(f, 'P');
	settle(f);
	s = screen(f);
	snprintf(want, sizeof(want), "tour: scenario 1 of %zu", n);
	assert_has(s, want);
	snprintf(want, sizeof(want), "Lab: %.60s", lab_scenario_title(f->w, 0));
	assert_has(s, want);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    tf_test(test_first_screen_80x24),
	    tf_test(test_first_screen_120x40),
	    tf_test(test_navigation),
	    tf_test(test_mouse),
	    tf_test(test_walk),
	    tf_test(test_walk_no_host),
	    tf_test(test_freeze),
	    tf_test(test_theme_switch_and_state),
	    tf_test(test_bad_theme_file),
	    tf_test(test_too_small),
	    tf_test(test_mono_ascii),
	    tf_test(test_blocklists),
	    tf_test(test_hostile_escapes),
	    tf_test(test_state_file),
	    tf_test(test_remove_while_resolving),
	    tf_test(test_state_large),
	    tf_test(test_state_save_fails),
	    tf_test(test_state_fifo),
	    tf_test(test_state_symlink),
	    tf_test(test_trainer),
	    tf_test(test_trainer_not_lab),
	    tf_test(test_tour),
	    tf_test(test_header_fits_80),
	    tf_test(test_findings_rows_say_why),
	};

	return tf_run(tests);
}
