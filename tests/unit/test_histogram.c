/*
 * test_histogram.c: bucket bounds (le: a value on a bound falls in that
 * bucket), snapshots whose count is the sum of the buckets, quantiles
 * interpolated as Prometheus does, windows (now minus then), and one writer
 * thread against a reader that must never see a count go back.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "histogram.h"

static void
test_buckets(void **state)
{
	assert_int_equal(histogram_bucket(0), 0);
	assert_int_equal(histogram_bucket(50000), 0);
	assert_int_equal(histogram_bucket(50001), 1);
	assert_int_equal(histogram_bucket(3000000), 8);
	assert_int_equal(histogram_bucket(3000001), 9);
	assert_int_equal(histogram_bucket(1000000000), 17);
	assert_int_equal(histogram_bucket(10000000000ULL), 20);
	assert_int_equal(histogram_bucket(10000000001ULL), HIST_NBUCKETS - 1);
	assert_int_equal(histogram_bucket(UINT64_MAX), HIST_NBUCKETS - 1);
	assert_true(histogram_bound_ns(HIST_NBUCKETS - 1) == UINT64_MAX);
}

static void
test_bounds_increase(void **state)
{
	size_t	 i;

	for (i = 1; i < HIST_NBUCKETS; i++)
		assert_true(histogram_bound_ns(i) > histogram_bound_ns(i - 1));
	for (i = 0; i + 1 < HIST_NBUCKETS; i++)
		assert_int_equal(histogram_bucket(histogram_bound_ns(i)), i);
}

static void
test_snapshot(void **state)
{
	static struct histogram	 h;
	struct hist_snap	 s;

	histogram_add(&h, 10000);	/* 10 µs */
	histogram_add(&h, 3000000);	/* 3 ms */
	histogram_add(&h, 20000000000ULL);	/* 20 s: +Inf */
	histogram_snapshot(&h, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.bucket[0], 1);
	assert_int_equal(s.bucket[histogram_bucket(3000000)], 1);
	assert_int_equal(s.bucket[HIST_NBUCKETS - 1], 1);
	assert_true(s.sum_ns == 10000ULL + 3000000ULL + 20000000000ULL);
}

static void
test_quantile(void **state)
{
	static struct histogram	 h;
	struct hist_snap	 s;
	uint64_t		 q;
	int			 i;

	histogram_snapshot(&h, &s);
	assert_true(histogram_quantile(&s, NULL, 0.99) == 0);
	/* 100 values in (1 ms, 2.5 ms]: p50 interpolates to the middle. */
	for (i = 0; i < 100; i++)
		histogram_add(&h, 2000000);
	histogram_snapshot(&h, &s);
	q = histogram_quantile(&s, NULL, 0.5);
	assert_true(q == 1750000);
	q = histogram_quantile(&s, NULL, 0.99);
	assert_true(q > 1750000 && q <= 2500000);
	/* One slow value of 101 is above p99 only just; 2 of 102 are not. */
	histogram_add(&h, 3000000000ULL);
	histogram_add(&h, 3000000000ULL);
	histogram_snapshot(&h, &s);
	q = histogram_quantile(&s, NULL, 0.99);
	assert_true(q > 2500000000ULL && q <= 5000000000ULL);
}

static void
test_window(void **state)
{
	static struct histogram	 h;
	struct hist_snap	 then, now;
	int			 i;

	for (i = 0; i < 1000; i++)
		histogram_add(&h, 8000000000ULL);	/* old and slow */
	histogram_snapshot(&h, &then);
	for (i = 0; i < 10; i++)
		histogram_add(&h, 40000);		/* recent and fast */
	histogram_snapshot(&h, &now);
	assert_true(histogram_quantile(&now, &then, 0.99) <= 50000);
	assert_true(histogram_quantile(&now, NULL, 0.99) > 5000000000ULL);
	/* Past the last bound: that bound, not infinity. */
	for (i = 0; i < 10; i++)
		histogram_add(&h, 60000000000ULL);
	histogram_snapshot(&h, &then);
	for (i = 0; i < 10; i++)
		histogram_add(&h, 60000000000ULL);
	histogram_snapshot(&h, &now);
	assert_true(histogram_quantile(&now, &then, 0.99) == 10000000000ULL);
}

#define NADD	2000000

static struct histogram	 shared;
static atomic_int	 done;

static void *
writer(void *arg)
{
	uint64_t	 i;

	for (i = 0; i < NADD; i++)
		histogram_add(&shared, (i * 7919) % 20000000000ULL);
	atomic_store(&done, 1);
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t		 t;
	struct hist_snap	 s, prev;
	size_t			 i;
	int			 reads = 0;

	memset(&prev, 0, sizeof(prev));
	assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
	while (!atomic_load(&done) || reads == 0) {
		histogram_snapshot(&shared, &s);
		assert_true(s.count >= prev.count);
		for (i = 0; i < HIST_NBUCKETS; i++)
			assert_true(s.bucket[i] >= prev.bucket[i]);
		prev = s;
		reads++;
	}
	pthread_join(t, NULL);
	histogram_snapshot(&shared, &s);
	assert_int_equal(s.count, NADD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_bounds_increase),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
