/* tests/test_core_shuffle.c — the shuffle within a tier must be uniform over
 * seeds (equal preference means equal load), reproducible for one seed, and
 * independent of the order DNS returned the records in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mx.h"

/* Chi-square over all 24 orders of 4 hosts from 48,000 seeds. With 23
 * degrees of freedom the 99.9th percentile is 49.7; a biased shuffle (say
 * the naive "swap with any index") lands far above it. */
static void test_uniform_permutations(void **state)
{
	enum { N = 4, PERMS = 24, RUNS = 48000 };
	unsigned counts[PERMS] = {0};
	double chi = 0, expect = (double)RUNS / PERMS;

	(void)state;
	for (uint64_t seed = 0; seed < RUNS; seed++) {
		size_t idx[N] = {0, 1, 2, 3};
		uint64_t st = mx_seed_for(seed, "uniform.test");
		unsigned code = 0;
		mx_shuffle(idx, N, &st);
		/* Lehmer code of the permutation */
		for (size_t i = 0; i < N; i++) {
			unsigned smaller = 0;
			for (size_t j = i + 1; j < N; j++)
				smaller += idx[j] < idx[i];
			code = code * (unsigned)(N - i) + smaller;
		}
		assert_true(code < PERMS);
		counts[code]++;
	}
	for (size_t i = 0; i < PERMS; i++)
		chi += (counts[i] - expect) * (counts[i] - expect) / expect;
	if (chi > 49.7) {
		print_error("chi-square %.1f over 24 orders exceeds 49.7\n", chi);
		fail();
	}
}

static mx_domain *tier_of_three(const char *order[3])
{
	mx_domain *d = mx_domain_new("equal.test");
	for (size_t i = 0; i < 3; i++) {
		size_t h;
		char ip[16];
		mx_domain_add_mx(d, 10, order[i], 60, &h);
		snprintf(ip, sizeof(ip), "8.8.%c.1", order[i][0]);
		mx_host_add_addr(d, h, 4, ip, 60);
	}
	mx_domain_set_mx_rcode(d, MX_RC_OK, NULL);
	return d;
}

static const char *first_host(const mx_domain *d)
{
	return mx_domain_host(d, mx_domain_tier(d, 0)->hosts[0])->exchange;
}

/* Over many run seeds each host of an equal tier goes first about a third
 * of the time; one seed always gives one order whatever the DNS order. */
static void test_tier_first_share_and_reproducible(void **state)
{
	const char *ab[3] = {"a.equal.test", "b.equal.test", "c.equal.test"};
	const char *ba[3] = {"c.equal.test", "a.equal.test", "b.equal.test"};
	unsigned first[3] = {0};
	enum { RUNS = 3000 };

	(void)state;
	for (uint64_t seed = 0; seed < RUNS; seed++) {
		mx_options o = {.seed = seed};
		mx_domain *d1 = tier_of_three(ab), *d2 = tier_of_three(ba);
		assert_int_equal(mx_domain_analyze(d1, &o), MXS_OK);
		assert_int_equal(mx_domain_analyze(d2, &o), MXS_OK);
		assert_string_equal(first_host(d1), first_host(d2));
		for (size_t k = 0; k < 3; k++)
			assert_string_equal(
			    mx_domain_host(d1, mx_domain_tier(d1, 0)->hosts[k])->exchange,
			    mx_domain_host(d2, mx_domain_tier(d2, 0)->hosts[k])->exchange);
		first[first_host(d1)[0] - 'a']++;
		mx_domain_free(d1);
		mx_domain_free(d2);
	}
	for (size_t k = 0; k < 3; k++)
		assert_in_range(first[k], RUNS / 3 - 150, RUNS / 3 + 150);
}

/* Different domains get different shuffles from one run seed. */
static void test_domains_differ(void **state)
{
	(void)state;
	assert_int_not_equal(mx_seed_for(1, "a.test"), mx_seed_for(1, "b.test"));
	assert_int_equal(mx_seed_for(1, "A.test"), mx_seed_for(1, "a.test"));
	assert_int_not_equal(mx_seed_for(1, "a.test"), mx_seed_for(2, "a.test"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uniform_permutations),
	    cmocka_unit_test(test_tier_first_share_and_reproducible),
	    cmocka_unit_test(test_domains_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
