/*
 * test_streams.c: the stream-health stage on in-memory batches: sequence
 * numbers from each format, gap with its missing count, duplicate, out of
 * order, wrap-around, restart, delayed, separate streams, the max_streams
 * cap, drop_duplicates and repeat collapse with its summary record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "logrec.h"
#include "streams.h"

#define SEC	1000000LL
#define T0	(1795464854LL * SEC)
#define NS(us)	((us) * 1000)	/* the tests' monotonic clock = wall */

static struct lsslice
sl(struct lsbatch *b, const char *s)
{
	struct lsslice	 out = { 0, 0 };

	if (s != NULL)
		assert_int_equal(lsbatch_append(b, s, strlen(s), &out), 0);
	return out;
}

/* An event of host/app from src at t; seq < 0: none (JSON number seq). */
static struct logrec *
ev(struct lsbatch *b, const char *src, const char *host, int64_t seq,
    int64_t t, const char *msg)
{
	struct logrec	*r = lsbatch_add_rec(b);
	struct lsfield	*f;
	char		 num[24];

	assert_non_null(r);
	r->received_us = t;
	r->recv_mono_ns = NS(t);
	r->source = sl(b, src);
	r->host = sl(b, host);
	r->app = sl(b, "app");
	r->message = sl(b, msg != NULL ? msg : "hello");
	if (seq >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)seq);
		assert_non_null(f = lsbatch_add_field(b));
		f->type = LSFT_NUMBER;
		assert_int_equal(lsbatch_append(b, "seq", 3, &f->key), 0);
		assert_int_equal(lsbatch_append(b, num, strlen(num), &f->val),
		    0);
		r->field_count = 1;
	}
	return r;
}

static struct streams *
mk(uint64_t max_streams, int drop, int64_t collapse_us)
{
	struct streams_conf	 c = { 30 * SEC, max_streams, drop,
				    collapse_us };
	struct streams		*t = streams_new(&c);

	assert_non_null(t);
	return t;
}

/* Run seqs (one event each, one batch, 1 ms apart) from one peer; the
 * marks into out and the missing counts into miss. */
static void
run(struct streams *t, const char *src, const int64_t *seqs, size_t n,
    int64_t t0, uint8_t *out, uint32_t *miss)
{
	struct lsbatch	*b = lsbatch_new(64);
	size_t		 i;

	for (i = 0; i < n; i++)
		ev(b, src, "web01", seqs[i], t0 + (int64_t)i * 1000, NULL);
	streams_process(t, b, NS(t0));
	for (i = 0; i < n; i++) {
		out[i] = b->recs[i].stream;
		if (miss != NULL)
			miss[i] = b->recs[i].missing;
	}
	lsbatch_free(b);
}

static void
test_in_order(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 s[] = { 1, 2, 3, 4, 5 };
	uint8_t		 m[5];
	size_t		 i;

	run(t, "10.0.0.1:4000", s, 5, T0, m, NULL);
	for (i = 0; i < 5; i++)
		assert_int_equal(m[i], LRS_OK);
	assert_int_equal(streams_count(t), 1);
	streams_free(t);
}

static void
test_gap(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 s[] = { 1, 2, 5, 6, 1006 };
	uint8_t		 m[5];
	uint32_t	 miss[5];

	run(t, "10.0.0.1:4000", s, 5, T0, m, miss);
	assert_int_equal(m[0], LRS_OK);
	assert_int_equal(m[1], LRS_OK);
	assert_int_equal(m[2], LRS_GAP);
	assert_int_equal(miss[2], 2);
	assert_int_equal(m[3], LRS_OK);
	assert_int_equal(miss[3], 0);
	assert_int_equal(m[4], LRS_GAP);
	assert_int_equal(miss[4], 999);
	streams_free(t);
}

static void
test_duplicate_and_out_of_order(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 s[] = { 1, 2, 3, 3, 2, 5, 4, 4, 7, 6, 9 };
	uint8_t		 m[11], want[11] = { LRS_OK, LRS_OK, LRS_OK,
			    LRS_DUPLICATE, LRS_DUPLICATE, LRS_GAP,
			    LRS_OUT_OF_ORDER, LRS_DUPLICATE, LRS_GAP,
			    LRS_OUT_OF_ORDER, LRS_GAP };
	uint32_t	 miss[11];
	size_t		 i;

	run(t, "10.0.0.1:4000", s, 11, T0, m, miss);
	for (i = 0; i < 11; i++)
		assert_int_equal(m[i], want[i]);
	assert_int_equal(miss[5], 1);
	assert_int_equal(miss[8], 1);
	assert_int_equal(miss[10], 1);
	streams_free(t);
}

/* Far behind the window (same peer, no pause): too old to tell. */
static void
test_too_old(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 s[] = { 5000, 3000 };
	uint8_t		 m[2];

	run(t, "10.0.0.1:4000", s, 2, T0, m, NULL);
	assert_int_equal(m[1], LRS_OUT_OF_ORDER);
	streams_free(t);
}

static void
test_wrap(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 s[] = { 2147483645, 2147483646, 2147483647, 1, 2, 3 };
	int64_t		 s2[] = { 2147483646, 2 };
	uint8_t		 m[6];
	uint32_t	 miss[6];
	uint64_t	 wraps = COUNT_GET(counters.streams_wraps);
	size_t		 i;

	run(t, "10.0.0.1:4000", s, 6, T0, m, NULL);
	for (i = 0; i < 6; i++)
		assert_int_equal(m[i], LRS_OK);
	assert_int_equal(COUNT_GET(counters.streams_wraps), wraps + 1);
	/* A wrap with a hole is a gap of the right size, on another host. */
	streams_free(t);
	t = mk(100, 0, 0);
	run(t, "10.0.0.2:4000", s2, 2, T0, m, miss);
	assert_int_equal(m[1], LRS_GAP);
	assert_int_equal(miss[1], 2);	/* 2147483647 and 1 */
	streams_free(t);
}

static void
test_restart(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	int64_t		 a[] = { 1, 2, 3, 4, 5 }, b1[] = { 1, 2, 3 };
	int64_t		 c[] = { 1 }, d[] = { 9000 }, e[] = { 100, 101 };
	uint8_t		 m[5];
	uint64_t	 restarts = COUNT_GET(counters.streams_restarts);

	run(t, "10.0.0.1:4000", a, 5, T0, m, NULL);
	/* The sender restarts: a new connection (port) starting at 1. */
	run(t, "10.0.0.1:4001", b1, 3, T0 + SEC / 10, m, NULL);
	assert_int_equal(m[0], LRS_OK);
	assert_int_equal(m[1], LRS_OK);
	assert_int_equal(m[2], LRS_OK);
	assert_int_equal(COUNT_GET(counters.streams_restarts), restarts + 1);
	/* Same peer, no pause: 1 again is a duplicate, not a restart. */
	run(t, "10.0.0.1:4001", c, 1, T0 + SEC / 5, m, NULL);
	assert_int_equal(m[0], LRS_DUPLICATE);
	/* Same peer after a pause: back to 1 is a restart. */
	run(t, "10.0.0.1:4001", c, 1, T0 + 3 * SEC, m, NULL);
	assert_int_equal(m[0], LRS_OK);
	assert_int_equal(COUNT_GET(counters.streams_restarts), restarts + 2);
	/* A big jump backwards after a pause: restart too, no gap after. */
	run(t, "10.0.0.1:4001", d, 1, T0 + 4 * SEC, m, NULL);
	assert_int_equal(m[0], LRS_GAP);
	run(t, "10.0.0.1:4001", e, 2, T0 + 6 * SEC, m, NULL);
	assert_int_equal(m[0], LRS_OK);
	assert_int_equal(m[1], LRS_OK);
	assert_int_equal(COUNT_GET(counters.streams_restarts), restarts + 3);
	streams_free(t);
}

static void
test_streams_apart(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	struct lsbatch	*b = lsbatch_new(16);

	/* Same seqs from two hosts and from two addresses: no duplicates;
	 * the same address on another port is the same stream. */
	ev(b, "10.0.0.1:4000", "web01", 1, T0, NULL);
	ev(b, "10.0.0.1:4000", "web02", 1, T0, NULL);
	ev(b, "10.0.0.2:4000", "web01", 1, T0, NULL);
	ev(b, "[::1]:4000", "web01", 1, T0, NULL);
	ev(b, "10.0.0.1:4999", "web01", 2, T0, NULL);
	ev(b, "[::1]:4001", "web01", 3, T0, NULL);
	streams_process(t, b, NS(T0));
	assert_int_equal(b->recs[0].stream, LRS_OK);
	assert_int_equal(b->recs[1].stream, LRS_OK);
	assert_int_equal(b->recs[2].stream, LRS_OK);
	assert_int_equal(b->recs[3].stream, LRS_OK);
	assert_int_equal(b->recs[4].stream, LRS_OK);
	assert_int_equal(b->recs[5].stream, LRS_GAP);
	assert_int_equal(b->recs[5].missing, 1);
	assert_int_equal(streams_count(t), 4);
	lsbatch_free(b);
	streams_free(t);
}

static void
test_delayed(void **state)
{
	struct streams	*t = mk(100, 0, 0);
	struct lsbatch	*b = lsbatch_new(16);
	struct logrec	*r;

	r = ev(b, "10.0.0.1:4000", "web01", -1, T0, NULL);
	r->time_us = T0 - 31 * SEC;
	r = ev(b, "10.0.0.1:4000", "web01", -1, T0, NULL);
	r->time_us = T0 - 29 * SEC;
	ev(b, "10.0.0.1:4000", "web01", -1, T0, NULL);	/* no time */
	r = ev(b, "10.0.0.1:4000", "web01", 1, T0, NULL);
	r->time_us = T0 - 3600 * SEC;
	r = ev(b, "10.0.0.1:4000", "web01", 3, T0, NULL);
	r->time_us = T0 - 3600 * SEC;
	streams_process(t, b, NS(T0));
	assert_int_equal(b->recs[0].stream, LRS_DELAYED);
	assert_int_equal(b->recs[1].stream, LRS_OK);
	assert_int_equal(b->recs[2].stream, LRS_OK);
	assert_int_equal(b->recs[3].stream, LRS_DELAYED);
	/* A sequence mark says more: it wins over delayed. */
	assert_int_equal(b->recs[4].stream, LRS_GAP);
	/* Events without a seq are not tracked as streams. */
	assert_int_equal(streams_count(t), 1);
	lsbatch_free(b);
	streams_free(t);
}

static void
test_lru_cap(void **state)
{
	struct streams	*t = mk(2, 0, 0);
	struct lsbatch	*b = lsbatch_new(16);
	uint64_t	 ev0 = COUNT_GET(counters.streams_evicted);

	ev(b, "10.0.0.1:4000", "a", 1, T0, NULL);
	ev(b, "10.0.0.1:4000", "b", 1, T0 + 1, NULL);
	ev(b, "10.0.0.1:4000", "a", 2, T0 + 2, NULL);	/* a is newest */
	ev(b, "10.0.0.1:4000", "c", 1, T0 + 3, NULL);	/* b goes */
	ev(b, "10.0.0.1:4000", "a", 3, T0 + 4, NULL);	/* a kept: ok */
	ev(b, "10.0.0.1:4000", "b", 7, T0 + 5, NULL);	/* new again */
	streams_process(t, b, NS(T0));
	assert_int_equal(streams_count(t), 2);
	assert_int_equal(COUNT_GET(counters.streams_evicted), ev0 + 2);
	assert_int_equal(b->recs[4].stream, LRS_OK);
	assert_int_equal(b->recs[5].stream, LRS_OK);
	lsbatch_free(b);
	streams_free(t);
}

static void
test_drop_duplicates(void **state)
{
	struct streams	*t = mk(100, 1, 0);
	struct lsbatch	*b = lsbatch_new(16);
	uint64_t	 d0 = COUNT_GET(counters.dropped[DROP_DUPLICATE]);
	uint64_t	 k0 = COUNT_GET(counters.stream_kinds[LRS_DUPLICATE]);

	ev(b, "10.0.0.1:4000", "web01", 1, T0, NULL);
	ev(b, "10.0.0.1:4000", "web01", 2, T0, NULL);
	ev(b, "10.0.0.1:4000", "web01", 2, T0, NULL);
	ev(b, "10.0.0.1:4000", "web01", 1, T0, NULL);
	streams_process(t, b, NS(T0));
	assert_int_equal(b->recs[1].flags & LR_DROP, 0);
	assert_int_equal(b->recs[2].flags & LR_DROP, LR_DROP);
	assert_int_equal(b->recs[3].flags & LR_DROP, LR_DROP);
	assert_int_equal(COUNT_GET(counters.dropped[DROP_DUPLICATE]), d0 + 2);
	assert_int_equal(COUNT_GET(counters.stream_kinds[LRS_DUPLICATE]),
	    k0 + 2);
	lsbatch_free(b);
	streams_free(t);
}

static int
has_field(const struct lsbatch *b, const struct logrec *r, const char *k,
    const char *v)
{
	const struct lsfield	*f = b->fields + r->field_first;

	return r->field_count == 1 && f->key.len == strlen(k) &&
	    memcmp(LS_PTR(b, f->key), k, f->key.len) == 0 &&
	    f->val.len == strlen(v) &&
	    memcmp(LS_PTR(b, f->val), v, f->val.len) == 0;
}

static int
msg_is(const struct lsbatch *b, const struct logrec *r, const char *s)
{
	return r->message.len == strlen(s) &&
	    memcmp(LS_PTR(b, r->message), s, r->message.len) == 0;
}

static void
test_collapse(void **state)
{
	struct streams	*t = mk(100, 0, 10 * SEC);
	struct lsbatch	*b = lsbatch_new(16), *side;
	uint64_t	 r0 = COUNT_GET(counters.dropped[DROP_REPEAT]);

	/* A A A (web02 A) B: the 2nd and 3rd A go, a summary before B. */
	ev(b, "10.0.0.1:4000", "web01", -1, T0, "disk full");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + SEC, "disk full");
	ev(b, "10.0.0.1:4000", "web02", -1, T0 + SEC, "disk full");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 2 * SEC, "disk full");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 3 * SEC, "disk ok");
	streams_process(t, b, NS(T0 + 3 * SEC));
	assert_int_equal(b->n, 6);
	assert_int_equal(b->recs[0].flags & LR_DROP, 0);
	assert_int_equal(b->recs[1].flags & LR_DROP, LR_DROP);
	assert_int_equal(b->recs[2].flags & LR_DROP, 0);
	assert_int_equal(b->recs[3].flags & LR_DROP, LR_DROP);
	assert_true(msg_is(b, &b->recs[4], "last message repeated 2 times"));
	assert_true(has_field(b, &b->recs[4], "repeated", "2"));
	assert_int_equal(b->recs[4].host.len, 5);
	assert_memory_equal(LS_PTR(b, b->recs[4].host), "web01", 5);
	assert_memory_equal(LS_PTR(b, b->recs[4].source), "10.0.0.1", 8);
	assert_int_equal(b->recs[4].flags & LR_DROP, 0);
	assert_true(msg_is(b, &b->recs[5], "disk ok"));
	assert_int_equal(COUNT_GET(counters.dropped[DROP_REPEAT]), r0 + 2);
	lsbatch_reset(b);

	/* "disk ok" (stored above) twice more, then silence: the window's
	 * end (10 s after the stored one) writes the summary. */
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 4 * SEC, "disk ok");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 5 * SEC, "disk ok");
	streams_process(t, b, NS(T0 + 5 * SEC));
	assert_null(streams_due(t, NS(T0 + 12 * SEC)));
	assert_non_null(side = streams_due(t, NS(T0 + 13 * SEC)));
	assert_int_equal(side->n, 1);
	assert_true(msg_is(side, &side->recs[0],
	    "last message repeated 2 times"));
	lsbatch_reset(side);
	assert_null(streams_due(t, NS(T0 + 100 * SEC)));
	/* After the window the same text is stored again. */
	lsbatch_reset(b);
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 20 * SEC, "disk ok");
	streams_process(t, b, NS(T0 + 20 * SEC));
	assert_int_equal(b->recs[0].flags & LR_DROP, 0);
	lsbatch_free(b);
	streams_free(t);
}

/* A full batch: the summary goes to the side batch, nothing lost. */
static void
test_collapse_full(void **state)
{
	struct streams	*t = mk(100, 0, 10 * SEC);
	struct lsbatch	*b = lsbatch_new(3), *side;

	ev(b, "10.0.0.1:4000", "web01", -1, T0, "x");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 1, "x");
	ev(b, "10.0.0.1:4000", "web01", -1, T0 + 2, "y");
	streams_process(t, b, NS(T0));
	assert_int_equal(b->n, 3);
	assert_non_null(side = streams_due(t, NS(T0)));
	assert_true(msg_is(side, &side->recs[0],
	    "last message repeated 1 times"));
	lsbatch_free(b);
	streams_free(t);
}

/*
 * The wall clock steps back an hour between two repeats: the run's window
 * still ends 10 s (monotonic) after it began, not an hour later; and a
 * seq back to 1 from the same peer after 2 s of monotonic silence is a
 * restart even though the wall clock says an hour less has passed.
 */
static void
test_clock_step(void **state)
{
	struct streams	*t = mk(100, 0, 10 * SEC);
	struct lsbatch	*b = lsbatch_new(8), *side;
	int64_t		 back = T0 - 3600 * SEC, m0 = NS(T0);

	ev(b, "10.0.0.1:4000", "web01", -1, T0, "x");
	streams_process(t, b, m0);
	lsbatch_reset(b);
	ev(b, "10.0.0.1:4000", "web01", -1, back, "x")->recv_mono_ns =
	    m0 + NS(SEC);
	streams_process(t, b, m0 + NS(SEC));
	assert_int_equal(b->recs[0].flags & LR_DROP, LR_DROP);
	assert_null(streams_due(t, m0 + NS(9 * SEC)));
	assert_non_null(side = streams_due(t, m0 + NS(11 * SEC)));
	assert_true(msg_is(side, &side->recs[0],
	    "last message repeated 1 times"));
	lsbatch_reset(side);
	lsbatch_reset(b);

	ev(b, "10.0.0.2:4000", "web02", 500, T0, NULL);
	streams_process(t, b, m0);
	lsbatch_reset(b);
	ev(b, "10.0.0.2:4000", "web02", 1, back, NULL)->recv_mono_ns =
	    m0 + NS(2 * SEC);
	streams_process(t, b, m0 + NS(2 * SEC));
	assert_int_equal(b->recs[0].stream, LRS_OK);
	lsbatch_free(b);
	streams_free(t);
}

static void
test_seq_formats(void **state)
{
	struct lsbatch	*b = lsbatch_new(8);
	struct logrec	*r;
	struct lsfield	*f;
	uint64_t	 seq;

	/* RFC 5424 [meta sequenceId="17"] */
	r = lsbatch_add_rec(b);
	f = lsbatch_add_field(b);
	f->type = LSFT_SD;
	f->sdid = sl(b, "meta");
	f->key = sl(b, "sequenceId");
	f->val = sl(b, "17");
	r->field_count = 1;
	assert_int_equal(streams_seq(b, r, &seq), 0);
	assert_int_equal(seq, 17);
	/* other SD-IDs do not count */
	r = lsbatch_add_rec(b);
	f = lsbatch_add_field(b);
	f->type = LSFT_SD;
	f->sdid = sl(b, "origin");
	f->key = sl(b, "sequenceId");
	f->val = sl(b, "17");
	r->field_count = 1;
	assert_int_equal(streams_seq(b, r, &seq), -1);
	/* logfmt seq=42 is a string */
	r = lsbatch_add_rec(b);
	f = lsbatch_add_field(b);
	f->type = LSFT_STRING;
	f->key = sl(b, "seq");
	f->val = sl(b, "42");
	r->field_count = 1;
	assert_int_equal(streams_seq(b, r, &seq), 0);
	assert_int_equal(seq, 42);
	/* not a number, a negative, a fraction: none */
	r = lsbatch_add_rec(b);
	f = lsbatch_add_field(b);
	f->type = LSFT_NUMBER;
	f->key = sl(b, "seq");
	f->val = sl(b, "-1");
	r->field_count = 1;
	assert_int_equal(streams_seq(b, r, &seq), -1);
	r = lsbatch_add_rec(b);
	f = lsbatch_add_field(b);
	f->type = LSFT_STRING;
	f->key = sl(b, "seq");
	f->val = sl(b, "1.5");
	r->field_count = 1;
	assert_int_equal(streams_seq(b, r, &seq), -1);
	lsbatch_free(b);
}

static void
stat_cb(const struct streams_stat *st, void *arg)
{
	struct streams_stat	*out = arg;

	*out = *st;
}

static void
test_stats(void **state)
{
	struct streams		*t = mk(100, 0, 0);
	struct streams_stat	 st;
	int64_t			 s[] = { 1, 4, 4, 3 };
	uint8_t			 m[4];

	run(t, "10.0.0.1:4000", s, 4, T0, m, NULL);
	memset(&st, 0, sizeof(st));
	streams_foreach(t, 10, stat_cb, &st);
	assert_int_equal(st.f.events, 4);
	assert_int_equal(st.f.kinds[LRS_GAP], 1);
	assert_int_equal(st.f.kinds[LRS_DUPLICATE], 1);
	assert_int_equal(st.f.kinds[LRS_OUT_OF_ORDER], 1);
	assert_int_equal(st.f.missing, 2);
	assert_int_equal(st.f.last_seq, 4);
	assert_int_equal(st.keylen, strlen("10.0.0.1") + 1 + 5 + 1 + 3);
	assert_memory_equal(st.key, "10.0.0.1\0web01\0app", st.keylen);
	streams_free(t);
}

/* The busiest hosts: runs and scattered events counted exactly while the
 * table has room; past STATS_TOP_HOSTS hosts a new one takes the least
 * busy place, the busy hosts stay with exact counts, a long name is cut. */
static void
test_hosts(void **state)
{
	struct streams		*t = mk(100, 0, 0);
	struct lsbatch		*b = lsbatch_new(512);
	const struct stats_host	*h;
	char			 name[32], big[200];
	size_t			 n, i, k;
	uint64_t		 web = 0, db = 0;

	for (i = 0; i < 300; i++)
		ev(b, "10.0.0.1:514", i % 3 ? "web07" : "db01", -1,
		    T0 + (int64_t)i, NULL);
	streams_process(t, b, NS(T0));
	lsbatch_free(b);
	b = lsbatch_new(512);
	for (i = 0; i < 100; i++) {	/* 100 one-event hosts */
		snprintf(name, sizeof(name), "h%zu", i);
		ev(b, "10.0.0.1:514", name, -1, T0 + (int64_t)i, NULL);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev(b, "10.0.0.1:514", big, -1, T0, NULL);
	ev(b, "10.0.0.1:514", "web07", -1, T0, NULL);
	streams_process(t, b, NS(T0));
	h = streams_hosts(t, &n);
	assert_int_equal(n, STATS_TOP_HOSTS);
	for (k = 0; k < n; k++) {
		assert_true(strlen(h[k].name) < STATS_HOST_LEN);
		if (strcmp(h[k].name, "web07") == 0)
			web = h[k].events;
		if (strcmp(h[k].name, "db01") == 0)
			db = h[k].events;
		if (h[k].name[0] == 'x')
			assert_int_equal(strlen(h[k].name), STATS_HOST_LEN - 1);
		assert_true(h[k].events - h[k].err >= 1);
	}
	assert_int_equal(web, 201);
	assert_int_equal(db, 100);
	lsbatch_free(b);
	streams_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_duplicate_and_out_of_order),
		cmocka_unit_test(test_too_old),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_streams_apart),
		cmocka_unit_test(test_delayed),
		cmocka_unit_test(test_lru_cap),
		cmocka_unit_test(test_drop_duplicates),
		cmocka_unit_test(test_collapse),
		cmocka_unit_test(test_collapse_full),
		cmocka_unit_test(test_clock_step),
		cmocka_unit_test(test_seq_formats),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
