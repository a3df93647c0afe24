/* tests/test_theme.c — the theme parser (every error and its message), the
 * search path, the shipped themes, and roles turned into ncurses attributes
 * on a real (newterm) screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "theme.h"

struct parse_case {
	const char *text;
	const char *why_prefix; /* NULL: must parse */
};

static const struct parse_case parse_cases[] = {
    {"", NULL},
    {"# only a comment\n\n   \n", NULL},
    {"normal = default\n", NULL},
    {"ok = green on black bold underline reverse dim\n", NULL},
    {"  title=bright-cyan   # trailing comment\r\n", NULL},
    {"walk-current = 0 on 255\nlisted = 16", NULL},
    {"error = red\nwarn = yellow\n", NULL},
    {"normal default\n",
     "t.theme:1: expected 'role = colour [on colour] [bold] ...'; there is no '='"},
    {"\n\nfoo = red\n", "t.theme:3: unknown role \"foo\"; expected one of normal, dim,"},
    {"ok = grene\n", "t.theme:1: unknown colour \"grene\"; expected black, red,"},
    {"ok = 256\n", "t.theme:1: unknown colour \"256\""},
    {"ok = -1\n", "t.theme:1: unknown colour \"-1\""},
    {"ok = bright-\n", "t.theme:1: unknown colour \"bright-\""},
    {"ok = bright-default\n", "t.theme:1: unknown colour \"bright-default\""},
    {"ok = red on purple\n", "t.theme:1: unknown colour \"purple\""},
    {"ok =\n", "t.theme:1: expected a colour after '='"},
    {"ok = # nothing\n", "t.theme:1: expected a colour after '='"},
    {"ok = red on\n", "t.theme:1: expected a colour after 'on'"},
    {"ok = red blink\n", "t.theme:1: unknown word \"blink\"; expected on COLOUR, bold,"},
    {"= red\n", "t.theme:1: expected one role name before '=', found \"\""},
    {"ok warn = red\n", "t.theme:1: expected one role name before '=', found \"ok warn\""},
    {"ok = red\nok = blue\n", "t.theme:2: role \"ok\" was already set on line 1;"},
    {"ok = \x1b[31m\n", "t.theme:1: unknown colour \"?[31m\""},
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		char *why = NULL;
		theme *t = theme_parse("dir/t.theme", c->text, &why);

		if (!c->why_prefix) {
			if (!t)
				fail_msg("case %zu: %s", i, why);
			assert_string_equal(theme_name(t), "t");
			assert_null(why);
		} else {
			assert_null(t);
			assert_non_null(why);
			/* messages name the origin as given */
			if (strncmp(why, "dir/", 4) != 0 ||
			    strncmp(why + 4, c->why_prefix, strlen(c->why_prefix)) != 0)
				fail_msg("case %zu: got \"%s\", want prefix \"dir/%s\"", i, why,
				         c->why_prefix);
		}
		theme_free(t);
		free(why);
	}
}

static void test_parse_long_line(void **state)
{
	char text[600], *why = NULL;
	theme *t;

	(void)state;
	/* exactly 256 characters is allowed */
	memset(text, ' ', sizeof(text));
	memcpy(text, "ok = red", 8);
	text[256] = '\n';
	text[257] = '\0';
	t = theme_parse("t.theme", text, &why);
	assert_non_null(t);
	theme_free(t);
	memcpy(text, "ok = red", 8);
	memset(text + 8, ' ', 300);
	strcpy(text + 257, "\nwarn = blue\n");
	t = theme_parse("t.theme", text, &why);
	assert_null(t);
	assert_string_equal(why,
	                    "t.theme:1: line longer than 256 characters; expected a short line");
	free(why);
}

static void test_parse_no_why(void **state)
{
	(void)state;
	/* why may be NULL; free accepts NULL */
	assert_null(theme_parse("t", "bad", NULL));
	theme_free(NULL);
	assert_null(theme_parse("t", NULL, NULL));
}

static void test_roles(void **state)
{
	(void)state;
	assert_string_equal(theme_role_key(THEME_NORMAL), "normal");
	assert_string_equal(theme_role_key(THEME_WALK_CURRENT), "walk-current");
	assert_string_equal(theme_role_key(THEME_LISTED), "listed");
}

static char srcdir[PATH_MAX];

static void shipped_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/themes/%s.theme", srcdir, name);
}

static void test_shipped_load(void **state)
{
	(void)state;
	assert_int_equal(theme_shipped_count, 5);
	assert_string_equal(theme_shipped[0], "default");
	for (size_t i = 0; i < theme_shipped_count; i++) {
		char path[PATH_MAX + 64], *why = NULL;
		theme *t;

		shipped_path(path, sizeof(path), theme_shipped[i]);
		t = theme_load(path, &why);
		if (!t)
			fail_msg("%s: %s", theme_shipped[i], why);
		assert_string_equal(theme_name(t), theme_shipped[i]);
		assert_int_equal(theme_is_mono(t), strcmp(theme_shipped[i], "mono") == 0);
		theme_free(t);
	}
}

static void test_missing(void **state)
{
	char *why = NULL;

	(void)state;
	assert_null(theme_load("/nonexistent/x.theme", &why));
	assert_string_equal(why, "/nonexistent/x.theme: No such file or directory");
	assert_null(theme_load("../etc", &why));
	assert_null(theme_load("", &why));
	assert_string_equal(why, "no theme name given; expected NAME or FILE");
	assert_null(theme_load(".hidden", &why));
	assert_true(strncmp(why, "bad theme name \".hidden\"", 24) == 0);
	free(why);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A theme "file" that is a FIFO with no writer is refused at once: the
 * explorer would otherwise hang at start (this test then hits meson's
 * timeout); a directory too. */
static void test_not_a_file(void **state)
{
	char dir[] = "/tmp/mxs-theme-XXXXXX", fifo[64];
	char *why = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/x.theme", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(theme_load(fifo, &why));
	assert_non_null(strstr(why, "not a regular file"));
	free(why);
	why = NULL;
	assert_null(theme_load(dir, &why));
	assert_non_null(why);
	free(why);
	unlink(fifo);
	rmdir(dir);
}

static void test_search_path(void **state)
{
	char tmpl[] = "/tmp/mxscope-theme-XXXXXX", old[PATH_MAX], p[PATH_MAX + 64];
	char *dir, *why = NULL, *old_xdg = getenv("XDG_CONFIG_HOME");
	theme *t;

	(void)state;
	if (old_xdg)
		old_xdg = strdup(old_xdg);
	assert_non_null(getcwd(old, sizeof(old)));
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	assert_int_equal(chdir(dir), 0); /* no ./themes here */
	snprintf(p, sizeof(p), "%s/cfg", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	setenv("XDG_CONFIG_HOME", p, 1);
	snprintf(p, sizeof(p), "%s/cfg/mxscope", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes/mine.theme", dir);
	write_file(p, "ok = blue\n");
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes/broken.theme", dir);
	write_file(p, "ok = blue\nnope = red\n");

	t = theme_load("mine", &why);
	assert_non_null(t);
	assert_null(why);
	assert_string_equal(theme_name(t), "mine");
	theme_free(t);

	/* a broken file found on the path is reported, not skipped */
	assert_null(theme_load("broken", &why));
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes/broken.theme:2: unknown role \"nope\"", dir);
	assert_true(strncmp(why, p, strlen(p)) == 0);

	/* ./themes comes first */
	assert_int_equal(mkdir("themes", 0700), 0);
	write_file("themes/mine.theme", "ok = nocolour\n");
	assert_null(theme_load("mine", &why));
	assert_string_equal(why, "./themes/mine.theme:1: unknown colour \"nocolour\"; expected "
	                         "black, red, green, yellow, blue, magenta, cyan, white, default, "
	                         "bright-NAME or a number 0-255");

	/* the compiled-in themes are found even where no file is */
	t = theme_load("default", &why);
	assert_non_null(t);
	assert_string_equal(theme_name(t), "default");
	theme_free(t);
	t = theme_load("mono", &why);
	assert_non_null(t);
	assert_true(theme_is_mono(t));
	theme_free(t);

	/* not found anywhere: the message lists where it looked */
	assert_null(theme_load("absent", &why));
	snprintf(p, sizeof(p), "no theme absent in ./themes, %s/cfg/mxscope/themes, ", dir);
	assert_true(strncmp(why, p, strlen(p)) == 0);
	free(why);

	/* too big */
	{
		FILE *f = fopen("themes/big.theme", "w");
		assert_non_null(f);
		for (int i = 0; i < 70 * 1024 / 16; i++)
			fputs("# padding ......\n", f);
		fclose(f);
		why = NULL;
		assert_null(theme_load("big", &why));
		assert_string_equal(why, "./themes/big.theme: larger than 65536 bytes; expected a "
		                         "small text file");
		free(why);
	}

	unlink("themes/mine.theme");
	unlink("themes/big.theme");
	rmdir("themes");
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes/mine.theme", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes/broken.theme", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/cfg/mxscope/themes", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/cfg/mxscope", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/cfg", dir);
	rmdir(p);
	assert_int_equal(chdir(old), 0);
	rmdir(dir);
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old_xdg);
}

/* A real screen to ask ncurses about colour pairs, writing to /dev/null. */
struct screen {
	SCREEN *scr;
	FILE *out, *in;
};

static void screen_open(struct screen *s, const char *term)
{
	s->out = fopen("/dev/null", "w");
	s->in = fopen("/dev/null", "r");
	assert_non_null(s->out);
	assert_non_null(s->in);
	s->scr = newterm(term, s->out, s->in);
	assert_non_null(s->scr);
	set_term(s->scr);
	start_color();
}

static void screen_close(struct screen *s)
{
	endwin();
	delscreen(s->scr);
	fclose(s->out);
	fclose(s->in);
}

static theme *load_shipped(const char *name)
{
	char path[PATH_MAX + 64], *why = NULL;
	theme *t;

	shipped_path(path, sizeof(path), name);
	t = theme_load(path, &why);
	if (!t)
		fail_msg("%s", why);
	return t;
}

static void test_apply_256(void **state)
{
	struct screen s;

	(void)state;
	screen_open(&s, "xterm-256color");
	assert_true(has_colors());
	assert_true(COLORS >= 256);
	for (size_t i = 0; i < theme_shipped_count; i++) {
		theme *t = load_shipped(theme_shipped[i]);
		short seen[THEME_ROLE_COUNT];

		theme_apply(t);
		for (int r = 0; r < THEME_ROLE_COUNT; r++) {
			unsigned int a = theme_attr(t, (theme_role)r);
			short pair = (short)PAIR_NUMBER(a);

			if (theme_is_mono(t)) {
				assert_int_equal(pair, 0);
				assert_int_equal(
				    a & ~(unsigned)(A_BOLD | A_REVERSE | A_UNDERLINE | A_DIM), 0);
				continue;
			}
			assert_true(pair > 0);
			for (int k = 0; k < r; k++)
				assert_int_not_equal(seen[k], pair);
			seen[r] = pair;
			if (strcmp(theme_shipped[i], "high-contrast") == 0)
				assert_int_equal(a & A_DIM, 0); /* projectors lose dim text */
		}
		theme_free(t);
	}
	screen_close(&s);
}

static void test_default_file_matches_builtin(void **state)
{
	struct screen s;
	theme *file, *builtin, *mono_file, *mono;

	(void)state;
	screen_open(&s, "xterm-256color");
	file = load_shipped("default");
	builtin = theme_default();
	mono_file = load_shipped("mono");
	mono = theme_mono();
	assert_string_equal(theme_name(builtin), "default");
	assert_true(theme_is_mono(mono));
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		short f1, b1, f2, b2;

		assert_int_equal(theme_attr(mono_file, (theme_role)r),
		                 theme_attr(mono, (theme_role)r));
		theme_apply(file);
		pair_content((short)r + 1, &f1, &b1);
		theme_apply(builtin);
		pair_content((short)r + 1, &f2, &b2);
		assert_int_equal(f1, f2);
		assert_int_equal(b1, b2);
		assert_int_equal(theme_attr(file, (theme_role)r),
		                 theme_attr(builtin, (theme_role)r));
	}
	theme_free(file);
	theme_free(builtin);
	theme_free(mono_file);
	theme_free(mono);
	screen_close(&s);
}

static void test_apply_8_colours(void **state)
{
	struct screen s;
	theme *t;
	short fg, bg;

	(void)state;
	/* xterm has 8 colours: bright-X becomes X with A_BOLD, 256-colour
	 * numbers the nearest basic colour */
	screen_open(&s, "xterm");
	assert_true(COLORS < 16);
	t = theme_parse("t", "dim = bright-black\nok = 214 on 25\n", NULL);
	assert_non_null(t);
	theme_apply(t);
	assert_true(theme_attr(t, THEME_DIM) & A_BOLD);
	pair_content(THEME_DIM + 1, &fg, &bg);
	assert_int_equal(fg, COLOR_BLACK);
	pair_content(THEME_OK + 1, &fg, &bg);
	assert_int_equal(fg, COLOR_YELLOW);
	assert_int_equal(bg, COLOR_BLUE);
	assert_false(theme_attr(t, THEME_OK) & A_BOLD);
	theme_free(t);
	screen_close(&s);
}

static void test_no_colour_terminal(void **state)
{
	struct screen s;
	theme *t = theme_default();

	(void)state;
	/* a colour theme on a terminal without colours falls back to the mono
	 * attributes rather than to nothing */
	screen_open(&s, "vt100");
	assert_false(has_colors());
	theme_apply(t);
	assert_int_equal(PAIR_NUMBER(theme_attr(t, THEME_SELECTED)), 0);
	assert_true(theme_attr(t, THEME_SELECTED) & A_REVERSE);
	theme_free(t);
	screen_close(&s);
}

int main(void)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_long_line),
	    cmocka_unit_test(test_parse_no_why),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_shipped_load),
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_not_a_file),
	    cmocka_unit_test(test_search_path),
	    cmocka_unit_test(test_apply_256),
	    cmocka_unit_test(test_default_file_matches_builtin),
	    cmocka_unit_test(test_apply_8_colours),
	    cmocka_unit_test(test_no_colour_terminal),
	};

	/* shipped themes are read by absolute path: the search-path test
	 * changes directory */
	if (!realpath(src ? src : "..", srcdir))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
