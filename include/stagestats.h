/*
 * stagestats.h: the pipeline's figures for metrics, kept by the pipeline
 * thread: store and alert latencies, a failing stage, and a snapshot of
 * the running stages' classes, alerts, lookups, limits and streams that it
 * copies at most every 100 ms under a mutex it only ever try-locks (so no
 * reader stalls it).  Read through the stats provider STATS_PIPELINE.
 */
#ifndef STAGESTATS_H
#define STAGESTATS_H

#include <stdatomic.h>
#include <stdint.h>

struct alerter;
struct classifier;
struct histogram;
struct limiter;
struct lookups;
struct lsbatch;
struct streams;
struct stagestats;

/* New figures, added as the STATS_PIPELINE provider; inflight is the
 * pipeline's count of events in its stages (it must outlive s).  NULL on
 * ENOMEM.  Caller frees. */
struct stagestats *stagestats_new(const _Atomic unsigned long *inflight);
/* Remove the provider and free; NULL is a no-op. */
void		 stagestats_free(struct stagestats *);
/* The alert latency histogram, for the alerter to add to (pipeline thread
 * only); lives as long as s. */
struct histogram *stagestats_alert_latency(struct stagestats *);
/* Pipeline thread: b was written; add its records' latencies. */
void		 stagestats_stored(struct stagestats *, const struct lsbatch *b,
		    uint64_t now_ns);
/* Pipeline thread: stage (static) has failed since now (NULL: it went
 * on). */
void		 stagestats_retry(struct stagestats *, const char *stage,
		    uint64_t now_ns);
/* Pipeline thread: copy the class and alert figures of the running stages
 * (gen changes when they are swapped) at most every 100 ms; never blocks. */
void		 stagestats_publish(struct stagestats *,
		    const struct classifier *, const struct alerter *,
		    unsigned gen, uint64_t now_ns);
/* Pipeline thread: the figures of the lookups and limits of stage set
 * gen, the same way; counters go on across reloads by name (last: the
 * set's final figures before a swap, published even if it must wait). */
void		 stagestats_publish_rules(struct stagestats *,
		    const struct lookups *, const struct limiter *, unsigned gen,
		    uint64_t now_ns, int last);
/* Pipeline thread: copy the figures of the STATS_TOP_STREAMS most
 * recently seen streams of st, at most every 100 ms; never blocks. */
void		 stagestats_publish_streams(struct stagestats *,
		    const struct streams *st, uint64_t now_ns);

#endif
