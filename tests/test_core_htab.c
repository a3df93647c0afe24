/* tests/test_core_htab.c — core/htab.h, the growing hash table behind the
 * scan's address store, the prober's slots and the monitor's watches: every
 * element found by its key after the table has grown through 100,000 of
 * them; chains stay short (a fixed bucket count would make them hundreds
 * long); removal, also while walking; the walk sees each element once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "htab.h"

typedef struct item {
	char key[24];
	int seen;
	mx_hlink link;
} item;

static item *find(const mx_htab *t, const char *key, size_t *walked)
{
	uint32_t h = mx_hash(key, MX_HASH_BASIS);

	for (mx_hlink *l = mx_htab_chain(t, h); l; l = l->next) {
		item *it = MX_HLINK_OF(l, item, link);
		(*walked)++;
		if (l->hash == h && strcmp(it->key, key) == 0)
			return it;
	}
	return NULL;
}

static void test_grows_with_the_count(void **state)
{
	enum { N = 100000 };
	item *items = calloc(N, sizeof(*items));
	mx_htab *t = mx_htab_new();
	size_t walked = 0, pos = 0, n = 0;

	(void)state;
	assert_non_null(items);
	assert_non_null(t);
	for (size_t i = 0; i < N; i++) {
		snprintf(items[i].key, sizeof(items[i].key), "127.%zu.%zu.%zu", i >> 16,
		         (i >> 8) & 255, i & 255);
		mx_htab_put(t, &items[i].link, mx_hash(items[i].key, MX_HASH_BASIS));
	}
	assert_int_equal(mx_htab_count(t), N);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(find(t, items[i].key, &walked), &items[i]);
	/* a load of one at most: about 1.5 links walked a lookup; 1,024 fixed
	 * buckets would walk about 50 */
	assert_true(walked < 3 * (size_t)N);
	assert_null(find(t, "192.0.2.1", &walked));

	/* the walk sees every element once, and may remove what it was given */
	for (mx_hlink *l = mx_htab_next(t, &pos, NULL), *next; l; l = next) {
		item *it = MX_HLINK_OF(l, item, link);
		next = mx_htab_next(t, &pos, l);
		it->seen++;
		n++;
		if ((it - items) % 2 == 0)
			mx_htab_del(t, l);
	}
	assert_int_equal(n, N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(items[i].seen, 1);
	assert_int_equal(mx_htab_count(t), N / 2);
	assert_null(find(t, items[0].key, &walked));
	assert_ptr_equal(find(t, items[1].key, &walked), &items[1]);
	mx_htab_free(t);
	mx_htab_free(NULL);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grows_with_the_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
