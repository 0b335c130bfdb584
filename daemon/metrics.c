/*
 * metrics.c: gathers the figures for /metrics, /stats, /health and STATUS=.
 * Counters come from diag's atomics, everything else from the modules' stats
 * providers (stats.h): the queue, the pipeline (latencies, and the class and
 * alert figures its thread publishes without ever waiting for a reader).
 */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "metrics.h"
#include "metrics_int.h"
#include "stats.h"

/* Reading the pipeline's view. */

static void
pipe_now_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	struct pipe_now			*pn = ctx;
	size_t				 i;

	pn->inflight = v->inflight;
	pn->retry_since_ns = v->retry_since_ns;
	pn->retry_stage = v->retry_stage;
	for (i = 0; i < v->nal; i++)
		pn->fired += v->al[i].v[0];
	pn->al_write_errors = v->al_write_errors;
	snprintf(pn->last_alert, sizeof(pn->last_alert), "%s",
	    v->last_alert != NULL ? v->last_alert : "");
	pn->last_alert_us = v->last_alert_us;
	if (v->store_lat != NULL)
		histogram_snapshot(v->store_lat, &pn->store);
	if (v->alert_lat != NULL)
		histogram_snapshot(v->alert_lat, &pn->alert);
}

void
metrics_pipe_read(stats_see_fn *see, void *ctx)
{
	static const struct stats_pipeline	 none;

	if (stats_read(STATS_PIPELINE, see, ctx) == 0)
		see(ctx, &none);
}

void
metrics_pipe_now(struct pipe_now *pn)
{
	memset(pn, 0, sizeof(*pn));
	metrics_pipe_read(pipe_now_see, pn);
}

/* The event-loop side. */

struct metrics *
metrics_new(void)
{
	struct metrics	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->ring = calloc(RING, sizeof(*m->ring))) == NULL) {
		free(m);
		return NULL;
	}
	m->window_s = 60;
	m->stuck_ns = 10000000000ULL;
	m->start_ns = diag_mono_ns();
	m->loaded_us = diag_now_us();
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->ring);
	free(m);
}

void
metrics_configure(struct metrics *m, const struct config *cf)
{
	m->slo_store_ns = cf->slo_store_p99_ms * 1000000;
	m->slo_alert_ns = cf->slo_alert_p99_ms * 1000000;
	m->window_s = cf->slo_window_ms / 1000;
	if (m->window_s < 1)
		m->window_s = 1;
	if (m->window_s > RING - 1)
		m->window_s = RING - 1;
	m->stuck_ns = (uint64_t)cf->slo_stuck_ms * 1000000;
}

static uint64_t
count_sum(_Atomic uint64_t *v, size_t n)
{
	uint64_t	 s = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		s += COUNT_GET(v[i]);
	return s;
}

uint64_t
metrics_total_received(void)
{
	return count_sum(counters.received, LRT__COUNT);
}

uint64_t
metrics_total_dropped(void)
{
	return count_sum(counters.dropped, DROP__COUNT);
}

uint64_t
metrics_total_fired(void)
{
	struct pipe_now	 pn;

	metrics_pipe_now(&pn);
	return pn.fired;
}

/* The sample ago seconds before the newest (or the oldest held). */
const struct sample *
metrics_sample_ago(const struct metrics *m, size_t ago)
{
	if (m->nring == 0)
		return NULL;
	if (ago > m->nring - 1)
		ago = m->nring - 1;
	return &m->ring[(m->head + RING - ago) % RING];
}

void
metrics_tick(struct metrics *m, uint64_t now_ns)
{
	struct sample		*s;
	struct pipe_now		 pn;
	struct stats_queue	 q;
	uint64_t		 errs, prev_stored;

	prev_stored = m->nring ? m->ring[m->head].stored : 0;
	if (m->nring > 0)
		m->head = (m->head + 1) % RING;
	if (m->nring < RING)
		m->nring++;
	s = &m->ring[m->head];
	s->t_ns = now_ns;
	metrics_pipe_now(&pn);
	stats_get(STATS_QUEUE, &q, sizeof(q));
	s->rx = metrics_total_received();
	s->stored = COUNT_GET(counters.stored);
	s->fired = pn.fired;
	s->depth = q.depth;
	s->st = pn.store;
	s->al = pn.alert;

	/* Events wait and none got stored since the last tick.  (A queue can
	 * be "full" for the listener well below capacity: batches of 512.) */
	if (q.depth > 0 && s->stored == prev_stored) {
		if (m->full_since == 0)
			m->full_since = now_ns;
	} else
		m->full_since = 0;
	errs = COUNT_GET(counters.write_errors) + pn.al_write_errors;
	if (errs > m->errs)
		m->last_err_ns = now_ns;
	m->errs = errs;
}

static void
fmt_dur(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.0fus", (double)ns / 1e3);
}

static void
why_add(char *why, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
why_add(char *why, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*off >= len)
		return;
	if (*off > 0) {
		n = snprintf(why + *off, len - *off, "; ");
		*off += n > 0 ? (size_t)n : 0;
		if (*off >= len)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(why + *off, len - *off, fmt, ap);
	va_end(ap);
	*off += n > 0 ? (size_t)n : 0;
}

/* p99 of a histogram over the SLO window against its objective. */
static void
slo_check(const struct metrics *m, int alert, int64_t slo_ns, char *why,
    size_t len, size_t *off)
{
	const struct sample	*now, *then;
	uint64_t		 p99;
	char			 a[32], b[32];

	if (slo_ns <= 0 || (now = metrics_sample_ago(m, 0)) == NULL)
		return;
	then = metrics_sample_ago(m, (size_t)m->window_s);
	if (then == now)
		then = NULL;
	p99 = histogram_quantile(alert ? &now->al : &now->st,
	    then == NULL ? NULL : alert ? &then->al : &then->st, 0.99);
	if (p99 <= (uint64_t)slo_ns)
		return;
	fmt_dur(p99, a, sizeof(a));
	fmt_dur((uint64_t)slo_ns, b, sizeof(b));
	why_add(why, len, off, "slo: %s latency p99 %s > %s_p99 %s over the "
	    "last %llds", alert ? "alert" : "store", a, alert ? "alert" :
	    "store", b, (long long)m->window_s);
}

struct health_ctx {
	char	*why;
	size_t	 len;
	size_t	*off;
};

/* An input that says it is not healthy (a Kafka input past max_lag). */
static void
input_health_see(void *ctx, const void *view)
{
	const struct stats_input	*v = view;
	struct health_ctx		*hc = ctx;

	if (v->health != NULL && v->health[0] != '\0')
		why_add(hc->why, hc->len, hc->off, "%s", v->health);
}

int
metrics_health(struct metrics *m, char *why, size_t len)
{
	uint64_t		 now = diag_mono_ns(), since;
	size_t			 off = 0;
	const char		*stage;
	struct pipe_now		 pn;
	struct stats_queue	 q;
	struct health_ctx	 hc;

	why[0] = '\0';
	metrics_pipe_now(&pn);
	stats_get(STATS_QUEUE, &q, sizeof(q));
	since = pn.retry_since_ns;
	stage = pn.retry_stage;
	if (since != 0 && now - since >= m->stuck_ns)
		why_add(why, len, &off, "pipeline stuck: stage %s failing for "
		    "%llus (storage stalled or failing)", stage ? stage : "?",
		    (unsigned long long)((now - since) / 1000000000ULL));
	if (m->full_since != 0 && now - m->full_since >= m->stuck_ns)
		why_add(why, len, &off, "queue not draining: %zu of %zu queued, "
		    "none stored for %llus", (size_t)q.depth,
		    (size_t)q.capacity,
		    (unsigned long long)((now - m->full_since) / 1000000000ULL));
	if (m->last_err_ns != 0 && now - m->last_err_ns < m->stuck_ns)
		why_add(why, len, &off, "storage failing: write errors in the "
		    "last %llus (%llu in all)",
		    (unsigned long long)(m->stuck_ns / 1000000000ULL),
		    (unsigned long long)m->errs);
	if (COUNT_GET(counters.sync_errors) > 0)
		why_add(why, len, &off, "storage: %llu fsync calls failed: "
		    "events written before them may not be on disk; input "
		    "positions and Kafka commits are held until a restart",
		    (unsigned long long)COUNT_GET(counters.sync_errors));
	hc = (struct health_ctx){ why, len, &off };
	stats_read(STATS_INPUT, input_health_see, &hc);
	slo_check(m, 0, m->slo_store_ns, why, len, &off);
	slo_check(m, 1, m->slo_alert_ns, why, len, &off);
	return off == 0 ? 0 : -1;
}

void
metrics_reloaded(struct metrics *m, const char *why, int64_t now_us)
{
	m->reload_failed = why != NULL;
	m->reloads[why != NULL]++;
	m->reload_us = now_us;
	if (why == NULL)
		m->loaded_us = now_us;
	snprintf(m->reload_why, sizeof(m->reload_why), "%s", why ? why : "");
}

void
metrics_config_changed(struct metrics *m, const char *path, int changed)
{
	m->config = path;
	m->config_changed = changed;
}

int
metrics_degraded(struct metrics *m, char *why, size_t len)
{
	why[0] = '\0';
	if (!m->config_changed)
		return 0;
	if (m->reload_failed)
		snprintf(why, len, "config %s changed on disk since it was "
		    "loaded; the last reload failed: %s", m->config,
		    m->reload_why);
	else
		snprintf(why, len, "config %s changed on disk since it was "
		    "loaded; not reloaded yet", m->config);
	return 1;
}

/* Rates over the last n seconds of samples. */
double
metrics_rate(const struct metrics *m, size_t n, size_t field)
{
	const struct sample	*a = metrics_sample_ago(m, 0), *b = metrics_sample_ago(m, n);
	uint64_t		 va, vb;

	if (a == NULL || a == b || a->t_ns == b->t_ns)
		return 0;
	va = field == 0 ? a->rx : field == 1 ? a->stored : a->fired;
	vb = field == 0 ? b->rx : field == 1 ? b->stored : b->fired;
	return (double)(va - vb) * 1e9 / (double)(a->t_ns - b->t_ns);
}

static void
fmt_rate(double r, char *buf, size_t len)
{
	if (r >= 1e6)
		snprintf(buf, len, "%.1fM/s", r / 1e6);
	else if (r >= 1e3)
		snprintf(buf, len, "%.1fk/s", r / 1e3);
	else
		snprintf(buf, len, "%.0f/s", r);
}

void
metrics_status_line(struct metrics *m, char *buf, size_t len)
{
	char			 rx[16], st[16], when[16] = "";
	struct pipe_now		 pn;
	struct stats_queue	 q;
	size_t			 off;
	time_t			 t;
	struct tm		 tm;
	int			 n;

	fmt_rate(metrics_rate(m, 1, 0), rx, sizeof(rx));
	fmt_rate(metrics_rate(m, 1, 1), st, sizeof(st));
	metrics_pipe_now(&pn);
	stats_get(STATS_QUEUE, &q, sizeof(q));
	n = snprintf(buf, len, "rx %s, stored %s, queue %zu%%, alerts %llu",
	    rx, st, (size_t)(q.capacity ? q.depth * 100 / q.capacity : 0),
	    (unsigned long long)pn.fired);
	off = n > 0 ? (size_t)n : 0;
	if (pn.last_alert[0] != '\0' && off < len) {
		t = (time_t)(pn.last_alert_us / 1000000);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf + off, len - off, ", last alert %s %s",
		    pn.last_alert, when);
	}
}

/* RSS in bytes and open fds, from /proc/self; 0 where unknown. */
void
metrics_process(uint64_t *rss, uint64_t *fds)
{
	FILE		*fp;
	unsigned long	 size, res;
	DIR		*d;
	struct dirent	*de;

	*rss = *fds = 0;
	if ((fp = fopen("/proc/self/statm", "re")) != NULL) {
		if (fscanf(fp, "%lu %lu", &size, &res) == 2)
			*rss = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(fp);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				(*fds)++;
		closedir(d);
		if (*fds > 0)
			(*fds)--;	/* the directory's own fd */
	}
}

/* What is between the listener and storage: [listener, queue, pipeline]. */
void
metrics_inflight(const struct metrics *m, uint64_t v[3])
{
	struct pipe_now		 pn;
	struct stats_queue	 q;

	metrics_pipe_now(&pn);
	stats_get(STATS_QUEUE, &q, sizeof(q));
	v[0] = COUNT_GET(counters.inflight);
	v[1] = q.depth;
	v[2] = pn.inflight + COUNT_GET(counters.store_pending);
}

const char *const metrics_inflight_names[3] = {
	"listener", "queue", "pipeline"
};
