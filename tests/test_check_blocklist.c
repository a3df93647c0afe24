/* tests/test_check_blocklist.c — `mxscope check --blocklist` and blocklists
 * from --config against the lab process's blocklist endpoint (DoH and the
 * JSON API): listed, refused, failing, slow and silent addresses in JSON
 * and text; the key never shown; usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define BL_KEY "chk-K3Y-never-shown"

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
	const hlab *lab = *state;
	char spec[96], dir[] = "/tmp/mxscope-bl-XXXXXX";
	hrun r;
	json_t *j, *bls;
	static const char *const unavailable[] = {"127.0.40.4", "127.0.40.5", "127.0.40.6",
	                                          "127.0.40.7", "127.0.40.8", "127.0.40.9"};

	/* no user config may switch a blocklist on behind the test's back */
	assert_non_null(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(spec, sizeof(spec), "bl.lab.test@http://%s/dns-query", lab->http);
	{
		const char *args[] = {
		    "check", "--json",    "--no-probe",  "--timeout", "1",
		    "-s",    lab->server, "--blocklist", spec,        "blocklisted.lab.test",
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
		    "-s",    lab->server,  "--blocklist", spec,        "blocklisted.lab.test",
		    NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_non_null(strstr(r.out, "blocklist bl.lab.test: listed 127.0.0.2"));
	assert_non_null(strstr(r.out, "ip-listed: mx1.blocklisted.lab.test (10) at 127.0.40.2"));
	assert_non_null(strstr(r.out, "127.255.255.254"));
	hrun_free(&r);

	/* off by default */
	{
		const char *args[] = {"check", "--json",    "--no-probe",
		                      "-s",    lab->server, "blocklisted.lab.test",
		                      NULL};
		h_run(args, NULL, 20000, &r);
	}
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "blocklists"));
	assert_null(strstr(r.out, "ip-listed"));
	hrun_free(&r);
	rmdir(dir);
	unsetenv("XDG_CONFIG_HOME");
}

/* A JSON provider from --config with its key in a file others can read: a
 * warning on stderr, and the key nowhere in what mxscope writes. */
static void test_blocklist_config(void **state)
{
	const hlab *lab = *state;
	char path[] = "/tmp/mxscope-bl-config-XXXXXX", text[512];
	hrun r;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text),
	         "# the lab's JSON API\n[blocklist api]\ntype = json\n"
	         "url = http://%s/api/check/{ip}\nheader = X-Api-Key: {key}\n"
	         "key = " BL_KEY "\nlisted-pointer = /listed\nreason-pointer = /reason\n",
	         lab->http);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	{
		const char *args[] = {"check", "--json",      "--no-probe", "--timeout",
		                      "1",     "-s",          lab->server,  "--config",
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
			const char *args[] = {"check",    "--no-probe", "-s",          lab->server,
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blocklists),
	    cmocka_unit_test(test_blocklist_config),
	};
	return cmocka_run_group_tests(tests, h_lab_group_setup, h_lab_group_teardown);
}
