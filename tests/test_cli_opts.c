/* tests/test_cli_opts.c — the options table (src/opts.c) against what is
 * written about it, and the config file against the binary.
 *
 * The README's options table and docs/config.md's list of settable options
 * are written from the table: `test_cli_opts --print-readme` and
 * `--print-config` print them for pasting between the documents' markers.
 * The man page describes each option in prose of its own, so it is compared
 * by the options it names: every option of the table has an entry in its
 * OPTIONS section and the section has no entry the table lacks (--color was
 * accepted, on the page, and missing from --help once). The config file
 * tests run the real binary against the lab. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "opts.h"
#include "tui_keymap.h"

/* A whole file (at most 1 MiB) from the source tree. Owned by the caller. */
static char *read_src(const char *rel)
{
	char path[1024];
	FILE *f;
	char *buf = malloc((1u << 20) + 1);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", getenv("MXSCOPE_SRCDIR"), rel);
	assert_non_null(buf);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, 1u << 20, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* What a print function writes, as a string. Owned by the caller. */
static char *printed(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f);
	fclose(f);
	return buf;
}

/* The text between the line holding `begin` and the line holding `end`.
 * Owned by the caller. */
static char *between(const char *text, const char *begin, const char *end)
{
	const char *a = strstr(text, begin), *b;

	if (!a) {
		print_error("no marker \"%s\"\n", begin);
		fail();
	}
	/* the marker may run over lines: it ends with its comment's "-->" */
	if (strstr(begin, "<!--"))
		a = strstr(a, "-->");
	a = strchr(a, '\n') + 1;
	b = strstr(a, end);
	if (!b) {
		print_error("no marker \"%s\"\n", end);
		fail();
	}
	while (b > a && b[-1] != '\n')
		b--;
	return strndup(a, (size_t)(b - a));
}

static void same_section(const char *file, const char *begin, const char *end, void (*fn)(FILE *),
                         const char *regen)
{
	char *text = read_src(file), *got = between(text, begin, end), *want = printed(fn);

	if (strcmp(got, want) != 0) {
		print_error("%s differs from the options table; regenerate it with "
		            "build/tests/test_cli_opts %s and paste it between the markers.\n"
		            "--- the table says:\n%s--- the file says:\n%s",
		            file, regen, want, got);
		fail();
	}
	free(text);
	free(got);
	free(want);
}

static void test_readme_table(void **state)
{
	(void)state;
	same_section("README.md", "<!-- options table:", "<!-- end options table -->",
	             opts_print_readme, "--print-readme");
}

/* Every action a bind line may name, with its help line, as docs/config.md
 * lists them. */
static void print_actions(FILE *to)
{
	for (size_t i = 0; i < tui_keymap_action_count(); i++) {
		const tui_action *a = tui_keymap_action_at(i);
		fprintf(to, "- `%s` — %s\n", a->name, a->help);
	}
}

static void test_config_actions_doc(void **state)
{
	(void)state;
	same_section("docs/config.md", "<!-- actions list:", "<!-- end actions list -->",
	             print_actions, "--print-actions");
}

static void test_config_doc(void **state)
{
	(void)state;
	same_section("docs/config.md", "<!-- options list:", "<!-- end options list -->",
	             opts_print_names, "--print-config");
}

/* Whether the man page's OPTIONS section has an entry (a .TP or .TQ head
 * line) naming the option written as roff writes it. */
static bool man_names(const char *section, const char *roff)
{
	for (const char *s = section; (s = strstr(s, "\n.T")); s++) {
		const char *head = strchr(s + 1, '\n'), *stop;
		if (!head || (s[3] != 'P' && s[3] != 'Q'))
			continue;
		head++;
		stop = strchr(head, '\n');
		for (const char *h = head; (h = strstr(h, roff)) && (!stop || h < stop); h++) {
			char next = h[strlen(roff)];
			/* \-\-color is not \-\-color\-x: the name ends there */
			if (!(next == '-' || next == '\\' || (next >= 'a' && next <= 'z')) ||
			    strncmp(h + strlen(roff), "\\fR", 3) == 0 ||
			    strncmp(h + strlen(roff), "\\f", 2) == 0)
				return true;
		}
	}
	return false;
}

static void test_man_options(void **state)
{
	char *page = read_src("docs/mxscope.1"), *body = between(page, ".SH OPTIONS", ".SH KEYS"),
	     *sec = malloc(strlen(body) + 2);
	const char *name;
	int shortn, missing = 0;

	(void)state;
	/* every head follows a newline, the section's first too */
	assert_non_null(sec);
	sprintf(sec, "\n%s", body);
	free(body);
	for (size_t i = 0; opts_name(i, &name, &shortn); i++) {
		char roff[80];
		size_t k = 0;
		if (name) {
			k = (size_t)snprintf(roff, sizeof(roff), "\\-\\-");
			for (const char *c = name; *c && k + 3 < sizeof(roff); c++)
				k += (size_t)snprintf(roff + k, sizeof(roff) - k,
				                      *c == '-' ? "\\-" : "%c", *c);
		} else {
			snprintf(roff, sizeof(roff), "\\-%c", shortn);
		}
		if (!man_names(sec, roff)) {
			print_error("docs/mxscope.1: OPTIONS has no entry for %s%s\n",
			            name ? "--" : "-", name ? name : (char[]){(char)shortn, 0});
			missing++;
		}
	}
	/* and the other way: every long option the section's heads name is in
	 * the table */
	for (const char *s = sec; (s = strstr(s, "\n.T")); s++) {
		const char *head = strchr(s + 1, '\n'), *stop;
		if (!head || (s[3] != 'P' && s[3] != 'Q'))
			continue;
		head++;
		stop = strchr(head, '\n');
		for (const char *h = head; (h = strstr(h, "\\-\\-")) && (!stop || h < stop); h++) {
			char word[64];
			size_t n = 0;
			bool known = false;
			for (const char *c = h + 4; n + 1 < sizeof(word); c++) {
				if (c[0] == '\\' && c[1] == '-') {
					word[n++] = '-';
					c++;
				} else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')) {
					word[n++] = *c;
				} else {
					break;
				}
			}
			word[n] = '\0';
			for (size_t i = 0; opts_name(i, &name, &shortn); i++)
				known |= name && strcmp(name, word) == 0;
			if (!known) {
				print_error(
				    "docs/mxscope.1: OPTIONS has --%s, which no option is\n", word);
				missing++;
			}
			h += 3;
		}
	}
	assert_int_equal(missing, 0);
	free(sec);
	free(page);
}

/* --help is made from the table: each option is on it, in its own column. */
static void test_help_lists_every_option(void **state)
{
	const char *args[] = {"--help", NULL};
	const char *name;
	int shortn;
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; opts_name(i, &name, &shortn); i++) {
		char want[64];
		if (name)
			snprintf(want, sizeof(want), "--%s", name);
		else
			snprintf(want, sizeof(want), "  -%c ", shortn);
		if (!strstr(r.out, want)) {
			print_error("--help lacks %s\n", want);
			fail();
		}
	}
	/* every line fits a terminal of 80 columns */
	for (const char *l = r.out; *l;) {
		size_t len = strcspn(l, "\n"), cols = 0;
		for (size_t k = 0; k < len; k++)
			cols += ((unsigned char)l[k] & 0xc0) != 0x80; /* UTF-8: count lead bytes */
		if (cols > 80) {
			print_error("--help line over 80 columns: %.*s\n", (int)len, l);
			fail();
		}
		l += len + (l[len] ? 1 : 0);
	}
	/* the second line of --timeout's help is under --timeout, not -4 */
	assert_non_null(strstr(r.out, "--timeout SEC         per DNS question"));
	assert_null(strstr(r.out, "-6                        also each SMTP"));
	hrun_free(&r);
}

/* `mxscope help COMMAND` prints that command: its usage and the options it
 * takes, and not the others. */
static void test_help_command(void **state)
{
	const char *lab[] = {"help", "lab", NULL}, *diff[] = {"help", "diff", NULL},
	           *bad[] = {"help", "frob", NULL};
	hrun r;

	(void)state;
	h_run(lab, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "mxscope lab --serve"));
	assert_non_null(strstr(r.out, "--bind ADDR"));
	assert_null(strstr(r.out, "mxscope check [OPTIONS]"));
	hrun_free(&r);
	h_run(diff, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--json"));
	assert_null(strstr(r.out, "--bind"));
	hrun_free(&r);
	h_run(bad, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no command \"frob\""));
	hrun_free(&r);
	/* a command's --help is that command's */
	h_run((const char *[]){"diff", "--help", NULL}, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "mxscope diff [--json] OLD NEW"));
	assert_null(strstr(r.out, "--bind"));
	hrun_free(&r);
}

/* An option a command does not take is refused by name. */
static void test_option_of_another_command(void **state)
{
	const char *args[] = {"check", "--serve", "a.test", NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--serve is an option of mxscope lab only"));
	hrun_free(&r);
}

/* ---- the config file -------------------------------------------------------- */

static char cfg_path[64];

static void write_config(const char *text)
{
	FILE *f;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/mxscope-cfg-%d", (int)getpid());
	f = fopen(cfg_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A bad line stops the run with exit 2 and FILE:LINE first, on one line. */
static void test_config_bad_lines(void **state)
{
	static const struct {
		const char *text, *want;
		int line;
	} c[] = {
	    {"# ok\nset timeout 9x\n", "set timeout \"9x\": expected seconds", 2},
	    {"set frobnicate 1\n", "unknown option \"frobnicate\"", 1},
	    {"\n\nset json\n", "expected set OPTION VALUE", 3},
	    {"set json maybe\n", "expected yes or no", 1},
	    {"set config /etc/x\n", "cannot be set in the config file", 1},
	    {"unbind\n", "expected unbind KEY", 1},
	    {"bind x quit\nbind F99 quit\n", "bind: unknown key \"F99\"", 2},
	    {"# keys\nbind x quitt\n", "bind: unknown action \"quitt\"", 2},
	    {"[blocklist a]\ntype = dnsbl-doh\nunbind Hyper\n", "unbind: unknown key", 3},
	};
	const char *args[] = {"--config", cfg_path, "check", "--no-probe", "a.test", NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char where[96];
		hrun r;
		write_config(c[i].text);
		snprintf(where, sizeof(where), "%s:%d: ", cfg_path, c[i].line);
		h_run(args, NULL, 10000, &r);
		if (r.status != 2 || !strstr(r.err, where) || !strstr(r.err, c[i].want) ||
		    strchr(r.err, '\n') != strrchr(r.err, '\n')) {
			print_error("case %zu: exit %d, stderr \"%s\"; want 2 and \"%s%s\"\n", i,
			            r.status, r.err, where, c[i].want);
			fail();
		}
		hrun_free(&r);
	}
	unlink(cfg_path);
}

/* `set` gives an option's default; a flag on the command line wins. */
static void test_config_set_and_flags(void **state)
{
	const hlab *lab = *state;
	hargv a;
	hrun r;

	write_config(
	    "# defaults of mine\nset json yes\nset seed 5   # a comment after\nset no-probe on\n"
	    "[blocklist mine]\ntype = dnsbl-doh\nzone = bl.example\n"
	    "url = https://127.0.0.1:1/dns-query\n");
	h_run(h_lab_check(&a, lab, 0, "--config", cfg_path, "tier-down.lab.test"), NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_true(r.out[0] == '{');
	assert_non_null(strstr(r.out, "\"seed\": 5") ? strstr(r.out, "\"seed\": 5")
	                                             : strstr(r.out, "\"seed\":5"));
	hrun_free(&r);
	h_run(h_lab_check(&a, lab, 0, "--config", cfg_path, "--seed", "7", "tier-down.lab.test"),
	      NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"seed\": 7") ? strstr(r.out, "\"seed\": 7")
	                                             : strstr(r.out, "\"seed\":7"));
	hrun_free(&r);
	unlink(cfg_path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readme_table),
	    cmocka_unit_test(test_config_doc),
	    cmocka_unit_test(test_config_actions_doc),
	    cmocka_unit_test(test_man_options),
	    cmocka_unit_test(test_help_lists_every_option),
	    cmocka_unit_test(test_help_command),
	    cmocka_unit_test(test_option_of_another_command),
	    cmocka_unit_test(test_config_bad_lines),
	    cmocka_unit_test(test_config_set_and_flags),
	};

	if (argc == 2 && strcmp(argv[1], "--print-readme") == 0) {
		opts_print_readme(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-actions") == 0) {
		print_actions(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-config") == 0) {
		opts_print_names(stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, h_lab_group_setup, h_lab_group_teardown);
}
