/* tests/test_replay.c — recordings against the real binary and the lab
 * process (tests/harness.h): every catalogue scenario recorded with probes
 * and a blocklist on, read back by core/record and written again byte for
 * byte; `mxscope replay` with the lab gone shows what the live run showed;
 * bad and truncated lines are named by file and line and the rest is still
 * shown; --record appends whole lines. */
#include <fcntl.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "record.h"

static char dir[] = "/tmp/mxscope-replay-XXXXXX";
static char rec_path[300], text_path[300], live_text[300];
/* the same lab recorded with every opt-in stage: --rcpt, --ptr,
 * --authoritative, the MTA-STS policy port; and the domains `lab --list`
 * does not name (loop.cname.lab.test) */
static char full_path[300], full_domains[300];
static char *live_out;  /* the live run's text reports */
static char *live_json; /* a live check --json run's stdout, recorded into json_rec */
static char json_rec[300];
static char conf_dir[300]; /* $XDG_CONFIG_HOME/mxscope: the lab's blocklist provider */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* One run against the lab records every catalogue scenario (the list from
 * `lab --list`, so a new scenario is covered without a row here): the text
 * reports on stdout and, through --record, the recording. The lab is
 * stopped afterwards: every replay below runs with nothing to ask. */
static int setup(void **state)
{
	hlab lab;
	const char *list[] = {"lab", "--list", NULL};
	char spec[320];
	hrun r;
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(rec_path, sizeof(rec_path), "%s/run.ndjson", dir);
	snprintf(text_path, sizeof(text_path), "%s/domains", dir);
	snprintf(live_text, sizeof(live_text), "%s/live.txt", dir);
	h_lab_start(&lab, NULL);
	h_run(list, NULL, 10000, &r);
	f = fopen(text_path, "w");
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[64], dom[128];
		if (sscanf(line, "%63s %127s", name, dom) == 2)
			fprintf(f, "%s\n", dom);
	}
	fclose(f);
	hrun_free(&r);
	/* the lab's blocklist as a provider of the config file: the same zone
	 * and endpoint as --blocklist ZONE@URL, at a rate the lab can take
	 * (the default 10/s would make the runs wait on the bucket) */
	snprintf(conf_dir, sizeof(conf_dir), "%s/mxscope", dir);
	mkdir(conf_dir, 0700);
	snprintf(spec, sizeof(spec), "%s/config", conf_dir);
	{
		char conf[300];
		snprintf(conf, sizeof(conf),
		         "[blocklist bl.lab.test]\ntype = dnsbl-doh\nzone = bl.lab.test\n"
		         "url = http://%s/dns-query\nrate = 1000/s\n",
		         lab.http);
		write_file(spec, conf);
	}
	snprintf(json_rec, sizeof(json_rec), "%s/json.ndjson", dir);
	snprintf(full_path, sizeof(full_path), "%s/full.ndjson", dir);
	snprintf(full_domains, sizeof(full_domains), "%s/full-domains", dir);
	{
		char *doms = read_all(text_path);
		FILE *g = fopen(full_domains, "w");

		fprintf(g, "%sloop.cname.lab.test\n", doms);
		fclose(g);
		free(doms);
	}
	/* three independent runs at once, each one domain at a time as a
	 * sender would walk them (the lab's hosts probed by one client at a
	 * time): the wait is the slowest run's, not the three together */
	{
		hargv a[3];
		const char *const *argvs[3];
		hrun rs[3];

		argvs[0] = h_lab_check(&a[0], &lab, HA_PROBE, "--seed", "3", "--timeout", "4",
		                       "--blocklist", "bl.lab.test", "--no-color", "--concurrency",
		                       "1", "--record", rec_path, "-f", text_path);
		argvs[1] = h_lab_check(&a[1], &lab, HA_PROBE, "--seed", "3", "--timeout", "4",
		                       "--blocklist", "bl.lab.test", "--json", "--concurrency", "1",
		                       "--record", json_rec, "-f", text_path);
		argvs[2] =
		    h_lab_check(&a[2], &lab, HA_PROBE | HA_STS | HA_NS, "--seed", "3", "--timeout",
		                "4", "--rcpt", "postmaster", "--ptr", "--authoritative",
		                "--concurrency", "2", "--record", full_path, "-f", full_domains);
		h_run_many(argvs, 3, 90000, rs);
		live_out = rs[0].out;
		rs[0].out = NULL;
		live_json = rs[1].out;
		rs[1].out = NULL;
		for (size_t k = 0; k < 3; k++)
			hrun_free(&rs[k]);
	}
	h_lab_stop(&lab);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	free(live_out);
	free(live_json);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Every line of the recording at path read back and written again: the
 * same bytes; and the rebuilt model is the live one (the walk, the
 * findings, delivered_to, the sender walks are recomputed, not copied).
 * Returns the number of lines. */
static size_t round_trip(const char *path)
{
	char *all = read_all(path), *save = NULL;
	size_t n = 0;

	for (char *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		mx_domain *d = NULL;
		rec_meta m = {0};
		char *why = NULL, *again;

		if (rec_parse(line, strlen(line), &d, &m, &why) != MXS_OK) {
			print_error("%s:%zu: %s\n", path, n + 1, why);
			fail();
		}
		assert_true(m.present);
		assert_non_null(m.at);
		assert_true(m.allow_loopback);
		again = rec_line(d, &m);
		if (strcmp(again, line) != 0) {
			print_error("round trip differs:\n%s\n%s\n", line, again);
			fail();
		}
		free(again);
		rec_meta_clear(&m);
		mx_domain_free(d);
		n++;
	}
	free(all);
	return n;
}

static size_t count_lines(const char *path)
{
	char *doms = read_all(path);
	size_t want = 0;

	for (char *p = doms; (p = strchr(p, '\n')); p++)
		want++;
	free(doms);
	return want;
}

/* check --json -> core/record -> check --json: the same bytes, for every
 * scenario of the catalogue. */
static void test_round_trip_every_scenario(void **state)
{
	size_t n;

	(void)state;
	n = round_trip(rec_path);
	/* every scenario of the catalogue is in the recording */
	assert_true(n >= 26);
	assert_int_equal(n, count_lines(text_path));
}

/* The same with every opt-in stage on: the RCPT answers, PTR names, the
 * authoritative servers beside the resolver's answer, the MTA-STS policies
 * and the sender walks they change, a CNAME loop. The fields are really
 * there (a round trip of absent fields would prove nothing). */
static void test_round_trip_opt_in_stages(void **state)
{
	char *all;

	(void)state;
	assert_int_equal(round_trip(full_path), count_lines(full_domains));
	all = read_all(full_path);
	assert_non_null(
	    strstr(all, "\"rcpt\":{\"to\":\"postmaster@rcpt-relay.lab.test\",\"code\":550"));
	assert_non_null(strstr(all, "\"ptr\":{\"names\":[\"elsewhere.reverse.lab.test\"],"
	                            "\"forward_confirmed\":false"));
	assert_non_null(strstr(all, "\"code\":\"ptr-not-forward-confirmed\""));
	assert_non_null(strstr(all, "\"authoritative_zone\":{\"zone\":"));
	assert_non_null(strstr(all, "\"code\":\"authoritative-lame\""));
	assert_non_null(
	    strstr(all, "\"policy\":{\"mode\":\"enforce\",\"mx\":[\"mx1.sts-enforce.lab.test\"]"));
	assert_non_null(strstr(all, "\"code\":\"mta-sts-mx-not-covered\""));
	assert_non_null(strstr(all, "\"tls_rpt\":\"v=TLSRPTv1;"));
	assert_non_null(strstr(all, "\"cname_loop\":\""));
	assert_non_null(strstr(all, "\"code\":\"mx-cname-loop\""));
	assert_non_null(strstr(all, "\"code\":\"rcpt-rejected\""));
	assert_non_null(strstr(all, "\"end\":\"deferred\""));
	/* the DANE scenarios: a signed zone, TLSA records, a verdict, the chain */
	assert_non_null(strstr(all, "\"dnssec\":\"secure\""));
	assert_non_null(strstr(all, "\"tlsa\":{\"records\":[\"3 "));
	assert_non_null(strstr(all, "\"dane\":\"mismatch\""));
	assert_non_null(strstr(all, "\"dane\":\"match\""));
	assert_non_null(strstr(all, "\"chain\":[{\"subject\":"));
	free(all);
}

/* A line as `check --json --authoritative` writes it for a zone with a
 * stale secondary (tests/test_check_auth.c makes one live): the servers and
 * the resolver's cached answer are read back, the analysis finds the
 * mismatch again, and a second read and write gives the same line. A bad
 * member is named by its path. */
static void test_authoritative_line(void **state)
{
	static const char line[] =
	    "{\"domain\":\"stale.test\",\"mx_rcode\":\"NOERROR\",\"seed\":1,\"mx\":[{"
	    "\"preference\":10,\"exchange\":\"mx-old.stale.test\",\"ttl\":300,\"a_rcode\":"
	    "\"NOERROR\",\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"192.0.2.1\","
	    "\"family\":4,\"ttl\":300,\"ptr\":{\"names\":[\"Other.Example.\"],"
	    "\"forward_confirmed\":false,\"rcode\":\"NOERROR\"}}]}],\"authoritative\":[{\"ns\":"
	    "\"ns1.stale.test\",\"ip\":\"192.0.2.53\",\"serial\":2024060102,\"rcode\":"
	    "\"NOERROR\",\"aa\":true,\"mx\":[\"10 mx-new.stale.test\"],\"mx_rcode\":\"NOERROR\"},"
	    "{\"ns\":\"ns2.stale.test\",\"ip\":\"192.0.2.54\",\"serial\":2024060101,\"rcode\":"
	    "\"NOERROR\",\"aa\":true,\"mx\":[\"10 mx-old.stale.test\"],\"mx_rcode\":\"NOERROR\"}],"
	    "\"authoritative_zone\":{\"zone\":\"stale.test\",\"ns_rcode\":\"NOERROR\","
	    "\"resolver_rcode\":\"NOERROR\",\"resolver_mx\":[\"10 mx-old.stale.test\"],"
	    "\"resolver_ttl\":300},\"dnssec\":\"insecure\",\"mta_sts\":{\"txt\":\"v=STSv1; "
	    "id=1\",\"id\":\"1\",\"policy\":{\"mode\":\"testing\",\"mx\":[\"*.stale.test\"],"
	    "\"max_age\":86400}}}";
	mx_domain *d = NULL, *d2 = NULL;
	char *why = NULL, *once, *twice, *bad;
	int mismatch = 0, resolver = 0;

	(void)state;
	assert_int_equal(rec_parse(line, strlen(line), &d, NULL, &why), MXS_OK);
	for (size_t i = 0; i < mx_domain_finding_count(d); i++) {
		const mx_finding *f = mx_domain_finding(d, i);
		if (strcmp(f->code, "authoritative-mismatch") == 0 &&
		    strcmp(f->subject, "192.0.2.54") == 0)
			mismatch++;
		if (strcmp(f->code, "authoritative-mismatch") == 0 &&
		    strcmp(f->subject, "resolver") == 0 && strstr(f->message, "at most 300 s"))
			resolver++;
	}
	assert_int_equal(mismatch, 1);
	assert_int_equal(resolver, 1);
	assert_string_equal(mx_domain_mta_sts(d)->policy->mx[0], "*.stale.test");
	assert_int_equal(mx_domain_dnssec(d), MX_DNSSEC_INSECURE);
	once = rec_line(d, NULL);
	/* the PTR name comes back as the live stage keeps it */
	assert_non_null(strstr(once, "\"names\":[\"other.example\"]"));
	assert_non_null(strstr(once, "\"serial\":2024060101"));
	assert_int_equal(rec_parse(once, strlen(once), &d2, NULL, &why), MXS_OK);
	twice = rec_line(d2, NULL);
	assert_string_equal(once, twice);
	mx_domain_free(d);
	mx_domain_free(d2);
	free(once);
	free(twice);

	bad = strdup(line);
	memcpy(strstr(bad, "2024060101"), "\"20240601\"", 10);
	assert_int_equal(rec_parse(bad, strlen(bad), &d, NULL, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "authoritative[1].serial: expected a whole number"));
	free(why);
	why = NULL;
	free(bad);
	bad = strdup(line);
	memcpy(strstr(bad, "testing"), "strict!", 7);
	assert_int_equal(rec_parse(bad, strlen(bad), &d, NULL, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "mta_sts.policy.mode: unknown value \"strict!\""));
	free(why);
	free(bad);
}

/* The probes and blocklists are really in the recording (a round trip of
 * empty probes would prove nothing). */
static void test_recording_has_probes(void **state)
{
	char *all = read_all(rec_path);

	(void)state;
	assert_non_null(strstr(all, "\"state\":\"refused\""));
	assert_non_null(strstr(all, "\"state\":\"tempfail\""));
	assert_non_null(strstr(all, "\"provider\":\"bl.lab.test\""));
	assert_non_null(strstr(all, "\"delivered_to\":{"));
	free(all);
}

/* replay off a terminal, lab stopped: the same text reports the live run
 * printed (apart from the "Recorded" line naming when and whom it asked). */
static void test_replay_text_matches_live(void **state)
{
	const char *args[] = {"replay", "--no-color", rec_path, NULL};
	hrun r;
	size_t o = 0;
	char *filtered;

	(void)state;
	h_run(args, NULL, 20000, &r);
	filtered = malloc(strlen(r.out) + 1);
	for (char *line = r.out; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		if (strncmp(line, "Recorded ", 9) != 0) {
			memcpy(filtered + o, line, len);
			o += len;
		} else {
			assert_non_null(strstr(line, " asking 127.0.0.1:"));
		}
		line += len;
	}
	filtered[o] = '\0';
	if (strcmp(filtered, live_out) != 0) {
		write_file(live_text, filtered);
		print_error("replay differs from the live run (replay in %s)\n", live_text);
		fail();
	}
	/* the exit status says what check said: an error finding is 1 */
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "");
	free(filtered);
	hrun_free(&r);
}

/* --json replays the recording itself; options before the subcommand work. */
static void test_replay_json_is_the_recording(void **state)
{
	const char *args[] = {"--json", "replay", rec_path, NULL};
	char *all = read_all(rec_path);
	hrun r;

	(void)state;
	h_run(args, NULL, 20000, &r);
	assert_string_equal(r.out, all);
	hrun_free(&r);
	free(all);
}

/* Each line of NDJSON text as a JSON object, with its "recorded" object
 * (when and whom the run asked) taken out; *n of them. */
static json_t **lines_without_recorded(const char *text, size_t *n)
{
	json_t **v = NULL;
	size_t cap = 0;

	*n = 0;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_error_t e;
		json_t *o = json_loadb(line, len, 0, &e);
		if (!o)
			fail_msg("not JSON: %.*s (%s)", (int)len, line, e.text);
		json_object_del(o, "recorded");
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = o;
		line += len + (nl != NULL);
	}
	return v;
}

/* replay --json of a recording, lab stopped, prints for each domain what
 * the live check --json printed, field for field; the recording adds only
 * its "recorded" object. */
static void test_replay_json_matches_live(void **state)
{
	const char *args[] = {"replay", "--json", json_rec, NULL};
	json_t **live, **replayed;
	size_t nlive, nrep;
	hrun r;

	(void)state;
	h_run(args, NULL, 20000, &r);
	assert_string_equal(r.err, "");
	live = lines_without_recorded(live_json, &nlive);
	replayed = lines_without_recorded(r.out, &nrep);
	assert_true(nlive > 5);
	assert_int_equal(nrep, nlive);
	for (size_t i = 0; i < nlive; i++) {
		if (!json_equal(live[i], replayed[i])) {
			char *a = json_dumps(live[i], JSON_SORT_KEYS),
			     *b = json_dumps(replayed[i], JSON_SORT_KEYS);
			fail_msg("line %zu differs:\nlive   %s\nreplay %s", i + 1, a, b);
		}
		json_decref(live[i]);
		json_decref(replayed[i]);
	}
	free(live);
	free(replayed);
	hrun_free(&r);
}

/* A bad line and a truncated last line: one message each naming the file
 * and the line, every good line still shown, exit 2. */
static void test_bad_lines(void **state)
{
	char path[300], *all = read_all(rec_path), *text;
	char *first_nl = strchr(all, '\n'), *second;
	const char *args[] = {"replay", "--json", path, NULL};
	hrun r;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.ndjson", dir);
	assert_non_null(first_nl);
	second = first_nl + 1;
	len = (size_t)(strchr(second, '\n') - second);
	/* line 1 good, line 2 not JSON, line 3 good, line 4 a domain without
	 * a valid probe state, line 5 cut short (a crash while recording) */
	text = malloc(strlen(all) * 2 + 200);
	sprintf(text, "%.*s\nthis is not json\n%.*s\n", (int)(first_nl - all), all, (int)len,
	        second);
	strcat(text, "{\"domain\":\"x.test\",\"mx_rcode\":\"NOERROR\",\"mx\":[{\"preference\":1,"
	             "\"exchange\":\"a.x.test\",\"addresses\":[{\"ip\":\"127.0.0.1\",\"family\":4,"
	             "\"probe\":{\"port\":25,\"state\":\"bogus\"}}]}]}\n");
	strncat(text, second, len / 2);
	write_file(path, text);
	h_run(args, NULL, 20000, &r);
	assert_int_equal(r.status, 2);
	{
		char want[400];
		snprintf(want, sizeof(want), "%s:2: ", path);
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), "%s:4: mx[0].addresses[0].probe.state: unknown value",
		         path);
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), "%s:5: ", path);
		assert_non_null(strstr(r.err, want));
		assert_non_null(strstr(r.err, "truncated"));
	}
	/* three error lines, no more */
	{
		int nl = 0;
		for (char *p = r.err; *p; p++)
			nl += *p == '\n';
		assert_int_equal(nl, 3);
	}
	/* lines 1 and 3 are shown as they were */
	assert_int_equal(strncmp(r.out, all, (size_t)(first_nl - all + 1)), 0);
	assert_non_null(strstr(r.out, "\n") + 1);
	assert_int_equal(strncmp(strstr(r.out, "\n") + 1, second, len), 0);
	hrun_free(&r);
	free(text);
	free(all);
}

/* A file that cannot be read: one message, exit 2, never a hang (a FIFO). */
static void test_unreadable(void **state)
{
	char fifo[300];
	const char *a1[] = {"replay", "/nonexistent/rec.ndjson", NULL};
	const char *a2[] = {"replay", fifo, NULL};
	hrun r;

	(void)state;
	h_run(a1, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/nonexistent/rec.ndjson"));
	hrun_free(&r);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	h_run(a2, NULL, 10000, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, fifo));
	hrun_free(&r);
}

/* rec_append: whole lines after what is there, one write each. */
static void test_append(void **state)
{
	char path[300], *why = NULL, *all;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/append.ndjson", dir);
	write_file(path, "{\"first\":1}\n");
	fd = rec_open(path, &why);
	assert_true(fd >= 0);
	assert_int_equal(rec_append(fd, "{\"second\":2}", &why), MXS_OK);
	assert_int_equal(rec_append(fd, "{\"third\":3}", &why), MXS_OK);
	close(fd);
	all = read_all(path);
	assert_string_equal(all, "{\"first\":1}\n{\"second\":2}\n{\"third\":3}\n");
	free(all);
	assert_true(rec_open("/nonexistent/dir/x", &why) < 0);
	assert_non_null(strstr(why, "/nonexistent/dir/x"));
	free(why);
}

static json_t *by_domain(json_t *all, const char *text)
{
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, JSON_ALLOW_NUL, NULL);
		assert_non_null(j);
		json_object_set_new(all, json_string_value(json_object_get(j, "domain")), j);
	}
	free(copy);
	return all;
}

/* lab --from: the recording of the whole catalogue becomes one scenario
 * file; served by a new lab it gives every domain the same walk: the same
 * attempt order and the same delivered_to (and the same MX answer). */
static void test_lab_from_round_trip(void **state)
{
	char zone[300], *rec = read_all(rec_path);
	const char *from[] = {"lab", "--from", rec_path, NULL};
	json_t *before = by_domain(json_object(), rec), *after, *j;
	const char *name;
	hlab lab;
	hargv a;
	hrun r;
	FILE *f;

	(void)state;
	snprintf(zone, sizeof(zone), "%s/lesson.zone", dir);
	h_run(from, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	/* the findings are there for the trainer, as $EXPLAIN lines */
	assert_non_null(strstr(r.out, "$EXPLAIN primary-down.lab.test: "));
	assert_non_null(strstr(r.out, "[primary-unreachable]\n"));
	assert_non_null(strstr(r.out, "$SMTP 127.0.16.1 refuse"));
	assert_non_null(strstr(r.out, "$SMTP 127.0.18.1 tempfail"));
	assert_non_null(strstr(r.out, "$SMTP 127.0.21.2 accept tls=expired"));
	f = fopen(zone, "w");
	fputs(r.out, f);
	fclose(f);
	hrun_free(&r);
	{
		const char *extra[] = {zone, NULL};
		h_lab_start(&lab, extra);
	}
	h_run(h_lab_check(&a, &lab, HA_PROBE, "--json", "--seed", "3", "--timeout", "4", "-f",
	                  text_path),
	      NULL, 90000, &r);
	h_lab_stop(&lab);
	after = by_domain(json_object(), r.out);
	assert_int_equal(json_object_size(after), json_object_size(before));
	json_object_foreach(before, name, j)
	{
		json_t *k = json_object_get(after, name);
		static const char *const keys[] = {"mx_rcode", "attempt_order", "delivered_to"};
		assert_non_null(k);
		for (size_t i = 0; i < 3; i++)
			if (!json_equal(json_object_get(j, keys[i]), json_object_get(k, keys[i])) &&
			    json_object_get(j, keys[i])) {
				char *x = json_dumps(json_object_get(j, keys[i]), JSON_ENCODE_ANY),
				     *y = json_dumps(json_object_get(k, keys[i]), JSON_ENCODE_ANY);
				print_error("%s %s: recorded %s, from the lesson %s\n", name,
				            keys[i], x, y);
				free(x);
				free(y);
				fail();
			}
	}
	json_decref(before);
	json_decref(after);
	hrun_free(&r);
	free(rec);
}

/* An address from the Internet gets a loopback stand-in, said so. */
static void test_lab_from_stand_in(void **state)
{
	char path[300];
	const char *from[] = {"lab", "--from", path, NULL};
	hrun r;

	(void)state;
	snprintf(path, sizeof(path), "%s/public.ndjson", dir);
	write_file(path, "{\"domain\":\"example.com\",\"mx_rcode\":\"NOERROR\",\"seed\":1,"
	                 "\"mx\":[{\"preference\":10,\"exchange\":\"mx.example.com\",\"ttl\":"
	                 "3600,\"a_rcode\":\"NOERROR\",\"aaaa_rcode\":\"NODATA\",\"addresses\":"
	                 "[{\"ip\":\"192.0.2.10\",\"family\":4,\"ttl\":300,\"probe\":{\"state\":"
	                 "\"tempfail\",\"port\":25,\"code\":421}}]}]}\n");
	h_run(from, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "$SCENARIO public\n"));
	assert_non_null(strstr(r.out, "example.com. 3600 MX 10 mx.example.com.\n"));
	assert_non_null(
	    strstr(r.out, "mx.example.com. 300 A 127.77.0.2    ; 192.0.2.10 in the recording\n"));
	assert_non_null(strstr(r.out, "$SMTP 127.77.0.2 tempfail"));
	assert_null(strstr(r.out, "192.0.2.10 tempfail"));
	hrun_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_every_scenario),
	    cmocka_unit_test(test_round_trip_opt_in_stages),
	    cmocka_unit_test(test_authoritative_line),
	    cmocka_unit_test(test_recording_has_probes),
	    cmocka_unit_test(test_replay_text_matches_live),
	    cmocka_unit_test(test_replay_json_is_the_recording),
	    cmocka_unit_test(test_replay_json_matches_live),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_lab_from_round_trip),
	    cmocka_unit_test(test_lab_from_stand_in),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
