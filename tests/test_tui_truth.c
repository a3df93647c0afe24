/* tests/test_tui_truth.c — "the explorer tells the truth at a
 * glance": the real explorer on a virtual terminal against the in-process
 * lab, asserting the words on the screen and the cells' attributes (colour
 * pair, bold, reverse), not only the text. */
#include "test_tui_fixture.h"

#include <locale.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "theme.h"

/* `mxscope lab --seed 7 tier-down`, Enter, w, space, n
 * showed "✗ greeting-timeout" bold green (walk-done) in the middle of the
 * walk. In every shipped theme the failed row keeps the error colour during
 * the walk and at its end, and the walk's marks tell where it is. */
static void test_walk_keeps_state_colour(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"tier-down"};

	for (size_t t = 0; t < theme_shipped_count; t++) {
		tui_config c = base_config(f, 120, 40);
		char *why = NULL, *s;
		theme *th = theme_load(theme_shipped[t], &why);

		if (!th)
			fail_msg("theme %s: %s", theme_shipped[t], why);
		c.set.seed = 7;
		c.set.theme = theme_shipped[t];
		start(f, &c, sc, 1);
		key(f, '\n');
		key(f, 'w');
		key(f, ' ');
		key(f, 'n');
		s = screen(f);
		assert_has(s, "greeting-timeout");
		assert_has(s, "▶"); /* the walk's current attempt, marked */
		assert_has(s, "•"); /* and the one it tried */
		free(s);
		tf_assert_cells(L"greeting-timeout", TF_EVERY_CELL, th, THEME_ERROR,
		                theme_shipped[t]);
		tf_assert_cells(L"✗ greeting-timeout", 1, th, THEME_ERROR, theme_shipped[t]);
		{
			/* the longest state word does not push its address out of
			 * the column */
			int y1, x1, y2, x2, y3, x3;
			assert_true(tf_find_cells(L"127.0.17.1", &y1, &x1));
			assert_true(tf_find_cells(L"127.0.17.2", &y2, &x2));
			assert_true(tf_find_cells(L"127.0.17.3", &y3, &x3));
			assert_int_equal(x1, x2);
			assert_int_equal(x2, x3);
		}
		/* to the end of the walk: still the error's colour */
		tf_key_times(f, 'n', 8);
		s = screen(f);
		assert_has(s, "=> ");
		free(s);
		tf_assert_cells(L"greeting-timeout", TF_EVERY_CELL, th, THEME_ERROR,
		                theme_shipped[t]);
		theme_free(th);
		tf_stop(f);
	}
}

/* DESIGN.md's words: delivered by a backup is a warning, nothing accepting
 * is an error, a null MX is "no mail"; the list says where mail goes. */
static void test_status_words_and_delivers_to(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "all-reject", "null-mx", "single"};
	tui_config c = base_config(f, 120, 40);
	theme *th = theme_default();
	char *s;

	start(f, &c, sc, 4);
	s = screen(f);
	assert_has(s, "▲ warning  primary-down.lab.… → backup mx2 (20)");
	assert_has(s, "✗ error    reject.lab.test");
	assert_has(s, "none");
	assert_has(s, "∅ no mail  null.lab.test");
	assert_has(s, "✓ ok       single.lab.test");
	free(s);
	tf_assert_cells(L"warning", TF_EVERY_CELL, th, THEME_WARN, "primary-down");
	tf_assert_cells(L"no mail", TF_EVERY_CELL, th, THEME_INFO, "null MX");
	/* the null MX's walk says what a sender does */
	keys(f, "jj");
	key(f, 'w');
	assert_non_null(strstr(tui_app_message(f->app),
	                       "RFC 7505: bounce at once, no fallback to the A record"));
	s = screen(f);
	assert_has(s, "RFC 7505: bounce at once, no fallback to the A record");
	assert_lacks(s, "no address to try");
	free(s);
	theme_free(th);
}

/* Findings worst first; repeats grouped with a count, naming the host and
 * its address. */
static void test_findings_sorted_grouped(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"all-reject"};
	tui_config c = base_config(f, 120, 40);
	char *s;
	const char *err, *warn;

	start(f, &c, sc, 1);
	s = screen(f);
	err = strstr(s, "✗ error");
	warn = strstr(s, "▲ warning");
	assert_non_null(err);
	assert_non_null(warn);
	assert_true(strstr(err, "no-accepting-mx") != NULL);
	/* every MX rejects: one row for the repeats, with the count */
	assert_has(s, "smtp-reject x");
	assert_has(s, "mx1.reject.lab.test (127.");
	free(s);
}

/* The shipped themes are built in: started where no themes/ directory is,
 * --theme high-contrast works and t cycles through every shipped theme; a
 * file on the search path still comes first. */
static void test_themes_built_in(void **state)
{
	fixture *f = *state;
	tui_config c = base_config(f, 100, 30);
	char *s, cwd[4096], dir[256];
	FILE *bad;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	c.set.theme = "high-contrast";
	start(f, &c, NULL, 0);
	s = screen(f);
	assert_has(s, "theme high-contrast");
	free(s);
	for (size_t i = 0; i < theme_shipped_count; i++) {
		key(f, 't');
		assert_null(strstr(tui_app_message(f->app), "no theme"));
		assert_non_null(strstr(tui_app_message(f->app), "theme "));
	}
	s = screen(f);
	assert_has(s, "theme high-contrast"); /* round again */
	free(s);
	/* a file overrides the built-in copy: a broken one says where */
	snprintf(dir, sizeof(dir), "%s/mxscope", f->dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/mxscope/themes", f->dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/mxscope/themes/mono.theme", f->dir);
	bad = fopen(dir, "w");
	assert_non_null(bad);
	fputs("normal = chartreuse\n", bad);
	fclose(bad);
	key(f, 't');
	assert_non_null(strstr(tui_app_message(f->app), "mono.theme:1"));
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(chdir(cwd), 0);
}

/* LANG=C: no UTF-8, so the explorer draws in ASCII by itself: borders
 * drawn, state glyphs readable, not one '?' on the screen. */
static void test_lang_c_draws_ascii(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	assert_non_null(setlocale(LC_ALL, "C"));
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "+-");
	assert_has(s, "|");
	assert_has(s, "x refused");
	assert_has(s, "! warning");
	/* the only '?' is the help key's */
	assert_non_null(strstr(s, "? help"));
	assert_null(strchr(strstr(s, "? help") + 1, '?'));
	assert_true(strchr(s, '?') == strstr(s, "? help"));
	free(s);
	tf_stop(f);
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
}

/* The tiers cursor is an item (host and address), not a row number: it
 * stays on 127.0.16.2 when a new answer reorders the tiers, and comes back
 * to it after a look at another domain. The probe history (sent) goes on
 * across the re-resolve instead of starting again. */
static void test_cursor_follows_item_and_history_survives(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "single"};
	tui_config c = tf_config_trainer(f, 120, 40);
	char *s;

	start(f, &c, sc, 2);
	key(f, '\t');
	keys(f, "jjjjj"); /* tier, host, address, tier 2, host 2, its address */
	s = screen(f);
	assert_has(s, "127.0.16.2  mx2.primary-down.lab.test (IPv4)");
	assert_has(s, "accepted         127.0.16.2    0%    1");
	free(s);
	tf_trainer(f, "pref mx2 5"); /* mx2 moves to the top */
	s = screen(f);
	assert_has(s, "pref 5  primary");
	assert_has(s, "127.0.16.2  mx2.primary-down.lab.test (IPv4)");
	/* probed again at once, counted on top of the first probe */
	assert_has(s, "accepted         127.0.16.2    0%    2");
	free(s);
	key(f, KEY_BTAB);
	key(f, 'j');
	key(f, 'k');
	key(f, '\t');
	s = screen(f);
	assert_has(s, "127.0.16.2  mx2.primary-down.lab.test (IPv4)");
	free(s);
}

/* A trainer change and R re-resolve every listed lab domain, not only the
 * selected one: no lesson contradicts its tiers. */
static void test_trainer_refreshes_every_domain(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down", "single"};
	tui_config c = tf_config_trainer(f, 120, 40);
	char *s;

	start(f, &c, sc, 2);
	tf_trainer(f, "down 127.0.14.1"); /* single's host, while primary-down is selected */
	key(f, 'j');
	s = screen(f);
	assert_has(s, "Tiers of single.lab.test");
	assert_has(s, "refused          127.0.14.1");
	assert_has(s, "✗ error    single.lab.test");
	free(s);
	key(f, 'k');
	key(f, 'R');
	settle(f);
	key(f, 'j');
	s = screen(f);
	assert_has(s, "accepted         127.0.14.1");
	assert_has(s, "✓ ok       single.lab.test");
	free(s);
}

/* An answer whose TTL ran out is asked for again, as a resolver would. */
static void test_expired_ttl_reresolves(void **state)
{
	fixture *f = *state;
	const char *zone = "$ORIGIN ttl.lab.test.\n$TTL 2\n$SCENARIO short-ttl\n"
	                   "$TITLE Short TTL\n$DOMAIN ttl.lab.test.\n@ MX 10 mx\n"
	                   "mx A 127.0.14.1\n";
	const char *const sc[] = {"short-ttl"};
	tui_config c = base_config(f, 120, 40);
	char *why = NULL;

	if (lab_world_load_string(f->w, "short-ttl", zone, &why) != MXS_OK)
		fail_msg("zone: %s", why);
	start(f, &c, sc, 1);
	key(f, 'L'); /* the log says why it asked */
	free(tf_wait_for(f, "TTL 2 s ran out", 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    tf_test(test_walk_keeps_state_colour),
	    tf_test(test_status_words_and_delivers_to),
	    tf_test(test_findings_sorted_grouped),
	    tf_test(test_themes_built_in),
	    tf_test(test_lang_c_draws_ascii),
	    tf_test(test_cursor_follows_item_and_history_survives),
	    tf_test(test_trainer_refreshes_every_domain),
	    tf_test(test_expired_ttl_reresolves),
	};

	return tf_run(tests);
}
