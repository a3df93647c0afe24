/* tests/test_commands.c — `check --commands` against the lab process: every
 * printed dig, swaks and openssl line is run as printed (sh -c) and must
 * reach the answer mxscope got (the rcode and records, the greeting, the
 * certificate verdict, the DANE verdict, the RCPT reply); curl lines reach
 * the lab's DoH endpoint and its MTA-STS policy server; the sender stages'
 * lines (MTA-STS, TLSA, --rcpt, --ptr, --authoritative) are compared with
 * what `check --json` reports; and a hostile name is quoted so the shell
 * never runs any part of it. */
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
#include <jansson.h>

#include "harness.h"

/* The harness's lab fixture, after making sure no user config may switch
 * a blocklist on behind the test's back. */
static int setup(void **state)
{
	setenv("XDG_CONFIG_HOME", "/nonexistent/mxscope-test", 1);
	return h_lab_group_setup(state);
}

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* A command line run with sh -c (bounded by timeout(1)), its output and
 * errors on a pipe. */
static FILE *sh_start(const char *line)
{
	FILE *p;

	/* the line is quoted as a whole for the outer sh */
	setenv("MXSCOPE_LINE", line, 1);
	p = popen("timeout 20 sh -c 'eval \"$MXSCOPE_LINE\"' 2>&1", "r");
	assert_non_null(p);
	return p;
}

/* What a started command printed, as a new string, and its exit status. */
static char *sh_finish(FILE *p, int *status)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	int rc;

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
	return out;
}

/* Runs line with sh -c (bounded by timeout(1)), output and errors into a
 * new string. */
static char *sh(const char *line, int *status)
{
	return sh_finish(sh_start(line), status);
}

/* Commands run at once by sh_all: they ask the lab, each on its own, and
 * most of their time is waiting on a timeout mxscope's --timeout set. */
#define SH_PARALLEL 8

/* Every lines[i] run as sh runs it, SH_PARALLEL at a time; outs[i] (new
 * strings) and status[i] in the same order. */
static void sh_all(char *const *lines, size_t n, char **outs, int *status)
{
	FILE *running[SH_PARALLEL];

	for (size_t i = 0; i < n && i < SH_PARALLEL; i++)
		running[i] = sh_start(lines[i]);
	for (size_t i = 0; i < n; i++) {
		outs[i] = sh_finish(running[i % SH_PARALLEL], &status[i]);
		if (i + SH_PARALLEL < n)
			running[i % SH_PARALLEL] = sh_start(lines[i + SH_PARALLEL]);
	}
}

typedef struct counts {
	int dig, swaks, openssl, curl, dane, rcpt, policy;
} counts;

/* The rcodes a "mxscope got" can start with that dig prints as status. */
static bool is_rcode(const char *got)
{
	static const char *const words[] = {"NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "REFUSED"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(got, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

/* The code of the server's reply to RCPT TO in a swaks transcript ("<~* 550
 * ..."), or 0. */
static int rcpt_reply(const char *out)
{
	const char *r = strstr(out, "> RCPT TO:");
	const char *nl = r ? strchr(r, '\n') : NULL;
	int code = 0;

	if (nl && nl[1] == '<')
		sscanf(nl + 1 + strcspn(nl + 1, " "), "%d", &code);
	return code;
}

/* Runs every command of a --commands output and checks each against the
 * "# ... mxscope got X" line before it: an unindented comment starts a new
 * question (what it got, if it says), an indented one adds to it. */
static void run_all(const char *text, counts *c)
{
	char *copy = strdup(text), *save = NULL, got[256] = "";
	int rcpt = -1; /* the RCPT reply mxscope got, -1 = the stage did not run */
	size_t n = 0, cap = 0;
	/* the commands with what mxscope got for each, run at once, then
	 * checked in order */
	char **lines = NULL, **gots = NULL, **outs;
	int *rcpts = NULL, *sts;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *g;
		if (line[0] == '#') {
			if (line[1] == ' ' && line[2] != ' ') {
				got[0] = '\0';
				rcpt = -1;
			}
			if ((g = strstr(line, "mxscope got ")))
				snprintf(got, sizeof(got), "%s", g + 12);
			if ((g = strstr(line, "RCPT TO:<")) && (g = strstr(g, ">: answered ")))
				rcpt = atoi(g + 12);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = realloc(lines, cap * sizeof(*lines));
			gots = realloc(gots, cap * sizeof(*gots));
			rcpts = realloc(rcpts, cap * sizeof(*rcpts));
			assert_true(lines && gots && rcpts);
		}
		lines[n] = line;
		gots[n] = strdup(got);
		rcpts[n++] = rcpt;
	}
	outs = calloc(n + 1, sizeof(*outs));
	sts = calloc(n + 1, sizeof(*sts));
	sh_all(lines, n, outs, sts);
	for (size_t i = 0; i < n; i++) {
		const char *line = lines[i];
		char *out = outs[i];
		int st = sts[i];
		snprintf(got, sizeof(got), "%s", gots[i]);
		rcpt = rcpts[i];
		free(gots[i]);
		if (strncmp(line, "dig ", 4) == 0) {
			char want[64];
			/* "NOERROR, 2 record(s))" -> status: NOERROR */
			snprintf(want, sizeof(want), "status: %.*s", (int)strcspn(got, ",)"), got);
			if (strcmp(want, "status: NODATA") == 0)
				snprintf(want, sizeof(want), "status: NOERROR");
			if (is_rcode(got) && !strstr(out, want)) {
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
			/* --rcpt: the same reply to RCPT, and never DATA */
			if (rcpt >= 0) {
				assert_non_null(strstr(line, " --quit-after RCPT"));
				if (rcpt_reply(out) != rcpt) {
					print_error("%s\nmxscope got RCPT %d; swaks:\n%s\n", line,
					            rcpt, out);
					fail();
				}
				assert_null(strstr(out, "> DATA"));
				c->rcpt++;
			}
			c->swaks++;
		} else if (strncmp(line, "openssl ", 8) == 0) {
			/* the certificate verdict is on the "greeting code" line
			 * (test_openssl_verdicts); DANE's on its own */
			if (strstr(line, " -dane_tlsa_rrdata ")) {
				bool match = strncmp(got, "match ", 6) == 0;
				if (match ? !strstr(out, "Verification: OK") ||
				                !strstr(out, " matched ")
				          : !strstr(out, "no matching DANE TLSA records")) {
					print_error("%s\nmxscope got %s; openssl:\n%s\n", line, got,
					            out);
					fail();
				}
				c->dane++;
			}
			c->openssl++;
		} else if (strncmp(line, "curl ", 5) == 0) {
			/* the lab's DoH answers for what mxscope saw answered; its
			 * silent and failing providers fail curl too; a policy
			 * mxscope read comes to curl too */
			bool failed_too = strncmp(got, "unavailable", 11) == 0 ||
			                  strncmp(got, "no policy", 9) == 0;
			if (!failed_too && st != 0) {
				print_error("%s\nmxscope got %s; curl: %d %s\n", line, got, st,
				            out);
				fail();
			}
			c->curl++;
			c->policy += strstr(line, "/.well-known/mta-sts.txt") != NULL;
		}
		free(out);
	}
	free(outs);
	free(sts);
	free(lines);
	free(gots);
	free(rcpts);
	free(copy);
}

/* `check MODE ... [extra...] DOMAIN` against the lab: its DNS, SMTP port,
 * CA, MTA-STS policy server and DoH blocklist. */
static void check_run(const hlab *lab, const char *mode, const char *domain,
                      const char *const *extra, hrun *r)
{
	hargv a;

	h_lab_check(&a, lab, HA_PROBE | HA_STS | HA_BL, "--timeout", "2", mode);
	for (; extra && *extra; extra++)
		h_argv(&a, *extra);
	h_run(h_argv(&a, domain), NULL, 30000, r);
	assert_true(r->status == 0 || r->status == 1);
}

static char *commands_with(const hlab *lab, const char *domain, const char *const *extra, hrun *r)
{
	check_run(lab, "--commands", domain, extra, r);
	return r->out;
}

static char *commands(const hlab *lab, const char *domain, hrun *r)
{
	return commands_with(lab, domain, NULL, r);
}

/* A stage left off: the run of domain without its option prints has (or
 * NULL) and no line holding lacks. */
static void assert_commands(const hlab *lab, const char *domain, const char *has, const char *lacks)
{
	hrun r;

	commands(lab, domain, &r);
	if (has)
		assert_non_null(strstr(r.out, has));
	assert_null(strstr(r.out, lacks));
	hrun_free(&r);
}

/* The same run as --json: the one object it printed. */
static json_t *json_with(const hlab *lab, const char *domain, const char *const *extra)
{
	json_error_t err;
	json_t *j;
	hrun r;

	check_run(lab, "--json", domain, extra, &r);
	j = json_loads(r.out, 0, &err);
	if (!j) {
		print_error("not JSON: %s\n%.400s\n", err.text, r.out);
		fail();
	}
	hrun_free(&r);
	return j;
}

/* The run of domain with extra twice: the object --json printed, and the
 * --commands output into *r with every command of it run as printed
 * (run_all) and counted into *c. */
static json_t *json_and_commands(const hlab *lab, const char *domain, const char *const *extra,
                                 hrun *r, counts *c)
{
	json_t *j = json_with(lab, domain, extra);

	commands_with(lab, domain, extra, r);
	run_all(r->out, c);
	return j;
}

/* The first command line of text that contains every one of the strings
 * (NULL-terminated), a new string; NULL when none. */
static char *find_line(const char *text, ...)
{
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");
		char *line = strndup(s, len);
		bool all = line[0] != '#';
		va_list ap;
		va_start(ap, text);
		for (const char *w; all && (w = va_arg(ap, const char *));)
			all = strstr(line, w) != NULL;
		va_end(ap);
		if (all)
			return line;
		free(line);
		s += len + (s[len] ? 1 : 0);
	}
	return NULL;
}

/* The rdata of every TYPE record in the answer of a dig output, as one
 * lower-case string each with dig's spaces inside hex runs taken out
 * ("3 1 1 0a86...") and a final dot dropped; n of them into out (owned). */
static size_t answers(const char *out, const char *type, char **list, size_t cap)
{
	const char *sec = strstr(out, ";; ANSWER SECTION:");
	size_t n = 0;

	for (const char *s = sec ? strchr(sec, '\n') : NULL; s && *s && s[1] != '\n' && n < cap;
	     s = strchr(s + 1, '\n')) {
		char owner[300], cls[16], t[16], *rd;
		unsigned long ttl;
		int used = 0;
		size_t len = strcspn(s + 1, "\n");
		char *line = strndup(s + 1, len);
		if (sscanf(line, "%299s %lu %15s %15s %n", owner, &ttl, cls, t, &used) == 4 &&
		    strcmp(t, type) == 0) {
			char *o;
			int fields = 0;
			rd = strdup(line + used);
			o = rd;
			for (char *p = rd; *p; p++) {
				/* TLSA: the three numbers keep their spaces, the hex
				 * loses dig's */
				if (*p == ' ' && ++fields > 3 && strcmp(type, "TLSA") == 0)
					continue;
				*o++ = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			}
			*o = '\0';
			if (o > rd && o[-1] == '.')
				o[-1] = '\0';
			list[n++] = rd;
		}
		free(line);
	}
	return n;
}

/* Every string of a JSON array is among list[0..n), and n is its size. */
static void assert_same_set(json_t *arr, char **list, size_t n, const char *what)
{
	size_t i;
	json_t *x;

	if (json_array_size(arr) != n) {
		print_error("%s: %zu in JSON, %zu from the command\n", what, json_array_size(arr),
		            n);
		fail();
	}
	json_array_foreach(arr, i, x)
	{
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found |= strcmp(json_string_value(x), list[k]) == 0;
		if (!found) {
			print_error("%s: %s not in what the command got\n", what,
			            json_string_value(x));
			fail();
		}
	}
}

static void test_dig_and_swaks(void **state)
{
	const hlab *lab = *state;
	static const char *const domains[] = {"primary-down.lab.test", "tempfail.lab.test",
	                                      "implicit.lab.test", "srv.lab.test",
	                                      "dangling.lab.test"};
	counts c = {0};

	if (!have("dig") || !have("swaks") || !have("timeout")) {
		print_message("dig, swaks or timeout missing: scripts/setup installs them\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		hrun r;
		run_all(commands(lab, domains[i], &r), &c);
		hrun_free(&r);
	}
	assert_true(c.dig >= 10);
	assert_true(c.swaks >= 4);
}

/* The certificate verdict: openssl verifies against the MX name with the
 * lab CA, exactly as mxscope did: good verifies, the others do not. */
static void test_openssl_verdicts(void **state)
{
	const hlab *lab = *state;
	hrun r;
	char *text, *copy, *save = NULL, *host = NULL;
	int n = 0;

	if (!have("openssl") || !have("timeout"))
		skip();
	text = commands(lab, "tls.lab.test", &r);
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
	const hlab *lab = *state;
	hrun r;
	counts c = {0};

	if (!have("curl") || !have("od"))
		skip();
	run_all(commands(lab, "blocklisted.lab.test", &r), &c);
	assert_true(c.curl >= 1);
	assert_non_null(strstr(r.out, "curl -sS --max-time 2 -H 'Accept: application/dns-message' "
	                              "'http://"));
	hrun_free(&r);
}

/* Names from the network are quoted: a name with shell syntax stays one
 * argument, replayed from a recording (no lab needed for that part). The
 * name has no blank (c-ares would have escaped it as \032 and the reader
 * refuses one): ${IFS} is what a hostile zone can put there (lowercased
 * with the rest of the name). */
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
	    "10,\"exchange\":\"a';touch${IFS}%s;'.q.test\",\"ttl\":30,\"a_rcode\":\"NOERROR\","
	    "\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"127.0.0.1\",\"family\":4,"
	    "\"ttl\":30,\"probe\":{\"state\":\"accepted\",\"port\":25,\"code\":220,\"tls\":{"
	    "\"offered\":true}}}]}],\"recorded\":{\"resolver\":\"127.0.0.1:9\"}}\n",
	    marker);
	fclose(f);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "dig @127.0.0.1 -p 9 'a'\\'';touch${ifs}/tmp/"));
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
	const hlab *lab = *state;
	char path[] = "/tmp/mxscope-cmd-config-XXXXXX", text[512];
	static const char key[] = "s3cret-KEY-value-4711";
	hargv a;
	hrun r;
	int fd;
	counts c = {0};

	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text),
	         "[blocklist api]\ntype = json\nurl = http://%s/api/check/{ip}\n"
	         "header = X-Api-Key: {key}\nkey-env = MXSCOPE_TEST_KEY\n"
	         "listed-pointer = /listed\nreason-pointer = /reason\n",
	         lab->http);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	setenv("MXSCOPE_TEST_KEY", key, 1);
	h_run(h_lab_check(&a, lab, 0, "--commands", "--no-probe", "--timeout", "2", "--config",
	                  path, "--blocklist", "api", "blocklisted.lab.test"),
	      NULL, 20000, &r);
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

/* MTA-STS and TLS-RPT: the TXT questions get the records mxscope kept,
 * and the curl line, pinned like mxscope's fetch, gets the policy mxscope
 * read: the same mode and mx patterns. */
static void test_mta_sts(void **state)
{
	const hlab *lab = *state;
	static const char *const domains[] = {"sts-enforce.lab.test", "sts-testing.lab.test"};

	if (!have("dig") || !have("curl") || !have("awk"))
		skip();
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		hrun r;
		counts c = {0};
		json_t *j = json_and_commands(lab, domains[i], NULL, &r, &c),
		       *m = json_object_get(j, "mta_sts"), *pol = json_object_get(m, "policy"), *x;
		char want[200], *line, *out, *mx[16];
		size_t n = 0, k;
		int st;

		assert_non_null(json_string_value(json_object_get(m, "txt")));
		assert_non_null(pol);
		assert_int_equal(c.policy, 1);
		/* the TXT answers hold what mxscope kept */
		snprintf(want, sizeof(want), " _mta-sts.%s TXT", domains[i]);
		line = find_line(r.out, want, NULL);
		assert_non_null(line);
		out = sh(line, &st);
		assert_non_null(strstr(out, json_string_value(json_object_get(m, "txt"))));
		free(out);
		free(line);
		snprintf(want, sizeof(want), " _smtp._tls.%s TXT", domains[i]);
		line = find_line(r.out, want, NULL);
		assert_non_null(line);
		out = sh(line, &st);
		if (json_string_value(json_object_get(j, "tls_rpt")))
			assert_non_null(
			    strstr(out, json_string_value(json_object_get(j, "tls_rpt"))));
		else
			assert_null(strstr(out, "v=TLSRPTv1"));
		free(out);
		free(line);
		/* the policy: pinned to the lab's policy server, its CA, bounded */
		snprintf(want, sizeof(want), "https://mta-sts.%s/.well-known/mta-sts.txt",
		         domains[i]);
		line = find_line(r.out, "curl ", want, " --proto =https ", " --max-filesize 65536 ",
		                 " --cacert ", lab->ca, NULL);
		assert_non_null(line);
		snprintf(want, sizeof(want), "--connect-to mta-sts.%s:443:\"$(dig @", domains[i]);
		assert_non_null(strstr(line, want));
		snprintf(want, sizeof(want), ")\":%s ", lab->https_port);
		assert_non_null(strstr(line, want));
		out = sh(line, &st);
		assert_int_equal(st, 0);
		snprintf(want, sizeof(want), "mode: %s",
		         json_string_value(json_object_get(pol, "mode")));
		assert_non_null(strstr(out, want));
		for (char *p = out; (p = strstr(p, "\nmx: ")) && n < 16; p++) {
			mx[n] = strndup(p + 5, strcspn(p + 5, "\r\n"));
			n++;
		}
		json_array_foreach(json_object_get(pol, "mx"), k, x)
		{
			assert_true(k < n);
			assert_string_equal(json_string_value(x), mx[k]);
		}
		assert_int_equal(json_array_size(json_object_get(pol, "mx")), n);
		for (k = 0; k < n; k++)
			free(mx[k]);
		free(out);
		free(line);
		hrun_free(&r);
		json_decref(j);
	}
	/* a domain without the record: its TXT questions, no policy fetch */
	assert_commands(lab, "single.lab.test", " _mta-sts.single.lab.test TXT\n", "mta-sts.txt");
}

/* DNSSEC and DANE: the MX question's AD bit as mxscope read it, each TLSA
 * answer the records and security mxscope kept, and openssl's DANE check
 * the verdict mxscope reached (dane-stale: one match, one mismatch). */
static void test_dane(void **state)
{
	const hlab *lab = *state;
	static const struct {
		const char *domain;
		bool dane_opt;
		int dane_lines;
		size_t tlsa_hosts;
	} cases[] = {
	    {"dane.lab.test", false, 2, 2},
	    {"dane-stale.lab.test", false, 2, 2},
	    {"dane-insecure.lab.test", true, 0, 1}, /* shown and ignored: no DANE check */
	};

	if (!have("dig") || !have("openssl"))
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *extra[] = {cases[i].dane_opt ? "--dane" : NULL, NULL};
		hrun r;
		counts c = {0};
		json_t *j = json_and_commands(lab, cases[i].domain, extra, &r, &c), *h;
		bool secure =
		    strcmp(json_string_value(json_object_get(j, "dnssec")), "secure") == 0;
		char want[200], *line, *out;
		size_t k, tlsa_hosts = 0;
		int st;

		assert_int_equal(c.dane, cases[i].dane_lines);
		snprintf(want, sizeof(want), " %s MX +adflag\n", cases[i].domain);
		assert_non_null(strstr(r.out, want));
		want[strlen(want) - 1] = '\0';
		line = find_line(r.out, want, NULL);
		assert_non_null(line);
		out = sh(line, &st);
		assert_int_equal(strstr(out, "flags: qr aa rd ad;") != NULL, secure);
		free(out);
		free(line);
		json_array_foreach(json_object_get(j, "mx"), k, h)
		{
			json_t *t = json_object_get(h, "tlsa");
			char *recs[32];
			size_t n;
			if (!json_is_object(t))
				continue;
			snprintf(want, sizeof(want), " _25._tcp.%s TLSA +adflag",
			         json_string_value(json_object_get(h, "exchange")));
			line = find_line(r.out, want, NULL);
			assert_non_null(line);
			out = sh(line, &st);
			n = answers(out, "TLSA", recs, 32);
			assert_same_set(json_object_get(t, "records"), recs, n, line);
			assert_int_equal(strstr(out, " ad;") != NULL,
			                 json_is_true(json_object_get(t, "secure")));
			for (size_t q = 0; q < n; q++)
				free(recs[q]);
			free(out);
			free(line);
			tlsa_hosts++;
		}
		assert_int_equal(tlsa_hosts, cases[i].tlsa_hosts);
		hrun_free(&r);
		json_decref(j);
	}
}

/* --rcpt on the relay scenario: swaks says MAIL FROM:<>, RCPT TO and
 * stops, gets the RCPT reply mxscope got (250 from mx1, 550 from the
 * backup), and never says DATA; without --rcpt no line goes past EHLO. */
static void test_rcpt(void **state)
{
	const hlab *lab = *state;
	const char *extra[] = {"--rcpt", "postmaster", NULL};
	json_t *j, *h, *a;
	size_t k, q, n = 0;
	hrun r;
	counts c = {0};

	if (!have("swaks"))
		skip();
	j = json_and_commands(lab, "rcpt-relay.lab.test", extra, &r, &c);
	assert_int_equal(c.rcpt, 2);
	json_array_foreach(json_object_get(j, "mx"), k, h)
	{
		json_array_foreach(json_object_get(h, "addresses"), q, a)
		{
			json_t *rc = json_object_get(json_object_get(a, "probe"), "rcpt");
			char srv[64], *line, *out;
			int st;
			if (!rc)
				continue;
			snprintf(srv, sizeof(srv), "--server %s:%s ",
			         json_string_value(json_object_get(a, "ip")), lab->smtp_port);
			line = find_line(r.out, "swaks ", srv,
			                 " --from '<>' --to postmaster@rcpt-relay.lab.test",
			                 " --quit-after RCPT", NULL);
			assert_non_null(line);
			out = sh(line, &st);
			assert_int_equal(rcpt_reply(out),
			                 json_integer_value(json_object_get(rc, "code")));
			assert_null(strstr(out, "> DATA"));
			free(out);
			free(line);
			n++;
		}
	}
	assert_int_equal(n, 2);
	hrun_free(&r);
	json_decref(j);
	/* without --rcpt: no line goes past EHLO */
	assert_commands(lab, "rcpt-relay.lab.test", " --quit-after EHLO", "RCPT");
}

/* --ptr: dig -x gets the names mxscope kept, and the forward questions
 * find the address exactly where mxscope says forward-confirmed. */
static void test_ptr(void **state)
{
	const hlab *lab = *state;
	const char *extra[] = {"--ptr", NULL};
	json_t *j, *h, *a;
	size_t k, q, n = 0;
	hrun r;
	counts c = {0};

	if (!have("dig"))
		skip();
	j = json_and_commands(lab, "reverse.lab.test", extra, &r, &c);
	json_array_foreach(json_object_get(j, "mx"), k, h)
	{
		json_array_foreach(json_object_get(h, "addresses"), q, a)
		{
			json_t *p = json_object_get(a, "ptr"), *name;
			const char *ip = json_string_value(json_object_get(a, "ip"));
			char want[96], *line, *out, *names[16];
			size_t m, i;
			bool back = false;
			int st;
			if (!p)
				continue;
			snprintf(want, sizeof(want), " -x %s\n", ip);
			assert_non_null(strstr(r.out, want));
			want[strlen(want) - 1] = '\0';
			line = find_line(r.out, "dig ", want, NULL);
			out = sh(line, &st);
			m = answers(out, "PTR", names, 16);
			assert_same_set(json_object_get(p, "names"), names, m, line);
			for (size_t x = 0; x < m; x++)
				free(names[x]);
			free(out);
			free(line);
			json_array_foreach(json_object_get(p, "names"), i, name)
			{
				char *fwd[16];
				size_t f;
				snprintf(want, sizeof(want), " %s %s", json_string_value(name),
				         strchr(ip, ':') ? "AAAA" : "A");
				line = find_line(r.out, "dig ", want, NULL);
				assert_non_null(line);
				out = sh(line, &st);
				f = answers(out, strchr(ip, ':') ? "AAAA" : "A", fwd, 16);
				for (size_t x = 0; x < f; x++) {
					back |= strcmp(fwd[x], ip) == 0;
					free(fwd[x]);
				}
				free(out);
				free(line);
			}
			assert_int_equal(back,
			                 json_is_true(json_object_get(p, "forward_confirmed")));
			n++;
		}
	}
	assert_true(n >= 4);
	hrun_free(&r);
	json_decref(j);
	/* without --ptr: no reverse question */
	assert_commands(lab, "reverse.lab.test", NULL, " -x ");
}

/* --authoritative, against a lab of its own that is the zone's name
 * server: the NS question, then SOA and MX asked of it without recursion,
 * on --ns-port, get the serial, the AA bit and the MX set mxscope got. */
static void test_authoritative(void **state)
{
	const hlab *lab = *state, *own;
	char want[128], *line, *out;
	static const char zone[] = "$ORIGIN auth-cmd.test.\n$TTL 30\n$SCENARIO auth-cmd\n"
	                           "$TITLE a zone served by its own name server\n"
	                           "$DOMAIN auth-cmd.test.\n"
	                           "@ SOA ns1 hostmaster 2026112901 3600 600 86400 30\n"
	                           "@ NS ns1\n@ MX 10 mx\nns1 A 127.0.0.1\nmx A 127.0.54.10\n";
	void *own_state = NULL;
	json_error_t err;
	json_t *j, *e;
	hargv a;
	hrun r;
	counts c = {0};
	int st;

	if (!have("dig"))
		skip();
	h_lab_group_start(&own_state, NULL, zone);
	own = own_state;
	h_run(h_lab_check(&a, own, HA_NS, "--no-probe", "--authoritative", "--timeout", "2",
	                  "--json", "auth-cmd.test"),
	      NULL, 20000, &r);
	j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	hrun_free(&r);
	h_run(h_lab_check(&a, own, HA_NS, "--no-probe", "--authoritative", "--timeout", "2",
	                  "--commands", "auth-cmd.test"),
	      NULL, 20000, &r);
	e = json_array_get(json_object_get(j, "authoritative"), 0);
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "serial")), 2026112901);
	run_all(r.out, &c);
	assert_non_null(strstr(r.out, " auth-cmd.test NS\n"));
	snprintf(want, sizeof(want), "dig @127.0.0.1 -p %s auth-cmd.test SOA +norec",
	         own->dns_port);
	line = find_line(r.out, want, NULL);
	assert_non_null(line);
	out = sh(line, &st);
	assert_non_null(strstr(out, " 2026112901 "));
	assert_int_equal(strstr(out, "flags: qr aa;") != NULL,
	                 json_is_true(json_object_get(e, "aa")));
	free(out);
	free(line);
	snprintf(want, sizeof(want), "dig @127.0.0.1 -p %s auth-cmd.test MX +norec", own->dns_port);
	line = find_line(r.out, want, NULL);
	assert_non_null(line);
	out = sh(line, &st);
	{
		char *mx[8];
		size_t n = answers(out, "MX", mx, 8);
		assert_same_set(json_object_get(e, "mx"), mx, n, line);
		for (size_t i = 0; i < n; i++)
			free(mx[i]);
	}
	free(out);
	free(line);
	hrun_free(&r);
	json_decref(j);
	h_lab_group_teardown(&own_state);
	/* without --authoritative: nothing asked without recursion */
	assert_commands(lab, "single.lab.test", NULL, "+norec");
}

/* From a recording: replay --commands prints the sender stages' lines
 * from what the line holds (TLSA, DANE, RCPT, PTR, the policy), with the
 * resolver it recorded; and a SERVFAIL the resolver called bogus gets the
 * question again with CD set. */
static void test_replay_stages(void **state)
{
	const hlab *lab = *state;
	char dir[] = "/tmp/mxscope-cmd-XXXXXX", path[300], want[200];
	const char *extra[] = {"--rcpt", "postmaster", "--ptr", NULL};
	const char *args[] = {"replay", "--commands", path, NULL};
	hrun live, r;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.ndjson", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	check_run(lab, "--json", "dane-stale.lab.test", extra, &live);
	fputs(live.out, f);
	hrun_free(&live);
	check_run(lab, "--json", "sts-enforce.lab.test", NULL, &live);
	fputs(live.out, f);
	hrun_free(&live);
	fprintf(f, "{\"domain\":\"bogus.test\",\"mx_rcode\":\"SERVFAIL\",\"dnssec\":\"bogus\","
	           "\"seed\":1,\"mx\":[],\"recorded\":{\"resolver\":\"127.0.0.1:9\"}}\n");
	fclose(f);
	h_run(args, NULL, 10000, &r);
	snprintf(want, sizeof(want),
	         "dig @%s -p %s _25._tcp.mx1.dane-stale.lab.test TLSA +adflag\n", "127.0.0.1",
	         lab->dns_port);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "-dane_tlsa_rrdata '3 1 1 "));
	assert_non_null(strstr(r.out, "#   DANE: mxscope got mismatch against 1 TLSA record(s)\n"));
	assert_non_null(strstr(r.out, " --from '<>' --to postmaster@dane-stale.lab.test "
	                              "--quit-after RCPT -tls\n"));
	assert_non_null(strstr(r.out, " -x 127.0.71.1\n"));
	assert_non_null(strstr(r.out, "/.well-known/mta-sts.txt\n"));
	assert_non_null(strstr(r.out, "dig @127.0.0.1 -p 9 bogus.test MX +adflag\n"
	                              "# bogus.test: the MX question again with CD set"));
	assert_non_null(strstr(r.out, "dig @127.0.0.1 -p 9 bogus.test MX +adflag +cdflag\n"));
	hrun_free(&r);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* The command lines only, comments dropped: what a person would run. */
static char *command_lines(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;

	assert_non_null(out);
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
		if (*s != '#') {
			memcpy(o, s, len);
			o += len;
		}
		s += len;
	}
	return out;
}

/* A recording says how its run asked (EHLO name, policy and name-server
 * ports, --dane): replay --commands prints the very lines check --commands
 * printed in the live run, with every stage on. */
static void test_replay_same_lines(void **state)
{
	const hlab *lab = *state;
	char dir[] = "/tmp/mxscope-cmd-XXXXXX", path[300];
	const char *extra[] = {"--rcpt", "postmaster", "--ptr", "--authoritative", "--dane", NULL};
	/* a CA file is a path of this machine, not of the run: given again */
	const char *args[] = {"replay",      "--commands",   "--cafile", lab->ca,
	                      "--blocklist", lab->blocklist, path,       NULL};
	const char *const doms[] = {"sts-enforce.lab.test", "dane-stale.lab.test"};
	hrun live, r;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.ndjson", dir);
	for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
		char *want, *got;
		f = fopen(path, "w");
		assert_non_null(f);
		check_run(lab, "--json", doms[i], extra, &live);
		fputs(live.out, f);
		fclose(f);
		hrun_free(&live);
		check_run(lab, "--commands", doms[i], extra, &live);
		h_run(args, NULL, 10000, &r);
		want = command_lines(live.out);
		got = command_lines(r.out);
		assert_non_null(strstr(want, " --ehlo "));
		if (strcmp(want, got) != 0) {
			/* the first line that differs (cmocka cuts long messages) */
			size_t k = 0, line = 0;
			for (; want[k] && want[k] == got[k]; k++)
				line += want[k] == '\n';
			while (k && want[k - 1] != '\n')
				k--;
			fail_msg("%s: replay --commands differs from the live run at line %zu:\n"
			         "live:   %.300s\nreplay: %.300s",
			         doms[i], line + 1, want + k, got + k);
		}
		free(want);
		free(got);
		hrun_free(&live);
		hrun_free(&r);
	}
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dig_and_swaks),
	    cmocka_unit_test(test_openssl_verdicts),
	    cmocka_unit_test(test_curl_doh),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_curl_json_api_key),
	    cmocka_unit_test(test_mta_sts),
	    cmocka_unit_test(test_dane),
	    cmocka_unit_test(test_rcpt),
	    cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_authoritative),
	    cmocka_unit_test(test_replay_stages),
	    cmocka_unit_test(test_replay_same_lines),
	};
	return h_run_group(argc, argv, "commands", tests, sizeof(tests) / sizeof(tests[0]), setup,
	                   h_lab_group_teardown);
}
