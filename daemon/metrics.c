/*
 * metrics.c: gathers the figures for /metrics, /stats, /health and STATUS=.
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

#include "alerter.h"
#include "classifier.h"
#include "config.h"
#include "diag.h"
#include "input.h"
#include "listen.h"
#include "limiter.h"
#include "lookup.h"
#include "metrics.h"
#include "metrics_int.h"
#include "pipeline.h"
#include "queue.h"
#include "streams.h"

#define PUBLISH_NS	100000000ULL	/* snapshot at most every 100 ms */

struct metrics_pipe	 metrics_pipe;
struct metrics_pub	 metrics_pub = { .mtx = PTHREAD_MUTEX_INITIALIZER };
struct metrics_srcs	 metrics_srcs;

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

	if (i < metrics_pub.ncls && strcmp(metrics_pub.cls[i].name, name) == 0)
		return metrics_pub.cls[i].base + metrics_pub.cls[i].v[0];
	if (metrics_pub.ncls > 4096)
		return 0;		/* bounded work on reload */
	for (j = 0; j < metrics_pub.ncls; j++)
		if (strcmp(metrics_pub.cls[j].name, name) == 0)
			return metrics_pub.cls[j].base + metrics_pub.cls[j].v[0];
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
		c[i].base = metrics_pub.valid ? class_base(c[i].name, i) : 0;
	}
	for (i = 0; i < na; i++)
		if ((a[i].name = strdup(alerter_name(al, i))) == NULL)
			goto fail;
	figures_free(metrics_pub.cls, metrics_pub.ncls);
	figures_free(metrics_pub.al, metrics_pub.nal);
	metrics_pub.cls = c;
	metrics_pub.ncls = nc;
	metrics_pub.al = a;
	metrics_pub.nal = na;
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

	if (metrics_pub.valid && gen == metrics_pub.gen && now_ns - metrics_pub.last_ns < PUBLISH_NS)
		return;
	if (pthread_mutex_trylock(&metrics_pub.mtx) != 0)
		return;			/* a reader has it: next time */
	if (!metrics_pub.valid || gen != metrics_pub.gen) {
		if (rename_figures(cl, al) == -1) {
			pthread_mutex_unlock(&metrics_pub.mtx);
			return;
		}
		metrics_pub.gen = gen;
		metrics_pub.valid = 1;
	}
	for (i = 0; i < metrics_pub.ncls; i++)
		metrics_pub.cls[i].v[0] = classifier_hits(cl, i);
	for (i = 0; i < metrics_pub.nal; i++) {
		fired = alerter_fired(al, i);
		if (fired > metrics_pub.al[i].v[0]) {
			snprintf(metrics_pub.last_alert, sizeof(metrics_pub.last_alert), "%s",
			    metrics_pub.al[i].name);
			metrics_pub.last_alert_us = diag_now_us();
		}
		metrics_pub.al[i].v[0] = fired;
		metrics_pub.al[i].v[1] = alerter_suppressed(al, i);
		metrics_pub.al[i].v[2] = alerter_evicted(al, i);
	}
	metrics_pub.al_write_errors = alerter_write_errors(al);
	metrics_pub.last_ns = now_ns;
	pthread_mutex_unlock(&metrics_pub.mtx);
}

/* len bytes of s into d (cap bytes, NUL-terminated), cut at a character;
 * bytes that are not UTF-8 become '?', so the JSON encoder takes it. */
static void
copy_utf8(char *d, size_t cap, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, o = 0, n, k;

	while (i < len) {
		n = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 && u[i] >= 0xc2 ?
		    2 : (u[i] & 0xf0) == 0xe0 ? 3 : (u[i] & 0xf8) == 0xf0 &&
		    u[i] <= 0xf4 ? 4 : 0;
		for (k = 1; n > 1 && k < n; k++)
			if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
				n = 0;
		if (o + (n ? n : 1) >= cap)
			break;
		if (n == 0) {
			d[o++] = '?';
			i++;
			continue;
		}
		memcpy(d + o, s + i, n);
		o += n;
		i += n;
	}
	d[o] = '\0';
}

static void
stream_pub_cb(const struct streams_stat *st, void *arg)
{
	struct pub_stream	*p = &metrics_pub.streams[metrics_pub.nstreams++];
	const char		*k = st->key, *end = st->key + st->keylen, *z;
	int			 i;

	for (i = 0; i < 3; i++) {
		z = k < end ? memchr(k, '\0', (size_t)(end - k)) : NULL;
		if (z == NULL)
			z = end;
		copy_utf8(p->part[i], sizeof(p->part[i]), k, (size_t)(z - k));
		k = z < end ? z + 1 : end;
	}
	p->st = *st;
	p->st.key = NULL;	/* lives only during the call */
	p->st.keylen = 0;
}

/* New figures into the table t (n entries), carrying the counters of an
 * entry of the same name from before a reload into base. */
static void
rule_put(struct pub_rule *t, size_t *n, size_t at, const char *name,
    const uint64_t v[RULE_COUNTERS], uint64_t gauge, int newgen,
    const struct pub_rule *old, size_t nold)
{
	size_t	 i, k;

	if (at >= METRICS_MAX_RULES)
		return;
	if (newgen) {
		memset(&t[at], 0, sizeof(t[at]));
		snprintf(t[at].name, sizeof(t[at].name), "%s", name);
		for (i = 0; i < nold; i++)
			if (strcmp(old[i].name, name) == 0)
				for (k = 0; k < RULE_COUNTERS; k++)
					t[at].base[k] = old[i].base[k] +
					    old[i].v[k];
	}
	memcpy(t[at].v, v, sizeof(t[at].v));
	t[at].gauge = gauge;
	if (at + 1 > *n)
		*n = at + 1;
}

void
metrics_publish_rules(const struct lookups *lk, const struct limiter *lim,
    unsigned gen, uint64_t now_ns, int last)
{
	static struct pub_rule	 old[METRICS_MAX_RULES];
	struct lookup_stat	 ls;
	struct limit_stat	 ms;
	uint64_t		 v[RULE_COUNTERS];
	size_t			 i, nold;
	int			 newgen;

	newgen = !metrics_pub.rules_valid || gen != metrics_pub.rules_gen;
	if (!newgen && !last && now_ns - metrics_pub.rules_ns < PUBLISH_NS)
		return;
	if (last)	/* the final figures of a set being swapped out */
		pthread_mutex_lock(&metrics_pub.mtx);
	else if (pthread_mutex_trylock(&metrics_pub.mtx) != 0)
		return;			/* a reader has it: next time */
	if (newgen) {
		nold = metrics_pub.nlk;
		memcpy(old, metrics_pub.lk, nold * sizeof(*old));
		metrics_pub.nlk = 0;
	} else
		nold = 0;
	for (i = 0; lookups_stat(lk, i, &ls) == 0; i++) {
		v[0] = ls.hits, v[1] = ls.misses, v[2] = ls.reloads;
		v[3] = ls.errors;
		rule_put(metrics_pub.lk, &metrics_pub.nlk, i, ls.name, v,
		    ls.rows, newgen, old, nold);
	}
	if (newgen) {
		nold = metrics_pub.nlim;
		memcpy(old, metrics_pub.lim, nold * sizeof(*old));
		metrics_pub.nlim = 0;
	}
	for (i = 0; limiter_stat(lim, i, &ms) == 0; i++) {
		v[0] = ms.passed, v[1] = ms.dropped, v[2] = ms.evicted;
		v[3] = 0;
		rule_put(metrics_pub.lim, &metrics_pub.nlim, i, ms.name, v,
		    ms.keys, newgen, old, nold);
	}
	metrics_pub.rules_gen = gen;
	metrics_pub.rules_valid = 1;
	metrics_pub.rules_ns = now_ns;
	pthread_mutex_unlock(&metrics_pub.mtx);
}

void
metrics_publish_streams(const struct streams *st, uint64_t now_ns)
{
	if (metrics_pub.streams_ns != 0 &&
	    now_ns - metrics_pub.streams_ns < PUBLISH_NS)
		return;
	if (pthread_mutex_trylock(&metrics_pub.mtx) != 0)
		return;			/* a reader has it: next time */
	metrics_pub.nstreams = 0;
	streams_foreach(st, METRICS_TOP_STREAMS, stream_pub_cb, NULL);
	metrics_pub.streams_tracked = streams_count(st);
	metrics_pub.streams_ns = now_ns;
	pthread_mutex_unlock(&metrics_pub.mtx);
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

	memset(metrics_srcs.slot, 0xff, sizeof(metrics_srcs.slot));
	for (i = 0; i < metrics_srcs.n; i++) {
		h = src_hash(metrics_srcs.ent[i].key, strlen(metrics_srcs.ent[i].key));
		while (metrics_srcs.slot[h % SRC_SLOTS] != -1)
			h++;
		metrics_srcs.slot[h % SRC_SLOTS] = (int16_t)i;
	}
	metrics_srcs.init = 1;
}

/* The entry for key, made (evicting the quietest when full). */
static struct source *
src_get(const char *key, size_t len)
{
	struct source	*e;
	uint32_t	 h = src_hash(key, len);
	size_t		 i, min;
	int16_t		 k;

	if (!metrics_srcs.init)
		src_reindex();
	while ((k = metrics_srcs.slot[h % SRC_SLOTS]) != -1) {
		e = &metrics_srcs.ent[k];
		if (strncmp(e->key, key, len) == 0 && e->key[len] == '\0')
			return e;
		h++;
	}
	if (metrics_srcs.n == METRICS_MAX_SOURCES) {
		for (min = 0, i = 1; i < metrics_srcs.n; i++)
			if (metrics_srcs.ent[i].events < metrics_srcs.ent[min].events)
				min = i;
		metrics_srcs.ent[min] = metrics_srcs.ent[--metrics_srcs.n];
		metrics_srcs.evicted++;
		src_reindex();
		return src_get(key, len);
	}
	e = &metrics_srcs.ent[metrics_srcs.n];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, len);
	metrics_srcs.slot[h % SRC_SLOTS] = (int16_t)metrics_srcs.n++;
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

uint64_t
metrics_total_received(void)
{
	int		 t;
	uint64_t	 n = 0;

	for (t = 0; t < LRT__COUNT; t++)
		n += COUNT_GET(counters.received[t]);
	return n;
}

uint64_t
metrics_total_dropped(void)
{
	int		 r;
	uint64_t	 n = 0;

	for (r = 0; r < DROP__COUNT; r++)
		n += COUNT_GET(counters.dropped[r]);
	return n;
}

uint64_t
metrics_total_fired(void)
{
	uint64_t	 n = 0;
	size_t		 i;

	pthread_mutex_lock(&metrics_pub.mtx);
	for (i = 0; i < metrics_pub.nal; i++)
		n += metrics_pub.al[i].v[0];
	pthread_mutex_unlock(&metrics_pub.mtx);
	return n;
}

static uint64_t
alert_write_errors(void)
{
	uint64_t	 n;

	pthread_mutex_lock(&metrics_pub.mtx);
	n = metrics_pub.al_write_errors;
	pthread_mutex_unlock(&metrics_pub.mtx);
	return n;
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
	struct sample	*s;
	uint64_t	 errs, prev_stored;

	prev_stored = m->nring ? m->ring[m->head].stored : 0;
	if (m->nring > 0)
		m->head = (m->head + 1) % RING;
	if (m->nring < RING)
		m->nring++;
	s = &m->ring[m->head];
	s->t_ns = now_ns;
	s->rx = metrics_total_received();
	s->stored = COUNT_GET(counters.stored);
	s->fired = metrics_total_fired();
	s->depth = queue_depth(m->q);
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

int
metrics_health(struct metrics *m, char *why, size_t len)
{
	uint64_t	 now = diag_mono_ns(), since;
	size_t		 off = 0;
	const char	*stage;
	char		 iwhy[256];

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
	if (inputs_health(NULL, iwhy, sizeof(iwhy)) == -1)
		why_add(why, len, &off, "%s", iwhy);
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
	char		 rx[16], st[16], when[16] = "";
	char		 last[NAME_MAX_LEN] = "";
	size_t		 cap = queue_capacity(m->q), off;
	int64_t		 us;
	time_t		 t;
	struct tm	 tm;
	int		 n;

	fmt_rate(metrics_rate(m, 1, 0), rx, sizeof(rx));
	fmt_rate(metrics_rate(m, 1, 1), st, sizeof(st));
	pthread_mutex_lock(&metrics_pub.mtx);
	snprintf(last, sizeof(last), "%s", metrics_pub.last_alert);
	us = metrics_pub.last_alert_us;
	pthread_mutex_unlock(&metrics_pub.mtx);
	n = snprintf(buf, len, "rx %s, stored %s, queue %zu%%, alerts %llu",
	    rx, st, cap ? queue_depth(m->q) * 100 / cap : 0,
	    (unsigned long long)metrics_total_fired());
	off = n > 0 ? (size_t)n : 0;
	if (last[0] != '\0' && off < len) {
		t = (time_t)(us / 1000000);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf + off, len - off, ", last alert %s %s", last,
		    when);
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
	v[0] = COUNT_GET(counters.inflight);
	v[1] = queue_depth(m->q);
	v[2] = (m->p != NULL ? pipeline_inflight(m->p) : 0) +
	    COUNT_GET(counters.store_pending);
}

const char *const metrics_inflight_names[3] = {
	"listener", "queue", "pipeline"
};
