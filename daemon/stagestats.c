/*
 * stagestats.c: the pipeline's figures (see stagestats.h).  Latencies go
 * into histograms the pipeline thread owns; class, alert, rule and stream
 * figures into a snapshot it publishes under a mutex it only ever
 * try-locks; metrics reads both through the STATS_PIPELINE provider.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter.h"
#include "classifier.h"
#include "diag.h"
#include "histogram.h"
#include "limiter.h"
#include "logrec.h"
#include "lookup.h"
#include "stagestats.h"
#include "stats.h"
#include "streams.h"

#define PUBLISH_NS	100000000ULL	/* snapshot at most every 100 ms */

struct stagestats {
	const _Atomic unsigned long *inflight;	/* the pipeline's */
	struct histogram	 store;		/* received -> written */
	struct histogram	 alert;		/* received -> alert written */
	_Atomic uint64_t	 retry_since_ns;	/* 0: not retrying */
	_Atomic(const char *)	 retry_stage;	/* static name */
	/* the snapshot, guarded by mtx */
	pthread_mutex_t		 mtx;
	unsigned		 gen;
	int			 valid;
	struct stats_figure	*cls;
	size_t			 ncls;
	struct stats_figure	*al;
	size_t			 nal;
	uint64_t		 al_write_errors;
	char			 last_alert[STATS_NAME_LEN];
	int64_t			 last_alert_us;
	/* newest first */
	struct stats_firing	 recent[STATS_RECENT_ALERTS];
	size_t			 nrecent;
	uint64_t		 last_ns;
	struct stats_stream	 streams[STATS_TOP_STREAMS];
	size_t			 nstreams;
	size_t			 streams_tracked;
	uint64_t		 streams_ns;	/* when last published */
	struct stats_host	 hosts[STATS_TOP_HOSTS];
	size_t			 nhosts;
	struct stats_rule	 lk[STATS_MAX_RULES];
	size_t			 nlk;
	struct stats_rule	 lim[STATS_MAX_RULES];
	size_t			 nlim;
	struct stats_rule	 old[STATS_MAX_RULES];	/* during a swap */
	unsigned		 rules_gen;
	int			 rules_valid;
	uint64_t		 rules_ns;
};

/* The STATS_PIPELINE provider: the snapshot, under its mutex. */
static void
stagestats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct stagestats	*s = arg;
	struct stats_pipeline	 v;

	memset(&v, 0, sizeof(v));
	v.inflight = atomic_load(s->inflight);
	v.retry_since_ns = atomic_load(&s->retry_since_ns);
	v.retry_stage = atomic_load(&s->retry_stage);
	v.store_lat = &s->store;
	v.alert_lat = &s->alert;
	pthread_mutex_lock(&s->mtx);
	v.cls = s->cls;
	v.ncls = s->ncls;
	v.al = s->al;
	v.nal = s->nal;
	v.al_write_errors = s->al_write_errors;
	v.last_alert = s->last_alert;
	v.last_alert_us = s->last_alert_us;
	v.recent = s->recent;
	v.nrecent = s->nrecent;
	v.lk = s->lk;
	v.nlk = s->nlk;
	v.lim = s->lim;
	v.nlim = s->nlim;
	v.streams = s->streams;
	v.nstreams = s->nstreams;
	v.streams_tracked = s->streams_tracked;
	v.hosts = s->hosts;
	v.nhosts = s->nhosts;
	see(ctx, &v);
	pthread_mutex_unlock(&s->mtx);
}

struct stagestats *
stagestats_new(const _Atomic unsigned long *inflight)
{
	struct stagestats	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->inflight = inflight;
	pthread_mutex_init(&s->mtx, NULL);
	if (stats_add(STATS_PIPELINE, stagestats_read, s) == -1) {
		pthread_mutex_destroy(&s->mtx);
		free(s);
		return NULL;
	}
	return s;
}

static void
figures_free(struct stats_figure *f, size_t n)
{
	size_t	 i;

	for (i = 0; f != NULL && i < n; i++)
		free(f[i].name);
	free(f);
}

void
stagestats_free(struct stagestats *s)
{
	if (s == NULL)
		return;
	stats_remove(stagestats_read, s);
	figures_free(s->cls, s->ncls);
	figures_free(s->al, s->nal);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

struct histogram *
stagestats_alert_latency(struct stagestats *s)
{
	return &s->alert;
}

void
stagestats_stored(struct stagestats *s, const struct lsbatch *b,
    uint64_t now_ns)
{
	const struct logrec	*r;
	uint32_t		 i;

	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (r->flags & LR_DROP)
			continue;
		histogram_add(&s->store, now_ns > r->recv_mono_ns ?
		    now_ns - r->recv_mono_ns : 0);
	}
}

void
stagestats_retry(struct stagestats *s, const char *stage, uint64_t now_ns)
{
	if (stage == NULL) {
		atomic_store(&s->retry_since_ns, 0);
		return;
	}
	if (atomic_load(&s->retry_since_ns) != 0)
		return;
	atomic_store(&s->retry_stage, stage);
	atomic_store(&s->retry_since_ns, now_ns);
}

/* A class's total before the reload, found by name (carried over). */
static uint64_t
class_base(const struct stagestats *s, const char *name, size_t i)
{
	size_t	 j;

	if (i < s->ncls && strcmp(s->cls[i].name, name) == 0)
		return s->cls[i].base + s->cls[i].v[0];
	if (s->ncls > 4096)
		return 0;		/* bounded work on reload */
	for (j = 0; j < s->ncls; j++)
		if (strcmp(s->cls[j].name, name) == 0)
			return s->cls[j].base + s->cls[j].v[0];
	return 0;
}

/* New stages: fresh names (copied: the stages' own die with them). */
static int
rename_figures(struct stagestats *s, const struct classifier *cl,
    const struct alerter *al)
{
	struct stats_figure	*c, *a;
	size_t			 nc = classifier_count(cl), i;
	size_t			 na = alerter_count(al);

	c = calloc(nc ? nc : 1, sizeof(*c));
	a = calloc(na ? na : 1, sizeof(*a));
	if (c == NULL || a == NULL)
		goto fail;
	for (i = 0; i < nc; i++) {
		if ((c[i].name = strdup(classifier_name(cl, i))) == NULL)
			goto fail;
		c[i].base = s->valid ? class_base(s, c[i].name, i) : 0;
	}
	for (i = 0; i < na; i++)
		if ((a[i].name = strdup(alerter_name(al, i))) == NULL)
			goto fail;
	figures_free(s->cls, s->ncls);
	figures_free(s->al, s->nal);
	s->cls = c;
	s->ncls = nc;
	s->al = a;
	s->nal = na;
	return 0;
fail:
	figures_free(c, nc);
	figures_free(a, na);
	return -1;
}

/* A rule seen firing n times since the last snapshot, into the recent
 * list (newest first, the oldest falls off). */
static void
firing(struct stagestats *s, const char *name, uint64_t n)
{
	if (s->nrecent < STATS_RECENT_ALERTS)
		s->nrecent++;
	memmove(&s->recent[1], &s->recent[0], (s->nrecent - 1) *
	    sizeof(s->recent[0]));
	snprintf(s->recent[0].name, sizeof(s->recent[0].name), "%s", name);
	s->recent[0].time_us = s->last_alert_us;
	s->recent[0].fired = n;
}

void
stagestats_publish(struct stagestats *s, const struct classifier *cl,
    const struct alerter *al, unsigned gen, uint64_t now_ns)
{
	size_t		 i;
	uint64_t	 fired;

	if (s->valid && gen == s->gen && now_ns - s->last_ns < PUBLISH_NS)
		return;
	if (pthread_mutex_trylock(&s->mtx) != 0)
		return;			/* a reader has it: next time */
	if (!s->valid || gen != s->gen) {
		if (rename_figures(s, cl, al) == -1) {
			pthread_mutex_unlock(&s->mtx);
			return;
		}
		s->gen = gen;
		s->valid = 1;
	}
	for (i = 0; i < s->ncls; i++)
		s->cls[i].v[0] = classifier_hits(cl, i);
	for (i = 0; i < s->nal; i++) {
		fired = alerter_fired(al, i);
		if (fired > s->al[i].v[0]) {
			snprintf(s->last_alert, sizeof(s->last_alert), "%s",
			    s->al[i].name);
			s->last_alert_us = diag_now_us();
			firing(s, s->al[i].name, fired - s->al[i].v[0]);
		}
		s->al[i].v[0] = fired;
		s->al[i].v[1] = alerter_suppressed(al, i);
		s->al[i].v[2] = alerter_evicted(al, i);
	}
	s->al_write_errors = alerter_write_errors(al);
	s->last_ns = now_ns;
	pthread_mutex_unlock(&s->mtx);
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
	struct stagestats	*s = arg;
	struct stats_stream	*p = &s->streams[s->nstreams++];
	const char		*k = st->key, *end = st->key + st->keylen, *z;
	int			 i;

	for (i = 0; i < 3; i++) {
		z = k < end ? memchr(k, '\0', (size_t)(end - k)) : NULL;
		if (z == NULL)
			z = end;
		copy_utf8(p->part[i], sizeof(p->part[i]), k, (size_t)(z - k));
		k = z < end ? z + 1 : end;
	}
	p->f = st->f;
}

void
stagestats_publish_streams(struct stagestats *s, const struct streams *st,
    uint64_t now_ns)
{
	const struct stats_host	*h;
	size_t			 i;

	if (s->streams_ns != 0 && now_ns - s->streams_ns < PUBLISH_NS)
		return;
	if (pthread_mutex_trylock(&s->mtx) != 0)
		return;			/* a reader has it: next time */
	s->nstreams = 0;
	streams_foreach(st, STATS_TOP_STREAMS, stream_pub_cb, s);
	s->streams_tracked = streams_count(st);
	h = streams_hosts(st, &s->nhosts);
	for (i = 0; i < s->nhosts; i++) {	/* a name cut mid-character */
		s->hosts[i] = h[i];
		copy_utf8(s->hosts[i].name, sizeof(s->hosts[i].name),
		    h[i].name, strlen(h[i].name));
	}
	s->streams_ns = now_ns;
	pthread_mutex_unlock(&s->mtx);
}

/* New figures into the table t (n entries), carrying the counters of an
 * entry of the same name from before a reload into base. */
static void
rule_put(struct stats_rule *t, size_t *n, size_t at, const char *name,
    const uint64_t v[STATS_RULE_COUNTERS], uint64_t gauge, int newgen,
    const struct stats_rule *old, size_t nold)
{
	size_t	 i, k;

	if (at >= STATS_MAX_RULES)
		return;
	if (newgen) {
		memset(&t[at], 0, sizeof(t[at]));
		snprintf(t[at].name, sizeof(t[at].name), "%s", name);
		for (i = 0; i < nold; i++)
			if (strcmp(old[i].name, name) == 0)
				for (k = 0; k < STATS_RULE_COUNTERS; k++)
					t[at].base[k] = old[i].base[k] +
					    old[i].v[k];
	}
	memcpy(t[at].v, v, sizeof(t[at].v));
	t[at].gauge = gauge;
	if (at + 1 > *n)
		*n = at + 1;
}

/* On a new generation, the table t (*n entries) moves aside into s->old
 * and starts empty; the number moved (0 if no new generation). */
static size_t
rules_aside(struct stagestats *s, struct stats_rule *t, size_t *n,
    int newgen)
{
	size_t	 nold = *n;

	if (!newgen)
		return 0;
	memcpy(s->old, t, nold * sizeof(*t));
	*n = 0;
	return nold;
}

void
stagestats_publish_rules(struct stagestats *s, const struct lookups *lk,
    const struct limiter *lim, unsigned gen, uint64_t now_ns, int last)
{
	struct lookup_stat	 ls;
	struct limit_stat	 ms;
	uint64_t		 v[STATS_RULE_COUNTERS];
	size_t			 i, nold;
	int			 newgen;

	newgen = !s->rules_valid || gen != s->rules_gen;
	if (!newgen && !last && now_ns - s->rules_ns < PUBLISH_NS)
		return;
	if (last)	/* the final figures of a set being swapped out */
		pthread_mutex_lock(&s->mtx);
	else if (pthread_mutex_trylock(&s->mtx) != 0)
		return;			/* a reader has it: next time */
	nold = rules_aside(s, s->lk, &s->nlk, newgen);
	for (i = 0; lookups_stat(lk, i, &ls) == 0; i++) {
		v[0] = ls.hits, v[1] = ls.misses, v[2] = ls.reloads;
		v[3] = ls.errors;
		rule_put(s->lk, &s->nlk, i, ls.name, v, ls.rows, newgen,
		    s->old, nold);
	}
	nold = rules_aside(s, s->lim, &s->nlim, newgen);
	for (i = 0; limiter_stat(lim, i, &ms) == 0; i++) {
		v[0] = ms.passed, v[1] = ms.dropped, v[2] = ms.evicted;
		v[3] = 0;
		rule_put(s->lim, &s->nlim, i, ms.name, v, ms.keys, newgen,
		    s->old, nold);
	}
	s->rules_gen = gen;
	s->rules_valid = 1;
	s->rules_ns = now_ns;
	pthread_mutex_unlock(&s->mtx);
}
