/* tui/keymap.c — key names, the keymap (the defaults of keys.c's action
 * table plus what a config file bound), and README.md's key table and the
 * man page's KEYS section written from it. See tui_keymap.h. */
#include "tui_keymap.h"

#include <ctype.h>
#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trainer.h"

#define FN(k) (TUI_KEY_FN | (k))

/* Named keys; the first name of a key is the one shown. */
static const struct {
	const char *name;
	int key;
} key_names[] = {
    {"Enter", '\n'},
    {"Return", '\n'},
    {"Tab", '\t'},
    {"S-Tab", FN(KEY_BTAB)},
    {"BTab", FN(KEY_BTAB)},
    {"Esc", 27},
    {"Escape", 27},
    {"Space", ' '},
    {"Up", FN(KEY_UP)},
    {"Down", FN(KEY_DOWN)},
    {"Left", FN(KEY_LEFT)},
    {"Right", FN(KEY_RIGHT)},
    {"PgUp", FN(KEY_PPAGE)},
    {"PageUp", FN(KEY_PPAGE)},
    {"PgDn", FN(KEY_NPAGE)},
    {"PageDown", FN(KEY_NPAGE)},
    {"Home", FN(KEY_HOME)},
    {"End", FN(KEY_END)},
    {"Ins", FN(KEY_IC)},
    {"Insert", FN(KEY_IC)},
    {"Del", FN(KEY_DC)},
    {"Delete", FN(KEY_DC)},
    {"Backspace", FN(KEY_BACKSPACE)},
    {"BSpace", FN(KEY_BACKSPACE)},
};
#define NKEY_NAMES (sizeof(key_names) / sizeof(key_names[0]))
#define FKEY_MAX   12 /* F13 and up are shifted F keys in most terminals */

/* What the explorer shows about the mouse: not a key, so not an action. */
static const char mouse_doc[] = "with `--mouse` only (so terminal selection keeps working): "
                                "click selects, wheel scrolls";

typedef struct binding {
	int key;
	int action;
} binding;

struct tui_keymap {
	binding *b; /* in the order bound: an action's keys are listed so */
	size_t n, cap;
};

int tui_keymap_key(wint_t ch, bool fkey)
{
	if (fkey)
		return ch == KEY_ENTER ? '\n' : FN((int)ch);
	if (ch == '\r')
		return '\n';
	if (ch == 8 || ch == 127)
		return FN(KEY_BACKSPACE);
	return (int)ch;
}

/* One UTF-8 character that is all of s, or -1. */
static int utf8_one(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	int n = u[0] < 0x80             ? 1
	        : (u[0] & 0xe0) == 0xc0 ? 2
	        : (u[0] & 0xf0) == 0xe0 ? 3
	        : (u[0] & 0xf8) == 0xf0 ? 4
	                                : 0;
	int cp = n == 1 ? u[0] : n == 2 ? u[0] & 0x1f : n == 3 ? u[0] & 0x0f : u[0] & 0x07;

	if (n == 0 || strlen(s) != (size_t)n)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	return cp;
}

int tui_keymap_parse(const char *name)
{
	int cp;

	if (!name || !name[0])
		return -1;
	for (size_t i = 0; i < NKEY_NAMES; i++)
		if (strcasecmp(key_names[i].name, name) == 0)
			return key_names[i].key;
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
		char *end;
		long n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= FKEY_MAX)
			return FN(KEY_F((int)n));
		return -1;
	}
	/* ^L and C-l: a control character, as the terminal sends it */
	if ((name[0] == '^' && name[1] && !name[2]) ||
	    (name[0] == 'C' && name[1] == '-' && name[2] && !name[3])) {
		int c = name[name[0] == '^' ? 1 : 2];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return tui_keymap_key((wint_t)((c & 0x1f)), false);
		return -1;
	}
	cp = utf8_one(name);
	/* a character that prints; control characters have their ^X names */
	if (cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp > 0x10ffff)
		return -1;
	return cp;
}

const char *tui_keymap_name(int key, char *out, size_t cap)
{
	for (size_t i = 0; i < NKEY_NAMES; i++)
		if (key_names[i].key == key) {
			snprintf(out, cap, "%s", key_names[i].name);
			return out;
		}
	if (key & TUI_KEY_FN) {
		int k = key & ~TUI_KEY_FN;
		const char *kn;
		if (k >= KEY_F(1) && k <= KEY_F(63))
			snprintf(out, cap, "F%d", k - KEY_F0);
		else if ((kn = keyname(k)) && strncmp(kn, "KEY_", 4) == 0)
			snprintf(out, cap, "%s", kn + 4); /* ncurses' own name of it */
		else
			snprintf(out, cap, "key %d", k);
	} else if (key >= 0 && key < 0x20) {
		snprintf(out, cap, "^%c", key + 0x40);
	} else if (key < 0x80) {
		snprintf(out, cap, "%c", key);
	} else if (key < 0xa0 || key > 0x10ffff) {
		snprintf(out, cap, "U+%04X", (unsigned)key);
	} else {
		/* UTF-8, whatever the locale: names are written in config files */
		char u[5] = {0};
		if (key < 0x800) {
			u[0] = (char)(0xc0 | (key >> 6));
			u[1] = (char)(0x80 | (key & 0x3f));
		} else if (key < 0x10000) {
			u[0] = (char)(0xe0 | (key >> 12));
			u[1] = (char)(0x80 | ((key >> 6) & 0x3f));
			u[2] = (char)(0x80 | (key & 0x3f));
		} else {
			u[0] = (char)(0xf0 | (key >> 18));
			u[1] = (char)(0x80 | ((key >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((key >> 6) & 0x3f));
			u[3] = (char)(0x80 | (key & 0x3f));
		}
		snprintf(out, cap, "%s", u);
	}
	return out;
}

int tui_keymap_action_find(const char *name)
{
	for (size_t i = 0; name && i < tui_keys_action_count(); i++)
		if (strcmp(tui_keys_action_at(i)->name, name) == 0)
			return (int)i;
	return -1;
}

static bool is_walk(int action)
{
	return (tui_keys_action_at((size_t)action)->when & TUI_WHEN_WALK) != 0;
}

/* Takes key out of the walk's table (walk) or the other one. */
static void drop(tui_keymap *km, int key, bool walk)
{
	size_t o = 0;

	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].key != key || is_walk(km->b[i].action) != walk)
			km->b[o++] = km->b[i];
	km->n = o;
}

static mxs_status add(tui_keymap *km, int key, int action)
{
	drop(km, key, is_walk(action));
	if (km->n == km->cap) {
		size_t cap = km->cap ? km->cap * 2 : 64;
		binding *b = realloc(km->b, cap * sizeof(*b));
		if (!b)
			return MXS_ERR_NOMEM;
		km->b = b;
		km->cap = cap;
	}
	km->b[km->n++] = (binding){key, action};
	return MXS_OK;
}

tui_keymap *tui_keymap_new(void)
{
	tui_keymap *km = calloc(1, sizeof(*km));

	if (!km)
		return NULL;
	for (size_t i = 0; i < tui_keys_action_count(); i++) {
		const char *p = tui_keys_action_at(i)->default_keys;
		while (p && *p) {
			char name[32];
			size_t len = strcspn(p, " ");
			int key;
			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			p += len + (p[len] == ' ');
			/* the table is ours: a name it cannot spell is a bug the
			 * keymap test shows, not a key silently left out */
			if ((key = tui_keymap_parse(name)) < 0 || add(km, key, (int)i) != MXS_OK) {
				tui_keymap_free(km);
				return NULL;
			}
		}
	}
	return km;
}

void tui_keymap_free(tui_keymap *km)
{
	if (!km)
		return;
	free(km->b);
	free(km);
}

mxs_status tui_keymap_bind(tui_keymap *km, const char *key, const char *action, char **why)
{
	int k = tui_keymap_parse(key), act = tui_keymap_action_find(action);

	if (k < 0) {
		mxs_why(why, "unknown key \"%s\"", key ? key : "");
		return MXS_ERR_INVALID;
	}
	if (act < 0) {
		mxs_why(why, "unknown action \"%s\"", action ? action : "");
		return MXS_ERR_INVALID;
	}
	if (add(km, k, act) != MXS_OK) {
		mxs_why(why, "out of memory");
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

mxs_status tui_keymap_unbind(tui_keymap *km, const char *key, char **why)
{
	int k = tui_keymap_parse(key);

	if (k < 0) {
		mxs_why(why, "unknown key \"%s\"", key ? key : "");
		return MXS_ERR_INVALID;
	}
	drop(km, k, true);
	drop(km, k, false);
	return MXS_OK;
}

int tui_keymap_lookup(const tui_keymap *km, int key, bool walking)
{
	/* during a walk its own keys come first, as a tmux mode's table does */
	for (int pass = walking ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < km->n; i++)
			if (km->b[i].key == key && is_walk(km->b[i].action) == (pass == 0))
				return km->b[i].action;
	return -1;
}

int tui_keymap_key_of(const tui_keymap *km, size_t action, size_t n)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].action == (int)action && n-- == 0)
			return km->b[i].key;
	return -1;
}

const char *tui_keymap_first(const tui_keymap *km, const char *name, const char *fallback,
                             char *out, size_t cap)
{
	int act = tui_keymap_action_find(name);
	int key = act < 0 ? -1 : tui_keymap_key_of(km, (size_t)act, 0);

	if (key < 0)
		snprintf(out, cap, "%s", fallback);
	else
		tui_keymap_name(key, out, cap);
	return out;
}

static const char *when_word(unsigned when)
{
	return when & TUI_WHEN_TOUR ? " (lab --tour)" : when & TUI_WHEN_LAB ? " (lab)" : "";
}

/* s as roff text: `code` in bold, dashes in code as \-, backslashes and the
 * few non-ASCII characters the texts use as roff escapes. */
static void roff(FILE *f, const char *s)
{
	static const struct {
		const char *utf8, *roff;
	} esc[] = {
	    {"\xe2\x86\x92", "\\(->"}, {"\xc2\xa7", "\\(sc"},     {"\xe2\x80\xa6", "..."},
	    {"\xc3\x97", "\\(mu"},     {"\xe2\x80\x9c", "\\(lq"}, {"\xe2\x80\x9d", "\\(rq"},
	    {"\xe2\x80\x94", "\\(em"},
	};
	bool code = false;

	if (s[0] == '.' || s[0] == '\'')
		fputs("\\&", f);
	while (*s) {
		size_t i;
		for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
			if (strncmp(s, esc[i].utf8, strlen(esc[i].utf8)) == 0)
				break;
		if (i < sizeof(esc) / sizeof(esc[0])) {
			fputs(esc[i].roff, f);
			s += strlen(esc[i].utf8);
			continue;
		}
		if (*s == '`') {
			code = !code;
			fputs(code ? "\\fB" : "\\fR", f);
		} else if (*s == '\\') {
			fputs("\\e", f);
		} else if (*s == '-' && code) {
			fputs("\\-", f);
		} else {
			fputc(*s, f);
		}
		s++;
	}
}

/* A text of the table as a sentence of the man page: a capital first
 * (not inside `code`), a full stop. */
static void sentence(FILE *f, const char *s)
{
	if (s[0] != '`' && s[0] != '.' && s[0] != '\'' && s[0] != '\\') {
		fputc(toupper((unsigned char)s[0]), f);
		s++;
	}
	roff(f, s);
	fputs(".\n", f);
}

const char *tui_keymap_column(const tui_keymap *km, size_t action, tui_keymap_style style,
                              char *out, size_t cap)
{
	const tui_action *a = tui_keys_action_at(action);
	size_t o = 0;
	int key;

	out[0] = '\0';
	for (size_t n = 0; (key = tui_keymap_key_of(km, action, n)) >= 0 && o < cap; n++) {
		char name[32];
		/* a character in backticks, a named key (F10, ^X, Esc) as it is */
		bool named = (key & TUI_KEY_FN) || key <= 0x20 || key == 0x7f;
		const char *sep = n ? ", " : "";

		tui_keymap_name(key, name, sizeof(name));
		if (style == TUI_KM_README && !named)
			o += (size_t)snprintf(out + o, cap - o, "%s`%s%s`", sep,
			                      key == '|' ? "\\" : "", name);
		else if (style == TUI_KM_MAN)
			o += (size_t)snprintf(out + o, cap - o, "%s\\fB%s%s\\fR", sep,
			                      key == '\\'  ? "\\e"
			                      : key == '-' ? "\\-"
			                                   : name,
			                      key == '.' || key == '\'' ? "\\&" : "");
		else
			o += (size_t)snprintf(out + o, cap - o, "%s%s", sep, name);
	}
	if (o == 0)
		o += (size_t)snprintf(out, cap, "(no key)");
	if (o < cap && style != TUI_KM_KEYS)
		snprintf(out + o, cap - o, "%s", when_word(a->when));
	return out;
}

char *tui_keymap_readme(const tui_keymap *km)
{
	char *buf = NULL, col[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("| key | action | what it does |\n|---|---|---|\n", f);
	for (size_t i = 0; i < tui_keys_action_count(); i++) {
		const tui_action *a = tui_keys_action_at(i);
		fprintf(f, "| %s | `%s` | %s |\n",
		        tui_keymap_column(km, i, TUI_KM_README, col, sizeof(col)), a->name,
		        a->doc ? a->doc : a->help);
	}
	fprintf(f, "| mouse | | %s |\n", mouse_doc);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The trainer's commands under T, from lab/trainer.h's table. */
static void man_trainer(FILE *f)
{
	fputs(".RS\n", f);
	for (size_t i = 0; i < lab_trainer_cmd_count(); i++) {
		const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);
		fprintf(f, ".TP\n\\fB%s\\fR", c->name);
		if (c->args[0]) {
			fputs(" \\fI", f);
			roff(f, c->args);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, c->usage);
		fputc('\n', f);
	}
	fputs(".RE\n", f);
}

char *tui_keymap_man(const tui_keymap *km)
{
	char *buf = NULL, col[256], help[32];
	size_t len = 0;
	const char *section = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f,
	        "In the explorer\n.B %s\nlists every key; the status bar shows the main ones.\n"
	        "A config file's\n.BI bind \" KEY ACTION\"\nmoves a key to the action named in "
	        "italics below;\n.BI unbind \" KEY\"\nleaves a key doing nothing.\n",
	        tui_keymap_first(km, "help", "?", help, sizeof(help)));
	for (size_t i = 0; i < tui_keys_action_count(); i++) {
		const tui_action *a = tui_keys_action_at(i);
		const char *text = a->doc ? a->doc : a->help;
		if (!section || strcmp(section, a->section) != 0)
			fprintf(f, ".SS %s\n", section = a->section);
		fprintf(f, ".TP\n%s \\(em \\fI%s\\fR\n",
		        tui_keymap_column(km, i, TUI_KM_MAN, col, sizeof(col)), a->name);
		/* a sentence in the man page: capital first, a full stop */
		sentence(f, text);
		if (strcmp(a->name, "trainer") == 0)
			man_trainer(f);
	}
	fputs(".SS Mouse\n", f);
	sentence(f, mouse_doc);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
