/*
 * queue.h: the bounded FIFO between the listener and the stages.  It holds
 * batches and counts records and the memory they take (text, field records
 * and event records: lsbatch_mem): a push that would pass the capacity or
 * max_bytes is refused
 * (the listener then stops reading TCP and drops UDP).  One thread pushes,
 * one pops; the popper tells the pusher through a callback when there is
 * room again or when the queue ran dry while the pusher held records back.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct lsbatch;
struct queue;

/* Why the popping side wakes the pushing side. */
enum queue_wake {
	QUEUE_ROOM = 1,		/* depth fell to the low-water mark */
	QUEUE_DRY = 2		/* empty while the pusher holds records */
};

typedef void	(*queue_wake_cb)(int why, void *arg);

/* A queue for up to capacity records and max_bytes of their memory (a
 * batch into an empty queue always fits; the batches it hands out are full
 * at max_bytes / 16, and its pool of spare ones keeps at most max_bytes /
 * 4); NULL on ENOMEM. */
struct queue	*queue_new(size_t capacity, size_t max_bytes, queue_wake_cb,
		    void *arg);
/* Free the queue and any batches still in it; NULL is a no-op. */
void		 queue_free(struct queue *);
/* Append b if all its records fit: 0 (the queue owns b), or -1 (full; a
 * batch larger than the capacity never fits). */
int		 queue_push(struct queue *, struct lsbatch *);
/* Take the oldest batch (caller owns it), waiting up to timeout_ms (-1:
 * forever).  NULL on timeout, or once closed and empty. */
struct lsbatch	*queue_pop(struct queue *, int timeout_ms);
/* Give a used batch back for reuse (the queue owns it again). */
void		 queue_recycle(struct queue *, struct lsbatch *);
/* A batch for the pusher to fill (until lsbatch_full), from the pool or
 * new; NULL on ENOMEM. */
struct lsbatch	*queue_get_batch(struct queue *, uint32_t max);
/* The pusher holds records back: wake it with QUEUE_DRY when empty. */
void		 queue_hold(struct queue *);
/* No more pushes will come; pop drains, then returns NULL. */
void		 queue_close(struct queue *);
/* Closed, and nothing left to pop. */
int		 queue_closed_empty(struct queue *);
/* Closed (a stop began), whatever is still queued. */
int		 queue_closed(struct queue *);
/* Set the wake callback (when its argument exists only after the queue). */
void		 queue_set_wake(struct queue *, queue_wake_cb, void *);
/* Records queued now, and the most ever queued at once. */
size_t		 queue_depth(struct queue *);
size_t		 queue_peak(struct queue *);
size_t		 queue_capacity(const struct queue *);
/* Memory of the queued events now (lsbatch_mem), and the bound. */
size_t		 queue_bytes(struct queue *);
size_t		 queue_max_bytes(const struct queue *);

#endif
