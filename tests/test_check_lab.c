/* tests/test_check_lab.c — the real `mxscope check` against the real lab DNS
 * server (a separate `mxscope lab --serve` process on loopback): every shipped
 * scenario's tiers, attempt order and findings; streaming from -f and stdin;
 * bad input; an unreachable server; the lab command itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "probe.h"

typedef struct scen {
	const char *domain;
	const char *as;    /* --as, or NULL */
	const char *tiers; /* "10:mx1 20:mx2,mx3" host labels before the domain, sorted */
	size_t attempts;
	const char *findings; /* sorted codes, space separated */
	int exit_status;
	int null_mx, implicit_mx;
} scen;

/* clang-format off */
static const scen scenarios[] = {
	{"preference.lab.test", NULL, "10:mx1 20:mx2 30:mx3", 3, "backup-mx", 0, 0, 0},
	{"equal.lab.test", NULL, "10:mx1,mx2,mx3 20:backup", 4, "backup-mx", 0, 0, 0},
	{"implicit.lab.test", NULL, "0:implicit.lab.test", 2, "implicit-mx", 0, 0, 1},
	{"null.lab.test", NULL, "", 0, "null-mx", 0, 1, 0},
	{"null-mixed.lab.test", NULL, "10:mx1", 1, "null-mx-mixed single-mx", 1, 0, 0},
	{"cname.lab.test", NULL, "10:mail 20:mx2", 2, "backup-mx mx-cname", 0, 0, 0},
	{"literal.lab.test", NULL, "10:127.0.7.1 20:mx2", 1, "backup-mx mx-ip-literal", 1, 0, 0},
	{"dangling.lab.test", NULL, "10:gone 20:mx2", 1, "backup-mx mx-no-address", 1, 0, 0},
	{"duplicate.lab.test", NULL, "10:mx1 30:mx2", 2, "backup-mx mx-duplicate", 0, 0, 0},
	{"v6.lab.test", NULL, "10:mx1 20:dual", 3, "backup-mx", 0, 0, 0},
	{"many.lab.test", NULL,
	 "10:mx01,mx02,mx03,mx04,mx05,mx06,mx07,mx08 20:mx09,mx10,mx11,mx12,mx13,mx14,mx15,mx16 "
	 "30:mx17,mx18,mx19,mx20,mx21,mx22,mx23,mx24 40:mx25,mx26,mx27,mx28,mx29,mx30,mx31,mx32 "
	 "50:mx33,mx34,mx35,mx36,mx37,mx38,mx39,mx40",
	 40, "backup-mx", 0, 0, 0},
	{"relay.lab.test", NULL, "10:primary 20:backup1 30:backup2", 3, "backup-mx", 0, 0, 0},
	{"relay.lab.test", "backup1.relay.lab.test", "10:primary", 1, "backup-mx", 0, 0, 0},
	{"relay.lab.test", "backup2.relay.lab.test", "10:primary 20:backup1", 2, "backup-mx", 0, 0, 0},
	{"relay.lab.test", "primary.relay.lab.test", "", 0, "as-most-preferred backup-mx", 0, 0, 0},
	{"missing.nxdomain.lab.test", NULL, "", 0, "nxdomain", 1, 0, 0},
	{"single.lab.test", NULL, "10:mx", 1, "single-mx", 0, 0, 0},
	{"noroute.lab.test", NULL, "0:noroute.lab.test", 0, "no-mail-route", 1, 0, 1},
	{"backscatter.lab.test", NULL, "10:mx1 20:no-rcpt-check", 2, "backup-mx", 0, 0, 0},
	{"greylist.lab.test", NULL, "10:mx1 20:mx2", 2, "backup-mx", 0, 0, 0},
	{"srv.lab.test", NULL, "10:mail", 1, "single-mx", 0, 0, 0},
};
/* clang-format on */

static hlab lab;

static int setup(void **state)
{
	(void)state;
	h_lab_start(&lab, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_lab_stop(&lab);
	return 0;
}

/* "mx1.preference.lab.test" -> "mx1" relative to the domain; others whole. */
static const char *rel(const char *host, const char *domain, char *buf, size_t cap)
{
	size_t hl = strlen(host), dl = strlen(domain);

	if (hl > dl + 1 && strcmp(host + hl - dl, domain) == 0 && host[hl - dl - 1] == '.')
		snprintf(buf, cap, "%.*s", (int)(hl - dl - 1), host);
	else
		snprintf(buf, cap, "%s", host);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tiers_of(json_t *j, const char *domain, char *out, size_t cap)
{
	json_t *tiers = json_object_get(j, "tiers");
	out[0] = '\0';
	for (size_t t = 0; t < json_array_size(tiers); t++) {
		json_t *tier = json_array_get(tiers, t), *hosts = json_object_get(tier, "hosts");
		char *names[64], tmp[300];
		size_t n = json_array_size(hosts);
		assert_true(n <= 64);
		for (size_t k = 0; k < n; k++)
			names[k] = strdup(rel(json_string_value(json_array_get(hosts, k)), domain,
			                      tmp, sizeof(tmp)));
		qsort(names, n, sizeof(names[0]), cmp_str);
		snprintf(tmp, sizeof(tmp), "%s%lld:", t ? " " : "",
		         (long long)json_integer_value(json_object_get(tier, "preference")));
		strncat(out, tmp, cap - strlen(out) - 1);
		for (size_t k = 0; k < n; k++) {
			strncat(out, names[k], cap - strlen(out) - 1);
			if (k + 1 < n)
				strncat(out, ",", cap - strlen(out) - 1);
			free(names[k]);
		}
	}
}

static void codes_of(json_t *j, char *out, size_t cap)
{
	json_t *f = json_object_get(j, "findings");
	char *codes[64];
	size_t n = json_array_size(f);

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		codes[i] = (char *)json_string_value(json_object_get(json_array_get(f, i), "code"));
	qsort(codes, n, sizeof(codes[0]), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(out, codes[i], cap - strlen(out) - 2);
		if (i + 1 < n)
			strcat(out, " ");
	}
}

/* The attempt order follows the tiers: each tier's hosts in the JSON tier
 * order (the shuffle), each host's addresses in turn. */
static void check_order_follows_tiers(json_t *j)
{
	json_t *order = json_object_get(j, "attempt_order"), *tiers = json_object_get(j, "tiers");
	size_t at = 0;

	for (size_t t = 0; t < json_array_size(tiers); t++) {
		json_t *hosts = json_object_get(json_array_get(tiers, t), "hosts");
		for (size_t k = 0; k < json_array_size(hosts); k++) {
			const char *h = json_string_value(json_array_get(hosts, k));
			json_t *mx = json_object_get(j, "mx");
			size_t naddr = 0;
			for (size_t m = 0; m < json_array_size(mx); m++)
				if (strcmp(json_string_value(
				               json_object_get(json_array_get(mx, m), "exchange")),
				           h) == 0) {
					naddr = json_array_size(
					    json_object_get(json_array_get(mx, m), "addresses"));
					break;
				}
			for (size_t a = 0; a < naddr; a++, at++) {
				json_t *step = json_array_get(order, at);
				assert_non_null(step);
				assert_string_equal(
				    json_string_value(json_object_get(step, "host")), h);
				assert_int_equal(
				    json_integer_value(json_object_get(step, "preference")),
				    json_integer_value(
				        json_object_get(json_array_get(tiers, t), "preference")));
			}
		}
	}
	assert_int_equal(at, json_array_size(order));
}

static json_t *check_json(const char *domain, const char *as, const char *seed, hrun *r)
{
	const char *args[] = {"check", "--no-probe", "--json", "--allow-loopback", "--seed", seed,
	                      "-s",    lab.server,   domain,   as ? "--as" : NULL, as,       NULL};
	json_error_t err;
	json_t *j;

	h_run(args, NULL, 20000, r);
	j = json_loads(r->out, 0, &err);
	if (!j) {
		print_error("%s: not one JSON object: %s\nstdout: %s\nstderr: %s\n", domain,
		            err.text, r->out, r->err);
		fail();
	}
	return j;
}

static void test_every_scenario(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const scen *s = &scenarios[i];
		hrun r;
		json_t *j = check_json(s->domain, s->as, "11", &r);
		char got[1024];

		assert_string_equal(json_string_value(json_object_get(j, "domain")), s->domain);
		tiers_of(j, s->domain, got, sizeof(got));
		if (strcmp(got, s->tiers)) {
			print_error("%s (as %s): tiers \"%s\", want \"%s\"\n", s->domain, s->as,
			            got, s->tiers);
			fail();
		}
		codes_of(j, got, sizeof(got));
		if (strcmp(got, s->findings)) {
			print_error("%s (as %s): findings \"%s\", want \"%s\"\n", s->domain, s->as,
			            got, s->findings);
			fail();
		}
		assert_int_equal(json_array_size(json_object_get(j, "attempt_order")), s->attempts);
		check_order_follows_tiers(j);
		assert_int_equal(json_is_true(json_object_get(j, "null_mx")), s->null_mx);
		assert_int_equal(json_is_true(json_object_get(j, "implicit_mx")), s->implicit_mx);
		if (r.status != s->exit_status) {
			print_error("%s: exit %d, want %d; stderr: %s\n", s->domain, r.status,
			            s->exit_status, r.err);
			fail();
		}
		assert_string_equal(r.err, "");
		json_decref(j);
		hrun_free(&r);
	}
}

/* Details only DNS can give: the CNAME's canonical name, TTLs, IPv6 first. */
static void test_details(void **state)
{
	hrun r;
	json_t *j = check_json("cname.lab.test", NULL, "1", &r), *mx, *a;

	(void)state;
	mx = json_object_get(j, "mx");
	for (size_t i = 0; i < json_array_size(mx); i++) {
		json_t *h = json_array_get(mx, i);
		if (strcmp(json_string_value(json_object_get(h, "exchange")),
		           "mail.cname.lab.test") == 0)
			assert_string_equal(json_string_value(json_object_get(h, "cname")),
			                    "real.cname.lab.test");
		assert_int_equal(json_integer_value(json_object_get(h, "ttl")), 30);
	}
	json_decref(j);
	hrun_free(&r);

	j = check_json("v6.lab.test", NULL, "1", &r);
	a = json_object_get(j, "attempt_order");
	/* mx1 (10) ::1, then dual (20) ::1 before 127.0.10.2 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "ip")), "::1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "ip")), "::1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "ip")),
	                    "127.0.10.2");
	json_decref(j);
	hrun_free(&r);
}

/* The mail client services of srv.lab.test, sorted, "." kept; an empty
 * list for a domain without any. */
static void test_srv(void **state)
{
	static const struct {
		const char *service, *target;
		int priority, weight, port;
	} want[] = {
	    {"_imaps._tcp", "mail.srv.lab.test", 0, 1, 993},
	    {"_pop3._tcp", ".", 0, 0, 0},
	    {"_submission._tcp", "mail.srv.lab.test", 0, 1, 587},
	};
	hrun r;
	json_t *j = check_json("srv.lab.test", NULL, "1", &r), *srv;

	(void)state;
	srv = json_object_get(j, "srv");
	assert_int_equal(json_array_size(srv), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *o = json_array_get(srv, i);
		assert_string_equal(json_string_value(json_object_get(o, "service")),
		                    want[i].service);
		assert_string_equal(json_string_value(json_object_get(o, "target")),
		                    want[i].target);
		assert_int_equal(json_integer_value(json_object_get(o, "priority")),
		                 want[i].priority);
		assert_int_equal(json_integer_value(json_object_get(o, "weight")), want[i].weight);
		assert_int_equal(json_integer_value(json_object_get(o, "port")), want[i].port);
		assert_int_equal(json_integer_value(json_object_get(o, "ttl")), 30);
	}
	json_decref(j);
	hrun_free(&r);

	j = check_json("single.lab.test", NULL, "1", &r);
	srv = json_object_get(j, "srv");
	assert_true(json_is_array(srv));
	assert_int_equal(json_array_size(srv), 0);
	json_decref(j);
	hrun_free(&r);
}

/* One seed, one order; over seeds, every host of the equal tier leads. */
static void test_seed(void **state)
{
	char first_a[64] = "", seen[3][64] = {{0}};
	size_t nseen = 0;

	(void)state;
	for (int s = 0; s < 12; s++) {
		char seed[16], lead[64];
		hrun r;
		json_t *j;
		snprintf(seed, sizeof(seed), "%d", s);
		j = check_json("equal.lab.test", NULL, seed, &r);
		snprintf(
		    lead, sizeof(lead), "%s",
		    json_string_value(json_array_get(
		        json_object_get(json_array_get(json_object_get(j, "tiers"), 0), "hosts"),
		        0)));
		assert_int_equal(json_integer_value(json_object_get(j, "seed")), s);
		if (s == 0)
			snprintf(first_a, sizeof(first_a), "%s", lead);
		for (size_t k = 0; k <= nseen && k < 3; k++) {
			if (k == nseen) {
				snprintf(seen[nseen++], 64, "%s", lead);
				break;
			}
			if (strcmp(seen[k], lead) == 0)
				break;
		}
		json_decref(j);
		hrun_free(&r);
	}
	assert_int_equal(nseen, 3);
	{
		hrun r;
		json_t *j = check_json("equal.lab.test", NULL, "0", &r);
		assert_string_equal(
		    json_string_value(json_array_get(
		        json_object_get(json_array_get(json_object_get(j, "tiers"), 0), "hosts"),
		        0)),
		    first_a);
		json_decref(j);
		hrun_free(&r);
	}
}

/* Outside the lab, loopback addresses are not reachable from the Internet. */
static void test_non_public_without_lab_flag(void **state)
{
	const char *args[] = {"check",    "--no-probe",      "--json", "-s",
	                      lab.server, "single.lab.test", NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"code\":\"mx-non-public-address\""));
	assert_non_null(strstr(r.out, "\"subject\":\"127.0.14.1\""));
	hrun_free(&r);
}

static void test_text_report(void **state)
{
	const char *args[] = {"check",
	                      "--no-probe",
	                      "--ascii",
	                      "--seed",
	                      "3",
	                      "--allow-loopback",
	                      "-s",
	                      lab.server,
	                      "equal.lab.test",
	                      "dangling.lab.test",
	                      NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 20000, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "equal.lab.test  status ok"));
	assert_non_null(
	    strstr(r.out, "preference 10  (primary; equal preference, tried in random order)"));
	assert_non_null(strstr(r.out, "preference 20  (backup)"));
	assert_non_null(strstr(r.out, "Attempt order (seed 3)"));
	assert_non_null(strstr(r.out, "127.0.2.4"));
	assert_non_null(strstr(r.out, "mx-no-address: MX 10 gone.dangling.lab.test has no address: "
	                              "the name does not exist (NXDOMAIN) [RFC 5321 §5.1]"));
	for (const char *p = r.out; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	hrun_free(&r);
}

/* -f streams one line per domain, skips comments and blank lines, and names
 * the file and line of junk without stopping. */
static void test_file_and_stdin(void **state)
{
	char path[] = "/tmp/mxscope-test-XXXXXX";
	int fd = mkstemp(path);
	const char *list =
	    "# lab domains\n\npreference.lab.test\n  single.lab.test   # trailing comment\n"
	    "not a domain\nbad..name\nnull.lab.test\r\n";
	const char *args[] = {"check", "--no-probe", "--json", "--allow-loopback", "-s", lab.server,
	                      "-f",    path,         NULL};
	const char *args_stdin[] = {
	    "check", "--no-probe", "--json", "--allow-loopback", "-s", lab.server, "-f", "-", NULL};
	hrun r;
	size_t lines = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, list, strlen(list)), (ssize_t)strlen(list));
	close(fd);
	h_run(args, NULL, 20000, &r);
	for (char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3);
	assert_non_null(strstr(r.out, "\"domain\":\"null.lab.test\""));
	assert_non_null(strstr(r.err, ":5: expected one domain name per line"));
	assert_non_null(strstr(r.err, ":6: name \"bad..name\" has an empty label"));
	assert_int_equal(r.status, 2);
	hrun_free(&r);

	h_run(args_stdin, "single.lab.test\nequal.lab.test\n", 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"domain\":\"single.lab.test\""));
	assert_non_null(strstr(r.out, "\"domain\":\"equal.lab.test\""));
	hrun_free(&r);
	unlink(path);
}

/* Results stream: the first report arrives while stdin is still open. */
static void test_streaming(void **state)
{
	const char *args[] = {"check", "--no-probe", "--json", "--allow-loopback", "-s", lab.server,
	                      "-f",    "-",          NULL};
	int in_w, out_r, err_r, st;
	char buf[65536];
	size_t len = 0;
	pid_t pid = h_spawn(args, &in_w, &out_r, &err_r);
	struct pollfd p = {.fd = out_r, .events = POLLIN};

	(void)state;
	assert_int_equal(write(in_w, "single.lab.test\n", 16), 16);
	while (!memchr(buf, '\n', len) && poll(&p, 1, 5000) == 1) {
		ssize_t n = read(out_r, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	assert_non_null(strstr(buf, "\"domain\":\"single.lab.test\""));
	assert_int_equal(write(in_w, "equal.lab.test\n", 15), 15);
	close(in_w);
	while (poll(&p, 1, 5000) == 1) {
		ssize_t n = read(out_r, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	assert_non_null(strstr(buf, "\"domain\":\"equal.lab.test\""));
	close(out_r);
	close(err_r);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* --- probes: every SMTP scenario end to end ------------------------------ */

typedef struct probe_scen {
	const char *domain;
	const char *timeout;
	const char *delivered; /* host label, or NULL: nobody accepts */
	const char *findings;  /* sorted codes */
	const char *states;    /* "IP=state ..." for the addresses that matter */
	int exit_status;
} probe_scen;

/* clang-format off */
static const probe_scen probe_scenarios[] = {
	{"primary-down.lab.test", "1", "mx2", "backup-mx primary-unreachable smtp-unreachable",
	 "127.0.16.1=refused 127.0.16.2=accepted", 1},
	{"tier-down.lab.test", "1", "backup", "backup-mx primary-unreachable smtp-unreachable smtp-unreachable",
	 "127.0.17.1=refused 127.0.17.2=greeting-timeout 127.0.17.3=accepted", 1},
	{"tempfail.lab.test", "1", "mx2", "backup-mx primary-unreachable smtp-tempfail",
	 "127.0.18.1=tempfail 127.0.18.2=accepted", 1},
	{"reject.lab.test", "1", NULL, "backup-mx no-accepting-mx smtp-reject smtp-reject",
	 "127.0.19.1=rejected 127.0.19.2=rejected", 1},
	{"tarpit.lab.test", "4", "mx2", "backup-mx primary-unreachable smtp-slow-banner smtp-unreachable",
	 "127.0.20.1=greeting-timeout 127.0.20.2=accepted 127.0.20.3=accepted", 1},
	{"tls.lab.test", "2", "good", "backup-mx smtp-no-starttls tls-certificate-invalid tls-certificate-invalid tls-certificate-invalid",
	 "127.0.21.1=accepted 127.0.21.2=accepted 127.0.21.5=accepted", 0},
	{"hostile.lab.test", "2", "esc",
	 "backup-mx banner-name-mismatch smtp-unreachable smtp-unreachable smtp-unreachable tls-certificate-invalid",
	 "127.0.22.1=accepted 127.0.22.2=accepted 127.0.22.4=garbage 127.0.22.5=accepted 127.0.22.7=accepted", 0},
	{"backscatter.lab.test", "2", "mx1", "backup-mx smtp-no-starttls",
	 "127.0.51.1=accepted 127.0.51.2=accepted", 0},
	{"greylist.lab.test", "1", NULL, "backup-mx no-accepting-mx smtp-tempfail smtp-tempfail",
	 "127.0.52.1=tempfail 127.0.52.2=tempfail", 1},
	{"srv.lab.test", "1", "mail", "single-mx", "127.0.50.1=accepted", 0},
};
/* clang-format on */

static json_t *probe_of(json_t *j, const char *ip)
{
	json_t *mx = json_object_get(j, "mx");
	for (size_t m = 0; m < json_array_size(mx); m++) {
		json_t *addrs = json_object_get(json_array_get(mx, m), "addresses");
		for (size_t a = 0; a < json_array_size(addrs); a++)
			if (strcmp(
			        json_string_value(json_object_get(json_array_get(addrs, a), "ip")),
			        ip) == 0)
				return json_object_get(json_array_get(addrs, a), "probe");
	}
	return NULL;
}

static json_t *probe_json_run(const char *domain, const char *timeout, hrun *r)
{
	const char *args[] = {"check",       "--json",      "--allow-loopback",
	                      "--seed",      "1",           "--timeout",
	                      timeout,       "-s",          lab.server,
	                      "--smtp-port", lab.smtp_port, "--cafile",
	                      lab.ca,        domain,        NULL};
	json_error_t err;
	json_t *j;

	h_run(args, NULL, 30000, r);
	j = json_loads(r->out, 0, &err);
	if (!j) {
		print_error("%s: not JSON: %s\nstdout: %.300s\nstderr: %s\n", domain, err.text,
		            r->out, r->err);
		fail();
	}
	return j;
}

static void test_probe_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(probe_scenarios) / sizeof(probe_scenarios[0]); i++) {
		const probe_scen *s = &probe_scenarios[i];
		hrun r;
		json_t *j = probe_json_run(s->domain, s->timeout, &r), *to;
		char got[1024], buf[512], *save = NULL;

		to = json_object_get(j, "delivered_to");
		if (s->delivered) {
			char want[128];
			snprintf(want, sizeof(want), "%s.%s", s->delivered, s->domain);
			if (!json_is_object(to) ||
			    strcmp(json_string_value(json_object_get(to, "host")), want) != 0) {
				print_error("%s: delivered_to %s, want %s\n", s->domain,
				            json_is_object(to)
				                ? json_string_value(json_object_get(to, "host"))
				                : "null",
				            want);
				fail();
			}
		} else {
			assert_true(json_is_null(to));
		}
		codes_of(j, got, sizeof(got));
		if (strcmp(got, s->findings)) {
			print_error("%s: findings \"%s\", want \"%s\"\n", s->domain, got,
			            s->findings);
			fail();
		}
		snprintf(buf, sizeof(buf), "%s", s->states);
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(t, '=');
			json_t *p;
			*eq = '\0';
			p = probe_of(j, t);
			assert_non_null(p);
			if (strcmp(json_string_value(json_object_get(p, "state")), eq + 1)) {
				print_error("%s %s: state %s, want %s\n", s->domain, t,
				            json_string_value(json_object_get(p, "state")), eq + 1);
				fail();
			}
		}
		/* the transcript never carries a mail transaction */
		assert_null(strstr(r.out, "C: MAIL"));
		assert_null(strstr(r.out, "C: RCPT"));
		assert_null(strstr(r.out, "C: DATA"));
		assert_int_equal(r.status, s->exit_status);
		json_decref(j);
		hrun_free(&r);
	}
}

/* Every catalogue scenario, probes on, in one `check -f` run: where the mail
 * goes (the preference of delivered_to, -1 when no address accepts, -2 when
 * there is no walk at all) and how many attempts it takes. The list comes
 * from `lab --list`, so a new scenario without a row here fails. */
static void test_every_scenario_walk(void **state)
{
	static const struct {
		const char *domain;
		int pref, steps;
	} want[] = {
	    {"preference.lab.test", 10, 1},
	    {"equal.lab.test", 10, 1},
	    {"implicit.lab.test", 0, 1},
	    {"null.lab.test", -2, 0},
	    {"null-mixed.lab.test", 10, 1},
	    {"cname.lab.test", 10, 1},
	    {"literal.lab.test", 20, 1},
	    {"dangling.lab.test", 20, 1},
	    {"duplicate.lab.test", 10, 1},
	    {"v6.lab.test", 10, 1},
	    {"many.lab.test", 10, 1},
	    {"relay.lab.test", 10, 1},
	    {"missing.nxdomain.lab.test", -2, 0},
	    {"single.lab.test", 10, 1},
	    {"noroute.lab.test", -2, 0},
	    {"primary-down.lab.test", 20, 2},
	    {"tier-down.lab.test", 20, 3},
	    {"tempfail.lab.test", 20, 2},
	    {"reject.lab.test", -1, 2},
	    {"tarpit.lab.test", 20, 2},
	    {"tls.lab.test", 10, 1},
	    {"hostile.lab.test", 10, 1},
	    {"blocklisted.lab.test", 10, 1},
	    {"backscatter.lab.test", 10, 1},
	    {"srv.lab.test", 10, 1},
	    {"greylist.lab.test", -1, 2},
	};
	const char *list[] = {"lab", "--list", NULL};
	char path[] = "/tmp/mxscope-all-XXXXXX";
	const char *args[] = {
	    "check",       "--json",      "--allow-loopback", "--timeout", "4",  "-s", lab.server,
	    "--smtp-port", lab.smtp_port, "--cafile",         lab.ca,      "-f", path, NULL};
	size_t n = sizeof(want) / sizeof(want[0]), seen = 0;
	int fd = mkstemp(path);
	hrun r;

	(void)state;
	assert_true(fd >= 0);
	h_run(list, NULL, 10000, &r);
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[64], dom[128];
		if (sscanf(line, "%63s %127s", name, dom) != 2)
			continue;
		assert_true(write(fd, dom, strlen(dom)) > 0 && write(fd, "\n", 1) == 1);
	}
	close(fd);
	hrun_free(&r);
	h_run(args, NULL, 60000, &r);
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		json_t *j = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL), *to;
		const char *d;
		size_t i;
		int pref;
		if (!j)
			continue;
		d = json_string_value(json_object_get(j, "domain"));
		for (i = 0; i < n && strcmp(want[i].domain, d) != 0; i++)
			;
		if (i == n)
			fail_msg("scenario domain %s has no row in test_every_scenario_walk", d);
		to = json_object_get(j, "delivered_to");
		pref = !to ? -2
		       : json_is_null(to)
		           ? -1
		           : (int)json_integer_value(json_object_get(to, "preference"));
		if (pref != want[i].pref ||
		    (int)json_array_size(json_object_get(j, "walk")) != want[i].steps)
			fail_msg("%s: delivered at %d in %zu steps, want %d in %d", d, pref,
			         json_array_size(json_object_get(j, "walk")), want[i].pref,
			         want[i].steps);
		seen++;
		json_decref(j);
	}
	assert_int_equal(seen, n);
	hrun_free(&r);
	unlink(path);
}

/* Details of single probes: times, TLS against the MX name, EHLO. */
static void test_probe_details(void **state)
{
	hrun r;
	json_t *j = probe_json_run("tarpit.lab.test", "4", &r), *p;

	(void)state;
	/* slow 3: the report carries the 3 s the host made it wait (a floor the
	 * lab sets; how much longer it took is the machine's business) */
	p = probe_of(j, "127.0.20.2");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "accepted");
	assert_true(json_integer_value(
	                json_object_get(json_object_get(p, "times"), "greeting_ms")) >= 2900);
	/* tarpit: the greeting never completes, so the probe ends at its timeout */
	p = probe_of(j, "127.0.20.1");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "greeting-timeout");
	json_decref(j);
	hrun_free(&r);

	j = probe_json_run("tls.lab.test", "2", &r);
	p = probe_of(j, "127.0.21.1");
	assert_true(json_is_true(json_object_get(json_object_get(p, "tls"), "verified")));
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(p, "tls"), "subject")),
	           "good.tls.lab.test"));
	assert_non_null(strstr(json_string_value(json_object_get(p, "transcript")), "C: QUIT"));
	p = probe_of(j, "127.0.21.2");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(p, "tls"), "verify_error")),
	           "expired"));
	p = probe_of(j, "127.0.21.5");
	assert_true(json_is_false(json_object_get(json_object_get(p, "tls"), "offered")));
	json_decref(j);
	hrun_free(&r);
}

/* Hostile servers: bounded memory and time, nothing raw on the terminal. */
static void test_probe_hostile(void **state)
{
	const char *args[] = {
	    "check",    "--ascii",     "--allow-loopback", "--timeout", "2",    "-s",
	    lab.server, "--smtp-port", lab.smtp_port,      "--cafile",  lab.ca, "hostile.lab.test",
	    NULL};
	hrun r;
	json_t *j = probe_json_run("hostile.lab.test", "2", &r), *p;

	(void)state;
	p = probe_of(j, "127.0.22.1"); /* escape: kept raw in JSON, escaped by jansson */
	assert_non_null(strstr(json_string_value(json_object_get(p, "greeting")), "\x1b[2J"));
	assert_non_null(strstr(r.out, "\\u001B[2J")); /* jansson's escape */
	/* long-line never ends a line, so nothing is kept; mega's megabyte is cut */
	for (size_t i = 0; i < 2; i++) {
		const char *ip = i ? "127.0.22.6" : "127.0.22.3", *t;
		p = probe_of(j, ip);
		assert_string_equal(json_string_value(json_object_get(p, "state")), "garbage");
		t = json_string_value(json_object_get(p, "transcript"));
		assert_true(!t || strlen(t) <= PROBE_TRANSCRIPT_MAX);
	}
	assert_true(json_is_true(json_object_get(probe_of(j, "127.0.22.6"), "transcript_cut")));
	assert_true(r.maxrss_kb < 64 * 1024);
	json_decref(j);
	hrun_free(&r);

	h_run(args, NULL, 30000, &r);
	assert_non_null(strstr(r.out, "greets as other.invalid"));
	for (const char *c = r.out; *c; c++)
		assert_true((unsigned char)*c >= 0x20 || *c == '\n');
	assert_non_null(strstr(r.out, "\\x1b[2J"));
	assert_true(r.maxrss_kb < 64 * 1024);
	hrun_free(&r);
}

/* A reader that goes away (| head -1) ends the run at once and quietly,
 * with nothing leaked (the ASan build checks) though probes were running. */
static void test_reader_goes_away(void **state)
{
	const char *args[] = {
	    "check",       "--json",      "--allow-loopback", "--timeout", "3",  "-s", lab.server,
	    "--smtp-port", lab.smtp_port, "--cafile",         lab.ca,      "-f", "-",  NULL};
	int in_w, out_r, err_r, st;
	char buf[4096], err[4096] = "";
	pid_t pid = h_spawn(args, &in_w, &out_r, &err_r);
	struct pollfd p = {.fd = out_r, .events = POLLIN};
	ssize_t n;

	(void)state;
	for (int i = 0; i < 60; i++) {
		const char *d = i % 3 == 0   ? "single.lab.test\n"
		                : i % 3 == 1 ? "tier-down.lab.test\n"
		                             : "equal.lab.test\n";
		assert_true(write(in_w, d, strlen(d)) > 0);
	}
	close(in_w);
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_true(read(out_r, buf, sizeof(buf)) > 0);
	close(out_r);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	n = read(err_r, err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(err_r);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1 || err[0]) {
		print_error("status 0x%x, stderr \"%s\"\n", st, err);
		fail();
	}
}

/* Exit 3 with the server and the reason, within the timeout. */
static void test_unreachable_server(void **state)
{
	/* a timeout longer than the run's deadline: waiting it out would end
	 * in a kill (status -1), not in exit 3 */
	const char *args[] = {"check",       "--timeout",    "60", "-s",
	                      "127.0.0.1:1", "example.test", NULL};
	hrun r;

	(void)state;
	h_run(args, NULL, 30000, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "no DNS server answered (127.0.0.1:1)"));
	assert_non_null(strstr(r.err, "connection refused"));
	hrun_free(&r);
}

/* A server that swallows every question (a bound UDP socket nobody reads):
 * exit 3 after about the timeout, saying so. */
static void test_silent_server(void **state)
{
	char spec[32];
	const char *args[] = {"check", "--timeout", "1", "-s", spec, "example.test", NULL};
	int s = h_udp_socket(spec, sizeof(spec));
	hrun r;

	(void)state;
	h_run(args, NULL, 15000, &r);
	close(s);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "no valid reply within 1.0 s"));
	hrun_free(&r);
}

/* A server that answers every question with bytes that are not DNS (the
 * question's ID, then junk): c-ares drops such replies, so this ends like a
 * silent server, exit 3 naming the server. */
static void test_garbage_server(void **state)
{
	char spec[32];
	const char *args[] = {"check", "--timeout", "1", "-s", spec, "example.test", NULL};
	int s = h_udp_socket(spec, sizeof(spec));
	pid_t pid;
	hrun r;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 64; i++) {
			unsigned char q[512], a[40] = {0};
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(s, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			if (n < 12)
				continue;
			a[0] = q[0];
			a[1] = q[1];
			a[2] = 0x81;              /* a response ... */
			a[5] = 1;                 /* ... with one question ... */
			memset(a + 12, 0xff, 28); /* ... that is not a name */
			sendto(s, a, sizeof(a), 0, (struct sockaddr *)&from, fl);
		}
		_exit(0);
	}
	h_run(args, NULL, 15000, &r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(s);
	if (r.status != 3 || !strstr(r.err, spec) ||
	    !strstr(r.err, "no valid reply within 1.0 s")) {
		print_error("exit %d, stderr \"%s\"\n", r.status, r.err);
		fail();
	}
	hrun_free(&r);
}

/* Non-ASCII names are asked in their A-label form. */
static void test_idn(void **state)
{
	hrun r;
	json_t *j = check_json("b\xc3\xbc"
	                       "cher.lab.test",
	                       NULL, "1", &r);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "domain")),
	                    "xn--bcher-kva.lab.test");
	json_decref(j);
	hrun_free(&r);
}

/* A scenario with a syntax error: file, line and what was expected. */
static void test_bad_scenario(void **state)
{
	char path[] = "/tmp/mxscope-bad-XXXXXX.zone";
	int fd = mkstemps(path, 5);
	const char *text = "$SCENARIO bad\n$TITLE Bad\n$ORIGIN bad.test.\n$DOMAIN @\n@ MX ten mx\n";
	const char *args[] = {"lab", "--list", path, NULL};
	char want[80];
	hrun r;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	h_run(args, NULL, 10000, &r);
	snprintf(want, sizeof(want), "%s:5: expected a preference", path);
	if (r.status != 2 || !strstr(r.err, want)) {
		print_error("exit %d, stderr \"%s\", want \"%s\"\n", r.status, r.err, want);
		fail();
	}
	hrun_free(&r);
	unlink(path);
}

static void test_bad_input(void **state)
{
	static const struct {
		const char *args[8];
		const char *msg;
	} c[] = {
	    {{"check", "bad..name", NULL}, "empty label"},
	    {{"check", NULL}, "needs at least one DOMAIN"},
	    {{"check", "--seed", "x", "a.test", NULL}, "--seed \"x\""},
	    {{"check", "--timeout", "0", "a.test", NULL}, "--timeout \"0\""},
	    {{"check", "-s", "dns.example", "a.test", NULL}, "is not an IPv4 or IPv6 address"},
	    {{"check", "-s", "127.0.0.1:99999", "a.test", NULL}, "port must be a number"},
	    {{"check", "--frobnicate", "a.test", NULL}, "unknown option --frobnicate"},
	    {{"check", "-f", "/nonexistent/list", NULL}, "/nonexistent/list: cannot open"},
	    {{"lab", "--bind", "10.0.0.1", "--serve", NULL}, "not a loopback address"},
	    {{"lab", "no-such-scenario", NULL}, "no-such-scenario"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hrun r;
		h_run(c[i].args, NULL, 10000, &r);
		if (r.status != 2 || !strstr(r.err, c[i].msg) ||
		    strchr(r.err, '\n') != strrchr(r.err, '\n')) {
			print_error(
			    "case %zu: exit %d, stderr \"%s\", want 2 and \"%s\" on one line\n", i,
			    r.status, r.err, c[i].msg);
			fail();
		}
		hrun_free(&r);
	}
}

/* ---- blocklists --------------------------------------------------------- */

#define BL_KEY "chk-K3Y-never-shown"

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static void free_port(char *out, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	snprintf(out, cap, "%d", ntohs(sa.sin_port));
	close(s);
}

static json_t *address_of(json_t *j, const char *ip)
{
	json_t *mx = json_object_get(j, "mx");
	for (size_t i = 0; i < json_array_size(mx); i++) {
		json_t *addrs = json_object_get(json_array_get(mx, i), "addresses");
		for (size_t k = 0; k < json_array_size(addrs); k++) {
			json_t *a = json_array_get(addrs, k);
			if (strcmp(json_string_value(json_object_get(a, "ip")), ip) == 0)
				return a;
		}
	}
	fail_msg("no address %s in the report", ip);
	return NULL;
}

static bool has_finding(json_t *j, const char *code, const char *subject)
{
	json_t *f = json_object_get(j, "findings");
	for (size_t i = 0; i < json_array_size(f); i++) {
		json_t *o = json_array_get(f, i);
		if (strcmp(json_string_value(json_object_get(o, "code")), code) == 0 &&
		    strcmp(json_string_value(json_object_get(o, "subject")), subject) == 0)
			return true;
	}
	return false;
}

/* `check --blocklist ZONE@URL` against the lab's DoH endpoint: listed,
 * refused, failing, slow and silent addresses, in JSON and text, within
 * the timeout; and nothing at all without --blocklist. */
static void test_blocklists(void **state)
{
	char port[16], spec[96], dir[] = "/tmp/mxscope-bl-XXXXXX";
	const char *extra[] = {"--http-port", port, NULL};
	hlab bl;
	hrun r;
	json_t *j, *bls;
	static const char *const unavailable[] = {"127.0.40.4", "127.0.40.5", "127.0.40.6",
	                                          "127.0.40.7", "127.0.40.8", "127.0.40.9"};

	(void)state;
	/* no user config may switch a blocklist on behind the test's back */
	assert_non_null(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	free_port(port, sizeof(port));
	h_lab_start(&bl, extra);
	snprintf(spec, sizeof(spec), "bl.lab.test@http://127.0.0.1:%s/dns-query", port);
	{
		const char *args[] = {
		    "check", "--json",  "--no-probe",  "--timeout", "1",
		    "-s",    bl.server, "--blocklist", spec,        "blocklisted.lab.test",
		    NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_int_equal(r.status, 0); /* slow and silent end at the 1 s timeout, not the kill */
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(has_finding(j, "ip-listed", "127.0.40.2"));
	assert_true(has_finding(j, "ip-listed", "127.0.40.3"));
	assert_false(has_finding(j, "ip-listed", "127.0.40.1"));
	for (size_t i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++) {
		assert_true(has_finding(j, "blocklist-unavailable", unavailable[i]));
		assert_false(has_finding(j, "ip-listed", unavailable[i]));
	}
	bls = json_object_get(address_of(j, "127.0.40.2"), "blocklists");
	assert_int_equal(json_array_size(bls), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(bls, 0), "state")),
	                    "listed");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(json_array_get(bls, 0), "codes"), 0), "code")),
	    "127.0.0.2");
	bls = json_object_get(address_of(j, "127.0.40.1"), "blocklists");
	assert_string_equal(json_string_value(json_object_get(json_array_get(bls, 0), "state")),
	                    "not-listed");
	json_decref(j);
	hrun_free(&r);

	{
		const char *args[] = {
		    "check", "--no-color", "--no-probe",  "--timeout", "1",
		    "-s",    bl.server,    "--blocklist", spec,        "blocklisted.lab.test",
		    NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_non_null(strstr(r.out, "blocklist bl.lab.test: listed 127.0.0.2"));
	assert_non_null(strstr(r.out, "ip-listed: mx1.blocklisted.lab.test (10) at 127.0.40.2"));
	assert_non_null(strstr(r.out, "127.255.255.254"));
	hrun_free(&r);

	/* off by default */
	{
		const char *args[] = {
		    "check", "--json", "--no-probe", "-s", bl.server, "blocklisted.lab.test", NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "blocklists"));
	assert_null(strstr(r.out, "ip-listed"));
	hrun_free(&r);
	h_lab_stop(&bl);
	rmdir(dir);
	unsetenv("XDG_CONFIG_HOME");
}

/* A JSON provider from --config with its key in a file others can read: a
 * warning on stderr, and the key nowhere in what mxscope writes. */
static void test_blocklist_config(void **state)
{
	char port[16], path[] = "/tmp/mxscope-bl-config-XXXXXX", text[512];
	const char *extra[] = {"--http-port", port, NULL};
	hlab bl;
	hrun r;
	int fd;

	(void)state;
	free_port(port, sizeof(port));
	h_lab_start(&bl, extra);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text),
	         "# the lab's JSON API\n[blocklist api]\ntype = json\n"
	         "url = http://127.0.0.1:%s/api/check/{ip}\nheader = X-Api-Key: {key}\n"
	         "key = " BL_KEY "\nlisted-pointer = /listed\nreason-pointer = /reason\n",
	         port);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	{
		const char *args[] = {"check", "--json",      "--no-probe", "--timeout",
		                      "1",     "-s",          bl.server,    "--config",
		                      path,    "--blocklist", "api",        "blocklisted.lab.test",
		                      NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "holds an API key"));
	assert_non_null(strstr(r.err, "chmod 600"));
	assert_null(strstr(r.err, BL_KEY));
	assert_null(strstr(r.out, BL_KEY));
	assert_non_null(strstr(r.out, "\"ip-listed\""));
	assert_non_null(strstr(r.out, "HTTP 429 (rate limited)"));
	hrun_free(&r);

	/* usage errors name the option and exit 2, without the key */
	{
		static const char *const bad_specs[] = {"bl.lab.test@http://192.0.2.1/q", "nope"};
		for (size_t i = 0; i < 2; i++) {
			const char *args[] = {"check",    "--no-probe", "-s",          bl.server,
			                      "--config", path,         "--blocklist", bad_specs[i],
			                      "a.test",   NULL};
			h_run(args, NULL, 10000, &r);
			assert_int_equal(r.status, 2);
			assert_non_null(strstr(r.err, "--blocklist"));
			assert_null(strstr(r.err, BL_KEY));
			hrun_free(&r);
		}
	}
	{
		const char *args[] = {
		    "check", "--no-probe", "--config", "/nonexistent/mxscope.conf", "a.test", NULL};
		h_run(args, NULL, 10000, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "/nonexistent/mxscope.conf: cannot open"));
		hrun_free(&r);
	}
	unlink(path);
	h_lab_stop(&bl);
}

static void test_lab_port_in_use(void **state)
{
	char port[16];
	const char *args[] = {"lab", "--serve", "--port", port, NULL};
	hrun r;

	(void)state;
	snprintf(port, sizeof(port), "%d", lab.port);
	h_run(args, NULL, 10000, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, lab.server));
	assert_non_null(strstr(r.err, "address already in use"));
	assert_non_null(strstr(r.err, "--port"));
	hrun_free(&r);
}

static void test_lab_command(void **state)
{
	const char *list[] = {"lab", "--list", NULL};
	const char *report[] = {"lab", "--port", "0", "relay", "null-mx", NULL};
	hrun r;
	size_t lines = 0;

	(void)state;
	h_run(list, NULL, 10000, &r);
	assert_int_equal(r.status, 0);
	for (char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 26);
	assert_non_null(strstr(r.out, "equal.lab.test"));
	hrun_free(&r);

	h_run(report, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "== relay: "));
	assert_non_null(strstr(r.out, "-- the same, seen from backup1.relay.lab.test (--as) --"));
	assert_non_null(strstr(r.out, "Relay view as backup1.relay.lab.test"));
	assert_non_null(strstr(r.out, "== null-mx: "));
	assert_non_null(strstr(r.out, "null.lab.test  status ok (null MX: accepts no mail)"));
	hrun_free(&r);

	/* In `mxscope lab` the lab's TLS server and libcurl's handshakes share
	 * one thread (and OpenSSL's per-thread error queue): every kind of
	 * certificate must still come out as it does across processes. */
	{
		const char *tls[] = {"lab", "--ascii", "--port", "0", "tls", NULL};
		h_run(tls, NULL, 30000, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out,
		                       "127.0.21.1                              IPv4  ttl 30  220  "
		                       "accepted"));
		assert_non_null(strstr(r.out, "STARTTLS verified"));
		assert_null(strstr(r.out, "tls-failed"));
		assert_non_null(strstr(r.out, "delivered to good.tls.lab.test (10) 127.0.21.1"));
		hrun_free(&r);
	}
}

/* Other DNS tools can query the lab (dig comes with the set-up script). */
static void test_dig(void **state)
{
	char cmd[256], out[4096] = "";
	FILE *f;
	size_t n;

	(void)state;
	if (access("/usr/bin/dig", X_OK) != 0) {
		skip();
	}
	snprintf(cmd, sizeof(cmd), "dig +tcp +short -p %d @127.0.0.1 many.lab.test MX | wc -l",
	         lab.port);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	assert_int_equal(atoi(out), 40);
	snprintf(cmd, sizeof(cmd), "dig +norec -p %d @127.0.0.1 gone.dangling.lab.test A",
	         lab.port);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	assert_non_null(strstr(out, "status: NXDOMAIN"));
	assert_non_null(strstr(out, "flags: qr aa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_scenario),
	    cmocka_unit_test(test_details),
	    cmocka_unit_test(test_srv),
	    cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_non_public_without_lab_flag),
	    cmocka_unit_test(test_text_report),
	    cmocka_unit_test(test_file_and_stdin),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_reader_goes_away),
	    cmocka_unit_test(test_probe_scenarios),
	    cmocka_unit_test(test_every_scenario_walk),
	    cmocka_unit_test(test_probe_details),
	    cmocka_unit_test(test_probe_hostile),
	    cmocka_unit_test(test_unreachable_server),
	    cmocka_unit_test(test_silent_server),
	    cmocka_unit_test(test_garbage_server),
	    cmocka_unit_test(test_idn),
	    cmocka_unit_test(test_bad_scenario),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_lab_port_in_use),
	    cmocka_unit_test(test_lab_command),
	    cmocka_unit_test(test_blocklists),
	    cmocka_unit_test(test_blocklist_config),
	    cmocka_unit_test(test_dig),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
