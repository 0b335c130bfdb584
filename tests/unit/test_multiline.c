/*
 * test_multiline.c: the multiline joiner (multiline.c) fed as the tail input
 * and a stream connection feed it: a Java stack trace and a Python
 * traceback become one event each, the timeout hands an event out and a
 * later continuation starts its own, max bounds an event (cut, marked,
 * the rest of its lines dropped and counted), no regex makes every line an
 * event (not copied), a reload's bound and regex apply to what is held, a
 * bad regex is refused with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "multiline.h"

#define MAXEV	32
#define SEC	1000000000ULL

struct got {
	char	*ev[MAXEV];
	int	 trunc[MAXEV];
	size_t	 n;
};

static void
keep(struct got *g, const struct mlevent *e)
{
	assert_true(g->n < MAXEV);
	assert_non_null(e->p);
	g->ev[g->n] = strndup(e->p, e->len);
	assert_non_null(g->ev[g->n]);
	assert_int_equal(strlen(g->ev[g->n]), e->len);
	g->trunc[g->n++] = e->truncated;
}

static void
got_free(struct got *g)
{
	size_t	 i;

	for (i = 0; i < g->n; i++)
		free(g->ev[i]);
	memset(g, 0, sizeof(*g));
}

/* Feed a line as a caller does: due first, then until it is taken. */
static void
feed(struct multiline *ml, const char *line, uint64_t now, struct got *g)
{
	struct mlevent	 e;
	int		 rc, guard = 0;

	if (multiline_due(ml, now) && multiline_flush(ml, &e))
		keep(g, &e);
	do {
		assert_true(guard++ < 2);
		rc = multiline_feed(ml, line, strlen(line), 0, now, &e);
		assert_true(rc != 0);
		if (rc & ML_EVENT)
			keep(g, &e);
	} while (!(rc & ML_TAKEN));
}

static void
feed_all(struct multiline *ml, const char *const *lines, struct got *g)
{
	struct mlevent	 e;
	size_t		 i;

	for (i = 0; lines[i] != NULL; i++)
		feed(ml, lines[i], i, g);
	if (multiline_flush(ml, &e))
		keep(g, &e);
	assert_int_equal(multiline_held(ml), 0);
	assert_int_equal(multiline_flush(ml, &e), 0);
}

static struct multiline_re *
re_new(const char *pat)
{
	struct multiline_re	*re;
	char			 err[256];

	re = multiline_re_new(pat, err, sizeof(err));
	assert_non_null(re);
	return re;
}

static void
test_java_trace(void **state)
{
	static const char *const lines[] = {
		"2024-01-01 12:00:00 ERROR [main] App - request failed",
		"java.lang.IllegalStateException: boom",
		"\tat com.example.App.run(App.java:10)",
		"\tat com.example.App.main(App.java:5)",
		"Caused by: java.io.IOException: disk gone",
		"\tat com.example.Io.read(Io.java:3)",
		"\t... 2 more",
		"2024-01-01 12:00:01 INFO [main] App - next",
		NULL
	};
	struct multiline_re	*re = re_new("^\\d{4}-\\d\\d-\\d\\d ");
	struct multiline	*ml = multiline_new(re, 8192, SEC);
	struct mlstats		 st;
	struct got		 g = { 0 };

	feed_all(ml, lines, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ev[0],
	    "2024-01-01 12:00:00 ERROR [main] App - request failed\n"
	    "java.lang.IllegalStateException: boom\n"
	    "\tat com.example.App.run(App.java:10)\n"
	    "\tat com.example.App.main(App.java:5)\n"
	    "Caused by: java.io.IOException: disk gone\n"
	    "\tat com.example.Io.read(Io.java:3)\n"
	    "\t... 2 more");
	assert_string_equal(g.ev[1], lines[7]);
	assert_false(g.trunc[0] || g.trunc[1]);
	multiline_stats(ml, &st);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.joined, 1);
	assert_int_equal(st.truncated + st.cut_lines + st.nomem, 0);
	got_free(&g);
	multiline_free(ml);

	/* SPEC's "^\S": the indented frames join the line before them. */
	multiline_re_free(re);
	re = re_new("^\\S");
	ml = multiline_new(re, 8192, SEC);
	feed(ml, "Exception in thread \"main\" java.lang.NullPointerException",
	    0, &g);
	feed(ml, "\tat Foo.bar(Foo.java:1)", 0, &g);
	feed(ml, "    at Foo.main(Foo.java:9)", 0, &g);
	feed(ml, "done", 0, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ev[0], "Exception in thread \"main\" "
	    "java.lang.NullPointerException\n\tat Foo.bar(Foo.java:1)\n"
	    "    at Foo.main(Foo.java:9)");
	assert_int_equal(multiline_held(ml), 4);
	got_free(&g);
	multiline_free(ml);
	multiline_re_free(re);
}

static void
test_python_traceback(void **state)
{
	static const char *const lines[] = {
		"2024-01-01 12:00:00,000 ERROR worker failed",
		"Traceback (most recent call last):",
		"  File \"app.py\", line 3, in <module>",
		"    main()",
		"  File \"app.py\", line 2, in main",
		"    1/0",
		"ZeroDivisionError: division by zero",
		"2024-01-01 12:00:01,000 INFO worker ok",
		"2024-01-01 12:00:02,000 INFO worker ok again",
		NULL
	};
	struct multiline_re	*re = re_new("^\\d{4}-\\d\\d-\\d\\d ");
	struct multiline	*ml = multiline_new(re, 8192, SEC);
	struct got		 g = { 0 };

	feed_all(ml, lines, &g);
	assert_int_equal(g.n, 3);
	assert_non_null(strstr(g.ev[0], "\nZeroDivisionError: division by "
	    "zero"));
	assert_int_equal(strncmp(g.ev[0], lines[0], strlen(lines[0])), 0);
	assert_string_equal(g.ev[1], lines[7]);
	assert_string_equal(g.ev[2], lines[8]);
	got_free(&g);
	multiline_free(ml);
	multiline_re_free(re);
}

static void
test_timeout(void **state)
{
	struct multiline_re	*re = re_new("^\\S");
	struct multiline	*ml = multiline_new(re, 8192, 2 * SEC);
	struct mlevent		 e;
	struct got		 g = { 0 };

	assert_int_equal(multiline_deadline(ml), UINT64_MAX);
	feed(ml, "start", 10 * SEC, &g);
	feed(ml, " more", 11 * SEC, &g);
	assert_int_equal(multiline_deadline(ml), 13 * SEC);
	assert_false(multiline_due(ml, 12 * SEC));
	assert_false(multiline_due(ml, 13 * SEC - 1));
	assert_true(multiline_due(ml, 13 * SEC));
	assert_true(multiline_flush(ml, &e));
	keep(&g, &e);
	assert_int_equal(multiline_deadline(ml), UINT64_MAX);
	assert_false(multiline_due(ml, 100 * SEC));
	/* Late: a continuation after the flush is an event of its own. */
	feed(ml, " late", 14 * SEC, &g);
	/* feed asks due first: this one is past its timeout too. */
	feed(ml, " later", 20 * SEC, &g);
	assert_true(multiline_flush(ml, &e));
	keep(&g, &e);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ev[0], "start\n more");
	assert_string_equal(g.ev[1], " late");
	assert_string_equal(g.ev[2], " later");
	got_free(&g);
	multiline_free(ml);

	/* timeout 0: never due. */
	ml = multiline_new(re, 8192, 0);
	feed(ml, "x", 0, &g);
	assert_false(multiline_due(ml, UINT64_MAX));
	assert_int_equal(multiline_deadline(ml), UINT64_MAX);
	multiline_free(ml);			/* frees what it holds */
	multiline_re_free(re);
}

static void
test_max_bound(void **state)
{
	struct multiline_re	*re = re_new("^\\S");
	struct multiline	*ml = multiline_new(re, 20, SEC);
	struct mlevent		 e;
	struct mlstats		 st;
	struct got		 g = { 0 };
	int			 rc;

	feed(ml, "0123456789", 0, &g);		/* 10 */
	feed(ml, " abcdef", 0, &g);		/* +8 = 18 */
	feed(ml, " XYZW", 0, &g);		/* +6: 2 fit */
	feed(ml, " dropped 1", 0, &g);		/* dropped, counted */
	feed(ml, " dropped 2", 0, &g);
	assert_int_equal(multiline_held(ml), 20);
	feed(ml, "next", 0, &g);		/* a start: hands it out */
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ev[0], "0123456789\n abcdef\n ");
	assert_true(g.trunc[0]);
	multiline_stats(ml, &st);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.cut_lines, 2);
	assert_int_equal(st.cut_bytes, 4 + 11 + 11);

	/* The next event is whole again. */
	feed(ml, " tail", 0, &g);
	assert_true(multiline_flush(ml, &e));
	keep(&g, &e);
	assert_string_equal(g.ev[1], "next\n tail");
	assert_false(g.trunc[1]);

	/* A line longer than max alone: cut there, marked. */
	rc = multiline_feed(ml, "abcdefghijklmnopqrstuvwxyz", 26, 0, 0, &e);
	assert_int_equal(rc, ML_TAKEN);
	assert_true(multiline_flush(ml, &e));
	assert_int_equal(e.len, 20);
	assert_true(e.truncated);
	assert_memory_equal(e.p, "abcdefghijklmnopqrst", 20);
	/* A line the caller cut keeps its mark. */
	rc = multiline_feed(ml, "cut", 3, 1, 0, &e);
	assert_true(multiline_flush(ml, &e));
	assert_true(e.truncated);
	got_free(&g);
	multiline_free(ml);
	multiline_re_free(re);
}

static void
test_no_regex(void **state)
{
	static const char	*line = "a line";
	struct multiline	*ml = multiline_new(NULL, 4, SEC);
	struct mlevent		 e;
	struct mlstats		 st;
	int			 rc, i;

	for (i = 0; i < 3; i++) {
		rc = multiline_feed(ml, line, strlen(line), 0, i, &e);
		assert_int_equal(rc, ML_TAKEN | ML_EVENT);
		assert_ptr_equal(e.p, line);	/* not copied */
		assert_int_equal(e.len, 4);	/* cut at max */
		assert_true(e.truncated);
		assert_int_equal(multiline_held(ml), 0);
		assert_false(multiline_due(ml, UINT64_MAX));
	}
	rc = multiline_feed(ml, "", 0, 0, 9, &e);
	assert_int_equal(rc, ML_TAKEN | ML_EVENT);
	assert_int_equal(e.len, 0);
	assert_false(e.truncated);
	assert_int_equal(multiline_flush(ml, &e), 0);
	multiline_stats(ml, &st);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.joined, 0);
	multiline_free(ml);
	multiline_free(NULL);
}

static void
test_orphan_and_blank(void **state)
{
	struct multiline_re	*re = re_new("^\\S");
	struct multiline	*ml = multiline_new(re, 100, SEC);
	struct mlevent		 e;
	struct got		 g = { 0 };

	/* A stream that begins mid-trace: its first line starts an event. */
	feed(ml, "\tat a.b(C.java:1)", 0, &g);
	feed(ml, "", 0, &g);			/* a blank line joins */
	feed(ml, "\tat d.e(F.java:2)", 0, &g);
	feed(ml, "Next", 0, &g);
	assert_true(multiline_flush(ml, &e));
	keep(&g, &e);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ev[0], "\tat a.b(C.java:1)\n\n\tat d.e(F.java:2)");
	assert_string_equal(g.ev[1], "Next");
	/* An empty event is a valid, empty string. */
	assert_int_equal(multiline_feed(ml, "", 0, 0, 0, &e), ML_TAKEN);
	assert_true(multiline_flush(ml, &e));
	assert_non_null(e.p);
	assert_int_equal(e.len, 0);
	got_free(&g);
	multiline_free(ml);
	multiline_re_free(re);
}

/* A reload: the new bound cuts what is held; no regex hands it out. */
static void
test_set(void **state)
{
	struct multiline_re	*re = re_new("^\\S");
	struct multiline	*ml = multiline_new(re, 100, SEC);
	struct mlevent		 e;
	struct got		 g = { 0 };
	int			 rc;

	feed(ml, "start line", 0, &g);
	feed(ml, " continued", 0, &g);
	multiline_set(ml, re, 8, SEC);
	assert_int_equal(multiline_held(ml), 8);
	multiline_set(ml, NULL, 100, SEC);
	rc = multiline_feed(ml, " plain", 6, 0, 0, &e);
	assert_int_equal(rc, ML_EVENT);		/* the held one first */
	assert_int_equal(e.len, 8);
	assert_true(e.truncated);
	assert_memory_equal(e.p, "start li", 8);
	rc = multiline_feed(ml, " plain", 6, 0, 0, &e);
	assert_int_equal(rc, ML_TAKEN | ML_EVENT);
	assert_memory_equal(e.p, " plain", 6);
	assert_int_equal(multiline_flush(ml, &e), 0);
	multiline_free(ml);
	multiline_re_free(re);
}

static void
test_bad_regex(void **state)
{
	char	 err[256] = "";

	assert_null(multiline_re_new("^(unclosed", err, sizeof(err)));
	assert_non_null(strstr(err, "bad regex"));
	multiline_re_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_java_trace),
		cmocka_unit_test(test_python_traceback),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_max_bound),
		cmocka_unit_test(test_no_regex),
		cmocka_unit_test(test_orphan_and_blank),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_bad_regex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
