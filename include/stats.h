/*
 * stats.h: the one way a module's figures reach metrics.  A module adds a
 * provider (a kind, a read callback and its argument) when it starts and
 * removes it when it is freed; metrics (/metrics, /stats, /health,
 * STATUS=) only reads, by calling the providers' read callbacks.  No module
 * calls into metrics, and metrics includes no module's header: the arrows
 * go module -> stats <- metrics.
 *
 * A read callback hands a consistent view of its figures (the plain struct
 * of its kind, below) to see(ctx, view), once per item (a socket, an
 * output, an input), then returns; see must not keep pointers into the
 * view.  Reads run on the thread that calls stats_read (the event loop)
 * under the registry's lock: a read must not block for long nor call
 * stats_add or stats_remove, and must be safe against its module's own
 * threads (atomics, or a lock their writers only try).  Once stats_remove
 * returns, no read of that provider is running or will run.
 *
 * Diagnostics counters shared by every module (diag.h's `counters`) are
 * not providers: they are a leaf every module adds to and metrics reads.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "logrec.h"

enum stats_kind {
	STATS_QUEUE = 0,	/* struct stats_queue, one */
	STATS_PIPELINE,		/* struct stats_pipeline, one */
	STATS_SOCKET,		/* struct stats_socket, per datagram socket */
	STATS_SOURCES,		/* struct stats_sources, one */
	STATS_OUTPUT,		/* struct stats_output, per [output] */
	STATS_STORAGE,		/* struct stats_storage, one */
	STATS_INPUT,		/* struct stats_input, per [input] */
	STATS__COUNT
};

typedef void	 stats_see_fn(void *ctx, const void *view);
typedef void	 stats_read_fn(void *arg, stats_see_fn *see, void *ctx);

/* Add a provider of kind; 0, or -1 on ENOMEM (logged). */
int		 stats_add(enum stats_kind, stats_read_fn *read, void *arg);
/* Remove the provider added with read and arg (waits for a read of it
 * that is running); no such provider is a no-op. */
void		 stats_remove(stats_read_fn *read, void *arg);
/* Call every provider of kind, in the order they were added, with see and
 * ctx; returns how many there were. */
size_t		 stats_read(enum stats_kind, stats_see_fn *see, void *ctx);
/* The view of the first provider of kind copied into out (size bytes: a
 * kind whose view holds no pointer); 0, or -1 (out zeroed) if none. */
int		 stats_get(enum stats_kind, void *out, size_t size);

/* ---- the views ---- */

/* The queue between the listener and the pipeline (queue.c). */
struct stats_queue {
	uint64_t	 depth;		/* events queued now */
	uint64_t	 capacity;
	uint64_t	 peak;
	uint64_t	 bytes;		/* memory of the queued events */
	uint64_t	 max_bytes;
};

/* A class or an alert rule as the pipeline thread last published it. */
struct stats_figure {
	char		*name;
	uint64_t	 base;		/* class hits before a reload */
	uint64_t	 v[3];		/* hits | fired, suppressed, evicted */
};

/* One [lookup] or [limit]: counters (base: before the reloads that kept
 * the name; lookups: hits, misses, reloads, errors; limits: passed,
 * dropped, evicted) and one gauge (rows; keys). */
#define STATS_MAX_RULES		64
#define STATS_RULE_COUNTERS	4
#define STATS_NAME_LEN		128
struct stats_rule {
	char		 name[STATS_NAME_LEN];
	uint64_t	 base[STATS_RULE_COUNTERS];
	uint64_t	 v[STATS_RULE_COUNTERS];
	uint64_t	 gauge;
};

/* A stream's figures (streams.c keeps them per stream). */
struct stats_stream_figures {
	uint64_t	 events;
	uint64_t	 kinds[LRS__COUNT];	/* by stream mark */
	uint64_t	 missing;
	uint64_t	 restarts;
	uint64_t	 last_seq;
	int64_t		 last_us;
};

/* One stream: its key in three parts and its figures. */
#define STATS_TOP_STREAMS	20
#define STATS_STREAM_PART	256	/* addr, host, app: 255 bytes, NUL */
struct stats_stream {
	char				 part[3][STATS_STREAM_PART];
	struct stats_stream_figures	 f;
};

/*
 * The busiest hosts (the events' host field), in a bounded table of
 * STATS_TOP_HOSTS (streams.c): with more hosts than that, a new one takes
 * the least busy one's place and count (space-saving), so events may be
 * over-counted by up to err.
 */
#define STATS_TOP_HOSTS		32
#define STATS_HOST_LEN		64
struct stats_host {
	char		 name[STATS_HOST_LEN];
	uint64_t	 events;
	uint64_t	 err;
};

/* An alert rule seen firing (at the snapshot, every 100 ms at most): how
 * many times since the snapshot before. */
#define STATS_RECENT_ALERTS	10
struct stats_firing {
	char		 name[STATS_NAME_LEN];
	int64_t		 time_us;
	uint64_t	 fired;
};

/* The pipeline and its stages (stagestats.c, for the pipeline thread). */
struct stats_pipeline {
	uint64_t			 inflight;	/* in the stages now */
	uint64_t			 retry_since_ns; /* 0: not retrying */
	const char			*retry_stage;
	struct histogram		*store_lat;	/* received -> written */
	struct histogram		*alert_lat;	/* -> alert written */
	const struct stats_figure	*cls;
	size_t				 ncls;
	const struct stats_figure	*al;
	size_t				 nal;
	uint64_t			 al_write_errors;
	const char			*last_alert;	/* "": none yet */
	int64_t				 last_alert_us;
	const struct stats_firing	*recent;	/* newest first */
	size_t				 nrecent;
	const struct stats_rule		*lk;		/* lookups */
	size_t				 nlk;
	const struct stats_rule		*lim;		/* limits */
	size_t				 nlim;
	const struct stats_stream	*streams;	/* most recent first */
	size_t				 nstreams;
	size_t				 streams_tracked;
	const struct stats_host		*hosts;		/* unordered */
	size_t				 nhosts;
};

/* A UDP listening socket (listen.c). */
struct stats_socket {
	const char	*proto;		/* "udp", "unix" */
	const char	*addr;
	uint64_t	 events;
	const uint64_t	*dropped;	/* [DROP__COUNT] */
};

/* The per-address table of what peers sent (sources.c). */
#define STATS_MAX_SOURCES	256	/* addresses tracked at once */
#define STATS_SOURCE_KEY	48
struct stats_source {
	char		 key[STATS_SOURCE_KEY];	/* address, no port */
	uint64_t	 events;
	uint64_t	 bytes;
	int64_t		 last_us;
};
struct stats_sources {
	const struct stats_source *ent;
	size_t		 n;
	uint64_t	 evicted;
};

/* One [output] (output.c). */
struct stats_output {
	char		 name[64];
	const char	*type;		/* "forward", "kafka" (static) */
	uint64_t	 accepted;	/* records appended to the buffer */
	uint64_t	 sent;		/* acknowledged (delivered / flushed) */
	uint64_t	 failed;	/* delivery reports with an error */
	uint64_t	 retried;	/* sent again */
	uint64_t	 dropped;	/* drop_oldest, too large, damaged, given
					 * up at a stop */
	uint64_t	 blocked;	/* batches held back: buffer full */
	uint64_t	 connects;	/* connections made (forward) */
	uint64_t	 buffered;	/* records in the buffer, unacknowledged */
	uint64_t	 buffer_bytes;
	uint64_t	 recovered;	/* records found in the buffer at start */
	int		 up;		/* connected / broker reachable */
};

/* Storage (writer.c): the busiest live files, most bytes first. */
#define STATS_BUSIEST		8
struct stats_storage {
	size_t		 nbusy;
	struct {
		char		 path[256];
		uint64_t	 bytes;
	}		 busy[STATS_BUSIEST];
};

/*
 * One [input NAME] (input.c).  An input adds itself with no new arrow:
 * input.c, when it starts an input, calls
 *	stats_add(STATS_INPUT, input_stats_read, in);
 * and stats_remove(input_stats_read, in) before freeing it, where
 *	static void
 *	input_stats_read(void *arg, stats_see_fn *see, void *ctx)
 *	{
 *		struct input		*in = arg;
 *		struct stats_input	 v = { in->name, in->ops->type, "" };
 *		char			 buf[1024];
 *		size_t			 n;
 *
 *		if (in->ops->stats != NULL) {
 *			n = in->ops->stats(in, buf, sizeof(buf) - 1);
 *			buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
 *			v.members = buf;
 *		}
 *		see(ctx, &v);
 *	}
 * (ops->stats safe from the event loop).  /stats lists them under
 * "inputs"; the events an input hands over are counted by the intake in
 * received{transport} like the listener's.
 */
struct stats_input {
	const char	*name;
	const char	*type;		/* "journal", "tail" */
	const char	*members;	/* JSON members, no braces; "" or NULL */
	const char	*health;	/* "" or NULL: healthy; else why not
					 * (ops->health: /health says it) */
};

#endif
