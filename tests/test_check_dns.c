/* tests/test_check_dns.c — the real `mxscope check --no-probe` against the
 * real lab DNS server (a separate `mxscope lab --serve` process on loopback):
 * every shipped scenario's tiers, attempt order and findings; CNAMEs, TTLs,
 * IPv6, SRV, the seed, IDN, the text report, and dig against the lab. */
#include <arpa/inet.h>
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

#include "check_json.h"
#include "harness.h"

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
	/* a CNAME loop is called one, not "an alias for b: point the MX at b" */
	{"loop.cname.lab.test", NULL, "10:a 20:mx2.cname.lab.test", 1, "backup-mx mx-cname-loop", 1, 0, 0},
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
			unsigned char bin[16];
			/* a numeric MX target is probed (Postfix connects to it) but
			 * the plain walk tries none of it */
			if (inet_pton(AF_INET, h, bin) == 1 || inet_pton(AF_INET6, h, bin) == 1)
				continue;
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

static void test_every_scenario(void **state)
{
	const hlab *lab = *state;

	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const scen *s = &scenarios[i];
		hrun r;
		json_t *j = check_json(lab, s->domain, s->as, "11", &r);
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
	const hlab *lab = *state;
	hrun r;
	json_t *j = check_json(lab, "cname.lab.test", NULL, "1", &r), *mx, *a;

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

	j = check_json(lab, "v6.lab.test", NULL, "1", &r);
	a = json_object_get(j, "attempt_order");
	/* mx1 (10) ::1, then dual (20) ::1 before 127.0.10.2 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "ip")), "::1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "ip")), "::1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "ip")),
	                    "127.0.10.2");
	json_decref(j);
	hrun_free(&r);
}

/* -4 asks only A, -6 only AAAA: v6.lab.test's dual-stack host keeps one
 * address, the other family reads "not asked", and only that family is in
 * the attempt order (so only it is probed). */
static void test_one_family(void **state)
{
	const hlab *lab = *state;

	for (int fam = 4; fam <= 6; fam += 2) {
		hargv args;
		json_error_t err;
		json_t *j, *a, *mx;
		hrun r;

		h_run(h_lab_check(&args, lab, 0, "--no-probe", "--json", fam == 4 ? "-4" : "-6",
		                  "v6.lab.test"),
		      NULL, 20000, &r);
		j = json_loads(r.out, 0, &err);
		if (!j)
			fail_msg("-%d: not JSON: %s\nstderr: %s", fam, err.text, r.err);
		a = json_object_get(j, "attempt_order");
		assert_int_equal(json_array_size(a), fam == 4 ? 1 : 2);
		for (size_t i = 0; i < json_array_size(a); i++)
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(a, i), "ip")),
			    fam == 4 ? "127.0.10.2" : "::1");
		mx = json_object_get(j, "mx");
		for (size_t i = 0; i < json_array_size(mx); i++)
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(mx, i),
			                                      fam == 4 ? "aaaa_rcode" : "a_rcode")),
			    "not asked");
		json_decref(j);
		hrun_free(&r);
	}
}

/* check --json --srv DOMAIN against the lab. */
static json_t *srv_json(const hlab *lab, const char *domain, hrun *r)
{
	hargv a;
	json_error_t err;
	json_t *j;

	h_run(h_lab_check(&a, lab, 0, "--no-probe", "--json", "--srv", domain), NULL, 20000, r);
	j = json_loads(r->out, 0, &err);
	if (!j)
		fail_msg("%s: not JSON: %s\nstderr: %s", domain, err.text, r->err);
	return j;
}

/* With --srv: the mail client services of srv.lab.test, sorted, "." kept;
 * an empty list for a domain without any. Without --srv nothing is asked
 * and "srv" is an empty list (the JSON keeps its fields). */
static void test_srv(void **state)
{
	const hlab *lab = *state;
	static const struct {
		const char *service, *target;
		int priority, weight, port;
	} want[] = {
	    {"_imaps._tcp", "mail.srv.lab.test", 0, 1, 993},
	    {"_pop3._tcp", ".", 0, 0, 0},
	    {"_submission._tcp", "mail.srv.lab.test", 0, 1, 587},
	};
	hrun r;
	json_t *j = srv_json(lab, "srv.lab.test", &r), *srv;

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

	j = srv_json(lab, "single.lab.test", &r);
	srv = json_object_get(j, "srv");
	assert_true(json_is_array(srv));
	assert_int_equal(json_array_size(srv), 0);
	json_decref(j);
	hrun_free(&r);

	j = check_json(lab, "srv.lab.test", NULL, "1", &r);
	srv = json_object_get(j, "srv");
	assert_true(json_is_array(srv));
	assert_int_equal(json_array_size(srv), 0);
	json_decref(j);
	hrun_free(&r);
}

/* One seed, one order; over seeds, every host of the equal tier leads. */
static void test_seed(void **state)
{
	const hlab *lab = *state;
	char first_a[64] = "", seen[3][64] = {{0}};
	size_t nseen = 0;

	for (int s = 0; s < 12; s++) {
		char seed[16], lead[64];
		hrun r;
		json_t *j;
		snprintf(seed, sizeof(seed), "%d", s);
		j = check_json(lab, "equal.lab.test", NULL, seed, &r);
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
		json_t *j = check_json(lab, "equal.lab.test", NULL, "0", &r);
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
	const hlab *lab = *state;
	const char *args[] = {"check",     "--no-probe",      "--json", "-s",
	                      lab->server, "single.lab.test", NULL};
	hrun r;

	h_run(args, NULL, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"code\":\"mx-non-public-address\""));
	assert_non_null(strstr(r.out, "\"subject\":\"127.0.14.1\""));
	hrun_free(&r);
}

static void test_text_report(void **state)
{
	const hlab *lab = *state;
	hargv a;
	hrun r;

	h_run(h_lab_check(&a, lab, 0, "--no-probe", "--ascii", "--seed", "3", "equal.lab.test",
	                  "dangling.lab.test"),
	      NULL, 20000, &r);
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

/* Non-ASCII names are asked in their A-label form. */
static void test_idn(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = check_json(lab,
	                       "b\xc3\xbc"
	                       "cher.lab.test",
	                       NULL, "1", &r);

	assert_string_equal(json_string_value(json_object_get(j, "domain")),
	                    "xn--bcher-kva.lab.test");
	json_decref(j);
	hrun_free(&r);
}

/* Other DNS tools can query the lab (dig comes with the set-up script). */
static void test_dig(void **state)
{
	const hlab *lab = *state;
	char cmd[256], out[4096] = "";
	FILE *f;
	size_t n;

	if (access("/usr/bin/dig", X_OK) != 0) {
		skip();
	}
	snprintf(cmd, sizeof(cmd), "dig +tcp +short -p %d @127.0.0.1 many.lab.test MX | wc -l",
	         lab->port);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	assert_int_equal(atoi(out), 40);
	snprintf(cmd, sizeof(cmd), "dig +norec -p %d @127.0.0.1 gone.dangling.lab.test A",
	         lab->port);
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
	    cmocka_unit_test(test_one_family),
	    cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_non_public_without_lab_flag),
	    cmocka_unit_test(test_text_report),
	    cmocka_unit_test(test_idn),
	    cmocka_unit_test(test_dig),
	};
	return cmocka_run_group_tests(tests, h_lab_group_setup, h_lab_group_teardown);
}
