/* tests/test_explain.c — `mxscope explain` end to end: the real binary
 * reads the real Postfix evidence in tests/data/evidence/ (regen.sh: a
 * private Postfix delivering to the lab's scenarios) and judges it against
 * a `mxscope lab --serve` process, whose trainer commands on stdin then
 * repair a scenario (not-reproduced) or change its MX (changed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

typedef struct fixture {
	hlab lab;
	int in, out; /* the lab's stdin (trainer commands) and stdout */
	char dir[64];
} fixture;

static char path_buf[8][512];

static const char *data(int slot, const char *name)
{
	const char *src = getenv("MXSCOPE_SRCDIR");
	snprintf(path_buf[slot], sizeof(path_buf[slot]), "%s/tests/data/evidence/%s",
	         src ? src : ".", name);
	return path_buf[slot];
}

static int setup(void **state)
{
	static fixture f;

	h_lab_start_io(&f.lab, NULL, &f.in, &f.out);
	snprintf(f.dir, sizeof(f.dir), "/tmp/mxscope-explain-XXXXXX");
	if (!mkdtemp(f.dir))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];

	close(f->in);
	close(f->out);
	h_lab_stop(&f->lab);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* A trainer command and its one answer line. */
static void trainer(fixture *f, const char *line)
{
	char got[1024];
	size_t len = 0;

	assert_int_equal(write(f->in, line, strlen(line)), (ssize_t)strlen(line));
	got[0] = '\0';
	for (int waited = 0; !strchr(got, '\n') && waited < 100 && len < sizeof(got) - 1;) {
		struct pollfd p = {.fd = f->out, .events = POLLIN};
		ssize_t k;
		if (poll(&p, 1, 100) <= 0) {
			waited++;
			continue;
		}
		if ((k = read(f->out, got + len, sizeof(got) - 1 - len)) <= 0)
			break;
		len += (size_t)k;
		got[len] = '\0';
	}
	if (strncmp(got, "trainer ok: ", 12) != 0) {
		print_error("trainer %s answered \"%s\"\n", line, got);
		fail();
	}
}

/* explain aimed at the lab: its DNS, its SMTP port, its CA, DANE on */
static void explain(const fixture *f, hrun *r, const char *stdin_data, bool json, ...)
{
	hargv a = {0};
	va_list ap;
	const char *w;

	h_argv(&a, "explain", "--allow-loopback", "-s", f->lab.server, "--smtp-port",
	       f->lab.smtp_port, "--cafile", f->lab.ca, "--dane", "--mta-sts-port",
	       f->lab.https_port, "--timeout", "1");
	if (json)
		h_argv(&a, "--json");
	va_start(ap, json);
	while ((w = va_arg(ap, const char *)))
		h_argv(&a, w);
	va_end(ap);
	h_run(a.v, stdin_data, 60000, r);
	if (r->status == 2 || r->status == 3)
		print_error("explain: %s", r->err);
}

/* The item of the JSON output at domain/ip/phase (ip NULL: none said). */
static json_t *item(const char *out, const char *domain, const char *ip, const char *phase,
                    const char *source_part)
{
	const char *s = out;
	json_t *found = NULL;

	while (*s && !found) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		json_error_t err;
		json_t *o = json_loadb(s, len, 0, &err);
		const char *d = json_string_value(json_object_get(o, "recipient_domain"));
		const char *i = json_string_value(json_object_get(o, "ip"));
		const char *p = json_string_value(json_object_get(o, "phase"));
		const char *src = json_string_value(json_object_get(o, "source"));
		if (d && p && strcmp(d, domain) == 0 && strcmp(p, phase) == 0 &&
		    (ip ? i && strcmp(i, ip) == 0 : !i) &&
		    (!source_part || (src && strstr(src, source_part))))
			found = o;
		else
			json_decref(o);
		s += len + (nl ? 1 : 0);
	}
	return found;
}

static void want(const char *out, const char *domain, const char *mx, const char *ip,
                 const char *phase, const char *verdict, const char *source_part)
{
	json_t *o = item(out, domain, ip, phase, source_part);

	if (!o) {
		print_error("no %s item for %s %s at %s in:\n%s\n", phase, domain, ip ? ip : "",
		            source_part ? source_part : "any", out);
		fail();
	}
	if (mx)
		assert_string_equal(json_string_value(json_object_get(o, "mx_host")), mx);
	if (strcmp(json_string_value(json_object_get(o, "verdict")), verdict) != 0) {
		print_error("%s %s %s: verdict %s, wanted %s (%s)\n", domain, ip ? ip : "", phase,
		            json_string_value(json_object_get(o, "verdict")), verdict,
		            json_string_value(json_object_get(o, "why")));
		fail();
	}
	json_decref(o);
}

/* every failing scenario the Postfix corpus holds: right domain, MX,
 * address and phase, and reproduced, whichever kind of evidence says it */
static void test_reproduced(void **state)
{
	fixture *f = *state;
	hrun r;
	json_t *sum;
	const char *last;

	explain(f, &r, NULL, true, data(0, "postfix-maillog"), data(1, "postfix-postqueue.json"),
	        data(2, "postfix-mailq.txt"), data(3, "postfix-bounces.mbox"),
	        data(4, "tlsrpt-dane-stale.json"), data(5, "tlsrpt-sts-testing.json.gz"), NULL);
	assert_int_equal(r.status, 1);
	/* maillog */
	want(r.out, "primary-down.lab.test", "mx1.primary-down.lab.test", "127.0.16.1", "connect",
	     "reproduced", "maillog");
	want(r.out, "tier-down.lab.test", "mx1.tier-down.lab.test", "127.0.17.1", "connect",
	     "reproduced", "maillog");
	want(r.out, "tier-down.lab.test", "mx2.tier-down.lab.test", "127.0.17.2", "greeting",
	     "reproduced", "maillog");
	want(r.out, "tempfail.lab.test", "mx1.tempfail.lab.test", "127.0.18.1", "greeting",
	     "reproduced", "maillog");
	want(r.out, "greylist.lab.test", "mx1.greylist.lab.test", "127.0.52.1", "greeting",
	     "reproduced", "maillog");
	want(r.out, "reject.lab.test", "mx2.reject.lab.test", "127.0.19.2", "greeting",
	     "reproduced", "maillog");
	want(r.out, "dane-stale.lab.test", "mx1.dane-stale.lab.test", "127.0.71.1", "tls-policy",
	     "reproduced", "maillog");
	want(r.out, "literal.lab.test", "127.0.7.1", "127.0.7.1", "connect", "reproduced",
	     "maillog");
	want(r.out, "missing.nxdomain.lab.test", NULL, NULL, "dns", "reproduced", "maillog");
	want(r.out, "noroute.lab.test", NULL, NULL, "dns", "reproduced", "maillog");
	want(r.out, "null.lab.test", NULL, NULL, "dns", "reproduced", "maillog");
	/* a bounce at DATA: mxscope never sends DATA, so it cannot say */
	want(r.out, "primary-down.lab.test", "mx2.primary-down.lab.test", "127.0.16.2", "data",
	     "cannot-check", "maillog");
	/* the queue, as postqueue -j and as mailq */
	want(r.out, "greylist.lab.test", "mx2.greylist.lab.test", "127.0.52.2", "greeting",
	     "reproduced", "postqueue.json");
	want(r.out, "reject.lab.test", "mx2.reject.lab.test", "127.0.19.2", "greeting",
	     "reproduced", "mailq.txt");
	/* the bounces Postfix sent */
	want(r.out, "greylist.lab.test", "mx2.greylist.lab.test", "127.0.52.2", "greeting",
	     "reproduced", "bounces.mbox");
	want(r.out, "missing.nxdomain.lab.test", NULL, NULL, "dns", "reproduced", "bounces.mbox");
	/* TLS-RPT, the DANE one and the gzip-compressed MTA-STS one */
	want(r.out, "dane-stale.lab.test", "mx1.dane-stale.lab.test", "127.0.71.1", "tls-policy",
	     "reproduced", "tlsrpt-dane-stale.json#policies[0]");
	want(r.out, "sts-testing.lab.test", "in.mail.sts-testing.lab.test", "127.0.61.1",
	     "tls-policy", "reproduced", "tlsrpt-sts-testing.json.gz#policies[0]");
	/* the last line is the summary */
	last = r.out + strlen(r.out) - 1;
	while (last > r.out && last[-1] != '\n')
		last--;
	sum = json_loads(last, 0, NULL);
	assert_non_null(sum);
	assert_true(json_is_true(json_object_get(sum, "summary")));
	assert_true(json_integer_value(json_object_get(sum, "reproduced")) >= 18);
	assert_int_equal(json_array_size(json_object_get(sum, "files")), 6);
	json_decref(sum);
	hrun_free(&r);
}

/* the text groups per domain and says who takes the mail */
static void test_text(void **state)
{
	fixture *f = *state;
	hrun r;

	explain(f, &r, NULL, false, data(0, "postfix-maillog"), NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\nprimary-down.lab.test\n  1 message attempt at "
	                              "mx1.primary-down.lab.test[127.0.16.1]:25, connect: "
	                              "Connection refused"));
	assert_non_null(strstr(r.out, "reproduced now: smtp-unreachable"));
	assert_non_null(strstr(r.out,
	                       "the backup mx2.primary-down.lab.test[127.0.16.2] accepts, so "
	                       "mail is queued, not lost"));
	assert_non_null(strstr(r.out, "2 messages attempt at mx1.greylist.lab.test[127.0.52.1], "
	                              "greeting, 421"));
	assert_non_null(strstr(r.out, "reproduced, 0 not reproduced"));
	hrun_free(&r);
}

/* one line of the maillog, on stdin */
static char *maillog_line(const char *needle)
{
	FILE *fp = fopen(data(6, "postfix-maillog"), "r");
	char line[2048], *got = NULL;

	assert_non_null(fp);
	while (!got && fgets(line, sizeof(line), fp))
		if (strstr(line, needle))
			got = strdup(line);
	fclose(fp);
	assert_non_null(got);
	return got;
}

#define GREYLIST_DEFERRED "to=<bob@greylist.lab.test>, relay=mx2.greylist.lab.test"

/* the trainer repairs the scenario: the same evidence is not reproduced */
static void test_repaired(void **state)
{
	fixture *f = *state;
	/* a "connect to" line names no recipient: its process's status line does */
	char *l1 = maillog_line("connect to mx1.primary-down.lab.test[127.0.16.1]:25");
	char *l2 = maillog_line("to=<bob@primary-down.lab.test>, relay=mx2");
	char *l3 = maillog_line(GREYLIST_DEFERRED);
	char *all = malloc(strlen(l1) + strlen(l2) + strlen(l3) + 1);
	hrun r;

	assert_non_null(all);
	sprintf(all, "%s%s%s", l1, l2, l3);
	explain(f, &r, all, true, "-", NULL);
	assert_int_equal(r.status, 1);
	want(r.out, "primary-down.lab.test", NULL, "127.0.16.1", "connect", "reproduced", "stdin");
	want(r.out, "greylist.lab.test", NULL, "127.0.52.2", "greeting", "reproduced", "stdin");
	hrun_free(&r);
	trainer(f, "behave 127.0.16.1 accept\n");
	trainer(f, "behave 127.0.52.2 accept\n");
	explain(f, &r, all, true, "-", NULL);
	/* nothing reproduced: exit 0 */
	assert_int_equal(r.status, 0);
	want(r.out, "primary-down.lab.test", NULL, "127.0.16.1", "connect", "not-reproduced",
	     "stdin");
	want(r.out, "greylist.lab.test", NULL, "127.0.52.2", "greeting", "not-reproduced", "stdin");
	assert_non_null(strstr(r.out, "greeted with 2xx"));
	hrun_free(&r);
	trainer(f, "reset\n");
	free(l1);
	free(l2);
	free(l3);
	free(all);
}

/* the trainer removes the MX the evidence names: changed */
static void test_mx_changed(void **state)
{
	fixture *f = *state;
	char *l = maillog_line(GREYLIST_DEFERRED);
	hrun r;

	trainer(f, "greylist.lab.test del-mx mx2\n");
	explain(f, &r, l, true, "-", NULL);
	assert_int_equal(r.status, 0);
	want(r.out, "greylist.lab.test", "mx2.greylist.lab.test", "127.0.52.2", "greeting",
	     "changed", "stdin");
	assert_non_null(
	    strstr(r.out, "mx2.greylist.lab.test is no longer an MX of greylist.lab.test"));
	hrun_free(&r);
	trainer(f, "reset\n");
	free(l);
}

/* a TLS-RPT report made when the host had other TLSA records: changed */
static void test_tlsa_changed(void **state)
{
	fixture *f = *state;
	FILE *in = fopen(data(0, "tlsrpt-dane-stale.json"), "r"), *out;
	char path[128], line[1024];
	hrun r;

	assert_non_null(in);
	snprintf(path, sizeof(path), "%s/old-tlsa.json", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		char *rec = strstr(line, "3 1 1 0a86");
		if (rec)
			memset(rec + 6, '0', 64);
		fputs(line, out);
	}
	fclose(in);
	fclose(out);
	explain(f, &r, NULL, true, path, NULL);
	assert_int_equal(r.status, 0);
	want(r.out, "dane-stale.lab.test", "mx1.dane-stale.lab.test", "127.0.71.1", "tls-policy",
	     "changed", "old-tlsa.json");
	assert_non_null(strstr(r.out,
	                       "the TLSA records of mx1.dane-stale.lab.test changed since the "
	                       "report"));
	hrun_free(&r);
}

/* the MTA-STS policy a TLS-RPT report names is not the domain's any more:
 * changed (the trainer puts the policy in enforce mode) */
static void test_sts_changed(void **state)
{
	fixture *f = *state;
	hrun r;

	trainer(f, "behave mta-sts.sts-testing.lab.test enforce\n");
	explain(f, &r, NULL, true, data(0, "tlsrpt-sts-testing.json.gz"), NULL);
	assert_int_equal(r.status, 0);
	want(r.out, "sts-testing.lab.test", "in.mail.sts-testing.lab.test", "127.0.61.1",
	     "tls-policy", "changed", "tlsrpt");
	assert_non_null(strstr(r.out,
	                       "the MTA-STS policy changed since the report (then: mode "
	                       "testing, mx *.mail.sts-testing.lab.test; now: mode enforce"));
	hrun_free(&r);
	trainer(f, "reset\n");
}

/* --replay judges against a recording: no network asked */
static void test_replay(void **state)
{
	fixture *f = *state;
	char rec[128];
	hargv a = {0};
	hrun r;

	snprintf(rec, sizeof(rec), "%s/rec.ndjson", f->dir);
	h_run(h_lab_check(&a, &f->lab, HA_PROBE, "--record", rec, "primary-down.lab.test"), NULL,
	      30000, &r);
	hrun_free(&r);
	memset(&a, 0, sizeof(a));
	/* -s at a port nobody answers: a replay must not need it */
	h_run(h_argv(&a, "explain", "--json", "-s", "127.0.0.1:9", "--replay", rec,
	             data(0, "postfix-maillog")),
	      NULL, 30000, &r);
	assert_int_equal(r.status, 1);
	want(r.out, "primary-down.lab.test", "mx1.primary-down.lab.test", "127.0.16.1", "connect",
	     "reproduced", "maillog");
	/* the domains the recording does not hold */
	want(r.out, "tempfail.lab.test", "mx1.tempfail.lab.test", "127.0.18.1", "greeting",
	     "cannot-check", "maillog");
	hrun_free(&r);
}

/* junk is counted and skipped with its line numbers, never fatal; bad
 * input and no input are usage errors */
static void test_bad_input(void **state)
{
	fixture *f = *state;
	char *l = maillog_line(GREYLIST_DEFERRED);
	char *text = malloc(strlen(l) + 100), gz[128];
	hargv a = {0};
	hrun r;
	FILE *fp;

	assert_non_null(text);
	sprintf(text, "junk line one\n%sjunk line three\n", l);
	explain(f, &r, text, true, "-", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"skipped\":2,\"skipped_lines\":[1,3]"));
	hrun_free(&r);
	explain(f, &r, text, false, "-", NULL);
	assert_non_null(
	    strstr(r.out, "stdin (postfix-log): 2 of 3 lines not read, skipped: line 1, 3"));
	hrun_free(&r);
	h_run(h_argv(&a, "explain"), NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "explain needs at least one FILE"));
	hrun_free(&r);
	memset(&a, 0, sizeof(a));
	snprintf(gz, sizeof(gz), "%s/cut.json.gz", f->dir);
	fp = fopen(gz, "wb");
	assert_non_null(fp);
	fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff", 1, 13, fp);
	fclose(fp);
	h_run(h_argv(&a, "explain", gz), NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "damaged gzip data"));
	hrun_free(&r);
	free(l);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reproduced),   cmocka_unit_test(test_text),
	    cmocka_unit_test(test_repaired),     cmocka_unit_test(test_mx_changed),
	    cmocka_unit_test(test_replay),       cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_tlsa_changed), cmocka_unit_test(test_sts_changed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
