/* tests/test_tui_keys.c — the panes and keys on a virtual terminal
 * against the in-process lab: what a never-answered host shows, long
 * panes (position, sticky tier line, G), the help at 120 columns, zoom,
 * sorting, the walk's first step and end, copy out, the trainer's keys and
 * prompt, the sparkline and standard deviation. */
#include "test_tui_fixture.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

/* A host that never answered shows no "-1" times and says nothing about
 * STARTTLS, which it never got to. */
static void test_never_answered_details(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	keys(f, "\tjj"); /* mx1's address: refused */
	s = screen(f);
	assert_has(s, "127.0.16.1  mx1.primary-down.lab.test (IPv4)");
	assert_has(s, "refused: connection refused");
	assert_lacks(s, "-1");
	assert_lacks(s, "STARTTLS not offered");
	assert_has(s, "not known: the probe never got to EHLO");
	free(s);
}

/* Long panes: where the cursor is ("12/40"), the tier stays in sight when
 * its first row scrolls off, and G in the details never leaves the pane
 * empty. */
static void test_long_panes(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"many-mx"};
	tui_config c = base_config(f, 100, 30);
	char *s, want[32];
	size_t rows;

	c.set.no_probe = true; /* forty hosts: the answer is what this is about */
	start(f, &c, sc, 1);
	key(f, '\t');
	for (int i = 0; i < 20; i++)
		key(f, 'j');
	s = screen(f);
	rows = 5 + 40 * 2; /* five tiers, forty hosts with one address each */
	snprintf(want, sizeof(want), " 21/%zu ", rows);
	assert_has(s, want);
	assert_has(s, "(cont.)"); /* the tier line, kept at the top */
	assert_has(s, "state            address");
	free(s);
	key(f, '\t'); /* details */
	key(f, 'G');
	s = screen(f);
	assert_has(s, ">Details");
	assert_has(s, "TTL 30 s");
	free(s);
}

/* The help is wrapped, not cut, at 120 columns: the whole T line, the
 * trainer's longest usage, and the marks explained. */
static void test_help_at_120(void **state)
{
	fixture *f = *state;
	tui_config c = tf_config_trainer(f, 120, 50);
	char *s;

	start(f, &c, NULL, 0);
	key(f, '?');
	s = screen(f);
	assert_has(s, "trainer: a command to change the lab; the prompt lists them, Tab");
	assert_has(s, "Up/Down");
	assert_has(s, "                  recall"); /* continued under its text */
	assert_has(s, "(docs/lab.md)");
	assert_has(s, "* a probe running now");
	assert_has(s, "◌ not probed yet");
	assert_has(s, "▶ the walk's current attempt");
	assert_lacks(s, "…");
	free(s);
	key(f, 'q'); /* closes the help */
	keys(f, "asingle.lab.test\n");
	settle(f);
	s = screen(f);
	/* and below the tiers, where a line is free */
	assert_has(s, "▶ the walk's attempt  • tried  * probing now  ◌ not probed yet");
	free(s);
}

/* The line of the screen on which the domains pane (its first 40 columns)
 * shows text, or -1. */
static int list_line(const char *scr, const char *text)
{
	int n = 0;

	for (const char *l = scr; *l; n++) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char buf[160];
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < 120 ? len : 120), l);
		/* the pane's border and a few wide glyphs: about 40 cells of bytes */
		buf[len < 60 ? len : 60] = '\0';
		if (strstr(buf, text))
			return n;
		if (!nl)
			break;
		l = nl + 1;
	}
	return -1;
}

/* d removes only in the domains pane and says how to undo it; u puts the
 * domain back where it was, selected (d once deleted at once, from any
 * pane, with no way back). */
static void test_remove_and_undo(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "primary-down", "equal-preference"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 3);
	key(f, 'j'); /* primary-down */
	key(f, '\t');
	key(f, 'd'); /* in the tiers pane: nothing */
	assert_non_null(strstr(tui_app_message(f->app), "d does nothing in the tiers pane"));
	s = screen(f);
	assert_has(s, "Domains (3)");
	free(s);
	key(f, KEY_BTAB);
	key(f, 'd');
	assert_non_null(
	    strstr(tui_app_message(f->app), "removed primary-down.lab.test (u puts it back)"));
	s = screen(f);
	assert_has(s, "Domains (2)");
	/* named only by the message on the status line */
	assert_int_equal(tf_count(s, "primary-down.lab"), 1);
	free(s);
	key(f, 'u');
	assert_non_null(strstr(tui_app_message(f->app), "put back primary-down.lab.test"));
	settle(f);
	s = screen(f);
	assert_has(s, "Domains (3)");
	/* back in its place, second, and selected */
	assert_has(s, "Tiers of primary-down.lab.test");
	assert_true(list_line(s, "single.lab") < list_line(s, "primary-down.lab") &&
	            list_line(s, "primary-down.lab") < list_line(s, "equal.lab"));
	free(s);
	key(f, 'u');
	assert_non_null(strstr(tui_app_message(f->app), "nothing removed to put back"));
	tf_stop(f);
}

/* The filter matches a domain's name, status word, finding codes and MX
 * hosts (it once matched names only: /error gave 0 of 1000), and Esc at the
 * prompt cancels it, putting back the filter before it, as in htop. */
static void test_filter_matches_and_cancels(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "primary-down", "all-reject"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 3);
	keys(f, "/error\n");
	s = screen(f);
	assert_has(s, "Domains 1/3 /error");
	assert_has(s, "reject.lab.test");
	free(s);
	key(f, 27); /* on the domains pane: clears the filter */
	keys(f, "/primary-unreachable\n");
	s = screen(f);
	assert_has(s, "Domains 1/3 /primary-unreachable");
	assert_has(s, "Tiers of primary-down.lab.test");
	free(s);
	key(f, 27);
	keys(f, "/mx.single\n");
	s = screen(f);
	assert_has(s, "Domains 1/3 /mx.single");
	assert_has(s, "Tiers of single.lab.test");
	free(s);
	/* Esc at the prompt: the filter before it, not what was typed */
	keys(f, "/xyz");
	s = screen(f);
	assert_has(s, "Domains 0/3 /mx.singlexyz");
	free(s);
	key(f, 27);
	s = screen(f);
	assert_has(s, "Domains 1/3 /mx.single");
	free(s);
	tf_stop(f);
}

/* < and > move the domains pane's edge, 4 columns a key, within limits that
 * leave the other panes room; each says the width, and the limit. */
static void test_domains_width_keys(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 120, 40);

	start(f, &c, sc, 1);
	key(f, '>');
	assert_string_equal(tui_app_message(f->app), "domains pane 54 columns");
	key(f, '<');
	key(f, '<');
	assert_string_equal(tui_app_message(f->app), "domains pane 46 columns");
	for (int i = 0; i < 10; i++)
		key(f, '>');
	/* 120 columns: the other panes keep 48, two fifths */
	assert_string_equal(tui_app_message(f->app), "domains pane 72 columns (its limit)");
	tf_stop(f);
}

/* z gives the focused pane the whole screen; o orders the list. */
static void test_zoom_and_sort(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "all-reject", "primary-down"};
	tui_config c = base_config(f, 80, 24);
	char *s;
	const char *a, *b;

	start(f, &c, sc, 3);
	key(f, 'o'); /* by status: error, warning, ok */
	s = screen(f);
	assert_has(s, "Domains (3) by status");
	a = strstr(s, "error    reject");
	b = strstr(s, "ok       single");
	if (!a || !b || a > b || !strstr(s, "warning  primary") ||
	    strstr(s, "warning  primary") > b || strstr(s, "warning  primary") < a)
		fail_screen("is not by status", "error, warning, ok", s);
	free(s);
	key(f, 'o'); /* by name */
	s = screen(f);
	assert_true(strstr(s, "warning  primary") < strstr(s, "error    reject"));
	free(s);
	key(f, '\t');
	key(f, 'z');
	s = screen(f);
	/* the tiers alone, the whole width: the names and columns fit */
	assert_lacks(s, "Domains (3)");
	assert_lacks(s, "Findings");
	assert_has(s, "loss sent  last   avg  best worst");
	free(s);
	key(f, 'z');
	s = screen(f);
	assert_has(s, "Domains (3)");
	free(s);
}

/* A walk longer than the details pane keeps its first step in sight and
 * shows its end. */
static void test_walk_first_step_and_end(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"all-reject"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	start(f, &c, sc, 1);
	key(f, 'w');
	key(f, ' ');
	tf_key_times(f, 'n', 12);
	s = screen(f);
	assert_has(s, "1. pref 10");
	assert_has(s, "more lines");
	assert_has(s, "=> no host accepts");
	free(s);
}

/* y puts the report (or the transcript under the cursor) on the clipboard
 * with OSC 52; s saves it to a file. */
static void test_copy_out(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = base_config(f, 100, 30);
	char path[256], *buf, cwd[4096];
	FILE *out;
	long n;
	DIR *d;
	struct dirent *de;
	bool saved = false;

	snprintf(path, sizeof(path), "%s/terminal", f->dir);
	out = fopen(path, "w+");
	assert_non_null(out);
	c.out = out;
	start(f, &c, sc, 1);
	keys(f, "\tjj"); /* the address: its transcript */
	key(f, 'y');
	assert_non_null(strstr(tui_app_message(f->app), "transcript copied"));
	fflush(out);
	n = ftell(out);
	buf = calloc(1, (size_t)n + 1);
	rewind(out);
	assert_int_equal(fread(buf, 1, (size_t)n, out), (size_t)n);
	/* "SMTP transcript of 127.0.14.1" in base64 starts like this */
	assert_non_null(strstr(buf, "\033]52;c;U01UUCB0cmFuc2NyaXB0IG9mIDEyNy4wLjE0LjE"));
	free(buf);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	key(f, 'h');
	key(f, 'h');
	key(f, 's'); /* on the domain: the report */
	assert_non_null(strstr(tui_app_message(f->app), "report saved to mxscope-single.lab.test"));
	d = opendir(".");
	while (d && (de = readdir(d)))
		saved |= strncmp(de->d_name, "mxscope-single.lab.test-report-", 31) == 0;
	if (d)
		closedir(d);
	assert_true(saved);
	assert_int_equal(chdir(cwd), 0);
	tf_stop(f);
	fclose(out);
}

/* D toggles the selected address down and up, B gives it the next
 * behaviour; the prompt completes with Tab, recalls with Up, and a command
 * without its address means the selected one. */
static void test_trainer_keys_and_prompt(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = tf_config_trainer(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	keys(f, "\tjj");
	key(f, 'D');
	settle(f);
	s = screen(f);
	assert_has(s, "refused          127.0.14.1");
	free(s);
	key(f, 'D');
	settle(f);
	s = screen(f);
	assert_has(s, "accepted         127.0.14.1");
	free(s);
	key(f, 'B'); /* the first behaviour of the cycle: tempfail */
	settle(f);
	s = screen(f);
	assert_has(s, "tempfail         127.0.14.1");
	free(s);
	/* "dow" + Tab completes the command, Tab again the selected address */
	key(f, 'T');
	s = screen(f);
	assert_has(s, "[left out: ADDR 127.0.14.1, HOST mx.single.lab.test]");
	free(s);
	keys(f, "dow\t\t");
	s = screen(f);
	assert_has(s, "down 127.0.14.1_");
	free(s);
	key(f, 27);
	tf_trainer(f, "up"); /* no address: the selected one */
	assert_non_null(strstr(tui_app_message(f->app), "trainer: up 127.0.14.1 done"));
	key(f, 'T');
	key(f, KEY_UP); /* the last command, recalled as it ran */
	s = screen(f);
	assert_has(s, "up 127.0.14.1_");
	free(s);
	key(f, 27);
	/* on the domains pane, "down " and Tab: an address the command takes
	 * (it once offered the domain name, which down refuses), and Enter runs
	 * it; "pref " and Tab: a host */
	key(f, KEY_BTAB);
	key(f, 'T');
	keys(f, "down \t");
	s = screen(f);
	assert_has(s, "down 127.0.14.1_");
	assert_lacks(s, "down single.lab.test");
	free(s);
	key(f, '\n');
	assert_non_null(strstr(tui_app_message(f->app), "trainer: down 127.0.14.1 done"));
	key(f, 'T');
	keys(f, "pref \t");
	s = screen(f);
	assert_has(s, "pref mx.single.lab.test_");
	free(s);
	key(f, 27);
	key(f, 'T');
	keys(f, "add-mx \t");
	assert_non_null(
	    strstr(tui_app_message(f->app), "add-mx takes N HOST: nothing to complete"));
	key(f, 27);
	tf_trainer(f, "reset");
}

/* The sparkline and standard deviation of greeting times appear once an
 * address has been probed more than once. */
static void test_sparkline_and_sd(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = base_config(f, 200, 40);
	char *s, row[1024];

	start(f, &c, sc, 1);
	for (int i = 0; i < 3; i++) {
		key(f, 'r');
		settle(f);
	}
	s = screen(f);
	assert_has(s, "sd  greeting");
	assert_has(s, "accepted         127.0.14.1    0%    4");
	/* four samples: four bars, after the address on its row */
	{
		const char *p =
		    strstr(tf_row_of(s, "127.0.14.1    0%", row, sizeof(row)), "127.0.14.1    0%");
		int bars = 0;
		for (; *p; p++)
			bars += (unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x96 &&
			        (unsigned char)p[2] >= 0x81 && (unsigned char)p[2] <= 0x88;
		assert_int_equal(bars, 4);
	}
	free(s);
}

/* A: "walk as this MX host" — the relay view of check --as, in the
 * explorer: the backup's own tier and every less preferred one drop out. */
static void test_walk_as_host(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"relay"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	keys(f, "\tjjj"); /* tier 10, primary, its address, tier 20 */
	key(f, 'j');      /* backup1 */
	key(f, 'A');
	settle(f);
	s = screen(f);
	assert_has(s, "Tiers of relay.lab.test  seed 42  as backup1.relay.lab.test");
	assert_has(s, "primary.relay.lab.test");
	assert_lacks(s, "backup2.relay.lab.test");
	free(s);
	key(f, 'A'); /* the host is gone from the view: back to a sender's */
	settle(f);
	s = screen(f);
	assert_lacks(s, "  as backup1");
	assert_has(s, "backup2.relay.lab.test");
	free(s);
}

/* A key that changes nothing (k on the first domain) is on the screen at
 * once all the same: bench/tui.sh saw such keys wait for the next 1 s
 * tick, its p99 of ~990 ms. */
static void test_idle_key_traced_at_once(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = base_config(f, 80, 24);
	char path[256], line[128];
	FILE *t;
	int keys_seen = 0;

	snprintf(path, sizeof(path), "%s/trace", f->dir);
	c.trace_keys = path;
	start(f, &c, sc, 1);
	key(f, 'k'); /* already on the first line: nothing changes */
	tf_stop(f);
	t = fopen(path, "r");
	assert_non_null(t);
	while (fgets(line, sizeof(line), t))
		keys_seen += strncmp(line, "key ", 4) == 0;
	fclose(t);
	assert_int_equal(keys_seen, 1);
}

/* Keys queued before one readable event, one in curses' own buffer (which
 * no readable event announces) and one on the terminal, are all handled
 * and shown in that one loop turn, with one redraw: not after the next
 * turn's timers, and not one redraw per key. */
static void test_queued_keys_one_turn(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "all-reject", "primary-down"};
	tui_config c = base_config(f, 100, 30);
	size_t drawn;
	char *s;

	start(f, &c, sc, 3);
	s = tui_app_screen(f->app);
	assert_lacks(s, "mx1.primary-down");
	free(s);
	drawn = tui_app_draws(f->app);
	unget_wch(L'j');
	assert_int_equal(write(f->pipefd[1], "j", 1), 1);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	s = tui_app_screen(f->app); /* as drawn: no pump */
	assert_has(s, "mx1.primary-down");
	free(s);
	assert_int_equal(tui_app_draws(f->app), drawn + 1);
}

/* S switches the sender the walk follows; the header and the walk say which,
 * and each profile's end is listed in the domain's details. */
static void test_sender_switch(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"primary-down"};
	tui_config c = base_config(f, 120, 40);
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "sender opportunistic");
	assert_has(s, "Senders (S picks the one the walk follows)");
	free(s);
	key(f, 'S');
	s = screen(f);
	assert_has(s, "sender mta-sts");
	/* the message says who sends that way (core/sender.c's table) */
	assert_has(s, "walk as mta-sts sender (mailbox providers: MTA-STS policies (RFC 8461))");
	free(s);
	key(f, 'w');
	key(f, ' ');
	s = screen(f);
	assert_has(s, "as mta-sts sender");
	free(s);
	key(f, 'S');
	s = screen(f);
	assert_has(s, "sender dane");
	assert_has(s, "as dane sender");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    tf_test(test_never_answered_details),
	    tf_test(test_long_panes),
	    tf_test(test_help_at_120),
	    tf_test(test_zoom_and_sort),
	    tf_test(test_remove_and_undo),
	    tf_test(test_domains_width_keys),
	    tf_test(test_filter_matches_and_cancels),
	    tf_test(test_walk_first_step_and_end),
	    tf_test(test_copy_out),
	    tf_test(test_trainer_keys_and_prompt),
	    tf_test(test_sparkline_and_sd),
	    tf_test(test_walk_as_host),
	    tf_test(test_idle_key_traced_at_once),
	    tf_test(test_sender_switch),
	    tf_test(test_queued_keys_one_turn),
	};

	return tf_run(tests);
}
