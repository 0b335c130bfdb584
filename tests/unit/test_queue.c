/*
 * test_queue.c: the bounded batch queue: FIFO order, refusal at capacity
 * (counted in records), the ROOM and DRY wake-ups, pop timeouts, close and
 * drain, the batch pool, and one producer/consumer pair on two threads that
 * must see every sequence number once and in order.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "logrec.h"
#include "queue.h"

struct wakes {
	int	 room;
	int	 dry;
	int	 calls;
	int	 last;
};

static void
wake_cb(int why, void *arg)
{
	struct wakes	*w = arg;

	w->calls++;
	w->last = why;
	if (why & QUEUE_ROOM)
		w->room++;
	if (why & QUEUE_DRY)
		w->dry++;
}

/* A batch of n records whose received_us carry seq, seq+1, ... */
static struct lsbatch *
mkbatch(uint32_t n, int64_t seq)
{
	struct lsbatch	*b = lsbatch_new(n > 0 ? n : 1);
	struct logrec	*r;
	uint32_t	 i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		r = lsbatch_add_rec(b);
		assert_non_null(r);
		r->received_us = seq + i;
	}
	return b;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_fifo(void **state)
{
	struct queue	*q = queue_new(100, SIZE_MAX, NULL, NULL);
	struct lsbatch	*b;
	int		 i;

	assert_non_null(q);
	assert_int_equal(queue_capacity(q), 100);
	for (i = 0; i < 10; i++)
		assert_int_equal(queue_push(q, mkbatch(3, i * 10)), 0);
	assert_int_equal(queue_depth(q), 30);
	for (i = 0; i < 10; i++) {
		b = queue_pop(q, 0);
		assert_non_null(b);
		assert_int_equal(b->n, 3);
		assert_int_equal(b->recs[0].received_us, i * 10);
		assert_null(b->next);
		lsbatch_free(b);
		assert_int_equal(queue_depth(q), (size_t)(9 - i) * 3);
	}
	assert_null(queue_pop(q, 0));
	queue_free(q);
	queue_free(NULL);
}

static void
test_refuse_full(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(10, SIZE_MAX, wake_cb, &w);
	struct lsbatch	*a = mkbatch(6, 0), *b = mkbatch(5, 100), *c;

	assert_int_equal(queue_push(q, a), 0);
	assert_int_equal(queue_push(q, b), -1);	/* 6 + 5 > 10 */
	/* still the caller's: intact and not linked anywhere */
	assert_int_equal(b->n, 5);
	assert_int_equal(b->recs[4].received_us, 104);
	assert_int_equal(queue_depth(q), 6);
	c = mkbatch(4, 200);
	assert_int_equal(queue_push(q, c), 0);	/* 6 + 4 == 10 fits */
	assert_int_equal(queue_depth(q), 10);
	assert_int_equal(queue_push(q, b), -1);
	assert_int_equal(queue_depth(q), 10);
	assert_int_equal(queue_peak(q), 10);
	assert_int_equal(w.calls, 0);		/* no wake on refusal */
	assert_ptr_equal(queue_pop(q, 0), a);
	assert_ptr_equal(queue_pop(q, 0), c);
	assert_null(queue_pop(q, 0));
	lsbatch_free(a);
	lsbatch_free(c);
	lsbatch_free(b);
	queue_free(q);
}

/* max_bytes: long lines fill the queue before its count of events does;
 * what counts is lsbatch_mem, the text and the records. */
#define R	sizeof(struct logrec)
static void
test_refuse_bytes(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(1000, 10000 + 4 * R, wake_cb, &w);
	struct lsbatch	*a = mkbatch(2, 0), *b = mkbatch(2, 10), *c, *big;
	struct lsslice	 s;
	static char	 line[6000];

	assert_int_equal(lsbatch_append(a, line, 6000, &s), 0);
	assert_int_equal(lsbatch_append(b, line, 5000, &s), 0);
	assert_int_equal(queue_max_bytes(q), 10000 + 4 * R);
	assert_int_equal(queue_push(q, a), 0);
	assert_int_equal(queue_bytes(q), 6000 + 2 * R);
	assert_int_equal(queue_push(q, b), -1);	/* 11000 + 4R > 10000 + 4R */
	assert_int_equal(queue_depth(q), 2);
	/* No room wake while the bytes are above half the bound. */
	c = mkbatch(1, 20);
	assert_int_equal(lsbatch_append(c, line, 4000, &s), 0);
	assert_int_equal(queue_push(q, c), 0);	/* 10000 + 3R fits */
	assert_ptr_equal(queue_pop(q, 0), a);
	assert_int_equal(queue_bytes(q), 4000 + R);
	assert_int_equal(w.room, 1);		/* 4000 + R <= 5000 + 2R: room */
	assert_int_equal(queue_push(q, b), 0);
	assert_ptr_equal(queue_pop(q, 0), c);
	assert_ptr_equal(queue_pop(q, 0), b);
	assert_int_equal(queue_bytes(q), 0);
	/* A batch bigger than the bound passes into an empty queue. */
	big = mkbatch(1, 30);
	assert_int_equal(lsbatch_append(big, line, 6000, &s), 0);
	assert_int_equal(lsbatch_append(big, line, 6000, &s), 0);
	assert_int_equal(queue_push(q, big), 0);
	assert_ptr_equal(queue_pop(q, 0), big);
	lsbatch_free(a);
	lsbatch_free(b);
	lsbatch_free(c);
	lsbatch_free(big);
	queue_free(q);
}

/* Field records count: tiny fields fill the queue, not their text. */
static void
test_refuse_fields(void **state)
{
	struct queue	*q = queue_new(1000, 1 << 20, NULL, NULL);
	struct lsbatch	*a = mkbatch(1, 0), *b = mkbatch(1, 1);
	struct lsslice	 s;
	static char	 line[4 * 20000];
	int		 i;

	/* 80 KB of "a=1 " and its 20,000 field records: ~640 KB */
	for (i = 0; i < 20000; i++) {
		assert_non_null(lsbatch_add_field(a));
		assert_non_null(lsbatch_add_field(b));
	}
	assert_int_equal(lsbatch_append(a, line, sizeof(line), &s), 0);
	assert_int_equal(lsbatch_append(b, line, sizeof(line), &s), 0);
	assert_int_equal(lsbatch_mem(a), sizeof(line) + R +
	    20000 * sizeof(struct lsfield));
	assert_int_equal(queue_push(q, a), 0);
	assert_int_equal(queue_bytes(q), lsbatch_mem(a));
	assert_int_equal(queue_push(q, b), -1);	/* the text alone fits */
	assert_ptr_equal(queue_pop(q, 0), a);
	assert_int_equal(queue_bytes(q), 0);
	lsbatch_free(a);
	lsbatch_free(b);
	queue_free(q);
}

/* A batch from the queue is full at max_bytes / 16 of memory, before its
 * record count; the pool keeps at most max_bytes / 4 of spare batches. */
static void
test_batch_bound(void **state)
{
	struct queue	*q = queue_new(1000, 1 << 20, NULL, NULL);
	struct lsbatch	*b, *many[64];
	struct lsslice	 s;
	static char	 line[1000];
	size_t		 i, pooled;

	b = queue_get_batch(q, 512);
	assert_non_null(b);
	assert_int_equal(b->mem_max, (1 << 20) / 16);
	for (i = 0; !lsbatch_full(b); i++) {
		assert_non_null(lsbatch_add_rec(b));
		assert_int_equal(lsbatch_append(b, line, sizeof(line), &s), 0);
	}
	assert_true(b->n < 512);
	assert_true(lsbatch_mem(b) >= (1 << 20) / 16);
	assert_true(lsbatch_mem(b) < (1 << 20) / 16 + sizeof(line) + R);
	lsbatch_free(b);
	queue_free(q);

	/* Spare batches with a 256 KB arena: the pool keeps a few. */
	q = queue_new(1000, 16 << 20, NULL, NULL);
	for (i = 0; i < 64; i++) {
		assert_non_null(many[i] = queue_get_batch(q, 512));
		assert_int_equal(lsbatch_reserve(many[i], 200000), 0);
	}
	for (i = 0; i < 64; i++)
		queue_recycle(q, many[i]);
	for (i = 0, pooled = 0; i < 64; i++) {
		assert_non_null(many[i] = queue_get_batch(q, 512));
		pooled += many[i]->cap > 200000;
	}
	assert_true(pooled >= 1);
	assert_true(pooled <= (16 << 20) / 4 / lsbatch_capmem(many[0]));
	for (i = 0; i < 64; i++)
		lsbatch_free(many[i]);
	queue_free(q);
}

static void
test_depth_bound(void **state)
{
	struct queue	*q = queue_new(50, SIZE_MAX, NULL, NULL);
	struct lsbatch	*b;
	unsigned int	 seed = 3;
	int		 i, pushed = 0, popped = 0;

	/* random pushes and pops: depth stays within capacity */
	for (i = 0; i < 5000; i++) {
		if (rand_r(&seed) % 3 != 0) {
			b = mkbatch(1 + rand_r(&seed) % 20, pushed);
			if (queue_push(q, b) == 0)
				pushed++;
			else
				lsbatch_free(b);
		} else if ((b = queue_pop(q, 0)) != NULL) {
			popped++;
			lsbatch_free(b);
		}
		assert_true(queue_depth(q) <= 50);
		assert_true(queue_peak(q) <= 50);
	}
	assert_true(pushed > 100 && popped > 100);
	queue_free(q);		/* frees what is still queued */
}

static void
test_room(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(10, SIZE_MAX, wake_cb, &w);
	struct lsbatch	*b, *x;
	int		 i;

	for (i = 0; i < 5; i++)
		assert_int_equal(queue_push(q, mkbatch(2, i)), 0);
	/* pops without a refused push never wake */
	lsbatch_free(queue_pop(q, 0));
	lsbatch_free(queue_pop(q, 0));
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(w.calls, 0);
	assert_int_equal(queue_push(q, mkbatch(2, 10)), 0);
	assert_int_equal(queue_push(q, mkbatch(2, 11)), 0);
	assert_int_equal(queue_push(q, mkbatch(2, 12)), 0);
	assert_int_equal(queue_depth(q), 10);
	x = mkbatch(1, 99);
	assert_int_equal(queue_push(q, x), -1);
	lsbatch_free(queue_pop(q, 0));		/* 8 */
	assert_int_equal(w.calls, 0);
	lsbatch_free(queue_pop(q, 0));		/* 6 */
	assert_int_equal(w.calls, 0);
	lsbatch_free(queue_pop(q, 0));		/* 4 <= 5: room */
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.room, 1);
	assert_int_equal(w.last, QUEUE_ROOM);
	lsbatch_free(queue_pop(q, 0));		/* 2: once only */
	lsbatch_free(queue_pop(q, 0));		/* 0 */
	assert_null(queue_pop(q, 0));
	assert_int_equal(w.calls, 1);
	assert_int_equal(queue_push(q, x), 0);
	b = queue_pop(q, 0);
	assert_ptr_equal(b, x);
	lsbatch_free(b);
	assert_int_equal(w.calls, 1);
	queue_free(q);
}

static void
test_room_exactly_half(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(7, SIZE_MAX, wake_cb, &w);	/* low-water 3 */
	struct lsbatch	*x = mkbatch(3, 0);
	int		 i;

	for (i = 0; i < 7; i++)
		assert_int_equal(queue_push(q, mkbatch(1, i)), 0);
	assert_int_equal(queue_push(q, x), -1);
	for (i = 0; i < 3; i++)
		lsbatch_free(queue_pop(q, 0));	/* 4 */
	assert_int_equal(w.room, 0);
	lsbatch_free(queue_pop(q, 0));		/* 3 */
	assert_int_equal(w.room, 1);
	lsbatch_free(x);
	queue_free(q);
}

static void
test_dry(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(10, SIZE_MAX, wake_cb, &w);

	/* hold on an empty queue: dry at once */
	queue_hold(q);
	assert_int_equal(w.dry, 1);
	assert_int_equal(w.last, QUEUE_DRY);
	assert_int_equal(queue_push(q, mkbatch(2, 0)), 0);
	assert_int_equal(queue_push(q, mkbatch(2, 2)), 0);
	lsbatch_free(queue_pop(q, 0));
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(w.dry, 1);	/* no hold pending: no wake */

	assert_int_equal(queue_push(q, mkbatch(2, 4)), 0);
	assert_int_equal(queue_push(q, mkbatch(2, 6)), 0);
	queue_hold(q);
	assert_int_equal(w.dry, 1);
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(w.dry, 1);	/* not empty yet */
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(w.dry, 2);
	assert_int_equal(w.last, QUEUE_DRY);
	assert_null(queue_pop(q, 0));
	assert_int_equal(w.dry, 2);	/* once */
	assert_int_equal(w.room, 0);
	queue_free(q);
}

static void
test_room_and_dry(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(4, SIZE_MAX, wake_cb, &w);
	struct lsbatch	*x = mkbatch(3, 0);

	assert_int_equal(queue_push(q, mkbatch(4, 0)), 0);
	assert_int_equal(queue_push(q, x), -1);
	queue_hold(q);
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.last, QUEUE_ROOM | QUEUE_DRY);
	lsbatch_free(x);
	queue_free(q);
}

static void
test_set_wake(void **state)
{
	struct wakes	 w = { 0 };
	struct queue	*q = queue_new(4, SIZE_MAX, NULL, NULL);

	queue_hold(q);			/* no callback: nothing to call */
	queue_set_wake(q, wake_cb, &w);
	queue_hold(q);
	assert_int_equal(w.dry, 1);
	queue_free(q);
}

static void
test_pop_timeout(void **state)
{
	struct queue	*q = queue_new(4, SIZE_MAX, NULL, NULL);
	int64_t		 t0;

	t0 = now_ms();
	assert_null(queue_pop(q, 0));
	assert_null(queue_pop(q, 1));
	assert_null(queue_pop(q, 30));
	assert_null(queue_pop(q, 1200));	/* crosses a second */
	assert_true(now_ms() - t0 >= 1000);
	queue_free(q);
}

static void
test_close_drain(void **state)
{
	struct queue	*q = queue_new(10, SIZE_MAX, NULL, NULL);
	struct lsbatch	*b;

	assert_int_equal(queue_push(q, mkbatch(1, 1)), 0);
	assert_int_equal(queue_push(q, mkbatch(1, 2)), 0);
	assert_false(queue_closed_empty(q));
	queue_close(q);
	assert_false(queue_closed_empty(q));
	b = queue_pop(q, -1);
	assert_int_equal(b->recs[0].received_us, 1);
	lsbatch_free(b);
	b = queue_pop(q, -1);
	assert_int_equal(b->recs[0].received_us, 2);
	lsbatch_free(b);
	assert_true(queue_closed_empty(q));
	assert_null(queue_pop(q, -1));		/* closed: does not block */
	assert_null(queue_pop(q, 5000));
	queue_free(q);

	q = queue_new(10, SIZE_MAX, NULL, NULL);
	assert_false(queue_closed_empty(q));
	queue_free(q);
}

static void *
closer(void *arg)
{
	struct timespec	 ts = { 0, 50 * 1000000 };

	nanosleep(&ts, NULL);
	queue_close(arg);
	return NULL;
}

static void
test_close_wakes_popper(void **state)
{
	struct queue	*q = queue_new(10, SIZE_MAX, NULL, NULL);
	pthread_t	 t;

	assert_int_equal(pthread_create(&t, NULL, closer, q), 0);
	assert_null(queue_pop(q, -1));
	pthread_join(t, NULL);
	assert_true(queue_closed_empty(q));
	queue_free(q);
}

static void
test_pool(void **state)
{
	struct queue	*q = queue_new(10, SIZE_MAX, NULL, NULL);
	struct lsbatch	*b, *c, *many[80];
	int		 i;

	b = queue_get_batch(q, 8);
	assert_non_null(b);
	assert_int_equal(b->max, 8);
	assert_int_equal(b->n, 0);
	assert_non_null(lsbatch_add_rec(b));
	assert_int_equal(lsbatch_append(b, "hello", 5, &b->recs[0].raw), 0);
	assert_int_equal(queue_push(q, b), 0);
	c = queue_pop(q, 0);
	assert_ptr_equal(c, b);
	queue_recycle(q, c);
	c = queue_get_batch(q, 8);
	assert_ptr_equal(c, b);			/* reused, and empty */
	assert_int_equal(c->n, 0);
	assert_int_equal(c->used, 0);
	assert_int_equal(c->nfields, 0);
	queue_recycle(q, c);
	c = queue_get_batch(q, 16);		/* another size: a new one */
	assert_non_null(c);
	assert_int_equal(c->max, 16);
	lsbatch_free(c);

	/* more than the pool keeps: the rest is freed (valgrind checks) */
	for (i = 0; i < 80; i++)
		many[i] = queue_get_batch(q, 4);
	for (i = 0; i < 80; i++)
		queue_recycle(q, many[i]);
	queue_free(q);
}

static void
test_peak(void **state)
{
	struct queue	*q = queue_new(100, SIZE_MAX, NULL, NULL);

	assert_int_equal(queue_peak(q), 0);
	assert_int_equal(queue_push(q, mkbatch(30, 0)), 0);
	assert_int_equal(queue_push(q, mkbatch(20, 0)), 0);
	lsbatch_free(queue_pop(q, 0));
	assert_int_equal(queue_push(q, mkbatch(10, 0)), 0);
	assert_int_equal(queue_depth(q), 30);
	assert_int_equal(queue_peak(q), 50);
	queue_free(q);
}

#define NBATCH	20000

struct prod {
	struct queue	*q;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	int		 room;
	int		 refused;
};

static void
prod_wake_cb(int why, void *arg)
{
	struct prod	*p = arg;

	pthread_mutex_lock(&p->mtx);
	if (why & QUEUE_ROOM)
		p->room = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
}

static void *
producer(void *arg)
{
	struct prod	*p = arg;
	struct lsbatch	*b;
	struct logrec	*r;
	int64_t		 seq = 0;
	uint32_t	 i, n;
	int		 k;

	for (k = 0; k < NBATCH; k++) {
		n = 1 + (uint32_t)(k % 13);
		b = queue_get_batch(p->q, 16);
		for (i = 0; i < n; i++) {
			r = lsbatch_add_rec(b);
			r->received_us = seq++;
		}
		pthread_mutex_lock(&p->mtx);
		p->room = 0;
		pthread_mutex_unlock(&p->mtx);
		while (queue_push(p->q, b) == -1) {
			p->refused++;
			/* wait for ROOM, but not forever if it raced */
			pthread_mutex_lock(&p->mtx);
			if (!p->room) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 2000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&p->cond, &p->mtx,
				    &ts);
			}
			p->room = 0;
			pthread_mutex_unlock(&p->mtx);
		}
	}
	queue_close(p->q);
	return NULL;
}

static void
test_threads(void **state)
{
	struct prod	 p;
	pthread_t	 t;
	struct lsbatch	*b;
	int64_t		 want = 0, total = 0;
	uint32_t	 i;
	int		 k;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.mtx, NULL);
	pthread_cond_init(&p.cond, NULL);
	p.q = queue_new(64, SIZE_MAX, prod_wake_cb, &p);
	assert_int_equal(pthread_create(&t, NULL, producer, &p), 0);
	for (;;) {
		b = queue_pop(p.q, 100);
		if (b == NULL) {
			if (queue_closed_empty(p.q))
				break;
			continue;
		}
		assert_true(queue_depth(p.q) <= 64);
		for (i = 0; i < b->n; i++)
			assert_int_equal(b->recs[i].received_us, want++);
		queue_recycle(p.q, b);
	}
	pthread_join(t, NULL);
	for (k = 0; k < NBATCH; k++)
		total += 1 + k % 13;
	assert_int_equal(want, total);
	assert_true(queue_peak(p.q) <= 64);
	queue_free(p.q);
	pthread_mutex_destroy(&p.mtx);
	pthread_cond_destroy(&p.cond);
}

/* A batch larger than the capacity never fits, even in an empty queue. */
static void
test_oversized_batch(void **state)
{
	struct queue	*q = queue_new(10, SIZE_MAX, NULL, NULL);
	struct lsbatch	*b = mkbatch(11, 0);

	assert_int_equal(queue_push(q, b), -1);
	assert_true(queue_depth(q) <= queue_capacity(q));
	lsbatch_free(b);
	queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oversized_batch),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_refuse_full),
		cmocka_unit_test(test_refuse_bytes),
		cmocka_unit_test(test_refuse_fields),
		cmocka_unit_test(test_batch_bound),
		cmocka_unit_test(test_depth_bound),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_room_exactly_half),
		cmocka_unit_test(test_dry),
		cmocka_unit_test(test_room_and_dry),
		cmocka_unit_test(test_set_wake),
		cmocka_unit_test(test_pop_timeout),
		cmocka_unit_test(test_close_drain),
		cmocka_unit_test(test_close_wakes_popper),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_peak),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
