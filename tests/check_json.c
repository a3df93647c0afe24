/* tests/check_json.c — reading what `mxscope check --json` prints. */
#include "check_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run's stdout as one JSON object; fails the test, saying what came,
 * when it is not one. */
static json_t *one_object(const char *domain, hrun *r)
{
	json_error_t err;
	json_t *j = json_loads(r->out, 0, &err);

	if (!j) {
		print_error("%s: not one JSON object: %s\nstdout: %.300s\nstderr: %s\n", domain,
		            err.text, r->out, r->err);
		fail();
	}
	return j;
}

json_t *check_json(const hlab *lab, const char *domain, const char *as, const char *seed, hrun *r)
{
	hargv a;

	h_lab_check(&a, lab, 0, "--no-probe", "--json", "--seed", seed, domain);
	if (as)
		h_argv(&a, "--as", as);
	h_run(a.v, NULL, 20000, r);
	return one_object(domain, r);
}

json_t *probe_json_run(const hlab *lab, const char *domain, const char *timeout, hrun *r)
{
	hargv a;

	h_run(h_lab_check(&a, lab, HA_PROBE, "--json", "--seed", "1", "--timeout", timeout, domain),
	      NULL, 30000, r);
	return one_object(domain, r);
}

void codes_of(json_t *j, char *out, size_t cap)
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

json_t *probe_of(json_t *j, const char *ip)
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

const char *severity_of(json_t *j, const char *code)
{
	json_t *f = json_object_get(j, "findings");
	for (size_t i = 0; i < json_array_size(f); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(f, i), "code")),
		           code) == 0)
			return json_string_value(json_object_get(json_array_get(f, i), "severity"));
	return NULL;
}
