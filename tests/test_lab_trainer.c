/* tests/test_lab_trainer.c — the trainer's command language against a real
 * lab: every command changes what the lab serves (the MX answer as c-ares
 * reads it, the SMTP greeting on a real socket), every bad line gets a
 * one-line reason, and README.md's trainer table is the command table.
 * The lab is the shared fixture (tests/harness.h): its DNS server answers
 * over UDP, its SMTP hosts greet over TCP.
 *
 * `test_lab_trainer --print-readme` prints the table's rows, for pasting
 * between the trainer table markers in README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ares.h>
#include <arpa/nameser.h>

#include "harness.h"
#include "lab.h"
#include "trainer.h"

static const char world_text[] = "$ORIGIN train.test.\n"
                                 "$TTL 30\n"
                                 "$SCENARIO train\n"
                                 "$TITLE Trainer commands\n"
                                 "$DOMAIN train.test.\n"
                                 "@ SOA ns hostmaster 1 3600 600 86400 30\n"
                                 "@ NS ns\n"
                                 "ns A 127.0.0.1\n"
                                 "@ MX 10 mx1\n"
                                 "@ MX 20 mx2\n"
                                 "mx1 A 127.0.97.1\n"
                                 "mx2 A 127.0.97.2\n"
                                 "$SMTP 127.0.97.1 refuse\n"
                                 "$SMTP 127.0.97.2 accept\n";

/* ---- the table as README rows ------------------------------------------------------ */

/* The rows README.md must hold between its trainer table markers. */
static void readme_rows(char *out, size_t cap)
{
	size_t o = 0;

	o += (size_t)snprintf(out + o, cap - o, "| command | what it does |\n|---|---|\n");
	for (size_t i = 0; i < lab_trainer_cmd_count() && o < cap; i++) {
		const struct lab_trainer_cmd *c = lab_trainer_cmd_at(i);

		o += (size_t)snprintf(out + o, cap - o, "| `%s%s%s` | %s |\n", c->name,
		                      c->args[0] ? " " : "", c->args, c->usage);
	}
	assert_true(o < cap);
}

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

static void test_readme_table(void **state)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	char path[4096], want[4096], *readme, *begin, *end;

	(void)state;
	if (!src)
		src = ".";
	snprintf(path, sizeof(path), "%s/README.md", src);
	readme = slurp(path);
	if (!readme)
		fail_msg("cannot read %s", path);
	begin = strstr(readme, "<!-- trainer table:");
	end = begin ? strstr(begin, "<!-- end trainer table -->") : NULL;
	assert_non_null(end);
	begin = strstr(begin, "-->\n");
	assert_true(begin && begin < end);
	begin += 4;
	*end = '\0';
	readme_rows(want, sizeof(want));
	if (strcmp(begin, want) != 0)
		fail_msg(
		    "README.md's trainer table differs from lab/trainer.c's command table; "
		    "regenerate it: build/tests/test_lab_trainer --print-readme, and paste the "
		    "rows between the trainer table markers.\nREADME has:\n%s\nwant:\n%s",
		    begin, want);
	free(readme);
}

/* The help the prompt shows names every command with its arguments. */
static void test_help(void **state)
{
	char help[512];
	size_t n;

	(void)state;
	n = lab_trainer_help(help, sizeof(help));
	assert_int_equal(n, strlen(help));
	for (size_t i = 0; i < lab_trainer_cmd_count(); i++)
		assert_non_null(strstr(help, lab_trainer_cmd_at(i)->name));
	assert_non_null(strstr(help, "pref HOST N"));
	assert_null(lab_trainer_cmd_at(lab_trainer_cmd_count()));
	/* a short buffer is cut, terminated, and the length still says the whole */
	assert_int_equal(lab_trainer_help(help, 5), n);
	assert_int_equal(strlen(help), 4);
}

/* ---- DNS: the MX answer as "PREF NAME" lines ------------------------------------ */

/* The MX answer for name as the running lab DNS server sends it over UDP,
 * read by c-ares (the resolver mxscope uses): "PREF NAME.\n" lines in
 * answer order, "" for no MX records. */
static void mx_answer(hlab_here *here, const char *name, char *out, size_t cap)
{
	unsigned char *q = NULL, a[4096];
	int ql = 0, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ssize_t al = -1;
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)lab_dns_port(here->dns))};
	struct ares_mx_reply *mx = NULL;
	long end = h_now_ms() + 3000;

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(ares_create_query(name, ns_c_in, ns_t_mx, 0x1234, 1, &q, &ql, 0),
	                 ARES_SUCCESS);
	assert_int_equal(sendto(fd, q, (size_t)ql, 0, (struct sockaddr *)&sin, sizeof(sin)), ql);
	ares_free_string(q);
	while (al < 0 && h_now_ms() < end) {
		uv_run(here->loop, UV_RUN_NOWAIT);
		al = recv(fd, a, sizeof(a), 0);
		if (al < 0)
			poll(NULL, 0, 1);
	}
	close(fd);
	assert_true(al >= 12);
	out[0] = '\0';
	if (ares_parse_mx_reply(a, (int)al, &mx) != ARES_SUCCESS)
		return;
	for (struct ares_mx_reply *m = mx; m; m = m->next)
		snprintf(out + strlen(out), cap - strlen(out), "%u %s.\n", m->priority, m->host);
	ares_free_data(mx);
}

/* Runs line and expects st; a failure's reason is one line. Returns *why for
 * the caller to look at (freed by the next call). */
static const char *run(lab *l, const char *domain, const char *line, mxs_status want)
{
	static char last[512];
	char *why = NULL;
	mxs_status st = lab_trainer_run(l, domain, line, &why);

	if (st != want)
		fail_msg("\"%s\": got %s (%s), want %s", line, mxs_str(st), why ? why : "-",
		         mxs_str(want));
	assert_non_null(why);
	assert_null(strchr(why, '\n'));
	assert_true(strlen(why) > 0);
	snprintf(last, sizeof(last), "%s", why);
	free(why);
	return last;
}

static void test_mx_commands(void **state)
{
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h), DNS only */
	lab *l;
	char ans[1024];

	(void)state;
	h_lab_open(&here, &loop, "train.zone", world_text, H_DNS);
	l = lab_new(here.world, NULL);
	assert_non_null(l);

	run(l, "train.test", "pref mx2 5", MXS_OK);
	mx_answer(&here, "train.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.train.test.\n5 mx2.train.test.\n");

	assert_non_null(strstr(run(l, "train.test", "add-mx 30 mx3", MXS_OK), "added"));
	mx_answer(&here, "train.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.train.test.\n5 mx2.train.test.\n30 mx3.train.test.\n");

	/* a name with a dot is taken whole; blanks around words do not matter */
	run(l, "train.test", "  del-mx\tmx1.train.test.  ", MXS_OK);
	mx_answer(&here, "train.test", ans, sizeof(ans));
	assert_string_equal(ans, "5 mx2.train.test.\n30 mx3.train.test.\n");

	/* bad input: one line that says what */
	assert_non_null(strstr(run(l, "train.test", "pref mx2", MXS_ERR_INVALID), "usage: pref"));
	assert_non_null(strstr(run(l, "train.test", "pref mx2 70000", MXS_ERR_INVALID), "0-65535"));
	assert_non_null(strstr(run(l, "train.test", "pref mx2 -1", MXS_ERR_INVALID), "0-65535"));
	assert_non_null(strstr(run(l, "train.test", "add-mx mx4 10", MXS_ERR_INVALID), "0-65535"));
	assert_non_null(
	    strstr(run(l, "train.test", "del-mx mx9", MXS_ERR_INVALID), "no MX record"));
	assert_non_null(strstr(run(l, "train.test", "add-mx 1 mx2", MXS_ERR_INVALID), "already"));
	assert_non_null(strstr(run(l, NULL, "pref mx2 1", MXS_ERR_INVALID), "select a domain"));
	assert_non_null(
	    strstr(run(l, "nowhere.test", "pref mx2 1", MXS_ERR_INVALID), "not a name in the lab"));
	assert_non_null(strstr(run(l, "train.test", "dance", MXS_ERR_INVALID), "unknown command"));
	assert_non_null(strstr(run(l, "train.test", "   ", MXS_ERR_INVALID), "no command"));
	assert_non_null(strstr(run(l, "train.test", "a b c d e", MXS_ERR_INVALID), "too many"));
	{
		char long_line[600];

		memset(long_line, 'x', sizeof(long_line) - 1);
		long_line[sizeof(long_line) - 1] = '\0';
		assert_non_null(strstr(run(l, "train.test", long_line, MXS_ERR_INVALID), "longer"));
	}
	/* nothing of the failed lines reached the answer */
	mx_answer(&here, "train.test", ans, sizeof(ans));
	assert_string_equal(ans, "5 mx2.train.test.\n30 mx3.train.test.\n");
	/* SMTP commands on a lab without hosts say so */
	assert_non_null(strstr(run(l, "train.test", "down 127.0.97.2", MXS_ERR_INVALID), "SMTP"));

	assert_non_null(strstr(run(l, "train.test", "reset", MXS_OK), "reset"));
	mx_answer(&here, "train.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.train.test.\n20 mx2.train.test.\n");
	assert_non_null(strstr(run(l, "train.test", "reset now", MXS_ERR_INVALID), "usage: reset"));

	lab_free(l);
	h_lab_close(&here);
}

/* ---- SMTP: down, up, behave ------------------------------------------------------- */

static void test_smtp_commands(void **state)
{
	uv_loop_t loop;
	hlab_here here; /* the shared lab fixture (tests/harness.h) */
	lab *l;
	char g[512];
	int port;

	(void)state;
	h_lab_open(&here, &loop, "train.zone", world_text, H_SMTP);
	port = here.smtp_port;
	l = lab_new(here.world, here.smtp);
	assert_non_null(l);

	assert_int_equal(h_dial(&loop, "127.0.97.1", port), -ECONNREFUSED);
	assert_non_null(strstr(run(l, NULL, "up 127.0.97.1", MXS_OK), "up again"));
	h_greeting(&loop, "127.0.97.1", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));

	assert_non_null(strstr(run(l, NULL, "down 127.0.97.2", MXS_OK), "down"));
	assert_int_equal(h_dial(&loop, "127.0.97.2", port), -ECONNREFUSED);
	run(l, NULL, "up 127.0.97.2", MXS_OK);

	assert_non_null(strstr(run(l, NULL, "behave 127.0.97.2 tempfail", MXS_OK), "tempfail"));
	h_greeting(&loop, "127.0.97.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "421 "));
	run(l, NULL, "behave 127.0.97.2 slow 0", MXS_OK);
	h_greeting(&loop, "127.0.97.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));
	run(l, NULL, "behave 127.0.97.2 reject", MXS_OK);
	h_greeting(&loop, "127.0.97.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "554 "));

	/* bad input */
	assert_non_null(strstr(run(l, NULL, "down 127.0.97.9", MXS_ERR_INVALID), "not a lab SMTP"));
	assert_non_null(strstr(run(l, NULL, "down mx1", MXS_ERR_INVALID), "not an IP address"));
	assert_non_null(
	    strstr(run(l, NULL, "behave 127.0.97.2 dance", MXS_ERR_INVALID), "unknown behaviour"));
	assert_non_null(
	    strstr(run(l, NULL, "behave 127.0.97.2", MXS_ERR_INVALID), "usage: behave"));
	assert_non_null(strstr(run(l, NULL, "up", MXS_ERR_INVALID), "usage: up ADDR"));

	/* reset: the hosts as the scenario says, too */
	run(l, NULL, "reset", MXS_OK);
	assert_int_equal(h_dial(&loop, "127.0.97.1", port), -ECONNREFUSED);
	h_greeting(&loop, "127.0.97.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));

	lab_free(l);
	h_lab_close(&here);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readme_table),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_mx_commands),
	    cmocka_unit_test(test_smtp_commands),
	};

	if (argc == 2 && strcmp(argv[1], "--print-readme") == 0) {
		char rows[4096];

		readme_rows(rows, sizeof(rows));
		fputs(rows, stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
