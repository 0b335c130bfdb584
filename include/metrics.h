/*
 * metrics.h: the daemon's figures for people and machines: Prometheus text
 * (/metrics), JSON (/stats), the health verdict (/health) and the one-line
 * sd_notify STATUS.  It only reads: every module hands its figures over
 * as a stats provider (stats.h), and diag's counters; all on the event loop.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct config;
struct evbuffer;
struct metrics;

/* Figures read through the stats providers (stats.h); NULL on ENOMEM. */
struct metrics	*metrics_new(void);
/* Free it; NULL is a no-op. */
void		 metrics_free(struct metrics *);
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
