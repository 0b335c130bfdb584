/*
 * streams.h: the stream-health stage, between parser and classifier.  Per
 * stream (source address + host + app) it follows the sequence number and
 * marks gaps, duplicates and out-of-order events, marks late events
 * delayed, and optionally drops duplicates and collapses repeated messages.
 */
#ifndef STREAMS_H
#define STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "logrec.h"
#include "stats.h"

#define STREAMS_WINDOW		1024		/* seqs remembered behind */
#define STREAMS_SEQ_WRAP	2147483647ULL	/* RFC 5424 sequenceId max */
#define STREAMS_RESTART_PAUSE	(1000000LL)	/* µs of silence: restart ok */
#define STREAMS_MAX		1000000

struct config;
struct streams;

/* Settings of [streams]; taken again on reload by streams_configure. */
struct streams_conf {
	int64_t		 max_delay_us;		/* 0: no delayed marks */
	uint64_t	 max_streams;
	int		 drop_duplicates;
	int64_t		 collapse_us;		/* 0: no repeat collapse */
};

/* Per stream figures, as streams_foreach hands them out. */
struct streams_stat {
	const char			*key;	/* "addr host app",
						 * NUL-separated */
	size_t				 keylen;
	struct stats_stream_figures	 f;	/* stats.h */
};

/* The settings of cf's [streams] into sc. */
void		 streams_conf_from(const struct config *cf,
		    struct streams_conf *sc);
/* A new empty stream table; NULL on ENOMEM.  Caller frees. */
struct streams	*streams_new(const struct streams_conf *);
/* Take new settings (reload); the table and its state stay.  A lower
 * max_streams evicts the least recently seen at once (counted). */
void		 streams_configure(struct streams *, const struct streams_conf *);
/* Mark (and drop, where set) the parsed records of b.  A repeat run that
 * ends here gets its summary record inserted before the event that ended
 * it (or, with b full, at the start of the next batch).  Every window and
 * pause is timed on the monotonic clock (now_ns, the records'
 * recv_mono_ns), so a step of the wall clock neither holds nor ends one. */
void		 streams_process(struct streams *, struct lsbatch *b,
		    int64_t now_ns);
/* Summary records due by now_ns, monotonic (repeat runs whose window
 * ended, and any that found their batch full) in a batch the table owns;
 * NULL if none.
 * The caller runs it through the later stages, then lsbatch_reset()s it. */
struct lsbatch	*streams_due(struct streams *, int64_t now_ns);
/* Call cb for each tracked stream, newest first, at most max times; the
 * stat's key lives only during the call.  Pipeline thread only. */
const struct stats_host *streams_hosts(const struct streams *, size_t *);
void		 streams_foreach(const struct streams *, size_t max,
		    void (*cb)(const struct streams_stat *, void *), void *arg);
/* Streams tracked now. */
size_t		 streams_count(const struct streams *);
/* Free the table; NULL is a no-op.  Open repeat runs are lost. */
void		 streams_free(struct streams *);

/* The sequence number of r (RFC 5424 meta sequenceId, JSON/logfmt seq) in
 * *seq; 0, or -1 if r has none (or it is not a decimal number). */
int		 streams_seq(const struct lsbatch *b, const struct logrec *r,
		    uint64_t *seq);

#endif
