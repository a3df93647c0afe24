/* tests/test_check_shard.c — the real `mxscope check --shard K/N` and
 * `--keep-order` against the lab process: N shards of one list together
 * print what one run prints (as a set of lines, the same --seed), each
 * domain in the shard its name's FNV-1a hash (core/hash.h) picks whatever
 * its spelling or place in the list, junk lines reported by one shard
 * only, each shard's exit status as one run's (1 for an error finding, 3
 * when no server answers, 0 for a shard with nothing to do); --keep-order
 * writes the reports in input order although a slow domain comes first. */
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

#include "harness.h"
#include "hash.h"

#define MAXL 128

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, each with its "at" (when the line was made) blanked,
 * sorted; n of them into out (owned by the caller, free_lines). */
static size_t lines_of(const char *text, char **out, size_t cap)
{
	size_t n = 0;

	for (const char *p = text; *p && n < cap;) {
		size_t len = strcspn(p, "\n");
		char *l = strndup(p, len), *at = strstr(l, "\"at\":\"");
		if (at) {
			char *end = strchr(at + 6, '"');
			assert_non_null(end);
			memmove(at + 6, end, strlen(end) + 1);
		}
		out[n++] = l;
		p += len + (p[len] ? 1 : 0);
	}
	qsort(out, n, sizeof(*out), cmp_str);
	return n;
}

static void free_lines(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
}

/* Writes the lab's domains (`lab --list`), one a line, to a new file at
 * path (a mkstemp template); extra is appended as is. Their names into
 * names (owned), the count returned. */
static size_t write_list(char *path, const char *extra, char **names, size_t cap)
{
	const char *list[] = {"lab", "--list", NULL};
	int fd = mkstemp(path);
	size_t n = 0;
	FILE *f;
	hrun r;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	h_run(list, NULL, 10000, &r);
	for (char *line = r.out; line && *line && n < cap;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char id[64], dom[128];
		if (sscanf(line, "%63s %127s", id, dom) == 2) {
			fprintf(f, "%s\n", dom);
			names[n++] = strdup(dom);
		}
	}
	fputs(extra, f);
	fclose(f);
	hrun_free(&r);
	assert_true(n >= 20);
	return n;
}

/* `check --json --no-probe --seed 7 -f path [--shard spec]` against lab. */
static void run_shard(const hlab *lab, const char *path, const char *spec, hrun *r)
{
	hargv a;

	h_lab_check(&a, lab, 0, "--json", "--no-probe", "--seed", "7", "-f", path);
	if (spec)
		h_argv(&a, "--shard", spec);
	h_run(a.v, NULL, 20000, r);
}

static bool has_line(const char *text, const char *name)
{
	char want[200];

	snprintf(want, sizeof(want), "\"domain\":\"%s\"", name);
	return strstr(text, want) != NULL;
}

/* 2 and 3 shards: together one run's lines, no domain twice, each where
 * the hash says; the junk line once; each status as one run of its own. */
static void test_union_is_one_run(void **state)
{
	const hlab *lab = *state;
	char path[] = "/tmp/mxscope-shard-XXXXXX";
	char *names[MAXL], *all[MAXL], *got[MAXL];
	size_t nn = write_list(path, "not a domain\n", names, MAXL), nall;
	hrun one;

	run_shard(lab, path, NULL, &one);
	assert_int_equal(one.status, 2); /* the junk line */
	nall = lines_of(one.out, all, MAXL);
	assert_int_equal(nall, nn);
	for (unsigned n = 2; n <= 3; n++) {
		size_t ngot = 0, junk = 0;
		for (unsigned k = 1; k <= n; k++) {
			char spec[16];
			size_t before = ngot, mine = 0;
			hrun r;
			snprintf(spec, sizeof(spec), "%u/%u", k, n);
			run_shard(lab, path, spec, &r);
			ngot += lines_of(r.out, got + ngot, MAXL - ngot);
			/* the shard of every name is FNV-1a's, modulo N */
			for (size_t i = 0; i < nn; i++) {
				bool want = mx_hash(names[i], MX_HASH_BASIS) % n == k - 1;
				if (has_line(r.out, names[i]) != want)
					fail_msg("%s: %s %s in shard %s", path, names[i],
					         want ? "missing" : "wrongly", spec);
				mine += want;
			}
			assert_int_equal(ngot - before, mine);
			junk += strstr(r.err, "expected one domain name per line") != NULL;
			/* as one run over the same domains: 1 for an error finding,
			 * 2 for the junk line, else 0 */
			assert_int_equal(r.status, strstr(r.err, "expected one domain")      ? 2
			                           : strstr(r.out, "\"severity\":\"error\"") ? 1
			                                                                     : 0);
			hrun_free(&r);
		}
		assert_int_equal(junk, 1);
		qsort(got, ngot, sizeof(*got), cmp_str);
		assert_int_equal(ngot, nall);
		for (size_t i = 0; i < nall; i++)
			if (strcmp(got[i], all[i]) != 0)
				fail_msg("%u shards differ from one run:\n%s\n%s", n, got[i],
				         all[i]);
		free_lines(got, ngot);
	}
	free_lines(all, nall);
	free_lines(names, nn);
	hrun_free(&one);
	unlink(path);
}

/* A name's shard is its normalized name's: the spelling does not move it. */
static void test_spelling_keeps_shard(void **state)
{
	const hlab *lab = *state;
	const char *name = "preference.lab.test";
	unsigned k = mx_hash(name, MX_HASH_BASIS) % 5 + 1;
	char spec[16], other[16];
	hargv a;
	hrun r;

	snprintf(spec, sizeof(spec), "%u/5", k);
	snprintf(other, sizeof(other), "%u/5", k % 5 + 1);
	h_run(h_lab_check(&a, lab, 0, "--json", "--no-probe", "--shard", spec, "-f", "-"),
	      "PREFERENCE.Lab.Test.\n", 20000, &r);
	assert_int_equal(r.status, 0);
	assert_true(has_line(r.out, name));
	hrun_free(&r);
	/* another shard has nothing to do: exit 0, no report */
	h_run(h_lab_check(&a, lab, 0, "--json", "--no-probe", "--shard", other, "-f", "-"),
	      "PREFERENCE.Lab.Test.\n", 20000, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	hrun_free(&r);
}

/* No server answers: every shard that asked something says 3, not 1. */
static void test_unreachable_is_3_in_each(void **state)
{
	char path[] = "/tmp/mxscope-shard-XXXXXX";
	char *names[MAXL];
	size_t nn = write_list(path, "", names, MAXL);

	(void)state;
	for (unsigned k = 1; k <= 2; k++) {
		char spec[8];
		const char *args[] = {"check",   "--json",      "--no-probe", "--allow-loopback",
		                      "-s",      "127.0.0.1:9", "--timeout",  "0.3",
		                      "--shard", spec,          "-f",         path,
		                      NULL};
		hrun r;
		snprintf(spec, sizeof(spec), "%u/2", k);
		h_run(args, NULL, 20000, &r);
		assert_int_equal(r.status, 3);
		assert_non_null(strstr(r.err, "no DNS server answered"));
		hrun_free(&r);
	}
	free_lines(names, nn);
	unlink(path);
}

/* A tarpit's probe takes seconds, a single MX's none: as they settle the
 * tarpit comes last; --keep-order writes it first, as listed, on stdout
 * and in the --record file. */
static void test_keep_order(void **state)
{
	const hlab *lab = *state;
	const char *list = "tarpit.lab.test\nsingle.lab.test\npreference.lab.test\n";
	const char *order[] = {"tarpit.lab.test", "single.lab.test", "preference.lab.test"};
	char rec[] = "/tmp/mxscope-order-XXXXXX";
	int fd = mkstemp(rec);
	hargv a;
	hrun r;

	assert_true(fd >= 0);
	close(fd);

	h_run(h_lab_check(&a, lab, HA_PROBE, "--json", "--timeout", "2", "-f", "-"), list, 30000,
	      &r);
	assert_non_null(strstr(r.out, "tarpit.lab.test"));
	assert_true(strstr(r.out, "tarpit.lab.test") > strstr(r.out, "single.lab.test"));
	hrun_free(&r);
	/* text reports on stdout, the recording beside them: both in order */
	h_run(h_lab_check(&a, lab, HA_PROBE, "--timeout", "2", "--keep-order", "--record", rec,
	                  "-f", "-"),
	      list, 30000, &r);
	assert_true(strstr(r.out, "tarpit.lab.test") < strstr(r.out, "single.lab.test"));
	assert_true(strstr(r.out, "single.lab.test") < strstr(r.out, "preference.lab.test"));
	hrun_free(&r);
	{
		FILE *f = fopen(rec, "r");
		char *all = calloc(1, 1 << 20);
		assert_non_null(f);
		r.out = all;
		r.err = NULL;
		assert_true(fread(all, 1, (1 << 20) - 1, f) > 0);
		fclose(f);
		unlink(rec);
	}
	{
		const char *p = r.out;
		for (size_t i = 0; i < 3; i++) {
			char want[100];
			snprintf(want, sizeof(want), "{\"domain\":\"%s\"", order[i]);
			if (strncmp(p, want, strlen(want)) != 0)
				fail_msg("line %zu is not %s:\n%s", i + 1, order[i], r.out);
			p = strchr(p, '\n');
			assert_non_null(p);
			p++;
		}
		assert_string_equal(p, "");
	}
	hrun_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_union_is_one_run),
	    cmocka_unit_test(test_spelling_keeps_shard),
	    cmocka_unit_test(test_unreachable_is_3_in_each),
	    cmocka_unit_test(test_keep_order),
	};
	return cmocka_run_group_tests(tests, h_lab_group_setup, h_lab_group_teardown);
}
