/*
 * limiter.h: the rules stage, after the alerter: events of a class with
 * store = no are dropped (reason "rule"; the alerts saw them), and the
 * [limit NAME] sections hold each key (host, source, app or a field) to a
 * token bucket: events over the rate are dropped (reason "rate_limit"),
 * and for each key and second with drops one summary record is made, so
 * that the summaries add up to the drops.  Keys are bounded per limit
 * (max_keys; least recently used forgotten, its summary made first).
 */
#ifndef LIMITER_H
#define LIMITER_H

#include <stddef.h>
#include <stdint.h>

struct classifier;
struct config;
struct lsbatch;
struct limiter;

/* The figures of one limit, for /metrics. */
struct limit_stat {
	const char	*name;		/* valid while the limiter lives */
	uint64_t	 passed;
	uint64_t	 dropped;
	uint64_t	 keys;		/* tracked now */
	uint64_t	 evicted;	/* keys forgotten at max_keys */
};

/* Build from cf's [limit NAME] sections and cl's store = no classes;
 * NULL with the errors recorded in cf (or on ENOMEM).  Caller frees. */
struct limiter	*limiter_new(struct config *cf, const struct classifier *cl);
/* Free it; NULL is a no-op.  Pending summaries are lost: take them first
 * (limiter_summaries with all set). */
void		 limiter_free(struct limiter *);
/* Drop (LR_DROP, counted) the events of b that store = no or a limit
 * refuses; now_ns is the monotonic clock, now_us the wall clock.  The
 * summaries of seconds that ended meanwhile go to side (full: lost and
 * counted). */
void		 limiter_process(struct limiter *, struct lsbatch *b,
		    struct lsbatch *side, uint64_t now_ns, int64_t now_us);
/* Append to side the summaries of the seconds that ended by now_us (all
 * pending ones if all); what finds side full waits for the next call, or
 * with all set is counted lost.  The records are counted as generated. */
void		 limiter_summaries(struct limiter *, struct lsbatch *side,
		    int64_t now_us, int all);
/* The figures of limit i (0..n-1); 0, or -1 past the last. */
int		 limiter_stat(const struct limiter *, size_t i,
		    struct limit_stat *);

#endif
