/* tests/test_diff.c — `mxscope diff OLD NEW` on recordings made by the real
 * binary against the lab process: a scenario before and after a trainer's
 * change (preference, a new host, a host that stops listening, a longer
 * TTL), two runs of the same scenario (the same: exit 0), text and --json,
 * and a bad file (exit 2, named by file and line); and the same change
 * typed as trainer commands on a served lab's stdin, bad lines included. */
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

static char dir[] = "/tmp/mxscope-diff-XXXXXX";
static char before[300], before2[300], after[300];

/* The zone is its own (SOA, NS at the lab's address: --authoritative asks
 * it), publishes an MTA-STS policy and the PTR of mx1. */
static const char zone_before[] = "$ORIGIN change.lab.test.\n"
                                  "$TTL 300\n"
                                  "$SCENARIO change\n"
                                  "$TITLE before the change\n"
                                  "$DOMAIN change.lab.test.\n"
                                  "@ SOA ns hostmaster 1 3600 600 86400 30\n"
                                  "@ NS ns\n"
                                  "@ MX 10 mx1\n"
                                  "@ MX 20 mx2\n"
                                  "ns A 127.0.0.1\n"
                                  "mx1 A 127.0.60.1\n"
                                  "mx2 A 127.0.60.2\n"
                                  "_mta-sts TXT \"v=STSv1; id=1\"\n"
                                  "mta-sts A 127.0.0.1\n"
                                  "$SMTP 127.0.60.1 accept tls=valid\n"
                                  "$SMTP 127.0.60.2 accept tls=valid\n"
                                  "$MTA-STS change.lab.test. mode=testing "
                                  "mx=mx1.change.lab.test max_age=86400\n"
                                  "$ORIGIN 60.0.127.in-addr.arpa.\n"
                                  "@ SOA ns.change.lab.test. hostmaster.change.lab.test. "
                                  "1 3600 600 86400 30\n"
                                  "1 PTR mx1.change.lab.test.\n";

/* the trainer's change: mx1 stops listening, mx2 moves to 30 and gets a
 * longer TTL, mx3 joins at 40; the policy is enforced and names mx3, not
 * mx2 (an MTA-STS sender now ends at mx3); mx1's PTR points elsewhere;
 * the serial goes up */
static const char zone_after[] = "$ORIGIN change.lab.test.\n"
                                 "$TTL 300\n"
                                 "$SCENARIO change\n"
                                 "$TITLE after the change\n"
                                 "$DOMAIN change.lab.test.\n"
                                 "@ SOA ns hostmaster 2 3600 600 86400 30\n"
                                 "@ NS ns\n"
                                 "@ MX 10 mx1\n"
                                 "@ MX 30 mx2\n"
                                 "@ MX 40 mx3\n"
                                 "ns A 127.0.0.1\n"
                                 "mx1 A 127.0.60.1\n"
                                 "mx2 3600 A 127.0.60.2\n"
                                 "mx3 A 127.0.60.3\n"
                                 "elsewhere A 127.0.60.99\n"
                                 "_mta-sts TXT \"v=STSv1; id=2\"\n"
                                 "mta-sts A 127.0.0.1\n"
                                 "$SMTP 127.0.60.1 refuse\n"
                                 "$SMTP 127.0.60.2 accept tls=valid\n"
                                 "$SMTP 127.0.60.3 accept tls=valid\n"
                                 "$MTA-STS change.lab.test. mode=enforce "
                                 "mx=mx1.change.lab.test mx=mx3.change.lab.test max_age=86400\n"
                                 "$ORIGIN 60.0.127.in-addr.arpa.\n"
                                 "@ SOA ns.change.lab.test. hostmaster.change.lab.test. "
                                 "1 3600 600 86400 30\n"
                                 "1 PTR elsewhere.change.lab.test.\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Serves zone and records change.lab.test into each of outs (one lab: the
 * same certificates for every run; a new lab makes new ones). */
static void write_zone(void)
{
	char zpath[300];

	snprintf(zpath, sizeof(zpath), "%s/zone", dir);
	write_file(zpath, zone_before);
}

/* One `check --record out` of change.lab.test against a running lab. */
static void record_one(const hlab *lab, const char *out)
{
	hargv a;
	hrun r;

	h_run(h_lab_check(&a, lab, HA_PROBE | HA_STS | HA_NS, "--seed", "5", "--timeout", "2",
	                  "--ptr", "--authoritative", "--rcpt", "postmaster", "--record", out,
	                  "change.lab.test"),
	      NULL, 30000, &r);
	if (r.status > 1) {
		print_error("check: %d %s\n", r.status, r.err);
		fail();
	}
	hrun_free(&r);
}

/* Serves zone and records change.lab.test into each of outs (one lab: the
 * same certificates for every run; a new lab makes new ones). */
static void record(const char *zone, const char *const *outs)
{
	char zpath[300];
	const char *extra[] = {zpath, NULL};
	hlab lab;

	snprintf(zpath, sizeof(zpath), "%s/zone", dir);
	write_file(zpath, zone);
	h_lab_start(&lab, extra);
	for (; *outs; outs++)
		record_one(&lab, *outs);
	h_lab_stop(&lab);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(before, sizeof(before), "%s/before.ndjson", dir);
	snprintf(before2, sizeof(before2), "%s/before2.ndjson", dir);
	snprintf(after, sizeof(after), "%s/after.ndjson", dir);
	{
		const char *b[] = {before, before2, NULL}, *a[] = {after, NULL};
		record(zone_before, b);
		record(zone_after, a);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Two runs of the same scenario: nothing changed, nothing printed (the
 * timings differ, the TTLs come from the authoritative lab). */
static void test_same(void **state)
{
	const char *args[] = {"diff", before, before2, NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	if (r.status != 0)
		print_error("out: %s\nerr: %s\n", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	hrun_free(&r);
}

static void test_changed_text(void **state)
{
	const char *args[] = {"diff", before, after, NULL};
	static const char *const want[] = {
	    "change.lab.test\n",
	    "  mx-preference          mx2.change.lab.test: 20 -> 30\n",
	    "  probe-state            mx1.change.lab.test 127.0.60.1: accepted -> refused\n",
	    "  address-ttl            mx2.change.lab.test 127.0.60.2: 300 -> 3600\n",
	    "  mx-added               mx3.change.lab.test: 40\n",
	    "  delivered-to           change.lab.test: mx1.change.lab.test (10) 127.0.60.1 -> "
	    "mx2.change.lab.test (30) 127.0.60.2\n",
	    "  finding-appeared       change.lab.test: primary-unreachable\n",
	    "  finding-appeared       127.0.60.1: smtp-unreachable\n",
	    /* where an MTA-STS sender (and a DANE-then-MTA-STS one, which
	     * falls back to MTA-STS without TLSA) ends: enforce skips mx2 now;
	     * a DANE-only sender applies no MTA-STS and goes where the plain
	     * walk goes */
	    "  sender-delivered-to    mta-sts: mx1.change.lab.test (10) 127.0.60.1 -> "
	    "mx3.change.lab.test (40) 127.0.60.3\n",
	    "  sender-delivered-to    dane: mx1.change.lab.test (10) 127.0.60.1 -> "
	    "mx2.change.lab.test (30) 127.0.60.2\n",
	    "  sender-delivered-to    dane-mta-sts: mx1.change.lab.test (10) 127.0.60.1 -> "
	    "mx3.change.lab.test (40) 127.0.60.3\n",
	    "  mta-sts-id             change.lab.test: 1 -> 2\n",
	    "  mta-sts-mode           change.lab.test: testing -> enforce\n",
	    "  mta-sts-mx             change.lab.test: mx1.change.lab.test -> mx1.change.lab.test "
	    "mx3.change.lab.test\n",
	    "  ptr                    mx1.change.lab.test 127.0.60.1: mx1.change.lab.test "
	    "(forward-confirmed) -> elsewhere.change.lab.test (not forward-confirmed)\n",
	    "  authoritative-serial   ns.change.lab.test 127.0.0.1: 1 -> 2\n",
	    /* each lab start makes new certificates (on the same keys): mx2's
	     * is another one */
	    "  certificate-fingerprint mx2.change.lab.test 127.0.60.2: ",
	};
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(r.out, want[i])) {
			print_error("missing: %sin:\n%s\n", want[i], r.out);
			fail();
		}
	/* a TTL that did not change is not reported, nor a key that did not */
	assert_null(strstr(r.out, "mx-ttl"));
	assert_null(strstr(r.out, "certificate-key"));
	hrun_free(&r);
}

static void test_changed_json(void **state)
{
	const char *args[] = {"diff", "--json", before, after, NULL};
	json_t *j, *c, *v;
	size_t i;
	bool seen_state = false, seen_added = false;
	hrun r;

	(void)state;
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "domain")), "change.lab.test");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "changed");
	c = json_object_get(j, "changes");
	json_array_foreach(c, i, v)
	{
		const char *what = json_string_value(json_object_get(v, "what"));
		if (strcmp(what, "probe-state") == 0) {
			assert_string_equal(json_string_value(json_object_get(v, "old")),
			                    "accepted");
			assert_string_equal(json_string_value(json_object_get(v, "new")),
			                    "refused");
			seen_state = true;
		}
		if (strcmp(what, "mx-added") == 0) {
			assert_true(json_is_null(json_object_get(v, "old")));
			seen_added = true;
		}
	}
	assert_true(seen_state && seen_added);
	json_decref(j);
	hrun_free(&r);
}

/* A domain only on one side; a bad line: exit 2 naming file and line. */
static void test_trouble(void **state)
{
	char bad[300], want[400];
	const char *args[] = {"diff", before, bad, NULL};
	const char *args2[] = {"diff", before, "/nonexistent/x.ndjson", NULL};
	hrun r;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/bad.ndjson", dir);
	write_file(bad, "\n{\"domain\":\"change.lab.test\",\"mx_rcode\":\"NOERROR\",\"mx\":[\n");
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want), "%s:2: ", bad);
	assert_non_null(strstr(r.err, want));
	/* what could be read is still compared: the domain is gone from NEW */
	assert_non_null(strstr(r.out, "change.lab.test  (only in OLD)"));
	hrun_free(&r);
	h_run(args2, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/nonexistent/x.ndjson"));
	hrun_free(&r);
}

/* TTL noise: a cached TTL counts down; within the time between the two
 * recordings it is the same record, beyond it a change. */
static void test_ttl_noise(void **state)
{
	char a[300], b[300], c[300];
	const char *same[] = {"diff", a, b, NULL}, *changed[] = {"diff", a, c, NULL};
	static const char fmt[] =
	    "{\"domain\":\"ttl.test\",\"mx_rcode\":\"NOERROR\",\"seed\":1,\"mx\":[{"
	    "\"preference\":10,\"exchange\":\"mx.ttl.test\",\"ttl\":%d,\"a_rcode\":"
	    "\"NOERROR\",\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"192.0.2.1\","
	    "\"family\":4,\"ttl\":%d}]}],\"recorded\":{\"at\":\"%s\"}}\n";
	char line[1000];
	hrun r;

	(void)state;
	snprintf(a, sizeof(a), "%s/ttl-a.ndjson", dir);
	snprintf(b, sizeof(b), "%s/ttl-b.ndjson", dir);
	snprintf(c, sizeof(c), "%s/ttl-c.ndjson", dir);
	snprintf(line, sizeof(line), fmt, 3600, 300, "2026-01-01T10:00:00Z");
	write_file(a, line);
	/* 60 s later, both TTLs 60 s lower: a cache counting down */
	snprintf(line, sizeof(line), fmt, 3540, 240, "2026-01-01T10:01:00Z");
	write_file(b, line);
	/* 60 s later, the A TTL went from 300 to 30: a real change */
	snprintf(line, sizeof(line), fmt, 3540, 30, "2026-01-01T10:01:00Z");
	write_file(c, line);
	h_run(same, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	hrun_free(&r);
	h_run(changed, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "address-ttl            mx.ttl.test 192.0.2.1: 300 -> 30\n"));
	assert_null(strstr(r.out, "mx-ttl"));
	hrun_free(&r);
}

/* What the lab of this branch cannot serve yet (signed zones, TLSA): two
 * lines as `check --json` writes them, a day apart. The MX answer went from
 * secure to insecure, the TLSA record was rolled, the certificate no longer
 * matches it, and the host now refuses the recipient. */
static void test_dnssec_tlsa_dane_rcpt(void **state)
{
	char a[300], b[300], line[2000];
	const char *args[] = {"diff", a, b, NULL};
	static const char fmt[] =
	    "{\"domain\":\"dane.test\",\"mx_rcode\":\"NOERROR\",\"seed\":1,\"mx\":[{"
	    "\"preference\":10,\"exchange\":\"mx.dane.test\",\"ttl\":300,\"a_rcode\":\"NOERROR\","
	    "\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"192.0.2.1\",\"family\":4,\"ttl\":"
	    "300,"
	    "\"probe\":{\"state\":\"accepted\",\"port\":25,\"code\":220,\"ehlo\":[\"STARTTLS\"],"
	    "\"tls\":{\"offered\":true,\"done\":true,\"verified\":true,\"chain\":[{"
	    "\"spki_sha256\":\"%s\"}]},\"dane\":\"%s\",\"rcpt\":{"
	    "\"to\":\"postmaster@dane.test\",\"code\":%d,\"reply\":\"x\"}}}],\"tlsa\":{\"records\":"
	    "["
	    "\"3 1 1 %s\"],\"secure\":%s}}],\"dnssec\":\"%s\",\"recorded\":{\"at\":\"%s\"}}\n";
	static const char *const want[] = {
	    "  certificate-key        mx.dane.test 192.0.2.1: c1 -> c2\n",
	    "  dane                   mx.dane.test 192.0.2.1: match -> mismatch\n",
	    "  rcpt-code              mx.dane.test 192.0.2.1: 250 -> 550\n",
	    "  tlsa                   mx.dane.test: 3 1 1 aa (secure) -> 3 1 1 bb (insecure)\n",
	    "  dnssec                 dane.test: secure -> insecure\n",
	};
	hrun r;

	(void)state;
	snprintf(a, sizeof(a), "%s/dane-a.ndjson", dir);
	snprintf(b, sizeof(b), "%s/dane-b.ndjson", dir);
	snprintf(line, sizeof(line), fmt, "c1", "match", 250, "aa", "true", "secure",
	         "2026-01-01T10:00:00Z");
	write_file(a, line);
	snprintf(line, sizeof(line), fmt, "c2", "mismatch", 550, "bb", "false", "insecure",
	         "2026-01-02T10:00:00Z");
	write_file(b, line);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(r.out, want[i])) {
			print_error("missing: %sin:\n%s\nerr: %s\n", want[i], r.out, r.err);
			fail();
		}
	/* the same file twice: nothing */
	hrun_free(&r);
	{
		const char *same[] = {"diff", a, a, NULL};
		h_run(same, NULL, 10000, &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "");
	}
	hrun_free(&r);
}

/* Sends trainer lines to a served lab and reads its stdout until `want`
 * answer lines ("trainer ok: ..." or "trainer error: ...") have come; the
 * answers, in order, into got. */
static void trainer_send(int in, int out, const char *lines, int want, char *got, size_t cap)
{
	size_t len = 0;
	int n = 0;

	assert_int_equal(write(in, lines, strlen(lines)), (ssize_t)strlen(lines));
	got[0] = '\0';
	for (int waited = 0; n < want && waited < 100 && len < cap - 1;) {
		struct pollfd p = {.fd = out, .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, 100) <= 0) {
			waited++;
			continue;
		}
		k = read(out, got + len, cap - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		got[len] = '\0';
		n = 0;
		for (const char *c = got; (c = strchr(c, '\n')); c++)
			n++;
	}
	if (n < want) {
		print_error("wanted %d trainer answers, got: \"%s\"\n", want, got);
		fail();
	}
}

/* One served lab, a recording, the trainer's
 * change typed on the lab's stdin (mx1 down, mx2 moved to 30), a second
 * recording, and diff says exactly that. */
static void test_trainer_change(void **state)
{
	char zpath[300], got[2048], old[300], new[300];
	const char *extra[] = {zpath, NULL};
	const char *diff[] = {"diff", old, new, NULL};
	static const char *const want[] = {
	    "change.lab.test\n",
	    "  mx-preference          mx2.change.lab.test: 20 -> 30\n",
	    "  probe-state            mx1.change.lab.test 127.0.60.1: accepted -> refused\n",
	    "  delivered-to           change.lab.test: mx1.change.lab.test (10) 127.0.60.1 -> "
	    "mx2.change.lab.test (30) 127.0.60.2\n",
	};
	int in, out;
	hlab lab;
	hrun r;

	(void)state;
	snprintf(zpath, sizeof(zpath), "%s/zone", dir);
	snprintf(old, sizeof(old), "%s/served-before.ndjson", dir);
	snprintf(new, sizeof(new), "%s/served-after.ndjson", dir);
	write_zone();
	h_lab_start_io(&lab, extra, &in, &out);
	record_one(&lab, old);
	trainer_send(in, out, "change.lab.test pref mx2 30\ndown 127.0.60.1\n", 2, got,
	             sizeof(got));
	assert_non_null(strstr(got, "trainer ok: change.lab.test: MX 30 mx2.change.lab.test"));
	assert_non_null(strstr(got, "\ntrainer ok: "));
	record_one(&lab, new);
	close(in);
	close(out);
	h_lab_stop(&lab);

	h_run(diff, NULL, 10000, &r);
	assert_int_equal(r.status, 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(r.out, want[i])) {
			print_error("missing: %sin:\n%s\n", want[i], r.out);
			fail();
		}
	/* nothing else was touched: no record came or went */
	assert_null(strstr(r.out, "mx-added"));
	assert_null(strstr(r.out, "mx-removed"));
	hrun_free(&r);
}

/* A bad line is answered with what was wrong, changes nothing, and the lab
 * serves on: the next good line works and a check still reaches mx1. */
static void test_trainer_bad_line(void **state)
{
	char zpath[300], got[2048], rec[300];
	const char *extra[] = {zpath, NULL};
	int in, out;
	hlab lab;
	FILE *f;
	char line[65536];
	bool accepted = false;

	(void)state;
	snprintf(zpath, sizeof(zpath), "%s/zone", dir);
	snprintf(rec, sizeof(rec), "%s/served-bad.ndjson", dir);
	write_zone();
	h_lab_start_io(&lab, extra, &in, &out);
	trainer_send(in, out, "change.lab.test frobnicate mx2\nchange.lab.test pref mx2\n", 2, got,
	             sizeof(got));
	assert_non_null(strstr(got, "trainer error: unknown command \"frobnicate\""));
	assert_non_null(strstr(got, "\ntrainer error: usage: pref HOST N\n"));
	trainer_send(in, out, "up 127.0.60.1\n", 1, got, sizeof(got));
	assert_string_equal(got, "trainer ok: 127.0.60.1 is up again\n");
	record_one(&lab, rec);
	close(in);
	close(out);
	h_lab_stop(&lab);
	/* the bad lines changed nothing: mail still ends at mx1 */
	f = fopen(rec, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *ip =
		    json_string_value(json_object_get(json_object_get(o, "delivered_to"), "ip"));

		if (json_object_get(o, "domain") && ip && strcmp(ip, "127.0.60.1") == 0)
			accepted = true;
		json_decref(o);
	}
	fclose(f);
	assert_true(accepted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same),           cmocka_unit_test(test_changed_text),
	    cmocka_unit_test(test_changed_json),   cmocka_unit_test(test_trouble),
	    cmocka_unit_test(test_trainer_change), cmocka_unit_test(test_trainer_bad_line),
	    cmocka_unit_test(test_ttl_noise),      cmocka_unit_test(test_dnssec_tlsa_dane_rcpt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
