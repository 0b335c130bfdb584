/*
 * test_limiter.c: the rules stage on in-memory batches with a clock the
 * test sets: the token bucket (burst, refill at the rate, never past the
 * burst), one summary per key and second that adds up to the drops,
 * store = no, the class filter, and max_keys (LRU, the forgotten key's
 * summary made first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classifier.h"
#include "config.h"
#include "limiter.h"
#include "logrec.h"

#define SEC	1000000000ULL

struct rig {
	char			 path[64];
	struct config		*cf;
	struct classifier	*cl;
	struct limiter		*lm;
	struct lsbatch		*b;
	struct lsbatch		*side;
};

static void
rig_up(struct rig *g, const char *text)
{
	FILE	*fp;

	memset(g, 0, sizeof(*g));
	snprintf(g->path, sizeof(g->path), "/tmp/test_limiter.%d.conf",
	    (int)getpid());
	assert_non_null(fp = fopen(g->path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_non_null(g->cf = config_load(g->path));
	assert_int_equal(g->cf->nerrors, 0);
	assert_non_null(g->cl = classifier_new(g->cf));
	g->lm = limiter_new(g->cf, g->cl);
	assert_non_null(g->b = lsbatch_new(64));
	assert_non_null(g->side = lsbatch_new(64));
}

static void
rig_down(struct rig *g)
{
	limiter_free(g->lm);
	classifier_free(g->cl);
	config_free(g->cf);
	lsbatch_free(g->b);
	lsbatch_free(g->side);
	unlink(g->path);
}

/* n events from host at now: how many passed. */
static int
send(struct rig *g, const char *host, int n, uint64_t now_ns)
{
	struct logrec	*r;
	int		 i, passed = 0;

	lsbatch_reset(g->b);
	for (i = 0; i < n; i++) {
		assert_non_null(r = lsbatch_add_rec(g->b));
		assert_int_equal(lsbatch_append(g->b, host, strlen(host),
		    &r->host), 0);
		assert_int_equal(lsbatch_append(g->b, "m", 1, &r->message), 0);
		r->severity = 6;
	}
	classifier_process(g->cl, g->b);
	limiter_process(g->lm, g->b, g->side, now_ns,
	    (int64_t)(now_ns / 1000));
	for (i = 0; i < n; i++)
		passed += !(g->b->recs[i].flags & LR_DROP);
	return passed;
}

/* The dropped figures of the summaries in side, added; their count in n. */
static uint64_t
summed(struct rig *g, int *n)
{
	const struct lsbatch	*s = g->side;
	const struct lsfield	*f;
	uint64_t		 sum = 0;
	uint32_t		 i;

	*n = (int)s->n;
	for (i = 0; i < s->n; i++) {
		f = classifier_field(s, &s->recs[i], "dropped", 7);
		assert_non_null(f);
		sum += strtoull(LS_PTR(s, f->val), NULL, 10);
		assert_non_null(classifier_field(s, &s->recs[i], "limit", 5));
	}
	return sum;
}

static void
test_bucket(void **state)
{
	struct rig		 g;
	struct limit_stat	 st;
	uint64_t		 t0 = 100 * SEC;
	int			 n;

	(void)state;
	rig_up(&g, "[limit l]\nkey = host\nrate = 2/s\nburst = 3\n");
	assert_non_null(g.lm);
	assert_int_equal(send(&g, "h", 5, t0), 3);	/* the burst */
	assert_int_equal(send(&g, "h", 3, t0 + SEC / 2), 1);	/* +1 token */
	assert_int_equal(send(&g, "other", 4, t0 + SEC / 2), 3);
	/* a long pause refills to the burst, never past it */
	assert_int_equal(send(&g, "h", 10, t0 + 60 * SEC), 3);
	/* h's 2 + 2 drops of second 100: made by its drop in second 160 */
	assert_int_equal(summed(&g, &n), 4);
	assert_int_equal(n, 1);
	lsbatch_reset(g.side);
	/* the tick in second 160: other's second 100 ended, h's has not */
	limiter_summaries(g.lm, g.side, 160 * 1000000LL, 0);
	assert_int_equal(summed(&g, &n), 1);
	assert_int_equal(n, 1);
	lsbatch_reset(g.side);
	limiter_summaries(g.lm, g.side, 161 * 1000000LL, 0);
	assert_int_equal(summed(&g, &n), 7);
	assert_int_equal(n, 1);
	assert_int_equal(memcmp(LS_PTR(g.side, g.side->recs[0].message),
	    "rate limit l: 7 events from h dropped", 37), 0);
	assert_int_equal(limiter_stat(g.lm, 0, &st), 0);
	assert_string_equal(st.name, "l");
	assert_int_equal(st.passed, 10);
	assert_int_equal(st.dropped, 12);
	assert_int_equal(st.keys, 2);
	assert_int_equal(limiter_stat(g.lm, 1, &st), -1);
	rig_down(&g);
}

static void
test_keys_bounded(void **state)
{
	struct rig		 g;
	struct limit_stat	 st;
	char			 host[16];
	int			 i, n;

	(void)state;
	rig_up(&g, "[limit l]\nrate = 1/h\nburst = 1\nmax_keys = 2\n");
	assert_int_equal(send(&g, "a", 3, SEC), 1);	/* a owes 2 */
	for (i = 0; i < 100; i++) {
		snprintf(host, sizeof(host), "k%d", i);
		assert_int_equal(send(&g, host, 1, SEC), 1);
	}
	assert_int_equal(limiter_stat(g.lm, 0, &st), 0);
	assert_int_equal(st.keys, 2);
	assert_int_equal(st.evicted, 99);
	/* a was forgotten first: its summary was made then */
	assert_int_equal(summed(&g, &n), 2);
	assert_int_equal(n, 1);
	rig_down(&g);
}

static void
test_store_no_and_class(void **state)
{
	struct rig	 g;

	(void)state;
	rig_up(&g, "[class quiet]\nhost = q\nstore = no\n"
	    "[class held]\nhost = h\n"
	    "[limit l]\nclass = held\nrate = 1/s\nburst = 1\n");
	assert_int_equal(send(&g, "q", 5, SEC), 0);
	assert_int_equal(send(&g, "free", 5, SEC), 5);
	assert_int_equal(send(&g, "h", 5, SEC), 1);
	rig_down(&g);
}

static void
test_errors(void **state)
{
	struct rig	 g;

	(void)state;
	rig_up(&g, "[class c]\n[limit a]\nburst = 5\n"
	    "[limit b]\nrate = 5/y\nkey = user\nclass = nope\nbogus = 1\n");
	assert_null(g.lm);
	assert_true(g.cf->nerrors >= 5);
	rig_down(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_keys_bounded),
		cmocka_unit_test(test_store_no_and_class),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
