/*
 * test_metrics.c: metrics reads every module through its stats provider
 * (stats.h): the per-source table (per address, ports dropped, bounded
 * with the quietest evicted), class and alert figures the pipeline side
 * publishes (stagestats) and carries over a reload, the Prometheus text
 * (families, labels, histogram buckets), /stats's balance flag and its
 * inputs, /health's reasons (stuck stage, broken SLO), the STATUS= line.
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
#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "diag.h"
#include "classifier.h"
#include "listen.h"
#include "metrics.h"
#include "pipeline.h"
#include "queue.h"
#include "sources.h"
#include "stagestats.h"
#include "stats.h"

struct fix {
	struct event_base	*base;
	struct queue		*q;
	struct listener		*l;
	struct metrics		*m;
	struct stageset		*ss;
	struct stagestats	*sst;
	_Atomic unsigned long	 inflight;
	char			 path[64];
};

static struct stageset *
stages(struct fix *f, const char *text)
{
	struct config	*cf;
	struct stageset	*ss;
	FILE		*fp;
	int		 fd;

	snprintf(f->path, sizeof(f->path), "/tmp/test_metrics.XXXXXX");
	assert_true((fd = mkstemp(f->path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_non_null(cf = config_load(f->path));
	if ((ss = stageset_new(cf)) == NULL)
		config_print_errors(cf);
	assert_non_null(ss);
	unlink(f->path);
	return ss;
}

static int
setup(void **state)
{
	static struct fix	 f;

	memset(&f, 0, sizeof(f));
	assert_non_null(f.base = event_base_new());
	assert_non_null(f.q = queue_new(1024, SIZE_MAX, NULL, NULL));
	assert_non_null(f.l = listener_new(f.base, f.q));
	assert_non_null(f.m = metrics_new());
	assert_non_null(f.sst = stagestats_new(&f.inflight));
	f.ss = stages(&f, "[alerts]\npath = /dev/null\n"
	    "[class auth]\nmessage = Failed\n"
	    "[class disk]\nmessage = disk\n"
	    "[alert brute]\nclass = auth\n");
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix	*f = *state;

	stageset_free(f->ss);
	stagestats_free(f->sst);
	metrics_free(f->m);
	listener_free(f->l);
	queue_free(f->q);
	event_base_free(f->base);
	return 0;
}

static char *
prom(struct fix *f)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	metrics_prometheus(f->m, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static void
sources_see(void *ctx, const void *view)
{
	*(struct stats_sources *)ctx = *(const struct stats_sources *)view;
}

/* The table as its provider shows it (it lives on: a static table). */
static struct stats_sources
sources_view(void)
{
	struct stats_sources	 v = { NULL, 0, 0 };

	assert_int_equal(stats_read(STATS_SOURCES, sources_see, &v), 1);
	return v;
}

static const struct stats_source *
find_source(const char *key)
{
	struct stats_sources	 v = sources_view();
	size_t			 i;

	for (i = 0; i < v.n; i++)
		if (strcmp(v.ent[i].key, key) == 0)
			return &v.ent[i];
	return NULL;
}

/* n events of class msg through cl, received lat_ns ago, stored now. */
static void
run_batch(struct fix *f, struct classifier *cl, const char *msg,
    uint32_t n, uint64_t lat_ns)
{
	struct lsbatch	*b = lsbatch_new(64);
	struct logrec	*r;
	uint64_t	 now = diag_mono_ns();
	uint32_t	 i;

	assert_non_null(b);
	memset(b->arena, 0, b->cap);
	for (i = 0; i < n; i++) {
		assert_non_null(r = lsbatch_add_rec(b));
		assert_int_equal(lsbatch_append(b, msg, strlen(msg),
		    &r->message), 0);
		r->recv_mono_ns = now - lat_ns;
	}
	if (cl != NULL)
		classifier_process(cl, b);
	stagestats_stored(f->sst, b, now);
	lsbatch_free(b);
}

static void
test_sources(void **state)
{
	const struct stats_source *s;
	char			 a[64];
	int			 i;

	sources_add("10.0.0.1:5000", 13, 3, 30);
	sources_add("10.0.0.1:6000", 13, 2, 20);
	sources_add("[::1]:514", 9, 1, 10);
	sources_add("local", 5, 1, 1);
	assert_non_null(s = find_source("10.0.0.1"));
	assert_int_equal(s->events, 5);
	assert_int_equal(s->bytes, 50);
	assert_non_null(find_source("[::1]"));
	assert_non_null(find_source("local"));
	/* A heavy source survives a flood of one-event sources. */
	sources_add("192.0.2.7:1", 11, 1000000, 0);
	for (i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "198.51.%d.%d:9", i / 250, i % 250);
		sources_add(a, strlen(a), 1, 1);
		assert_true(sources_view().n <= STATS_MAX_SOURCES);
	}
	assert_non_null(s = find_source("192.0.2.7"));
	assert_int_equal(s->events, 1000000);
	assert_true(sources_view().evicted > 0);
}

static void
test_prometheus(void **state)
{
	struct fix	*f = *state;
	char		*s;

	COUNT_ADD(counters.received[LRT_UDP], 7);
	COUNT_ADD(counters.stored, 7);
	stagestats_publish(f->sst, f->ss->cl, f->ss->al, 1, diag_mono_ns());
	run_batch(f, NULL, "x", 1, 3000000);
	s = prom(f);
	assert_non_null(strstr(s, "# TYPE logstreamd_events_received_total "
	    "counter\n"));
	assert_non_null(strstr(s, "logstreamd_events_received_total"
	    "{transport=\"udp\"} 7\n"));
	assert_non_null(strstr(s, "logstreamd_events_classified_total"
	    "{class=\"auth\"} 0\n"));
	assert_non_null(strstr(s, "logstreamd_events_classified_total"
	    "{class=\"other\"} 0\n"));
	assert_non_null(strstr(s, "logstreamd_alerts_total{alert=\"brute\"} "
	    "0\n"));
	assert_non_null(strstr(s, "logstreamd_store_latency_seconds_bucket"
	    "{le=\"0.0025\"} 0\n"));
	assert_non_null(strstr(s, "logstreamd_store_latency_seconds_bucket"
	    "{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(s, "logstreamd_store_latency_seconds_bucket"
	    "{le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(s, "logstreamd_store_latency_seconds_count "
	    "1\n"));
	assert_non_null(strstr(s, "logstreamd_events_dropped_total"
	    "{reason=\"queue_full\"}"));
	free(s);
}

/* A reload with the same classes keeps their totals (names copied). */
static void
test_reload_carries(void **state)
{
	struct fix	*f = *state;
	struct stageset	*ss2;
	char		*s;

	run_batch(f, f->ss->cl, "Failed password", 5, 0);
	stagestats_publish(f->sst, f->ss->cl, f->ss->al, 7, diag_mono_ns());
	ss2 = stages(f, "[alerts]\npath = /dev/null\n"
	    "[class disk]\nmessage = disk\n"
	    "[class auth]\nmessage = Failed\n");
	stagestats_publish(f->sst, ss2->cl, ss2->al, 8, diag_mono_ns());
	stageset_free(f->ss);			/* the old names die */
	f->ss = ss2;
	s = prom(f);
	assert_non_null(strstr(s, "logstreamd_events_classified_total"
	    "{class=\"auth\"} 5\n"));
	assert_null(strstr(s, "{alert=\"brute\"}"));
	free(s);
}

static void
test_balance(void **state)
{
	struct fix	*f = *state;
	json_t		*o;

	memset(&counters, 0, sizeof(counters));
	COUNT_ADD(counters.received[LRT_TCP], 10);
	COUNT_ADD(counters.received[LRT_UDP], 5);
	COUNT_ADD(counters.stored, 9);
	COUNT_ADD(counters.dropped[DROP_QUEUE_FULL], 4);
	COUNT_ADD(counters.inflight, 2);
	o = metrics_stats(f->m);
	assert_true(json_is_true(json_object_get(json_object_get(o, "events"),
	    "balanced")));
	json_decref(o);
	COUNT_ADD(counters.stored, 1);
	o = metrics_stats(f->m);
	assert_true(json_is_false(json_object_get(json_object_get(o,
	    "events"), "balanced")));
	json_decref(o);
}

/* An input as input.c adds one (stats.h): listed in /stats while it is
 * added, with its type and the members its ops->stats wrote. */
static void
input_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct stats_input	 v = { "app", "tail", arg, NULL };

	see(ctx, &v);
}

static void
test_inputs(void **state)
{
	struct fix	*f = *state;
	json_t		*o, *in;
	char		 members[] = "\"lines\":3,\"files\":{\"open\":1}";

	o = metrics_stats(f->m);
	assert_null(json_object_get(o, "inputs"));	/* none: as before */
	json_decref(o);
	assert_int_equal(stats_add(STATS_INPUT, input_read, members), 0);
	o = metrics_stats(f->m);
	in = json_object_get(json_object_get(o, "inputs"), "app");
	assert_string_equal(json_string_value(json_object_get(in, "type")),
	    "tail");
	assert_int_equal(json_integer_value(json_object_get(in, "lines")), 3);
	json_decref(o);
	stats_remove(input_read, members);
	o = metrics_stats(f->m);
	assert_null(json_object_get(o, "inputs"));
	json_decref(o);
}

static void
test_health(void **state)
{
	struct fix	*f = *state;
	struct config	 cf;
	char		 why[512];
	uint64_t	 now = diag_mono_ns();
	int		 i;

	memset(&cf, 0, sizeof(cf));
	cf.slo_window_ms = 60000;
	cf.slo_stuck_ms = 2000;
	metrics_configure(f->m, &cf);
	metrics_tick(f->m, now);
	assert_int_equal(metrics_health(f->m, why, sizeof(why)), 0);
	stagestats_retry(f->sst, "writer", now - 5000000000ULL);
	assert_int_equal(metrics_health(f->m, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "pipeline stuck: stage writer failing"));
	stagestats_retry(f->sst, NULL, 0);
	assert_int_equal(metrics_health(f->m, why, sizeof(why)), 0);
	/* 100 stores of 2 s against store_p99 = 1 s. */
	cf.slo_store_p99_ms = 1000;
	metrics_configure(f->m, &cf);
	for (i = 0; i < 2; i++)
		run_batch(f, NULL, "x", 50, 2000000000ULL);
	metrics_tick(f->m, now + 1000000000ULL);
	assert_int_equal(metrics_health(f->m, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "slo: store latency p99"));
	assert_non_null(strstr(why, "> store_p99 1.00s over the last 60s"));
}

static void
test_status_line(void **state)
{
	struct fix	*f = *state;
	char		 line[256];

	metrics_status_line(f->m, line, sizeof(line));
	assert_non_null(strstr(line, "rx "));
	assert_non_null(strstr(line, ", queue 0%, alerts "));
	/* Bounded by the buffer however long. */
	metrics_status_line(f->m, line, 8);
	assert_true(strlen(line) == 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_reload_carries),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_status_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
