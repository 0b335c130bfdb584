/*
 * metrics.h: the daemon's figures for people and machines: Prometheus text
 * (/metrics), JSON (/stats), the health verdict (/health) and the one-line
 * sd_notify STATUS.  The pipeline thread adds latencies and publishes class
 * and alert figures here; everything else is read on the event loop.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "histogram.h"
#include "logrec.h"

struct alerter;
struct classifier;
struct streams;
struct config;
struct evbuffer;
struct listener;
struct pipeline;
struct queue;

#define METRICS_TOP_SOURCES	20	/* sources listed in /stats */
#define METRICS_MAX_SOURCES	256	/* sources tracked at once */
#define METRICS_TOP_STREAMS	20	/* streams listed in /stats */

/* Figures the pipeline thread adds to (its only writer); any thread reads. */
struct metrics_pipe {
	struct histogram	 store;		/* received -> written */
	struct histogram	 alert;		/* received -> alert written */
	_Atomic uint64_t	 retry_since_ns;	/* 0: not retrying */
	_Atomic(const char *)	 retry_stage;	/* static name */
};

extern struct metrics_pipe metrics_pipe;

struct metrics;

/* Pipeline thread: b was written; add its records' latencies. */
void		 metrics_batch_stored(const struct lsbatch *b, uint64_t now_ns);
/* Pipeline thread: n alert lines written now for events read at t[]. */
void		 metrics_alerts_written(const uint64_t *t, size_t n,
		    uint64_t now_ns);
/* Pipeline thread: stage has failed since now (NULL: it went on). */
void		 metrics_retry(const char *stage, uint64_t now_ns);
/* Pipeline thread: copy the class and alert figures of the running stages
 * (gen changes when they are swapped) at most every 100 ms; never blocks. */
void		 metrics_publish(const struct classifier *,
		    const struct alerter *, unsigned gen, uint64_t now_ns);
/* Pipeline thread: the figures of the lookups and limits of stage set
 * gen, the same way; counters go on across reloads by name (last: the
 * set's final figures before a swap, published even if it must wait). */
struct lookups;
struct limiter;
void		 metrics_publish_rules(const struct lookups *,
		    const struct limiter *, unsigned gen, uint64_t now_ns,
		    int last);
/* Pipeline thread: copy the figures of the METRICS_TOP_STREAMS most
 * recently seen streams of st, at most every 100 ms; never blocks. */
void		 metrics_publish_streams(const struct streams *st,
		    uint64_t now_ns);

/* Event loop: one TCP read or UDP datagram of n events from src
 * ("addr:port"; the port is dropped), into a bounded per-source table. */
void		 metrics_source_add(const char *src, size_t len, uint64_t n,
		    uint64_t bytes);

/* The figures of q and l (which must outlive it); NULL on ENOMEM. */
struct metrics	*metrics_new(struct queue *, struct listener *);
/* Free it; NULL is a no-op. */
void		 metrics_free(struct metrics *);
/* The pipeline, once started (for what is in flight there). */
void		 metrics_set_pipeline(struct metrics *, struct pipeline *);
/* Take [slo] from cf (start and reload); cf is not kept. */
void		 metrics_configure(struct metrics *, const struct config *);
/* Every second on the event loop: sample rates, latency windows, health. */
void		 metrics_tick(struct metrics *, uint64_t now_ns);
/* Append the Prometheus text exposition to out. */
void		 metrics_prometheus(struct metrics *, struct evbuffer *out);
/* /stats as a new JSON object (caller decrefs); NULL on ENOMEM. */
json_t		*metrics_stats(struct metrics *);
/* 0 if healthy; -1 with the reasons (one line) in why. */
int		 metrics_health(struct metrics *, char *why, size_t len);
/* 1 if healthy but not as configured (the config file on disk is not the
 * running one), with why; else 0. */
int		 metrics_degraded(struct metrics *, char *why, size_t len);
/* Event loop: a reload ended at now_us (wall clock); why NULL: it took. */
void		 metrics_reloaded(struct metrics *, const char *why,
		    int64_t now_us);
/* Event loop: whether the config file (path, which must outlive m) on
 * disk differs from the running config. */
void		 metrics_config_changed(struct metrics *, const char *path,
		    int changed);
/* The one-line summary for sd_notify STATUS=, into buf. */
void		 metrics_status_line(struct metrics *, char *buf, size_t len);

#endif
