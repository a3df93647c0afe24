/* tests/test_tui_keymap.c — the explorer's one key table (tui/keymap.c,
 * keys.c's action table) and everything made from it: key names, bind and
 * unbind, README.md's key table, the man page's KEYS section, the `?`
 * overlay and the status bar on the virtual terminal, F1, F10 and what an
 * unbound key says.
 *
 * `test_tui_keymap --print-readme` and `--print-man` print the README rows
 * and the man page's KEYS text, for pasting between their markers;
 * `--pty` runs the explorer on the lab on the real terminal with `x` bound
 * to quit (tests/test_tui_tmux.sh drives it through tmux). */
#include "test_tui_fixture.h"

#include <stdlib.h>

#include "tui_keymap.h"

/* ---- names and bindings ------------------------------------------------------------ */

static int act(const char *name)
{
	int i = tui_keymap_action_find(name);

	if (i < 0)
		fail_msg("no action %s", name);
	return i;
}

static void test_names(void **state)
{
	static const struct {
		const char *name, *shown;
		int key;
	} ok[] = {
	    {"x", "x", 'x'},
	    {"X", "X", 'X'},
	    {":", ":", ':'},
	    {"F5", "F5", TUI_KEY_FN | KEY_F(5)},
	    {"f12", "F12", TUI_KEY_FN | KEY_F(12)},
	    {"^L", "^L", 12},
	    {"C-l", "^L", 12},
	    {"C-X", "^X", 24},
	    {"Enter", "Enter", '\n'},
	    {"^M", "Enter", '\n'},
	    {"Return", "Enter", '\n'},
	    {"Tab", "Tab", '\t'},
	    {"S-Tab", "S-Tab", TUI_KEY_FN | KEY_BTAB},
	    {"Esc", "Esc", 27},
	    {"escape", "Esc", 27},
	    {"Space", "Space", ' '},
	    {"Up", "Up", TUI_KEY_FN | KEY_UP},
	    {"Down", "Down", TUI_KEY_FN | KEY_DOWN},
	    {"Left", "Left", TUI_KEY_FN | KEY_LEFT},
	    {"Right", "Right", TUI_KEY_FN | KEY_RIGHT},
	    {"PgUp", "PgUp", TUI_KEY_FN | KEY_PPAGE},
	    {"PgDn", "PgDn", TUI_KEY_FN | KEY_NPAGE},
	    {"Home", "Home", TUI_KEY_FN | KEY_HOME},
	    {"End", "End", TUI_KEY_FN | KEY_END},
	    {"Del", "Del", TUI_KEY_FN | KEY_DC},
	    {"Backspace", "Backspace", TUI_KEY_FN | KEY_BACKSPACE},
	    {"^H", "Backspace", TUI_KEY_FN | KEY_BACKSPACE},
	    {"\xc3\xa9", "\xc3\xa9", 0xe9},
	    {"^", "^", '^'}, /* the caret itself */
	};
	static const char *const bad[] = {"F99", "F0",   "F13", "",     "xy",   "C-1",
	                                  "C-",  "Ctrl", " ",   "\x7f", "\xc3", "\xc2\x85"};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int k = tui_keymap_parse(ok[i].name);
		if (k != ok[i].key)
			fail_msg("%s parsed as %d, not %d", ok[i].name, k, ok[i].key);
		assert_string_equal(tui_keymap_name(k, out, sizeof(out)), ok[i].shown);
		/* what is shown is what a config file may write back */
		assert_int_equal(tui_keymap_parse(out), k);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tui_keymap_parse(bad[i]) != -1)
			fail_msg("\"%s\" parsed as a key", bad[i]);
	/* the terminal's spellings of one key are one key */
	assert_int_equal(tui_keymap_key('\r', false), '\n');
	assert_int_equal(tui_keymap_key(KEY_ENTER, true), '\n');
	assert_int_equal(tui_keymap_key(127, false), TUI_KEY_FN | KEY_BACKSPACE);
	assert_string_equal(tui_keymap_name(tui_keymap_key(KEY_F(9), true), out, sizeof(out)),
	                    "F9");
}

/* Each action once, with what the docs and the help need; each default
 * key parses and runs its own action (no default silently taken by a
 * later row). */
static void test_table(void **state)
{
	tui_keymap *km = tui_keymap_new();

	(void)state;
	assert_non_null(km);
	assert_true(tui_keymap_action_count() > 30);
	assert_null(tui_keymap_action_at(tui_keymap_action_count()));
	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const tui_action *a = tui_keymap_action_at(i);
		const char *p = a->default_keys;
		assert_non_null(a->section);
		assert_non_null(a->help);
		assert_int_equal(tui_keymap_action_find(a->name), (int)i);
		for (const char *c = a->name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '-'))
				fail_msg("action name %s: lower case words and dashes only",
				         a->name);
		if ((a->bar || a->walk_bar) && !a->hint)
			fail_msg("%s has a place in the status bar and no word for it", a->name);
		while (*p) {
			char name[32];
			size_t len = strcspn(p, " ");
			int k;
			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			p += len + (p[len] == ' ');
			k = tui_keymap_parse(name);
			if (tui_keymap_lookup(km, k, (a->when & TUI_WHEN_WALK) != 0) != (int)i)
				fail_msg("default key %s of %s runs something else", name, a->name);
		}
	}
	/* htop's F1 and F10 */
	assert_int_equal(tui_keymap_lookup(km, tui_keymap_parse("F1"), false), act("help"));
	assert_int_equal(tui_keymap_lookup(km, tui_keymap_parse("F10"), false), act("quit"));
	assert_int_equal(tui_keymap_lookup(km, tui_keymap_parse("F9"), false), -1);
	tui_keymap_free(km);
	tui_keymap_free(NULL);
}

static void test_bind(void **state)
{
	tui_keymap *km = tui_keymap_new();
	char *why = NULL, col[128];
	int x = 'x', esc = 27, n = 'n';

	(void)state;
	assert_non_null(km);
	assert_int_equal(tui_keymap_lookup(km, x, false), act("reshuffle"));
	assert_int_equal(tui_keymap_bind(km, "x", "quit", &why), MXS_OK);
	assert_null(why);
	assert_int_equal(tui_keymap_lookup(km, x, false), act("quit"));
	/* the action keeps its keys, the new one last; the old action lost it */
	assert_string_equal(
	    tui_keymap_column(km, (size_t)act("quit"), TUI_KM_PLAIN, col, sizeof(col)),
	    "q, F10, x");
	assert_string_equal(
	    tui_keymap_column(km, (size_t)act("reshuffle"), TUI_KM_PLAIN, col, sizeof(col)),
	    "(no key)");
	assert_int_equal(tui_keymap_key_of(km, (size_t)act("reshuffle"), 0), -1);

	assert_int_equal(tui_keymap_bind(km, "x", "quitt", &why), MXS_ERR_INVALID);
	assert_string_equal(why, "unknown action \"quitt\"");
	free(why);
	why = NULL;
	assert_int_equal(tui_keymap_bind(km, "F99", "quit", &why), MXS_ERR_INVALID);
	assert_string_equal(why, "unknown key \"F99\"");
	free(why);
	why = NULL;
	assert_int_equal(tui_keymap_unbind(km, "Ctrl-Q", &why), MXS_ERR_INVALID);
	assert_string_equal(why, "unknown key \"Ctrl-Q\"");
	free(why);
	why = NULL;
	/* a failed bind changed nothing */
	assert_int_equal(tui_keymap_lookup(km, x, false), act("quit"));

	/* a walk's key binds during walks only; Esc is two keys: back, and
	 * stop in a walk, and unbind takes both */
	assert_int_equal(tui_keymap_lookup(km, n, false), -1);
	assert_int_equal(tui_keymap_lookup(km, esc, true), act("walk-stop"));
	assert_int_equal(tui_keymap_lookup(km, esc, false), act("back"));
	assert_int_equal(tui_keymap_lookup(km, 'q', true), act("quit")); /* walks fall through */
	assert_int_equal(tui_keymap_bind(km, "F5", "walk-step", NULL), MXS_OK);
	assert_int_equal(tui_keymap_lookup(km, TUI_KEY_FN | KEY_F(5), true), act("walk-step"));
	assert_int_equal(tui_keymap_lookup(km, TUI_KEY_FN | KEY_F(5), false), -1);
	assert_int_equal(tui_keymap_unbind(km, "Esc", NULL), MXS_OK);
	assert_int_equal(tui_keymap_lookup(km, esc, true), -1);
	assert_int_equal(tui_keymap_lookup(km, esc, false), -1);
	assert_int_equal(tui_keymap_unbind(km, "F9", NULL), MXS_OK); /* bound to nothing */
	assert_int_equal(tui_keymap_bind(km, "C-l", "refresh", NULL), MXS_OK);
	assert_int_equal(tui_keymap_lookup(km, 12, false), act("refresh"));
	tui_keymap_free(km);
}

/* ---- the docs ---------------------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		buf[n] = '\0';
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* What a file holds between its begin marker's line and its end marker
 * (owned by the caller). */
static char *between(const char *file, const char *begin, const char *end)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	char path[4096], *text, *b, *e, *out;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", file);
	if (!(text = slurp(path)))
		fail_msg("cannot read %s", path);
	b = strstr(text, begin);
	e = b ? strstr(b, end) : NULL;
	if (!e)
		fail_msg("%s: no \"%s\" ... \"%s\" markers", path, begin, end);
	/* the begin marker may go on for more lines: up to its end */
	if (strncmp(begin, "<!--", 4) == 0)
		b = strstr(b, "-->\n") + 3;
	else
		for (b = strchr(b, '\n'); strncmp(b + 1, ".\\\"", 3) == 0;)
			b = strchr(b + 1, '\n');
	*e = '\0';
	out = strdup(b + 1);
	free(text);
	return out;
}

static void same(const char *what, const char *has, const char *want, const char *how)
{
	if (strcmp(has, want) == 0)
		return;
	fprintf(stderr,
	        "%s differs from tui/keys.c's action table; regenerate it: %s\nhas:\n%s\nwant:\n%s",
	        what, how, has, want);
	fail();
}

static void test_readme(void **state)
{
	tui_keymap *km = tui_keymap_new();
	char *want = tui_keymap_readme(km);
	char *has = between("README.md", "<!-- key table:", "<!-- end key table -->");

	(void)state;
	same("README.md's key table", has, want,
	     "build/tests/test_tui_keymap --print-readme, pasted between the key table markers");
	free(has);
	free(want);
	tui_keymap_free(km);
}

static void test_man(void **state)
{
	tui_keymap *km = tui_keymap_new();
	char *want = tui_keymap_man(km);
	char *has = between("docs/mxscope.1", ".\\\" key table:", ".\\\" end key table");

	(void)state;
	same("docs/mxscope.1's KEYS section", has, want,
	     "build/tests/test_tui_keymap --print-man, pasted between the key table markers");
	free(has);
	free(want);
	tui_keymap_free(km);
}

/* The generated docs follow the keymap: a rebound action shows its key. */
static void test_docs_follow_bindings(void **state)
{
	tui_keymap *km = tui_keymap_new();
	char *readme, *man;

	(void)state;
	assert_int_equal(tui_keymap_bind(km, "x", "quit", NULL), MXS_OK);
	readme = tui_keymap_readme(km);
	man = tui_keymap_man(km);
	assert_non_null(strstr(readme, "| `q`, F10, `x` | `quit` |"));
	assert_non_null(strstr(readme, "| (no key) | `reshuffle` |"));
	assert_non_null(strstr(man, "\\fBq\\fR, \\fBF10\\fR, \\fBx\\fR \\(em \\fIquit\\fR"));
	free(readme);
	free(man);
	tui_keymap_free(km);
}

/* ---- on the virtual terminal ------------------------------------------------------- */

/* The help overlay's entries as drawn: the lines inside its frame, a
 * line indented by 18 columns joined to the one before. Owned strings. */
static size_t overlay_entries(char **out, size_t max)
{
	int y, x, rows = LINES;
	size_t n = 0;

	if (!tf_find_cells(L"Keys", &y, &x))
		fail_msg("no help overlay on the screen");
	for (int r = y + 1; r < rows; r++) {
		wchar_t w[256] = {0}, edge[2] = {0};
		char line[1024], *p;
		int left;
		mbstate_t ps;
		size_t o = 0;

		/* the frame's left edge: where the box starts (title at x - 1 - ...) */
		for (left = x; left > 0; left--) {
			mvwinnwstr(stdscr, y, left, edge, 1);
			if (edge[0] == L'\x250c' || edge[0] == L'+')
				break;
		}
		mvwinnwstr(stdscr, r, left, edge, 1);
		if (edge[0] == L'\x2514' || edge[0] == L'+')
			break; /* the bottom edge */
		mvwinnwstr(stdscr, r, left + 2, w, COLS - 2 * left - 4);
		memset(&ps, 0, sizeof(ps));
		for (size_t i = 0; w[i] && o + 8 < sizeof(line); i++)
			o += wcrtomb(line + o, w[i], &ps);
		line[o] = '\0';
		while (o && line[o - 1] == ' ')
			line[--o] = '\0';
		if (strncmp(line, "                  ", 18) == 0 && n) {
			size_t len = strlen(out[n - 1]);
			for (p = line; *p == ' '; p++)
				;
			out[n - 1] = realloc(out[n - 1], len + strlen(p) + 2);
			snprintf(out[n - 1] + len, strlen(p) + 2, " %s", p);
		} else if (n < max) {
			out[n++] = strdup(line);
		}
	}
	return n;
}

/* The entries the table says the overlay has, keys as km binds them. */
static size_t table_entries(const tui_keymap *km, char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < tui_keymap_action_count() && n < max; i++) {
		const tui_action *a = tui_keymap_action_at(i);
		char col[128], text[1024], line[1200];
		size_t o = 0;
		if (!a->group) {
			tui_keymap_column(km, i, TUI_KM_PLAIN, col, sizeof(col));
			snprintf(line, sizeof(line), strlen(col) > 16 ? "%s %s" : "%-18s%s", col,
			         a->help);
			out[n++] = strdup(line);
			continue;
		}
		for (; i < tui_keymap_action_count(); i++) {
			const tui_action *g = tui_keymap_action_at(i);
			if (!g->group || strcmp(g->group, a->group) != 0)
				break;
			o += (size_t)snprintf(
			    text + o, sizeof(text) - o, "%s%s %s", o ? "; " : "",
			    tui_keymap_column(km, i, TUI_KM_KEYS, col, sizeof(col)), g->help);
		}
		i--;
		snprintf(line, sizeof(line), "%-18s%s", a->group, text);
		out[n++] = strdup(line);
	}
	return n;
}

static void assert_overlay(const tui_keymap *km)
{
	char *has[200], *want[200];
	size_t nh = overlay_entries(has, 200), nw = table_entries(km, want, 200);

	if (nh < nw)
		fail_msg("the help shows %zu entries, the table has %zu", nh, nw);
	for (size_t i = 0; i < nw; i++) {
		if (strcmp(has[i], want[i]) != 0)
			fail_msg("help entry %zu:\n  shown: %s\n  table: %s", i, has[i], want[i]);
		free(want[i]);
	}
	/* after the keys: the mouse and the marks */
	assert_non_null(strstr(has[nw], "mouse (--mouse)"));
	for (size_t i = 0; i < nh; i++)
		free(has[i]);
}

/* The `?` overlay is the table: every entry, in order, keys as bound. */
static void test_overlay(void **state)
{
	fixture *f = *state;
	tui_config c = tf_config_trainer(f, 120, 100);
	tui_keymap *km = tui_keymap_new();

	c.keymap = km;
	start(f, &c, NULL, 0);
	key(f, '?');
	free(screen(f));
	assert_overlay(km);
	key(f, '?');
	tf_stop(f);

	/* bind x quit: the help says so, x quits, the reshuffle has no key */
	assert_int_equal(tui_keymap_bind(km, "x", "quit", NULL), MXS_OK);
	start(f, &c, NULL, 0);
	key(f, KEY_F(1));
	free(screen(f));
	assert_overlay(km);
	{
		char *s = screen(f);
		assert_has(s, "q, F10, x quit;");
		assert_has(s, "(no key)          reshuffle");
		free(s);
	}
	key(f, '?');
	unget_wch(L'x');
	assert_false(tui_app_pump(f->app));
	tui_keymap_free(km);
}

/* F1 opens the help, F10 quits; an unbound key says so and where the list
 * is, its name readable. */
static void test_f1_f10_unbound(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 100, 30);
	char *s;

	start(f, &c, sc, 1);
	key(f, KEY_F(1));
	s = screen(f);
	assert_has(s, "walk the attempt order");
	free(s);
	key(f, KEY_F(1)); /* help again closes it */
	s = screen(f);
	assert_lacks(s, "walk the attempt order");
	free(s);

	key(f, KEY_F(9));
	assert_string_equal(tui_app_message(f->app), "F9 does nothing here; ? lists the keys");
	s = screen(f);
	assert_has(s, "F9 does nothing here; ? lists the keys");
	free(s);
	key(f, ':');
	assert_string_equal(tui_app_message(f->app), ": does nothing here; ? lists the keys");
	key(f, 24);
	assert_string_equal(tui_app_message(f->app), "^X does nothing here; ? lists the keys");
	/* a walk's key outside a walk */
	key(f, 'n');
	assert_string_equal(tui_app_message(f->app), "n does nothing here; ? lists the keys");
	/* a key that works elsewhere says where it does nothing */
	key(f, '\t');
	key(f, '\t'); /* details */
	key(f, '\n');
	assert_string_equal(tui_app_message(f->app),
	                    "Enter does nothing in the details pane; ? lists the keys");
	/* the next key clears the message */
	key(f, 'k');
	assert_string_equal(tui_app_message(f->app), "");

	key(f, KEY_F(10));
	assert_false(tui_app_pump(f->app));
}

/* The status bar's hints name the keys as bound. */
static void test_hints_follow_bindings(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 120, 30);
	tui_keymap *km = tui_keymap_new();
	char *s;

	assert_int_equal(tui_keymap_unbind(km, "r", NULL), MXS_OK);
	assert_int_equal(tui_keymap_bind(km, "F5", "refresh", NULL), MXS_OK);
	assert_int_equal(tui_keymap_bind(km, "^W", "walk", NULL), MXS_OK);
	assert_int_equal(tui_keymap_unbind(km, "w", NULL), MXS_OK);
	c.keymap = km;
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "? help  q quit  Tab pane  Enter open  a add  d del  / filter  F5 re-probe  ^W walk");
	free(s);
	key(f, 'r');
	assert_string_equal(tui_app_message(f->app), "r does nothing here; ? lists the keys");
	key(f, KEY_F(5));
	assert_non_null(strstr(tui_app_message(f->app), "re-resolving and re-probing"));
	tf_settle(f);
	key(f, 23); /* ^W */
	s = screen(f);
	assert_has(s, "walk: + faster  - slower  Space pause  n step  Esc stop  x shuffle  q quit");
	free(s);
	tf_stop(f);
	tui_keymap_free(km);
}

/* ---- the explorer on the real terminal, for tests/test_tui_tmux.sh ------------------- */

static void pty_explorer(void **state)
{
	fixture *f = *state;
	tui_config c = tf_config_trainer(f, 100, 30);
	tui_keymap *km = tui_keymap_new();
	char *why = NULL;
	int rc;

	/* the terminal's size, as a user's */
	unsetenv("COLUMNS");
	unsetenv("LINES");
	c.in = c.out = NULL;
	c.term = NULL;
	assert_int_equal(tui_keymap_bind(km, "x", "quit", &why), MXS_OK);
	c.keymap = km;
	f->app = tui_app_new(&c, &why);
	if (!f->app)
		fail_msg("tui_app_new: %s", why);
	tf_add_scenario(f, "primary-down");
	rc = tui_app_run(f->app);
	tui_app_free(f->app);
	f->app = NULL;
	printf("explorer exited %d\n", rc);
	tui_keymap_free(km);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_bind),
	    cmocka_unit_test(test_readme),
	    cmocka_unit_test(test_man),
	    cmocka_unit_test(test_docs_follow_bindings),
	    tf_test(test_overlay),
	    tf_test(test_f1_f10_unbound),
	    tf_test(test_hints_follow_bindings),
	};
	const struct CMUnitTest pty[] = {tf_test(pty_explorer)};

	if (argc == 2 &&
	    (strcmp(argv[1], "--print-readme") == 0 || strcmp(argv[1], "--print-man") == 0)) {
		tui_keymap *km = tui_keymap_new();
		char *text = argv[1][8] == 'r' ? tui_keymap_readme(km) : tui_keymap_man(km);
		int rc = text && fputs(text, stdout) >= 0 ? 0 : 1;
		free(text);
		tui_keymap_free(km);
		return rc;
	}
	if (argc == 2 && strcmp(argv[1], "--pty") == 0)
		return tf_run(pty);
	return tf_run(tests);
}
