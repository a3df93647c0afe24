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
#include "tui_int.h"

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

/* ---- the actions -------------------------------------------------------------- */

#define PANE(p) (1u << (p))

/* Every action once: its name for the config file, its default keys, where
 * it works, its status bar word, its help line and its longer text for
 * README.md and the man page (tests/test_tui_keymap.c holds the docs to
 * this table). In the order the help lists them; what each does is keys.c's
 * (its run table, by the same tui_act). */
static const tui_action actions[TUI_ACT_COUNT] = {
    [TUI_ACT_UP] = {.name = "up",
                    .group = "move",
                    .default_keys = "Up k",
                    .section = "Moving",
                    .help = "up",
                    .doc = "previous line in the focused pane"},
    [TUI_ACT_DOWN] = {.name = "down",
                      .group = "move",
                      .default_keys = "Down j",
                      .section = "Moving",
                      .help = "down",
                      .doc = "next line in the focused pane"},
    [TUI_ACT_PAGE_UP] = {.name = "page-up",
                         .group = "move",
                         .default_keys = "PgUp",
                         .section = "Moving",
                         .help = "a page up"},
    [TUI_ACT_PAGE_DOWN] = {.name = "page-down",
                           .group = "move",
                           .default_keys = "PgDn",
                           .section = "Moving",
                           .help = "a page down"},
    [TUI_ACT_FIRST] = {.name = "first",
                       .group = "move",
                       .default_keys = "Home g",
                       .section = "Moving",
                       .help = "first line"},
    [TUI_ACT_LAST] = {.name = "last",
                      .group = "move",
                      .default_keys = "End G",
                      .section = "Moving",
                      .help = "last line"},
    [TUI_ACT_NEXT_PANE] = {.name = "next-pane",
                           .group = "panes",
                           .default_keys = "Tab",
                           .section = "Moving",
                           .hint = "pane",
                           .bar = 3,
                           .help = "next pane"},
    [TUI_ACT_PREV_PANE] = {.name = "prev-pane",
                           .group = "panes",
                           .default_keys = "S-Tab",
                           .section = "Moving",
                           .help = "previous pane"},
    [TUI_ACT_OPEN] =
        {.name = "open",
         .default_keys = "Enter Right l",
         .section = "Moving",
         .panes = PANE(TUI_P_DOMAINS) | PANE(TUI_P_TIERS) | PANE(TUI_P_FINDINGS),
         .hint = "open",
         .bar = 4,
         .help = "drill down: domain, tiers, details; on a finding: its full explanation",
         .doc = "drill down: domain → tiers → details; on a finding, its full explanation with "
                "the RFC reference (Up, Down, `j`, `k`, PgUp and PgDn scroll it; any other key "
                "closes it)"},
    [TUI_ACT_BACK] =
        {.name = "back",
         .default_keys = "Esc h Left",
         .section = "Moving",
         .help = "back: close the overlay, details to tiers, to the domains, clear the filter",
         .doc = "back: from the details to the tiers, from any other pane to the domains; in "
                "the domains pane, clear the filter; closes an overlay"},
    [TUI_ACT_ZOOM] =
        {.name = "zoom",
         .group = "width",
         .default_keys = "z",
         .section = "Moving",
         .help = "zoom the focused pane (again: back)",
         .doc = "zoom: the focused pane gets the whole screen (for 80×24 and projectors); again "
                "shows every pane"},
    [TUI_ACT_DOMAINS_NARROWER] = {.name = "domains-narrower",
                                  .group = "width",
                                  .default_keys = "<",
                                  .section = "Moving",
                                  .help = "domains pane narrower",
                                  .doc = "the domains pane 4 columns narrower (at least 30)"},
    [TUI_ACT_DOMAINS_WIDER] = {.name = "domains-wider",
                               .group = "width",
                               .default_keys = ">",
                               .section = "Moving",
                               .help = "wider",
                               .doc = "the domains pane 4 columns wider"},
    [TUI_ACT_ADD_DOMAIN] =
        {.name = "add-domain",
         .default_keys = "a",
         .section = "Domains",
         .hint = "add",
         .bar = 5,
         .help = "add a domain",
         .doc = "add a domain (a prompt opens in the status bar; Enter adds, Esc cancels)"},
    [TUI_ACT_REMOVE_DOMAIN] = {.name = "remove-domain",
                               .group = "remove",
                               .default_keys = "d",
                               .section = "Domains",
                               .panes = PANE(TUI_P_DOMAINS),
                               .hint = "del",
                               .bar = 6,
                               .help = "remove the selected domain",
                               .doc = "remove the selected domain, in the domains pane; u puts "
                                      "it back, until you quit"},
    [TUI_ACT_UNDO] = {.name = "undo",
                      .group = "remove",
                      .default_keys = "u",
                      .section = "Domains",
                      .help = "put it back (until quit)",
                      .doc = "put back the domain d removed last, where it was (again: the one "
                             "before), until you quit"},
    [TUI_ACT_FILTER] =
        {.name = "filter",
         .default_keys = "/",
         .section = "Domains",
         .hint = "filter",
         .bar = 7,
         .help = "filter the list: name, status, finding code or MX host",
         .doc = "filter the domain list as you type, by name, status word (error), finding "
                "code (dane-tlsa-mismatch) or MX host (mx1.example); Esc at the prompt "
                "cancels it, Esc on the domains pane clears the filter"},
    [TUI_ACT_REFRESH] =
        {.name = "refresh",
         .default_keys = "r",
         .section = "Domains",
         .when = TUI_WHEN_LIVE,
         .hint = "re-probe",
         .bar = 8,
         .help = "re-resolve and re-probe the selected domain",
         .doc = "re-resolve and re-probe the selected domain now (the probe history goes on; an "
                "answer whose TTL runs out is asked for again by itself); not in a replay, "
                "which shows what was recorded"},
    [TUI_ACT_SORT] = {.name = "sort",
                      .default_keys = "o F6",
                      .section = "Domains",
                      .help = "order the list: as added, by status (worst first), by name"},
    [TUI_ACT_WALK] =
        {.name = "walk",
         .default_keys = "w",
         .section = "The delivery walk",
         .hint = "walk",
         .bar = 9,
         .help = "walk the attempt order step by step",
         .doc = "walk the attempt order step by step: each attempt highlighted with its outcome "
                "and the rule that applies, ending on the host that takes the mail or \"no host "
                "accepts\"; again during a walk: start it over"},
    [TUI_ACT_WALK_FASTER] = {.name = "walk-faster",
                             .group = "in a walk",
                             .default_keys = "+ =",
                             .section = "The delivery walk",
                             .when = TUI_WHEN_WALK,
                             .hint = "faster",
                             .walk_bar = 1,
                             .help = "faster",
                             .doc = "during a walk: faster"},
    [TUI_ACT_WALK_SLOWER] = {.name = "walk-slower",
                             .group = "in a walk",
                             .default_keys = "-",
                             .section = "The delivery walk",
                             .when = TUI_WHEN_WALK,
                             .hint = "slower",
                             .walk_bar = 2,
                             .help = "slower",
                             .doc = "during a walk: slower"},
    [TUI_ACT_WALK_PAUSE] = {.name = "walk-pause",
                            .group = "in a walk",
                            .default_keys = "Space",
                            .section = "The delivery walk",
                            .when = TUI_WHEN_WALK,
                            .hint = "pause",
                            .walk_bar = 3,
                            .help = "pause",
                            .doc = "during a walk: pause or go on"},
    [TUI_ACT_WALK_STEP] = {.name = "walk-step",
                           .group = "in a walk",
                           .default_keys = "n",
                           .section = "The delivery walk",
                           .when = TUI_WHEN_WALK,
                           .hint = "step",
                           .walk_bar = 4,
                           .help = "one step",
                           .doc = "during a walk: one step (and pause)"},
    [TUI_ACT_WALK_STOP] = {.name = "walk-stop",
                           .group = "in a walk",
                           .default_keys = "Esc",
                           .section = "The delivery walk",
                           .when = TUI_WHEN_WALK,
                           .hint = "stop",
                           .walk_bar = 5,
                           .help = "stop",
                           .doc = "during a walk: stop it"},
    [TUI_ACT_RESHUFFLE] =
        {.name = "reshuffle",
         .default_keys = "x",
         .section = "The delivery walk",
         .hint = "shuffle",
         .bar = 12,
         .walk_bar = 6,
         .help = "reshuffle equal preferences with a new seed",
         .doc = "reshuffle the equal-preference tiers with a new seed and show the new order "
                "(and the seed, for `--seed`)"},
    [TUI_ACT_WALK_AS_HOST] =
        {.name = "walk-as-host",
         .default_keys = "A",
         .section = "The delivery walk",
         .help = "walk as the selected MX host sends the mail on (--as: a backup relays to more "
                 "preferred hosts only); again: as an ordinary sender",
         .doc = "walk as the selected MX host sends the mail on (the `--as` relay view: its own "
                "tier and every less preferred one drop out); again: as an ordinary sender"},
    [TUI_ACT_SENDER_NEXT] =
        {.name = "sender-next",
         .default_keys = "S",
         .section = "The delivery walk",
         .help = "the sender the walk and the delivers-to column follow: opportunistic, "
                 "mta-sts, dane (header and list title say which); its walk says which rule "
                 "skipped which host, and a bounce at RCPT",
         .doc = "the sender the walk follows: opportunistic, mta-sts, dane (`--sender` picks the "
                "first); the header and the domains pane's title say which, the delivers-to "
                "column follows it, and each step says what that sender does there and why: "
                "\"skipped by mta-sts: … (RFC 8461 §4.1)\", \"skipped by dane: … (RFC 7672 §3)\", "
                "\"bounce at RCPT: 550 …\", ending on \"delivered to\", \"bounce\" or \"no host "
                "accepts\""},
    [TUI_ACT_AUTHORITATIVE] =
        {.name = "authoritative",
         .default_keys = "V",
         .section = "The delivery walk",
         .when = TUI_WHEN_LIVE,
         .help = "ask the selected domain's name servers directly: serial, MX set, AA side by "
                 "side in the details pane (authoritative-mismatch when they differ)",
         .doc = "ask every name server of the selected domain's zone directly: the details pane "
                "lists each server's serial, rcode, AA bit and MX set side by side "
                "(`authoritative-mismatch` names the server and serial that differ, "
                "`authoritative-lame` the silent or refusing ones) and the resolver's cached MX "
                "with its TTL; `--authoritative` does it for every domain; not in a replay"},
    [TUI_ACT_FREEZE] =
        {.name = "freeze",
         .default_keys = "f",
         .section = "Display",
         .hint = "freeze",
         .bar = 10,
         .help = "freeze the display (probes go on)",
         .doc = "freeze the display while probes go on (the header says FROZEN and for how "
                "long); again: up to date"},
    [TUI_ACT_THEME_NEXT] =
        {.name = "theme-next",
         .default_keys = "t",
         .section = "Display",
         .hint = "theme",
         .bar = 13,
         .help = "next theme",
         .doc = "next theme: default, light, high-contrast, mono, colorblind (built in; a file "
                "of the same name in `./themes` or `$XDG_CONFIG_HOME/mxscope/themes` overrides "
                "it; with `--no-color` or `NO_COLOR` the theme stays mono)"},
    [TUI_ACT_LOG] = {.name = "log",
                     .default_keys = "L",
                     .section = "Display",
                     .hint = "log",
                     .bar = 11,
                     .help = "show / hide the log",
                     .doc = "show or hide the log of timestamped events"},
    [TUI_ACT_COPY] =
        {.name = "copy",
         .group = "the details",
         .default_keys = "y",
         .section = "Display",
         .help = "copy the transcript (or report) to the clipboard (OSC 52)",
         .doc = "copy the selected address's SMTP transcript (elsewhere: the domain's report; "
                "with the commands view: its commands) to the clipboard with OSC 52 (the "
                "terminal, or tmux with `set-clipboard`, takes it)"},
    [TUI_ACT_SAVE] = {.name = "save",
                      .group = "the details",
                      .default_keys = "s",
                      .section = "Display",
                      .help = "save it to a file",
                      .doc = "save what `y` copies to a file in the current directory"},
    [TUI_ACT_COMMANDS] =
        {.name = "commands",
         .default_keys = "c",
         .section = "Display",
         .help = "the details show every question and probe of the selection as a command to "
                 "run (dig, swaks, openssl, curl); y copies them; again: back",
         .doc = "the details pane shows every question and probe of the selection as a command "
                "to run as printed (`dig`, `swaks`, `openssl s_client`, `curl`: what `check "
                "--commands` prints, for the selected address alone when one is selected); `y` "
                "and `s` then take those commands; again: back"},
    [TUI_ACT_HELP] =
        {.name = "help",
         .default_keys = "? F1",
         .section = "Display",
         .hint = "help",
         .bar = 1,
         .help = "this help",
         .doc = "every key, with the trainer's commands in the lab; Up, Down, PgUp, PgDn, Home "
                "and End scroll it, any other key closes it"},
    [TUI_ACT_TRAINER] =
        {.name = "trainer",
         .default_keys = "T",
         .section = "The lab",
         .when = TUI_WHEN_LAB,
         .help = "trainer: a command to change the lab; the prompt lists them, Tab completes, "
                 "Up/Down recall",
         .doc = "trainer prompt, on the selected domain: one of the trainer commands; Tab "
                "completes the command and then the selected address or host, Up/Down recall "
                "earlier commands, and a command typed without its ADDR or HOST takes the "
                "selected one (HOST without a dot is under the selected domain). The lab serves "
                "the change at once and every listed domain is re-resolved and re-probed"},
    [TUI_ACT_DOWN_UP] =
        {.name = "down-up",
         .group = "lab address",
         .default_keys = "D",
         .section = "The lab",
         .when = TUI_WHEN_LAB,
         .help = "down / up",
         .doc = "on the selected address: take it down or bring it up (the trainer's `down` and "
                "`up`)"},
    [TUI_ACT_BEHAVE_NEXT] =
        {.name = "behave-next",
         .group = "lab address",
         .default_keys = "B",
         .section = "The lab",
         .when = TUI_WHEN_LAB,
         .help = "its next behaviour",
         .doc = "on the selected address: the next behaviour of tempfail, reject, silent, slow "
                "3, accept (the trainer's `behave`)"},
    [TUI_ACT_RESET] =
        {.name = "reset",
         .default_keys = "R",
         .section = "The lab",
         .when = TUI_WHEN_LAB,
         .help = "reset the scenario, as the trainer's reset does",
         .doc = "reset the scenario: every record and host as the scenario file says (the "
                "trainer's `reset`)"},
    [TUI_ACT_TOUR_NEXT] = {.name = "tour-next",
                           .group = "lab --tour",
                           .default_keys = "N",
                           .section = "The lab",
                           .when = TUI_WHEN_TOUR,
                           .hint = "next",
                           .bar = 3,
                           .help = "next scenario",
                           .doc = "next scenario of the tour (the domain list is replaced)"},
    [TUI_ACT_TOUR_PREV] = {.name = "tour-prev",
                           .group = "lab --tour",
                           .default_keys = "P",
                           .section = "The lab",
                           .when = TUI_WHEN_TOUR,
                           .hint = "prev",
                           .bar = 3,
                           .help = "previous scenario",
                           .doc = "previous scenario of the tour"},
    [TUI_ACT_QUIT] = {.name = "quit",
                      .group = "leave",
                      .default_keys = "q F10",
                      .section = "Leaving",
                      .hint = "quit",
                      .bar = 2,
                      .walk_bar = 7,
                      .help = "quit",
                      .doc =
                          "quit; the terminal is restored and the domain list and theme are saved"},
    [TUI_ACT_QUIT_REPORT] =
        {.name = "quit-report",
         .group = "leave",
         .default_keys = "Q",
         .section = "Leaving",
         .help = "quit and print the domain's report",
         .doc = "quit and print the selected domain's report on the normal screen"},
};

size_t tui_keymap_action_count(void)
{
	return TUI_ACT_COUNT;
}

const tui_action *tui_keymap_action_at(size_t i)
{
	return i < TUI_ACT_COUNT ? &actions[i] : NULL;
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
	for (size_t i = 0; name && i < tui_keymap_action_count(); i++)
		if (strcmp(tui_keymap_action_at(i)->name, name) == 0)
			return (int)i;
	return -1;
}

static bool is_walk(int action)
{
	return (tui_keymap_action_at((size_t)action)->when & TUI_WHEN_WALK) != 0;
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
	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const char *p = tui_keymap_action_at(i)->default_keys;
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
	const tui_action *a = tui_keymap_action_at(action);
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
	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const tui_action *a = tui_keymap_action_at(i);
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
	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const tui_action *a = tui_keymap_action_at(i);
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
