/* tests/test_commands.c — `check --commands` against the lab process: every
 * printed dig, swaks and openssl line is run as printed (sh -c) and must
 * reach the answer mxscope got (the rcode and records, the greeting, the
 * certificate verdict); curl lines reach the lab's DoH endpoint; and a
 * hostile name is quoted so the shell never runs any part of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static hlab lab;

static int setup(void **state)
{
	(void)state;
	/* no user config may switch a blocklist on behind the test's back */
	setenv("XDG_CONFIG_HOME", "/nonexistent/mxscope-test", 1);
	h_lab_start(&lab, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_lab_stop(&lab);
	return 0;
}

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Runs line with sh -c (bounded by timeout(1)), output and errors into a
 * new string. */
static char *sh(const char *line, int *status)
{
	char *cmd = NULL, *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int rc;

	assert_true(asprintf(&cmd, "timeout 20 sh -c '%s' 2>&1",
	                     /* the line is quoted as a whole for the outer sh */
	                     "eval \"$MXSCOPE_LINE\"") > 0);
	setenv("MXSCOPE_LINE", line, 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		size_t n = fread(out + len, 1, 4096, p);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	rc = pclose(p);
	*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	free(cmd);
	return out;
}

typedef struct counts {
	int dig, swaks, openssl, curl;
} counts;

/* Runs every command of a --commands output and checks each against the
 * "# ... mxscope got X" line before it. */
static void run_all(const char *text, counts *c)
{
	char *copy = strdup(text), *save = NULL, got[128] = "";

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *out, *g;
		int st;
		if (line[0] == '#') {
			if ((g = strstr(line, "mxscope got ")))
				snprintf(got, sizeof(got), "%s", g + 12);
			continue;
		}
		out = sh(line, &st);
		if (strncmp(line, "dig ", 4) == 0) {
			char want[64];
			/* "NOERROR, 2 record(s))" -> status: NOERROR */
			snprintf(want, sizeof(want), "status: %.*s", (int)strcspn(got, ",)"), got);
			if (strcmp(want, "status: NODATA") == 0)
				snprintf(want, sizeof(want), "status: NOERROR");
			if (!strstr(out, want)) {
				print_error("%s\nwant \"%s\", got:\n%s\n", line, want, out);
				fail();
			}
			c->dig++;
		} else if (strncmp(line, "swaks ", 6) == 0) {
			const char *want = strncmp(got, "accepted", 8) == 0   ? "<-  220 "
			                   : strncmp(got, "refused", 7) == 0  ? "refused"
			                   : strncmp(got, "tempfail", 8) == 0 ? "<** 421 "
			                                                      : "";
			if (!strstr(out, want)) {
				print_error("%s\nmxscope got %s; want \"%s\" in:\n%s\n", line, got,
				            want, out);
				fail();
			}
			c->swaks++;
		} else if (strncmp(line, "openssl ", 8) == 0) {
			/* the verdict is on the "greeting code" comment line */
			c->openssl++;
		} else if (strncmp(line, "curl ", 5) == 0) {
			/* the lab's DoH answers for what mxscope saw answered; its
			 * silent and failing providers fail curl too */
			if (strncmp(got, "unavailable", 11) != 0 && st != 0) {
				print_error("%s\nmxscope got %s; curl: %d %s\n", line, got, st,
				            out);
				fail();
			}
			c->curl++;
		}
		free(out);
	}
	free(copy);
}

static char *commands(const char *domain, hrun *r)
{
	char spec[128];
	const char *args[] = {"check",     "--commands",  "--allow-loopback",
	                      "--timeout", "2",           "-s",
	                      lab.server,  "--smtp-port", lab.smtp_port,
	                      "--cafile",  lab.ca,        "--blocklist",
	                      spec,        domain,        NULL};

	snprintf(spec, sizeof(spec), "bl.lab.test@http://%s/dns-query", lab.http);
	h_run(args, NULL, 30000, r);
	assert_true(r->status == 0 || r->status == 1);
	return r->out;
}

static void test_dig_and_swaks(void **state)
{
	static const char *const domains[] = {"primary-down.lab.test", "tempfail.lab.test",
	                                      "implicit.lab.test", "srv.lab.test",
	                                      "dangling.lab.test"};
	counts c = {0};

	(void)state;
	if (!have("dig") || !have("swaks") || !have("timeout")) {
		print_message("dig, swaks or timeout missing: scripts/setup installs them\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		hrun r;
		run_all(commands(domains[i], &r), &c);
		hrun_free(&r);
	}
	assert_true(c.dig >= 10);
	assert_true(c.swaks >= 4);
}

/* The certificate verdict: openssl verifies against the MX name with the
 * lab CA, exactly as mxscope did: good verifies, the others do not. */
static void test_openssl_verdicts(void **state)
{
	hrun r;
	char *text, *copy, *save = NULL, *host = NULL;
	int n = 0;

	(void)state;
	if (!have("openssl") || !have("timeout"))
		skip();
	text = commands("tls.lab.test", &r);
	copy = strdup(text);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *out;
		int st;
		if (strncmp(line, "openssl ", 8) != 0)
			continue;
		host = strstr(line, "-servername ") + 12;
		out = sh(line, &st);
		if (strncmp(host, "good.", 5) == 0) {
			if (!strstr(out, "Verification: OK")) {
				print_error("%s\n%s\n", line, out);
				fail();
			}
		} else {
			assert_null(strstr(out, "Verification: OK"));
			assert_non_null(strstr(out, "erification error"));
		}
		n++;
		free(out);
	}
	/* four hosts offer STARTTLS (plain does not: no openssl line) */
	assert_int_equal(n, 4);
	assert_null(strstr(text, "-servername plain."));
	free(copy);
	hrun_free(&r);
}

/* The DoH lookup as curl: the lab's endpoint answers the same question. */
static void test_curl_doh(void **state)
{
	hrun r;
	counts c = {0};

	(void)state;
	if (!have("curl") || !have("od"))
		skip();
	run_all(commands("blocklisted.lab.test", &r), &c);
	assert_true(c.curl >= 1);
	assert_non_null(strstr(r.out, "curl -sS --max-time 2 -H 'Accept: application/dns-message' "
	                              "'http://"));
	hrun_free(&r);
}

/* Names from the network are quoted: a name with shell syntax stays one
 * argument, replayed from a recording (no lab needed for that part). */
static void test_quoting(void **state)
{
	char dir[] = "/tmp/mxscope-cmd-XXXXXX", path[300], marker[300];
	const char *args[] = {"replay", "--commands", path, NULL};
	hrun r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.ndjson", dir);
	snprintf(marker, sizeof(marker), "/tmp/mxscope-pwned-%d", (int)getpid());
	unlink(marker);
	f = fopen(path, "w");
	fprintf(
	    f,
	    "{\"domain\":\"q.test\",\"mx_rcode\":\"NOERROR\",\"seed\":1,\"mx\":[{\"preference\":"
	    "10,\"exchange\":\"a';touch %s;'.q.test\",\"ttl\":30,\"a_rcode\":\"NOERROR\","
	    "\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"127.0.0.1\",\"family\":4,"
	    "\"ttl\":30,\"probe\":{\"state\":\"accepted\",\"port\":25,\"code\":220,\"tls\":{"
	    "\"offered\":true}}}]}],\"recorded\":{\"resolver\":\"127.0.0.1:9\"}}\n",
	    marker);
	fclose(f);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "dig @127.0.0.1 -p 9 'a'\\'';touch "));
	/* run only the openssl line's argument parsing: echo stands in */
	{
		char *copy = strdup(r.out), *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *echo = NULL, *out;
			int st;
			if (line[0] == '#')
				continue;
			assert_true(asprintf(&echo, "echo %s", strchr(line, ' ') + 1) > 0);
			out = sh(echo, &st);
			free(out);
			free(echo);
		}
		free(copy);
	}
	assert_int_equal(access(marker, F_OK), -1);
	hrun_free(&r);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* A JSON API provider: the curl line carries the header with the variable
 * that holds the key, never the key; run with the variable set it gets
 * the same verdict mxscope got. */
static void test_curl_json_api_key(void **state)
{
	char path[] = "/tmp/mxscope-cmd-config-XXXXXX", text[512];
	static const char key[] = "s3cret-KEY-value-4711";
	hrun r;
	int fd;
	counts c = {0};

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text),
	         "[blocklist api]\ntype = json\nurl = http://%s/api/check/{ip}\n"
	         "header = X-Api-Key: {key}\nkey-env = MXSCOPE_TEST_KEY\n"
	         "listed-pointer = /listed\nreason-pointer = /reason\n",
	         lab.http);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	setenv("MXSCOPE_TEST_KEY", key, 1);
	{
		const char *args[] = {"check", "--commands",  "--no-probe", "--timeout",
		                      "2",     "-s",          lab.server,   "--config",
		                      path,    "--blocklist", "api",        "blocklisted.lab.test",
		                      NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_null(strstr(r.out, key));
	assert_null(strstr(r.err, key));
	assert_non_null(strstr(r.out, "-H \"X-Api-Key: ${MXSCOPE_TEST_KEY}\" http://"));
	if (have("curl"))
		run_all(r.out, &c);
	assert_true(!have("curl") || c.curl >= 1);
	hrun_free(&r);
	unsetenv("MXSCOPE_TEST_KEY");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dig_and_swaks),     cmocka_unit_test(test_openssl_verdicts),
	    cmocka_unit_test(test_curl_doh),          cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_curl_json_api_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
