/*
 * metrics.c: figures for /metrics, /stats, /health and sd_notify STATUS.
 * Counters come from diag's atomics, latencies from histograms the
 * pipeline thread owns, class and alert figures from a snapshot that thread
 * publishes under a mutex it only ever try-locks, so no reader can stall it.
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

#include <event2/buffer.h>

#include "alerter.h"
#include "classifier.h"
#include "config.h"
#include "diag.h"
#include "listen.h"
#include "metrics.h"
#include "pipeline.h"
#include "queue.h"

#define PUBLISH_NS	100000000ULL	/* snapshot at most every 100 ms */
#define RING		601		/* 1 s samples: the longest window */
#define RECENT_S	10		/* "now" in /stats: the last 10 s */
#define SRC_KEY		48
#define SRC_SLOTS	(2 * METRICS_MAX_SOURCES)
#define NAME_MAX_LEN	128

struct metrics_pipe	 metrics_pipe;

/* One class or alert as last published. */
struct figure {
	char		*name;
	uint64_t	 base;		/* class hits before a reload */
	uint64_t	 v[3];		/* hits | fired, suppressed, evicted */
};

/* What the pipeline thread publishes; guarded by mtx. */
static struct {
	pthread_mutex_t	 mtx;
	unsigned	 gen;
	int		 valid;
	struct figure	*cls;
	size_t		 ncls;
	struct figure	*al;
	size_t		 nal;
	uint64_t	 al_write_errors;
	char		 last_alert[NAME_MAX_LEN];
	int64_t		 last_alert_us;
	uint64_t	 last_ns;
} pub = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* Per-source table, event loop only. */
struct source {
	char		 key[SRC_KEY];
	uint64_t	 events;
	uint64_t	 bytes;
	int64_t		 last_us;
};

static struct {
	struct source	 ent[METRICS_MAX_SOURCES];
	size_t		 n;
	int16_t		 slot[SRC_SLOTS];	/* index into ent, -1 empty */
	int		 init;
	uint64_t	 evicted;
} srcs;

/* One 1 s sample of the figures that rates and windows come from. */
struct sample {
	uint64_t	 t_ns;
	uint64_t	 rx;
	uint64_t	 stored;
	uint64_t	 fired;
	struct hist_snap st;
	struct hist_snap al;
};

struct metrics {
	struct queue	*q;
	struct listener	*l;
	struct pipeline	*p;
	int64_t		 slo_store_ns;
	int64_t		 slo_alert_ns;
	int64_t		 window_s;
	uint64_t	 stuck_ns;
	struct sample	*ring;
	size_t		 head;		/* newest sample */
	size_t		 nring;		/* samples held */
	uint64_t	 full_since;	/* queue not draining */
	uint64_t	 last_err_ns;	/* write errors last grew */
	uint64_t	 errs;
	uint64_t	 start_ns;
};

static const char *const refuse_names[] = { "limit", "acl" };

/* The pipeline side. */

void
metrics_batch_stored(const struct lsbatch *b, uint64_t now_ns)
{
	const struct logrec	*r;
	uint32_t		 i;

	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (r->flags & LR_DROP)
			continue;
		histogram_add(&metrics_pipe.store, now_ns > r->recv_mono_ns ?
		    now_ns - r->recv_mono_ns : 0);
	}
}

void
metrics_alerts_written(const uint64_t *t, size_t n, uint64_t now_ns)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		histogram_add(&metrics_pipe.alert, now_ns > t[i] ?
		    now_ns - t[i] : 0);
}

void
metrics_retry(const char *stage, uint64_t now_ns)
{
	if (stage == NULL) {
		atomic_store(&metrics_pipe.retry_since_ns, 0);
		return;
	}
	if (atomic_load(&metrics_pipe.retry_since_ns) != 0)
		return;
	atomic_store(&metrics_pipe.retry_stage, stage);
	atomic_store(&metrics_pipe.retry_since_ns, now_ns);
}

static void
figures_free(struct figure *f, size_t n)
{
	size_t	 i;

	for (i = 0; f != NULL && i < n; i++)
		free(f[i].name);
	free(f);
}

/* A class's total before the reload, found by name (carried over). */
static uint64_t
class_base(const char *name, size_t i)
{
	size_t	 j;

	if (i < pub.ncls && strcmp(pub.cls[i].name, name) == 0)
		return pub.cls[i].base + pub.cls[i].v[0];
	if (pub.ncls > 4096)
		return 0;		/* bounded work on reload */
	for (j = 0; j < pub.ncls; j++)
		if (strcmp(pub.cls[j].name, name) == 0)
			return pub.cls[j].base + pub.cls[j].v[0];
	return 0;
}

/* New stages: fresh names (copied: the stages' own die with them). */
static int
rename_figures(const struct classifier *cl, const struct alerter *al)
{
	struct figure	*c, *a;
	size_t		 nc = classifier_count(cl), na = alerter_count(al), i;

	c = calloc(nc ? nc : 1, sizeof(*c));
	a = calloc(na ? na : 1, sizeof(*a));
	if (c == NULL || a == NULL)
		goto fail;
	for (i = 0; i < nc; i++) {
		if ((c[i].name = strdup(classifier_name(cl, i))) == NULL)
			goto fail;
		c[i].base = pub.valid ? class_base(c[i].name, i) : 0;
	}
	for (i = 0; i < na; i++)
		if ((a[i].name = strdup(alerter_name(al, i))) == NULL)
			goto fail;
	figures_free(pub.cls, pub.ncls);
	figures_free(pub.al, pub.nal);
	pub.cls = c;
	pub.ncls = nc;
	pub.al = a;
	pub.nal = na;
	return 0;
fail:
	figures_free(c, nc);
	figures_free(a, na);
	return -1;
}

void
metrics_publish(const struct classifier *cl, const struct alerter *al,
    unsigned gen, uint64_t now_ns)
{
	size_t		 i;
	uint64_t	 fired;

	if (pub.valid && gen == pub.gen && now_ns - pub.last_ns < PUBLISH_NS)
		return;
	if (pthread_mutex_trylock(&pub.mtx) != 0)
		return;			/* a reader has it: next time */
	if (!pub.valid || gen != pub.gen) {
		if (rename_figures(cl, al) == -1) {
			pthread_mutex_unlock(&pub.mtx);
			return;
		}
		pub.gen = gen;
		pub.valid = 1;
	}
	for (i = 0; i < pub.ncls; i++)
		pub.cls[i].v[0] = classifier_hits(cl, i);
	for (i = 0; i < pub.nal; i++) {
		fired = alerter_fired(al, i);
		if (fired > pub.al[i].v[0]) {
			snprintf(pub.last_alert, sizeof(pub.last_alert), "%s",
			    pub.al[i].name);
			pub.last_alert_us = diag_now_us();
		}
		pub.al[i].v[0] = fired;
		pub.al[i].v[1] = alerter_suppressed(al, i);
		pub.al[i].v[2] = alerter_evicted(al, i);
	}
	pub.al_write_errors = alerter_write_errors(al);
	pub.last_ns = now_ns;
	pthread_mutex_unlock(&pub.mtx);
}

/* The per-source table. */

static uint32_t
src_hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void
src_reindex(void)
{
	size_t		 i;
	uint32_t	 h;

	memset(srcs.slot, 0xff, sizeof(srcs.slot));
	for (i = 0; i < srcs.n; i++) {
		h = src_hash(srcs.ent[i].key, strlen(srcs.ent[i].key));
		while (srcs.slot[h % SRC_SLOTS] != -1)
			h++;
		srcs.slot[h % SRC_SLOTS] = (int16_t)i;
	}
	srcs.init = 1;
}

/* The entry for key, made (evicting the quietest when full). */
static struct source *
src_get(const char *key, size_t len)
{
	struct source	*e;
	uint32_t	 h = src_hash(key, len);
	size_t		 i, min;
	int16_t		 k;

	if (!srcs.init)
		src_reindex();
	while ((k = srcs.slot[h % SRC_SLOTS]) != -1) {
		e = &srcs.ent[k];
		if (strncmp(e->key, key, len) == 0 && e->key[len] == '\0')
			return e;
		h++;
	}
	if (srcs.n == METRICS_MAX_SOURCES) {
		for (min = 0, i = 1; i < srcs.n; i++)
			if (srcs.ent[i].events < srcs.ent[min].events)
				min = i;
		srcs.ent[min] = srcs.ent[--srcs.n];
		srcs.evicted++;
		src_reindex();
		return src_get(key, len);
	}
	e = &srcs.ent[srcs.n];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, len);
	srcs.slot[h % SRC_SLOTS] = (int16_t)srcs.n++;
	return e;
}

void
metrics_source_add(const char *src, size_t len, uint64_t n, uint64_t bytes)
{
	const char	*colon;
	struct source	*e;

	if (n == 0 && bytes == 0)
		return;
	/* "addr:port", "[v6]:port": per address, not per connection. */
	if ((colon = memrchr(src, ':', len)) != NULL && colon > src &&
	    (src[0] == '[' || memchr(src, ':', (size_t)(colon - src)) == NULL))
		len = (size_t)(colon - src);
	if (len >= SRC_KEY)
		len = SRC_KEY - 1;
	e = src_get(src, len);
	e->events += n;
	e->bytes += bytes;
	e->last_us = diag_now_us();
}

/* The event-loop side. */

struct metrics *
metrics_new(struct queue *q, struct listener *l)
{
	struct metrics	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->ring = calloc(RING, sizeof(*m->ring))) == NULL) {
		free(m);
		return NULL;
	}
	m->q = q;
	m->l = l;
	m->window_s = 60;
	m->stuck_ns = 10000000000ULL;
	m->start_ns = diag_mono_ns();
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
metrics_set_pipeline(struct metrics *m, struct pipeline *p)
{
	m->p = p;
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
total_received(void)
{
	int		 t;
	uint64_t	 n = 0;

	for (t = 0; t < LRT__COUNT; t++)
		n += COUNT_GET(counters.received[t]);
	return n;
}

static uint64_t
total_dropped(void)
{
	int		 r;
	uint64_t	 n = 0;

	for (r = 0; r < DROP__COUNT; r++)
		n += COUNT_GET(counters.dropped[r]);
	return n;
}

static uint64_t
total_fired(void)
{
	uint64_t	 n = 0;
	size_t		 i;

	pthread_mutex_lock(&pub.mtx);
	for (i = 0; i < pub.nal; i++)
		n += pub.al[i].v[0];
	pthread_mutex_unlock(&pub.mtx);
	return n;
}

static uint64_t
alert_write_errors(void)
{
	uint64_t	 n;

	pthread_mutex_lock(&pub.mtx);
	n = pub.al_write_errors;
	pthread_mutex_unlock(&pub.mtx);
	return n;
}

/* The sample ago seconds before the newest (or the oldest held). */
static const struct sample *
sample_ago(const struct metrics *m, size_t ago)
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
	struct sample	*s;
	uint64_t	 errs, prev_stored;

	prev_stored = m->nring ? m->ring[m->head].stored : 0;
	if (m->nring > 0)
		m->head = (m->head + 1) % RING;
	if (m->nring < RING)
		m->nring++;
	s = &m->ring[m->head];
	s->t_ns = now_ns;
	s->rx = total_received();
	s->stored = COUNT_GET(counters.stored);
	s->fired = total_fired();
	histogram_snapshot(&metrics_pipe.store, &s->st);
	histogram_snapshot(&metrics_pipe.alert, &s->al);

	/* Events wait and none got stored since the last tick.  (A queue can
	 * be "full" for the listener well below capacity: batches of 512.) */
	if (queue_depth(m->q) > 0 && s->stored == prev_stored) {
		if (m->full_since == 0)
			m->full_since = now_ns;
	} else
		m->full_since = 0;
	errs = COUNT_GET(counters.write_errors) + alert_write_errors();
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

	if (slo_ns <= 0 || (now = sample_ago(m, 0)) == NULL)
		return;
	then = sample_ago(m, (size_t)m->window_s);
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

int
metrics_health(struct metrics *m, char *why, size_t len)
{
	uint64_t	 now = diag_mono_ns(), since;
	size_t		 off = 0;
	const char	*stage;

	why[0] = '\0';
	since = atomic_load(&metrics_pipe.retry_since_ns);
	stage = atomic_load(&metrics_pipe.retry_stage);
	if (since != 0 && now - since >= m->stuck_ns)
		why_add(why, len, &off, "pipeline stuck: stage %s failing for "
		    "%llus (storage stalled or failing)", stage ? stage : "?",
		    (unsigned long long)((now - since) / 1000000000ULL));
	if (m->full_since != 0 && now - m->full_since >= m->stuck_ns)
		why_add(why, len, &off, "queue not draining: %zu of %zu queued, "
		    "none stored for %llus", queue_depth(m->q),
		    queue_capacity(m->q),
		    (unsigned long long)((now - m->full_since) / 1000000000ULL));
	if (m->last_err_ns != 0 && now - m->last_err_ns < m->stuck_ns)
		why_add(why, len, &off, "storage failing: write errors in the "
		    "last %llus (%llu in all)",
		    (unsigned long long)(m->stuck_ns / 1000000000ULL),
		    (unsigned long long)m->errs);
	slo_check(m, 0, m->slo_store_ns, why, len, &off);
	slo_check(m, 1, m->slo_alert_ns, why, len, &off);
	return off == 0 ? 0 : -1;
}

/* Rates over the last n seconds of samples. */
static double
rate(const struct metrics *m, size_t n, size_t field)
{
	const struct sample	*a = sample_ago(m, 0), *b = sample_ago(m, n);
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
	char		 rx[16], st[16], when[16] = "";
	char		 last[NAME_MAX_LEN] = "";
	size_t		 cap = queue_capacity(m->q), off;
	int64_t		 us;
	time_t		 t;
	struct tm	 tm;
	int		 n;

	fmt_rate(rate(m, 1, 0), rx, sizeof(rx));
	fmt_rate(rate(m, 1, 1), st, sizeof(st));
	pthread_mutex_lock(&pub.mtx);
	snprintf(last, sizeof(last), "%s", pub.last_alert);
	us = pub.last_alert_us;
	pthread_mutex_unlock(&pub.mtx);
	n = snprintf(buf, len, "rx %s, stored %s, queue %zu%%, alerts %llu",
	    rx, st, cap ? queue_depth(m->q) * 100 / cap : 0,
	    (unsigned long long)total_fired());
	off = n > 0 ? (size_t)n : 0;
	if (last[0] != '\0' && off < len) {
		t = (time_t)(us / 1000000);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf + off, len - off, ", last alert %s %s", last,
		    when);
	}
}

/* Prometheus text. */

static void
family(struct evbuffer *o, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A label value with \, " and newline escaped (exposition format). */
static void
label_value(struct evbuffer *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(o, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(o, "\\n", 2);
		else
			evbuffer_add(o, s, 1);
	}
}

static void
sample1(struct evbuffer *o, const char *name, const char *label,
    const char *value, uint64_t v)
{
	evbuffer_add_printf(o, "%s", name);
	if (label != NULL) {
		evbuffer_add_printf(o, "{%s=\"", label);
		label_value(o, value);
		evbuffer_add(o, "\"}", 2);
	}
	evbuffer_add_printf(o, " %" PRIu64 "\n", v);
}

static void
counter(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	family(o, name, "counter", help);
	sample1(o, name, NULL, NULL, v);
}

static void
gauge(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	family(o, name, "gauge", help);
	sample1(o, name, NULL, NULL, v);
}

static void
histogram_text(struct evbuffer *o, const char *name, const char *help,
    struct histogram *h)
{
	struct hist_snap	 s;
	uint64_t		 cum = 0;
	size_t			 i;

	histogram_snapshot(h, &s);
	family(o, name, "histogram", help);
	for (i = 0; i < HIST_NBUCKETS; i++) {
		cum += s.bucket[i];
		if (i == HIST_NBUCKETS - 1)
			evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64
			    "\n", name, cum);
		else
			evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64
			    "\n", name, (double)histogram_bound_ns(i) / 1e9,
			    cum);
	}
	evbuffer_add_printf(o, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
	    (double)s.sum_ns / 1e9, name, cum);
}

/* Counters of other modules, exported as they are. */
static const struct simple {
	const char		*name;
	const char		*help;
	_Atomic uint64_t	*v;
} simples[] = {
	{ "logstreamd_rotate_errors_total", "Rotations that failed.",
	    &counters.rotate_errors },
	{ "logstreamd_rotated_compressed_total", "Rotated files gzipped.",
	    &counters.compressed },
	{ "logstreamd_rotated_compress_errors_total", "Rotated files that "
	    "could not be gzipped.", &counters.compress_errors },
	{ "logstreamd_rotated_deleted_total", "Rotated files deleted by "
	    "keep.", &counters.retention_deleted },
	{ "logstreamd_streams_evicted_total", "Streams forgotten at "
	    "max_streams (least recently seen).", &counters.streams_evicted },
	{ "logstreamd_streams_restarts_total", "Streams whose sequence went "
	    "back to its start.", &counters.streams_restarts },
	{ "logstreamd_streams_wraps_total", "Sequences that wrapped.",
	    &counters.streams_wraps },
	{ "logstreamd_repeat_summaries_lost_total", "Repeat summaries with "
	    "no room to be written.", &counters.repeats_lost },
	{ "logstreamd_alert_exec_started_total", "Alert programs started.",
	    &counters.alert_exec_started },
	{ "logstreamd_alert_exec_failed_total", "Alert programs that could "
	    "not start or exited non-zero.", &counters.alert_exec_failed },
	{ "logstreamd_alert_exec_timeouts_total", "Alert programs killed "
	    "at exec_timeout.", &counters.alert_exec_timeouts },
	{ "logstreamd_alert_exec_skipped_total", "Alert programs not "
	    "started (exec_max running).", &counters.alert_exec_skipped },
	{ "logstreamd_alert_journal_errors_total", "Alerts that could not "
	    "be sent to the journal.", &counters.alert_journal_errors },
	{ "logstreamd_alert_late_events_total", "Events whose own time came "
	    "after their alert window closed (beyond lateness).",
	    &counters.alert_late },
};

/* RSS in bytes and open fds, from /proc/self; 0 where unknown. */
static void
process_figures(uint64_t *rss, uint64_t *fds)
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
static void
inflight(const struct metrics *m, uint64_t v[3])
{
	v[0] = COUNT_GET(counters.inflight);
	v[1] = queue_depth(m->q);
	v[2] = m->p != NULL ? pipeline_inflight(m->p) : 0;
}

static const char *const inflight_names[] = {
	"listener", "queue", "pipeline"
};

struct lsctx {
	struct evbuffer	*o;
	int		 pass;
	json_t		*arr;
};

static void
listener_prom_cb(void *arg, const char *proto, const char *addr,
    uint64_t events, const uint64_t *dropped)
{
	struct lsctx	*c = arg;
	int		 r;

	if (c->pass == 0) {
		evbuffer_add_printf(c->o, "logstreamd_listener_events_total"
		    "{listener=\"%s://", proto);
		label_value(c->o, addr);
		evbuffer_add_printf(c->o, "\"} %" PRIu64 "\n", events);
		return;
	}
	for (r = 0; r < DROP__COUNT; r++) {
		evbuffer_add_printf(c->o, "logstreamd_listener_dropped_total"
		    "{listener=\"%s://", proto);
		label_value(c->o, addr);
		evbuffer_add_printf(c->o, "\",reason=\"%s\"} %" PRIu64 "\n",
		    diag_drop_name(r), dropped[r]);
	}
}

static void
prom_events(struct metrics *m, struct evbuffer *o)
{
	struct lsctx	 c = { .o = o };
	uint64_t	 v[3];
	int		 i;

	family(o, "logstreamd_events_received_total", "counter", "Events "
	    "that reached the daemon (those dropped on arrival included).");
	for (i = 0; i < LRT__COUNT; i++)
		sample1(o, "logstreamd_events_received_total", "transport",
		    lr_transport_name(i), COUNT_GET(counters.received[i]));
	counter(o, "logstreamd_bytes_received_total", "Bytes read from "
	    "peers (framing included).", COUNT_GET(counters.bytes));
	counter(o, "logstreamd_events_stored_total", "Events written to "
	    "storage.", COUNT_GET(counters.stored));
	family(o, "logstreamd_events_dropped_total", "counter", "Events "
	    "dropped, by reason.");
	for (i = 0; i < DROP__COUNT; i++)
		sample1(o, "logstreamd_events_dropped_total", "reason",
		    diag_drop_name(i), COUNT_GET(counters.dropped[i]));
	counter(o, "logstreamd_events_generated_total", "Events the daemon "
	    "made itself (repeat summaries).",
	    COUNT_GET(counters.repeats_summaries));
	family(o, "logstreamd_events_inflight", "gauge", "Events received "
	    "and not yet stored or dropped, by where they are; received + "
	    "generated = stored + dropped + the sum of these.");
	inflight(m, v);
	for (i = 0; i < 3; i++)
		sample1(o, "logstreamd_events_inflight", "stage",
		    inflight_names[i], v[i]);
	family(o, "logstreamd_listener_events_total", "counter", "Events "
	    "received per UDP listening socket (dropped ones included).");
	listener_foreach(m->l, listener_prom_cb, &c);
	c.pass = 1;
	family(o, "logstreamd_listener_dropped_total", "counter", "Events "
	    "dropped per UDP listening socket, by reason.");
	listener_foreach(m->l, listener_prom_cb, &c);
	counter(o, "logstreamd_events_truncated_total", "Events cut at "
	    "max_message.", COUNT_GET(counters.truncated));
	counter(o, "logstreamd_bad_frames_total", "TCP frames that broke "
	    "the framing rules.", COUNT_GET(counters.bad_frames));
	family(o, "logstreamd_parse_format_total", "counter", "Events by "
	    "detected format.");
	for (i = 0; i < LRF__COUNT; i++)
		sample1(o, "logstreamd_parse_format_total", "format",
		    lr_format_name(i), COUNT_GET(counters.formats[i]));
	family(o, "logstreamd_stream_events_total", "counter", "Events "
	    "marked with a stream problem, by kind.");
	for (i = 1; i < LRS__COUNT; i++)
		sample1(o, "logstreamd_stream_events_total", "kind",
		    lr_stream_name(i), COUNT_GET(counters.stream_kinds[i]));
}

static void
prom_stages(struct evbuffer *o)
{
	size_t	 i;

	pthread_mutex_lock(&pub.mtx);
	family(o, "logstreamd_events_classified_total", "counter", "Events "
	    "by class (other: no rule matched).");
	for (i = 0; i < pub.ncls; i++)
		sample1(o, "logstreamd_events_classified_total", "class",
		    pub.cls[i].name, pub.cls[i].base + pub.cls[i].v[0]);
	family(o, "logstreamd_alerts_total", "counter", "Alert lines "
	    "written, by alert rule.");
	for (i = 0; i < pub.nal; i++)
		sample1(o, "logstreamd_alerts_total", "alert", pub.al[i].name,
		    pub.al[i].v[0]);
	family(o, "logstreamd_alerts_suppressed_total", "counter", "Alerts "
	    "that reached their threshold within suppress, by rule.");
	for (i = 0; i < pub.nal; i++)
		sample1(o, "logstreamd_alerts_suppressed_total", "alert",
		    pub.al[i].name, pub.al[i].v[1]);
	family(o, "logstreamd_alert_groups_evicted_total", "counter",
	    "Alert groups dropped to keep memory bounded, by rule.");
	for (i = 0; i < pub.nal; i++)
		sample1(o, "logstreamd_alert_groups_evicted_total", "alert",
		    pub.al[i].name, pub.al[i].v[2]);
	counter(o, "logstreamd_alert_write_errors_total", "Failed writes of "
	    "alert lines.", pub.al_write_errors);
	pthread_mutex_unlock(&pub.mtx);
}

static void
prom_conns(struct evbuffer *o)
{
	uint64_t	 r[2];
	int		 i;

	gauge(o, "logstreamd_connections", "TCP peers connected now.",
	    COUNT_GET(counters.connections));
	counter(o, "logstreamd_connections_accepted_total", "TCP peers "
	    "accepted.", COUNT_GET(counters.accepted));
	r[0] = COUNT_GET(counters.refused_limit);
	r[1] = COUNT_GET(counters.refused_acl);
	family(o, "logstreamd_connections_refused_total", "counter", "TCP "
	    "peers refused (limit: max_connections, acl: allow).");
	for (i = 0; i < 2; i++)
		sample1(o, "logstreamd_connections_refused_total", "reason",
		    refuse_names[i], r[i]);
	counter(o, "logstreamd_connections_idle_closed_total", "TCP peers "
	    "closed after idle_timeout.", COUNT_GET(counters.idle_closed));
}

void
metrics_prometheus(struct metrics *m, struct evbuffer *o)
{
	uint64_t	 rss, fds;
	char		 why[512];
	size_t		 i;

	prom_events(m, o);
	prom_stages(o);
	gauge(o, "logstreamd_queue_depth", "Events in the queue now.",
	    queue_depth(m->q));
	gauge(o, "logstreamd_queue_capacity", "Events the queue holds at "
	    "most.", queue_capacity(m->q));
	gauge(o, "logstreamd_queue_peak", "Most events ever queued at once.",
	    queue_peak(m->q));
	prom_conns(o);
	counter(o, "logstreamd_storage_write_errors_total", "Failed writes "
	    "to storage (each retried).", COUNT_GET(counters.write_errors));
	counter(o, "logstreamd_storage_syncs_total", "fsync calls on "
	    "storage.", COUNT_GET(counters.syncs));
	counter(o, "logstreamd_rotations_total", "Storage files rotated.",
	    COUNT_GET(counters.rotations));
	for (i = 0; i < sizeof(simples) / sizeof(simples[0]); i++)
		counter(o, simples[i].name, simples[i].help,
		    COUNT_GET(*simples[i].v));
	histogram_text(o, "logstreamd_store_latency_seconds", "From receipt "
	    "(monotonic clock) to written to storage.", &metrics_pipe.store);
	histogram_text(o, "logstreamd_alert_latency_seconds", "From receipt "
	    "of the event that fired to its alert line written.",
	    &metrics_pipe.alert);
	gauge(o, "logstreamd_healthy", "1 when /health answers 200, else 0.",
	    metrics_health(m, why, sizeof(why)) == 0);
	process_figures(&rss, &fds);
	gauge(o, "process_resident_memory_bytes", "Resident memory size in "
	    "bytes.", rss);
	gauge(o, "process_open_fds", "Open file descriptors.", fds);
	gauge(o, "logstreamd_uptime_seconds", "Seconds since start.",
	    (diag_mono_ns() - m->start_ns) / 1000000000ULL);
}

/* /stats. */

static json_t *
jnames(const char *const *names, const uint64_t *v, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; o != NULL && i < n; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)v[i]));
	return o;
}

static json_t *
jevents(struct metrics *m)
{
	uint64_t	 rx[LRT__COUNT], dr[DROP__COUNT], v[3], rxt, drt;
	const char	*tn[LRT__COUNT], *dn[DROP__COUNT];
	uint64_t	 stored, made;
	int		 i;

	for (i = 0; i < LRT__COUNT; i++) {
		rx[i] = COUNT_GET(counters.received[i]);
		tn[i] = lr_transport_name(i);
	}
	for (i = 0; i < DROP__COUNT; i++) {
		dr[i] = COUNT_GET(counters.dropped[i]);
		dn[i] = diag_drop_name(i);
	}
	inflight(m, v);
	stored = COUNT_GET(counters.stored);
	rxt = total_received();
	drt = total_dropped();
	made = COUNT_GET(counters.repeats_summaries);
	return json_pack("{s:o, s:I, s:I, s:I, s:o, s:I, s:o, s:I, s:b}",
	    "received", jnames(tn, rx, LRT__COUNT),
	    "received_total", (json_int_t)rxt,
	    "generated", (json_int_t)made,
	    "stored", (json_int_t)stored,
	    "dropped", jnames(dn, dr, DROP__COUNT),
	    "dropped_total", (json_int_t)drt,
	    "inflight", jnames(inflight_names, v, 3),
	    "bytes", (json_int_t)COUNT_GET(counters.bytes),
	    "balanced", rxt + made == stored + drt + v[0] + v[1] + v[2]);
}

static json_t *
jlatency(struct metrics *m, int alert)
{
	const struct sample	*now = sample_ago(m, 0), *then;
	struct hist_snap	 live;
	const struct hist_snap	*a, *b;

	histogram_snapshot(alert ? &metrics_pipe.alert : &metrics_pipe.store,
	    &live);
	then = sample_ago(m, RECENT_S);
	a = now == NULL ? &live : alert ? &now->al : &now->st;
	b = then == NULL || then == now ? NULL : alert ? &then->al :
	    &then->st;
	return json_pack("{s:I, s:f, s:f, s:f, s:f}",
	    "count", (json_int_t)live.count,
	    "p50_s", (double)histogram_quantile(a, b, 0.5) / 1e9,
	    "p99_s", (double)histogram_quantile(a, b, 0.99) / 1e9,
	    "p99_all_s", (double)histogram_quantile(&live, NULL, 0.99) / 1e9,
	    "slo_p99_s", (double)(alert ? m->slo_alert_ns : m->slo_store_ns) /
	    1e9);
}

static json_t *
jstages(void)
{
	json_t	*cls = json_object(), *al = json_object(), *last;
	size_t	 i;

	pthread_mutex_lock(&pub.mtx);
	for (i = 0; i < pub.ncls; i++)
		json_object_set_new(cls, pub.cls[i].name, json_integer(
		    (json_int_t)(pub.cls[i].base + pub.cls[i].v[0])));
	for (i = 0; i < pub.nal; i++)
		json_object_set_new(al, pub.al[i].name, json_pack(
		    "{s:I, s:I, s:I}", "fired", (json_int_t)pub.al[i].v[0],
		    "suppressed", (json_int_t)pub.al[i].v[1],
		    "evicted", (json_int_t)pub.al[i].v[2]));
	last = pub.last_alert[0] == '\0' ? json_null() : json_pack(
	    "{s:s, s:I}", "alert", pub.last_alert, "time_us",
	    (json_int_t)pub.last_alert_us);
	pthread_mutex_unlock(&pub.mtx);
	return json_pack("{s:o, s:o, s:o}", "classes", cls, "alerts", al,
	    "last_alert", last);
}

static int
src_cmp(const void *a, const void *b)
{
	const struct source	*x = *(const struct source *const *)a;
	const struct source	*y = *(const struct source *const *)b;

	return x->events < y->events ? 1 : x->events > y->events ? -1 : 0;
}

static json_t *
jsources(void)
{
	const struct source	*v[METRICS_MAX_SOURCES];
	json_t			*arr = json_array();
	size_t			 i;

	for (i = 0; i < srcs.n; i++)
		v[i] = &srcs.ent[i];
	qsort(v, srcs.n, sizeof(v[0]), src_cmp);
	for (i = 0; arr != NULL && i < srcs.n && i < METRICS_TOP_SOURCES; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}",
		    "source", v[i]->key, "events", (json_int_t)v[i]->events,
		    "bytes", (json_int_t)v[i]->bytes, "last_us",
		    (json_int_t)v[i]->last_us));
	return arr;
}

static void
listener_json_cb(void *arg, const char *proto, const char *addr,
    uint64_t events, const uint64_t *dropped)
{
	struct lsctx	*c = arg;
	json_t		*d = json_object();
	int		 r;

	for (r = 0; r < DROP__COUNT; r++)
		json_object_set_new(d, diag_drop_name(r),
		    json_integer((json_int_t)dropped[r]));
	json_array_append_new(c->arr, json_pack("{s:s, s:s, s:I, s:o}",
	    "transport", proto, "address", addr, "events", (json_int_t)events,
	    "dropped", d));
}

static json_t *
jmisc(struct metrics *m)
{
	const char	*fn[LRF__COUNT], *kn[LRS__COUNT - 1];
	uint64_t	 fv[LRF__COUNT], kv[LRS__COUNT - 1], rss, fds;
	size_t		 cap = queue_capacity(m->q), depth = queue_depth(m->q);
	int		 i;

	for (i = 0; i < LRF__COUNT; i++) {
		fn[i] = lr_format_name(i);
		fv[i] = COUNT_GET(counters.formats[i]);
	}
	for (i = 1; i < LRS__COUNT; i++) {
		kn[i - 1] = lr_stream_name(i);
		kv[i - 1] = COUNT_GET(counters.stream_kinds[i]);
	}
	process_figures(&rss, &fds);
	return json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:f}, s:{s:I, s:I, "
	    "s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}}",
	    "formats", jnames(fn, fv, LRF__COUNT),
	    "streams", jnames(kn, kv, LRS__COUNT - 1),
	    "queue", "depth", (json_int_t)depth, "capacity", (json_int_t)cap,
	    "peak", (json_int_t)queue_peak(m->q), "fill", cap ?
	    (double)depth / (double)cap : 0.0,
	    "connections", "open", (json_int_t)COUNT_GET(counters.connections),
	    "accepted", (json_int_t)COUNT_GET(counters.accepted),
	    "refused_limit", (json_int_t)COUNT_GET(counters.refused_limit),
	    "refused_acl", (json_int_t)COUNT_GET(counters.refused_acl),
	    "process", "rss_bytes", (json_int_t)rss, "open_fds",
	    (json_int_t)fds,
	    "storage", "write_errors",
	    (json_int_t)COUNT_GET(counters.write_errors),
	    "syncs", (json_int_t)COUNT_GET(counters.syncs),
	    "rotations", (json_int_t)COUNT_GET(counters.rotations));
}

json_t *
metrics_stats(struct metrics *m)
{
	struct lsctx	 c = { .arr = json_array() };
	char		 why[512];
	int		 ok = metrics_health(m, why, sizeof(why)) == 0;
	json_t		*o;

	listener_foreach(m->l, listener_json_cb, &c);
	o = json_pack("{s:I, s:o, s:{s:f, s:f, s:f}, s:{s:o, s:o}, s:o, "
	    "s:o, s:o, s:{s:b, s:s}, s:o}",
	    "uptime_s", (json_int_t)((diag_mono_ns() - m->start_ns) /
	    1000000000ULL),
	    "events", jevents(m),
	    "rates", "received_per_s", rate(m, 1, 0), "stored_per_s",
	    rate(m, 1, 1), "alerts_per_s", rate(m, 1, 2),
	    "latency", "store", jlatency(m, 0), "alert", jlatency(m, 1),
	    "stages", jstages(),
	    "sources", jsources(),
	    "listeners", c.arr,
	    "health", "ok", ok, "reason", ok ? "" : why,
	    "misc", jmisc(m));
	return o;
}
