/*
 * metrics_int.h: state shared by metrics.c (gathering: reading the stats
 * providers, 1 s samples, health) and metrics_export.c
 * (writing it out as Prometheus text and /stats JSON).  Private to those two.
 */
#ifndef METRICS_INT_H
#define METRICS_INT_H

#include <pthread.h>
#include <stdint.h>

#include "histogram.h"
#include "metrics.h"
#include "stats.h"

#define RING		601		/* 1 s samples: the longest window */
#define RECENT_S	10		/* "now" in /stats: the last 10 s */
#define HISTORY_S	120		/* per-second history in /stats */
#define METRICS_TOP_SOURCES 20		/* sources listed in /stats */

/* The pipeline's figures that are not lists, copied out of its view. */
struct pipe_now {
	uint64_t	 inflight;
	uint64_t	 retry_since_ns;	/* 0: not retrying */
	const char	*retry_stage;		/* static */
	uint64_t	 fired;			/* summed over the alerts */
	uint64_t	 al_write_errors;
	char		 last_alert[STATS_NAME_LEN];
	int64_t		 last_alert_us;
	struct hist_snap store;
	struct hist_snap alert;
};

/* One 1 s sample of the figures that rates and windows come from. */
struct sample {
	uint64_t	 t_ns;
	uint64_t	 rx;
	uint64_t	 stored;
	uint64_t	 fired;
	uint64_t	 depth;		/* queue */
	struct hist_snap st;
	struct hist_snap al;
};

struct metrics {
	int64_t		 slo_store_ns;
	int64_t		 slo_alert_ns;
	int64_t		 window_s;
	uint64_t	 stuck_ns;
	struct sample	*ring;
	size_t		 head;		/* newest sample */
	size_t		 nring;		/* samples held */
	uint64_t	 full_since;	/* queue not draining */
	uint64_t	 last_err_ns;	/* write errors last grew */
	uint64_t	 errs;
	uint64_t	 start_ns;
	/* the config and its reloads */
	const char	*config;	/* absolute path; main's, outlives m */
	int		 config_changed;	/* on disk != running */
	uint64_t	 reloads[2];	/* that took, that were refused */
	int		 reload_failed;	/* the last one */
	int64_t		 reload_us;	/* wall clock of the last; 0: none */
	int64_t		 loaded_us;	/* of the running config */
	char		 reload_why[256];
};

extern const char *const	 metrics_inflight_names[3];

/* The pipeline's view to see(ctx, view) (an empty one when there is no
 * pipeline), and its scalar figures into *pn. */
void		 metrics_pipe_read(stats_see_fn *see, void *ctx);
void		 metrics_pipe_now(struct pipe_now *pn);
/* Sums over transports, reasons and alert rules. */
uint64_t	 metrics_total_received(void);
uint64_t	 metrics_total_dropped(void);
uint64_t	 metrics_total_fired(void);
/* The sample ago seconds before the newest (or the oldest held); NULL if
 * none yet.  Points into m. */
const struct sample *metrics_sample_ago(const struct metrics *, size_t ago);
/* Per second over the last n samples: field 0 received, 1 stored, 2
 * alerts. */
double		 metrics_rate(const struct metrics *, size_t n, size_t field);
/* In flight: [listener, queue, pipeline]. */
void		 metrics_inflight(const struct metrics *, uint64_t v[3]);
/* RSS in bytes and open fds, from /proc/self; 0 where unknown. */
void		 metrics_process(uint64_t *rss, uint64_t *fds);

#endif
