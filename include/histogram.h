/*
 * histogram.h: latency histograms with fixed Prometheus buckets (50 µs to
 * 10 s, log-spaced, and 0.5 to 1 ms apart from 1 to 5 ms so that a p99
 * near a 5 ms goal is read to within a millisecond).  One thread adds (no
 * lock, relaxed atomics); any other thread may take a snapshot at any time.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_NBUCKETS	22		/* 21 bounds, then +Inf */

struct histogram {
	_Atomic uint64_t	 bucket[HIST_NBUCKETS];	/* not cumulative */
	_Atomic uint64_t	 sum_ns;
};

/* A copy taken by a reader; count is the sum of the buckets. */
struct hist_snap {
	uint64_t		 bucket[HIST_NBUCKETS];
	uint64_t		 sum_ns;
	uint64_t		 count;
};

/* Upper bound of bucket i in ns (UINT64_MAX for +Inf); static table. */
uint64_t	 histogram_bound_ns(size_t i);
/* The bucket a value of ns falls into. */
size_t		 histogram_bucket(uint64_t ns);
/* Add one value; only one thread may add to a histogram. */
void		 histogram_add(struct histogram *, uint64_t ns);
/* Copy h into *s (the caller's memory), from any thread. */
void		 histogram_snapshot(struct histogram *, struct hist_snap *);
/* The q-quantile (0..1) of now minus then (NULL: since start) in ns,
 * interpolated within its bucket as Prometheus does; 0 when empty. */
uint64_t	 histogram_quantile(const struct hist_snap *now,
		    const struct hist_snap *then, double q);

#endif
