/*
 * histogram.c: fixed-bucket latency histograms.  The adding thread owns
 * each histogram, so a relaxed load and store replace a locked add; a
 * reader sees every bucket as some recent value and derives the count
 * from the buckets, so +Inf always equals _count in what it exports.
 */
#include "histogram.h"

/* Log-spaced 1-2.5-5 steps, 50 µs .. 10 s, in ns. */
static const uint64_t bounds[HIST_NBUCKETS - 1] = {
	50000, 100000, 250000, 500000,
	1000000, 1500000, 2000000, 2500000, 3000000, 4000000,
	5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 500000000,
	1000000000, 2500000000, 5000000000, 10000000000
};

static void
bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

uint64_t
histogram_bound_ns(size_t i)
{
	return i < HIST_NBUCKETS - 1 ? bounds[i] : UINT64_MAX;
}

size_t
histogram_bucket(uint64_t ns)
{
	size_t	 lo = 0, hi = HIST_NBUCKETS - 1, mid;

	/* The first bound >= ns; le semantics as in Prometheus. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (ns <= bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
histogram_add(struct histogram *h, uint64_t ns)
{
	bump(&h->bucket[histogram_bucket(ns)], 1);
	bump(&h->sum_ns, ns);
}

void
histogram_snapshot(struct histogram *h, struct hist_snap *s)
{
	size_t	 i;

	s->count = 0;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		s->bucket[i] = atomic_load_explicit(&h->bucket[i],
		    memory_order_relaxed);
		s->count += s->bucket[i];
	}
	s->sum_ns = atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
}

uint64_t
histogram_quantile(const struct hist_snap *now, const struct hist_snap *then,
    double q)
{
	uint64_t	 total, seen = 0, n, lo, hi;
	double		 rank;
	size_t		 i;

	total = now->count - (then != NULL ? then->count : 0);
	if (total == 0)
		return 0;
	rank = q * (double)total;
	/* As Prometheus' histogram_quantile(): linear within the bucket the
	 * rank falls in; past the last bound, that bound. */
	for (i = 0; i < HIST_NBUCKETS; i++) {
		n = now->bucket[i] - (then != NULL ? then->bucket[i] : 0);
		if (n > 0 && (double)(seen + n) >= rank) {
			lo = i == 0 ? 0 : bounds[i - 1];
			if (i == HIST_NBUCKETS - 1)
				return lo;
			hi = bounds[i];
			return lo + (uint64_t)((double)(hi - lo) *
			    ((rank - (double)seen) / (double)n));
		}
		seen += n;
	}
	return bounds[HIST_NBUCKETS - 2];
}
