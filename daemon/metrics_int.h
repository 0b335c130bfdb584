/*
 * metrics_int.h: state shared by metrics.c (gathering: the pipeline's
 * snapshot, the per-source table, 1 s samples, health) and metrics_export.c
 * (writing it out as Prometheus text and /stats JSON).  Private to those two.
 */
#ifndef METRICS_INT_H
#define METRICS_INT_H

#include <pthread.h>
#include <stdint.h>

#include "histogram.h"
#include "metrics.h"
#include "streams.h"

#define RING		601		/* 1 s samples: the longest window */
#define RECENT_S	10		/* "now" in /stats: the last 10 s */
#define HISTORY_S	120		/* per-second history in /stats */
#define SRC_KEY		48
#define SRC_SLOTS	(2 * METRICS_MAX_SOURCES)
#define NAME_MAX_LEN	128
#define STREAM_PART	256		/* addr, host, app: 255 bytes and NUL */

/* One stream as last published: its figures (st, whose key is NULL here)
 * and its key split in three. */
struct pub_stream {
	char			 part[3][STREAM_PART];
	struct streams_stat	 st;
};

/* One class or alert as last published. */
struct figure {
	char		*name;
	uint64_t	 base;		/* class hits before a reload */
	uint64_t	 v[3];		/* hits | fired, suppressed, evicted */
};

/* The figures of one [lookup] or [limit]: counters (base: before the
 * reloads that kept the name) and one gauge. */
#define METRICS_MAX_RULES	64
#define RULE_COUNTERS		4
struct pub_rule {
	char		 name[NAME_MAX_LEN];
	uint64_t	 base[RULE_COUNTERS];
	uint64_t	 v[RULE_COUNTERS];
	uint64_t	 gauge;
};

/* What the pipeline thread publishes; guarded by mtx. */
struct metrics_pub {
	pthread_mutex_t	 mtx;
	unsigned	 gen;
	int		 valid;
	struct figure	*cls;
	size_t		 ncls;
	struct figure	*al;
	size_t		 nal;
	uint64_t	 al_write_errors;
	char		 last_alert[NAME_MAX_LEN];
	int64_t		 last_alert_us;
	uint64_t	 last_ns;
	struct pub_stream streams[METRICS_TOP_STREAMS];
	size_t		 nstreams;
	size_t		 streams_tracked;
	uint64_t	 streams_ns;	/* when last published */
	struct pub_rule	 lk[METRICS_MAX_RULES];	/* lookups: hits, misses,
						 * reloads, errors; rows */
	size_t		 nlk;
	struct pub_rule	 lim[METRICS_MAX_RULES]; /* limits: passed, dropped,
						 * evicted; keys */
	size_t		 nlim;
	unsigned	 rules_gen;
	int		 rules_valid;
	uint64_t	 rules_ns;
};

/* Per-source table, event loop only. */
struct source {
	char		 key[SRC_KEY];
	uint64_t	 events;
	uint64_t	 bytes;
	int64_t		 last_us;
};

struct metrics_srcs {
	struct source	 ent[METRICS_MAX_SOURCES];
	size_t		 n;
	int16_t		 slot[SRC_SLOTS];	/* index into ent, -1 empty */
	int		 init;
	uint64_t	 evicted;
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
	struct queue	*q;
	struct listener	*l;
	struct pipeline	*p;
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

extern struct metrics_pub	 metrics_pub;
extern struct metrics_srcs	 metrics_srcs;
extern const char *const	 metrics_inflight_names[3];

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
