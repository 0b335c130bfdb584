/*
 * pipeline.c: the stage thread.  Each batch runs through the stage table in
 * order; a stage returns a verdict for the batch.  Storage that fails makes
 * the writer stage return RETRY: the thread backs off and tries that stage
 * again, never the ones before it (an alert is never sent twice), while
 * the queue fills and the listener holds TCP peers back.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "alerter.h"
#include "classifier.h"
#include "config.h"
#include "diag.h"
#include "limiter.h"
#include "lookup.h"
#include "logrec.h"
#include "output.h"
#include "pipeline.h"
#include "queue.h"
#include "stagestats.h"
#include "streams.h"
#include "tap.h"
#include "writer.h"

#define POP_MAX_MS	200		/* look at reload/reopen this often */
#define LSIDE_MAX	4096		/* [limit] summaries run at once */
#define RETRY_MIN_MS	10
#define RETRY_MAX_MS	1000
#define NAP_STEP_MS	50		/* a back-off notices a stop this soon */
/*
 * A stop ends within GIVE_UP_MS even while storage or a blocking output
 * stays dead: a stage still failing STAGES_GIVE_UP_MS after the queue was
 * closed gives up (what it could not take is counted), which leaves the
 * outputs their OUTPUT_STOP_MS and a second for the last sync.
 */
#define GIVE_UP_MS		10000
#define STAGES_GIVE_UP_MS	(GIVE_UP_MS - OUTPUT_STOP_MS - 1000)

enum verdict {
	V_NEXT,			/* on to the next stage */
	V_RETRY			/* this stage cannot go on now: try later */
};

struct pipeline {
	pthread_t		 thr;
	struct queue		*q;
	struct stageset		*ss;
	struct writer		*wr;
	struct streams		*st;		/* outlives reloads */
	struct outputs		*out;		/* from the first stageset */
	struct stagestats	*sst;		/* its figures for metrics */
	struct lsbatch		*lside;		/* [limit] summaries to run */
	pthread_mutex_t		 mtx;
	struct stageset		*next;		/* reload waiting */
	int			 reopen;
	unsigned		 gen;		/* stagesets swapped in */
	_Atomic unsigned long	 inflight;
	/* stage thread only */
	int			 running;	/* a batch is in flight */
	struct stageset		*retired;	/* swapped out under it */
	int			 again;		/* the stage runs b again */
	uint64_t		 stop_ns;	/* stop seen (mono); 0: not */
};

struct stage {
	const char		*name;
	enum verdict		 (*process)(struct pipeline *, struct lsbatch *);
	/* At a stop, still RETRY after STAGES_GIVE_UP_MS: count what the
	 * stage could not take; 1 to run the next stages on b, 0 if b is
	 * done with. */
	int			 (*give_up)(struct pipeline *, struct lsbatch *);
};

static enum verdict
stage_streams(struct pipeline *p, struct lsbatch *b)
{
	streams_process(p->st, b, diag_mono_ns());
	return V_NEXT;
}

static enum verdict
stage_classify(struct pipeline *p, struct lsbatch *b)
{
	classifier_process(p->ss->cl, b);
	return V_NEXT;
}

/* [lookup] fields: after the classifier (a capture may be the key), before
 * the alerter (an alert may count by a looked-up field). */
static enum verdict
stage_lookup(struct pipeline *p, struct lsbatch *b)
{
	lookups_process(p->ss->lk, b);
	return V_NEXT;
}

static enum verdict
stage_alert(struct pipeline *p, struct lsbatch *b)
{
	alerter_process(p->ss->al, b, diag_now_us());
	return V_NEXT;
}

/* store = no and [limit]: after the alerter, which saw every event. */
static enum verdict
stage_rules(struct pipeline *p, struct lsbatch *b)
{
	limiter_process(p->ss->lim, b, p->lside, diag_mono_ns(),
	    diag_now_us());
	return V_NEXT;
}

/* Outputs with overflow = block hold the batch (and TCP senders) when
 * their disk buffer is full; before the writer, so a crash between the
 * two leaves an event sent but not stored, never stored but not sent. */
static enum verdict
stage_output(struct pipeline *p, struct lsbatch *b)
{
	return outputs_process(p->out, b, p->again) == -1 ? V_RETRY : V_NEXT;
}

/* A blocking output still full at a stop: storage still gets b. */
static int
give_up_output(struct pipeline *p, struct lsbatch *b)
{
	outputs_give_up(p->out);
	return 1;
}

static enum verdict
stage_write(struct pipeline *p, struct lsbatch *b)
{
	if (writer_process(p->wr, b) == -1)
		return V_RETRY;
	stagestats_stored(p->sst, b, diag_mono_ns());
	if (tap_active())	/* GET /tap: only while a client is there */
		tap_batch(b);
	return V_NEXT;
}

/* Storage still failing at a stop: b's events are lost, and counted. */
static int
give_up_write(struct pipeline *p, struct lsbatch *b)
{
	uint32_t	 j, lost = 0;

	for (j = 0; j < b->n; j++)	/* not those dropped before */
		lost += !(b->recs[j].flags & LR_DROP);
	diag_err("stopping: writer still failing %d s after the stop; %u "
	    "events lost (dropped, reason storage)", STAGES_GIVE_UP_MS / 1000,
	    lost);
	COUNT_ADD(counters.dropped[DROP_STORAGE], lost);
	return 0;
}

/* The order of the stages, written once. */
static const struct stage stages[] = {
	{ .name = "streams",	.process = stage_streams },
	{ .name = "classifier",	.process = stage_classify },
	{ .name = "lookup",	.process = stage_lookup },
	{ .name = "alerter",	.process = stage_alert },
	{ .name = "rules",	.process = stage_rules },
	{ .name = "outputs",	.process = stage_output,
	  .give_up = give_up_output },
	{ .name = "writer",	.process = stage_write,
	  .give_up = give_up_write },
};

#define NSTAGES	(sizeof(stages) / sizeof(stages[0]))
#define AFTER_STREAMS	1	/* records the streams stage makes start here */
#define AFTER_RULES	5	/* and the [limit] summaries here */

struct stageset *
stageset_new(struct config *cf)
{
	struct stageset	*ss;

	/* Even with errors already found, check every stage: -t and a
	 * reload report all that is wrong at once. */
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return NULL;
	ss->cf = cf;
	/* The alerts are checked even when a class is bad: against the
	 * class names as written. */
	ss->cl = classifier_new(cf);
	ss->al = alerter_new(cf, ss->cl);
	ss->lim = limiter_new(cf, ss->cl);
	ss->lk = lookups_new(cf);
	ss->out = outputs_new(cf);
	if (ss->cl == NULL || ss->al == NULL || ss->lim == NULL ||
	    ss->lk == NULL || cf->nerrors > 0) {
		ss->cf = NULL;		/* the caller still owns cf */
		stageset_free(ss);
		return NULL;
	}
	return ss;
}

void
stageset_free(struct stageset *ss)
{
	if (ss == NULL)
		return;
	outputs_free(ss->out);
	limiter_free(ss->lim);
	lookups_free(ss->lk);
	alerter_free(ss->al);
	classifier_free(ss->cl);
	config_free(ss->cf);
	free(ss);
}

/* Between batches: take a reload or a reopen that is waiting. */
static void
pipeline_between(struct pipeline *p)
{
	struct stageset	*next;
	struct streams_conf sc;
	int		 reopen;

	pthread_mutex_lock(&p->mtx);
	next = p->next;
	p->next = NULL;
	reopen = p->reopen;
	p->reopen = 0;
	pthread_mutex_unlock(&p->mtx);
	if (next != NULL) {
		streams_conf_from(next->cf, &sc);
		streams_configure(p->st, &sc);
		alerter_adopt(next->al, p->ss->al);
		if (writer_configure(p->wr, next->cf) == -1)
			diag_err("reload: storage settings not taken");
		/* The old limits' owed summaries: made now, run at the tick;
		 * its figures as they end, for the counters to go on. */
		limiter_summaries(p->ss->lim, p->lside, diag_now_us(), 1);
		stagestats_publish_rules(p->sst, p->ss->lk, p->ss->lim, p->gen,
		    diag_mono_ns(), 1);
		/* The records of a batch in flight point into the old set
		 * (their class names): it lives until that batch is done. */
		if (p->running) {
			p->ss->retired = p->retired;
			p->retired = p->ss;
		} else
			stageset_free(p->ss);
		p->ss = next;
		p->gen++;
	}
	if (reopen) {
		if (writer_reopen(p->wr) == -1)
			diag_err("reopen: storage kept on the old file");
		if (alerter_reopen(p->ss->al) == -1)
			diag_err("reopen: alerts kept on the old file");
	}
}

/* Has a stop begun?  Noted once, when the queue is first seen closed. */
static int
pipeline_stopping(struct pipeline *p)
{
	if (p->stop_ns == 0 && queue_closed(p->q))
		p->stop_ns = diag_mono_ns() | 1;
	return p->stop_ns != 0;
}

/* Ms before a failing stage gives up: -1 while not stopping. */
static int64_t
pipeline_left_ms(struct pipeline *p)
{
	int64_t	 left;

	if (!pipeline_stopping(p))
		return -1;
	left = STAGES_GIVE_UP_MS - (int64_t)((diag_mono_ns() - p->stop_ns) /
	    1000000);
	return left > 0 ? left : 0;
}

/* Back off for ms, less when a stop begins meanwhile. */
static void
pipeline_nap(struct pipeline *p, int64_t ms)
{
	int	 was = p->stop_ns != 0;

	for (; ms > 0; ms -= NAP_STEP_MS) {
		usleep((ms < NAP_STEP_MS ? ms : NAP_STEP_MS) * 1000);
		if (!was && pipeline_stopping(p))
			return;
	}
}

/* Run b through the stages from the first'th; a stage that says RETRY is
 * tried again (p->again set), until it works or, at a stop, gives up. */
static void
pipeline_run(struct pipeline *p, struct lsbatch *b, size_t first)
{
	struct stageset	*ss;
	size_t		 i;
	int64_t		 wait = RETRY_MIN_MS, left;

	atomic_store(&p->inflight, b->n);
	p->running = 1;
	for (i = first; i < NSTAGES; i++) {
		for (p->again = 0; stages[i].process(p, b) == V_RETRY;
		    p->again = 1) {
			stagestats_retry(p->sst, stages[i].name, diag_mono_ns());
			if ((left = pipeline_left_ms(p)) == 0) {
				if (stages[i].give_up(p, b))
					break;
				goto done;
			}
			pipeline_nap(p, left > 0 && left < wait ? left : wait);
			wait = wait * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
			    wait * 2;
			pipeline_between(p);
		}
	}
done:
	stagestats_retry(p->sst, NULL, 0);
	p->running = 0;
	while ((ss = p->retired) != NULL) {
		p->retired = ss->retired;
		stageset_free(ss);
	}
	atomic_store(&p->inflight, 0);
}

/* At least once a second, batch or not: absence alerts, alert programs
 * to reap, repeat summaries whose window ended (all of them when last). */
static void
pipeline_tick(struct pipeline *p, int last)
{
	struct lsbatch	*sb;
	int64_t		 now = diag_now_us();

	alerter_tick(p->ss->al, now, diag_mono_ns());
	lookups_tick(p->ss->lk, diag_mono_ns());
	limiter_summaries(p->ss->lim, p->lside, now, last);
	if (p->lside->n > 0) {
		pipeline_run(p, p->lside, AFTER_RULES);
		lsbatch_reset(p->lside);
	}
	if ((sb = streams_due(p->st, last ? INT64_MAX : diag_mono_ns())) !=
	    NULL) {
		pipeline_run(p, sb, AFTER_STREAMS);
		lsbatch_reset(sb);
	}
}

static void *
pipeline_main(void *arg)
{
	struct pipeline	*p = arg;
	struct lsbatch	*b;
	int		 timeout;

	/* Named for top -H, perf and /proc/PID/task. */
	pthread_setname_np(pthread_self(), "ls-stages");
	for (;;) {
		timeout = writer_tick(p->wr, diag_mono_ns());
		if (timeout < 0 || timeout > POP_MAX_MS)
			timeout = POP_MAX_MS;
		b = queue_pop(p->q, timeout);
		pipeline_between(p);
		stagestats_publish(p->sst, p->ss->cl, p->ss->al, p->gen,
		    diag_mono_ns());
		stagestats_publish_streams(p->sst, p->st, diag_mono_ns());
		stagestats_publish_rules(p->sst, p->ss->lk, p->ss->lim, p->gen,
		    diag_mono_ns(), 0);
		if (b == NULL) {
			if (queue_closed_empty(p->q))
				break;
			pipeline_tick(p, 0);
			continue;
		}
		pipeline_run(p, b, 0);
		queue_recycle(p->q, b);
		pipeline_tick(p, 0);
	}
	pipeline_tick(p, 1);
	writer_sync(p->wr);
	return NULL;
}

struct pipeline *
pipeline_start(struct queue *q, struct stageset *ss, struct writer *wr)
{
	struct pipeline		*p;
	struct streams_conf	 sc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->q = q;
	p->ss = ss;
	p->wr = wr;
	p->out = ss->out;
	ss->out = NULL;
	streams_conf_from(ss->cf, &sc);
	if ((p->lside = lsbatch_new(LSIDE_MAX)) == NULL ||
	    (p->sst = stagestats_new(&p->inflight)) == NULL ||
	    outputs_start(p->out) == -1 || (p->st = streams_new(&sc)) ==
	    NULL) {
		outputs_free(p->out);
		stagestats_free(p->sst);
		lsbatch_free(p->lside);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mtx, NULL);
	alerter_set_latency(ss->al, stagestats_alert_latency(p->sst));
	if (pthread_create(&p->thr, NULL, pipeline_main, p) != 0) {
		outputs_free(p->out);	/* stops the threads it started */
		stagestats_free(p->sst);
		streams_free(p->st);
		lsbatch_free(p->lside);
		pthread_mutex_destroy(&p->mtx);
		free(p);
		return NULL;
	}
	return p;
}

void
pipeline_reload(struct pipeline *p, struct stageset *ss)
{
	struct stageset	*old;

	pthread_mutex_lock(&p->mtx);
	old = p->next;		/* a reload not yet taken: replace it */
	p->next = ss;
	p->reopen = 1;
	pthread_mutex_unlock(&p->mtx);
	stageset_free(old);
}

void
pipeline_reopen(struct pipeline *p)
{
	pthread_mutex_lock(&p->mtx);
	p->reopen = 1;
	pthread_mutex_unlock(&p->mtx);
}

uint64_t
pipeline_durable(struct pipeline *p)
{
	return writer_durable(p->wr);
}

unsigned long
pipeline_inflight(struct pipeline *p)
{
	return atomic_load(&p->inflight);
}

uint64_t
pipeline_join(struct pipeline *p)
{
	uint64_t	 durable;

	if (p == NULL)
		return 0;
	pthread_join(p->thr, NULL);
	durable = writer_durable(p->wr);	/* all synced: the last word */
	outputs_free(p->out);
	pipeline_between(p);
	stageset_free(p->next);
	stageset_free(p->ss);
	streams_free(p->st);
	lsbatch_free(p->lside);
	stagestats_free(p->sst);
	writer_free(p->wr);
	pthread_mutex_destroy(&p->mtx);
	free(p);
	return durable;
}
