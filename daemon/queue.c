/*
 * queue.c: a mutex and condition variable around a list of batches.  Pushes
 * and pops are per batch (hundreds of records), so the lock is taken a few
 * thousand times a second at full rate, not per event.  Used batches come
 * back through a small pool so steady state allocates nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "logrec.h"
#include "queue.h"
#include "stats.h"

#define POOL_MAX	64
/* A batch is full at max_bytes / BATCH_SHARE of events (before parsing:
 * the fields then add up to ~14 times the text of tiny pairs), and the
 * pool keeps at most max_bytes / POOL_SHARE of spare batches. */
#define BATCH_SHARE	16
#define POOL_SHARE	4

struct queue {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	struct lsbatch	*head;
	struct lsbatch	*tail;
	size_t		 depth;		/* records queued */
	size_t		 peak;
	size_t		 capacity;
	size_t		 lowat;
	size_t		 bytes;		/* lsbatch_mem of the queued batches */
	size_t		 max_bytes;
	size_t		 batch_mem;	/* mem_max of a new batch */
	int		 closed;
	int		 want_room;	/* a push was refused */
	int		 want_dry;	/* the pusher holds records */
	struct lsbatch	*pool;
	size_t		 npool;
	size_t		 pool_bytes;	/* lsbatch_capmem of the pool */
	queue_wake_cb	 wake;
	void		*arg;
};

/* The STATS_QUEUE provider (under the queue's lock). */
static void
queue_stats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct queue		*q = arg;
	struct stats_queue	 v;

	pthread_mutex_lock(&q->mtx);
	v = (struct stats_queue){ q->depth, q->capacity, q->peak, q->bytes,
	    q->max_bytes };
	pthread_mutex_unlock(&q->mtx);
	see(ctx, &v);
}

struct queue *
queue_new(size_t capacity, size_t max_bytes, queue_wake_cb wake, void *arg)
{
	struct queue	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->capacity = capacity;
	q->lowat = capacity / 2;
	q->max_bytes = max_bytes;
	q->batch_mem = max_bytes / BATCH_SHARE;
	q->wake = wake;
	q->arg = arg;
	if (stats_add(STATS_QUEUE, queue_stats_read, q) == -1) {
		queue_free(q);
		return NULL;
	}
	return q;
}

static void
free_list(struct lsbatch *b)
{
	struct lsbatch	*next;

	for (; b != NULL; b = next) {
		next = b->next;
		lsbatch_free(b);
	}
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	stats_remove(queue_stats_read, q);
	free_list(q->head);
	free_list(q->pool);
	pthread_mutex_destroy(&q->mtx);
	pthread_cond_destroy(&q->cond);
	free(q);
}

int
queue_push(struct queue *q, struct lsbatch *b)
{
	size_t	 mem = lsbatch_mem(b);

	pthread_mutex_lock(&q->mtx);
	/* Past max_bytes only when something is queued: one batch of
	 * long lines always passes, so nothing can wait forever. */
	if (q->depth + b->n > q->capacity ||
	    (q->head != NULL && q->bytes + mem > q->max_bytes)) {
		q->want_room = 1;
		pthread_mutex_unlock(&q->mtx);
		return -1;
	}
	b->next = NULL;
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->depth += b->n;
	b->qbytes = mem;
	q->bytes += mem;
	if (q->depth > q->peak)
		q->peak = q->depth;
	q->want_dry = 0;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
	return 0;
}

struct lsbatch *
queue_pop(struct queue *q, int timeout_ms)
{
	struct lsbatch	*b;
	struct timespec	 ts;
	int		 why = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->mtx);
	/* A loop: condition variables may wake for nothing. */
	while (q->head == NULL && !q->closed && timeout_ms != 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->cond, &q->mtx);
		else if (pthread_cond_clockwait(&q->cond, &q->mtx,
		    CLOCK_MONOTONIC, &ts) == ETIMEDOUT)
			break;
	}
	if ((b = q->head) != NULL) {
		if ((q->head = b->next) == NULL)
			q->tail = NULL;
		q->depth -= b->n;
		q->bytes -= b->qbytes;
		b->next = NULL;
	}
	if (q->want_room && q->depth <= q->lowat &&
	    q->bytes <= q->max_bytes / 2) {
		q->want_room = 0;
		why |= QUEUE_ROOM;
	}
	if (q->want_dry && q->head == NULL) {
		q->want_dry = 0;
		why |= QUEUE_DRY;
	}
	pthread_mutex_unlock(&q->mtx);
	if (why && q->wake != NULL)
		q->wake(why, q->arg);
	return b;
}

void
queue_recycle(struct queue *q, struct lsbatch *b)
{
	size_t	 mem;

	lsbatch_reset(b);
	mem = lsbatch_capmem(b);
	pthread_mutex_lock(&q->mtx);
	if (q->npool < POOL_MAX &&
	    q->pool_bytes + mem <= q->max_bytes / POOL_SHARE) {
		b->next = q->pool;
		q->pool = b;
		q->npool++;
		q->pool_bytes += mem;
		b = NULL;
	}
	pthread_mutex_unlock(&q->mtx);
	lsbatch_free(b);
}

struct lsbatch *
queue_get_batch(struct queue *q, uint32_t max)
{
	struct lsbatch	*b;

	pthread_mutex_lock(&q->mtx);
	if ((b = q->pool) != NULL) {
		q->pool = b->next;
		q->npool--;
		q->pool_bytes -= lsbatch_capmem(b);
	}
	pthread_mutex_unlock(&q->mtx);
	if (b != NULL && b->max != max) {
		lsbatch_free(b);
		b = NULL;
	}
	if (b == NULL && (b = lsbatch_new(max)) == NULL)
		return NULL;
	b->mem_max = q->batch_mem;
	return b;
}

void
queue_hold(struct queue *q)
{
	int	 dry;

	pthread_mutex_lock(&q->mtx);
	dry = q->head == NULL;
	q->want_dry = !dry;
	pthread_mutex_unlock(&q->mtx);
	if (dry && q->wake != NULL)
		q->wake(QUEUE_DRY, q->arg);
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->closed = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mtx);
}

size_t
queue_depth(struct queue *q)
{
	size_t	 d;

	pthread_mutex_lock(&q->mtx);
	d = q->depth;
	pthread_mutex_unlock(&q->mtx);
	return d;
}

size_t
queue_peak(struct queue *q)
{
	size_t	 d;

	pthread_mutex_lock(&q->mtx);
	d = q->peak;
	pthread_mutex_unlock(&q->mtx);
	return d;
}

size_t
queue_capacity(const struct queue *q)
{
	return q->capacity;
}

int
queue_closed_empty(struct queue *q)
{
	int	 r;

	pthread_mutex_lock(&q->mtx);
	r = q->closed && q->head == NULL;
	pthread_mutex_unlock(&q->mtx);
	return r;
}

void
queue_set_wake(struct queue *q, queue_wake_cb wake, void *arg)
{
	pthread_mutex_lock(&q->mtx);
	q->wake = wake;
	q->arg = arg;
	pthread_mutex_unlock(&q->mtx);
}

size_t
queue_bytes(struct queue *q)
{
	size_t	 n;

	pthread_mutex_lock(&q->mtx);
	n = q->bytes;
	pthread_mutex_unlock(&q->mtx);
	return n;
}

size_t
queue_max_bytes(const struct queue *q)
{
	return q->max_bytes;
}

int
queue_closed(struct queue *q)
{
	int	 r;

	pthread_mutex_lock(&q->mtx);
	r = q->closed;
	pthread_mutex_unlock(&q->mtx);
	return r;
}
