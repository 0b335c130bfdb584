/*
 * pipeline.h: the stages, run on their own thread over batches taken from
 * the queue (already parsed: the intake, listen.c, calls the parser on
 * the listener thread): streams, classifier, lookup, alerter, rules,
 * outputs, writer, in that order (the table in pipeline.c).  A reload
 * hands it a new set of stages that it swaps in between two batches.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

struct alerter;
struct classifier;
struct limiter;
struct lookups;
struct config;
struct outputs;
struct queue;
struct writer;

/* What the stages run with; built and checked before it is handed over. */
struct stageset {
	struct config		*cf;
	struct classifier	*cl;
	struct alerter		*al;
	struct limiter		*lim;	/* store = no, [limit X] */
	struct lookups		*lk;	/* [lookup X] */
	struct outputs		*out;	/* [output X]; started once, at start */
	struct stageset		*retired; /* pipeline.c: swapped out while a
					 * batch still points into it */
};

struct lsbatch;
struct pipeline;

/* Build the stages of cf (no files opened); NULL with errors in cf. */
struct stageset	*stageset_new(struct config *cf);
/* Free it and its config; NULL is a no-op. */
void		 stageset_free(struct stageset *);

/* Start the thread with ss and w (it owns both from now on); NULL on
 * failure. */
struct pipeline	*pipeline_start(struct queue *, struct stageset *,
		    struct writer *);
/* Swap in ss between two batches (the pipeline owns it); the old set is
 * freed by the pipeline thread. */
void		 pipeline_reload(struct pipeline *, struct stageset *);
/* Reopen the output files at the next chance (SIGUSR1, SIGHUP). */
void		 pipeline_reopen(struct pipeline *);
/* Wait until the queue is closed and drained, everything written and
 * synced; then free it all.  Returns pipeline_durable's last figure. */
uint64_t	 pipeline_join(struct pipeline *);
/* The number (lsbatch.no) of the last batch whose events are all durable:
 * written and fdatasync'ed, or dropped by a stage; any thread may ask
 * (inputs save their positions up to it: input.h). */
uint64_t	 pipeline_durable(struct pipeline *);
/* Events in the batch being processed now (for the counts that balance). */
unsigned long	 pipeline_inflight(struct pipeline *);

#endif
