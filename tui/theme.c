/* tui/theme.c — theme files: parsing, the search path, and turning roles into
 * ncurses colour pairs and attributes. Pure parsing lives apart from the
 * ncurses part so the fuzzer and the tests can reach it without a screen. */
#include "theme.h"
#include "line.h"
#include "num.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "theme_builtin.h"

#define THEME_MAX_LINE 256         /* characters per line, newline excluded */
#define THEME_MAX_FILE (64 * 1024) /* a theme is a few hundred bytes; bound the read */
#define THEME_MAX_NAME 64
#define COLOR_DEFAULT  (-1) /* the terminal's own colour (use_default_colors) */

struct role_style {
	short fg, bg;       /* -1 default, 0-7 named, 8-15 bright, 16-255 */
	unsigned int attrs; /* A_BOLD | A_UNDERLINE | A_REVERSE | A_DIM */
	int line;           /* where a file set it (0: inherited default) */
};

struct theme {
	char name[THEME_MAX_NAME];
	bool mono;
	struct role_style roles[THEME_ROLE_COUNT];
};

const char *const theme_shipped[] = {"default", "light", "high-contrast", "mono", "colorblind"};
const size_t theme_shipped_count = sizeof(theme_shipped) / sizeof(theme_shipped[0]);

static const char *const role_keys[THEME_ROLE_COUNT] = {
#define THEME_X_KEY(id, key, fg, bg, attrs) [THEME_##id] = key,
    THEME_ROLES(THEME_X_KEY)
#undef THEME_X_KEY
};

struct role_default {
	const char *fg, *bg, *attrs;
};

static const struct role_default role_defaults[THEME_ROLE_COUNT] = {
#define THEME_X_DEF(id, key, fg, bg, attrs) [THEME_##id] = {fg, bg, attrs},
    THEME_ROLES(THEME_X_DEF)
#undef THEME_X_DEF
};

/* Black and white: what each role looks like without colour. Kept beside the
 * roles so a terminal without colours still tells selection, focus and the
 * walk apart; themes/mono.theme says the same (the tests compare them). */
static const unsigned int mono_attrs[THEME_ROLE_COUNT] = {
    [THEME_NORMAL] = 0,
    [THEME_DIM] = A_DIM,
    [THEME_TITLE] = A_BOLD,
    [THEME_BORDER] = 0,
    [THEME_BORDER_FOCUS] = A_BOLD,
    [THEME_SELECTED] = A_REVERSE,
    [THEME_STATUSBAR] = A_REVERSE,
    [THEME_KEY] = A_BOLD,
    [THEME_OK] = 0,
    [THEME_WARN] = A_BOLD,
    [THEME_ERROR] = A_BOLD | A_UNDERLINE,
    [THEME_INFO] = 0,
    [THEME_PENDING] = A_DIM,
    [THEME_WALK_CURRENT] = A_REVERSE | A_BOLD,
    [THEME_WALK_DONE] = A_BOLD,
    [THEME_FROZEN] = A_REVERSE | A_BOLD,
    [THEME_LISTED] = A_BOLD | A_UNDERLINE,
};

static const char *const colour_names[8] = {"black", "red",     "green", "yellow",
                                            "blue",  "magenta", "cyan",  "white"};

static const struct {
	const char *word;
	unsigned int attr;
} attr_words[] = {
    {"bold", A_BOLD},
    {"underline", A_UNDERLINE},
    {"reverse", A_REVERSE},
    {"dim", A_DIM},
};

const char *theme_role_key(theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? role_keys[r] : "?";
}

const char *theme_name(const theme *t)
{
	return t ? t->name : "?";
}

bool theme_is_mono(const theme *t)
{
	return t && t->mono;
}

void theme_free(theme *t)
{
	free(t);
}

/* A word from a file, made safe to show: the message ends up on the screen,
 * so control bytes in a hostile file must not reach the terminal. */
static void quote_word(char *out, size_t outsz, const char *w, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < outsz; i++) {
		unsigned char c = (unsigned char)w[i];
		out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (i < n && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Parses one colour word; returns false if it is none. */
static bool parse_colour(const char *w, size_t n, short *out)
{
	bool bright = false;
	long v;

	if (n == 7 && memcmp(w, "default", 7) == 0) {
		*out = COLOR_DEFAULT;
		return true;
	}
	if (n > 7 && memcmp(w, "bright-", 7) == 0) {
		bright = true;
		w += 7;
		n -= 7;
	}
	for (short i = 0; i < 8; i++) {
		if (strlen(colour_names[i]) == n && memcmp(w, colour_names[i], n) == 0) {
			*out = (short)(bright ? i + 8 : i);
			return true;
		}
	}
	if (bright || n == 0 || n > 3 || w[0] < '0' || w[0] > '9')
		return false;
	{
		char num[4];
		unsigned long u;
		memcpy(num, w, n);
		num[n] = '\0';
		if (!mx_num_parse(num, 255, &u))
			return false;
		v = (long)u;
	}
	*out = (short)v;
	return true;
}

static bool parse_attr(const char *w, size_t n, unsigned int *attrs)
{
	for (size_t i = 0; i < sizeof(attr_words) / sizeof(attr_words[0]); i++) {
		if (strlen(attr_words[i].word) == n && memcmp(w, attr_words[i].word, n) == 0) {
			*attrs |= attr_words[i].attr;
			return true;
		}
	}
	return false;
}

/* Fills in the compiled-in defaults from the role table; they are constant
 * strings in theme.h, so a failure here is a bug caught by the tests. */
static void set_defaults(theme *t)
{
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		const struct role_default *d = &role_defaults[r];
		struct role_style *s = &t->roles[r];
		const char *p = d->attrs;

		s->fg = s->bg = COLOR_DEFAULT;
		s->attrs = 0;
		s->line = 0;
		parse_colour(d->fg, strlen(d->fg), &s->fg);
		parse_colour(d->bg, strlen(d->bg), &s->bg);
		while (*p) {
			size_t n = strcspn(p, "|");
			parse_attr(p, n, &s->attrs);
			p += n;
			if (*p == '|')
				p++;
		}
	}
}

/* The theme's name: ORIGIN without directories and ".theme". */
static void set_name(theme *t, const char *origin)
{
	const char *base = strrchr(origin, '/');
	size_t n;

	base = base ? base + 1 : origin;
	n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".theme") == 0)
		n -= 6;
	if (n >= sizeof(t->name))
		n = sizeof(t->name) - 1;
	memcpy(t->name, base, n);
	t->name[n] = '\0';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits off the next word of [*p, end); returns its length (0 at the end). */
static size_t next_word(const char **p, const char *end, const char **w)
{
	const char *s = *p;

	while (s < end && is_space(*s))
		s++;
	*w = s;
	while (s < end && !is_space(*s))
		s++;
	*p = s;
	return (size_t)(s - *w);
}

/* One line without its newline; blank and comment lines were skipped. */
static mxs_status parse_line(theme *t, const char *origin, int lineno, const char *line,
                             const char *end, char **why)
{
	const char *eq = memchr(line, '=', (size_t)(end - line)), *p, *w;
	char q[48];
	size_t n;
	int role = -1;
	struct role_style s = {COLOR_DEFAULT, COLOR_DEFAULT, 0, lineno};

	if (!eq) {
		mxs_why(why,
		        "%s:%d: expected 'role = colour [on colour] [bold] ...'; there is no '='",
		        origin, lineno);
		return MXS_ERR_INVALID;
	}
	/* the role is everything before '=', trimmed: one word */
	w = line;
	n = (size_t)(eq - line);
	while (n > 0 && is_space(w[n - 1]))
		n--;
	if (n == 0 || memchr(w, ' ', n) || memchr(w, '\t', n)) {
		quote_word(q, sizeof(q), w, n);
		mxs_why(why, "%s:%d: expected one role name before '=', found \"%s\"", origin,
		        lineno, q);
		return MXS_ERR_INVALID;
	}
	for (int r = 0; r < THEME_ROLE_COUNT; r++)
		if (strlen(role_keys[r]) == n && memcmp(w, role_keys[r], n) == 0)
			role = r;
	if (role < 0) {
		quote_word(q, sizeof(q), w, n);
		mxs_why(why,
		        "%s:%d: unknown role \"%s\"; expected one of normal, dim, title, border, "
		        "border-focus, selected, statusbar, key, ok, warn, error, info, pending, "
		        "walk-current, walk-done, frozen, listed",
		        origin, lineno, q);
		return MXS_ERR_INVALID;
	}
	if (t->roles[role].line > 0) {
		mxs_why(why,
		        "%s:%d: role \"%s\" was already set on line %d; expected each role once",
		        origin, lineno, role_keys[role], t->roles[role].line);
		return MXS_ERR_INVALID;
	}
	p = eq + 1;
	n = next_word(&p, end, &w);
	if (n == 0) {
		mxs_why(why, "%s:%d: expected a colour after '='", origin, lineno);
		return MXS_ERR_INVALID;
	}
	if (!parse_colour(w, n, &s.fg))
		goto bad_colour;
	while ((n = next_word(&p, end, &w)) > 0) {
		if (n == 2 && memcmp(w, "on", 2) == 0) {
			n = next_word(&p, end, &w);
			if (n == 0) {
				mxs_why(why, "%s:%d: expected a colour after 'on'", origin, lineno);
				return MXS_ERR_INVALID;
			}
			if (!parse_colour(w, n, &s.bg))
				goto bad_colour;
			continue;
		}
		if (!parse_attr(w, n, &s.attrs)) {
			quote_word(q, sizeof(q), w, n);
			mxs_why(why,
			        "%s:%d: unknown word \"%s\"; expected on COLOUR, bold, underline, "
			        "reverse or dim",
			        origin, lineno, q);
			return MXS_ERR_INVALID;
		}
	}
	t->roles[role] = s;
	return MXS_OK;

bad_colour:
	quote_word(q, sizeof(q), w, n);
	mxs_why(why,
	        "%s:%d: unknown colour \"%s\"; expected black, red, green, yellow, blue, magenta, "
	        "cyan, white, default, bright-NAME or a number 0-255",
	        origin, lineno, q);
	return MXS_ERR_INVALID;
}

/* One theme being read, line by line, from a file or a built-in text. */
typedef struct theme_reader {
	theme *t;
	const char *origin;
	char **why;
	size_t bytes;
} theme_reader;

static int on_theme_line(const char *line, size_t len, unsigned long lineno, unsigned flags,
                         void *arg)
{
	theme_reader *tr = arg;
	const char *s = line, *end = line + len;

	tr->bytes += len + 1;
	if (tr->bytes > THEME_MAX_FILE + 1) {
		mxs_why(tr->why, "%s: larger than %d bytes; expected a small text file", tr->origin,
		        THEME_MAX_FILE);
		return 1;
	}
	if (flags & LINE_HAS_NUL) {
		mxs_why(tr->why, "%s: contains a NUL byte; expected a text file", tr->origin);
		return 1;
	}
	if (flags & LINE_TOO_LONG) {
		mxs_why(tr->why, "%s:%lu: line longer than %d characters; expected a short line",
		        tr->origin, lineno, THEME_MAX_LINE);
		return 1;
	}
	while (s < end && is_space(*s))
		s++;
	if (s < end && *s != '#') {
		const char *hash = memchr(s, '#', (size_t)(end - s));
		if (parse_line(tr->t, tr->origin, (int)lineno, s, hash ? hash : end, tr->why) !=
		    MXS_OK)
			return 1;
	}
	return 0;
}

/* A theme with the defaults, named after origin, for the lines to fill. */
static theme *theme_begin(const char *origin, char **why)
{
	theme *t = calloc(1, sizeof(*t));

	if (!t) {
		mxs_why(why, "%s: out of memory", origin);
		return NULL;
	}
	set_name(t, origin);
	set_defaults(t);
	return t;
}

static theme *theme_end(theme *t)
{
	bool any_colour = false;

	for (int r = 0; r < THEME_ROLE_COUNT; r++)
		if (t->roles[r].line > 0 &&
		    (t->roles[r].fg != COLOR_DEFAULT || t->roles[r].bg != COLOR_DEFAULT))
			any_colour = true;
	/* a file that sets every role without a colour is a black-and-white
	 * theme: roles it left out would otherwise bring colours back */
	t->mono = !any_colour;
	for (int r = 0; r < THEME_ROLE_COUNT && t->mono; r++)
		if (t->roles[r].line == 0)
			t->mono = false;
	return t;
}

theme *theme_parse(const char *origin, const char *text, char **why)
{
	theme_reader tr = {.origin = origin ? origin : "(theme)", .why = why};
	line_reader *lr = NULL;
	theme *result = NULL;

	if (!text) {
		mxs_why(why, "%s: no text", tr.origin);
		goto done;
	}
	/* the one line reader (core/line.h), as for a file */
	tr.t = theme_begin(tr.origin, why);
	lr = line_reader_new(THEME_MAX_LINE);
	if (!tr.t || !lr) {
		mxs_why(why, "%s: out of memory", tr.origin);
		goto done;
	}
	if (line_feed(lr, text, strlen(text), on_theme_line, &tr) != MXS_OK ||
	    line_finish(lr, on_theme_line, &tr) != MXS_OK)
		goto done;
	result = theme_end(tr.t);
	tr.t = NULL;
done:
	line_reader_free(lr);
	theme_free(tr.t);
	return result;
}

theme *theme_default(void)
{
	theme *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	strcpy(t->name, "default");
	set_defaults(t);
	return t;
}

theme *theme_mono(void)
{
	theme *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	strcpy(t->name, "mono");
	t->mono = true;
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		t->roles[r].fg = t->roles[r].bg = COLOR_DEFAULT;
		t->roles[r].attrs = mono_attrs[r];
	}
	return t;
}

/* Reads the theme file at path through the one line reader, which refuses
 * a FIFO or device before anything waits on it. A file that is not there
 * sets *missing, so the search can go on to the next directory. */
static theme *load_path(const char *path, bool *missing, char **why)
{
	theme_reader tr = {.origin = path, .why = why};
	struct stat sb;
	theme *result = NULL;

	*missing = stat(path, &sb) != 0 && errno == ENOENT;
	if (*missing) {
		mxs_why(why, "%s: %s", path, strerror(ENOENT));
		return NULL;
	}
	tr.t = theme_begin(path, why);
	if (!tr.t)
		return NULL;
	if (line_read_file(path, THEME_MAX_LINE, on_theme_line, &tr, why) == MXS_OK)
		result = theme_end(tr.t);
	else
		theme_free(tr.t);
	return result;
}

/* a + b + c + d in a new string owned by the caller; NULL without memory */
static char *join(const char *a, const char *b, const char *c, const char *d)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s%s", a, b, c, d) < 0)
		return NULL;
	return s;
}

/* A NAME must not climb out of the theme directories. */
static bool valid_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) >= THEME_MAX_NAME)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

theme *theme_load(const char *name_or_file, char **why)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *dirs[3] = {NULL, NULL, NULL}, *path = NULL;
	theme *t = NULL;
	bool missing = false;
	size_t len;

	if (!name_or_file || !*name_or_file) {
		mxs_why(why, "no theme name given; expected NAME or FILE");
		goto done;
	}
	len = strlen(name_or_file);
	if (strchr(name_or_file, '/') ||
	    (len > 6 && strcmp(name_or_file + len - 6, ".theme") == 0)) {
		t = load_path(name_or_file, &missing, why);
		goto done;
	}
	if (!valid_name(name_or_file)) {
		char q[48];
		quote_word(q, sizeof(q), name_or_file, len);
		mxs_why(why, "bad theme name \"%s\"; expected letters, digits, '-', '_' or '.'", q);
		goto done;
	}
	/* XDG: an empty or relative XDG_CONFIG_HOME is to be ignored */
	if (xdg && xdg[0] == '/')
		dirs[1] = join(xdg, "/mxscope/themes", "", "");
	else if (home && home[0] == '/')
		dirs[1] = join(home, "/.config/mxscope/themes", "", "");
	dirs[0] = join("./themes", "", "", "");
	dirs[2] = join(MXSCOPE_DATADIR, "/themes", "", "");
	if (!dirs[0] || !dirs[2]) {
		mxs_why(why, "out of memory");
		goto done;
	}
	for (int i = 0; i < 3; i++) {
		if (!dirs[i])
			continue;
		free(path);
		path = join(dirs[i], "/", name_or_file, ".theme");
		if (!path) {
			mxs_why(why, "out of memory");
			goto done;
		}
		t = load_path(path, &missing, why);
		if (t || !missing)
			goto done; /* found, or found but broken: say so, do not hide it */
	}
	/* the shipped themes are compiled in: they work from an uninstalled
	 * build run anywhere; a file on the path above overrides them */
	for (size_t i = 0; i < theme_builtin_count; i++)
		if (strcmp(theme_builtin_name[i], name_or_file) == 0) {
			char *origin = join(name_or_file, ".theme", "", "");
			t = origin ? theme_parse(origin, theme_builtin_text[i], why) : NULL;
			free(origin);
			goto done;
		}
	if (strcmp(name_or_file, "default") == 0 || strcmp(name_or_file, "mono") == 0) {
		t = name_or_file[0] == 'd' ? theme_default() : theme_mono();
		if (t)
			goto done;
	}
	mxs_why(why, "no theme %s in %s%s%s, %s", name_or_file, dirs[0], dirs[1] ? ", " : "",
	        dirs[1] ? dirs[1] : "", dirs[2]);
done:
	if (t && why) {
		free(*why);
		*why = NULL;
	}
	free(path);
	for (int i = 0; i < 3; i++)
		free(dirs[i]);
	return t;
}

/* ---- ncurses ---- */

/* xterm's 256-colour palette as RGB, for falling back to the basic eight */
static void xterm_rgb(int c, int rgb[3])
{
	static const int basic[16][3] = {
	    {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
	    {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
	    {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
	    {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
	};
	static const int level[6] = {0, 95, 135, 175, 215, 255};

	if (c < 16) {
		memcpy(rgb, basic[c], sizeof(basic[c]));
	} else if (c < 232) {
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[(c / 6) % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

static short nearest_basic(int c)
{
	int rgb[3], best = 0;
	long best_d = -1;

	xterm_rgb(c, rgb);
	for (int i = 0; i < 8; i++) {
		int b[3];
		long d = 0;
		xterm_rgb(i, b);
		for (int k = 0; k < 3; k++)
			d += (long)(rgb[k] - b[k]) * (rgb[k] - b[k]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (short)best;
}

/* What the terminal can show for colour C; *bold is set when a bright colour
 * has to be faked with A_BOLD on an 8-colour terminal. */
static short terminal_colour(short c, bool *bold)
{
	if (c < 0)
		return c;
	if (c >= 16)
		return COLORS >= 256 ? c : nearest_basic(c);
	if (c >= 8 && COLORS < 16) {
		if (bold)
			*bold = true;
		return (short)(c - 8);
	}
	return c;
}

static bool colours_usable(const theme *t)
{
	return t && !t->mono && has_colors() && COLOR_PAIRS > THEME_ROLE_COUNT;
}

void theme_apply(const theme *t)
{
	bool defaults;

	if (!colours_usable(t))
		return;
	defaults = use_default_colors() == OK;
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		short fg = terminal_colour(t->roles[r].fg, NULL);
		short bg = terminal_colour(t->roles[r].bg, NULL);

		/* without default colours the terminal's own are unknown: assume
		 * the classic white on black */
		if (!defaults && fg < 0)
			fg = COLOR_WHITE;
		if (!defaults && bg < 0)
			bg = COLOR_BLACK;
		init_pair((short)(r + 1), fg, bg);
	}
}

unsigned int theme_attr(const theme *t, theme_role r)
{
	bool bold = false;

	if (!t || (unsigned)r >= THEME_ROLE_COUNT)
		return A_NORMAL;
	if (t->mono)
		return t->roles[r].attrs;
	if (!colours_usable(t))
		return mono_attrs[r]; /* a colour theme on a mono terminal */
	terminal_colour(t->roles[r].fg, &bold);
	return (unsigned int)COLOR_PAIR(r + 1) | t->roles[r].attrs | (bold ? A_BOLD : 0);
}
